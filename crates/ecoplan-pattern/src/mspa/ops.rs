//! Binary morphology primitives on a padded `u8` plane, with the exact conventions MSPA needs.
//!
//! All images here are row-major `u8` planes of one fixed size ([`Plane`]); a value ≠ 0 is "set".
//! The distance transform reproduces the integer behaviour of the reference engine bit for bit
//! (including what it returns for an image without any zero pixel), because MSPA thresholds it.

/// Size of the working plane and the neighbour offsets used everywhere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
}

/// 4- or 8-connectivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Graph {
    Four,
    Eight,
}

impl Plane {
    pub fn len(&self) -> usize {
        self.w * self.h
    }

    /// Neighbour offsets in the order N, W, S, E, then NW, NE, SW, SE (8-connectivity).
    pub fn offsets(&self, g: Graph) -> &'static [(isize, isize)] {
        const N8: [(isize, isize); 8] = [
            (0, -1),
            (-1, 0),
            (0, 1),
            (1, 0),
            (-1, -1),
            (1, -1),
            (-1, 1),
            (1, 1),
        ];
        match g {
            Graph::Four => &N8[..4],
            Graph::Eight => &N8[..],
        }
    }

    #[inline]
    pub fn shift(&self, dx: isize, dy: isize) -> isize {
        dx + dy * self.w as isize
    }

    /// True for cells on the outermost one-cell ring.
    #[inline]
    pub fn on_ring(&self, i: usize) -> bool {
        let (x, y) = (i % self.w, i / self.w);
        x == 0 || y == 0 || x + 1 == self.w || y + 1 == self.h
    }

    /// Sets a frame of `width` cells on every side to `value` (clamped to the plane).
    pub fn set_frame(&self, im: &mut [u8], width: usize, value: u8) {
        let (w, h) = (self.w, self.h);
        for y in 0..h {
            let row = &mut im[y * w..(y + 1) * w];
            if y < width || y + width >= h {
                row.fill(value);
            } else {
                let k = width.min(w);
                row[..k].fill(value);
                row[w - k..].fill(value);
            }
        }
    }

    /// Squared Euclidean distance of every cell to the nearest cell where `is_zero` holds
    /// (Meijster–Roerdink–Hesselink two-pass algorithm).
    ///
    /// Integer conventions follow the reference engine exactly: column distances start at
    /// `u32::MAX / 2` where a column has no zero, squares are formed in wrapping `u64` and the
    /// result is truncated to `u32`. Only an image without any zero cell is affected by that; it
    /// then gets the same (meaningless but deterministic) values as the reference.
    pub fn sq_edt(&self, is_zero: impl Fn(usize) -> bool, out: &mut Vec<u32>) {
        let (m, n) = (self.w, self.h);
        const BIG: u32 = u32::MAX / 2;
        let mut g = vec![0u32; m * n];
        for x in 0..m {
            g[x] = if is_zero(x) { 0 } else { BIG };
            for y in 1..n {
                let o = x + y * m;
                g[o] = if is_zero(o) {
                    0
                } else {
                    g[o - m].wrapping_add(1)
                };
            }
            for y in (0..n.saturating_sub(1)).rev() {
                let o = x + y * m;
                if g[o + m] < g[o] {
                    g[o] = g[o + m].wrapping_add(1);
                }
            }
        }
        out.clear();
        out.resize(m * n, 0);
        let mut s = vec![0i64; m];
        let mut t = vec![0i64; m];
        #[inline]
        fn norm(a: i64, b: u32) -> u64 {
            let a = a as u64;
            let b = b as u64;
            a.wrapping_mul(a).wrapping_add(b.wrapping_mul(b))
        }
        #[inline]
        fn squ(a: u64) -> u64 {
            a.wrapping_mul(a)
        }
        for y in 0..n {
            let row = &g[y * m..(y + 1) * m];
            let mut q: i64 = 0;
            s[0] = 0;
            t[0] = 0;
            for x in 1..m as i64 {
                while q >= 0 && {
                    let qi = q as usize;
                    norm(t[qi] - s[qi], row[s[qi] as usize]) > norm(t[qi] - x, row[x as usize])
                } {
                    q -= 1;
                }
                if q < 0 {
                    q = 0;
                    s[0] = x;
                } else {
                    let qi = q as usize;
                    let sq = s[qi];
                    let num = squ(x as u64)
                        .wrapping_sub(squ(sq as u64))
                        .wrapping_add(squ(row[x as usize] as u64))
                        .wrapping_sub(squ(row[sq as usize] as u64));
                    let sep = (num / (2 * (x - sq)) as u64) as i64;
                    let wv = 1 + sep;
                    if wv < m as i64 {
                        q += 1;
                        s[q as usize] = x;
                        t[q as usize] = wv;
                    }
                }
            }
            let orow = &mut out[y * m..(y + 1) * m];
            for x in (0..m as i64).rev() {
                let qi = q as usize;
                orow[x as usize] = norm(x - s[qi], row[s[qi] as usize]) as u32;
                if x == t[qi] {
                    q -= 1;
                }
            }
        }
    }

    /// Cells not set in `im` whose Euclidean distance to the nearest set cell is ≤ `t`.
    pub fn external_boundary(&self, im: &[u8], t: f32, edt: &mut Vec<u32>) -> Vec<u8> {
        self.sq_edt(|i| im[i] != 0, edt);
        im.iter()
            .zip(edt.iter())
            .map(|(&v, &d2)| (v == 0 && edt_distance(d2) <= t) as u8)
            .collect()
    }

    /// Set cells farther than `t` from every unset cell (and closer than 65535, as the reference).
    pub fn core(&self, im: &[u8], t: f32, edt: &mut Vec<u32>) -> Vec<u8> {
        self.sq_edt(|i| im[i] == 0, edt);
        edt.iter()
            .map(|&d2| {
                let d = edt_distance(d2);
                (d > t && d < 65535.0) as u8
            })
            .collect()
    }

    /// Fills the holes of `im`: every cell becomes 1 except the unset cells connected (in `g`,
    /// through unset cells) to an unset cell of the outer ring.
    pub fn fill_holes(&self, im: &[u8], g: Graph) -> Vec<u8> {
        let mut out = vec![1u8; self.len()];
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..self.len() {
            if self.on_ring(i) && im[i] == 0 && out[i] == 1 {
                out[i] = 0;
                stack.push(i);
                self.flood(&mut stack, g, &mut out, 0, |j| im[j] == 0);
            }
        }
        out
    }

    /// Reconstruction by dilation: the cells of `mask` connected (in `g`) to a cell set in both
    /// `mark` and `mask`.
    pub fn reconstruct(&self, mark: &[u8], mask: &[u8], g: Graph) -> Vec<u8> {
        let mut out = vec![0u8; self.len()];
        let mut stack = Vec::new();
        for i in 0..self.len() {
            if mark[i] != 0 && mask[i] != 0 && out[i] == 0 {
                out[i] = 1;
                stack.push(i);
                self.flood(&mut stack, g, &mut out, 1, |j| mask[j] != 0);
            }
        }
        out
    }

    /// Labels the 1-valued cells (outer ring excluded) by connected component; labels start at
    /// 2 and follow the raster order of each component's first cell.
    pub fn label(&self, im: &[u8], g: Graph) -> Vec<u32> {
        let mut lbl = vec![0u32; self.len()];
        let mut next = 1u32;
        let mut stack = Vec::new();
        for i in 0..self.len() {
            if im[i] != 1 || lbl[i] != 0 || self.on_ring(i) {
                continue;
            }
            next += 1;
            lbl[i] = next;
            stack.push(i);
            // Cells off the ring have all their neighbours inside the plane.
            while let Some(c) = stack.pop() {
                for &(dx, dy) in self.offsets(g) {
                    let j = (c as isize + self.shift(dx, dy)) as usize;
                    if im[j] == 1 && lbl[j] == 0 && !self.on_ring(j) {
                        lbl[j] = next;
                        stack.push(j);
                    }
                }
            }
        }
        lbl
    }

    /// Depth-first flood from the cells on `stack`: every neighbour `j` with `passable(j)` and
    /// `state[j] != value` is set to `value` and explored in turn.
    fn flood(
        &self,
        stack: &mut Vec<usize>,
        g: Graph,
        state: &mut [u8],
        value: u8,
        passable: impl Fn(usize) -> bool,
    ) {
        let (w, h) = (self.w as isize, self.h as isize);
        while let Some(c) = stack.pop() {
            let (x, y) = ((c % self.w) as isize, (c / self.w) as isize);
            for &(dx, dy) in self.offsets(g) {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w || ny >= h {
                    continue;
                }
                let j = (ny * w + nx) as usize;
                if state[j] != value && passable(j) {
                    state[j] = value;
                    stack.push(j);
                }
            }
        }
    }
}

