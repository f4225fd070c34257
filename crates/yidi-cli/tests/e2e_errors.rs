//! Every refusal a hospital can meet, end to end: a real `yidi serve --data
//! test_data/packs/worked --demo` process per test, signed requests over real HTTP. Goal: each
//! refusal has its HTTP status, `infcode` -1, its exact `err_code` and an `err_msg` that starts
//! with `[path]` naming the field at fault, and changes nothing: the request that follows
//! behaves as if the refused one had never been sent (its `msgid` is still free, balances and
//! states are where they were). Also the per-facility rate limit (`--rate-limit`) and SM2 body
//! signatures (`yidi facility sm2-key`).

mod support;

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use sm2::dsa::signature::Signer;
use sm2::dsa::{Signature, SigningKey};
use support::{CALL_SERVICE, Gateway, Response, Scratch, Server, unix_now, yidi};
use yidi_http::crypto;
use yidi_http::sm2::SM2_USER_ID;

/// 上海市徐汇区示例三级医院 (310104) of the worked pack.
const SH: &str = "H31010400123";
/// 北京市朝阳区示例三级医院 (110105) of the worked pack.
const BJ: &str = "H11010500001";
/// Nanjing employee (insured 320100, which refuses unfiled care), filed long-term for Shanghai.
const NANJING: Person = Person { psn_no: "P0000000001", certno: "320102197005120015", insutype: "310" };
/// A Shanghai catalog item (甲类) and its price.
const SH_ITEM: (&str, &str) = ("XA01AAA001", "45.50");
/// A Beijing catalog item (甲类 service) and its price.
const BJ_ITEM: (&str, &str) = ("001201000010000", "20.00");
const BEGNTIME: &str = "2025-03-02 09:30:00";
/// Longest wait for `yidi serve` to print its listening line.
const START_WAIT_SECS_MAX: u64 = 60;

#[derive(Clone, Copy)]
struct Person {
    psn_no: &'static str,
    certno: &'static str,
    insutype: &'static str,
}

/// A nonce never used before in this process.
fn fresh_nonce() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("e2e-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `yidi serve` on the worked pack with demo credentials and `extra` flags; its database and log
/// in `dir`.
fn serve(dir: &Path, extra: &[&str]) -> Server {
    let db = dir.join("hub.db");
    let args =
        [&["--data", "test_data/packs/worked", "--demo", "--db", db.to_str().unwrap()][..], extra].concat();
    Server::start_within(&args, &dir.join("serve.log"), Duration::from_secs(START_WAIT_SECS_MAX))
}

/// One answer and its parsed envelope.
struct Answer {
    response: Response,
    json: Value,
}

impl std::ops::Deref for Answer {
    type Target = Response;
    fn deref(&self) -> &Response {
        &self.response
    }
}

impl Answer {
    fn ok(&self) -> &Value {
        assert_eq!((self.status, &self.json["infcode"]), (200, &json!(0)), "{}", self.body);
        assert!(!self.is_replay(), "a fresh answer, not a stored one: {}", self.body);
        &self.json["output"]
    }

    /// Asserts a refusal: HTTP `status`, `infcode` -1, `err_code`, and an `err_msg` starting
    /// with `[` that names `field`; returns the `err_msg`.
    fn refused(&self, status: u16, err_code: &str, field: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.json["infcode"], json!(-1), "{}", self.body);
        assert_eq!(self.json["err_code"], json!(err_code), "{}", self.body);
        assert!(self.json["output"].is_null(), "{}", self.body);
        let err_msg = self.json["err_msg"].as_str().unwrap_or_else(|| panic!("{}", self.body)).to_string();
        assert!(err_msg.starts_with('['), "{err_msg}");
        assert!(err_msg.contains(&format!("[{field}]")), "names {field}: {err_msg}");
        assert!(!self.is_replay());
        err_msg
    }
}

/// Sends raw bytes and reads the whole answer (the server closes: `Connection: close`).
fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let response = support::exchange(addr, request);
    let json =
        serde_json::from_str(&response.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", response.body));
    Answer { response, json }
}

