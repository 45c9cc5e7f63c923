//! Restoration zones (METHODS §4.3): matrix overlay or k-means on units, contiguity clean-up,
//! generated names.

use super::naming::{direction_zh, make_unique, terrain_zh};
use super::units::FeatureSettings;
use super::{
    adjusted_rand_index, kmeans, silhouette, sofm, SofmSettings, UnitFeatures, UnitGraph,
    ZoningError,
};
use ecoplan_grid::Grid;

/// The four restoration modes of 自然资办发〔2020〕38号 plus 一般控制 (METHODS §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum RestorationMode {
    /// 保护保育: high importance, low problems.
    ProtectConserve = 1,
    /// 自然恢复: high importance, high problems, high resilience.
    NaturalRecovery = 2,
    /// 辅助再生: high importance, high problems, low resilience.
    AssistedRegeneration = 3,
    /// 生态重建: low importance, high problems (mines, towns).
    Reconstruction = 4,
    /// 一般控制: low importance, low problems.
    GeneralControl = 5,
}

impl RestorationMode {
    pub fn zh(self) -> &'static str {
        match self {
            RestorationMode::ProtectConserve => "保护保育",
            RestorationMode::NaturalRecovery => "自然恢复",
            RestorationMode::AssistedRegeneration => "辅助再生",
            RestorationMode::Reconstruction => "生态重建",
            RestorationMode::GeneralControl => "一般控制",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            RestorationMode::ProtectConserve => "protection and conservation",
            RestorationMode::NaturalRecovery => "natural recovery",
            RestorationMode::AssistedRegeneration => "assisted regeneration",
            RestorationMode::Reconstruction => "ecological reconstruction",
            RestorationMode::GeneralControl => "general control",
        }
    }
    fn from_u8(v: u8) -> RestorationMode {
        match v {
            1 => RestorationMode::ProtectConserve,
            2 => RestorationMode::NaturalRecovery,
            3 => RestorationMode::AssistedRegeneration,
            4 => RestorationMode::Reconstruction,
            _ => RestorationMode::GeneralControl,
        }
    }
}

/// How units are grouped into zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoningMethod {
    /// Importance (H/L) × problems (H/L) × resilience (H/L) → mode.
    Matrix,
    /// K-means on z-scored importance, problem, resilience and conflict; `k` fixed, or chosen in
    /// `k_min..=k_max` by the best silhouette when `None`.
    KMeans { k: Option<usize> },
    /// Self-organizing feature map (SOFM, Kohonen; METHODS §4.3, Peng et al. 2017) on the same
    /// z-scored features: `k` nodes on a chain, fixed seed; `k` chosen like k-means when `None`.
    Sofm { k: Option<usize> },
}

impl ZoningMethod {
    /// The clustering's own k, if it is fixed.
    pub fn fixed_k(&self) -> Option<usize> {
        match self {
            ZoningMethod::Matrix => None,
            ZoningMethod::KMeans { k } | ZoningMethod::Sofm { k } => *k,
        }
    }
    /// The same method with `k` fixed.
    fn with_k(self, k: usize) -> ZoningMethod {
        match self {
            ZoningMethod::Matrix => ZoningMethod::Matrix,
            ZoningMethod::KMeans { .. } => ZoningMethod::KMeans { k: Some(k) },
            ZoningMethod::Sofm { .. } => ZoningMethod::Sofm { k: Some(k) },
        }
    }
}

/// Zoning settings (METHODS §4.3). Shares are 0–1 fractions of a unit's area.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoningParams {
    pub method: ZoningMethod,
    /// Side of the regular grid units, m (default 1000: METHODS' 1 km grid). Ignored when units
    /// are given (乡镇, 小流域).
    pub unit_size_m: f64,
    /// Importance grade that counts as important (default 2 重要; grades 1 一般 … 3 极重要).
    pub important_grade: f64,
    /// Lowest SL 190 soil-loss class counted as a problem (default 3 中度).
    pub erosion_problem_class: f64,
    /// 采矿用地 codes (default 9, common classes).
    pub mining_classes: Vec<u32>,
    /// A unit is of high importance when this share of it is important (default 0.5).
    pub importance_high_share: f64,
    /// A unit has high problems when this share of it has a problem (default 0.2).
    pub problem_high_share: f64,
    /// Mean land-use resilience at or above which recovery is natural (default 0.6).
    pub resilience_high: f64,
    /// K-means k range when k is not fixed (default 3–6) and fixed seed, restarts, iterations.
    pub k_min: usize,
    pub k_max: usize,
    pub seed: u64,
    pub restarts: usize,
    pub max_iter: usize,
    /// Zones smaller than this share of the region (%) merge into their most similar neighbour
    /// (default 5 %).
    pub min_zone_share_pct: f64,
    /// Weights of the z-scored clustering features (importance, problem, resilience, conflict),
    /// default 1 each; [`zoning_stability`] perturbs them by ±10 %.
    pub feature_weights: [f64; 4],
    /// SOFM training passes (default 60).
    pub sofm_epochs: usize,
}

