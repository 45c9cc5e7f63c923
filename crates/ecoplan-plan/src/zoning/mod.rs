//! Problems, restoration zones and key areas (METHODS §4): 三生空间 classification, conflict
//! rules, the landscape conflict index SCCI, zoning by matrix overlay, k-means or SOFM on units with contiguity clean-up and generated zone
//! names, and key areas by score, dissolve and minimum area.
//!
//! Pure functions on grids and tables: presets come in as CSV text, results go out as grids and
//! typed summaries. Units are any id grid (乡镇, 小流域) or regular blocks ([`block_units`]).
//!
//! ```
//! use ecoplan_grid::Grid;
//! use ecoplan_plan::zoning::{classify_spaces, Space, SpaceTable, SPACE_PRESET};
//! let table = SpaceTable::from_csv(SPACE_PRESET).unwrap();
//! // cropland, forest, built-up
//! let lu = Grid::<u8>::from_rows(3, 1, vec![1, 3, 8]).unwrap();
//! let spaces = classify_spaces(&lu, None, &table).unwrap();
//! assert_eq!(spaces.data, vec![Space::Agricultural as u8, Space::Ecological as u8, Space::Urban as u8]);
//! ```

mod cluster;
mod conflict;
mod key_areas;
mod naming;
mod scci;
mod space;
mod units;
mod zones;

pub use cluster::{adjusted_rand_index, kmeans, silhouette, sofm, KMeansResult, SofmSettings};
pub use conflict::{find_conflicts, ConflictResult, ConflictRule, ConflictStat, Op};
pub use key_areas::{key_areas, KeyArea, KeyAreaParams, KeyAreaResult};
pub use naming::{direction_zh, terrain_zh};
pub use scci::{landscape_conflict, scci_grade, FragilityTable, LandscapeConflict, SCCI_GRADES};
pub use space::{classify_spaces, Space, SpaceClass, SpaceTable};
pub use units::{
    block_units, unit_features, FeatureSettings, UnitFeatures, UnitGraph, ZoningLayers,
};
pub use zones::{
    cleanup_contiguity, matrix_mode, zone_units, zoning_stability, RestorationMode, StabilityRun,
    Zone, ZoningMethod, ZoningParams, ZoningResult,
};

use ecoplan_grid::{Cell, Grid};

/// The bundled class→space table for `presets/landuse/common_classes.csv` codes
/// (`presets/zoning/space_common_classes.csv`).
pub const SPACE_PRESET: &str = include_str!("../../../../presets/zoning/space_common_classes.csv");
/// The bundled fragility weights of the SCCI (`presets/zoning/fragility_common_classes.csv`).
pub const FRAGILITY_PRESET: &str =
    include_str!("../../../../presets/zoning/fragility_common_classes.csv");
/// The bundled conflict rules (`presets/zoning/conflict_rules.csv`).
pub const CONFLICT_PRESET: &str = include_str!("../../../../presets/zoning/conflict_rules.csv");

/// Errors of zoning and key-area steps.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ZoningError {
    #[error("参数错误 invalid zoning settings: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error("预设表错误 bad preset table {table}: {}", .problems.join("; "))]
    Preset {
        table: &'static str,
        problems: Vec<String>,
    },
    #[error("栅格不对齐 grids are not aligned: {0}")]
    NotAligned(String),
    #[error("地类代码 {codes:?} 不在三生空间表中 land-use codes missing from the space table: add rows for them")]
    UnknownClasses { codes: Vec<i64> },
    #[error("没有有效单元 no valid units: the region mask has no cells inside")]
    Empty,
}

/// A read-only view of a layer of any common cell type; values are read as `f64`.
#[derive(Clone, Copy)]
pub enum LayerRef<'a> {
    U8(&'a Grid<u8>),
    U32(&'a Grid<u32>),
    F32(&'a Grid<f32>),
}

impl<'a> LayerRef<'a> {
    /// The value at flat index `i`, `None` at nodata or NaN.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        fn at<T: Cell>(g: &Grid<T>, i: usize) -> Option<f64> {
            let v = g.data[i];
            if g.is_nodata(v) {
                return None;
            }
            let f = v.to_f64();
            (!f.is_nan()).then_some(f)
        }
        match self {
            LayerRef::U8(g) => at(g, i),
            LayerRef::U32(g) => at(g, i),
            LayerRef::F32(g) => at(g, i),
        }
    }
    pub fn spec(&self) -> ecoplan_grid::GridSpec {
        match self {
            LayerRef::U8(g) => g.spec(),
            LayerRef::U32(g) => g.spec(),
            LayerRef::F32(g) => g.spec(),
        }
    }
}

impl<'a> From<&'a Grid<u8>> for LayerRef<'a> {
    fn from(g: &'a Grid<u8>) -> Self {
        LayerRef::U8(g)
    }
}
impl<'a> From<&'a Grid<u32>> for LayerRef<'a> {
    fn from(g: &'a Grid<u32>) -> Self {
        LayerRef::U32(g)
    }
}
impl<'a> From<&'a Grid<f32>> for LayerRef<'a> {
    fn from(g: &'a Grid<f32>) -> Self {
        LayerRef::F32(g)
    }
}

pub(crate) fn check_aligned(
    a: &ecoplan_grid::GridSpec,
    b: &ecoplan_grid::GridSpec,
    what: &str,
) -> Result<(), ZoningError> {
    a.check_aligned(b)
        .map_err(|e| ZoningError::NotAligned(format!("{what}: {e}")))
}

/// Parses a CSV preset into header-indexed rows; problems name the row and column.
pub(crate) fn csv_rows(
    text: &str,
    table: &'static str,
    required: &[&str],
) -> Result<Vec<std::collections::BTreeMap<String, String>>, ZoningError> {
    let mut rd = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let bad = |p: Vec<String>| ZoningError::Preset { table, problems: p };
    let headers: Vec<String> = rd
        .headers()
        .map_err(|e| bad(vec![e.to_string()]))?
        .iter()
        .map(str::to_string)
        .collect();
    let missing: Vec<String> = required
        .iter()
        .filter(|r| !headers.iter().any(|h| h == *r))
        .map(|r| format!("缺少列 missing column `{r}`"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(missing));
    }
    let mut rows = Vec::new();
    for (n, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| bad(vec![format!("row {}: {e}", n + 2)]))?;
        rows.push(
            headers
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect(),
        );
    }
    Ok(rows)
}
