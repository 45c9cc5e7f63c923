//! Conformance with Circuitscape.jl 5 and Omniscape.jl on the peers' own verified outputs
//! (tests/data, copied from ../shared/conformance; provenance in tests/data/README.md).
//!
//! Tolerances are the peers' own: resistances ±1e-3 absolute, each map Σ(Δ²) < 1e-6,
//! network node/branch/voltage lists Σ(Δ²) < 1e-6 keyed by node, Omniscape whole-array
//! relative 2-norm 1e-6. Every case runs with both solvers.
//!
//! The one large Circuitscape case (mgVerify7, 355×481) is read from
//! `../shared/conformance/circuitscape/test` next to the repository.

use ecoplan_circuit::files::{cs, os, rasters, FilesError, RunOptions};
use ecoplan_circuit::SolverKind;
use ecoplan_grid::NoProgress;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn shared_cs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/circuitscape/test")
}

const SOLVERS: [SolverKind; 2] = [SolverKind::CgAmg, SolverKind::Cholesky];

fn ini_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ini") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn table(path: &Path) -> Vec<Vec<f64>> {
    rasters::read_table(path, false).unwrap_or_else(|e| panic!("{e}"))
}

/// Map values with nodata as −9999 (how both peers' tests compare).
fn map_values(path: &Path) -> Vec<f64> {
    let r = rasters::read_raster(path).unwrap_or_else(|e| panic!("{e}"));
    r.grid
        .data
        .iter()
        .map(|&v| if v.is_nan() { -9999.0 } else { v })
        .collect()
}

fn stem(name: &str) -> String {
    let n = name.strip_suffix(".gz").unwrap_or(name);
    n.rsplit_once('.').map_or(n, |x| x.0).to_string()
}

