//! Landscape metrics on small hand-computed landscapes (cases the FRAGSTATS tables do not
//! cover: nodata, other cell sizes, one class, isolated classes), and moving windows against
//! the whole-landscape metrics of the cut-out window.

use ecoplan_grid::{GeoTransform, Grid, NoProgress};
use ecoplan_pattern::metrics::window::{moving_window, WindowParams, WINDOW_METRICS};
use ecoplan_pattern::metrics::{
    landscape_metrics, Level, MetricsError, MetricsParams, MetricsTable,
};

fn grid(w: usize, h: usize, cells: Vec<i32>, cell: f64, nodata: Option<i32>) -> Grid<i32> {
    let mut g = Grid::from_rows(w, h, cells).unwrap();
    g.transform = GeoTransform::north_up(0.0, h as f64 * cell, cell);
    g.nodata = nodata;
    g
}

fn all(g: &Grid<i32>) -> MetricsTable {
    landscape_metrics(g, &MetricsParams::default(), &NoProgress).unwrap()
}

fn assert_close(got: Option<f64>, want: f64, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what} missing"));
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn two_blocks_by_hand() {
    // 4×3 landscape, 10 m cells: class 1 = left 2 columns (6 cells), class 2 = right 2 columns.
    //   1 1 2 2
    //   1 1 2 2
    //   1 1 2 2
    let g = grid(4, 3, vec![1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2], 10.0, None);
    let t = all(&g);
    let c = |class, m| t.get(Level::Class, Some(class), m);
    let l = |m| t.get(Level::Landscape, None, m);
    // Area: 6 cells × 100 m² = 0.06 ha; TA 0.12 ha.
    assert_close(c(1, "ca"), 0.06, "ca");
    assert_close(l("ta"), 0.12, "ta");
    assert_close(c(1, "pland"), 50.0, "pland");
    // One patch per class; PD = 1 / 0.12 ha × 100.
    assert_close(c(2, "np"), 1.0, "np");
    assert_close(c(2, "pd"), 100.0 / 0.12, "pd");
    // Shared edge: 3 sides × 10 m; the landscape boundary is not edge.
    assert_close(c(1, "te"), 30.0, "te");
    assert_close(l("te"), 30.0, "landscape te");
    assert_close(l("ed"), 30.0 / 0.12, "ed");
    // LSI: class edge 3 + boundary 7 sides = 10 = minimum perimeter of 6 cells (2×3) → 1.
    assert_close(c(1, "lsi"), 1.0, "lsi");
    // Landscape LSI: (3 + 14) / min perimeter of 12 cells (14).
    assert_close(l("lsi"), 17.0 / 14.0, "landscape lsi");
    // Like adjacencies of class 1: 3 vertical pairs... 2×3 block has 7 single-count joins.
    // PLADJ = 2·7 / (2·7 + 3 + 7) × 100.
    assert_close(c(1, "pladj"), 1400.0 / 24.0, "pladj");
    // AI: 7 joins / max 7 (6 cells: n=2, m=2 ≤ n → 2·2·1 + 2·2 − 1 = 7).
    assert_close(c(1, "ai"), 100.0, "ai");
    // Diversity: two equal classes.
    assert_close(l("shdi"), 2f64.ln(), "shdi");
    assert_close(l("shei"), 1.0, "shei");
    assert_close(l("sidi"), 0.5, "sidi");
    assert_close(l("msidi"), 2f64.ln(), "msidi");
    assert_close(l("pr"), 2.0, "pr");
    assert_close(l("prd"), 2.0 / 0.12 * 100.0, "prd");
    // Patch: perimeter 10 sides = 100 m, area 0.06 ha → PARA 100/0.06 m/ha; SHAPE 10/10.
    let perim = t.patch_values("perim");
    assert_eq!(perim, vec![100.0, 100.0]);
    assert_close(Some(t.patch_values("para")[0]), 100.0 / 0.06, "para");
    assert_close(Some(t.patch_values("shape")[0]), 1.0, "shape");
    // Core: the 4-neighbour rule with the boundary as edge leaves no core in a 2-wide block.
    assert_eq!(t.patch_values("core"), vec![0.0, 0.0]);
    // ENN undefined (one patch per class); IJI undefined with two classes.
    assert!(t.patch_values("enn").iter().all(|v| v.is_nan()));
    assert!(c(1, "iji").unwrap().is_nan());
    // DIVISION with one patch per class: 1 − 0.5² − 0.5² at landscape level.
    assert_close(l("division"), 0.5, "division");
    assert_close(l("mesh"), (36.0 + 36.0) / 12.0 * 0.01, "mesh");
    assert_close(l("split"), 144.0 / 72.0, "split");
}

