//! Reads plan.toml into a [`Plan`], collecting every problem (syntax, unknown keys, wrong types,
//! bad values) with its line and column instead of stopping at the first.

use super::model::*;
use super::problem::{did_you_mean, LineIndex, Pos, Problem};
use ecoplan_grid::Crs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

type Value<'i> = Spanned<DeValue<'i>>;

struct Walker<'a> {
    file: &'a Path,
    lines: LineIndex<'a>,
    problems: Vec<Problem>,
}

impl<'a> Walker<'a> {
    fn pos(&self, span: Range<usize>) -> Pos {
        self.lines.pos(span.start)
    }
    fn error(&mut self, span: Range<usize>, msg: impl Into<String>) {
        let pos = self.pos(span);
        self.problems
            .push(Problem::error(self.file, Some(pos), msg));
    }
    fn warn(&mut self, span: Range<usize>, msg: impl Into<String>) {
        let pos = self.pos(span);
        self.problems
            .push(Problem::warning(self.file, Some(pos), msg));
    }

    /// Reports every key of `table` not in `allowed`.
    fn unknown_keys(&mut self, table: &DeTable<'_>, section: &str, allowed: &[&str]) {
        for (k, _) in table.iter() {
            let key: &str = k.get_ref();
            if !allowed.contains(&key) {
                let hint = did_you_mean(key, allowed.iter().copied());
                self.error(
                    k.span(),
                    format!(
                        "unknown key `{key}` in {section} 未知的键{hint}; allowed keys 可用的键: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn string(&mut self, t: &DeTable<'_>, key: &str, section: &str) -> Option<Loc<String>> {
        let v = get(t, key)?;
        if v.span().is_empty() {
            return None; // a placeholder the parser recovered with after a syntax error
        }
        match v.get_ref() {
            DeValue::String(s) => Some(Loc {
                value: s.to_string(),
                pos: self.pos(v.span()),
            }),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "{section}.{key} must be a string 应为字符串, found a {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn number(&mut self, t: &DeTable<'_>, key: &str, section: &str) -> Option<Loc<f64>> {
        let v = get(t, key)?;
        if v.span().is_empty() {
            return None; // a placeholder the parser recovered with after a syntax error
        }
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|i| i as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok().filter(|x| x.is_finite()),
            _ => None,
        };
        match n {
            Some(value) => Some(Loc {
                value,
                pos: self.pos(v.span()),
            }),
            None => {
                self.error(
                    v.span(),
                    format!(
                        "{section}.{key} must be a finite number 应为数值, found a {}",
                        v.get_ref().type_str()
                    ),
                );
                None
            }
        }
    }

    fn integer(&mut self, v: &Value<'_>, what: &str) -> Option<i64> {
        match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "{what} must be a whole number 应为整数, found a {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn table<'t, 'i>(
        &mut self,
        t: &'t DeTable<'i>,
        key: &str,
        section: &str,
    ) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let v = get(t, key)?;
        match v.get_ref() {
            DeValue::Table(inner) => Some((inner, v.span())),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "{section}{key} must be a table ([{key}] or {{ … }}) 应为表, found a {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }
}

fn get<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Option<&'t Value<'i>> {
    t.get(key)
}

const TOP_KEYS: &[&str] = &["plan", "region", "grid", "layers", "output", "pattern"];
const PLAN_KEYS: &[&str] = &["name", "base_year", "target_years"];
const REGION_KEYS: &[&str] = &[
    "boundary",
    "filter",
    "buffer_m",
    "admin_units",
    "admin_field",
];
const GRID_KEYS: &[&str] = &["crs", "cell_size"];
const LAYER_KEYS: &[&str] = &["file", "kind", "classes", "class_overrides", "resampling"];
const OUTPUT_KEYS: &[&str] = &["dir"];
const PATTERN_KEYS: &[&str] = &[
    "resistance_table",
    "landuse_weight",
    "slope_factor",
    "road_factor",
    "ndvi_correction",
    "night_light",
    "impervious",
    "gravity_classes",
    "planned_corridors",
    "min_area_ha",
    "nn",
    "truncate",
];
const FACTOR_KEYS: &[&str] = &["breaks", "weight"];

/// Parses `text` (the content of `file`). Returns the plan when it could be built (even with
/// warnings) and every problem found.
pub fn parse_plan(file: &Path, text: &str) -> (Option<Plan>, Vec<Problem>) {
    let mut w = Walker {
        file,
        lines: LineIndex::new(text),
        problems: Vec::new(),
    };
    let (doc, syntax) = DeTable::parse_recoverable(text);
    for e in syntax {
        let pos = e.span().map(|s| w.lines.pos(s.start));
        w.problems.push(Problem::error(
            file,
            pos,
            format!("TOML syntax error 语法错误: {}", e.message().trim()),
        ));
    }
    let root = doc.get_ref();
    w.unknown_keys(root, "the plan (top level)", TOP_KEYS);
    let base_dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);

    // [plan]
    let mut meta = PlanMeta::default();
    if let Some((t, _)) = w.table(root, "plan", "") {
        w.unknown_keys(t, "[plan]", PLAN_KEYS);
        meta.name = w.string(t, "name", "plan").map(|l| l.value);
        if let Some(v) = get(t, "base_year") {
            meta.base_year = w.integer(v, "plan.base_year");
        }
        if let Some(v) = get(t, "target_years") {
            match v.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if let Some(y) = w.integer(item, "each of plan.target_years") {
                            meta.target_years.push(y);
                        }
                    }
                }
                other => w.error(v.span(), format!("plan.target_years must be an array of years such as [2025, 2030, 2035], found a {}", other.type_str())),
            }
        }
        if let (Some(b), Some(v)) = (meta.base_year, get(t, "target_years")) {
            if meta.target_years.iter().any(|&y| y <= b) {
                w.error(
                    v.span(),
                    format!("plan.target_years must all be after base_year {b} 目标年应晚于基准年"),
                );
            }
        }
    }

    // [region]
    let mut region = None;
    match w.table(root, "region", "") {
        None if get(root, "region").is_none() => w.problems.push(Problem::error(
            file,
            None,
            "missing [region] table 缺少 [region]: it names the boundary file, e.g.\n  [region]\n  boundary = \"boundary.geojson\"\n  filter = { adcode = 140214 }",
        )),
        None => {}
        Some((t, span)) => {
            w.unknown_keys(t, "[region]", REGION_KEYS);
            let boundary = w.string(t, "boundary", "region");
            if boundary.is_none() && get(t, "boundary").is_none() {
                w.error(span.clone(), "[region] needs `boundary = \"<polygon file>\"` 缺少规划范围边界文件");
            }
            let mut filter = Vec::new();
            if let Some(v) = get(t, "filter") {
                match v.get_ref() {
                    DeValue::Table(ft) => {
                        for (k, fv) in ft.iter() {
                            let value = match fv.get_ref() {
                                DeValue::Integer(_) => w.integer(fv, "a filter value").map(FilterValue::Int),
                                DeValue::String(s) => Some(FilterValue::Str(s.to_string())),
                                other => {
                                    w.error(fv.span(), format!("region.filter.{} must be a number or a string, found a {}", k.get_ref(), other.type_str()));
                                    None
                                }
                            };
                            if let Some(value) = value {
                                filter.push(Loc {
                                    value: (k.get_ref().to_string(), value),
                                    pos: w.pos(k.span()),
                                });
                            }
                        }
                        if ft.is_empty() {
                            w.error(v.span(), "region.filter is empty: remove it to use every feature, or give e.g. { adcode = 140214 }");
                        }
                    }
                    other => w.error(v.span(), format!("region.filter must be a table such as {{ adcode = 140214 }}, found a {}", other.type_str())),
                }
            }
            let buffer = w.number(t, "buffer_m", "region");
            if let Some(b) = &buffer {
                if !(0.0..=100_000.0).contains(&b.value) {
                    let span = get(t, "buffer_m").map(|v| v.span()).unwrap_or_default();
                    w.error(span, format!("region.buffer_m = {} is outside 0–100000 m", b.value));
                }
            }
            let admin_units = w.string(t, "admin_units", "region");
            let admin_field = w.string(t, "admin_field", "region").map_or_else(|| "name".to_string(), |l| l.value);
            if let Some(b) = boundary {
                region = Some(RegionConfig {
                    boundary: Loc { value: PathBuf::from(b.value), pos: b.pos },
                    filter,
                    buffer_m: buffer.map_or(DEFAULT_BUFFER_M, |b| b.value),
                    admin_units: admin_units.map(|a| Loc { value: PathBuf::from(a.value), pos: a.pos }),
                    admin_field,
                });
            }
        }
    }

    // [grid]
    let mut grid = GridConfig {
        crs: None,
        cell_size: Loc {
            value: DEFAULT_CELL_SIZE_M,
            pos: Pos::default(),
        },
    };
    if let Some((t, _)) = w.table(root, "grid", "") {
        w.unknown_keys(t, "[grid]", GRID_KEYS);
        if let Some(c) = w.string(t, "crs", "grid") {
            let span = get(t, "crs").map(|v| v.span()).unwrap_or_default();
            match Crs::parse(&c.value) {
                Some(crs) => {
                    if crs.is_geographic() {
                        w.error(span, format!("grid.crs {} is geographic (degrees): the analysis grid needs a projected CRS in metres, e.g. EPSG:4547 (CGCS2000 / 3-degree GK CM 114E), or leave crs out for the automatic choice", crs.label()));
                    }
                    grid.crs = Some(Loc { value: crs, pos: c.pos });
                }
                None => w.error(span, format!("grid.crs `{}` is not a CRS: write EPSG:<code> (e.g. EPSG:4547) or a PROJ string starting with +proj=, or leave it out for the automatic Gauss–Krüger zone", c.value)),
            }
        }
        if let Some(cs) = w.number(t, "cell_size", "grid") {
            let span = get(t, "cell_size").map(|v| v.span()).unwrap_or_default();
            if !(cs.value > 0.0 && cs.value <= 10_000.0) {
                w.error(span, format!("grid.cell_size = {} m must be > 0 and ≤ 10000 (metres; 30 is usual for county plans)", cs.value));
            } else if cs.value < 5.0 {
                w.warn(span, format!("grid.cell_size = {} m is very fine: a county at this size has billions of cells", cs.value));
            }
            grid.cell_size = cs;
        }
    }

    // [layers.<name>]
    let mut layers = Vec::new();
    if let Some((t, _)) = w.table(root, "layers", "") {
        for (k, v) in t.iter() {
            let name: &str = k.get_ref();
            let section = format!("[layers.{name}]");
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
                w.error(k.span(), format!("layer name `{name}` must use letters, digits and _ only (it becomes a file name)"));
            }
            let DeValue::Table(lt) = v.get_ref() else {
                w.error(
                    v.span(),
                    format!(
                        "{section} must be a table with at least `file` and `kind`, found a {}",
                        v.get_ref().type_str()
                    ),
                );
                continue;
            };
            w.unknown_keys(lt, &section, LAYER_KEYS);
            let file_v = w.string(lt, "file", &format!("layers.{name}"));
            if get(lt, "file").is_none() {
                w.error(
                    v.span(),
                    format!("{section} needs `file = \"<path>\"` 缺少文件路径"),
                );
            }
            let kind_v = w.string(lt, "kind", &format!("layers.{name}"));
            let kind = match &kind_v {
                Some(kv) => match LayerKind::parse(&kv.value) {
                    Some(kind) => Some(Loc {
                        value: kind,
                        pos: kv.pos,
                    }),
                    None => {
                        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
                        let span = get(lt, "kind").map(|v| v.span()).unwrap_or_default();
                        w.error(span, format!("layers.{name}.kind `{}` is not a layer kind 未知图层类型{}; kinds: {}", kv.value, did_you_mean(&kv.value, names.iter().copied()), names.join(", ")));
                        None
                    }
                },
                None => {
                    if get(lt, "kind").is_none() {
                        w.error(v.span(), format!("{section} needs `kind = \"…\"` (landuse, dem, ndvi, precipitation, et0, soil_erodibility, soil_depth, raster, rivers, roads, mines, protected_areas, zones, vector)"));
                    }
                    None
                }
            };
            let classes = w.string(lt, "classes", &format!("layers.{name}"));
            if let Some(kind) = &kind {
                if kind.value == LayerKind::Landuse
                    && classes.is_none()
                    && get(lt, "classes").is_none()
                {
                    w.error(v.span(), format!("{section} is land use: add `classes = \"<preset or CSV>\"` naming how its codes map to the common classes (presets: {})", super::classes::preset_names().collect::<Vec<_>>().join(", ")));
                }
                if kind.value != LayerKind::Landuse {
                    if let Some(cv) = get(lt, "classes") {
                        w.error(
                            cv.span(),
                            format!("layers.{name}.classes is only for kind = \"landuse\""),
                        );
                    }
                }
            }
            let mut class_overrides = Vec::new();
            if let Some(ov) = get(lt, "class_overrides") {
                match ov.get_ref() {
                    DeValue::Table(ot) => {
                        for (ck, cv) in ot.iter() {
                            match cv.get_ref() {
                                DeValue::String(s) => class_overrides.push(Loc {
                                    value: (ck.get_ref().to_string(), s.to_string()),
                                    pos: w.pos(cv.span()),
                                }),
                                other => w.error(cv.span(), format!("layers.{name}.class_overrides.{} must be a class name string such as \"forest\", found a {}", ck.get_ref(), other.type_str())),
                            }
                        }
                    }
                    other => w.error(ov.span(), format!("layers.{name}.class_overrides must be a table such as {{ \"9\" = \"forest\" }}, found a {}", other.type_str())),
                }
            }
            let resampling = match w.string(lt, "resampling", &format!("layers.{name}")) {
                Some(r) => match r.value.parse::<Resampling>() {
                    Ok(r) => Some(r),
                    Err(_) => {
                        let span = get(lt, "resampling").map(|v| v.span()).unwrap_or_default();
                        w.error(span, format!("layers.{name}.resampling `{}` must be one of nearest, bilinear, mode, average{}", r.value, did_you_mean(&r.value, ["nearest", "bilinear", "mode", "average"])));
                        None
                    }
                },
                None => None,
            };
            if let (Some(kind), Some(r)) = (&kind, resampling) {
                if kind.value == LayerKind::Landuse
                    && matches!(r, Resampling::Bilinear | Resampling::Average)
                {
                    let span = get(lt, "resampling").map(|v| v.span()).unwrap_or_default();
                    w.error(span, format!("layers.{name}: {} resampling averages class codes; land use needs mode or nearest", resampling_name(r)));
                }
            }
            if let (Some(file_v), Some(kind)) = (file_v, kind) {
                layers.push(LayerConfig {
                    name: Loc {
                        value: name.to_string(),
                        pos: w.pos(k.span()),
                    },
                    file: Loc {
                        value: PathBuf::from(file_v.value),
                        pos: file_v.pos,
                    },
                    resampling: resampling.unwrap_or(kind.value.default_resampling()),
                    kind,
                    classes,
                    class_overrides,
                });
            }
        }
    }

