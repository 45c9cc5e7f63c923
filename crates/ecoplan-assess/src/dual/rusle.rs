//! 水土保持 soil conservation by RUSLE (METHODS §1.4): factor formulas and soil-loss classes.
//!
//! SC = A_p − A = R·K·LS·(1 − C·P) with A_p = R·K·LS and A = R·K·LS·C·P, in t·ha⁻¹·a⁻¹ when R is
//! in MJ·mm·ha⁻¹·h⁻¹·a⁻¹ and K in t·ha·h·ha⁻¹·MJ⁻¹·mm⁻¹.

/// R from daily rainfall (章文波 et al. 2002): each year's R = α Σ D^β over days with
/// D ≥ 12 mm; β = 0.8363 + 18.144/P_d12 + 24.455/P_y12, α = 21.586·β^−7.1891, where P_d12 is the
/// mean erosive daily rainfall and P_y12 the mean annual erosive rainfall total. Returns the mean
/// annual R (MJ·mm·ha⁻¹·h⁻¹·a⁻¹); `None` without erosive days.
pub fn r_factor_daily(daily_by_year: &[Vec<f64>]) -> Option<f64> {
    let erosive: Vec<Vec<f64>> = daily_by_year
        .iter()
        .map(|y| y.iter().copied().filter(|&d| d >= 12.0).collect())
        .collect();
    let days: Vec<f64> = erosive.iter().flatten().copied().collect();
    if days.is_empty() || daily_by_year.is_empty() {
        return None;
    }
    let p_d12 = days.iter().sum::<f64>() / days.len() as f64;
    let p_y12 = days.iter().sum::<f64>() / daily_by_year.len() as f64;
    let beta = 0.8363 + 18.144 / p_d12 + 24.455 / p_y12;
    let alpha = 21.586 * beta.powf(-7.1891);
    let total: f64 = days.iter().map(|d| alpha * d.powf(beta)).sum();
    Some(total / daily_by_year.len() as f64)
}

/// R from monthly rainfall (Wischmeier fallback): Σ 1.735·10^(1.5·lg(P_i²/P) − 0.8188) × 17.02,
/// with P the annual total (mm).
pub fn r_factor_monthly(monthly: &[f64; 12]) -> f64 {
    let p: f64 = monthly.iter().sum();
    if p <= 0.0 {
        return 0.0;
    }
    monthly
        .iter()
        .filter(|&&m| m > 0.0)
        .map(|&m| 1.735 * 10f64.powf(1.5 * (m * m / p).log10() - 0.8188))
        .sum::<f64>()
        * 17.02
}

/// K by EPIC (Williams 1984) in SI units (×0.1317); sand, silt, clay and organic carbon in %.
/// With `zhang_correction`, K = (−0.01383 + 0.51575·K_EPIC)·0.1317 (张科利).
pub fn k_factor_epic(
    sand: f64,
    silt: f64,
    clay: f64,
    organic_carbon: f64,
    zhang_correction: bool,
) -> f64 {
    let sn1 = 1.0 - sand / 100.0;
    let c = organic_carbon;
    let k = (0.2 + 0.3 * (-0.0256 * sand * (1.0 - silt / 100.0)).exp())
        * (silt / (clay + silt)).powf(0.3)
        * (1.0 - 0.25 * c / (c + (3.72 - 2.95 * c).exp()))
        * (1.0 - 0.7 * sn1 / (sn1 + (-5.51 + 22.9 * sn1).exp()));
    if zhang_correction {
        (-0.01383 + 0.51575 * k) * 0.1317
    } else {
        k * 0.1317
    }
}

/// C from vegetation cover f in % (蔡崇法 2000): 1 at f = 0, 0.6508 − 0.3436·lg f below 78.3 %, 0 above.
pub fn c_from_cover(f_percent: f64) -> f64 {
    if f_percent <= 0.0 {
        1.0
    } else if f_percent < 78.3 {
        (0.6508 - 0.3436 * f_percent.log10()).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Fractional vegetation cover (0–1) from NDVI with soil/vegetation end-members.
pub fn fvc(ndvi: f64, ndvi_soil: f64, ndvi_veg: f64) -> f64 {
    if ndvi_veg <= ndvi_soil {
        return 0.0;
    }
    ((ndvi - ndvi_soil) / (ndvi_veg - ndvi_soil)).clamp(0.0, 1.0)
}

/// Parameters of the China-practice LS (McCool 1989 L, Liu Baoyuan 1994 S).
#[derive(Debug, Clone, PartialEq)]
pub struct ChinaLsParams {
    /// Percent-slope breaks of the L exponent m (default 1, 3, 9 %).
    pub m_breaks: [f64; 3],
    /// m below, between and above the breaks (default 0.2, 0.3, 0.4, 0.5).
    pub m_values: [f64; 4],
    /// Cap on the slope length λ, m (default 300).
    pub max_slope_length: f64,
}

impl Default for ChinaLsParams {
    fn default() -> Self {
        ChinaLsParams {
            m_breaks: [1.0, 3.0, 9.0],
            m_values: [0.2, 0.3, 0.4, 0.5],
            max_slope_length: 300.0,
        }
    }
}

impl ChinaLsParams {
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.m_breaks[0] < self.m_breaks[1] && self.m_breaks[1] < self.m_breaks[2]) {
            p.push(format!(
                "LS m_breaks must increase, found {:?}",
                self.m_breaks
            ));
        }
        if !(self.max_slope_length > 0.0) {
            p.push(format!(
                "max_slope_length must be > 0 m, found {}",
                self.max_slope_length
            ));
        }
        p
    }
}

