//! Euclidean nearest-neighbour distance (ENN) between patches of the same class: the shortest
//! centre-to-centre distance between their cells, found among boundary cells with a bucket grid.

use super::analysis::{Patch, OUTSIDE};

const BUCKET: usize = 16;

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
    for cells in boundary {
        if cells.is_empty() {
            continue;
        }
        // Bucket index (CSR) of the class's boundary cells.
        let bucket_of = |x: u32, y: u32| (y as usize / BUCKET) * bw + x as usize / BUCKET;
        let mut start = vec![0usize; bw * bh + 1];
        for &(x, y, _) in &cells {
            start[bucket_of(x, y) + 1] += 1;
        }
        for b in 0..bw * bh {
            start[b + 1] += start[b];
        }
        let mut fill = start.clone();
        let mut in_bucket = vec![(0u32, 0u32, 0u32); cells.len()];
        for &c in &cells {
            let b = bucket_of(c.0, c.1);
            in_bucket[fill[b]] = c;
            fill[b] += 1;
        }
        // Cells grouped by patch.
        let mut by_patch = cells.clone();
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
                    for yy in y0..=y1 {
                        if yy < 0 || yy >= bh as isize {
                            continue;
                        }
                        let on_edge_row = yy == y0 || yy == y1;
                        let mut xx = x0;
                        while xx <= x1 {
                            if xx >= 0 && xx < bw as isize {
                                let b = yy as usize * bw + xx as usize;
                                for &(qx, qy, q) in &in_bucket[start[b]..start[b + 1]] {
                                    if q != p {
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
                patches[p as usize].enn = Some((best as f64).sqrt());
            }
            k = end;
        }
    }
}
