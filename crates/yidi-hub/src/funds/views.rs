//! What the funds API answers: plain serialisable views. Amounts are yuan text with two decimals
//! (`"136.50"`), never JSON numbers; ratios are basis points (integers) plus a percent text.

use serde::Serialize;
use yidi_ledger::{AdjustmentLine, CareLine, ClrType, Fund, FundAmounts, Pair};

/// One fund's amount in a statement line.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FundCellView {
    /// `fund_pay_type`: 310100, 390100, 330100, 390200, 610100, 310200.
    pub fund: &'static str,
    pub name: &'static str,
    pub amount: String,
}

/// One line of a statement: a care type (`11` outpatient, `21` inpatient), refusals or
/// recoveries; `count` is net of reversals (withdrawals).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CareLineView {
    pub line: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub funds: Vec<FundCellView>,
    pub total: String,
}

/// How a pair is cleared.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ModeView {
    pub insured: String,
    pub treatment: String,
    /// `itemised` (按实际发生额, the default) or `lump_sum` (按人头包干).
    pub mode: &'static str,
    pub yuan_per_person_month: Option<String>,
    pub persons: Option<u32>,
    pub set_by: Option<String>,
    pub set_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ConfirmationView {
    /// `insured` or `treatment`.
    pub side: &'static str,
    pub by: String,
    pub at: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PaymentView {
    /// The province whose finance paid (the insured one unless the amount due is negative).
    pub payer: String,
    pub payee: String,
    pub amount: String,
    pub bank_name: String,
    pub bank_serial: String,
    pub paid_on: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A late confirmation or payment.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AlertView {
    pub pair: String,
    /// `confirmation_late` or `payment_late`.
    pub code: &'static str,
    pub message: String,
    pub due_on: String,
}

/// One pair's clearing of a frozen month and where it stands.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ClearingPairView {
    pub month: String,
    pub pair: String,
    pub insured: String,
    pub treatment: String,
    /// The caller's side: `insured` or `treatment`.
    pub side: &'static str,
    /// Settlements counted (net of reversals), all care types.
    pub settlements: i64,
    pub pooled: String,
    pub personal: String,
    pub adjustments: String,
    /// What the insured province pays (negative: what it receives).
    pub due: String,
    pub mode: &'static str,
    /// `awaiting_confirmation`, `awaiting_payment` or `paid`.
    pub status: &'static str,
    pub confirmations: Vec<ConfirmationView>,
    pub payment: Option<PaymentView>,
    pub confirm_by: String,
    pub pay_by: String,
    pub alerts: Vec<AlertView>,
}

/// A frozen month as one province sees it: its pairs and every alert.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ClearingMonthView {
    pub month: String,
    pub province: String,
    pub frozen_at: String,
    pub frozen_by: String,
    pub confirm_by: String,
    pub pay_by: String,
    pub pairs: Vec<ClearingPairView>,
    pub alerts: Vec<AlertView>,
}

