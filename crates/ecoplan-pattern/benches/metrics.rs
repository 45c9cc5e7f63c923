//! Landscape metrics on a synthetic 2000×2000 class raster (8 classes, fragmented patches).
//!
//! `cargo bench -p ecoplan-pattern --bench metrics`. The comparison with pylandstats on the same
//! raster is `bench/metrics_vs_pylandstats.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
use ecoplan_grid::{GeoTransform, Grid, NoProgress};
use ecoplan_pattern::metrics::{landscape_metrics, Level, MetricsParams};
use ecoplan_pattern::mspa::{mspa, MspaParams};

/// Deterministic fragmented landscape: jittered 24-cell blocks of 8 classes plus 3 % noise.
pub fn synthetic(n: usize) -> Grid<u8> {
    let hash = |a: u64| {
        let mut z = a.wrapping_add(0x9E3779B97F4A7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    };
    let block = 24usize;
    let mut cells = vec![0u8; n * n];
    for y in 0..n {
        for x in 0..n {
            let jx = (hash((y as u64) << 20 | (x as u64 / 7)) % 9) as usize;
            let jy = (hash((x as u64) << 21 | (y as u64 / 5)) % 9) as usize;
            let (bx, by) = ((x + jx) / block, (y + jy) / block);
            let mut c = (hash((bx as u64) << 32 | by as u64) % 8) as u8 + 1;
            if hash((y * n + x) as u64 ^ 0xABCDEF) % 100 < 3 {
                c = (hash((y * n + x) as u64) % 8) as u8 + 1;
            }
            cells[y * n + x] = c;
        }
    }
    let mut g = Grid::from_rows(n, n, cells).unwrap();
    g.transform = GeoTransform::north_up(300000.0, 3000000.0, 30.0);
    g
}

fn bench(c: &mut Criterion) {
    let g = synthetic(2000);
    let mut group = c.benchmark_group("metrics_2000x2000");
    group.sample_size(10);
    group.bench_function("all_patch_class_landscape", |b| {
        b.iter(|| landscape_metrics(&g, &MetricsParams::default(), &NoProgress).unwrap())
    });
    let subset = MetricsParams {
        levels: vec![Level::Class, Level::Landscape],
        metrics: Some(
            [
                "pland", "np", "pd", "lpi", "ed", "lsi", "area_mn", "shape_mn", "frac_mn", "mesh",
                "contag", "shdi",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
    };
    group.bench_function("pylandstats_set_10_class_9_landscape", |b| {
        b.iter(|| landscape_metrics(&g, &subset, &NoProgress).unwrap())
    });
    group.finish();

    let binary = {
        let mut b = g.clone();
        for v in b.data.iter_mut() {
            *v = if *v <= 3 { 2 } else { 1 };
        }
        b
    };
    let mut group = c.benchmark_group("mspa_2000x2000");
    group.sample_size(10);
    group.bench_function("8_1_1_1", |b| {
        b.iter(|| mspa(&binary, &MspaParams::default(), &NoProgress).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