impl Default for ZoningParams {
    fn default() -> Self {
        ZoningParams {
            method: ZoningMethod::Matrix,
            unit_size_m: 1000.0,
            important_grade: 2.0,
            erosion_problem_class: 3.0,
            mining_classes: vec![9],
            importance_high_share: 0.5,
            problem_high_share: 0.2,
            resilience_high: 0.6,
            k_min: 3,
            k_max: 6,
            seed: 20_210_214,
            restarts: 8,
            max_iter: 200,
            min_zone_share_pct: 5.0,
            feature_weights: [1.0; 4],
            sofm_epochs: 60,
        }
    }
}

impl ZoningParams {
    /// Reports every bad setting at once.
    pub fn validate(&self) -> Result<(), ZoningError> {
        let mut p = Vec::new();
        if !(self.unit_size_m > 0.0 && self.unit_size_m.is_finite()) {
            p.push(format!(
                "unit_size_m = {} 应为正数 (m) must be positive",
                self.unit_size_m
            ));
        }
        if !(1.0..=3.0).contains(&self.important_grade) {
            p.push(format!(
                "important_grade = {} 应为 1–3 (一般/重要/极重要)",
                self.important_grade
            ));
        }
        if !(1.0..=6.0).contains(&self.erosion_problem_class) {
            p.push(format!(
                "erosion_problem_class = {} 应为 1–6 (SL 190 微度…剧烈)",
                self.erosion_problem_class
            ));
        }
        for (name, v) in [
            ("importance_high_share", self.importance_high_share),
            ("problem_high_share", self.problem_high_share),
            ("resilience_high", self.resilience_high),
        ] {
            if !(0.0..=1.0).contains(&v) {
                p.push(format!("{name} = {v} 应在 0–1 之间 must be within 0–1"));
            }
        }
        if self.k_min < 2 || self.k_min > self.k_max {
            p.push(format!(
                "k_min = {}, k_max = {}: need 2 ≤ k_min ≤ k_max",
                self.k_min, self.k_max
            ));
        }
        if let Some(k) = self.method.fixed_k() {
            if k < 2 {
                p.push(format!("k = {k} 应 ≥ 2"));
            }
        }
        if self.restarts == 0 || self.max_iter == 0 || self.sofm_epochs == 0 {
            p.push("restarts, max_iter 与 sofm_epochs 应 ≥ 1".into());
        }
        if self
            .feature_weights
            .iter()
            .any(|w| !(w.is_finite() && *w >= 0.0))
            || self.feature_weights.iter().all(|w| *w == 0.0)
        {
            p.push(format!(
                "feature_weights = {:?} 应为非负且不全为 0 (importance, problem, resilience, conflict)",
                self.feature_weights
            ));
        }
        if !(0.0..100.0).contains(&self.min_zone_share_pct) {
            p.push(format!(
                "min_zone_share_pct = {} 应在 0–100 之间 (% of the region)",
                self.min_zone_share_pct
            ));
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ZoningError::Params(p))
        }
    }

    /// Block side in cells for [`super::block_units`] on a grid of `cell_size_m`.
    pub fn block_cells(&self, cell_size_m: f64) -> usize {
        ((self.unit_size_m / cell_size_m).round() as usize).max(1)
    }

    pub fn feature_settings(&self) -> FeatureSettings {
        FeatureSettings {
            important_grade: self.important_grade,
            erosion_problem_class: self.erosion_problem_class,
            mining_classes: self.mining_classes.clone(),
        }
    }
}

/// Mode of the matrix overlay (METHODS §4.3).
pub fn matrix_mode(
    importance_share: f64,
    problem_share: f64,
    resilience: f64,
    p: &ZoningParams,
) -> RestorationMode {
    let imp = importance_share >= p.importance_high_share;
    let prob = problem_share >= p.problem_high_share;
    match (imp, prob) {
        (true, false) => RestorationMode::ProtectConserve,
        (true, true) if resilience >= p.resilience_high => RestorationMode::NaturalRecovery,
        (true, true) => RestorationMode::AssistedRegeneration,
        (false, true) => RestorationMode::Reconstruction,
        (false, false) => RestorationMode::GeneralControl,
    }
}

