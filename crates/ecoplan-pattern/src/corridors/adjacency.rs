//! Core adjacency (Linkage Mapper step 1): cores are neighbours when their allocation zones
//! touch. Cost-weighted zones come from a multi-source cost allocation; Euclidean zones from an
//! exact Euclidean feature transform (Felzenszwalb & Huttenlocher 2012, with the nearest
//! feature carried along).

use std::collections::BTreeSet;

/// Pairs `(a, b)`, `a < b`, of different non-zero zone ids that touch (8-neighbourhood).
pub fn touching_pairs(zones: &[u32], width: usize, height: usize) -> BTreeSet<(u32, u32)> {
    let mut pairs = BTreeSet::new();
    let mut add = |a: u32, b: u32| {
        if a != 0 && b != 0 && a != b {
            pairs.insert((a.min(b), a.max(b)));
        }
    };
    for r in 0..height {
        for c in 0..width {
            let a = zones[r * width + c];
            if a == 0 {
                continue;
            }
            if c + 1 < width {
                add(a, zones[r * width + c + 1]);
            }
            if r + 1 < height {
                add(a, zones[(r + 1) * width + c]);
                if c + 1 < width {
                    add(a, zones[(r + 1) * width + c + 1]);
                }
                if c > 0 {
                    add(a, zones[(r + 1) * width + c - 1]);
                }
            }
        }
    }
    pairs
}

/// Exact Euclidean feature transform: for every cell the index of the nearest cell where
/// `is_seed` holds (centre-to-centre distance, cell width `cw`, height `ch`), [`NO_SEED`] when
/// there is none. Ties go to the seed found first by the scans.
pub fn nearest_seed(
    is_seed: impl Fn(usize) -> bool,
    width: usize,
    height: usize,
    cw: f64,
    ch: f64,
) -> Vec<u32> {
    let n = width * height;
    let mut out = vec![NO_SEED; n];
    if n == 0 {
        return out;
    }
    const NONE: u32 = NO_SEED;
    // Pass 1, per column: row of the nearest seed in the same column.
    let mut near_row = vec![NONE; n];
    for c in 0..width {
        let mut last = NONE;
        for r in 0..height {
            if is_seed(r * width + c) {
                last = r as u32;
            }
            near_row[r * width + c] = last;
        }
        let mut next = NONE;
        for r in (0..height).rev() {
            if is_seed(r * width + c) {
                next = r as u32;
            }
            let cur = near_row[r * width + c];
            if next != NONE
                && (cur == NONE || (next as i64 - r as i64).abs() < (r as i64 - cur as i64).abs())
            {
                near_row[r * width + c] = next;
            }
        }
    }
    // Pass 2, per row: lower envelope of parabolas f_p(q) = (cw·(q−p))² + g(p)².
    let mut v = vec![0usize; width];
    let mut z = vec![0f64; width + 1];
    let mut g2 = vec![0f64; width];
    for r in 0..height {
        let row = r * width;
        let mut k: isize = -1;
        for p in 0..width {
            let nr = near_row[row + p];
            if nr == NONE {
                continue;
            }
            let dy = (nr as f64 - r as f64) * ch;
            g2[p] = dy * dy;
            let fp = |q: usize| g2[q] + (q as f64 * cw).powi(2);
            loop {
                if k < 0 {
                    k = 0;
                    v[0] = p;
                    z[0] = f64::NEG_INFINITY;
                    z[1] = f64::INFINITY;
                    break;
                }
                let q = v[k as usize];
                // Intersection abscissa (in units of columns) of parabolas from q and p.
                let s = (fp(p) - fp(q)) / (2.0 * cw * cw * (p as f64 - q as f64));
                if s <= z[k as usize] {
                    k -= 1;
                    continue;
                }
                k += 1;
                v[k as usize] = p;
                z[k as usize] = s;
                z[k as usize + 1] = f64::INFINITY;
                break;
            }
        }
        if k < 0 {
            continue;
        }
        let mut j = 0usize;
        for q in 0..width {
            while z[j + 1] < q as f64 {
                j += 1;
            }
            let p = v[j];
            out[row + q] = (near_row[row + p] as usize * width + p) as u32;
        }
    }
    out
}

/// No seed in the grid.
pub const NO_SEED: u32 = u32::MAX;

/// Euclidean allocation: for every cell the id of the nearest seed cell (`seeds[i] != 0`),
/// 0 when there is no seed.
pub fn euclidean_allocation(
    seeds: &[u32],
    width: usize,
    height: usize,
    cw: f64,
    ch: f64,
) -> Vec<u32> {
    nearest_seed(|i| seeds[i] != 0, width, height, cw, ch)
        .into_iter()
        .map(|k| if k == NO_SEED { 0 } else { seeds[k as usize] })
        .collect()
}

