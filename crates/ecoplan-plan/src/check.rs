//! The plan checker: every printed total against its parts, conversions between units, zone
//! areas and shares, periods against years, indicator targets against their direction and type,
//! references between tables, counts, and text naming another region.
//!
//! Tolerance is the printed precision: a value passes when it is within half a unit of its last
//! printed digit. For accounts (investment tables) the parts are exact, so any larger difference
//! is an **error**. For values that are themselves rounded (measured areas, conversions, shares)
//! a difference of at most one unit in the last digit is a rounding slip (**warning**); more is an
//! **error**. Each finding names the table, the row, the field, the stated and the computed value,
//! and says (Chinese first) what to correct.

use crate::gazetteer::Gazetteer;
use crate::model::*;
use crate::num::{parse_bound, Bound, Cmp, Dec};
use crate::qty::{convert, convert_money, parse_money_wan, parse_unit, Dim};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// One finding. The JSON form has exactly these keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Table (Chinese name) or printed table number (表4-1).
    pub table: String,
    /// Row id or label.
    pub row: String,
    pub field: String,
    /// The printed value.
    pub stated: String,
    /// The value computed from the parts (empty when not a number).
    pub computed: String,
    /// Chinese first, with the suggested correction; English after " | ".
    pub message: String,
}

/// Checker settings.
#[derive(Debug, Clone)]
pub struct CheckParams {
    /// Place names used to spot text naming another region.
    pub gazetteer: Gazetteer,
    /// A 保持 indicator whose floor is this fraction (or more) below its baseline is a warning,
    /// a smaller drop an info (a floor below today's value allows a loss). Default 0.10.
    pub keep_drop_warning: f64,
}

impl Default for CheckParams {
    fn default() -> Self {
        CheckParams {
            gazetteer: Gazetteer::builtin(),
            keep_drop_warning: 0.10,
        }
    }
}

impl CheckParams {
    /// Reports every bad setting at once.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut p = Vec::new();
        if !(0.0..=1.0).contains(&self.keep_drop_warning) {
            p.push(format!(
                "keep_drop_warning = {} 应在 0–1 之间 must be within 0–1",
                self.keep_drop_warning
            ));
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(p)
        }
    }
}

/// True if any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

struct Ctx<'a> {
    plan: &'a Plan,
    params: &'a CheckParams,
    out: Vec<Finding>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        severity: Severity,
        table: &str,
        row: &str,
        field: &str,
        stated: impl Into<String>,
        computed: impl Into<String>,
        message: String,
    ) {
        self.out.push(Finding {
            severity,
            table: table.to_string(),
            row: row.to_string(),
            field: field.to_string(),
            stated: stated.into(),
            computed: computed.into(),
            message,
        });
    }
}

/// Runs every check. Findings come in table order, errors and warnings as found.
pub fn check(plan: &Plan, params: &CheckParams) -> Vec<Finding> {
    let mut c = Ctx {
        plan,
        params,
        out: Vec::new(),
    };
    check_periods(&mut c);
    check_indicators(&mut c);
    check_zones(&mut c);
    check_key_areas(&mut c);
    check_works(&mut c);
    check_projects(&mut c);
    check_totals(&mut c);
    check_sums(&mut c);
    check_conversions(&mut c);
    check_ratios(&mut c);
    check_counts(&mut c);
    check_scope(&mut c);
    c.out
}

// ------------------------------------------------------------------ helpers

/// |a − b| ≤ half a unit of `stated`'s last digit, exactly.
fn within_half(stated: Dec, computed: Dec) -> bool {
    let d = stated.sub(computed).abs();
    // 2·|d| ≤ 10^-scale  ⇔  |d|·2·10^scale ≤ 1 (all exact)
    let s = stated.scale().max(d.scale());
    let twice = d.mantissa() * 2 * 10i128.pow(s - d.scale());
    twice <= 10i128.pow(s - stated.scale())
}

fn fmt_f(v: f64, scale: u32) -> String {
    Dec::from_f64(v, scale).to_string()
}

/// Severity of a rounded comparison: ok / warning (≤ 1 unit in the last digit) / error.
fn rounded_severity(stated: Dec, computed: f64, extra_tol: f64) -> Option<Severity> {
    let d = (stated.to_f64() - computed).abs();
    let eps = 1e-9 * computed.abs().max(1.0);
    if d <= stated.half_ulp() + extra_tol + eps {
        None
    } else if d <= stated.ulp() + extra_tol + eps {
        Some(Severity::Warning)
    } else {
        Some(Severity::Error)
    }
}

fn unit_or<'a>(u: &'a str, default: &'a str) -> &'a str {
    if u.trim().is_empty() {
        default
    } else {
        u
    }
}

/// Short form of a township name: 口泉乡 → 口泉, 韩店街道 → 韩店.
fn township_stem(name: &str) -> &str {
    for suf in ["街道办事处", "街道", "镇", "乡"] {
        if let Some(s) = name.strip_suffix(suf) {
            if s.chars().count() >= 2 {
                return s;
            }
        }
    }
    name
}

// ------------------------------------------------------------------ periods

fn check_periods(c: &mut Ctx) {
    let p = &c.plan.periods;
    let t = "规划期";
    let mut phases: Vec<&Phase> = p.phases.iter().collect();
    phases.sort_by_key(|ph| ph.start_year);
    for w in phases.windows(2) {
        if w[1].start_year != w[0].end_year + 1 {
            c.push(
                Severity::Warning,
                t,
                &w[1].id,
                "start_year",
                w[1].start_year.to_string(),
                (w[0].end_year + 1).to_string(),
                format!(
                    "{}起始年{}与{}结束年{}不衔接，建议{}从{}年开始 | phases do not join",
                    w[1].id,
                    w[1].start_year,
                    w[0].id,
                    w[0].end_year,
                    w[1].id,
                    w[0].end_year + 1
                ),
            );
        }
    }
    if let (Some(s), Some(first)) = (p.start_year, phases.first()) {
        if first.start_year != s {
            c.push(Severity::Warning, t, &first.id, "start_year", first.start_year.to_string(), s.to_string(),
                format!("{}起始年{}与规划期起始年{}不一致 | first phase does not start with the plan period", first.id, first.start_year, s));
        }
    }
    if let (Some(e), Some(last)) = (p.end_year, phases.last()) {
        if last.end_year != e {
            c.push(Severity::Warning, t, &last.id, "end_year", last.end_year.to_string(), e.to_string(),
                format!("{}结束年{}与规划期结束年{}不一致 | last phase does not end with the plan period", last.id, last.end_year, e));
        }
    }
    if let (Some(b), Some(s)) = (p.base_year, p.start_year) {
        if b >= s {
            c.push(Severity::Info, t, "基准年", "base_year", b.to_string(), (s - 1).to_string(),
                format!("基准年{b}不早于规划期起始年{s}（通常为起始年前一年{}） | base year is not before the plan period", s - 1));
        }
    }
}

