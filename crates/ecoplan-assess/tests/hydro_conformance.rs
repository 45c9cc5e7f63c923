//! Routing primitives against pygeoprocessing 2.4.11 on real DEMs (fixtures made by
//! scripts/invest_fixtures/make_fixtures.py): Zion SRTM (UTM 12N, ~31.5 m) and Datong city
//! (UTM 49N, 1 km, with a nodata outside the city boundary).

mod common;
use common::*;
use ecoplan_assess::hydro::*;
use ecoplan_grid::NoProgress;

fn case(name: &str) {
    let dir = data_dir().join("hydro").join(name);
    let p = |f: &str| dir.join(format!("{f}.asc.gz"));
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("params.json")).unwrap()).unwrap();
    let threshold = params["threshold"].as_f64().unwrap();
    let dem = read_dem(&p("dem"));
    let filled = fill_pits(&dem, &NoProgress);
    assert_close(
        &format!("{name} filled"),
        &filled,
        &read(&p("filled")),
        1e-9,
        0.0,
    );
    let d8 = flow_dir_d8(&filled, &NoProgress);
    assert_close(&format!("{name} d8"), &d8, &read(&p("d8")), 0.0, 0.0);
    let mfd = flow_dir_mfd(&filled, &NoProgress);
    assert_close(&format!("{name} mfd"), &mfd, &read(&p("mfd")), 0.0, 0.0);
    let a8 = flow_accumulation_d8(&d8, None, &NoProgress);
    assert_close(
        &format!("{name} acc_d8"),
        &a8,
        &read(&p("acc_d8")),
        1e-9,
        1e-6,
    );
    let am = flow_accumulation_mfd(&mfd, None, &NoProgress);
    assert_close(
        &format!("{name} acc_mfd"),
        &am,
        &read(&p("acc_mfd")),
        1e-9,
        1e-6,
    );
    let slope = slope_percent(&filled, &NoProgress);
    assert_close(
        &format!("{name} slope"),
        &slope,
        &read(&p("slope")),
        1e-4,
        1e-6,
    );
    let s8 = extract_streams_d8(&a8, threshold);
    assert_close(
        &format!("{name} streams_d8"),
        &s8,
        &read(&p("streams_d8")),
        0.0,
        0.0,
    );
    let sm = extract_streams_mfd(&am, &mfd, threshold, 0.7);
    assert_close(
        &format!("{name} streams_mfd"),
        &sm,
        &read(&p("streams_mfd")),
        0.0,
        0.0,
    );
    let dd8 = distance_to_channel_d8(&d8, &s8, None);
    assert_close(
        &format!("{name} dist_d8"),
        &dd8,
        &read(&p("dist_d8")),
        1e-9,
        1e-6,
    );
    let ddm = distance_to_channel_mfd(&mfd, &sm, None);
    assert_close(
        &format!("{name} dist_mfd"),
        &ddm,
        &read(&p("dist_mfd")),
        1e-9,
        1e-6,
    );
}

#[test]
fn zion_srtm_matches_pygeoprocessing() {
    case("zion");
}

#[test]
fn datong_dem_matches_pygeoprocessing() {
    case("datong");
}
