//! InVEST Carbon Storage and Sequestration (natcap.invest 3.20 `carbon`).
//!
//! Storage per pixel = c_above + c_below + c_soil + c_dead of its land-use class, in t C/ha
//! (float32, nodata -1 where the LULC is nodata). Sequestration `c_change_bas_alt` = alternate −
//! baseline. Valuation: NPV = change · price/n · Σ_{t=0}^{n−1} [(1+r/100)(1+c/100)]^{−t}, with
//! n = alternate year − baseline year. Summary totals = Σ pixel values · pixel area / 10⁴ (t C).

use super::{
    check_aligned, fmt_f64, like, missing_codes, CodeTable, OutputData, OutputGrid, OutputTable,
};
use crate::table::Table;
use crate::AssessError;
use ecoplan_grid::{Grid, Progress};
use std::collections::HashMap;

/// Nodata of carbon rasters (natcap.invest `_CARBON_NODATA`).
pub const CARBON_NODATA: f32 = -1.0;
/// Nodata of `npv_alt` (pygeoprocessing `raster_map` default for float32).
pub const NPV_NODATA: f32 = f32::MAX;

/// Carbon densities (t C/ha) per land-use code: above, below, soil, dead.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CarbonPools {
    pub pools: HashMap<i64, [f64; 4]>,
}

impl CarbonPools {
    /// From a table with columns lucode, c_above, c_below, c_soil, c_dead (blanks not allowed).
    pub fn from_table(t: &Table) -> Result<Self, AssessError> {
        let mut p = Vec::new();
        t.require_columns(
            &["lucode", "c_above", "c_below", "c_soil", "c_dead"],
            &mut p,
        );
        AssessError::check(p.clone())?;
        let codes = t.codes("lucode", &mut p);
        let cols: Vec<Vec<Option<f64>>> = ["c_above", "c_below", "c_soil", "c_dead"]
            .iter()
            .map(|c| t.numbers(c, false, &mut p))
            .collect();
        AssessError::check(p)?;
        let mut pools = HashMap::new();
        for (r, code) in codes.iter().enumerate() {
            if let Some(code) = code {
                pools.insert(
                    *code,
                    [
                        cols[0][r].unwrap_or(0.0),
                        cols[1][r].unwrap_or(0.0),
                        cols[2][r].unwrap_or(0.0),
                        cols[3][r].unwrap_or(0.0),
                    ],
                );
            }
        }
        Ok(CarbonPools { pools })
    }
}

/// Valuation parameters (all required when valuation is on).
#[derive(Debug, Clone, PartialEq)]
pub struct CarbonValuation {
    /// Year of the baseline LULC.
    pub lulc_bas_year: i32,
    /// Year of the alternate LULC (must be later).
    pub lulc_alt_year: i32,
    /// Price per metric ton of elemental carbon (currency/t C).
    pub price_per_metric_ton_of_c: f64,
    /// Market discount rate, % per year.
    pub discount_rate: f64,
    /// Annual change in the price of carbon, % per year.
    pub rate_change: f64,
}

impl CarbonValuation {
    /// All problems with the valuation parameters.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.lulc_alt_year <= self.lulc_bas_year {
            p.push(format!(
                "lulc_alt_year ({}) must be greater than lulc_bas_year ({})",
                self.lulc_alt_year, self.lulc_bas_year
            ));
        }
        for (name, v) in [
            ("price_per_metric_ton_of_c", self.price_per_metric_ton_of_c),
            ("discount_rate", self.discount_rate),
            ("rate_change", self.rate_change),
        ] {
            if !v.is_finite() {
                p.push(format!("{name} must be a finite number"));
            }
        }
        if self.discount_rate <= -100.0 || self.rate_change <= -100.0 {
            p.push("discount_rate and rate_change must be greater than -100 %".into());
        }
        p
    }

    /// The factor natcap.invest multiplies the carbon change by to get NPV.
    pub fn valuation_constant(&self) -> f64 {
        let n = (self.lulc_alt_year - self.lulc_bas_year) as f64;
        let ratio = 1.0 / ((1.0 + self.discount_rate / 100.0) * (1.0 + self.rate_change / 100.0));
        let mut k = self.price_per_metric_ton_of_c / n;
        if ratio == 1.0 {
            k *= n;
        } else {
            k *= (1.0 - ratio.powf(n)) / (1.0 - ratio);
        }
        k
    }
}

