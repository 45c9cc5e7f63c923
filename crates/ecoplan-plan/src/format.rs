//! Canonical text forms of a plan (TOML and JSON) and structural validation.

use crate::model::*;
use std::collections::HashSet;

/// Errors reading or writing a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("TOML 解析失败 cannot parse TOML: {0}")]
    Toml(String),
    #[error("JSON 解析失败 cannot parse JSON: {0}")]
    Json(String),
    #[error("CSV 错误 CSV error in {file}: {message}")]
    Csv { file: String, message: String },
    #[error("XLSX 错误 XLSX error: {0}")]
    Xlsx(String),
    #[error("表格内容错误 bad cell in sheet {sheet:?}, row {row}, column {column:?}: {message}")]
    Cell {
        sheet: String,
        row: usize,
        column: String,
        message: String,
    },
    #[error("规划数据不完整或不一致 invalid plan ({} problems):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
    #[error("不支持的数据版本 unsupported schema_version {found} (this ecoplan reads {expected}); convert the file with a matching ecoplan version")]
    Version { found: u32, expected: u32 },
}

/// Separator of list items inside one table cell (乡镇、村 …).
pub const LIST_SEP: &str = "、";

/// Checks structure (not content): version, non-empty unique ids, list items that survive a
/// table cell. Reports every problem at once.
pub fn validate(plan: &Plan) -> Result<(), PlanError> {
    if plan.schema_version != SCHEMA_VERSION {
        return Err(PlanError::Version {
            found: plan.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    let mut p = Vec::new();
    if plan.region.name.trim().is_empty() {
        p.push("region.name 为空 is empty: give the planning region's name (e.g. 云冈区)".into());
    }
    fn ids<'a>(p: &mut Vec<String>, table: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for (i, id) in ids.enumerate() {
            if id.trim().is_empty() {
                p.push(format!(
                    "{table} 第{}行 row {}: id 为空 is empty",
                    i + 1,
                    i + 1
                ));
            } else if !seen.insert(id) {
                p.push(format!(
                    "{table}: id {id:?} 重复 is duplicated; ids must be unique"
                ));
            }
        }
    }
    ids(
        &mut p,
        "indicators",
        plan.indicators.iter().map(|x| x.id.as_str()),
    );
    ids(
        &mut p,
        "pattern",
        plan.pattern.iter().map(|x| x.id.as_str()),
    );
    ids(&mut p, "zones", plan.zones.iter().map(|x| x.id.as_str()));
    ids(
        &mut p,
        "key_areas",
        plan.key_areas.iter().map(|x| x.id.as_str()),
    );
    ids(&mut p, "works", plan.works.iter().map(|x| x.id.as_str()));
    ids(
        &mut p,
        "projects",
        plan.projects.iter().map(|x| x.id.as_str()),
    );
    ids(&mut p, "totals", plan.totals.iter().map(|x| x.id.as_str()));
    ids(&mut p, "sums", plan.sums.iter().map(|x| x.id.as_str()));
    ids(
        &mut p,
        "conversions",
        plan.conversions.iter().map(|x| x.id.as_str()),
    );
    ids(&mut p, "ratios", plan.ratios.iter().map(|x| x.id.as_str()));
    ids(&mut p, "counts", plan.counts.iter().map(|x| x.id.as_str()));
    ids(
        &mut p,
        "statements",
        plan.statements.iter().map(|x| x.id.as_str()),
    );
    ids(
        &mut p,
        "periods.phases",
        plan.periods.phases.iter().map(|x| x.id.as_str()),
    );

    let mut lists: Vec<(String, &Vec<String>)> = vec![
        ("region.ancestors".into(), &plan.region.ancestors),
        ("region.townships".into(), &plan.region.townships),
        ("region.neighbors".into(), &plan.region.neighbors),
    ];
    for z in &plan.zones {
        lists.push((format!("zones[{}].townships", z.id), &z.townships));
        lists.push((format!("zones[{}].modes", z.id), &z.modes));
    }
    for k in &plan.key_areas {
        lists.push((format!("key_areas[{}].zones", k.id), &k.zones));
        lists.push((format!("key_areas[{}].townships", k.id), &k.townships));
        lists.push((format!("key_areas[{}].pattern_refs", k.id), &k.pattern_refs));
    }
    for w in &plan.works {
        lists.push((format!("works[{}].zones", w.id), &w.zones));
        lists.push((format!("works[{}].key_areas", w.id), &w.key_areas));
        lists.push((format!("works[{}].townships", w.id), &w.townships));
    }
    for pr in &plan.projects {
        lists.push((format!("projects[{}].townships", pr.id), &pr.townships));
        lists.push((format!("projects[{}].villages", pr.id), &pr.villages));
        lists.push((format!("projects[{}].zones", pr.id), &pr.zones));
        lists.push((format!("projects[{}].key_areas", pr.id), &pr.key_areas));
    }
    for (name, items) in lists {
        for it in items {
            if it.trim().is_empty() || it.contains(LIST_SEP) {
                p.push(format!(
                    "{name}: 列表项 {it:?} 为空或含分隔符“{LIST_SEP}” item is empty or contains the list separator; split it into separate items"
                ));
            }
        }
    }
    for ph in &plan.periods.phases {
        if ph.start_year > ph.end_year {
            p.push(format!(
                "periods.phases[{}]: 起始年 {} 晚于结束年 {} start year after end year",
                ph.id, ph.start_year, ph.end_year
            ));
        }
    }
    for i in &plan.indicators {
        for y in i.targets.keys().chain(i.text_targets.keys()) {
            if y.parse::<i32>().is_err() {
                p.push(format!(
                    "indicators[{}]: 目标年份 {y:?} 不是年份 target key is not a year (use \"2025\")",
                    i.id
                ));
            }
        }
    }
    for s in &plan.statements {
        if s.text.trim().is_empty() {
            p.push(format!("statements[{}]: 文本为空 text is empty", s.id));
        }
    }
    for pr in &plan.projects {
        for g in [&pr.geometry] {
            if !g.is_empty() && serde_json::from_str::<serde_json::Value>(g).is_err() {
                p.push(format!(
                    "projects[{}].geometry: 不是 GeoJSON is not JSON",
                    pr.id
                ));
            }
        }
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(PlanError::Invalid(p))
    }
}

/// Reads the canonical TOML form.
pub fn from_toml(text: &str) -> Result<Plan, PlanError> {
    let plan: Plan = toml::from_str(text).map_err(|e| PlanError::Toml(e.to_string()))?;
    validate(&plan)?;
    Ok(plan)
}

/// Writes the canonical TOML form.
pub fn to_toml(plan: &Plan) -> Result<String, PlanError> {
    toml::to_string(plan).map_err(|e| PlanError::Toml(e.to_string()))
}

/// Reads the JSON form (same field names as TOML).
pub fn from_json(text: &str) -> Result<Plan, PlanError> {
    let plan: Plan = serde_json::from_str(text).map_err(|e| PlanError::Json(e.to_string()))?;
    validate(&plan)?;
    Ok(plan)
}

/// Writes the JSON form, pretty-printed.
pub fn to_json(plan: &Plan) -> Result<String, PlanError> {
    serde_json::to_string_pretty(plan).map_err(|e| PlanError::Json(e.to_string()))
}
