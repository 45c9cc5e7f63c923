//! `ecoplan assess PLAN.toml`: the 双评价 ecological assessment (生态保护重要性) of a plan's region —
//! service importance, fragility, integration, area tables — via `ecoplan_assess::dual`.

use crate::config::{LayerKind, Plan};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgMatches, Command};
use ecoplan_assess::dual::chain::{
    BiodiversityParams, FragilityParams, LsMethod, SoilParams, WaterMethod,
};
use ecoplan_assess::dual::grading::{grade_label, GradingMethod};
use ecoplan_assess::dual::rusle::{soil_loss_class_label, ChinaLsParams};
use ecoplan_assess::dual::sensitivity::{breaks_from_table, sensitivity_label};
use ecoplan_assess::dual::{run_assessment_owned, AssessParams, AssessmentOutputs, RegionLayers};
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
const VELOCITY_PRESET: &str =
    include_str!("../../../../presets/assess/flow_velocity_coefficients_common_classes.csv");
const AWY_BIO_PRESET: &str =
    include_str!("../../../../presets/assess/awy_biophysical_common_classes.csv");

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

/// A bundled or user CSV table, its problems as one error.
pub(crate) fn parse_table(name: &str, text: &str) -> Result<Table> {
    Table::parse(name, text).map_err(|e| anyhow::anyhow!(e))
}

/// Column `col` of a table keyed by `lucode`, every bad row reported at once.
pub(crate) fn class_map(name: &str, text: &str, col: &str) -> Result<HashMap<i32, f64>> {
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
    mut layers: RegionLayers,
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
    } else if layers.water_yield.is_some()
        && layers.soil_depth.is_some()
        && layers.ksat.is_some()
        && layers.dem.is_some()
        && layers.land_use.is_some()
    {
        params.water = Some(WaterMethod::RetentionCorrection {
            velocity: class_map(
                "presets/assess/flow_velocity_coefficients_common_classes.csv",
                VELOCITY_PRESET,
                "velocity",
            )?,
        });
        notes.push("水源涵养: InVEST water yield Y × retention correction min(1, 249/V)·min(1, 0.9·TI/3)·min(1, Ksat/300) (Ding et al. 2017), TI = lg(upstream cells / (soil depth cm · slope %)), Ksat in mm/d, V from presets/assess/flow_velocity_coefficients_common_classes.csv".into());
    } else {
        notes.push("水源涵养 skipped: needs precipitation, land use and a raster layer named evapotranspiration (actual ET, mm) — or water_yield, soil_depth, ksat, dem and land use for the retention correction".into());
    }
    if layers.land_use.is_some() {
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
            // presence rasters are built by the chain one at a time, while habitat quality runs
            layers.threat_classes.insert(t.name.clone(), cs);
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
        notes.push("防风固沙: RWEQ sand fixation S_Lp − S_L (Peng et al. 2017), z = 50 m, C = exp(−0.0438·cover%)".into());
    } else {
        notes.push(
            "防风固沙 skipped: needs raster layers rweq_wf, rweq_ef, rweq_scf, rweq_k and NDVI"
                .into(),
        );
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
    fragility_from_factors(&layers, &mut params, &mut notes)?;
    let out = run_assessment_owned(layers, &params, progress)?;
    Ok((out, notes))
}

/// Adds 土地沙化, 盐渍化 and 石漠化 when their factor layers exist (`fragility_factors` by the
/// factor keys of presets/assess/sensitivity_breaks.csv; `texture_score` is optional).
fn fragility_from_factors(
    layers: &RegionLayers,
    params: &mut AssessParams,
    notes: &mut Vec<String>,
) -> Result<()> {
    let all = breaks_from_table(&parse_table(
        "presets/assess/sensitivity_breaks.csv",
        BREAKS_PRESET,
    )?)?;
    let has = |f: &str| {
        layers.fragility_factors.contains_key(f)
            || (f == "vegetation_cover" && layers.vegetation_cover.is_some())
            || (f == "slope" && layers.dem.is_some())
    };
    for (process, zh) in [
        ("desertification", "土地沙化敏感性"),
        ("salinization", "盐渍化敏感性"),
        ("rocky_desertification", "石漠化敏感性"),
    ] {
        let factors: Vec<_> = all.iter().filter(|b| b.process == process).collect();
        let missing: Vec<&str> = factors
            .iter()
            .filter(|b| !b.factor.ends_with("_score") && !has(&b.factor))
            .map(|b| b.factor.as_str())
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "{zh} {process} skipped: no layer for {}",
                missing.join(", ")
            ));
            continue;
        }
        let breaks: Vec<_> = factors
            .into_iter()
            .filter(|b| has(&b.factor))
            .cloned()
            .collect();
        notes.push(format!(
            "{zh} {process}: geometric mean of factor scores 1/3/5/7/9 ({}; presets/assess/sensitivity_breaks.csv)",
            breaks.iter().map(|b| b.factor.as_str()).collect::<Vec<_>>().join(", ")
        ));
        params.fragility.push(FragilityParams {
            process: process.into(),
            breaks,
            relief_window: 5,
        });
    }
    Ok(())
}

