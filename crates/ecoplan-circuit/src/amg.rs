//! Smoothed-aggregation algebraic multigrid (SA-AMG), used as the preconditioner of conjugate
//! gradients — the method Circuitscape runs through AlgebraicMultigrid.jl.
//!
//! Setup per level (Vaněk, Mandel & Brezina 1996):
//! 1. symmetric strength of connection: `|a_ij| ≥ θ·√(a_ii·a_jj)` (θ = 0 keeps every edge);
//! 2. standard aggregation in three passes (seed aggregates from nodes whose strong
//!    neighbours are all free, attach leftovers to a neighbouring aggregate, then group the
//!    rest);
//! 3. tentative prolongator from the near-null space (constants, carried to coarse levels);
//! 4. Jacobi-smoothed prolongator `P = (I − ω D⁻¹A) T`, `ω = (4/3) / ρ(D⁻¹A)`;
//! 5. Galerkin coarse operator `Aᶜ = Pᵀ A P`.
//!
//! The cycle is a V-cycle with forward Gauss–Seidel before and backward Gauss–Seidel after the
//! coarse correction (so the preconditioner is symmetric, as CG needs) and a dense
//! pseudo-inverse on the coarsest level (also symmetric, and correct for singular Laplacians).

use crate::csr::{Csr, Csr32};
use rayon::prelude::*;

/// Settings of the multigrid hierarchy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmgOptions {
    /// Strength-of-connection threshold θ (0 = every edge is strong; Circuitscape's default).
    pub theta: f64,
    /// Stop coarsening once a level has at most this many unknowns.
    pub max_coarse: usize,
    /// Maximum number of levels.
    pub max_levels: usize,
    /// Prolongation smoothing weight numerator (ω = this / ρ(D⁻¹A)).
    pub omega: f64,
    /// Gauss–Seidel sweeps before and after the coarse correction.
    pub sweeps: usize,
}

impl Default for AmgOptions {
    fn default() -> Self {
        AmgOptions {
            theta: 0.0,
            max_coarse: 100,
            max_levels: 12,
            omega: 4.0 / 3.0,
            sweeps: 1,
        }
    }
}

/// One level of the cycle. The hierarchy is built in `f64` and each level is then rounded to
/// `f32` (matrix, prolongator, vectors): the cycle only has to be a good approximate inverse,
/// and 8-byte entries cut its memory traffic by a third. CG runs in `f64` on the exact matrix.
struct Level {
    a: Csr32,
    /// Inverse diagonal of `a` (0 where the diagonal is 0).
    dinv: Vec<f32>,
    /// Prolongator to this level from the next coarser one.
    p: Csr32,
    /// Restriction `Pᵀ`.
    r: Csr32,
}

/// Dense symmetric pseudo-inverse of the coarsest operator.
struct CoarseSolver {
    n: usize,
    pinv: Vec<f64>,
}

impl CoarseSolver {
    fn new(a: &Csr) -> Self {
        let n = a.nrows;
        let mut m = faer::Mat::<f64>::zeros(n, n);
        for i in 0..n {
            let (c, v) = a.row(i);
            for (&j, &x) in c.iter().zip(v) {
                m[(i, j as usize)] = x;
            }
        }
        // Symmetrise against round-off in the Galerkin product.
        for i in 0..n {
            for j in 0..i {
                let s = 0.5 * (m[(i, j)] + m[(j, i)]);
                m[(i, j)] = s;
                m[(j, i)] = s;
            }
        }
        let mut pinv = vec![0.0; n * n];
        // Nonsingular (grounded) systems: the inverse from a Cholesky factor. Singular
        // Laplacians fall through to the eigendecomposition's pseudo-inverse.
        if n > 0 {
            use faer::linalg::solvers::DenseSolveCore;
            if let Ok(llt) = m.llt(faer::Side::Lower) {
                let inv = llt.inverse();
                let ok = (0..n).all(|i| inv[(i, i)].is_finite() && inv[(i, i)] > 0.0);
                let dmax = (0..n).map(|i| m[(i, i)].abs()).fold(0.0, f64::max);
                // A tiny pivot means a (numerically) singular matrix: use the pseudo-inverse.
                let imax = (0..n).map(|i| inv[(i, i)]).fold(0.0, f64::max);
                if ok && imax * dmax < 1e12 {
                    for i in 0..n {
                        for j in 0..n {
                            pinv[i * n + j] = inv[(i, j)];
                        }
                    }
                    return CoarseSolver { n, pinv };
                }
            }
        }
        if n > 0 {
            if let Ok(evd) = m.self_adjoint_eigen(faer::Side::Lower) {
                let u = evd.U();
                let s = evd.S();
                let smax = (0..n).map(|k| s[k].abs()).fold(0.0, f64::max);
                let cut = smax * 1e-12 * n as f64;
                for k in 0..n {
                    let lam = s[k];
                    if lam.abs() <= cut {
                        continue;
                    }
                    let inv = 1.0 / lam;
                    for i in 0..n {
                        let ui = u[(i, k)] * inv;
                        if ui == 0.0 {
                            continue;
                        }
                        let row = &mut pinv[i * n..(i + 1) * n];
                        for (j, pj) in row.iter_mut().enumerate() {
                            *pj += ui * u[(j, k)];
                        }
                    }
                }
            }
        }
        CoarseSolver { n, pinv }
    }
    fn solve(&self, b: &[f32], x: &mut [f32]) {
        for i in 0..self.n {
            let row = &self.pinv[i * self.n..(i + 1) * self.n];
            x[i] = row.iter().zip(b).map(|(p, &q)| p * q as f64).sum::<f64>() as f32;
        }
    }
}

