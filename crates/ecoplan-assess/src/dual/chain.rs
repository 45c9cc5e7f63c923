//! The 双评价 ecological chain (METHODS §1): service importance, fragility, integration.
//!
//! [`run_assessment`] takes layers already aligned on one reference grid ([`RegionLayers`]) and
//! typed parameters ([`AssessParams`]); every step's parameters are validated first and all
//! problems reported at once.

use super::areas::{area_table_by_unit, AreaRow};
use super::grading::{
    grade, GradeThresholds, GradingMethod, EXTREMELY_IMPORTANT, GRADE_NODATA, IMPORTANT,
};
use super::patches::remove_small_patches;
use super::rusle::{c_from_cover, ls_china, soil_loss_class, ChinaLsParams};
use super::rweq::{sand_fixation, vegetation_factor, RweqFactors};
use super::sensitivity::{fragility_grade, sensitivity_class, FactorBreaks};
use super::water::{min_max_normalise, npp_index, retention_mm, water_balance_mm};
use crate::hydro;
use crate::invest::habitat_quality as hq;
use crate::invest::sdr::ls_factor;
use crate::AssessError;
use ecoplan_grid::{Grid, GridSpec, NoProgress, Progress};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Input layers on one reference grid. Continuous layers: `Grid<f32>`, nodata as the grid's
/// nodata or NaN. Land use in the project's common class codes (presets/landuse/common_classes.csv).
#[derive(Debug, Clone, Default)]
pub struct RegionLayers {
    pub spec: Option<GridSpec>,
    pub land_use: Option<Grid<i32>>,
    /// Elevation, m.
    pub dem: Option<Grid<f64>>,
    /// Annual precipitation, mm.
    pub precipitation: Option<Grid<f32>>,
    /// Actual evapotranspiration, mm (water balance method).
    pub evapotranspiration: Option<Grid<f32>>,
    /// InVEST water yield Y, mm (retention-correction method).
    pub water_yield: Option<Grid<f32>>,
    /// Soil depth, mm (converted to cm for the topographic index, as the method's papers use),
    /// and saturated hydraulic conductivity in the unit of the K_sat/300 term, mm/d here
    /// (retention-correction method).
    pub soil_depth: Option<Grid<f32>>,
    pub ksat: Option<Grid<f32>>,
    /// Mean NPP, and the NPP-index factors F_sic, F_pre, F_slo (normalised here).
    pub npp: Option<Grid<f32>>,
    pub f_sic: Option<Grid<f32>>,
    pub f_pre: Option<Grid<f32>>,
    pub f_slo: Option<Grid<f32>>,
    /// RUSLE factors (C and P may come from tables by land use instead).
    pub r_factor: Option<Grid<f32>>,
    pub k_factor: Option<Grid<f32>>,
    pub c_factor: Option<Grid<f32>>,
    pub p_factor: Option<Grid<f32>>,
    /// Fractional vegetation cover 0–1.
    pub vegetation_cover: Option<Grid<f32>>,
    /// RWEQ factors WF (kg·m⁻¹), EF, SCF, K′.
    pub rweq_wf: Option<Grid<f32>>,
    pub rweq_ef: Option<Grid<f32>>,
    pub rweq_scf: Option<Grid<f32>>,
    pub rweq_k: Option<Grid<f32>>,
    /// Habitat-quality threat rasters by threat name (0–1).
    pub threats: BTreeMap<String, Grid<f32>>,
    /// Threats given as land-use presence instead of a raster: 1 where the land-use code is in
    /// the list, else 0. Each is built from `land_use` only while habitat quality reads it, so at
    /// most one such raster is in memory at a time.
    pub threat_classes: BTreeMap<String, Vec<i32>>,
    /// Protected areas (自然保护地, 红线): nonzero = protected.
    pub protected: Option<Grid<u8>>,
    /// Administrative units (乡镇) ids; 0/nodata = outside.
    pub admin: Option<Grid<i32>>,
    /// Slope and flow accumulation already derived from `dem` with [`derive_terrain`] (used
    /// instead of deriving them again when its routing matches the soil parameters). Lets a
    /// caller derive them while the DEM is the only layer in memory.
    pub terrain: Option<Terrain>,
    /// Fragility factor layers by factor key (e.g. `relief`, `humidity_index`); keys ending in
    /// `_score` are already scored 1–9 (e.g. `texture_score`).
    pub fragility_factors: BTreeMap<String, Grid<f32>>,
}

/// Terrain derived from the pit-filled DEM, shared by 水土保持 and the retention correction.
#[derive(Debug, Clone)]
pub struct Terrain {
    /// Slope, % ([`hydro::SLOPE_NODATA`] = nodata).
    pub slope_percent: Grid<f32>,
    /// Upstream cells ([`hydro::FLOW_ACCUM_NODATA`] = nodata).
    pub flow_accumulation: Grid<f64>,
    /// MFD (true) or D8 routing.
    pub mfd: bool,
}

/// Pit fill, slope and flow accumulation (MFD or D8) of `dem`, as the chain computes them.
pub fn derive_terrain(dem: &Grid<f64>, mfd: bool) -> Terrain {
    let filled = hydro::fill_pits(dem, &NoProgress);
    let slope = hydro::slope_percent(&filled, &NoProgress);
    let acc = if mfd {
        let d = hydro::flow_dir_mfd(&filled, &NoProgress);
        drop(filled);
        hydro::flow_accumulation_mfd(&d, None, &NoProgress)
    } else {
        let d = hydro::flow_dir_d8(&filled, &NoProgress);
        drop(filled);
        hydro::flow_accumulation_d8(&d, None, &NoProgress)
    };
    Terrain {
        slope_percent: slope,
        flow_accumulation: acc,
        mfd,
    }
}

/// 水源涵养 method.
#[derive(Debug, Clone, PartialEq)]
pub enum WaterMethod {
    /// (a) P − R − ET with R = P·α; α (%) by land-use code.
    WaterBalance {
        runoff_coefficient_percent: HashMap<i32, f64>,
    },
    /// (b) InVEST yield × retention correction; V (flow-velocity coefficient) by land-use code.
    RetentionCorrection { velocity: HashMap<i32, f64> },
    /// (c) NPP index.
    NppIndex,
}

