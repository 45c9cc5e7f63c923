//! `ecoplan circuitscape CONFIG.ini`: Circuitscape.jl 5 configuration files, inputs and outputs.

use super::ini::Ini;
use super::rasters::{
    first_line, read_raster, read_table, write_map, write_text, OutputMeta, Raster,
};
use super::{resolve_input, resolve_output, FilesError, RunOptions};
use crate::circuitscape::{
    self as cs, ConflictPolicy, FocalPoint, Landscape, MapKind, MapOptions, OneToAllMode,
    PairFilter,
};
use crate::graph::{Connectivity, GraphOptions};
use crate::network::{self, Network, NetworkPairOutput};
use crate::solver::{SolverKind, SolverOptions};
use crate::CircuitError;
use ecoplan_grid::Progress;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Circuitscape scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Pairwise,
    Advanced,
    OneToAll,
    AllToOne,
}

/// A validated Circuitscape configuration with resolved paths.
#[derive(Debug, Clone)]
pub struct CsConfig {
    pub ini_path: PathBuf,
    pub network: bool,
    pub scenario: Scenario,
    pub habitat_file: PathBuf,
    pub habitat_is_resistance: bool,
    pub graph: GraphOptions,
    pub polygon_file: Option<PathBuf>,
    pub mask_file: Option<PathBuf>,
    pub point_file: Option<PathBuf>,
    pub included_pairs_file: Option<PathBuf>,
    pub variable_source_file: Option<PathBuf>,
    pub source_file: Option<PathBuf>,
    pub ground_file: Option<PathBuf>,
    pub ground_is_resistance: bool,
    pub policy: ConflictPolicy,
    pub unit_currents: bool,
    pub direct_grounds: bool,
    /// `output_file` without its `.out` suffix.
    pub output_prefix: PathBuf,
    pub maps: MapOptions,
    pub log_transform: bool,
    pub null_currents_to_nodata: bool,
    pub null_voltages_to_nodata: bool,
    pub compress: bool,
    pub solver: SolverOptions,
    pub warnings: Vec<String>,
}

/// What a run wrote.
#[derive(Debug, Clone, Default)]
pub struct CsSummary {
    pub outputs: Vec<PathBuf>,
    /// Focal ids and resistances (pairwise: matrix; one-to-all/all-to-one: one per id).
    pub ids: Vec<i64>,
    pub resistances: Vec<f64>,
    pub warnings: Vec<String>,
}

