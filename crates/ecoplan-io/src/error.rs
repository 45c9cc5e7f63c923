use std::path::PathBuf;

/// Errors reading or writing geodata. Every variant names the file and says what is wrong in it.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file's content is not what its format requires; `detail` says where and what.
    #[error("{path}: {detail}")]
    Format { path: PathBuf, detail: String },
    /// A feature of the format that ecoplan does not read; `detail` says which and what to do.
    #[error("{path}: unsupported: {detail}")]
    Unsupported { path: PathBuf, detail: String },
    #[error("{0}")]
    Grid(#[from] ecoplan_grid::GridError),
    #[error("CRS error: {0}")]
    Crs(String),
}

impl IoError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::Io {
            path: path.into(),
            source,
        }
    }
    pub fn format(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        IoError::Format {
            path: path.into(),
            detail: detail.into(),
        }
    }
    pub fn unsupported(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        IoError::Unsupported {
            path: path.into(),
            detail: detail.into(),
        }
    }
}
