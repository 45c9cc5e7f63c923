//! Exact Euclidean distance transform in linear time (Felzenszwalb & Huttenlocher 2012).
//!
//! Semantics follow pygeoprocessing `distance_transform_edt`, which InVEST Habitat Quality uses:
//! the region is every pixel that is not 0 and not nodata; distances are in pixels (optionally
//! scaled per axis). Like pygeoprocessing, a column without region pixels starts from a large
//! finite "infinity" (width + height) rather than true infinity, so a grid without any region
//! pixel gets large finite distances.

use rayon::prelude::*;

/// Squared-distance 1-D transform of `f` (lower envelope of parabolas), written into `out`.
/// `scale` is the sample spacing along this axis.
fn dt_1d(f: &[f64], scale: f64, out: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let s2 = scale * scale;
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let inter = |p: usize, q: usize| -> f64 {
        ((f[q] + s2 * (q * q) as f64) - (f[p] + s2 * (p * p) as f64))
            / (2.0 * s2 * (q as f64 - p as f64))
    };
    for q in 1..n {
        // z[0] = -inf stops the loop: inputs are finite, so s is never -inf
        let mut s = inter(v[k], q);
        while s <= z[k] {
            k -= 1;
            s = inter(v[k], q);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, o) in out.iter_mut().enumerate().take(n) {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let dq = scale * (q as f64 - p as f64);
        *o = dq * dq + f[p];
    }
}

/// Euclidean distance (in units of `sample_x`/`sample_y` per column/row step) from every pixel
/// to the nearest pixel where `region` is true.
pub fn distance_transform(
    width: usize,
    height: usize,
    region: &[bool],
    sample_x: f64,
    sample_y: f64,
) -> Vec<f32> {
    assert_eq!(region.len(), width * height);
    let big = sample_x.max(1.0) * sample_y.max(1.0) * (width + height) as f64;
    // column pass: distance along the column to the nearest region pixel (pygeoprocessing's
    // finite "infinity" when the column has none)
    // Row by row (each row's loop runs along memory, no column copies): down, then up.
    let mut g = vec![0.0f64; width * height];
    for r in 0..height {
        let (done, rest) = g.split_at_mut(r * width);
        let row = &mut rest[..width];
        let reg = &region[r * width..(r + 1) * width];
        if r == 0 {
            for (gv, &inside) in row.iter_mut().zip(reg) {
                *gv = if inside { 0.0 } else { big };
            }
        } else {
            let above = &done[(r - 1) * width..];
            for ((gv, &inside), &up) in row.iter_mut().zip(reg).zip(above) {
                *gv = if inside { 0.0 } else { up + sample_y };
            }
        }
    }
    for r in (0..height.saturating_sub(1)).rev() {
        let (head, tail) = g.split_at_mut((r + 1) * width);
        let row = &mut head[r * width..];
        for (gv, &below) in row.iter_mut().zip(&tail[..width]) {
            if below < *gv {
                *gv = below + sample_y;
            }
        }
    }
    let mut out = vec![0.0f32; width * height];
    out.par_chunks_mut(width.max(1))
        .zip(g.par_chunks(width.max(1)))
        .for_each_init(
            || {
                (
                    vec![0.0f64; width],
                    vec![0.0f64; width],
                    vec![0usize; width],
                    vec![0.0f64; width + 1],
                )
            },
            |(f, d, v, z), (orow, grow)| {
                for (fi, gi) in f.iter_mut().zip(grow) {
                    *fi = gi * gi;
                }
                dt_1d(f, sample_x, d, v, z);
                for (o, di) in orow.iter_mut().zip(d.iter()) {
                    *o = di.sqrt() as f32;
                }
            },
        );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(w: usize, h: usize, region: &[bool]) -> Vec<f64> {
        (0..w * h)
            .map(|i| {
                let (c, r) = ((i % w) as f64, (i / w) as f64);
                region
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b)
                    .map(|(j, _)| {
                        let (cj, rj) = ((j % w) as f64, (j / w) as f64);
                        ((c - cj).powi(2) + (r - rj).powi(2)).sqrt()
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect()
    }

    #[test]
    fn matches_brute_force() {
        let (w, h) = (23, 17);
        let mut state = 7u64;
        let region: Vec<bool> = (0..w * h)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) % 37 == 0
            })
            .collect();
        assert!(region.iter().any(|&b| b));
        let d = distance_transform(w, h, &region, 1.0, 1.0);
        let b = brute(w, h, &region);
        for (x, y) in d.iter().zip(&b) {
            assert!((*x as f64 - y).abs() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn single_point() {
        let mut region = vec![false; 25];
        region[12] = true;
        let d = distance_transform(5, 5, &region, 1.0, 1.0);
        assert_eq!(d[12], 0.0);
        assert!((d[0] - 8f32.sqrt()).abs() < 1e-6);
        assert_eq!(d[14], 2.0);
    }
}
