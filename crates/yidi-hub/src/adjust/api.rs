//! The agency operations of this module (`Hub::agency_*`): requests as received text, checked
//! here (every problem listed), then run on the sequencer thread like every agency operation.
//!
//! Scope: refusals and recoveries are booked by the agency of the settlement's treatment region
//! and seen by both sides; verification requests are opened by the insured side and answered by
//! the treatment side; clearing applications and facility payments belong to the facility's
//! agency; manual reimbursements to the person's insured region. Anything else is answered as
//! not found, like an unknown id.

use std::collections::BTreeMap;

use yidi_adjudication::FeeLine;
use yidi_domain::{Date, DateTime, FacilityCode, Fen, MedType, Price, Qty};
use yidi_ledger::{Fund, FundAmounts, Month};

use super::refusal::{Amounts, NewAdjustment};
use super::reimburse::NewReimbursement;
use super::views::{
    self, AdjustmentView, ApplicationView, FacilityPaymentView, InquiryView, PersonReimbursement,
    ReimbursementView,
};
use super::{
    ADJUST_LIST_ROWS_MAX, INQUIRY_WORKING_DAYS_DEFAULT, INQUIRY_WORKING_DAYS_MAX, REIMBURSE_LINES_MAX, Stage,
    problem, text_field,
};
use crate::agency::{AgencyError, AgencyUser, FieldProblem};
use crate::hub::Hub;
use crate::state::State;

/// `POST /api/agency/settlements/{setl_id}/adjustments`: either `amounts` (fund code → yuan) or
/// `total` (yuan, split over the funds: `refusal` module doc).
#[derive(Clone, Debug, Default)]
pub struct AdjustmentInput {
    /// `refusal` (default) or `deduction`; a cleared month makes it a `recovery` whatever is said.
    pub stage: Option<String>,
    pub amounts: Option<BTreeMap<String, String>>,
    pub total: Option<String>,
    pub reason: Option<String>,
    pub evidence: Option<String>,
    pub inquiry_id: Option<String>,
}

/// `POST /api/agency/settlements/{setl_id}/inquiries`.
#[derive(Clone, Debug, Default)]
pub struct InquiryInput {
    pub question: Option<String>,
    /// Working days to answer; default [`INQUIRY_WORKING_DAYS_DEFAULT`].
    pub deadline_working_days: Option<String>,
}

/// `POST /api/agency/inquiries/{inquiry_id}/answer`.
#[derive(Clone, Debug, Default)]
pub struct AnswerInput {
    pub finding: Option<String>,
    pub adj_id: Option<String>,
}

/// `GET /api/agency/inquiries`: `status` (`open`/`answered`), `overdue` (`true`), `setl_id`.
#[derive(Clone, Debug, Default)]
pub struct InquiryQuery {
    pub status: Option<String>,
    pub overdue: Option<String>,
    pub setl_id: Option<String>,
}

/// A payment record: the bank's serial number and the value date (default: today).
#[derive(Clone, Debug, Default)]
pub struct PayInput {
    pub bank_serial: Option<String>,
    pub paid_on: Option<String>,
}

/// One receipt line of a manual reimbursement, as text.
#[derive(Clone, Debug, Default)]
pub struct ReimbursementLineInput {
    pub feedetl_sn: Option<String>,
    pub med_list_codg: Option<String>,
    pub cnt: Option<String>,
    pub pric: Option<String>,
    pub det_item_fee_sumamt: Option<String>,
    pub fee_ocur_time: Option<String>,
}

/// `POST /api/agency/persons/{psn_no}/reimbursements`: the bill from the receipt.
#[derive(Clone, Debug, Default)]
pub struct ReimbursementInput {
    pub fixmedins_code: Option<String>,
    pub fixmedins_name: Option<String>,
    pub facility_level: Option<String>,
    pub visit_no: Option<String>,
    pub receipt_no: Option<String>,
    pub med_type: Option<String>,
    pub begntime: Option<String>,
    pub endtime: Option<String>,
    pub dise_codg: Option<String>,
    /// `1` for an emergency (抢救) visit.
    pub emergency: Option<String>,
    pub feedetail: Vec<ReimbursementLineInput>,
}

/// A list answer: newest first, at most [`ADJUST_LIST_ROWS_MAX`] rows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct List<T> {
    pub total: usize,
    pub truncated: bool,
    pub items: Vec<T>,
}

