//! The planning region: boundary polygons (filtered from a file), the analysis CRS (given, or the
//! CGCS2000 3° Gauss–Krüger zone of the region's central meridian) and the analysis grid.

use crate::config::{FilterValue, Plan};
use anyhow::{anyhow, bail, Context, Result};
use ecoplan_grid::{Crs, GridSpec};
use ecoplan_io::crs::{gk3_crs_for_longitude, CrsTransform};
use ecoplan_io::vector::{read_vector, FieldValue, Layer};
use std::path::Path;

pub struct RegionGrid {
    /// The region's polygons, in `crs`.
    pub boundary: Layer,
    pub crs: Crs,
    /// The analysis grid: the boundary's bounding box plus the buffer, snapped to whole cells.
    pub grid: GridSpec,
    /// Bounding box of the boundary (no buffer), in `crs`.
    pub boundary_bounds: (f64, f64, f64, f64),
    /// Planar area of the boundary polygons in `crs`, m².
    pub area_m2: f64,
    /// Longitude of the boundary's bounding-box centre, degrees.
    pub central_lon: f64,
}

/// Loads the region a plan describes.
pub fn load_region(plan: &Plan) -> Result<RegionGrid> {
    let path = plan.resolve(&plan.region.boundary.value);
    let filter: Vec<(String, FilterValue)> =
        plan.region.filter.iter().map(|f| f.value.clone()).collect();
    let layer = read_boundary(&path, &filter)?;
    region_from_layer(
        layer,
        plan.grid.crs.as_ref().map(|c| c.value.clone()),
        plan.grid.cell_size.value,
        plan.region.buffer_m,
    )
}

/// Reads a polygon file and keeps the features matching every `field = value`.
pub fn read_boundary(path: &Path, filter: &[(String, FilterValue)]) -> Result<Layer> {
    let layer = read_vector(path, &Default::default())?;
    apply_filter(layer, filter)
}

/// Keeps the features matching every `field = value`; checks the result is polygons.
pub fn apply_filter(mut layer: Layer, filter: &[(String, FilterValue)]) -> Result<Layer> {
    for (field, value) in filter {
        let fv = match value {
            FilterValue::Int(i) => FieldValue::Int(*i),
            FilterValue::Str(s) => FieldValue::Text(s.clone()),
        };
        let before = layer.clone();
        layer = layer
            .filter(field, &fv)
            .map_err(|e| anyhow!("filter {field} = {value}: {e}"))?;
        if layer.features.is_empty() {
            let i = before.field_index(field).unwrap_or(0);
            let mut values: Vec<String> = before
                .features
                .iter()
                .filter_map(|f| f.properties.get(i))
                .map(field_text)
                .collect();
            values.dedup();
            values.truncate(20);
            bail!(
                "no feature has {field} = {value} 没有符合筛选条件的要素; values of {field} in the file: {}",
                values.join(", ")
            );
        }
    }
    if layer.features.is_empty() {
        bail!("the file has no features 文件中没有要素");
    }
    let t = layer.geometry_type();
    if !matches!(t, "Polygon" | "MultiPolygon") {
        bail!("the region boundary must be polygons, found {t}");
    }
    Ok(layer)
}

fn field_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Null => "null".into(),
        FieldValue::Int(i) => i.to_string(),
        FieldValue::Real(r) => r.to_string(),
        FieldValue::Text(s) => s.clone(),
        FieldValue::Bool(b) => b.to_string(),
    }
}

/// Builds the region grid from boundary polygons (in any CRS the file declares).
pub fn region_from_layer(
    layer: Layer,
    crs: Option<Crs>,
    cell_size: f64,
    buffer_m: f64,
) -> Result<RegionGrid> {
    let src_crs = layer.crs.clone().ok_or_else(|| {
        anyhow!("the boundary file has no CRS; ecoplan needs it to place the region (GeoJSON without a `crs` member is WGS84 by the standard)")
    })?;
    let b = layer.bounds().context("the boundary has no geometry")?;
    let to_geo = CrsTransform::new(&src_crs, &Crs::Epsg(4326))?;
    let (lon, _) = to_geo.transform((b.0 + b.2) / 2.0, (b.1 + b.3) / 2.0)?;
    let crs = crs.unwrap_or_else(|| gk3_crs_for_longitude(lon, false));
    let boundary = crate::vectors::reproject_layer(&layer, &crs)?;
    let bb = boundary.bounds().context("the boundary has no geometry")?;
    let buffered = (
        bb.0 - buffer_m,
        bb.1 - buffer_m,
        bb.2 + buffer_m,
        bb.3 + buffer_m,
    );
    let grid = ecoplan_io::align::snapped_grid(buffered, cell_size, Some(crs.clone()))?;
    let area_m2 = {
        use geo::Area;
        boundary
            .features
            .iter()
            .filter_map(|f| f.geometry.as_ref())
            .map(|g| g.unsigned_area())
            .sum()
    };
    Ok(RegionGrid {
        boundary,
        crs,
        grid,
        boundary_bounds: bb,
        area_m2,
        central_lon: lon,
    })
}
