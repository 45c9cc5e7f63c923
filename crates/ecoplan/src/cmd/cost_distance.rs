//! `ecoplan cost-distance`: accumulated cost distance (最小累积阻力 MCR) from sources, with
//! back-links, allocation and least-cost paths. Also holds the small input helpers shared by
//! `ecoplan corridors` and `ecoplan resistance`.

use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::{AnyGrid, Grid, GridSpec};
use ecoplan_io::raster::{read_raster, write_raster, Compression, WriteOptions};
use ecoplan_pattern::cost_distance::{
    cost_distance, least_cost_path, BadCostPolicy, CostDistanceParams, DISTANCE_NODATA,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn command() -> Command {
    Command::new("cost-distance")
        .about("累积阻力/成本距离 Accumulated cost distance from sources (ArcGIS/Linkage Mapper convention)")
        .long_about(
            "累积阻力（成本距离）：从源地出发的最小累积阻力 (MCR)。\n\
             Step cost between neighbouring cells = (r_a + r_b)/2 × step length (cell size, or √2 × cell \
             size on diagonals), as ArcGIS Cost Distance, Linkage Mapper, scikit-image MCP_Geometric and \
             WhiteboxTools. Nodata cost cells are barriers; cost ≤ 0 is an error unless --bad-cost barrier.\n\
             Back-link codes (ArcGIS): 0 source, 1 E, 2 SE, 3 S, 4 SW, 5 W, 6 NW, 7 N, 8 NE, 255 nodata.\n\
             Sources: a raster (cells > 0 are sources, the value is the source id) or a vector layer \
             (polygons/points rasterised onto the cost grid; ids from --id-field or the feature number).",
        )
        .arg(path_arg("cost", "阻力面 Cost/resistance raster (.tif/.asc)").required(true))
        .arg(path_arg("sources", "源地 Sources: raster of ids > 0, or vector (.shp/.gpkg/.geojson)").required(true))
        .arg(path_arg("out", "输出累积阻力 Output distance raster (float32, nodata −9999)").short('o').required(true))
        .arg(path_arg("backlink", "输出回溯方向 Output back-link raster (uint8)"))
        .arg(path_arg("allocation", "输出源地分配 Output allocation raster (uint32 source ids)"))
        .arg(Arg::new("id-field").long("id-field").value_name("FIELD").help("矢量源地的编号字段 Id field of vector sources (default: feature number)"))
        .arg(Arg::new("all-touched").long("all-touched").action(ArgAction::SetTrue).help("矢量栅格化包含所有接触像元 Rasterise vector sources with all touched cells"))
        .arg(Arg::new("max-cost").long("max-cost").value_name("COST").value_parser(clap::value_parser!(f64)).help("最大累积阻力 Stop at this accumulated cost (cells beyond → nodata)"))
        .arg(Arg::new("bad-cost").long("bad-cost").value_name("error|barrier").default_value("error").value_parser(["error", "barrier"]).help("阻力 ≤ 0 的处理 Cells with cost ≤ 0 or infinite: error, or treat as barriers"))
        .arg(path_arg("destinations", "目标 Destinations for least-cost paths: raster ids > 0 or vector (one path per id)"))
        .arg(path_arg("paths", "输出最小成本路径 Output least-cost paths (.geojson/.gpkg/.shp lines)"))
        .arg(Arg::new("compress").long("compress").value_name("METHOD").default_value("deflate")
            .value_parser(["deflate", "lzw", "zstd", "none"])
            .help("输出 GeoTIFF 压缩 Output GeoTIFF compression (deflate level 6 as GDAL; none is fastest and 4 B/cell on disk)"))
        .arg(Arg::new("print-result").long("print-result").action(ArgAction::SetTrue).help("打印 @@RESULT@@ JSON（基准测试用）Print an @@RESULT@@ JSON line (bench harness)"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan cost-distance --cost resistance.tif --sources sources.tif --out cd.tif\n  \
             ecoplan cost-distance --cost r.tif --sources cores.shp --id-field core_id --out cd.tif \\\n    \
             --backlink bl.tif --allocation alloc.tif --destinations towns.geojson --paths lcp.geojson",
        )
}

pub(crate) fn path_arg(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("FILE")
        .value_parser(clap::value_parser!(PathBuf))
        .help(help)
}

pub(crate) fn read_grid(path: &Path) -> Result<AnyGrid> {
    read_raster(path).with_context(|| format!("reading {}", path.display()))
}

pub(crate) fn write_grid(path: &Path, grid: AnyGrid) -> Result<()> {
    write_grid_with(path, grid, Compression::Deflate)
}

fn write_grid_with(path: &Path, grid: AnyGrid, compression: Compression) -> Result<()> {
    let opts = WriteOptions {
        compression,
        ..WriteOptions::default()
    };
    write_raster(path, &grid, &opts).with_context(|| format!("writing {}", path.display()))
}

/// The `--compress` choice (clap restricts the names).
fn compression_arg(m: &ArgMatches) -> Compression {
    match m.get_one::<String>("compress").map(String::as_str) {
        Some("lzw") => Compression::Lzw,
        Some("zstd") => Compression::Zstd,
        Some("none") => Compression::None,
        _ => Compression::Deflate,
    }
}

/// An id grid aligned with `spec` from a raster (integer values > 0) or a vector layer
/// (rasterised: `id_field` or the feature number).
pub(crate) fn read_zones(
    path: &Path,
    spec: &GridSpec,
    id_field: Option<&str>,
    all_touched: bool,
) -> Result<Grid<u32>> {
    if crate::rasters::is_raster_path(path) {
        let g = read_grid(path)?;
        spec.check_aligned(&g.spec()).with_context(|| {
            format!(
                "{} is not on the cost grid: align it first (ecoplan reproject)",
                path.display()
            )
        })?;
        use rayon::prelude::*;
        let n = g.spec().len();
        let bad_id = |i: usize| match g.value_f64(i) {
            Some(v) if v > 0.0 => (v.fract() != 0.0 || v > u32::MAX as f64).then_some(v),
            _ => None,
        };
        if let Some(i) = (0..n).into_par_iter().find_first(|&i| bad_id(i).is_some()) {
            let bad = (0..n)
                .into_par_iter()
                .filter(|&i| bad_id(i).is_some())
                .count();
            bail!(
                "{}: ids must be whole numbers > 0; cell (col {}, row {}) holds {} ({bad} such cells)",
                path.display(),
                i % spec.width,
                i / spec.width,
                bad_id(i).unwrap_or_default()
            );
        }
        let data: Vec<u32> = (0..n)
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|i| match g.value_f64(i) {
                Some(v) if v > 0.0 => v as u32,
                _ => 0,
            })
            .collect();
        Ok(Grid::from_vec(spec, data, Some(0))?)
    } else {
        use ecoplan_io::vector::{
            rasterize::rasterize_layer, rasterize::Burn, rasterize::RasterizeOptions, read_vector,
            ReadOptions,
        };
        let mut layer = read_vector(path, &ReadOptions::default())
            .with_context(|| format!("reading {}", path.display()))?;
        if let (Some(lc), Some(gc)) = (&layer.crs, &spec.crs) {
            if lc != gc {
                layer = crate::vectors::reproject_layer(&layer, gc)
                    .with_context(|| format!("reprojecting {} to {}", path.display(), gc))?;
            }
        }
        let burn = match id_field {
            Some(f) => Burn::Field(f.to_string()),
            None => Burn::FeatureNumber,
        };
        let g = rasterize_layer(&layer, spec, &burn, &RasterizeOptions { all_touched })
            .with_context(|| format!("rasterising {}", path.display()))?;
        let data: Vec<u32> = g
            .data
            .iter()
            .map(|&v| {
                if v.is_finite() && v > 0.0 {
                    v.round() as u32
                } else {
                    0
                }
            })
            .collect();
        if data.iter().all(|&v| v == 0) {
            bail!(
                "{}: no feature covers a cell of the cost grid (check the CRS and extent; small \
                 features may need --all-touched)",
                path.display()
            );
        }
        Ok(Grid::from_vec(spec, data, Some(0))?)
    }
}

/// Writes polylines (with attributes) as a vector file.
pub(crate) fn write_lines(
    path: &Path,
    crs: Option<ecoplan_grid::Crs>,
    name: &str,
    fields: &[(&str, ecoplan_io::vector::FieldType)],
    rows: Vec<(Vec<(f64, f64)>, Vec<ecoplan_io::vector::FieldValue>)>,
) -> Result<()> {
    use ecoplan_io::vector::{write_vector, Layer};
    let mut layer = Layer::new(name, crs);
    for (n, t) in fields {
        layer.add_field(*n, *t);
    }
    for (pts, props) in rows {
        let line = geo::LineString::from(pts);
        layer.push(Some(geo::Geometry::LineString(line)), props);
    }
    write_vector(path, &layer).with_context(|| format!("writing {}", path.display()))
}

fn mean_max(g: &Grid<f32>) -> (f64, f64, u64) {
    use rayon::prelude::*;
    let (s, mx, n) = g
        .data
        .par_chunks(1 << 16)
        .map(|c| {
            let mut s = 0.0f64;
            let mut mx = f64::NEG_INFINITY;
            let mut n = 0u64;
            for &v in c {
                if v != DISTANCE_NODATA {
                    s += v as f64;
                    mx = mx.max(v as f64);
                    n += 1;
                }
            }
            (s, mx, n)
        })
        .reduce(
            || (0.0, f64::NEG_INFINITY, 0),
            |a, b| (a.0 + b.0, a.1.max(b.1), a.2 + b.2),
        );
    (s / n.max(1) as f64, mx, n)
}

fn cost_f32(any: AnyGrid) -> Grid<f32> {
    match any {
        AnyGrid::F32(g) => {
            // Nodata → NaN so that the engine sees barriers without a value compare.
            if let Some(nd) = g.nodata.filter(|v| !v.is_nan()) {
                use rayon::prelude::*;
                let mut g = g;
                g.data.par_iter_mut().for_each(|v| {
                    if *v == nd {
                        *v = f32::NAN;
                    }
                });
                g.nodata = Some(f32::NAN);
                g
            } else {
                g
            }
        }
        other => other.to_f32(),
    }
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let t0 = Instant::now();
    let get = |k: &str| m.get_one::<PathBuf>(k);
    let cost_path = get("cost").expect("required");
    let out = get("out").expect("required");
    let cost = cost_f32(read_grid(cost_path)?);
    let spec = cost.spec();
    let sources = read_zones(
        get("sources").expect("required"),
        &spec,
        m.get_one::<String>("id-field").map(|s| s.as_str()),
        m.get_flag("all-touched"),
    )?;
    let want_paths = get("paths").is_some() || get("destinations").is_some();
    if get("paths").is_some() != get("destinations").is_some() {
        bail!("--destinations and --paths go together (where to start the paths, where to write them)");
    }
    let params = CostDistanceParams {
        max_cost: m.get_one::<f64>("max-cost").copied(),
        bad_cost: if m.get_one::<String>("bad-cost").map(|s| s.as_str()) == Some("barrier") {
            BadCostPolicy::AsBarrier
        } else {
            BadCostPolicy::Error
        },
        backlink: get("backlink").is_some() || want_paths,
        allocation: get("allocation").is_some(),
    };
    let t_read = t0.elapsed().as_secs_f64();
    let bar = crate::progress::Bar::new();
    let t1 = Instant::now();
    let result = cost_distance(&cost, &sources, &params, &bar)
        .with_context(|| format!("cost distance on {}", cost_path.display()))?;
    let t_compute = t1.elapsed().as_secs_f64();
    drop(cost);
    let s = &result.summary;
    let (mean, max, n) = mean_max(&result.distance);
    eprintln!(
        "成本距离 cost distance: {} 源地像元 source cells ({} on nodata dropped), {} 到达 reached, \
         {} 不可达 unreached, {} 无数据 nodata, {} 异常阻力 bad-cost cells; mean {mean:.3}, max {max:.3}",
        s.source_cells, s.sources_on_barrier, s.reached_cells, s.unreached_cells, s.nodata_cells, s.bad_cost_cells
    );
    let mut paths = Vec::new();
    if let Some(dest_path) = get("destinations") {
        let dest = read_zones(
            dest_path,
            &spec,
            m.get_one::<String>("id-field").map(|s| s.as_str()),
            m.get_flag("all-touched"),
        )?;
        let mut by_id: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for (i, &v) in dest.data.iter().enumerate() {
            if v > 0 {
                by_id.entry(v).or_default().push(i);
            }
        }
        for (id, cells) in by_id {
            match least_cost_path(&result, &cells) {
                Ok(p) => paths.push((id, p)),
                Err(e) => eprintln!("目标 destination {id}: {e}"),
            }
        }
    }
    let t2 = Instant::now();
    let ecoplan_pattern::cost_distance::CostDistance {
        distance,
        backlink,
        allocation,
        ..
    } = result;
    let compression = compression_arg(m);
    write_grid_with(out, AnyGrid::from(distance), compression)?;
    if let (Some(p), Some(g)) = (get("backlink"), backlink) {
        write_grid_with(p, AnyGrid::from(g), compression)?;
    }
    if let (Some(p), Some(g)) = (get("allocation"), allocation) {
        write_grid_with(p, AnyGrid::from(g), compression)?;
    }
    if let Some(p) = get("paths") {
        use ecoplan_io::vector::{FieldType, FieldValue};
        let rows = paths
            .iter()
            .map(|(id, p)| {
                (
                    p.polyline(&spec),
                    vec![
                        FieldValue::Int(*id as i64),
                        FieldValue::Real(p.cost),
                        FieldValue::Real(p.length),
                    ],
                )
            })
            .collect();
        write_lines(
            p,
            spec.crs.clone(),
            "least_cost_paths",
            &[
                ("dest_id", FieldType::Int),
                ("cost", FieldType::Real),
                ("length_m", FieldType::Real),
            ],
            rows,
        )?;
    }
    let t_write = t2.elapsed().as_secs_f64();
    eprintln!(
        "耗时 time: read {t_read:.2} s, compute {t_compute:.2} s, write {t_write:.2} s; {n} cells with a distance"
    );
    if m.get_flag("print-result") {
        println!(
            "@@RESULT@@ {}",
            serde_json::json!({
                "timed_s": t0.elapsed().as_secs_f64(),
                "result": {"check": {"mean_cd": mean, "max_cd": max},
                           "phases": {"read": t_read, "compute": t_compute, "write": t_write}}
            })
        );
    }
    Ok(())
}
