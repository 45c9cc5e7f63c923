//! Least-cost corridors (生态廊道) with Linkage Mapper's *Linkage Pathways* workflow
//! (METHODS §3.4, ANCHORS §3.1), plus the gravity model (METHODS §3.3), Barrier Mapper
//! ([`barrier_mapper`]) and Pinchpoint Mapper ([`pinchpoint_mapper`], circuits from
//! `ecoplan-circuit`).
//!
//! Steps of [`linkage_corridors`]:
//! 1. adjacency of cores: cost-weighted allocation zones and/or Euclidean allocation zones that
//!    touch (8-neighbourhood);
//! 2. candidate links = adjacent pairs; Euclidean edge-to-edge distance between the rasterised
//!    cores (or a Conefor-style table supplied by the user);
//! 3. a cost-distance run from each core (CWD): link CWD = least-cost distance LCD = minimum CWD
//!    over the other core's cells; least-cost path by back-links from that cell; links dropped
//!    when too long / too short (CWD or Euclidean), unreachable, or when the path crosses an
//!    intermediate core;
//! 4. pruning to each core's N nearest neighbours (by CWD or Euclidean distance), then optional
//!    reconnection of disjoint constellations (cheapest inter-cluster links first);
//! 5. normalised least-cost corridor `NLCC_AB = CWD_A + CWD_B − LCD_AB` per kept link, mosaicked
//!    by cell-wise minimum, optionally truncated at a CWD threshold.
//!
//! Differences from Linkage Mapper (deliberate): the mosaic is kept as `f32` (LM rounds to an
//! integer); runs cover the whole grid, or stop at `max_cwd + truncate_cwd` when both are set
//! (LM clips to bounding circles around each pair, which can cut corridors off); the Euclidean
//! distance is measured between the rasterised cores (LM measures the core polygons, so values
//! differ by up to about one cell).

mod adjacency;
pub mod barriers;
mod gravity;
pub mod pinchpoints;

pub use adjacency::{
    boundary_cells, edge_distance, euclidean_allocation, euclidean_distance, nearest_seed,
    touching_pairs, NO_SEED,
};
pub use barriers::{barrier_mapper, improvement_score, BarrierOutput, BarrierParams};
pub use gravity::{gravity_index, gravity_threshold, GravityClasses, GravityInput};
pub use pinchpoints::{pinchpoint_mapper, LinkCircuit, PinchpointOutput, PinchpointParams};

use crate::cost_distance::{least_cost_path_from, LeastCostPath};
use crate::cost_distance::{
    source_cells, BadCostPolicy, CostDistanceError, CostSurface, RunOptions, Workspace,
    DISTANCE_NODATA,
};
use ecoplan_grid::{Cell, Grid, GridSpec, NoProgress, Progress};
use std::collections::{BTreeMap, BTreeSet};

/// How candidate links are found (Linkage Mapper "adjacency method").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjacencyMethod {
    CostWeighted,
    Euclidean,
    /// Union of both (Linkage Mapper demo setting).
    CostWeightedAndEuclidean,
}

/// Distance used to rank neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeighbourMetric {
    Cwd,
    Euclidean,
}

