//! What the agency API answers: plain serialisable views built from the working state.
//!
//! Amounts are text in yuan with two decimals (`"136.50"`), never JSON numbers, so no float
//! touches money on the way out; a stored national `output` is embedded as its exact text. List
//! views always mask identity numbers and names; full ones appear only to the insured side.

use serde::Serialize;
use serde_json::value::RawValue;
use yidi_domain::codes::mask_name;
use yidi_domain::{Entitlement, Filing, Pack, Person, PersonRecord, PersonState, RefData};
use yidi_store::{FilingRecord, SettlementRecord, SettlementStatus};

use super::overlay::{AgencyState, PACK_AUTHOR, insured_region};

/// One page of a list.
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub page: u32,
    pub page_size: u32,
    /// Rows matching the filters (counted up to the scan limit).
    pub total: u64,
    /// The scan stopped at `AGENCY_SCAN_ROWS_MAX` rows: narrow the filters for an exact total.
    pub truncated: bool,
    pub items: Vec<T>,
}

/// A person in a list (identity masked).
#[derive(Clone, Debug, Serialize)]
pub struct PersonRow {
    pub psn_no: String,
    pub psn_name: String,
    pub certno: String,
    pub gend: String,
    pub insuplc_admdvs: String,
    pub insutype: String,
    pub psn_group: String,
    pub filings: usize,
}

