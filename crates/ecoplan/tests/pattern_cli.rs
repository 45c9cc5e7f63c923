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
