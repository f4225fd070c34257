//! The outpatient cycle of `protocol.md` §5, forwards and back: sign-in, look-ups, registration,
//! visit data, each charge batch uploaded, pre-settled and settled (the first by 8 concurrent
//! identical 2207s), queries and reconciliation while settled, every refused move, then back:
//! cancellation (2208), its reversal (2601 reinstates), 2601 of the 2207, the other batches
//! cancelled, fees withdrawn, the registration cancelled, sign-out. Every figure is checked
//! against the profile to the fen.

use std::time::Duration;

use serde_json::Value;

use super::inputs::{self, AmountForm, FeeLine, SettleReq};
use super::{Abort, Run, Step, expect_ok, expect_refusal, no_problems, outpatient_moves, recon, text_at};
use crate::client::{CALL_SERVICE, Exchange, Party, body_text};
use crate::json::Json;
use crate::profile::{Expected, OutpatientProfile, PersonProfile};
use crate::report::{Check, Mismatch, Verdict};
use crate::verify;
use crate::{money, time};

/// Identical 2207s sent at once (§8).
const CONCURRENT_2207S: usize = 8;
/// The split amounts a 2207 carries from its pre-settlement (§6 2207).
const SPLIT_FIELDS: [&str; 4] = ["fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"];

/// One charge batch as it goes.
pub struct BatchState {
    pub chrg_bchno: String,
    pub lines: Vec<FeeLine>,
    pub total_fen: i64,
    pub settle_msgid: String,
    pub setl_id: String,
    pub output: Json,
    pub live: bool,
}

/// The visit the flow works on.
pub struct Visit<'p> {
    pub party: Party,
    pub person: &'p PersonProfile,
    pub op: &'p OutpatientProfile,
    pub begntime: String,
    pub mdtrt_id: String,
    pub ipt_otp_no: String,
    pub batches: Vec<BatchState>,
    pub cancelled: bool,
}

impl Visit<'_> {
    pub fn req<'a>(&'a self, b: &'a BatchState) -> SettleReq<'a> {
        SettleReq {
            person: self.person,
            mdtrt_id: &self.mdtrt_id,
            chrg_bchno: Some(&b.chrg_bchno),
            med_type: &self.op.med_type,
            medfee_fen: b.total_fen,
            acct_used_flag: &self.op.acct_used_flag,
        }
    }
}

/// Every check id this flow reports, for a profile with `batches` charge batches.
pub fn ids(batches: usize) -> Vec<String> {
    let mut ids: Vec<String> = [
        "out.9001_sign_in",
        "out.1201_facility",
        "out.1101_person",
        "out.2001_treatment_check",
        "idem.refusal_not_stored",
        "out.2201_register",
        "out.2203_visit_info",
        "transport.alias_infno",
        "transport.amount_as_string",
        "refuse.out.2207_split_mismatch",
        "idem.concurrent_2207",
        "idem.replay_same_bytes",
        "idem.other_body_refused",
    ]
    .map(String::from)
    .to_vec();
    for k in 1..=batches {
        ids.extend(
            ["out.2204_upload", "out.2206_pre_settle", "out.2207_settle", "out.2208_cancel"]
                .map(|c| format!("{c}.{k}")),
        );
    }
    ids.extend(outpatient_moves::IDS.map(String::from));
    ids.extend(recon::TOTALS_IDS.map(String::from));
    ids.extend(
        [
            "refuse.out.2208_reversed",
            "rev.2601_reinstate",
            "rev.2601_of_2207",
            "refuse.rev.2601_repeat",
            "out.2205_withdraw",
            "refuse.out.2207_no_lines",
            "out.2202_cancel",
            "refuse.out.2203_cancelled",
            "refuse.out.2204_cancelled",
            "refuse.out.2202_cancelled",
            "out.5203_after_cancel",
            "out.9002_sign_out",
        ]
        .map(String::from),
    );
    ids
}

