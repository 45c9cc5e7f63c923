//! InVEST Annual Water Yield (natcap.invest 3.20 `annual_water_yield`), Budyko/Fu form.
//!
//! Per pixel (natcap.invest `fractp_op`, float32 arithmetic):
//! * vegetated classes (lulc_veg = 1): PET = Kc·ET₀, AWC = min(root_depth, soil depth)·PAWC,
//!   ω = min(Z·AWC/P + 1.25, 5), AET/P = 1 + PET/P − (1 + (PET/P)^ω)^(1/ω), then
//!   fractp = min(AET/P, PET/P);
//! * other classes: fractp = min(Kc·ET₀, P)/P;
//! * invalid where P = 0 or any input is nodata.
//!
//! wyield = (1 − fractp)·P and aet = fractp·P (mm). Per watershed: means over valid pixels of
//! precip, PET, AET and wyield, and wyield_vol = wyield_mn · area / 1000 (m³). Watersheds are
//! given as an id raster (0 or nodata = outside); the area is the zone's pixel count × pixel
//! area (natcap.invest uses the polygon area — identical when polygons follow pixel edges).
//! The optional demand/valuation tables (water scarcity, hydropower) are not implemented.

use super::{
    check_aligned, fmt_f64, like, missing_codes, CodeTable, OutputData, OutputGrid, OutputTable,
};
use crate::table::Table;
use crate::AssessError;
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Nodata of water-yield rasters (natcap.invest `out_nodata`).
pub const AWY_NODATA: f32 = -1.0;

/// Biophysical table row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AwyClass {
    /// 1 = vegetated (Budyko curve), 0 = AET = min(Kc·ET₀, P).
    pub lulc_veg: f64,
    /// Maximum root depth, mm (vegetated classes).
    pub root_depth: f64,
    /// Crop coefficient Kc.
    pub kc: f64,
}

/// Parses the biophysical table (lucode, lulc_veg, root_depth, kc).
pub fn biophysical_from_table(t: &Table) -> Result<HashMap<i64, AwyClass>, AssessError> {
    let mut p = Vec::new();
    t.require_columns(&["lucode", "lulc_veg", "root_depth", "kc"], &mut p);
    AssessError::check(p.clone())?;
    let codes = t.codes("lucode", &mut p);
    let veg = t.numbers("lulc_veg", false, &mut p);
    let root = t.numbers("root_depth", true, &mut p);
    let kc = t.numbers("kc", false, &mut p);
    let mut m = HashMap::new();
    for r in 0..codes.len() {
        if let (Some(c), Some(v), Some(k)) = (codes[r], veg[r], kc[r]) {
            if v != 0.0 && v != 1.0 {
                p.push(format!(
                    "{}: row {} lulc_veg must be 0 or 1, found {v}",
                    t.name,
                    r + 2
                ));
            }
            if v == 1.0 && root[r].is_none() {
                p.push(format!(
                    "{}: row {} is vegetated (lulc_veg = 1) but root_depth is blank",
                    t.name,
                    r + 2
                ));
            }
            m.insert(
                c,
                AwyClass {
                    lulc_veg: v,
                    root_depth: root[r].unwrap_or(1.0),
                    kc: k,
                },
            );
        }
    }
    AssessError::check(p)?;
    Ok(m)
}

/// Parameters of [`annual_water_yield`].
#[derive(Debug, Clone, PartialEq)]
pub struct WaterYieldParams {
    /// Seasonality constant Z (natcap.invest accepts 1–30; typical 1–30, calibrate).
    pub seasonality_constant: f64,
}

impl WaterYieldParams {
    pub fn validate(&self) -> Vec<String> {
        let z = self.seasonality_constant;
        if !(z.is_finite() && z > 0.0) {
            vec![format!(
                "seasonality_constant must be a positive number, found {z}"
            )]
        } else {
            Vec::new()
        }
    }
}

