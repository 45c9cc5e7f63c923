//! File formats and geodesy at ecoplan's edge: rasters (GeoTIFF, ESRI ASCII grid), vectors,
//! CRS transformations, alignment onto a reference grid, and atomic output writes.

pub mod ascii;
pub mod atomic;
mod error;
// --- modules (one line each; each owner adds its own) ---
pub mod align;
pub mod crs;
pub mod geotiff;
pub mod raster;
pub mod vector;
pub mod zonal;
// --- end modules ---

pub use error::IoError;
