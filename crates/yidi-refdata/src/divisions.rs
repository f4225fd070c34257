//! `divisions.csv`: the national division table shipped with Yidi, plus a pack's own rows.
//!
//! A pack's rows add to the built-in table or replace rows with the same code, so a pack can
//! carry a division created after Yidi's table was cut.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use yidi_domain::{Division, DivisionCode, DivisionLevel};

use crate::problem::Problems;
use crate::table::{Row, Schema, read_table};
use crate::values;

const SCHEMA: Schema = Schema { required: &["code", "name", "level"], optional: &["parent_code"] };

const BUILTIN_FILE: &str = "divisions.csv (built-in)";
const BUILTIN_TEXT: &str = include_str!("../data/divisions.csv");

pub(crate) type Divisions = BTreeMap<DivisionCode, Division>;

/// The built-in table, parsed on first use. It ships inside the binary and a test checks it
/// loads without problems, so a problem here is a build defect, not bad input.
pub(crate) fn builtin() -> &'static Divisions {
    static BUILTIN: OnceLock<Divisions> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let mut p = Problems::default();
        let divisions = merge(&Divisions::new(), BUILTIN_FILE, BUILTIN_TEXT, &mut p);
        let problems = p.into_sorted();
        assert!(problems.is_empty(), "built-in divisions.csv is broken: {problems:?}");
        divisions
    })
}

/// The built-in table with the pack's `divisions.csv` (if any) merged in.
pub(crate) fn load(file: &str, text: Option<&str>, p: &mut Problems) -> Divisions {
    match text {
        Some(text) => merge(builtin(), file, text, p),
        None => builtin().clone(),
    }
}

fn merge(base: &Divisions, file: &str, text: &str, p: &mut Problems) -> Divisions {
    let mut merged = base.clone();
    let Some(table) = read_table(file, text, &SCHEMA, p) else {
        return merged;
    };
    let mut first_line: BTreeMap<DivisionCode, u32> = BTreeMap::new();
    let mut rows = Vec::new();
    for row in table.rows() {
        let Some(division) = division_row(&row, p) else {
            continue;
        };
        if let Some(first) = first_line.insert(division.code, row.line) {
            row.problem(p, format!("区划代码 {} 重复（第 {first} 行已有）", division.code));
            continue;
        }
        merged.insert(division.code, division.clone());
        rows.push((row, division));
    }
    // Parents are checked against the merged table: a row may name a parent given later.
    for (row, division) in &rows {
        check_parent(row, division, &merged, p);
    }
    merged
}

fn division_row(row: &Row, p: &mut Problems) -> Option<Division> {
    let code = row.req(p, "code", values::division);
    let name = row.text(p, "name");
    let level = row.req(p, "level", |s| {
        DivisionLevel::parse(s).ok_or_else(|| {
            format!("“{s}”不是合法的区划级别：应为 province（省级）、city（地级）或 county（县级）")
        })
    });
    let parent = row.opt(p, "parent_code", values::division);
    let (Some(code), Some(name), Some(level)) = (code, name, level) else {
        return None;
    };
    let shape = if code.is_province() {
        DivisionLevel::Province
    } else if code.is_city() {
        DivisionLevel::City
    } else {
        DivisionLevel::County
    };
    if code.is_country() || shape != level {
        let msg = format!(
            "区划代码 {code} 与级别 {} 不符：省级代码形如 xx0000，地级形如 xxxx00，县级末两位不为 00",
            level_name(level)
        );
        row.problem(p, msg);
    }
    if row.failed() {
        return None;
    }
    Some(Division { code, name, level, parent })
}

fn check_parent(row: &Row, division: &Division, merged: &Divisions, p: &mut Problems) {
    let code = division.code;
    match (division.level, division.parent) {
        (DivisionLevel::Province, None) => {}
        (DivisionLevel::Province, Some(parent)) => {
            row.problem(p, format!("列 parent_code：省级区划 {code} 不应有上级区划（填写了 {parent}）"));
        }
        (_, None) => {
            row.problem(
                p,
                format!("列 parent_code：{}区划 {code} 必须填写上级区划代码", level_name(division.level)),
            );
        }
        (level, Some(parent)) => match merged.get(&parent) {
            None => row.problem(p, format!("列 parent_code：上级区划代码 {parent} 不是已知区划")),
            Some(up) if up.level >= level || !parent.covers(code) => {
                let msg = format!(
                    "列 parent_code：{parent}（{}，{}）不能作为 {code}（{}）的上级区划",
                    up.name,
                    level_name(up.level),
                    level_name(level)
                );
                row.problem(p, msg);
            }
            Some(_) => {}
        },
    }
}

pub(crate) fn level_name(level: DivisionLevel) -> &'static str {
    match level {
        DivisionLevel::Province => "省级",
        DivisionLevel::City => "地级",
        DivisionLevel::County => "县级",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_loads_cleanly() {
        let table = builtin();
        assert_eq!(table.len(), 3_214);
        let xuhui = table[&DivisionCode::parse("310104").unwrap()].clone();
        assert_eq!(xuhui.name, "徐汇区");
        assert_eq!(xuhui.level, DivisionLevel::County);
        assert_eq!(xuhui.parent, Some(DivisionCode::parse("310000").unwrap()));
    }
}