/// A restoration zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// 1…n, north to south then west to east (by centroid).
    pub id: u32,
    pub name: String,
    pub mode: RestorationMode,
    /// The k-means cluster (or matrix mode) the zone came from.
    pub label: usize,
    pub units: Vec<u32>,
    pub cells: u64,
    pub area_m2: f64,
    /// Share of the zoned area, %.
    pub percent: f64,
    pub direction: &'static str,
    pub terrain: &'static str,
    /// 主要问题 (Chinese, may be empty) and area-weighted means of the unit features.
    pub problem: &'static str,
    pub importance_share: f64,
    pub problem_share: f64,
    pub erosion_share: f64,
    pub conflict_share: f64,
    pub mining_share: f64,
    pub resilience: f64,
    pub mean_slope_deg: f64,
    pub dominant_space: super::Space,
}

/// Result of [`zone_units`].
#[derive(Debug, Clone, PartialEq)]
pub struct ZoningResult {
    /// Zone of each unit (index = unit id; 0 = none).
    pub unit_zone: Vec<u32>,
    pub zones: Vec<Zone>,
    /// Number of clusters (k-means) or modes present (matrix) before clean-up.
    pub k: usize,
    /// Silhouette of the clustering (k-means only).
    pub silhouette: Option<f64>,
    /// Silhouette of each tried k (k-means with k chosen).
    pub tried: Vec<(usize, f64)>,
    pub merged_fragments: usize,
}

impl ZoningResult {
    /// Zone id of every cell (0 outside any unit).
    pub fn paint(&self, units: &Grid<u32>) -> Grid<u32> {
        units.map(Some(0), |u| {
            self.unit_zone.get(u as usize).copied().unwrap_or(0)
        })
    }
}

