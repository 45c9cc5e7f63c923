//! 水源涵养 water conservation (METHODS §1.3): three method families.

/// (a) Water balance (Gong 2017): retained depth P − R − ET with R = P·α, in mm per pixel
/// (× cell area × 10⁻³ → m³). `alpha_percent` is the runoff coefficient of the ecosystem type.
pub fn water_balance_mm(precip_mm: f64, et_mm: f64, alpha_percent: f64) -> f64 {
    precip_mm - precip_mm * alpha_percent / 100.0 - et_mm
}

/// (b) InVEST water yield with the retention correction (Ding et al. 2017):
/// WR = min(1, 249/V)·min(1, 0.9·TI/3)·min(1, K_sat/300)·Y, with
/// TI = log10(upstream pixel count / (soil depth · percent slope)).
/// `v` is the flow-velocity coefficient of the land use, `ksat` the saturated hydraulic
/// conductivity in the unit the coefficient 300 was fitted for (record it per dataset).
pub fn retention_mm(
    yield_mm: f64,
    v: f64,
    upstream_cells: f64,
    soil_depth: f64,
    percent_slope: f64,
    ksat: f64,
) -> f64 {
    let denom = (soil_depth * percent_slope).max(1e-6);
    let ti = (upstream_cells.max(1.0) / denom).log10();
    let f_v = if v > 0.0 { (249.0 / v).min(1.0) } else { 1.0 };
    let f_ti = (0.9 * ti / 3.0).clamp(0.0, 1.0);
    let f_k = (ksat / 300.0).clamp(0.0, 1.0);
    f_v * f_ti * f_k * yield_mm
}

/// (c) NPP index (ECRL guide): WR = NPP_mean · F_sic · F_pre · (1 − F_slo), each factor already
/// min–max normalised to 0–1.
pub fn npp_index(npp_mean: f64, f_sic: f64, f_pre: f64, f_slo: f64) -> f64 {
    npp_mean * f_sic * f_pre * (1.0 - f_slo)
}

/// Min–max normalisation of a slice (NaN kept), for the NPP-index factors.
pub fn min_max_normalise(values: &mut [f32]) {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for &v in values.iter() {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let span = hi - lo;
    for v in values.iter_mut() {
        if v.is_finite() {
            *v = if span > 0.0 { (*v - lo) / span } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formulas() {
        // 800 mm rain, 4.65 % runoff (常绿阔叶林), 500 mm ET → 262.8 mm retained
        assert!((water_balance_mm(800.0, 500.0, 4.65) - 262.8).abs() < 1e-9);
        assert_eq!(retention_mm(100.0, 100.0, 1e6, 1.0, 1.0, 600.0), 100.0);
        assert!((retention_mm(100.0, 498.0, 1e6, 1.0, 1.0, 150.0) - 25.0).abs() < 1e-9);
        assert_eq!(npp_index(500.0, 1.0, 0.5, 0.2), 200.0);
        let mut v = vec![2.0f32, 4.0, f32::NAN, 6.0];
        min_max_normalise(&mut v);
        assert_eq!(v[0], 0.0);
        assert_eq!(v[1], 0.5);
        assert!(v[2].is_nan());
    }
}
