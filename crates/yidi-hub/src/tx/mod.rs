//! The national transactions (`protocol.md` §6), one function each, grouped by flow.
//!
//! Each handler checks everything first and changes state only when it will succeed, so a
//! refusal changes nothing. Handlers return the `output` node as JSON text.

mod fees;
mod info;
mod inpatient;
mod lookup;
mod outpatient;
mod query;
mod recon;
mod reversal;
mod settle;
mod stay;

use yidi_domain::DateTime;
use yidi_protocol::envelope::Envelope;
use yidi_protocol::errors::{Problem, ProtocolError};
use yidi_protocol::inputs::TxInput;
use yidi_store::{VisitKind, VisitRecord};

use crate::dispatch::Answer;
use crate::state::State;

/// What a transaction produced.
pub enum Outcome {
    Ok(Answer),
    Refused(ProtocolError),
}

pub type TxResult = Result<Answer, ProtocolError>;

/// A one-problem error.
pub fn err(code: &'static str, path: &str, reason: String) -> ProtocolError {
    ProtocolError::new(code, vec![Problem::new(path, reason)])
}

pub fn ok(output: String) -> TxResult {
    Ok(Answer { output, warn_msg: None })
}

/// Who is calling and when.
pub struct Ctx<'e> {
    pub env: &'e Envelope,
    pub now: DateTime,
}

impl Ctx<'_> {
    pub fn facility(&self) -> &str {
        &self.env.fixmedins_code
    }
    pub fn msgid(&self) -> &str {
        &self.env.msgid
    }
}

/// Routes a parsed input to its handler.
pub fn run(state: &mut State, env: &Envelope, input: TxInput, now: DateTime) -> Outcome {
    let ctx = Ctx { env, now };
    let result = match input {
        TxInput::Tx9001(i) => info::sign_in(state, &ctx, &i),
        TxInput::Tx9002(i) => info::sign_out(state, &ctx, &i),
        TxInput::Tx1101(i) => info::person_info(state, &ctx, &i),
        TxInput::Tx2201(i) => outpatient::register(state, &ctx, &i),
        TxInput::Tx2202(i) => outpatient::cancel_registration(state, &ctx, &i),
        TxInput::Tx2203(i) => outpatient::visit_info(state, &ctx, &i),
        TxInput::Tx2204(i) => outpatient::upload_fees(state, &ctx, &i),
        TxInput::Tx2205(i) => outpatient::withdraw_fees(state, &ctx, &i),
        TxInput::Tx2206(i) => outpatient::settle(state, &ctx, &i, None),
        TxInput::Tx2207(i) => outpatient::settle(state, &ctx, &i.setl, Some(i.invono.as_deref())),
        TxInput::Tx2208(i) => outpatient::reverse(state, &ctx, &i),
        TxInput::Tx2401(i) => inpatient::admit(state, &ctx, &i),
        TxInput::Tx2402(i) => inpatient::discharge(state, &ctx, &i),
        TxInput::Tx2404(i) => inpatient::cancel_admission(state, &ctx, &i),
        TxInput::Tx2405(i) => inpatient::cancel_discharge(state, &ctx, &i),
        TxInput::Tx2301(i) => inpatient::upload_fees(state, &ctx, &i),
        TxInput::Tx2303(i) => inpatient::settle(state, &ctx, &i, false),
        TxInput::Tx2304(i) => inpatient::settle(state, &ctx, &i.setl, true),
        TxInput::Tx2305(i) => inpatient::reverse(state, &ctx, &i),
        TxInput::Tx2302(i) => stay::withdraw_fees(state, &ctx, &i),
        TxInput::Tx2403(i) => stay::change_admission(state, &ctx, &i),
        TxInput::Tx2601(i) => reversal::reverse_call(state, &ctx, &i),
        TxInput::Tx1201(i) => lookup::facilities(state, &i),
        TxInput::Tx2001(i) => lookup::treatment_check(state, &ctx, &i),
        TxInput::Tx5203(i) => query::settlement_info(state, &ctx, &i),
        TxInput::Tx5204(i) => query::fee_lines(state, &ctx, &i),
        TxInput::Tx3201(i) => recon::totals(state, &ctx, &i),
        TxInput::Tx3202(i) => recon::details(state, &ctx, &i),
        TxInput::Tx3203(i) => crate::adjust::apply_3203(state, &ctx, &i),
        TxInput::Tx3204(i) => crate::adjust::cancel_3204(state, &ctx, &i),
    };
    match result {
        Ok(answer) => Outcome::Ok(answer),
        Err(e) => Outcome::Refused(e),
    }
}

/// The caller's own visit of a kind; another facility's visit is answered as unknown.
pub fn own_visit<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    mdtrt_id: &str,
    psn_no: &str,
    kind: VisitKind,
    path: &str,
) -> Result<&'s VisitRecord, ProtocolError> {
    let not_found = || {
        err(yidi_protocol::errors::VISIT_NOT_FOUND, path, format!("就诊ID {mdtrt_id} 不存在，请核对就诊ID"))
    };
    let visit =
        state.visits.get(mdtrt_id).filter(|v| v.fixmedins_code == ctx.facility()).ok_or_else(not_found)?;
    if visit.kind != kind {
        return Err(not_found());
    }
    if visit.psn_no != psn_no {
        return Err(err(
            yidi_protocol::errors::BAD_FIELD,
            path.rsplit_once('.').map_or(path, |(p, _)| p),
            format!("人员编号 {psn_no} 与就诊ID {mdtrt_id} 的参保人不一致"),
        ));
    }
    Ok(visit)
}

/// The known person, or `unknown_person`.
pub fn person<'s>(
    state: &'s State,
    psn_no: &str,
    path: &str,
) -> Result<&'s yidi_domain::PersonRecord, ProtocolError> {
    state.pack.persons.get(psn_no).ok_or_else(|| {
        err(
            yidi_protocol::errors::UNKNOWN_PERSON,
            path,
            format!("未找到人员编号 {psn_no} 的参保信息，请先做人员信息获取（1101）核对"),
        )
    })
}

/// `insutype` must be the person's.
pub fn check_insutype(
    p: &yidi_domain::PersonRecord,
    insutype: &str,
    path: &str,
) -> Result<(), ProtocolError> {
    if p.person.insutype.as_str() != insutype {
        return Err(err(
            yidi_protocol::errors::NO_POLICY,
            path,
            format!(
                "险种类型 {insutype} 不是该参保人的险种（{}），请按 1101 返回的险种办理",
                p.person.insutype
            ),
        ));
    }
    Ok(())
}
