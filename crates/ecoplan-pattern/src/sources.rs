//! Ecological sources (生态源地), METHODS §3.1: candidate cells = MSPA core (a mask, e.g.
//! [`crate::mspa::core_mask`]) ∩ importance ≥ threshold (optional), grouped into 8-connected
//! patches (4-connected on request), patches smaller than a minimum area dropped, optional
//! policy-forced cells (生态保护红线 / 自然保护地 core zones) always kept.
//!
//! Patch ids are 1..=n in ranking order: by area (largest first) from [`extract_sources`], then
//! optionally by connectivity importance dPC with [`rank_by_dpc`] (Conefor PC on edge-to-edge
//! distances between patches, [`crate::conefor`]), which can also drop patches below a dPC cut
//! (Turpan: dPC > 3 with p = 0.5 at 1500 m; METHODS §3.1).

use ecoplan_grid::{Cell, Grid, Progress};

/// Nodata / background of the patch-id grid.
pub const PATCH_NODATA: u32 = 0;

/// Parameters of [`extract_sources`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceParams {
    /// Keep candidate cells with importance ≥ this value (importance raster units, e.g. the
    /// 极重要 class code or a normalised score). `None` = no importance filter.
    pub importance_threshold: Option<f64>,
    /// Minimum patch area in hectares (公顷). METHODS §3.1: typical 0.5–5 km² = 50–500 ha,
    /// scaled to the county; default 100 ha (the benchmark landscapes' rule).
    pub min_area_ha: f64,
    /// 8-connected patches (default, as MSPA's 8-connectivity) or 4-connected.
    pub eight_connected: bool,
}

impl Default for SourceParams {
    fn default() -> Self {
        SourceParams {
            importance_threshold: None,
            min_area_ha: 100.0,
            eight_connected: true,
        }
    }
}

impl SourceParams {
    pub fn validate(&self) -> Result<(), SourcesError> {
        let mut p = Vec::new();
        if !(self.min_area_ha >= 0.0 && self.min_area_ha.is_finite()) {
            p.push(format!(
                "min_area_ha = {} must be a finite number ≥ 0 (公顷)",
                self.min_area_ha
            ));
        }
        if let Some(t) = self.importance_threshold {
            if t.is_nan() {
                p.push("importance_threshold is NaN".into());
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(SourcesError::Params(p))
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SourcesError {
    #[error("生态源地参数错误 invalid source parameters: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error("生态源地输入未对齐 source inputs are not aligned: {0}")]
    NotAligned(String),
    #[error(
        "栅格为地理坐标 the grid is in a geographic CRS ({0}); patch areas need a projected CRS in metres"
    )]
    GeographicCrs(String),
    #[error("已取消 cancelled")]
    Cancelled,
}

/// Why a patch is a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceReason {
    /// Passed the area (and importance) filters.
    Area,
    /// Contains policy-forced cells (生态保护红线 / 自然保护地).
    Policy,
}

/// One source patch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourcePatch {
    /// Id in the patch grid (1 = first in ranking order).
    pub id: u32,
    pub cells: u64,
    pub area_ha: f64,
    /// Mean of the cell centres (map units).
    pub centroid: (f64, f64),
    /// Mean importance over the patch cells with a valid importance value.
    pub mean_importance: Option<f64>,
    pub reason: SourceReason,
    /// Connectivity importance dPC (%), when computed by the caller.
    pub dpc: Option<f64>,
}

/// How [`Sources::table`] is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    Area,
    Dpc,
}

/// Result of [`extract_sources`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    /// Patch ids (1..=n), [`PATCH_NODATA`] elsewhere.
    pub patches: Grid<u32>,
    /// Patches in ranking order (`table[k].id == k + 1`).
    pub table: Vec<SourcePatch>,
    pub ranking: Ranking,
    /// Candidate patches dropped by the area threshold.
    pub dropped_small: usize,
    /// Patches dropped by the dPC cut of [`rank_by_dpc`].
    pub dropped_low_dpc: usize,
}

