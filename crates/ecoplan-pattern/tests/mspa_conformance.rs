//! MSPA agrees byte for byte with the GuidosToolbox MSPA engine on every fixture case.
//!
//! Fixtures: `tests/data/mspa/cases/<case>/input.asc` and `mspa_<conn>_<ew>_<transition>_<intext>.asc`
//! (copied from ../shared/conformance/mspa, generated with the GTB engine) plus the class
//! histograms in `manifest.json`. `tests/data/mspa/generated/` holds further engine outputs on
//! random and degenerate inputs (see its README).

use ecoplan_grid::{AnyGrid, NoProgress};
use ecoplan_pattern::mspa::{mspa_cells, MspaClass, MspaHistogram, MspaParams};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mspa")
}

fn read_u8(path: &Path) -> (usize, usize, Vec<u8>) {
    let text = std::fs::read_to_string(path).unwrap();
    let grid = ecoplan_io::ascii::parse_ascii(&text).unwrap();
    match grid {
        AnyGrid::I32(g) => (
            g.width,
            g.height,
            g.data.iter().map(|&v| u8::try_from(v).unwrap()).collect(),
        ),
        other => panic!(
            "{}: unexpected cell type {:?}",
            path.display(),
            other.cell_type()
        ),
    }
}

fn params_from_name(name: &str) -> MspaParams {
    let parts: Vec<u32> = name
        .trim_start_matches("mspa_")
        .trim_end_matches(".asc")
        .split('_')
        .map(|s| s.parse().unwrap())
        .collect();
    MspaParams {
        connectivity: parts[0] as u8,
        edge_width: parts[1],
        transition: parts[2] == 1,
        intext: parts[3] == 1,
    }
}

/// Runs every `mspa_*.asc` under `root/<case>/` and returns (runs, failures).
fn check_cases(root: &Path) -> (usize, Vec<String>) {
    let mut runs = 0;
    let mut failures = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        let (w, h, input) = read_u8(&case.join("input.asc"));
        let mut outputs: Vec<_> = std::fs::read_dir(&case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("mspa_")
            })
            .collect();
        outputs.sort();
        for out_path in outputs {
            let name = out_path.file_name().unwrap().to_string_lossy().to_string();
            let params = params_from_name(&name);
            let (_, _, expected) = read_u8(&out_path);
            let got = mspa_cells(&input, w, h, &params, &NoProgress).unwrap();
            runs += 1;
            let diff: Vec<usize> = (0..got.len()).filter(|&i| got[i] != expected[i]).collect();
            if !diff.is_empty() {
                let i = diff[0];
                failures.push(format!(
                    "{}/{name}: {} cells differ, first at (col {}, row {}): got {} expected {}",
                    case.file_name().unwrap().to_string_lossy(),
                    diff.len(),
                    i % w,
                    i / w,
                    got[i],
                    expected[i]
                ));
            }
        }
    }
    (runs, failures)
}

#[test]
fn shared_fixtures_are_reproduced_exactly() {
    let (runs, failures) = check_cases(&data_dir().join("cases"));
    assert_eq!(runs, 120, "expected 5 cases × 24 parameter sets");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_fixtures_are_reproduced_exactly() {
    let root = data_dir().join("generated");
    let (runs, failures) = check_cases(&root);
    assert!(runs >= 100, "only {runs} generated runs found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn manifest_histograms_match() {
    let text = std::fs::read_to_string(data_dir().join("cases/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for (case, entry) in manifest.as_object().unwrap() {
        let (w, h, input) = read_u8(&data_dir().join("cases").join(case).join("input.asc"));
        for (run, v) in entry["runs"].as_object().unwrap() {
            let params = params_from_name(&format!("mspa_{run}.asc"));
            let got = mspa_cells(&input, w, h, &params, &NoProgress).unwrap();
            let hist = MspaHistogram::new(&got, params.transition);
            let expected: BTreeMap<u8, u64> = v["counts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, c)| (k.parse().unwrap(), c.as_u64().unwrap()))
                .collect();
            let ours: BTreeMap<u8, u64> = (0..256)
                .filter(|&c| hist.by_code[c] > 0)
                .map(|c| (c as u8, hist.by_code[c]))
                .collect();
            assert_eq!(ours, expected, "{case} {run}");
            // Every byte maps onto a class; class totals add up to the image.
            let total: u64 = MspaClass::ALL.iter().map(|&c| hist.count(c)).sum();
            assert_eq!(total, (w * h) as u64, "{case} {run}");
            checked += 1;
        }
    }
    assert_eq!(checked, 120);
}

/// Checks every case under `$ECOPLAN_MSPA_CASES` (same layout as the fixtures), e.g. a large
/// corpus freshly generated with the GTB engine (`bench/mspa_fuzz.py`). Skips when unset.
#[test]
fn external_case_directory_is_reproduced_exactly() {
    let Ok(dir) = std::env::var("ECOPLAN_MSPA_CASES") else {
        println!("skipped: ECOPLAN_MSPA_CASES not set");
        return;
    };
    let (runs, failures) = check_cases(Path::new(&dir));
    println!("{runs} runs checked");
    assert!(runs > 0, "no cases under {dir}");
    assert!(
        failures.is_empty(),
        "{} of {runs} runs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// With `ECOPLAN_PY` set (a python with numpy, scipy and pyguidos), generates a fresh random
/// corpus with the GTB engine and compares every run byte for byte.
#[test]
fn fresh_engine_corpus_is_reproduced_exactly() {
    let Ok(py) = std::env::var("ECOPLAN_PY") else {
        if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
            panic!("ECOPLAN_PY not set but ECOPLAN_REQUIRE_INTEROP=1");
        }
        println!("skipped: ECOPLAN_PY not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 100_000;
    let status = std::process::Command::new(&py)
        .arg(data_dir().join("gen_cases.py"))
        .arg(&cases)
        .args(["48", &seed.to_string(), "1,2,4", "8", "70"])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("running ECOPLAN_PY");
    assert!(
        status.success(),
        "gen_cases.py failed (is pyguidos installed in {py}? pip install pyguidos)"
    );
    let (runs, failures) = check_cases(&cases);
    assert_eq!(runs, 48 * 6);
    assert!(
        failures.is_empty(),
        "seed {seed}: {} runs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
