//! Key areas (重点区域, METHODS §4.4): score units, keep the top share plus policy units, dissolve
//! touching units, drop groups below the minimum area.

use super::naming::{direction_zh, make_unique};
use super::zones::matrix_mode;
use super::{RestorationMode, UnitFeatures, UnitGraph, ZoningError, ZoningParams};

/// Key-area settings. Score K = w_erosion·erosion + w_conflict·conflict + w_mining·mining +
/// w_pattern·pattern + w_importance·importance (all unit shares, 0–1).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyAreaParams {
    /// Side of the regular grid units, m (default 300). Ignored when units are given.
    pub unit_size_m: f64,
    pub w_erosion: f64,
    pub w_conflict: f64,
    pub w_mining: f64,
    pub w_pattern: f64,
    pub w_importance: f64,
    /// Share of units (by count, highest scores) selected (default 0.15).
    pub top_share: f64,
    /// Units with at least this share of mining land are always selected (历史遗留矿山, policy
    /// layer; default 0.2; 1.0 or more turns it off).
    pub force_mining_share: f64,
    /// Minimum area of a key area, 公顷 (default 100).
    pub min_area_ha: f64,
}

impl Default for KeyAreaParams {
    fn default() -> Self {
        KeyAreaParams {
            unit_size_m: 300.0,
            w_erosion: 1.0,
            w_conflict: 1.0,
            w_mining: 1.0,
            w_pattern: 0.5,
            w_importance: 0.2,
            top_share: 0.15,
            force_mining_share: 0.2,
            min_area_ha: 100.0,
        }
    }
}

impl KeyAreaParams {
    /// Reports every bad setting at once.
    pub fn validate(&self) -> Result<(), ZoningError> {
        let mut p = Vec::new();
        if !(self.unit_size_m > 0.0 && self.unit_size_m.is_finite()) {
            p.push(format!("unit_size_m = {} 应为正数 (m)", self.unit_size_m));
        }
        let ws = [
            ("w_erosion", self.w_erosion),
            ("w_conflict", self.w_conflict),
            ("w_mining", self.w_mining),
            ("w_pattern", self.w_pattern),
            ("w_importance", self.w_importance),
        ];
        for (n, w) in ws {
            if !(w >= 0.0 && w.is_finite()) {
                p.push(format!("{n} = {w} 应为非负数 must be ≥ 0"));
            }
        }
        if ws.iter().all(|(_, w)| *w == 0.0) {
            p.push("权重全为0 all weights are zero".into());
        }
        if !(self.top_share > 0.0 && self.top_share <= 1.0) {
            p.push(format!("top_share = {} 应在 (0, 1] 之间", self.top_share));
        }
        if self.force_mining_share.is_nan() || self.force_mining_share <= 0.0 {
            p.push(format!(
                "force_mining_share = {} 应 > 0 (use ≥ 1 to turn the policy rule off)",
                self.force_mining_share
            ));
        }
        if !(self.min_area_ha >= 0.0 && self.min_area_ha.is_finite()) {
            p.push(format!("min_area_ha = {} 应 ≥ 0 (公顷)", self.min_area_ha));
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ZoningError::Params(p))
        }
    }

    pub fn block_cells(&self, cell_size_m: f64) -> usize {
        ((self.unit_size_m / cell_size_m).round() as usize).max(1)
    }

    /// K of unit `u`.
    pub fn score(&self, f: &UnitFeatures, u: usize) -> f64 {
        self.w_erosion * f.erosion[u]
            + self.w_conflict * f.conflict[u]
            + self.w_mining * f.mining[u]
            + self.w_pattern * f.pattern[u]
            + self.w_importance * f.importance[u]
    }
}

/// A key area.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyArea {
    pub id: u32,
    pub name: String,
    /// Main problem (矿山, 水土流失, 三生冲突, 生态廊道, 生态保护).
    pub problem: &'static str,
    pub mode: RestorationMode,
    /// Candidate project types (Chinese, `;`-separated).
    pub project_types: &'static str,
    pub units: Vec<u32>,
    pub cells: u64,
    pub area_m2: f64,
    pub mean_score: f64,
    pub direction: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyAreaResult {
    /// Key area of each unit (index = unit id; 0 = none).
    pub unit_key: Vec<u32>,
    pub areas: Vec<KeyArea>,
    /// Score threshold of the top share.
    pub threshold: f64,
    /// Groups dropped for being below the minimum area.
    pub dropped_small: usize,
}