impl Sources {
    /// Re-ranks by dPC (descending; ties by area) after the caller filled `dpc`, renumbering the
    /// patch grid so that id 1 is the most important. Patches without dPC go last.
    pub fn rerank(&mut self, by: Ranking) {
        let mut order: Vec<usize> = (0..self.table.len()).collect();
        match by {
            Ranking::Area => order.sort_by(|&a, &b| {
                self.table[b]
                    .area_ha
                    .total_cmp(&self.table[a].area_ha)
                    .then(a.cmp(&b))
            }),
            Ranking::Dpc => order.sort_by(|&a, &b| {
                let (da, db) = (self.table[a].dpc, self.table[b].dpc);
                db.unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&da.unwrap_or(f64::NEG_INFINITY))
                    .then(self.table[b].area_ha.total_cmp(&self.table[a].area_ha))
                    .then(a.cmp(&b))
            }),
        }
        // New id of each old id (ids no longer in the table → 0).
        let max_old = self.table.iter().map(|p| p.id).max().unwrap_or(0) as usize;
        let max_cell = self.patches.data.iter().copied().max().unwrap_or(0) as usize;
        let mut new_id = vec![0u32; max_old.max(max_cell) + 1];
        for (pos, &old) in order.iter().enumerate() {
            new_id[self.table[old].id as usize] = pos as u32 + 1;
        }
        for v in &mut self.patches.data {
            *v = new_id[*v as usize];
        }
        let mut table: Vec<SourcePatch> = order.iter().map(|&k| self.table[k].clone()).collect();
        for (pos, p) in table.iter_mut().enumerate() {
            p.id = pos as u32 + 1;
        }
        self.table = table;
        self.ranking = by;
    }
}

/// Connected components of the cells where `inside(i)` holds: labels 1..=n in row-major order of
/// each component's first cell, 0 outside.
pub fn label_components(
    width: usize,
    height: usize,
    eight: bool,
    inside: impl Fn(usize) -> bool,
) -> (Vec<u32>, u32) {
    let n = width * height;
    let mut labels = vec![0u32; n];
    let mut next = 0u32;
    let mut stack: Vec<u32> = Vec::new();
    for start in 0..n {
        if labels[start] != 0 || !inside(start) {
            continue;
        }
        next += 1;
        labels[start] = next;
        stack.push(start as u32);
        while let Some(u) = stack.pop() {
            let u = u as usize;
            let (r, c) = ((u / width) as i64, (u % width) as i64);
            for dr in -1i64..=1 {
                for dc in -1i64..=1 {
                    if (dr == 0 && dc == 0) || (!eight && dr != 0 && dc != 0) {
                        continue;
                    }
                    let (r2, c2) = (r + dr, c + dc);
                    if r2 < 0 || c2 < 0 || r2 >= height as i64 || c2 >= width as i64 {
                        continue;
                    }
                    let v = r2 as usize * width + c2 as usize;
                    if labels[v] == 0 && inside(v) {
                        labels[v] = next;
                        stack.push(v as u32);
                    }
                }
            }
        }
    }
    (labels, next)
}