/// Reads and validates a configuration, reporting every problem at once.
pub fn load_config(ini_path: &Path, opts: &RunOptions) -> Result<CsConfig, FilesError> {
    let text = std::fs::read_to_string(ini_path)
        .map_err(|e| FilesError::Io(ecoplan_io::IoError::io(ini_path, e)))?;
    let ini = Ini::parse(&text);
    let mut p: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    let base = opts.base_dir.as_deref();
    let data_type = ini
        .get("data_type")
        .unwrap_or("raster")
        .to_ascii_lowercase();
    let network = match data_type.as_str() {
        "raster" => false,
        "network" | "graph" => true,
        other => {
            p.push(format!(
                "data_type = {other}: expected raster or network{}",
                ini.at("data_type")
            ));
            false
        }
    };
    let scenario = match ini.get("scenario").map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == "pairwise" => Scenario::Pairwise,
        Some(s) if s == "advanced" => Scenario::Advanced,
        Some(s) if s == "one-to-all" || s == "one_to_all" => Scenario::OneToAll,
        Some(s) if s == "all-to-one" || s == "all_to_one" => Scenario::AllToOne,
        Some(s) => {
            p.push(format!(
                "scenario = {s}: expected pairwise, advanced, one-to-all or all-to-one{}",
                ini.at("scenario")
            ));
            Scenario::Pairwise
        }
        None => {
            p.push("scenario is missing: set pairwise, advanced, one-to-all or all-to-one".into());
            Scenario::Pairwise
        }
    };
    if network && matches!(scenario, Scenario::OneToAll | Scenario::AllToOne) {
        p.push("one-to-all and all-to-one modes need raster data (data_type = raster)".into());
    }
    let file = |key: &str, required: bool, p: &mut Vec<String>| -> Option<PathBuf> {
        match ini.file(key) {
            None => {
                if required {
                    p.push(format!("{key} is required for this scenario but not given"));
                }
                None
            }
            Some(v) => match resolve_input(ini_path, base, v) {
                Some(path) => Some(path),
                None => {
                    p.push(format!(
                        "{key} = {v}: file not found (looked next to the .ini, in its parent \
                         folders and in the working directory){}",
                        ini.at(key)
                    ));
                    None
                }
            },
        }
    };
    let habitat_file = file("habitat_file", true, &mut p);
    let use_polygons = ini.bool("use_polygons", false, &mut p);
    let use_mask = ini.bool("use_mask", false, &mut p);
    let use_pairs = ini.bool("use_included_pairs", false, &mut p);
    let use_var = ini.bool("use_variable_source_strengths", false, &mut p);
    let advanced = scenario == Scenario::Advanced;
    let polygon_file = (use_polygons && !network)
        .then(|| file("polygon_file", true, &mut p))
        .flatten();
    let mask_file = (use_mask && !network)
        .then(|| file("mask_file", true, &mut p))
        .flatten();
    let point_file = (!advanced)
        .then(|| file("point_file", true, &mut p))
        .flatten();
    let included_pairs_file = (use_pairs && !advanced)
        .then(|| file("included_pairs_file", true, &mut p))
        .flatten();
    let variable_source_file = (use_var
        && matches!(scenario, Scenario::OneToAll | Scenario::AllToOne))
    .then(|| file("variable_source_file", true, &mut p))
    .flatten();
    let source_file = advanced
        .then(|| file("source_file", true, &mut p))
        .flatten();
    let ground_file = advanced
        .then(|| file("ground_file", true, &mut p))
        .flatten();
    let policy_s = ini.get("remove_src_or_gnd").unwrap_or("keepall");
    let policy = ConflictPolicy::from_name(policy_s).unwrap_or_else(|| {
        p.push(format!(
            "remove_src_or_gnd = {policy_s}: expected keepall, rmvsrc, rmvgnd or rmvall"
        ));
        ConflictPolicy::KeepAll
    });
    let solver_name = ini.get("solver").unwrap_or("cg+amg");
    let kind = opts
        .solver
        .or_else(|| SolverKind::from_name(solver_name))
        .unwrap_or_else(|| {
            p.push(format!(
                "solver = {solver_name}: expected cg+amg or cholmod{}",
                ini.at("solver")
            ));
            SolverKind::CgAmg
        });
    if ini
        .get("precision")
        .is_some_and(|v| v.eq_ignore_ascii_case("single"))
    {
        warnings.push("precision = single: ecoplan computes in double precision".into());
    }
    if ini.bool("use_reclass_table", false, &mut p) {
        p.push(
            "use_reclass_table = True: reclassification is not part of Circuitscape 5; \
             reclassify the habitat raster first"
                .into(),
        );
    }
    let output_file = match ini.get("output_file") {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => {
            if opts.output.is_none() {
                p.push("output_file is missing: give the output path (e.g. output/run.out)".into());
            }
            "circuitscape.out".into()
        }
    };
    let out = match &opts.output {
        Some(o) => o.clone(),
        None => resolve_output(ini_path, base, &output_file),
    };
    let out_s = out.to_string_lossy().into_owned();
    let output_prefix = PathBuf::from(match out_s.find(".out") {
        Some(i) => out_s[..i].to_string(),
        None => out_s,
    });
    let maps = MapOptions {
        write_cur_maps: ini.bool("write_cur_maps", false, &mut p),
        write_volt_maps: ini.bool("write_volt_maps", false, &mut p),
        write_max_cur_maps: ini.bool("write_max_cur_maps", false, &mut p),
        write_cum_cur_map_only: ini.bool("write_cum_cur_map_only", false, &mut p),
        set_focal_node_currents_to_zero: ini.bool("set_focal_node_currents_to_zero", false, &mut p),
        ..Default::default()
    };
    let graph = GraphOptions {
        connectivity: if ini.bool("connect_four_neighbors_only", false, &mut p) {
            Connectivity::Four
        } else {
            Connectivity::Eight
        },
        avg_resistances: ini.bool("connect_using_avg_resistances", false, &mut p),
    };
    let cfg = CsConfig {
        ini_path: ini_path.to_path_buf(),
        network,
        scenario,
        habitat_file: habitat_file.unwrap_or_default(),
        habitat_is_resistance: ini.bool("habitat_map_is_resistances", true, &mut p),
        graph,
        polygon_file,
        mask_file,
        point_file,
        included_pairs_file,
        variable_source_file,
        source_file,
        ground_file,
        ground_is_resistance: ini.bool("ground_file_is_resistances", true, &mut p),
        policy,
        unit_currents: ini.bool("use_unit_currents", false, &mut p),
        direct_grounds: ini.bool("use_direct_grounds", false, &mut p),
        output_prefix,
        maps,
        log_transform: ini.bool("log_transform_maps", false, &mut p),
        null_currents_to_nodata: ini.bool("set_null_currents_to_nodata", false, &mut p),
        null_voltages_to_nodata: ini.bool("set_null_voltages_to_nodata", false, &mut p),
        compress: ini.bool("compress_grids", false, &mut p),
        solver: SolverOptions::with_kind(kind),
        warnings,
    };
    if p.is_empty() {
        Ok(cfg)
    } else {
        Err(FilesError::Config {
            path: ini_path.to_path_buf(),
            problems: p,
        })
    }
}