/// Parameters of [`linkage_corridors`]. Distances are in map units (metres), CWD in cost units
/// × map units. Defaults follow Linkage Mapper's demo (`lm_demo.py`) where it sets a value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinkageParams {
    /// Default: cost-weighted and Euclidean.
    pub adjacency: AdjacencyMethod,
    /// Drop links whose least-cost path crosses a third core (LM `S3DROPLCCS`). Default true.
    pub drop_crossing_cores: bool,
    /// Keep each core's N nearest neighbours (a link survives when either end keeps it).
    /// Default Some(4) (demo); None = keep all valid links.
    pub nearest_neighbours: Option<usize>,
    /// Metric of the nearest-neighbour ranking and the constellation links. Default CWD.
    pub neighbour_metric: NeighbourMetric,
    /// Reconnect disjoint constellations after pruning. Default true.
    pub connect_constellations: bool,
    /// Links with CWD above this are dropped (type −12). Default None (demo: 100 000).
    pub max_cwd: Option<f64>,
    /// Links with CWD below this are dropped (−14).
    pub min_cwd: Option<f64>,
    /// Links with Euclidean distance above this are dropped (−11). Default None (demo: 40 000 m).
    pub max_euclidean: Option<f64>,
    /// Links with Euclidean distance below this are dropped (−13).
    pub min_euclidean: Option<f64>,
    /// Truncate corridors at this NLCC (corridor "width" in cost units). Default None
    /// (demo: 200 000).
    pub truncate_cwd: Option<f64>,
    /// 重要廊道 / 一般廊道 split of the kept corridors by gravity G. Default natural breaks
    /// (two classes); `Threshold(g)` for a fixed value, `Off` for none.
    pub gravity_classes: GravityClasses,
    /// Resistance cells ≤ 0 / infinite.
    pub bad_cost: BadCostPolicy,
    /// User-supplied Euclidean distances `(core a, core b, distance)` (e.g. Linkage Mapper's
    /// Conefor distance file) replacing the raster edge-to-edge distances; missing pairs are
    /// computed.
    pub euclidean_distances: Option<Vec<(u32, u32, f64)>>,
    /// Memory for cached per-core CWD grids, bytes (beyond it, CWDs are recomputed).
    /// Default 1 GiB.
    pub cache_bytes: usize,
}

impl Default for LinkageParams {
    fn default() -> Self {
        LinkageParams {
            adjacency: AdjacencyMethod::CostWeightedAndEuclidean,
            drop_crossing_cores: true,
            nearest_neighbours: Some(4),
            neighbour_metric: NeighbourMetric::Cwd,
            connect_constellations: true,
            max_cwd: None,
            min_cwd: None,
            max_euclidean: None,
            min_euclidean: None,
            truncate_cwd: None,
            gravity_classes: GravityClasses::NaturalBreaks,
            bad_cost: BadCostPolicy::Error,
            euclidean_distances: None,
            cache_bytes: 1 << 30,
        }
    }
}

impl LinkageParams {
    /// Linkage Mapper's demo settings (`lm_demo.py`).
    pub fn linkage_mapper_demo() -> Self {
        LinkageParams {
            max_cwd: Some(100_000.0),
            max_euclidean: Some(40_000.0),
            truncate_cwd: Some(200_000.0),
            ..Default::default()
        }
    }

