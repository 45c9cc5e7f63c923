//! `ecoplan zoning`: 三生空间, conflicts, restoration zones (matrix overlay and k-means) and key
//! areas as GeoPackage layers, rasters and CSV/XLSX tables (METHODS §4). Also the demo's `zoning`
//! step, which adds the plan's indicator table with baselines computed from the run's layers.

use crate::tables::{Table, Value};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::units::Area;
use ecoplan_grid::{with_any_grid, AnyGrid, Cell, Grid, Progress};
use ecoplan_io::raster::{write_raster, Compression, WriteOptions};
use ecoplan_io::vector::{
    polygonize, write_gpkg_layers, FieldType, FieldValue, Layer, PolygonizeOptions,
};
use ecoplan_plan::zoning::{
    self, block_units, classify_spaces, find_conflicts, key_areas, landscape_conflict,
    unit_features, zone_units, zoning_stability, ConflictResult, ConflictRule, FragilityTable,
    KeyAreaParams, KeyAreaResult, LandscapeConflict, LayerRef, SpaceTable, StabilityRun, UnitGraph,
    ZoningLayers, ZoningMethod, ZoningParams, ZoningResult,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn command() -> Command {
    let path = |id: &'static str, long: &'static str, help: &'static str| {
        Arg::new(id)
            .long(long)
            .value_name("RASTER")
            .value_parser(clap::value_parser!(PathBuf))
            .help(help)
    };
    let num = |id: &'static str, help: &'static str| {
        Arg::new(id)
            .long(id)
            .value_parser(clap::value_parser!(f64))
            .help(help)
    };
    Command::new("zoning")
        .about("三生空间、冲突、修复分区与重点区域 Spaces, conflicts, restoration zones and key areas")
        .long_about(
            "按 METHODS §4：土地利用→三生空间（presets/zoning/space_common_classes.csv）；冲突规则\
             （presets/zoning/conflict_rules.csv）；以单元（规则格网或乡镇/小流域编号栅格）为对象，\
             按“重要性×问题×恢复力”矩阵或 k-means 分区，合并小于最小面积的破碎片，自动命名；\
             按评分、合并、最小面积识别重点区域。输出 GeoPackage（图层 spaces, conflicts, \
             zones_matrix, zones_kmeans, key_areas）、GeoTIFF 与中文表头的 CSV/XLSX。\n\
             Land use → 三生 spaces; conflict rules; zones by the importance × problem × resilience \
             matrix or k-means on units with contiguity clean-up and generated names; key areas by \
             score, dissolve and minimum area.",
        )
        .arg(
            Arg::new("plan")
                .value_name("PLAN.toml")
                .value_parser(clap::value_parser!(PathBuf))
                .conflicts_with("run")
                .help("规划配置文件：读取其输出目录中 ecoplan assess / ecoplan pattern 的结果 Plan file: reads the outputs of `ecoplan assess PLAN.toml` (assess/importance.tif, soil_loss_class.tif) and `ecoplan pattern PLAN.toml` (pattern/) from the plan's output folder; land use, DEM, protected areas and a `red_line` layer from the plan"),
        )
        .arg(
            Arg::new("run")
                .long("run")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("取一次 ecoplan demo 运行目录中的图层 Take layers from an `ecoplan demo` run folder (layers/landuse.tif, assess/importance.tif, …)"),
        )
        .arg(path("landuse", "landuse", "土地利用（常用地类代码）Land-use raster (common class codes)"))
        .arg(path("importance", "importance", "生态保护重要性分级 1 一般 2 重要 3 极重要 Importance grades"))
        .arg(path("soil_loss_class", "soil-loss-class", "土壤侵蚀强度 SL 190 分级 1–6 Soil-loss classes"))
        .arg(path("sensitivity", "sensitivity", "水土流失敏感性分级 1–5 Soil-erosion sensitivity grades"))
        .arg(path("slope", "slope", "坡度（度）Slope, degrees"))
        .arg(path("dem", "dem", "高程（米）Elevation, m"))
        .arg(path("region", "region", "规划范围掩膜（非零=范围内）Region mask (non-zero inside); default: valid non-zero land use"))
        .arg(path("units", "units", "单元编号栅格（乡镇/小流域，0=无）Unit ids (townships, watersheds); default: regular grid"))
        .arg(
            Arg::new("mask")
                .long("mask")
                .value_name("NAME=RASTER")
                .action(ArgAction::Append)
                .help("冲突规则用到的掩膜，如 red_line=红线.tif, corridor=廊道.tif, groundwater_overdraft=超采区.tif"),
        )
        .arg(
            Arg::new("method")
                .long("method")
                .value_parser(["matrix", "kmeans", "sofm", "both", "all"])
                .default_value("all")
                .help("分区方法 Zoning method: matrix 矩阵叠加, kmeans, sofm 自组织特征映射, both = matrix+kmeans, all = 三者"),
        )
        .arg(
            Arg::new("k")
                .long("k")
                .value_parser(clap::value_parser!(usize))
                .help("k-means/SOFM 分区数（缺省按轮廓系数在 3–6 中选）Number of clusters (default: best silhouette of 3–6)"),
        )
        .arg(num("perturbation", "稳定性检验权重扰动幅度 0–1（默认 0.1 即 ±10 %；0 = 不检验）Weight perturbation of the stability check (ARI), default 0.1"))
        .arg(num("unit-size", "分区单元边长 m（默认 1000）Zoning unit side, m (default 1000)"))
        .arg(num("key-unit-size", "重点区域单元边长 m（默认 300）Key-area unit side, m (default 300)"))
        .arg(num("min-zone-share", "分区最小面积占比 %（默认 5）Zones below this % of the region merge (default 5)"))
        .arg(num("min-key-area", "重点区域最小面积 公顷（默认 100）Minimum key-area size, ha (default 100)"))
        .arg(num("key-top-share", "重点区域入选单元比例 0–1（默认 0.15）Share of top-scoring units (default 0.15)"))
        .arg(
            Arg::new("space_table")
                .long("space-table")
                .value_name("CSV")
                .value_parser(clap::value_parser!(PathBuf))
                .help("地类→三生空间表 Class→space table (default presets/zoning/space_common_classes.csv)"),
        )
        .arg(
            Arg::new("rules")
                .long("conflict-rules")
                .value_name("CSV")
                .value_parser(clap::value_parser!(PathBuf))
                .help("冲突规则表 Conflict rules (default presets/zoning/conflict_rules.csv)"),
        )
        .arg(
            Arg::new("fragility")
                .long("fragility-table")
                .value_name("CSV")
                .value_parser(clap::value_parser!(PathBuf))
                .help("景观冲突指数脆弱度表 Class → fragility weights of SCCI (default presets/zoning/fragility_common_classes.csv)"),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .short('o')
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("输出目录 Output folder (default with PLAN.toml: <plan output dir>/zoning; required otherwise)"),
        )
        .after_help(
            "示例 Examples:\n  \
             ecoplan assess plan.toml && ecoplan pattern plan.toml && ecoplan zoning plan.toml --method sofm\n  \
             ecoplan zoning --run runs/demo-yungang --out zoning/\n  \
             ecoplan zoning --landuse lu.tif --importance importance.tif --soil-loss-class soil_loss_class.tif \\\n      \
             --slope slope.tif --region mask.tif --mask red_line=redline.tif --method kmeans --k 4 --out out/\n  \
             ecoplan zoning --run runs/demo-yungang --units townships.tif --min-key-area 50 --out zoning/",
        )
}

