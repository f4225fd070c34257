//! CSV tables of a pack: header checks, and typed cell access that records every problem.
//!
//! Column order is free and an unknown column is an error (it catches typos). A column the
//! schema marks optional may be left out of the header entirely; a required column that is
//! missing is reported once, at the header, and rows then fail quietly on it instead of
//! repeating the same complaint on every line.

use std::cell::Cell;
use std::collections::BTreeMap;

use csv::{ReaderBuilder, StringRecord, Trim};
use yidi_domain::{Date, SourceRef};

use crate::problem::{LineIndex, Problems};

/// The columns of one pack file.
pub(crate) struct Schema {
    /// Columns the header must have; their cells must not be empty.
    pub required: &'static [&'static str],
    /// Columns the header may omit; an empty cell means "none".
    pub optional: &'static [&'static str],
}

impl Schema {
    fn column(&self, name: &str) -> Option<&'static str> {
        self.required.iter().chain(self.optional).find(|c| **c == name).copied()
    }
    fn all(&self) -> String {
        let all: Vec<&str> = self.required.iter().chain(self.optional).copied().collect();
        all.join(",")
    }
}

/// A CSV file whose header has been checked.
pub(crate) struct Table {
    file: String,
    index: BTreeMap<&'static str, usize>,
    records: Vec<(u32, StringRecord)>,
}

/// Reads a CSV file and checks its header; `None` when there is not even a usable header.
pub(crate) fn read_table(file: &str, text: &str, schema: &Schema, p: &mut Problems) -> Option<Table> {
    // Excel writes a byte-order mark in front of "CSV UTF-8" files; it is not part of the header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader =
        ReaderBuilder::new().has_headers(false).flexible(true).trim(Trim::All).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => {
            p.push(file, csv_error_line(&e), format!("CSV 格式错误：{e}"));
            return None;
        }
        None => {
            let msg = format!("文件为空：CSV 文件第 1 行必须是表头（可用的列：{}）", schema.all());
            p.push(file, 1, msg);
            return None;
        }
    };
    let index = check_header(file, &header, schema, p);
    let lines = LineIndex::new(text);
    let mut table = Table { file: file.to_string(), index, records: Vec::new() };
    for record in records {
        match record {
            // A line of only spaces reads as one empty field; it is as blank as an empty line.
            Ok(record) if record.len() == 1 && record.get(0) == Some("") => continue,
            Ok(record) => {
                let line = record_line(&record, text, &lines);
                if record.len() != header.len() {
                    let msg = format!(
                        "本行有 {} 个字段，表头有 {} 列：请检查逗号和引号",
                        record.len(),
                        header.len()
                    );
                    p.push(file, line, msg);
                    continue;
                }
                table.records.push((line, record));
            }
            Err(e) => {
                p.push(file, csv_error_line(&e), format!("CSV 格式错误：{e}"));
                break;
            }
        }
    }
    Some(table)
}

fn check_header(
    file: &str,
    header: &StringRecord,
    schema: &Schema,
    p: &mut Problems,
) -> BTreeMap<&'static str, usize> {
    let mut index = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        match schema.column(name) {
            Some(column) if index.contains_key(column) => {
                p.push(file, 1, format!("表头中列 {column} 重复出现"));
            }
            Some(column) => {
                index.insert(column, i);
            }
            None if name.is_empty() => {
                p.push(file, 1, format!("表头第 {} 列没有列名", i + 1));
            }
            None => {
                let msg = format!("未知的列“{name}”（可用的列：{}）", schema.all());
                p.push(file, 1, msg);
            }
        }
    }
    for column in schema.required {
        if !index.contains_key(column) {
            p.push(file, 1, format!("缺少必需的列 {column}"));
        }
    }
    index
}

/// The line a record starts on. The reader's own position counts blank lines skipped before a
/// record as part of it, so the line is found from the byte offset past those line ends.
fn record_line(record: &StringRecord, text: &str, lines: &LineIndex) -> u32 {
    let Some(start) = record.position().and_then(|pos| usize::try_from(pos.byte()).ok()) else {
        return 0;
    };
    let blank = text
        .as_bytes()
        .get(start..)
        .map_or(0, |rest| rest.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count());
    lines.line_of(start + blank)
}

