//! Grading a service into 极重要 / 重要 / 一般 (METHODS §1.2).
//!
//! Default: cumulative contribution. Pixels are sorted by value, descending; 极重要 is the
//! smallest top set whose values sum to ≥ 50 % of the total (the break value belongs to it, so
//! the class always holds at least half of the service); 重要 takes the following values while
//! the cumulative share stays ≤ 80 %; the rest is 一般. Equal values always share a class.
//! Alternatives: quantiles of the pixel count, Jenks natural breaks, equal intervals.

use rayon::prelude::*;

/// Grade codes written into grade rasters (0 = nodata).
pub const GRADE_NODATA: u8 = 0;
/// 一般 (general).
pub const GENERAL: u8 = 1;
/// 重要 (important) / 脆弱 for fragility.
pub const IMPORTANT: u8 = 2;
/// 极重要 (extremely important) / 极脆弱 for fragility.
pub const EXTREMELY_IMPORTANT: u8 = 3;

/// Chinese and English label of a grade code.
pub fn grade_label(g: u8) -> (&'static str, &'static str) {
    match g {
        EXTREMELY_IMPORTANT => ("极重要", "extremely important"),
        IMPORTANT => ("重要", "important"),
        GENERAL => ("一般", "general"),
        _ => ("无数据", "no data"),
    }
}

/// How service values become grades.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GradingMethod {
    /// Cumulative contribution with the two shares (default 0.5 and 0.8).
    Cumulative { upper: f64, lower: f64 },
    /// Quantiles of the pixel count: the top `upper` fraction → 极重要, down to `lower` → 重要.
    Quantile { upper: f64, lower: f64 },
    /// Jenks natural breaks into three classes.
    NaturalBreaks,
    /// Three equal intervals of [min, max].
    EqualInterval,
}

impl Default for GradingMethod {
    fn default() -> Self {
        GradingMethod::Cumulative {
            upper: 0.5,
            lower: 0.8,
        }
    }
}

