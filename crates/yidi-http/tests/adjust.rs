//! Funds part B at the HTTP boundary, over the real hub on a real SQLite file and a real server on
//! 127.0.0.1 with the hub clock moved by hand: reconciliation (3201/3202) against the hub's records,
//! clearing applications (3203/3204), refusals before clearing and recoveries after it, the
//! treatment agency's payment to a facility, 协查, manual reimbursement, and a restart.

mod common;
mod funds_world;

use std::path::Path;

use serde_json::{Value, json};
use yidi_domain::{DateTime, Fen, Price, Qty};
use yidi_hub::Clock;
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

use common::{TempDb, World, employees, fee_lines, hospital, receipt};
use funds_world::*;

/// 3201 for one facility's settlements of the period (insutype 310, clr_type 11), with the
/// totals the hospital computed from its own 2207 answers.
fn totals_3201(w: &mut World, facility: &str, rows: &[&Settled]) -> Value {
    let medfee: Fen = rows.iter().map(|s| s.medfee).sum();
    let fund: Fen = rows.iter().map(|s| s.fund).sum();
    let acct: Fen = rows.iter().map(|s| s.acct).sum();
    w.call(
        facility,
        "3201",
        json!({"data": {"insutype": "310", "clr_type": "11", "setl_optins": SH,
        "stmt_begndate": "2025-10-01", "stmt_enddate": "2025-10-31", "medfee_sumamt": medfee.yuan(),
        "fund_pay_sumamt": fund.yuan(), "acct_pay": acct.yuan(), "fixmedins_setl_cnt": rows.len()}}),
    )
}

/// 3202 with the hospital's detail list; `tamper` adds one fen to one row's fund share.
fn details_3202(w: &mut World, facility: &str, rows: &[&Settled], tamper: Option<&str>) -> Value {
    let medfee: Fen = rows.iter().map(|s| s.medfee).sum();
    let fund: Fen = rows.iter().map(|s| s.fund).sum();
    let cash: Fen = rows.iter().map(|s| s.cash).sum();
    let list: Vec<Value> = rows
        .iter()
        .map(|s| {
            let fund = if tamper == Some(s.setl_id.as_str()) { s.fund + Fen::new(1) } else { s.fund };
            json!({"setl_id": s.setl_id, "mdtrt_id": s.mdtrt_id, "psn_no": s.psn_no, "refd_setl_flag": "0",
                "medfee_sumamt": s.medfee.yuan(), "fund_pay_sumamt": fund.yuan(), "acct_pay": s.acct.yuan()})
        })
        .collect();
    w.call(
        facility,
        "3202",
        json!({"data": {"setl_optins": SH, "stmt_begndate": "2025-10-01",
        "stmt_enddate": "2025-10-31", "medfee_sumamt": medfee.yuan(), "fund_pay_sumamt": fund.yuan(),
        "cash_payamt": cash.yuan(), "fixmedins_setl_cnt": rows.len(), "yidi_stmtdetl": list}}),
    )
}

/// The 3203 body for a facility's settlements of October.
fn application(rows: &[&Settled], psntime: usize) -> Value {
    let sum = |f: fn(&Settled) -> Fen| rows.iter().map(|s| f(s)).sum::<Fen>().yuan();
    json!({"data": {"clr_type": "11", "clr_way": "1", "setlym": "202510", "begndate": "2025-10-01",
        "enddate": "2025-10-31", "medfee_sumamt": sum(|s| s.medfee), "med_sumfee": sum(|s| s.inscp),
        "fund_appy_sum": sum(|s| s.fund), "cash_payamt": sum(|s| s.cash), "acct_pay": sum(|s| s.acct),
        "psntime": psntime}})
}

fn facility_id(code: &str) -> yidi_ledger::FacilityId {
    yidi_ledger::FacilityId::parse(code).unwrap()
}