/// A multigrid hierarchy for one symmetric positive (semi-)definite matrix.
pub struct Amg {
    levels: Vec<Level>,
    coarse_a: Csr,
    coarse: CoarseSolver,
    sweeps: usize,
}

/// Scratch vectors of one V-cycle; one per thread when solves run in parallel.
pub struct AmgWorkspace {
    /// Per level: residual, coarse rhs, coarse solution.
    r: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    x: Vec<Vec<f32>>,
    /// Per level: previous iterate for the block-parallel Gauss–Seidel sweep.
    old: Vec<Vec<f32>>,
    /// The finest level's right-hand side and solution in `f32`.
    fine_b: Vec<f32>,
    fine_x: Vec<f32>,
}

/// Levels with at least this many rows smooth in parallel blocks.
const PARALLEL_SMOOTH_ROWS: usize = 200_000;

impl Amg {
    /// Builds the hierarchy for `a` (square, symmetric, sorted rows, nonnegative diagonal).
    pub fn new(a: &Csr, opts: &AmgOptions) -> Self {
        let mut levels = Vec::new();
        // The finest level is borrowed (no copy of the caller's matrix); coarser ones are owned.
        let mut current: std::borrow::Cow<Csr> = std::borrow::Cow::Borrowed(a);
        let mut b = vec![1.0; a.nrows];
        let trace = std::env::var_os("ECOPLAN_AMG_TRACE").is_some();
        let clock = std::time::Instant::now();
        let lap = |what: &str| {
            if trace {
                eprintln!("amg {:>8.3}s {what}", clock.elapsed().as_secs_f64());
            }
        };
        while levels.len() + 1 < opts.max_levels && current.nrows > opts.max_coarse {
            let strong = strength_pattern(&current, opts.theta);
            lap("strength");
            let (agg, n_agg) = aggregate(&strong, current.nrows);
            drop(strong);
            lap("aggregate");
            if n_agg == 0 || n_agg >= current.nrows {
                break;
            }
            let (t, b_coarse) = tentative(&agg, n_agg, &b);
            let dinv = inverse_diagonal(&current);
            let a32 = Csr32::from_f64_ref(&current);
            let rho = spectral_radius_dinv_a(&a32, &dinv);
            lap("spectral radius");
            let omega = if rho > 0.0 { opts.omega / rho } else { 0.0 };
            let p = smooth_prolongator(&current, &dinv, &t, &agg, omega);
            drop(t);
            lap("prolongator");
            let r = p.transpose();
            lap("transpose");
            let coarse = galerkin(&r, &current, &p);
            lap(&format!(
                "galerkin: level {} n={} nnz={} -> n={} nnz={}",
                levels.len(),
                current.nrows,
                current.nnz(),
                coarse.nrows,
                coarse.nnz()
            ));
            drop(current);
            levels.push(Level {
                a: a32,
                dinv: dinv.iter().map(|&d| d as f32).collect(),
                p: Csr32::from_f64(p),
                r: Csr32::from_f64(r),
            });
            current = std::borrow::Cow::Owned(coarse);
            b = b_coarse;
        }
        let current = current.into_owned();
        let coarse = CoarseSolver::new(&current);
        Amg {
            levels,
            coarse_a: current,
            coarse,
            sweeps: opts.sweeps.max(1),
        }
    }

