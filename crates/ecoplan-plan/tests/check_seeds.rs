//! The checker on the seed plans: (a) the mistakes printed in 云冈区 are found with the right
//! stated/computed values; (b) mistakes planted in copies of each plan are found; (c) corrected
//! plans produce no errors.

mod common;
use common::{d, plan};
use ecoplan_plan::check::{check, has_errors, CheckParams, Finding, Severity};
use ecoplan_plan::Plan;

fn run(p: &Plan) -> Vec<Finding> {
    check(p, &CheckParams::default())
}

fn find(fs: &[Finding], table: &str, row: &str, field: &str) -> Finding {
    fs.iter()
        .find(|f| f.table == table && f.row.contains(row) && f.field == field)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no finding {table}/{row}/{field} among:\n{}",
                fs.iter()
                    .map(|f| format!("{} {} {} {}", f.table, f.row, f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
}

fn errors(fs: &[Finding]) -> Vec<String> {
    fs.iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} / {} / {}: {}", f.table, f.row, f.field, f.message))
        .collect()
}

#[test]
fn yungang_printed_mistakes_are_found() {
    let fs = run(&plan("000_yungang"));
    let e = |table, row, field, stated: &str, computed: &str, sev: Severity| {
        let f = find(&fs, table, row, field);
        assert_eq!(
            (f.stated.as_str(), f.computed.as_str(), f.severity),
            (stated, computed, sev),
            "{}",
            f.message
        );
    };
    // 表4-1: 中期合计 is 20.00 short of its projects; 总计 matches the projects but not the subtotals.
    e(
        "表4-1",
        "中期合计",
        "amount",
        "334533.88",
        "334553.88",
        Severity::Error,
    );
    e(
        "表4-1",
        "总计（=近期合计+中期合计+远期合计）",
        "amount",
        "516538.85",
        "516518.85",
        Severity::Error,
    );
    assert!(
        !fs.iter().any(|f| f.table == "表4-1" && f.row == "近期合计"),
        "近期合计 is right"
    );
    assert!(
        !fs.iter().any(|f| f.table == "表4-1" && f.row == "总计"),
        "总计 equals the projects' sum"
    );
    // The text rounds the wrong subtotal: 33.45 亿元 where the projects give 33.4554.
    e(
        "正文（第四章第二节）",
        "中期投资",
        "amount",
        "33.45",
        "33.46",
        Severity::Warning,
    );
    // 甘河: six parts add to 169410.77, not 198100(.10).
    e(
        "项目库",
        "4-1 大同甘河",
        "investment_parts",
        "198100",
        "169410.77",
        Severity::Error,
    );
    // 三北 3400亩: 170 + 7.41 + 3.54 = 180.95 ≠ 180.96.
    e(
        "项目库",
        "6-1 ",
        "investment_parts",
        "180.96",
        "180.95",
        Severity::Error,
    );
    // 亩/公顷: 高标准农田重点区 42081.99亩 printed as 1287.06公顷 (copied from the row above).
    e(
        "重点区域",
        "高标准农田重点区",
        "area_alt",
        "1287.06",
        "2805.47",
        Severity::Error,
    );
    // 19306亩 = 1287.0667公顷, printed truncated to 1287.06.
    e(
        "重点区域",
        "防风固沙生态修复重点区",
        "area_alt",
        "1287.06",
        "1287.07",
        Severity::Warning,
    );
    // 2829172.00 m² = 4243.76 亩, printed 4243.80.
    e(
        "第一章 历史遗留矿山",
        "历史遗留废弃矿山图斑总面积",
        "alt_value",
        "4243.80",
        "4243.76",
        Severity::Error,
    );
    // Zones: 279.26 + 98.04 + 360.63 = 737.93 ≠ 737.82 km².
    e(
        "修复分区",
        "合计",
        "area",
        "737.82",
        "737.93",
        Severity::Error,
    );
    // A 2024-12…2025-06 project filed under 中期.
    e("项目库", "6-3 ", "period", "中期", "近期", Severity::Error);
    // 739 water works printed, parts add to 754.
    e(
        "第一章 水资源",
        "各类水利工程设施",
        "total",
        "739",
        "754",
        Severity::Error,
    );
    // Shares: 25/42 = 59.5 %, 245.6/2100 = 11.7 %.
    e(
        "第一章 矿产资源",
        "煤矿占矿山总数",
        "percent",
        "59.6",
        "59.5",
        Severity::Warning,
    );
    e(
        "第一章 问题4",
        "人均水资源总量占全国人均",
        "percent",
        "11.2",
        "11.7",
        Severity::Error,
    );
    // Indicators: red line table 25.95 vs text 25.96; binding indicators lacking targets/baseline.
    e(
        "指标表",
        "3 生态保护红线",
        "2030年",
        "≥25.95",
        "不低于25.96",
        Severity::Warning,
    );
    e(
        "指标表",
        "3 生态保护红线",
        "2025年",
        "25.95",
        "60.31",
        Severity::Warning,
    );
    e(
        "指标表",
        "13 新增煤矸石",
        "targets",
        "2025年、2035年",
        "",
        Severity::Warning,
    );
    e(
        "指标表",
        "12 水土保持率",
        "baseline",
        "-",
        "",
        Severity::Warning,
    );
    // Pattern: key area 4 names 御河 as a corridor; the pattern's 三廊 are 十里河/甘河/口泉河.
    e(
        "重点区域",
        "河道生态治理重点区",
        "pattern_refs",
        "御河",
        "",
        Severity::Warning,
    );
    // Things that are right are not reported.
    for ok in ["煤矸石生态修复治理重点区", "2-4 ", "1-1 "] {
        assert!(
            !fs.iter().any(|f| f.row.contains(ok)
                && f.severity != Severity::Info
                && !f.field.starts_with("town")),
            "unexpected finding for {ok}"
        );
    }
    assert!(has_errors(&fs));
    // JSON has exactly the seven keys.
    let v = serde_json::to_value(&fs).unwrap();
    for o in v.as_array().unwrap() {
        let mut keys: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["computed", "field", "message", "row", "severity", "stated", "table"]
        );
    }
}