/// Extracts source patches (module docs). `core_mask`: valid cells ≠ 0 are core. `importance`
/// and `forced` (valid cells ≠ 0 are policy areas) must be aligned with it.
pub fn extract_sources<M: Cell, F: Cell>(
    core_mask: &Grid<M>,
    importance: Option<&Grid<f32>>,
    forced: Option<&Grid<F>>,
    params: &SourceParams,
    progress: &dyn Progress,
) -> Result<Sources, SourcesError> {
    params.validate()?;
    let spec = core_mask.spec();
    if let Some(crs) = spec.crs.as_ref().filter(|c| c.is_geographic()) {
        return Err(SourcesError::GeographicCrs(crs.label()));
    }
    let mut misaligned = Vec::new();
    if let Some(g) = importance {
        if let Err(e) = spec.check_aligned(&g.spec()) {
            misaligned.push(format!("importance: {e}"));
        }
    }
    if let Some(g) = forced {
        if let Err(e) = spec.check_aligned(&g.spec()) {
            misaligned.push(format!("policy areas: {e}"));
        }
    }
    if !misaligned.is_empty() {
        return Err(SourcesError::NotAligned(misaligned.join("; ")));
    }
    progress.begin("生态源地 sources", 3);
    let is_forced = |i: usize| {
        forced.is_some_and(|g| {
            let v = g.data[i];
            !g.is_nodata(v) && v.to_f64() != 0.0
        })
    };
    let candidate = |i: usize| {
        let v = core_mask.data[i];
        let core = !core_mask.is_nodata(v) && v.to_f64() != 0.0;
        let important = match (importance, params.importance_threshold) {
            (Some(g), Some(t)) => {
                let x = g.data[i];
                !g.is_nodata(x) && x as f64 >= t
            }
            _ => true,
        };
        (core && important) || is_forced(i)
    };
    let (labels, n) = label_components(spec.width, spec.height, params.eight_connected, candidate);
    progress.advance(1);
    if progress.cancelled() {
        return Err(SourcesError::Cancelled);
    }
    let cell_ha = spec.transform.cell_area() / 10_000.0;
    #[derive(Clone, Default)]
    struct Acc {
        cells: u64,
        sx: f64,
        sy: f64,
        imp_sum: f64,
        imp_n: u64,
        forced: bool,
    }
    let mut acc = vec![Acc::default(); n as usize + 1];
    for (i, &l) in labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let a = &mut acc[l as usize];
        a.cells += 1;
        let (x, y) = spec.transform.cell_center(i % spec.width, i / spec.width);
        a.sx += x;
        a.sy += y;
        if let Some(g) = importance {
            let v = g.data[i];
            if !g.is_nodata(v) {
                a.imp_sum += v as f64;
                a.imp_n += 1;
            }
        }
        if is_forced(i) {
            a.forced = true;
        }
    }
    progress.advance(2);
    let mut kept: Vec<(u32, SourcePatch)> = Vec::new();
    let mut dropped_small = 0;
    for (l, a) in acc.iter().enumerate().skip(1) {
        let area_ha = a.cells as f64 * cell_ha;
        let reason = if a.forced {
            SourceReason::Policy
        } else if area_ha >= params.min_area_ha {
            SourceReason::Area
        } else {
            dropped_small += 1;
            continue;
        };
        kept.push((
            l as u32,
            SourcePatch {
                id: 0,
                cells: a.cells,
                area_ha,
                centroid: (a.sx / a.cells as f64, a.sy / a.cells as f64),
                mean_importance: (a.imp_n > 0).then(|| a.imp_sum / a.imp_n as f64),
                reason,
                dpc: None,
            },
        ));
    }
    // Rank by area, largest first; ties by first cell (label order).
    kept.sort_by(|a, b| b.1.area_ha.total_cmp(&a.1.area_ha).then(a.0.cmp(&b.0)));
    let mut new_id = vec![PATCH_NODATA; n as usize + 1];
    for (pos, (old, p)) in kept.iter_mut().enumerate() {
        new_id[*old as usize] = pos as u32 + 1;
        p.id = pos as u32 + 1;
    }
    let data: Vec<u32> = labels.iter().map(|&l| new_id[l as usize]).collect();
    progress.advance(3);
    progress.finish();
    Ok(Sources {
        patches: Grid::from_vec(&spec, data, Some(PATCH_NODATA)).expect("sized to the grid"),
        table: kept.into_iter().map(|(_, p)| p).collect(),
        ranking: Ranking::Area,
        dropped_small,
        dropped_low_dpc: 0,
    })
}

/// Parameters of [`rank_by_dpc`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpcParams {
    /// Dispersal kernel on edge-to-edge Euclidean distance in metres (Turpan: p = 0.5 at 1500 m).
    pub kernel: crate::conefor::DispersalKernel,
    /// Drop patches (except policy patches) with dPC below this, in % (Turpan: 3). None = keep.
    pub min_dpc: Option<f64>,
    /// Pairs whose direct probability would fall below this are not linked (speeds up large
    /// sets; 1e-4 changes PC by far less than its own uncertainty). Default 1e-4.
    pub min_probability: f64,
}

