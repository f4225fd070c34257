//! Funds part B: what the agencies and facilities do to settlements after the fact —
//! clearing applications of facilities (3203/3204) and the treatment agency's payment to each
//! facility under the local agreement (rule 24), refusals, deductions and recoveries (拒付/扣款/
//! 追回, rule 25), verification requests (协查, rule 27) and manual reimbursement (手工报销,
//! rule 26).
//!
//! Key design decision: every record here is the fold of append-only funds events
//! (`funds` module doc): an operation checks everything, puts its ledger posting first (the
//! only step that may refuse), then one event, then applies that event to [`AdjustBook`] with the
//! same function the replay at start uses ([`AdjustBook::apply`]). Event bodies carry every
//! figure the view needs (ids, amounts, `setl_id`s), so the replay never reads settlements or the
//! pack, and a restart rebuilds exactly the same book. Event kinds: `clearing_apply.{apply,
//! cancel}`, `facility_payment.pay`, `adjust.{refusal,deduction,recovery}`, `inquiry.{open,
//! answer}`, `reimburse.{compute,pay}`.
//!
//! Money rules kept here (the ledger asserts them again):
//! - a settlement is never refused or recovered beyond what it charged each fund, across all its
//!   adjustments together (the ledger's constructors check one adjustment at a time);
//! - a facility is paid once per settlement: a settlement belongs to at most one live clearing
//!   application, and each payment nets every adjustment booked since the facility's previous
//!   payment, so once all applications are paid the facility's receivable is zero;
//! - a settlement in a live clearing application, or with an adjustment, can no longer be
//!   cancelled by its facility ([`check_cancellable`]);
//! - a manual reimbursement is refused for a bill the hub settled directly (same facility and
//!   visit number, live) or already reimbursed (same facility and visit number, or receipt).

mod api;
mod apply;
mod inquiry;
mod refusal;
mod reimburse;
mod views;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yidi_domain::{DateTime, Fen};
use yidi_ledger::{Fund, FundAmounts};
use yidi_store::FundsEventRecord;

use crate::state::State;

pub use api::{
    AdjustmentInput, AnswerInput, InquiryInput, InquiryQuery, List, PayInput, ReimbursementInput,
    ReimbursementLineInput,
};
pub use apply::check_cancellable;
pub(crate) use apply::{application_covering, apply_3203, cancel_3204};
pub use refusal::apportion;
pub use views::{
    AdjustmentView, ApplicationView, FacilityPaymentView, InquiryView, PersonReimbursement,
    ReimbursementLine, ReimbursementView,
};

/// Working days a treatment agency has to answer a verification request, unless the request
/// says otherwise (`policy-background.md` §4.4, rule 27).
pub const INQUIRY_WORKING_DAYS_DEFAULT: u32 = 10;
/// Longest answer deadline a verification request may ask for, in working days.
pub const INQUIRY_WORKING_DAYS_MAX: u32 = 60;
/// Longest free text (reason, evidence reference, question, finding), in characters.
pub const ADJUST_TEXT_CHARS_MAX: usize = 500;
/// Most fee lines one manual reimbursement may hold (a receipt, not an inpatient stay's file).
pub const REIMBURSE_LINES_MAX: usize = 1_000;
/// Most rows one list answer holds (newest first); a list says when it was cut.
pub const ADJUST_LIST_ROWS_MAX: usize = 1_000;

const _: () = assert!(INQUIRY_WORKING_DAYS_DEFAULT <= INQUIRY_WORKING_DAYS_MAX);
const _: () = assert!(REIMBURSE_LINES_MAX <= yidi_adjudication::limits::CLAIM_LINES_MAX);

/// Where a clearing application is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    Applied,
    Paid,
    Cancelled,
}

impl AppStatus {
    /// `yidi_appy_stas`: `1` applied, `2` paid, `3` cancelled.
    pub fn code(self) -> &'static str {
        match self {
            AppStatus::Applied => "1",
            AppStatus::Paid => "2",
            AppStatus::Cancelled => "3",
        }
    }
}

