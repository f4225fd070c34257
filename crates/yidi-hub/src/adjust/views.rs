//! What the agency API (and the person portal) answer about this module's records: plain
//! serialisable views, amounts as yuan text with two decimals (never JSON numbers).

use serde::Serialize;
use yidi_domain::{Date, Fen};

use super::{
    AdjustBook, Adjustment, AppStatus, Application, FacilityPayment, Inquiry, ReimburseStatus, Reimbursement,
};

fn yuan(fen: i64) -> String {
    Fen::new(fen).yuan()
}

#[derive(Clone, Debug, Serialize)]
pub struct FundAmountView {
    pub fund_pay_type: String,
    pub amount: String,
}

/// A refusal, deduction or recovery.
#[derive(Clone, Debug, Serialize)]
pub struct AdjustmentView {
    pub adj_id: String,
    pub setl_id: String,
    /// `refusal`, `deduction` or `recovery`.
    pub stage: &'static str,
    pub stage_name: &'static str,
    pub amounts: Vec<FundAmountView>,
    pub total: String,
    pub reason: String,
    pub evidence: Option<String>,
    pub inquiry_id: Option<String>,
    pub fixmedins_code: String,
    pub psn_no: String,
    pub insured_admdvs: String,
    pub treatment_admdvs: String,
    /// The settlement's clearing month.
    pub origin_month: String,
    /// The clearing month the adjustment counts in (the next clearing in the insured side's
    /// favour): the settlement's own month before clearing, a later one for a recovery.
    pub month: String,
    pub at: String,
    pub by: String,
    /// The facility payment that deducted it from the facility, once paid.
    pub netted_by: Option<String>,
    /// `booked`, or `withdrawn` (撤回: its posting reversed in the same month).
    pub status: &'static str,
    pub withdrawn_at: Option<String>,
    pub withdrawn_by: Option<String>,
    pub withdraw_reason: Option<String>,
    /// The facility payment that gave a withdrawn, already netted amount back.
    pub credited_by: Option<String>,
}

pub fn adjustment_view(a: &Adjustment) -> AdjustmentView {
    AdjustmentView {
        adj_id: a.adj_id.clone(),
        setl_id: a.setl_id.clone(),
        stage: a.stage.code(),
        stage_name: a.stage.name_zh(),
        amounts: a
            .amounts
            .iter()
            .map(|(f, v)| FundAmountView { fund_pay_type: f.clone(), amount: yuan(*v) })
            .collect(),
        total: a.total().yuan(),
        reason: a.reason.clone(),
        evidence: a.evidence.clone(),
        inquiry_id: a.inquiry_id.clone(),
        fixmedins_code: a.fixmedins_code.clone(),
        psn_no: a.psn_no.clone(),
        insured_admdvs: a.insured_admdvs.clone(),
        treatment_admdvs: a.treatment_admdvs.clone(),
        origin_month: a.origin_month.clone(),
        month: a.month.clone(),
        at: a.at.clone(),
        by: a.by.clone(),
        netted_by: a.netted_by.clone(),
        status: if a.withdrawn.is_some() { "withdrawn" } else { "booked" },
        withdrawn_at: a.withdrawn.as_ref().map(|w| w.at.clone()),
        withdrawn_by: a.withdrawn.as_ref().map(|w| w.by.clone()),
        withdraw_reason: a.withdrawn.as_ref().map(|w| w.reason.clone()),
        credited_by: a.withdrawn.as_ref().and_then(|w| w.credited_by.clone()),
    }
}

/// A facility's clearing application (3203), with what paying it now would transfer.
#[derive(Clone, Debug, Serialize)]
pub struct ApplicationView {
    pub clr_appy_evt_id: String,
    pub fixmedins_code: String,
    pub clr_optins: String,
    pub clr_type: String,
    pub clr_way: String,
    pub setlym: String,
    pub begndate: String,
    pub enddate: String,
    pub psntime: i64,
    pub medfee_sumamt: String,
    pub med_sumfee: String,
    pub fund_appy_sum: String,
    pub cash_payamt: String,
    pub acct_pay: String,
    /// `applied`, `paid` or `cancelled`.
    pub status: AppStatus,
    /// Refusals, deductions and recoveries of the application's settlements.
    pub deducted: String,
    pub setl_ids: Vec<String>,
    pub applied_at: String,
    pub msgid: String,
    pub cancelled_at: Option<String>,
    pub payment_id: Option<String>,
}

