//! Circuitscape's raster modes on in-memory grids: pairwise, one-to-all, all-to-one and advanced.
//!
//! Inputs are a conductance grid (cells ≤ 0 or NaN are barriers), optional short-circuit
//! polygons, focal points (cells with ids; one id over several cells is a focal region) or
//! source/ground grids. Outputs are resistance tables and cell grids; per-pair maps go to a
//! caller-supplied sink as they are produced, so a run never holds more than a few of them.
//!
//! Pairwise resistances use one grounded factorization (or AMG hierarchy) per connected
//! component and one solve per focal node: with unit current injected at node k against a
//! common ground, `R_ij = X_ii + X_jj − 2 X_ij` and the voltages of pair (i, j) are `x_j − x_i`.
//! That is Circuitscape's "resistance shortcut" generalised to every run (it needs n−1 solves per
//! component instead of n(n−1)/2); when per-pair maps of a huge component would not fit in
//! [`MapOptions::voltage_cache_bytes`], pairs are solved one by one instead.

use crate::csr::Csr;
use crate::currents::node_currents;
use crate::graph::{CellGraph, Components, GraphOptions, NO_NODE};
use crate::solver::{PreparedSolver, SolverKind, SolverOptions};
use crate::CircuitError;
use ecoplan_grid::Progress;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

/// A focal cell: grid position and the focal node (or region) id it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FocalPoint {
    pub row: usize,
    pub col: usize,
    pub id: i64,
}

/// Include / exclude pair lists (`use_included_pairs`).
#[derive(Debug, Clone, PartialEq)]
pub struct PairFilter {
    /// `true`: only listed pairs are solved and focal points not listed are dropped;
    /// `false`: listed pairs are skipped.
    pub include: bool,
    /// Point ids indexing `listed`.
    pub point_ids: Vec<i64>,
    /// Row-major `point_ids.len()²` matrix: `true` where the pair is listed.
    pub listed: Vec<bool>,
}

impl PairFilter {
    /// A list of pairs. Id 0 is not a focal node (Circuitscape drops it with a warning), but its
    /// partner stays listed — with no pair, so in include mode it is solved against nothing.
    pub fn from_pairs(include: bool, pairs: &[(i64, i64)]) -> PairFilter {
        let mut ids: Vec<i64> = pairs
            .iter()
            .flat_map(|p| [p.0, p.1])
            .filter(|&id| id != 0)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let n = ids.len();
        let mut listed = vec![false; n * n];
        for &(a, b) in pairs {
            if let (Ok(ia), Ok(ib)) = (ids.binary_search(&a), ids.binary_search(&b)) {
                listed[ia * n + ib] = true;
                listed[ib * n + ia] = true;
            }
        }
        PairFilter {
            include,
            point_ids: ids,
            listed,
        }
    }

    fn pos(&self, id: i64) -> Option<usize> {
        self.point_ids.iter().position(|&p| p == id)
    }

    /// Whether the ordered pair `(a, b)` is skipped.
    pub fn excluded(&self, a: i64, b: i64) -> bool {
        let n = self.point_ids.len();
        match (self.pos(a), self.pos(b)) {
            (Some(i), Some(j)) => {
                let l = self.listed[i * n + j];
                if self.include {
                    !l
                } else {
                    l
                }
            }
            _ => self.include,
        }
    }

    /// Whether point `id` takes part at all (include mode drops unlisted points).
    pub fn keeps_point(&self, id: i64) -> bool {
        !self.include || self.pos(id).is_some()
    }
}

/// Which maps to produce, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapOptions {
    pub write_cur_maps: bool,
    pub write_volt_maps: bool,
    pub write_max_cur_maps: bool,
    pub write_cum_cur_map_only: bool,
    /// Zero the current at the focal nodes of each solve (sources and grounds), as Pinchpoint
    /// Mapper needs.
    pub set_focal_node_currents_to_zero: bool,
    /// Memory allowed for keeping per-node solutions of a component when maps are wanted.
    pub voltage_cache_bytes: usize,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            write_cur_maps: false,
            write_volt_maps: false,
            write_max_cur_maps: false,
            write_cum_cur_map_only: false,
            set_focal_node_currents_to_zero: false,
            voltage_cache_bytes: 2 << 30,
        }
    }
}

impl MapOptions {
    fn per_pair_current(&self) -> bool {
        self.write_cur_maps && !self.write_cum_cur_map_only
    }
    fn cumulative(&self) -> bool {
        self.write_cur_maps || self.write_cum_cur_map_only
    }
    fn need_currents(&self) -> bool {
        self.write_cur_maps || self.write_cum_cur_map_only || self.write_max_cur_maps
    }
    fn any(&self) -> bool {
        self.need_currents() || self.write_volt_maps
    }
}

/// Kind of a per-solve map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    Current,
    Voltage,
}

/// Receives per-solve maps: label (`"1_2"` for a pair, `"3"` for a focal node, `""` for an
/// advanced run), kind and the row-major cell values (0 outside the solved component).
pub type MapSink<'a> = dyn Fn(&str, MapKind, &[f64]) -> Result<(), CircuitError> + Sync + 'a;

/// A sink that drops every map.
pub fn discard_maps(_: &str, _: MapKind, _: &[f64]) -> Result<(), CircuitError> {
    Ok(())
}

/// The landscape: grid size, conductances, optional short-circuit polygons, graph options.
#[derive(Debug, Clone, Copy)]
pub struct Landscape<'a> {
    pub width: usize,
    pub height: usize,
    pub conductance: &'a [f64],
    pub polygons: Option<&'a [i64]>,
    pub graph: GraphOptions,
}

