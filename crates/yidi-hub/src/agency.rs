//! Agency operations: what an insurance agency (经办机构) may read and change, scoped to its
//! pooling region, run on the sequencer thread against the same state the settlements use.
//!
//! Key design decision: queries and filing changes go through the hub's queue like national
//! calls ([`crate::hub::Work::Agency`]), so they see exactly the state the next settlement will
//! see, a filing change takes effect for the next settlement at once, and its record is
//! committed in the same group commit as that batch's settlements. Answers are released only
//! after the batch is durable, as replies are.
//!
//! Scope: an agency sees the persons insured in its region, and the settlements of those persons
//! (insured side) or at facilities in its region (treatment side). Anything outside is answered
//! as not found, so identifiers cannot be probed.

pub mod dashboard;
mod filings;
mod overlay;
mod person;
mod query;
mod views;

use yidi_domain::{DateTime, PersonRecord};

pub use filings::{Actor, FilingEventView, FilingHistory, FilingHistoryView};
pub use overlay::{AgencyState, PACK_AUTHOR, PersonRecordRef};
pub(crate) use overlay::{insured_region, settlement_regions};
pub use person::{
    CategoryView, FilingRulesView, PersonError, PersonFilingView, PersonFilings, PersonIdentity, PersonMe,
    PoolToDate, YearToDate,
};
pub use query::{FieldProblem, NewFiling, PersonQuery, SettlementQuery};
pub use views::{
    EntitlementView, FilingView, MonthView, Page, PersonDetail, PersonRow, PoolView, SettlementDetail,
    SettlementRow, Side, StateView, YearView,
};

use crate::clock::Clock;
use crate::filing_rules::{Channel, RuleRefusal};
use crate::hub::Hub;
use crate::state::State;
use query::{Paging, PersonFilter, SettlementFilter};
use views::Identity;

/// Most rows one page may hold.
pub const PAGE_SIZE_MAX: u32 = 100;
/// Rows per page when the request does not say.
pub const PAGE_SIZE_DEFAULT: u32 = 20;
/// Highest page number accepted.
pub const PAGE_MAX: u32 = 10_000;
/// Most rows one list query looks at on the sequencer thread; past it the answer says
/// `truncated`, so a broad query cannot stall settlements.
pub const AGENCY_SCAN_ROWS_MAX: usize = 200_000;
/// Longest text accepted in one query or filing field.
pub const QUERY_TEXT_CHARS_MAX: usize = 64;

const _: () = assert!(PAGE_SIZE_DEFAULT <= PAGE_SIZE_MAX);
const _: () = assert!(PAGE_SIZE_MAX as usize <= AGENCY_SCAN_ROWS_MAX);

/// The agency user asking: its token's name and its pooling region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyUser {
    pub name: String,
    pub admdvs: String,
}

/// Why an agency request was not answered. Messages are Chinese and name what to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgencyError {
    /// Unknown, or outside the agency's region (the same answer, so ids cannot be probed).
    NotFound { code: &'static str, message: String },
    /// The request's fields, every problem listed.
    Invalid(Vec<FieldProblem>),
    /// The change does not fit the current state.
    Conflict { code: &'static str, message: String },
    /// The agency may see this but not do it (e.g. a region token acting for its province).
    Forbidden { code: &'static str, message: String },
    /// The hub's queue is full or it is stopping; nothing ran.
    Unavailable,
}

impl AgencyError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            AgencyError::NotFound { .. } => 404,
            AgencyError::Invalid(_) => 400,
            AgencyError::Conflict { .. } => 409,
            AgencyError::Forbidden { .. } => 403,
            AgencyError::Unavailable => 503,
        }
    }
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AgencyError::NotFound { code, .. }
            | AgencyError::Conflict { code, .. }
            | AgencyError::Forbidden { code, .. } => code,
            AgencyError::Invalid(_) => "invalid_request",
            AgencyError::Unavailable => "unavailable",
        }
    }
    pub fn message(&self) -> String {
        match self {
            AgencyError::NotFound { message, .. }
            | AgencyError::Conflict { message, .. }
            | AgencyError::Forbidden { message, .. } => message.clone(),
            AgencyError::Invalid(problems) => format!("请求有 {} 处问题，请逐项修改后重试", problems.len()),
            AgencyError::Unavailable => "结算中心繁忙或正在停止，本次请求未处理；请稍后重试".to_string(),
        }
    }
    pub fn problems(&self) -> &[FieldProblem] {
        match self {
            AgencyError::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

fn person_not_found(psn_no: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "person_not_found",
        message: format!("本统筹区没有人员编号为 {psn_no} 的参保人，请核对人员编号"),
    }
}

fn filing_not_found(filing_id: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "filing_not_found",
        message: format!("本统筹区参保人中没有备案编号为 {filing_id} 的备案，请核对备案编号"),
    }
}