#[test]
fn nodata_is_outside_the_landscape() {
    // 3×3 with nodata centre and class 5 around it: one ring patch of 8 cells.
    let g = grid(3, 3, vec![5, 5, 5, 5, -1, 5, 5, 5, 5], 30.0, Some(-1));
    let t = all(&g);
    assert_close(t.get(Level::Landscape, None, "ta"), 8.0 * 900.0 / 1e4, "ta");
    assert_close(t.get(Level::Class, Some(5), "np"), 1.0, "np");
    // No class edge at all (nodata sides count as boundary).
    assert_close(t.get(Level::Class, Some(5), "te"), 0.0, "te");
    // Perimeter: outer 12 sides + 4 sides facing the nodata hole = 16 sides × 30 m.
    assert_eq!(t.patch_values("perim"), vec![480.0]);
    // Single class: SHEI/CONTAG undefined, SHDI = 0.
    assert!(t.get(Level::Landscape, None, "shei").unwrap().is_nan());
    assert!(t.get(Level::Landscape, None, "contag").unwrap().is_nan());
    assert_close(t.get(Level::Landscape, None, "shdi"), 0.0, "shdi");
}

#[test]
fn nearest_neighbour_and_core() {
    // Two 3×3 blocks of class 1 on a 9×5 background of class 2, 3 columns apart.
    #[rustfmt::skip]
    let cells = vec![
        2,2,2,2,2,2,2,2,2,
        1,1,1,2,2,2,1,1,1,
        1,1,1,2,2,2,1,1,1,
        1,1,1,2,2,2,1,1,1,
        2,2,2,2,2,2,2,2,2,
    ];
    let g = grid(9, 5, cells, 1.0, None);
    let t = all(&g);
    let enn: Vec<f64> = t
        .values
        .iter()
        .filter(|v| v.level == Level::Patch && v.metric == "enn" && v.class == Some(1))
        .map(|v| v.value)
        .collect();
    // Nearest cells (col 2 and col 6) are 4 m apart centre to centre.
    assert_eq!(enn, vec![4.0, 4.0]);
    // Each block touches the left/right landscape boundary: its centre cell is core only for
    // the block's middle cell; the boundary column is never core.
    let core: Vec<f64> = t
        .values
        .iter()
        .filter(|v| v.level == Level::Patch && v.metric == "core" && v.class == Some(1))
        .map(|v| v.value)
        .collect();
    assert_eq!(core, vec![1e-4, 1e-4]);
    // GYRATE of a 3×3 block: mean distance of the 9 cell centres to the middle.
    let gyr = (4.0 + 4.0 * 2f64.sqrt()) / 9.0;
    let g1: Vec<f64> = t
        .values
        .iter()
        .filter(|v| v.level == Level::Patch && v.metric == "gyrate" && v.class == Some(1))
        .map(|v| v.value)
        .collect();
    assert!((g1[0] - gyr).abs() < 1e-12);
    // CIRCLE: diameter = diagonal of the 3×3 square (√18): 1 − 9/(π·18/4).
    let circle = 1.0 - 9.0 / (std::f64::consts::PI * 18.0 / 4.0);
    let c1: Vec<f64> = t
        .values
        .iter()
        .filter(|v| v.level == Level::Patch && v.metric == "circle" && v.class == Some(1))
        .map(|v| v.value)
        .collect();
    assert!((c1[0] - circle).abs() < 1e-12);
}

#[test]
fn invalid_inputs_are_explained() {
    let mut g = grid(2, 1, vec![1, 2], 10.0, None);
    g.transform.dy = -20.0;
    assert!(matches!(
        landscape_metrics(&g, &MetricsParams::default(), &NoProgress),
        Err(MetricsError::NonSquareCells { .. })
    ));
    let f = Grid::from_rows(2, 1, vec![1.0f32, 2.5]).unwrap();
    let err = landscape_metrics(&f, &MetricsParams::default(), &NoProgress).unwrap_err();
    assert!(err.to_string().contains("col 1"), "{err}");
    let empty = grid(2, 1, vec![-1, -1], 10.0, Some(-1));
    assert!(matches!(
        landscape_metrics(&empty, &MetricsParams::default(), &NoProgress),
        Err(MetricsError::Empty)
    ));
}

