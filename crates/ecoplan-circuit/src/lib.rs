//! Circuit theory (电路理论) for ecological connectivity: Circuitscape.jl 5 and Omniscape.jl
//! semantics.
//!
//! Layers:
//! * numerics — [`csr::Csr`] sparse matrices, [`amg`] smoothed-aggregation multigrid,
//!   [`solver`] (CG+AMG or sparse Cholesky);
//! * graphs — [`graph`] builds Circuitscape's cell graph from conductance grids (4/8 neighbours,
//!   average conductance or resistance, short-circuit polygons, components); network graphs
//!   from edge lists;
//! * modes — [`circuitscape`] pairwise / one-to-all / all-to-one / advanced on rasters,
//!   [`network`] pairwise / advanced on graphs, [`omniscape`] moving windows;
//! * [`api`] — small entry points other analyses call (effective resistance, current map
//!   between source and ground cells);
//! * [`files`] — Circuitscape/Omniscape `.ini` files and their inputs/outputs (used by the CLI
//!   and tests only; everything above takes grids and returns grids).

pub mod amg;
pub mod api;
pub mod circuitscape;
pub mod csr;
pub mod currents;
pub mod files;
pub mod graph;
pub mod network;
pub mod omniscape;
pub mod solver;

pub use api::{current_map_between, effective_resistance, CurrentMapOptions};
pub use graph::{CellGraph, Connectivity, GraphOptions};
pub use solver::{PreparedSolver, SolverKind, SolverOptions};

/// Errors of circuit computations. Each says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CircuitError {
    /// Inputs that cannot describe a circuit (wrong sizes, no nodes, bad ids…).
    #[error("invalid input: {0}")]
    Input(String),
    /// The linear solver failed.
    #[error("solver failed: {0}")]
    Solver(String),
    /// Writing an output (map or table) failed.
    #[error("writing output failed: {0}")]
    Output(String),
    /// The caller asked to stop.
    #[error("cancelled")]
    Cancelled,
}
