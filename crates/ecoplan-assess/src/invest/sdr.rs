//! InVEST Sediment Delivery Ratio (natcap.invest 3.20 `sdr`).
//!
//! Pipeline (natcap.invest `sdr.execute`): mask every input to pixels where all inputs are valid
//! and inside a watershed → fill pits → percent slope → D8 or MFD flow direction and
//! accumulation → streams (D8: accumulation > TFA; MFD: pygeoprocessing's traced extraction) →
//! LS (Desmet & Govers 2-D form as InVEST codes it, see [`ls_factor`]) → RKLS = LS·R·K and
//! USLE = RKLS·C·P (both nodata on streams) → connectivity IC = log10(D_up/D_dn) with
//! D_up = W̄·S̄·√(A·cell area), D_dn = Σ 1/(W·S) along the flow path (pygeoprocessing sums the
//! weights per pixel, without step length) → SDR = SDR_max/(1 + exp((IC₀ − IC)/k)), 1 on
//! streams → export = USLE·SDR, E′ = USLE·(1 − SDR), sediment deposition/flux routing,
//! avoided erosion = RKLS − USLE, avoided export = avoided erosion·SDR + deposition.
//! Watershed totals are Σ pixel values · pixel area in ha (t/yr).
//!
//! Float32/float64 choices follow numpy's promotion in natcap.invest, so pixel values agree to
//! float precision and watershed totals to well within 0.1 %.

use super::{
    check_aligned, fmt_f64, like, missing_codes, CodeTable, OutputData, OutputGrid, OutputSink,
    OutputTable,
};
use crate::hydro::{
    self, extract_streams_d8, extract_streams_mfd, mfd_weight, mfd_weight_sum, neighbor,
    FLOW_ACCUM_NODATA, INFLOW, MFD_NODATA, SLOPE_NODATA,
};
use crate::table::Table;
use crate::AssessError;
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Nodata of most SDR rasters (natcap.invest `_TARGET_NODATA`).
pub const SDR_NODATA: f32 = -1.0;
/// Nodata of `ic.tif` (float32 minimum).
pub const IC_NODATA: f32 = f32::MIN;
/// Nodata of float32 `raster_map` outputs (usle, sed_export, avoided_*).
pub const MAP_NODATA_F32: f32 = f32::MAX;
/// Nodata of float64 `raster_map` outputs (ls, w_bar, s_bar, d_up).
pub const MAP_NODATA_F64: f64 = f64::MAX;

/// Routing used for flow direction and accumulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowDirAlgorithm {
    #[default]
    Mfd,
    D8,
}

/// C and P factors by land-use code.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsleFactors {
    pub c: HashMap<i64, f64>,
    pub p: HashMap<i64, f64>,
}

impl UsleFactors {
    /// From the biophysical table (lucode, usle_c, usle_p).
    pub fn from_table(t: &Table) -> Result<Self, AssessError> {
        let mut pr = Vec::new();
        t.require_columns(&["lucode", "usle_c", "usle_p"], &mut pr);
        AssessError::check(pr.clone())?;
        let c = t.code_map("lucode", "usle_c", &mut pr);
        let mut q = Vec::new();
        let p = t.code_map("lucode", "usle_p", &mut q);
        pr.extend(q.into_iter().filter(|s| !s.contains("`lucode`")));
        AssessError::check(pr)?;
        Ok(UsleFactors { c, p })
    }
}

/// Parameters of [`sdr`] (natcap.invest defaults in [`SdrParams::default`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SdrParams {
    /// Threshold flow accumulation (pixels) that defines streams.
    pub threshold_flow_accumulation: f64,
    /// Borselli k (default 2).
    pub k_param: f64,
    /// Maximum SDR (default 0.8).
    pub sdr_max: f64,
    /// Borselli IC₀ (default 0.5).
    pub ic_0_param: f64,
    /// Upper limit of the L factor (default 122).
    pub l_max: f64,
    pub flow_dir_algorithm: FlowDirAlgorithm,
}

impl Default for SdrParams {
    fn default() -> Self {
        SdrParams {
            threshold_flow_accumulation: 1000.0,
            k_param: 2.0,
            sdr_max: 0.8,
            ic_0_param: 0.5,
            l_max: 122.0,
            flow_dir_algorithm: FlowDirAlgorithm::Mfd,
        }
    }
}

