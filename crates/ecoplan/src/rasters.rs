//! Raster reading and writing for the CLI on top of `ecoplan_io::raster` (GeoTIFF, ESRI ASCII
//! grid). ASCII grids carry their CRS in a `.prj` sidecar (as GDAL writes and reads it): this
//! module reads and writes that sidecar, so `convert` keeps the CRS through an ASCII grid.

use anyhow::Result;
use ecoplan_grid::{AnyGrid, Crs};
use ecoplan_io::raster::WriteOptions;
use std::path::{Path, PathBuf};

pub fn is_ascii(path: &Path) -> bool {
    let n = path.to_string_lossy().to_ascii_lowercase();
    n.ends_with(".asc") || n.ends_with(".asc.gz")
}

/// `dem.asc` → `dem.prj`, `dem.asc.gz` → `dem.prj`.
pub fn prj_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let stem = if lower.ends_with(".asc.gz") {
        &name[..name.len() - 7]
    } else if lower.ends_with(".asc") {
        &name[..name.len() - 4]
    } else {
        &name
    };
    path.with_file_name(format!("{stem}.prj"))
}

/// Reads band 1 of a raster; an ASCII grid without a CRS takes it from its `.prj` sidecar.
pub fn read_raster(path: &Path) -> Result<AnyGrid> {
    let mut g = ecoplan_io::raster::read_raster(path)?;
    if g.crs().is_none() {
        g.set_crs(sidecar_crs(path));
    }
    Ok(g)
}

/// The CRS of an ASCII grid's `.prj` sidecar (EPSG-identifiable WKT only).
pub fn sidecar_crs(path: &Path) -> Option<Crs> {
    if !is_ascii(path) {
        return None;
    }
    let wkt = std::fs::read_to_string(prj_path(path)).ok()?;
    ecoplan_io::vector::epsg_from_wkt(&wkt).map(Crs::Epsg)
}

/// Writes a raster; for ASCII grids with an EPSG CRS also writes the `.prj` sidecar.
pub fn write_raster(path: &Path, grid: &AnyGrid, opts: &WriteOptions) -> Result<()> {
    ecoplan_io::raster::write_raster(path, grid, opts)?;
    if is_ascii(path) {
        if let Some(wkt) = grid
            .crs()
            .and_then(|c| c.epsg())
            .and_then(ecoplan_io::vector::wkt_for_epsg)
        {
            let prj = prj_path(path);
            ecoplan_io::atomic::write_atomic(&prj, |w| {
                use std::io::Write;
                w.write_all(wkt.as_bytes())
                    .map_err(|e| ecoplan_io::IoError::io(&prj, e))
            })?;
        }
    }
    Ok(())
}

/// True for the raster extensions ecoplan reads (.tif, .tiff, .asc, .asc.gz).
pub fn is_raster_path(path: &Path) -> bool {
    let n = path.to_string_lossy().to_ascii_lowercase();
    is_ascii(path) || n.ends_with(".tif") || n.ends_with(".tiff")
}

/// A plan's land-use layer mapped to the common classes (its `classes` mapping, default 三调
/// `gbt21010_sandiao`, with its `class_overrides`) and resampled onto `grid`; 0 = unmapped/nodata.
pub fn landuse_on_grid(
    plan: &crate::config::Plan,
    layer: &crate::config::model::LayerConfig,
    grid: &ecoplan_grid::GridSpec,
    progress: &dyn ecoplan_grid::Progress,
) -> Result<ecoplan_grid::Grid<i32>> {
    use crate::config::classes::{load_mapping, ClassTable};
    use anyhow::Context;
    let classes = ClassTable::builtin();
    let spec = layer
        .classes
        .as_ref()
        .map(|c| c.value.clone())
        .unwrap_or_else(|| "gbt21010_sandiao".into());
    let mut mapping =
        load_mapping(&spec, &plan.base_dir, &classes).map_err(|e| anyhow::anyhow!(e.join("\n")))?;
    for o in &layer.class_overrides {
        let (code, key) = &o.value;
        let class = classes
            .find(key)
            .with_context(|| format!("class_overrides: `{key}` is not a common class key"))?;
        mapping.set(code, class.code);
    }
    let path = plan.resolve(&layer.file.value);
    let src = read_raster(&path)?;
    let ss = src.spec();
    let mapped: Vec<u8> = (0..ss.len())
        .map(|i| {
            src.value_f64(i)
                .and_then(|v| mapping.class_of(v as i64))
                .unwrap_or(0)
        })
        .collect();
    let g = ecoplan_io::align::warp(
        &AnyGrid::U8(ecoplan_grid::Grid::from_vec(&ss, mapped, Some(0))?),
        grid,
        layer.resampling,
        progress,
    )?;
    Ok(g.to_f64().map(Some(0), |v| v as i32))
}

