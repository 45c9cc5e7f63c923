//! `ecoplan invest <model> ARGS.json`: InVEST models with natcap.invest 3.20 semantics, taking the
//! same args dict (as JSON) and tables, writing the same output names into `workspace_dir`.

use anyhow::{bail, Context, Result};
use clap::{Arg, ArgMatches, Command};
use ecoplan_assess::invest::{
    carbon, habitat_quality as hq, lulc_from_any, sdr, water_yield as awy, OutputData, OutputGrid,
    OutputTable,
};
use ecoplan_assess::table::Table;
use ecoplan_grid::{AnyGrid, Grid};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Deflate level of the outputs unless `--level` says otherwise: libdeflate's fastest level
/// (bench/README.md has the measured cost of each level); any GDAL reads them.
const DEFAULT_DEFLATE_LEVEL: i32 = 1;

const MODELS: [&str; 4] = ["habitat_quality", "carbon", "annual_water_yield", "sdr"];

pub fn command() -> Command {
    Command::new("invest")
        .about("InVEST 模型 InVEST models (natcap.invest 3.20 compatible): habitat_quality | carbon | annual_water_yield | sdr")
        .long_about(
            "读取 natcap.invest.<model>.execute(args) 的参数字典（JSON），校验全部参数与表格后运行，\
             按 natcap.invest 的文件名与目录结构写入 workspace_dir。\n\
             ARGS.json holds the dict natcap.invest.<model>.execute(args) takes in 3.20 (same keys, \
             same CSV tables); relative paths are relative to ARGS.json (threat raster paths in the \
             threats table: relative to that table). Every parameter and table column is checked \
             before work starts and all problems are reported at once. Rasters must already share \
             one grid (natcap.invest would resample; use `ecoplan reproject` first). Watersheds may \
             be polygons (.gpkg/.shp/.geojson with ws_id / subws_id) or an id raster.\n\
             Extra keys: habitat_quality `ecoplan_mode` = nearest (3.13+, default) | \
             legacy_convolution (≤3.12), `ecoplan_max_dist_unit` = m (3.15+, default) | km.",
        )
        .arg(Arg::new("model").value_name("MODEL").required(true).value_parser(MODELS))
        .arg(Arg::new("args").value_name("ARGS.json").required(true).value_parser(clap::value_parser!(PathBuf)))
        .arg(
            Arg::new("workspace")
                .long("workspace")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("覆盖 workspace_dir Override args' workspace_dir"),
        )
        .arg(
            Arg::new("compress")
                .long("compress")
                .value_name("METHOD")
                .value_parser(["deflate", "lzw", "zstd", "none"])
                .default_value("deflate")
                .help("输出 GeoTIFF 压缩 Output GeoTIFF compression. Default: deflate for the final outputs, zstd level 1 for intermediate_outputs/ (five times faster on float rasters; GDAL/QGIS read both); given explicitly, it applies to every file (natcap.invest writes LZW; none is fastest)"),
        )
        .arg(
            Arg::new("level")
                .long("level")
                .value_name("N")
                .value_parser(clap::value_parser!(u8).range(1..=22))
                .help("压缩级别 Codec level: deflate 1–12 (default 1, the fastest; GDAL's default is 6), zstd 1–22 (default 9)"),
        )
        .after_help(
            "示例 Examples:\n  \
             ecoplan invest habitat_quality hq_args.json\n  \
             ecoplan invest sdr sdr_args.json --workspace out/sdr\n\n\
             hq_args.json: {\"workspace_dir\": \"out/hq\", \"lulc_cur_path\": \"lulc.tif\",\n  \
             \"threats_table_path\": \"threats.csv\", \"sensitivity_table_path\": \"sensitivity.csv\",\n  \
             \"half_saturation_constant\": 0.05}",
        )
}

/// The args dict with its base directory and the problems found so far.
struct Args {
    map: Map<String, Value>,
    base: PathBuf,
    problems: Vec<String>,
}

