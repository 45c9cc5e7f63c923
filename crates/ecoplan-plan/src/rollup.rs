//! Rollups: investment and area summaries in the layout of a plan's 投资匡算 (表4-1) and
//! 资金来源 (表5-1) tables, and the indicator table (指标表).
//!
//! Every total is computed from the projects. Where the plan printed a total, it is shown beside
//! the computed one with a mark: `✓` when it agrees to the printed precision, `✗` when it does
//! not (the computed value is the correction).

use crate::model::*;
use crate::num::Dec;
use crate::qty::{convert, convert_money, parse_unit, Dim};
use crate::tables::Table;
use std::collections::BTreeMap;

/// What to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupBy {
    /// 近期/中期/远期 and 总计.
    Period,
    /// The 表4-1 layout: projects under their key work, 小计 per work, period totals, 总计.
    Work,
    /// Project type (项目类型; the key work's name when not stated).
    Type,
    /// Restoration zone.
    Zone,
    /// The 表5-1 layout: each project's funding by source, with source totals.
    Source,
}

impl RollupBy {
    pub fn parse(s: &str) -> Option<RollupBy> {
        Some(match s {
            "period" => RollupBy::Period,
            "work" => RollupBy::Work,
            "type" => RollupBy::Type,
            "zone" => RollupBy::Zone,
            "source" => RollupBy::Source,
            _ => return None,
        })
    }
}

/// Mark of a printed value against the computed one.
pub fn mark(printed: Option<Dec>, computed: Dec) -> String {
    match printed {
        None => String::new(),
        Some(p) => {
            let d = p.sub(computed).abs();
            if 2.0 * d.to_f64() <= p.ulp() + 1e-12 {
                "✓".into()
            } else {
                format!("✗ 印为{p}，应为{}", computed.round_to(p.scale()))
            }
        }
    }
}

fn printed_total<'a>(plan: &'a Plan, by: TotalBy, key: &str) -> Option<&'a StatedTotal> {
    plan.totals
        .iter()
        .find(|t| t.by == by && t.key == key && matches!(t.unit.as_str(), "" | "万元"))
}

/// Area of a project's scale in 公顷, when its scale is an area.
pub fn project_area_ha(p: &Project) -> Option<f64> {
    let v = p.scale_value?;
    let u = parse_unit(&p.scale_unit)?;
    (u.dim == Dim::Area).then(|| convert(v.to_f64(), &p.scale_unit, "公顷"))?
}

fn fmt_ha(v: f64) -> String {
    if v == 0.0 {
        String::new()
    } else {
        format!("{v:.2}")
    }
}

fn phases(plan: &Plan) -> Vec<String> {
    let mut v: Vec<String> = plan.periods.phases.iter().map(|p| p.id.clone()).collect();
    for p in &plan.projects {
        for id in std::iter::once(&p.period).chain(p.period_split.iter().map(|s| &s.period)) {
            if !id.is_empty() && !v.contains(id) {
                v.push(id.clone());
            }
        }
    }
    v
}

/// A rollup of the plan's investment (万元) and project areas (公顷).
pub fn rollup(plan: &Plan, by: RollupBy) -> Table {
    match by {
        RollupBy::Period => by_period(plan),
        RollupBy::Work => by_work(plan),
        RollupBy::Source => by_source(plan),
        RollupBy::Type => by_group(
            plan,
            "项目类型",
            |p| {
                if !p.kind.is_empty() {
                    vec![p.kind.clone()]
                } else {
                    vec![plan
                        .work(&p.work)
                        .map(|w| w.name.clone())
                        .unwrap_or_else(|| p.work.clone())]
                }
            },
            None,
        ),
        RollupBy::Zone => by_group(
            plan,
            "修复分区",
            |p| {
                if p.zones.is_empty() {
                    vec!["（未标注分区）".to_string()]
                } else {
                    p.zones.clone()
                }
            },
            Some(TotalBy::Zone),
        ),
    }
}

