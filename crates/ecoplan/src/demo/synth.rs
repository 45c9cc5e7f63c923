//! Deterministic synthesis of the demo's 30 m layers from the real coarse data.
//!
//! Nothing here uses outside randomness: every "random" value is a hash of (seed, position in
//! metres), so the same seed gives the same layers on every machine and any grid origin.
//! These are demo fixtures, not methods: a real plan brings measured 30 m data.

use ecoplan_grid::{Grid, GridSpec};
use rayon::prelude::*;

// ---------------------------------------------------------------- noise

#[inline]
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform value in [-1, 1] at lattice point (i, j) of noise channel `seed`.
#[inline]
fn lattice(seed: u64, i: i64, j: i64) -> f32 {
    let h = splitmix(seed ^ splitmix((i as u64).wrapping_mul(0x632B_E59B_D9B4_E019) ^ (j as u64)));
    ((h >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

/// Smoothly interpolated value noise in [-1, 1] at map position (x, y) with the given wavelength.
pub fn value_noise(seed: u64, x: f64, y: f64, wavelength: f64) -> f32 {
    let (u, v) = (x / wavelength, y / wavelength);
    let (i, j) = (u.floor(), v.floor());
    let (fx, fy) = ((u - i) as f32, (v - j) as f32);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (i, j) = (i as i64, j as i64);
    let a = lattice(seed, i, j);
    let b = lattice(seed, i + 1, j);
    let c = lattice(seed, i, j + 1);
    let d = lattice(seed, i + 1, j + 1);
    let top = a + (b - a) * sx;
    let bottom = c + (d - c) * sx;
    top + (bottom - top) * sy
}

/// Fractal (multi-octave) noise: octave k has wavelength `base / 2^k` and amplitude `gain^k`;
/// the sum is normalised so its amplitude is about 1.
pub fn fractal_noise(
    seed: u64,
    x: f64,
    y: f64,
    base_wavelength: f64,
    octaves: u32,
    gain: f32,
) -> f32 {
    let (mut sum, mut norm, mut amp, mut wl) = (0.0f32, 0.0f32, 1.0f32, base_wavelength);
    for k in 0..octaves {
        sum += amp * value_noise(seed.wrapping_add(k as u64 * 7919), x, y, wl);
        norm += amp;
        amp *= gain;
        wl *= 0.5;
    }
    sum / norm
}

/// A noise field over a grid (cell centres).
pub fn noise_grid(
    spec: &GridSpec,
    seed: u64,
    base_wavelength: f64,
    octaves: u32,
    gain: f32,
) -> Grid<f32> {
    let t = spec.transform;
    let w = spec.width;
    let mut data = vec![0f32; spec.len()];
    data.par_chunks_mut(w).enumerate().for_each(|(r, row)| {
        for (c, v) in row.iter_mut().enumerate() {
            let (x, y) = t.cell_center(c, r);
            *v = fractal_noise(seed, x, y, base_wavelength, octaves, gain);
        }
    });
    Grid::from_vec(spec, data, None).expect("sized from spec")
}

// ---------------------------------------------------------------- DEM refinement

/// Sum and count of the valid fine cells of each coarse cell (`membership` holds the coarse
/// cell id of each fine cell, `u32::MAX` for none).
pub fn block_sums(fine: &[f32], membership: &[u32], n_coarse: usize) -> Vec<(f64, u32)> {
    let mut acc = vec![(0.0f64, 0u32); n_coarse];
    for (&v, &m) in fine.iter().zip(membership) {
        if m != u32::MAX && v.is_finite() {
            let a = &mut acc[m as usize];
            a.0 += v as f64;
            a.1 += 1;
        }
    }
    acc
}

/// Smooth correction passes of [`refine_mean_preserving`].
pub const CORRECTION_PASSES: usize = 10;

/// Refines a coarse DEM onto a fine grid so that, over each coarse cell, the mean of the fine
/// cells equals the real coarse value (up to f32 rounding).
///
/// * `smooth` — the coarse DEM interpolated (bilinearly) onto the fine grid;
/// * `membership` — for each fine cell, the id of the coarse cell holding its centre;
/// * `coarse` — the real coarse values by id (NaN = nodata);
/// * `upsample` — interpolates a coarse field (by id) onto the fine grid, used to spread the
///   block-mean corrections smoothly before the final exact per-block shift;
/// * `detail` — zero-centred fine detail (fractal noise × local relief) added on top.
pub fn refine_mean_preserving(
    smooth: &Grid<f32>,
    membership: &[u32],
    coarse: &[f32],
    upsample: &dyn Fn(&[f32]) -> Grid<f32>,
    detail: &[f32],
) -> Grid<f32> {
    let n = coarse.len();
    let mut fine = smooth.clone();
    for (f, &d) in fine.data.iter_mut().zip(detail) {
        *f += d;
    }
    // Smooth corrections: each pass spreads the remaining block-mean errors (from interpolation
    // and from the detail) as a smooth field, so the final exact shift below leaves no visible
    // steps at coarse-cell edges.
    for _ in 0..CORRECTION_PASSES {
        let sums = block_sums(&fine.data, membership, n);
        let residual: Vec<f32> = coarse
            .iter()
            .zip(&sums)
            .map(|(&z, &(s, k))| {
                if k > 0 && z.is_finite() {
                    z - (s / k as f64) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let up = upsample(&residual);
        fine.data.par_iter_mut().zip(&up.data).for_each(|(f, &u)| {
            if f.is_finite() && u.is_finite() {
                *f += u;
            }
        });
    }
    // Exact: shift each block by its remaining error.
    let sums = block_sums(&fine.data, membership, n);
    let shift: Vec<f64> = coarse
        .iter()
        .zip(&sums)
        .map(|(&z, &(s, k))| {
            if k > 0 && z.is_finite() {
                z as f64 - s / k as f64
            } else {
                0.0
            }
        })
        .collect();
    for (f, &m) in fine.data.iter_mut().zip(membership) {
        if m == u32::MAX || !coarse[m as usize].is_finite() {
            *f = f32::NAN;
        } else {
            *f = (*f as f64 + shift[m as usize]) as f32;
        }
    }
    fine.nodata = Some(f32::NAN);
    fine
}

// ---------------------------------------------------------------- terrain

/// Approximate Euclidean distance (metres) from every cell to the nearest cell where
/// `target[i]` is true (8-neighbour two-pass chamfer; within ~8% of the true distance).
pub fn distance_to(spec: &GridSpec, target: &[bool]) -> Grid<f32> {
    let (w, h) = (spec.width, spec.height);
    let a = spec.transform.cell_width() as f32;
    let b = a * std::f32::consts::SQRT_2;
    let mut d: Vec<f32> = target
        .iter()
        .map(|&t| if t { 0.0 } else { f32::INFINITY })
        .collect();
    for r in 0..h {
        for c in 0..w {
            let i = r * w + c;
            let mut v = d[i];
            if c > 0 {
                v = v.min(d[i - 1] + a);
            }
            if r > 0 {
                v = v.min(d[i - w] + a);
                if c > 0 {
                    v = v.min(d[i - w - 1] + b);
                }
                if c + 1 < w {
                    v = v.min(d[i - w + 1] + b);
                }
            }
            d[i] = v;
        }
    }
    for r in (0..h).rev() {
        for c in (0..w).rev() {
            let i = r * w + c;
            let mut v = d[i];
            if c + 1 < w {
                v = v.min(d[i + 1] + a);
            }
            if r + 1 < h {
                v = v.min(d[i + w] + a);
                if c + 1 < w {
                    v = v.min(d[i + w + 1] + b);
                }
                if c > 0 {
                    v = v.min(d[i + w - 1] + b);
                }
            }
            d[i] = v;
        }
    }
    Grid::from_vec(spec, d, None).expect("sized")
}

// ---------------------------------------------------------------- land use

/// Common class codes (presets/landuse/common_classes.csv).
pub mod class {
    pub const CROPLAND: u8 = 1;
    pub const ORCHARD: u8 = 2;
    pub const FOREST: u8 = 3;
    pub const SHRUB: u8 = 4;
    pub const GRASSLAND: u8 = 5;
    pub const WETLAND: u8 = 6;
    pub const WATER: u8 = 7;
    pub const BUILT_UP: u8 = 8;
    pub const MINING: u8 = 9;
    pub const BARREN: u8 = 10;
}

/// Everything the land-use refinement looks at, all on the fine grid.
pub struct LanduseInputs<'a> {
    /// Real coarse class, already mapped to common classes (0 = nodata).
    pub coarse_class: &'a Grid<u8>,
    /// True where the real MODIS class is urban (13).
    pub coarse_urban: &'a [bool],
    pub dem: &'a Grid<f32>,
    pub slope: &'a Grid<f32>,
    pub aspect: &'a Grid<f32>,
    /// Contributing area, km².
    pub flow_km2: &'a Grid<f32>,
    pub seed: u64,
}

/// Mean of `values` over a `(2r+1)²` window around each cell (summed-area table; the window is
/// clipped at the edges).
pub fn box_mean(spec: &GridSpec, values: &[f32], r: usize) -> Vec<f32> {
    let (w, h) = (spec.width, spec.height);
    let mut sat = vec![0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0f64;
        for x in 0..w {
            row += values[y * w + x] as f64;
            sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
        }
    }
    (0..w * h)
        .into_par_iter()
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let (x0, y0, x1, y1) = (
                x.saturating_sub(r),
                y.saturating_sub(r),
                (x + r + 1).min(w),
                (y + r + 1).min(h),
            );
            let s = sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0]
                + sat[y0 * (w + 1) + x0];
            (s / ((x1 - x0) * (y1 - y0)) as f64) as f32
        })
        .collect()
}

/// Refines the real coarse classes to 30 m with terrain and drainage rules (see README):
/// water on the main drainage lines, wetland beside them on flats, built-up land where the real
/// urban cells are densest (smoothed, with organic edges), villages on flat farmland, mining
/// patches on the mid slopes between mountains and city (the 口泉 graben belt), forest on
/// north-facing mountain slopes, shrub on other steep slopes, barren on cliffs, farmland on flat
/// land and grassland on steep former farmland.
pub fn refine_landuse(inp: &LanduseInputs) -> Grid<u8> {
    use class::*;
    let spec = inp.dem.spec();
    let (w, h) = (spec.width, spec.height);
    let urban: Vec<f32> = inp
        .coarse_urban
        .iter()
        .map(|&u| f32::from(u8::from(u)))
        .collect();
    let cells_per_km = (1000.0 / spec.transform.cell_width()).round().max(1.0) as usize;
    // Two box passes ≈ a Gaussian of ~1.5 km: urban intensity falls off smoothly from the real cells.
    let intensity = box_mean(
        &spec,
        &box_mean(&spec, &urban, cells_per_km * 3 / 2),
        cells_per_km * 3 / 2,
    );
    let dist_urban = distance_to(&spec, inp.coarse_urban);
    let n_patch = noise_grid(&spec, inp.seed ^ 0x11, 400.0, 3, 0.5);
    let n_fine = noise_grid(&spec, inp.seed ^ 0x12, 150.0, 2, 0.5);
    let n_village = noise_grid(&spec, inp.seed ^ 0x13, 240.0, 2, 0.4);
    let n_mine = noise_grid(&spec, inp.seed ^ 0x14, 320.0, 3, 0.45);
    let n_urban = noise_grid(&spec, inp.seed ^ 0x15, 900.0, 4, 0.6);
    let mut out = vec![0u8; w * h];
    out.par_iter_mut().enumerate().for_each(|(i, o)| {
        let base = inp.coarse_class.data[i];
        let z = inp.dem.data[i];
        if base == 0 || !z.is_finite() {
            return;
        }
        let s = if inp.slope.data[i].is_finite() {
            inp.slope.data[i]
        } else {
            0.0
        };
        let north = if inp.aspect.data[i].is_finite() {
            inp.aspect.data[i].to_radians().cos()
        } else {
            0.0
        }; // 1 = faces north
        let acc = if inp.flow_km2.data[i].is_finite() {
            inp.flow_km2.data[i]
        } else {
            0.0
        };
        let (np, nf, nv, nm) = (
            n_patch.data[i],
            n_fine.data[i],
            n_village.data[i],
            n_mine.data[i],
        );
        let du = dist_urban.data[i];
        let urban_score = intensity[i] + 0.35 * n_urban.data[i] + 0.1 * nf;
        *o = if acc >= 150.0 {
            WATER
        } else if acc >= 25.0 && s < 3.0 && nf > -0.2 {
            WETLAND
        } else if urban_score > 0.55 && s < 10.0 {
            if nf < -0.6 {
                GRASSLAND
            } else {
                BUILT_UP
            } // parks and green strips inside the city
        } else if du < 12_000.0
            && (1100.0..1450.0).contains(&z)
            && (3.0..25.0).contains(&s)
            && nm > 0.45
        {
            MINING
        } else if s > 30.0 {
            BARREN
        } else if base == FOREST || (z > 1250.0 && s > 8.0 && north > 0.3 && np > -0.3) {
            FOREST
        } else if z > 1150.0 && s > 8.0 && np > 0.1 {
            SHRUB
        } else if s < 5.0 && z < 1300.0 && nv > 0.8 && base != BARREN {
            BUILT_UP // villages on flat land
        } else if base == BARREN {
            BARREN
        } else if (base == GRASSLAND && s < 6.0 && z < 1250.0)
            || (base == CROPLAND && s <= 15.0)
            || (base == BUILT_UP && s <= 15.0)
        {
            if nf > 0.8 {
                ORCHARD
            } else {
                CROPLAND
            }
        } else if matches!(base, CROPLAND | GRASSLAND | BUILT_UP) {
            GRASSLAND
        } else {
            base
        };
    });
    Grid::from_vec(&spec, out, Some(0)).expect("sized")
}

// ---------------------------------------------------------------- NDVI, climate, soil

/// Growing-season NDVI by class, raised on north-facing slopes and along drainage.
pub fn synth_ndvi(
    landuse: &Grid<u8>,
    aspect: &Grid<f32>,
    flow_km2: &Grid<f32>,
    seed: u64,
) -> Grid<f32> {
    use class::*;
    let spec = landuse.spec();
    let noise = noise_grid(&spec, seed ^ 0x21, 200.0, 3, 0.5);
    landuse_map(landuse, |i, c| {
        let base = match c {
            CROPLAND => 0.55,
            ORCHARD => 0.50,
            FOREST => 0.72,
            SHRUB => 0.52,
            GRASSLAND => 0.38,
            WETLAND => 0.45,
            WATER => 0.02,
            BUILT_UP => 0.15,
            MINING => 0.08,
            BARREN => 0.10,
            _ => 0.0,
        };
        let vegetated = !matches!(c, WATER | BUILT_UP | MINING | BARREN);
        let mut v: f32 = base;
        if vegetated {
            let north = if aspect.data[i].is_finite() {
                aspect.data[i].to_radians().cos()
            } else {
                0.0
            };
            v += 0.06 * north
                + 0.04 * (flow_km2.data[i].max(1e-3).log10() + 2.0).clamp(0.0, 3.0) / 3.0;
        }
        (v + 0.05 * noise.data[i]).clamp(-0.2, 0.95)
    })
}

fn landuse_map(landuse: &Grid<u8>, f: impl Fn(usize, u8) -> f32 + Sync) -> Grid<f32> {
    let data: Vec<f32> = (0..landuse.data.len())
        .into_par_iter()
        .map(|i| match landuse.data[i] {
            0 => f32::NAN,
            c => f(i, c),
        })
        .collect();
    Grid::from_vec(&landuse.spec(), data, Some(f32::NAN)).expect("sized")
}

/// Mean annual precipitation (mm): the plan's published regional mean, an elevation lapse and a
/// small offset by the real Köppen–Geiger class (2 arid B drier, 4 cold D wetter), re-centred so
/// the mean over `inside` equals `mean_mm`.
pub fn synth_precipitation(
    dem: &Grid<f32>,
    kg: &Grid<u8>,
    inside: &[bool],
    mean_mm: f32,
    lapse_mm_per_m: f32,
) -> Grid<f32> {
    let (sum_z, n) = dem
        .data
        .iter()
        .zip(inside)
        .filter(|(z, &m)| m && z.is_finite())
        .fold((0.0f64, 0u64), |(s, n), (z, _)| (s + *z as f64, n + 1));
    let z_mean = if n > 0 {
        (sum_z / n as f64) as f32
    } else {
        0.0
    };
    let mut p: Vec<f32> = dem
        .data
        .iter()
        .zip(&kg.data)
        .map(|(&z, &k)| {
            if !z.is_finite() {
                return f32::NAN;
            }
            let offset = match k {
                2 => -8.0,
                4 => 8.0,
                _ => 0.0,
            };
            mean_mm + lapse_mm_per_m * (z - z_mean) + offset
        })
        .collect();
    let (s, k) = p
        .iter()
        .zip(inside)
        .filter(|(v, &m)| m && v.is_finite())
        .fold((0.0f64, 0u64), |(s, k), (v, _)| (s + *v as f64, k + 1));
    if k > 0 {
        let shift = mean_mm - (s / k as f64) as f32;
        p.iter_mut().for_each(|v| *v += shift);
    }
    Grid::from_vec(&dem.spec(), p, Some(f32::NAN)).expect("sized")
}

/// Reference evapotranspiration ET0 (mm/a): pan evaporation × pan coefficient at the mean
/// elevation, lower uphill and on north-facing slopes.
pub fn synth_et0(
    dem: &Grid<f32>,
    aspect: &Grid<f32>,
    inside: &[bool],
    pan_mm: f32,
    pan_coefficient: f32,
) -> Grid<f32> {
    let (s, n) = dem
        .data
        .iter()
        .zip(inside)
        .filter(|(z, &m)| m && z.is_finite())
        .fold((0.0f64, 0u64), |(s, n), (z, _)| (s + *z as f64, n + 1));
    let z_mean = if n > 0 { (s / n as f64) as f32 } else { 0.0 };
    let base = pan_mm * pan_coefficient;
    let data = dem
        .data
        .iter()
        .zip(&aspect.data)
        .map(|(&z, &a)| {
            if !z.is_finite() {
                return f32::NAN;
            }
            let north = if a.is_finite() {
                a.to_radians().cos()
            } else {
                0.0
            };
            (base - 0.3 * (z - z_mean)) * (1.0 - 0.03 * north)
        })
        .collect();
    Grid::from_vec(&dem.spec(), data, Some(f32::NAN)).expect("sized")
}

/// Soil erodibility K (SI, t·ha·h/(ha·MJ·mm)) by the plan's soil zones: 褐土 on the low plain,
/// 淡栗钙土 in the mountains, 复配土 (mine-disturbed) on mining land, ±8% spatial variation.
pub fn synth_soil_k(dem: &Grid<f32>, landuse: &Grid<u8>, seed: u64) -> Grid<f32> {
    let spec = dem.spec();
    let noise = noise_grid(&spec, seed ^ 0x31, 500.0, 3, 0.5);
    let data = (0..dem.data.len())
        .into_par_iter()
        .map(|i| {
            let z = dem.data[i];
            if !z.is_finite() || landuse.data[i] == 0 {
                return f32::NAN;
            }
            let k = if landuse.data[i] == class::MINING {
                0.0380 // 复配土: coal gangue mixed into the soil
            } else if landuse.data[i] == class::WATER {
                0.0
            } else if z < 1080.0 {
                0.0290 // 褐土
            } else if z > 1200.0 {
                0.0330 // 淡栗钙土
            } else {
                0.0290 + (z - 1080.0) / 120.0 * 0.0040
            };
            k * (1.0 + 0.08 * noise.data[i])
        })
        .collect();
    Grid::from_vec(&spec, data, Some(f32::NAN)).expect("sized")
}

/// Share of annual precipitation by month (Jan…Dec) for the demo: the 云冈区 plan states that
/// July–September bring 75% of the year's rain; the split inside and outside that season is an
/// assumption of the demo.
pub const MONTHLY_SHARE: [f32; 12] = [
    0.005, 0.010, 0.020, 0.040, 0.060, 0.070, 0.280, 0.300, 0.170, 0.030, 0.010, 0.005,
];

/// Rainfall erosivity R (MJ·mm·ha⁻¹·h⁻¹·a⁻¹) from annual precipitation split by month, with the
/// monthly Wischmeier (Fournier-type) fallback of METHODS.md §1.4:
/// R = 17.02 · Σ 1.735·10^(1.5·lg(Pᵢ²/P) − 0.8188).
pub fn erosivity_from_annual(p_mm: f32, shares: &[f32; 12]) -> f32 {
    if p_mm.is_nan() || p_mm < 0.0 {
        return f32::NAN;
    }
    if p_mm == 0.0 {
        return 0.0;
    }
    let p = p_mm as f64;
    let r_us: f64 = shares
        .iter()
        .map(|&s| s as f64 * p)
        .filter(|&pi| pi > 0.0)
        .map(|pi| 1.735 * 10f64.powf(1.5 * (pi * pi / p).log10() - 0.8188))
        .sum();
    (r_us * 17.02) as f32
}

/// Soil depth (mm) to a root-restricting layer: deep loess soils on the plain, thin soils on
/// steep and high ground, disturbed shallow soils on mining land; seeded variation.
pub fn synth_soil_depth(
    dem: &Grid<f32>,
    slope: &Grid<f32>,
    landuse: &Grid<u8>,
    seed: u64,
) -> Grid<f32> {
    let spec = dem.spec();
    let noise = noise_grid(&spec, seed ^ 0x41, 600.0, 3, 0.5);
    let data = (0..dem.data.len())
        .into_par_iter()
        .map(|i| {
            let (z, lu) = (dem.data[i], landuse.data[i]);
            if !z.is_finite() || lu == 0 {
                return f32::NAN;
            }
            let s = if slope.data[i].is_finite() {
                slope.data[i]
            } else {
                0.0
            };
            let base = match lu {
                class::WATER => return 0.0,
                class::BUILT_UP => 600.0,
                class::MINING => 300.0,
                class::BARREN => 250.0,
                _ => 1500.0 - 40.0 * s.min(25.0) - 0.8 * (z - 1000.0).clamp(0.0, 600.0),
            };
            (base * (1.0 + 0.15 * noise.data[i])).max(100.0)
        })
        .collect();
    Grid::from_vec(&spec, data, Some(f32::NAN)).expect("sized")
}

/// Plant-available water content (fraction 0–1) by the plan's soil zones: 褐土 (loam) on the low
/// plain, 淡栗钙土 in the mountains, coarse mine spoil on mining land; seeded variation.
pub fn synth_pawc(dem: &Grid<f32>, landuse: &Grid<u8>, seed: u64) -> Grid<f32> {
    let spec = dem.spec();
    let noise = noise_grid(&spec, seed ^ 0x42, 500.0, 3, 0.5);
    let data = (0..dem.data.len())
        .into_par_iter()
        .map(|i| {
            let (z, lu) = (dem.data[i], landuse.data[i]);
            if !z.is_finite() || lu == 0 {
                return f32::NAN;
            }
            let base = match lu {
                class::WATER => return 0.0,
                class::MINING => 0.06,
                class::BARREN => 0.05,
                _ if z < 1080.0 => 0.16,
                _ if z > 1200.0 => 0.11,
                _ => 0.16 - (z - 1080.0) / 120.0 * 0.05,
            };
            (base * (1.0 + 0.1 * noise.data[i])).clamp(0.0, 1.0)
        })
        .collect();
    Grid::from_vec(&spec, data, Some(f32::NAN)).expect("sized")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::GeoTransform;

    #[test]
    fn noise_is_deterministic_bounded_and_seed_dependent() {
        let a = fractal_noise(7, 500_123.0, 4_400_456.0, 400.0, 4, 0.5);
        assert_eq!(a, fractal_noise(7, 500_123.0, 4_400_456.0, 400.0, 4, 0.5));
        assert_ne!(a, fractal_noise(8, 500_123.0, 4_400_456.0, 400.0, 4, 0.5));
        let mut sum = 0.0f64;
        for k in 0..10_000 {
            let v = value_noise(3, k as f64 * 37.0, k as f64 * 11.0, 100.0);
            assert!((-1.0..=1.0).contains(&v));
            sum += v as f64;
        }
        assert!((sum / 10_000.0).abs() < 0.1, "mean {}", sum / 10_000.0);
    }

    /// A 4×3 coarse grid refined 5× must keep each coarse cell's mean exactly.
    #[test]
    fn refinement_keeps_block_means() {
        let (cw, ch, f) = (4usize, 3usize, 5usize);
        let coarse: Vec<f32> = vec![
            1000.0,
            1010.0,
            1050.0,
            1200.0,
            990.0,
            1000.0,
            1100.0,
            1300.0,
            980.0,
            f32::NAN,
            1150.0,
            1250.0,
        ];
        let spec = GridSpec::new(cw * f, ch * f, GeoTransform::north_up(0.0, 0.0, 30.0), None);
        let membership: Vec<u32> = (0..spec.len())
            .map(|i| ((i / (cw * f)) / f * cw + (i % (cw * f)) / f) as u32)
            .collect();
        // Upsampling by nearest block is enough to test the exactness of the final shift.
        let up = |vals: &[f32]| {
            Grid::from_vec(
                &spec,
                membership.iter().map(|&m| vals[m as usize]).collect(),
                None,
            )
            .unwrap()
        };
        let smooth = up(&coarse
            .iter()
            .map(|v| if v.is_finite() { *v + 3.0 } else { *v })
            .collect::<Vec<_>>());
        let detail: Vec<f32> = noise_grid(&spec, 1, 90.0, 3, 0.5)
            .data
            .iter()
            .map(|v| v * 25.0)
            .collect();
        let fine = refine_mean_preserving(&smooth, &membership, &coarse, &up, &detail);
        let sums = block_sums(&fine.data, &membership, coarse.len());
        for (k, (&z, &(s, n))) in coarse.iter().zip(&sums).enumerate() {
            if z.is_finite() {
                assert_eq!(n as usize, f * f);
                assert!(
                    ((s / n as f64) - z as f64).abs() < 1e-3,
                    "block {k}: {} vs {z}",
                    s / n as f64
                );
            } else {
                assert_eq!(n, 0, "nodata block stays nodata");
            }
        }
        // The detail is really there: cells of a block differ.
        let b0: Vec<f32> = (0..f).map(|c| fine.data[c]).collect();
        assert!(b0.iter().any(|&v| (v - b0[0]).abs() > 0.5), "{b0:?}");
    }

    #[test]
    fn erosivity_follows_the_methods_formula() {
        assert_eq!(MONTHLY_SHARE.iter().sum::<f32>(), 1.0);
        let jul_sep: f32 = MONTHLY_SHARE[6..9].iter().sum();
        assert!(
            (jul_sep - 0.75).abs() < 1e-6,
            "the plan: 75% in July–September"
        );
        // Hand computation: one month holding all 400 mm → 17.02·1.735·10^(1.5·lg 400 − 0.8188).
        let mut one = [0.0f32; 12];
        one[7] = 1.0;
        let want = 17.02 * 1.735 * 10f64.powf(1.5 * 400f64.log10() - 0.8188);
        assert!((erosivity_from_annual(400.0, &one) as f64 - want).abs() / want < 1e-5);
        let r = erosivity_from_annual(396.4, &MONTHLY_SHARE);
        assert!((1000.0..3000.0).contains(&r), "{r}");
        assert!(erosivity_from_annual(450.0, &MONTHLY_SHARE) > r);
    }

    #[test]
    fn chamfer_distance_is_close_to_euclidean() {
        let spec = GridSpec::new(50, 50, GeoTransform::north_up(0.0, 1500.0, 30.0), None);
        let mut t = vec![false; 2500];
        t[25 * 50 + 25] = true;
        let d = distance_to(&spec, &t);
        assert_eq!(d.get(25, 25), 0.0);
        assert!((d.get(35, 25) - 300.0).abs() < 1e-3);
        let e = (30.0f32 * 30.0 * (100.0 + 49.0)).sqrt();
        assert!(
            (d.get(35, 32) - e).abs() / e < 0.09,
            "{} vs {e}",
            d.get(35, 32)
        );
    }
}
