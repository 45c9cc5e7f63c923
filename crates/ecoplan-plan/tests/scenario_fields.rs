//! The optional scenario fields of a project (目标地类 `target_class`, 修复措施 `measure`) survive
//! every form, and plans without them keep their earlier sheets (no new empty columns).

use ecoplan_plan::{from_json, from_toml, tables, to_json, to_toml};

const WITH: &str = r#"schema_version = 1

[region]
name = "示例区"

[[projects]]
id = "1"
work = "W1"
name = "退耕还林示范"
geometry = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}'
measure = "returning_farmland_to_forest"

[[projects]]
id = "2"
work = "W1"
name = "矿山复绿"
target_class = "grassland"
"#;

#[test]
fn scenario_fields_round_trip_through_every_form() {
    let plan = from_toml(WITH).unwrap();
    assert_eq!(plan.projects[0].measure, "returning_farmland_to_forest");
    assert_eq!(plan.projects[1].target_class, "grassland");
    assert_eq!(from_toml(&to_toml(&plan).unwrap()).unwrap(), plan);
    assert_eq!(from_json(&to_json(&plan).unwrap()).unwrap(), plan);
    let files = tables::to_csv_files(&plan).unwrap();
    let projects = files.iter().find(|(f, _)| f == "projects.csv").unwrap();
    let head = String::from_utf8(projects.1.clone()).unwrap();
    assert!(
        head.contains("目标地类") && head.contains("修复措施"),
        "{head}"
    );
    assert_eq!(tables::from_csv_files(&files).unwrap(), plan);
    assert_eq!(
        tables::from_xlsx(&tables::to_xlsx(&plan).unwrap()).unwrap(),
        plan
    );
}

#[test]
fn plans_without_scenario_fields_get_no_new_columns() {
    let plan = from_toml(
        WITH.replace("measure = \"returning_farmland_to_forest\"\n", "")
            .replace("target_class = \"grassland\"\n", "")
            .as_str(),
    )
    .unwrap();
    let files = tables::to_csv_files(&plan).unwrap();
    let projects = files.iter().find(|(f, _)| f == "projects.csv").unwrap();
    let head = String::from_utf8(projects.1.clone()).unwrap();
    assert!(
        !head.contains("目标地类") && !head.contains("修复措施"),
        "{head}"
    );
    assert!(head.contains("几何(GeoJSON)"));
}