/// One person of the agency's region, in full.
#[derive(Clone, Debug, Serialize)]
pub struct PersonDetail {
    pub psn_no: String,
    pub psn_name: String,
    pub certno: String,
    pub gend: String,
    pub brdy: String,
    pub insuplc_admdvs: String,
    pub insutype: String,
    pub psn_group: String,
    pub assist_class: Option<String>,
    /// The current account balance and accumulators, as the next settlement will read them.
    pub state: StateView,
    /// Pack filings with agency changes applied.
    pub filings: Vec<FilingView>,
    pub entitlements: Vec<EntitlementView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StateView {
    pub acct_balance: String,
    pub years: Vec<YearView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct YearView {
    pub policy_year: i32,
    pub pools: Vec<PoolView>,
    pub months: Vec<MonthView>,
    pub hifmi_base: String,
    pub hifmi_paid: String,
    pub hifob_base: String,
    pub hifob_paid: String,
    pub maf_paid: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PoolView {
    pub cap_pool: String,
    pub deductible_paid: String,
    pub admissions: u32,
    pub fund_paid: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MonthView {
    pub cap_pool: String,
    pub year_month: u32,
    pub fund_paid: String,
}

/// A filing, with who made or last changed it when an agency did.
#[derive(Clone, Debug, Serialize)]
pub struct FilingView {
    pub filing_id: String,
    pub psn_no: String,
    pub category: String,
    pub category_name: String,
    pub mdtrtarea_admvs: String,
    pub begndate: String,
    pub enddate: Option<String>,
    pub filed_at: Option<String>,
    pub cancelled_at: Option<String>,
    /// Who made the filing: `pack` (from `filings.csv`), `agency` (through the agency API) or
    /// `person` (online, by the person: `/api/person/filings`, the portal's "我的备案").
    pub origin: &'static str,
    /// Where the pack row is (`filings.csv:12`), for pack filings.
    pub pack_source: Option<String>,
    pub created_by: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntitlementView {
    pub disease_code: String,
    pub begndate: String,
    pub enddate: Option<String>,
}

/// Which side of a settlement the agency is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The person is insured in the agency's region.
    Insured,
    /// The facility lies in the agency's region.
    Treatment,
    Both,
}

impl Side {
    pub fn of(insured: bool, treatment: bool) -> Option<Side> {
        match (insured, treatment) {
            (true, true) => Some(Side::Both),
            (true, false) => Some(Side::Insured),
            (false, true) => Some(Side::Treatment),
            (false, false) => None,
        }
    }
    /// The insured side may see the person's identity in full.
    fn identity(self) -> Identity {
        if self == Side::Treatment { Identity::Masked } else { Identity::Full }
    }
}

/// How a view shows a person's name and identity number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    Full,
    /// `mask_name` and `CertNo::masked`: list views, and the treatment side.
    Masked,
}

/// A settlement in a list (identity masked).
#[derive(Clone, Debug, Serialize)]
pub struct SettlementRow {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub psn_name: String,
    pub certno: String,
    pub insuplc_admdvs: Option<String>,
    pub fixmedins_code: String,
    pub fixmedins_name: Option<String>,
    /// The treatment pooling region (`clr_optins`).
    pub treatment_admdvs: String,
    pub side: Side,
    pub insutype: String,
    pub clr_type: String,
    pub setl_time: String,
    /// `settled` or `reversed`.
    pub status: &'static str,
    pub medfee_sumamt: String,
    pub fund_pay_sumamt: String,
    pub acct_pay: String,
    pub psn_cash_pay: String,
    pub reversal_time: Option<String>,
}

/// One settlement: its row, the national output as answered, and the trace.
#[derive(Clone, Debug, Serialize)]
pub struct SettlementDetail {
    pub settlement: SettlementRow,
    pub output: Option<Box<RawValue>>,
    pub reversal_output: Option<Box<RawValue>>,
    /// The engine's explanation, one step per line.
    pub trace: Vec<String>,
}

pub fn person_row(refdata: &RefData, r: &PersonRecord) -> PersonRow {
    let p = &r.person;
    PersonRow {
        psn_no: p.psn_no.clone(),
        psn_name: mask_name(&p.name),
        certno: p.certno.masked(),
        gend: p.gend.as_str().to_string(),
        insuplc_admdvs: insured_region(refdata, p),
        insutype: p.insutype.as_str().to_string(),
        psn_group: p.psn_group.as_str().to_string(),
        filings: r.filings.len(),
    }
}

pub fn person_detail(
    pack: &Pack,
    agency: &AgencyState,
    r: &PersonRecord,
    state: &PersonState,
) -> PersonDetail {
    let p = &r.person;
    PersonDetail {
        psn_no: p.psn_no.clone(),
        psn_name: p.name.clone(),
        certno: p.certno.as_str().to_string(),
        gend: p.gend.as_str().to_string(),
        brdy: p.brdy.to_string(),
        insuplc_admdvs: insured_region(&pack.refdata, p),
        insutype: p.insutype.as_str().to_string(),
        psn_group: p.psn_group.as_str().to_string(),
        assist_class: p.assist_class.map(|c| c.as_str().to_string()),
        state: state_view(state),
        filings: r.filings.iter().map(|f| filing_view(f, agency.record(&f.filing_id))).collect(),
        entitlements: r.entitlements.iter().map(entitlement_view).collect(),
    }
}

fn state_view(s: &PersonState) -> StateView {
    let years = s
        .years
        .iter()
        .map(|(policy_year, y)| YearView {
            policy_year: *policy_year,
            pools: y
                .pools
                .iter()
                .map(|(cap_pool, a)| PoolView {
                    cap_pool: cap_pool.clone(),
                    deductible_paid: a.deductible_paid.yuan(),
                    admissions: a.admissions,
                    fund_paid: a.fund_paid.yuan(),
                })
                .collect(),
            months: y
                .month_fund_paid
                .iter()
                .map(|((cap_pool, year_month), fund_paid)| MonthView {
                    cap_pool: cap_pool.clone(),
                    year_month: *year_month,
                    fund_paid: fund_paid.yuan(),
                })
                .collect(),
            hifmi_base: y.hifmi_base.yuan(),
            hifmi_paid: y.hifmi_paid.yuan(),
            hifob_base: y.hifob_base.yuan(),
            hifob_paid: y.hifob_paid.yuan(),
            maf_paid: y.maf_paid.yuan(),
        })
        .collect();
    StateView { acct_balance: s.acct_balance.yuan(), years }
}

/// What a person's own changes record as their author (`created_by`, `changed_by`), followed
/// by the masked identity number (`filings::Actor` of the person channel).
pub const PERSON_AUTHOR_PREFIX: &str = "person:";

/// Who made a filing, from its stored record's author: none or [`PACK_AUTHOR`] is `pack`, a
/// person's online filing (`person:<masked identity number>`) is `person`, else `agency`.
pub fn filing_origin(record: Option<&FilingRecord>) -> &'static str {
    match record {
        None => "pack",
        Some(r) if r.created_by == PACK_AUTHOR => "pack",
        Some(r) if r.created_by.starts_with(PERSON_AUTHOR_PREFIX) => "person",
        Some(_) => "agency",
    }
}

/// A filing as the person's record holds it; `record` is the stored record when an agency or the
/// person made or changed it.
pub fn filing_view(f: &Filing, record: Option<&FilingRecord>) -> FilingView {
    let origin = filing_origin(record);
    FilingView {
        filing_id: f.filing_id.clone(),
        psn_no: f.psn_no.clone(),
        category: f.category.as_str().to_string(),
        category_name: f.category.name_zh().to_string(),
        mdtrtarea_admvs: f.area.to_string(),
        begndate: f.begndate.to_string(),
        enddate: f.enddate.map(|d| d.to_string()),
        filed_at: f.filed_at.map(|t| t.to_string()),
        cancelled_at: f.cancelled_at.map(|t| t.to_string()),
        origin,
        pack_source: (origin == "pack").then(|| pack_source(f, record)),
        created_by: record.map(|r| r.created_by.clone()),
        changed_by: record.map(|r| r.changed_by.clone()),
        changed_at: record.map(|r| r.changed_at.to_string()),
    }
}

/// A changed pack filing's row is named by its record's author, so the pack source is only
/// known for unchanged ones.
fn pack_source(f: &Filing, record: Option<&FilingRecord>) -> String {
    match record {
        None => f.source.to_string(),
        Some(_) => "filings.csv".to_string(),
    }
}

fn entitlement_view(e: &Entitlement) -> EntitlementView {
    EntitlementView {
        disease_code: e.disease_code.clone(),
        begndate: e.begndate.to_string(),
        enddate: e.enddate.map(|d| d.to_string()),
    }
}

pub fn settlement_row(
    pack: &Pack,
    st: &SettlementRecord,
    insured: Option<String>,
    side: Side,
    identity: Identity,
) -> SettlementRow {
    let person = pack.persons.get(&st.psn_no).map(|r| &r.person);
    let (psn_name, certno) = match person {
        Some(p) if identity == Identity::Full => (p.name.clone(), p.certno.as_str().to_string()),
        Some(p) => (mask_name(&p.name), p.certno.masked()),
        None => (String::new(), String::new()),
    };
    let facility = yidi_domain::FacilityCode::parse(&st.fixmedins_code)
        .ok()
        .and_then(|code| pack.refdata.facilities.get(&code));
    SettlementRow {
        setl_id: st.setl_id.clone(),
        mdtrt_id: st.mdtrt_id.clone(),
        psn_no: st.psn_no.clone(),
        psn_name,
        certno,
        insuplc_admdvs: insured,
        fixmedins_code: st.fixmedins_code.clone(),
        fixmedins_name: facility.map(|f| f.name.clone()),
        treatment_admdvs: st.clr_optins.clone(),
        side,
        insutype: st.insutype.clone(),
        clr_type: st.clr_type.clone(),
        setl_time: st.setl_time.to_string(),
        status: match st.status {
            SettlementStatus::Settled => "settled",
            SettlementStatus::Reversed => "reversed",
        },
        medfee_sumamt: st.medfee_sumamt.yuan(),
        fund_pay_sumamt: st.fund_pay_sumamt.yuan(),
        acct_pay: st.acct_pay.yuan(),
        psn_cash_pay: st.psn_cash_pay.yuan(),
        reversal_time: st.reversal_time.map(|t| t.to_string()),
    }
}

/// One settlement in full; identity is masked for the treatment side.
pub fn settlement_detail(
    pack: &Pack,
    st: &SettlementRecord,
    insured: Option<String>,
    side: Side,
) -> SettlementDetail {
    let identity = side.identity();
    let masked = pack.persons.get(&st.psn_no).map(|r| &r.person).filter(|_| identity == Identity::Masked);
    let embed = |text: &str| {
        let text = match masked {
            Some(p) => mask_output(text, p),
            None => text.to_string(),
        };
        RawValue::from_string(text).ok()
    };
    SettlementDetail {
        settlement: settlement_row(pack, st, insured, side, identity),
        output: embed(&st.output_json),
        reversal_output: st.reversal_output_json.as_deref().and_then(embed),
        trace: st.trace.lines().map(str::to_string).collect(),
    }
}

/// Masks the person's name and identity number in a national output (compact JSON as
/// `serde_json` writes it): the name where it is the value of `psn_name`, the number wherever
/// it appears.
pub fn mask_output(json: &str, p: &Person) -> String {
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let name = format!("\"psn_name\":{}", quoted(&p.name));
    let masked_name = format!("\"psn_name\":{}", quoted(&mask_name(&p.name)));
    json.replace(&name, &masked_name).replace(p.certno.as_str(), &p.certno.masked())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_domain::{Date, DateTime};

    fn record(created_by: &str, changed_by: &str) -> FilingRecord {
        let at = DateTime::parse("2025-03-01 09:00:00").unwrap();
        FilingRecord {
            filing_id: "BA1100002025030100001".into(),
            psn_no: "P1".into(),
            category: "other_temporary".into(),
            mdtrtarea_admvs: "310000".into(),
            begndate: Date::parse("2025-03-01").unwrap(),
            enddate: None,
            filed_at: Some(at),
            cancelled_at: None,
            created_by: created_by.into(),
            changed_by: changed_by.into(),
            changed_at: at,
        }
    }

    /// Goal: a filing the person made online says so (`person`), not `agency`; whoever changes
    /// it later, its origin is who created it.
    #[test]
    fn origin_names_who_made_the_filing() {
        assert_eq!(filing_origin(None), "pack");
        assert_eq!(filing_origin(Some(&record(PACK_AUTHOR, "北京医保中心-张"))), "pack");
        assert_eq!(filing_origin(Some(&record("北京医保中心-张", "北京医保中心-张"))), "agency");
        let person = format!("{PERSON_AUTHOR_PREFIX}110***********001X");
        assert_eq!(filing_origin(Some(&record(&person, &person))), "person");
        assert_eq!(
            filing_origin(Some(&record(&person, "北京医保中心-张"))),
            "person",
            "cancelled by an agency"
        );
        assert_eq!(
            filing_origin(Some(&record("北京医保中心-张", &person))),
            "agency",
            "cancelled by the person"
        );
    }
}
