//! `ecoplan pattern PLAN.toml`: the ecological-security-pattern chain (生态安全格局) on a plan's
//! region via `ecoplan_pattern::chain::run_pattern`, and its demo step.

use crate::config::{LayerKind, NearestNeighbours, Plan};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::{AnyGrid, Grid, GridSpec, Progress};
use ecoplan_io::align::warp;
use ecoplan_io::vector::{rasterize_ids, write_gpkg_layers, FieldType, FieldValue, Layer};
use ecoplan_pattern::chain::PlannedNetwork;
use ecoplan_pattern::chain::{
    run_pattern, CurrentMode, PatternInputs, PatternOutputs, PatternParams,
};
use ecoplan_pattern::resistance::{
    BreakTable, Correction, CorrectionKind, Factor, ResistanceTable,
};
use std::path::{Path, PathBuf};

fn num(name: &'static str, value: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name(value)
        .value_parser(clap::value_parser!(f64))
        .help(help)
}

pub fn command() -> Command {
    Command::new("pattern")
        .about("生态安全格局 Ecological security pattern: sources, resistance, corridors, current, pinch points, barriers, nodes, α/β/γ")
        .long_about(
            "按规划配置 (plan.toml) 识别生态安全格局（METHODS §3）：\n\
             1 生态用地（林地、灌木林地、草地、湿地、水域）MSPA 核心区 ∩ 生态保护重要性 ≥ 阈值，面积 ≥ 最小面积，按 Conefor dPC \
             排序取前 N 个为生态源地；2 按地类阻力表构建阻力面（区外不可通行）；3 Linkage Mapper 最小成本廊道（链接表、\
             最小成本路径、按 CWD 阈值截断的归一化廊道）；4 源地间 Circuitscape 成对累积电流；5 夹点（廊道内电路电流的自然断点最高级）；\
             6 障碍点（Barrier Mapper 改善分数，一级/二级改善区）；7 生态节点；8 网络结构指数 α、β、γ（γ 即规划中的\"生态廊道连通度\"）。\n\
             Importance: --importance RASTER, else <plan output dir>/assess/importance.tif when it exists \
             (ecoplan assess writes it), else sources are the MSPA core of ecological land only (the run says so).\n\
             Outputs in --out (default <plan output dir>/pattern): sources.tif, mspa.tif, resistance.tif, \
             corridors.tif (NLCC truncated), current.tif, pinchpoint_current.tif, pinch_points.tif, barriers.tif, \
             barrier_class.tif; pattern.gpkg (layers corridors = least-cost paths with the link table, sources = \
             polygons with dPC, nodes = points, planned_corridors); links.csv (with gravity G and 重要/一般廊道), \
             sources.csv, network.csv (α/β/γ and network cost ratio 1 − ΣLCP length/ΣLCD), \
             planned_network.csv (α/β/γ and cost ratio before/after planned corridors, when given), \
             resistance_table.csv (the class table used); pattern.json.\n\
             Resistance: the class table (--table) with optional slope / distance-to-road factors \
             (weighted sum with --landuse-weight) and NDVI / night-light / impervious corrections \
             (pixel-to-class-mean ratios), METHODS §3.2; the table, factors and corrections used are in \
             pattern.json and resistance_table.csv. Distance to roads uses the road_distance preset \
             (presets/resistance/road_distance.csv) unless a break table is named.\n\
             Plan settings: a [pattern] section in plan.toml (resistance_table, landuse_weight, slope_factor, \
             road_factor, ndvi_correction, night_light, impervious, gravity_classes, planned_corridors, \
             min_area_ha, nn, truncate; see data/demo/plan.toml) sets these; a command-line flag overrides its \
             key (--no-ndvi-correction switches off a plan's ndvi_correction = true).",
        )
        .arg(Arg::new("plan").value_name("PLAN.toml").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("out").long("out").short('o').value_name("DIR").value_parser(clap::value_parser!(PathBuf)).help("输出目录 Output folder (default: <plan output dir>/pattern)"))
        .arg(Arg::new("importance").long("importance").value_name("RASTER").value_parser(clap::value_parser!(PathBuf)).help("生态保护重要性栅格 Importance raster (default: <plan output dir>/assess/importance.tif if present)"))
        .arg(num("importance-threshold", "X", "重要性阈值 Sources need importance ≥ this (default 3 = 极重要)"))
        .arg(num("min-area-ha", "HA", "源地最小面积（公顷）Minimum source area, ha (default 100); overrides [pattern] min_area_ha"))
        .arg(Arg::new("max-sources").long("max-sources").value_name("N").value_parser(clap::value_parser!(usize)).help("源地数上限 Keep the N sources with the highest dPC (default 30; 0 = no limit)"))
        .arg(num("min-dpc", "PCT", "dPC 下限（%）Drop sources with dPC below this (Turpan: 3)"))
        .arg(num("dpc-distance", "M", "扩散距离（米）Distance with dispersal probability 0.5 (default 1500 m)"))
        .arg(Arg::new("table").long("table").value_name("PRESET|CSV").default_value("common_default").help("阻力表 Resistance table on the common classes: preset or CSV (code,name_zh,name_en,resistance); overrides [pattern] resistance_table"))
        .arg(num("truncate", "CWD", "廊道宽度 Corridor width: truncate NLCC at this cost distance (default 20000); overrides [pattern] truncate"))
        .arg(Arg::new("nn").long("nn").value_name("N|all").default_value("4").help("近邻数 Keep each source's N nearest neighbours (all = no pruning); overrides [pattern] nn"))
        .arg(num("max-cwd", "CWD", "最大成本距离 Drop links with CWD above this"))
        .arg(Arg::new("current").long("current").value_name("MODE").value_parser(["pairwise", "all-to-one", "none"]).default_value("pairwise").help("累积电流 Cumulative current: pairwise, all-to-one or none"))
        .arg(Arg::new("solver").long("solver").value_name("NAME").value_parser(["cholesky", "cg+amg"]).default_value("cholesky").help("求解器 Circuit solver"))
        .arg(Arg::new("barrier-radii").long("barrier-radii").value_name("MIN,MAX,STEP").help("障碍点半径（米）Barrier Mapper radii in metres (default 1–5 cells)"))
        .arg(Arg::new("no-barriers").long("no-barriers").action(ArgAction::SetTrue).help("不识别障碍点 Skip Barrier Mapper"))
        .arg(Arg::new("no-pinchpoints").long("no-pinchpoints").action(ArgAction::SetTrue).help("不识别夹点 Skip Pinchpoint Mapper"))
        .arg(Arg::new("gravity-classes").long("gravity-classes").value_name("jenks|off|G").default_value("jenks").help("重要/一般廊道 Split corridors by gravity G: jenks (natural breaks, 2 classes), off, or a threshold G"))
        .arg(num("landuse-weight", "W", "土地利用阻力权重 Weight of the land-use resistance when factors are given (Turpan 0.7; default 1 − Σ factor weights)"))
        .arg(Arg::new("slope-factor").long("slope-factor").value_name("BREAKS:WEIGHT").help("坡度因子 Slope (°, from the plan's dem layer) reclassified by a break table, e.g. turpan_slope:0.3"))
        .arg(Arg::new("road-factor").long("road-factor").value_name("BREAKS:WEIGHT").help("道路距离因子 Distance to the plan's roads layer (m) reclassified by a break table (preset road_distance or CSV upper,resistance) and weighted; WEIGHT alone uses road_distance"))
        .arg(Arg::new("ndvi-correction").long("ndvi-correction").action(ArgAction::SetTrue).conflicts_with("no-ndvi-correction").help("NDVI 校正 Correct land-use resistance by the plan's ndvi layer: R′ = R_a·NDVI_a/NDVI_i"))
        .arg(Arg::new("no-ndvi-correction").long("no-ndvi-correction").action(ArgAction::SetTrue).help("不做 NDVI 校正 No NDVI correction, even when plan.toml [pattern] says ndvi_correction = true"))
        .arg(Arg::new("night-light").long("night-light").value_name("RASTER").value_parser(clap::value_parser!(PathBuf)).help("夜间灯光校正 Night-light raster: R′ = R_a·NL_i/NL_a"))
        .arg(Arg::new("impervious").long("impervious").value_name("RASTER").value_parser(clap::value_parser!(PathBuf)).help("不透水面校正 Impervious-share raster: R′ = R_a·ISA_i/ISA_a"))
        .arg(Arg::new("planned-corridors").long("planned-corridors").value_name("VECTOR").value_parser(clap::value_parser!(PathBuf)).help("规划廊道 Planned corridor lines/polygons (default: the plan's vector layer named planned_corridors); writes planned_network.csv (α/β/γ before/after)"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan assess data/demo/plan.toml && ecoplan pattern data/demo/plan.toml\n  \
             ecoplan pattern plan.toml --importance assess/importance.tif --importance-threshold 2 --out runs/pattern\n  \
             ecoplan pattern plan.toml --min-area-ha 50 --max-sources 20 --truncate 30000 --barrier-radii 60,300,60\n  \
             ecoplan pattern plan.toml --slope-factor turpan_slope:0.3 --landuse-weight 0.7 --ndvi-correction\n  \
             ecoplan pattern plan.toml --no-ndvi-correction --nn all   # plan's ndvi_correction off, no pruning\n  \
             ecoplan pattern plan.toml --planned-corridors planned_corridors.gpkg --gravity-classes jenks",
        )
}

/// Parameters from the command line (defaults: [`PatternParams::default`]).
fn params_from(m: &ArgMatches) -> Result<PatternParams> {
    let mut p = PatternParams::default();
    let f = |k: &str| m.get_one::<f64>(k).copied();
    if let Some(v) = f("importance-threshold") {
        p.importance_threshold = v;
    }
    if let Some(v) = f("min-area-ha") {
        p.min_area_ha = v;
    }
    if let Some(&n) = m.get_one::<usize>("max-sources") {
        p.max_sources = (n > 0).then_some(n);
    }
    p.min_dpc = f("min-dpc");
    if let Some(v) = f("dpc-distance") {
        p.dpc_kernel.distance = v;
    }
    if let Some(v) = f("truncate") {
        p.linkage.truncate_cwd = Some(v);
    }
    p.linkage.max_cwd = f("max-cwd");
    if let Some(s) = m.get_one::<String>("nn") {
        p.linkage.nearest_neighbours = nn_arg(s)?.limit();
    }
    p.current = match m.get_one::<String>("current").map(String::as_str) {
        Some("all-to-one") => CurrentMode::AllToOne,
        Some("none") => CurrentMode::None,
        _ => CurrentMode::Pairwise,
    };
    if let Some(s) = m.get_one::<String>("solver") {
        p.solver = s.clone();
    }
    if let Some(s) = m.get_one::<String>("barrier-radii") {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .with_context(|| format!("--barrier-radii {s}: expected MIN,MAX,STEP in metres"))?;
        let [a, b, c] = v[..] else {
            bail!("--barrier-radii {s}: expected MIN,MAX,STEP in metres");
        };
        p.barrier_radii_m = Some([a, b, c]);
    }
    p.barriers = !m.get_flag("no-barriers");
    p.pinchpoints = !m.get_flag("no-pinchpoints");
    p.validate()?;
    Ok(p)
}

/// `--nn N|all`.
fn nn_arg(s: &str) -> Result<NearestNeighbours> {
    if s == "all" {
        return Ok(NearestNeighbours::All);
    }
    let n: usize = s
        .parse()
        .with_context(|| format!("--nn {s}: a whole number ≥ 1 or 'all'"))?;
    Ok(NearestNeighbours::Count(n))
}

/// A preset name or a CSV file.
fn load_table(s: &str) -> Result<ResistanceTable> {
    if ResistanceTable::preset_names().contains(&s) {
        return Ok(ResistanceTable::preset(s)?);
    }
    let text = std::fs::read_to_string(s).with_context(|| {
        format!(
            "--table {s}: neither a preset ({}) nor a readable CSV",
            ResistanceTable::preset_names().join(", ")
        )
    })?;
    Ok(ResistanceTable::parse_csv(s, &text)?)
}

/// The plan's layers the chain uses, on the analysis grid.
struct PlanLayers {
    landuse: Grid<i32>,
    protected: Option<Grid<u8>>,
    roads: Option<Grid<u8>>,
    rivers: Option<Grid<u8>>,
    dem: Option<Grid<f64>>,
    ndvi: Option<Grid<f32>>,
    /// A vector layer named `planned_corridors` (or `规划廊道`): planned corridor lines/polygons.
    planned_corridors: Option<ecoplan_io::vector::Layer>,
}

/// Names of the plan layer holding planned corridors.
pub const PLANNED_CORRIDOR_LAYER_NAMES: [&str; 2] = ["planned_corridors", "规划廊道"];

/// Land use mapped to the common classes (with the plan's overrides), the vector layers the
/// chain uses (protected areas, roads, rivers) rasterized onto `grid` by the shared loader
/// [`crate::rasters::vector_mask_on_grid`], DEM and NDVI (for the slope factor and the NDVI
/// correction) and the planned corridors.
fn read_plan_layers(plan: &Plan, grid: &GridSpec, progress: &dyn Progress) -> Result<PlanLayers> {
    let mut landuse = None;
    let (mut protected, mut roads, mut rivers) = (None, None, None);
    let (mut dem, mut ndvi, mut planned_corridors) = (None, None, None);
    for layer in &plan.layers {
        let kind = layer.kind.value;
        match kind {
            LayerKind::Landuse => {
                landuse = Some(crate::rasters::landuse_on_grid(
                    plan, layer, grid, progress,
                )?);
            }
            LayerKind::ProtectedAreas => {
                protected = Some(crate::rasters::vector_mask_on_grid(
                    plan, layer, grid, false,
                )?)
            }
            LayerKind::Roads => {
                roads = Some(crate::rasters::vector_mask_on_grid(
                    plan, layer, grid, true,
                )?)
            }
            LayerKind::Rivers => {
                rivers = Some(crate::rasters::vector_mask_on_grid(
                    plan, layer, grid, true,
                )?)
            }
            LayerKind::Dem | LayerKind::Ndvi => {
                let src = crate::rasters::read_raster(&plan.resolve(&layer.file.value))?;
                let g = warp(&src, grid, layer.resampling, progress)?;
                if kind == LayerKind::Dem {
                    dem = Some(g.to_f64());
                } else {
                    ndvi = Some(g.to_f32());
                }
            }
            _ if kind.info().vector
                && PLANNED_CORRIDOR_LAYER_NAMES.contains(&layer.name.value.as_str()) =>
            {
                planned_corridors = Some(crate::rasters::vector_on_grid(plan, layer, grid)?);
            }
            _ => {}
        }
    }
    let landuse = landuse.with_context(|| {
        format!(
            "{}: the plan has no land-use layer (kind = \"landuse\"); the pattern chain needs one",
            plan.file.display()
        )
    })?;
    Ok(PlanLayers {
        landuse,
        protected,
        roads,
        rivers,
        dem,
        ndvi,
        planned_corridors,
    })
}

/// Cells each planned corridor covers (lines: every cell touched; polygons: the same, so a
/// narrow polygon still reaches the sources it abuts), one list per feature.
pub fn corridor_cells(layer: &ecoplan_io::vector::Layer, grid: &GridSpec) -> Vec<Vec<usize>> {
    use ecoplan_io::vector::rasterize::{rasterize_into, RasterizeOptions};
    let mut burn = Grid::filled(grid, 0u8, Some(0));
    let opts = RasterizeOptions { all_touched: true };
    layer
        .features
        .iter()
        .map(|f| {
            let Some(g) = &f.geometry else {
                return Vec::new();
            };
            rasterize_into(&mut burn, g, 1u8, &opts);
            let mut cells = Vec::new();
            for (i, b) in burn.data.iter_mut().enumerate() {
                if *b == 1 {
                    *b = 0;
                    cells.push(i);
                }
            }
            cells
        })
        .collect()
}

/// Slope in degrees from a DEM (the assessment chain's slope, edges included), for the slope
/// factor; NaN where the DEM is nodata.
pub fn slope_degrees(dem: &Grid<f64>, progress: &dyn Progress) -> Grid<f32> {
    let pct = ecoplan_assess::hydro::slope_percent(dem, progress);
    let nodata = pct.nodata;
    pct.map(Some(f32::NAN), |p| {
        if p.is_finite() && Some(p) != nodata {
            (p as f64 / 100.0).atan().to_degrees() as f32
        } else {
            f32::NAN
        }
    })
}

/// `BREAKS:WEIGHT` (a break-table preset or CSV, and its weight).
fn factor_arg(flag: &str, s: &str) -> Result<(BreakTable, f64)> {
    // The road factor defaults to the road_distance preset (`--road-factor 0.2`).
    let (breaks, weight) = match s.rsplit_once(':') {
        Some(bw) => bw,
        None if flag == "road-factor" => ("road_distance", s),
        None => bail!("--{flag} {s}: expected BREAKS:WEIGHT (e.g. turpan_slope:0.3)"),
    };
    let weight: f64 = weight
        .parse()
        .with_context(|| format!("--{flag} {s}: weight '{weight}' is not a number"))?;
    let table = match BreakTable::preset(breaks) {
        Ok(t) => t,
        Err(_) => {
            let text = std::fs::read_to_string(breaks).with_context(|| {
                format!("--{flag} {s}: '{breaks}' is neither a break-table preset ({}) nor a readable CSV (upper,resistance)", BreakTable::preset_names().join(", "))
            })?;
            BreakTable::parse_csv(breaks, &text)?
        }
    };
    Ok((table, weight))
}

/// Whether `id` was given on the command line (not a clap default).
fn on_cli(m: &ArgMatches, id: &str) -> bool {
    m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
}

/// The resistance factors and corrections, gravity split and planned corridors of a run: each
/// command-line flag over the plan's `[pattern]` field over the default (METHODS §3).
#[derive(Debug)]
pub struct PatternSettings {
    pub table: ResistanceTable,
    /// None = 1 − Σ factor weights.
    pub landuse_weight: Option<f64>,
    pub slope_factor: Option<(BreakTable, f64)>,
    pub road_factor: Option<(BreakTable, f64)>,
    pub ndvi_correction: bool,
    pub night_light: Option<PathBuf>,
    pub impervious: Option<PathBuf>,
    pub gravity_classes: ecoplan_pattern::corridors::GravityClasses,
    pub planned_corridors: Option<PathBuf>,
    /// Minimum source area, 公顷 ha.
    pub min_area_ha: f64,
    /// None = keep all links.
    pub nearest_neighbours: Option<usize>,
    /// Corridor width (cost·m); None = untruncated corridors.
    pub truncate_cwd: Option<f64>,
    /// Which settings came from plan.toml (for the run notes).
    pub from_plan: Vec<&'static str>,
}

impl PatternSettings {
    pub fn resolve(m: &ArgMatches, plan: &Plan) -> Result<Self> {
        let cfg = &plan.pattern;
        let mut from_plan = Vec::new();
        let mut pick = |key: &'static str, flag: &str, has_plan: bool| -> bool {
            let use_plan = !on_cli(m, flag) && has_plan;
            if use_plan {
                from_plan.push(key);
            }
            use_plan
        };
        let path_of = |s: &str| -> String {
            // A preset name stays a name; a CSV path is relative to the plan.
            if ResistanceTable::preset_names().contains(&s)
                || BreakTable::preset_names().contains(&s)
            {
                s.to_string()
            } else {
                plan.resolve(Path::new(s)).to_string_lossy().into_owned()
            }
        };
        let table = if pick("resistance_table", "table", cfg.resistance_table.is_some()) {
            load_table(&path_of(cfg.resistance_table.as_deref().expect("checked")))
                .context("plan.toml [pattern] resistance_table")?
        } else {
            load_table(m.get_one::<String>("table").expect("default"))?
        };
        let landuse_weight = if pick(
            "landuse_weight",
            "landuse-weight",
            cfg.landuse_weight.is_some(),
        ) {
            cfg.landuse_weight
        } else {
            m.get_one::<f64>("landuse-weight").copied()
        };
        let mut factor = |key: &'static str,
                          flag: &str,
                          plan_f: &Option<crate::config::FactorConfig>|
         -> Result<Option<(BreakTable, f64)>> {
            if pick(key, flag, plan_f.is_some()) {
                let f = plan_f.as_ref().expect("checked");
                let arg = format!("{}:{}", path_of(&f.breaks), f.weight);
                return factor_arg(flag, &arg)
                    .map(Some)
                    .context(format!("plan.toml [pattern] {key}"));
            }
            m.get_one::<String>(flag)
                .map(|s| factor_arg(flag, s))
                .transpose()
        };
        let slope_factor = factor("slope_factor", "slope-factor", &cfg.slope_factor)?;
        let road_factor = factor("road_factor", "road-factor", &cfg.road_factor)?;
        // Tri-state: --ndvi-correction / --no-ndvi-correction (clap rejects both) over the plan.
        let ndvi_flag = if m.get_flag("ndvi-correction") {
            Some(true)
        } else if m.get_flag("no-ndvi-correction") {
            Some(false)
        } else {
            None
        };
        let ndvi_correction = match (ndvi_flag, cfg.ndvi_correction) {
            (Some(on), _) => on,
            (None, Some(on)) if pick("ndvi_correction", "ndvi-correction", true) => on,
            _ => false,
        };
        let mut path = |key: &'static str, flag: &str, v: &Option<PathBuf>| -> Option<PathBuf> {
            if pick(key, flag, v.is_some()) {
                v.as_ref().map(|p| plan.resolve(p))
            } else {
                m.get_one::<PathBuf>(flag).cloned()
            }
        };
        let night_light = path("night_light", "night-light", &cfg.night_light);
        let impervious = path("impervious", "impervious", &cfg.impervious);
        let planned_corridors = path(
            "planned_corridors",
            "planned-corridors",
            &cfg.planned_corridors,
        );
        let gravity_classes = if pick(
            "gravity_classes",
            "gravity-classes",
            cfg.gravity_classes.is_some(),
        ) {
            cfg.gravity_classes.expect("checked")
        } else {
            super::corridors::gravity_classes_arg(
                m.get_one::<String>("gravity-classes").map(String::as_str),
            )?
        };
        let defaults = PatternParams::default();
        let min_area_ha = match cfg.min_area_ha {
            Some(v) if pick("min_area_ha", "min-area-ha", true) => v,
            _ => m
                .get_one::<f64>("min-area-ha")
                .copied()
                .unwrap_or(defaults.min_area_ha),
        };
        let nearest_neighbours = match cfg.nn {
            Some(nn) if pick("nn", "nn", true) => nn.limit(),
            _ => match m.get_one::<String>("nn") {
                Some(s) => nn_arg(s)?.limit(),
                None => defaults.linkage.nearest_neighbours,
            },
        };
        let truncate_cwd = match cfg.truncate {
            Some(v) if pick("truncate", "truncate", true) => Some(v),
            _ => m
                .get_one::<f64>("truncate")
                .copied()
                .or(defaults.linkage.truncate_cwd),
        };
        Ok(PatternSettings {
            min_area_ha,
            nearest_neighbours,
            truncate_cwd,
            table,
            landuse_weight,
            slope_factor,
            road_factor,
            ndvi_correction,
            night_light,
            impervious,
            gravity_classes,
            planned_corridors,
            from_plan,
        })
    }
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let plan_path: &PathBuf = m.get_one("plan").expect("required");
    let mut params = params_from(m)?;
    let bar = crate::progress::Bar::new();
    let plan = crate::config::load_valid_plan(plan_path, &bar)?;
    let settings = PatternSettings::resolve(m, &plan)?;
    params.linkage.gravity_classes = settings.gravity_classes;
    params.min_area_ha = settings.min_area_ha;
    params.linkage.nearest_neighbours = settings.nearest_neighbours;
    params.linkage.truncate_cwd = settings.truncate_cwd;
    let table = &settings.table;
    let region = crate::region::load_region(&plan)?;
    let grid = region.grid.clone();
    let layers = read_plan_layers(&plan, &grid, &bar)?;
    let region_mask = rasterize_ids(&region.boundary, &grid, &Default::default())
        .map(Some(0), |id| u8::from(id > 0));
    let out_root = plan.resolve(&plan.output.dir);
    let (importance_path, importance_note) = match m.get_one::<PathBuf>("importance") {
        Some(p) => (
            Some(p.clone()),
            format!("重要性 importance: {}", p.display()),
        ),
        None => {
            let p = out_root.join("assess/importance.tif");
            if p.exists() {
                let note = format!("重要性 importance: {} (from ecoplan assess)", p.display());
                (Some(p), note)
            } else {
                (
                    None,
                    format!(
                        "重要性 importance: none given and {} not found; sources = MSPA core of ecological land only (run ecoplan assess first to use it)",
                        p.display()
                    ),
                )
            }
        }
    };
    eprintln!("{importance_note}");
    let settings_note = (!settings.from_plan.is_empty()).then(|| {
        format!(
            "规划配置 plan.toml [pattern]: {} (command-line flags override them)",
            settings.from_plan.join(", ")
        )
    });
    let importance = match &importance_path {
        Some(p) => {
            let g = crate::rasters::read_raster(p)?;
            let g = if g.spec().check_aligned(&grid).is_ok() {
                g
            } else {
                warp(&g, &grid, ecoplan_io::align::Resampling::Nearest, &bar)?
            };
            Some(g.to_f32())
        }
        None => None,
    };
    // Resistance factors and corrections (METHODS §3.2).
    let mut factor_data: Vec<(&str, Grid<f32>, BreakTable, f64)> = Vec::new();
    if let Some((breaks, w)) = settings.slope_factor.clone() {
        let dem = layers.dem.as_ref().context(
            "the slope factor (--slope-factor or [pattern] slope_factor) needs a layer of kind dem in the plan (slope is computed from it)",
        )?;
        factor_data.push(("slope 坡度 (°)", slope_degrees(dem, &bar), breaks, w));
    }
    if let Some((breaks, w)) = settings.road_factor.clone() {
        let roads = layers
            .roads
            .as_ref()
            .context("the road factor (--road-factor or [pattern] road_factor) needs a layer of kind roads in the plan")?;
        let t = grid.transform;
        let d = ecoplan_pattern::corridors::euclidean_distance(
            |i| roads.data[i] > 0,
            grid.width,
            grid.height,
            t.cell_width(),
            t.cell_height(),
        );
        factor_data.push((
            "distance to roads 道路距离 (m)",
            Grid::from_vec(&grid, d, None)?,
            breaks,
            w,
        ));
    }
    let factors = super::resistance::borrow_factors(&factor_data);
    params.resistance.landuse_weight = match settings.landuse_weight {
        Some(w) => w,
        None => 1.0 - factors.iter().map(|f| f.weight).sum::<f64>(),
    };
    params.validate()?;
    let mut corr_data: Vec<(CorrectionKind, Grid<f32>)> = Vec::new();
    if settings.ndvi_correction {
        let ndvi = layers.ndvi.clone().context(
            "the NDVI correction (--ndvi-correction or [pattern] ndvi_correction) needs a layer of kind ndvi in the plan",
        )?;
        corr_data.push((CorrectionKind::Ndvi, ndvi));
    }
    for (file, kind) in [
        (&settings.night_light, CorrectionKind::NightLight),
        (&settings.impervious, CorrectionKind::Impervious),
    ] {
        if let Some(p) = file {
            let g = crate::rasters::read_raster(p)?;
            corr_data.push((
                kind,
                warp(&g, &grid, ecoplan_io::align::Resampling::Bilinear, &bar)?.to_f32(),
            ));
        }
    }
    let corrections: Vec<Correction> = corr_data
        .iter()
        .map(|(k, g)| Correction { kind: *k, layer: g })
        .collect();
    let mut inputs = PatternInputs::new(&layers.landuse, table);
    inputs.region = Some(&region_mask);
    inputs.importance = importance.as_ref();
    inputs.policy_areas = layers.protected.as_ref();
    inputs.roads = layers.roads.as_ref();
    inputs.rivers = layers.rivers.as_ref();
    inputs.factors = &factors;
    inputs.corrections = &corrections;
    let out = run_pattern(&inputs, &params, &bar)
        .with_context(|| format!("生态安全格局 pattern chain on {}", plan_path.display()))?;
    let planned_layer = match &settings.planned_corridors {
        Some(p) => Some(crate::rasters::read_vector_in(p, grid.crs.as_ref())?),
        None => layers.planned_corridors.clone(),
    };
    let planned = match &planned_layer {
        Some(l) => Some((l, out.planned_network(&corridor_cells(l, &grid))?)),
        None => None,
    };
    let dir = match m.get_one::<PathBuf>("out") {
        Some(d) => d.clone(),
        None => out_root.join("pattern"),
    };
    let mut notes = vec![importance_note];
    notes.extend(settings_note);
    notes.extend(out.notes.iter().cloned());
    let files = write_pattern(
        &dir,
        &out,
        &params,
        &notes,
        planned.as_ref().map(|(l, p)| (*l, p)),
    )?;
    for n in &notes {
        eprintln!("  {n}");
    }
    if let Some((_, p)) = &planned {
        let c = &p.comparison;
        eprintln!(
            "规划廊道 planned corridors: +{} links; γ {:.4} → {:.4}, α {:.4} → {:.4}, β {:.4} → {:.4}{}",
            c.added_links, c.before.gamma, c.after.gamma, c.before.alpha, c.after.alpha, c.before.beta, c.after.beta,
            if p.unattached.is_empty() { String::new() } else { format!("; {} corridor(s) join fewer than two sources (features {:?}, 0-based)", p.unattached.len(), p.unattached) }
        );
    }
    if let Some(n) = &out.network {
        eprintln!(
            "网络结构 network: V = {} 源地, L = {} 廊道; α = {:.4}, β = {:.4}, γ (生态廊道连通度) = {:.4}",
            n.nodes, n.links, n.alpha, n.beta, n.gamma
        );
    }
    eprintln!("已写出 wrote {} files into {}", files.len(), dir.display());
    Ok(())
}