impl Args {
    fn has(&self, key: &str) -> bool {
        match self.map.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
        }
    }
    fn resolve(&self, base: &Path, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    }
    /// A path argument; records a problem when required and missing, or when the file is absent.
    fn path(&mut self, key: &str, required: bool) -> Option<PathBuf> {
        if !self.has(key) {
            if required {
                self.problems
                    .push(format!("`{key}` is required (a file path)"));
            }
            return None;
        }
        let Some(s) = self.map.get(key).and_then(Value::as_str) else {
            self.problems.push(format!("`{key}` must be a path string"));
            return None;
        };
        let p = self.resolve(&self.base.clone(), s);
        if !p.exists() {
            self.problems
                .push(format!("`{key}`: file {} does not exist", p.display()));
            return None;
        }
        Some(p)
    }
    fn num(&mut self, key: &str, required: bool) -> Option<f64> {
        if !self.has(key) {
            if required {
                self.problems
                    .push(format!("`{key}` is required (a number)"));
            }
            return None;
        }
        let v = match &self.map[key] {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match v {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                self.problems
                    .push(format!("`{key}` must be a number, found {}", self.map[key]));
                None
            }
        }
    }
    fn flag(&mut self, key: &str) -> bool {
        match self.map.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => {
                matches!(s.trim().to_lowercase().as_str(), "true" | "1" | "yes")
            }
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(other) => {
                self.problems
                    .push(format!("`{key}` must be true or false, found {other}"));
                false
            }
        }
    }
    fn text(&self, key: &str) -> Option<String> {
        self.map
            .get(key)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
    fn table(&mut self, key: &str) -> Option<(Table, PathBuf)> {
        let p = self.path(key, true)?;
        match std::fs::read_to_string(&p) {
            Ok(text) => match Table::parse(&p.display().to_string(), &text) {
                Ok(t) => Some((t, p)),
                Err(e) => {
                    self.problems.push(e);
                    None
                }
            },
            Err(e) => {
                self.problems
                    .push(format!("`{key}`: cannot read {}: {e}", p.display()));
                None
            }
        }
    }
    fn absorb<T>(&mut self, r: Result<T, ecoplan_assess::AssessError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(ecoplan_assess::AssessError::Invalid(p)) => {
                self.problems.extend(p);
                None
            }
            Err(e) => {
                self.problems.push(e.to_string());
                None
            }
        }
    }
    fn finish(&mut self, model: &str) -> Result<()> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            let list = self
                .problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n");
            bail!(
                "{model}: {} problem(s) in the arguments; nothing was computed:\n{list}",
                self.problems.len()
            )
        }
    }
}

fn read_any(path: &Path, problems: &mut Vec<String>) -> Option<AnyGrid> {
    match crate::rasters::read_raster(path) {
        Ok(g) => Some(g),
        Err(e) => {
            problems.push(format!("{}: {e:#}", path.display()));
            None
        }
    }
}

/// Continuous rasters as f32 (nodata → NaN).
fn read_f32(path: &Path, problems: &mut Vec<String>) -> Option<Grid<f32>> {
    read_any(path, problems).map(|g| g.to_f32())
}

/// A DEM as GDAL hands it to pygeoprocessing: float64 values of the stored type. ASCII grids
/// carry no type, so their values are taken as float32 (what natcap.invest writes).
fn read_dem(path: &Path, problems: &mut Vec<String>) -> Option<Grid<f64>> {
    read_any(path, problems).map(|g| match (&g, crate::rasters::is_ascii(path)) {
        (AnyGrid::F64(_), false) => g.to_f64(),
        _ => g.to_f32().cast::<f64>(Some(f64::NAN)),
    })
}

fn read_lulc(path: &Path, problems: &mut Vec<String>) -> Option<Grid<i32>> {
    let g = read_any(path, problems)?;
    if g.cell_type().is_float() {
        problems.push(format!(
            "{}: land use must be an integer raster, found {}",
            path.display(),
            g.cell_type()
        ));
        return None;
    }
    Some(lulc_from_any(&g))
}

