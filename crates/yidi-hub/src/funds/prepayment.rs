//! Prepayment (预付金) per insured → treatment province pair: the annual notice, utilisation with
//! its yellow/red warnings, and the emergency top-up the treatment province asks for and the
//! insured province approves (`policy-background.md` §4.2, rule 22).
//!
//! Key design decision: utilisation is read from the ledger, never stored. The prepayment account
//! of a pair is credited by every settlement's pooled fund share and debited back by each
//! clearing payment, so `charged = funded − balance` is exactly "cleared and uncleared fund share
//! not yet paid back" at any moment, and warnings cost nothing on the settlement path. Warnings
//! never block a settlement: they are computed when an agency looks.
//!
//! Events: `prepayment.notice` (insured province; posts the change to the year's amount),
//! `prepayment.topup_request` (treatment province, only while red), `prepayment.topup_approve`
//! (insured province; posts the top-up).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yidi_domain::{DateTime, DivisionCode, Fen};
use yidi_ledger::{Account, Pair, PrepaymentConfig, Warning, annual_amount};
use yidi_store::FundsEventRecord;

use super::roles::{PairSide, acting_province, pair_not_found, parse_pair, province_of};
use super::views::{self, NoticeView, PrepaymentView, TopUpView};
use super::{FUNDS_TEXT_CHARS_MAX, decode, put_event};
use crate::agency::{AgencyError, AgencyUser, FieldProblem};
use crate::hub::Hub;
use crate::state::State;