/// Results of [`carbon`].
#[derive(Debug, Clone)]
pub struct CarbonOutputs {
    pub c_storage_bas: Grid<f32>,
    pub c_storage_alt: Option<Grid<f32>>,
    pub c_change_bas_alt: Option<Grid<f32>>,
    pub npv_alt: Option<Grid<f32>>,
    /// Per-pool rasters (above, below, soil, dead) for baseline and alternate.
    pub pools_bas: Vec<Grid<f32>>,
    pub pools_alt: Option<Vec<Grid<f32>>>,
    /// Rows of `raster_values_summary.csv`: (label, total, units, file name).
    pub summary: Vec<(String, f64, String, String)>,
}

const POOL_NAMES: [&str; 4] = ["c_above", "c_below", "c_soil", "c_dead"];

impl CarbonOutputs {
    /// Output grids under natcap.invest's file names (suffix appended before `.tif`); copies
    /// every grid — prefer [`CarbonOutputs::into_files`].
    pub fn files(&self, suffix: &str) -> Vec<OutputGrid> {
        self.clone().into_files(suffix)
    }

    /// [`CarbonOutputs::files`] without copying: the grids move into the list.
    pub fn into_files(self, suffix: &str) -> Vec<OutputGrid> {
        let mut v = vec![OutputGrid {
            path: format!("c_storage_bas{suffix}.tif"),
            grid: OutputData::F32(self.c_storage_bas),
        }];
        let mut push = |name: String, g: Option<Grid<f32>>| {
            if let Some(g) = g {
                v.push(OutputGrid {
                    path: name,
                    grid: OutputData::F32(g),
                });
            }
        };
        push(format!("c_storage_alt{suffix}.tif"), self.c_storage_alt);
        push(
            format!("c_change_bas_alt{suffix}.tif"),
            self.c_change_bas_alt,
        );
        push(format!("npv_alt{suffix}.tif"), self.npv_alt);
        for (k, g) in self.pools_bas.into_iter().enumerate() {
            v.push(OutputGrid {
                path: format!("intermediate_outputs/{}_bas{suffix}.tif", POOL_NAMES[k]),
                grid: OutputData::F32(g),
            });
        }
        if let Some(alt) = self.pools_alt {
            for (k, g) in alt.into_iter().enumerate() {
                v.push(OutputGrid {
                    path: format!("intermediate_outputs/{}_alt{suffix}.tif", POOL_NAMES[k]),
                    grid: OutputData::F32(g),
                });
            }
        }
        v
    }

    /// `raster_values_summary.csv`.
    pub fn summary_table(&self, suffix: &str) -> OutputTable {
        summary_table(&self.summary, suffix)
    }
}

/// The problems [`carbon`] refuses to run with: codes without pools, misaligned scenarios,
/// bad valuation parameters.
fn check_inputs(
    lulc_bas: &Grid<i32>,
    lulc_alt: Option<&Grid<i32>>,
    pools: &CarbonPools,
    valuation: Option<&CarbonValuation>,
) -> Result<(), AssessError> {
    let mut problems = Vec::new();
    if let Some(m) = missing_codes(lulc_bas, &pools.pools, "lulc_bas_path", "carbon pools") {
        problems.push(m);
    }
    if let Some(alt) = lulc_alt {
        check_aligned(&[
            ("lulc_bas_path", lulc_bas.spec()),
            ("lulc_alt_path", alt.spec()),
        ])?;
        if let Some(m) = missing_codes(alt, &pools.pools, "lulc_alt_path", "carbon pools") {
            problems.push(m);
        }
    }
    if let Some(v) = valuation {
        problems.extend(v.validate());
        if lulc_alt.is_none() {
            problems.push("do_valuation needs lulc_alt_path (an alternate scenario)".into());
        }
    }
    AssessError::check(problems)?;
    Ok(())
}

