//! Clearing applications by date range (3203/3204): part-month applications that together cover
//! a month, only days that are over, overlapping ranges refused, a cancelled range freed, the
//! state rebuilt by a restart, and no cancelled settlement restored (2601) into an applied range.
//! Also: a 2601 of a settlement answers exactly the cancellation it stored (and a refused one
//! changes nothing), and a manual reimbursement keeps the payment date the agency entered.

mod support;

use serde_json::{Value, json};
use support::{World, ok, pack, refused, snapshot, temp_db};
use yidi_domain::{DateTime, Fen};
use yidi_hub::adjust::{PayInput, ReimbursementInput, ReimbursementLineInput};
use yidi_hub::{AgencyError, AgencyUser, Clock, FreezeInput};
use yidi_store::SettlementStatus;

const FAC_SH: &str = "H31010400123";
const PSN: &str = "P0000000001";
const CERTNO: &str = "320102197005120015";

struct Settled {
    setl_id: String,
    mdtrt_id: String,
    /// The 2207 answer's `setlinfo`.
    setlinfo: Value,
}

fn at(text: &str) -> DateTime {
    DateTime::parse(text).unwrap()
}

fn user(admdvs: &str) -> AgencyUser {
    AgencyUser { name: format!("经办-{admdvs}"), admdvs: admdvs.to_string() }
}

fn err_msg(v: &Value) -> &str {
    v["err_msg"].as_str().unwrap_or_default()
}

