//! Omniscape.jl's moving-window ("coreless") connectivity on in-memory grids.
//!
//! Targets are the centres of `block_size × block_size` blocks (only full blocks, stepping by
//! the block size from the top-left); a target's strength is the sum of source strengths in its
//! block. For each target a circular window of `radius` cells (plus a `buffer` ring of
//! resistance without sources) is solved in Circuitscape's advanced mode: the target cell is a
//! direct ground, the window's sources (minus the target block) share the target's strength in
//! proportion to their own. Window currents are summed into the cumulative map. Flow potential
//! repeats each solve on a uniform conductance of 1; normalized current is their ratio. Block
//! artifacts are corrected with the ratio of a per-cell null model to a blocked null model.
//! Index conventions (1-based windows, clipping at the grid edge, where the target block is
//! cleared) follow Omniscape.jl exactly so results agree cell by cell.

use crate::currents::node_currents;
use crate::graph::{CellGraph, Connectivity, GraphOptions, NO_NODE};
use crate::solver::{PreparedSolver, SolverOptions};
use crate::CircuitError;
use ecoplan_grid::Progress;
use rayon::prelude::*;
use std::sync::Mutex;

/// How a source's condition value is compared with the target's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Source value − median of the target block's (future) values must lie in
    /// `[lower, upper]`.
    Within { lower: f64, upper: f64 },
    /// Source value must equal the most frequent (future) value in the target block.
    Equal,
}

/// One conditional-connectivity layer: present values (sources), future values (targets).
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionLayer {
    /// Row-major, NaN = missing.
    pub present: Vec<f64>,
    /// Row-major, NaN = missing (same as `present` when not comparing to the future).
    pub future: Vec<f64>,
    pub comparison: Comparison,
}

/// Omniscape parameters (see Omniscape.jl's documentation of the same names).
#[derive(Debug, Clone, PartialEq)]
pub struct OmniscapeParams {
    /// Window radius in cells.
    pub radius: usize,
    /// Target block side (odd).
    pub block_size: usize,
    /// Extra ring of resistance beyond the radius, without sources.
    pub buffer: usize,
    pub correct_artifacts: bool,
    /// Compute flow potential (needed for normalized current too).
    pub flow_potential: bool,
    pub connectivity: Connectivity,
    /// Up to two condition layers; empty = unconditional.
    pub conditions: Vec<ConditionLayer>,
    pub solver: SolverOptions,
}

impl Default for OmniscapeParams {
    fn default() -> Self {
        OmniscapeParams {
            radius: 1,
            block_size: 1,
            buffer: 0,
            correct_artifacts: true,
            flow_potential: false,
            connectivity: Connectivity::Eight,
            conditions: Vec::new(),
            solver: SolverOptions::default(),
        }
    }
}

impl OmniscapeParams {
    /// Every problem with the parameters, at once.
    pub fn validate(&self) -> Result<(), CircuitError> {
        let mut p = Vec::new();
        if self.radius == 0 {
            p.push("radius must be a positive number of cells".to_string());
        }
        if self.block_size == 0 || self.block_size % 2 == 0 {
            p.push(format!(
                "block_size must be odd and positive, got {}",
                self.block_size
            ));
        }
        if self.block_size / 2 > self.radius + self.buffer {
            p.push(format!(
                "block_size {} is wider than the window (radius {} + buffer {})",
                self.block_size, self.radius, self.buffer
            ));
        }
        if self.conditions.len() > 2 {
            p.push("at most two condition layers are supported".into());
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(CircuitError::Input(p.join("; ")))
        }
    }
}

/// Omniscape outputs (row-major, same size as the inputs).
#[derive(Debug, Clone, PartialEq)]
pub struct OmniscapeResult {
    pub cum_current: Vec<f64>,
    pub flow_potential: Option<Vec<f64>>,
    pub n_targets: usize,
}

impl OmniscapeResult {
    /// `cum_current / flow_potential`, 0 where both are 0 (Omniscape replaces NaN by 0).
    pub fn normalized(&self) -> Option<Vec<f64>> {
        self.flow_potential.as_ref().map(|fp| {
            self.cum_current
                .iter()
                .zip(fp)
                .map(|(c, f)| {
                    let v = c / f;
                    if v.is_nan() {
                        0.0
                    } else {
                        v
                    }
                })
                .collect()
        })
    }
}

/// A dense window, row-major, NaN = missing.
#[derive(Clone)]
struct Win {
    rows: usize,
    cols: usize,
    v: Vec<f64>,
}