/// Runs the configuration and writes Circuitscape's outputs.
pub fn run(
    ini_path: &Path,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<CsSummary, FilesError> {
    let cfg = load_config(ini_path, opts)?;
    let mut summary = CsSummary {
        warnings: cfg.warnings.clone(),
        ..Default::default()
    };
    if opts.print_warnings {
        for w in &cfg.warnings {
            eprintln!("警告 warning: {w}");
        }
    }
    if cfg.network {
        run_network(&cfg, &mut summary, progress)?;
    } else {
        run_raster(&cfg, opts, &mut summary, progress)?;
    }
    Ok(summary)
}

fn problems(cfg: &CsConfig, p: Vec<String>) -> Result<(), FilesError> {
    if p.is_empty() {
        Ok(())
    } else {
        Err(FilesError::Config {
            path: cfg.ini_path.clone(),
            problems: p,
        })
    }
}

fn same_shape(r: &Raster, hab: &Raster, key: &str, p: &mut Vec<String>) -> bool {
    if r.width() != hab.width() || r.height() != hab.height() {
        p.push(format!(
            "{key} {} is {}×{} cells but the habitat map is {}×{}",
            r.path.display(),
            r.width(),
            r.height(),
            hab.width(),
            hab.height()
        ));
        false
    } else {
        true
    }
}

/// A raster cell value that is real data (not NaN, not nodata, not Circuitscape's −9999).
fn valid(v: f64) -> bool {
    !v.is_nan() && v != -9999.0
}

/// Integer ids of a raster (nodata → 0).
fn ids_of(r: &Raster, key: &str, p: &mut Vec<String>) -> Vec<i64> {
    let mut bad = 0usize;
    let ids: Vec<i64> = r
        .grid
        .data
        .iter()
        .map(|&v| {
            if !valid(v) {
                0
            } else if v.fract() != 0.0 {
                bad += 1;
                v.round() as i64
            } else {
                v as i64
            }
        })
        .collect();
    if bad > 0 {
        p.push(format!(
            "{key} {}: {bad} cells hold non-integer ids; region ids must be whole numbers",
            r.path.display()
        ));
    }
    ids
}

/// Circuitscape's text-coordinate → cell rule: row = ⌈nrows − (y − yll)/cs⌉, col = ⌈(x − xll)/cs⌉.
fn cell_of(hab: &Raster, x: f64, y: f64) -> Option<(usize, usize)> {
    let cs = hab.cellsize();
    let row = (hab.height() as f64 - (y - hab.yll()) / cs).ceil() as i64 - 1;
    let col = ((x - hab.xll()) / cs).ceil() as i64 - 1;
    (row >= 0 && col >= 0 && (row as usize) < hab.height() && (col as usize) < hab.width())
        .then_some((row as usize, col as usize))
}

fn is_raster_file(path: &Path) -> Result<bool, FilesError> {
    if super::rasters::is_tif_name(path) {
        return Ok(true);
    }
    let l = first_line(path)?;
    Ok(l.starts_with("ncols") || l.starts_with("nrows"))
}

/// Focal points from a raster (non-zero ids, column-major scan) or a text list `id x y`,
/// stably sorted by id; negative ids dropped.
fn read_points(
    path: &Path,
    hab: &Raster,
    p: &mut Vec<String>,
) -> Result<Vec<FocalPoint>, FilesError> {
    let mut pts = Vec::new();
    if is_raster_file(path)? {
        let r = read_raster(path)?;
        if !same_shape(&r, hab, "point_file", p) {
            return Ok(pts);
        }
        let ids = ids_of(&r, "point_file", p);
        let (w, h) = (r.width(), r.height());
        for c in 0..w {
            for row in 0..h {
                let id = ids[row * w + c];
                if id > 0 {
                    pts.push(FocalPoint { row, col: c, id });
                }
            }
        }
    } else {
        let t = read_table(path, false)?;
        let mut outside = Vec::new();
        for (k, row) in t.iter().enumerate() {
            if row.len() < 3 {
                p.push(format!(
                    "point_file {}: row {} needs `id x y`",
                    path.display(),
                    k + 1
                ));
                continue;
            }
            let id = row[0] as i64;
            if id < 0 {
                continue;
            }
            match cell_of(hab, row[1], row[2]) {
                Some((r, c)) => pts.push(FocalPoint { row: r, col: c, id }),
                None => outside.push(format!("{} ({}, {})", id, row[1], row[2])),
            }
        }
        if !outside.is_empty() {
            p.push(format!(
                "point_file {}: focal points outside the habitat map: {}",
                path.display(),
                outside.join(", ")
            ));
        }
    }
    pts.sort_by_key(|q| q.id);
    let mut distinct: Vec<i64> = pts.iter().map(|q| q.id).collect();
    distinct.dedup();
    if distinct.len() < 2 {
        p.push(format!(
            "point_file {}: fewer than two valid focal nodes found",
            path.display()
        ));
    }
    Ok(pts)
}

/// Include/exclude pairs: `min`/`max` + matrix, or `mode include|exclude` + pairs.
fn read_pairs(path: &Path) -> Result<PairFilter, FilesError> {
    let text = std::fs::read_to_string(path).map_err(|e| ecoplan_io::IoError::io(path, e))?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("").to_ascii_lowercase();
    let fail = |d: String| FilesError::Io(ecoplan_io::IoError::format(path, d));
    if first.starts_with("min") {
        let minv: f64 = first
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| fail("line 1: `min <value>` expected".into()))?;
        let second = lines.next().unwrap_or("").to_ascii_lowercase();
        let maxv: f64 = second
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .filter(|_| second.starts_with("max"))
            .ok_or_else(|| fail("line 2: `max <value>` expected".into()))?;
        let rest: String = lines.collect::<Vec<_>>().join("\n");
        let t = super::rasters::parse_table(&rest, false).map_err(fail)?;
        if t.is_empty() {
            return Err(fail("the pair matrix is empty".into()));
        }
        let ids: Vec<i64> = t[0].iter().skip(1).map(|&v| v as i64).collect();
        let n = ids.len();
        let mut listed = vec![false; n * n];
        for (i, row) in t.iter().skip(1).enumerate().take(n) {
            for j in 0..n {
                let v = row.get(j + 1).copied().unwrap_or(0.0);
                let v = if v > maxv { 0.0 } else { v };
                listed[i * n + j] = v >= minv;
            }
        }
        Ok(PairFilter {
            include: true,
            point_ids: ids,
            listed,
        })
    } else if first.starts_with("mode") {
        let include = match first.split_whitespace().nth(1) {
            Some("include") => true,
            Some("exclude") => false,
            _ => {
                return Err(fail(
                    "line 1: expected `mode include` or `mode exclude`".into(),
                ))
            }
        };
        let rest: String = lines.collect::<Vec<_>>().join("\n");
        let t = super::rasters::parse_table(&rest, false).map_err(fail)?;
        let pairs: Vec<(i64, i64)> = t
            .iter()
            .filter(|r| r.len() >= 2)
            .map(|r| (r[0] as i64, r[1] as i64))
            .collect();
        Ok(PairFilter::from_pairs(include, &pairs))
    } else {
        Err(fail(
            "not an include/exclude pairs file: the first line must be `min <v>` (matrix) or \
             `mode include|exclude` (pair list)"
                .into(),
        ))
    }
}

