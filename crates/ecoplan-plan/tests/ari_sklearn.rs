//! `adjusted_rand_index` against scikit-learn's `adjusted_rand_score` (needs ECOPLAN_PY with
//! scikit-learn) on seeded random labellings: small and large, few and many clusters, nearly
//! equal and independent partitions.

use ecoplan_plan::zoning::adjusted_rand_index;
use std::io::Write;

fn python() -> Option<String> {
    match std::env::var("ECOPLAN_PY") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
                panic!("ECOPLAN_REQUIRE_INTEROP=1 but ECOPLAN_PY is not set");
            }
            eprintln!("skipped: ECOPLAN_PY not set");
            None
        }
    }
}

/// SplitMix64, so the cases are the same on every run.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn ari_matches_scikit_learn() {
    let Some(py) = python() else { return };
    let mut seed = 2024u64;
    let mut cases: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for (n, ka, kb, noise) in [
        (2usize, 2usize, 2usize, 50u64),
        (10, 3, 3, 100),
        (50, 4, 6, 100),
        (200, 5, 5, 10),
        (1000, 6, 4, 30),
        (5000, 8, 8, 5),
        (5000, 2, 40, 100),
        (30, 1, 3, 100),
    ] {
        let a: Vec<usize> = (0..n)
            .map(|_| (next(&mut seed) % ka as u64) as usize)
            .collect();
        // b copies a except `noise` % of the points, which get a random cluster.
        let b: Vec<usize> = a
            .iter()
            .map(|x| {
                if next(&mut seed) % 100 < noise {
                    (next(&mut seed) % kb as u64) as usize
                } else {
                    x % kb
                }
            })
            .collect();
        cases.push((a, b));
    }
    let input: String = cases
        .iter()
        .map(|(a, b)| {
            let j = |v: &[usize]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!("{};{}\n", j(a), j(b))
        })
        .collect();
    let script = "import sys\nfrom sklearn.metrics import adjusted_rand_score\n\
        for line in sys.stdin:\n    a, b = line.strip().split(';')\n    \
        print(repr(float(adjusted_rand_score([int(x) for x in a.split(',')], [int(x) for x in b.split(',')]))))\n";
    let mut child = std::process::Command::new(&py)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("running ECOPLAN_PY");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "scikit-learn failed (pip install scikit-learn into the ECOPLAN_PY venv)"
    );
    let peer: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(peer.len(), cases.len());
    let mut spread = (f64::MAX, f64::MIN);
    for ((a, b), want) in cases.iter().zip(&peer) {
        let got = adjusted_rand_index(a, b);
        assert!(
            (got - want).abs() <= 1e-12,
            "n = {}: ecoplan {got} vs scikit-learn {want}",
            a.len()
        );
        spread = (spread.0.min(*want), spread.1.max(*want));
    }
    // The cases cover near-identical and near-independent partitions.
    assert!(spread.0 < 0.1 && spread.1 > 0.8, "{spread:?}");
}