/// LS factor method for 水土保持.
#[derive(Debug, Clone, PartialEq)]
pub enum LsMethod {
    /// InVEST / Desmet–Govers 2-D (as natcap.invest codes it), with l_max.
    Invest { l_max: f64 },
    /// McCool L + Liu Baoyuan S; slope length λ = flow accumulation × cell size, capped.
    China(ChinaLsParams),
}

/// 水土保持 parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SoilParams {
    pub ls: LsMethod,
    /// MFD (InVEST default) or D8 routing for the flow accumulation behind LS.
    pub mfd: bool,
    /// C by land-use code when no C layer is given (and no vegetation cover).
    pub c_by_class: HashMap<i32, f64>,
    /// P by land-use code when no P layer is given (default 1).
    pub p_by_class: HashMap<i32, f64>,
    /// Tolerable soil loss, t·km⁻²·a⁻¹ (SL 190-2007: 200 / 500 / 1000 by region).
    pub tolerable_t_km2: f64,
    /// Land-use codes excluded from land area for 水土保持率 (water).
    pub water_classes: Vec<i32>,
}

impl Default for SoilParams {
    fn default() -> Self {
        SoilParams {
            ls: LsMethod::Invest { l_max: 122.0 },
            mfd: true,
            c_by_class: HashMap::new(),
            p_by_class: HashMap::new(),
            tolerable_t_km2: 200.0,
            water_classes: vec![7],
        }
    }
}

/// 防风固沙 parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct WindParams {
    /// Downwind distance z, m (default 50).
    pub z: f64,
}

impl Default for WindParams {
    fn default() -> Self {
        WindParams { z: 50.0 }
    }
}

/// 生物多样性维护 parameters (InVEST Habitat Quality).
#[derive(Debug, Clone, PartialEq)]
pub struct BiodiversityParams {
    pub threats: Vec<hq::Threat>,
    pub sensitivity: hq::Sensitivity,
    pub hq: hq::HabitatQualityParams,
    /// Force protected areas to 极重要 in the biodiversity grade.
    pub protected_top: bool,
}

/// One fragility process.
#[derive(Debug, Clone, PartialEq)]
pub struct FragilityParams {
    /// soil_erosion | desertification | rocky_desertification | salinization.
    pub process: String,
    pub breaks: Vec<FactorBreaks>,
    /// Window (cells, odd) for relief (max − min elevation) when no `relief` layer is given.
    pub relief_window: usize,
}

/// All parameters of [`run_assessment`]; services left `None` are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessParams {
    pub water: Option<WaterMethod>,
    pub soil: Option<SoilParams>,
    pub wind: Option<WindParams>,
    pub biodiversity: Option<BiodiversityParams>,
    pub fragility: Vec<FragilityParams>,
    pub grading: GradingMethod,
    /// 极重要 patches below this area (ha) are demoted to 重要 in the integrated map (0 = off).
    pub min_patch_ha: f64,
    /// Protected areas are at least this grade in the integrated map (None = off).
    pub protected_floor: Option<u8>,
}

impl Default for AssessParams {
    fn default() -> Self {
        AssessParams {
            water: None,
            soil: Some(SoilParams::default()),
            wind: None,
            biodiversity: None,
            fragility: Vec::new(),
            grading: GradingMethod::default(),
            min_patch_ha: 0.0,
            protected_floor: Some(IMPORTANT),
        }
    }
}

/// A graded ecosystem service.
#[derive(Debug, Clone)]
pub struct ServiceResult {
    /// water_conservation | soil_conservation | sand_fixation | biodiversity.
    pub key: &'static str,
    pub name_zh: &'static str,
    pub unit: &'static str,
    pub value: Grid<f32>,
    pub grade: Grid<u8>,
    pub thresholds: GradeThresholds,
}

/// A graded fragility process.
#[derive(Debug, Clone)]
pub struct FragilityResult {
    pub process: String,
    pub name_zh: &'static str,
    /// Geometric mean of the factor scores (1–9).
    pub composite: Grid<f32>,
    /// Sensitivity class 1–5.
    pub class: Grid<u8>,
    /// 双评价 grade: 1 一般, 2 脆弱, 3 极脆弱.
    pub grade: Grid<u8>,
}

/// Results of [`run_assessment`].
#[derive(Debug, Clone)]
pub struct AssessmentOutputs {
    pub services: Vec<ServiceResult>,
    pub fragility: Vec<FragilityResult>,
    /// 生态保护重要性: 1 一般, 2 重要, 3 极重要 (0 nodata).
    pub importance: Grid<u8>,
    /// RUSLE potential and actual soil loss (t·ha⁻¹·a⁻¹) and SL 190 classes, when soil ran.
    pub soil_loss_potential: Option<Grid<f32>>,
    pub soil_loss_actual: Option<Grid<f32>>,
    pub soil_loss_class: Option<Grid<u8>>,
    /// 水土保持率 (%).
    pub soil_conservation_rate: Option<f64>,
    /// Area tables by (layer name): grades per region and per admin unit.
    pub area_tables: Vec<(String, Vec<AreaRow>)>,
}

fn process_name(p: &str) -> &'static str {
    match p {
        "soil_erosion" => "水土流失敏感性",
        "desertification" => "土地沙化敏感性",
        "rocky_desertification" => "石漠化敏感性",
        "salinization" => "盐渍化敏感性",
        _ => "敏感性",
    }
}

