//! `ecoplan metrics RASTER --out FILE.csv`: landscape metrics (景观格局指数), FRAGSTATS definitions.

use anyhow::{bail, Context};
use clap::{Arg, ArgMatches, Command};
use ecoplan_grid::{with_any_grid, AnyGrid, Crs};
use ecoplan_pattern::metrics::{available, landscape_metrics, Level, MetricsParams, MetricsTable};
use std::io::Write;
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("metrics")
        .about("景观格局指数 Landscape metrics (FRAGSTATS definitions, landscapemetrics names) to CSV")
        .long_about(
            "计算斑块/类型/景观水平的景观格局指数（FRAGSTATS 定义，8 邻域斑块）。\n\
             Computes patch-, class- and landscape-level metrics of a class raster with FRAGSTATS \
             definitions (8-cell patch rule, no landscape boundary in TE, edge depth 1 cell) and \
             writes landscapemetrics' long format: level,class,id,metric,value. Units: ha, m, per \
             100 ha, % (PARA in m/ha). Undefined values are written as NA. With --window RADIUS_M, \
             writes one raster per landscape-level metric instead (moving window).",
        )
        .arg(Arg::new("raster").value_name("RASTER").required(true).value_parser(clap::value_parser!(PathBuf)).help("类型栅格 Class raster (.tif/.asc), integer codes; nodata outside the landscape"))
        .arg(Arg::new("out").long("out").short('o').value_name("FILE.csv").required(true).value_parser(clap::value_parser!(PathBuf)).help("输出 CSV（或 --window 时输出栅格前缀）Output CSV (with --window: output raster path prefix, e.g. out/mw.tif)"))
        .arg(Arg::new("level").long("level").value_name("LEVELS").value_delimiter(',').default_value("patch,class,landscape").help("水平 Levels: patch,class,landscape"))
        .arg(Arg::new("metrics").long("metrics").value_name("NAMES").value_delimiter(',').help("指数 Metric names, e.g. ca,pland,np,lsi,contag,shdi (default: all)"))
        .arg(Arg::new("window").long("window").value_name("RADIUS_M").value_parser(clap::value_parser!(f64)).help("移动窗口半径（米）Moving-window radius in metres (circular window; landscape-level metrics)"))
        .arg(Arg::new("list").long("list").action(clap::ArgAction::SetTrue).help("列出全部指数 List the metric names and exit"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan metrics landuse.tif --out metrics.csv\n  \
             ecoplan metrics landuse.tif --level class,landscape --metrics ca,pland,np,pd,lpi,ed,lsi,ai,shdi,contag --out m.csv\n  \
             ecoplan metrics landuse.tif --window 500 --metrics shdi,pr,ed,contag --out mw/landuse.tif",
        )
}

fn write_csv(path: &std::path::Path, table: &MetricsTable) -> anyhow::Result<()> {
    ecoplan_io::atomic::write_atomic(path, |w| {
        let io = |e: std::io::Error| ecoplan_io::IoError::io(path, e);
        writeln!(w, "level,class,id,metric,value").map_err(io)?;
        for v in &table.values {
            let class = v.class.map_or("NA".to_string(), |c| c.to_string());
            let id = v.id.map_or("NA".to_string(), |c| c.to_string());
            let value = if v.value.is_finite() {
                format!("{}", v.value)
            } else {
                "NA".to_string()
            };
            writeln!(
                w,
                "{},{},{},{},{}",
                v.level.name(),
                class,
                id,
                v.metric,
                value
            )
            .map_err(io)?;
        }
        Ok(())
    })?;
    Ok(())
}

pub fn run(m: &ArgMatches) -> anyhow::Result<()> {
    if m.get_flag("list") {
        for level in [Level::Patch, Level::Class, Level::Landscape] {
            println!("{}: {}", level.name(), available(level).join(","));
        }
        return Ok(());
    }
    let raster: &PathBuf = m.get_one("raster").expect("required");
    let out: &PathBuf = m.get_one("out").expect("required");
    let mut levels = Vec::new();
    for l in m.get_many::<String>("level").expect("default") {
        match Level::parse(l) {
            Some(level) => levels.push(level),
            None => bail!("未知水平 unknown level '{l}': use patch, class or landscape"),
        }
    }
    let metrics: Option<Vec<String>> = m
        .get_many::<String>("metrics")
        .map(|v| v.map(|s| s.trim().to_ascii_lowercase()).collect());
    let grid = ecoplan_io::raster::read_raster(raster)
        .with_context(|| format!("reading {}", raster.display()))?;
    if let Some(Crs::Epsg(4326)) | Some(Crs::Epsg(4490)) = grid.crs() {
        eprintln!(
            "警告 warning: {} is in geographic coordinates (degrees); areas and lengths will be in \
             degree units. Reproject to a projected CRS (e.g. CGCS2000 / Gauss-Kruger) first.",
            raster.display()
        );
    }
    let bar = crate::progress::Bar::new();
    if let Some(radius) = m.get_one::<f64>("window") {
        let names = metrics.unwrap_or_else(|| {
            ecoplan_pattern::metrics::window::WINDOW_METRICS
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        let params = ecoplan_pattern::metrics::window::WindowParams {
            radius_m: *radius,
            metrics: names.clone(),
        };
        let rasters = with_any_grid!(&grid, g => ecoplan_pattern::metrics::window::moving_window(g, &params, &bar))?;
        let stem = out.with_extension("");
        let ext = out
            .extension()
            .map(|e| e.to_string_lossy().to_string())
            .unwrap_or_else(|| "tif".into());
        for (name, r) in names.iter().zip(rasters) {
            let path = PathBuf::from(format!("{}_{name}.{ext}", stem.display()));
            ecoplan_io::raster::write_raster(
                &path,
                &AnyGrid::from(r),
                &ecoplan_io::raster::WriteOptions::default(),
            )
            .with_context(|| format!("writing {}", path.display()))?;
            println!("{name} → {}", path.display());
        }
        return Ok(());
    }
    let params = MetricsParams { levels, metrics };
    params.validate()?;
    let table = with_any_grid!(&grid, g => landscape_metrics(g, &params, &bar))?;
    write_csv(out, &table).with_context(|| format!("writing {}", out.display()))?;
    let count = |l: Level| table.values.iter().filter(|v| v.level == l).count();
    println!(
        "景观格局指数 landscape metrics → {}: {} patch, {} class, {} landscape values",
        out.display(),
        count(Level::Patch),
        count(Level::Class),
        count(Level::Landscape)
    );
    for name in ["ta", "np", "ed", "lsi", "contag", "shdi", "ai"] {
        if let Some(v) = table.get(Level::Landscape, None, name) {
            println!("  {name:<7} {v:.4}");
        }
    }
    Ok(())
}
