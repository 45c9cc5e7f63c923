//! `ecoplan reproject IN OUT --to EPSG:xxxx`: rasters (resampled onto a new grid) and vectors.

use crate::rasters::{read_raster, write_raster};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgMatches, Command};
use ecoplan_grid::Crs;
use ecoplan_io::align::{snapped_grid, warp, Resampling};
use ecoplan_io::crs::CrsTransform;
use ecoplan_io::raster::{OverviewResampling, WriteOptions};
use ecoplan_io::vector::{read_vector, write_vector, VectorFormat};
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("reproject")
        .about("坐标转换/重投影 Reproject a raster or vector to another CRS")
        .long_about(
            "栅格：按目标坐标系重建网格（原点对齐到像元大小整数倍）并重采样；矢量：逐点转换。\n\
             Rasters are resampled onto a new north-up grid in the target CRS (origin snapped to \
             whole cells); vectors are transformed point by point. CGCS2000 and WGS84 are treated \
             as identical (no datum shift), as PROJ does.",
        )
        .arg(Arg::new("input").value_name("IN").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("output").value_name("OUT").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("to").long("to").value_name("CRS").required(true).help("目标坐标系 Target CRS: EPSG:4547 or a PROJ string"))
        .arg(
            Arg::new("cell-size")
                .long("cell-size")
                .value_name("SIZE")
                .value_parser(clap::value_parser!(f64))
                .help("目标像元大小（目标坐标系单位，通常为米） Target cell size in target CRS units (default: about the source's)"),
        )
        .arg(
            Arg::new("resampling")
                .long("resampling")
                .value_name("METHOD")
                .value_parser(["nearest", "bilinear", "mode", "average"])
                .help("重采样方法 Resampling (default: nearest for integer rasters, bilinear for floats)"),
        )
        .after_help(
            "示例 Examples:\n  \
             ecoplan reproject dem30s.tif dem_4547.tif --to EPSG:4547 --cell-size 30 --resampling bilinear\n  \
             ecoplan reproject landcover.tif lc_4547.tif --to EPSG:4547 --cell-size 500 --resampling mode\n  \
             ecoplan reproject boundary.geojson boundary_4547.gpkg --to EPSG:4547",
        )
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let input: &PathBuf = m.get_one("input").expect("required");
    let output: &PathBuf = m.get_one("output").expect("required");
    let to_text: &String = m.get_one("to").expect("required");
    let to = Crs::parse(to_text).with_context(|| {
        format!("--to {to_text}: not a CRS; write EPSG:<code> or a PROJ string (+proj=…)")
    })?;
    ecoplan_io::crs::proj_string(&to)?;
    if !input.exists() {
        bail!("{}: 文件不存在 file not found", input.display());
    }
    if VectorFormat::from_path(input).is_some() {
        if VectorFormat::from_path(output).is_none() {
            bail!(
                "{}: a vector input needs a vector output (.geojson or .gpkg)",
                output.display()
            );
        }
        let layer = read_vector(input, &Default::default())?;
        let out = crate::vectors::reproject_layer(&layer, &to)?;
        write_vector(output, &out)?;
        println!(
            "{} → {} ({} features, {})",
            input.display(),
            output.display(),
            out.features.len(),
            to.label()
        );
        return Ok(());
    }
    let grid = read_raster(input)?;
    let from = grid.crs().cloned().with_context(|| {
        format!(
            "{}: the raster has no CRS, so it cannot be reprojected; assign one first",
            input.display()
        )
    })?;
    let t = CrsTransform::new(&from, &to)?;
    let src_t = grid.transform();
    let bounds = t.transform_bounds(src_t.bounds(grid.width(), grid.height()))?;
    let cell = match m.get_one::<f64>("cell-size") {
        Some(&c) if c > 0.0 && c.is_finite() => c,
        Some(c) => bail!("--cell-size {c} must be a positive number"),
        None => {
            // About the source's: the side of the transformed centre cell's square.
            let (cx, cy) = src_t.cell_center(grid.width() / 2, grid.height() / 2);
            let h = 0.5 * src_t.cell_width();
            let v = 0.5 * src_t.cell_height();
            let a = t.transform(cx - h, cy)?;
            let b = t.transform(cx + h, cy)?;
            let c = t.transform(cx, cy - v)?;
            let d = t.transform(cx, cy + v)?;
            let w = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let hh = ((d.0 - c.0).powi(2) + (d.1 - c.1).powi(2)).sqrt();
            (w * hh).sqrt()
        }
    };
    let method = match m.get_one::<String>("resampling") {
        Some(s) => s.parse::<Resampling>().map_err(anyhow::Error::msg)?,
        None if grid.cell_type().is_float() => Resampling::Bilinear,
        None => Resampling::Nearest,
    };
    let spec = snapped_grid(bounds, cell, Some(to.clone()))?;
    let bar = crate::progress::Bar::new();
    let out = warp(&grid, &spec, method, &bar)?;
    let classes = !out.cell_type().is_float();
    let opts = WriteOptions {
        predictor: true,
        overview_resampling: if classes {
            OverviewResampling::Nearest
        } else {
            OverviewResampling::Average
        },
        ..Default::default()
    };
    write_raster(output, &out, &opts)?;
    println!(
        "{} → {} ({}×{} cells of {} in {}, {})",
        input.display(),
        output.display(),
        spec.width,
        spec.height,
        cell,
        to.label(),
        crate::config::resampling_name(method)
    );
    Ok(())
}