impl SdrParams {
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.threshold_flow_accumulation > 0.0) {
            p.push(format!(
                "threshold_flow_accumulation must be > 0, found {}",
                self.threshold_flow_accumulation
            ));
        }
        if !(self.k_param > 0.0) {
            p.push(format!("k_param must be > 0, found {}", self.k_param));
        }
        if !(self.sdr_max > 0.0 && self.sdr_max <= 1.0) {
            p.push(format!(
                "sdr_max must be within (0, 1], found {}",
                self.sdr_max
            ));
        }
        if !self.ic_0_param.is_finite() {
            p.push("ic_0_param must be a finite number".into());
        }
        if !(self.l_max > 0.0) {
            p.push(format!("l_max must be > 0, found {}", self.l_max));
        }
        p
    }
}

/// Aligned inputs of [`sdr`].
#[derive(Debug, Clone, Copy)]
pub struct SdrInputs<'a> {
    /// DEM, m (float32 values carried as f64, as GDAL reads them).
    pub dem: &'a Grid<f64>,
    /// Rainfall erosivity R, MJ·mm/(ha·h·yr).
    pub erosivity: &'a Grid<f32>,
    /// Soil erodibility K, t·ha·h/(ha·MJ·mm).
    pub erodibility: &'a Grid<f32>,
    pub lulc: &'a Grid<i32>,
    /// Watershed ids; pixels with 0 or nodata are outside (masked like natcap.invest's polygons).
    pub watersheds: &'a Grid<i32>,
    /// Optional drainage (1 = drains to the stream network, e.g. roads).
    pub drainage: Option<&'a Grid<u8>>,
}

/// Watershed totals (t/yr), natcap.invest `watershed_results_sdr` fields.
#[derive(Debug, Clone, PartialEq)]
pub struct SdrWatershed {
    pub ws_id: i64,
    pub usle_tot: f64,
    pub sed_export: f64,
    pub sed_dep: f64,
    pub avoid_exp: f64,
    pub avoid_eros: f64,
}

/// Results of [`sdr`].
#[derive(Debug, Clone)]
pub struct SdrOutputs {
    pub pit_filled_dem: Grid<f32>,
    pub slope: Grid<f32>,
    pub flow_direction_d8: Option<Grid<u8>>,
    pub flow_direction_mfd: Option<Grid<i32>>,
    pub flow_accumulation: Grid<f64>,
    pub stream: Grid<u8>,
    pub ls: Grid<f64>,
    pub rkls: Grid<f32>,
    pub usle: Grid<f32>,
    pub cp: Grid<f32>,
    pub w_bar: Grid<f64>,
    pub s_bar: Grid<f64>,
    pub d_up: Grid<f64>,
    pub d_dn: Grid<f64>,
    pub ic: Grid<f32>,
    pub sdr_factor: Grid<f32>,
    pub sed_export: Grid<f32>,
    pub e_prime: Grid<f32>,
    pub sed_deposition: Grid<f32>,
    pub flux: Grid<f32>,
    pub avoided_erosion: Grid<f32>,
    pub avoided_export: Grid<f32>,
    pub watersheds: Vec<SdrWatershed>,
}

impl SdrOutputs {
    pub fn files(&self, suffix: &str) -> (Vec<OutputGrid>, Vec<OutputTable>) {
        let f32g = |p: &str, g: &Grid<f32>| OutputGrid {
            path: format!("{p}{suffix}.tif"),
            grid: OutputData::F32(g.clone()),
        };
        let f64g = |p: &str, g: &Grid<f64>| OutputGrid {
            path: format!("{p}{suffix}.tif"),
            grid: OutputData::F64(g.clone()),
        };
        let mut v = vec![
            f32g("avoided_erosion", &self.avoided_erosion),
            f32g("avoided_export", &self.avoided_export),
            f32g("rkls", &self.rkls),
            f32g("sed_deposition", &self.sed_deposition),
            f32g("sed_export", &self.sed_export),
            OutputGrid {
                path: format!("stream{suffix}.tif"),
                grid: OutputData::U8(self.stream.clone()),
            },
            f32g("usle", &self.usle),
            f32g("intermediate_outputs/cp", &self.cp),
            f64g("intermediate_outputs/d_dn", &self.d_dn),
            f64g("intermediate_outputs/d_up", &self.d_up),
            f32g("intermediate_outputs/e_prime", &self.e_prime),
            f32g("intermediate_outputs/f", &self.flux),
            f64g(
                "intermediate_outputs/flow_accumulation",
                &self.flow_accumulation,
            ),
            f32g("intermediate_outputs/ic", &self.ic),
            f64g("intermediate_outputs/ls", &self.ls),
            f32g("intermediate_outputs/pit_filled_dem", &self.pit_filled_dem),
            f64g("intermediate_outputs/s_bar", &self.s_bar),
            f32g("intermediate_outputs/sdr_factor", &self.sdr_factor),
            f32g("intermediate_outputs/slope", &self.slope),
            f64g("intermediate_outputs/w_bar", &self.w_bar),
        ];
        if let Some(d) = &self.flow_direction_d8 {
            v.push(OutputGrid {
                path: format!("intermediate_outputs/flow_direction{suffix}.tif"),
                grid: OutputData::U8(d.clone()),
            });
        }
        if let Some(d) = &self.flow_direction_mfd {
            v.push(OutputGrid {
                path: format!("intermediate_outputs/flow_direction{suffix}.tif"),
                grid: OutputData::I32(d.clone()),
            });
        }
        (v, vec![watershed_table(&self.watersheds, suffix)])
    }
}

