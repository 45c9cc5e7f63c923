//! Accumulated cost distance (累积阻力 / 最小累积阻力 MCR), back-links, allocation and least-cost
//! paths on the implicit 8-neighbour grid graph.
//!
//! **Step cost** (ArcGIS `CostDistance`, Linkage Mapper, scikit-image `MCP_Geometric`,
//! WhiteboxTools `CostDistance`): moving between neighbouring cells `a` and `b` costs
//! `(r_a + r_b) / 2 × step length`, where the step length is the cell width (east/west), the cell
//! height (north/south) or `√(width² + height²)` (diagonals) in map units. Source cells have
//! distance 0. Result units: cost units × map units (e.g. resistance × metres).
//!
//! **Back-link codes** (as ArcGIS): the direction to move from a cell to reach the next cell of
//! its least-cost path back to the source: `0` source, `1` E, `2` SE, `3` S, `4` SW, `5` W,
//! `6` NW, `7` N, `8` NE; [`BACKLINK_NODATA`] (255) where the cell is impassable or unreached.
//!
//! **Impassable cells**: nodata / NaN cost cells are barriers and stay nodata in every output.
//! Costs that are ≤ 0 or infinite are *bad*: by default an error that gives their count and first
//! positions ([`BadCostPolicy::Error`]); with [`BadCostPolicy::AsBarrier`] they are treated like
//! nodata and counted in [`CostDistanceSummary::bad_cost_cells`].
//!
//! **Algorithm**: Dijkstra with a radix heap keyed on the bit pattern of non-negative `f32`
//! distances (monotone, so the heap is exact). Each candidate distance is computed in `f64` from
//! the settled `f32` distance and rounded once. Working memory: distance `f32` (4 B/cell),
//! back-link `u8` (1 B/cell, optional), allocation `u32` (4 B/cell, optional), plus the heap,
//! which holds the current front only (8 B per entry).

use ecoplan_grid::{Cell, GeoTransform, Grid, GridSpec, Progress};
use rayon::prelude::*;

/// Nodata value of distance grids (distances are never negative).
pub const DISTANCE_NODATA: f32 = -9999.0;
/// Nodata value of back-link grids.
pub const BACKLINK_NODATA: u8 = 255;
/// Nodata value of allocation grids (source ids are ≥ 1).
pub const ALLOCATION_NODATA: u32 = 0;

/// Row/column offsets of back-link codes 1..=8 (E, SE, S, SW, W, NW, N, NE).
pub const BACKLINK_OFFSETS: [(i64, i64); 8] = [
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
];

/// What to do with cost cells that are ≤ 0 or infinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadCostPolicy {
    /// Refuse the raster; the error gives the count and the first bad cells.
    #[default]
    Error,
    /// Treat them as impassable (like nodata) and count them.
    AsBarrier,
}

/// Parameters of a cost-distance run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CostDistanceParams {
    /// Stop when the accumulated cost exceeds this value (cost units × map units); cells beyond
    /// stay nodata. `None` (default) = whole grid.
    pub max_cost: Option<f64>,
    /// Cost cells ≤ 0 or infinite: error (default) or barrier.
    pub bad_cost: BadCostPolicy,
    /// Produce the back-link grid (1 byte/cell; needed for least-cost paths). Default true.
    pub backlink: bool,
    /// Produce the allocation grid (id of the nearest source, 4 bytes/cell). Default true.
    pub allocation: bool,
}

impl Default for CostDistanceParams {
    fn default() -> Self {
        CostDistanceParams {
            max_cost: None,
            bad_cost: BadCostPolicy::Error,
            backlink: true,
            allocation: true,
        }
    }
}

impl CostDistanceParams {
    /// Reports every problem at once.
    pub fn validate(&self) -> Result<(), CostDistanceError> {
        let mut problems = Vec::new();
        if let Some(m) = self.max_cost {
            if !(m >= 0.0) || m.is_infinite() {
                problems.push(format!(
                    "max_cost = {m}: must be a finite number ≥ 0 (cost units × map units)"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CostDistanceError::Params(problems))
        }
    }
}

/// Errors of cost distance and least-cost paths.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum CostDistanceError {
    #[error("成本距离参数错误 invalid cost-distance parameters: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error(
        "阻力面含 {count} 个 ≤0 或无穷的像元 cost raster has {count} cells ≤ 0 or infinite \
         (first at col,row: {first}); fix them, or treat them as barriers (bad_cost = as_barrier)"
    )]
    BadCost { count: u64, first: String },
    #[error("没有有效源地像元 no valid source cell: {0}")]
    NoSources(String),
    #[error("源地栅格与阻力面未对齐 sources and cost grids differ: {0}")]
    NotAligned(String),
    #[error(
        "阻力面为地理坐标 the cost grid is in a geographic CRS ({0}); cost distance needs \
         metres: reproject to a projected CRS first"
    )]
    GeographicCrs(String),
    #[error("源地编号无效 invalid source ids: {0}")]
    BadSourceIds(String),
    #[error("最小成本路径 least-cost path: {0}")]
    Path(String),
    #[error("已取消 cancelled")]
    Cancelled,
}

