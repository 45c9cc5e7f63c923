//! Scenario benefits (效益评估, METHODS §5.2 item 7): projects change the base layers, the service
//! models are re-run, and every service is reported as scenario minus base, per project (base +
//! that project) and in total (base + all projects).
//!
//! Models, all on the region grid:
//! - 碳储量: InVEST carbon (`ecoplan_assess::invest::carbon`) with a pool table by common class.
//! - 生境质量: InVEST habitat quality (`ecoplan_assess::invest::habitat_quality`), threats from
//!   land-use classes, re-derived for every scenario; mean over the region and Σ HQ·ha.
//! - 土壤保持: RUSLE SC = A_pot·(1 − C·P) with A_pot = R·K·LS from the base run of
//!   `ecoplan_assess::dual::run_assessment` (LS depends on the DEM only, so it is the same in every
//!   scenario); C from vegetation cover (蔡崇法 2000) like the chain, P by class or by measure.
//! - 水源涵养: water balance WC = P − P·α − AET (METHODS §1.3) with AET from the InVEST Budyko
//!   curve (`fractp_value`, Kc and root depth by class), clamped at 0; m³/a.
//! - Indicators: 森林覆盖率 (`ecoplan_plan::indicators::forest_cover`), 草原综合植被盖度
//!   (`ecoplan_plan::indicators::grassland_fvc`: mean vegetation cover of the scenario's grassland
//!   cells; absent without a cover layer), 水土保持率 (SL 190 classes), 湿地面积, 耕地面积.
//!   生态保护红线 and 自然保护地 shares are policy masks that projects do not change: no Δ here.
//!
//! Changed cells take the larger of their own vegetation cover and the median cover of the target
//! class in the base map (a restored cell reaches the typical cover of what it becomes).
//!
//! Memory: one scenario state (land use i32, cover f32, P f32) is reused; a project is applied,
//! evaluated and undone cell by cell, so per-project runs cost no copies of the base.

use crate::cmd::assess::{class_map, parse_table};
use anyhow::{bail, Context, Result};
use ecoplan_assess::dual::rusle::{c_from_cover, soil_loss_class};
use ecoplan_assess::invest::carbon::{carbon, CarbonPools};
use ecoplan_assess::invest::habitat_quality as hq;
use ecoplan_assess::invest::water_yield::fractp_value;
use ecoplan_grid::{Grid, NoProgress, Progress};
use std::collections::HashMap;

pub const CARBON_PRESET: &str =
    include_str!("../../../../../presets/scenario/carbon_pools_common_classes.csv");
pub const WATER_PRESET: &str =
    include_str!("../../../../../presets/scenario/water_balance_common_classes.csv");
pub const MEASURES_PRESET: &str = include_str!("../../../../../presets/scenario/measures.csv");
const C_PRESET: &str = include_str!("../../../../../presets/assess/c_factor_common_classes.csv");
const P_PRESET: &str = include_str!("../../../../../presets/assess/p_factor_common_classes.csv");
const THREATS_PRESET: &str =
    include_str!("../../../../../presets/assess/habitat_threats_north_china.csv");
const SENS_PRESET: &str =
    include_str!("../../../../../presets/assess/habitat_sensitivity_common_classes.csv");

/// A restoration measure of presets/scenario/measures.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub key: String,
    pub name_zh: String,
    /// Land-use class the affected cells become (`None` for P-only measures such as 梯田).
    pub target_class: Option<i32>,
    /// Classes the measure acts on (empty = every class except the target).
    pub applies_to: Vec<i32>,
    /// P factor the affected cells get (terracing).
    pub p_factor: Option<f64>,
}

/// What a project does to the cells it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// New land-use class (`None`: the class is kept).
    pub to_class: Option<i32>,
    /// Only cells of these classes change (empty = all valid cells that are not already `to_class`).
    pub from_classes: Vec<i32>,
    /// New P factor of changed cells (`None`: the P of the new class).
    pub p_factor: Option<f64>,
}

impl Action {
    pub fn to_class(code: i32) -> Self {
        Action {
            to_class: Some(code),
            from_classes: Vec::new(),
            p_factor: None,
        }
    }
    pub fn from_measure(m: &Measure) -> Self {
        Action {
            to_class: m.target_class,
            from_classes: m.applies_to.clone(),
            p_factor: m.p_factor,
        }
    }
    fn acts_on(&self, class: i32) -> bool {
        class != 0
            && if self.from_classes.is_empty() {
                Some(class) != self.to_class
            } else {
                self.from_classes.contains(&class)
            }
    }
}

/// A project on the grid: the cells it covers (row-major indices) and its action.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectCells {
    pub name: String,
    pub cells: Vec<u32>,
    pub action: Action,
}

/// Water-balance class parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaterClass {
    pub alpha_percent: f64,
    pub veg: f32,
    pub root_depth: f32,
    pub kc: f32,
}

