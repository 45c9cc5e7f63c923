//! Ecological source extraction: components, area threshold, importance filter, policy override,
//! ranking and renumbering.

use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_pattern::sources::*;

fn spec(w: usize, h: usize, cs: f64) -> GridSpec {
    GridSpec::new(
        w,
        h,
        GeoTransform::north_up(500_000.0, 4_000_000.0, cs),
        None,
    )
}

fn mask(s: &GridSpec, rows: &[&str]) -> Grid<u8> {
    let data: Vec<u8> = rows
        .iter()
        .flat_map(|r| r.bytes().map(|b| (b == b'#') as u8))
        .collect();
    Grid::from_vec(s, data, None).unwrap()
}

#[test]
fn patches_areas_and_ranking() {
    // 100 m cells = 1 ha each.
    let s = spec(10, 6, 100.0);
    let core = mask(
        &s,
        &[
            "##....#...",
            "##.....#..", // diagonal touch: 8-connected to the cell above-left
            "......###.",
            "#.........",
            "........##",
            "........##",
        ],
    );
    let p = SourceParams {
        min_area_ha: 2.0,
        ..Default::default()
    };
    let out = extract_sources::<u8, u8>(&core, None, None, &p, &NoProgress).unwrap();
    // Patches (8-conn): A = 4 cells top-left, B = (6,0),(7,1),(6..8,2) = 5 cells, C = 1 cell, D = 4 cells.
    let areas: Vec<f64> = out.table.iter().map(|t| t.area_ha).collect();
    assert_eq!(areas, vec![5.0, 4.0, 4.0]);
    assert_eq!(out.dropped_small, 1);
    assert_eq!(out.patches.get(7, 1), 1); // B is the largest → id 1
    assert_eq!(out.patches.get(0, 0), 2); // A before D (first in scan order)
    assert_eq!(out.patches.get(9, 5), 3);
    assert_eq!(out.patches.get(0, 3), PATCH_NODATA);
    // Centroid of A: mean of its 4 cell centres.
    let a = &out.table[1];
    assert!((a.centroid.0 - 500_100.0).abs() < 1e-9 && (a.centroid.1 - 3_999_900.0).abs() < 1e-9);
    // 4-connectivity cuts (6,0) off B (it touches (7,1) only diagonally): B has 4 cells.
    let p4 = SourceParams {
        eight_connected: false,
        min_area_ha: 2.0,
        ..Default::default()
    };
    let out4 = extract_sources::<u8, u8>(&core, None, None, &p4, &NoProgress).unwrap();
    assert_eq!(
        out4.table.iter().map(|t| t.area_ha).collect::<Vec<_>>(),
        vec![4.0, 4.0, 4.0]
    );
    assert_eq!(out4.dropped_small, 2);
    assert_eq!(out4.patches.get(6, 0), PATCH_NODATA);
}

#[test]
fn importance_filter_and_policy_override() {
    let s = spec(6, 3, 100.0);
    let core = mask(&s, &["###...", "###..#", "......"]);
    let imp = Grid::from_vec(
        &s,
        vec![
            3.0f32, 3.0, 1.0, 0.0, 0.0, 0.0, 3.0, 3.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0,
        ],
        None,
    )
    .unwrap();
    let p = SourceParams {
        importance_threshold: Some(2.0),
        min_area_ha: 3.0,
        ..Default::default()
    };
    let out = extract_sources::<u8, u8>(&core, Some(&imp), None, &p, &NoProgress).unwrap();
    // Only the 2×2 block with importance 3 survives the filter; 4 ha ≥ 3 ha.
    assert_eq!(out.table.len(), 1);
    assert_eq!(out.table[0].cells, 4);
    assert_eq!(out.table[0].mean_importance, Some(3.0));
    assert_eq!(out.table[0].reason, SourceReason::Area);
    // A red-line cell keeps the lone core cell at (5,1) even though it is below the area threshold.
    let mut redline = Grid::filled(&s, 0u8, None);
    redline.data[11] = 1;
    let out2 = extract_sources(&core, Some(&imp), Some(&redline), &p, &NoProgress).unwrap();
    assert_eq!(out2.table.len(), 2);
    assert_eq!(out2.table[1].reason, SourceReason::Policy);
    assert_eq!(out2.patches.get(5, 1), 2);
}