impl DpcParams {
    /// Turpan settings (METHODS §3.1): p = 0.5 at 1500 m, keep dPC > 3.
    pub fn turpan() -> Self {
        DpcParams {
            kernel: crate::conefor::DispersalKernel {
                distance: 1500.0,
                probability: 0.5,
            },
            min_dpc: Some(3.0),
            min_probability: 1e-4,
        }
    }
}

/// Computes dPC of every patch (attribute = area in ha, A_L = the grid's area), stores it in the
/// table, drops patches below `min_dpc` (policy patches stay) and re-ranks by dPC.
pub fn rank_by_dpc(sources: &mut Sources, params: &DpcParams) -> Result<(), SourcesError> {
    use crate::conefor::{probability_connectivity, ProbabilityGraph};
    params
        .kernel
        .validate()
        .map_err(|e| SourcesError::Params(vec![e.to_string()]))?;
    if !(params.min_probability > 0.0 && params.min_probability < 1.0) {
        return Err(SourcesError::Params(vec![format!(
            "min_probability {} must be in (0, 1)",
            params.min_probability
        )]));
    }
    let n = sources.table.len();
    if n == 0 {
        sources.ranking = Ranking::Dpc;
        return Ok(());
    }
    let g = &sources.patches;
    let (w, h) = (g.width, g.height);
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &id) in g.data.iter().enumerate() {
        if id != PATCH_NODATA {
            cells[id as usize - 1].push(i);
        }
    }
    let boundary: Vec<Vec<usize>> = cells
        .iter()
        .enumerate()
        .map(|(k, c)| crate::corridors::boundary_cells(c, |i| g.data[i], k as u32 + 1, w, h))
        .collect();
    let bbox: Vec<(usize, usize, usize, usize)> = boundary
        .iter()
        .map(|b| {
            b.iter().fold((usize::MAX, usize::MAX, 0, 0), |a, &i| {
                (
                    a.0.min(i / w),
                    a.1.min(i % w),
                    a.2.max(i / w),
                    a.3.max(i % w),
                )
            })
        })
        .collect();
    let (cw, ch) = (g.transform.cell_width(), g.transform.cell_height());
    let max_d = -params.min_probability.ln() / params.kernel.k();
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .filter(|&(i, j)| {
            // Gap between bounding boxes: a lower bound of the edge distance.
            let (a, b) = (bbox[i], bbox[j]);
            let gr = (a.0.max(b.0) as f64 - a.2.min(b.2) as f64 - 1.0).max(0.0) * ch;
            let gc = (a.1.max(b.1) as f64 - a.3.min(b.3) as f64 - 1.0).max(0.0) * cw;
            (gr * gr + gc * gc).sqrt() <= max_d
        })
        .collect();
    use rayon::prelude::*;
    let links: Vec<(usize, usize, f64)> = pairs
        .par_iter()
        .filter_map(|&(i, j)| {
            let d = crate::corridors::edge_distance(&boundary[i], &boundary[j], w, cw, ch);
            let p = params.kernel.probability_at(d);
            (d <= max_d).then_some((i, j, p))
        })
        .collect();
    let graph = ProbabilityGraph::from_links(n, &links)
        .map_err(|e| SourcesError::Params(vec![e.to_string()]))?;
    let areas: Vec<f64> = sources.table.iter().map(|p| p.area_ha).collect();
    let landscape = (w * h) as f64 * g.transform.cell_area() / 10_000.0;
    let landscape = landscape.max(areas.iter().sum());
    let pc = probability_connectivity(&areas, &graph, landscape)
        .map_err(|e| SourcesError::Params(vec![e.to_string()]))?;
    for (p, node) in sources.table.iter_mut().zip(&pc.nodes) {
        p.dpc = Some(node.d);
    }
    if let Some(cut) = params.min_dpc {
        let before = sources.table.len();
        sources
            .table
            .retain(|p| p.reason == SourceReason::Policy || p.dpc.is_some_and(|d| d >= cut));
        sources.dropped_low_dpc += before - sources.table.len();
    }
    sources.rerank(Ranking::Dpc);
    Ok(())
}
