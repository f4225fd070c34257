//! The files of a pack, held in memory, and which names a pack may use.
//!
//! This is the only module that touches the file system: [`PackFiles::read_dir`] reads a
//! directory into memory and everything after it works on strings.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::limits::{PACK_DIR_DEPTH_MAX, PACK_FILE_BYTES_MAX, PACK_FILES_MAX};
use crate::problem::{Problem, Problems};

pub(crate) const DIVISIONS: &str = "divisions.csv";
pub(crate) const POOLING_REGIONS: &str = "pooling_regions.csv";
pub(crate) const FACILITIES: &str = "facilities.csv";
pub(crate) const CHRONIC_DISEASES: &str = "chronic_diseases.csv";
pub(crate) const ENTITLEMENTS: &str = "entitlements.csv";
pub(crate) const PERSONS: &str = "persons.csv";
pub(crate) const FILINGS: &str = "filings.csv";
pub(crate) const ACCUMULATORS: &str = "accumulators.csv";
pub(crate) const CATALOG_DIR: &str = "catalog/";
pub(crate) const POLICIES_DIR: &str = "policies/";

const ROOT_FILES: [&str; 8] =
    [DIVISIONS, POOLING_REGIONS, FACILITIES, CHRONIC_DISEASES, ENTITLEMENTS, PERSONS, FILINGS, ACCUMULATORS];

/// A pack's files: path relative to the pack root (`/`-separated) -> text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackFiles {
    files: BTreeMap<String, String>,
}

impl PackFiles {
    /// Builds a pack from `(path, text)` pairs, as tests and tools do; a later pair with the same
    /// path replaces an earlier one.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> PackFiles {
        let files = pairs.iter().map(|(path, text)| ((*path).to_string(), (*text).to_string())).collect();
        PackFiles { files }
    }

    /// Reads every file under `dir`. Hidden entries (names starting with `.`, such as `.git` or
    /// `.DS_Store`) belong to the file system or version control, not to the pack, and are
    /// skipped. A file that is not UTF-8 (other than documentation) is a problem.
    pub fn read_dir(dir: &Path) -> Result<PackFiles, Vec<Problem>> {
        let mut problems = Problems::default();
        let mut files = BTreeMap::new();
        let mut stack: Vec<(PathBuf, String, usize)> = vec![(dir.to_path_buf(), String::new(), 0)];
        while let Some((abs, rel, depth)) = stack.pop() {
            let entries = match fs::read_dir(&abs) {
                Ok(entries) => entries,
                Err(e) => {
                    let shown = if rel.is_empty() { dir.display().to_string() } else { rel };
                    problems.push(&shown, 0, format!("无法读取目录：{e}"));
                    continue;
                }
            };
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        problems.push(&rel, 0, format!("无法读取目录项：{e}"));
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let rel_path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
                let path = entry.path();
                if path.is_dir() {
                    if depth + 1 >= PACK_DIR_DEPTH_MAX {
                        problems.push(
                            &rel_path,
                            0,
                            "目录层级过深：数据包只使用 catalog/ 和 policies/ 两个子目录",
                        );
                    } else {
                        stack.push((path, rel_path, depth + 1));
                    }
                    continue;
                }
                if files.len() >= PACK_FILES_MAX {
                    problems.push(&rel_path, 0, format!("数据包文件过多（上限 {PACK_FILES_MAX} 个）"));
                    break;
                }
                if let Some(text) = read_text(&path, &rel_path, &mut problems) {
                    files.insert(rel_path, text);
                }
            }
        }
        if problems.is_empty() { Ok(PackFiles { files }) } else { Err(problems.into_sorted()) }
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
    /// Every `(path, text)`, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(p, t)| (p.as_str(), t.as_str()))
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn read_text(path: &Path, rel_path: &str, problems: &mut Problems) -> Option<String> {
    match fs::metadata(path) {
        Ok(meta) if meta.len() > PACK_FILE_BYTES_MAX => {
            let msg = format!("文件过大（{} 字节，上限 {PACK_FILE_BYTES_MAX} 字节）", meta.len());
            problems.push(rel_path, 0, msg);
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            problems.push(rel_path, 0, format!("无法读取文件：{e}"));
            return None;
        }
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(rel_path, 0, format!("无法读取文件：{e}"));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        // Documentation is never parsed, so its encoding does not matter.
        Err(e) if classify(rel_path) == FileKind::Doc => {
            Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        Err(e) => {
            let valid_up_to = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..valid_up_to].iter().filter(|b| **b == b'\n').count() + 1;
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            let msg = "文件不是 UTF-8 编码（本行起有非法字节）：请以 UTF-8 另存（Excel 选“CSV UTF-8”）";
            problems.push(rel_path, line, msg);
            None
        }
    }
}