impl KeyAreaResult {
    pub fn paint(&self, units: &ecoplan_grid::Grid<u32>) -> ecoplan_grid::Grid<u32> {
        units.map(Some(0), |u| {
            self.unit_key.get(u as usize).copied().unwrap_or(0)
        })
    }
}

/// Selects, dissolves and names key areas. `zoning` supplies the matrix thresholds for each key
/// area's restoration mode.
pub fn key_areas(
    f: &UnitFeatures,
    g: &UnitGraph,
    p: &KeyAreaParams,
    zoning: &ZoningParams,
) -> Result<KeyAreaResult, ZoningError> {
    p.validate()?;
    let n = f.len();
    let ids: Vec<usize> = (1..n).filter(|u| f.cells[*u] > 0).collect();
    if ids.is_empty() {
        return Err(ZoningError::Empty);
    }
    let score: Vec<f64> = (0..n)
        .map(|u| if u == 0 { 0.0 } else { p.score(f, u) })
        .collect();
    let mut sorted: Vec<f64> = ids.iter().map(|u| score[*u]).collect();
    sorted.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
    let take = ((p.top_share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    let threshold = sorted[take - 1];
    let selected: Vec<bool> = (0..n)
        .map(|u| {
            f.cells[u] > 0
                && ((score[u] >= threshold && score[u] > 0.0)
                    || f.mining[u] >= p.force_mining_share)
        })
        .collect();
    // Dissolve touching selected units.
    let mut comp = vec![usize::MAX; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for s in 0..n {
        if !selected[s] || comp[s] != usize::MAX {
            continue;
        }
        let c = groups.len();
        let mut members = vec![s];
        comp[s] = c;
        let mut k = 0;
        while k < members.len() {
            let u = members[k];
            for &(v, _) in &g.neighbours[u] {
                let v = v as usize;
                if selected[v] && comp[v] == usize::MAX {
                    comp[v] = c;
                    members.push(v);
                }
            }
            k += 1;
        }
        groups.push(members);
    }
    let min_cells = p.min_area_ha * 1e4 / f.cell_area_m2;
    let (mut gx, mut gy, mut gw) = (0.0, 0.0, 0.0);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &u in &ids {
        let w = f.cells[u] as f64;
        gx += f.centroid[u].0 * w;
        gy += f.centroid[u].1 * w;
        gw += w;
        x0 = x0.min(f.centroid[u].0);
        x1 = x1.max(f.centroid[u].0);
        y0 = y0.min(f.centroid[u].1);
        y1 = y1.max(f.centroid[u].1);
    }
    let (gx, gy) = (gx / gw, gy / gw);
    let (hx, hy) = (((x1 - x0) / 2.0).max(1e-9), ((y1 - y0) / 2.0).max(1e-9));
    let mut dropped = 0;
    let mut areas: Vec<(f64, f64, KeyArea)> = Vec::new();
    for members in groups {
        let cells: u64 = members.iter().map(|u| f.cells[*u]).sum();
        if (cells as f64) < min_cells {
            dropped += 1;
            continue;
        }
        let w = cells as f64;
        let mean = |v: &Vec<f64>| {
            members
                .iter()
                .map(|u| v[*u] * f.cells[*u] as f64)
                .sum::<f64>()
                / w
        };
        let (ero, con, min, pat, imp) = (
            mean(&f.erosion),
            mean(&f.conflict),
            mean(&f.mining),
            mean(&f.pattern),
            mean(&f.importance),
        );
        let contributions = [
            (
                p.w_mining * min,
                "矿山",
                "历史遗留矿山生态修复;煤矸石治理;地形地貌重塑与植被重建",
            ),
            (
                p.w_erosion * ero,
                "水土流失",
                "水土流失综合治理;坡耕地综合整治;淤地坝与小流域治理",
            ),
            (
                p.w_conflict * con,
                "三生冲突",
                "全域土地综合整治;退耕还林还草;建设用地腾退复垦",
            ),
            (p.w_pattern * pat, "生态廊道", "生态廊道建设;断点与夹点修复"),
            (
                p.w_importance * imp,
                "生态保护",
                "封山育林;天然林与草原保护;生物多样性保护",
            ),
        ];
        let (_, problem, project_types) = contributions
            .iter()
            .copied()
            .fold((f64::MIN, "", ""), |a, b| if b.0 > a.0 { b } else { a });
        let mode = matrix_mode(imp, mean(&f.problem), mean(&f.resilience), zoning);
        let cx = mean(&f.centroid.iter().map(|c| c.0).collect());
        let cy = mean(&f.centroid.iter().map(|c| c.1).collect());
        let direction = direction_zh((cx - gx) / hx, (gy - cy) / hy);
        let mean_score = members
            .iter()
            .map(|u| score[*u] * f.cells[*u] as f64)
            .sum::<f64>()
            / w;
        let mut units: Vec<u32> = members.iter().map(|u| *u as u32).collect();
        units.sort_unstable();
        areas.push((
            cy,
            cx,
            KeyArea {
                id: 0,
                name: key_area_name(direction, problem),
                problem,
                mode,
                project_types,
                units,
                cells,
                area_m2: w * f.cell_area_m2,
                mean_score,
                direction,
            },
        ));
    }
    areas.sort_by(|a, b| {
        (a.0, a.1)
            .partial_cmp(&(b.0, b.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut areas: Vec<KeyArea> = areas.into_iter().map(|a| a.2).collect();
    let mut names: Vec<String> = areas.iter().map(|a| a.name.clone()).collect();
    make_unique(&mut names);
    let mut unit_key = vec![0u32; n];
    for (i, (a, name)) in areas.iter_mut().zip(names).enumerate() {
        a.id = i as u32 + 1;
        a.name = name;
        for u in &a.units {
            unit_key[*u as usize] = a.id;
        }
    }
    Ok(KeyAreaResult {
        unit_key,
        areas,
        threshold,
        dropped_small: dropped,
    })
}

fn key_area_name(direction: &str, problem: &str) -> String {
    let what = match problem {
        "矿山" => "历史遗留矿山生态修复",
        "水土流失" => "水土流失综合治理",
        "三生冲突" => "国土综合整治",
        "生态廊道" => "生态廊道保护修复",
        _ => "生态保护修复",
    };
    format!("{direction}{what}重点区")
}

#[cfg(test)]
mod tests {
    use super::super::{block_units, UnitGraph};
    use super::*;
    use ecoplan_grid::{GeoTransform, Grid, GridSpec};

    #[test]
    fn small_groups_are_dropped_and_touching_units_dissolve() {
        // 5×1 units of 100 m × 100 m (1 ha each): eroded units 1, 2, 3 (touching) and 5 (alone).
        let spec = GridSpec::new(5, 1, GeoTransform::north_up(0.0, 100.0, 100.0), None);
        let region = Grid::filled(&spec, 1u8, None);
        let units = block_units(&region, 1);
        let g = UnitGraph::from_units(&units);
        let n = 6;
        let erosion = vec![0.0, 1.0, 0.8, 0.9, 0.0, 1.0];
        let f = UnitFeatures {
            cells: vec![0, 1, 1, 1, 1, 1],
            cell_area_m2: 1e4,
            importance: vec![0.0; n],
            importance_mean: vec![1.0; n],
            erosion: erosion.clone(),
            conflict: vec![0.0; n],
            mining: vec![0.0; n],
            problem: erosion,
            resilience: vec![0.5; n],
            pattern: vec![0.0; n],
            spaces: vec![[0.0, 1.0, 0.0]; n],
            slope: vec![f64::NAN; n],
            elevation: vec![f64::NAN; n],
            centroid: (0..n).map(|u| (u as f64, 0.0)).collect(),
        };
        let p = KeyAreaParams {
            top_share: 0.8,
            min_area_ha: 2.0,
            ..Default::default()
        };
        let r = key_areas(&f, &g, &p, &ZoningParams::default()).unwrap();
        // Units 1–3 form one key area of 3 ha; unit 5 (1 ha < 2 ha) is dropped.
        assert_eq!(r.areas.len(), 1);
        assert_eq!(r.dropped_small, 1);
        assert_eq!(r.areas[0].units, vec![1, 2, 3]);
        assert!((r.areas[0].area_m2 - 3e4).abs() < 1e-9);
        assert_eq!(r.areas[0].problem, "水土流失");
        assert_eq!(r.unit_key, vec![0, 1, 1, 1, 0, 0]);
        assert!(
            r.areas[0].name.ends_with("水土流失综合治理重点区"),
            "{}",
            r.areas[0].name
        );
        // With a 1 ha minimum the lone unit is a key area too.
        let r1 = key_areas(
            &f,
            &g,
            &KeyAreaParams {
                min_area_ha: 1.0,
                ..p
            },
            &ZoningParams::default(),
        )
        .unwrap();
        assert_eq!(r1.areas.len(), 2);
        assert!(r1.areas.iter().all(|a| a.area_m2 >= 1e4));
    }
}
