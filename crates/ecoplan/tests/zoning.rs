//! `ecoplan zoning` on a tiny hand-made region whose answers can be counted by hand.

mod common;
use common::*;
use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec};
use std::collections::BTreeMap;
use std::path::Path;

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    rd.records()
        .map(|r| {
            h.iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// 40×30 cells of 30 m: west half forest (importance 3), east half cropland (importance 1) with a
/// 10×10 mine block (rows 0–9, cols 30–39) and 6 steep cropland cells (slope 30°) in row 20.
fn inputs(dir: &Path) {
    let spec = GridSpec::new(
        40,
        30,
        GeoTransform::north_up(420_000.0, 4_430_000.0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    let at = |f: &dyn Fn(usize, usize) -> u8| -> Grid<u8> {
        let data = (0..spec.len()).map(|i| f(i % 40, i / 40)).collect();
        Grid::from_vec(&spec, data, Some(0)).unwrap()
    };
    let lu = at(&|c, r| {
        if c < 20 {
            3
        } else if r < 10 && c >= 30 {
            9
        } else {
            1
        }
    });
    let imp = at(&|c, _| if c < 20 { 3 } else { 1 });
    let soil = at(&|c, r| if r < 10 && c >= 30 { 5 } else { 1 });
    let slope_data: Vec<f32> = (0..spec.len())
        .map(|i| {
            if i / 40 == 20 && (22..28).contains(&(i % 40)) {
                30.0
            } else {
                2.0
            }
        })
        .collect();
    write_tif(&dir.join("lu.tif"), lu);
    write_tif(&dir.join("imp.tif"), imp);
    write_tif(&dir.join("soil.tif"), soil);
    write_tif(
        &dir.join("slope.tif"),
        Grid::from_vec(&spec, slope_data, None).unwrap(),
    );
}

#[test]
fn zoning_writes_layers_and_tables_that_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    inputs(d);
    let out = d.join("out");
    ok(&[
        "zoning",
        "--landuse",
        s(&d.join("lu.tif")),
        "--importance",
        s(&d.join("imp.tif")),
        "--soil-loss-class",
        s(&d.join("soil.tif")),
        "--slope",
        s(&d.join("slope.tif")),
        "--unit-size",
        "150",
        "--key-unit-size",
        "150",
        "--min-key-area",
        "4",
        "--out",
        s(&out),
    ]);
    // 1200 cells × 900 m² = 108 公顷.
    for layer in ["zones_matrix", "zones_kmeans"] {
        let zs = rows(&out.join(format!("{layer}.csv")));
        let ha: f64 = zs
            .iter()
            .map(|r| r["面积（公顷）"].parse::<f64>().unwrap())
            .sum();
        assert!((ha - 108.0).abs() < 1e-6, "{layer}: {ha}");
        let pct: f64 = zs
            .iter()
            .map(|r| r["占比（%）"].parse::<f64>().unwrap())
            .sum();
        assert!((pct - 100.0).abs() < 0.01);
    }
    // Matrix: the west half (54 公顷) is 保护保育; the mine block makes its units 生态重建.
    let zm = rows(&out.join("zones_matrix.csv"));
    let west = zm
        .iter()
        .find(|r| r["修复模式"] == "保护保育")
        .expect("a 保护保育 zone");
    assert_eq!(west["面积（公顷）"].parse::<f64>().unwrap(), 54.0);
    assert!(west["分区名称"].starts_with("西部"), "{}", west["分区名称"]);
    let mine = zm
        .iter()
        .find(|r| r["修复模式"] == "生态重建")
        .expect("a 生态重建 zone");
    assert_eq!(mine["面积（公顷）"].parse::<f64>().unwrap(), 9.0);
    assert!(
        mine["分区名称"].contains("矿山治理"),
        "{}",
        mine["分区名称"]
    );
    // Spaces: 600 forest cells → 54 公顷 生态; 100 mine cells → 9 公顷 城镇; the rest 农业.
    let sp = rows(&out.join("spaces.csv"));
    let ha = |name: &str| {
        sp.iter().find(|r| r["三生空间"] == name).unwrap()["面积（公顷）"]
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(
        (ha("生态空间"), ha("农业空间"), ha("城镇空间")),
        (54.0, 45.0, 9.0)
    );
    // Conflicts: six steep cropland cells; no layer for the red-line rule.
    let cf = rows(&out.join("conflicts.csv"));
    let rule = |k: &str| cf.iter().find(|r| r["规则"] == k).unwrap().clone();
    assert_eq!(rule("steep_cropland")["栅格数"], "6");
    assert_eq!(rule("mining_in_red_line")["是否评价"], "否");
    // Key areas: the mine block (9 公顷) is one, and all are ≥ 4 公顷.
    let ks = rows(&out.join("key_areas.csv"));
    assert!(ks
        .iter()
        .all(|r| r["面积（公顷）"].parse::<f64>().unwrap() >= 4.0));
    assert!(
        ks.iter()
            .any(|r| r["主要问题"] == "矿山" && r["面积（公顷）"] == "9"),
        "{ks:?}"
    );
    // The GeoPackage holds the five layers with one feature per table row.
    let layers = ecoplan_io::vector::list_gpkg_layers(&out.join("zoning.gpkg")).unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "spaces",
            "conflicts",
            "zones_matrix",
            "zones_kmeans",
            "key_areas"
        ]
    );
    let zl = ecoplan_io::vector::read_vector(
        &out.join("zoning.gpkg"),
        &ecoplan_io::vector::ReadOptions {
            layer: Some("zones_matrix".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(zl.features.len(), zm.len());
    assert!(zl.features.iter().all(|f| f.geometry.is_some()));
}

#[test]
fn zoning_names_missing_inputs_and_shows_examples() {
    let (code, _, err) = run(&["zoning", "--out", "/nonexistent/x"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--landuse") && err.contains("--importance"),
        "{err}"
    );
    let help = ok(&["zoning", "--help"]);
    assert!(help.contains("ecoplan zoning --run"), "{help}");
}