fn by_period(plan: &Plan) -> Table {
    let headers = [
        "时段",
        "年份",
        "项目数",
        "投资额（万元）",
        "项目面积（公顷）",
        "印刷值",
        "核对",
    ];
    let mut rows = Vec::new();
    let mut all = Dec::ZERO;
    let mut all_n = 0;
    let mut all_ha = 0.0;
    for ph in phases(plan) {
        let years = plan
            .phase(&ph)
            .map(|p| format!("{}–{}", p.start_year, p.end_year))
            .unwrap_or_default();
        let items: Vec<(Dec, &Project)> = plan
            .projects
            .iter()
            .filter_map(|p| p.investment_in(&ph).map(|d| (d, p)))
            .collect();
        let sum = Dec::sum(items.iter().map(|x| x.0));
        let ha: f64 = plan
            .projects
            .iter()
            .filter(|p| p.period == ph)
            .filter_map(project_area_ha)
            .sum();
        all = all.add(sum);
        all_n += plan.projects.iter().filter(|p| p.period == ph).count();
        all_ha += ha;
        let pr = printed_total(plan, TotalBy::Period, &ph).map(|t| t.amount);
        rows.push(vec![
            format!("{ph}合计"),
            years,
            items.len().to_string(),
            sum.to_string(),
            fmt_ha(ha),
            pr.map(|d| d.to_string()).unwrap_or_default(),
            mark(pr, sum),
        ]);
    }
    let pr = printed_total(plan, TotalBy::All, "").map(|t| t.amount);
    rows.push(vec![
        "总计".into(),
        match (plan.periods.start_year, plan.periods.end_year) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => String::new(),
        },
        all_n
            .max(
                plan.projects
                    .iter()
                    .filter(|p| p.investment.is_some())
                    .count(),
            )
            .to_string(),
        all.to_string(),
        fmt_ha(all_ha),
        pr.map(|d| d.to_string()).unwrap_or_default(),
        mark(pr, all),
    ]);
    // Totals printed in other units (正文 "近期投资为17.90亿元").
    for t in plan
        .totals
        .iter()
        .filter(|t| !matches!(t.unit.as_str(), "" | "万元"))
    {
        let Some(computed_wan) = crate::check::computed_total(plan, t) else {
            continue;
        };
        let Some(c) = convert_money(computed_wan, "万元", &t.unit) else {
            continue;
        };
        rows.push(vec![
            format!("{}（{}）", t.label, t.table),
            t.key.clone(),
            String::new(),
            format!("{}{}", c.round_to(t.amount.scale() + 2), t.unit),
            String::new(),
            format!("{}{}", t.amount, t.unit),
            mark(Some(t.amount), c),
        ]);
    }
    Table {
        name: "分期投资汇总".into(),
        file: "rollup_period".into(),
        headers: headers.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}

