//! Raster helpers of the CLI on top of `ecoplan_io::raster` (GeoTIFF and ESRI ASCII grid).

use anyhow::Result;
use ecoplan_grid::AnyGrid;
use std::path::Path;

pub fn is_raster_path(path: &Path) -> bool {
    let n = path.to_string_lossy().to_ascii_lowercase();
    [".tif", ".tiff", ".asc", ".asc.gz"].iter().any(|e| n.ends_with(e))
}

/// Reads band 1 of a raster (format from the extension or the first bytes).
pub fn read_raster(path: &Path) -> Result<AnyGrid> {
    Ok(ecoplan_io::raster::read_raster(path)?)
}