/// Circuitscape map name (our 1-based network ids) → the verify file's 0-based name.
fn network_verify_name(name: &str) -> String {
    let (base, ext) = name.rsplit_once('.').unwrap();
    let parts: Vec<String> = base
        .split('_')
        .enumerate()
        .map(|(i, s)| {
            if i > 0 && !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                (s.parse::<i64>().unwrap() - 1).to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("{}.{ext}", parts.join("_"))
}

/// Keyed comparison of node (1 key) or branch (2 key) lists; verify keys are 0-based.
fn keyed_sum_sq(ours: &Path, verify: &Path, nkey: usize) -> f64 {
    let mut a: BTreeMap<Vec<i64>, f64> = BTreeMap::new();
    for r in table(ours) {
        a.insert(r[..nkey].iter().map(|&v| v as i64).collect(), r[nkey]);
    }
    let mut b: BTreeMap<Vec<i64>, f64> = BTreeMap::new();
    for r in table(verify) {
        b.insert(r[..nkey].iter().map(|&v| v as i64 + 1).collect(), r[nkey]);
    }
    let keys: BTreeSet<_> = a.keys().chain(b.keys()).cloned().collect();
    keys.iter()
        .map(|k| {
            let d = a.get(k).copied().unwrap_or(0.0) - b.get(k).copied().unwrap_or(0.0);
            d * d
        })
        .sum()
}

/// Layout of a resistance table.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// Header row and column of ids, values elsewhere.
    Matrix,
    /// `id value` rows (one-to-all, all-to-one).
    List,
    /// `id id value` rows.
    ThreeColumns,
}

fn compare_resistances(
    ours: &Path,
    verify: &Path,
    layout: Layout,
    network: bool,
) -> Result<(), String> {
    let (a, b) = (table(ours), table(verify));
    if a.len() != b.len() || a.iter().zip(&b).any(|(x, y)| x.len() != y.len()) {
        return Err(format!(
            "{}: shape {}×{} differs from the peer's {}×{}",
            ours.display(),
            a.len(),
            a.first().map_or(0, Vec::len),
            b.len(),
            b.first().map_or(0, Vec::len)
        ));
    }
    let mut bad = Vec::new();
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        for (j, (&x, &y)) in ra.iter().zip(rb).enumerate() {
            let id = match layout {
                Layout::Matrix => (i == 0 || j == 0) && !(i == 0 && j == 0),
                Layout::List => j == 0,
                Layout::ThreeColumns => j < 2,
            };
            // Network verify files number nodes from 0.
            let y = if network && id { y + 1.0 } else { y };
            let tol = if id || (layout == Layout::Matrix && i == 0 && j == 0) {
                0.0
            } else {
                1e-3
            };
            if (x - y).abs() > tol {
                bad.push(format!("[{i},{j}] ours {x} peer {y}"));
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", ours.display(), bad.join("; ")))
    }
}

/// Runs one Circuitscape config and compares every output with the peer's verified files.
/// Returns problems (empty = agreement) and how many maps were compared.
fn check_cs_case(
    ini: &Path,
    root: &Path,
    verify_dir: &Path,
    solver: SolverKind,
    require_complete: bool,
) -> (Vec<String>, usize) {
    let name = ini.file_stem().unwrap().to_string_lossy().into_owned();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(format!("{name}.out"));
    let opts = RunOptions {
        base_dir: Some(root.to_path_buf()),
        output: Some(out),
        solver: Some(solver),
        print_warnings: false,
    };
    let summary = match cs::run(ini, &opts, &NoProgress) {
        Ok(s) => s,
        Err(e) => {
            return (
                vec![format!("{name} [{}]: run failed: {e}", solver.name())],
                0,
            )
        }
    };
    let network = name.contains("Network");
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut produced = BTreeSet::new();
    for path in &summary.outputs {
        let fname = path.file_name().unwrap().to_string_lossy().into_owned();
        if fname.ends_with("_resistances_3columns.out") {
            // The peer's sgVerify13 3-column file disagrees with its own matrix (it was written
            // by an older run without the include matrix); only the matrix is compared there,
            // as Circuitscape's suite does.
            let v = verify_dir.join(&fname);
            if v.exists() && name != "sgVerify13" {
                if let Err(e) = compare_resistances(path, &v, Layout::ThreeColumns, network) {
                    problems.push(e);
                }
            }
            continue;
        }
        if fname.ends_with("_resistances.out") {
            let v = verify_dir.join(&fname);
            if v.exists() {
                compared += 1;
                let layout = if name.starts_with("oneToAll") || name.starts_with("allToOne") {
                    Layout::List
                } else {
                    Layout::Matrix
                };
                if let Err(e) = compare_resistances(path, &v, layout, network) {
                    problems.push(format!("[{}] {e}", solver.name()));
                }
            } else {
                problems.push(format!("{name}: no peer file {fname}"));
            }
            continue;
        }
        if network {
            let vname = network_verify_name(&fname);
            let v = verify_dir.join(&vname);
            if !v.exists() {
                problems.push(format!("{name}: produced {fname}, the peer has no {vname}"));
                continue;
            }
            let nkey = if fname.contains("branch") { 2 } else { 1 };
            let s = keyed_sum_sq(path, &v, nkey);
            compared += 1;
            if !(s < 1e-6) {
                problems.push(format!("[{}] {fname}: Σ(Δ²) = {s:e}", solver.name()));
            }
            produced.insert(vname);
            continue;
        }
        let vname = format!("{}.asc", stem(&fname));
        let v = verify_dir.join(&vname);
        if !v.exists() {
            problems.push(format!("{name}: produced {fname}, the peer has no {vname}"));
            continue;
        }
        let (a, b) = (map_values(path), map_values(&v));
        compared += 1;
        if a.len() != b.len() {
            problems.push(format!(
                "{fname}: {} cells vs the peer's {}",
                a.len(),
                b.len()
            ));
            continue;
        }
        let s: f64 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
        if !(s < 1e-6) {
            problems.push(format!("[{}] {fname}: Σ(Δ²) = {s:e}", solver.name()));
        }
        produced.insert(vname);
    }
    if require_complete {
        // Every peer map of this case must have been produced.
        for e in std::fs::read_dir(verify_dir).unwrap() {
            let f = e.unwrap().file_name().to_string_lossy().into_owned();
            let is_map = f.ends_with(".asc") || (network && f.ends_with(".txt"));
            if f.starts_with(&format!("{name}_")) && is_map && !produced.contains(&f) {
                problems.push(format!("{name}: the peer wrote {f}, ecoplan did not"));
            }
        }
    }
    (problems, compared)
}

fn cs_root() -> PathBuf {
    data().join("circuitscape")
}

fn run_cs_suite(filter: impl Fn(&str) -> bool) {
    let root = cs_root();
    let verify = root.join("output_verify");
    let mut all = Vec::new();
    let mut n_cases = 0;
    let mut n_compared = 0;
    for ini in ini_files(&root.join("input")) {
        let name = ini.file_stem().unwrap().to_string_lossy().into_owned();
        if !filter(&name) {
            continue;
        }
        // When the peer's verified maps came from a different .ini (kept in output_verify),
        // not every map of the peer is expected from the input .ini.
        // sgVerify13's peer maps (like its 3-column file) come from a run without the include
        // matrix, so they cover pairs the matrix excludes.
        let complete = !verify.join(format!("{name}.ini")).exists() && name != "sgVerify13";
        for solver in SOLVERS {
            let (p, c) = check_cs_case(&ini, &root, &verify, solver, complete);
            all.extend(p);
            n_compared += c;
        }
        n_cases += 1;
    }
    assert!(n_cases > 0, "no cases found under {}", root.display());
    assert!(
        n_compared >= n_cases,
        "only {n_compared} outputs compared for {n_cases} cases"
    );
    assert!(
        all.is_empty(),
        "{} disagreement(s):\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn circuitscape_pairwise() {
    run_cs_suite(|n| n.starts_with("sgVerify"));
}

#[test]
fn circuitscape_one_to_all() {
    run_cs_suite(|n| n.starts_with("oneToAll"));
}

#[test]
fn circuitscape_all_to_one() {
    run_cs_suite(|n| n.starts_with("allToOne"));
}

#[test]
fn circuitscape_advanced() {
    run_cs_suite(|n| n.starts_with("mgVerify"));
}

#[test]
fn circuitscape_network() {
    run_cs_suite(|n| n.contains("NetworkVerify"));
}

/// Cases whose peer maps were written with more output flags than the input .ini sets
/// (output_verify/<case>.ini): rerun with those flags so every peer map is checked.
#[test]
fn circuitscape_peer_output_flags() {
    let root = cs_root();
    let verify = root.join("output_verify");
    let mut all = Vec::new();
    let mut n = 0;
    for ini in ini_files(&root.join("input")) {
        let name = ini.file_stem().unwrap().to_string_lossy().into_owned();
        let peer_ini = verify.join(format!("{name}.ini"));
        if !peer_ini.exists() {
            continue;
        }
        let peer =
            ecoplan_circuit::files::ini::Ini::parse(&std::fs::read_to_string(&peer_ini).unwrap());
        let keys = [
            "write_cur_maps",
            "write_volt_maps",
            "write_max_cur_maps",
            "write_cum_cur_map_only",
        ];
        let text = std::fs::read_to_string(&ini).unwrap();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| {
                !keys
                    .iter()
                    .any(|k| l.trim_start().to_ascii_lowercase().starts_with(k))
            })
            .map(String::from)
            .collect();
        for k in keys {
            lines.push(format!("{k} = {}", peer.get(k).unwrap_or("False")));
        }
        let tmp = tempfile::tempdir().unwrap();
        let copy = tmp.path().join(format!("{name}.ini"));
        std::fs::write(&copy, lines.join("\n")).unwrap();
        for solver in SOLVERS {
            let (p, _) = check_cs_case(&copy, &root, &verify, solver, true);
            all.extend(p);
        }
        n += 1;
    }
    assert!(
        n >= 5,
        "expected peer .ini files in output_verify, found {n}"
    );
    assert!(
        all.is_empty(),
        "{} disagreement(s):\n{}",
        all.len(),
        all.join("\n")
    );
}

/// mgVerify7 (355×481 cells, 25 text-list sources, unit currents, compressed output) is not
/// copied into the repository (2.3 MB verified map); it is read from ../shared.
#[test]
fn circuitscape_advanced_large_mgverify7() {
    let root = shared_cs();
    let ini = root.join("input/raster/advanced/7/mgVerify7.ini");
    assert!(
        ini.exists(),
        "{} is missing: this test reads the shared conformance data checked out beside the \
         repository (../shared/conformance/circuitscape/test)",
        ini.display()
    );
    let verify = root.join("output_verify");
    for solver in SOLVERS {
        let (p, c) = check_cs_case(&ini, &root, &verify, solver, true);
        assert!(p.is_empty(), "{}", p.join("\n"));
        assert_eq!(c, 1);
    }
}

// ---------------------------------------------------------------- Omniscape

/// Omniscape.jl's `arrays_equal`: missing → −9999, then ‖a − b‖ ≤ 1e-6·max(‖a‖, ‖b‖).
fn arrays_equal(a: &[f64], b: &[f64]) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} cells vs {}", a.len(), b.len()));
    }
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if d <= 1e-6 * na.max(nb) {
        Ok(())
    } else {
        Err(format!("‖Δ‖ = {d:e}, relative {:e}", d / na.max(nb)))
    }
}

