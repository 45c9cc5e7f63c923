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

/// How corridors are split into 重要廊道 (important) and 一般廊道 (general) by their gravity G.
/// METHODS §3.3 says "G above a threshold" without fixing the threshold; plans that show the
/// split draw it by natural breaks (ArcGIS Jenks) over the corridors' G, which is the default.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GravityClasses {
    /// No classes (the `important` column stays empty).
    Off,
    /// G ≥ this value is 重要廊道.
    Threshold(f64),
    /// Jenks natural breaks, two classes: the upper class is 重要廊道.
    NaturalBreaks,
}

/// The threshold G at or above which a corridor is 重要廊道, for the gravity values `g` of the
/// kept corridors (non-finite values ignored); `None` for [`GravityClasses::Off`] or no values.
///
/// Natural breaks with two classes is exact here: values are sorted and every split is tried,
/// keeping the one with the least within-class sum of squared deviations (Jenks' criterion);
/// the threshold is the smallest value of the upper class. With one distinct value there is
/// no split and every corridor is 重要廊道.
///
/// ```
/// use ecoplan_pattern::corridors::{gravity_threshold, GravityClasses};
/// // Two groups: {1, 2, 3} and {10, 12}: the upper class starts at 10.
/// let g = [3.0, 10.0, 1.0, 12.0, 2.0];
/// assert_eq!(gravity_threshold(&g, GravityClasses::NaturalBreaks), Some(10.0));
/// assert_eq!(gravity_threshold(&g, GravityClasses::Threshold(2.5)), Some(2.5));
/// ```
pub fn gravity_threshold(g: &[f64], classes: GravityClasses) -> Option<f64> {
    let mut v: Vec<f64> = g.iter().copied().filter(|x| x.is_finite()).collect();
    match classes {
        GravityClasses::Off => None,
        GravityClasses::Threshold(t) => Some(t),
        GravityClasses::NaturalBreaks => {
            if v.is_empty() {
                return None;
            }
            v.sort_by(f64::total_cmp);
            let n = v.len();
            // Prefix sums of x and x² for O(1) class deviations.
            let (mut s1, mut s2) = (vec![0.0; n + 1], vec![0.0; n + 1]);
            for (i, &x) in v.iter().enumerate() {
                s1[i + 1] = s1[i] + x;
                s2[i + 1] = s2[i] + x * x;
            }
            let ssd = |a: usize, b: usize| {
                let (k, s) = ((b - a) as f64, s1[b] - s1[a]);
                s2[b] - s2[a] - s * s / k
            };
            let mut best: Option<(f64, usize)> = None;
            for split in 1..n {
                if v[split] == v[split - 1] {
                    continue; // equal values stay in one class
                }
                let cost = ssd(0, split) + ssd(split, n);
                if best.is_none_or(|(c, _)| cost < c) {
                    best = Some((cost, split));
                }
            }
            Some(best.map_or(v[0], |(_, split)| v[split]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_breaks_worked_example() {
        // {1, 2, 9}: splits {1}|{2, 9}: 0 + 24.5 = 24.5; {1, 2}|{9}: 0.5 + 0 = 0.5 → break at 9.
        assert_eq!(
            gravity_threshold(&[9.0, 1.0, 2.0], GravityClasses::NaturalBreaks),
            Some(9.0)
        );
        // Equal values are never split; a single value makes everything important.
        assert_eq!(
            gravity_threshold(&[5.0, 5.0, 1.0], GravityClasses::NaturalBreaks),
            Some(5.0)
        );
        assert_eq!(
            gravity_threshold(&[4.0], GravityClasses::NaturalBreaks),
            Some(4.0)
        );
        assert_eq!(gravity_threshold(&[], GravityClasses::NaturalBreaks), None);
        assert_eq!(gravity_threshold(&[1.0], GravityClasses::Off), None);
    }

    #[test]
    fn gravity_of_two_patches_by_hand() {
        // N_a = ln(100)/10, N_b = ln(50)/5, L/L_max = 0.5: G = N_a·N_b/0.25.
        let a = GravityInput {
            mean_resistance: 10.0,
            area_ha: 100.0,
        };
        let b = GravityInput {
            mean_resistance: 5.0,
            area_ha: 50.0,
        };
        let expect = (100f64.ln() / 10.0) * (50f64.ln() / 5.0) / 0.25;
        assert!((gravity_index(&a, &b, 2_000.0, 4_000.0) - expect).abs() < 1e-12);
    }
}
