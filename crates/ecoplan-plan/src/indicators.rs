//! Indicator definitions computed from grids (presets/indicators/indicators.csv): 森林覆盖率,
//! 草原综合植被盖度 (FVC, dimidiate pixel model), 湿地保护率, 水土保持率, mask shares (生态保护红线,
//! 自然保护地), class areas (耕地保有量, habitat area), corridor connectivity γ, and the achievement
//! rate of a target.
//!
//! Land-use codes default to `presets/landuse/common_classes.csv` (1 耕地 … 7 水域). Areas use the
//! grid's cell area (projected grids; equal-area cells), so shares are ratios of cell counts.
//!
//! ```
//! use ecoplan_grid::Grid;
//! use ecoplan_plan::indicators::{forest_cover, IndicatorParams};
//! // 2×2: forest, forest, cropland, grassland → 50 %.
//! let lu = Grid::<u8>::from_rows(2, 2, vec![3, 3, 1, 5]).unwrap();
//! let v = forest_cover(&lu, &IndicatorParams::default()).unwrap();
//! assert_eq!((v.value, v.unit), (50.0, "%"));
//! ```

use crate::model::Direction;
use ecoplan_grid::{Cell, Grid};
use rayon::prelude::*;

/// A computed indicator value with its unit, and the areas behind a share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorValue {
    pub value: f64,
    pub unit: &'static str,
    /// Numerator area (m²) for shares, the area itself for areas.
    pub part_m2: f64,
    /// Denominator area (m²) for shares (0 for areas).
    pub whole_m2: f64,
}

/// Errors computing indicators.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IndicatorError {
    #[error("参数错误 invalid indicator settings: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error("栅格不对齐 grids are not aligned: {0}")]
    NotAligned(String),
    #[error("没有有效像元 no valid cells in {0}: check nodata and the mask")]
    Empty(&'static str),
    #[error("NDVI 土壤值 {soil} 不小于植被值 {veg}: NDVI_soil must be below NDVI_veg")]
    NdviEnds { soil: f64, veg: f64 },
    #[error("目标值等于基期值，无法计算达成率 target equals baseline: achievement rate undefined for a {0} indicator")]
    FlatTarget(&'static str),
    #[error("{0}")]
    Network(String),
}

/// Class codes and model settings (defaults follow `presets/landuse/common_classes.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorParams {
    /// 林地 for 森林覆盖率 (default 3 林地; add 4 灌木林地 for 国家特别规定灌木林).
    pub forest_classes: Vec<u32>,
    /// 草地 (default 5).
    pub grassland_classes: Vec<u32>,
    /// 湿地 (default 6; add 7 水域 to count open water).
    pub wetland_classes: Vec<u32>,
    /// 耕地 (default 1).
    pub cropland_classes: Vec<u32>,
    /// Habitat (default 3 林地, 4 灌木, 5 草地, 6 湿地, 7 水域).
    pub habitat_classes: Vec<u32>,
    /// Percentile of valid NDVI taken as bare soil when `ndvi_soil` is not given (default 5).
    pub ndvi_soil_percentile: f64,
    /// Percentile of valid NDVI taken as full cover when `ndvi_veg` is not given (default 95).
    pub ndvi_veg_percentile: f64,
    /// Fixed NDVI of bare soil / full cover (override the percentiles).
    pub ndvi_soil: Option<f64>,
    pub ndvi_veg: Option<f64>,
    /// Highest soil-loss class that counts as conserved (SL 190: 1 = 微度). Default 1.
    pub max_tolerable_erosion_class: u32,
}

impl Default for IndicatorParams {
    fn default() -> Self {
        IndicatorParams {
            forest_classes: vec![3],
            grassland_classes: vec![5],
            wetland_classes: vec![6],
            cropland_classes: vec![1],
            habitat_classes: vec![3, 4, 5, 6, 7],
            ndvi_soil_percentile: 5.0,
            ndvi_veg_percentile: 95.0,
            ndvi_soil: None,
            ndvi_veg: None,
            max_tolerable_erosion_class: 1,
        }
    }
}

