/// How long work reports progress and learns it should stop.
///
/// The CLI implements this with a progress bar, the server with a job record. Library code calls
/// [`Progress::begin`] with a label and a total, then [`Progress::advance`] as it goes.
pub trait Progress: Sync {
    fn begin(&self, _label: &str, _total: u64) {}
    fn advance(&self, _done: u64) {}
    fn finish(&self) {}
    /// True when the caller asked to stop; long loops check it between chunks.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Progress that reports nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}
