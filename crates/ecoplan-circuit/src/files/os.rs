//! `ecoplan omniscape CONFIG.ini`: Omniscape.jl configuration files, inputs and outputs.

use super::ini::Ini;
use super::rasters::{read_raster, read_table, write_map, OutputMeta, Raster};
use super::{resolve_input, resolve_output, FilesError, RunOptions};
use crate::graph::Connectivity;
use crate::omniscape::{self, Comparison, ConditionLayer, OmniscapeParams};
use crate::solver::{SolverKind, SolverOptions};
use ecoplan_grid::Progress;
use std::path::{Path, PathBuf};

/// Keys Omniscape.jl understands (others draw a warning and are ignored).
const SUPPORTED: &[&str] = &[
    "resistance_file",
    "resistance_is_conductance",
    "resistance_file_is_conductance",
    "source_file",
    "project_name",
    "parallelize",
    "parallel_batch_size",
    "block_size",
    "radius",
    "buffer",
    "source_threshold",
    "source_from_resistance",
    "r_cutoff",
    "precision",
    "connect_four_neighbors_only",
    "solver",
    "calc_flow_potential",
    "calc_normalized_current",
    "correct_artifacts",
    "write_raw_currmap",
    "write_as_tif",
    "mask_nodata",
    "suppress_cs_messages",
    "conditional",
    "n_conditions",
    "compare_to_future",
    "condition1_file",
    "condition2_file",
    "condition1_future_file",
    "condition2_future_file",
    "comparison1",
    "comparison2",
    "condition1_lower",
    "condition2_lower",
    "condition1_upper",
    "condition2_upper",
    "reclassify_resistance",
    "reclass_table",
    "write_reclassified_resistance",
    "allow_different_projections",
];

/// A validated Omniscape configuration.
#[derive(Debug, Clone)]
pub struct OsConfig {
    pub ini_path: PathBuf,
    pub resistance_file: PathBuf,
    pub source_file: Option<PathBuf>,
    pub is_conductance: bool,
    pub source_from_resistance: bool,
    pub r_cutoff: f64,
    pub source_threshold: f64,
    pub reclass_table: Option<PathBuf>,
    pub write_reclassified: bool,
    pub project_dir: PathBuf,
    pub write_raw_currmap: bool,
    pub calc_flow_potential: bool,
    pub calc_normalized_current: bool,
    pub mask_nodata: bool,
    pub write_as_tif: bool,
    pub single_precision: bool,
    /// Condition files: (present, future, comparison).
    pub conditions: Vec<(PathBuf, PathBuf, Comparison)>,
    pub params: OmniscapeParams,
    pub warnings: Vec<String>,
}

/// What a run wrote.
#[derive(Debug, Clone, Default)]
pub struct OsSummary {
    pub project_dir: PathBuf,
    pub outputs: Vec<PathBuf>,
    pub n_targets: usize,
    pub warnings: Vec<String>,
}

