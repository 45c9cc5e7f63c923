//! Compressed sparse row matrices: the graph Laplacians and the AMG hierarchy.
//!
//! Column indices are `u32` (a grid of up to 4·10⁹ nodes) and row pointers `usize`, which keeps
//! a 9-point grid Laplacian at 12 bytes per stored entry.

use rayon::prelude::*;

/// Rows smaller than this are multiplied serially: rayon's overhead beats the gain.
const PAR_ROWS: usize = 1 << 14;

/// A square or rectangular sparse matrix in CSR form with sorted column indices per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csr {
    pub nrows: usize,
    pub ncols: usize,
    pub row_ptr: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<f64>,
}

impl Csr {
    /// An empty `nrows × ncols` matrix.
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        Csr {
            nrows,
            ncols,
            row_ptr: vec![0; nrows + 1],
            col: Vec::new(),
            val: Vec::new(),
        }
    }

    pub fn nnz(&self) -> usize {
        self.col.len()
    }

    /// Bytes held by the three arrays.
    pub fn bytes(&self) -> usize {
        self.row_ptr.len() * 8 + self.col.len() * 4 + self.val.len() * 8
    }

    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
        (&self.col[a..b], &self.val[a..b])
    }

    /// Builds from `(row, col, value)` triplets; duplicates are summed, explicit zeros kept.
    pub fn from_triplets(nrows: usize, ncols: usize, trip: &[(u32, u32, f64)]) -> Self {
        let mut count = vec![0usize; nrows + 1];
        for &(r, _, _) in trip {
            count[r as usize + 1] += 1;
        }
        for i in 0..nrows {
            count[i + 1] += count[i];
        }
        let mut next = count.clone();
        let mut col = vec![0u32; trip.len()];
        let mut val = vec![0f64; trip.len()];
        for &(r, c, v) in trip {
            let k = next[r as usize];
            col[k] = c;
            val[k] = v;
            next[r as usize] += 1;
        }
        let mut m = Csr {
            nrows,
            ncols,
            row_ptr: count,
            col,
            val,
        };
        m.sort_and_sum_duplicates();
        m
    }

    /// Sorts each row by column and sums repeated columns (keeps explicit zeros).
    pub fn sort_and_sum_duplicates(&mut self) {
        let mut new_ptr = vec![0usize; self.nrows + 1];
        let mut w = 0usize;
        let mut buf: Vec<(u32, f64)> = Vec::new();
        for i in 0..self.nrows {
            let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
            buf.clear();
            buf.extend((a..b).map(|k| (self.col[k], self.val[k])));
            buf.sort_unstable_by_key(|e| e.0);
            let mut last: Option<u32> = None;
            for &(c, v) in &buf {
                if last == Some(c) {
                    self.val[w - 1] += v;
                } else {
                    self.col[w] = c;
                    self.val[w] = v;
                    w += 1;
                    last = Some(c);
                }
            }
            new_ptr[i + 1] = w;
        }
        self.col.truncate(w);
        self.val.truncate(w);
        self.col.shrink_to_fit();
        self.val.shrink_to_fit();
        self.row_ptr = new_ptr;
    }

    /// `init + sign · Σ_k A[i,k] x[k]`, summed in column order (`sign` is ±1, so the result
    /// is exactly `init ± Σ`, term by term).
    #[inline]
    fn row_acc(&self, i: usize, x: &[f64], init: f64, sign: f64) -> f64 {
        let mut s = init;
        for k in self.row_ptr[i]..self.row_ptr[i + 1] {
            s += sign * self.val[k] * x[self.col[k] as usize];
        }
        s
    }

    /// `y = A x`.
    pub fn spmv(&self, x: &[f64], y: &mut [f64]) {
        debug_assert_eq!(x.len(), self.ncols);
        debug_assert_eq!(y.len(), self.nrows);
        for_each_row(y, |i, _| self.row_acc(i, x, 0.0, 1.0));
    }

    /// `r = b − A x`.
    pub fn residual(&self, x: &[f64], b: &[f64], r: &mut [f64]) {
        for_each_row(r, |i, _| self.row_acc(i, x, b[i], -1.0));
    }

    /// The diagonal (zero where not stored).
    pub fn diagonal(&self) -> Vec<f64> {
        let mut d = vec![0.0; self.nrows.min(self.ncols)];
        for (i, di) in d.iter_mut().enumerate() {
            let (c, v) = self.row(i);
            if let Ok(k) = c.binary_search(&(i as u32)) {
                *di = v[k];
            }
        }
        d
    }

    /// `Aᵀ`.
    pub fn transpose(&self) -> Csr {
        let mut count = vec![0usize; self.ncols + 1];
        for &c in &self.col {
            count[c as usize + 1] += 1;
        }
        for j in 0..self.ncols {
            count[j + 1] += count[j];
        }
        let mut next = count.clone();
        let mut col = vec![0u32; self.nnz()];
        let mut val = vec![0f64; self.nnz()];
        for i in 0..self.nrows {
            let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
            for k in a..b {
                let j = self.col[k] as usize;
                let w = next[j];
                col[w] = i as u32;
                val[w] = self.val[k];
                next[j] += 1;
            }
        }
        Csr {
            nrows: self.ncols,
            ncols: self.nrows,
            row_ptr: count,
            col,
            val,
        }
    }

    /// The principal submatrix on `keep` (sorted ascending global indices).
    pub fn principal_submatrix(&self, keep: &[u32]) -> Csr {
        const NONE: u32 = u32::MAX;
        let mut local = vec![NONE; self.nrows];
        for (l, &g) in keep.iter().enumerate() {
            local[g as usize] = l as u32;
        }
        let mut row_ptr = Vec::with_capacity(keep.len() + 1);
        row_ptr.push(0);
        let mut col = Vec::new();
        let mut val = Vec::new();
        for &g in keep {
            let (c, v) = self.row(g as usize);
            for (&cj, &vj) in c.iter().zip(v) {
                let l = local[cj as usize];
                if l != NONE {
                    col.push(l);
                    val.push(vj);
                }
            }
            row_ptr.push(col.len());
        }
        Csr {
            nrows: keep.len(),
            ncols: keep.len(),
            row_ptr,
            col,
            val,
        }
    }

    /// Adds `d[i]` to each diagonal entry (inserting it where missing).
    pub fn add_diagonal(&self, d: &[f64]) -> Csr {
        let mut trip = Vec::with_capacity(self.nnz() + self.nrows);
        for i in 0..self.nrows {
            let (c, v) = self.row(i);
            for (&cj, &vj) in c.iter().zip(v) {
                trip.push((i as u32, cj, vj));
            }
            if d[i] != 0.0 {
                trip.push((i as u32, i as u32, d[i]));
            }
        }
        Csr::from_triplets(self.nrows, self.ncols, &trip)
    }

    /// Frobenius norm of the stored values.
    pub fn norm(&self) -> f64 {
        self.val.iter().map(|v| v * v).sum::<f64>().sqrt()
    }
}

