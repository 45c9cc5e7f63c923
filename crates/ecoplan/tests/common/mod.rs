//! Helpers of the CLI integration tests: run the built binary, make small inputs.
#![allow(dead_code)]

use ecoplan_grid::{AnyGrid, Crs, GeoTransform, Grid, GridSpec};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecoplan"))
}

/// Runs `ecoplan args…`; returns (exit code, stdout, stderr). A panic (code 101) fails the test.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out: Output = bin().args(args).output().expect("run ecoplan");
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "ecoplan panicked on {args:?}:\n{stderr}");
    (code, stdout, stderr)
}

/// Runs and requires success.
pub fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "ecoplan {args:?} failed:\n{out}\n{err}");
    out
}

pub fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).expect("JSON output")
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A 20×15 grid of 30 m cells in EPSG:4547 near 云冈区: value = row·100 + col as f32, with one
/// nodata cell (−9999) at (3, 2).
pub fn sample_f32() -> Grid<f32> {
    let spec = GridSpec::new(
        20,
        15,
        GeoTransform::north_up(420_000.0, 4_430_460.0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    let mut data: Vec<f32> = (0..spec.len())
        .map(|i| ((i / 20) * 100 + i % 20) as f32)
        .collect();
    data[2 * 20 + 3] = -9999.0;
    Grid::from_vec(&spec, data, Some(-9999.0)).unwrap()
}

/// Classes on the same grid: 1 in the left half, 2 in the right half, 0 (nodata) in row 0.
pub fn sample_classes() -> Grid<u8> {
    let spec = sample_f32().spec();
    let data: Vec<u8> = (0..spec.len())
        .map(|i| {
            if i < 20 {
                0
            } else if i % 20 < 10 {
                1
            } else {
                2
            }
        })
        .collect();
    Grid::from_vec(&spec, data, Some(0)).unwrap()
}

pub fn write_tif(path: &Path, g: impl Into<AnyGrid>) {
    ecoplan_io::raster::write_raster(path, &g.into(), &Default::default()).unwrap();
}

/// A square polygon covering cells cols 2..7, rows 3..7 of the sample grid exactly (5×4 = 20
/// cell centres), with attributes `id` = 7 and `name` = "甲".
pub fn square_geojson(path: &Path) {
    let (x0, y0) = (420_000.0 + 2.0 * 30.0, 4_430_460.0 - 3.0 * 30.0);
    let (x1, y1) = (x0 + 5.0 * 30.0, y0 - 4.0 * 30.0);
    let text = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::4547"}}}},
"features":[{{"type":"Feature","properties":{{"id":7,"name":"甲"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#
    );
    std::fs::write(path, text).unwrap();
}
