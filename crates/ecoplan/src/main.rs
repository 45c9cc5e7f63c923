//! The `ecoplan` command line: a thin layer over the library crates.
//!
//! Each subcommand lives in `src/cmd/<name>.rs` with `command()` (its clap definition, with an
//! example in its help) and `run()`; `cmd::all()` lists them.

mod cmd;
mod config;
mod demo;
mod manifest;
mod progress;
mod rasters;
mod region;
mod tables;
mod vectors;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut app = clap::Command::new("ecoplan")
        .version(env!("CARGO_PKG_VERSION"))
        .about("国土空间生态修复规划 — territorial ecological restoration planning")
        .long_about(
            "ecoplan 评估 (assess), 格局 (pattern), 规划 (plan) 与 监管 (supervise):\n\
             ecosystem services and 双评价, ecological security pattern, plan tables and checks.\n\n\
             Run `ecoplan demo` to run every step on the bundled 云冈区 demo region.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true);
    let commands = cmd::all();
    for c in &commands {
        app = app.subcommand((c.command)());
    }
    let matches = app.get_matches();
    let (name, sub) = matches.subcommand().expect("subcommand_required");
    let c = commands
        .iter()
        .find(|c| (c.command)().get_name() == name)
        .expect("registered subcommand");
    match (c.run)(sub) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            ExitCode::from(1)
        }
    }
}
