//! Pinchpoint Mapper: analytic series/parallel circuits and the Rayleigh bound
//! (R_eff·cell ≤ LCD, so CWD:R_eff ≥ 1) on the Linkage Mapper tutorial data.

use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_pattern::corridors::*;

fn spec(w: usize, h: usize, cs: f64) -> GridSpec {
    GridSpec::new(w, h, GeoTransform::north_up(0.0, h as f64 * cs, cs), None)
}

fn params() -> LinkageParams {
    LinkageParams {
        nearest_neighbours: None,
        drop_crossing_cores: false,
        ..Default::default()
    }
}

#[test]
fn one_strip_is_a_series_circuit() {
    // 1×12 strip, resistance 5, cells 10 m: 11 unit steps between the end cells.
    let s = spec(12, 1, 10.0);
    let res = Grid::filled(&s, 5.0f32, None);
    let mut cores = Grid::filled(&s, 0u8, None);
    cores.data[0] = 1;
    cores.data[11] = 2;
    let mut cor = linkage_corridors(&res, &cores, &params(), &NoProgress).unwrap();
    assert_eq!(cor.links[0].cwd, 550.0);
    let out = pinchpoint_mapper(
        &res,
        &cores,
        &mut cor,
        &PinchpointParams::new(0.0),
        &NoProgress,
    )
    .unwrap();
    let l = &out.links[0];
    assert!(
        (l.effective_resistance - 550.0).abs() < 1e-3,
        "{}",
        l.effective_resistance
    );
    assert!((l.cwd_to_eff_resist - 1.0).abs() < 1e-6);
    assert_eq!(
        cor.links[0].effective_resistance,
        Some(l.effective_resistance)
    );
    // 1 A through every free cell, zero in the (focal) cores.
    for c in 1..11 {
        assert!(
            (out.current.data[c] - 1.0).abs() < 1e-4,
            "cell {c}: {}",
            out.current.data[c]
        );
    }
    assert_eq!(out.current.data[0], 0.0);
}

#[test]
fn two_parallel_strips_halve_the_resistance() {
    // Rows 0 and 2 are strips, row 1 is nodata except nothing: cores are the end cells of both.
    let s = spec(12, 3, 10.0);
    let mut res = Grid::filled(&s, 5.0f32, None);
    for c in 0..12 {
        res.data[12 + c] = f32::NAN;
    }
    let mut cores = Grid::filled(&s, 0u8, None);
    for r in [0, 2] {
        cores.data[r * 12] = 1;
        cores.data[r * 12 + 11] = 2;
    }
    let mut cor = linkage_corridors(&res, &cores, &params(), &NoProgress).unwrap();
    let out = pinchpoint_mapper(
        &res,
        &cores,
        &mut cor,
        &PinchpointParams::new(1000.0),
        &NoProgress,
    )
    .unwrap();
    let l = &out.links[0];
    assert!(
        (l.effective_resistance - 275.0).abs() < 1e-3,
        "{}",
        l.effective_resistance
    );
    assert!((l.cwd_to_eff_resist - 2.0).abs() < 1e-5);
    assert!((out.current.data[5] - 0.5).abs() < 1e-4);
    assert_eq!(out.current.data[12 + 5], -9999.0);
    // Squared resistances: each strip 11·25 = 275 → 137.5 in parallel, × 10 m.
    let mut p = PinchpointParams::new(1000.0);
    p.square_resistances = true;
    let out2 = pinchpoint_mapper(&res, &cores, &mut cor, &p, &NoProgress).unwrap();
    assert!((out2.links[0].effective_resistance - 1375.0).abs() < 1e-2);
}

#[test]
fn demo_data_obeys_the_rayleigh_bound() {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linkagemapper_demo");
    let res = ecoplan_io::ascii::read_ascii(&d.join("lm_resistances.asc.gz"))
        .unwrap()
        .to_f32();
    let cores = ecoplan_io::ascii::read_ascii(&d.join("lm_cores.asc.gz"))
        .unwrap()
        .to_f32()
        .cast::<u32>(Some(0));
    let mut cor = linkage_corridors(
        &res,
        &cores,
        &LinkageParams::linkage_mapper_demo(),
        &NoProgress,
    )
    .unwrap();
    // A narrow corridor keeps the debug-build solve quick.
    let out = pinchpoint_mapper(
        &res,
        &cores,
        &mut cor,
        &PinchpointParams::new(10_000.0),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(out.links.len(), cor.kept_links().count());
    for l in &out.links {
        // The circuit contains the least-cost path, whose chain resistance (harmonic means) is
        // at most the LCD (arithmetic means): R_eff·cell ≤ LCD.
        assert!(
            l.cwd_to_eff_resist >= 1.0 - 1e-4,
            "link {}: ratio {}",
            l.link_id,
            l.cwd_to_eff_resist
        );
        assert!(l.effective_resistance.is_finite() && l.cells > 0);
    }
    assert!(out.current.data.iter().any(|&c| c > 0.0));
}