/// Source or ground values per cell from a raster or a `value x y` list (NaN = not given).
fn read_cell_values(
    path: &Path,
    hab: &Raster,
    key: &str,
    p: &mut Vec<String>,
) -> Result<Vec<f64>, FilesError> {
    let cells = hab.width() * hab.height();
    if is_raster_file(path)? {
        let r = read_raster(path)?;
        if !same_shape(&r, hab, key, p) {
            return Ok(vec![0.0; cells]);
        }
        Ok(r.grid
            .data
            .iter()
            .map(|&v| if valid(v) { v } else { f64::NAN })
            .collect())
    } else {
        let t = read_table(path, false)?;
        let mut out = vec![f64::NAN; cells];
        let mut outside = Vec::new();
        for row in t.iter().filter(|r| r.len() >= 3) {
            match cell_of(hab, row[1], row[2]) {
                Some((r, c)) => out[r * hab.width() + c] = row[0],
                None => outside.push(format!("({}, {})", row[1], row[2])),
            }
        }
        if !outside.is_empty() {
            p.push(format!(
                "{key} {}: locations outside the habitat map: {}",
                path.display(),
                outside.join(", ")
            ));
        }
        Ok(out)
    }
}

/// Source currents: not given → 0; `use_unit_currents` turns every nonzero source into 1 A.
fn source_values(v: &[f64], unit: bool) -> Vec<f64> {
    v.iter()
        .map(|&x| {
            if x.is_nan() {
                0.0
            } else if unit && x != 0.0 {
                1.0
            } else {
                x
            }
        })
        .collect()
}

