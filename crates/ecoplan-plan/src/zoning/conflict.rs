//! Conflict rules (METHODS §4.1): a land-use class or 三生 space ∩ a condition on another layer.

use super::{check_aligned, csv_rows, LayerRef, Space, ZoningError};
use ecoplan_grid::{Cell, Grid};
use rayon::prelude::*;

/// Comparison of a rule's layer value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s.trim() {
            ">" => Op::Gt,
            ">=" | "≥" => Op::Ge,
            "<" => Op::Lt,
            "<=" | "≤" => Op::Le,
            "==" | "=" => Op::Eq,
            "!=" | "≠" => Op::Ne,
            _ => return None,
        })
    }
    #[inline]
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// A conflict rule: cells whose space is in `spaces` (any when empty) and whose land-use class is in
/// `classes` (any when empty) and where `layer op value` holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRule {
    /// 1…255, the value written in the conflict grid.
    pub code: u8,
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub spaces: Vec<Space>,
    pub classes: Vec<u32>,
    /// Name of the layer the condition reads (`importance`, `slope`, `soil_loss_class`, a mask …).
    pub layer: String,
    pub op: Op,
    pub value: f64,
}

impl ConflictRule {
    /// Rules from `presets/zoning/conflict_rules.csv` columns `code, key, name_zh, name_en, spaces,
    /// classes, layer, op, value` (lists separated by `;`). Reports every bad row.
    pub fn from_csv(text: &str) -> Result<Vec<ConflictRule>, ZoningError> {
        const COLS: &[&str] = &[
            "code", "key", "name_zh", "name_en", "spaces", "classes", "layer", "op", "value",
        ];
        let rows = csv_rows(text, "冲突规则表 conflict rules", COLS)?;
        let mut p = Vec::new();
        let mut rules = Vec::new();
        for (n, r) in rows.iter().enumerate() {
            let row = n + 2;
            let before = p.len();
            let code = r["code"].parse::<u8>().ok().filter(|c| *c > 0);
            if code.is_none() {
                p.push(format!("row {row}: code `{}` 应为 1–255", r["code"]));
            }
            let mut spaces = Vec::new();
            for s in r["spaces"]
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match Space::parse(s) {
                    Some(sp) => spaces.push(sp),
                    None => p.push(format!(
                        "row {row}: space `{s}` 应为 ecological/agricultural/urban"
                    )),
                }
            }
            let mut classes = Vec::new();
            for c in r["classes"]
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match c.parse::<u32>() {
                    Ok(v) => classes.push(v),
                    Err(_) => p.push(format!(
                        "row {row}: class `{c}` 不是地类代码 is not a class code"
                    )),
                }
            }
            let op = Op::parse(&r["op"]);
            if op.is_none() {
                p.push(format!("row {row}: op `{}` 应为 > >= < <= == !=", r["op"]));
            }
            let value = r["value"].parse::<f64>().ok().filter(|v| v.is_finite());
            if value.is_none() {
                p.push(format!(
                    "row {row}: value `{}` 不是数值 is not a number",
                    r["value"]
                ));
            }
            if r["layer"].is_empty() {
                p.push(format!("row {row}: layer 为空 names no layer"));
            }
            if r["key"].is_empty() {
                p.push(format!("row {row}: key 为空 is empty"));
            }
            if rules.iter().any(|x: &ConflictRule| Some(x.code) == code) {
                p.push(format!("row {row}: code {} 重复 listed twice", r["code"]));
            }
            if p.len() == before {
                rules.push(ConflictRule {
                    code: code.unwrap_or(0),
                    key: r["key"].clone(),
                    name_zh: r["name_zh"].clone(),
                    name_en: r["name_en"].clone(),
                    spaces,
                    classes,
                    layer: r["layer"].clone(),
                    op: op.unwrap_or(Op::Ne),
                    value: value.unwrap_or(0.0),
                });
            }
        }
        if p.is_empty() {
            Ok(rules)
        } else {
            Err(ZoningError::Preset {
                table: "冲突规则表 conflict rules",
                problems: p,
            })
        }
    }
}

/// Area of one rule's conflict (a cell may count under several rules).
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictStat {
    pub rule: ConflictRule,
    pub cells: u64,
    pub area_m2: f64,
    /// `Some(layer)` when the rule was not evaluated because no layer of that name was given.
    pub missing_layer: Option<String>,
}

/// Result of [`find_conflicts`].
#[derive(Debug, Clone)]
pub struct ConflictResult {
    /// Code of the first rule (in table order) that holds at each cell; 0 none.
    pub primary: Grid<u8>,
    pub stats: Vec<ConflictStat>,
    /// Cells with at least one conflict.
    pub cells_any: u64,
}