/// Result of a pairwise run.
#[derive(Debug, Clone, PartialEq)]
pub struct PairwiseResult {
    /// Focal ids in output order (Circuitscape's header row/column).
    pub ids: Vec<i64>,
    /// Row-major `ids.len()²` effective resistances; −1 where the pair is disconnected or
    /// excluded, 0 on the diagonal and between points on the same node.
    pub resistances: Vec<f64>,
    /// Sum of all pair current maps (when current maps were asked for).
    pub cum_current: Option<Vec<f64>>,
    /// Cell-wise maximum of pair current maps (`write_max_cur_maps`).
    pub max_current: Option<Vec<f64>>,
}

impl PairwiseResult {
    pub fn resistance(&self, i: usize, j: usize) -> f64 {
        self.resistances[i * self.ids.len() + j]
    }
}

/// Result of one-to-all and all-to-one runs.
#[derive(Debug, Clone, PartialEq)]
pub struct OneToAllResult {
    pub ids: Vec<i64>,
    /// One-to-all: voltage at the source divided by its strength (−1 if not solved);
    /// all-to-one: 0 when solved, −1 when not.
    pub resistances: Vec<f64>,
    pub cum_current: Option<Vec<f64>>,
    pub max_current: Option<Vec<f64>>,
}

/// Result of an advanced run.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvancedResult {
    /// Cell voltages (0 where no node or not solved).
    pub voltage: Vec<f64>,
    /// Cell node currents (when current maps were asked for).
    pub current: Option<Vec<f64>>,
    /// Whether any component was solved.
    pub solved: bool,
}

/// Shared accumulators of cumulative and maximum current maps.
struct Accum {
    cum: Option<Mutex<Vec<f64>>>,
    max: Option<Mutex<Vec<f64>>>,
}

impl Accum {
    fn new(cells: usize, maps: &MapOptions) -> Accum {
        Accum {
            cum: maps.cumulative().then(|| Mutex::new(vec![0.0; cells])),
            max: maps
                .write_max_cur_maps
                .then(|| Mutex::new(vec![f64::NEG_INFINITY; cells])),
        }
    }
    fn add(&self, cmap: &[f64]) {
        if let Some(c) = &self.cum {
            let mut c = c.lock().expect("accumulator lock");
            c.iter_mut().zip(cmap).for_each(|(a, b)| *a += b);
        }
        if let Some(m) = &self.max {
            let mut m = m.lock().expect("accumulator lock");
            m.iter_mut().zip(cmap).for_each(|(a, b)| *a = a.max(*b));
        }
    }
    fn finish(self) -> (Option<Vec<f64>>, Option<Vec<f64>>) {
        let cum = self.cum.map(|c| c.into_inner().expect("accumulator lock"));
        let max = self.max.map(|m| {
            let mut m = m.into_inner().expect("accumulator lock");
            // Cells never covered keep Circuitscape's −9999 floor.
            m.iter_mut().for_each(|v| {
                if *v == f64::NEG_INFINITY {
                    *v = -9999.0
                }
            });
            m
        });
        (cum, max)
    }
}

/// A component's Laplacian in local numbering, and the cell → local node mapping.
struct ComponentView<'g> {
    laplacian: Cow<'g, Csr>,
}

fn component_view<'g>(g: &'g CellGraph, comps: &'g Components, c: usize) -> ComponentView<'g> {
    let nodes = &comps.nodes[c][..];
    let laplacian = if nodes.len() == g.n_nodes {
        Cow::Borrowed(&g.laplacian)
    } else {
        Cow::Owned(g.laplacian.principal_submatrix(nodes))
    };
    ComponentView { laplacian }
}

/// Local index of each node within its component.
fn local_indices(comps: &Components, n: usize) -> Vec<u32> {
    let mut local = vec![0u32; n];
    for c in &comps.nodes {
        for (k, &v) in c.iter().enumerate() {
            local[v as usize] = k as u32;
        }
    }
    local
}

/// Spreads per-node values of component `c` onto cells (0 elsewhere).
fn to_cells(
    g: &CellGraph,
    comps: &Components,
    local: &[u32],
    c: usize,
    values: &[f64],
    out: &mut [f64],
) {
    out.par_iter_mut()
        .zip(g.node_of_cell.par_iter())
        .with_min_len(4096)
        .for_each(|(o, &nd)| {
            *o = if nd != NO_NODE && comps.of_node[nd as usize] as usize == c {
                values[local[nd as usize] as usize]
            } else {
                0.0
            };
        });
}

/// Solver for a connected component's Laplacian with a consistent (zero-sum) right-hand side.
/// CG works on the singular Laplacian directly; Cholesky factors it with `anchor` grounded.
struct ComponentSolver {
    solver: PreparedSolver,
    anchor: Option<usize>,
    n: usize,
}

impl ComponentSolver {
    fn new(l: &Csr, anchor: usize, opts: &SolverOptions) -> Result<Self, CircuitError> {
        let n = l.nrows;
        match opts.kind {
            SolverKind::CgAmg => Ok(ComponentSolver {
                solver: PreparedSolver::new(l.clone(), opts)?,
                anchor: None,
                n,
            }),
            SolverKind::Cholesky => {
                let keep: Vec<u32> = (0..n as u32).filter(|&i| i as usize != anchor).collect();
                let reduced = l.principal_submatrix(&keep);
                Ok(ComponentSolver {
                    solver: PreparedSolver::new(reduced, opts)?,
                    anchor: Some(anchor),
                    n,
                })
            }
        }
    }

    /// Voltages (up to a constant) for zero-sum injections `b`.
    fn solve(&self, b: &[f64]) -> Result<Vec<f64>, CircuitError> {
        match self.anchor {
            None => self.solver.solve(b),
            Some(a) => {
                let mut rb = Vec::with_capacity(self.n.saturating_sub(1));
                rb.extend_from_slice(&b[..a]);
                rb.extend_from_slice(&b[a + 1..]);
                let x = self.solver.solve(&rb)?;
                let mut v = Vec::with_capacity(self.n);
                v.extend_from_slice(&x[..a]);
                v.push(0.0);
                v.extend_from_slice(&x[a..]);
                Ok(v)
            }
        }
    }