/// Counts describing a run (for logs and the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CostDistanceSummary {
    /// Source cells used (valid cost).
    pub source_cells: u64,
    /// Source cells dropped because their cost is nodata/bad.
    pub sources_on_barrier: u64,
    /// Cells with nodata / NaN cost.
    pub nodata_cells: u64,
    /// Cells with cost ≤ 0 or infinite (only non-zero with [`BadCostPolicy::AsBarrier`]).
    pub bad_cost_cells: u64,
    /// Cells given a distance.
    pub reached_cells: u64,
    /// Passable cells left without a distance (cut off by barriers or `max_cost`).
    pub unreached_cells: u64,
}

/// Result of [`cost_distance`].
#[derive(Debug, Clone, PartialEq)]
pub struct CostDistance {
    /// Accumulated cost; [`DISTANCE_NODATA`] where impassable or unreached.
    pub distance: Grid<f32>,
    /// Back-link codes (module docs); `None` unless requested.
    pub backlink: Option<Grid<u8>>,
    /// Id of the source each cell is nearest to (in cost); `None` unless requested.
    pub allocation: Option<Grid<u32>>,
    pub summary: CostDistanceSummary,
}

/// Multi-source accumulated cost distance.
///
/// `sources`: cells with a valid value > 0 are sources; the value (an integer) is the source id
/// written to the allocation grid. The two grids must be aligned.
///
/// ```
/// use ecoplan_grid::{Grid, NoProgress};
/// use ecoplan_pattern::cost_distance::{cost_distance, CostDistanceParams};
/// let cost = Grid::from_rows(3, 1, vec![1.0f32, 3.0, 5.0]).unwrap();
/// let src = Grid::from_rows(3, 1, vec![1u32, 0, 0]).unwrap();
/// let cd = cost_distance(&cost, &src, &CostDistanceParams::default(), &NoProgress).unwrap();
/// assert_eq!(cd.distance.data, vec![0.0, 2.0, 6.0]); // (1+3)/2, then + (3+5)/2
/// ```
pub fn cost_distance<T: Cell, S: Cell>(
    cost: &Grid<T>,
    sources: &Grid<S>,
    params: &CostDistanceParams,
    progress: &dyn Progress,
) -> Result<CostDistance, CostDistanceError> {
    params.validate()?;
    cost.spec()
        .check_aligned(&sources.spec())
        .map_err(|e| CostDistanceError::NotAligned(e.to_string()))?;
    // Validate first, then stream the seeds from the grid: a list of source cells would cost
    // 16 bytes per source cell (a third of a real landscape can be source).
    check_source_cells(sources)?;
    let surface = CostSurface::new(cost, params.bad_cost)?;
    let mut ws = Workspace::default();
    let run = surface.run(
        sources.data.iter().enumerate().filter_map(|(i, &v)| {
            if sources.is_nodata(v) {
                return None;
            }
            let x = v.to_f64();
            (x > 0.0).then_some((i, x as u32))
        }),
        &RunOptions {
            max_cost: params.max_cost,
            backlink: params.backlink,
            allocation: params.allocation,
        },
        &mut ws,
        progress,
    )?;
    Ok(ws.into_result(&surface, run, params.backlink, params.allocation))
}

/// Source cells `(index, id)` of a source grid: valid cells > 0; ids must be whole numbers.
pub fn source_cells<S: Cell>(sources: &Grid<S>) -> Result<Vec<(usize, u32)>, CostDistanceError> {
    check_source_cells(sources)?;
    Ok(sources
        .data
        .iter()
        .enumerate()
        .filter_map(|(i, &v)| {
            if sources.is_nodata(v) {
                return None;
            }
            let x = v.to_f64();
            (x > 0.0).then_some((i, x as u32))
        })
        .collect())
}

/// Checks a source grid without listing its cells: at least one valid cell > 0, and every
/// such cell a whole number that fits an id.
fn check_source_cells<S: Cell>(sources: &Grid<S>) -> Result<(), CostDistanceError> {
    let mut any = false;
    let mut bad = Vec::new();
    let mut bad_count = 0u64;
    for (i, &v) in sources.data.iter().enumerate() {
        if sources.is_nodata(v) {
            continue;
        }
        let x = v.to_f64();
        if x <= 0.0 {
            continue;
        }
        if x.fract() != 0.0 || x > u32::MAX as f64 - 1.0 {
            bad_count += 1;
            if bad.len() < 5 {
                bad.push(format!(
                    "{x} at ({}, {})",
                    i % sources.width,
                    i / sources.width
                ));
            }
            continue;
        }
        any = true;
    }
    if bad_count > 0 {
        return Err(CostDistanceError::BadSourceIds(format!(
            "{bad_count} source cells are not whole numbers ≥ 1 (e.g. {})",
            bad.join(", ")
        )));
    }
    if !any {
        return Err(CostDistanceError::NoSources(
            "the source grid has no cell > 0".into(),
        ));
    }
    Ok(())
}

