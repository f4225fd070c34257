//! One call through the hub: envelope, facility scope, idempotency, input, transaction, answer.

use yidi_protocol::envelope::{self, Envelope};
use yidi_protocol::errors::ProtocolError;
use yidi_protocol::inputs::parse_input;
use yidi_store::{AnswerRecord, BlockedMsgid};

use crate::Reply;
use crate::clock::Clock;
use crate::hub::Job;
use crate::state::State;
use crate::tx::{self, Outcome};

/// What a transaction answered: its `output` node (JSON text) and an optional warning.
pub struct Answer {
    pub output: String,
    pub warn_msg: Option<String>,
}

/// Handles one job on the sequencer thread.
pub fn handle(state: &mut State, clock: &dyn Clock, job: &Job) -> Reply {
    let env = match envelope::parse_envelope(&job.body, job.path_infno.as_deref()) {
        Ok(env) => env,
        Err(e) => return refuse(state, clock, job, "000000", "", "", &e),
    };
    let province = province_of(&env);
    if env.fixmedins_code != job.facility {
        let e = crate::tx::err(
            yidi_protocol::errors::FORBIDDEN_FACILITY,
            "fixmedins_code",
            format!("报文机构编码 {} 与认证的机构 {} 不一致", env.fixmedins_code, job.facility),
        );
        return refuse(state, clock, job, &province, &env.infno, &env.msgid, &e);
    }
    if env.mdtrtarea_admvs.get(0..2) != job.facility.get(1..3) {
        let e = crate::tx::err(
            yidi_protocol::errors::BAD_ENVELOPE,
            "mdtrtarea_admvs",
            format!("就医地区划 {} 的省份与定点机构 {} 所在省份不一致", env.mdtrtarea_admvs, job.facility),
        );
        return refuse(state, clock, job, &province, &env.infno, &env.msgid, &e);
    }
    let write = envelope::is_write(&env.infno);
    let key = (env.fixmedins_code.clone(), env.msgid.clone());
    let fingerprint = envelope::fingerprint(&env.infno, &env.input);
    if write {
        if let Some(stored) = state.answers.get(&key) {
            if stored.fingerprint == fingerprint {
                return Reply {
                    status: 200,
                    body: stored.body.clone(),
                    replay: true,
                    infno: env.infno.clone(),
                    msgid: env.msgid.clone(),
                    err_code: None,
                    retry_after_secs: None,
                };
            }
            let e = crate::tx::err(
                yidi_protocol::errors::DUPLICATE_MSGID_DIFFERENT_BODY,
                "msgid",
                format!(
                    "报文ID {} 已于 {} 用于交易 {}，内容不同；请使用新的报文ID",
                    env.msgid, stored.answered_at, stored.infno
                ),
            );
            return refuse(state, clock, job, &province, &env.infno, &env.msgid, &e);
        }
        if state.blocked.contains(&key) {
            let e = crate::tx::err(
                yidi_protocol::errors::ALREADY_REVERSED,
                "msgid",
                format!("报文ID {} 已被冲正（2601）阻止，请使用新的报文ID", env.msgid),
            );
            return refuse(state, clock, job, &province, &env.infno, &env.msgid, &e);
        }
    }
    let input = match parse_input(&env.infno, &env.input) {
        Ok(input) => input,
        Err(e) => return refuse(state, clock, job, &province, &env.infno, &env.msgid, &e),
    };
    let now = clock.now();
    match tx::run(state, &env, input, now) {
        Outcome::Ok(answer) => {
            let body = respond_ok(state, clock, job, &province, &answer);
            if write {
                state.put_answer(AnswerRecord {
                    fixmedins_code: key.0,
                    msgid: key.1,
                    infno: env.infno.clone(),
                    fingerprint,
                    body: body.clone(),
                    answered_at: now,
                });
            }
            Reply {
                status: 200,
                body,
                replay: false,
                infno: env.infno,
                msgid: env.msgid,
                err_code: None,
                retry_after_secs: None,
            }
        }
        Outcome::Refused(e) => refuse(state, clock, job, &province, &env.infno, &env.msgid, &e),
    }
}

/// Blocks an unanswered `msgid` (2601 of a call that never succeeded).
pub fn block(state: &mut State, facility: &str, msgid: &str, by: &str) {
    state.put_blocked(BlockedMsgid {
        fixmedins_code: facility.to_string(),
        msgid: msgid.to_string(),
        blocked_by: by.to_string(),
    });
}

fn province_of(env: &Envelope) -> String {
    match env.mdtrtarea_admvs.get(0..2) {
        Some(p) if env.mdtrtarea_admvs.len() == 6 => format!("{p}0000"),
        _ => "000000".to_string(),
    }
}

fn next_refmsgid(state: &mut State, clock: &dyn Clock, province: &str) -> String {
    state.refmsg_counter = (state.refmsg_counter + 1) % 100_000_000;
    envelope::inf_refmsgid(province, clock.now(), state.node, state.refmsg_counter)
}

fn respond_ok(state: &mut State, clock: &dyn Clock, job: &Job, province: &str, answer: &Answer) -> String {
    let refmsgid = next_refmsgid(state, clock, province);
    let received = envelope::stamp_millis(job.received_ms);
    let responded = envelope::stamp_millis(clock.now_millis());
    envelope::response_ok(&refmsgid, &received, &responded, &answer.output, answer.warn_msg.as_deref())
}

fn refuse(
    state: &mut State,
    clock: &dyn Clock,
    job: &Job,
    province: &str,
    infno: &str,
    msgid: &str,
    e: &ProtocolError,
) -> Reply {
    let refmsgid = next_refmsgid(state, clock, province);
    let received = envelope::stamp_millis(job.received_ms);
    let responded = envelope::stamp_millis(clock.now_millis());
    Reply {
        status: 200,
        body: envelope::response_protocol_err(&refmsgid, &received, &responded, e),
        replay: false,
        infno: infno.to_string(),
        msgid: msgid.to_string(),
        err_code: Some(e.err_code.to_string()),
        retry_after_secs: None,
    }
}

/// The 503 answer when the hub cannot take the call (queue full or stopping): nothing changed,
/// resend with the same `msgid`.
pub fn unavailable(clock: &dyn Clock, received_ms: i64) -> Reply {
    let e = crate::tx::err(
        yidi_protocol::errors::UNAVAILABLE,
        "",
        "结算中心繁忙或正在停止，本次请求未处理；请稍后用相同报文ID重发".to_string(),
    );
    let stamp = envelope::stamp_millis(received_ms);
    let refmsgid = envelope::inf_refmsgid("000000", clock.now(), 0, 0);
    Reply {
        status: 503,
        body: envelope::response_protocol_err(
            &refmsgid,
            &stamp,
            &envelope::stamp_millis(clock.now_millis()),
            &e,
        ),
        replay: false,
        infno: String::new(),
        msgid: String::new(),
        err_code: Some(e.err_code.to_string()),
        retry_after_secs: Some(1),
    }
}