/// Runs the cycle; on a failed step, cancels what it made and stops.
pub fn run(run: &mut Run<'_, '_>) -> Step<()> {
    let profile = run.profile;
    let Some(op) = &profile.outpatient else {
        for id in ids(0) {
            run.report.push(&id, Verdict::Skip("the profile has no [outpatient]".into()));
        }
        return Ok(());
    };
    run.report.plan(ids(op.batch.len()));
    let party = run.party_for(op.fixmedins_code.as_deref()).map_err(Abort)?;
    let begntime = op.begntime.clone().unwrap_or_else(|| time::beijing_datetime(time::unix_now()));
    let mut v = Visit {
        party,
        person: profile.person(&op.person),
        op,
        begntime,
        mdtrt_id: String::new(),
        ipt_otp_no: format!("MZ{}", run.client.next_msgid()),
        batches: Vec::new(),
        cancelled: false,
    };
    let result = forwards_and_back(run, &mut v);
    if result.is_err() {
        clean_up(run, &v);
    }
    result
}

fn forwards_and_back(run: &mut Run<'_, '_>, v: &mut Visit<'_>) -> Step<()> {
    let sign_no = look_ups(run, v)?;
    register(run, v)?;
    for k in 0..v.op.batch.len() {
        upload(run, v, k)?;
        settle(run, v, k)?;
    }
    outpatient_moves::while_settled(run, v);
    unwind(run, v)?;
    close(run, v)?;
    let x = run.call(&v.party.clone(), "9002", inputs::sign_out(&sign_no));
    run.check("out.9002_sign_out", expect_ok(&x).map(|_| ()));
    Ok(())
}

/// 9001, 1201, 1101, 2001; the sign-in number for 9002.
fn look_ups(run: &mut Run<'_, '_>, v: &Visit<'_>) -> Step<String> {
    let party = v.party.clone();
    let x = run.call(&party, "9001", inputs::sign_in());
    let sign_no = expect_ok(&x).and_then(|o| text_at(o, "signinoutb.sign_no", "9001")).and_then(|s| {
        let ok = s.len() == 26 && s.starts_with(&party.province()) && s.bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(s) } else { Err(Mismatch::new("sign_no = province + yyyyMMdd + 12 digits", s)) }
    });
    let sign_no = run.step("out.9001_sign_in", sign_no)?;
    let x = run.call(&party, "1201", inputs::facility_query(&party.code));
    run.check("out.1201_facility", super::transport::lists_facility(&x, &party));
    let x = run.call(&party, "1101", inputs::person_info(v.person, &v.begntime));
    run.check("out.1101_person", person_matches(&x, v.person));
    let input = inputs::treatment_check(v.person, &v.op.med_type, &v.begntime, &v.op.dise_codg);
    let x = run.call(&party, "2001", input);
    run.check("out.2001_treatment_check", entitled(&x, v.person));
    Ok(sign_no)
}

fn person_matches(x: &Exchange, p: &PersonProfile) -> Check {
    let out = expect_ok(x)?;
    let insutype = out.get("insuinfo").and_then(|i| i.rows().first()).and_then(|r| r.get("insutype"));
    let got = [
        ("baseinfo.psn_no", out.at("baseinfo.psn_no"), p.psn_no.as_str()),
        ("baseinfo.certno", out.at("baseinfo.certno"), p.certno.as_str()),
        ("baseinfo.psn_name", out.at("baseinfo.psn_name"), p.name.as_str()),
        ("insuinfo[0].insutype", insutype, p.insutype.as_str()),
    ];
    let wrong: Vec<String> = got
        .iter()
        .filter(|(_, g, want)| g.and_then(Json::text) != Some(*want))
        .map(|(f, g, want)| format!("{f} {} (want {want})", g.map_or("absent".into(), Json::to_string)))
        .collect();
    no_problems("1101 to answer the profile's person", wrong)
}