/// A validated cost raster ready for repeated runs (Linkage Mapper runs one per core).
pub struct CostSurface<'a, T: Cell> {
    grid: &'a Grid<T>,
    /// Half of the step length per direction (E, SE, S, SW, W, NW, N, NE), map units.
    half_len: [f64; 8],
    nodata_cells: u64,
    bad_cells: u64,
    /// Smallest and largest passable cost (for the bucket queue).
    min_cost: f64,
    max_cost: f64,
}

/// Options of one run on a [`CostSurface`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RunOptions {
    pub max_cost: Option<f64>,
    pub backlink: bool,
    pub allocation: bool,
}

/// Reusable working arrays of a run; after [`CostSurface::run`], `dist` holds `f32::INFINITY`
/// for unreached and `f32::NEG_INFINITY` for impassable cells.
#[derive(Default)]
pub struct Workspace {
    pub dist: Vec<f32>,
    pub back: Vec<u8>,
    pub alloc: Vec<u32>,
    heap: RadixHeap,
    /// Source cells with a passable unreached neighbour (the initial front), memory order.
    seeds: Vec<u32>,
}

impl Workspace {
    /// Distance of cell `i` if reached.
    #[inline]
    pub fn distance(&self, i: usize) -> Option<f32> {
        let d = self.dist[i];
        d.is_finite().then_some(d)
    }

    /// Moves the arrays into output grids (nodata where impassable or unreached).
    pub fn into_result<T: Cell>(
        mut self,
        surface: &CostSurface<'_, T>,
        summary: CostDistanceSummary,
        backlink: bool,
        allocation: bool,
    ) -> CostDistance {
        let spec = surface.grid.spec();
        self.dist.par_iter_mut().for_each(|d| {
            if !d.is_finite() {
                *d = DISTANCE_NODATA
            }
        });
        let distance = Grid::from_vec(&spec, self.dist, Some(DISTANCE_NODATA))
            .expect("workspace sized to the grid");
        let backlink = backlink.then(|| {
            Grid::from_vec(&spec, self.back, Some(BACKLINK_NODATA)).expect("sized to the grid")
        });
        let allocation = allocation.then(|| {
            Grid::from_vec(&spec, self.alloc, Some(ALLOCATION_NODATA)).expect("sized to the grid")
        });
        CostDistance {
            distance,
            backlink,
            allocation,
            summary,
        }
    }
}

/// Step lengths (E, SE, S, SW, W, NW, N, NE) in map units for a transform.
pub fn step_lengths(t: &GeoTransform) -> [f64; 8] {
    let (w, h) = (t.cell_width(), t.cell_height());
    let d = (w * w + h * h).sqrt();
    [w, d, h, d, w, d, h, d]
}

impl<'a, T: Cell> CostSurface<'a, T> {
    /// Validates `cost` (counts nodata, refuses or counts bad cells per `policy`).
    pub fn new(cost: &'a Grid<T>, policy: BadCostPolicy) -> Result<Self, CostDistanceError> {
        if let Some(crs) = cost.crs.as_ref().filter(|c| c.is_geographic()) {
            return Err(CostDistanceError::GeographicCrs(crs.label()));
        }
        let t = cost.transform;
        let (cw, ch) = (t.cell_width(), t.cell_height());
        if !(cw > 0.0 && ch > 0.0 && cw.is_finite() && ch.is_finite()) {
            return Err(CostDistanceError::Params(vec![format!(
                "cell size {cw}×{ch} is not positive"
            )]));
        }
        let (nodata_cells, bad_cells, min_cost, max_cost) = cost
            .data
            .par_iter()
            .fold(
                || (0u64, 0u64, f64::INFINITY, 0.0f64),
                |(n, b, lo, hi), &v| {
                    if cost.is_nodata(v) {
                        (n + 1, b, lo, hi)
                    } else {
                        let x = v.to_f64();
                        if x > 0.0 && x.is_finite() {
                            (n, b, lo.min(x), hi.max(x))
                        } else {
                            (n, b + 1, lo, hi)
                        }
                    }
                },
            )
            .reduce(
                || (0, 0, f64::INFINITY, 0.0),
                |a, b| (a.0 + b.0, a.1 + b.1, a.2.min(b.2), a.3.max(b.3)),
            );
        if bad_cells > 0 && policy == BadCostPolicy::Error {
            let first: Vec<String> = cost
                .data
                .iter()
                .enumerate()
                .filter(|(_, &v)| {
                    !cost.is_nodata(v) && !(v.to_f64() > 0.0 && v.to_f64().is_finite())
                })
                .take(5)
                .map(|(i, &v)| format!("({}, {}) = {}", i % cost.width, i / cost.width, v.to_f64()))
                .collect();
            return Err(CostDistanceError::BadCost {
                count: bad_cells,
                first: first.join(", "),
            });
        }
        let full = step_lengths(&t);
        Ok(CostSurface {
            grid: cost,
            half_len: full.map(|l| l * 0.5),
            nodata_cells,
            bad_cells,
            min_cost,
            max_cost,
        })
    }

