//! The plan as sheets with the Chinese column headers planners use, one sheet/CSV per table,
//! and lossless CSV and XLSX forms built on them.
//!
//! Every field of the model has a column; nested lists become child sheets keyed by the parent's
//! id (投资构成, 资金来源明细, 分期投资, 加总分项). List fields (乡镇, 村 …) are joined with "、".
//! Cells are text, so printed precision ("3000.00") survives; numbers typed into a sheet by hand
//! are read too.

use crate::format::{validate, PlanError, LIST_SEP};
use crate::model::*;
use serde_json::{Map, Value};

/// One sheet: a name, a CSV file stem, a header row and text rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (Chinese), e.g. 项目库.
    pub name: String,
    /// CSV file stem (ASCII), e.g. `projects`.
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Int,
    Bool,
    List,
}

struct Col {
    header: &'static str,
    key: &'static str,
    kind: Kind,
}

const fn s(header: &'static str, key: &'static str) -> Col {
    Col {
        header,
        key,
        kind: Kind::Str,
    }
}
const fn i(header: &'static str, key: &'static str) -> Col {
    Col {
        header,
        key,
        kind: Kind::Int,
    }
}
const fn l(header: &'static str, key: &'static str) -> Col {
    Col {
        header,
        key,
        kind: Kind::List,
    }
}
const fn b(header: &'static str, key: &'static str) -> Col {
    Col {
        header,
        key,
        kind: Kind::Bool,
    }
}

type Check = fn(Value) -> Result<(), serde_json::Error>;

fn check_as<T: serde::de::DeserializeOwned>(v: Value) -> Result<(), serde_json::Error> {
    serde_json::from_value::<T>(v).map(|_| ())
}

/// A sheet holding one array of records of the plan.
struct Spec {
    sheet: &'static str,
    file: &'static str,
    /// Field of the plan holding the array.
    field: &'static str,
    cols: &'static [Col],
    check: Check,
}

/// A child sheet: records nested in a parent's array field.
struct ChildSpec {
    sheet: &'static str,
    file: &'static str,
    parent: &'static str,
    parent_header: &'static str,
    field: &'static str,
    cols: &'static [Col],
    check: Check,
}

const INFO_SHEET: &str = "规划信息";
const INFO_FILE: &str = "plan_info";
const PHASE_SHEET: &str = "规划期";
const PHASE_FILE: &str = "phases";

/// Key/value rows of 规划信息: (path, 中文, kind).
const INFO: &[(&str, &str, Kind)] = &[
    ("schema_version", "数据版本", Kind::Int),
    ("meta.title", "规划名称", Kind::Str),
    ("meta.stage", "文本状态", Kind::Str),
    ("meta.publisher", "编制单位", Kind::Str),
    ("meta.date", "日期", Kind::Str),
    ("meta.source", "数据来源", Kind::Str),
    ("meta.note", "备注", Kind::Str),
    ("region.name", "规划区域", Kind::Str),
    ("region.level", "行政级别", Kind::Str),
    ("region.ancestors", "上级行政区", Kind::List),
    ("region.area", "总面积", Kind::Str),
    ("region.area_unit", "面积单位", Kind::Str),
    ("region.townships", "乡镇（街道）", Kind::List),
    ("region.neighbors", "相邻行政区", Kind::List),
    ("region.scope_text", "规划范围（原文）", Kind::Str),
    ("periods.base_year", "基准年", Kind::Int),
    ("periods.start_year", "规划期起始年", Kind::Int),
    ("periods.end_year", "规划期结束年", Kind::Int),
    ("periods.printed", "规划期限（原文）", Kind::Str),
];

const PHASE_COLS: &[Col] = &[
    s("时段", "id"),
    i("起始年", "start_year"),
    i("结束年", "end_year"),
    s("原文", "printed"),
];

const INDICATOR_HEAD: &[Col] = &[
    s("编号", "id"),
    s("类型", "group"),
    s("指标名称", "name"),
    s("单位", "unit"),
    i("基期年", "baseline_year"),
    s("基期值", "baseline"),
];
const INDICATOR_TAIL: &[Col] = &[
    s("指标属性", "binding"),
    s("方向", "direction"),
    s("计算方法", "method"),
    s("数据来源", "source"),
    s("备注", "note"),
];