    // [output]
    let stem = file
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let mut output = OutputConfig {
        dir: PathBuf::from("runs").join(stem),
    };
    if let Some((t, _)) = w.table(root, "output", "") {
        w.unknown_keys(t, "[output]", OUTPUT_KEYS);
        if let Some(d) = w.string(t, "dir", "output") {
            output.dir = PathBuf::from(d.value);
        }
    }

    // [pattern]
    let pattern = match w.table(root, "pattern", "") {
        Some((t, _)) => pattern_section(&mut w, t, &base_dir),
        None => PatternConfig::default(),
    };

    let plan = region.map(|region| Plan {
        file: file.to_path_buf(),
        base_dir,
        meta,
        region,
        grid,
        layers,
        output,
        pattern,
    });
    (plan, w.problems)
}

/// `[pattern]` (see [`PatternConfig`]): every bad value is reported, each at its place.
fn pattern_section(w: &mut Walker<'_>, t: &DeTable<'_>, base_dir: &Path) -> PatternConfig {
    use ecoplan_pattern::corridors::GravityClasses;
    use ecoplan_pattern::resistance::{BreakTable, ResistanceTable};
    w.unknown_keys(t, "[pattern]", PATTERN_KEYS);
    let span_of = |key: &str| get(t, key).map(|v| v.span()).unwrap_or_default();
    let mut cfg = PatternConfig::default();
    // A file named in [pattern] must exist (relative to the plan).
    let existing_file = |w: &mut Walker<'_>, key: &str, what: &str| -> Option<PathBuf> {
        let v = w.string(t, key, "pattern")?;
        let p = PathBuf::from(&v.value);
        let full = if p.is_absolute() {
            p.clone()
        } else {
            base_dir.join(&p)
        };
        if !full.exists() {
            w.error(
                span_of(key),
                format!(
                    "pattern.{key} = \"{}\": {what} file not found 文件不存在 ({})",
                    v.value,
                    full.display()
                ),
            );
        }
        Some(p)
    };
    if let Some(v) = w.string(t, "resistance_table", "pattern") {
        let csv = "CSV file (code,name_zh,name_en,resistance)";
        preset_or_csv(
            w,
            span_of("resistance_table"),
            "pattern.resistance_table",
            &v.value,
            &ResistanceTable::preset_names(),
            csv,
            base_dir,
        );
        cfg.resistance_table = Some(v.value);
    }
    if let Some(v) = w.number(t, "landuse_weight", "pattern") {
        if !(v.value > 0.0 && v.value <= 1.0) {
            w.error(span_of("landuse_weight"), format!("pattern.landuse_weight = {} must be in (0, 1] (the land-use share of the weighted resistance sum; Turpan 0.7)", v.value));
        }
        cfg.landuse_weight = Some(v.value);
    }
    for (key, default_breaks) in [
        ("slope_factor", None),
        ("road_factor", Some("road_distance")),
    ] {
        let section = format!("pattern.{key}");
        let Some((ft, span)) = w.table(t, key, "pattern.") else {
            continue;
        };
        w.unknown_keys(ft, &format!("[{section}]"), FACTOR_KEYS);
        let breaks = w.string(ft, "breaks", &section).map(|l| l.value);
        let fspan = |k: &str| get(ft, k).map(|v| v.span()).unwrap_or_else(|| span.clone());
        let breaks = match (breaks, default_breaks) {
            (Some(b), _) => {
                let csv = "CSV file with columns upper,resistance";
                preset_or_csv(
                    w,
                    fspan("breaks"),
                    &format!("{section}.breaks"),
                    &b,
                    &BreakTable::preset_names(),
                    csv,
                    base_dir,
                );
                Some(b)
            }
            (None, Some(d)) => Some(d.to_string()),
            (None, None) => {
                if get(ft, "breaks").is_none() {
                    w.error(span.clone(), format!("[{section}] needs `breaks = \"<preset or CSV>\"` (e.g. \"turpan_slope\")"));
                }
                None
            }
        };
        let weight = w.number(ft, "weight", &section);
        match &weight {
            Some(v) if !(v.value > 0.0 && v.value < 1.0) => w.error(fspan("weight"), format!("{section}.weight = {} must be in (0, 1) (its share of the weighted resistance sum)", v.value)),
            None if get(ft, "weight").is_none() => w.error(span.clone(), format!("[{section}] needs `weight = <0–1>` (e.g. 0.3)")),
            _ => {}
        }
        if let (Some(breaks), Some(weight)) = (breaks, weight) {
            let f = FactorConfig {
                breaks,
                weight: weight.value,
            };
            if key == "slope_factor" {
                cfg.slope_factor = Some(f);
            } else {
                cfg.road_factor = Some(f);
            }
        }
    }
    let factor_sum: f64 = [&cfg.slope_factor, &cfg.road_factor]
        .iter()
        .filter_map(|f| f.as_ref())
        .map(|f| f.weight)
        .sum();
    if cfg.landuse_weight.is_none() && factor_sum >= 1.0 {
        w.error(span_of("road_factor"), format!("pattern: the factor weights sum to {factor_sum} ≥ 1, leaving no weight for land use: lower them or set landuse_weight"));
    }
    if let Some(v) = get(t, "ndvi_correction") {
        match v.get_ref() {
            DeValue::Boolean(b) => cfg.ndvi_correction = Some(*b),
            other => w.error(
                v.span(),
                format!(
                    "pattern.ndvi_correction must be true or false, found a {}",
                    other.type_str()
                ),
            ),
        }
    }
    cfg.night_light = existing_file(w, "night_light", "night-light raster");
    cfg.impervious = existing_file(w, "impervious", "impervious-share raster");
    cfg.planned_corridors = existing_file(w, "planned_corridors", "planned-corridor vector");
    if let Some(v) = get(t, "gravity_classes") {
        let bad = |w: &mut Walker<'_>, found: String| {
            w.error(v.span(), format!("pattern.gravity_classes must be \"jenks\" (natural breaks, default), \"off\" or a threshold G > 0, found {found}"))
        };
        match v.get_ref() {
            DeValue::String(s) if s.as_ref() == "jenks" => {
                cfg.gravity_classes = Some(GravityClasses::NaturalBreaks)
            }
            DeValue::String(s) if s.as_ref() == "off" => {
                cfg.gravity_classes = Some(GravityClasses::Off)
            }
            DeValue::Integer(_) | DeValue::Float(_) => {
                match w.number(t, "gravity_classes", "pattern") {
                    Some(g) if g.value > 0.0 => {
                        cfg.gravity_classes = Some(GravityClasses::Threshold(g.value))
                    }
                    Some(g) => bad(w, g.value.to_string()),
                    None => {}
                }
            }
            DeValue::String(s) => bad(w, format!("\"{s}\"")),
            other => bad(w, format!("a {}", other.type_str())),
        }
    }
    if let Some(v) = w.number(t, "min_area_ha", "pattern") {
        if v.value < 0.0 {
            w.error(span_of("min_area_ha"), format!("pattern.min_area_ha = {} must be ≥ 0 (minimum source area in 公顷 ha; default 100, METHODS: 50–500)", v.value));
        } else {
            cfg.min_area_ha = Some(v.value);
        }
    }
    if let Some(v) = get(t, "nn") {
        let bad = |w: &mut Walker<'_>, found: String| {
            w.error(v.span(), format!("pattern.nn must be a whole number ≥ 1 (keep each source's N nearest neighbours; default 4) or \"all\" (no pruning), found {found}"))
        };
        match v.get_ref() {
            DeValue::String(s) if s.as_ref() == "all" => cfg.nn = Some(NearestNeighbours::All),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) if n >= 1 => cfg.nn = usize::try_from(n).ok().map(NearestNeighbours::Count),
                Ok(n) => bad(w, n.to_string()),
                Err(_) => bad(w, i.as_str().to_string()),
            },
            DeValue::String(s) => bad(w, format!("\"{s}\"")),
            other => bad(w, format!("a {}", other.type_str())),
        }
    }
    if let Some(v) = w.number(t, "truncate", "pattern") {
        if v.value < 0.0 {
            w.error(span_of("truncate"), format!("pattern.truncate = {} must be ≥ 0 (corridor width: the cost-weighted distance, cost·m, at which corridors are truncated; default 20000)", v.value));
        } else {
            cfg.truncate = Some(v.value);
        }
    }
    cfg
}

