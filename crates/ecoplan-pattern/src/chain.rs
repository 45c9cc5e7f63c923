//! The ecological-security-pattern chain (生态安全格局, METHODS §3) on one region, from land use
//! (and optionally the 双评价 importance map) to sources, resistance, corridors, current, pinch
//! points, barriers, nodes and the network indices α/β/γ (γ = the plans' 生态廊道连通度).
//!
//! Steps of [`run_pattern`], each one an existing function of this crate:
//! 1. ecological land (classes in [`PatternParams::ecological_classes`]) inside the region →
//!    MSPA foreground ([`crate::mspa::mspa`]); core = codes 17/117;
//! 2. sources = core ∩ importance ≥ threshold (when an importance raster is given), patches
//!    ≥ `min_area_ha` ([`crate::sources::extract_sources`]), plus policy areas;
//!    ranked by Conefor dPC ([`crate::sources::rank_by_dpc`]), cut at `min_dpc` and/or the top
//!    `max_sources`;
//! 3. resistance from the land-use class table ([`crate::resistance::resistance_from_classes`]),
//!    nodata outside the region (impassable);
//! 4. Linkage Mapper corridors ([`crate::corridors::linkage_corridors`]): link table, least-cost
//!    paths, NLCC mosaic truncated at `linkage.truncate_cwd`;
//! 5. cumulative current ([`CurrentMode`]): Circuitscape pairwise among the sources with each
//!    source patch short-circuited (one focal node per patch), on conductance 1/R, 8 neighbours,
//!    average conductance — one matrix factorisation serves all pairs, so it stays fast on
//!    ~10⁶-cell regions;
//! 6. pinch points ([`crate::corridors::pinchpoint_mapper`], circuits inside each truncated
//!    corridor) and their top natural-breaks class inside the corridors;
//! 7. barriers ([`crate::corridors::barrier_mapper`]) and their natural-breaks classes
//!    一级/二级改善区;
//! 8. ecological nodes ([`crate::nodes::ecological_nodes`]) along the least-cost paths;
//! 9. network indices ([`crate::network::network_indices`]) with V = sources, L = kept links.
//!
//! ```
//! use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};
//! use ecoplan_pattern::chain::{run_pattern, PatternInputs, PatternParams};
//! use ecoplan_pattern::resistance::ResistanceTable;
//! // Three forest blocks (class 3) in cropland (class 1), 30 m cells.
//! let spec = GridSpec::new(60, 20, GeoTransform::north_up(0.0, 600.0, 30.0), None);
//! let mut lu = Grid::filled(&spec, 1i32, Some(0));
//! for (c0, c1) in [(2, 14), (24, 36), (46, 58)] {
//!     for r in 3..17 { for c in c0..c1 { lu.set(c, r, 3); } }
//! }
//! let table = ResistanceTable::preset("common_default").unwrap();
//! let mut params = PatternParams::default();
//! params.min_area_ha = 5.0;
//! params.barriers = false;
//! let out = run_pattern(&PatternInputs::new(&lu, &table), &params, &NoProgress).unwrap();
//! assert_eq!(out.sources.table.len(), 3);
//! let net = out.network.unwrap();
//! assert_eq!((net.nodes, net.links), (3, 2)); // a chain: A–B, B–C (A–C crosses B)
//! assert!((net.gamma - 2.0 / 3.0).abs() < 1e-12);
//! ```

use crate::conefor::DispersalKernel;
use crate::corridors::{
    barrier_mapper, linkage_corridors, pinchpoint_mapper, BarrierOutput, BarrierParams,
    CorridorError, Corridors, LinkageParams, PinchpointOutput, PinchpointParams,
};
use crate::cost_distance::{
    cost_distance, least_cost_path, BadCostPolicy, CostDistanceParams, LeastCostPath,
};
use crate::mspa::{core_mask, mspa, MspaError, MspaParams};
use crate::network::{
    compare_planned, cost_ratio, network_indices, planned_links, NetworkComparison, NetworkIndices,
    PlannedLink,
};
use crate::nodes::{ecological_nodes, EcoNode, NodeLayers, NodeParams, NodesError};
use crate::resistance::{
    resistance_from_classes, Correction, Factor, ResistanceError, ResistanceParams,
    ResistanceSurface, ResistanceTable,
};
use crate::sources::{
    extract_sources, rank_by_dpc, DpcParams, SourceParams, Sources, SourcesError,
};
use ecoplan_assess::dual::grading::{grade, GradingMethod};
use ecoplan_circuit::circuitscape::{
    discard_maps, one_to_all, pairwise, FocalPoint, Landscape, MapOptions, OneToAllMode,
};
use ecoplan_circuit::{Connectivity, GraphOptions, SolverKind, SolverOptions};
use ecoplan_grid::{Grid, NoProgress, Progress};
use serde::{Deserialize, Serialize};

/// Common land-use classes (presets/landuse/common_classes.csv) counted as ecological land:
/// 林地 3, 灌木林地 4, 草地 5, 湿地 6, 水域 7 (METHODS §3.1 "林/草/湿地/水域").
pub const COMMON_ECOLOGICAL_CLASSES: [i64; 5] = [3, 4, 5, 6, 7];

/// Nodata of the float outputs (current, corridors).
pub const PATTERN_NODATA: f32 = -9999.0;

/// Inputs of [`run_pattern`], all on one grid (projected CRS in metres).
#[derive(Debug, Clone, Copy)]
pub struct PatternInputs<'a> {
    /// Land-use class codes (codes of `resistance_table`; ecoplan common classes by default);
    /// nodata cells are outside the analysis.
    pub landuse: &'a Grid<i32>,
    /// Class → resistance table (e.g. `ResistanceTable::preset("common_default")`).
    pub resistance_table: &'a ResistanceTable,
    /// Region mask (cells ≠ 0 inside); outside cells are missing for MSPA and impassable.
    pub region: Option<&'a Grid<u8>>,
    /// Ecological protection importance (e.g. 双评价 grades 1 一般, 2 重要, 3 极重要); sources
    /// keep core cells with importance ≥ [`PatternParams::importance_threshold`].
    pub importance: Option<&'a Grid<f32>>,
    /// 生态保护红线 / 自然保护地 core zones (cells ≠ 0): always sources (policy override).
    pub policy_areas: Option<&'a Grid<u8>>,
    /// Resistance corrections (NDVI, night light, impervious share), METHODS §3.2.
    pub corrections: &'a [Correction<'a>],
    /// Weighted resistance factors (slope by `turpan_slope`, distance to roads, …), METHODS
    /// §3.2; their weights with [`ResistanceParams::landuse_weight`] form the weighted sum.
    pub factors: &'a [Factor<'a>],
    /// Main roads / rivers (cells ≠ 0) for corridor-crossing nodes.
    pub roads: Option<&'a Grid<u8>>,
    pub rivers: Option<&'a Grid<u8>>,
}

