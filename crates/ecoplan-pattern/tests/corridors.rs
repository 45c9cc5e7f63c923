//! Linkage Mapper corridors: every NLCC cell and link value against brute-force Dijkstra on
//! small random grids, pruning rules on hand-made layouts, the Linkage Mapper tutorial data
//! (6 real cores, 808×730 resistance raster) against brute force and the published formulas,
//! and Barrier Mapper against a direct evaluation of its formula.

mod cost_common;
use cost_common::*;

use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_pattern::corridors::*;
use ecoplan_pattern::cost_distance::DISTANCE_NODATA;
use std::collections::BTreeMap;

fn spec(w: usize, h: usize, cs: f64) -> GridSpec {
    GridSpec::new(w, h, GeoTransform::north_up(0.0, h as f64 * cs, cs), None)
}

/// Places rectangular cores `(id, col0, row0, cols, rows)`.
fn cores_grid(s: &GridSpec, rects: &[(u32, usize, usize, usize, usize)]) -> Grid<u32> {
    let mut g = Grid::filled(s, 0u32, None);
    for &(id, c0, r0, cw, rh) in rects {
        for r in r0..r0 + rh {
            for c in c0..c0 + cw {
                g.data[r * s.width + c] = id;
            }
        }
    }
    g
}

fn cells_of(g: &Grid<u32>, id: u32) -> Vec<usize> {
    (0..g.len()).filter(|&i| g.data[i] == id).collect()
}

fn all_links_params() -> LinkageParams {
    LinkageParams {
        nearest_neighbours: None,
        drop_crossing_cores: false,
        ..Default::default()
    }
}