    fn solve_many(&self, bs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, CircuitError> {
        match self.anchor {
            None => self.solver.solve_many(bs),
            Some(a) => {
                let reduced: Vec<Vec<f64>> = bs
                    .iter()
                    .map(|b| {
                        let mut rb = Vec::with_capacity(self.n - 1);
                        rb.extend_from_slice(&b[..a]);
                        rb.extend_from_slice(&b[a + 1..]);
                        rb
                    })
                    .collect();
                let xs = self.solver.solve_many(&reduced)?;
                Ok(xs
                    .into_iter()
                    .map(|x| {
                        let mut v = Vec::with_capacity(self.n);
                        v.extend_from_slice(&x[..a]);
                        v.push(0.0);
                        v.extend_from_slice(&x[a..]);
                        v
                    })
                    .collect())
            }
        }
    }
}

/// Node under each focal point ([`NO_NODE`] off the habitat).
fn focal_nodes(g: &CellGraph, focal: &[FocalPoint]) -> Vec<u32> {
    focal
        .iter()
        .map(|p| g.node_of_cell[p.row * g.width + p.col])
        .collect()
}

fn check_focal(land: &Landscape, focal: &[FocalPoint]) -> Result<(), CircuitError> {
    for p in focal {
        if p.row >= land.height || p.col >= land.width {
            return Err(CircuitError::Input(format!(
                "focal point {} at row {}, column {} lies outside the {}×{} habitat grid",
                p.id,
                p.row + 1,
                p.col + 1,
                land.width,
                land.height
            )));
        }
    }
    Ok(())
}

/// Pairwise mode: effective resistance between every pair of focal nodes, with optional per-pair
/// voltage/current maps and cumulative/maximum current maps.
///
/// `focal` must be sorted by id (stably); an id on several cells makes a focal region, which is
/// short-circuited only while its own pairs are solved (Circuitscape's region semantics).
pub fn pairwise(
    land: &Landscape,
    focal: &[FocalPoint],
    filter: Option<&PairFilter>,
    maps: &MapOptions,
    solver: &SolverOptions,
    sink: &MapSink,
    progress: &dyn Progress,
) -> Result<PairwiseResult, CircuitError> {
    check_focal(land, focal)?;
    let focal: Vec<FocalPoint> = match filter {
        Some(f) => focal
            .iter()
            .copied()
            .filter(|p| f.keeps_point(p.id))
            .collect(),
        None => focal.to_vec(),
    };
    let mut unique: Vec<i64> = focal.iter().map(|p| p.id).collect();
    unique.dedup();
    if unique.len() != focal.len() {
        return pairwise_regions(land, &focal, &unique, filter, maps, solver, sink, progress);
    }
    let g = CellGraph::new(
        land.width,
        land.height,
        land.conductance,
        land.polygons,
        &land.graph,
    )?;
    let ids: Vec<i64> = focal.iter().map(|p| p.id).collect();
    let nodes = focal_nodes(&g, &focal);
    let accum = Accum::new(land.width * land.height, maps);
    let resistances = pairwise_on_graph(
        &g, &ids, &nodes, filter, maps, solver, sink, &accum, progress,
    )?;
    let (cum_current, max_current) = accum.finish();
    Ok(PairwiseResult {
        ids,
        resistances,
        cum_current,
        max_current,
    })
}

/// The pairwise kernel on a built graph: `ids[i]` sits on graph node `nodes[i]`.
#[allow(clippy::too_many_arguments)]
fn pairwise_on_graph(
    g: &CellGraph,
    ids: &[i64],
    nodes: &[u32],
    filter: Option<&PairFilter>,
    maps: &MapOptions,
    solver: &SolverOptions,
    sink: &MapSink,
    accum: &Accum,
    progress: &dyn Progress,
) -> Result<Vec<f64>, CircuitError> {
    let np = ids.len();
    let mut res = vec![-1.0; np * np];
    let comps = g.components();
    let local = local_indices(&comps, g.n_nodes);
    let cells = g.width * g.height;
    // Components holding focal nodes, with their distinct focal nodes in order of appearance.
    let mut per_comp: HashMap<usize, Vec<u32>> = HashMap::new();
    let mut comp_order: Vec<usize> = Vec::new();
    for &nd in nodes {
        if nd == NO_NODE {
            continue;
        }
        let c = comps.of_node[nd as usize] as usize;
        let e = per_comp.entry(c).or_insert_with(|| {
            comp_order.push(c);
            Vec::new()
        });
        if !e.contains(&nd) {
            e.push(nd);
        }
    }
    let total_pairs: u64 = comp_order
        .iter()
        .map(|c| {
            let m = per_comp[c].len() as u64;
            m * m.saturating_sub(1) / 2
        })
        .sum();
    progress.begin("pairwise 成对求解", total_pairs.max(1));
    let done = std::sync::atomic::AtomicU64::new(0);
    for &c in &comp_order {
        if progress.cancelled() {
            return Err(CircuitError::Cancelled);
        }
        let csub = &per_comp[&c];
        // Points sharing a node are 0 apart; like Circuitscape 4, their pair maps are all zero.
        for i in 0..np {
            for j in 0..np {
                if i != j && nodes[i] != NO_NODE && nodes[i] == nodes[j] && csub.contains(&nodes[i])
                {
                    res[i * np + j] = 0.0;
                    if i < j && !filter.is_some_and(|f| f.excluded(ids[i], ids[j])) {
                        emit_zero_maps(&format!("{}_{}", ids[i], ids[j]), maps, sink, cells)?;
                    }
                }
            }
        }
        if csub.len() < 2 {
            continue;
        }
        let view = component_view(g, &comps, c);
        let l = &*view.laplacian;
        let n = l.nrows;
        let anchor = local[csub[0] as usize] as usize;
        let cs = ComponentSolver::new(l, anchor, solver)?;
        // Positions in `ids` per focal node.
        let positions: Vec<Vec<usize>> = csub
            .iter()
            .map(|&nd| (0..np).filter(|&i| nodes[i] == nd).collect())
            .collect();
        // Pairs (a, b) of csub indices to solve, with the (src, dst) id combinations they serve.
        let mut jobs: Vec<(usize, usize, Vec<(usize, usize)>)> = Vec::new();
        for a in 0..csub.len() {
            for b in a + 1..csub.len() {
                let combos: Vec<(usize, usize)> = positions[a]
                    .iter()
                    .flat_map(|&pi| positions[b].iter().map(move |&pj| (pi, pj)))
                    .filter(|&(pi, pj)| !filter.is_some_and(|f| f.excluded(ids[pi], ids[pj])))
                    .collect();
                if !combos.is_empty() {
                    jobs.push((a, b, combos));
                }
            }
        }
        let m = csub.len();
        let unit_rhs = |k: usize| {
            let mut b = vec![0.0; n];
            b[local[csub[k] as usize] as usize] += 1.0;
            b[anchor] -= 1.0;
            b
        };
        let map_pair = |a: usize, b: usize, v: &[f64], combos: &[(usize, usize)]| {
            emit_pair_maps(
                g, &comps, &local, c, l, v, csub[a], csub[b], ids, combos, maps, sink, accum, cells,
            )
        };
        let cache_ok = (m as u128) * (n as u128) * 8 <= maps.voltage_cache_bytes as u128;
        if !maps.any() || cache_ok {
            // One solve per focal node (unit current against the anchor).
            let rhs: Vec<Vec<f64>> = (1..m).map(unit_rhs).collect();
            let xs = cs.solve_many(&rhs)?;
            let x = |k: usize, node_local: usize| -> f64 {
                if k == 0 {
                    0.0
                } else {
                    xs[k - 1][node_local]
                }
            };
            let loc: Vec<usize> = csub.iter().map(|&nd| local[nd as usize] as usize).collect();
            let results: Vec<Result<(), CircuitError>> = jobs
                .par_iter()
                .map(|(a, b, combos)| {
                    let (a, b) = (*a, *b);
                    // v = x_b − x_a, referenced to the source node a.
                    let r = (x(b, loc[b]) - x(a, loc[b])) - (x(b, loc[a]) - x(a, loc[a]));
                    if maps.any() {
                        let shift = x(b, loc[a]) - x(a, loc[a]);
                        let v: Vec<f64> = (0..n).map(|i| x(b, i) - x(a, i) - shift).collect();
                        map_pair(a, b, &v, combos)?;
                    }
                    let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress.advance(d);
                    let _ = r;
                    Ok(())
                })
                .collect();
            for r in results {
                r?;
            }
            for (a, b, combos) in &jobs {
                let r = (x(*b, loc[*b]) - x(*a, loc[*b])) - (x(*b, loc[*a]) - x(*a, loc[*a]));
                for &(pi, pj) in combos {
                    res[pi * np + pj] = r;
                    res[pj * np + pi] = r;
                }
            }
        } else {
            // Too many full solutions to keep: solve pair by pair.
            let results: Vec<Result<(usize, usize, f64), CircuitError>> = jobs
                .par_iter()
                .enumerate()
                .map(|(k, (a, b, combos))| {
                    let (a, b) = (*a, *b);
                    let (la, lb) = (
                        local[csub[a] as usize] as usize,
                        local[csub[b] as usize] as usize,
                    );
                    let mut rhs = vec![0.0; n];
                    rhs[la] = -1.0;
                    rhs[lb] = 1.0;
                    let mut v = cs.solve(&rhs)?;
                    let s = v[la];
                    v.iter_mut().for_each(|x| *x -= s);
                    map_pair(a, b, &v, combos)?;
                    let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress.advance(d);
                    Ok((k, 0, v[lb]))
                })
                .collect();
            for r in results {
                let (k, _, r) = r?;
                for &(pi, pj) in &jobs[k].2 {
                    res[pi * np + pj] = r;
                    res[pj * np + pi] = r;
                }
            }
        }
    }
    for i in 0..np {
        res[i * np + i] = 0.0;
    }
    progress.finish();
    Ok(res)
}

/// Writes a pair's voltage and current maps (once per id combination, as Circuitscape does)
/// and accumulates the current map.
#[allow(clippy::too_many_arguments)]
fn emit_pair_maps(
    g: &CellGraph,
    comps: &Components,
    local: &[u32],
    c: usize,
    l: &Csr,
    v: &[f64],
    src: u32,
    dst: u32,
    ids: &[i64],
    combos: &[(usize, usize)],
    maps: &MapOptions,
    sink: &MapSink,
    accum: &Accum,
    cells: usize,
) -> Result<(), CircuitError> {
    let mut buf = vec![0.0; cells];
    if maps.write_volt_maps {
        to_cells(g, comps, local, c, v, &mut buf);
        for &(pi, pj) in combos {
            sink(&format!("{}_{}", ids[pi], ids[pj]), MapKind::Voltage, &buf)?;
        }
    }
    if maps.need_currents() {
        let mut nc = node_currents(l, v, None);
        if maps.set_focal_node_currents_to_zero {
            nc[local[src as usize] as usize] = 0.0;
            nc[local[dst as usize] as usize] = 0.0;
        }
        to_cells(g, comps, local, c, &nc, &mut buf);
        for &(pi, pj) in combos {
            if maps.per_pair_current() {
                sink(&format!("{}_{}", ids[pi], ids[pj]), MapKind::Current, &buf)?;
            }
            accum.add(&buf);
        }
    }
    Ok(())
}

/// All-zero voltage/current maps for a solve that carries no current (focal points on one node,
/// or a focal point with nothing to connect to), written as Circuitscape 4 writes them.
fn emit_zero_maps(
    label: &str,
    maps: &MapOptions,
    sink: &MapSink,
    cells: usize,
) -> Result<(), CircuitError> {
    if !(maps.write_volt_maps || maps.per_pair_current()) {
        return Ok(());
    }
    let zeros = vec![0.0; cells];
    if maps.write_volt_maps {
        sink(label, MapKind::Voltage, &zeros)?;
    }
    if maps.per_pair_current() {
        sink(label, MapKind::Current, &zeros)?;
    }
    Ok(())
}

/// Cells of each focal id, in `focal` order.
fn cells_of(focal: &[FocalPoint], width: usize, id: i64) -> Vec<usize> {
    focal
        .iter()
        .filter(|p| p.id == id)
        .map(|p| p.row * width + p.col)
        .collect()
}

/// Circuitscape's polygon map for solving the region pair (pt1, pt2): each region is merged into
/// one node — with the polygons it touches when it overlaps any.
fn region_pair_polygons(land: &Landscape, focal: &[FocalPoint], pt1: i64, pt2: i64) -> Vec<i64> {
    let cells = land.width * land.height;
    match land.polygons {
        None => {
            let mut p = vec![0i64; cells];
            for id in [pt1, pt2] {
                for c in cells_of(focal, land.width, id) {
                    p[c] = id;
                }
            }
            p
        }
        Some(poly) => {
            let mut p = poly.to_vec();
            let mut k = poly.iter().copied().max().unwrap_or(0).max(0);
            for id in [pt1, pt2] {
                let idx = cells_of(focal, land.width, id);
                if idx.len() == 1 {
                    continue;
                }
                let nz: Vec<i64> = idx.iter().map(|&c| poly[c]).filter(|&v| v != 0).collect();
                k += 1;
                if nz.is_empty() {
                    for &c in &idx {
                        p[c] = k;
                    }
                } else {
                    for (i, v) in poly.iter().enumerate() {
                        if nz.contains(v) {
                            p[i] = k;
                        }
                    }
                }
            }
            p
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn pairwise_regions(
    land: &Landscape,
    focal: &[FocalPoint],
    unique: &[i64],
    filter: Option<&PairFilter>,
    maps: &MapOptions,
    solver: &SolverOptions,
    sink: &MapSink,
    progress: &dyn Progress,
) -> Result<PairwiseResult, CircuitError> {
    let np = unique.len();
    let mut res = vec![-1.0; np * np];
    let accum = Accum::new(land.width * land.height, maps);
    let mut pairs = Vec::new();
    for i in 0..np {
        for j in i + 1..np {
            let (a, b) = (unique[i], unique[j]);
            if filter.is_some_and(|f| f.excluded(a, b) && f.excluded(b, a)) {
                continue;
            }
            pairs.push((i, j));
        }
    }
    progress.begin(
        "pairwise 成对求解 (focal regions)",
        pairs.len().max(1) as u64,
    );
    for (k, &(i, j)) in pairs.iter().enumerate() {
        if progress.cancelled() {
            return Err(CircuitError::Cancelled);
        }
        let (pt1, pt2) = (unique[i], unique[j]);
        let poly = region_pair_polygons(land, focal, pt1, pt2);
        let g = CellGraph::new(
            land.width,
            land.height,
            land.conductance,
            Some(&poly),
            &land.graph,
        )?;
        let first = |id: i64| {
            let p = focal.iter().find(|p| p.id == id).expect("focal id present");
            g.node_of_cell[p.row * land.width + p.col]
        };
        let nodes = [first(pt1), first(pt2)];
        let r = pairwise_on_graph(
            &g,
            &[pt1, pt2],
            &nodes,
            None,
            maps,
            solver,
            sink,
            &accum,
            &ecoplan_grid::NoProgress,
        )?;
        res[i * np + j] = r[1];
        res[j * np + i] = r[1];
        progress.advance(k as u64 + 1);
    }
    for i in 0..np {
        res[i * np + i] = 0.0;
    }
    progress.finish();
    let (cum_current, max_current) = accum.finish();
    Ok(PairwiseResult {
        ids: unique.to_vec(),
        resistances: res,
        cum_current,
        max_current,
    })
}

/// How source and ground conflicts on one node are resolved (`remove_src_or_gnd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    #[default]
    KeepAll,
    RemoveSource,
    RemoveGround,
    RemoveAll,
}

impl ConflictPolicy {
    pub fn from_name(s: &str) -> Option<ConflictPolicy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keepall" | "not entered" | "" => Some(ConflictPolicy::KeepAll),
            "rmvsrc" => Some(ConflictPolicy::RemoveSource),
            "rmvgnd" => Some(ConflictPolicy::RemoveGround),
            "rmvall" => Some(ConflictPolicy::RemoveAll),
            _ => None,
        }
    }
}

/// Node sources and grounds from cell grids (summed per node), conflicts resolved.
fn node_sources_grounds(
    g: &CellGraph,
    sources: &[f64],
    grounds: &[f64],
    policy: ConflictPolicy,
) -> (Vec<f64>, Vec<f64>) {
    let mut s = vec![0.0; g.n_nodes];
    let mut gr = vec![0.0; g.n_nodes];
    for (i, &nd) in g.node_of_cell.iter().enumerate() {
        if nd == NO_NODE {
            continue;
        }
        if sources[i] != 0.0 && !sources[i].is_nan() {
            s[nd as usize] += sources[i];
        }
        if grounds[i] != 0.0 && !grounds[i].is_nan() {
            gr[nd as usize] += grounds[i];
        }
    }
    for k in 0..g.n_nodes {
        if s[k] != 0.0 && gr[k] != 0.0 {
            match policy {
                ConflictPolicy::KeepAll => {}
                ConflictPolicy::RemoveSource => s[k] = 0.0,
                ConflictPolicy::RemoveGround => gr[k] = 0.0,
                ConflictPolicy::RemoveAll => {
                    s[k] = 0.0;
                    gr[k] = 0.0;
                }
            }
        }
        // A source on a direct ground would be shorted out: the ground goes.
        if gr[k] == f64::INFINITY && s[k] > 0.0 {
            gr[k] = 0.0;
        }
    }
    (s, gr)
}

/// Solves one component with node sources `s` and ground conductances `gr` (∞ = direct
/// ground). Returns local voltages and finite-ground conductances, or `None` if the component
/// has no source or no ground.
fn solve_sources_grounds(
    l: &Csr,
    s: &[f64],
    gr: &[f64],
    solver: &SolverOptions,
) -> Result<Option<(Vec<f64>, Vec<f64>)>, CircuitError> {
    let n = l.nrows;
    if s.iter().sum::<f64>() == 0.0 || gr.iter().sum::<f64>() == 0.0 {
        return Ok(None);
    }
    let finite: Vec<f64> = gr
        .iter()
        .map(|&x| if x.is_finite() { x } else { 0.0 })
        .collect();
    let keep: Vec<u32> = (0..n as u32)
        .filter(|&i| gr[i as usize] != f64::INFINITY)
        .collect();
    let mut v = vec![0.0; n];
    if keep.is_empty() {
        return Ok(Some((v, finite)));
    }
    let a = if finite.iter().any(|&x| x != 0.0) {
        l.add_diagonal(&finite)
    } else {
        l.clone()
    };
    let a = if keep.len() == n {
        a
    } else {
        a.principal_submatrix(&keep)
    };
    let b: Vec<f64> = keep.iter().map(|&i| s[i as usize]).collect();
    let x = PreparedSolver::new(a, solver)?.solve(&b)?;
    for (k, &i) in keep.iter().enumerate() {
        v[i as usize] = x[k];
    }
    Ok(Some((v, finite)))
}

/// Advanced mode: current sources and grounds given per cell (`sources` in amperes, `grounds` as
/// conductances, `f64::INFINITY` for direct grounds). Every component with both is solved.
#[allow(clippy::too_many_arguments)]
pub fn advanced(
    land: &Landscape,
    sources: &[f64],
    grounds: &[f64],
    policy: ConflictPolicy,
    maps: &MapOptions,
    solver: &SolverOptions,
    sink: &MapSink,
    progress: &dyn Progress,
) -> Result<AdvancedResult, CircuitError> {
    let cells = land.width * land.height;
    if sources.len() != cells || grounds.len() != cells {
        return Err(CircuitError::Input(format!(
            "source and ground grids must have {cells} cells like the habitat grid"
        )));
    }
    let g = CellGraph::new(
        land.width,
        land.height,
        land.conductance,
        land.polygons,
        &land.graph,
    )?;
    let (s, gr) = node_sources_grounds(&g, sources, grounds, policy);
    let r = solve_advanced_on_graph(&g, &s, &gr, None, maps, solver, &[], progress)?;
    if r.solved {
        if maps.write_volt_maps {
            sink("", MapKind::Voltage, &r.voltage)?;
        }
        // One solve: its current map is also the cumulative map, so `write_cum_cur_map_only`
        // writes it too (as Circuitscape 4 does for mgVerify7).
        if let Some(c) = &r.current {
            if maps.cumulative() {
                sink("", MapKind::Current, c)?;
            }
        }
    }
    Ok(r)
}

/// Solves every component (or only the one holding `only_node`) with node sources/grounds.
#[allow(clippy::too_many_arguments)]
fn solve_advanced_on_graph(
    g: &CellGraph,
    s: &[f64],
    gr: &[f64],
    only_node: Option<u32>,
    maps: &MapOptions,
    solver: &SolverOptions,
    zero_nodes: &[u32],
    progress: &dyn Progress,
) -> Result<AdvancedResult, CircuitError> {
    let cells = g.width * g.height;
    let comps = g.components();
    let local = local_indices(&comps, g.n_nodes);
    let mut voltage = vec![0.0; cells];
    let mut current = maps.need_currents().then(|| vec![0.0; cells]);
    let mut solved = false;
    let mut buf = vec![0.0; cells];
    let targets: Vec<usize> = match only_node {
        Some(nd) if nd != NO_NODE => vec![comps.of_node[nd as usize] as usize],
        Some(_) => Vec::new(),
        None => (0..comps.nodes.len()).collect(),
    };
    progress.begin("advanced 求解", targets.len().max(1) as u64);
    for (k, &c) in targets.iter().enumerate() {
        let nodes = &comps.nodes[c];
        let ls: Vec<f64> = nodes.iter().map(|&v| s[v as usize]).collect();
        let lg: Vec<f64> = nodes.iter().map(|&v| gr[v as usize]).collect();
        if ls.iter().sum::<f64>() == 0.0 || lg.iter().sum::<f64>() == 0.0 {
            continue;
        }
        let view = component_view(g, &comps, c);
        let Some((v, finite)) = solve_sources_grounds(&view.laplacian, &ls, &lg, solver)? else {
            continue;
        };
        solved = true;
        to_cells(g, &comps, &local, c, &v, &mut buf);
        voltage.iter_mut().zip(&buf).for_each(|(a, b)| *a += b);
        if let Some(cur) = current.as_mut() {
            let mut nc = node_currents(&view.laplacian, &v, Some(&finite));
            for &z in zero_nodes {
                if z != NO_NODE && comps.of_node[z as usize] as usize == c {
                    nc[local[z as usize] as usize] = 0.0;
                }
            }
            if maps.set_focal_node_currents_to_zero && zero_nodes.is_empty() {
                for (i, (&si, &gi)) in ls.iter().zip(&lg).enumerate() {
                    if si != 0.0 || gi != 0.0 {
                        nc[i] = 0.0;
                    }
                }
            }
            to_cells(g, &comps, &local, c, &nc, &mut buf);
            cur.iter_mut().zip(&buf).for_each(|(a, b)| *a += b);
        }
        progress.advance(k as u64 + 1);
    }
    progress.finish();
    Ok(AdvancedResult {
        voltage,
        current,
        solved,
    })
}

/// Whether a focal node acts as the single source (`OneToAll`) or the single ground (`AllToOne`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneToAllMode {
    OneToAll,
    AllToOne,
}