/// Aligned inputs of [`annual_water_yield`].
#[derive(Debug, Clone, Copy)]
pub struct WaterYieldInputs<'a> {
    pub lulc: &'a Grid<i32>,
    /// Depth to root-restricting layer, mm.
    pub depth_to_root_rest_layer: &'a Grid<f32>,
    /// Annual precipitation, mm.
    pub precipitation: &'a Grid<f32>,
    /// Plant-available water content, fraction 0–1.
    pub pawc: &'a Grid<f32>,
    /// Reference evapotranspiration ET₀, mm.
    pub eto: &'a Grid<f32>,
    /// Watershed ids (0/nodata = none).
    pub watersheds: Option<&'a Grid<i32>>,
    pub sub_watersheds: Option<&'a Grid<i32>>,
}

/// One row of the watershed results table.
#[derive(Debug, Clone, PartialEq)]
pub struct WatershedYield {
    pub id: i64,
    pub precip_mn: Option<f64>,
    pub pet_mn: Option<f64>,
    pub aet_mn: Option<f64>,
    pub wyield_mn: Option<f64>,
    /// m³.
    pub wyield_vol: Option<f64>,
    /// Zone area, m².
    pub area_m2: f64,
}

/// Results of [`annual_water_yield`].
#[derive(Debug, Clone)]
pub struct WaterYieldOutputs {
    pub fractp: Grid<f32>,
    pub aet: Grid<f32>,
    pub wyield: Grid<f32>,
    pub pet: Grid<f32>,
    pub watersheds: Option<Vec<WatershedYield>>,
    pub sub_watersheds: Option<Vec<WatershedYield>>,
}

impl WaterYieldOutputs {
    /// Output grids and tables under natcap.invest's names; copies every grid — prefer
    /// [`WaterYieldOutputs::into_files`].
    pub fn files(&self, suffix: &str) -> (Vec<OutputGrid>, Vec<OutputTable>) {
        self.clone().into_files(suffix)
    }

    /// [`WaterYieldOutputs::files`] without copying: the grids move into the list.
    pub fn into_files(self, suffix: &str) -> (Vec<OutputGrid>, Vec<OutputTable>) {
        let g = vec![
            OutputGrid {
                path: format!("output/per_pixel/fractp{suffix}.tif"),
                grid: OutputData::F32(self.fractp),
            },
            OutputGrid {
                path: format!("output/per_pixel/aet{suffix}.tif"),
                grid: OutputData::F32(self.aet),
            },
            OutputGrid {
                path: format!("output/per_pixel/wyield{suffix}.tif"),
                grid: OutputData::F32(self.wyield),
            },
            OutputGrid {
                path: format!("intermediate/pet{suffix}.tif"),
                grid: OutputData::F32(self.pet),
            },
        ];
        let t = watershed_tables(
            self.watersheds.as_deref(),
            self.sub_watersheds.as_deref(),
            suffix,
        );
        (g, t)
    }
}

/// Per-pixel output files in the order of [`WaterYieldOutputs::into_files`] (suffix appended
/// before `.tif`): fractp, aet, wyield, pet.
pub fn pixel_output_paths(suffix: &str) -> [String; 4] {
    [
        format!("output/per_pixel/fractp{suffix}.tif"),
        format!("output/per_pixel/aet{suffix}.tif"),
        format!("output/per_pixel/wyield{suffix}.tif"),
        format!("intermediate/pet{suffix}.tif"),
    ]
}

