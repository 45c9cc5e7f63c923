//! One pass of patch labelling and per-patch / per-class accumulation over a class raster.
//!
//! Patches follow FRAGSTATS' 8-cell rule. Cells outside the landscape (nodata) behave like the
//! landscape boundary: their sides are not class edge (TE) but are counted in the boundary terms
//! of LSI, nLSI, PLADJ and CLUMPY, and a cell touching them is never core.

use super::hull;

/// Marks cells outside the landscape.
pub(crate) const OUTSIDE: u32 = u32::MAX;

/// Everything the metric formulas need, gathered from the raster.
pub(crate) struct Analysis {
    /// Class values present, ascending; class index k refers to `class_values[k]`.
    pub class_values: Vec<i64>,
    /// Cells in the landscape.
    pub total_cells: u64,
    /// Cells per class.
    pub class_cells: Vec<u64>,
    /// Single-count 4-neighbour adjacencies: `adj[i * m + k]` counts ordered pairs (i left/above k).
    pub adj: Vec<u64>,
    /// Cell sides of each class on the landscape boundary or next to nodata.
    pub boundary_sides: Vec<u64>,
    pub patches: Vec<Patch>,
    /// Areas (cells) of the disjunct core areas and the patch they belong to.
    pub core_areas: Vec<(u32, u64)>,
}

/// Per-patch cell statistics (lengths in cells).
#[derive(Debug, Clone, Default)]
pub(crate) struct Patch {
    pub class: u32,
    pub cells: u64,
    /// Cell sides facing another patch, another class, nodata or the landscape boundary.
    pub perimeter: u64,
    pub sum_x: f64,
    pub sum_y: f64,
    /// Σ distance of cell centres to the centroid.
    pub sum_dist: f64,
    /// Σ over cells of the 3×3 contiguity template weights of same-patch cells (centre 1,
    /// sides 2, corners 1).
    pub contig_sum: u64,
    pub core_cells: u64,
    pub core_areas: u32,
    /// Largest distance between two corners of the patch's cells (cell units).
    pub diameter: f64,
    /// Edge-to-edge distance (between cell centres) to the nearest patch of the same class.
    pub enn: Option<f64>,
}

struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    fn new() -> Self {
        UnionFind { parent: Vec::new() }
    }
    fn make(&mut self) -> u32 {
        let id = self.parent.len() as u32;
        self.parent.push(id);
        id
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (ra, rb) = (self.find(a), self.find(b));
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi as usize] = lo;
        lo
    }
}

/// 8-connected components of the cells where `member(i)` holds and neighbours satisfy
/// `same(i, j)`. Returns per-cell component index (`u32::MAX` for non-members), numbered in
/// raster order of each component's first cell, and the count.
pub(crate) fn label8(
    w: usize,
    h: usize,
    member: impl Fn(usize) -> bool,
    same: impl Fn(usize, usize) -> bool,
) -> (Vec<u32>, u32) {
    let mut lab = vec![u32::MAX; w * h];
    let mut uf = UnionFind::new();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !member(i) {
                continue;
            }
            let mut l = u32::MAX;
            let consider = |j: usize, l: &mut u32, uf: &mut UnionFind| {
                if lab[j] != u32::MAX && same(i, j) {
                    *l = if *l == u32::MAX {
                        uf.find(lab[j])
                    } else {
                        uf.union(*l, lab[j])
                    };
                }
            };
            if x > 0 {
                consider(i - 1, &mut l, &mut uf);
            }
            if y > 0 {
                let up = i - w;
                if x > 0 {
                    consider(up - 1, &mut l, &mut uf);
                }
                consider(up, &mut l, &mut uf);
                if x + 1 < w {
                    consider(up + 1, &mut l, &mut uf);
                }
            }
            lab[i] = if l == u32::MAX { uf.make() } else { l };
        }
    }
    // Roots are the smallest provisional label of each set, i.e. the first in raster order.
    let mut compact = vec![u32::MAX; uf.parent.len()];
    let mut n = 0u32;
    for p in 0..uf.parent.len() as u32 {
        let r = uf.find(p);
        if compact[r as usize] == u32::MAX {
            compact[r as usize] = n;
            n += 1;
        }
        compact[p as usize] = compact[r as usize];
    }
    for v in lab.iter_mut() {
        if *v != u32::MAX {
            *v = compact[*v as usize];
        }
    }
    (lab, n)
}