/// The books verify against the stored postings: balanced, and every balance the sum of its
/// entries.
fn verify_books(db: &Path, ledger: &yidi_ledger::Ledger) {
    assert_eq!(ledger.trial_balance(), Fen::ZERO);
    let snapshot = SqliteStore::open(db).unwrap().load().unwrap();
    let postings: Vec<yidi_ledger::Posting> =
        snapshot.postings.iter().map(|r| yidi_hub::books::posting_of_record(r).unwrap()).collect();
    yidi_ledger::verify(&postings, &ledger.balances()).expect("the books verify");
}

/// Settlements through the protocol → 3201/3202 balance for every facility, and a tampered 3202
/// row is named → a refusal before clearing (scope, limit, the settlement locked) → 3203 checked
/// to the fen, refused twice, cancelled (3204) and applied again → the treatment agency pays the
/// facility net of the refusal, the receivable is zero, 3204 of a paid application is refused →
/// October is cleared → a recovery counts in November, in Beijing's favour → 协查 opened by the
/// insured side, answered by the treatment side with the recovery, overdue flagged → the books
/// verify → a restart rebuilds the same records and balances.
#[test]
fn reconciliation_refusals_recovery_and_facility_payment() {
    let db = TempDb::new("e2e");
    let (t, mut w) = start_in_october(&db);
    let (pack, clock) = (w.pack.clone(), w.clock.clone());
    let settled = settle_many(&mut w, &pack, BJ, SH, 4, 0);
    let mut facilities: Vec<String> = settled.iter().map(|s| s.facility.clone()).collect();
    facilities.sort();
    facilities.dedup();

    // 1. Reconciliation passes for every facility involved, to the fen.
    for f in &facilities {
        let rows: Vec<&Settled> = settled.iter().filter(|s| &s.facility == f).collect();
        let a = totals_3201(&mut w, f, &rows);
        assert_eq!(a["output"]["stmtinfo"]["stmt_rslt"], "0", "{a}");
        let d = details_3202(&mut w, f, &rows, None);
        assert_eq!(d["output"]["stmtinfo"]["stmt_rslt"], "0", "{d}");
        assert_eq!(d["output"]["yidi_stmtrslt"], json!([]));
        // What the facility reconciled is what the ledger says the agency owes it, to the fen.
        let owed: Fen = rows.iter().map(|s| s.fund + s.acct).sum();
        let recv = yidi_ledger::Account::FacilityReceivable { facility: facility_id(f) };
        assert_eq!(w.ledger().balance(&recv), owed, "{f}");
    }
    // A tampered amount in the hospital's detail list is reported, naming the settlement.
    let (a, b) = (&settled[0], &settled[1]);
    let rows: Vec<&Settled> = settled.iter().filter(|s| s.facility == a.facility).collect();
    let d = details_3202(&mut w, &a.facility, &rows, Some(&a.setl_id));
    assert_eq!(d["output"]["stmtinfo"]["stmt_rslt"], "1", "{d}");
    let bad = d["output"]["yidi_stmtrslt"].as_array().unwrap();
    assert_eq!(bad.len(), 1, "{d}");
    assert_eq!(bad[0]["setl_id"], a.setl_id);
    assert_eq!(bad[0]["stmt_rslt"], "1");
    let memo = bad[0]["memo"].as_str().unwrap();
    assert!(memo.contains(&(a.fund + Fen::new(1)).yuan()) && memo.contains(&a.fund.yuan()), "{memo}");

    // 2. A refusal before clearing, by the treatment region only.
    let path = format!("/api/agency/settlements/{}/adjustments", a.setl_id);
    let body = json!({"stage": "deduction", "total": "1.00", "reason": "超标准收费", "evidence": "稽核单 JH-2025-001"});
    w.post(&path, &t.beijing, &body).refused(404, "settlement_not_found");
    w.post(&path, &t.nanjing, &body).refused(404, "settlement_not_found");
    let too_much = json!({"total": (a.pooled + a.acct + Fen::new(1)).yuan(), "reason": "x"});
    let over = w.post(&path, &t.shanghai, &too_much).refused(409, "exceeds_settlement");
    assert!(over["message"].as_str().unwrap().contains("超过"), "{over}");
    let invalid = w
        .post(&path, &t.shanghai, &json!({"amounts": {"999999": "1.00"}, "total": "1"}))
        .refused(400, "invalid_request");
    assert!(invalid["problems"].as_array().unwrap().len() >= 3, "{invalid}");
    let ledger0 = w.ledger();
    let refusal = w.post(&path, &t.shanghai, &body).expect(200);
    assert_eq!(refusal["stage"], "deduction");
    assert_eq!(refusal["month"], "2025-10");
    assert_eq!(refusal["total"], "1.00");
    let refused_total: Fen = refusal["amounts"].as_array().unwrap().iter().map(|x| fen(&x["amount"])).sum();
    assert_eq!(refused_total, Fen::new(100));
    let ledger1 = w.ledger();
    let pair = yidi_ledger::Pair::parse(&format!("{BJ}>{SH}")).unwrap();
    let adj = yidi_ledger::Account::Adjustment { pair };
    assert_eq!(ledger1.balance(&adj) - ledger0.balance(&adj), Fen::new(100), "in Beijing's favour");
    let recv = yidi_ledger::Account::FacilityReceivable { facility: facility_id(&a.facility) };
    assert_eq!(ledger0.balance(&recv) - ledger1.balance(&recv), Fen::new(100), "deducted from the facility");
    let insured = pack.persons[&a.psn_no].person.insuplc;
    let charged = |l: &yidi_ledger::Ledger| -> Fen {
        yidi_ledger::Fund::ALL
            .iter()
            .map(|&fund| l.balance(&yidi_ledger::Account::Fund { region: insured, fund }))
            .sum()
    };
    assert_eq!(charged(&ledger0) - charged(&ledger1), Fen::new(100), "the funds are relieved");
    // Both sides list it; the refused settlement can no longer be cancelled by the hospital.
    let listed = w.get(&path, &t.beijing).expect(200);
    assert_eq!(listed[0]["adj_id"], refusal["adj_id"]);
    let month = w.get("/api/agency/adjustments?month=2025-10", &t.shanghai).expect(200);
    assert_eq!(month["total"], 1);
    assert_eq!(w.get("/api/agency/adjustments?month=2025-11", &t.beijing).expect(200)["total"], 0);
    let cancel = w.call(
        &a.facility,
        "2208",
        json!({"data": {"setl_id": a.setl_id, "mdtrt_id": a.mdtrt_id, "psn_no": a.psn_no}}),
    );
    assert_eq!(cancel["err_code"], "not_reversible", "{cancel}");
    assert!(cancel["err_msg"].as_str().unwrap().contains("扣款"), "{cancel}");

    // 3. The clearing application (for days that are over), checked to the fen.
    clock.set(DateTime::parse("2025-11-01 09:00:00").unwrap());
    let wrong = w.call(&a.facility, "3203", application(&rows, rows.len() + 1));
    assert_eq!(wrong["err_code"], "clr_appy_mismatch", "{wrong}");
    assert!(wrong["err_msg"].as_str().unwrap().starts_with("[input.data.psntime]"), "{wrong}");
    let applied = w.call(&a.facility, "3203", application(&rows, rows.len()));
    assert_eq!(applied["infcode"], 0, "{applied}");
    let r = &applied["output"]["result"];
    let app_id = r["clr_appy_evt_id"].as_str().unwrap().to_string();
    assert_eq!(r["yidi_appy_stas"], "1");
    assert_eq!(r["clr_optins"], SH);
    assert_eq!(fen(&r["yidi_dedu_sumamt"]), Fen::new(100));
    let twice = w.call(&a.facility, "3203", application(&rows, rows.len()));
    assert_eq!(twice["err_code"], "clr_appy_exists", "{twice}");
    let other = w.call(&a.facility, "3204", json!({"data": {"clr_appy_evt_id": "999999000000000001"}}));
    assert_eq!(other["err_code"], "clr_appy_not_found", "{other}");
    let cancelled =
        w.call(&a.facility, "3204", json!({"data": {"clr_appy_evt_id": app_id, "clr_optins": SH}}));
    assert_eq!(cancelled["output"]["result"]["yidi_appy_stas"], "3", "{cancelled}");
    let again = w.call(&a.facility, "3204", json!({"data": {"clr_appy_evt_id": app_id}}));
    assert_eq!(again["err_code"], "already_reversed", "{again}");
    let applied = w.call(&a.facility, "3203", application(&rows, rows.len()));
    let app_id = applied["output"]["result"]["clr_appy_evt_id"].as_str().unwrap().to_string();
    if let Some(c) = rows.iter().find(|s| s.setl_id != a.setl_id) {
        let locked = w.call(
            &c.facility,
            "2208",
            json!({"data": {"setl_id": c.setl_id, "mdtrt_id": c.mdtrt_id, "psn_no": c.psn_no}}),
        );
        assert_eq!(locked["err_code"], "not_reversible", "an applied settlement is locked: {locked}");
    }

    // 4. The treatment agency pays the facility: gross less the refusal; the receivable is zero.
    let apps = w.get("/api/agency/clearing-applications?setlym=2025-10", &t.shanghai).expect(200);
    assert_eq!(apps["total"], 2, "the cancelled and the live one: {apps}");
    assert_eq!(w.get("/api/agency/clearing-applications", &t.beijing).expect(200)["total"], 0);
    let pay_path = format!("/api/agency/clearing-applications/{app_id}/pay");
    w.post(&pay_path, &t.beijing, &json!({"bank_serial": "B1"})).refused(404, "application_not_found");
    w.post(&pay_path, &t.shanghai, &json!({})).refused(400, "invalid_request");
    let gross: Fen = rows.iter().map(|s| s.fund + s.acct).sum();
    let paid = w
        .post(&pay_path, &t.shanghai, &json!({"bank_serial": "SPDB2025110300001", "paid_on": "2025-10-06"}))
        .expect(200);
    assert_eq!(fen(&paid["gross"]), gross);
    assert_eq!(fen(&paid["netted"]), Fen::new(100));
    assert_eq!(fen(&paid["amount"]), gross - Fen::new(100));
    assert_eq!(w.ledger().balance(&recv), Fen::ZERO, "the facility is paid in full, net of the refusal");
    w.post(&pay_path, &t.shanghai, &json!({"bank_serial": "X"})).refused(409, "application_state");
    let late = w.call(&a.facility, "3204", json!({"data": {"clr_appy_evt_id": app_id}}));
    assert_eq!(late["err_code"], "clr_appy_state", "{late}");
    assert_eq!(w.get("/api/agency/facility-payments", &t.shanghai).expect(200)["total"], 1);

    // 5. October is cleared; in November the same kind of finding is a recovery.
    clock.set(DateTime::parse("2025-11-03 09:00:00").unwrap());
    w.post("/api/agency/clearing/2025-10/freeze", &t.beijing, &json!({})).expect(200);
    let bpath = format!("/api/agency/settlements/{}/adjustments", b.setl_id);
    // The personal account is the person's own money: never refused or recovered.
    if b.acct > Fen::ZERO {
        let own = json!({"amounts": {"310200": b.acct.yuan()}, "reason": "挂床住院"});
        w.post(&bpath, &t.shanghai, &own).refused(409, "account_not_refusable");
    }
    assert!(b.hifp > Fen::ZERO, "the scenario needs a pooled share to recover: {b:?}");
    let (fund_code, part) = ("310100", b.hifp);
    let before = w.ledger();
    let recovery = w
        .post(
            &bpath,
            &t.shanghai,
            &json!({"amounts": {fund_code: part.yuan()}, "reason": "挂床住院", "evidence": "飞检 2025-11"}),
        )
        .expect(200);
    assert_eq!(recovery["stage"], "recovery", "{recovery}");
    assert_eq!(recovery["origin_month"], "2025-10");
    assert_eq!(recovery["month"], "2025-11", "a closed month never changes");
    w.post(&bpath, &t.shanghai, &json!({"amounts": {fund_code: "0.01"}, "reason": "再扣"}))
        .refused(409, "exceeds_settlement");
    let after = w.ledger();
    assert_eq!(after.balance(&adj) - before.balance(&adj), part);
    let nov = yidi_ledger::Month::parse("2025-11").unwrap();
    let statement = after.open_statement(nov, pair).expect("November statement");
    assert_eq!(statement.recoveries().amounts.total(), part, "flows to the next clearing");
    let oct = yidi_ledger::Month::parse("2025-10").unwrap();
    assert_eq!(
        after.period(oct).unwrap().pair(pair).unwrap().statement(),
        before.period(oct).unwrap().pair(pair).unwrap().statement(),
        "October as frozen"
    );

    // After month-end clearing, refusals and a recovery, reconciliation still passes for every
    // facility: it reconciles the settlements, which adjustments never rewrite.
    for f in &facilities {
        let rows: Vec<&Settled> = settled.iter().filter(|s| &s.facility == f).collect();
        let a = totals_3201(&mut w, f, &rows);
        assert_eq!(a["output"]["stmtinfo"]["stmt_rslt"], "0", "{a}");
        let d = details_3202(&mut w, f, &rows, None);
        assert_eq!(d["output"]["stmtinfo"]["stmt_rslt"], "0", "{d}");
    }

    // 6. 协查: opened by the insured side, answered by the treatment side.
    let ipath = format!("/api/agency/settlements/{}/inquiries", b.setl_id);
    w.post(&ipath, &t.shanghai, &json!({"question": "?"})).refused(404, "settlement_not_found");
    w.post(&ipath, &t.beijing, &json!({})).refused(400, "invalid_request");
    let opened = w.post(&ipath, &t.beijing, &json!({"question": "请核实该患者是否实际就诊"})).expect(200);
    // Opened Monday 2025-11-03: 10 working days → 2025-11-17.
    assert_eq!(opened["deadline"], "2025-11-17");
    assert_eq!(opened["side"], "insured");
    let id = opened["inquiry_id"].as_str().unwrap().to_string();
    let seen = w.get("/api/agency/inquiries?status=open", &t.shanghai).expect(200);
    assert_eq!(seen["items"][0]["inquiry_id"], id);
    assert_eq!(seen["items"][0]["side"], "treatment");
    w.get(&format!("/api/agency/inquiries/{id}"), &t.nanjing).refused(404, "inquiry_not_found");
    let apath = format!("/api/agency/inquiries/{id}/answer");
    w.post(&apath, &t.beijing, &json!({"finding": "x"})).refused(403, "treatment_side_only");
    w.post(&apath, &t.shanghai, &json!({"finding": "x", "adj_id": refusal["adj_id"]}))
        .refused(409, "adjustment_not_found");
    let answered = w
        .post(&apath, &t.shanghai, &json!({"finding": "查实挂床，已追回", "adj_id": recovery["adj_id"]}))
        .expect(200);
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["answered_late"], false);
    w.post(&apath, &t.shanghai, &json!({"finding": "again"})).refused(409, "inquiry_answered");
    let second = w
        .post(
            &format!("/api/agency/settlements/{}/inquiries", settled[2].setl_id),
            &t.beijing,
            &json!({"question": "请提供病历", "deadline_working_days": 2}),
        )
        .expect(200);
    assert_eq!(second["deadline"], "2025-11-05");
    clock.set(DateTime::parse("2025-11-06 09:00:00").unwrap());
    let overdue = w.get("/api/agency/inquiries?overdue=true", &t.beijing).expect(200);
    assert_eq!(overdue["total"], 1, "{overdue}");
    assert_eq!(overdue["items"][0]["inquiry_id"], second["inquiry_id"]);
    assert_eq!(overdue["items"][0]["overdue"], true);

    // 7. The books verify; a restart rebuilds the same records and balances.
    let ledger = w.ledger();
    verify_books(&db.0, &ledger);
    let views = |w: &World| {
        (
            w.get("/api/agency/adjustments", &t.shanghai).expect(200),
            w.get("/api/agency/inquiries", &t.beijing).expect(200),
            w.get("/api/agency/clearing-applications", &t.shanghai).expect(200),
            w.get("/api/agency/facility-payments", &t.shanghai).expect(200),
        )
    };
    let before = views(&w);
    let mut w = w.restart();
    assert_eq!(views(&w), before);
    assert_eq!(w.ledger().balances(), ledger.balances());
    // And the rules still hold after the restart.
    let twice = w.call(&a.facility, "3203", application(&rows, rows.len()));
    assert_eq!(twice["err_code"], "clr_appy_exists", "{twice}");
}

