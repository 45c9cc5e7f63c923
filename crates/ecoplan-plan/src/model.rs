//! The plan data model (schema version 1): what a 国土空间生态修复规划 states, as printed.
//!
//! Numbers are [`Dec`] (exact, with the printed number of decimals) so that a checker can compare
//! every total to the precision the plan printed. Text fields keep the printed wording. Empty
//! strings, empty lists and `None` are all "not stated" and are left out of the TOML/JSON form.
//!
//! Tables (Chinese name used in findings and sheets):
//! 指标表 `indicators`, 格局要素 `pattern`, 修复分区 `zones`, 重点区域 `key_areas`,
//! 重点工程 `works`, 项目库 `projects`, 合计 `totals`, 加总 `sums`, 换算 `conversions`,
//! 比例 `ratios`, 计数 `counts`, 文本 `statements`.

use crate::num::Dec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Must be [`SCHEMA_VERSION`].
    pub schema_version: u32,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub region: Region,
    #[serde(default)]
    pub periods: Periods,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Indicator>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pattern: Vec<PatternElement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<Zone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_areas: Vec<KeyArea>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub works: Vec<Work>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<Project>,
    /// Printed investment totals and subtotals (合计/小计/总计) of the investment tables and text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub totals: Vec<StatedTotal>,
    /// Other printed "whole = Σ parts" statements (areas by township, counts by type …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sums: Vec<StatedSum>,
    /// A quantity printed in two units outside the structured tables ("2829172.00m²，约合4243.80亩").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<Conversion>,
    /// A printed percentage of a part in a whole ("煤25个，占矿山总数的59.6%").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<Ratio>,
    /// A printed count of items of a table ("划定7个生态修复重点区域").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<StatedCount>,
    /// Printed sentences kept for checks on wording (scope, self-references).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Statement>,
}

/// The document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Meta {
    /// 规划名称, e.g. 《大同市云冈区国土空间生态修复规划（2021—2035年）》.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// 文本状态, e.g. 公示稿.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stage: String,
    /// 编制单位.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub publisher: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub date: String,
    /// Where the data came from (file, page).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The planning region.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Region {
    /// Full name, e.g. 云冈区.
    pub name: String,
    /// 区 / 县 / 市 (county-level district, county, city).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub level: String,
    /// Enclosing units from the top, e.g. [山西省, 大同市].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<String>,
    /// Printed total area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<Dec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub area_unit: String,
    /// 乡镇/街道 (for a city: its counties/districts) as printed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub townships: Vec<String>,
    /// Neighbouring units the plan names (they may be mentioned without suspicion).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub neighbors: Vec<String>,
    /// The printed scope sentence (规划范围).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope_text: String,
}

/// 基准年 and 规划期.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Periods {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_year: Option<i32>,
    /// 近期 / 中期 / 远期 …
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Phase>,
    /// The printed sentence.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// One phase of the plan period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Phase {
    /// 近期 / 中期 / 远期 (the label used by projects).
    pub id: String,
    pub start_year: i32,
    pub end_year: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// 约束性 (binding) or 预期性 (expected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Binding {
    #[serde(rename = "约束性", alias = "binding")]
    Binding,
    #[serde(rename = "预期性", alias = "expected")]
    Expected,
}

impl Binding {
    pub fn zh(self) -> &'static str {
        match self {
            Binding::Binding => "约束性",
            Binding::Expected => "预期性",
        }
    }
    pub fn parse(s: &str) -> Option<Binding> {
        match s.trim() {
            "约束性" | "binding" => Some(Binding::Binding),
            "预期性" | "expected" => Some(Binding::Expected),
            _ => None,
        }
    }
}

/// Which way an indicator should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// 提高 (forest cover).
    #[serde(alias = "提高", alias = "+")]
    Increase,
    /// 降低 (soil-loss area).
    #[serde(alias = "降低", alias = "-")]
    Decrease,
    /// 不减少/保持 (farmland 保有量, red-line area).
    #[serde(alias = "保持")]
    Keep,
}

impl Direction {
    pub fn zh(self) -> &'static str {
        match self {
            Direction::Increase => "提高",
            Direction::Decrease => "降低",
            Direction::Keep => "保持",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
            Direction::Keep => "keep",
        }
    }
    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim() {
            "increase" | "提高" | "+" => Some(Direction::Increase),
            "decrease" | "降低" | "-" => Some(Direction::Decrease),
            "keep" | "保持" => Some(Direction::Keep),
            _ => None,
        }
    }
}