/// One outpatient visit of the worked pack's Nanjing employee at the Shanghai hospital, settled
/// by 2207 `msgid` (a cross-province settlement, so the ledger posts it).
async fn settle(w: &mut World, n: u32, msgid: &str) -> Settled {
    let reg = w
        .call(
            FAC_SH,
            "2201",
            json!({"data": {"psn_no": PSN, "insutype": "310", "begntime": w.clock.now().to_string(),
            "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO, "ipt_otp_no": format!("MZ{n:04}")}}),
        )
        .await;
    let mdtrt_id = ok(&reg)["data"]["mdtrt_id"].as_str().unwrap().to_string();
    let line = json!({"feedetl_sn": "a", "mdtrt_id": mdtrt_id, "psn_no": PSN, "chrg_bchno": "CB1",
        "fee_ocur_time": w.clock.now().to_string(), "med_list_codg": "XA01AAA001", "medins_list_codg": "XA01AAA001",
        "det_item_fee_sumamt": "91.00", "cnt": "2", "pric": "45.50"});
    ok(&w.call(FAC_SH, "2204", json!({"feedetail": [line]})).await);
    let settled = w
        .call_id(
            FAC_SH,
            "2207",
            msgid,
            json!({"data": {"psn_no": PSN, "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO, "med_type": "11",
            "medfee_sumamt": "91.00", "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1",
            "acct_used_flag": "1", "insutype": "310"}}),
        )
        .await;
    let setlinfo = ok(&settled)["setlinfo"].clone();
    Settled { setl_id: setlinfo["setl_id"].as_str().unwrap().to_string(), mdtrt_id, setlinfo }
}

/// The 3203 body for `settled` (one facility, one month).
fn application(settled: &[&Settled], begin: &str, end: &str) -> Value {
    let sum = |name: &str| -> String {
        settled.iter().map(|s| Fen::parse_yuan(&s.setlinfo[name].to_string()).unwrap()).sum::<Fen>().yuan()
    };
    json!({"data": {"clr_type": "11", "clr_way": "1", "setlym": "202503", "begndate": begin, "enddate": end,
        "medfee_sumamt": sum("medfee_sumamt"), "med_sumfee": sum("inscp_scp_amt"), "fund_appy_sum": sum("fund_pay_sumamt"),
        "cash_payamt": sum("psn_cash_pay"), "acct_pay": sum("acct_pay"), "psntime": settled.len()}})
}

fn app_id(answer: &Value) -> String {
    ok(answer)["result"]["clr_appy_evt_id"].as_str().unwrap().to_string()
}

/// A facility that applies for the first half of March mid-month still gets the second half paid:
/// several live applications per facility, `clr_type` and month as long as their ranges do not
/// overlap; only days that are over; a cancelled range is free again; all of it survives a
/// restart; once every application is paid the facility's receivable is zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_month_applications_leave_no_settlement_unpayable() {
    let db = temp_db("apply-ranges");
    let mut w = World::start(pack("worked"), &db, "2025-03-03 09:00:00");
    let s1 = settle(&mut w, 1, "S1").await;

    // March 16th: the month, or a range ending today, is not over yet.
    w.clock.set(at("2025-03-16 09:00:00"));
    let whole = w.call(FAC_SH, "3203", application(&[&s1], "2025-03-01", "2025-03-31")).await;
    refused(&whole, "bad_field", "input.data.enddate");
    assert!(err_msg(&whole).contains("请于 2025-04-01 及以后再申请"), "{whole}");
    let today = w.call(FAC_SH, "3203", application(&[&s1], "2025-03-01", "2025-03-16")).await;
    refused(&today, "bad_field", "input.data.enddate");
    assert!(err_msg(&today).contains("结算中心当前日期 2025-03-16"), "{today}");
    let backwards = w.call(FAC_SH, "3203", application(&[&s1], "2025-03-10", "2025-03-05")).await;
    refused(&backwards, "bad_field", "input.data.enddate");
    let first = w.call(FAC_SH, "3203", application(&[&s1], "2025-03-01", "2025-03-15")).await;
    let id1 = app_id(&first);
    assert_eq!(ok(&first)["result"]["psntime"], 1);

    // A settlement of the second half, applied for once that half is over.
    let s2 = settle(&mut w, 2, "S2").await;
    w.clock.set(at("2025-04-01 09:00:00"));
    let overlap = w.call(FAC_SH, "3203", application(&[&s2], "2025-03-10", "2025-03-31")).await;
    refused(&overlap, "clr_appy_exists", "input.data.begndate");
    let msg = err_msg(&overlap);
    assert!(msg.contains(&id1) && msg.contains("2025-03-01 至 2025-03-15"), "{overlap}");
    let rest = w.call(FAC_SH, "3203", application(&[&s2], "2025-03-16", "2025-03-31")).await;
    let id2 = app_id(&rest);
    assert_eq!(ok(&rest)["result"]["psntime"], 1);
    assert_eq!(ok(&rest)["result"]["fund_appy_sum"], s2.setlinfo["fund_pay_sumamt"]);

    // 3204 frees the range: the same days can be applied for again.
    let cancelled = w.call(FAC_SH, "3204", json!({"data": {"clr_appy_evt_id": id2}})).await;
    assert_eq!(ok(&cancelled)["result"]["yidi_appy_stas"], "3");
    let again = w.call(FAC_SH, "3203", application(&[&s2], "2025-03-16", "2025-03-31")).await;
    let id3 = app_id(&again);

    // A restart rebuilds the live applications and their ranges from the funds events.
    let mut w = w.restart("2025-04-01 10:00:00");
    let listed = w.hub.agency_applications(&user("310000"), Some("2025-03"), None).await.unwrap();
    assert_eq!(listed.total, 3, "two live, one cancelled");
    for (range, holder) in [(("2025-03-01", "2025-03-15"), &id1), (("2025-03-14", "2025-03-20"), &id1)] {
        let twice = w.call(FAC_SH, "3203", application(&[&s1], range.0, range.1)).await;
        refused(&twice, "clr_appy_exists", "input.data.begndate");
        assert!(err_msg(&twice).contains(holder.as_str()), "{twice}");
    }
    let twice = w.call(FAC_SH, "3203", application(&[&s2], "2025-03-20", "2025-03-31")).await;
    refused(&twice, "clr_appy_exists", "input.data.begndate");
    assert!(err_msg(&twice).contains(&id3), "{twice}");

    // Both halves paid: nothing of March is left owed to the facility.
    let pay = PayInput { bank_serial: Some("SPDB-1".into()), paid_on: None };
    for id in [&id1, &id3] {
        w.hub.agency_pay_application(&user("310000"), id, &pay).await.expect("pays");
    }
    let recv = yidi_ledger::Account::FacilityReceivable {
        facility: yidi_ledger::FacilityId::parse(FAC_SH).unwrap(),
    };
    assert_eq!(w.hub.ledger().await.unwrap().balance(&recv), Fen::ZERO);
    let cancel = json!({"data": {"setl_id": s2.setl_id, "mdtrt_id": s2.mdtrt_id, "psn_no": PSN}});
    refused(&w.call(FAC_SH, "2208", cancel).await, "not_reversible", "input.data.setl_id");
}

/// A settlement cancelled before its day was applied for is not in the application; restoring it
/// (2601 of the 2208) would leave it owed in a range no application can take, so it is refused
/// until the application is cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_settlement_is_not_restored_into_an_applied_range() {
    let db = temp_db("apply-reinstate");
    let mut w = World::start(pack("worked"), &db, "2025-03-03 09:00:00");
    let kept = settle(&mut w, 1, "S1").await;
    w.advance_secs(600);
    let gone = settle(&mut w, 2, "S2").await;
    w.advance_secs(600);
    let cancel = json!({"data": {"setl_id": gone.setl_id, "mdtrt_id": gone.mdtrt_id, "psn_no": PSN}});
    ok(&w.call_id(FAC_SH, "2208", "C2", cancel).await);

    w.clock.set(at("2025-03-05 09:00:00"));
    let applied = w.call(FAC_SH, "3203", application(&[&kept], "2025-03-01", "2025-03-04")).await;
    let id = app_id(&applied);
    let revs = json!({"data": {"psn_no": PSN, "omsgid": "C2", "oinfno": "2208"}});
    let blocked = w.call(FAC_SH, "2601", revs.clone()).await;
    refused(&blocked, "not_reversible", "input.data.omsgid");
    assert!(err_msg(&blocked).contains(&id), "{blocked}");
    let st = snapshot(&db).settlements.into_iter().find(|s| s.setl_id == gone.setl_id).unwrap();
    assert_eq!(st.status, SettlementStatus::Reversed, "the refusal changed nothing");

    // Once the application is cancelled the settlement may come back.
    ok(&w.call(FAC_SH, "3204", json!({"data": {"clr_appy_evt_id": id}})).await);
    let restored = w.call(FAC_SH, "2601", revs).await;
    assert_eq!(ok(&restored)["setlinfo"]["setl_id"], gone.setlinfo["setl_id"]);
}

/// 2601 of a 2207 answers the cancellation it stores (the negated output plus `yidi_revsinfo`),
/// built before anything changed; a 2601 the hub refuses (a cleared month) changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2601_answers_the_cancellation_it_stores_and_a_refused_one_changes_nothing() {
    let db = temp_db("revs-answer");
    let mut w = World::start(pack("worked"), &db, "2025-03-03 09:00:00");
    let s1 = settle(&mut w, 1, "S1").await;
    let s2 = settle(&mut w, 2, "S2").await;
    w.advance_secs(60);
    let answer = w
        .call_id(FAC_SH, "2601", "R1", json!({"data": {"psn_no": PSN, "omsgid": "S1", "oinfno": "2207"}}))
        .await;
    let out = ok(&answer).clone();
    assert_eq!(out["yidi_revsinfo"], json!({"omsgid": "S1", "oinfno": "2207", "revs_rslt": "1"}));
    let stored = snapshot(&db).settlements.into_iter().find(|s| s.setl_id == s1.setl_id).unwrap();
    assert_eq!(stored.status, SettlementStatus::Reversed);
    let mut expected: Value = serde_json::from_str(stored.reversal_output_json.as_deref().unwrap()).unwrap();
    expected["yidi_revsinfo"] = out["yidi_revsinfo"].clone();
    assert_eq!(out, expected, "the answer is the stored cancellation plus yidi_revsinfo");

    // March is cleared: a 2601 of a March settlement is refused and nothing changes.
    w.clock.set(at("2025-04-02 09:00:00"));
    w.hub.agency_clearing_freeze(&user("320000"), "2025-03", &FreezeInput::default()).await.expect("freeze");
    let before = snapshot(&db);
    let late = w
        .call_id(FAC_SH, "2601", "R2", json!({"data": {"psn_no": PSN, "omsgid": "S2", "oinfno": "2207"}}))
        .await;
    assert_eq!(late["err_code"], "month_cleared", "{late}");
    let after = snapshot(&db);
    let status = |snap: &yidi_store::Snapshot| {
        snap.settlements.iter().find(|s| s.setl_id == s2.setl_id).map(|s| s.status)
    };
    assert_eq!(status(&after), Some(SettlementStatus::Settled));
    assert_eq!(after.postings.len(), before.postings.len());
    assert_eq!(after.person_states, before.person_states);
    assert!(!after.answers.iter().any(|a| a.msgid == "R2"), "a refusal is not stored");
}

