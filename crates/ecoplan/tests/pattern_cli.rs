//! `ecoplan pattern PLAN.toml` on a small synthetic plan: three forest blocks in a row in
//! cropland (CLCD codes), so the answer is known: 3 sources, 2 corridors (the ends are joined
//! through the middle block), γ = 2/(3·1), α = 0.

mod common;
use common::*;
use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec};
use std::path::Path;

const X0: f64 = 420_000.0;
const Y0: f64 = 4_430_460.0;
const W: usize = 64;
const H: usize = 16;

fn write_plan(dir: &Path) -> std::path::PathBuf {
    let spec = GridSpec::new(
        W,
        H,
        GeoTransform::north_up(X0, Y0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    // CLCD: 1 cropland, 2 forest.
    let mut lu = Grid::filled(&spec, 1u8, Some(0));
    for (c0, c1) in [(2, 14), (26, 38), (50, 62)] {
        for r in 2..14 {
            for c in c0..c1 {
                lu.set(c, r, 2);
            }
        }
    }
    write_tif(&dir.join("landuse.tif"), lu);
    let (x1, y1) = (X0 + W as f64 * 30.0, Y0 - H as f64 * 30.0);
    std::fs::write(
        dir.join("region.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::4547"}}}},
"features":[{{"type":"Feature","properties":{{"name":"甲"}},"geometry":{{"type":"Polygon","coordinates":[[[{X0},{Y0}],[{x1},{Y0}],[{x1},{y1}],[{X0},{y1}],[{X0},{Y0}]]]}}}}]}}"#
        ),
    )
    .unwrap();
    let plan = dir.join("plan.toml");
    std::fs::write(
        &plan,
        "[region]\nboundary = \"region.geojson\"\nbuffer_m = 0\n\n[grid]\ncrs = \"EPSG:4547\"\ncell_size = 30\n\n\
         [layers.landuse]\nfile = \"landuse.tif\"\nkind = \"landuse\"\nclasses = \"clcd\"\n\n[output]\ndir = \"out\"\n",
    )
    .unwrap();
    plan
}

fn csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn pattern_on_three_blocks_gives_the_known_network() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path());
    let (code, _, err) = run(&["pattern", s(&plan), "--min-area-ha", "5"]);
    assert_eq!(code, 0, "{err}");
    // No importance raster and no assess run: the run says so.
    assert!(err.contains("MSPA core of ecological land only"), "{err}");
    let out = dir.path().join("out/pattern");
    let net = csv(&out.join("network.csv"));
    assert_eq!(
        net[0],
        [
            "network",
            "nodes_V",
            "links_L",
            "alpha",
            "beta",
            "gamma",
            "cost_ratio"
        ]
    );
    assert_eq!(
        &net[1][1..6],
        ["3", "2", "0.000000", "0.666667", "0.666667"]
    );
    // Network cost ratio 1 − Σ LCP length / Σ cost-weighted distance: the links cross
    // non-habitat (resistance > 1), so it lies strictly between 0 and 1.
    let cost_ratio: f64 = net[1][6].parse().unwrap();
    assert!(cost_ratio > 0.0 && cost_ratio < 1.0, "{cost_ratio}");
    // Two kept links, both through the middle block (source 1: the highest dPC).
    let links = csv(&out.join("links.csv"));
    let kept: Vec<&Vec<String>> = links[1..].iter().filter(|r| r[5] == "1").collect();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|r| r[1] == "1" || r[2] == "1"), "{kept:?}");
    // Sources: 10×10 MSPA cores of 12×12 blocks = 9 ha each.
    let src = csv(&out.join("sources.csv"));
    assert_eq!(src.len(), 4);
    assert!(src[1..].iter().all(|r| r[2] == "9.0000"), "{src:?}");
    // GeoPackage layers.
    let layers = ecoplan_io::vector::list_gpkg_layers(&out.join("pattern.gpkg")).unwrap();
    let n = |name: &str| {
        layers
            .iter()
            .find(|l| l.name == name)
            .unwrap()
            .feature_count
    };
    assert_eq!((n("corridors"), n("sources")), (2, 3));
    for f in [
        "sources.tif",
        "resistance.tif",
        "corridors.tif",
        "current.tif",
        "pinch_points.tif",
        "barriers.tif",
        "pattern.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // Resistance = the common_default table: forest 1, cropland 30.
    match ecoplan_io::raster::read_raster(&out.join("resistance.tif")).unwrap() {
        ecoplan_grid::AnyGrid::F32(g) => {
            assert_eq!(g.get(5, 5), 1.0);
            assert_eq!(g.get(20, 5), 30.0);
        }
        other => panic!("{:?}", other.cell_type()),
    }
}