pub fn application_view(book: &AdjustBook, a: &Application) -> ApplicationView {
    let deducted: Fen = a.setl_ids.iter().map(|s| book.adjusted(s).total()).sum();
    ApplicationView {
        clr_appy_evt_id: a.clr_appy_evt_id.clone(),
        fixmedins_code: a.fixmedins_code.clone(),
        clr_optins: a.clr_optins.clone(),
        clr_type: a.clr_type.clone(),
        clr_way: a.clr_way.clone(),
        setlym: a.setlym.clone(),
        begndate: a.begndate.clone(),
        enddate: a.enddate.clone(),
        psntime: a.psntime,
        medfee_sumamt: yuan(a.medfee_sumamt),
        med_sumfee: yuan(a.med_sumfee),
        fund_appy_sum: yuan(a.fund_appy_sum),
        cash_payamt: yuan(a.cash_payamt),
        acct_pay: yuan(a.acct_pay),
        status: a.status,
        deducted: deducted.yuan(),
        setl_ids: a.setl_ids.clone(),
        applied_at: a.applied_at.clone(),
        msgid: a.msgid.clone(),
        cancelled_at: a.cancelled_at.clone(),
        payment_id: a.payment_id.clone(),
    }
}

/// The treatment agency's payment of one application.
#[derive(Clone, Debug, Serialize)]
pub struct FacilityPaymentView {
    pub payment_id: String,
    pub clr_appy_evt_id: String,
    pub fixmedins_code: String,
    pub agency_admdvs: String,
    /// The application's fund and account shares.
    pub gross: String,
    /// Adjustments netted (booked since the facility's previous payment).
    pub netted: String,
    pub netted_adj_ids: Vec<String>,
    /// Withdrawn adjustments netted by an earlier payment, given back here.
    pub credited_adj_ids: Vec<String>,
    pub amount: String,
    pub bank_serial: String,
    pub paid_on: String,
    pub at: String,
    pub by: String,
}

pub fn payment_view(p: &FacilityPayment) -> FacilityPaymentView {
    FacilityPaymentView {
        payment_id: p.payment_id.clone(),
        clr_appy_evt_id: p.clr_appy_evt_id.clone(),
        fixmedins_code: p.fixmedins_code.clone(),
        agency_admdvs: p.agency_admdvs.clone(),
        gross: yuan(p.gross_fen),
        netted: yuan(p.netted_fen),
        netted_adj_ids: p.netted.clone(),
        credited_adj_ids: p.credited.clone(),
        amount: yuan(p.amount_fen),
        bank_serial: p.bank_serial.clone(),
        paid_on: p.paid_on.clone(),
        at: p.at.clone(),
        by: p.by.clone(),
    }
}

/// A verification request as either side sees it.
#[derive(Clone, Debug, Serialize)]
pub struct InquiryView {
    pub inquiry_id: String,
    pub setl_id: String,
    pub fixmedins_code: String,
    pub psn_no: String,
    pub insured_admdvs: String,
    pub treatment_admdvs: String,
    /// `insured` (we asked) or `treatment` (we must answer).
    pub side: &'static str,
    pub question: String,
    pub opened_at: String,
    pub opened_by: String,
    pub deadline: String,
    /// `open` or `answered`.
    pub status: &'static str,
    /// Open past its deadline.
    pub overdue: bool,
    /// Answered after its deadline.
    pub answered_late: bool,
    pub finding: Option<String>,
    pub adj_id: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
}

pub fn inquiry_view(i: &Inquiry, admdvs: &str, today: Date) -> InquiryView {
    let deadline = Date::parse(&i.deadline).ok();
    let late = |day: Date| deadline.is_some_and(|d| day > d);
    let answered_day =
        i.answer.as_ref().and_then(|a| a.answered_at.get(..10)).and_then(|d| Date::parse(d).ok());
    InquiryView {
        inquiry_id: i.inquiry_id.clone(),
        setl_id: i.setl_id.clone(),
        fixmedins_code: i.fixmedins_code.clone(),
        psn_no: i.psn_no.clone(),
        insured_admdvs: i.insured_admdvs.clone(),
        treatment_admdvs: i.treatment_admdvs.clone(),
        side: if i.insured_admdvs == admdvs { "insured" } else { "treatment" },
        question: i.question.clone(),
        opened_at: i.opened_at.clone(),
        opened_by: i.opened_by.clone(),
        deadline: i.deadline.clone(),
        status: if i.answer.is_some() { "answered" } else { "open" },
        overdue: i.answer.is_none() && late(today),
        answered_late: answered_day.is_some_and(late),
        finding: i.answer.as_ref().map(|a| a.finding.clone()),
        adj_id: i.answer.as_ref().and_then(|a| a.adj_id.clone()),
        answered_at: i.answer.as_ref().map(|a| a.answered_at.clone()),
        answered_by: i.answer.as_ref().map(|a| a.answered_by.clone()),
    }
}

/// One line of a reimbursement, as the engine split it.
#[derive(Clone, Debug, Serialize)]
pub struct ReimbursementLine {
    pub feedetl_sn: String,
    pub med_list_codg: String,
    pub chrgitm_lv: String,
    pub amount: String,
    pub inscp_scp_amt: String,
    pub fulamt_ownpay_amt: String,
    pub overlmt_amt: String,
    pub preselfpay_amt: String,
}

