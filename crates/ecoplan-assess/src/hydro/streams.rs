//! Stream extraction by flow-accumulation threshold, and watershed delineation from outlets.

use super::{like, mfd_weight, neighbor, tile_order, FLOW_ACCUM_NODATA, INFLOW, MFD_NODATA};
use ecoplan_grid::Grid;
use std::collections::VecDeque;

/// Nodata of stream rasters.
pub const STREAM_NODATA: u8 = 255;

/// Streams where D8 flow accumulation is strictly greater than `threshold` (1), else 0;
/// [`STREAM_NODATA`] where accumulation is nodata. Same rule as pygeoprocessing
/// `extract_streams_d8` (and so InVEST SDR with D8 routing).
pub fn extract_streams_d8(flow_accum: &Grid<f64>, threshold: f64) -> Grid<u8> {
    let data = flow_accum
        .data
        .iter()
        .map(|&a| {
            if is_accum_nodata(a) || flow_accum.is_nodata(a) {
                STREAM_NODATA
            } else if a > threshold {
                1
            } else {
                0
            }
        })
        .collect();
    like(flow_accum, data, Some(STREAM_NODATA))
}

#[inline]
fn is_accum_nodata(a: f64) -> bool {
    a.is_nan() || (a - FLOW_ACCUM_NODATA).abs() <= 1e-8 + 1e-5 * FLOW_ACCUM_NODATA.abs()
}

/// MFD streams like pygeoprocessing `extract_streams_mfd`: starting from outlets (pixels with
/// accumulation ≥ `threshold` that flow off the grid or into nodata), trace upstream through
/// pixels with accumulation ≥ `trace_proportion · threshold`; pixels ≥ `threshold` reached this
/// way are streams, and so are the traced pixels between them and the outlet. InVEST uses
/// `trace_proportion = 0.7`.
pub fn extract_streams_mfd(
    flow_accum: &Grid<f64>,
    dir: &Grid<i32>,
    threshold: f64,
    trace_proportion: f64,
) -> Grid<u8> {
    let (w, h) = (flow_accum.width, flow_accum.height);
    let n = w * h;
    let trace_threshold = trace_proportion * threshold;
    let mut stream = vec![STREAM_NODATA; n];
    let acc = &flow_accum.data;
    let mut open: VecDeque<usize> = VecDeque::new();
    let mut back: VecDeque<usize> = VecDeque::new();
    for root in tile_order(w, h) {
        let a = acc[root];
        if is_accum_nodata(a) {
            continue;
        }
        if stream[root] != STREAM_NODATA {
            continue;
        }
        stream[root] = 0;
        if a < threshold {
            continue;
        }
        let v = dir.data[root];
        let mut is_outlet = false;
        for d in 0..8 {
            if mfd_weight(v, d) == 0 {
                continue;
            }
            match neighbor(w, h, root, d) {
                None => {
                    is_outlet = true;
                    break;
                }
                Some(j) => {
                    if acc[j] == FLOW_ACCUM_NODATA || acc[j].is_nan() {
                        is_outlet = true;
                        break;
                    }
                }
            }
        }
        if is_outlet {
            open.push_back(root);
            stream[root] = 1;
        }
        while let Some(q) = open.pop_front() {
            for d in 0..8 {
                let Some(s) = neighbor(w, h, q, d) else {
                    continue;
                };
                let vs = dir.data[s];
                if vs == MFD_NODATA {
                    continue;
                }
                if mfd_weight(vs, INFLOW[d]) == 0 {
                    continue;
                }
                let sv = stream[s];
                if sv == 1 || sv == 2 {
                    continue;
                }
                let fa = acc[s];
                if fa >= threshold {
                    stream[s] = 1;
                    open.push_back(s);
                    back.push_back(s);
                    while let Some(b) = back.pop_front() {
                        let vb = dir.data[b];
                        for e in 0..8 {
                            if mfd_weight(vb, e) == 0 {
                                continue;
                            }
                            let Some(t) = neighbor(w, h, b, e) else {
                                continue;
                            };
                            if stream[t] == 2 {
                                stream[t] = 1;
                                back.push_back(t);
                            }
                        }
                    }
                } else if fa >= trace_threshold {
                    stream[s] = 2;
                    open.push_back(s);
                }
            }
        }
    }
    for s in stream.iter_mut() {
        if *s == 2 {
            *s = 0;
        }
    }
    like(flow_accum, stream, Some(STREAM_NODATA))
}

/// Watersheds draining to each outlet `(col, row)` along D8 directions: the outlet's 1-based
/// index in `outlets` where a pixel drains to it (first outlet met going downstream), 0
/// elsewhere.
pub fn watersheds_d8(dir: &Grid<u8>, outlets: &[(usize, usize)]) -> Grid<u32> {
    let (w, h) = (dir.width, dir.height);
    let mut ws = vec![0u32; w * h];
    let mut queue = VecDeque::new();
    for (k, &(c, r)) in outlets.iter().enumerate() {
        if c < w && r < h {
            let i = r * w + c;
            if ws[i] == 0 {
                ws[i] = k as u32 + 1;
                queue.push_back(i);
            }
        }
    }
    while let Some(q) = queue.pop_front() {
        let id = ws[q];
        for d in 0..8 {
            let Some(j) = neighbor(w, h, q, d) else {
                continue;
            };
            if ws[j] == 0 && dir.data[j] as usize == INFLOW[d] {
                ws[j] = id;
                queue.push_back(j);
            }
        }
    }
    like(dir, ws, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watershed_of_a_confluence() {
        // two columns draining south into the bottom row, which drains east
        #[rustfmt::skip]
        let dir = Grid::from_rows(3, 3, vec![
            6u8, 6, 6,
            6, 6, 6,
            0, 0, 0,
        ]).unwrap();
        let ws = watersheds_d8(&dir, &[(1, 2), (2, 0)]);
        assert_eq!(ws.data, vec![1, 1, 2, 1, 1, 0, 1, 1, 0]);
    }

    #[test]
    fn d8_streams_are_strictly_above_threshold() {
        let a = Grid::from_rows(3, 1, vec![5.0, 10.0, FLOW_ACCUM_NODATA]).unwrap();
        let s = extract_streams_d8(&a, 5.0);
        assert_eq!(s.data, vec![0, 1, STREAM_NODATA]);
    }
}
