//! `ecoplan assess PLAN.toml`: the 双评价 ecological assessment (生态保护重要性) of a plan's region —
//! service importance, fragility, integration, area tables — via `ecoplan_assess::dual`.

use crate::config::classes::{load_mapping, ClassTable};
use crate::config::{validate_plan, LayerKind, Plan};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgMatches, Command};
use ecoplan_assess::dual::chain::{
    BiodiversityParams, FragilityParams, LsMethod, SoilParams, WaterMethod,
};
use ecoplan_assess::dual::grading::{grade_label, GradingMethod};
use ecoplan_assess::dual::rusle::{soil_loss_class_label, ChinaLsParams};
use ecoplan_assess::dual::sensitivity::{breaks_from_table, sensitivity_label};
use ecoplan_assess::dual::{run_assessment, AssessParams, AssessmentOutputs, RegionLayers};
use ecoplan_assess::invest::habitat_quality as hq;
use ecoplan_assess::table::Table;
use ecoplan_grid::{AnyGrid, Grid, GridSpec, Progress};
use ecoplan_io::align::warp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const C_PRESET: &str = include_str!("../../../../presets/assess/c_factor_common_classes.csv");
const P_PRESET: &str = include_str!("../../../../presets/assess/p_factor_common_classes.csv");
const RUNOFF_PRESET: &str =
    include_str!("../../../../presets/assess/runoff_coefficients_common_classes.csv");
const THREATS_PRESET: &str =
    include_str!("../../../../presets/assess/habitat_threats_north_china.csv");
const SENS_PRESET: &str =
    include_str!("../../../../presets/assess/habitat_sensitivity_common_classes.csv");
const BREAKS_PRESET: &str = include_str!("../../../../presets/assess/sensitivity_breaks.csv");