/// The z-scored feature vectors (importance, problem, resilience, conflict), each times its
/// weight, of the units with cells, and their ids.
fn scaled_features(f: &UnitFeatures, weights: &[f64; 4]) -> (Vec<u32>, Vec<Vec<f64>>) {
    let ids: Vec<u32> = (1..f.len())
        .filter(|u| f.cells[*u] > 0)
        .map(|u| u as u32)
        .collect();
    let cols: [&Vec<f64>; 4] = [&f.importance, &f.problem, &f.resilience, &f.conflict];
    let mut pts: Vec<Vec<f64>> = ids.iter().map(|_| Vec::with_capacity(4)).collect();
    for (col, w) in cols.into_iter().zip(weights) {
        let vals: Vec<f64> = ids.iter().map(|u| col[*u as usize]).collect();
        let n = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / n;
        let sd = (vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        for (p, v) in pts.iter_mut().zip(&vals) {
            p.push(if sd > 0.0 { w * (v - mean) / sd } else { 0.0 });
        }
    }
    (ids, pts)
}

/// Groups units into zones: labels by the chosen method, then contiguity clean-up, then one zone
/// per remaining connected group, named by position, terrain, mode and main problem.
pub fn zone_units(
    f: &UnitFeatures,
    graph: &UnitGraph,
    p: &ZoningParams,
) -> Result<ZoningResult, ZoningError> {
    p.validate()?;
    let (ids, pts) = scaled_features(f, &p.feature_weights);
    if ids.is_empty() {
        return Err(ZoningError::Empty);
    }
    let n = f.len();
    let mut labels = vec![usize::MAX; n];
    let mut sil = None;
    let mut tried = Vec::new();
    let k;
    match p.method {
        ZoningMethod::Matrix => {
            for u in &ids {
                let u = *u as usize;
                labels[u] = matrix_mode(f.importance[u], f.problem[u], f.resilience[u], p) as usize;
            }
            let mut present: Vec<usize> = ids.iter().map(|u| labels[*u as usize]).collect();
            present.sort_unstable();
            present.dedup();
            k = present.len();
        }
        ZoningMethod::KMeans { k: fixed } | ZoningMethod::Sofm { k: fixed } => {
            let weights: Vec<f64> = ids.iter().map(|u| f.cells[*u as usize] as f64).collect();
            let range = match fixed {
                Some(k) => k..=k,
                None => p.k_min..=p.k_max,
            };
            let som = SofmSettings {
                epochs: p.sofm_epochs,
                ..Default::default()
            };
            let mut best: Option<(f64, usize, Vec<usize>)> = None;
            for kk in range {
                let r = match p.method {
                    ZoningMethod::Sofm { .. } => sofm(&pts, &weights, kk, p.seed, p.restarts, &som),
                    _ => kmeans(&pts, &weights, kk, p.seed, p.restarts, p.max_iter),
                };
                let s = silhouette(&pts, &r.labels, 2000);
                tried.push((kk, s));
                if best.as_ref().is_none_or(|b| s > b.0 + 1e-12) {
                    best = Some((s, kk, r.labels));
                }
            }
            let (s, kk, l) = best.expect("non-empty k range");
            for (u, c) in ids.iter().zip(l) {
                labels[*u as usize] = c;
            }
            sil = Some(s);
            k = kk;
        }
    }
    let mut point_of = vec![usize::MAX; n];
    for (j, u) in ids.iter().enumerate() {
        point_of[*u as usize] = j;
    }
    let total_cells: u64 = f.cells.iter().sum();
    let min_cells = (p.min_zone_share_pct / 100.0 * total_cells as f64).ceil() as u64;
    let (labels, merged) =
        cleanup_contiguity(&labels, &f.cells, graph, min_cells, |u| &pts[point_of[u]]);
    let (comp, ncomp) = components(&labels, &f.cells, graph);
    Ok(build_zones(
        f, p, &labels, &comp, ncomp, k, sil, tried, merged,
    ))
}

/// One perturbed re-run of [`zoning_stability`].
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityRun {
    /// What was perturbed, e.g. `importance ×1.1` or `problem_high_share ×0.9`.
    pub perturbed: String,
    pub factor: f64,
    /// Adjusted Rand index of the units' zones against the unperturbed zoning.
    pub ari: f64,
    pub zones: usize,
}

/// Stability of a zoning under ±`delta` (e.g. 0.1 = ±10 %) weight perturbation (METHODS §4.4):
/// each clustering feature weight (importance, problem, resilience, conflict) in turn, or for the
/// matrix overlay each threshold (importance/problem share, resilience), is multiplied by
/// 1 − delta and 1 + delta and the zoning re-run (k held at the base run's k); each run reports
/// the adjusted Rand index of the units' zones against `base`.
pub fn zoning_stability(
    f: &UnitFeatures,
    graph: &UnitGraph,
    p: &ZoningParams,
    base: &ZoningResult,
    delta: f64,
) -> Result<Vec<StabilityRun>, ZoningError> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(ZoningError::Params(vec![format!(
            "perturbation = {delta} 应在 0–1 之间 (0.1 = ±10 %)"
        )]));
    }
    let units: Vec<usize> = (0..f.len()).filter(|u| f.cells[*u] > 0).collect();
    let base_labels: Vec<usize> = units.iter().map(|u| base.unit_zone[*u] as usize).collect();
    let fixed = ZoningParams {
        method: p.method.with_k(base.k.max(2)),
        ..p.clone()
    };
    let mut runs = Vec::new();
    for factor in [1.0 - delta, 1.0 + delta] {
        let variants: Vec<(String, ZoningParams)> = match p.method {
            ZoningMethod::Matrix => {
                let mut v = Vec::new();
                for (name, set) in [
                    (
                        "importance_high_share",
                        (|q: &mut ZoningParams, x: f64| q.importance_high_share *= x)
                            as fn(&mut ZoningParams, f64),
                    ),
                    ("problem_high_share", |q, x| q.problem_high_share *= x),
                    ("resilience_high", |q, x| q.resilience_high *= x),
                ] {
                    let mut q = fixed.clone();
                    set(&mut q, factor);
                    q.importance_high_share = q.importance_high_share.min(1.0);
                    q.problem_high_share = q.problem_high_share.min(1.0);
                    q.resilience_high = q.resilience_high.min(1.0);
                    v.push((format!("{name} ×{factor:.2}"), q));
                }
                v
            }
            _ => ["importance", "problem", "resilience", "conflict"]
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    let mut q = fixed.clone();
                    q.feature_weights[j] *= factor;
                    (format!("weight {name} ×{factor:.2}"), q)
                })
                .collect(),
        };
        for (what, q) in variants {
            let r = zone_units(f, graph, &q)?;
            let labels: Vec<usize> = units.iter().map(|u| r.unit_zone[*u] as usize).collect();
            runs.push(StabilityRun {
                perturbed: what,
                factor,
                ari: adjusted_rand_index(&base_labels, &labels),
                zones: r.zones.len(),
            });
        }
    }
    Ok(runs)
}

