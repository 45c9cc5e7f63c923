//! D8 and MFD flow directions with pygeoprocessing's flat (plateau) resolution.
//!
//! A pixel with a lower neighbour flows downhill (D8: steepest drop, diagonal drops divided by
//! √2, first direction wins ties; MFD: every lower neighbour, weighted by its drop, diagonals by
//! drop/√2, quantised to 4 bits). Pixels of a flat region flow along the shortest path (1 per
//! cardinal step, √2 per diagonal step) to the region's downhill drains; if the region has no
//! downhill drain, to its edge/nodata drains. The DEM should be pit-filled first.

use super::{
    dem_values, like, neighbor, tile_order, COL_OFFSETS, D8_NODATA, INFLOW, MFD_NODATA,
    ROW_OFFSETS, SQRT2, SQRT2_INV,
};
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;
use std::collections::VecDeque;

/// D8 flow direction (0..7, [`D8_NODATA`] where the DEM is nodata), like pygeoprocessing
/// `routing.flow_dir_d8`.
pub fn flow_dir_d8(dem: &Grid<f64>, progress: &dyn Progress) -> Grid<u8> {
    let (w, h) = (dem.width, dem.height);
    let z = dem_values(dem);
    let n = z.len();
    progress.begin("D8 流向 flow direction", n as u64);
    let mut dir = vec![D8_NODATA; n];
    let mut flat = vec![false; n];
    let mut dist = vec![(w * h) as f64; n];
    let mut search: VecDeque<usize> = VecDeque::new();
    let mut drains: VecDeque<usize> = VecDeque::new();
    let mut nodata_drains: VecDeque<(usize, u8)> = VecDeque::new();
    for (k, root) in tile_order(w, h).enumerate() {
        if k % (1 << 20) == 0 {
            progress.advance(k as u64);
        }
        let root_z = z[root];
        if root_z.is_nan() || dir[root] != D8_NODATA {
            continue;
        }
        let mut best_dir: i32 = -1;
        let mut best = 0.0f64;
        for d in 0..8 {
            let Some(j) = neighbor(w, h, root, d) else {
                continue;
            };
            let nz = z[j];
            if nz.is_nan() {
                continue;
            }
            let mut s = root_z - nz;
            if d & 1 == 1 {
                s *= SQRT2_INV;
            }
            if s > best {
                best = s;
                best_dir = d as i32;
            }
        }
        if best_dir >= 0 {
            dir[root] = best_dir as u8;
            continue;
        }
        // a flat region: find its drains
        search.push_back(root);
        flat[root] = true;
        while let Some(q) = search.pop_front() {
            let mut best_dir: i32 = -1;
            let mut best = 0.0f64;
            let mut diagonal_nodata = true;
            for d in 0..8 {
                let nz = match neighbor(w, h, q, d) {
                    None => f64::NAN,
                    Some(j) => z[j],
                };
                if nz.is_nan() {
                    if diagonal_nodata && best == 0.0 {
                        best_dir = d as i32;
                        diagonal_nodata = d & 1 == 1;
                    }
                    continue;
                }
                let mut s = root_z - nz;
                if s < 0.0 {
                    continue;
                }
                if s == 0.0 {
                    let j = neighbor(w, h, q, d).expect("in grid");
                    if !flat[j] {
                        flat[j] = true;
                        search.push_back(j);
                    }
                    continue;
                }
                if d & 1 == 1 {
                    s *= SQRT2_INV;
                }
                if s > best {
                    best = s;
                    best_dir = d as i32;
                }
            }
            if best_dir >= 0 {
                if best > 0.0 {
                    dir[q] = best_dir as u8;
                    dist[q] = 0.0;
                    drains.push_back(q);
                } else {
                    nodata_drains.push_back((q, best_dir as u8));
                }
            }
        }
        if drains.is_empty() {
            for (q, d) in nodata_drains.drain(..) {
                dir[q] = d;
                dist[q] = 0.0;
                drains.push_back(q);
            }
        } else {
            nodata_drains.clear();
        }
        while let Some(q) = drains.pop_front() {
            let dq = dist[q];
            for d in 0..8 {
                let Some(j) = neighbor(w, h, q, d) else {
                    continue;
                };
                let nd = dq + if d & 1 == 1 { SQRT2 } else { 1.0 };
                if z[j] == root_z && dist[j] > nd {
                    dir[j] = INFLOW[d] as u8;
                    dist[j] = nd;
                    drains.push_back(j);
                }
            }
        }
    }
    progress.finish();
    like(dem, dir, Some(D8_NODATA))
}

