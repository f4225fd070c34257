//! What an insured person sees and changes of their own data (the people's portal and
//! `/api/person/…`): identity (masked), filings with the rules that apply to them, filing changes
//! through the same filing service as the agency, settlements with their explanation, and the
//! year-to-date accumulators.
//!
//! Scope: every operation takes the signed-in person's `psn_no` from the session, never from the
//! request; another person's filing or settlement is answered exactly as an unknown one (404), so
//! identifiers cannot be probed. These run on the sequencer like the agency operations, so a
//! person's filing is seen by the very next settlement. Errors have the agency API's shape
//! ([`AgencyError`], aliased [`PersonError`]).

use serde::Serialize;
use yidi_domain::codes::mask_name;
use yidi_domain::{Date, DateTime, FilingCategory, Pack, PersonRecord, PolicyVersion};

use super::filings::{self, Actor, FilingHistoryView};
use super::overlay::insured_region;
use super::query::{NewFiling, SettlementQuery};
use super::views::{self, FilingView, Identity, SettlementDetail, SettlementRow, Side};
use super::{AgencyError, Page, filing_not_found, paged, settlement_not_found};
use crate::filing_rules::{self, Channel};
use crate::hub::Hub;
use crate::state::State;

/// Errors of the person operations: the agency API's shape (status, stable code, message).
pub type PersonError = AgencyError;

/// Who a person is, as a session keeps it and pages show it: identity number and name masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonIdentity {
    pub psn_no: String,
    /// `CertNo::masked` (`110***********001X`).
    pub certno: String,
    /// `mask_name` (`张*`).
    pub psn_name: String,
    /// The insured pooling region.
    pub insuplc_admdvs: String,
}

/// The region's filing rules as a person reads them.
#[derive(Clone, Debug, Serialize)]
pub struct FilingRulesView {
    pub min_hold_days: u32,
    pub temporary_months: u32,
    pub max_active_filings: u32,
}

/// A category a person may choose, with the statement they confirm online (承诺制).
#[derive(Clone, Debug, Serialize)]
pub struct CategoryView {
    pub category: &'static str,
    pub category_name: &'static str,
    pub long_term: bool,
    /// `None` when no filing is needed or no statement is asked.
    pub commitment_statement: Option<&'static str>,
    /// Emergency care needs no filing (视同备案); the category is listed to say so.
    pub filing_needed: bool,
}

/// `GET /api/person/me`.
#[derive(Clone, Debug, Serialize)]
pub struct PersonMe {
    pub identity: PersonIdentity,
    pub gend: String,
    pub insuplc_name: String,
    pub insutype: String,
    pub insutype_name: &'static str,
    pub psn_group: String,
    pub psn_group_name: &'static str,
    pub acct_balance: String,
    pub filing_rules: FilingRulesView,
}

/// `GET /api/person/filings`: every filing with whether it is in force and, for long-term ones,
/// from when it may be changed or cancelled; the rules and categories for a new one.
#[derive(Clone, Debug, Serialize)]
pub struct PersonFilings {
    pub filings: Vec<PersonFilingView>,
    pub rules: FilingRulesView,
    pub categories: Vec<CategoryView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonFilingView {
    #[serde(flatten)]
    pub filing: FilingView,
    /// Not cancelled and not past its end date.
    pub active: bool,
    /// The first day a change or cancellation is allowed (long-term filings under a minimum
    /// holding period).
    pub changeable_from: Option<String>,
    pub mdtrtarea_name: Option<String>,
}

/// `GET /api/person/year-to-date`: the current policy year's accumulators, per cap pool with
/// the cap of the policy in force today.
#[derive(Clone, Debug, Serialize)]
pub struct YearToDate {
    pub policy_year: i32,
    pub acct_balance: String,
    pub pools: Vec<PoolToDate>,
    pub hifmi_paid: String,
    pub hifob_paid: String,
    pub maf_paid: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PoolToDate {
    pub cap_pool: String,
    pub deductible_paid: String,
    pub fund_paid: String,
    pub admissions: u32,
    /// The yearly cap of the pool's policy in force today; `None` = no cap known.
    pub annual_cap: Option<String>,
    pub cap_left: Option<String>,
}

impl Hub {
    /// The person holding an identity number, for sign-in and activation (`None`: unknown).
    pub async fn person_by_certno(&self, certno: &str) -> Result<Option<PersonIdentity>, PersonError> {
        let certno = certno.trim().to_ascii_uppercase();
        self.person_op(move |state, _| {
            let Ok(certno) = yidi_domain::CertNo::parse(&certno) else { return Ok(None) };
            let psn_no = state.psn_no_by_certno(&certno);
            Ok(psn_no.and_then(|p| state.agency.person(&state.pack, &p).map(|r| identity(&state.pack, r))))
        })
        .await
    }

