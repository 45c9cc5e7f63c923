//! Times one reprojection of an N×N lon/lat grid onto 30 m Gauss–Krüger (EPSG:4547), for
//! bench/align_vs_gdal.sh, which runs GDAL's warper on the identical grid in the same run.
//! Usage: warp_timing N METHOD   (prints `@@RESULT@@ {"seconds": …, "cells": …, "mean": …}`)

use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_io::align::{snapped_grid, warp_grid, Resampling};
use ecoplan_io::crs::CrsTransform;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(4000);
    let method: Resampling = args
        .get(2)
        .map(|m| m.parse().expect("method"))
        .unwrap_or(Resampling::Bilinear);
    let spec = GridSpec::new(
        n,
        n,
        GeoTransform::north_up(112.5, 40.5, 0.0003),
        Some(Crs::Epsg(4490)),
    );
    let data: Vec<f32> = (0..n * n)
        .map(|i| ((i % n) as f32 * 0.01).sin() + ((i / n) as f32 * 0.02).cos())
        .collect();
    let src = Grid::from_vec(&spec, data, Some(-9999.0)).unwrap();
    let t = CrsTransform::new(&Crs::Epsg(4490), &Crs::Epsg(4547)).unwrap();
    let b = t.transform_bounds(spec.transform.bounds(n, n)).unwrap();
    let dst = snapped_grid(b, 30.0, Some(Crs::Epsg(4547))).unwrap();
    let start = std::time::Instant::now();
    let out = warp_grid(&src, &dst, method, &NoProgress).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let s = out.stats().unwrap();
    println!(
        "@@RESULT@@ {{\"seconds\": {secs:.4}, \"cells\": {}, \"valid\": {}, \"mean\": {:.6}, \"grid\": [{}, {}, {}, {}]}}",
        dst.len(),
        s.count,
        s.mean(),
        dst.width,
        dst.height,
        dst.transform.x0,
        dst.transform.y0
    );
}
