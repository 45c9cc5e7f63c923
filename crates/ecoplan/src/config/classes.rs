//! Land-use classes: the system's common classes and the CSV presets that map a source
//! classification (三调 GB/T 21010, CLCD, ESA WorldCover, MODIS IGBP, or a user's CSV) onto them.
//!
//! The presets live in `presets/landuse/` and are compiled into the binary, so `ecoplan` works
//! from any folder; a plan may name its own CSV instead (same columns).

use std::collections::BTreeMap;
use std::path::Path;

/// One of the system's common land-use classes (the codes of every land-use raster ecoplan writes).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommonClass {
    pub code: u8,
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
}

pub const COMMON_CLASSES_CSV: &str = include_str!("../../../../presets/landuse/common_classes.csv");

/// Built-in mapping presets: (name, CSV text).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "gbt21010_sandiao",
        include_str!("../../../../presets/landuse/gbt21010_sandiao.csv"),
    ),
    ("clcd", include_str!("../../../../presets/landuse/clcd.csv")),
    (
        "esa_worldcover",
        include_str!("../../../../presets/landuse/esa_worldcover.csv"),
    ),
    (
        "modis_igbp",
        include_str!("../../../../presets/landuse/modis_igbp.csv"),
    ),
];

/// Other spellings accepted for preset names.
fn preset_alias(name: &str) -> &str {
    match name {
        "sandiao" | "三调" | "gbt21010" | "gb/t21010" => "gbt21010_sandiao",
        "worldcover" | "esa" => "esa_worldcover",
        "modis" | "igbp" | "mcd12" => "modis_igbp",
        other => other,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassTable {
    pub classes: Vec<CommonClass>,
}

impl ClassTable {
    /// The common classes of `presets/landuse/common_classes.csv`.
    pub fn builtin() -> ClassTable {
        parse_common_classes(COMMON_CLASSES_CSV).expect("bundled common_classes.csv is valid")
    }
    /// Finds a class by key, Chinese or English name.
    pub fn find(&self, name: &str) -> Option<&CommonClass> {
        let n = name.trim();
        self.classes
            .iter()
            .find(|c| c.key == n || c.name_zh == n || c.name_en.eq_ignore_ascii_case(n))
    }
}

fn parse_common_classes(text: &str) -> Result<ClassTable, String> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut classes = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 2))?;
        let code: u8 = rec
            .get(0)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| format!("line {}: code must be 1–254", i + 2))?;
        classes.push(CommonClass {
            code,
            key: rec.get(1).unwrap_or("").trim().to_string(),
            name_zh: rec.get(2).unwrap_or("").trim().to_string(),
            name_en: rec.get(3).unwrap_or("").trim().to_string(),
        });
    }
    Ok(ClassTable { classes })
}

/// One row of a mapping: a source code and the common class it becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingRow {
    /// The code as written in the CSV (`0101`, `05H1`, `12`).
    pub source_code: String,
    /// The code as a raster value, when it is a whole number (`0101` → 101).
    pub numeric: Option<i64>,
    pub source_name: String,
    pub class_code: u8,
    /// 1-based line in the CSV, for messages.
    pub line: usize,
}

/// A source classification mapped onto the common classes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassMapping {
    /// Preset name or CSV path.
    pub name: String,
    pub rows: Vec<MappingRow>,
}

impl ClassMapping {
    /// The common class of raster value `v`, if mapped.
    pub fn class_of(&self, v: i64) -> Option<u8> {
        self.rows
            .iter()
            .find(|r| r.numeric == Some(v))
            .map(|r| r.class_code)
    }
    /// Adds or replaces the class of one source code (plan-level overrides).
    pub fn set(&mut self, source_code: &str, class_code: u8) {
        let numeric = parse_numeric_code(source_code);
        match self
            .rows
            .iter_mut()
            .find(|r| r.source_code == source_code || (numeric.is_some() && r.numeric == numeric))
        {
            Some(r) => r.class_code = class_code,
            None => self.rows.push(MappingRow {
                source_code: source_code.to_string(),
                numeric,
                source_name: String::new(),
                class_code,
                line: 0,
            }),
        }
    }
}

fn parse_numeric_code(code: &str) -> Option<i64> {
    let t = code.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        t.parse().ok()
    } else {
        None
    }
}

/// Names of the built-in presets.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(n, _)| *n)
}