fn csv_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in-memory csv");
    for r in rows {
        w.write_record(r).expect("in-memory csv");
    }
    String::from_utf8(w.into_inner().expect("in-memory csv")).expect("utf-8 fields")
}

fn opt(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    ecoplan_io::atomic::write_atomic(path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| ecoplan_io::IoError::io(path, e))
    })?;
    Ok(())
}

/// Writes every output of the chain into `dir`; returns the file names written.
pub fn write_pattern(
    dir: &Path,
    out: &PatternOutputs,
    params: &PatternParams,
    notes: &[String],
    planned: Option<(&Layer, &PlannedNetwork)>,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let spec = out.resistance.resistance.spec();
    let mut files: Vec<String> = Vec::new();
    let opts = ecoplan_io::raster::WriteOptions {
        compression: ecoplan_io::raster::Compression::Deflate,
        predictor: true,
        ..Default::default()
    };
    let mut put = |name: &str, g: AnyGrid| -> Result<()> {
        crate::rasters::write_raster(&dir.join(name), &g, &opts)
            .with_context(|| format!("writing {name}"))?;
        files.push(name.to_string());
        Ok(())
    };
    put("sources.tif", AnyGrid::U32(out.sources.patches.clone()))?;
    put("mspa.tif", AnyGrid::U8(out.mspa.clone()))?;
    put(
        "resistance.tif",
        AnyGrid::F32(out.resistance.resistance.clone()),
    )?;
    put(
        "corridors.tif",
        AnyGrid::F32(out.corridors_truncated.clone()),
    )?;
    if let Some(g) = &out.current {
        put("current.tif", AnyGrid::F32(g.clone()))?;
    }
    if let Some(p) = &out.pinchpoint {
        put("pinchpoint_current.tif", AnyGrid::F32(p.current.clone()))?;
    }
    if let Some(g) = &out.pinch_points {
        put("pinch_points.tif", AnyGrid::U8(g.clone()))?;
    }
    if let Some(b) = &out.barriers {
        put("barriers.tif", AnyGrid::F32(b.circles.clone()))?;
    }
    if let Some(g) = &out.barrier_class {
        put("barrier_class.tif", AnyGrid::U8(g.clone()))?;
    }

    // Tables.
    let kept: Vec<_> = out.corridors.kept_links().collect();
    super::corridors::write_link_table(&dir.join("links.csv"), &out.corridors.links)?;
    files.push("links.csv".into());
    write_text(
        &dir.join("resistance_table.csv"),
        &out.resistance.report.table.to_csv(),
    )?;
    files.push("resistance_table.csv".into());
    let src_rows: Vec<Vec<String>> = out
        .sources
        .table
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.cells.to_string(),
                format!("{:.4}", s.area_ha),
                format!("{:.4}", s.area_ha / 100.0),
                opt(s.dpc),
                opt(s.mean_importance),
                format!("{:?}", s.reason).to_lowercase(),
                format!("{:.2}", s.centroid.0),
                format!("{:.2}", s.centroid.1),
            ]
        })
        .collect();
    write_text(
        &dir.join("sources.csv"),
        &csv_text(
            &[
                "source_id",
                "cells",
                "area_ha",
                "area_km2",
                "dpc_percent",
                "mean_importance",
                "reason",
                "x",
                "y",
            ],
            &src_rows,
        ),
    )?;
    files.push("sources.csv".into());
    let index_row =
        |label: &str, n: &ecoplan_pattern::network::NetworkIndices, cost: Option<f64>| {
            vec![
                label.to_string(),
                n.nodes.to_string(),
                n.links.to_string(),
                format!("{:.6}", n.alpha),
                format!("{:.6}", n.beta),
                format!("{:.6}", n.gamma),
                cost.map(|c| format!("{c:.6}")).unwrap_or_default(),
            ]
        };
    let net_header = [
        "network",
        "nodes_V",
        "links_L",
        "alpha",
        "beta",
        "gamma",
        "cost_ratio",
    ];
    let net_rows: Vec<Vec<String>> = out
        .network
        .iter()
        .map(|n| index_row("现状 current", n, out.network_cost_ratio))
        .collect();
    write_text(&dir.join("network.csv"), &csv_text(&net_header, &net_rows))?;
    files.push("network.csv".into());
    if let Some((_, p)) = planned {
        let c = &p.comparison;
        // Planned links count along their pair's least-cost path in the cost ratio.
        let mut header = net_header.to_vec();
        header.push("added_links");
        let mut before = index_row("现状 current", &c.before, p.cost_ratio_before);
        before.push(String::new());
        let mut after = index_row(
            "规划 planned (current + planned corridors)",
            &c.after,
            p.cost_ratio_after,
        );
        after.push(c.added_links.to_string());
        let delta = vec![
            "变化 change".to_string(),
            "0".into(),
            (c.after.links - c.before.links).to_string(),
            format!("{:.6}", c.after.alpha - c.before.alpha),
            format!("{:.6}", c.after.beta - c.before.beta),
            format!("{:.6}", c.after.gamma - c.before.gamma),
            match (p.cost_ratio_before, p.cost_ratio_after) {
                (Some(b), Some(a)) => format!("{:.6}", a - b),
                _ => String::new(),
            },
            c.added_links.to_string(),
        ];
        write_text(
            &dir.join("planned_network.csv"),
            &csv_text(&header, &[before, after, delta]),
        )?;
        files.push("planned_network.csv".into());
    }

    // GeoPackage: least-cost paths with the link table, source polygons, nodes.
    let crs = spec.crs.clone();
    let lines = super::corridors::lcp_layer(&out.corridors, &spec);
    let real = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map(FieldValue::Real)
            .unwrap_or(FieldValue::Null)
    };
    let mut polys = ecoplan_io::vector::polygonize(&out.sources.patches, &Default::default());
    polys.name = "sources".into();
    // One feature per source: dissolve the polygonized pieces by id and attach the table.
    let id_field = polys
        .field_index("value")
        .or_else(|| (!polys.fields.is_empty()).then_some(0));
    let mut sources = Layer::new("sources", crs.clone());
    for (n, t) in [
        ("source_id", FieldType::Int),
        ("area_ha", FieldType::Real),
        ("dpc", FieldType::Real),
        ("mean_imp", FieldType::Real),
    ] {
        sources.add_field(n, t);
    }
    for s in &out.sources.table {
        let parts: Vec<geo::Polygon<f64>> = polys
            .features
            .iter()
            .filter(|f| {
                id_field
                    .and_then(|k| f.properties.get(k))
                    .and_then(|v| v.as_i64())
                    == Some(s.id as i64)
            })
            .flat_map(|f| match &f.geometry {
                Some(geo::Geometry::Polygon(p)) => vec![p.clone()],
                Some(geo::Geometry::MultiPolygon(mp)) => mp.0.clone(),
                _ => Vec::new(),
            })
            .collect();
        sources.push(
            Some(geo::Geometry::MultiPolygon(geo::MultiPolygon(parts))),
            vec![
                FieldValue::Int(s.id as i64),
                FieldValue::Real(s.area_ha),
                real(s.dpc),
                real(s.mean_importance),
            ],
        );
    }
    let nodes = super::corridors::nodes_layer("nodes", crs.clone(), &out.nodes);
    let gpkg = dir.join("pattern.gpkg");
    let planned_layer = planned.map(|(layer, p)| {
        let mut l = Layer::new("planned_corridors", crs.clone());
        l.add_field("feature", FieldType::Int);
        l.add_field("links", FieldType::Text);
        for (k, f) in layer.features.iter().enumerate() {
            let links: Vec<String> = p
                .links
                .iter()
                .filter(|x| x.corridor == k)
                .map(|x| format!("{}-{}", x.source_a, x.source_b))
                .collect();
            l.push(
                f.geometry.clone(),
                vec![
                    FieldValue::Int(k as i64 + 1),
                    FieldValue::Text(links.join(";")),
                ],
            );
        }
        l
    });
    let mut gpkg_layers: Vec<&Layer> = vec![&lines, &sources, &nodes];
    if let Some(l) = &planned_layer {
        gpkg_layers.push(l);
    }
    write_gpkg_layers(&gpkg, &gpkg_layers)
        .with_context(|| format!("writing {}", gpkg.display()))?;
    files.push("pattern.gpkg".into());

    let summary = serde_json::json!({
        "params": params,
        "notes": notes,
        "network": out.network,
        "network_cost_ratio": out.network_cost_ratio,
        "planned_network": planned.map(|(_, p)| p),
        "gravity_threshold": ecoplan_pattern::corridors::gravity_threshold(
            &kept.iter().filter_map(|l| l.gravity).collect::<Vec<_>>(),
            params.linkage.gravity_classes,
        ),
        "sources": out.sources.table.len(),
        "links_candidate": out.corridors.links.len(),
        "links_kept": kept.len(),
        "nodes": out.nodes.len(),
        "resistance": out.resistance.report,
        "effective_resistances": out.effective_resistances,
        "pinchpoint_links": out.pinchpoint.as_ref().map(|p| p.links.clone()),
        "barrier_max_score_by_radius": out.barriers.as_ref().map(|b| b.max_score_by_radius.clone()),
    });
    write_text(
        &dir.join("pattern.json"),
        &serde_json::to_string_pretty(&summary)?,
    )?;
    files.push("pattern.json".into());
    Ok(files)
}

