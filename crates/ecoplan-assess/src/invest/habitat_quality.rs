//! InVEST Habitat Quality (natcap.invest 3.20 `habitat_quality`).
//!
//! For each threat r: distance d (pixels) from every pixel to the nearest threat pixel (threat
//! value ≠ 0 and not nodata; linear-time exact EDT), decayed with d_max = max_dist / pixel width:
//! linear i = 1 − d/d_max, exponential i = exp(−2.99·d/d_max), 0 beyond d_max. Degradation
//! D = Σ_r i_r · S_jr · w_r/Σw · β (β = access, 1 without an access layer); quality
//! Q = H_j·(1 − D^z/(D^z + k^z)) with z = 2.5. Rarity (with a baseline map):
//! R_j = 1 − N_j/(N_j,base + N_j), 0 for classes absent from the baseline.
//!
//! **Units of `max_dist`**: natcap.invest ≥ 3.15 reads it in **metres** (3.20 included). Tables
//! written for older releases (and most published Chinese studies) give kilometres: set
//! [`DistanceUnit::Kilometres`]. **Mode**: [`HqMode::Nearest`] is the current model (since 3.13,
//! threat intensity only marks presence). [`HqMode::LegacyConvolution`] is the pre-3.13 approach:
//! the threat raster (intensity 0–1) is convolved with a decay kernel normalised to sum 1, so
//! intensity and the amount of nearby threat both count; it is not comparable with 3.20 output.
//!
//! Computation follows natcap.invest's float32 arithmetic so outputs agree to ~1e-6.

use super::{check_aligned, like, missing_codes, CodeTable, OutputData, OutputGrid, OutputTable};
use crate::edt::distance_transform;
use crate::table::Table;
use crate::AssessError;
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Nodata of habitat/sensitivity/rarity rasters (natcap.invest `_OUT_NODATA`).
pub const HQ_OUT_NODATA: f32 = f32::MIN;
/// Nodata of `deg_sum_*` and `quality_*` (pygeoprocessing `raster_map` default for float32).
pub const HQ_MAP_NODATA: f32 = f32::MAX;
/// The scaling exponent z, hard-coded in natcap.invest.
pub const Z: f64 = 2.5;

/// Distance decay of a threat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decay {
    Linear,
    Exponential,
}

/// How threat distances are turned into impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HqMode {
    /// natcap.invest ≥ 3.13: decay of the distance to the nearest threat pixel.
    #[default]
    Nearest,
    /// natcap.invest ≤ 3.12: threat intensity convolved with a normalised decay kernel.
    LegacyConvolution,
}

/// Unit of the threat table's `max_dist` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistanceUnit {
    /// natcap.invest ≥ 3.15 (including 3.20).
    #[default]
    Metres,
    /// natcap.invest ≤ 3.14 and most literature tables.
    Kilometres,
}

/// One row of the threats table.
#[derive(Debug, Clone, PartialEq)]
pub struct Threat {
    pub name: String,
    /// Maximum distance of effect, in [`HabitatQualityParams::distance_unit`].
    pub max_dist: f64,
    /// Relative weight, 0–1.
    pub weight: f64,
    pub decay: Decay,
    /// Raster paths per scenario as written in the table (`cur_path`, `fut_path`, `base_path`).
    pub cur_path: String,
    pub fut_path: String,
    pub base_path: String,
}

