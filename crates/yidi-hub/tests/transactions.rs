//! The transactions beyond the settlement flows, through the hub in-process on a real SQLite
//! file with the worked-examples pack: 2403 and 2302 on a stay, 2601 in each of its forms
//! (cancel, reinstate, block, admission), 2001, 1201, 5203, 5204, 3201 and 3202; each happy path
//! and each refusal, including another facility's identifiers.

mod support;

use serde_json::{Value, json};
use support::{World, num, ok, pack, refused, temp_db};

const FAC_SH: &str = "H31010400123";
const FAC_BJ: &str = "H11010500001";
/// Example 1's Nanjing employee (long-term filer for Shanghai, account 500.00).
const P1: &str = "P0000000001";
const P1_CERT: &str = "320102197005120015";
/// Example 2's Hohhot resident (dibao, referral filing for Beijing).
const P2: &str = "P0000000002";
const P2_CERT: &str = "150102196503080021";

fn start(name: &str, at: &str) -> World {
    World::start(pack("worked"), &temp_db(name), at)
}

fn line(sn: &str, mdtrt: &str, batch: &str, code: &str, cnt: &str, pric: &str, amt: &str) -> Value {
    json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": P1, "chrg_bchno": batch,
           "fee_ocur_time": "2025-03-02 09:20:00", "med_list_codg": code, "medins_list_codg": code,
           "det_item_fee_sumamt": amt, "cnt": cnt, "pric": pric})
}

/// Registers P1 at the Shanghai hospital and sets the visit's medical type.
async fn register(w: &mut World, ipt_otp_no: &str) -> String {
    let reg = w
        .call(
            FAC_SH,
            "2201",
            json!({"data": {"psn_no": P1, "insutype": "310", "begntime": "2025-03-02 09:10:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": P1_CERT, "ipt_otp_no": ipt_otp_no}}),
        )
        .await;
    let mdtrt = ok(&reg)["data"]["mdtrt_id"].as_str().expect("mdtrt_id").to_string();
    ok(&w
        .call(
            FAC_SH,
            "2203",
            json!({"mdtrtinfo": {"mdtrt_id": mdtrt, "psn_no": P1, "med_type": "11",
        "begntime": "2025-03-02 09:10:00", "dise_codg": "I10"}}),
        )
        .await);
    mdtrt
}

/// Example 1's four lines as batch `batch` (666.50).
async fn upload_example_1(w: &mut World, mdtrt: &str, batch: &str) {
    let sn = |s: &str| format!("{batch}-{s}");
    ok(&w
        .call(
            FAC_SH,
            "2204",
            json!({"feedetail": [
        line(&sn("a"), mdtrt, batch, "XA01AAA001", "3", "45.50", "136.50"),
        line(&sn("b"), mdtrt, batch, "XB01ACB001", "2", "210.00", "420.00"),
        line(&sn("c"), mdtrt, batch, "XC10AAC001", "1", "80.00", "80.00"),
        line(&sn("d"), mdtrt, batch, "001102000010000", "1", "30.00", "30.00")]}),
        )
        .await);
}

fn settle_input(mdtrt: &str, batch: &str, medfee: &str) -> Value {
    json!({"data": {"psn_no": P1, "mdtrt_cert_type": "02", "mdtrt_cert_no": P1_CERT, "med_type": "11",
        "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt, "chrg_bchno": batch,
        "acct_used_flag": "1", "insutype": "310"}})
}

fn revs(psn: &str, omsgid: &str, oinfno: &str) -> Value {
    json!({"data": {"psn_no": psn, "omsgid": omsgid, "oinfno": oinfno}})
}

async fn balance(w: &mut World) -> String {
    let info =
        w.call(FAC_SH, "1101", json!({"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": P1_CERT}})).await;
    num(&ok(&info)["insuinfo"][0]["balc"])
}

