//! 防风固沙 wind-erosion prevention by RWEQ (METHODS §1.5, Peng et al. 2017).
//!
//! Q_max = 109.8·(WF·EF·SCF·K′·C), s = 150.71·(WF·EF·SCF·K′·C)^−0.3711,
//! S_L = (2z/s²)·Q_max·exp[−(z/s)²] (kg·m⁻²), potential S_Lp the same without C;
//! sand fixation = S_Lp − S_L.

/// RWEQ factors of one pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RweqFactors {
    /// Weather factor WF, kg·m⁻¹.
    pub wf: f64,
    /// Erodible fraction EF (0–1).
    pub ef: f64,
    /// Soil crust factor SCF (0–1).
    pub scf: f64,
    /// Surface roughness K′ (0–1).
    pub k_prime: f64,
    /// Vegetation factor C = exp(−0.0438·cover%).
    pub c: f64,
}

/// Soil loss S_L (kg·m⁻²) at downwind distance `z` (m) for the product `x` = WF·EF·SCF·K′(·C).
fn loss(x: f64, z: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let q = 109.8 * x;
    let s = 150.71 * x.powf(-0.3711);
    2.0 * z / (s * s) * q * (-(z / s).powi(2)).exp()
}

/// (actual loss S_L, potential loss S_Lp, sand fixation S_Lp − S_L), kg·m⁻².
pub fn sand_fixation(f: &RweqFactors, z: f64) -> (f64, f64, f64) {
    let base = f.wf * f.ef * f.scf * f.k_prime;
    let actual = loss(base * f.c, z);
    let potential = loss(base, z);
    (actual, potential, potential - actual)
}

/// C = exp(−0.0438·SC), SC = vegetation cover in %.
pub fn vegetation_factor(cover_percent: f64) -> f64 {
    (-0.0438 * cover_percent).exp()
}

/// SCF = 1/(1 + 0.0066·cl² + 0.021·om²), clay and organic matter in % (Fryrear 1998).
pub fn soil_crust_factor(clay_percent: f64, organic_matter_percent: f64) -> f64 {
    1.0 / (1.0 + 0.0066 * clay_percent.powi(2) + 0.021 * organic_matter_percent.powi(2))
}

/// EF = (29.09 + 0.31·sa + 0.17·si + 0.33·sa/cl − 2.59·om − 0.95·CaCO₃)/100 (all %).
pub fn erodible_fraction(sand: f64, silt: f64, clay: f64, om: f64, caco3: f64) -> f64 {
    ((29.09 + 0.31 * sand + 0.17 * silt + 0.33 * sand / clay.max(1e-6) - 2.59 * om - 0.95 * caco3)
        / 100.0)
        .clamp(0.0, 1.0)
}

/// K′ = exp(1.86·K_r − 2.41·K_r^0.934 − 0.127·C_rr), K_r = 0.2·ΔH²/L (Smith–Carson).
pub fn roughness_factor(delta_h: f64, length: f64, crr: f64) -> f64 {
    let kr = 0.2 * delta_h * delta_h / length.max(1e-9);
    (1.86 * kr - 2.41 * kr.powf(0.934) - 0.127 * crr).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_worked_example() {
        // METHODS §1.5: WF 20, EF 0.5, SCF 0.8, K′ 0.9, C 0.3, z 50 → Q_max 237.17, s 113.25,
        // S_L 1.522, S_Lp 9.355, service 7.834 kg·m⁻²
        let f = RweqFactors {
            wf: 20.0,
            ef: 0.5,
            scf: 0.8,
            k_prime: 0.9,
            c: 0.3,
        };
        let x: f64 = 20.0 * 0.5 * 0.8 * 0.9 * 0.3;
        assert!((109.8 * x - 237.17).abs() < 0.01);
        assert!((150.71 * f64::powf(x, -0.3711) - 113.25).abs() < 0.01);
        let (a, p, s) = sand_fixation(&f, 50.0);
        assert!((a - 1.522).abs() < 1e-3, "{a}");
        assert!((p - 9.355).abs() < 1e-3, "{p}");
        assert!((s - 7.834).abs() < 1e-3, "{s}");
    }
}
