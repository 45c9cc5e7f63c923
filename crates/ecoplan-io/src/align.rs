//! Alignment: resampling and reprojecting rasters onto one reference grid.
//!
//! Every layer of a region is brought onto the region's [`GridSpec`] with [`warp`] before any
//! analysis; [`snapped_grid`] builds such a reference grid from bounds and a cell size.
//!
//! Each destination cell takes its value from the source location of its centre
//! ([`Resampling::Nearest`], [`Resampling::Bilinear`]) or from the source cells its footprint
//! covers, weighted by the covered fraction ([`Resampling::Average`], [`Resampling::Mode`]) —
//! the conventions of GDAL's warper. Source nodata never contributes; a destination cell with
//! no valid source becomes nodata.
//!
//! Output nodata: the source's nodata if it has one, else NaN for floats, else the type's
//! extreme value (255 for u8, 65535 for u16, u32::MAX, i16::MIN, i32::MIN).

use crate::crs::CrsTransform;
use crate::IoError;
use ecoplan_grid::{with_any_grid, AnyGrid, Cell, Crs, GeoTransform, Grid, GridSpec, Progress};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// How a destination cell's value is computed from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resampling {
    /// Value of the source cell containing the destination cell's centre. For classes.
    Nearest,
    /// Bilinear interpolation between the four nearest source cell centres. For continuous data.
    Bilinear,
    /// Most frequent value in the footprint (by covered area; ties → smaller value). For classes when coarsening.
    Mode,
    /// Area-weighted mean of the footprint. For continuous data when coarsening.
    Average,
}

impl std::str::FromStr for Resampling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "nearest" | "near" => Ok(Resampling::Nearest),
            "bilinear" => Ok(Resampling::Bilinear),
            "mode" | "majority" => Ok(Resampling::Mode),
            "average" | "mean" => Ok(Resampling::Average),
            other => Err(format!(
                "unknown resampling `{other}`: use nearest, bilinear, mode or average"
            )),
        }
    }
}

/// A north-up grid of square `cell_size` cells covering `bounds` (x_min, y_min, x_max, y_max),
/// with its origin snapped to whole multiples of the cell size (so grids of one CRS built this
/// way always align with each other).
pub fn snapped_grid(
    bounds: (f64, f64, f64, f64),
    cell_size: f64,
    crs: Option<Crs>,
) -> Result<GridSpec, IoError> {
    let (x_min, y_min, x_max, y_max) = bounds;
    if !(cell_size > 0.0 && cell_size.is_finite()) {
        return Err(IoError::Crs(format!(
            "cell size must be a positive number, not {cell_size}"
        )));
    }
    if !(x_min.is_finite() && y_min.is_finite() && x_max > x_min && y_max > y_min) {
        return Err(IoError::Crs(format!(
            "bounds {bounds:?} are empty or not finite"
        )));
    }
    let x0 = (x_min / cell_size).floor() * cell_size;
    let y1 = (y_max / cell_size).ceil() * cell_size;
    let width = ((x_max - x0) / cell_size).ceil().max(1.0) as usize;
    let height = ((y1 - y_min) / cell_size).ceil().max(1.0) as usize;
    Ok(GridSpec::new(
        width,
        height,
        GeoTransform::north_up(x0, y1, cell_size),
        crs,
    ))
}

/// Resamples (and, if the CRSs differ, reprojects) `src` onto `dst`.
///
/// Both grids need a CRS, or neither (then they are taken to share one).
pub fn warp(
    src: &AnyGrid,
    dst: &GridSpec,
    method: Resampling,
    progress: &dyn Progress,
) -> Result<AnyGrid, IoError> {
    Ok(with_any_grid!(src, g => AnyGrid::from(warp_grid(g, dst, method, progress)?)))
}