impl AssessParams {
    /// Every problem with the parameters and the layers they need.
    pub fn validate(&self, l: &RegionLayers) -> Vec<String> {
        let mut p = self.grading.validate();
        let need = |p: &mut Vec<String>, ok: bool, what: &str, layer: &str| {
            if !ok {
                p.push(format!("{what} needs the `{layer}` layer"));
            }
        };
        if let Some(w) = &self.water {
            match w {
                WaterMethod::WaterBalance {
                    runoff_coefficient_percent,
                } => {
                    need(
                        &mut p,
                        l.precipitation.is_some(),
                        "水源涵养 (water balance)",
                        "precipitation",
                    );
                    need(
                        &mut p,
                        l.evapotranspiration.is_some(),
                        "水源涵养 (water balance)",
                        "evapotranspiration",
                    );
                    need(
                        &mut p,
                        l.land_use.is_some(),
                        "水源涵养 (water balance)",
                        "land_use",
                    );
                    if runoff_coefficient_percent
                        .values()
                        .any(|a| !(0.0..=100.0).contains(a))
                    {
                        p.push("runoff coefficients must be within 0–100 %".into());
                    }
                }
                WaterMethod::RetentionCorrection { .. } => {
                    for (ok, n) in [
                        (l.water_yield.is_some(), "water_yield"),
                        (l.dem.is_some(), "dem"),
                        (l.soil_depth.is_some(), "soil_depth"),
                        (l.ksat.is_some(), "ksat"),
                        (l.land_use.is_some(), "land_use"),
                    ] {
                        need(&mut p, ok, "水源涵养 (retention correction)", n);
                    }
                }
                WaterMethod::NppIndex => {
                    for (ok, n) in [
                        (l.npp.is_some(), "npp"),
                        (l.f_sic.is_some(), "f_sic"),
                        (l.f_pre.is_some(), "f_pre"),
                        (l.f_slo.is_some(), "f_slo"),
                    ] {
                        need(&mut p, ok, "水源涵养 (NPP index)", n);
                    }
                }
            }
        }
        if let Some(s) = &self.soil {
            for (ok, n) in [
                (l.dem.is_some(), "dem"),
                (l.r_factor.is_some(), "r_factor"),
                (l.k_factor.is_some(), "k_factor"),
            ] {
                need(&mut p, ok, "水土保持 (RUSLE)", n);
            }
            if l.c_factor.is_none()
                && l.vegetation_cover.is_none()
                && (l.land_use.is_none() || s.c_by_class.is_empty())
            {
                p.push("水土保持 needs C: a `c_factor` layer, a `vegetation_cover` layer, or land use with a C table".into());
            }
            if !(s.tolerable_t_km2 > 0.0) {
                p.push(format!(
                    "tolerable soil loss must be > 0 t/km²/a, found {}",
                    s.tolerable_t_km2
                ));
            }
            match &s.ls {
                LsMethod::Invest { l_max } if !(*l_max > 0.0) => {
                    p.push(format!("l_max must be > 0, found {l_max}"))
                }
                LsMethod::China(c) => p.extend(c.validate()),
                _ => {}
            }
        }
        if let Some(w) = &self.wind {
            for (ok, n) in [
                (l.rweq_wf.is_some(), "rweq_wf"),
                (l.rweq_ef.is_some(), "rweq_ef"),
                (l.rweq_scf.is_some(), "rweq_scf"),
                (l.rweq_k.is_some(), "rweq_k"),
                (l.vegetation_cover.is_some(), "vegetation_cover"),
            ] {
                need(&mut p, ok, "防风固沙 (RWEQ)", n);
            }
            if !(w.z > 0.0) {
                p.push(format!(
                    "RWEQ downwind distance z must be > 0 m, found {}",
                    w.z
                ));
            }
        }
        if let Some(b) = &self.biodiversity {
            need(
                &mut p,
                l.land_use.is_some(),
                "生物多样性维护 (habitat quality)",
                "land_use",
            );
            p.extend(b.hq.validate());
            for t in &b.threats {
                if !l.threats.contains_key(&t.name) && !l.threat_classes.contains_key(&t.name) {
                    p.push(format!("生物多样性维护: no raster for threat `{}`", t.name));
                }
            }
            if b.protected_top && l.protected.is_none() {
                p.push("生物多样性维护: protected_top needs the `protected` layer".into());
            }
        }
        for f in &self.fragility {
            if ![
                "soil_erosion",
                "desertification",
                "rocky_desertification",
                "salinization",
            ]
            .contains(&f.process.as_str())
            {
                p.push(format!("unknown fragility process `{}`", f.process));
            }
            if f.breaks.is_empty() {
                p.push(format!("fragility `{}` has no factor breaks", f.process));
            }
            for b in &f.breaks {
                let available = l.fragility_factors.contains_key(&b.factor)
                    || (b.factor == "vegetation_cover" && l.vegetation_cover.is_some())
                    || (b.factor == "r" && l.r_factor.is_some())
                    || ((b.factor == "relief" || b.factor == "slope") && l.dem.is_some());
                if !available {
                    p.push(format!(
                        "fragility `{}`: no layer for factor `{}`",
                        f.process, b.factor
                    ));
                }
            }
            if f.relief_window % 2 == 0 {
                p.push(format!(
                    "relief window must be odd, found {}",
                    f.relief_window
                ));
            }
        }
        if let Some(f) = self.protected_floor {
            if !(1..=3).contains(&f) {
                p.push(format!("protected_floor must be 1–3, found {f}"));
            }
            if l.protected.is_none() {
                // the floor is simply not applied without a protected layer
            }
        }
        if self.min_patch_ha < 0.0 {
            p.push(format!(
                "min_patch_ha must be ≥ 0, found {}",
                self.min_patch_ha
            ));
        }
        if self.water.is_none()
            && self.soil.is_none()
            && self.wind.is_none()
            && self.biodiversity.is_none()
            && self.fragility.is_empty()
        {
            p.push("nothing to assess: enable at least one service or fragility process".into());
        }
        p
    }
}