/// Coefficient tables and model parameters (from presets by default).
#[derive(Debug, Clone)]
pub struct ScenarioParams {
    pub carbon_pools: CarbonPools,
    pub c_by_class: HashMap<i32, f64>,
    pub p_by_class: HashMap<i32, f64>,
    pub water: HashMap<i32, WaterClass>,
    /// InVEST seasonality constant Z (1–30; 5 is a common choice for north China).
    pub seasonality_z: f32,
    pub threats: Vec<hq::Threat>,
    /// Land-use classes whose presence is each threat (same order as `threats`).
    pub threat_classes: Vec<Vec<i32>>,
    pub sensitivity: hq::Sensitivity,
    pub hq: hq::HabitatQualityParams,
    /// Half-saturation k = half the base scenario's maximum degradation on habitat (the InVEST
    /// user guide's advice, kept fixed across scenarios); `false` uses `hq.half_saturation`.
    pub hq_k_from_base: bool,
    /// Tolerable soil loss, t·km⁻²·a⁻¹ (SL 190: 200 north China rocky mountains).
    pub tolerable_t_km2: f64,
    pub forest_classes: Vec<u32>,
    /// 草地 for 草原综合植被盖度 (the indicator's default, `IndicatorParams::grassland_classes`).
    pub grassland_classes: Vec<u32>,
    pub wetland_classes: Vec<i32>,
    pub cropland_classes: Vec<i32>,
    /// Excluded from land area for 水土保持率.
    pub water_classes: Vec<i32>,
}

fn codes_list(s: &str) -> std::result::Result<Vec<i32>, String> {
    s.split([';', ',', ' '])
        .filter(|x| !x.trim().is_empty())
        .map(|x| {
            x.trim()
                .parse()
                .map_err(|_| format!("`{x}` is not a class code"))
        })
        .collect()
}

/// Parses presets/scenario/measures.csv (columns measure, name_zh, target_class, applies_to,
/// p_factor); all problems at once.
pub fn parse_measures(text: &str) -> Result<Vec<Measure>> {
    let t = parse_table("presets/scenario/measures.csv", text)?;
    let mut p = Vec::new();
    t.require_columns(
        &[
            "measure",
            "name_zh",
            "target_class",
            "applies_to",
            "p_factor",
        ],
        &mut p,
    );
    if !p.is_empty() {
        bail!("{}", p.join("\n"));
    }
    let keys = t.texts("measure");
    let names = t.texts("name_zh");
    let targets = t.numbers("target_class", true, &mut p);
    let applies = t.texts("applies_to");
    let ps = t.numbers("p_factor", true, &mut p);
    let mut out = Vec::new();
    for r in 0..keys.len() {
        let applies_to = codes_list(&applies[r]).unwrap_or_else(|e| {
            p.push(format!("measures.csv row {}: applies_to: {e}", r + 2));
            Vec::new()
        });
        if targets[r].is_none() && ps[r].is_none() {
            p.push(format!(
                "measures.csv row {}: `{}` needs a target_class or a p_factor",
                r + 2,
                keys[r]
            ));
        }
        out.push(Measure {
            key: keys[r].trim().to_string(),
            name_zh: names[r].trim().to_string(),
            target_class: targets[r].map(|v| v as i32),
            applies_to,
            p_factor: ps[r],
        });
    }
    if !p.is_empty() {
        bail!("{}", p.join("\n"));
    }
    Ok(out)
}

impl ScenarioParams {
    /// The shipped presets (presets/scenario, presets/assess).
    pub fn presets() -> Result<Self> {
        let carbon_pools = CarbonPools::from_table(&parse_table(
            "presets/scenario/carbon_pools_common_classes.csv",
            CARBON_PRESET,
        )?)?;
        let wt = parse_table(
            "presets/scenario/water_balance_common_classes.csv",
            WATER_PRESET,
        )?;
        let mut p = Vec::new();
        let codes = wt.codes("lucode", &mut p);
        let alpha = wt.numbers("alpha_percent", false, &mut p);
        let veg = wt.numbers("lulc_veg", false, &mut p);
        let root = wt.numbers("root_depth", true, &mut p);
        let kc = wt.numbers("kc", false, &mut p);
        if !p.is_empty() {
            bail!("{}", p.join("\n"));
        }
        let mut water = HashMap::new();
        for r in 0..codes.len() {
            if let (Some(c), Some(a), Some(v), Some(k)) = (codes[r], alpha[r], veg[r], kc[r]) {
                water.insert(
                    c as i32,
                    WaterClass {
                        alpha_percent: a,
                        veg: v as f32,
                        root_depth: root[r].unwrap_or(0.0) as f32,
                        kc: k as f32,
                    },
                );
            }
        }
        let tt = parse_table(
            "presets/assess/habitat_threats_north_china.csv",
            THREATS_PRESET,
        )?;
        let threats = hq::threats_from_table(&tt)?;
        let mut threat_classes = Vec::new();
        for t in &threats {
            let codes = t
                .cur_path
                .strip_prefix("landuse_classes:")
                .with_context(|| {
                    format!(
                        "threat `{}`: cur_path must be landuse_classes:<codes>",
                        t.name
                    )
                })?;
            threat_classes
                .push(codes_list(codes).map_err(|e| anyhow::anyhow!("threat `{}`: {e}", t.name))?);
        }
        let sensitivity = hq::Sensitivity::from_table(
            &parse_table(
                "presets/assess/habitat_sensitivity_common_classes.csv",
                SENS_PRESET,
            )?,
            &threats,
        )?;
        Ok(ScenarioParams {
            carbon_pools,
            c_by_class: class_map("presets/assess/c_factor_common_classes.csv", C_PRESET, "c")?,
            p_by_class: class_map("presets/assess/p_factor_common_classes.csv", P_PRESET, "p")?,
            water,
            seasonality_z: 5.0,
            threats,
            threat_classes,
            sensitivity,
            hq: hq::HabitatQualityParams::default(),
            hq_k_from_base: true,
            tolerable_t_km2: 200.0,
            forest_classes: vec![3],
            grassland_classes: ecoplan_plan::indicators::IndicatorParams::default()
                .grassland_classes,
            wetland_classes: vec![6],
            cropland_classes: vec![1],
            water_classes: vec![7],
        })
    }