impl<'a> PatternInputs<'a> {
    /// Land use and a resistance table; every optional layer absent.
    pub fn new(landuse: &'a Grid<i32>, resistance_table: &'a ResistanceTable) -> Self {
        PatternInputs {
            landuse,
            resistance_table,
            region: None,
            importance: None,
            policy_areas: None,
            corrections: &[],
            factors: &[],
            roads: None,
            rivers: None,
        }
    }
}

/// How the cumulative current map is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrentMode {
    /// Circuitscape pairwise among sources (1 A per pair, currents summed); default.
    Pairwise,
    /// Circuitscape all-to-one: each source grounded in turn, the others inject 1 A.
    AllToOne,
    /// No cumulative current map.
    None,
}

/// Parameters of [`run_pattern`]; units in the field docs, defaults from METHODS §3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternParams {
    /// Land-use codes of ecological land (MSPA foreground). Default [`COMMON_ECOLOGICAL_CLASSES`].
    pub ecological_classes: Vec<i64>,
    /// MSPA settings (default 8-connectivity, edge width 1 pixel; METHODS §3.1).
    pub mspa: MspaParams,
    /// Importance value at or above which core cells may be sources (default 3 = 极重要);
    /// used only when an importance raster is given.
    pub importance_threshold: f64,
    /// Minimum source patch area, 公顷 ha (default 100 ha = 1 km²; METHODS: 0.5–5 km²).
    pub min_area_ha: f64,
    /// Conefor PC kernel on edge-to-edge distance, metres (default p = 0.5 at 1500 m, Turpan).
    pub dpc_kernel: DispersalKernel,
    /// Drop sources with dPC (%) below this (Turpan: 3). Default none.
    pub min_dpc: Option<f64>,
    /// Keep at most this many sources, by dPC (default 30).
    pub max_sources: Option<usize>,
    /// Land-use weight and clamp of the resistance surface.
    pub resistance: ResistanceParams,
    /// Linkage Mapper settings; `truncate_cwd` (cost·m) is the corridor width. Default: LM
    /// defaults (4 nearest neighbours by CWD, drop paths through third cores, reconnect
    /// constellations) with `truncate_cwd` 20 000.
    pub linkage: LinkageParams,
    /// Cumulative current among sources (default pairwise).
    pub current: CurrentMode,
    /// Circuit solver: "cholesky" (default; one factorisation for all pairs) or "cg+amg".
    pub solver: String,
    /// Run Pinchpoint Mapper inside the truncated corridors (default true).
    pub pinchpoints: bool,
    /// Use 1/R² in the pinch-point circuits (LM `SQUARERESISTANCES`; default false).
    pub square_resistances: bool,
    /// Run Barrier Mapper (default true).
    pub barriers: bool,
    /// Barrier radii `[min, max, step]` in metres; default none = 1 to 5 cells, step 1 cell.
    pub barrier_radii_m: Option<[f64; 3]>,
    /// Node merging (`merge_cells`); barrier nodes are path cells in 一级改善区, so
    /// `barrier_threshold` is not used.
    pub nodes: NodeParams,
}

impl Default for PatternParams {
    fn default() -> Self {
        PatternParams {
            ecological_classes: COMMON_ECOLOGICAL_CLASSES.to_vec(),
            mspa: MspaParams::default(),
            importance_threshold: 3.0,
            min_area_ha: 100.0,
            dpc_kernel: DispersalKernel {
                distance: 1500.0,
                probability: 0.5,
            },
            min_dpc: None,
            max_sources: Some(30),
            resistance: ResistanceParams::default(),
            linkage: LinkageParams {
                truncate_cwd: Some(20_000.0),
                ..Default::default()
            },
            current: CurrentMode::Pairwise,
            solver: "cholesky".into(),
            pinchpoints: true,
            square_resistances: false,
            barriers: true,
            barrier_radii_m: None,
            nodes: NodeParams::default(),
        }
    }
}