/// One-to-all and all-to-one modes. `strengths` maps focal ids to source strengths
/// (`use_variable_source_strengths`; others 1).
#[allow(clippy::too_many_arguments)]
pub fn one_to_all(
    land: &Landscape,
    focal: &[FocalPoint],
    mode: OneToAllMode,
    strengths: Option<&HashMap<i64, f64>>,
    filter: Option<&PairFilter>,
    maps: &MapOptions,
    solver: &SolverOptions,
    sink: &MapSink,
    progress: &dyn Progress,
) -> Result<OneToAllResult, CircuitError> {
    check_focal(land, focal)?;
    let focal: Vec<FocalPoint> = match filter {
        Some(f) => focal
            .iter()
            .copied()
            .filter(|p| f.keeps_point(p.id))
            .collect(),
        None => focal.to_vec(),
    };
    let (w, h) = (land.width, land.height);
    let cells = w * h;
    let mut unique: Vec<i64> = focal.iter().map(|p| p.id).collect();
    unique.dedup();
    let has_regions = unique.len() != focal.len();
    let strength = |id: i64| strengths.and_then(|m| m.get(&id).copied()).unwrap_or(1.0);
    // Cell → focal id (later points overwrite earlier ones on the same cell).
    let mut point_map = vec![0i64; cells];
    for p in &focal {
        point_map[p.row * w + p.col] = p.id;
    }
    let first_cell: HashMap<i64, usize> = {
        let mut m = HashMap::new();
        for p in &focal {
            m.entry(p.id).or_insert(p.row * w + p.col);
        }
        m
    };
    let base_poly = combined_polygons(land, &point_map, has_regions);
    let base_graph = CellGraph::new(w, h, land.conductance, Some(&base_poly), &land.graph)?;
    let accum = Accum::new(cells, maps);
    let resistances = Mutex::new(vec![-1.0; unique.len()]);
    progress.begin(
        match mode {
            OneToAllMode::OneToAll => "one-to-all 一对多",
            OneToAllMode::AllToOne => "all-to-one 多对一",
        },
        unique.len().max(1) as u64,
    );
    let done = std::sync::atomic::AtomicU64::new(0);
    let results: Vec<Result<(), CircuitError>> = unique
        .par_iter()
        .enumerate()
        .map(|(i, &n)| {
            if progress.cancelled() {
                return Err(CircuitError::Cancelled);
            }
            // Points paired with n under the include/exclude list.
            let mut pm = point_map.clone();
            let mut rebuilt: Option<(Vec<i64>, CellGraph)> = None;
            if let Some(f) = filter {
                let mut changed = false;
                for &other in &unique {
                    if other != n && f.excluded(n, other) {
                        pm.iter_mut().filter(|v| **v == other).for_each(|v| *v = 0);
                        changed = true;
                    }
                }
                if changed && has_regions {
                    let poly = combined_polygons(land, &pm, true);
                    let g = CellGraph::new(w, h, land.conductance, Some(&poly), &land.graph)?;
                    rebuilt = Some((poly, g));
                }
            }
            let g = rebuilt.as_ref().map_or(&base_graph, |r| &r.1);
            let label = n.to_string();
            if !pm.iter().any(|&v| v != 0 && v != n) {
                emit_zero_maps(&label, maps, sink, cells)?;
                return Ok(());
            }
            let mut src = vec![0.0; cells];
            let mut gnd = vec![0.0; cells];
            match mode {
                OneToAllMode::OneToAll => {
                    src[first_cell[&n]] = strength(n);
                    for (k, &v) in pm.iter().enumerate() {
                        if v != 0 && v != n {
                            gnd[k] = f64::INFINITY;
                        }
                    }
                }
                OneToAllMode::AllToOne => {
                    for (&id, &cell) in &first_cell {
                        if id != n && pm[cell] == id {
                            src[cell] = strength(id);
                        }
                    }
                    for (k, &v) in pm.iter().enumerate() {
                        if v == n {
                            gnd[k] = f64::INFINITY;
                            src[k] = 0.0;
                        }
                    }
                }
            }
            let policy = match mode {
                OneToAllMode::OneToAll => ConflictPolicy::RemoveGround,
                OneToAllMode::AllToOne => ConflictPolicy::RemoveSource,
            };
            let (s, gr) = node_sources_grounds(g, &src, &gnd, policy);
            let check = g.node_of_cell[first_cell[&n]];
            let zero: Vec<u32> = if maps.set_focal_node_currents_to_zero {
                pm.iter()
                    .enumerate()
                    .filter(|(_, &v)| v != 0)
                    .map(|(k, _)| g.node_of_cell[k])
                    .collect()
            } else {
                Vec::new()
            };
            let r = solve_advanced_on_graph(
                g,
                &s,
                &gr,
                Some(check),
                maps,
                solver,
                &zero,
                &ecoplan_grid::NoProgress,
            )?;
            if r.solved {
                let value = match mode {
                    OneToAllMode::OneToAll => {
                        let v = r.voltage[first_cell[&n]] / strength(n);
                        if v.abs() < 1e-300 {
                            -1.0
                        } else {
                            v
                        }
                    }
                    OneToAllMode::AllToOne => 0.0,
                };
                resistances.lock().expect("result lock")[i] = value;
                if maps.write_volt_maps {
                    sink(&label, MapKind::Voltage, &r.voltage)?;
                }
                if let Some(c) = &r.current {
                    if maps.per_pair_current() {
                        sink(&label, MapKind::Current, c)?;
                    }
                    accum.add(c);
                }
            } else {
                emit_zero_maps(&label, maps, sink, cells)?;
            }
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.advance(d);
            Ok(())
        })
        .collect();
    for r in results {
        r?;
    }
    progress.finish();
    let (cum_current, max_current) = accum.finish();
    Ok(OneToAllResult {
        ids: unique,
        resistances: resistances.into_inner().expect("result lock"),
        cum_current,
        max_current,
    })
}

