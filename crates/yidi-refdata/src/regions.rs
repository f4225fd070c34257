//! `pooling_regions.csv`: pooling regions (统筹区) and their switches (开通标志).

use std::collections::{BTreeMap, BTreeSet};

use yidi_domain::{DivisionCode, PoolingRegion};

use crate::divisions::Divisions;
use crate::problem::Problems;
use crate::table::{Row, Schema, read_table};
use crate::values;

const SCHEMA: Schema = Schema {
    required: &[
        "admdvs",
        "name",
        "open_inpatient",
        "open_outpatient",
        "open_chronic",
        "open_as_insured",
        "open_as_treatment",
    ],
    optional: &[],
};

pub(crate) struct RegionsOut {
    pub regions: BTreeMap<DivisionCode, PoolingRegion>,
    /// Every well-formed code in the file, even on a rejected row, so that references to it
    /// are not reported a second time.
    pub declared: BTreeSet<DivisionCode>,
}

impl RegionsOut {
    /// Whether some declared region covers `division` (`settlement.md` §3).
    pub fn covers(&self, division: DivisionCode) -> bool {
        self.declared.iter().any(|region| region.covers(division))
    }
}

pub(crate) fn load(file: &str, text: Option<&str>, divisions: &Divisions, p: &mut Problems) -> RegionsOut {
    let mut out = RegionsOut { regions: BTreeMap::new(), declared: BTreeSet::new() };
    let Some(table) = text.and_then(|text| read_table(file, text, &SCHEMA, p)) else {
        return out;
    };
    let mut first_line: BTreeMap<DivisionCode, u32> = BTreeMap::new();
    for row in table.rows() {
        let Some(region) = region_row(&row, divisions, p) else {
            if let Some(code) = row.cell("admdvs").and_then(|s| DivisionCode::parse(s).ok()) {
                out.declared.insert(code);
            }
            continue;
        };
        out.declared.insert(region.admdvs);
        if let Some(first) = first_line.insert(region.admdvs, row.line) {
            row.problem(p, format!("统筹区 {} 重复（第 {first} 行已有）", region.admdvs));
            continue;
        }
        out.regions.insert(region.admdvs, region);
    }
    out
}

fn region_row(row: &Row, divisions: &Divisions, p: &mut Problems) -> Option<PoolingRegion> {
    let admdvs = row.req(p, "admdvs", values::division);
    let name = row.text(p, "name");
    let flag = |p: &mut Problems, column| row.req(p, column, values::flag);
    let open_inpatient = flag(p, "open_inpatient");
    let open_outpatient = flag(p, "open_outpatient");
    let open_chronic = flag(p, "open_chronic");
    let open_as_insured = flag(p, "open_as_insured");
    let open_as_treatment = flag(p, "open_as_treatment");
    if let Some(code) = admdvs.filter(|code| !divisions.contains_key(code)) {
        row.problem(
            p,
            format!(
                "列 admdvs：{code} 不是已知的行政区划代码（GB/T 2260；新设区划可在 divisions.csv 中补充）"
            ),
        );
    }
    if row.failed() {
        return None;
    }
    Some(PoolingRegion {
        admdvs: admdvs?,
        name: name?,
        open_inpatient: open_inpatient?,
        open_outpatient: open_outpatient?,
        open_chronic: open_chronic?,
        open_as_insured: open_as_insured?,
        open_as_treatment: open_as_treatment?,
        source: row.source(),
    })
}