    /// Number of levels including the coarsest.
    pub fn num_levels(&self) -> usize {
        self.levels.len() + 1
    }

    /// Operator complexity: total nonzeros over the finest level's.
    pub fn operator_complexity(&self) -> f64 {
        let fine = self
            .levels
            .first()
            .map_or(self.coarse_a.nnz(), |l| l.a.nnz()) as f64;
        let total: usize =
            self.levels.iter().map(|l| l.a.nnz()).sum::<usize>() + self.coarse_a.nnz();
        total as f64 / fine.max(1.0)
    }

    /// Bytes held by the hierarchy (matrices, prolongators, coarse pseudo-inverse).
    pub fn bytes(&self) -> usize {
        self.levels
            .iter()
            .map(|l| l.a.bytes() + l.p.bytes() + l.r.bytes() + l.dinv.len() * 4)
            .sum::<usize>()
            + self.coarse_a.bytes()
            + self.coarse.pinv.len() * 8
    }

    /// Scratch space for [`Amg::apply`].
    pub fn workspace(&self) -> AmgWorkspace {
        let mut r = Vec::new();
        let mut b = Vec::new();
        let mut x = Vec::new();
        let mut old = Vec::new();
        let n0 = self
            .levels
            .first()
            .map_or(self.coarse_a.nrows, |l| l.a.nrows);
        for l in &self.levels {
            r.push(vec![0.0; l.a.nrows]);
            b.push(vec![0.0; l.p.ncols]);
            x.push(vec![0.0; l.p.ncols]);
            old.push(if l.a.nrows >= PARALLEL_SMOOTH_ROWS {
                vec![0.0; l.a.nrows]
            } else {
                Vec::new()
            });
        }
        AmgWorkspace {
            r,
            b,
            x,
            old,
            fine_b: vec![0.0; n0],
            fine_x: vec![0.0; n0],
        }
    }

    /// `x ≈ A⁻¹ b` by one V-cycle from a zero initial guess (computed in `f32`).
    pub fn apply(&self, b: &[f64], x: &mut [f64], ws: &mut AmgWorkspace) {
        let mut fb = std::mem::take(&mut ws.fine_b);
        let mut fx = std::mem::take(&mut ws.fine_x);
        narrow(b, &mut fb);
        self.cycle(0, &fb, &mut fx, ws);
        widen(&fx, x);
        ws.fine_b = fb;
        ws.fine_x = fx;
    }

    fn cycle(&self, lev: usize, b: &[f32], x: &mut [f32], ws: &mut AmgWorkspace) {
        if lev == self.levels.len() {
            self.coarse.solve(b, x);
            return;
        }
        let l = &self.levels[lev];
        x.iter_mut().for_each(|v| *v = 0.0);
        let blocks = rayon::current_num_threads();
        let parallel = blocks > 1 && l.a.nrows >= PARALLEL_SMOOTH_ROWS;
        for _ in 0..self.sweeps {
            if parallel {
                block_gauss_seidel(&l.a, &l.dinv, b, x, &mut ws.old[lev], blocks, true);
            } else {
                gauss_seidel_forward(&l.a, &l.dinv, b, x);
            }
        }
        let (r_lev, rest_r) = ws.r.split_at_mut(lev + 1);
        let r = &mut r_lev[lev];
        let _ = rest_r;
        l.a.residual(x, b, r);
        let mut bc = std::mem::take(&mut ws.b[lev]);
        let mut xc = std::mem::take(&mut ws.x[lev]);
        l.r.spmv(r, &mut bc);
        self.cycle(lev + 1, &bc, &mut xc, ws);
        // x += P xc
        l.p.spmv_add(&xc, x);
        ws.b[lev] = bc;
        ws.x[lev] = xc;
        for _ in 0..self.sweeps {
            if parallel {
                block_gauss_seidel(&l.a, &l.dinv, b, x, &mut ws.old[lev], blocks, false);
            } else {
                gauss_seidel_backward(&l.a, &l.dinv, b, x);
            }
        }
    }
}

