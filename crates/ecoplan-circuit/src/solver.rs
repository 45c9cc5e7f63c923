//! Linear solvers for conductance systems `A v = b` (A symmetric positive definite, or a
//! Laplacian with a consistent right-hand side for CG):
//! preconditioned conjugate gradients with our smoothed-aggregation AMG (`cg+amg`), or faer's
//! sparse Cholesky with its fill-reducing ordering (`cholmod`), factored once and reused for
//! every right-hand side.

use crate::amg::{Amg, AmgOptions};
use crate::csr::{axpy, dot, Csr};
use crate::CircuitError;
use rayon::prelude::*;

/// Which solver to use (Circuitscape's `solver` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SolverKind {
    /// Conjugate gradients preconditioned by smoothed-aggregation AMG (`cg+amg`).
    #[default]
    CgAmg,
    /// Sparse Cholesky factorization (`cholmod`); faster for many right-hand sides, more memory.
    Cholesky,
}

impl SolverKind {
    /// Parses Circuitscape's names: `cg+amg` / `amg` / `cg` and `cholmod` / `cholesky`.
    pub fn from_name(s: &str) -> Option<SolverKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cg+amg" | "amg" | "cg" | "cgamg" => Some(SolverKind::CgAmg),
            "cholmod" | "cholesky" | "direct" => Some(SolverKind::Cholesky),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            SolverKind::CgAmg => "cg+amg",
            SolverKind::Cholesky => "cholmod",
        }
    }
}

/// Solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverOptions {
    pub kind: SolverKind,
    /// CG stops when ‖b − A v‖ ≤ `rtol`·‖b‖ (Circuitscape: 1e-6).
    pub rtol: f64,
    /// CG iteration limit.
    pub max_iter: usize,
    pub amg: AmgOptions,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            kind: SolverKind::CgAmg,
            rtol: 1e-6,
            max_iter: 10_000,
            amg: AmgOptions::default(),
        }
    }
}

impl SolverOptions {
    pub fn with_kind(kind: SolverKind) -> Self {
        SolverOptions {
            kind,
            ..Default::default()
        }
    }
}

enum Inner {
    Amg {
        a: Csr,
        amg: Amg,
    },
    Cholesky {
        llt: faer::sparse::linalg::solvers::Llt<usize, f64>,
    },
    /// 0×0 or 1×1 systems.
    Tiny {
        diag: Vec<f64>,
    },
}

/// A matrix prepared for repeated solves: AMG hierarchy or Cholesky factor.
pub struct PreparedSolver {
    n: usize,
    rtol: f64,
    max_iter: usize,
    inner: Inner,
}

/// Statistics of one solve.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SolveStats {
    pub iterations: usize,
    pub relative_residual: f64,
}