/// A hospital system of one facility, signing with its token.
struct His {
    addr: SocketAddr,
    code: &'static str,
    token: String,
}

impl His {
    /// The facility's demo credential (`--demo`).
    fn demo(server: &Server, code: &'static str) -> His {
        His { addr: server.addr, code, token: crypto::demo_facility_token(code) }
    }

    fn gateway(&self, timestamp: i64, nonce: &str) -> Gateway {
        Gateway::signed(&format!("yidi_{}", self.code), &self.token, timestamp, nonce)
    }

    fn post_with(&self, gateway: &Gateway, body: &[u8]) -> Answer {
        exchange(self.addr, &gateway.request(self.addr, CALL_SERVICE, body))
    }

    /// Correctly signed, now, with a fresh nonce.
    fn post(&self, body: &[u8]) -> Answer {
        self.post_with(&self.gateway(unix_now(), &fresh_nonce()), body)
    }

    fn envelope(&self, infno: &str, msgid: &str, input: Value) -> Value {
        let province = if self.code.starts_with("H31") { "310000" } else { "110000" };
        json!({
            "infno": infno, "msgid": msgid, "mdtrtarea_admvs": province, "opter_type": "1",
            "opter": "SF01", "opter_name": "收费员", "inf_time": "2025-03-02 09:41:00",
            "fixmedins_code": self.code, "fixmedins_name": "示例医院", "input": input
        })
    }

    fn call(&self, infno: &str, msgid: &str, input: Value) -> Answer {
        self.post(self.envelope(infno, msgid, input).to_string().as_bytes())
    }

    /// 2201: registers `p` with `ipt_otp_no`; returns the `mdtrt_id`.
    fn register(&self, msgid: &str, p: Person, ipt_otp_no: &str) -> String {
        let answer = self.call("2201", msgid, register_input(p, ipt_otp_no));
        answer.ok()["data"]["mdtrt_id"].as_str().unwrap().to_string()
    }

    /// 1101: the person's account balance as answered (exact text).
    fn balance(&self, p: Person) -> String {
        let input = json!({"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno, "psn_cert_type": "01",
            "certno": p.certno, "begntime": BEGNTIME}});
        let answer = self.call("1101", &msgid("Q"), input);
        answer.ok()["insuinfo"][0]["balc"].to_string()
    }

    /// Registers `p` and uploads one line of `item` as batch `B1`.
    fn visit_with_fees(&self, p: Person, item: (&str, &str)) -> Visit {
        let ipt_otp_no = msgid("OTP");
        let mdtrt_id = self.register(&msgid("R"), p, &ipt_otp_no);
        let line = FeeLine { sn: "1", code: item.0, cnt: "1", pric: item.1, amount: item.1 };
        self.call("2204", &msgid("F"), fees_input(p, &mdtrt_id, &[line])).ok();
        Visit { mdtrt_id, ipt_otp_no }
    }
}

/// A registered visit.
struct Visit {
    mdtrt_id: String,
    ipt_otp_no: String,
}

/// A msgid unique in this process, with a readable prefix.
fn msgid(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}X{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn register_input(p: Person, ipt_otp_no: &str) -> Value {
    json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype, "begntime": BEGNTIME, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p.certno, "ipt_otp_no": ipt_otp_no}})
}

/// One 2204 line; amounts as decimal text.
#[derive(Clone, Copy)]
struct FeeLine<'a> {
    sn: &'a str,
    code: &'a str,
    cnt: &'a str,
    pric: &'a str,
    amount: &'a str,
}

fn fees_input(p: Person, mdtrt_id: &str, lines: &[FeeLine<'_>]) -> Value {
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({"feedetl_sn": l.sn, "mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "chrg_bchno": "B1",
                "fee_ocur_time": "2025-03-02 09:35:00", "med_list_codg": l.code, "medins_list_codg": l.code,
                "det_item_fee_sumamt": l.amount, "cnt": l.cnt, "pric": l.pric})
        })
        .collect();
    json!({"feedetail": rows})
}

