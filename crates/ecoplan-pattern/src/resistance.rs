//! Resistance surfaces (阻力面) from a land-use class raster, a class → resistance table, optional
//! reclassified factors (slope, distance to roads, …) combined by weighted sum, and optional
//! pixel-to-class-mean corrections (METHODS §3.2):
//!
//! * land use: `R_a` from the table for the cell's class `a`;
//! * corrections of the land-use resistance, applied in the order given, each a ratio:
//!   night light `R′ = R_a·NL_i/NL_a`, impervious share `R′ = R_a·ISA_i/ISA_a`,
//!   NDVI (inverted) `R′ = R_a·NDVI_a/NDVI_i`, where `X_a` is the mean of the layer over the
//!   valid cells of class `a`;
//! * factors: `R = w_lu·R′ + Σ_f w_f·R_f`, `R_f` from a break table (e.g. Turpan slope,
//!   weight 0.3 with land use 0.7);
//! * clamp to `[R_min, R_max]` (default: the land-use table's minimum and maximum).
//!
//! Ratio edge cases (documented choices): a class whose layer mean is ≤ 0 (or has no valid
//! layer cell) is not corrected (ratio 1, reported); a cell whose layer value is nodata keeps
//! ratio 1 (counted); NDVI_i ≤ 0 in a class with NDVI_a > 0 gives ratio +∞, so the cell ends at
//! `R_max`.
//!
//! Tables are CSV ([`ResistanceTable::parse_csv`], presets in `presets/resistance/`).

use ecoplan_grid::{Cell, Grid, GridSpec};
use std::collections::BTreeMap;

/// Nodata of resistance grids.
pub const RESISTANCE_NODATA: f32 = -9999.0;

/// Errors of resistance surfaces and their tables.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ResistanceError {
    #[error("阻力表 {table}: {problems}", problems = .problems.join("; "))]
    Table {
        table: String,
        problems: Vec<String>,
    },
    #[error(
        "土地利用栅格中有阻力表未定义的类别 land-use classes missing from resistance table \
         {table}: {list}; add rows for them (code,name_zh,name_en,resistance)",
        list = .classes.iter().map(|(c, n)| format!("{c} ({n} cells)")).collect::<Vec<_>>().join(", ")
    )]
    UnmappedClasses {
        table: String,
        classes: Vec<(i64, u64)>,
    },
    #[error("阻力面参数错误 invalid resistance parameters: {}", .0.join("; "))]
    Params(Vec<String>),
    #[error("未知阻力预设 unknown resistance preset '{0}'; available: {1}")]
    UnknownPreset(String, String),
}

/// One row of a land-use resistance table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResistanceClass {
    pub code: i64,
    pub name_zh: String,
    pub name_en: String,
    pub resistance: f64,
    #[serde(default)]
    pub note: String,
}

/// A land-use class → resistance table with its provenance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResistanceTable {
    pub name: String,
    pub title: String,
    /// `# source:` comment lines of the CSV, joined.
    pub source: String,
    pub classes: Vec<ResistanceClass>,
}

/// Bundled presets: name → CSV text (files in `presets/resistance/`).
const PRESETS: &[(&str, &str)] = &[
    (
        "clcd_default",
        include_str!("../../../presets/resistance/clcd_default.csv"),
    ),
    (
        "igbp_default",
        include_str!("../../../presets/resistance/igbp_default.csv"),
    ),
    (
        "turpan_landuse_clcd",
        include_str!("../../../presets/resistance/turpan_landuse_clcd.csv"),
    ),
    (
        "nanjing_clcd",
        include_str!("../../../presets/resistance/nanjing_clcd.csv"),
    ),
    (
        "common_default",
        include_str!("../../../presets/resistance/common_default.csv"),
    ),
];

const BREAK_PRESETS: &[(&str, &str)] = &[
    (
        "turpan_slope",
        include_str!("../../../presets/resistance/turpan_slope.csv"),
    ),
    (
        "road_distance",
        include_str!("../../../presets/resistance/road_distance.csv"),
    ),
];

