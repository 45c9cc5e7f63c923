//! Area tables by class and administrative unit, in 公顷, 亩, km² and %.

use ecoplan_grid::units::Area;
use ecoplan_grid::Grid;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// One row: a class within a unit (unit `None` = whole region).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    pub unit: Option<i64>,
    pub class: u8,
    pub cells: u64,
    pub area: Area,
    /// Share of the unit's classified area, %.
    pub percent: f64,
}

impl AreaRow {
    pub fn ha(&self) -> f64 {
        self.area.ha()
    }
    pub fn mu(&self) -> f64 {
        self.area.mu()
    }
    pub fn km2(&self) -> f64 {
        self.area.km2()
    }
}

/// Area of each class (codes > 0) for the whole region and, with `units`, per unit id
/// (unit ≤ 0 or `None` cells are outside every unit).
pub fn area_table(
    classes: &[u8],
    cell_area_m2: f64,
    units: Option<&[Option<i64>]>,
) -> Vec<AreaRow> {
    let mut by: BTreeMap<(Option<i64>, u8), u64> = BTreeMap::new();
    for (i, &c) in classes.iter().enumerate() {
        if c == 0 {
            continue;
        }
        *by.entry((None, c)).or_default() += 1;
        if let Some(u) = units {
            if let Some(id) = u[i] {
                *by.entry((Some(id), c)).or_default() += 1;
            }
        }
    }
    rows_from_counts(by, cell_area_m2)
}

/// [`area_table`] with the units as an id grid (nodata and 0 = outside every unit), counted in
/// one parallel pass with per-unit class histograms: no per-cell unit copy, same rows.
pub fn area_table_by_unit(
    classes: &[u8],
    cell_area_m2: f64,
    units: Option<&Grid<i32>>,
) -> Vec<AreaRow> {
    type Counts = HashMap<Option<i32>, [u64; 256]>;
    const CHUNK: usize = 1 << 16;
    let counts: Counts = classes
        .par_chunks(CHUNK)
        .enumerate()
        .fold(Counts::new, |mut acc, (k, chunk)| {
            let base = k * CHUNK;
            let mut region = [0u64; 256];
            // consecutive cells mostly share a unit: cache its histogram's key
            let mut last: Option<(i32, [u64; 256])> = None;
            for (j, &c) in chunk.iter().enumerate() {
                if c == 0 {
                    continue;
                }
                region[c as usize] += 1;
                let Some(ug) = units else { continue };
                let v = ug.data[base + j];
                if ug.is_nodata(v) || v == 0 {
                    continue;
                }
                match &mut last {
                    Some((id, h)) if *id == v => h[c as usize] += 1,
                    _ => {
                        if let Some((id, h)) = last.take() {
                            add_hist(acc.entry(Some(id)).or_insert([0; 256]), &h);
                        }
                        let mut h = [0u64; 256];
                        h[c as usize] = 1;
                        last = Some((v, h));
                    }
                }
            }
            if let Some((id, h)) = last {
                add_hist(acc.entry(Some(id)).or_insert([0; 256]), &h);
            }
            add_hist(acc.entry(None).or_insert([0; 256]), &region);
            acc
        })
        .reduce(Counts::new, |mut a, b| {
            for (k, h) in b {
                add_hist(a.entry(k).or_insert([0; 256]), &h);
            }
            a
        });
    let mut by: BTreeMap<(Option<i64>, u8), u64> = BTreeMap::new();
    for (unit, h) in &counts {
        for (c, &n) in h.iter().enumerate() {
            if n > 0 {
                by.insert((unit.map(i64::from), c as u8), n);
            }
        }
    }
    rows_from_counts(by, cell_area_m2)
}

fn add_hist(into: &mut [u64; 256], from: &[u64; 256]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

fn rows_from_counts(by: BTreeMap<(Option<i64>, u8), u64>, cell_area_m2: f64) -> Vec<AreaRow> {
    let mut totals: BTreeMap<Option<i64>, u64> = BTreeMap::new();
    for ((u, _), n) in &by {
        *totals.entry(*u).or_default() += n;
    }
    by.into_iter()
        .map(|((unit, class), cells)| AreaRow {
            unit,
            class,
            cells,
            area: Area::from_m2(cells as f64 * cell_area_m2),
            percent: 100.0 * cells as f64 / totals[&unit] as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn areas_and_shares() {
        let classes = [3u8, 3, 2, 1, 0];
        let units = [Some(1), Some(2), Some(2), Some(2), None];
        let rows = area_table(&classes, 900.0, Some(&units));
        let region3 = rows
            .iter()
            .find(|r| r.unit.is_none() && r.class == 3)
            .unwrap();
        assert_eq!(region3.cells, 2);
        assert!((region3.ha() - 0.18).abs() < 1e-12);
        assert!((region3.mu() - 2.7).abs() < 1e-9);
        assert!((region3.percent - 50.0).abs() < 1e-12);
        let u1 = rows.iter().find(|r| r.unit == Some(1)).unwrap();
        assert_eq!(u1.percent, 100.0);
    }

    #[test]
    fn unit_grid_table_equals_the_per_cell_one() {
        use ecoplan_grid::{GeoTransform, GridSpec};
        // 300×400 cells, several units (with nodata, 0 and a negative id) across chunk borders
        let (w, h) = (300usize, 400usize);
        let n = w * h;
        let classes: Vec<u8> = (0..n).map(|i| ((i * 7 + i / 13) % 5) as u8).collect();
        let ids: Vec<i32> = (0..n)
            .map(|i| match (i / 977) % 6 {
                0 => -9999,
                1 => 0,
                2 => -3,
                k => k as i32 * 11,
            })
            .collect();
        let spec = GridSpec::new(w, h, GeoTransform::north_up(0.0, 0.0, 30.0), None);
        let g = Grid::from_vec(&spec, ids.clone(), Some(-9999)).unwrap();
        let per_cell: Vec<Option<i64>> = ids
            .iter()
            .map(|&v| {
                if v == -9999 || v == 0 {
                    None
                } else {
                    Some(v as i64)
                }
            })
            .collect();
        assert_eq!(
            area_table_by_unit(&classes, 900.0, Some(&g)),
            area_table(&classes, 900.0, Some(&per_cell))
        );
        assert_eq!(
            area_table_by_unit(&classes, 900.0, None),
            area_table(&classes, 900.0, None)
        );
        assert!(area_table_by_unit(&classes, 900.0, Some(&g)).len() > 10);
    }
}