#[test]
fn other_seeds_findings() {
    let fs = run(&plan("002_yanggao"));
    let f = find(&fs, "规划信息", "规划范围", "scope_text");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("大同市"), "{}", f.message);
    assert_eq!(find(&fs, "文本", "前言", "text").stated, "我市");

    let fs = run(&plan("003_shangdang"));
    let f = find(&fs, "四、规划目标（二）分期目标", "2035年补充耕地", "total");
    assert_eq!(
        (f.stated.as_str(), f.computed.as_str()),
        ("489.82", "482.67")
    );
    let f = find(
        &fs,
        "重点工程",
        "水环境治理和水生态修复重点工程",
        "townships",
    );
    assert!(f.computed == "荫城镇" || f.computed == "南宋镇");

    let fs = run(&plan("004_turpan"));
    let f = find(&fs, "格局要素", "人工绿洲与艾比湖湿地生态保护区", "name");
    assert_eq!(
        (f.stated.as_str(), f.computed.as_str()),
        ("艾比湖", "艾丁湖")
    );
    assert!(!has_errors(&fs), "{:?}", errors(&fs));

    let fs = run(&plan("001_pingcheng"));
    assert!(fs.is_empty(), "{:?}", fs);
}

// ------------------------------------------------------------- (b) planted mistakes