/// Zones from polygons (field `id_field`, cell-centre rule) or an integer raster, on `like`'s grid.
fn read_zones(
    path: &Path,
    id_field: &str,
    like: &ecoplan_grid::GridSpec,
    problems: &mut Vec<String>,
) -> Option<Grid<i32>> {
    use ecoplan_io::vector::{read_vector, ReadOptions, VectorFormat};
    if VectorFormat::from_path(path).is_some() {
        let layer = match read_vector(path, &ReadOptions::default()) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                return None;
            }
        };
        let layer = match (&layer.crs, &like.crs) {
            (Some(a), Some(b)) if a != b => match crate::vectors::reproject_layer(&layer, b) {
                Ok(l) => l,
                Err(e) => {
                    problems.push(format!("{}: {e:#}", path.display()));
                    return None;
                }
            },
            _ => layer,
        };
        let burn = ecoplan_io::vector::rasterize::Burn::Field(id_field.to_string());
        match ecoplan_io::vector::rasterize::rasterize_layer(
            &layer,
            like,
            &burn,
            &Default::default(),
        ) {
            Ok(g) => Some(g.map(Some(0i32), |v| v as i32)),
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                None
            }
        }
    } else {
        let g = read_any(path, problems)?;
        if g.cell_type().is_float() {
            problems.push(format!(
                "{}: watershed ids must be an integer raster or polygons",
                path.display()
            ));
            return None;
        }
        Some(lulc_from_any(&g))
    }
}

fn suffix(a: &Args) -> String {
    match a.text("results_suffix") {
        Some(s) if s.starts_with('_') => s,
        Some(s) => format!("_{s}"),
        None => String::new(),
    }
}

/// GeoTIFF options of the outputs, set from `--compress` / `--level` by [`run`]; the flag is
/// true when `--compress` was given (then it holds for intermediate outputs too).
static OUTPUT_OPTIONS: std::sync::Mutex<Option<(ecoplan_io::raster::WriteOptions, bool)>> =
    std::sync::Mutex::new(None);

/// Options for the output at `rel` (path relative to the workspace). Unless `--compress` was
/// given, files under `intermediate_outputs/` (`intermediate/` in water yield) are zstd level 1: on the float rasters most of
/// them are, it compresses as well as deflate level 1 about five times faster (bench/README.md),
/// and GDAL/QGIS read it. Final outputs stay deflate, which every GIS reads.
fn output_options(rel: &str) -> ecoplan_io::raster::WriteOptions {
    let (opts, explicit) = OUTPUT_OPTIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default();
    if !explicit && (rel.starts_with("intermediate_outputs/") || rel.starts_with("intermediate/")) {
        ecoplan_io::raster::WriteOptions {
            compression: ecoplan_io::raster::Compression::Zstd,
            level: Some(1),
            ..opts
        }
    } else {
        opts
    }
}

/// Writes one output grid under the workspace (creating its folder) and frees it.
fn write_grid(workspace: &Path, rel: &str, grid: OutputData) -> Result<()> {
    let p = workspace.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::rasters::write_raster(&p, &grid.into_any(), &output_options(rel))
        .with_context(|| format!("writing {}", p.display()))
}

/// Writes each grid and frees it before the next, then the tables.
fn write_outputs(workspace: &Path, grids: Vec<OutputGrid>, tables: &[OutputTable]) -> Result<()> {
    let n = grids.len();
    for g in grids {
        write_grid(workspace, &g.path, g.grid)?;
    }
    write_tables(workspace, tables)?;
    eprintln!(
        "已写出 wrote {n} rasters and {} tables into {}",
        tables.len(),
        workspace.display()
    );
    Ok(())
}