/// The bill of a Nanjing employee (rules pack A) paid in cash at a Nanjing hospital.
fn bill() -> ReimbursementInput {
    let line = |sn: &str| ReimbursementLineInput {
        feedetl_sn: Some(sn.into()),
        med_list_codg: Some("XA0001".into()),
        cnt: Some("10".into()),
        pric: Some("300.00".into()),
        det_item_fee_sumamt: Some("3000.00".into()),
        fee_ocur_time: None,
    };
    ReimbursementInput {
        fixmedins_code: Some("H32010200001".into()),
        visit_no: Some("MZ-CASH-1".into()),
        receipt_no: Some("PJ0001".into()),
        med_type: Some("11".into()),
        begntime: Some("2025-03-08 10:00:00".into()),
        dise_codg: Some("I10".into()),
        feedetail: vec![line("1"), line("2")],
        ..Default::default()
    }
}

#[track_caller]
fn invalid_paid_on(e: AgencyError, says: &str) {
    let AgencyError::Invalid(problems) = &e else { panic!("expected a field problem: {e:?}") };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "paid_on");
    assert!(problems[0].message.contains(says), "{problems:?}");
}

/// The payment date the agency enters is the one kept and shown (agency view, the person's
/// summary and portal view), after a restart too; it is a real date, not in the future and not
/// before the reimbursement was computed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_reimbursement_keeps_the_payment_date_entered() {
    const PERSON: &str = "P3201000001";
    let db = temp_db("reimb-paid-on");
    let w = World::start(pack("rules_a"), &db, "2025-03-10 09:00:00");
    let nanjing = user("320100");
    let r = w.hub.agency_reimburse(&nanjing, PERSON, &bill()).await.expect("computed");
    assert!(Fen::parse_yuan(&r.fund_pay_sumamt).unwrap() > Fen::ZERO, "the funds pay something");
    let id = r.reimb_id.clone();

    w.clock.set(at("2025-03-20 09:00:00"));
    let pay = |paid_on: &str| PayInput { bank_serial: Some("BOC-1".into()), paid_on: Some(paid_on.into()) };
    let e = w.hub.agency_pay_reimbursement(&nanjing, &id, &pay("2025-03-21")).await.unwrap_err();
    invalid_paid_on(e, "晚于今天");
    let e = w.hub.agency_pay_reimbursement(&nanjing, &id, &pay("2025-03-09")).await.unwrap_err();
    invalid_paid_on(e, "早于该笔手工报销的核算日期 2025-03-10");
    let e = w.hub.agency_pay_reimbursement(&nanjing, &id, &pay("2025-02-30")).await.unwrap_err();
    invalid_paid_on(e, "YYYY-MM-DD");

    let paid = w.hub.agency_pay_reimbursement(&nanjing, &id, &pay("2025-03-12")).await.expect("paid");
    assert_eq!(paid.paid_at.as_deref(), Some("2025-03-12"));
    let shown = |w: &World| {
        let hub = w.hub.clone();
        async move {
            let agency = hub.agency_reimbursements(&user("320100"), Some(PERSON)).await.unwrap();
            let summary = hub.person_reimbursements(PERSON).await;
            let portal = hub.person_reimbursement_views(PERSON).await.unwrap();
            (agency.items[0].paid_at.clone(), summary[0].paid_at.clone(), portal[0].paid_at.clone())
        }
    };
    let day = Some("2025-03-12".to_string());
    assert_eq!(shown(&w).await, (day.clone(), day.clone(), day.clone()));
    let e = w.hub.agency_pay_reimbursement(&nanjing, &id, &pay("2025-03-13")).await.unwrap_err();
    assert!(
        matches!(&e, AgencyError::Conflict { code: "reimbursement_paid", message } if message.contains("2025-03-12")),
        "{e:?}"
    );

    let w = w.restart("2025-03-20 10:00:00");
    assert_eq!(shown(&w).await, (day.clone(), day.clone(), day));
}