/// Goal: 2601 of a settlement cancels it as 2208 would (negated output plus `yidi_revsinfo`),
/// 2601 of that kind of cancellation reinstates the settlement with its own figures, and every
/// second attempt is `already_reversed`; a 2601 answer replays byte for byte.
#[tokio::test(flavor = "current_thread")]
async fn reversal_cancels_a_settlement_and_reinstates_a_cancelled_one() {
    let mut w = start("revs", "2025-03-02 09:41:00");
    let mdtrt = register(&mut w, "MZ001").await;
    upload_example_1(&mut w, &mdtrt, "CB1").await;
    let first = w.call_id(FAC_SH, "2207", "S1", settle_input(&mdtrt, "CB1", "666.50")).await;
    let setl_a = ok(&first)["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    assert_eq!(balance(&mut w).await, "0.0");

    w.advance_secs(60);
    let input = revs(P1, "S1", "2207");
    let r1 = w.body(FAC_SH, "2601", "R1", &input).await;
    let out: Value = serde_json::from_str(&r1).unwrap();
    let info = &ok(&out)["setlinfo"];
    assert_eq!(num(&info["medfee_sumamt"]), "-666.5");
    assert_eq!(num(&info["balc"]), "500.0");
    assert_eq!(info["medins_setl_id"], "R1");
    assert_eq!(ok(&out)["yidi_revsinfo"], json!({"omsgid": "S1", "oinfno": "2207", "revs_rslt": "1"}));
    assert_eq!(balance(&mut w).await, "500.0");
    assert_eq!(w.body(FAC_SH, "2601", "R1", &input).await, r1, "a 2601 answer is stored and replayed");
    let again = w.call(FAC_SH, "2601", revs(P1, "S1", "2207")).await;
    refused(&again, "already_reversed", "input.data.omsgid");
    let cancel = json!({"data": {"setl_id": setl_a, "mdtrt_id": mdtrt, "psn_no": P1}});
    refused(&w.call(FAC_SH, "2208", cancel).await, "already_reversed", "input.data.setl_id");

    // Settle the batch again, cancel that with 2208, then reverse the cancellation.
    let second = w.call_id(FAC_SH, "2207", "S2", settle_input(&mdtrt, "CB1", "666.50")).await;
    let setl_b = ok(&second)["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    let cancel_b = json!({"data": {"setl_id": setl_b, "mdtrt_id": mdtrt, "psn_no": P1}});
    ok(&w.call_id(FAC_SH, "2208", "C2", cancel_b.clone()).await);
    assert_eq!(balance(&mut w).await, "500.0");
    let reinstated = w.call_id(FAC_SH, "2601", "R2", revs(P1, "C2", "2208")).await;
    assert_eq!(ok(&reinstated)["setlinfo"], ok(&second)["setlinfo"], "the settlement's own figures");
    assert_eq!(ok(&reinstated)["setldetail"], ok(&second)["setldetail"]);
    assert_eq!(ok(&reinstated)["yidi_revsinfo"]["revs_rslt"], "1");
    assert_eq!(balance(&mut w).await, "0.0");
    let query = json!({"data": {"psn_no": P1, "setl_id": setl_b, "mdtrt_id": mdtrt}});
    assert_eq!(ok(&w.call(FAC_SH, "5203", query).await)["setlinfo"]["refd_setl_flag"], "0");
    let twice = w.call(FAC_SH, "2207", settle_input(&mdtrt, "CB1", "666.50")).await;
    refused(&twice, "visit_state", "input.data.chrg_bchno");
    refused(&w.call(FAC_SH, "2601", revs(P1, "C2", "2208")).await, "already_reversed", "input.data.omsgid");

    // Refusals: the wrong transaction, the wrong person, a transaction 2601 does not undo.
    refused(&w.call(FAC_SH, "2601", revs(P1, "S2", "2208")).await, "bad_field", "input.data.oinfno");
    refused(&w.call(FAC_SH, "2601", revs(P2, "S2", "2207")).await, "bad_field", "input.data.psn_no");
    let reg_msgid = format!("{FAC_SH}{:018}", 1);
    refused(
        &w.call(FAC_SH, "2601", revs(P1, &reg_msgid, "2201")).await,
        "not_reversible",
        "input.data.oinfno",
    );
    // The reinstated settlement cancels normally.
    ok(&w.call(FAC_SH, "2208", cancel_b).await);
    assert_eq!(balance(&mut w).await, "500.0");
}

/// Goal: a cancellation is reinstated only while the person's state is the one it left — a newer
/// settlement refuses it (`not_reversible`), and so do fee lines changed since (`visit_state`);
/// neither refusal changes anything.
#[tokio::test(flavor = "current_thread")]
async fn reinstatement_is_refused_once_things_moved_on() {
    let mut w = start("reinstate-refused", "2025-03-02 09:41:00");
    let mdtrt = register(&mut w, "MZ001").await;
    upload_example_1(&mut w, &mdtrt, "CB1").await;
    let s1 = w.call_id(FAC_SH, "2207", "S1", settle_input(&mdtrt, "CB1", "666.50")).await;
    let setl = ok(&s1)["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    ok(&w
        .call_id(FAC_SH, "2208", "C1", json!({"data": {"setl_id": setl, "mdtrt_id": mdtrt, "psn_no": P1}}))
        .await);
    w.advance_secs(60);
    ok(&w
        .call(
            FAC_SH,
            "2204",
            json!({"feedetail": [line("e", &mdtrt, "CB2", "XA01AAA001", "1", "100.00", "100.00")]}),
        )
        .await);
    ok(&w.call(FAC_SH, "2207", settle_input(&mdtrt, "CB2", "100.00")).await);
    let before = balance(&mut w).await;
    refused(&w.call(FAC_SH, "2601", revs(P1, "C1", "2208")).await, "not_reversible", "input.data.omsgid");
    assert_eq!(balance(&mut w).await, before);

    let mut w = start("reinstate-lines", "2025-03-02 09:41:00");
    let mdtrt = register(&mut w, "MZ001").await;
    upload_example_1(&mut w, &mdtrt, "CB1").await;
    let s1 = w.call_id(FAC_SH, "2207", "S1", settle_input(&mdtrt, "CB1", "666.50")).await;
    let setl = ok(&s1)["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    ok(&w
        .call_id(FAC_SH, "2208", "C1", json!({"data": {"setl_id": setl, "mdtrt_id": mdtrt, "psn_no": P1}}))
        .await);
    ok(&w
        .call(FAC_SH, "2205", json!({"data": {"mdtrt_id": mdtrt, "chrg_bchno": "CB1", "psn_no": P1}}))
        .await);
    refused(&w.call(FAC_SH, "2601", revs(P1, "C1", "2208")).await, "visit_state", "input.data.omsgid");
    assert_eq!(balance(&mut w).await, "500.0");
}

/// Goal: 2601 of a `msgid` never answered blocks it (`revs_rslt` 0, nothing else happened): the
/// late call is then `already_reversed`, also after a restart, and so is a second 2601.
#[tokio::test(flavor = "current_thread")]
async fn reversal_blocks_an_unanswered_msgid() {
    let mut w = start("block", "2025-03-02 09:41:00");
    let mdtrt = register(&mut w, "MZ001").await;
    upload_example_1(&mut w, &mdtrt, "CB1").await;
    let blocked = w.call(FAC_SH, "2601", revs(P1, "LOST-1", "2207")).await;
    assert_eq!(
        ok(&blocked),
        &json!({"yidi_revsinfo": {"omsgid": "LOST-1", "oinfno": "2207", "revs_rslt": "0"}})
    );
    let late = w.call_id(FAC_SH, "2207", "LOST-1", settle_input(&mdtrt, "CB1", "666.50")).await;
    refused(&late, "already_reversed", "msgid");
    refused(
        &w.call(FAC_SH, "2601", revs(P1, "LOST-1", "2207")).await,
        "already_reversed",
        "input.data.omsgid",
    );
    let w = w.restart("2025-03-02 10:00:00");
    let late = w.call_id(FAC_SH, "2207", "LOST-1", settle_input(&mdtrt, "CB1", "666.50")).await;
    refused(&late, "already_reversed", "msgid");
    // The batch itself is untouched and settles under a new msgid.
    ok(&w.call_id(FAC_SH, "2207", "FRESH-1", settle_input(&mdtrt, "CB1", "666.50")).await);
}

fn admit_input(psn: &str, cert: &str, ipt_no: &str) -> Value {
    json!({"mdtrtinfo": {"psn_no": psn, "insutype": if psn == P1 { "310" } else { "390" },
        "begntime": "2025-03-01 08:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "med_type": "21",
        "ipt_no": ipt_no, "adm_dept_codg": "A01", "adm_dept_name": "胸外科"},
        "diseinfo": [{"diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1, "diag_code": "C34.1", "diag_name": "肺癌"}]})
}

fn stay_line(mdtrt: &str, sn: &str, code: &str, cnt: &str, pric: &str, amt: &str) -> Value {
    json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": P2, "fee_ocur_time": "2025-03-05 09:00:00",
           "med_list_codg": code, "medins_list_codg": code, "det_item_fee_sumamt": amt, "cnt": cnt, "pric": pric})
}

fn stay_settle_input(mdtrt: &str, medfee: &str) -> Value {
    json!({"data": {"psn_no": P2, "mdtrt_cert_type": "02", "mdtrt_cert_no": P2_CERT, "medfee_sumamt": medfee,
        "psn_setlway": "01", "mdtrt_id": mdtrt, "acct_used_flag": "0", "insutype": "390"}})
}

/// Goal: 2601 of an admission cancels it as 2404 would (its `ipt_no` free again), but not while
/// the stay has lines.
#[tokio::test(flavor = "current_thread")]
async fn reversal_cancels_an_admission() {
    let mut w = start("revs-2401", "2025-03-20 10:30:00");
    ok(&w.call_id(FAC_BJ, "2401", "A1", admit_input(P2, P2_CERT, "ZY001")).await);
    let r = w.call(FAC_BJ, "2601", revs(P2, "A1", "2401")).await;
    assert_eq!(ok(&r)["yidi_revsinfo"]["revs_rslt"], "1");
    assert!(ok(&r).get("setlinfo").is_none());
    refused(&w.call(FAC_BJ, "2601", revs(P2, "A1", "2401")).await, "already_reversed", "input.data.omsgid");
    let again = w.call_id(FAC_BJ, "2401", "A2", admit_input(P2, P2_CERT, "ZY001")).await;
    let mdtrt = ok(&again)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    ok(&w
        .call(
            FAC_BJ,
            "2301",
            json!({"feedetail": [stay_line(&mdtrt, "a", "001201000010000", "1", "300.00", "300.00")]}),
        )
        .await);
    refused(&w.call(FAC_BJ, "2601", revs(P2, "A2", "2401")).await, "visit_state", "input.data.omsgid");
    refused(&w.call(FAC_BJ, "2601", revs(P1, "A2", "2401")).await, "bad_field", "input.data.psn_no");
}

/// Goal: 2403 replaces the stay's data — a new `begntime` moves the service date (here before
/// the policy's effective date, so settlement finds no policy, and back), a new `ipt_no` frees
/// the old one — and is refused outside admitted/discharged, for another facility, and for
/// inconsistent times or an unsupported medical type.
#[tokio::test(flavor = "current_thread")]
async fn admission_change_replaces_the_stay_data() {
    let mut w = start("2403", "2025-03-20 10:30:00");
    let adm = w.call(FAC_BJ, "2401", admit_input(P2, P2_CERT, "ZY001")).await;
    let mdtrt = ok(&adm)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    ok(&w
        .call(
            FAC_BJ,
            "2301",
            json!({"feedetail": [stay_line(&mdtrt, "a", "001201000010000", "10", "300.00", "3000.00")]}),
        )
        .await);
    let change = |fields: Value| {
        let mut adminfo = json!({"mdtrt_id": mdtrt, "psn_no": P2});
        adminfo.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        json!({"adminfo": adminfo})
    };
    let moved = change(json!({"begntime": "2024-12-20 08:00:00", "ipt_no": "ZY002"}));
    let mut moved = moved;
    moved["diseinfo"] = json!([{"diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1, "diag_code": "C34.9", "diag_name": "肺癌"}]);
    ok(&w.call(FAC_BJ, "2403", moved).await);
    let pre = w.call(FAC_BJ, "2303", stay_settle_input(&mdtrt, "3000.00")).await;
    assert_eq!(pre["err_code"], "no_policy", "the service date moved to 2024: {pre}");
    ok(&w.call(FAC_BJ, "2403", change(json!({"begntime": "2025-03-01 08:00:00"}))).await);
    ok(&w.call(FAC_BJ, "2303", stay_settle_input(&mdtrt, "3000.00")).await);
    // The old ipt_no is free, the new one taken.
    let taken = w.call(FAC_BJ, "2401", admit_input(P1, P1_CERT, "ZY002")).await;
    refused(&taken, "visit_state", "input.mdtrtinfo.ipt_no");
    ok(&w.call(FAC_BJ, "2401", admit_input(P1, P1_CERT, "ZY001")).await);

    let endtime = w.call(FAC_BJ, "2403", change(json!({"endtime": "2025-03-20 10:00:00"}))).await;
    refused(&endtime, "visit_state", "input.adminfo.endtime");
    let med = w.call(FAC_BJ, "2403", change(json!({"med_type": "99"}))).await;
    refused(&med, "med_type_not_supported", "input.adminfo.med_type");
    let day_surgery = w.call(FAC_BJ, "2403", change(json!({"med_type": "28"}))).await;
    refused(&day_surgery, "bad_field", "input.adminfo.oprn_oprt_code");
    let foreign = w.call(FAC_SH, "2403", change(json!({"ipt_no": "ZY009"}))).await;
    refused(&foreign, "visit_not_found", "input.adminfo.mdtrt_id");

    ok(&w.call(FAC_BJ, "2402", json!({"dscginfo": {"mdtrt_id": mdtrt, "psn_no": P2, "insutype": "390",
        "endtime": "2025-03-20 10:00:00", "dscg_way": "1", "dscg_dept_codg": "A01", "dscg_dept_name": "胸外科"}})).await);
    let late = w.call(FAC_BJ, "2403", change(json!({"begntime": "2025-03-25 08:00:00"}))).await;
    refused(&late, "bad_field", "input.adminfo.begntime");
    ok(&w.call(FAC_BJ, "2403", change(json!({"endtime": "2025-03-19 10:00:00"}))).await);
    ok(&w.call(FAC_BJ, "2304", stay_settle_input(&mdtrt, "3000.00")).await);
    let settled = w.call(FAC_BJ, "2403", change(json!({"adm_dept_name": "呼吸科"}))).await;
    refused(&settled, "visit_state", "input.adminfo.mdtrt_id");
}

/// Goal: 2302 withdraws lines of a stay; a refunded line goes only with its refunds; `0000`
/// withdraws all (after which 2404 may cancel the stay); unknown lines, another facility's stay
/// and a settled stay are refused without changing anything.
#[tokio::test(flavor = "current_thread")]
async fn fee_withdrawal_keeps_refunds_with_their_lines() {
    let mut w = start("2302", "2025-03-20 10:30:00");
    let adm = w.call(FAC_BJ, "2401", admit_input(P2, P2_CERT, "ZY001")).await;
    let mdtrt = ok(&adm)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    let mut refund = stay_line(&mdtrt, "r", "001201000010000", "-2", "300.00", "-600.00");
    refund["init_feedetl_sn"] = json!("a");
    ok(&w
        .call(
            FAC_BJ,
            "2301",
            json!({"feedetail": [
        stay_line(&mdtrt, "a", "001201000010000", "10", "300.00", "3000.00"),
        stay_line(&mdtrt, "b", "XL04AAC001", "1", "2000.00", "2000.00")]}),
        )
        .await);
    ok(&w.call(FAC_BJ, "2301", json!({"feedetail": [refund]})).await);
    let rows = |sns: &[&str]| json!({"data": sns.iter().map(|sn| json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": P2})).collect::<Vec<_>>()});
    let alone = w.call(FAC_BJ, "2302", rows(&["b", "a"])).await;
    refused(&alone, "bad_field", "input.data[1].feedetl_sn");
    assert!(alone["err_msg"].as_str().unwrap().contains("退费明细 r"), "{alone}");
    refused(&w.call(FAC_BJ, "2302", rows(&["zz"])).await, "bad_field", "input.data[0].feedetl_sn");
    refused(&w.call(FAC_SH, "2302", rows(&["b"])).await, "visit_not_found", "input.data[0].mdtrt_id");
    // Nothing was withdrawn by the refusals: the stay still totals 4 400.00.
    ok(&w.call(FAC_BJ, "2303", stay_settle_input(&mdtrt, "4400.00")).await);
    ok(&w.call(FAC_BJ, "2302", rows(&["a", "r"])).await);
    ok(&w.call(FAC_BJ, "2303", stay_settle_input(&mdtrt, "2000.00")).await);
    refused(&w.call(FAC_BJ, "2302", rows(&["a"])).await, "bad_field", "input.data[0].feedetl_sn");
    ok(&w.call(FAC_BJ, "2302", rows(&["0000"])).await);
    ok(&w.call(FAC_BJ, "2404", json!({"data": {"mdtrt_id": mdtrt, "psn_no": P2}})).await);

    let adm = w.call(FAC_BJ, "2401", admit_input(P2, P2_CERT, "ZY002")).await;
    let mdtrt = ok(&adm)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    ok(&w
        .call(
            FAC_BJ,
            "2301",
            json!({"feedetail": [stay_line(&mdtrt, "a", "001201000010000", "1", "300.00", "300.00")]}),
        )
        .await);
    ok(&w.call(FAC_BJ, "2402", json!({"dscginfo": {"mdtrt_id": mdtrt, "psn_no": P2, "insutype": "390",
        "endtime": "2025-03-20 10:00:00", "dscg_way": "1", "dscg_dept_codg": "A01", "dscg_dept_name": "胸外科"}})).await);
    ok(&w.call(FAC_BJ, "2304", stay_settle_input(&mdtrt, "300.00")).await);
    let settled =
        w.call(FAC_BJ, "2302", json!({"data": [{"feedetl_sn": "a", "mdtrt_id": mdtrt, "psn_no": P2}]})).await;
    refused(&settled, "visit_state", "input.data[0].mdtrt_id");
}

/// Goal: 2001 answers a row per fund that would pay, with the filing class, or one row with flag
/// 0 and the engine's reason (never `infcode` −1 for a refusal of benefits).
#[tokio::test(flavor = "current_thread")]
async fn treatment_check_lists_the_paying_funds() {
    let mut w = start("2001", "2025-03-02 09:00:00");
    let check = |psn: &str, insutype: &str, med_type: &str| json!({"data": {"psn_no": psn, "insutype": insutype, "med_type": med_type, "begntime": "2025-03-02 09:00:00"}});
    let long_term = w.call(FAC_SH, "2001", check(P1, "310", "11")).await;
    assert_eq!(
        ok(&long_term)["trtinfo"],
        json!([{"psn_no": P1, "trt_chk_type": "1", "fund_pay_type": "310100", "trt_enjymnt_flag": "1",
            "begndate": "2024-06-01", "enddate": null, "trt_chk_rslt": "异地长期居住人员"}])
    );
    let referral = w.call(FAC_BJ, "2001", check(P2, "390", "21")).await;
    let rows = ok(&referral)["trtinfo"].as_array().unwrap().clone();
    let funds: Vec<&str> = rows.iter().map(|r| r["fund_pay_type"].as_str().unwrap()).collect();
    assert_eq!(funds, ["390100", "390200", "610100"]);
    assert!(rows.iter().all(|r| r["trt_enjymnt_flag"] == "1" && r["trt_chk_rslt"] == "异地转诊人员"));
    assert_eq!(rows[0]["begndate"], "2025-01-15");
    assert_eq!(rows[0]["enddate"], "2025-07-14");

    // Unfiled outpatient care of a Nanjing employee in Beijing: the insured place refuses it.
    let unfiled = w.call(FAC_BJ, "2001", check(P1, "310", "11")).await;
    let rows = ok(&unfiled)["trtinfo"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{unfiled}");
    assert_eq!(rows[0]["trt_enjymnt_flag"], "0");
    assert_eq!(rows[0]["fund_pay_type"], "310100");
    assert!(rows[0]["trt_chk_rslt"].as_str().unwrap().contains("备案"), "{unfiled}");
    for (psn, insutype, med_type, why) in [
        ("P9999999999", "310", "11", "未找到人员编号"),
        (P1, "390", "11", "险种类型 390"),
        (P1, "310", "99", "未开通"),
    ] {
        let r = w.call(FAC_SH, "2001", check(psn, insutype, med_type)).await;
        let row = &ok(&r)["trtinfo"][0];
        assert_eq!(row["trt_enjymnt_flag"], "0", "{r}");
        assert!(row["trt_chk_rslt"].as_str().unwrap().contains(why), "{r}");
    }
}

/// Goal: 1201 lists the pack's facilities matching every criterion given, by code.
#[tokio::test(flavor = "current_thread")]
async fn facility_list_filters_the_pack() {
    let mut w = start("1201", "2025-03-02 09:00:00");
    let all = w.call(FAC_BJ, "1201", json!({"medinsinfo": {"fixmedins_name": "示例"}})).await;
    let codes: Vec<&str> = ok(&all)["medinsinfo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fixmedins_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [FAC_BJ, FAC_SH]);
    let one = w.call(FAC_BJ, "1201", json!({"medinsinfo": {"fixmedins_code": FAC_SH}})).await;
    assert_eq!(
        ok(&one)["medinsinfo"],
        json!([{"fixmedins_code": FAC_SH, "fixmedins_name": "上海市徐汇区示例三级医院", "uscc": null,
            "fixmedins_type": "1", "hosp_lv": "3"}])
    );
    let pharmacies = w.call(FAC_BJ, "1201", json!({"medinsinfo": {"fixmedins_type": "2"}})).await;
    assert_eq!(ok(&pharmacies)["medinsinfo"], json!([]));
    let none = w.call(FAC_BJ, "1201", json!({"medinsinfo": {}})).await;
    refused(&none, "bad_field", "input.medinsinfo");
}

/// Goal: 5203 answers the settlement as answered plus `refd_setl_flag`; 5204 pages the live
/// lines with their split (a refund negated) and settlement; another facility's ids are
/// unknown.
#[tokio::test(flavor = "current_thread")]
async fn settlement_and_fee_queries() {
    let mut w = start("52xx", "2025-03-02 09:41:00");
    let mdtrt = register(&mut w, "MZ001").await;
    upload_example_1(&mut w, &mdtrt, "CB1").await;
    ok(&w
        .call(
            FAC_SH,
            "2204",
            json!({"feedetail": [line("x", &mdtrt, "CB2", "XA01AAA001", "1", "100.00", "100.00")]}),
        )
        .await);
    let s = w.call(FAC_SH, "2207", settle_input(&mdtrt, "CB1", "666.50")).await;
    let setl = ok(&s)["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    let q = json!({"data": {"psn_no": P1, "setl_id": setl, "mdtrt_id": mdtrt}});
    let answered = w.call(FAC_SH, "5203", q.clone()).await;
    let mut expected = ok(&s).clone();
    expected["setlinfo"]["refd_setl_flag"] = json!("0");
    assert_eq!(ok(&answered), &expected);
    refused(&w.call(FAC_BJ, "5203", q.clone()).await, "setl_not_found", "input.data.setl_id");
    let wrong_visit = json!({"data": {"psn_no": P1, "setl_id": setl, "mdtrt_id": "310104000000000999"}});
    refused(&w.call(FAC_SH, "5203", wrong_visit).await, "setl_not_found", "input.data.setl_id");

    let page = w.call(FAC_SH, "5204", json!({"data": {"psn_no": P1, "mdtrt_id": mdtrt}})).await;
    let rows = ok(&page)["data"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        ok(&page)["yidi_pageinfo"],
        json!({"page_num": 1, "page_size": 1000, "total_records": 5, "total_pages": 1})
    );
    let d = rows.iter().find(|r| r["feedetl_sn"] == "CB1-d").unwrap();
    assert_eq!((num(&d["overlmt_amt"]), num(&d["inscp_scp_amt"])), ("5.0".into(), "25.0".into()));
    assert_eq!(d["setl_id"], setl);
    assert!(rows.iter().find(|r| r["feedetl_sn"] == "x").unwrap()["setl_id"].is_null());
    let of_setl =
        w.call(FAC_SH, "5204", json!({"data": {"psn_no": P1, "mdtrt_id": mdtrt, "setl_id": setl}})).await;
    assert_eq!(ok(&of_setl)["yidi_pageinfo"]["total_records"], 4);
    let past =
        w.call(FAC_SH, "5204", json!({"data": {"psn_no": P1, "mdtrt_id": mdtrt, "yidi_page_num": 2}})).await;
    assert_eq!(ok(&past)["data"], json!([]));
    let foreign = w.call(FAC_BJ, "5204", json!({"data": {"psn_no": P1, "mdtrt_id": mdtrt}})).await;
    refused(&foreign, "visit_not_found", "input.data.mdtrt_id");
    let bad_setl = json!({"data": {"psn_no": P1, "mdtrt_id": mdtrt, "setl_id": "310104000000000999"}});
    refused(&w.call(FAC_SH, "5204", bad_setl).await, "setl_not_found", "input.data.setl_id");

    ok(&w.call(FAC_SH, "2208", json!({"data": {"setl_id": setl, "mdtrt_id": mdtrt, "psn_no": P1}})).await);
    let after = w.call(FAC_SH, "5203", q).await;
    assert_eq!(ok(&after)["setlinfo"]["refd_setl_flag"], "1");
    assert_eq!(ok(&after)["setlinfo"]["setl_id"], setl);

    // An inpatient refund line is split as its positive line, negated.
    w.clock.set(yidi_domain::DateTime::parse("2025-03-20 10:30:00").unwrap());
    let adm = w.call(FAC_BJ, "2401", admit_input(P2, P2_CERT, "ZY001")).await;
    let stay = ok(&adm)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    let mut refund = stay_line(&stay, "r", "C0301000001", "-1", "25000.00", "-25000.00");
    refund["init_feedetl_sn"] = json!("c");
    ok(&w
        .call(
            FAC_BJ,
            "2301",
            json!({"feedetail": [stay_line(&stay, "c", "C0301000001", "2", "25000.00", "50000.00")]}),
        )
        .await);
    ok(&w.call(FAC_BJ, "2301", json!({"feedetail": [refund]})).await);
    let page = w.call(FAC_BJ, "5204", json!({"data": {"psn_no": P2, "mdtrt_id": stay}})).await;
    let r = ok(&page)["data"].as_array().unwrap().iter().find(|r| r["feedetl_sn"] == "r").unwrap().clone();
    let parts = ["det_item_fee_sumamt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"].map(|k| num(&r[k]));
    assert_eq!(parts, ["-25000.0", "-5000.0", "-6000.0", "-14000.0"].map(String::from));
}

fn totals(medfee: &str, fund: &str, acct: &str, cnt: i64, refd: &str) -> Value {
    json!({"data": {"insutype": "310", "clr_type": "11", "setl_optins": "310000", "stmt_begndate": "2025-03-01",
        "stmt_enddate": "2025-03-31", "medfee_sumamt": medfee, "fund_pay_sumamt": fund, "acct_pay": acct,
        "fixmedins_setl_cnt": cnt, "refd_setl_flag": refd}})
}

fn detail(setl: &str, mdtrt: &str, refd: &str, medfee: &str, acct: &str) -> Value {
    json!({"setl_id": setl, "mdtrt_id": mdtrt, "psn_no": P1, "refd_setl_flag": refd, "medfee_sumamt": medfee,
        "fund_pay_sumamt": "0", "acct_pay": acct})
}

fn details(medfee: &str, cash: &str, cnt: i64, rows: Vec<Value>) -> Value {
    json!({"data": {"setl_optins": "310000", "stmt_begndate": "2025-03-01", "stmt_enddate": "2025-03-31",
        "medfee_sumamt": medfee, "fund_pay_sumamt": "0", "cash_payamt": cash, "fixmedins_setl_cnt": cnt,
        "yidi_stmtdetl": rows}})
}

/// Goal: 3201 balances against the facility's records of the period (a cancellation a record of
/// its own, negated) and names the differing totals otherwise; 3202 reports each record that
/// differs (`1`), is unknown (`2`) or is missing from the list (`3`).
#[tokio::test(flavor = "current_thread")]
async fn reconciliation_totals_and_details() {
    let mut w = start("32xx", "2025-03-02 09:41:00");
    let mdtrt = register(&mut w, "MZ001").await;
    upload_example_1(&mut w, &mdtrt, "CB1").await;
    let s = w.call(FAC_SH, "2207", settle_input(&mdtrt, "CB1", "666.50")).await;
    let setl = ok(&s)["setlinfo"]["setl_id"].as_str().unwrap().to_string();

    let balanced = w.call(FAC_SH, "3201", totals("666.50", "0", "500.00", 1, "1")).await;
    assert_eq!(ok(&balanced)["stmtinfo"]["stmt_rslt"], "0", "{balanced}");
    assert_eq!(ok(&balanced)["stmtinfo"]["setl_optins"], "310000");
    let off = w.call(FAC_SH, "3201", totals("600.00", "0", "500.00", 1, "1")).await;
    assert_eq!(ok(&off)["stmtinfo"]["stmt_rslt"], "1");
    let dscr = ok(&off)["stmtinfo"]["stmt_rslt_dscr"].as_str().unwrap();
    assert!(dscr.contains("医疗费总额：医院 600.00 元，结算中心 666.50 元"), "{dscr}");
    assert!(!dscr.contains("个人账户"), "only differing totals are named: {dscr}");
    let other_facility = w.call(FAC_BJ, "3201", totals("0", "0", "0", 0, "1")).await;
    assert_eq!(ok(&other_facility)["stmtinfo"]["stmt_rslt"], "0");

    let all = vec![detail(&setl, &mdtrt, "0", "666.50", "500.00")];
    let d = w.call(FAC_SH, "3202", details("666.50", "166.50", 1, all)).await;
    assert_eq!(ok(&d)["stmtinfo"]["stmt_rslt"], "0", "{d}");
    assert_eq!(ok(&d)["yidi_stmtrslt"], json!([]));

    w.advance_secs(3_600);
    ok(&w.call(FAC_SH, "2208", json!({"data": {"setl_id": setl, "mdtrt_id": mdtrt, "psn_no": P1}})).await);
    let with_cancel = w.call(FAC_SH, "3201", totals("0", "0", "0", 2, "1")).await;
    assert_eq!(ok(&with_cancel)["stmtinfo"]["stmt_rslt"], "0", "{with_cancel}");
    let live_only = w.call(FAC_SH, "3201", totals("0", "0", "0", 0, "0")).await;
    assert_eq!(ok(&live_only)["stmtinfo"]["stmt_rslt"], "0", "{live_only}");

    let rows = vec![
        detail(&setl, &mdtrt, "0", "660.00", "500.00"),
        detail("310104000000000999", &mdtrt, "0", "10.00", "0"),
    ];
    let d = w.call(FAC_SH, "3202", details("0", "0", 2, rows)).await;
    assert_eq!(ok(&d)["stmtinfo"]["stmt_rslt"], "1");
    let rslt = ok(&d)["yidi_stmtrslt"].as_array().unwrap().clone();
    let kinds: Vec<(&str, &str)> =
        rslt.iter().map(|r| (r["setl_id"].as_str().unwrap(), r["stmt_rslt"].as_str().unwrap())).collect();
    assert_eq!(kinds, [(setl.as_str(), "1"), ("310104000000000999", "2"), (setl.as_str(), "3")]);
    assert!(rslt[0]["memo"].as_str().unwrap().contains("结算中心 666.50 元"), "{}", rslt[0]);
    assert_eq!(rslt[2]["refd_setl_flag"], "1");
    assert_eq!(num(&rslt[2]["medfee_sumamt"]), "-666.5");
}
