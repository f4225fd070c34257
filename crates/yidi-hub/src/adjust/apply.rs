//! Clearing applications of a facility (3203 清算申请, 3204 撤销) and the treatment agency's
//! payment of an application to the facility under the local agreement (rule 24).
//!
//! Yidi's reading (the protocol gives 3203/3204 no detail): an application covers the facility's
//! live **cross-province** settlements (those the ledger posts, so the facility's receivable holds
//! them) of one `clr_type` settled in `[begndate, enddate]`, which must lie in the month `setlym`
//! and be over (`enddate` before the hub's today: a day not over may still get settlements), and
//! which are in no other live application. A facility may hold several live applications per
//! month and `clr_type` (part-month ranges) as long as their ranges do not overlap; a cancelled
//! one (3204) frees its range. The facility's totals
//! must equal the hub's to the fen (`medfee_sumamt`, `med_sumfee` = Σ `inscp_scp_amt`,
//! `fund_appy_sum` = Σ `fund_pay_sumamt`, `cash_payamt`, `acct_pay`, `psntime` = the count), or the
//! application is refused naming every differing total. An applied settlement can no longer be
//! cancelled (3204 first); a paid application can no longer be cancelled.

use serde::Deserialize;
use serde_json::value::RawValue;
use yidi_domain::{DateTime, DivisionCode, FacilityCode, Fen};
use yidi_ledger::{FacilityId, Month};
use yidi_protocol::errors::{self as codes, Problem, ProtocolError};
use yidi_protocol::inputs::{In3203, In3204};
use yidi_protocol::outputs::{ClrAppyOut, ClrAppyResultOut, to_output_json};
use yidi_store::{SettlementRecord, SettlementStatus};

use super::{AdjustEvent, AppStatus, Application, FacilityPayment, record, time_text};
use crate::agency::{AgencyError, AgencyUser};
use crate::state::State;
use crate::tx::{Ctx, TxResult, err, ok};

/// The hub's own figures for an application.
#[derive(Default)]
struct Figures {
    setl_ids: Vec<String>,
    medfee: Fen,
    inscp: Fen,
    fund: Fen,
    cash: Fen,
    acct: Fen,
}

/// The `inscp_scp_amt` of a stored national output, read from its exact text (zero if the
/// stored text lacks it, which the hub never writes; the totals then disagree rather than the
/// sequencer stopping).
fn inscp_of(output_json: &str) -> Fen {
    #[derive(Deserialize)]
    struct Out<'a> {
        #[serde(borrow)]
        setlinfo: Info<'a>,
    }
    #[derive(Deserialize)]
    struct Info<'a> {
        #[serde(borrow)]
        inscp_scp_amt: &'a RawValue,
    }
    serde_json::from_str::<Out<'_>>(output_json)
        .ok()
        .and_then(|o| Fen::parse_yuan(o.setlinfo.inscp_scp_amt.get()).ok())
        .unwrap_or(Fen::ZERO)
}

/// The facility's live cross-province settlements of `clr_type` settled in the period and not in
/// a live application yet.
fn period_settlements<'s>(
    state: &'s State,
    facility: &str,
    clr_type: &str,
    from: DateTime,
    until: DateTime,
) -> Vec<&'s SettlementRecord> {
    state
        .settlements_between(facility, from, until)
        .into_iter()
        .filter(|st| st.status == SettlementStatus::Settled && st.clr_type == clr_type)
        .filter(|st| from <= st.setl_time && st.setl_time < until)
        .filter(|st| state.settle_postings.contains_key(&st.setl_id))
        .filter(|st| state.funds.adjust.application_of(&st.setl_id).is_none())
        .collect()
}

fn figures(rows: &[&SettlementRecord]) -> Figures {
    let mut f = Figures::default();
    for st in rows {
        f.setl_ids.push(st.setl_id.clone());
        f.medfee += st.medfee_sumamt;
        f.inscp += inscp_of(&st.output_json);
        f.fund += st.fund_pay_sumamt;
        f.cash += st.psn_cash_pay;
        f.acct += st.acct_pay;
    }
    f.setl_ids.sort();
    f
}

/// The pooling region of a facility (its agency pays it).
pub(crate) fn facility_region(state: &State, facility: &str) -> Option<DivisionCode> {
    let code = FacilityCode::parse(facility).ok()?;
    let f = state.pack.refdata.facilities.get(&code)?;
    state.pack.refdata.pooling_region_of(f.admdvs).map(|r| r.admdvs)
}