/// One row of the indicator table (指标表).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Indicator {
    /// 编号.
    pub id: String,
    /// 类型 (the table's group column, e.g. 生态质量 / 修复治理).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Printed baseline cell: "168.12", "-", or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub baseline: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_year: Option<i32>,
    /// Printed target cells by year: {"2025" = "≥165.29"}.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<String, String>,
    /// Targets stated in the plan's prose (阶段目标), when they differ in place from the table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub text_targets: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// How it is computed (a preset indicator key or prose).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// An element of the ecological pattern (一屏三廊 …).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PatternElement {
    pub id: String,
    /// 屏 / 廊 / 带 / 区 / 片区 / 节点 / 河 / 山 …
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// GeoJSON geometry text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub geometry: String,
}

/// A restoration zone (生态修复分区).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Zone {
    pub id: String,
    pub name: String,
    /// 分区类型 when a plan has several zonings (生态修复分区 / 国土综合整治分区).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<Dec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub area_unit: String,
    /// Printed share of the region's area, in %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_percent: Option<Dec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub townships: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub problems: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub directions: String,
    /// 保护保育 / 自然恢复 / 辅助再生 / 生态重建.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub geometry: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A key area (生态修复重点区域).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyArea {
    pub id: String,
    pub name: String,
    /// 重点区域类型 when a plan has several kinds (生态修复重点区 / 国土综合整治重点区).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<Dec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub area_unit: String,
    /// The same area printed in a second unit ("7307.46亩，合487.16公顷").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_alt: Option<Dec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub area_alt_unit: String,
    /// Other printed extent (length of rivers …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub extent: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub townships: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub problems: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub measures: String,
    /// Pattern elements the text names (checked against the pattern table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pattern_refs: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub geometry: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A key work (重点工程), grouping projects.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Work {
    pub id: String,
    pub name: String,
    /// 工程类型, e.g. 分区重点工程 / 支撑重点工程 (lets printed counts name a subset).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_areas: Vec<String>,
    /// 工程范围 townships as printed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub townships: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A named amount (an investment part, a summand).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub name: String,
    pub amount: Dec,
}

/// One funding source of a project.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Funding {
    /// Category, e.g. 中央财政资金, 省级财政资金, 区级财政资金, 企业自筹, 社会资本.
    pub source: String,
    /// Amount in 万元 when printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Dec>,
    /// Printed share ("70%~80%"), when given instead of an amount.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub share: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Investment of a project falling in one phase.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodAmount {
    pub period: String,
    pub amount: Dec,
}

/// A project of the project library (项目库).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Project {
    pub id: String,
    /// Id of its key work.
    pub work: String,
    pub name: String,
    /// 建设地点 as printed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub townships: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub villages: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub geometry: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_areas: Vec<String>,
    /// 建设规模 as printed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scale: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_value: Option<Dec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scale_unit: String,
    /// The scale printed again in a second unit ("88.5万㎡（约1327亩）").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_alt_value: Option<Dec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scale_alt_unit: String,
    /// 建设内容.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// 投资估算 in 万元.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub investment: Option<Dec>,
    /// The investment as printed where it differs from `investment` (e.g. "1.6亿元").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub investment_printed: String,
    /// 投资构成 (parts that add up to `investment`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub investment_parts: Vec<Part>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<Funding>,
    /// 资金来源/资金筹措 as printed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub funding_text: String,
    /// Phase id (近期 / 中期 / 远期) in which it is completed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub period: String,
    /// 规划建设期 as printed when not a bare phase ("近期完成80%，中期全部完成").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub period_printed: String,
    /// Investment split over phases, when printed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub period_split: Vec<PeriodAmount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_year: Option<i32>,
    /// 建设期限/实施期限 as printed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub schedule: String,
    /// 前期工作状态: 储备/可研/立项/在建/完工.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// 实施主体/责任单位.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub responsible: String,
    /// 测算依据.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub basis: String,
    /// 项目类型.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// 目标地类 for scenario benefits: a common land-use class key or code
    /// (presets/landuse/common_classes.csv, e.g. `forest` or `3`). Not printed in plans; added
    /// by the user (optional, schema version 1 unchanged).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target_class: String,
    /// 修复措施 for scenario benefits: a key or Chinese name of presets/scenario/measures.csv
    /// (`returning_farmland_to_forest` 退耕还林, `mine_regreening_grassland` 矿山复绿 …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub measure: String,
}

/// What a printed total adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TotalBy {
    /// 总计: all projects.
    #[default]
    All,
    /// 近期合计 …: projects (or period splits) of one phase.
    Period,
    /// One key work's projects.
    Work,
    /// One funding source.
    Source,
    /// Projects of one zone.
    Zone,
    /// Sum of the other printed totals listed in `key` (comma-separated ids).
    Totals,
}