/// The watershed and sub-watershed result tables (natcap.invest's names and columns).
pub fn watershed_tables(
    watersheds: Option<&[WatershedYield]>,
    sub_watersheds: Option<&[WatershedYield]>,
    suffix: &str,
) -> Vec<OutputTable> {
    {
        let mut t = Vec::new();
        for (rows, id, name) in [
            (watersheds, "ws_id", "watershed_results_wyield"),
            (sub_watersheds, "subws_id", "subwatershed_results_wyield"),
        ] {
            let Some(rows) = rows else { continue };
            let mut csv = format!("{id},precip_mn,PET_mn,AET_mn,wyield_mn,wyield_vol\n");
            let f = |v: Option<f64>| v.map(fmt_f64).unwrap_or_default();
            for r in rows {
                csv.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    r.id,
                    f(r.precip_mn),
                    f(r.pet_mn),
                    f(r.aet_mn),
                    f(r.wyield_mn),
                    f(r.wyield_vol)
                ));
            }
            t.push(OutputTable {
                path: format!("output/{name}{suffix}.csv"),
                csv,
            });
        }
        t
    }
}

/// fractp for one pixel (natcap.invest `fractp_op`, float32), `None` when invalid.
pub fn fractp_value(
    kc: f32,
    eto: f32,
    precip: f32,
    root: f32,
    soil: f32,
    pawc: f32,
    veg: f32,
    z: f32,
) -> Option<f32> {
    if precip == 0.0 {
        return None;
    }
    let pet = kc * eto;
    let phi = pet / precip;
    if veg == 1.0 {
        let awc = (if root < soil { root } else { soil }) * pawc;
        let mut w = ((awc / precip) * z) + 1.25;
        if w > 5.0 {
            w = 5.0;
        }
        let ratio = pet / precip;
        let aet_p = (1.0 + ratio) - (1.0 + ratio.powf(w)).powf(1.0 / w);
        Some(if phi < aet_p { phi } else { aet_p })
    } else {
        let aet = if precip < pet { precip } else { pet };
        Some(aet / precip)
    }
}

/// Per-zone sums of the watershed table, accumulated band by band in cell order (so the
/// means equal those of one pass over the whole grid).
#[derive(Debug, Clone, Default)]
pub struct ZoneTotals {
    /// Zone id → slot in `sums`.
    index: BTreeMap<i64, usize>,
    /// Per zone: cell count, and (sum, count) of precip, PET, AET, wyield.
    sums: Vec<(u64, [(f64, u64); 4])>,
}

impl ZoneTotals {
    /// Adds the cells of `ids` (0 or nodata = outside every zone) and the same cells of the
    /// four layers (precip, PET, AET, wyield; their nodata or `layer_nodata` skipped).
    pub fn add(
        &mut self,
        ids: &Grid<i32>,
        layers: [&Grid<f32>; 4],
        layer_nodata: [Option<f32>; 4],
    ) {
        // Neighbouring cells are mostly in the same zone: look the slot up only on a change.
        let mut last: Option<(i32, usize)> = None;
        for (i, &z) in ids.data.iter().enumerate() {
            if ids.is_nodata(z) || z == 0 {
                continue;
            }
            let slot = match last {
                Some((id, slot)) if id == z => slot,
                _ => {
                    let next = self.sums.len();
                    let slot = *self.index.entry(z as i64).or_insert(next);
                    if slot == next {
                        self.sums.push((0, [(0.0, 0); 4]));
                    }
                    last = Some((z, slot));
                    slot
                }
            };
            let e = &mut self.sums[slot];
            e.0 += 1;
            for k in 0..4 {
                let g = layers[k];
                let v = g.data[i];
                if g.is_nodata(v) || layer_nodata[k] == Some(v) {
                    continue;
                }
                e.1[k].0 += v as f64;
                e.1[k].1 += 1;
            }
        }
    }

    /// The table rows, by zone id; `cell_area` in m².
    pub fn finish(self, cell_area: f64) -> Vec<WatershedYield> {
        self.index
            .into_iter()
            .map(|(id, slot)| {
                let (n, s) = self.sums[slot];
                let mean = |k: usize| {
                    if s[k].1 > 0 {
                        Some(s[k].0 / s[k].1 as f64)
                    } else {
                        None
                    }
                };
                let area = n as f64 * cell_area;
                let wy = mean(3);
                WatershedYield {
                    id,
                    precip_mn: mean(0),
                    pet_mn: mean(1),
                    aet_mn: mean(2),
                    wyield_mn: wy,
                    wyield_vol: wy.map(|m| m * area / 1000.0),
                    area_m2: area,
                }
            })
            .collect()
    }
}

