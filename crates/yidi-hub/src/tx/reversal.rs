//! 2601 冲正: undoes the effect of an earlier call of the same facility, named by its `msgid`
//! (`protocol.md` §6, `settlement.md` §9). A settlement (2207/2304) is cancelled as by
//! 2208/2305; a cancellation (2208/2305) is undone by reinstating its settlement; an admission
//! (2401) is cancelled as by 2404. A `msgid` that never got a successful answer is blocked, so a
//! late or resent call with it can no longer take effect (`revs_rslt` `0`: nothing had
//! happened). Anything else is `not_reversible`.
//!
//! Reinstatement re-applies the settlement's own figures and state change. That is only sound
//! while no settlement of the person was computed without it: any settlement made at or after
//! the cancellation's time refuses it (`not_reversible`; conservative within the same second), as
//! do fee lines changed since. A later cancellation of another settlement does not: it leaves
//! this one's figures exactly as a 2208 of an older settlement leaves a newer one's. Nor may a
//! settlement come back on a day a live clearing application (3203) already covers.
//!
//! Every path builds its whole answer — every step that may fail — before it changes or queues
//! anything: a refusal changes nothing, and a change is never answered with a refusal.

use yidi_protocol::errors::{self as codes, ProtocolError};
use yidi_protocol::inputs::In2601;
use yidi_protocol::outputs::{ReversalOut, RevsInfoOut, to_output_json};
use yidi_store::{FeeLineRecord, SettlementRecord, SettlementStatus, VisitKind, VisitRecord, VisitState};

use super::inpatient::stay;
use super::{Ctx, TxResult, err, ok, own_visit, settle};
use crate::dispatch::{self, Answer};
use crate::negate::{append_field, negate_output};
use crate::state::State;

const OMSGID: &str = "input.data.omsgid";

/// 2601: reverses the call `omsgid`, which must have been the transaction `oinfno`.
pub fn reverse_call(state: &mut State, ctx: &Ctx<'_>, i: &In2601) -> TxResult {
    if i.omsgid == ctx.msgid() {
        return Err(err(
            codes::BAD_FIELD,
            OMSGID,
            "原报文ID不能是本次冲正报文自身的ID，请填写要冲正的原报文ID".into(),
        ));
    }
    let key = (ctx.facility().to_string(), i.omsgid.clone());
    if state.blocked.contains(&key) {
        return Err(err(
            codes::ALREADY_REVERSED,
            OMSGID,
            format!("报文 {} 已被冲正，无需重复冲正", i.omsgid),
        ));
    }
    let Some(answered) = state.answers.get(&key).map(|a| a.infno.clone()) else {
        // Never answered with success: nothing to undo, but the call must never take effect later.
        let output = to_output_json(&ReversalOut {
            setlinfo: None,
            setldetail: None,
            yidi_revsinfo: revs_info(i, "0"),
        });
        dispatch::block(state, ctx.facility(), &i.omsgid, ctx.msgid());
        return ok(output);
    };
    if answered != i.oinfno {
        let reason =
            format!("报文 {} 办理的是交易 {answered}，不是 {}；请核对原交易编号", i.omsgid, i.oinfno);
        return Err(err(codes::BAD_FIELD, "input.data.oinfno", reason));
    }
    match answered.as_str() {
        "2207" | "2304" => cancel_settlement(state, ctx, i),
        "2208" | "2305" => reinstate(state, ctx, i),
        "2401" => cancel_admission(state, ctx, i),
        other => Err(err(
            codes::NOT_REVERSIBLE,
            "input.data.oinfno",
            format!("交易 {other} 不能冲正（可冲正 2207、2304、2208、2305、2401），请改用该业务的撤销交易"),
        )),
    }
}

fn revs_info(i: &In2601, rslt: &str) -> RevsInfoOut {
    RevsInfoOut { omsgid: i.omsgid.clone(), oinfno: i.oinfno.clone(), revs_rslt: rslt.to_string() }
}

/// A settlement output (stored or negated text) with `yidi_revsinfo` appended.
fn with_revs_info(output: &str, i: &In2601) -> Result<String, ProtocolError> {
    append_field(output, "yidi_revsinfo", &to_output_json(&revs_info(i, "1")))
        .ok_or_else(|| err(codes::SETL_NOT_FOUND, OMSGID, "原结算记录的存档无法读取，请联系结算中心".into()))
}

/// The settlement made or cancelled by `omsgid`, of the person named.
fn settlement_of(
    state: &State,
    ctx: &Ctx<'_>,
    i: &In2601,
) -> Result<Option<SettlementRecord>, ProtocolError> {
    let key = (ctx.facility().to_string(), i.omsgid.clone());
    let Some(st) = state.setl_by_msgid.get(&key).and_then(|id| state.settlements.get(id)) else {
        return Ok(None);
    };
    if st.psn_no != i.psn_no {
        let reason =
            format!("报文 {} 办理的是参保人 {} 的结算，与人员编号 {} 不一致", i.omsgid, st.psn_no, i.psn_no);
        return Err(err(codes::BAD_FIELD, "input.data.psn_no", reason));
    }
    Ok(Some(st.clone()))
}

