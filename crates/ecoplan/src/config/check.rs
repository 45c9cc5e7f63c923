//! Checks of a parsed plan against the files it names: every problem is collected, none stops
//! the others from being found.

use super::classes::{load_mapping, ClassTable};
use super::model::*;
use super::problem::{Pos, Problem};
use crate::region::{self, RegionGrid};
use ecoplan_grid::{AnyGrid, Crs, GridSpec, Progress};
use ecoplan_io::crs::{self as crs_io, CrsTransform};
use std::collections::BTreeMap;
use std::path::Path;

/// What validation learned about the region (printed by `ecoplan validate`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegionSummary {
    pub crs: Crs,
    pub crs_name: String,
    pub crs_automatic: bool,
    pub grid: GridSpec,
    pub features: usize,
    pub area_km2: f64,
}

/// Checks files, CRSs, alignment and class mappings. Returns what could be learned about the
/// region and every problem.
pub fn check_plan(plan: &Plan, progress: &dyn Progress) -> (Option<RegionSummary>, Vec<Problem>) {
    let mut problems = Vec::new();
    let pf = plan.file.as_path();
    let err = |problems: &mut Vec<Problem>, pos: Pos, msg: String| {
        problems.push(Problem::error(pf, Some(pos), msg))
    };

    // CRS named in the plan must be known.
    if let Some(c) = &plan.grid.crs {
        match crs_io::is_geographic(&c.value) {
            Ok(true) => {} // already reported by the parser
            Ok(false) => {}
            Err(e) => err(
                &mut problems,
                c.pos,
                format!("grid.crs {}: unknown CRS 未知坐标系: {e}", c.value.label()),
            ),
        }
    }

    // Region: boundary, filter, CRS, grid.
    let mut region: Option<RegionGrid> = None;
    let boundary = &plan.region.boundary;
    let bpath = plan.resolve(&boundary.value);
    let cell_size = plan.grid.cell_size.value;
    let cell_size_ok = cell_size > 0.0 && cell_size <= 10_000.0; // else reported by the parser
    let crs_ok = plan
        .grid
        .crs
        .as_ref()
        .is_none_or(|c| matches!(crs_io::is_geographic(&c.value), Ok(false)));
    if !bpath.exists() {
        err(
            &mut problems,
            boundary.pos,
            format!(
                "region.boundary: file not found 文件不存在: {}",
                bpath.display()
            ),
        );
    } else {
        match ecoplan_io::vector::read_vector(&bpath, &Default::default()) {
            Err(e) => err(
                &mut problems,
                boundary.pos,
                format!("region.boundary: cannot read 无法读取: {e}"),
            ),
            Ok(layer) => {
                let filter: Vec<_> = plan.region.filter.iter().map(|f| f.value.clone()).collect();
                let filter_pos = plan.region.filter.first().map_or(boundary.pos, |f| f.pos);
                match region::apply_filter(layer, &filter) {
                    Err(e) => err(
                        &mut problems,
                        filter_pos,
                        format!("region.filter on {}: {e:#}", bpath.display()),
                    ),
                    Ok(layer) if cell_size_ok && crs_ok => {
                        let crs = plan.grid.crs.as_ref().map(|c| c.value.clone());
                        match region::region_from_layer(layer, crs, cell_size, plan.region.buffer_m)
                        {
                            Ok(r) => region = Some(r),
                            Err(e) => err(
                                &mut problems,
                                boundary.pos,
                                format!("region.boundary {}: {e:#}", bpath.display()),
                            ),
                        }
                    }
                    Ok(_) => {} // the grid settings are wrong; already reported
                }
            }
        }
    }
    let summary = region.as_ref().map(|r| RegionSummary {
        crs_name: crs_io::name(&r.crs),
        crs: r.crs.clone(),
        crs_automatic: plan.grid.crs.is_none(),
        grid: r.grid.clone(),
        features: r.boundary.features.len(),
        area_km2: r.area_m2 / 1e6,
    });
    if let Some(r) = &region {
        if r.grid.len() > 2_000_000_000 {
            problems.push(Problem::warning(
                pf,
                Some(plan.grid.cell_size.pos),
                format!(
                    "the analysis grid has {}×{} = {:.2e} cells at {} m; expect long runs and large memory",
                    r.grid.width, r.grid.height, r.grid.len() as f64, plan.grid.cell_size.value
                ),
            ));
        }
    }

    // Admin units.
    if let Some(a) = &plan.region.admin_units {
        let apath = plan.resolve(&a.value);
        match ecoplan_io::vector::read_vector(&apath, &Default::default()) {
            Ok(layer) => {
                if layer.field_index(&plan.region.admin_field).is_none() {
                    err(
                        &mut problems,
                        a.pos,
                        format!(
                        "region.admin_units {}: no field `{}` (set region.admin_field); fields: {}",
                        apath.display(),
                        plan.region.admin_field,
                        layer.fields.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    );
                }
            }
            Err(e) => err(&mut problems, a.pos, format!("region.admin_units: {e}")),
        }
    }

    // Layers.
    let classes = ClassTable::builtin();
    for layer in &plan.layers {
        check_layer(
            plan,
            layer,
            region.as_ref(),
            &classes,
            &mut problems,
            progress,
        );
    }

    // Output folder.
    let out = plan.resolve(&plan.output.dir);
    if out.is_file() {
        problems.push(Problem::error(
            pf,
            None,
            format!("output.dir {} is a file, not a folder", out.display()),
        ));
    }
    (summary, problems)
}

fn check_layer(
    plan: &Plan,
    layer: &LayerConfig,
    region: Option<&RegionGrid>,
    classes: &ClassTable,
    problems: &mut Vec<Problem>,
    progress: &dyn Progress,
) {
    let pf = plan.file.as_path();
    let name = &layer.name.value;
    let fpos = layer.file.pos;
    let path = plan.resolve(&layer.file.value);
    let info = layer.kind.value.info();
    let mut err = |pos: Pos, msg: String| problems.push(Problem::error(pf, Some(pos), msg));

    // The class mapping is checked even when the file is missing: report both.
    let mapping = match (&layer.classes, layer.kind.value) {
        (Some(c), LayerKind::Landuse) => match load_mapping(&c.value, &plan.base_dir, classes) {
            Ok(mut m) => {
                for o in &layer.class_overrides {
                    let (code, class) = &o.value;
                    match classes.find(class) {
                        Some(cc) => m.set(code, cc.code),
                        None => err(o.pos, format!(
                            "layers.{name}.class_overrides: `{class}` is not a common class; expected one of: {}{}",
                            classes.classes.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(", "),
                            super::problem::did_you_mean(class, classes.classes.iter().map(|c| c.key.as_str()))
                        )),
                    }
                }
                Some(m)
            }
            Err(es) => {
                for e in es {
                    err(c.pos, format!("layers.{name}.classes: {e}"));
                }
                None
            }
        },
        _ => None,
    };

    if !path.exists() {
        err(
            fpos,
            format!(
                "layers.{name}: file not found 文件不存在: {}",
                path.display()
            ),
        );
        return;
    }
    if info.vector {
        match ecoplan_io::vector::read_vector(&path, &Default::default()) {
            Ok(v) => {
                if v.features.is_empty() {
                    err(
                        fpos,
                        format!("layers.{name}: {} has no features", path.display()),
                    );
                }
                match (&v.crs, region) {
                    (None, _) => err(fpos, format!(
                        "layers.{name}: {} has no CRS (missing .prj or crs member), so it cannot be placed on the analysis grid; add the CRS to the file",
                        path.display()
                    )),
                    (Some(c), Some(r)) => {
                        if let Some(b) = v.bounds() {
                            check_overlap(pf, fpos, name, &path, c, b, r, problems);
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => err(fpos, format!("layers.{name}: cannot read 无法读取: {e}")),
        }
        return;
    }

    let grid = match crate::rasters::read_raster(&path) {
        Ok(g) => g,
        Err(e) => {
            err(
                fpos,
                format!("layers.{name}: cannot read raster 无法读取栅格: {e:#}"),
            );
            return;
        }
    };
    let _ = progress;
    let t = grid.transform();
    if !t.is_north_up() {
        err(fpos, format!("layers.{name}: {} is rotated or flipped (geotransform {:?}); ecoplan aligns north-up rasters only: re-export it north-up", path.display(), t.to_gdal()));
    }
    match (grid.crs(), region) {
        (None, _) => err(fpos, format!(
            "layers.{name}: {} has no CRS, so it cannot be aligned onto the analysis grid 无坐标系无法对齐; assign one (e.g. `ecoplan reproject` needs it too) — ASCII grids need a .prj beside them",
            path.display()
        )),
        (Some(c), reg) => match crs_io::proj_string(c) {
            Err(e) => err(fpos, format!("layers.{name}: unknown CRS 未知坐标系 {}: {e}", c.label())),
            Ok(_) => {
                if let Some(r) = reg {
                    let (w, h) = (grid.width(), grid.height());
                    check_overlap(pf, fpos, name, &path, c, t.bounds(w, h), r, problems);
                    // Resolution: coarse data is allowed but worth a word.
                    if !c.is_geographic() {
                        let cs = t.cell_width();
                        if cs > 3.0 * plan.grid.cell_size.value {
                            problems.push(Problem::warning(pf, Some(fpos), format!(
                                "layers.{name}: cells are {cs} m, {:.0}× coarser than the {} m analysis grid; values will be interpolated",
                                cs / plan.grid.cell_size.value, plan.grid.cell_size.value
                            )));
                        }
                    }
                }
            }
        },
    }
    let mut err = |pos: Pos, msg: String| problems.push(Problem::error(pf, Some(pos), msg));
    if let (Some((lo, hi)), Some(s)) = (info.range, grid.stats()) {
        if s.min < lo || s.max > hi {
            let hint = if layer.kind.value == LayerKind::Ndvi && s.max > 1.0 {
                " (scaled NDVI such as ×10000 must be divided back to −1…1)"
            } else {
                ""
            };
            err(fpos, format!(
                "layers.{name}: values {}…{} are outside the plausible range {lo}…{hi} {} of kind {} ({}){hint}",
                s.min, s.max, info.unit, info.name, info.zh
            ));
        }
    }
    if let Some(m) = mapping {
        match class_counts(&grid) {
            Err(msg) => err(fpos, format!("layers.{name}: {msg}")),
            Ok(counts) => {
                let unmapped: Vec<String> = counts
                    .iter()
                    .filter(|(v, _)| m.class_of(**v).is_none())
                    .map(|(v, n)| format!("{v} ({n} cells)"))
                    .collect();
                if !unmapped.is_empty() {
                    let pos = layer.classes.as_ref().map_or(fpos, |c| c.pos);
                    err(pos, format!(
                        "layers.{name}: codes present in {} but absent from class mapping `{}` 地类对照表缺少以下代码: {}; add them to the mapping CSV or to [layers.{name}.class_overrides]",
                        path.display(), m.name, unmapped.join(", ")
                    ));
                }
            }
        }
    }
}

/// Distinct valid values of a class raster with their counts; an error for non-integer cells.
pub fn class_counts(grid: &AnyGrid) -> Result<BTreeMap<i64, u64>, String> {
    let mut counts = BTreeMap::new();
    let n = grid.width() * grid.height();
    if matches!(grid, AnyGrid::U8(_) | AnyGrid::U16(_)) {
        let mut hist = vec![0u64; 65536];
        for i in 0..n {
            if let Some(v) = grid.value_f64(i) {
                hist[v as usize] += 1;
            }
        }
        for (v, c) in hist.into_iter().enumerate().filter(|(_, c)| *c > 0) {
            counts.insert(v as i64, c);
        }
        return Ok(counts);
    }
    for i in 0..n {
        if let Some(v) = grid.value_f64(i) {
            if v.fract() != 0.0 {
                return Err(format!(
                    "land use must hold whole class codes, found {v} at cell (col {}, row {})",
                    i % grid.width(),
                    i / grid.width()
                ));
            }
            *counts.entry(v as i64).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

#[allow(clippy::too_many_arguments)]
fn check_overlap(
    pf: &Path,
    pos: Pos,
    name: &str,
    path: &Path,
    crs: &Crs,
    bounds: (f64, f64, f64, f64),
    region: &RegionGrid,
    problems: &mut Vec<Problem>,
) {
    let b = match CrsTransform::new(crs, &region.crs).and_then(|t| t.transform_bounds(bounds)) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::error(
                pf,
                Some(pos),
                format!(
                    "layers.{name}: cannot transform its extent to {}: {e}",
                    region.crs.label()
                ),
            ));
            return;
        }
    };
    let g = region
        .grid
        .transform
        .bounds(region.grid.width, region.grid.height);
    let rb = region.boundary_bounds;
    let ix = (b.2.min(rb.2) - b.0.max(rb.0)).max(0.0);
    let iy = (b.3.min(rb.3) - b.1.max(rb.1)).max(0.0);
    let covered = ix * iy / ((rb.2 - rb.0) * (rb.3 - rb.1));
    // Closed intervals: a straight north–south or east–west line (or a point) has a zero-width
    // extent and still overlaps when it lies inside the region.
    let disjoint = b.0 > rb.2 || b.2 < rb.0 || b.1 > rb.3 || b.3 < rb.1;
    if disjoint {
        problems.push(Problem::error(pf, Some(pos), format!(
            "layers.{name}: {} does not overlap the region 与规划范围不重叠 (its extent in {} is x {:.0}…{:.0}, y {:.0}…{:.0}; the region grid is x {:.0}…{:.0}, y {:.0}…{:.0}); wrong file or wrong CRS in the file?",
            path.display(), region.crs.label(), b.0, b.2, b.1, b.3, g.0, g.2, g.1, g.3
        )));
    } else if ix > 0.0 && iy > 0.0 && covered < 0.999 {
        problems.push(Problem::warning(pf, Some(pos), format!(
            "layers.{name}: {} covers only {:.1}% of the region's bounding box; cells outside it will be nodata",
            path.display(), covered * 100.0
        )));
    }
}
