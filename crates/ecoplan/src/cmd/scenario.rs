//! `ecoplan scenario PLAN.toml --projects FILE`: scenario benefits (效益评估) of restoration
//! projects. Each project (geometry + 目标地类 `target_class` or 修复措施 `measure`) is burnt onto
//! the region grid and changes the base layers; carbon, habitat quality, soil and water
//! conservation and indicators are re-run (see [`engine`]) per project and for all projects.

pub mod engine;

use crate::config::classes::ClassTable;
use crate::config::{LayerKind, Plan};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgMatches, Command};
use ecoplan_assess::dual::chain::SoilParams;
use ecoplan_assess::dual::{run_assessment, AssessParams, RegionLayers};
use ecoplan_grid::{AnyGrid, Grid, GridSpec, Progress};
use ecoplan_io::align::warp;
use ecoplan_io::vector::rasterize::{rasterize_into, RasterizeOptions};
use ecoplan_io::vector::{FieldType, FieldValue, Layer};
use engine::{Action, BaseLayers, Benefits, Measure, ProjectCells, ScenarioParams, Services};
use geo::Geometry;
use std::path::{Path, PathBuf};

pub fn command() -> Command {
    Command::new("scenario")
        .about("情景效益评估 Scenario benefits of restoration projects (Δ碳储量, Δ生境质量, Δ土壤保持, Δ水源涵养, Δ指标)")
        .long_about(
            "把项目（几何 + 目标地类 target_class 或 修复措施 measure）栅格化到规划网格，改变基础图层后重算 \
             碳储量 (InVEST carbon)、生境质量 (InVEST HQ)、土壤保持 (RUSLE)、水源涵养 (水量平衡)、森林覆盖率、\
             草原综合植被盖度 (需 NDVI 图层)、水土保持率，逐项目（基准+该项目）与合计（基准+全部项目）报告变化量。\n\
             Projects: a GeoJSON/GeoPackage/Shapefile with fields `name` and `target_class` (common class \
             code, key or 中文名, presets/landuse/common_classes.csv) or `measure` (presets/scenario/measures.csv: \
             returning_farmland_to_forest 退耕还林, mine_regreening_grassland 矿山复绿, wetland_restoration 湿地修复, \
             afforestation 植树造林, terracing 坡耕地整治 …); or a plan data file (.toml/.json) whose projects carry \
             `geometry` (GeoJSON, lon/lat) and `target_class`/`measure`. All rows are checked before any work.\n\
             生态保护红线 and 自然保护地 shares are policy layers the projects do not change: when the plan \
             has them, the outputs say so (不变 unchanged) instead of giving a Δ.",
        )
        .arg(Arg::new("plan").value_name("PLAN.toml").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("projects").long("projects").value_name("FILE").required(true).value_parser(clap::value_parser!(PathBuf)).help("项目文件 Projects: .geojson/.gpkg/.shp or a plan data file .toml/.json"))
        .arg(Arg::new("out").long("out").short('o').value_name("DIR").value_parser(clap::value_parser!(PathBuf)).help("输出目录 Output folder (default: <plan output dir>/scenario)"))
        .arg(Arg::new("gamma").long("gamma").value_name("WHEN").value_parser(["total", "per-project", "off"]).default_value("total").help("连通度γ Network indices (α, β, γ, cost ratio) of the base network plus the planned-corridor projects' links: total (base and all projects), per-project, or off"))
        .arg(Arg::new("name-field").long("name-field").value_name("FIELD").default_value("name").help("项目名称字段 Field holding the project name"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan scenario data/demo/plan.toml --projects projects.geojson --out runs/scenario\n  \
             ecoplan scenario plan.toml --projects examples/plans/000_yungang/plan.toml\n\
             Outputs: benefits.csv / benefits.xlsx (项目, Δ碳储量 t, …), landuse_scenario.tif (all projects), \
             projects.gpkg (projects with their Δ attributes), benefits.json.",
        )
}

/// A project row as read, before checking.
#[derive(Debug, Clone, Default)]
pub struct ProjectRow {
    /// 1-based row (feature number or project number) for messages.
    pub row: usize,
    pub name: String,
    pub target_class: String,
    pub measure: String,
    pub geometry: Option<Geometry<f64>>,
    /// Note carried into the outputs (e.g. "SYNTHESIZED polygon").
    pub note: String,
}

/// Rows of a vector layer with fields `name_field`, `target_class` and/or `measure`.
pub fn rows_from_layer(layer: &Layer, name_field: &str) -> Result<Vec<ProjectRow>> {
    let mut p = Vec::new();
    let ni = layer.field_index(name_field);
    if ni.is_none() {
        p.push(format!(
            "缺少字段 missing field `{name_field}` (project name)"
        ));
    }
    let ti = layer.field_index("target_class");
    let mi = layer.field_index("measure");
    if ti.is_none() && mi.is_none() {
        p.push("缺少字段 missing field: needs `target_class` or `measure`".into());
    }
    let note = layer.field_index("note");
    if !p.is_empty() {
        bail!(
            "项目图层 {}: {}; fields present: {}",
            layer.name,
            p.join("; "),
            layer
                .fields
                .iter()
                .map(|f| f.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let text = |f: &ecoplan_io::vector::Feature, i: Option<usize>| -> String {
        match i.and_then(|i| f.properties.get(i)) {
            Some(FieldValue::Text(s)) => s.trim().to_string(),
            Some(FieldValue::Int(v)) => v.to_string(),
            Some(FieldValue::Real(v)) => v.to_string(),
            _ => String::new(),
        }
    };
    Ok(layer
        .features
        .iter()
        .enumerate()
        .map(|(k, f)| ProjectRow {
            row: k + 1,
            name: text(f, ni),
            target_class: text(f, ti),
            measure: text(f, mi),
            geometry: f.geometry.clone(),
            note: text(f, note),
        })
        .collect())
}

/// Rows of a plan data file: projects with a geometry or a scenario field (GeoJSON in lon/lat).
pub fn rows_from_plan(plan: &ecoplan_plan::Plan) -> Result<Vec<ProjectRow>> {
    let mut rows = Vec::new();
    let mut p = Vec::new();
    for (k, pr) in plan.projects.iter().enumerate() {
        if pr.geometry.is_empty() && pr.target_class.is_empty() && pr.measure.is_empty() {
            continue;
        }
        let geometry = if pr.geometry.is_empty() {
            None
        } else {
            let fc = format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{}}}]}}"#,
                pr.geometry
            );
            match ecoplan_io::vector::parse_geojson(&fc) {
                Ok(mut l) if l.features.len() == 1 && l.features[0].geometry.is_some() => {
                    l.features.remove(0).geometry
                }
                Ok(_) => {
                    p.push(format!(
                        "项目 {} `{}`: geometry 为空 empty geometry",
                        pr.id, pr.name
                    ));
                    None
                }
                Err(e) => {
                    p.push(format!(
                        "项目 {} `{}`: geometry 不是有效 GeoJSON ({e})",
                        pr.id, pr.name
                    ));
                    None
                }
            }
        };
        rows.push(ProjectRow {
            row: k + 1,
            name: pr.name.clone(),
            target_class: pr.target_class.clone(),
            measure: pr.measure.clone(),
            geometry,
            note: pr.note.clone(),
        });
    }
    if !p.is_empty() {
        bail!("{}", p.join("\n"));
    }
    if rows.is_empty() {
        bail!("规划数据中没有带几何或目标地类的项目 the plan has no project with a geometry, target_class or measure");
    }
    Ok(rows)
}

fn resolve_class(s: &str, classes: &ClassTable) -> Option<i32> {
    let s = s.trim();
    if let Ok(code) = s.parse::<i64>() {
        return classes
            .classes
            .iter()
            .find(|c| c.code as i64 == code)
            .map(|c| c.code as i32);
    }
    classes.find(s).map(|c| c.code as i32)
}

fn resolve_measure<'a>(s: &str, measures: &'a [Measure]) -> Option<&'a Measure> {
    let s = s.trim();
    measures.iter().find(|m| m.key == s || m.name_zh == s)
}

