//! Anchored order-independent binary thinning (Iwanowski & Soille 2005), queue version.
//!
//! Every round removes, all at once, the simple non-anchor pixels that are "independent" of
//! their simple neighbours; the candidates of the next round are the neighbours of the pixels
//! just removed. Endpoints are simple, so branches shrink away and only the paths that join
//! anchors (MSPA cores) survive. The independence rules decide which pixel of a symmetric
//! configuration survives; they are reproduced exactly because MSPA's connector classes depend
//! on the resulting skeleton pixel by pixel.

use super::ops::Plane;
use std::sync::OnceLock;

/// Neighbour bit order used by the configuration codes: W, E, N, S, NW, SW, NE, SE.
const DIRS: [(isize, isize); 8] = [
    (-1, 0),
    (1, 0),
    (0, -1),
    (0, 1),
    (-1, -1),
    (-1, 1),
    (1, -1),
    (1, 1),
];
const W: usize = 0;
const E: usize = 1;
const N: usize = 2;
const S: usize = 3;
const NW: usize = 4;
const SW: usize = 5;
const NE: usize = 6;
const SE: usize = 7;

/// Independence of a pixel and a diagonal simple neighbour, by whether the two 4-neighbours
/// they share are set (code = b | a << 1). Row 0: 8-connected foreground, row 1: 4-connected.
const PAIR_DIAGONAL: [[bool; 4]; 2] = [[false, true, true, true], [true, true, true, false]];
/// Independence of a pixel and a 4-neighbour simple neighbour, by the four cells flanking the
/// pair (code = d | c << 1 | b << 2 | a << 3).
const PAIR_FOUR: [u16; 2] = [0b0001_0001_0001_1110, 0b0111_1000_1000_1000];
/// Cells flanking a pair (a, b, c, d) for the 4-neighbours W, E, N, S.
const FLANK_FOUR: [[usize; 4]; 4] = [
    [N, NW, S, SW],
    [N, NE, S, SE],
    [W, NW, E, NE],
    [W, SW, E, SE],
];
/// The two cells (a, b) shared by a pixel and its diagonal neighbours NW, SW, NE, SE.
const FLANK_DIAG: [[usize; 2]; 4] = [[W, N], [S, W], [N, E], [E, S]];

/// Simple-point tables for (8, 4) and (4, 8) topology, indexed by the 8-bit neighbour code.
fn simple_tables() -> &'static [[bool; 256]; 2] {
    static T: OnceLock<[[bool; 256]; 2]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [[false; 256]; 2];
        for code in 0..256usize {
            t[0][code] = is_simple(code, true);
            t[1][code] = is_simple(code, false);
        }
        t
    })
}

