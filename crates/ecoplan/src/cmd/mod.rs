//! Subcommand registry. To add one: create `src/cmd/<name>.rs` with
//! `pub fn command() -> clap::Command` and `pub fn run(m: &clap::ArgMatches) -> anyhow::Result<()>`,
//! then add one `pub mod` line and one `sub!` line below (keep each on its own line).

pub struct Subcommand {
    pub command: fn() -> clap::Command,
    pub run: fn(&clap::ArgMatches) -> anyhow::Result<()>,
}

macro_rules! sub {
    ($m:ident) => {
        Subcommand {
            command: $m::command,
            run: $m::run,
        }
    };
}

// --- modules (one line each) ---
pub mod assess;
pub mod check;
pub mod circuitscape;
pub mod convert;
pub mod corridors;
pub mod cost_distance;
pub mod demo;
pub mod info;
pub mod invest;
pub mod metrics;
pub mod mspa;
pub mod omniscape;
pub mod pattern;
pub mod plan_convert;
pub mod polygonize;
pub mod rasterize;
pub mod reproject;
pub mod resistance;
pub mod rollup;
pub mod scenario;
pub mod validate;
pub mod version;
pub mod zonal;
pub mod zoning;
// --- end modules ---

pub fn all() -> Vec<Subcommand> {
    vec![
        // --- registry (one line each) ---
        sub!(version),
        sub!(invest),
        sub!(assess),
        sub!(validate),
        sub!(demo),
        sub!(info),
        sub!(convert),
        sub!(reproject),
        sub!(rasterize),
        sub!(polygonize),
        sub!(zonal),
        sub!(check),
        sub!(plan_convert),
        sub!(rollup),
        sub!(scenario),
        sub!(mspa),
        sub!(cost_distance),
        sub!(circuitscape),
        sub!(omniscape),
        sub!(metrics),
        sub!(corridors),
        sub!(resistance),
        sub!(zoning),
        sub!(pattern),
        // --- end registry ---
    ]
}
