//! `ecoplan rollup PLAN --by …`: investment and area summaries in the layout of the plan's
//! 投资匡算 and 资金来源 tables, or the indicator table; printed totals shown beside computed ones.

use anyhow::bail;
use ecoplan_plan::rollup::{indicator_table, rollup, to_json_value, to_markdown, RollupBy};
use ecoplan_plan::tables;
use std::path::PathBuf;

pub fn command() -> clap::Command {
    clap::Command::new("rollup")
        .about("投资与面积汇总 Investment/area rollups and the indicator table, with printed totals checked")
        .arg(clap::Arg::new("plan").required(true).help("规划 plan: folder with plan.toml, or .toml/.json/.xlsx"))
        .arg(
            clap::Arg::new("by")
                .long("by")
                .value_parser(["period", "work", "type", "zone", "source"])
                .default_value("work")
                .help("汇总口径: period 分期, work 重点工程 (表4-1 layout), type 项目类型, zone 修复分区, source 资金来源 (表5-1 layout)"),
        )
        .arg(
            clap::Arg::new("table")
                .long("table")
                .value_parser(["investment", "indicators"])
                .default_value("investment")
                .help("investment (default) or indicators 指标表"),
        )
        .arg(
            clap::Arg::new("format")
                .long("format")
                .value_parser(["csv", "xlsx", "md", "json"])
                .default_value("md")
                .help("输出格式 output format (xlsx needs --output)"),
        )
        .arg(clap::Arg::new("output").long("output").short('o').value_name("FILE").help("输出文件 output file (default: stdout)"))
        .after_help(
            "例 Examples:\n  ecoplan rollup examples/plans/000_yungang --by period\n  \
             ecoplan rollup examples/plans/000_yungang --by work --format xlsx -o 表4-1.xlsx\n  \
             ecoplan rollup examples/plans/000_yungang --table indicators --format csv",
        )
}

pub fn run(m: &clap::ArgMatches) -> anyhow::Result<()> {
    let path = PathBuf::from(m.get_one::<String>("plan").expect("required"));
    let plan = super::plan_convert::load_plan(&path)?;
    let t = if m.get_one::<String>("table").map(String::as_str) == Some("indicators") {
        indicator_table(&plan)
    } else {
        let by = RollupBy::parse(m.get_one::<String>("by").expect("default"))
            .expect("validated by clap");
        rollup(&plan, by)
    };
    let format = m.get_one::<String>("format").expect("default").as_str();
    let bytes: Vec<u8> = match format {
        "csv" => tables::table_to_csv(&t)?,
        "md" => to_markdown(&t).into_bytes(),
        "json" => serde_json::to_string_pretty(&to_json_value(&t))?.into_bytes(),
        "xlsx" => tables::tables_to_xlsx(std::slice::from_ref(&t))?,
        other => bail!("unknown format {other}"),
    };
    match m.get_one::<String>("output") {
        Some(o) => {
            let o = PathBuf::from(o);
            ecoplan_io::atomic::write_atomic(&o, |w| {
                use std::io::Write;
                w.write_all(&bytes)
                    .map_err(|e| ecoplan_io::IoError::io(&o, e))
            })?;
            eprintln!("已写出 wrote {}", o.display());
        }
        None if format == "xlsx" => {
            bail!("xlsx 输出需要 --output FILE (xlsx is binary; give -o FILE)")
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