impl Win {
    #[inline]
    fn at(&self, r1: i64, c1: i64) -> f64 {
        self.v[(r1 - 1) as usize * self.cols + (c1 - 1) as usize]
    }
    #[inline]
    fn set(&mut self, r1: i64, c1: i64, x: f64) {
        self.v[(r1 - 1) as usize * self.cols + (c1 - 1) as usize] = x;
    }
}

/// Omniscape's `clip`: the square around (x, y) (1-based column, row) cut to the grid, with
/// cells farther than `distance` from the centre set missing.
fn clip(a: &[f64], nrows: i64, ncols: i64, x: i64, y: i64, distance: i64) -> Win {
    let (xl, xu) = ((x - distance).max(1), (x + distance).min(ncols));
    let (yl, yu) = ((y - distance).max(1), (y + distance).min(nrows));
    let (rows, cols) = ((yu - yl + 1) as usize, (xu - xl + 1) as usize);
    let (nx, ny) = ((distance + 1).min(x), (distance + 1).min(y));
    let mut v = Vec::with_capacity(rows * cols);
    for i in 1..=rows as i64 {
        for j in 1..=cols as i64 {
            let d = (((j - nx) * (j - nx) + (i - ny) * (i - ny)) as f64).sqrt();
            if d > distance as f64 {
                v.push(f64::NAN);
            } else {
                let (r, c) = (yl + i - 2, xl + j - 2);
                v.push(a[r as usize * ncols as usize + c as usize]);
            }
        }
    }
    Win { rows, cols, v }
}

/// Pads a window with missing rows/columns (left, right, top, bottom).
fn pad(w: Win, left: usize, right: usize, top: usize, bottom: usize) -> Win {
    let cols = w.cols + left + right;
    let rows = w.rows + top + bottom;
    let mut v = vec![f64::NAN; rows * cols];
    for i in 0..w.rows {
        for j in 0..w.cols {
            v[(i + top) * cols + j + left] = w.v[i * w.cols + j];
        }
    }
    Win { rows, cols, v }
}

struct Ctx<'a> {
    nrows: i64,
    ncols: i64,
    r: i64,
    b: i64,
    br: i64,
    sources: &'a [f64],
    conditions: &'a [ConditionLayer],
}

