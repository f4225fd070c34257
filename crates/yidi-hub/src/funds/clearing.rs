//! Monthly clearing (清算) through the agency API: clearing modes, the month's freeze, statements
//! and detail files, confirmation by both provinces, payment records, deadlines and netting.
//!
//! Key design decision — the freeze is national. The ledger closes a month for every pair at
//! once (`Ledger::close_month`), as the national platform produces every province pair's
//! clearing data at month end; a freeze is therefore one act, done by any province token once the
//! month has ended by the hub clock. From then on every posting counting in the month is refused
//! (a 2208/2305/2601 reversal of one of its settlements answers `month_cleared`, telling the
//! clerk to ask for a recovery), and the month's statements never change. Confirmations and
//! payments are per pair, each by its own province.
//!
//! Events: `clearing.mode` (insured province: itemised or lump sum, for months frozen later),
//! `clearing.freeze`, `clearing.confirm`, `clearing.pay` (with its `clearing_payment` posting).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yidi_domain::{Date, DateTime, DivisionCode, Fen};
use yidi_ledger::{
    Account, ClearingConfig, ClearingMode, ClrType, LumpSum, Month, Pair, PairClearing, PairStatement,
    PostingKind, Sense,
};
use yidi_store::{FundsEventRecord, SettlementStatus};

use super::roles::{PairSide, acting_province, pair_not_found, parse_month, parse_pair, province_of};
use super::views::{
    self, AlertView, ClearingMonthView, ClearingPairView, ConfirmationView, ModeView, NettingView,
    PaymentView, PositionView, StatementView, TransferView,
};
use super::{
    CONFIRM_WORKING_DAYS_DEFAULT, DEADLINE_WORKING_DAYS_MAX, FUNDS_TEXT_CHARS_MAX, PAY_WORKING_DAYS_DEFAULT,
    decode, put_event, workdays,
};
use crate::agency::{AgencyError, AgencyUser, FieldProblem};
use crate::clock::Clock;
use crate::hub::Hub;
use crate::state::State;

/// Clearing records rebuilt from the `clearing.*` events.
#[derive(Clone, Debug, Default)]
pub struct ClearingBook {
    modes: BTreeMap<Pair, ModeSetting>,
    months: BTreeMap<Month, FrozenMonth>,
}

#[derive(Clone, Debug)]
struct ModeSetting {
    lump_sum: Option<LumpSum>,
    by: String,
    at: DateTime,
}

#[derive(Clone, Debug)]
struct FrozenMonth {
    at: DateTime,
    by: String,
    confirm_by: Date,
    pay_by: Date,
    pairs: BTreeMap<Pair, Progress>,
}

#[derive(Clone, Debug, Default)]
struct Progress {
    insured: Option<Stamp>,
    treatment: Option<Stamp>,
    payment: Option<Payment>,
}

#[derive(Clone, Debug)]
struct Stamp {
    by: String,
    at: DateTime,
}

#[derive(Clone, Debug)]
struct Payment {
    payer: DivisionCode,
    payee: DivisionCode,
    amount: Fen,
    bank_name: String,
    bank_serial: String,
    paid_on: Date,
    stamp: Stamp,
}

impl ClearingBook {
    /// The lump sums in force, for the next freeze.
    fn config(&self) -> ClearingConfig {
        self.modes
            .iter()
            .filter_map(|(pair, m)| m.lump_sum.map(|l| (*pair, l)))
            .fold(ClearingConfig::itemised(), |c, (pair, l)| c.with_lump_sum(pair, l))
    }
    pub fn is_frozen(&self, month: Month) -> bool {
        self.months.contains_key(&month)
    }
}

// ---------------------------------------------------------------------------------------------
// Event bodies
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct LumpBody {
    fen_per_person_month: i64,
    persons: u32,
}

#[derive(Serialize, Deserialize)]
struct ModeBody {
    pair: String,
    lump_sum: Option<LumpBody>,
}

#[derive(Serialize, Deserialize)]
struct FreezeBody {
    month: String,
    confirm_working_days: u32,
    pay_working_days: u32,
    /// The lump sums the freeze applied (pair, fen per person-month, persons).
    lump_sums: Vec<(String, i64, u32)>,
}

#[derive(Serialize, Deserialize)]
struct ConfirmBody {
    month: String,
    pair: String,
    side: PairSide,
}

#[derive(Serialize, Deserialize)]
struct PayBody {
    month: String,
    pair: String,
    payer: String,
    payee: String,
    amount_fen: i64,
    bank_name: String,
    bank_serial: String,
    paid_on: String,
}

/// Replays one `clearing.*` event.
pub(super) fn replay(state: &mut State, e: &FundsEventRecord, body: Value) -> Result<(), String> {
    let stamp = Stamp { by: e.by.clone(), at: e.at };
    match e.kind.as_str() {
        "clearing.mode" => apply_mode(state, decode(body)?, stamp),
        "clearing.freeze" => {
            let body: FreezeBody = decode(body)?;
            let month = Month::parse(&body.month).ok_or("月份无法识别")?;
            let config = freeze_config(&body)?;
            state.ledger.close_month(month, &config).map_err(|e| e.to_string())?;
            apply_freeze(state, month, &body, stamp);
            Ok(())
        }
        "clearing.confirm" => apply_confirm(state, decode(body)?, stamp),
        "clearing.pay" => apply_pay(state, decode(body)?, stamp),
        other => Err(format!("未知的清算事件“{other}”")),
    }
}