/// `# key: value` comment lines of a preset CSV.
fn comment_meta(text: &str) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix('#') else {
            continue;
        };
        if let Some((k, v)) = rest.split_once(':') {
            let (k, v) = (k.trim().to_lowercase(), v.trim());
            if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty() {
                m.entry(k)
                    .and_modify(|s| {
                        s.push(' ');
                        s.push_str(v)
                    })
                    .or_insert_with(|| v.to_string());
            }
        }
    }
    m
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes())
}

fn header_index(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
}

impl ResistanceTable {
    /// Parses a table: columns `code`, `resistance` (required), `name_zh`, `name_en`, `note`;
    /// lines starting with `#` are comments (`# name:`, `# title:`, `# source:` are kept).
    /// Every problem is reported at once.
    pub fn parse_csv(name: &str, text: &str) -> Result<Self, ResistanceError> {
        let meta = comment_meta(text);
        let table_name = meta
            .get("name")
            .cloned()
            .unwrap_or_else(|| name.to_string());
        let err = |problems: Vec<String>| ResistanceError::Table {
            table: name.to_string(),
            problems,
        };
        let mut rdr = csv_reader(text);
        let headers = rdr
            .headers()
            .map_err(|e| err(vec![format!("no header row: {e}")]))?
            .clone();
        let (Some(ci), Some(ri)) = (
            header_index(&headers, &["code", "class", "lucode", "value"]),
            header_index(&headers, &["resistance", "阻力", "cost"]),
        ) else {
            return Err(err(vec![format!(
                "needs columns 'code' and 'resistance' (found: {})",
                headers.iter().collect::<Vec<_>>().join(",")
            )]));
        };
        let zi = header_index(&headers, &["name_zh", "名称"]);
        let ei = header_index(&headers, &["name_en", "name"]);
        let ni = header_index(&headers, &["note", "备注"]);
        let mut problems = Vec::new();
        let mut classes: Vec<ResistanceClass> = Vec::new();
        for (k, rec) in rdr.records().enumerate() {
            let line = k + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("row {line}: {e}"));
                    continue;
                }
            };
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
            let code_s = get(Some(ci));
            let res_s = get(Some(ri));
            let code = code_s.parse::<i64>();
            let res = res_s.parse::<f64>();
            match (&code, &res) {
                (Ok(c), Ok(r)) => {
                    if !(*r > 0.0 && r.is_finite()) {
                        problems.push(format!(
                            "row {line} (code {c}): resistance {r} must be a finite number > 0"
                        ));
                    }
                    if classes.iter().any(|x| x.code == *c) {
                        problems.push(format!("row {line}: code {c} appears twice"));
                    }
                    classes.push(ResistanceClass {
                        code: *c,
                        name_zh: get(zi),
                        name_en: get(ei),
                        resistance: *r,
                        note: get(ni),
                    });
                }
                _ => {
                    if code.is_err() {
                        problems.push(format!("row {line}: code '{code_s}' is not an integer"));
                    }
                    if res.is_err() {
                        problems.push(format!("row {line}: resistance '{res_s}' is not a number"));
                    }
                }
            }
        }
        if classes.is_empty() && problems.is_empty() {
            problems.push("the table has no rows".into());
        }
        if !problems.is_empty() {
            return Err(err(problems));
        }
        Ok(ResistanceTable {
            name: table_name,
            title: meta.get("title").cloned().unwrap_or_default(),
            source: meta.get("source").cloned().unwrap_or_default(),
            classes,
        })
    }

    /// A bundled preset by name (see [`ResistanceTable::preset_names`]).
    pub fn preset(name: &str) -> Result<Self, ResistanceError> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            ResistanceError::UnknownPreset(name.into(), Self::preset_names().join(", "))
        })?;
        Self::parse_csv(name, text)
    }

    pub fn preset_names() -> Vec<&'static str> {
        PRESETS.iter().map(|(n, _)| *n).collect()
    }

    /// The table as CSV (for the run folder / manifest: "the table used").
    pub fn to_csv(&self) -> String {
        let mut s = format!(
            "# name: {}\n# title: {}\n# source: {}\ncode,name_zh,name_en,resistance,note\n",
            self.name, self.title, self.source
        );
        for c in &self.classes {
            s.push_str(&format!(
                "{},{},{},{},{}\n",
                c.code,
                csv_field(&c.name_zh),
                csv_field(&c.name_en),
                c.resistance,
                csv_field(&c.note)
            ));
        }
        s
    }

    pub fn resistance_of(&self, code: i64) -> Option<f64> {
        self.classes
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.resistance)
    }

    pub fn min_max(&self) -> (f64, f64) {
        self.classes
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                (lo.min(c.resistance), hi.max(c.resistance))
            })
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A reclassification by upper bounds: a value `v` gets the resistance of the first row with
/// `v ≤ upper` (the last row may have `upper = inf`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BreakTable {
    pub name: String,
    pub source: String,
    /// `(upper bound, resistance, label)`, ascending bounds.
    pub rows: Vec<(f64, f64, String)>,
}

