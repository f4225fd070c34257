//! Pack-level rules: optional files, references across files, file names, and reading a
//! directory from disk.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{GOOD, PERSONS, POOLING_REGIONS, good, good_with, render};
use yidi_domain::{DivisionCode, FacilityCode};
use yidi_refdata::{PackFiles, builtin_divisions, load_pack, parse_pack};

#[test]
fn every_file_is_optional() {
    let pack = parse_pack(&PackFiles::default()).unwrap();
    assert_eq!(pack.refdata.divisions, builtin_divisions());
    assert!(pack.persons.is_empty() && pack.refdata.regions.is_empty() && pack.refdata.policies.is_empty());
    // A header alone is an empty table, not a problem.
    let header_only = PackFiles::from_pairs(&[(
        "persons.csv",
        "psn_no,certno,psn_name,gend,brdy,insuplc_admdvs,insutype,psn_group\n",
    )]);
    assert!(parse_pack(&header_only).unwrap().persons.is_empty());
}

#[test]
fn a_file_without_header_or_with_ragged_rows_is_reported() {
    let empty = parse_pack(&PackFiles::from_pairs(&[("facilities.csv", "")])).unwrap_err();
    assert_eq!(empty.len(), 1);
    assert_eq!((empty[0].line, empty[0].message.starts_with("文件为空")), (1, true), "{}", empty[0]);
    let ragged = format!("{POOLING_REGIONS}上海市,310000,Y\n");
    let found = parse_pack(&PackFiles::from_pairs(&[("pooling_regions.csv", &ragged)])).unwrap_err();
    assert_eq!(render(&found), "pooling_regions.csv:6: 本行有 3 个字段，表头有 7 列：请检查逗号和引号\n");
}

#[test]
fn references_name_the_missing_file() {
    let filings =
        "filing_id,psn_no,category,mdtrtarea_admvs,begndate\nF1,P0000000001,referral,110000,2025-01-01\n";
    let found = parse_pack(&PackFiles::from_pairs(&[("filings.csv", filings)])).unwrap_err();
    assert_eq!(
        render(&found),
        "filings.csv:2: 列 psn_no：人员编号 P0000000001 不在 persons.csv 中（数据包没有 persons.csv）\n"
    );
}

#[test]
fn a_rejected_row_is_reported_once_not_again_by_its_references() {
    // Break Wang's identity number: his filing and accumulator rows must not add problems.
    let persons = PERSONS.replace("320102197005120015", "320102197005120016");
    let found = parse_pack(&good_with(&[("persons.csv", &persons)])).unwrap_err();
    assert_eq!(
        render(&found),
        "persons.csv:2: 列 certno：身份证号“320102197005120016”校验码错误（应为 5）\n"
    );
}

#[test]
fn pools_are_checked_against_the_insured_regions_policy_file() {
    let without_policy: Vec<(&str, &str)> =
        GOOD.iter().copied().filter(|(path, _)| *path != "policies/320100.toml").collect();
    let found = parse_pack(&PackFiles::from_pairs(&without_policy)).unwrap_err();
    assert_eq!(
        render(&found),
        "accumulators.csv:4: 列 pool：参保地 320100 没有政策文件 policies/320100.toml，无法确认资金池 outpatient\n"
    );
}

#[test]
fn cities_without_counties_host_facilities_themselves() {
    // 东莞 (441900) has no county-level units: its facilities carry the city code.
    let regions = format!("{POOLING_REGIONS}东莞市,441900,Y,Y,Y,Y,Y\n");
    let facilities = "fixmedins_code,fixmedins_name,admdvs,level,kind,open_inpatient,open_outpatient,open_chronic,begndate\n\
                      H44190000001,东莞市示例医院,441900,2,hospital,Y,Y,N,2020-01-01\n";
    let pack =
        parse_pack(&good_with(&[("pooling_regions.csv", &regions), ("facilities.csv", facilities)])).unwrap();
    let facility = &pack.refdata.facilities[&FacilityCode::parse("H44190000001").unwrap()];
    assert_eq!(facility.admdvs, DivisionCode::parse("441900").unwrap());
}

#[test]
fn unknown_files_get_a_suggestion() {
    let found = parse_pack(&PackFiles::from_pairs(&[("person.csv", ""), ("catalog/sub/310000.csv", "")]))
        .unwrap_err();
    assert_eq!(found.len(), 2, "{}", render(&found));
    assert_eq!(found[0].file, "catalog/sub/310000.csv");
    assert!(found[1].message.ends_with("；是否应为 persons.csv？"), "{}", found[1]);
}

#[test]
fn from_pairs_keeps_the_last_text_of_a_path() {
    let files = PackFiles::from_pairs(&[("a.md", "1"), ("a.md", "2")]);
    assert_eq!((files.len(), files.get("a.md")), (1, Some("2")));
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("yidi-refdata-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn read_dir_reads_the_pack_and_skips_hidden_entries() {
    let scratch = Scratch::new("good");
    for (path, text) in GOOD {
        scratch.write(path, text.as_bytes());
    }
    scratch.write(".DS_Store", b"\xff\xfe");
    scratch.write(".git/config", b"[core]\n");
    let files = PackFiles::read_dir(&scratch.0).unwrap();
    assert_eq!(files, good());
    let pack = load_pack(&scratch.0).unwrap_or_else(|p| panic!("{}", render(&p)));
    assert_eq!(pack.persons.len(), 3);
}

#[test]
fn read_dir_reports_files_that_are_not_utf8() {
    let scratch = Scratch::new("latin");
    scratch.write("persons.csv", b"psn_no,psn_name\nP1,\xd5\xc5\xc8\xfd\n");
    scratch.write("README.md", b"\xd5\xc5\n");
    let found = PackFiles::read_dir(&scratch.0).unwrap_err();
    assert_eq!(found.len(), 1, "{}", render(&found));
    assert_eq!((found[0].file.as_str(), found[0].line), ("persons.csv", 2));
    assert!(found[0].message.contains("不是 UTF-8 编码"), "{}", found[0]);
    let missing = load_pack(&scratch.0.join("nowhere")).unwrap_err();
    assert!(missing[0].message.starts_with("无法读取目录"), "{}", missing[0]);
}