    /// Every problem with the parameters, at once.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1.0..=30.0).contains(&self.seasonality_z) {
            p.push(format!(
                "seasonality_z must be 1–30, found {}",
                self.seasonality_z
            ));
        }
        if self.threats.len() != self.threat_classes.len() {
            p.push("threat_classes must have one entry per threat".into());
        }
        if self.tolerable_t_km2.is_nan() || self.tolerable_t_km2 <= 0.0 {
            p.push(format!(
                "tolerable_t_km2 must be > 0, found {}",
                self.tolerable_t_km2
            ));
        }
        p.extend(self.hq.validate());
        p
    }
}

/// Base layers on the region grid. Land use in common class codes, 0 = outside (nodata).
#[derive(Debug, Clone)]
pub struct BaseLayers {
    pub land_use: Grid<i32>,
    /// Fractional vegetation cover 0–1 (C from cover when given, else C by class).
    pub cover: Option<Grid<f32>>,
    /// RUSLE potential soil loss R·K·LS, t·ha⁻¹·a⁻¹ (NaN where not computed).
    pub soil_potential: Option<Grid<f32>>,
    /// Annual precipitation and reference ET, mm; soil depth, mm; PAWC, fraction.
    pub precipitation: Option<Grid<f32>>,
    pub et0: Option<Grid<f32>>,
    pub soil_depth: Option<Grid<f32>>,
    pub pawc: Option<Grid<f32>>,
}

/// Service totals of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Services {
    /// 碳储量, t C.
    pub carbon_t: f64,
    /// Mean habitat quality over the region's cells (non-habitat cells count as 0, as InVEST maps them).
    pub hq_mean: f64,
    /// Σ HQ × cell area, ha (area-weighted habitat quality, "effective habitat area").
    pub hq_area_ha: f64,
    /// 土壤保持量, t/a.
    pub soil_conservation_t: Option<f64>,
    /// 水土保持率, %.
    pub soil_conservation_rate: Option<f64>,
    /// 水源涵养量, m³/a.
    pub water_conservation_m3: Option<f64>,
    /// 森林覆盖率, %.
    pub forest_cover_pct: f64,
    /// 草原综合植被盖度, %: mean vegetation cover of grassland cells (`None` without a cover
    /// layer or without grassland).
    pub grassland_fvc_pct: Option<f64>,
    pub wetland_ha: f64,
    pub cropland_ha: f64,
    /// 生态廊道连通度 γ (when the pattern chain ran).
    pub gamma: Option<f64>,
    /// Habitat-quality half-saturation k used (the same in every scenario).
    pub hq_k: f64,
}

impl Services {
    /// self − base, field by field (`None` when either is missing).
    pub fn minus(&self, base: &Services) -> Services {
        let d = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        Services {
            carbon_t: self.carbon_t - base.carbon_t,
            hq_mean: self.hq_mean - base.hq_mean,
            hq_area_ha: self.hq_area_ha - base.hq_area_ha,
            soil_conservation_t: d(self.soil_conservation_t, base.soil_conservation_t),
            soil_conservation_rate: d(self.soil_conservation_rate, base.soil_conservation_rate),
            water_conservation_m3: d(self.water_conservation_m3, base.water_conservation_m3),
            forest_cover_pct: self.forest_cover_pct - base.forest_cover_pct,
            grassland_fvc_pct: d(self.grassland_fvc_pct, base.grassland_fvc_pct),
            wetland_ha: self.wetland_ha - base.wetland_ha,
            cropland_ha: self.cropland_ha - base.cropland_ha,
            gamma: d(self.gamma, base.gamma),
            hq_k: self.hq_k,
        }
    }
}

/// One project's result: cells covered, cells changed, its scenario totals and Δ vs base.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProjectBenefit {
    pub name: String,
    pub cells_covered: u64,
    pub cells_changed: u64,
    pub changed_ha: f64,
    pub scenario: Services,
    pub delta: Services,
}

/// Results of [`run_scenarios`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Benefits {
    pub base: Services,
    pub projects: Vec<ProjectBenefit>,
    /// All projects together (later projects win where they overlap).
    pub total: ProjectBenefit,
}

/// Extra scenario evaluation (e.g. γ from the pattern chain): the scenario's land use and the
/// indices (into the project list) of the projects applied — none for the base, one for a
/// project alone, all for the total — in, value out. The indices let γ add the links of
/// planned-corridor projects.
pub type ExtraEval<'a> = &'a (dyn Fn(&Grid<i32>, &[usize]) -> Result<f64> + Sync);

/// Reusable scenario state: land use, cover and P, plus the undo list of the last application.
struct State {
    lu: Grid<i32>,
    cover: Option<Grid<f32>>,
    p: Vec<f32>,
    undo: Vec<(u32, i32, f32, f32)>,
    threat_bufs: Vec<Grid<f32>>,
    /// Habitat-quality k, fixed by the first (base) evaluation.
    hq_k: Option<f64>,
}

/// Median vegetation cover of each class in the base (0.001 bins).
fn class_median_cover(lu: &Grid<i32>, cover: &[f32]) -> HashMap<i32, f32> {
    let mut hist: HashMap<i32, Vec<u32>> = HashMap::new();
    for (&c, &v) in lu.data.iter().zip(cover) {
        if c == 0 || !v.is_finite() {
            continue;
        }
        let b = (v.clamp(0.0, 1.0) * 1000.0).round() as usize;
        hist.entry(c).or_insert_with(|| vec![0; 1001])[b] += 1;
    }
    hist.into_iter()
        .map(|(c, h)| {
            let n: u64 = h.iter().map(|&x| x as u64).sum();
            let mut acc = 0u64;
            let mut med = 0.0;
            for (b, &x) in h.iter().enumerate() {
                acc += x as u64;
                if 2 * acc >= n {
                    med = b as f32 / 1000.0;
                    break;
                }
            }
            (c, med)
        })
        .collect()
}

