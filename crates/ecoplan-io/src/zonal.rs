//! Zonal statistics: per-zone count, area, sum, mean, min, max, standard deviation and majority
//! of a value raster over an integer zone raster (or polygons, rasterized to feature numbers with
//! the pixel-centre rule, like `rasterstats.zonal_stats` by default).
//!
//! Pure: takes grids, returns rows. One parallel pass over row bands; memory O(zones) (plus the
//! value histograms when `majority` is asked for: O(distinct values per zone)).
//!
//! ```
//! use ecoplan_grid::{Grid, NoProgress};
//! use ecoplan_io::zonal::{zonal_stats, ZonalOptions};
//! let values = Grid::from_rows(3, 1, vec![1.0f32, 2.0, 6.0]).unwrap();
//! let zones = Grid::from_rows(3, 1, vec![7u32, 7, 9]).unwrap();
//! let rows = zonal_stats(&values, &zones, &ZonalOptions::default(), &NoProgress).unwrap();
//! assert_eq!((rows[0].zone, rows[0].count, rows[0].mean), (7, 2, 1.5));
//! assert_eq!((rows[1].zone, rows[1].sum), (9, 6.0));
//! ```

use crate::vector::{rasterize::rasterize_ids, Ellipsoid, Layer, RasterizeOptions};
use ecoplan_grid::{with_any_grid, AnyGrid, Cell, CellType, Grid, Progress};
use rayon::prelude::*;
use std::collections::HashMap;

/// Which optional statistics to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZonalOptions {
    /// Most frequent value per zone (ties → smallest value, as rasterstats). Costs a histogram
    /// per zone; cheap for byte/class rasters, memory-hungry for continuous floats.
    pub majority: bool,
}

impl Default for ZonalOptions {
    fn default() -> Self {
        ZonalOptions { majority: true }
    }
}

/// Statistics of one zone. Value statistics cover cells whose value is not nodata/NaN.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ZoneStats {
    /// Zone id (for polygons: feature number, 1-based).
    pub zone: i64,
    /// Cells of the zone, including those whose value is nodata.
    pub cells: u64,
    /// Cells with a valid value.
    pub count: u64,
    /// Area of the `count` cells in m² (ellipsoidal cell areas for geographic grids; CRS units²
    /// — metres assumed — otherwise).
    pub area_m2: f64,
    pub sum: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Population standard deviation (ddof = 0, as numpy/rasterstats).
    pub std: f64,
    pub majority: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZonalError {
    #[error("数值栅格与分区栅格未对齐 (value and zone grids are not aligned): {0} — resample one onto the other first")]
    NotAligned(String),
    #[error("分区栅格必须是整数类型 (zone grid must hold integers), found {0}")]
    ZonesNotInteger(CellType),
    #[error("图层与栅格坐标系不同 (layer CRS {layer} differs from raster CRS {raster}): reproject the layer first")]
    CrsMismatch { layer: String, raster: String },
    #[error("已取消 (cancelled)")]
    Cancelled,
}

#[derive(Clone)]
struct Acc {
    cells: u64,
    count: u64,
    area: f64,
    sum: f64,
    sumsq: f64,
    min: f64,
    max: f64,
}

