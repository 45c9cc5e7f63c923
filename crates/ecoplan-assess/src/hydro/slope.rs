//! Slope and aspect from a 3×3 window (Horn 1981 weights).
//!
//! [`slope_percent`] reproduces pygeoprocessing `calculate_slope` (what InVEST SDR uses): Horn's
//! finite differences, with edge and nodata neighbours replaced by one-sided differences, so every
//! valid pixel gets a slope. [`slope_percent_horn`] is GDAL `gdaldem slope` (edges computed with
//! `-compute_edges`-like mirroring off; nodata where the window is incomplete).

use super::like;
use ecoplan_grid::{Grid, Progress};
use rayon::prelude::*;

/// Nodata of slope outputs (float32 minimum, as pygeoprocessing).
pub const SLOPE_NODATA: f32 = f32::MIN;

const R2: f64 = std::f64::consts::SQRT_2;

/// Percent slope like pygeoprocessing `calculate_slope` (float32 output, [`SLOPE_NODATA`]).
pub fn slope_percent(dem: &Grid<f64>, progress: &dyn Progress) -> Grid<f32> {
    let (w, h) = (dem.width, dem.height);
    let xs = dem.transform.dx.abs();
    let ys = dem.transform.dy.abs();
    progress.begin("坡度 slope", h as u64);
    let at = |c: isize, r: isize| -> Option<f64> {
        if c < 0 || r < 0 || c as usize >= w || r as usize >= h {
            return None;
        }
        let v = dem.data[r as usize * w + c as usize];
        if dem.is_nodata(v) {
            None
        } else {
            Some(v)
        }
    };
    let mut out = vec![SLOPE_NODATA; w * h];
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(r, row)| {
            let r = r as isize;
            for (c, o) in row.iter_mut().enumerate() {
                let c = c as isize;
                let Some(e) = at(c, r) else { continue };
                let a = at(c - 1, r - 1);
                let b = at(c, r - 1);
                let cc = at(c + 1, r - 1);
                let d = at(c - 1, r);
                let f = at(c + 1, r);
                let g = at(c - 1, r + 1);
                let hh = at(c, r + 1);
                let i = at(c + 1, r + 1);
                let (mut dzdx, mut xden) = (0.0f64, 0i32);
                let (mut dzdy, mut yden) = (0.0f64, 0i32);
                // one corner pair (p - q), falling back to half-pairs and the centre
                let pair = |acc: &mut f64,
                            den: &mut i32,
                            p: Option<f64>,
                            mid: Option<f64>,
                            q: Option<f64>| {
                    match (p, mid, q) {
                        (Some(p), _, Some(q)) => {
                            *acc += p - q;
                            *den += 2;
                        }
                        (Some(p), Some(m), None) => {
                            *acc += p - m;
                            *den += 1;
                        }
                        (None, Some(m), Some(q)) => {
                            *acc += m - q;
                            *den += 1;
                        }
                        (Some(p), None, None) => {
                            *acc += (p - e) * R2;
                            *den += 1;
                        }
                        (None, None, Some(q)) => {
                            *acc += (e - q) * R2;
                            *den += 1;
                        }
                        (None, _, None) => {}
                    }
                };
                pair(&mut dzdx, &mut xden, a, b, cc);
                match (d, f) {
                    (Some(d), Some(f)) => {
                        dzdx += 2.0 * (d - f);
                        xden += 4;
                    }
                    (Some(d), None) => {
                        dzdx += 2.0 * (d - e);
                        xden += 2;
                    }
                    (None, Some(f)) => {
                        dzdx += 2.0 * (e - f);
                        xden += 2;
                    }
                    _ => {}
                }
                pair(&mut dzdx, &mut xden, g, hh, i);
                pair(&mut dzdy, &mut yden, a, d, g);
                match (b, hh) {
                    (Some(b), Some(hv)) => {
                        dzdy += 2.0 * (b - hv);
                        yden += 4;
                    }
                    (Some(b), None) => {
                        dzdy += 2.0 * (b - e);
                        yden += 2;
                    }
                    (None, Some(hv)) => {
                        dzdy += 2.0 * (e - hv);
                        yden += 2;
                    }
                    _ => {}
                }
                pair(&mut dzdy, &mut yden, cc, f, i);
                let gx = if xden != 0 {
                    dzdx / (xden as f64 * xs)
                } else {
                    0.0
                };
                let gy = if yden != 0 {
                    dzdy / (yden as f64 * ys)
                } else {
                    0.0
                };
                *o = (100.0 * (gx * gx + gy * gy).sqrt()) as f32;
            }
        });
    progress.finish();
    like(dem, out, Some(SLOPE_NODATA))
}

