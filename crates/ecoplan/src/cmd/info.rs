//! `ecoplan info FILE`: what a raster or vector file holds.

use anyhow::{Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_io::vector::{read_vector, ReadOptions, VectorFormat};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub fn command() -> Command {
    Command::new("info")
        .about("查看栅格/矢量文件信息 Describe a raster or vector file")
        .long_about(
            "栅格：格式、坐标系、范围、行列数、像元类型、无数据值、统计（最小/最大/均值/有效像元数）。\n\
             矢量：格式、坐标系、范围、几何类型、要素数、字段。\n\
             Raster: driver, CRS, extent, size, cell type, nodata, value statistics \
             (min/max/mean/count of valid cells). Vector: driver, CRS, extent, geometry type, \
             feature count, fields.",
        )
        .arg(Arg::new("file").value_name("FILE").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("以 JSON 输出 Print JSON"))
        .arg(
            Arg::new("no-stats")
                .long("no-stats")
                .action(ArgAction::SetTrue)
                .help("不读取像元、不统计（大文件更快） Skip reading cells and statistics"),
        )
        .arg(Arg::new("layer").long("layer").value_name("NAME").help("GeoPackage 图层名 GeoPackage layer"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan info data/demo/dem30s_datong_city.tif\n  \
             ecoplan info runs/demo-yungang/layers/landuse.tif --json\n  \
             ecoplan info data/demo/boundaries_datong.geojson",
        )
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let path: &PathBuf = m.get_one("file").expect("required");
    if !path.exists() {
        anyhow::bail!("{}: 文件不存在 file not found", path.display());
    }
    let v = if VectorFormat::from_path(path).is_some() {
        let opts = ReadOptions {
            layer: m.get_one::<String>("layer").cloned(),
            ..Default::default()
        };
        vector_info(path, &opts)?
    } else {
        raster_info(path, !m.get_flag("no-stats"))?
    };
    if m.get_flag("json") {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_text(&v);
    }
    Ok(())
}

fn extent_json(b: (f64, f64, f64, f64)) -> Value {
    json!({ "xmin": b.0, "ymin": b.1, "xmax": b.2, "ymax": b.3 })
}

fn crs_json(crs: Option<&ecoplan_grid::Crs>) -> (Value, Value, Value) {
    match crs {
        Some(c) => (
            json!(c.label()),
            json!(c.epsg()),
            json!(ecoplan_io::crs::name(c)),
        ),
        None => (Value::Null, Value::Null, Value::Null),
    }
}

/// The facts `info --json` prints for a raster.
pub fn raster_info(path: &Path, stats: bool) -> Result<Value> {
    let mut info = ecoplan_io::raster::raster_info(path).with_context(|| {
        format!(
            "{}: 无法读取为栅格或矢量 cannot be read as a raster (or a vector by its extension)",
            path.display()
        )
    })?;
    if info.crs.is_none() {
        info.crs = crate::rasters::sidecar_crs(path);
    }
    let (crs, epsg, crs_name) = crs_json(info.crs.as_ref());
    let mut v = json!({
        "kind": "raster",
        "file": path,
        "driver": info.format.gdal_name(),
        "width": info.width,
        "height": info.height,
        "bands": info.band_count,
        "cell_type": info.cell_type.gdal_name(),
        "crs": crs,
        "epsg": epsg,
        "crs_name": crs_name,
        "transform": info.transform.to_gdal(),
        "cell_size": [info.transform.cell_width(), info.transform.cell_height()],
        "extent": extent_json(info.transform.bounds(info.width, info.height)),
        // JSON has no NaN: a NaN nodata is written as the string "nan".
        "nodata": match info.nodata { Some(v) if v.is_nan() => json!("nan"), Some(v) => json!(v), None => Value::Null },
        "compression": info.compression,
        "tiling": info.tiling,
        "overviews": info.overviews,
        "cog": info.cog,
        "warnings": info.warnings,
    });
    if stats {
        let grid = crate::rasters::read_raster(path)?;
        let s = grid.stats();
        v["stats"] = match s {
            Some(s) => {
                json!({ "count": s.count, "min": s.min, "max": s.max, "mean": s.mean(), "sum": s.sum })
            }
            None => json!({ "count": 0, "min": null, "max": null, "mean": null, "sum": 0.0 }),
        };
        v["cells"] = json!(info.width * info.height);
    }
    Ok(v)
}

fn vector_info(path: &Path, opts: &ReadOptions) -> Result<Value> {
    let layer = read_vector(path, opts)?;
    let driver = match VectorFormat::from_path(path) {
        Some(VectorFormat::GeoJson) => "GeoJSON",
        Some(VectorFormat::GeoPackage) => "GPKG",
        Some(VectorFormat::Shapefile) => "ESRI Shapefile",
        None => "?",
    };
    let (crs, epsg, crs_name) = crs_json(layer.crs.as_ref());
    let mut v = json!({
        "kind": "vector",
        "file": path,
        "driver": driver,
        "layer": layer.name,
        "crs": crs,
        "epsg": epsg,
        "crs_name": crs_name,
        "extent": layer.bounds().map(extent_json),
        "geometry_type": layer.geometry_type(),
        "feature_count": layer.features.len(),
        "fields": layer.fields.iter().map(|(n, t)| json!({"name": n, "type": t.name()})).collect::<Vec<_>>(),
        "warnings": layer.warnings,
    });
    if driver == "GPKG" {
        if let Ok(layers) = ecoplan_io::vector::list_gpkg_layers(path) {
            v["layers"] = layers
                .iter()
                .map(|l| json!({"name": l.name, "geometry_type": l.geometry_type, "features": l.feature_count}))
                .collect();
        }
    }
    Ok(v)
}

fn print_text(v: &Value) {
    let s = |k: &str| match &v[k] {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    println!("文件 file:        {}", s("file"));
    println!("格式 driver:      {}", s("driver"));
    let crs = if v["crs"].is_null() {
        "无 none".to_string()
    } else {
        format!("{} ({})", s("crs"), s("crs_name"))
    };
    println!("坐标系 CRS:       {crs}");
    if let Some(e) = v["extent"].as_object() {
        println!(
            "范围 extent:      x {} … {}, y {} … {}",
            e["xmin"], e["xmax"], e["ymin"], e["ymax"]
        );
    }
    if v["kind"] == "raster" {
        println!(
            "大小 size:        {} × {} cells, {} band(s)",
            s("width"),
            s("height"),
            s("bands")
        );
        println!("像元 cell:        {} {}", s("cell_type"), v["cell_size"]);
        println!("无数据 nodata:    {}", s("nodata"));
        println!(
            "压缩 compression: {}{}",
            s("compression"),
            if v["cog"] == true { ", COG" } else { "" }
        );
        if let Some(st) = v.get("stats") {
            println!(
                "统计 stats:       count {} min {} max {} mean {}",
                st["count"], st["min"], st["max"], st["mean"]
            );
        }
    } else {
        println!("图层 layer:       {}", s("layer"));
        println!("几何 geometry:    {}", s("geometry_type"));
        println!("要素 features:    {}", s("feature_count"));
        if let Some(fields) = v["fields"].as_array() {
            println!("字段 fields:");
            for f in fields {
                println!(
                    "  {:<24} {}",
                    f["name"].as_str().unwrap_or(""),
                    f["type"].as_str().unwrap_or("")
                );
            }
        }
    }
    if let Some(w) = v["warnings"].as_array().filter(|w| !w.is_empty()) {
        for x in w {
            println!("警告 warning: {}", x.as_str().unwrap_or(""));
        }
    }
}
