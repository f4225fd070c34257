//! Problems found in a pack, the collector that keeps them, and byte-offset-to-line mapping.

use std::fmt;

/// One problem of a pack: the file (relative to the pack root, `/`-separated), a 1-based line
/// (the CSV header is line 1; 0 means the whole file) and a message in Chinese for the operator.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    pub file: String,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Every problem found so far, in discovery order.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, file: &str, line: u32, message: impl Into<String>) {
        self.list.push(Problem { file: file.to_string(), line, message: message.into() });
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    /// Sorted by file then line; the sort is stable so problems of one line keep their order.
    pub fn into_sorted(mut self) -> Vec<Problem> {
        self.list.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        self.list
    }
}

/// Maps byte offsets of a text to 1-based line numbers (TOML spans are byte ranges).
pub(crate) struct LineIndex {
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }
    pub fn line_of(&self, offset: usize) -> u32 {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line_of(0), 1);
        assert_eq!(index.line_of(1), 1);
        assert_eq!(index.line_of(2), 2);
        assert_eq!(index.line_of(5), 3);
        assert_eq!(index.line_of(6), 4);
        assert_eq!(index.line_of(99), 4);
    }
}