fn by_work(plan: &Plan) -> Table {
    let headers = [
        "重点工程",
        "子项目",
        "规划建设期",
        "投资额（万元）",
        "项目面积（公顷）",
        "印刷值",
        "核对",
        "测算依据",
    ];
    let mut rows = Vec::new();
    let mut order: Vec<String> = plan.works.iter().map(|w| w.id.clone()).collect();
    for p in &plan.projects {
        if !order.contains(&p.work) {
            order.push(p.work.clone());
        }
    }
    for wid in &order {
        let wname = plan
            .work(wid)
            .map(|w| w.name.clone())
            .unwrap_or_else(|| wid.clone());
        let ps: Vec<&Project> = plan.projects_of(wid).collect();
        for (i, p) in ps.iter().enumerate() {
            let inv = p.investment.map(|d| d.to_string()).unwrap_or_default();
            let inv = if p.period_split.is_empty() {
                inv
            } else {
                let split = p
                    .period_split
                    .iter()
                    .map(|s| format!("{}{}", s.period, s.amount))
                    .collect::<Vec<_>>()
                    .join("，");
                format!("{inv}（{split}）")
            };
            let mut chk = String::new();
            if let (Some(total), false) = (p.investment, p.investment_parts.is_empty()) {
                let s = Dec::sum(p.investment_parts.iter().map(|x| x.amount));
                let m = mark(Some(total), s);
                if m.starts_with('✗') {
                    chk = format!("✗ 投资构成之和为{s}");
                }
            }
            rows.push(vec![
                if i == 0 { wname.clone() } else { String::new() },
                p.name.clone(),
                if p.period_printed.is_empty() {
                    p.period.clone()
                } else {
                    p.period_printed.clone()
                },
                inv,
                project_area_ha(p).map(fmt_ha).unwrap_or_default(),
                String::new(),
                chk,
                p.basis.clone(),
            ]);
        }
        let sum = Dec::sum(ps.iter().filter_map(|p| p.investment));
        let pr = printed_total(plan, TotalBy::Work, wid).map(|t| t.amount);
        let ha: f64 = ps.iter().filter_map(|p| project_area_ha(p)).sum();
        rows.push(vec![
            String::new(),
            format!("{wname}小计"),
            String::new(),
            sum.to_string(),
            fmt_ha(ha),
            pr.map(|d| d.to_string()).unwrap_or_default(),
            mark(pr, sum),
            String::new(),
        ]);
    }
    let period = by_period(plan);
    for r in period.rows {
        // 时段, 年份, 项目数, 投资额, 面积, 印刷值, 核对
        rows.push(vec![
            r[0].clone(),
            String::new(),
            r[1].clone(),
            r[3].clone(),
            r[4].clone(),
            r[5].clone(),
            r[6].clone(),
            String::new(),
        ]);
    }
    Table {
        name: "项目投资匡算".into(),
        file: "rollup_work".into(),
        headers: headers.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}

fn by_source(plan: &Plan) -> Table {
    let mut sources: Vec<String> = Vec::new();
    for f in plan.projects.iter().flat_map(|p| p.funding.iter()) {
        if !sources.contains(&f.source) {
            sources.push(f.source.clone());
        }
    }
    let mut headers: Vec<String> = vec!["重点工程".into(), "项目".into(), "投资额（万元）".into()];
    headers.extend(sources.iter().map(|s| format!("{s}（万元）")));
    headers.push("未列金额（万元）".into());
    headers.push("资金筹措（原文）".into());
    let mut rows = Vec::new();
    let mut col_sums = vec![Dec::ZERO; sources.len()];
    let mut unassigned_sum = Dec::ZERO;
    let mut total = Dec::ZERO;
    let mut last_work = String::new();
    for p in &plan.projects {
        let wname = plan
            .work(&p.work)
            .map(|w| w.name.clone())
            .unwrap_or_else(|| p.work.clone());
        let mut row = vec![
            if wname != last_work {
                wname.clone()
            } else {
                String::new()
            },
            p.name.clone(),
            p.investment.map(|d| d.to_string()).unwrap_or_default(),
        ];
        last_work = wname;
        let mut assigned = Dec::ZERO;
        for (i, s) in sources.iter().enumerate() {
            let amounts: Vec<Dec> = p
                .funding
                .iter()
                .filter(|f| &f.source == s)
                .filter_map(|f| f.amount)
                .collect();
            let shares: Vec<&str> = p
                .funding
                .iter()
                .filter(|f| &f.source == s && f.amount.is_none())
                .map(|f| {
                    if f.share.is_empty() {
                        "未列金额"
                    } else {
                        f.share.as_str()
                    }
                })
                .collect();
            if amounts.is_empty() {
                row.push(shares.join("、"));
            } else {
                let a = Dec::sum(amounts);
                col_sums[i] = col_sums[i].add(a);
                assigned = assigned.add(a);
                row.push(a.to_string());
            }
        }
        let rest = p
            .investment
            .map(|inv| inv.sub(assigned))
            .unwrap_or(Dec::ZERO);
        if let Some(inv) = p.investment {
            total = total.add(inv);
        }
        unassigned_sum = unassigned_sum.add(rest);
        row.push(if rest.is_zero() {
            String::new()
        } else {
            rest.to_string()
        });
        row.push(p.funding_text.clone());
        rows.push(row);
    }
    let mut sum_row = vec!["合计".to_string(), String::new(), total.to_string()];
    sum_row.extend(col_sums.iter().map(|d| d.to_string()));
    sum_row.push(unassigned_sum.to_string());
    sum_row.push(String::new());
    rows.push(sum_row);
    let printed: Vec<Option<Dec>> = sources
        .iter()
        .map(|s| printed_total(plan, TotalBy::Source, s).map(|t| t.amount))
        .collect();
    if printed.iter().any(Option::is_some) {
        let pr_all = printed_total(plan, TotalBy::All, "").map(|t| t.amount);
        let mut r = vec![
            "印刷值".to_string(),
            String::new(),
            pr_all.map(|d| d.to_string()).unwrap_or_default(),
        ];
        r.extend(
            printed
                .iter()
                .map(|d| d.map(|d| d.to_string()).unwrap_or_default()),
        );
        r.push(String::new());
        r.push(String::new());
        rows.push(r);
        let mut r = vec!["核对".to_string(), String::new(), mark(pr_all, total)];
        r.extend(printed.iter().zip(&col_sums).map(|(p, c)| mark(*p, *c)));
        r.push(String::new());
        r.push(String::new());
        rows.push(r);
    }
    Table {
        name: "项目资金来源".into(),
        file: "rollup_source".into(),
        headers,
        rows,
    }
}

fn by_group(
    plan: &Plan,
    label: &str,
    keys: impl Fn(&Project) -> Vec<String>,
    printed_by: Option<TotalBy>,
) -> Table {
    let phs = phases(plan);
    let mut headers: Vec<String> = vec![label.into(), "项目数".into(), "投资额（万元）".into()];
    headers.extend(phs.iter().map(|p| format!("{p}（万元）")));
    headers.extend(["项目面积（公顷）".into(), "印刷值".into(), "核对".into()]);
    let mut groups: BTreeMap<usize, (String, Vec<&Project>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    if printed_by == Some(TotalBy::Zone) {
        order.extend(plan.zones.iter().map(|z| z.id.clone()));
    }
    for p in &plan.projects {
        for k in keys(p) {
            let idx = match order.iter().position(|o| *o == k) {
                Some(i) => i,
                None => {
                    order.push(k.clone());
                    order.len() - 1
                }
            };
            groups
                .entry(idx)
                .or_insert_with(|| (k.clone(), Vec::new()))
                .1
                .push(p);
        }
    }
    let mut rows = Vec::new();
    for (i, key) in order.iter().enumerate() {
        let ps = groups.get(&i).map(|g| g.1.clone()).unwrap_or_default();
        let name = if printed_by == Some(TotalBy::Zone) {
            plan.zones
                .iter()
                .find(|z| z.id == *key)
                .map(|z| z.name.clone())
                .unwrap_or_else(|| key.clone())
        } else {
            key.clone()
        };
        let sum = Dec::sum(ps.iter().filter_map(|p| p.investment));
        let mut row = vec![name, ps.len().to_string(), sum.to_string()];
        for ph in &phs {
            row.push(Dec::sum(ps.iter().filter_map(|p| p.investment_in(ph))).to_string());
        }
        let pr = printed_by
            .and_then(|b| printed_total(plan, b, key))
            .map(|t| t.amount);
        row.push(fmt_ha(ps.iter().filter_map(|p| project_area_ha(p)).sum()));
        row.push(pr.map(|d| d.to_string()).unwrap_or_default());
        row.push(mark(pr, sum));
        rows.push(row);
    }
    let total = Dec::sum(plan.projects.iter().filter_map(|p| p.investment));
    let pr = printed_total(plan, TotalBy::All, "").map(|t| t.amount);
    let mut row = vec![
        "总计".to_string(),
        plan.projects.len().to_string(),
        total.to_string(),
    ];
    for ph in &phs {
        row.push(Dec::sum(plan.projects.iter().filter_map(|p| p.investment_in(ph))).to_string());
    }
    row.push(fmt_ha(
        plan.projects.iter().filter_map(project_area_ha).sum(),
    ));
    row.push(pr.map(|d| d.to_string()).unwrap_or_default());
    row.push(mark(pr, total));
    rows.push(row);
    Table {
        name: format!("按{label}汇总"),
        file: format!(
            "rollup_{}",
            if printed_by.is_some() { "zone" } else { "type" }
        ),
        headers,
        rows,
    }
}

/// The indicator table in the layout of 表2-1 (类型, 编号, 指标名称, 单位, 基期, targets, 指标属性).
pub fn indicator_table(plan: &Plan) -> Table {
    let mut years: Vec<String> = plan
        .indicators
        .iter()
        .flat_map(|i| i.targets.keys().cloned())
        .collect();
    years.sort();
    years.dedup();
    let base_year = plan
        .indicators
        .iter()
        .find_map(|i| i.baseline_year)
        .or(plan.periods.base_year)
        .map(|y| format!("{y}年"))
        .unwrap_or_else(|| "基期".into());
    let mut headers: Vec<String> = vec![
        "类型".into(),
        "编号".into(),
        "指标名称".into(),
        "单位".into(),
        base_year,
    ];
    headers.extend(years.iter().map(|y| format!("{y}年")));
    headers.push("指标属性".into());
    headers.push("方向".into());
    let mut rows = Vec::new();
    let mut last_group = String::new();
    for i in &plan.indicators {
        let mut r = vec![
            if i.group != last_group {
                i.group.clone()
            } else {
                String::new()
            },
            i.id.clone(),
            i.name.clone(),
            i.unit.clone(),
            i.baseline.clone(),
        ];
        last_group = i.group.clone();
        r.extend(
            years
                .iter()
                .map(|y| i.targets.get(y).cloned().unwrap_or_default()),
        );
        r.push(i.binding.map(|b| b.zh().to_string()).unwrap_or_default());
        r.push(i.direction.map(|d| d.zh().to_string()).unwrap_or_default());
        rows.push(r);
    }
    Table {
        name: "指标表".into(),
        file: "indicators".into(),
        headers,
        rows,
    }
}

/// A table as GitHub-flavoured Markdown.
pub fn to_markdown(t: &Table) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "### {}\n\n| {} |\n|{}|\n",
        t.name,
        t.headers
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | "),
        vec!["---"; t.headers.len()].join("|")
    );
    for r in &t.rows {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out
}

/// A table as a JSON array of objects keyed by header.
pub fn to_json_value(t: &Table) -> serde_json::Value {
    serde_json::Value::Array(
        t.rows
            .iter()
            .map(|r| {
                serde_json::Value::Object(
                    t.headers
                        .iter()
                        .zip(r)
                        .map(|(h, c)| (h.clone(), serde_json::Value::String(c.clone())))
                        .collect(),
                )
            })
            .collect(),
    )
}