/// Parses the threats table (columns threat, max_dist, weight, decay, cur_path; optional
/// fut_path, base_path), reporting every problem.
pub fn threats_from_table(t: &Table) -> Result<Vec<Threat>, AssessError> {
    let mut p = Vec::new();
    t.require_columns(
        &["threat", "max_dist", "weight", "decay", "cur_path"],
        &mut p,
    );
    AssessError::check(p.clone())?;
    let names = t.texts("threat");
    let md = t.numbers("max_dist", false, &mut p);
    let wt = t.numbers("weight", false, &mut p);
    let decay = t.texts("decay");
    let (cur, fut, base) = (
        t.texts("cur_path"),
        t.texts("fut_path"),
        t.texts("base_path"),
    );
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for r in 0..t.rows.len() {
        let row = r + 2;
        let name = names[r].trim().to_lowercase();
        if name.is_empty() {
            p.push(format!("{}: row {row} has no threat name", t.name));
        } else if let Some(prev) = seen.insert(name.clone(), row) {
            p.push(format!(
                "{}: threat `{name}` appears twice (rows {prev} and {row})",
                t.name
            ));
        }
        if let Some(m) = md[r] {
            if m <= 0.0 {
                p.push(format!(
                    "{}: row {row} max_dist must be > 0, found {m}",
                    t.name
                ));
            }
        }
        if let Some(w) = wt[r] {
            if !(0.0..=1.0).contains(&w) {
                p.push(format!(
                    "{}: row {row} weight must be within 0–1, found {w}",
                    t.name
                ));
            }
        }
        let d = match decay[r].trim().to_lowercase().as_str() {
            "linear" => Some(Decay::Linear),
            "exponential" => Some(Decay::Exponential),
            other => {
                p.push(format!(
                    "{}: row {row} decay is `{other}`; use `linear` or `exponential`",
                    t.name
                ));
                None
            }
        };
        if cur[r].trim().is_empty() {
            p.push(format!(
                "{}: row {row} (`{name}`) has no cur_path raster",
                t.name
            ));
        }
        if let (Some(m), Some(w), Some(d)) = (md[r], wt[r], d) {
            out.push(Threat {
                name,
                max_dist: m,
                weight: w,
                decay: d,
                cur_path: cur[r].trim().to_string(),
                fut_path: fut[r].trim().to_string(),
                base_path: base[r].trim().to_string(),
            });
        }
    }
    if out.iter().map(|t| t.weight).sum::<f64>() <= 0.0 && p.is_empty() {
        p.push(format!(
            "{}: threat weights sum to 0; at least one must be > 0",
            t.name
        ));
    }
    AssessError::check(p)?;
    Ok(out)
}

/// Habitat suitability and per-threat sensitivity by land-use code.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sensitivity {
    pub habitat: HashMap<i64, f64>,
    /// threat name (lower case) → lucode → sensitivity 0–1.
    pub by_threat: HashMap<String, HashMap<i64, f64>>,
}

impl Sensitivity {
    /// From the sensitivity table (lucode, habitat, one column per threat).
    pub fn from_table(t: &Table, threats: &[Threat]) -> Result<Self, AssessError> {
        let mut p = Vec::new();
        t.require_columns(&["lucode", "habitat"], &mut p);
        for th in threats {
            if t.column(&th.name).is_none() {
                p.push(format!(
                    "{}: no column for threat `{}`; every threat in the threats table needs a sensitivity column",
                    t.name, th.name
                ));
            }
        }
        AssessError::check(p.clone())?;
        let habitat = t.code_map("lucode", "habitat", &mut p);
        for (code, h) in &habitat {
            if !(0.0..=1.0).contains(h) {
                p.push(format!(
                    "{}: lucode {code} habitat must be within 0–1, found {h}",
                    t.name
                ));
            }
        }
        let mut by_threat = HashMap::new();
        for th in threats {
            let mut q = Vec::new();
            let m = t.code_map("lucode", &th.name, &mut q);
            // lucode problems were already reported once
            p.extend(q.into_iter().filter(|s| !s.contains("`lucode`")));
            by_threat.insert(th.name.clone(), m);
        }
        AssessError::check(p)?;
        Ok(Sensitivity { habitat, by_threat })
    }
}

/// Parameters of [`habitat_quality`].
#[derive(Debug, Clone, PartialEq)]
pub struct HabitatQualityParams {
    /// Half-saturation constant k (> 0). natcap.invest's sample value is 0.05; the user guide
    /// advises half the maximum degradation of a first run, kept fixed across scenarios.
    pub half_saturation: f64,
    pub mode: HqMode,
    pub distance_unit: DistanceUnit,
}

impl Default for HabitatQualityParams {
    fn default() -> Self {
        HabitatQualityParams {
            half_saturation: 0.05,
            mode: HqMode::Nearest,
            distance_unit: DistanceUnit::Metres,
        }
    }
}