/// A facility's clearing application (3203): one month's cross-province settlements of one
/// `clr_type`, with the totals both sides agreed on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub clr_appy_evt_id: String,
    pub fixmedins_code: String,
    /// The treatment pooling region (`clr_optins`) whose agency pays the facility.
    pub clr_optins: String,
    pub clr_type: String,
    pub clr_way: String,
    /// `YYYYMM`.
    pub setlym: String,
    pub begndate: String,
    pub enddate: String,
    pub psntime: i64,
    pub medfee_sumamt: i64,
    pub med_sumfee: i64,
    pub fund_appy_sum: i64,
    pub cash_payamt: i64,
    pub acct_pay: i64,
    /// The settlements applied for, in `setl_id` order.
    pub setl_ids: Vec<String>,
    pub applied_at: String,
    /// The applying `msgid`.
    pub msgid: String,
    pub status: AppStatus,
    pub cancelled_at: Option<String>,
    pub payment_id: Option<String>,
}

/// 拒付 / 扣款 before the settlement's month is cleared; 追回 after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Refusal,
    Deduction,
    Recovery,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Refusal => "refusal",
            Stage::Deduction => "deduction",
            Stage::Recovery => "recovery",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            Stage::Refusal => "拒付",
            Stage::Deduction => "扣款",
            Stage::Recovery => "追回",
        }
    }
}

/// One refusal, deduction or recovery of part of a settlement, as booked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub adj_id: String,
    pub setl_id: String,
    pub stage: Stage,
    /// `(fund code, fen)` for every fund with a non-zero amount, in `Fund::ALL` order.
    pub amounts: Vec<(String, i64)>,
    pub reason: String,
    pub evidence: Option<String>,
    /// The verification request this answers, if any.
    pub inquiry_id: Option<String>,
    pub fixmedins_code: String,
    pub psn_no: String,
    /// The insured and treatment pooling regions of the settlement.
    pub insured_admdvs: String,
    pub treatment_admdvs: String,
    /// The settlement's clearing month and the month the adjustment counts in (`YYYY-MM`).
    pub origin_month: String,
    pub month: String,
    pub at: String,
    pub by: String,
    /// The facility payment that netted this adjustment.
    pub netted_by: Option<String>,
    /// Withdrawn (撤回) by the treatment agency: its posting reversed in the same month.
    #[serde(default)]
    pub withdrawn: Option<Withdrawal>,
}

/// The withdrawal of an adjustment booked by mistake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub at: String,
    pub by: String,
    pub reason: String,
    /// The facility payment that paid the withdrawn amount back to the facility (only when the
    /// adjustment had already been netted by an earlier payment).
    pub credited_by: Option<String>,
}

impl Adjustment {
    pub fn fund_amounts(&self) -> FundAmounts {
        let mut a = FundAmounts::ZERO;
        for (code, fen) in &self.amounts {
            if let Ok(fund) = Fund::parse(code) {
                a.add(fund, Fen::new(*fen));
            }
        }
        a
    }
    pub fn total(&self) -> Fen {
        Fen::new(self.amounts.iter().map(|(_, f)| f).sum())
    }
}

/// A verification request (协查) of the insured side about one settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    pub inquiry_id: String,
    pub setl_id: String,
    pub fixmedins_code: String,
    pub psn_no: String,
    pub insured_admdvs: String,
    pub treatment_admdvs: String,
    pub question: String,
    pub opened_at: String,
    pub opened_by: String,
    /// The last day the treatment side may answer (`YYYY-MM-DD`, inclusive).
    pub deadline: String,
    pub answer: Option<InquiryAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryAnswer {
    pub finding: String,
    pub adj_id: Option<String>,
    pub answered_at: String,
    pub answered_by: String,
}

/// Where a manual reimbursement is: computed (posted, owed to the person), then paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReimburseStatus {
    Computed,
    Paid,
}