pub fn entitled(x: &Exchange, p: &PersonProfile) -> Check {
    let out = expect_ok(x)?;
    let rows = out.get("trtinfo").map_or(&[][..], Json::rows);
    let enjoys = rows.iter().any(|r| {
        r.get("trt_enjymnt_flag").and_then(Json::text) == Some("1")
            && r.get("psn_no").and_then(Json::text) == Some(p.psn_no.as_str())
    });
    if enjoys {
        return Ok(());
    }
    Err(Mismatch::new("trtinfo[] with a row trt_enjymnt_flag 1", out.to_string()))
}

/// 2201 (first refused with a wrong `insutype`, then accepted under the same `msgid`) and 2203.
fn register(run: &mut Run<'_, '_>, v: &mut Visit<'_>) -> Step<()> {
    let party = v.party.clone();
    let msgid = run.client.next_msgid();
    let wrong = if v.person.insutype == "390" { "310" } else { "390" };
    let refused =
        run.call_as(&party, "2201", &msgid, inputs::register(v.person, wrong, &v.begntime, &v.ipt_otp_no));
    let input = inputs::register(v.person, &v.person.insutype, &v.begntime, &v.ipt_otp_no);
    let x = run.call_as(&party, "2201", &msgid, input);
    let idem = match (refused.is_success(), x.is_success()) {
        (false, true) => Ok(()),
        (true, _) => Err(Mismatch::new("2201 with another insutype refused", refused.gist())),
        (false, false) => Err(Mismatch::new("the refused msgid accepted when resent corrected", x.gist())),
    };
    run.check("idem.refusal_not_stored", idem);
    let division = party.code.get(1..7).unwrap_or("").to_string();
    let mdtrt_id = expect_ok(&x).and_then(|o| text_at(o, "data.mdtrt_id", "2201")).and_then(|id| {
        let ok = id.len() == 18 && id.starts_with(&division) && id.bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(id) } else { Err(Mismatch::new(format!("mdtrt_id = {division} + 12 digits"), id)) }
    });
    v.mdtrt_id = run.step("out.2201_register", mdtrt_id)?;
    let input = inputs::visit_info(
        &v.person.psn_no,
        &v.mdtrt_id,
        &v.op.med_type,
        &v.begntime,
        (&v.op.dise_codg, &v.op.dise_name),
    );
    let x = run.call(&party, "2203", input);
    run.step("out.2203_visit_info", expect_ok(&x).map(|_| ()))
}

/// 2204 of batch `k`.
fn upload(run: &mut Run<'_, '_>, v: &mut Visit<'_>, k: usize) -> Step<()> {
    let batch = &v.op.batch[k];
    let lines: Vec<FeeLine> = batch
        .items
        .iter()
        .enumerate()
        .map(|(n, item)| FeeLine::of_item(item, format!("B{}L{}", k + 1, n + 1), &v.begntime))
        .collect();
    let x = run.call(
        &v.party.clone(),
        "2204",
        inputs::outpatient_fees(&v.person.psn_no, &v.mdtrt_id, &batch.chrg_bchno, &lines),
    );
    let rows = run.step(&format!("out.2204_upload.{}", k + 1), super::result_rows(&x, lines.len()))?;
    run.line_rows("2204", &rows);
    let total_fen = lines.iter().map(|l| l.amount_fen).sum();
    v.batches.push(BatchState {
        chrg_bchno: batch.chrg_bchno.clone(),
        lines,
        total_fen,
        settle_msgid: String::new(),
        setl_id: String::new(),
        output: Json::Null,
        live: false,
    });
    Ok(())
}

/// Fields a pre-settlement leaves null (§6 2206): nothing is recorded, nothing is cleared.
const PRE_SETTLEMENT_NULLS: [&str; 5] = ["setl_id", "setl_time", "medins_setl_id", "clr_optins", "clr_way"];

/// Which answer [`judged`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 2206/2303: computed, not recorded.
    PreSettlement,
    /// 2207/2304: recorded, with a `setl_id`.
    Settlement,
}

