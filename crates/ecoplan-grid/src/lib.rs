//! Core raster types of ecoplan.
//!
//! A [`Grid<T>`] is a flat row-major `Vec<T>` with a [`GeoTransform`], an optional [`Crs`] and an
//! optional nodata value. [`GridSpec`] is the geometry alone (size + transform + CRS): the
//! reference grid every layer of a region is aligned onto. [`AnyGrid`] carries a grid whose cell
//! type is known only at run time (what a file reader returns).
//!
//! This crate is pure: no files, no printing. Long work reports through [`Progress`].

mod any;
mod cell;
mod crs;
mod grid;
mod progress;
mod transform;
pub mod units;

pub use any::AnyGrid;
pub use cell::{Cell, CellType};
pub use crs::Crs;
pub use grid::{Grid, GridSpec};
pub use progress::{NoProgress, Progress};
pub use transform::GeoTransform;

/// Errors of grid construction and comparison.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum GridError {
    #[error("grid data has {got} cells but {width}×{height} = {expected} were expected")]
    SizeMismatch {
        width: usize,
        height: usize,
        expected: usize,
        got: usize,
    },
    #[error("grids are not aligned: {0}")]
    NotAligned(String),
    #[error("cell ({col}, {row}) is outside the {width}×{height} grid")]
    OutOfBounds {
        col: i64,
        row: i64,
        width: usize,
        height: usize,
    },
    #[error("invalid geotransform: {0}")]
    InvalidTransform(String),
}