    pub fn grid(&self) -> &Grid<T> {
        self.grid
    }

    /// True when the cell can be crossed (valid cost, > 0, finite).
    #[inline]
    pub fn passable(&self, i: usize) -> bool {
        let v = self.grid.data[i];
        if self.grid.is_nodata(v) {
            return false;
        }
        let x = v.to_f64();
        x > 0.0 && x.is_finite()
    }

    /// Cost of cell `i` (only meaningful when passable).
    #[inline]
    pub fn cost(&self, i: usize) -> f64 {
        self.grid.data[i].to_f64()
    }

    /// Runs Dijkstra from `seeds` (`(cell index, id)`) into `ws`. Seeds on impassable cells are
    /// dropped and counted. Errors only when no seed is usable or the run is cancelled.
    pub fn run(
        &self,
        seeds: impl IntoIterator<Item = (usize, u32)>,
        opts: &RunOptions,
        ws: &mut Workspace,
        progress: &dyn Progress,
    ) -> Result<CostDistanceSummary, CostDistanceError> {
        let n = self.grid.len();
        // Impassable cells start at −∞ so that no relaxation can ever improve them.
        ws.dist.resize(n, 0.0);
        ws.dist
            .par_chunks_mut(1 << 16)
            .enumerate()
            .for_each(|(c, chunk)| {
                let base = c << 16;
                for (k, d) in chunk.iter_mut().enumerate() {
                    *d = if self.passable(base + k) {
                        f32::INFINITY
                    } else {
                        f32::NEG_INFINITY
                    };
                }
            });
        if opts.backlink {
            ws.back.clear();
            ws.back.resize(n, BACKLINK_NODATA);
        } else {
            ws.back = Vec::new();
        }
        if opts.allocation {
            ws.alloc.clear();
            ws.alloc.resize(n, ALLOCATION_NODATA);
        } else {
            ws.alloc = Vec::new();
        }
        ws.heap.clear();
        ws.seeds.clear();
        let mut summary = CostDistanceSummary {
            nodata_cells: self.nodata_cells,
            bad_cost_cells: self.bad_cells,
            ..Default::default()
        };
        for (i, id) in seeds {
            if ws.dist[i] == f32::NEG_INFINITY {
                summary.sources_on_barrier += 1;
                continue;
            }
            if ws.dist[i] == 0.0 {
                // Duplicate seed: keep the first id.
                continue;
            }
            summary.source_cells += 1;
            ws.dist[i] = 0.0;
            if opts.backlink {
                ws.back[i] = 0;
            }
            if opts.allocation {
                ws.alloc[i] = id;
            }
        }
        // Seeds surrounded by seeds and barriers have nothing to relax: leave them out. Seeds
        // are the cells at 0 (found by a parallel scan of rows rather than kept in a list while
        // reading them: only the front is stored, 4 bytes per cell).
        let (w, h) = (self.grid.width, self.grid.height);
        let dist = &ws.dist;
        ws.seeds = (0..h)
            .into_par_iter()
            .flat_map_iter(|r| {
                (0..w).filter_map(move |c| {
                    let i = r * w + c;
                    if dist[i] != 0.0 {
                        return None;
                    }
                    let (r, c) = (r as i64, c as i64);
                    let open = BACKLINK_OFFSETS.iter().any(|&(dr, dc)| {
                        let (r2, c2) = (r + dr, c + dc);
                        r2 >= 0
                            && c2 >= 0
                            && r2 < h as i64
                            && c2 < w as i64
                            && dist[r2 as usize * w + c2 as usize] == f32::INFINITY
                    });
                    open.then_some(i as u32)
                })
            })
            .collect();
        if summary.source_cells == 0 {
            return Err(CostDistanceError::NoSources(format!(
                "all {} source cells lie on nodata or bad cost cells",
                summary.sources_on_barrier
            )));
        }
        let max_key = opts.max_cost.map(|m| m as f32);
        match (opts.backlink, opts.allocation) {
            (true, true) => self.dijkstra::<true, true>(ws, max_key, progress),
            (true, false) => self.dijkstra::<true, false>(ws, max_key, progress),
            (false, true) => self.dijkstra::<false, true>(ws, max_key, progress),
            (false, false) => self.dijkstra::<false, false>(ws, max_key, progress),
        }?;
        let reached = ws.dist.par_iter().filter(|d| d.is_finite()).count() as u64;
        summary.reached_cells = reached;
        let passable = n as u64 - self.nodata_cells - self.bad_cells;
        summary.unreached_cells = passable - reached;
        Ok(summary)
    }

    fn dijkstra<const BACK: bool, const ALLOC: bool>(
        &self,
        ws: &mut Workspace,
        max_key: Option<f32>,
        progress: &dyn Progress,
    ) -> Result<u64, CostDistanceError> {
        let total = ws.dist.iter().filter(|d| **d != f32::NEG_INFINITY).count() as u64;
        progress.begin("成本距离 cost distance", total);
        let limit = max_key.unwrap_or(f32::INFINITY);
        let result = match self.bucket_width() {
            Some((delta, n_buckets)) => {
                self.dijkstra_buckets::<BACK, ALLOC>(ws, limit, delta, n_buckets, progress)
            }
            None => self.dijkstra_radix::<BACK, ALLOC>(ws, limit, progress),
        };
        progress.finish();
        result
    }