/// A CSR matrix with `f32` values: the multigrid cycle's copy of a level (8 bytes per stored
/// entry instead of 12; the cycle is bound by memory traffic). Products accumulate in `f64`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csr32 {
    pub nrows: usize,
    pub ncols: usize,
    pub row_ptr: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<f32>,
}

impl Csr32 {
    /// Rounds the values of `m` to `f32` (consumes it to reuse its index arrays).
    pub fn from_f64(m: Csr) -> Self {
        let val = m.val.par_iter().map(|&v| v as f32).collect();
        Csr32 {
            nrows: m.nrows,
            ncols: m.ncols,
            row_ptr: m.row_ptr,
            col: m.col,
            val,
        }
    }

    /// Rounds a borrowed matrix (copies the index arrays).
    pub fn from_f64_ref(m: &Csr) -> Self {
        Csr32 {
            nrows: m.nrows,
            ncols: m.ncols,
            row_ptr: m.row_ptr.clone(),
            col: m.col.clone(),
            val: m.val.par_iter().map(|&v| v as f32).collect(),
        }
    }

    pub fn nnz(&self) -> usize {
        self.col.len()
    }

    pub fn bytes(&self) -> usize {
        self.row_ptr.len() * 8 + self.col.len() * 4 + self.val.len() * 4
    }