/// 2207/2304 → as 2208/2305: the negated output, answered with `yidi_revsinfo`.
fn cancel_settlement(state: &mut State, ctx: &Ctx<'_>, i: &In2601) -> TxResult {
    let Some(st) = settlement_of(state, ctx, i)? else {
        return Err(err(
            codes::SETL_NOT_FOUND,
            OMSGID,
            format!("找不到报文 {} 办理的结算，请联系结算中心", i.omsgid),
        ));
    };
    if st.status == SettlementStatus::Reversed {
        let by = st.reversal_msgid.as_deref().unwrap_or("");
        let reason = format!("报文 {} 的结算（结算ID {}）已由报文 {by} 撤销，无需冲正", i.omsgid, st.setl_id);
        return Err(err(codes::ALREADY_REVERSED, OMSGID, reason));
    }
    let kind = state.visits.get(&st.mdtrt_id).map_or(VisitKind::Outpatient, |v| v.kind);
    own_visit(state, ctx, &st.mdtrt_id, &st.psn_no, kind, OMSGID)?;
    // The answer first, while nothing has changed: the cancellation's output exactly as
    // `settle::reverse` builds and stores it (the stored output negated at this call's time and
    // `msgid`, with the account balance after the cancellation), plus `yidi_revsinfo`.
    let mut person = state.person_state(&st.psn_no);
    person.revert(&st.delta);
    let negated = negate_output(&st.output_json, ctx.now, ctx.msgid(), person.acct_balance)
        .ok_or_else(|| err(codes::SETL_NOT_FOUND, OMSGID, "原结算记录已损坏，请联系结算中心".into()))?;
    let output = with_revs_info(&negated, i)?;
    // Checks (may still refuse, changing nothing), then the changes; nothing fallible after.
    let answer = settle::reverse(state, ctx, &st.setl_id, &st.mdtrt_id, &st.psn_no, "input.data")?;
    debug_assert_eq!(answer.output, negated, "2601 answers the cancellation settle::reverse stored");
    Ok(Answer { output, warn_msg: answer.warn_msg })
}

/// 2208/2305 → the settlement again: its own figures, state change and lines; answered with
/// the settlement's output as first answered.
fn reinstate(state: &mut State, ctx: &Ctx<'_>, i: &In2601) -> TxResult {
    let st = match settlement_of(state, ctx, i)? {
        Some(st)
            if st.status == SettlementStatus::Reversed && st.reversal_msgid.as_deref() == Some(&i.omsgid) =>
        {
            st
        }
        _ => {
            let reason = format!("报文 {} 的撤销已被冲正（结算已恢复或已重新撤销），无需重复冲正", i.omsgid);
            return Err(err(codes::ALREADY_REVERSED, OMSGID, reason));
        }
    };
    check_person_unchanged(state, &st)?;
    if let Some(a) = crate::adjust::application_covering(state, &st) {
        let reason = format!(
            "结算 {} 的结算日期已在清算申请 {}（{} 至 {}）范围内，不能恢复；请重新结算，或先撤销该清算申请（3204）",
            st.setl_id, a.clr_appy_evt_id, a.begndate, a.enddate
        );
        return Err(err(codes::NOT_REVERSIBLE, OMSGID, reason));
    }
    let visit = state.visits.get(&st.mdtrt_id).cloned().ok_or_else(|| {
        err(codes::VISIT_NOT_FOUND, OMSGID, format!("找不到结算 {} 的就诊，请联系结算中心", st.setl_id))
    })?;
    if let Some(r) = state.funds.adjust.reimbursed_visit(&visit.fixmedins_code, &visit.visit_no) {
        let reason = format!(
            "结算撤销后，就诊号 {} 已由参保地经办机构手工报销（{}），不能恢复原结算",
            visit.visit_no, r.reimb_id
        );
        return Err(err(codes::NOT_REVERSIBLE, OMSGID, reason));
    }
    let lines = lines_to_relink(state, ctx, &st, &visit)?;
    let mut person = state.person_state(&st.psn_no);
    if person.acct_balance < st.delta.acct_pay {
        let reason = format!(
            "个人账户余额 {} 元已不足原结算的账户支付 {} 元，不能恢复；请重新结算",
            person.acct_balance, st.delta.acct_pay
        );
        return Err(err(codes::NOT_REVERSIBLE, OMSGID, reason));
    }
    let output = with_revs_info(&st.output_json, i)?;
    // The settlement's own posting again (its figures, time and month): the first change, and
    // the only one that may refuse (then nothing changed); everything after is infallible.
    if let Some(original) = state.settle_postings.get(&st.setl_id).cloned() {
        settle::put_posting(state, original, "input.data")?;
    }
    person.apply(&st.delta);
    state.put_person_state(&st.psn_no, person);
    for line in lines {
        state.put_line(FeeLineRecord { setl_id: Some(st.setl_id.clone()), ..line });
    }
    if visit.kind == VisitKind::Inpatient {
        state.put_visit(VisitRecord { state: VisitState::Settled, ..visit });
    }
    state.put_settlement(SettlementRecord {
        status: SettlementStatus::Settled,
        reversal_msgid: None,
        reversal_time: None,
        reversal_output_json: None,
        ..st
    });
    ok(output)
}

