//! Cost distance against an independent brute-force Dijkstra (BinaryHeap, f64) on seeded random
//! grids, invariants, nodata handling, least-cost paths, and scikit-image MCP_Geometric when
//! ECOPLAN_PY is set.

mod cost_common;
use cost_common::*;

use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_pattern::cost_distance::*;

fn grid_f32(w: usize, h: usize, cs: f64, v: &[f64]) -> Grid<f32> {
    let spec = GridSpec::new(w, h, GeoTransform::north_up(1000.0, 5000.0, cs), None);
    Grid::from_vec(&spec, v.iter().map(|&x| x as f32).collect(), None).unwrap()
}

/// One random case: costs, sources with ids, and the engine output.
struct Case {
    w: usize,
    h: usize,
    cs: f64,
    cost: Vec<f64>,
    src: Vec<u32>,
}

fn random_case(rng: &mut Rng) -> Case {
    let w = 1 + rng.below(28);
    let h = 1 + rng.below(28);
    let cs = [1.0, 30.0, 400.0][rng.below(3)];
    let holes = [0.0, 0.1, 0.35][rng.below(3)];
    // Every third case spans 1e-3..1e4 (log-uniform): too wide a range for the bucket queue,
    // so the radix-heap path is compared too.
    let mut cost = random_costs(rng, w * h, 1.0, 100.0, holes);
    if rng.below(3) == 0 {
        for c in cost.iter_mut().filter(|c| c.is_finite()) {
            *c = 10f64.powf(-3.0 + 7.0 * (*c - 1.0) / 99.0);
        }
    }
    let mut src = vec![0u32; w * h];
    for _ in 0..1 + rng.below(5) {
        src[rng.below(w * h)] = 1 + rng.below(3) as u32;
    }
    Case {
        w,
        h,
        cs,
        cost,
        src,
    }
}

#[test]
fn matches_brute_force_on_random_grids() {
    let mut rng = Rng(0x5eed_0001);
    let mut compared = 0usize;
    for case_no in 0..120 {
        let c = random_case(&mut rng);
        let cost = grid_f32(c.w, c.h, c.cs, &c.cost);
        // The library reads f32 costs: give the brute force the same rounded values.
        let cost64: Vec<f64> = cost.data.iter().map(|&x| x as f64).collect();
        let src = Grid::from_vec(&cost.spec(), c.src.clone(), None).unwrap();
        let src_cells: Vec<usize> = (0..c.w * c.h).filter(|&i| c.src[i] > 0).collect();
        let usable = src_cells.iter().any(|&i| cost64[i].is_finite());
        let r = cost_distance(&cost, &src, &CostDistanceParams::default(), &NoProgress);
        if !usable {
            assert!(
                matches!(r, Err(CostDistanceError::NoSources(_))),
                "case {case_no}"
            );
            continue;
        }
        let r = r.unwrap();
        let bf = brute_force(&cost64, c.w, c.h, c.cs, &src_cells);
        // Per-id brute force for the allocation check.
        let ids: Vec<u32> = {
            let mut v: Vec<u32> = src_cells.iter().map(|&i| c.src[i]).collect();
            v.sort();
            v.dedup();
            v
        };
        let per_id: Vec<(u32, Vec<f64>)> = ids
            .iter()
            .map(|&id| {
                let cells: Vec<usize> = src_cells
                    .iter()
                    .copied()
                    .filter(|&i| c.src[i] == id)
                    .collect();
                (id, brute_force(&cost64, c.w, c.h, c.cs, &cells))
            })
            .collect();
        let back = r.backlink.as_ref().unwrap();
        let alloc = r.allocation.as_ref().unwrap();
        for i in 0..c.w * c.h {
            let got = r.distance.data[i];
            if bf[i].is_infinite() {
                assert_eq!(got, DISTANCE_NODATA, "case {case_no} cell {i}");
                assert_eq!(back.data[i], BACKLINK_NODATA);
                assert_eq!(alloc.data[i], ALLOCATION_NODATA);
                continue;
            }
            compared += 1;
            assert!(
                close(got as f64, bf[i], 2e-6),
                "case {case_no} cell {i}: {got} vs {}",
                bf[i]
            );
            // Allocation: the chosen source is (within f32 rounding) a nearest one.
            let a = alloc.data[i];
            let da = per_id.iter().find(|(id, _)| *id == a).unwrap().1[i];
            assert!(close(da, bf[i], 2e-6), "case {case_no} cell {i} alloc {a}");
            // Back-link: one step toward the source, consistent with the step cost.
            if bf[i] == 0.0 {
                assert_eq!(back.data[i], 0);
                continue;
            }
            let code = back.data[i];
            assert!(
                (1..=8).contains(&code),
                "case {case_no} cell {i} code {code}"
            );
            let (dr, dc) = BACKLINK_OFFSETS[code as usize - 1];
            let j = ((i / c.w) as i64 + dr) as usize * c.w + ((i % c.w) as i64 + dc) as usize;
            let len = if dr != 0 && dc != 0 {
                c.cs * 2f64.sqrt()
            } else {
                c.cs
            };
            let step = (cost64[i] + cost64[j]) / 2.0 * len;
            assert!(
                close(bf[j] + step, bf[i], 2e-6),
                "case {case_no} cell {i}: back-link step inconsistent"
            );
            assert_eq!(alloc.data[j], a, "allocation follows back-links");
        }
        assert_eq!(
            r.summary.reached_cells as usize,
            bf.iter().filter(|d| d.is_finite()).count()
        );
    }
    assert!(compared > 10_000, "too few cells compared: {compared}");
}

