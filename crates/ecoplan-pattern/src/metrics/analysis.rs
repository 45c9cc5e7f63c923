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

/// Which of the costlier per-patch statistics to gather.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Needs {
    /// Mean distance to the centroid (GYRATE): a second pass over the cells.
    pub gyrate: bool,
    /// Disjunct core areas (NCORE, NDCA, DCAD, DCORE): labelling of the core cells.
    pub core_areas: bool,
    /// Largest corner distance (CIRCLE): convex hulls.
    pub diameter: bool,
    /// Nearest-neighbour distance (ENN): bucket search over boundary cells.
    pub enn: bool,
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
    pub fn new(
        width: usize,
        height: usize,
        cls: &[u32],
        class_values: Vec<i64>,
        needs: Needs,
    ) -> Analysis {
        let (w, h) = (width, height);
        let m = class_values.len();
        // Classes framed by one OUTSIDE cell: neighbours never need bounds checks.
        let pw = w + 2;
        let mut pc = vec![OUTSIDE; pw * (h + 2)];
        for y in 0..h {
            pc[(y + 1) * pw + 1..(y + 1) * pw + 1 + w].copy_from_slice(&cls[y * w..(y + 1) * w]);
        }
        let (plab, npatch) = label8(pw, h + 2, |i| pc[i] != OUTSIDE, |i, j| pc[i] == pc[j]);
        let mut patches = vec![Patch::default(); npatch as usize];
        let mut class_cells = vec![0u64; m];
        let mut adj = vec![0u64; m * m];
        let mut boundary_sides = vec![0u64; m];
        let mut total_cells = 0u64;
        let mut is_core = vec![false; w * h];
        let mut lab = vec![u32::MAX; w * h];
        for y in 0..h {
            for x in 0..w {
                let ip = (y + 1) * pw + x + 1;
                let c = pc[ip];
                if c == OUTSIDE {
                    continue;
                }
                let l = plab[ip];
                lab[y * w + x] = l;
                let p = &mut patches[l as usize];
                p.class = c;
                p.cells += 1;
                p.sum_x += x as f64;
                p.sum_y += y as f64;
                total_cells += 1;
                let ci = c as usize;
                class_cells[ci] += 1;
                let (wn, en, nn, sn) = (pc[ip - 1], pc[ip + 1], pc[ip - pw], pc[ip + pw]);
                let mut same4 = 0u64;
                for k in [wn, en, nn, sn] {
                    if k == c {
                        same4 += 1;
                    } else {
                        p.perimeter += 1;
                        if k == OUTSIDE {
                            boundary_sides[ci] += 1;
                        }
                    }
                }
                if en != OUTSIDE {
                    adj[ci * m + en as usize] += 1;
                }
                if sn != OUTSIDE {
                    adj[ci * m + sn as usize] += 1;
                }
                let diag = (pc[ip - pw - 1] == c) as u64
                    + (pc[ip - pw + 1] == c) as u64
                    + (pc[ip + pw - 1] == c) as u64
                    + (pc[ip + pw + 1] == c) as u64;
                p.contig_sum += 1 + 2 * same4 + diag;
                if same4 == 4 {
                    p.core_cells += 1;
                    is_core[y * w + x] = true;
                }
            }
        }
        drop(plab);
        drop(pc);
        // Centroid distances (GYRATE).
        for y in (0..h).filter(|_| needs.gyrate) {
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
        let mut core_areas = Vec::new();
        if needs.core_areas {
            let (core_lab, ncore) = label8(w, h, |i| is_core[i], |_, _| true);
            core_areas = vec![(0u32, 0u64); ncore as usize];
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
        }
        drop(is_core);
        if needs.diameter {
            hull::patch_diameters(w, h, &lab, &mut patches);
        }
        if needs.enn {
            super::enn::nearest_neighbours(w, h, cls, &lab, &mut patches, m);
        }
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
        (0..self.classes())
            .filter(|&k| k != i)
            .map(|k| self.g(i, k))
            .sum()
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