impl PatternParams {
    /// Checks every parameter and reports all problems at once.
    pub fn validate(&self) -> Result<(), PatternError> {
        let mut p = Vec::new();
        if self.ecological_classes.is_empty() {
            p.push(
                "ecological_classes is empty: name the land-use codes of ecological land".into(),
            );
        }
        match self.mspa.validate() {
            Ok(()) => {}
            Err(MspaError::InvalidParams(v)) => {
                p.extend(v.into_iter().map(|s| format!("mspa: {s}")))
            }
            Err(e) => p.push(format!("mspa: {e}")),
        }
        if self.importance_threshold.is_nan() {
            p.push("importance_threshold is NaN".into());
        }
        if let Err(SourcesError::Params(v)) = (SourceParams {
            importance_threshold: None,
            min_area_ha: self.min_area_ha,
            eight_connected: true,
        })
        .validate()
        {
            p.extend(v);
        }
        if let Err(e) = self.dpc_kernel.validate() {
            p.push(format!("dpc_kernel: {e}"));
        }
        if let Some(d) = self.min_dpc {
            if !d.is_finite() {
                p.push(format!("min_dpc = {d} must be a finite percentage"));
            }
        }
        if self.max_sources.is_some_and(|n| n < 2) {
            p.push("max_sources must be ≥ 2 (corridors join pairs of sources)".into());
        }
        if !(self.resistance.landuse_weight > 0.0 && self.resistance.landuse_weight.is_finite()) {
            p.push(format!(
                "resistance.landuse_weight = {} must be > 0",
                self.resistance.landuse_weight
            ));
        }
        if let Some((lo, hi)) = self.resistance.clamp {
            if !(lo > 0.0 && hi >= lo) {
                p.push(format!(
                    "resistance.clamp ({lo}, {hi}) must satisfy 0 < min ≤ max"
                ));
            }
        }
        if let Err(CorridorError::Params(v)) = self.linkage.validate() {
            p.extend(v.into_iter().map(|s| format!("linkage: {s}")));
        }
        if self.pinchpoints && self.linkage.truncate_cwd.is_none() {
            p.push("pinchpoints need linkage.truncate_cwd (the corridor width, cost·m)".into());
        }
        if SolverKind::from_name(&self.solver).is_none() {
            p.push(format!(
                "solver = '{}': use 'cholesky' or 'cg+amg'",
                self.solver
            ));
        }
        if let Some([lo, hi, step]) = self.barrier_radii_m {
            if !(lo > 0.0 && hi >= lo && step > 0.0 && hi.is_finite()) {
                p.push(format!(
                    "barrier_radii_m [{lo}, {hi}, {step}] must satisfy 0 < min ≤ max, step > 0 (metres)"
                ));
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(PatternError::Params(p))
        }
    }
}

/// Errors of [`run_pattern`].
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error("生态安全格局参数错误 invalid pattern parameters: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error("生态安全格局输入未对齐 pattern inputs are not aligned: {0}")]
    NotAligned(String),
    #[error(
        "生态源地不足 only {found} source patch(es) passed the filters ({detail}); corridors need at least 2: lower min_area_ha / importance_threshold or add ecological classes"
    )]
    TooFewSources { found: usize, detail: String },
    #[error(transparent)]
    Mspa(#[from] MspaError),
    #[error(transparent)]
    Sources(#[from] SourcesError),
    #[error(transparent)]
    Resistance(#[from] ResistanceError),
    #[error(transparent)]
    Corridors(#[from] CorridorError),
    #[error(transparent)]
    Nodes(#[from] NodesError),
    #[error("电流计算失败 circuit solve failed: {0}")]
    Circuit(String),
}

/// Everything [`run_pattern`] computes.
#[derive(Debug, Clone)]
pub struct PatternOutputs {
    /// MSPA byte codes (GuidosToolbox) of the ecological-land foreground.
    pub mspa: Grid<u8>,
    /// Source patches (ids 1..=n by dPC rank; 0 elsewhere) and their table (area, dPC, …).
    pub sources: Sources,
    /// Resistance surface and its report (table used, class counts).
    pub resistance: ResistanceSurface,
    /// Link table (all candidates; kept ones have positive types), LCP cells, NLCC mosaic;
    /// with pinch points, the links carry effective resistance and CWD:effective-resistance.
    pub corridors: Corridors,
    /// NLCC truncated at `linkage.truncate_cwd` ([`PATTERN_NODATA`] outside), or the full mosaic.
    pub corridors_truncated: Grid<f32>,
    /// Cumulative current (A) among sources; [`PATTERN_NODATA`] where not solved.
    pub current: Option<Grid<f32>>,
    /// Pairwise effective resistances between sources `(a, b, R)` (pairwise mode; R in cell
    /// resistance units, −1 disconnected).
    pub effective_resistances: Vec<(u32, u32, f64)>,
    /// Pinchpoint Mapper output (per-corridor current, mosaicked by maximum).
    pub pinchpoint: Option<PinchpointOutput>,
    /// 1 = pinch point 夹点 (top natural-breaks class of the pinch-point current inside the
    /// truncated corridors), 0 elsewhere.
    pub pinch_points: Option<Grid<u8>>,
    /// Barrier Mapper output (improvement scores, % improvement, best radius).
    pub barriers: Option<BarrierOutput>,
    /// 1 = 一级改善区, 2 = 二级改善区 (natural-breaks classes of positive barrier scores), 0 else.
    pub barrier_class: Option<Grid<u8>>,
    /// Ecological nodes along the kept least-cost paths.
    pub nodes: Vec<EcoNode>,
    /// α/β/γ with V = sources and L = kept links (None when fewer than 3 sources).
    pub network: Option<NetworkIndices>,
    /// Network cost ratio 1 − Σ LCP length / Σ LCD over the kept corridors (METHODS §3.6);
    /// None without kept corridors.
    pub network_cost_ratio: Option<f64>,
    /// Choices and counts for the log and the manifest.
    pub notes: Vec<String>,
    /// Wall time of each step, seconds (for the manifest and benchmarks).
    pub timings: Vec<(&'static str, f64)>,
}

impl PatternOutputs {
    /// Kept corridors as (link id, source a, source b) with 1-based source ids.
    pub fn kept_pairs(&self) -> Vec<(u32, u32, u32)> {
        self.corridors
            .kept_links()
            .map(|l| (l.id, l.core_a, l.core_b))
            .collect()
    }
}

/// The network before and after adding planned corridors (规划廊道), METHODS §3.6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedNetwork {
    /// α/β/γ of the kept corridors (before) and of kept ∪ planned links (after).
    pub comparison: NetworkComparison,
    /// Links the planned corridors add (duplicates of kept links included; `added_links` of
    /// the comparison counts only new ones).
    pub links: Vec<PlannedLink>,
    /// Indices of planned corridors that join fewer than two sources.
    pub unattached: Vec<usize>,
    /// Network cost ratio 1 − Σ LCP length / Σ LCD of the kept corridors (before) and of kept ∪
    /// planned links (after). A planned link counts along the least-cost path of its source pair
    /// on the resistance surface (the pair's candidate link when Linkage Mapper has one, else a
    /// cost-distance run from one source to the other); `cost_ratio_after` is None when a
    /// planned pair cannot reach each other.
    pub cost_ratio_before: Option<f64>,
    pub cost_ratio_after: Option<f64>,
}

impl PatternOutputs {
    /// α/β/γ before and after adding planned corridors, each given as the grid cells it covers
    /// (rasterized line or polygon). A corridor adds links among the sources it covers or
    /// touches ([`planned_links`]); the node set stays the sources.
    pub fn planned_network(
        &self,
        corridors: &[Vec<usize>],
    ) -> Result<PlannedNetwork, PatternError> {
        let centroids: Vec<(f64, f64)> = self.sources.table.iter().map(|s| s.centroid).collect();
        let links = planned_links(&self.sources.patches, &centroids, corridors);
        let unattached = (0..corridors.len())
            .filter(|k| !links.iter().any(|l| l.corridor == *k))
            .collect();
        let existing: Vec<(usize, usize)> = self
            .corridors
            .kept_links()
            .map(|l| (l.core_a as usize - 1, l.core_b as usize - 1))
            .collect();
        let planned: Vec<(usize, usize)> = links
            .iter()
            .map(|l| (l.source_a as usize - 1, l.source_b as usize - 1))
            .collect();
        let comparison = compare_planned(self.sources.table.len(), &existing, &planned)
            .map_err(|e| PatternError::Params(vec![format!("planned corridors: {e}")]))?;
        let pair = |a: u32, b: u32| (a.min(b), a.max(b));
        let kept: std::collections::BTreeSet<(u32, u32)> = self
            .corridors
            .kept_links()
            .map(|l| pair(l.core_a, l.core_b))
            .collect();
        let mut lengths: Vec<f64> = self.corridors.kept_links().map(|l| l.lcp_length).collect();
        let mut lcd: Vec<f64> = self.corridors.kept_links().map(|l| l.cwd).collect();
        let mut known = true;
        let new_pairs: std::collections::BTreeSet<(u32, u32)> = links
            .iter()
            .map(|l| pair(l.source_a, l.source_b))
            .filter(|p| !kept.contains(p))
            .collect();
        for &(a, b) in &new_pairs {
            let candidate = self.corridors.links.iter().find(|l| {
                pair(l.core_a, l.core_b) == (a, b) && l.cwd.is_finite() && l.lcp_length.is_finite()
            });
            match candidate {
                Some(l) => {
                    lengths.push(l.lcp_length);
                    lcd.push(l.cwd);
                }
                None => match self.least_cost_between(a, b) {
                    Some(p) => {
                        lengths.push(p.length);
                        lcd.push(p.cost);
                    }
                    None => known = false,
                },
            }
        }
        let cost_ratio_after = if known {
            cost_ratio(&lengths, &lcd).ok()
        } else {
            None
        };
        Ok(PlannedNetwork {
            comparison,
            links,
            unattached,
            cost_ratio_before: self.network_cost_ratio,
            cost_ratio_after,
        })
    }
}

impl PatternOutputs {
    /// The least-cost path from source `a` to source `b` on the resistance surface (cells outside
    /// the analysis area impassable); None when `b` cannot be reached.
    pub fn least_cost_between(&self, a: u32, b: u32) -> Option<LeastCostPath> {
        let patches = &self.sources.patches;
        let from = patches.map(Some(0u32), |id| if id == a { a } else { 0 });
        let params = CostDistanceParams {
            bad_cost: BadCostPolicy::AsBarrier,
            allocation: false,
            ..Default::default()
        };
        let cd = cost_distance(&self.resistance.resistance, &from, &params, &NoProgress).ok()?;
        let to: Vec<usize> = (0..patches.data.len())
            .filter(|&i| patches.data[i] == b)
            .collect();
        least_cost_path(&cd, &to).ok()
    }
}

fn check_aligned(inputs: &PatternInputs) -> Result<(), PatternError> {
    let spec = inputs.landuse.spec();
    let mut bad = Vec::new();
    let mut one = |name: &str, s: Option<ecoplan_grid::GridSpec>| {
        if let Some(s) = s {
            if let Err(e) = spec.check_aligned(&s) {
                bad.push(format!("{name}: {e}"));
            }
        }
    };
    one("region", inputs.region.map(|g| g.spec()));
    one("importance", inputs.importance.map(|g| g.spec()));
    one("policy_areas", inputs.policy_areas.map(|g| g.spec()));
    one("roads", inputs.roads.map(|g| g.spec()));
    one("rivers", inputs.rivers.map(|g| g.spec()));
    for c in inputs.corrections {
        one(c.kind.label(), Some(c.layer.spec()));
    }
    for f in inputs.factors {
        one(f.name, Some(f.layer.spec()));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(PatternError::NotAligned(bad.join("; ")))
    }
}

/// Jenks natural breaks (3 classes) over the finite values where `inside` holds: the grade
/// (1..=3) per cell, 0 elsewhere.
fn natural_break_grades(values: &[f32], inside: impl Fn(usize) -> bool) -> Vec<u8> {
    let masked: Vec<f32> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if inside(i) && v.is_finite() {
                v
            } else {
                f32::NAN
            }
        })
        .collect();
    grade(&masked, GradingMethod::NaturalBreaks).0
}

/// Runs the whole chain (module docs). Pure: grids in, grids and tables out.
///
/// Errors: bad parameters (all listed), misaligned inputs, land-use codes missing from the
/// table, fewer than two sources, solver failures.
pub fn run_pattern(
    inputs: &PatternInputs,
    params: &PatternParams,
    progress: &dyn Progress,
) -> Result<PatternOutputs, PatternError> {
    params.validate()?;
    check_aligned(inputs)?;
    let lu = inputs.landuse;
    let spec = lu.spec();
    let n = spec.len();
    let mut notes = Vec::new();
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        timings.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let inside = |i: usize| {
        !lu.is_nodata(lu.data[i])
            && inputs
                .region
                .is_none_or(|r| r.data[i] != 0 && !r.is_nodata(r.data[i]))
    };

    // 1. MSPA on ecological land.
    let eco: Vec<u8> = (0..n)
        .map(|i| {
            if !inside(i) {
                0
            } else if params.ecological_classes.contains(&(lu.data[i] as i64)) {
                2
            } else {
                1
            }
        })
        .collect();
    let fg = Grid::from_vec(&spec, eco, None).expect("sized to the grid");
    let mspa_out = mspa(&fg, &params.mspa, progress)?;
    let core = core_mask(&mspa_out);
    lap("mspa");

    // 2. Sources: core ∩ importance, area, dPC rank and cut.
    let sp = SourceParams {
        importance_threshold: inputs.importance.map(|_| params.importance_threshold),
        min_area_ha: params.min_area_ha,
        eight_connected: params.mspa.connectivity == 8,
    };
    let mut sources =
        extract_sources(&core, inputs.importance, inputs.policy_areas, &sp, progress)?;
    let candidates = sources.table.len();
    if inputs.importance.is_none() {
        notes.push(
            "生态源地 sources: no importance raster, MSPA core of ecological land only".into(),
        );
    }
    rank_by_dpc(
        &mut sources,
        &DpcParams {
            kernel: params.dpc_kernel,
            min_dpc: params.min_dpc,
            min_probability: 1e-4,
        },
    )?;
    if let Some(k) = params.max_sources {
        if sources.table.len() > k {
            let extra = sources.table.len() - k;
            sources.table.truncate(k);
            sources.dropped_low_dpc += extra;
            // Renumbers the patch grid; dropped patches become 0.
            sources.rerank(crate::sources::Ranking::Dpc);
        }
    }
    notes.push(format!(
        "生态源地 sources: {} kept of {} patches ≥ {} ha ({} smaller dropped, {} dropped by dPC cut/top-N)",
        sources.table.len(),
        candidates,
        params.min_area_ha,
        sources.dropped_small,
        sources.dropped_low_dpc
    ));
    if sources.table.len() < 2 {
        return Err(PatternError::TooFewSources {
            found: sources.table.len(),
            detail: format!(
                "{candidates} core patches ≥ {} ha{}",
                params.min_area_ha,
                if inputs.importance.is_some() {
                    format!(", importance ≥ {}", params.importance_threshold)
                } else {
                    String::new()
                }
            ),
        });
    }

    lap("sources");
    // 3. Resistance, impassable outside the analysis area.
    let classes = Grid::from_vec(
        &spec,
        (0..n)
            .map(|i| if inside(i) { lu.data[i] } else { i32::MIN })
            .collect(),
        Some(i32::MIN),
    )
    .expect("sized to the grid");
    let resistance = resistance_from_classes(
        &classes,
        inputs.resistance_table,
        inputs.factors,
        inputs.corrections,
        &params.resistance,
    )?;
    let r = &resistance.resistance;

    lap("resistance");
    // 4. Corridors.
    let patches = &sources.patches;
    let mut corridors = linkage_corridors(r, patches, &params.linkage, progress)?;
    let corridors_truncated = match params.linkage.truncate_cwd {
        Some(t) => corridors.truncated(t),
        None => corridors.nlcc.clone(),
    };

    lap("corridors");
    // 5. Cumulative current among sources.
    let solver =
        SolverOptions::with_kind(SolverKind::from_name(&params.solver).expect("validated"));
    let mut effective_resistances = Vec::new();
    let current = if params.current == CurrentMode::None {
        None
    } else {
        let conductance: Vec<f64> = r
            .data
            .iter()
            .map(|&v| {
                if r.is_nodata(v) || !(v > 0.0) || !v.is_finite() {
                    0.0
                } else {
                    1.0 / v as f64
                }
            })
            .collect();
        let polygons: Vec<i64> = patches.data.iter().map(|&v| v as i64).collect();
        let mut focal: Vec<FocalPoint> = Vec::new();
        let mut seen = vec![false; sources.table.len() + 1];
        for (i, &id) in patches.data.iter().enumerate() {
            if id != 0 && !seen[id as usize] && conductance[i] > 0.0 {
                seen[id as usize] = true;
                focal.push(FocalPoint {
                    row: i / spec.width,
                    col: i % spec.width,
                    id: id as i64,
                });
            }
        }
        focal.sort_by_key(|p| p.id);
        let land = Landscape {
            width: spec.width,
            height: spec.height,
            conductance: &conductance,
            polygons: Some(&polygons),
            graph: GraphOptions {
                connectivity: Connectivity::Eight,
                avg_resistances: false,
            },
        };
        let maps = MapOptions {
            write_cum_cur_map_only: true,
            ..Default::default()
        };
        let cum = match params.current {
            CurrentMode::Pairwise => {
                let res = pairwise(&land, &focal, None, &maps, &solver, &discard_maps, progress)
                    .map_err(|e| PatternError::Circuit(e.to_string()))?;
                let k = res.ids.len();
                for a in 0..k {
                    for b in a + 1..k {
                        effective_resistances.push((
                            res.ids[a] as u32,
                            res.ids[b] as u32,
                            res.resistance(a, b),
                        ));
                    }
                }
                res.cum_current
            }
            _ => {
                one_to_all(
                    &land,
                    &focal,
                    OneToAllMode::AllToOne,
                    None,
                    None,
                    &maps,
                    &solver,
                    &discard_maps,
                    progress,
                )
                .map_err(|e| PatternError::Circuit(e.to_string()))?
                .cum_current
            }
        };
        notes.push(format!(
            "累积电流 cumulative current: Circuitscape {} among {} sources (each source patch short-circuited, one focal node per patch), conductance 1/R, 8 neighbours, average conductance, solver {}",
            if params.current == CurrentMode::Pairwise { "pairwise" } else { "all-to-one" },
            focal.len(),
            params.solver
        ));
        cum.map(|c| {
            let data = c
                .iter()
                .zip(&conductance)
                .map(|(&v, &g)| if g > 0.0 { v as f32 } else { PATTERN_NODATA })
                .collect();
            Grid::from_vec(&spec, data, Some(PATTERN_NODATA)).expect("sized to the grid")
        })
    };

    lap("current");
    // 6. Pinch points inside the truncated corridors.
    let (pinchpoint, pinch_points) = match (params.pinchpoints, params.linkage.truncate_cwd) {
        (true, Some(cutoff)) if corridors.kept_links().next().is_some() => {
            let mut pp = PinchpointParams::new(cutoff);
            pp.square_resistances = params.square_resistances;
            pp.bad_cost = params.linkage.bad_cost;
            let out = pinchpoint_mapper(r, patches, &mut corridors, &pp, progress)?;
            let cur = &out.current;
            let grades = natural_break_grades(&cur.data, |i| {
                corridors_truncated.data[i] != PATTERN_NODATA
                    && patches.data[i] == 0
                    && !cur.is_nodata(cur.data[i])
                    && cur.data[i] > 0.0
            });
            let mask: Vec<u8> = grades.iter().map(|&g| u8::from(g == 3)).collect();
            notes.push(format!(
                "夹点 pinch points: {} cells in the top natural-breaks class of the pinch-point current inside the corridors",
                mask.iter().filter(|&&v| v == 1).count()
            ));
            (
                Some(out),
                Some(Grid::from_vec(&spec, mask, None).expect("sized to the grid")),
            )
        }
        _ => (None, None),
    };

    lap("pinchpoints");
    // 7. Barriers.
    let (barriers, barrier_class) = if params.barriers && corridors.kept_links().next().is_some() {
        let cell = spec.transform.cell_width();
        let mut bp = BarrierParams::cells(cell);
        if let Some([lo, hi, step]) = params.barrier_radii_m {
            bp.min_radius = lo;
            bp.max_radius = hi;
            bp.radius_step = step;
        }
        bp.bad_cost = params.linkage.bad_cost;
        bp.null_cores = true;
        bp.validate(cell)?;
        let out = barrier_mapper(r, patches, &corridors, &bp, progress)?;
        let circles = &out.circles;
        let masked: Vec<f32> = circles
            .data
            .iter()
            .map(|&v| {
                if v > 0.0 && !circles.is_nodata(v) {
                    v
                } else {
                    f32::NAN
                }
            })
            .collect();
        let (grades, th) = grade(&masked, GradingMethod::NaturalBreaks);
        let class: Vec<u8> = grades
            .iter()
            .map(|&g| match g {
                3 => 1,
                2 => 2,
                _ => 0,
            })
            .collect();
        notes.push(format!(
                "障碍点 barriers: radii {:?} m; 一级改善区 {} cells (score ≥ {:.4}), 二级改善区 {} cells",
                bp.radii(),
                class.iter().filter(|&&v| v == 1).count(),
                th.t_upper,
                class.iter().filter(|&&v| v == 2).count()
            ));
        (
            Some(out),
            Some(Grid::from_vec(&spec, class, None).expect("sized to the grid")),
        )
    } else {
        (None, None)
    };

    lap("barriers");
    // 8. Nodes along the kept least-cost paths.
    let kept: Vec<(u32, &[usize])> = corridors
        .kept_links()
        .map(|l| (l.id, l.path_cells.as_slice()))
        .collect();
    // Corridor × barrier nodes: path cells inside 一级改善区, scored by the circle score.
    let barrier_nodes: Option<Grid<f32>> = match (&barriers, &barrier_class) {
        (Some(b), Some(class)) => {
            let data = b
                .circles
                .data
                .iter()
                .zip(&class.data)
                .map(|(&v, &k)| if k == 1 { v } else { 0.0 })
                .collect();
            Some(Grid::from_vec(&spec, data, None).expect("sized to the grid"))
        }
        _ => None,
    };
    let np = NodeParams {
        barrier_threshold: f64::MIN_POSITIVE,
        ..params.nodes.clone()
    };
    let nodes = ecological_nodes(
        &spec,
        &kept,
        &NodeLayers {
            cores: Some(patches),
            barrier: barrier_nodes.as_ref(),
            roads: inputs.roads,
            rivers: inputs.rivers,
        },
        &np,
    )?;

    lap("nodes");
    // 9. Network indices.
    let links = kept.len();
    let network = match network_indices(sources.table.len(), links) {
        Ok(ix) => Some(ix),
        Err(e) => {
            notes.push(format!("网络结构指数 network indices not computed: {e}"));
            None
        }
    };
    let network_cost_ratio = {
        let lengths: Vec<f64> = corridors.kept_links().map(|l| l.lcp_length).collect();
        let lcd: Vec<f64> = corridors.kept_links().map(|l| l.cwd).collect();
        cost_ratio(&lengths, &lcd).ok()
    };
    notes.extend(corridors.notes.iter().cloned());
    Ok(PatternOutputs {
        mspa: mspa_out,
        sources,
        resistance,
        corridors,
        corridors_truncated,
        current,
        effective_resistances,
        pinchpoint,
        pinch_points,
        barriers,
        barrier_class,
        nodes,
        network,
        network_cost_ratio,
        notes,
        timings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, GridSpec, NoProgress};

    const FOREST: i32 = 3;
    const CROP: i32 = 1;
    const BUILT: i32 = 8;

    fn spec(w: usize, h: usize) -> GridSpec {
        GridSpec::new(
            w,
            h,
            GeoTransform::north_up(0.0, h as f64 * 30.0, 30.0),
            None,
        )
    }

    fn blocks(w: usize, h: usize, rects: &[(usize, usize, usize, usize)]) -> Grid<i32> {
        let mut g = Grid::filled(&spec(w, h), CROP, Some(0));
        for &(c0, c1, r0, r1) in rects {
            for r in r0..r1 {
                for c in c0..c1 {
                    g.set(c, r, FOREST);
                }
            }
        }
        g
    }

    fn params() -> PatternParams {
        PatternParams {
            min_area_ha: 5.0,
            ..Default::default()
        }
    }

    fn table() -> ResistanceTable {
        ResistanceTable::preset("common_default").unwrap()
    }

    #[test]
    fn validate_lists_every_problem() {
        let p = PatternParams {
            ecological_classes: vec![],
            min_area_ha: -1.0,
            max_sources: Some(1),
            solver: "gauss".into(),
            barrier_radii_m: Some([0.0, 10.0, 1.0]),
            ..Default::default()
        };
        let PatternError::Params(v) = p.validate().unwrap_err() else {
            panic!("expected Params")
        };
        assert_eq!(v.len(), 5, "{v:?}");
        assert!(PatternParams::default().validate().is_ok());
    }

    #[test]
    fn two_sources_one_corridor_current_along_it() {
        // Two 12×12 forest blocks 10 cells apart in cropland.
        let lu = blocks(40, 16, &[(2, 14, 2, 14), (24, 36, 2, 14)]);
        let t = table();
        let out = run_pattern(&PatternInputs::new(&lu, &t), &params(), &NoProgress).unwrap();
        assert_eq!(out.sources.table.len(), 2);
        // MSPA core of a 12×12 block with edge width 1 is 10×10 = 100 cells = 9 ha.
        assert_eq!(out.sources.table[0].cells, 100);
        assert!((out.sources.table[0].area_ha - 9.0).abs() < 1e-9);
        let kept = out.kept_pairs();
        assert_eq!(kept.len(), 1);
        // Fewer than 3 nodes: no α/γ, and the notes say why.
        assert!(out.network.is_none());
        assert!(out
            .notes
            .iter()
            .any(|n| n.contains("network indices not computed")));
        // Least-cost distance across the gap: path through cropland (R 30) from core edge to
        // core edge, 12 cells (2 forest edge cells at R 1 + 10 crop cells at R 30, in steps
        // of mean resistance): 30 m × (0.5·(1+1) ... ) — check it lies between pure-crop and
        // pure-forest bounds.
        let link = out.corridors.kept_links().next().unwrap();
        assert!(
            link.cwd > 30.0 * 10.0 * 1.0 && link.cwd < 30.0 * 12.0 * 30.0,
            "{}",
            link.cwd
        );
        // Current flows along every path cell outside the sources.
        let cur = out.current.as_ref().unwrap();
        for &c in &link.path_cells {
            if out.sources.patches.data[c] == 0 {
                assert!(cur.data[c] > 0.0, "no current at path cell {c}");
            }
        }
        // Pairwise effective resistance is finite and positive.
        assert_eq!(out.effective_resistances.len(), 1);
        assert!(out.effective_resistances[0].2 > 0.0);
    }

    #[test]
    fn three_in_a_row_make_a_chain() {
        let lu = blocks(64, 16, &[(2, 14, 2, 14), (26, 38, 2, 14), (50, 62, 2, 14)]);
        let t = table();
        let out = run_pattern(&PatternInputs::new(&lu, &t), &params(), &NoProgress).unwrap();
        let net = out.network.unwrap();
        // V = 3, L = 2: α = (2 − 3 + 1)/(6 − 5) = 0, β = 2/3, γ = 2/(3·1).
        assert_eq!((net.nodes, net.links), (3, 2));
        assert!(net.alpha.abs() < 1e-12);
        assert!((net.beta - 2.0 / 3.0).abs() < 1e-12);
        assert!((net.gamma - 2.0 / 3.0).abs() < 1e-12);
        // The middle source is in both links; the ends are not linked directly.
        let mut pairs: Vec<(u32, u32)> = out.kept_pairs().iter().map(|p| (p.1, p.2)).collect();
        pairs.sort();
        let mid = out.sources.patches.get(32, 8);
        assert!(
            pairs.iter().all(|&(a, b)| a == mid || b == mid),
            "{pairs:?}"
        );
        // The middle source connects most: it has the highest dPC, so id 1.
        assert_eq!(mid, 1);
    }

    #[test]
    fn four_sources_in_a_square() {
        let lu = blocks(
            40,
            40,
            &[
                (2, 14, 2, 14),
                (26, 38, 2, 14),
                (2, 14, 26, 38),
                (26, 38, 26, 38),
            ],
        );
        let t = table();
        let out = run_pattern(&PatternInputs::new(&lu, &t), &params(), &NoProgress).unwrap();
        let net = out.network.unwrap();
        assert_eq!(net.nodes, 4);
        // The four sides at least; the diagonals may or may not survive (they pass corners).
        assert!(net.links >= 4 && net.links <= 6, "{}", net.links);
        assert!((net.gamma - net.links as f64 / 6.0).abs() < 1e-12);
        assert!(net.gamma > 0.0 && net.gamma <= 1.0);
    }

    #[test]
    fn barrier_found_on_a_built_up_cell_in_a_forest_strip() {
        // Two forest blocks joined by a 3-cell-wide forest strip cut by a built-up band.
        let mut lu = blocks(44, 20, &[(2, 14, 4, 16), (30, 42, 4, 16), (14, 30, 9, 12)]);
        for r in 9..12 {
            lu.set(22, r, BUILT);
        }
        let t = table();
        let out = run_pattern(&PatternInputs::new(&lu, &t), &params(), &NoProgress).unwrap();
        let b = out.barriers.as_ref().unwrap();
        let (best, _) = b
            .centers
            .data
            .iter()
            .enumerate()
            .max_by(|a, c| a.1.total_cmp(c.1))
            .unwrap();
        let (bc, br) = (best % 44, best / 44);
        assert!(
            (bc as i64 - 22).abs() <= 1 && (9..12).contains(&br),
            "best barrier centre at col {bc}, row {br}"
        );
        let class = out.barrier_class.as_ref().unwrap();
        assert_eq!(class.get(22, 10), 1, "the built-up cell is 一级改善区");
        // A barrier node sits on the path there.
        assert!(out
            .nodes
            .iter()
            .any(|n| n.kind == crate::nodes::NodeKind::Barrier && (n.col as i64 - 22).abs() <= 1));
    }

    #[test]
    fn pinch_point_at_the_narrow_neck() {
        // Wide corridor of forest with a 1-cell neck between two sources, in built-up land.
        let spec = spec(44, 30);
        let mut lu = Grid::filled(&spec, BUILT, Some(0));
        for r in 0..30 {
            for c in 0..44 {
                let block = (2..14).contains(&c) || (30..42).contains(&c);
                let strip = (14..30).contains(&c) && (8..22).contains(&r) && (c != 22 || r == 15);
                if (block && (3..27).contains(&r)) || strip {
                    lu.set(c, r, FOREST);
                }
            }
        }
        let t = table();
        let mut p = params();
        p.barriers = false;
        p.linkage.truncate_cwd = Some(5_000.0);
        let out = run_pattern(&PatternInputs::new(&lu, &t), &p, &NoProgress).unwrap();
        let pinch = out.pinch_points.as_ref().unwrap();
        assert_eq!(pinch.get(22, 15), 1, "the neck cell is a pinch point");
        // Away from the neck, the wide strip is not.
        assert_eq!(pinch.get(18, 9), 0);
        let link = out.corridors.kept_links().next().unwrap();
        assert!(link.effective_resistance.is_some_and(|r| r > 0.0));
    }

    #[test]
    fn importance_filter_and_region_mask() {
        let lu = blocks(64, 16, &[(2, 14, 2, 14), (26, 38, 2, 14), (50, 62, 2, 14)]);
        let t = table();
        // Importance 3 everywhere except the right block (1).
        let mut imp = Grid::filled(&lu.spec(), 3.0f32, Some(f32::NAN));
        for r in 0..16 {
            for c in 44..64 {
                imp.set(c, r, 1.0);
            }
        }
        let mut inputs = PatternInputs::new(&lu, &t);
        inputs.importance = Some(&imp);
        let out = run_pattern(&inputs, &params(), &NoProgress).unwrap();
        assert_eq!(out.sources.table.len(), 2);
        assert_eq!(out.sources.patches.get(56, 8), 0);
        // A region mask excluding the left block: the right one is back, the left one gone,
        // and nothing is outside the region.
        let mut region = Grid::filled(&lu.spec(), 1u8, Some(0));
        for r in 0..16 {
            for c in 0..20 {
                region.set(c, r, 0);
            }
        }
        let mut inputs = PatternInputs::new(&lu, &t);
        inputs.region = Some(&region);
        let out = run_pattern(&inputs, &params(), &NoProgress).unwrap();
        assert_eq!(out.sources.table.len(), 2);
        for (i, &id) in out.sources.patches.data.iter().enumerate() {
            if id != 0 {
                assert_eq!(region.data[i], 1);
            }
        }
        assert!(out
            .resistance
            .resistance
            .is_nodata(out.resistance.resistance.get(5, 5)));
    }

    #[test]
    fn too_few_sources_is_a_clear_error() {
        let lu = blocks(30, 16, &[(2, 14, 2, 14)]);
        let t = table();
        let e = run_pattern(&PatternInputs::new(&lu, &t), &params(), &NoProgress).unwrap_err();
        assert!(
            matches!(e, PatternError::TooFewSources { found: 1, .. }),
            "{e}"
        );
    }

    #[test]
    fn top_n_keeps_the_highest_dpc() {
        let lu = blocks(64, 16, &[(2, 14, 2, 14), (26, 38, 2, 14), (50, 62, 2, 14)]);
        let t = table();
        let mut p = params();
        p.max_sources = Some(2);
        let out = run_pattern(&PatternInputs::new(&lu, &t), &p, &NoProgress).unwrap();
        assert_eq!(out.sources.table.len(), 2);
        let d: Vec<f64> = out.sources.table.iter().map(|s| s.dpc.unwrap()).collect();
        assert!(d[0] >= d[1]);
        // The middle block (highest dPC) is kept.
        assert_eq!(out.sources.patches.get(32, 8), 1);
        assert_eq!(out.sources.dropped_low_dpc, 1);
    }

    #[test]
    fn network_cost_ratio_worked_value() {
        // Forest R 1, cropland R 4 (custom table). Two 12×12 forest blocks, cores (edge width 1)
        // at cols 3–12 and 27–36: the least-cost path runs straight along a row from core
        // cell 12 to core cell 27: 15 steps = 450 m; cost = 30·(1 + 2.5 + 11·4 + 2.5 + 1)
        // = 1530 (forest edge cells 13 and 26, cropland 14–25). Cost ratio = 1 − 450/1530.
        let lu = blocks(40, 16, &[(2, 14, 2, 14), (26, 38, 2, 14)]);
        let t = ResistanceTable::parse_csv("test", "code,resistance\n1,4\n3,1\n").unwrap();
        let mut p = params();
        p.pinchpoints = false;
        p.barriers = false;
        p.current = CurrentMode::None;
        let out = run_pattern(&PatternInputs::new(&lu, &t), &p, &NoProgress).unwrap();
        let link = out.corridors.kept_links().next().unwrap();
        assert!(
            (link.lcp_length - 450.0).abs() < 1e-6,
            "{}",
            link.lcp_length
        );
        assert!((link.cwd - 1530.0).abs() < 1e-3, "{}", link.cwd);
        let cr = out.network_cost_ratio.unwrap();
        assert!((cr - (1.0 - 450.0 / 1530.0)).abs() < 1e-6, "{cr}");
    }

    #[test]
    fn planned_corridor_closes_the_chain() {
        // Three sources in a row: kept links A–B, B–C (γ = 2/3). A planned corridor from the
        // left core down to row 15, along it (3 rows clear of the middle core) and up into the
        // right core adds A–C: L = 3, γ = 3/(3·1) = 1, α = (3 − 3 + 1)/1 = 1.
        let lu = blocks(64, 16, &[(2, 14, 2, 14), (26, 38, 2, 14), (50, 62, 2, 14)]);
        let t = table();
        let mut p = params();
        p.pinchpoints = false;
        p.barriers = false;
        p.current = CurrentMode::None;
        let out = run_pattern(&PatternInputs::new(&lu, &t), &p, &NoProgress).unwrap();
        let w = 64;
        let mut cells: Vec<usize> = (12..16).map(|r| r * w + 8).collect();
        cells.extend((8..=56).map(|c| 15 * w + c));
        cells.extend((12..16).map(|r| r * w + 56));
        let far: Vec<usize> = vec![15 * w + 32]; // below the middle core: touches nothing
        let pn = out.planned_network(&[cells, far]).unwrap();
        let (a, c) = (
            out.sources.patches.get(8, 8),
            out.sources.patches.get(56, 8),
        );
        assert_eq!(pn.links.len(), 1);
        assert_eq!(
            (pn.links[0].source_a, pn.links[0].source_b),
            (a.min(c), a.max(c))
        );
        assert_eq!(pn.unattached, vec![1]);
        let cmp = pn.comparison;
        assert_eq!(
            (cmp.before.links, cmp.after.links, cmp.added_links),
            (2, 3, 1)
        );
        assert!((cmp.before.gamma - 2.0 / 3.0).abs() < 1e-12);
        assert!((cmp.after.gamma - 1.0).abs() < 1e-12);
        assert!((cmp.after.alpha - 1.0).abs() < 1e-12);
        // Cost ratio after: A–C counted along its least-cost path (the candidate link Linkage
        // Mapper dropped because it crosses B).
        let key = |x: u32, y: u32| (x.min(y), x.max(y));
        // A–C is not a Linkage Mapper candidate (B lies between), so its least-cost path is
        // a separate cost-distance run: longer and costlier than either kept link.
        assert!(!out
            .corridors
            .links
            .iter()
            .any(|l| key(l.core_a, l.core_b) == key(a, c)));
        let ac = out.least_cost_between(a, c).expect("A reaches C");
        assert!(out
            .corridors
            .kept_links()
            .all(|l| ac.cost > l.cwd && ac.length > l.lcp_length));
        let (mut len, mut lcd) = (ac.length, ac.cost);
        for l in out.corridors.kept_links() {
            len += l.lcp_length;
            lcd += l.cwd;
        }
        assert_eq!(pn.cost_ratio_before, out.network_cost_ratio);
        let after = pn.cost_ratio_after.expect("A–C has an LCD");
        assert!((after - (1.0 - len / lcd)).abs() < 1e-12, "{after}");
    }
}
