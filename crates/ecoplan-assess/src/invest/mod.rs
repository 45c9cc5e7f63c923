//! InVEST-compatible models with natcap.invest 3.20 semantics.
//!
//! Each model takes aligned grids and typed tables and returns its output grids under the
//! same names natcap.invest writes into its workspace (see each `*Outputs::files`). Per-pixel
//! values match natcap.invest 3.20.2 (tested against committed fixtures made by
//! `scripts/invest_fixtures/make_fixtures.py`).
//!
//! Land-use grids are `Grid<i32>` (convert with [`lulc_from_any`]); continuous inputs are
//! `Grid<f32>` whose nodata is the grid's nodata value or NaN.

pub mod carbon;
pub mod habitat_quality;
pub mod sdr;
pub mod water_yield;

use crate::AssessError;
use ecoplan_grid::{AnyGrid, Cell, Grid, GridSpec};
use std::collections::{BTreeSet, HashMap};

/// Nodata used for land-use codes converted by [`lulc_from_any`] when the source had none.
pub const LULC_NODATA: i32 = i32::MIN;

/// Land-use codes as `Grid<i32>`: integer grids keep their values and nodata; float grids are
/// truncated (nodata/NaN → [`LULC_NODATA`]).
pub fn lulc_from_any(g: &AnyGrid) -> Grid<i32> {
    match g {
        AnyGrid::I32(g) => g.clone(),
        other => {
            let nd = other.nodata_f64();
            let nodata = match nd {
                Some(v) if v.fract() == 0.0 && v >= i32::MIN as f64 && v <= i32::MAX as f64 => {
                    v as i32
                }
                _ => LULC_NODATA,
            };
            // Cell by cell (no f64 copy of the grid): nodata and NaN → `nodata`.
            ecoplan_grid::with_any_grid!(other, g => g.map(Some(nodata), |v| {
                let x = v.to_f64();
                if x.is_nan() {
                    nodata
                } else {
                    x as i32
                }
            }))
        }
    }
}

/// A named grid geometry, for alignment checks.
pub(crate) fn check_aligned(specs: &[(&str, GridSpec)]) -> Result<(), AssessError> {
    let Some((first_name, first)) = specs.first() else {
        return Ok(());
    };
    let mut problems = Vec::new();
    for (name, s) in &specs[1..] {
        if let Err(e) = first.check_aligned(s) {
            problems.push(format!("{name} vs {first_name}: {e}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AssessError::NotAligned(problems.join("; ")))
    }
}

/// Codes present in `lulc` (excluding nodata) that `map` lacks, as a problem message.
pub(crate) fn missing_codes<V>(
    lulc: &Grid<i32>,
    map: &HashMap<i64, V>,
    raster: &str,
    table: &str,
) -> Option<String> {
    use rayon::prelude::*;
    let known = CodeTable::new(&map.keys().map(|&k| (k, ())).collect::<HashMap<i64, ()>>());
    let missing: BTreeSet<i32> = lulc
        .data
        .par_chunks(1 << 16)
        .fold(BTreeSet::new, |mut set, chunk| {
            for &v in chunk {
                if !lulc.is_nodata(v) && known.get(v).is_none() {
                    set.insert(v);
                }
            }
            set
        })
        .reduce(BTreeSet::new, |mut a, b| {
            a.extend(b);
            a
        });
    if missing.is_empty() {
        None
    } else {
        Some(format!(
            "{raster}: codes {} are not in the `lucode` column of the {table} table; add rows for them",
            missing.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// A lookup from land-use code to a per-class value: a dense table over the code range when
/// the codes are small integers (one indexed load per cell instead of a hash lookup), else the
/// map itself.
pub(crate) enum CodeTable<V: Copy> {
    Dense { lo: i64, values: Vec<Option<V>> },
    Sparse(HashMap<i64, V>),
}

impl<V: Copy> CodeTable<V> {
    pub(crate) fn new(map: &HashMap<i64, V>) -> Self {
        let (lo, hi) = map
            .keys()
            .fold((i64::MAX, i64::MIN), |(a, b), &k| (a.min(k), b.max(k)));
        if hi >= lo && hi - lo < 1 << 20 {
            let mut values = vec![None; (hi - lo + 1) as usize];
            for (&k, &v) in map {
                values[(k - lo) as usize] = Some(v);
            }
            CodeTable::Dense { lo, values }
        } else if map.is_empty() {
            CodeTable::Dense {
                lo: 0,
                values: Vec::new(),
            }
        } else {
            CodeTable::Sparse(map.clone())
        }
    }
    #[inline]
    pub(crate) fn get(&self, code: i32) -> Option<V> {
        match self {
            CodeTable::Dense { lo, values } => {
                let k = code as i64 - lo;
                if k < 0 {
                    None
                } else {
                    values.get(k as usize).copied().flatten()
                }
            }
            CodeTable::Sparse(m) => m.get(&(code as i64)).copied(),
        }
    }
}

/// Receives output grids as a model finishes them — name without suffix or `.tif`, e.g.
/// `intermediate_outputs/ls` — so the caller can write each one and free it at once.
pub type OutputSink<'a> = dyn FnMut(&str, OutputData) -> Result<(), String> + 'a;

/// A grid with `base`'s geometry.
pub(crate) fn like<T: Cell, U: Cell>(base: &Grid<U>, data: Vec<T>, nodata: Option<T>) -> Grid<T> {
    Grid {
        width: base.width,
        height: base.height,
        data,
        transform: base.transform,
        crs: base.crs.clone(),
        nodata,
    }
}

/// One output grid and the workspace-relative file name natcap.invest gives it.
#[derive(Debug, Clone)]
pub struct OutputGrid {
    /// Path relative to the workspace, e.g. `intermediate_outputs/ls.tif`.
    pub path: String,
    pub grid: OutputData,
}

/// Cell data of an output grid.
#[derive(Debug, Clone)]
pub enum OutputData {
    F32(Grid<f32>),
    F64(Grid<f64>),
    U8(Grid<u8>),
    I32(Grid<i32>),
}

impl OutputData {
    /// The grid as an [`AnyGrid`], without copying its cells.
    pub fn into_any(self) -> AnyGrid {
        match self {
            OutputData::F32(g) => AnyGrid::F32(g),
            OutputData::F64(g) => AnyGrid::F64(g),
            OutputData::U8(g) => AnyGrid::U8(g),
            OutputData::I32(g) => AnyGrid::I32(g),
        }
    }
    pub fn to_any(&self) -> AnyGrid {
        match self {
            OutputData::F32(g) => AnyGrid::F32(g.clone()),
            OutputData::F64(g) => AnyGrid::F64(g.clone()),
            OutputData::U8(g) => AnyGrid::U8(g.clone()),
            OutputData::I32(g) => AnyGrid::I32(g.clone()),
        }
    }
}

/// A CSV output: path relative to the workspace and its text.
#[derive(Debug, Clone)]
pub struct OutputTable {
    pub path: String,
    pub csv: String,
}

/// Formats a float for CSV output with full precision (Python's `repr` style).
pub(crate) fn fmt_f64(v: f64) -> String {
    if v.is_nan() {
        return String::new();
    }
    let s = format!("{v:?}");
    s
}