/// Evaluates the rules on every cell with a space (non-zero `spaces`). `layers` are looked up by
/// the rules' `layer` names; a rule whose layer is absent is skipped and reported in its stat.
pub fn find_conflicts<T: Cell>(
    landuse: &Grid<T>,
    spaces: &Grid<u8>,
    layers: &[(&str, LayerRef)],
    rules: &[ConflictRule],
) -> Result<ConflictResult, ZoningError> {
    check_aligned(&landuse.spec(), &spaces.spec(), "space grid")?;
    for (name, l) in layers {
        check_aligned(&landuse.spec(), &l.spec(), name)?;
    }
    let active: Vec<(usize, &ConflictRule, LayerRef)> = rules
        .iter()
        .enumerate()
        .filter_map(|(k, r)| {
            layers
                .iter()
                .find(|(n, _)| *n == r.layer)
                .map(|(_, l)| (k, r, *l))
        })
        .collect();
    let mut primary = Grid::filled(&landuse.spec(), 0u8, None);
    const CHUNK: usize = 1 << 16;
    let counts: Vec<u64> = primary
        .data
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut counts = vec![0u64; rules.len() + 1];
            for (j, o) in chunk.iter_mut().enumerate() {
                let i = ci * CHUNK + j;
                let sp = spaces.data[i];
                if sp == 0 || !landuse.is_valid_at(i) {
                    continue;
                }
                let class = landuse.data[i].to_f64();
                let mut any = false;
                for (k, r, l) in &active {
                    if !r.spaces.is_empty() && !r.spaces.iter().any(|s| *s as u8 == sp) {
                        continue;
                    }
                    if !r.classes.is_empty() && !r.classes.iter().any(|c| *c as f64 == class) {
                        continue;
                    }
                    if l.get(i).is_some_and(|v| r.op.holds(v, r.value)) {
                        counts[*k] += 1;
                        if !any {
                            *o = r.code;
                            any = true;
                        }
                    }
                }
                counts[rules.len()] += any as u64;
            }
            counts
        })
        .reduce(
            || vec![0u64; rules.len() + 1],
            |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
        );
    let cell = landuse.transform.cell_area();
    let stats = rules
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let evaluated = active.iter().any(|(a, _, _)| *a == k);
            ConflictStat {
                rule: r.clone(),
                cells: counts[k],
                area_m2: counts[k] as f64 * cell,
                missing_layer: (!evaluated).then(|| r.layer.clone()),
            }
        })
        .collect();
    Ok(ConflictResult {
        primary,
        stats,
        cells_any: counts[rules.len()],
    })
}

#[cfg(test)]
mod tests {
    use super::super::{classify_spaces, SpaceTable, CONFLICT_PRESET, SPACE_PRESET};
    use super::*;

    #[test]
    fn preset_rules_parse() {
        let rules = ConflictRule::from_csv(CONFLICT_PRESET).unwrap();
        assert_eq!(rules.len(), 8);
        assert_eq!(rules[2].key, "steep_cropland");
        assert_eq!(
            (rules[2].op, rules[2].value, rules[2].classes.clone()),
            (Op::Gt, 25.0, vec![1])
        );
    }

    #[test]
    fn conflicts_on_a_tiny_grid() {
        // land use:    cropland cropland built  forest
        // importance:  3        1        3      3
        // slope (°):   10       30       5      40
        let lu = Grid::<u8>::from_rows(4, 1, vec![1, 1, 8, 3]).unwrap();
        let imp = Grid::<u8>::from_rows(4, 1, vec![3, 1, 3, 3]).unwrap();
        let slope = Grid::<f32>::from_rows(4, 1, vec![10.0, 30.0, 5.0, 40.0]).unwrap();
        let table = SpaceTable::from_csv(SPACE_PRESET).unwrap();
        let spaces = classify_spaces(&lu, None, &table).unwrap();
        let rules = ConflictRule::from_csv(CONFLICT_PRESET).unwrap();
        let r = find_conflicts(
            &lu,
            &spaces,
            &[("importance", (&imp).into()), ("slope", (&slope).into())],
            &rules,
        )
        .unwrap();
        // cell 0: agriculture in 极重要 (rule 2); cell 1: steep cropland (rule 3);
        // cell 2: urban in 极重要 (rule 1); cell 3: forest is no conflict.
        assert_eq!(r.primary.data, vec![2, 3, 1, 0]);
        assert_eq!(r.cells_any, 3);
        let by_key = |k: &str| r.stats.iter().find(|s| s.rule.key == k).unwrap();
        assert_eq!(by_key("urban_in_extreme_importance").cells, 1);
        assert_eq!(by_key("steep_cropland").cells, 1);
        assert_eq!(by_key("steep_cropland").area_m2, 1.0);
        // No red-line layer given: that rule is reported as not evaluated.
        assert_eq!(
            by_key("mining_in_red_line").missing_layer.as_deref(),
            Some("red_line")
        );
        assert_eq!(by_key("steep_cropland").missing_layer, None);
    }

    #[test]
    fn bad_rules_are_all_reported() {
        let e = ConflictRule::from_csv(
            "code,key,name_zh,name_en,spaces,classes,layer,op,value\n0,a,,,sea,x,l,>,1\n2,b,,,,,slope,~,y\n",
        )
        .unwrap_err()
        .to_string();
        for needle in [
            "code `0`",
            "space `sea`",
            "class `x`",
            "op `~`",
            "value `y`",
        ] {
            assert!(e.contains(needle), "{needle} in {e}");
        }
    }
}
