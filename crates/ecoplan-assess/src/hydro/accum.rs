//! Flow accumulation and flow-path distance to channel on D8 and MFD direction grids.
//!
//! Both walk the flow graph in topological order (Kahn's algorithm: a pixel is processed once every
//! pixel draining into it is done), which gives pygeoprocessing's results without its recursion.

use super::{
    like, mfd_weight, mfd_weight_sum, neighbor, COL_OFFSETS, D8_NODATA, INFLOW, MFD_NODATA,
    ROW_OFFSETS, SQRT2,
};
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;

/// Nodata of accumulation outputs (pygeoprocessing's "improbable float").
pub const FLOW_ACCUM_NODATA: f64 = -1.23789789e29;

#[inline]
fn d8_down(dir: &Grid<u8>, i: usize) -> Option<usize> {
    let d = dir.data[i];
    if d >= 8 {
        return None;
    }
    let j = neighbor(dir.width, dir.height, i, d as usize)?;
    if dir.data[j] >= 8 {
        None
    } else {
        Some(j)
    }
}

/// Pixels with a valid D8 direction, upstream before downstream.
///
/// Sources are taken in row-major order and each is followed downstream as far as its receivers
/// become ready (depth first), so consecutive entries are mostly grid neighbours: every pass that
/// walks the order then touches memory locally instead of across the whole grid.
pub fn topological_order_d8(dir: &Grid<u8>) -> Vec<u32> {
    let (w, h) = (dir.width, dir.height);
    // in-degree pulled from the neighbours (parallel over rows, no scattered writes)
    let indeg = in_degrees(w, h, |i| dir.data[i] < 8, |j, k| dir.data[j] as usize == k);
    topological_order(indeg, |i, push| {
        if let Some(j) = d8_down(dir, i) {
            push(j);
        }
    })
}

/// Pixels with a valid MFD direction, upstream before downstream (depth first from row-major
/// sources, as [`topological_order_d8`]).
pub fn topological_order_mfd(dir: &Grid<i32>) -> Vec<u32> {
    let (w, h) = (dir.width, dir.height);
    let indeg = in_degrees(
        w,
        h,
        |i| dir.data[i] != MFD_NODATA,
        |j, k| mfd_weight(dir.data[j], k) != 0,
    );
    topological_order(indeg, |i, push| {
        let v = dir.data[i];
        let (r, c) = ((i / w) as isize, (i % w) as isize);
        for d in 0..8 {
            if mfd_weight(v, d) == 0 {
                continue;
            }
            let (rr, cc) = (r + ROW_OFFSETS[d], c + COL_OFFSETS[d]);
            if rr < 0 || cc < 0 || rr as usize >= h || cc as usize >= w {
                continue;
            }
            let j = rr as usize * w + cc as usize;
            if dir.data[j] != MFD_NODATA {
                push(j);
            }
        }
    })
}

/// Number of valid neighbours `j` that drain into each valid pixel `i` (`flows(j, k)`: `j` sends
/// flow in direction `k`); `u8::MAX` marks invalid pixels.
fn in_degrees(
    w: usize,
    h: usize,
    valid: impl Fn(usize) -> bool + Sync,
    flows: impl Fn(usize, usize) -> bool + Sync,
) -> Vec<u8> {
    let mut indeg = vec![0u8; w * h];
    indeg
        .par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(r, row)| {
            for (c, o) in row.iter_mut().enumerate() {
                let i = r * w + c;
                if !valid(i) {
                    *o = u8::MAX;
                    continue;
                }
                let mut n = 0u8;
                for d in 0..8 {
                    let (rr, cc) = (r as isize + ROW_OFFSETS[d], c as isize + COL_OFFSETS[d]);
                    if rr < 0 || cc < 0 || rr as usize >= h || cc as usize >= w {
                        continue;
                    }
                    let j = rr as usize * w + cc as usize;
                    // neighbour j in direction d sends to i if it flows in direction INFLOW[d]
                    if valid(j) && flows(j, INFLOW[d]) {
                        n += 1;
                    }
                }
                *o = n;
            }
        });
    indeg
}

/// Kahn's algorithm with a stack, seeded in row-major order; `down(i, push)` pushes every valid
/// receiver of `i` (once per edge, matching [`in_degrees`]).
fn topological_order(mut indeg: Vec<u8>, down: impl Fn(usize, &mut dyn FnMut(usize))) -> Vec<u32> {
    let n = indeg.len();
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut stack: Vec<u32> = Vec::new();
    for s in 0..n {
        if indeg[s] != 0 {
            continue;
        }
        stack.push(s as u32);
        while let Some(i) = stack.pop() {
            let i = i as usize;
            order.push(i as u32);
            indeg[i] = u8::MAX; // done: the row-major scan must not start here again
            down(i, &mut |j| {
                indeg[j] -= 1;
                if indeg[j] == 0 {
                    stack.push(j as u32);
                }
            });
        }
    }
    order.shrink_to_fit();
    order
}