#[test]
fn small_grids_match_brute_force_everywhere() {
    let mut rng = Rng(0xC0_7710);
    for case in 0..12 {
        let (w, h, cs) = (
            18 + rng.below(10),
            14 + rng.below(10),
            [1.0, 30.0][rng.below(2)],
        );
        let s = spec(w, h, cs);
        let costs = random_costs(
            &mut rng,
            w * h,
            1.0,
            40.0,
            if case % 3 == 0 { 0.08 } else { 0.0 },
        );
        let rects = [
            (1u32, 1, 1, 3, 2),
            (2, w - 4, 2, 2, 3),
            (3, 2, h - 3, 4, 2),
            (4, w / 2, h / 2, 2, 2),
        ];
        let cores = cores_grid(&s, &rects);
        let mut res = Grid::from_vec(&s, costs.iter().map(|&c| c as f32).collect(), None).unwrap();
        // Cores are habitat: keep them passable.
        for i in 0..w * h {
            if cores.data[i] != 0 && res.data[i].is_nan() {
                res.data[i] = 1.0;
            }
        }
        let cost64: Vec<f64> = res.data.iter().map(|&x| x as f64).collect();
        let out = linkage_corridors(&res, &cores, &all_links_params(), &NoProgress).unwrap();
        let bf: BTreeMap<u32, Vec<f64>> = (1..=4)
            .map(|id| (id, brute_force(&cost64, w, h, cs, &cells_of(&cores, id))))
            .collect();
        assert!(!out.links.is_empty());
        for l in &out.links {
            let lcd = cells_of(&cores, l.core_b)
                .iter()
                .map(|&i| bf[&l.core_a][i])
                .fold(f64::INFINITY, f64::min);
            if lcd.is_infinite() {
                assert_eq!(l.link_type, LinkType::Unreachable, "case {case}");
                continue;
            }
            assert!(
                close(l.cwd, lcd, 2e-6),
                "case {case} link {}-{}: {} vs {lcd}",
                l.core_a,
                l.core_b,
                l.cwd
            );
            // The path: starts in B, ends in A, and its step costs add up to the LCD.
            assert_eq!(cores.data[l.path_cells[0]], l.core_b);
            assert_eq!(cores.data[*l.path_cells.last().unwrap()], l.core_a);
            let mut sum = 0.0;
            for p in l.path_cells.windows(2) {
                let diag = p[0] % w != p[1] % w && p[0] / w != p[1] / w;
                sum +=
                    (cost64[p[0]] + cost64[p[1]]) / 2.0 * if diag { cs * 2f64.sqrt() } else { cs };
            }
            assert!(
                close(sum, l.cwd, 2e-6),
                "case {case}: path cost {sum} vs {}",
                l.cwd
            );
            assert!((l.cwd_to_path - l.cwd / l.lcp_length).abs() <= 1e-12 * l.cwd_to_path.abs());
            // Euclidean edge-to-edge distance against all cell pairs.
            let e = cells_of(&cores, l.core_a)
                .iter()
                .flat_map(|&i| cells_of(&cores, l.core_b).into_iter().map(move |j| (i, j)))
                .map(|(i, j)| {
                    let dc = (((i % w) as f64 - (j % w) as f64).abs() - 1.0).max(0.0) * cs;
                    let dr = (((i / w) as f64 - (j / w) as f64).abs() - 1.0).max(0.0) * cs;
                    (dc * dc + dr * dr).sqrt()
                })
                .fold(f64::INFINITY, f64::min);
            assert!((l.euclidean - e).abs() < 1e-9, "case {case}");
            assert!(
                (l.cwd_to_euclidean - l.cwd / l.euclidean).abs() < 1e-9 * l.cwd_to_euclidean.abs()
                    || l.euclidean == 0.0
            );
        }
        // Every NLCC cell = min over kept links of CWD_A + CWD_B − LCD.
        let kept: Vec<&Link> = out.kept_links().collect();
        for i in 0..w * h {
            let expect = kept
                .iter()
                .map(|l| bf[&l.core_a][i] + bf[&l.core_b][i] - l.cwd)
                .fold(f64::INFINITY, f64::min);
            let got = out.nlcc.data[i];
            if expect.is_infinite() {
                assert_eq!(got, DISTANCE_NODATA, "case {case} cell {i}");
            } else {
                assert!(
                    (got as f64 - expect.max(0.0)).abs()
                        <= 2e-6
                            * bf.values()
                                .map(|d| d[i])
                                .filter(|x| x.is_finite())
                                .fold(1.0, f64::max)
                            * 4.0,
                    "case {case} cell {i}: {got} vs {expect}"
                );
            }
        }
        // LCP cells of a kept link have NLCC ≈ 0 (the corridor's floor).
        for l in &kept {
            for &i in &l.path_cells {
                assert!(
                    out.nlcc.data[i] as f64 <= 1e-5 * l.cwd.max(1.0),
                    "case {case}"
                );
            }
        }
        // Truncation keeps exactly the cells ≤ threshold.
        let t = 3.0 * cs * 20.0;
        let tr = out.truncated(t);
        for i in 0..w * h {
            let v = out.nlcc.data[i];
            if v != DISTANCE_NODATA && v as f64 <= t {
                assert_eq!(tr.data[i], v);
            } else {
                assert_eq!(tr.data[i], DISTANCE_NODATA);
            }
        }
    }
}

#[test]
fn links_through_an_intermediate_core_are_dropped() {
    // A (left) and C (right) are tall strips with a small cheap core B between them; the zones
    // of A and C touch above and below B, so A–C is a candidate whose path crosses B.
    let (w, h) = (41, 61);
    let s = spec(w, h, 10.0);
    let cores = cores_grid(
        &s,
        &[(1, 1, 0, 2, 61), (2, 19, 30, 3, 1), (3, 38, 0, 2, 61)],
    );
    let mut res = Grid::filled(&s, 10.0f32, None);
    for i in cells_of(&cores, 2) {
        res.data[i] = 1.0;
    }
    let out = linkage_corridors(
        &res,
        &cores,
        &LinkageParams {
            nearest_neighbours: None,
            ..Default::default()
        },
        &NoProgress,
    )
    .unwrap();
    let ac = out
        .links
        .iter()
        .find(|l| (l.core_a, l.core_b) == (1, 3))
        .expect("A–C candidate");
    assert_eq!(ac.link_type, LinkType::CrossesCore);
    assert!(out
        .links
        .iter()
        .filter(|l| l.core_a != 1 || l.core_b != 3)
        .all(|l| l.link_type == LinkType::Corridor));
    // With the option off the link is kept.
    let out2 = linkage_corridors(&res, &cores, &all_links_params(), &NoProgress).unwrap();
    assert!(out2.links.iter().all(|l| l.link_type == LinkType::Corridor));
}

