//! `persons.csv`: insured persons, each checked against the identity number they carry.

use std::collections::BTreeMap;

use yidi_domain::{AssistClass, CertNo, CodeError, Fen, Gender, InsuType, Person, PsnGroup};

use crate::problem::Problems;
use crate::regions::RegionsOut;
use crate::table::{Row, Schema, read_table};
use crate::values;

const SCHEMA: Schema = Schema {
    required: &["psn_no", "certno", "psn_name", "gend", "brdy", "insuplc_admdvs", "insutype", "psn_group"],
    optional: &["assist_class", "acct_balance"],
};

pub(crate) struct PersonsOut {
    pub persons: BTreeMap<String, Person>,
    /// Every `psn_no` in the file (even on a rejected row) and its first line, so references to
    /// a person whose row has a problem are not reported again.
    pub declared: BTreeMap<String, u32>,
    /// Whether the pack has a `persons.csv` at all (for clearer messages about references).
    pub present: bool,
}

impl PersonsOut {
    /// The problem with a `psn_no` reference, if it names no person.
    pub fn unknown(&self, psn_no: &str) -> Option<String> {
        if self.declared.contains_key(psn_no) {
            return None;
        }
        let why = if self.present { "" } else { "（数据包没有 persons.csv）" };
        Some(format!("列 psn_no：人员编号 {psn_no} 不在 persons.csv 中{why}"))
    }
}

pub(crate) fn load(file: &str, text: Option<&str>, regions: &RegionsOut, p: &mut Problems) -> PersonsOut {
    let mut out = PersonsOut { persons: BTreeMap::new(), declared: BTreeMap::new(), present: text.is_some() };
    let Some(table) = text.and_then(|text| read_table(file, text, &SCHEMA, p)) else {
        return out;
    };
    let mut certno_line: BTreeMap<String, u32> = BTreeMap::new();
    for row in table.rows() {
        if let Some(psn_no) = row.cell("psn_no") {
            if let Some(first) = out.declared.get(psn_no) {
                row.problem(p, format!("人员编号 {psn_no} 重复（第 {first} 行已有）"));
                continue;
            }
            out.declared.insert(psn_no.to_string(), row.line);
        }
        let Some(person) = person_row(&row, regions, p) else {
            continue;
        };
        if let Some(first) = certno_line.insert(person.certno.as_str().to_string(), row.line) {
            row.problem(
                p,
                format!("列 certno：身份证号 {} 重复（第 {first} 行已有）", person.certno.masked()),
            );
            continue;
        }
        out.persons.insert(person.psn_no.clone(), person);
    }
    out
}

fn person_row(row: &Row, regions: &RegionsOut, p: &mut Problems) -> Option<Person> {
    let psn_no = row.text(p, "psn_no");
    let certno = row.req(p, "certno", certno);
    let name = row.text(p, "psn_name");
    let gend = row.req(p, "gend", |s| Gender::parse(s).map_err(|e| e.to_string()));
    let brdy = row.req(p, "brdy", values::date);
    let insuplc = row.req(p, "insuplc_admdvs", values::division);
    let insutype = row.req(p, "insutype", |s| InsuType::parse(s).map_err(|e| e.to_string()));
    let psn_group = row.req(p, "psn_group", |s| PsnGroup::parse(s).map_err(|e| e.to_string()));
    let assist_class = row.opt(p, "assist_class", |s| AssistClass::parse(s).map_err(|e| e.to_string()));
    let acct_balance = row.opt(p, "acct_balance", values::fen).unwrap_or(Fen::ZERO);
    if let Some(code) = insuplc.filter(|code| !regions.declared.contains(code)) {
        row.problem(p, format!("列 insuplc_admdvs：参保地 {code} 不是 pooling_regions.csv 中的统筹区"));
    }
    if let Some(certno) = &certno {
        check_against_certno(row, p, certno, brdy, gend);
    }
    if let (Some(insutype), Some(group)) = (insutype, psn_group)
        && !insutype.admits(group)
    {
        let msg = format!("列 psn_group：人员类别 {group} 不属于险种 {insutype}（{}）", insutype.name_zh());
        row.problem(p, msg);
    }
    if insutype == Some(InsuType::Resident) && acct_balance != Fen::ZERO {
        let msg = format!(
            "列 acct_balance：居民医保（390）没有个人账户，余额应为空或 0，实际为 {}",
            acct_balance.get()
        );
        row.problem(p, msg);
    }
    if row.failed() {
        return None;
    }
    Some(Person {
        psn_no: psn_no?,
        certno: certno?,
        name: name?,
        gend: gend?,
        brdy: brdy?,
        insuplc: insuplc?,
        insutype: insutype?,
        psn_group: psn_group?,
        assist_class,
        acct_balance,
        source: row.source(),
    })
}

fn certno(text: &str) -> Result<CertNo, String> {
    // `CertNo::parse` splits the text at byte 17, which must not fall inside a multi-byte
    // character: an identity number is ASCII, so anything else is rejected first.
    if !text.is_ascii() {
        return Err(CodeError::CertNoShape(text.to_string()).to_string());
    }
    CertNo::parse(text).map_err(|e| e.to_string())
}

/// The birth date and gender columns must agree with the identity number.
fn check_against_certno(
    row: &Row,
    p: &mut Problems,
    certno: &CertNo,
    brdy: Option<yidi_domain::Date>,
    gend: Option<Gender>,
) {
    if let Some(brdy) = brdy.filter(|brdy| *brdy != certno.birth_date()) {
        let msg = format!("列 brdy：出生日期 {brdy} 与身份证号中的出生日期 {} 不一致", certno.birth_date());
        row.problem(p, msg);
    }
    let stated = matches!(gend, Some(Gender::Male | Gender::Female));
    if let Some(gend) = gend.filter(|g| stated && *g != certno.gender()) {
        let expected = certno.gender();
        let msg = format!(
            "列 gend：性别 {gend} 与身份证号第 17 位（奇数为男 1，偶数为女 2）推出的 {expected} 不一致"
        );
        row.problem(p, msg);
    }
}
