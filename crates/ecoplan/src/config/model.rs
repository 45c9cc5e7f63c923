//! The typed plan: what `plan.toml` says once parsed (see `data/demo/plan.toml` for a commented example).

use super::problem::Pos;
use ecoplan_grid::Crs;
use std::path::PathBuf;

/// A value with the place in plan.toml it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Loc<T> {
    pub value: T,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    /// The plan file itself.
    pub file: PathBuf,
    /// Folder relative paths in the plan are resolved against (the plan file's folder).
    pub base_dir: PathBuf,
    pub meta: PlanMeta,
    pub region: RegionConfig,
    pub grid: GridConfig,
    pub layers: Vec<LayerConfig>,
    pub output: OutputConfig,
    /// `[pattern]`: settings of `ecoplan pattern` (all optional; its flags override them).
    pub pattern: PatternConfig,
}

/// `[pattern]` of plan.toml: the resistance factors and corrections, the gravity-model split and
/// the planned corridors of `ecoplan pattern` (METHODS §3). Every field is optional; a command-line
/// flag overrides the field it names. Paths are relative to the plan file.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PatternConfig {
    /// Land-use resistance table: a preset name (common_default, …) or a CSV path
    /// (`code,name_zh,name_en,resistance`). Default common_default. Flag `--table`.
    pub resistance_table: Option<String>,
    /// Weight of the land-use resistance in the weighted sum, in (0, 1]. Default
    /// 1 − Σ factor weights. Flag `--landuse-weight`.
    pub landuse_weight: Option<f64>,
    /// Slope factor (degrees, from the plan's dem layer): break table and weight
    /// (Turpan: turpan_slope, 0.3). Flag `--slope-factor BREAKS:WEIGHT`.
    pub slope_factor: Option<FactorConfig>,
    /// Distance-to-roads factor (metres, from the plan's roads layer): break table (default
    /// the road_distance preset) and weight. Flag `--road-factor [BREAKS:]WEIGHT`.
    pub road_factor: Option<FactorConfig>,
    /// NDVI correction R′ = R_a·NDVI_a/NDVI_i from the plan's ndvi layer; None = off. Flags
    /// `--ndvi-correction` / `--no-ndvi-correction` override it either way.
    pub ndvi_correction: Option<bool>,
    /// Night-light raster for R′ = R_a·NL_i/NL_a. Flag `--night-light`.
    pub night_light: Option<PathBuf>,
    /// Impervious-share raster for R′ = R_a·ISA_i/ISA_a. Flag `--impervious`.
    pub impervious: Option<PathBuf>,
    /// 重要/一般廊道 split of the corridors by gravity G (Kong et al. 2010): natural breaks
    /// ("jenks", default), "off", or a threshold G (a number). Flag `--gravity-classes`.
    pub gravity_classes: Option<ecoplan_pattern::corridors::GravityClasses>,
    /// Planned corridors (规划廊道) lines/polygons for α/β/γ before/after. Default: the plan's
    /// vector layer named planned_corridors. Flag `--planned-corridors`.
    pub planned_corridors: Option<PathBuf>,
    /// Minimum source patch area, 公顷 ha, ≥ 0. Default 100. Flag `--min-area-ha`.
    pub min_area_ha: Option<f64>,
    /// Linkage Mapper nearest-neighbour pruning: keep each source's N nearest neighbours by
    /// cost-weighted distance, or all links. Default 4. Flag `--nn`.
    pub nn: Option<NearestNeighbours>,
    /// Corridor width: the normalised least-cost corridors are truncated at this cost-weighted
    /// distance (cost·m, ≥ 0), also the extent of the pinch-point circuits. Default 20000.
    /// Flag `--truncate`.
    pub truncate: Option<f64>,
}

/// `nn` of `[pattern]` and `--nn`: how many neighbours of each source keep their link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NearestNeighbours {
    /// The N (≥ 1) nearest.
    Count(usize),
    /// No pruning (`"all"`).
    All,
}

impl NearestNeighbours {
    /// As `LinkageParams::nearest_neighbours` takes it (None = keep all).
    pub fn limit(self) -> Option<usize> {
        match self {
            NearestNeighbours::Count(n) => Some(n),
            NearestNeighbours::All => None,
        }
    }
}