/// Hybrid Gauss–Seidel: contiguous row blocks are swept in parallel, each with Gauss–Seidel
/// inside the block and the previous iterate across block boundaries (block Jacobi outside).
/// The backward sweep with the same blocks is the transpose of the forward one, so the
/// V-cycle stays symmetric.
fn block_gauss_seidel(
    a: &Csr32,
    dinv: &[f32],
    b: &[f32],
    x: &mut [f32],
    old: &mut [f32],
    blocks: usize,
    forward: bool,
) {
    old.copy_from_slice(x);
    let old: &[f32] = old;
    let n = a.nrows;
    let chunk = n.div_ceil(blocks);
    x.par_chunks_mut(chunk).enumerate().for_each(|(bi, xs)| {
        let start = bi * chunk;
        let len = xs.len();
        let mut sweep = |i: usize| {
            let (s, e) = (a.row_ptr[i], a.row_ptr[i + 1]);
            let mut r = b[i] as f64;
            for k in s..e {
                let j = a.col[k] as usize;
                let local = j.wrapping_sub(start);
                let xj = if local < len { xs[local] } else { old[j] };
                r -= a.val[k] as f64 * xj as f64;
            }
            let xi = &mut xs[i - start];
            *xi = (*xi as f64 + r * dinv[i] as f64) as f32;
        };
        if forward {
            (start..start + len).for_each(&mut sweep);
        } else {
            (start..start + len).rev().for_each(&mut sweep);
        }
    });
}

#[inline]
fn gauss_seidel_forward(a: &Csr32, dinv: &[f32], b: &[f32], x: &mut [f32]) {
    for i in 0..a.nrows {
        gauss_seidel_row(a, dinv, b, x, i);
    }
}

#[inline(always)]
fn gauss_seidel_row(a: &Csr32, dinv: &[f32], b: &[f32], x: &mut [f32], i: usize) {
    let (s, e) = (a.row_ptr[i], a.row_ptr[i + 1]);
    let mut r = b[i] as f64;
    for k in s..e {
        r -= a.val[k] as f64 * x[a.col[k] as usize] as f64;
    }
    x[i] = (x[i] as f64 + r * dinv[i] as f64) as f32;
}

/// Rounds the CG's `f64` vector for the cycle.
fn narrow(from: &[f64], to: &mut [f32]) {
    convert(from, to, |v| v as f32);
}

/// Widens the cycle's `f32` result for the CG.
fn widen(from: &[f32], to: &mut [f64]) {
    convert(from, to, |v| v as f64);
}

/// `to[i] = f(from[i])`, in parallel for long vectors.
fn convert<A: Copy + Sync, B: Send>(from: &[A], to: &mut [B], f: impl Fn(A) -> B + Sync) {
    let set = |(t, &v): (&mut B, &A)| *t = f(v);
    if to.len() >= 1 << 14 {
        to.par_iter_mut()
            .zip(from.par_iter())
            .with_min_len(8192)
            .for_each(set);
    } else {
        to.iter_mut().zip(from.iter()).for_each(set);
    }
}

#[inline]
fn gauss_seidel_backward(a: &Csr32, dinv: &[f32], b: &[f32], x: &mut [f32]) {
    for i in (0..a.nrows).rev() {
        gauss_seidel_row(a, dinv, b, x, i);
    }
}

fn inverse_diagonal(a: &Csr) -> Vec<f64> {
    a.diagonal()
        .into_iter()
        .map(|d| if d != 0.0 { 1.0 / d } else { 0.0 })
        .collect()
}

/// Strong off-diagonal neighbours as a pattern-only CSR (values unused). With θ = 0 every stored
/// nonzero off-diagonal entry is strong.
fn strength_pattern(a: &Csr, theta: f64) -> Csr {
    let diag = a.diagonal();
    let n = a.nrows;
    let chunk = 16384;
    let parts: Vec<(Vec<usize>, Vec<u32>, Vec<f64>)> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|ci| {
            let (lo, hi) = (ci * chunk, ((ci + 1) * chunk).min(n));
            let mut counts = Vec::with_capacity(hi - lo);
            let mut col = Vec::with_capacity(a.row_ptr[hi] - a.row_ptr[lo]);
            for i in lo..hi {
                let before = col.len();
                let (c, v) = a.row(i);
                for (&j, &x) in c.iter().zip(v) {
                    let j_us = j as usize;
                    if j_us == i || x == 0.0 {
                        continue;
                    }
                    if theta > 0.0 && x.abs() < theta * (diag[i] * diag[j_us]).abs().sqrt() {
                        continue;
                    }
                    col.push(j);
                }
                counts.push(col.len() - before);
            }
            (counts, col, Vec::new())
        })
        .collect();
    assemble(n, n, parts)
}

