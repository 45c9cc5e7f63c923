//! Drainage for the demo: depression filling (Priority-Flood with ε, Barnes et al. 2014),
//! D8 flow directions and flow accumulation. Kept small and local to the demo; the assessment
//! crates have their own routing for the services that need it.

use ecoplan_grid::Grid;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// D8 neighbour offsets (col, row), clockwise from east.
pub const D8: [(isize, isize); 8] = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)];
/// "No downstream cell" (outlet or nodata).
pub const NO_FLOW: u8 = 255;

#[derive(PartialEq)]
struct Item(f64, u32);
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        // Min-heap on elevation, ties by index for determinism.
        o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

pub struct Flow {
    /// Index into [`D8`] of each cell's downstream neighbour, [`NO_FLOW`] at outlets/nodata.
    pub dir: Grid<u8>,
    /// Number of cells draining through each cell, itself included (0 for nodata).
    pub acc: Grid<u32>,
}

/// Fills depressions so every valid cell drains to the grid edge or to a nodata cell, routes
/// each cell to its steepest-descent neighbour, and accumulates.
pub fn d8_flow(dem: &Grid<f32>) -> Flow {
    let (w, h) = (dem.width, dem.height);
    let n = w * h;
    let valid: Vec<bool> = dem.data.iter().map(|v| v.is_finite()).collect();
    let mut filled: Vec<f64> = dem.data.iter().map(|&v| v as f64).collect();
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    let neighbours = |i: usize| {
        let (c, r) = ((i % w) as isize, (i / w) as isize);
        D8.iter().enumerate().filter_map(move |(k, (dc, dr))| {
            let (cc, rr) = (c + dc, r + dr);
            (cc >= 0 && rr >= 0 && (cc as usize) < w && (rr as usize) < h).then(|| (k, rr as usize * w + cc as usize))
        })
    };
    // Seeds: valid cells on the edge or next to nodata.
    for i in 0..n {
        if !valid[i] {
            continue;
        }
        let (c, r) = (i % w, i / w);
        let edge = c == 0 || r == 0 || c == w - 1 || r == h - 1 || neighbours(i).any(|(_, j)| !valid[j]);
        if edge {
            done[i] = true;
            heap.push(Item(filled[i], i as u32));
        }
    }
    let mut order: Vec<u32> = Vec::with_capacity(n);
    while let Some(Item(z, i)) = heap.pop() {
        let i = i as usize;
        order.push(i as u32);
        for (_, j) in neighbours(i) {
            if valid[j] && !done[j] {
                done[j] = true;
                // ε makes filled flats drain: each step away from the outlet is a little higher.
                let eps = (z.abs() * 1e-12).max(1e-6);
                if filled[j] <= z {
                    filled[j] = z + eps;
                }
                heap.push(Item(filled[j], j as u32));
            }
        }
    }
    // Steepest descent on the filled surface.
    let cs = dem.transform.cell_width();
    let mut dir = vec![NO_FLOW; n];
    for i in 0..n {
        if !valid[i] {
            continue;
        }
        let (c, r) = (i % w, i / w);
        if c == 0 || r == 0 || c == w - 1 || r == h - 1 {
            continue; // edge cells drain out of the grid
        }
        let mut best = (0.0f64, NO_FLOW);
        for (k, j) in neighbours(i) {
            if !valid[j] {
                best = (f64::INFINITY, k as u8); // flows into nodata: leaves the grid
                break;
            }
            let dist = if k % 2 == 0 { cs } else { cs * std::f64::consts::SQRT_2 };
            let drop = (filled[i] - filled[j]) / dist;
            if drop > best.0 {
                best = (drop, k as u8);
            }
        }
        dir[i] = best.1;
    }
    // Accumulate from the highest filled cell down (reverse of the flood order).
    let mut acc: Vec<u32> = valid.iter().map(|&v| u32::from(v)).collect();
    for &i in order.iter().rev() {
        let i = i as usize;
        let d = dir[i];
        if d == NO_FLOW {
            continue;
        }
        let (dc, dr) = D8[d as usize];
        let j = ((i / w) as isize + dr) as usize * w + ((i % w) as isize + dc) as usize;
        if valid[j] {
            acc[j] += acc[i];
        }
    }
    let spec = dem.spec();
    Flow {
        dir: Grid::from_vec(&spec, dir, Some(NO_FLOW)).expect("sized"),
        acc: Grid::from_vec(&spec, acc, Some(0)).expect("sized"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, GridSpec};

    #[test]
    fn a_valley_with_a_pit_drains_everything_to_one_outlet() {
        // V-shaped valley sloping south, with a pit in the middle of the channel.
        let (w, h) = (9usize, 12usize);
        let spec = GridSpec::new(w, h, GeoTransform::north_up(0.0, 360.0, 30.0), None);
        let mut z: Vec<f32> = (0..w * h)
            .map(|i| {
                let (c, r) = ((i % w) as f32, (i / w) as f32);
                100.0 + 5.0 * (c - 4.0).abs() + 2.0 * (h as f32 - r)
            })
            .collect();
        z[6 * w + 4] = 50.0; // pit
        let dem = Grid::from_vec(&spec, z, None).unwrap();
        let f = d8_flow(&dem);
        // Every interior cell drains somewhere.
        for r in 1..h - 1 {
            for c in 1..w - 1 {
                assert_ne!(f.dir.get(c, r), NO_FLOW, "({c},{r})");
            }
        }
        // The channel cell just above the southern edge collects the interior valley.
        let outlet_acc = f.acc.get(4, h - 2);
        assert!(outlet_acc >= ((w - 2) * (h - 3)) as u32 / 2, "acc {outlet_acc}");
        // Accumulation grows monotonically down the channel, through the pit.
        for r in 1..h - 2 {
            assert!(f.acc.get(4, r + 1) > f.acc.get(4, r), "row {r}");
        }
    }
}