const SPECS: &[Spec] = &[
    Spec {
        sheet: "格局要素",
        file: "pattern",
        field: "pattern",
        cols: &[
            s("编号", "id"),
            s("类型", "kind"),
            s("名称", "name"),
            s("说明", "description"),
            s("几何(GeoJSON)", "geometry"),
        ],
        check: check_as::<PatternElement>,
    },
    Spec {
        sheet: "修复分区",
        file: "zones",
        field: "zones",
        cols: &[
            s("编号", "id"),
            s("分区名称", "name"),
            s("分区类型", "kind"),
            s("区域范围", "location"),
            s("面积", "area"),
            s("面积单位", "area_unit"),
            s("占比(%)", "share_percent"),
            l("涉及乡镇", "townships"),
            s("生态问题", "problems"),
            s("主攻方向", "directions"),
            l("修复模式", "modes"),
            s("备注", "note"),
            s("几何(GeoJSON)", "geometry"),
        ],
        check: check_as::<Zone>,
    },
    Spec {
        sheet: "重点区域",
        file: "key_areas",
        field: "key_areas",
        cols: &[
            s("编号", "id"),
            s("重点区域名称", "name"),
            s("重点区域类型", "kind"),
            s("区域范围", "location"),
            l("所属分区", "zones"),
            s("面积", "area"),
            s("面积单位", "area_unit"),
            s("换算面积", "area_alt"),
            s("换算单位", "area_alt_unit"),
            s("其他规模", "extent"),
            l("涉及乡镇", "townships"),
            s("生态问题", "problems"),
            s("对策和措施", "measures"),
            l("关联格局要素", "pattern_refs"),
            s("备注", "note"),
            s("几何(GeoJSON)", "geometry"),
        ],
        check: check_as::<KeyArea>,
    },
    Spec {
        sheet: "重点工程",
        file: "works",
        field: "works",
        cols: &[
            s("编号", "id"),
            s("重点工程名称", "name"),
            s("工程类型", "kind"),
            l("所属分区", "zones"),
            l("重点区域", "key_areas"),
            l("工程范围（乡镇）", "townships"),
            s("说明", "description"),
            s("备注", "note"),
        ],
        check: check_as::<Work>,
    },
    Spec {
        sheet: "项目库",
        file: "projects",
        field: "projects",
        cols: &[
            s("编号", "id"),
            s("所属重点工程", "work"),
            s("项目名称", "name"),
            s("项目类型", "kind"),
            s("建设地点", "location"),
            l("乡镇", "townships"),
            l("村", "villages"),
            l("修复分区", "zones"),
            l("重点区域", "key_areas"),
            s("建设规模", "scale"),
            s("规模数值", "scale_value"),
            s("规模单位", "scale_unit"),
            s("换算规模", "scale_alt_value"),
            s("换算单位", "scale_alt_unit"),
            s("建设内容", "content"),
            s("投资估算(万元)", "investment"),
            s("投资（原文）", "investment_printed"),
            s("资金来源", "funding_text"),
            s("规划建设期", "period"),
            s("规划建设期（原文）", "period_printed"),
            i("起始年", "start_year"),
            i("结束年", "end_year"),
            s("实施期限", "schedule"),
            s("前期工作状态", "status"),
            s("责任单位", "responsible"),
            s("测算依据", "basis"),
            s("备注", "note"),
            s("几何(GeoJSON)", "geometry"),
            s("目标地类", "target_class"),
            s("修复措施", "measure"),
        ],
        check: check_as::<Project>,
    },
    Spec {
        sheet: "投资合计",
        file: "totals",
        field: "totals",
        cols: &[
            s("编号", "id"),
            s("所在表", "table"),
            s("名称", "label"),
            s("口径", "by"),
            s("口径键", "key"),
            s("金额", "amount"),
            s("单位", "unit"),
            s("原文", "printed"),
        ],
        check: check_as::<StatedTotal>,
    },
    Spec {
        sheet: "加总关系",
        file: "sums",
        field: "sums",
        cols: &[
            s("编号", "id"),
            s("所在位置", "table"),
            s("名称", "label"),
            s("总数", "total"),
            s("单位", "unit"),
            s("舍入", "rounding"),
            b("允许重叠", "overlap_allowed"),
            s("原文", "printed"),
        ],
        check: check_as::<StatedSum>,
    },
    Spec {
        sheet: "单位换算",
        file: "conversions",
        field: "conversions",
        cols: &[
            s("编号", "id"),
            s("所在位置", "table"),
            s("名称", "label"),
            s("数值", "value"),
            s("单位", "unit"),
            s("换算数值", "alt_value"),
            s("换算单位", "alt_unit"),
            s("原文", "printed"),
        ],
        check: check_as::<Conversion>,
    },
    Spec {
        sheet: "比例",
        file: "ratios",
        field: "ratios",
        cols: &[
            s("编号", "id"),
            s("所在位置", "table"),
            s("名称", "label"),
            s("部分", "part"),
            s("总体", "whole"),
            s("比例(%)", "percent"),
            s("原文", "printed"),
        ],
        check: check_as::<Ratio>,
    },
    Spec {
        sheet: "计数",
        file: "counts",
        field: "counts",
        cols: &[
            s("编号", "id"),
            s("所在位置", "table"),
            s("计数对象", "what"),
            s("限定", "of"),
            i("数量", "stated"),
            s("原文", "printed"),
        ],
        check: check_as::<StatedCount>,
    },
    Spec {
        sheet: "文本",
        file: "statements",
        field: "statements",
        cols: &[s("编号", "id"), s("章节", "section"), s("原文", "text")],
        check: check_as::<Statement>,
    },
];