#[test]
fn moving_window_equals_metrics_of_the_cut_out_window() {
    // Pseudo-random 3-class raster with some nodata.
    let (w, h) = (23, 17);
    let mut s = 5u64;
    let cells: Vec<i32> = (0..w * h)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = (s >> 40) % 7;
            if v == 6 {
                -1
            } else {
                (v % 3) as i32 + 1
            }
        })
        .collect();
    let g = grid(w, h, cells.clone(), 10.0, Some(-1));
    let radius = 32.0; // 3.2 cells
    let params = WindowParams {
        radius_m: radius,
        metrics: WINDOW_METRICS.iter().map(|s| s.to_string()).collect(),
    };
    let rasters = moving_window(&g, &params, &NoProgress).unwrap();
    let r = radius / 10.0;
    for (cx, cy) in [
        (0usize, 0usize),
        (5, 7),
        (11, 8),
        (22, 16),
        (3, 15),
        (20, 2),
    ] {
        let i = cy * w + cx;
        if cells[i] == -1 {
            assert!(rasters[0].data[i].is_nan());
            continue;
        }
        let cut: Vec<i32> = (0..w * h)
            .map(|j| {
                let (x, y) = ((j % w) as f64, (j / w) as f64);
                if (x - cx as f64).powi(2) + (y - cy as f64).powi(2) <= r * r {
                    cells[j]
                } else {
                    -1
                }
            })
            .collect();
        let t = all(&grid(w, h, cut, 10.0, Some(-1)));
        for (k, name) in WINDOW_METRICS.iter().enumerate() {
            let want = t.get(Level::Landscape, None, name).unwrap();
            let got = rasters[k].data[i] as f64;
            if want.is_nan() {
                assert!(got.is_nan(), "{name} at ({cx},{cy}): {got} vs NaN");
            } else {
                assert!(
                    (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "{name} at ({cx},{cy}): window {got} vs cut-out {want}"
                );
            }
        }
    }
    let bad = WindowParams {
        radius_m: 5.0,
        metrics: vec!["np".into()],
    };
    let msg = bad.validate(10.0).unwrap_err().to_string();
    assert!(msg.contains("radius") && msg.contains("'np'"), "{msg}");
}

#[test]
fn enn_matches_brute_force() {
    let (w, h) = (37, 29);
    let mut s = 17u64;
    let cells: Vec<i32> = (0..w * h)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) % 4) as i32 + 1
        })
        .collect();
    let g = grid(w, h, cells.clone(), 2.0, None);
    let t = all(&g);
    // Brute force: 8-connected patches per class, ids by class then first cell in raster order.
    let mut lab = vec![usize::MAX; w * h];
    let mut patches: Vec<(i32, Vec<usize>)> = Vec::new();
    for class in 1..=4 {
        for start in 0..w * h {
            if cells[start] != class || lab[start] != usize::MAX {
                continue;
            }
            let id = patches.len();
            let mut members = vec![start];
            lab[start] = id;
            let mut k = 0;
            while k < members.len() {
                let (x, y) = ((members[k] % w) as i64, (members[k] / w) as i64);
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let (nx, ny) = (x + dx, y + dy);
                        if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                            continue;
                        }
                        let j = ny as usize * w + nx as usize;
                        if cells[j] == class && lab[j] == usize::MAX {
                            lab[j] = id;
                            members.push(j);
                        }
                    }
                }
                k += 1;
            }
            patches.push((class, members));
        }
    }
    let ours: Vec<(i64, f64)> = t
        .values
        .iter()
        .filter(|v| v.level == Level::Patch && v.metric == "enn")
        .map(|v| (v.class.unwrap(), v.value))
        .collect();
    assert_eq!(ours.len(), patches.len());
    for (id, (class, members)) in patches.iter().enumerate() {
        let mut best = f64::INFINITY;
        for (other, (c2, m2)) in patches.iter().enumerate() {
            if other == id || c2 != class {
                continue;
            }
            for &a in members {
                for &b in m2 {
                    let d = (((a % w) as f64 - (b % w) as f64).powi(2)
                        + ((a / w) as f64 - (b / w) as f64).powi(2))
                    .sqrt();
                    best = best.min(d);
                }
            }
        }
        assert_eq!(ours[id].0, *class as i64);
        assert!(
            (ours[id].1 - best * 2.0).abs() < 1e-9,
            "patch {id}: ours {} brute {}",
            ours[id].1,
            best * 2.0
        );
    }
}
