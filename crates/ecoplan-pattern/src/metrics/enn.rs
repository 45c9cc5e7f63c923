//! Euclidean nearest-neighbour distance (ENN) between patches of the same class: the shortest
//! centre-to-centre distance between their cells, found among boundary cells with a bucket grid.

use super::analysis::{Patch, OUTSIDE};

const BUCKET: usize = 8;

/// Fills `Patch::enn` (cell units) for the patches of every class with at least two patches.
pub(crate) fn nearest_neighbours(
    w: usize,
    h: usize,
    cls: &[u32],
    lab: &[u32],
    patches: &mut [Patch],
    nclasses: usize,
) {
    let mut per_class = vec![0usize; nclasses];
    for p in patches.iter() {
        per_class[p.class as usize] += 1;
    }
    // Boundary cells: at least one of the 8 neighbours is outside the patch.
    let mut boundary: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); nclasses];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if cls[i] == OUTSIDE || per_class[cls[i] as usize] < 2 {
                continue;
            }
            let l = lab[i];
            let mut edge = false;
            'n: for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (nx, ny) = (x as isize + dx, y as isize + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        edge = true;
                        break 'n;
                    }
                    if lab[ny as usize * w + nx as usize] != l {
                        edge = true;
                        break 'n;
                    }
                }
            }
            if edge {
                boundary[cls[i] as usize].push((x as u32, y as u32, l));
            }
        }
    }
    let (bw, bh) = (w.div_ceil(BUCKET), h.div_ceil(BUCKET));
    use rayon::prelude::*;
    let found: Vec<Vec<(u32, f64)>> = boundary
        .into_par_iter()
        .map(|cells| class_nearest(cells, bw, bh))
        .collect();
    for (p, d) in found.into_iter().flatten() {
        patches[p as usize].enn = Some(d);
    }
}

/// Nearest-neighbour distances of the patches of one class from their boundary cells.
fn class_nearest(mut cells: Vec<(u32, u32, u32)>, bw: usize, bh: usize) -> Vec<(u32, f64)> {
    let mut result = Vec::new();
    {
        if cells.is_empty() {
            return result;
        }
        // Cells sorted by (bucket, patch): each bucket holds runs of one patch each, with the
        // run's bounding box, so a search skips its own patch and far runs without visiting cells.
        let bucket_of = |x: u32, y: u32| (y as usize / BUCKET) * bw + x as usize / BUCKET;
        cells.sort_unstable_by_key(|&(x, y, p)| (bucket_of(x, y), p, y, x));
        let mut runs: Vec<Run> = Vec::new();
        let mut bucket_runs = vec![0usize; bw * bh + 1];
        let mut k = 0;
        while k < cells.len() {
            let (x0, y0, p) = cells[k];
            let b = bucket_of(x0, y0);
            let mut end = k;
            let mut r = Run {
                patch: p,
                start: k,
                end: k,
                x0,
                x1: x0,
                y0,
                y1: y0,
            };
            while end < cells.len()
                && cells[end].2 == p
                && bucket_of(cells[end].0, cells[end].1) == b
            {
                let (x, y, _) = cells[end];
                r.x0 = r.x0.min(x);
                r.x1 = r.x1.max(x);
                r.y0 = r.y0.min(y);
                r.y1 = r.y1.max(y);
                end += 1;
            }
            r.end = end;
            runs.push(r);
            bucket_runs[b + 1] += 1;
            k = end;
        }
        for b in 0..bw * bh {
            bucket_runs[b + 1] += bucket_runs[b];
        }
        // Patches of this class and their boundary cells.
        let mut by_patch: Vec<(u32, u32, u32)> = cells.clone();
        by_patch.sort_unstable_by_key(|c| c.2);
        let mut k = 0;
        while k < by_patch.len() {
            let p = by_patch[k].2;
            let mut end = k;
            while end < by_patch.len() && by_patch[end].2 == p {
                end += 1;
            }
            let mut best = u64::MAX;
            for &(x, y, _) in &by_patch[k..end] {
                let (bx, by) = (x as usize / BUCKET, y as usize / BUCKET);
                for r in 0usize.. {
                    if r >= 1 {
                        let lower = ((r - 1) * BUCKET + 1) as u64;
                        if lower * lower >= best {
                            break;
                        }
                    }
                    if r > bw.max(bh) {
                        break;
                    }
                    let (x0, x1) = (bx as isize - r as isize, bx as isize + r as isize);
                    let (y0, y1) = (by as isize - r as isize, by as isize + r as isize);
                    for yy in y0.max(0)..=y1.min(bh as isize - 1) {
                        let on_edge_row = yy == y0 || yy == y1;
                        let mut xx = x0;
                        while xx <= x1 {
                            if xx >= 0 && xx < bw as isize {
                                let b = yy as usize * bw + xx as usize;
                                for run in &runs[bucket_runs[b]..bucket_runs[b + 1]] {
                                    if run.patch == p || run.dist2_lower(x, y) >= best {
                                        continue;
                                    }
                                    for &(qx, qy, _) in &cells[run.start..run.end] {
                                        let d = (qx as i64 - x as i64).pow(2)
                                            + (qy as i64 - y as i64).pow(2);
                                        best = best.min(d as u64);
                                    }
                                }
                            }
                            // Interior rows of the ring: only its two end buckets.
                            xx = if on_edge_row || xx == x1 { xx + 1 } else { x1 };
                        }
                    }
                }
            }
            if best != u64::MAX {
                result.push((p, (best as f64).sqrt()));
            }
            k = end;
        }
    }
    result
}

/// Boundary cells of one patch inside one bucket.
struct Run {
    patch: u32,
    start: usize,
    end: usize,
    x0: u32,
    x1: u32,
    y0: u32,
    y1: u32,
}

impl Run {
    /// Squared distance from (x, y) to the run's bounding box (a lower bound for its cells).
    #[inline]
    fn dist2_lower(&self, x: u32, y: u32) -> u64 {
        let dx = (self.x0 as i64 - x as i64)
            .max(x as i64 - self.x1 as i64)
            .max(0);
        let dy = (self.y0 as i64 - y as i64)
            .max(y as i64 - self.y1 as i64)
            .max(0);
        (dx * dx + dy * dy) as u64
    }
}
