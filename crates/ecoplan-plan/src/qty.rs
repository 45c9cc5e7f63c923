//! Units as printed in plans (亩, 公顷, hm², km², 万㎡, 万元, 亿元, km …) and conversions between
//! them. Area factors come from `ecoplan_grid::units` (1 亩 = 10000/15 m² exactly).

use crate::num::Dec;
use ecoplan_grid::units::{AreaUnit, MoneyUnit};

/// What a unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Area,
    Money,
    Length,
    Percent,
    Count,
}

/// A parsed printed unit: dimension and size of one unit in base units (m², 元, m, %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub dim: Dim,
    pub base_per_unit: f64,
}

/// Parses the unit spellings found in plans. `None` for units it does not know.
pub fn parse_unit(text: &str) -> Option<Unit> {
    let t = text.trim();
    let t = t.trim_start_matches('（').trim_end_matches('）');
    if let Some(a) = AreaUnit::parse(t) {
        return Some(Unit {
            dim: Dim::Area,
            base_per_unit: a.m2_per_unit(),
        });
    }
    let area = |m2: f64| {
        Some(Unit {
            dim: Dim::Area,
            base_per_unit: m2,
        })
    };
    match t {
        "㎡" | "m^2" => return area(1.0),
        "万㎡" | "万m²" | "万m2" | "万平方米" => return area(1e4),
        "hm²" | "hm2" | "公顷(hm²)" => return area(1e4),
        "平方千米(km²)" | "KM2" | "Km2" => return area(1e6),
        _ => {}
    }
    if let Some(m) = MoneyUnit::parse(t) {
        return Some(Unit {
            dim: Dim::Money,
            base_per_unit: m.yuan_per_unit(),
        });
    }
    let length = |m: f64| {
        Some(Unit {
            dim: Dim::Length,
            base_per_unit: m,
        })
    };
    match t {
        "m" | "米" => length(1.0),
        "km" | "千米" | "公里" => length(1000.0),
        "%" | "％" => Some(Unit {
            dim: Dim::Percent,
            base_per_unit: 1.0,
        }),
        "个" | "处" | "项" | "座" | "眼" | "株" => Some(Unit {
            dim: Dim::Count,
            base_per_unit: 1.0,
        }),
        _ => None,
    }
}

/// `value` in `from` expressed in `to`, or `None` if either unit is unknown or they measure
/// different things.
pub fn convert(value: f64, from: &str, to: &str) -> Option<f64> {
    let (a, b) = (parse_unit(from)?, parse_unit(to)?);
    (a.dim == b.dim).then(|| value * a.base_per_unit / b.base_per_unit)
}

/// Exact conversion between money units (powers of ten): `Dec` in → `Dec` out.
pub fn convert_money(value: Dec, from: &str, to: &str) -> Option<Dec> {
    let f = MoneyUnit::parse(if from.is_empty() { "万元" } else { from })?;
    let t = MoneyUnit::parse(if to.is_empty() { "万元" } else { to })?;
    let exp = |m: MoneyUnit| match m {
        MoneyUnit::Yuan => 0i32,
        MoneyUnit::WanYuan => 4,
        MoneyUnit::YiYuan => 8,
    };
    let shift = exp(f) - exp(t);
    Some(if shift >= 0 {
        Dec::new(value.mantissa() * 10i128.pow(shift as u32), value.scale())
    } else {
        Dec::new(value.mantissa(), value.scale() + (-shift) as u32)
    })
}

/// Parses a printed amount of money such as "1.6亿元", "7200.35万元", "3000万" into 万元.
pub fn parse_money_wan(text: &str) -> Option<Dec> {
    let t = text
        .trim()
        .trim_start_matches("约")
        .trim_start_matches("计划投资");
    for (suffix, unit) in [
        ("亿元", "亿元"),
        ("万元", "万元"),
        ("亿", "亿元"),
        ("万", "万元"),
        ("元", "元"),
    ] {
        if let Some(num) = t.strip_suffix(suffix) {
            let d: Dec = num.trim().parse().ok()?;
            return convert_money(d, unit, "万元");
        }
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn conversions() {
        assert_eq!(convert(15.0, "亩", "公顷"), Some(1.0));
        assert!((convert(42081.99, "亩", "公顷").unwrap() - 2805.466).abs() < 1e-9);
        assert_eq!(
            convert(88.5, "万㎡", "亩").map(|x| (x * 1e6).round() / 1e6),
            Some(1327.5)
        );
        assert_eq!(convert(1.0, "km²", "亩"), Some(1500.0));
        assert_eq!(convert(1.0, "亩", "万元"), None);
        assert_eq!(
            convert_money("17.90".parse().unwrap(), "亿元", "万元")
                .unwrap()
                .to_string(),
            "179000.00"
        );
        assert_eq!(
            convert_money("178984.97".parse().unwrap(), "万元", "亿元")
                .unwrap()
                .to_string(),
            "17.898497"
        );
        assert_eq!(parse_money_wan("1.6亿元").unwrap().to_string(), "16000.0");
        assert_eq!(
            parse_money_wan("7200.35万元").unwrap().to_string(),
            "7200.35"
        );
    }
}