/// Runs the carbon model. `lulc_alt` triggers sequestration; `valuation` needs `lulc_alt`.
/// Runs the model and returns every output grid whole: [`carbon_by_bands`] with one band of the
/// full height, collected (callers that write files should stream with that instead).
pub fn carbon(
    lulc_bas: &Grid<i32>,
    lulc_alt: Option<&Grid<i32>>,
    pools: &CarbonPools,
    valuation: Option<&CarbonValuation>,
    progress: &dyn Progress,
) -> Result<CarbonOutputs, AssessError> {
    let outputs = band_outputs(lulc_alt.is_some(), valuation.is_some());
    let mut data: Vec<Vec<f32>> = vec![Vec::new(); outputs.len()];
    let summary = carbon_by_bands(
        lulc_bas,
        lulc_alt,
        pools,
        valuation,
        lulc_bas.height.max(1),
        progress,
        &mut |band| {
            for (d, b) in data.iter_mut().zip(band) {
                d.extend_from_slice(b);
            }
            Ok(())
        },
    )?;
    // In the order of band_outputs: storage, [alt storage, change, [npv]], pools bas, [pools alt].
    let mut grids = outputs
        .iter()
        .zip(data)
        .map(|(o, d)| like(lulc_bas, d, Some(o.nodata)));
    let c_storage_bas = grids.next().expect("baseline storage is always produced");
    let (c_storage_alt, c_change_bas_alt, npv_alt) = match lulc_alt {
        Some(_) => (
            grids.next(),
            grids.next(),
            valuation.and_then(|_| grids.next()),
        ),
        None => (None, None, None),
    };
    let pools_bas: Vec<Grid<f32>> = grids.by_ref().take(POOL_NAMES.len()).collect();
    let pools_alt = lulc_alt.map(|_| grids.collect());
    Ok(CarbonOutputs {
        c_storage_bas,
        c_storage_alt,
        c_change_bas_alt,
        npv_alt,
        pools_bas,
        pools_alt,
        summary,
    })
}

/// One grid [`carbon_by_bands`] produces: its workspace-relative name without suffix or
/// `.tif` (natcap.invest's names, as [`CarbonOutputs::into_files`]) and its nodata.
#[derive(Debug, Clone, PartialEq)]
pub struct BandOutput {
    pub name: String,
    pub nodata: f32,
}

/// The grids [`carbon_by_bands`] hands to its sink, in the order of each band's slices.
pub fn band_outputs(alternate: bool, valuation: bool) -> Vec<BandOutput> {
    let out = |name: &str, nodata| BandOutput {
        name: name.to_string(),
        nodata,
    };
    let mut v = vec![out("c_storage_bas", CARBON_NODATA)];
    if alternate {
        v.push(out("c_storage_alt", CARBON_NODATA));
        v.push(out("c_change_bas_alt", CARBON_NODATA));
        if valuation {
            v.push(out("npv_alt", NPV_NODATA));
        }
    }
    for scen in ["bas", "alt"].iter().take(if alternate { 2 } else { 1 }) {
        for pool in POOL_NAMES {
            v.push(out(
                &format!("intermediate_outputs/{pool}_{scen}"),
                CARBON_NODATA,
            ));
        }
    }
    v
}

/// What a band of one output holds.
#[derive(Clone, Copy)]
enum BandKind {
    Storage { alt: bool },
    Change,
    Npv(f32),
    Pool { alt: bool, k: usize },
}

