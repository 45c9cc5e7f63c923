//! `ecoplan plan-convert IN OUT`: a plan between its forms (TOML, JSON, XLSX, a folder of CSVs).
//! Also home of `load_plan` / `save_plan`, used by `check` and `rollup`.

use anyhow::{bail, Context};
use ecoplan_plan::{tables, Plan};
use std::path::{Path, PathBuf};

pub fn command() -> clap::Command {
    clap::Command::new("plan-convert")
        .about("规划数据格式转换 Convert a plan between TOML, JSON, XLSX and CSV")
        .long_about(
            "规划数据格式转换 Convert a plan between its forms without loss.\n\
             Input: a folder holding plan.toml (or plan.json, plan.xlsx, or the CSV sheets), or a\n\
             .toml/.json/.xlsx file. Output by extension: .toml, .json, .xlsx; anything else is a\n\
             folder that receives one CSV per table (UTF-8 with BOM, Chinese headers).",
        )
        .arg(
            clap::Arg::new("input")
                .required(true)
                .help("规划 plan: folder or .toml/.json/.xlsx"),
        )
        .arg(
            clap::Arg::new("output")
                .required(true)
                .help("输出 output: .toml/.json/.xlsx or a folder for CSVs"),
        )
        .after_help(
            "例 Examples:\n  ecoplan plan-convert examples/plans/000_yungang plan.xlsx\n  \
             ecoplan plan-convert plan.xlsx plan.toml\n  ecoplan plan-convert plan.toml csv_out/",
        )
}

pub fn run(m: &clap::ArgMatches) -> anyhow::Result<()> {
    let input = PathBuf::from(m.get_one::<String>("input").expect("required"));
    let output = PathBuf::from(m.get_one::<String>("output").expect("required"));
    let plan = load_plan(&input)?;
    save_plan(&plan, &output)?;
    eprintln!("已写出 wrote {}", output.display());
    Ok(())
}

fn ext(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// Reads a plan from a folder (plan.toml, plan.json, plan.xlsx or CSV sheets) or a file.
pub fn load_plan(path: &Path) -> anyhow::Result<Plan> {
    if path.is_dir() {
        for name in ["plan.toml", "plan.json", "plan.xlsx"] {
            let p = path.join(name);
            if p.is_file() {
                return load_plan(&p);
            }
        }
        let mut files = Vec::new();
        for e in std::fs::read_dir(path)
            .with_context(|| format!("读取目录失败 cannot read {}", path.display()))?
        {
            let p = e?.path();
            if ext(&p) == "csv" {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if tables::sheet_name_of(name.trim_end_matches(".csv")).is_some() {
                    files.push((
                        name,
                        std::fs::read(&p)
                            .with_context(|| format!("cannot read {}", p.display()))?,
                    ));
                }
            }
        }
        if files.is_empty() {
            bail!(
                "目录 {} 中没有 plan.toml / plan.json / plan.xlsx 或规划 CSV 表 — folder holds no plan",
                path.display()
            );
        }
        files.sort();
        return tables::from_csv_files(&files)
            .with_context(|| format!("读取 CSV 规划失败 reading CSV plan in {}", path.display()));
    }
    let ctx = || format!("读取规划失败 reading plan {}", path.display());
    match ext(path).as_str() {
        "toml" => ecoplan_plan::from_toml(&std::fs::read_to_string(path).with_context(ctx)?).with_context(ctx),
        "json" => ecoplan_plan::from_json(&std::fs::read_to_string(path).with_context(ctx)?).with_context(ctx),
        "xlsx" => tables::from_xlsx(&std::fs::read(path).with_context(ctx)?).with_context(ctx),
        other => bail!(
            "不支持的规划文件类型 unsupported plan file type {other:?} ({}); use a folder, .toml, .json or .xlsx",
            path.display()
        ),
    }
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    ecoplan_io::atomic::write_atomic(path, |w| {
        use std::io::Write;
        w.write_all(bytes)
            .map_err(|e| ecoplan_io::IoError::io(path, e))
    })
    .with_context(|| format!("写出失败 cannot write {}", path.display()))
}

/// Writes a plan by the output's extension (.toml/.json/.xlsx), else as a folder of CSVs.
pub fn save_plan(plan: &Plan, path: &Path) -> anyhow::Result<()> {
    match ext(path).as_str() {
        "toml" => write(path, ecoplan_plan::to_toml(plan)?.as_bytes()),
        "json" => write(path, ecoplan_plan::to_json(plan)?.as_bytes()),
        "xlsx" => write(path, &tables::to_xlsx(plan)?),
        _ => {
            for (name, bytes) in tables::to_csv_files(plan)? {
                write(&path.join(name), &bytes)?;
            }
            Ok(())
        }
    }
}