const CHILDREN: &[ChildSpec] = &[
    ChildSpec {
        sheet: "投资构成",
        file: "investment_parts",
        parent: "projects",
        parent_header: "项目编号",
        field: "investment_parts",
        cols: &[s("构成名称", "name"), s("金额(万元)", "amount")],
        check: check_as::<Part>,
    },
    ChildSpec {
        sheet: "资金来源明细",
        file: "funding",
        parent: "projects",
        parent_header: "项目编号",
        field: "funding",
        cols: &[
            s("资金来源", "source"),
            s("金额(万元)", "amount"),
            s("比例", "share"),
            s("说明", "note"),
        ],
        check: check_as::<Funding>,
    },
    ChildSpec {
        sheet: "分期投资",
        file: "period_split",
        parent: "projects",
        parent_header: "项目编号",
        field: "period_split",
        cols: &[s("时段", "period"), s("金额(万元)", "amount")],
        check: check_as::<PeriodAmount>,
    },
    ChildSpec {
        sheet: "加总分项",
        file: "sum_parts",
        parent: "sums",
        parent_header: "加总编号",
        field: "parts",
        cols: &[s("分项名称", "name"), s("数值", "amount")],
        check: check_as::<Part>,
    },
];

fn cell_of(v: Option<&Value>, kind: Kind) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => {
            if *b {
                "是".into()
            } else {
                String::new()
            }
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if kind == Kind::List => items
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(LIST_SEP),
        Some(other) => other.to_string(),
    }
}

fn value_of(cell: &str, kind: Kind) -> Result<Option<Value>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    Ok(Some(match kind {
        Kind::Str => Value::String(cell.to_string()),
        Kind::Int => {
            let t = cell.trim();
            // Spreadsheets may hand back 2025 as "2025.0".
            let t = t.strip_suffix(".0").unwrap_or(t);
            Value::Number(
                t.parse::<i64>()
                    .map_err(|_| format!("应为整数 expected a whole number, found {cell:?}"))?
                    .into(),
            )
        }
        Kind::Bool => match cell.trim() {
            "是" | "true" | "TRUE" | "1" | "Y" | "y" => Value::Bool(true),
            "否" | "false" | "FALSE" | "0" | "N" | "n" => Value::Bool(false),
            _ => return Err(format!("应为“是”或空 expected 是 or empty, found {cell:?}")),
        },
        Kind::List => Value::Array(
            cell.split(LIST_SEP)
                .map(|x| Value::String(x.to_string()))
                .collect(),
        ),
    }))
}