impl State {
    fn apply(
        &mut self,
        pr: &ProjectCells,
        params: &ScenarioParams,
        typical_cover: &HashMap<i32, f32>,
    ) -> u64 {
        let mut changed = 0;
        for &i in &pr.cells {
            let iu = i as usize;
            let old = self.lu.data[iu];
            if !pr.action.acts_on(old) {
                continue;
            }
            let old_cover = self.cover.as_ref().map_or(f32::NAN, |c| c.data[iu]);
            self.undo.push((i, old, old_cover, self.p[iu]));
            let new = pr.action.to_class.unwrap_or(old);
            self.lu.data[iu] = new;
            if let Some(c) = &mut self.cover {
                if new != old {
                    if let Some(&t) = typical_cover.get(&new) {
                        if c.data[iu].is_nan() || c.data[iu] < t {
                            c.data[iu] = t;
                        }
                    }
                }
            }
            self.p[iu] = match pr.action.p_factor {
                Some(p) => p as f32,
                None => params.p_by_class.get(&new).copied().unwrap_or(1.0) as f32,
            };
            changed += 1;
        }
        changed
    }
    fn undo_all(&mut self) {
        for &(i, lu, cover, p) in self.undo.iter().rev() {
            let i = i as usize;
            self.lu.data[i] = lu;
            if let Some(c) = &mut self.cover {
                c.data[i] = cover;
            }
            self.p[i] = p;
        }
        self.undo.clear();
    }
}

/// Every problem with the base layers and projects, at once.
pub fn validate(
    base: &BaseLayers,
    projects: &[ProjectCells],
    params: &ScenarioParams,
) -> Vec<String> {
    let mut p = params.validate();
    let spec = base.land_use.spec();
    for (name, g) in [
        ("cover", &base.cover),
        ("soil_potential", &base.soil_potential),
        ("precipitation", &base.precipitation),
        ("et0", &base.et0),
        ("soil_depth", &base.soil_depth),
        ("pawc", &base.pawc),
    ] {
        if let Some(g) = g {
            if let Err(e) = spec.check_aligned(&g.spec()) {
                p.push(format!("layer {name}: {e}"));
            }
        }
    }
    let n = spec.len() as u32;
    for pr in projects {
        if pr.cells.iter().any(|&i| i >= n) {
            p.push(format!(
                "project `{}`: cell index outside the grid",
                pr.name
            ));
        }
        for c in pr.action.to_class.iter().chain(&pr.action.from_classes) {
            if !params.carbon_pools.pools.contains_key(&(*c as i64)) {
                p.push(format!(
                    "project `{}`: class {c} has no carbon pools",
                    pr.name
                ));
            }
        }
    }
    p
}