/// A pair's statement for a month: frozen (the clearing) or still running (`frozen: false`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StatementView {
    pub month: String,
    pub pair: String,
    pub insured: String,
    pub treatment: String,
    /// The provinces' names from the national division table (`北京市`), empty if unknown.
    pub insured_name: String,
    pub treatment_name: String,
    pub frozen: bool,
    pub mode: ModeView,
    pub lines: Vec<CareLineView>,
    /// Σ settlements' pooled fund share (charged against the prepayment).
    pub pooled: String,
    /// Σ personal-account share (advanced outside the prepayment).
    pub personal: String,
    /// Refusals and recoveries, in the insured province's favour.
    pub adjustments: String,
    pub itemised_due: String,
    pub due: String,
    pub clearing: Option<ClearingPairView>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TransferView {
    pub from: String,
    pub to: String,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PositionView {
    pub province: String,
    /// Receivable − payable.
    pub position: String,
}

/// Gross and netted transfers of a frozen month as one province sees them: the transfers it
/// pays or receives and its own net position; the three totals are national.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NettingView {
    pub month: String,
    pub gross: Vec<TransferView>,
    pub positions: Vec<PositionView>,
    pub net: Vec<TransferView>,
    pub gross_total: String,
    pub net_total: String,
    pub saving: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NoticeView {
    pub year: i32,
    /// The year's prepayment.
    pub amount: String,
    /// What the notice changed the prepayment by (negative: returned).
    pub change: String,
    /// `previous_year` (months × the previous year's monthly average) or `set_by_insured`.
    pub basis: &'static str,
    pub previous_year_fund_share: String,
    pub months: u32,
    pub by: String,
    pub at: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TopUpView {
    pub id: String,
    pub requested_by: String,
    pub requested_at: String,
    pub amount: String,
    /// Utilisation when requested, basis points.
    pub ratio_bp: Option<i64>,
    pub reason: String,
    /// `open` or `approved`.
    pub state: &'static str,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub approved_amount: Option<String>,
}

/// A pair's prepayment for the agency dashboard.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PrepaymentView {
    pub pair: String,
    pub insured: String,
    pub treatment: String,
    /// The caller's side: `insured` or `treatment`.
    pub side: &'static str,
    /// Σ prepayments made (notices and top-ups).
    pub funded: String,
    /// Fund shares charged and not yet paid back by a clearing payment (cleared + uncleared).
    pub charged: String,
    /// charged / funded, basis points rounded down; `None` when nothing is funded.
    pub ratio_bp: Option<i64>,
    /// The same as a percent text, `"73.45%"`, or `"—"`.
    pub utilisation: String,
    /// `none`, `yellow` (≥ yellow threshold) or `red` (≥ red threshold).
    pub warning: &'static str,
    pub yellow_bp: u32,
    pub red_bp: u32,
    /// Red, and no top-up request is open: the treatment province should ask for one.
    pub top_up_needed: bool,
    pub notices: Vec<NoticeView>,
    pub top_ups: Vec<TopUpView>,
}

pub(crate) fn fund_name(fund: Fund) -> &'static str {
    match fund {
        Fund::EmployeeBasic => "职工基本医疗保险统筹基金",
        Fund::ResidentBasic => "居民基本医疗保险统筹基金",
        Fund::LargeAmount => "职工大额医疗费用补助",
        Fund::CriticalIllness => "居民大病保险",
        Fund::Assistance => "医疗救助基金",
        Fund::PersonalAccount => "职工个人账户",
    }
}

pub(crate) fn clr_label(clr_type: ClrType) -> &'static str {
    match clr_type {
        ClrType::Outpatient => "门诊（含门诊慢特病）",
        ClrType::Inpatient => "住院",
    }
}

pub(crate) fn funds(amounts: &FundAmounts) -> Vec<FundCellView> {
    Fund::ALL
        .into_iter()
        .map(|f| FundCellView { fund: f.code(), name: fund_name(f), amount: amounts.get(f).to_string() })
        .collect()
}

pub(crate) fn care_line(clr_type: ClrType, line: &CareLine) -> CareLineView {
    CareLineView {
        line: clr_type.code(),
        label: clr_label(clr_type),
        count: line.count,
        funds: funds(&line.amounts),
        total: line.amounts.total().to_string(),
    }
}

pub(crate) fn adjustment_line(line: &'static str, label: &'static str, a: &AdjustmentLine) -> CareLineView {
    CareLineView {
        line,
        label,
        count: a.count,
        funds: funds(&a.amounts),
        total: a.amounts.total().to_string(),
    }
}

/// Basis points as a percent text with two decimals.
pub(crate) fn percent(ratio_bp: Option<i64>) -> String {
    match ratio_bp {
        Some(r) => format!("{}.{:02}%", r.div_euclid(100), r.rem_euclid(100)),
        None => "—".to_string(),
    }
}

pub(crate) fn pair_codes(pair: Pair) -> (String, String, String) {
    (pair.to_string(), pair.insured().to_string(), pair.treatment().to_string())
}
