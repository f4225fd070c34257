//! `facilities.csv`: designated facilities (定点医药机构).

use std::collections::{BTreeMap, BTreeSet};

use yidi_domain::{DivisionCode, DivisionLevel, Facility, FacilityCode, FacilityKind};

use crate::chronic::ChronicOut;
use crate::divisions::{Divisions, level_name};
use crate::problem::Problems;
use crate::regions::RegionsOut;
use crate::table::{Row, Schema, read_table};
use crate::values;

const SCHEMA: Schema = Schema {
    required: &[
        "fixmedins_code",
        "fixmedins_name",
        "admdvs",
        "level",
        "kind",
        "open_inpatient",
        "open_outpatient",
        "open_chronic",
        "begndate",
    ],
    optional: &["chronic_diseases", "enddate"],
};

/// What facility rows are checked against.
pub(crate) struct FacilityRefs<'a> {
    pub divisions: &'a Divisions,
    pub regions: &'a RegionsOut,
    pub chronic: &'a ChronicOut,
    /// Cities that have county-level units under them; the others (东莞, 中山, 儋州, 嘉峪关)
    /// are themselves the county-level place of their facilities.
    pub cities_with_counties: BTreeSet<DivisionCode>,
}

impl<'a> FacilityRefs<'a> {
    pub fn new(
        divisions: &'a Divisions,
        regions: &'a RegionsOut,
        chronic: &'a ChronicOut,
    ) -> FacilityRefs<'a> {
        let cities_with_counties = divisions
            .values()
            .filter(|d| d.level == DivisionLevel::County)
            .filter_map(|d| d.parent)
            .collect();
        FacilityRefs { divisions, regions, chronic, cities_with_counties }
    }
}

pub(crate) fn load(
    file: &str,
    text: Option<&str>,
    refs: &FacilityRefs,
    p: &mut Problems,
) -> BTreeMap<FacilityCode, Facility> {
    let mut facilities = BTreeMap::new();
    let Some(table) = text.and_then(|text| read_table(file, text, &SCHEMA, p)) else {
        return facilities;
    };
    let mut first_line: BTreeMap<String, u32> = BTreeMap::new();
    for row in table.rows() {
        if let Some(code) = row.cell("fixmedins_code") {
            if let Some(first) = first_line.get(code) {
                row.problem(p, format!("定点机构编码 {code} 重复（第 {first} 行已有）"));
                continue;
            }
            first_line.insert(code.to_string(), row.line);
        }
        if let Some(facility) = facility_row(&row, refs, p) {
            facilities.insert(facility.code.clone(), facility);
        }
    }
    facilities
}

fn facility_row(row: &Row, refs: &FacilityRefs, p: &mut Problems) -> Option<Facility> {
    let code = row.req(p, "fixmedins_code", |s| FacilityCode::parse(s).map_err(|e| e.to_string()));
    let name = row.text(p, "fixmedins_name");
    let admdvs = row.req(p, "admdvs", values::division);
    let level = row.req(p, "level", |s| values::level_in(s, 0, 3));
    let kind = row.req(p, "kind", |s| FacilityKind::parse(s).map_err(|e| e.to_string()));
    let open_inpatient = row.req(p, "open_inpatient", values::flag);
    let open_outpatient = row.req(p, "open_outpatient", values::flag);
    let open_chronic = row.req(p, "open_chronic", values::flag);
    let chronic_diseases = row.opt(p, "chronic_diseases", |s| chronic_list(s, refs.chronic));
    let begndate = row.req(p, "begndate", values::date);
    let enddate = row.opt(p, "enddate", values::date);
    if let Some(admdvs) = admdvs {
        check_place(row, p, admdvs, refs);
    }
    if let (Some(code), Some(admdvs)) = (&code, admdvs)
        && code.division() != admdvs
    {
        let msg =
            format!("列 fixmedins_code：编码 {code} 中的区划 {} 与 admdvs {admdvs} 不一致", code.division());
        row.problem(p, msg);
    }
    if let (Some(code), Some(kind), Some(level)) = (&code, kind, level) {
        check_kind(row, p, code, kind, level);
    }
    if let Some(begndate) = begndate {
        row.check_period(p, begndate, enddate);
    }
    if row.failed() {
        return None;
    }
    Some(Facility {
        code: code?,
        name: name?,
        admdvs: admdvs?,
        level: level?,
        kind: kind?,
        open_inpatient: open_inpatient?,
        open_outpatient: open_outpatient?,
        open_chronic: open_chronic?,
        chronic_diseases: chronic_diseases.unwrap_or_default(),
        begndate: begndate?,
        enddate,
        source: row.source(),
    })
}

fn chronic_list(text: &str, chronic: &ChronicOut) -> Result<Vec<String>, String> {
    let items = values::list(text)?;
    let unknown: Vec<&str> = items.iter().copied().filter(|c| !chronic.declared.contains(*c)).collect();
    if !unknown.is_empty() {
        return Err(format!("慢特病病种 {} 不在 chronic_diseases.csv 中", unknown.join("、")));
    }
    Ok(items.into_iter().map(str::to_string).collect())
}

/// The facility's division is a known county-level place inside some pooling region.
fn check_place(row: &Row, p: &mut Problems, admdvs: DivisionCode, refs: &FacilityRefs) {
    match refs.divisions.get(&admdvs) {
        None => {
            row.problem(p, format!("列 admdvs：{admdvs} 不是已知的行政区划代码（GB/T 2260；新设区划可在 divisions.csv 中补充）"));
            return;
        }
        Some(d) if d.level == DivisionLevel::County => {}
        Some(d) if d.level == DivisionLevel::City && !refs.cities_with_counties.contains(&admdvs) => {}
        Some(d) => {
            let msg = format!(
                "列 admdvs：{admdvs}（{}）是{}区划，机构所在地应为县级区划（区、县、县级市）",
                d.name,
                level_name(d.level)
            );
            row.problem(p, msg);
            return;
        }
    }
    if !refs.regions.covers(admdvs) {
        row.problem(p, format!("列 admdvs：{admdvs} 不属于 pooling_regions.csv 中的任何统筹区"));
    }
}

/// `H` hospitals and clinics at levels 1–3; `P` pharmacies at level 0.
fn check_kind(row: &Row, p: &mut Problems, code: &FacilityCode, kind: FacilityKind, level: u8) {
    let is_pharmacy = kind == FacilityKind::Pharmacy;
    if code.is_pharmacy() != is_pharmacy {
        let expected = if is_pharmacy { "P" } else { "H" };
        let msg = format!("列 fixmedins_code：{kind} 类机构的编码应以 {expected} 开头，实际为 {code}");
        row.problem(p, msg);
    }
    if is_pharmacy && level != 0 {
        row.problem(p, format!("列 level：药店（pharmacy）的等级应为 0，实际为 {level}"));
    }
    if !is_pharmacy && level == 0 {
        row.problem(p, format!("列 level：{kind} 类机构的等级应为 1–3，0 只用于药店"));
    }
}
