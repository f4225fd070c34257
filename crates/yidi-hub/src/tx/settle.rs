//! Settlement, pre-settlement and cancellation, shared by the outpatient and inpatient flows:
//! stored lines → engine claim → `adjudicate` → national output → records (`settlement.md` §9).

use std::collections::BTreeMap;

use yidi_adjudication::{Claim, Context, FeeLine, FilingClass, Refusal, Settlement, adjudicate, explain};
use yidi_domain::{FacilityCode, Fen, MedType, checked_line_fen};
use yidi_protocol::errors::{self as codes, ProtocolError};
use yidi_protocol::inputs::SplitAmounts;
use yidi_protocol::outputs::{SetlIds, settlement_out, to_output_json};
use yidi_store::{FeeLineRecord, SettlementRecord, SettlementStatus, VisitKind, VisitRecord, VisitState};

use super::{Ctx, TxResult, err};
use crate::dispatch::Answer;
use crate::negate::negate_output;
use crate::state::State;

/// One settlement or pre-settlement request, after the flow checked the visit's state.
pub struct Request {
    pub visit: VisitRecord,
    pub lines: Vec<FeeLineRecord>,
    pub med_type: String,
    pub dise_codg: Option<String>,
    pub emergency: bool,
    pub acct_used: bool,
    pub mdtrt_cert_type: String,
    pub declared_medfee: Fen,
    pub split: SplitAmounts,
    pub chrg_bchno: Option<String>,
    /// Settle (W) rather than pre-settle (R).
    pub commit: bool,
    /// Path prefix of the request's data node, for error paths.
    pub path: &'static str,
}

/// Nets refund lines (negative `cnt`, `init_feedetl_sn`) into the lines they refund; a line
/// refunded in full disappears.
fn net_lines(lines: &[FeeLineRecord]) -> Vec<FeeLine> {
    let mut by_sn: BTreeMap<&str, (FeeLineRecord, i64)> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.init_feedetl_sn.is_none()) {
        by_sn.insert(&l.feedetl_sn, (l.clone(), l.cnt.ten_thousandths()));
    }
    for l in lines.iter().filter(|l| l.init_feedetl_sn.is_some()) {
        if let Some((_, cnt)) = l.init_feedetl_sn.as_deref().and_then(|sn| by_sn.get_mut(sn)) {
            *cnt = cnt.saturating_add(l.cnt.ten_thousandths());
        }
    }
    by_sn
        .into_values()
        .filter(|(_, cnt)| *cnt > 0)
        .map(|(l, cnt)| {
            let cnt = yidi_domain::Qty::from_ten_thousandths(cnt);
            FeeLine {
                feedetl_sn: l.feedetl_sn,
                med_list_codg: l.med_list_codg,
                cnt,
                pric: l.pric,
                // Stored lines are within the protocol's bounds, but a pathological sum of
                // refund lines must not panic here: clamp, and the engine's range check refuses it.
                amount: checked_line_fen(cnt, l.pric).unwrap_or(Fen::MAX),
                fee_ocur_time: Some(l.fee_ocur_time),
            }
        })
        .collect()
}

fn claim_of(ctx: &Ctx<'_>, req: &Request) -> Result<Claim, ProtocolError> {
    let bad = |field: &str, e: String| err(codes::BAD_FIELD, &format!("{}.{field}", req.path), e);
    Ok(Claim {
        claim_id: ctx.msgid().to_string(),
        psn_no: req.visit.psn_no.clone(),
        fixmedins_code: FacilityCode::parse(&req.visit.fixmedins_code)
            .map_err(|e| bad("fixmedins_code", e.to_string()))?,
        med_type: MedType::parse(&req.med_type).map_err(|e| bad("med_type", e.to_string()))?,
        begntime: req.visit.begntime,
        endtime: req.visit.endtime,
        setl_time: ctx.now,
        dise_codg: req.dise_codg.clone(),
        emergency: req.emergency,
        acct_used: req.acct_used,
        lines: net_lines(&req.lines),
    })
}

