//! Landscape (spatial) conflict index SCCI = CI + FI − SI per unit (METHODS §4.1 step 3, after
//! 周国华 & 彭佳捷 2012):
//! - CI, complexity: area-weighted mean patch fractal dimension Σ [2·ln(0.25·P_ij)/ln a_ij]·(a_ij/A)
//!   (P in m, a in m²; patches are 8-connected cells of one land-use class inside the unit);
//! - FI, fragility: Σ F_k·a_k/A with the class weights of a table divided by its largest weight
//!   (so FI is 0–1; preset 建设 1 … 未利用 6);
//! - SI, stability: 1 − PD_norm, PD = patches per 100 ha, min–max normalised over the units.
//!
//! The raw index is min–max normalised to 0–1 over the units and graded in quarters:
//! 1 稳定可控 [0, 0.25), 2 基本可控 [0.25, 0.5), 3 基本失控 [0.5, 0.75), 4 严重失控 [0.75, 1].

use super::{check_aligned, csv_rows, ZoningError};
use ecoplan_grid::Grid;
use std::collections::BTreeMap;

/// Land-use class → fragility weight (`presets/zoning/fragility_common_classes.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct FragilityTable {
    pub weights: BTreeMap<u32, f64>,
}

impl FragilityTable {
    /// Columns `code` and `fragility` (positive numbers); every problem is reported.
    pub fn from_csv(text: &str) -> Result<FragilityTable, ZoningError> {
        const T: &str = "fragility table";
        let rows = csv_rows(text, T, &["code", "fragility"])?;
        let mut weights = BTreeMap::new();
        let mut problems = Vec::new();
        for (n, r) in rows.iter().enumerate() {
            let code = r["code"].parse::<u32>();
            let w = r["fragility"].parse::<f64>();
            match (code, w) {
                (Ok(c), Ok(w)) if w.is_finite() && w > 0.0 => {
                    if weights.insert(c, w).is_some() {
                        problems.push(format!("row {}: 代码 {c} 重复 duplicate code", n + 2));
                    }
                }
                _ => problems.push(format!(
                    "row {}: code `{}` / fragility `{}` 应为非负整数 / 正数",
                    n + 2,
                    r["code"],
                    r["fragility"]
                )),
            }
        }
        if weights.is_empty() && problems.is_empty() {
            problems.push("表为空 no rows".into());
        }
        if problems.is_empty() {
            Ok(FragilityTable { weights })
        } else {
            Err(ZoningError::Preset { table: T, problems })
        }
    }

    fn max(&self) -> f64 {
        self.weights.values().copied().fold(0.0, f64::max)
    }
}

/// The conflict-index grades (quarters of the normalised SCCI).
pub const SCCI_GRADES: [&str; 4] = ["稳定可控", "基本可控", "基本失控", "严重失控"];

/// Per-unit components of [`landscape_conflict`] (index = unit id; unit 0 and units without
/// valid cells hold NaN and grade 0).
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeConflict {
    pub cells: Vec<u64>,
    pub patches: Vec<u32>,
    /// Patch density, patches per 100 ha.
    pub pd: Vec<f64>,
    pub ci: Vec<f64>,
    pub fi: Vec<f64>,
    pub si: Vec<f64>,
    /// CI + FI − SI.
    pub raw: Vec<f64>,
    /// Raw index min–max normalised over the units, 0–1.
    pub scci: Vec<f64>,
    /// 1–4 (see [`SCCI_GRADES`]), 0 for no data.
    pub grade: Vec<u8>,
}

impl LandscapeConflict {
    /// The normalised index painted on the units' cells (NaN elsewhere).
    pub fn paint(&self, units: &Grid<u32>) -> Grid<f32> {
        let mut out = Grid::filled(&units.spec(), f32::NAN, Some(f32::NAN));
        for (o, u) in out.data.iter_mut().zip(&units.data) {
            if let Some(v) = self.scci.get(*u as usize) {
                *o = *v as f32;
            }
        }
        out
    }
}

/// Grade of a normalised SCCI value (1–4).
pub fn scci_grade(v: f64) -> u8 {
    match v {
        v if v < 0.25 => 1,
        v if v < 0.5 => 2,
        v if v < 0.75 => 3,
        _ => 4,
    }
}