/// Loads a mapping from a preset name or a CSV path (relative to `base_dir`).
/// Errors list every bad row ("file:line: what is wrong").
pub fn load_mapping(
    spec: &str,
    base_dir: &Path,
    classes: &ClassTable,
) -> Result<ClassMapping, Vec<String>> {
    let key = preset_alias(spec.trim());
    if let Some((name, text)) = PRESETS.iter().find(|(n, _)| *n == key) {
        return parse_mapping(name, &format!("presets/landuse/{name}.csv"), text, classes);
    }
    let looks_like_path = spec.ends_with(".csv") || spec.contains('/') || spec.contains('\\');
    if !looks_like_path {
        return Err(vec![format!(
            "unknown class mapping preset `{spec}` 未知的地类对照预设; built-in presets: {}{}; \
             or give the path of a CSV file with columns source_code,source_name_zh,source_name_en,class",
            preset_names().collect::<Vec<_>>().join(", "),
            crate::config::problem::did_you_mean(spec, preset_names())
        )]);
    }
    let path = base_dir.join(spec);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        vec![format!(
            "{}: cannot read class mapping 无法读取地类对照表: {e}",
            path.display()
        )]
    })?;
    parse_mapping(spec, &path.display().to_string(), &text, classes)
}

fn parse_mapping(
    name: &str,
    file_label: &str,
    text: &str,
    classes: &ClassTable,
) -> Result<ClassMapping, Vec<String>> {
    let mut errors = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("{file_label}:1: not a CSV header: {e}")]),
    };
    let col = |n: &str| headers.iter().position(|h| h.trim() == n);
    let (Some(c_code), Some(c_class)) = (col("source_code"), col("class")) else {
        return Err(vec![format!(
            "{file_label}:1: the header must have columns `source_code` and `class` \
             (optional: source_name_zh, source_name_en, note); found: {}",
            headers.iter().collect::<Vec<_>>().join(",")
        )]);
    };
    let c_name = col("source_name_zh").or_else(|| col("source_name_en"));
    let mut rows: Vec<MappingRow> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{file_label}: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let code = rec.get(c_code).unwrap_or("").trim().to_string();
        let class = rec.get(c_class).unwrap_or("").trim();
        if code.is_empty() {
            errors.push(format!("{file_label}:{line}: empty source_code"));
            continue;
        }
        let Some(target) = classes.find(class) else {
            errors.push(format!(
                "{file_label}:{line}: class `{class}` of source code {code} is not a common class 不是通用地类; \
                 expected one of: {}{}",
                classes.classes.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(", "),
                crate::config::problem::did_you_mean(class, classes.classes.iter().map(|c| c.key.as_str()))
            ));
            continue;
        };
        let numeric = parse_numeric_code(&code);
        let dedup_key = numeric.map_or(code.clone(), |n| n.to_string());
        if let Some(first) = seen.insert(dedup_key, line) {
            errors.push(format!(
                "{file_label}:{line}: source code {code} is mapped twice (first on line {first}) 重复"
            ));
            continue;
        }
        rows.push(MappingRow {
            source_code: code,
            numeric,
            source_name: c_name
                .and_then(|c| rec.get(c))
                .unwrap_or("")
                .trim()
                .to_string(),
            class_code: target.code,
            line,
        });
    }
    if errors.is_empty() {
        Ok(ClassMapping {
            name: name.to_string(),
            rows,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn every_builtin_preset_maps_onto_common_classes() {
        let classes = ClassTable::builtin();
        assert!(classes.classes.len() >= 9);
        for name in preset_names() {
            let m = load_mapping(name, Path::new("."), &classes)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(m.rows.len() >= 9, "{name}");
        }
    }
    #[test]
    fn modis_and_sandiao_codes_resolve() {
        let classes = ClassTable::builtin();
        let m = load_mapping("modis", Path::new("."), &classes).unwrap();
        let crop = classes.find("cropland").unwrap().code;
        let built = classes.find("built_up").unwrap().code;
        assert_eq!(m.class_of(12), Some(crop));
        assert_eq!(m.class_of(13), Some(built));
        assert_eq!(m.class_of(255), None);
        let s = load_mapping("三调", Path::new("."), &classes).unwrap();
        assert_eq!(s.class_of(602), Some(classes.find("mining").unwrap().code));
        assert_eq!(s.class_of(101), Some(crop));
        assert_eq!(s.class_of(1101), Some(classes.find("water").unwrap().code));
    }
    #[test]
    fn bad_rows_are_all_reported_with_lines() {
        let classes = ClassTable::builtin();
        let csv = "source_code,class\n1,forest\n2,forrest\n1,grassland\n3,\n";
        let errs = parse_mapping("t", "t.csv", csv, &classes).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("t.csv:3:") && errs[0].contains("did you mean `forest`"));
        assert!(errs[1].contains("t.csv:4:") && errs[1].contains("mapped twice"));
        assert!(errs[2].contains("t.csv:5:"));
    }
}