/// Writes rasters, area tables and a summary into `dir`; returns the files written. Takes the
/// outputs by value and drops each grid once written (and the unwritten ones at once), so the
/// peak stays at the chain's own.
pub fn write_assessment(
    dir: &Path,
    o: AssessmentOutputs,
    notes: &[String],
    unit_names: &HashMap<i64, String>,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let opts = ecoplan_io::raster::WriteOptions {
        predictor: true,
        ..Default::default()
    };
    let AssessmentOutputs {
        services,
        fragility,
        importance,
        soil_loss_potential,
        soil_loss_actual,
        soil_loss_class,
        soil_conservation_rate,
        area_tables,
    } = o;
    drop(soil_loss_potential);
    let mut files = Vec::new();
    let mut put = |name: String, g: AnyGrid| -> Result<()> {
        crate::rasters::write_raster(&dir.join(&name), &g, &opts)
            .with_context(|| format!("writing {name}"))?;
        files.push(name);
        Ok(())
    };
    let mut service_meta = Vec::new();
    for s in services {
        put(format!("service_{}.tif", s.key), AnyGrid::F32(s.value))?;
        put(format!("grade_{}.tif", s.key), AnyGrid::U8(s.grade))?;
        service_meta.push((s.key, s.name_zh, s.unit, s.thresholds));
    }
    let mut fragility_meta = Vec::new();
    for f in fragility {
        drop(f.composite);
        put(
            format!("sensitivity_{}.tif", f.process),
            AnyGrid::U8(f.class),
        )?;
        put(format!("fragility_{}.tif", f.process), AnyGrid::U8(f.grade))?;
        fragility_meta.push((f.process, f.name_zh));
    }
    put("importance.tif".into(), AnyGrid::U8(importance))?;
    if let Some(g) = soil_loss_actual {
        put("soil_loss.tif".into(), AnyGrid::F32(g))?;
    }
    if let Some(g) = soil_loss_class {
        put("soil_loss_class.tif".into(), AnyGrid::U8(g))?;
    }
    let mut csv = String::from(
        "layer,unit_id,unit,class,class_zh,class_en,cells,area_ha,area_mu,area_km2,percent\n",
    );
    for (layer, rows) in &area_tables {
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
        "services": service_meta.iter().map(|(key, name_zh, unit, th)| serde_json::json!({
            "key": key, "name_zh": name_zh, "unit": unit,
            "threshold_extremely_important": th.t_upper, "threshold_important": th.t_lower,
        })).collect::<Vec<_>>(),
        "fragility": fragility_meta.iter().map(|(process, name_zh)| serde_json::json!({"process": process, "name_zh": name_zh})).collect::<Vec<_>>(),
        "soil_conservation_rate_percent": soil_conservation_rate,
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
    // the DEM first, and its terrain (pit fill, slope, MFD accumulation: the chain's most
    // memory-hungry step) derived while it is the only layer in memory
    let mut ordered: Vec<_> = plan.layers.iter().collect();
    ordered.sort_by_key(|layer| layer.kind.value != LayerKind::Dem);
    let terrain_needed = plan.layers.iter().any(|layer| {
        layer.kind.value == LayerKind::SoilErodibility || layer.name.value == "water_yield"
    });
    for layer in ordered {
        let path = plan.resolve(&layer.file.value);
        let kind = layer.kind.value;
        if kind.info().vector {
            let v = crate::rasters::vector_on_grid(plan, layer, grid)?;
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
        if kind == LayerKind::Landuse {
            l.land_use = Some(crate::rasters::landuse_on_grid(
                plan, layer, grid, progress,
            )?);
            continue;
        }
        let f = {
            let src = crate::rasters::read_raster(&path)?;
            warp(&src, grid, layer.resampling, progress)?.to_f32()
        };
        match kind {
            LayerKind::Dem => {
                let dem = f.cast::<f64>(Some(f64::NAN));
                drop(f);
                if terrain_needed && l.terrain.is_none() {
                    l.terrain = Some(ecoplan_assess::dual::derive_terrain(&dem, true));
                }
                l.dem = Some(dem);
            }
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
    let plan = crate::config::load_valid_plan(plan_path, &bar)?;
    let region = crate::region::load_region(&plan)?;
    let (mut layers, names) = plan_layers(&plan, &region.grid, &bar)?;
    // outside the region boundary: no assessment
    {
        let inside =
            ecoplan_io::vector::rasterize_ids(&region.boundary, &region.grid, &Default::default());
        let inside: Vec<bool> = inside.data.iter().map(|&v| v > 0).collect();
        mask_layers(&mut layers, &inside);
    }
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
    let (out, notes) = assess_layers(layers, &opts, &bar)?;
    let dir = match m.get_one::<PathBuf>("out") {
        Some(d) => d.clone(),
        None => plan.resolve(&plan.output.dir).join("assess"),
    };
    let rate = out.soil_conservation_rate;
    let files = write_assessment(&dir, out, &notes, &names)?;
    for n in &notes {
        eprintln!("  {n}");
    }
    if let Some(r) = rate {
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
        &mut l.water_yield,
        &mut l.soil_depth,
        &mut l.ksat,
        &mut l.rweq_wf,
        &mut l.rweq_ef,
        &mut l.rweq_scf,
        &mut l.rweq_k,
    ] {
        f(g);
    }
    for g in l.fragility_factors.values_mut() {
        for (v, &k) in g.data.iter_mut().zip(inside) {
            if !k {
                *v = f32::NAN;
            }
        }
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

/// Typical texture of a demo soil zone (mass %), behind the demo's synthesized RWEQ soil factors,
/// K_sat and the 土地沙化 texture score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Texture {
    pub sand: f64,
    pub silt: f64,
    pub clay: f64,
    pub organic_matter: f64,
    pub caco3: f64,
    /// 土地沙化 texture score: 基岩 1, 黏质 3, 砾质 5, 壤质 7, 沙质 9.
    pub score: f32,
}

/// 褐土 (calcareous cinnamon soil on loess, loam) on the plain below 1080 m.
const TEXTURE_CINNAMON: Texture = Texture {
    sand: 35.0,
    silt: 45.0,
    clay: 20.0,
    organic_matter: 1.2,
    caco3: 6.0,
    score: 7.0,
};
/// 淡栗钙土 (light chestnut soil, sandy loam) in the mountains above 1200 m.
const TEXTURE_CHESTNUT: Texture = Texture {
    sand: 55.0,
    silt: 30.0,
    clay: 15.0,
    organic_matter: 1.0,
    caco3: 8.0,
    score: 7.0,
};
/// 复配土 (mine spoil mixed with coal gangue, gravelly) on mining land.
const TEXTURE_SPOIL: Texture = Texture {
    sand: 60.0,
    silt: 25.0,
    clay: 15.0,
    organic_matter: 0.6,
    caco3: 3.0,
    score: 5.0,
};

/// The demo's soil zones (the same zoning as its soil erodibility layer): texture at elevation
/// `z` (m) for common land-use class `lu`; `None` on water and outside.
pub fn demo_texture(z: f32, lu: i32) -> Option<Texture> {
    if !z.is_finite() || lu == 0 || lu == 7 {
        return None;
    }
    if lu == 9 {
        return Some(TEXTURE_SPOIL);
    }
    let t = ((z as f64 - 1080.0) / 120.0).clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| a + (b - a) * t;
    let (a, b) = (TEXTURE_CINNAMON, TEXTURE_CHESTNUT);
    Some(Texture {
        sand: mix(a.sand, b.sand),
        silt: mix(a.silt, b.silt),
        clay: mix(a.clay, b.clay),
        organic_matter: mix(a.organic_matter, b.organic_matter),
        caco3: mix(a.caco3, b.caco3),
        score: 7.0,
    })
}

/// Saturated hydraulic conductivity (mm/d) from texture, Cosby et al. (1984):
/// log10 K_sat[in/h] = −0.6 + 0.0126·sand − 0.0064·clay.
pub fn ksat_cosby_mm_per_day(t: &Texture) -> f64 {
    10f64.powf(-0.6 + 0.0126 * t.sand - 0.0064 * t.clay) * 25.4 * 24.0
}

/// Assumptions of the demo's synthesized wind climate (no wind record in the bundle).
/// Wf = Σ U₂(U₂ − U₁)²·N_d/N summed over the year, m³·s⁻³, at the region's mean elevation.
const DEMO_WIND_WF: f64 = 100.0;
/// Probability of snow-free ground in the windy season (SD).
const DEMO_SNOW_FREE: f64 = 0.9;
/// Winter–spring days with wind ≥ 6 m/s at the mean elevation.
const DEMO_WIND_DAYS: f64 = 40.0;
/// Wind speed gain with height above the region's mean elevation, per m.
const DEMO_WIND_GAIN_PER_M: f64 = 0.0005;
/// ρ_air/g (kg·m⁻³ / m·s⁻²).
const AIR_DENSITY_OVER_G: f64 = 1.293 / 9.81;

/// Max − min elevation in the 3×3 neighbourhood (NaN where the centre is nodata).
fn relief3(dem: &Grid<f32>) -> Vec<f32> {
    use rayon::prelude::*;
    let (w, h) = (dem.width, dem.height);
    (0..w * h)
        .into_par_iter()
        .map(|i| {
            let z = dem.data[i];
            if dem.is_nodata(z) {
                return f32::NAN;
            }
            let (c, r) = (i % w, i / w);
            let (mut lo, mut hi) = (z, z);
            for rr in r.saturating_sub(1)..=(r + 1).min(h - 1) {
                for cc in c.saturating_sub(1)..=(c + 1).min(w - 1) {
                    let v = dem.data[rr * w + cc];
                    if !dem.is_nodata(v) {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
            }
            hi - lo
        })
        .collect()
}

/// The demo's SYNTHESIZED assessment inputs, derived deterministically from its climate, soil,
/// terrain and land-use layers: (name, grid, role) in the order written to assess/factors/.
fn demo_factor_layers(
    dem: &Grid<f32>,
    lu: &Grid<i32>,
    precip: &Grid<f32>,
    et0: &Grid<f32>,
    inside: &[bool],
) -> Vec<(&'static str, Grid<f32>, String)> {
    let spec = dem.spec();
    let n = spec.len();
    let (mut zs, mut k) = (0.0f64, 0u64);
    for (i, &z) in dem.data.iter().enumerate() {
        if inside[i] && z.is_finite() {
            zs += z as f64;
            k += 1;
        }
    }
    let z_mean = if k > 0 { zs / k as f64 } else { 0.0 };
    let relief = relief3(dem);
    let cell = spec.transform.dx.abs();
    let tex: Vec<Option<Texture>> = (0..n)
        .map(|i| {
            if inside[i] {
                demo_texture(dem.data[i], lu.data[i])
            } else {
                None
            }
        })
        .collect();
    let by_tex = |f: &dyn Fn(&Texture) -> f64| -> Grid<f32> {
        let data = tex
            .iter()
            .map(|t| t.as_ref().map_or(f32::NAN, |t| f(t) as f32))
            .collect();
        Grid::from_vec(&spec, data, Some(f32::NAN)).expect("sized")
    };
    // wind speed scale with height above the mean elevation, and its cube for wind power
    let exposure = |i: usize| -> f64 {
        let u = 1.0 + DEMO_WIND_GAIN_PER_M * (dem.data[i] as f64 - z_mean);
        u.clamp(0.7, 1.3)
    };
    let per_cell = |f: &dyn Fn(usize) -> f64| -> Grid<f32> {
        let data = (0..n)
            .map(|i| {
                let (p, e) = (precip.data[i], et0.data[i]);
                if !inside[i] || !p.is_finite() || !e.is_finite() || lu.data[i] == 0 {
                    f32::NAN
                } else {
                    f(i) as f32
                }
            })
            .collect();
        Grid::from_vec(&spec, data, Some(f32::NAN)).expect("sized")
    };
    let sealed = |i: usize| matches!(lu.data[i], 7 | 8);
    vec![
        (
            "ksat",
            by_tex(&ksat_cosby_mm_per_day),
            "saturated hydraulic conductivity K_sat, mm/d (SYNTHESIZED: Cosby 1984 pedotransfer from the demo soil zones' typical texture)".into(),
        ),
        (
            "rweq_wf",
            per_cell(&|i| {
                let (p, e) = (precip.data[i] as f64, et0.data[i] as f64);
                let soil_wetness = ((e - p) / e).clamp(0.0, 1.0);
                DEMO_WIND_WF * exposure(i).powi(3) * AIR_DENSITY_OVER_G * soil_wetness * DEMO_SNOW_FREE
            }),
            format!("RWEQ weather factor WF = Wf·(ρ/g)·SW·SD, kg/m (SYNTHESIZED: assumed Wf {DEMO_WIND_WF} m³/s³ scaled by (1 + {DEMO_WIND_GAIN_PER_M}·Δz)³, SW = (ET0 − P)/ET0 from the demo climate, SD {DEMO_SNOW_FREE})"),
        ),
        (
            "rweq_ef",
            {
                let mut g = by_tex(&|t| {
                    ecoplan_assess::dual::rweq::erodible_fraction(
                        t.sand, t.silt, t.clay, t.organic_matter, t.caco3,
                    )
                });
                for i in 0..n {
                    if sealed(i) && inside[i] {
                        g.data[i] = 0.0;
                    }
                }
                g
            },
            "RWEQ erodible fraction EF (SYNTHESIZED: METHODS §1.5 formula on the soil zones' typical texture; 0 on water and built-up land)".into(),
        ),
        (
            "rweq_scf",
            by_tex(&|t| ecoplan_assess::dual::rweq::soil_crust_factor(t.clay, t.organic_matter)),
            "RWEQ soil crust factor SCF = 1/(1 + 0.0066·clay² + 0.021·om²), clay and OM in % (SYNTHESIZED texture)".into(),
        ),
        (
            "rweq_k",
            per_cell(&|i| {
                // Smith–Carson over the 3×3 window; K_r capped at 18, where the fit has its minimum
                let (lo, hi) = (0.0, (18.0 * 3.0 * cell / 0.2f64).sqrt());
                let dh = (relief[i] as f64).clamp(lo, hi);
                ecoplan_assess::dual::rweq::roughness_factor(dh, 3.0 * cell, 0.0)
            }),
            "RWEQ surface roughness K′ = exp(1.86·K_r − 2.41·K_r^0.934), K_r = 0.2·ΔH²/L over 3×3 cells of the DEM, capped at K_r = 18 (the fit's minimum); C_rr = 0".into(),
        ),
        (
            "humidity_index",
            per_cell(&|i| precip.data[i] as f64 / (et0.data[i] as f64).max(1.0)),
            "humidity index P/ET0 (from the demo's precipitation and ET0 layers)".into(),
        ),
        (
            "wind_days",
            per_cell(&|i| DEMO_WIND_DAYS * exposure(i).powi(3)),
            format!("winter–spring days with wind ≥ 6 m/s (SYNTHESIZED: assumed {DEMO_WIND_DAYS} d at the mean elevation, × (1 + {DEMO_WIND_GAIN_PER_M}·Δz)³)"),
        ),
        (
            "texture_score",
            by_tex(&|t| t.score as f64),
            "土地沙化 soil texture score (壤质 7 on 褐土/淡栗钙土, 砾质 5 on mine spoil; SYNTHESIZED soil zones)".into(),
        ),
    ]
}

/// InVEST annual water yield (natcap.invest 3.20 semantics) of the demo, per pixel, mm.
fn demo_water_yield(
    lu: &Grid<i32>,
    precip: &Grid<f32>,
    et0: &Grid<f32>,
    pawc: &Grid<f32>,
    depth: &Grid<f32>,
    progress: &dyn Progress,
) -> Result<Grid<f32>> {
    use ecoplan_assess::invest::water_yield as awy;
    let bio = awy::biophysical_from_table(&parse_table(
        "presets/assess/awy_biophysical_common_classes.csv",
        AWY_BIO_PRESET,
    )?)?;
    let o = awy::annual_water_yield(
        &awy::WaterYieldInputs {
            lulc: lu,
            depth_to_root_rest_layer: depth,
            precipitation: precip,
            pawc,
            eto: et0,
            watersheds: None,
            sub_watersheds: None,
        },
        &bio,
        &awy::WaterYieldParams {
            seasonality_constant: DEMO_SEASONALITY_Z,
        },
        progress,
    )?;
    let y = &o.wyield;
    Ok(y.map(Some(f32::NAN), |v| v))
}

/// Seasonality constant Z of the demo: 0.2·N (InVEST user guide), N ≈ 70 rain days a year.
const DEMO_SEASONALITY_Z: f64 = 14.0;

/// Demo step: 双评价 生态保护重要性 on the demo layers, clipped to the region: 水源涵养 (InVEST
/// water yield with the retention correction), 水土保持 (RUSLE), 防风固沙 (RWEQ), 生物多样性维护
/// (habitat quality), 水土流失 and 土地沙化 sensitivity. Inputs the demo bundle lacks (K_sat, RWEQ
/// factors, wind days) are SYNTHESIZED here and written to assess/factors/.
pub fn demo_step(cx: &mut crate::demo::DemoContext) -> Result<()> {
    let grid = cx.region()?.grid.clone();
    let inside: Vec<bool> = cx.mask()?.data.iter().map(|&v| v == 1).collect();
    let mut l = RegionLayers {
        spec: Some(grid.clone()),
        ..Default::default()
    };
    let dem32 = cx.layer("dem")?.to_f32();
    l.dem = Some(dem32.cast::<f64>(Some(f64::NAN)));
    l.land_use = Some(cx.layer("landuse")?.to_f64().map(Some(0), |v| v as i32));
    l.precipitation = Some(cx.layer("precipitation")?.to_f32());
    if let Ok(r) = cx.layer("rainfall_erosivity") {
        l.r_factor = Some(r.to_f32());
    }
    l.k_factor = Some(cx.layer("soil_erodibility")?.to_f32());
    l.vegetation_cover = Some(fvc_from_ndvi(&cx.layer("ndvi")?.to_f32()));
    let et0 = cx.layer("et0")?.to_f32();
    let pawc = cx.layer("pawc")?.to_f32();
    let depth = cx.layer("soil_depth")?.to_f32();
    mask_layers(&mut l, &inside);
    let lu = l.land_use.clone().expect("set above");
    let precip = l.precipitation.clone().expect("set above");
    l.water_yield = Some(demo_water_yield(
        &lu,
        &precip,
        &et0,
        &pawc,
        &depth,
        cx.progress,
    )?);
    l.soil_depth = Some(depth);
    let mut written = Vec::new();
    for (name, g, role) in demo_factor_layers(&dem32, &lu, &precip, &et0, &inside) {
        let rel = format!("assess/factors/{name}.tif");
        cx.write_raster(&rel, &AnyGrid::F32(g.clone()), &role)?;
        written.push(rel);
        match name {
            "ksat" => l.ksat = Some(g),
            "rweq_wf" => l.rweq_wf = Some(g),
            "rweq_ef" => l.rweq_ef = Some(g),
            "rweq_scf" => l.rweq_scf = Some(g),
            "rweq_k" => l.rweq_k = Some(g),
            other => {
                l.fragility_factors.insert(other.to_string(), g);
            }
        }
    }
    cx.write_raster(
        "assess/factors/water_yield.tif",
        &AnyGrid::F32(l.water_yield.clone().expect("set above")),
        &format!("InVEST annual water yield Y, mm (natcap.invest 3.20 semantics on the demo climate and soil layers; presets/assess/awy_biophysical_common_classes.csv, Z = {DEMO_SEASONALITY_Z})"),
    )?;
    mask_layers(&mut l, &inside);
    let opts = AssessOptions {
        grading: GradingMethod::default(),
        min_patch_ha: 1.0,
        ls_china: false,
        tolerable_t_km2: 200.0,
    };
    let (out, mut notes) = assess_layers(l, &opts, cx.progress)?;
    notes.retain(|n| !n.starts_with("石漠化敏感性") && !n.starts_with("盐渍化敏感性"));
    notes.push("石漠化敏感性 not assessed: not applicable — 云冈区 lies outside the karst regions the 2020 guide and the national 岩溶地区石漠化 monitoring cover (8 southern provinces); no exposed-carbonate layer".into());
    notes.push("盐渍化敏感性 not assessed: the demo has no groundwater mineralisation or water-table depth data; only the evaporation/precipitation ratio could be derived, and one factor of four is not an honest composite".into());
    notes.push("SYNTHESIZED demo inputs (assess/factors/): K_sat, RWEQ WF/EF/SCF/K′, humidity index, wind days, texture score — derived deterministically from the demo's climate, soil-zone, terrain and land-use layers under stated assumptions, not measured".into());
    let dir = cx
        .out_path("assess/importance.tif")?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let rate = out.soil_conservation_rate;
    let service_keys: Vec<&str> = out.services.iter().map(|s| s.key).collect();
    let processes: Vec<String> = out.fragility.iter().map(|f| f.process.clone()).collect();
    let files = write_assessment(&dir, out, &notes, &HashMap::new())?;
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
            "soil_conservation_rate_percent": rate,
            "grading": "cumulative contribution 50 % / 80 %",
            "min_patch_ha": 1.0,
            "services": service_keys,
            "fragility": processes,
            "not_assessed": {
                "rocky_desertification": "not applicable: no karst in 云冈区",
                "salinization": "no groundwater mineralisation / water-table data",
            },
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
    fn demo_soil_zones_and_pedotransfer() {
        // Cosby 1984 on the 褐土 loam (35 % sand, 20 % clay): 10^(−0.6 + 0.441 − 0.128) in/h
        let loam = demo_texture(1000.0, 1).unwrap();
        let k = ksat_cosby_mm_per_day(&loam);
        assert!((k - 10f64.powf(-0.287) * 609.6).abs() < 1e-9, "{k}");
        assert!((k - 314.8).abs() < 0.1, "{k}");
        // halfway between the zones the texture is the mean; mine spoil is gravelly (score 5)
        let mid = demo_texture(1140.0, 5).unwrap();
        assert!((mid.sand - 45.0).abs() < 1e-9 && (mid.clay - 17.5).abs() < 1e-9);
        assert_eq!(demo_texture(1000.0, 9).unwrap().score, 5.0);
        assert!(demo_texture(1000.0, 7).is_none() && demo_texture(f32::NAN, 1).is_none());
    }

    #[test]
    fn fragility_processes_follow_the_layers_present() {
        let spec = GridSpec::new(
            4,
            4,
            ecoplan_grid::GeoTransform::north_up(0.0, 120.0, 30.0),
            None,
        );
        let g = |v: f32| Grid::filled(&spec, v, Some(f32::NAN));
        let mut l = RegionLayers {
            spec: Some(spec.clone()),
            vegetation_cover: Some(g(0.3)),
            ..Default::default()
        };
        l.fragility_factors.insert("humidity_index".into(), g(0.3));
        l.fragility_factors.insert("wind_days".into(), g(50.0));
        let mut params = AssessParams {
            soil: None,
            ..Default::default()
        };
        let mut notes = Vec::new();
        fragility_from_factors(&l, &mut params, &mut notes).unwrap();
        assert_eq!(params.fragility.len(), 1);
        let d = &params.fragility[0];
        assert_eq!(d.process, "desertification");
        // texture is optional: without its layer the composite has three factors
        let f: Vec<&str> = d.breaks.iter().map(|b| b.factor.as_str()).collect();
        assert_eq!(f, ["humidity_index", "wind_days", "vegetation_cover"]);
        assert!(notes.iter().any(
            |n| n.contains("salinization skipped") && n.contains("groundwater_mineralization")
        ));
        assert!(notes
            .iter()
            .any(|n| n.contains("rocky_desertification skipped")));
        // scores 5 (humidity 0.2–0.5), 7 (45–60 d), 7 (cover 0.2–0.4) → (5·7·7)^(1/3) = 6.26 → 高度 (4)
        let out =
            ecoplan_assess::dual::run_assessment(&l, &params, &ecoplan_grid::NoProgress).unwrap();
        let c = out.fragility[0].composite.data[0] as f64;
        assert!((c - 245f64.powf(1.0 / 3.0)).abs() < 1e-5, "{c}");
        assert_eq!(out.fragility[0].class.data[0], 4);
        assert_eq!(out.fragility[0].grade.data[0], 2);
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
