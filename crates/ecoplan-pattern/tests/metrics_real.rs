//! Landscape metrics on real rasters without FRAGSTATS tables: augusta_nlcd (NLCD, 440×678 at
//! 30 m, FRAGSTATS reports 17,141 patches) and podlasie (ESA CCI land cover in degrees). Checks
//! that nothing panics and values are sane; with `ECOPLAN_PY` set, compares 10 class and 11
//! landscape metrics with pylandstats on augusta.

use ecoplan_grid::{AnyGrid, NoProgress};
use ecoplan_pattern::metrics::{landscape_metrics, Level, MetricsParams, MetricsTable};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/landscapemetrics")
        .join(name)
}

fn metrics_of(name: &str) -> MetricsTable {
    let g = ecoplan_io::ascii::read_ascii(&data(name)).unwrap();
    match g {
        AnyGrid::I32(g) => landscape_metrics(&g, &MetricsParams::default(), &NoProgress).unwrap(),
        other => panic!("unexpected {:?}", other.cell_type()),
    }
}

/// `metric_units`: lengths are metres (FRAC depends on the unit and is only bounded then).
fn sane(t: &MetricsTable, metric_units: bool) {
    for v in &t.values {
        assert!(!v.value.is_infinite(), "{v:?}");
        let bounded_pct = [
            "pland", "lpi", "pladj", "ai", "cpland", "cai", "contag", "iji",
        ];
        if bounded_pct.contains(&v.metric) && v.value.is_finite() {
            assert!((-1e-9..=100.0 + 1e-9).contains(&v.value), "{v:?}");
        }
        if v.metric == "frac" && metric_units {
            assert!((1.0 - 1e-9..=2.0 + 1e-9).contains(&v.value), "{v:?}");
        }
        if ["shape", "lsi"].contains(&v.metric) {
            assert!(v.value >= 1.0 - 1e-9, "{v:?}");
        }
        if ["area", "ca", "ta", "perim", "te"].contains(&v.metric) {
            assert!(v.value >= 0.0, "{v:?}");
        }
    }
    // Class areas add up to the total area; PLAND adds up to 100.
    let ta = t.get(Level::Landscape, None, "ta").unwrap();
    let ca: f64 = t
        .values
        .iter()
        .filter(|v| v.level == Level::Class && v.metric == "ca")
        .map(|v| v.value)
        .sum();
    assert!((ca - ta).abs() < 1e-6 * ta);
    let np: f64 = t
        .values
        .iter()
        .filter(|v| v.level == Level::Class && v.metric == "np")
        .map(|v| v.value)
        .sum();
    assert_eq!(np, t.get(Level::Landscape, None, "np").unwrap());
}

#[test]
fn augusta_nlcd_patch_count_and_sanity() {
    let t = metrics_of("augusta_nlcd.asc.gz");
    // FRAGSTATS (8-cell rule) counts 17,141 patches in 15 classes.
    assert_eq!(t.get(Level::Landscape, None, "np"), Some(17141.0));
    assert_eq!(t.get(Level::Landscape, None, "pr"), Some(15.0));
    // 440 × 678 cells of 900 m².
    assert!((t.get(Level::Landscape, None, "ta").unwrap() - 440.0 * 678.0 * 0.09).abs() < 1e-6);
    sane(&t, true);
}

#[test]
fn podlasie_runs_and_is_sane() {
    let t = metrics_of("podlasie_ccilc.asc.gz");
    assert!(t.get(Level::Landscape, None, "np").unwrap() > 100.0);
    // Degrees, not metres: areas/lengths are in degree units, as in FRAGSTATS fed this raster.
    sane(&t, false);
}

#[test]
fn augusta_agrees_with_pylandstats() {
    let Ok(py) = std::env::var("ECOPLAN_PY") else {
        if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
            panic!("ECOPLAN_PY not set but ECOPLAN_REQUIRE_INTEROP=1");
        }
        println!("skipped: ECOPLAN_PY not set");
        return;
    };
    // pylandstats reads the plain ASCII grid through rasterio.
    let dir = tempfile::tempdir().unwrap();
    let asc = dir.path().join("augusta.asc");
    let mut gz = flate2_free_gunzip(&data("augusta_nlcd.asc.gz"));
    std::fs::write(&asc, std::mem::take(&mut gz)).unwrap();
    let out = std::process::Command::new(&py)
        .arg(data("pylandstats_metrics.py"))
        .arg(&asc)
        .output()
        .expect("running ECOPLAN_PY");
    assert!(
        out.status.success(),
        "pylandstats failed (pip install pylandstats into {py}?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = metrics_of("augusta_nlcd.asc.gz");
    let mut compared = 0;
    let mut failures = Vec::new();
    let mut check = |what: String, o: f64, t: f64, tol: f64| {
        compared += 1;
        if (o - t).abs() > tol * t.abs().max(1e-12) {
            failures.push(format!("{what}: ours {o}, pylandstats {t}"));
        }
    };
    for (class, metrics) in theirs["class"].as_object().unwrap() {
        let c: i64 = class.parse().unwrap();
        for (m, v) in metrics.as_object().unwrap() {
            let o = ours.get(Level::Class, Some(c), m).unwrap();
            check(format!("class {c} {m}"), o, v.as_f64().unwrap(), 1e-9);
        }
    }
    for (m, v) in theirs["landscape"].as_object().unwrap() {
        let o = ours.get(Level::Landscape, None, m).unwrap();
        // pylandstats' CONTAG and SHDI differ from FRAGSTATS' in the 4th–5th digit (ours match
        // the FRAGSTATS reference table, and SHDI = −Σ p ln p of the class proportions exactly);
        // everything else is the same formula.
        let tol = if m == "contag" || m == "shdi" {
            1e-3
        } else {
            1e-9
        };
        check(format!("landscape {m}"), o, v.as_f64().unwrap(), tol);
    }
    assert!(compared >= 15 * 10 + 11, "compared {compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Decompresses a .gz file by reading it through ecoplan-io's ASCII reader's own gzip support:
/// the grid is re-written as plain text.
fn flate2_free_gunzip(path: &Path) -> Vec<u8> {
    let g = ecoplan_io::ascii::read_ascii(path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.asc");
    ecoplan_io::ascii::write_ascii(&plain, &g).unwrap();
    std::fs::read(plain).unwrap()
}
