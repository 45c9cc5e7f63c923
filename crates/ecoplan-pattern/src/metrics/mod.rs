//! Landscape metrics (景观格局指数) with FRAGSTATS 4.2 definitions and landscapemetrics names.
//!
//! Patches use the 8-cell rule. Units follow FRAGSTATS: areas in ha, lengths in m, densities
//! per 100 ha, PARA in m/ha, percentages 0–100. Conventions (checked against FRAGSTATS tables):
//! * the landscape boundary (and nodata) is not class edge: TE/ED exclude it, but LSI, nLSI,
//!   PLADJ and CLUMPY count it in their edge/adjacency totals, and patch PERIM includes it;
//! * core area uses an edge depth of one cell: a cell is core when its four neighbours belong
//!   to the patch (cells on the landscape boundary are never core); disjunct core areas are
//!   8-connected;
//! * standard deviations are population SDs; CV = 100·SD/mean; ENN is the shortest
//!   centre-to-centre distance between cells of two patches of the same class;
//! * GYRATE is the mean distance of cell centres to the patch centroid (half a cell for
//!   one-cell patches, as FRAGSTATS reports); CIRCLE uses the largest distance between cell
//!   corners (0 for one-cell patches); PAFRAC needs at least 10 patches.
//!
//! Undefined values (e.g. IJI with fewer than three classes) are reported as NaN (`NA`).
//!
//! ```
//! use ecoplan_grid::{Grid, NoProgress};
//! use ecoplan_pattern::metrics::{landscape_metrics, Level, MetricsParams};
//! // Two 2×2 classes side by side, 10 m cells.
//! let mut g = Grid::from_rows(4, 2, vec![1u8, 1, 2, 2, 1, 1, 2, 2]).unwrap();
//! g.transform = ecoplan_grid::GeoTransform::north_up(0.0, 20.0, 10.0);
//! let t = landscape_metrics(&g, &MetricsParams::default(), &NoProgress).unwrap();
//! assert_eq!(t.get(Level::Class, Some(1), "ca"), Some(0.04)); // 4 cells × 100 m² = 0.04 ha
//! assert_eq!(t.get(Level::Landscape, None, "te"), Some(20.0)); // one shared side of 2 cells
//! ```

mod analysis;
mod enn;
mod hull;
pub mod window;

use analysis::{Analysis, Needs, OUTSIDE};
use ecoplan_grid::{Cell, Grid, Progress};
use serde::{Deserialize, Serialize};

/// Level of a metric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Patch,
    Class,
    Landscape,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Patch => "patch",
            Level::Class => "class",
            Level::Landscape => "landscape",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "patch" | "p" => Some(Level::Patch),
            "class" | "c" => Some(Level::Class),
            "landscape" | "l" => Some(Level::Landscape),
            _ => None,
        }
    }
}

/// Patch-level metrics, in landscapemetrics' names.
pub const PATCH_METRICS: &[&str] = &[
    "area", "perim", "gyrate", "para", "shape", "frac", "circle", "contig", "core", "ncore", "cai",
    "enn",
];

/// Patch metrics aggregated with `_mn`, `_sd`, `_cv` at class and landscape level.
const DISTRIBUTED: &[&str] = &[
    "area", "gyrate", "shape", "frac", "para", "circle", "contig", "core", "dcore", "cai", "enn",
];

/// `{metric}_mn`, `_sd`, `_cv` names of [`DISTRIBUTED`], in the same order.
const DISTRIBUTED_NAMES: &[[&str; 3]] = &[
    ["area_mn", "area_sd", "area_cv"],
    ["gyrate_mn", "gyrate_sd", "gyrate_cv"],
    ["shape_mn", "shape_sd", "shape_cv"],
    ["frac_mn", "frac_sd", "frac_cv"],
    ["para_mn", "para_sd", "para_cv"],
    ["circle_mn", "circle_sd", "circle_cv"],
    ["contig_mn", "contig_sd", "contig_cv"],
    ["core_mn", "core_sd", "core_cv"],
    ["dcore_mn", "dcore_sd", "dcore_cv"],
    ["cai_mn", "cai_sd", "cai_cv"],
    ["enn_mn", "enn_sd", "enn_cv"],
];