fn settlement_not_found(setl_id: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "settlement_not_found",
        message: format!("没有本统筹区可查看的结算 {setl_id}，请核对结算ID"),
    }
}

impl Hub {
    /// The persons insured in the agency's region, filtered and paged, identity masked.
    pub async fn agency_persons(
        &self,
        who: &AgencyUser,
        q: &PersonQuery,
    ) -> Result<Page<PersonRow>, AgencyError> {
        let filter = q.parse().map_err(AgencyError::Invalid)?;
        let who = who.clone();
        self.agency_op(move |state, _| Ok(persons(state, &who, &filter))).await
    }

    /// One person of the agency's region: identity, current state, filings.
    pub async fn agency_person(&self, who: &AgencyUser, psn_no: &str) -> Result<PersonDetail, AgencyError> {
        let (who, psn_no) = (who.clone(), psn_no.to_string());
        self.agency_op(move |state, _| {
            let record = scoped_person(state, &who, &psn_no)?;
            let current = state.person_state(&psn_no);
            Ok(views::person_detail(&state.pack, &state.agency, record, &current))
        })
        .await
    }

    /// Files a new filing for a person of the agency's region, effective for the next settlement.
    pub async fn agency_add_filing(
        &self,
        who: &AgencyUser,
        psn_no: &str,
        filing: &NewFiling,
    ) -> Result<FilingView, AgencyError> {
        let (who, psn_no, filing) = (who.clone(), psn_no.to_string(), filing.clone());
        self.agency_op(move |state, clock| add_filing(state, &who, &psn_no, &filing, clock.now())).await
    }

    /// Cancels a filing (from the pack or made here) of a person of the agency's region.
    pub async fn agency_cancel_filing(
        &self,
        who: &AgencyUser,
        filing_id: &str,
    ) -> Result<FilingView, AgencyError> {
        let (who, filing_id) = (who.clone(), filing_id.to_string());
        self.agency_op(move |state, clock| cancel_filing(state, &who, &filing_id, clock.now())).await
    }

    /// Changes a filing (area, category, dates) in one step: the old one is cancelled and a new
    /// one made, under the rules of both; answers the new filing.
    pub async fn agency_change_filing(
        &self,
        who: &AgencyUser,
        filing_id: &str,
        filing: &NewFiling,
    ) -> Result<FilingView, AgencyError> {
        let (who, filing_id, filing) = (who.clone(), filing_id.to_string(), filing.clone());
        self.agency_op(move |state, clock| change_filing(state, &who, &filing_id, &filing, clock.now())).await
    }

    /// A filing of a person of the agency's region and every recorded change of it.
    pub async fn agency_filing_history(
        &self,
        who: &AgencyUser,
        filing_id: &str,
    ) -> Result<FilingHistoryView, AgencyError> {
        let (who, filing_id) = (who.clone(), filing_id.to_string());
        self.agency_op(move |state, _| {
            let record = scoped_filing(state, &who, &filing_id)?;
            Ok(filings::history_view(state, &record, &filing_id))
        })
        .await
    }

    /// The settlements the agency sees, newest first, filtered and paged, identity masked.
    pub async fn agency_settlements(
        &self,
        who: &AgencyUser,
        q: &SettlementQuery,
    ) -> Result<Page<SettlementRow>, AgencyError> {
        let filter = q.parse().map_err(AgencyError::Invalid)?;
        let who = who.clone();
        self.agency_op(move |state, _| Ok(settlements(state, &who, &filter))).await
    }

    /// One settlement the agency sees, with its output as answered and its trace.
    pub async fn agency_settlement(
        &self,
        who: &AgencyUser,
        setl_id: &str,
    ) -> Result<SettlementDetail, AgencyError> {
        let (who, setl_id) = (who.clone(), setl_id.to_string());
        self.agency_op(move |state, _| {
            let st = state.settlements.get(&setl_id).ok_or_else(|| settlement_not_found(&setl_id))?;
            let (insured, treatment) = overlay::settlement_regions(&state.pack, st);
            let side =
                Side::of(insured.as_deref() == Some(&who.admdvs), treatment.as_deref() == Some(&who.admdvs))
                    .ok_or_else(|| settlement_not_found(&setl_id))?;
            Ok(views::settlement_detail(&state.pack, st, insured, side))
        })
        .await
    }

    async fn agency_op<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut State, &dyn Clock) -> Result<T, AgencyError> + Send + 'static,
    ) -> Result<T, AgencyError> {
        self.on_sequencer(op).await.unwrap_or(Err(AgencyError::Unavailable))
    }
}

/// A person insured in the agency's region, with the filing overlay applied.
fn scoped_person<'s>(
    state: &'s State,
    who: &AgencyUser,
    psn_no: &str,
) -> Result<&'s PersonRecord, AgencyError> {
    state
        .agency
        .person(&state.pack, psn_no)
        .filter(|r| overlay::insured_region(&state.pack.refdata, &r.person) == who.admdvs)
        .ok_or_else(|| person_not_found(psn_no))
}