/// 2207 of batch `B1` for `medfee_sumamt`.
fn settle_input(p: Person, mdtrt_id: &str, medfee_sumamt: &str) -> Value {
    json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno, "med_type": "11",
        "medfee_sumamt": medfee_sumamt, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
        "acct_used_flag": "1", "insutype": p.insutype}})
}

/// 2202 of `visit`.
fn cancel_visit_input(p: Person, visit: &Visit) -> Value {
    json!({"data": {"psn_no": p.psn_no, "mdtrt_id": visit.mdtrt_id, "ipt_otp_no": visit.ipt_otp_no}})
}

// ---------------------------------------------------------------------------------------------
// Settlement refusals
// ---------------------------------------------------------------------------------------------

/// 2201 for a `psn_no` the hub does not know: `unknown_person`; the msgid stays free.
#[test]
fn unknown_person() {
    let dir = Scratch::new("unknown_person");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let stranger = Person { psn_no: "P9999999999", ..NANJING };
    let id = msgid("M");
    sh.call("2201", &id, register_input(stranger, "OTP1")).refused(
        200,
        "unknown_person",
        "input.data.psn_no",
    );
    sh.call("2201", &id, register_input(NANJING, "OTP1")).ok();
}

/// A Nanjing employee (whose region refuses unfiled care) filed only for Shanghai settles in
/// Beijing: `filing_required`; the balance is unchanged and the visit can still be cancelled
/// under the refused msgid.
#[test]
fn missing_filing() {
    let dir = Scratch::new("missing_filing");
    let server = serve(&dir, &[]);
    let bj = His::demo(&server, BJ);
    let visit = bj.visit_with_fees(NANJING, BJ_ITEM);
    let before = bj.balance(NANJING);
    let id = msgid("S");
    let refused = bj.call("2207", &id, settle_input(NANJING, &visit.mdtrt_id, BJ_ITEM.1));
    refused.refused(200, "filing_required", "input.data.psn_no");
    assert_eq!(bj.balance(NANJING), before);
    bj.call("2202", &id, cancel_visit_input(NANJING, &visit)).ok();
}

/// 2204 with two unknown codes among three lines: `unknown_catalog_code` listing both bad lines
/// and not the good one; all or nothing, so the same serial numbers upload afterwards.
#[test]
fn unknown_catalog_codes_all_listed() {
    let dir = Scratch::new("unknown_catalog");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let mdtrt_id = sh.register(&msgid("R"), NANJING, "OTP1");
    let good = FeeLine { sn: "1", code: SH_ITEM.0, cnt: "1", pric: SH_ITEM.1, amount: SH_ITEM.1 };
    let bad1 = FeeLine { sn: "2", code: "XZ99ZZZ999", ..good };
    let bad2 = FeeLine { sn: "3", code: "001999999990000", ..good };
    let id = msgid("F");
    let answer = sh.call("2204", &id, fees_input(NANJING, &mdtrt_id, &[good, bad1, bad2]));
    let err_msg = answer.refused(200, "unknown_catalog_code", "input.feedetail[1].med_list_codg");
    assert!(err_msg.contains("[input.feedetail[2].med_list_codg]"), "every bad line: {err_msg}");
    assert!(!err_msg.contains("feedetail[0]"), "the good line is not blamed: {err_msg}");
    let fixed = [good, FeeLine { sn: "2", ..good }, FeeLine { sn: "3", ..good }];
    sh.call("2204", &id, fees_input(NANJING, &mdtrt_id, &fixed)).ok();
}

/// 2204 whose `det_item_fee_sumamt` is not `cnt × pric`: `amount_mismatch` on that line; the
/// corrected upload under the same msgid and serial number goes through.
#[test]
fn line_amount_mismatch() {
    let dir = Scratch::new("line_amount");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let mdtrt_id = sh.register(&msgid("R"), NANJING, "OTP1");
    let good = FeeLine { sn: "1", code: SH_ITEM.0, cnt: "2", pric: SH_ITEM.1, amount: "91.00" };
    let wrong = FeeLine { sn: "2", amount: "91.01", ..good };
    let id = msgid("F");
    let answer = sh.call("2204", &id, fees_input(NANJING, &mdtrt_id, &[good, wrong]));
    let err_msg = answer.refused(200, "amount_mismatch", "input.feedetail[1].det_item_fee_sumamt");
    assert!(!err_msg.contains("feedetail[0]"), "{err_msg}");
    sh.call("2204", &id, fees_input(NANJING, &mdtrt_id, &[good, FeeLine { sn: "2", ..good }])).ok();
}