/// Maps an engine refusal to the national error, with the field a clerk should look at.
fn refusal(r: &Refusal, path: &str) -> ProtocolError {
    let field = match r {
        Refusal::UnknownPerson { .. }
        | Refusal::FilingRequired { .. }
        | Refusal::ChronicNotEntitled { .. } => "psn_no",
        Refusal::UnknownCatalogCode { .. } | Refusal::AmountMismatch { .. } => "medfee_sumamt",
        Refusal::MedTypeNotSupported { .. } | Refusal::ChronicNotListed { .. } => "med_type",
        _ => "mdtrt_id",
    };
    err(r.err_code(), &format!("{path}.{field}"), r.to_string())
}

/// Settles or pre-settles; a refusal is recorded for the agency dashboards (a statistic, not
/// business state: `State::record_refusal`).
pub fn settle(state: &mut State, ctx: &Ctx<'_>, req: Request) -> TxResult {
    let who = (req.visit.psn_no.clone(), req.visit.fixmedins_code.clone(), req.visit.mdtrt_id.clone());
    let result = settle_checked(state, ctx, req);
    if let Err(e) = &result {
        state.record_refusal(&who.0, &who.1, &who.2, e.err_code, ctx.now);
    }
    result
}

/// Settles or pre-settles; on settlement records everything in one commit.
fn settle_checked(state: &mut State, ctx: &Ctx<'_>, req: Request) -> TxResult {
    if let Some(r) = state.funds.adjust.reimbursed_visit(&req.visit.fixmedins_code, &req.visit.visit_no) {
        return Err(err(
            codes::VISIT_STATE,
            &format!("{}.mdtrt_id", req.path),
            format!(
                "就诊号 {} 已由参保地经办机构手工报销（{}，{}），不能再直接结算；请患者按手工报销结果处理",
                req.visit.visit_no, r.reimb_id, r.computed_at
            ),
        ));
    }
    if req.lines.is_empty() {
        return Err(err(
            codes::VISIT_STATE,
            &format!("{}.mdtrt_id", req.path),
            "没有可结算的费用明细，请先上传费用".into(),
        ));
    }
    let total: Fen = req.lines.iter().map(|l| l.amount).sum();
    if total != req.declared_medfee {
        return Err(err(
            codes::AMOUNT_MISMATCH,
            &format!("{}.medfee_sumamt", req.path),
            format!("医疗费总额 {} 元与已上传明细合计 {total} 元不一致，请核对明细", req.declared_medfee),
        ));
    }
    let claim = claim_of(ctx, &req)?;
    let pack = state.pack.clone();
    let person = state.person_record(&req.visit.psn_no);
    let person_state = state.person_state(&req.visit.psn_no);
    let ctx_engine = Context { refdata: &pack.refdata, person: person.get(), state: &person_state };
    let s = adjudicate(&ctx_engine, &claim).map_err(|r| refusal(&r, req.path))?;
    check_split(&s, &req)?;
    let warn_msg = warning(&s);
    if !req.commit {
        let ids = ids(&req, None, ctx);
        return Ok(Answer { output: to_output_json(&settlement_out(&s, &ids)), warn_msg });
    }
    let division = s.facility.code.division();
    let setl_id = state.seq.setl_id(division);
    let output = to_output_json(&settlement_out(&s, &ids(&req, Some(setl_id.clone()), ctx)));
    record(state, ctx, &req, &s, &setl_id, &output, &person_state)?;
    Ok(Answer { output, warn_msg })
}

fn ids(req: &Request, setl_id: Option<String>, ctx: &Ctx<'_>) -> SetlIds {
    let settled = setl_id.is_some();
    SetlIds {
        mdtrt_id: req.visit.mdtrt_id.clone(),
        setl_id,
        setl_time: settled.then_some(ctx.now),
        mdtrt_cert_type: req.mdtrt_cert_type.clone(),
        medins_setl_id: settled.then(|| ctx.msgid().to_string()),
    }
}