const FREE: u32 = u32::MAX;
const ISOLATED: u32 = u32::MAX - 1;

/// Standard aggregation on a strength pattern. Returns the aggregate of each node
/// (`u32::MAX - 1` for isolated nodes, which stay out of every aggregate) and the count.
fn aggregate(s: &Csr, n: usize) -> (Vec<u32>, usize) {
    let mut agg = vec![FREE; n];
    let mut next: u32 = 0;
    // Pass 1: seed an aggregate at every node whose neighbours are all still free.
    for i in 0..n {
        if agg[i] != FREE {
            continue;
        }
        let (c, _) = (&s.col[s.row_ptr[i]..s.row_ptr[i + 1]], ());
        if c.is_empty() {
            agg[i] = ISOLATED;
            continue;
        }
        if c.iter().all(|&j| agg[j as usize] == FREE) {
            agg[i] = next;
            for &j in c {
                agg[j as usize] = next;
            }
            next += 1;
        }
    }
    // Pass 2: join a neighbouring aggregate from pass 1 (decided against the pass-1 state, so
    // the result does not depend on how far pass 2 has got).
    let seeded = agg.clone();
    for i in 0..n {
        if agg[i] != FREE {
            continue;
        }
        let c = &s.col[s.row_ptr[i]..s.row_ptr[i + 1]];
        if let Some(&j) = c.iter().find(|&&j| seeded[j as usize] < ISOLATED) {
            agg[i] = seeded[j as usize];
        }
    }
    // Pass 3: whatever is left forms aggregates with its free neighbours.
    for i in 0..n {
        if agg[i] != FREE {
            continue;
        }
        agg[i] = next;
        let c = &s.col[s.row_ptr[i]..s.row_ptr[i + 1]];
        for &j in c {
            if agg[j as usize] == FREE {
                agg[j as usize] = next;
            }
        }
        next += 1;
    }
    (agg, next as usize)
}

/// Tentative prolongator fitting the near-null-space vector `b`, and its coarse representation.
fn tentative(agg: &[u32], n_agg: usize, b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut norm2 = vec![0.0; n_agg];
    for (i, &a) in agg.iter().enumerate() {
        if (a as usize) < n_agg {
            norm2[a as usize] += b[i] * b[i];
        }
    }
    let norms: Vec<f64> = norm2.iter().map(|v| v.sqrt()).collect();
    let t = agg
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            if (a as usize) < n_agg && norms[a as usize] > 0.0 {
                b[i] / norms[a as usize]
            } else {
                0.0
            }
        })
        .collect();
    (t, norms)
}

/// Largest eigenvalue of `D⁻¹A` by power iteration on the symmetric `D^{-½} A D^{-½}`, run on
/// the level's `f32` copy (an estimate with a safety margin needs no more precision).
fn spectral_radius_dinv_a(a: &Csr32, dinv: &[f64]) -> f64 {
    let n = a.nrows;
    if n == 0 {
        return 0.0;
    }
    let sq: Vec<f32> = dinv.iter().map(|d| d.max(0.0).sqrt() as f32).collect();
    let dot32 = |x: &[f32], y: &[f32]| -> f64 {
        x.par_chunks(8192)
            .zip(y.par_chunks(8192))
            .map(|(p, q)| {
                p.iter()
                    .zip(q)
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum::<f64>()
            })
            .sum()
    };
    // Deterministic pseudo-random start vector.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v: Vec<f32> = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 / (1u64 << 53) as f64 + 0.5) as f32
        })
        .collect();
    let mut w = vec![0.0f32; n];
    let mut tmp = vec![0.0f32; n];
    let mut lambda = 0.0;
    for _ in 0..12 {
        let nv = dot32(&v, &v).sqrt();
        if nv == 0.0 {
            return 0.0;
        }
        let inv = (1.0 / nv) as f32;
        // tmp = S v / ‖v‖, w = S A tmp
        tmp.par_iter_mut()
            .zip(v.par_iter_mut())
            .zip(sq.par_iter())
            .with_min_len(8192)
            .for_each(|((t, vi), s)| {
                *vi *= inv;
                *t = *vi * s
            });
        a.spmv(&tmp, &mut w);
        w.par_iter_mut()
            .zip(sq.par_iter())
            .with_min_len(8192)
            .for_each(|(wi, s)| *wi *= s);
        lambda = dot32(&v, &w);
        std::mem::swap(&mut v, &mut w);
    }
    // Power iteration approaches ρ from below; a small margin keeps ω on the safe side.
    lambda * 1.05
}