/// 2207 whose `medfee_sumamt` is not the batch's total: `amount_mismatch`; nothing moved, and the
/// right total under the same msgid settles.
#[test]
fn settlement_total_mismatch() {
    let dir = Scratch::new("total_amount");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let visit = sh.visit_with_fees(NANJING, SH_ITEM);
    let before = sh.balance(NANJING);
    let id = msgid("S");
    let answer = sh.call("2207", &id, settle_input(NANJING, &visit.mdtrt_id, "45.60"));
    answer.refused(200, "amount_mismatch", "input.data.medfee_sumamt");
    assert_eq!(sh.balance(NANJING), before);
    let settled = sh.call("2207", &id, settle_input(NANJING, &visit.mdtrt_id, SH_ITEM.1));
    assert_eq!(settled.ok()["setlinfo"]["medfee_sumamt"], json!(45.50));
    assert_ne!(sh.balance(NANJING), before, "the settlement that was allowed did move the account");
}

// ---------------------------------------------------------------------------------------------
// Scope: another facility
// ---------------------------------------------------------------------------------------------

/// An envelope naming another facility than the authenticated one: 200 `forbidden_facility`.
#[test]
fn envelope_names_another_facility() {
    let dir = Scratch::new("wrong_facility");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let id = msgid("M");
    let mut envelope = sh.envelope("2201", &id, register_input(NANJING, "OTP1"));
    envelope["fixmedins_code"] = json!(BJ);
    sh.post(envelope.to_string().as_bytes()).refused(200, "forbidden_facility", "fixmedins_code");
    sh.call("2201", &id, register_input(NANJING, "OTP1")).ok();
}

/// Another facility's `mdtrt_id` is unknown to a facility: `visit_not_found`, and the visit is
/// untouched (its own facility can still cancel it).
#[test]
fn another_facilitys_visit() {
    let dir = Scratch::new("other_visit");
    let server = serve(&dir, &[]);
    let (sh, bj) = (His::demo(&server, SH), His::demo(&server, BJ));
    let visit = Visit { mdtrt_id: sh.register(&msgid("R"), NANJING, "OTP1"), ipt_otp_no: "OTP1".into() };
    let id = msgid("C");
    let refused = bj.call("2202", &id, cancel_visit_input(NANJING, &visit));
    refused.refused(200, "visit_not_found", "input.data.mdtrt_id");
    sh.call("2202", &msgid("C"), cancel_visit_input(NANJING, &visit)).ok();
    bj.register(&id, NANJING, "OTP9");
}

// ---------------------------------------------------------------------------------------------
// Gateway authentication
// ---------------------------------------------------------------------------------------------

/// A wrong signature is 401 `auth_failed`; the nonce is not burned, so the same nonce correctly
/// signed is accepted, and the body's msgid was never processed.
#[test]
fn bad_signature() {
    let dir = Scratch::new("bad_signature");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let body = sh.envelope("2201", &msgid("M"), register_input(NANJING, "OTP1")).to_string();
    let gateway = sh.gateway(unix_now(), &fresh_nonce());
    let forged = Gateway {
        signature: crypto::signature(&gateway.timestamp.to_string(), "0".repeat(64).as_str(), &gateway.nonce),
        ..gateway
    };
    sh.post_with(&forged, body.as_bytes()).refused(401, "auth_failed", "x-tif-signature");
    let gateway = sh.gateway(unix_now(), &forged.nonce);
    sh.post_with(&gateway, body.as_bytes()).ok();
}