/// Reads and validates a configuration, reporting every problem at once.
pub fn load_config(ini_path: &Path, opts: &RunOptions) -> Result<OsConfig, FilesError> {
    let text = std::fs::read_to_string(ini_path)
        .map_err(|e| FilesError::Io(ecoplan_io::IoError::io(ini_path, e)))?;
    let ini = Ini::parse(&text);
    let base = opts.base_dir.as_deref();
    let mut p: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    let unknown: Vec<&str> = ini
        .values
        .keys()
        .map(String::as_str)
        .filter(|k| !SUPPORTED.contains(k))
        .collect();
    if !unknown.is_empty() {
        warnings.push(format!(
            "unsupported arguments ignored: {}",
            unknown.join(" ")
        ));
    }
    for key in ["resistance_file", "radius", "project_name"] {
        if ini.get(key).is_none_or(str::is_empty) {
            p.push(format!("{key} is required but missing"));
        }
    }
    let file = |key: &str, p: &mut Vec<String>| -> Option<PathBuf> {
        let v = ini.get(key).filter(|v| !v.is_empty())?;
        match resolve_input(ini_path, base, v) {
            Some(f) => Some(f),
            None => {
                p.push(format!("{key} = {v}: file not found{}", ini.at(key)));
                None
            }
        }
    };
    let resistance_file = file("resistance_file", &mut p);
    let source_from_resistance = ini.bool("source_from_resistance", false, &mut p);
    let source_file = if source_from_resistance {
        None
    } else if ini.get("source_file").is_none_or(str::is_empty) {
        p.push(
            "no source_file given and source_from_resistance is false: give a source raster \
             or set source_from_resistance = true"
                .into(),
        );
        None
    } else {
        file("source_file", &mut p)
    };
    let radius = ini.num("radius", 0.0, &mut p).round();
    if ini.get("radius").is_some() && radius < 1.0 {
        p.push(format!(
            "radius = {}: must be at least 1 cell",
            ini.get("radius").unwrap_or("")
        ));
    }
    let mut block = ini.num("block_size", 1.0, &mut p).round();
    if block < 1.0 {
        p.push("block_size must be a positive odd integer".into());
        block = 1.0;
    }
    if block as i64 % 2 == 0 {
        warnings.push(format!(
            "block_size = {block} is even, but must be odd; using {}",
            block + 1.0
        ));
        block += 1.0;
    }
    let buffer = ini.num("buffer", 0.0, &mut p).round();
    if buffer < 0.0 {
        p.push("buffer must not be negative".into());
    }
    let conditional = ini.bool("conditional", false, &mut p);
    let mut conditions = Vec::new();
    if conditional {
        let n = ini.get("n_conditions").unwrap_or("1").trim().to_string();
        let n_cond = match n.as_str() {
            "1" => 1,
            "2" => 2,
            other => {
                p.push(format!("n_conditions = {other}: must be 1 or 2"));
                0
            }
        };
        let ctf = ini
            .get("compare_to_future")
            .unwrap_or("none")
            .to_ascii_lowercase();
        if !["none", "1", "2", "both"].contains(&ctf.as_str()) {
            p.push(format!(
                "compare_to_future = {ctf}: must be none, 1, 2 or both"
            ));
        }
        for k in 1..=n_cond {
            let ck = format!("comparison{k}");
            let cmp = ini.get(&ck).unwrap_or("within").to_ascii_lowercase();
            let lower = ini.num(&format!("condition{k}_lower"), 0.0, &mut p);
            let upper = ini.num(&format!("condition{k}_upper"), 0.0, &mut p);
            let comparison = match cmp.as_str() {
                "within" => Some(Comparison::Within { lower, upper }),
                "equal" | "equals" => Some(Comparison::Equal),
                other => {
                    p.push(format!("{ck} = {other}: must be within or equal"));
                    None
                }
            };
            let present_key = format!("condition{k}_file");
            let present = if ini.get(&present_key).is_none() {
                p.push(format!("{present_key} is required when conditional = true"));
                None
            } else {
                file(&present_key, &mut p)
            };
            let use_future = ctf == "both" || ctf == k.to_string();
            let future = if use_future {
                let fk = format!("condition{k}_future_file");
                if ini.get(&fk).is_none() {
                    p.push(format!("{fk} is required when compare_to_future = {ctf}"));
                    None
                } else {
                    file(&fk, &mut p)
                }
            } else {
                present.clone()
            };
            if let (Some(pr), Some(fu), Some(c)) = (present, future, comparison) {
                conditions.push((pr, fu, c));
            }
        }
    }
    let reclassify = ini.bool("reclassify_resistance", false, &mut p);
    let reclass_table = if reclassify {
        if ini.get("reclass_table").is_none() {
            p.push("reclass_table is required when reclassify_resistance = true".into());
            None
        } else {
            file("reclass_table", &mut p)
        }
    } else {
        None
    };
    let solver_name = ini.get("solver").unwrap_or("cg+amg");
    let kind = opts.solver.unwrap_or_else(|| {
        SolverKind::from_name(solver_name).unwrap_or_else(|| {
            warnings.push(format!(
                "unsupported solver `{solver_name}`; using the default, cg+amg"
            ));
            SolverKind::CgAmg
        })
    });
    let single = ini
        .get("precision")
        .is_some_and(|v| v.eq_ignore_ascii_case("single"));
    let is_conductance = ini.bool("resistance_is_conductance", false, &mut p)
        || ini.bool("resistance_file_is_conductance", false, &mut p);
    let project = ini.get("project_name").unwrap_or("omniscape").to_string();
    let project_dir = match &opts.output {
        Some(o) => o.clone(),
        None => resolve_output(ini_path, base, &project),
    };
    let mut solver = SolverOptions::with_kind(kind);
    // Windows are small: solve them tightly so results do not depend on the solver.
    solver.rtol = 1e-10;
    let params = OmniscapeParams {
        radius: radius.max(0.0) as usize,
        block_size: block as usize,
        buffer: buffer.max(0.0) as usize,
        correct_artifacts: ini.bool("correct_artifacts", true, &mut p),
        flow_potential: ini.bool("calc_flow_potential", false, &mut p)
            || ini.bool("calc_normalized_current", false, &mut p),
        connectivity: if ini.bool("connect_four_neighbors_only", false, &mut p) {
            Connectivity::Four
        } else {
            Connectivity::Eight
        },
        conditions: Vec::new(),
        solver,
    };
    let cfg = OsConfig {
        ini_path: ini_path.to_path_buf(),
        resistance_file: resistance_file.unwrap_or_default(),
        source_file,
        is_conductance,
        source_from_resistance,
        r_cutoff: ini.num("r_cutoff", f64::INFINITY, &mut p),
        source_threshold: ini.num("source_threshold", 0.0, &mut p),
        reclass_table,
        write_reclassified: ini.bool("write_reclassified_resistance", false, &mut p),
        project_dir,
        write_raw_currmap: ini.bool("write_raw_currmap", true, &mut p),
        calc_flow_potential: ini.bool("calc_flow_potential", false, &mut p),
        calc_normalized_current: ini.bool("calc_normalized_current", false, &mut p),
        mask_nodata: ini.bool("mask_nodata", true, &mut p),
        write_as_tif: ini.bool("write_as_tif", true, &mut p),
        single_precision: single,
        conditions,
        params,
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

fn check_shape(r: &Raster, res: &Raster, key: &str, p: &mut Vec<String>) -> bool {
    if r.width() != res.width() || r.height() != res.height() {
        p.push(format!(
            "{key} {} is {}×{} cells but resistance_file is {}×{}",
            r.path.display(),
            r.width(),
            r.height(),
            res.width(),
            res.height()
        ));
        false
    } else {
        true
    }
}

/// Runs an Omniscape configuration and writes its outputs into a new project folder.
pub fn run(
    ini_path: &Path,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<OsSummary, FilesError> {
    let mut cfg = load_config(ini_path, opts)?;
    let mut p = Vec::new();
    let res = read_raster(&cfg.resistance_file)?;
    let cells = res.width() * res.height();
    let original = res.grid.data.clone();
    let bad = original
        .iter()
        .filter(|v| !v.is_nan() && **v <= 0.0)
        .count();
    if bad > 0 {
        p.push(format!(
            "resistance_file {}: {bad} cells hold 0 or negative values; resistances (and \
             conductances) must be positive — set such cells to nodata or a small positive value",
            res.path.display()
        ));
    }
    let mut resistance = original.clone();
    if let Some(t) = &cfg.reclass_table {
        let table = read_table(t, true)?;
        for (k, row) in table.iter().enumerate() {
            if row.len() < 2 || row[0].is_nan() {
                p.push(format!(
                    "reclass_table {}: row {} needs `value new_value` (new_value may be missing)",
                    t.display(),
                    k + 1
                ));
                continue;
            }
            for (r, o) in resistance.iter_mut().zip(&original) {
                if *o == row[0] {
                    *r = row[1];
                }
            }
        }
        if resistance.iter().any(|v| !v.is_nan() && *v <= 0.0) && bad == 0 {
            p.push(format!(
                "reclass_table {}: maps some cells to 0 or negative resistance",
                t.display()
            ));
        }
    }
    let sources: Vec<f64> = match &cfg.source_file {
        Some(f) => {
            let s = read_raster(f)?;
            if check_shape(&s, &res, "source_file", &mut p) {
                s.grid
                    .data
                    .iter()
                    .map(|&v| {
                        if v.is_nan() || v < cfg.source_threshold {
                            0.0
                        } else {
                            v
                        }
                    })
                    .collect()
            } else {
                vec![0.0; cells]
            }
        }
        None => {
            let cut = 1.0 / cfg.r_cutoff;
            resistance
                .iter()
                .map(|&r| {
                    let s = if cfg.is_conductance { r } else { 1.0 / r };
                    if s.is_nan() || s < cut {
                        0.0
                    } else {
                        s
                    }
                })
                .collect()
        }
    };
    let mut layers = Vec::new();
    for (k, (pr, fu, cmp)) in cfg.conditions.iter().enumerate() {
        let present = read_raster(pr)?;
        let ok1 = check_shape(&present, &res, &format!("condition{}_file", k + 1), &mut p);
        let future = if fu == pr {
            present.grid.data.clone()
        } else {
            let f = read_raster(fu)?;
            if check_shape(&f, &res, &format!("condition{}_future_file", k + 1), &mut p) {
                f.grid.data
            } else {
                Vec::new()
            }
        };
        if ok1 && future.len() == cells {
            layers.push(ConditionLayer {
                present: present.grid.data,
                future,
                comparison: *cmp,
            });
        }
    }
    if !p.is_empty() {
        return Err(FilesError::Config {
            path: ini_path.to_path_buf(),
            problems: p,
        });
    }
    if opts.print_warnings {
        for w in &cfg.warnings {
            eprintln!("警告 warning: {w}");
        }
    }
    cfg.params.conditions = layers;
    let conductance: Vec<f64> = resistance
        .iter()
        .map(|&r| {
            if r.is_nan() {
                f64::NAN
            } else if cfg.is_conductance {
                r
            } else {
                1.0 / r
            }
        })
        .collect();
    let result = omniscape::run(
        res.width(),
        res.height(),
        &conductance,
        &sources,
        &cfg.params,
        progress,
    )?;
    // A fresh project folder, as Omniscape never overwrites one.
    let mut dir = cfg.project_dir.clone();
    if opts.output.is_none() && dir.exists() {
        let mut k = 1;
        loop {
            let cand = PathBuf::from(format!("{}_{k}", cfg.project_dir.display()));
            if !cand.exists() {
                dir = cand;
                break;
            }
            k += 1;
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| ecoplan_io::IoError::io(&dir, e))?;
    let meta = OutputMeta {
        width: res.width(),
        height: res.height(),
        transform: res.grid.transform,
        crs: res.grid.crs.clone(),
        nodata: -9999.0,
        as_tif: cfg.write_as_tif,
        compress: false,
        round_ascii: false,
    };
    let mask = |mut m: Vec<f64>| -> Vec<f64> {
        if cfg.mask_nodata {
            m.iter_mut().zip(&resistance).for_each(|(v, r)| {
                if r.is_nan() {
                    *v = f64::NAN
                }
            });
        }
        if cfg.single_precision {
            m.iter_mut().for_each(|v| *v = *v as f32 as f64);
        }
        m
    };
    let mut outputs = Vec::new();
    let mut write = |name: &str, m: Vec<f64>| -> Result<(), FilesError> {
        let path = meta.path(&dir.join(name).to_string_lossy());
        write_map(&path, &m, &meta, cfg.single_precision)?;
        outputs.push(path);
        Ok(())
    };
    if cfg.reclass_table.is_some() && cfg.write_reclassified {
        write("classified_resistance", resistance.clone())?;
    }
    let normalized = result.normalized();
    if cfg.write_raw_currmap {
        write("cum_currmap", mask(result.cum_current.clone()))?;
    }
    if cfg.calc_flow_potential {
        if let Some(fp) = &result.flow_potential {
            write("flow_potential", mask(fp.clone()))?;
        }
    }
    if cfg.calc_normalized_current {
        if let Some(n) = normalized {
            write("normalized_cum_currmap", mask(n))?;
        }
    }
    let ini_copy = dir.join("config.ini");
    let text = std::fs::read_to_string(ini_path).unwrap_or_default();
    super::rasters::write_text(&ini_copy, &text)?;
    Ok(OsSummary {
        project_dir: dir,
        outputs,
        n_targets: result.n_targets,
        warnings: cfg.warnings,
    })
}