/// `watershed_results_sdr.csv`: the watershed totals (t/yr).
pub fn watershed_table(watersheds: &[SdrWatershed], suffix: &str) -> OutputTable {
    let mut csv = String::from("ws_id,usle_tot,sed_export,sed_dep,avoid_exp,avoid_eros\n");
    for w in watersheds {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            w.ws_id,
            fmt_f64(w.usle_tot),
            fmt_f64(w.sed_export),
            fmt_f64(w.sed_dep),
            fmt_f64(w.avoid_exp),
            fmt_f64(w.avoid_eros)
        ));
    }
    OutputTable {
        path: format!("watershed_results_sdr{suffix}.csv"),
        csv,
    }
}

/// InVEST's LS factor for one pixel (natcap.invest `_calculate_ls_factor`), reproducing its
/// float32/float64 mix: slope terms in float32, areas in float64.
pub fn ls_factor(percent_slope: f32, flow_accumulation: f64, cell_size: f64, l_max: f64) -> f64 {
    let cell_area = cell_size * cell_size;
    let contributing_area = ((flow_accumulation - 1.0) * cell_area).sqrt();
    let rad = (percent_slope / 100.0f32).atan();
    let (s, c) = (rad.sin(), rad.cos());
    let aspect_length = s.abs() + c.abs();
    let slope_factor = if percent_slope < 9.0 {
        10.8f32 * s + 0.03f32
    } else {
        16.8f32 * s - 0.5f32
    };
    let m: f32 = if percent_slope > 9.0 {
        let beta = (s / 0.0896f32) / (3.0f32 * s.powf(0.8f32) + 0.56f32);
        beta / (1.0 + beta)
    } else if percent_slope <= 1.0 {
        0.2
    } else if percent_slope <= 3.5 {
        0.3
    } else if percent_slope <= 5.0 {
        0.4
    } else {
        0.5
    };
    let m1 = (m + 1.0f32) as f64;
    let num = (contributing_area + cell_area).powf(m1) - contributing_area.powf(m1);
    let den = (cell_size as f32).powf(m + 2.0f32) * aspect_length.powf(m) * 22.13f32.powf(m);
    let mut l = num / den as f64;
    if l > l_max {
        l = l_max;
    }
    l * slope_factor as f64
}

/// Runs SDR and returns every output grid.
pub fn sdr(
    inp: &SdrInputs,
    usle: &UsleFactors,
    params: &SdrParams,
    progress: &dyn Progress,
) -> Result<SdrOutputs, AssessError> {
    let mut grids: HashMap<String, OutputData> = HashMap::new();
    let watersheds = sdr_to_sink(inp, usle, params, progress, &mut |name, g| {
        grids.insert(name.to_string(), g);
        Ok(())
    })?;
    let mut take = |name: &str| grids.remove(name);
    let f32g = |g: Option<OutputData>| match g {
        Some(OutputData::F32(g)) => g,
        _ => unreachable!("sdr_to_sink emits every float32 output once"),
    };
    let f64g = |g: Option<OutputData>| match g {
        Some(OutputData::F64(g)) => g,
        _ => unreachable!("sdr_to_sink emits every float64 output once"),
    };
    let (d8, mfd) = match take("intermediate_outputs/flow_direction") {
        Some(OutputData::U8(g)) => (Some(g), None),
        Some(OutputData::I32(g)) => (None, Some(g)),
        _ => unreachable!("sdr_to_sink emits the flow direction"),
    };
    let stream = match take("stream") {
        Some(OutputData::U8(g)) => g,
        _ => unreachable!("sdr_to_sink emits the streams"),
    };
    Ok(SdrOutputs {
        pit_filled_dem: f32g(take("intermediate_outputs/pit_filled_dem")),
        slope: f32g(take("intermediate_outputs/slope")),
        flow_direction_d8: d8,
        flow_direction_mfd: mfd,
        flow_accumulation: f64g(take("intermediate_outputs/flow_accumulation")),
        stream,
        ls: f64g(take("intermediate_outputs/ls")),
        rkls: f32g(take("rkls")),
        usle: f32g(take("usle")),
        cp: f32g(take("intermediate_outputs/cp")),
        w_bar: f64g(take("intermediate_outputs/w_bar")),
        s_bar: f64g(take("intermediate_outputs/s_bar")),
        d_up: f64g(take("intermediate_outputs/d_up")),
        d_dn: f64g(take("intermediate_outputs/d_dn")),
        ic: f32g(take("intermediate_outputs/ic")),
        sdr_factor: f32g(take("intermediate_outputs/sdr_factor")),
        sed_export: f32g(take("sed_export")),
        e_prime: f32g(take("intermediate_outputs/e_prime")),
        sed_deposition: f32g(take("sed_deposition")),
        flux: f32g(take("intermediate_outputs/f")),
        avoided_erosion: f32g(take("avoided_erosion")),
        avoided_export: f32g(take("avoided_export")),
        watersheds,
    })
}