/// Judges a (pre-)settlement answer as check `id`: an answer that is not a success stops the
/// flow; wrong figures fail the check, and the flow goes on with the answer as given so the
/// later checks still run. A settlement without a `setl_id` stops the flow too.
pub fn judged(run: &mut Run<'_, '_>, id: &str, x: &Exchange, expected: &Expected, kind: Kind) -> Step<Json> {
    let pre = kind == Kind::PreSettlement;
    let out = match run.settlement_output(x) {
        Ok(out) => out,
        Err(m) => return run.step(id, Err(m)),
    };
    let mut expected = expected.clone();
    if pre {
        expected.setlinfo.retain(|k, _| !PRE_SETTLEMENT_NULLS.contains(&k.as_str()));
    }
    let mut problems = verify::expected_problems(&out, &expected);
    let setl_id = out.at("setlinfo.setl_id").filter(|v| !v.is_null());
    if pre {
        let set = PRE_SETTLEMENT_NULLS
            .iter()
            .filter(|f| out.at(&format!("setlinfo.{f}")).is_some_and(|v| !v.is_null()));
        problems.extend(set.map(|f| format!("{f} not null in a pre-settlement")));
    } else if setl_id.and_then(Json::text).is_none() {
        problems.push("no setl_id".to_string());
    }
    let stop = !pre && setl_id.and_then(Json::text).is_none();
    run.check(id, no_problems(&format!("{} figures of the profile", x.what), problems));
    if stop {
        return Err(Abort(format!("{id}: no setl_id")));
    }
    Ok(out)
}

/// The exact text of the four split amounts of a (pre-)settlement output.
pub fn split_of(out: &Json) -> Vec<(String, String)> {
    SPLIT_FIELDS
        .iter()
        .filter_map(|f| Some((f.to_string(), out.at(&format!("setlinfo.{f}"))?.text()?.to_string())))
        .collect()
}

/// 2206 then 2207 of batch `k`; the first batch also exercises the alias path, a string amount,
/// a wrong split, concurrency and idempotency.
fn settle(run: &mut Run<'_, '_>, v: &mut Visit<'_>, k: usize) -> Step<()> {
    let party = v.party.clone();
    let expected = &v.op.batch[k].expected;
    let x = run.call(&party, "2206", inputs::pre_settle(&v.req(&v.batches[k]), AmountForm::Number));
    let pre = judged(run, &format!("out.2206_pre_settle.{}", k + 1), &x, expected, Kind::PreSettlement)?;
    let split = split_of(&pre);
    let body = inputs::settle(&v.req(&v.batches[k]), &split, &format!("FP{}", k + 1));
    let (msgid, x) = if k == 0 {
        first_batch_extras(run, v, &pre, &split);
        let msgid = run.client.next_msgid();
        let envelope = run.client.envelope(&party, "2207", &msgid, body.clone());
        let x = concurrent(run, &party, &envelope);
        (msgid, x)
    } else {
        let msgid = run.client.next_msgid();
        (msgid.clone(), run.call_as(&party, "2207", &msgid, body.clone()))
    };
    let output = judged(run, &format!("out.2207_settle.{}", k + 1), &x, expected, Kind::Settlement)?;
    let setl_id = output.at("setlinfo.setl_id").and_then(Json::text).unwrap_or("").to_string();
    run.remember(&party, &output, &msgid, false);
    let b = &mut v.batches[k];
    (b.settle_msgid, b.setl_id, b.output, b.live) = (msgid.clone(), setl_id, output, true);
    if k == 0 {
        idempotency(run, &party, &msgid, body, &x);
    }
    Ok(())
}