/// One month closing recorded by a `clearing.freeze` event: the ledger position it happened at
/// (postings with a smaller id came before it), the month and the lump sums it applied.
#[derive(Clone, Debug)]
pub struct LedgerClosing {
    pub posting_seq: u64,
    pub month: Month,
    pub config: ClearingConfig,
}

/// The closings among stored funds events, in order, for tools that replay the postings alone
/// (`yidi ledger verify`): a clearing payment is only admitted once its month is closed.
pub fn ledger_closings(events: &[FundsEventRecord]) -> Result<Vec<LedgerClosing>, String> {
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e.kind == "clearing.freeze") {
        let bad = |what: String| format!("资金事件 #{}（{}）：{what}", e.event_id, e.kind);
        let body: Value = serde_json::from_str(&e.body_json).map_err(|x| bad(x.to_string()))?;
        let posting_seq = body
            .get(super::POSTING_SEQ)
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("缺少 posting_seq".into()))?;
        let body: FreezeBody = decode(body).map_err(bad)?;
        let month = Month::parse(&body.month).ok_or_else(|| bad("月份无法识别".into()))?;
        out.push(LedgerClosing { posting_seq, month, config: freeze_config(&body).map_err(bad)? });
    }
    Ok(out)
}

fn freeze_config(body: &FreezeBody) -> Result<ClearingConfig, String> {
    let mut config = ClearingConfig::itemised();
    for (pair, fen, persons) in &body.lump_sums {
        let pair = Pair::parse(pair).map_err(|e| e.to_string())?;
        let lump = LumpSum::new(pair, Fen::new(*fen), *persons).map_err(|e| e.to_string())?;
        config = config.with_lump_sum(pair, lump);
    }
    Ok(config)
}