    /// Bucket width for the exact bucket queue (Dinitz 1978): no step is shorter than the
    /// width, so the cells of one bucket cannot improve each other and may be processed in any
    /// order (we process them in memory order, which is what makes it fast). `None` when the
    /// ratio of the longest to the shortest step needs too many buckets.
    fn bucket_width(&self) -> Option<(f64, usize)> {
        if !(self.min_cost > 0.0 && self.max_cost.is_finite()) {
            return None;
        }
        let min_len = self.half_len.iter().fold(f64::INFINITY, |a, &b| a.min(b)) * 2.0;
        let max_len = self.half_len.iter().fold(0.0f64, |a, &b| a.max(b)) * 2.0;
        // Slightly below the shortest step, so that f32 rounding of a sum cannot keep a
        // neighbour in the bucket being processed (if it still does, it is processed again).
        let delta = self.min_cost * min_len * (1.0 - 1e-6);
        let n = (self.max_cost * max_len / delta).ceil() as usize + 2;
        (n <= MAX_BUCKETS && delta > 0.0).then_some((delta, n))
    }

    /// Relaxes the neighbours of `u` (settled at `du`), calling `push` for each improvement.
    #[inline(always)]
    fn relax<const BACK: bool, const ALLOC: bool>(
        &self,
        u: usize,
        du: f32,
        dist: &mut [f32],
        back: &mut [u8],
        alloc: &mut [u32],
        mut push: impl FnMut(f32, f32, usize),
    ) {
        let w = self.grid.width;
        let h = self.grid.height;
        let wi = w as isize;
        let offsets: [isize; 8] = [1, wi + 1, wi, wi - 1, -1, -wi - 1, -wi, -wi + 1];
        let data = &self.grid.data[..];
        let du64 = du as f64;
        debug_assert!(u < dist.len());
        // SAFETY: u < n (it came from the queue, which only holds grid cells).
        let cu = unsafe { data.get_unchecked(u) }.to_f64();
        let id = if ALLOC {
            unsafe { *alloc.get_unchecked(u) }
        } else {
            0
        };
        let (row, col) = (u / w, u % w);
        let interior = row > 0 && row + 1 < h && col > 0 && col + 1 < w;
        for dir in 0..8 {
            if !interior {
                let (dr, dc) = BACKLINK_OFFSETS[dir];
                let (r2, c2) = (row as i64 + dr, col as i64 + dc);
                if r2 < 0 || c2 < 0 || r2 >= h as i64 || c2 >= w as i64 {
                    continue;
                }
            }
            let v = (u as isize + offsets[dir]) as usize;
            debug_assert!(v < dist.len());
            // SAFETY: v is a neighbour inside the grid (checked above for border cells).
            let dv = unsafe { *dist.get_unchecked(v) };
            if dv <= du {
                continue; // settled, source or impassable (−∞)
            }
            let cv = unsafe { data.get_unchecked(v) }.to_f64();
            let nd = (du64 + (cu + cv) * self.half_len[dir]) as f32;
            if nd < dv {
                unsafe {
                    *dist.get_unchecked_mut(v) = nd;
                    if BACK {
                        // Back-link points from v to u: the opposite direction.
                        *back.get_unchecked_mut(v) = ((dir + 4) % 8 + 1) as u8;
                    }
                    if ALLOC {
                        *alloc.get_unchecked_mut(v) = id;
                    }
                }
                push(nd, dv, v);
            }
        }
    }