/// Per-watershed sums (f64, in cell order) of the cells of `v` that are not `nodata`.
fn zone_sums(ws: &Grid<i32>, v: &[f32], nodata: f32, into: &mut BTreeMap<i64, [f64; 5]>, k: usize) {
    for (i, &z) in ws.data.iter().enumerate() {
        if ws.is_nodata(z) || z == 0 {
            continue;
        }
        let e = into.entry(z as i64).or_insert([0.0; 5]);
        if v[i] != nodata {
            e[k] += v[i] as f64;
        }
    }
}

/// Runs SDR, handing each output grid to `sink` as soon as it is final and freeing it (peak
/// memory is a few grids, not all 22); returns the watershed totals.
pub fn sdr_to_sink(
    inp: &SdrInputs,
    usle: &UsleFactors,
    params: &SdrParams,
    progress: &dyn Progress,
    sink: &mut OutputSink,
) -> Result<Vec<SdrWatershed>, AssessError> {
    let mut problems = params.validate();
    if let Some(m) = missing_codes(inp.lulc, &usle.c, "lulc_path", "biophysical") {
        problems.push(m);
    }
    AssessError::check(problems)?;
    let mut specs = vec![
        ("dem_path", inp.dem.spec()),
        ("erosivity_path", inp.erosivity.spec()),
        ("erodibility_path", inp.erodibility.spec()),
        ("lulc_path", inp.lulc.spec()),
        ("watersheds_path", inp.watersheds.spec()),
    ];
    if let Some(d) = inp.drainage {
        specs.push(("drainage_path", d.spec()));
    }
    check_aligned(&specs)?;
    let n = inp.dem.width * inp.dem.height;
    progress.begin("泥沙输移比 SDR", 10);
    let step = |k: u64| -> Result<(), AssessError> {
        if progress.cancelled() {
            return Err(AssessError::Cancelled);
        }
        progress.advance(k);
        Ok(())
    };
    let mut emit = |name: &str, g: OutputData| -> Result<(), AssessError> {
        sink(name, g).map_err(|e| AssessError::Data(format!("{name}: {e}")))
    };
    let g32 = |v: Vec<f32>, nd: f32| like(inp.dem, v, Some(nd));
    let g64 = |v: Vec<f64>, nd: f64| like(inp.dem, v, Some(nd));
    // 1. mutual mask
    let mask: Vec<bool> = (0..n)
        .into_par_iter()
        .map(|i| {
            let ws = inp.watersheds.data[i];
            !inp.dem.is_nodata(inp.dem.data[i])
                && !inp.erosivity.is_nodata(inp.erosivity.data[i])
                && !inp.erodibility.is_nodata(inp.erodibility.data[i])
                && !inp.lulc.is_nodata(inp.lulc.data[i])
                && !inp.watersheds.is_nodata(ws)
                && ws != 0
                && inp.drainage.is_none_or(|d| !d.is_nodata(d.data[i]))
        })
        .collect();
    let dem_masked: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            if mask[i] {
                inp.dem.data[i] as f32 as f64
            } else {
                f64::NAN
            }
        })
        .collect();
    // 2–3. fill and slope
    let filled = {
        let dem_g = like(inp.dem, dem_masked, None);
        hydro::fill_pits(&dem_g, &ecoplan_grid::NoProgress)
    };
    let filled32: Vec<f32> = filled
        .data
        .par_iter()
        .map(|&v| if v.is_nan() { MAP_NODATA_F32 } else { v as f32 })
        .collect();
    step(1)?;
    let slope = hydro::slope_percent(&filled, &ecoplan_grid::NoProgress);
    let slope_thr: Vec<f32> = slope
        .data
        .par_iter()
        .map(|&s| {
            if s == SLOPE_NODATA {
                MAP_NODATA_F32
            } else {
                (s / 100.0f32).clamp(0.005, 1.0)
            }
        })
        .collect();
    let slope_thr = like(&slope, slope_thr, Some(MAP_NODATA_F32));
    step(2)?;
    // 4–6. routing
    // one topological order serves every accumulation, distance and deposition pass
    let routing = || match params.flow_dir_algorithm {
        FlowDirAlgorithm::D8 => {
            let d = hydro::flow_dir_d8(&filled, &ecoplan_grid::NoProgress);
            let order = hydro::topological_order_d8(&d);
            let a =
                hydro::flow_accumulation_d8_ordered(&d, &order, None, &ecoplan_grid::NoProgress);
            let s = extract_streams_d8(&a, params.threshold_flow_accumulation);
            (Some(d), None, order, a, s)
        }
        FlowDirAlgorithm::Mfd => {
            let d = hydro::flow_dir_mfd(&filled, &ecoplan_grid::NoProgress);
            let order = hydro::topological_order_mfd(&d);
            let a =
                hydro::flow_accumulation_mfd_ordered(&d, &order, None, &ecoplan_grid::NoProgress);
            let s = extract_streams_mfd(&a, &d, params.threshold_flow_accumulation, 0.7);
            (None, Some(d), order, a, s)
        }
    };
    // routing is mostly serial: it runs on its own thread while the filled DEM is written
    let (d8, mfd, order, acc, stream) = std::thread::scope(|sc| {
        let h = sc.spawn(routing);
        let written = emit(
            "intermediate_outputs/pit_filled_dem",
            OutputData::F32(g32(filled32, MAP_NODATA_F32)),
        );
        let r = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        written.map(|()| r)
    })?;
    drop(filled);
    step(3)?;
    let acc_valid = |i: usize| acc.data[i] != FLOW_ACCUM_NODATA;
    // drainage
    let drain: Grid<u8> = match inp.drainage {
        Some(dr) => {
            let data = (0..n)
                .into_par_iter()
                .map(|i| {
                    let s = stream.data[i];
                    let dv = dr.data[i];
                    if s == hydro::STREAM_NODATA || !mask[i] {
                        255
                    } else if dv == 1 {
                        1
                    } else {
                        s
                    }
                })
                .collect();
            like(&stream, data, Some(255))
        }
        None => stream,
    };
    // 7. LS
    let cell_size = inp.dem.transform.dx.abs();
    let cell_area = cell_size * cell_size;
    let ls: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let s = slope.data[i];
            if s == SLOPE_NODATA || !acc_valid(i) {
                MAP_NODATA_F64
            } else {
                ls_factor(s, acc.data[i], cell_size, params.l_max)
            }
        })
        .collect();
    emit("intermediate_outputs/slope", OutputData::F32(slope))?;
    step(4)?;
    // 8–11. W, CP, RKLS, USLE
    let lulc = inp.lulc;
    let c_table = CodeTable::new(&usle.c);
    let cp_map: HashMap<i64, f64> = usle
        .c
        .iter()
        .filter_map(|(k, c)| Some((*k, c * usle.p.get(k)?)))
        .collect();
    let cp_table = CodeTable::new(&cp_map);
    let w_thr: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            match mask[i].then(|| c_table.get(lulc.data[i])).flatten() {
                None => MAP_NODATA_F32,
                Some(v) => {
                    // W as float32 (SDR_NODATA when unknown), then thresholded at 0.001
                    let v = v as f32;
                    if v == SDR_NODATA {
                        MAP_NODATA_F32
                    } else if v < 0.001 {
                        0.001
                    } else {
                        v
                    }
                }
            }
        })
        .collect();
    let w_thr = like(inp.dem, w_thr, Some(MAP_NODATA_F32));
    let cp: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            mask[i]
                .then(|| cp_table.get(lulc.data[i]))
                .flatten()
                .map_or(SDR_NODATA, |v| v as f32)
        })
        .collect();
    let rkls: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let l = ls[i];
            let s = drain.data[i];
            if l == MAP_NODATA_F64 || s == 255 || !mask[i] || s != 0 {
                return SDR_NODATA;
            }
            (l * inp.erosivity.data[i] as f64 * inp.erodibility.data[i] as f64) as f32
        })
        .collect();
    emit(
        "intermediate_outputs/ls",
        OutputData::F64(g64(ls, MAP_NODATA_F64)),
    )?;
    let usle_v: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            if rkls[i] == SDR_NODATA || cp[i] == SDR_NODATA {
                MAP_NODATA_F32
            } else {
                rkls[i] * cp[i]
            }
        })
        .collect();
    emit(
        "intermediate_outputs/cp",
        OutputData::F32(g32(cp, SDR_NODATA)),
    )?;
    step(5)?;
    // 12–13. W̄, S̄, D_up
    let accumulate = |weights: &Grid<f32>| match (&d8, &mfd) {
        (Some(d), _) => {
            hydro::flow_accumulation_d8_ordered(d, &order, Some(weights), &ecoplan_grid::NoProgress)
        }
        (_, Some(d)) => hydro::flow_accumulation_mfd_ordered(
            d,
            &order,
            Some(weights),
            &ecoplan_grid::NoProgress,
        ),
        _ => unreachable!("one routing is always computed"),
    };
    let bar = |a: Grid<f64>| -> Vec<f64> {
        (0..n)
            .into_par_iter()
            .map(|i| {
                if a.data[i] == FLOW_ACCUM_NODATA || !acc_valid(i) {
                    MAP_NODATA_F64
                } else {
                    a.data[i] / acc.data[i]
                }
            })
            .collect()
    };
    // D_dn's weights, then the three serial routing passes (W and S accumulations, D_dn) run
    // side by side
    let ws_inv: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (a, b) = (w_thr.data[i], slope_thr.data[i]);
            if a == MAP_NODATA_F32 || b == MAP_NODATA_F32 {
                MAP_NODATA_F32
            } else {
                1.0 / (a * b)
            }
        })
        .collect();
    let ws_inv = like(inp.dem, ws_inv, Some(MAP_NODATA_F32));
    let distance = || match (&d8, &mfd) {
        (Some(d), _) => hydro::distance_to_channel_d8_ordered(d, &order, &drain, Some(&ws_inv)),
        (_, Some(d)) => hydro::distance_to_channel_mfd_ordered(d, &order, &drain, Some(&ws_inv)),
        _ => unreachable!("one routing is always computed"),
    };
    let ((w_acc, s_acc), d_dn) = rayon::join(
        || rayon::join(|| accumulate(&w_thr), || accumulate(&slope_thr)),
        distance,
    );
    drop(ws_inv);
    drop(w_thr);
    drop(slope_thr);
    let w_bar = bar(w_acc);
    let s_bar = bar(s_acc);
    let d_up: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            if w_bar[i] == MAP_NODATA_F64 || s_bar[i] == MAP_NODATA_F64 || !acc_valid(i) {
                MAP_NODATA_F64
            } else {
                w_bar[i] * s_bar[i] * (acc.data[i] * cell_area).sqrt()
            }
        })
        .collect();
    emit(
        "intermediate_outputs/w_bar",
        OutputData::F64(g64(w_bar, MAP_NODATA_F64)),
    )?;
    emit(
        "intermediate_outputs/s_bar",
        OutputData::F64(g64(s_bar, MAP_NODATA_F64)),
    )?;
    emit(
        "intermediate_outputs/flow_accumulation",
        OutputData::F64(acc),
    )?;
    step(6)?;
    step(7)?;
    // 16–17. IC and SDR
    let ic: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (u, d) = (d_up[i], d_dn.data[i]);
            if d == -1.0 || d == 0.0 || u == 0.0 {
                IC_NODATA
            } else {
                (u / d).log10() as f32
            }
        })
        .collect();
    // written while deposition runs
    let mut pending: Vec<(&str, OutputData)> = vec![
        (
            "intermediate_outputs/d_up",
            OutputData::F64(g64(d_up, MAP_NODATA_F64)),
        ),
        ("intermediate_outputs/d_dn", OutputData::F64(d_dn)),
    ];
    let (ic0, k, smax) = (
        params.ic_0_param as f32,
        params.k_param as f32,
        params.sdr_max as f32,
    );
    let sdr_f: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let s = drain.data[i];
            if s == 1 {
                1.0
            } else if ic[i] == IC_NODATA {
                SDR_NODATA
            } else {
                smax / (1.0 + ((ic0 - ic[i]) / k).exp())
            }
        })
        .collect();
    pending.push((
        "intermediate_outputs/ic",
        OutputData::F32(g32(ic, IC_NODATA)),
    ));
    // 18–19. export and E'
    let mut sums: BTreeMap<i64, [f64; 5]> = BTreeMap::new();
    let ws = inp.watersheds;
    zone_sums(ws, &usle_v, MAP_NODATA_F32, &mut sums, 0);
    let sed_export: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            if usle_v[i] == MAP_NODATA_F32 || sdr_f[i] == SDR_NODATA {
                MAP_NODATA_F32
            } else {
                usle_v[i] * sdr_f[i]
            }
        })
        .collect();
    zone_sums(ws, &sed_export, MAP_NODATA_F32, &mut sums, 1);
    pending.push((
        "sed_export",
        OutputData::F32(g32(sed_export, MAP_NODATA_F32)),
    ));
    let e_prime: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            if drain.data[i] == 1 {
                0.0
            } else if usle_v[i] == SDR_NODATA || sdr_f[i] == SDR_NODATA {
                SDR_NODATA
            } else {
                // natcap.invest tests usle against -1, not its raster_map nodata (f32::MAX)
                usle_v[i] * (1.0 - sdr_f[i])
            }
        })
        .collect();
    step(8)?;
    // 20. deposition (serial) on its own thread while the finished grids are written
    let (dep, flux) = std::thread::scope(|sc| {
        let h = sc.spawn(|| match (&d8, &mfd) {
            (Some(d), _) => deposition(Routing::D8(d), &order, &sdr_f, &e_prime),
            (_, Some(d)) => deposition(Routing::Mfd(d), &order, &sdr_f, &e_prime),
            _ => unreachable!("one routing is always computed"),
        });
        let written = pending.into_iter().try_for_each(|(name, g)| emit(name, g));
        let r = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        written.map(|()| r)
    })?;
    drop(order);
    emit(
        "intermediate_outputs/e_prime",
        OutputData::F32(g32(e_prime, SDR_NODATA)),
    )?;
    emit(
        "intermediate_outputs/f",
        OutputData::F32(g32(flux, SDR_NODATA)),
    )?;
    match (d8, mfd) {
        (Some(d), _) => emit("intermediate_outputs/flow_direction", OutputData::U8(d))?,
        (_, Some(d)) => emit("intermediate_outputs/flow_direction", OutputData::I32(d))?,
        _ => unreachable!("one routing is always computed"),
    }
    step(9)?;
    // 21–22. avoided erosion and export
    let avoided_erosion: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            if rkls[i] == SDR_NODATA || usle_v[i] == MAP_NODATA_F32 {
                MAP_NODATA_F32
            } else {
                rkls[i] - usle_v[i]
            }
        })
        .collect();
    emit("rkls", OutputData::F32(g32(rkls, SDR_NODATA)))?;
    emit("usle", OutputData::F32(g32(usle_v, MAP_NODATA_F32)))?;
    let avoided_export: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (a, s, d) = (avoided_erosion[i], sdr_f[i], dep[i]);
            if a == MAP_NODATA_F32 || s == SDR_NODATA || d == SDR_NODATA {
                MAP_NODATA_F32
            } else {
                a * s + d
            }
        })
        .collect();
    emit(
        "intermediate_outputs/sdr_factor",
        OutputData::F32(g32(sdr_f, SDR_NODATA)),
    )?;
    // 23. watershed totals
    zone_sums(ws, &dep, SDR_NODATA, &mut sums, 2);
    zone_sums(ws, &avoided_export, MAP_NODATA_F32, &mut sums, 3);
    zone_sums(ws, &avoided_erosion, MAP_NODATA_F32, &mut sums, 4);
    emit("sed_deposition", OutputData::F32(g32(dep, SDR_NODATA)))?;
    emit(
        "avoided_export",
        OutputData::F32(g32(avoided_export, MAP_NODATA_F32)),
    )?;
    emit(
        "avoided_erosion",
        OutputData::F32(g32(avoided_erosion, MAP_NODATA_F32)),
    )?;
    emit("stream", OutputData::U8(drain))?;
    let ha_per_px = cell_area / 10_000.0;
    let watersheds = sums
        .into_iter()
        .map(|(id, s)| SdrWatershed {
            ws_id: id,
            usle_tot: s[0] * ha_per_px,
            sed_export: s[1] * ha_per_px,
            sed_dep: s[2] * ha_per_px,
            avoid_exp: s[3] * ha_per_px,
            avoid_eros: s[4] * ha_per_px,
        })
        .collect();
    progress.finish();
    Ok(watersheds)
}

