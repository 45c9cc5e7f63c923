//! `ecoplan check PLAN`: the plan checker (totals, conversions, zones, periods, indicators,
//! references, counts, scope). Exit code 0 when no errors were found (warnings and infos allowed),
//! 1 when at least one error was found, 2 when the plan could not be read.

use anyhow::Context;
use ecoplan_plan::check::{check, has_errors, CheckParams, Finding, Severity};
use ecoplan_plan::gazetteer::Gazetteer;
use std::path::PathBuf;

pub fn command() -> clap::Command {
    clap::Command::new("check")
        .about("规划核查 Check a plan's totals, unit conversions, zones, periods, indicators and references")
        .long_about(
            "规划核查 Check a plan: every printed total and subtotal against its parts; areas printed\n\
             in two units (亩/公顷/km²/万亩, 1 亩 = 10000/15 m²) to the printed precision; zone areas and\n\
             shares against the region and 100 %; projects' years against their phase; indicator\n\
             targets against their direction and 约束性/预期性; references between tables; printed\n\
             counts; text naming another region.\n\n\
             Exit code: 0 no errors (warnings/infos may exist), 1 errors found, 2 plan unreadable.",
        )
        .arg(clap::Arg::new("plan").required(true).help("规划 plan: folder with plan.toml, or .toml/.json/.xlsx"))
        .arg(
            clap::Arg::new("format")
                .long("format")
                .value_parser(["text", "json"])
                .default_value("text")
                .help("输出格式 output: text, or json (array of {severity, table, row, field, stated, computed, message})"),
        )
        .arg(
            clap::Arg::new("gazetteer")
                .long("gazetteer")
                .value_name("CSV")
                .help("地名表 place-name table (name,kind,paths,aliases,confusable_with,note) replacing the built-in one"),
        )
        .after_help(
            "例 Examples:\n  ecoplan check examples/plans/000_yungang\n  \
             ecoplan check plan.xlsx --format json > findings.json",
        )
}

pub fn run(m: &clap::ArgMatches) -> anyhow::Result<()> {
    let path = PathBuf::from(m.get_one::<String>("plan").expect("required"));
    let plan = match super::plan_convert::load_plan(&path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            std::process::exit(2);
        }
    };
    let mut params = CheckParams::default();
    if let Some(g) = m.get_one::<String>("gazetteer") {
        let bytes = std::fs::read(g).with_context(|| format!("cannot read {g}"))?;
        params.gazetteer = Gazetteer::from_csv(&bytes)?;
    }
    if let Err(p) = params.validate() {
        anyhow::bail!("参数错误 bad settings: {}", p.join("; "));
    }
    let findings = check(&plan, &params);
    if m.get_one::<String>("format").map(String::as_str) == Some("json") {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        print!("{}", text_report(&plan.region.name, &findings));
    }
    if has_errors(&findings) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(1);
    }
    Ok(())
}

/// Findings as readable text, one block per finding, with a summary line.
pub fn text_report(region: &str, findings: &[Finding]) -> String {
    let mut out = format!("核查 check: {region}\n");
    for f in findings {
        out.push_str(&format!(
            "[{} {}] {} / {} / {}",
            f.severity.zh(),
            f.severity.key(),
            f.table,
            f.row,
            f.field
        ));
        if !f.stated.is_empty() || !f.computed.is_empty() {
            out.push_str(&format!(
                "  印 stated: {}  算 computed: {}",
                f.stated, f.computed
            ));
        }
        out.push_str(&format!("\n    {}\n", f.message));
    }
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "共 {} 条: {} 错误 errors, {} 警告 warnings, {} 提示 infos\n",
        findings.len(),
        n(Severity::Error),
        n(Severity::Warning),
        n(Severity::Info)
    ));
    out
}