/// Ground conductances as Circuitscape derives them: resistances are inverted (0 Ω → direct
/// ground), `use_direct_grounds` makes every ground direct, cells not given are not grounded.
fn ground_conductances(v: &[f64], cfg: &CsConfig) -> Vec<f64> {
    v.iter()
        .map(|&x| {
            if x.is_nan() {
                return 0.0;
            }
            let g = if cfg.ground_is_resistance {
                if x == 0.0 {
                    f64::INFINITY
                } else {
                    1.0 / x
                }
            } else {
                x
            };
            if cfg.direct_grounds && g != 0.0 {
                f64::INFINITY
            } else {
                g.max(0.0)
            }
        })
        .collect()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn write_resistances(
    prefix: &Path,
    ids: &[i64],
    r: &[f64],
    summary: &mut CsSummary,
) -> Result<(), FilesError> {
    let n = ids.len();
    let mut m = String::new();
    m.push('0');
    for id in ids {
        let _ = write!(m, " {id}");
    }
    m.push('\n');
    let mut c3 = String::new();
    for i in 0..n {
        let _ = write!(m, "{}", ids[i]);
        for j in 0..n {
            let _ = write!(m, " {}", fmt_num(r[i * n + j]));
        }
        m.push('\n');
        for j in i + 1..n {
            let _ = writeln!(c3, "{} {} {}", ids[i], ids[j], fmt_num(r[j * n + i]));
        }
    }
    let p1 = PathBuf::from(format!("{}_resistances.out", prefix.display()));
    let p2 = PathBuf::from(format!("{}_resistances_3columns.out", prefix.display()));
    write_text(&p1, &m)?;
    write_text(&p2, &c3)?;
    summary.outputs.push(p1);
    summary.outputs.push(p2);
    Ok(())
}

/// Applies the output options to a current or voltage map.
fn postprocess(
    map: &[f64],
    kind: MapKind,
    cfg: &CsConfig,
    conductance: &[f64],
    nodata: f64,
) -> Vec<f64> {
    let mut m = map.to_vec();
    if kind == MapKind::Current && cfg.log_transform {
        m.iter_mut()
            .for_each(|v| *v = if *v > 0.0 { v.log10() } else { nodata });
    }
    let null = match kind {
        MapKind::Current => cfg.null_currents_to_nodata,
        MapKind::Voltage => cfg.null_voltages_to_nodata,
    };
    if null {
        m.iter_mut().zip(conductance).for_each(|(v, &g)| {
            if g <= 0.0 {
                *v = nodata
            }
        });
    }
    m
}

fn run_raster(
    cfg: &CsConfig,
    opts: &RunOptions,
    summary: &mut CsSummary,
    progress: &dyn Progress,
) -> Result<(), FilesError> {
    let mut p = Vec::new();
    let hab = read_raster(&cfg.habitat_file)?;
    let cells = hab.width() * hab.height();
    // Habitat → conductance (nodata and -9999 are barriers).
    let mut zero_res = 0usize;
    let mut negative = 0usize;
    let mut conductance: Vec<f64> = hab
        .grid
        .data
        .iter()
        .map(|&v| {
            if !valid(v) {
                0.0
            } else if v < 0.0 {
                negative += 1;
                0.0
            } else if cfg.habitat_is_resistance {
                if v == 0.0 {
                    zero_res += 1;
                    0.0
                } else {
                    1.0 / v
                }
            } else {
                v
            }
        })
        .collect();
    if zero_res > 0 {
        p.push(format!(
            "habitat_file {}: {zero_res} cells have resistance 0, which Circuitscape does not \
             support; use a short-circuit region (polygon) file for them instead",
            hab.path.display()
        ));
    }
    if negative > 0 {
        summary.warnings.push(format!(
            "habitat_file {}: {negative} cells with negative values treated as barriers",
            hab.path.display()
        ));
    }
    let polygons = match &cfg.polygon_file {
        Some(f) => {
            let r = read_raster(f)?;
            same_shape(&r, &hab, "polygon_file", &mut p).then(|| ids_of(&r, "polygon_file", &mut p))
        }
        None => None,
    };
    if let Some(f) = &cfg.mask_file {
        let r = read_raster(f)?;
        if same_shape(&r, &hab, "mask_file", &mut p) {
            for (g, &m) in conductance.iter_mut().zip(&r.grid.data) {
                if !(valid(m) && m > 0.0) {
                    *g = 0.0;
                }
            }
            if conductance.iter().all(|&g| g <= 0.0) {
                p.push(format!(
                    "mask_file {}: the mask removes every cell",
                    f.display()
                ));
            }
        }
    }
    let focal = match &cfg.point_file {
        Some(f) => read_points(f, &hab, &mut p)?,
        None => Vec::new(),
    };
    let filter = match &cfg.included_pairs_file {
        Some(f) => Some(read_pairs(f)?),
        None => None,
    };
    let strengths: Option<HashMap<i64, f64>> = match &cfg.variable_source_file {
        Some(f) => Some(
            read_table(f, false)?
                .iter()
                .filter(|r| r.len() >= 2)
                .map(|r| (r[0] as i64, r[1]))
                .collect(),
        ),
        None => None,
    };
    let (mut sources, mut grounds) = (Vec::new(), Vec::new());
    if cfg.scenario == Scenario::Advanced {
        if let (Some(sf), Some(gf)) = (&cfg.source_file, &cfg.ground_file) {
            sources = read_cell_values(sf, &hab, "source_file", &mut p)?;
            grounds = read_cell_values(gf, &hab, "ground_file", &mut p)?;
            if grounds.iter().any(|&g| g < 0.0) {
                p.push(format!(
                    "ground_file {}: ground values must not be negative",
                    gf.display()
                ));
            }
        }
    }
    problems(cfg, p)?;
    for w in &summary.warnings {
        if opts.print_warnings {
            eprintln!("警告 warning: {w}");
        }
    }
    let meta = OutputMeta::from_raster(&hab, cfg.compress);
    let prefix = cfg.output_prefix.display().to_string();
    if let Some(dir) = cfg
        .output_prefix
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| ecoplan_io::IoError::io(dir, e))?;
    }
    let land = Landscape {
        width: hab.width(),
        height: hab.height(),
        conductance: &conductance,
        polygons: polygons.as_deref(),
        graph: cfg.graph,
    };
    let written = Mutex::new(Vec::<PathBuf>::new());
    let sink = |label: &str, kind: MapKind, data: &[f64]| -> Result<(), CircuitError> {
        let stem = match kind {
            MapKind::Current => "curmap",
            MapKind::Voltage => "voltmap",
        };
        let name = if label.is_empty() {
            format!("{prefix}_{stem}")
        } else {
            format!("{prefix}_{stem}_{label}")
        };
        let path = meta.path(&name);
        let m = postprocess(data, kind, cfg, &conductance, meta.nodata);
        write_map(&path, &m, &meta, true).map_err(|e| CircuitError::Output(e.to_string()))?;
        written.lock().expect("lock").push(path);
        Ok(())
    };
    let write_cum = |cum: Option<Vec<f64>>,
                     max: Option<Vec<f64>>,
                     summary: &mut CsSummary|
     -> Result<(), FilesError> {
        if let Some(c) = cum {
            let path = meta.path(&format!("{prefix}_cum_curmap"));
            let m = postprocess(&c, MapKind::Current, cfg, &conductance, meta.nodata);
            write_map(&path, &m, &meta, true)?;
            summary.outputs.push(path);
        }
        if let Some(m) = max {
            let path = meta.path(&format!("{prefix}_max_curmap"));
            let m = postprocess(&m, MapKind::Current, cfg, &conductance, meta.nodata);
            write_map(&path, &m, &meta, true)?;
            summary.outputs.push(path);
        }
        Ok(())
    };
    match cfg.scenario {
        Scenario::Pairwise => {
            let r = cs::pairwise(
                &land,
                &focal,
                filter.as_ref(),
                &cfg.maps,
                &cfg.solver,
                &sink,
                progress,
            )?;
            write_resistances(&cfg.output_prefix, &r.ids, &r.resistances, summary)?;
            write_cum(r.cum_current, r.max_current, summary)?;
            summary.ids = r.ids;
            summary.resistances = r.resistances;
        }
        Scenario::OneToAll | Scenario::AllToOne => {
            let mode = if cfg.scenario == Scenario::OneToAll {
                OneToAllMode::OneToAll
            } else {
                OneToAllMode::AllToOne
            };
            let r = cs::one_to_all(
                &land,
                &focal,
                mode,
                strengths.as_ref(),
                filter.as_ref(),
                &cfg.maps,
                &cfg.solver,
                &sink,
                progress,
            )?;
            let mut t = String::new();
            for (id, v) in r.ids.iter().zip(&r.resistances) {
                let _ = writeln!(t, "{id} {}", fmt_num(*v));
            }
            let path = PathBuf::from(format!("{prefix}_resistances.out"));
            write_text(&path, &t)?;
            summary.outputs.push(path);
            write_cum(r.cum_current, r.max_current, summary)?;
            summary.ids = r.ids;
            summary.resistances = r.resistances;
        }
        Scenario::Advanced => {
            let sources = source_values(&sources, cfg.unit_currents);
            let grounds = ground_conductances(&grounds, cfg);
            let _ = cells;
            cs::advanced(
                &land,
                &sources,
                &grounds,
                cfg.policy,
                &cfg.maps,
                &cfg.solver,
                &sink,
                progress,
            )?;
        }
    }
    summary.outputs.extend(written.into_inner().expect("lock"));
    Ok(())
}

