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