/// Distance in the reference engine's single-precision arithmetic: `(float) sqrt((double)(float) d²)`.
#[inline]
pub(crate) fn edt_distance(d2: u32) -> f32 {
    ((d2 as f32) as f64).sqrt() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_edt(p: &Plane, im: &[u8]) -> Vec<u32> {
        (0..p.len())
            .map(|i| {
                let (x, y) = ((i % p.w) as i64, (i / p.w) as i64);
                (0..p.len())
                    .filter(|&j| im[j] == 0)
                    .map(|j| {
                        let (a, b) = ((j % p.w) as i64, (j / p.w) as i64);
                        ((x - a) * (x - a) + (y - b) * (y - b)) as u32
                    })
                    .min()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn edt_matches_brute_force() {
        let p = Plane { w: 13, h: 9 };
        let mut state = 12345u64;
        for _ in 0..20 {
            let im: Vec<u8> = (0..p.len())
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 33) % 7 != 0) as u8
                })
                .collect();
            if im.iter().all(|&v| v != 0) {
                continue;
            }
            let mut out = Vec::new();
            p.sq_edt(|i| im[i] == 0, &mut out);
            assert_eq!(out, brute_edt(&p, &im));
        }
    }

    #[test]
    fn edt_without_zero_reproduces_reference_wraparound() {
        // The reference returns (row - 1)² for an image without zeros (u32 truncation of
        // (2³¹ - 1 + row)²); MSPA relies on this only inside its padding frame.
        let p = Plane { w: 4, h: 5 };
        let mut out = Vec::new();
        p.sq_edt(|_| false, &mut out);
        let rows: Vec<u32> = (0..5).map(|y| out[y * 4]).collect();
        assert_eq!(rows, vec![1, 0, 1, 4, 9]);
    }

    #[test]
    fn fill_holes_respects_connectivity() {
        // A diagonal-closed ring: the centre is a hole for 4-connected background only.
        let p = Plane { w: 5, h: 5 };
        #[rustfmt::skip]
        let im = vec![
            0,0,0,0,0,
            0,0,1,0,0,
            0,1,0,1,0,
            0,0,1,0,0,
            0,0,0,0,0u8];
        assert_eq!(p.fill_holes(&im, Graph::Four)[12], 1);
        assert_eq!(p.fill_holes(&im, Graph::Eight)[12], 0);
    }

    #[test]
    fn labels_start_at_two_in_raster_order() {
        let p = Plane { w: 5, h: 4 };
        #[rustfmt::skip]
        let im = vec![
            0,0,0,0,0,
            0,0,1,0,0,
            0,1,0,0,0,
            0,0,0,0,0u8];
        assert_eq!(p.label(&im, Graph::Eight)[7], 2);
        assert_eq!(p.label(&im, Graph::Eight)[11], 2);
        assert_eq!(p.label(&im, Graph::Four)[11], 3);
    }
}