/// A manual reimbursement as the insured agency sees it.
#[derive(Clone, Debug, Serialize)]
pub struct ReimbursementView {
    pub reimb_id: String,
    pub psn_no: String,
    pub insured_admdvs: String,
    pub fixmedins_code: String,
    pub fixmedins_name: Option<String>,
    pub visit_no: String,
    pub receipt_no: String,
    pub med_type: String,
    pub begntime: String,
    pub endtime: Option<String>,
    pub dise_codg: Option<String>,
    pub medfee_sumamt: String,
    pub fulamt_ownpay_amt: String,
    pub overlmt_selfpay: String,
    pub preselfpay_amt: String,
    pub inscp_scp_amt: String,
    pub act_pay_dedc: String,
    pub hifp_pay: String,
    pub hifob_pay: String,
    pub hifmi_pay: String,
    pub maf_pay: String,
    /// What the funds reimburse (paid to the person).
    pub fund_pay_sumamt: String,
    /// What the person bears.
    pub psn_part_amt: String,
    /// `computed` or `paid`.
    pub status: ReimburseStatus,
    pub computed_at: String,
    pub computed_by: String,
    pub paid_at: Option<String>,
    pub bank_serial: Option<String>,
    pub lines: Vec<ReimbursementLine>,
    pub trace: Vec<String>,
}

pub fn reimbursement_view(r: &Reimbursement) -> ReimbursementView {
    ReimbursementView {
        reimb_id: r.reimb_id.clone(),
        psn_no: r.psn_no.clone(),
        insured_admdvs: r.insured_admdvs.clone(),
        fixmedins_code: r.fixmedins_code.clone(),
        fixmedins_name: r.fixmedins_name.clone(),
        visit_no: r.visit_no.clone(),
        receipt_no: r.receipt_no.clone(),
        med_type: r.med_type.clone(),
        begntime: r.begntime.clone(),
        endtime: r.endtime.clone(),
        dise_codg: r.dise_codg.clone(),
        medfee_sumamt: yuan(r.medfee_sumamt),
        fulamt_ownpay_amt: yuan(r.fulamt_ownpay_amt),
        overlmt_selfpay: yuan(r.overlmt_selfpay),
        preselfpay_amt: yuan(r.preselfpay_amt),
        inscp_scp_amt: yuan(r.inscp_scp_amt),
        act_pay_dedc: yuan(r.act_pay_dedc),
        hifp_pay: yuan(r.hifp_pay),
        hifob_pay: yuan(r.hifob_pay),
        hifmi_pay: yuan(r.hifmi_pay),
        maf_pay: yuan(r.maf_pay),
        fund_pay_sumamt: yuan(r.fund_pay_sumamt),
        psn_part_amt: yuan(r.psn_part_amt),
        status: r.status,
        computed_at: r.computed_at.clone(),
        computed_by: r.computed_by.clone(),
        paid_at: r.paid_at.clone(),
        bank_serial: r.bank_serial.clone(),
        lines: r
            .lines
            .iter()
            .map(|l| ReimbursementLine {
                feedetl_sn: l.feedetl_sn.clone(),
                med_list_codg: l.med_list_codg.clone(),
                chrgitm_lv: l.chrgitm_lv.clone(),
                amount: yuan(l.amount),
                inscp_scp_amt: yuan(l.inscp_scp_amt),
                fulamt_ownpay_amt: yuan(l.fulamt_ownpay_amt),
                overlmt_amt: yuan(l.overlmt_amt),
                preselfpay_amt: yuan(l.preselfpay_amt),
            })
            .collect(),
        trace: r.trace.clone(),
    }
}

/// A manual reimbursement as the person sees it on the portal (`Hub::person_reimbursements`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonReimbursement {
    pub reimb_id: String,
    pub fixmedins_code: String,
    pub fixmedins_name: Option<String>,
    pub receipt_no: String,
    pub begntime: String,
    pub medfee_sumamt: Fen,
    /// What the funds reimburse.
    pub reimbursed: Fen,
    /// What the person bears.
    pub own_part: Fen,
    /// `computed` (核算完成，待支付) or `paid` (已支付).
    pub status: ReimburseStatus,
    pub status_name: &'static str,
    pub computed_at: String,
    pub paid_at: Option<String>,
}

pub fn person_reimbursement(r: &Reimbursement) -> PersonReimbursement {
    PersonReimbursement {
        reimb_id: r.reimb_id.clone(),
        fixmedins_code: r.fixmedins_code.clone(),
        fixmedins_name: r.fixmedins_name.clone(),
        receipt_no: r.receipt_no.clone(),
        begntime: r.begntime.clone(),
        medfee_sumamt: Fen::new(r.medfee_sumamt),
        reimbursed: Fen::new(r.fund_pay_sumamt),
        own_part: Fen::new(r.psn_part_amt),
        status: r.status,
        status_name: match r.status {
            ReimburseStatus::Computed => "已核算，待支付",
            ReimburseStatus::Paid => "已支付",
        },
        computed_at: r.computed_at.clone(),
        paid_at: r.paid_at.clone(),
    }
}