/// Demo step: the pattern chain on 云冈区 with the assess step's importance (极重要 and 重要,
/// ≥ 2: at 3 only, the demo's importance leaves too few core patches), written to `<run>/pattern/`.
pub fn demo_step(cx: &mut crate::demo::DemoContext) -> Result<()> {
    let region = cx.mask()?.clone();
    let landuse = cx.layer("landuse")?.to_f64().map(Some(0), |v| v as i32);
    let importance_path = cx.run_dir.join("assess/importance.tif");
    let importance = if importance_path.exists() {
        Some(crate::rasters::read_raster(&importance_path)?.to_f32())
    } else {
        None
    };
    let rivers = cx
        .layer("streams")
        .ok()
        .map(|g| g.to_f64().map(Some(0), |v| u8::from(v > 0.0)));
    let table = ResistanceTable::preset("common_default")?;
    let params = demo_params();
    // Resistance: land use 0.7 + slope 0.3 (Turpan weights, METHODS §3.2), NDVI correction.
    let slope = cx.layer("slope")?.to_f32();
    let ndvi = cx.layer("ndvi")?.to_f32();
    let slope_breaks = BreakTable::preset("turpan_slope")?;
    let factors = [Factor {
        name: "slope 坡度 (°)",
        layer: &slope,
        breaks: &slope_breaks,
        weight: DEMO_SLOPE_WEIGHT,
    }];
    let corrections = [Correction {
        kind: CorrectionKind::Ndvi,
        layer: &ndvi,
    }];
    let mut inputs = PatternInputs::new(&landuse, &table);
    inputs.region = Some(&region);
    inputs.importance = importance.as_ref();
    inputs.rivers = rivers.as_ref();
    inputs.factors = &factors;
    inputs.corrections = &corrections;
    let out = run_pattern(&inputs, &params, cx.progress).context("生态安全格局 pattern chain")?;
    let mut notes = vec![if importance.is_some() {
        format!(
            "重要性 importance: assess/importance.tif, sources need ≥ {} (重要 and 极重要)",
            params.importance_threshold
        )
    } else {
        "重要性 importance: assess/importance.tif missing; sources = MSPA core of ecological land only".into()
    }];
    notes.push("河流 rivers for nodes: layers/streams.tif (D8 streams ≥ 1 km²)".into());
    notes.push(format!(
        "阻力面 resistance: {} × common_default land use (NDVI-corrected R_a·NDVI_a/NDVI_i) + {} × slope (turpan_slope), clamped to the table's range",
        params.resistance.landuse_weight, DEMO_SLOPE_WEIGHT
    ));
    // Planned corridor (规划廊道), SYNTHESIZED: the least-cost path of the cheapest candidate
    // link that Linkage Mapper pruned (not a nearest neighbour), as a plan would add it.
    let grid = landuse.spec();
    let planned_layer = synthesize_planned_corridor(&out, &grid);
    let planned = match &planned_layer {
        Some(l) => {
            notes.push("规划廊道 planned corridor: SYNTHESIZED for the demo (straight line between the closest pair of sources no corridor joins); the 云冈区 plan names corridors without geometry".into());
            Some((l, out.planned_network(&corridor_cells(l, &grid))?))
        }
        None => {
            notes.push("规划廊道 planned corridor: none synthesized (every pair of sources is already joined)".into());
            None
        }
    };
    notes.extend(out.notes.iter().cloned());
    let dir = cx.out_path("pattern/pattern.json")?;
    let dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = write_pattern(
        &dir,
        &out,
        &params,
        &notes,
        planned.as_ref().map(|(l, p)| (*l, p)),
    )?;
    for f in files {
        cx.record(
            &format!("pattern/{f}"),
            "生态安全格局 (ecoplan_pattern::chain::run_pattern)",
        );
    }
    cx.manifest.param(
        "pattern",
        serde_json::json!({
            "params": params,
            "resistance_table": table.name,
            "notes": notes,
            "network": out.network,
            "network_cost_ratio": out.network_cost_ratio,
            "planned_network": planned.as_ref().map(|(_, p)| p),
            "resistance": out.resistance.report,
            "sources": out.sources.table.len(),
            "links_kept": out.corridors.kept_links().count(),
            "nodes": out.nodes.len(),
        }),
    );
    Ok(())
}

