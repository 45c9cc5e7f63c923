//! Resistance surfaces: presets parse, unmapped classes are listed, corrections and factors follow
//! the METHODS §3.2 formulas cell by cell.

use ecoplan_grid::{GeoTransform, Grid, GridSpec};
use ecoplan_pattern::resistance::*;

fn spec(w: usize, h: usize) -> GridSpec {
    GridSpec::new(w, h, GeoTransform::north_up(0.0, 0.0, 30.0), None)
}

#[test]
fn every_preset_parses_with_provenance() {
    for name in ResistanceTable::preset_names() {
        let t = ResistanceTable::preset(name).unwrap();
        assert!(!t.classes.is_empty() && !t.source.is_empty(), "{name}");
        assert!(t
            .classes
            .iter()
            .all(|c| c.resistance > 0.0 && !c.name_zh.is_empty()));
        // Round trip through the CSV the run folder records.
        let again = ResistanceTable::parse_csv(name, &t.to_csv()).unwrap();
        assert_eq!(again.classes, t.classes, "{name}");
    }
    let nj = ResistanceTable::preset("nanjing_clcd").unwrap();
    assert_eq!(nj.resistance_of(51), Some(10_000.0));
    assert_eq!(nj.resistance_of(2), Some(1.0));
    let slope = BreakTable::preset("turpan_slope").unwrap();
    assert_eq!(slope.classify(0.0), Some(1.0));
    assert_eq!(slope.classify(8.0), Some(1.0));
    assert_eq!(slope.classify(8.01), Some(5.0));
    assert_eq!(slope.classify(60.0), Some(80.0));
    assert!(matches!(
        ResistanceTable::preset("nope"),
        Err(ResistanceError::UnknownPreset(..))
    ));
}

#[test]
fn table_errors_are_all_reported() {
    let e = ResistanceTable::parse_csv("t", "code,resistance\n1,5\nx,3\n2,-1\n1,7\n").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("'x'") && msg.contains("-1") && msg.contains("twice"),
        "{msg}"
    );
    assert!(ResistanceTable::parse_csv("t", "a,b\n1,2\n").is_err());
}

#[test]
fn unmapped_classes_are_listed_with_counts() {
    let lu = Grid::from_vec(&spec(4, 1), vec![2i32, 42, 42, 77], None).unwrap();
    let t = ResistanceTable::preset("clcd_default").unwrap();
    let e = resistance_from_classes(&lu, &t, &[], &[], &ResistanceParams::default()).unwrap_err();
    assert_eq!(
        e,
        ResistanceError::UnmappedClasses {
            table: "clcd_default".into(),
            classes: vec![(42, 2), (77, 1)]
        }
    );
    assert!(e.to_string().contains("42 (2 cells), 77 (1 cells)"));
}

#[test]
fn ndvi_and_night_light_corrections() {
    // Two forest cells (class 2, R = 1) and two cropland cells (class 1, R = 30).
    let s = spec(4, 1);
    let lu = Grid::from_vec(&s, vec![2u8, 2, 1, 1], None).unwrap();
    let ndvi = Grid::from_vec(&s, vec![0.8f32, 0.4, 0.5, 0.5], None).unwrap();
    let t = ResistanceTable::preset("clcd_default").unwrap();
    let p = ResistanceParams {
        clamp: Some((0.1, 1000.0)),
        ..Default::default()
    };
    let r = resistance_from_classes(
        &lu,
        &t,
        &[],
        &[Correction {
            kind: CorrectionKind::Ndvi,
            layer: &ndvi,
        }],
        &p,
    )
    .unwrap();
    // Forest mean NDVI 0.6: 1·0.6/0.8 = 0.75, 1·0.6/0.4 = 1.5; cropland unchanged.
    let v: Vec<f64> = r.resistance.data.iter().map(|&x| x as f64).collect();
    assert!(
        (v[0] - 0.75).abs() < 1e-6 && (v[1] - 1.5).abs() < 1e-6,
        "{v:?}"
    );
    assert_eq!((v[2], v[3]), (30.0, 30.0));
    assert_eq!(
        r.report.corrections[0].class_means,
        vec![(1, 0.5), (2, 0.6000000089406967)]
    );
    // Night light: R′ = R·NL_i/NL_a; with the default clamp (table min/max = 1..500).
    let nl = Grid::from_vec(&s, vec![0.0f32, 0.0, 10.0, 30.0], None).unwrap();
    let r2 = resistance_from_classes(
        &lu,
        &t,
        &[],
        &[Correction {
            kind: CorrectionKind::NightLight,
            layer: &nl,
        }],
        &ResistanceParams::default(),
    )
    .unwrap();
    assert_eq!(r2.resistance.data, vec![1.0, 1.0, 15.0, 45.0]);
    assert_eq!(r2.report.clamp, (1.0, 500.0));
    assert!(r2
        .report
        .notes
        .iter()
        .any(|n| n.contains("class 2") && n.contains("uncorrected")));
}