/// Refuses a reinstatement once the person settled anything since the cancellation.
fn check_person_unchanged(state: &State, st: &SettlementRecord) -> Result<(), ProtocolError> {
    let Some(cancelled_at) = st.reversal_time else { return Ok(()) };
    let later = state
        .visits_of(&st.psn_no)
        .flat_map(|v| state.settlements_of_visit(&v.mdtrt_id))
        .find(|o| o.setl_id != st.setl_id && o.setl_time >= cancelled_at);
    match later {
        None => Ok(()),
        Some(o) => Err(err(
            codes::NOT_REVERSIBLE,
            OMSGID,
            format!(
                "撤销之后该参保人又有结算（结算ID {}），不能恢复原结算；请重新结算（2207/2304）",
                o.setl_id
            ),
        )),
    }
}

/// The lines the cancellation unlinked, if they are still exactly the settlement's: the batch's
/// (outpatient) or the stay's (inpatient) live lines, none settled, adding up to its medfee.
fn lines_to_relink(
    state: &State,
    ctx: &Ctx<'_>,
    st: &SettlementRecord,
    visit: &VisitRecord,
) -> Result<Vec<FeeLineRecord>, ProtocolError> {
    let path = OMSGID;
    match visit.kind {
        VisitKind::Inpatient => {
            stay(state, ctx, &visit.mdtrt_id, &visit.psn_no, path, &[VisitState::Discharged])?;
        }
        VisitKind::Outpatient if visit.state != VisitState::Open => {
            let reason = format!("就诊 {} 已撤销挂号，不能恢复其结算", visit.mdtrt_id);
            return Err(err(codes::VISIT_STATE, path, reason));
        }
        VisitKind::Outpatient => {}
    }
    let lines: Vec<FeeLineRecord> =
        state.live_lines(&visit.mdtrt_id).filter(|l| l.chrg_bchno == st.chrg_bchno).cloned().collect();
    if let Some(other) = lines.iter().find_map(|l| l.setl_id.as_deref()) {
        let reason = format!("这些费用已由结算 {other} 结算，不能恢复结算 {}", st.setl_id);
        return Err(err(codes::VISIT_STATE, path, reason));
    }
    let total: yidi_domain::Fen = lines.iter().map(|l| l.amount).sum();
    if lines.is_empty() || total != st.medfee_sumamt {
        let reason = format!(
            "撤销后费用明细已变更（现有 {total} 元，原结算 {} 元），不能恢复原结算；请重新结算",
            st.medfee_sumamt
        );
        return Err(err(codes::VISIT_STATE, path, reason));
    }
    Ok(lines)
}

/// 2401 → as 2404: cancels the admission while it is admitted and has no live lines.
fn cancel_admission(state: &mut State, ctx: &Ctx<'_>, i: &In2601) -> TxResult {
    let found = state
        .visits_of(&i.psn_no)
        .find(|v| v.fixmedins_code == ctx.facility() && v.msgid == i.omsgid && v.kind == VisitKind::Inpatient)
        .cloned();
    let Some(v) = found else {
        let reason = format!("报文 {} 办理的入院不属于参保人 {}，请核对人员编号", i.omsgid, i.psn_no);
        return Err(err(codes::BAD_FIELD, "input.data.psn_no", reason));
    };
    if v.state == VisitState::Cancelled {
        let reason = format!("报文 {} 办理的入院（住院 {}）已撤销，无需冲正", i.omsgid, v.mdtrt_id);
        return Err(err(codes::ALREADY_REVERSED, OMSGID, reason));
    }
    stay(state, ctx, &v.mdtrt_id, &v.psn_no, OMSGID, &[VisitState::Open])?;
    if state.live_lines(&v.mdtrt_id).next().is_some() {
        let reason = format!("住院 {} 还有费用明细，请先撤销明细（2302）再冲正入院", v.mdtrt_id);
        return Err(err(codes::VISIT_STATE, OMSGID, reason));
    }
    let output =
        to_output_json(&ReversalOut { setlinfo: None, setldetail: None, yidi_revsinfo: revs_info(i, "1") });
    state.put_visit(VisitRecord { state: VisitState::Cancelled, ..v });
    ok(output)
}
