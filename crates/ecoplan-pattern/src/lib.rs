//! Ecological security pattern (生态安全格局): MSPA, resistance, cost distance, corridors,
//! network indices, landscape metrics. Circuit theory lives in `ecoplan-circuit`.

// --- modules (one line each; each owner adds its own) ---
pub mod chain;
pub mod conefor;
pub mod corridors;
pub mod cost_distance;
pub mod metrics;
pub mod mspa;
pub mod network;
pub mod nodes;
pub mod resistance;
pub mod sources;
// --- end modules ---