fn list<T>(mut items: Vec<T>) -> List<T> {
    let total = items.len();
    items.truncate(ADJUST_LIST_ROWS_MAX);
    List { total, truncated: total > ADJUST_LIST_ROWS_MAX, items }
}

fn finish<T>(problems: Vec<FieldProblem>, value: impl FnOnce() -> T) -> Result<T, AgencyError> {
    if problems.is_empty() { Ok(value()) } else { Err(AgencyError::Invalid(problems)) }
}

fn amount(problems: &mut Vec<FieldProblem>, field: &str, text: &str) -> Option<Fen> {
    match Fen::parse_yuan(text.trim()) {
        Ok(v) if v > Fen::ZERO && v.get() <= yidi_adjudication::limits::LINE_FEN_MAX * 100 => Some(v),
        Ok(_) => {
            problems.push(problem(field, "金额应大于 0 且在合理范围内"));
            None
        }
        Err(_) => {
            problems.push(problem(field, &format!("“{text}”不是以元为单位、至多两位小数的金额")));
            None
        }
    }
}

impl AdjustmentInput {
    fn parse(&self) -> Result<NewAdjustment, AgencyError> {
        let mut p = Vec::new();
        let stage = match self.stage.as_deref().map(str::trim) {
            None | Some("") | Some("refusal") => Stage::Refusal,
            Some("deduction") => Stage::Deduction,
            Some(other) => {
                p.push(problem("stage", &format!("应为 refusal（拒付）或 deduction（扣款），收到“{other}”；追回由结算中心按清算状态自动判定")));
                Stage::Refusal
            }
        };
        let per_fund = self.amounts.as_ref().map(|map| {
            let mut a = FundAmounts::ZERO;
            for (code, text) in map {
                let field = format!("amounts.{code}");
                match Fund::parse(code) {
                    Ok(fund) => {
                        if let Some(v) = amount(&mut p, &field, text) {
                            a.add(fund, v);
                        }
                    }
                    Err(e) => p.push(problem(&field, &e.to_string())),
                }
            }
            if map.is_empty() {
                p.push(problem("amounts", "至少填写一个基金的金额"));
            }
            a
        });
        let total = self.total.as_ref().and_then(|t| amount(&mut p, "total", t));
        let amounts = match (per_fund, total, self.amounts.is_some() && self.total.is_some()) {
            (_, _, true) | (None, None, false) => {
                if self.total.is_none() || self.amounts.is_some() {
                    p.push(problem("amounts", "请填写 amounts（按基金）或 total（总额）之一"));
                }
                None
            }
            (Some(a), _, false) => Some(Amounts::PerFund(a)),
            (None, Some(t), false) => Some(Amounts::Total(t)),
        };
        let reason = text_field(&mut p, "reason", self.reason.as_deref(), true);
        let evidence = text_field(&mut p, "evidence", self.evidence.as_deref(), false);
        let inquiry_id = text_field(&mut p, "inquiry_id", self.inquiry_id.as_deref(), false);
        finish(p, || NewAdjustment {
            stage,
            amounts: amounts.expect("no problem means amounts"),
            reason: reason.expect("required"),
            evidence,
            inquiry_id,
        })
    }
}

impl InquiryInput {
    fn parse(&self) -> Result<(String, u32), AgencyError> {
        let mut p = Vec::new();
        let question = text_field(&mut p, "question", self.question.as_deref(), true);
        let days = match self.deadline_working_days.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => INQUIRY_WORKING_DAYS_DEFAULT,
            Some(t) => match t.parse::<u32>() {
                Ok(n) if (1..=INQUIRY_WORKING_DAYS_MAX).contains(&n) => n,
                _ => {
                    p.push(problem(
                        "deadline_working_days",
                        &format!("应为 1–{INQUIRY_WORKING_DAYS_MAX} 的工作日数，收到“{t}”"),
                    ));
                    INQUIRY_WORKING_DAYS_DEFAULT
                }
            },
        };
        finish(p, || (question.expect("required"), days))
    }
}

impl PayInput {
    /// The bank serial and the payment date: a real date, not after `today` (the payment's own
    /// checks, such as not before a reimbursement was computed, are the operation's).
    fn parse(&self, today: Date) -> Result<(String, Date), AgencyError> {
        let mut p = Vec::new();
        let serial = text_field(&mut p, "bank_serial", self.bank_serial.as_deref(), true);
        if serial.as_ref().is_some_and(|s| s.chars().count() > 64) {
            p.push(problem("bank_serial", "银行流水号不能超过 64 个字符"));
        }
        let paid_on = match self.paid_on.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => today,
            Some(t) => Date::parse(t).unwrap_or_else(|_| {
                p.push(problem("paid_on", &format!("应为 YYYY-MM-DD，收到“{t}”")));
                today
            }),
        };
        if paid_on > today {
            p.push(problem("paid_on", &format!("支付日期 {paid_on} 晚于今天 {today}")));
        }
        finish(p, || (serial.expect("required"), paid_on))
    }
}

