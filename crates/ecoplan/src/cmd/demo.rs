//! `ecoplan demo`: prepares the 云冈区 demo region from the bundled real data and runs every
//! pipeline step into a run folder with a manifest.

use crate::demo::{run_demo, steps, DemoOptions, DEFAULT_SEED_STR};
use clap::{Arg, ArgAction, ArgMatches, Command};
use std::path::PathBuf;

pub const DEFAULT_OUT: &str = "runs/demo-yungang";

pub fn command() -> Command {
    Command::new("demo")
        .about("运行云冈区演示 Run every step on the bundled 云冈区 demo region")
        .long_about(
            "用随包的真实数据（天地图边界、30″ DEM、MODIS 土地覆盖、气候分区）准备云冈区演示区域，\
             确定性地合成 30 m 分析图层，并运行所有已有的流程步骤，结果写入运行目录（含 manifest.json）。\n\
             Prepares the 云冈区 (Yungang District, Datong) demo region from the bundled real data \
             (天地图 boundary, 30″ DEM, MODIS land cover, Köppen–Geiger climate), synthesizes the 30 m \
             analysis layers deterministically (seeded), runs every pipeline step that exists and \
             writes a run folder with manifest.json. A failed run leaves an earlier run folder intact.",
        )
        .arg(
            Arg::new("out")
                .long("out")
                .short('o')
                .value_name("DIR")
                .default_value(DEFAULT_OUT)
                .value_parser(clap::value_parser!(PathBuf))
                .help("运行目录 Run folder"),
        )
        .arg(
            Arg::new("seed")
                .long("seed")
                .value_name("N")
                .default_value(DEFAULT_SEED_STR)
                .value_parser(clap::value_parser!(u64))
                .help("合成图层的随机种子 Seed of the synthesized layers"),
        )
        .arg(Arg::new("until").long("until").value_name("STEP").help("只运行到该步骤 Stop after this step"))
        .arg(Arg::new("list").long("list").action(ArgAction::SetTrue).help("列出步骤 List the steps and exit"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan demo                          # → runs/demo-yungang/\n  \
             cargo run --release -p ecoplan -- demo\n  \
             ecoplan demo --out /tmp/yungang --until landuse\n  \
             ecoplan demo --list",
        )
}

pub fn run(m: &ArgMatches) -> anyhow::Result<()> {
    if m.get_flag("list") {
        for s in steps::all() {
            println!("{:<24} {}", s.name, s.zh);
        }
        return Ok(());
    }
    let opts = DemoOptions {
        out: m.get_one::<PathBuf>("out").expect("default").clone(),
        seed: *m.get_one::<u64>("seed").expect("default"),
        until: m.get_one::<String>("until").cloned(),
    };
    let bar = crate::progress::Bar::new();
    let manifest = run_demo(&opts, &bar)?;
    println!(
        "演示完成 demo finished in {:.1} s → {}",
        manifest.seconds,
        opts.out.display()
    );
    println!(
        "  {} outputs, manifest: {}",
        manifest.outputs.len(),
        opts.out.join("manifest.json").display()
    );
    for o in &manifest.outputs {
        println!("  {:<40} {:>10} B  {}", o.path, o.bytes, o.role);
    }
    Ok(())
}
