//! Moving-window landscape metrics: for every cell, landscape-level metrics of the circular
//! neighbourhood of radius R (cells whose centres lie within R of the cell's centre).
//!
//! The window is treated as a landscape of its own: cells outside it (or nodata) are outside the
//! landscape, exactly as in [`super::landscape_metrics`] run on the window cut out of the raster.
//! Only metrics computable from class counts and cell adjacencies are offered; they are updated
//! incrementally as the window slides, so the cost per cell is proportional to the window height.

use super::{class_indices, max_like_adjacencies, min_perimeter, MetricsError, OUTSIDE};
use ecoplan_grid::{Cell, Grid, Progress};
use serde::{Deserialize, Serialize};

/// Metrics available in moving windows (landscape level).
pub const WINDOW_METRICS: &[&str] = &[
    "pr", "shdi", "sidi", "msidi", "shei", "siei", "msiei", "te", "ed", "lsi", "contag", "pladj",
    "ai",
];

/// Largest supported window radius in cells.
pub const MAX_RADIUS_CELLS: f64 = 2000.0;

/// Moving-window parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowParams {
    /// Window radius in map units (m).
    pub radius_m: f64,
    /// Metric names from [`WINDOW_METRICS`].
    pub metrics: Vec<String>,
}

impl WindowParams {
    /// Reports all problems at once; `cell` is the cell size in map units.
    pub fn validate(&self, cell: f64) -> Result<(), MetricsError> {
        let mut p = Vec::new();
        if !(self.radius_m.is_finite() && self.radius_m >= cell) {
            p.push(format!(
                "window radius must be at least one cell ({cell} m), got {} m",
                self.radius_m
            ));
        } else if self.radius_m / cell > MAX_RADIUS_CELLS {
            p.push(format!(
                "window radius {} m is {:.0} cells; at most {MAX_RADIUS_CELLS} cells are supported",
                self.radius_m,
                self.radius_m / cell
            ));
        }
        if self.metrics.is_empty() {
            p.push("no metric selected".into());
        }
        for m in &self.metrics {
            if !WINDOW_METRICS.contains(&m.as_str()) {
                p.push(format!(
                    "metric '{m}' is not available in moving windows (available: {})",
                    WINDOW_METRICS.join(",")
                ));
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(MetricsError::InvalidParams(p))
        }
    }
}

/// Counts describing the current window.
struct WindowState {
    m: usize,
    counts: Vec<u64>,
    /// Unordered pairs of 4-adjacent window cells by class (i ≤ k stored at [i*m+k]).
    pairs: Vec<u64>,
    cells: u64,
    pair_total: u64,
}

impl WindowState {
    fn new(m: usize) -> Self {
        WindowState {
            m,
            counts: vec![0; m],
            pairs: vec![0; m * m],
            cells: 0,
            pair_total: 0,
        }
    }
    fn clear(&mut self) {
        self.counts.fill(0);
        self.pairs.fill(0);
        self.cells = 0;
        self.pair_total = 0;
    }
    #[inline]
    fn pair_slot(&self, a: u32, b: u32) -> usize {
        let (i, k) = if a <= b { (a, b) } else { (b, a) };
        i as usize * self.m + k as usize
    }
    /// Double-count adjacency g_ik.
    #[inline]
    fn g(&self, i: usize, k: usize) -> u64 {
        let s = self.pairs[self.pair_slot(i as u32, k as u32)];
        if i == k {
            2 * s
        } else {
            s
        }
    }

    fn metric(&self, name: &str, cs: f64) -> f64 {
        let n = self.cells as f64;
        if self.cells == 0 {
            return f64::NAN;
        }
        let m_present = self.counts.iter().filter(|&&c| c > 0).count();
        let mf = m_present as f64;
        let props = || {
            self.counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| c as f64 / n)
        };
        let like: u64 = (0..self.m).map(|i| self.pairs[i * self.m + i]).sum();
        let unlike = self.pair_total - like;
        let boundary = 4 * self.cells - 2 * self.pair_total;
        let cell_ha = cs * cs / 10_000.0;
        let shdi = || -props().map(|p| p * p.ln()).sum::<f64>();
        let sum_p2 = || props().map(|p| p * p).sum::<f64>();
        match name {
            "pr" => mf,
            "shdi" => shdi(),
            "sidi" => 1.0 - sum_p2(),
            "msidi" => -sum_p2().ln(),
            "shei" if m_present >= 2 => shdi() / mf.ln(),
            "siei" if m_present >= 2 => (1.0 - sum_p2()) / (1.0 - 1.0 / mf),
            "msiei" if m_present >= 2 => -sum_p2().ln() / mf.ln(),
            "te" => unlike as f64 * cs,
            "ed" => unlike as f64 * cs / (n * cell_ha),
            "lsi" => (unlike + boundary) as f64 / min_perimeter(self.cells) as f64,
            "pladj" => {
                let all = 2 * self.pair_total + boundary;
                if all == 0 {
                    f64::NAN
                } else {
                    2.0 * like as f64 / all as f64 * 100.0
                }
            }
            "ai" => {
                (0..self.m)
                    .filter(|&i| self.counts[i] > 0)
                    .map(|i| {
                        let mg = max_like_adjacencies(self.counts[i]);
                        if mg == 0 {
                            0.0
                        } else {
                            self.pairs[i * self.m + i] as f64 / mg as f64 * self.counts[i] as f64
                                / n
                        }
                    })
                    .sum::<f64>()
                    * 100.0
            }
            "contag" if m_present >= 2 => {
                let mut s = 0.0;
                for i in 0..self.m {
                    if self.counts[i] == 0 {
                        continue;
                    }
                    let row: u64 = (0..self.m).map(|k| self.g(i, k)).sum();
                    if row == 0 {
                        continue;
                    }
                    let pi = self.counts[i] as f64 / n;
                    for k in 0..self.m {
                        let g = self.g(i, k);
                        if g > 0 {
                            let q = pi * g as f64 / row as f64;
                            s += q * q.ln();
                        }
                    }
                }
                (1.0 + s / (2.0 * mf.ln())) * 100.0
            }
            _ => f64::NAN,
        }
    }
}