/// A manual reimbursement (手工报销) as computed by the engine and recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reimbursement {
    pub reimb_id: String,
    pub psn_no: String,
    pub insured_admdvs: String,
    pub fixmedins_code: String,
    pub fixmedins_name: Option<String>,
    /// The facility's visit or stay number on the receipt (`ipt_otp_no` / `ipt_no`).
    pub visit_no: String,
    pub receipt_no: String,
    pub med_type: String,
    pub begntime: String,
    pub endtime: Option<String>,
    pub dise_codg: Option<String>,
    pub medfee_sumamt: i64,
    pub inscp_scp_amt: i64,
    pub fulamt_ownpay_amt: i64,
    pub overlmt_selfpay: i64,
    pub preselfpay_amt: i64,
    pub act_pay_dedc: i64,
    pub hifp_pay: i64,
    pub hifob_pay: i64,
    pub hifmi_pay: i64,
    pub maf_pay: i64,
    pub fund_pay_sumamt: i64,
    /// What the person bears after the reimbursement.
    pub psn_part_amt: i64,
    pub lines: Vec<ReimbursedLine>,
    pub trace: Vec<String>,
    pub status: ReimburseStatus,
    pub computed_at: String,
    pub computed_by: String,
    /// The day the agency paid the person (`YYYY-MM-DD`, the payment's value date as entered,
    /// today by default); the moment it was recorded is the `reimburse.pay` event's time.
    /// Events stored before the date could be given carry the recording time instead.
    pub paid_at: Option<String>,
    pub paid_by: Option<String>,
    pub bank_serial: Option<String>,
}

/// One fee line of a reimbursement, as the engine split it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReimbursedLine {
    pub feedetl_sn: String,
    pub med_list_codg: String,
    pub amount: i64,
    pub chrgitm_lv: String,
    pub inscp_scp_amt: i64,
    pub fulamt_ownpay_amt: i64,
    pub overlmt_amt: i64,
    pub preselfpay_amt: i64,
}

/// The treatment agency's payment of one clearing application to its facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityPayment {
    pub payment_id: String,
    pub clr_appy_evt_id: String,
    pub fixmedins_code: String,
    pub agency_admdvs: String,
    /// Σ fund and account shares of the application's settlements.
    pub gross_fen: i64,
    /// Adjustments of the facility booked since its previous payment, netted here.
    pub netted_fen: i64,
    pub netted: Vec<String>,
    /// Withdrawn adjustments, netted earlier, whose amount this payment gives back.
    #[serde(default)]
    pub credited: Vec<String>,
    /// What was paid: gross − netted (> 0).
    pub amount_fen: i64,
    pub bank_serial: String,
    pub paid_on: String,
    pub at: String,
    pub by: String,
}

/// Every record of this module, with the indexes its checks and lists need.
#[derive(Clone, Debug, Default)]
pub struct AdjustBook {
    /// The last sequence number used in an id (ids carry it, so a replay restores it).
    seq: u64,
    pub applications: BTreeMap<String, Application>,
    /// (facility, clr_type, setlym) → the live (applied or paid) applications, in the order they
    /// were made; their date ranges never overlap.
    live_app: HashMap<(String, String, String), Vec<String>>,
    /// `setl_id` → the live application holding it.
    app_of_setl: HashMap<String, String>,
    pub adjustments: BTreeMap<String, Adjustment>,
    adj_of_setl: HashMap<String, Vec<String>>,
    /// Facility → adjustments not yet netted by a facility payment.
    unnetted: HashMap<String, BTreeSet<String>>,
    /// Facility → withdrawn adjustments that a payment had netted and the next one gives back.
    uncredited: HashMap<String, BTreeSet<String>>,
    pub inquiries: BTreeMap<String, Inquiry>,
    pub reimbursements: BTreeMap<String, Reimbursement>,
    reimb_of_person: HashMap<String, Vec<String>>,
    /// (facility, visit number) and (facility, receipt number) of every reimbursement.
    reimb_keys: HashMap<(String, String), String>,
    pub payments: BTreeMap<String, FacilityPayment>,
}

/// What one stored event says, decoded.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AdjustEvent {
    Applied(Application),
    AppCancelled { clr_appy_evt_id: String, at: String },
    FacilityPaid(FacilityPayment),
    Adjusted(Adjustment),
    Withdrawn { adj_id: String, withdrawal: Withdrawal },
    InquiryOpened(Inquiry),
    InquiryAnswered { inquiry_id: String, answer: InquiryAnswer },
    Reimbursed(Box<Reimbursement>),
    ReimbursementPaid { reimb_id: String, paid_at: String, paid_by: String, bank_serial: String },
}

