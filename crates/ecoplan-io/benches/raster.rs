//! GeoTIFF read/write speed on a generated 4096×4096 float32 grid (deflate, 256² tiles).
//!
//! `cargo bench -p ecoplan-io --bench raster`. Set `ECOPLAN_BENCH_TIF=/path/file.tif` to also
//! time reading an existing file (bench/raster_vs_gdal.sh uses this to compare with GDAL).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecoplan_grid::{AnyGrid, Crs, GeoTransform, Grid, GridSpec};
use ecoplan_io::geotiff::Compression;
use ecoplan_io::raster::{read_raster, write_raster, WriteOptions};
use std::path::PathBuf;

const SIZE: usize = 4096;

/// Smooth terrain-like surface with noise: compresses like a real DEM, not like zeros.
fn terrain() -> AnyGrid {
    let spec = GridSpec::new(
        SIZE,
        SIZE,
        GeoTransform::north_up(400_000.0, 4_500_000.0, 30.0),
        Some(Crs::Epsg(32650)),
    );
    let mut state = 0x9e3779b97f4a7c15u64;
    let data = (0..SIZE * SIZE)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (x, y) = ((i % SIZE) as f32, (i / SIZE) as f32);
            1200.0 + 300.0 * (x / 700.0).sin() * (y / 500.0).cos() + (state % 1000) as f32 * 0.01
        })
        .collect();
    Grid::from_vec(&spec, data, Some(-9999.0f32))
        .unwrap()
        .into()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let grid = terrain();
    let opts = WriteOptions {
        compression: Compression::Deflate,
        tile_size: Some(256),
        predictor: true,
        ..Default::default()
    };
    let path = dir.path().join("terrain.tif");
    write_raster(&path, &grid, &opts).unwrap();

    let mut g = c.benchmark_group("geotiff_f32_4096");
    g.sample_size(10);
    g.throughput(Throughput::Bytes((SIZE * SIZE * 4) as u64));
    g.bench_function("read_deflate_tiled", |b| {
        b.iter(|| read_raster(&path).unwrap())
    });
    let out = dir.path().join("out.tif");
    g.bench_function("write_deflate_tiled", |b| {
        b.iter(|| write_raster(&out, &grid, &opts).unwrap())
    });
    let zstd = WriteOptions {
        compression: Compression::Zstd,
        ..opts.clone()
    };
    g.bench_function("write_zstd_tiled", |b| {
        b.iter(|| write_raster(&out, &grid, &zstd).unwrap())
    });
    g.finish();

    if let Ok(p) = std::env::var("ECOPLAN_BENCH_TIF") {
        let p = PathBuf::from(p);
        let mut g = c.benchmark_group("external");
        g.sample_size(10);
        g.bench_function("read_file", |b| b.iter(|| read_raster(&p).unwrap()));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