    /// Reports every problem at once.
    pub fn validate(&self) -> Result<(), CorridorError> {
        let mut p = Vec::new();
        let nonneg = |name: &str, v: Option<f64>, p: &mut Vec<String>| {
            if let Some(x) = v {
                if !(x >= 0.0 && x.is_finite()) {
                    p.push(format!("{name} = {x} must be a finite number ≥ 0"));
                }
            }
        };
        nonneg("max_cwd", self.max_cwd, &mut p);
        nonneg("min_cwd", self.min_cwd, &mut p);
        nonneg("max_euclidean", self.max_euclidean, &mut p);
        nonneg("min_euclidean", self.min_euclidean, &mut p);
        nonneg("truncate_cwd", self.truncate_cwd, &mut p);
        if let (Some(lo), Some(hi)) = (self.min_cwd, self.max_cwd) {
            if lo > hi {
                p.push(format!("min_cwd {lo} > max_cwd {hi}"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_euclidean, self.max_euclidean) {
            if lo > hi {
                p.push(format!("min_euclidean {lo} > max_euclidean {hi}"));
            }
        }
        if self.nearest_neighbours == Some(0) {
            p.push("nearest_neighbours = 0 would drop every link; use None to keep all".into());
        }
        if let GravityClasses::Threshold(t) = self.gravity_classes {
            if t.is_nan() {
                p.push("gravity_classes threshold is NaN".into());
            }
        }
        if let Some(d) = &self.euclidean_distances {
            for (a, b, x) in d {
                if !(*x >= 0.0 && x.is_finite()) || a == b {
                    p.push(format!("euclidean distance ({a}, {b}, {x}) is invalid"));
                }
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(CorridorError::Params(p))
        }
    }
}

/// Errors of the corridor workflow.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum CorridorError {
    #[error("廊道参数错误 invalid corridor parameters: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error("源地栅格与阻力面未对齐 cores and resistance grids differ: {0}")]
    NotAligned(String),
    #[error("至少需要两个源地 at least two cores are needed, found {0}")]
    TooFewCores(usize),
    #[error("源地全部位于无数据阻力像元上 cores lying entirely on nodata resistance: {0:?}")]
    CoresOnNodata(Vec<u32>),
    #[error(transparent)]
    Cost(#[from] CostDistanceError),
}

/// Linkage Mapper link types (`lm_util.py` codes; −20 is ecoplan's "unreachable").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// 1: valid corridor (no pruning asked).
    Corridor,
    /// 10: kept as a nearest-neighbour link.
    NearestNeighbour,
    /// 20: added to connect constellations.
    Constellation,
    /// −1: valid but not among the N nearest neighbours.
    NotNearest,
    /// −11: Euclidean distance above the maximum.
    TooLongEuclidean,
    /// −12: CWD above the maximum.
    TooLongCwd,
    /// −13: Euclidean distance below the minimum.
    TooShortEuclidean,
    /// −14: CWD below the minimum.
    TooShortCwd,
    /// −15: the least-cost path crosses an intermediate core.
    CrossesCore,
    /// −20 (ecoplan): no path (barriers of nodata separate the cores).
    Unreachable,
}

impl LinkType {
    pub fn code(self) -> i32 {
        match self {
            LinkType::Corridor => 1,
            LinkType::NearestNeighbour => 10,
            LinkType::Constellation => 20,
            LinkType::NotNearest => -1,
            LinkType::TooLongEuclidean => -11,
            LinkType::TooLongCwd => -12,
            LinkType::TooShortEuclidean => -13,
            LinkType::TooShortCwd => -14,
            LinkType::CrossesCore => -15,
            LinkType::Unreachable => -20,
        }
    }
    /// A corridor that is mapped (positive code).
    pub fn is_kept(self) -> bool {
        self.code() > 0
    }
    pub fn label(self) -> &'static str {
        match self {
            LinkType::Corridor => "廊道 corridor",
            LinkType::NearestNeighbour => "近邻廊道 nearest-neighbour corridor",
            LinkType::Constellation => "组团连接廊道 constellation link",
            LinkType::NotNearest => "非近邻(剔除) not a nearest neighbour",
            LinkType::TooLongEuclidean => "欧氏距离过长 too long (Euclidean)",
            LinkType::TooLongCwd => "成本距离过长 too long (CWD)",
            LinkType::TooShortEuclidean => "欧氏距离过短 too short (Euclidean)",
            LinkType::TooShortCwd => "成本距离过短 too short (CWD)",
            LinkType::CrossesCore => "穿越其他源地 crosses an intermediate core",
            LinkType::Unreachable => "不可达 unreachable",
        }
    }
}

/// One row of the link table (Linkage Mapper `linkTable` + LCP attributes + gravity).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub id: u32,
    pub core_a: u32,
    pub core_b: u32,
    pub link_type: LinkType,
    /// Edge-to-edge Euclidean distance between the cores, map units.
    pub euclidean: f64,
    /// Least-cost distance LCD (= link CWD); NaN when unreachable.
    pub cwd: f64,
    /// Length of the least-cost path through cell centres, map units (`LCP_Length`).
    pub lcp_length: f64,
    /// `cwd / euclidean` (`cw_to_Euc_Dist_Ratio`); NaN when the cores touch.
    pub cwd_to_euclidean: f64,
    /// `cwd / lcp_length` (`cwd_to_Path_Length_Ratio`): mean resistance along the path.
    pub cwd_to_path: f64,
    /// Gravity G_ab (kept links).
    pub gravity: Option<f64>,
    /// G ≥ threshold → 重要廊道.
    pub important: Option<bool>,
    /// Effective resistance and `cwd / R_eff` (Pinchpoint Mapper; not computed here).
    pub effective_resistance: Option<f64>,
    pub cwd_to_eff_resist: Option<f64>,
    /// Least-cost path cells, from core B's cell to core A's cell; empty when unreachable.
    pub path_cells: Vec<usize>,
}

impl Link {
    /// Least-cost path as map coordinates (cell centres), from core B to core A.
    pub fn polyline(&self, spec: &GridSpec) -> Vec<(f64, f64)> {
        self.path_cells
            .iter()
            .map(|&i| spec.transform.cell_center(i % spec.width, i / spec.width))
            .collect()
    }
}

/// Per-core attributes used by the gravity model and the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoreInfo {
    pub id: u32,
    pub cells: u64,
    pub area_m2: f64,
    /// Mean resistance over the core's cells (P in the gravity model).
    pub mean_resistance: f64,
}

