//! Times ecoplan's GeoTIFF reading (and writing) of one file; used by bench/raster_vs_gdal.sh.
//!
//! `raster_timing read FILE REPS` prints the best and median seconds of REPS full reads;
//! `raster_timing write FILE OUT REPS` reads FILE once, then times writing it as deflate tiles.

use ecoplan_io::raster::{read_raster, write_raster, WriteOptions};
use std::path::Path;
use std::time::Instant;

fn summary(mut t: Vec<f64>) -> String {
    t.sort_by(|a, b| a.total_cmp(b));
    format!(
        "{{\"best\": {:.4}, \"median\": {:.4}, \"reps\": {}}}",
        t[0],
        t[t.len() / 2],
        t.len()
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: raster_timing read FILE REPS | write FILE OUT REPS";
    match args.get(1).map(String::as_str) {
        Some("read") if args.len() == 4 => {
            let reps: usize = args[3].parse().expect(usage);
            let times = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    let g = read_raster(Path::new(&args[2])).unwrap_or_else(|e| panic!("{e}"));
                    std::hint::black_box(&g);
                    t.elapsed().as_secs_f64()
                })
                .collect();
            println!("{}", summary(times));
        }
        Some("write") if args.len() == 5 => {
            let reps: usize = args[4].parse().expect(usage);
            let g = read_raster(Path::new(&args[2])).unwrap_or_else(|e| panic!("{e}"));
            let opts = WriteOptions {
                predictor: true,
                ..Default::default()
            };
            let times = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    write_raster(Path::new(&args[3]), &g, &opts).unwrap_or_else(|e| panic!("{e}"));
                    t.elapsed().as_secs_f64()
                })
                .collect();
            println!("{}", summary(times));
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
