//! Lossless round trips of the five seed plans: TOML → JSON/CSV/XLSX → TOML gives the same text.

mod common;
use common::PLANS;
use ecoplan_plan::{from_json, from_toml, tables, to_json, to_toml};

#[test]
fn toml_is_canonical() {
    for (name, text) in PLANS {
        let plan = from_toml(text).unwrap();
        let again = to_toml(&plan).unwrap();
        assert_eq!(from_toml(&again).unwrap(), plan, "{name}");
        // The shipped file is in canonical form (written by to_toml).
        assert_eq!(
            again, text,
            "{name}: examples file is not canonical; regenerate with plan-convert"
        );
    }
}

#[test]
fn json_round_trip() {
    for (name, text) in PLANS {
        let plan = from_toml(text).unwrap();
        let json = to_json(&plan).unwrap();
        let back = from_json(&json).unwrap();
        assert_eq!(back, plan, "{name}");
        assert_eq!(to_toml(&back).unwrap(), text, "{name}");
    }
}

#[test]
fn csv_round_trip() {
    for (name, text) in PLANS {
        let plan = from_toml(text).unwrap();
        let files = tables::to_csv_files(&plan).unwrap();
        assert!(files.iter().any(|(f, _)| f == "projects.csv"));
        // Headers are the Chinese column names planners use.
        let projects = files.iter().find(|(f, _)| f == "projects.csv").unwrap();
        let head = String::from_utf8(projects.1.clone()).unwrap();
        assert!(
            head.starts_with("\u{feff}编号,所属重点工程,项目名称"),
            "{head:.80}"
        );
        assert!(
            head.contains("建设地点")
                && head.contains("建设规模")
                && head.contains("投资估算(万元)")
                && head.contains("实施期限")
        );
        let back = tables::from_csv_files(&files).unwrap();
        assert_eq!(back, plan, "{name}");
        assert_eq!(to_toml(&back).unwrap(), text, "{name}");
    }
}

#[test]
fn xlsx_round_trip() {
    for (name, text) in PLANS {
        let plan = from_toml(text).unwrap();
        let bytes = tables::to_xlsx(&plan).unwrap();
        let sheets = tables::tables_from_xlsx(&bytes).unwrap();
        assert!(sheets.iter().any(|t| t.name == "项目库"));
        assert!(sheets.iter().any(|t| t.name == "指标表"));
        let back = tables::from_xlsx(&bytes).unwrap();
        assert_eq!(back, plan, "{name}");
        assert_eq!(to_toml(&back).unwrap(), text, "{name}");
    }
}

#[test]
fn printed_precision_survives() {
    let plan = common::plan("000_yungang");
    let t3 = plan.totals.iter().find(|t| t.id == "T3").unwrap();
    assert_eq!(t3.amount.to_string(), "3000.00");
    let bytes = tables::to_xlsx(&plan).unwrap();
    let back = tables::from_xlsx(&bytes).unwrap();
    let t3b = back.totals.iter().find(|t| t.id == "T3").unwrap();
    assert_eq!(t3b.amount.to_string(), "3000.00");
}

#[test]
fn bad_cells_are_reported_with_sheet_row_and_column() {
    let plan = common::plan("000_yungang");
    let mut files = tables::to_csv_files(&plan).unwrap();
    let (_, bytes) = files.iter_mut().find(|(f, _)| f == "projects.csv").unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Put a non-number into the first project's start year (column 起始年).
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].trim_start_matches('\u{feff}').split(',').collect();
    let col = header.iter().position(|h| *h == "起始年").unwrap();
    let mut rec = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(lines[1].as_bytes());
    let mut fields: Vec<String> = rec
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    fields[col] = "二〇二一".into();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&fields).unwrap();
    lines[1] = String::from_utf8(w.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_string();
    *bytes = lines.join("\n").into_bytes();
    let err = tables::from_csv_files(&files).unwrap_err().to_string();
    assert!(
        err.contains("项目库") && err.contains("起始年") && err.contains("row 2"),
        "{err}"
    );

    // An unknown column is named too.
    let mut files = tables::to_csv_files(&plan).unwrap();
    let (_, bytes) = files.iter_mut().find(|(f, _)| f == "zones.csv").unwrap();
    let text = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("分区名称", "分区名", 1);
    *bytes = text.into_bytes();
    let err = tables::from_csv_files(&files).unwrap_err().to_string();
    assert!(err.contains("分区名") && err.contains("未知列"), "{err}");
}

#[test]
fn wrong_schema_version_is_refused() {
    let text = common::PLANS[1]
        .1
        .replacen("schema_version = 1", "schema_version = 2", 1);
    let err = from_toml(&text).unwrap_err().to_string();
    assert!(err.contains("schema_version 2"), "{err}");
}

#[test]
fn shipped_exports_of_yungang_match_its_toml() {
    let plan = common::plan("000_yungang");
    let xlsx = include_bytes!("../../../examples/plans/000_yungang/plan.xlsx");
    assert_eq!(
        tables::from_xlsx(xlsx).unwrap(),
        plan,
        "plan.xlsx is stale: regenerate with plan-convert"
    );
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/plans/000_yungang/csv"
    );
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        files.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read(&p).unwrap(),
        ));
    }
    assert_eq!(
        tables::from_csv_files(&files).unwrap(),
        plan,
        "csv/ is stale: regenerate with plan-convert"
    );
}