pub fn command() -> Command {
    Command::new("assess")
        .about("双评价 生态保护重要性评价 Ecological protection importance (services, fragility, integration)")
        .long_about(
            "按规划配置 (plan.toml) 的图层计算：水源涵养 (水量平衡)、水土保持 (RUSLE)、生物多样性维护 (InVEST 生境质量)、\
             水土流失敏感性，按累积贡献率 50%/80% 分级，取最大值集成为生态保护重要性，输出分级栅格与面积表（公顷/亩/km²/%）。\n\
             Services run when their layers exist: 水土保持 needs kind=dem, soil_erodibility and precipitation \
             (R = 0.0483·P^1.61, Renard & Freimund 1994) or a raster layer named r_factor; 水源涵养 needs \
             precipitation and a raster layer named evapotranspiration (actual ET, mm); 生物多样性维护 needs land use \
             (threats from built-up, cropland and mining classes, presets/assess); 防风固沙 needs raster layers \
             rweq_wf, rweq_ef, rweq_scf, rweq_k. Vegetation cover comes from kind=ndvi (5 %/95 % end-members). \
             Protected areas (kind=protected_areas) are at least 重要; zones (kind=zones) give tables by unit.",
        )
        .arg(Arg::new("plan").value_name("PLAN.toml").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("out").long("out").short('o').value_name("DIR").value_parser(clap::value_parser!(PathBuf)).help("输出目录 Output folder (default: <plan output dir>/assess)"))
        .arg(Arg::new("grading").long("grading").value_name("METHOD").value_parser(["cumulative", "quantile", "jenks", "equal"]).default_value("cumulative").help("分级方法 Grading: cumulative 50/80 % (default), quantile, jenks, equal"))
        .arg(Arg::new("min-patch-ha").long("min-patch-ha").value_name("HA").value_parser(clap::value_parser!(f64)).default_value("0").help("极重要斑块最小面积 Demote 极重要 patches smaller than this (ha) to 重要"))
        .arg(Arg::new("ls").long("ls").value_name("METHOD").value_parser(["invest", "china"]).default_value("invest").help("LS 因子 LS factor: invest (Desmet–Govers, InVEST) or china (McCool + 刘宝元)"))
        .arg(Arg::new("tolerable").long("tolerable").value_name("T_KM2").value_parser(clap::value_parser!(f64)).default_value("200").help("容许土壤流失量 Tolerable soil loss, t/(km²·a): 200 北方土石山区, 500 南方/西南, 1000 黄土高原"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan assess data/demo/plan.toml --out runs/yungang-assess\n  \
             ecoplan assess plan.toml --grading jenks --min-patch-ha 5 --ls china --tolerable 1000",
        )
}

/// Options of the chain as the CLI and the demo set them.
pub struct AssessOptions {
    pub grading: GradingMethod,
    pub min_patch_ha: f64,
    pub ls_china: bool,
    pub tolerable_t_km2: f64,
}

fn parse_table(name: &str, text: &str) -> Result<Table> {
    Table::parse(name, text).map_err(|e| anyhow::anyhow!(e))
}

fn class_map(name: &str, text: &str, col: &str) -> Result<HashMap<i32, f64>> {
    let t = parse_table(name, text)?;
    let mut p = Vec::new();
    let codes = t.codes("lucode", &mut p);
    let vals = t.numbers(col, true, &mut p);
    if !p.is_empty() {
        bail!("{}", p.join("\n"));
    }
    Ok(codes
        .into_iter()
        .zip(vals)
        .filter_map(|(c, v)| Some((c? as i32, v?)))
        .collect())
}

/// Fractional vegetation cover from NDVI (end-members: 5 % and 95 % of valid NDVI).
pub fn fvc_from_ndvi(ndvi: &Grid<f32>) -> Grid<f32> {
    let mut v: Vec<f32> = ndvi
        .data
        .iter()
        .copied()
        .filter(|x| x.is_finite() && !ndvi.is_nodata(*x))
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return ndvi.map(Some(f32::NAN), |_| f32::NAN);
    }
    let q = |f: f64| v[((f * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)] as f64;
    let (soil, veg) = (q(0.05), q(0.95));
    ndvi.map(Some(f32::NAN), |x| {
        ecoplan_assess::dual::rusle::fvc(x as f64, soil, veg) as f32
    })
}

/// Sets up parameters for the layers present and runs the chain.
pub fn assess_layers(
    layers: &mut RegionLayers,
    opts: &AssessOptions,
    progress: &dyn Progress,
) -> Result<(AssessmentOutputs, Vec<String>)> {
    let mut notes = Vec::new();
    if layers.r_factor.is_none() {
        if let Some(p) = &layers.precipitation {
            layers.r_factor = Some(p.map(Some(f32::NAN), |v| {
                (0.0483 * (v.max(0.0) as f64).powf(1.61)) as f32
            }));
            notes.push("R factor from annual precipitation: R = 0.0483·P^1.61 (Renard & Freimund 1994, P < 850 mm)".into());
        }
    }
    let mut params = AssessParams {
        grading: opts.grading,
        min_patch_ha: opts.min_patch_ha,
        soil: None,
        ..Default::default()
    };
    if layers.dem.is_some() && layers.r_factor.is_some() && layers.k_factor.is_some() {
        params.soil = Some(SoilParams {
            ls: if opts.ls_china {
                LsMethod::China(ChinaLsParams::default())
            } else {
                LsMethod::Invest { l_max: 122.0 }
            },
            c_by_class: class_map("presets/assess/c_factor_common_classes.csv", C_PRESET, "c")?,
            p_by_class: class_map("presets/assess/p_factor_common_classes.csv", P_PRESET, "p")?,
            tolerable_t_km2: opts.tolerable_t_km2,
            ..Default::default()
        });
        notes.push("水土保持: RUSLE SC = R·K·LS·(1 − C·P); C from vegetation cover (蔡崇法 2000) when NDVI is given, else presets/assess/c_factor_common_classes.csv; P from presets/assess/p_factor_common_classes.csv".into());
    } else {
        notes.push(
            "水土保持 skipped: needs dem, soil_erodibility and precipitation (or r_factor)".into(),
        );
    }
    if layers.precipitation.is_some()
        && layers.evapotranspiration.is_some()
        && layers.land_use.is_some()
    {
        params.water = Some(WaterMethod::WaterBalance {
            runoff_coefficient_percent: class_map(
                "presets/assess/runoff_coefficients_common_classes.csv",
                RUNOFF_PRESET,
                "alpha_percent",
            )?,
        });
        notes.push("水源涵养: water balance P − P·α − ET (Gong 2017 α, presets/assess/runoff_coefficients_common_classes.csv)".into());
    } else {
        notes.push("水源涵养 skipped: needs precipitation, land use and a raster layer named evapotranspiration (actual ET, mm)".into());
    }
    if let Some(lu) = &layers.land_use {
        let tt = parse_table(
            "presets/assess/habitat_threats_north_china.csv",
            THREATS_PRESET,
        )?;
        let threats = hq::threats_from_table(&tt)?;
        for t in &threats {
            // cur_path `landuse_classes:8;9` = a presence raster of those land-use classes
            let codes = t
                .cur_path
                .strip_prefix("landuse_classes:")
                .with_context(|| {
                    format!(
                        "threat preset `{}`: cur_path must be landuse_classes:<codes>",
                        t.name
                    )
                })?;
            let cs: Vec<i32> = codes
                .split(';')
                .filter_map(|c| c.trim().parse().ok())
                .collect();
            let data = lu
                .data
                .iter()
                .map(|&v| f32::from(u8::from(cs.contains(&v))))
                .collect();
            layers
                .threats
                .insert(t.name.clone(), Grid::from_vec(&lu.spec(), data, None)?);
        }
        let sens = hq::Sensitivity::from_table(
            &parse_table(
                "presets/assess/habitat_sensitivity_common_classes.csv",
                SENS_PRESET,
            )?,
            &threats,
        )?;
        params.biodiversity = Some(BiodiversityParams {
            threats,
            sensitivity: sens,
            hq: hq::HabitatQualityParams {
                half_saturation: 0.05,
                ..Default::default()
            },
            protected_top: false,
        });
        notes.push("生物多样性维护: InVEST habitat quality (3.20 semantics, k = 0.05), threats from land-use classes (presets/assess/habitat_threats_north_china.csv)".into());
    }
    if layers.rweq_wf.is_some()
        && layers.rweq_ef.is_some()
        && layers.rweq_scf.is_some()
        && layers.rweq_k.is_some()
        && layers.vegetation_cover.is_some()
    {
        params.wind = Some(Default::default());
        notes.push("防风固沙: RWEQ, z = 50 m".into());
    }
    if layers.r_factor.is_some() && layers.vegetation_cover.is_some() && layers.dem.is_some() {
        let all = breaks_from_table(&parse_table(
            "presets/assess/sensitivity_breaks.csv",
            BREAKS_PRESET,
        )?)?;
        let breaks: Vec<_> = all
            .into_iter()
            .filter(|b| b.process == "soil_erosion")
            .collect();
        params.fragility.push(FragilityParams {
            process: "soil_erosion".into(),
            breaks,
            relief_window: 5,
        });
        notes.push("水土流失敏感性: (R · relief · cover)^(1/3) scores 1/3/5/7/9 (presets/assess/sensitivity_breaks.csv); soil texture not scored (no layer)".into());
    }
    let out = run_assessment(layers, &params, progress)?;
    Ok((out, notes))
}

/// Writes rasters, area tables and a summary into `dir`; returns the files written.
pub fn write_assessment(
    dir: &Path,
    o: &AssessmentOutputs,
    notes: &[String],
    unit_names: &HashMap<i64, String>,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let opts = ecoplan_io::raster::WriteOptions {
        predictor: true,
        ..Default::default()
    };
    let mut files = Vec::new();
    let mut put = |name: String, g: AnyGrid| -> Result<()> {
        crate::rasters::write_raster(&dir.join(&name), &g, &opts)
            .with_context(|| format!("writing {name}"))?;
        files.push(name);
        Ok(())
    };
    for s in &o.services {
        put(
            format!("service_{}.tif", s.key),
            AnyGrid::F32(s.value.clone()),
        )?;
        put(format!("grade_{}.tif", s.key), AnyGrid::U8(s.grade.clone()))?;
    }
    for f in &o.fragility {
        put(
            format!("sensitivity_{}.tif", f.process),
            AnyGrid::U8(f.class.clone()),
        )?;
        put(
            format!("fragility_{}.tif", f.process),
            AnyGrid::U8(f.grade.clone()),
        )?;
    }
    put("importance.tif".into(), AnyGrid::U8(o.importance.clone()))?;
    if let Some(g) = &o.soil_loss_actual {
        put("soil_loss.tif".into(), AnyGrid::F32(g.clone()))?;
    }
    if let Some(g) = &o.soil_loss_class {
        put("soil_loss_class.tif".into(), AnyGrid::U8(g.clone()))?;
    }
    let mut csv = String::from(
        "layer,unit_id,unit,class,class_zh,class_en,cells,area_ha,area_mu,area_km2,percent\n",
    );
    for (layer, rows) in &o.area_tables {
        for r in rows {
            let (zh, en) = if layer.starts_with("土壤侵蚀") {
                soil_loss_class_label(r.class)
            } else if layer.contains("敏感性") {
                sensitivity_label(r.class)
            } else {
                grade_label(r.class)
            };
            let (uid, uname) = match r.unit {
                None => (String::new(), "全域 region".to_string()),
                Some(u) => (
                    u.to_string(),
                    unit_names.get(&u).cloned().unwrap_or_else(|| u.to_string()),
                ),
            };
            csv.push_str(&format!(
                "\"{layer}\",{uid},\"{uname}\",{},{zh},{en},{},{:.4},{:.4},{:.6},{:.4}\n",
                r.class,
                r.cells,
                r.ha(),
                r.mu(),
                r.km2(),
                r.percent
            ));
        }
    }
    let p = dir.join("area_by_grade.csv");
    ecoplan_io::atomic::write_atomic(&p, |w| {
        use std::io::Write;
        w.write_all(csv.as_bytes())
            .map_err(|e| ecoplan_io::IoError::io(&p, e))
    })?;
    files.push("area_by_grade.csv".into());
    let summary = serde_json::json!({
        "services": o.services.iter().map(|s| serde_json::json!({
            "key": s.key, "name_zh": s.name_zh, "unit": s.unit,
            "threshold_extremely_important": s.thresholds.t_upper, "threshold_important": s.thresholds.t_lower,
        })).collect::<Vec<_>>(),
        "fragility": o.fragility.iter().map(|f| serde_json::json!({"process": f.process, "name_zh": f.name_zh})).collect::<Vec<_>>(),
        "soil_conservation_rate_percent": o.soil_conservation_rate,
        "notes": notes,
        "grades": {"1": "一般 general", "2": "重要 important / 脆弱", "3": "极重要 extremely important / 极脆弱"},
    });
    let p = dir.join("assessment.json");
    let text = serde_json::to_string_pretty(&summary)?;
    ecoplan_io::atomic::write_atomic(&p, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| ecoplan_io::IoError::io(&p, e))
    })?;
    files.push("assessment.json".into());
    Ok(files)
}

