//! Landscape metrics against FRAGSTATS 4.2 tables for landscapemetrics' `landscape` (30×30, 1 m).
//!
//! Tolerances (landscapemetrics' own): class and landscape metrics within 5 % relative; patch
//! metrics Pearson r ≥ 0.975 on sorted values. Every metric we compute that appears in the
//! tables is compared, including the _mn/_sd/_cv aggregates; the tables are rounded to four
//! decimals. Metrics absent from the tables are checked on hand-computed cases in
//! `metrics_small.rs`.

use ecoplan_grid::{AnyGrid, Grid, NoProgress};
use ecoplan_pattern::metrics::{available, landscape_metrics, Level, MetricsParams, MetricsTable};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/landscapemetrics")
        .join(name)
}

fn landscape() -> Grid<i32> {
    match ecoplan_io::ascii::read_ascii(&data("landscape.asc")).unwrap() {
        AnyGrid::I32(g) => g,
        other => panic!("unexpected {:?}", other.cell_type()),
    }
}

/// Rows of a FRAGSTATS csv as maps from lowercase column name to value (empty cells skipped).
fn table(name: &str) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(data(name)).unwrap();
    let headers: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(h, v)| (h.clone(), v.trim().to_string()))
                .collect()
        })
        .collect()
}

fn class_of(row: &HashMap<String, String>) -> i64 {
    row["type"].trim_start_matches("cls_").parse().unwrap()
}

/// Relative agreement within 5 %, or within the table's rounding for values near zero.
fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 0.05 * theirs.abs() || (ours - theirs).abs() <= 5e-5
}

fn computed() -> MetricsTable {
    landscape_metrics(&landscape(), &MetricsParams::default(), &NoProgress).unwrap()
}

#[test]
fn class_metrics_agree_with_fragstats() {
    let t = computed();
    let ours_names = available(Level::Class);
    let mut compared = 0;
    let mut failures = Vec::new();
    for row in table("fs_data_class.csv") {
        let class = class_of(&row);
        for (name, v) in &row {
            if name == "lid" || name == "type" || !ours_names.contains(name) {
                continue;
            }
            let theirs: f64 = v.parse().unwrap();
            let ours = t
                .get(Level::Class, Some(class), name)
                .unwrap_or_else(|| panic!("class {class} {name} missing"));
            compared += 1;
            if !close(ours, theirs) {
                failures.push(format!(
                    "class {class} {name}: ours {ours} FRAGSTATS {theirs}"
                ));
            }
        }
    }
    // 3 classes; PAFRAC only for class 2 (the others have < 10 patches, empty in the table).
    assert!(compared >= 3 * 50, "only {compared} values compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_class_metric_in_the_table_is_implemented() {
    let ours = available(Level::Class);
    let row = &table("fs_data_class.csv")[0];
    let missing: Vec<&String> = row
        .keys()
        .filter(|k| *k != "lid" && *k != "type" && !ours.contains(k))
        .collect();
    assert!(missing.is_empty(), "not implemented: {missing:?}");
}

#[test]
fn landscape_metrics_agree_with_fragstats() {
    let t = computed();
    let ours_names = available(Level::Landscape);
    let row = &table("fs_data_landscape.csv")[0];
    let mut failures = Vec::new();
    let mut missing = Vec::new();
    let mut compared = 0;
    for (name, v) in row {
        if name == "lid" {
            continue;
        }
        if !ours_names.contains(name) {
            missing.push(name.clone());
            continue;
        }
        let theirs: f64 = v.parse().unwrap();
        let ours = t.get(Level::Landscape, None, name).unwrap();
        compared += 1;
        if !close(ours, theirs) {
            failures.push(format!("{name}: ours {ours} FRAGSTATS {theirs}"));
        }
    }
    assert!(missing.is_empty(), "not implemented: {missing:?}");
    assert!(compared >= 60, "only {compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 && vb == 0.0 {
        return 1.0;
    }
    cov / (va * vb).sqrt()
}

#[test]
fn patch_metrics_agree_with_fragstats() {
    let t = computed();
    let rows = table("fs_data_patch.csv");
    assert_eq!(
        t.patch_values("area").len(),
        rows.len(),
        "patch count (8-cell rule)"
    );
    let mut failures = Vec::new();
    for name in ecoplan_pattern::metrics::PATCH_METRICS {
        let mut theirs: Vec<f64> = rows.iter().map(|r| r[*name].parse().unwrap()).collect();
        let mut ours: Vec<f64> = t.patch_values(name);
        if *name == "enn" {
            // Every class has several patches here, so ENN is defined everywhere.
            assert!(ours.iter().all(|v| v.is_finite()));
        }
        theirs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        ours.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let r = pearson(&ours, &theirs);
        // Beyond the peer's r ≥ 0.975: most patch metrics match value for value.
        let exact = ours.iter().zip(&theirs).all(|(o, t)| close(*o, *t));
        if r < 0.975 {
            failures.push(format!("{name}: r = {r}"));
        }
        if *name != "gyrate" && !exact {
            failures.push(format!(
                "{name}: sorted values differ:\n ours {ours:?}\n theirs {theirs:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn patch_metrics_match_per_patch() {
    // Stronger than the sorted comparison: match each FRAGSTATS patch to ours by (class, area,
    // perimeter) and compare every metric except GYRATE (FRAGSTATS' centroid differs slightly).
    let t = computed();
    let rows = table("fs_data_patch.csv");
    let mut by_id: HashMap<u32, HashMap<String, f64>> = HashMap::new();
    let mut class_of_id = HashMap::new();
    for v in t.values.iter().filter(|v| v.level == Level::Patch) {
        by_id
            .entry(v.id.unwrap())
            .or_default()
            .insert(v.metric.to_string(), v.value);
        class_of_id.insert(v.id.unwrap(), v.class.unwrap());
    }
    for row in &rows {
        let class = class_of(row);
        let key = |m: &HashMap<String, f64>| {
            (
                (m["area"] * 1e4).round() as i64,
                m["perim"].round() as i64,
                (m["enn"] * 1e3).round() as i64,
            )
        };
        let theirs: HashMap<String, f64> = row
            .iter()
            .filter(|(k, _)| ecoplan_pattern::metrics::PATCH_METRICS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.parse().unwrap()))
            .collect();
        let candidates: Vec<&HashMap<String, f64>> = by_id
            .iter()
            .filter(|(id, m)| class_of_id[*id] == class && key(m) == key(&theirs))
            .map(|(_, m)| m)
            .collect();
        assert!(!candidates.is_empty(), "no patch like {row:?}");
        let ok = candidates.iter().any(|m| {
            theirs
                .iter()
                .filter(|(k, _)| k.as_str() != "gyrate")
                .all(|(k, v)| close(m[k], *v))
        });
        assert!(ok, "patch {row:?} vs {candidates:?}");
    }
}

#[test]
fn single_class_selection_and_levels() {
    let p = MetricsParams {
        levels: vec![Level::Class],
        metrics: Some(vec!["ca".into(), "pland".into()]),
    };
    let t = landscape_metrics(&landscape(), &p, &NoProgress).unwrap();
    assert_eq!(t.values.len(), 6);
    assert!(t.values.iter().all(|v| v.level == Level::Class));
    let bad = MetricsParams {
        levels: vec![Level::Landscape],
        metrics: Some(vec!["ca".into(), "nope".into()]),
    };
    let msg = bad.validate().unwrap_err().to_string();
    assert!(msg.contains("'ca'") && msg.contains("'nope'"), "{msg}");
}