enum Routing<'a> {
    D8(&'a Grid<u8>),
    Mfd(&'a Grid<i32>),
}

/// Sediment deposition and flux (natcap.invest `sediment_deposition.h`), in topological order.
fn deposition(r: Routing, order: &[u32], sdr: &[f32], e_prime: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (w, h) = match &r {
        Routing::D8(d) => (d.width, d.height),
        Routing::Mfd(d) => (d.width, d.height),
    };
    let n = w * h;
    let mut dep = vec![SDR_NODATA; n];
    let mut flux = vec![SDR_NODATA; n];
    for &x in order {
        let x = x as usize;
        let sdr_i = sdr[x] as f64;
        let e_i = e_prime[x] as f64;
        if sdr[x] == SDR_NODATA || e_prime[x] == SDR_NODATA {
            continue;
        }
        // flux from upslope neighbours
        let mut f_up = 0.0f64;
        let mut down_sum = 0.0f64;
        let mut dir_sum: i64 = 0;
        match &r {
            Routing::D8(d) => {
                for k in 0..8 {
                    let Some(j) = neighbor(w, h, x, k) else {
                        continue;
                    };
                    if d.data[j] as usize == INFLOW[k] {
                        let fj = flux[j];
                        if fj != SDR_NODATA {
                            f_up += fj as f64;
                        }
                    }
                }
                let dv = d.data[x];
                if (dv as usize) < 8 {
                    if let Some(j) = neighbor(w, h, x, dv as usize) {
                        dir_sum += 1;
                        let mut sj = sdr[j];
                        if sj != SDR_NODATA {
                            if sj == 0.0 {
                                sj = 1.0;
                            }
                            down_sum += sj as f64;
                        }
                    }
                }
            }
            Routing::Mfd(d) => {
                for k in 0..8 {
                    let Some(j) = neighbor(w, h, x, k) else {
                        continue;
                    };
                    let vj = d.data[j];
                    let wji = mfd_weight(vj, INFLOW[k]);
                    if wji > 0 {
                        let fj = flux[j];
                        if fj != SDR_NODATA {
                            let prop = wji as f32 / mfd_weight_sum(vj) as f32;
                            f_up += prop as f64 * fj as f64;
                        }
                    }
                }
                let v = d.data[x];
                if v != MFD_NODATA {
                    for k in 0..8 {
                        let wk = mfd_weight(v, k);
                        if wk == 0 {
                            continue;
                        }
                        let Some(j) = neighbor(w, h, x, k) else {
                            continue;
                        };
                        dir_sum += wk as i64;
                        let mut sj = sdr[j];
                        if sj == SDR_NODATA {
                            continue;
                        }
                        if sj == 0.0 {
                            sj = 1.0;
                        }
                        down_sum += sj as f64 * wk as f64;
                    }
                }
            }
        }
        if dir_sum != 0 {
            down_sum /= dir_sum as f64;
        }
        if down_sum < sdr_i {
            down_sum = sdr_i;
        }
        let dr = if sdr_i == 1.0 {
            1.0
        } else {
            (down_sum - sdr_i) / (1.0 - sdr_i)
        };
        let t = (dr * f_up).max(0.0);
        let f = ((1.0 - dr) * f_up + e_i).max(0.0);
        dep[x] = t as f32;
        flux[x] = f as f32;
    }
    (dep, flux)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_ls_worked_values() {
        // METHODS §1.4: D = 30, s = 10 %, FA = 11 → LS = 1.4810; s = 5 %, FA = 1 → 0.6309
        let ls = ls_factor(10.0, 11.0, 30.0, 122.0);
        assert!((ls - 1.4810).abs() < 5e-4, "{ls}");
        let ls = ls_factor(5.0, 1.0, 30.0, 122.0);
        assert!((ls - 0.6309).abs() < 5e-4, "{ls}");
        // l_max clamps the L factor
        let capped = ls_factor(10.0, 1e13, 30.0, 122.0);
        let s = 16.8 * (0.1f64.atan()).sin() - 0.5;
        assert!(
            (capped - 122.0 * s).abs() < 1e-3,
            "{capped} vs {}",
            122.0 * s
        );
    }

    #[test]
    fn sdr_worked_values() {
        // METHODS §2.4: IC = IC0 → SDR = 0.4; IC = 2.5 → 0.5848
        let f = |ic: f32| 0.8f32 / (1.0 + ((0.5f32 - ic) / 2.0f32).exp());
        assert!((f(0.5) - 0.4).abs() < 1e-6);
        assert!((f(2.5) - 0.5848).abs() < 5e-5);
    }
}