fn os_root() -> PathBuf {
    data().join("omniscape")
}

fn run_os_path(ini: &Path, solver: SolverKind) -> Result<os::OsSummary, FilesError> {
    let tmp = tempfile::tempdir().unwrap().keep();
    let opts = RunOptions {
        base_dir: Some(os_root()),
        output: Some(tmp.join("out")),
        solver: Some(solver),
        print_warnings: false,
    };
    os::run(ini, &opts, &NoProgress)
}

fn run_os(config: &str, solver: SolverKind) -> Result<os::OsSummary, FilesError> {
    run_os_path(&os_root().join("input").join(config), solver)
}

/// Runs the test's input config and the config the peer wrote its verified outputs with
/// (output_verify/<project>/config.ini, which may set more output flags); every map either run
/// writes must match the peer's, and the peer's run must reproduce every peer map.
fn check_os(config: &str, project: &str) -> Vec<String> {
    let verify = os_root().join("output_verify").join(project);
    let mut problems = Vec::new();
    let runs = [
        (os_root().join("input").join(config), false),
        (verify.join("config.ini"), true),
    ];
    for (ini, complete) in runs {
        for solver in SOLVERS {
            let label = format!(
                "{} [{}]",
                ini.strip_prefix(os_root()).unwrap().display(),
                solver.name()
            );
            let s = match run_os_path(&ini, solver) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let mut n = 0;
            for o in &s.outputs {
                let f = o.file_name().unwrap().to_string_lossy().into_owned();
                let vs = std::fs::read_dir(&verify)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .find(|v| stem(&v.file_name().unwrap().to_string_lossy()) == stem(&f));
                let Some(v) = vs else {
                    problems.push(format!("{label}: wrote {f}, the peer has no such output"));
                    continue;
                };
                n += 1;
                let (a, b) = (map_values(o), map_values(&v));
                if project == "test4a"
                    && (f.starts_with("flow_potential") || f.starts_with("normalized"))
                {
                    // Known difference (see `test4a_flow_potential_differs_only_next_to_targets`).
                    let agree = a
                        .iter()
                        .zip(&b)
                        .filter(|(x, y)| (*x - *y).abs() <= 1e-5 * y.abs().max(1e-3))
                        .count();
                    if agree * 100 < a.len() * 80 {
                        problems.push(format!(
                            "{label} {f}: only {agree} of {} cells agree",
                            a.len()
                        ));
                    }
                    continue;
                }
                if let Err(e) = arrays_equal(&a, &b) {
                    problems.push(format!("{label} {f}: {e}"));
                }
            }
            if complete {
                for e in std::fs::read_dir(&verify).unwrap() {
                    let f = e.unwrap().file_name().to_string_lossy().into_owned();
                    if f != "config.ini"
                        && !s
                            .outputs
                            .iter()
                            .any(|o| stem(&o.file_name().unwrap().to_string_lossy()) == stem(&f))
                    {
                        problems.push(format!("{label}: the peer wrote {f}, ecoplan did not"));
                    }
                }
                if n == 0 {
                    problems.push(format!("{label}: nothing compared"));
                }
            }
            let _ = std::fs::remove_dir_all(&s.project_dir);
        }
    }
    problems
}

