//! Units (乡镇, 小流域 or regular blocks), their adjacency and their features.

use super::{check_aligned, LayerRef, SpaceTable, ZoningError};
use ecoplan_grid::{Grid, Progress};
use std::collections::HashMap;

/// Regular square blocks of `block_cells` × `block_cells` cells, numbered 1… row-major over the
/// blocks that hold region cells (non-zero `region`); 0 outside the region.
pub fn block_units(region: &Grid<u8>, block_cells: usize) -> Grid<u32> {
    let b = block_cells.max(1);
    let (w, h) = (region.width, region.height);
    let bw = w.div_ceil(b);
    let bh = h.div_ceil(b);
    let mut used = vec![false; bw * bh];
    for r in 0..h {
        for c in 0..w {
            if region.data[r * w + c] != 0 {
                used[(r / b) * bw + c / b] = true;
            }
        }
    }
    let mut id = vec![0u32; bw * bh];
    let mut next = 0;
    for (k, u) in used.iter().enumerate() {
        if *u {
            next += 1;
            id[k] = next;
        }
    }
    let mut out = Grid::filled(&region.spec(), 0u32, Some(0));
    for r in 0..h {
        for c in 0..w {
            let i = r * w + c;
            if region.data[i] != 0 {
                out.data[i] = id[(r / b) * bw + c / b];
            }
        }
    }
    out
}

/// Which units touch (share cell edges inside the region) and over how many cell edges.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitGraph {
    /// `neighbours[u]` = (neighbour, shared cell edges), sorted by neighbour; index 0 unused.
    pub neighbours: Vec<Vec<(u32, u32)>>,
}

impl UnitGraph {
    /// Edge (4-) adjacency of the non-zero unit ids.
    pub fn from_units(units: &Grid<u32>) -> UnitGraph {
        let n = units.data.iter().copied().max().unwrap_or(0) as usize;
        let mut edges: HashMap<(u32, u32), u32> = HashMap::new();
        let (w, h) = (units.width, units.height);
        for r in 0..h {
            for c in 0..w {
                let a = units.data[r * w + c];
                if a == 0 {
                    continue;
                }
                let mut add = |b: u32| {
                    if b != 0 && b != a {
                        *edges.entry((a.min(b), a.max(b))).or_default() += 1;
                    }
                };
                if c + 1 < w {
                    add(units.data[r * w + c + 1]);
                }
                if r + 1 < h {
                    add(units.data[(r + 1) * w + c]);
                }
            }
        }
        let mut neighbours = vec![Vec::new(); n + 1];
        for ((a, b), e) in edges {
            neighbours[a as usize].push((b, e));
            neighbours[b as usize].push((a, e));
        }
        for v in &mut neighbours {
            v.sort_unstable();
        }
        UnitGraph { neighbours }
    }
}

/// The layers zoning reads, all on one grid.
pub struct ZoningLayers<'a> {
    /// Unit ids (0 = not in any unit).
    pub units: &'a Grid<u32>,
    /// 三生空间 ([`super::classify_spaces`]); 0 = outside the region.
    pub spaces: &'a Grid<u8>,
    /// Land-use codes of the space table.
    pub landuse: LayerRef<'a>,
    /// 生态保护重要性 grades (1 一般, 2 重要, 3 极重要).
    pub importance: LayerRef<'a>,
    /// SL 190 soil-loss classes (1 微度 … 6 剧烈).
    pub soil_loss_class: Option<LayerRef<'a>>,
    /// Conflict grid of [`super::find_conflicts`] (non-zero = conflict).
    pub conflicts: Option<&'a Grid<u8>>,
    /// Security-pattern elements (non-zero: source, corridor, pinch point, barrier, node).
    pub pattern: Option<LayerRef<'a>>,
    pub slope_deg: Option<LayerRef<'a>>,
    pub elevation_m: Option<LayerRef<'a>>,
}

/// Per-unit features (index = unit id; index 0 unused). Shares are of the unit's region cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitFeatures {
    pub cells: Vec<u64>,
    pub cell_area_m2: f64,
    /// Share graded 重要 or 极重要 (grade ≥ `important_grade`).
    pub importance: Vec<f64>,
    /// Mean importance grade.
    pub importance_mean: Vec<f64>,
    /// Share with soil loss at or above `erosion_problem_class`.
    pub erosion: Vec<f64>,
    /// Share in conflict.
    pub conflict: Vec<f64>,
    /// Share of mining land.
    pub mining: Vec<f64>,
    /// Share with at least one problem (erosion, conflict or mining): the problem intensity.
    pub problem: Vec<f64>,
    /// Mean land-use resilience coefficient.
    pub resilience: Vec<f64>,
    /// Share of security-pattern elements.
    pub pattern: Vec<f64>,
    /// Shares of 生态/农业/城镇 space.
    pub spaces: Vec<[f64; 3]>,
    /// Mean slope (°) and elevation (m); NaN without the layer.
    pub slope: Vec<f64>,
    pub elevation: Vec<f64>,
    /// Mean cell column and row.
    pub centroid: Vec<(f64, f64)>,
}

impl UnitFeatures {
    pub fn len(&self) -> usize {
        self.cells.len()
    }
    pub fn is_empty(&self) -> bool {
        self.cells.iter().all(|c| *c == 0)
    }
    pub fn area_m2(&self, u: usize) -> f64 {
        self.cells[u] as f64 * self.cell_area_m2
    }
}