impl PreparedSolver {
    /// Prepares `a` (square, symmetric, sorted rows). For Cholesky `a` must be nonsingular;
    /// a singular Laplacian is factored with Circuitscape's `10·ε` diagonal shift instead.
    pub fn new(a: Csr, opts: &SolverOptions) -> Result<Self, CircuitError> {
        let n = a.nrows;
        if n <= 1 {
            let diag = a.diagonal();
            return Ok(PreparedSolver {
                n,
                rtol: opts.rtol,
                max_iter: opts.max_iter,
                inner: Inner::Tiny { diag },
            });
        }
        let inner = match opts.kind {
            SolverKind::CgAmg => {
                let amg = Amg::new(&a, &opts.amg);
                Inner::Amg { a, amg }
            }
            SolverKind::Cholesky => Inner::Cholesky { llt: cholesky(&a)? },
        };
        Ok(PreparedSolver {
            n,
            rtol: opts.rtol,
            max_iter: opts.max_iter,
            inner,
        })
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Result<Vec<f64>, CircuitError> {
        self.solve_with_stats(b).map(|(x, _)| x)
    }

    /// Solves `A x = b` and reports iterations (0 for Cholesky) and the final relative residual.
    pub fn solve_with_stats(&self, b: &[f64]) -> Result<(Vec<f64>, SolveStats), CircuitError> {
        assert_eq!(b.len(), self.n, "right-hand side length");
        match &self.inner {
            Inner::Tiny { diag } => {
                let x = b
                    .iter()
                    .zip(diag)
                    .map(|(bi, d)| if *d != 0.0 { bi / d } else { 0.0 })
                    .collect();
                Ok((x, SolveStats::default()))
            }
            Inner::Amg { a, amg } => pcg(a, amg, b, self.rtol, self.max_iter),
            Inner::Cholesky { llt } => {
                use faer::linalg::solvers::Solve;
                let mut rhs = faer::Mat::<f64>::from_fn(self.n, 1, |i, _| b[i]);
                llt.solve_in_place(rhs.as_mut());
                let x: Vec<f64> = (0..self.n).map(|i| rhs[(i, 0)]).collect();
                Ok((x, SolveStats::default()))
            }
        }
    }

    /// Solves for several right-hand sides: one batched triangular solve for Cholesky, parallel
    /// CG solves for AMG.
    pub fn solve_many(&self, bs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, CircuitError> {
        match &self.inner {
            Inner::Cholesky { llt } if !bs.is_empty() => {
                use faer::linalg::solvers::Solve;
                let mut rhs = faer::Mat::<f64>::from_fn(self.n, bs.len(), |i, j| bs[j][i]);
                llt.solve_in_place(rhs.as_mut());
                Ok((0..bs.len())
                    .map(|j| (0..self.n).map(|i| rhs[(i, j)]).collect())
                    .collect())
            }
            _ => bs.par_iter().map(|b| self.solve(b)).collect(),
        }
    }
}

fn cholesky(a: &Csr) -> Result<faer::sparse::linalg::solvers::Llt<usize, f64>, CircuitError> {
    match try_cholesky(a, 0.0) {
        Ok(l) => Ok(l),
        // A singular Laplacian (no ground): Circuitscape factors A + 10ε·I.
        Err(_) => try_cholesky(a, 10.0 * f64::EPSILON).map_err(|e| {
            CircuitError::Solver(format!(
                "sparse Cholesky failed ({e}); the conductance matrix is not positive definite — \
                 check for negative conductances, or use solver = cg+amg"
            ))
        }),
    }
}

fn try_cholesky(
    a: &Csr,
    shift: f64,
) -> Result<faer::sparse::linalg::solvers::Llt<usize, f64>, String> {
    use faer::sparse::{SparseColMat, SymbolicSparseColMat};
    let n = a.nrows;
    // Lower triangle in CSC = upper triangle of the CSR rows; symmetric, so take each row's
    // entries with column ≥ row as the column's rows ≥ column.
    let mut col_ptr = Vec::with_capacity(n + 1);
    col_ptr.push(0usize);
    let mut row_idx = Vec::with_capacity(a.nnz() / 2 + n);
    let mut val = Vec::with_capacity(a.nnz() / 2 + n);
    for j in 0..n {
        let (c, v) = a.row(j);
        let mut has_diag = false;
        for (&i, &x) in c.iter().zip(v) {
            let i = i as usize;
            if i < j {
                continue;
            }
            if i == j {
                has_diag = true;
                row_idx.push(i);
                val.push(x + shift);
            } else {
                row_idx.push(i);
                val.push(x);
            }
        }
        if !has_diag {
            // Keep the structure valid (diagonal first) when the diagonal is not stored.
            let start = *col_ptr.last().expect("non-empty");
            row_idx.insert(start, j);
            val.insert(start, shift);
        }
        col_ptr.push(row_idx.len());
    }
    let symbolic = SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx);
    let m = SparseColMat::new(symbolic, val);
    m.sp_cholesky(faer::Side::Lower)
        .map_err(|e| format!("{e:?}"))
}

/// Preconditioned conjugate gradients from a zero initial guess.
fn pcg(
    a: &Csr,
    amg: &Amg,
    b: &[f64],
    rtol: f64,
    max_iter: usize,
) -> Result<(Vec<f64>, SolveStats), CircuitError> {
    let n = a.nrows;
    let mut x = vec![0.0; n];
    let bnorm = dot(b, b).sqrt();
    if bnorm == 0.0 {
        return Ok((x, SolveStats::default()));
    }
    let mut ws = amg.workspace();
    let mut r = b.to_vec();
    let mut z = vec![0.0; n];
    amg.apply(&r, &mut z, &mut ws);
    let mut p = z.clone();
    let mut q = vec![0.0; n];
    let mut rz = dot(&r, &z);
    let tol = rtol * bnorm;
    let mut rnorm = bnorm;
    for it in 1..=max_iter {
        a.spmv(&p, &mut q);
        let pq = dot(&p, &q);
        if pq <= 0.0 || !pq.is_finite() {
            // Breakdown: p is in the null space (singular system) or the matrix is indefinite.
            break;
        }
        let alpha = rz / pq;
        axpy(alpha, &p, &mut x);
        axpy(-alpha, &q, &mut r);
        rnorm = dot(&r, &r).sqrt();
        if rnorm <= tol {
            // Confirm with the true residual (the recurrence drifts on long runs).
            a.residual(&x, b, &mut q);
            let true_norm = dot(&q, &q).sqrt();
            if true_norm <= tol * 10.0 {
                return Ok((
                    x,
                    SolveStats {
                        iterations: it,
                        relative_residual: true_norm / bnorm,
                    },
                ));
            }
            r.copy_from_slice(&q);
            rnorm = true_norm;
        }
        amg.apply(&r, &mut z, &mut ws);
        let rz_new = dot(&r, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        p.iter_mut()
            .zip(&z)
            .for_each(|(pi, zi)| *pi = zi + beta * *pi);
    }
    a.residual(&x, b, &mut q);
    let true_norm = dot(&q, &q).sqrt();
    // Circuitscape accepts a true relative residual below 1e-4 even if CG stopped early.
    if true_norm <= 1e-4 * bnorm {
        return Ok((
            x,
            SolveStats {
                iterations: max_iter,
                relative_residual: true_norm / bnorm,
            },
        ));
    }
    Err(CircuitError::Solver(format!(
        "conjugate gradients did not converge: relative residual {:.3e} after {max_iter} \
         iterations (last recurrence residual {:.3e}); try solver = cholmod",
        true_norm / bnorm,
        rnorm / bnorm
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd_grid(n: usize) -> Csr {
        // 8-neighbour grid Laplacian with varying conductances plus one grounded corner.
        let idx = |r: usize, c: usize| (r * n + c) as u32;
        let g = |r: usize, c: usize| 1.0 + ((r * 31 + c * 17) % 13) as f64 / 4.0;
        let mut t = Vec::new();
        let mut diag = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                for (dr, dc, w) in [
                    (0i64, 1i64, 1.0),
                    (1, 0, 1.0),
                    (1, 1, 0.5f64.sqrt()),
                    (1, -1, 0.5f64.sqrt()),
                ] {
                    let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                    if rr < 0 || cc < 0 || rr as usize >= n || cc as usize >= n {
                        continue;
                    }
                    let (rr, cc) = (rr as usize, cc as usize);
                    let e = w * (g(r, c) + g(rr, cc)) / 2.0;
                    t.push((idx(r, c), idx(rr, cc), -e));
                    t.push((idx(rr, cc), idx(r, c), -e));
                    diag[r * n + c] += e;
                    diag[rr * n + cc] += e;
                }
            }
        }
        diag[0] += 1.0;
        for (i, d) in diag.iter().enumerate() {
            t.push((i as u32, i as u32, *d));
        }
        Csr::from_triplets(n * n, n * n, &t)
    }

    #[test]
    fn cg_amg_and_cholesky_agree() {
        let a = spd_grid(40);
        let mut b = vec![0.0; a.nrows];
        b[a.nrows - 1] = 1.0;
        b[a.nrows / 2] = 0.5;
        let amg = PreparedSolver::new(a.clone(), &SolverOptions::default()).unwrap();
        let (x1, st) = amg.solve_with_stats(&b).unwrap();
        assert!(
            st.iterations > 0 && st.iterations < 40,
            "iterations {}",
            st.iterations
        );
        let chol = PreparedSolver::new(a.clone(), &SolverOptions::with_kind(SolverKind::Cholesky))
            .unwrap();
        let x2 = chol.solve(&b).unwrap();
        let err = x1
            .iter()
            .zip(&x2)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        let scale = x2.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(err < 1e-5 * scale, "max difference {err} vs scale {scale}");
        let many = chol
            .solve_many(&[b.clone(), b.iter().map(|v| 2.0 * v).collect()])
            .unwrap();
        assert!((many[1][5] - 2.0 * x2[5]).abs() < 1e-9 * scale);
    }
}
