//! The plan itself: data model, canonical TOML/JSON forms, CSV/XLSX sheets with the Chinese
//! headers planners use, the plan checker and rollups (investment and area summaries).
//!
//! Pure functions on in-memory data: reading and writing files is the caller's job (the
//! `ecoplan` CLI); the format functions take and return strings or bytes.
//!
//! ```
//! use ecoplan_plan::{format, check};
//! let plan = format::from_toml(r#"
//! schema_version = 1
//! [region]
//! name = "示例区"
//! area = "100.00"
//! area_unit = "km²"
//! [[zones]]
//! id = "1"
//! name = "北部保护保育区"
//! area = "60.00"
//! area_unit = "km²"
//! [[zones]]
//! id = "2"
//! name = "南部修复区"
//! area = "41.00"
//! area_unit = "km²"
//! "#).unwrap();
//! let findings = check::check(&plan, &check::CheckParams::default());
//! assert!(findings.iter().any(|f| f.table == "修复分区" && f.computed == "101.00"));
//! ```

pub mod check;
pub mod format;
pub mod gazetteer;
pub mod indicators;
pub mod model;
pub mod num;
pub mod qty;
pub mod rollup;
pub mod tables;
pub mod zoning;

pub use format::{from_json, from_toml, to_json, to_toml, validate, PlanError};
pub use model::*;
pub use num::Dec;