#[test]
fn planted_in_yungang() {
    // One project's investment.
    let mut p = plan("000_yungang");
    p.projects
        .iter_mut()
        .find(|x| x.id == "3-3")
        .unwrap()
        .investment = Some(d("3300"));
    let fs = run(&p);
    let f = find(&fs, "表4-1", "中期合计", "amount");
    assert_eq!(f.computed, "334653.88");
    let f = find(&fs, "表4-1", "总计", "amount");
    assert_eq!(f.row, "总计");
    assert_eq!(f.computed, "516638.85");

    // One zone area.
    let mut p = plan("000_yungang");
    p.zones[0].area = Some(d("289.26"));
    let fs = run(&p);
    assert_eq!(find(&fs, "修复分区", "合计", "area").computed, "747.93");
    let f = find(&fs, "修复分区", "矿山治理生态修复区", "share_percent");
    assert_eq!(
        (f.stated.as_str(), f.computed.as_str(), f.severity),
        ("37.8", "39.2", Severity::Error)
    );

    // One conversion.
    let mut p = plan("000_yungang");
    p.key_areas
        .iter_mut()
        .find(|k| k.id == "3")
        .unwrap()
        .area_alt = Some(d("478.16"));
    let fs = run(&p);
    let f = find(&fs, "重点区域", "煤矸石生态修复治理重点区", "area_alt");
    assert_eq!(
        (f.computed.as_str(), f.severity),
        ("487.16", Severity::Error)
    );

    // One period.
    let mut p = plan("000_yungang");
    p.projects
        .iter_mut()
        .find(|x| x.id == "7-2")
        .unwrap()
        .end_year = Some(2027);
    let fs = run(&p);
    let f = find(&fs, "项目库", "7-2 ", "period");
    assert_eq!((f.stated.as_str(), f.computed.as_str()), ("近期", "中期"));

    // A project pointing to a work that does not exist.
    let mut p = plan("000_yungang");
    p.projects[0].work = "9".into();
    assert_eq!(
        find(&run(&p), "项目库", "1-1 ", "work").severity,
        Severity::Error
    );

    // A funding amount that no longer adds up.
    let mut p = plan("000_yungang");
    p.projects[0].funding[0].amount = Some(d("3446.80"));
    assert_eq!(
        find(&run(&p), "项目库", "1-1 ", "funding").computed,
        "7200.34"
    );

    // An indicator target moving against its direction.
    let mut p = plan("000_yungang");
    let i = p
        .indicators
        .iter_mut()
        .find(|i| i.name == "森林覆盖率")
        .unwrap();
    i.targets.insert("2030".into(), "≥16.50".into());
    let f = find(&run(&p), "指标表", "6 森林覆盖率", "2030年");
    assert_eq!(
        (f.stated.as_str(), f.computed.as_str(), f.severity),
        ("16.50", "17.06", Severity::Error)
    );

    // A binding indicator without any target.
    let mut p = plan("000_yungang");
    p.indicators[5].targets.clear();
    p.indicators[5].text_targets.clear();
    assert_eq!(
        find(&run(&p), "指标表", "6 森林覆盖率", "targets").severity,
        Severity::Error
    );

    // Scope text naming another county.
    let mut p = plan("000_yungang");
    p.statements[0].text = p.statements[0]
        .text
        .replace("云冈区国土空间", "阳高县国土空间");
    let f = find(&run(&p), "文本", "1 前言", "text");
    assert_eq!(f.stated, "阳高县");
}

#[test]
fn planted_in_pingcheng() {
    let mut p = plan("001_pingcheng");
    p.key_areas.pop();
    let f = find(&run(&p), "前言", "N02", "stated");
    assert_eq!((f.stated.as_str(), f.computed.as_str()), ("7", "6"));

    let mut p = plan("001_pingcheng");
    p.region.scope_text = "规划范围：云冈区全域，国土总面积231.64平方公里。".into();
    let f = find(&run(&p), "规划信息", "规划范围", "scope_text");
    assert_eq!(f.severity, Severity::Error);

    let mut p = plan("001_pingcheng");
    p.region.scope_text = p.region.scope_text.replace("231.64", "213.64");
    assert_eq!(
        find(&run(&p), "规划信息", "规划范围", "scope_text").stated,
        "213.64平方公里"
    );
}

#[test]
fn planted_in_yanggao() {
    let mut p = plan("002_yanggao");
    p.pattern.retain(|x| x.name != "采凉山");
    let f = find(&run(&p), "03 修复布局", "N02", "stated");
    assert_eq!((f.stated.as_str(), f.computed.as_str()), ("4", "3"));

    let mut p = plan("002_yanggao");
    p.projects[0].work = "7".into();
    assert_eq!(
        find(&run(&p), "项目库", "1-1 ", "work").severity,
        Severity::Error
    );

    let mut p = plan("002_yanggao");
    p.projects[0].period = "远期".into();
    assert_eq!(
        find(&run(&p), "项目库", "1-1 ", "period").severity,
        Severity::Error
    );
}