// ------------------------------------------------------------------ indicators

fn check_indicators(c: &mut Ctx) {
    let t = "指标表";
    let all_years: BTreeSet<String> = c
        .plan
        .indicators
        .iter()
        .flat_map(|i| i.targets.keys().cloned())
        .collect();
    for ind in &c.plan.indicators {
        let row = format!("{} {}", ind.id, ind.name);
        let base = match parse_bound(&ind.baseline) {
            Ok(b) => b,
            Err(_) => {
                c.push(
                    Severity::Error,
                    t,
                    &row,
                    "baseline",
                    ind.baseline.clone(),
                    "",
                    format!(
                        "基期值“{}”不是数值，请填写数值或“-” | baseline is not a number",
                        ind.baseline
                    ),
                );
                None
            }
        };
        let mut targets: Vec<(i32, Bound)> = Vec::new();
        for (y, v) in &ind.targets {
            match parse_bound(v) {
                Ok(Some(b)) => targets.push((y.parse().unwrap_or(0), b)),
                Ok(None) => {}
                Err(_) => c.push(
                    Severity::Error,
                    t,
                    &row,
                    &format!("{y}年"),
                    v.clone(),
                    "",
                    format!("{y}年目标值“{v}”不是数值 | target is not a number"),
                ),
            }
        }
        targets.sort_by_key(|(y, _)| *y);
        if ind.unit.trim() == "%" {
            for (y, b) in targets
                .iter()
                .map(|(y, b)| (y.to_string(), *b))
                .chain(base.map(|b| ("基期".to_string(), b)))
            {
                if b.value.to_f64() > 100.0 || b.value.to_f64() < 0.0 {
                    c.push(
                        Severity::Error,
                        t,
                        &row,
                        &y,
                        b.value.to_string(),
                        "",
                        format!(
                            "百分比指标取值{}超出0–100% | percentage outside 0–100",
                            b.value
                        ),
                    );
                }
            }
        }
        if ind.binding == Some(Binding::Binding) {
            if targets.is_empty() {
                c.push(Severity::Error, t, &row, "targets", "", "",
                    format!("约束性指标“{}”没有目标值，请补充各目标年的目标 | binding indicator without any target", ind.name));
            } else {
                let missing: Vec<&String> = all_years
                    .iter()
                    .filter(|y| !targets.iter().any(|(ty, _)| ty.to_string() == **y))
                    .collect();
                if !missing.is_empty() {
                    let m = missing
                        .iter()
                        .map(|s| format!("{s}年"))
                        .collect::<Vec<_>>()
                        .join("、");
                    c.push(Severity::Warning, t, &row, "targets", m.clone(), "",
                        format!("约束性指标“{}”缺少{}目标值，建议补齐 | binding indicator lacks targets for {m}", ind.name, m));
                }
            }
            if base.is_none() {
                c.push(Severity::Warning, t, &row, "baseline", ind.baseline.clone(), "",
                    format!("约束性指标“{}”缺少基期值，无法评估目标达成 | binding indicator without baseline", ind.name));
            }
        }
        if ind.binding.is_none() {
            c.push(
                Severity::Info,
                t,
                &row,
                "binding",
                "",
                "",
                format!(
                    "指标“{}”未标明约束性/预期性 | binding type not stated",
                    ind.name
                ),
            );
        }
        // Direction: targets in time order, and against the baseline.
        if let Some(dir) = ind.direction {
            for w in targets.windows(2) {
                let ((y0, a), (y1, b)) = (w[0], w[1]);
                let ord = b.value.cmp_value(a.value);
                let bad = match dir {
                    Direction::Increase => ord.is_lt(),
                    Direction::Decrease => ord.is_gt(),
                    Direction::Keep => ord.is_lt(),
                };
                if bad {
                    c.push(Severity::Error, t, &row, &format!("{y1}年"), b.value.to_string(), a.value.to_string(),
                        format!("“{}”为{}类指标，{y1}年目标{}与{y0}年目标{}方向相反；建议{y1}年目标不{}于{}（或更正指标方向） | {y1} target moves against the indicator's direction",
                            ind.name, dir.zh(), b.value, a.value,
                            if dir == Direction::Decrease { "高" } else { "低" }, a.value));
                }
            }
            if let (Some(b0), Some((y, first))) = (base, targets.first()) {
                let ord = first.value.cmp_value(b0.value);
                match dir {
                    Direction::Increase if ord.is_lt() => c.push(Severity::Warning, t, &row, &format!("{y}年"), first.value.to_string(), b0.value.to_string(),
                        format!("“{}”为提高类指标，但{y}年目标{}低于基期值{} | target below baseline for an increasing indicator", ind.name, first.value, b0.value)),
                    Direction::Decrease if ord.is_gt() => c.push(Severity::Warning, t, &row, &format!("{y}年"), first.value.to_string(), b0.value.to_string(),
                        format!("“{}”为降低类指标，但{y}年目标{}高于基期值{} | target above baseline for a decreasing indicator", ind.name, first.value, b0.value)),
                    Direction::Keep if ord.is_lt() && first.cmp != Cmp::Le => {
                        let drop = 1.0 - first.value.to_f64() / b0.value.to_f64();
                        let sev = if drop >= c.params.keep_drop_warning { Severity::Warning } else { Severity::Info };
                        c.push(sev, t, &row, &format!("{y}年"), first.value.to_string(), b0.value.to_string(),
                            format!("“{}”为保持类指标，{y}年目标下限{}低于基期值{}（减少{:.1}%），请核实目标或基期值 | floor below baseline", ind.name, first.value, b0.value, drop * 100.0));
                    }
                    _ => {}
                }
            }
        }
        // Prose against table.
        for (y, txt) in &ind.text_targets {
            let Some(tab) = ind.targets.get(y) else {
                c.push(Severity::Warning, t, &row, &format!("{y}年"), "", txt.clone(),
                    format!("正文给出{y}年目标“{txt}”，指标表未列 | the text states a target the table lacks"));
                continue;
            };
            let (a, b) = (
                parse_bound(tab).ok().flatten(),
                parse_bound(txt).ok().flatten(),
            );
            let same = match (a, b) {
                (Some(a), Some(b)) => a.value.same_value(b.value),
                _ => tab.trim() == txt.trim(),
            };
            if !same {
                c.push(Severity::Warning, t, &row, &format!("{y}年"), tab.clone(), txt.clone(),
                    format!("“{}”{y}年目标：指标表为“{tab}”，正文为“{txt}”，两处不一致，请统一 | table and text disagree", ind.name));
            }
        }
    }
}

