//! End-to-end zonal statistics from files, for bench/zonal_vs_gdal.sh:
//! `zonal_files VALUES.tif ZONES.tif OUT.csv [--majority]` reads both rasters, computes per-zone
//! count/sum/mean/min/max (and majority), writes a CSV and prints one `@@RESULT@@ {json}` line.

use ecoplan_grid::NoProgress;
use ecoplan_io::raster::read_raster;
use ecoplan_io::zonal::{zonal_stats_any, ZonalOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: zonal_files VALUES ZONES OUT.csv [--majority]");
        std::process::exit(2);
    }
    let t = Instant::now();
    let values = read_raster(&PathBuf::from(&args[0])).unwrap_or_else(|e| panic!("{e}"));
    let zones = read_raster(&PathBuf::from(&args[1])).unwrap_or_else(|e| panic!("{e}"));
    let read_s = t.elapsed().as_secs_f64();
    let opts = ZonalOptions {
        majority: args.iter().any(|a| a == "--majority"),
    };
    let rows =
        zonal_stats_any(&values, &zones, &opts, &NoProgress).unwrap_or_else(|e| panic!("{e}"));
    let stats_s = t.elapsed().as_secs_f64() - read_s;
    let out = PathBuf::from(&args[2]);
    ecoplan_io::atomic::write_atomic(&out, |w| {
        let io = |e| ecoplan_io::IoError::io(&out, e);
        writeln!(w, "zone,count,area_m2,sum,mean,min,max,majority").map_err(io)?;
        for r in &rows {
            let maj = r.majority.map(|m| m.to_string()).unwrap_or_default();
            writeln!(
                w,
                "{},{},{},{},{},{},{},{}",
                r.zone, r.count, r.area_m2, r.sum, r.mean, r.min, r.max, maj
            )
            .map_err(io)?;
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let total = t.elapsed().as_secs_f64();
    println!(
        "@@RESULT@@ {{\"seconds\": {total:.4}, \"read_seconds\": {read_s:.4}, \"stats_seconds\": {stats_s:.4}, \"zones\": {}, \"cells\": {}}}",
        rows.len(),
        values.width() * values.height()
    );
}