impl GradingMethod {
    pub fn validate(&self) -> Vec<String> {
        match *self {
            GradingMethod::Cumulative { upper, lower }
            | GradingMethod::Quantile { upper, lower } => {
                if !(upper > 0.0 && upper < lower && lower <= 1.0) {
                    vec![format!("grading shares must satisfy 0 < upper < lower ≤ 1, found upper {upper}, lower {lower}")]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }
}

/// Thresholds found by grading: values ≥ `t_upper` are 极重要, ≥ `t_lower` 重要.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradeThresholds {
    pub t_upper: f64,
    pub t_lower: f64,
}

/// Grades `values` (NaN = nodata) and returns the grade of each cell and the thresholds.
pub fn grade(values: &[f32], method: GradingMethod) -> (Vec<u8>, GradeThresholds) {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let th = if v.is_empty() {
        GradeThresholds {
            t_upper: f64::INFINITY,
            t_lower: f64::INFINITY,
        }
    } else {
        v.par_sort_unstable_by(|a, b| b.total_cmp(a));
        match method {
            GradingMethod::Cumulative { upper, lower } => cumulative(&v, upper, lower),
            GradingMethod::Quantile { upper, lower } => {
                let n = v.len();
                let at =
                    |f: f64| v[(((f * n as f64).ceil() as usize).max(1) - 1).min(n - 1)] as f64;
                GradeThresholds {
                    t_upper: at(upper),
                    t_lower: at(lower),
                }
            }
            GradingMethod::NaturalBreaks => {
                let (b1, b2) = jenks3(&v);
                GradeThresholds {
                    t_upper: b2,
                    t_lower: b1,
                }
            }
            GradingMethod::EqualInterval => {
                let (max, min) = (v[0] as f64, v[v.len() - 1] as f64);
                let step = (max - min) / 3.0;
                GradeThresholds {
                    t_upper: min + 2.0 * step,
                    t_lower: min + step,
                }
            }
        }
    };
    let grades = values
        .par_iter()
        .map(|&x| {
            if !x.is_finite() {
                GRADE_NODATA
            } else if x as f64 >= th.t_upper {
                EXTREMELY_IMPORTANT
            } else if x as f64 >= th.t_lower {
                IMPORTANT
            } else {
                GENERAL
            }
        })
        .collect();
    (grades, th)
}

/// `sorted` descending. Negative values contribute nothing to the total.
fn cumulative(sorted: &[f32], upper: f64, lower: f64) -> GradeThresholds {
    let total: f64 = sorted.iter().map(|&x| (x as f64).max(0.0)).sum();
    if total <= 0.0 {
        // nothing to rank: everything is 一般
        return GradeThresholds {
            t_upper: f64::INFINITY,
            t_lower: f64::INFINITY,
        };
    }
    let mut t_upper = f64::INFINITY;
    let mut t_lower = f64::INFINITY;
    let mut cum = 0.0f64;
    let mut i = 0;
    let mut upper_done = false;
    while i < sorted.len() {
        // one block of equal values
        let v = sorted[i];
        let mut j = i;
        while j < sorted.len() && sorted[j] == v {
            cum += (sorted[j] as f64).max(0.0);
            j += 1;
        }
        let share = cum / total;
        if !upper_done {
            t_upper = v as f64;
            t_lower = v as f64;
            if share >= upper - 1e-12 {
                upper_done = true;
            }
        } else if share <= lower + 1e-12 {
            t_lower = v as f64;
        } else {
            break;
        }
        i = j;
    }
    GradeThresholds { t_upper, t_lower }
}

/// Jenks natural breaks into 3 classes; returns the lower bounds of classes 2 and 3. Large inputs
/// are thinned to an evenly spaced sample of 3000 sorted values (extremes kept).
fn jenks3(desc: &[f32]) -> (f64, f64) {
    let mut x: Vec<f64> = desc.iter().rev().map(|&v| v as f64).collect();
    const MAX: usize = 3000;
    if x.len() > MAX {
        let n = x.len();
        x = (0..MAX).map(|k| x[k * (n - 1) / (MAX - 1)]).collect();
    }
    let n = x.len();
    if n < 3 {
        return (x[0], x[n - 1]);
    }
    let mut pre = vec![0.0f64; n + 1];
    let mut pre2 = vec![0.0f64; n + 1];
    for i in 0..n {
        pre[i + 1] = pre[i] + x[i];
        pre2[i + 1] = pre2[i] + x[i] * x[i];
    }
    // within-class sum of squared deviations of x[a..b]
    let ssd = |a: usize, b: usize| {
        let m = (b - a) as f64;
        let s = pre[b] - pre[a];
        pre2[b] - pre2[a] - s * s / m
    };
    let mut best = (f64::INFINITY, 1, 2);
    // classes [0,i) [i,j) [j,n): O(n²) over the (thinned) sample
    for i in 1..n - 1 {
        let a = ssd(0, i);
        if a >= best.0 {
            continue;
        }
        for j in i + 1..n {
            let t = a + ssd(i, j) + ssd(j, n);
            if t < best.0 {
                best = (t, i, j);
            }
        }
    }
    (x[best.1], x[best.2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_worked_example() {
        // METHODS §1.2: [10, 8, 6, 4, 2, 1] → 10, 8 极重要; 6 重要; the rest 一般
        let (g, th) = grade(&[10.0, 8.0, 6.0, 4.0, 2.0, 1.0], GradingMethod::default());
        assert_eq!(g, vec![3, 3, 2, 1, 1, 1]);
        assert_eq!((th.t_upper, th.t_lower), (8.0, 6.0));
    }

    #[test]
    fn extremely_important_holds_half_and_ties_share_a_class() {
        let mut state = 1u64;
        let vals: Vec<f32> = (0..5000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 40) % 100) as f32
            })
            .collect();
        let (g, th) = grade(&vals, GradingMethod::default());
        let total: f64 = vals.iter().map(|&v| v as f64).sum();
        let top: f64 = vals
            .iter()
            .zip(&g)
            .filter(|(_, &c)| c == 3)
            .map(|(&v, _)| v as f64)
            .sum();
        assert!(top / total >= 0.5);
        let upto_important: f64 = vals
            .iter()
            .zip(&g)
            .filter(|(_, &c)| c >= 2)
            .map(|(&v, _)| v as f64)
            .sum();
        assert!(upto_important / total <= 0.8 + 1e-9 || th.t_lower == th.t_upper);
        for (v, c) in vals.iter().zip(&g) {
            // monotone: a larger value never gets a lower grade
            for (w, d) in vals.iter().zip(&g).take(200) {
                if v > w {
                    assert!(c >= d);
                }
            }
        }
    }

    #[test]
    fn other_methods() {
        let vals: Vec<f32> = vec![1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 9.0, 9.1, 9.2, f32::NAN];
        let (g, _) = grade(&vals, GradingMethod::NaturalBreaks);
        assert_eq!(g, vec![1, 1, 1, 2, 2, 2, 3, 3, 3, 0]);
        let (g, _) = grade(&vals, GradingMethod::EqualInterval);
        assert_eq!(g, vec![1, 1, 1, 2, 2, 2, 3, 3, 3, 0]);
        let (g, _) = grade(
            &vals,
            GradingMethod::Quantile {
                upper: 1.0 / 3.0,
                lower: 2.0 / 3.0,
            },
        );
        assert_eq!(g, vec![1, 1, 1, 2, 2, 2, 3, 3, 3, 0]);
    }
}