impl HabitatQualityParams {
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.half_saturation > 0.0 && self.half_saturation.is_finite()) {
            p.push(format!(
                "half_saturation_constant must be > 0, found {}",
                self.half_saturation
            ));
        }
        p
    }
}

/// One land-use scenario: its map and one threat raster per threat (table order).
#[derive(Debug, Clone, Copy)]
pub struct HqScenario<'a> {
    pub lulc: &'a Grid<i32>,
    pub threats: &'a [Grid<f32>],
}

/// Results for one scenario.
#[derive(Debug, Clone)]
pub struct HqScenarioOutputs {
    pub deg_sum: Grid<f32>,
    pub quality: Grid<f32>,
    /// Rarity raster and (lucode, rarity) rows, when a baseline was given.
    pub rarity: Option<(Grid<f32>, BTreeMap<i64, f64>)>,
}

/// Results of [`habitat_quality`].
#[derive(Debug, Clone)]
pub struct HqOutputs {
    pub current: HqScenarioOutputs,
    pub future: Option<HqScenarioOutputs>,
}

impl HqOutputs {
    /// Output grids under natcap.invest's names (`deg_sum_c.tif`, `quality_c.tif`, `rarity_c.tif`, …).
    /// Copies every grid — prefer [`HqOutputs::into_files`].
    pub fn files(&self, suffix: &str) -> (Vec<OutputGrid>, Vec<OutputTable>) {
        self.clone().into_files(suffix)
    }

    /// [`HqOutputs::files`] without copying: the grids move into the list.
    pub fn into_files(self, suffix: &str) -> (Vec<OutputGrid>, Vec<OutputTable>) {
        let mut g = Vec::new();
        let mut t = Vec::new();
        for (s, o) in [("c", Some(self.current)), ("f", self.future)] {
            let Some(o) = o else { continue };
            g.push(OutputGrid {
                path: format!("deg_sum_{s}{suffix}.tif"),
                grid: OutputData::F32(o.deg_sum),
            });
            g.push(OutputGrid {
                path: format!("quality_{s}{suffix}.tif"),
                grid: OutputData::F32(o.quality),
            });
            if let Some((r, rows)) = o.rarity {
                g.push(OutputGrid {
                    path: format!("rarity_{s}{suffix}.tif"),
                    grid: OutputData::F32(r),
                });
                let mut csv = String::from("lucode,rarity_value\n");
                for (k, v) in rows {
                    csv.push_str(&format!("{k},{}\n", super::fmt_f64(v)));
                }
                t.push(OutputTable {
                    path: format!("rarity_{s}{suffix}.csv"),
                    csv,
                });
            }
        }
        (g, t)
    }
}

/// Checks a threat raster holds values within 0–1 (nodata allowed).
fn threat_values_problem(name: &str, g: &Grid<f32>) -> Option<String> {
    let bad = g
        .data
        .iter()
        .find(|&&v| !g.is_nodata(v) && !(0.0..=1.0).contains(&v));
    bad.map(|v| {
        format!(
            "threat raster `{name}` has value {v}; threat rasters must hold values between 0 and 1"
        )
    })
}

/// Decayed threat impact for one threat (float32 arithmetic as natcap.invest). The threat
/// raster is dropped as soon as the threat pixels are marked, before the distances exist.
fn decayed_threat(
    threat: Cow<'_, Grid<f32>>,
    th: &Threat,
    params: &HabitatQualityParams,
    pixel_size: f64,
) -> Vec<f32> {
    let metres = match params.distance_unit {
        DistanceUnit::Metres => th.max_dist,
        DistanceUnit::Kilometres => th.max_dist * 1000.0,
    };
    let max_px = metres / pixel_size;
    let (w, h) = (threat.width, threat.height);
    match params.mode {
        HqMode::Nearest => {
            let region: Vec<bool> = threat
                .data
                .par_iter()
                .map(|&v| v != 0.0 && !threat.is_nodata(v))
                .collect();
            drop(threat);
            let mut dist = distance_transform(w, h, &region, 1.0, 1.0);
            drop(region);
            let m = max_px as f32;
            // The distances become the impact in place (no second full grid).
            dist.par_iter_mut().for_each(|d| {
                *d = if *d > m {
                    0.0
                } else {
                    match th.decay {
                        Decay::Linear => (m - *d) / m,
                        Decay::Exponential => ((-*d * 2.99f32) / m).exp(),
                    }
                }
            });
            dist
        }
        HqMode::LegacyConvolution => legacy_convolution(&threat, th.decay, max_px),
    }
}

