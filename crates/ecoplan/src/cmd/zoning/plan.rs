//! `ecoplan zoning PLAN.toml`: the inputs from a plan and the outputs of `ecoplan assess` /
//! `ecoplan pattern` in the plan's output folder.

use super::ZoningInputs;
use crate::config::model::LayerKind;
use crate::config::Plan;
use anyhow::{bail, Context, Result};
use ecoplan_grid::{AnyGrid, Grid, GridSpec, Progress};
use std::path::{Path, PathBuf};

/// Names of plan vector layers taken as the 生态保护红线 mask (`red_line` in the conflict rules).
pub const RED_LINE_LAYER_NAMES: [&str; 3] = ["red_line", "生态保护红线", "生态红线"];

/// What a plan run reads and where the outputs go.
pub struct PlanInputs {
    pub inputs: ZoningInputs,
    /// `<plan output dir>/zoning` unless `--out` is given.
    pub default_out: PathBuf,
    /// Where each input came from (printed and recorded).
    pub sources: Vec<String>,
}

fn required(path: &Path, plan: &Path, command: &str) -> Result<AnyGrid> {
    if !path.exists() {
        bail!(
            "缺少 {} (missing): 请先运行 run `{command} {}` first — zoning reads its outputs from the plan's output folder",
            path.display(),
            plan.display()
        );
    }
    crate::rasters::read_raster(path).with_context(|| format!("reading {}", path.display()))
}

fn on_grid(g: AnyGrid, grid: &GridSpec, what: &Path) -> Result<AnyGrid> {
    g.spec().check_aligned(grid).map_err(|e| {
        anyhow::anyhow!(
            "{} is not on the grid of assess/importance.tif ({e}); re-run the step that wrote it",
            what.display()
        )
    })?;
    Ok(g)
}

/// Reads a plan's zoning inputs: importance (and soil-loss class, erosion sensitivity) from
/// `assess/`, land use, DEM → slope, protected areas and a red-line layer from the plan, and the
/// pinch points / barriers of `pattern/` when present.
pub fn plan_inputs(plan: &Plan, progress: &dyn Progress) -> Result<PlanInputs> {
    let root = plan.resolve(&plan.output.dir);
    let mut sources = Vec::new();
    let imp_path = root.join("assess/importance.tif");
    let importance = super::categorical(&required(&imp_path, &plan.file, "ecoplan assess")?);
    let grid = importance.spec();
    sources.push(format!("importance: {}", imp_path.display()));
    let optional_cat = |rel: &str, sources: &mut Vec<String>| -> Result<Option<Grid<u32>>> {
        let p = root.join(rel);
        if !p.exists() {
            return Ok(None);
        }
        let g = on_grid(crate::rasters::read_raster(&p)?, &grid, &p)?;
        sources.push(format!("{rel}: {}", p.display()));
        Ok(Some(super::categorical(&g)))
    };
    let soil_loss_class = optional_cat("assess/soil_loss_class.tif", &mut sources)?;
    let sensitivity = optional_cat("assess/sensitivity_soil_erosion.tif", &mut sources)?;
    let mut landuse = None;
    let (mut dem, mut masks) = (None, Vec::new());
    for layer in &plan.layers {
        let name = layer.name.value.as_str();
        match layer.kind.value {
            LayerKind::Landuse if landuse.is_none() => {
                let g = crate::rasters::landuse_on_grid(plan, layer, &grid, progress)?;
                landuse = Some(g.map(Some(0u32), |v| v.max(0) as u32));
                sources.push(format!("landuse: plan layer `{name}`"));
            }
            LayerKind::Dem if dem.is_none() => {
                let src = crate::rasters::read_raster(&plan.resolve(&layer.file.value))?;
                let g = ecoplan_io::align::warp(&src, &grid, layer.resampling, progress)?;
                dem = Some(g);
                sources.push(format!("dem, slope: plan layer `{name}`"));
            }
            LayerKind::ProtectedAreas => {
                let m = crate::rasters::vector_mask_on_grid(plan, layer, &grid, false)?;
                masks.push(("protected_area".to_string(), m.map(Some(0u32), u32::from)));
                sources.push(format!("protected_area mask: plan layer `{name}`"));
            }
            kind if kind.info().vector && RED_LINE_LAYER_NAMES.contains(&name) => {
                let m = crate::rasters::vector_mask_on_grid(plan, layer, &grid, false)?;
                masks.push(("red_line".to_string(), m.map(Some(0u32), u32::from)));
                sources.push(format!("red_line mask: plan layer `{name}`"));
            }
            _ => {}
        }
    }
    let landuse = landuse.with_context(|| {
        format!(
            "{}: the plan has no land-use layer (kind = \"landuse\"); zoning needs one",
            plan.file.display()
        )
    })?;
    // The region: cells the assessment graded (importance ≥ 1) with a land-use class.
    let region = Grid::from_vec(
        &grid,
        importance
            .data
            .iter()
            .zip(&landuse.data)
            .map(|(i, l)| u8::from(*i != u32::MAX && *i >= 1 && *l != 0))
            .collect(),
        Some(0),
    )?;
    let slope = dem.as_ref().map(|d| {
        let pct = ecoplan_assess::hydro::slope_percent(&d.to_f64(), progress);
        pct.map(Some(f32::NAN), |p| {
            if p.is_finite() && p >= 0.0 {
                (p / 100.0).atan().to_degrees()
            } else {
                f32::NAN
            }
        })
    });
    if let Some(p) = super::demo::pattern_mask(&root.join("pattern"), &region) {
        masks.push(("pattern".to_string(), p));
        sources.push("pattern: pattern/pinch_points.tif, pattern/barrier_class.tif".into());
    }
    Ok(PlanInputs {
        inputs: ZoningInputs {
            landuse,
            region,
            importance,
            soil_loss_class,
            sensitivity,
            slope,
            dem: dem.map(|d| d.to_f32()),
            units: None,
            masks,
        },
        default_out: root.join("zoning"),
        sources,
    })
}