#[test]
fn distance_is_at_least_straight_line_times_min_cost() {
    let mut rng = Rng(77);
    for _ in 0..20 {
        let (w, h, cs) = (40, 30, 30.0);
        let cost = random_costs(&mut rng, w * h, 2.0, 50.0, 0.05);
        let g = grid_f32(w, h, cs, &cost);
        let min_cost = g
            .data
            .iter()
            .filter(|v| v.is_finite())
            .fold(f32::INFINITY, |a, &b| a.min(b)) as f64;
        let mut src = vec![0u8; w * h];
        let s = rng.below(w * h);
        src[s] = 1;
        if !cost[s].is_finite() {
            continue;
        }
        let sg = Grid::from_vec(&g.spec(), src, None).unwrap();
        let r = cost_distance(&g, &sg, &CostDistanceParams::default(), &NoProgress).unwrap();
        assert_eq!(r.distance.data[s], 0.0);
        for i in 0..w * h {
            let d = r.distance.data[i];
            if d == DISTANCE_NODATA {
                continue;
            }
            let (dx, dy) = (
                (i % w) as f64 - (s % w) as f64,
                (i / w) as f64 - (s / w) as f64,
            );
            let straight = (dx * dx + dy * dy).sqrt() * cs;
            assert!(d as f64 >= straight * min_cost * (1.0 - 1e-6), "cell {i}");
        }
    }
}

#[test]
fn nodata_walls_block_and_stay_nodata() {
    // A nodata column splits the grid except for one gap at the bottom row.
    let (w, h) = (7, 5);
    let mut cost = vec![1.0f32; w * h];
    for r in 0..h - 1 {
        cost[r * w + 3] = -1.0; // the nodata value
    }
    let mut g = Grid::from_rows(w, h, cost).unwrap();
    g.nodata = Some(-1.0);
    let mut src = Grid::filled(&g.spec(), 0u16, None);
    src.data[0] = 4;
    let r = cost_distance(&g, &src, &CostDistanceParams::default(), &NoProgress).unwrap();
    for row in 0..h - 1 {
        assert_eq!(r.distance.data[row * w + 3], DISTANCE_NODATA);
    }
    assert_eq!(r.summary.nodata_cells, 4);
    // (6,0) must go around through the gap at (3,4): longer than the straight 6.
    assert!(r.distance.data[6] > 8.0);
    // A fully enclosed region stays unreached (nodata), not an error.
    let mut cost2 = vec![1.0f32; 25];
    for i in [6, 7, 8, 11, 13, 16, 17, 18] {
        cost2[i] = f32::NAN;
    }
    let g2 = Grid::from_rows(5, 5, cost2).unwrap();
    let mut s2 = Grid::filled(&g2.spec(), 0u8, None);
    s2.data[0] = 1;
    let r2 = cost_distance(&g2, &s2, &CostDistanceParams::default(), &NoProgress).unwrap();
    assert_eq!(r2.distance.data[12], DISTANCE_NODATA);
    assert_eq!(r2.summary.unreached_cells, 1);
    // A source on a nodata cell is dropped and counted.
    s2.data[7] = 2;
    let r3 = cost_distance(&g2, &s2, &CostDistanceParams::default(), &NoProgress).unwrap();
    assert_eq!(r3.summary.sources_on_barrier, 1);
}