/// Typed form of [`warp`].
pub fn warp_grid<T: Cell>(
    src: &Grid<T>,
    dst: &GridSpec,
    method: Resampling,
    progress: &dyn Progress,
) -> Result<Grid<T>, IoError> {
    let mapper = PixelMapper::new(&src.spec(), dst)?;
    let nodata = src.nodata.unwrap_or_else(default_nodata::<T>);
    let mut out = Grid::filled(dst, nodata, Some(nodata));
    let done = AtomicU64::new(0);
    progress.begin("重采样 resample", dst.height as u64);
    let width = dst.width;
    out.data
        .par_chunks_mut(width.max(1))
        .enumerate()
        .try_for_each(|(row, cells)| -> Result<(), IoError> {
            if progress.cancelled() {
                return Err(IoError::Crs("cancelled".into()));
            }
            match method {
                Resampling::Nearest | Resampling::Bilinear => {
                    let centers = mapper.row_positions(row as f64 + 0.5, 0.5, width);
                    for (cell, &(sx, sy)) in cells.iter_mut().zip(&centers) {
                        let v = if method == Resampling::Nearest {
                            sample_nearest(src, sx, sy)
                        } else {
                            sample_bilinear(src, sx, sy)
                        };
                        if let Some(v) = v {
                            *cell = v;
                        }
                    }
                }
                Resampling::Average | Resampling::Mode => {
                    // Corner positions on the cell edges above and below this row.
                    let top = mapper.row_positions(row as f64, 0.0, width + 1);
                    let bottom = mapper.row_positions(row as f64 + 1.0, 0.0, width + 1);
                    let mut scratch: Vec<(f64, f64)> = Vec::new();
                    for (c, cell) in cells.iter_mut().enumerate() {
                        let corners = [top[c], top[c + 1], bottom[c], bottom[c + 1]];
                        if let Some(v) = sample_area(src, &corners, method, &mut scratch) {
                            *cell = v;
                        }
                    }
                }
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 64 == 0 {
                progress.advance(n);
            }
            Ok(())
        })?;
    progress.finish();
    Ok(out)
}

fn default_nodata<T: Cell>() -> T {
    use ecoplan_grid::CellType::*;
    match T::TYPE {
        F32 | F64 => T::from_f64(f64::NAN),
        U8 | U16 | U32 => T::from_f64(f64::INFINITY), // saturates to the type's maximum
        I16 | I32 => T::from_f64(f64::NEG_INFINITY),  // saturates to the type's minimum
    }
}

/// Maps destination pixel positions to fractional source pixel positions.
struct PixelMapper {
    dst: GeoTransform,
    src: GeoTransform,
    crs: Option<CrsTransform>,
}

/// Interpolate source positions linearly along a row while the error at segment midpoints stays
/// below this many source pixels (GDAL's warper allows 0.125; we keep nearest-neighbour picks
/// exact except within 0.02 px of a cell edge).
const APPROX_MAX_ERROR_PX: f64 = 0.02;
const APPROX_STEP: usize = 16;

impl PixelMapper {
    fn new(src: &GridSpec, dst: &GridSpec) -> Result<Self, IoError> {
        let crs =
            match (&dst.crs, &src.crs) {
                (Some(d), Some(s)) if d != s => Some(CrsTransform::new(d, s)?),
                (Some(_), None) | (None, Some(_)) => return Err(IoError::Crs(
                    "one grid has a CRS and the other none; assign the missing CRS before aligning"
                        .into(),
                )),
                _ => None,
            };
        if src.transform.map_to_pixel(0.0, 0.0).is_none() {
            return Err(IoError::Crs("source geotransform is singular".into()));
        }
        Ok(PixelMapper {
            dst: dst.transform,
            src: src.transform,
            crs,
        })
    }

    fn exact(&self, col: f64, row: f64) -> (f64, f64) {
        let (x, y) = self.dst.pixel_to_map(col, row);
        let (x, y) = match &self.crs {
            Some(t) => match t.transform(x, y) {
                Ok(p) => p,
                Err(_) => return (f64::NAN, f64::NAN),
            },
            None => (x, y),
        };
        self.src.map_to_pixel(x, y).unwrap_or((f64::NAN, f64::NAN))
    }

    /// Source positions of `(col_offset + c, row)` for `c` in `0..n`.
    fn row_positions(&self, row: f64, col_offset: f64, n: usize) -> Vec<(f64, f64)> {
        if self.crs.is_none() {
            // Affine to affine: exact and cheap.
            return (0..n)
                .map(|c| self.exact(c as f64 + col_offset, row))
                .collect();
        }
        let mut out = vec![(f64::NAN, f64::NAN); n];
        let mut start = 0;
        while start < n {
            let end = (start + APPROX_STEP).min(n - 1);
            let a = self.exact(start as f64 + col_offset, row);
            let b = self.exact(end as f64 + col_offset, row);
            let mid = (start + end) / 2;
            let m = self.exact(mid as f64 + col_offset, row);
            let len = (end - start).max(1) as f64;
            let lerp = |c: usize| {
                let t = (c - start) as f64 / len;
                (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
            };
            let lm = lerp(mid);
            let ok = [a, b, m].iter().all(|p| p.0.is_finite() && p.1.is_finite())
                && (lm.0 - m.0).abs() <= APPROX_MAX_ERROR_PX
                && (lm.1 - m.1).abs() <= APPROX_MAX_ERROR_PX;
            for (c, slot) in out.iter_mut().enumerate().take(end + 1).skip(start) {
                *slot = if ok {
                    lerp(c)
                } else {
                    self.exact(c as f64 + col_offset, row)
                };
            }
            if end == n - 1 {
                break;
            }
            start = end;
        }
        out
    }
}

#[inline]
fn valid<T: Cell>(src: &Grid<T>, col: i64, row: i64) -> Option<T> {
    src.get_checked(col, row).filter(|v| !src.is_nodata(*v))
}

fn sample_nearest<T: Cell>(src: &Grid<T>, sx: f64, sy: f64) -> Option<T> {
    if !(sx >= 0.0 && sy >= 0.0) {
        return None;
    }
    valid(src, sx.floor() as i64, sy.floor() as i64)
}

fn sample_bilinear<T: Cell>(src: &Grid<T>, sx: f64, sy: f64) -> Option<T> {
    if !(sx >= 0.0 && sy >= 0.0 && sx < src.width as f64 && sy < src.height as f64) {
        return None;
    }
    let (fx, fy) = (sx - 0.5, sy - 0.5);
    let (c0, r0) = (fx.floor() as i64, fy.floor() as i64);
    let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
    let mut sum = 0.0;
    let mut wsum = 0.0;
    for (dc, dr, w) in [
        (0, 0, (1.0 - tx) * (1.0 - ty)),
        (1, 0, tx * (1.0 - ty)),
        (0, 1, (1.0 - tx) * ty),
        (1, 1, tx * ty),
    ] {
        if w <= 0.0 {
            continue;
        }
        if let Some(v) = valid(src, c0 + dc, r0 + dr) {
            sum += w * v.to_f64();
            wsum += w;
        }
    }
    if wsum <= 0.0 {
        return None;
    }
    let v = sum / wsum;
    Some(if T::TYPE.is_float() {
        T::from_f64(v)
    } else {
        T::from_f64(v.round())
    })
}

fn sample_area<T: Cell>(
    src: &Grid<T>,
    corners: &[(f64, f64); 4],
    method: Resampling,
    scratch: &mut Vec<(f64, f64)>,
) -> Option<T> {
    if corners
        .iter()
        .any(|p| !(p.0.is_finite() && p.1.is_finite()))
    {
        return None;
    }
    let x0 = corners
        .iter()
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min)
        .max(0.0);
    let x1 = corners
        .iter()
        .map(|p| p.0)
        .fold(f64::NEG_INFINITY, f64::max)
        .min(src.width as f64);
    let y0 = corners
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .max(0.0);
    let y1 = corners
        .iter()
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max)
        .min(src.height as f64);
    if !(x1 > x0 && y1 > y0) {
        return None;
    }
    scratch.clear();
    let (mut sum, mut wsum) = (0.0, 0.0);
    for r in (y0.floor() as usize)..(y1.ceil() as usize) {
        let wy = (y1.min(r as f64 + 1.0) - y0.max(r as f64)).max(0.0);
        if wy <= 1e-12 {
            continue;
        }
        for c in (x0.floor() as usize)..(x1.ceil() as usize) {
            let wx = (x1.min(c as f64 + 1.0) - x0.max(c as f64)).max(0.0);
            let w = wx * wy;
            if w <= 1e-12 {
                continue;
            }
            let v = src.get(c, r);
            if src.is_nodata(v) {
                continue;
            }
            match method {
                Resampling::Average => {
                    sum += w * v.to_f64();
                    wsum += w;
                }
                _ => scratch.push((v.to_f64(), w)),
            }
        }
    }
    match method {
        Resampling::Average => {
            if wsum <= 0.0 {
                return None;
            }
            let v = sum / wsum;
            Some(if T::TYPE.is_float() {
                T::from_f64(v)
            } else {
                T::from_f64(v.round())
            })
        }
        _ => {
            if scratch.is_empty() {
                return None;
            }
            scratch.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (mut best, mut best_w) = (scratch[0].0, 0.0);
            let mut i = 0;
            while i < scratch.len() {
                let value = scratch[i].0;
                let mut w = 0.0;
                while i < scratch.len() && scratch[i].0 == value {
                    w += scratch[i].1;
                    i += 1;
                }
                // Strictly greater keeps the smaller value on ties (values are ascending).
                if w > best_w + 1e-12 {
                    best = value;
                    best_w = w;
                }
            }
            Some(T::from_f64(best))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::NoProgress;

    fn grid(w: usize, h: usize, cell: f64, data: Vec<f32>) -> Grid<f32> {
        Grid::from_vec(
            &GridSpec::new(
                w,
                h,
                GeoTransform::north_up(0.0, h as f64 * cell, cell),
                Some(Crs::Epsg(4547)),
            ),
            data,
            None,
        )
        .unwrap()
    }

    #[test]
    fn same_grid_is_identity_for_every_method() {
        let g = grid(5, 4, 30.0, (0..20).map(|v| v as f32).collect());
        for m in [
            Resampling::Nearest,
            Resampling::Bilinear,
            Resampling::Average,
            Resampling::Mode,
        ] {
            let out = warp_grid(&g, &g.spec(), m, &NoProgress).unwrap();
            assert_eq!(out.data, g.data, "{m:?}");
        }
    }

    #[test]
    fn coarsening_by_two_averages_and_takes_the_mode() {
        let g = grid(4, 2, 30.0, vec![1.0, 3.0, 7.0, 7.0, 5.0, 7.0, 2.0, 7.0]);
        let coarse = GridSpec::new(
            2,
            1,
            GeoTransform::north_up(0.0, 60.0, 60.0),
            Some(Crs::Epsg(4547)),
        );
        let avg = warp_grid(&g, &coarse, Resampling::Average, &NoProgress).unwrap();
        assert_eq!(avg.data, vec![4.0, 5.75]);
        let mode = warp_grid(&g, &coarse, Resampling::Mode, &NoProgress).unwrap();
        assert_eq!(mode.data, vec![1.0, 7.0]); // tie 1,3,5,7 → smallest
        let near = warp_grid(&g, &coarse, Resampling::Nearest, &NoProgress).unwrap();
        // Centre of the coarse cell falls on the corner shared by four source cells: GDAL takes the lower-right one.
        assert_eq!(near.data, vec![7.0, 7.0]);
    }

    #[test]
    fn nodata_does_not_contribute_and_outside_is_nodata() {
        let mut g = grid(2, 1, 30.0, vec![-1.0, 4.0]);
        g.nodata = Some(-1.0);
        let wider = GridSpec::new(
            2,
            1,
            GeoTransform::north_up(0.0, 30.0, 60.0),
            Some(Crs::Epsg(4547)),
        );
        let avg = warp_grid(&g, &wider, Resampling::Average, &NoProgress).unwrap();
        assert_eq!(avg.data, vec![4.0, -1.0]);
        assert_eq!(avg.nodata, Some(-1.0));
        let u: Grid<u8> = Grid::from_vec(
            &GridSpec::new(1, 1, GeoTransform::north_up(0.0, 30.0, 30.0), None),
            vec![3],
            None,
        )
        .unwrap();
        let out = warp_grid(
            &u,
            &GridSpec::new(2, 1, GeoTransform::north_up(0.0, 30.0, 30.0), None),
            Resampling::Nearest,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(out.data, vec![3, 255]);
        assert_eq!(out.nodata, Some(255));
    }

    #[test]
    fn snapped_grids_align() {
        let a = snapped_grid((100.0, 200.0, 1000.0, 950.0), 30.0, None).unwrap();
        assert_eq!((a.transform.x0, a.transform.y0), (90.0, 960.0));
        assert_eq!((a.width, a.height), (31, 26));
        let b = snapped_grid((401.0, 13.0, 2000.0, 700.0), 30.0, None).unwrap();
        assert!(a.transform.is_grid_aligned_with(&b.transform, 1e-9));
        assert!(snapped_grid((0.0, 0.0, 1.0, 1.0), 0.0, None).is_err());
    }

    #[test]
    fn reprojection_geographic_to_gauss_kruger_keeps_values_in_place() {
        // A 0.1° lon/lat grid whose value encodes the column; after reprojection each GK cell must
        // carry the column of the lon/lat cell its centre falls in.
        let spec = GridSpec::new(
            20,
            10,
            GeoTransform::north_up(113.0, 40.5, 0.01),
            Some(Crs::Epsg(4490)),
        );
        let data: Vec<f32> = (0..200).map(|i| (i % 20) as f32).collect();
        let src = Grid::from_vec(&spec, data, None).unwrap();
        let t = CrsTransform::new(&Crs::Epsg(4490), &Crs::Epsg(4547)).unwrap();
        let b = t.transform_bounds((113.02, 40.42, 113.18, 40.48)).unwrap();
        let dst = snapped_grid(b, 100.0, Some(Crs::Epsg(4547))).unwrap();
        let out = warp_grid(&src, &dst, Resampling::Nearest, &NoProgress).unwrap();
        let back = CrsTransform::new(&Crs::Epsg(4547), &Crs::Epsg(4490)).unwrap();
        let mut checked = 0;
        for r in 0..dst.height {
            for c in 0..dst.width {
                let (x, y) = dst.transform.cell_center(c, r);
                let (lon, _) = back.transform(x, y).unwrap();
                let col = ((lon - 113.0) / 0.01).floor();
                let frac = (lon - 113.0) / 0.01 - col;
                if frac > 0.01 && frac < 0.99 {
                    assert_eq!(out.get(c, r), col as f32, "cell ({c},{r})");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100);
    }
}