impl IndicatorParams {
    /// Reports every bad setting at once.
    pub fn validate(&self) -> Result<(), IndicatorError> {
        let mut p = Vec::new();
        for (name, v) in [
            ("forest_classes", &self.forest_classes),
            ("grassland_classes", &self.grassland_classes),
            ("wetland_classes", &self.wetland_classes),
            ("cropland_classes", &self.cropland_classes),
            ("habitat_classes", &self.habitat_classes),
        ] {
            if v.is_empty() {
                p.push(format!(
                    "{name} 为空 is empty: list at least one land-use code"
                ));
            }
        }
        let (a, b) = (self.ndvi_soil_percentile, self.ndvi_veg_percentile);
        if !(0.0..=100.0).contains(&a) || !(0.0..=100.0).contains(&b) || a >= b {
            p.push(format!(
                "ndvi_soil_percentile {a} / ndvi_veg_percentile {b}: need 0 ≤ soil < veg ≤ 100"
            ));
        }
        for (name, v) in [("ndvi_soil", self.ndvi_soil), ("ndvi_veg", self.ndvi_veg)] {
            if let Some(v) = v {
                if !(-1.0..=1.0).contains(&v) {
                    p.push(format!("{name} = {v} 超出 NDVI 范围 outside −1…1"));
                }
            }
        }
        if let (Some(s), Some(v)) = (self.ndvi_soil, self.ndvi_veg) {
            if s >= v {
                p.push(format!("ndvi_soil {s} ≥ ndvi_veg {v}"));
            }
        }
        if self.max_tolerable_erosion_class == 0 {
            p.push("max_tolerable_erosion_class 应 ≥ 1 (SL 190 classes start at 1 微度)".into());
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(IndicatorError::Params(p))
        }
    }
}

fn aligned<A: Cell, B: Cell>(a: &Grid<A>, b: &Grid<B>) -> Result<(), IndicatorError> {
    a.spec()
        .check_aligned(&b.spec())
        .map_err(|e| IndicatorError::NotAligned(e.to_string()))
}

fn is_class<T: Cell>(v: T, classes: &[u32]) -> bool {
    let f = v.to_f64();
    f >= 0.0 && f.fract() == 0.0 && classes.contains(&(f as u32))
}

fn cell_area(g: &Grid<impl Cell>) -> f64 {
    g.transform.cell_area()
}

