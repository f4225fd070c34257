//! The run: one [`Run`] carries the client, the parties, the profile and the report through the
//! flows, in the order of `protocol.md` §8 (transport, auth, the outpatient cycle, the inpatient
//! cycle, reversal of an unsent call, reconciliation). Every answer passes through
//! [`Run::observe`], which feeds the aggregate checks; each flow reports its own checks and, when a
//! step it depends on fails, stops and lets the report fail what did not run.

pub mod auth;
pub mod inpatient;
pub mod inputs;
pub mod outpatient;
pub mod outpatient_moves;
pub mod recon;
pub mod transport;
pub mod unsent;

use serde_json::Value;

use crate::client::{CALL_SERVICE, Client, Exchange, Party, body_text};
use crate::json::Json;
use crate::profile::Profile;
use crate::report::{Check, Mismatch, Report};
use crate::verify;

/// Why a flow stopped early (the first failed step it depended on).
#[derive(Debug)]
pub struct Abort(pub String);

pub type Step<T> = Result<T, Abort>;

/// A settlement or cancellation this run made, as reconciliation must see it (signed amounts).
#[derive(Clone, Debug)]
pub struct Record {
    pub facility: String,
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub cancel: bool,
    pub medfee: i64,
    pub fund: i64,
    pub acct: i64,
    pub cash: i64,
    pub msgid: String,
    pub clr_optins: String,
    pub insutype: String,
    pub clr_type: String,
}

/// Everything the flows share.
pub struct Run<'r, 's> {
    pub client: &'r Client,
    pub main: Party,
    pub other: Option<Party>,
    pub demo: bool,
    pub profile: &'r Profile,
    pub report: Report<'s>,
    /// Settlements and cancellations made so far, in order.
    pub records: Vec<Record>,
    /// The facility's records in the reconciliation period before this run (3202 baseline).
    pub baseline: Option<Result<Vec<Record>, String>>,
    pub sm2_key: Option<std::path::PathBuf>,
}

impl Run<'_, '_> {
    /// The party a flow speaks as: the main facility, the other one, or (under `--demo`) any
    /// facility of the pack with its demo token.
    pub fn party_for(&self, code: Option<&str>) -> Result<Party, String> {
        let Some(code) = code.filter(|c| *c != self.main.code) else { return Ok(self.main.clone()) };
        if let Some(other) = self.other.as_ref().filter(|o| o.code == code) {
            return Ok(other.clone());
        }
        if self.demo {
            let token = crate::client::demo_token(code);
            return Ok(Party::new(code, &format!("yidi_{code}"), &token, None));
        }
        Err(format!("没有机构 {code} 的凭据：请用 --demo，或让档案的各流程使用 --fixmedins-code 的机构"))
    }

    /// Calls `infno` as `party` with a fresh `msgid`.
    pub fn call(&mut self, party: &Party, infno: &str, input: Value) -> Exchange {
        let msgid = self.client.next_msgid();
        self.call_as(party, infno, &msgid, input)
    }

    /// Calls `infno` as `party` with the given `msgid`.
    pub fn call_as(&mut self, party: &Party, infno: &str, msgid: &str, input: Value) -> Exchange {
        let envelope = self.client.envelope(party, infno, msgid, input);
        self.send(party, CALL_SERVICE, infno, &envelope)
    }

    /// Sends an envelope (possibly altered by the caller), correctly signed, and observes it.
    pub fn send(&mut self, party: &Party, path: &str, what: &str, envelope: &Value) -> Exchange {
        let msgid = envelope.get("msgid").and_then(Value::as_str).unwrap_or("").to_string();
        let x = self.client.post_signed(party, path, what, &msgid, body_text(envelope).as_bytes());
        self.observe(&x, &party.province());
        x
    }

    /// Feeds one answer to the aggregate checks.
    pub fn observe(&mut self, x: &Exchange, province: &str) {
        self.report.aggregate("transport.envelope", verify::envelope_problems(x));
        if x.json.is_none() {
            return;
        }
        self.report.aggregate("transport.inf_refmsgid", verify::refmsgid_problems(x, province));
        self.report.aggregate("transport.stamps", verify::stamp_problems(x));
        if !x.is_success() {
            let (infcode, err_code, err_msg) = verify::refusal_problems(x);
            self.report.aggregate("errors.infcode", infcode);
            self.report.aggregate("errors.err_code", err_code);
            self.report.aggregate("errors.err_msg_path", err_msg);
        }
    }

