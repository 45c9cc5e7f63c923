//! Fragility/sensitivity (METHODS §1.7): factor scores 1/3/5/7/9 from class breaks, composite
//! by geometric mean, five sensitivity classes and their 双评价 collapse.

use crate::table::Table;
use crate::AssessError;

/// Score breaks of one factor.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorBreaks {
    /// Process key: soil_erosion (水土流失), desertification (土地沙化),
    /// rocky_desertification (石漠化), salinization (盐渍化).
    pub process: String,
    /// Factor key, e.g. `r`, `relief`, `vegetation_cover`.
    pub factor: String,
    /// Four increasing thresholds separating scores 1|3|5|7|9.
    pub breaks: [f64; 4],
    /// true: larger values are more sensitive; false: smaller values are (cover, humidity, depth).
    pub ascending: bool,
}

impl FactorBreaks {
    /// Score 1, 3, 5, 7 or 9 (NaN for NaN input). Classes are [b_i, b_i+1): a value on a break
    /// belongs to the class above it (e.g. cover ≥ 0.8 is "dense", score 1).
    pub fn score(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        let k = self.breaks.iter().filter(|&&b| v >= b).count();
        let idx = if self.ascending { k } else { 4 - k };
        [1.0, 3.0, 5.0, 7.0, 9.0][idx]
    }
}

/// Reads breaks from a table with columns process, factor, b1, b2, b3, b4, direction
/// (ascending|descending); reports every problem.
pub fn breaks_from_table(t: &Table) -> Result<Vec<FactorBreaks>, AssessError> {
    let mut p = Vec::new();
    t.require_columns(
        &["process", "factor", "b1", "b2", "b3", "b4", "direction"],
        &mut p,
    );
    AssessError::check(p.clone())?;
    let cols: Vec<Vec<Option<f64>>> = ["b1", "b2", "b3", "b4"]
        .iter()
        .map(|c| t.numbers(c, false, &mut p))
        .collect();
    let (proc_, fac, dir) = (t.texts("process"), t.texts("factor"), t.texts("direction"));
    let mut out = Vec::new();
    for r in 0..t.rows.len() {
        let b: Vec<Option<f64>> = cols.iter().map(|c| c[r]).collect();
        let ascending = match dir[r].to_lowercase().as_str() {
            "ascending" => true,
            "descending" => false,
            o => {
                p.push(format!(
                    "{}: row {} direction is `{o}`; use ascending or descending",
                    t.name,
                    r + 2
                ));
                true
            }
        };
        if let [Some(a), Some(bb), Some(c), Some(d)] = b[..] {
            if !(a < bb && bb < c && c < d) {
                p.push(format!(
                    "{}: row {} breaks must increase, found {a}, {bb}, {c}, {d}",
                    t.name,
                    r + 2
                ));
            }
            out.push(FactorBreaks {
                process: proc_[r].to_lowercase(),
                factor: fac[r].to_lowercase(),
                breaks: [a, bb, c, d],
                ascending,
            });
        }
    }
    AssessError::check(p)?;
    Ok(out)
}

/// Geometric mean of the available scores (NaN when none).
pub fn composite(scores: &[f64]) -> f64 {
    let v: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    (v.iter().map(|s| s.ln()).sum::<f64>() / v.len() as f64).exp()
}

/// Sensitivity class 1–5 (不/轻度/中度/高度/极敏感) of a composite: ≤2, 2–4, 4–6, 6–8, >8.
pub fn sensitivity_class(c: f64) -> u8 {
    if c.is_nan() {
        0
    } else if c <= 2.0 {
        1
    } else if c <= 4.0 {
        2
    } else if c <= 6.0 {
        3
    } else if c <= 8.0 {
        4
    } else {
        5
    }
}

/// Collapse for 双评价: 极敏感 → 极脆弱 (3), 高度 → 脆弱 (2), others → 一般 (1); 0 stays nodata.
pub fn fragility_grade(class: u8) -> u8 {
    match class {
        0 => 0,
        5 => 3,
        4 => 2,
        _ => 1,
    }
}

/// Names of sensitivity classes 1–5.
pub fn sensitivity_label(c: u8) -> (&'static str, &'static str) {
    match c {
        1 => ("不敏感", "not sensitive"),
        2 => ("轻度敏感", "slightly sensitive"),
        3 => ("中度敏感", "moderately sensitive"),
        4 => ("高度敏感", "highly sensitive"),
        5 => ("极敏感", "extremely sensitive"),
        _ => ("无数据", "no data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn scores_and_composite() {
        let r = FactorBreaks {
            process: "soil_erosion".into(),
            factor: "r".into(),
            breaks: [25.0, 100.0, 400.0, 600.0],
            ascending: true,
        };
        assert_eq!(r.score(10.0), 1.0);
        assert_eq!(r.score(100.0), 5.0);
        assert_eq!(r.score(700.0), 9.0);
        let cover = FactorBreaks {
            process: "soil_erosion".into(),
            factor: "vegetation_cover".into(),
            breaks: [0.2, 0.4, 0.6, 0.8],
            ascending: false,
        };
        assert_eq!(cover.score(0.9), 1.0);
        assert_eq!(cover.score(0.1), 9.0);
        assert_eq!(cover.score(0.5), 5.0);
        assert_eq!(cover.score(0.8), 1.0);
        // (9·9·1·1)^(1/4) = 3
        assert!((composite(&[9.0, 9.0, 1.0, 1.0]) - 3.0).abs() < 1e-12);
        assert_eq!(sensitivity_class(3.0), 2);
        assert_eq!(sensitivity_class(8.5), 5);
        assert_eq!(fragility_grade(5), 3);
        assert_eq!(fragility_grade(4), 2);
        assert_eq!(fragility_grade(2), 1);
    }
}