const CLASS_ONLY: &[&str] = &[
    "ca", "pland", "np", "pd", "lpi", "te", "ed", "lsi", "nlsi", "pafrac", "tca", "cpland", "ndca",
    "dcad", "clumpy", "pladj", "iji", "cohesion", "division", "mesh", "split", "ai",
];

const LANDSCAPE_ONLY: &[&str] = &[
    "ta", "np", "pd", "lpi", "te", "ed", "lsi", "pafrac", "tca", "ndca", "dcad", "contag", "pladj",
    "iji", "cohesion", "division", "mesh", "split", "pr", "prd", "shdi", "sidi", "msidi", "shei",
    "siei", "msiei", "ai",
];

/// All metric names available at `level`.
pub fn available(level: Level) -> Vec<String> {
    match level {
        Level::Patch => PATCH_METRICS.iter().map(|s| s.to_string()).collect(),
        Level::Class | Level::Landscape => {
            let base = if level == Level::Class {
                CLASS_ONLY
            } else {
                LANDSCAPE_ONLY
            };
            let mut v: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            for names in DISTRIBUTED_NAMES {
                v.extend(names.iter().map(|s| s.to_string()));
            }
            v
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsParams {
    /// Levels to report (default: patch, class and landscape).
    pub levels: Vec<Level>,
    /// Metric names to report (lowercase, landscapemetrics style); `None` = all.
    pub metrics: Option<Vec<String>>,
}

impl Default for MetricsParams {
    fn default() -> Self {
        MetricsParams {
            levels: vec![Level::Patch, Level::Class, Level::Landscape],
            metrics: None,
        }
    }
}

impl MetricsParams {
    /// Reports every unknown level/metric combination at once.
    pub fn validate(&self) -> Result<(), MetricsError> {
        let mut problems = Vec::new();
        if self.levels.is_empty() {
            problems.push("no level selected (patch, class, landscape)".to_string());
        }
        if let Some(names) = &self.metrics {
            if names.is_empty() {
                problems.push("empty metric list".to_string());
            }
            for n in names {
                let n = n.to_ascii_lowercase();
                if !self.levels.iter().any(|&l| available(l).contains(&n)) {
                    let levels: Vec<&str> = self.levels.iter().map(|l| l.name()).collect();
                    problems.push(format!(
                        "unknown metric '{n}' at level(s) {} (known: {})",
                        levels.join(","),
                        self.levels
                            .iter()
                            .flat_map(|&l| available(l))
                            .collect::<Vec<_>>()
                            .join(",")
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(MetricsError::InvalidParams(problems))
        }
    }

    /// The costlier statistics the selected metrics depend on.
    fn needs(&self) -> Needs {
        let any = |patch: &[&str], agg: &[&str]| {
            (self.levels.contains(&Level::Patch) && patch.iter().any(|n| self.wants(n)))
                || ((self.levels.contains(&Level::Class)
                    || self.levels.contains(&Level::Landscape))
                    && agg.iter().any(|n| self.wants(n)))
        };
        Needs {
            gyrate: any(&["gyrate"], &["gyrate_mn", "gyrate_sd", "gyrate_cv"]),
            core_areas: any(
                &["ncore"],
                &["ndca", "dcad", "dcore_mn", "dcore_sd", "dcore_cv"],
            ),
            diameter: any(&["circle"], &["circle_mn", "circle_sd", "circle_cv"]),
            enn: any(&["enn"], &["enn_mn", "enn_sd", "enn_cv"]),
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.metrics
            .as_ref()
            .is_none_or(|m| m.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }
}

/// Errors of landscape metrics.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum MetricsError {
    #[error("invalid metric parameters: {}", .0.join("; "))]
    InvalidParams(Vec<String>),
    #[error(
        "landscape metrics need integer class codes; cell (col {col}, row {row}) holds {value}. \
         Reclassify the raster first."
    )]
    NotAClass { col: usize, row: usize, value: f64 },
    #[error(
        "FRAGSTATS metrics need square cells; this grid has {dx} × {dy} cells. Resample first."
    )]
    NonSquareCells { dx: f64, dy: f64 },
    #[error("the landscape has no valid cell")]
    Empty,
    #[error("cancelled")]
    Cancelled,
}

/// One value in landscapemetrics' long format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricValue {
    pub level: Level,
    /// Class code (patch and class level).
    pub class: Option<i64>,
    /// Patch id (patch level): patches numbered from 1 by class, then raster order.
    pub id: Option<u32>,
    pub metric: &'static str,
    /// NaN when undefined.
    pub value: f64,
}

/// Metric values of one raster.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricsTable {
    pub values: Vec<MetricValue>,
}

impl MetricsTable {
    /// The value of a class/landscape metric (`class` = None for landscape level).
    pub fn get(&self, level: Level, class: Option<i64>, metric: &str) -> Option<f64> {
        self.values
            .iter()
            .find(|v| v.level == level && v.class == class && v.metric == metric && v.id.is_none())
            .map(|v| v.value)
    }
    /// All patch values of a metric.
    pub fn patch_values(&self, metric: &str) -> Vec<f64> {
        self.values
            .iter()
            .filter(|v| v.level == Level::Patch && v.metric == metric)
            .map(|v| v.value)
            .collect()
    }
}

/// Maps the grid's values to class indices (nodata → outside) and lists the class codes.
pub(crate) fn class_indices<T: Cell>(grid: &Grid<T>) -> Result<(Vec<u32>, Vec<i64>), MetricsError> {
    let mut values: Vec<i64> = Vec::new();
    let mut lookup: Option<(i64, Vec<u32>)> = None;
    // Pass 1: validate and find the value range.
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for (i, &v) in grid.data.iter().enumerate() {
        if grid.is_nodata(v) {
            continue;
        }
        let f = v.to_f64();
        if f.fract() != 0.0 || !f.is_finite() {
            return Err(MetricsError::NotAClass {
                col: i % grid.width,
                row: i / grid.width,
                value: f,
            });
        }
        lo = lo.min(f as i64);
        hi = hi.max(f as i64);
    }
    if lo > hi {
        return Err(MetricsError::Empty);
    }
    if hi - lo < 1 << 20 {
        let mut present = vec![false; (hi - lo + 1) as usize];
        for &v in &grid.data {
            if !grid.is_nodata(v) {
                present[(v.to_f64() as i64 - lo) as usize] = true;
            }
        }
        let mut index = vec![OUTSIDE; present.len()];
        for (k, &p) in present.iter().enumerate() {
            if p {
                index[k] = values.len() as u32;
                values.push(lo + k as i64);
            }
        }
        lookup = Some((lo, index));
    }
    let cls: Vec<u32> = if let Some((lo, index)) = lookup {
        grid.data
            .iter()
            .map(|&v| {
                if grid.is_nodata(v) {
                    OUTSIDE
                } else {
                    index[(v.to_f64() as i64 - lo) as usize]
                }
            })
            .collect()
    } else {
        let mut all: Vec<i64> = grid
            .data
            .iter()
            .filter(|&&v| !grid.is_nodata(v))
            .map(|v| v.to_f64() as i64)
            .collect();
        all.sort_unstable();
        all.dedup();
        values = all;
        grid.data
            .iter()
            .map(|&v| {
                if grid.is_nodata(v) {
                    OUTSIDE
                } else {
                    values.binary_search(&(v.to_f64() as i64)).unwrap() as u32
                }
            })
            .collect()
    };
    Ok((cls, values))
}

/// Minimum perimeter (cell sides) of `n` cells, reached by the most compact arrangement.
pub(crate) fn min_perimeter(n: u64) -> u64 {
    let m = n.isqrt();
    if m * m == n {
        4 * m
    } else if n <= m * (m + 1) {
        4 * m + 2
    } else {
        4 * m + 4
    }
}

/// Largest number of like adjacencies (single count) `n` cells can have (FRAGSTATS max g_ii).
pub(crate) fn max_like_adjacencies(n: u64) -> u64 {
    let s = n.isqrt();
    let m = n - s * s;
    if s == 0 {
        0
    } else if m == 0 {
        2 * s * (s - 1)
    } else if m <= s {
        2 * s * (s - 1) + 2 * m - 1
    } else {
        2 * s * (s - 1) + 2 * m - 2
    }
}

/// Mean, population SD and CV (%) of the values; NaN when empty.
fn distribution(v: &[f64]) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let sd = var.sqrt();
    (
        mean,
        sd,
        if mean == 0.0 {
            f64::NAN
        } else {
            100.0 * sd / mean
        },
    )
}

/// Perimeter-area fractal dimension from patch perimeters (m) and areas (m²); needs ≥ 10
/// patches and some spread in perimeter.
fn pafrac(per_area: &[(f64, f64)]) -> f64 {
    let n = per_area.len() as f64;
    if per_area.len() < 10 {
        return f64::NAN;
    }
    let (mut sp, mut sa, mut spa, mut spp) = (0.0, 0.0, 0.0, 0.0);
    for &(p, a) in per_area {
        let (lp, la) = (p.ln(), a.ln());
        sp += lp;
        sa += la;
        spa += lp * la;
        spp += lp * lp;
    }
    let den = n * spp - sp * sp;
    if den == 0.0 {
        return f64::NAN;
    }
    let slope = (n * spa - sp * sa) / den;
    2.0 / slope
}

/// Per-patch metric values in FRAGSTATS units.
struct PatchValues {
    area: f64,
    perim: f64,
    gyrate: f64,
    para: f64,
    shape: f64,
    frac: f64,
    circle: f64,
    contig: f64,
    core: f64,
    ncore: f64,
    cai: f64,
    enn: f64,
}

impl PatchValues {
    /// Value of `PATCH_METRICS[k]`.
    #[inline]
    fn at(&self, k: usize) -> f64 {
        match k {
            0 => self.area,
            1 => self.perim,
            2 => self.gyrate,
            3 => self.para,
            4 => self.shape,
            5 => self.frac,
            6 => self.circle,
            7 => self.contig,
            8 => self.core,
            9 => self.ncore,
            10 => self.cai,
            11 => self.enn,
            _ => f64::NAN,
        }
    }
}

fn patch_metric_index(name: &str) -> Option<usize> {
    PATCH_METRICS.iter().position(|&n| n == name)
}

fn patch_values(p: &analysis::Patch, cs: f64) -> PatchValues {
    let cell_m2 = cs * cs;
    let area_m2 = p.cells as f64 * cell_m2;
    let area = area_m2 / 10_000.0;
    let perim = p.perimeter as f64 * cs;
    let single = p.cells == 1;
    PatchValues {
        area,
        perim,
        gyrate: if single {
            0.5 * cs
        } else {
            p.sum_dist / p.cells as f64 * cs
        },
        para: perim / area,
        shape: p.perimeter as f64 / min_perimeter(p.cells) as f64,
        frac: if single {
            1.0
        } else {
            2.0 * (0.25 * perim).ln() / area_m2.ln()
        },
        circle: if single {
            0.0
        } else {
            let r = p.diameter * cs / 2.0;
            1.0 - area_m2 / (std::f64::consts::PI * r * r)
        },
        contig: (p.contig_sum as f64 / p.cells as f64 - 1.0) / 12.0,
        core: p.core_cells as f64 * cell_m2 / 10_000.0,
        ncore: p.core_areas as f64,
        cai: 100.0 * p.core_cells as f64 / p.cells as f64,
        enn: p.enn.map_or(f64::NAN, |d| d * cs),
    }
}

/// Computes the requested metrics of a class raster.
pub fn landscape_metrics<T: Cell>(
    grid: &Grid<T>,
    params: &MetricsParams,
    progress: &dyn Progress,
) -> Result<MetricsTable, MetricsError> {
    params.validate()?;
    let (dx, dy) = (grid.transform.cell_width(), grid.transform.cell_height());
    if (dx - dy).abs() > 1e-9 * dx.abs().max(dy.abs()) {
        return Err(MetricsError::NonSquareCells { dx, dy });
    }
    progress.begin("景观格局指数 landscape metrics", 3);
    let (cls, class_values) = class_indices(grid)?;
    progress.advance(1);
    if progress.cancelled() {
        return Err(MetricsError::Cancelled);
    }
    let a = Analysis::new(grid.width, grid.height, &cls, class_values, params.needs());
    drop(cls);
    progress.advance(2);
    let table = metrics_from_analysis(&a, dx, params);
    progress.advance(3);
    progress.finish();
    Ok(table)
}

fn metrics_from_analysis(a: &Analysis, cs: f64, params: &MetricsParams) -> MetricsTable {
    let m = a.classes();
    let cell_ha = cs * cs / 10_000.0;
    let total = a.total_cells as f64;
    let ta = total * cell_ha;
    let pv: Vec<PatchValues> = a.patches.iter().map(|p| patch_values(p, cs)).collect();
    let mut out = Vec::new();
    let want = |level: Level, name: &str| params.levels.contains(&level) && params.wants(name);
    let wanted = |name: &str| params.wants(name);

    // Patch ids: by class, then raster order (patch indices already follow raster order);
    // a stable counting sort by class.
    let order: Vec<usize> = {
        let mut start = vec![0usize; m + 1];
        for p in &a.patches {
            start[p.class as usize + 1] += 1;
        }
        for i in 0..m {
            start[i + 1] += start[i];
        }
        let mut order = vec![0usize; a.patches.len()];
        for (idx, p) in a.patches.iter().enumerate() {
            let c = p.class as usize;
            order[start[c]] = idx;
            start[c] += 1;
        }
        order
    };
    if params.levels.contains(&Level::Patch) {
        let patch_wanted: Vec<(usize, &'static str)> = PATCH_METRICS
            .iter()
            .enumerate()
            .filter(|(_, n)| params.wants(n))
            .map(|(k, &n)| (k, n))
            .collect();
        out.reserve(order.len() * patch_wanted.len());
        for (rank, &p) in order.iter().enumerate() {
            let class = a.class_values[a.patches[p].class as usize];
            for &(k, name) in &patch_wanted {
                out.push(MetricValue {
                    level: Level::Patch,
                    class: Some(class),
                    id: Some(rank as u32 + 1),
                    metric: name,
                    value: pv[p].at(k),
                });
            }
        }
    }

    let landscape_boundary: u64 = a.boundary_sides.iter().sum();
    // Distribution statistics over a set of patches (and their disjunct core areas).
    let distributions = |patches: &[usize], cores: &[f64]| -> Vec<(&'static str, f64)> {
        let mut v = Vec::new();
        for (d, names) in DISTRIBUTED.iter().zip(DISTRIBUTED_NAMES) {
            if !names.iter().any(|n| wanted(n)) {
                continue;
            }
            let vals: Vec<f64> = match patch_metric_index(d) {
                None => cores.to_vec(),
                Some(k) => patches
                    .iter()
                    .map(|&p| pv[p].at(k))
                    .filter(|x| !x.is_nan())
                    .collect(),
            };
            let (mn, sd, cv) = distribution(&vals);
            v.push((names[0], mn));
            v.push((names[1], sd));
            v.push((names[2], cv));
        }
        v
    };

    if params.levels.contains(&Level::Class) {
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); m];
        for &p in &order {
            by_class[a.patches[p].class as usize].push(p);
        }
        let mut cores_by_class: Vec<Vec<f64>> = vec![Vec::new(); m];
        for &(p, cells) in &a.core_areas {
            cores_by_class[a.patches[p as usize].class as usize].push(cells as f64 * cell_ha);
        }
        for i in 0..m {
            let class = a.class_values[i];
            let ps = &by_class[i];
            let cells_i = a.class_cells[i];
            let p_i = cells_i as f64 / total;
            let np = ps.len() as f64;
            let edge = a.class_edge(i);
            let e_i = edge + a.boundary_sides[i];
            let min_e = min_perimeter(cells_i);
            let max_e = (4 * cells_i).min(4 * (a.total_cells - cells_i) + landscape_boundary);
            let all_g: u64 = (0..m).map(|k| a.g(i, k)).sum::<u64>() + a.boundary_sides[i];
            let g_ii = a.g(i, i) as f64;
            let areas: Vec<f64> = ps.iter().map(|&p| a.patches[p].cells as f64).collect();
            let sum_a2: f64 = areas.iter().map(|x| x * x).sum();
            let perims: Vec<f64> = ps.iter().map(|&p| a.patches[p].perimeter as f64).collect();
            let cohesion = {
                let sp: f64 = perims.iter().sum();
                let spa: f64 = perims.iter().zip(&areas).map(|(p, a)| p * a.sqrt()).sum();
                (1.0 - sp / spa) / (1.0 - 1.0 / total.sqrt()) * 100.0
            };
            let clumpy = {
                let g = g_ii / (all_g as f64 - min_e as f64);
                if g < p_i && p_i < 0.5 {
                    (g - p_i) / p_i
                } else {
                    (g - p_i) / (1.0 - p_i)
                }
            };
            let iji = {
                let e: Vec<f64> = (0..m)
                    .filter(|&k| k != i)
                    .map(|k| a.g(i, k) as f64)
                    .collect();
                let tot: f64 = e.iter().sum();
                if m < 3 || tot == 0.0 {
                    f64::NAN
                } else {
                    -e.iter()
                        .filter(|&&x| x > 0.0)
                        .map(|x| (x / tot) * (x / tot).ln())
                        .sum::<f64>()
                        / ((m - 1) as f64).ln()
                        * 100.0
                }
            };
            let max_g = max_like_adjacencies(cells_i);
            let core_cells: u64 = ps.iter().map(|&p| a.patches[p].core_cells).sum();
            let ndca = cores_by_class[i].len() as f64;
            let lpi = areas.iter().cloned().fold(0.0, f64::max) / total * 100.0;
            let per_area: Vec<(f64, f64)> = ps
                .iter()
                .map(|&p| (pv[p].perim, pv[p].area * 10_000.0))
                .collect();
            let mut vals: Vec<(&'static str, f64)> = vec![
                ("ca", cells_i as f64 * cell_ha),
                ("pland", 100.0 * p_i),
                ("np", np),
                ("pd", np / ta * 100.0),
                ("lpi", lpi),
                ("te", edge as f64 * cs),
                ("ed", edge as f64 * cs / ta),
                ("lsi", e_i as f64 / min_e as f64),
                (
                    "nlsi",
                    if max_e > min_e {
                        (e_i as f64 - min_e as f64) / (max_e - min_e) as f64
                    } else {
                        f64::NAN
                    },
                ),
                ("pafrac", pafrac(&per_area)),
                ("tca", core_cells as f64 * cell_ha),
                ("cpland", core_cells as f64 / total * 100.0),
                ("ndca", ndca),
                ("dcad", ndca / ta * 100.0),
                ("clumpy", clumpy),
                ("pladj", g_ii / all_g as f64 * 100.0),
                ("iji", iji),
                ("cohesion", cohesion),
                ("division", 1.0 - sum_a2 / (total * total)),
                ("mesh", sum_a2 / total * cell_ha),
                ("split", total * total / sum_a2),
                (
                    "ai",
                    if max_g == 0 {
                        f64::NAN
                    } else {
                        a.adj[i * m + i] as f64 / max_g as f64 * 100.0
                    },
                ),
            ];
            vals.extend(distributions(ps, &cores_by_class[i]));
            for (name, value) in vals {
                if want(Level::Class, name) {
                    out.push(MetricValue {
                        level: Level::Class,
                        class: Some(class),
                        id: None,
                        metric: name,
                        value,
                    });
                }
            }
        }
    }

    if params.levels.contains(&Level::Landscape) {
        let all: Vec<usize> = order.clone();
        let cores: Vec<f64> = a
            .core_areas
            .iter()
            .map(|&(_, c)| c as f64 * cell_ha)
            .collect();
        let props: Vec<f64> = a.class_cells.iter().map(|&c| c as f64 / total).collect();
        let mf = m as f64;
        let np = a.patches.len() as f64;
        let edge = a.landscape_edge();
        let areas: Vec<f64> = a.patches.iter().map(|p| p.cells as f64).collect();
        let sum_a2: f64 = areas.iter().map(|x| x * x).sum();
        let sp: f64 = a.patches.iter().map(|p| p.perimeter as f64).sum();
        let spa: f64 = a
            .patches
            .iter()
            .map(|p| p.perimeter as f64 * (p.cells as f64).sqrt())
            .sum();
        let like: u64 = (0..m).map(|i| a.g(i, i)).sum();
        let all_g: u64 = (0..m)
            .flat_map(|i| (0..m).map(move |k| (i, k)))
            .map(|(i, k)| a.g(i, k))
            .sum::<u64>()
            + landscape_boundary;
        let contag = if m < 2 {
            f64::NAN
        } else {
            let mut s = 0.0;
            for i in 0..m {
                let row: u64 = (0..m).map(|k| a.g(i, k)).sum();
                if row == 0 {
                    continue;
                }
                for k in 0..m {
                    let g = a.g(i, k);
                    if g > 0 {
                        let q = props[i] * g as f64 / row as f64;
                        s += q * q.ln();
                    }
                }
            }
            (1.0 + s / (2.0 * mf.ln())) * 100.0
        };
        let iji = if m < 3 || edge == 0 {
            f64::NAN
        } else {
            let e = edge as f64;
            let mut s = 0.0;
            for i in 0..m {
                for k in i + 1..m {
                    let g = a.g(i, k) as f64;
                    if g > 0.0 {
                        s += (g / e) * (g / e).ln();
                    }
                }
            }
            -s / (0.5 * mf * (mf - 1.0)).ln() * 100.0
        };
        let shdi: f64 = -props
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|p| p * p.ln())
            .sum::<f64>();
        let sum_p2: f64 = props.iter().map(|p| p * p).sum();
        let sidi = 1.0 - sum_p2;
        let msidi = -sum_p2.ln();
        let even = |x: f64, d: f64| if m < 2 { f64::NAN } else { x / d };
        let ai: f64 = (0..m)
            .map(|i| {
                let mg = max_like_adjacencies(a.class_cells[i]);
                if mg == 0 {
                    0.0
                } else {
                    a.adj[i * m + i] as f64 / mg as f64 * props[i]
                }
            })
            .sum::<f64>()
            * 100.0;
        let core_cells: u64 = a.patches.iter().map(|p| p.core_cells).sum();
        let ndca = a.core_areas.len() as f64;
        let per_area: Vec<(f64, f64)> = pv.iter().map(|v| (v.perim, v.area * 10_000.0)).collect();
        let mut vals: Vec<(&'static str, f64)> = vec![
            ("ta", ta),
            ("np", np),
            ("pd", np / ta * 100.0),
            (
                "lpi",
                areas.iter().cloned().fold(0.0, f64::max) / total * 100.0,
            ),
            ("te", edge as f64 * cs),
            ("ed", edge as f64 * cs / ta),
            (
                "lsi",
                (edge + landscape_boundary) as f64 / min_perimeter(a.total_cells) as f64,
            ),
            ("pafrac", pafrac(&per_area)),
            ("tca", core_cells as f64 * cell_ha),
            ("ndca", ndca),
            ("dcad", ndca / ta * 100.0),
            ("contag", contag),
            ("pladj", like as f64 / all_g as f64 * 100.0),
            ("iji", iji),
            (
                "cohesion",
                (1.0 - sp / spa) / (1.0 - 1.0 / total.sqrt()) * 100.0,
            ),
            ("division", 1.0 - sum_a2 / (total * total)),
            ("mesh", sum_a2 / total * cell_ha),
            ("split", total * total / sum_a2),
            ("pr", mf),
            ("prd", mf / ta * 100.0),
            ("shdi", shdi),
            ("sidi", sidi),
            ("msidi", msidi),
            ("shei", even(shdi, mf.ln())),
            ("siei", even(sidi, 1.0 - 1.0 / mf)),
            ("msiei", even(msidi, mf.ln())),
            ("ai", ai),
        ];
        vals.extend(distributions(&all, &cores));
        for (name, value) in vals {
            if want(Level::Landscape, name) {
                out.push(MetricValue {
                    level: Level::Landscape,
                    class: None,
                    id: None,
                    metric: name,
                    value,
                });
            }
        }
    }
    MetricsTable { values: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_perimeters_and_adjacencies() {
        assert_eq!(min_perimeter(1), 4);
        assert_eq!(min_perimeter(2), 6);
        assert_eq!(min_perimeter(4), 8);
        assert_eq!(min_perimeter(5), 10);
        assert_eq!(min_perimeter(7), 12);
        // 3×3 block: 12 like adjacencies; 2 cells: 1; 1 cell: 0.
        assert_eq!(max_like_adjacencies(9), 12);
        assert_eq!(max_like_adjacencies(2), 1);
        assert_eq!(max_like_adjacencies(1), 0);
        // 10 cells = 3×3 + 1: 12 + 1.
        assert_eq!(max_like_adjacencies(10), 13);
    }
}