    /// The person with this `psn_no`, as an identity (activation by an agency or the CLI).
    pub async fn person_identity(&self, psn_no: &str) -> Result<PersonIdentity, PersonError> {
        let psn_no = psn_no.to_string();
        self.person_op(move |state, _| Ok(identity(&state.pack, own(state, &psn_no)?))).await
    }

    pub async fn person_me(&self, psn_no: &str) -> Result<PersonMe, PersonError> {
        let psn_no = psn_no.to_string();
        self.person_op(move |state, _| {
            let record = own(state, &psn_no)?;
            let p = &record.person;
            let region = insured_region(&state.pack.refdata, p);
            let insuplc_name = yidi_domain::DivisionCode::parse(&region)
                .ok()
                .and_then(|c| state.pack.refdata.regions.get(&c))
                .map_or_else(|| region.clone(), |r| r.name.clone());
            Ok(PersonMe {
                identity: identity(&state.pack, record),
                gend: p.gend.as_str().to_string(),
                insuplc_name,
                insutype: p.insutype.as_str().to_string(),
                insutype_name: p.insutype.name_zh(),
                psn_group: p.psn_group.as_str().to_string(),
                psn_group_name: p.psn_group.name_zh(),
                acct_balance: state.person_state(&psn_no).acct_balance.yuan(),
                filing_rules: rules_view(&state.pack, record),
            })
        })
        .await
    }

    pub async fn person_filings(&self, psn_no: &str) -> Result<PersonFilings, PersonError> {
        let psn_no = psn_no.to_string();
        self.person_op(move |state, clock| {
            let record = own(state, &psn_no)?;
            let rules = filings::region_rules(&state.pack, record);
            let now = clock.now();
            let mut list: Vec<PersonFilingView> = record
                .filings
                .iter()
                .map(|f| PersonFilingView {
                    filing: views::filing_view(f, state.agency.record(&f.filing_id)),
                    active: filing_rules::is_active(f, now),
                    changeable_from: filing_rules::hold_until(&rules, f).map(|d| d.to_string()),
                    mdtrtarea_name: state.pack.refdata.divisions.get(&f.area).map(|d| d.name.clone()),
                })
                .collect();
            list.sort_by(|a, b| (b.active, &b.filing.begndate).cmp(&(a.active, &a.filing.begndate)));
            Ok(PersonFilings {
                filings: list,
                rules: rules_view(&state.pack, record),
                categories: categories(),
            })
        })
        .await
    }

    /// Files online (承诺制) for the signed-in person.
    pub async fn person_add_filing(
        &self,
        psn_no: &str,
        filing: &NewFiling,
    ) -> Result<FilingView, PersonError> {
        let (psn_no, filing) = (psn_no.to_string(), filing.clone());
        self.person_op(move |state, clock| {
            let record = own(state, &psn_no)?.clone();
            let input = filing.parse(&state.pack.refdata.divisions).map_err(AgencyError::Invalid)?;
            let actor = person_actor(&record);
            let id = filings::add(state, &actor, &psn_no, &input, clock.now()).map_err(super::refused)?;
            Ok(super::current_filing(state, &psn_no, &id))
        })
        .await
    }

    /// Changes one of the person's filings (cancel + new in one step); answers the new filing.
    pub async fn person_change_filing(
        &self,
        psn_no: &str,
        filing_id: &str,
        filing: &NewFiling,
    ) -> Result<FilingView, PersonError> {
        let (psn_no, filing_id, filing) = (psn_no.to_string(), filing_id.to_string(), filing.clone());
        self.person_op(move |state, clock| {
            let record = own_filing(state, &psn_no, &filing_id)?;
            let input = filing.parse(&state.pack.refdata.divisions).map_err(AgencyError::Invalid)?;
            let actor = person_actor(&record);
            let id = filings::change(state, &actor, &record, &filing_id, &input, clock.now())
                .map_err(super::refused)?;
            Ok(super::current_filing(state, &psn_no, &id))
        })
        .await
    }

