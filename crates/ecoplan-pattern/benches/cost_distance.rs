//! Cost distance on a 2000 × 2000 synthetic landscape (4 M cells, 30 m): value-noise classes
//! with the shared bench's resistance table (1, 5, 10, 20, 30, 50, 100, 500) and sources on the
//! lowest-resistance class. `cargo bench -p ecoplan-pattern --bench cost_distance`.

use criterion::{criterion_group, criterion_main, Criterion};
use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};
use ecoplan_pattern::cost_distance::{cost_distance, CostDistanceParams};

/// Smooth value noise: bilinear interpolation of a coarse random lattice, plus finer octaves.
fn landscape(n: usize) -> (Grid<f32>, Grid<u8>) {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut field = vec![0f32; n * n];
    for (octave, amp) in [(64usize, 1.0f32), (16, 0.5), (4, 0.25)] {
        let m = n / octave + 2;
        let lattice: Vec<f32> = (0..m * m).map(|_| rnd() as f32).collect();
        for r in 0..n {
            let (fy, y0) = ((r % octave) as f32 / octave as f32, r / octave);
            for c in 0..n {
                let (fx, x0) = ((c % octave) as f32 / octave as f32, c / octave);
                let l = |y: usize, x: usize| lattice[y * m + x];
                let top = l(y0, x0) * (1.0 - fx) + l(y0, x0 + 1) * fx;
                let bot = l(y0 + 1, x0) * (1.0 - fx) + l(y0 + 1, x0 + 1) * fx;
                field[r * n + c] += amp * (top * (1.0 - fy) + bot * fy);
            }
        }
    }
    let mut sorted: Vec<f32> = field.iter().step_by(97).copied().collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let fractions = [0.40, 0.18, 0.10, 0.02, 0.20, 0.025, 0.015, 0.06];
    let values = [1.0f32, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 500.0];
    let mut acc = 0.0;
    let breaks: Vec<f32> = fractions[..7]
        .iter()
        .map(|f| {
            acc += f;
            sorted[((acc * sorted.len() as f64) as usize).min(sorted.len() - 1)]
        })
        .collect();
    let spec = GridSpec::new(
        n,
        n,
        GeoTransform::north_up(300_000.0, 2_900_000.0, 30.0),
        None,
    );
    let cost: Vec<f32> = field
        .iter()
        .map(|&v| values[breaks.iter().position(|&b| v < b).unwrap_or(7)])
        .collect();
    // Sources: forest cells in the lowest 20 % of the field.
    let src: Vec<u8> = field
        .iter()
        .map(|&v| (v < sorted[sorted.len() / 5]) as u8)
        .collect();
    (
        Grid::from_vec(&spec, cost, None).unwrap(),
        Grid::from_vec(&spec, src, None).unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let (cost, src) = landscape(2000);
    let mut g = c.benchmark_group("cost_distance");
    g.sample_size(10);
    g.bench_function("2000x2000 distance only", |b| {
        let p = CostDistanceParams {
            backlink: false,
            allocation: false,
            ..Default::default()
        };
        b.iter(|| cost_distance(&cost, &src, &p, &NoProgress).unwrap())
    });
    g.bench_function("2000x2000 distance+backlink+allocation", |b| {
        let p = CostDistanceParams::default();
        b.iter(|| cost_distance(&cost, &src, &p, &NoProgress).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
