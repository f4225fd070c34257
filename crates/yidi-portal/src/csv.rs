//! CSV export of dashboard tables: UTF-8 with a byte-order mark (so Excel opens Chinese text
//! correctly), CRLF line ends and RFC 4180 quoting, a header row first.
//!
//! A cell that a spreadsheet would run as a formula is prefixed with `'` (`yidi_domain::csv`):
//! exported names and codes come from outside, and opening a CSV must never run anything.

use crate::dashboard::{Cell, Table};

/// The UTF-8 byte-order mark every export starts with.
pub const BOM: &str = "\u{feff}";

/// The `Content-Type` of an export.
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// One field: RFC 4180 quoting, formulas defused (`yidi_domain::csv`, shared by every export).
pub use yidi_domain::csv::field;

/// The table as CSV text: BOM, header row, one line per row, CRLF after every line.
pub fn to_csv(table: &Table) -> String {
    let mut out = String::from(BOM);
    let line =
        |cells: &mut dyn Iterator<Item = &str>| cells.map(field).collect::<Vec<_>>().join(",") + "\r\n";
    out.push_str(&line(&mut table.columns.iter().map(String::as_str)));
    for row in &table.rows {
        out.push_str(&line(&mut row.iter().map(Cell::csv_text)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_domain::Fen;

    #[test]
    fn a_table_has_bom_header_and_crlf() {
        let table = Table {
            id: "t".into(),
            caption: "c".into(),
            columns: vec!["参保地".into(), "金额（元）".into()],
            rows: vec![vec![Cell::text("南京市, 江苏"), Cell::fen(Fen::new(123_450))]],
        };
        assert_eq!(table.rows[0][1].text, "1,234.50", "grouped on the page");
        assert_eq!(
            to_csv(&table),
            "\u{feff}参保地,金额（元）\r\n\"南京市, 江苏\",1234.50\r\n",
            "plain in the file"
        );
    }
}