    fn dijkstra_buckets<const BACK: bool, const ALLOC: bool>(
        &self,
        ws: &mut Workspace,
        limit: f32,
        delta: f64,
        n_buckets: usize,
        progress: &dyn Progress,
    ) -> Result<u64, CostDistanceError> {
        let inv = 1.0 / delta;
        let dist = &mut ws.dist[..];
        let back = &mut ws.back[..];
        let alloc = &mut ws.alloc[..];
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); n_buckets];
        // Seeds are all at distance 0, already in memory order.
        buckets[0] = std::mem::take(&mut ws.seeds);
        let mut live: usize = buckets[0].len();
        let mut current: Vec<u32> = Vec::new();
        let mut k: u64 = 0; // absolute bucket number being processed
        let mut processed: u64 = 0;
        let mut next_report: u64 = 1 << 20;
        let mut cut_off = false;
        while live > 0 {
            let slot = (k % n_buckets as u64) as usize;
            if buckets[slot].is_empty() {
                k += 1;
                continue;
            }
            if (k as f64) * delta > limit as f64 {
                cut_off = true;
                break;
            }
            std::mem::swap(&mut current, &mut buckets[slot]);
            live -= current.len();
            // Memory order: neighbouring cells of the front share cache lines.
            if current.len() > 32 {
                current.sort_unstable();
            }
            for (j, &u32_u) in current.iter().enumerate() {
                if let Some(&ahead) = current.get(j + PREFETCH_AHEAD) {
                    self.prefetch(dist, ahead as usize);
                }
                let u = u32_u as usize;
                let du = dist[u];
                // Stale entries: the cell has moved to a lower bucket since (or was done).
                if ((du as f64) * inv) as u64 != k && !(k == 0 && du == 0.0) {
                    continue;
                }
                if du > limit {
                    continue;
                }
                processed += 1;
                self.relax::<BACK, ALLOC>(u, du, dist, back, alloc, |nd, dv, v| {
                    let kb = ((nd as f64) * inv) as u64;
                    let kb = kb.max(k);
                    // Still in the bucket of its queued entry (and not the current one): that
                    // entry will see the new distance.
                    if kb != k && dv.is_finite() && ((dv as f64) * inv) as u64 == kb {
                        return;
                    }
                    buckets[(kb % n_buckets as u64) as usize].push(v as u32);
                    live += 1;
                });
            }
            current.clear();
            if processed >= next_report {
                next_report = processed + (1 << 20);
                if progress.cancelled() {
                    return Err(CostDistanceError::Cancelled);
                }
                progress.advance(processed);
            }
            // The slot may have received cells (rounding); process it again before moving on.
            if buckets[slot].is_empty() {
                k += 1;
            }
        }
        if cut_off || limit.is_finite() {
            self.clear_beyond::<BACK, ALLOC>(dist, back, alloc, limit);
        }
        progress.advance(processed);
        Ok(processed)
    }

    /// Asks the CPU to load the three rows around cell `i` (distance and cost) ahead of use:
    /// the run is bound by memory latency, and queued cells are known in advance.
    #[inline(always)]
    fn prefetch(&self, dist: &[f32], i: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let w = self.grid.width;
            let n = dist.len();
            let lo = i.saturating_sub(w);
            let hi = (i + w).min(n - 1);
            for k in [lo, i, hi] {
                // SAFETY: k < n; prefetching never faults and has no side effects.
                unsafe {
                    _mm_prefetch(dist.as_ptr().add(k) as *const i8, _MM_HINT_T0);
                    _mm_prefetch(self.grid.data.as_ptr().add(k) as *const i8, _MM_HINT_T0);
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (dist, i);
    }

    /// After a `max_cost` run: cells with a tentative distance beyond the limit are unreached.
    fn clear_beyond<const BACK: bool, const ALLOC: bool>(
        &self,
        dist: &mut [f32],
        back: &mut [u8],
        alloc: &mut [u32],
        limit: f32,
    ) {
        for i in 0..dist.len() {
            let d = dist[i];
            if d.is_finite() && d > limit {
                dist[i] = f32::INFINITY;
                if BACK {
                    back[i] = BACKLINK_NODATA;
                }
                if ALLOC {
                    alloc[i] = ALLOCATION_NODATA;
                }
            }
        }
    }

    fn dijkstra_radix<const BACK: bool, const ALLOC: bool>(
        &self,
        ws: &mut Workspace,
        limit: f32,
        progress: &dyn Progress,
    ) -> Result<u64, CostDistanceError> {
        let dist = &mut ws.dist[..];
        let back = &mut ws.back[..];
        let alloc = &mut ws.alloc[..];
        let heap = &mut ws.heap;
        for v in std::mem::take(&mut ws.seeds) {
            heap.push(0, v);
        }
        let mut settled: u64 = 0;
        while let Some((key, u32_u)) = heap.pop() {
            let u = u32_u as usize;
            if key != dist[u].to_bits() {
                continue; // stale entry
            }
            let du = f32::from_bits(key);
            if du > limit {
                // Everything still queued is farther: leave it unreached.
                self.clear_beyond::<BACK, ALLOC>(dist, back, alloc, limit);
                break;
            }
            settled += 1;
            if settled & 0xF_FFFF == 0 {
                if progress.cancelled() {
                    return Err(CostDistanceError::Cancelled);
                }
                progress.advance(settled);
            }
            self.relax::<BACK, ALLOC>(u, du, dist, back, alloc, |nd, _, v| {
                heap.push(nd.to_bits(), v as u32)
            });
        }
        progress.advance(settled);
        Ok(settled)
    }
}

/// How many queued cells ahead [`CostSurface::prefetch`] looks.
const PREFETCH_AHEAD: usize = 8;

/// Most buckets the bucket queue may use (longest/shortest step ratio); beyond, the radix heap.
const MAX_BUCKETS: usize = 1 << 16;

/// Monotone priority queue on `u32` keys (radix heap, Ahuja et al. 1990). Keys are the bit
/// patterns of non-negative `f32` distances, which order like the floats themselves.
struct RadixHeap {
    last: u32,
    len: usize,
    buckets: [Vec<(u32, u32)>; 33],
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap {
            last: 0,
            len: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }
}

impl RadixHeap {
    fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }
    #[inline]
    fn bucket(key: u32, last: u32) -> usize {
        (32 - (key ^ last).leading_zeros()) as usize
    }
    #[inline]
    fn push(&mut self, key: u32, value: u32) {
        debug_assert!(key >= self.last, "radix heap keys must be monotone");
        self.buckets[Self::bucket(key, self.last)].push((key, value));
        self.len += 1;
    }
    #[inline]
    fn pop(&mut self) -> Option<(u32, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = (1..33)
                .find(|&i| !self.buckets[i].is_empty())
                .expect("len > 0");
            let mut moved = std::mem::take(&mut self.buckets[i]);
            let new_last = moved.iter().map(|e| e.0).min().expect("non-empty");
            self.last = new_last;
            for &(k, v) in &moved {
                self.buckets[Self::bucket(k, new_last)].push((k, v));
            }
            moved.clear();
            // Keep the allocation for the next time this bucket fills.
            if self.buckets[i].is_empty() {
                self.buckets[i] = moved;
            }
        }
        self.len -= 1;
        self.buckets[0].pop()
    }
}