fn apply_mode(state: &mut State, body: ModeBody, stamp: Stamp) -> Result<(), String> {
    let pair = Pair::parse(&body.pair).map_err(|e| e.to_string())?;
    let lump_sum = match body.lump_sum {
        Some(l) => {
            Some(LumpSum::new(pair, Fen::new(l.fen_per_person_month), l.persons).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    state.funds.clearing.modes.insert(pair, ModeSetting { lump_sum, by: stamp.by, at: stamp.at });
    Ok(())
}

/// Records a freeze the ledger has just made: every pair with something to clear awaits both
/// confirmations.
fn apply_freeze(state: &mut State, month: Month, body: &FreezeBody, stamp: Stamp) {
    let period = state.ledger.period(month).expect("the month was just closed");
    let pairs = period
        .pairs()
        .filter(|c| has_clearing(c))
        .map(|c| (c.statement().pair(), Progress::default()))
        .collect();
    let day = stamp.at.date();
    state.funds.clearing.months.insert(
        month,
        FrozenMonth {
            confirm_by: workdays::add_working_days(day, body.confirm_working_days),
            pay_by: workdays::add_working_days(day, body.pay_working_days),
            at: stamp.at,
            by: stamp.by,
            pairs,
        },
    );
}

fn apply_confirm(state: &mut State, body: ConfirmBody, stamp: Stamp) -> Result<(), String> {
    let progress = progress_mut(state, &body.month, &body.pair)?;
    let slot = match body.side {
        PairSide::Insured => &mut progress.insured,
        PairSide::Treatment => &mut progress.treatment,
    };
    if slot.is_some() {
        return Err(format!("{} {} 已确认过", body.month, body.pair));
    }
    *slot = Some(stamp);
    Ok(())
}

fn apply_pay(state: &mut State, body: PayBody, stamp: Stamp) -> Result<(), String> {
    let code = |t: &str| DivisionCode::parse(t).map_err(|e| e.to_string());
    let payment = Payment {
        payer: code(&body.payer)?,
        payee: code(&body.payee)?,
        amount: Fen::new(body.amount_fen),
        paid_on: Date::parse(&body.paid_on).map_err(|e| e.to_string())?,
        bank_name: body.bank_name,
        bank_serial: body.bank_serial,
        stamp,
    };
    let progress = progress_mut(state, &body.month, &body.pair)?;
    if progress.payment.is_some() {
        return Err(format!("{} {} 已付款", body.month, body.pair));
    }
    progress.payment = Some(payment);
    Ok(())
}

fn progress_mut<'s>(state: &'s mut State, month: &str, pair: &str) -> Result<&'s mut Progress, String> {
    let m = Month::parse(month).ok_or("月份无法识别")?;
    let p = Pair::parse(pair).map_err(|e| e.to_string())?;
    state
        .funds
        .clearing
        .months
        .get_mut(&m)
        .and_then(|f| f.pairs.get_mut(&p))
        .ok_or_else(|| format!("{month} 没有冻结的 {pair} 清算"))
}

/// A pair's clearing shows something: activity in the month, or a lump sum to pay.
fn has_clearing(c: &PairClearing) -> bool {
    *c.statement() != PairStatement::new(c.statement().pair(), c.statement().month()) || c.due() != Fen::ZERO
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// `POST …/clearing/{month}/freeze`: optional deadlines in working days, as text.
#[derive(Clone, Debug, Default)]
pub struct FreezeInput {
    pub confirm_working_days: Option<String>,
    pub pay_working_days: Option<String>,
}

/// `POST …/payment`: the bank transfer that paid the clearing.
#[derive(Clone, Debug, Default)]
pub struct PaymentInput {
    pub bank_name: Option<String>,
    pub bank_serial: Option<String>,
    /// `YYYY-MM-DD`, the bank's value date.
    pub paid_on: Option<String>,
}

/// `PUT …/clearing/modes/{insured}/{treatment}`: `itemised`, or `lump_sum` with the amount per
/// person-month (yuan text) and the head count.
#[derive(Clone, Debug, Default)]
pub struct ModeInput {
    pub mode: Option<String>,
    pub yuan_per_person_month: Option<String>,
    pub persons: Option<String>,
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem { field: field.to_string(), message: message.into() }
}

fn days_field(text: &Option<String>, field: &str, default: u32, problems: &mut Vec<FieldProblem>) -> u32 {
    match text.as_deref().map(str::trim) {
        None | Some("") => default,
        Some(t) => match t.parse::<u32>() {
            Ok(n) if (1..=DEADLINE_WORKING_DAYS_MAX).contains(&n) => n,
            _ => {
                problems.push(problem(field, format!("应为 1 至 {DEADLINE_WORKING_DAYS_MAX} 的工作日天数")));
                default
            }
        },
    }
}

fn text_field(text: &Option<String>, field: &str, what: &str, problems: &mut Vec<FieldProblem>) -> String {
    let t = text.as_deref().map(str::trim).unwrap_or("");
    if t.is_empty() {
        problems.push(problem(field, format!("请填写{what}")));
    } else if t.chars().count() > FUNDS_TEXT_CHARS_MAX || t.chars().any(char::is_control) {
        problems
            .push(problem(field, format!("{what}不能超过 {FUNDS_TEXT_CHARS_MAX} 个字符，且不能含控制字符")));
    }
    t.to_string()
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

impl Hub {
    /// Freezes month `month` for every pair (module doc); the caller's view of it after.
    pub async fn agency_clearing_freeze(
        &self,
        who: &AgencyUser,
        month: &str,
        input: &FreezeInput,
    ) -> Result<ClearingMonthView, AgencyError> {
        let (who, month, input) = (who.clone(), month.to_string(), input.clone());
        self.funds_op(move |state, clock| freeze(state, &who, &month, &input, clock.now())).await
    }

    /// A frozen month's pairs of the caller's province, with confirmations, payments and alerts.
    pub async fn agency_clearing_month(
        &self,
        who: &AgencyUser,
        month: &str,
    ) -> Result<ClearingMonthView, AgencyError> {
        let (who, month) = (who.clone(), month.to_string());
        self.funds_op(move |state, clock| {
            let month = parse_month(&month)?;
            month_view(state, province_of(&who)?, month, clock.now().date())
        })
        .await
    }

    /// Every frozen month with the caller's province's pairs, newest first (the clearing-status
    /// list of the dashboard); months are few (one a month), so this is never long.
    pub async fn agency_clearing_months(
        &self,
        who: &AgencyUser,
    ) -> Result<Vec<ClearingMonthView>, AgencyError> {
        let who = who.clone();
        self.funds_op(move |state, clock| {
            let province = province_of(&who)?;
            let today = clock.now().date();
            let months: Vec<Month> = state.funds.clearing.months.keys().rev().copied().collect();
            months.into_iter().map(|m| month_view(state, province, m, today)).collect()
        })
        .await
    }

    /// A pair's statement for a month: frozen, or the running one of an open month.
    pub async fn agency_clearing_statement(
        &self,
        who: &AgencyUser,
        month: &str,
        insured: &str,
        treatment: &str,
    ) -> Result<StatementView, AgencyError> {
        let (who, month, insured, treatment) =
            (who.clone(), month.to_string(), insured.to_string(), treatment.to_string());
        self.funds_op(move |state, clock| {
            let (month, pair, province) = scoped(&who, &month, &insured, &treatment)?;
            Ok(statement_view(state, month, pair, province, clock.now().date()))
        })
        .await
    }

    /// The statement as CSV (one row per line, fund columns), UTF-8 with a BOM for spreadsheets.
    pub async fn agency_clearing_statement_csv(
        &self,
        who: &AgencyUser,
        month: &str,
        insured: &str,
        treatment: &str,
    ) -> Result<String, AgencyError> {
        let view = self.agency_clearing_statement(who, month, insured, treatment).await?;
        Ok(super::render::statement_csv(&view))
    }

    /// The statement as a printable, self-contained HTML page (Chinese).
    pub async fn agency_clearing_statement_html(
        &self,
        who: &AgencyUser,
        month: &str,
        insured: &str,
        treatment: &str,
    ) -> Result<String, AgencyError> {
        let view = self.agency_clearing_statement(who, month, insured, treatment).await?;
        Ok(super::render::statement_html(&view))
    }

    /// Every settlement the pair's statement counts for the month, as CSV.
    pub async fn agency_clearing_detail_csv(
        &self,
        who: &AgencyUser,
        month: &str,
        insured: &str,
        treatment: &str,
    ) -> Result<String, AgencyError> {
        let (who, month, insured, treatment) =
            (who.clone(), month.to_string(), insured.to_string(), treatment.to_string());
        self.funds_op(move |state, _| {
            let (month, pair, _) = scoped(&who, &month, &insured, &treatment)?;
            Ok(super::render::detail_csv(&detail_rows(state, month, pair)))
        })
        .await
    }

    /// The caller's province confirms a pair's frozen statement (its own side).
    pub async fn agency_clearing_confirm(
        &self,
        who: &AgencyUser,
        month: &str,
        insured: &str,
        treatment: &str,
    ) -> Result<ClearingPairView, AgencyError> {
        let (who, month, insured, treatment) =
            (who.clone(), month.to_string(), insured.to_string(), treatment.to_string());
        self.funds_op(move |state, clock| confirm(state, &who, &month, &insured, &treatment, clock.now()))
            .await
    }

    /// The paying province records the bank transfer; the clearing payment is posted.
    pub async fn agency_clearing_pay(
        &self,
        who: &AgencyUser,
        month: &str,
        insured: &str,
        treatment: &str,
        input: &PaymentInput,
    ) -> Result<ClearingPairView, AgencyError> {
        let (who, month, insured, treatment, input) =
            (who.clone(), month.to_string(), insured.to_string(), treatment.to_string(), input.clone());
        self.funds_op(move |state, clock| pay(state, &who, &month, &insured, &treatment, &input, clock.now()))
            .await
    }

    /// Gross transfers, net positions, netted transfers and the saving of a frozen month.
    pub async fn agency_clearing_netting(
        &self,
        who: &AgencyUser,
        month: &str,
    ) -> Result<NettingView, AgencyError> {
        let (who, month) = (who.clone(), month.to_string());
        self.funds_op(move |state, _| {
            let province = province_of(&who)?;
            let month = parse_month(&month)?;
            let period = state.ledger.period(month).filter(|_| state.funds.clearing.is_frozen(month));
            let period = period.ok_or_else(|| not_frozen(month))?;
            Ok(netting_view(month, &period.netting(), province))
        })
        .await
    }

    /// The insured province sets how a pair is cleared from the next freeze on.
    pub async fn agency_clearing_set_mode(
        &self,
        who: &AgencyUser,
        insured: &str,
        treatment: &str,
        input: &ModeInput,
    ) -> Result<ModeView, AgencyError> {
        let (who, insured, treatment, input) =
            (who.clone(), insured.to_string(), treatment.to_string(), input.clone());
        self.funds_op(move |state, clock| set_mode(state, &who, &insured, &treatment, &input, clock.now()))
            .await
    }

    /// The clearing modes of the pairs of the caller's province that are not itemised, or that
    /// were set explicitly.
    pub async fn agency_clearing_modes(&self, who: &AgencyUser) -> Result<Vec<ModeView>, AgencyError> {
        let who = who.clone();
        self.funds_op(move |state, _| {
            let province = province_of(&who)?;
            Ok(state
                .funds
                .clearing
                .modes
                .keys()
                .filter(|p| PairSide::of(**p, province).is_some())
                .map(|p| mode_view(&state.funds.clearing, *p))
                .collect())
        })
        .await
    }

    pub(crate) async fn funds_op<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut State, &dyn Clock) -> Result<T, AgencyError> + Send + 'static,
    ) -> Result<T, AgencyError> {
        self.on_sequencer(op).await.unwrap_or(Err(AgencyError::Unavailable))
    }
}

/// The month and pair of a path, and the caller's province, which must be a party.
fn scoped(
    who: &AgencyUser,
    month: &str,
    insured: &str,
    treatment: &str,
) -> Result<(Month, Pair, DivisionCode), AgencyError> {
    let province = province_of(who)?;
    let month = parse_month(month)?;
    let pair = parse_pair(insured, treatment)?;
    if PairSide::of(pair, province).is_none() {
        return Err(pair_not_found(Some(month), pair));
    }
    Ok((month, pair, province))
}

fn not_frozen(month: Month) -> AgencyError {
    AgencyError::NotFound {
        code: "month_not_frozen",
        message: format!(
            "{month} 尚未冻结清算：该月结束后由省级经办机构冻结（POST /api/agency/clearing/{month}/freeze）"
        ),
    }
}

fn freeze(
    state: &mut State,
    who: &AgencyUser,
    month: &str,
    input: &FreezeInput,
    now: DateTime,
) -> Result<ClearingMonthView, AgencyError> {
    let province = acting_province(who, "冻结清算月份")?;
    let month = parse_month(month)?;
    let mut problems = Vec::new();
    let confirm_days = days_field(
        &input.confirm_working_days,
        "confirm_working_days",
        CONFIRM_WORKING_DAYS_DEFAULT,
        &mut problems,
    );
    let pay_days =
        days_field(&input.pay_working_days, "pay_working_days", PAY_WORKING_DAYS_DEFAULT, &mut problems);
    if problems.is_empty() && pay_days < confirm_days {
        problems.push(problem("pay_working_days", "付款期限不能早于确认期限"));
    }
    if !problems.is_empty() {
        return Err(AgencyError::Invalid(problems));
    }
    let ends = DateTime::start_of(month.next().first_day());
    if now < ends {
        return Err(AgencyError::Conflict {
            code: "month_not_ended",
            message: format!("{month} 尚未结束（结算中心时间 {now}），{ends} 之后才能冻结清算"),
        });
    }
    if state.funds.clearing.is_frozen(month) {
        return Err(AgencyError::Conflict {
            code: "month_already_frozen",
            message: format!("{month} 已冻结清算，无需重复冻结；请查看清算单"),
        });
    }
    // Every month after the first is frozen explicitly, even one without a settlement, so each
    // has its period (a lump-sum pair is billed for it) and its statements.
    if let Some(last) = state.ledger.closed_through()
        && last.next() < month
    {
        return Err(AgencyError::Conflict {
            code: "earlier_month_open",
            message: format!("清算月份须按月依次冻结：上次冻结的是 {last}，请先冻结 {}", last.next()),
        });
    }
    let config = state.funds.clearing.config();
    if let Err(e) = state.ledger.close_month(month, &config) {
        let code = match e {
            yidi_ledger::LedgerError::EarlierMonthOpen { .. } => "earlier_month_open",
            _ => "month_closed",
        };
        return Err(AgencyError::Conflict {
            code,
            message: format!("{e}；清算月份须按月依次冻结（无结算的月份随后续月份一并关账）"),
        });
    }
    let lump_sums = state
        .funds
        .clearing
        .modes
        .iter()
        .filter_map(|(p, m)| m.lump_sum.map(|l| (p.to_string(), l.fen_per_person_month().get(), l.persons())))
        .collect();
    let body = FreezeBody {
        month: month.to_string(),
        confirm_working_days: confirm_days,
        pay_working_days: pay_days,
        lump_sums,
    };
    put_event(state, "clearing.freeze", &month.to_string(), now, &who.name, &body);
    apply_freeze(state, month, &body, Stamp { by: who.name.clone(), at: now });
    month_view(state, province, month, now.date())
}

fn confirm(
    state: &mut State,
    who: &AgencyUser,
    month: &str,
    insured: &str,
    treatment: &str,
    now: DateTime,
) -> Result<ClearingPairView, AgencyError> {
    let (month, pair, _) = scoped(who, month, insured, treatment)?;
    let province = acting_province(who, "确认清算单")?;
    let side = PairSide::of(pair, province).expect("scoped checks the party");
    let progress = frozen_pair(state, month, pair)?;
    let done = match side {
        PairSide::Insured => &progress.insured,
        PairSide::Treatment => &progress.treatment,
    };
    if let Some(stamp) = done {
        return Err(AgencyError::Conflict {
            code: "already_confirmed",
            message: format!(
                "{month} {pair} 清算单已由{}（{}）于 {} 确认，无需重复确认",
                side.label(),
                stamp.by,
                stamp.at
            ),
        });
    }
    let body = ConfirmBody { month: month.to_string(), pair: pair.to_string(), side };
    put_event(state, "clearing.confirm", &format!("{pair}:{month}"), now, &who.name, &body);
    apply_confirm(state, body, Stamp { by: who.name.clone(), at: now }).expect("checked above");
    pair_view(state, month, pair, province, now.date())
}

fn frozen_pair(state: &State, month: Month, pair: Pair) -> Result<&Progress, AgencyError> {
    let frozen = state.funds.clearing.months.get(&month).ok_or_else(|| not_frozen(month))?;
    frozen.pairs.get(&pair).ok_or_else(|| pair_not_found(Some(month), pair))
}

fn pay(
    state: &mut State,
    who: &AgencyUser,
    month: &str,
    insured: &str,
    treatment: &str,
    input: &PaymentInput,
    now: DateTime,
) -> Result<ClearingPairView, AgencyError> {
    let (month, pair, _) = scoped(who, month, insured, treatment)?;
    let province = acting_province(who, "登记清算付款")?;
    let progress = frozen_pair(state, month, pair)?;
    if let Some(p) = &progress.payment {
        return Err(AgencyError::Conflict {
            code: "already_paid",
            message: format!(
                "{month} {pair} 已登记付款（{} 流水号 {}，{}），不能重复登记",
                p.bank_name, p.bank_serial, p.paid_on
            ),
        });
    }
    let missing: Vec<&str> =
        [(PairSide::Insured, &progress.insured), (PairSide::Treatment, &progress.treatment)]
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(side, _)| side.label())
            .collect();
    if !missing.is_empty() {
        return Err(AgencyError::Conflict {
            code: "confirmation_missing",
            message: format!("{month} {pair} 清算单尚待{}确认，双方确认后才能登记付款", missing.join("和")),
        });
    }
    let clearing =
        state.ledger.period(month).and_then(|p| p.pair(pair)).expect("a frozen pair is in its period");
    let due = clearing.due();
    let (payer, payee) = if due.is_negative() {
        (pair.treatment(), pair.insured())
    } else {
        (pair.insured(), pair.treatment())
    };
    if province != payer {
        return Err(AgencyError::Forbidden {
            code: "payer_only",
            message: format!("{month} {pair} 的清算款由 {payer} 支付，付款只能由该省经办机构登记"),
        });
    }
    let mut problems = Vec::new();
    let bank_name = text_field(&input.bank_name, "bank_name", "付款银行名称", &mut problems);
    let bank_serial = text_field(&input.bank_serial, "bank_serial", "银行流水号", &mut problems);
    let paid_on = match input.paid_on.as_deref().map(str::trim).map(Date::parse) {
        Some(Ok(d)) if d > now.date() => {
            problems.push(problem("paid_on", format!("付款日期 {d} 晚于今天 {}", now.date())));
            None
        }
        Some(Ok(d)) if d < month.next().first_day() => {
            problems.push(problem("paid_on", format!("付款日期 {d} 早于清算月份 {month} 结束")));
            None
        }
        Some(Ok(d)) => Some(d),
        _ => {
            problems.push(problem("paid_on", "请填写银行付款日期，格式 YYYY-MM-DD"));
            None
        }
    };
    let Some(paid_on) = paid_on.filter(|_| problems.is_empty()) else {
        return Err(AgencyError::Invalid(problems));
    };
    let posting = yidi_ledger::clearing_payment(clearing, now, &format!("clear:{pair}:{month}"));
    state
        .put_posting(posting)
        .map_err(|e| AgencyError::Conflict { code: "payment_refused", message: e.to_string() })?;
    let body = PayBody {
        month: month.to_string(),
        pair: pair.to_string(),
        payer: payer.to_string(),
        payee: payee.to_string(),
        amount_fen: due.get().abs(),
        bank_name,
        bank_serial,
        paid_on: paid_on.to_string(),
    };
    put_event(state, "clearing.pay", &format!("{pair}:{month}"), now, &who.name, &body);
    apply_pay(state, body, Stamp { by: who.name.clone(), at: now }).expect("checked above");
    pair_view(state, month, pair, province, now.date())
}

