//! Area and money units of Chinese planning documents, with exact conversions.
//!
//! 1 亩 = 10000/15 m² exactly (so 15 亩 = 1 公顷); 1 万亩 = 10⁴ 亩; 1 km² = 100 公顷.
//! Values are kept in base units (m², 元) and rounded only when shown.

use serde::{Deserialize, Serialize};

pub const M2_PER_HA: f64 = 10_000.0;
pub const M2_PER_MU: f64 = 10_000.0 / 15.0;
pub const M2_PER_KM2: f64 = 1_000_000.0;
pub const M2_PER_WAN_MU: f64 = M2_PER_MU * 10_000.0;

/// An area unit used in plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AreaUnit {
    #[serde(rename = "m2", alias = "m²", alias = "平方米")]
    SquareMetre,
    #[serde(rename = "ha", alias = "公顷")]
    Hectare,
    #[serde(rename = "mu", alias = "亩")]
    Mu,
    #[serde(rename = "wan_mu", alias = "万亩")]
    WanMu,
    #[serde(rename = "km2", alias = "km²", alias = "平方千米", alias = "平方公里")]
    SquareKilometre,
}

impl AreaUnit {
    pub fn m2_per_unit(self) -> f64 {
        match self {
            AreaUnit::SquareMetre => 1.0,
            AreaUnit::Hectare => M2_PER_HA,
            AreaUnit::Mu => M2_PER_MU,
            AreaUnit::WanMu => M2_PER_WAN_MU,
            AreaUnit::SquareKilometre => M2_PER_KM2,
        }
    }
    /// Converts `value` in `self` to `to`.
    pub fn convert(self, value: f64, to: AreaUnit) -> f64 {
        // Multiply first, then divide: keeps 15 亩 → 1 公顷 exact in binary floating point.
        value * self.m2_per_unit() / to.m2_per_unit()
    }
    pub fn zh(self) -> &'static str {
        match self {
            AreaUnit::SquareMetre => "平方米",
            AreaUnit::Hectare => "公顷",
            AreaUnit::Mu => "亩",
            AreaUnit::WanMu => "万亩",
            AreaUnit::SquareKilometre => "平方千米",
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            AreaUnit::SquareMetre => "m²",
            AreaUnit::Hectare => "ha",
            AreaUnit::Mu => "mu",
            AreaUnit::WanMu => "10⁴ mu",
            AreaUnit::SquareKilometre => "km²",
        }
    }
    /// Recognises the spellings found in plans: 公顷, hm², ha, 亩, 万亩, km², 平方公里, 平方千米, m², 平方米.
    pub fn parse(text: &str) -> Option<AreaUnit> {
        match text.trim() {
            "m2" | "m²" | "平方米" => Some(AreaUnit::SquareMetre),
            "ha" | "hm2" | "hm²" | "公顷" => Some(AreaUnit::Hectare),
            "mu" | "亩" => Some(AreaUnit::Mu),
            "万亩" | "wan_mu" => Some(AreaUnit::WanMu),
            "km2" | "km²" | "平方公里" | "平方千米" => Some(AreaUnit::SquareKilometre),
            _ => None,
        }
    }
}

/// A money unit used in plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MoneyUnit {
    #[serde(rename = "yuan", alias = "元")]
    Yuan,
    #[serde(rename = "wan_yuan", alias = "万元")]
    WanYuan,
    #[serde(rename = "yi_yuan", alias = "亿元")]
    YiYuan,
}

impl MoneyUnit {
    pub fn yuan_per_unit(self) -> f64 {
        match self {
            MoneyUnit::Yuan => 1.0,
            MoneyUnit::WanYuan => 1e4,
            MoneyUnit::YiYuan => 1e8,
        }
    }
    pub fn convert(self, value: f64, to: MoneyUnit) -> f64 {
        value * self.yuan_per_unit() / to.yuan_per_unit()
    }
    pub fn zh(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::WanYuan => "万元",
            MoneyUnit::YiYuan => "亿元",
        }
    }
    pub fn parse(text: &str) -> Option<MoneyUnit> {
        match text.trim() {
            "元" | "yuan" => Some(MoneyUnit::Yuan),
            "万元" | "wan_yuan" => Some(MoneyUnit::WanYuan),
            "亿元" | "yi_yuan" => Some(MoneyUnit::YiYuan),
            _ => None,
        }
    }
}

/// An area in m² with conversions to every plan unit.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct Area {
    pub m2: f64,
}

impl Area {
    pub fn from_m2(m2: f64) -> Self {
        Area { m2 }
    }
    pub fn new(value: f64, unit: AreaUnit) -> Self {
        Area {
            m2: value * unit.m2_per_unit(),
        }
    }
    pub fn in_unit(self, unit: AreaUnit) -> f64 {
        self.m2 / unit.m2_per_unit()
    }
    pub fn ha(self) -> f64 {
        self.in_unit(AreaUnit::Hectare)
    }
    pub fn mu(self) -> f64 {
        self.in_unit(AreaUnit::Mu)
    }
    pub fn km2(self) -> f64 {
        self.in_unit(AreaUnit::SquareKilometre)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn mu_and_hectare_are_exact() {
        assert_eq!(AreaUnit::Mu.convert(15.0, AreaUnit::Hectare), 1.0);
        assert_eq!(AreaUnit::Hectare.convert(1.0, AreaUnit::Mu), 15.0);
        assert_eq!(AreaUnit::WanMu.convert(1.5, AreaUnit::Hectare), 1000.0);
        assert_eq!(
            AreaUnit::SquareKilometre.convert(737.82, AreaUnit::Hectare),
            73782.0
        );
        // 1 亩 = 666.666… m²
        assert!((Area::new(1.0, AreaUnit::Mu).m2 - 10_000.0 / 15.0).abs() < 1e-12);
        assert_eq!(
            MoneyUnit::YiYuan.convert(1.25, MoneyUnit::WanYuan),
            12_500.0
        );
        assert_eq!(AreaUnit::parse("公顷"), Some(AreaUnit::Hectare));
        assert_eq!(AreaUnit::parse("平方公里"), Some(AreaUnit::SquareKilometre));
    }
}