impl AdjustEvent {
    /// The stored `kind` and `reference`.
    fn kind_and_reference(&self) -> (String, String) {
        match self {
            AdjustEvent::Applied(a) => ("clearing_apply.apply".into(), a.clr_appy_evt_id.clone()),
            AdjustEvent::AppCancelled { clr_appy_evt_id, .. } => {
                ("clearing_apply.cancel".into(), clr_appy_evt_id.clone())
            }
            AdjustEvent::FacilityPaid(p) => ("facility_payment.pay".into(), p.clr_appy_evt_id.clone()),
            AdjustEvent::Adjusted(a) => (format!("adjust.{}", a.stage.code()), a.setl_id.clone()),
            AdjustEvent::Withdrawn { adj_id, .. } => ("adjust.withdraw".into(), adj_id.clone()),
            AdjustEvent::InquiryOpened(i) => ("inquiry.open".into(), i.setl_id.clone()),
            AdjustEvent::InquiryAnswered { inquiry_id, .. } => ("inquiry.answer".into(), inquiry_id.clone()),
            AdjustEvent::Reimbursed(r) => ("reimburse.compute".into(), r.reimb_id.clone()),
            AdjustEvent::ReimbursementPaid { reimb_id, .. } => ("reimburse.pay".into(), reimb_id.clone()),
        }
    }
}

/// Records an event: queued for the same commit as any posting put before it, then applied to
/// the book exactly as the replay applies it.
pub(crate) fn record(state: &mut State, at: DateTime, by: &str, event: AdjustEvent) {
    let (kind, reference) = event.kind_and_reference();
    crate::funds::put_event(state, &kind, &reference, at, by, &event);
    state.funds.adjust.apply(event).expect("a checked event applies to the book");
}

/// Replays one stored event of this module's prefixes (called by `funds::restore`).
pub(crate) fn replay(state: &mut State, _event: &FundsEventRecord, body: Value) -> Result<(), String> {
    let event: AdjustEvent = crate::funds::decode(body)?;
    state.funds.adjust.apply(event)
}

/// The sequence number an id ends with (its last 10 or 12 digits).
fn seq_of(id: &str) -> u64 {
    let digits: String = id.chars().rev().take_while(char::is_ascii_digit).collect();
    let digits: String = digits.chars().rev().collect();
    let tail = &digits[digits.len().saturating_sub(10)..];
    tail.parse().unwrap_or(0)
}

impl AdjustBook {
    /// The next sequence number for a new id.
    fn next_seq(&self) -> u64 {
        self.seq + 1
    }