/// Evaluates every service of the current state.
fn evaluate(
    st: &mut State,
    base: &BaseLayers,
    params: &ScenarioParams,
    extra: Option<ExtraEval>,
    applied: &[usize],
) -> Result<Services> {
    let lu = &st.lu;
    let cell_m2 = lu.transform.cell_area();
    let cell_ha = cell_m2 / 1e4;
    // 碳储量 (InVEST carbon).
    let c = carbon(lu, None, &params.carbon_pools, None, &NoProgress)?;
    let carbon_t = c.summary[0].1;
    drop(c);
    // 生境质量: threat rasters from the scenario's land use, into reused buffers.
    for (buf, classes) in st.threat_bufs.iter_mut().zip(&params.threat_classes) {
        for (t, &v) in buf.data.iter_mut().zip(&lu.data) {
            *t = f32::from(u8::from(classes.contains(&v)));
        }
    }
    let q = hq::habitat_quality(
        hq::HqScenario {
            lulc: lu,
            threats: &st.threat_bufs,
        },
        None,
        None,
        None,
        &params.threats,
        &params.sensitivity,
        &params.hq,
        &NoProgress,
    )?;
    // Quality from the degradation with one k for all scenarios: half the base's maximum
    // degradation on habitat (InVEST user guide), or the given k.
    let deg = &q.current.deg_sum;
    let habitat_of = |code: i32| params.sensitivity.habitat.get(&(code as i64)).copied();
    let k = *st.hq_k.get_or_insert_with(|| match params.hq_k_from_base {
        false => params.hq.half_saturation,
        true => {
            let max = deg
                .data
                .iter()
                .zip(&lu.data)
                .filter(|(d, &c)| {
                    c != 0
                        && d.is_finite()
                        && !deg.is_nodata(**d)
                        && habitat_of(c).unwrap_or(0.0) > 0.0
                })
                .map(|(d, _)| *d as f64)
                .fold(0.0, f64::max);
            if max > 0.0 {
                max / 2.0
            } else {
                params.hq.half_saturation
            }
        }
    });
    let (mut hq_sum, mut hq_n) = (0.0f64, 0u64);
    for (&d, &code) in deg.data.iter().zip(&lu.data) {
        let Some(h) = habitat_of(code) else { continue };
        if code == 0 || !d.is_finite() || deg.is_nodata(d) {
            continue;
        }
        hq_sum += hq::quality_value(d as f64, h, k);
        hq_n += 1;
    }
    drop(q);
    // 土壤保持 and 水土保持率.
    let (mut soil_t, mut soil_rate) = (None, None);
    if let Some(ap) = &base.soil_potential {
        let (mut sc, mut land, mut eroded) = (0.0f64, 0u64, 0u64);
        for i in 0..lu.data.len() {
            let (a, code) = (ap.data[i], lu.data[i]);
            if code == 0 || !a.is_finite() || ap.is_nodata(a) {
                continue;
            }
            let cf = match &st.cover {
                Some(cv) if cv.data[i].is_finite() => c_from_cover(cv.data[i] as f64 * 100.0),
                _ => params.c_by_class.get(&code).copied().unwrap_or(f64::NAN),
            };
            let actual = a as f64 * cf * st.p[i] as f64;
            if !actual.is_finite() {
                continue;
            }
            sc += (a as f64 - actual) * cell_ha;
            if !params.water_classes.contains(&code) {
                land += 1;
                if soil_loss_class(actual, params.tolerable_t_km2) >= 2 {
                    eroded += 1;
                }
            }
        }
        soil_t = Some(sc);
        soil_rate = (land > 0).then(|| 100.0 * (land - eroded) as f64 / land as f64);
    }
    // 水源涵养 (water balance with Budyko AET).
    let mut water = None;
    if let (Some(pr), Some(et0)) = (&base.precipitation, &base.et0) {
        let mut wc = 0.0f64;
        for i in 0..lu.data.len() {
            let Some(w) = params.water.get(&lu.data[i]) else {
                continue;
            };
            let (pv, ev) = (pr.data[i], et0.data[i]);
            if !pv.is_finite() || !ev.is_finite() || pr.is_nodata(pv) || et0.is_nodata(ev) {
                continue;
            }
            let depth = base.soil_depth.as_ref().map_or(f32::MAX, |g| g.data[i]);
            let pawc = base.pawc.as_ref().map_or(0.0, |g| g.data[i]);
            let Some(fr) = fractp_value(
                w.kc,
                ev,
                pv,
                w.root_depth,
                depth,
                pawc,
                w.veg,
                params.seasonality_z,
            ) else {
                continue;
            };
            let p64 = pv as f64;
            let v = (p64 - p64 * w.alpha_percent / 100.0 - fr as f64 * p64).max(0.0);
            if v.is_finite() {
                wc += v * cell_m2 * 1e-3;
            }
        }
        water = Some(wc);
    }
    // Indicators.
    let ip = ecoplan_plan::indicators::IndicatorParams {
        forest_classes: params.forest_classes.clone(),
        ..Default::default()
    };
    let forest = ecoplan_plan::indicators::forest_cover(lu, &ip)
        .map(|v| v.value)
        .unwrap_or(f64::NAN);
    // 草原综合植被盖度: the indicator's own definition (mean FVC over grassland cells) on the
    // scenario's cover, which is already FVC: NDVI end-members 0 and 1 make the dimidiate model
    // the identity.
    let grassland_fvc = match &st.cover {
        None => None,
        Some(cover) => {
            let gp = ecoplan_plan::indicators::IndicatorParams {
                grassland_classes: params.grassland_classes.clone(),
                ndvi_soil: Some(0.0),
                ndvi_veg: Some(1.0),
                ..Default::default()
            };
            match ecoplan_plan::indicators::grassland_fvc(cover, lu, &gp) {
                // grassland_fvc sums in parallel, so the last bits depend on rayon's split; runs
                // must give identical outputs (the demo's hashes): keep 1e-8 %-points, far below
                // the precision of f32 covers.
                Ok(v) => Some((v.value * 1e8).round() / 1e8),
                Err(ecoplan_plan::indicators::IndicatorError::Empty(_)) => None,
                Err(e) => bail!("草原综合植被盖度 grassland FVC: {e}"),
            }
        }
    };
    let count = |cs: &[i32]| lu.data.iter().filter(|v| cs.contains(v)).count() as f64 * cell_ha;
    let gamma = match extra {
        Some(f) => Some(f(lu, applied)?),
        None => None,
    };
    Ok(Services {
        carbon_t,
        hq_mean: if hq_n > 0 {
            hq_sum / hq_n as f64
        } else {
            f64::NAN
        },
        hq_area_ha: hq_sum * cell_ha,
        soil_conservation_t: soil_t,
        soil_conservation_rate: soil_rate,
        water_conservation_m3: water,
        forest_cover_pct: forest,
        grassland_fvc_pct: grassland_fvc,
        wetland_ha: count(&params.wetland_classes),
        cropland_ha: count(&params.cropland_classes),
        gamma,
        hq_k: k,
    })
}