/// Everything the zoning computation reads, on one grid.
pub struct ZoningInputs {
    pub landuse: Grid<u32>,
    pub region: Grid<u8>,
    pub importance: Grid<u32>,
    pub soil_loss_class: Option<Grid<u32>>,
    pub sensitivity: Option<Grid<u32>>,
    pub slope: Option<Grid<f32>>,
    pub dem: Option<Grid<f32>>,
    pub units: Option<Grid<u32>>,
    pub masks: Vec<(String, Grid<u32>)>,
}

/// Settings of one run.
pub struct ZoningSettings {
    pub zoning: ZoningParams,
    pub key: KeyAreaParams,
    pub methods: Vec<ZoningMethod>,
    /// ±share of the weight perturbation of the stability check (0 = no check; default 0.1).
    pub perturbation: f64,
    pub space_csv: String,
    pub rules_csv: String,
    /// Class → fragility weight of the landscape conflict index (SCCI).
    pub fragility_csv: String,
}

impl Default for ZoningSettings {
    fn default() -> Self {
        ZoningSettings {
            zoning: ZoningParams::default(),
            key: KeyAreaParams::default(),
            methods: vec![
                ZoningMethod::Matrix,
                ZoningMethod::KMeans { k: None },
                ZoningMethod::Sofm { k: None },
            ],
            perturbation: 0.1,
            space_csv: zoning::SPACE_PRESET.to_string(),
            rules_csv: zoning::CONFLICT_PRESET.to_string(),
            fragility_csv: zoning::FRAGILITY_PRESET.to_string(),
        }
    }
}