impl BreakTable {
    /// Parses columns `upper`, `resistance`, optional `label`; `#` comments.
    pub fn parse_csv(name: &str, text: &str) -> Result<Self, ResistanceError> {
        let meta = comment_meta(text);
        let err = |problems: Vec<String>| ResistanceError::Table {
            table: name.to_string(),
            problems,
        };
        let mut rdr = csv_reader(text);
        let headers = rdr
            .headers()
            .map_err(|e| err(vec![format!("no header row: {e}")]))?
            .clone();
        let (Some(ui), Some(ri)) = (
            header_index(&headers, &["upper", "max", "upper_bound"]),
            header_index(&headers, &["resistance", "value", "阻力"]),
        ) else {
            return Err(err(vec![
                "needs columns 'upper' and 'resistance'".to_string()
            ]));
        };
        let li = header_index(&headers, &["label", "name"]);
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for (k, rec) in rdr.records().enumerate() {
            let line = k + 2;
            let Ok(rec) = rec else {
                problems.push(format!("row {line}: unreadable"));
                continue;
            };
            let u = rec.get(ui).unwrap_or("").trim().to_lowercase();
            let upper = if u == "inf" || u == "+inf" {
                Ok(f64::INFINITY)
            } else {
                u.parse::<f64>()
            };
            let r = rec.get(ri).unwrap_or("").parse::<f64>();
            match (upper, r) {
                (Ok(u), Ok(r)) if r > 0.0 && r.is_finite() && !u.is_nan() => {
                    rows.push((u, r, li.and_then(|i| rec.get(i)).unwrap_or("").to_string()))
                }
                _ => problems.push(format!(
                    "row {line}: needs a number 'upper' (or inf) and a resistance > 0"
                )),
            }
        }
        if rows.windows(2).any(|w| w[1].0 <= w[0].0) {
            problems.push("upper bounds must increase row by row".into());
        }
        if rows.is_empty() && problems.is_empty() {
            problems.push("the table has no rows".into());
        }
        if !problems.is_empty() {
            return Err(err(problems));
        }
        Ok(BreakTable {
            name: meta
                .get("name")
                .cloned()
                .unwrap_or_else(|| name.to_string()),
            source: meta.get("source").cloned().unwrap_or_default(),
            rows,
        })
    }

