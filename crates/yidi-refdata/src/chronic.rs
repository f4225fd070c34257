//! `chronic_diseases.csv`: the national cross-province chronic/special disease list, dated.

use std::collections::{BTreeMap, BTreeSet};

use yidi_domain::ChronicDisease;

use crate::problem::Problems;
use crate::table::{Row, Schema, read_table};
use crate::values;
use crate::versions::{Version, check_overlaps};

const SCHEMA: Schema =
    Schema { required: &["code", "name", "icd10_prefixes", "begndate"], optional: &["enddate"] };

pub(crate) struct ChronicOut {
    pub diseases: Vec<ChronicDisease>,
    /// Every code that appears in the file, even on a rejected row.
    pub declared: BTreeSet<String>,
}

pub(crate) fn load(file: &str, text: Option<&str>, p: &mut Problems) -> ChronicOut {
    let mut out = ChronicOut { diseases: Vec::new(), declared: BTreeSet::new() };
    let Some(table) = text.and_then(|text| read_table(file, text, &SCHEMA, p)) else {
        return out;
    };
    let mut versions: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    for row in table.rows() {
        if let Some(code) = row.cell("code") {
            out.declared.insert(code.to_string());
        }
        let Some(disease) = disease_row(&row, p) else {
            continue;
        };
        let version = Version { begin: disease.begndate, end: disease.enddate, line: row.line };
        versions.entry(disease.code.clone()).or_default().push(version);
        out.diseases.push(disease);
    }
    check_overlaps(file, "慢特病病种", &mut versions, p);
    out
}

fn disease_row(row: &Row, p: &mut Problems) -> Option<ChronicDisease> {
    let code = row.text(p, "code");
    let name = row.text(p, "name");
    let prefixes = row.req(p, "icd10_prefixes", |s| {
        values::list(s).map(|items| items.into_iter().map(str::to_string).collect::<Vec<_>>())
    });
    let begndate = row.req(p, "begndate", values::date);
    let enddate = row.opt(p, "enddate", values::date);
    let (Some(code), Some(name), Some(icd10_prefixes), Some(begndate)) = (code, name, prefixes, begndate)
    else {
        return None;
    };
    row.check_period(p, begndate, enddate);
    if row.failed() {
        return None;
    }
    Some(ChronicDisease { code, name, icd10_prefixes, begndate, enddate, source: row.source() })
}