#[inline]
fn pack(weights: &[f64; 8], sum: f64) -> i32 {
    let mut v: u32 = 0;
    for (d, &wt) in weights.iter().enumerate() {
        let q = (0.5 + wt / sum * 15.0) as i32 as u32;
        v |= q << (d * 4);
    }
    v as i32
}

/// MFD flow direction (packed 4-bit weights, 0 = nodata), like pygeoprocessing
/// `routing.flow_dir_mfd`.
pub fn flow_dir_mfd(dem: &Grid<f64>, progress: &dyn Progress) -> Grid<i32> {
    let (w, h) = (dem.width, dem.height);
    let z = dem_values(dem);
    let n = z.len();
    progress.begin("MFD 流向 flow direction", n as u64);
    let dist_nodata = (w * h) as f64;
    // Pixels with a lower neighbour get their direction from the 3×3 window alone: do them in
    // parallel first; the serial pass in block order below then only resolves flat regions
    // (which recompute the same value for their downhill drains).
    let mut dir = vec![MFD_NODATA; n];
    dir.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(r, row)| {
            for (c, o) in row.iter_mut().enumerate() {
                let zc = z[r * w + c];
                if zc.is_nan() {
                    continue;
                }
                let mut slopes = [0.0f64; 8];
                let mut sum = 0.0;
                for (d, s_out) in slopes.iter_mut().enumerate() {
                    let (rr, cc) = (r as isize + ROW_OFFSETS[d], c as isize + COL_OFFSETS[d]);
                    if rr < 0 || cc < 0 || rr as usize >= h || cc as usize >= w {
                        continue;
                    }
                    let nz = z[rr as usize * w + cc as usize];
                    if nz.is_nan() {
                        continue;
                    }
                    let mut s = zc - nz;
                    if s > 0.0 {
                        if d & 1 == 1 {
                            s *= SQRT2_INV;
                        }
                        *s_out = s;
                        sum += s;
                    }
                }
                if sum > 0.0 {
                    *o = pack(&slopes, sum);
                }
            }
        });
    let mut flat = vec![false; n];
    let mut drain_mask = vec![false; n];
    let mut dist = vec![dist_nodata; n];
    let mut search: VecDeque<usize> = VecDeque::new();
    let mut distance_q: VecDeque<usize> = VecDeque::new();
    let mut direction_q: VecDeque<usize> = VecDeque::new();
    let mut nodata_drains: VecDeque<(usize, i32)> = VecDeque::new();
    for (k, root) in tile_order(w, h).enumerate() {
        if k % (1 << 20) == 0 {
            progress.advance(k as u64);
        }
        let root_z = z[root];
        if root_z.is_nan() || dir[root] != MFD_NODATA {
            continue;
        }
        let mut slopes = [0.0f64; 8];
        let mut sum = 0.0;
        for (d, s_out) in slopes.iter_mut().enumerate() {
            let Some(j) = neighbor(w, h, root, d) else {
                continue;
            };
            let nz = z[j];
            if nz.is_nan() {
                continue;
            }
            let mut s = root_z - nz;
            if s > 0.0 {
                if d & 1 == 1 {
                    s *= SQRT2_INV;
                }
                *s_out = s;
                sum += s;
            }
        }
        if sum > 0.0 {
            dir[root] = pack(&slopes, sum);
            continue;
        }
        // phase 2: find the drains of the flat region
        search.push_back(root);
        flat[root] = true;
        while let Some(q) = search.pop_front() {
            let mut down = [0.0f64; 8];
            let mut nodata_down = [0.0f64; 8];
            let (mut sum_down, mut sum_nodata) = (0.0, 0.0);
            for d in 0..8 {
                let nb = neighbor(w, h, q, d);
                let nz = match nb {
                    None => f64::NAN,
                    Some(j) => z[j],
                };
                if nz.is_nan() {
                    let s = if d & 1 == 1 { SQRT2_INV } else { 1.0 };
                    sum_nodata += s;
                    nodata_down[d] = s;
                    continue;
                }
                let mut s = root_z - nz;
                if s < 0.0 {
                    continue;
                }
                if s == 0.0 {
                    let j = nb.expect("in grid");
                    if !flat[j] {
                        flat[j] = true;
                        search.push_back(j);
                    }
                    continue;
                }
                if d & 1 == 1 {
                    s *= SQRT2_INV;
                }
                down[d] = s;
                sum_down += s;
            }
            if sum_down > 0.0 {
                dir[q] = pack(&down, sum_down);
                dist[q] = 0.0;
                drain_mask[q] = true;
                distance_q.push_back(q);
            } else if sum_nodata > 0.0 {
                nodata_drains.push_back((q, pack(&nodata_down, sum_nodata)));
            }
        }
        if distance_q.is_empty() {
            for (q, v) in nodata_drains.drain(..) {
                dir[q] = v;
                dist[q] = 0.0;
                drain_mask[q] = true;
                distance_q.push_back(q);
            }
        } else {
            nodata_drains.clear();
        }
        direction_q.extend(distance_q.iter().copied());
        // phase 3: distance from the drains across the flat
        while let Some(q) = distance_q.pop_front() {
            let dq = dist[q];
            for d in 0..8 {
                let Some(j) = neighbor(w, h, q, d) else {
                    continue;
                };
                let nd = dq + if d & 1 == 1 { SQRT2 } else { 1.0 };
                if z[j] == root_z && dist[j] > nd {
                    dist[j] = nd;
                    distance_q.push_back(j);
                }
            }
        }
        // phase 4: flat pixels flow to every neighbour that is closer to a drain
        while let Some(q) = direction_q.pop_front() {
            let dq = dist[q];
            let mut wts = [0.0f64; 8];
            let mut sum = 0.0;
            for (d, wt) in wts.iter_mut().enumerate() {
                let Some(j) = neighbor(w, h, q, d) else {
                    continue;
                };
                if z[j] != root_z {
                    continue;
                }
                let nd = dist[j];
                if nd == dist_nodata {
                    continue;
                }
                if nd < dq {
                    let s = if d & 1 == 1 { SQRT2_INV } else { 1.0 };
                    *wt = s;
                    sum += s;
                } else if !drain_mask[j] {
                    direction_q.push_back(j);
                    drain_mask[j] = true;
                }
            }
            if sum == 0.0 {
                continue;
            }
            dir[q] = pack(&wts, sum);
        }
    }
    progress.finish();
    like(dem, dir, Some(MFD_NODATA))
}