impl Analysis {
    /// `cls[i]` is the class index of cell i or [`OUTSIDE`].
    pub fn new(width: usize, height: usize, cls: &[u32], class_values: Vec<i64>) -> Analysis {
        let (w, h) = (width, height);
        let m = class_values.len();
        let inside = |x: isize, y: isize| -> Option<u32> {
            if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
                None
            } else {
                let c = cls[y as usize * w + x as usize];
                (c != OUTSIDE).then_some(c)
            }
        };
        let (lab, npatch) = label8(w, h, |i| cls[i] != OUTSIDE, |i, j| cls[i] == cls[j]);
        let mut patches = vec![Patch::default(); npatch as usize];
        let mut class_cells = vec![0u64; m];
        let mut adj = vec![0u64; m * m];
        let mut boundary_sides = vec![0u64; m];
        let mut total_cells = 0u64;
        let mut is_core = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let c = cls[i];
                if c == OUTSIDE {
                    continue;
                }
                let p = &mut patches[lab[i] as usize];
                p.class = c;
                p.cells += 1;
                p.sum_x += x as f64;
                p.sum_y += y as f64;
                total_cells += 1;
                class_cells[c as usize] += 1;
                let (xi, yi) = (x as isize, y as isize);
                let mut same4 = 0;
                for (dx, dy) in [(-1isize, 0isize), (1, 0), (0, -1), (0, 1)] {
                    match inside(xi + dx, yi + dy) {
                        None => {
                            p.perimeter += 1;
                            boundary_sides[c as usize] += 1;
                        }
                        Some(k) if k == c => same4 += 1,
                        Some(_) => p.perimeter += 1,
                    }
                }
                if let Some(k) = inside(xi + 1, yi) {
                    adj[c as usize * m + k as usize] += 1;
                }
                if let Some(k) = inside(xi, yi + 1) {
                    adj[c as usize * m + k as usize] += 1;
                }
                let mut contig = 1u64;
                for (dx, dy, wgt) in [
                    (-1isize, -1isize, 1u64),
                    (0, -1, 2),
                    (1, -1, 1),
                    (-1, 0, 2),
                    (1, 0, 2),
                    (-1, 1, 1),
                    (0, 1, 2),
                    (1, 1, 1),
                ] {
                    if inside(xi + dx, yi + dy) == Some(c) {
                        contig += wgt;
                    }
                }
                p.contig_sum += contig;
                if same4 == 4 {
                    p.core_cells += 1;
                    is_core[i] = true;
                }
            }
        }
        // Centroid distances (GYRATE).
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if cls[i] == OUTSIDE {
                    continue;
                }
                let p = &mut patches[lab[i] as usize];
                let (cx, cy) = (p.sum_x / p.cells as f64, p.sum_y / p.cells as f64);
                p.sum_dist += ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
            }
        }
        // Disjunct core areas: 8-connected groups of core cells.
        let (core_lab, ncore) = label8(w, h, |i| is_core[i], |_, _| true);
        let mut core_areas = vec![(0u32, 0u64); ncore as usize];
        for i in 0..w * h {
            if core_lab[i] != u32::MAX {
                let e = &mut core_areas[core_lab[i] as usize];
                e.0 = lab[i];
                e.1 += 1;
            }
        }
        for &(p, _) in &core_areas {
            patches[p as usize].core_areas += 1;
        }
        drop(core_lab);
        drop(is_core);
        hull::patch_diameters(w, h, &lab, &mut patches);
        super::enn::nearest_neighbours(w, h, cls, &lab, &mut patches, m);
        Analysis {
            class_values,
            total_cells,
            class_cells,
            adj,
            boundary_sides,
            patches,
            core_areas,
        }
    }

    pub fn classes(&self) -> usize {
        self.class_values.len()
    }

    /// Double-count adjacencies between classes i and k (FRAGSTATS g_ik).
    #[inline]
    pub fn g(&self, i: usize, k: usize) -> u64 {
        let m = self.classes();
        if i == k {
            2 * self.adj[i * m + i]
        } else {
            self.adj[i * m + k] + self.adj[k * m + i]
        }
    }

    /// Cell sides between class i and other classes (class total edge in cells).
    pub fn class_edge(&self, i: usize) -> u64 {
        (0..self.classes()).filter(|&k| k != i).map(|k| self.g(i, k)).sum()
    }

    /// Cell sides between different classes, each counted once.
    pub fn landscape_edge(&self) -> u64 {
        let m = self.classes();
        let mut e = 0;
        for i in 0..m {
            for k in i + 1..m {
                e += self.g(i, k);
            }
        }
        e
    }
}