fn horn_gradient(dem: &Grid<f64>, c: usize, r: usize) -> Option<(f64, f64)> {
    let (w, h) = (dem.width, dem.height);
    if c == 0 || r == 0 || c + 1 >= w || r + 1 >= h {
        return None;
    }
    let mut z = [0.0f64; 9];
    for (k, zk) in z.iter_mut().enumerate() {
        let v = dem.data[(r + k / 3 - 1) * w + c + k % 3 - 1];
        if dem.is_nodata(v) {
            return None;
        }
        *zk = v;
    }
    let xs = dem.transform.dx.abs();
    let ys = dem.transform.dy.abs();
    let dzdx = ((z[2] + 2.0 * z[5] + z[8]) - (z[0] + 2.0 * z[3] + z[6])) / (8.0 * xs);
    // north-up: row index grows southwards, so dz/dy(north) = (top - bottom)
    let dzdy = ((z[0] + 2.0 * z[1] + z[2]) - (z[6] + 2.0 * z[7] + z[8])) / (8.0 * ys);
    Some((dzdx, dzdy))
}

/// Percent slope by Horn's method as GDAL `gdaldem slope -p` computes it; edge pixels and pixels
/// with a nodata neighbour are nodata.
pub fn slope_percent_horn(dem: &Grid<f64>) -> Grid<f32> {
    let w = dem.width;
    let data: Vec<f32> = (0..dem.data.len())
        .into_par_iter()
        .map(|i| match horn_gradient(dem, i % w, i / w) {
            Some((gx, gy)) => (100.0 * (gx * gx + gy * gy).sqrt()) as f32,
            None => SLOPE_NODATA,
        })
        .collect();
    like(dem, data, Some(SLOPE_NODATA))
}

/// Aspect in degrees clockwise from north (0–360; the direction the slope faces), GDAL's
/// convention; flat pixels get -9999 like `gdaldem aspect`, edges and nodata windows nodata.
pub fn aspect_degrees(dem: &Grid<f64>) -> Grid<f32> {
    let w = dem.width;
    let data: Vec<f32> = (0..dem.data.len())
        .into_par_iter()
        .map(|i| match horn_gradient(dem, i % w, i / w) {
            Some((gx, gy)) => {
                if gx == 0.0 && gy == 0.0 {
                    -9999.0
                } else {
                    // downslope direction: towards -gradient
                    let a = (-gx).atan2(-gy).to_degrees();
                    (if a < 0.0 { a + 360.0 } else { a }) as f32
                }
            }
            None => SLOPE_NODATA,
        })
        .collect();
    like(dem, data, Some(SLOPE_NODATA))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, GridSpec, NoProgress};

    fn plane(gx: f64, gy: f64) -> Grid<f64> {
        let spec = GridSpec::new(5, 5, GeoTransform::north_up(0.0, 150.0, 30.0), None);
        let data = (0..25)
            .map(|i| {
                let (c, r) = ((i % 5) as f64, (i / 5) as f64);
                100.0 + gx * 30.0 * c - gy * 30.0 * r
            })
            .collect();
        Grid::from_vec(&spec, data, None).unwrap()
    }

    #[test]
    fn slope_of_a_plane_everywhere_including_edges() {
        let g = plane(0.1, 0.0);
        let s = slope_percent(&g, &NoProgress);
        for v in &s.data {
            assert!((*v - 10.0).abs() < 1e-4, "{v}");
        }
        let s = slope_percent_horn(&g);
        assert!((s.get(2, 2) - 10.0).abs() < 1e-4);
        assert_eq!(s.get(0, 0), SLOPE_NODATA);
    }

    #[test]
    fn aspect_faces_downhill() {
        // rises to the east → faces west (270°)
        let a = aspect_degrees(&plane(0.1, 0.0));
        assert!((a.get(2, 2) - 270.0).abs() < 1e-4);
        // rises to the north → faces south (180°)
        let a = aspect_degrees(&plane(0.0, 0.1));
        assert!((a.get(2, 2) - 180.0).abs() < 1e-4);
    }
}