/// [`carbon`] without ever holding a whole output grid: the outputs are computed `band_rows`
/// rows at a time (straight from the per-class pool table) and each band is handed to `sink`
/// as one slice per output, in the order of [`band_outputs`]; returns the rows of
/// `raster_values_summary.csv` (as [`CarbonOutputs::summary`]). Values and totals are those of
/// [`carbon`], bit for bit. `sink` errors stop the run.
#[allow(clippy::type_complexity)]
pub fn carbon_by_bands(
    lulc_bas: &Grid<i32>,
    lulc_alt: Option<&Grid<i32>>,
    pools: &CarbonPools,
    valuation: Option<&CarbonValuation>,
    band_rows: usize,
    progress: &dyn Progress,
    sink: &mut dyn FnMut(&[Vec<f32>]) -> Result<(), String>,
) -> Result<Vec<(String, f64, String, String)>, AssessError> {
    use rayon::prelude::*;
    check_inputs(lulc_bas, lulc_alt, pools, valuation)?;
    let outputs = band_outputs(lulc_alt.is_some(), valuation.is_some());
    let mut kinds = vec![BandKind::Storage { alt: false }];
    if lulc_alt.is_some() {
        kinds.push(BandKind::Storage { alt: true });
        kinds.push(BandKind::Change);
        if let Some(v) = valuation {
            kinds.push(BandKind::Npv(v.valuation_constant() as f32));
        }
    }
    for alt in [false, true]
        .into_iter()
        .take(if lulc_alt.is_some() { 2 } else { 1 })
    {
        for k in 0..4 {
            kinds.push(BandKind::Pool { alt, k });
        }
    }
    debug_assert_eq!(kinds.len(), outputs.len());
    // Each cell's code becomes a slot (0 nodata, 1 a code without pools, 2 + r pool row r)
    // once per band and scenario; every output is then one gather from a per-slot table.
    let rows: Vec<(i64, [f32; 4])> = pools
        .pools
        .iter()
        .map(|(&k, p)| (k, [p[0] as f32, p[1] as f32, p[2] as f32, p[3] as f32]))
        .collect();
    let row_of = CodeTable::new(
        &rows
            .iter()
            .enumerate()
            .map(|(r, &(k, _))| (k, r as u32 + 2))
            .collect::<HashMap<i64, u32>>(),
    );
    let per_slot = |nodata: f32, missing: f32, f: &dyn Fn(&[f32; 4]) -> f32| -> Vec<f32> {
        let mut v = vec![nodata, missing];
        v.extend(rows.iter().map(|(_, p)| f(p)));
        v
    };
    // float32 sum in pool order, as numpy.sum over float32 arrays; a code without pools: the
    // sum of four nodata pools
    let storage = per_slot(CARBON_NODATA, CARBON_NODATA * 4.0, &|p| {
        p[0] + p[1] + p[2] + p[3]
    });
    let pool_values: Vec<Vec<f32>> = (0..4)
        .map(|k| per_slot(CARBON_NODATA, CARBON_NODATA, &|p| p[k]))
        .collect();
    let slots = |g: &Grid<i32>, codes: &[i32], out: &mut Vec<u32>| {
        out.clear();
        out.resize(codes.len(), 0);
        out.par_chunks_mut(1 << 14)
            .zip(codes.par_chunks(1 << 14))
            .for_each(|(o, c)| {
                for (o, &v) in o.iter_mut().zip(c) {
                    *o = if g.is_nodata(v) {
                        0
                    } else {
                        row_of.get(v).unwrap_or(1)
                    };
                }
            });
    };
    let (mut slot_bas, mut slot_alt) = (Vec::new(), Vec::new());
    let (w, h) = (lulc_bas.width, lulc_bas.height);
    let band_rows = band_rows.clamp(1, h.max(1));
    let mut bands: Vec<Vec<f32>> = kinds.iter().map(|_| Vec::new()).collect();
    // Running totals in cell order, so they do not depend on the band size.
    let mut totals = [0f64; 4];
    let n_bands = h.div_ceil(band_rows);
    progress.begin("碳储量 carbon storage", n_bands as u64);
    for b in 0..n_bands {
        if progress.cancelled() {
            return Err(AssessError::Cancelled);
        }
        let (r0, r1) = (b * band_rows, ((b + 1) * band_rows).min(h));
        let cells = r0 * w..r1 * w;
        slots(lulc_bas, &lulc_bas.data[cells.clone()], &mut slot_bas);
        if let Some(a) = lulc_alt {
            slots(a, &a.data[cells.clone()], &mut slot_alt);
        }
        let (sb, sa) = (&slot_bas, &slot_alt);
        bands
            .par_iter_mut()
            .zip(kinds.par_iter())
            .for_each(|(out, &kind)| {
                out.clear();
                out.resize(sb.len(), 0.0);
                const CHUNK: usize = 1 << 14;
                out.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, o)| {
                    let at = ci * CHUNK;
                    let len = o.len();
                    fn cut(s: &[u32], at: usize, len: usize) -> &[u32] {
                        &s[at..at + len]
                    }
                    let gather = |o: &mut [f32], values: &[f32], s: &[u32]| {
                        for (o, &k) in o.iter_mut().zip(s) {
                            *o = values[k as usize];
                        }
                    };
                    match kind {
                        BandKind::Storage { alt: false } => gather(o, &storage, cut(sb, at, len)),
                        BandKind::Storage { alt: true } => gather(o, &storage, cut(sa, at, len)),
                        BandKind::Pool { alt, k } => {
                            gather(o, &pool_values[k], cut(if alt { sa } else { sb }, at, len))
                        }
                        BandKind::Change | BandKind::Npv(_) => {
                            for ((o, &kb), &ka) in
                                o.iter_mut().zip(cut(sb, at, len)).zip(cut(sa, at, len))
                            {
                                let (vb, va) = (storage[kb as usize], storage[ka as usize]);
                                let change = if va == CARBON_NODATA || vb == CARBON_NODATA {
                                    CARBON_NODATA
                                } else {
                                    va - vb
                                };
                                *o = match kind {
                                    BandKind::Npv(_) if change == CARBON_NODATA => NPV_NODATA,
                                    BandKind::Npv(k) => change * k,
                                    _ => change,
                                };
                            }
                        }
                    }
                });
            });
        // Storage, alternate storage, change and NPV are the first outputs, in summary order.
        for (t, (band, out)) in totals.iter_mut().zip(bands.iter().zip(&outputs)) {
            if !matches!(
                out.name.as_str(),
                "c_storage_bas" | "c_storage_alt" | "c_change_bas_alt" | "npv_alt"
            ) {
                break;
            }
            for &v in band {
                if !(v.is_nan() || v == out.nodata) {
                    *t += v as f64;
                }
            }
        }
        sink(&bands).map_err(AssessError::Data)?;
        progress.advance(b as u64 + 1);
    }
    progress.finish();
    // as natcap.invest: Σ · cell area / 10⁴, in that order
    let area = lulc_bas.transform.cell_area();
    let total = |t: f64| t * area / 10_000.0;
    let mut summary = vec![(
        "Baseline Carbon Storage".to_string(),
        total(totals[0]),
        "metric_ton".to_string(),
        "c_storage_bas.tif".to_string(),
    )];
    if lulc_alt.is_some() {
        summary.push((
            "Alternate Carbon Storage".into(),
            total(totals[1]),
            "metric_ton".into(),
            "c_storage_alt.tif".into(),
        ));
        summary.push((
            "Change in Carbon Storage".into(),
            total(totals[2]),
            "metric_ton".into(),
            "c_change_bas_alt.tif".into(),
        ));
        if valuation.is_some() {
            summary.push((
                "Net Present Value of Carbon Change".into(),
                total(totals[3]),
                "currency".into(),
                "npv_alt.tif".into(),
            ));
        }
    }
    Ok(summary)
}