fn layer_specs(l: &RegionLayers) -> Vec<(String, GridSpec)> {
    let mut v: Vec<(String, GridSpec)> = Vec::new();
    macro_rules! add {
        ($($f:ident),*) => { $( if let Some(g) = &l.$f { v.push((stringify!($f).to_string(), g.spec())); } )* };
    }
    add!(
        land_use,
        dem,
        precipitation,
        evapotranspiration,
        water_yield,
        soil_depth,
        ksat,
        npp,
        f_sic,
        f_pre,
        f_slo,
        r_factor,
        k_factor,
        c_factor,
        p_factor,
        vegetation_cover,
        rweq_wf,
        rweq_ef,
        rweq_scf,
        rweq_k,
        protected,
        admin
    );
    if let Some(t) = &l.terrain {
        v.push(("terrain slope".to_string(), t.slope_percent.spec()));
        v.push((
            "terrain flow accumulation".to_string(),
            t.flow_accumulation.spec(),
        ));
    }
    for (k, g) in &l.threats {
        v.push((format!("threat `{k}`"), g.spec()));
    }
    for (k, g) in &l.fragility_factors {
        v.push((format!("fragility factor `{k}`"), g.spec()));
    }
    v
}

#[inline]
fn val(g: &Grid<f32>, i: usize) -> f32 {
    let v = g.data[i];
    if g.is_nodata(v) {
        f32::NAN
    } else {
        v
    }
}

fn grid_like(spec: &GridSpec, data: Vec<f32>) -> Grid<f32> {
    Grid::from_vec(spec, data, Some(f32::NAN)).expect("sizes match the spec")
}

fn grid_u8(spec: &GridSpec, data: Vec<u8>) -> Grid<u8> {
    Grid::from_vec(spec, data, Some(GRADE_NODATA)).expect("sizes match the spec")
}

/// Runs the chain on borrowed layers (the caller keeps them). [`run_assessment_owned`] gives the
/// same results and frees each input grid as soon as the last step that reads it is done.
pub fn run_assessment(
    l: &RegionLayers,
    params: &AssessParams,
    progress: &dyn Progress,
) -> Result<AssessmentOutputs, AssessError> {
    run_chain(Cow::Borrowed(l), params, progress)
}

/// [`run_assessment`] taking the layers by value: inputs are dropped step by step (water inputs
/// after 水源涵养, RUSLE factors and the flow accumulation after 水土保持, RWEQ factors after 防风固沙,
/// threats and land use after 生物多样性维护, fragility factors and the DEM after the fragility
/// processes), which lowers peak memory on large regions.
pub fn run_assessment_owned(
    l: RegionLayers,
    params: &AssessParams,
    progress: &dyn Progress,
) -> Result<AssessmentOutputs, AssessError> {
    run_chain(Cow::Owned(l), params, progress)
}

#[inline]
fn land_code(lu: Option<&Grid<i32>>, i: usize) -> Option<i32> {
    lu.and_then(|g| {
        let v = g.data[i];
        if g.is_nodata(v) {
            None
        } else {
            Some(v)
        }
    })
}

/// Where one threat comes from: an input raster, or the land-use codes it is present on.
enum ThreatInput<'a> {
    Raster(&'a Grid<f32>),
    Classes(&'a Grid<i32>, &'a [i32]),
}

/// Threats of the chain in the threats table's order: rasters borrowed (no copies), land-use
/// presence rasters built when habitat quality asks for them and dropped after.
struct ChainThreats<'a> {
    inputs: Vec<ThreatInput<'a>>,
}

impl hq::ThreatSource for ChainThreats<'_> {
    fn count(&self) -> usize {
        self.inputs.len()
    }
    fn get(&self, k: usize) -> Result<Cow<'_, Grid<f32>>, AssessError> {
        Ok(match &self.inputs[k] {
            ThreatInput::Raster(g) => Cow::Borrowed(*g),
            ThreatInput::Classes(lu, codes) => {
                let data: Vec<f32> = lu
                    .data
                    .par_iter()
                    .map(|v| f32::from(u8::from(codes.contains(v))))
                    .collect();
                Cow::Owned(Grid::from_vec(&lu.spec(), data, None).expect("sizes match"))
            }
        })
    }
}

/// A fragility factor's values: an input layer (nodata → NaN) or a derived grid (relief, slope).
enum FactorValues<'a> {
    Layer(&'a Grid<f32>),
    Derived(Vec<f32>),
}

impl FactorValues<'_> {
    #[inline]
    fn at(&self, i: usize) -> f32 {
        match self {
            FactorValues::Layer(g) => val(g, i),
            FactorValues::Derived(v) => v[i],
        }
    }
}