/// Checks every row (name, class or measure, geometry, inside the region) and burns the valid
/// ones onto the grid; all problems are reported at once.
pub fn resolve_projects(
    rows: &[ProjectRow],
    mask: &Grid<u8>,
    classes: &ClassTable,
    measures: &[Measure],
) -> Result<Vec<ProjectCells>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    // One reused burn buffer; cleared cell by cell after each project.
    let mut burn = Grid::filled(&mask.spec(), 0u8, Some(0));
    for r in rows {
        let label = format!("第 {} 行 row {} `{}`", r.row, r.row, r.name);
        let mut bad = false;
        if r.name.is_empty() {
            problems.push(format!("{label}: 缺少项目名称 missing name"));
            bad = true;
        }
        let action = match (r.target_class.is_empty(), r.measure.is_empty()) {
            (true, true) => {
                problems.push(format!("{label}: 缺少 target_class 或 measure (needs one)"));
                None
            }
            (false, false) => {
                problems.push(format!(
                    "{label}: 只能给出 target_class 或 measure 之一 (give one, not both)"
                ));
                None
            }
            (false, true) => match resolve_class(&r.target_class, classes) {
                Some(c) => Some(Action::to_class(c)),
                None => {
                    problems.push(format!(
                        "{label}: 未知地类 unknown target_class `{}`; use a code, key or name of presets/landuse/common_classes.csv ({})",
                        r.target_class,
                        classes.classes.iter().map(|c| format!("{} {}", c.code, c.key)).collect::<Vec<_>>().join(", ")
                    ));
                    None
                }
            },
            (true, false) => match resolve_measure(&r.measure, measures) {
                Some(m) => Some(Action::from_measure(m)),
                None => {
                    problems.push(format!(
                        "{label}: 未知措施 unknown measure `{}`; known: {}",
                        r.measure,
                        measures
                            .iter()
                            .map(|m| format!("{} {}", m.key, m.name_zh))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    None
                }
            },
        };
        let Some(g) = &r.geometry else {
            problems.push(format!("{label}: 缺少几何 missing geometry"));
            continue;
        };
        rasterize_into(&mut burn, g, 1u8, &RasterizeOptions::default());
        let mut cells = Vec::new();
        let mut outside = 0usize;
        for (i, b) in burn.data.iter_mut().enumerate() {
            if *b == 1 {
                *b = 0;
                if mask.data[i] == 1 {
                    cells.push(i as u32);
                } else {
                    outside += 1;
                }
            }
        }
        if cells.is_empty() {
            problems.push(format!(
                "{label}: 几何不在规划范围内 geometry covers no cell inside the region ({outside} cells outside); check its CRS and position"
            ));
            continue;
        }
        if let (Some(action), false) = (action, bad) {
            out.push(ProjectCells {
                name: r.name.clone(),
                cells,
                action,
            });
        }
    }
    if !problems.is_empty() {
        bail!(
            "项目有 {} 处问题 {} problem(s) in the projects; nothing was computed:\n  - {}",
            problems.len(),
            problems.len(),
            problems.join("\n  - ")
        );
    }
    Ok(out)
}

/// RUSLE potential soil loss R·K·LS (t/ha/a) from the assessment chain (soil only).
pub fn soil_potential(
    spec: &GridSpec,
    land_use: &Grid<i32>,
    dem: Grid<f64>,
    r: Grid<f32>,
    k: Grid<f32>,
    cover: Option<Grid<f32>>,
    params: &ScenarioParams,
    progress: &dyn Progress,
) -> Result<Grid<f32>> {
    let l = RegionLayers {
        spec: Some(spec.clone()),
        land_use: Some(land_use.clone()),
        dem: Some(dem),
        r_factor: Some(r),
        k_factor: Some(k),
        vegetation_cover: cover,
        ..Default::default()
    };
    let ap = AssessParams {
        soil: Some(SoilParams {
            c_by_class: params.c_by_class.clone(),
            p_by_class: params.p_by_class.clone(),
            tolerable_t_km2: params.tolerable_t_km2,
            ..Default::default()
        }),
        protected_floor: None,
        ..Default::default()
    };
    let o = run_assessment(&l, &ap, progress)?;
    o.soil_loss_potential
        .context("the assessment chain returned no soil loss")
}

const HEADERS: &[(&str, &str)] = &[
    ("项目", "project"),
    ("覆盖像元", "cells_covered"),
    ("变化面积 公顷", "changed_ha"),
    ("Δ碳储量 t", "d_carbon_t"),
    ("ΔCO₂ t", "d_co2_t"),
    ("Δ生境质量均值", "d_hq_mean"),
    ("Δ生境质量面积加权 公顷", "d_hq_area_ha"),
    ("Δ土壤保持量 t/a", "d_soil_conservation_t_a"),
    ("Δ水源涵养量 m³/a", "d_water_conservation_m3_a"),
    ("Δ连通度γ", "d_gamma"),
    ("Δ森林覆盖率 %", "d_forest_cover_pct"),
    ("Δ草原综合植被盖度 %", "d_grassland_fvc_pct"),
    ("Δ水土保持率 %", "d_soil_conservation_rate_pct"),
    ("Δ湿地面积 公顷", "d_wetland_ha"),
    ("Δ耕地面积 公顷", "d_cropland_ha"),
];

fn delta_values(
    name: &str,
    covered: u64,
    changed_ha: f64,
    d: &Services,
) -> Vec<crate::tables::Value> {
    use crate::tables::Value::{Empty, Int, Num, Text};
    let o = |v: Option<f64>| v.map_or(Empty, Num);
    vec![
        Text(name.to_string()),
        Int(covered as i64),
        Num(changed_ha),
        Num(d.carbon_t),
        Num(d.carbon_t * 44.0 / 12.0),
        Num(d.hq_mean),
        Num(d.hq_area_ha),
        o(d.soil_conservation_t),
        o(d.water_conservation_m3),
        o(d.gamma),
        Num(d.forest_cover_pct),
        o(d.grassland_fvc_pct),
        o(d.soil_conservation_rate),
        Num(d.wetland_ha),
        Num(d.cropland_ha),
    ]
}

/// The benefits table: one row per project, then 合计, then the base values (基准).
pub fn benefits_table(b: &Benefits) -> crate::tables::Table {
    let mut t = crate::tables::Table::new(&[]);
    // CSV gets the Chinese headers (the first of each pair); XLSX shows Chinese, then English.
    t.columns = HEADERS
        .iter()
        .map(|(z, e)| (z.to_string(), e.to_string()))
        .collect();
    for p in &b.projects {
        t.push(delta_values(
            &p.name,
            p.cells_covered,
            p.changed_ha,
            &p.delta,
        ));
    }
    t.push(delta_values(
        "合计 total",
        b.total.cells_covered,
        b.total.changed_ha,
        &b.total.delta,
    ));
    let mut base = delta_values("基准值 base (not Δ)", 0, 0.0, &b.base);
    base[1] = crate::tables::Value::Empty;
    base[2] = crate::tables::Value::Empty;
    t.push(base);
    t
}

/// Writes benefits.csv/.xlsx/.json, landuse_scenario.tif and projects.gpkg into `dir`.
pub fn write_outputs(
    dir: &Path,
    b: &Benefits,
    rows: &[ProjectRow],
    total_lu: &Grid<i32>,
    crs: Option<ecoplan_grid::Crs>,
    notes: &[String],
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let t = benefits_table(b);
    t.write(&dir.join("benefits.csv"))?;
    t.write(&dir.join("benefits.xlsx"))?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "base": b.base, "projects": b.projects, "total": b.total, "notes": notes,
        "units": {"carbon_t": "t C", "hq_area_ha": "Σ HQ × ha", "soil_conservation_t": "t/a", "water_conservation_m3": "m³/a", "forest_cover_pct": "%", "grassland_fvc_pct": "%"},
    }))?;
    let p = dir.join("benefits.json");
    ecoplan_io::atomic::write_atomic(&p, |w| {
        use std::io::Write;
        w.write_all(json.as_bytes())
            .map_err(|e| ecoplan_io::IoError::io(&p, e))
    })?;
    let lu8 = total_lu.map(Some(0u8), |v| v.clamp(0, 255) as u8);
    crate::rasters::write_raster(
        &dir.join("landuse_scenario.tif"),
        &AnyGrid::U8(lu8),
        &ecoplan_io::raster::WriteOptions {
            predictor: true,
            ..Default::default()
        },
    )?;
    let mut layer = Layer::new("projects", crs);
    for (n, ty) in [
        ("name", FieldType::Text),
        ("target_class", FieldType::Text),
        ("measure", FieldType::Text),
        ("note", FieldType::Text),
        ("cells_covered", FieldType::Int),
        ("changed_ha", FieldType::Real),
        ("d_carbon_t", FieldType::Real),
        ("d_hq_mean", FieldType::Real),
        ("d_hq_area_ha", FieldType::Real),
        ("d_soil_t_a", FieldType::Real),
        ("d_water_m3_a", FieldType::Real),
        ("d_forest_cover_pct", FieldType::Real),
        ("d_grassland_fvc_pct", FieldType::Real),
        ("d_gamma", FieldType::Real),
    ] {
        layer.add_field(n, ty);
    }
    let o = |v: Option<f64>| v.map_or(FieldValue::Null, FieldValue::Real);
    for (r, p) in rows.iter().zip(&b.projects) {
        let d = &p.delta;
        layer.push(
            r.geometry.clone(),
            vec![
                FieldValue::Text(r.name.clone()),
                FieldValue::Text(r.target_class.clone()),
                FieldValue::Text(r.measure.clone()),
                FieldValue::Text(r.note.clone()),
                FieldValue::Int(p.cells_covered as i64),
                FieldValue::Real(p.changed_ha),
                FieldValue::Real(d.carbon_t),
                FieldValue::Real(d.hq_mean),
                FieldValue::Real(d.hq_area_ha),
                o(d.soil_conservation_t),
                o(d.water_conservation_m3),
                FieldValue::Real(d.forest_cover_pct),
                o(d.grassland_fvc_pct),
                o(d.gamma),
            ],
        );
    }
    ecoplan_io::vector::write_vector(&dir.join("projects.gpkg"), &layer)?;
    Ok(vec![
        "benefits.csv".into(),
        "benefits.xlsx".into(),
        "benefits.json".into(),
        "landuse_scenario.tif".into(),
        "projects.gpkg".into(),
    ])
}