#[test]
fn nearest_neighbours_and_constellations() {
    // Two clusters far apart: {1,2,3} on the left, {4,5} on the right, uniform cost. With one
    // nearest neighbour each cluster stays connected internally; the constellation step must
    // add exactly one link between the clusters (the cheapest).
    let (w, h) = (80, 20);
    let s = spec(w, h, 1.0);
    let cores = cores_grid(
        &s,
        &[
            (1, 1, 2, 2, 2),
            (2, 8, 2, 2, 2),
            (3, 4, 12, 2, 2),
            (4, 60, 3, 2, 2),
            (5, 70, 12, 2, 2),
        ],
    );
    let res = Grid::filled(&s, 1.0f32, None);
    let p = LinkageParams {
        nearest_neighbours: Some(1),
        adjacency: AdjacencyMethod::Euclidean,
        ..Default::default()
    };
    let out = linkage_corridors(&res, &cores, &p, &NoProgress).unwrap();
    let kept: Vec<&Link> = out.kept_links().collect();
    // Each core keeps its nearest neighbour.
    for c in 1..=5u32 {
        let nearest = out
            .links
            .iter()
            .filter(|l| l.core_a == c || l.core_b == c)
            .min_by(|a, b| a.cwd.total_cmp(&b.cwd))
            .unwrap();
        assert!(nearest.link_type.is_kept(), "core {c}");
    }
    let bridges: Vec<&&Link> = kept
        .iter()
        .filter(|l| l.link_type == LinkType::Constellation)
        .collect();
    // Cross-cluster links are those with one end in {4,5}.
    let cross = |l: &Link| (l.core_a <= 3) != (l.core_b <= 3);
    assert_eq!(kept.iter().filter(|l| cross(l)).count(), 1);
    assert_eq!(bridges.len(), 1);
    assert!(cross(bridges[0]));
    let cheapest_cross = out
        .links
        .iter()
        .filter(|l| cross(l))
        .map(|l| l.cwd)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(bridges[0].cwd, cheapest_cross);
    // Without constellations the network stays split.
    let out2 = linkage_corridors(
        &res,
        &cores,
        &LinkageParams {
            connect_constellations: false,
            ..p.clone()
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(out2.kept_links().filter(|l| cross(l)).count(), 0);
    // Distance limits.
    let out3 = linkage_corridors(
        &res,
        &cores,
        &LinkageParams {
            max_euclidean: Some(30.0),
            nearest_neighbours: None,
            ..p.clone()
        },
        &NoProgress,
    )
    .unwrap();
    for l in &out3.links {
        if l.euclidean > 30.0 {
            assert_eq!(l.link_type, LinkType::TooLongEuclidean);
        }
    }
    assert!(out3
        .links
        .iter()
        .any(|l| l.link_type == LinkType::TooLongEuclidean));
}

#[test]
fn gravity_follows_the_formula() {
    let (w, h) = (40, 20);
    let s = spec(w, h, 30.0);
    let cores = cores_grid(&s, &[(1, 1, 1, 4, 4), (2, 30, 2, 6, 6), (3, 10, 14, 3, 3)]);
    let mut rng = Rng(5);
    let costs = random_costs(&mut rng, w * h, 1.0, 20.0, 0.0);
    let res = Grid::from_vec(&s, costs.iter().map(|&c| c as f32).collect(), None).unwrap();
    let out = linkage_corridors(
        &res,
        &cores,
        &LinkageParams {
            gravity_classes: GravityClasses::Threshold(1.0),
            ..all_links_params()
        },
        &NoProgress,
    )
    .unwrap();
    let l_max = out.kept_links().map(|l| l.cwd).fold(0.0, f64::max);
    for l in out.kept_links() {
        let info = |id: u32| out.cores.iter().find(|c| c.id == id).unwrap();
        let mean_r = |id: u32| {
            let cells = cells_of(&cores, id);
            cells.iter().map(|&i| res.data[i] as f64).sum::<f64>() / cells.len() as f64
        };
        let (a, b) = (info(l.core_a), info(l.core_b));
        assert!((a.mean_resistance - mean_r(l.core_a)).abs() < 1e-9);
        let na = (a.area_m2 / 1e4).ln() / a.mean_resistance;
        let nb = (b.area_m2 / 1e4).ln() / b.mean_resistance;
        let g = na * nb / (l.cwd / l_max).powi(2);
        assert!((l.gravity.unwrap() - g).abs() < 1e-9 * g.abs());
        assert_eq!(l.important, Some(g >= 1.0));
    }
}

fn read_demo() -> (Grid<f32>, Grid<u32>) {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linkagemapper_demo");
    let res = ecoplan_io::ascii::read_ascii(&d.join("lm_resistances.asc.gz"))
        .unwrap()
        .to_f32();
    let cores = ecoplan_io::ascii::read_ascii(&d.join("lm_cores.asc.gz")).unwrap();
    let cores = match cores {
        ecoplan_grid::AnyGrid::I32(g) => g.cast::<u32>(Some(0)),
        other => panic!("cores grid should be integer, got {:?}", other.cell_type()),
    };
    (res, cores)
}

#[test]
fn linkage_mapper_demo_data() {
    let (res, cores) = read_demo();
    assert_eq!((res.width, res.height), (808, 730));
    let out = linkage_corridors(
        &res,
        &cores,
        &LinkageParams::linkage_mapper_demo(),
        &NoProgress,
    )
    .unwrap();
    let (w, h, cs) = (res.width, res.height, res.transform.cell_width());
    let cost64: Vec<f64> = res
        .data
        .iter()
        .map(|&x| if x.is_nan() { f64::NAN } else { x as f64 })
        .collect();
    let bf: BTreeMap<u32, Vec<f64>> = (1..=6)
        .map(|id| (id, brute_force(&cost64, w, h, cs, &cells_of(&cores, id))))
        .collect();
    // Published Conefor-style polygon distances: ours come from the rasterised cores.
    let published: BTreeMap<(u32, u32), f64> = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/linkagemapper_demo/distances_lm_cores.txt"),
    )
    .unwrap()
    .lines()
    .map(|l| {
        let v: Vec<&str> = l.split_whitespace().collect();
        (
            (v[0].parse().unwrap(), v[1].parse().unwrap()),
            v[2].parse().unwrap(),
        )
    })
    .collect();
    eprintln!("id a b type euclid(published) cwd lcp_len cwd/euc cwd/path gravity");
    for l in &out.links {
        let pe = published[&(l.core_a, l.core_b)];
        eprintln!(
            "{} {} {} {:?} {:.0}({:.0}) {:.0} {:.0} {:.2} {:.2} {:?}",
            l.id,
            l.core_a,
            l.core_b,
            l.link_type,
            l.euclidean,
            pe,
            l.cwd,
            l.lcp_length,
            l.cwd_to_euclidean,
            l.cwd_to_path,
            l.gravity
        );
        // Rasterisation moves core edges by under a cell on each side.
        assert!(
            (l.euclidean - pe).abs() < 2.0 * cs,
            "link {}-{}: {} vs {pe}",
            l.core_a,
            l.core_b,
            l.euclidean
        );
        let lcd = cells_of(&cores, l.core_b)
            .iter()
            .map(|&i| bf[&l.core_a][i])
            .fold(f64::INFINITY, f64::min);
        assert!(
            close(l.cwd, lcd, 1e-5),
            "link {}-{}: {} vs {lcd}",
            l.core_a,
            l.core_b,
            l.cwd
        );
        // The demo's limits.
        if l.link_type.is_kept() {
            assert!(l.cwd <= 100_000.0 && l.euclidean <= 40_000.0);
        }
        if l.cwd > 100_000.0 && l.euclidean <= 40_000.0 {
            assert_eq!(l.link_type, LinkType::TooLongCwd);
        }
        if l.euclidean > 40_000.0 {
            assert_eq!(l.link_type, LinkType::TooLongEuclidean);
        }
    }
    let kept: Vec<&Link> = out.kept_links().collect();
    assert!(
        kept.len() >= 5,
        "6 cores need at least 5 links to connect; got {}",
        kept.len()
    );
    // NLCC against brute force on a sample of cells (every 13th), within the corridor width.
    let mut checked = 0;
    for i in (0..w * h).step_by(13) {
        let expect = kept
            .iter()
            .map(|l| bf[&l.core_a][i] + bf[&l.core_b][i] - l.cwd)
            .fold(f64::INFINITY, f64::min);
        let got = out.nlcc.data[i];
        if expect <= 200_000.0 {
            checked += 1;
            assert!(
                (got as f64 - expect.max(0.0)).abs() < 0.05 + 1e-6 * expect.abs().max(100_000.0),
                "cell {i}: {got} vs {expect}"
            );
        }
    }
    assert!(checked > 1000, "{checked}");
    let tr = out.truncated(200_000.0);
    let corridor_cells = tr.data.iter().filter(|&&v| v != DISTANCE_NODATA).count();
    assert!(corridor_cells > 0 && corridor_cells < w * h);
}

#[test]
fn barrier_mapper_matches_direct_formula() {
    // Two cores separated by a band of high resistance with a narrow wall: restoring the wall
    // must score highest.
    let (w, h) = (40, 15);
    let s = spec(w, h, 10.0);
    let cores = cores_grid(&s, &[(1, 1, 5, 3, 5), (2, 36, 5, 3, 5)]);
    let mut res = Grid::filled(&s, 2.0f32, None);
    for r in 0..h {
        res.data[r * w + 20] = 200.0; // the wall
        res.data[r * w + 21] = 200.0;
    }
    let cor = linkage_corridors(&res, &cores, &all_links_params(), &NoProgress).unwrap();
    let bp = BarrierParams {
        min_radius: 10.0,
        max_radius: 30.0,
        radius_step: 10.0,
        ..BarrierParams::cells(10.0)
    };
    let out = barrier_mapper(&res, &cores, &cor, &bp, &NoProgress).unwrap();
    let link = cor.kept_links().next().unwrap();
    let cost64: Vec<f64> = res.data.iter().map(|&x| x as f64).collect();
    let da = brute_force(&cost64, w, h, 10.0, &cells_of(&cores, 1));
    let db = brute_force(&cost64, w, h, 10.0, &cells_of(&cores, 2));
    // Direct evaluation of the centre score at every cell and radius.
    let mut best = vec![0f64; w * h];
    for radius in [10.0f64, 20.0, 30.0] {
        let rc = radius / 10.0;
        for r in 0..h as i64 {
            for c in 0..w as i64 {
                let (mut ma, mut mb) = (f64::INFINITY, f64::INFINITY);
                for dr in -3i64..=3 {
                    for dc in -3i64..=3 {
                        let d = ((dr * dr + dc * dc) as f64).sqrt();
                        if !(d > rc - 1.0 + 1e-9 && d <= rc + 1e-9) {
                            continue;
                        }
                        let (r2, c2) = (r + dr, c + dc);
                        if r2 < 0 || c2 < 0 || r2 >= h as i64 || c2 >= w as i64 {
                            continue;
                        }
                        let j = (r2 * w as i64 + c2) as usize;
                        ma = ma.min(da[j]);
                        mb = mb.min(db[j]);
                    }
                }
                let is = improvement_score(link.cwd, ma, mb, radius);
                let i = (r * w as i64 + c) as usize;
                if is > best[i] {
                    best[i] = is;
                }
            }
        }
    }
    for i in 0..w * h {
        assert!(
            (out.centers.data[i] as f64 - best[i]).abs() < 1e-3 * best[i].max(1.0),
            "cell {i}: {} vs {}",
            out.centers.data[i],
            best[i]
        );
    }
    // The best centre sits on the wall.
    let (imax, _) = out
        .centers
        .data
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    assert!(
        imax % w == 20 || imax % w == 21,
        "best barrier at column {}",
        imax % w
    );
    // Circles dominate centres, and % improvement = 100·IS/LCD at the best centre.
    assert!(out
        .circles
        .data
        .iter()
        .zip(&out.centers.data)
        .all(|(c, z)| c >= z));
    let pct_best = out.percent_circles.data[imax] as f64;
    assert!(
        (pct_best - 100.0 * out.centers.data[imax] as f64 / link.cwd).abs()
            < 1e-3 * pct_best.max(1.0)
    );
}
