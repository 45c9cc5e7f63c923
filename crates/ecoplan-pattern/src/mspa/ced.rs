//! Constrained (geodesic) Euclidean distance by ordered propagation (Soille 1991/2005).
//!
//! Each reached cell keeps a vector to a "base" cell and the geodesic length `pb` accumulated up
//! to that base; its distance is `pb + |vector|`. A cell inherits its neighbour's base when the
//! Bresenham segment from that base stays inside the mask, otherwise the neighbour itself
//! becomes the base. Cells are processed in waves of increasing tentative distance. MSPA
//! thresholds this distance to widen connectors, so the propagation order, the single-precision
//! arithmetic and the 16-bit vectors are all kept as in the reference.

use super::ops::Plane;

const UNSET: i16 = i16::MAX;
const MARK: usize = usize::MAX;
/// 4-neighbours as (offset direction, vector increment): the cell at `q - shift` gets
/// `vector(q) + increment`.
const STEPS: [((isize, isize), (i16, i16)); 4] = [
    ((0, -1), (0, 1)),
    ((-1, 0), (1, 0)),
    ((0, 1), (0, -1)),
    ((1, 0), (-1, 0)),
];

/// Whether the Bresenham segment from `base` to `base + (x2, y2)` stays on non-zero cells of
/// `mask` (the base itself is not tested).
fn in_mask_segment(mask: &[u8], w: isize, base: isize, x2: i64, y2: i64) -> bool {
    let (mut dx, mut dy) = (x2.abs(), y2.abs());
    let (s1, s2) = (x2.signum(), y2.signum());
    let interchange = dy > dx;
    if interchange {
        std::mem::swap(&mut dx, &mut dy);
    }
    let mut d = 2 * dy - dx;
    let (incr1, incr2) = (2 * dy, 2 * (dy - dx));
    let (mut x, mut y) = (0i64, 0i64);
    loop {
        let along = if interchange { y } else { x };
        if along.abs() >= dx {
            return true;
        }
        if interchange {
            y += s2;
        } else {
            x += s1;
        }
        if d < 0 {
            d += incr1;
        } else {
            d += incr2;
            if interchange {
                x += s1;
            } else {
                y += s2;
            }
        }
        let idx = base + x as isize + y as isize * w;
        if idx < 0 || idx as usize >= mask.len() || mask[idx as usize] == 0 {
            return false;
        }
    }
}

/// Cells of `mask` whose constrained distance to the cells set in both `reference` and `mask`
/// lies in `[lo, hi]`.
///
/// Propagation stops once every cell still waiting has a tentative distance above `hi + 2`:
/// a step changes a distance by at most one, so such cells cannot end in `[lo, hi]`.
pub(crate) fn constrained_distance_band(
    p: &Plane,
    reference: &[u8],
    mask: &[u8],
    lo: f32,
    hi: f32,
) -> Vec<u8> {
    constrained_distance_band_impl(p, reference, mask, lo, hi, Some(hi as f64 + 2.0))
}