impl TotalBy {
    pub fn key(self) -> &'static str {
        match self {
            TotalBy::All => "all",
            TotalBy::Period => "period",
            TotalBy::Work => "work",
            TotalBy::Source => "source",
            TotalBy::Zone => "zone",
            TotalBy::Totals => "totals",
        }
    }
    pub fn parse(s: &str) -> Option<TotalBy> {
        Some(match s.trim() {
            "all" | "总计" => TotalBy::All,
            "period" | "时段" => TotalBy::Period,
            "work" | "重点工程" => TotalBy::Work,
            "source" | "资金来源" => TotalBy::Source,
            "zone" | "分区" => TotalBy::Zone,
            "totals" | "合计之和" => TotalBy::Totals,
            _ => return None,
        })
    }
}

/// A printed investment total.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatedTotal {
    #[serde(default)]
    pub id: String,
    /// Where it is printed, e.g. 表4-1 or 正文.
    #[serde(default)]
    pub table: String,
    /// Printed label, e.g. 近期合计.
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub by: TotalBy,
    /// Phase / work / source / zone id, or ids of totals for `by = "totals"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    pub amount: Dec,
    /// 万元 (default) or 亿元.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// How much rounding a printed sum may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// The parts are exact (accounts): the total may differ by half a unit of its last digit.
    #[default]
    Exact,
    /// The parts are themselves rounded (measured areas, shares): their half-units add up.
    Rounded,
}

/// A printed "whole = Σ parts" statement.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatedSum {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub table: String,
    #[serde(default)]
    pub label: String,
    pub total: Dec,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(default)]
    pub parts: Vec<Part>,
    #[serde(default)]
    pub rounding: Rounding,
    /// The parts may legitimately overlap (e.g. surface + ground water resources): report as info.
    #[serde(default, skip_serializing_if = "is_false")]
    pub overlap_allowed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// A quantity printed in two units.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub table: String,
    #[serde(default)]
    pub label: String,
    pub value: Dec,
    pub unit: String,
    pub alt_value: Dec,
    pub alt_unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// A printed share: `percent` % = part / whole.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratio {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub table: String,
    #[serde(default)]
    pub label: String,
    pub part: Dec,
    pub whole: Dec,
    pub percent: Dec,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// Which table a printed count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountOf {
    #[default]
    Zones,
    KeyAreas,
    Works,
    /// Projects (of the work named in `of`, or all).
    Projects,
    /// Pattern elements (of the kind named in `of`, or all).
    Pattern,
    Indicators,
    /// Townships of the region, or of the zone named in `of`.
    Townships,
}

impl CountOf {
    pub fn key(self) -> &'static str {
        match self {
            CountOf::Zones => "zones",
            CountOf::KeyAreas => "key_areas",
            CountOf::Works => "works",
            CountOf::Projects => "projects",
            CountOf::Pattern => "pattern",
            CountOf::Indicators => "indicators",
            CountOf::Townships => "townships",
        }
    }
    pub fn parse(s: &str) -> Option<CountOf> {
        Some(match s.trim() {
            "zones" => CountOf::Zones,
            "key_areas" => CountOf::KeyAreas,
            "works" => CountOf::Works,
            "projects" => CountOf::Projects,
            "pattern" => CountOf::Pattern,
            "indicators" => CountOf::Indicators,
            "townships" => CountOf::Townships,
            _ => return None,
        })
    }
}

/// A printed count.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatedCount {
    pub id: String,
    pub table: String,
    pub what: CountOf,
    /// Restricts the count. Zones/key areas: their `kind`. Works: a zone id or a work `kind`.
    /// Projects: a work id, a zone id (projects of the zone's works) or a work `kind`.
    /// Pattern: an element kind. Townships: a zone id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub of: String,
    pub stated: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub printed: String,
}

/// A printed sentence kept verbatim.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Statement {
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub section: String,
    pub text: String,
}

impl Plan {
    /// A new empty plan of the current schema version.
    pub fn new() -> Plan {
        Plan {
            schema_version: SCHEMA_VERSION,
            ..Plan::default()
        }
    }
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.periods.phases.iter().find(|p| p.id == id)
    }
    pub fn work(&self, id: &str) -> Option<&Work> {
        self.works.iter().find(|w| w.id == id)
    }
    pub fn projects_of<'a>(&'a self, work: &'a str) -> impl Iterator<Item = &'a Project> + 'a {
        self.projects.iter().filter(move |p| p.work == work)
    }
}

impl Project {
    /// Investment of this project that falls in `phase`: its split when printed, else all of it
    /// when its phase is `phase`.
    pub fn investment_in(&self, phase: &str) -> Option<Dec> {
        if !self.period_split.is_empty() {
            let parts: Vec<Dec> = self
                .period_split
                .iter()
                .filter(|s| s.period == phase)
                .map(|s| s.amount)
                .collect();
            return if parts.is_empty() {
                None
            } else {
                Some(Dec::sum(parts))
            };
        }
        if self.period == phase {
            self.investment
        } else {
            None
        }
    }
}
