//! `ecoplan version`: versions of ecoplan and its formats, for bug reports and manifests.

pub fn command() -> clap::Command {
    clap::Command::new("version").about("显示版本 Print the ecoplan version")
}

pub fn run(_m: &clap::ArgMatches) -> anyhow::Result<()> {
    println!("ecoplan {}", env!("CARGO_PKG_VERSION"));
    Ok(())
}
