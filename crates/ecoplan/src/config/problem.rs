//! Problems found in a plan: each names the file, the line and column, and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The plan cannot run as written.
    Error,
    /// The plan runs, but probably not as meant.
    Warning,
}

/// A position in a text file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    /// Where in `file` (None when the problem is about the file as a whole).
    pub pos: Option<Pos>,
    pub message: String,
}

impl Problem {
    pub fn error(file: &Path, pos: Option<Pos>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            file: file.to_path_buf(),
            pos,
            message: message.into(),
        }
    }
    pub fn warning(file: &Path, pos: Option<Pos>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, pos, message)
        }
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "错误 error",
            Severity::Warning => "警告 warning",
        };
        match self.pos {
            Some(p) => write!(
                f,
                "{}:{}:{}: {level}: {}",
                self.file.display(),
                p.line,
                p.col,
                self.message
            ),
            None => write!(f, "{}: {level}: {}", self.file.display(), self.message),
        }
    }
}

/// Maps byte offsets of a text to 1-based line and column (columns count characters).
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos {
            line: line + 1,
            col,
        }
    }
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys and names.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `; did you mean `x`?` when one of `candidates` is close to `word`, else empty.
pub fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    let best = candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= 2.max(word.chars().count() / 3) => {
            format!("; did you mean `{c}`? 是否应为 `{c}`？")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn positions_are_one_based_and_count_characters() {
        let idx = LineIndex::new("a = 1\n名称 = \"x\"\n");
        assert_eq!(idx.pos(0), Pos { line: 1, col: 1 });
        let off = "a = 1\n名称 ".len();
        assert_eq!(idx.pos(off), Pos { line: 2, col: 4 });
    }
    #[test]
    fn suggestions_only_for_near_misses() {
        assert!(did_you_mean("cellsize", ["cell_size", "crs"]).contains("cell_size"));
        assert_eq!(did_you_mean("zzzzzz", ["cell_size", "crs"]), "");
    }
}