#[cfg(test)]
mod tests {
    use super::super::mfd_weight;
    use super::*;
    use ecoplan_grid::NoProgress;

    #[test]
    fn d8_takes_steepest_drop_with_diagonal_scaling() {
        #[rustfmt::skip]
        let g = Grid::from_rows(3, 3, vec![
            10., 10., 10.,
            10., 10., 9.,
            10., 10., 8.5,
        ]).unwrap();
        let d = flow_dir_d8(&g, &NoProgress);
        // east drop 1.0 beats the south-east drop 1.5/√2 = 1.06? no: 1.06 > 1.0
        assert_eq!(d.get(1, 1), 7);
    }

    #[test]
    fn d8_flat_drains_to_its_outlet() {
        #[rustfmt::skip]
        let g = Grid::from_rows(5, 3, vec![
            9., 9., 9., 9., 9.,
            9., 5., 5., 5., 4.,
            9., 9., 9., 9., 9.,
        ]).unwrap();
        let d = flow_dir_d8(&g, &NoProgress);
        assert_eq!(d.get(3, 1), 0);
        assert_eq!(d.get(2, 1), 0);
        assert_eq!(d.get(1, 1), 0);
    }

    #[test]
    fn mfd_splits_by_drop() {
        #[rustfmt::skip]
        let g = Grid::from_rows(3, 3, vec![
            10., 10., 10.,
            10., 10., 9.,
            10., 10., 10.,
        ]).unwrap();
        let d = flow_dir_mfd(&g, &NoProgress);
        let v = d.get(1, 1);
        assert_eq!(mfd_weight(v, 0), 15);
        for k in 1..8 {
            assert_eq!(mfd_weight(v, k), 0);
        }
    }
}