/// The note for a plan layer that is a policy mask the projects do not change (自然保护地:
/// kind `protected_areas`; 生态保护红线: a vector layer named as `ecoplan zoning` takes it), so
/// its share has no Δ; `None` for other layers.
pub fn policy_layer_note(kind: LayerKind, name: &str) -> Option<String> {
    let what = if kind == LayerKind::ProtectedAreas {
        "自然保护地占比 protected-area share"
    } else if kind.info().vector && crate::cmd::zoning::plan::RED_LINE_LAYER_NAMES.contains(&name) {
        "生态保护红线占比 red-line share"
    } else {
        return None;
    };
    Some(format!(
        "{what}: 不变 unchanged: policy layer `{name}` (projects do not change it; no Δ)"
    ))
}

/// Base layers of a plan (land use, NDVI → cover, precipitation, ET0, soil depth, K, DEM; R from
/// a raster layer named `r_factor` or from precipitation), masked to the region.
fn plan_base(
    plan: &Plan,
    grid: &GridSpec,
    mask: &Grid<u8>,
    params: &ScenarioParams,
    progress: &dyn Progress,
) -> Result<(BaseLayers, Vec<String>)> {
    let mut notes = Vec::new();
    let (mut lu, mut ndvi, mut precip, mut et0, mut depth, mut k, mut dem, mut r, mut pawc) =
        (None, None, None, None, None, None, None, None, None);
    for layer in &plan.layers {
        let kind = layer.kind.value;
        notes.extend(policy_layer_note(kind, &layer.name.value));
        if kind.info().vector {
            continue;
        }
        if kind == LayerKind::Landuse {
            lu = Some(crate::rasters::landuse_on_grid(
                plan, layer, grid, progress,
            )?);
            continue;
        }
        let path = plan.resolve(&layer.file.value);
        let src = crate::rasters::read_raster(&path)?;
        let f = warp(&src, grid, layer.resampling, progress)?.to_f32();
        match kind {
            LayerKind::Ndvi => ndvi = Some(f),
            LayerKind::Precipitation => precip = Some(f),
            LayerKind::Et0 => et0 = Some(f),
            LayerKind::SoilDepth => depth = Some(f),
            LayerKind::SoilErodibility => k = Some(f),
            LayerKind::Dem => dem = Some(f.cast::<f64>(Some(f64::NAN))),
            _ => match layer.name.value.as_str() {
                "r_factor" | "rainfall_erosivity" => r = Some(f),
                "pawc" => pawc = Some(f),
                _ => {}
            },
        }
    }
    let mut lu = lu.context("情景需要土地利用图层 the plan needs a layer of kind landuse")?;
    for (v, &m) in lu.data.iter_mut().zip(&mask.data) {
        if m != 1 {
            *v = 0;
        }
    }
    let cover = ndvi.map(|n| crate::cmd::assess::fvc_from_ndvi(&n));
    if r.is_none() {
        if let Some(p) = &precip {
            r = Some(p.map(Some(f32::NAN), |v| {
                (0.0483 * (v.max(0.0) as f64).powf(1.61)) as f32
            }));
            notes.push(
                "R = 0.0483·P^1.61 (Renard & Freimund 1994) from annual precipitation".into(),
            );
        }
    }
    let soil = match (dem, r, k) {
        (Some(d), Some(r), Some(k)) => Some(soil_potential(
            grid,
            &lu,
            d,
            r,
            k,
            cover.clone(),
            params,
            progress,
        )?),
        _ => {
            notes.push(
                "土壤保持 skipped: needs dem, soil_erodibility and precipitation (or r_factor)"
                    .into(),
            );
            None
        }
    };
    if precip.is_none() || et0.is_none() {
        notes.push("水源涵养 skipped: needs precipitation and et0".into());
    }
    Ok((
        BaseLayers {
            land_use: lu,
            cover,
            soil_potential: soil,
            precipitation: precip,
            et0,
            soil_depth: depth,
            pawc,
        },
        notes,
    ))
}