fn persons(state: &State, who: &AgencyUser, f: &PersonFilter) -> Page<PersonRow> {
    let pack = &state.pack;
    let rows = state.agency.persons_of(&who.admdvs).iter().filter_map(|id| state.agency.person(pack, id));
    paged(rows, f.paging, |r| f.matches(&r.person), |r| views::person_row(&pack.refdata, r))
}

fn settlements(state: &State, who: &AgencyUser, f: &SettlementFilter) -> Page<SettlementRow> {
    let pack = &state.pack;
    let ids = state.agency.settlements_of(&who.admdvs, f.from, f.until).rev();
    let rows = ids.filter_map(|id| state.settlements.get(id));
    paged(
        rows,
        f.paging,
        |st| f.matches(st),
        |st| {
            let (insured, treatment) = overlay::settlement_regions(pack, st);
            let side =
                Side::of(insured.as_deref() == Some(&who.admdvs), treatment.as_deref() == Some(&who.admdvs))
                    .unwrap_or(Side::Treatment);
            views::settlement_row(pack, st, insured, side, Identity::Masked)
        },
    )
}

/// One page of `rows`: counts those `keep` accepts and views the page's share of them, looking at
/// no more than [`AGENCY_SCAN_ROWS_MAX`] rows.
fn paged<X, T>(
    rows: impl Iterator<Item = X>,
    paging: Paging,
    keep: impl Fn(&X) -> bool,
    view: impl Fn(X) -> T,
) -> Page<T> {
    let skip = paging.offset();
    let size = paging.page_size as usize;
    let mut page = Page {
        page: paging.page,
        page_size: paging.page_size,
        total: 0,
        truncated: false,
        items: Vec::new(),
    };
    for (scanned, row) in rows.enumerate() {
        if scanned == AGENCY_SCAN_ROWS_MAX {
            page.truncated = true;
            break;
        }
        if !keep(&row) {
            continue;
        }
        if page.total >= skip && page.items.len() < size {
            page.items.push(view(row));
        }
        page.total += 1;
    }
    page
}

fn add_filing(
    state: &mut State,
    who: &AgencyUser,
    psn_no: &str,
    filing: &NewFiling,
    now: DateTime,
) -> Result<FilingView, AgencyError> {
    scoped_person(state, who, psn_no)?;
    let input = filing.parse(&state.pack.refdata.divisions).map_err(AgencyError::Invalid)?;
    let filing_id = filings::add(state, &agency_actor(who), psn_no, &input, now).map_err(refused)?;
    Ok(current_filing(state, psn_no, &filing_id))
}

fn cancel_filing(
    state: &mut State,
    who: &AgencyUser,
    filing_id: &str,
    now: DateTime,
) -> Result<FilingView, AgencyError> {
    let record = scoped_filing(state, who, filing_id)?;
    filings::cancel(state, &agency_actor(who), &record, filing_id, now).map_err(refused)?;
    Ok(current_filing(state, &record.person.psn_no, filing_id))
}

fn change_filing(
    state: &mut State,
    who: &AgencyUser,
    filing_id: &str,
    filing: &NewFiling,
    now: DateTime,
) -> Result<FilingView, AgencyError> {
    let record = scoped_filing(state, who, filing_id)?;
    let input = filing.parse(&state.pack.refdata.divisions).map_err(AgencyError::Invalid)?;
    let new_id =
        filings::change(state, &agency_actor(who), &record, filing_id, &input, now).map_err(refused)?;
    Ok(current_filing(state, &record.person.psn_no, &new_id))
}

/// The person record holding a filing of a person of the agency's region (a copy: the caller
/// changes the state next).
fn scoped_filing(state: &State, who: &AgencyUser, filing_id: &str) -> Result<PersonRecord, AgencyError> {
    let psn_no = state.agency.filing_owner(filing_id).ok_or_else(|| filing_not_found(filing_id))?.to_string();
    let record = scoped_person(state, who, &psn_no).map_err(|_| filing_not_found(filing_id))?;
    if !record.filings.iter().any(|f| f.filing_id == filing_id) {
        return Err(filing_not_found(filing_id));
    }
    Ok(record.clone())
}

fn agency_actor(who: &AgencyUser) -> Actor {
    Actor { channel: Channel::Agency, by: who.name.clone() }
}

/// A filing rule's refusal: 409 with its stable code and message.
pub(crate) fn refused(r: RuleRefusal) -> AgencyError {
    AgencyError::Conflict { code: r.code, message: r.message }
}

/// The filing as the person's overlaid record now holds it.
fn current_filing(state: &State, psn_no: &str, filing_id: &str) -> FilingView {
    let record = state.agency.person(&state.pack, psn_no).expect("the filing's person was checked");
    let filing = record.filings.iter().find(|f| f.filing_id == filing_id).expect("the filing was just put");
    views::filing_view(filing, state.agency.record(filing_id))
}