pub(crate) fn constrained_distance_band_impl(
    p: &Plane,
    reference: &[u8],
    mask: &[u8],
    lo: f32,
    hi: f32,
    stop_above: Option<f64>,
) -> Vec<u8> {
    // Work on a copy framed by one zero cell so that neighbours always exist.
    let (w, h) = (p.w + 2, p.h + 2);
    let n = w * h;
    let wi = w as isize;
    let mut pm = vec![0u8; n];
    let mut pr = vec![0u8; n];
    for y in 0..p.h {
        let src = y * p.w;
        let dst = (y + 1) * w + 1;
        pm[dst..dst + p.w].copy_from_slice(&mask[src..src + p.w]);
        pr[dst..dst + p.w].copy_from_slice(&reference[src..src + p.w]);
    }
    for v in pm.iter_mut() {
        *v = (*v != 0) as u8;
    }
    let shifts: [isize; 4] = STEPS.map(|((dx, dy), _)| dx + dy * wi);

    let mut queue: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for i in 0..n {
        if pr[i] != 0 && pm[i] != 0 {
            pm[i] = 3;
            for &s in &shifts {
                let o = (i as isize + s) as usize;
                if pm[o] == 1 && pr[o] == 0 {
                    queue.push_back(o);
                    pm[o] = 2;
                }
            }
        }
    }
    let mut px = vec![UNSET; n];
    let mut py = vec![UNSET; n];
    for i in 0..n {
        if pm[i] == 3 {
            px[i] = 0;
            py[i] = 0;
        }
    }
    let mut pb = vec![0f32; n];
    let length = |x: i16, y: i16| -> f64 {
        let (x, y) = (x as i64, y as i64);
        ((x * x + y * y) as f64).sqrt()
    };

    while !queue.is_empty() {
        queue.push_back(MARK);
        let mut dmin = f32::MAX;
        // Evaluate the cells queued since the last wave, in queue order; a cell evaluated earlier
        // in this loop already serves as a neighbour for the later ones.
        for qi in 0..queue.len() {
            let ofs = queue[qi];
            if ofs == MARK {
                break;
            }
            if px[ofs] != UNSET {
                continue;
            }
            let mut dp = f32::MAX;
            for (k, &((_, _), (ix, iy))) in STEPS.iter().enumerate() {
                let q = (ofs as isize + shifts[k]) as usize;
                if px[q] == UNSET {
                    continue;
                }
                let (vx, vy) = (px[q] as i64 + ix as i64, py[q] as i64 + iy as i64);
                let base = q as isize - px[q] as isize - py[q] as isize * wi;
                let (dcrt, rebase) = if in_mask_segment(&pm, wi, base, vx, vy) {
                    (
                        (((vx * vx + vy * vy) as f64).sqrt() + pb[q] as f64) as f32,
                        false,
                    )
                } else {
                    ((length(px[q], py[q]) + pb[q] as f64 + 1.0) as f32, true)
                };
                if dcrt < dp {
                    if rebase {
                        px[ofs] = ix;
                        py[ofs] = iy;
                        pb[ofs] = dcrt - 1.0;
                    } else {
                        px[ofs] = px[q].wrapping_add(ix);
                        py[ofs] = py[q].wrapping_add(iy);
                        pb[ofs] = pb[q];
                    }
                    dp = dcrt;
                }
            }
            if dmin > dp {
                dmin = dp;
            }
        }
        // Expand the cells at most `dmin` away; keep the others waiting in order.
        let mut lowest_waiting = f64::INFINITY;
        while let Some(ofs) = queue.pop_front() {
            if ofs == MARK {
                break;
            }
            let d = length(px[ofs], py[ofs]) + pb[ofs] as f64;
            if d > dmin as f64 {
                queue.push_back(ofs);
                lowest_waiting = lowest_waiting.min(d);
            } else {
                let mut pushed = false;
                for &s in &shifts {
                    let o = (ofs as isize + s) as usize;
                    if pm[o] == 1 {
                        queue.push_back(o);
                        pm[o] = 2;
                        pushed = true;
                    }
                }
                if pushed {
                    lowest_waiting = lowest_waiting.min(d - 1.0);
                }
            }
        }
        if let Some(limit) = stop_above {
            if lowest_waiting > limit {
                break;
            }
        }
    }

    let mut out = vec![0u8; p.len()];
    for y in 0..p.h {
        for x in 0..p.w {
            let i = (y + 1) * w + x + 1;
            if px[i] == UNSET {
                continue;
            }
            let d = pb[i] + length(px[i], py[i]) as f32;
            out[y * p.w + x] = (d >= lo && d <= hi) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_corridor_distances() {
        // One seed at the left end of a 1-wide corridor: distances 1, 2, 3, ...
        let p = Plane { w: 8, h: 3 };
        let mut mask = vec![0u8; p.len()];
        for x in 0..8 {
            mask[p.w + x] = 1;
        }
        let mut r = vec![0u8; p.len()];
        r[p.w] = 1;
        let band = constrained_distance_band_impl(&p, &r, &mask, 1.5, 3.5, None);
        assert_eq!(&band[p.w..2 * p.w], &[0, 0, 1, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn diagonal_neighbour_is_root_two_away() {
        let p = Plane { w: 5, h: 5 };
        let mask = vec![1u8; p.len()];
        let mut r = vec![0u8; p.len()];
        r[12] = 1;
        let band = constrained_distance_band_impl(&p, &r, &mask, 1.4, 1.42, None);
        assert_eq!(band.iter().filter(|&&v| v == 1).count(), 4);
        assert_eq!((band[6], band[8], band[16], band[18]), (1, 1, 1, 1));
    }

    #[test]
    fn distance_bends_around_obstacles() {
        // Wall between seed and target: the distance goes around it (longer than straight line).
        #[rustfmt::skip]
        let mask = vec![
            1,1,1,1,1,
            1,0,0,0,1,
            1,1,1,0,1,
            1,1,1,0,1,
            1,1,1,1,1u8];
        let p = Plane { w: 5, h: 5 };
        let mut r = vec![0u8; p.len()];
        r[2 * 5 + 2] = 1; // (2,2)
                          // Cell (4,2) is 2 away in a straight line but the wall forces a detour.
        let straight = constrained_distance_band_impl(&p, &r, &mask, 1.9, 2.1, None);
        assert_eq!(straight[2 * 5 + 4], 0);
        let far = constrained_distance_band_impl(&p, &r, &mask, 2.5, 10.0, None);
        assert_eq!(far[2 * 5 + 4], 1);
    }
}