fn set_mode(
    state: &mut State,
    who: &AgencyUser,
    insured: &str,
    treatment: &str,
    input: &ModeInput,
    now: DateTime,
) -> Result<ModeView, AgencyError> {
    let province = acting_province(who, "设置清算方式")?;
    let pair = parse_pair(insured, treatment)?;
    match PairSide::of(pair, province) {
        Some(PairSide::Insured) => {}
        Some(PairSide::Treatment) => {
            return Err(AgencyError::Forbidden {
                code: "insured_province_only",
                message: format!("{pair} 的清算方式由参保省 {} 按两省协议设置", pair.insured()),
            });
        }
        None => return Err(pair_not_found(None, pair)),
    }
    let mut problems = Vec::new();
    let lump_sum = match input.mode.as_deref().map(str::trim) {
        Some("itemised") => None,
        Some("lump_sum") => {
            let amount = input.yuan_per_person_month.as_deref().map(|t| Fen::parse_yuan(t.trim()));
            let persons = input.persons.as_deref().map(|t| t.trim().parse::<u32>());
            match (amount, persons) {
                (Some(Ok(a)), Some(Ok(n))) => match LumpSum::new(pair, a, n) {
                    Ok(l) => Some(l),
                    Err(e) => {
                        problems.push(problem("yuan_per_person_month", e.to_string()));
                        None
                    }
                },
                (a, n) => {
                    if !matches!(a, Some(Ok(_))) {
                        problems.push(problem(
                            "yuan_per_person_month",
                            "包干清算须填写每人每月定额（元，如 \"350.00\"）",
                        ));
                    }
                    if !matches!(n, Some(Ok(_))) {
                        problems.push(problem("persons", "包干清算须填写人数（非负整数）"));
                    }
                    None
                }
            }
        }
        _ => {
            problems.push(problem("mode", "应为 itemised（按实际发生额）或 lump_sum（按人头包干）"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(AgencyError::Invalid(problems));
    }
    let body = ModeBody {
        pair: pair.to_string(),
        lump_sum: lump_sum
            .map(|l| LumpBody { fen_per_person_month: l.fen_per_person_month().get(), persons: l.persons() }),
    };
    put_event(state, "clearing.mode", &pair.to_string(), now, &who.name, &body);
    apply_mode(state, body, Stamp { by: who.name.clone(), at: now }).expect("checked above");
    Ok(mode_view(&state.funds.clearing, pair))
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

fn mode_view(book: &ClearingBook, pair: Pair) -> ModeView {
    let setting = book.modes.get(&pair);
    let lump = setting.and_then(|s| s.lump_sum);
    ModeView {
        insured: pair.insured().to_string(),
        treatment: pair.treatment().to_string(),
        mode: if lump.is_some() { "lump_sum" } else { "itemised" },
        yuan_per_person_month: lump.map(|l| l.fen_per_person_month().to_string()),
        persons: lump.map(LumpSum::persons),
        set_by: setting.map(|s| s.by.clone()),
        set_at: setting.map(|s| s.at.to_string()),
    }
}

fn month_view(
    state: &State,
    province: DivisionCode,
    month: Month,
    today: Date,
) -> Result<ClearingMonthView, AgencyError> {
    let frozen = state.funds.clearing.months.get(&month).ok_or_else(|| not_frozen(month))?;
    let pairs: Vec<ClearingPairView> = frozen
        .pairs
        .keys()
        .filter(|p| PairSide::of(**p, province).is_some())
        .map(|p| pair_view(state, month, *p, province, today).expect("a frozen pair has a view"))
        .collect();
    let alerts = pairs.iter().flat_map(|p| p.alerts.iter().cloned()).collect();
    Ok(ClearingMonthView {
        month: month.to_string(),
        province: province.to_string(),
        frozen_at: frozen.at.to_string(),
        frozen_by: frozen.by.clone(),
        confirm_by: frozen.confirm_by.to_string(),
        pay_by: frozen.pay_by.to_string(),
        pairs,
        alerts,
    })
}

fn pair_view(
    state: &State,
    month: Month,
    pair: Pair,
    province: DivisionCode,
    today: Date,
) -> Result<ClearingPairView, AgencyError> {
    let frozen = state.funds.clearing.months.get(&month).ok_or_else(|| not_frozen(month))?;
    let progress = frozen.pairs.get(&pair).ok_or_else(|| pair_not_found(Some(month), pair))?;
    let side = PairSide::of(pair, province).ok_or_else(|| pair_not_found(Some(month), pair))?;
    let clearing =
        state.ledger.period(month).and_then(|p| p.pair(pair)).expect("a frozen pair is in its period");
    let s = clearing.statement();
    let confirmations: Vec<ConfirmationView> =
        [(PairSide::Insured, &progress.insured), (PairSide::Treatment, &progress.treatment)]
            .into_iter()
            .filter_map(|(side, stamp)| {
                stamp.as_ref().map(|st| ConfirmationView {
                    side: side_code(side),
                    by: st.by.clone(),
                    at: st.at.to_string(),
                })
            })
            .collect();
    let mut alerts = Vec::new();
    for (side, stamp) in [(PairSide::Insured, &progress.insured), (PairSide::Treatment, &progress.treatment)]
    {
        if stamp.is_none() && today > frozen.confirm_by {
            let party = if side == PairSide::Insured { pair.insured() } else { pair.treatment() };
            alerts.push(AlertView {
                pair: pair.to_string(),
                code: "confirmation_late",
                message: format!(
                    "{month} {pair} 清算单{}（{party}）逾期未确认，确认期限 {}",
                    side.label(),
                    frozen.confirm_by
                ),
                due_on: frozen.confirm_by.to_string(),
            });
        }
    }
    if progress.payment.is_none() && today > frozen.pay_by {
        alerts.push(AlertView {
            pair: pair.to_string(),
            code: "payment_late",
            message: format!("{month} {pair} 清算款逾期未付，付款期限 {}", frozen.pay_by),
            due_on: frozen.pay_by.to_string(),
        });
    }
    let status = match (&progress.payment, confirmations.len()) {
        (Some(_), _) => "paid",
        (None, 2) => "awaiting_payment",
        _ => "awaiting_confirmation",
    };
    let (pair_text, insured, treatment) = views::pair_codes(pair);
    Ok(ClearingPairView {
        month: month.to_string(),
        pair: pair_text,
        insured,
        treatment,
        side: side_code(side),
        settlements: ClrType::ALL.iter().map(|c| s.care(*c).count).sum(),
        pooled: s.pooled().to_string(),
        personal: s.personal().to_string(),
        adjustments: s.adjustments().total().to_string(),
        due: clearing.due().to_string(),
        mode: match clearing.mode() {
            ClearingMode::Itemised => "itemised",
            ClearingMode::LumpSum(_) => "lump_sum",
        },
        status,
        confirmations,
        payment: progress.payment.as_ref().map(|p| PaymentView {
            payer: p.payer.to_string(),
            payee: p.payee.to_string(),
            amount: p.amount.to_string(),
            bank_name: p.bank_name.clone(),
            bank_serial: p.bank_serial.clone(),
            paid_on: p.paid_on.to_string(),
            recorded_by: p.stamp.by.clone(),
            recorded_at: p.stamp.at.to_string(),
        }),
        confirm_by: frozen.confirm_by.to_string(),
        pay_by: frozen.pay_by.to_string(),
        alerts,
    })
}

fn side_code(side: PairSide) -> &'static str {
    match side {
        PairSide::Insured => "insured",
        PairSide::Treatment => "treatment",
    }
}

fn statement_view(
    state: &State,
    month: Month,
    pair: Pair,
    province: DivisionCode,
    today: Date,
) -> StatementView {
    let frozen = state.funds.clearing.is_frozen(month);
    let (statement, due, mode) =
        match state.ledger.period(month).and_then(|p| p.pair(pair)).filter(|_| frozen) {
            Some(c) => {
                let mode = match c.mode() {
                    ClearingMode::Itemised => {
                        ModeView { set_by: None, set_at: None, ..mode_view(&ClearingBook::default(), pair) }
                    }
                    ClearingMode::LumpSum(l) => ModeView {
                        mode: "lump_sum",
                        yuan_per_person_month: Some(l.fen_per_person_month().to_string()),
                        persons: Some(l.persons()),
                        ..mode_view(&ClearingBook::default(), pair)
                    },
                };
                (c.statement().clone(), c.due(), mode)
            }
            None => {
                let s = state
                    .ledger
                    .open_statement(month, pair)
                    .cloned()
                    .unwrap_or_else(|| PairStatement::new(pair, month));
                let due = s.itemised_due();
                (s, due, mode_view(&state.funds.clearing, pair))
            }
        };
    let mut lines: Vec<_> = ClrType::ALL.iter().map(|c| views::care_line(*c, statement.care(*c))).collect();
    lines.push(views::adjustment_line("refusals", "拒付/扣款", statement.refusals()));
    lines.push(views::adjustment_line("recoveries", "追回（往月）", statement.recoveries()));
    let (pair_text, insured, treatment) = views::pair_codes(pair);
    let name = |code| state.pack.refdata.divisions.get(&code).map_or_else(String::new, |d| d.name.clone());
    StatementView {
        month: month.to_string(),
        pair: pair_text,
        insured,
        treatment,
        insured_name: name(pair.insured()),
        treatment_name: name(pair.treatment()),
        frozen,
        mode,
        lines,
        pooled: statement.pooled().to_string(),
        personal: statement.personal().to_string(),
        adjustments: statement.adjustments().total().to_string(),
        itemised_due: statement.itemised_due().to_string(),
        due: due.to_string(),
        clearing: pair_view(state, month, pair, province, today).ok(),
    }
}

/// One settlement of a pair's month, from its ledger posting (so the detail file and the
/// statement come from the same entries).
pub(crate) struct DetailRow {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub fixmedins_code: String,
    pub setl_time: DateTime,
    pub clr_type: &'static str,
    pub insutype: String,
    pub insured_region: String,
    pub amounts: yidi_ledger::FundAmounts,
    pub cash: Fen,
}

/// Every live settlement whose posting counts in `month` for `pair`, by time then `setl_id`.
/// Scans the settlement postings once (a month-end read, not on the settlement path).
fn detail_rows(state: &State, month: Month, pair: Pair) -> Vec<DetailRow> {
    let mut rows: Vec<DetailRow> = state
        .settle_postings
        .values()
        .filter(|p| p.month() == month && p.sense() == Sense::Normal)
        .filter_map(|p| {
            let PostingKind::Settlement { pair: pp, clr_type } = p.kind() else { return None };
            if pp != pair {
                return None;
            }
            let st = state.settlements.get(p.reference())?;
            if st.status != SettlementStatus::Settled {
                return None;
            }
            let mut amounts = yidi_ledger::FundAmounts::ZERO;
            let mut cash = Fen::ZERO;
            let mut region = String::new();
            for e in p.entries() {
                match e.account {
                    Account::Fund { region: r, fund } => {
                        amounts.add(fund, e.signed());
                        region = r.to_string();
                    }
                    Account::FacilityCash { .. } => cash += e.amount,
                    _ => {}
                }
            }
            Some(DetailRow {
                setl_id: st.setl_id.clone(),
                mdtrt_id: st.mdtrt_id.clone(),
                psn_no: st.psn_no.clone(),
                fixmedins_code: st.fixmedins_code.clone(),
                setl_time: st.setl_time,
                clr_type: clr_type.code(),
                insutype: st.insutype.clone(),
                insured_region: region,
                amounts,
                cash,
            })
        })
        .collect();
    rows.sort_by(|a, b| (a.setl_time, &a.setl_id).cmp(&(b.setl_time, &b.setl_id)));
    rows
}

/// The netting as `province` sees it: the transfers it pays or receives and its own position
/// (other pairs' obligations are theirs, as their statements are), with the national totals.
fn netting_view(month: Month, n: &yidi_ledger::Netting, province: DivisionCode) -> NettingView {
    let own = province.to_string();
    let transfers = |list: &[yidi_ledger::Transfer]| {
        list.iter()
            .filter(|t| t.from.to_string() == own || t.to.to_string() == own)
            .map(|t| TransferView {
                from: t.from.to_string(),
                to: t.to.to_string(),
                amount: t.amount.to_string(),
            })
            .collect()
    };
    NettingView {
        month: month.to_string(),
        gross: transfers(n.gross()),
        positions: n
            .positions()
            .iter()
            .filter(|(p, _)| p.to_string() == own)
            .map(|(p, v)| PositionView { province: p.to_string(), position: v.to_string() })
            .collect(),
        net: transfers(n.net()),
        gross_total: n.gross_total().to_string(),
        net_total: n.net_total().to_string(),
        saving: n.saving().to_string(),
    }
}