fn parse_time(
    p: &mut Vec<FieldProblem>,
    field: &str,
    text: Option<&str>,
    required: bool,
) -> Option<DateTime> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    match text {
        None => {
            if required {
                p.push(problem(field, "必填"));
            }
            None
        }
        Some(t) => {
            DateTime::parse(t).ok().or_else(|| Date::parse(t).ok().map(DateTime::start_of)).or_else(|| {
                p.push(problem(field, &format!("应为 YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD，收到“{t}”")));
                None
            })
        }
    }
}

impl ReimbursementInput {
    fn parse(&self) -> Result<NewReimbursement, AgencyError> {
        let mut p = Vec::new();
        let code = text_field(&mut p, "fixmedins_code", self.fixmedins_code.as_deref(), true).and_then(|c| {
            FacilityCode::parse(&c).map_err(|e| p.push(problem("fixmedins_code", &e.to_string()))).ok()
        });
        let name = text_field(&mut p, "fixmedins_name", self.fixmedins_name.as_deref(), false);
        let level = match self.facility_level.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match t.parse::<u8>() {
                Ok(n) if n <= 3 => Some(n),
                _ => {
                    p.push(problem("facility_level", "应为 0–3（药店 0）"));
                    None
                }
            },
        };
        let visit_no = text_field(&mut p, "visit_no", self.visit_no.as_deref(), true);
        let receipt_no = text_field(&mut p, "receipt_no", self.receipt_no.as_deref(), true);
        let med_type = text_field(&mut p, "med_type", self.med_type.as_deref(), true)
            .and_then(|m| MedType::parse(&m).map_err(|e| p.push(problem("med_type", &e.to_string()))).ok());
        let begntime = parse_time(&mut p, "begntime", self.begntime.as_deref(), true);
        let endtime = parse_time(&mut p, "endtime", self.endtime.as_deref(), false);
        let dise_codg = text_field(&mut p, "dise_codg", self.dise_codg.as_deref(), false);
        let emergency = match self.emergency.as_deref().map(str::trim) {
            None | Some("") | Some("0") => false,
            Some("1") => true,
            Some(_) => {
                p.push(problem("emergency", "应为 0 或 1"));
                false
            }
        };
        if self.feedetail.is_empty() {
            p.push(problem("feedetail", "至少一条费用明细"));
        }
        if self.feedetail.len() > REIMBURSE_LINES_MAX {
            p.push(problem("feedetail", &format!("费用明细不能超过 {REIMBURSE_LINES_MAX} 条")));
        }
        let lines: Vec<FeeLine> = self
            .feedetail
            .iter()
            .take(REIMBURSE_LINES_MAX)
            .enumerate()
            .filter_map(|(n, l)| line(&mut p, n, l))
            .collect();
        finish(p, || NewReimbursement {
            fixmedins_code: code.expect("required"),
            fixmedins_name: name,
            facility_level: level,
            visit_no: visit_no.expect("required"),
            receipt_no: receipt_no.expect("required"),
            med_type: med_type.expect("required"),
            begntime: begntime.expect("required"),
            endtime,
            dise_codg,
            emergency,
            lines,
        })
    }
}

fn line(p: &mut Vec<FieldProblem>, n: usize, l: &ReimbursementLineInput) -> Option<FeeLine> {
    let f = |name: &str| format!("feedetail[{n}].{name}");
    let sn = text_field(p, &f("feedetl_sn"), l.feedetl_sn.as_deref(), true);
    let codg = text_field(p, &f("med_list_codg"), l.med_list_codg.as_deref(), true);
    let cnt = text_field(p, &f("cnt"), l.cnt.as_deref(), true)
        .and_then(|t| Qty::parse(&t).map_err(|e| p.push(problem(&f("cnt"), &e.to_string()))).ok());
    let pric = text_field(p, &f("pric"), l.pric.as_deref(), true)
        .and_then(|t| Price::parse(&t).map_err(|e| p.push(problem(&f("pric"), &e.to_string()))).ok());
    let sum = text_field(p, &f("det_item_fee_sumamt"), l.det_item_fee_sumamt.as_deref(), true)
        .and_then(|t| amount(p, &f("det_item_fee_sumamt"), &t));
    let at = parse_time(p, &f("fee_ocur_time"), l.fee_ocur_time.as_deref(), false);
    Some(FeeLine {
        feedetl_sn: sn?,
        med_list_codg: codg?,
        cnt: cnt?,
        pric: pric?,
        amount: sum?,
        fee_ocur_time: at,
    })
}