#[inline]
fn weight_at(weight: Option<&Grid<f32>>, i: usize) -> f64 {
    match weight {
        None => 1.0,
        Some(g) => {
            let v = g.data[i];
            if g.is_nodata(v) {
                0.0
            } else {
                v as f64
            }
        }
    }
}

/// D8 flow accumulation: each pixel's weight (1, or `weight`, nodata → 0) plus everything that
/// drains into it. Nodata ([`FLOW_ACCUM_NODATA`]) where the direction is nodata.
pub fn flow_accumulation_d8(
    dir: &Grid<u8>,
    weight: Option<&Grid<f32>>,
    progress: &dyn Progress,
) -> Grid<f64> {
    let order = topological_order_d8(dir);
    flow_accumulation_d8_ordered(dir, &order, weight, progress)
}

/// [`flow_accumulation_d8`] with a precomputed [`topological_order_d8`] (reuse it across calls).
pub fn flow_accumulation_d8_ordered(
    dir: &Grid<u8>,
    order: &[u32],
    weight: Option<&Grid<f32>>,
    progress: &dyn Progress,
) -> Grid<f64> {
    let n = dir.data.len();
    progress.begin("D8 汇流累积 flow accumulation", n as u64);
    let mut acc = vec![FLOW_ACCUM_NODATA; n];
    for i in 0..n {
        if dir.data[i] < 8 {
            acc[i] = weight_at(weight, i);
        }
    }
    for &i in order {
        let i = i as usize;
        if let Some(j) = d8_down(dir, i) {
            acc[j] += acc[i];
        }
    }
    progress.finish();
    like(dir, acc, Some(FLOW_ACCUM_NODATA))
}

/// MFD flow accumulation: each pixel passes its accumulation to its downslope neighbours in
/// proportion to its 4-bit weights (weights towards the edge or nodata are lost), like
/// pygeoprocessing `routing.flow_accumulation_mfd`.
pub fn flow_accumulation_mfd(
    dir: &Grid<i32>,
    weight: Option<&Grid<f32>>,
    progress: &dyn Progress,
) -> Grid<f64> {
    let order = topological_order_mfd(dir);
    flow_accumulation_mfd_ordered(dir, &order, weight, progress)
}

/// [`flow_accumulation_mfd`] with a precomputed [`topological_order_mfd`].
pub fn flow_accumulation_mfd_ordered(
    dir: &Grid<i32>,
    order: &[u32],
    weight: Option<&Grid<f32>>,
    progress: &dyn Progress,
) -> Grid<f64> {
    let (w, h) = (dir.width, dir.height);
    let n = dir.data.len();
    progress.begin("MFD 汇流累积 flow accumulation", n as u64);
    let mut acc = vec![FLOW_ACCUM_NODATA; n];
    for i in 0..n {
        if dir.data[i] != MFD_NODATA {
            acc[i] = weight_at(weight, i);
        }
    }
    for &i in order {
        let i = i as usize;
        let v = dir.data[i];
        let sum = mfd_weight_sum(v) as f64;
        let a = acc[i];
        for d in 0..8 {
            let wt = mfd_weight(v, d);
            if wt == 0 {
                continue;
            }
            if let Some(j) = neighbor(w, h, i, d) {
                if dir.data[j] != MFD_NODATA {
                    acc[j] += a * wt as f64 / sum;
                }
            }
        }
    }
    progress.finish();
    like(dir, acc, Some(FLOW_ACCUM_NODATA))
}

/// Distance to channel along D8 flow paths, like pygeoprocessing `distance_to_channel_d8`:
/// 0 on channel pixels (`channel == 1`); upstream, each pixel adds its own `weight` (or 1/√2 per
/// cardinal/diagonal step when no weight) to the distance of the pixel it drains to. Pixels that
/// do not drain to a channel are nodata (-1).
pub fn distance_to_channel_d8(
    dir: &Grid<u8>,
    channel: &Grid<u8>,
    weight: Option<&Grid<f32>>,
) -> Grid<f64> {
    distance_to_channel_d8_ordered(dir, &topological_order_d8(dir), channel, weight)
}

/// [`distance_to_channel_d8`] with a precomputed [`topological_order_d8`].
pub fn distance_to_channel_d8_ordered(
    dir: &Grid<u8>,
    order: &[u32],
    channel: &Grid<u8>,
    weight: Option<&Grid<f32>>,
) -> Grid<f64> {
    let (w, h) = (dir.width, dir.height);
    let n = dir.data.len();
    let mut dist = vec![-1.0f64; n];
    for i in 0..n {
        if channel.data[i] == 1 {
            dist[i] = 0.0;
        }
    }
    for &i in order.iter().rev() {
        let i = i as usize;
        if channel.data[i] == 1 {
            continue;
        }
        let d = dir.data[i];
        if d == D8_NODATA || d >= 8 {
            continue;
        }
        // the downstream pixel may have a nodata direction and still be a channel
        let Some(j) = neighbor(w, h, i, d as usize) else {
            continue;
        };
        if dist[j] < 0.0 {
            continue;
        }
        let step = match weight {
            Some(_) => weight_at(weight, i),
            None => {
                if d & 1 == 1 {
                    SQRT2
                } else {
                    1.0
                }
            }
        };
        dist[i] = step + dist[j];
    }
    like(dir, dist, Some(-1.0))
}