/// Pre-3.13 impact: Σ_y intensity_y · k(d_xy) / Σ k, kernel radius `max_px` pixels.
fn legacy_convolution(threat: &Grid<f32>, decay: Decay, max_px: f64) -> Vec<f32> {
    let (w, h) = (threat.width as isize, threat.height as isize);
    let r = max_px.ceil() as isize;
    let mut kernel = Vec::new();
    let mut ksum = 0.0f64;
    for dy in -r..=r {
        for dx in -r..=r {
            let d = ((dx * dx + dy * dy) as f64).sqrt();
            if d > max_px {
                continue;
            }
            let v = match decay {
                Decay::Linear => 1.0 - d / max_px,
                Decay::Exponential => (-2.99 * d / max_px).exp(),
            };
            if v > 0.0 {
                kernel.push((dx, dy, v));
                ksum += v;
            }
        }
    }
    let sources: Vec<(isize, isize, f64)> = threat
        .data
        .iter()
        .enumerate()
        .filter(|(_, &v)| !threat.is_nodata(v) && v != 0.0)
        .map(|(i, &v)| ((i as isize) % w, (i as isize) / w, v as f64))
        .collect();
    (0..h)
        .into_par_iter()
        .flat_map_iter(|row| {
            let mut acc = vec![0.0f64; w as usize];
            for &(sc, sr, sv) in &sources {
                let dy = row - sr;
                if dy.abs() > r {
                    continue;
                }
                for &(kx, ky, kv) in &kernel {
                    if ky != dy {
                        continue;
                    }
                    let c = sc + kx;
                    if c >= 0 && c < w {
                        acc[c as usize] += sv * kv;
                    }
                }
            }
            acc.into_iter().map(move |a| (a / ksum) as f32)
        })
        .collect()
}