    pub fn preset(name: &str) -> Result<Self, ResistanceError> {
        let (_, text) = BREAK_PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| {
                ResistanceError::UnknownPreset(
                    name.into(),
                    BREAK_PRESETS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        Self::parse_csv(name, text)
    }

    /// Names of the bundled break-table presets (`presets/resistance/`).
    pub fn preset_names() -> Vec<&'static str> {
        BREAK_PRESETS.iter().map(|(n, _)| *n).collect()
    }

    /// Resistance for value `v`; `None` above the last bound or for NaN.
    pub fn classify(&self, v: f64) -> Option<f64> {
        if v.is_nan() {
            return None;
        }
        self.rows.iter().find(|r| v <= r.0).map(|r| r.1)
    }
}

/// A continuous layer reclassified by a break table and added with a weight.
#[derive(Debug, Clone, Copy)]
pub struct Factor<'a> {
    /// Name for the report, e.g. "slope 坡度 (°)".
    pub name: &'a str,
    pub layer: &'a Grid<f32>,
    pub breaks: &'a BreakTable,
    pub weight: f64,
}

/// Which pixel-to-class-mean correction (METHODS §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    /// 夜间灯光 `R′ = R_a·NL_i/NL_a`.
    NightLight,
    /// 不透水面 `R′ = R_a·ISA_i/ISA_a`.
    Impervious,
    /// NDVI (inverted) `R′ = R_a·NDVI_a/NDVI_i`.
    Ndvi,
}

impl CorrectionKind {
    pub fn label(self) -> &'static str {
        match self {
            CorrectionKind::NightLight => "夜间灯光 night light",
            CorrectionKind::Impervious => "不透水面 impervious share",
            CorrectionKind::Ndvi => "NDVI (inverted)",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Correction<'a> {
    pub kind: CorrectionKind,
    pub layer: &'a Grid<f32>,
}

/// Parameters of [`resistance_from_classes`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResistanceParams {
    /// Weight of the (corrected) land-use resistance in the weighted sum; 1.0 when there are no
    /// factors (Turpan: 0.7 with slope 0.3).
    pub landuse_weight: f64,
    /// `(R_min, R_max)`; `None` = the land-use table's minimum and maximum.
    pub clamp: Option<(f64, f64)>,
}

impl Default for ResistanceParams {
    fn default() -> Self {
        ResistanceParams {
            landuse_weight: 1.0,
            clamp: None,
        }
    }
}