/// Euclidean distance (map units, centre to centre) to the nearest cell where `is_seed` holds;
/// `f32::INFINITY` when there is none.
pub fn euclidean_distance(
    is_seed: impl Fn(usize) -> bool,
    width: usize,
    height: usize,
    cw: f64,
    ch: f64,
) -> Vec<f32> {
    nearest_seed(is_seed, width, height, cw, ch)
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            if k == NO_SEED {
                return f32::INFINITY;
            }
            let k = k as usize;
            let dc = ((i % width) as f64 - (k % width) as f64) * cw;
            let dr = ((i / width) as f64 - (k / width) as f64) * ch;
            (dc * dc + dr * dr).sqrt() as f32
        })
        .collect()
}

/// Cells of a zone that touch (4-neighbourhood) a cell outside it or the grid border: the
/// cells that carry the minimum distance between two zones.
pub fn boundary_cells(
    cells: &[usize],
    zone_of: impl Fn(usize) -> u32,
    id: u32,
    width: usize,
    height: usize,
) -> Vec<usize> {
    cells
        .iter()
        .copied()
        .filter(|&i| {
            let (r, c) = (i / width, i % width);
            r == 0
                || c == 0
                || r + 1 == height
                || c + 1 == width
                || zone_of(i - 1) != id
                || zone_of(i + 1) != id
                || zone_of(i - width) != id
                || zone_of(i + width) != id
        })
        .collect()
}

/// Edge-to-edge distance between two sets of square cells (what a polygon-based tool measures
/// between rasterised patches): `√(max(|Δc|−1,0)²·cw² + max(|Δr|−1,0)²·ch²)` minimised over the
/// boundary cells of both sets.
pub fn edge_distance(a: &[usize], b: &[usize], width: usize, cw: f64, ch: f64) -> f64 {
    let mut best = f64::INFINITY;
    for &i in a {
        let (ri, ci) = ((i / width) as i64, (i % width) as i64);
        for &j in b {
            let (rj, cj) = ((j / width) as i64, (j % width) as i64);
            let dc = ((ci - cj).abs() - 1).max(0) as f64 * cw;
            let dr = ((ri - rj).abs() - 1).max(0) as f64 * ch;
            let d2 = dc * dc + dr * dr;
            if d2 < best {
                best = d2;
            }
        }
    }
    best.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euclidean_allocation_matches_brute_force() {
        let (w, h) = (23, 17);
        let mut seeds = vec![0u32; w * h];
        let pts = [(2usize, 3usize, 1u32), (20, 1, 2), (11, 15, 3), (12, 8, 4)];
        for &(c, r, id) in &pts {
            seeds[r * w + c] = id;
        }
        for (cw, ch) in [(1.0, 1.0), (30.0, 30.0), (10.0, 25.0)] {
            let alloc = euclidean_allocation(&seeds, w, h, cw, ch);
            for r in 0..h {
                for c in 0..w {
                    let d = |&(pc, pr, _): &(usize, usize, u32)| {
                        ((pc as f64 - c as f64) * cw).powi(2)
                            + ((pr as f64 - r as f64) * ch).powi(2)
                    };
                    let best = pts.iter().map(d).fold(f64::INFINITY, f64::min);
                    let got = pts.iter().find(|p| p.2 == alloc[r * w + c]).unwrap();
                    assert!(
                        (d(got) - best).abs() < 1e-9,
                        "cell ({c},{r}) cw {cw} ch {ch}"
                    );
                }
            }
        }
        assert!(euclidean_allocation(&vec![0; 6], 3, 2, 1.0, 1.0)
            .iter()
            .all(|&z| z == 0));
        let d = euclidean_distance(|i| seeds[i] != 0, w, h, 30.0, 30.0);
        for r in 0..h {
            for c in 0..w {
                let best = pts
                    .iter()
                    .map(|&(pc, pr, _)| {
                        30.0 * ((pc as f64 - c as f64).powi(2) + (pr as f64 - r as f64).powi(2))
                            .sqrt()
                    })
                    .fold(f64::INFINITY, f64::min);
                assert!((d[r * w + c] as f64 - best).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn touching_and_edge_distance() {
        // Zones 1 | 2 side by side, 3 below touching only diagonally.
        let z = vec![1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0];
        let p = touching_pairs(&z, 4, 4);
        assert_eq!(p.into_iter().collect::<Vec<_>>(), vec![(1, 2)]);
        // Cells (0,0) and (3,0): two cells apart → 2 gaps of width... edge distance 2·cw.
        assert_eq!(edge_distance(&[0], &[3], 4, 10.0, 10.0), 20.0);
        assert_eq!(edge_distance(&[0], &[1], 4, 10.0, 10.0), 0.0);
        // Diagonal neighbour: corners touch → 0; one more step → 10√2.
        assert_eq!(edge_distance(&[0], &[5], 4, 10.0, 10.0), 0.0);
        assert!((edge_distance(&[0], &[10], 4, 10.0, 10.0) - 10.0 * 2f64.sqrt()).abs() < 1e-9);
    }
}