fn records<'a>(plan: &'a Value, field: &str) -> &'a [Value] {
    plan.get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn target_years(items: &[Value], field: &str) -> Vec<String> {
    let mut ys: Vec<String> = items
        .iter()
        .filter_map(|r| r.get(field).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect();
    ys.sort();
    ys.dedup();
    ys
}

const TARGET_SUFFIX: &str = "年";
const TEXT_TARGET_SUFFIX: &str = "年（正文）";

/// The plan as sheets (规划信息, 规划期, 指标表, 格局要素, 修复分区, 重点区域, 重点工程, 项目库,
/// 投资合计, 加总关系, 单位换算, 比例, 计数, 文本, and the child sheets).
pub fn plan_to_tables(plan: &Plan) -> Result<Vec<Table>, PlanError> {
    let v = serde_json::to_value(plan).map_err(|e| PlanError::Json(e.to_string()))?;
    let mut out = Vec::new();

    // 规划信息
    let mut rows = Vec::new();
    for (path, zh, kind) in INFO {
        let mut cur = Some(&v);
        for part in path.split('.') {
            cur = cur.and_then(|c| c.get(part));
        }
        rows.push(vec![path.to_string(), zh.to_string(), cell_of(cur, *kind)]);
    }
    out.push(Table {
        name: INFO_SHEET.into(),
        file: INFO_FILE.into(),
        headers: vec!["字段".into(), "说明".into(), "值".into()],
        rows,
    });

    // 规划期
    let phases = v
        .get("periods")
        .and_then(|p| p.get("phases"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    out.push(simple_table(PHASE_SHEET, PHASE_FILE, PHASE_COLS, phases));

    // 指标表 with one column per target year.
    let inds = records(&v, "indicators");
    let years = target_years(inds, "targets");
    let text_years = target_years(inds, "text_targets");
    let mut headers: Vec<String> = INDICATOR_HEAD
        .iter()
        .map(|c| c.header.to_string())
        .collect();
    headers.extend(years.iter().map(|y| format!("{y}{TARGET_SUFFIX}")));
    headers.extend(
        text_years
            .iter()
            .map(|y| format!("{y}{TEXT_TARGET_SUFFIX}")),
    );
    headers.extend(INDICATOR_TAIL.iter().map(|c| c.header.to_string()));
    let mut rows = Vec::new();
    for r in inds {
        let mut row: Vec<String> = INDICATOR_HEAD
            .iter()
            .map(|c| cell_of(r.get(c.key), c.kind))
            .collect();
        for y in &years {
            row.push(cell_of(r.get("targets").and_then(|t| t.get(y)), Kind::Str));
        }
        for y in &text_years {
            row.push(cell_of(
                r.get("text_targets").and_then(|t| t.get(y)),
                Kind::Str,
            ));
        }
        row.extend(INDICATOR_TAIL.iter().map(|c| cell_of(r.get(c.key), c.kind)));
        rows.push(row);
    }
    out.push(Table {
        name: "指标表".into(),
        file: "indicators".into(),
        headers,
        rows,
    });

    for spec in SPECS {
        out.push(simple_table(
            spec.sheet,
            spec.file,
            spec.cols,
            records(&v, spec.field),
        ));
    }
    for c in CHILDREN {
        let mut headers = vec![c.parent_header.to_string()];
        headers.extend(c.cols.iter().map(|x| x.header.to_string()));
        let mut rows = Vec::new();
        for parent in records(&v, c.parent) {
            let pid = cell_of(parent.get("id"), Kind::Str);
            for child in parent
                .get(c.field)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let mut row = vec![pid.clone()];
                row.extend(c.cols.iter().map(|x| cell_of(child.get(x.key), x.kind)));
                rows.push(row);
            }
        }
        out.push(Table {
            name: c.sheet.into(),
            file: c.file.into(),
            headers,
            rows,
        });
    }
    Ok(out)
}

/// Columns added after the first exports (scenario inputs): written only when some row has a
/// value, so sheets of plans without them stay byte-identical to earlier exports.
const OMIT_WHEN_EMPTY: &[&str] = &["target_class", "measure"];

fn simple_table(sheet: &str, file: &str, cols: &[Col], items: &[Value]) -> Table {
    let cols: Vec<&Col> = cols
        .iter()
        .filter(|c| {
            !OMIT_WHEN_EMPTY.contains(&c.key)
                || items
                    .iter()
                    .any(|r| !cell_of(r.get(c.key), c.kind).is_empty())
        })
        .collect();
    Table {
        name: sheet.into(),
        file: file.into(),
        headers: cols.iter().map(|c| c.header.to_string()).collect(),
        rows: items
            .iter()
            .map(|r| cols.iter().map(|c| cell_of(r.get(c.key), c.kind)).collect())
            .collect(),
    }
}

fn find<'a>(tables: &'a [Table], sheet: &str, file: &str) -> Option<&'a Table> {
    tables.iter().find(|t| t.name == sheet || t.file == file)
}

