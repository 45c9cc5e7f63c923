//! Alignment benchmarks: reprojection lon/lat → Gauss–Krüger (bilinear) and 2× coarsening
//! (average, mode) on a 2000×2000 grid.

use criterion::{criterion_group, criterion_main, Criterion};
use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_io::align::{snapped_grid, warp_grid, Resampling};
use ecoplan_io::crs::CrsTransform;

fn source(n: usize) -> Grid<f32> {
    let spec = GridSpec::new(
        n,
        n,
        GeoTransform::north_up(112.5, 40.5, 0.0003),
        Some(Crs::Epsg(4490)),
    );
    let data = (0..n * n)
        .map(|i| ((i % n) as f32 * 0.01).sin() + ((i / n) as f32 * 0.02).cos())
        .collect();
    Grid::from_vec(&spec, data, None).unwrap()
}

fn bench(c: &mut Criterion) {
    let n = 2000;
    let src = source(n);
    let t = CrsTransform::new(&Crs::Epsg(4490), &Crs::Epsg(4547)).unwrap();
    let b = t.transform_bounds(src.transform.bounds(n, n)).unwrap();
    let gk = snapped_grid(b, 30.0, Some(Crs::Epsg(4547))).unwrap();
    let mut g = c.benchmark_group("align");
    g.sample_size(10);
    g.bench_function("reproject_4490_to_4547_bilinear_2000", |bch| {
        bch.iter(|| warp_grid(&src, &gk, Resampling::Bilinear, &NoProgress).unwrap())
    });
    g.bench_function("reproject_4490_to_4547_nearest_2000", |bch| {
        bch.iter(|| warp_grid(&src, &gk, Resampling::Nearest, &NoProgress).unwrap())
    });
    let half = GridSpec::new(
        n / 2,
        n / 2,
        GeoTransform::north_up(112.5, 40.5, 0.0006),
        Some(Crs::Epsg(4490)),
    );
    g.bench_function("coarsen_2x_average_2000", |bch| {
        bch.iter(|| warp_grid(&src, &half, Resampling::Average, &NoProgress).unwrap())
    });
    let classes = src.map(Some(255u8), |v| ((v + 2.0) * 3.0) as u8);
    g.bench_function("coarsen_2x_mode_2000", |bch| {
        bch.iter(|| warp_grid(&classes, &half, Resampling::Mode, &NoProgress).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