/// Before the first 2207: 2206 on the alias path with a string amount, and a 2207 whose split
/// differs from the pre-settlement's by one fen.
fn first_batch_extras(run: &mut Run<'_, '_>, v: &Visit<'_>, pre: &Json, split: &[(String, String)]) {
    let party = v.party.clone();
    let b = &v.batches[0];
    let msgid = run.client.next_msgid();
    let mut envelope =
        run.client.envelope(&party, "2206", &msgid, inputs::pre_settle(&v.req(b), AmountForm::Text));
    envelope.as_object_mut().expect("an envelope is an object").remove("infno");
    let x =
        run.send(&party, super::transport::PRE_SETTLE_ALIAS, "2206 on its alias path, no infno", &envelope);
    run.check("transport.alias_infno", expect_ok(&x).map(|_| ()));
    let same = expect_ok(&x).and_then(|out| {
        if out.get("setlinfo") == pre.get("setlinfo") {
            return Ok(());
        }
        Err(Mismatch::new("the same setlinfo as with a numeric medfee_sumamt", out.to_string()))
    });
    run.check("transport.amount_as_string", same);
    let mut wrong: Vec<(String, String)> = split.to_vec();
    if let Some((_, inscp)) = wrong.iter_mut().find(|(f, _)| f == "inscp_scp_amt") {
        *inscp = money::fmt_fen(money::parse_fen(inscp).unwrap_or(0) + 1);
    }
    let x = run.call(&party, "2207", inputs::settle(&v.req(b), &wrong, "FP0"));
    run.check("refuse.out.2207_split_mismatch", expect_refusal(&x, 200, &["amount_mismatch"]));
}

/// The same 2207 from 8 threads at once: all answers byte-identical, one settlement.
fn concurrent(run: &mut Run<'_, '_>, party: &Party, envelope: &Value) -> Exchange {
    let body = body_text(envelope);
    let msgid = envelope["msgid"].as_str().unwrap_or("").to_string();
    let client = run.client;
    let answers: Vec<Exchange> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..CONCURRENT_2207S)
            .map(|_| s.spawn(|| client.post_signed(party, CALL_SERVICE, "2207", &msgid, body.as_bytes())))
            .collect();
        threads.into_iter().map(|t| t.join().expect("a request thread does not panic")).collect()
    });
    for x in &answers {
        run.observe(x, &party.province());
    }
    let setl_ids: std::collections::BTreeSet<String> = answers
        .iter()
        .filter_map(|x| {
            x.output().and_then(|o| o.at("setlinfo.setl_id")).and_then(Json::text).map(str::to_string)
        })
        .collect();
    let identical = answers.iter().all(|x| x.status == 200 && x.body == answers[0].body);
    let result = if identical && answers[0].is_success() && setl_ids.len() == 1 {
        Ok(())
    } else {
        let gists: Vec<String> = answers.iter().map(Exchange::gist).collect();
        let distinct = answers.iter().map(|x| &x.body).collect::<std::collections::BTreeSet<_>>().len();
        Err(Mismatch::new(
            format!("{CONCURRENT_2207S} identical successes with one setl_id"),
            format!("{distinct} distinct bodies, setl_ids {setl_ids:?}: {}", gists.join(" | ")),
        ))
    };
    run.check("idem.concurrent_2207", result);
    answers.into_iter().next().expect("at least one answer")
}

/// The settled 2207 resent (same bytes, `X-Yidi-Replay: 1`) and resent with another body.
fn idempotency(run: &mut Run<'_, '_>, party: &Party, msgid: &str, body: Value, first: &Exchange) {
    let again = run.call_as(party, "2207", msgid, body.clone());
    let replay = if again.body == first.body && again.header("x-yidi-replay") == Some("1") {
        Ok(())
    } else {
        Err(Mismatch::new(
            "the first answer byte for byte, with X-Yidi-Replay: 1",
            format!(
                "same bytes {}, X-Yidi-Replay {:?}: {}",
                again.body == first.body,
                again.header("x-yidi-replay"),
                again.gist()
            ),
        ))
    };
    run.check("idem.replay_same_bytes", replay);
    let mut other = body;
    other["data"]["invono"] = Value::String("FP-OTHER".into());
    let x = run.call_as(party, "2207", msgid, other);
    run.check("idem.other_body_refused", expect_refusal(&x, 200, &["duplicate_msgid_different_body"]));
}

