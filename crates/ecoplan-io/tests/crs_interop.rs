//! CRS transformations and reprojection checked against PROJ (pyproj) and GDAL's warper
//! (rasterio), run through the Python at $ECOPLAN_PY.

use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_io::align::{snapped_grid, warp_grid, Resampling};
use ecoplan_io::crs::CrsTransform;
use std::process::Command;

/// The Python interpreter for interop checks, or `None` (test skipped) when it is not configured
/// and not required.
fn python() -> Option<String> {
    match std::env::var("ECOPLAN_PY") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
                panic!(
                    "ECOPLAN_PY is not set but ECOPLAN_REQUIRE_INTEROP=1: run ./scripts/test.sh"
                );
            }
            eprintln!("skipped: ECOPLAN_PY not set");
            None
        }
    }
}

fn run_python(py: &str, script: &str) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn transformations_agree_with_proj_within_a_millimetre() {
    let Some(py) = python() else { return };
    // (source, target, points in the source CRS): geographic → GK (with and without zone
    // prefix), → UTM, and back; points spread over each zone including its edges.
    let mut cases: Vec<(u32, u32, Vec<(f64, f64)>)> = Vec::new();
    let lonlat: Vec<(f64, f64)> = [
        (112.6, 39.9),
        (113.1, 40.1),
        (114.0, 40.0),
        (115.4, 41.2),
        (113.9, 36.1),
    ]
    .to_vec();
    for (src, dst) in [
        (4490, 4547),
        (4490, 4526),
        (4326, 32649),
        (4326, 32650),
        (4490, 4546),
        (4326, 4547),
    ] {
        cases.push((src, dst, lonlat.clone()));
    }
    let turpan: Vec<(f64, f64)> = vec![(88.5, 42.9), (89.2, 42.95), (90.7, 43.3)];
    cases.push((4490, 4539, turpan.clone()));
    cases.push((4490, 4521, turpan));
    let gk: Vec<(f64, f64)> = vec![
        (420_000.0, 4_440_000.0),
        (500_000.0, 4_500_000.0),
        (610_000.0, 4_380_000.0),
    ];
    cases.push((4547, 4490, gk.clone()));
    cases.push((4547, 32649, gk));

    let mut script = String::from("from pyproj import Transformer\n");
    for (src, dst, pts) in &cases {
        script += &format!(
            "t = Transformer.from_crs('EPSG:{src}', 'EPSG:{dst}', always_xy=True)\nfor x, y in {pts:?}:\n    a, b = t.transform(x, y)\n    print(repr(a), repr(b))\n"
        );
    }
    let out = run_python(&py, &script);
    let mut expected = out.lines().map(|l| {
        let mut it = l.split_whitespace().map(|v| v.parse::<f64>().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    });
    for (src, dst, pts) in &cases {
        let t = CrsTransform::new(&Crs::Epsg(*src), &Crs::Epsg(*dst)).unwrap();
        let geographic_out = matches!(dst, 4326 | 4490);
        for &(x, y) in pts {
            let (ex, ey) = expected.next().unwrap();
            let (ax, ay) = t.transform(x, y).unwrap();
            // 1 mm; in degrees 1e-8° is about 1 mm.
            let tol = if geographic_out { 1e-8 } else { 1e-3 };
            assert!(
                (ax - ex).abs() < tol && (ay - ey).abs() < tol,
                "EPSG:{src}→{dst} ({x}, {y}): ours ({ax}, {ay}) PROJ ({ex}, {ey})"
            );
        }
    }
}

/// A smooth field over the source grid, so bilinear results are comparable.
fn field(c: usize, r: usize) -> f32 {
    let (x, y) = (c as f32, r as f32);
    100.0 + 20.0 * (x / 7.0).sin() + 15.0 * (y / 5.0).cos() + 0.3 * x
}

#[test]
fn reprojection_agrees_with_gdal_warp() {
    let Some(py) = python() else { return };
    let (w, h) = (120usize, 90usize);
    let src_t = GeoTransform::north_up(112.9, 40.3, 0.002);
    let src_spec = GridSpec::new(w, h, src_t, Some(Crs::Epsg(4326)));
    let data: Vec<f32> = (0..w * h).map(|i| field(i % w, i / w)).collect();
    let src = Grid::from_vec(&src_spec, data, Some(-9999.0)).unwrap();
    let t = CrsTransform::new(&Crs::Epsg(4326), &Crs::Epsg(4547)).unwrap();
    let b = t.transform_bounds(src_spec.transform.bounds(w, h)).unwrap();
    let dst = snapped_grid(b, 150.0, Some(Crs::Epsg(4547))).unwrap();
    let dir = tempfile::tempdir().unwrap();

    for (method, gdal_name) in [
        (Resampling::Nearest, "nearest"),
        (Resampling::Bilinear, "bilinear"),
        (Resampling::Average, "average"),
    ] {
        let ours = warp_grid(&src, &dst, method, &NoProgress).unwrap();
        let out_path = dir.path().join(format!("{gdal_name}.f32"));
        let d = dst.transform;
        let script = format!(
            r#"
import numpy as np, rasterio
from rasterio.warp import reproject, Resampling
from affine import Affine
w, h = {w}, {h}
c, r = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
src = (100.0 + 20.0*np.sin(c/7.0) + 15.0*np.cos(r/5.0) + 0.3*c).astype(np.float32)
dst = np.full(({dh}, {dw}), -9999.0, dtype=np.float32)
reproject(src, dst, src_transform=Affine({sdx}, 0, {sx0}, 0, {sdy}, {sy0}), src_crs='EPSG:4326', src_nodata=-9999.0,
          dst_transform=Affine({ddx}, 0, {dx0}, 0, {ddy}, {dy0}), dst_crs='EPSG:4547', dst_nodata=-9999.0,
          resampling=Resampling.{gdal_name})
dst.astype('<f4').tofile(r'{out}')
"#,
            dw = dst.width,
            dh = dst.height,
            sdx = src_t.dx,
            sx0 = src_t.x0,
            sdy = src_t.dy,
            sy0 = src_t.y0,
            ddx = d.dx,
            dx0 = d.x0,
            ddy = d.dy,
            dy0 = d.y0,
            out = out_path.display()
        );
        run_python(&py, &script);
        let bytes = std::fs::read(&out_path).unwrap();
        let gdal: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(gdal.len(), ours.data.len());
        let (mut both, mut same_validity, mut max_diff, mut equal) = (0usize, 0usize, 0f32, 0usize);
        let back = CrsTransform::new(&Crs::Epsg(4547), &Crs::Epsg(4326)).unwrap();
        for (i, (g, o)) in gdal.iter().zip(&ours.data).enumerate() {
            let gv = *g != -9999.0;
            let ov = *o != -9999.0;
            if gv == ov {
                same_validity += 1;
            }
            if gv && ov {
                both += 1;
                max_diff = max_diff.max((g - o).abs());
                // The field is computed in f32 by numpy and by Rust: allow their rounding differences.
                if (g - o).abs() < 1e-3 {
                    equal += 1;
                } else if method == Resampling::Nearest {
                    // A different pick is allowed only where the exact source position lies within
                    // GDAL's 0.125-px approximation of a source cell edge.
                    let (x, y) = d.cell_center(i % dst.width, i / dst.width);
                    let (lon, lat) = back.transform(x, y).unwrap();
                    let (sc, sr) = src_t.map_to_pixel(lon, lat).unwrap();
                    let edge = |v: f64| (v - v.round()).abs();
                    assert!(edge(sc).min(edge(sr)) < 0.15, "nearest differs at cell {i} far from an edge ({sc}, {sr}): gdal {g} ours {o}");
                }
            }
        }
        let n = gdal.len();
        // Edge cells may differ in validity where a footprint only grazes the source.
        assert!(
            same_validity as f64 >= 0.99 * n as f64,
            "{gdal_name}: validity agrees on {same_validity}/{n}"
        );
        assert!(
            both > n / 2,
            "{gdal_name}: too few valid cells ({both}/{n})"
        );
        match method {
            // Nearest: identical except where a centre sits within GDAL's 0.125-px approximation of a cell edge.
            Resampling::Nearest => assert!(
                equal as f64 >= 0.95 * both as f64,
                "nearest: {equal}/{both} equal"
            ),
            // The field changes by at most ~3.3 per source cell; bilinear differences come only from
            // the approximate transformer's sub-pixel positions.
            Resampling::Bilinear => assert!(max_diff < 0.15, "bilinear: max |Δ| {max_diff}"),
            _ => assert!(max_diff < 0.3, "average: max |Δ| {max_diff}"),
        }
        eprintln!("{gdal_name}: {equal}/{both} equal, max |Δ| {max_diff}");
    }
}
