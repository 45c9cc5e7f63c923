//! Zonal statistics and rasterization speed on synthetic grids (`cargo bench -p ecoplan-io --bench zonal`).
//! The comparison with GDAL + numpy on real files is bench/zonal_vs_gdal.sh.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecoplan_grid::{Crs, GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_io::vector::{rasterize_ids, Layer, RasterizeOptions};
use ecoplan_io::zonal::{zonal_stats, ZonalOptions};
use geo_types::{Coord, LineString, Polygon};

fn grids(n: usize) -> (Grid<f32>, Grid<u32>, Grid<u8>) {
    let spec = GridSpec::new(
        n,
        n,
        GeoTransform::north_up(500_000.0, 4_500_000.0, 30.0),
        Some(Crs::Epsg(4547)),
    );
    let values: Vec<f32> = (0..n * n)
        .map(|i| ((i % 977) as f32).sin() * 100.0)
        .collect();
    // 100 zones: a 10 × 10 block pattern, like admin units on a grid.
    let zones: Vec<u32> = (0..n * n)
        .map(|i| ((i / n) * 10 / n * 10 + (i % n) * 10 / n) as u32 + 1)
        .collect();
    let classes: Vec<u8> = (0..n * n).map(|i| (i % 7 + i / n % 3) as u8).collect();
    (
        Grid::from_vec(&spec, values, Some(f32::NAN)).unwrap(),
        Grid::from_vec(&spec, zones, Some(0)).unwrap(),
        Grid::from_vec(&spec, classes, None).unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let n = 2000;
    let (values, zones, classes) = grids(n);
    let mut g = c.benchmark_group("zonal");
    g.throughput(Throughput::Elements((n * n) as u64));
    g.sample_size(20);
    g.bench_function("f32 values, 100 zones", |b| {
        b.iter(|| {
            zonal_stats(
                &values,
                &zones,
                &ZonalOptions { majority: false },
                &NoProgress,
            )
            .unwrap()
        })
    });
    g.bench_function("u8 classes with majority, 100 zones", |b| {
        b.iter(|| {
            zonal_stats(
                &classes,
                &zones,
                &ZonalOptions { majority: true },
                &NoProgress,
            )
            .unwrap()
        })
    });
    g.finish();

    // Rasterize 100 star-shaped polygons of 200 vertices onto the same grid.
    let spec = values.spec();
    let mut layer = Layer::new("stars", spec.crs.clone());
    for k in 0..100 {
        let (cx, cy) = (
            500_000.0 + (k % 10) as f64 * 6000.0 + 3000.0,
            4_500_000.0 - (k / 10) as f64 * 6000.0 - 3000.0,
        );
        let ring: Vec<Coord<f64>> = (0..=200)
            .map(|i| {
                let a = i as f64 / 200.0 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 2900.0 } else { 1700.0 };
                Coord {
                    x: cx + r * a.cos(),
                    y: cy + r * a.sin(),
                }
            })
            .collect();
        layer.push(Some(Polygon::new(LineString(ring), vec![]).into()), vec![]);
    }
    let mut g = c.benchmark_group("rasterize");
    g.throughput(Throughput::Elements((n * n) as u64));
    g.sample_size(20);
    g.bench_function("100 polygons, pixel centre", |b| {
        b.iter(|| rasterize_ids(&layer, &spec, &RasterizeOptions::default()))
    });
    g.bench_function("100 polygons, all touched", |b| {
        b.iter(|| rasterize_ids(&layer, &spec, &RasterizeOptions { all_touched: true }))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
