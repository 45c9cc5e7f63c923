//! Gravity model of corridor importance (Kong et al. 2010; METHODS §3.3):
//! `G_ab = [(1/P_a)·ln S_a · (1/P_b)·ln S_b] / (L_ab/L_max)²`, with `P` the mean resistance of
//! the patch, `S` its area and `L_ab` the accumulated cost along the corridor (its LCD), `L_max`
//! the largest `L` among the corridors compared.
//!
//! Unit choice (documented, the sources leave it open): `S` in hectares (公顷), so patches below
//! 1 ha would give `ln S < 0`; sources are far larger in practice. Only the ranking of `G`
//! matters, and it does not depend on the unit of `L`.

/// Patch attributes entering the gravity model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GravityInput {
    /// Mean resistance of the patch (P).
    pub mean_resistance: f64,
    /// Patch area in hectares (S).
    pub area_ha: f64,
}

/// `G_ab` (module docs). `lcd` = L_ab, `l_max` = L_max (same units).
///
/// ```
/// use ecoplan_pattern::corridors::{gravity_index, GravityInput};
/// let a = GravityInput { mean_resistance: 2.0, area_ha: std::f64::consts::E.powi(4) };
/// let b = GravityInput { mean_resistance: 1.0, area_ha: std::f64::consts::E };
/// // (1/2·4)·(1/1·1) / (50/100)² = 2 / 0.25 = 8
/// assert!((gravity_index(&a, &b, 50.0, 100.0) - 8.0).abs() < 1e-12);
/// ```
pub fn gravity_index(a: &GravityInput, b: &GravityInput, lcd: f64, l_max: f64) -> f64 {
    let na = a.area_ha.ln() / a.mean_resistance;
    let nb = b.area_ha.ln() / b.mean_resistance;
    let rel = lcd / l_max;
    na * nb / (rel * rel)
}
