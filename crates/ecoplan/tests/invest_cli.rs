//! `ecoplan invest` end to end against natcap.invest 3.20.2 outputs (the fixtures of
//! crates/ecoplan-assess/tests/data/invest, made by scripts/invest_fixtures/make_fixtures.py):
//! the CLI streams its outputs band by band (and water yield reads its inputs by windows), so
//! these runs check that wiring — file names, nodata, values within 1e-4 per pixel, tables.
//! Carbon and water yield are per-pixel models: their inputs are tiled 2 × 2 (320 × 320 cells,
//! more than one 256-row band) and compared with the tiled expected outputs.

use ecoplan_grid::{AnyGrid, Grid};
use ecoplan_io::raster::{read_raster, write_raster, WriteOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(model: &str, case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ecoplan-assess/tests/data/invest")
        .join(model)
        .join(case)
}

fn run(model: &str, args: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_ecoplan"))
        .args(["invest", model])
        .arg(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ecoplan invest {model} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `g` repeated 2 × 2 (same georeferencing origin, twice the size).
fn tile2(g: &AnyGrid) -> AnyGrid {
    fn t<T: ecoplan_grid::Cell>(g: &Grid<T>) -> Grid<T> {
        let (w, h) = (g.width, g.height);
        let data = (0..4 * w * h)
            .map(|i| {
                let (r, c) = (i / (2 * w), i % (2 * w));
                g.data[(r % h) * w + c % w]
            })
            .collect();
        Grid {
            width: 2 * w,
            height: 2 * h,
            data,
            ..g.clone()
        }
    }
    ecoplan_grid::with_any_grid!(g, g => AnyGrid::from(t(g)))
}

/// Every cell within `tol` + 2e-6 relative (nodata where the expected grid has nodata). The
/// relative part is float32 precision of large values (NPV ~10⁴, AET ~500 mm); the library
/// conformance tests (crates/ecoplan-assess/tests/invest_conformance.rs) hold each output to
/// its own tighter bound — here the question is whether the CLI wrote the same numbers.
fn assert_close(name: &str, got: &Path, want: &AnyGrid, tol: f64) {
    let got = read_raster(got).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (got.width(), got.height()),
        (want.width(), want.height()),
        "{name}"
    );
    let (g, w) = (got.to_f64(), want.to_f64());
    let mut valid = 0;
    for (i, (a, b)) in g.data.iter().zip(&w.data).enumerate() {
        if b.is_nan() {
            assert!(
                a.is_nan(),
                "{name}: cell {i} is {a}, natcap.invest has nodata"
            );
        } else {
            valid += 1;
            assert!(
                (a - b).abs() <= tol + 2e-6 * b.abs(),
                "{name}: cell {i}: {a} vs natcap.invest {b}"
            );
        }
    }
    assert!(valid > 1000, "{name}: only {valid} valid cells");
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn carbon_streams_natcap_outputs() {
    let dir = fixture("carbon", "synth");
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("args.json")).unwrap()).unwrap();
    for key in ["lulc_bas_path", "lulc_alt_path"] {
        let g = read_raster(&dir.join(args[key].as_str().unwrap())).unwrap();
        let p = tmp.path().join(format!("{key}.tif"));
        write_raster(&p, &tile2(&g), &WriteOptions::default()).unwrap();
        args[key] = json!(p);
    }
    args["carbon_pools_path"] = json!(dir.join("carbon_pools.csv"));
    let ws = tmp.path().join("ws");
    args["workspace_dir"] = json!(ws);
    let a = tmp.path().join("args.json");
    std::fs::write(&a, args.to_string()).unwrap();
    run("carbon", &a);
    for name in [
        "c_storage_bas",
        "c_storage_alt",
        "c_change_bas_alt",
        "npv_alt",
    ] {
        let want = tile2(&read_raster(&dir.join(format!("expected/{name}.asc.gz"))).unwrap());
        assert_close(name, &ws.join(format!("{name}.tif")), &want, 1e-4);
    }
    // The per-pool intermediates sum to the storage.
    let pools: Vec<Grid<f64>> = ["c_above", "c_below", "c_soil", "c_dead"]
        .iter()
        .map(|p| {
            read_raster(&ws.join(format!("intermediate_outputs/{p}_bas.tif")))
                .unwrap()
                .to_f64()
        })
        .collect();
    // Codecs: final outputs deflate (every GIS reads it), intermediates zstd (fast) unless
    // --compress names one for all.
    let codec = |rel: &str| {
        ecoplan_io::raster::raster_info(&ws.join(rel))
            .unwrap()
            .compression
    };
    assert_eq!(codec("c_storage_bas.tif"), "DEFLATE");
    assert_eq!(codec("intermediate_outputs/c_above_bas.tif"), "ZSTD");
    let out = Command::new(env!("CARGO_BIN_EXE_ecoplan"))
        .args(["invest", "carbon", "--compress", "deflate", "--workspace"])
        .arg(tmp.path().join("ws_deflate"))
        .arg(&a)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = ecoplan_io::raster::raster_info(
        &tmp.path()
            .join("ws_deflate/intermediate_outputs/c_above_bas.tif"),
    )
    .unwrap();
    assert_eq!(info.compression, "DEFLATE");
    let storage = read_raster(&ws.join("c_storage_bas.tif")).unwrap().to_f64();
    for i in (0..storage.data.len()).step_by(97) {
        if !storage.data[i].is_nan() {
            let s: f64 = pools.iter().map(|g| g.data[i]).sum();
            assert!((s - storage.data[i]).abs() < 1e-3, "cell {i}");
        }
    }
    // Totals: four copies of natcap.invest's.
    let want =
        csv_rows(&std::fs::read_to_string(dir.join("expected/raster_values_summary.csv")).unwrap());
    let got = csv_rows(&std::fs::read_to_string(ws.join("raster_values_summary.csv")).unwrap());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g[0], w[0]);
        let (g1, w1): (f64, f64) = (g[1].parse().unwrap(), w[1].parse().unwrap());
        assert!(
            (g1 - 4.0 * w1).abs() <= 1e-6 * w1.abs() + 0.05,
            "{}: {g1} vs 4 × {w1}",
            g[0]
        );
    }
}