fn write_tables(workspace: &Path, tables: &[OutputTable]) -> Result<()> {
    for t in tables {
        let p = workspace.join(&t.path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        ecoplan_io::atomic::write_atomic(&p, |w| {
            use std::io::Write;
            w.write_all(t.csv.as_bytes())
                .map_err(|e| ecoplan_io::IoError::io(&p, e))
        })?;
    }
    Ok(())
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let model: &String = m.get_one("model").expect("required");
    let args_path: &PathBuf = m.get_one("args").expect("required");
    let text = std::fs::read_to_string(args_path)
        .with_context(|| format!("reading {}", args_path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", args_path.display()))?;
    let Value::Object(mut map) = value else {
        bail!(
            "{}: expected a JSON object (the args dict)",
            args_path.display()
        );
    };
    // natcap.invest datastacks sometimes wrap the dict as {"args": {...}, "model_id": ...}
    if let Some(Value::Object(inner)) = map.get("args").cloned() {
        map = inner;
    }
    let base = args_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut a = Args {
        map,
        base: base.clone(),
        problems: Vec::new(),
    };
    let workspace = match m.get_one::<PathBuf>("workspace") {
        Some(w) => w.clone(),
        None => match a.text("workspace_dir") {
            Some(w) => a.resolve(&base, &w),
            None => {
                a.problems
                    .push("`workspace_dir` is required (or pass --workspace)".into());
                PathBuf::new()
            }
        },
    };
    let bar = crate::progress::Bar::new();
    let sfx = suffix(&a);
    {
        use ecoplan_io::raster::Compression;
        let compression = match m.get_one::<String>("compress").map(String::as_str) {
            Some("lzw") => Compression::Lzw,
            Some("zstd") => Compression::Zstd,
            Some("none") => Compression::None,
            _ => Compression::Deflate,
        };
        let level = match (m.get_one::<u8>("level"), compression) {
            (Some(&l), _) => Some(l as i32),
            (None, Compression::Deflate) => Some(DEFAULT_DEFLATE_LEVEL),
            _ => None,
        };
        let explicit = m.value_source("compress") == Some(clap::parser::ValueSource::CommandLine);
        *OUTPUT_OPTIONS.lock().unwrap_or_else(|e| e.into_inner()) = Some((
            ecoplan_io::raster::WriteOptions {
                compression,
                level,
                ..Default::default()
            },
            explicit,
        ));
    }
    match model.as_str() {
        "carbon" => run_carbon(&mut a, &workspace, &sfx, &bar),
        "habitat_quality" => run_hq(&mut a, &workspace, &sfx, &bar),
        "annual_water_yield" => run_awy(&mut a, &workspace, &sfx, &bar),
        "sdr" => run_sdr(&mut a, &workspace, &sfx, &bar),
        other => bail!("unknown model {other}"),
    }
}

fn run_carbon(a: &mut Args, ws: &Path, sfx: &str, bar: &crate::progress::Bar) -> Result<()> {
    let bas = a.path("lulc_bas_path", true);
    let seq = a.flag("calc_sequestration");
    let val = a.flag("do_valuation");
    let alt = a.path("lulc_alt_path", seq || val);
    let pools = a
        .table("carbon_pools_path")
        .and_then(|(t, _)| a.absorb(carbon::CarbonPools::from_table(&t)));
    let valuation = if val {
        let v = (
            a.num("lulc_bas_year", true),
            a.num("lulc_alt_year", true),
            a.num("price_per_metric_ton_of_c", true),
            a.num("discount_rate", true),
            a.num("rate_change", true),
        );
        match v {
            (Some(b), Some(al), Some(p), Some(d), Some(r)) => {
                let cv = carbon::CarbonValuation {
                    lulc_bas_year: b as i32,
                    lulc_alt_year: al as i32,
                    price_per_metric_ton_of_c: p,
                    discount_rate: d,
                    rate_change: r,
                };
                a.problems.extend(cv.validate());
                Some(cv)
            }
            _ => None,
        }
    } else {
        None
    };
    a.finish("carbon")?;
    let mut p = Vec::new();
    let bas = bas.and_then(|x| read_lulc(&x, &mut p));
    let alt = if seq || val {
        alt.and_then(|x| read_lulc(&x, &mut p))
    } else {
        None
    };
    a.problems.extend(p);
    a.finish("carbon")?;
    let bas = bas.expect("checked");
    // Outputs stream band by band into their files: no output grid is ever held whole.
    let outputs = carbon::band_outputs(alt.is_some(), valuation.is_some());
    let mut writers = outputs
        .iter()
        .map(|o| {
            let p = ws.join(format!("{}{sfx}.tif", o.name));
            ecoplan_io::geotiff::GeoTiffRowWriter::<f32>::create(
                &p,
                &bas.spec(),
                Some(o.nodata),
                &output_options(&o.name),
            )
            .with_context(|| format!("writing {}", p.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let band_rows = writers[0].rows_per_band();
    let summary = carbon::carbon_by_bands(
        &bas,
        alt.as_ref(),
        pools.as_ref().expect("checked"),
        valuation.as_ref(),
        band_rows,
        bar,
        &mut |bands| {
            use rayon::prelude::*;
            writers
                .par_iter_mut()
                .zip(bands.par_iter())
                .try_for_each(|(w, b)| w.push_rows(b))
                .map_err(|e| e.to_string())
        },
    )?;
    let n = writers.len();
    for w in writers {
        w.finish()?;
    }
    write_tables(ws, &[carbon::summary_table(&summary, sfx)])?;
    eprintln!("已写出 wrote {n} rasters and 1 table into {}", ws.display());
    Ok(())
}

fn run_hq(a: &mut Args, ws: &Path, sfx: &str, bar: &crate::progress::Bar) -> Result<()> {
    let cur = a.path("lulc_cur_path", true);
    let fut = a.path("lulc_fut_path", false);
    let bas = a.path("lulc_bas_path", false);
    let k = a.num("half_saturation_constant", true);
    let mode = match a.text("ecoplan_mode").as_deref() {
        None | Some("nearest") => hq::HqMode::Nearest,
        Some("legacy_convolution") => hq::HqMode::LegacyConvolution,
        Some(o) => {
            a.problems.push(format!(
                "`ecoplan_mode` is `{o}`; use nearest or legacy_convolution"
            ));
            hq::HqMode::Nearest
        }
    };
    let unit = match a.text("ecoplan_max_dist_unit").as_deref() {
        None | Some("m") => hq::DistanceUnit::Metres,
        Some("km") => hq::DistanceUnit::Kilometres,
        Some(o) => {
            a.problems
                .push(format!("`ecoplan_max_dist_unit` is `{o}`; use m or km"));
            hq::DistanceUnit::Metres
        }
    };
    if a.has("access_vector_path") {
        a.problems.push("`access_vector_path` is not supported yet: give β per pixel by leaving it out (β = 1) — see the report".into());
    }
    let threats_t = a.table("threats_table_path");
    let threats = threats_t
        .as_ref()
        .and_then(|(t, _)| a.absorb(hq::threats_from_table(t)));
    let sens = match (a.table("sensitivity_table_path"), &threats) {
        (Some((t, _)), Some(th)) => a.absorb(hq::Sensitivity::from_table(&t, th)),
        _ => None,
    };
    let params = hq::HabitatQualityParams {
        half_saturation: k.unwrap_or(0.05),
        mode,
        distance_unit: unit,
    };
    if k.is_some() {
        a.problems.extend(params.validate());
    }
    // threat raster paths: relative to the threats table
    let mut threat_paths: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    if let (Some(th), Some((_, tpath))) = (&threats, &threats_t) {
        let tdir = tpath.parent().map(Path::to_path_buf).unwrap_or_default();
        for t in th {
            let c = a.resolve(&tdir, &t.cur_path);
            if !c.exists() {
                a.problems.push(format!(
                    "threat `{}`: cur_path raster {} does not exist",
                    t.name,
                    c.display()
                ));
            }
            let f = if fut.is_some() {
                if t.fut_path.is_empty() {
                    a.problems.push(format!(
                        "threat `{}`: lulc_fut_path is given but fut_path is blank",
                        t.name
                    ));
                    None
                } else {
                    let f = a.resolve(&tdir, &t.fut_path);
                    if !f.exists() {
                        a.problems.push(format!(
                            "threat `{}`: fut_path raster {} does not exist",
                            t.name,
                            f.display()
                        ));
                    }
                    Some(f)
                }
            } else {
                None
            };
            threat_paths.push((c, f));
        }
    }
    a.finish("habitat_quality")?;
    let mut p = Vec::new();
    let cur = cur.and_then(|x| read_lulc(&x, &mut p));
    let fut = fut.and_then(|x| read_lulc(&x, &mut p));
    let bas = bas.and_then(|x| read_lulc(&x, &mut p));
    // Threat rasters are read one at a time as the model needs them (only their headers now).
    let cur_t = ThreatFiles::open(threat_paths.iter().map(|(c, _)| c.clone()), &mut p);
    let fut_t = ThreatFiles::open(threat_paths.iter().filter_map(|(_, f)| f.clone()), &mut p);
    a.problems.extend(p);
    a.finish("habitat_quality")?;
    let cur = cur.expect("checked");
    let o = hq::habitat_quality_from(
        hq::HqScenarioFrom {
            lulc: &cur,
            threats: &cur_t,
        },
        fut.as_ref().map(|f| hq::HqScenarioFrom {
            lulc: f,
            threats: &fut_t,
        }),
        bas.as_ref(),
        None,
        threats.as_ref().expect("checked"),
        sens.as_ref().expect("checked"),
        &params,
        bar,
    )?;
    let (g, t) = o.into_files(sfx);
    write_outputs(ws, g, &t)
}

/// Threat rasters of one scenario, read when the model asks for each (so one is in memory
/// at a time); their headers are read up front so a bad file is reported before any work.
struct ThreatFiles(Vec<PathBuf>);

impl ThreatFiles {
    fn open(paths: impl Iterator<Item = PathBuf>, problems: &mut Vec<String>) -> ThreatFiles {
        let paths: Vec<PathBuf> = paths.collect();
        for p in &paths {
            if let Err(e) = ecoplan_io::raster::raster_info(p) {
                problems.push(format!("{}: {e:#}", p.display()));
            }
        }
        ThreatFiles(paths)
    }
}

impl hq::ThreatSource for ThreatFiles {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn get(
        &self,
        k: usize,
    ) -> Result<std::borrow::Cow<'_, Grid<f32>>, ecoplan_assess::AssessError> {
        let mut problems = Vec::new();
        match read_f32(&self.0[k], &mut problems) {
            Some(g) => Ok(std::borrow::Cow::Owned(g)),
            None => Err(ecoplan_assess::AssessError::Invalid(problems)),
        }
    }
}

fn run_awy(a: &mut Args, ws: &Path, sfx: &str, bar: &crate::progress::Bar) -> Result<()> {
    let lulc = a.path("lulc_path", true);
    let depth = a.path("depth_to_root_rest_layer_path", true);
    let precip = a.path("precipitation_path", true);
    let pawc = a.path("pawc_path", true);
    let eto = a.path("eto_path", true);
    let wsp = a.path("watersheds_path", true);
    let sub = a.path("sub_watersheds_path", false);
    let z = a.num("seasonality_constant", true);
    let bio = a
        .table("biophysical_table_path")
        .and_then(|(t, _)| a.absorb(awy::biophysical_from_table(&t)));
    if a.has("demand_table_path") || a.has("valuation_table_path") {
        a.problems.push("`demand_table_path` / `valuation_table_path` (scarcity, hydropower valuation) are not implemented; remove them".into());
    }
    let params = awy::WaterYieldParams {
        seasonality_constant: z.unwrap_or(1.0),
    };
    if z.is_some() {
        a.problems.extend(params.validate());
    }
    a.finish("annual_water_yield")?;
    let mut p = Vec::new();
    let lulc = lulc.and_then(|x| read_lulc(&x, &mut p));
    // The continuous inputs are read band by band as the outputs are written.
    let depth = depth.and_then(|x| BandReader::open(&x, &mut p));
    let precip = precip.and_then(|x| BandReader::open(&x, &mut p));
    let pawc = pawc.and_then(|x| BandReader::open(&x, &mut p));
    let eto = eto.and_then(|x| BandReader::open(&x, &mut p));
    let spec = lulc.as_ref().map(|g| g.spec());
    let wsg = match (&wsp, &spec) {
        (Some(w), Some(s)) => read_zones(w, "ws_id", s, &mut p),
        _ => None,
    };
    let subg = match (&sub, &spec) {
        (Some(w), Some(s)) => read_zones(w, "subws_id", s, &mut p),
        _ => None,
    };
    a.problems.extend(p);
    a.finish("annual_water_yield")?;
    let (lulc, bio) = (lulc.expect("checked"), bio.expect("checked"));
    let inputs = [
        ("depth_to_root_rest_layer_path", depth.expect("checked")),
        ("precipitation_path", precip.expect("checked")),
        ("pawc_path", pawc.expect("checked")),
        ("eto_path", eto.expect("checked")),
    ];
    let mut specs = vec![("lulc_path", lulc.spec())];
    specs.extend(inputs.iter().map(|(k, r)| (*k, r.spec())));
    awy::check_water_yield(&lulc, &specs, &bio, &params)?;
    let mut writers = awy::pixel_output_paths(sfx)
        .iter()
        .map(|rel| {
            let p = ws.join(rel);
            ecoplan_io::geotiff::GeoTiffRowWriter::<f32>::create(
                &p,
                &lulc.spec(),
                Some(awy::AWY_NODATA),
                &output_options(rel),
            )
            .with_context(|| format!("writing {}", p.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let (w, h) = (lulc.width, lulc.height);
    let band_rows = writers[0].rows_per_band().max(1);
    let mut totals = [wsg.as_ref(), subg.as_ref()].map(|z| z.map(|_| awy::ZoneTotals::default()));
    use ecoplan_grid::Progress;
    let n_bands = h.div_ceil(band_rows);
    bar.begin("产水量 water yield", n_bands as u64);
    for b in 0..n_bands {
        let (r0, rows) = (b * band_rows, band_rows.min(h - b * band_rows));
        let window = |g: &Grid<i32>| g.window(0, r0, w, rows).expect("inside the grid");
        let read: Vec<Result<Grid<f32>>> = {
            use rayon::prelude::*;
            inputs.par_iter().map(|(_, r)| r.band(r0, rows)).collect()
        };
        let mut read = read.into_iter().collect::<Result<Vec<_>>>()?.into_iter();
        let mut next = || read.next().expect("four inputs");
        let (depth, precip, pawc, eto) = (next(), next(), next(), next());
        let lulc_band = window(&lulc);
        let band = awy::WaterYieldInputs {
            lulc: &lulc_band,
            depth_to_root_rest_layer: &depth,
            precipitation: &precip,
            pawc: &pawc,
            eto: &eto,
            watersheds: None,
            sub_watersheds: None,
        };
        let px = awy::water_yield_pixels(&band, &bio, &params);
        let cells = [&px.fractp, &px.aet, &px.wyield, &px.pet];
        // Compress and write while the watershed sums are added up.
        let (written, ()) = rayon::join(
            || {
                use rayon::prelude::*;
                writers
                    .par_iter_mut()
                    .zip(cells.par_iter())
                    .try_for_each(|(wr, g)| wr.push_rows(&g.data))
            },
            || {
                for (t, z) in totals.iter_mut().zip([&wsg, &subg]) {
                    if let (Some(t), Some(z)) = (t, z) {
                        px.add_to(t, &window(z), &precip);
                    }
                }
            },
        );
        written?;
        bar.advance(b as u64 + 1);
    }
    bar.finish();
    for wr in writers {
        wr.finish()?;
    }
    let cell = lulc.transform.cell_area();
    let [ws_rows, sub_rows] = totals.map(|t| t.map(|t| t.finish(cell)));
    let tables = awy::watershed_tables(ws_rows.as_deref(), sub_rows.as_deref(), sfx);
    write_tables(ws, &tables)?;
    eprintln!(
        "已写出 wrote 4 rasters and {} tables into {}",
        tables.len(),
        ws.display()
    );
    Ok(())
}

/// A continuous input read band by band: windows of a GeoTIFF (only the tiles a band touches
/// are decoded), or an ASCII grid read whole. Cells as f32, nodata → NaN (as [`read_f32`]).
enum BandReader {
    Tiff(ecoplan_io::geotiff::GeoTiff),
    Whole(Grid<f32>),
}

impl BandReader {
    fn open(path: &Path, problems: &mut Vec<String>) -> Option<BandReader> {
        if crate::rasters::is_ascii(path) {
            return read_f32(path, problems).map(BandReader::Whole);
        }
        match ecoplan_io::geotiff::GeoTiff::open(path) {
            Ok(t) => Some(BandReader::Tiff(t)),
            Err(e) => {
                problems.push(format!("{}: {e:#}", path.display()));
                None
            }
        }
    }

    fn spec(&self) -> ecoplan_grid::GridSpec {
        match self {
            BandReader::Tiff(t) => {
                let i = t.info();
                ecoplan_grid::GridSpec::new(i.width, i.height, i.transform, i.crs.clone())
            }
            BandReader::Whole(g) => g.spec(),
        }
    }

    /// Rows `r0 .. r0 + rows`, full width.
    fn band(&self, r0: usize, rows: usize) -> Result<Grid<f32>> {
        match self {
            BandReader::Tiff(t) => {
                match t.read_window(0, r0, t.info().width, rows)? {
                    // float32 files (the usual case): nodata → NaN in place, no copy
                    AnyGrid::F32(mut g) => {
                        let nodata = g.nodata;
                        g.data.iter_mut().for_each(|v| {
                            if nodata == Some(*v) {
                                *v = f32::NAN;
                            }
                        });
                        g.nodata = Some(f32::NAN);
                        Ok(g)
                    }
                    other => Ok(other.to_f32()),
                }
            }
            BandReader::Whole(g) => Ok(g.window(0, r0, g.width, rows)?),
        }
    }
}

fn run_sdr(a: &mut Args, ws: &Path, sfx: &str, bar: &crate::progress::Bar) -> Result<()> {
    let dem = a.path("dem_path", true);
    let r = a.path("erosivity_path", true);
    let k = a.path("erodibility_path", true);
    let lulc = a.path("lulc_path", true);
    let wsp = a.path("watersheds_path", true);
    let drainage = a.path("drainage_path", false);
    let usle = a
        .table("biophysical_table_path")
        .and_then(|(t, _)| a.absorb(sdr::UsleFactors::from_table(&t)));
    let d = sdr::SdrParams::default();
    let tfa = a.num("threshold_flow_accumulation", true);
    let kp = a.num("k_param", true);
    let smax = a.num("sdr_max", true);
    let ic0 = a.num("ic_0_param", true);
    let lmax = a.num("l_max", true);
    let algo = match a
        .text("flow_dir_algorithm")
        .as_deref()
        .map(str::to_lowercase)
        .as_deref()
    {
        None | Some("mfd") => sdr::FlowDirAlgorithm::Mfd,
        Some("d8") => sdr::FlowDirAlgorithm::D8,
        Some(o) => {
            a.problems
                .push(format!("`flow_dir_algorithm` is `{o}`; use d8 or mfd"));
            sdr::FlowDirAlgorithm::Mfd
        }
    };
    let params = sdr::SdrParams {
        threshold_flow_accumulation: tfa.unwrap_or(d.threshold_flow_accumulation),
        k_param: kp.unwrap_or(d.k_param),
        sdr_max: smax.unwrap_or(d.sdr_max),
        ic_0_param: ic0.unwrap_or(d.ic_0_param),
        l_max: lmax.unwrap_or(d.l_max),
        flow_dir_algorithm: algo,
    };
    a.problems.extend(params.validate());
    a.finish("sdr")?;
    let mut p = Vec::new();
    let dem = dem.and_then(|x| read_dem(&x, &mut p));
    let r = r.and_then(|x| read_f32(&x, &mut p));
    let k = k.and_then(|x| read_f32(&x, &mut p));
    let lulc = lulc.and_then(|x| read_lulc(&x, &mut p));
    let spec = dem.as_ref().map(|g| g.spec());
    let wsg = match (&wsp, &spec) {
        (Some(w), Some(s)) => read_zones(w, "ws_id", s, &mut p),
        _ => None,
    };
    let drain = drainage.and_then(|x| read_any(&x, &mut p)).map(|g| {
        g.to_f64()
            .map(Some(255u8), |v| if v == 1.0 { 1 } else { 0 })
    });
    a.problems.extend(p);
    a.finish("sdr")?;
    let inp = sdr::SdrInputs {
        dem: dem.as_ref().expect("checked"),
        erosivity: r.as_ref().expect("checked"),
        erodibility: k.as_ref().expect("checked"),
        lulc: lulc.as_ref().expect("checked"),
        watersheds: wsg.as_ref().expect("checked"),
        drainage: drain.as_ref(),
    };
    // Each grid is written as soon as it is final and freed, so the peak holds a few grids.
    let mut written = 0usize;
    let watersheds = sdr::sdr_to_sink(
        &inp,
        usle.as_ref().expect("checked"),
        &params,
        bar,
        &mut |name, g| {
            written += 1;
            write_grid(ws, &format!("{name}{sfx}.tif"), g).map_err(|e| format!("{e:#}"))
        },
    )?;
    let table = sdr::watershed_table(&watersheds, sfx);
    write_tables(ws, std::slice::from_ref(&table))?;
    eprintln!(
        "已写出 wrote {written} rasters and 1 table into {}",
        ws.display()
    );
    Ok(())
}