#[test]
fn omniscape_valid_configs_match() {
    let cases = [
        ("config.ini", "test1"),
        ("config_32bit.ini", "test1_32bit"),
        ("config2.ini", "test2"),
        ("config3.ini", "test3"),
        ("config4a.ini", "test4a"),
        ("config5.ini", "test5"),
        ("config6.ini", "test6"),
        ("config_reclass.ini", "test_reclass"),
    ];
    let mut all = Vec::new();
    for (c, p) in cases {
        all.extend(check_os(c, p));
    }
    assert!(
        all.is_empty(),
        "{} disagreement(s):\n{}",
        all.len(),
        all.join("\n")
    );
}

/// config4b / config4c (future condition for one layer only) have no verified outputs in the
/// peer's suite; they must run and give finite, non-negative currents.
#[test]
fn omniscape_future_condition_variants_run() {
    for c in ["config4b.ini", "config4c.ini"] {
        for solver in SOLVERS {
            let s = run_os(c, solver).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert!(!s.outputs.is_empty() && s.n_targets > 0);
            for o in &s.outputs {
                let v = map_values(o);
                assert!(
                    v.iter()
                        .all(|x| x.is_finite() && (*x >= 0.0 || *x == -9999.0)),
                    "{}",
                    o.display()
                );
                assert!(v.iter().any(|x| *x > 0.0));
            }
            let _ = std::fs::remove_dir_all(&s.project_dir);
        }
    }
}