/// Settings that turn cell values into unit features.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSettings {
    pub important_grade: f64,
    pub erosion_problem_class: f64,
    pub mining_classes: Vec<u32>,
}

/// Accumulates the features of every unit in one pass over the cells of the region.
pub fn unit_features(
    l: &ZoningLayers,
    table: &SpaceTable,
    s: &FeatureSettings,
    progress: &dyn Progress,
) -> Result<UnitFeatures, ZoningError> {
    let spec = l.units.spec();
    check_aligned(&spec, &l.spaces.spec(), "space grid")?;
    check_aligned(&spec, &l.landuse.spec(), "land use")?;
    check_aligned(&spec, &l.importance.spec(), "importance")?;
    for (name, o) in [
        ("soil-loss classes", l.soil_loss_class),
        ("pattern", l.pattern),
        ("slope", l.slope_deg),
        ("elevation", l.elevation_m),
    ] {
        if let Some(o) = o {
            check_aligned(&spec, &o.spec(), name)?;
        }
    }
    if let Some(c) = l.conflicts {
        check_aligned(&spec, &c.spec(), "conflicts")?;
    }
    let n = l.units.data.iter().copied().max().unwrap_or(0) as usize + 1;
    let mut f = UnitFeatures {
        cells: vec![0; n],
        cell_area_m2: spec.transform.cell_area(),
        importance: vec![0.0; n],
        importance_mean: vec![0.0; n],
        erosion: vec![0.0; n],
        conflict: vec![0.0; n],
        mining: vec![0.0; n],
        problem: vec![0.0; n],
        resilience: vec![0.0; n],
        pattern: vec![0.0; n],
        spaces: vec![[0.0; 3]; n],
        slope: vec![0.0; n],
        elevation: vec![0.0; n],
        centroid: vec![(0.0, 0.0); n],
    };
    let mut slope_n = vec![0u64; n];
    let mut elev_n = vec![0u64; n];
    let w = spec.width;
    progress.begin("单元特征 unit features", spec.height as u64);
    for r in 0..spec.height {
        for c in 0..w {
            let i = r * w + c;
            let u = l.units.data[i] as usize;
            let sp = l.spaces.data[i];
            if u == 0 || sp == 0 {
                continue;
            }
            f.cells[u] += 1;
            f.spaces[u][sp as usize - 1] += 1.0;
            f.centroid[u].0 += c as f64;
            f.centroid[u].1 += r as f64;
            let imp = l.importance.get(i).unwrap_or(1.0);
            f.importance_mean[u] += imp;
            f.importance[u] += (imp >= s.important_grade) as u8 as f64;
            let class = l.landuse.get(i);
            if let Some(cl) = class.and_then(|v| table.class_of(v)) {
                f.resilience[u] += cl.resilience;
            }
            let mining = class.is_some_and(|v| s.mining_classes.iter().any(|m| *m as f64 == v));
            let eroded = l
                .soil_loss_class
                .and_then(|g| g.get(i))
                .is_some_and(|v| v >= s.erosion_problem_class);
            let conflict = l.conflicts.is_some_and(|g| g.data[i] != 0);
            f.mining[u] += mining as u8 as f64;
            f.erosion[u] += eroded as u8 as f64;
            f.conflict[u] += conflict as u8 as f64;
            f.problem[u] += (mining || eroded || conflict) as u8 as f64;
            if l.pattern.and_then(|g| g.get(i)).is_some_and(|v| v != 0.0) {
                f.pattern[u] += 1.0;
            }
            if let Some(v) = l.slope_deg.and_then(|g| g.get(i)) {
                f.slope[u] += v;
                slope_n[u] += 1;
            }
            if let Some(v) = l.elevation_m.and_then(|g| g.get(i)) {
                f.elevation[u] += v;
                elev_n[u] += 1;
            }
        }
        if r % 256 == 0 {
            progress.advance(r as u64);
        }
    }
    progress.finish();
    for u in 0..n {
        let k = f.cells[u] as f64;
        if k == 0.0 {
            continue;
        }
        for v in [
            &mut f.importance,
            &mut f.importance_mean,
            &mut f.erosion,
            &mut f.conflict,
            &mut f.mining,
            &mut f.problem,
            &mut f.resilience,
            &mut f.pattern,
        ] {
            v[u] /= k;
        }
        for s in &mut f.spaces[u] {
            *s /= k;
        }
        f.centroid[u].0 /= k;
        f.centroid[u].1 /= k;
        f.slope[u] = if slope_n[u] > 0 {
            f.slope[u] / slope_n[u] as f64
        } else {
            f64::NAN
        };
        f.elevation[u] = if elev_n[u] > 0 {
            f.elevation[u] / elev_n[u] as f64
        } else {
            f64::NAN
        };
    }
    if f.is_empty() {
        return Err(ZoningError::Empty);
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_number_only_units_with_region_cells() {
        // 4×2 region, right column outside; blocks of 2 → units 1 (cols 0–1), 2 (col 2).
        let region = Grid::<u8>::from_rows(4, 2, vec![1, 1, 1, 0, 1, 1, 1, 0]).unwrap();
        let u = block_units(&region, 2);
        assert_eq!(u.data, vec![1, 1, 2, 0, 1, 1, 2, 0]);
        let g = UnitGraph::from_units(&u);
        // units 1 and 2 share two cell edges
        assert_eq!(g.neighbours[1], vec![(2, 2)]);
        assert_eq!(g.neighbours[2], vec![(1, 2)]);
    }
}
