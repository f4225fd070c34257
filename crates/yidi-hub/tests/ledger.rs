//! The funds ledger through the protocol: settlements, cancellations (2208 and 2601) and a 2601
//! reinstatement across a restart post balanced entries in the same commit as the settlement,
//! the prepayment of the pair moves by exactly the live settlements' fund shares, and the stored
//! postings roll up to the hub's in-memory ledger.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::{World, ok, pack, snapshot, temp_db};
use yidi_domain::{DivisionCode, Fen};
use yidi_hub::books::ledger_of_records;
use yidi_ledger::{Account, Pair, PostingKind, Sense};
use yidi_store::SettlementStatus;

const FAC_SH: &str = "H31010400123";
const PSN: &str = "P0000000001";

fn line(sn: &str, mdtrt: &str, code: &str, cnt: &str, pric: &str, amt: &str) -> Value {
    json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": PSN, "chrg_bchno": "CB1",
           "fee_ocur_time": "2025-03-02 09:20:00", "med_list_codg": code, "medins_list_codg": code,
           "det_item_fee_sumamt": amt, "cnt": cnt, "pric": pric})
}

/// Registers a visit, uploads two lines and settles it with `msgid`; returns (mdtrt_id, setl_id).
async fn settle_visit(w: &mut World, visit_no: &str, msgid: &str) -> (String, String) {
    let reg = w
        .call(
            FAC_SH,
            "2201",
            json!({"data": {"psn_no": PSN, "insutype": "310", "begntime": "2025-03-02 09:10:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197005120015", "ipt_otp_no": visit_no}}),
        )
        .await;
    let mdtrt = ok(&reg)["data"]["mdtrt_id"].as_str().expect("mdtrt_id").to_string();
    let lines = json!({"feedetail": [
        line("a", &mdtrt, "XA01AAA001", "3", "45.50", "136.50"),
        line("b", &mdtrt, "XB01ACB001", "2", "210.00", "420.00")]});
    ok(&w.call(FAC_SH, "2204", lines).await);
    let data = json!({"data": {"psn_no": PSN, "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197005120015",
        "med_type": "11", "medfee_sumamt": "556.50", "psn_setlway": "01", "mdtrt_id": mdtrt, "chrg_bchno": "CB1",
        "acct_used_flag": "1", "insutype": "310"}});
    let settled = w.call_id(FAC_SH, "2207", msgid, data).await;
    let setl_id = ok(&settled)["setlinfo"]["setl_id"].as_str().expect("setl_id").to_string();
    (mdtrt, setl_id)
}

async fn reverse_call(w: &World, msgid: &str, omsgid: &str, oinfno: &str) {
    let input = json!({"data": {"psn_no": PSN, "omsgid": omsgid, "oinfno": oinfno}});
    ok(&w.call_id(FAC_SH, "2601", msgid, input).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postings_follow_settlements_cancellations_and_reinstatement_across_a_restart() {
    let db = temp_db("ledger-flow");
    let mut w = World::start(pack("worked"), &db, "2025-03-02 09:41:00");
    let (mdtrt1, setl1) = settle_visit(&mut w, "MZ001", "SETTLE-1").await;
    let cancel = json!({"data": {"setl_id": setl1, "mdtrt_id": mdtrt1, "psn_no": PSN}});
    ok(&w.call_id(FAC_SH, "2208", "CANCEL-1", cancel).await);
    let mut w = w.restart("2025-03-02 10:00:00");
    reverse_call(&w, "REVS-1", "CANCEL-1", "2208").await; // reinstates settlement 1
    w.advance_secs(60);
    let (_, setl2) = settle_visit(&mut w, "MZ002", "SETTLE-2").await;
    reverse_call(&w, "REVS-2", "SETTLE-2", "2207").await; // cancels settlement 2
    let (_, setl3) = settle_visit(&mut w, "MZ003", "SETTLE-3").await;

    let live = w.hub.ledger().await.expect("ledger");
    let w = w.restart("2025-03-02 11:00:00");
    let restored = w.hub.ledger().await.expect("ledger after restart");
    w.hub.shutdown();

    let snap = snapshot(&db);
    let stored = ledger_of_records(&snap.postings).expect("stored postings verify");
    assert_eq!(live.trial_balance(), Fen::ZERO, "the books balance");
    assert_eq!(stored.balances(), live.balances(), "stored postings roll up to the in-memory ledger");
    assert_eq!(stored.totals(), live.totals());
    assert_eq!(restored.balances(), live.balances(), "a restart rebuilds the same ledger");
    assert_eq!(live.totals().1, 6, "S1, its reversal, S1 again, S2, its reversal, S3");

    // Each settlement's postings alternate normal/reversal and end as its status says.
    let mut senses: BTreeMap<&str, Vec<Sense>> = BTreeMap::new();
    for r in &snap.postings {
        senses.entry(r.reference.as_str()).or_default().push(Sense::parse(&r.sense).expect("sense"));
    }
    use Sense::{Normal, Reversal};
    assert_eq!(senses[setl1.as_str()], [Normal, Reversal, Normal]);
    assert_eq!(senses[setl2.as_str()], [Normal, Reversal]);
    assert_eq!(senses[setl3.as_str()], [Normal]);

    // The pair's prepayment moved by exactly the live settlements' fund shares, the transit by
    // their personal-account shares.
    let pair =
        Pair::new(DivisionCode::parse("320000").unwrap(), DivisionCode::parse("310000").unwrap()).unwrap();
    let live_setls: Vec<_> =
        snap.settlements.iter().filter(|s| s.status == SettlementStatus::Settled).collect();
    assert_eq!(live_setls.len(), 2);
    let pooled: Fen = live_setls.iter().map(|s| s.fund_pay_sumamt).sum();
    let acct: Fen = live_setls.iter().map(|s| s.acct_pay).sum();
    assert!(pooled > Fen::ZERO && acct > Fen::ZERO, "the flow exercises both shares");
    assert_eq!(live.balance(&Account::Prepayment { pair }), -pooled);
    assert_eq!(live.balance(&Account::Transit { pair }), -acct);
    let statement =
        live.open_statement(yidi_ledger::Month::parse("2025-03").unwrap(), pair).expect("statement");
    assert_eq!(statement.pooled(), pooled);
    assert!(snap.postings.iter().all(|r| matches!(
        PostingKind::parse(&r.kind),
        Some(PostingKind::Settlement { pair: p, .. }) if p == pair
    )));
}