fn read_rows(path: &Path, name_field: &str, crs: &ecoplan_grid::Crs) -> Result<Vec<ProjectRow>> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "toml" || ext == "json" {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let plan = if ext == "toml" {
            ecoplan_plan::from_toml(&text)
        } else {
            ecoplan_plan::from_json(&text)
        }
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let mut rows = rows_from_plan(&plan)?;
        // GeoJSON geometries are lon/lat (RFC 7946): bring them into the analysis CRS.
        let mut l = Layer::new("projects", Some(ecoplan_grid::Crs::Epsg(4326)));
        for r in &rows {
            l.push(r.geometry.clone(), vec![]);
        }
        let l = crate::vectors::reproject_layer(&l, crs)?;
        for (r, f) in rows.iter_mut().zip(l.features) {
            r.geometry = f.geometry;
        }
        return Ok(rows);
    }
    let v = ecoplan_io::vector::read_vector(path, &Default::default())
        .with_context(|| format!("reading {}", path.display()))?;
    let v = match &v.crs {
        Some(c) if c != crs => crate::vectors::reproject_layer(&v, crs)?,
        _ => v,
    };
    rows_from_layer(&v, name_field)
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let plan_path: &PathBuf = m.get_one("plan").expect("required");
    let projects_path: &PathBuf = m.get_one("projects").expect("required");
    let name_field: &String = m.get_one("name-field").expect("default");
    let bar = crate::progress::Bar::new();
    let plan = crate::config::load_valid_plan(plan_path, &bar)?;
    let region = crate::region::load_region(&plan)?;
    let ids =
        ecoplan_io::vector::rasterize_ids(&region.boundary, &region.grid, &Default::default());
    let mask = ids.map(Some(0u8), |v| u8::from(v > 0));
    drop(ids);
    // Check every project row before any heavy work.
    let rows = read_rows(projects_path, name_field, &region.crs)?;
    let params = ScenarioParams::presets()?;
    let measures = engine::parse_measures(engine::MEASURES_PRESET)?;
    let projects = resolve_projects(&rows, &mask, &ClassTable::builtin(), &measures)?;
    let (base, notes) = plan_base(&plan, &region.grid, &mask, &params, &bar)?;
    let ge = GammaEval::new(&mask, &projects, &rows)?;
    let gamma = |l: &Grid<i32>, applied: &[usize]| ge.gamma(l, applied);
    let when = m
        .get_one::<String>("gamma")
        .map(String::as_str)
        .unwrap_or("total");
    let extra: Option<engine::ExtraEval> = if when == "off" { None } else { Some(&gamma) };
    let (b, total_lu) = engine::run_scenarios(
        &base,
        &projects,
        &params,
        extra,
        when == "per-project",
        &bar,
    )?;
    let dir = match m.get_one::<PathBuf>("out") {
        Some(d) => d.clone(),
        None => plan.resolve(&plan.output.dir).join("scenario"),
    };
    let mut files = write_outputs(&dir, &b, &rows, &total_lu, Some(region.crs.clone()), &notes)?;
    if extra.is_some() {
        let names: Vec<String> = projects.iter().map(|p| p.name.clone()).collect();
        ge.write_table(&dir.join("network.csv"), &names)?;
        files.push("network.csv".into());
    }
    for n in &notes {
        eprintln!("  {n}");
    }
    eprintln!(
        "合计 total: Δ碳储量 {:.1} t, Δ生境质量均值 {:.5}, Δ土壤保持 {} t/a, Δ水源涵养 {} m³/a, Δ森林覆盖率 {:.3} %, Δ草原综合植被盖度 {} %",
        b.total.delta.carbon_t,
        b.total.delta.hq_mean,
        b.total.delta.soil_conservation_t.map_or("—".into(), |v| format!("{v:.1}")),
        b.total.delta.water_conservation_m3.map_or("—".into(), |v| format!("{v:.0}")),
        b.total.delta.forest_cover_pct,
        b.total.delta.grassland_fvc_pct.map_or("—".into(), |v| format!("{v:.3}"))
    );
    eprintln!("已写出 wrote {} files into {}", files.len(), dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::GeoTransform;
    use geo::{polygon, Polygon};

    fn square(x0: f64, y0: f64, s: f64) -> Geometry<f64> {
        let p: Polygon<f64> = polygon![(x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s), (x: x0, y: y0)];
        Geometry::Polygon(p)
    }

    /// A 60 × 20 cropland grid (class 1) with three 12 × 14 forest blocks (class 3) and an
    /// all-valid region mask.
    fn three_forest_blocks() -> (GridSpec, Grid<i32>, Grid<u8>) {
        let spec = GridSpec::new(60, 20, GeoTransform::north_up(0.0, 600.0, 30.0), None);
        let mut lu = Grid::filled(&spec, 1i32, Some(0));
        for (c0, c1) in [(2, 14), (24, 36), (46, 58)] {
            for r in 3..17 {
                for c in c0..c1 {
                    lu.set(c, r, 3);
                }
            }
        }
        let mask = Grid::filled(&spec, 1u8, Some(0));
        (spec, lu, mask)
    }

    /// γ by the pattern chain: the chain's own doc example has γ = 2/3 (links A–B, B–C); making
    /// the cropland between the forest blocks orchard lowers only resistance (orchard is not
    /// ecological land, so the sources stay), and γ must not fall.
    #[test]
    fn gamma_does_not_fall_when_only_resistance_decreases() {
        let (spec, lu, mask) = three_forest_blocks();
        let table = ecoplan_pattern::resistance::ResistanceTable::preset("common_default").unwrap();
        let mut pp = gamma_params();
        pp.min_area_ha = 5.0;
        let gamma = |l: &Grid<i32>, _: &[usize]| gamma_of(l, &mask, &table, &pp);
        let cells: Vec<u32> = (0..spec.len() as u32)
            .filter(|&i| lu.data[i as usize] == 1)
            .collect();
        let base = BaseLayers {
            land_use: lu,
            cover: None,
            soil_potential: None,
            precipitation: None,
            et0: None,
            soil_depth: None,
            pawc: None,
        };
        let pr = ProjectCells {
            name: "园地".into(),
            cells,
            action: Action::to_class(2),
        };
        let params = ScenarioParams::presets().unwrap();
        let (b, _) = engine::run_scenarios(
            &base,
            &[pr],
            &params,
            Some(&gamma),
            true,
            &ecoplan_grid::NoProgress,
        )
        .unwrap();
        assert!(
            (b.base.gamma.unwrap() - 2.0 / 3.0).abs() < 1e-12,
            "{:?}",
            b.base.gamma
        );
        assert!(b.projects[0].delta.gamma.unwrap() >= 0.0);
        assert_eq!(b.projects[0].delta.gamma, b.total.delta.gamma);
        // carbon: exact pool arithmetic over the changed cells
        let pools = &params.carbon_pools.pools;
        let d: f64 = pools[&2].iter().sum::<f64>() - pools[&1].iter().sum::<f64>();
        let n = b.projects[0].cells_changed as f64;
        assert!((b.projects[0].delta.carbon_t - n * d * 0.09).abs() < 1e-6 * (n * d * 0.09).abs());
    }

    /// γ of scenarios as METHODS §3.6 defines it: three forest blocks in a row give the base
    /// network A–B, B–C (V = 3, γ = 2/3). A planned corridor (生态廊道建设) from A's core down
    /// to row 18, along it and up into C's core adds A–C: γ = 3/3 = 1, α = 1. An orchard
    /// project adds no link: Δγ = 0. The total has both: Δγ = 1/3, and network.csv says so.
    #[test]
    fn planned_corridor_adds_its_link_to_the_base_network() {
        let (spec, lu, mask) = three_forest_blocks();
        let w = spec.width;
        let mut corridor: Vec<u32> = (15..=18).map(|r| (r * w + 8) as u32).collect();
        corridor.extend((9..=52).map(|c| (18 * w + c) as u32));
        corridor.extend((15..18).map(|r| (r * w + 52) as u32));
        let orchard: Vec<u32> = (0..spec.len() as u32)
            .filter(|&i| lu.data[i as usize] == 1 && (i as usize) / w < 2)
            .collect();
        let row = |name: &str, measure: &str| ProjectRow {
            row: 1,
            name: name.into(),
            target_class: String::new(),
            measure: measure.into(),
            geometry: None,
            note: String::new(),
        };
        let rows = [row("廊道", CORRIDOR_MEASURE), row("园地", "")];
        let projects = [
            ProjectCells {
                name: "廊道".into(),
                cells: corridor,
                action: Action::to_class(3),
            },
            ProjectCells {
                name: "园地".into(),
                cells: orchard,
                action: Action::to_class(2),
            },
        ];
        let mut ge = GammaEval::new(&mask, &projects, &rows).unwrap();
        ge.params.min_area_ha = 5.0;
        let gamma = |l: &Grid<i32>, applied: &[usize]| ge.gamma(l, applied);
        let base = BaseLayers {
            land_use: lu,
            cover: None,
            soil_potential: None,
            precipitation: None,
            et0: None,
            soil_depth: None,
            pawc: None,
        };
        let params = ScenarioParams::presets().unwrap();
        let (b, _) = engine::run_scenarios(
            &base,
            &projects,
            &params,
            Some(&gamma),
            true,
            &ecoplan_grid::NoProgress,
        )
        .unwrap();
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(b.base.gamma, 2.0 / 3.0), "{:?}", b.base.gamma);
        assert!(
            close(b.projects[0].delta.gamma, 1.0 / 3.0),
            "{:?}",
            b.projects[0].delta
        );
        assert!(
            close(b.projects[1].delta.gamma, 0.0),
            "{:?}",
            b.projects[1].delta
        );
        assert!(close(b.total.delta.gamma, 1.0 / 3.0), "{:?}", b.total.delta);
        let records = ge.records.lock().unwrap();
        let total = records.iter().find(|r| r.projects.len() == 2).unwrap();
        assert_eq!(
            (total.nodes, total.existing_links, total.planned_links_added),
            (3, 2, 1)
        );
        let (a, c) = (
            ge.base.get().unwrap().sources.patches.get(8, 8),
            ge.base.get().unwrap().sources.patches.get(52, 8),
        );
        assert_eq!(total.planned_pairs, vec![(a.min(c), a.max(c))]);
        let ix = total.indices.unwrap();
        assert!((ix.alpha - 1.0).abs() < 1e-12 && (ix.beta - 1.0).abs() < 1e-12);
        drop(records);
        let dir = std::env::temp_dir().join(format!("ecoplan-gamma-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("network.csv");
        ge.write_table(&path, &["廊道".into(), "园地".into()])
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let total_line = text.lines().find(|l| l.starts_with("合计")).unwrap();
        assert!(
            total_line.starts_with("合计 total,3,2,1,3,1,1,1,"),
            "{total_line}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// 草原综合植被盖度 in the written outputs: grassland on row 0 of the fixture with covers 0.25
    /// and 0.75 alternating (mean 50 %, median 0.25); a project turns cropland row 1 (cover 0.125)
    /// into grassland, which gets the median 0.25: 45/120 = 37.5 %, Δ −12.5. benefits.csv has
    /// the column (Δ per project and total, base value in the 基准 row), projects.gpkg and
    /// benefits.json carry it; without a cover layer the cells are empty.
    #[test]
    fn grassland_fvc_column_in_the_benefits_outputs() {
        let (spec, mut lu, _) = three_forest_blocks();
        let w = spec.width;
        let mut cover = Grid::filled(&spec, 0.125f32, None);
        for c in 0..w {
            lu.set(c, 0, 5);
            cover.set(c, 0, if c % 2 == 0 { 0.25 } else { 0.75 });
        }
        for (v, &l) in cover.data.iter_mut().zip(&lu.data) {
            if l == 3 {
                *v = 0.875;
            }
        }
        let mut base = BaseLayers {
            land_use: lu,
            cover: Some(cover),
            soil_potential: None,
            precipitation: None,
            et0: None,
            soil_depth: None,
            pawc: None,
        };
        let projects = [ProjectCells {
            name: "退耕还草".into(),
            cells: (w as u32..2 * w as u32).collect(),
            action: Action::to_class(5),
        }];
        let rows = [ProjectRow {
            row: 1,
            name: "退耕还草".into(),
            target_class: "5".into(),
            ..Default::default()
        }];
        let params = ScenarioParams::presets().unwrap();
        let dir = std::env::temp_dir().join(format!("ecoplan-scenario-fvc-{}", std::process::id()));
        let col = "Δ草原综合植被盖度 %";
        let run = |base: &BaseLayers| -> Vec<std::collections::HashMap<String, String>> {
            let (b, total_lu) = engine::run_scenarios(
                base,
                &projects,
                &params,
                None,
                false,
                &ecoplan_grid::NoProgress,
            )
            .unwrap();
            write_outputs(&dir, &b, &rows, &total_lu, None, &[]).unwrap();
            let mut r = csv::Reader::from_path(dir.join("benefits.csv")).unwrap();
            r.deserialize().map(|x| x.unwrap()).collect()
        };
        let t = run(&base);
        let cell =
            |t: &[std::collections::HashMap<String, String>], row: usize| t[row][col].clone();
        assert_eq!(
            (cell(&t, 0), cell(&t, 1), cell(&t, 2)),
            ("-12.5".to_string(), "-12.5".to_string(), "50".to_string())
        );
        assert!(t[2]["项目"].starts_with("基准"));
        let gp = ecoplan_io::vector::read_vector(&dir.join("projects.gpkg"), &Default::default())
            .unwrap();
        let f = &gp.features[0];
        assert_eq!(
            f.get(&gp, "d_grassland_fvc_pct").unwrap().as_f64(),
            Some(-12.5)
        );
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("benefits.json")).unwrap())
                .unwrap();
        assert_eq!(j["total"]["scenario"]["grassland_fvc_pct"], 37.5);
        assert_eq!(j["units"]["grassland_fvc_pct"], "%");
        // No NDVI/cover layer: the cells are empty, not 0.
        base.cover = None;
        let t = run(&base);
        assert_eq!(
            (cell(&t, 0), cell(&t, 1), cell(&t, 2)),
            (String::new(), String::new(), String::new())
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn only_policy_layers_get_the_unchanged_note() {
        let n = policy_layer_note(LayerKind::ProtectedAreas, "保护地").unwrap();
        assert!(
            n.starts_with("自然保护地占比")
                && n.contains("不变 unchanged")
                && n.contains("`保护地`"),
            "{n}"
        );
        let n = policy_layer_note(LayerKind::Vector, "red_line").unwrap();
        assert!(
            n.starts_with("生态保护红线占比") && n.contains("不变 unchanged"),
            "{n}"
        );
        // a raster named like the red line is not the zoning red-line mask; other layers get none
        assert_eq!(policy_layer_note(LayerKind::Raster, "red_line"), None);
        assert_eq!(policy_layer_note(LayerKind::Roads, "roads"), None);
        assert_eq!(policy_layer_note(LayerKind::Vector, "zones"), None);
    }

    #[test]
    fn every_bad_row_is_reported_at_once() {
        let spec = GridSpec::new(10, 10, GeoTransform::north_up(0.0, 100.0, 10.0), None);
        let mask = Grid::filled(&spec, 1u8, Some(0));
        let mut layer = Layer::new("p", None);
        for f in ["name", "target_class", "measure"] {
            layer.add_field(f, FieldType::Text);
        }
        let t = |s: &str| FieldValue::Text(s.into());
        layer.push(
            Some(square(0.0, 0.0, 30.0)),
            vec![t("ok"), t("forest"), t("")],
        );
        layer.push(
            Some(square(0.0, 0.0, 30.0)),
            vec![t("bad class"), t("jungle"), t("")],
        );
        layer.push(
            Some(square(500.0, 500.0, 30.0)),
            vec![t("far away"), t("3"), t("")],
        );
        layer.push(
            Some(square(0.0, 0.0, 30.0)),
            vec![t("no action"), t(""), t("")],
        );
        layer.push(
            Some(square(0.0, 0.0, 30.0)),
            vec![t(""), t(""), t("退耕还林")],
        );
        layer.push(None, vec![t("no geometry"), t(""), t("terracing")]);
        layer.push(
            Some(square(0.0, 0.0, 30.0)),
            vec![t("bad measure"), t(""), t("magic")],
        );
        let rows = rows_from_layer(&layer, "name").unwrap();
        let measures = engine::parse_measures(engine::MEASURES_PRESET).unwrap();
        let e = resolve_projects(&rows, &mask, &ClassTable::builtin(), &measures)
            .unwrap_err()
            .to_string();
        for needle in [
            "jungle",
            "`far away`",
            "no cell inside",
            "`no action`",
            "missing name",
            "`no geometry`",
            "magic",
            "6 problem",
        ] {
            assert!(e.contains(needle), "missing {needle} in:\n{e}");
        }
        assert!(!e.contains("`ok`"), "{e}");
        // a layer without the fields is refused naming them
        let mut l2 = Layer::new("q", None);
        l2.add_field("title", FieldType::Text);
        let e = rows_from_layer(&l2, "name").unwrap_err().to_string();
        assert!(e.contains("`name`") && e.contains("target_class"), "{e}");
        // the valid row burns the 3×3 cells of the lower-left corner
        let ok = resolve_projects(&rows[..1], &mask, &ClassTable::builtin(), &measures).unwrap();
        assert_eq!(ok[0].cells.len(), 9);
        assert_eq!(ok[0].action, Action::to_class(3));
    }
}

/// Parameters of the pattern chain for γ in scenarios: sources, resistance and Linkage Mapper
/// corridors only (no current, pinch points or barriers — γ needs only nodes and links).
pub fn gamma_params() -> ecoplan_pattern::chain::PatternParams {
    ecoplan_pattern::chain::PatternParams {
        current: ecoplan_pattern::chain::CurrentMode::None,
        pinchpoints: false,
        barriers: false,
        ..Default::default()
    }
}

/// Measure key of planned-corridor projects (presets/scenario/measures.csv): besides the land-use
/// change, such a project adds links between the sources it joins when γ is computed.
pub const CORRIDOR_MEASURE: &str = "ecological_corridor";

/// γ (生态廊道连通度 = L/(3(V − 2))) of a land-use map by `ecoplan_pattern::chain::run_pattern`
/// with the common_default resistance table; NaN when the chain finds fewer than 3 sources.
/// (The CLI and the demo use [`GammaEval`], which adds planned-corridor links.)
#[cfg(test)]
pub fn gamma_of(
    lu: &Grid<i32>,
    mask: &Grid<u8>,
    table: &ecoplan_pattern::resistance::ResistanceTable,
    params: &ecoplan_pattern::chain::PatternParams,
) -> Result<f64> {
    let mut inputs = ecoplan_pattern::chain::PatternInputs::new(lu, table);
    inputs.region = Some(mask);
    let out = ecoplan_pattern::chain::run_pattern(&inputs, params, &ecoplan_grid::NoProgress)?;
    Ok(out.network.map_or(f64::NAN, |n| n.gamma))
}

/// The network behind one γ value of a scenario (for scenario/network.csv).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GammaRecord {
    /// Indices of the projects applied (empty = base).
    pub projects: Vec<usize>,
    /// Sources V of the base network (the node set is fixed, METHODS §3.6).
    pub nodes: usize,
    /// Corridors the pattern chain keeps on the base land use (the existing network).
    pub existing_links: usize,
    /// Links the applied planned-corridor projects add (not already existing).
    pub planned_links_added: usize,
    /// Planned corridor links as (source a, source b).
    pub planned_pairs: Vec<(u32, u32)>,
    /// α, β, γ of existing + planned links (None when V < 3).
    pub indices: Option<ecoplan_pattern::network::NetworkIndices>,
    /// Network cost ratio 1 − Σ LCP length / Σ LCD of existing + planned links (planned links
    /// along their pair's least-cost path; None when unknown).
    pub cost_ratio: Option<f64>,
}

impl GammaRecord {
    /// γ = (existing + planned links)/(3(V − 2)); NaN when V < 3.
    pub fn gamma(&self) -> f64 {
        self.indices.map_or(f64::NAN, |n| n.gamma)
    }
}

/// γ of scenarios, as METHODS §3.6 / issue #4 item 8 define it: the network of the base land
/// use (sources V and the corridors the pattern chain keeps) before and after adding the links
/// of the applied planned-corridor projects ([`CORRIDOR_MEASURE`]), on the same node set
/// (`PatternOutputs::planned_network`). The chain is NOT re-run on the scenario's land use:
/// a re-run re-prunes the candidate links (Linkage Mapper's N-nearest and
/// drop-paths-through-cores rules), and a planned corridor that makes a cheaper path through
/// a third source then removes an existing link, so γ fell by the link the corridor added.
/// Every evaluation is recorded.
pub struct GammaEval<'a> {
    pub mask: &'a Grid<u8>,
    pub table: ecoplan_pattern::resistance::ResistanceTable,
    pub params: ecoplan_pattern::chain::PatternParams,
    /// Cells of each project that is a planned corridor, by project index (None otherwise).
    pub corridors: Vec<Option<Vec<usize>>>,
    /// The chain on the base land use: set on the base evaluation (the engine evaluates the
    /// base first) or beforehand when the caller already ran it.
    pub base: std::sync::OnceLock<ecoplan_pattern::chain::PatternOutputs>,
    pub records: std::sync::Mutex<Vec<GammaRecord>>,
}

impl<'a> GammaEval<'a> {
    pub fn new(mask: &'a Grid<u8>, projects: &[ProjectCells], rows: &[ProjectRow]) -> Result<Self> {
        let corridors = projects
            .iter()
            .zip(rows)
            .map(|(p, r)| {
                (r.measure.trim() == CORRIDOR_MEASURE)
                    .then(|| p.cells.iter().map(|&c| c as usize).collect())
            })
            .collect();
        Ok(GammaEval {
            mask,
            table: ecoplan_pattern::resistance::ResistanceTable::preset("common_default")?,
            params: gamma_params(),
            corridors,
            base: std::sync::OnceLock::new(),
            records: Default::default(),
        })
    }

    /// The chain on a land-use map (no current, pinch points or barriers).
    pub fn chain(&self, lu: &Grid<i32>) -> Result<ecoplan_pattern::chain::PatternOutputs> {
        let mut inputs = ecoplan_pattern::chain::PatternInputs::new(lu, &self.table);
        inputs.region = Some(self.mask);
        Ok(ecoplan_pattern::chain::run_pattern(
            &inputs,
            &self.params,
            &ecoplan_grid::NoProgress,
        )?)
    }

    /// γ with the projects `applied` (see [`engine::ExtraEval`]): the base network plus the
    /// links of the applied planned corridors. `lu` is used only for the base evaluation
    /// (`applied` empty), which must come first unless `base` is already set.
    pub fn gamma(&self, lu: &Grid<i32>, applied: &[usize]) -> Result<f64> {
        let out = match self.base.get() {
            Some(b) => b,
            None if applied.is_empty() => {
                let out = self.chain(lu)?;
                self.base.get_or_init(|| out)
            }
            None => bail!("scenario γ: the base network must be evaluated before the projects"),
        };
        let planned: Vec<Vec<usize>> = applied
            .iter()
            .filter_map(|&k| self.corridors.get(k).cloned().flatten())
            .collect();
        let existing_links = out.corridors.kept_links().count();
        let nodes = out.sources.table.len();
        let record = match out.planned_network(&planned) {
            Ok(p) => GammaRecord {
                projects: applied.to_vec(),
                nodes,
                existing_links,
                planned_links_added: p.comparison.added_links,
                planned_pairs: p.links.iter().map(|l| (l.source_a, l.source_b)).collect(),
                indices: Some(p.comparison.after),
                cost_ratio: if planned.is_empty() {
                    p.cost_ratio_before
                } else {
                    p.cost_ratio_after
                },
            },
            // Fewer than 3 sources: the indices are undefined either way.
            Err(_) => GammaRecord {
                projects: applied.to_vec(),
                nodes,
                existing_links,
                planned_links_added: 0,
                planned_pairs: Vec::new(),
                indices: None,
                cost_ratio: out.network_cost_ratio,
            },
        };
        let gamma = record.gamma();
        self.records.lock().expect("records lock").push(record);
        Ok(gamma)
    }

    /// Writes scenario/network.csv: V, existing links, planned links added, L, α, β, γ and the
    /// network cost ratio for the base, each evaluated project and the total.
    pub fn write_table(&self, path: &Path, project_names: &[String]) -> Result<()> {
        let records = self.records.lock().expect("records lock");
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "scenario",
            "nodes_V",
            "existing_links",
            "planned_links_added",
            "links_L",
            "alpha",
            "beta",
            "gamma",
            "cost_ratio",
            "planned_pairs",
        ])?;
        let n = project_names.len();
        let fin = |x: Option<f64>| {
            x.filter(|v| v.is_finite())
                .map_or(String::new(), |v| format!("{v}"))
        };
        for r in records.iter() {
            let label = match r.projects.len() {
                0 => "基准 base".to_string(),
                k if k == n && n != 1 => "合计 total".to_string(),
                1 => project_names[r.projects[0]].clone(),
                _ => format!("{:?}", r.projects),
            };
            w.write_record([
                label,
                r.nodes.to_string(),
                r.existing_links.to_string(),
                r.planned_links_added.to_string(),
                (r.existing_links + r.planned_links_added).to_string(),
                fin(r.indices.map(|x| x.alpha)),
                fin(r.indices.map(|x| x.beta)),
                fin(r.indices.map(|x| x.gamma)),
                fin(r.cost_ratio),
                r.planned_pairs
                    .iter()
                    .map(|(a, b)| format!("{a}-{b}"))
                    .collect::<Vec<_>>()
                    .join(";"),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        ecoplan_io::atomic::write_atomic(path, |f| {
            use std::io::Write;
            f.write_all(&bytes)
                .map_err(|e| ecoplan_io::IoError::io(path, e))
        })?;
        Ok(())
    }
}

/// How the demo's planned corridor is chosen (recorded with the project).
const DEMO_CORRIDOR_RULE: &str = "cells on the straight line between the centroids of the closest pair of base sources no corridor joins, adding a link, inside the region and missing the other projects";

/// The demo's planned corridor project: the least-cost path (a line) of the cheapest pruned
/// candidate link of `base` whose rasterized cells miss every other project and include some
/// cells the measure changes; None when no candidate qualifies.
pub fn synthesize_demo_corridor(
    base: &ecoplan_pattern::chain::PatternOutputs,
    lu: &Grid<i32>,
    mask: &Grid<u8>,
    others: &[ProjectCells],
    measures: &[Measure],
) -> Result<Option<(ProjectRow, ProjectCells)>> {
    let spec = lu.spec();
    let mut used = vec![false; spec.len()];
    for p in others {
        for &c in &p.cells {
            used[c as usize] = true;
        }
    }
    let changes = [1, 5, 10];
    let inside = |c: usize| mask.data[c] == 1;
    // Cells of other projects or outside the region are left out of the corridor.
    let Some((a, b, cells)) = crate::cmd::pattern::unlinked_pair_corridor(
        base,
        |c| !used[c] && inside(c),
        |cells| cells.iter().any(|&c| changes.contains(&lu.data[c])),
    ) else {
        return Ok(None);
    };
    let row = ProjectRow {
        row: others.len() + 1,
        name: format!("生态廊道建设（规划廊道 源地{a}–源地{b}）"),
        target_class: String::new(),
        measure: CORRIDOR_MEASURE.into(),
        geometry: Some(cell_squares(&spec, &cells)),
        note: format!("SYNTHESIZED corridor (demo rule: {DEMO_CORRIDOR_RULE})"),
    };
    let mut p = resolve_projects(
        std::slice::from_ref(&row),
        mask,
        &ClassTable::builtin(),
        measures,
    )?;
    Ok(Some((row, p.remove(0))))
}

/// The cells as a multipolygon of cell squares (burns exactly those cells by cell centre).
fn cell_squares(spec: &GridSpec, cells: &[usize]) -> Geometry<f64> {
    let t = spec.transform;
    let polys = cells
        .iter()
        .map(|&i| {
            let (c, r) = ((i % spec.width) as f64, (i / spec.width) as f64);
            let at = |cc: f64, rr: f64| geo::Coord {
                x: t.x0 + cc * t.dx + rr * t.rx,
                y: t.y0 + cc * t.ry + rr * t.dy,
            };
            geo::Polygon::new(
                geo::LineString::from(vec![
                    at(c, r),
                    at(c + 1.0, r),
                    at(c + 1.0, r + 1.0),
                    at(c, r + 1.0),
                    at(c, r),
                ]),
                vec![],
            )
        })
        .collect();
    Geometry::MultiPolygon(geo::MultiPolygon(polys))
}

/// Whether the demo reports γ for each project too (cheap: γ adds planned links to the base
/// network, no chain re-run) or only for the base and the total.
const DEMO_GAMMA_PER_PROJECT: bool = true;

/// Block size (cells) of the demo's project search: 50 × 30 m = 1.5 km.
const DEMO_BLOCK: usize = 50;

/// A rule that picks a demo project: the block with the most eligible cells (not yet used); the
/// project polygon is the outline of those eligible cells.
struct DemoRule {
    name: &'static str,
    measure: &'static str,
    rule: &'static str,
    /// Cells the project covers: class, slope (°), within 60 m of a stream.
    /// `steep`/`moderate`: the 90th/60th percentiles of cropland slope in the region.
    eligible: fn(class: i32, slope_deg: f32, near_stream: bool, steep: f32, moderate: f32) -> bool,
}

const DEMO_RULES: &[DemoRule] = &[
    DemoRule { name: "大同市云冈区历史遗留废弃矿山生态修复示范项目", measure: "mine_regreening_grassland", rule: "采矿用地/未利用地 cells (9, 10) of the 1.5 km block with the most of them", eligible: |c, _, _, _, _| c == 9 || c == 10 },
    DemoRule { name: "云冈区鸦儿崖乡鸦儿崖村东沟生态修复项目", measure: "mine_regreening_forest", rule: "采矿用地/未利用地 cells (9, 10) of the next-best block", eligible: |c, _, _, _, _| c == 9 || c == 10 },
    DemoRule { name: "大同市云冈区高山镇全域土地综合整治试点项目（坡耕地退耕还林）", measure: "returning_farmland_to_forest", rule: "耕地 (1) on the steepest 10 % of cropland slopes (≥ the 90th percentile) in the block with the most of them", eligible: |c, s, _, steep, _| c == 1 && s >= steep },
    DemoRule { name: "甘河生态蓄水湿地工程", measure: "wetland_restoration", rule: "耕地/草地/未利用地 (1, 5, 10) within 2 cells (60 m) of a stream (≥ 1 km² accumulation) in the block with the most of them", eligible: |c, _, n, _, _| n && (c == 1 || c == 5 || c == 10) },
    DemoRule { name: "十里河高山桥～吴官屯段河道综合治理工程项目（河道湿地恢复）", measure: "wetland_restoration", rule: "as 甘河, next-best block", eligible: |c, _, n, _, _| n && (c == 1 || c == 5 || c == 10) },
    DemoRule { name: "七峰山生态屏障修复区造林绿化", measure: "afforestation", rule: "草地/未利用地 (5, 10) on slopes ≥ 10° in the block with the most of them", eligible: |c, s, _, _, _| (c == 5 || c == 10) && s >= 10.0 },
    DemoRule { name: "甘河上游水土保持治理工程（坡改梯）", measure: "terracing", rule: "耕地 (1) on slopes between the 60th and 90th percentiles of cropland slope in the block with the most of them", eligible: |c, s, _, steep, moderate| c == 1 && s >= moderate && s < steep },
];

/// The demo's synthesized project set: one project per rule of [`DEMO_RULES`], each the outline
/// of the eligible cells of a distinct 1.5 km block lying wholly inside the region (so projects
/// never overlap). Deterministic: depends only on the layers.
pub fn synthesize_demo_projects(
    lu: &Grid<i32>,
    slope_deg: &Grid<f32>,
    streams: &Grid<u8>,
    mask: &Grid<u8>,
) -> Vec<(ProjectRow, &'static str)> {
    use ecoplan_io::vector::{polygonize, PolygonizeOptions};
    let (w, h) = (lu.width, lu.height);
    // Stream buffer of 2 cells (Chebyshev).
    let mut near = vec![false; w * h];
    for r in 0..h {
        for c in 0..w {
            if streams.data[r * w + c] == 1 {
                for rr in r.saturating_sub(2)..(r + 3).min(h) {
                    for cc in c.saturating_sub(2)..(c + 3).min(w) {
                        near[rr * w + cc] = true;
                    }
                }
            }
        }
    }
    let (bw, bh) = (w / DEMO_BLOCK, h / DEMO_BLOCK);
    let mut used = vec![false; bw * bh];
    let block_inside = |b: usize| {
        let (bx, by) = (b % bw, b / bw);
        (0..DEMO_BLOCK).all(|dr| {
            let r = by * DEMO_BLOCK + dr;
            mask.data[r * w + bx * DEMO_BLOCK..r * w + (bx + 1) * DEMO_BLOCK]
                .iter()
                .all(|&m| m == 1)
        })
    };
    let inside: Vec<bool> = (0..bw * bh).map(block_inside).collect();
    let mut crop_slopes: Vec<f32> = (0..w * h)
        .filter(|&i| mask.data[i] == 1 && lu.data[i] == 1 && slope_deg.data[i].is_finite())
        .map(|i| slope_deg.data[i])
        .collect();
    crop_slopes.sort_by(f32::total_cmp);
    let pct = |q: f64| {
        crop_slopes
            .get(((crop_slopes.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(f32::INFINITY)
    };
    let (steep, moderate) = (pct(0.9), pct(0.6));
    let mut out = Vec::new();
    for rule in DEMO_RULES {
        let ok =
            |i: usize| (rule.eligible)(lu.data[i], slope_deg.data[i], near[i], steep, moderate);
        let mut best: Option<(usize, usize)> = None;
        for b in 0..bw * bh {
            if used[b] || !inside[b] {
                continue;
            }
            let (bx, by) = (b % bw, b / bw);
            let mut n = 0;
            for dr in 0..DEMO_BLOCK {
                let r = by * DEMO_BLOCK + dr;
                n += (bx * DEMO_BLOCK..(bx + 1) * DEMO_BLOCK)
                    .filter(|&c| ok(r * w + c))
                    .count();
            }
            if n > 0 && best.is_none_or(|(_, bn)| n > bn) {
                best = Some((b, n));
            }
        }
        let Some((b, _)) = best else { continue };
        used[b] = true;
        let (bx, by) = (b % bw, b / bw);
        let win_spec = {
            let mut t = lu.transform;
            t.x0 += (bx * DEMO_BLOCK) as f64 * t.dx + (by * DEMO_BLOCK) as f64 * t.rx;
            t.y0 += (bx * DEMO_BLOCK) as f64 * t.ry + (by * DEMO_BLOCK) as f64 * t.dy;
            GridSpec::new(DEMO_BLOCK, DEMO_BLOCK, t, lu.crs.clone())
        };
        let cells: Vec<u8> = (0..DEMO_BLOCK * DEMO_BLOCK)
            .map(|k| {
                let (r, c) = (
                    by * DEMO_BLOCK + k / DEMO_BLOCK,
                    bx * DEMO_BLOCK + k % DEMO_BLOCK,
                );
                u8::from(ok(r * w + c))
            })
            .collect();
        let win = Grid::from_vec(&win_spec, cells, Some(0)).expect("sized");
        let polys = polygonize(&win, &PolygonizeOptions::default());
        let parts: Vec<geo::Polygon<f64>> = polys
            .features
            .into_iter()
            .filter_map(|f| match f.geometry {
                Some(Geometry::Polygon(p)) => Some(vec![p]),
                Some(Geometry::MultiPolygon(m)) => Some(m.0),
                _ => None,
            })
            .flatten()
            .collect();
        out.push((
            ProjectRow {
                row: out.len() + 1,
                name: rule.name.into(),
                target_class: String::new(),
                measure: rule.measure.into(),
                geometry: Some(Geometry::MultiPolygon(geo::MultiPolygon(parts))),
                note: format!("SYNTHESIZED polygon (demo rule: {})", rule.rule),
            },
            rule.rule,
        ));
    }
    out
}

/// Demo step `scenario`: synthesized projects modelled on the 云冈区 plan's project names, applied
/// to the demo layers; benefits per project and in total under `scenario/`.
pub fn demo_step(cx: &mut crate::demo::DemoContext) -> Result<()> {
    let grid = cx.region()?.grid.clone();
    let crs = cx.region()?.crs.clone();
    let mask = cx.mask()?.clone();
    let mut lu = cx.layer("landuse")?.to_f64().map(Some(0), |v| v as i32);
    for (v, &m) in lu.data.iter_mut().zip(&mask.data) {
        if m != 1 {
            *v = 0;
        }
    }
    let slope = cx.layer("slope")?.to_f32();
    let streams = cx
        .layer("streams")?
        .to_f64()
        .map(Some(0u8), |v| u8::from(v > 0.0));
    let mut picked = synthesize_demo_projects(&lu, &slope, &streams, &mask);
    if picked.len() < 5 {
        bail!(
            "demo scenario: only {} of {} project rules found eligible cells",
            picked.len(),
            DEMO_RULES.len()
        );
    }
    let mut rows: Vec<ProjectRow> = picked.iter().map(|(r, _)| r.clone()).collect();
    let params = ScenarioParams::presets()?;
    let measures = engine::parse_measures(engine::MEASURES_PRESET)?;
    let mut projects = resolve_projects(&rows, &mask, &ClassTable::builtin(), &measures)?;
    // A planned corridor (生态廊道建设) that changes the network: the base chain's cheapest
    // pruned link, clear of the other projects. Its base chain run is reused for base γ.
    let mut ge = GammaEval::new(&mask, &[], &[])?;
    let base_out = ge.chain(&lu)?;
    match synthesize_demo_corridor(&base_out, &lu, &mask, &projects, &measures)? {
        Some((row, cells)) => {
            picked.push((row.clone(), DEMO_CORRIDOR_RULE));
            rows.push(row);
            projects.push(cells);
        }
        None => eprintln!("  注意 note: demo scenario: no pair of sources could get a planned corridor clear of the other projects"),
    }
    let ge_full = GammaEval::new(&mask, &projects, &rows)?;
    ge_full
        .base
        .set(base_out)
        .map_err(|_| anyhow::anyhow!("base network set twice"))?;
    ge = ge_full;
    let in_mask = |g: Grid<f32>| -> Grid<f32> {
        let mut g = g;
        for (v, &m) in g.data.iter_mut().zip(&mask.data) {
            if m != 1 {
                *v = f32::NAN;
            }
        }
        g.nodata = Some(f32::NAN);
        g
    };
    let cover = Some(in_mask(crate::cmd::assess::fvc_from_ndvi(
        &cx.layer("ndvi")?.to_f32(),
    )));
    let t0 = std::time::Instant::now();
    let soil = soil_potential(
        &grid,
        &lu,
        cx.layer("dem")?.to_f32().cast::<f64>(Some(f64::NAN)),
        in_mask(cx.layer("rainfall_erosivity")?.to_f32()),
        in_mask(cx.layer("soil_erodibility")?.to_f32()),
        cover.clone(),
        &params,
        cx.progress,
    )?;
    let base = BaseLayers {
        land_use: lu,
        cover,
        soil_potential: Some(soil),
        precipitation: Some(in_mask(cx.layer("precipitation")?.to_f32())),
        et0: Some(in_mask(cx.layer("et0")?.to_f32())),
        soil_depth: Some(cx.layer("soil_depth")?.to_f32()),
        pawc: Some(cx.layer("pawc")?.to_f32()),
    };
    let gamma = |l: &Grid<i32>, applied: &[usize]| ge.gamma(l, applied);
    let (b, total_lu) = engine::run_scenarios(
        &base,
        &projects,
        &params,
        Some(&gamma),
        DEMO_GAMMA_PER_PROJECT,
        cx.progress,
    )?;
    let seconds = t0.elapsed().as_secs_f64();
    let mut notes = vec![
        "DEMO: project polygons are SYNTHESIZED by rule from the demo layers (see each project's note); names follow the 云冈区 plan's projects, which have no geometry".to_string(),
        "碳储量: InVEST carbon, presets/scenario/carbon_pools_common_classes.csv ([R, illustrative] densities)".into(),
        "生境质量: InVEST habitat quality, presets/assess/habitat_threats_north_china.csv + habitat_sensitivity_common_classes.csv, k = 0.05".into(),
        "土壤保持: RUSLE A_pot·(1 − C·P), A_pot = R·K·LS of the assessment chain; C from vegetation cover (蔡崇法); changed cells get at least the median cover of their new class".into(),
        "水源涵养: P − P·α − AET (AET from the InVEST Budyko curve, Z = 5), presets/scenario/water_balance_common_classes.csv, clamped at 0".into(),
        format!("γ (METHODS §3.6, same node set): the base network — ecoplan_pattern::chain::run_pattern on the base land use (MSPA sources ≥ 100 ha, top 30 by dPC, common_default resistance, Linkage Mapper links; no importance mask) — plus the links planned-corridor projects ({CORRIDOR_MEASURE}) add between the sources they join; other projects do not change γ; {}; network.csv lists V, links, α, β, γ and the network cost ratio of each", if DEMO_GAMMA_PER_PROJECT { "base, each project and the total" } else { "base and total only" }),
        "草原综合植被盖度: mean vegetation cover (FVC from NDVI, 5 %/95 % end-members) of 草地 cells (地类 5), ecoplan_plan::indicators::grassland_fvc on the scenario's cover; changed cells get at least the median cover of their new class".into(),
    ];
    // The zoning step's (synthesized) red line is a policy mask: projects do not change it.
    if cx.run_dir.join("zoning/red_line_SYNTHESIZED.tif").exists() {
        notes.push("生态保护红线占比 red-line share: 不变 unchanged: policy layer zoning/red_line_SYNTHESIZED.tif (projects do not change it; no Δ)".into());
    }
    let dir = cx
        .out_path("scenario/benefits.csv")?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut files = write_outputs(&dir, &b, &rows, &total_lu, Some(crs), &notes)?;
    let names: Vec<String> = projects.iter().map(|p| p.name.clone()).collect();
    ge.write_table(&dir.join("network.csv"), &names)?;
    files.push("network.csv".into());
    for f in files {
        let role = match f.as_str() {
            "landuse_scenario.tif" => "land use after all demo projects (common classes)",
            "projects.gpkg" => "demo projects (SYNTHESIZED polygons) with their Δ attributes",
            "network.csv" => "网络结构 network before/after planned corridors: sources V, existing links, planned links added, L, α, β, γ (生态廊道连通度), cost ratio",
            _ => "情景效益 scenario benefits per project and in total (Δ vs base)",
        };
        cx.record(&format!("scenario/{f}"), role);
    }
    cx.manifest.param(
        "scenario",
        serde_json::json!({
            "synthesized": true,
            "projects": picked.iter().zip(&projects).map(|((r, rule), p)| serde_json::json!({
                "name": r.name, "measure": r.measure, "rule": rule, "cells": p.cells.len(),
                "polygons": "SYNTHESIZED by rule from the demo layers (block 1.5 km, outline of eligible cells)",
            })).collect::<Vec<_>>(),
            "total_delta": b.total.delta,
            "base": b.base,
            "seconds": seconds,
            "notes": notes,
        }),
    );
    Ok(())
}
