//! Shared helpers of the conformance tests: fixture loading and grid comparison.
#![allow(dead_code)]

use ecoplan_grid::{AnyGrid, Cell, Grid};
use std::path::{Path, PathBuf};

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

pub fn read(path: &Path) -> AnyGrid {
    ecoplan_io::ascii::read_ascii(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Float32 values as f32 grid (ASCII fixtures hold the shortest float32 text).
pub fn read_f32(path: &Path) -> Grid<f32> {
    read(path).to_f32()
}

/// DEM as natcap.invest/pygeoprocessing see it: float32 values carried in f64.
pub fn read_dem(path: &Path) -> Grid<f64> {
    let g = read(path).to_f32();
    g.cast::<f64>(Some(f64::NAN))
}

pub fn read_i32(path: &Path) -> Grid<i32> {
    ecoplan_assess::invest::lulc_from_any(&read(path))
}

/// Summary of a comparison.
#[derive(Debug)]
pub struct Diff {
    pub compared: usize,
    pub nodata_mismatch: usize,
    pub over_tol: usize,
    pub max_abs: f64,
    pub first: Vec<String>,
}

/// Compares `actual` with the `expected` grid: both nodata, or |a − e| ≤ abs_tol + rel_tol·|e|.
pub fn compare<T: Cell>(actual: &Grid<T>, expected: &AnyGrid, abs_tol: f64, rel_tol: f64) -> Diff {
    assert_eq!(
        (actual.width, actual.height),
        (expected.width(), expected.height())
    );
    let mut d = Diff {
        compared: 0,
        nodata_mismatch: 0,
        over_tol: 0,
        max_abs: 0.0,
        first: Vec::new(),
    };
    for i in 0..actual.data.len() {
        let a = actual.data[i];
        let a_nd = actual.is_nodata(a);
        let e = expected.value_f64(i);
        match (a_nd, e) {
            (true, None) => {}
            (false, Some(e)) => {
                d.compared += 1;
                let diff = (a.to_f64() - e).abs();
                if diff > d.max_abs {
                    d.max_abs = diff;
                }
                if !(diff <= abs_tol + rel_tol * e.abs()) {
                    d.over_tol += 1;
                    if d.first.len() < 8 {
                        d.first.push(format!(
                            "cell {} (col {}, row {}): ours {} expected {}",
                            i,
                            i % actual.width,
                            i / actual.width,
                            a.to_f64(),
                            e
                        ));
                    }
                }
            }
            _ => {
                d.nodata_mismatch += 1;
                if d.first.len() < 8 {
                    d.first.push(format!(
                        "cell {} (col {}, row {}): ours {:?} expected {:?}",
                        i,
                        i % actual.width,
                        i / actual.width,
                        if a_nd { None } else { Some(a.to_f64()) },
                        e
                    ));
                }
            }
        }
    }
    d
}

pub fn assert_close<T: Cell>(
    what: &str,
    actual: &Grid<T>,
    expected: &AnyGrid,
    abs_tol: f64,
    rel_tol: f64,
) {
    let d = compare(actual, expected, abs_tol, rel_tol);
    assert!(d.compared > 0, "{what}: nothing to compare");
    assert!(
        d.nodata_mismatch == 0 && d.over_tol == 0,
        "{what}: {} nodata mismatches, {} of {} cells over tolerance (max |diff| {}):\n{}",
        d.nodata_mismatch,
        d.over_tol,
        d.compared,
        d.max_abs,
        d.first.join("\n")
    );
}

/// Parses a small CSV into (header, rows).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let t = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tab = ecoplan_assess::table::Table::parse(&path.display().to_string(), &t).unwrap();
    (
        tab.headers,
        tab.rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| c.trim_matches('"').to_string())
                    .collect()
            })
            .collect(),
    )
}