#[test]
fn pattern_reports_bad_parameters_together() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path());
    let (code, _, err) = run(&[
        "pattern",
        s(&plan),
        "--min-area-ha=-1",
        "--max-sources",
        "1",
        "--barrier-radii",
        "0,30,30",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("min_area_ha")
            && err.contains("max_sources")
            && err.contains("barrier_radii_m"),
        "{err}"
    );
    // Too few sources: a clear message, not a panic.
    let (code, _, err) = run(&["pattern", s(&plan), "--min-area-ha", "500"]);
    assert_ne!(code, 0);
    assert!(err.contains("生态源地不足"), "{err}");
}

#[test]
fn pattern_help_has_examples() {
    let out = ok(&["pattern", "--help"]);
    assert!(
        out.contains("示例 Examples") && out.contains("ecoplan pattern"),
        "{out}"
    );
}

/// The three-block plan plus a road (a north–south line through column 20) and a planned
/// corridor line (from the left block's core, below the middle block, into the right one).
fn write_plan_with_roads(dir: &Path, pattern_section: &str) -> std::path::PathBuf {
    let plan = write_plan(dir);
    let crs = r#""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}}"#;
    let line = |name: &str, pts: &[(f64, f64)]| {
        let coords: Vec<String> = pts.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
        format!(
            r#"{{"type":"FeatureCollection",{crs},"features":[{{"type":"Feature","properties":{{"name":"{name}"}},"geometry":{{"type":"LineString","coordinates":[{}]}}}}]}}"#,
            coords.join(",")
        )
    };
    let (xc, y_top, y_bottom) = (
        X0 + 20.5 * 30.0,
        Y0 - 0.5 * 30.0,
        Y0 - (H as f64 - 0.5) * 30.0,
    );
    // A straight north–south line: its extent has zero width, which the plan check must accept.
    let road = [(xc, y_top), (xc, y_bottom)];
    std::fs::write(dir.join("roads.geojson"), line("路", &road)).unwrap();
    // Cell centres: (col, row) → (X0 + (col + 0.5)·30, Y0 − (row + 0.5)·30); row 15 is the last.
    let at = |c: f64, r: f64| (X0 + (c + 0.5) * 30.0, Y0 - (r + 0.5) * 30.0);
    std::fs::write(
        dir.join("planned.geojson"),
        line(
            "规划廊道",
            &[at(8.0, 8.0), at(8.0, 15.0), at(56.0, 15.0), at(56.0, 8.0)],
        ),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str("\n[layers.roads]\nfile = \"roads.geojson\"\nkind = \"roads\"\n\n");
    text.push_str(pattern_section);
    std::fs::write(&plan, text).unwrap();
    plan
}

fn f32_tif(path: &Path) -> Grid<f32> {
    match ecoplan_io::raster::read_raster(path).unwrap() {
        ecoplan_grid::AnyGrid::F32(g) => g,
        other => panic!("{:?}", other.cell_type()),
    }
}

const FAST: [&str; 6] = [
    "--min-area-ha",
    "5",
    "--current",
    "none",
    "--no-pinchpoints",
    "--no-barriers",
];

/// A [pattern] section drives the same run as the equivalent flags; a flag overrides its field;
/// the road factor with only a weight uses the road_distance preset (presets/resistance).
#[test]
fn pattern_section_of_the_plan_equals_the_flags() {
    let section = "[pattern]\nresistance_table = \"common_default\"\nlanduse_weight = 0.8\n\
                   road_factor = { weight = 0.2 }\ngravity_classes = 0.5\nplanned_corridors = \"planned.geojson\"\n";
    let d1 = tempfile::tempdir().unwrap();
    let p1 = write_plan_with_roads(d1.path(), section);
    let mut args = vec!["pattern", s(&p1)];
    args.extend(FAST);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("plan.toml [pattern]") && err.contains("road_factor"),
        "{err}"
    );

    let d2 = tempfile::tempdir().unwrap();
    let p2 = write_plan_with_roads(d2.path(), "");
    let planned = d2.path().join("planned.geojson");
    let mut args = vec!["pattern", s(&p2)];
    args.extend(FAST);
    args.extend([
        "--table",
        "common_default",
        "--landuse-weight",
        "0.8",
        "--road-factor",
        "road_distance:0.2",
        "--gravity-classes",
        "0.5",
        "--planned-corridors",
        s(&planned),
    ]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");

    let (o1, o2) = (d1.path().join("out/pattern"), d2.path().join("out/pattern"));
    let (r1, r2) = (
        f32_tif(&o1.join("resistance.tif")),
        f32_tif(&o2.join("resistance.tif")),
    );
    assert_eq!(r1.data, r2.data);
    // R = 0.8·R_landuse + 0.2·R_road(distance): cropland 30 on the road (0 m → 100), cropland
    // 40 cells = 1200 m away (→ 1), forest 1 at 15 cells = 450 m (→ 30).
    assert!(
        (r1.get(20, 1) - (0.8 * 30.0 + 0.2 * 100.0)).abs() < 1e-4,
        "{}",
        r1.get(20, 1)
    );
    assert!(
        (r1.get(60, 1) - (0.8 * 30.0 + 0.2 * 1.0)).abs() < 1e-4,
        "{}",
        r1.get(60, 1)
    );
    assert!(
        (r1.get(5, 5) - (0.8 * 1.0 + 0.2 * 30.0)).abs() < 1e-4,
        "{}",
        r1.get(5, 5)
    );
    for f in ["links.csv", "network.csv", "planned_network.csv"] {
        let (a, b) = (
            std::fs::read_to_string(o1.join(f)).unwrap(),
            std::fs::read_to_string(o2.join(f)).unwrap(),
        );
        assert_eq!(a, b, "{f} differs between [pattern] and flags");
    }
    // The planned corridor joins the two end sources: γ 2/3 → 1.
    let pn = csv(&o1.join("planned_network.csv"));
    assert_eq!(&pn[2][5], "1.000000", "{pn:?}");

    // A flag overrides its field: road weight 0.1 instead of 0.2 (land use stays 0.8; the
    // weighted sum is divided by the weights' total 0.9).
    let mut args = vec!["pattern", s(&p1)];
    args.extend(FAST);
    args.extend(["--road-factor", "0.1"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let r3 = f32_tif(&o1.join("resistance.tif"));
    let want = (0.8 * 30.0 + 0.1 * 100.0) / 0.9;
    assert!(
        (r3.get(20, 1) - want).abs() < 1e-4,
        "{} vs {want}",
        r3.get(20, 1)
    );
}

/// Every bad [pattern] field is reported in one error, each at its line.
#[test]
fn bad_pattern_section_lists_every_problem() {
    let section = "[pattern]\nlanduse_weight = 2\nresistance_table = \"no_such_table\"\n\
                   road_factor = { breaks = \"nope\", weight = 1.5 }\nslope_factor = { weight = 0.3 }\n\
                   ndvi_correction = \"yes\"\ngravity_classes = \"big\"\nnight_light = \"missing.tif\"\ncolour = 1\n";
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan_with_roads(dir.path(), section);
    let (code, _, err) = run(&["pattern", s(&plan)]);
    assert_ne!(code, 0);
    for field in [
        "pattern.landuse_weight",
        "pattern.resistance_table",
        "pattern.road_factor.breaks",
        "pattern.road_factor.weight",
        "[pattern.slope_factor] needs `breaks",
        "pattern.ndvi_correction",
        "pattern.gravity_classes",
        "pattern.night_light",
        "unknown key `colour`",
    ] {
        assert!(err.contains(field), "{field} not reported:\n{err}");
    }
    assert!(err.contains("9 problem(s)"), "{err}");
}

/// The three-block plan plus an NDVI layer (cropland 0.2 in the left half, 0.6 in the right;
/// forest 0.8) and `pattern_section`.
fn write_plan_with_ndvi(dir: &Path, pattern_section: &str) -> std::path::PathBuf {
    let plan = write_plan(dir);
    let spec = GridSpec::new(
        W,
        H,
        GeoTransform::north_up(X0, Y0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    let lu = match ecoplan_io::raster::read_raster(&dir.join("landuse.tif")).unwrap() {
        ecoplan_grid::AnyGrid::U8(g) => g,
        other => panic!("{:?}", other.cell_type()),
    };
    let mut ndvi = Grid::filled(&spec, 0.0f32, Some(-9999.0));
    for r in 0..H {
        for c in 0..W {
            let v = match (lu.get(c, r), c < W / 2) {
                (2, _) => 0.8,
                (_, true) => 0.2,
                (_, false) => 0.6,
            };
            ndvi.set(c, r, v);
        }
    }
    write_tif(&dir.join("ndvi.tif"), ndvi);
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str("\n[layers.ndvi]\nfile = \"ndvi.tif\"\nkind = \"ndvi\"\n\n");
    text.push_str(pattern_section);
    std::fs::write(&plan, text).unwrap();
    plan
}

fn pattern_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("pattern.json")).unwrap()).unwrap()
}

/// Kinds of the corrections pattern.json records for the resistance surface.
fn corrections(j: &serde_json::Value) -> Vec<String> {
    j["resistance"]["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// `ndvi_correction = true` in the plan corrects the resistance; `--no-ndvi-correction` switches
/// it off (recorded in pattern.json, resistance = the plain table); both flags together are refused.
#[test]
fn no_ndvi_correction_flag_switches_off_the_plans_correction() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan_with_ndvi(dir.path(), "[pattern]\nndvi_correction = true\n");
    let out = dir.path().join("out/pattern");

    let mut args = vec!["pattern", s(&plan)];
    args.extend(FAST);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let j = pattern_json(&out);
    assert_eq!(corrections(&j), ["ndvi"], "{}", j["resistance"]);
    assert!(
        j["notes"].to_string().contains("ndvi_correction"),
        "{}",
        j["notes"]
    );
    // R′ = R·NDVI_a/NDVI_i: cropland 30 with class mean 0.4 → 60 at NDVI 0.2, 20 at 0.6.
    let r = f32_tif(&out.join("resistance.tif"));
    assert!((r.get(20, 1) - 60.0).abs() < 1e-3, "{}", r.get(20, 1));
    assert!((r.get(44, 1) - 20.0).abs() < 1e-3, "{}", r.get(44, 1));

    args.push("--no-ndvi-correction");
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let j = pattern_json(&out);
    assert!(corrections(&j).is_empty(), "{}", j["resistance"]);
    assert!(
        !j["notes"].to_string().contains("ndvi_correction"),
        "{}",
        j["notes"]
    );
    let r = f32_tif(&out.join("resistance.tif"));
    assert_eq!((r.get(20, 1), r.get(44, 1), r.get(5, 5)), (30.0, 30.0, 1.0));

    args.push("--ndvi-correction");
    let (code, _, err) = run(&args);
    assert_ne!(code, 0);
    assert!(err.contains("cannot be used with"), "{err}");

    // Without the plan key, --ndvi-correction alone switches it on.
    let d2 = tempfile::tempdir().unwrap();
    let p2 = write_plan_with_ndvi(d2.path(), "");
    let mut args = vec!["pattern", s(&p2), "--ndvi-correction"];
    args.extend(FAST);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        corrections(&pattern_json(&d2.path().join("out/pattern"))),
        ["ndvi"]
    );
}

/// Cells of corridors.tif inside the truncated corridors (not nodata).
fn corridor_cells(out: &Path) -> usize {
    let g = f32_tif(&out.join("corridors.tif"));
    let nodata = g.nodata;
    g.data
        .iter()
        .filter(|v| Some(**v) != nodata && v.is_finite())
        .count()
}

/// min_area_ha, nn and truncate of [pattern] reach the run (pattern.json params, the sources
/// found, the corridor width); their flags override them.
#[test]
fn pattern_section_min_area_nn_truncate_reach_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // 9-ha sources: the default 100 ha would leave none; min_area_ha = 5 keeps all three.
    let plan = write_plan_with_ndvi(
        dir.path(),
        "[pattern]\nmin_area_ha = 5\nnn = 1\ntruncate = 100\n",
    );
    let out = dir.path().join("out/pattern");
    let fast = ["--current", "none", "--no-pinchpoints", "--no-barriers"];
    let mut args = vec!["pattern", s(&plan)];
    args.extend(fast);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let j = pattern_json(&out);
    assert_eq!(j["params"]["min_area_ha"], 5.0);
    assert_eq!(j["params"]["linkage"]["nearest_neighbours"], 1);
    assert_eq!(j["params"]["linkage"]["truncate_cwd"], 100.0);
    assert_eq!(j["sources"], 3);
    let notes = j["notes"].to_string();
    assert!(
        notes.contains("plan.toml [pattern]: min_area_ha, nn, truncate"),
        "{notes}"
    );
    let narrow = corridor_cells(&out);
    assert!(narrow > 0);

    // Flags override the plan: a wider corridor, all neighbours.
    let mut wide = args.clone();
    wide.extend(["--truncate", "20000", "--nn", "all"]);
    let (code, _, err) = run(&wide);
    assert_eq!(code, 0, "{err}");
    let j = pattern_json(&out);
    assert_eq!(j["params"]["linkage"]["truncate_cwd"], 20000.0);
    assert!(j["params"]["linkage"]["nearest_neighbours"].is_null());
    assert_eq!(j["params"]["min_area_ha"], 5.0);
    assert!(
        corridor_cells(&out) > narrow,
        "{} vs {narrow}",
        corridor_cells(&out)
    );

    // --min-area-ha over the plan's 5: 50 ha leaves no 9-ha source.
    let mut big = args.clone();
    big.extend(["--min-area-ha", "50"]);
    let (code, _, err) = run(&big);
    assert_ne!(code, 0);
    assert!(err.contains("生态源地不足"), "{err}");
}

/// Bad min_area_ha / nn / truncate in [pattern] stop the run before any work, all listed at once.
#[test]
fn bad_min_area_nn_truncate_are_listed_together() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan_with_ndvi(
        dir.path(),
        "[pattern]\nmin_area_ha = -1\nnn = 0\ntruncate = \"wide\"\n",
    );
    let (code, _, err) = run(&["pattern", s(&plan)]);
    assert_ne!(code, 0);
    for key in ["pattern.min_area_ha", "pattern.nn", "pattern.truncate"] {
        assert!(err.contains(key), "{key} not reported:\n{err}");
    }
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(!dir.path().join("out/pattern").exists());
}
