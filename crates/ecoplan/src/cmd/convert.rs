//! `ecoplan convert IN OUT`: change format (by extension), keeping values, georeferencing, CRS
//! and nodata.

use crate::rasters::{read_raster, write_raster};
use anyhow::{bail, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_io::raster::{Compression, OverviewResampling, WriteOptions};
use ecoplan_io::vector::{read_vector, write_vector, VectorFormat};
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("convert")
        .about("格式转换 Convert between formats (GeoTIFF/COG/ASCII grid; GeoJSON/GeoPackage/Shapefile)")
        .long_about(
            "按扩展名确定输出格式；像元值、地理变换、坐标系与无数据值保持不变。\n\
             The output format follows the extension (.tif/.tiff, .asc/.asc.gz; .geojson, .gpkg). \
             Values, transform, CRS and nodata are preserved. Shapefiles are read, not written.",
        )
        .arg(Arg::new("input").value_name("IN").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("output").value_name("OUT").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(
            Arg::new("compress")
                .long("compress")
                .value_name("METHOD")
                .value_parser(["deflate", "zstd", "lzw", "none"])
                .default_value("deflate")
                .help("GeoTIFF 压缩 GeoTIFF compression"),
        )
        .arg(Arg::new("cog").long("cog").action(ArgAction::SetTrue).help("写云优化 GeoTIFF（含金字塔） Write a Cloud-Optimized GeoTIFF with overviews"))
        .arg(
            Arg::new("classes")
                .long("classes")
                .action(ArgAction::SetTrue)
                .help("分类数据：金字塔用最近邻 Class data: nearest-neighbour overviews (default for integer rasters)"),
        )
        .after_help(
            "示例 Examples:\n  \
             ecoplan convert dem.asc dem.tif --compress zstd\n  \
             ecoplan convert landuse.tif landuse_cog.tif --cog\n  \
             ecoplan convert county.shp county.gpkg\n  \
             ecoplan convert boundary.gpkg boundary.geojson",
        )
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let input: &PathBuf = m.get_one("input").expect("required");
    let output: &PathBuf = m.get_one("output").expect("required");
    if !input.exists() {
        bail!("{}: 文件不存在 file not found", input.display());
    }
    if input == output {
        bail!("IN and OUT are the same file 输入输出不能相同");
    }
    match (VectorFormat::from_path(input), VectorFormat::from_path(output)) {
        (Some(_), Some(_)) => {
            let layer = read_vector(input, &Default::default())?;
            write_vector(output, &layer)?;
            println!("{} → {} ({} features 个要素)", input.display(), output.display(), layer.features.len());
            Ok(())
        }
        (Some(_), None) | (None, Some(_)) => bail!(
            "{} → {}: cannot convert between raster and vector; use `ecoplan rasterize` or `ecoplan polygonize`",
            input.display(),
            output.display()
        ),
        (None, None) => {
            let grid = read_raster(input)?;
            let compression = match m.get_one::<String>("compress").map(String::as_str) {
                Some("zstd") => Compression::Zstd,
                Some("lzw") => Compression::Lzw,
                Some("none") => Compression::None,
                _ => Compression::Deflate,
            };
            let classes = m.get_flag("classes") || !grid.cell_type().is_float();
            let opts = WriteOptions {
                compression,
                cog: m.get_flag("cog"),
                predictor: compression != Compression::None,
                overview_resampling: if classes { OverviewResampling::Nearest } else { OverviewResampling::Average },
                ..Default::default()
            };
            write_raster(output, &grid, &opts)?;
            println!(
                "{} → {} ({}×{} {}, {})",
                input.display(),
                output.display(),
                grid.width(),
                grid.height(),
                grid.cell_type(),
                grid.crs().map_or("no CRS".to_string(), |c| c.label())
            );
            Ok(())
        }
    }
}