    /// `init + sign · Σ_k A[i,k] x[k]` in `f64`, summed in column order (`sign` is ±1).
    #[inline]
    fn row_acc(&self, i: usize, x: &[f32], init: f64, sign: f64) -> f64 {
        let mut s = init;
        for k in self.row_ptr[i]..self.row_ptr[i + 1] {
            s += sign * self.val[k] as f64 * x[self.col[k] as usize] as f64;
        }
        s
    }

    /// `y = A x`.
    pub fn spmv(&self, x: &[f32], y: &mut [f32]) {
        debug_assert_eq!(x.len(), self.ncols);
        debug_assert_eq!(y.len(), self.nrows);
        for_each_row(y, |i, _| self.row_acc(i, x, 0.0, 1.0) as f32);
    }

    /// `r = b − A x`.
    pub fn residual(&self, x: &[f32], b: &[f32], r: &mut [f32]) {
        for_each_row(r, |i, _| self.row_acc(i, x, b[i] as f64, -1.0) as f32);
    }

    /// `x += A y` (prolongation of a coarse correction).
    pub fn spmv_add(&self, y: &[f32], x: &mut [f32]) {
        for_each_row(x, |i, xi| (xi as f64 + self.row_acc(i, y, 0.0, 1.0)) as f32);
    }
}

/// Sets `out[i] = row_value(i, out[i])` for every row, in parallel when there are many rows.
fn for_each_row<T: Copy + Send + Sync>(out: &mut [T], row_value: impl Fn(usize, T) -> T + Sync) {
    if out.len() >= PAR_ROWS {
        out.par_iter_mut()
            .enumerate()
            .with_min_len(4096)
            .for_each(|(i, o)| *o = row_value(i, *o));
    } else {
        out.iter_mut()
            .enumerate()
            .for_each(|(i, o)| *o = row_value(i, *o));
    }
}

/// Euclidean dot product (parallel for long vectors).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    if a.len() >= PAR_ROWS {
        a.par_chunks(8192)
            .zip(b.par_chunks(8192))
            .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>())
            .sum()
    } else {
        a.iter().zip(b).map(|(p, q)| p * q).sum()
    }
}

/// `y += alpha x`.
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    if y.len() >= PAR_ROWS {
        y.par_chunks_mut(8192)
            .zip(x.par_chunks(8192))
            .for_each(|(yc, xc)| yc.iter_mut().zip(xc).for_each(|(yi, xi)| *yi += alpha * xi));
    } else {
        y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += alpha * xi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn triplets_sum_duplicates_and_transpose() {
        let m = Csr::from_triplets(2, 3, &[(0, 2, 1.0), (0, 0, 2.0), (0, 2, 3.0), (1, 1, 5.0)]);
        assert_eq!(m.row_ptr, vec![0, 2, 3]);
        assert_eq!(m.col, vec![0, 2, 1]);
        assert_eq!(m.val, vec![2.0, 4.0, 5.0]);
        let t = m.transpose();
        assert_eq!((t.nrows, t.ncols), (3, 2));
        assert_eq!(t.row(2), (&[0u32][..], &[4.0][..]));
        let mut y = vec![0.0; 2];
        m.spmv(&[1.0, 1.0, 1.0], &mut y);
        assert_eq!(y, vec![6.0, 5.0]);
    }
    #[test]
    fn submatrix_and_diagonal() {
        let m = Csr::from_triplets(
            3,
            3,
            &[
                (0, 0, 1.0),
                (0, 2, -1.0),
                (1, 1, 2.0),
                (2, 0, -1.0),
                (2, 2, 1.0),
            ],
        );
        let s = m.principal_submatrix(&[0, 2]);
        assert_eq!(s.col, vec![0, 1, 0, 1]);
        assert_eq!(s.diagonal(), vec![1.0, 1.0]);
        let d = m.add_diagonal(&[1.0, 0.0, 0.5]);
        assert_eq!(d.diagonal(), vec![2.0, 2.0, 1.5]);
    }
}
