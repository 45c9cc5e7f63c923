//! `ecoplan rasterize VECTOR OUT`: burn polygons, lines or points into a raster.

use crate::rasters::write_raster;
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgGroup, ArgMatches, Command};
use ecoplan_grid::{AnyGrid, GridSpec};
use ecoplan_io::raster::{raster_info, OverviewResampling, WriteOptions};
use ecoplan_io::vector::{rasterize_layer, read_vector, Burn, FieldType, RasterizeOptions};
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("rasterize")
        .about("矢量转栅格 Rasterize a vector layer")
        .long_about(
            "默认规则与 GDAL 相同：像元中心落在面内才赋值；--all-touched 则所有接触像元均赋值。\n\
             Cells whose centre a geometry covers get its value (GDAL's rule); with --all-touched \
             every cell it touches does. The grid comes from --like REF (same size, transform and \
             CRS; the layer is reprojected to it) or from --cell-size over the layer's extent.",
        )
        .arg(
            Arg::new("input")
                .value_name("VECTOR")
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
            Arg::new("like")
                .long("like")
                .value_name("REF")
                .value_parser(clap::value_parser!(PathBuf))
                .help("参考栅格 Reference raster giving the grid"),
        )
        .arg(
            Arg::new("cell-size")
                .long("cell-size")
                .value_name("SIZE")
                .value_parser(clap::value_parser!(f64))
                .help("像元大小（图层坐标单位） Cell size in the layer's CRS units"),
        )
        .group(
            ArgGroup::new("grid")
                .args(["like", "cell-size"])
                .required(true),
        )
        .arg(
            Arg::new("burn")
                .long("burn")
                .value_name("VALUE")
                .value_parser(clap::value_parser!(f64))
                .help("固定赋值（默认 1） Constant value (default 1)"),
        )
        .arg(
            Arg::new("attribute")
                .long("attribute")
                .value_name("FIELD")
                .help("按字段赋值 Burn a numeric attribute"),
        )
        .group(ArgGroup::new("value").args(["burn", "attribute"]))
        .arg(
            Arg::new("all-touched")
                .long("all-touched")
                .action(ArgAction::SetTrue)
                .help("接触即赋值 Burn every touched cell"),
        )
        .after_help(
            "示例 Examples:\n  \
             ecoplan rasterize boundary.gpkg mask.tif --like dem.tif\n  \
             ecoplan rasterize mines.gpkg mines.tif --cell-size 30 --burn 1 --all-touched\n  \
             ecoplan rasterize zones.geojson zones.tif --like landuse.tif --attribute zone_id",
        )
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let input: &PathBuf = m.get_one("input").expect("required");
    let output: &PathBuf = m.get_one("output").expect("required");
    let mut layer = read_vector(input, &Default::default())?;
    let spec = if let Some(reference) = m.get_one::<PathBuf>("like") {
        let info =
            raster_info(reference).with_context(|| format!("--like {}", reference.display()))?;
        let spec = GridSpec::new(info.width, info.height, info.transform, info.crs.clone());
        match (&layer.crs, &info.crs) {
            (Some(lc), Some(rc)) if lc != rc => layer = crate::vectors::reproject_layer(&layer, rc)?,
            (None, Some(_)) | (Some(_), None) => eprintln!(
                "警告 warning: only one of the layer and the reference raster has a CRS; assuming they share one"
            ),
            _ => {}
        }
        spec
    } else {
        let cell = *m.get_one::<f64>("cell-size").expect("group");
        if !(cell > 0.0 && cell.is_finite()) {
            bail!("--cell-size {cell} must be a positive number");
        }
        if let Some(c) = &layer.crs {
            if c.is_geographic() && cell > 1.0 {
                bail!("the layer is in {} (degrees) but --cell-size is {cell}: reproject it first (ecoplan reproject … --to EPSG:4547) or use --like", c.label());
            }
        }
        let b = layer.bounds().context("the layer has no geometry")?;
        ecoplan_io::align::snapped_grid(b, cell, layer.crs.clone())?
    };
    let (burn, cell_type_int) = match (m.get_one::<f64>("burn"), m.get_one::<String>("attribute")) {
        (Some(&v), _) => (Burn::Constant(v), v.fract() == 0.0),
        (None, Some(f)) => {
            let i = layer.field_index(f).with_context(|| {
                format!(
                    "no field `{f}`; fields: {}",
                    layer
                        .fields
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            match layer.fields[i].1 {
                FieldType::Int | FieldType::Bool => (Burn::Field(f.clone()), true),
                FieldType::Real => (Burn::Field(f.clone()), false),
                FieldType::Text => bail!("field `{f}` is text; rasterize needs a numeric field"),
            }
        }
        (None, None) => (Burn::Constant(1.0), true),
    };
    let opts = RasterizeOptions {
        all_touched: m.get_flag("all-touched"),
    };
    let g = rasterize_layer(&layer, &spec, &burn, &opts)?;
    let (lo, hi) = g.stats().map_or((0.0, 0.0), |s| (s.min, s.max));
    // Smallest honest cell type: bytes for masks and small classes, i32 for other integers.
    let out: AnyGrid = if cell_type_int && lo >= 1.0 && hi <= 255.0 {
        AnyGrid::U8(g.cast::<u8>(Some(0)))
    } else if cell_type_int && lo >= i32::MIN as f64 + 1.0 && hi <= i32::MAX as f64 {
        AnyGrid::I32(g.cast::<i32>(Some(i32::MIN)))
    } else {
        AnyGrid::F32(g.cast::<f32>(Some(f32::NAN)))
    };
    let burned = out.stats().map_or(0, |s| s.count);
    let wopts = WriteOptions {
        predictor: true,
        overview_resampling: OverviewResampling::Nearest,
        ..Default::default()
    };
    write_raster(output, &out, &wopts)?;
    println!(
        "{} → {} ({}×{} {}, {burned} cells burned 个像元赋值)",
        input.display(),
        output.display(),
        spec.width,
        spec.height,
        out.cell_type()
    );
    Ok(())
}
