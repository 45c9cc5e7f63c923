//! Errors of the assessment crate.

/// What went wrong in an assessment step. Messages name the parameter, table, column or cell.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum AssessError {
    /// Every problem found while validating parameters and tables, one per line.
    #[error("参数或输入无效 invalid parameters or inputs:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
    /// Input grids differ in size, cell size, origin or CRS.
    #[error("输入栅格未对齐 input grids are not aligned: {0}")]
    NotAligned(String),
    /// A value found during the run that the model cannot use.
    #[error("{0}")]
    Data(String),
    /// The caller asked to stop.
    #[error("已取消 cancelled")]
    Cancelled,
}

impl AssessError {
    /// `Ok(())` when `problems` is empty, else [`AssessError::Invalid`] with all of them.
    pub fn check(problems: Vec<String>) -> Result<(), AssessError> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AssessError::Invalid(problems))
        }
    }
}