/// Reads a vector file and reprojects it into `crs` when its own CRS differs.
pub fn read_vector_in(path: &Path, crs: Option<&Crs>) -> Result<ecoplan_io::vector::Layer> {
    use anyhow::Context;
    let v = ecoplan_io::vector::read_vector(path, &Default::default())
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(match crs {
        Some(c) if v.crs.as_ref() != Some(c) => crate::vectors::reproject_layer(&v, c)?,
        _ => v,
    })
}

/// One loader for a plan's vector layer (protected areas, roads, rivers, zones, planned
/// corridors …): read and brought into the grid's CRS. Used by assess, pattern and scenario.
pub fn vector_on_grid(
    plan: &crate::config::Plan,
    layer: &crate::config::model::LayerConfig,
    grid: &ecoplan_grid::GridSpec,
) -> Result<ecoplan_io::vector::Layer> {
    read_vector_in(&plan.resolve(&layer.file.value), grid.crs.as_ref())
}

/// A plan's vector layer rasterized onto `grid` as a 0/1 mask (`all_touched` for lines such
/// as roads and rivers, cell centres for polygons).
pub fn vector_mask_on_grid(
    plan: &crate::config::Plan,
    layer: &crate::config::model::LayerConfig,
    grid: &ecoplan_grid::GridSpec,
    all_touched: bool,
) -> Result<ecoplan_grid::Grid<u8>> {
    let v = vector_on_grid(plan, layer, grid)?;
    let opts = ecoplan_io::vector::RasterizeOptions { all_touched };
    Ok(ecoplan_io::vector::rasterize_ids(&v, grid, &opts).map(Some(0), |id| u8::from(id > 0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::{GeoTransform, Grid, GridSpec, NoProgress};

    #[test]
    fn landuse_on_grid_applies_the_mapping_and_its_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let spec = GridSpec::new(
            3,
            1,
            GeoTransform::north_up(500000.0, 4400000.0, 30.0),
            Some(Crs::Epsg(4547)),
        );
        // CLCD codes 1 cropland, 2 forest, 3 shrub.
        let lu = Grid::from_vec(&spec, vec![1u8, 2, 3], Some(0)).unwrap();
        write_raster(
            &dir.path().join("lu.tif"),
            &AnyGrid::U8(lu),
            &WriteOptions::default(),
        )
        .unwrap();
        let text = "[region]\nboundary = \"b.geojson\"\n\n[layers.landuse]\nfile = \"lu.tif\"\nkind = \"landuse\"\n\
                    classes = \"clcd\"\nclass_overrides = { \"3\" = \"forest\" }\n\n[output]\ndir = \"out\"\n";
        let (plan, problems) =
            crate::config::parse::parse_plan(&dir.path().join("plan.toml"), text);
        let plan = plan.unwrap_or_else(|| panic!("{problems:?}"));
        let layer = plan
            .layers
            .iter()
            .find(|l| l.kind.value == crate::config::LayerKind::Landuse)
            .unwrap();
        let g = landuse_on_grid(&plan, layer, &spec, &NoProgress).unwrap();
        // cropland → 1, forest → 3, shrub overridden to forest → 3.
        assert_eq!(g.data, vec![1, 3, 3]);
    }
}