/// Distance to channel along MFD flow paths, like pygeoprocessing `distance_to_channel_mfd`:
/// the flow-weighted mean over downslope neighbours `n` of (weight(n) + distance(n)), where
/// weight(n) is the DOWNSTREAM neighbour's weight (or 1/√2 per step without weights).
pub fn distance_to_channel_mfd(
    dir: &Grid<i32>,
    channel: &Grid<u8>,
    weight: Option<&Grid<f32>>,
) -> Grid<f64> {
    distance_to_channel_mfd_ordered(dir, &topological_order_mfd(dir), channel, weight)
}

/// [`distance_to_channel_mfd`] with a precomputed [`topological_order_mfd`].
pub fn distance_to_channel_mfd_ordered(
    dir: &Grid<i32>,
    order: &[u32],
    channel: &Grid<u8>,
    weight: Option<&Grid<f32>>,
) -> Grid<f64> {
    let (w, h) = (dir.width, dir.height);
    let n = dir.data.len();
    let mut dist = vec![-1.0f64; n];
    for i in 0..n {
        if channel.data[i] == 1 {
            dist[i] = 0.0;
        }
    }
    for &i in order.iter().rev() {
        let i = i as usize;
        if channel.data[i] == 1 {
            continue;
        }
        let v = dir.data[i];
        let (mut sw, mut swd) = (0.0f64, 0.0f64);
        for d in 0..8 {
            let wt = mfd_weight(v, d);
            if wt == 0 {
                continue;
            }
            let Some(j) = neighbor(w, h, i, d) else {
                continue;
            };
            let dj = dist[j];
            if dj == -1.0 {
                continue;
            }
            let step = match weight {
                Some(_) => weight_at(weight, j),
                None => {
                    if d & 1 == 1 {
                        SQRT2
                    } else {
                        1.0
                    }
                }
            };
            sw += wt as f64;
            swd += wt as f64 * (step + dj);
        }
        if sw != 0.0 {
            dist[i] = swd / sw;
        }
    }
    like(dir, dist, Some(-1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::NoProgress;

    #[test]
    fn d8_accumulation_counts_upstream_pixels() {
        // a 1×4 strip draining east
        let dir = Grid::from_rows(4, 1, vec![0u8, 0, 0, 0]).unwrap();
        let a = flow_accumulation_d8(&dir, None, &NoProgress);
        assert_eq!(a.data, vec![1.0, 2.0, 3.0, 4.0]);
        let wts = Grid::from_rows(4, 1, vec![0.5f32, f32::NAN, 2.0, 1.0]).unwrap();
        let a = flow_accumulation_d8(&dir, Some(&wts), &NoProgress);
        assert_eq!(a.data, vec![0.5, 0.5, 2.5, 3.5]);
    }

    #[test]
    fn mfd_accumulation_splits_flow() {
        // pixel 0 sends 10/15 east and 5/15 south-east; grid 2×2
        let v0 = (10 << 0) | (5 << 28);
        let east = 15; // pixel 1 → off the east edge
        let south = 15 << 24; // pixel 2 → off the south edge
        let dir = Grid::from_rows(2, 2, vec![v0, east, south, east]).unwrap();
        let a = flow_accumulation_mfd(&dir, None, &NoProgress);
        assert!((a.data[1] - (1.0 + 10.0 / 15.0)).abs() < 1e-12);
        assert!((a.data[3] - (1.0 + 5.0 / 15.0)).abs() < 1e-12);
        assert_eq!(a.data[2], 1.0);
    }

    #[test]
    fn d8_distance_to_channel_sums_steps() {
        let dir = Grid::from_rows(4, 1, vec![0u8, 0, 0, 0]).unwrap();
        let ch = Grid::from_rows(4, 1, vec![0u8, 0, 0, 1]).unwrap();
        let d = distance_to_channel_d8(&dir, &ch, None);
        assert_eq!(d.data, vec![3.0, 2.0, 1.0, 0.0]);
        let wts = Grid::from_rows(4, 1, vec![2.0f32, 3.0, 4.0, 5.0]).unwrap();
        let d = distance_to_channel_d8(&dir, &ch, Some(&wts));
        assert_eq!(d.data, vec![9.0, 7.0, 4.0, 0.0]);
        // with MFD (all flow east) the weight is the downstream neighbour's
        let mdir = Grid::from_rows(4, 1, vec![15i32, 15, 15, 15]).unwrap();
        let d = distance_to_channel_mfd(&mdir, &ch, Some(&wts));
        assert_eq!(d.data, vec![12.0, 9.0, 5.0, 0.0]);
    }
}
