//! plan.toml: the typed model of a plan, its parsing and its validation.
//!
//! [`validate_plan`] reads a plan file and reports EVERY problem at once — TOML syntax, unknown
//! keys, wrong types and values, missing files, unknown CRSs, layers that cannot be aligned onto
//! the analysis grid, land-use codes absent from the class mapping — each with file, line and
//! column. `data/demo/plan.toml` is the documented example.

pub mod check;
pub mod classes;
pub mod model;
pub mod parse;
pub mod problem;

pub use check::{check_plan, RegionSummary};
pub use model::*;
pub use problem::{Problem, Severity};

use std::path::Path;

/// The outcome of validating a plan: the plan (if it could be read) and all problems.
pub struct Validation {
    pub plan: Option<Plan>,
    pub region: Option<RegionSummary>,
    pub problems: Vec<Problem>,
}

impl Validation {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }
}

/// The plan at `path` if it validates; otherwise one error listing every problem (what the
/// analysis commands need before any work starts).
pub fn load_valid_plan(path: &Path, progress: &dyn ecoplan_grid::Progress) -> anyhow::Result<Plan> {
    let v = validate_plan(path, progress);
    if !v.is_ok() {
        let list: Vec<String> = v.errors().map(|p| format!("  - {p}")).collect();
        anyhow::bail!(
            "{}: {} problem(s); fix them first (ecoplan validate shows details):\n{}",
            path.display(),
            list.len(),
            list.join("\n")
        );
    }
    Ok(v.plan.expect("a valid plan parsed"))
}

/// Reads, parses and checks `path` (files, CRS, alignment, class mappings).
pub fn validate_plan(path: &Path, progress: &dyn ecoplan_grid::Progress) -> Validation {
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                return Validation {
                    plan: None,
                    region: None,
                    problems: vec![Problem::error(
                        path,
                        None,
                        format!(
                            "plan file is not UTF-8 text (invalid byte at offset {}); save it as UTF-8 请以 UTF-8 编码保存",
                            e.utf8_error().valid_up_to()
                        ),
                    )],
                }
            }
        },
        Err(e) => {
            return Validation {
                plan: None,
                region: None,
                problems: vec![Problem::error(path, None, format!("cannot read plan file 无法读取规划配置: {e}"))],
            }
        }
    };
    let (plan, mut problems) = parse::parse_plan(path, &text);
    let mut region = None;
    if let Some(plan) = &plan {
        let (r, more) = check_plan(plan, progress);
        region = r;
        problems.extend(more);
    }
    problems.sort_by(|a, b| {
        (a.file.as_path(), a.pos.unwrap_or_default())
            .cmp(&(b.file.as_path(), b.pos.unwrap_or_default()))
    });
    Validation {
        plan,
        region,
        problems,
    }
}
