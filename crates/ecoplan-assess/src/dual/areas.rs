//! Area tables by class and administrative unit, in 公顷, 亩, km² and %.

use ecoplan_grid::units::Area;
use std::collections::BTreeMap;

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
}