/// What [`compute`] produces.
pub struct ZoningOutputs {
    pub spaces: Grid<u8>,
    pub conflicts: ConflictResult,
    /// (layer key, method label, result, zone grid)
    pub zonings: Vec<(&'static str, String, ZoningResult, Grid<u32>)>,
    /// (layer key, perturbed re-runs with their ARI) per zoning, when the check ran.
    pub stability: Vec<(&'static str, Vec<StabilityRun>)>,
    pub keys: KeyAreaResult,
    pub key_grid: Grid<u32>,
    /// Landscape conflict index SCCI of the zoning units, and the units' grid.
    pub scci: LandscapeConflict,
    pub units: Grid<u32>,
    pub region_cells: u64,
    pub cell_area_m2: f64,
    pub notes: Vec<String>,
}

fn categorical(g: &AnyGrid) -> Grid<u32> {
    with_any_grid!(g, x => {
        let mut out = Grid::filled(&x.spec(), u32::MAX, Some(u32::MAX));
        for (i, o) in out.data.iter_mut().enumerate() {
            if x.is_valid_at(i) {
                let f = x.data[i].to_f64();
                if f.is_finite() && f >= 0.0 {
                    *o = f as u32;
                }
            }
        }
        out
    })
}

/// Runs spaces → conflicts → unit features → zones (each method) → key areas.
pub fn compute(
    inp: &ZoningInputs,
    s: &ZoningSettings,
    progress: &dyn Progress,
) -> Result<ZoningOutputs> {
    let mut problems = Vec::new();
    if let Err(e) = s.zoning.validate() {
        problems.push(e.to_string());
    }
    if let Err(e) = s.key.validate() {
        problems.push(e.to_string());
    }
    let table = SpaceTable::from_csv(&s.space_csv).map_err(|e| problems.push(e.to_string()));
    let rules = ConflictRule::from_csv(&s.rules_csv).map_err(|e| problems.push(e.to_string()));
    let fragility =
        FragilityTable::from_csv(&s.fragility_csv).map_err(|e| problems.push(e.to_string()));
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let (table, rules, fragility) = (
        table.expect("checked"),
        rules.expect("checked"),
        fragility.expect("checked"),
    );
    let mut notes = Vec::new();
    let spaces = classify_spaces(&inp.landuse, Some(&inp.region), &table)?;
    let mut named: Vec<(&str, LayerRef)> = vec![("importance", (&inp.importance).into())];
    if let Some(g) = &inp.slope {
        named.push(("slope", g.into()));
    }
    if let Some(g) = &inp.soil_loss_class {
        named.push(("soil_loss_class", g.into()));
    }
    if let Some(g) = &inp.sensitivity {
        named.push(("sensitivity_soil_erosion", g.into()));
    }
    for (n, g) in &inp.masks {
        named.push((n.as_str(), g.into()));
    }
    let conflicts = find_conflicts(&inp.landuse, &spaces, &named, &rules)?;
    for st in &conflicts.stats {
        if let Some(l) = &st.missing_layer {
            notes.push(format!(
                "冲突规则 {} {} 未评价：缺少图层 `{l}` (rule not evaluated: no layer named {l}; give it with --mask {l}=FILE)",
                st.rule.code, st.rule.name_zh
            ));
        }
    }
    let cell = inp.landuse.transform.cell_width().abs();
    let zone_units_grid = match &inp.units {
        Some(u) => u.map(Some(0), |v| if v == u32::MAX { 0 } else { v }),
        None => block_units(&inp.region, s.zoning.block_cells(cell)),
    };
    let masked_units = mask_units(&zone_units_grid, &inp.region);
    let settings = s.zoning.feature_settings();
    let f = unit_features(
        &layers_for(inp, &spaces, &conflicts.primary, &masked_units),
        &table,
        &settings,
        progress,
    )?;
    let graph = UnitGraph::from_units(&masked_units);
    let scci = landscape_conflict(&inp.landuse, &masked_units, &fragility)?;
    let mut zonings = Vec::new();
    let mut stability = Vec::new();
    for m in &s.methods {
        let p = ZoningParams {
            method: *m,
            ..s.zoning.clone()
        };
        let r = zone_units(&f, &graph, &p)?;
        let (key, label) = match m {
            ZoningMethod::Matrix => ("zones_matrix", "矩阵叠加 matrix overlay".to_string()),
            ZoningMethod::KMeans { .. } | ZoningMethod::Sofm { .. } => (
                if matches!(m, ZoningMethod::Sofm { .. }) {
                    "zones_sofm"
                } else {
                    "zones_kmeans"
                },
                format!(
                    "{} (k = {}, silhouette {:.3}; tried {})",
                    if matches!(m, ZoningMethod::Sofm { .. }) {
                        "SOFM 自组织特征映射"
                    } else {
                        "k-means"
                    },
                    r.k,
                    r.silhouette.unwrap_or(f64::NAN),
                    r.tried
                        .iter()
                        .map(|(k, s)| format!("k={k}: {s:.3}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        };
        if s.perturbation > 0.0 {
            stability.push((key, zoning_stability(&f, &graph, &p, &r, s.perturbation)?));
        }
        let grid = r.paint(&masked_units);
        zonings.push((key, label, r, grid));
    }
    // Key areas on their own (finer) units.
    let key_units = match &inp.units {
        Some(_) => masked_units.clone(),
        None => mask_units(
            &block_units(&inp.region, s.key.block_cells(cell)),
            &inp.region,
        ),
    };
    let kf = unit_features(
        &layers_for(inp, &spaces, &conflicts.primary, &key_units),
        &table,
        &settings,
        progress,
    )?;
    let kg = UnitGraph::from_units(&key_units);
    let keys = key_areas(&kf, &kg, &s.key, &s.zoning)?;
    let key_grid = keys.paint(&key_units);
    if !inp.masks.iter().any(|(n, _)| n == "pattern") {
        notes.push(
            "重点区域评分未含生态安全格局要素（未给 --mask pattern=…）key-area score has no security-pattern term (no pattern mask)".into(),
        );
    }
    let region_cells = inp.region.data.iter().filter(|v| **v != 0).count() as u64;
    Ok(ZoningOutputs {
        spaces,
        conflicts,
        zonings,
        stability,
        keys,
        key_grid,
        scci,
        units: masked_units,
        region_cells,
        cell_area_m2: inp.landuse.transform.cell_area(),
        notes,
    })
}

fn layers_for<'a>(
    inp: &'a ZoningInputs,
    spaces: &'a Grid<u8>,
    conflicts: &'a Grid<u8>,
    units: &'a Grid<u32>,
) -> ZoningLayers<'a> {
    ZoningLayers {
        units,
        spaces,
        landuse: (&inp.landuse).into(),
        importance: (&inp.importance).into(),
        soil_loss_class: inp.soil_loss_class.as_ref().map(LayerRef::from),
        conflicts: Some(conflicts),
        pattern: inp
            .masks
            .iter()
            .find(|(n, _)| n == "pattern")
            .map(|(_, g)| LayerRef::from(g)),
        slope_deg: inp.slope.as_ref().map(LayerRef::from),
        elevation_m: inp.dem.as_ref().map(LayerRef::from),
    }
}

fn mask_units(units: &Grid<u32>, region: &Grid<u8>) -> Grid<u32> {
    let mut u = units.clone();
    for (v, r) in u.data.iter_mut().zip(&region.data) {
        if *r == 0 {
            *v = 0;
        }
    }
    u.nodata = Some(0);
    u
}

fn area_values(m2: f64) -> [Value; 3] {
    let a = Area::from_m2(m2);
    [
        Value::Num(round(a.ha(), 4)),
        Value::Num(round(a.mu(), 4)),
        Value::Num(round(a.km2(), 6)),
    ]
}

pub(crate) fn round(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

const AREA_COLS: [(&str, &str); 3] = [
    ("area_ha", "面积（公顷）"),
    ("area_mu", "面积（亩）"),
    ("area_km2", "面积（平方千米）"),
];

fn with_area_cols(
    first: &[(&'static str, &'static str)],
    last: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    first
        .iter()
        .chain(AREA_COLS.iter())
        .chain(last.iter())
        .copied()
        .collect()
}

/// CSV with the Chinese header row (planners' tables); the XLSX written beside it has both rows.
pub(crate) fn csv_zh(t: &Table) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(t.columns.iter().map(|c| c.1.as_str()))?;
    let text = t.to_csv()?;
    let mut lines = text.lines();
    lines.next();
    let mut out = String::from_utf8(w.into_inner().context("flushing CSV")?)?;
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    Ok(out)
}

/// The tables of a run: (file stem, table, role).
pub fn tables(o: &ZoningOutputs) -> Vec<(String, Table, String)> {
    let mut out = Vec::new();
    let total_m2 = o.region_cells as f64 * o.cell_area_m2;
    // 三生空间
    let mut t = Table::new(&with_area_cols(
        &[
            ("code", "代码"),
            ("space", "三生空间"),
            ("space_en", "space"),
        ],
        &[("percent", "占比（%）")],
    ));
    let mut counts = [0u64; 4];
    for v in &o.spaces.data {
        if (*v as usize) < 4 {
            counts[*v as usize] += 1;
        }
    }
    for sp in zoning::Space::ALL {
        let m2 = counts[sp as usize] as f64 * o.cell_area_m2;
        let mut row = vec![
            Value::Int(sp as i64),
            Value::Text(sp.zh().into()),
            Value::Text(sp.en().into()),
        ];
        row.extend(area_values(m2));
        row.push(Value::Num(round(100.0 * m2 / total_m2, 4)));
        t.push(row);
    }
    out.push((
        "spaces".into(),
        t,
        "三生空间面积 area of ecological/agricultural/urban space".into(),
    ));
    // Conflicts
    let mut t = Table::new(&with_area_cols(
        &[
            ("code", "代码"),
            ("key", "规则"),
            ("conflict", "冲突类型"),
            ("conflict_en", "conflict"),
            ("evaluated", "是否评价"),
            ("cells", "栅格数"),
        ],
        &[("percent", "占比（%）"), ("note", "说明")],
    ));
    for s in &o.conflicts.stats {
        let mut row = vec![
            Value::Int(s.rule.code as i64),
            Value::Text(s.rule.key.clone()),
            Value::Text(s.rule.name_zh.clone()),
            Value::Text(s.rule.name_en.clone()),
            Value::Text(
                if s.missing_layer.is_some() {
                    "否"
                } else {
                    "是"
                }
                .into(),
            ),
            Value::Int(s.cells as i64),
        ];
        row.extend(area_values(s.area_m2));
        row.push(Value::Num(round(100.0 * s.area_m2 / total_m2, 4)));
        row.push(Value::Text(
            s.missing_layer
                .as_ref()
                .map(|l| format!("缺少图层 {l} (no layer)"))
                .unwrap_or_default(),
        ));
        t.push(row);
    }
    out.push((
        "conflicts".into(),
        t,
        "三生冲突类型与面积（一个栅格可属多条规则）conflict area by rule".into(),
    ));
    // Zones
    for (key, label, r, _) in &o.zonings {
        let mut t = Table::new(&with_area_cols(
            &[
                ("id", "编号"),
                ("name", "分区名称"),
                ("mode", "修复模式"),
                ("problem", "主要问题"),
                ("units", "单元数"),
            ],
            &[
                ("percent", "占比（%）"),
                ("importance_share", "重要及以上占比"),
                ("problem_share", "问题区占比"),
                ("erosion_share", "中度以上侵蚀占比"),
                ("conflict_share", "冲突占比"),
                ("mining_share", "采矿用地占比"),
                ("resilience", "恢复力"),
                ("mean_slope_deg", "平均坡度（°）"),
                ("space", "主导空间"),
                ("method", "方法"),
            ],
        ));
        for z in &r.zones {
            let mut row = vec![
                Value::Int(z.id as i64),
                Value::Text(z.name.clone()),
                Value::Text(z.mode.zh().into()),
                Value::Text(z.problem.into()),
                Value::Int(z.units.len() as i64),
            ];
            row.extend(area_values(z.area_m2));
            row.extend([
                Value::Num(round(z.percent, 4)),
                Value::Num(round(z.importance_share, 4)),
                Value::Num(round(z.problem_share, 4)),
                Value::Num(round(z.erosion_share, 4)),
                Value::Num(round(z.conflict_share, 4)),
                Value::Num(round(z.mining_share, 4)),
                Value::Num(round(z.resilience, 4)),
                Value::Num(round(z.mean_slope_deg, 2)),
                Value::Text(z.dominant_space.zh().into()),
                Value::Text(label.clone()),
            ]);
            t.push(row);
        }
        out.push((
            key.to_string(),
            t,
            format!("生态修复分区 restoration zones, {label}"),
        ));
    }
    // Landscape conflict index per zoning unit
    let mut t = Table::new(&with_area_cols(
        &[("id", "单元编号"), ("patches", "斑块数")],
        &[
            ("pd", "斑块密度（个/100公顷）"),
            ("ci", "复杂性指数 CI"),
            ("fi", "脆弱性指数 FI"),
            ("si", "稳定性指数 SI"),
            ("scci_raw", "冲突指数原值 CI+FI−SI"),
            ("scci", "景观冲突指数 SCCI（0–1）"),
            ("grade", "冲突等级"),
        ],
    ));
    let c = &o.scci;
    for u in 1..c.cells.len() {
        if c.cells[u] == 0 {
            continue;
        }
        let mut row = vec![Value::Int(u as i64), Value::Int(c.patches[u] as i64)];
        row.extend(area_values(c.cells[u] as f64 * o.cell_area_m2));
        row.extend([
            Value::Num(round(c.pd[u], 4)),
            Value::Num(round(c.ci[u], 6)),
            Value::Num(round(c.fi[u], 6)),
            Value::Num(round(c.si[u], 6)),
            Value::Num(round(c.raw[u], 6)),
            Value::Num(round(c.scci[u], 6)),
            Value::Text(zoning::SCCI_GRADES[c.grade[u] as usize - 1].into()),
        ]);
        t.push(row);
    }
    out.push((
        "scci".into(),
        t,
        "景观冲突指数 SCCI = CI + FI − SI（分区单元，归一化 0–1，四级）landscape conflict index per zoning unit (METHODS §4.1)".into(),
    ));
    // Stability (ARI under weight perturbation)
    if !o.stability.is_empty() {
        let mut t = Table::new(&[
            ("layer", "分区图层"),
            ("perturbed", "扰动项"),
            ("factor", "扰动系数"),
            ("zones", "扰动后分区数"),
            ("ari", "调整兰德指数 ARI"),
        ]);
        for (key, runs) in &o.stability {
            for r in runs {
                t.push(vec![
                    Value::Text(key.to_string()),
                    Value::Text(r.perturbed.clone()),
                    Value::Num(round(r.factor, 4)),
                    Value::Int(r.zones as i64),
                    Value::Num(round(r.ari, 6)),
                ]);
            }
        }
        out.push((
            "zoning_stability".into(),
            t,
            "分区稳定性：权重/阈值 ±扰动后与原分区的调整兰德指数 zoning stability, ARI under ±weight perturbation (METHODS §4.4)".into(),
        ));
    }
    // Key areas
    let mut t = Table::new(&with_area_cols(
        &[
            ("id", "编号"),
            ("name", "重点区域名称"),
            ("problem", "主要问题"),
            ("mode", "修复模式"),
            ("project_types", "拟布局项目类型"),
            ("units", "单元数"),
        ],
        &[("percent", "占比（%）"), ("mean_score", "平均评分")],
    ));
    for a in &o.keys.areas {
        let mut row = vec![
            Value::Int(a.id as i64),
            Value::Text(a.name.clone()),
            Value::Text(a.problem.into()),
            Value::Text(a.mode.zh().into()),
            Value::Text(a.project_types.into()),
            Value::Int(a.units.len() as i64),
        ];
        row.extend(area_values(a.area_m2));
        row.push(Value::Num(round(100.0 * a.area_m2 / total_m2, 4)));
        row.push(Value::Num(round(a.mean_score, 4)));
        t.push(row);
    }
    out.push((
        "key_areas".into(),
        t,
        "生态修复重点区域 key areas (score, dissolve, minimum area)".into(),
    ));
    out
}

/// Polygons of each non-zero value of `grid`, one multipolygon per value.
fn dissolve(grid: &Grid<u32>) -> BTreeMap<u32, geo::MultiPolygon<f64>> {
    let layer = polygonize(grid, &PolygonizeOptions::default());
    let idx = layer.field_index("value").unwrap_or(0);
    let mut out: BTreeMap<u32, Vec<geo::Polygon<f64>>> = BTreeMap::new();
    for f in layer.features {
        let v = f
            .properties
            .get(idx)
            .and_then(FieldValue::as_i64)
            .unwrap_or(0);
        if v <= 0 {
            continue;
        }
        match f.geometry {
            Some(geo::Geometry::Polygon(p)) => out.entry(v as u32).or_default().push(p),
            Some(geo::Geometry::MultiPolygon(m)) => out.entry(v as u32).or_default().extend(m.0),
            _ => {}
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, geo::MultiPolygon(v)))
        .collect()
}

fn value_of(v: &Value) -> (FieldType, FieldValue) {
    match v {
        Value::Int(i) => (FieldType::Int, FieldValue::Int(*i)),
        Value::Num(x) if x.is_finite() => (FieldType::Real, FieldValue::Real(*x)),
        Value::Num(_) => (FieldType::Real, FieldValue::Null),
        Value::Text(s) => (FieldType::Text, FieldValue::Text(s.clone())),
        Value::Empty => (FieldType::Text, FieldValue::Null),
    }
}

/// A layer whose features are the table's rows, with the polygons of the row's id (first column).
fn layer_from_table(
    name: &str,
    t: &Table,
    polys: &BTreeMap<u32, geo::MultiPolygon<f64>>,
    crs: Option<ecoplan_grid::Crs>,
) -> Layer {
    let mut layer = Layer::new(name, crs);
    for (c, (_, zh)) in t.columns.iter().enumerate() {
        // Field type from the first row (tables are typed by column).
        let ty = t
            .rows
            .first()
            .map_or(FieldType::Text, |r| value_of(&r[c]).0);
        layer.add_field(zh.clone(), ty);
    }
    for r in &t.rows {
        let id = match r[0] {
            Value::Int(i) => i as u32,
            _ => 0,
        };
        let geom = polys.get(&id).cloned().map(geo::Geometry::MultiPolygon);
        layer.push(geom, r.iter().map(|v| value_of(v).1).collect());
    }
    layer
}

/// Writes rasters, the GeoPackage and the CSV/XLSX tables into `dir`; returns (file, role).
pub fn write_outputs(dir: &Path, o: &ZoningOutputs) -> Result<Vec<(String, String)>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    let opts = WriteOptions {
        compression: Compression::Deflate,
        predictor: true,
        ..Default::default()
    };
    let crs = o.spaces.crs.clone();
    let spaces_u32 = o.spaces.map(Some(0u32), |v| v as u32);
    let conflicts_u32 = o.conflicts.primary.map(Some(0u32), |v| v as u32);
    let mut rasters: Vec<(String, AnyGrid, String)> = vec![
        (
            "spaces.tif".into(),
            AnyGrid::U8(o.spaces.clone()),
            "三生空间 1 生态 2 农业 3 城镇 (0 outside)".into(),
        ),
        (
            "conflicts.tif".into(),
            AnyGrid::U8(o.conflicts.primary.clone()),
            "冲突规则代码（首条命中）conflict rule code, first match; 0 none".into(),
        ),
        (
            "key_areas.tif".into(),
            AnyGrid::U32(o.key_grid.clone()),
            "重点区域编号 key-area id (0 none)".into(),
        ),
        (
            "scci.tif".into(),
            AnyGrid::F32(o.scci.paint(&o.units)),
            "景观冲突指数 SCCI 0–1 of the zoning unit (NaN outside)".into(),
        ),
    ];
    for (key, label, _, g) in &o.zonings {
        rasters.push((
            format!("{key}.tif"),
            AnyGrid::U32(g.clone()),
            format!("修复分区编号 zone id, {label}"),
        ));
    }
    for (name, g, role) in &rasters {
        write_raster(&dir.join(name), g, &opts).with_context(|| format!("writing {name}"))?;
        files.push((name.clone(), role.clone()));
    }
    let tabs = tables(o);
    let mut layers = Vec::new();
    for (stem, t, role) in &tabs {
        let csv = dir.join(format!("{stem}.csv"));
        let text = csv_zh(t)?;
        ecoplan_io::atomic::write_atomic(&csv, |w| {
            use std::io::Write;
            w.write_all(text.as_bytes())
                .map_err(|e| ecoplan_io::IoError::io(&csv, e))
        })?;
        files.push((format!("{stem}.csv"), role.clone()));
        t.write(&dir.join(format!("{stem}.xlsx")))?;
        files.push((format!("{stem}.xlsx"), format!("{role} (XLSX)")));
        if stem == "zoning_stability" {
            continue; // no geometry: CSV/XLSX and zoning_summary.json only
        }
        let polys = match stem.as_str() {
            "spaces" => dissolve(&spaces_u32),
            "conflicts" => dissolve(&conflicts_u32),
            "key_areas" => dissolve(&o.key_grid),
            "scci" => dissolve(&o.units),
            other => match o.zonings.iter().find(|z| z.0 == other) {
                Some(z) => dissolve(&z.3),
                None => BTreeMap::new(),
            },
        };
        layers.push(layer_from_table(stem, t, &polys, crs.clone()));
    }
    let refs: Vec<&Layer> = layers.iter().collect();
    write_gpkg_layers(&dir.join("zoning.gpkg"), &refs)?;
    files.push((
        "zoning.gpkg".into(),
        "GeoPackage: spaces, conflicts, zones_matrix, zones_kmeans, zones_sofm, key_areas, scci (attributes as the CSV tables)".into(),
    ));
    let summary = summary_json(o);
    let text = serde_json::to_string_pretty(&summary)?;
    let path = dir.join("zoning_summary.json");
    ecoplan_io::atomic::write_atomic(&path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| ecoplan_io::IoError::io(&path, e))
    })?;
    files.push((
        "zoning_summary.json".into(),
        "分区摘要：方法、k、轮廓系数、稳定性 ARI（最小/平均）zoning summary: method, k, silhouette, stability ARI (min/mean)".into(),
    ));
    Ok(files)
}

/// Per zoning: method, k, silhouette, zones and the stability check's ARI (min, mean, runs).
pub fn summary_json(o: &ZoningOutputs) -> serde_json::Value {
    let zonings: Vec<serde_json::Value> = o
        .zonings
        .iter()
        .map(|(key, label, r, _)| {
            let runs = o.stability.iter().find(|s| s.0 == *key).map(|s| &s.1);
            let stability = runs.map(|runs| {
                let aris: Vec<f64> = runs.iter().map(|r| r.ari).collect();
                serde_json::json!({
                    "ari_min": aris.iter().copied().fold(f64::INFINITY, f64::min),
                    "ari_mean": aris.iter().sum::<f64>() / aris.len().max(1) as f64,
                    "runs": runs.iter().map(|r| serde_json::json!({
                        "perturbed": r.perturbed, "factor": r.factor, "zones": r.zones, "ari": r.ari,
                    })).collect::<Vec<_>>(),
                })
            });
            serde_json::json!({
                "layer": key,
                "method": label,
                "k": r.k,
                "silhouette": r.silhouette,
                "merged_fragments": r.merged_fragments,
                "zones": r.zones.iter().map(|z| serde_json::json!({
                    "id": z.id, "name": z.name, "mode": z.mode.zh(), "km2": z.area_m2 / 1e6, "percent": z.percent,
                })).collect::<Vec<_>>(),
                "stability": stability,
            })
        })
        .collect();
    let mut grades = [0u64; 4];
    for g in o.scci.grade.iter().filter(|g| **g > 0) {
        grades[*g as usize - 1] += 1;
    }
    serde_json::json!({
        "zonings": zonings,
        "key_areas": o.keys.areas.len(),
        "scci_units_by_grade": zoning::SCCI_GRADES.iter().zip(grades).map(|(n, c)| serde_json::json!({"grade": n, "units": c})).collect::<Vec<_>>(),
        "notes": o.notes,
    })
}

fn read_cat(p: &Path) -> Result<Grid<u32>> {
    Ok(categorical(
        &crate::rasters::read_raster(p).with_context(|| format!("reading {}", p.display()))?,
    ))
}
fn read_f32(p: &Path) -> Result<Grid<f32>> {
    Ok(crate::rasters::read_raster(p)
        .with_context(|| format!("reading {}", p.display()))?
        .to_f32())
}

/// The inputs of a `--run DIR` or explicit-raster invocation.
fn raster_inputs(m: &ArgMatches) -> Result<ZoningInputs> {
    let run_dir = m.get_one::<PathBuf>("run");
    let pick = |id: &str, rel: &str| -> Option<PathBuf> {
        m.get_one::<PathBuf>(id)
            .cloned()
            .or_else(|| run_dir.map(|d| d.join(rel)).filter(|p| p.exists()))
    };
    let landuse = pick("landuse", "layers/landuse.tif");
    let importance = pick("importance", "assess/importance.tif");
    let mut missing = Vec::new();
    if landuse.is_none() {
        missing.push("--landuse (或 --run 运行目录中的 layers/landuse.tif)");
    }
    if importance.is_none() {
        missing.push("--importance (或 --run 运行目录中的 assess/importance.tif)");
    }
    if !missing.is_empty() {
        bail!("缺少输入 missing inputs: {}", missing.join("; "));
    }
    let landuse = read_cat(&landuse.expect("checked"))?;
    let region = match pick("region", "region/mask.tif") {
        Some(p) => read_cat(&p)?.map(Some(0u8), |v| u8::from(v != 0 && v != u32::MAX)),
        None => landuse.map(Some(0u8), |v| u8::from(v != 0 && v != u32::MAX)),
    };
    let opt_cat = |id: &str, rel: &str| pick(id, rel).map(|p| read_cat(&p)).transpose();
    let opt_f32 = |id: &str, rel: &str| pick(id, rel).map(|p| read_f32(&p)).transpose();
    let mut masks = Vec::new();
    for spec in m.get_many::<String>("mask").into_iter().flatten() {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("--mask {spec}: 应写作 NAME=RASTER, e.g. red_line=redline.tif");
        };
        masks.push((name.trim().to_string(), read_cat(Path::new(file.trim()))?));
    }
    Ok(ZoningInputs {
        importance: read_cat(&importance.expect("checked"))?,
        soil_loss_class: opt_cat("soil_loss_class", "assess/soil_loss_class.tif")?,
        sensitivity: opt_cat("sensitivity", "assess/sensitivity_soil_erosion.tif")?,
        slope: opt_f32("slope", "layers/slope.tif")?,
        dem: opt_f32("dem", "layers/dem.tif")?,
        units: m
            .get_one::<PathBuf>("units")
            .map(|p| read_cat(p))
            .transpose()?,
        landuse,
        region,
        masks,
    })
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let bar = crate::progress::Bar::new();
    let (inputs, out) = match m.get_one::<PathBuf>("plan") {
        Some(plan_path) => {
            let plan = crate::config::load_valid_plan(plan_path, &bar)?;
            let mut p = plan::plan_inputs(&plan, &bar)?;
            for spec in m.get_many::<String>("mask").into_iter().flatten() {
                let Some((name, file)) = spec.split_once('=') else {
                    bail!("--mask {spec}: 应写作 NAME=RASTER, e.g. red_line=redline.tif");
                };
                p.inputs
                    .masks
                    .push((name.trim().to_string(), read_cat(Path::new(file.trim()))?));
            }
            if let Some(u) = m.get_one::<PathBuf>("units") {
                p.inputs.units = Some(read_cat(u)?);
            }
            for src in &p.sources {
                eprintln!("输入 input: {src}");
            }
            let out = m
                .get_one::<PathBuf>("out")
                .cloned()
                .unwrap_or(p.default_out);
            (p.inputs, out)
        }
        None => {
            let Some(out) = m.get_one::<PathBuf>("out").cloned() else {
                bail!("--out DIR 缺失 is required without PLAN.toml (with a plan the default is <plan output dir>/zoning)");
            };
            (raster_inputs(m)?, out)
        }
    };
    let mut s = ZoningSettings::default();
    let k = m.get_one::<usize>("k").copied();
    s.methods = match m.get_one::<String>("method").map(String::as_str) {
        Some("matrix") => vec![ZoningMethod::Matrix],
        Some("kmeans") => vec![ZoningMethod::KMeans { k }],
        Some("sofm") => vec![ZoningMethod::Sofm { k }],
        Some("both") => vec![ZoningMethod::Matrix, ZoningMethod::KMeans { k }],
        _ => vec![
            ZoningMethod::Matrix,
            ZoningMethod::KMeans { k },
            ZoningMethod::Sofm { k },
        ],
    };
    if let Some(v) = m.get_one::<f64>("perturbation") {
        s.perturbation = *v;
    }
    let f = |id: &str| m.get_one::<f64>(id).copied();
    if let Some(v) = f("unit-size") {
        s.zoning.unit_size_m = v;
    }
    if let Some(v) = f("key-unit-size") {
        s.key.unit_size_m = v;
    }
    if let Some(v) = f("min-zone-share") {
        s.zoning.min_zone_share_pct = v;
    }
    if let Some(v) = f("min-key-area") {
        s.key.min_area_ha = v;
    }
    if let Some(v) = f("key-top-share") {
        s.key.top_share = v;
    }
    if let Some(p) = m.get_one::<PathBuf>("space_table") {
        s.space_csv =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    }
    if let Some(p) = m.get_one::<PathBuf>("fragility") {
        s.fragility_csv =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    }
    if let Some(p) = m.get_one::<PathBuf>("rules") {
        s.rules_csv =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    }
    let o = compute(&inputs, &s, &bar)?;
    let out = out.as_path();
    let files = write_outputs(out, &o)?;
    for n in &o.notes {
        eprintln!("注 note: {n}");
    }
    for (key, label, r, _) in &o.zonings {
        eprintln!("{key} ({label}):");
        for z in &r.zones {
            eprintln!(
                "  {} {} {:.2} km² {:.1}%",
                z.id,
                z.name,
                z.area_m2 / 1e6,
                z.percent
            );
        }
    }
    eprintln!("重点区域 key areas: {}", o.keys.areas.len());
    for (f, _) in files {
        println!("{}", out.join(f).display());
    }
    Ok(())
}

pub mod demo;
pub mod plan;
pub use demo::demo_step;