    /// Reports `id` and passes the value on; a failure stops the flow.
    pub fn step<T>(&mut self, id: &str, result: Result<T, Mismatch>) -> Step<T> {
        match result {
            Ok(v) => {
                self.report.check(id, Ok(()));
                Ok(v)
            }
            Err(m) => {
                self.report.check(id, Err(m));
                Err(Abort(format!("{id} failed")))
            }
        }
    }

    pub fn check(&mut self, id: &str, result: Check) {
        self.report.check(id, result);
    }

    /// Judges a settlement answer's arithmetic (aggregate) and returns its output.
    pub fn settlement_output(&mut self, x: &Exchange) -> Result<Json, Mismatch> {
        let output = expect_ok(x)?.clone();
        let problems = verify::identity_problems(&output);
        let what = x.what.clone();
        self.report.aggregate("arith.identities", problems.into_iter().map(|p| format!("{what} {p}")));
        Ok(output)
    }

    /// Judges line rows (aggregate).
    pub fn line_rows(&mut self, what: &str, rows: &[Json]) {
        let problems = verify::line_split_problems(rows);
        self.report.aggregate("arith.line_splits", problems.into_iter().map(|p| format!("{what} {p}")));
    }

    /// Judges a cancellation against its settlement (aggregate).
    pub fn negation(&mut self, what: &str, settled: &Json, cancel: &Json, cancel_msgid: &str) {
        let problems = verify::negation_problems(settled, cancel, cancel_msgid);
        self.report.aggregate("arith.negation", problems.into_iter().map(|p| format!("{what} {p}")));
    }

    /// Remembers a settlement or cancellation for reconciliation.
    pub fn remember(&mut self, party: &Party, output: &Json, msgid: &str, cancel: bool) {
        let Some(i) = output.get("setlinfo") else { return };
        let text = |f: &str| i.get(f).and_then(Json::text).unwrap_or("").to_string();
        let fen = |f: &str| i.get(f).and_then(Json::fen).unwrap_or(0);
        self.records.push(Record {
            facility: party.code.clone(),
            setl_id: text("setl_id"),
            mdtrt_id: text("mdtrt_id"),
            psn_no: text("psn_no"),
            cancel,
            medfee: fen("medfee_sumamt"),
            fund: fen("fund_pay_sumamt"),
            acct: fen("acct_pay"),
            cash: fen("psn_cash_pay"),
            msgid: msgid.to_string(),
            clr_optins: text("clr_optins"),
            insutype: text("insutype"),
            clr_type: text("clr_type"),
        });
    }

    /// A reinstated settlement's cancellation no longer exists (2601 of a 2208).
    pub fn forget_cancellation(&mut self, setl_id: &str) {
        if let Some(at) = self.records.iter().rposition(|r| r.cancel && r.setl_id == setl_id) {
            self.records.remove(at);
        }
    }
}

/// The `output` of a success (HTTP 200, `infcode` 0).
pub fn expect_ok(x: &Exchange) -> Result<&Json, Mismatch> {
    match x.output() {
        Some(out) if x.status == 200 && x.is_success() => Ok(out),
        _ => Err(Mismatch::new(format!("{} to succeed (HTTP 200, infcode 0)", x.what), x.gist())),
    }
}

/// A refusal with HTTP `status` and one of `codes`.
pub fn expect_refusal(x: &Exchange, status: u16, codes: &[&str]) -> Check {
    let code = x.err_code().unwrap_or("");
    if x.status == status && !x.is_success() && codes.contains(&code) {
        return Ok(());
    }
    Err(Mismatch::new(format!("{} refused: HTTP {status} err_code {}", x.what, codes.join("|")), x.gist()))
}

/// The text of `path` in an output, or a mismatch naming it.
pub fn text_at(output: &Json, path: &str, what: &str) -> Result<String, Mismatch> {
    output.at(path).and_then(Json::text).map(str::to_string).ok_or_else(|| {
        Mismatch::new(
            format!("{what}: output.{path}"),
            format!("absent in {}", crate::client::shorten(&output.to_string(), 100)),
        )
    })
}

/// The rows of a fee upload's `result[]`, one per line sent.
pub fn result_rows(x: &Exchange, lines_sent: usize) -> Result<Vec<Json>, Mismatch> {
    let out = expect_ok(x)?;
    let rows = out.get("result").map_or(Vec::new(), |r| r.rows().to_vec());
    if rows.len() == lines_sent {
        return Ok(rows);
    }
    Err(Mismatch::new(format!("{}: {lines_sent} result rows", x.what), rows.len().to_string()))
}

/// Fails with the first problem list that is not empty.
pub fn no_problems(expected: &str, problems: Vec<String>) -> Check {
    if problems.is_empty() {
        return Ok(());
    }
    Err(Mismatch::new(expected, problems.join("; ")))
}