/// Counts (part, whole) over valid cells in parallel.
fn count2<T: Cell>(g: &Grid<T>, f: impl Fn(usize, T) -> Option<bool> + Sync) -> (u64, u64) {
    const CHUNK: usize = 1 << 16;
    g.data
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut part = 0u64;
            let mut whole = 0u64;
            for (j, &v) in chunk.iter().enumerate() {
                let i = ci * CHUNK + j;
                if !g.is_valid_at(i) {
                    continue;
                }
                if let Some(hit) = f(i, v) {
                    whole += 1;
                    part += hit as u64;
                }
            }
            (part, whole)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

fn share(
    part: u64,
    whole: u64,
    area: f64,
    what: &'static str,
) -> Result<IndicatorValue, IndicatorError> {
    if whole == 0 {
        return Err(IndicatorError::Empty(what));
    }
    Ok(IndicatorValue {
        value: part as f64 / whole as f64 * 100.0,
        unit: "%",
        part_m2: part as f64 * area,
        whole_m2: whole as f64 * area,
    })
}

/// 森林覆盖率 (%): forest-class cells / all valid cells.
pub fn forest_cover<T: Cell>(
    landuse: &Grid<T>,
    p: &IndicatorParams,
) -> Result<IndicatorValue, IndicatorError> {
    p.validate()?;
    let (part, whole) = count2(landuse, |_, v| Some(is_class(v, &p.forest_classes)));
    share(part, whole, cell_area(landuse), "land use")
}

/// FVC by the dimidiate pixel model: (NDVI − soil)/(veg − soil), clamped to 0…1; nodata (NaN)
/// where NDVI is nodata or NaN.
pub fn fvc_dimidiate(
    ndvi: &Grid<f32>,
    ndvi_soil: f64,
    ndvi_veg: f64,
) -> Result<Grid<f32>, IndicatorError> {
    if ndvi_soil >= ndvi_veg {
        return Err(IndicatorError::NdviEnds {
            soil: ndvi_soil,
            veg: ndvi_veg,
        });
    }
    let span = ndvi_veg - ndvi_soil;
    let mut out = ndvi.map(Some(f32::NAN), |v| {
        ((v as f64 - ndvi_soil) / span).clamp(0.0, 1.0) as f32
    });
    for (i, o) in out.data.iter_mut().enumerate() {
        if !ndvi.is_valid_at(i) || ndvi.data[i].is_nan() {
            *o = f32::NAN;
        }
    }
    Ok(out)
}

/// Percentile (0–100) of the valid NDVI values inside `mask` (all valid cells when `None`),
/// from a 20001-bin histogram over −1…1 (resolution 1e-4, no copy of the data).
pub fn ndvi_percentile<M: Cell>(
    ndvi: &Grid<f32>,
    mask: Option<&Grid<M>>,
    pct: f64,
) -> Result<f64, IndicatorError> {
    if let Some(m) = mask {
        aligned(ndvi, m)?;
    }
    const BINS: usize = 20_001;
    let hist = ndvi
        .data
        .par_iter()
        .enumerate()
        .fold(
            || vec![0u64; BINS],
            |mut h, (i, &v)| {
                let inside = mask.is_none_or(|m| m.is_valid_at(i) && m.data[i].to_f64() != 0.0);
                if inside && ndvi.is_valid_at(i) && !v.is_nan() {
                    let b = (((v as f64).clamp(-1.0, 1.0) + 1.0) * 1e4).round() as usize;
                    h[b.min(BINS - 1)] += 1;
                }
                h
            },
        )
        .reduce(
            || vec![0u64; BINS],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return Err(IndicatorError::Empty("NDVI"));
    }
    // Nearest-rank percentile.
    let rank = ((pct / 100.0 * n as f64).ceil() as u64).clamp(1, n);
    let mut acc = 0;
    for (b, c) in hist.iter().enumerate() {
        acc += c;
        if acc >= rank {
            return Ok(b as f64 / 1e4 - 1.0);
        }
    }
    Ok(1.0)
}

/// 草原综合植被盖度 (%): mean FVC over grassland cells (equal-area cells).
pub fn grassland_fvc<T: Cell>(
    ndvi: &Grid<f32>,
    landuse: &Grid<T>,
    p: &IndicatorParams,
) -> Result<IndicatorValue, IndicatorError> {
    p.validate()?;
    aligned(ndvi, landuse)?;
    let soil = match p.ndvi_soil {
        Some(v) => v,
        None => ndvi_percentile::<u8>(ndvi, None, p.ndvi_soil_percentile)?,
    };
    let veg = match p.ndvi_veg {
        Some(v) => v,
        None => ndvi_percentile::<u8>(ndvi, None, p.ndvi_veg_percentile)?,
    };
    let fvc = fvc_dimidiate(ndvi, soil, veg)?;
    let (sum, n) = fvc
        .data
        .par_iter()
        .enumerate()
        .filter(|(i, f)| {
            !f.is_nan()
                && landuse.is_valid_at(*i)
                && is_class(landuse.data[*i], &p.grassland_classes)
        })
        .map(|(_, f)| (*f as f64, 1u64))
        .reduce(|| (0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if n == 0 {
        return Err(IndicatorError::Empty("grassland"));
    }
    let area = cell_area(landuse);
    Ok(IndicatorValue {
        value: sum / n as f64 * 100.0,
        unit: "%",
        part_m2: sum * area,
        whole_m2: n as f64 * area,
    })
}

/// 湿地保护率 (%): wetland cells inside the protected mask (non-zero) / wetland cells.
pub fn wetland_protection_rate<T: Cell, M: Cell>(
    landuse: &Grid<T>,
    protected: &Grid<M>,
    p: &IndicatorParams,
) -> Result<IndicatorValue, IndicatorError> {
    p.validate()?;
    aligned(landuse, protected)?;
    let (part, whole) = count2(landuse, |i, v| {
        is_class(v, &p.wetland_classes)
            .then(|| protected.is_valid_at(i) && protected.data[i].to_f64() != 0.0)
    });
    share(part, whole, cell_area(landuse), "wetland")
}

/// 水土保持率 (%): cells whose soil-loss class is at most the tolerable class / valid cells.
pub fn soil_conservation_rate<T: Cell>(
    erosion_class: &Grid<T>,
    p: &IndicatorParams,
) -> Result<IndicatorValue, IndicatorError> {
    p.validate()?;
    let max = p.max_tolerable_erosion_class as f64;
    let (part, whole) = count2(erosion_class, |_, v| Some(v.to_f64() <= max));
    share(part, whole, cell_area(erosion_class), "soil-loss classes")
}

/// Share (%) of the region covered by a mask (non-zero cells): 生态保护红线 or 自然保护地 share.
/// The region is the valid cells of `region` (non-zero), or of `mask` when `None`.
pub fn mask_share<M: Cell, R: Cell>(
    mask: &Grid<M>,
    region: Option<&Grid<R>>,
) -> Result<IndicatorValue, IndicatorError> {
    if let Some(r) = region {
        aligned(mask, r)?;
    }
    let (part, whole) = match region {
        Some(r) => count2(r, |i, v| {
            (v.to_f64() != 0.0).then(|| mask.is_valid_at(i) && mask.data[i].to_f64() != 0.0)
        }),
        None => count2(mask, |_, v| Some(v.to_f64() != 0.0)),
    };
    share(part, whole, cell_area(mask), "region")
}

/// Area of the listed classes (耕地保有量, habitat area) in `unit` (km², 公顷, 亩 …).
pub fn class_area<T: Cell>(
    landuse: &Grid<T>,
    classes: &[u32],
    unit: &'static str,
) -> Result<IndicatorValue, IndicatorError> {
    if classes.is_empty() {
        return Err(IndicatorError::Params(vec!["classes 为空 is empty".into()]));
    }
    let to_unit = crate::qty::convert(1.0, "m²", unit).ok_or_else(|| {
        IndicatorError::Params(vec![format!("未知面积单位 unknown area unit {unit}")])
    })?;
    let (part, _) = count2(landuse, |_, v| Some(is_class(v, classes)));
    let m2 = part as f64 * cell_area(landuse);
    Ok(IndicatorValue {
        value: m2 * to_unit,
        unit,
        part_m2: m2,
        whole_m2: 0.0,
    })
}

/// 生态廊道连通度 γ = L / (3(V − 2)) of `sources` nodes and `corridors` links (planar network,
/// V ≥ 3; the same definition as `ecoplan_pattern::network::network_indices`).
pub fn corridor_gamma(sources: usize, corridors: usize) -> Result<IndicatorValue, IndicatorError> {
    if sources < 3 {
        return Err(IndicatorError::Network(format!(
            "γ 至少需要3个源地 needs at least 3 sources; got {sources}"
        )));
    }
    Ok(IndicatorValue {
        value: corridors as f64 / (3.0 * (sources as f64 - 2.0)),
        unit: "-",
        part_m2: 0.0,
        whole_m2: 0.0,
    })
}

/// Achievement rate of a target: r = (current − baseline)/(target − baseline), which also holds for
/// decreasing indicators (both differences are negative). For a 保持 indicator (target = baseline
/// allowed) r = current/target when the target is a floor. `clamped` = min(1, r).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Achievement {
    pub rate: f64,
    pub clamped: f64,
}

pub fn achievement_rate(
    baseline: f64,
    target: f64,
    current: f64,
    direction: Direction,
) -> Result<Achievement, IndicatorError> {
    let rate = match direction {
        Direction::Keep => {
            if target == 0.0 {
                return Err(IndicatorError::FlatTarget("keep (target 0)"));
            }
            current / target
        }
        Direction::Increase | Direction::Decrease => {
            if target == baseline {
                return Err(IndicatorError::FlatTarget(direction.key()));
            }
            (current - baseline) / (target - baseline)
        }
    };
    Ok(Achievement {
        rate,
        clamped: rate.min(1.0),
    })
}

/// Names of the functions that `presets/indicators/indicators.csv` may name in its `function` column.
pub const FUNCTIONS: &[&str] = &[
    "forest_cover",
    "grassland_fvc",
    "wetland_protection_rate",
    "soil_conservation_rate",
    "mask_share",
    "class_area",
    "corridor_gamma",
];

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, GridSpec};

    fn spec(w: usize, h: usize, cell: f64) -> GridSpec {
        GridSpec::new(
            w,
            h,
            GeoTransform::north_up(0.0, h as f64 * cell, cell),
            None,
        )
    }

    #[test]
    fn forest_cover_counts_valid_cells_only() {
        // 3×3 at 30 m; one nodata cell (255). Forest 3 of 8 valid → 37.5 %.
        let g = Grid::from_vec(
            &spec(3, 3, 30.0),
            vec![3u8, 3, 1, 5, 255, 7, 3, 4, 1],
            Some(255),
        )
        .unwrap();
        let v = forest_cover(&g, &IndicatorParams::default()).unwrap();
        assert_eq!(v.value, 37.5);
        assert_eq!(v.part_m2, 3.0 * 900.0);
        assert_eq!(v.whole_m2, 8.0 * 900.0);
        // With 灌木林地 counted: 4 of 8.
        let p = IndicatorParams {
            forest_classes: vec![3, 4],
            ..Default::default()
        };
        assert_eq!(forest_cover(&g, &p).unwrap().value, 50.0);
    }

    #[test]
    fn fvc_by_hand() {
        // soil 0.1, veg 0.7: NDVI 0.4 → 0.5; 0.05 → 0 (clamped); 0.9 → 1; 0.25 → 0.25.
        let ndvi = Grid::from_rows(2, 2, vec![0.4f32, 0.05, 0.9, 0.25]).unwrap();
        let f = fvc_dimidiate(&ndvi, 0.1, 0.7).unwrap();
        let want = [0.5, 0.0, 1.0, 0.25];
        for (a, b) in f.data.iter().zip(want) {
            assert!((*a as f64 - b).abs() < 1e-6, "{a} vs {b}");
        }
        // Grassland = cells 0 and 3 → mean 0.375 → 37.5 %.
        let lu = Grid::from_rows(2, 2, vec![5u8, 1, 3, 5]).unwrap();
        let p = IndicatorParams {
            ndvi_soil: Some(0.1),
            ndvi_veg: Some(0.7),
            ..Default::default()
        };
        let v = grassland_fvc(&ndvi, &lu, &p).unwrap();
        assert!((v.value - 37.5).abs() < 1e-4, "{}", v.value);
        assert!(fvc_dimidiate(&ndvi, 0.7, 0.1).is_err());
    }

    #[test]
    fn ndvi_percentiles_by_hand() {
        // 20 values 0.00, 0.05, …, 0.95: 5th percentile (nearest rank 1) = 0.00; 95th (rank 19) = 0.90.
        let vals: Vec<f32> = (0..20).map(|i| i as f32 * 0.05).collect();
        let g = Grid::from_rows(20, 1, vals).unwrap();
        let lo = ndvi_percentile::<u8>(&g, None, 5.0).unwrap();
        let hi = ndvi_percentile::<u8>(&g, None, 95.0).unwrap();
        assert!(
            (lo - 0.0).abs() < 1e-4 && (hi - 0.90).abs() < 1e-4,
            "{lo} {hi}"
        );
        // Percentiles of the default params feed grassland_fvc: all-grass grid gives mean of clamped FVC.
        let lu = Grid::from_rows(20, 1, vec![5u8; 20]).unwrap();
        let v = grassland_fvc(&g, &lu, &IndicatorParams::default()).unwrap();
        // FVC = v/0.9 clamped: Σ_{i<19} 0.05i/0.9 + 1 (for 0.95) = (0.05·171)/0.9 + 1 = 10.5 → mean 0.525.
        assert!((v.value - 52.5).abs() < 0.01, "{}", v.value);
    }

    #[test]
    fn wetland_soil_masks_areas() {
        let lu = Grid::from_vec(&spec(4, 1, 10.0), vec![6u8, 6, 6, 1], None).unwrap();
        let prot = Grid::from_vec(&spec(4, 1, 10.0), vec![1u8, 0, 1, 1], None).unwrap();
        let v = wetland_protection_rate(&lu, &prot, &IndicatorParams::default()).unwrap();
        assert!((v.value - 200.0 / 3.0).abs() < 1e-9);

        // SL 190 classes: 1 1 2 3 4 and a nodata 0 → 2 of 5 conserved = 40 %.
        let ero = Grid::from_vec(&spec(6, 1, 10.0), vec![1u8, 1, 2, 3, 4, 0], Some(0)).unwrap();
        assert_eq!(
            soil_conservation_rate(&ero, &IndicatorParams::default())
                .unwrap()
                .value,
            40.0
        );

        // Red line over a region of 4 cells (0 = outside): 1 of 4 = 25 %.
        let region = Grid::from_vec(&spec(3, 2, 10.0), vec![1u8, 1, 0, 1, 1, 0], None).unwrap();
        let red = Grid::from_vec(&spec(3, 2, 10.0), vec![1u8, 0, 1, 0, 0, 0], None).unwrap();
        assert_eq!(mask_share(&red, Some(&region)).unwrap().value, 25.0);
        assert!((mask_share::<u8, u8>(&red, None).unwrap().value - 100.0 / 3.0).abs() < 1e-12);

        // Cropland: 2 cells of 100 m × 100 m = 2 ha = 0.02 km² = 30 亩.
        let lu = Grid::from_vec(&spec(3, 1, 100.0), vec![1u8, 1, 3], None).unwrap();
        assert!((class_area(&lu, &[1], "km²").unwrap().value - 0.02).abs() < 1e-12);
        assert!((class_area(&lu, &[1], "亩").unwrap().value - 30.0).abs() < 1e-9);
        assert_eq!(class_area(&lu, &[1, 3], "公顷").unwrap().value, 3.0);

        // Misaligned grids are refused.
        let other = Grid::from_vec(&spec(4, 1, 20.0), vec![1u8; 4], None).unwrap();
        assert!(matches!(
            wetland_protection_rate(&lu, &other, &IndicatorParams::default()),
            Err(IndicatorError::NotAligned(_))
        ));
    }

    #[test]
    fn gamma_and_achievement() {
        // 10 sources, 13 corridors: γ = 13 / 24.
        assert!((corridor_gamma(10, 13).unwrap().value - 13.0 / 24.0).abs() < 1e-12);
        assert!(corridor_gamma(2, 1).is_err());
        // 森林覆盖率 13.43 → 17.06, now 15.00: r = 1.57/3.63.
        let a = achievement_rate(13.43, 17.06, 15.0, Direction::Increase).unwrap();
        assert!((a.rate - 1.57 / 3.63).abs() < 1e-12 && a.clamped == a.rate);
        // Decreasing: 10 → 5, now 4 → r = 1.2, clamped 1.
        let a = achievement_rate(10.0, 5.0, 4.0, Direction::Decrease).unwrap();
        assert!((a.rate - 1.2).abs() < 1e-12 && a.clamped == 1.0);
        // Keep: floor 165.29, now 166 → ≥ 1.
        let a = achievement_rate(168.12, 165.29, 166.0, Direction::Keep).unwrap();
        assert!(a.rate > 1.0 && a.clamped == 1.0);
        assert!(achievement_rate(5.0, 5.0, 6.0, Direction::Increase).is_err());
    }

    #[test]
    fn params_report_all_problems() {
        let p = IndicatorParams {
            forest_classes: vec![],
            ndvi_soil_percentile: 96.0,
            ndvi_soil: Some(2.0),
            max_tolerable_erosion_class: 0,
            ..Default::default()
        };
        match p.validate() {
            Err(IndicatorError::Params(v)) => assert_eq!(v.len(), 4, "{v:?}"),
            other => panic!("{other:?}"),
        }
    }
}