/// `P = T − ω D⁻¹ A T` where `T` has the single entry `t[i]` in column `agg[i]` of row `i`.
fn smooth_prolongator(a: &Csr, dinv: &[f64], t: &[f64], agg: &[u32], omega: f64) -> Csr {
    let n = a.nrows;
    let chunk = 8192;
    let n_agg_bound = u32::MAX - 1;
    let parts: Vec<(Vec<usize>, Vec<u32>, Vec<f64>)> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|ci| {
            let lo = ci * chunk;
            let hi = ((ci + 1) * chunk).min(n);
            let mut counts = Vec::with_capacity(hi - lo);
            let mut col = Vec::new();
            let mut val = Vec::new();
            let mut entries: Vec<(u32, f64)> = Vec::with_capacity(16);
            for i in lo..hi {
                entries.clear();
                if agg[i] < n_agg_bound && t[i] != 0.0 {
                    entries.push((agg[i], t[i]));
                }
                let scale = -omega * dinv[i];
                if scale != 0.0 {
                    let (c, v) = a.row(i);
                    for (&j, &x) in c.iter().zip(v) {
                        let aj = agg[j as usize];
                        let tj = t[j as usize];
                        if aj >= n_agg_bound || tj == 0.0 || x == 0.0 {
                            continue;
                        }
                        let add = scale * x * tj;
                        if let Some(e) = entries.iter_mut().find(|e| e.0 == aj) {
                            e.1 += add;
                        } else {
                            entries.push((aj, add));
                        }
                    }
                }
                entries.sort_unstable_by_key(|e| e.0);
                let before = col.len();
                for &(c, v) in &entries {
                    if v != 0.0 {
                        col.push(c);
                        val.push(v);
                    }
                }
                counts.push(col.len() - before);
            }
            (counts, col, val)
        })
        .collect();
    let n_agg = agg
        .iter()
        .filter(|&&a| a < n_agg_bound)
        .map(|&a| a as usize + 1)
        .max()
        .unwrap_or(0);
    assemble(n, n_agg, parts)
}

fn assemble(nrows: usize, ncols: usize, parts: Vec<(Vec<usize>, Vec<u32>, Vec<f64>)>) -> Csr {
    let nnz: usize = parts.iter().map(|p| p.1.len()).sum();
    let mut row_ptr = Vec::with_capacity(nrows + 1);
    row_ptr.push(0usize);
    let mut col = Vec::with_capacity(nnz);
    let mut val = Vec::with_capacity(nnz);
    for (counts, c, v) in parts {
        for k in counts {
            let last = *row_ptr.last().expect("non-empty");
            row_ptr.push(last + k);
        }
        col.extend_from_slice(&c);
        val.extend_from_slice(&v);
    }
    Csr {
        nrows,
        ncols,
        row_ptr,
        col,
        val,
    }
}

