//! Printed numbers: exact decimals that remember how many digits the plan printed.
//!
//! A plan states `7200.35` or `3000.00` or `16000`; the checker compares totals to the printed
//! precision (half a unit in the last printed digit), so the number of decimals is part of the
//! value. `Dec` keeps the mantissa and the scale exactly and prints back what it read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// An exact decimal `mantissa × 10^-scale`, e.g. `"3000.00"` → (300000, 2).
#[derive(Debug, Clone, Copy)]
pub struct Dec {
    mantissa: i128,
    scale: u32,
}

/// `"12.x"` is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("不是数字 not a number: {0:?}")]
pub struct DecError(pub String);

const MAX_SCALE: u32 = 18;

impl Dec {
    pub const ZERO: Dec = Dec {
        mantissa: 0,
        scale: 0,
    };

    pub fn new(mantissa: i128, scale: u32) -> Dec {
        Dec { mantissa, scale }
    }
    pub fn from_int(v: i64) -> Dec {
        Dec::new(v as i128, 0)
    }
    /// Digits after the decimal point as printed.
    pub fn scale(self) -> u32 {
        self.scale
    }
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }
    /// Half a unit in the last printed digit: `7200.35` → 0.005, `16000` → 0.5.
    pub fn half_ulp(self) -> f64 {
        0.5 * 10f64.powi(-(self.scale as i32))
    }
    /// One unit in the last printed digit.
    pub fn ulp(self) -> f64 {
        10f64.powi(-(self.scale as i32))
    }
    fn rescaled(self, scale: u32) -> i128 {
        self.mantissa * 10i128.pow(scale - self.scale)
    }
    /// Exact sum, at the larger of the two scales.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: Dec) -> Dec {
        let s = self.scale.max(other.scale);
        Dec::new(self.rescaled(s) + other.rescaled(s), s)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, other: Dec) -> Dec {
        self.add(other.neg())
    }
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> Dec {
        Dec::new(-self.mantissa, self.scale)
    }
    pub fn abs(self) -> Dec {
        Dec::new(self.mantissa.abs(), self.scale)
    }
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }
    /// Exact sum of many values (0 for none).
    pub fn sum<I: IntoIterator<Item = Dec>>(values: I) -> Dec {
        values.into_iter().fold(Dec::ZERO, Dec::add)
    }
    /// Rounded (half away from zero) to `scale` digits.
    pub fn round_to(self, scale: u32) -> Dec {
        if scale >= self.scale {
            return Dec::new(self.rescaled(scale), scale);
        }
        let div = 10i128.pow(self.scale - scale);
        let q = self.mantissa / div;
        let r = self.mantissa % div;
        let q = if 2 * r.abs() >= div {
            q + self.mantissa.signum()
        } else {
            q
        };
        Dec::new(q, scale)
    }
    /// Nearest decimal to `v` with `scale` digits (for values computed in floating point).
    pub fn from_f64(v: f64, scale: u32) -> Dec {
        let scale = scale.min(MAX_SCALE);
        let m = (v * 10f64.powi(scale as i32)).round();
        Dec::new(m as i128, scale)
    }
    /// Same value (ignoring trailing zeros)?
    pub fn same_value(self, other: Dec) -> bool {
        self.cmp_value(other) == Ordering::Equal
    }
    pub fn cmp_value(self, other: Dec) -> Ordering {
        let s = self.scale.max(other.scale);
        self.rescaled(s).cmp(&other.rescaled(s))
    }
    /// Same digits as printed (`3000` and `3000.00` differ).
    pub fn same_print(self, other: Dec) -> bool {
        self.mantissa == other.mantissa && self.scale == other.scale
    }
}

impl Default for Dec {
    fn default() -> Dec {
        Dec::ZERO
    }
}

impl PartialEq for Dec {
    /// Equality is on the printed form, so round trips keep `3000.00`.
    fn eq(&self, other: &Dec) -> bool {
        self.same_print(*other)
    }
}