/// A least-cost path from a destination cell back to its source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeastCostPath {
    /// Cell indices (row-major) from the destination (first) to the source cell (last).
    pub cells: Vec<usize>,
    /// Accumulated cost at the destination (cost units × map units).
    pub cost: f64,
    /// Length along the cell centres in map units.
    pub length: f64,
}

impl LeastCostPath {
    /// Cell-centre coordinates of the path, destination first.
    pub fn polyline(&self, spec: &GridSpec) -> Vec<(f64, f64)> {
        self.cells
            .iter()
            .map(|&i| spec.transform.cell_center(i % spec.width, i / spec.width))
            .collect()
    }
    /// Cell at the source end.
    pub fn source_cell(&self) -> usize {
        *self.cells.last().expect("a path has at least one cell")
    }
}

/// Follows back-links from `start` to a source cell (code 0).
pub fn trace_backlinks(backlink: &Grid<u8>, start: usize) -> Result<Vec<usize>, CostDistanceError> {
    trace_backlink_cells(&backlink.data, backlink.width, start)
}

/// [`trace_backlinks`] on a bare row-major array of back-link codes `width` cells wide.
pub fn trace_backlink_cells(
    backlink: &[u8],
    width: usize,
    start: usize,
) -> Result<Vec<usize>, CostDistanceError> {
    let w = width;
    let h = backlink.len() / w.max(1);
    let mut cells = vec![start];
    let mut i = start;
    loop {
        let code = backlink[i];
        if code == 0 {
            return Ok(cells);
        }
        if code == BACKLINK_NODATA || code > 8 {
            return Err(CostDistanceError::Path(format!(
                "cell ({}, {}) has no back-link (code {code}): it is impassable or was not reached",
                i % w,
                i / w
            )));
        }
        let (dr, dc) = BACKLINK_OFFSETS[code as usize - 1];
        let (r, c) = ((i / w) as i64 + dr, (i % w) as i64 + dc);
        if r < 0 || c < 0 || r >= h as i64 || c >= w as i64 {
            return Err(CostDistanceError::Path(format!(
                "back-link at ({}, {}) leaves the grid",
                i % w,
                i / w
            )));
        }
        i = r as usize * w + c as usize;
        cells.push(i);
        if cells.len() > backlink.len() {
            return Err(CostDistanceError::Path(
                "back-links form a cycle (not a cost-distance back-link grid)".into(),
            ));
        }
    }
}

/// Length in map units of a chain of neighbouring cells.
pub fn path_length(cells: &[usize], width: usize, transform: &GeoTransform) -> f64 {
    let steps = step_lengths(transform);
    cells
        .windows(2)
        .map(|p| {
            let (r0, c0) = ((p[0] / width) as i64, (p[0] % width) as i64);
            let (r1, c1) = ((p[1] / width) as i64, (p[1] % width) as i64);
            match ((r1 - r0).abs(), (c1 - c0).abs()) {
                (0, 1) => steps[0],
                (1, 0) => steps[2],
                (1, 1) => steps[1],
                (dr, dc) => {
                    let (w, h) = (transform.cell_width(), transform.cell_height());
                    ((dr as f64 * h).powi(2) + (dc as f64 * w).powi(2)).sqrt()
                }
            }
        })
        .sum()
}

/// The least-cost path from the cheapest reached cell of `destination` (cell indices; e.g. a
/// target patch) back to the nearest source. Ties go to the lowest cell index.
pub fn least_cost_path(
    result: &CostDistance,
    destination: &[usize],
) -> Result<LeastCostPath, CostDistanceError> {
    let backlink = result.backlink.as_ref().ok_or_else(|| {
        CostDistanceError::Path("the run kept no back-links (set backlink = true)".into())
    })?;
    least_cost_path_from(
        &result.distance.data,
        &backlink.data,
        &backlink.spec(),
        destination,
    )
}