    pub async fn person_cancel_filing(
        &self,
        psn_no: &str,
        filing_id: &str,
    ) -> Result<FilingView, PersonError> {
        let (psn_no, filing_id) = (psn_no.to_string(), filing_id.to_string());
        self.person_op(move |state, clock| {
            let record = own_filing(state, &psn_no, &filing_id)?;
            filings::cancel(state, &person_actor(&record), &record, &filing_id, clock.now())
                .map_err(super::refused)?;
            Ok(super::current_filing(state, &psn_no, &filing_id))
        })
        .await
    }

    pub async fn person_filing_history(
        &self,
        psn_no: &str,
        filing_id: &str,
    ) -> Result<FilingHistoryView, PersonError> {
        let (psn_no, filing_id) = (psn_no.to_string(), filing_id.to_string());
        self.person_op(move |state, _| {
            let record = own_filing(state, &psn_no, &filing_id)?;
            Ok(filings::history_view(state, &record, &filing_id))
        })
        .await
    }

    /// The person's settlements, newest first; `q` filters by time and status and pages
    /// (`psn_no` and `fixmedins_code` filters apply as in the agency API).
    pub async fn person_settlements(
        &self,
        psn_no: &str,
        q: &SettlementQuery,
    ) -> Result<Page<SettlementRow>, PersonError> {
        let filter = q.parse().map_err(AgencyError::Invalid)?;
        let psn_no = psn_no.to_string();
        self.person_op(move |state, _| {
            let record = own(state, &psn_no)?;
            let insured = Some(insured_region(&state.pack.refdata, &record.person));
            let mut rows: Vec<_> = state
                .visits_of(&psn_no)
                .flat_map(|v| state.settlements_of_visit(&v.mdtrt_id))
                .filter(|st| st.psn_no == psn_no)
                .filter(|st| filter.from.is_none_or(|t| st.setl_time >= t))
                .filter(|st| filter.until.is_none_or(|t| st.setl_time < t))
                .collect();
            rows.sort_by(|a, b| (b.setl_time, &b.setl_id).cmp(&(a.setl_time, &a.setl_id)));
            Ok(paged(
                rows.into_iter(),
                filter.paging,
                |st| filter.matches(st),
                |st| views::settlement_row(&state.pack, st, insured.clone(), Side::Insured, Identity::Masked),
            ))
        })
        .await
    }

    /// One of the person's settlements with its national output and the engine's trace (every
    /// line's split and every layer, to the fen). Another person's is 404 like an unknown one.
    pub async fn person_settlement(
        &self,
        psn_no: &str,
        setl_id: &str,
    ) -> Result<SettlementDetail, PersonError> {
        let (psn_no, setl_id) = (psn_no.to_string(), setl_id.to_string());
        self.person_op(move |state, _| {
            let record = own(state, &psn_no)?;
            let st = state
                .settlements
                .get(&setl_id)
                .filter(|st| st.psn_no == psn_no)
                .ok_or_else(|| settlement_not_found(&setl_id))?;
            let insured = Some(insured_region(&state.pack.refdata, &record.person));
            let mut detail = views::settlement_detail(&state.pack, st, insured.clone(), Side::Insured);
            // The person sees their own identity number and name masked too (issue 5: masked
            // everywhere shown): pages may be shown over a shoulder or left open.
            let p = &record.person;
            detail.settlement =
                views::settlement_row(&state.pack, st, insured, Side::Insured, Identity::Masked);
            let mask = |raw: &serde_json::value::RawValue| {
                serde_json::value::RawValue::from_string(views::mask_output(raw.get(), p)).ok()
            };
            detail.output = detail.output.as_deref().and_then(mask);
            detail.reversal_output = detail.reversal_output.as_deref().and_then(mask);
            Ok(detail)
        })
        .await
    }

    /// The current policy year's deductible paid, fund paid and caps per pool.
    pub async fn person_year_to_date(&self, psn_no: &str) -> Result<YearToDate, PersonError> {
        let psn_no = psn_no.to_string();
        self.person_op(move |state, clock| {
            let record = own(state, &psn_no)?;
            Ok(year_to_date(&state.pack, record, &state.person_state(&psn_no), clock.now()))
        })
        .await
    }

    async fn person_op<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut State, &dyn crate::Clock) -> Result<T, PersonError> + Send + 'static,
    ) -> Result<T, PersonError> {
        self.on_sequencer(op).await.unwrap_or(Err(AgencyError::Unavailable))
    }
}

fn own<'s>(state: &'s State, psn_no: &str) -> Result<&'s PersonRecord, PersonError> {
    state.agency.person(&state.pack, psn_no).ok_or_else(|| AgencyError::NotFound {
        code: "person_not_found",
        message: "没有找到您的参保信息，请重新登录；如仍不能使用，请联系参保地医保经办机构".to_string(),
    })
}