/// A weighted resistance factor of `[pattern]`: a break table (preset name or CSV path with
/// columns `upper,resistance`) and its weight in (0, 1).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FactorConfig {
    pub breaks: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PlanMeta {
    pub name: Option<String>,
    pub base_year: Option<i64>,
    pub target_years: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum FilterValue {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for FilterValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterValue::Int(i) => write!(f, "{i}"),
            FilterValue::Str(s) => write!(f, "\"{s}\""),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegionConfig {
    /// Polygon file holding the planning region's boundary.
    pub boundary: Loc<PathBuf>,
    /// Feature filter: every `field = value` must hold (e.g. `adcode = 140214`).
    pub filter: Vec<Loc<(String, FilterValue)>>,
    /// Buffer around the boundary included in the analysis grid, metres.
    pub buffer_m: f64,
    /// Admin units (乡镇/区县 polygons) for tables by unit; optional.
    pub admin_units: Option<Loc<PathBuf>>,
    /// Field of `admin_units` naming each unit.
    pub admin_field: String,
}

pub const DEFAULT_CELL_SIZE_M: f64 = 30.0;
pub const DEFAULT_BUFFER_M: f64 = 2000.0;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GridConfig {
    /// Projected CRS of the analysis grid; None = automatic (CGCS2000 3° Gauss–Krüger zone).
    pub crs: Option<Loc<Crs>>,
    /// Cell size in metres.
    pub cell_size: Loc<f64>,
}

pub use ecoplan_io::align::Resampling;

/// The lower-case name of a resampling method, as written in plan.toml and on the command line.
pub fn resampling_name(r: Resampling) -> &'static str {
    match r {
        Resampling::Nearest => "nearest",
        Resampling::Bilinear => "bilinear",
        Resampling::Mode => "mode",
        Resampling::Average => "average",
    }
}

/// What an input layer holds: decides units, value checks and default resampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Landuse,
    Dem,
    Ndvi,
    Precipitation,
    Et0,
    SoilErodibility,
    SoilDepth,
    Raster,
    Rivers,
    Roads,
    Mines,
    ProtectedAreas,
    Zones,
    Vector,
}

pub struct KindInfo {
    pub kind: LayerKind,
    pub name: &'static str,
    pub zh: &'static str,
    pub vector: bool,
    pub unit: &'static str,
    /// Plausible value range (inclusive) of a raster of this kind.
    pub range: Option<(f64, f64)>,
}

pub const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: LayerKind::Landuse,
        name: "landuse",
        zh: "土地利用",
        vector: false,
        unit: "class code",
        range: None,
    },
    KindInfo {
        kind: LayerKind::Dem,
        name: "dem",
        zh: "数字高程模型",
        vector: false,
        unit: "m",
        range: Some((-500.0, 9000.0)),
    },
    KindInfo {
        kind: LayerKind::Ndvi,
        name: "ndvi",
        zh: "归一化植被指数",
        vector: false,
        unit: "1",
        range: Some((-1.0, 1.0)),
    },
    KindInfo {
        kind: LayerKind::Precipitation,
        name: "precipitation",
        zh: "年降水量",
        vector: false,
        unit: "mm/a",
        range: Some((0.0, 10000.0)),
    },
    KindInfo {
        kind: LayerKind::Et0,
        name: "et0",
        zh: "参考蒸散量",
        vector: false,
        unit: "mm/a",
        range: Some((0.0, 3000.0)),
    },
    KindInfo {
        kind: LayerKind::SoilErodibility,
        name: "soil_erodibility",
        zh: "土壤可蚀性K",
        vector: false,
        unit: "t·ha·h/(ha·MJ·mm)",
        range: Some((0.0, 0.1)),
    },
    KindInfo {
        kind: LayerKind::SoilDepth,
        name: "soil_depth",
        zh: "土壤深度",
        vector: false,
        unit: "mm",
        range: Some((0.0, 10000.0)),
    },
    KindInfo {
        kind: LayerKind::Raster,
        name: "raster",
        zh: "其他栅格",
        vector: false,
        unit: "",
        range: None,
    },
    KindInfo {
        kind: LayerKind::Rivers,
        name: "rivers",
        zh: "河流",
        vector: true,
        unit: "",
        range: None,
    },
    KindInfo {
        kind: LayerKind::Roads,
        name: "roads",
        zh: "道路",
        vector: true,
        unit: "",
        range: None,
    },
    KindInfo {
        kind: LayerKind::Mines,
        name: "mines",
        zh: "矿山图斑",
        vector: true,
        unit: "",
        range: None,
    },
    KindInfo {
        kind: LayerKind::ProtectedAreas,
        name: "protected_areas",
        zh: "自然保护地",
        vector: true,
        unit: "",
        range: None,
    },
    KindInfo {
        kind: LayerKind::Zones,
        name: "zones",
        zh: "分区/行政单元",
        vector: true,
        unit: "",
        range: None,
    },
    KindInfo {
        kind: LayerKind::Vector,
        name: "vector",
        zh: "其他矢量",
        vector: true,
        unit: "",
        range: None,
    },
];

impl LayerKind {
    pub fn info(self) -> &'static KindInfo {
        KINDS
            .iter()
            .find(|k| k.kind == self)
            .expect("every kind has info")
    }
    pub fn parse(s: &str) -> Option<LayerKind> {
        KINDS.iter().find(|k| k.name == s).map(|k| k.kind)
    }
    pub fn default_resampling(self) -> Resampling {
        match self {
            LayerKind::Landuse => Resampling::Mode,
            _ => Resampling::Bilinear,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerConfig {
    pub name: Loc<String>,
    pub file: Loc<PathBuf>,
    pub kind: Loc<LayerKind>,
    /// Class mapping preset name or CSV path (land use only).
    pub classes: Option<Loc<String>>,
    /// Per-plan changes to the mapping: source code → common class key.
    pub class_overrides: Vec<Loc<(String, String)>>,
    pub resampling: Resampling,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutputConfig {
    pub dir: PathBuf,
}

impl Plan {
    /// Resolves a plan-relative path.
    pub fn resolve(&self, p: &std::path::Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
    pub fn layer(&self, name: &str) -> Option<&LayerConfig> {
        self.layers.iter().find(|l| l.name.value == name)
    }
}