/// A timestamp 301 s old is 401 `auth_failed`, the same nonce with a current one is accepted.
#[test]
fn stale_timestamp() {
    let dir = Scratch::new("stale_timestamp");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let body = sh.envelope("2201", &msgid("M"), register_input(NANJING, "OTP1")).to_string();
    let nonce = fresh_nonce();
    let stale = sh.gateway(unix_now() - 301, &nonce);
    sh.post_with(&stale, body.as_bytes()).refused(401, "auth_failed", "x-tif-timestamp");
    sh.post_with(&sh.gateway(unix_now(), &nonce), body.as_bytes()).ok();
}

/// A nonce used once is 401 `replay` the second time, whatever the body; that body was not
/// processed, so it goes through with a fresh nonce (and is not a replayed answer).
#[test]
fn replayed_nonce() {
    let dir = Scratch::new("replayed_nonce");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let nonce = fresh_nonce();
    let first = sh.envelope("2201", &msgid("M"), register_input(NANJING, "OTP1")).to_string();
    sh.post_with(&sh.gateway(unix_now(), &nonce), first.as_bytes()).ok();
    let second = sh.envelope("2201", &msgid("M"), register_input(NANJING, "OTP2")).to_string();
    sh.post_with(&sh.gateway(unix_now(), &nonce), second.as_bytes()).refused(401, "replay", "x-tif-nonce");
    sh.post(second.as_bytes()).ok();
}

// ---------------------------------------------------------------------------------------------
// States and idempotency
// ---------------------------------------------------------------------------------------------

/// 2207 on a visit cancelled by 2202: `visit_state`; nothing moved and the msgid stays free.
#[test]
fn settling_a_cancelled_visit() {
    let dir = Scratch::new("cancelled_visit");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let visit = sh.visit_with_fees(NANJING, SH_ITEM);
    let before = sh.balance(NANJING);
    sh.call("2202", &msgid("C"), cancel_visit_input(NANJING, &visit)).ok();
    let id = msgid("S");
    let answer = sh.call("2207", &id, settle_input(NANJING, &visit.mdtrt_id, SH_ITEM.1));
    answer.refused(200, "visit_state", "input.data.mdtrt_id");
    assert_eq!(sh.balance(NANJING), before);
    sh.register(&id, NANJING, "OTP2");
}