#[test]
fn planted_in_shangdang() {
    let mut p = plan("003_shangdang");
    p.zones[0].townships.push("大同镇".into());
    assert_eq!(
        find(
            &run(&p),
            "修复分区",
            "浊漳河河谷盆地国土综合整治区",
            "townships"
        )
        .stated,
        "大同镇"
    );

    let mut p = plan("003_shangdang");
    let x = p.projects.iter_mut().find(|x| x.id == "6-5").unwrap();
    x.period = "远期".into();
    let f = find(&run(&p), "项目库", "6-5 ", "period");
    assert_eq!((f.stated.as_str(), f.computed.as_str()), ("远期", "近期"));

    let mut p = plan("003_shangdang");
    p.indicators[1]
        .targets
        .insert("2035".into(), "12.00".into());
    assert_eq!(
        find(&run(&p), "指标表", "2 森林覆盖率", "2035年").severity,
        Severity::Error
    );
}

#[test]
fn planted_in_turpan() {
    let mut p = plan("004_turpan");
    p.sums[0].parts[0].amount = d("16");
    let f = find(&run(&p), "第四章 一", "历史遗留废弃矿山个数", "total");
    assert_eq!((f.stated.as_str(), f.computed.as_str()), ("27", "26"));

    let mut p = plan("004_turpan");
    p.ratios[0].percent = d("95");
    let f = find(&run(&p), "第三章 一", "现状生态空间占全域面积", "percent");
    assert_eq!((f.computed.as_str(), f.severity), ("97", Severity::Error));

    let mut p = plan("004_turpan");
    p.projects.retain(|x| x.id != "6-5");
    let f = find(&run(&p), "第四章 三", "N02", "stated");
    assert_eq!((f.stated.as_str(), f.computed.as_str()), ("20", "19"));
}

// ------------------------------------------------------------- (c) corrected plans

/// 云冈区 with every error corrected as the checker suggests.
fn corrected_yungang() -> Plan {
    let mut p = plan("000_yungang");
    p.totals.iter_mut().find(|t| t.id == "T2").unwrap().amount = d("334553.88");
    p.totals.iter_mut().find(|t| t.id == "T7").unwrap().amount = d("33.46");
    let gan = p.projects.iter_mut().find(|x| x.id == "4-1").unwrap();
    gan.investment_parts.push(ecoplan_plan::Part {
        name: "未分项部分".into(),
        amount: d("28689.33"),
    });
    p.projects
        .iter_mut()
        .find(|x| x.id == "6-1")
        .unwrap()
        .investment_parts[2]
        .amount = d("3.55");
    p.projects
        .iter_mut()
        .find(|x| x.id == "6-3")
        .unwrap()
        .end_year = Some(2026);
    p.zones[2].area = Some(d("360.52"));
    p.key_areas
        .iter_mut()
        .find(|k| k.id == "6")
        .unwrap()
        .area_alt = Some(d("1287.07"));
    p.key_areas
        .iter_mut()
        .find(|k| k.id == "7")
        .unwrap()
        .area_alt = Some(d("2805.47"));
    p.sums.iter_mut().find(|s| s.id == "S03").unwrap().total = d("754");
    p.conversions
        .iter_mut()
        .find(|c| c.id == "C01")
        .unwrap()
        .alt_value = d("4243.76");
    p.ratios.iter_mut().find(|r| r.id == "R01").unwrap().percent = d("59.5");
    p.ratios.iter_mut().find(|r| r.id == "R10").unwrap().percent = d("11.7");
    p
}

#[test]
fn corrected_plans_have_no_errors() {
    let fs = run(&corrected_yungang());
    assert!(!has_errors(&fs), "{:#?}", errors(&fs));

    let mut p = plan("002_yanggao");
    p.region.scope_text =
        "《规划》范围为阳高县行政辖区内全部国土空间，总面积1598.3 平方千米。".into();
    p.statements[0].text = p.statements[0].text.replace("我市", "我县");
    let fs = run(&p);
    assert!(!has_errors(&fs), "{:#?}", errors(&fs));
    assert!(!fs.iter().any(|f| f.severity == Severity::Warning));

    let mut p = plan("003_shangdang");
    p.sums[0].total = d("482.67");
    assert!(!has_errors(&run(&p)));

    assert!(!has_errors(&run(&plan("001_pingcheng"))));
    assert!(!has_errors(&run(&plan("004_turpan"))));
}