fn scenario(
    lulc: &Grid<i32>,
    source: &dyn ThreatSource,
    threats: &[Threat],
    sens: &Sensitivity,
    access: Option<&Grid<f32>>,
    params: &HabitatQualityParams,
    progress: &dyn Progress,
    done: &mut u64,
) -> Result<(Grid<f32>, Grid<f32>), AssessError> {
    let n = lulc.data.len();
    let pixel_size = lulc.transform.dx.abs();
    let weight_sum: f64 = threats.iter().map(|t| t.weight).sum();
    // Per-class tables looked up per cell (as `reclassify`, without its full grids).
    let class_value = |table: &CodeTable<f64>, v: i32| -> f32 {
        if lulc.is_nodata(v) {
            HQ_OUT_NODATA
        } else {
            table.get(v).map_or(HQ_OUT_NODATA, |x| x as f32)
        }
    };
    let mut deg_sum = vec![0.0f32; n];
    let mut deg_valid = vec![true; n];
    for (k, th) in threats.iter().enumerate() {
        if progress.cancelled() {
            return Err(AssessError::Cancelled);
        }
        let threat = source.get(k)?;
        if threat.spec() != lulc.spec() {
            check_aligned(&[
                ("lulc", lulc.spec()),
                (&format!("threat `{}`", th.name), threat.spec()),
            ])?;
        }
        if let Some(m) = threat_values_problem(&th.name, &threat) {
            return Err(AssessError::Invalid(vec![m]));
        }
        let filtered = decayed_threat(threat, th, params, pixel_size);
        let sens_t = CodeTable::new(&sens.by_threat[&th.name]);
        let w_avg = (th.weight / weight_sum) as f32;
        const CHUNK: usize = 1 << 14;
        deg_sum
            .par_chunks_mut(CHUNK)
            .zip(deg_valid.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(ci, (ds, oks))| {
                let base = ci * CHUNK;
                for (j, (d, ok)) in ds.iter_mut().zip(oks.iter_mut()).enumerate() {
                    let i = base + j;
                    let sv = class_value(&sens_t, lulc.data[i]);
                    let a = match access {
                        Some(g) => {
                            let v = g.data[i];
                            if g.is_nodata(v) {
                                *ok = false;
                                continue;
                            }
                            v
                        }
                        None => 1.0,
                    };
                    if sv == HQ_OUT_NODATA {
                        *ok = false;
                        continue;
                    }
                    *d += filtered[i] * sv * w_avg * a;
                }
            });
        drop(filtered);
        *done += 1;
        progress.advance(*done);
    }
    let habitat = CodeTable::new(&sens.habitat);
    let ksq = params.half_saturation.powf(Z) as f32;
    let z = Z as f32;
    let quality: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let hb = class_value(&habitat, lulc.data[i]);
            if !deg_valid[i] || hb == HQ_OUT_NODATA {
                return HQ_MAP_NODATA;
            }
            let dz = deg_sum[i].powf(z);
            hb * (1.0 - dz / (dz + ksq))
        })
        .collect();
    // deg_sum becomes the output in place (no second full grid)
    let mut deg = deg_sum;
    deg.par_iter_mut()
        .zip(deg_valid.par_iter())
        .for_each(|(d, &ok)| {
            if !ok {
                *d = HQ_MAP_NODATA;
            }
        });
    Ok((
        like(lulc, deg, Some(HQ_MAP_NODATA)),
        like(lulc, quality, Some(HQ_MAP_NODATA)),
    ))
}

/// Where a scenario's threat rasters come from: held in memory (a slice of grids), or loaded
/// one at a time by the caller so that only one is in memory at once.
pub trait ThreatSource: Sync {
    /// Number of rasters (one per threat, in the threats table's order).
    fn count(&self) -> usize;
    /// Raster `k`: borrowed, or freshly loaded (it is dropped once its distances are known).
    /// Grids must be aligned with the land-use map and hold 0–1 (checked on use).
    fn get(&self, k: usize) -> Result<Cow<'_, Grid<f32>>, AssessError>;
    /// The rasters, when the source already holds them all: then they are checked (0–1, aligned)
    /// with everything else before any work rather than on use.
    fn in_memory(&self) -> Option<&[Grid<f32>]> {
        None
    }
}

/// Threat rasters already in memory.
struct InMemory<'a>(&'a [Grid<f32>]);

impl ThreatSource for InMemory<'_> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn get(&self, k: usize) -> Result<Cow<'_, Grid<f32>>, AssessError> {
        Ok(Cow::Borrowed(&self.0[k]))
    }
    fn in_memory(&self) -> Option<&[Grid<f32>]> {
        Some(self.0)
    }
}

/// One scenario for [`habitat_quality_from`]: its land use and where its threats come from.
#[derive(Clone, Copy)]
pub struct HqScenarioFrom<'a> {
    pub lulc: &'a Grid<i32>,
    pub threats: &'a dyn ThreatSource,
}