#[test]
fn water_yield_reads_by_windows_and_streams_natcap_outputs() {
    let dir = fixture("annual_water_yield", "synth");
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("args.json")).unwrap()).unwrap();
    // GeoTIFF inputs in 64-cell tiles: the 256-row bands cut across several tile rows.
    let tiles = WriteOptions {
        tile_size: Some(64),
        ..Default::default()
    };
    for key in [
        "lulc_path",
        "depth_to_root_rest_layer_path",
        "precipitation_path",
        "pawc_path",
        "eto_path",
        "watersheds_path",
        "sub_watersheds_path",
    ] {
        let g = read_raster(&dir.join(args[key].as_str().unwrap())).unwrap();
        let p = tmp.path().join(format!("{key}.tif"));
        write_raster(&p, &tile2(&g), &tiles).unwrap();
        args[key] = json!(p);
    }
    args["biophysical_table_path"] = json!(dir.join("biophysical.csv"));
    let ws = tmp.path().join("ws");
    args["workspace_dir"] = json!(ws);
    let a = tmp.path().join("args.json");
    std::fs::write(&a, args.to_string()).unwrap();
    run("annual_water_yield", &a);
    // aet and wyield = fractp·P and (1 − fractp)·P: natcap.invest's own float32 noise is a few
    // ulps of fractp times P (P ≤ ~1000 mm here), as in the library conformance test.
    for (name, tol) in [("fractp", 1e-4), ("aet", 5e-4), ("wyield", 5e-4)] {
        let want = tile2(&read_raster(&dir.join(format!("expected/{name}.asc.gz"))).unwrap());
        assert_close(
            name,
            &ws.join(format!("output/per_pixel/{name}.tif")),
            &want,
            tol,
        );
    }
    assert!(ws.join("intermediate/pet.tif").exists());
    // Each zone appears four times: same means, four times the volume.
    for table in ["watershed_results_wyield", "subwatershed_results_wyield"] {
        let want =
            csv_rows(&std::fs::read_to_string(dir.join(format!("expected/{table}.csv"))).unwrap());
        let got =
            csv_rows(&std::fs::read_to_string(ws.join(format!("output/{table}.csv"))).unwrap());
        assert_eq!(got.len(), want.len(), "{table}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g[0], w[0], "{table}");
            for k in 1..6 {
                let (gv, wv): (f64, f64) = (g[k].parse().unwrap(), w[k].parse().unwrap());
                let wv = if k == 5 { 4.0 * wv } else { wv };
                assert!(
                    (gv - wv).abs() <= 1e-5 * wv.abs() + 1e-4,
                    "{table} zone {} column {k}: {gv} vs {wv}",
                    g[0]
                );
            }
        }
    }
}

#[test]
fn habitat_quality_loads_threats_one_at_a_time_and_matches_natcap() {
    let dir = fixture("habitat_quality", "synth");
    let tmp = tempfile::tempdir().unwrap();
    let mut args: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("args.json")).unwrap()).unwrap();
    let ws = tmp.path().join("ws");
    args["workspace_dir"] = json!(ws);
    // Paths stay relative to the fixture folder (threat paths are relative to threats.csv).
    for key in [
        "lulc_cur_path",
        "threats_table_path",
        "sensitivity_table_path",
    ] {
        args[key] = json!(dir.join(args[key].as_str().unwrap()));
    }
    let a = tmp.path().join("args.json");
    std::fs::write(&a, args.to_string()).unwrap();
    run("habitat_quality", &a);
    for name in ["deg_sum_c", "quality_c"] {
        let want = read_raster(&dir.join(format!("expected/{name}.asc.gz"))).unwrap();
        assert_close(name, &ws.join(format!("{name}.tif")), &want, 1e-4);
    }
}
