//! The plan: data model, checker, rollups, indicators, zoning, key areas, scenarios.