    /// Applies one event; an error means the stored events contradict each other.
    pub fn apply(&mut self, event: AdjustEvent) -> Result<(), String> {
        match event {
            AdjustEvent::Applied(a) => {
                self.seq = self.seq.max(seq_of(&a.clr_appy_evt_id));
                if let Some(other) =
                    self.live_overlapping(&a.fixmedins_code, &a.clr_type, &a.setlym, &a.begndate, &a.enddate)
                {
                    return Err(format!(
                        "清算申请 {} 与已有申请 {} 的日期范围重叠",
                        a.clr_appy_evt_id, other.clr_appy_evt_id
                    ));
                }
                if let Some(id) = a.setl_ids.iter().find(|id| self.app_of_setl.contains_key(*id)) {
                    return Err(format!("清算申请 {} 的结算 {id} 已在另一笔清算申请中", a.clr_appy_evt_id));
                }
                let key = (a.fixmedins_code.clone(), a.clr_type.clone(), a.setlym.clone());
                self.live_app.entry(key).or_default().push(a.clr_appy_evt_id.clone());
                for id in &a.setl_ids {
                    self.app_of_setl.insert(id.clone(), a.clr_appy_evt_id.clone());
                }
                self.applications.insert(a.clr_appy_evt_id.clone(), a);
            }
            AdjustEvent::AppCancelled { clr_appy_evt_id, at } => {
                let a = self
                    .applications
                    .get_mut(&clr_appy_evt_id)
                    .filter(|a| a.status == AppStatus::Applied)
                    .ok_or_else(|| format!("撤销的清算申请 {clr_appy_evt_id} 不存在或不可撤销"))?;
                a.status = AppStatus::Cancelled;
                a.cancelled_at = Some(at);
                let key = (a.fixmedins_code.clone(), a.clr_type.clone(), a.setlym.clone());
                if let Some(ids) = self.live_app.get_mut(&key) {
                    ids.retain(|id| *id != clr_appy_evt_id);
                    if ids.is_empty() {
                        self.live_app.remove(&key);
                    }
                }
                for id in &a.setl_ids {
                    self.app_of_setl.remove(id);
                }
            }
            AdjustEvent::FacilityPaid(p) => {
                self.seq = self.seq.max(seq_of(&p.payment_id));
                let a = self
                    .applications
                    .get_mut(&p.clr_appy_evt_id)
                    .filter(|a| a.status == AppStatus::Applied)
                    .ok_or_else(|| format!("支付的清算申请 {} 不存在或不可支付", p.clr_appy_evt_id))?;
                a.status = AppStatus::Paid;
                a.payment_id = Some(p.payment_id.clone());
                let open = self.unnetted.entry(p.fixmedins_code.clone()).or_default();
                for id in &p.netted {
                    open.remove(id);
                    if let Some(adj) = self.adjustments.get_mut(id) {
                        adj.netted_by = Some(p.payment_id.clone());
                    }
                }
                let owed = self.uncredited.entry(p.fixmedins_code.clone()).or_default();
                for id in &p.credited {
                    owed.remove(id);
                    if let Some(w) = self.adjustments.get_mut(id).and_then(|a| a.withdrawn.as_mut()) {
                        w.credited_by = Some(p.payment_id.clone());
                    }
                }
                self.payments.insert(p.payment_id.clone(), p);
            }
            AdjustEvent::Adjusted(a) => {
                self.seq = self.seq.max(seq_of(&a.adj_id));
                self.adj_of_setl.entry(a.setl_id.clone()).or_default().push(a.adj_id.clone());
                self.unnetted.entry(a.fixmedins_code.clone()).or_default().insert(a.adj_id.clone());
                self.adjustments.insert(a.adj_id.clone(), a);
            }
            AdjustEvent::Withdrawn { adj_id, withdrawal } => {
                let a = self
                    .adjustments
                    .get_mut(&adj_id)
                    .filter(|a| a.withdrawn.is_none())
                    .ok_or_else(|| format!("撤回的调整 {adj_id} 不存在或已撤回"))?;
                a.withdrawn = Some(withdrawal);
                let facility = a.fixmedins_code.clone();
                if a.netted_by.is_some() {
                    self.uncredited.entry(facility).or_default().insert(adj_id);
                } else {
                    self.unnetted.entry(facility).or_default().remove(&adj_id);
                }
            }
            AdjustEvent::InquiryOpened(i) => {
                self.seq = self.seq.max(seq_of(&i.inquiry_id));
                self.inquiries.insert(i.inquiry_id.clone(), i);
            }
            AdjustEvent::InquiryAnswered { inquiry_id, answer } => {
                let i = self
                    .inquiries
                    .get_mut(&inquiry_id)
                    .filter(|i| i.answer.is_none())
                    .ok_or_else(|| format!("协查 {inquiry_id} 不存在或已答复"))?;
                i.answer = Some(answer);
            }
            AdjustEvent::Reimbursed(r) => {
                self.seq = self.seq.max(seq_of(&r.reimb_id));
                self.reimb_of_person.entry(r.psn_no.clone()).or_default().push(r.reimb_id.clone());
                for key in reimb_keys(&r) {
                    self.reimb_keys.insert(key, r.reimb_id.clone());
                }
                self.reimbursements.insert(r.reimb_id.clone(), *r);
            }
            AdjustEvent::ReimbursementPaid { reimb_id, paid_at, paid_by, bank_serial } => {
                let r = self
                    .reimbursements
                    .get_mut(&reimb_id)
                    .filter(|r| r.status == ReimburseStatus::Computed)
                    .ok_or_else(|| format!("手工报销 {reimb_id} 不存在或已支付"))?;
                r.status = ReimburseStatus::Paid;
                r.paid_at = Some(paid_at);
                r.paid_by = Some(paid_by);
                r.bank_serial = Some(bank_serial);
            }
        }
        Ok(())
    }