/// Per-pixel outputs of [`water_yield_pixels`] (grids of the inputs' size).
#[derive(Debug, Clone)]
pub struct WaterYieldPixels {
    pub fractp: Grid<f32>,
    pub aet: Grid<f32>,
    pub wyield: Grid<f32>,
    pub pet: Grid<f32>,
}

impl WaterYieldPixels {
    /// Adds these cells to the watershed sums (`ids`: the zone ids of the same cells).
    pub fn add_to(&self, totals: &mut ZoneTotals, ids: &Grid<i32>, precipitation: &Grid<f32>) {
        totals.add(
            ids,
            [precipitation, &self.pet, &self.aet, &self.wyield],
            [None, Some(AWY_NODATA), Some(AWY_NODATA), Some(AWY_NODATA)],
        );
    }
}

/// The problems [`annual_water_yield`] refuses to run with (parameters, land-use codes missing
/// from the table, grids not aligned with `specs[0]`); for callers that stream the other
/// inputs band by band through [`water_yield_pixels`].
pub fn check_water_yield(
    lulc: &Grid<i32>,
    specs: &[(&str, ecoplan_grid::GridSpec)],
    bio: &HashMap<i64, AwyClass>,
    params: &WaterYieldParams,
) -> Result<(), AssessError> {
    let mut problems = params.validate();
    if let Some(m) = missing_codes(lulc, bio, "lulc_path", "biophysical") {
        problems.push(m);
    }
    AssessError::check(problems)?;
    check_aligned(specs)
}

/// fractp, AET, wyield and PET of every cell of aligned inputs — the whole grid or one band
/// of rows of each (the watershed fields of `inp` are not used). Codes must have been
/// checked ([`check_water_yield`]); a code without a table row gives nodata.
pub fn water_yield_pixels(
    inp: &WaterYieldInputs,
    bio: &HashMap<i64, AwyClass>,
    params: &WaterYieldParams,
) -> WaterYieldPixels {
    let z = params.seasonality_constant as f32;
    let lulc = inp.lulc;
    let n = lulc.data.len();
    let (p, e, d, pw) = (
        inp.precipitation,
        inp.eto,
        inp.depth_to_root_rest_layer,
        inp.pawc,
    );
    let table = CodeTable::new(bio);
    let cls = |i: usize| -> Option<AwyClass> {
        let c = lulc.data[i];
        if lulc.is_nodata(c) {
            None
        } else {
            table.get(c)
        }
    };
    let mut fractp = vec![AWY_NODATA; n];
    let mut wyield = vec![AWY_NODATA; n];
    let mut aet = vec![AWY_NODATA; n];
    let mut pet = vec![AWY_NODATA; n];
    // One parallel pass writes all four outputs.
    const CHUNK: usize = 1 << 14;
    fractp
        .par_chunks_mut(CHUNK)
        .zip(wyield.par_chunks_mut(CHUNK))
        .zip(aet.par_chunks_mut(CHUNK))
        .zip(pet.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(ci, (((fr, wy), ae), pe))| {
            let base = ci * CHUNK;
            for j in 0..fr.len() {
                let i = base + j;
                let c = cls(i);
                let (pv, ev) = (p.data[i], e.data[i]);
                if let Some(c) = c {
                    if !e.is_nodata(ev) {
                        pe[j] = ev * c.kc as f32;
                    }
                }
                let Some(c) = c else { continue };
                let (dv, wv) = (d.data[i], pw.data[i]);
                if p.is_nodata(pv) || e.is_nodata(ev) || d.is_nodata(dv) || pw.is_nodata(wv) {
                    continue;
                }
                let root = if c.lulc_veg == 1.0 {
                    c.root_depth as f32
                } else {
                    1.0
                };
                let f = fractp_value(c.kc as f32, ev, pv, root, dv, wv, c.lulc_veg as f32, z)
                    .unwrap_or(AWY_NODATA);
                fr[j] = f;
                if f != AWY_NODATA {
                    wy[j] = (1.0 - f) * pv;
                    ae[j] = f * pv;
                }
            }
        });
    WaterYieldPixels {
        fractp: like(lulc, fractp, Some(AWY_NODATA)),
        aet: like(lulc, aet, Some(AWY_NODATA)),
        wyield: like(lulc, wyield, Some(AWY_NODATA)),
        pet: like(lulc, pet, Some(AWY_NODATA)),
    }
}

