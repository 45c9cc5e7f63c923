//! Currents from voltages, as Circuitscape reports them.
//!
//! Branch current `I = g·(v_a − v_b)`. A node's current is the larger of its total inflow and
//! total outflow (for an interior node they are equal; at a source or ground the injected or
//! extracted current shows up as the imbalance), counting the current into finite grounds.
//! Branch currents smaller than 1e−8 of the largest one (per direction) are treated as zero.

use crate::csr::Csr;
use rayon::prelude::*;

const RELATIVE_CUTOFF: f64 = 1e-8;

/// Largest branch current in each direction (`a < b`: a→b, b→a).
fn max_directed(l: &Csr, v: &[f64]) -> (f64, f64) {
    let chunk = 1 << 14;
    (0..l.nrows.div_ceil(chunk))
        .into_par_iter()
        .map(|ci| {
            let (mut fwd, mut bwd) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
            for a in ci * chunk..((ci + 1) * chunk).min(l.nrows) {
                let (c, x) = l.row(a);
                for (&b, &w) in c.iter().zip(x) {
                    let b = b as usize;
                    if b <= a {
                        continue;
                    }
                    let i = w.abs() * (v[a] - v[b]);
                    fwd = fwd.max(i);
                    bwd = bwd.max(-i);
                }
            }
            (fwd, bwd)
        })
        .reduce(
            || (f64::NEG_INFINITY, f64::NEG_INFINITY),
            |p, q| (p.0.max(q.0), p.1.max(q.1)),
        )
}

/// Node currents for Laplacian `l` and voltages `v` (same local numbering). `finite_grounds`
/// holds each node's ground conductance (0 = none).
pub fn node_currents(l: &Csr, v: &[f64], finite_grounds: Option<&[f64]>) -> Vec<f64> {
    let n = l.nrows;
    let (max_fwd, max_bwd) = max_directed(l, v);
    let cut_fwd = RELATIVE_CUTOFF * max_fwd.abs();
    let cut_bwd = RELATIVE_CUTOFF * max_bwd.abs();
    let mut out = vec![0.0; n];
    out.par_iter_mut()
        .enumerate()
        .with_min_len(4096)
        .for_each(|(k, o)| {
            let (c, x) = l.row(k);
            let (mut inflow, mut outflow) = (0.0, 0.0);
            for (&j, &w) in c.iter().zip(x) {
                let j = j as usize;
                if j == k {
                    continue;
                }
                // Circuitscape thresholds inflows against the largest low→high branch current and
                // outflows against the largest high→low one, whatever the edge's direction.
                let i_kj = w.abs() * (v[k] - v[j]);
                if i_kj > 0.0 {
                    if i_kj >= cut_bwd {
                        outflow += i_kj;
                    }
                } else if i_kj < 0.0 && -i_kj >= cut_fwd {
                    inflow -= i_kj;
                }
            }
            if let Some(fg) = finite_grounds {
                let ig = fg[k] * v[k];
                if ig > 0.0 {
                    outflow += ig;
                } else {
                    inflow -= ig;
                }
            }
            *o = inflow.max(outflow);
        });
    out
}

/// Nonzero branch current magnitudes `(a, b, |I|)` with `a < b`, ordered by `b` then `a`
/// (Circuitscape's column order).
pub fn branch_currents(l: &Csr, v: &[f64]) -> Vec<(u32, u32, f64)> {
    let (max_fwd, _) = max_directed(l, v);
    let cut = RELATIVE_CUTOFF * max_fwd.abs();
    let mut out = Vec::new();
    for b in 0..l.nrows {
        let (c, x) = l.row(b);
        for (&a, &w) in c.iter().zip(x) {
            let a = a as usize;
            if a >= b {
                continue;
            }
            let i = w.abs() * (v[a] - v[b]);
            let i = if i.abs() < cut { 0.0 } else { i };
            if i != 0.0 {
                out.push((a as u32, b as u32, i.abs()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::network_laplacian;

    #[test]
    fn series_and_parallel_paths() {
        // 0 –1Ω– 1 –1Ω– 3 and 0 –1Ω– 2 –1Ω– 3, 1 A from 0 to 3: 0.5 A on each path.
        let l = network_laplacian(4, &[(0, 1, 1.0), (1, 3, 1.0), (0, 2, 1.0), (2, 3, 1.0)]);
        let v = [1.0, 0.5, 0.5, 0.0];
        let nc = node_currents(&l, &v, None);
        assert_eq!(nc, vec![1.0, 0.5, 0.5, 1.0]);
        let bc = branch_currents(&l, &v);
        assert_eq!(bc.len(), 4);
        assert!(bc.iter().all(|e| (e.2 - 0.5).abs() < 1e-15));
        // A finite ground at node 3 carrying the current away.
        let nc = node_currents(&l, &[1.5, 1.0, 1.0, 0.5], Some(&[0.0, 0.0, 0.0, 2.0]));
        assert_eq!(nc[3], 1.0);
    }
}