/// [`least_cost_path`] on bare arrays: `distance` uses any non-finite or negative value for
/// "not reached".
pub fn least_cost_path_from(
    distance: &[f32],
    backlink: &[u8],
    spec: &GridSpec,
    destination: &[usize],
) -> Result<LeastCostPath, CostDistanceError> {
    let mut best: Option<(f32, usize)> = None;
    for &i in destination {
        if i >= distance.len() {
            return Err(CostDistanceError::Path(format!(
                "destination cell index {i} is outside the grid"
            )));
        }
        let d = distance[i];
        if d.is_finite() && d >= 0.0 && best.is_none_or(|(bd, bi)| d < bd || (d == bd && i < bi)) {
            best = Some((d, i));
        }
    }
    let (d, start) = best.ok_or_else(|| {
        CostDistanceError::Path("no destination cell was reached from any source".into())
    })?;
    let cells = trace_backlink_cells(backlink, spec.width, start)?;
    let length = path_length(&cells, spec.width, &spec.transform);
    Ok(LeastCostPath {
        cells,
        cost: d as f64,
        length,
    })
}

/// Raster of paths: the number of paths through each cell (0 = none), like WhiteboxTools
/// `CostPathway`.
pub fn path_raster(spec: &GridSpec, paths: &[LeastCostPath]) -> Grid<u32> {
    let mut g = Grid::filled(spec, 0u32, None);
    for p in paths {
        for &i in &p.cells {
            g.data[i] += 1;
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::NoProgress;

    #[test]
    fn radix_heap_pops_in_order() {
        let mut h = RadixHeap::default();
        let mut keys: Vec<f32> = vec![5.0, 1.5, 3.25, 1.5, 100.0, 0.0, 7.0];
        for (i, k) in keys.iter().enumerate() {
            h.push(k.to_bits(), i as u32);
        }
        keys.sort_by(|a, b| a.total_cmp(b));
        let mut got = Vec::new();
        while let Some((k, _)) = h.pop() {
            got.push(f32::from_bits(k));
            // Monotone pushes after a pop are allowed.
            if got.len() == 2 {
                h.push(2.0f32.to_bits(), 99);
                keys.push(2.0);
                keys.sort_by(|a, b| a.total_cmp(b));
            }
        }
        assert_eq!(got, keys);
    }

    #[test]
    fn uniform_cost_gives_octile_distance() {
        let mut cost = Grid::from_rows(5, 5, vec![2.0f32; 25]).unwrap();
        cost.transform = GeoTransform::north_up(0.0, 0.0, 10.0);
        let mut src = Grid::filled(&cost.spec(), 0u8, None);
        src.data[0] = 7;
        let cd = cost_distance(&cost, &src, &CostDistanceParams::default(), &NoProgress).unwrap();
        // (4,4): four diagonal steps of 2 × 10√2.
        let d = cd.distance.data[24] as f64;
        assert!((d - 4.0 * 2.0 * 10.0 * 2f64.sqrt()).abs() < 1e-3, "{d}");
        // (4,0): straight east.
        assert_eq!(cd.distance.data[4], 80.0);
        assert_eq!(cd.backlink.as_ref().unwrap().data[24], 6); // NW
        assert_eq!(cd.backlink.as_ref().unwrap().data[4], 5); // W
        assert!(cd.allocation.unwrap().data.iter().all(|&a| a == 7));
    }

    #[test]
    fn bad_costs_are_refused_or_barriers() {
        let cost = Grid::from_rows(3, 1, vec![1.0f32, 0.0, -1.0]).unwrap();
        let src = Grid::from_rows(3, 1, vec![1u8, 0, 0]).unwrap();
        let e =
            cost_distance(&cost, &src, &CostDistanceParams::default(), &NoProgress).unwrap_err();
        assert!(
            matches!(e, CostDistanceError::BadCost { count: 2, .. }),
            "{e}"
        );
        let p = CostDistanceParams {
            bad_cost: BadCostPolicy::AsBarrier,
            ..Default::default()
        };
        let cd = cost_distance(&cost, &src, &p, &NoProgress).unwrap();
        assert_eq!(cd.summary.bad_cost_cells, 2);
        assert_eq!(
            cd.distance.data,
            vec![0.0, DISTANCE_NODATA, DISTANCE_NODATA]
        );
    }

    #[test]
    fn max_cost_cuts_off() {
        let cost = Grid::from_rows(5, 1, vec![1.0f32; 5]).unwrap();
        let src = Grid::from_rows(5, 1, vec![1u8, 0, 0, 0, 0]).unwrap();
        let p = CostDistanceParams {
            max_cost: Some(2.5),
            ..Default::default()
        };
        let cd = cost_distance(&cost, &src, &p, &NoProgress).unwrap();
        assert_eq!(
            cd.distance.data,
            vec![0.0, 1.0, 2.0, DISTANCE_NODATA, DISTANCE_NODATA]
        );
        assert_eq!(cd.summary.unreached_cells, 2);
        assert_eq!(cd.backlink.unwrap().data[3], BACKLINK_NODATA);
    }
}