fn is_blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// Column index of every header, erroring on headers the sheet does not know.
fn column_map<'a>(
    t: &Table,
    cols: &'a [Col],
    extra_ok: impl Fn(&str) -> bool,
) -> Result<Vec<Option<&'a Col>>, PlanError> {
    t.headers
        .iter()
        .enumerate()
        .map(|(ci, h)| {
            let h = h.trim();
            if let Some(c) = cols.iter().find(|c| c.header == h) {
                Ok(Some(c))
            } else if extra_ok(h)
                || (h.is_empty()
                    && t.rows
                        .iter()
                        .all(|r| r.get(ci).is_none_or(|x| x.is_empty())))
            {
                Ok(None)
            } else {
                Err(PlanError::Cell {
                    sheet: t.name.clone(),
                    row: 1,
                    column: h.to_string(),
                    message: format!(
                        "未知列 unknown column; known columns: {}",
                        cols.iter().map(|c| c.header).collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        })
        .collect()
}

fn row_object(
    t: &Table,
    ri: usize,
    row: &[String],
    map: &[Option<&Col>],
) -> Result<Map<String, Value>, PlanError> {
    let mut obj = Map::new();
    for (ci, col) in map.iter().enumerate() {
        let Some(col) = col else { continue };
        let cell = row.get(ci).map(String::as_str).unwrap_or("");
        match value_of(cell, col.kind) {
            Ok(Some(v)) => {
                obj.insert(col.key.to_string(), v);
            }
            Ok(None) => {}
            Err(message) => {
                return Err(PlanError::Cell {
                    sheet: t.name.clone(),
                    row: ri + 2,
                    column: col.header.to_string(),
                    message,
                })
            }
        }
    }
    Ok(obj)
}

fn checked(
    t: &Table,
    ri: usize,
    obj: Map<String, Value>,
    check: Check,
) -> Result<Value, PlanError> {
    let v = Value::Object(obj);
    check(v.clone()).map_err(|e| PlanError::Cell {
        sheet: t.name.clone(),
        row: ri + 2,
        column: String::new(),
        message: format!("{e}"),
    })?;
    Ok(v)
}

/// Rebuilds a plan from its sheets (the inverse of [`plan_to_tables`]). Sheets may be missing
/// (empty tables); unknown columns are errors naming the sheet and the column.
pub fn plan_from_tables(tables: &[Table]) -> Result<Plan, PlanError> {
    let mut root = Map::new();
    let info = find(tables, INFO_SHEET, INFO_FILE).ok_or_else(|| PlanError::Cell {
        sheet: INFO_SHEET.into(),
        row: 0,
        column: String::new(),
        message: "缺少“规划信息”表 the 规划信息 (plan_info) sheet is missing".into(),
    })?;
    let key_col = info
        .headers
        .iter()
        .position(|h| h.trim() == "字段")
        .unwrap_or(0);
    let val_col = info
        .headers
        .iter()
        .position(|h| h.trim() == "值")
        .unwrap_or(2);
    for (ri, row) in info.rows.iter().enumerate() {
        if is_blank(row) {
            continue;
        }
        let path = row.get(key_col).map(|s| s.trim()).unwrap_or("");
        let Some((_, _, kind)) = INFO.iter().find(|(p, _, _)| *p == path) else {
            return Err(PlanError::Cell {
                sheet: info.name.clone(),
                row: ri + 2,
                column: "字段".into(),
                message: format!("未知字段 unknown field {path:?}"),
            });
        };
        let cell = row.get(val_col).map(String::as_str).unwrap_or("");
        let v = value_of(cell, *kind).map_err(|message| PlanError::Cell {
            sheet: info.name.clone(),
            row: ri + 2,
            column: "值".into(),
            message,
        })?;
        if let Some(v) = v {
            let mut parts = path.split('.').collect::<Vec<_>>();
            let last = parts.pop().unwrap_or(path);
            let mut cur = &mut root;
            for p in parts {
                cur = cur
                    .entry(p.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("object path");
            }
            cur.insert(last.to_string(), v);
        }
    }

    if let Some(t) = find(tables, PHASE_SHEET, PHASE_FILE) {
        let map = column_map(t, PHASE_COLS, |_| false)?;
        let mut items = Vec::new();
        for (ri, row) in t.rows.iter().enumerate() {
            if is_blank(row) {
                continue;
            }
            let obj = row_object(t, ri, row, &map)?;
            items.push(checked(t, ri, obj, check_as::<Phase>)?);
        }
        if !items.is_empty() {
            root.entry("periods".to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("periods object")
                .insert("phases".into(), Value::Array(items));
        }
    }

    if let Some(t) = find(tables, "指标表", "indicators") {
        let cols: Vec<&Col> = INDICATOR_HEAD.iter().chain(INDICATOR_TAIL).collect();
        let mut items = Vec::new();
        for (ri, row) in t.rows.iter().enumerate() {
            if is_blank(row) {
                continue;
            }
            let mut obj = Map::new();
            let mut targets = Map::new();
            let mut text_targets = Map::new();
            for (ci, h) in t.headers.iter().enumerate() {
                let h = h.trim();
                let cell = row.get(ci).map(String::as_str).unwrap_or("");
                if let Some(c) = cols.iter().find(|c| c.header == h) {
                    if let Some(v) = value_of(cell, c.kind).map_err(|message| PlanError::Cell {
                        sheet: t.name.clone(),
                        row: ri + 2,
                        column: h.into(),
                        message,
                    })? {
                        obj.insert(c.key.into(), v);
                    }
                } else if let Some(y) = h
                    .strip_suffix(TEXT_TARGET_SUFFIX)
                    .filter(|y| y.parse::<i32>().is_ok())
                {
                    if !cell.is_empty() {
                        text_targets.insert(y.to_string(), Value::String(cell.into()));
                    }
                } else if let Some(y) = h
                    .strip_suffix(TARGET_SUFFIX)
                    .filter(|y| y.parse::<i32>().is_ok())
                {
                    if !cell.is_empty() {
                        targets.insert(y.to_string(), Value::String(cell.into()));
                    }
                } else if !(h.is_empty() && cell.is_empty()) {
                    return Err(PlanError::Cell {
                        sheet: t.name.clone(),
                        row: 1,
                        column: h.into(),
                        message: "未知列 unknown column (target columns are named like 2025年 or 2025年（正文）)".into(),
                    });
                }
            }
            if !targets.is_empty() {
                obj.insert("targets".into(), Value::Object(targets));
            }
            if !text_targets.is_empty() {
                obj.insert("text_targets".into(), Value::Object(text_targets));
            }
            items.push(checked(t, ri, obj, check_as::<Indicator>)?);
        }
        if !items.is_empty() {
            root.insert("indicators".into(), Value::Array(items));
        }
    }

    for spec in SPECS {
        let Some(t) = find(tables, spec.sheet, spec.file) else {
            continue;
        };
        let map = column_map(t, spec.cols, |_| false)?;
        let mut items = Vec::new();
        for (ri, row) in t.rows.iter().enumerate() {
            if is_blank(row) {
                continue;
            }
            let obj = row_object(t, ri, row, &map)?;
            // Children are attached below; check the parent without them first.
            let mut probe = obj.clone();
            if spec.field == "sums" {
                probe.insert("parts".into(), Value::Array(vec![]));
            }
            checked(t, ri, probe, spec.check)?;
            items.push(Value::Object(obj));
        }
        if !items.is_empty() {
            root.insert(spec.field.into(), Value::Array(items));
        }
    }

    for c in CHILDREN {
        let Some(t) = find(tables, c.sheet, c.file) else {
            continue;
        };
        let map = column_map(t, c.cols, |h| h == c.parent_header)?;
        let pcol = t
            .headers
            .iter()
            .position(|h| h.trim() == c.parent_header)
            .ok_or_else(|| PlanError::Cell {
                sheet: t.name.clone(),
                row: 1,
                column: c.parent_header.into(),
                message: "缺少上级编号列 missing the parent-id column".into(),
            })?;
        for (ri, row) in t.rows.iter().enumerate() {
            if is_blank(row) {
                continue;
            }
            let pid = row.get(pcol).map(|s| s.trim()).unwrap_or("");
            let obj = row_object(t, ri, row, &map)?;
            let child = checked(t, ri, obj, c.check)?;
            let parent = root
                .get_mut(c.parent)
                .and_then(Value::as_array_mut)
                .and_then(|arr| {
                    arr.iter_mut()
                        .find(|p| p.get("id").and_then(Value::as_str) == Some(pid))
                })
                .and_then(Value::as_object_mut)
                .ok_or_else(|| PlanError::Cell {
                    sheet: t.name.clone(),
                    row: ri + 2,
                    column: c.parent_header.into(),
                    message: format!("编号 {pid:?} 在上级表中不存在 no parent row with this id"),
                })?;
            parent
                .entry(c.field.to_string())
                .or_insert_with(|| Value::Array(vec![]))
                .as_array_mut()
                .expect("child array")
                .push(child);
        }
    }
    if let Some(sums) = root.get_mut("sums").and_then(Value::as_array_mut) {
        for s in sums.iter_mut().filter_map(Value::as_object_mut) {
            s.entry("parts".to_string())
                .or_insert_with(|| Value::Array(vec![]));
        }
    }
    let plan: Plan =
        serde_json::from_value(Value::Object(root)).map_err(|e| PlanError::Json(e.to_string()))?;
    validate(&plan)?;
    Ok(plan)
}

// ---------------------------------------------------------------- CSV

const BOM: &str = "\u{feff}";

/// One CSV per sheet: `(file name, bytes)`, UTF-8 with a BOM so spreadsheet programs detect it.
pub fn to_csv_files(plan: &Plan) -> Result<Vec<(String, Vec<u8>)>, PlanError> {
    plan_to_tables(plan)?
        .iter()
        .map(|t| Ok((format!("{}.csv", t.file), table_to_csv(t)?)))
        .collect()
}

/// Writes one table as CSV bytes.
pub fn table_to_csv(t: &Table) -> Result<Vec<u8>, PlanError> {
    let err = |e: csv::Error| PlanError::Csv {
        file: t.file.clone(),
        message: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new()
        .flexible(false)
        .from_writer(Vec::new());
    w.write_record(&t.headers).map_err(err)?;
    for r in &t.rows {
        w.write_record(r).map_err(err)?;
    }
    let body = w.into_inner().map_err(|e| PlanError::Csv {
        file: t.file.clone(),
        message: e.to_string(),
    })?;
    let mut out = BOM.as_bytes().to_vec();
    out.extend(body);
    Ok(out)
}

/// Reads one CSV (file stem names the sheet) into a table.
pub fn table_from_csv(file_stem: &str, bytes: &[u8]) -> Result<Table, PlanError> {
    let err = |message: String| PlanError::Csv {
        file: file_stem.to_string(),
        message,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| err("不是 UTF-8 编码 not UTF-8; save the CSV as UTF-8".into()))?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| err(e.to_string()))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    if rows.is_empty() {
        return Err(err(
            "空文件 empty file: the first row must be the header".into()
        ));
    }
    let headers = rows.remove(0);
    let name = sheet_name_of(file_stem).unwrap_or(file_stem).to_string();
    Ok(Table {
        name,
        file: file_stem.to_string(),
        headers,
        rows,
    })
}

/// Sheet name of a CSV file stem (and accepts the sheet name itself as a stem).
pub fn sheet_name_of(stem: &str) -> Option<&'static str> {
    let all = [
        (INFO_FILE, INFO_SHEET),
        (PHASE_FILE, PHASE_SHEET),
        ("indicators", "指标表"),
    ];
    all.iter()
        .copied()
        .chain(SPECS.iter().map(|s| (s.file, s.sheet)))
        .chain(CHILDREN.iter().map(|c| (c.file, c.sheet)))
        .find(|(f, sh)| *f == stem || *sh == stem)
        .map(|(_, sh)| sh)
}

/// Reads a plan from its CSV files `(file name, bytes)`.
pub fn from_csv_files(files: &[(String, Vec<u8>)]) -> Result<Plan, PlanError> {
    let mut tables = Vec::new();
    for (name, bytes) in files {
        let stem = name.strip_suffix(".csv").unwrap_or(name);
        tables.push(table_from_csv(stem, bytes)?);
    }
    plan_from_tables(&tables)
}

// ---------------------------------------------------------------- XLSX

/// The plan as an XLSX workbook (one sheet per table, text cells, bold frozen header).
pub fn to_xlsx(plan: &Plan) -> Result<Vec<u8>, PlanError> {
    tables_to_xlsx(&plan_to_tables(plan)?)
}

/// Any tables as an XLSX workbook.
pub fn tables_to_xlsx(tables: &[Table]) -> Result<Vec<u8>, PlanError> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| PlanError::Xlsx(e.to_string());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.name).map_err(e)?;
        for (c, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)
                .map_err(e)?;
            let width = t
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .chain(std::iter::once(h))
                .map(|s| s.chars().count().min(40))
                .max()
                .unwrap_or(8);
            ws.set_column_width(c as u16, (width as f64 * 1.8).clamp(6.0, 70.0))
                .map_err(e)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string((r + 1) as u32, c as u16, v).map_err(e)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}

/// Reads every sheet of an XLSX workbook as text tables.
pub fn tables_from_xlsx(bytes: &[u8]) -> Result<Vec<Table>, PlanError> {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e: calamine::XlsxError| PlanError::Xlsx(e.to_string()))?;
    let mut out = Vec::new();
    for name in wb.sheet_names().to_vec() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| PlanError::Xlsx(format!("{name}: {e}")))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let (r1, c1) = range.end().unwrap_or((0, 0));
        let nrows = if range.is_empty() { 0 } else { r1 as usize + 1 };
        let ncols = if range.is_empty() { 0 } else { c1 as usize + 1 };
        let mut grid = vec![vec![String::new(); ncols]; nrows];
        for (r, c, d) in range.cells() {
            let text = match d {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) => format!("{f}"),
                Data::Bool(b) => {
                    if *b {
                        "是".into()
                    } else {
                        String::new()
                    }
                }
                Data::DateTime(dt) => dt.to_string(),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => {
                    return Err(PlanError::Cell {
                        sheet: name.clone(),
                        row: r + r0 as usize + 1,
                        column: format!("{}", c + c0 as usize + 1),
                        message: format!("单元格错误 cell error {e:?}"),
                    })
                }
            };
            grid[r + r0 as usize][c + c0 as usize] = text;
        }
        if grid.is_empty() {
            continue;
        }
        let mut headers = grid.remove(0);
        while headers.last().is_some_and(String::is_empty) {
            headers.pop();
        }
        let rows = grid
            .into_iter()
            .map(|mut r| {
                r.truncate(headers.len());
                r
            })
            .collect();
        let file = SPECS
            .iter()
            .map(|s| (s.sheet, s.file))
            .chain(CHILDREN.iter().map(|c| (c.sheet, c.file)))
            .chain([
                (INFO_SHEET, INFO_FILE),
                (PHASE_SHEET, PHASE_FILE),
                ("指标表", "indicators"),
            ])
            .find(|(sh, _)| *sh == name)
            .map(|(_, f)| f.to_string())
            .unwrap_or_else(|| name.clone());
        out.push(Table {
            name,
            file,
            headers,
            rows,
        });
    }
    Ok(out)
}

/// Reads a plan from an XLSX workbook written by [`to_xlsx`] (or edited by a planner).
pub fn from_xlsx(bytes: &[u8]) -> Result<Plan, PlanError> {
    plan_from_tables(&tables_from_xlsx(bytes)?)
}
