//! The five seed plans as shipped in examples/plans (embedded at compile time).
#![allow(dead_code)]

use ecoplan_plan::Plan;

pub const PLANS: [(&str, &str); 5] = [
    (
        "000_yungang",
        include_str!("../../../../examples/plans/000_yungang/plan.toml"),
    ),
    (
        "001_pingcheng",
        include_str!("../../../../examples/plans/001_pingcheng/plan.toml"),
    ),
    (
        "002_yanggao",
        include_str!("../../../../examples/plans/002_yanggao/plan.toml"),
    ),
    (
        "003_shangdang",
        include_str!("../../../../examples/plans/003_shangdang/plan.toml"),
    ),
    (
        "004_turpan",
        include_str!("../../../../examples/plans/004_turpan/plan.toml"),
    ),
];

pub fn plan(name: &str) -> Plan {
    let text = PLANS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("known plan")
        .1;
    ecoplan_plan::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn d(s: &str) -> ecoplan_plan::Dec {
    s.parse().unwrap()
}
