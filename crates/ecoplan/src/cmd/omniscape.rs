//! `ecoplan omniscape CONFIG.ini`: Omniscape.jl moving-window connectivity from its .ini.

use anyhow::Context;
use ecoplan_circuit::files::{os, RunOptions};
use ecoplan_circuit::SolverKind;
use std::path::PathBuf;

pub fn command() -> clap::Command {
    clap::Command::new("omniscape")
        .about("全向连通性 Omnidirectional (moving-window) connectivity from an Omniscape .ini (Omniscape.jl compatible)")
        .arg(
            clap::Arg::new("config")
                .required(true)
                .value_parser(clap::value_parser!(PathBuf))
                .help("Omniscape .ini file"),
        )
        .arg(
            clap::Arg::new("base-dir")
                .long("base-dir")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Folder relative paths in the .ini are resolved against first; the project folder is created under it"),
        )
        .arg(
            clap::Arg::new("output")
                .long("output")
                .short('o')
                .value_parser(clap::value_parser!(PathBuf))
                .help("Output folder (default: project_name, never overwritten: project_name_1, _2, … if it exists)"),
        )
        .arg(
            clap::Arg::new("solver")
                .long("solver")
                .value_parser(["cg+amg", "cholmod"])
                .help("Overrides the .ini's solver"),
        )
        .after_help(
            "示例 Example:\n  ecoplan omniscape landscape.ini\n\n\
             Writes cum_currmap, flow_potential and normalized_cum_currmap (.tif, or .asc with \
             write_as_tif = false) into the project folder. Invalid configurations (missing \
             radius or project_name, no source, bad conditions, zero resistances) are rejected \
             with every problem listed.",
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
    let s =
        os::run(config, &opts, &bar).with_context(|| format!("omniscape {}", config.display()))?;
    eprintln!(
        "完成 done in {:.2} s: {} targets, outputs in {}",
        t0.elapsed().as_secs_f64(),
        s.n_targets,
        s.project_dir.display()
    );
    for o in &s.outputs {
        println!("{}", o.display());
    }
    Ok(())
}
