//! `ecoplan circuitscape CONFIG.ini`: run a Circuitscape.jl 5 configuration (raster or network;
//! pairwise, one-to-all, all-to-one, advanced) and write Circuitscape's outputs.

use anyhow::Context;
use ecoplan_circuit::files::{cs, RunOptions};
use ecoplan_circuit::SolverKind;
use std::path::PathBuf;

pub fn command() -> clap::Command {
    clap::Command::new("circuitscape")
        .about("电路理论连通性 Circuit-theory connectivity from a Circuitscape .ini (Circuitscape.jl 5 compatible)")
        .arg(
            clap::Arg::new("config")
                .required(true)
                .value_parser(clap::value_parser!(PathBuf))
                .help("Circuitscape .ini file"),
        )
        .arg(
            clap::Arg::new("base-dir")
                .long("base-dir")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Folder relative paths in the .ini are resolved against first (default: the .ini's folder and its parents, then the working directory); outputs go under it too"),
        )
        .arg(
            clap::Arg::new("output")
                .long("output")
                .short('o')
                .value_parser(clap::value_parser!(PathBuf))
                .help("Replaces output_file (e.g. results/run.out): outputs are named run_resistances.out, run_cum_curmap.asc, …"),
        )
        .arg(
            clap::Arg::new("solver")
                .long("solver")
                .value_parser(["cg+amg", "cholmod"])
                .help("Overrides the .ini's solver: cg+amg (low memory) or cholmod (sparse Cholesky, fastest for many pairs)"),
        )
        .after_help(
            "示例 Example:\n  ecoplan circuitscape corridors.ini --solver cholmod\n\n\
             Writes <output>_resistances.out (+ _3columns), per-pair _curmap_<a>_<b>.asc / \
             _voltmap_<a>_<b>.asc, _cum_curmap.asc and _max_curmap.asc as the .ini asks, in \
             Circuitscape's names and formats. Every problem in the .ini is reported at once.",
        )
}

pub fn run(m: &clap::ArgMatches) -> anyhow::Result<()> {
    let config = m.get_one::<PathBuf>("config").expect("required");
    let opts = RunOptions {
        base_dir: m.get_one::<PathBuf>("base-dir").cloned(),
        output: m.get_one::<PathBuf>("output").cloned(),
        solver: m
            .get_one::<String>("solver")
            .and_then(|s| SolverKind::from_name(s)),
        print_warnings: true,
    };
    let t0 = std::time::Instant::now();
    let bar = crate::progress::Bar::new();
    let s = cs::run(config, &opts, &bar)
        .with_context(|| format!("circuitscape {}", config.display()))?;
    eprintln!(
        "完成 done in {:.2} s: {} output file(s)",
        t0.elapsed().as_secs_f64(),
        s.outputs.len()
    );
    for o in &s.outputs {
        println!("{}", o.display());
    }
    Ok(())
}
