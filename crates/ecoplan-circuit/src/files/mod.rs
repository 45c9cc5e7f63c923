//! Circuitscape / Omniscape files: `.ini` configurations, their input rasters and text lists,
//! and outputs in the peers' names and formats. Used by the `ecoplan` CLI and the conformance
//! tests; the computation modules never touch paths.
//!
//! Relative paths in an `.ini` are looked up, in order, against the `base_dir` given by the
//! caller, the `.ini`'s folder and its ancestors (Circuitscape's own test suite writes paths
//! relative to its `test/` folder), and the working directory (where Circuitscape itself looks).
//! Outputs go under `base_dir`, else the `.ini`'s folder, unless an explicit output is given.

pub mod cs;
pub mod ini;
pub mod os;
pub mod rasters;

use crate::CircuitError;
use std::path::{Path, PathBuf};

/// Errors of configuration files and their inputs/outputs.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// Every problem found in a configuration, at once.
    #[error("配置有误 {} problem(s) in {path}:\n  - {}", .problems.len(), .problems.join("\n  - "))]
    Config {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error(transparent)]
    Io(#[from] ecoplan_io::IoError),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
}

/// How to resolve the paths of a configuration and where to write.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Folder relative paths are resolved against first (and outputs written under).
    pub base_dir: Option<PathBuf>,
    /// Circuitscape: replaces `output_file`; Omniscape: the output folder itself.
    pub output: Option<PathBuf>,
    /// Overrides the configured solver.
    pub solver: Option<crate::SolverKind>,
    /// Prints warnings to stderr as they come (the CLI sets this; tests collect them).
    pub print_warnings: bool,
}

/// Resolves a relative input path; `None` if it exists nowhere.
pub(crate) fn resolve_input(ini: &Path, base: Option<&Path>, p: &str) -> Option<PathBuf> {
    let p = Path::new(p);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(b) = base {
        candidates.push(b.join(p));
    }
    let ini_dir = ini.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut d: Option<&Path> = Some(&ini_dir);
    while let Some(dir) = d {
        candidates.push(dir.join(p));
        d = dir.parent();
    }
    candidates.push(p.to_path_buf());
    candidates.into_iter().find(|c| c.exists())
}

/// Where a relative output path goes.
pub(crate) fn resolve_output(ini: &Path, base: Option<&Path>, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    match base {
        Some(b) => b.join(p),
        None => ini
            .parent()
            .map(|d| d.join(p))
            .unwrap_or_else(|| p.to_path_buf()),
    }
}