/// Weight of the slope factor in the demo's resistance (Turpan: land use 0.7, slope 0.3).
pub const DEMO_SLOPE_WEIGHT: f64 = 0.3;

/// Parameters of the demo run (recorded in the manifest).
pub fn demo_params() -> PatternParams {
    let mut p = PatternParams {
        importance_threshold: 2.0,
        ..Default::default()
    };
    p.resistance.landuse_weight = 1.0 - DEMO_SLOPE_WEIGHT;
    p
}

/// A demo planned corridor: the straight line between the centroids of the closest pair of
/// sources that no kept corridor joins, whose cells (grid line between the centroid cells)
/// add at least one link to the network and pass `accept`; returns the pair and the cells.
pub fn unlinked_pair_corridor(
    out: &PatternOutputs,
    keep_cell: impl Fn(usize) -> bool,
    accept: impl Fn(&[usize]) -> bool,
) -> Option<(u32, u32, Vec<usize>)> {
    let spec = out.sources.patches.spec();
    let t = spec.transform;
    let kept: Vec<(u32, u32)> = out
        .corridors
        .kept_links()
        .map(|l| (l.core_a.min(l.core_b), l.core_a.max(l.core_b)))
        .collect();
    let table = &out.sources.table;
    let cell_of = |(x, y): (f64, f64)| {
        let c = ((x - t.x0) / t.dx).floor() as i64;
        let r = ((y - t.y0) / t.dy).floor() as i64;
        (c, r)
    };
    let mut pairs: Vec<(f64, u32, u32)> = Vec::new();
    for a in table {
        for b in table {
            if a.id < b.id && !kept.contains(&(a.id, b.id)) {
                let d = (a.centroid.0 - b.centroid.0).hypot(a.centroid.1 - b.centroid.1);
                pairs.push((d, a.id, b.id));
            }
        }
    }
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
    for (_, a, b) in pairs {
        let (c0, r0) = cell_of(table[a as usize - 1].centroid);
        let (c1, r1) = cell_of(table[b as usize - 1].centroid);
        let n = (c1 - c0).abs().max((r1 - r0).abs()).max(1);
        let mut cells: Vec<usize> = Vec::new();
        for k in 0..=n {
            let c = c0 + ((c1 - c0) as f64 * k as f64 / n as f64).round() as i64;
            let r = r0 + ((r1 - r0) as f64 * k as f64 / n as f64).round() as i64;
            if c >= 0 && r >= 0 && (c as usize) < spec.width && (r as usize) < spec.height {
                let i = r as usize * spec.width + c as usize;
                if cells.last() != Some(&i) && keep_cell(i) {
                    cells.push(i);
                }
            }
        }
        let adds = out
            .planned_network(std::slice::from_ref(&cells))
            .is_ok_and(|p| p.comparison.added_links >= 1);
        if adds && accept(&cells) {
            return Some((a, b, cells));
        }
    }
    None
}

/// The demo's planned corridor as a one-feature line layer ([`unlinked_pair_corridor`]).
pub fn synthesize_planned_corridor(out: &PatternOutputs, grid: &GridSpec) -> Option<Layer> {
    let (a, b, _) = unlinked_pair_corridor(out, |_| true, |_| true)?;
    let (pa, pb) = (
        out.sources.table[a as usize - 1].centroid,
        out.sources.table[b as usize - 1].centroid,
    );
    let mut layer = Layer::new("planned_corridors", grid.crs.clone());
    layer.add_field("name", FieldType::Text);
    layer.push(
        Some(geo::Geometry::LineString(geo::LineString::from(vec![
            pa, pb,
        ]))),
        vec![FieldValue::Text(format!(
            "SYNTHESIZED 规划廊道 源地{a}–源地{b}"
        ))],
    );
    Some(layer)
}