/// Result of [`linkage_corridors`].
#[derive(Debug, Clone, PartialEq)]
pub struct Corridors {
    /// Every candidate link (dropped ones with negative types), ordered by (core_a, core_b).
    pub links: Vec<Link>,
    pub cores: Vec<CoreInfo>,
    /// Mosaic (minimum over kept links) of NLCC; [`DISTANCE_NODATA`] where no kept link reaches.
    pub nlcc: Grid<f32>,
    pub truncate_cwd: Option<f64>,
    /// Notes for the log (cores without links, …).
    pub notes: Vec<String>,
}

impl Corridors {
    pub fn kept_links(&self) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(|l| l.link_type.is_kept())
    }
    /// The mosaic with cells above `threshold` set to nodata (LM "corridors truncated at").
    pub fn truncated(&self, threshold: f64) -> Grid<f32> {
        self.nlcc.map(Some(DISTANCE_NODATA), |v| {
            if v as f64 <= threshold {
                v
            } else {
                DISTANCE_NODATA
            }
        })
    }
}

/// Per-core CWD and back-link arrays with a memory budget (least recently used evicted).
/// After `ensure(a)` then `ensure(b)` both are present (the budget is at least two grids).
pub(crate) struct CwdCache<'s, 'a, T: Cell> {
    surface: &'s CostSurface<'a, T>,
    core_cells: &'s BTreeMap<u32, Vec<usize>>,
    cutoff: Option<f64>,
    max_grids: usize,
    grids: Vec<(u32, Vec<f32>, Vec<u8>)>,
    ws: Workspace,
    pub(crate) runs: usize,
}

impl<'s, 'a, T: Cell> CwdCache<'s, 'a, T> {
    pub(crate) fn new(
        surface: &'s CostSurface<'a, T>,
        core_cells: &'s BTreeMap<u32, Vec<usize>>,
        cutoff: Option<f64>,
        cache_bytes: usize,
    ) -> Self {
        let grid_bytes = (surface.grid().len() * 5).max(1);
        CwdCache {
            surface,
            core_cells,
            cutoff,
            max_grids: (cache_bytes / grid_bytes).max(2),
            grids: Vec::new(),
            ws: Workspace::default(),
            runs: 0,
        }
    }

    pub(crate) fn ensure(&mut self, id: u32) -> Result<(), CostDistanceError> {
        if let Some(k) = self.grids.iter().position(|g| g.0 == id) {
            let g = self.grids.remove(k);
            self.grids.push(g);
            return Ok(());
        }
        let seeds = self.core_cells[&id].iter().map(|&i| (i, id));
        self.surface.run(
            seeds,
            &RunOptions {
                max_cost: self.cutoff,
                backlink: true,
                allocation: false,
            },
            &mut self.ws,
            &NoProgress,
        )?;
        self.runs += 1;
        let (mut dist, mut back) = if self.grids.len() >= self.max_grids {
            let (_, d, b) = self.grids.remove(0);
            (d, b)
        } else {
            (Vec::new(), Vec::new())
        };
        // Take the fresh arrays; the workspace reuses the evicted ones.
        std::mem::swap(&mut dist, &mut self.ws.dist);
        std::mem::swap(&mut back, &mut self.ws.back);
        self.grids.push((id, dist, back));
        Ok(())
    }

    fn slot(&self, id: u32) -> &(u32, Vec<f32>, Vec<u8>) {
        self.grids
            .iter()
            .find(|g| g.0 == id)
            .expect("ensure() before use")
    }

    /// CWD of core `id`: +∞ unreached, −∞ impassable.
    pub(crate) fn dist(&self, id: u32) -> &[f32] {
        &self.slot(id).1
    }

    pub(crate) fn back(&self, id: u32) -> &[u8] {
        &self.slot(id).2
    }
}

/// Cells of each core id (valid cells > 0 of `cores`).
pub(crate) fn core_cell_map<C: Cell>(
    cores: &Grid<C>,
) -> Result<BTreeMap<u32, Vec<usize>>, CostDistanceError> {
    let mut m: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, id) in source_cells(cores)? {
        m.entry(id).or_default().push(i);
    }
    Ok(m)
}

