//! `ecoplan polygonize RASTER OUT.gpkg|.geojson`: regions of equal value → polygons.

use crate::rasters::read_raster;
use anyhow::{bail, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::with_any_grid;
use ecoplan_io::vector::{polygonize, write_vector, Connectivity, PolygonizeOptions, VectorFormat};
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("polygonize")
        .about("栅格转矢量 Polygonize regions of equal value")
        .long_about(
            "相同值的连通像元合并为一个面，值写入字段 value；无数据像元跳过。\n\
             Connected cells of equal value become one polygon with the value in field `value` \
             (GDAL's gdal_polygonize rule: 4-connected by default); nodata cells are skipped.",
        )
        .arg(
            Arg::new("input")
                .value_name("RASTER")
                .required(true)
                .value_parser(clap::value_parser!(PathBuf)),
        )
        .arg(
            Arg::new("output")
                .value_name("OUT")
                .required(true)
                .value_parser(clap::value_parser!(PathBuf)),
        )
        .arg(
            Arg::new("eight")
                .long("8-connected")
                .action(ArgAction::SetTrue)
                .help("八邻域连通 Join corner neighbours too"),
        )
        .after_help(
            "示例 Examples:\n  \
             ecoplan polygonize runs/demo-yungang/layers/landuse.tif landuse.gpkg\n  \
             ecoplan polygonize zones.tif zones.geojson --8-connected",
        )
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let input: &PathBuf = m.get_one("input").expect("required");
    let output: &PathBuf = m.get_one("output").expect("required");
    if VectorFormat::from_path(output).is_none() {
        bail!("{}: write polygons as .gpkg or .geojson", output.display());
    }
    let grid = read_raster(input)?;
    let opts = PolygonizeOptions {
        connectivity: if m.get_flag("eight") {
            Connectivity::Eight
        } else {
            Connectivity::Four
        },
        ..Default::default()
    };
    let mut layer = with_any_grid!(&grid, g => polygonize(g, &opts));
    layer.name = output
        .file_stem()
        .map_or("polygons".into(), |s| s.to_string_lossy().into_owned());
    write_vector(output, &layer)?;
    println!(
        "{} → {} ({} polygons 个面)",
        input.display(),
        output.display(),
        layer.features.len()
    );
    Ok(())
}