/// Connected groups of units with the same label (units without cells get `usize::MAX`).
fn components(labels: &[usize], cells: &[u64], g: &UnitGraph) -> (Vec<usize>, usize) {
    let n = labels.len();
    let mut comp = vec![usize::MAX; n];
    let mut next = 0;
    let mut stack = Vec::new();
    for s in 0..n {
        if comp[s] != usize::MAX || cells[s] == 0 || labels[s] == usize::MAX {
            continue;
        }
        comp[s] = next;
        stack.push(s);
        while let Some(u) = stack.pop() {
            for &(v, _) in &g.neighbours[u] {
                let v = v as usize;
                if comp[v] == usize::MAX && cells[v] > 0 && labels[v] == labels[s] {
                    comp[v] = next;
                    stack.push(v);
                }
            }
        }
        next += 1;
    }
    (comp, next)
}

/// Merges every connected group of same-label units smaller than `min_cells` into the touching
/// group whose area-weighted feature mean is nearest (ties: the longest shared boundary), smallest
/// groups first, until none is left that touches another group. Returns the new labels and the
/// number of merges.
pub fn cleanup_contiguity<'a>(
    labels: &[usize],
    cells: &[u64],
    g: &UnitGraph,
    min_cells: u64,
    features: impl Fn(usize) -> &'a Vec<f64>,
) -> (Vec<usize>, usize) {
    let mut labels = labels.to_vec();
    let mut merges = 0;
    loop {
        let (comp, nc) = components(&labels, cells, g);
        let mut area = vec![0u64; nc];
        let mut mean: Vec<Vec<f64>> = vec![Vec::new(); nc];
        let mut label_of = vec![0usize; nc];
        for u in 0..labels.len() {
            let c = comp[u];
            if c == usize::MAX {
                continue;
            }
            area[c] += cells[u];
            label_of[c] = labels[u];
            let fv = features(u);
            if mean[c].is_empty() {
                mean[c] = vec![0.0; fv.len()];
            }
            for (m, v) in mean[c].iter_mut().zip(fv) {
                *m += v * cells[u] as f64;
            }
        }
        for c in 0..nc {
            for m in &mut mean[c] {
                *m /= area[c].max(1) as f64;
            }
        }
        // Boundary lengths between groups.
        let mut order: Vec<usize> = (0..nc).filter(|c| area[*c] < min_cells).collect();
        order.sort_by_key(|c| (area[*c], *c));
        let mut done = false;
        for small in order {
            let mut shared: std::collections::BTreeMap<usize, u64> = Default::default();
            for u in 0..labels.len() {
                if comp[u] != small {
                    continue;
                }
                for &(v, e) in &g.neighbours[u] {
                    let cv = comp[v as usize];
                    if cv != usize::MAX && cv != small {
                        *shared.entry(cv).or_default() += e as u64;
                    }
                }
            }
            let target = shared
                .iter()
                .map(|(c, e)| {
                    let d: f64 = mean[small]
                        .iter()
                        .zip(&mean[*c])
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    (d, std::cmp::Reverse(*e), *c)
                })
                .min_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            if let Some((_, _, t)) = target {
                for u in 0..labels.len() {
                    if comp[u] == small {
                        labels[u] = label_of[t];
                    }
                }
                merges += 1;
                done = true;
                break;
            }
        }
        if !done {
            return (labels, merges);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_zones(
    f: &UnitFeatures,
    p: &ZoningParams,
    labels: &[usize],
    comp: &[usize],
    ncomp: usize,
    k: usize,
    sil: Option<f64>,
    tried: Vec<(usize, f64)>,
    merged: usize,
) -> ZoningResult {
    #[derive(Default, Clone)]
    struct Acc {
        units: Vec<u32>,
        cells: u64,
        cx: f64,
        cy: f64,
        imp: f64,
        prob: f64,
        ero: f64,
        con: f64,
        min: f64,
        res: f64,
        slope: f64,
        slope_w: f64,
        sp: [f64; 3],
        label: usize,
    }
    let mut acc = vec![Acc::default(); ncomp];
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    let (mut gx, mut gy, mut gw) = (0.0, 0.0, 0.0);
    for u in 0..f.len() {
        let c = comp[u];
        if c == usize::MAX {
            continue;
        }
        let w = f.cells[u] as f64;
        let a = &mut acc[c];
        a.units.push(u as u32);
        a.cells += f.cells[u];
        a.label = labels[u];
        a.cx += f.centroid[u].0 * w;
        a.cy += f.centroid[u].1 * w;
        a.imp += f.importance[u] * w;
        a.prob += f.problem[u] * w;
        a.ero += f.erosion[u] * w;
        a.con += f.conflict[u] * w;
        a.min += f.mining[u] * w;
        a.res += f.resilience[u] * w;
        if f.slope[u].is_finite() {
            a.slope += f.slope[u] * w;
            a.slope_w += w;
        }
        for s in 0..3 {
            a.sp[s] += f.spaces[u][s] * w;
        }
        let (ux, uy) = f.centroid[u];
        x0 = x0.min(ux);
        x1 = x1.max(ux);
        y0 = y0.min(uy);
        y1 = y1.max(uy);
        gx += ux * w;
        gy += uy * w;
        gw += w;
    }
    let (gx, gy) = (gx / gw, gy / gw);
    let hx = ((x1 - x0) / 2.0).max(1e-9);
    let hy = ((y1 - y0) / 2.0).max(1e-9);
    let total: f64 = acc.iter().map(|a| a.cells as f64).sum();
    let mut zones: Vec<(f64, f64, Zone)> = acc
        .into_iter()
        .map(|a| {
            let w = a.cells as f64;
            let (cx, cy) = (a.cx / w, a.cy / w);
            let m = |v: f64| v / w;
            let (imp, prob, res) = (m(a.imp), m(a.prob), m(a.res));
            let mode = match p.method {
                ZoningMethod::Matrix => RestorationMode::from_u8(a.label as u8),
                ZoningMethod::KMeans { .. } | ZoningMethod::Sofm { .. } => {
                    matrix_mode(imp, prob, res, p)
                }
            };
            let sp = [m(a.sp[0]), m(a.sp[1]), m(a.sp[2])];
            let dominant = (0..3)
                .max_by(|x, y| {
                    sp[*x]
                        .partial_cmp(&sp[*y])
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .unwrap_or(0);
            let dominant_space = super::Space::ALL[dominant];
            let (ero, con, min) = (m(a.ero), m(a.con), m(a.min));
            let problem = main_problem(ero, con, min);
            let slope = if a.slope_w > 0.0 {
                a.slope / a.slope_w
            } else {
                f64::NAN
            };
            // Rows grow southwards: north is −dy.
            let direction = direction_zh((cx - gx) / hx, (gy - cy) / hy);
            let terrain = terrain_zh(slope);
            let name = zone_name(direction, terrain, mode, dominant_space, problem);
            (
                cy,
                cx,
                Zone {
                    id: 0,
                    name,
                    mode,
                    label: a.label,
                    units: a.units,
                    cells: a.cells,
                    area_m2: w * f.cell_area_m2,
                    percent: 100.0 * w / total,
                    direction,
                    terrain,
                    problem,
                    importance_share: imp,
                    problem_share: prob,
                    erosion_share: ero,
                    conflict_share: con,
                    mining_share: min,
                    resilience: res,
                    mean_slope_deg: slope,
                    dominant_space,
                },
            )
        })
        .collect();
    zones.sort_by(|a, b| {
        (a.0, a.1)
            .partial_cmp(&(b.0, b.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut zones: Vec<Zone> = zones.into_iter().map(|z| z.2).collect();
    let mut names: Vec<String> = zones.iter().map(|z| z.name.clone()).collect();
    make_unique(&mut names);
    let mut unit_zone = vec![0u32; f.len()];
    for (i, (z, name)) in zones.iter_mut().zip(names).enumerate() {
        z.id = i as u32 + 1;
        z.name = name;
        for u in &z.units {
            unit_zone[*u as usize] = z.id;
        }
    }
    ZoningResult {
        unit_zone,
        zones,
        k,
        silhouette: sil,
        tried,
        merged_fragments: merged,
    }
}

/// 主要问题 from the shares of eroded, conflicting and mining land ("" when all are small).
pub(crate) fn main_problem(erosion: f64, conflict: f64, mining: f64) -> &'static str {
    if mining >= 0.05 && mining >= erosion.max(conflict) / 4.0 {
        "矿山治理"
    } else if conflict >= 0.1 && conflict >= erosion {
        "国土综合整治"
    } else if erosion >= 0.05 {
        "水土保持"
    } else {
        ""
    }
}

fn zone_name(
    direction: &str,
    terrain: &str,
    mode: RestorationMode,
    space: super::Space,
    problem: &str,
) -> String {
    use super::Space;
    let function = match mode {
        RestorationMode::ProtectConserve => "生态保护保育",
        RestorationMode::NaturalRecovery => "生态自然恢复",
        RestorationMode::AssistedRegeneration => "生态修复",
        RestorationMode::Reconstruction => "生态重建",
        RestorationMode::GeneralControl => match space {
            Space::Agricultural => "农田生态提升",
            Space::Urban => "城镇生态提升",
            Space::Ecological => "生态维护",
        },
    };
    if problem.is_empty() {
        format!("{direction}{terrain}{function}区")
    } else {
        format!("{direction}{terrain}{function}与{problem}区")
    }
}

#[cfg(test)]
mod tests {
    use super::super::block_units;
    use super::*;

    fn features_of(
        cols: usize,
        rows: usize,
        imp: &[f64],
        prob: &[f64],
    ) -> (UnitFeatures, UnitGraph) {
        // One unit per cell.
        let region = Grid::<u8>::filled(
            &Grid::<u8>::from_rows(cols, rows, vec![1; cols * rows])
                .unwrap()
                .spec(),
            1,
            None,
        );
        let units = block_units(&region, 1);
        let g = UnitGraph::from_units(&units);
        let n = cols * rows + 1;
        let mut f = UnitFeatures {
            cells: vec![1; n],
            cell_area_m2: 1.0,
            importance: vec![0.0; n],
            importance_mean: vec![1.0; n],
            erosion: vec![0.0; n],
            conflict: vec![0.0; n],
            mining: vec![0.0; n],
            problem: vec![0.0; n],
            resilience: vec![0.7; n],
            pattern: vec![0.0; n],
            spaces: vec![[1.0, 0.0, 0.0]; n],
            slope: vec![f64::NAN; n],
            elevation: vec![f64::NAN; n],
            centroid: (0..n)
                .map(|u| {
                    (
                        ((u.max(1) - 1) % cols) as f64,
                        ((u.max(1) - 1) / cols) as f64,
                    )
                })
                .collect(),
        };
        f.cells[0] = 0;
        for u in 1..n {
            f.importance[u] = imp[u - 1];
            f.problem[u] = prob[u - 1];
            f.erosion[u] = prob[u - 1];
        }
        (f, g)
    }

    #[test]
    fn matrix_modes() {
        let p = ZoningParams::default();
        assert_eq!(
            matrix_mode(0.9, 0.0, 0.8, &p),
            RestorationMode::ProtectConserve
        );
        assert_eq!(
            matrix_mode(0.9, 0.5, 0.8, &p),
            RestorationMode::NaturalRecovery
        );
        assert_eq!(
            matrix_mode(0.9, 0.5, 0.2, &p),
            RestorationMode::AssistedRegeneration
        );
        assert_eq!(
            matrix_mode(0.1, 0.5, 0.8, &p),
            RestorationMode::Reconstruction
        );
        assert_eq!(
            matrix_mode(0.1, 0.1, 0.8, &p),
            RestorationMode::GeneralControl
        );
    }

    #[test]
    fn a_one_cell_island_merges_into_its_surroundings() {
        // 3×3 units, all low importance / low problem except the centre (high importance).
        let mut imp = vec![0.0; 9];
        imp[4] = 1.0;
        let (f, g) = features_of(3, 3, &imp, &[0.0; 9]);
        let p = ZoningParams {
            min_zone_share_pct: 20.0,
            ..Default::default()
        };
        let r = zone_units(&f, &g, &p).unwrap();
        assert_eq!(r.zones.len(), 1, "{:?}", r.zones);
        assert_eq!(r.merged_fragments, 1);
        assert_eq!(r.zones[0].mode, RestorationMode::GeneralControl);
        assert_eq!(r.zones[0].cells, 9);
        assert!((r.zones[0].percent - 100.0).abs() < 1e-12);
        // Without the minimum the island stays a zone of its own, named as protected.
        let p0 = ZoningParams {
            min_zone_share_pct: 0.0,
            ..Default::default()
        };
        let r0 = zone_units(&f, &g, &p0).unwrap();
        assert_eq!(r0.zones.len(), 2);
        let island = r0.zones.iter().find(|z| z.cells == 1).unwrap();
        assert_eq!(island.mode, RestorationMode::ProtectConserve);
        assert_eq!(island.name, "中部生态保护保育区");
        assert_eq!(r0.unit_zone[5], island.id);
    }

    #[test]
    fn kmeans_zones_separable_halves_and_names_them_by_position() {
        // 4×2: west half important and intact, east half eroded and unimportant.
        let imp = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let prob = [0.0, 0.0, 0.8, 0.8, 0.0, 0.0, 0.8, 0.8];
        let (f, g) = features_of(4, 2, &imp, &prob);
        let p = ZoningParams {
            method: ZoningMethod::KMeans { k: Some(2) },
            min_zone_share_pct: 10.0,
            ..Default::default()
        };
        let r = zone_units(&f, &g, &p).unwrap();
        assert_eq!(r.zones.len(), 2);
        assert!(r.silhouette.unwrap() > 0.9);
        let west = r.zones.iter().find(|z| z.units.contains(&1)).unwrap();
        let east = r.zones.iter().find(|z| z.units.contains(&3)).unwrap();
        let mut wu = west.units.clone();
        wu.sort();
        assert_eq!(wu, vec![1, 2, 5, 6]);
        assert_eq!(west.name, "西部生态保护保育区");
        assert_eq!(east.mode, RestorationMode::Reconstruction);
        assert_eq!(east.name, "东部生态重建与水土保持区");
        assert_eq!(west.percent + east.percent, 100.0);
    }

    #[test]
    fn sofm_zones_the_same_separable_halves_as_kmeans() {
        let imp = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let prob = [0.0, 0.0, 0.8, 0.8, 0.0, 0.0, 0.8, 0.8];
        let (f, g) = features_of(4, 2, &imp, &prob);
        let run = |method| {
            zone_units(
                &f,
                &g,
                &ZoningParams {
                    method,
                    min_zone_share_pct: 10.0,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let s = run(ZoningMethod::Sofm { k: Some(2) });
        let k = run(ZoningMethod::KMeans { k: Some(2) });
        assert_eq!(s.zones.len(), 2);
        let as_usize = |v: &[u32]| v.iter().map(|z| *z as usize).collect::<Vec<_>>();
        assert_eq!(
            adjusted_rand_index(&as_usize(&s.unit_zone), &as_usize(&k.unit_zone)),
            1.0
        );
        let west = s.zones.iter().find(|z| z.units.contains(&1)).unwrap();
        assert_eq!(west.name, "西部生态保护保育区");
        // k chosen by silhouette in 2…3 picks 2 here; the same seed, the same zones.
        let chosen = zone_units(
            &f,
            &g,
            &ZoningParams {
                method: ZoningMethod::Sofm { k: None },
                k_min: 2,
                k_max: 3,
                min_zone_share_pct: 10.0,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(chosen.k, 2);
        assert_eq!(chosen.unit_zone, s.unit_zone);
        assert_eq!(chosen.tried.len(), 2);
    }

    #[test]
    fn stability_of_well_separated_zones_is_perfect_and_of_marginal_ones_is_not() {
        let imp = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let prob = [0.0, 0.0, 0.8, 0.8, 0.0, 0.0, 0.8, 0.8];
        let (f, g) = features_of(4, 2, &imp, &prob);
        for method in [
            ZoningMethod::KMeans { k: Some(2) },
            ZoningMethod::Sofm { k: Some(2) },
            ZoningMethod::Matrix,
        ] {
            let p = ZoningParams {
                method,
                min_zone_share_pct: 0.0,
                ..Default::default()
            };
            let base = zone_units(&f, &g, &p).unwrap();
            let runs = zoning_stability(&f, &g, &p, &base, 0.1).unwrap();
            let expect = if method == ZoningMethod::Matrix { 6 } else { 8 };
            assert_eq!(runs.len(), expect);
            assert!(runs.iter().all(|r| r.ari == 1.0), "{runs:?}");
        }
        // A unit exactly 5 % above the matrix importance threshold changes mode at ×1.1.
        let imp = [0.525, 0.525, 0.0, 0.0];
        let (f, g) = features_of(2, 2, &imp, &[0.0; 4]);
        let p = ZoningParams {
            min_zone_share_pct: 0.0,
            ..Default::default()
        };
        let base = zone_units(&f, &g, &p).unwrap();
        assert_eq!(base.zones.len(), 2);
        let runs = zoning_stability(&f, &g, &p, &base, 0.1).unwrap();
        let up = runs
            .iter()
            .find(|r| r.perturbed == "importance_high_share ×1.10")
            .unwrap();
        // Everything falls into one zone: ARI of {1,2},{3,4} against one cluster is 0.
        assert_eq!(up.zones, 1);
        assert_eq!(up.ari, 0.0);
        assert!(zoning_stability(&f, &g, &p, &base, 0.0).is_err());
    }

    #[test]
    fn validate_reports_everything() {
        let p = ZoningParams {
            unit_size_m: -1.0,
            importance_high_share: 2.0,
            k_min: 5,
            k_max: 3,
            min_zone_share_pct: 150.0,
            feature_weights: [1.0, -1.0, 1.0, 1.0],
            ..Default::default()
        };
        let ZoningError::Params(v) = p.validate().unwrap_err() else {
            panic!()
        };
        assert_eq!(v.len(), 5, "{v:?}");
    }
}
