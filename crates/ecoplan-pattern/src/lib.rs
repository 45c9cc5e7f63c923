//! Ecological security pattern: MSPA, resistance, cost distance, corridors, circuit theory, network indices, landscape metrics.
