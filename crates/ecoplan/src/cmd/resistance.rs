//! `ecoplan resistance`: resistance surface (阻力面) from land use + a class table, optional
//! weighted factors (slope, distance to roads, …) and pixel-to-class-mean corrections.

use super::cost_distance::{path_arg, read_grid, read_zones, write_grid};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::{AnyGrid, Grid, GridSpec};
use ecoplan_io::atomic::write_atomic;
use ecoplan_pattern::corridors::euclidean_distance;
use ecoplan_pattern::resistance::{
    resistance_from_classes, BreakTable, Correction, CorrectionKind, Factor, ResistanceParams,
    ResistanceTable,
};
use std::path::{Path, PathBuf};

pub fn command() -> Command {
    Command::new("resistance")
        .about("阻力面 Resistance surface from land use, a class table, factors and corrections")
        .long_about(
            "阻力面构建（METHODS §3.2）。\n\
             R = w_lu·R′ + Σ w_f·R_f, clamped to [R_min, R_max] (default: the table's min and max), where \
             R′ is the land-use resistance R_a corrected by pixel-to-class-mean ratios: night light \
             R_a·NL_i/NL_a, impervious share R_a·ISA_i/ISA_a, NDVI (inverted) R_a·NDVI_a/NDVI_i; R_f are \
             break-table reclassifications of factor rasters (e.g. turpan_slope). Every land-use class \
             must be in the table (missing ones are listed). Writes the raster, the table used \
             (<out>.table.csv) and a report (<out>.report.json) for the run manifest.\n\
             Bundled tables: clcd_default, igbp_default, turpan_landuse_clcd, nanjing_clcd; break tables: \
             turpan_slope.",
        )
        .arg(path_arg("landuse", "土地利用 Land-use class raster").required(true))
        .arg(Arg::new("table").long("table").value_name("PRESET|CSV").default_value("clcd_default").help("阻力表 Resistance table: preset name or CSV (code,name_zh,name_en,resistance)"))
        .arg(path_arg("out", "输出阻力面 Output resistance raster (float32)").short('o').required(true))
        .arg(Arg::new("landuse-weight").long("landuse-weight").value_name("W").default_value("1").value_parser(clap::value_parser!(f64)).help("土地利用权重 Weight of land use when factors are given (Turpan: 0.7)"))
        .arg(Arg::new("factor").long("factor").value_name("NAME=RASTER:BREAKS:WEIGHT").action(ArgAction::Append).help("因子 Factor raster reclassified by a break table (preset or CSV upper,resistance), e.g. slope=slope.tif:turpan_slope:0.3"))
        .arg(path_arg("roads", "道路 Roads (vector lines or raster mask) for a distance-to-road factor"))
        .arg(Arg::new("road-factor").long("road-factor").value_name("BREAKS:WEIGHT").help("道路距离因子 Break table (metres → resistance) and weight for --roads"))
        .arg(path_arg("ndvi", "NDVI 栅格 NDVI raster (inverted correction)"))
        .arg(path_arg("night-light", "夜间灯光 Night-light raster (correction)"))
        .arg(path_arg("impervious", "不透水面 Impervious-share raster (correction)"))
        .arg(Arg::new("clamp").long("clamp").value_name("MIN,MAX").help("阻力范围 Clamp the result (default: the table's min,max)"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan resistance --landuse clcd.tif --table clcd_default --out resistance.tif\n  \
             ecoplan resistance --landuse clcd.tif --table turpan_landuse_clcd --landuse-weight 0.7 \\\n    \
             --factor slope=slope.tif:turpan_slope:0.3 --ndvi ndvi.tif --out resistance.tif\n  \
             ecoplan resistance --landuse lu.tif --table my_table.csv --roads roads.gpkg \\\n    \
             --road-factor road_breaks.csv:0.2 --landuse-weight 0.8 --out r.tif",
        )
}

fn load_table(s: &str) -> Result<ResistanceTable> {
    if ResistanceTable::preset_names().contains(&s) {
        return Ok(ResistanceTable::preset(s)?);
    }
    let p = Path::new(s);
    let text = std::fs::read_to_string(p).with_context(|| {
        format!(
            "{s}: not a preset ({}) and not a readable CSV file",
            ResistanceTable::preset_names().join(", ")
        )
    })?;
    Ok(ResistanceTable::parse_csv(s, &text)?)
}

fn load_breaks(s: &str) -> Result<BreakTable> {
    if let Ok(t) = BreakTable::preset(s) {
        return Ok(t);
    }
    let text = std::fs::read_to_string(s).with_context(|| {
        format!("{s}: not a break-table preset (turpan_slope) and not a readable CSV")
    })?;
    Ok(BreakTable::parse_csv(s, &text)?)
}

fn aligned_f32(path: &Path, spec: &GridSpec) -> Result<Grid<f32>> {
    let g = read_grid(path)?.to_f32();
    spec.check_aligned(&g.spec()).with_context(|| {
        format!(
            "{} is not on the land-use grid: align it first (ecoplan reproject)",
            path.display()
        )
    })?;
    Ok(g)
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let get = |k: &str| m.get_one::<PathBuf>(k);
    let lu_path = get("landuse").expect("required");
    let out = get("out").expect("required");
    let landuse = read_grid(lu_path)?;
    let spec = landuse.spec();
    let table = load_table(m.get_one::<String>("table").expect("default"))?;
    let clamp = match m.get_one::<String>("clamp") {
        Some(s) => {
            let v: Vec<f64> = s
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .with_context(|| format!("--clamp {s}: expected MIN,MAX"))?;
            if v.len() != 2 {
                bail!("--clamp {s}: expected MIN,MAX");
            }
            Some((v[0], v[1]))
        }
        None => None,
    };
    let params = ResistanceParams {
        landuse_weight: *m.get_one::<f64>("landuse-weight").expect("default"),
        clamp,
    };
    // Factors: (name, layer, breaks, weight), kept alive for the borrowing Factor structs.
    let mut factor_data: Vec<(String, Grid<f32>, BreakTable, f64)> = Vec::new();
    for spec_s in m.get_many::<String>("factor").into_iter().flatten() {
        let (name, rest) = spec_s
            .split_once('=')
            .with_context(|| format!("--factor {spec_s}: expected NAME=RASTER:BREAKS:WEIGHT"))?;
        let parts: Vec<&str> = rest.rsplitn(3, ':').collect();
        if parts.len() != 3 {
            bail!("--factor {spec_s}: expected NAME=RASTER:BREAKS:WEIGHT");
        }
        let (weight, breaks, raster) = (parts[0], parts[1], parts[2]);
        let weight: f64 = weight
            .parse()
            .with_context(|| format!("--factor {spec_s}: weight '{weight}' is not a number"))?;
        factor_data.push((
            name.to_string(),
            aligned_f32(Path::new(raster), &spec)?,
            load_breaks(breaks)?,
            weight,
        ));
    }
    if let Some(roads) = get("roads") {
        let rf = m.get_one::<String>("road-factor").context(
            "--roads needs --road-factor BREAKS:WEIGHT (distance in metres → resistance)",
        )?;
        let (breaks, weight) = rf
            .rsplit_once(':')
            .context("--road-factor: expected BREAKS:WEIGHT")?;
        let weight: f64 = weight
            .parse()
            .with_context(|| format!("--road-factor {rf}: weight is not a number"))?;
        let mask = read_zones(roads, &spec, None, true)?;
        let t = spec.transform;
        let d = euclidean_distance(
            |i| mask.data[i] > 0,
            spec.width,
            spec.height,
            t.cell_width(),
            t.cell_height(),
        );
        let g = Grid::from_vec(&spec, d, None)?;
        factor_data.push((
            "distance to roads 道路距离 (m)".into(),
            g,
            load_breaks(breaks)?,
            weight,
        ));
    } else if m.get_one::<String>("road-factor").is_some() {
        bail!("--road-factor needs --roads");
    }
    let factors = borrow_factors(&factor_data);
    let mut corr_data: Vec<(CorrectionKind, Grid<f32>)> = Vec::new();
    for (flag, kind) in [
        ("night-light", CorrectionKind::NightLight),
        ("impervious", CorrectionKind::Impervious),
        ("ndvi", CorrectionKind::Ndvi),
    ] {
        if let Some(p) = get(flag) {
            corr_data.push((kind, aligned_f32(p, &spec)?));
        }
    }
    let corrections: Vec<Correction> = corr_data
        .iter()
        .map(|(k, g)| Correction { kind: *k, layer: g })
        .collect();
    let surface = ecoplan_grid::with_any_grid!(&landuse, g => resistance_from_classes(g, &table, &factors, &corrections, &params))
        .with_context(|| format!("resistance from {}", lu_path.display()))?;
    write_grid(out, AnyGrid::from(surface.resistance))?;
    let stem = out
        .to_string_lossy()
        .trim_end_matches(".tif")
        .trim_end_matches(".tiff")
        .trim_end_matches(".gz")
        .trim_end_matches(".asc")
        .to_string();
    let table_path = PathBuf::from(format!("{stem}.table.csv"));
    let report_path = PathBuf::from(format!("{stem}.report.json"));
    write_atomic(&table_path, |w| {
        use std::io::Write;
        w.write_all(surface.report.table.to_csv().as_bytes())
            .map_err(|e| ecoplan_io::IoError::io(&table_path, e))
    })?;
    write_atomic(&report_path, |w| {
        use std::io::Write;
        w.write_all(
            serde_json::to_string_pretty(&surface.report)
                .expect("json")
                .as_bytes(),
        )
        .map_err(|e| ecoplan_io::IoError::io(&report_path, e))
    })?;
    let r = &surface.report;
    eprintln!(
        "阻力面 resistance: table {} ({} classes present), clamp [{}, {}], {} cells clamped, {} nodata; {} factor(s), {} correction(s)",
        r.table.name, r.class_cells.len(), r.clamp.0, r.clamp.1, r.clamped_cells, r.nodata_cells, r.factors.len(), r.corrections.len()
    );
    if let Some((lo, mean, hi)) = r.stats {
        eprintln!("  min {lo:.3}, mean {mean:.3}, max {hi:.3}");
    }
    for n in &r.notes {
        eprintln!("  注意 note: {n}");
    }
    eprintln!(
        "  → {}, {}, {}",
        out.display(),
        table_path.display(),
        report_path.display()
    );
    Ok(())
}

/// Borrows owned factor data (name, layer, break table, weight) as the library's [`Factor`]s
/// (shared by `ecoplan resistance` and `ecoplan pattern`).
pub fn borrow_factors<S: AsRef<str>>(data: &[(S, Grid<f32>, BreakTable, f64)]) -> Vec<Factor<'_>> {
    data.iter()
        .map(|(name, layer, breaks, weight)| Factor {
            name: name.as_ref(),
            layer,
            breaks,
            weight: *weight,
        })
        .collect()
}
