//! presets/indicators/indicators.csv names units and functions that exist.

#[test]
fn preset_rows_are_complete_and_name_real_functions() {
    let text = include_str!("../../../presets/indicators/indicators.csv");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| {
        h.iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("column {n}"))
    };
    let (key, zh, unit, ty, dir, func) = (
        col("key"),
        col("name_zh"),
        col("unit"),
        col("type"),
        col("direction"),
        col("function"),
    );
    let mut keys = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        keys.push(rec[key].to_string());
        assert!(!rec[zh].is_empty());
        assert!(
            ["%", "km²", "ha", "-"].contains(&&rec[unit]),
            "{}",
            &rec[unit]
        );
        assert!(
            ecoplan_plan::Binding::parse(&rec[ty]).is_some(),
            "{}",
            &rec[ty]
        );
        assert!(
            ecoplan_plan::Direction::parse(&rec[dir]).is_some(),
            "{}",
            &rec[dir]
        );
        assert!(
            ecoplan_plan::indicators::FUNCTIONS.contains(&&rec[func]),
            "{}",
            &rec[func]
        );
    }
    for k in [
        "forest_cover",
        "grassland_fvc",
        "wetland_protection_rate",
        "soil_conservation_rate",
        "red_line_share",
        "protected_area_share",
        "cropland_area",
        "corridor_connectivity",
        "habitat_area",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k}");
    }
}
