//! Writes pack files: CSV with a header row and LF line ends, and plain text, creating folders.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes a CSV file; rows must already be in their final (sorted) order.
pub fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writer.write_record(header)?;
    for row in rows {
        assert_eq!(row.len(), header.len(), "{}: row width", path.display());
        writer.write_record(row)?;
    }
    writer.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn write_text(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Removes the generated files with this extension from a folder, so a dropped province or
/// region leaves no stale file behind. Other files are left alone.
pub fn clear_generated(dir: &Path, extension: &str) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == extension) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Yuan with exactly two decimals from fen (`13650` → `136.50`).
pub fn yuan(fen: i64) -> String {
    assert!(fen >= 0, "negative amount {fen}");
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub fn flag(value: bool) -> String {
    if value { "Y" } else { "N" }.to_string()
}

pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}
