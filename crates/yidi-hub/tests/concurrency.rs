//! Idempotency under concurrency (`protocol.md` §4.3): the same settlement request sent many
//! times at once, from many threads, runs once; every caller gets the same bytes.

mod support;

use std::collections::BTreeSet;

use serde_json::json;
use support::{World, envelope, ok, pack, snapshot, temp_db};

const FAC_SH: &str = "H31010400123";
const P1: &str = "P0000000001";
const P1_CERT: &str = "320102197005120015";
const COPIES: usize = 50;

/// Goal: 50 concurrent copies of one 2207 (same `msgid`, same body) on a multi-thread runtime
/// settle exactly once: one settlement record, the person's state changed once (opening state
/// plus that settlement's delta), one stored answer, and 50 byte-identical answers of which
/// exactly one is not a replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_settlement_sent_50_times_at_once_settles_once() {
    let db = temp_db("concurrent-2207");
    let mut w = World::start(pack("worked"), &db, "2025-03-02 09:41:00");
    let reg = w
        .call(
            FAC_SH,
            "2201",
            json!({"data": {"psn_no": P1, "insutype": "310", "begntime": "2025-03-02 09:10:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": P1_CERT, "ipt_otp_no": "MZ001"}}),
        )
        .await;
    let mdtrt = ok(&reg)["data"]["mdtrt_id"].as_str().unwrap().to_string();
    let line = |sn: &str, code: &str, cnt: &str, pric: &str, amt: &str| {
        json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": P1, "chrg_bchno": "CB1",
            "fee_ocur_time": "2025-03-02 09:20:00", "med_list_codg": code, "medins_list_codg": code,
            "det_item_fee_sumamt": amt, "cnt": cnt, "pric": pric})
    };
    ok(&w
        .call(
            FAC_SH,
            "2204",
            json!({"feedetail": [line("a", "XA01AAA001", "3", "45.50", "136.50"),
        line("b", "XB01ACB001", "2", "210.00", "420.00")]}),
        )
        .await);
    let input = json!({"data": {"psn_no": P1, "mdtrt_cert_type": "02", "mdtrt_cert_no": P1_CERT, "med_type": "11",
        "medfee_sumamt": "556.50", "psn_setlway": "01", "mdtrt_id": mdtrt, "chrg_bchno": "CB1",
        "acct_used_flag": "1", "insutype": "310"}});
    let body = envelope(FAC_SH, "2207", "SAME-MSGID-1", &input);

    let tasks: Vec<_> = (0..COPIES)
        .map(|_| {
            let (hub, body) = (w.hub.clone(), body.clone());
            tokio::spawn(async move { hub.call(FAC_SH, None, body.as_bytes()).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(COPIES);
    for task in tasks {
        replies.push(task.await.expect("task"));
    }
    assert!(replies.iter().all(|r| r.status == 200 && r.err_code.is_none()), "{:?}", replies[0]);
    let bodies: BTreeSet<&str> = replies.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies.len(), 1, "all answers byte-identical");
    assert_eq!(replies.iter().filter(|r| !r.replay).count(), 1, "exactly one ran, the rest replayed");

    w.hub.shutdown();
    let stored = snapshot(&db);
    assert_eq!(stored.settlements.len(), 1, "one settlement record");
    assert_eq!(stored.answers.iter().filter(|a| a.msgid == "SAME-MSGID-1").count(), 1);
    let mut expected = w.pack.state_of(P1);
    expected.apply(&stored.settlements[0].delta);
    assert_eq!(stored.person_states.get(P1), Some(&expected), "the person's state changed once");
    assert_eq!(expected.acct_balance, yidi_domain::Fen::ZERO, "500.00 paid from the account once");
}
