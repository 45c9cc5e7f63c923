//! `ecoplan zonal VALUES --zones ZONES --out OUT.csv|.xlsx`: statistics of a raster per zone
//! (zones as an integer raster or as polygons), with areas in 公顷, 亩 and km².

use crate::rasters::read_raster;
use crate::tables::{Table, Value};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::units::Area;
use ecoplan_grid::AnyGrid;
use ecoplan_io::align::{warp, Resampling};
use ecoplan_io::vector::{read_vector, FieldValue, VectorFormat};
use ecoplan_io::zonal::{zonal_stats_any, zonal_stats_polygons, ZonalOptions, ZoneStats};
use std::path::{Path, PathBuf};

pub fn command() -> Command {
    Command::new("zonal")
        .about("分区统计 Zonal statistics of a raster by zones (raster or polygons)")
        .long_about(
            "每个分区输出：分区、有效像元数、面积（公顷/亩/平方千米）、总和、均值、最小值、最大值、众数。\n\
             Per zone: zone, count (valid cells), area_ha, area_mu, area_km2, sum, mean, min, max, \
             majority. Polygons are rasterized with the cell-centre rule (as rasterstats) after \
             reprojection to the raster's CRS; a zone raster on another grid is resampled onto the \
             value raster (nearest). CSV has English headers; XLSX has a Chinese and an English \
             header row.",
        )
        .arg(Arg::new("values").value_name("VALUES").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(Arg::new("zones").long("zones").value_name("ZONES").required(true).value_parser(clap::value_parser!(PathBuf)).help("分区：整数栅格或面矢量 Zones: integer raster or polygons"))
        .arg(Arg::new("out").long("out").short('o').value_name("OUT").required(true).value_parser(clap::value_parser!(PathBuf)).help("输出 .csv 或 .xlsx"))
        .arg(Arg::new("zone-field").long("zone-field").value_name("FIELD").help("面矢量中作为分区名的字段 Field naming each polygon zone"))
        .arg(Arg::new("majority").long("majority").action(ArgAction::SetTrue).help("浮点栅格也计算众数 Majority for float rasters too (integer rasters always)"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan zonal landuse.tif --zones townships.gpkg --zone-field name --out landuse_by_town.xlsx\n  \
             ecoplan zonal ndvi.tif --zones zones.tif --out ndvi_by_zone.csv",
        )
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let values_path: &PathBuf = m.get_one("values").expect("required");
    let zones_path: &PathBuf = m.get_one("zones").expect("required");
    let out: &PathBuf = m.get_one("out").expect("required");
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "csv" && ext != "xlsx" {
        bail!("--out {}: write .csv or .xlsx", out.display());
    }
    let values = read_raster(values_path)?;
    let opts = ZonalOptions {
        majority: !values.cell_type().is_float() || m.get_flag("majority"),
    };
    let bar = crate::progress::Bar::new();
    let (rows, names) = if VectorFormat::from_path(zones_path).is_some() {
        polygon_zones(
            &values,
            zones_path,
            m.get_one::<String>("zone-field"),
            &opts,
            &bar,
        )?
    } else {
        if m.get_one::<String>("zone-field").is_some() {
            bail!(
                "--zone-field is for polygon zones; {} is a raster",
                zones_path.display()
            );
        }
        let mut zones = read_raster(zones_path)?;
        if zones.cell_type().is_float() {
            bail!(
                "{}: zone rasters must hold integers, found {}",
                zones_path.display(),
                zones.cell_type()
            );
        }
        if values.spec().check_aligned(&zones.spec()).is_err() {
            eprintln!(
                "注意 note: zones are not on the value grid; resampling them onto it (nearest)"
            );
            zones = warp(&zones, &values.spec(), Resampling::Nearest, &bar)?;
        }
        (zonal_stats_any(&values, &zones, &opts, &bar)?, None)
    };
    let table = build_table(&rows, names.as_deref());
    table.write(out)?;
    println!("{} zones 个分区 → {}", rows.len(), out.display());
    Ok(())
}

type ZoneRows = (Vec<ZoneStats>, Option<Vec<String>>);

fn polygon_zones(
    values: &AnyGrid,
    path: &Path,
    field: Option<&String>,
    opts: &ZonalOptions,
    bar: &crate::progress::Bar,
) -> Result<ZoneRows> {
    let mut layer = read_vector(path, &Default::default())?;
    if let (Some(lc), Some(rc)) = (&layer.crs, values.crs()) {
        if lc != rc {
            layer = crate::vectors::reproject_layer(&layer, rc)?;
        }
    }
    let names = match field {
        Some(f) => {
            let i = layer.field_index(f).with_context(|| {
                format!(
                    "{}: no field `{f}`; fields: {}",
                    path.display(),
                    layer
                        .fields
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            Some(
                layer
                    .features
                    .iter()
                    .map(|ft| match ft.properties.get(i) {
                        Some(FieldValue::Text(s)) => s.clone(),
                        Some(FieldValue::Int(v)) => v.to_string(),
                        Some(FieldValue::Real(v)) => v.to_string(),
                        Some(FieldValue::Bool(b)) => b.to_string(),
                        _ => String::new(),
                    })
                    .collect(),
            )
        }
        None => None,
    };
    Ok((zonal_stats_polygons(values, &layer, opts, bar)?, names))
}

/// The zonal table: one row per zone; `names[zone - 1]` labels polygon zones when given.
pub fn build_table(rows: &[ZoneStats], names: Option<&[String]>) -> Table {
    let mut t = Table::new(&[
        ("zone", "分区"),
        ("count", "有效像元数"),
        ("area_ha", "面积（公顷）"),
        ("area_mu", "面积（亩）"),
        ("area_km2", "面积（平方千米）"),
        ("sum", "总和"),
        ("mean", "均值"),
        ("min", "最小值"),
        ("max", "最大值"),
        ("majority", "众数"),
    ]);
    for r in rows {
        let a = Area::from_m2(r.area_m2);
        let zone = match names.and_then(|n| n.get((r.zone - 1) as usize)) {
            Some(name) => Value::Text(name.clone()),
            None => Value::Int(r.zone),
        };
        let num = |x: f64| {
            if r.count > 0 {
                Value::Num(x)
            } else {
                Value::Empty
            }
        };
        t.push(vec![
            zone,
            Value::Int(r.count as i64),
            Value::Num(a.ha()),
            Value::Num(a.mu()),
            Value::Num(a.km2()),
            Value::Num(r.sum),
            num(r.mean),
            num(r.min),
            num(r.max),
            r.majority.map_or(Value::Empty, Value::Num),
        ]);
    }
    t
}