/// Manual reimbursement: the amounts equal an independent `adjudicate` call on the same bill,
/// the person's accumulators move, the ledger books fund → person, the payment is recorded and
/// the person sees the status; the same receipt, a directly settled bill, another region's
/// person and a non-networked facility without a level are refused.
#[test]
fn manual_reimbursement_uses_the_engine_and_never_double_pays() {
    let db = TempDb::new("reimb");
    let (t, mut w) = start_in_october(&db);
    let (pack, now) = (w.pack.clone(), w.clock.now());
    let direct = settle_many(&mut w, &pack, BJ, SH, 1, 0).remove(0);

    // A Beijing employee's cash bill at a Beijing hospital (local care, its own catalog).
    let person = employees(&pack, BJ)[30];
    let psn_no = person.person.psn_no.clone();
    let hospital = hospital(&pack, now, "H11");
    let (lines, _) = fee_lines(&pack, hospital, now, "-", &psn_no, 5, 60);
    let receipt = receipt(&lines);
    let bill = json!({"fixmedins_code": hospital.code.as_str(), "visit_no": "MZ-CASH-1", "receipt_no": "PJ0001",
        "med_type": "11", "begntime": now.to_string(), "dise_codg": "I10", "feedetail": receipt});

    // The independent engine call: the same bill, the pack's reference data, the opening state.
    let claim = yidi_adjudication::Claim {
        claim_id: "oracle".into(),
        psn_no: psn_no.clone(),
        fixmedins_code: hospital.code.clone(),
        med_type: yidi_domain::MedType::parse("11").unwrap(),
        begntime: now,
        endtime: None,
        setl_time: now,
        dise_codg: Some("I10".into()),
        emergency: false,
        acct_used: false,
        lines: lines
            .iter()
            .map(|l| yidi_adjudication::FeeLine {
                feedetl_sn: l["feedetl_sn"].as_str().unwrap().into(),
                med_list_codg: l["med_list_codg"].as_str().unwrap().into(),
                cnt: Qty::parse(l["cnt"].as_str().unwrap()).unwrap(),
                pric: Price::parse(l["pric"].as_str().unwrap()).unwrap(),
                amount: fen(&l["det_item_fee_sumamt"]),
                fee_ocur_time: Some(now),
            })
            .collect(),
    };
    let opening = pack.state_of(&psn_no);
    let ctx = yidi_adjudication::Context { refdata: &pack.refdata, person: Some(person), state: &opening };
    let oracle = yidi_adjudication::adjudicate(&ctx, &claim).expect("the bill settles").setlinfo;
    assert!(oracle.fund_pay_sumamt > Fen::ZERO, "the funds pay something");

    let rpath = format!("/api/agency/persons/{psn_no}/reimbursements");
    w.post(&rpath, &t.shanghai, &bill).refused(404, "person_not_found");
    let before = w.ledger();
    let r = w.post(&rpath, &t.beijing, &bill).expect(200);
    assert_eq!(fen(&r["medfee_sumamt"]), oracle.medfee_sumamt);
    assert_eq!(fen(&r["inscp_scp_amt"]), oracle.inscp_scp_amt);
    assert_eq!(fen(&r["act_pay_dedc"]), oracle.act_pay_dedc);
    assert_eq!(fen(&r["hifp_pay"]), oracle.hifp_pay);
    assert_eq!(fen(&r["hifob_pay"]), oracle.hifob_pay);
    assert_eq!(fen(&r["fund_pay_sumamt"]), oracle.fund_pay_sumamt);
    assert_eq!(fen(&r["psn_part_amt"]), oracle.psn_part_amt);
    assert_eq!(r["status"], "computed");
    assert_eq!(r["lines"].as_array().unwrap().len(), 5);
    assert!(!r["trace"].as_array().unwrap().is_empty());
    // Booked fund → person: the insured region's funds are charged, the person is owed.
    let after = w.ledger();
    let region = person.person.insuplc;
    let owed = yidi_ledger::Account::ReimbursementPayable { region };
    assert_eq!(after.balance(&owed), -oracle.fund_pay_sumamt);
    let basic = yidi_ledger::Account::Fund { region, fund: yidi_ledger::Fund::EmployeeBasic };
    assert_eq!(after.balance(&basic) - before.balance(&basic), oracle.hifp_pay);
    // The accumulators moved like a settlement's: the same bill again would meet a used deductible.
    let detail = w.get(&format!("/api/agency/persons/{psn_no}"), &t.beijing).expect(200);
    let mut expected_state = opening.clone();
    let delta = yidi_adjudication::adjudicate(&ctx, &claim).unwrap().delta;
    expected_state.apply(&delta);
    assert_ne!(expected_state, opening);
    let detail_text = detail["state"].to_string();
    assert!(
        detail_text.contains(&oracle.act_pay_dedc.yuan()) || oracle.act_pay_dedc == Fen::ZERO,
        "{detail_text}"
    );

    // Never twice: the same receipt, or a bill the hub settled directly.
    w.post(&rpath, &t.beijing, &bill).refused(409, "already_reimbursed");
    let mut settled_bill = bill.clone();
    settled_bill["fixmedins_code"] = json!(direct.facility);
    settled_bill["visit_no"] = json!(direct.visit_no);
    settled_bill["receipt_no"] = json!("PJ0002");
    let dpath = format!("/api/agency/persons/{}/reimbursements", direct.psn_no);
    let twice = w.post(&dpath, &t.beijing, &settled_bill).refused(409, "settled_directly");
    assert!(twice["message"].as_str().unwrap().contains(&direct.setl_id), "{twice}");
    // A non-networked facility needs its level.
    let mut offline = bill.clone();
    offline["fixmedins_code"] = json!("H11010599999");
    offline["receipt_no"] = json!("PJ0003");
    offline["visit_no"] = json!("MZ-CASH-3");
    let bad = w.post(&rpath, &t.beijing, &offline).refused(400, "invalid_request");
    assert_eq!(bad["problems"][0]["field"], "facility_level", "{bad}");

    // Paid: the payable is settled from the region's fund account; the person sees it.
    let id = r["reimb_id"].as_str().unwrap().to_string();
    w.post(&format!("/api/agency/reimbursements/{id}/pay"), &t.shanghai, &json!({"bank_serial": "X"}))
        .refused(404, "reimbursement_not_found");
    let paid = w
        .post(&format!("/api/agency/reimbursements/{id}/pay"), &t.beijing, &json!({"bank_serial": "BOC-1"}))
        .expect(200);
    assert_eq!(paid["status"], "paid");
    w.post(&format!("/api/agency/reimbursements/{id}/pay"), &t.beijing, &json!({"bank_serial": "BOC-1"}))
        .refused(409, "reimbursement_paid");
    let ledger = w.ledger();
    assert_eq!(ledger.balance(&owed), Fen::ZERO);
    assert_eq!(ledger.balance(&yidi_ledger::Account::FundBank { region }), -oracle.fund_pay_sumamt);
    let mine = block_on(w.hub.person_reimbursements(&psn_no));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].reimbursed, oracle.fund_pay_sumamt);
    assert_eq!(mine[0].status_name, "已支付");
    assert_eq!(
        w.get(&format!("/api/agency/reimbursements?psn_no={psn_no}"), &t.beijing).expect(200)["total"],
        1
    );
    assert_eq!(w.get("/api/agency/reimbursements", &t.shanghai).expect(200)["total"], 0);
    verify_books(&db.0, &ledger);

    // A restart rebuilds the same reimbursement and keeps refusing the same receipt.
    let listed = w.get("/api/agency/reimbursements", &t.beijing).expect(200);
    let w = w.restart();
    assert_eq!(w.get("/api/agency/reimbursements", &t.beijing).expect(200), listed);
    w.post(&rpath, &t.beijing, &bill).refused(409, "already_reimbursed");
}

