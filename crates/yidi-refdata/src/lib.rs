//! Reference-data packs (`data-formats.md`) -> Yidi domain values, every problem as `file:line`.
//!
//! Key design decision: a pack is accepted whole or not at all. Each loader reads its file to
//! the end, records every problem it finds in one shared list and keeps going, so one run tells
//! an agency operator everything to fix; [`parse_pack`] only builds a [`Pack`] when that list is
//! empty. Loaders run in dependency order (divisions, chronic diseases, regions, facilities,
//! catalogs, policies, persons, entitlements, filings, accumulators) and every later file is
//! checked against the keys *declared* by earlier ones, even rows that were themselves rejected:
//! one bad person row then yields one problem, not one more per filing of that person.
//!
//! I/O lives only in [`PackFiles::read_dir`]; everything else is pure and works on strings, so
//! tests build a whole world with [`PackFiles::from_pairs`].

mod accumulators;
mod catalog;
mod chronic;
mod divisions;
mod facilities;
mod files;
mod filings;
mod limits;
mod pack;
mod persons;
mod policy;
mod problem;
mod regions;
mod table;
mod values;
mod versions;

use std::collections::BTreeMap;
use std::path::Path;

pub use files::PackFiles;
pub use limits::*;
pub use problem::Problem;
use yidi_domain::{Division, DivisionCode, Pack};

/// Checks a whole pack held in memory and builds its domain values; no I/O.
///
/// On any problem the result lists them all, sorted by file and line, and nothing is returned.
pub fn parse_pack(files: &PackFiles) -> Result<Pack, Vec<Problem>> {
    pack::parse_pack(files)
}

/// Reads a pack directory and parses it: [`PackFiles::read_dir`] then [`parse_pack`].
pub fn load_pack(dir: &Path) -> Result<Pack, Vec<Problem>> {
    parse_pack(&PackFiles::read_dir(dir)?)
}

/// The national division table shipped with Yidi (`data/divisions.csv`, see `data/SOURCES.md`),
/// parsed once.
pub fn builtin_divisions() -> BTreeMap<DivisionCode, Division> {
    divisions::builtin().clone()
}