#[test]
fn weighted_factors_follow_the_turpan_rule() {
    let s = spec(3, 1);
    let lu = Grid::from_vec(&s, vec![1u8, 8, 2], None).unwrap();
    let slope = Grid::from_vec(&s, vec![5.0f32, 30.0, f32::NAN], None).unwrap();
    let t = ResistanceTable::preset("turpan_landuse_clcd").unwrap();
    let b = BreakTable::preset("turpan_slope").unwrap();
    let p = ResistanceParams {
        landuse_weight: 0.7,
        clamp: None,
    };
    let r = resistance_from_classes(
        &lu,
        &t,
        &[Factor {
            name: "slope",
            layer: &slope,
            breaks: &b,
            weight: 0.3,
        }],
        &[],
        &p,
    )
    .unwrap();
    let v: Vec<f64> = r.resistance.data.iter().map(|&x| x as f64).collect();
    assert!((v[0] - (0.7 * 50.0 + 0.3 * 1.0)).abs() < 1e-4);
    assert!((v[1] - (0.7 * 1000.0 + 0.3 * 20.0)).abs() < 1e-3);
    // Missing slope: land use alone (weights renormalised), reported.
    assert!((v[2] - 30.0).abs() < 1e-6);
    assert_eq!(r.report.factors[0].missing_cells, 1);
    assert_eq!(r.report.class_cells, vec![(1, 1), (2, 1), (8, 1)]);
}

#[test]
fn nodata_classes_stay_nodata() {
    let mut lu = Grid::from_vec(&spec(3, 1), vec![2i16, -1, 4], None).unwrap();
    lu.nodata = Some(-1);
    let t = ResistanceTable::preset("clcd_default").unwrap();
    let r = resistance_from_classes(&lu, &t, &[], &[], &ResistanceParams::default()).unwrap();
    assert_eq!(r.resistance.data, vec![1.0, RESISTANCE_NODATA, 10.0]);
    assert_eq!(r.report.nodata_cells, 1);
}

#[test]
fn every_break_preset_parses_with_provenance() {
    let names = BreakTable::preset_names();
    assert!(names.contains(&"turpan_slope") && names.contains(&"road_distance"));
    for name in names {
        let b = BreakTable::preset(name).unwrap();
        assert!(!b.rows.is_empty() && !b.source.is_empty(), "{name}");
        // The last row is open-ended, so every finite value gets a resistance.
        assert_eq!(b.rows.last().unwrap().0, f64::INFINITY, "{name}");
    }
}

/// Distance to a road (EDT from the road cells) reclassified by the road_distance preset and
/// weighted with land use: R = 0.8·R_lu + 0.2·R_road(d), cell by cell.
#[test]
fn road_distance_preset_as_a_weighted_factor() {
    let n = 40;
    let s = spec(n, 1);
    let t = ResistanceTable::preset("turpan_landuse_clcd").unwrap();
    let cropland = t.resistance_of(1).unwrap();
    let lu = Grid::from_vec(&s, vec![1u8; n], None).unwrap();
    let d = ecoplan_pattern::corridors::euclidean_distance(|i| i == 0, n, 1, 30.0, 30.0);
    let dist = Grid::from_vec(&s, d, None).unwrap();
    let b = BreakTable::preset("road_distance").unwrap();
    let r = resistance_from_classes(
        &lu,
        &t,
        &[Factor {
            name: "distance to roads",
            layer: &dist,
            breaks: &b,
            weight: 0.2,
        }],
        &[],
        &ResistanceParams {
            landuse_weight: 0.8,
            clamp: None,
        },
    )
    .unwrap();
    // Column c lies 30·c m from the road: 0–100 m → 100, ≤ 300 → 60, ≤ 500 → 30, ≤ 1000 → 10, beyond → 1.
    for (c, road) in [
        (0, 100.0),
        (3, 100.0),
        (4, 60.0),
        (10, 60.0),
        (11, 30.0),
        (16, 30.0),
        (17, 10.0),
        (33, 10.0),
        (34, 1.0),
        (39, 1.0),
    ] {
        let want = 0.8 * cropland + 0.2 * road;
        let got = r.resistance.data[c] as f64;
        assert!((got - want).abs() < 1e-3, "column {c}: {got} vs {want}");
    }
}
