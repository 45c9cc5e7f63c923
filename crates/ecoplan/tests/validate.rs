//! `ecoplan validate` on the bad-plan corpus (tests/data/bad_plans/*.toml): every plan must fail
//! with ALL the problems its `# expect: LINE: text` comments list, each at its line, and no panic.

mod common;
use common::*;

#[test]
fn every_bad_plan_reports_all_its_problems_with_lines() {
    let dir = crate_dir().join("tests/data/bad_plans");
    let mut plans: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    plans.sort();
    assert!(plans.len() >= 6, "corpus too small: {plans:?}");
    for plan in &plans {
        let text = std::fs::read_to_string(plan).unwrap();
        let expects: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|e| {
                let (line, msg) = e.split_once(": ").expect("`# expect: LINE: text`");
                (line.to_string(), msg.trim().to_string())
            })
            .collect();
        assert!(
            !expects.is_empty(),
            "{} has no expectations",
            plan.display()
        );
        let (code, out, err) = run(&["validate", s(plan)]);
        assert_eq!(
            code,
            1,
            "{} should fail validation:\n{out}\n{err}",
            plan.display()
        );
        assert!(err.contains("error(s) in the plan"), "{err}");
        let prefix = format!("{}:", plan.display());
        for (line, msg) in &expects {
            let found = out.lines().any(|l| {
                let at_line = line == "-" || l.starts_with(&format!("{prefix}{line}:"));
                at_line && l.contains(msg.as_str())
            });
            assert!(
                found,
                "{}: expected at line {line}: {msg}\n--- output ---\n{out}",
                plan.display()
            );
        }
        // Every expected line is distinct problem output: at least as many error lines as distinct lines expected.
        let mut distinct: Vec<&String> = expects.iter().map(|(l, _)| l).collect();
        distinct.dedup();
        let errors = out.lines().filter(|l| l.contains("错误 error")).count();
        assert!(
            errors >= distinct.len(),
            "{}: {errors} errors < {} expected lines\n{out}",
            plan.display(),
            distinct.len()
        );
    }
}

#[test]
fn json_output_lists_problems_with_positions() {
    let plan = crate_dir().join("tests/data/bad_plans/unknown_keys.toml");
    let (code, out, _) = run(&["validate", s(&plan), "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.len() >= 7);
    assert!(problems
        .iter()
        .all(|p| p["pos"]["line"].as_u64().is_some_and(|l| l > 0)));
}

#[test]
fn the_demo_plan_is_valid() {
    let plan = crate_dir().join("../../data/demo/plan.toml");
    let out = ok(&["validate", s(&plan)]);
    assert!(out.contains("0 error(s)"), "{out}");
    assert!(
        out.contains("EPSG:4547") && out.contains("automatic"),
        "automatic CRS for 云冈区 must be EPSG:4547:\n{out}"
    );
    let v = json(&["validate", s(&plan), "--json"]);
    let area = v["region"]["area_km2"].as_f64().unwrap();
    assert!(
        (area - 737.82).abs() < 1.5,
        "云冈区 area {area} km² vs official 737.82"
    );
}