/// SCCI of every unit of `units` (0 = none) from `landuse` (nodata cells are left out).
pub fn landscape_conflict(
    landuse: &Grid<u32>,
    units: &Grid<u32>,
    table: &FragilityTable,
) -> Result<LandscapeConflict, ZoningError> {
    check_aligned(&landuse.spec(), &units.spec(), "land use vs units")?;
    let (w, h) = (landuse.width, landuse.height);
    let dx = landuse.transform.cell_width().abs();
    let dy = landuse.transform.cell_height().abs();
    let cell_area = dx * dy;
    let n_units = units.data.iter().copied().max().unwrap_or(0) as usize + 1;
    let valid = |i: usize| {
        let u = units.data[i];
        u != 0 && !units.is_nodata(u) && !landuse.is_nodata(landuse.data[i])
    };
    // Unknown classes first, all at once.
    let mut unknown: Vec<i64> = Vec::new();
    for i in 0..landuse.data.len() {
        if valid(i) && !table.weights.contains_key(&landuse.data[i]) {
            unknown.push(landuse.data[i] as i64);
        }
    }
    if !unknown.is_empty() {
        unknown.sort_unstable();
        unknown.dedup();
        return Err(ZoningError::UnknownClasses { codes: unknown });
    }
    let fmax = table.max();
    let mut cells = vec![0u64; n_units];
    let mut patches = vec![0u32; n_units];
    let mut frac_area = vec![0.0f64; n_units];
    let mut fragility = vec![0.0f64; n_units];
    let mut seen = vec![false; landuse.data.len()];
    let mut stack = Vec::new();
    let same = |i: usize, j: usize| {
        valid(j) && units.data[j] == units.data[i] && landuse.data[j] == landuse.data[i]
    };
    for s in 0..landuse.data.len() {
        if seen[s] || !valid(s) {
            continue;
        }
        let u = units.data[s] as usize;
        seen[s] = true;
        stack.push(s);
        let (mut n, mut perim) = (0u64, 0.0f64);
        while let Some(i) = stack.pop() {
            n += 1;
            let (r, c) = ((i / w) as isize, (i % w) as isize);
            // Edges to anything but the same patch count as perimeter (4-neighbours).
            for (dr, dc, len) in [(-1, 0, dx), (1, 0, dx), (0, -1, dy), (0, 1, dy)] {
                let (rr, cc) = (r + dr, c + dc);
                let inside = rr >= 0 && cc >= 0 && (rr as usize) < h && (cc as usize) < w;
                if !inside || !same(i, rr as usize * w + cc as usize) {
                    perim += len;
                }
            }
            // Patch membership: 8-neighbours (FRAGSTATS' default rule).
            for dr in -1..=1isize {
                for dc in -1..=1isize {
                    let (rr, cc) = (r + dr, c + dc);
                    if (dr, dc) == (0, 0)
                        || rr < 0
                        || cc < 0
                        || rr as usize >= h
                        || cc as usize >= w
                    {
                        continue;
                    }
                    let j = rr as usize * w + cc as usize;
                    if !seen[j] && same(i, j) {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let a = n as f64 * cell_area;
        let frac = if a > 1.0 && perim > 0.0 {
            2.0 * (0.25 * perim).ln() / a.ln()
        } else {
            1.0
        };
        cells[u] += n;
        patches[u] += 1;
        frac_area[u] += frac * a;
        fragility[u] += table.weights[&landuse.data[s]] / fmax * a;
    }
    let nan = vec![f64::NAN; n_units];
    let (mut pd, mut ci, mut fi, mut si, mut raw, mut scci) = (
        nan.clone(),
        nan.clone(),
        nan.clone(),
        nan.clone(),
        nan.clone(),
        nan,
    );
    for u in 0..n_units {
        if cells[u] > 0 {
            let a = cells[u] as f64 * cell_area;
            // 100 ha = 1 km²: patches per 100 ha = patches per km².
            pd[u] = patches[u] as f64 / (a / 1e6);
            ci[u] = frac_area[u] / a;
            fi[u] = fragility[u] / a;
        }
    }
    let (lo, hi) = min_max(&pd);
    for u in 0..n_units {
        if cells[u] > 0 {
            let norm = if hi > lo {
                (pd[u] - lo) / (hi - lo)
            } else {
                0.0
            };
            si[u] = 1.0 - norm;
            raw[u] = ci[u] + fi[u] - si[u];
        }
    }
    let (lo, hi) = min_max(&raw);
    let mut grade = vec![0u8; n_units];
    for u in 0..n_units {
        if cells[u] > 0 {
            scci[u] = if hi > lo {
                (raw[u] - lo) / (hi - lo)
            } else {
                0.0
            };
            grade[u] = scci_grade(scci[u]);
        }
    }
    Ok(LandscapeConflict {
        cells,
        patches,
        pd,
        ci,
        fi,
        si,
        raw,
        scci,
        grade,
    })
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, GridSpec};

    fn grid<T: ecoplan_grid::Cell>(w: usize, h: usize, v: Vec<T>, nd: Option<T>) -> Grid<T> {
        let spec = GridSpec::new(
            w,
            h,
            GeoTransform::north_up(0.0, 10.0 * h as f64, 10.0),
            None,
        );
        Grid::from_vec(&spec, v, nd).unwrap()
    }

    fn preset() -> FragilityTable {
        FragilityTable::from_csv(super::super::FRAGILITY_PRESET).unwrap()
    }

    #[test]
    fn worked_example() {
        // 10 m cells. Unit 1 (left 2×2): all forest. Unit 2 (right 2×2): a cropland/built-up
        // checkerboard — two diagonal (8-connected) patches of 2 cells each.
        #[rustfmt::skip]
        let lu = grid(4, 2, vec![
            3, 3, 1, 8,
            3, 3, 8, 1,
        ], Some(0));
        #[rustfmt::skip]
        let units = grid(4, 2, vec![
            1, 1, 2, 2,
            1, 1, 2, 2,
        ], Some(0));
        let r = landscape_conflict(&lu, &units, &preset()).unwrap();
        assert_eq!(r.patches, vec![0, 1, 2]);
        // Unit 1: one 400 m² patch with an 80 m perimeter: 2 ln 20 / ln 400 = 1.
        assert!((r.ci[1] - 1.0).abs() < 1e-12);
        // Unit 2: each patch 200 m² with 8 exposed edges = 80 m: 2 ln 20 / ln 200.
        let frac = 2.0 * 20f64.ln() / 200f64.ln();
        assert!((r.ci[2] - frac).abs() < 1e-12, "{}", r.ci[2]);
        assert!((frac - 1.130_824_020_6).abs() < 1e-9);
        // FI: forest 2/6; half cropland (4/6), half built-up (1/6).
        assert!((r.fi[1] - 2.0 / 6.0).abs() < 1e-12);
        assert!((r.fi[2] - 2.5 / 6.0).abs() < 1e-12);
        // PD = 1 and 2 patches per 0.0004 km² → 2500 and 5000 per 100 ha; SI = 1, 0.
        assert!((r.pd[1] - 2500.0).abs() < 1e-9 && (r.pd[2] - 5000.0).abs() < 1e-9);
        assert_eq!((r.si[1], r.si[2]), (1.0, 0.0));
        assert!((r.raw[1] - (1.0 + 2.0 / 6.0 - 1.0)).abs() < 1e-12);
        assert!((r.raw[2] - (frac + 2.5 / 6.0)).abs() < 1e-12);
        assert_eq!((r.scci[1], r.scci[2]), (0.0, 1.0));
        assert_eq!(r.grade, vec![0, 1, 4]);
        assert!(r.scci[0].is_nan());
        let painted = r.paint(&units);
        assert_eq!(painted.data[0], 0.0);
        assert_eq!(painted.data[3], 1.0);
    }

    #[test]
    fn middle_unit_grades_by_quarter_and_nodata_is_left_out() {
        // Three 2×1 units: uniform forest; forest + grassland; cropland + nodata.
        let lu = grid(6, 1, vec![3, 3, 3, 5, 1, 0], Some(0));
        let units = grid(6, 1, vec![1, 1, 2, 2, 3, 3], Some(0));
        let r = landscape_conflict(&lu, &units, &preset()).unwrap();
        assert_eq!(r.cells, vec![0, 2, 2, 1]);
        assert_eq!(r.patches, vec![0, 1, 2, 1]);
        // PD per 100 ha: 1/0.0002, 2/0.0002, 1/0.0001 km² → 5000, 10000, 10000 → SI 1, 0, 0.
        assert_eq!((r.si[1], r.si[2], r.si[3]), (1.0, 0.0, 0.0));
        // Unit 1: one 200 m² patch, P = 60 m → 2 ln 15 / ln 200; unit 2: two cells → 1;
        // unit 3: one cell → 1.
        let f1 = 2.0 * 15f64.ln() / 200f64.ln();
        assert!((r.ci[1] - f1).abs() < 1e-12);
        assert_eq!((r.ci[2], r.ci[3]), (1.0, 1.0));
        let raw = [f1 + 2.0 / 6.0 - 1.0, 1.0 + 2.5 / 6.0, 1.0 + 4.0 / 6.0];
        for u in 1..4 {
            assert!((r.raw[u] - raw[u - 1]).abs() < 1e-12);
        }
        let mid = (raw[1] - raw[0]) / (raw[2] - raw[0]);
        assert!((r.scci[2] - mid).abs() < 1e-12);
        assert_eq!(r.grade[2], scci_grade(mid));
        assert_eq!(r.grade[2], 4); // 0.809…
        assert_eq!((r.grade[1], r.grade[3]), (1, 4));
    }

    #[test]
    fn unknown_classes_and_bad_tables_are_reported() {
        let lu = grid(2, 1, vec![3, 42], Some(0));
        let units = grid(2, 1, vec![1, 1], Some(0));
        assert_eq!(
            landscape_conflict(&lu, &units, &preset()).unwrap_err(),
            ZoningError::UnknownClasses { codes: vec![42] }
        );
        let ZoningError::Preset { problems, .. } =
            FragilityTable::from_csv("code,fragility\n1,0\nx,2\n1,3\n").unwrap_err()
        else {
            panic!()
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(scci_grade(0.25), 2);
        assert_eq!(scci_grade(0.7499), 3);
    }
}