/// China-practice LS from percent slope and slope length λ (m): L = (λ/22.13)^m,
/// S = 10.8 sinθ + 0.03 (θ < 5°), 16.8 sinθ − 0.50 (5–10°), 21.91 sinθ − 0.96 (≥ 10°).
pub fn ls_china(percent_slope: f64, slope_length: f64, p: &ChinaLsParams) -> f64 {
    let theta = (percent_slope / 100.0).atan();
    let deg = theta.to_degrees();
    let s = if deg < 5.0 {
        10.8 * theta.sin() + 0.03
    } else if deg < 10.0 {
        16.8 * theta.sin() - 0.50
    } else {
        21.91 * theta.sin() - 0.96
    };
    let m = if percent_slope < p.m_breaks[0] {
        p.m_values[0]
    } else if percent_slope < p.m_breaks[1] {
        p.m_values[1]
    } else if percent_slope < p.m_breaks[2] {
        p.m_values[2]
    } else {
        p.m_values[3]
    };
    let lambda = slope_length.clamp(0.0, p.max_slope_length);
    (lambda / 22.13).powf(m) * s
}

/// Soil-loss intensity classes of SL 190-2007 (water erosion), from soil loss in t·ha⁻¹·a⁻¹:
/// 1 微度 (< tolerable), 2 轻度 (< 2500 t·km⁻²·a⁻¹), 3 中度 (< 5000), 4 强烈 (< 8000),
/// 5 极强烈 (< 15000), 6 剧烈; `tolerable` in t·km⁻²·a⁻¹ (200, 500 or 1000 by region).
pub fn soil_loss_class(a_t_ha: f64, tolerable_t_km2: f64) -> u8 {
    let a = a_t_ha * 100.0;
    if a < tolerable_t_km2 {
        1
    } else if a < 2500.0 {
        2
    } else if a < 5000.0 {
        3
    } else if a < 8000.0 {
        4
    } else if a < 15000.0 {
        5
    } else {
        6
    }
}

/// Names of the SL 190-2007 classes (code 1–6).
pub fn soil_loss_class_label(c: u8) -> (&'static str, &'static str) {
    match c {
        1 => ("微度", "slight"),
        2 => ("轻度", "light"),
        3 => ("中度", "moderate"),
        4 => ("强烈", "intense"),
        5 => ("极强烈", "very intense"),
        6 => ("剧烈", "severe"),
        _ => ("无数据", "no data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_formulas() {
        assert_eq!(c_from_cover(0.0), 1.0);
        assert_eq!(c_from_cover(80.0), 0.0);
        assert!((c_from_cover(10.0) - (0.6508 - 0.3436)).abs() < 1e-12);
        // EPIC for a silt loam: K_EPIC ≈ 0.3–0.4 (US units) → ×0.1317 ≈ 0.04–0.05
        let k = k_factor_epic(20.0, 60.0, 20.0, 1.5, false);
        assert!(k > 0.035 && k < 0.055, "{k}");
        // typical β ≈ 1.6 and R grows with rain
        let dry = r_factor_daily(&[vec![15.0, 20.0, 5.0]]).unwrap();
        let wet = r_factor_daily(&[vec![15.0, 20.0, 60.0, 40.0]]).unwrap();
        assert!(wet > dry && dry > 0.0);
        assert!(
            r_factor_monthly(&[
                0.0, 0.0, 10.0, 30.0, 60.0, 90.0, 150.0, 120.0, 60.0, 20.0, 5.0, 0.0
            ]) > 0.0
        );
    }

    #[test]
    fn china_ls_and_classes() {
        let p = ChinaLsParams::default();
        // 22.13 m on a 9 % slope is the unit plot length: L = 1
        let s = ls_china(9.0, 22.13, &p);
        let theta = 0.09f64.atan();
        assert!(
            (s - (16.8 * theta.sin() - 0.5)).abs() < 1e-12
                || (s - (10.8 * theta.sin() + 0.03)).abs() < 1e-12
        );
        assert!(ls_china(30.0, 1000.0, &p) == ls_china(30.0, 300.0, &p));
        assert_eq!(soil_loss_class(1.0, 200.0), 1); // 100 t/km²
        assert_eq!(soil_loss_class(30.0, 200.0), 3); // 3000
        assert_eq!(soil_loss_class(200.0, 200.0), 6);
    }
}