/// A pixel is simple when its foreground neighbours that touch it form exactly one component
/// and so do its background neighbours (each in its own connectivity, within the 3×3 window).
fn is_simple(code: usize, fg8: bool) -> bool {
    let cells = |set: bool| -> Vec<(isize, isize)> {
        (0..8)
            .filter(|&k| ((code >> k) & 1 == 1) == set)
            .map(|k| DIRS[k])
            .collect()
    };
    let adjacent = |a: (isize, isize), b: (isize, isize), eight: bool| {
        let (dx, dy) = ((a.0 - b.0).abs(), (a.1 - b.1).abs());
        if eight {
            dx.max(dy) == 1
        } else {
            dx + dy == 1
        }
    };
    let touching_components = |set: Vec<(isize, isize)>, eight: bool| -> usize {
        let mut seen = vec![false; set.len()];
        let mut count = 0;
        for start in 0..set.len() {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let mut touches = false;
            while let Some(c) = stack.pop() {
                touches |= adjacent(set[c], (0, 0), eight);
                for j in 0..set.len() {
                    if !seen[j] && adjacent(set[c], set[j], eight) {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            count += touches as usize;
        }
        count
    };
    touching_components(cells(true), fg8) == 1 && touching_components(cells(false), !fg8) == 1
}

struct Thinner<'a> {
    img: &'a mut [u8],
    anchor: &'a [u8],
    sh: [isize; 8],
    table: &'a [bool; 256],
    /// 0 for 8-connected foreground, 1 for 4-connected.
    stype: usize,
}

impl Thinner<'_> {
    #[inline]
    fn at(&self, pos: usize, k: usize) -> usize {
        (pos as isize + self.sh[k]) as usize
    }

    #[inline]
    fn simple(&self, pos: usize) -> bool {
        if self.img[pos] == 0 {
            return false;
        }
        let mut code = 0usize;
        for k in 0..8 {
            code |= ((self.img[self.at(pos, k)] == 1) as usize) << k;
        }
        self.table[code]
    }

    /// Neighbour `q` of `pos` is a removable simple pixel of the same value.
    #[inline]
    fn simple_neighbour(&self, pos: usize, q: usize) -> bool {
        self.anchor[q] == 0 && self.simple(q) && self.img[pos] == self.img[q]
    }

    #[inline]
    fn ge(&self, pos: usize, k: usize) -> bool {
        self.img[self.at(pos, k)] >= self.img[pos]
    }

    /// Independence of `pos` and its neighbour in direction `k`: (independent, configuration
    /// type, first and second flanking direction).
    fn pair(&self, pos: usize, k: usize) -> (bool, u32, usize, usize) {
        if k < 4 {
            let [a, b, c, d] = FLANK_FOUR[k];
            let code = self.ge(pos, d) as usize
                | (self.ge(pos, c) as usize) << 1
                | (self.ge(pos, b) as usize) << 2
                | (self.ge(pos, a) as usize) << 3;
            let ok = (PAIR_FOUR[self.stype] >> code) & 1 == 1;
            (ok, code as u32 + 5, a, b)
        } else {
            let [a, b] = FLANK_DIAG[k - 4];
            let code = self.ge(pos, b) as usize | (self.ge(pos, a) as usize) << 1;
            (PAIR_DIAGONAL[self.stype][code], code as u32 + 1, a, b)
        }
    }

    fn count_ge(&self, pos: usize, n: usize) -> usize {
        (0..n).filter(|&k| self.ge(pos, k)).count()
    }

    fn independent(&self, pos: usize) -> bool {
        let mut all = true;
        let mut simple_count = 0usize;
        let mut last_conf = 0u32;
        let (mut ct, mut fa, mut fb) = (0u32, 0usize, 0usize);
        for k in 0..8 {
            if !all {
                break;
            }
            if self.simple_neighbour(pos, self.at(pos, k)) {
                simple_count += 1;
                let (ok, conf, a, b) = self.pair(pos, k);
                last_conf = conf;
                if !ok {
                    all = false;
                    ct = conf;
                    fa = a;
                    fb = b;
                }
            }
        }
        if all {
            ct = last_conf;
        }
        if !all && self.stype == 1 {
            // 4-connected foreground: an "edge" configuration of two diagonal simple pixels may
            // still be thinned unless it is an isolated 2×2 quadruple.
            if ct == 4
                && self.simple_neighbour(pos, self.at(pos, fa))
                && self.simple_neighbour(pos, self.at(pos, fb))
            {
                let lower = (0..4)
                    .filter(|&k| self.img[self.at(pos, k)] < self.img[pos])
                    .count();
                if lower == 2 {
                    all = true;
                    let mut differs = false;
                    for k in 0..4 {
                        if differs {
                            break;
                        }
                        let q = self.at(pos, k);
                        if self.simple_neighbour(pos, q) && self.count_ge(q, 4) != 2 {
                            differs = true;
                        }
                    }
                    if !differs {
                        all = false;
                    }
                }
            }
            return all;
        }
        if all {
            // A pixel of an isolated triple or quadruple of mutually simple pixels is kept.
            let suspicious = (simple_count == 2 && matches!(ct, 2 | 3 | 6 | 7 | 9 | 13))
                || (simple_count == 3 && matches!(ct, 4 | 8 | 17));
            if suspicious {
                let mut differs = false;
                for k in 0..8 {
                    if differs {
                        break;
                    }
                    let q = self.at(pos, k);
                    if self.simple_neighbour(pos, q) && self.count_ge(q, 8) != simple_count {
                        differs = true;
                    }
                }
                if !differs {
                    all = false;
                }
            }
        }
        all
    }

    #[inline]
    fn removable(&self, pos: usize) -> bool {
        self.anchor[pos] == 0 && self.simple(pos) && self.independent(pos)
    }
}

/// Thins `img` (0/1) in place, never removing pixels set in `anchor`. Both images get a
/// two-pixel frame of zeros first (as the reference does; MSPA crops that frame later).
pub(crate) fn thin_anchored(p: &Plane, img: &mut [u8], anchor: &mut [u8], fg8: bool) {
    if p.w < 5 || p.h < 5 {
        p.set_frame(img, 2, 0);
        p.set_frame(anchor, 2, 0);
        return;
    }
    p.set_frame(img, 2, 0);
    p.set_frame(anchor, 2, 0);
    let w = p.w as isize;
    let mut sh = [0isize; 8];
    for (k, &(dx, dy)) in DIRS.iter().enumerate() {
        sh[k] = dx + dy * w;
    }
    let stype = if fg8 { 0 } else { 1 };
    let t = Thinner {
        img,
        anchor,
        sh,
        table: &simple_tables()[stype],
        stype,
    };
    let n = p.len();
    let mut queued = vec![false; n];
    let mut current: Vec<usize> = Vec::new();
    for i in 2 * p.w + 2..n - 2 * p.w - 2 {
        if t.removable(i) {
            queued[i] = true;
            current.push(i);
        }
    }
    let mut next = Vec::new();
    while !current.is_empty() {
        for &i in &current {
            queued[i] = false;
            t.img[i] = 0;
        }
        for &i in &current {
            for k in 0..8 {
                let q = t.at(i, k);
                if !queued[q] && t.removable(q) {
                    queued[q] = true;
                    next.push(q);
                }
            }
        }
        std::mem::swap(&mut current, &mut next);
        next.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_points_follow_topology() {
        let t = simple_tables();
        // Isolated point and interior point are never simple; an end point is.
        assert!(!t[0][0] && !t[1][0]);
        assert!(!t[0][255] && !t[1][255]);
        assert!(t[0][1 << W] && t[1][1 << W]);
        // A lone diagonal neighbour: an end point for 8-connectivity, an isolated pixel for 4.
        assert!(t[0][1 << NW]);
        assert!(!t[1][1 << NW]);
        // Removing the centre of W–centre–E would split the line.
        assert!(!t[0][(1 << W) | (1 << E)]);
        // Known table sizes of the (8,4) and (4,8) simple configurations.
        assert_eq!(t[0].iter().filter(|&&b| b).count(), 116);
        assert_eq!(t[1].iter().filter(|&&b| b).count(), 116);
    }

    #[test]
    fn branch_without_anchor_shrinks_to_a_pair() {
        // Both ends go in each round; the last two pixels are not independent (removing both
        // would delete the component), so an even-length line stops at two pixels.
        let p = Plane { w: 12, h: 7 };
        let mut img = vec![0u8; p.len()];
        for x in 3..9 {
            img[3 * p.w + x] = 1;
        }
        let mut anchor = vec![0u8; p.len()];
        thin_anchored(&p, &mut img, &mut anchor, true);
        let kept: Vec<usize> = (0..p.len()).filter(|&i| img[i] == 1).collect();
        assert_eq!(kept, vec![3 * p.w + 5, 3 * p.w + 6]);
        // An odd-length line stops at one pixel.
        let mut img = vec![0u8; p.len()];
        for x in 3..8 {
            img[3 * p.w + x] = 1;
        }
        thin_anchored(&p, &mut img, &mut anchor, true);
        assert_eq!(img.iter().filter(|&&v| v == 1).count(), 1);
    }

    #[test]
    fn path_between_anchors_survives() {
        let p = Plane { w: 14, h: 7 };
        let mut img = vec![0u8; p.len()];
        let mut anchor = vec![0u8; p.len()];
        for y in 2..5 {
            for x in 2..12 {
                img[y * p.w + x] = 1;
            }
        }
        anchor[3 * p.w + 2] = 1;
        anchor[3 * p.w + 11] = 1;
        thin_anchored(&p, &mut img, &mut anchor, true);
        // A one-pixel-wide 8-connected path joins the anchors.
        let kept = img.iter().filter(|&&v| v == 1).count();
        assert!((10..=12).contains(&kept), "{kept}");
        for x in 2..12 {
            assert!((2..5).any(|y| img[y * p.w + x] == 1), "gap at column {x}");
        }
    }
}