impl Acc {
    fn new() -> Self {
        Acc {
            cells: 0,
            count: 0,
            area: 0.0,
            sum: 0.0,
            sumsq: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
    fn merge(&mut self, o: &Acc) {
        self.cells += o.cells;
        self.count += o.count;
        self.area += o.area;
        self.sum += o.sum;
        self.sumsq += o.sumsq;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

enum Hist {
    None,
    /// Byte rasters: counts per value.
    Bytes(Vec<[u64; 256]>),
    /// Others: value bits → count, per zone.
    Map(Vec<HashMap<u64, u64>>),
}

/// Accumulators of one row band, with a zone → slot lookup.
struct Band {
    zones: Vec<i64>,
    accs: Vec<Acc>,
    hist: Hist,
    direct: Vec<u32>,
    map: HashMap<i64, u32>,
}

const DIRECT: i64 = 4096;

impl Band {
    fn new(majority: bool, bytes: bool) -> Self {
        Band {
            zones: Vec::new(),
            accs: Vec::new(),
            hist: match (majority, bytes) {
                (false, _) => Hist::None,
                (true, true) => Hist::Bytes(Vec::new()),
                (true, false) => Hist::Map(Vec::new()),
            },
            direct: Vec::new(),
            map: HashMap::new(),
        }
    }
    #[inline]
    fn slot(&mut self, zone: i64) -> usize {
        if (0..DIRECT).contains(&zone) {
            let z = zone as usize;
            if z >= self.direct.len() {
                self.direct.resize(z + 1, u32::MAX);
            }
            if self.direct[z] != u32::MAX {
                return self.direct[z] as usize;
            }
            let s = self.new_slot(zone);
            self.direct[z] = s as u32;
            s
        } else if let Some(&s) = self.map.get(&zone) {
            s as usize
        } else {
            let s = self.new_slot(zone);
            self.map.insert(zone, s as u32);
            s
        }
    }
    fn new_slot(&mut self, zone: i64) -> usize {
        self.zones.push(zone);
        self.accs.push(Acc::new());
        match &mut self.hist {
            Hist::None => {}
            Hist::Bytes(v) => v.push([0; 256]),
            Hist::Map(v) => v.push(HashMap::new()),
        }
        self.zones.len() - 1
    }
    /// Folds `o` into `self`.
    fn merge(mut self, o: Band) -> Band {
        let Band {
            zones, accs, hist, ..
        } = o;
        let mut hist = hist;
        for (k, (zone, acc)) in zones.into_iter().zip(accs).enumerate() {
            let s = self.slot(zone);
            self.accs[s].merge(&acc);
            match (&mut self.hist, &mut hist) {
                (Hist::Bytes(a), Hist::Bytes(b)) => {
                    for (x, y) in a[s].iter_mut().zip(b[k].iter()) {
                        *x += *y;
                    }
                }
                (Hist::Map(a), Hist::Map(b)) => {
                    for (v, c) in std::mem::take(&mut b[k]) {
                        *a[s].entry(v).or_insert(0) += c;
                    }
                }
                _ => {}
            }
        }
        self
    }
}

/// Area in m² of one cell in each row (constant for projected grids).
fn row_areas<T: Cell>(g: &Grid<T>) -> Vec<f64> {
    let t = g.transform;
    match &g.crs {
        Some(crs) if crs.is_geographic() && t.is_north_up() => {
            let ell = Ellipsoid::for_epsg(crs.epsg().unwrap_or(4326));
            (0..g.height)
                .map(|r| {
                    let top = t.y0 + r as f64 * t.dy;
                    ell.lat_lon_cell_area(
                        top.clamp(-90.0, 90.0),
                        (top + t.dy).clamp(-90.0, 90.0),
                        t.dx,
                    )
                })
                .collect()
        }
        Some(crs) if crs.is_geographic() => {
            // Rotated geographic grid: approximate each row's cells at the row's centre latitude.
            let ell = Ellipsoid::for_epsg(crs.epsg().unwrap_or(4326));
            let deg2 = t.cell_area();
            (0..g.height)
                .map(|r| {
                    let (_, lat) = t.pixel_to_map(g.width as f64 / 2.0, r as f64 + 0.5);
                    ell.lat_lon_cell_area(lat - 0.5, lat + 0.5, 1.0) * deg2
                })
                .collect()
        }
        _ => vec![t.cell_area(); g.height],
    }
}

fn check_aligned<V: Cell, Z: Cell>(values: &Grid<V>, zones: &Grid<Z>) -> Result<(), ZonalError> {
    let mut a = values.spec();
    let mut b = zones.spec();
    if a.crs.is_none() || b.crs.is_none() {
        a.crs = None;
        b.crs = None;
    }
    a.check_aligned(&b)
        .map_err(|e| ZonalError::NotAligned(e.to_string()))
}

/// Statistics of `values` per zone of `zones` (an integer grid of the same size and
/// georeferencing). Cells whose zone is the zone grid's nodata are ignored. Rows come sorted by
/// zone id; a zone appears if it has at least one cell.
pub fn zonal_stats<V: Cell, Z: Cell>(
    values: &Grid<V>,
    zones: &Grid<Z>,
    opts: &ZonalOptions,
    progress: &dyn Progress,
) -> Result<Vec<ZoneStats>, ZonalError> {
    if Z::TYPE.is_float() {
        return Err(ZonalError::ZonesNotInteger(Z::TYPE));
    }
    check_aligned(values, zones)?;
    let (w, h) = (values.width, values.height);
    let areas = row_areas(values);
    let bytes = V::TYPE == CellType::U8;
    let threads = rayon::current_num_threads().max(1);
    let rows_per_band = (h / (threads * 8)).clamp(16, 1024).min(h.max(1));
    let done = std::sync::atomic::AtomicU64::new(0);
    progress.begin("分区统计 zonal statistics", h as u64);
    let starts: Vec<usize> = (0..h).step_by(rows_per_band.max(1)).collect();
    let merged = starts
        .par_iter()
        .map(|&r0| {
            let mut band = Band::new(opts.majority, bytes);
            if progress.cancelled() {
                return band;
            }
            let r1 = (r0 + rows_per_band).min(h);
            let (mut last_zone, mut last_slot) = (i64::MIN, 0usize);
            for r in r0..r1 {
                let cell_area = areas[r];
                let zrow = &zones.data[r * w..(r + 1) * w];
                let vrow = &values.data[r * w..(r + 1) * w];
                for (&z, &v) in zrow.iter().zip(vrow) {
                    if zones.nodata == Some(z) {
                        continue;
                    }
                    let zone = z.to_f64() as i64;
                    if zone != last_zone {
                        last_zone = zone;
                        last_slot = band.slot(zone);
                    }
                    let acc = &mut band.accs[last_slot];
                    acc.cells += 1;
                    if values.is_nodata(v) {
                        continue;
                    }
                    let x = v.to_f64();
                    acc.count += 1;
                    acc.area += cell_area;
                    acc.sum += x;
                    acc.sumsq += x * x;
                    if x < acc.min {
                        acc.min = x;
                    }
                    if x > acc.max {
                        acc.max = x;
                    }
                    match &mut band.hist {
                        Hist::None => {}
                        Hist::Bytes(hs) => hs[last_slot][x as u8 as usize] += 1,
                        Hist::Map(hs) => {
                            let key = if x == 0.0 {
                                0.0f64.to_bits()
                            } else {
                                x.to_bits()
                            };
                            *hs[last_slot].entry(key).or_insert(0) += 1;
                        }
                    }
                }
            }
            let n = done.fetch_add((r1 - r0) as u64, std::sync::atomic::Ordering::Relaxed)
                + (r1 - r0) as u64;
            progress.advance(n);
            band
        })
        .reduce(|| Band::new(opts.majority, bytes), Band::merge);
    progress.finish();
    if progress.cancelled() {
        return Err(ZonalError::Cancelled);
    }
    let Band {
        zones: ids,
        accs,
        hist,
        ..
    } = merged;
    let mut rows: Vec<ZoneStats> = ids
        .iter()
        .zip(&accs)
        .enumerate()
        .map(|(k, (&zone, a))| {
            let n = a.count as f64;
            let (mean, std) = if a.count > 0 {
                let mean = a.sum / n;
                (mean, (a.sumsq / n - mean * mean).max(0.0).sqrt())
            } else {
                (f64::NAN, f64::NAN)
            };
            let majority = match &hist {
                Hist::None => None,
                Hist::Bytes(hs) => {
                    let h = &hs[k];
                    // Highest count; among equal counts the smallest value.
                    let best = (0..256)
                        .max_by(|&i, &j| h[i].cmp(&h[j]).then(j.cmp(&i)))
                        .unwrap();
                    (h[best] > 0).then_some(best as f64)
                }
                Hist::Map(hs) => hs[k]
                    .iter()
                    .map(|(&bits, &c)| (f64::from_bits(bits), c))
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
                    .map(|(v, _)| v),
            };
            ZoneStats {
                zone,
                cells: a.cells,
                count: a.count,
                area_m2: a.area,
                sum: a.sum,
                mean,
                min: if a.count > 0 { a.min } else { f64::NAN },
                max: if a.count > 0 { a.max } else { f64::NAN },
                std,
                majority,
            }
        })
        .collect();
    rows.sort_by_key(|r| r.zone);
    Ok(rows)
}

/// [`zonal_stats`] for grids whose cell types are known only at run time.
pub fn zonal_stats_any(
    values: &AnyGrid,
    zones: &AnyGrid,
    opts: &ZonalOptions,
    progress: &dyn Progress,
) -> Result<Vec<ZoneStats>, ZonalError> {
    match zones {
        AnyGrid::F32(_) | AnyGrid::F64(_) => Err(ZonalError::ZonesNotInteger(zones.cell_type())),
        _ => {
            with_any_grid!(zones, z => with_any_grid!(values, v => zonal_stats(v, z, opts, progress)))
        }
    }
}

/// Statistics of `values` under each polygon of `layer` (which must be in the grid's CRS).
/// Polygons are rasterized to feature numbers with the pixel-centre rule (where polygons overlap,
/// the later feature takes the cell). Returns one row per feature, in layer order
/// (`zone` = feature number, 1-based; features covering no cell centre have `cells == 0`).
pub fn zonal_stats_polygons(
    values: &AnyGrid,
    layer: &Layer,
    opts: &ZonalOptions,
    progress: &dyn Progress,
) -> Result<Vec<ZoneStats>, ZonalError> {
    if let (Some(lc), Some(rc)) = (&layer.crs, values.crs()) {
        if lc != rc {
            return Err(ZonalError::CrsMismatch {
                layer: lc.label(),
                raster: rc.label(),
            });
        }
    }
    let ids = rasterize_ids(layer, &values.spec(), &RasterizeOptions::default());
    let rows = zonal_stats_any(values, &AnyGrid::U32(ids), opts, progress)?;
    let mut by_zone: HashMap<i64, ZoneStats> = rows.into_iter().map(|r| (r.zone, r)).collect();
    Ok((1..=layer.features.len() as i64)
        .map(|z| {
            by_zone.remove(&z).unwrap_or(ZoneStats {
                zone: z,
                cells: 0,
                count: 0,
                area_m2: 0.0,
                sum: 0.0,
                mean: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                std: f64::NAN,
                majority: None,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{Crs, GeoTransform, GridSpec, NoProgress};

    fn brute(values: &[f64], zones: &[u32]) -> HashMap<u32, (u64, f64, f64, f64)> {
        let mut m: HashMap<u32, (u64, f64, f64, f64)> = HashMap::new();
        for (&v, &z) in values.iter().zip(zones) {
            if z == 0 || v.is_nan() {
                continue;
            }
            let e = m
                .entry(z)
                .or_insert((0, 0.0, f64::INFINITY, f64::NEG_INFINITY));
            e.0 += 1;
            e.1 += v;
            e.2 = e.2.min(v);
            e.3 = e.3.max(v);
        }
        m
    }

    #[test]
    fn matches_brute_force_on_a_large_random_grid() {
        let (w, h) = (311usize, 977usize);
        let spec = GridSpec::new(
            w,
            h,
            GeoTransform::north_up(500_000.0, 4_400_000.0, 30.0),
            Some(Crs::Epsg(4547)),
        );
        let mut s = 7u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            (s >> 33) as u32
        };
        let zones: Vec<u32> = (0..w * h)
            .map(|i| {
                if i % 97 == 0 {
                    0
                } else {
                    (i / 5000) as u32 * 1000 + rnd() % 3
                }
            })
            .collect();
        let values: Vec<f64> = (0..w * h)
            .map(|i| {
                if i % 89 == 0 {
                    f64::NAN
                } else {
                    (rnd() % 1000) as f64 / 10.0
                }
            })
            .collect();
        let vg = Grid::from_vec(&spec, values.clone(), None).unwrap();
        let zg = Grid::from_vec(&spec, zones.clone(), Some(0)).unwrap();
        let rows = zonal_stats(&vg, &zg, &ZonalOptions { majority: true }, &NoProgress).unwrap();
        let b = brute(&values, &zones);
        assert_eq!(rows.len(), b.len());
        for r in &rows {
            let e = b[&(r.zone as u32)];
            assert_eq!(r.count, e.0);
            assert!((r.sum - e.1).abs() < 1e-6 * e.1.abs().max(1.0));
            assert_eq!((r.min, r.max), (e.2, e.3));
            assert_eq!(r.area_m2, r.count as f64 * 900.0);
            assert!(r.majority.is_some());
        }
        // f32 values, u8 zones and byte histograms agree too.
        let vb = vg.map(Some(255u8), |v| (v as u32 % 7) as u8);
        let zb = zg.map(Some(0u16), |z| (z % 50_000) as u16);
        let rows_b = zonal_stats(&vb, &zb, &ZonalOptions { majority: true }, &NoProgress).unwrap();
        assert!(rows_b.iter().all(|r| r.majority.is_some_and(|m| m < 7.0)));
    }

    #[test]
    fn majority_ties_take_the_smallest_value_and_std_is_population() {
        let v = Grid::from_rows(6, 1, vec![5.0f64, 3.0, 3.0, 5.0, 1.0, 9.0]).unwrap();
        let z = Grid::from_rows(6, 1, vec![1u8, 1, 1, 1, 2, 2]).unwrap();
        let rows = zonal_stats(&v, &z, &ZonalOptions { majority: true }, &NoProgress).unwrap();
        assert_eq!(rows[0].majority, Some(3.0));
        assert_eq!(rows[0].std, 1.0);
        assert_eq!(rows[1].majority, Some(1.0));
        let vb = v.map(None, |x| x as u8);
        let rows = zonal_stats(&vb, &z, &ZonalOptions { majority: true }, &NoProgress).unwrap();
        assert_eq!(rows[0].majority, Some(3.0));
    }

    #[test]
    fn misaligned_and_float_zones_are_errors() {
        let v = Grid::from_rows(2, 2, vec![1.0f32; 4]).unwrap();
        let z = Grid::from_rows(2, 1, vec![1u32; 2]).unwrap();
        assert!(matches!(
            zonal_stats(&v, &z, &ZonalOptions::default(), &NoProgress),
            Err(ZonalError::NotAligned(_))
        ));
        let zf = Grid::from_rows(2, 2, vec![1.0f32; 4]).unwrap();
        assert!(matches!(
            zonal_stats(&v, &zf, &ZonalOptions::default(), &NoProgress),
            Err(ZonalError::ZonesNotInteger(_))
        ));
    }

    #[test]
    fn geographic_cells_use_ellipsoidal_areas() {
        let spec = GridSpec::new(
            2,
            2,
            GeoTransform::north_up(113.0, 40.1, 0.05),
            Some(Crs::Epsg(4326)),
        );
        let v = Grid::filled(&spec, 1u8, None);
        let z = Grid::filled(&spec, 1u8, None);
        let rows = zonal_stats(&v, &z, &ZonalOptions::default(), &NoProgress).unwrap();
        let expect = Ellipsoid::Wgs84.lat_lon_cell_area(40.0, 40.1, 0.1);
        assert!(
            (rows[0].area_m2 - expect).abs() < 1e-3,
            "{} {expect}",
            rows[0].area_m2
        );
    }
}