/// Reads and aligns a plan's layers onto the analysis grid.
fn plan_layers(
    plan: &Plan,
    grid: &GridSpec,
    progress: &dyn Progress,
) -> Result<(RegionLayers, HashMap<i64, String>)> {
    let mut l = RegionLayers {
        spec: Some(grid.clone()),
        ..Default::default()
    };
    let mut names = HashMap::new();
    let classes = ClassTable::builtin();
    for layer in &plan.layers {
        let path = plan.resolve(&layer.file.value);
        let kind = layer.kind.value;
        if kind.info().vector {
            let v = ecoplan_io::vector::read_vector(&path, &Default::default())?;
            let v = match &grid.crs {
                Some(c) if v.crs.as_ref() != Some(c) => crate::vectors::reproject_layer(&v, c)?,
                _ => v,
            };
            let ids = ecoplan_io::vector::rasterize_ids(&v, grid, &Default::default());
            match kind {
                LayerKind::ProtectedAreas => {
                    l.protected = Some(ids.map(Some(0), |v| u8::from(v > 0)))
                }
                LayerKind::Zones => {
                    let field = plan.region.admin_field.clone();
                    if let Some(k) = v.field_index(&field) {
                        for (i, f) in v.features.iter().enumerate() {
                            if let Some(s) = f.properties.get(k).and_then(|x| x.as_str()) {
                                names.insert(i as i64 + 1, s.to_string());
                            }
                        }
                    }
                    l.admin = Some(ids.map(Some(0), |v| v as i32));
                }
                _ => {}
            }
            continue;
        }
        let src = crate::rasters::read_raster(&path)?;
        if kind == LayerKind::Landuse {
            let spec = layer
                .classes
                .as_ref()
                .map(|c| c.value.clone())
                .unwrap_or_else(|| "gbt21010_sandiao".into());
            let mapping = load_mapping(&spec, &plan.base_dir, &classes)
                .map_err(|e| anyhow::anyhow!(e.join("\n")))?;
            let ss = src.spec();
            let mapped: Vec<u8> = (0..ss.len())
                .map(|i| {
                    src.value_f64(i)
                        .and_then(|v| mapping.class_of(v as i64))
                        .unwrap_or(0)
                })
                .collect();
            let g = warp(
                &AnyGrid::U8(Grid::from_vec(&ss, mapped, Some(0))?),
                grid,
                layer.resampling,
                progress,
            )?;
            l.land_use = Some(g.to_f64().map(Some(0), |v| v as i32));
            continue;
        }
        let g = warp(&src, grid, layer.resampling, progress)?;
        let f = g.to_f32();
        match kind {
            LayerKind::Dem => l.dem = Some(f.cast::<f64>(Some(f64::NAN))),
            LayerKind::Precipitation => l.precipitation = Some(f),
            LayerKind::SoilErodibility => l.k_factor = Some(f),
            LayerKind::SoilDepth => l.soil_depth = Some(f),
            LayerKind::Ndvi => l.vegetation_cover = Some(fvc_from_ndvi(&f)),
            _ => match layer.name.value.as_str() {
                "r_factor" => l.r_factor = Some(f),
                "c_factor" => l.c_factor = Some(f),
                "p_factor" => l.p_factor = Some(f),
                "evapotranspiration" => l.evapotranspiration = Some(f),
                "water_yield" => l.water_yield = Some(f),
                "ksat" => l.ksat = Some(f),
                "npp" => l.npp = Some(f),
                "rweq_wf" => l.rweq_wf = Some(f),
                "rweq_ef" => l.rweq_ef = Some(f),
                "rweq_scf" => l.rweq_scf = Some(f),
                "rweq_k" => l.rweq_k = Some(f),
                other => {
                    l.fragility_factors.insert(other.to_string(), f);
                }
            },
        }
    }
    Ok((l, names))
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let plan_path: &PathBuf = m.get_one("plan").expect("required");
    let bar = crate::progress::Bar::new();
    let v = validate_plan(plan_path, &bar);
    if !v.is_ok() {
        let list: Vec<String> = v.errors().map(|p| format!("  - {p}")).collect();
        bail!(
            "{}: {} problem(s); fix them first (ecoplan validate shows details):\n{}",
            plan_path.display(),
            list.len(),
            list.join("\n")
        );
    }
    let plan = v.plan.expect("valid plan");
    let region = crate::region::load_region(&plan)?;
    let (mut layers, names) = plan_layers(&plan, &region.grid, &bar)?;
    // outside the region boundary: no assessment
    let inside =
        ecoplan_io::vector::rasterize_ids(&region.boundary, &region.grid, &Default::default());
    mask_layers(
        &mut layers,
        &inside.data.iter().map(|&v| v > 0).collect::<Vec<_>>(),
    );
    let opts = AssessOptions {
        grading: match m.get_one::<String>("grading").map(String::as_str) {
            Some("quantile") => GradingMethod::Quantile {
                upper: 1.0 / 3.0,
                lower: 2.0 / 3.0,
            },
            Some("jenks") => GradingMethod::NaturalBreaks,
            Some("equal") => GradingMethod::EqualInterval,
            _ => GradingMethod::default(),
        },
        min_patch_ha: *m.get_one::<f64>("min-patch-ha").expect("default"),
        ls_china: m.get_one::<String>("ls").map(String::as_str) == Some("china"),
        tolerable_t_km2: *m.get_one::<f64>("tolerable").expect("default"),
    };
    let (out, notes) = assess_layers(&mut layers, &opts, &bar)?;
    let dir = match m.get_one::<PathBuf>("out") {
        Some(d) => d.clone(),
        None => plan.resolve(&plan.output.dir).join("assess"),
    };
    let files = write_assessment(&dir, &out, &notes, &names)?;
    for n in &notes {
        eprintln!("  {n}");
    }
    if let Some(r) = out.soil_conservation_rate {
        eprintln!("水土保持率 soil conservation rate: {r:.2} %");
    }
    eprintln!("已写出 wrote {} files into {}", files.len(), dir.display());
    Ok(())
}