/// Prepayment records rebuilt from the `prepayment.*` events.
#[derive(Clone, Debug, Default)]
pub struct PrepaymentBook {
    /// Months of the annual amount and the warning thresholds (`HubConfig::prepayment`).
    pub config: PrepaymentConfig,
    notices: BTreeMap<Pair, Vec<Notice>>,
    top_ups: BTreeMap<Pair, Vec<TopUp>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct NoticeBody {
    pair: String,
    year: i32,
    months: u32,
    amount_fen: i64,
    change_fen: i64,
    /// `previous_year` or `set_by_insured`.
    basis: String,
    previous_year_fen: i64,
}

#[derive(Clone, Debug)]
struct Notice {
    body: NoticeBody,
    by: String,
    at: DateTime,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TopUpRequestBody {
    pair: String,
    id: String,
    amount_fen: i64,
    ratio_bp: Option<i64>,
    reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TopUpApproveBody {
    pair: String,
    id: String,
    amount_fen: i64,
}

#[derive(Clone, Debug)]
struct TopUp {
    request: TopUpRequestBody,
    by: String,
    at: DateTime,
    approved: Option<(String, DateTime, Fen)>,
}

pub(super) fn replay(state: &mut State, e: &FundsEventRecord, body: Value) -> Result<(), String> {
    match e.kind.as_str() {
        "prepayment.notice" => apply_notice(state, decode(body)?, &e.by, e.at),
        "prepayment.topup_request" => apply_request(state, decode(body)?, &e.by, e.at),
        "prepayment.topup_approve" => apply_approve(state, decode(body)?, &e.by, e.at),
        other => Err(format!("未知的预付金事件“{other}”")),
    }
}

fn pair_of(text: &str) -> Result<Pair, String> {
    Pair::parse(text).map_err(|e| e.to_string())
}

fn apply_notice(state: &mut State, body: NoticeBody, by: &str, at: DateTime) -> Result<(), String> {
    let pair = pair_of(&body.pair)?;
    state.funds.prepayment.notices.entry(pair).or_default().push(Notice { body, by: by.to_string(), at });
    Ok(())
}

fn apply_request(state: &mut State, body: TopUpRequestBody, by: &str, at: DateTime) -> Result<(), String> {
    let pair = pair_of(&body.pair)?;
    state.funds.prepayment.top_ups.entry(pair).or_default().push(TopUp {
        request: body,
        by: by.to_string(),
        at,
        approved: None,
    });
    Ok(())
}

fn apply_approve(state: &mut State, body: TopUpApproveBody, by: &str, at: DateTime) -> Result<(), String> {
    let pair = pair_of(&body.pair)?;
    let top_up = state
        .funds
        .prepayment
        .top_ups
        .get_mut(&pair)
        .and_then(|list| list.iter_mut().find(|t| t.request.id == body.id))
        .ok_or_else(|| format!("没有追加申请 {}", body.id))?;
    if top_up.approved.is_some() {
        return Err(format!("追加申请 {} 已批准过", body.id));
    }
    top_up.approved = Some((by.to_string(), at, Fen::new(body.amount_fen)));
    Ok(())
}

/// `POST …/prepayments/{insured}/{treatment}/notices`: the year (default: the current one), the
/// months of fund share (default 2) and, only when the pair has no previous-year history, the
/// amount (yuan text) the insured province sets.
#[derive(Clone, Debug, Default)]
pub struct NoticeInput {
    pub year: Option<String>,
    pub months: Option<String>,
    pub amount: Option<String>,
}

/// A top-up request (amount optional: default brings utilisation back to 50 %) or approval
/// (amount optional: default the amount requested); `reason` is free text.
#[derive(Clone, Debug, Default)]
pub struct TopUpInput {
    pub amount: Option<String>,
    pub reason: Option<String>,
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem { field: field.to_string(), message: message.into() }
}

fn amount_field(text: &Option<String>, problems: &mut Vec<FieldProblem>) -> Option<Fen> {
    let t = text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    match Fen::parse_yuan(t) {
        Ok(f) if f > Fen::ZERO && f.get() <= yidi_ledger::limits::LINE_FEN_MAX => Some(f),
        _ => {
            problems.push(problem("amount", format!("“{t}”不是正的金额（元，两位小数，如 \"1200000.00\"）")));
            None
        }
    }
}

impl Hub {
    /// Every prepayment pair of the caller's province (insured or treatment side), with its
    /// utilisation and warning, for the agency dashboard. Region tokens see their province's.
    pub async fn agency_prepayments(&self, who: &AgencyUser) -> Result<Vec<PrepaymentView>, AgencyError> {
        let who = who.clone();
        self.funds_op(move |state, _| {
            let province = province_of(&who)?;
            Ok(pairs_of(state, province).into_iter().map(|p| view(state, p, province)).collect())
        })
        .await
    }

    /// One pair's prepayment.
    pub async fn agency_prepayment(
        &self,
        who: &AgencyUser,
        insured: &str,
        treatment: &str,
    ) -> Result<PrepaymentView, AgencyError> {
        let (who, insured, treatment) = (who.clone(), insured.to_string(), treatment.to_string());
        self.funds_op(move |state, _| {
            let province = province_of(&who)?;
            let pair = parse_pair(&insured, &treatment)?;
            PairSide::of(pair, province).ok_or_else(|| pair_not_found(None, pair))?;
            Ok(view(state, pair, province))
        })
        .await
    }

    /// The insured province's annual prepayment notice for a pair (posted at once).
    pub async fn agency_prepayment_notice(
        &self,
        who: &AgencyUser,
        insured: &str,
        treatment: &str,
        input: &NoticeInput,
    ) -> Result<PrepaymentView, AgencyError> {
        let (who, insured, treatment, input) =
            (who.clone(), insured.to_string(), treatment.to_string(), input.clone());
        self.funds_op(move |state, clock| notice(state, &who, &insured, &treatment, &input, clock.now()))
            .await
    }

    /// The treatment province asks for an emergency top-up of a pair in red.
    pub async fn agency_prepayment_request_top_up(
        &self,
        who: &AgencyUser,
        insured: &str,
        treatment: &str,
        input: &TopUpInput,
    ) -> Result<PrepaymentView, AgencyError> {
        let (who, insured, treatment, input) =
            (who.clone(), insured.to_string(), treatment.to_string(), input.clone());
        self.funds_op(move |state, clock| request(state, &who, &insured, &treatment, &input, clock.now()))
            .await
    }

    /// The insured province approves a top-up request (posted at once).
    pub async fn agency_prepayment_approve_top_up(
        &self,
        who: &AgencyUser,
        insured: &str,
        treatment: &str,
        id: &str,
        input: &TopUpInput,
    ) -> Result<PrepaymentView, AgencyError> {
        let (who, insured, treatment, id, input) =
            (who.clone(), insured.to_string(), treatment.to_string(), id.to_string(), input.clone());
        self.funds_op(move |state, clock| {
            approve(state, &who, &insured, &treatment, &id, &input, clock.now())
        })
        .await
    }
}

/// The pairs of a province with a prepayment account or a notice, in pair order.
fn pairs_of(state: &State, province: DivisionCode) -> Vec<Pair> {
    let mut pairs: BTreeSet<Pair> = state
        .ledger
        .balances()
        .keys()
        .filter_map(|a| match a {
            Account::Prepayment { pair } => Some(*pair),
            _ => None,
        })
        .collect();
    pairs.extend(state.funds.prepayment.notices.keys().copied());
    pairs.into_iter().filter(|p| PairSide::of(*p, province).is_some()).collect()
}

/// The pair and the caller's acting province, which must be the `side` of the pair.
fn acting_side(
    who: &AgencyUser,
    insured: &str,
    treatment: &str,
    side: PairSide,
    what: &str,
) -> Result<(Pair, DivisionCode), AgencyError> {
    let pair = parse_pair(insured, treatment)?;
    let seen = province_of(who).ok().and_then(|p| PairSide::of(pair, p));
    if seen.is_none() {
        return Err(pair_not_found(None, pair));
    }
    let province = acting_province(who, what)?;
    if PairSide::of(pair, province) != Some(side) {
        let party = if side == PairSide::Insured { pair.insured() } else { pair.treatment() };
        return Err(AgencyError::Forbidden {
            code: if side == PairSide::Insured { "insured_province_only" } else { "treatment_province_only" },
            message: format!("{what}由{}（{party}）办理", side.label()),
        });
    }
    Ok((pair, province))
}

fn notice(
    state: &mut State,
    who: &AgencyUser,
    insured: &str,
    treatment: &str,
    input: &NoticeInput,
    now: DateTime,
) -> Result<PrepaymentView, AgencyError> {
    let (pair, province) = acting_side(who, insured, treatment, PairSide::Insured, "预付金年度通知")?;
    let mut problems = Vec::new();
    let this_year = now.date().year();
    // A notice posts at once: it is for the year under way, never for the next one (which would
    // change this year's float, sized from a year not yet over).
    let year = match input.year.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => this_year,
        Some(t) => {
            match t.parse::<i32>() {
                Ok(y) if y == this_year => y,
                _ => {
                    problems.push(problem(
                    "year",
                    format!("预付金通知下达即生效，只能为本年 {this_year} 下达；下一年的通知请在该年开始后下达"),
                ));
                    this_year
                }
            }
        }
    };
    let base = state.funds.prepayment.config;
    let months = match input.months.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => base.months(),
        Some(t) => match t
            .parse::<u32>()
            .ok()
            .and_then(|m| PrepaymentConfig::new(m, base.yellow_bp(), base.red_bp()).ok())
        {
            Some(c) => c.months(),
            None => {
                problems.push(problem(
                    "months",
                    format!("月数应为 1 至 {}", yidi_ledger::limits::PREPAYMENT_MONTHS_MAX),
                ));
                base.months()
            }
        },
    };
    let set = amount_field(&input.amount, &mut problems);
    // The previous year's share sizes the notice only once that whole year is cleared (its
    // December frozen), averaged over the months the hub cleared (fewer than 12 when it began
    // mid-year); otherwise the insured province sets the amount.
    let previous = year - 1;
    let december = yidi_ledger::Month::new(previous, 12);
    let year_cleared = december.is_some_and(|d| state.ledger.closed_through() >= Some(d));
    let months_of_data = state.ledger.periods_in_year(previous);
    let history = state.ledger.fund_share_of_year(pair, previous);
    let (amount, basis) = match (year_cleared && months_of_data > 0 && history > Fen::ZERO, set) {
        (true, None) => {
            let config =
                PrepaymentConfig::new(months, base.yellow_bp(), base.red_bp()).expect("checked above");
            (annual_amount(history, months_of_data, config), "previous_year")
        }
        (true, Some(_)) => {
            problems.push(problem(
                "amount",
                format!("{pair} 有 {previous} 年清算数据（{months_of_data} 个月，统筹基金 {history} 元），预付金按 {months} 个月的月均额计算，不能另行指定金额"),
            ));
            (Fen::ZERO, "")
        }
        (false, Some(a)) => (a, "set_by_insured"),
        (false, None) if !year_cleared && months_of_data > 0 => {
            problems.push(problem(
                "amount",
                format!("{previous} 年尚未全部清算（12 月未冻结），不能按上年数据计算；请待清算后下达，或由参保省填写预付金金额"),
            ));
            (Fen::ZERO, "")
        }
        (false, None) => {
            problems.push(problem(
                "amount",
                format!("{pair} 没有 {previous} 年清算数据，请由参保省填写预付金金额"),
            ));
            (Fen::ZERO, "")
        }
    };
    if !problems.is_empty() {
        return Err(AgencyError::Invalid(problems));
    }
    if state.funds.prepayment.notices.get(&pair).is_some_and(|l| l.iter().any(|n| n.body.year == year)) {
        return Err(AgencyError::Conflict {
            code: "notice_exists",
            message: format!("{pair} 的 {year} 年预付金通知已发出；年内不足部分请走紧急追加"),
        });
    }
    let funded = state.ledger.funded(pair);
    let reference = format!("prepay:{pair}:{year}");
    let posting = yidi_ledger::prepayment::adjustment(pair, funded, amount, now, &reference)
        .map_err(|e| AgencyError::Conflict { code: "prepayment_refused", message: e.to_string() })?;
    if let Some(p) = posting {
        state
            .put_posting(p)
            .map_err(|e| AgencyError::Conflict { code: "prepayment_refused", message: e.to_string() })?;
    }
    let body = NoticeBody {
        pair: pair.to_string(),
        year,
        months,
        amount_fen: amount.get(),
        change_fen: (amount - funded).get(),
        basis: basis.to_string(),
        previous_year_fen: history.get(),
    };
    put_event(state, "prepayment.notice", &reference, now, &who.name, &body);
    apply_notice(state, body, &who.name, now).expect("checked above");
    Ok(view(state, pair, province))
}

fn request(
    state: &mut State,
    who: &AgencyUser,
    insured: &str,
    treatment: &str,
    input: &TopUpInput,
    now: DateTime,
) -> Result<PrepaymentView, AgencyError> {
    let (pair, province) = acting_side(who, insured, treatment, PairSide::Treatment, "紧急追加预付金申请")?;
    let use_ = state.ledger.utilisation(pair, state.funds.prepayment.config);
    if use_.warning != Warning::Red {
        return Err(AgencyError::Conflict {
            code: "not_red",
            message: format!(
                "{pair} 预付金使用率 {}，未达红色预警，不能申请紧急追加",
                views::percent(use_.ratio_bp)
            ),
        });
    }
    if let Some(open) =
        state.funds.prepayment.top_ups.get(&pair).and_then(|l| l.iter().find(|t| t.approved.is_none()))
    {
        return Err(AgencyError::Conflict {
            code: "top_up_open",
            message: format!("{pair} 已有待参保省批准的追加申请 {}", open.request.id),
        });
    }
    let mut problems = Vec::new();
    let default = (use_.charged + use_.charged - use_.funded).max(Fen::new(1));
    let amount = amount_field(&input.amount, &mut problems).unwrap_or(default);
    let reason = input.reason.as_deref().map(str::trim).unwrap_or("").to_string();
    if reason.chars().count() > FUNDS_TEXT_CHARS_MAX || reason.chars().any(char::is_control) {
        problems
            .push(problem("reason", format!("原因不能超过 {FUNDS_TEXT_CHARS_MAX} 个字符，且不能含控制字符")));
    }
    if !problems.is_empty() {
        return Err(AgencyError::Invalid(problems));
    }
    let n = state.funds.prepayment.top_ups.get(&pair).map_or(0, Vec::len) + 1;
    let id = format!("TU{}{}-{n}", &pair.insured().to_string()[..2], &pair.treatment().to_string()[..2]);
    let body = TopUpRequestBody {
        pair: pair.to_string(),
        id,
        amount_fen: amount.get(),
        ratio_bp: use_.ratio_bp,
        reason,
    };
    put_event(state, "prepayment.topup_request", &pair.to_string(), now, &who.name, &body);
    apply_request(state, body, &who.name, now).expect("checked above");
    Ok(view(state, pair, province))
}

fn approve(
    state: &mut State,
    who: &AgencyUser,
    insured: &str,
    treatment: &str,
    id: &str,
    input: &TopUpInput,
    now: DateTime,
) -> Result<PrepaymentView, AgencyError> {
    let (pair, province) = acting_side(who, insured, treatment, PairSide::Insured, "批准紧急追加预付金")?;
    let top_up = state
        .funds
        .prepayment
        .top_ups
        .get(&pair)
        .and_then(|l| l.iter().find(|t| t.request.id == id))
        .ok_or_else(|| AgencyError::NotFound {
            code: "top_up_not_found",
            message: format!("{pair} 没有编号为 {id} 的追加申请，请核对编号"),
        })?;
    if let Some((by, at, amount)) = &top_up.approved {
        return Err(AgencyError::Conflict {
            code: "top_up_already_approved",
            message: format!("追加申请 {id} 已由 {by} 于 {at} 批准（{amount} 元）"),
        });
    }
    let mut problems = Vec::new();
    let amount = amount_field(&input.amount, &mut problems).unwrap_or(Fen::new(top_up.request.amount_fen));
    if !problems.is_empty() {
        return Err(AgencyError::Invalid(problems));
    }
    let reference = format!("topup:{pair}:{id}");
    let posting = yidi_ledger::prepayment(pair, amount, now, &reference)
        .map_err(|e| AgencyError::Conflict { code: "prepayment_refused", message: e.to_string() })?;
    state
        .put_posting(posting)
        .map_err(|e| AgencyError::Conflict { code: "prepayment_refused", message: e.to_string() })?;
    let body = TopUpApproveBody { pair: pair.to_string(), id: id.to_string(), amount_fen: amount.get() };
    put_event(state, "prepayment.topup_approve", &reference, now, &who.name, &body);
    apply_approve(state, body, &who.name, now).expect("checked above");
    Ok(view(state, pair, province))
}

fn view(state: &State, pair: Pair, province: DivisionCode) -> PrepaymentView {
    let config = state.funds.prepayment.config;
    let u = state.ledger.utilisation(pair, config);
    let book = &state.funds.prepayment;
    let top_ups: Vec<TopUpView> = book
        .top_ups
        .get(&pair)
        .into_iter()
        .flatten()
        .map(|t| TopUpView {
            id: t.request.id.clone(),
            requested_by: t.by.clone(),
            requested_at: t.at.to_string(),
            amount: Fen::new(t.request.amount_fen).to_string(),
            ratio_bp: t.request.ratio_bp,
            reason: t.request.reason.clone(),
            state: if t.approved.is_some() { "approved" } else { "open" },
            approved_by: t.approved.as_ref().map(|a| a.0.clone()),
            approved_at: t.approved.as_ref().map(|a| a.1.to_string()),
            approved_amount: t.approved.as_ref().map(|a| a.2.to_string()),
        })
        .collect();
    let open = top_ups.iter().any(|t| t.state == "open");
    let (pair_text, insured, treatment) = views::pair_codes(pair);
    PrepaymentView {
        pair: pair_text,
        insured,
        treatment,
        side: if PairSide::of(pair, province) == Some(PairSide::Insured) { "insured" } else { "treatment" },
        funded: u.funded.to_string(),
        charged: u.charged.to_string(),
        ratio_bp: u.ratio_bp,
        utilisation: views::percent(u.ratio_bp),
        warning: match u.warning {
            Warning::None => "none",
            Warning::Yellow => "yellow",
            Warning::Red => "red",
        },
        yellow_bp: config.yellow_bp().get(),
        red_bp: config.red_bp().get(),
        top_up_needed: u.warning == Warning::Red && !open,
        notices: book
            .notices
            .get(&pair)
            .into_iter()
            .flatten()
            .map(|n| NoticeView {
                year: n.body.year,
                amount: Fen::new(n.body.amount_fen).to_string(),
                change: Fen::new(n.body.change_fen).to_string(),
                basis: if n.body.basis == "previous_year" { "previous_year" } else { "set_by_insured" },
                previous_year_fund_share: Fen::new(n.body.previous_year_fen).to_string(),
                months: n.body.months,
                by: n.by.clone(),
                at: n.at.to_string(),
            })
            .collect(),
        top_ups,
    }
}
