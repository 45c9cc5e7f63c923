//! Depression filling by priority flood (Barnes, Lehman & Mulla 2014, "Priority-Flood").
//!
//! Every valid pixel on the grid edge or next to a nodata pixel (8-neighbourhood) drains; all other
//! pixels are raised to the lowest spill height on any path to a draining pixel. This is the same
//! surface pygeoprocessing's `fill_pits` produces (pits filled flat to their pour point).

use super::{dem_values, like, neighbor};
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Order-preserving map of f64 onto u64 (total order), so the heap compares integers.
#[inline]
fn key(z: f64) -> u64 {
    let b = z.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Fills depressions flat (pits raised to their pour point), like pygeoprocessing `fill_pits`.
pub fn fill_pits(dem: &Grid<f64>, progress: &dyn Progress) -> Grid<f64> {
    // Flat filling only copies existing heights, so when every height is a float32 (GeoTIFF
    // float32 DEMs) the heap can hold height and index packed in one u64: half the memory
    // traffic of (u64, u32) entries and one integer compare.
    let f32_exact = dem.width * dem.height <= u32::MAX as usize
        && dem
            .data
            .par_iter()
            .all(|&v| dem.is_nodata(v) || v.is_nan() || v as f32 as f64 == v);
    if f32_exact {
        priority_flood_packed(dem, progress)
    } else {
        priority_flood(dem, None, progress)
    }
}

/// Order-preserving map of f32 onto u32.
#[inline]
fn key32(z: f32) -> u32 {
    let b = z.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | (1 << 31)
    }
}

/// [`priority_flood`] without epsilon for DEMs whose heights are all float32 values.
fn priority_flood_packed(dem: &Grid<f64>, progress: &dyn Progress) -> Grid<f64> {
    let (w, h) = (dem.width, dem.height);
    let mut z = dem_values(dem);
    let n = z.len();
    progress.begin("填洼 fill pits", n as u64);
    let mut closed = vec![false; n];
    let mut heap: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let mut pit: VecDeque<usize> = VecDeque::new();
    let packed = |v: f64, i: usize| ((key32(v as f32) as u64) << 32) | i as u64;
    for i in 0..n {
        if drains_out(&z, w, h, i) {
            closed[i] = true;
            heap.push(Reverse(packed(z[i], i)));
        }
    }
    // Zhou, Sun & Fu (2016): a pixel reached from below keeps its own height; if none of its
    // open neighbours is lower or equal, it can be expanded at once (its neighbours keep their
    // heights too) instead of going through the heap.
    let mut slope: Vec<usize> = Vec::new();
    let mut done = 0u64;
    loop {
        let (c, from_slope) = if let Some(c) = pit.pop_front() {
            (c, false)
        } else if let Some(c) = slope.pop() {
            (c, true)
        } else if let Some(Reverse(k)) = heap.pop() {
            ((k & 0xFFFF_FFFF) as usize, false)
        } else {
            break;
        };
        let zc = z[c];
        if from_slope {
            let blocked = (0..8).any(|d| match neighbor(w, h, c, d) {
                Some(j) => !closed[j] && !z[j].is_nan() && z[j] <= zc,
                None => false,
            });
            if blocked {
                // a lower or equal open neighbour: expand in height order
                heap.push(Reverse(packed(zc, c)));
                continue;
            }
        }
        done += 1;
        if done % (1 << 20) == 0 {
            progress.advance(done);
        }
        for d in 0..8 {
            let Some(j) = neighbor(w, h, c, d) else {
                continue;
            };
            if closed[j] || z[j].is_nan() {
                continue;
            }
            closed[j] = true;
            if z[j] <= zc {
                z[j] = zc;
                pit.push_back(j);
            } else {
                slope.push(j);
            }
        }
    }
    progress.finish();
    filled_like(dem, z)
}

/// Fills depressions and imposes a gradient: each raised pixel is at least `epsilon` above the
/// pixel it drains to (`epsilon = 0` uses the next representable value, Barnes' "+ε" variant),
/// so flats drain without a separate flat-resolution step.
pub fn fill_pits_epsilon(dem: &Grid<f64>, epsilon: f64, progress: &dyn Progress) -> Grid<f64> {
    priority_flood(dem, Some(epsilon.max(0.0)), progress)
}

fn next_up(v: f64) -> f64 {
    if v.is_nan() || v == f64::INFINITY {
        return v;
    }
    if v == 0.0 {
        return f64::from_bits(1);
    }
    let b = v.to_bits();
    f64::from_bits(if v > 0.0 { b + 1 } else { b - 1 })
}