/// Runs the base, each project alone, and all projects together. `extra` (e.g. γ) is evaluated
/// for the base and the total always, and per project when `extra_per_project`. Calls
/// `on_total_landuse` with the all-projects land use before the state is reused.
pub fn run_scenarios(
    base: &BaseLayers,
    projects: &[ProjectCells],
    params: &ScenarioParams,
    extra: Option<ExtraEval>,
    extra_per_project: bool,
    progress: &dyn Progress,
) -> Result<(Benefits, Grid<i32>)> {
    let problems = validate(base, projects, params);
    if !problems.is_empty() {
        bail!(
            "情景参数有误 scenario inputs:\n  - {}",
            problems.join("\n  - ")
        );
    }
    let spec = base.land_use.spec();
    let cell_ha = base.land_use.transform.cell_area() / 1e4;
    let cover = base.cover.clone();
    let typical = cover
        .as_ref()
        .map(|c| class_median_cover(&base.land_use, &c.data))
        .unwrap_or_default();
    let p: Vec<f32> = base
        .land_use
        .data
        .iter()
        .map(|c| params.p_by_class.get(c).copied().unwrap_or(1.0) as f32)
        .collect();
    let mut st = State {
        lu: base.land_use.clone(),
        cover,
        p,
        undo: Vec::new(),
        threat_bufs: params
            .threats
            .iter()
            .map(|_| Grid::filled(&spec, 0.0f32, None))
            .collect(),
        hq_k: None,
    };
    progress.begin("情景效益 scenario benefits", projects.len() as u64 + 2);
    let base_s = evaluate(&mut st, base, params, extra, &[])?;
    progress.advance(1);
    let mut done = 1;
    let mut out = Vec::new();
    for (k, pr) in projects.iter().enumerate() {
        if progress.cancelled() {
            bail!("cancelled");
        }
        let changed = st.apply(pr, params, &typical);
        let s = evaluate(
            &mut st,
            base,
            params,
            if extra_per_project { extra } else { None },
            &[k],
        )?;
        st.undo_all();
        out.push(ProjectBenefit {
            name: pr.name.clone(),
            cells_covered: pr.cells.len() as u64,
            cells_changed: changed,
            changed_ha: changed as f64 * cell_ha,
            scenario: s,
            delta: s.minus(&base_s),
        });
        done += 1;
        progress.advance(done);
    }
    let mut covered = vec![false; spec.len()];
    for pr in projects {
        st.apply(pr, params, &typical);
        for &i in &pr.cells {
            covered[i as usize] = true;
        }
    }
    // Overlapping projects may change a cell twice; count cells, not changes.
    let mut touched = vec![false; spec.len()];
    for &(i, ..) in &st.undo {
        touched[i as usize] = true;
    }
    let distinct = touched.iter().filter(|&&t| t).count() as u64;
    let all: Vec<usize> = (0..projects.len()).collect();
    let s = evaluate(&mut st, base, params, extra, &all)?;
    progress.advance(done + 1);
    progress.finish();
    let total = ProjectBenefit {
        name: "合计 total".into(),
        cells_covered: covered.iter().filter(|&&c| c).count() as u64,
        cells_changed: distinct,
        changed_ha: distinct as f64 * cell_ha,
        scenario: s,
        delta: s.minus(&base_s),
    };
    let total_lu = st.lu;
    Ok((
        Benefits {
            base: base_s,
            projects: out,
            total,
        },
        total_lu,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, GridSpec};

    fn spec(w: usize, h: usize, cell: f64) -> GridSpec {
        GridSpec::new(
            w,
            h,
            GeoTransform::north_up(0.0, h as f64 * cell, cell),
            None,
        )
    }

    fn base(lu: Vec<i32>, w: usize, h: usize) -> BaseLayers {
        let s = spec(w, h, 30.0);
        BaseLayers {
            land_use: Grid::from_vec(&s, lu, Some(0)).unwrap(),
            cover: None,
            soil_potential: None,
            precipitation: None,
            et0: None,
            soil_depth: None,
            pawc: None,
        }
    }

    fn total(p: &ScenarioParams, c: i32) -> f64 {
        p.carbon_pools.pools[&(c as i64)].iter().sum()
    }

    #[test]
    fn cropland_to_forest_changes_carbon_by_n_times_pool_difference_times_area() {
        let params = ScenarioParams::presets().unwrap();
        // 6×5 all cropland; project converts the 4 cells of row 1, cols 1..5.
        let b = base(vec![1; 30], 6, 5);
        let cells: Vec<u32> = (7..11).collect();
        let pr = ProjectCells {
            name: "退耕还林".into(),
            cells,
            action: Action::from_measure(
                &parse_measures(MEASURES_PRESET)
                    .unwrap()
                    .into_iter()
                    .find(|m| m.name_zh == "退耕还林")
                    .unwrap(),
            ),
        };
        let (b, lu) = run_scenarios(&b, &[pr], &params, None, false, &NoProgress).unwrap();
        let want = 4.0 * (total(&params, 3) - total(&params, 1)) * 0.09; // 30 m cells = 0.09 ha
        assert!(
            (b.projects[0].delta.carbon_t - want).abs() < 1e-6 * want,
            "{} vs {want}",
            b.projects[0].delta.carbon_t
        );
        assert_eq!(b.projects[0].cells_changed, 4);
        assert_eq!(lu.data.iter().filter(|&&c| c == 3).count(), 4);
        // 森林覆盖率: 4 of 30 cells.
        assert!((b.total.delta.forest_cover_pct - 400.0 / 30.0).abs() < 1e-9);
        assert!((b.total.delta.cropland_ha + 4.0 * 0.09).abs() < 1e-9);
    }

    /// 草原综合植被盖度 of scenarios: 2×4 grid, grassland cover 0.25/0.5/0.75 (median 0.5, base
    /// mean 50 %). Project A turns cropland covers 0.125, 0.875, 0.25 into grassland: they become
    /// 0.5, 0.875 (own cover is higher), 0.5, so the grassland mean is 3.375/6 = 56.25 %
    /// (Δ 6.25). Project B turns a cropland cell into forest: grassland untouched, Δ 0.
    #[test]
    fn grassland_fvc_is_the_mean_scenario_cover_of_grassland() {
        let params = ScenarioParams::presets().unwrap();
        let mut b = base(vec![5, 5, 5, 1, 1, 1, 1, 3], 4, 2);
        let s = b.land_use.spec();
        let cover = vec![0.25f32, 0.5, 0.75, 0.125, 0.875, 0.25, 0.125, 0.875];
        b.cover = Some(Grid::from_vec(&s, cover, None).unwrap());
        let to = |name: &str, cells: Vec<u32>, class: i32| ProjectCells {
            name: name.into(),
            cells,
            action: Action {
                to_class: Some(class),
                from_classes: vec![1],
                p_factor: None,
            },
        };
        let prs = vec![to("退耕还草", vec![3, 4, 5], 5), to("退耕还林", vec![6], 3)];
        let (r, lu) = run_scenarios(&b, &prs, &params, None, false, &NoProgress).unwrap();
        assert_eq!(lu.data, vec![5, 5, 5, 5, 5, 5, 3, 3]);
        assert_eq!(r.base.grassland_fvc_pct, Some(50.0));
        assert_eq!(r.projects[0].scenario.grassland_fvc_pct, Some(56.25));
        assert_eq!(r.projects[0].delta.grassland_fvc_pct, Some(6.25));
        assert_eq!(r.projects[1].scenario.grassland_fvc_pct, Some(50.0));
        assert_eq!(r.projects[1].delta.grassland_fvc_pct, Some(0.0));
        assert_eq!(r.total.scenario.grassland_fvc_pct, Some(56.25));
        assert_eq!(r.total.delta.grassland_fvc_pct, Some(6.25));
        // Without a cover (NDVI) layer the indicator is absent, not 0.
        b.cover = None;
        let (r, _) = run_scenarios(&b, &prs, &params, None, false, &NoProgress).unwrap();
        assert_eq!(r.base.grassland_fvc_pct, None);
        assert_eq!(r.total.scenario.grassland_fvc_pct, None);
        assert_eq!(r.total.delta.grassland_fvc_pct, None);
        // No grassland anywhere (base all cropland, project makes forest): absent as well.
        let mut c = base(vec![1; 4], 2, 2);
        c.cover = Some(Grid::filled(&c.land_use.spec(), 0.5f32, None));
        let (r, _) = run_scenarios(
            &c,
            &[to("x", vec![0], 3)],
            &params,
            None,
            false,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(r.base.grassland_fvc_pct, None);
        assert_eq!(r.total.delta.grassland_fvc_pct, None);
    }

    #[test]
    fn measures_act_only_on_their_classes() {
        let params = ScenarioParams::presets().unwrap();
        // cropland, grassland, mining, built-up in a row: 退耕还林 touches only the cropland cell.
        let b = base(vec![1, 5, 9, 8], 4, 1);
        let m = parse_measures(MEASURES_PRESET).unwrap();
        let by = |k: &str| Action::from_measure(m.iter().find(|x| x.key == k).unwrap());
        let prs = vec![
            ProjectCells {
                name: "a".into(),
                cells: vec![0, 1, 2, 3],
                action: by("returning_farmland_to_forest"),
            },
            ProjectCells {
                name: "b".into(),
                cells: vec![0, 1, 2, 3],
                action: by("mine_regreening_grassland"),
            },
        ];
        let (r, lu) = run_scenarios(&b, &prs, &params, None, false, &NoProgress).unwrap();
        assert_eq!(r.projects[0].cells_changed, 1);
        assert_eq!(r.projects[1].cells_changed, 1);
        assert_eq!(lu.data, vec![3, 5, 5, 8]);
        let want1 = (total(&params, 3) - total(&params, 1)) * 0.09;
        assert!((r.projects[0].delta.carbon_t - want1).abs() < 1e-9);
    }

    /// Carbon is additive: per-project deltas of non-overlapping projects sum to the total; the
    /// base layers are restored exactly between projects.
    #[test]
    fn non_overlapping_project_deltas_sum_to_total_for_additive_services() {
        let params = ScenarioParams::presets().unwrap();
        let (w, h) = (20, 20);
        let lu: Vec<i32> = (0..w * h)
            .map(|i| [1, 5, 9, 10, 3][(i * 7 / 3) % 5])
            .collect();
        let mut b = base(lu, w, h);
        let s = b.land_use.spec();
        let f = |k: f32| {
            Grid::from_vec(&s, (0..w * h).map(|i| k + (i % 13) as f32).collect(), None).unwrap()
        };
        b.cover = Some(
            Grid::from_vec(
                &s,
                (0..w * h).map(|i| (i % 10) as f32 / 10.0).collect(),
                None,
            )
            .unwrap(),
        );
        b.soil_potential = Some(f(5.0));
        b.precipitation = Some(f(400.0));
        b.et0 = Some(f(800.0));
        b.soil_depth = Some(f(1000.0));
        b.pawc = Some(Grid::filled(&s, 0.12, None));
        let m = parse_measures(MEASURES_PRESET).unwrap();
        let by = |k: &str| Action::from_measure(m.iter().find(|x| x.key == k).unwrap());
        let prs = vec![
            ProjectCells {
                name: "a".into(),
                cells: (0..100).collect(),
                action: by("returning_farmland_to_forest"),
            },
            ProjectCells {
                name: "b".into(),
                cells: (100..220).collect(),
                action: by("mine_regreening_grassland"),
            },
            ProjectCells {
                name: "c".into(),
                cells: (220..300).collect(),
                action: by("terracing"),
            },
            ProjectCells {
                name: "d".into(),
                cells: (300..400).collect(),
                action: Action::to_class(6),
            },
        ];
        let before = b.land_use.clone();
        let (r, _) = run_scenarios(&b, &prs, &params, None, false, &NoProgress).unwrap();
        assert_eq!(b.land_use, before);
        let sum =
            |f: &dyn Fn(&Services) -> f64| r.projects.iter().map(|p| f(&p.delta)).sum::<f64>();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(sum(&|s| s.carbon_t), r.total.delta.carbon_t));
        assert!(close(
            sum(&|s| s.soil_conservation_t.unwrap()),
            r.total.delta.soil_conservation_t.unwrap()
        ));
        assert!(close(
            sum(&|s| s.water_conservation_m3.unwrap()),
            r.total.delta.water_conservation_m3.unwrap()
        ));
        assert!(close(
            sum(&|s| s.forest_cover_pct),
            r.total.delta.forest_cover_pct
        ));
        // terracing lowers P on cropland only: soil conservation rises, carbon unchanged
        assert_eq!(r.projects[2].delta.carbon_t, 0.0);
        assert!(r.projects[2].delta.soil_conservation_t.unwrap() > 0.0);
        // converting to forest never lowers carbon; habitat quality rises when threats are removed
        assert!(r.projects[0].delta.carbon_t > 0.0);
        assert!(r.projects[1].delta.hq_mean > 0.0);
    }

    /// The soil model here equals run_assessment's RUSLE on the changed layers (same LS, C, P).
    #[test]
    fn soil_conservation_matches_the_assessment_chain_on_the_changed_layers() {
        use ecoplan_assess::dual::chain::SoilParams;
        use ecoplan_assess::dual::{run_assessment, AssessParams, RegionLayers};
        let params = ScenarioParams::presets().unwrap();
        let (w, h) = (24, 20);
        let s = spec(w, h, 30.0);
        let dem: Vec<f64> = (0..w * h)
            .map(|i| 1000.0 + ((i % w) as f64) * 3.0 + ((i / w) as f64).powf(1.3) * 2.0)
            .collect();
        let lu: Vec<i32> = (0..w * h)
            .map(|i| if (i / w) % 3 == 0 { 5 } else { 1 })
            .collect();
        let cover: Vec<f32> = (0..w * h).map(|i| 0.1 + (i % 7) as f32 * 0.1).collect();
        let soil = SoilParams {
            c_by_class: params.c_by_class.clone(),
            p_by_class: params.p_by_class.clone(),
            ..Default::default()
        };
        let ap = AssessParams {
            soil: Some(soil),
            protected_floor: None,
            ..Default::default()
        };
        let run = |lu: &[i32], cover: &[f32]| {
            let l = RegionLayers {
                spec: Some(s.clone()),
                land_use: Some(Grid::from_vec(&s, lu.to_vec(), Some(0)).unwrap()),
                dem: Some(Grid::from_vec(&s, dem.clone(), None).unwrap()),
                r_factor: Some(Grid::filled(&s, 1500.0, None)),
                k_factor: Some(Grid::filled(&s, 0.03, None)),
                vegetation_cover: Some(Grid::from_vec(&s, cover.to_vec(), None).unwrap()),
                ..Default::default()
            };
            run_assessment(&l, &ap, &NoProgress).unwrap()
        };
        let o = run(&lu, &cover);
        let total_sc = |o: &ecoplan_assess::dual::AssessmentOutputs| -> f64 {
            let sc = o
                .services
                .iter()
                .find(|x| x.key == "soil_conservation")
                .unwrap();
            sc.value
                .data
                .iter()
                .filter(|v| v.is_finite())
                .map(|&v| v as f64 * 0.09)
                .sum()
        };
        let mut b = base(lu.clone(), w, h);
        b.cover = Some(Grid::from_vec(&s, cover.clone(), None).unwrap());
        b.soil_potential = o.soil_loss_potential.clone();
        let pr = ProjectCells {
            name: "x".into(),
            cells: (0..(w * h) as u32).filter(|i| i % 5 == 0).collect(),
            action: Action::to_class(3),
        };
        let (r, alt_lu) = run_scenarios(&b, &[pr], &params, None, false, &NoProgress).unwrap();
        assert!((r.base.soil_conservation_t.unwrap() - total_sc(&o)).abs() < 1e-3 * total_sc(&o));
        // The chain on the changed land use and cover (cover raised to the forest median, here none).
        let mut cover2 = cover.clone();
        let typical = class_median_cover(&b.land_use, &cover);
        for i in 0..w * h {
            if alt_lu.data[i] != lu[i] {
                if let Some(&t) = typical.get(&3) {
                    cover2[i] = cover2[i].max(t);
                }
            }
        }
        let o2 = run(&alt_lu.data, &cover2);
        assert!(
            (r.total.scenario.soil_conservation_t.unwrap() - total_sc(&o2)).abs()
                < 1e-3 * total_sc(&o2)
        );
        assert!(
            (r.total.scenario.soil_conservation_rate.unwrap() - o2.soil_conservation_rate.unwrap())
                .abs()
                < 1e-9
        );
    }

    #[test]
    fn bad_projects_are_all_reported() {
        let params = ScenarioParams::presets().unwrap();
        let b = base(vec![1; 4], 2, 2);
        let prs = vec![
            ProjectCells {
                name: "a".into(),
                cells: vec![9],
                action: Action::to_class(3),
            },
            ProjectCells {
                name: "b".into(),
                cells: vec![0],
                action: Action::to_class(42),
            },
        ];
        let e = run_scenarios(&b, &prs, &params, None, false, &NoProgress)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`a`") && e.contains("outside") && e.contains("`b`") && e.contains("42"),
            "{e}"
        );
    }
}