fn run_chain(
    mut l: Cow<'_, RegionLayers>,
    params: &AssessParams,
    progress: &dyn Progress,
) -> Result<AssessmentOutputs, AssessError> {
    // frees input layers when they are owned; borrowed layers stay with the caller
    macro_rules! free {
        ($($f:ident),*) => {
            if let Cow::Owned(o) = &mut l {
                $( o.$f = Default::default(); )*
            }
        };
    }
    let specs = layer_specs(&l);
    let spec = match (&l.spec, specs.first()) {
        (Some(s), _) => s.clone(),
        (None, Some((_, s))) => s.clone(),
        (None, None) => return Err(AssessError::Invalid(vec!["no input layers".into()])),
    };
    let mut problems = params.validate(&l);
    for (name, s) in &specs {
        if let Err(e) = spec.check_aligned(s) {
            problems.push(format!("layer {name} is not on the reference grid: {e}"));
        }
    }
    AssessError::check(problems)?;
    let n = spec.len();
    let cell_area = spec.transform.cell_area();
    let steps = params.water.is_some() as u64
        + params.soil.is_some() as u64
        + params.wind.is_some() as u64
        + params.biodiversity.is_some() as u64
        + params.fragility.len() as u64
        + 1;
    progress.begin("双评价 生态保护重要性 assessment", steps);
    let mut done = 0u64;
    let mut tick = || -> Result<(), AssessError> {
        if progress.cancelled() {
            return Err(AssessError::Cancelled);
        }
        done += 1;
        progress.advance(done);
        Ok(())
    };
    let mut services = Vec::new();
    // derived terrain, shared by soil conservation and retention
    let needs_terrain = params.soil.is_some()
        || matches!(params.water, Some(WaterMethod::RetentionCorrection { .. }));
    let mfd = params.soil.as_ref().is_none_or(|s| s.mfd);
    let given = match &mut l {
        Cow::Owned(o) => o.terrain.take(),
        Cow::Borrowed(b) => b
            .terrain
            .as_ref()
            .filter(|t| t.mfd == mfd && needs_terrain)
            .cloned(),
    }
    .filter(|t| t.mfd == mfd && needs_terrain);
    let terrain = if needs_terrain {
        let t = match given {
            Some(t) => t,
            None => derive_terrain(l.dem.as_ref().expect("validated"), mfd),
        };
        Some((t.slope_percent, t.flow_accumulation))
    } else {
        None
    };
    // 水源涵养
    if let Some(w) = &params.water {
        let lr: &RegionLayers = &l;
        let lu = lr.land_use.as_ref();
        let data: Vec<f32> = match w {
            WaterMethod::WaterBalance {
                runoff_coefficient_percent,
            } => {
                let (p, et) = (
                    lr.precipitation.as_ref().expect("validated"),
                    lr.evapotranspiration.as_ref().expect("validated"),
                );
                (0..n)
                    .into_par_iter()
                    .map(|i| {
                        match land_code(lu, i).and_then(|c| runoff_coefficient_percent.get(&c)) {
                            Some(&a) => {
                                let (pv, ev) = (val(p, i), val(et, i));
                                if pv.is_nan() || ev.is_nan() {
                                    f32::NAN
                                } else {
                                    water_balance_mm(pv as f64, ev as f64, a).max(0.0) as f32
                                }
                            }
                            None => f32::NAN,
                        }
                    })
                    .collect()
            }
            WaterMethod::RetentionCorrection { velocity } => {
                let (slope, acc) = terrain.as_ref().expect("computed");
                let (y, sd, ks) = (
                    lr.water_yield.as_ref().expect("validated"),
                    lr.soil_depth.as_ref().expect("validated"),
                    lr.ksat.as_ref().expect("validated"),
                );
                (0..n)
                    .into_par_iter()
                    .map(|i| {
                        let (yv, sdv, kv, sl) = (val(y, i), val(sd, i), val(ks, i), slope.data[i]);
                        if yv.is_nan()
                            || sdv.is_nan()
                            || kv.is_nan()
                            || sl == hydro::SLOPE_NODATA
                            || acc.data[i] == hydro::FLOW_ACCUM_NODATA
                        {
                            return f32::NAN;
                        }
                        let v = land_code(lu, i)
                            .and_then(|c| velocity.get(&c))
                            .copied()
                            .unwrap_or(0.0);
                        // TI takes soil depth in cm, as in the papers (包玉斌 2016); the layer is mm
                        retention_mm(
                            yv as f64,
                            v,
                            acc.data[i],
                            sdv as f64 / 10.0,
                            sl as f64,
                            kv as f64,
                        ) as f32
                    })
                    .collect()
            }
            WaterMethod::NppIndex => {
                let norm = |g: &Grid<f32>| {
                    let mut v: Vec<f32> = (0..n).map(|i| val(g, i)).collect();
                    min_max_normalise(&mut v);
                    v
                };
                let (a, b, c) = (
                    norm(lr.f_sic.as_ref().expect("validated")),
                    norm(lr.f_pre.as_ref().expect("validated")),
                    norm(lr.f_slo.as_ref().expect("validated")),
                );
                let npp = lr.npp.as_ref().expect("validated");
                (0..n)
                    .map(|i| {
                        npp_index(val(npp, i) as f64, a[i] as f64, b[i] as f64, c[i] as f64) as f32
                    })
                    .collect()
            }
        };
        let (g, th) = grade(&data, params.grading);
        let unit = if matches!(w, WaterMethod::NppIndex) {
            "index"
        } else {
            "mm"
        };
        services.push(ServiceResult {
            key: "water_conservation",
            name_zh: "水源涵养",
            unit,
            value: grid_like(&spec, data),
            grade: grid_u8(&spec, g),
            thresholds: th,
        });
        tick()?;
    }
    free!(
        precipitation,
        evapotranspiration,
        water_yield,
        soil_depth,
        ksat,
        npp,
        f_sic,
        f_pre,
        f_slo
    );
    // 水土保持
    let (mut loss_p, mut loss_a, mut loss_class, mut rate) = (None, None, None, None);
    if let Some(s) = &params.soil {
        let lr: &RegionLayers = &l;
        let lu = lr.land_use.as_ref();
        let (slope, acc) = terrain.as_ref().expect("computed");
        let cell = spec.transform.dx.abs();
        let (r, k) = (
            lr.r_factor.as_ref().expect("validated"),
            lr.k_factor.as_ref().expect("validated"),
        );
        let loss_at = |i: usize| -> (f32, f32, f32) {
            let (rv, kv, sl, a) = (val(r, i), val(k, i), slope.data[i], acc.data[i]);
            if rv.is_nan()
                || kv.is_nan()
                || sl == hydro::SLOPE_NODATA
                || a == hydro::FLOW_ACCUM_NODATA
            {
                return (f32::NAN, f32::NAN, f32::NAN);
            }
            let ls = match &s.ls {
                LsMethod::Invest { l_max } => ls_factor(sl, a, cell, *l_max),
                LsMethod::China(c) => ls_china(sl as f64, a * cell, c),
            };
            let c = if let Some(cg) = &lr.c_factor {
                val(cg, i) as f64
            } else if let Some(vc) = &lr.vegetation_cover {
                c_from_cover(val(vc, i) as f64 * 100.0)
            } else {
                land_code(lu, i)
                    .and_then(|code| s.c_by_class.get(&code))
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            let p = if let Some(pg) = &lr.p_factor {
                val(pg, i) as f64
            } else {
                land_code(lu, i)
                    .and_then(|code| s.p_by_class.get(&code))
                    .copied()
                    .unwrap_or(1.0)
            };
            let ap = rv as f64 * kv as f64 * ls;
            let aa = ap * c * p;
            if aa.is_nan() {
                return (f32::NAN, f32::NAN, f32::NAN);
            }
            (ap as f32, aa as f32, (ap - aa) as f32)
        };
        // three output grids filled in one parallel pass (no per-cell tuple buffer)
        let (mut potential, mut actual, mut sc) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
        potential
            .par_iter_mut()
            .zip(actual.par_iter_mut())
            .zip(sc.par_iter_mut())
            .enumerate()
            .for_each(|(i, ((p, a), c))| {
                (*p, *a, *c) = loss_at(i);
            });
        let classes: Vec<u8> = actual
            .par_iter()
            .map(|&a| {
                if a.is_nan() {
                    0
                } else {
                    soil_loss_class(a as f64, s.tolerable_t_km2)
                }
            })
            .collect();
        let (land, eroded) = classes
            .par_iter()
            .enumerate()
            .filter(|&(i, &c)| {
                c != 0 && !land_code(lu, i).is_some_and(|code| s.water_classes.contains(&code))
            })
            .map(|(_, &c)| (1u64, u64::from(c >= 2)))
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        rate = if land > 0 {
            Some(100.0 * (land - eroded) as f64 / land as f64)
        } else {
            None
        };
        loss_p = Some(grid_like(&spec, potential));
        loss_a = Some(grid_like(&spec, actual));
        loss_class = Some(grid_u8(&spec, classes));
        let (g, th) = grade(&sc, params.grading);
        services.push(ServiceResult {
            key: "soil_conservation",
            name_zh: "水土保持",
            unit: "t/(ha·a)",
            value: grid_like(&spec, sc),
            grade: grid_u8(&spec, g),
            thresholds: th,
        });
        tick()?;
    }
    drop(terrain);
    free!(k_factor, c_factor, p_factor);
    // 防风固沙
    if let Some(w) = &params.wind {
        let lr: &RegionLayers = &l;
        let (wf, ef, scf, kk, vc) = (
            lr.rweq_wf.as_ref().expect("validated"),
            lr.rweq_ef.as_ref().expect("validated"),
            lr.rweq_scf.as_ref().expect("validated"),
            lr.rweq_k.as_ref().expect("validated"),
            lr.vegetation_cover.as_ref().expect("validated"),
        );
        let data: Vec<f32> = (0..n)
            .into_par_iter()
            .map(|i| {
                let f = RweqFactors {
                    wf: val(wf, i) as f64,
                    ef: val(ef, i) as f64,
                    scf: val(scf, i) as f64,
                    k_prime: val(kk, i) as f64,
                    c: vegetation_factor(val(vc, i) as f64 * 100.0),
                };
                if [f.wf, f.ef, f.scf, f.k_prime, f.c]
                    .iter()
                    .any(|v| v.is_nan())
                {
                    f32::NAN
                } else {
                    sand_fixation(&f, w.z).2 as f32
                }
            })
            .collect();
        let (g, th) = grade(&data, params.grading);
        services.push(ServiceResult {
            key: "sand_fixation",
            name_zh: "防风固沙",
            unit: "kg/m²",
            value: grid_like(&spec, data),
            grade: grid_u8(&spec, g),
            thresholds: th,
        });
        tick()?;
    }
    free!(rweq_wf, rweq_ef, rweq_scf, rweq_k);
    // fragility (before habitat quality, so that its factor layers and the DEM are freed first)
    let mut fragility = Vec::new();
    for f in &params.fragility {
        let lr: &RegionLayers = &l;
        let factors: Vec<FactorValues> = f
            .breaks
            .iter()
            .map(|b| {
                if let Some(g) = lr.fragility_factors.get(&b.factor) {
                    FactorValues::Layer(g)
                } else if b.factor == "vegetation_cover" {
                    FactorValues::Layer(lr.vegetation_cover.as_ref().expect("validated"))
                } else if b.factor == "r" {
                    FactorValues::Layer(lr.r_factor.as_ref().expect("validated"))
                } else if b.factor == "relief" {
                    FactorValues::Derived(relief(
                        lr.dem.as_ref().expect("validated"),
                        f.relief_window,
                    ))
                } else {
                    // slope in degrees
                    let s = hydro::slope_percent(lr.dem.as_ref().expect("validated"), &NoProgress);
                    FactorValues::Derived(
                        s.data
                            .par_iter()
                            .map(|&v| {
                                if v == hydro::SLOPE_NODATA {
                                    f32::NAN
                                } else {
                                    (v as f64 / 100.0).atan().to_degrees() as f32
                                }
                            })
                            .collect(),
                    )
                }
            })
            .collect();
        let scored: Vec<bool> = f
            .breaks
            .iter()
            .map(|b| b.factor.ends_with("_score"))
            .collect();
        // geometric mean of the scores (as `composite`), NaN when any factor is missing
        let comp: Vec<f32> = (0..n)
            .into_par_iter()
            .map(|i| {
                let (mut ln_sum, mut count) = (0.0f64, 0usize);
                for ((fv, b), &is_score) in factors.iter().zip(&f.breaks).zip(&scored) {
                    let v = fv.at(i) as f64;
                    let s = if is_score { v } else { b.score(v) };
                    if s.is_nan() {
                        return f32::NAN;
                    }
                    if s.is_finite() {
                        ln_sum += s.ln();
                        count += 1;
                    }
                }
                if count == 0 {
                    f32::NAN
                } else {
                    (ln_sum / count as f64).exp() as f32
                }
            })
            .collect();
        drop(factors);
        let class: Vec<u8> = comp
            .par_iter()
            .map(|&c| sensitivity_class(c as f64))
            .collect();
        let gr: Vec<u8> = class.par_iter().map(|&c| fragility_grade(c)).collect();
        fragility.push(FragilityResult {
            process: f.process.clone(),
            name_zh: process_name(&f.process),
            composite: grid_like(&spec, comp),
            class: grid_u8(&spec, class),
            grade: grid_u8(&spec, gr),
        });
        tick()?;
    }
    free!(fragility_factors, vegetation_cover, r_factor, dem);
    // 生物多样性维护
    if let Some(b) = &params.biodiversity {
        let lr: &RegionLayers = &l;
        let lulc = lr.land_use.as_ref().expect("validated");
        let source = ChainThreats {
            inputs: b
                .threats
                .iter()
                .map(|t| match lr.threats.get(&t.name) {
                    Some(g) => ThreatInput::Raster(g),
                    None => ThreatInput::Classes(lulc, &lr.threat_classes[&t.name]),
                })
                .collect(),
        };
        let o = hq::habitat_quality_from(
            hq::HqScenarioFrom {
                lulc,
                threats: &source,
            },
            None,
            None,
            None,
            &b.threats,
            &b.sensitivity,
            &b.hq,
            &NoProgress,
        )?;
        let q = o.current.quality;
        let nodata = q.nodata;
        let mut data = q.data;
        data.par_iter_mut().for_each(|v| {
            if v.is_nan() || nodata == Some(*v) {
                *v = f32::NAN;
            }
        });
        let (mut g, th) = grade(&data, params.grading);
        if b.protected_top {
            let pr = lr.protected.as_ref().expect("validated");
            for (gi, &pv) in g.iter_mut().zip(&pr.data) {
                if pv != 0 && !pr.is_nodata(pv) && *gi != GRADE_NODATA {
                    *gi = EXTREMELY_IMPORTANT;
                }
            }
        }
        services.push(ServiceResult {
            key: "biodiversity",
            name_zh: "生物多样性维护",
            unit: "index 0–1",
            value: grid_like(&spec, data),
            grade: grid_u8(&spec, g),
            thresholds: th,
        });
        tick()?;
    }
    free!(threats, threat_classes, land_use);
    let lr: &RegionLayers = &l;
    // integration: max of service grades and fragility grades (极脆弱 counts as 极重要)
    let mut imp = vec![GRADE_NODATA; n];
    for g in services
        .iter()
        .map(|s| &s.grade)
        .chain(fragility.iter().map(|f| &f.grade))
    {
        imp.par_iter_mut().zip(&g.data).for_each(|(a, &b)| {
            *a = (*a).max(b);
        });
    }
    if let (Some(floor), Some(pr)) = (params.protected_floor, &lr.protected) {
        imp.par_iter_mut().zip(&pr.data).for_each(|(a, &pv)| {
            if pv != 0 && !pr.is_nodata(pv) && *a != GRADE_NODATA {
                *a = (*a).max(floor);
            }
        });
    }
    if params.min_patch_ha > 0.0 {
        let min_cells = (params.min_patch_ha * 10_000.0 / cell_area).ceil() as u64;
        remove_small_patches(
            &mut imp,
            spec.width,
            spec.height,
            EXTREMELY_IMPORTANT,
            min_cells,
            IMPORTANT,
        );
    }
    let importance = grid_u8(&spec, imp);
    // area tables
    let u = lr.admin.as_ref();
    let mut area_tables = Vec::new();
    area_tables.push((
        "生态保护重要性 importance".to_string(),
        area_table_by_unit(&importance.data, cell_area, u),
    ));
    for s in &services {
        area_tables.push((
            format!("{} {}", s.name_zh, s.key),
            area_table_by_unit(&s.grade.data, cell_area, u),
        ));
    }
    for f in &fragility {
        area_tables.push((
            format!("{} {}", f.name_zh, f.process),
            area_table_by_unit(&f.class.data, cell_area, u),
        ));
    }
    if let Some(c) = &loss_class {
        area_tables.push((
            "土壤侵蚀强度 soil loss (SL 190-2007)".to_string(),
            area_table_by_unit(&c.data, cell_area, u),
        ));
    }
    tick()?;
    progress.finish();
    Ok(AssessmentOutputs {
        services,
        fragility,
        importance,
        soil_loss_potential: loss_p.take(),
        soil_loss_actual: loss_a.take(),
        soil_loss_class: loss_class.take(),
        soil_conservation_rate: rate.take(),
        area_tables,
    })
}

/// Local relief: max − min elevation in a `window`×`window` neighbourhood (nodata ignored).
fn relief(dem: &Grid<f64>, window: usize) -> Vec<f32> {
    let (w, h) = (dem.width, dem.height);
    let r = (window / 2) as isize;
    (0..w * h)
        .into_par_iter()
        .map(|i| {
            if dem.is_nodata(dem.data[i]) {
                return f32::NAN;
            }
            let (c, row) = ((i % w) as isize, (i / w) as isize);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for dr in -r..=r {
                for dc in -r..=r {
                    let (cc, rr) = (c + dc, row + dr);
                    if cc < 0 || rr < 0 || cc as usize >= w || rr as usize >= h {
                        continue;
                    }
                    let v = dem.data[rr as usize * w + cc as usize];
                    if !dem.is_nodata(v) {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
            }
            (hi - lo) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::GeoTransform;

    fn spec() -> GridSpec {
        GridSpec::new(20, 20, GeoTransform::north_up(0.0, 600.0, 30.0), None)
    }

    fn layers() -> RegionLayers {
        let s = spec();
        let dem: Vec<f64> = (0..400)
            .map(|i| {
                1000.0
                    + ((i % 20) as f64) * 3.0
                    + ((i / 20) as f64) * 2.0
                    + ((i * 7919) % 13) as f64 * 0.1
            })
            .collect();
        let lu: Vec<i32> = (0..400).map(|i| if i % 20 < 10 { 3 } else { 1 }).collect();
        RegionLayers {
            spec: Some(s.clone()),
            land_use: Some(Grid::from_vec(&s, lu, None).unwrap()),
            dem: Some(Grid::from_vec(&s, dem, None).unwrap()),
            r_factor: Some(Grid::filled(&s, 2000.0f32, None)),
            k_factor: Some(Grid::filled(&s, 0.03f32, None)),
            vegetation_cover: Some(
                Grid::from_vec(
                    &s,
                    (0..400)
                        .map(|i| if i % 20 < 10 { 0.85f32 } else { 0.2 })
                        .collect(),
                    None,
                )
                .unwrap(),
            ),
            protected: Some(
                Grid::from_vec(&s, (0..400).map(|i| u8::from(i < 20)).collect(), None).unwrap(),
            ),
            admin: Some(
                Grid::from_vec(
                    &s,
                    (0..400).map(|i| if i < 200 { 1 } else { 2 }).collect(),
                    None,
                )
                .unwrap(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn chain_grades_soil_conservation_and_integrates() {
        let l = layers();
        let mut p = AssessParams {
            min_patch_ha: 0.5,
            ..Default::default()
        };
        p.fragility.push(FragilityParams {
            process: "soil_erosion".into(),
            breaks: vec![
                FactorBreaks {
                    process: "soil_erosion".into(),
                    factor: "r".into(),
                    breaks: [25.0, 100.0, 400.0, 600.0],
                    ascending: true,
                },
                FactorBreaks {
                    process: "soil_erosion".into(),
                    factor: "vegetation_cover".into(),
                    breaks: [0.2, 0.4, 0.6, 0.8],
                    ascending: false,
                },
            ],
            relief_window: 5,
        });
        let o = run_assessment(&l, &p, &ecoplan_grid::NoProgress).unwrap();
        let s = &o.services[0];
        // 极重要 holds ≥ 50 % of the service
        let total: f64 = s
            .value
            .data
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| v as f64)
            .sum();
        let top: f64 = s
            .value
            .data
            .iter()
            .zip(&s.grade.data)
            .filter(|(_, &g)| g == 3)
            .map(|(&v, _)| v as f64)
            .sum();
        assert!(top / total >= 0.5);
        // R 2000 → 9, cover 0.2 → 7: (63)^(1/2) ≈ 7.9 → 高度 → 脆弱; cover 0.85 → 1: 3 → 轻度
        assert_eq!(o.fragility[0].class.data[15], 4);
        assert_eq!(o.fragility[0].class.data[5], 2);
        // integration takes the max, and protected cells are at least 重要
        for i in 0..400 {
            // small 极重要 patches may be demoted to 重要, never lower
            let m = s.grade.data[i].max(o.fragility[0].grade.data[i]);
            assert!(o.importance.data[i] >= m.min(2), "cell {i}");
            if i < 20 {
                assert!(o.importance.data[i] >= 2);
            }
        }
        assert!(o.soil_conservation_rate.unwrap() >= 0.0);
        let t = &o.area_tables[0].1;
        let region_cells: u64 = t.iter().filter(|r| r.unit.is_none()).map(|r| r.cells).sum();
        assert_eq!(region_cells, 400);
    }

    #[test]
    fn owned_run_land_use_threats_and_given_terrain_give_the_borrowed_results() {
        let mut l = layers();
        let s = spec();
        let threat = hq::Threat {
            name: "built".into(),
            max_dist: 0.3,
            weight: 1.0,
            decay: hq::Decay::Exponential,
            cur_path: String::new(),
            fut_path: String::new(),
            base_path: String::new(),
        };
        let sensitivity = hq::Sensitivity {
            habitat: [(1, 1.0), (3, 0.0)].into_iter().collect(),
            by_threat: [(
                "built".to_string(),
                [(1, 0.8), (3, 0.0)].into_iter().collect(),
            )]
            .into_iter()
            .collect(),
        };
        let mut p = AssessParams {
            biodiversity: Some(BiodiversityParams {
                threats: vec![threat],
                sensitivity,
                hq: Default::default(),
                protected_top: false,
            }),
            ..Default::default()
        };
        p.fragility.push(FragilityParams {
            process: "soil_erosion".into(),
            breaks: vec![FactorBreaks {
                process: "soil_erosion".into(),
                factor: "relief".into(),
                breaks: [5.0, 10.0, 20.0, 40.0],
                ascending: true,
            }],
            relief_window: 5,
        });
        // the threat as a raster of land-use class 3, and as the class list
        let presence: Vec<f32> = l
            .land_use
            .as_ref()
            .unwrap()
            .data
            .iter()
            .map(|&c| f32::from(u8::from(c == 3)))
            .collect();
        let mut with_raster = l.clone();
        with_raster
            .threats
            .insert("built".into(), Grid::from_vec(&s, presence, None).unwrap());
        l.threat_classes.insert("built".into(), vec![3]);
        // and the terrain derived beforehand
        l.terrain = Some(derive_terrain(l.dem.as_ref().unwrap(), true));
        let a = run_assessment(&with_raster, &p, &ecoplan_grid::NoProgress).unwrap();
        let b = run_assessment_owned(l, &p, &ecoplan_grid::NoProgress).unwrap();
        assert_eq!(a.services.len(), 2);
        let bio = &a.services[1].value.data;
        assert!(bio.iter().any(|v| v.is_finite() && *v > 0.0));
        for (x, y) in a.services.iter().zip(&b.services) {
            assert_eq!(x.key, y.key);
            assert_eq!(
                x.value.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                y.value.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
            assert_eq!(x.grade.data, y.grade.data);
        }
        assert_eq!(a.fragility[0].class.data, b.fragility[0].class.data);
        assert_eq!(a.importance.data, b.importance.data);
        assert_eq!(a.area_tables, b.area_tables);
    }

    #[test]
    fn all_problems_reported_at_once() {
        let l = RegionLayers {
            spec: Some(spec()),
            ..Default::default()
        };
        let p = AssessParams {
            wind: Some(WindParams { z: -1.0 }),
            min_patch_ha: -1.0,
            ..Default::default()
        };
        let e = run_assessment(&l, &p, &ecoplan_grid::NoProgress).unwrap_err();
        let AssessError::Invalid(list) = e else {
            panic!("{e}")
        };
        for needle in [
            "dem",
            "r_factor",
            "rweq_wf",
            "z must be",
            "min_patch_ha",
            "needs C",
        ] {
            assert!(
                list.iter().any(|s| s.contains(needle)),
                "missing {needle}: {list:?}"
            );
        }
    }
}