impl InquiryQuery {
    fn parse(&self) -> Result<(Option<bool>, bool, Option<String>), AgencyError> {
        let mut p = Vec::new();
        let answered = match self.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("open") => Some(false),
            Some("answered") => Some(true),
            Some(other) => {
                p.push(problem(
                    "status",
                    &format!("应为 open（待答复）或 answered（已答复），收到“{other}”"),
                ));
                None
            }
        };
        let overdue = match self.overdue.as_deref().map(str::trim) {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                p.push(problem("overdue", &format!("应为 true 或 false，收到“{other}”")));
                false
            }
        };
        let setl_id = text_field(&mut p, "setl_id", self.setl_id.as_deref(), false);
        finish(p, || (answered, overdue, setl_id))
    }
}

/// Who may see an adjustment: the two regions of its settlement.
fn sees(who: &AgencyUser, insured: &str, treatment: &str) -> bool {
    who.admdvs == insured || who.admdvs == treatment
}

fn settlement_not_found(setl_id: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "settlement_not_found",
        message: format!("没有本统筹区可查看的结算 {setl_id}，请核对结算ID"),
    }
}

impl Hub {
    async fn adjust_op<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut State, DateTime) -> Result<T, AgencyError> + Send + 'static,
    ) -> Result<T, AgencyError> {
        self.on_sequencer(move |state, clock| op(state, clock.now()))
            .await
            .unwrap_or(Err(AgencyError::Unavailable))
    }

    /// Books a refusal or deduction (before clearing) or a recovery (after) of a settlement at a
    /// facility of the agency's region.
    pub async fn agency_adjust(
        &self,
        who: &AgencyUser,
        setl_id: &str,
        input: &AdjustmentInput,
    ) -> Result<AdjustmentView, AgencyError> {
        let req = input.parse()?;
        let (who, setl_id) = (who.clone(), setl_id.to_string());
        self.adjust_op(move |state, now| {
            super::refusal::adjust(state, &who, &setl_id, req, now).map(|a| views::adjustment_view(&a))
        })
        .await
    }

    /// Withdraws an adjustment booked by mistake while its month is open (treatment side).
    pub async fn agency_withdraw_adjustment(
        &self,
        who: &AgencyUser,
        adj_id: &str,
        reason: Option<&str>,
    ) -> Result<AdjustmentView, AgencyError> {
        let mut p = Vec::new();
        let reason = text_field(&mut p, "reason", reason, true);
        let reason = finish(p, || reason.expect("required"))?;
        let (who, adj_id) = (who.clone(), adj_id.to_string());
        self.adjust_op(move |state, now| {
            super::refusal::withdraw(state, &who, &adj_id, reason, now).map(|a| views::adjustment_view(&a))
        })
        .await
    }

    /// The refusals and recoveries of one settlement (either side of it).
    pub async fn agency_settlement_adjustments(
        &self,
        who: &AgencyUser,
        setl_id: &str,
    ) -> Result<Vec<AdjustmentView>, AgencyError> {
        let (who, setl_id) = (who.clone(), setl_id.to_string());
        self.adjust_op(move |state, _| {
            let st = state.settlements.get(&setl_id).ok_or_else(|| settlement_not_found(&setl_id))?;
            let (insured, treatment) = crate::agency::settlement_regions(&state.pack, st);
            if !sees(&who, insured.as_deref().unwrap_or(""), treatment.as_deref().unwrap_or("")) {
                return Err(settlement_not_found(&setl_id));
            }
            Ok(state.funds.adjust.adjustments_of(&setl_id).map(views::adjustment_view).collect())
        })
        .await
    }

    /// The refusals and recoveries the agency booked or benefits from, newest first; `month`
    /// (`YYYY-MM`) keeps those counting in that clearing month.
    pub async fn agency_adjustments(
        &self,
        who: &AgencyUser,
        month: Option<&str>,
    ) -> Result<List<AdjustmentView>, AgencyError> {
        let month = match month.map(str::trim).filter(|m| !m.is_empty()) {
            None => None,
            Some(m) => Some(Month::parse(m).ok_or_else(|| {
                AgencyError::Invalid(vec![problem("month", &format!("应为 YYYY-MM，收到“{m}”"))])
            })?),
        };
        let who = who.clone();
        self.adjust_op(move |state, _| {
            let mut rows: Vec<_> = state
                .funds
                .adjust
                .adjustments
                .values()
                .filter(|a| sees(&who, &a.insured_admdvs, &a.treatment_admdvs))
                .filter(|a| month.is_none_or(|m| a.month == m.to_string()))
                .collect();
            rows.sort_by(|a, b| b.at.cmp(&a.at).then(b.adj_id.cmp(&a.adj_id)));
            Ok(list(rows.into_iter().map(views::adjustment_view).collect()))
        })
        .await
    }

    /// Opens a verification request on a settlement of a person insured in the agency's region.
    pub async fn agency_open_inquiry(
        &self,
        who: &AgencyUser,
        setl_id: &str,
        input: &InquiryInput,
    ) -> Result<InquiryView, AgencyError> {
        let (question, days) = input.parse()?;
        let (who, setl_id) = (who.clone(), setl_id.to_string());
        self.adjust_op(move |state, now| {
            let i = super::inquiry::open(state, &who, &setl_id, question, days, now)?;
            Ok(views::inquiry_view(&i, &who.admdvs, now.date()))
        })
        .await
    }

    /// The treatment side answers a verification request.
    pub async fn agency_answer_inquiry(
        &self,
        who: &AgencyUser,
        inquiry_id: &str,
        input: &AnswerInput,
    ) -> Result<InquiryView, AgencyError> {
        let mut p = Vec::new();
        let finding = text_field(&mut p, "finding", input.finding.as_deref(), true);
        let adj_id = text_field(&mut p, "adj_id", input.adj_id.as_deref(), false);
        let finding = finish(p, || finding.expect("required"))?;
        let (who, inquiry_id) = (who.clone(), inquiry_id.to_string());
        self.adjust_op(move |state, now| {
            let i = super::inquiry::answer(state, &who, &inquiry_id, finding, adj_id, now)?;
            Ok(views::inquiry_view(&i, &who.admdvs, now.date()))
        })
        .await
    }

    /// One verification request (either side).
    pub async fn agency_inquiry(
        &self,
        who: &AgencyUser,
        inquiry_id: &str,
    ) -> Result<InquiryView, AgencyError> {
        let (who, inquiry_id) = (who.clone(), inquiry_id.to_string());
        self.adjust_op(move |state, now| {
            let i = super::inquiry::get(state, &who, &inquiry_id)?;
            Ok(views::inquiry_view(&i, &who.admdvs, now.date()))
        })
        .await
    }

    /// The verification requests the agency opened or must answer, newest first; overdue ones
    /// are flagged.
    pub async fn agency_inquiries(
        &self,
        who: &AgencyUser,
        q: &InquiryQuery,
    ) -> Result<List<InquiryView>, AgencyError> {
        let (answered, overdue, setl_id) = q.parse()?;
        let who = who.clone();
        self.adjust_op(move |state, now| {
            let mut rows: Vec<InquiryView> = state
                .funds
                .adjust
                .inquiries
                .values()
                .filter(|i| sees(&who, &i.insured_admdvs, &i.treatment_admdvs))
                .filter(|i| answered.is_none_or(|a| a == i.answer.is_some()))
                .filter(|i| setl_id.as_ref().is_none_or(|s| *s == i.setl_id))
                .map(|i| views::inquiry_view(i, &who.admdvs, now.date()))
                .filter(|v| !overdue || v.overdue)
                .collect();
            rows.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.inquiry_id.cmp(&a.inquiry_id)));
            Ok(list(rows))
        })
        .await
    }

    /// Computes a manual reimbursement of a cash-paid bill of a person insured in the region.
    pub async fn agency_reimburse(
        &self,
        who: &AgencyUser,
        psn_no: &str,
        input: &ReimbursementInput,
    ) -> Result<ReimbursementView, AgencyError> {
        let bill = input.parse()?;
        let (who, psn_no) = (who.clone(), psn_no.to_string());
        self.adjust_op(move |state, now| {
            super::reimburse::compute(state, &who, &psn_no, bill, now).map(|r| views::reimbursement_view(&r))
        })
        .await
    }

    /// Records the payment of a computed manual reimbursement to the person, on `paid_on`
    /// (today when not given; not in the future, not before the reimbursement was computed).
    pub async fn agency_pay_reimbursement(
        &self,
        who: &AgencyUser,
        reimb_id: &str,
        input: &PayInput,
    ) -> Result<ReimbursementView, AgencyError> {
        let (who, reimb_id, input) = (who.clone(), reimb_id.to_string(), input.clone());
        self.adjust_op(move |state, now| {
            let (serial, paid_on) = input.parse(now.date())?;
            super::reimburse::pay(state, &who, &reimb_id, serial, paid_on, now)
                .map(|r| views::reimbursement_view(&r))
        })
        .await
    }

    /// The region's manual reimbursements (of one person when `psn_no` is given), newest first.
    pub async fn agency_reimbursements(
        &self,
        who: &AgencyUser,
        psn_no: Option<&str>,
    ) -> Result<List<ReimbursementView>, AgencyError> {
        let (who, psn_no) = (who.clone(), psn_no.map(str::to_string).filter(|p| !p.is_empty()));
        self.adjust_op(move |state, _| {
            let book = &state.funds.adjust;
            let mut rows: Vec<_> = match &psn_no {
                Some(p) => book.reimbursements_of(p).filter(|r| r.insured_admdvs == who.admdvs).collect(),
                None => book.reimbursements.values().filter(|r| r.insured_admdvs == who.admdvs).collect(),
            };
            rows.sort_by(|a, b| b.computed_at.cmp(&a.computed_at).then(b.reimb_id.cmp(&a.reimb_id)));
            Ok(list(rows.into_iter().map(views::reimbursement_view).collect()))
        })
        .await
    }

    /// A person's manual reimbursements and their status, oldest first, for the person portal.
    /// Empty when the person has none (or the hub is stopping).
    pub async fn person_reimbursements(&self, psn_no: &str) -> Vec<PersonReimbursement> {
        let psn_no = psn_no.to_string();
        self.on_sequencer(move |state, _| {
            state.funds.adjust.reimbursements_of(&psn_no).map(views::person_reimbursement).collect()
        })
        .await
        .unwrap_or_default()
    }

    /// The clearing applications of the agency's facilities, newest first.
    pub async fn agency_applications(
        &self,
        who: &AgencyUser,
        setlym: Option<&str>,
        fixmedins_code: Option<&str>,
    ) -> Result<List<ApplicationView>, AgencyError> {
        let who = who.clone();
        let setlym = setlym.map(|m| m.replace('-', "")).filter(|m| !m.is_empty());
        let facility = fixmedins_code.map(str::to_string).filter(|f| !f.is_empty());
        self.adjust_op(move |state, _| {
            let book = &state.funds.adjust;
            let mut rows: Vec<_> = book
                .applications
                .values()
                .filter(|a| a.clr_optins == who.admdvs)
                .filter(|a| setlym.as_ref().is_none_or(|m| *m == a.setlym))
                .filter(|a| facility.as_ref().is_none_or(|f| *f == a.fixmedins_code))
                .collect();
            rows.sort_by(|a, b| {
                b.applied_at.cmp(&a.applied_at).then(b.clr_appy_evt_id.cmp(&a.clr_appy_evt_id))
            });
            Ok(list(rows.into_iter().map(|a| views::application_view(book, a)).collect()))
        })
        .await
    }

    /// Pays a facility's clearing application under the local agreement (rule 24).
    pub async fn agency_pay_application(
        &self,
        who: &AgencyUser,
        clr_appy_evt_id: &str,
        input: &PayInput,
    ) -> Result<FacilityPaymentView, AgencyError> {
        let (who, id, input) = (who.clone(), clr_appy_evt_id.to_string(), input.clone());
        self.adjust_op(move |state, now| {
            let (serial, paid_on) = input.parse(now.date())?;
            super::apply::pay_application(state, &who, &id, serial, paid_on.to_string(), now)
                .map(|p| views::payment_view(&p))
        })
        .await
    }

    /// The agency's payments to its facilities, newest first.
    pub async fn agency_facility_payments(
        &self,
        who: &AgencyUser,
    ) -> Result<List<FacilityPaymentView>, AgencyError> {
        let who = who.clone();
        self.adjust_op(move |state, _| {
            let mut rows: Vec<_> =
                state.funds.adjust.payments.values().filter(|p| p.agency_admdvs == who.admdvs).collect();
            rows.sort_by(|a, b| b.at.cmp(&a.at).then(b.payment_id.cmp(&a.payment_id)));
            Ok(list(rows.into_iter().map(views::payment_view).collect()))
        })
        .await
    }
}