impl FromStr for Dec {
    type Err = DecError;
    /// Accepts `-12`, `7200.35`, `1,234.5` (thousands separators), full-width digits.
    fn from_str(s: &str) -> Result<Dec, DecError> {
        let err = || DecError(s.to_string());
        let t: String = s
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '．' => '.',
                '－' | '−' => '-',
                _ => c,
            })
            .collect();
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(&t)),
        };
        if body.is_empty() {
            return Err(err());
        }
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if (int.is_empty() && frac.is_empty())
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() as u32 > MAX_SCALE
            || int.len() > 20
        {
            return Err(err());
        }
        let digits = format!("{int}{frac}");
        let m: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| err())?
        };
        Ok(Dec::new(if neg { -m } else { m }, frac.len() as u32))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        let s = self.scale as usize;
        let body = if s == 0 {
            digits
        } else if digits.len() > s {
            format!(
                "{}.{}",
                &digits[..digits.len() - s],
                &digits[digits.len() - s..]
            )
        } else {
            format!("0.{}{}", "0".repeat(s - digits.len()), digits)
        };
        if neg {
            write!(f, "-{body}")
        } else {
            f.write_str(&body)
        }
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal number as a string, e.g. \"7200.35\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dec, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dec, E> {
                Ok(Dec::from_int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dec, E> {
                Ok(Dec::new(v as i128, 0))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dec, E> {
                // A bare float loses the printed precision; use its shortest decimal form.
                format!("{v}").parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A printed comparison prefix: `≥165.29` means "not less than".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

/// A printed indicator value: `"≥165.29"`, `"90"`, `"-"` (not given), `""` (blank cell).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub cmp: Cmp,
    pub value: Dec,
}

/// Parses an indicator cell. `None` for "-", "—", "/", blank; `Err` for text that is not a value.
pub fn parse_bound(text: &str) -> Result<Option<Bound>, DecError> {
    let t = text.trim();
    if t.is_empty() || matches!(t, "-" | "—" | "－" | "/" | "——" | "－－") {
        return Ok(None);
    }
    // Prose forms of the same cells: 不低于165.29, 达到17.06, 达61, 约51.65.
    for (word, cmp) in [
        ("不低于", Cmp::Ge),
        ("不少于", Cmp::Ge),
        ("不小于", Cmp::Ge),
        ("不高于", Cmp::Le),
        ("不超过", Cmp::Le),
        ("不大于", Cmp::Le),
        ("达到", Cmp::Eq),
        ("达", Cmp::Eq),
        ("约", Cmp::Eq),
    ] {
        if let Some(r) = t.strip_prefix(word) {
            let r = r.trim().trim_end_matches('%').trim();
            return Ok(Some(Bound {
                cmp,
                value: r.parse()?,
            }));
        }
    }
    let (cmp, rest) = if let Some(r) = t.strip_prefix('≥').or_else(|| t.strip_prefix(">=")) {
        (Cmp::Ge, r)
    } else if let Some(r) = t.strip_prefix('≤').or_else(|| t.strip_prefix("<=")) {
        (Cmp::Le, r)
    } else if let Some(r) = t.strip_prefix('＞').or_else(|| t.strip_prefix('>')) {
        (Cmp::Gt, r)
    } else if let Some(r) = t.strip_prefix('＜').or_else(|| t.strip_prefix('<')) {
        (Cmp::Lt, r)
    } else {
        (Cmp::Eq, t)
    };
    let rest = rest.trim().trim_end_matches('%').trim();
    Ok(Some(Bound {
        cmp,
        value: rest.parse()?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_and_prints_back() {
        for s in ["7200.35", "3000.00", "16000", "-0.5", "0.0007", "209.155"] {
            let d: Dec = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
        }
        let d: Dec = "1,234.50".parse().unwrap();
        assert_eq!(d.to_string(), "1234.50");
        assert!("12.x".parse::<Dec>().is_err());
        assert!("".parse::<Dec>().is_err());
    }
    #[test]
    fn exact_sum_and_rounding() {
        let parts: Vec<Dec> = ["170", "7.41", "3.54"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(Dec::sum(parts).to_string(), "180.95");
        let x: Dec = "334553.875".parse().unwrap();
        assert_eq!(x.round_to(2).to_string(), "334553.88");
        let y: Dec = "-2.345".parse().unwrap();
        assert_eq!(y.round_to(2).to_string(), "-2.35");
        assert_eq!("3000".parse::<Dec>().unwrap().half_ulp(), 0.5);
        assert!("3000"
            .parse::<Dec>()
            .unwrap()
            .same_value("3000.00".parse().unwrap()));
        assert_ne!(
            "3000".parse::<Dec>().unwrap(),
            "3000.00".parse::<Dec>().unwrap()
        );
    }
    #[test]
    fn bounds() {
        let b = parse_bound("≥165.29").unwrap().unwrap();
        assert_eq!(b.cmp, Cmp::Ge);
        assert_eq!(b.value.to_string(), "165.29");
        assert_eq!(parse_bound("-").unwrap(), None);
        assert_eq!(parse_bound("").unwrap(), None);
        assert_eq!(parse_bound("90").unwrap().unwrap().cmp, Cmp::Eq);
        assert_eq!(parse_bound("不低于165.29").unwrap().unwrap().cmp, Cmp::Ge);
        assert_eq!(
            parse_bound("达到90").unwrap().unwrap().value.to_string(),
            "90"
        );
        assert!(parse_bound("九十").is_err());
    }
}