/// Runs Annual Water Yield on aligned grids.
pub fn annual_water_yield(
    inp: &WaterYieldInputs,
    bio: &HashMap<i64, AwyClass>,
    params: &WaterYieldParams,
    progress: &dyn Progress,
) -> Result<WaterYieldOutputs, AssessError> {
    let mut specs = vec![
        ("lulc_path", inp.lulc.spec()),
        (
            "depth_to_root_rest_layer_path",
            inp.depth_to_root_rest_layer.spec(),
        ),
        ("precipitation_path", inp.precipitation.spec()),
        ("pawc_path", inp.pawc.spec()),
        ("eto_path", inp.eto.spec()),
    ];
    if let Some(w) = inp.watersheds {
        specs.push(("watersheds_path", w.spec()));
    }
    if let Some(w) = inp.sub_watersheds {
        specs.push(("sub_watersheds_path", w.spec()));
    }
    check_water_yield(inp.lulc, &specs, bio, params)?;
    progress.begin("产水量 water yield", 2);
    let px = water_yield_pixels(inp, bio, params);
    progress.advance(1);
    let cell = inp.lulc.transform.cell_area();
    let stats = |ids: &Grid<i32>| {
        let mut t = ZoneTotals::default();
        px.add_to(&mut t, ids, inp.precipitation);
        t.finish(cell)
    };
    let watersheds = inp.watersheds.map(stats);
    let sub_watersheds = inp.sub_watersheds.map(stats);
    progress.finish();
    Ok(WaterYieldOutputs {
        fractp: px.fractp,
        aet: px.aet,
        wyield: px.wyield,
        pet: px.pet,
        watersheds,
        sub_watersheds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_worked_value() {
        // METHODS §2.3: P 500, ET0 1000, Kc 1, root 2000, soil 1000, PAWC 0.1, Z 5
        // → ω = 2.25, AET/P = 0.8230, Y = 88.50 mm
        let f = fractp_value(1.0, 1000.0, 500.0, 2000.0, 1000.0, 0.1, 1.0, 5.0).unwrap();
        assert!((f - 0.8230).abs() < 5e-5, "{f}");
        assert!(((1.0 - f) * 500.0 - 88.50).abs() < 0.01);
        // non-vegetated: AET = min(Kc·ET0, P)
        assert_eq!(
            fractp_value(0.5, 600.0, 500.0, 1.0, 1000.0, 0.1, 0.0, 5.0),
            Some(0.6)
        );
        assert_eq!(
            fractp_value(1.0, 600.0, 500.0, 1.0, 1000.0, 0.1, 0.0, 5.0),
            Some(1.0)
        );
        assert_eq!(
            fractp_value(1.0, 600.0, 0.0, 1.0, 1000.0, 0.1, 1.0, 5.0),
            None
        );
        // the ω cap at 5 and the min(AET/P, PET/P) rule: tiny PET
        let f = fractp_value(0.1, 100.0, 1000.0, 5000.0, 5000.0, 0.5, 1.0, 30.0).unwrap();
        assert!((f - 0.01).abs() < 1e-6);
    }

    #[test]
    fn band_by_band_equals_the_whole_grid_run() {
        let (w, h) = (9, 13);
        let spec = ecoplan_grid::GridSpec::new(
            w,
            h,
            ecoplan_grid::GeoTransform::north_up(0.0, 0.0, 30.0),
            None,
        );
        let f = |k: f32, nd: Option<f32>| {
            let data = (0..w * h)
                .map(|i| {
                    if i % 17 == 3 {
                        nd.unwrap_or(f32::NAN)
                    } else {
                        k * (1.0 + ((i * 7919) % 23) as f32 / 10.0)
                    }
                })
                .collect();
            Grid::from_vec(&spec, data, nd).unwrap()
        };
        let (depth, precip, pawc, eto) = (
            f(300.0, Some(-1.0)),
            f(400.0, None),
            f(0.05, Some(-1.0)),
            f(500.0, Some(-9.0)),
        );
        let ids = |n: i32| {
            Grid::from_vec(
                &spec,
                (0..w * h)
                    .map(|i| ((i / w) as i32 / 3 + i as i32 % 2) % n)
                    .collect(),
                Some(-5),
            )
            .unwrap()
        };
        let (ws, sub) = (ids(3), ids(5));
        let lulc = Grid::from_vec(
            &spec,
            (0..w * h).map(|i| [1, 2, 3, 0][i % 4]).collect(),
            Some(0),
        )
        .unwrap();
        let bio = [
            (1, 1.0, 1200.0, 0.9),
            (2, 0.0, 1.0, 1.05),
            (3, 1.0, 3000.0, 0.7),
        ]
        .into_iter()
        .map(|(c, v, r, k)| {
            (
                c,
                AwyClass {
                    lulc_veg: v,
                    root_depth: r,
                    kc: k,
                },
            )
        })
        .collect();
        let params = WaterYieldParams {
            seasonality_constant: 5.0,
        };
        let inp = WaterYieldInputs {
            lulc: &lulc,
            depth_to_root_rest_layer: &depth,
            precipitation: &precip,
            pawc: &pawc,
            eto: &eto,
            watersheds: Some(&ws),
            sub_watersheds: Some(&sub),
        };
        let whole = annual_water_yield(&inp, &bio, &params, &ecoplan_grid::NoProgress).unwrap();
        assert!(whole.wyield.data.iter().any(|&v| v > 0.0));
        for band_rows in [1, 5, 13] {
            let mut got: [Vec<f32>; 4] = Default::default();
            let (mut tw, mut ts) = (ZoneTotals::default(), ZoneTotals::default());
            for r0 in (0..h).step_by(band_rows) {
                let rows = band_rows.min(h - r0);
                let cut = |g: &Grid<f32>| g.window(0, r0, w, rows).unwrap();
                let (l, d, p, pw, e) = (
                    lulc.window(0, r0, w, rows).unwrap(),
                    cut(&depth),
                    cut(&precip),
                    cut(&pawc),
                    cut(&eto),
                );
                let band = WaterYieldInputs {
                    lulc: &l,
                    depth_to_root_rest_layer: &d,
                    precipitation: &p,
                    pawc: &pw,
                    eto: &e,
                    watersheds: None,
                    sub_watersheds: None,
                };
                let px = water_yield_pixels(&band, &bio, &params);
                px.add_to(&mut tw, &ws.window(0, r0, w, rows).unwrap(), &p);
                px.add_to(&mut ts, &sub.window(0, r0, w, rows).unwrap(), &p);
                for (g, o) in got
                    .iter_mut()
                    .zip([&px.fractp, &px.aet, &px.wyield, &px.pet])
                {
                    g.extend_from_slice(&o.data);
                }
            }
            for (g, want) in got
                .iter()
                .zip([&whole.fractp, &whole.aet, &whole.wyield, &whole.pet])
            {
                assert!(
                    g.iter()
                        .zip(&want.data)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "band_rows {band_rows}"
                );
            }
            assert_eq!(Some(tw.finish(900.0)), whole.watersheds);
            assert_eq!(Some(ts.finish(900.0)), whole.sub_watersheds);
        }
    }
}