/// 2208 twice: the second is `already_reversed`, and the balance is the one before settling.
#[test]
fn double_cancellation() {
    let dir = Scratch::new("double_cancel");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let visit = sh.visit_with_fees(NANJING, SH_ITEM);
    let mdtrt_id = visit.mdtrt_id;
    let before = sh.balance(NANJING);
    let settled = sh.call("2207", &msgid("S"), settle_input(NANJING, &mdtrt_id, SH_ITEM.1));
    let setl_id = settled.ok()["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    let cancel = json!({"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": NANJING.psn_no}});
    sh.call("2208", &msgid("X"), cancel.clone()).ok();
    assert_eq!(sh.balance(NANJING), before);
    let id = msgid("X");
    sh.call("2208", &id, cancel).refused(200, "already_reversed", "input.data.setl_id");
    assert_eq!(sh.balance(NANJING), before, "the second cancellation paid nothing back");
    sh.call("2207", &id, settle_input(NANJING, &mdtrt_id, SH_ITEM.1)).ok();
}

/// A msgid reused with another body: `duplicate_msgid_different_body` naming the first use; the
/// other body was not applied (its `ipt_otp_no` is still free) and the first body is replayed.
#[test]
fn reused_msgid_with_another_body() {
    let dir = Scratch::new("reused_msgid");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let id = msgid("M");
    let first = sh.call("2201", &id, register_input(NANJING, "OTP1"));
    first.ok();
    let err_msg = sh.call("2201", &id, register_input(NANJING, "OTP2")).refused(
        200,
        "duplicate_msgid_different_body",
        "msgid",
    );
    assert!(err_msg.contains("2201"), "names the first use: {err_msg}");
    let again = sh.call("2201", &id, register_input(NANJING, "OTP1"));
    assert!(again.is_replay(), "{}", again.head);
    assert_eq!(again.body, first.body, "the stored answer, byte for byte");
    sh.register(&msgid("M"), NANJING, "OTP2");
}

/// A body over 1 MiB: 413 `too_large`, unread; the same envelope without padding is processed.
#[test]
fn oversize_body() {
    let dir = Scratch::new("oversize");
    let server = serve(&dir, &[]);
    let sh = His::demo(&server, SH);
    let body = sh.envelope("2201", &msgid("M"), register_input(NANJING, "OTP1")).to_string();
    let padded = format!("{body}{}", " ".repeat((1 << 20) + 1 - body.len()));
    sh.post(padded.as_bytes()).refused(413, "too_large", "body");
    sh.post(body.as_bytes()).ok();
}

// ---------------------------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------------------------

/// `--rate-limit 3`: a facility gets its burst of 3, then 429 `rate_limited` with
/// `Retry-After: 1`; the limited write was not processed (it goes through after the wait, fresh),
/// and another facility is not affected.
#[test]
fn rate_limit_per_facility() {
    const LIMIT: usize = 3;
    let dir = Scratch::new("rate_limit");
    let server = serve(&dir, &["--rate-limit", &LIMIT.to_string()]);
    let (sh, bj) = (His::demo(&server, SH), His::demo(&server, BJ));
    let query =
        |his: &His| his.call("1201", &msgid("Q"), json!({"medinsinfo": {"fixmedins_code": his.code}}));
    // The write must arrive while the bucket is empty; on a machine slow enough to refill it in
    // between, the write simply succeeds and the round is tried again with a new msgid.
    for _ in 0..5 {
        let admitted = (0..50).take_while(|_| query(&sh).status == 200).count();
        assert!(admitted >= LIMIT, "the burst of {LIMIT} is honoured, got {admitted}");
        let id = msgid("M");
        let write = sh.call("2201", &id, register_input(NANJING, &msgid("OTP")));
        if write.status == 200 {
            continue;
        }
        write.refused(429, "rate_limited", "x-tif-paasid");
        assert!(write.head.contains("\r\nretry-after: 1"), "{}", write.head);
        query(&bj).ok();
        std::thread::sleep(Duration::from_millis(1_100));
        sh.call("2201", &id, register_input(NANJING, &msgid("OTP"))).ok();
        return;
    }
    panic!("a write right after a refused burst was never limited");
}

// ---------------------------------------------------------------------------------------------
// SM2 body signatures
// ---------------------------------------------------------------------------------------------

/// A key generated for this test run (a valid scalar derived from the process id).
fn sm2_signing_key() -> SigningKey {
    let seed = crypto::sha256(format!("yidi-e2e-sm2-{}", std::process::id()).as_bytes());
    SigningKey::from_slice(SM2_USER_ID, &seed).expect("a 256-bit hash is a valid scalar")
}

/// An envelope body with `input` written as `input_text` exactly, signed (or not) over the
/// §3.3 text, optionally over another `input` text than the one sent.
fn sm2_body(his: &His, id: &str, input_text: &str, cainfo: Option<&str>) -> String {
    let mut envelope = his.envelope("2201", id, Value::Null);
    envelope["signtype"] = json!("SM2");
    if let Some(cainfo) = cainfo {
        envelope["cainfo"] = json!(cainfo);
    }
    let text = envelope.to_string();
    text.replace(r#""input":null"#, &format!(r#""input":{input_text}"#))
}

fn sm2_sign(key: &SigningKey, id: &str, code: &str, input_text: &str) -> String {
    let signed = format!("2201|{id}|{code}|2025-03-02 09:41:00|{input_text}");
    let signature: Signature = key.sign(signed.as_bytes());
    Base64::encode_string(signature.to_der().as_bytes())
}

/// Through the CLI: `sm2-key` refuses a facility without a credential and a malformed key file,
/// then registers `key` for `SH` on a freshly issued credential (`--required`); returns the
/// issued token and the key file.
fn register_sm2_key(dir: &Path, key: &SigningKey) -> (String, PathBuf) {
    let db = dir.join("hub.db");
    let db = db.to_str().unwrap();
    let key_file = dir.join("sh.pub");
    fs::write(&key_file, hex::encode(key.verifying_key().to_sec1_bytes()) + "\n").unwrap();
    let key_arg = key_file.to_str().unwrap();
    let out = yidi(&["facility", "sm2-key", SH, "--public-key", key_arg, "--required", "--db", db]);
    assert_eq!(out.status.code(), Some(1), "a key needs an issued credential first");
    let out = yidi(&["facility", "credentials", "issue", SH, "--db", db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let token = stdout.lines().find_map(|l| l.strip_prefix("token:")).unwrap().trim().to_string();
    let bad = dir.join("bad.pub");
    fs::write(&bad, "04abcd\n").unwrap();
    let out = yidi(&["facility", "sm2-key", SH, "--public-key", bad.to_str().unwrap(), "--db", db]);
    assert_eq!(out.status.code(), Some(1), "a malformed key file is refused");
    let out = yidi(&["facility", "sm2-key", SH, "--public-key", key_arg, "--required", "--db", db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (token, key_file)
}

/// `yidi facility sm2-key --required` on an issued credential: a valid signature passes; a
/// tampered `input` or a missing `cainfo` is 200 `auth_failed` and stores nothing (the msgid is
/// then used by the valid request); a facility with no key ignores `cainfo`. Registered again
/// without `--required`, an unsigned body passes and a wrong signature still fails.
#[test]
fn sm2_body_signature() {
    let dir = Scratch::new("sm2");
    let key = sm2_signing_key();
    let (token, key_file) = register_sm2_key(&dir, &key);
    let server = serve(&dir, &[]);
    let sh = His { addr: server.addr, code: SH, token };
    let input = |otp: &str| format!(r#"{{ "data": {} }}"#, register_input(NANJING, otp)["data"]);
    let (id, sent) = (msgid("M"), input("OTP1"));
    let tampered = sm2_sign(&key, &id, SH, &input("OTP9"));
    sh.post(sm2_body(&sh, &id, &sent, Some(&tampered)).as_bytes()).refused(200, "auth_failed", "cainfo");
    sh.post(sm2_body(&sh, &id, &sent, None).as_bytes()).refused(200, "auth_failed", "cainfo");
    let valid = sm2_sign(&key, &id, SH, &sent);
    sh.post(sm2_body(&sh, &id, &sent, Some(&valid)).as_bytes()).ok();
    let bj = His::demo(&server, BJ);
    let mut unkeyed = bj.envelope("1201", &msgid("Q"), json!({"medinsinfo": {"fixmedins_code": BJ}}));
    unkeyed["signtype"] = json!("SM2");
    unkeyed["cainfo"] = json!(tampered);
    bj.post(unkeyed.to_string().as_bytes()).ok();
    drop(server);

    let db = dir.join("hub.db");
    let args = ["--public-key", key_file.to_str().unwrap(), "--db", db.to_str().unwrap()];
    let out = yidi(&[&["facility", "sm2-key", SH][..], &args].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = serve(&dir, &[]);
    let sh = His { addr: server.addr, ..sh };
    let id = msgid("M");
    sh.post(sm2_body(&sh, &id, &input("OTP2"), None).as_bytes()).ok();
    let wrong = sm2_sign(&key, &id, SH, &input("OTP2"));
    let answer = sh.post(sm2_body(&sh, &msgid("M"), &input("OTP3"), Some(&wrong)).as_bytes());
    answer.refused(200, "auth_failed", "cainfo");
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// An unknown path is 404 and a wrong method 405, each a full envelope (`bad_envelope`).
#[test]
fn unknown_path_and_wrong_method() {
    let dir = Scratch::new("routes");
    let server = serve(&dir, &[]);
    let request = |method: &str, path: &str| {
        let text = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            server.addr
        );
        exchange(server.addr, text.as_bytes())
    };
    let err_msg = request("POST", "/fsi/api/nothingHere").refused(404, "bad_envelope", "path");
    assert!(err_msg.contains("不存在"), "{err_msg}");
    let answer = request("GET", "/fsi/api/callService");
    let err_msg = answer.refused(405, "bad_envelope", "method");
    assert!(err_msg.contains("GET"), "{err_msg}");
    assert!(answer.head.contains("\r\nallow: post"), "{}", answer.head);
    request("POST", "/health").refused(405, "bad_envelope", "method");
}