/// Rarity of `lulc` relative to `base` (natcap.invest `_compute_rarity_operation`).
pub fn rarity(base: &Grid<i32>, lulc: &Grid<i32>) -> (Grid<f32>, BTreeMap<i64, f64>) {
    let area_b = base.transform.cell_area();
    let area_x = lulc.transform.cell_area();
    let mut count_b: HashMap<i64, u64> = HashMap::new();
    for &v in &base.data {
        if !base.is_nodata(v) {
            *count_b.entry(v as i64).or_default() += 1;
        }
    }
    // new cover: the scenario's codes where both maps are valid
    let cover: Vec<Option<i64>> = base
        .data
        .iter()
        .zip(&lulc.data)
        .map(|(&b, &x)| {
            if base.is_nodata(b) || lulc.is_nodata(x) {
                None
            } else {
                Some(x as i64)
            }
        })
        .collect();
    let mut count_x: HashMap<i64, u64> = HashMap::new();
    for c in cover.iter().flatten() {
        *count_x.entry(*c).or_default() += 1;
    }
    let mut index = BTreeMap::new();
    for (&code, &nx) in &count_x {
        let r = match count_b.get(&code) {
            Some(&nb) => {
                let num = nx as f64 * area_x;
                let den = nb as f64 * area_b;
                1.0 - num / (den + num)
            }
            None => 0.0,
        };
        index.insert(code, r);
    }
    let data = cover
        .iter()
        .map(|c| match c {
            Some(c) => index[c] as f32,
            None => HQ_OUT_NODATA,
        })
        .collect();
    (like(lulc, data, Some(HQ_OUT_NODATA)), index)
}

/// Runs Habitat Quality for the current scenario, and the future one when given. `baseline`
/// (a LULC map) enables rarity. `access` is β per pixel (1 where there is no access layer).
pub fn habitat_quality(
    current: HqScenario,
    future: Option<HqScenario>,
    baseline: Option<&Grid<i32>>,
    access: Option<&Grid<f32>>,
    threats: &[Threat],
    sens: &Sensitivity,
    params: &HabitatQualityParams,
    progress: &dyn Progress,
) -> Result<HqOutputs, AssessError> {
    let cur_threats = InMemory(current.threats);
    let fut_threats = future.map(|f| InMemory(f.threats));
    habitat_quality_from(
        HqScenarioFrom {
            lulc: current.lulc,
            threats: &cur_threats,
        },
        future
            .zip(fut_threats.as_ref())
            .map(|(f, t)| HqScenarioFrom {
                lulc: f.lulc,
                threats: t,
            }),
        baseline,
        access,
        threats,
        sens,
        params,
        progress,
    )
}

/// [`habitat_quality`] with threat rasters from a [`ThreatSource`]: a loader keeps one threat
/// raster in memory at a time. Parameters, land-use codes and the alignment of the land-use,
/// baseline and access grids are checked before any work; each threat raster is checked (0–1,
/// aligned) when it is loaded, or up front with the rest when the source holds them all.
#[allow(clippy::too_many_arguments)]
pub fn habitat_quality_from(
    current: HqScenarioFrom,
    future: Option<HqScenarioFrom>,
    baseline: Option<&Grid<i32>>,
    access: Option<&Grid<f32>>,
    threats: &[Threat],
    sens: &Sensitivity,
    params: &HabitatQualityParams,
    progress: &dyn Progress,
) -> Result<HqOutputs, AssessError> {
    let mut problems = params.validate();
    let mut specs = vec![("lulc_cur_path".to_string(), current.lulc.spec())];
    for (label, s) in [("cur", Some(current)), ("fut", future)] {
        let Some(s) = s else { continue };
        if s.threats.count() != threats.len() {
            problems.push(format!(
                "scenario {label}: {} threat rasters given for {} threats",
                s.threats.count(),
                threats.len()
            ));
            continue;
        }
        specs.push((format!("lulc_{label}_path"), s.lulc.spec()));
        for (th, g) in threats
            .iter()
            .zip(s.threats.in_memory().unwrap_or_default())
        {
            specs.push((format!("threat `{}` ({label})", th.name), g.spec()));
            if let Some(m) = threat_values_problem(&th.name, g) {
                problems.push(m);
            }
        }
        if let Some(m) = missing_codes(
            s.lulc,
            &sens.habitat,
            &format!("lulc_{label}_path"),
            "sensitivity",
        ) {
            problems.push(m);
        }
    }
    if let Some(b) = baseline {
        specs.push(("lulc_bas_path".into(), b.spec()));
    }
    if let Some(a) = access {
        specs.push(("access".into(), a.spec()));
    }
    AssessError::check(problems)?;
    let named: Vec<(&str, ecoplan_grid::GridSpec)> =
        specs.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
    check_aligned(&named)?;
    progress.begin(
        "生境质量 habitat quality",
        (threats.len() * if future.is_some() { 2 } else { 1 }) as u64,
    );
    let mut done = 0u64;
    let mut run = |s: &HqScenarioFrom| -> Result<HqScenarioOutputs, AssessError> {
        let (deg_sum, quality) = scenario(
            s.lulc, s.threats, threats, sens, access, params, progress, &mut done,
        )?;
        let rarity = baseline.map(|b| rarity(b, s.lulc));
        Ok(HqScenarioOutputs {
            deg_sum,
            quality,
            rarity,
        })
    };
    let cur = run(&current)?;
    let fut = match future {
        Some(f) => Some(run(&f)?),
        None => None,
    };
    progress.finish();
    Ok(HqOutputs {
        current: cur,
        future: fut,
    })
}