/// The other direction of "never twice": once the agency reimbursed a visit by hand (after the
/// hospital cancelled its direct settlement), the hospital can neither restore the cancelled
/// settlement (2601) nor settle the same visit again (2207); the books are unchanged by both.
#[test]
fn a_reimbursed_visit_cannot_be_settled_directly_again() {
    let db = TempDb::new("reimb-then-direct");
    let (t, mut w) = start_in_october(&db);
    let (pack, now) = (w.pack.clone(), w.clock.now());
    let direct = settle_many(&mut w, &pack, BJ, SH, 1, 0).remove(0);

    // The hospital cancels its settlement; the 2208's msgid is what a 2601 would name.
    let cancel = w.call(
        &direct.facility,
        "2208",
        json!({"data": {"setl_id": direct.setl_id, "mdtrt_id": direct.mdtrt_id, "psn_no": direct.psn_no}}),
    );
    assert_eq!(cancel["infcode"], 0, "{cancel}");
    let cancel_msgid = format!("{}{:018}", direct.facility, w.msgids);

    // The person pays cash and claims by hand at the insured region's agency.
    let facility = pack.refdata.facilities.values().find(|f| f.code.as_str() == direct.facility).unwrap();
    let (lines, _) = fee_lines(&pack, facility, now, "-", &direct.psn_no, 5, 60);
    let receipt = receipt(&lines);
    let bill = json!({"fixmedins_code": direct.facility, "visit_no": direct.visit_no, "receipt_no": "PJ-AFTER-CANCEL",
        "med_type": "11", "begntime": now.to_string(), "dise_codg": "I10", "feedetail": receipt});
    let rpath = format!("/api/agency/persons/{}/reimbursements", direct.psn_no);
    let r = w.post(&rpath, &t.beijing, &bill).expect(200);
    let books = w.ledger();

    // Restoring the cancelled settlement would pay the same visit twice.
    let restore = w.call(
        &direct.facility,
        "2601",
        json!({"data": {"psn_no": direct.psn_no, "omsgid": cancel_msgid, "oinfno": "2208"}}),
    );
    assert_eq!(restore["err_code"], "not_reversible", "{restore}");
    assert!(restore["err_msg"].as_str().unwrap().contains(r["reimb_id"].as_str().unwrap()), "{restore}");

    // So would settling the visit again.
    let certno = pack.persons[direct.psn_no.as_str()].person.certno.as_str().to_string();
    let again = w.call(
        &direct.facility,
        "2207",
        json!({"data": {"psn_no": direct.psn_no, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": certno, "med_type": "11", "medfee_sumamt": direct.medfee.yuan(), "psn_setlway": "01",
        "mdtrt_id": direct.mdtrt_id, "chrg_bchno": "CB2", "acct_used_flag": "1", "insutype": "310"}}),
    );
    assert_eq!(again["err_code"], "visit_state", "{again}");
    assert!(again["err_msg"].as_str().unwrap().contains(r["reimb_id"].as_str().unwrap()), "{again}");
    assert_eq!(w.ledger().balances(), books.balances(), "refusals move no money");
    verify_books(&db.0, &w.ledger());
}