#[test]
fn least_cost_path_cost_and_length_are_consistent() {
    let mut rng = Rng(4242);
    let (w, h, cs) = (35, 25, 30.0);
    let cost = random_costs(&mut rng, w * h, 1.0, 60.0, 0.0);
    let g = grid_f32(w, h, cs, &cost);
    let mut src = Grid::filled(&g.spec(), 0u32, None);
    for i in [0, 1, w, w + 1] {
        src.data[i] = 1;
    }
    let r = cost_distance(&g, &src, &CostDistanceParams::default(), &NoProgress).unwrap();
    // Destination: a 2×2 block in the far corner.
    let dest = [w * h - 1, w * h - 2, w * (h - 1) - 1, w * (h - 1) - 2];
    let p = least_cost_path(&r, &dest).unwrap();
    let best = dest
        .iter()
        .map(|&i| r.distance.data[i])
        .fold(f32::INFINITY, f32::min);
    assert_eq!(p.cost, best as f64);
    assert_eq!(src.data[p.source_cell()], 1);
    // Re-add the step costs along the path in f64.
    let mut sum = 0.0;
    let mut len = 0.0;
    for s in p.cells.windows(2) {
        let diag = (s[0] % w != s[1] % w) && (s[0] / w != s[1] / w);
        let l = if diag { cs * 2f64.sqrt() } else { cs };
        sum += (g.data[s[0]] as f64 + g.data[s[1]] as f64) / 2.0 * l;
        len += l;
    }
    assert!(close(sum, p.cost, 1e-5), "{sum} vs {}", p.cost);
    assert!((len - p.length).abs() < 1e-9);
    let line = p.polyline(&g.spec());
    assert_eq!(line.len(), p.cells.len());
    assert!(dest.contains(&p.cells[0]));
    assert_eq!(
        line[0],
        g.transform.cell_center(p.cells[0] % w, p.cells[0] / w)
    );
    let raster = path_raster(&g.spec(), &[p.clone(), p.clone()]);
    assert_eq!(
        raster.data.iter().filter(|&&c| c == 2).count(),
        p.cells.len()
    );
    // Path from a nodata / unreached destination is an error, not a panic.
    let mut cut = r.clone();
    cut.distance.data[w * h - 1] = DISTANCE_NODATA;
    assert!(least_cost_path(&cut, &[w * h - 1]).is_err());
}

#[test]
fn agrees_with_scikit_image_mcp_geometric() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(99);
    let (w, h, cs) = (90, 70, 30.0);
    let cost = random_costs(&mut rng, w * h, 1.0, 500.0, 0.0);
    let g = grid_f32(w, h, cs, &cost);
    let mut src = Grid::filled(&g.spec(), 0u8, None);
    for _ in 0..6 {
        src.data[rng.below(w * h)] = 1;
    }
    let cost_txt: String = g.data.iter().map(|v| format!("{v:e}\n")).collect();
    let src_txt: String = src.data.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(dir.path().join("cost.txt"), cost_txt).unwrap();
    std::fs::write(dir.path().join("src.txt"), src_txt).unwrap();
    let script = format!(
        r#"
import numpy as np
from skimage.graph import MCP_Geometric
c = np.loadtxt(r"{d}/cost.txt").reshape({h}, {w})
s = np.loadtxt(r"{d}/src.txt").reshape({h}, {w})
mcp = MCP_Geometric(c, fully_connected=True)
cum, _ = mcp.find_costs(np.argwhere(s == 1))
np.savetxt(r"{d}/out.txt", (cum * {cs}).ravel())
"#,
        d = dir.path().display()
    );
    let out = std::process::Command::new(&py)
        .args(["-c", &script])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python/scikit-image failed (pip install scikit-image into the venv): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sk: Vec<f64> = std::fs::read_to_string(dir.path().join("out.txt"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let r = cost_distance(&g, &src, &CostDistanceParams::default(), &NoProgress).unwrap();
    let mut max_rel = 0f64;
    for i in 0..w * h {
        let ours = r.distance.data[i] as f64;
        max_rel = max_rel.max((ours - sk[i]).abs() / sk[i].max(1.0));
    }
    assert!(
        max_rel < 2e-6,
        "max relative difference to skimage {max_rel}"
    );
}