/// Back: 2208 of the last batch, refused again, reinstated by 2601, cancelled by 2601 of its 2207;
/// then 2208 of the others, newest first.
fn unwind(run: &mut Run<'_, '_>, v: &mut Visit<'_>) -> Step<()> {
    // A reinstatement is refused if the person settled in the same second as the cancellation
    // (§6 2601, conservative at equal seconds): start the cancellation in a fresh second.
    std::thread::sleep(Duration::from_millis(1_050 - (time::unix_millis_now() % 1_000) as u64));
    let last = v.batches.len() - 1;
    let cancel_msgid = cancel(run, v, last)?;
    let b = &v.batches[last];
    let x = run.call(
        &v.party.clone(),
        "2208",
        inputs::cancel_settlement(&v.person.psn_no, &v.mdtrt_id, &b.setl_id),
    );
    run.check("refuse.out.2208_reversed", expect_refusal(&x, 200, &["already_reversed"]));
    outpatient_moves::reinstate_then_reverse(run, v, last, &cancel_msgid)?;
    for k in (0..last).rev() {
        cancel(run, v, k)?;
    }
    Ok(())
}

/// 2208 of batch `k`: the negated settlement; its `msgid`.
fn cancel(run: &mut Run<'_, '_>, v: &mut Visit<'_>, k: usize) -> Step<String> {
    let party = v.party.clone();
    let b = &v.batches[k];
    let msgid = run.client.next_msgid();
    let x = run.call_as(
        &party,
        "2208",
        &msgid,
        inputs::cancel_settlement(&v.person.psn_no, &v.mdtrt_id, &b.setl_id),
    );
    let out = run.settlement_output(&x);
    let out = run.step(&format!("out.2208_cancel.{}", k + 1), out)?;
    let settled = v.batches[k].output.clone();
    run.negation(&format!("2208 of batch {}", k + 1), &settled, &out, &msgid);
    run.remember(&party, &out, &msgid, true);
    v.batches[k].live = false;
    Ok(msgid)
}

/// Fees withdrawn, nothing left to settle, the registration cancelled and then untouchable.
fn close(run: &mut Run<'_, '_>, v: &mut Visit<'_>) -> Step<()> {
    let party = v.party.clone();
    let psn = v.person.psn_no.clone();
    let x = run.call(&party, "2205", inputs::withdraw_batch(&psn, &v.mdtrt_id, "0000"));
    run.step("out.2205_withdraw", expect_ok(&x).map(|_| ()))?;
    let x = run.call(&party, "2207", inputs::settle(&v.req(&v.batches[0]), &[], "FP9"));
    run.check("refuse.out.2207_no_lines", expect_refusal(&x, 200, &["visit_state"]));
    let x = run.call(&party, "2202", inputs::cancel_registration(&psn, &v.mdtrt_id, &v.ipt_otp_no));
    run.step("out.2202_cancel", expect_ok(&x).map(|_| ()))?;
    v.cancelled = true;
    outpatient_moves::after_cancel(run, v);
    Ok(())
}

/// After a failed step: cancel live settlements, withdraw fees, cancel the registration.
fn clean_up(run: &mut Run<'_, '_>, v: &Visit<'_>) {
    if v.mdtrt_id.is_empty() || v.cancelled {
        return;
    }
    let party = v.party.clone();
    let psn = &v.person.psn_no;
    for b in v.batches.iter().rev().filter(|b| b.live) {
        run.call(&party, "2208", inputs::cancel_settlement(psn, &v.mdtrt_id, &b.setl_id));
    }
    run.call(&party, "2205", inputs::withdraw_batch(psn, &v.mdtrt_id, "0000"));
    run.call(&party, "2202", inputs::cancel_registration(psn, &v.mdtrt_id, &v.ipt_otp_no));
}