/// Linkage Mapper's Linkage Pathways (module docs). `cores`: valid cells > 0 carry core ids.
pub fn linkage_corridors<T: Cell, C: Cell>(
    resistance: &Grid<T>,
    cores: &Grid<C>,
    params: &LinkageParams,
    progress: &dyn Progress,
) -> Result<Corridors, CorridorError> {
    params.validate()?;
    let spec = resistance.spec();
    spec.check_aligned(&cores.spec())
        .map_err(|e| CorridorError::NotAligned(e.to_string()))?;
    let (w, h) = (spec.width, spec.height);
    let surface = CostSurface::new(resistance, params.bad_cost)?;
    let core_cells = core_cell_map(cores)?;
    let seeds: Vec<(usize, u32)> = core_cells
        .iter()
        .flat_map(|(&id, cells)| cells.iter().map(move |&i| (i, id)))
        .collect();
    if core_cells.len() < 2 {
        return Err(CorridorError::TooFewCores(core_cells.len()));
    }
    let on_nodata: Vec<u32> = core_cells
        .iter()
        .filter(|(_, cells)| cells.iter().all(|&i| !surface.passable(i)))
        .map(|(id, _)| *id)
        .collect();
    if !on_nodata.is_empty() {
        return Err(CorridorError::CoresOnNodata(on_nodata));
    }
    let core_of = |i: usize| -> u32 {
        let v = cores.data[i];
        if cores.is_nodata(v) || v.to_f64() <= 0.0 {
            0
        } else {
            v.to_f64() as u32
        }
    };
    let cell_area = spec.transform.cell_area();
    let core_info: Vec<CoreInfo> = core_cells
        .iter()
        .map(|(&id, cells)| {
            let (s, k) = cells
                .iter()
                .filter(|&&i| surface.passable(i))
                .fold((0.0, 0u64), |(s, k), &i| (s + surface.cost(i), k + 1));
            CoreInfo {
                id,
                cells: cells.len() as u64,
                area_m2: cells.len() as f64 * cell_area,
                mean_resistance: s / k as f64,
            }
        })
        .collect();

    // Step 1: adjacency.
    let mut pairs: BTreeSet<(u32, u32)> = BTreeSet::new();
    let mut ws = Workspace::default();
    if matches!(
        params.adjacency,
        AdjacencyMethod::CostWeighted | AdjacencyMethod::CostWeightedAndEuclidean
    ) {
        surface.run(
            seeds.iter().copied(),
            &RunOptions {
                max_cost: None,
                backlink: false,
                allocation: true,
            },
            &mut ws,
            progress,
        )?;
        pairs.extend(touching_pairs(&ws.alloc, w, h));
    }
    if matches!(
        params.adjacency,
        AdjacencyMethod::Euclidean | AdjacencyMethod::CostWeightedAndEuclidean
    ) {
        let mut ids = vec![0u32; w * h];
        for &(i, id) in &seeds {
            ids[i] = id;
        }
        let t = spec.transform;
        let zones = euclidean_allocation(&ids, w, h, t.cell_width(), t.cell_height());
        pairs.extend(touching_pairs(&zones, w, h));
    }
    drop(ws);

    // Step 2: Euclidean distances of the candidate pairs.
    let boundaries: BTreeMap<u32, Vec<usize>> = core_cells
        .iter()
        .map(|(&id, cells)| (id, boundary_cells(cells, core_of, id, w, h)))
        .collect();
    let user: BTreeMap<(u32, u32), f64> =
        params
            .euclidean_distances
            .iter()
            .flatten()
            .fold(BTreeMap::new(), |mut m, &(a, b, d)| {
                let k = (a.min(b), a.max(b));
                let e = m.entry(k).or_insert(d);
                *e = e.min(d); // duplicates → minimum, as Linkage Mapper
                m
            });
    let (cw, ch) = (spec.transform.cell_width(), spec.transform.cell_height());
    let euclid: BTreeMap<(u32, u32), f64> = {
        use rayon::prelude::*;
        let v: Vec<((u32, u32), f64)> = pairs
            .par_iter()
            .map(|&(a, b)| {
                let d = user
                    .get(&(a, b))
                    .copied()
                    .unwrap_or_else(|| edge_distance(&boundaries[&a], &boundaries[&b], w, cw, ch));
                ((a, b), d)
            })
            .collect();
        v.into_iter().collect()
    };

    // Step 3: CWD from each core, LCD and LCP of each candidate link.
    let cutoff = match (params.max_cwd, params.truncate_cwd) {
        (Some(m), Some(t)) => Some(m + t),
        _ => None,
    };
    let mut cache = CwdCache::new(&surface, &core_cells, cutoff, params.cache_bytes);
    let mut links: Vec<Link> = Vec::new();
    let core_ids: Vec<u32> = core_cells.keys().copied().collect();
    progress.begin("廊道 corridors: CWD", core_ids.len() as u64);
    for (k, &a) in core_ids.iter().enumerate() {
        let partners: Vec<u32> = pairs.iter().filter(|p| p.0 == a).map(|p| p.1).collect();
        if partners.is_empty() {
            continue;
        }
        cache.ensure(a)?;
        let (dist, back) = (cache.dist(a), cache.back(a));
        for b in partners {
            let e = euclid[&(a, b)];
            let lcp: Option<LeastCostPath> =
                least_cost_path_from(dist, back, &spec, &core_cells[&b]).ok();
            let (cwd, length, cells) = match &lcp {
                Some(p) => (p.cost, p.length, p.cells.clone()),
                None => (f64::NAN, f64::NAN, Vec::new()),
            };
            let link_type = if lcp.is_none() {
                if cutoff.is_some() {
                    LinkType::TooLongCwd
                } else {
                    LinkType::Unreachable
                }
            } else if params.max_euclidean.is_some_and(|m| e > m) {
                LinkType::TooLongEuclidean
            } else if params.max_cwd.is_some_and(|m| cwd > m) {
                LinkType::TooLongCwd
            } else if params.min_euclidean.is_some_and(|m| e < m) {
                LinkType::TooShortEuclidean
            } else if params.min_cwd.is_some_and(|m| cwd < m) {
                LinkType::TooShortCwd
            } else if params.drop_crossing_cores
                && cells.iter().any(|&i| {
                    let c = core_of(i);
                    c != 0 && c != a && c != b
                })
            {
                LinkType::CrossesCore
            } else {
                LinkType::Corridor
            };
            links.push(Link {
                id: links.len() as u32 + 1,
                core_a: a,
                core_b: b,
                link_type,
                euclidean: e,
                cwd,
                lcp_length: length,
                cwd_to_euclidean: if e > 0.0 { cwd / e } else { f64::NAN },
                cwd_to_path: if length > 0.0 { cwd / length } else { f64::NAN },
                gravity: None,
                important: None,
                effective_resistance: None,
                cwd_to_eff_resist: None,
                path_cells: cells,
            });
        }
        if progress.cancelled() {
            return Err(CostDistanceError::Cancelled.into());
        }
        progress.advance(k as u64 + 1);
    }
    progress.finish();

    // Step 4: nearest neighbours and constellations.
    let metric = |l: &Link| match params.neighbour_metric {
        NeighbourMetric::Cwd => l.cwd,
        NeighbourMetric::Euclidean => l.euclidean,
    };
    if let Some(nn) = params.nearest_neighbours {
        let mut keep = vec![false; links.len()];
        for &c in &core_ids {
            let mut mine: Vec<usize> = (0..links.len())
                .filter(|&k| {
                    links[k].link_type == LinkType::Corridor
                        && (links[k].core_a == c || links[k].core_b == c)
                })
                .collect();
            mine.sort_by(|&x, &y| {
                metric(&links[x])
                    .total_cmp(&metric(&links[y]))
                    .then(x.cmp(&y))
            });
            for &k in mine.iter().take(nn) {
                keep[k] = true;
            }
        }
        for (k, l) in links.iter_mut().enumerate() {
            if l.link_type == LinkType::Corridor {
                l.link_type = if keep[k] {
                    LinkType::NearestNeighbour
                } else {
                    LinkType::NotNearest
                };
            }
        }
        if params.connect_constellations {
            let mut uf = UnionFind::new(&core_ids);
            for l in links.iter().filter(|l| l.link_type.is_kept()) {
                uf.union(l.core_a, l.core_b);
            }
            let mut cand: Vec<usize> = (0..links.len())
                .filter(|&k| links[k].link_type == LinkType::NotNearest)
                .collect();
            cand.sort_by(|&x, &y| {
                metric(&links[x])
                    .total_cmp(&metric(&links[y]))
                    .then(x.cmp(&y))
            });
            for k in cand {
                if uf.union(links[k].core_a, links[k].core_b) {
                    links[k].link_type = LinkType::Constellation;
                }
            }
        }
    }

    // Gravity model on the kept links.
    let kept: Vec<usize> = (0..links.len())
        .filter(|&k| links[k].link_type.is_kept())
        .collect();
    let info_of = |id: u32| core_info.iter().find(|c| c.id == id).expect("core");
    let l_max = kept.iter().map(|&k| links[k].cwd).fold(0.0f64, f64::max);
    for &k in &kept {
        let (a, b) = (info_of(links[k].core_a), info_of(links[k].core_b));
        let g = gravity_index(
            &GravityInput {
                mean_resistance: a.mean_resistance,
                area_ha: a.area_m2 / 10_000.0,
            },
            &GravityInput {
                mean_resistance: b.mean_resistance,
                area_ha: b.area_m2 / 10_000.0,
            },
            links[k].cwd,
            l_max,
        );
        links[k].gravity = Some(g);
    }
    let g: Vec<f64> = kept.iter().filter_map(|&k| links[k].gravity).collect();
    if let Some(t) = gravity_threshold(&g, params.gravity_classes) {
        for &k in &kept {
            links[k].important = links[k].gravity.map(|g| g >= t);
        }
    }

    // Step 5: NLCC mosaic.
    let mut mosaic = vec![f32::INFINITY; w * h];
    let mut by_a: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &k in &kept {
        by_a.entry(links[k].core_a).or_default().push(k);
    }
    progress.begin("廊道 corridors: NLCC", kept.len() as u64);
    let mut done = 0u64;
    for (a, ks) in &by_a {
        for &k in ks {
            let b = links[k].core_b;
            let lcd = links[k].cwd;
            cache.ensure(*a)?;
            cache.ensure(b)?;
            let (da, db) = (cache.dist(*a), cache.dist(b));
            use rayon::prelude::*;
            mosaic
                .par_chunks_mut(1 << 14)
                .enumerate()
                .for_each(|(c, chunk)| {
                    let base = c << 14;
                    for (j, m) in chunk.iter_mut().enumerate() {
                        let (x, y) = (da[base + j], db[base + j]);
                        if x.is_finite() && y.is_finite() {
                            let v = (x as f64 + y as f64 - lcd) as f32;
                            if v < *m {
                                *m = v;
                            }
                        }
                    }
                });
            done += 1;
            progress.advance(done);
            if progress.cancelled() {
                return Err(CostDistanceError::Cancelled.into());
            }
        }
    }
    progress.finish();
    for m in &mut mosaic {
        if !m.is_finite() {
            *m = DISTANCE_NODATA;
        } else if *m < 0.0 {
            // f32 rounding of CWD_A + CWD_B − LCD along the path itself.
            *m = 0.0;
        }
    }
    let mut notes = Vec::new();
    for &c in &core_ids {
        if !links
            .iter()
            .any(|l| l.link_type.is_kept() && (l.core_a == c || l.core_b == c))
        {
            notes.push(format!("核心 core {c}: 无保留廊道 no corridor kept"));
        }
    }
    notes.push(format!("{} cost-distance runs", cache.runs));
    let nlcc = Grid::from_vec(&spec, mosaic, Some(DISTANCE_NODATA)).expect("sized");
    Ok(Corridors {
        links,
        cores: core_info,
        nlcc,
        truncate_cwd: params.truncate_cwd,
        notes,
    })
}

struct UnionFind {
    ids: Vec<u32>,
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(ids: &[u32]) -> Self {
        UnionFind {
            ids: ids.to_vec(),
            parent: (0..ids.len()).collect(),
        }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    /// True when `a` and `b` were in different sets.
    fn union(&mut self, a: u32, b: u32) -> bool {
        let ia = self.ids.binary_search(&a).expect("core id");
        let ib = self.ids.binary_search(&b).expect("core id");
        let (ra, rb) = (self.find(ia), self.find(ib));
        if ra == rb {
            return false;
        }
        self.parent[ra] = rb;
        true
    }
}