/// Quality from degradation, habitat suitability and k (the METHODS §2.1 formula, f64).
pub fn quality_value(degradation: f64, habitat: f64, k: f64) -> f64 {
    let dz = degradation.powf(Z);
    habitat * (1.0 - dz / (dz + k.powf(Z)))
}

/// Decay of a threat at `distance` with maximum `max_dist` (same units).
pub fn decay_value(decay: Decay, distance: f64, max_dist: f64) -> f64 {
    if distance > max_dist {
        return 0.0;
    }
    match decay {
        Decay::Linear => 1.0 - distance / max_dist,
        Decay::Exponential => (-2.99 * distance / max_dist).exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, NoProgress};

    #[test]
    fn methods_worked_values() {
        // METHODS §2.1: D = k → Q = 0.5·H; D = 0.1, k = 0.05 → 0.1502; D = 0.02 → 0.9081
        assert!((quality_value(0.05, 0.8, 0.05) - 0.4).abs() < 1e-12);
        assert!((quality_value(0.1, 1.0, 0.05) - 0.1502).abs() < 5e-5);
        assert!((quality_value(0.02, 1.0, 0.05) - 0.9081).abs() < 5e-5);
        // exponential decay at 200 m of 1000 m → 0.5499; linear → 0.8
        assert!((decay_value(Decay::Exponential, 200.0, 1000.0) - 0.5499).abs() < 5e-5);
        assert!((decay_value(Decay::Linear, 200.0, 1000.0) - 0.8).abs() < 1e-12);
    }

    fn setup() -> (Grid<i32>, Vec<Grid<f32>>, Vec<Threat>, Sensitivity) {
        let mut lulc = Grid::from_rows(5, 1, vec![1, 1, 1, 1, 2]).unwrap();
        lulc.transform = GeoTransform::north_up(0.0, 0.0, 100.0);
        let t = Grid {
            data: vec![0.0f32, 0.0, 0.0, 0.0, 1.0],
            transform: lulc.transform,
            width: 5,
            height: 1,
            crs: None,
            nodata: None,
        };
        let threats = vec![Threat {
            name: "urban".into(),
            max_dist: 400.0,
            weight: 1.0,
            decay: Decay::Linear,
            cur_path: "u.tif".into(),
            fut_path: String::new(),
            base_path: String::new(),
        }];
        let tab = Table::parse("s.csv", "lucode,habitat,urban\n1,1.0,0.5\n2,0,0\n").unwrap();
        let sens = Sensitivity::from_table(&tab, &threats).unwrap();
        (lulc, vec![t], threats, sens)
    }

    #[test]
    fn degradation_follows_distance_decay() {
        let (lulc, tg, threats, sens) = setup();
        let o = habitat_quality(
            HqScenario {
                lulc: &lulc,
                threats: &tg,
            },
            None,
            None,
            None,
            &threats,
            &sens,
            &HabitatQualityParams {
                half_saturation: 0.2,
                ..Default::default()
            },
            &NoProgress,
        )
        .unwrap();
        // max 400 m = 4 px; pixel 3 is 1 px away: 0.75 · 0.5 sensitivity
        assert!((o.current.deg_sum.data[3] - 0.375).abs() < 1e-6);
        assert!((o.current.deg_sum.data[1] - 0.125).abs() < 1e-6);
        assert_eq!(o.current.deg_sum.data[0], 0.0);
        let q = quality_value(0.375, 1.0, 0.2);
        assert!((o.current.quality.data[3] as f64 - q).abs() < 1e-6);
        // legacy mode with km: 0.4 km, kernel normalised → much smaller impact
        let legacy = habitat_quality(
            HqScenario {
                lulc: &lulc,
                threats: &tg,
            },
            None,
            None,
            None,
            &[Threat {
                max_dist: 0.4,
                ..threats[0].clone()
            }],
            &sens,
            &HabitatQualityParams {
                half_saturation: 0.2,
                mode: HqMode::LegacyConvolution,
                distance_unit: DistanceUnit::Kilometres,
            },
            &NoProgress,
        )
        .unwrap();
        let d = &legacy.current.deg_sum.data;
        assert!(d[3] > d[2] && d[2] > d[1] && d[3] < 0.375);
    }

    #[test]
    fn rarity_and_table_problems() {
        let (lulc, ..) = setup();
        let base = Grid {
            data: vec![1, 1, 2, 2, 2],
            ..lulc.clone()
        };
        let (r, rows) = rarity(&base, &lulc);
        // class 1: 4 now, 2 in the baseline → 1 − 4/6
        assert!((rows[&1] - (1.0 - 4.0 / 6.0)).abs() < 1e-12);
        assert!((r.data[0] as f64 - (1.0 - 4.0 / 6.0)).abs() < 1e-6);
        let bad = Table::parse(
            "t.csv",
            "threat,max_dist,weight,decay,cur_path\nroad,-1,1.5,cubic,\n",
        )
        .unwrap();
        let e = threats_from_table(&bad).unwrap_err().to_string();
        for needle in ["max_dist", "weight", "cubic", "cur_path"] {
            assert!(e.contains(needle), "{e}");
        }
    }

    /// Threat rasters made on request, counting the loads.
    struct Loader(Vec<Grid<f32>>, std::sync::atomic::AtomicUsize);

    impl ThreatSource for Loader {
        fn count(&self) -> usize {
            self.0.len()
        }
        fn get(&self, k: usize) -> Result<Cow<'_, Grid<f32>>, AssessError> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Cow::Owned(self.0[k].clone()))
        }
    }

    #[test]
    fn loaded_threats_give_the_same_result_and_are_checked_on_load() {
        let (lulc, ts, threats, sens) = setup();
        let params = HabitatQualityParams::default();
        let run = |src: &dyn ThreatSource| {
            habitat_quality_from(
                HqScenarioFrom {
                    lulc: &lulc,
                    threats: src,
                },
                Some(HqScenarioFrom {
                    lulc: &lulc,
                    threats: src,
                }),
                None,
                None,
                &threats,
                &sens,
                &params,
                &NoProgress,
            )
        };
        let whole = habitat_quality(
            HqScenario {
                lulc: &lulc,
                threats: &ts,
            },
            Some(HqScenario {
                lulc: &lulc,
                threats: &ts,
            }),
            None,
            None,
            &threats,
            &sens,
            &params,
            &NoProgress,
        )
        .unwrap();
        let loader = Loader(ts.clone(), Default::default());
        let got = run(&loader).unwrap();
        // each threat loaded once per scenario
        assert_eq!(loader.1.load(std::sync::atomic::Ordering::SeqCst), 2);
        for (a, b) in [
            (&got.current, &whole.current),
            (&got.future.clone().unwrap(), &whole.future.clone().unwrap()),
        ] {
            assert_eq!(a.deg_sum.data, b.deg_sum.data);
            assert_eq!(a.quality.data, b.quality.data);
        }
        assert!(got.current.deg_sum.data[3] > 0.0);
        // a threat value outside 0–1 is refused when loaded
        let mut bad = ts.clone();
        bad[0].data[0] = 2.0;
        let e = run(&Loader(bad, Default::default())).unwrap_err();
        assert!(
            matches!(&e, AssessError::Invalid(p) if p[0].contains("value 2")),
            "{e}"
        );
    }
}