/// Galerkin product `R A P` computed row by row of `R` (no intermediate `A P` is stored).
fn galerkin(r: &Csr, a: &Csr, p: &Csr) -> Csr {
    let nc = r.nrows;
    let chunk = 1024;
    // The dense accumulator and marks are allocated once per worker, not per chunk (at the
    // first level they are a few MB each and there are hundreds of chunks); marks hold the
    // coarse row that last touched an entry, so they never need resetting.
    let parts: Vec<(Vec<usize>, Vec<u32>, Vec<f64>)> = (0..nc.div_ceil(chunk))
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; nc], vec![u32::MAX; nc]),
            |(acc, mark), ci| {
                let lo = ci * chunk;
                let hi = ((ci + 1) * chunk).min(nc);
                let mut touched: Vec<u32> = Vec::new();
                let mut counts = Vec::with_capacity(hi - lo);
                let mut col = Vec::new();
                let mut val = Vec::new();
                for c in lo..hi {
                    touched.clear();
                    let (rc, rv) = r.row(c);
                    for (&i, &rci) in rc.iter().zip(rv) {
                        let (ac, av) = a.row(i as usize);
                        for (&j, &aij) in ac.iter().zip(av) {
                            let w = rci * aij;
                            if w == 0.0 {
                                continue;
                            }
                            let (pc, pv) = p.row(j as usize);
                            for (&k, &pjk) in pc.iter().zip(pv) {
                                let ku = k as usize;
                                if mark[ku] != c as u32 {
                                    mark[ku] = c as u32;
                                    acc[ku] = 0.0;
                                    touched.push(k);
                                }
                                acc[ku] += w * pjk;
                            }
                        }
                    }
                    touched.sort_unstable();
                    for &k in &touched {
                        col.push(k);
                        val.push(acc[k as usize]);
                    }
                    counts.push(touched.len());
                }
                (counts, col, val)
            },
        )
        .collect();
    assemble(nc, nc, parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::Csr;

    /// 5-point Laplacian of an n×n grid with one Dirichlet corner (SPD).
    pub(crate) fn grid_laplacian(n: usize) -> Csr {
        let idx = |r: usize, c: usize| (r * n + c) as u32;
        let mut t = Vec::new();
        for r in 0..n {
            for c in 0..n {
                let i = idx(r, c);
                let mut d = 0.0;
                for (dr, dc) in [(0i64, 1i64), (1, 0), (0, -1), (-1, 0)] {
                    let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                    if rr >= 0 && cc >= 0 && (rr as usize) < n && (cc as usize) < n {
                        t.push((i, idx(rr as usize, cc as usize), -1.0));
                        d += 1.0;
                    }
                }
                if r == 0 && c == 0 {
                    d += 1.0;
                }
                t.push((i, i, d));
            }
        }
        Csr::from_triplets(n * n, n * n, &t)
    }

    #[test]
    fn hierarchy_coarsens_and_preconditions() {
        let a = grid_laplacian(60);
        let amg = Amg::new(&a, &AmgOptions::default());
        assert!(amg.num_levels() >= 2, "levels {}", amg.num_levels());
        assert!(amg.operator_complexity() < 2.5);
        // One V-cycle must reduce the error of a smooth problem substantially.
        let b: Vec<f64> = (0..a.nrows).map(|i| ((i % 7) as f64) - 3.0).collect();
        let mut ws = amg.workspace();
        let mut x = vec![0.0; a.nrows];
        let mut r = b.clone();
        let r0 = crate::csr::dot(&r, &r).sqrt();
        let mut dx = vec![0.0; a.nrows];
        for _ in 0..10 {
            amg.apply(&r, &mut dx, &mut ws);
            x.iter_mut().zip(&dx).for_each(|(xi, d)| *xi += d);
            a.residual(&x, &b, &mut r);
        }
        let r1 = crate::csr::dot(&r, &r).sqrt();
        assert!(
            r1 < 1e-4 * r0,
            "stationary AMG reduced residual only to {}",
            r1 / r0
        );
    }

    #[test]
    fn block_gauss_seidel_converges_like_a_smoother() {
        // As a stationary iteration, forward+backward block GS must converge on an SPD matrix.
        let a = Csr32::from_f64(grid_laplacian(30));
        let dinv: Vec<f32> = inverse_diagonal(&grid_laplacian(30))
            .iter()
            .map(|&d| d as f32)
            .collect();
        let b: Vec<f32> = (0..a.nrows).map(|i| (i % 5) as f32 - 2.0).collect();
        let mut x = vec![0.0f32; a.nrows];
        let mut old = vec![0.0f32; a.nrows];
        let mut r = vec![0.0f32; a.nrows];
        let norm = |v: &[f32]| {
            v.iter()
                .map(|&x| (x as f64) * (x as f64))
                .sum::<f64>()
                .sqrt()
        };
        a.residual(&x, &b, &mut r);
        let r0 = norm(&r);
        for _ in 0..400 {
            block_gauss_seidel(&a, &dinv, &b, &mut x, &mut old, 3, true);
            block_gauss_seidel(&a, &dinv, &b, &mut x, &mut old, 3, false);
        }
        a.residual(&x, &b, &mut r);
        let r1 = norm(&r);
        assert!(r1 < 1e-2 * r0, "residual {r1} from {r0}");
    }

    #[test]
    fn aggregation_covers_every_connected_node() {
        let a = grid_laplacian(10);
        let s = strength_pattern(&a, 0.0);
        let (agg, n) = aggregate(&s, a.nrows);
        assert!(n > 1 && n < 40);
        assert!(agg.iter().all(|&g| (g as usize) < n));
    }
}
