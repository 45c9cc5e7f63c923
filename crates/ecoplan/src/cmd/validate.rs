//! `ecoplan validate PLAN.toml`: checks a plan and prints every problem at once.

use crate::config::{validate_plan, Severity};
use anyhow::bail;
use clap::{Arg, ArgAction, ArgMatches, Command};
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("validate")
        .about("检查规划配置 Check a plan.toml: syntax, keys, files, CRS, alignment, class mappings")
        .long_about(
            "检查 plan.toml 并一次列出全部问题（文件:行:列）。\n\
             Checks a plan.toml and lists EVERY problem at once as file:line:column: TOML syntax, \
             unknown keys, wrong values, missing files, unknown CRSs, layers that cannot be aligned \
             onto the analysis grid, land-use codes missing from the class mapping.",
        )
        .arg(Arg::new("plan").value_name("PLAN.toml").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("以 JSON 输出 Print problems as JSON"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan validate data/demo/plan.toml\n  \
             ecoplan validate my_county/plan.toml --json\n\n\
             退出码 Exit status: 0 = no errors (warnings allowed), 1 = errors found.",
        )
}

pub fn run(m: &ArgMatches) -> anyhow::Result<()> {
    let path: &PathBuf = m.get_one("plan").expect("required");
    let bar = crate::progress::Bar::new();
    let v = validate_plan(path, &bar);
    let errors = v.errors().count();
    let warnings = v
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .count();
    if m.get_flag("json") {
        let out = serde_json::json!({
            "plan": path,
            "ok": v.is_ok(),
            "errors": errors,
            "warnings": warnings,
            "problems": v.problems,
            "region": v.region,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for p in &v.problems {
            println!("{p}");
        }
        if let Some(r) = &v.region {
            println!(
                "规划范围 region: {} feature(s), {:.2} km²; 坐标系 CRS {} ({}){}; 分析网格 grid {}×{} cells of {} m",
                r.features,
                r.area_km2,
                r.crs.label(),
                r.crs_name,
                if r.crs_automatic { ", automatic 自动选择" } else { "" },
                r.grid.width,
                r.grid.height,
                r.grid.transform.cell_width(),
            );
        }
        if let Some(plan) = &v.plan {
            println!("图层 layers: {}", plan.layers.len());
        }
        println!("{errors} error(s) 个错误, {warnings} warning(s) 个警告");
    }
    if errors > 0 {
        bail!(
            "{}: {errors} error(s) in the plan 规划配置有错误",
            path.display()
        );
    }
    Ok(())
}