impl Ctx<'_> {
    /// Omniscape's `get_source` for a target at (x, y) with `amps`.
    fn source_window(&self, sources: &[f64], x: i64, y: i64, amps: f64, conditional: bool) -> Win {
        let (r, b, br) = (self.r, self.b, self.br);
        let mut s = clip(sources, self.nrows, self.ncols, x, y, r);
        if b > 0 {
            let left = (x - r - 1).min(b).max(0) as usize;
            let right = (self.ncols - (x + r)).min(b).max(0) as usize;
            let top = (y - r - 1).min(b).max(0) as usize;
            let bottom = (self.nrows - (y + r)).min(b).max(0) as usize;
            s = pad(s, left, right, top, bottom);
        }
        s.v.iter_mut().for_each(|v| {
            if v.is_nan() {
                *v = 0.0
            }
        });
        // Clear the target block — at the window position Omniscape assumes (the centre of an
        // unclipped window), clamped to the window.
        let c = r + b + 1;
        let (xl, xu) = ((c - br).max(1), (c + br).min(self.ncols).min(s.cols as i64));
        let (yl, yu) = ((c - br).max(1), (c + br).min(self.nrows).min(s.rows as i64));
        for i in yl..=yu {
            for j in xl..=xu {
                s.set(i, j, 0.0);
            }
        }
        let sum: f64 = s.v.iter().filter(|&&v| v > 0.0).sum();
        if sum > 0.0 {
            s.v.iter_mut()
                .filter(|v| **v > 0.0)
                .for_each(|v| *v = *v * amps / sum);
        }
        if conditional && !self.conditions.is_empty() {
            let (xlb, xub) = ((x - r - b).max(1), (x + r + b).min(self.ncols));
            let (ylb, yub) = ((y - r - b).max(1), (y + r + b).min(self.nrows));
            let (xl, xu) = (x - br, (x + br).min(self.ncols));
            let (yl, yu) = (y - br, (y + br).min(self.nrows));
            let nc = self.ncols as usize;
            for cond in self.conditions {
                // Target value from the future layer over the block, column-major like Julia.
                let mut block = Vec::new();
                for j in xl..=xu {
                    for i in yl..=yu {
                        let v = cond.future[(i - 1) as usize * nc + (j - 1) as usize];
                        if !v.is_nan() {
                            block.push(v);
                        }
                    }
                }
                let target = match cond.comparison {
                    Comparison::Within { .. } => median(&mut block.clone()),
                    Comparison::Equal => mode(&block),
                };
                for i in ylb..=yub {
                    for j in xlb..=xub {
                        let pv = cond.present[(i - 1) as usize * nc + (j - 1) as usize];
                        let drop = match cond.comparison {
                            Comparison::Within { lower, upper } => {
                                let d = pv - target;
                                d > upper || d < lower
                            }
                            Comparison::Equal => pv != target && !pv.is_nan() && !target.is_nan(),
                        };
                        if drop {
                            s.set(i - ylb + 1, j - xlb + 1, 0.0);
                        }
                    }
                }
            }
        }
        s
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Most frequent value; ties go to the value that reached the top count first.
fn mode(v: &[f64]) -> f64 {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    let (mut best, mut best_n) = (f64::NAN, 0usize);
    for &x in v {
        let c = match counts.iter_mut().find(|e| e.0 == x) {
            Some(e) => {
                e.1 += 1;
                e.1
            }
            None => {
                counts.push((x, 1));
                1
            }
        };
        if c > best_n {
            best_n = c;
            best = x;
        }
    }
    best
}

/// Circuitscape advanced-mode current in one window: `cond` conductances (NaN/≤0 = barrier),
/// `src` sources, a direct ground at 1-based (gy, gx).
fn window_current(
    cond: &Win,
    src: &Win,
    gy: i64,
    gx: i64,
    connectivity: Connectivity,
    solver: &SolverOptions,
) -> Result<Vec<f64>, CircuitError> {
    let (rows, cols) = (cond.rows, cond.cols);
    let mut out = vec![0.0; rows * cols];
    let g = CellGraph::new(
        cols,
        rows,
        &cond.v,
        None,
        &GraphOptions {
            connectivity,
            avg_resistances: false,
        },
    )?;
    let gcell = (gy - 1) as usize * cols + (gx - 1) as usize;
    let gnode = g.node_of_cell[gcell];
    if gnode == NO_NODE {
        return Ok(out);
    }
    let comps = g.components();
    let c = comps.of_node[gnode as usize] as usize;
    let nodes = &comps.nodes[c];
    let mut s = vec![0.0; nodes.len()];
    for (i, &nd) in g.node_of_cell.iter().enumerate() {
        if nd != NO_NODE && comps.of_node[nd as usize] as usize == c && src.v[i] != 0.0 {
            s[nodes.binary_search(&nd).expect("in component")] += src.v[i];
        }
    }
    let gl = nodes.binary_search(&gnode).expect("in component");
    // rmvsrc: a source on the ground node is dropped.
    s[gl] = 0.0;
    if s.iter().sum::<f64>() == 0.0 {
        return Ok(out);
    }
    let l = if nodes.len() == g.n_nodes {
        g.laplacian.clone()
    } else {
        g.laplacian.principal_submatrix(nodes)
    };
    let keep: Vec<u32> = (0..nodes.len() as u32)
        .filter(|&i| i as usize != gl)
        .collect();
    let mut v = vec![0.0; nodes.len()];
    if !keep.is_empty() {
        let a = l.principal_submatrix(&keep);
        let b: Vec<f64> = keep.iter().map(|&i| s[i as usize]).collect();
        let x = PreparedSolver::new(a, solver)?.solve(&b)?;
        for (k, &i) in keep.iter().enumerate() {
            v[i as usize] = x[k];
        }
    }
    let nc = node_currents(&l, &v, None);
    for (i, &nd) in g.node_of_cell.iter().enumerate() {
        if nd != NO_NODE && comps.of_node[nd as usize] as usize == c {
            out[i] = nc[nodes.binary_search(&nd).expect("in component")];
        }
    }
    Ok(out)
}

/// The block-artifact correction array (size (2r+2b+1)²).
fn correction(
    ctx: &Ctx,
    block_size: i64,
    connectivity: Connectivity,
    solver: &SolverOptions,
) -> Result<Win, CircuitError> {
    let (r, b, br) = (ctx.r, ctx.b, ctx.br);
    let d = 2 * r + 2 * b + 1;
    let ones = vec![1.0; (d * d) as usize];
    let c = r + b + 1;
    let mut null = clip(&ones, d, d, c, c, r);
    if b > 0 {
        null = pad(null, b as usize, b as usize, b as usize, b as usize);
    }
    let n_sources = null.v.iter().filter(|v| !v.is_nan()).count() as f64;
    null.v.iter_mut().for_each(|v| {
        if v.is_nan() {
            *v = 0.0
        }
    });
    null.set(c, c, 0.0);
    null.v
        .iter_mut()
        .filter(|v| **v != 0.0)
        .for_each(|v| *v = 1.0 / (n_sources - 1.0));
    let blk_ctx = Ctx {
        nrows: d,
        ncols: d,
        r,
        b,
        br,
        sources: &ones,
        conditions: &[],
    };
    let blocked = blk_ctx.source_window(&ones, c, c, (block_size * block_size) as f64, false);
    let cond = clip(&ones, d, d, c, c, r + b);
    let block_null = window_current(&cond, &blocked, c, c, connectivity, solver)?;
    let null_cur = window_current(&cond, &null, c, c, connectivity, solver)?;
    let du = d as usize;
    let bs = block_size as usize;
    let big = du + bs - 1;
    let mut total = vec![0.0; big * big];
    for i in 0..bs {
        for j in 0..bs {
            for p in 0..du {
                for q in 0..du {
                    total[(i + p) * big + j + q] += null_cur[p * du + q];
                }
            }
        }
    }
    let brs = br as usize;
    let mut out = vec![0.0; du * du];
    for p in 0..du {
        for q in 0..du {
            let mut t = total[(p + brs) * big + q + brs];
            let mut bn = block_null[p * du + q];
            if bn == 0.0 {
                t = 0.0;
            }
            if t == 0.0 {
                t = 1.0;
            }
            if bn == 0.0 {
                bn = 1.0;
            }
            out[p * du + q] = t / bn;
        }
    }
    let _ = ctx.sources;
    Ok(Win {
        rows: du,
        cols: du,
        v: out,
    })
}

/// Runs Omniscape. `conductance` (row-major, NaN = nodata) and `sources` (0 = none, no NaN) are
/// `width × height`.
pub fn run(
    width: usize,
    height: usize,
    conductance: &[f64],
    sources: &[f64],
    params: &OmniscapeParams,
    progress: &dyn Progress,
) -> Result<OmniscapeResult, CircuitError> {
    params.validate()?;
    let cells = width * height;
    if conductance.len() != cells || sources.len() != cells {
        return Err(CircuitError::Input(format!(
            "conductance and source grids must both have {width}×{height} cells"
        )));
    }
    for c in &params.conditions {
        if c.present.len() != cells || c.future.len() != cells {
            return Err(CircuitError::Input(format!(
                "condition layers must have {width}×{height} cells"
            )));
        }
    }
    let (nrows, ncols) = (height as i64, width as i64);
    let bs = params.block_size as i64;
    let br = (bs - 1) / 2;
    let ctx = Ctx {
        nrows,
        ncols,
        r: params.radius as i64,
        b: params.buffer as i64,
        br,
        sources,
        conditions: &params.conditions,
    };
    // Targets: x outer, y inner (Omniscape's order).
    let mut targets = Vec::new();
    let mut x = br + 1;
    while x <= ncols - br {
        let mut y = br + 1;
        while y <= nrows - br {
            let mut amps = 0.0;
            for yy in (y - br)..=(y + br).min(nrows) {
                for xx in (x - br)..=(x + br).min(ncols) {
                    amps += sources[(yy - 1) as usize * width + (xx - 1) as usize];
                }
            }
            if amps > 0.0 {
                targets.push((x, y, amps));
            }
            y += bs;
        }
        x += bs;
    }
    let correct = params.correct_artifacts && bs > 1;
    let corr = if correct {
        Some(correction(&ctx, bs, params.connectivity, &params.solver)?)
    } else {
        None
    };
    let cum = Mutex::new(vec![0.0; cells]);
    let fp = params.flow_potential.then(|| Mutex::new(vec![0.0; cells]));
    let (r, b) = (ctx.r, ctx.b);
    progress.begin("omniscape 移动窗口", targets.len().max(1) as u64);
    let done = std::sync::atomic::AtomicU64::new(0);
    targets.par_iter().with_min_len(4).try_for_each(
        |&(x, y, amps)| -> Result<(), CircuitError> {
            if progress.cancelled() {
                return Err(CircuitError::Cancelled);
            }
            let src = ctx.source_window(sources, x, y, amps, true);
            let (gx, gy) = ((r + b + 1).min(x), (r + b + 1).min(y));
            let cond = clip(conductance, nrows, ncols, x, y, r + b);
            let mut cur = window_current(&cond, &src, gy, gx, params.connectivity, &params.solver)?;
            let mut flow = if params.flow_potential {
                let null = Win {
                    rows: cond.rows,
                    cols: cond.cols,
                    v: vec![1.0; cond.rows * cond.cols],
                };
                Some(window_current(
                    &null,
                    &src,
                    gy,
                    gx,
                    params.connectivity,
                    &params.solver,
                )?)
            } else {
                None
            };
            if let Some(cw) = &corr {
                let (mut lx, mut ux, mut ly, mut uy) = (1i64, cw.cols as i64, 1i64, cw.rows as i64);
                let (gw, gh) = (cond.cols as i64, cond.rows as i64);
                if x > ncols - (r + b) {
                    ux = gw;
                }
                if x < r + b + 1 {
                    lx = ux - gw + 1;
                }
                if y > nrows - (r + b) {
                    uy = gh;
                }
                if y < r + b + 1 {
                    ly = uy - gh + 1;
                }
                for i in 0..gh {
                    for j in 0..gw {
                        let f = cw.at(ly + i, lx + j);
                        let k = (i * gw + j) as usize;
                        cur[k] *= f;
                        if let Some(fl) = flow.as_mut() {
                            fl[k] *= f;
                        }
                    }
                    let _ = uy;
                }
            }
            let (xl, yl) = ((x - r - b).max(1), (y - r - b).max(1));
            let add = |dst: &Mutex<Vec<f64>>, w: &[f64]| {
                let mut d = dst.lock().expect("accumulator lock");
                for i in 0..cond.rows {
                    let row = (yl - 1) as usize + i;
                    let base = row * width + (xl - 1) as usize;
                    for j in 0..cond.cols {
                        d[base + j] += w[i * cond.cols + j];
                    }
                }
            };
            add(&cum, &cur);
            if let (Some(f), Some(fl)) = (&fp, &flow) {
                add(f, fl);
            }
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.advance(n);
            Ok(())
        },
    )?;
    progress.finish();
    Ok(OmniscapeResult {
        cum_current: cum.into_inner().expect("accumulator lock"),
        flow_potential: fp.map(|m| m.into_inner().expect("accumulator lock")),
        n_targets: targets.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_is_a_disc_cut_at_the_edge() {
        let a: Vec<f64> = (0..25).map(|v| v as f64).collect();
        let w = clip(&a, 5, 5, 1, 1, 2);
        assert_eq!((w.rows, w.cols), (3, 3));
        assert_eq!(w.at(1, 1), 0.0);
        assert!(w.at(3, 3).is_nan()); // distance √8 > 2
        assert_eq!(w.at(1, 3), 2.0);
    }

    #[test]
    fn mode_and_median_follow_julia() {
        assert_eq!(mode(&[3.0, 5.0, 5.0, 3.0]), 5.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn uniform_landscape_conserves_target_current() {
        // On a uniform landscape each window's total source current reaches the ground.
        let (w, h) = (9, 9);
        let cond = vec![1.0; w * h];
        let src = vec![1.0; w * h];
        let p = OmniscapeParams {
            radius: 2,
            block_size: 1,
            correct_artifacts: false,
            flow_potential: true,
            ..Default::default()
        };
        let r = run(w, h, &cond, &src, &p, &ecoplan_grid::NoProgress).unwrap();
        assert_eq!(r.n_targets, 81);
        // Every cell is a target of 1 A whose whole current flows into it, so each cell carries
        // at least 1 A in total; flow potential likewise.
        let fp = r.flow_potential.as_ref().unwrap();
        assert!(
            r.cum_current.iter().all(|&c| c >= 1.0 - 1e-9),
            "{:?}",
            r.cum_current
        );
        assert!(fp.iter().all(|&c| c >= 1.0 - 1e-9));
        // The centre is symmetric: its 4 rook neighbours carry equal current.
        let at = |r: usize, c: usize| r * w + c;
        let n = r.cum_current[at(3, 4)];
        for k in [at(5, 4), at(4, 3), at(4, 5)] {
            assert!((r.cum_current[k] - n).abs() < 1e-6 * n);
        }
    }
}