/// Circuitscape's merge of the polygon map with the focal point map for one-to-all runs: focal
/// cells outside polygons become polygons of their own (so regions are short-circuited); with
/// focal regions, polygons touched by a region are relabelled to the region's id.
fn combined_polygons(land: &Landscape, point_map: &[i64], has_regions: bool) -> Vec<i64> {
    let (w, h) = (land.width, land.height);
    let Some(poly) = land.polygons else {
        return point_map.to_vec();
    };
    let mut out = poly.to_vec();
    let maxp = poly.iter().copied().max().unwrap_or(0).max(0);
    if !has_regions {
        for (k, &id) in point_map.iter().enumerate() {
            if id != 0 && poly[k] == 0 {
                out[k] = id + maxp;
            }
        }
        return out;
    }
    let k = maxp.max(point_map.iter().copied().max().unwrap_or(0));
    // Column-major order, as Circuitscape scans the point map.
    for c in 0..w {
        for r in 0..h {
            let i = r * w + c;
            let v1 = point_map[i];
            if v1 == 0 {
                continue;
            }
            let v2 = out[i];
            if v2 == 0 {
                out[i] = k + v1;
            } else if v1 != v2 {
                out.iter_mut().filter(|x| **x == v2).for_each(|x| *x = v1);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(w: usize, h: usize) -> Vec<f64> {
        vec![1.0; w * h]
    }

    /// A one-row landscape over `g` with the default (8-neighbour) graph.
    fn strip(g: &[f64]) -> Landscape<'_> {
        Landscape {
            width: g.len(),
            height: 1,
            conductance: g,
            polygons: None,
            graph: GraphOptions::default(),
        }
    }

    /// Focal points on row 0: `(col, id)`.
    fn points_on_row0(cols_ids: &[(usize, i64)]) -> Vec<FocalPoint> {
        cols_ids
            .iter()
            .map(|&(col, id)| FocalPoint { row: 0, col, id })
            .collect()
    }

    #[test]
    fn pairwise_on_a_strip_matches_series_resistance() {
        // 1×5 strip of unit conductances, 4-neighbour: resistance between ends = 4.
        let g = uniform(5, 1);
        let land = Landscape {
            width: 5,
            height: 1,
            conductance: &g,
            polygons: None,
            graph: GraphOptions {
                connectivity: crate::graph::Connectivity::Four,
                avg_resistances: false,
            },
        };
        let focal = [
            FocalPoint {
                row: 0,
                col: 0,
                id: 1,
            },
            FocalPoint {
                row: 0,
                col: 2,
                id: 2,
            },
            FocalPoint {
                row: 0,
                col: 4,
                id: 3,
            },
        ];
        for kind in [SolverKind::CgAmg, SolverKind::Cholesky] {
            let r = pairwise(
                &land,
                &focal,
                None,
                &MapOptions::default(),
                &SolverOptions::with_kind(kind),
                &discard_maps,
                &ecoplan_grid::NoProgress,
            )
            .unwrap();
            assert!(
                (r.resistance(0, 2) - 4.0).abs() < 1e-6,
                "{:?}",
                r.resistances
            );
            assert!((r.resistance(1, 2) - 2.0).abs() < 1e-6);
            assert_eq!(r.resistance(1, 1), 0.0);
        }
    }

    #[test]
    fn focal_node_currents_can_be_zeroed() {
        let g = uniform(5, 1);
        let land = strip(&g);
        let focal = points_on_row0(&[(0, 1), (4, 2)]);
        let maps = MapOptions {
            write_cur_maps: true,
            set_focal_node_currents_to_zero: true,
            ..Default::default()
        };
        let r = pairwise(
            &land,
            &focal,
            None,
            &maps,
            &SolverOptions::with_kind(SolverKind::Cholesky),
            &discard_maps,
            &ecoplan_grid::NoProgress,
        )
        .unwrap();
        let cum = r.cum_current.unwrap();
        assert_eq!((cum[0], cum[4]), (0.0, 0.0));
        assert!((cum[2] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn disconnected_points_get_minus_one_and_maps_sum() {
        // Two 1×2 islands separated by a barrier column.
        let g = vec![1.0, 1.0, 0.0, 1.0, 1.0];
        let land = strip(&g);
        let focal = points_on_row0(&[(0, 1), (1, 2), (4, 3)]);
        let maps = MapOptions {
            write_cur_maps: true,
            write_volt_maps: true,
            ..Default::default()
        };
        let seen = Mutex::new(Vec::new());
        let sink = |label: &str, kind: MapKind, m: &[f64]| {
            seen.lock()
                .unwrap()
                .push((label.to_string(), kind, m.to_vec()));
            Ok(())
        };
        let r = pairwise(
            &land,
            &focal,
            None,
            &maps,
            &SolverOptions::default(),
            &sink,
            &ecoplan_grid::NoProgress,
        )
        .unwrap();
        assert!((r.resistance(0, 1) - 1.0).abs() < 1e-9);
        assert_eq!(r.resistance(0, 2), -1.0);
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 2);
        let cur = seen.iter().find(|s| s.1 == MapKind::Current).unwrap();
        assert_eq!(cur.0, "1_2");
        assert!((cur.2[0] - 1.0).abs() < 1e-9 && cur.2[4] == 0.0);
        assert_eq!(r.cum_current.unwrap(), cur.2);
    }
}