/// Sets every continuous layer to nodata outside `inside` (land use and grades follow).
pub fn mask_layers(l: &mut RegionLayers, inside: &[bool]) {
    let f = |g: &mut Option<Grid<f32>>| {
        if let Some(g) = g {
            for (v, &k) in g.data.iter_mut().zip(inside) {
                if !k {
                    *v = f32::NAN;
                }
            }
        }
    };
    for g in [
        &mut l.precipitation,
        &mut l.evapotranspiration,
        &mut l.r_factor,
        &mut l.k_factor,
        &mut l.vegetation_cover,
        &mut l.c_factor,
        &mut l.p_factor,
    ] {
        f(g);
    }
    if let Some(g) = &mut l.land_use {
        for (v, &k) in g.data.iter_mut().zip(inside) {
            if !k {
                *v = 0;
            }
        }
        g.nodata = Some(0);
    }
}

/// Demo step: 双评价 生态保护重要性 on the demo layers (dem, landuse, precipitation, soil
/// erodibility, NDVI), clipped to the region.
pub fn demo_step(cx: &mut crate::demo::DemoContext) -> Result<()> {
    let grid = cx.region()?.grid.clone();
    let inside: Vec<bool> = cx.mask()?.data.iter().map(|&v| v == 1).collect();
    let mut l = RegionLayers {
        spec: Some(grid.clone()),
        ..Default::default()
    };
    l.dem = Some(cx.layer("dem")?.to_f32().cast::<f64>(Some(f64::NAN)));
    l.land_use = Some(cx.layer("landuse")?.to_f64().map(Some(0), |v| v as i32));
    l.precipitation = Some(cx.layer("precipitation")?.to_f32());
    if let Ok(r) = cx.layer("rainfall_erosivity") {
        l.r_factor = Some(r.to_f32());
    }
    l.k_factor = Some(cx.layer("soil_erodibility")?.to_f32());
    l.vegetation_cover = Some(fvc_from_ndvi(&cx.layer("ndvi")?.to_f32()));
    mask_layers(&mut l, &inside);
    let opts = AssessOptions {
        grading: GradingMethod::default(),
        min_patch_ha: 1.0,
        ls_china: false,
        tolerable_t_km2: 200.0,
    };
    let (out, notes) = assess_layers(&mut l, &opts, cx.progress)?;
    let dir = cx
        .out_path("assess/importance.tif")?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let files = write_assessment(&dir, &out, &notes, &HashMap::new())?;
    for f in files {
        cx.record(
            &format!("assess/{f}"),
            "双评价 生态保护重要性 (ecoplan_assess::dual::run_assessment)",
        );
    }
    cx.manifest.param(
        "assess",
        serde_json::json!({
            "notes": notes,
            "soil_conservation_rate_percent": out.soil_conservation_rate,
            "grading": "cumulative contribution 50 % / 80 %",
            "min_patch_ha": 1.0,
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(model: &str, case: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ecoplan-assess/tests/data/invest")
            .join(model)
            .join(case)
            .join("args.json")
    }

    #[test]
    fn invest_cli_writes_natcap_names_and_values() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        let m = crate::cmd::invest::command().get_matches_from([
            "invest",
            "sdr",
            fixture("sdr", "zion").to_str().unwrap(),
            "--workspace",
            ws.to_str().unwrap(),
        ]);
        crate::cmd::invest::run(&m).unwrap();
        // the totals table equals natcap.invest's within 0.1 %
        let ours = std::fs::read_to_string(ws.join("watershed_results_sdr.csv")).unwrap();
        let exp = std::fs::read_to_string(
            fixture("sdr", "zion")
                .with_file_name("expected")
                .join("watershed_results_sdr.csv"),
        )
        .unwrap();
        let row = |t: &str| -> Vec<f64> {
            t.lines()
                .nth(1)
                .unwrap()
                .split(',')
                .skip(1)
                .map(|v| v.parse().unwrap())
                .collect()
        };
        for (a, e) in row(&ours).iter().zip(row(&exp)) {
            assert!((a - e).abs() <= 1e-3 * e.abs(), "{a} vs {e}");
        }
        // GeoTIFF outputs under natcap.invest's names, readable back
        for f in [
            "sed_export.tif",
            "usle.tif",
            "intermediate_outputs/ls.tif",
            "intermediate_outputs/sdr_factor.tif",
        ] {
            let g = ecoplan_io::raster::read_raster(&ws.join(f)).unwrap();
            assert_eq!((g.width(), g.height()), (180, 180), "{f}");
        }
    }

    #[test]
    fn invest_cli_reports_all_problems() {
        let tmp = tempfile::tempdir().unwrap();
        let args = tmp.path().join("args.json");
        std::fs::write(&args, r#"{"workspace_dir": "ws", "lulc_bas_path": "missing.tif", "carbon_pools_path": "nope.csv", "do_valuation": true, "discount_rate": "x"}"#).unwrap();
        let m = crate::cmd::invest::command().get_matches_from([
            "invest",
            "carbon",
            args.to_str().unwrap(),
        ]);
        let e = format!("{:#}", crate::cmd::invest::run(&m).unwrap_err());
        for needle in [
            "lulc_bas_path",
            "carbon_pools_path",
            "discount_rate",
            "lulc_alt_year",
            "price_per_metric_ton_of_c",
            "lulc_alt_path",
        ] {
            assert!(e.contains(needle), "missing {needle} in:\n{e}");
        }
    }
}
