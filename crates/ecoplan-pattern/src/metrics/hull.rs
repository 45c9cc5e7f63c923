//! Patch diameters for CIRCLE: the largest distance between two cell corners of a patch, from
//! the convex hull of the corners of each row's extreme cells.

use super::analysis::Patch;

type Pt = (i64, i64);

fn cross(o: Pt, a: Pt, b: Pt) -> i64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, without collinear points.
pub(crate) fn convex_hull(mut pts: Vec<Pt>) -> Vec<Pt> {
    pts.sort_unstable();
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let mut hull: Vec<Pt> = Vec::with_capacity(2 * pts.len());
    for &p in &pts {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower = hull.len() + 1;
    for &p in pts.iter().rev().skip(1) {
        while hull.len() >= lower && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    hull
}

/// Largest squared distance between two points of a convex polygon (rotating calipers).
pub(crate) fn diameter_sq(hull: &[Pt]) -> i64 {
    let n = hull.len();
    let d2 = |a: Pt, b: Pt| (a.0 - b.0).pow(2) + (a.1 - b.1).pow(2);
    match n {
        0 => 0,
        1 => 0,
        2 => d2(hull[0], hull[1]),
        _ => {
            let mut best = 0;
            let mut j = 1;
            for i in 0..n {
                let ni = (i + 1) % n;
                while cross(hull[i], hull[ni], hull[(j + 1) % n]).abs()
                    > cross(hull[i], hull[ni], hull[j]).abs()
                {
                    j = (j + 1) % n;
                }
                best = best.max(d2(hull[i], hull[j])).max(d2(hull[ni], hull[j]));
            }
            best
        }
    }
}

/// Fills `Patch::diameter` (in cell units) for every patch of the label raster `lab`.
pub(crate) fn patch_diameters(w: usize, h: usize, lab: &[u32], patches: &mut [Patch]) {
    let n = patches.len();
    // Row extents of each patch, flushed as corner points when the patch's row changes.
    let mut row = vec![u32::MAX; n];
    let mut ext = vec![(0u32, 0u32); n];
    let mut counts = vec![0usize; n + 1];
    let mut points: Vec<(u32, u32, u32, u32)> = Vec::new(); // (patch, row, minx, maxx)
    let flush = |p: usize, row: u32, e: (u32, u32), points: &mut Vec<(u32, u32, u32, u32)>| {
        points.push((p as u32, row, e.0, e.1));
    };
    for y in 0..h {
        for x in 0..w {
            let l = lab[y * w + x];
            if l == u32::MAX {
                continue;
            }
            let p = l as usize;
            if row[p] != y as u32 {
                if row[p] != u32::MAX {
                    flush(p, row[p], ext[p], &mut points);
                }
                row[p] = y as u32;
                ext[p] = (x as u32, x as u32);
            } else {
                ext[p].1 = x as u32;
            }
        }
    }
    for p in 0..n {
        if row[p] != u32::MAX {
            flush(p, row[p], ext[p], &mut points);
        }
    }
    for &(p, ..) in &points {
        counts[p as usize + 1] += 1;
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let mut order = vec![0usize; points.len()];
    let mut fill = counts.clone();
    for (k, &(p, ..)) in points.iter().enumerate() {
        order[fill[p as usize]] = k;
        fill[p as usize] += 1;
    }
    for p in 0..n {
        let mut corners = Vec::with_capacity(4 * (counts[p + 1] - counts[p]));
        for &k in &order[counts[p]..counts[p + 1]] {
            let (_, r, a, b) = points[k];
            let (r, a, b) = (r as i64, a as i64, b as i64);
            corners.extend_from_slice(&[(a, r), (a, r + 1), (b + 1, r), (b + 1, r + 1)]);
        }
        let hull = convex_hull(corners);
        patches[p].diameter = (diameter_sq(&hull) as f64).sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_and_diameter_of_a_rectangle() {
        let pts = vec![(0, 0), (3, 0), (3, 2), (0, 2), (1, 1), (2, 0)];
        let h = convex_hull(pts);
        assert_eq!(h.len(), 4);
        assert_eq!(diameter_sq(&h), 13);
    }

    #[test]
    fn diameter_matches_brute_force() {
        let mut s = 7u64;
        for _ in 0..50 {
            let pts: Vec<Pt> = (0..30)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (((s >> 33) % 50) as i64, ((s >> 13) % 40) as i64)
                })
                .collect();
            let brute = pts
                .iter()
                .flat_map(|a| {
                    pts.iter()
                        .map(move |b| (a.0 - b.0).pow(2) + (a.1 - b.1).pow(2))
                })
                .max()
                .unwrap();
            assert_eq!(diameter_sq(&convex_hull(pts)), brute);
        }
    }
}