/// The person's record when the filing is theirs; anyone else's is "not found".
fn own_filing(state: &State, psn_no: &str, filing_id: &str) -> Result<PersonRecord, PersonError> {
    let record = own(state, psn_no)?;
    if state.agency.filing_owner(filing_id) != Some(psn_no)
        || !record.filings.iter().any(|f| f.filing_id == filing_id)
    {
        return Err(filing_not_found(filing_id));
    }
    Ok(record.clone())
}

fn person_actor(record: &PersonRecord) -> Actor {
    Actor { channel: Channel::Person, by: format!("person:{}", record.person.certno.masked()) }
}

fn identity(pack: &Pack, r: &PersonRecord) -> PersonIdentity {
    PersonIdentity {
        psn_no: r.person.psn_no.clone(),
        certno: r.person.certno.masked(),
        psn_name: mask_name(&r.person.name),
        insuplc_admdvs: insured_region(&pack.refdata, &r.person),
    }
}

fn rules_view(pack: &Pack, record: &PersonRecord) -> FilingRulesView {
    let r = filings::region_rules(pack, record);
    FilingRulesView {
        min_hold_days: r.min_hold_days,
        temporary_months: r.temporary_months,
        max_active_filings: r.max_active_filings,
    }
}

fn categories() -> Vec<CategoryView> {
    FilingCategory::ALL
        .iter()
        .map(|&c| CategoryView {
            category: c.as_str(),
            category_name: c.name_zh(),
            long_term: c.is_long_term(),
            commitment_statement: filing_rules::commitment_statement(c),
            filing_needed: c != FilingCategory::Emergency,
        })
        .collect()
}

fn year_to_date(
    pack: &Pack,
    record: &PersonRecord,
    s: &yidi_domain::PersonState,
    now: DateTime,
) -> YearToDate {
    let p = &record.person;
    let region = pack.refdata.pooling_region_of(p.insuplc).map_or(p.insuplc, |r| r.admdvs);
    let policy = pack.refdata.policies.get(&region);
    let today = now.date();
    let policy_year = policy.map_or(today.year(), |pol| today.policy_year(pol.year_start));
    let year = s.years.get(&policy_year).cloned().unwrap_or(yidi_domain::YearAcc::EMPTY);
    let versions: Vec<&PolicyVersion> = policy
        .map(|pol| {
            pol.policies
                .iter()
                .filter(|v| v.insutype == p.insutype && v.psn_group.is_none_or(|g| g == p.psn_group))
                .filter(|v| v.effective_from <= today && !v.cap_period_month)
                .collect()
        })
        .unwrap_or_default();
    let mut pools: Vec<String> = year.pools.keys().cloned().collect();
    for v in &versions {
        if !pools.contains(&v.cap_pool) {
            pools.push(v.cap_pool.clone());
        }
    }
    pools.sort();
    let pools = pools
        .into_iter()
        .map(|pool| {
            let acc = year.pools.get(&pool).cloned().unwrap_or_default();
            let cap = latest_cap(&versions, &pool, today);
            PoolToDate {
                deductible_paid: acc.deductible_paid.yuan(),
                fund_paid: acc.fund_paid.yuan(),
                admissions: acc.admissions,
                annual_cap: cap.map(|c| c.yuan()),
                cap_left: cap.map(|c| (c - acc.fund_paid).max(yidi_domain::Fen::ZERO).yuan()),
                cap_pool: pool,
            }
        })
        .collect();
    YearToDate {
        policy_year,
        acct_balance: s.acct_balance.yuan(),
        pools,
        hifmi_paid: year.hifmi_paid.yuan(),
        hifob_paid: year.hifob_paid.yuan(),
        maf_paid: year.maf_paid.yuan(),
    }
}

/// The cap of the pool's latest version in force on `today` (the largest when several benefit
/// kinds share the pool).
fn latest_cap(versions: &[&PolicyVersion], pool: &str, today: Date) -> Option<yidi_domain::Fen> {
    let in_pool: Vec<&&PolicyVersion> =
        versions.iter().filter(|v| v.cap_pool == pool && v.effective_from <= today).collect();
    let latest = in_pool.iter().map(|v| v.effective_from).max()?;
    in_pool.iter().filter(|v| v.effective_from == latest).filter_map(|v| v.annual_cap).max()
}