/// What a path in a pack is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// One of the fixed files at the pack root.
    Root,
    /// `catalog/PROVINCE.csv`.
    Catalog,
    /// `policies/ADMDVS.toml`.
    Policy,
    /// Documentation: `*.md` or `README*`, anywhere; never parsed.
    Doc,
    Unknown,
}

pub(crate) fn classify(path: &str) -> FileKind {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.starts_with("readme") {
        return FileKind::Doc;
    }
    if ROOT_FILES.contains(&path) {
        return FileKind::Root;
    }
    let one_level = |dir: &str, ext: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| !rest.contains('/') && rest.len() > ext.len() && rest.ends_with(ext))
    };
    if one_level(CATALOG_DIR, ".csv") {
        return FileKind::Catalog;
    }
    if one_level(POLICIES_DIR, ".toml") {
        return FileKind::Policy;
    }
    FileKind::Unknown
}

/// The stem of `dir/STEM.ext`, for catalog and policy files.
pub(crate) fn stem(path: &str) -> &str {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    file_name.split_once('.').map_or(file_name, |(stem, _)| stem)
}

/// Reports every file a pack may not contain, suggesting the name meant when one is close.
pub(crate) fn check_names(files: &PackFiles, p: &mut Problems) {
    for (path, _) in files.iter() {
        if classify(path) != FileKind::Unknown {
            continue;
        }
        let hint = suggestion(path).map(|s| format!("；是否应为 {s}？")).unwrap_or_default();
        let msg = format!(
            "未知文件：数据包只能包含 {}、catalog/省级区划代码.csv、policies/统筹区代码.toml 和说明文档（*.md）{hint}",
            ROOT_FILES.join("、")
        );
        p.push(path, 0, msg);
    }
}

/// A known name within two edits of `path` (or of its folder), for typos like `polices/`.
fn suggestion(path: &str) -> Option<String> {
    if let Some((dir, rest)) = path.split_once('/') {
        for known in [CATALOG_DIR, POLICIES_DIR] {
            let known_dir = known.trim_end_matches('/');
            if dir != known_dir && edit_distance(dir, known_dir) <= 2 {
                return Some(format!("{known}{rest}"));
            }
        }
        return None;
    }
    ROOT_FILES.iter().find(|known| edit_distance(path, known) <= 2).map(|known| (*known).to_string())
}

/// Levenshtein distance over chars; long names are never "close", so they are not measured.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_pack_paths() {
        assert_eq!(classify("persons.csv"), FileKind::Root);
        assert_eq!(classify("catalog/310000.csv"), FileKind::Catalog);
        assert_eq!(classify("catalog/x/310000.csv"), FileKind::Unknown);
        assert_eq!(classify("catalog/.csv"), FileKind::Unknown);
        assert_eq!(classify("policies/150100.toml"), FileKind::Policy);
        assert_eq!(classify("polices/150100.toml"), FileKind::Unknown);
        assert_eq!(classify("README"), FileKind::Doc);
        assert_eq!(classify("catalog/notes.md"), FileKind::Doc);
        assert_eq!(classify("person.csv"), FileKind::Unknown);
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggestion("polices/150100.toml").as_deref(), Some("policies/150100.toml"));
        assert_eq!(suggestion("person.csv").as_deref(), Some("persons.csv"));
        assert_eq!(suggestion("notes.txt"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