fn run_network(
    cfg: &CsConfig,
    summary: &mut CsSummary,
    progress: &dyn Progress,
) -> Result<(), FilesError> {
    let mut p = Vec::new();
    let t = read_table(&cfg.habitat_file, false)?;
    let mut edges = Vec::with_capacity(t.len());
    let mut n = 0usize;
    for (k, row) in t.iter().enumerate() {
        if row.len() < 3
            || row[0] < 0.0
            || row[1] < 0.0
            || row[0].fract() != 0.0
            || row[1].fract() != 0.0
        {
            p.push(format!(
                "habitat_file {}: row {} must be `node node value` with node ids ≥ 0",
                cfg.habitat_file.display(),
                k + 1
            ));
            continue;
        }
        let w = if cfg.habitat_is_resistance {
            if row[2] <= 0.0 {
                p.push(format!(
                    "habitat_file {}: row {} has resistance {} (must be > 0)",
                    cfg.habitat_file.display(),
                    k + 1,
                    row[2]
                ));
                continue;
            }
            1.0 / row[2]
        } else {
            row[2]
        };
        let (a, b) = (row[0] as u32, row[1] as u32);
        n = n.max(a as usize + 1).max(b as usize + 1);
        edges.push((a, b, w));
    }
    let net = Network { n, edges };
    let prefix = cfg.output_prefix.display().to_string();
    if let Some(dir) = cfg
        .output_prefix
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| ecoplan_io::IoError::io(dir, e))?;
    }
    match cfg.scenario {
        Scenario::Pairwise => {
            let Some(pf) = &cfg.point_file else {
                return problems(cfg, p);
            };
            let fp = read_table(pf, false)?;
            let focal: Vec<u32> = fp
                .iter()
                .filter_map(|r| r.first())
                .map(|&v| v as u32)
                .collect();
            for &f in &focal {
                if f as usize >= net.n {
                    p.push(format!(
                        "point_file {}: node {} is not in the graph",
                        pf.display(),
                        f
                    ));
                }
            }
            let filter = match &cfg.included_pairs_file {
                Some(f) => Some(read_pairs(f)?),
                None => None,
            };
            problems(cfg, p)?;
            let ids: Vec<i64> = focal.iter().map(|&f| f as i64 + 1).collect();
            let want = cfg.maps.write_cur_maps
                || cfg.maps.write_volt_maps
                || cfg.maps.write_cum_cur_map_only;
            let written = Mutex::new(Vec::<PathBuf>::new());
            let sink = |o: &NetworkPairOutput| -> Result<(), CircuitError> {
                let tag = format!("{}_{}", o.ids.0, o.ids.1);
                let mut files = Vec::new();
                if cfg.maps.write_volt_maps {
                    let mut s = String::new();
                    for &(nd, v) in &o.voltages {
                        let _ = writeln!(s, "{}\t{}", nd + 1, v);
                    }
                    files.push((format!("{prefix}_voltages_{tag}.txt"), s));
                }
                if cfg.maps.write_cur_maps && !cfg.maps.write_cum_cur_map_only {
                    let mut s = String::new();
                    for &(nd, v) in &o.node_currents {
                        let _ = writeln!(s, "{}\t{}", nd + 1, v);
                    }
                    files.push((format!("{prefix}_node_currents_{tag}.txt"), s));
                    let mut s = String::new();
                    for &(a, b, v) in &o.branch_currents {
                        let _ = writeln!(s, "{}\t{}\t{}", a + 1, b + 1, v);
                    }
                    files.push((format!("{prefix}_branch_currents_{tag}.txt"), s));
                }
                for (name, text) in files {
                    let path = PathBuf::from(name);
                    write_text(&path, &text).map_err(|e| CircuitError::Output(e.to_string()))?;
                    written.lock().expect("lock").push(path);
                }
                Ok(())
            };
            let r = network::network_pairwise(
                &net,
                &focal,
                &ids,
                filter.as_ref(),
                want,
                &cfg.solver,
                &sink,
                progress,
            )?;
            write_resistances(&cfg.output_prefix, &r.ids, &r.resistances, summary)?;
            if cfg.maps.write_cur_maps || cfg.maps.write_cum_cur_map_only {
                let mut s = String::new();
                for (k, v) in r.cum_node_currents.iter().enumerate() {
                    let _ = writeln!(s, "{}\t{}", k + 1, v);
                }
                let p1 = PathBuf::from(format!("{prefix}_node_currents_cum.txt"));
                write_text(&p1, &s)?;
                let mut s = String::new();
                for (k, &(a, b, _)) in net.edges.iter().enumerate() {
                    if r.cum_branch_currents[k] != 0.0 {
                        let _ = writeln!(s, "{}\t{}\t{}", a + 1, b + 1, r.cum_branch_currents[k]);
                    }
                }
                let p2 = PathBuf::from(format!("{prefix}_branch_currents_cum.txt"));
                write_text(&p2, &s)?;
                summary.outputs.push(p1);
                summary.outputs.push(p2);
            }
            summary.outputs.extend(written.into_inner().expect("lock"));
            summary.ids = r.ids;
            summary.resistances = r.resistances;
        }
        Scenario::Advanced => {
            let mut sources = vec![f64::NAN; net.n];
            let mut grounds = vec![f64::NAN; net.n];
            for (key, file, dst) in [
                ("source_file", &cfg.source_file, &mut sources),
                ("ground_file", &cfg.ground_file, &mut grounds),
            ] {
                let Some(f) = file else { continue };
                for row in read_table(f, false)? {
                    if row.len() < 2 {
                        continue;
                    }
                    let nd = row[0];
                    if nd < 0.0 || nd.fract() != 0.0 || nd as usize >= net.n {
                        p.push(format!(
                            "{key} {}: node {} is not in the graph",
                            f.display(),
                            nd
                        ));
                        continue;
                    }
                    dst[nd as usize] = row[1];
                }
            }
            if grounds.iter().any(|&g| g < 0.0) {
                p.push("ground_file: ground values must not be negative".into());
            }
            problems(cfg, p)?;
            let sources = source_values(&sources, cfg.unit_currents);
            let grounds = ground_conductances(&grounds, cfg);
            let r = network::network_advanced(&net, &sources, &grounds, cfg.policy, &cfg.solver)?;
            if cfg.maps.write_volt_maps {
                let mut s = String::new();
                for (k, v) in r.voltages.iter().enumerate() {
                    let _ = writeln!(s, "{}\t{}", k + 1, v);
                }
                let path = PathBuf::from(format!("{prefix}_voltages.txt"));
                write_text(&path, &s)?;
                summary.outputs.push(path);
            }
            if cfg.maps.write_cur_maps {
                let mut s = String::new();
                for (k, v) in r.node_currents.iter().enumerate() {
                    let _ = writeln!(s, "{}\t{}", k + 1, v);
                }
                let p1 = PathBuf::from(format!("{prefix}_node_currents.txt"));
                write_text(&p1, &s)?;
                let mut s = String::new();
                for &(a, b, v) in &r.branch_currents {
                    let _ = writeln!(s, "{}\t{}\t{}", a + 1, b + 1, v);
                }
                let p2 = PathBuf::from(format!("{prefix}_branch_currents.txt"));
                write_text(&p2, &s)?;
                summary.outputs.push(p1);
                summary.outputs.push(p2);
            }
            summary.resistances = r.voltages;
            summary.ids = (1..=net.n as i64).collect();
        }
        Scenario::OneToAll | Scenario::AllToOne => {
            p.push("one-to-all and all-to-one modes need raster data".into());
            problems(cfg, p)?;
        }
    }
    Ok(())
}