// ------------------------------------------------------------------ zones

fn check_zones(c: &mut Ctx) {
    let t = "修复分区";
    let plan = c.plan;
    let region = &plan.region;
    let runit = unit_or(&region.area_unit, "km²");
    let towns: HashSet<&str> = region.townships.iter().map(String::as_str).collect();
    for z in &plan.zones {
        for tw in &z.townships {
            if !towns.is_empty() && !towns.contains(tw.as_str()) {
                c.push(Severity::Error, t, &z.name, "townships", tw.clone(), "",
                    format!("分区“{}”涉及的“{tw}”不是{}的乡镇（街道），请核对 | township not in the region", z.name, region.name));
            }
        }
        if z.area.is_some() && parse_unit(unit_or(&z.area_unit, runit)).is_none() {
            c.push(
                Severity::Warning,
                t,
                &z.name,
                "area_unit",
                z.area_unit.clone(),
                "",
                format!("无法识别面积单位“{}” | unknown area unit", z.area_unit),
            );
        }
    }
    let mut kinds: Vec<&str> = Vec::new();
    for z in &plan.zones {
        if !kinds.contains(&z.kind.as_str()) {
            kinds.push(z.kind.as_str());
        }
    }
    for kind in kinds {
        let zones_k: Vec<&Zone> = plan.zones.iter().filter(|z| z.kind == kind).collect();
        let total_row = if kind.is_empty() {
            "合计".to_string()
        } else {
            format!("{kind}合计")
        };
        let with_area: Vec<&Zone> = zones_k
            .iter()
            .copied()
            .filter(|z| z.area.is_some())
            .collect();
        if let Some(ra) = region.area {
            // Shares against areas.
            for z in &with_area {
                let (Some(a), Some(share)) = (z.area, z.share_percent) else {
                    continue;
                };
                let Some(a_r) = convert(a.to_f64(), unit_or(&z.area_unit, runit), runit) else {
                    continue;
                };
                let computed = a_r / ra.to_f64() * 100.0;
                // The area itself is rounded: propagate half its last digit.
                let extra = a.half_ulp() / ra.to_f64() * 100.0;
                if let Some(sev) = rounded_severity(share, computed, extra) {
                    let fix = fmt_f(computed, share.scale());
                    c.push(sev, t, &z.name, "share_percent", share.to_string(), fix.clone(),
                    format!("分区“{}”面积{}{}占{}总面积{}{}的{:.3}%，印为{}%，建议改为{}% | share does not match the area",
                        z.name, a, unit_or(&z.area_unit, runit), region.name, ra, runit, computed, share, fix));
                }
            }
            if !with_area.is_empty() && with_area.len() == zones_k.len() {
                let mut sum_r = 0.0;
                let mut tol = ra.half_ulp();
                let mut ok = true;
                for z in &with_area {
                    let a = z.area.unwrap_or(Dec::ZERO);
                    match convert(a.to_f64(), unit_or(&z.area_unit, runit), runit) {
                        Some(v) => {
                            sum_r += v;
                            tol += convert(a.half_ulp(), unit_or(&z.area_unit, runit), runit)
                                .unwrap_or(0.0);
                        }
                        None => ok = false,
                    }
                }
                let scale = with_area
                    .iter()
                    .map(|z| z.area.unwrap_or(Dec::ZERO).scale())
                    .max()
                    .unwrap_or(0)
                    .max(ra.scale());
                if ok && (sum_r - ra.to_f64()).abs() > tol + 1e-9 {
                    let parts = with_area
                        .iter()
                        .map(|z| {
                            format!(
                                "{}{}",
                                z.area.unwrap_or(Dec::ZERO),
                                unit_or(&z.area_unit, runit)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("+");
                    c.push(Severity::Error, t, &total_row, "area", ra.to_string(), fmt_f(sum_r, scale),
                    format!("各分区面积之和{parts}={}{runit}，与{}总面积{}{runit}相差{}{runit}；分区应不重不漏覆盖全域，请核对分区面积 | zone areas do not add up to the region's area",
                        fmt_f(sum_r, scale), region.name, ra, fmt_f(sum_r - ra.to_f64(), scale)));
                }
            }
        } else if !with_area.is_empty() {
            c.push(
                Severity::Info,
                t,
                &total_row,
                "area",
                "",
                "",
                "规划区域总面积未给出，无法核对分区面积 | region area not stated".into(),
            );
        }
        let with_share: Vec<Dec> = zones_k.iter().filter_map(|z| z.share_percent).collect();
        if !with_share.is_empty() && with_share.len() == zones_k.len() {
            let sum = Dec::sum(with_share.iter().copied());
            let tol: f64 = with_share.iter().map(|d| d.half_ulp()).sum();
            if (sum.to_f64() - 100.0).abs() > tol + 1e-9 {
                c.push(
                    Severity::Error,
                    t,
                    &total_row,
                    "share_percent",
                    "100",
                    sum.to_string(),
                    format!(
                        "各分区占比之和为{sum}%，应为100% | zone shares do not add up to 100 %"
                    ),
                );
            }
        }
    }
}

// ------------------------------------------------------------------ key areas and works

fn pattern_has(plan: &Plan, r: &str) -> bool {
    plan.pattern.iter().any(|p| {
        p.name.contains(r)
            || (!p.name.is_empty() && r.contains(p.name.as_str()))
            || p.description.contains(r)
    })
}

fn check_key_areas(c: &mut Ctx) {
    let t = "重点区域";
    let plan = c.plan;
    let zones: HashSet<&str> = plan.zones.iter().map(|z| z.id.as_str()).collect();
    let towns: HashSet<&str> = plan.region.townships.iter().map(String::as_str).collect();
    for k in &plan.key_areas {
        for z in &k.zones {
            if !zones.contains(z.as_str()) {
                c.push(
                    Severity::Error,
                    t,
                    &k.name,
                    "zones",
                    z.clone(),
                    "",
                    format!(
                        "重点区域“{}”所属分区“{z}”在修复分区表中不存在 | unknown zone",
                        k.name
                    ),
                );
            }
        }
        for tw in &k.townships {
            if !towns.is_empty() && !towns.contains(tw.as_str()) {
                c.push(
                    Severity::Error,
                    t,
                    &k.name,
                    "townships",
                    tw.clone(),
                    "",
                    format!(
                        "重点区域“{}”涉及的“{tw}”不是{}的乡镇（街道） | township not in the region",
                        k.name, plan.region.name
                    ),
                );
            }
        }
        for r in &k.pattern_refs {
            if !plan.pattern.is_empty() && !pattern_has(plan, r) {
                let names = plan
                    .pattern
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、");
                c.push(Severity::Warning, t, &k.name, "pattern_refs", r.clone(), "",
                    format!("重点区域“{}”提到的“{r}”不在总体格局要素（{names}）中，格局表述前后不一致，请统一 | names a pattern element the pattern does not have", k.name));
            }
        }
        if let (Some(a), Some(alt)) = (k.area, k.area_alt) {
            conversion(
                c,
                t,
                &k.name,
                "area_alt",
                a,
                &k.area_unit,
                alt,
                &k.area_alt_unit,
            );
        }
        if let (Some(a), Some(ra)) = (k.area, plan.region.area) {
            if let Some(v) = convert(
                a.to_f64(),
                &k.area_unit,
                unit_or(&plan.region.area_unit, "km²"),
            ) {
                if v > ra.to_f64() {
                    c.push(
                        Severity::Error,
                        t,
                        &k.name,
                        "area",
                        a.to_string(),
                        "",
                        format!(
                            "重点区域面积超过规划区域总面积{}{} | larger than the region",
                            ra, plan.region.area_unit
                        ),
                    );
                }
            }
        }
    }
}

fn check_works(c: &mut Ctx) {
    let t = "重点工程";
    let plan = c.plan;
    let zones: HashSet<&str> = plan.zones.iter().map(|z| z.id.as_str()).collect();
    let kas: HashSet<&str> = plan.key_areas.iter().map(|z| z.id.as_str()).collect();
    for w in &plan.works {
        for z in &w.zones {
            if !zones.contains(z.as_str()) {
                c.push(
                    Severity::Error,
                    t,
                    &w.name,
                    "zones",
                    z.clone(),
                    "",
                    format!(
                        "重点工程“{}”所属分区“{z}”在修复分区表中不存在 | unknown zone",
                        w.name
                    ),
                );
            }
        }
        for k in &w.key_areas {
            if !kas.contains(k.as_str()) {
                c.push(
                    Severity::Error,
                    t,
                    &w.name,
                    "key_areas",
                    k.clone(),
                    "",
                    format!(
                        "重点工程“{}”所属重点区域“{k}”不存在 | unknown key area",
                        w.name
                    ),
                );
            }
        }
        townships_in_text(c, t, &w.name, &w.townships, &[&w.name, &w.description]);
    }
}

/// Townships listed must be the region's; townships named in the text should be listed.
fn townships_in_text(c: &mut Ctx, table: &str, row: &str, listed: &[String], texts: &[&str]) {
    let region = &c.plan.region;
    let towns: HashSet<&str> = region.townships.iter().map(String::as_str).collect();
    for tw in listed {
        if !towns.is_empty() && !towns.contains(tw.as_str()) {
            c.push(
                Severity::Error,
                table,
                row,
                "townships",
                tw.clone(),
                "",
                format!(
                    "“{row}”所列“{tw}”不是{}的乡镇（街道），请核对 | township not in the region",
                    region.name
                ),
            );
        }
    }
    if listed.is_empty() {
        return;
    }
    // The region's own name (云冈区) and its ancestors contain township stems (云冈): drop them.
    let cleaned: Vec<String> = texts
        .iter()
        .map(|x| {
            let mut x = x.to_string();
            for n in std::iter::once(&region.name).chain(region.ancestors.iter()) {
                x = x.replace(n.as_str(), "");
            }
            x
        })
        .collect();
    for tw in &region.townships {
        if listed.contains(tw) {
            continue;
        }
        let stem = township_stem(tw);
        if cleaned.iter().any(|x| x.contains(stem)) {
            c.push(Severity::Warning, table, row, "townships", listed.join("、"), tw.clone(),
                format!("“{row}”名称或内容提到“{stem}”，但范围只列{}，未含{tw}；疑为从其他条目复制，请核对工程范围 | text names {tw} which its township list lacks", listed.join("、")));
        }
    }
}

// ------------------------------------------------------------------ projects

fn check_projects(c: &mut Ctx) {
    let t = "项目库";
    let plan = c.plan;
    let works: HashSet<&str> = plan.works.iter().map(|w| w.id.as_str()).collect();
    let zones: HashSet<&str> = plan.zones.iter().map(|z| z.id.as_str()).collect();
    let kas: HashSet<&str> = plan.key_areas.iter().map(|z| z.id.as_str()).collect();
    let any_investment = plan.projects.iter().any(|p| p.investment.is_some());
    if !any_investment && !plan.projects.is_empty() {
        c.push(
            Severity::Info,
            t,
            "全部项目",
            "investment",
            "",
            "",
            format!(
                "{}个项目均未列投资估算，无法核对投资与资金来源 | no project states an investment",
                plan.projects.len()
            ),
        );
    }
    for p in &plan.projects {
        let row = format!("{} {}", p.id, p.name);
        if !works.contains(p.work.as_str()) {
            c.push(Severity::Error, t, &row, "work", p.work.clone(), "",
                format!("项目所属重点工程“{}”在重点工程表中不存在，请更正或补充该工程 | the project's key work does not exist", p.work));
        }
        for z in &p.zones {
            if !zones.contains(z.as_str()) {
                c.push(
                    Severity::Error,
                    t,
                    &row,
                    "zones",
                    z.clone(),
                    "",
                    format!("项目所属修复分区“{z}”不存在 | unknown zone"),
                );
            }
        }
        for k in &p.key_areas {
            if !kas.contains(k.as_str()) {
                c.push(
                    Severity::Error,
                    t,
                    &row,
                    "key_areas",
                    k.clone(),
                    "",
                    format!("项目所属重点区域“{k}”不存在 | unknown key area"),
                );
            }
        }
        townships_in_text(c, t, &row, &p.townships, &[&p.name, &p.location]);
        if any_investment && p.investment.is_none() && p.investment_printed.is_empty() {
            c.push(
                Severity::Info,
                t,
                &row,
                "investment",
                "",
                "",
                "项目未列投资估算，不计入投资合计 | no investment stated".into(),
            );
        }
        // Printed investment text against the value.
        if let (Some(inv), false) = (p.investment, p.investment_printed.is_empty()) {
            if let Some(pr) = parse_money_wan(&p.investment_printed) {
                let coarse = if pr.scale() < inv.scale() {
                    (pr, inv)
                } else {
                    (inv, pr)
                };
                if !within_half(coarse.0, coarse.1) {
                    c.push(Severity::Error, t, &row, "investment", inv.to_string(), pr.to_string(),
                        format!("投资额前后不一致：表中为{inv}万元，文中为“{}”（{pr}万元），请统一 | investment differs between table and text", p.investment_printed));
                }
            }
        }
        // Parts of the investment.
        if let (Some(inv), false) = (p.investment, p.investment_parts.is_empty()) {
            let sum = Dec::sum(p.investment_parts.iter().map(|x| x.amount));
            if !within_half(inv, sum) {
                let parts = p
                    .investment_parts
                    .iter()
                    .map(|x| format!("{}{}", x.name, x.amount))
                    .collect::<Vec<_>>()
                    .join("+");
                c.push(Severity::Error, t, &row, "investment_parts", inv.to_string(), sum.to_string(),
                    format!("投资构成之和{parts}={sum}万元，与总投资{inv}万元不符（相差{}万元），请核对总投资或各分项 | investment parts do not add up", sum.sub(inv)));
            }
        }
        // Period split.
        if let (Some(inv), false) = (p.investment, p.period_split.is_empty()) {
            let sum = Dec::sum(p.period_split.iter().map(|x| x.amount));
            if !within_half(inv, sum) {
                c.push(
                    Severity::Error,
                    t,
                    &row,
                    "period_split",
                    inv.to_string(),
                    sum.to_string(),
                    format!(
                        "分期投资之和{sum}万元与总投资{inv}万元不符 | phase split does not add up"
                    ),
                );
            }
            for s in &p.period_split {
                if plan.phase(&s.period).is_none() {
                    c.push(
                        Severity::Error,
                        t,
                        &row,
                        "period_split",
                        s.period.clone(),
                        "",
                        format!(
                            "分期投资的时段“{}”不在规划期时段中 | unknown phase",
                            s.period
                        ),
                    );
                }
            }
        }
        // Funding.
        if let Some(inv) = p.investment {
            let amounts: Vec<Dec> = p.funding.iter().filter_map(|f| f.amount).collect();
            if !amounts.is_empty() {
                let sum = Dec::sum(amounts.iter().copied());
                let all = amounts.len() == p.funding.len();
                if (all && !within_half(inv, sum)) || (!all && sum.cmp_value(inv).is_gt()) {
                    let parts = p
                        .funding
                        .iter()
                        .filter_map(|f| f.amount.map(|a| format!("{}{}", f.source, a)))
                        .collect::<Vec<_>>()
                        .join("+");
                    c.push(Severity::Error, t, &row, "funding", inv.to_string(), sum.to_string(),
                        format!("资金来源之和{parts}={sum}万元，与总投资{inv}万元不符（相差{}万元） | funding sources do not add up to the investment", sum.sub(inv)));
                }
            }
            let shares: Vec<(f64, f64)> = p
                .funding
                .iter()
                .filter_map(|f| parse_share(&f.share))
                .collect();
            if !shares.is_empty() && shares.len() == p.funding.len() {
                let lo: f64 = shares.iter().map(|s| s.0).sum();
                let hi: f64 = shares.iter().map(|s| s.1).sum();
                if lo > 100.0 + 1e-9 || hi < 100.0 - 1e-9 {
                    c.push(Severity::Error, t, &row, "funding", "100%", format!("{lo}%~{hi}%"),
                        format!("资金来源比例合计为{lo}%~{hi}%，不含100% | funding shares cannot add up to 100 %"));
                }
            }
        }
        // Period against years.
        if !p.period.is_empty() {
            match plan.phase(&p.period) {
                None => c.push(
                    Severity::Error,
                    t,
                    &row,
                    "period",
                    p.period.clone(),
                    "",
                    format!(
                        "规划建设期“{}”不是本规划的时段（{}） | unknown phase",
                        p.period,
                        plan.periods
                            .phases
                            .iter()
                            .map(|x| x.id.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                    ),
                ),
                Some(ph) => {
                    if let Some(e) = p.end_year {
                        if e < ph.start_year || e > ph.end_year {
                            let right = plan
                                .periods
                                .phases
                                .iter()
                                .find(|x| x.start_year <= e && e <= x.end_year);
                            c.push(Severity::Error, t, &row, "period", p.period.clone(),
                                right.map(|x| x.id.clone()).unwrap_or_default(),
                                format!("项目{}年完成，不在“{}”（{}–{}年）内{} | completion year outside its phase",
                                    e, ph.id, ph.start_year, ph.end_year,
                                    right.map(|x| format!("，应列入“{}”或更正年份", x.id)).unwrap_or_else(|| "，超出规划期".into())));
                        }
                    }
                }
            }
        }
        if let (Some(s), Some(ps)) = (p.start_year, plan.periods.start_year) {
            if s < ps {
                c.push(Severity::Info, t, &row, "start_year", s.to_string(), ps.to_string(),
                    format!("项目{s}年开始，早于规划期起始年{ps}；规划期前已实施部分不宜计入规划投资，请核实 | starts before the plan period"));
            }
        }
        if let (Some(s), Some(e)) = (p.start_year, p.end_year) {
            if s > e {
                c.push(
                    Severity::Error,
                    t,
                    &row,
                    "end_year",
                    e.to_string(),
                    "",
                    format!("起始年{s}晚于完成年{e} | start after end"),
                );
            }
        }
        if let (Some(v), Some(alt)) = (p.scale_value, p.scale_alt_value) {
            conversion(
                c,
                t,
                &row,
                "scale_alt_value",
                v,
                &p.scale_unit,
                alt,
                &p.scale_alt_unit,
            );
        }
    }
}

/// "70%~80%" → (70, 80); "20%" → (20, 20).
fn parse_share(s: &str) -> Option<(f64, f64)> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let num = |x: &str| {
        x.trim()
            .trim_end_matches(['%', '％'])
            .trim()
            .parse::<f64>()
            .ok()
    };
    for sep in ["~", "～", "-", "—", "至"] {
        if let Some((a, b)) = t.split_once(sep) {
            return Some((num(a)?, num(b)?));
        }
    }
    num(t).map(|v| (v, v))
}

// ------------------------------------------------------------------ totals

/// The amount (万元) a stated total should equal, computed from the projects.
pub fn computed_total(plan: &Plan, st: &StatedTotal) -> Option<Dec> {
    let inv = |p: &Project| p.investment;
    Some(match st.by {
        TotalBy::All => Dec::sum(plan.projects.iter().filter_map(inv)),
        TotalBy::Period => Dec::sum(
            plan.projects
                .iter()
                .filter_map(|p| p.investment_in(&st.key)),
        ),
        TotalBy::Work => Dec::sum(plan.projects_of(&st.key).filter_map(inv)),
        TotalBy::Zone => Dec::sum(
            plan.projects
                .iter()
                .filter(|p| p.zones.contains(&st.key))
                .filter_map(inv),
        ),
        TotalBy::Source => Dec::sum(
            plan.projects
                .iter()
                .flat_map(|p| p.funding.iter())
                .filter(|f| f.source == st.key)
                .filter_map(|f| f.amount),
        ),
        TotalBy::Totals => {
            let mut acc = Dec::ZERO;
            for id in st
                .key
                .split([',', '，', '、'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let other = plan.totals.iter().find(|x| x.id == id)?;
                acc = acc.add(convert_money(
                    other.amount,
                    unit_or(&other.unit, "万元"),
                    "万元",
                )?);
            }
            acc
        }
    })
}

fn check_totals(c: &mut Ctx) {
    let plan = c.plan;
    for st in &plan.totals {
        let unit = unit_or(&st.unit, "万元");
        let key_ok = match st.by {
            TotalBy::Period => plan.phase(&st.key).is_some(),
            TotalBy::Work => plan.work(&st.key).is_some(),
            TotalBy::Zone => plan.zones.iter().any(|z| z.id == st.key),
            TotalBy::Totals => st
                .key
                .split([',', '，', '、'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .all(|id| plan.totals.iter().any(|x| x.id == id)),
            _ => true,
        };
        if !key_ok {
            c.push(Severity::Error, &st.table, &st.label, "key", st.key.clone(), "",
                format!("合计“{}”的口径键“{}”在相应表中不存在 | the total refers to something that does not exist", st.label, st.key));
            continue;
        }
        let Some(wan) = computed_total(plan, st) else {
            continue;
        };
        let Some(computed) = convert_money(wan, "万元", unit) else {
            c.push(
                Severity::Warning,
                &st.table,
                &st.label,
                "unit",
                st.unit.clone(),
                "",
                format!("无法识别金额单位“{}” | unknown money unit", st.unit),
            );
            continue;
        };
        if within_half(st.amount, computed) {
            continue;
        }
        let shown = computed.round_to(st.amount.scale());
        let diff = shown.sub(st.amount);
        let what = match st.by {
            TotalBy::All => "全部项目投资之和".to_string(),
            TotalBy::Period => format!("列入“{}”的项目投资之和", st.key),
            TotalBy::Work => format!(
                "“{}”各项目投资之和",
                plan.work(&st.key)
                    .map(|w| w.name.as_str())
                    .unwrap_or(&st.key)
            ),
            TotalBy::Zone => format!("分区“{}”各项目投资之和", st.key),
            TotalBy::Source => format!("“{}”各项目金额之和", st.key),
            TotalBy::Totals => format!("所列合计（{}）之和", st.key),
        };
        // A 亿元 summary in prose is itself a rounding: one unit off is a slip.
        let sev = if unit == "亿元" && diff.abs().cmp_value(Dec::new(1, st.amount.scale())).is_le()
        {
            Severity::Warning
        } else {
            Severity::Error
        };
        c.push(sev, &st.table, &st.label, "amount", st.amount.to_string(), shown.to_string(),
            format!("{}“{}”印为{}{unit}，{what}为{}{unit}（相差{}{unit}），建议改为{} | printed total does not equal the sum of its parts ({})",
                st.table, st.label, st.amount, computed, diff, shown, computed));
    }
}

fn check_sums(c: &mut Ctx) {
    for s in &c.plan.sums {
        let sum = Dec::sum(s.parts.iter().map(|p| p.amount));
        let bad = match s.rounding {
            Rounding::Exact => !within_half(s.total, sum),
            Rounding::Rounded => {
                let tol: f64 =
                    s.total.half_ulp() + s.parts.iter().map(|p| p.amount.half_ulp()).sum::<f64>();
                (sum.to_f64() - s.total.to_f64()).abs() > tol + 1e-9
            }
        };
        if !bad {
            continue;
        }
        let parts = s
            .parts
            .iter()
            .map(|p| p.amount.to_string())
            .collect::<Vec<_>>()
            .join("+");
        let shown = sum.round_to(
            s.total
                .scale()
                .max(s.parts.iter().map(|p| p.amount.scale()).max().unwrap_or(0)),
        );
        if s.overlap_allowed {
            c.push(Severity::Info, &s.table, &s.label, "total", s.total.to_string(), shown.to_string(),
                format!("“{}”分项之和{parts}={shown}{}与总数{}{}不等；分项可能有重复计算，请在文中说明 | parts may overlap", s.label, s.unit, s.total, s.unit));
        } else {
            c.push(Severity::Error, &s.table, &s.label, "total", s.total.to_string(), shown.to_string(),
                format!("“{}”分项之和{parts}={shown}{}，与所印总数{}{}不符（相差{}），请核对 | printed total does not equal the sum of its parts",
                    s.label, s.unit, s.total, s.unit, shown.sub(s.total)));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn conversion(
    c: &mut Ctx,
    table: &str,
    row: &str,
    field: &str,
    v: Dec,
    unit: &str,
    alt: Dec,
    alt_unit: &str,
) {
    match convert(v.to_f64(), unit, alt_unit) {
        None => {
            c.push(Severity::Warning, table, row, field, format!("{alt}{alt_unit}"), "",
                format!("无法换算“{unit}”与“{alt_unit}”（单位未识别或量纲不同） | cannot convert between these units"));
        }
        Some(x) => {
            // The first value is itself printed to its precision: allow its half-unit, converted.
            let extra = convert(v.half_ulp(), unit, alt_unit).unwrap_or(0.0);
            if let Some(sev) = rounded_severity(
                alt,
                x,
                if v.scale() == 0 && unit_is_coarse(unit, alt_unit) {
                    extra
                } else {
                    0.0
                },
            ) {
                let fix = fmt_f(x, alt.scale());
                c.push(sev, table, row, field, format!("{alt}"), fix.clone(),
                    format!("{v}{unit}应合{}{alt_unit}（1亩=10000/15平方米），印为{alt}{alt_unit}，建议改为{fix}{alt_unit} | {v} {unit} is {x:.4} {alt_unit}, printed {alt}",
                        fmt_f(x, alt.scale() + 2), ));
            }
        }
    }
}

/// An integer value in a coarse unit (e.g. "约1327亩" beside 88.5万㎡) carries its own rounding.
fn unit_is_coarse(unit: &str, alt_unit: &str) -> bool {
    match (parse_unit(unit), parse_unit(alt_unit)) {
        (Some(a), Some(b)) => a.dim == Dim::Area && a.base_per_unit > b.base_per_unit,
        _ => false,
    }
}

fn check_conversions(c: &mut Ctx) {
    for cv in &c.plan.conversions {
        conversion(
            c,
            &cv.table,
            &cv.label,
            "alt_value",
            cv.value,
            &cv.unit,
            cv.alt_value,
            &cv.alt_unit,
        );
    }
}

fn check_ratios(c: &mut Ctx) {
    for r in &c.plan.ratios {
        if r.whole.is_zero() {
            c.push(
                Severity::Error,
                &r.table,
                &r.label,
                "whole",
                "0",
                "",
                "比例的总体为0 | whole is zero".into(),
            );
            continue;
        }
        let x = r.part.to_f64() / r.whole.to_f64() * 100.0;
        if let Some(sev) = rounded_severity(r.percent, x, 0.0) {
            let fix = fmt_f(x, r.percent.scale());
            c.push(sev, &r.table, &r.label, "percent", r.percent.to_string(), fix.clone(),
                format!("{}÷{}={:.4}%，印为{}%，建议改为{fix}% | printed share does not match part/whole", r.part, r.whole, x, r.percent));
        }
    }
}

fn check_counts(c: &mut Ctx) {
    let plan = c.plan;
    for n in &plan.counts {
        let works_of = |of: &str| -> Option<Vec<&Work>> {
            if plan.zones.iter().any(|z| z.id == of) {
                Some(
                    plan.works
                        .iter()
                        .filter(|w| w.zones.iter().any(|z| z == of))
                        .collect(),
                )
            } else if plan.works.iter().any(|w| w.kind == of) {
                Some(plan.works.iter().filter(|w| w.kind == of).collect())
            } else {
                None
            }
        };
        let (actual, what): (Option<usize>, String) = match n.what {
            CountOf::Zones if n.of.is_empty() => (Some(plan.zones.len()), "修复分区".into()),
            CountOf::Zones => (
                Some(plan.zones.iter().filter(|z| z.kind == n.of).count()),
                n.of.clone(),
            ),
            CountOf::KeyAreas if n.of.is_empty() => (Some(plan.key_areas.len()), "重点区域".into()),
            CountOf::KeyAreas => (
                Some(plan.key_areas.iter().filter(|z| z.kind == n.of).count()),
                n.of.clone(),
            ),
            CountOf::Works if n.of.is_empty() => (Some(plan.works.len()), "重点工程".into()),
            CountOf::Works => (
                works_of(&n.of).map(|w| w.len()),
                format!("“{}”的重点工程", n.of),
            ),
            CountOf::Indicators => (Some(plan.indicators.len()), "指标".into()),
            CountOf::Projects if n.of.is_empty() => (Some(plan.projects.len()), "项目".into()),
            CountOf::Projects => (
                if plan.work(&n.of).is_some() {
                    Some(plan.projects_of(&n.of).count())
                } else {
                    works_of(&n.of).map(|ws| {
                        plan.projects
                            .iter()
                            .filter(|p| ws.iter().any(|w| w.id == p.work))
                            .count()
                    })
                },
                format!("“{}”的项目", n.of),
            ),
            CountOf::Pattern if n.of.is_empty() => (Some(plan.pattern.len()), "格局要素".into()),
            CountOf::Pattern => (
                Some(plan.pattern.iter().filter(|p| p.kind == n.of).count()),
                format!("格局要素“{}”", n.of),
            ),
            CountOf::Townships if n.of.is_empty() => {
                (Some(plan.region.townships.len()), "乡镇（街道）".into())
            }
            CountOf::Townships => (
                plan.zones
                    .iter()
                    .find(|z| z.id == n.of)
                    .map(|z| z.townships.len()),
                format!("分区“{}”的乡镇", n.of),
            ),
        };
        match actual {
            None => c.push(Severity::Error, &n.table, &n.id, "of", n.of.clone(), "",
                format!("计数限定“{}”不存在 | unknown qualifier", n.of)),
            Some(a) if a != n.stated as usize => c.push(Severity::Error, &n.table, &n.id, "stated", n.stated.to_string(), a.to_string(),
                format!("文中称{}个{what}（“{}”），实际列出{a}个，请核对 | printed count differs from the items listed", n.stated, n.printed)),
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ scope and wording

fn texts(plan: &Plan) -> Vec<(String, String, String, &str)> {
    let mut v: Vec<(String, String, String, &str)> = Vec::new();
    v.push((
        "规划信息".into(),
        "规划范围".into(),
        "scope_text".into(),
        plan.region.scope_text.as_str(),
    ));
    for s in &plan.statements {
        v.push((
            "文本".into(),
            format!("{} {}", s.id, s.section),
            "text".into(),
            s.text.as_str(),
        ));
    }
    for p in &plan.pattern {
        v.push((
            "格局要素".into(),
            p.name.clone(),
            "name".into(),
            p.name.as_str(),
        ));
        v.push((
            "格局要素".into(),
            p.name.clone(),
            "description".into(),
            p.description.as_str(),
        ));
    }
    for z in &plan.zones {
        for (f, x) in [
            ("name", &z.name),
            ("location", &z.location),
            ("problems", &z.problems),
            ("directions", &z.directions),
        ] {
            v.push(("修复分区".into(), z.name.clone(), f.into(), x.as_str()));
        }
    }
    for k in &plan.key_areas {
        for (f, x) in [
            ("name", &k.name),
            ("location", &k.location),
            ("problems", &k.problems),
            ("measures", &k.measures),
        ] {
            v.push(("重点区域".into(), k.name.clone(), f.into(), x.as_str()));
        }
    }
    for w in &plan.works {
        for (f, x) in [("name", &w.name), ("description", &w.description)] {
            v.push(("重点工程".into(), w.name.clone(), f.into(), x.as_str()));
        }
    }
    for p in &plan.projects {
        let row = format!("{} {}", p.id, p.name);
        for (f, x) in [
            ("name", &p.name),
            ("location", &p.location),
            ("content", &p.content),
            ("funding_text", &p.funding_text),
        ] {
            v.push(("项目库".into(), row.clone(), f.into(), x.as_str()));
        }
    }
    v.retain(|x| !x.3.is_empty());
    v
}

fn region_level(r: &Region) -> String {
    if !r.level.is_empty() {
        return r.level.clone();
    }
    r.name
        .chars()
        .last()
        .map(|c| c.to_string())
        .unwrap_or_default()
}

fn check_scope(c: &mut Ctx) {
    let plan = c.plan;
    let region = &plan.region;
    let gz = &c.params.gazetteer;
    let name = region.name.as_str();
    let stem: String = {
        let n: Vec<char> = name.chars().collect();
        if n.len() > 2 {
            n[..n.len() - 1].iter().collect()
        } else {
            name.to_string()
        }
    };
    // 1. The scope sentence must name the plan's own region.
    let scope = region.scope_text.as_str();
    if !scope.is_empty() {
        let others: Vec<String> = gz
            .mentions(scope)
            .into_iter()
            .filter(|(p, _)| p.is_admin() && p.name != name && !region.townships.contains(&p.name))
            .map(|(_, n)| n)
            .collect();
        if !scope.contains(stem.as_str()) {
            let sev = if others.is_empty() {
                Severity::Warning
            } else {
                Severity::Error
            };
            c.push(sev, "规划信息", "规划范围", "scope_text", scope.to_string(), name.to_string(),
                format!("规划范围表述未提及本规划区域“{name}”{}，疑为从其他规划复制；建议改为“{name}行政辖区内全部国土空间” | the scope sentence does not name the plan's region{}",
                    if others.is_empty() { String::new() } else { format!("，反而写为“{}”", others.join("、")) },
                    if others.is_empty() { String::new() } else { format!(" but names {}", others.join(", ")) }));
        }
        // The area printed in the scope sentence.
        if let Some(ra) = region.area {
            for (num, unit) in numbers_with_units(scope) {
                if let Some(v) = convert(num.to_f64(), &unit, unit_or(&region.area_unit, "km²")) {
                    if rounded_severity(
                        num,
                        convert(ra.to_f64(), unit_or(&region.area_unit, "km²"), &unit).unwrap_or(v),
                        0.0,
                    )
                    .is_some()
                    {
                        c.push(Severity::Error, "规划信息", "规划范围", "scope_text", format!("{num}{unit}"), format!("{ra}{}", region.area_unit),
                            format!("规划范围所述面积{num}{unit}与区域总面积{ra}{}不符 | scope area differs from the region's area", region.area_unit));
                    }
                }
            }
        }
    }
    // 2. Places outside the region and its surroundings.
    let ancestors: HashSet<&str> = region.ancestors.iter().map(String::as_str).collect();
    let neighbors: HashSet<&str> = region.neighbors.iter().map(String::as_str).collect();
    let inside_or_near = |path: &[String]| -> bool {
        let Some(deepest) = path.last() else {
            return true;
        };
        deepest == name
            || ancestors.contains(deepest.as_str())
            || neighbors.contains(deepest.as_str())
            || path.iter().any(|u| u == name)
    };
    let mut reported: HashSet<(String, String)> = HashSet::new();
    for (table, row, field, text) in texts(plan) {
        for (place, said) in gz.mentions(text) {
            if region.townships.contains(&place.name) {
                continue;
            }
            let ok = place.paths.is_empty() || place.paths.iter().any(|p| inside_or_near(p));
            if ok || !reported.insert((place.name.clone(), table.clone() + &row)) {
                continue;
            }
            let whereis = place.paths.first().map(|p| p.join("")).unwrap_or_default();
            let hint = if !place.confusable_with.is_empty()
                && gz
                    .get(&place.confusable_with)
                    .is_some_and(|q| q.paths.iter().any(|p| inside_or_near(p)))
            {
                format!("，是否应为“{}”？", place.confusable_with)
            } else {
                "，请核对是否为从其他规划复制的文字".to_string()
            };
            c.push(Severity::Warning, &table, &row, &field, said.clone(), place.confusable_with.clone(),
                format!("文中提到“{said}”（位于{whereis}），不在{name}及其上级、相邻区域内{hint} | names a place outside the plan's region"));
        }
    }
    // 3. Self-reference 我市/我县/我区 against the region's level.
    let level = region_level(region);
    for (table, row, field, text) in texts(plan) {
        for (word, lvl) in [("我市", "市"), ("我县", "县"), ("我区", "区")] {
            if text.contains(word) && !level.is_empty() && lvl != level {
                c.push(Severity::Warning, &table, &row, &field, word, format!("我{level}"),
                    format!("文中自称“{word}”，但本规划区域“{name}”为{level}级，疑为从其他规划复制；建议改为“我{level}” | self-reference of another level"));
            }
        }
    }
}

/// Numbers followed by a unit in text: "总面积1598.3 平方千米" → [(1598.3, "平方千米")].
fn numbers_with_units(text: &str) -> Vec<(Dec, String)> {
    let units = ["平方千米", "平方公里", "km²", "km2", "公顷", "万亩", "亩"];
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == ',')
            {
                i += 1;
            }
            let num: String = chars[start..i].iter().collect();
            let rest: String = chars[i..].iter().collect();
            let rest_trim = rest.trim_start();
            if let Some(u) = units.iter().find(|u| rest_trim.starts_with(**u)) {
                if let Ok(d) = num.parse::<Dec>() {
                    out.push((d, u.to_string()));
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn half_unit_tolerance_is_exact() {
        let d = |s: &str| s.parse::<Dec>().unwrap();
        assert!(within_half(d("516538.85"), d("516538.845")));
        assert!(!within_half(d("516538.85"), d("516538.844")));
        assert!(within_half(d("198100"), d("198100.10")));
        assert!(!within_half(d("180.96"), d("180.95")));
    }
    #[test]
    fn shares_and_stems() {
        assert_eq!(parse_share("70%~80%"), Some((70.0, 80.0)));
        assert_eq!(parse_share("20%"), Some((20.0, 20.0)));
        assert_eq!(township_stem("口泉乡"), "口泉");
        assert_eq!(township_stem("韩店街道"), "韩店");
        assert_eq!(numbers_with_units("总面积1598.3 平方千米").len(), 1);
    }
}