    /// A live (applied or paid) application of the facility, `clr_type` and month whose date
    /// range (`YYYY-MM-DD`, inclusive) overlaps `[begndate, enddate]`.
    pub fn live_overlapping(
        &self,
        facility: &str,
        clr_type: &str,
        setlym: &str,
        begndate: &str,
        enddate: &str,
    ) -> Option<&Application> {
        let key = (facility.to_string(), clr_type.to_string(), setlym.to_string());
        self.live_app
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.applications.get(id))
            // ISO dates compare as text.
            .find(|a| a.begndate.as_str() <= enddate && begndate <= a.enddate.as_str())
    }

    /// The live (applied or paid) application holding a settlement.
    pub fn application_of(&self, setl_id: &str) -> Option<&Application> {
        self.app_of_setl.get(setl_id).and_then(|id| self.applications.get(id))
    }

    /// The adjustments of a settlement, oldest first.
    pub fn adjustments_of<'a>(&'a self, setl_id: &str) -> impl Iterator<Item = &'a Adjustment> + 'a {
        let ids = self.adj_of_setl.get(setl_id).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().filter_map(|id| self.adjustments.get(id))
    }

    /// The adjustments of a settlement still standing (not withdrawn).
    pub fn live_adjustments_of<'a>(&'a self, setl_id: &str) -> impl Iterator<Item = &'a Adjustment> + 'a {
        self.adjustments_of(setl_id).filter(|a| a.withdrawn.is_none())
    }

    /// Σ of every standing adjustment of a settlement, per fund.
    pub fn adjusted(&self, setl_id: &str) -> FundAmounts {
        let mut a = FundAmounts::ZERO;
        for adj in self.live_adjustments_of(setl_id) {
            a.add_all(&adj.fund_amounts());
        }
        a
    }

    /// A facility's adjustments not yet netted by a payment.
    pub fn unnetted_of<'a>(&'a self, facility: &str) -> impl Iterator<Item = &'a Adjustment> + 'a {
        self.unnetted.get(facility).into_iter().flatten().filter_map(|id| self.adjustments.get(id))
    }

    /// A facility's withdrawn adjustments that a payment netted and the next payment gives back.
    pub fn uncredited_of<'a>(&'a self, facility: &str) -> impl Iterator<Item = &'a Adjustment> + 'a {
        self.uncredited.get(facility).into_iter().flatten().filter_map(|id| self.adjustments.get(id))
    }

    /// The reimbursement already recorded for a (facility, visit number) or (facility, receipt).
    pub fn reimbursement_for(
        &self,
        facility: &str,
        visit_no: &str,
        receipt_no: &str,
    ) -> Option<&Reimbursement> {
        [format!("visit:{visit_no}"), format!("receipt:{receipt_no}")]
            .into_iter()
            .find_map(|no| self.reimb_keys.get(&(facility.to_string(), no)))
            .and_then(|id| self.reimbursements.get(id))
    }

    /// The manual reimbursement of a facility's visit (or stay) number, if the agency recorded
    /// one: direct settlement of that visit must then be refused, or the funds would pay twice.
    pub fn reimbursed_visit(&self, facility: &str, visit_no: &str) -> Option<&Reimbursement> {
        // On the settlement path: no key to build while nothing was ever reimbursed by hand.
        if self.reimb_keys.is_empty() {
            return None;
        }
        self.reimb_keys
            .get(&(facility.to_string(), format!("visit:{visit_no}")))
            .and_then(|id| self.reimbursements.get(id))
    }

    /// A person's reimbursements, oldest first.
    pub fn reimbursements_of<'a>(&'a self, psn_no: &str) -> impl Iterator<Item = &'a Reimbursement> + 'a {
        let ids = self.reimb_of_person.get(psn_no).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().filter_map(|id| self.reimbursements.get(id))
    }
}

fn reimb_keys(r: &Reimbursement) -> [(String, String); 2] {
    [
        (r.fixmedins_code.clone(), format!("visit:{}", r.visit_no)),
        (r.fixmedins_code.clone(), format!("receipt:{}", r.receipt_no)),
    ]
}

/// Text of a time as stored in event bodies (`YYYY-MM-DD HH:MM:SS`).
fn time_text(t: DateTime) -> String {
    t.to_string()
}

/// Free text an agency typed: trimmed, required or not, at most [`ADJUST_TEXT_CHARS_MAX`].
fn text_field(
    problems: &mut Vec<crate::agency::FieldProblem>,
    field: &str,
    value: Option<&str>,
    required: bool,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None if required => {
            problems.push(problem(field, "必填"));
            None
        }
        None => None,
        Some(v) if v.chars().count() > ADJUST_TEXT_CHARS_MAX => {
            problems.push(problem(field, &format!("不能超过 {ADJUST_TEXT_CHARS_MAX} 个字")));
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

fn problem(field: &str, message: &str) -> crate::agency::FieldProblem {
    crate::agency::FieldProblem { field: field.to_string(), message: message.to_string() }
}