/// Computes the selected metrics in a circular moving window; returns one `f32` grid per metric
/// (NaN nodata on nodata cells) in the order of `params.metrics`.
pub fn moving_window<T: Cell>(
    grid: &Grid<T>,
    params: &WindowParams,
    progress: &dyn Progress,
) -> Result<Vec<Grid<f32>>, MetricsError> {
    let cs = grid.transform.cell_width();
    let (dx, dy) = (cs, grid.transform.cell_height());
    if (dx - dy).abs() > 1e-9 * dx.abs().max(dy.abs()) {
        return Err(MetricsError::NonSquareCells { dx, dy });
    }
    params.validate(cs)?;
    let (cls, values) = class_indices(grid)?;
    let (w, h) = (grid.width, grid.height);
    let r = params.radius_m / cs;
    let ri = r.floor() as isize;
    // Half-span of each window row offset.
    let span: Vec<isize> = (-ri..=ri)
        .map(|d| ((r * r - (d * d) as f64).max(0.0).sqrt() + 1e-9).floor() as isize)
        .collect();
    let mut state = WindowState::new(values.len());
    let mut inside = vec![false; w * h];
    let mut out: Vec<Vec<f32>> = vec![vec![f32::NAN; w * h]; params.metrics.len()];

    let add = |x: isize, y: isize, st: &mut WindowState, inside: &mut [bool]| {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            return;
        }
        let i = y as usize * w + x as usize;
        let c = cls[i];
        if c == OUTSIDE {
            return;
        }
        for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] {
            if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                continue;
            }
            let j = ny as usize * w + nx as usize;
            if inside[j] {
                let s = st.pair_slot(c, cls[j]);
                st.pairs[s] += 1;
                st.pair_total += 1;
            }
        }
        inside[i] = true;
        st.counts[c as usize] += 1;
        st.cells += 1;
    };
    let remove = |x: isize, y: isize, st: &mut WindowState, inside: &mut [bool]| {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            return;
        }
        let i = y as usize * w + x as usize;
        if !inside[i] {
            return;
        }
        let c = cls[i];
        inside[i] = false;
        for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] {
            if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                continue;
            }
            let j = ny as usize * w + nx as usize;
            if inside[j] {
                let s = st.pair_slot(c, cls[j]);
                st.pairs[s] -= 1;
                st.pair_total -= 1;
            }
        }
        st.counts[c as usize] -= 1;
        st.cells -= 1;
    };

    progress.begin("移动窗口 moving window", h as u64);
    for y in 0..h as isize {
        if progress.cancelled() {
            return Err(MetricsError::Cancelled);
        }
        // Window of the row's first cell.
        state.clear();
        for (k, d) in (-ri..=ri).enumerate() {
            for x in -span[k]..=span[k] {
                add(x, y + d, &mut state, &mut inside);
            }
        }
        for x in 0..w as isize {
            if x > 0 {
                for (k, d) in (-ri..=ri).enumerate() {
                    remove(x - 1 - span[k], y + d, &mut state, &mut inside);
                }
                for (k, d) in (-ri..=ri).enumerate() {
                    add(x + span[k], y + d, &mut state, &mut inside);
                }
            }
            let i = y as usize * w + x as usize;
            if cls[i] == OUTSIDE {
                continue;
            }
            for (slot, name) in out.iter_mut().zip(&params.metrics) {
                slot[i] = state.metric(name, cs) as f32;
            }
        }
        // Empty the window of the row's last cell.
        let last = w as isize - 1;
        for (k, d) in (-ri..=ri).enumerate() {
            for x in last - span[k]..=last + span[k] {
                remove(x, y + d, &mut state, &mut inside);
            }
        }
        progress.advance(y as u64 + 1);
    }
    progress.finish();
    Ok(out
        .into_iter()
        .map(|data| Grid {
            width: w,
            height: h,
            data,
            transform: grid.transform,
            crs: grid.crs.clone(),
            nodata: Some(f32::NAN),
        })
        .collect())
}