/// What was done, for the manifest: the table used, per-class counts and correction means.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResistanceReport {
    pub table: ResistanceTable,
    pub landuse_weight: f64,
    pub factors: Vec<FactorReport>,
    pub corrections: Vec<CorrectionReport>,
    pub clamp: (f64, f64),
    /// Cells raised to R_min or lowered to R_max.
    pub clamped_cells: u64,
    /// `(code, cells)` of every class present.
    pub class_cells: Vec<(i64, u64)>,
    pub nodata_cells: u64,
    /// Human-readable notes (uncorrected classes, weights not summing to 1, …).
    pub notes: Vec<String>,
    /// `(min, mean, max)` of the output over valid cells.
    pub stats: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FactorReport {
    pub name: String,
    pub weight: f64,
    pub breaks: BreakTable,
    /// Cells where the factor layer was nodata (factor contributes nothing there; weights are
    /// renormalised over the factors present).
    pub missing_cells: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CorrectionReport {
    pub kind: CorrectionKind,
    /// `(class code, class mean of the layer)`; classes with mean ≤ 0 are left uncorrected.
    pub class_means: Vec<(i64, f64)>,
    /// Cells where the layer was nodata (ratio 1).
    pub missing_cells: u64,
}

/// A resistance surface and its report.
#[derive(Debug, Clone, PartialEq)]
pub struct ResistanceSurface {
    /// Resistance (dimensionless cost per map unit), [`RESISTANCE_NODATA`] where the class is nodata.
    pub resistance: Grid<f32>,
    pub report: ResistanceReport,
}

fn class_code<C: Cell>(v: C) -> Option<i64> {
    let x = v.to_f64();
    (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
}

/// Builds the resistance surface (module docs give the formulas).
///
/// ```
/// use ecoplan_grid::Grid;
/// use ecoplan_pattern::resistance::*;
/// let lu = Grid::from_rows(3, 1, vec![2u8, 1, 8]).unwrap();
/// let table = ResistanceTable::preset("clcd_default").unwrap();
/// let r = resistance_from_classes(&lu, &table, &[], &[], &ResistanceParams::default()).unwrap();
/// assert_eq!(r.resistance.data, vec![1.0, 30.0, 500.0]);
/// ```
pub fn resistance_from_classes<C: Cell>(
    classes: &Grid<C>,
    table: &ResistanceTable,
    factors: &[Factor<'_>],
    corrections: &[Correction<'_>],
    params: &ResistanceParams,
) -> Result<ResistanceSurface, ResistanceError> {
    let spec = classes.spec();
    validate(&spec, table, factors, corrections, params)?;
    // Class of each cell, and the check that every class is in the table.
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    let mut bad_codes = 0u64;
    let mut nodata_cells = 0u64;
    for &v in &classes.data {
        if classes.is_nodata(v) {
            nodata_cells += 1;
            continue;
        }
        match class_code(v) {
            Some(c) => *counts.entry(c).or_default() += 1,
            None => bad_codes += 1,
        }
    }
    if bad_codes > 0 {
        return Err(ResistanceError::Params(vec![format!(
            "{bad_codes} land-use cells are not whole-number class codes"
        )]));
    }
    let unmapped: Vec<(i64, u64)> = counts
        .iter()
        .filter(|(c, _)| table.resistance_of(**c).is_none())
        .map(|(c, n)| (*c, *n))
        .collect();
    if !unmapped.is_empty() {
        return Err(ResistanceError::UnmappedClasses {
            table: table.name.clone(),
            classes: unmapped,
        });
    }
    let lut: BTreeMap<i64, f64> = table
        .classes
        .iter()
        .map(|c| (c.code, c.resistance))
        .collect();
    let clamp = params.clamp.unwrap_or_else(|| table.min_max());
    let mut notes = Vec::new();

    // Land-use resistance, then each correction as a ratio to the class mean.
    let n = classes.len();
    let mut r: Vec<f64> = classes
        .data
        .iter()
        .map(|&v| {
            if classes.is_nodata(v) {
                f64::NAN
            } else {
                lut[&class_code(v).expect("checked")]
            }
        })
        .collect();
    let mut correction_reports = Vec::new();
    for corr in corrections {
        let layer = corr.layer;
        let mut sums: BTreeMap<i64, (f64, u64)> = BTreeMap::new();
        let mut missing = 0u64;
        for i in 0..n {
            let v = classes.data[i];
            if classes.is_nodata(v) {
                continue;
            }
            let x = layer.data[i];
            if layer.is_nodata(x) {
                missing += 1;
                continue;
            }
            let e = sums.entry(class_code(v).expect("checked")).or_default();
            e.0 += x as f64;
            e.1 += 1;
        }
        let means: BTreeMap<i64, f64> =
            sums.iter().map(|(c, (s, k))| (*c, s / *k as f64)).collect();
        for c in counts.keys() {
            match means.get(c) {
                Some(m) if *m > 0.0 => {}
                Some(m) => notes.push(format!(
                    "{}: class {c} mean {m} ≤ 0, class left uncorrected",
                    corr.kind.label()
                )),
                None => notes.push(format!(
                    "{}: class {c} has no valid layer cell, left uncorrected",
                    corr.kind.label()
                )),
            }
        }
        for i in 0..n {
            let v = classes.data[i];
            if classes.is_nodata(v) {
                continue;
            }
            let x = layer.data[i];
            if layer.is_nodata(x) {
                continue;
            }
            let Some(&m) = means.get(&class_code(v).expect("checked")) else {
                continue;
            };
            if m <= 0.0 {
                continue;
            }
            let x = x as f64;
            let ratio = match corr.kind {
                CorrectionKind::NightLight | CorrectionKind::Impervious => x / m,
                CorrectionKind::Ndvi => {
                    if x > 0.0 {
                        m / x
                    } else {
                        f64::INFINITY
                    }
                }
            };
            r[i] *= ratio;
        }
        correction_reports.push(CorrectionReport {
            kind: corr.kind,
            class_means: means.into_iter().collect(),
            missing_cells: missing,
        });
    }

    // Weighted sum with the factors; where a factor is missing its weight is dropped and the
    // remaining weights renormalised, so the result stays on the table's scale.
    let mut factor_reports: Vec<FactorReport> = factors
        .iter()
        .map(|f| FactorReport {
            name: f.name.to_string(),
            weight: f.weight,
            breaks: f.breaks.clone(),
            missing_cells: 0,
        })
        .collect();
    if !factors.is_empty() {
        let total_w = params.landuse_weight + factors.iter().map(|f| f.weight).sum::<f64>();
        if (total_w - 1.0).abs() > 1e-9 {
            notes.push(format!(
                "weights sum to {total_w} (not 1): results are divided by the sum"
            ));
        }
        for (i, ri) in r.iter_mut().enumerate() {
            if ri.is_nan() {
                continue;
            }
            let mut s = params.landuse_weight * *ri;
            let mut w = params.landuse_weight;
            for (k, f) in factors.iter().enumerate() {
                let x = f.layer.data[i];
                match (!f.layer.is_nodata(x))
                    .then(|| f.breaks.classify(x as f64))
                    .flatten()
                {
                    Some(rf) => {
                        s += f.weight * rf;
                        w += f.weight;
                    }
                    None => factor_reports[k].missing_cells += 1,
                }
            }
            *ri = s / w;
        }
    }

    let mut clamped = 0u64;
    let mut out = Vec::with_capacity(n);
    for &x in &r {
        if x.is_nan() {
            out.push(RESISTANCE_NODATA);
            continue;
        }
        let y = x.clamp(clamp.0, clamp.1);
        if y != x {
            clamped += 1;
        }
        out.push(y as f32);
    }
    let grid = Grid::from_vec(&spec, out, Some(RESISTANCE_NODATA)).expect("sized to the grid");
    let stats = grid.stats().map(|s| (s.min, s.mean(), s.max));
    Ok(ResistanceSurface {
        resistance: grid,
        report: ResistanceReport {
            table: table.clone(),
            landuse_weight: params.landuse_weight,
            factors: factor_reports,
            corrections: correction_reports,
            clamp,
            clamped_cells: clamped,
            class_cells: counts.into_iter().collect(),
            nodata_cells,
            notes,
            stats,
        },
    })
}

fn validate(
    spec: &GridSpec,
    table: &ResistanceTable,
    factors: &[Factor<'_>],
    corrections: &[Correction<'_>],
    params: &ResistanceParams,
) -> Result<(), ResistanceError> {
    let mut p = Vec::new();
    if !(params.landuse_weight > 0.0 && params.landuse_weight.is_finite()) {
        p.push(format!(
            "landuse_weight = {} must be > 0",
            params.landuse_weight
        ));
    }
    if let Some((lo, hi)) = params.clamp {
        if !(lo > 0.0 && hi >= lo && hi.is_finite()) {
            p.push(format!(
                "clamp ({lo}, {hi}) must satisfy 0 < R_min ≤ R_max < ∞ (cost distance needs R > 0)"
            ));
        }
    }
    if table.classes.is_empty() {
        p.push(format!("table {} has no classes", table.name));
    }
    for f in factors {
        if !(f.weight >= 0.0 && f.weight.is_finite()) {
            p.push(format!(
                "factor {}: weight {} must be ≥ 0",
                f.name, f.weight
            ));
        }
        if let Err(e) = spec.check_aligned(&f.layer.spec()) {
            p.push(format!("factor {}: {e}", f.name));
        }
    }
    for c in corrections {
        if let Err(e) = spec.check_aligned(&c.layer.spec()) {
            p.push(format!("correction {}: {e}", c.kind.label()));
        }
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(ResistanceError::Params(p))
    }
}