fn priority_flood(dem: &Grid<f64>, epsilon: Option<f64>, progress: &dyn Progress) -> Grid<f64> {
    let (w, h) = (dem.width, dem.height);
    let mut z = dem_values(dem);
    let n = z.len();
    progress.begin("填洼 fill pits", n as u64);
    let mut closed = vec![false; n];
    // min-heap on elevation; ties in any order (the filled surface does not depend on it)
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut pit = VecDeque::new();
    for i in 0..n {
        if drains_out(&z, w, h, i) {
            closed[i] = true;
            heap.push(Reverse((key(z[i]), i as u32)));
        }
    }
    let mut done = 0u64;
    loop {
        let c = if let Some(c) = pit.pop_front() {
            c
        } else if let Some(Reverse((_, i))) = heap.pop() {
            i as usize
        } else {
            break;
        };
        done += 1;
        if done % (1 << 20) == 0 {
            progress.advance(done);
        }
        let zc = z[c];
        for d in 0..8 {
            let Some(j) = neighbor(w, h, c, d) else {
                continue;
            };
            if closed[j] || z[j].is_nan() {
                continue;
            }
            closed[j] = true;
            let raised = match epsilon {
                None => zc,
                Some(e) if e > 0.0 => zc + e,
                Some(_) => next_up(zc),
            };
            let is_pit = match epsilon {
                None => z[j] <= zc,
                Some(_) => z[j] <= raised,
            };
            if is_pit {
                z[j] = raised;
                pit.push_back(j);
            } else {
                heap.push(Reverse((key(z[j]), j as u32)));
            }
        }
    }
    progress.finish();
    filled_like(dem, z)
}

/// Whether water can leave the grid from valid pixel `i` (an edge pixel or one next to nodata):
/// the seeds of the flood.
fn drains_out(z: &[f64], w: usize, h: usize, i: usize) -> bool {
    !z[i].is_nan() && (0..8).any(|d| neighbor(w, h, i, d).is_none_or(|j| z[j].is_nan()))
}

/// The filled heights as a grid like `dem`, NaN back to its nodata.
fn filled_like(dem: &Grid<f64>, z: Vec<f64>) -> Grid<f64> {
    let nodata = dem.nodata;
    let data = match nodata {
        Some(nd) => z
            .into_iter()
            .map(|v| if v.is_nan() { nd } else { v })
            .collect(),
        None => z,
    };
    like(dem, data, nodata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::NoProgress;

    #[test]
    fn fills_a_pit_to_its_pour_point() {
        #[rustfmt::skip]
        let g = Grid::from_rows(5, 5, vec![
            9., 9., 9., 9., 9.,
            9., 5., 5., 5., 9.,
            9., 5., 1., 5., 9.,
            9., 5., 5., 5., 7.,
            9., 9., 9., 9., 9.,
        ]).unwrap();
        let f = fill_pits(&g, &NoProgress);
        // spill over the 7 on the east edge
        assert_eq!(f.get(2, 2), 7.0);
        assert_eq!(f.get(1, 1), 7.0);
        assert_eq!(f.get(4, 3), 7.0);
        assert_eq!(f.get(0, 0), 9.0);
        // the general (f64-key) path gives the same surface
        let mut g64 = g.clone();
        g64.data[0] = 9.000000000000002;
        let f64path = fill_pits(&g64, &NoProgress);
        assert_eq!(&f64path.data[1..], &f.data[1..]);
        let e = fill_pits_epsilon(&g, 0.01, &NoProgress);
        assert!(e.get(3, 3) > 7.0 && e.get(3, 3) < 7.02);
        assert!(e.get(2, 2) > e.get(3, 3));
    }

    #[test]
    fn packed_path_matches_general_path_on_rough_dems() {
        // rough random surfaces with many pits, plateaus (rounded heights) and nodata holes:
        // the float32 packed path (with slope tracing) must give the general path's surface
        let (w, h) = (61, 47);
        let mut seed = 12345u64;
        for round in 0..6 {
            let mut rnd = || {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) as f64 / (1u64 << 31) as f64
            };
            let data: Vec<f64> = (0..w * h)
                .map(|i| {
                    let (r, c) = ((i / w) as f64, (i % w) as f64);
                    let v = 0.3 * r + 0.2 * c + 8.0 * rnd();
                    if rnd() < 0.02 {
                        -9999.0
                    } else if round % 2 == 0 {
                        v.round()
                    } else {
                        v as f32 as f64
                    }
                })
                .collect();
            let mut g = Grid::from_rows(w, h, data).unwrap();
            g.nodata = Some(-9999.0);
            let packed = priority_flood_packed(&g, &NoProgress);
            let general = priority_flood(&g, None, &NoProgress);
            assert_eq!(packed.data, general.data, "round {round}");
            assert!(packed.data.iter().zip(&g.data).all(|(f, z)| f >= z));
            assert!(
                packed.data != g.data,
                "round {round}: the surface has pits to fill"
            );
        }
    }

    #[test]
    fn key_orders_like_f64() {
        let v = [-1e30, -2.5, -0.0, 0.0, 1e-300, 3.0, 1e30];
        for w in v.windows(2) {
            assert!(key(w[0]) <= key(w[1]), "{w:?}");
        }
    }

    #[test]
    fn nodata_holes_drain() {
        let mut g = Grid::from_rows(3, 3, vec![9., 9., 9., 9., 1., 9., 9., 9., -1.]).unwrap();
        // the pit is next to a nodata pixel: it drains there and is not filled
        g.data[8] = -9999.0;
        g.nodata = Some(-9999.0);
        let f = fill_pits(&g, &NoProgress);
        assert_eq!(f.get(1, 1), 1.0);
        assert_eq!(f.get(2, 2), -9999.0);
    }
}