/// 3203: checks the facility's totals against the hub's and records the application.
pub(crate) fn apply_3203(state: &mut State, ctx: &Ctx<'_>, i: &In3203) -> TxResult {
    let facility = ctx.facility().to_string();
    let path = |field: &str| format!("input.data.{field}");
    let region = facility_region(state, &facility).ok_or_else(|| {
        err(codes::FORBIDDEN_FACILITY, "fixmedins_code", format!("定点机构 {facility} 不在数据包中"))
    })?;
    let month = Month::parse(&i.setlym).ok_or_else(|| {
        err(codes::BAD_FIELD, &path("setlym"), format!("清算年月“{}”不是有效的年月", i.setlym))
    })?;
    let mut problems = Vec::new();
    if i.clr_optins.as_deref().is_some_and(|c| c != region.to_string()) {
        problems.push(Problem::new(
            path("clr_optins"),
            format!(
                "清算经办机构应为本机构所在统筹区 {region}，不是 {}",
                i.clr_optins.as_deref().unwrap_or("")
            ),
        ));
    }
    let (first, next) = (month.first_day(), month.next().first_day());
    if i.begndate < first || i.begndate >= next {
        problems
            .push(Problem::new(path("begndate"), format!("开始日期 {} 不在清算年月 {month} 内", i.begndate)));
    }
    if i.enddate < first || i.enddate >= next {
        problems
            .push(Problem::new(path("enddate"), format!("结束日期 {} 不在清算年月 {month} 内", i.enddate)));
    }
    let today = ctx.now.date();
    if i.enddate >= today {
        problems.push(Problem::new(
            path("enddate"),
            format!(
                "清算申请只能包括已经过去的日期：结束日期 {} 不早于结算中心当前日期 {today}，当天及以后仍可能有结算；请于 {} 及以后再申请",
                i.enddate,
                i.enddate.add_days(1)
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(ProtocolError::bad_field(problems));
    }
    let (begndate, enddate) = (i.begndate.to_string(), i.enddate.to_string());
    if let Some(a) =
        state.funds.adjust.live_overlapping(&facility, &i.clr_type, &i.setlym, &begndate, &enddate)
    {
        return Err(err(
            codes::CLR_APPY_EXISTS,
            &path("begndate"),
            format!(
                "本机构 {month} 清算类别 {} 已有清算申请 {}（{} 至 {}，{} 提交），与本次 {begndate} 至 {enddate} 重叠；请只申请未被其他申请包含的日期；如需重新申请，请先撤销该申请（3204）",
                i.clr_type, a.clr_appy_evt_id, a.begndate, a.enddate, a.applied_at
            ),
        ));
    }
    let (from, until) = (DateTime::start_of(i.begndate), DateTime::start_of(i.enddate.add_days(1)));
    let f = figures(&period_settlements(state, &facility, &i.clr_type, from, until));
    let count = i64::try_from(f.setl_ids.len()).expect("a month's settlements fit i64");
    if count == 0 {
        return Err(err(
            codes::CLR_APPY_STATE,
            &path("begndate"),
            format!(
                "{} 至 {} 本机构没有未列入清算申请的清算类别 {} 的跨省异地结算，无需申请清算",
                i.begndate, i.enddate, i.clr_type
            ),
        ));
    }
    let pairs = [
        ("medfee_sumamt", "医疗费总额", i.medfee_sumamt, f.medfee),
        ("med_sumfee", "医保认可费用总额", i.med_sumfee, f.inscp),
        ("fund_appy_sum", "基金申报总额", i.fund_appy_sum, f.fund),
        ("cash_payamt", "现金支付金额", i.cash_payamt, f.cash),
        ("acct_pay", "个人账户支出", i.acct_pay, f.acct),
    ];
    let mut problems: Vec<Problem> = pairs
        .iter()
        .filter(|(_, _, theirs, ours)| theirs != ours)
        .map(|(field, name, theirs, ours)| {
            Problem::new(
                path(field),
                format!("{name}：医院 {theirs} 元，结算中心 {ours} 元，请先对账（3201/3202）"),
            )
        })
        .collect();
    if i.psntime != count {
        problems.push(Problem::new(
            path("psntime"),
            format!("清算人次：医院 {} 人次，结算中心 {count} 人次，请先对账（3201/3202）", i.psntime),
        ));
    }
    if !problems.is_empty() {
        return Err(ProtocolError::new(codes::CLR_APPY_MISMATCH, problems));
    }
    let seq = state.funds.adjust.next_seq();
    let id = format!("{}{seq:012}", &facility[1..7]);
    let application = Application {
        clr_appy_evt_id: id.clone(),
        fixmedins_code: facility.clone(),
        clr_optins: region.to_string(),
        clr_type: i.clr_type.clone(),
        clr_way: i.clr_way.clone(),
        setlym: i.setlym.clone(),
        begndate,
        enddate,
        psntime: count,
        medfee_sumamt: f.medfee.get(),
        med_sumfee: f.inscp.get(),
        fund_appy_sum: f.fund.get(),
        cash_payamt: f.cash.get(),
        acct_pay: f.acct.get(),
        setl_ids: f.setl_ids,
        applied_at: time_text(ctx.now),
        msgid: ctx.msgid().to_string(),
        status: AppStatus::Applied,
        cancelled_at: None,
        payment_id: None,
    };
    record(state, ctx.now, &facility, AdjustEvent::Applied(application));
    ok(application_output(state, &id))
}

/// 3204: cancels the facility's own application while it is unpaid.
pub(crate) fn cancel_3204(state: &mut State, ctx: &Ctx<'_>, i: &In3204) -> TxResult {
    let path = "input.data.clr_appy_evt_id";
    let id = &i.clr_appy_evt_id;
    let a =
        state.funds.adjust.applications.get(id).filter(|a| a.fixmedins_code == ctx.facility()).ok_or_else(
            || err(codes::CLR_APPY_NOT_FOUND, path, format!("清算申请 {id} 不存在，请核对申请事件ID")),
        )?;
    if i.clr_optins.as_deref().is_some_and(|c| c != a.clr_optins) {
        return Err(err(
            codes::BAD_FIELD,
            "input.data.clr_optins",
            format!("清算申请 {id} 的清算经办机构是 {}", a.clr_optins),
        ));
    }
    match a.status {
        AppStatus::Applied => {}
        AppStatus::Cancelled => {
            let at = a.cancelled_at.clone().unwrap_or_default();
            return Err(err(
                codes::ALREADY_REVERSED,
                path,
                format!("清算申请 {id} 已于 {at} 撤销，无需重复撤销"),
            ));
        }
        AppStatus::Paid => {
            let by = a.payment_id.clone().unwrap_or_default();
            return Err(err(
                codes::CLR_APPY_STATE,
                path,
                format!(
                    "清算申请 {id} 已由经办机构支付（支付记录 {by}），不能撤销；如有差错请联系经办机构扣款或追回"
                ),
            ));
        }
    }
    let event = AdjustEvent::AppCancelled { clr_appy_evt_id: id.clone(), at: time_text(ctx.now) };
    record(state, ctx.now, ctx.facility(), event);
    ok(application_output(state, id))
}

fn application_output(state: &State, id: &str) -> String {
    let a = &state.funds.adjust.applications[id];
    let deducted: Fen = a.setl_ids.iter().map(|s| state.funds.adjust.adjusted(s).total()).sum();
    to_output_json(&ClrAppyResultOut {
        result: ClrAppyOut {
            clr_appy_evt_id: a.clr_appy_evt_id.clone(),
            clr_optins: a.clr_optins.clone(),
            clr_type: a.clr_type.clone(),
            clr_way: a.clr_way.clone(),
            setlym: a.setlym.clone(),
            begndate: a.begndate.clone(),
            enddate: a.enddate.clone(),
            psntime: a.psntime,
            medfee_sumamt: Fen::new(a.medfee_sumamt),
            med_sumfee: Fen::new(a.med_sumfee),
            fund_appy_sum: Fen::new(a.fund_appy_sum),
            cash_payamt: Fen::new(a.cash_payamt),
            acct_pay: Fen::new(a.acct_pay),
            yidi_appy_stas: a.status.code().to_string(),
            yidi_dedu_sumamt: deducted,
        },
    })
}

/// The live application whose date range covers a cross-province settlement's day (same
/// facility, `clr_type` and month), whether or not it holds the settlement: a settlement cancelled
/// before the application was made is not in it, so restoring it (2601) must be refused, or it
/// would be owed to the facility in a range no application can take any more. `None` for
/// same-province care, which no application covers.
pub(crate) fn application_covering<'s>(state: &'s State, st: &SettlementRecord) -> Option<&'s Application> {
    if !state.settle_postings.contains_key(&st.setl_id) {
        return None;
    }
    let day = st.setl_time.date();
    let setlym = format!("{:04}{:02}", day.year(), day.month());
    let day = day.to_string();
    state.funds.adjust.live_overlapping(&st.fixmedins_code, &st.clr_type, &setlym, &day, &day)
}

/// Whether a facility may still cancel a settlement (2208/2305/2601): not once it is in a live
/// clearing application, nor once the agency refused, deducted or recovered part of it.
pub fn check_cancellable(state: &State, setl_id: &str, path: &str) -> Result<(), ProtocolError> {
    let book = &state.funds.adjust;
    if let Some(a) = book.application_of(setl_id) {
        return Err(err(
            codes::NOT_REVERSIBLE,
            &format!("{path}.setl_id"),
            format!(
                "结算 {setl_id} 已列入清算申请 {}，不能撤销；请先撤销清算申请（3204），已支付的须由经办机构追回",
                a.clr_appy_evt_id
            ),
        ));
    }
    if let Some(adj) = book.live_adjustments_of(setl_id).next() {
        return Err(err(
            codes::NOT_REVERSIBLE,
            &format!("{path}.setl_id"),
            format!(
                "结算 {setl_id} 已被经办机构{}（{}），不能撤销；如有异议请联系就医地经办机构",
                adj.stage.name_zh(),
                adj.adj_id
            ),
        ));
    }
    Ok(())
}

/// The treatment agency pays an application to its facility: the application's fund and
/// account shares less every adjustment of the facility booked since its previous payment.
pub(crate) fn pay_application(
    state: &mut State,
    who: &AgencyUser,
    id: &str,
    bank_serial: String,
    paid_on: String,
    now: DateTime,
) -> Result<FacilityPayment, AgencyError> {
    let not_found = || AgencyError::NotFound {
        code: "application_not_found",
        message: format!("本统筹区没有清算申请 {id}，请核对申请事件ID"),
    };
    let a = state
        .funds
        .adjust
        .applications
        .get(id)
        .filter(|a| a.clr_optins == who.admdvs)
        .ok_or_else(not_found)?;
    if a.status != AppStatus::Applied {
        let what = if a.status == AppStatus::Paid { "已支付" } else { "已被机构撤销" };
        return Err(AgencyError::Conflict {
            code: "application_state",
            message: format!("清算申请 {id} {what}，不能支付"),
        });
    }
    let gross = Fen::new(a.fund_appy_sum + a.acct_pay);
    let facility = a.fixmedins_code.clone();
    let netted: Vec<(String, Fen)> =
        state.funds.adjust.unnetted_of(&facility).map(|adj| (adj.adj_id.clone(), adj.total())).collect();
    let credited: Vec<(String, Fen)> =
        state.funds.adjust.uncredited_of(&facility).map(|adj| (adj.adj_id.clone(), adj.total())).collect();
    let netted_fen: Fen =
        netted.iter().map(|(_, f)| *f).sum::<Fen>() - credited.iter().map(|(_, f)| *f).sum::<Fen>();
    let amount = gross - netted_fen;
    if amount <= Fen::ZERO {
        return Err(AgencyError::Conflict {
            code: "nothing_to_pay",
            message: format!(
                "清算申请 {id} 申请 {gross} 元，待抵扣的拒付/扣款/追回 {netted_fen} 元，应付 {amount} 元，不能支付；请待下一笔申请一并抵扣"
            ),
        });
    }
    let payment_id = format!("FP{}{:010}", who.admdvs, state.funds.adjust.next_seq());
    let agency = DivisionCode::parse(&who.admdvs).expect("an agency's region is a division code");
    let fac = FacilityId::parse(&facility).expect("a stored facility code parses");
    let posting = yidi_ledger::facility_payment(agency, fac, amount, now, &payment_id).map_err(|e| {
        AgencyError::Conflict { code: "posting_refused", message: format!("无法记账：{e}") }
    })?;
    state
        .put_posting(posting)
        .map_err(|e| AgencyError::Conflict {
            code: "posting_refused", message: format!("无法记账：{e}")
        })?;
    let payment = FacilityPayment {
        payment_id: payment_id.clone(),
        clr_appy_evt_id: id.to_string(),
        fixmedins_code: facility,
        agency_admdvs: who.admdvs.clone(),
        gross_fen: gross.get(),
        netted_fen: netted_fen.get(),
        netted: netted.into_iter().map(|(id, _)| id).collect(),
        credited: credited.into_iter().map(|(id, _)| id).collect(),
        amount_fen: amount.get(),
        bank_serial,
        paid_on,
        at: time_text(now),
        by: who.name.clone(),
    };
    record(state, now, &who.name, AdjustEvent::FacilityPaid(payment.clone()));
    Ok(payment)
}
