//! Barrier Mapper (障碍点识别; Linkage Mapper `s6_barriers.py`, McRae et al. 2012 PLoS ONE
//! 7:e52604; METHODS §3.5, ANCHORS §3.3).
//!
//! For each kept link (cores A, B) and each radius `R` (map units, from `min_radius` to
//! `max_radius` by `radius_step`):
//! * `m_A` = minimum of CWD_A over the annulus around the cell (cell centres at distance
//!   `d` with `R_c − 1 < d ≤ R_c`, `R_c = R / cell size`), `m_B` likewise;
//! * improvement score `IS = (LCD − m_A − m_B − 2R) / (2R)`: the drop in least-cost distance per
//!   unit of restored distance if the disc of radius R were restored to resistance 1;
//! * "centres": IS at the window centre; "circles": positive IS spread over the disc of radius
//!   R (focal maximum); optional % improvement `100·IS/LCD`.
//!
//! Results are combined over links and radii by maximum. Negative scores become 0.

use super::{core_cell_map, CorridorError, Corridors, CwdCache};
use crate::cost_distance::{BadCostPolicy, CostSurface, DISTANCE_NODATA};
use ecoplan_grid::{Cell, Grid, Progress};
use rayon::prelude::*;

/// `IS = (LCD − m_A − m_B − 2R) / (2R)`.
///
/// ```
/// // METHODS §3.5 test: LCD 1000, m_A 300, m_B 400, R 50 → IS = 2.0 (0.2 % of LCD).
/// assert_eq!(ecoplan_pattern::corridors::improvement_score(1000.0, 300.0, 400.0, 50.0), 2.0);
/// ```
pub fn improvement_score(lcd: f64, m_a: f64, m_b: f64, radius: f64) -> f64 {
    (lcd - m_a - m_b - 2.0 * radius) / (2.0 * radius)
}

/// Parameters of [`barrier_mapper`] (map units).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BarrierParams {
    pub min_radius: f64,
    pub max_radius: f64,
    pub radius_step: f64,
    /// Set scores inside cores to 0 (restoring inside a core is not a barrier removal).
    /// Default false (Linkage Mapper keeps them unless asked).
    pub null_cores: bool,
    pub bad_cost: BadCostPolicy,
    /// Memory for cached CWD grids (bytes), default 1 GiB.
    pub cache_bytes: usize,
}

impl BarrierParams {
    /// Radii from one to five cells, one cell apart, for a grid with `cell_size`.
    pub fn cells(cell_size: f64) -> Self {
        BarrierParams {
            min_radius: cell_size,
            max_radius: 5.0 * cell_size,
            radius_step: cell_size,
            null_cores: false,
            bad_cost: BadCostPolicy::Error,
            cache_bytes: 1 << 30,
        }
    }

    pub fn radii(&self) -> Vec<f64> {
        let mut r = Vec::new();
        let mut x = self.min_radius;
        while x <= self.max_radius * (1.0 + 1e-12) && r.len() < 10_000 {
            r.push(x);
            if self.radius_step <= 0.0 {
                break;
            }
            x += self.radius_step;
        }
        r
    }

    pub fn validate(&self, cell_size: f64) -> Result<(), CorridorError> {
        let mut p = Vec::new();
        if !(self.min_radius >= cell_size * (1.0 - 1e-9)) {
            p.push(format!(
                "min_radius {} must be ≥ the cell size {cell_size}",
                self.min_radius
            ));
        }
        if !(self.max_radius >= self.min_radius && self.max_radius.is_finite()) {
            p.push(format!(
                "max_radius {} must be ≥ min_radius {}",
                self.max_radius, self.min_radius
            ));
        }
        if !(self.radius_step > 0.0) && self.max_radius > self.min_radius {
            p.push(format!("radius_step {} must be > 0", self.radius_step));
        }
        if self.max_radius / cell_size > 500.0 {
            p.push(format!(
                "max_radius {} is {} cells: more than 500 cells is not supported",
                self.max_radius,
                self.max_radius / cell_size
            ));
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(CorridorError::Params(p))
        }
    }
}

/// Outputs of [`barrier_mapper`]: maxima over links and radii.
#[derive(Debug, Clone, PartialEq)]
pub struct BarrierOutput {
    /// Improvement score spread over the restoration disc ("BarrierCircles", max), ≥ 0.
    pub circles: Grid<f32>,
    /// Improvement score at the window centre ("BarrierCenters", max), ≥ 0.
    pub centers: Grid<f32>,
    /// `100·IS/LCD` spread over the disc (max).
    pub percent_circles: Grid<f32>,
    /// Radius (map units) that gave the maximum centre score; 0 where no improvement.
    pub best_radius: Grid<f32>,
    /// Per radius: the largest circle score anywhere, for the report.
    pub max_score_by_radius: Vec<(f64, f64)>,
}

fn offsets(inner: f64, outer: f64) -> Vec<(isize, isize)> {
    let r = outer.ceil() as isize;
    let mut v = Vec::new();
    for dr in -r..=r {
        for dc in -r..=r {
            let d = ((dr * dr + dc * dc) as f64).sqrt();
            if d > inner + 1e-9 && d <= outer + 1e-9 {
                v.push((dr, dc));
            }
        }
    }
    v
}