/// The four split amounts, when the hospital sends them, must equal Yidi's.
fn check_split(s: &Settlement<'_>, req: &Request) -> Result<(), ProtocolError> {
    let i = &s.setlinfo;
    let pairs = [
        ("fulamt_ownpay_amt", req.split.fulamt_ownpay_amt, i.fulamt_ownpay_amt),
        ("overlmt_selfpay", req.split.overlmt_selfpay, i.overlmt_selfpay),
        ("preselfpay_amt", req.split.preselfpay_amt, i.preselfpay_amt),
        ("inscp_scp_amt", req.split.inscp_scp_amt, i.inscp_scp_amt),
    ];
    let problems: Vec<_> = pairs
        .iter()
        .filter_map(|(name, sent, ours)| sent.filter(|v| v != ours).map(|v| (name, v, ours)))
        .map(|(name, v, ours)| {
            yidi_protocol::errors::Problem::new(
                format!("{}.{name}", req.path),
                format!("医院计算 {v} 元与结算中心 {ours} 元不一致，请以预结算（2206/2303）结果为准"),
            )
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(ProtocolError::new(codes::AMOUNT_MISMATCH, problems)) }
}

/// `warn_msg` names a filing class that changed benefits: `未备案，统筹比例0.7000→0.5000`.
fn warning(s: &Settlement<'_>) -> Option<String> {
    let w = &s.workings;
    let changed = w.excluded || w.ratio != w.local_ratio || w.moved_to_preselfpay > Fen::ZERO;
    if !changed || s.filing_class() == FilingClass::LongTerm {
        return None;
    }
    let name = s.filing_class().name_zh();
    Some(format!("{name}，统筹比例{}→{}", w.local_ratio.fraction(), w.ratio.fraction()))
}

/// Records a settlement: its ledger posting first (the only step that can refuse, changing
/// nothing), then the person's state, lines, visit and settlement — all in the pending batch, so
/// the posting commits atomically with the settlement.
fn record(
    state: &mut State,
    ctx: &Ctx<'_>,
    req: &Request,
    s: &Settlement<'_>,
    setl_id: &str,
    output: &str,
    before: &yidi_domain::PersonState,
) -> Result<(), ProtocolError> {
    post_settlement(state, s, setl_id, ctx.now, req.path)?;
    let i = &s.setlinfo;
    let mut after = before.clone();
    after.apply(&s.delta);
    state.put_person_state(&req.visit.psn_no, after);
    for line in &req.lines {
        state.put_line(FeeLineRecord { setl_id: Some(setl_id.to_string()), ..line.clone() });
    }
    if req.visit.kind == VisitKind::Inpatient {
        state.put_visit(VisitRecord { state: VisitState::Settled, ..req.visit.clone() });
    }
    state.put_settlement(SettlementRecord {
        setl_id: setl_id.to_string(),
        mdtrt_id: req.visit.mdtrt_id.clone(),
        fixmedins_code: req.visit.fixmedins_code.clone(),
        psn_no: req.visit.psn_no.clone(),
        chrg_bchno: req.chrg_bchno.clone(),
        insutype: s.person.insutype.as_str().to_string(),
        clr_type: yidi_protocol::outputs::clr_type(s.kind).to_string(),
        clr_optins: s.treatment_region.admdvs.to_string(),
        setl_time: ctx.now,
        status: SettlementStatus::Settled,
        medfee_sumamt: i.medfee_sumamt,
        fund_pay_sumamt: i.fund_pay_sumamt,
        acct_pay: i.acct_pay,
        psn_cash_pay: i.psn_cash_pay,
        delta: s.delta.clone(),
        output_json: output.to_string(),
        trace: explain(s).join("\n"),
        msgid: ctx.msgid().to_string(),
        reversal_msgid: None,
        reversal_time: None,
        reversal_output_json: None,
    });
    Ok(())
}

/// Posts a cross-province settlement's balanced entries (same-province care posts nothing: see
/// the `books` module doc).
fn post_settlement(
    state: &mut State,
    s: &Settlement<'_>,
    setl_id: &str,
    at: yidi_domain::DateTime,
    path: &str,
) -> Result<(), ProtocolError> {
    let facts = crate::books::settlement_facts(s, setl_id, at);
    let posting = crate::books::settlement_posting(&facts).map_err(|why| {
        err(codes::FACILITY_NOT_OPEN, &format!("{path}.mdtrt_id"), format!("无法记账：{why}"))
    })?;
    match posting {
        Some(p) => put_posting(state, p, path),
        None => Ok(()),
    }
}

/// Puts a posting into the ledger and the pending batch; a posting the ledger refuses (its month
/// is cleared and closed) refuses the transaction.
pub(super) fn put_posting(
    state: &mut State,
    p: yidi_ledger::Posting,
    path: &str,
) -> Result<(), ProtocolError> {
    let reversal = p.sense() == yidi_ledger::Sense::Reversal;
    state.put_posting(p).map_err(|e| {
        let message = match e {
            yidi_ledger::LedgerError::ClosedMonth { month, reference } if reversal => format!(
                "结算 {reference} 所属的 {month} 已冻结清算，不能撤销；如需退回基金已支付的金额，请就医地经办机构办理追回（记入下一清算月）"
            ),
            e => e.to_string(),
        };
        err(codes::MONTH_CLEARED, &format!("{path}.setl_id"), message)
    })
}

/// Cancels a live settlement (2208 / 2305): restores exactly what it changed.
pub fn reverse(
    state: &mut State,
    ctx: &Ctx<'_>,
    setl_id: &str,
    mdtrt_id: &str,
    psn_no: &str,
    path: &str,
) -> TxResult {
    let not_found =
        || err(codes::SETL_NOT_FOUND, &format!("{path}.setl_id"), format!("结算ID {setl_id} 不存在，请核对"));
    let st = state
        .settlements
        .get(setl_id)
        .filter(|s| s.fixmedins_code == ctx.facility() && s.mdtrt_id == mdtrt_id && s.psn_no == psn_no)
        .ok_or_else(not_found)?
        .clone();
    if st.status == SettlementStatus::Reversed {
        return Err(err(
            codes::ALREADY_REVERSED,
            &format!("{path}.setl_id"),
            format!(
                "结算ID {setl_id} 已于 {} 撤销，无需重复撤销",
                st.reversal_time.map_or_else(String::new, |t| t.to_string())
            ),
        ));
    }
    crate::adjust::check_cancellable(state, setl_id, path)?;
    let mut person = state.person_state(&st.psn_no);
    person.revert(&st.delta);
    let output =
        negate_output(&st.output_json, ctx.now, ctx.msgid(), person.acct_balance).ok_or_else(|| {
            err(codes::SETL_NOT_FOUND, &format!("{path}.setl_id"), "结算记录已损坏，请联系结算中心".into())
        })?;
    // The exact mirror of the settlement's posting, counting in its month; first, as it may refuse.
    if let Some(original) = state.settle_postings.get(setl_id) {
        let reversal = yidi_ledger::reversal(original, ctx.now.max(original.at()));
        put_posting(state, reversal, path)?;
    }
    state.put_person_state(&st.psn_no, person);
    let visit_lines: Vec<FeeLineRecord> =
        state.lines.get(&st.mdtrt_id).map(|m| m.values().cloned().collect()).unwrap_or_default();
    for line in visit_lines.into_iter().filter(|l| l.setl_id.as_deref() == Some(setl_id)) {
        state.put_line(FeeLineRecord { setl_id: None, ..line });
    }
    if let Some(v) = state.visits.get(&st.mdtrt_id).filter(|v| v.kind == VisitKind::Inpatient).cloned() {
        state.put_visit(VisitRecord { state: VisitState::Discharged, ..v });
    }
    state.put_settlement(SettlementRecord {
        status: SettlementStatus::Reversed,
        reversal_msgid: Some(ctx.msgid().to_string()),
        reversal_time: Some(ctx.now),
        reversal_output_json: Some(output.clone()),
        ..st
    });
    Ok(Answer { output, warn_msg: None })
}
