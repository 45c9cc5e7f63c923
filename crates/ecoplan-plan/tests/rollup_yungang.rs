//! Rollups of 云冈区 reproduce every right printed subtotal and show the correct value beside each
//! wrong one.

mod common;
use ecoplan_plan::rollup::{indicator_table, rollup, to_json_value, to_markdown, RollupBy};
use ecoplan_plan::tables::Table;

fn row<'a>(t: &'a Table, first: &str) -> &'a Vec<String> {
    t.rows
        .iter()
        .find(|r| r[0] == first || r.get(1).is_some_and(|c| c == first))
        .unwrap_or_else(|| panic!("no row {first} in {}", t.name))
}

fn col(t: &Table, h: &str) -> usize {
    t.headers
        .iter()
        .position(|x| x == h)
        .unwrap_or_else(|| panic!("no column {h}"))
}

#[test]
fn by_period_matches_table_4_1() {
    let p = common::plan("000_yungang");
    let t = rollup(&p, RollupBy::Period);
    let (inv, pr, mk) = (
        col(&t, "投资额（万元）"),
        col(&t, "印刷值"),
        col(&t, "核对"),
    );
    let near = row(&t, "近期合计");
    assert_eq!(
        (near[inv].as_str(), near[pr].as_str(), near[mk].as_str()),
        ("178984.97", "178984.97", "✓")
    );
    let mid = row(&t, "中期合计");
    assert_eq!(mid[inv], "334553.875");
    assert_eq!(mid[pr], "334533.88");
    assert_eq!(mid[mk], "✗ 印为334533.88，应为334553.88");
    let far = row(&t, "远期合计");
    assert_eq!((far[inv].as_str(), far[mk].as_str()), ("3000", "✓"));
    let all = row(&t, "总计");
    assert_eq!(
        (all[inv].as_str(), all[pr].as_str(), all[mk].as_str()),
        ("516538.845", "516538.85", "✓")
    );
    assert_eq!(all[col(&t, "项目数")], "47");
    // The prose 亿元 figures: 17.90 ✓, 33.45 ✗ (33.46), 0.3 ✓, 51.65 ✓.
    let mid_text = row(&t, "中期投资（正文（第四章第二节））");
    assert_eq!(mid_text[mk], "✗ 印为33.45，应为33.46");
    assert_eq!(row(&t, "近期投资（正文（第四章第二节））")[mk], "✓");
    assert_eq!(row(&t, "总投资额（正文（第四章第二节））")[mk], "✓");
}

#[test]
fn by_work_has_the_4_1_layout_and_subtotals() {
    let p = common::plan("000_yungang");
    let t = rollup(&p, RollupBy::Work);
    assert_eq!(
        &t.headers[..4],
        ["重点工程", "子项目", "规划建设期", "投资额（万元）"]
    );
    let inv = col(&t, "投资额（万元）");
    // 煤矸石: 19 projects, 17352.69 近期 + 97617.58 中期.
    assert_eq!(row(&t, "煤矸石生态修复治理重点工程小计")[inv], "114970.27");
    assert_eq!(
        row(&t, "历史遗留废弃矿山生态修复重点工程小计")[inv],
        "7200.35"
    );
    // The mine project shows its phase split as printed.
    assert_eq!(
        row(&t, "大同市云冈区历史遗留废弃矿山生态修复示范项目")[inv],
        "7200.35（近期5760.28，中期1440.07）"
    );
    // 甘河 is marked: its parts add to 169410.77.
    assert_eq!(
        row(&t, "大同甘河河道整治及生态修复工程项目")[col(&t, "核对")],
        "✗ 投资构成之和为169410.77"
    );
    // Subtotals add up to the grand total.
    let sub: f64 = t
        .rows
        .iter()
        .filter(|r| r[1].ends_with("小计"))
        .map(|r| r[inv].parse::<f64>().unwrap())
        .sum();
    assert!((sub - 516538.845).abs() < 1e-6, "{sub}");
    assert_eq!(
        row(&t, "中期合计")[col(&t, "核对")],
        "✗ 印为334533.88，应为334553.88"
    );
}

#[test]
fn by_source_sums_stated_amounts() {
    let p = common::plan("000_yungang");
    let t = rollup(&p, RollupBy::Source);
    let total = row(&t, "合计");
    // Central funds with printed amounts: 3446.81 + 144.77 + 299.42 + 178.12.
    assert_eq!(total[col(&t, "中央财政资金（万元）")], "4069.12");
    assert_eq!(total[col(&t, "地方配套资金（万元）")], "142.075");
    assert_eq!(total[col(&t, "投资额（万元）")], "516538.845");
    assert_eq!(total[col(&t, "省级财政资金（万元）")], "3753.54");
    // Amount not tied to any source = total − stated amounts (4069.12 + 142.075 + 3753.54).
    assert_eq!(total[col(&t, "未列金额（万元）")], "508574.110");
    // 御河一期 keeps its printed shares.
    let r = row(&t, "山西省大同市御河下游生态修复工程(一期)项目");
    assert_eq!(r[col(&t, "中央财政资金（万元）")], "70%~80%");
}

#[test]
fn by_type_and_zone_and_indicators() {
    let p = common::plan("000_yungang");
    let t = rollup(&p, RollupBy::Type);
    let inv = col(&t, "投资额（万元）");
    assert_eq!(row(&t, "高标准农田重点工程")[inv], "8104");
    assert_eq!(row(&t, "总计")[inv], "516538.845");
    // Areas: 高标准农田 42081.99 亩 = 2805.47 公顷.
    assert_eq!(
        row(&t, "高标准农田重点工程")[col(&t, "项目面积（公顷）")],
        "2805.47"
    );
    // Projects carry no zone in this plan: all fall under one row.
    let z = rollup(&p, RollupBy::Zone);
    assert_eq!(row(&z, "（未标注分区）")[col(&z, "项目数")], "47");
    assert_eq!(row(&z, "矿山治理生态修复区")[col(&z, "项目数")], "0");

    let it = indicator_table(&p);
    assert_eq!(
        it.headers,
        [
            "类型",
            "编号",
            "指标名称",
            "单位",
            "2020年",
            "2025年",
            "2030年",
            "2035年",
            "指标属性",
            "方向"
        ]
    );
    assert_eq!(it.rows.len(), 19);
    assert_eq!(
        it.rows[0],
        [
            "生态质量",
            "1",
            "耕地保有量",
            "km2",
            "168.12",
            "≥165.29",
            "≥165.29",
            "≥165.29",
            "约束性",
            "保持"
        ]
    );
    assert_eq!(it.rows[12][0], "修复治理");
    assert!(to_markdown(&it).contains("| 6 | 森林覆盖率 | % | 13.43 | ≥17.06 |"));
    assert_eq!(to_json_value(&it)[5]["指标名称"], "森林覆盖率");
}