#[test]
fn omniscape_rejects_invalid_configs() {
    let cases = [
        ("bad_config.ini", "radius"),
        ("no_source_provided.ini", "source"),
        ("bad_n_conditions.ini", "n_conditions"),
        ("bad_comparison1.ini", "comparison1"),
        ("bad_comparison2.ini", "comparison2"),
        ("bad_compare_to_future.ini", "compare_to_future"),
        ("config7.ini", "0 or negative"),
    ];
    for (c, needle) in cases {
        match run_os(c, SolverKind::CgAmg) {
            Ok(_) => panic!("{c} must be rejected"),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(needle),
                    "{c}: message should mention {needle}: {msg}"
                );
            }
        }
    }
}

/// Omniscape's verified test4a flow potential (conditional connectivity + flow potential, block
/// size 3, 4 neighbours) has very large values (18 to ~1160 A) on one cell next to each target
/// — right of targets whose window is not clipped on the left, below those not clipped on the
/// top — while every other cell agrees with ecoplan to ~3e-6. We have not found a rule that
/// explains those cells, so they are recorded here as a known, localized difference.
///
/// The peer's test4a cumulative current has the same defect, much smaller: 50 of the same
/// right/below cells differ from ecoplan by 2e-5 to 4.5e-3 A (at most 0.7 %). It still passes
/// `arrays_equal` (‖Δ‖ = 5.8e-7·‖peer‖) only because that norm is dominated by the two −9999
/// nodata cells (‖peer‖ ≈ 14 140); cell by cell it does not agree to 1e-6.
///
/// What was checked (sessions 2 and 4): an independent re-implementation of Omniscape.jl's
/// window logic (`get_source` with the fixed-position target-block clearing and the conditional
/// masks, `get_ground`, the un-clipped all-ones `null_conductance`, the unconditional
/// `calc_correction` — a conditional one moves the cumulative map by up to 14 A, so the peer's is
/// unconditional like ecoplan's — Circuitscape's `rmvsrc`, 4-neighbour average-conductance graph,
/// node current = max(inflow, outflow)) solved with scipy reproduces ecoplan's per-window values
/// to 1e-13; e.g. for the target at (x 8, y 2) the raw flow potential of the cell to its right
/// is 0.381 A and the correction factor there 1.013, so that window adds 0.386 A while the
/// peer's map has 125.7 A at that cell. Findings:
/// - It is an additive term on that one node's current, not a solver error: the ground cell and
///   the other three neighbours of the anomalous cell agree to ≤ 3e-6, so the peer's node
///   voltages are ours (an error δ in that cell's voltage would move the ground's current by
///   δ). CG preconditioned by smoothed-aggregation AMG (forward or symmetric Gauss–Seidel,
///   pseudo-inverse coarse solve, rtol 1e-6) reproduces ecoplan's window currents to 7e-8.
/// - With non-negative sources and one ground no node carries more than the window's injected
///   total (1.35 A for that window, ≤ 9 A in this case), so these are not currents of any
///   resistor network with these sources.
/// - The excess per window (divided by the correction factor) is uncorrelated (|r| < 0.2 on a
///   log scale) with the window's strength, source sum and count, source normalisation, the
///   node's voltage, voltage sum/max, current sum or window size; its ratio to any voltage,
///   current or conductance within ±4 cells (flow-potential or resistance solve) scatters by a
///   factor e or more; it equals no value (to 1e-6) of any window's currents, voltages,
///   sources or Laplacian entries; right and below excesses of one window are unrelated.
/// - It is confined to the 4-neighbour solves (test1's 8-neighbour flow potential agrees) and
///   to the neighbour after the ground in Julia's column-major node order, only when the ground
///   sits at the window's nominal centre along that axis.
/// - Circuitscape.jl's advanced path as published (`compute_omniscape_current` →
///   `compute_advanced_data` → `multiple_solver` → `accum_currents!`/`get_node_currents`, several
///   versions) can add to a single node's current only through a finite ground, which would
///   also enter the solve and change the voltages; no code path explaining it was found.
/// The cause is most likely in the peer's run environment or an unpublished code state; it
/// cannot be reproduced without running Omniscape.jl, which this project does not ship.
#[test]
fn test4a_flow_potential_differs_only_next_to_targets() {
    let s = run_os_path(
        &os_root().join("output_verify/test4a/config.ini"),
        SolverKind::Cholesky,
    )
    .unwrap();
    let ours = s
        .outputs
        .iter()
        .find(|o| o.to_string_lossy().contains("flow_potential"))
        .unwrap();
    let a = map_values(ours);
    let b = map_values(&os_root().join("output_verify/test4a/flow_potential.tif"));
    let w = 30usize;
    let mut odd = 0;
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        let (r, c) = (k / w, k % w);
        let next_to_target =
            (r % 3 == 1 && c % 3 == 2 && c >= 8) || (c % 3 == 1 && r % 3 == 2 && r >= 8);
        let agrees = (x - y).abs() <= 1e-5 * y.abs().max(1e-3);
        if !next_to_target {
            assert!(agrees, "cell ({r}, {c}): ours {x}, peer {y}");
        } else if !agrees {
            odd += 1;
            assert!(
                *y > *x,
                "cell ({r}, {c}): the peer's value {y} is not the larger ({x})"
            );
        }
    }
    assert!(
        odd > 100,
        "{odd} anomalous cells; the peer fixture changed?"
    );
    let _ = std::fs::remove_dir_all(&s.project_dir);
}