fn csv_error_line(error: &csv::Error) -> u32 {
    let line = error.position().map_or(0, |pos| pos.line());
    u32::try_from(line).unwrap_or(u32::MAX)
}

impl Table {
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(|(line, record)| Row {
            file: &self.file,
            index: &self.index,
            record,
            line: *line,
            failed: Cell::new(false),
        })
    }
}

/// One data row. Every accessor that finds a problem records it and marks the row failed, so a
/// loader can read all cells, report all their problems, and then drop the row.
pub(crate) struct Row<'t> {
    file: &'t str,
    index: &'t BTreeMap<&'static str, usize>,
    record: &'t StringRecord,
    pub line: u32,
    failed: Cell<bool>,
}

impl<'t> Row<'t> {
    /// The trimmed cell; `None` when the column is absent or the cell empty.
    pub fn cell(&self, column: &str) -> Option<&'t str> {
        let i = *self.index.get(column)?;
        self.record.get(i).filter(|s| !s.is_empty())
    }
    pub fn problem(&self, p: &mut Problems, message: impl Into<String>) {
        self.failed.set(true);
        p.push(self.file, self.line, message);
    }
    pub fn failed(&self) -> bool {
        self.failed.get()
    }
    pub fn source(&self) -> SourceRef {
        SourceRef::new(self.file, self.line)
    }
    /// A required cell, parsed.
    pub fn req<T>(
        &self,
        p: &mut Problems,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if !self.index.contains_key(column) {
            // Reported once at the header.
            self.failed.set(true);
            return None;
        }
        let Some(text) = self.cell(column) else {
            self.problem(p, format!("列 {column} 不能为空"));
            return None;
        };
        self.parsed(p, column, text, parse)
    }
    /// A required non-empty text cell.
    pub fn text(&self, p: &mut Problems, column: &str) -> Option<String> {
        self.req(p, column, |s| Ok(s.to_string()))
    }
    /// An optional cell, parsed; `None` when empty, absent or bad (bad is recorded).
    pub fn opt<T>(
        &self,
        p: &mut Problems,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.cell(column)?;
        self.parsed(p, column, text, parse)
    }
    /// `begndate ≤ enddate`.
    pub fn check_period(&self, p: &mut Problems, begndate: Date, enddate: Option<Date>) {
        if let Some(end) = enddate.filter(|end| *end < begndate) {
            self.problem(p, format!("列 enddate：结束日期 {end} 早于开始日期 begndate {begndate}"));
        }
    }
    fn parsed<T>(
        &self,
        p: &mut Problems,
        column: &str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(text) {
            Ok(value) => Some(value),
            Err(why) => {
                self.problem(p, format!("列 {column}：{why}"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema { required: &["a", "b"], optional: &["c"] };

    #[test]
    fn header_problems_are_reported_once() {
        let mut p = Problems::default();
        let table = read_table("t.csv", "\u{feff}a,x,a\n1,2,3\n", &SCHEMA, &mut p).unwrap();
        let problems: Vec<String> = p.into_sorted().iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "t.csv:1: 未知的列“x”（可用的列：a,b,c）",
                "t.csv:1: 表头中列 a 重复出现",
                "t.csv:1: 缺少必需的列 b",
            ]
        );
        let mut p = Problems::default();
        let row = table.rows().next().unwrap();
        assert_eq!(row.line, 2);
        assert_eq!(row.req(&mut p, "b", |s| Ok(s.to_string())), None);
        assert!(row.failed() && p.is_empty());
    }

    #[test]
    fn rows_keep_their_physical_line() {
        let mut p = Problems::default();
        let text = "a,b\n\"x\ny\",1\n\n2,3,4\n  \n\n5,\n";
        let table = read_table("t.csv", text, &SCHEMA, &mut p).unwrap();
        let lines: Vec<u32> = table.rows().map(|r| r.line).collect();
        assert_eq!(lines, [2, 8]);
        assert_eq!(p.into_sorted()[0].to_string(), "t.csv:5: 本行有 3 个字段，表头有 2 列：请检查逗号和引号");
        let mut p = Problems::default();
        let row = table.rows().nth(1).unwrap();
        assert_eq!(row.req(&mut p, "b", |s| Ok(s.to_string())), None);
        assert_eq!(p.into_sorted()[0].to_string(), "t.csv:8: 列 b 不能为空");
    }
}
