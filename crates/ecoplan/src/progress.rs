//! Progress bars for long library work: the CLI's implementation of `ecoplan_grid::Progress`.

use ecoplan_grid::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;

/// Draws a bar on stderr (hidden when stderr is not a terminal, so logs stay clean).
pub struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    pub fn new() -> Self {
        Bar {
            bar: Mutex::new(None),
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bar {
    fn begin(&self, label: &str, total: u64) {
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {percent}% ({eta})")
                .expect("static template")
                .progress_chars("=> "),
        );
        pb.set_message(label.to_string());
        if let Some(old) = self.bar.lock().expect("progress lock").replace(pb) {
            old.finish_and_clear();
        }
    }
    fn advance(&self, done: u64) {
        if let Some(pb) = self.bar.lock().expect("progress lock").as_ref() {
            pb.set_position(done);
        }
    }
    fn finish(&self) {
        if let Some(pb) = self.bar.lock().expect("progress lock").take() {
            pb.finish_and_clear();
        }
    }
}
