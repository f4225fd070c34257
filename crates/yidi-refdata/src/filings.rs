//! `filings.csv` (cross-region filings, 备案) and `entitlements.csv` (chronic-disease
//! entitlements, 资格认定): the per-person records that name a person and a place or disease.

use std::collections::BTreeMap;

use yidi_domain::{DivisionCode, DivisionLevel, Entitlement, Filing, FilingCategory};

use crate::chronic::ChronicOut;
use crate::divisions::Divisions;
use crate::persons::PersonsOut;
use crate::problem::Problems;
use crate::table::{Row, Schema, read_table};
use crate::values;

const FILINGS: Schema = Schema {
    required: &["filing_id", "psn_no", "category", "mdtrtarea_admvs", "begndate"],
    optional: &["enddate", "filed_at", "cancelled_at"],
};

const ENTITLEMENTS: Schema =
    Schema { required: &["psn_no", "disease_code", "begndate"], optional: &["enddate"] };

pub(crate) fn load_filings(
    file: &str,
    text: Option<&str>,
    persons: &PersonsOut,
    divisions: &Divisions,
    p: &mut Problems,
) -> Vec<Filing> {
    let mut filings = Vec::new();
    let Some(table) = text.and_then(|text| read_table(file, text, &FILINGS, p)) else {
        return filings;
    };
    let mut first_line: BTreeMap<String, u32> = BTreeMap::new();
    for row in table.rows() {
        if let Some(id) = row.cell("filing_id") {
            if let Some(first) = first_line.get(id) {
                row.problem(p, format!("备案编号 {id} 重复（第 {first} 行已有）"));
                continue;
            }
            first_line.insert(id.to_string(), row.line);
        }
        filings.extend(filing_row(&row, persons, divisions, p));
    }
    filings
}

fn filing_row(row: &Row, persons: &PersonsOut, divisions: &Divisions, p: &mut Problems) -> Option<Filing> {
    let filing_id = row.text(p, "filing_id");
    let psn_no = row.text(p, "psn_no");
    let category = row.req(p, "category", |s| FilingCategory::parse(s).map_err(|e| e.to_string()));
    let area = row.req(p, "mdtrtarea_admvs", values::division);
    let begndate = row.req(p, "begndate", values::date);
    let enddate = row.opt(p, "enddate", values::date);
    let filed_at = row.opt(p, "filed_at", values::datetime);
    let cancelled_at = row.opt(p, "cancelled_at", values::datetime);
    if let Some(why) = psn_no.as_deref().and_then(|psn_no| persons.unknown(psn_no)) {
        row.problem(p, why);
    }
    if let (Some(area), Some(category)) = (area, category) {
        check_area(row, p, area, category, divisions);
    }
    if let Some(begndate) = begndate {
        row.check_period(p, begndate, enddate);
    }
    if let (Some(filed), Some(cancelled)) = (filed_at, cancelled_at)
        && cancelled < filed
    {
        row.problem(p, format!("列 cancelled_at：撤销时间 {cancelled} 早于备案时间 filed_at {filed}"));
    }
    if row.failed() {
        return None;
    }
    Some(Filing {
        filing_id: filing_id?,
        psn_no: psn_no?,
        category: category?,
        area: area?,
        begndate: begndate?,
        enddate,
        filed_at,
        cancelled_at,
        source: row.source(),
    })
}

/// A filing names a known province or city, or the whole country for temporary categories.
fn check_area(
    row: &Row,
    p: &mut Problems,
    area: DivisionCode,
    category: FilingCategory,
    divisions: &Divisions,
) {
    if area.is_country() {
        if category.is_long_term() {
            let msg = format!(
                "列 mdtrtarea_admvs：000000（全国）只用于临时外出类备案（referral、emergency、other_temporary），长期备案 {category}（{}）须填写省或市代码",
                category.name_zh()
            );
            row.problem(p, msg);
        }
        return;
    }
    match divisions.get(&area) {
        Some(d) if matches!(d.level, DivisionLevel::Province | DivisionLevel::City) => {}
        Some(d) => {
            let msg = format!(
                "列 mdtrtarea_admvs：{area}（{}）是县级区划，备案地应为省（xx0000）或地级市（xxxx00）代码",
                d.name
            );
            row.problem(p, msg);
        }
        None => {
            let msg = format!(
                "列 mdtrtarea_admvs：{area} 不是已知的省或地级市代码（应为 xx0000 或 xxxx00，或临时外出类的 000000）"
            );
            row.problem(p, msg);
        }
    }
}

pub(crate) fn load_entitlements(
    file: &str,
    text: Option<&str>,
    persons: &PersonsOut,
    chronic: &ChronicOut,
    p: &mut Problems,
) -> Vec<Entitlement> {
    let mut entitlements = Vec::new();
    let Some(table) = text.and_then(|text| read_table(file, text, &ENTITLEMENTS, p)) else {
        return entitlements;
    };
    let mut first_line: BTreeMap<(String, String, yidi_domain::Date), u32> = BTreeMap::new();
    for row in table.rows() {
        let Some(entitlement) = entitlement_row(&row, persons, chronic, p) else {
            continue;
        };
        let key = (entitlement.psn_no.clone(), entitlement.disease_code.clone(), entitlement.begndate);
        if let Some(first) = first_line.insert(key, row.line) {
            let msg = format!(
                "人员 {} 病种 {} 自 {} 起的资格认定重复（第 {first} 行已有）",
                entitlement.psn_no, entitlement.disease_code, entitlement.begndate
            );
            row.problem(p, msg);
            continue;
        }
        entitlements.push(entitlement);
    }
    entitlements
}

fn entitlement_row(
    row: &Row,
    persons: &PersonsOut,
    chronic: &ChronicOut,
    p: &mut Problems,
) -> Option<Entitlement> {
    let psn_no = row.text(p, "psn_no");
    let disease_code = row.text(p, "disease_code");
    let begndate = row.req(p, "begndate", values::date);
    let enddate = row.opt(p, "enddate", values::date);
    if let Some(why) = psn_no.as_deref().and_then(|psn_no| persons.unknown(psn_no)) {
        row.problem(p, why);
    }
    if let Some(code) = disease_code.as_deref().filter(|code| !chronic.declared.contains(*code)) {
        row.problem(p, format!("列 disease_code：慢特病病种 {code} 不在 chronic_diseases.csv 中"));
    }
    if let Some(begndate) = begndate {
        row.check_period(p, begndate, enddate);
    }
    if row.failed() {
        return None;
    }
    Some(Entitlement {
        psn_no: psn_no?,
        disease_code: disease_code?,
        begndate: begndate?,
        enddate,
        source: row.source(),
    })
}