/// Reports `value` of `key` unless it is one of `presets` or an existing file (relative to the
/// plan's folder); `csv` describes the file expected.
fn preset_or_csv(
    w: &mut Walker<'_>,
    span: Range<usize>,
    key: &str,
    value: &str,
    presets: &[&str],
    csv: &str,
    base_dir: &Path,
) {
    let full = base_dir.join(value);
    if !presets.contains(&value) && !full.exists() {
        w.error(
            span,
            format!(
                "{key} `{value}` is neither a preset ({}){} nor an existing {csv} ({})",
                presets.join(", "),
                did_you_mean(value, presets.iter().copied()),
                full.display()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a minimal plan with `pattern` as its [pattern] section.
    fn parse_pattern(pattern: &str) -> (Option<Plan>, Vec<Problem>) {
        let text = format!("[region]\nboundary = \"region.geojson\"\n\n[pattern]\n{pattern}");
        parse_plan(Path::new("/nonexistent/plan.toml"), &text)
    }

    fn errors(problems: &[Problem]) -> Vec<&str> {
        problems
            .iter()
            .filter(|p| p.is_error())
            .map(|p| p.message.as_str())
            .collect()
    }

    #[test]
    fn pattern_min_area_nn_truncate_land_in_the_config() {
        let (plan, problems) = parse_pattern("min_area_ha = 50\nnn = 2\ntruncate = 30000.5\n");
        assert!(errors(&problems).is_empty(), "{problems:?}");
        let cfg = plan.unwrap().pattern;
        assert_eq!(cfg.min_area_ha, Some(50.0));
        assert_eq!(cfg.nn, Some(NearestNeighbours::Count(2)));
        assert_eq!(cfg.nn.unwrap().limit(), Some(2));
        assert_eq!(cfg.truncate, Some(30000.5));

        let (plan, problems) = parse_pattern("min_area_ha = 0.0\nnn = \"all\"\ntruncate = 0\n");
        assert!(errors(&problems).is_empty(), "{problems:?}");
        let cfg = plan.unwrap().pattern;
        assert_eq!(cfg.min_area_ha, Some(0.0));
        assert_eq!(cfg.nn, Some(NearestNeighbours::All));
        assert_eq!(cfg.nn.unwrap().limit(), None);
        assert_eq!(cfg.truncate, Some(0.0));

        // Absent keys stay None (the flags' defaults apply).
        let (plan, _) = parse_pattern("");
        let cfg = plan.unwrap().pattern;
        assert_eq!((cfg.min_area_ha, cfg.nn, cfg.truncate), (None, None, None));
        assert_eq!(cfg.ndvi_correction, None);
    }

    /// The commented min_area_ha / nn / truncate lines of data/demo/plan.toml parse, and the
    /// values they show are the defaults of `ecoplan pattern`.
    #[test]
    fn demo_plan_documents_the_defaults() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/plan.toml");
        let text = std::fs::read_to_string(demo).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                ["min_area_ha ", "nn ", "truncate "]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let (plan, problems) = parse_pattern(&lines.join("\n"));
        assert!(errors(&problems).is_empty(), "{problems:?}");
        let cfg = plan.unwrap().pattern;
        let d = ecoplan_pattern::chain::PatternParams::default();
        assert_eq!(cfg.min_area_ha, Some(d.min_area_ha));
        assert_eq!(
            cfg.nn.and_then(NearestNeighbours::limit),
            d.linkage.nearest_neighbours
        );
        assert_eq!(cfg.truncate, d.linkage.truncate_cwd);
    }

    #[test]
    fn pattern_ndvi_correction_is_tri_state() {
        for (text, want) in [
            ("ndvi_correction = true\n", Some(true)),
            ("ndvi_correction = false\n", Some(false)),
            ("", None),
        ] {
            let (plan, problems) = parse_pattern(text);
            assert!(errors(&problems).is_empty(), "{problems:?}");
            assert_eq!(plan.unwrap().pattern.ndvi_correction, want, "{text}");
        }
    }

    #[test]
    fn each_bad_new_pattern_value_names_its_key() {
        for (text, key) in [
            ("min_area_ha = -1\n", "pattern.min_area_ha"),
            ("min_area_ha = \"big\"\n", "pattern.min_area_ha"),
            ("nn = 0\n", "pattern.nn"),
            ("nn = -3\n", "pattern.nn"),
            ("nn = 2.5\n", "pattern.nn"),
            ("nn = \"some\"\n", "pattern.nn"),
            ("truncate = -5\n", "pattern.truncate"),
            ("truncate = true\n", "pattern.truncate"),
            ("truncate = inf\n", "pattern.truncate"),
        ] {
            let (plan, problems) = parse_pattern(text);
            let errs = errors(&problems);
            assert_eq!(errs.len(), 1, "{text}: {errs:?}");
            assert!(errs[0].contains(key), "{text}: {errs:?}");
            // A rejected value does not reach the config.
            let cfg = plan.unwrap().pattern;
            assert_eq!((cfg.min_area_ha, cfg.nn, cfg.truncate), (None, None, None));
        }
    }

    #[test]
    fn several_bad_pattern_values_are_all_reported_each_at_its_line() {
        let (_, problems) = parse_pattern(
            "min_area_ha = -10\nnn = 0\ntruncate = \"wide\"\nlanduse_weight = 3\nndvi_correction = 1\n",
        );
        let errs: Vec<&Problem> = problems.iter().filter(|p| p.is_error()).collect();
        let lines: Vec<(usize, &str)> = errs
            .iter()
            .map(|p| (p.pos.unwrap().line, p.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 5, "{lines:?}");
        for (line, key) in [
            (5, "pattern.min_area_ha"),
            (6, "pattern.nn"),
            (7, "pattern.truncate"),
            (8, "pattern.landuse_weight"),
            (9, "pattern.ndvi_correction"),
        ] {
            assert!(
                lines.iter().any(|(l, m)| *l == line && m.contains(key)),
                "{key} not reported at line {line}: {lines:?}"
            );
        }
    }

    #[test]
    fn preset_or_csv_checks_both_tables() {
        let (_, problems) = parse_pattern(
            "resistance_table = \"common_defualt\"\nslope_factor = { breaks = \"no_such.csv\", weight = 0.3 }\n",
        );
        let errs = errors(&problems);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs.iter().any(|m| m
                .starts_with("pattern.resistance_table `common_defualt` is neither a preset")
                && m.contains("did you mean `common_default`")
                && m.contains("code,name_zh,name_en,resistance")),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|m| m
                .starts_with("pattern.slope_factor.breaks `no_such.csv` is neither a preset")
                && m.contains("turpan_slope")
                && m.contains("upper,resistance")),
            "{errs:?}"
        );
        // Presets pass.
        let (_, problems) = parse_pattern(
            "resistance_table = \"common_default\"\nslope_factor = { breaks = \"turpan_slope\", weight = 0.3 }\n",
        );
        assert!(errors(&problems).is_empty(), "{problems:?}");
    }
}