/// `raster_values_summary.csv` from summary rows (label, total, units, file name).
pub fn summary_table(summary: &[(String, f64, String, String)], suffix: &str) -> OutputTable {
    let mut csv = String::from("Raster,Total,Units,Filename\n");
    for (label, total, units, file) in summary {
        csv.push_str(&format!("{label},{},{units},{file}\n", fmt_f64(*total)));
    }
    OutputTable {
        path: format!("raster_values_summary{suffix}.csv"),
        csv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::NoProgress;

    #[test]
    fn storage_is_the_pool_sum_and_totals_are_exact() {
        let t = Table::parse(
            "pools.csv",
            "lucode,c_above,c_below,c_soil,c_dead\n1,10,5,20,1\n2,0,0,3,0\n",
        )
        .unwrap();
        let pools = CarbonPools::from_table(&t).unwrap();
        let mut lulc = Grid::from_rows(3, 1, vec![1, 2, -9]).unwrap();
        lulc.nodata = Some(-9);
        lulc.transform = ecoplan_grid::GeoTransform::north_up(0.0, 0.0, 100.0);
        let alt = Grid {
            data: vec![2, 2, -9],
            ..lulc.clone()
        };
        let val = CarbonValuation {
            lulc_bas_year: 2020,
            lulc_alt_year: 2030,
            price_per_metric_ton_of_c: 10.0,
            discount_rate: 0.0,
            rate_change: 0.0,
        };
        let o = carbon(&lulc, Some(&alt), &pools, Some(&val), &NoProgress).unwrap();
        assert_eq!(o.c_storage_bas.data, vec![36.0, 3.0, CARBON_NODATA]);
        // hand sum: (36 + 3) t/ha × 1 ha per pixel
        assert_eq!(o.summary[0].1, 39.0);
        assert_eq!(o.c_change_bas_alt.as_ref().unwrap().data[0], -33.0);
        // no discounting: NPV = change × price
        assert!((o.npv_alt.as_ref().unwrap().data[0] + 330.0).abs() < 1e-3);
        let missing = carbon(
            &Grid {
                data: vec![7, 2, -9],
                ..lulc.clone()
            },
            None,
            &pools,
            None,
            &NoProgress,
        );
        assert!(matches!(missing, Err(AssessError::Invalid(p)) if p[0].contains("codes 7")));
    }

    #[test]
    fn valuation_constant_discounts() {
        let v = CarbonValuation {
            lulc_bas_year: 2020,
            lulc_alt_year: 2022,
            price_per_metric_ton_of_c: 100.0,
            discount_rate: 10.0,
            rate_change: 0.0,
        };
        // 100/2 · (1 + 1/1.1)
        assert!((v.valuation_constant() - 50.0 * (1.0 + 1.0 / 1.1)).abs() < 1e-9);
    }

    #[test]
    fn band_by_band_equals_the_whole_grid_run() {
        let t = Table::parse(
            "pools.csv",
            "lucode,c_above,c_below,c_soil,c_dead\n1,10.1,5,20.3,1\n2,0,0,3.7,0\n3,55.5,11,80,4.2\n",
        )
        .unwrap();
        let pools = CarbonPools::from_table(&t).unwrap();
        let (w, h) = (7, 11);
        let code = |i: usize, s: usize| [1, 2, 3, -9][(i * 7 + i / 5 + s) % 4];
        let mut bas = Grid::from_rows(w, h, (0..w * h).map(|i| code(i, 0)).collect()).unwrap();
        bas.nodata = Some(-9);
        bas.transform = ecoplan_grid::GeoTransform::north_up(0.0, 0.0, 30.0);
        let alt = Grid {
            data: (0..w * h).map(|i| code(i, 1)).collect(),
            ..bas.clone()
        };
        let val = CarbonValuation {
            lulc_bas_year: 2020,
            lulc_alt_year: 2035,
            price_per_metric_ton_of_c: 43.0,
            discount_rate: 3.0,
            rate_change: 1.0,
        };
        for (alt, val) in [(None, None), (Some(&alt), None), (Some(&alt), Some(&val))] {
            let whole = carbon(&bas, alt, &pools, val, &NoProgress).unwrap();
            let files = whole.files("");
            let outs = band_outputs(alt.is_some(), val.is_some());
            assert_eq!(
                outs.iter()
                    .map(|o| format!("{}.tif", o.name))
                    .collect::<Vec<_>>(),
                files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()
            );
            for band_rows in [1, 4, 11, 50] {
                let mut got: Vec<Vec<f32>> = vec![Vec::new(); outs.len()];
                let summary =
                    carbon_by_bands(&bas, alt, &pools, val, band_rows, &NoProgress, &mut |b| {
                        assert_eq!(b.len(), outs.len());
                        assert!(b[0].len() <= band_rows * w);
                        for (g, band) in got.iter_mut().zip(b) {
                            g.extend_from_slice(band);
                        }
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(summary, whole.summary, "band_rows {band_rows}");
                for ((g, f), o) in got.iter().zip(&files).zip(&outs) {
                    let OutputData::F32(want) = &f.grid else {
                        panic!("f32 outputs")
                    };
                    assert_eq!(want.nodata, Some(o.nodata), "{}", o.name);
                    let same = g
                        .iter()
                        .zip(&want.data)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same && g.len() == want.data.len(),
                        "{} band_rows {band_rows}",
                        o.name
                    );
                }
            }
        }
        // A sink error stops the run and is reported.
        let e = carbon_by_bands(&bas, None, &pools, None, 3, &NoProgress, &mut |_| {
            Err("disk full".into())
        });
        assert!(matches!(e, Err(AssessError::Data(m)) if m == "disk full"));
    }
}