/// Barrier Mapper over the kept links of `corridors` (computed on the same grids).
pub fn barrier_mapper<T: Cell, C: Cell>(
    resistance: &Grid<T>,
    cores: &Grid<C>,
    corridors: &Corridors,
    params: &BarrierParams,
    progress: &dyn Progress,
) -> Result<BarrierOutput, CorridorError> {
    let spec = resistance.spec();
    spec.check_aligned(&cores.spec())
        .map_err(|e| CorridorError::NotAligned(e.to_string()))?;
    let cell = spec.transform.cell_width();
    params.validate(cell)?;
    let (w, h) = (spec.width, spec.height);
    let surface = CostSurface::new(resistance, params.bad_cost)?;
    let core_cells = core_cell_map(cores)?;
    let mut cache = CwdCache::new(&surface, &core_cells, None, params.cache_bytes);
    let valid: Vec<bool> = (0..w * h).map(|i| surface.passable(i)).collect();
    let mut centers = vec![0f32; w * h];
    let mut circles = vec![0f32; w * h];
    let mut pct = vec![0f32; w * h];
    let mut best_r = vec![0f32; w * h];
    let radii = params.radii();
    let mut max_by_radius: Vec<(f64, f64)> = radii.iter().map(|&r| (r, 0.0)).collect();
    let links: Vec<_> = corridors.kept_links().collect();
    progress.begin("障碍点 barriers", (links.len() * radii.len()) as u64);
    let mut done = 0u64;
    let mut is_grid = vec![f32::NAN; w * h];
    for link in links {
        cache.ensure(link.core_a)?;
        cache.ensure(link.core_b)?;
        let (da, db) = (cache.dist(link.core_a), cache.dist(link.core_b));
        let lcd = link.cwd;
        // Cells that can lower the path: CWD below the LCD.
        let bbox = |d: &[f32]| {
            let mut b = (usize::MAX, usize::MAX, 0usize, 0usize);
            for (i, &x) in d.iter().enumerate() {
                if x.is_finite() && (x as f64) < lcd {
                    let (r, c) = (i / w, i % w);
                    b = (b.0.min(r), b.1.min(c), b.2.max(r), b.3.max(c));
                }
            }
            b
        };
        let (ba, bb) = (bbox(da), bbox(db));
        if ba.0 == usize::MAX || bb.0 == usize::MAX {
            continue;
        }
        for (ri, &radius) in radii.iter().enumerate() {
            let rc = radius / cell;
            let ann = offsets(rc - 1.0, rc);
            let disc = offsets(-1.0, rc);
            let pad = rc.ceil() as usize;
            let r0 = ba.0.max(bb.0).saturating_sub(pad);
            let c0 = ba.1.max(bb.1).saturating_sub(pad);
            let r1 = (ba.2.min(bb.2) + pad).min(h - 1);
            let c1 = (ba.3.min(bb.3) + pad).min(w - 1);
            if r0 > r1 || c0 > c1 {
                done += 1;
                continue;
            }
            let focal_min = |d: &[f32], r: usize, c: usize| -> f32 {
                let mut m = f32::INFINITY;
                for &(dr, dc) in &ann {
                    let (r2, c2) = (r as isize + dr, c as isize + dc);
                    if r2 < 0 || c2 < 0 || r2 >= h as isize || c2 >= w as isize {
                        continue;
                    }
                    let x = d[r2 as usize * w + c2 as usize];
                    if x.is_finite() && x < m {
                        m = x;
                    }
                }
                m
            };
            // Scores at window centres inside the box.
            is_grid[r0 * w..(r1 + 1) * w]
                .par_chunks_mut(w)
                .enumerate()
                .for_each(|(k, row)| {
                    let r = r0 + k;
                    for c in c0..=c1 {
                        let (ma, mb) = (focal_min(da, r, c), focal_min(db, r, c));
                        row[c] = if ma.is_finite() && mb.is_finite() {
                            improvement_score(lcd, ma as f64, mb as f64, radius) as f32
                        } else {
                            f32::NAN
                        };
                    }
                });
            for r in r0..=r1 {
                for c in c0..=c1 {
                    let i = r * w + c;
                    let s = is_grid[i];
                    is_grid[i] = f32::NAN;
                    if !(s > 0.0) {
                        continue;
                    }
                    if s > centers[i] {
                        centers[i] = s;
                        best_r[i] = radius as f32;
                    }
                    let p = (100.0 * s as f64 / lcd) as f32;
                    for &(dr, dc) in &disc {
                        let (r2, c2) = (r as isize + dr, c as isize + dc);
                        if r2 < 0 || c2 < 0 || r2 >= h as isize || c2 >= w as isize {
                            continue;
                        }
                        let j = r2 as usize * w + c2 as usize;
                        if s > circles[j] {
                            circles[j] = s;
                        }
                        if p > pct[j] {
                            pct[j] = p;
                        }
                    }
                    if s as f64 > max_by_radius[ri].1 {
                        max_by_radius[ri].1 = s as f64;
                    }
                }
            }
            done += 1;
            progress.advance(done);
            if progress.cancelled() {
                return Err(crate::cost_distance::CostDistanceError::Cancelled.into());
            }
        }
    }
    progress.finish();
    let is_core = |i: usize| {
        let v = cores.data[i];
        !cores.is_nodata(v) && v.to_f64() > 0.0
    };
    let finish = |mut v: Vec<f32>| {
        for (i, x) in v.iter_mut().enumerate() {
            if !valid[i] {
                *x = DISTANCE_NODATA;
            } else if params.null_cores && is_core(i) {
                *x = 0.0;
            }
        }
        Grid::from_vec(&spec, v, Some(DISTANCE_NODATA)).expect("sized")
    };
    Ok(BarrierOutput {
        circles: finish(circles),
        centers: finish(centers),
        percent_circles: finish(pct),
        best_radius: finish(best_r),
        max_score_by_radius: max_by_radius,
    })
}
