//! `ecoplan zoning` on a tiny hand-made region whose answers can be counted by hand.

mod common;
use common::*;
use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec};
use std::path::Path;

#[path = "demo_checks/util.rs"]
#[allow(dead_code)]
mod util;
use util::rows;

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
    for layer in ["zones_matrix", "zones_kmeans", "zones_sofm", "scci"] {
        let zs = rows(&out.join(format!("{layer}.csv")));
        let ha: f64 = zs
            .iter()
            .map(|r| r["面积（公顷）"].parse::<f64>().unwrap())
            .sum();
        assert!((ha - 108.0).abs() < 1e-6, "{layer}: {ha}");
        if layer == "scci" {
            continue;
        }
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
            "zones_sofm",
            "scci",
            "key_areas"
        ]
    );
    // SCCI per unit: normalised 0–1 with both ends present, graded in quarters.
    let sc = rows(&out.join("scci.csv"));
    let v: Vec<f64> = sc
        .iter()
        .map(|r| r["景观冲突指数 SCCI（0–1）"].parse().unwrap())
        .collect();
    assert!(v.contains(&0.0) && v.contains(&1.0), "{v:?}");
    // A unit of forest only: one patch, FI = 2/6 (forest fragility 2 of 6).
    let forest = sc.iter().find(|r| r["单元编号"] == "1").unwrap();
    assert_eq!(forest["斑块数"], "1");
    assert_eq!(forest["脆弱性指数 FI"].parse::<f64>().unwrap(), 0.333333);
    // Stability: 8 weight runs for each clustering, 6 threshold runs for the matrix, ARI ≤ 1,
    // and the summary carries their minimum.
    let st = rows(&out.join("zoning_stability.csv"));
    let count = |l: &str| st.iter().filter(|r| r["分区图层"] == l).count();
    assert_eq!(
        (
            count("zones_matrix"),
            count("zones_kmeans"),
            count("zones_sofm")
        ),
        (6, 8, 8)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("zoning_summary.json")).unwrap())
            .unwrap();
    for z in summary["zonings"].as_array().unwrap() {
        let layer = z["layer"].as_str().unwrap();
        let min = st
            .iter()
            .filter(|r| r["分区图层"] == layer)
            .map(|r| r["调整兰德指数 ARI"].parse::<f64>().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!(min <= 1.0);
        assert!((z["stability"]["ari_min"].as_f64().unwrap() - min).abs() < 1e-6);
    }
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

/// A plan whose land use is the west-forest / east-cropland layout of [`inputs`] in CLCD codes,
/// with a red-line polygon over the west half.
fn write_plan(d: &Path) -> std::path::PathBuf {
    let (x0, y0) = (420_000.0, 4_430_000.0);
    let spec = GridSpec::new(
        40,
        30,
        GeoTransform::north_up(x0, y0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    let data = (0..spec.len())
        .map(|i| if i % 40 < 20 { 2u8 } else { 1 })
        .collect();
    write_tif(
        &d.join("landuse.tif"),
        Grid::from_vec(&spec, data, Some(0)).unwrap(),
    );
    let poly = |x1: f64| {
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::4547"}}}},
"features":[{{"type":"Feature","properties":{{"id":1}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#,
            y1 = y0 - 900.0
        )
    };
    std::fs::write(d.join("region.geojson"), poly(x0 + 1200.0)).unwrap();
    std::fs::write(d.join("redline.geojson"), poly(x0 + 600.0)).unwrap();
    let plan = d.join("plan.toml");
    std::fs::write(
        &plan,
        "[region]\nboundary = \"region.geojson\"\nbuffer_m = 0\n\n[grid]\ncrs = \"EPSG:4547\"\ncell_size = 30\n\n\
         [layers.landuse]\nfile = \"landuse.tif\"\nkind = \"landuse\"\nclasses = \"clcd\"\n\n\
         [layers.red_line]\nfile = \"redline.geojson\"\nkind = \"vector\"\n\n[output]\ndir = \"out\"\n",
    )
    .unwrap();
    plan
}

#[test]
fn zoning_plan_toml_reads_the_assess_outputs_and_the_plan_layers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = write_plan(d);
    // Before `ecoplan assess`: the error names the missing file and the command to run.
    let (code, _, err) = run(&["zoning", s(&plan)]);
    assert_eq!(code, 1);
    assert!(
        err.contains("assess/importance.tif") && err.contains("ecoplan assess"),
        "{err}"
    );
    // What assess would have written: importance 3 in the west half, 1 in the east.
    let spec = GridSpec::new(
        40,
        30,
        GeoTransform::north_up(420_000.0, 4_430_000.0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    std::fs::create_dir_all(d.join("out/assess")).unwrap();
    let imp = (0..spec.len())
        .map(|i| if i % 40 < 20 { 3u8 } else { 1 })
        .collect();
    write_tif(
        &d.join("out/assess/importance.tif"),
        Grid::from_vec(&spec, imp, Some(0)).unwrap(),
    );
    let (code, _, err) = run(&[
        "zoning",
        s(&plan),
        "--method",
        "sofm",
        "--k",
        "2",
        "--unit-size",
        "150",
        "--min-key-area",
        "4",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("red_line mask: plan layer `red_line`"),
        "{err}"
    );
    let out = d.join("out/zoning");
    // SOFM with k = 2 splits the halves: two zones of 54 公顷.
    let zs = rows(&out.join("zones_sofm.csv"));
    let mut ha: Vec<f64> = zs
        .iter()
        .map(|r| r["面积（公顷）"].parse().unwrap())
        .collect();
    ha.sort_by(f64::total_cmp);
    assert_eq!(ha, vec![54.0, 54.0]);
    assert!(zs.iter().any(|r| r["修复模式"] == "保护保育"));
    // The plan's red line makes the red-line rule evaluated (no mining land: 0 cells).
    let cf = rows(&out.join("conflicts.csv"));
    let red = cf
        .iter()
        .find(|r| r["规则"] == "mining_in_red_line")
        .unwrap();
    assert_eq!(
        (red["是否评价"].as_str(), red["栅格数"].as_str()),
        ("是", "0")
    );
    // Spaces from the plan's land use (CLCD 2 forest → 生态, 1 cropland → 农业).
    let sp = rows(&out.join("spaces.csv"));
    let eco = sp.iter().find(|r| r["三生空间"] == "生态空间").unwrap();
    assert_eq!(eco["面积（公顷）"], "54");
}
