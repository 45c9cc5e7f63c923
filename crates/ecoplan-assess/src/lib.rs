//! Ecological assessment: ecosystem services, sensitivity, protection importance (双评价),
//! InVEST-compatible models.
//!
//! * [`hydro`]: terrain and routing primitives (pit filling, D8/MFD, accumulation, slope,
//!   streams, watersheds), with pygeoprocessing's conventions.
//! * [`invest`]: Habitat Quality, Carbon, Annual Water Yield and SDR with natcap.invest 3.20
//!   semantics and output names.
//! * [`dual`]: the 双评价 ecological chain (service importance, fragility, grading, integration).
//!
//! Everything here is pure: grids and tables in, grids and tables out; no files, no printing.

pub mod dual;
pub mod edt;
mod error;
pub mod hydro;
pub mod invest;
pub mod table;

pub use error::AssessError;
