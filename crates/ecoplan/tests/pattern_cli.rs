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
