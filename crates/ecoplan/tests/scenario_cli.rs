//! `ecoplan scenario PLAN.toml --projects FILE` on a small synthetic plan (CLCD codes) whose
//! answer for 草原综合植被盖度 is known, plus the policy-layer notes (生态保护红线, 自然保护地).
//!
//! 20 × 10 cells of 30 m: rows 0–1 grassland with NDVI 0.25/0.75 alternating, rows 2–3 cropland
//! with NDVI 0, rows 4–9 forest with NDVI 1. The 5 %/95 % NDVI end-members are then 0 and 1, so
//! the cover is the NDVI itself: base grassland mean 50 %, grassland median 0.25. The project
//! turns the cropland rows into grassland, which get the median 0.25: (40·0.5 + 40·0.25)/80 =
//! 37.5 %, Δ −12.5.

mod common;
use common::*;
use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec};
use std::collections::HashMap;
use std::path::Path;

const X0: f64 = 420_000.0;
const Y0: f64 = 4_430_460.0;
const W: usize = 20;
const H: usize = 10;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64, props: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::4547"}}}},
"features":[{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#
    )
}

/// Writes the plan; `with_ndvi` adds the NDVI layer, `with_policy` a protected-area layer and a
/// red-line vector layer.
fn write_plan(dir: &Path, with_ndvi: bool, with_policy: bool) -> std::path::PathBuf {
    let spec = GridSpec::new(
        W,
        H,
        GeoTransform::north_up(X0, Y0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    // CLCD: 1 cropland, 2 forest, 4 grassland.
    let mut lu = Grid::filled(&spec, 2u8, Some(0));
    let mut ndvi = Grid::filled(&spec, 1.0f32, Some(-9999.0));
    for r in 0..4 {
        for c in 0..W {
            lu.set(c, r, if r < 2 { 4 } else { 1 });
            let v = match (r < 2, c % 2) {
                (true, 0) => 0.25,
                (true, _) => 0.75,
                (false, _) => 0.0,
            };
            ndvi.set(c, r, v);
        }
    }
    write_tif(&dir.join("landuse.tif"), lu);
    write_tif(&dir.join("ndvi.tif"), ndvi);
    let (x1, y1) = (X0 + W as f64 * 30.0, Y0 - H as f64 * 30.0);
    std::fs::write(
        dir.join("region.geojson"),
        rect(X0, Y0, x1, y1, r#""name":"甲""#),
    )
    .unwrap();
    // The project: the two cropland rows.
    std::fs::write(
        dir.join("projects.geojson"),
        rect(
            X0,
            Y0 - 60.0,
            x1,
            Y0 - 120.0,
            r#""name":"退耕还草","target_class":"grassland""#,
        ),
    )
    .unwrap();
    let mut toml = String::from(
        "[region]\nboundary = \"region.geojson\"\nbuffer_m = 0\n\n[grid]\ncrs = \"EPSG:4547\"\ncell_size = 30\n\n\
         [layers.landuse]\nfile = \"landuse.tif\"\nkind = \"landuse\"\nclasses = \"clcd\"\n\n",
    );
    if with_ndvi {
        toml.push_str("[layers.ndvi]\nfile = \"ndvi.tif\"\nkind = \"ndvi\"\n\n");
    }
    if with_policy {
        let (y0, y1) = (Y0 - 120.0, Y0 - 300.0);
        std::fs::write(
            dir.join("pa.geojson"),
            rect(X0, y0, X0 + 300.0, y1, r#""name":"保护地""#),
        )
        .unwrap();
        std::fs::write(
            dir.join("rl.geojson"),
            rect(X0 + 300.0, y0, x1, y1, r#""name":"红线""#),
        )
        .unwrap();
        toml.push_str(
            "[layers.protected]\nfile = \"pa.geojson\"\nkind = \"protected_areas\"\n\n\
             [layers.red_line]\nfile = \"rl.geojson\"\nkind = \"vector\"\n\n",
        );
    }
    toml.push_str("[output]\ndir = \"out\"\n");
    let plan = dir.join("plan.toml");
    std::fs::write(&plan, toml).unwrap();
    plan
}

fn benefits(dir: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("benefits.csv")).unwrap();
    r.deserialize().map(|x| x.unwrap()).collect()
}

fn notes(dir: &Path) -> Vec<String> {
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("benefits.json")).unwrap()).unwrap();
    j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

const COL: &str = "Δ草原综合植被盖度 %";

#[test]
fn scenario_reports_grassland_fvc_and_policy_layers_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), true, true);
    let out = dir.path().join("scenario");
    let (code, _, err) = run(&[
        "scenario",
        s(&plan),
        "--projects",
        s(&dir.path().join("projects.geojson")),
        "--out",
        s(&out),
        "--gamma",
        "off",
    ]);
    assert_eq!(code, 0, "{err}");
    let t = benefits(&out);
    // project, 合计, 基准 rows
    assert_eq!(t.len(), 3, "{t:?}");
    assert_eq!(t[0]["项目"], "退耕还草");
    assert_eq!(t[0][COL].parse::<f64>().unwrap(), -12.5);
    assert_eq!(t[1][COL].parse::<f64>().unwrap(), -12.5);
    assert!(t[2]["项目"].starts_with("基准"));
    assert_eq!(t[2][COL].parse::<f64>().unwrap(), 50.0);
    assert!(err.contains("Δ草原综合植被盖度 -12.500 %"), "{err}");
    // The policy layers are stated unchanged, each once, in benefits.json and on stderr.
    let n = notes(&out);
    for (what, layer) in [
        ("自然保护地占比", "`protected`"),
        ("生态保护红线占比", "`red_line`"),
    ] {
        let hits: Vec<_> = n.iter().filter(|x| x.starts_with(what)).collect();
        assert_eq!(hits.len(), 1, "{what}: {n:?}");
        assert!(
            hits[0].contains("不变 unchanged") && hits[0].contains(layer),
            "{n:?}"
        );
        assert!(err.contains(hits[0].as_str()), "{err}");
    }
}

#[test]
fn without_ndvi_or_policy_layers_there_is_no_value_and_no_note() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), false, false);
    let out = dir.path().join("scenario");
    ok(&[
        "scenario",
        s(&plan),
        "--projects",
        s(&dir.path().join("projects.geojson")),
        "--out",
        s(&out),
        "--gamma",
        "off",
    ]);
    let t = benefits(&out);
    assert_eq!(t.len(), 3);
    for r in &t {
        assert_eq!(r[COL], "", "{r:?}");
    }
    // Δ森林覆盖率 is still there (the column is empty for FVC only).
    assert_eq!(t[0]["Δ森林覆盖率 %"].parse::<f64>().unwrap(), 0.0);
    assert!(!notes(&out).iter().any(|x| x.contains("不变 unchanged")));
}