#[test]
fn rerank_by_dpc_renumbers_the_grid() {
    let s = spec(7, 1, 100.0);
    let core = mask(&s, &["##.###."]);
    let mut out = extract_sources::<u8, u8>(
        &core,
        None,
        None,
        &SourceParams {
            min_area_ha: 1.0,
            ..Default::default()
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(out.patches.data, vec![2, 2, 0, 1, 1, 1, 0]);
    out.table[0].dpc = Some(10.0); // the 3-cell patch
    out.table[1].dpc = Some(55.0); // the 2-cell patch
    out.rerank(Ranking::Dpc);
    assert_eq!(out.patches.data, vec![1, 1, 0, 2, 2, 2, 0]);
    assert_eq!(out.table[0].dpc, Some(55.0));
    assert_eq!(out.table[0].id, 1);
    assert_eq!(out.ranking, Ranking::Dpc);
}

#[test]
fn bad_inputs_are_reported() {
    let s = spec(3, 3, 100.0);
    let core = Grid::filled(&s, 1u8, None);
    let e = extract_sources::<u8, u8>(
        &core,
        None,
        None,
        &SourceParams {
            min_area_ha: -1.0,
            ..Default::default()
        },
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(e, SourcesError::Params(_)), "{e}");
    let other = Grid::filled(&spec(4, 3, 100.0), 1.0f32, None);
    let e = extract_sources::<u8, u8>(
        &core,
        Some(&other),
        None,
        &SourceParams::default(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(e.to_string().contains("importance"), "{e}");
    let mut geo = core.clone();
    geo.crs = Some(ecoplan_grid::Crs::Epsg(4326));
    assert!(matches!(
        extract_sources::<u8, u8>(&geo, None, None, &SourceParams::default(), &NoProgress),
        Err(SourcesError::GeographicCrs(_))
    ));
}

#[test]
fn dpc_ranking_prefers_the_stepping_stone_and_cuts() {
    use ecoplan_pattern::conefor::{probability_connectivity, DispersalKernel, ProbabilityGraph};
    // Three 2×2 patches (4 ha at 100 m) on a row: gaps of 5 cells (500 m) between A–B and B–C.
    // Equal areas: A comes first by area (scan order); B (the stepping stone) must lead by dPC.
    let s = spec(24, 3, 100.0);
    let core = mask(
        &s,
        &[
            "##.....##.....##........",
            "##.....##.....##........",
            "........................",
        ],
    );
    let mut out = extract_sources::<u8, u8>(
        &core,
        None,
        None,
        &SourceParams {
            min_area_ha: 1.0,
            ..Default::default()
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(out.patches.get(0, 0), 1);
    let kernel = DispersalKernel {
        distance: 500.0,
        probability: 0.5,
    };
    let params = DpcParams {
        kernel,
        min_dpc: None,
        min_probability: 1e-6,
    };
    rank_by_dpc(&mut out, &params).unwrap();
    assert_eq!(out.ranking, Ranking::Dpc);
    // Independent check with the Conefor functions on hand-computed distances: A–B 500 m,
    // B–C 500 m, A–C 1200 m (the B patch is 2 cells wide).
    let areas = [4.0, 4.0, 4.0]; // A, B, C
    let g = ProbabilityGraph::from_links(
        3,
        &[
            (0, 1, kernel.probability_at(500.0)),
            (1, 2, kernel.probability_at(500.0)),
            (0, 2, kernel.probability_at(1200.0)),
        ],
    )
    .unwrap();
    let pc = probability_connectivity(&areas, &g, 24.0 * 3.0).unwrap();
    let b = out
        .table
        .iter()
        .find(|p| p.centroid.0 > 500_700.0 && p.centroid.0 < 500_900.0)
        .unwrap();
    assert_eq!(b.id, 1, "{:?}", out.table);
    assert!((b.dpc.unwrap() - pc.nodes[1].d).abs() < 1e-9);
    assert_eq!(out.patches.get(7, 0), 1);
    // A and C are symmetric; a cut between their dPC and B's keeps B alone.
    let dpcs: Vec<f64> = out.table.iter().map(|p| p.dpc.unwrap()).collect();
    assert!((dpcs[1] - dpcs[2]).abs() < 1e-9 && dpcs[0] > dpcs[1]);
    let cut = (dpcs[0] + dpcs[1]) / 2.0;
    rank_by_dpc(
        &mut out,
        &DpcParams {
            min_dpc: Some(cut),
            ..params
        },
    )
    .unwrap();
    assert_eq!(out.table.len(), 1);
    assert_eq!(out.dropped_low_dpc, 2);
    assert_eq!(out.patches.get(0, 0), PATCH_NODATA);
    assert_eq!(out.patches.data.iter().filter(|&&v| v == 1).count(), 4);
    assert!(out.patches.data.iter().all(|&v| v <= 1));
    // The reported dPC is the one computed on the candidate set (before the cut).
    assert_eq!(out.table[0].dpc, Some(dpcs[0]));
}
