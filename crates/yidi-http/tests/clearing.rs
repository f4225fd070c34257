//! Monthly clearing and prepayment through the agency API, over the real hub on a real SQLite file
//! and a real server on 127.0.0.1, with the hub clock moved by hand: cross-province settlements
//! through the national protocol across two months → prepayment notice and red warning → top-up
//! → freeze (refused before the month ends and for region tokens) → statement amounts equal the
//! fund shares of the 2207 answers (summed here, independently of the ledger) → detail CSV, CSV
//! and HTML statements → both provinces confirm → the payer pays → the prepayment is restored →
//! the ledger verifies → a reversal of a frozen month's settlement is refused and changes nothing
//! → out-of-scope tokens are refused → a restart rebuilds the same clearing and prepayment views.

mod common;
mod funds_world;

use serde_json::{Value, json};
use yidi_domain::{DateTime, Fen};
use yidi_hub::Clock;
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

use common::{TempDb, World, employees, http, json_headers};
use funds_world::*;

fn statement_line<'a>(statement: &'a Value, line: &str) -> &'a Value {
    statement["lines"].as_array().unwrap().iter().find(|l| l["line"] == line).unwrap()
}

#[test]
fn a_month_is_cleared_end_to_end_and_survives_a_restart() {
    let db = TempDb::new("e2e");
    let (t, mut w) = start_in_october(&db);
    let (pack, clock) = (w.pack.clone(), w.clock.clone());

    // Prepayment: no history for 2024, so the insured province sets the year's amount.
    let pre =
        w.post(&format!("/api/agency/prepayments/{BJ}/{SH}/notices"), &t.beijing, &json!({"year": "2025"}));
    pre.refused(400, "invalid_request");
    w.post(&format!("/api/agency/prepayments/{BJ}/{SH}/notices"), &t.shanghai, &json!({"amount": "100.00"}))
        .refused(403, "insured_province_only");
    w.post(&format!("/api/agency/prepayments/{BJ}/{SH}/notices"), &t.nanjing, &json!({"amount": "100.00"}))
        .refused(404, "clearing_not_found");
    let notice = w
        .post(&format!("/api/agency/prepayments/{BJ}/{SH}/notices"), &t.beijing, &json!({"amount": "100.00"}))
        .expect(200);
    assert_eq!(notice["funded"], "100.00");
    assert_eq!(notice["notices"][0]["basis"], "set_by_insured");
    w.post(&format!("/api/agency/prepayments/{BJ}/{SH}/notices"), &t.beijing, &json!({"amount": "100.00"}))
        .refused(409, "notice_exists");

    // October: Beijing employees treated in Shanghai, Shanghai employees treated in Beijing.
    let mut oct_bj = settle_many(&mut w, &pack, BJ, SH, 4, 0);
    // Shanghai refuses unfiled care: its agency files two employees for Beijing first.
    for p in employees(&pack, SH).into_iter().filter(|p| p.filings.is_empty()).take(2) {
        let today = w.clock.now().date().to_string();
        let filing = json!({"category": "other_temporary", "mdtrtarea_admvs": BJ, "begndate": today});
        w.post(&format!("/api/agency/persons/{}/filings", p.person.psn_no), &t.shanghai, &filing).expect(200);
    }
    // A filing counts for care after the moment it was made.
    clock.advance_millis(60_000);
    let oct_sh = settle_many(&mut w, &pack, SH, BJ, 2, 0);
    // One October settlement is cancelled within October: it counts nowhere.
    let gone = oct_bj.pop().unwrap();
    let rev = w.call(
        &gone.facility,
        "2208",
        json!({"data": {"setl_id": gone.setl_id, "mdtrt_id": gone.mdtrt_id, "psn_no": gone.psn_no}}),
    );
    assert_eq!(rev["infcode"], 0, "{rev}");

    // The float of 100 yuan is overdrawn: red, and warnings never blocked a settlement.
    let list = w.get("/api/agency/prepayments", &t.shanghai).expect(200);
    let pair = list.as_array().unwrap().iter().find(|p| p["pair"] == format!("{BJ}>{SH}")).unwrap().clone();
    let oct_pooled: Fen = oct_bj.iter().map(|s| s.pooled).sum();
    assert!(oct_pooled > Fen::ZERO, "the funds paid something");
    assert_eq!(fen(&pair["charged"]), oct_pooled, "charged = the pooled shares of the live settlements");
    assert_eq!(pair["warning"], "red", "{pair}");
    assert_eq!(pair["top_up_needed"], true);
    assert_eq!(pair["side"], "treatment");
    // The treatment province asks for a top-up; the insured province approves it.
    w.post(&format!("/api/agency/prepayments/{BJ}/{SH}/top-ups"), &t.beijing, &json!({}))
        .refused(403, "treatment_province_only");
    let asked = w
        .post(
            &format!("/api/agency/prepayments/{BJ}/{SH}/top-ups"),
            &t.shanghai,
            &json!({"amount": "5000.00", "reason": "10月使用率超过90%"}),
        )
        .expect(200);
    let id = asked["top_ups"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(asked["top_ups"][0]["state"], "open");
    assert_eq!(asked["top_up_needed"], false);
    w.post(&format!("/api/agency/prepayments/{BJ}/{SH}/top-ups"), &t.shanghai, &json!({}))
        .refused(409, "top_up_open");
    let approved = w
        .post(&format!("/api/agency/prepayments/{BJ}/{SH}/top-ups/{id}/approve"), &t.beijing, &json!({}))
        .expect(200);
    assert_eq!(approved["funded"], "5100.00");
    assert_eq!(approved["top_ups"][0]["state"], "approved");

    // Before October has ended nothing can be frozen.
    clock.set(DateTime::parse("2025-10-31 23:59:59").unwrap());
    w.post("/api/agency/clearing/2025-10/freeze", &t.beijing, &json!({})).refused(409, "month_not_ended");

    // November: more care; it counts in November.
    clock.set(DateTime::parse("2025-11-03 09:00:00").unwrap());
    let nov_bj = settle_many(&mut w, &pack, BJ, SH, 2, 40);

    // Only province tokens act.
    w.post("/api/agency/clearing/2025-10/freeze", &t.nanjing, &json!({}))
        .refused(403, "province_token_required");
    w.get("/api/agency/clearing/2025-10", &t.beijing).refused(404, "month_not_frozen");
    let frozen = w.post("/api/agency/clearing/2025-10/freeze", &t.beijing, &json!({})).expect(200);
    // Frozen on Monday 2025-11-03: 5 working days → 11-10, 10 → 11-17.
    assert_eq!(frozen["confirm_by"], "2025-11-10");
    assert_eq!(frozen["pay_by"], "2025-11-17");
    assert_eq!(frozen["pairs"].as_array().unwrap().len(), 2, "{frozen}");
    w.post("/api/agency/clearing/2025-10/freeze", &t.shanghai, &json!({}))
        .refused(409, "month_already_frozen");

    // The statement equals the 2207 answers' fund shares, summed here.
    let path = format!("/api/agency/clearing/2025-10/{BJ}/{SH}");
    let s = w.get(&path, &t.shanghai).expect(200);
    assert_eq!(s["frozen"], true);
    assert_eq!((s["insured_name"].as_str(), s["treatment_name"].as_str()), (Some("北京市"), Some("上海市")));
    assert_eq!(statement_line(&s, "11")["count"], 3);
    assert_eq!(statement_line(&s, "21")["count"], 0);
    assert_eq!(fen(&s["pooled"]), oct_pooled);
    let oct_acct: Fen = oct_bj.iter().map(|s| s.acct).sum();
    assert_eq!(fen(&s["personal"]), oct_acct);
    assert_eq!(fen(&s["due"]), oct_pooled + oct_acct);
    assert_eq!(s["clearing"]["status"], "awaiting_confirmation");
    // Jiangsu is not a party: the same answer as unknown, for region and province tokens.
    w.get(&path, &t.nanjing).refused(404, "clearing_not_found");
    w.get(&path, &t.jiangsu).refused(404, "clearing_not_found");

    // The detail file lists every live settlement of the pair and month, and adds up.
    let detail = w.get(&format!("{path}/detail.csv"), &t.beijing);
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(detail.header("content-type").unwrap().starts_with("text/csv"));
    let rows: Vec<&str> = detail.body.trim_start_matches('\u{feff}').lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{}", detail.body);
    for s in &oct_bj {
        assert!(rows.iter().any(|r| r.starts_with(&format!("{},", s.setl_id))), "{} listed", s.setl_id);
    }
    assert!(!detail.body.contains(&gone.setl_id), "the cancelled settlement is not listed");
    let fund_total: Fen = rows.iter().map(|r| Fen::parse_yuan(r.split(',').nth(14).unwrap()).unwrap()).sum();
    assert_eq!(fund_total, oct_pooled + oct_acct);
    let csv = w.get(&format!("{path}/statement.csv"), &t.beijing);
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains(&format!("2025-10,{BJ},{SH},due,")), "{}", csv.body);
    let html = w.get(&format!("{path}/statement.html"), &t.beijing);
    assert_eq!(html.status, 200);
    assert!(html.header("content-type").unwrap().starts_with("text/html"));
    assert!(html.body.contains("省际清算单") && html.body.contains("（待确认）"), "{}", html.body);

    // A reversal of a frozen month's settlement is refused and changes nothing.
    let before = w.ledger();
    let old = &oct_bj[0];
    let refused = w.call(
        &old.facility,
        "2208",
        json!({"data": {"setl_id": old.setl_id, "mdtrt_id": old.mdtrt_id, "psn_no": old.psn_no}}),
    );
    assert_eq!(refused["infcode"], -1, "{refused}");
    assert_eq!(refused["err_code"], "month_cleared", "{refused}");
    assert!(refused["err_msg"].as_str().unwrap().contains("追回"), "{refused}");
    let after = w.ledger();
    assert_eq!(before.balances(), after.balances(), "nothing posted");
    assert_eq!(before.totals(), after.totals());
    assert_eq!(w.get(&path, &t.shanghai).expect(200)["due"], s["due"], "the statement never changes");

    // Confirmations: each province its own side, once; payment only after both, by the payer.
    let pay_body = json!({"bank_name": "中国工商银行北京分行", "bank_serial": "ICBC20251112000123", "paid_on": "2025-11-12"});
    w.post(&format!("{path}/payment"), &t.beijing, &pay_body).refused(409, "confirmation_missing");
    w.post(&format!("{path}/confirm"), &t.nanjing, &json!({})).refused(404, "clearing_not_found");
    let c1 = w.post(&format!("{path}/confirm"), &t.beijing, &json!({})).expect(200);
    assert_eq!(c1["status"], "awaiting_confirmation");
    w.post(&format!("{path}/confirm"), &t.beijing, &json!({})).refused(409, "already_confirmed");
    let c2 = w.post(&format!("{path}/confirm"), &t.shanghai, &json!({})).expect(200);
    assert_eq!(c2["status"], "awaiting_payment");
    w.post(&format!("{path}/payment"), &t.shanghai, &pay_body).refused(403, "payer_only");
    clock.set(DateTime::parse("2025-11-12 10:00:00").unwrap());
    let bad =
        w.post(&format!("{path}/payment"), &t.beijing, &json!({"bank_name": "", "paid_on": "2025-13-01"}));
    assert_eq!(bad.refused(400, "invalid_request")["problems"].as_array().unwrap().len(), 3);
    let charged_before = w.ledger().charged(yidi_ledger::Pair::parse(&format!("{BJ}>{SH}")).unwrap());
    let paid = w.post(&format!("{path}/payment"), &t.beijing, &pay_body).expect(200);
    assert_eq!(paid["status"], "paid");
    assert_eq!(fen(&paid["payment"]["amount"]), oct_pooled + oct_acct);
    w.post(&format!("{path}/payment"), &t.beijing, &pay_body).refused(409, "already_paid");
    // After payment the prepayment is restored: only November's care is still charged.
    let nov_pooled: Fen = nov_bj.iter().map(|s| s.pooled).sum();
    let pre = w.get(&format!("/api/agency/prepayments/{BJ}/{SH}"), &t.beijing).expect(200);
    assert_eq!(fen(&pre["charged"]), nov_pooled);
    assert_eq!(charged_before - oct_pooled, nov_pooled);

    // The other pair is still open; Shanghai sees it with Beijing's late alerts after the deadline.
    clock.set(DateTime::parse("2025-11-18 10:00:00").unwrap());
    let month = w.get("/api/agency/clearing/2025-10", &t.shanghai).expect(200);
    let codes: Vec<&str> =
        month["alerts"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["confirmation_late", "confirmation_late", "payment_late"], "{month}");
    // The list of frozen months carries the same view.
    let months = w.get("/api/agency/clearing", &t.shanghai).expect(200);
    assert_eq!(months, json!([month.clone()]));
    // A region token reads its province's months; Jiangsu has no pair in October.
    assert_eq!(w.get("/api/agency/clearing/2025-10", &t.nanjing).expect(200)["pairs"], json!([]));

    // Netting: the two directions net to one transfer.
    let n = w.get("/api/agency/clearing/2025-10/netting", &t.beijing).expect(200);
    // Jiangsu, party to no October pair, sees the national totals and none of the transfers.
    let js = w.get("/api/agency/clearing/2025-10/netting", &t.jiangsu).expect(200);
    assert_eq!(
        (js["gross"].clone(), js["net"].clone(), js["positions"].clone()),
        (json!([]), json!([]), json!([]))
    );
    assert_eq!(js["gross_total"], n["gross_total"]);
    let oct_sh_due: Fen = oct_sh.iter().map(|s| s.pooled + s.acct).sum();
    assert_eq!(fen(&n["gross_total"]), oct_pooled + oct_acct + oct_sh_due);
    assert_eq!(n["net"].as_array().unwrap().len(), 1);
    assert!(fen(&n["saving"]) > Fen::ZERO, "{n}");
    assert_eq!(
        fen(&n["saving"]),
        (oct_pooled + oct_acct).min(oct_sh_due) + (oct_pooled + oct_acct).min(oct_sh_due)
    );

    // The books verify: balanced, balances equal their entries, the closed month as frozen.
    let ledger = w.ledger();
    assert_eq!(ledger.trial_balance(), Fen::ZERO);
    let snapshot = SqliteStore::open(&db.0).unwrap().load().unwrap();
    let postings: Vec<yidi_ledger::Posting> =
        snapshot.postings.iter().map(|r| yidi_hub::books::posting_of_record(r).unwrap()).collect();
    yidi_ledger::verify(&postings, &ledger.balances()).expect("the books verify");
    let month_oct = yidi_ledger::Month::parse("2025-10").unwrap();
    yidi_ledger::verify_period(&postings, ledger.period(month_oct).unwrap()).expect("October as frozen");
    assert!(snapshot.funds_events.iter().any(|e| e.kind == "clearing.pay"));

    // A notice posts at once, so it is only ever for the year under way: 2026's waits for 2026.
    let notices = format!("/api/agency/prepayments/{BJ}/{SH}/notices");
    let early = w.post(&notices, &t.beijing, &json!({"year": "2026"}));
    assert_eq!(early.refused(400, "invalid_request")["problems"][0]["field"], "year");
    // In January, before December is frozen, 2025 cannot size the notice yet.
    clock.set(DateTime::parse("2026-01-06 10:00:00").unwrap());
    w.post("/api/agency/clearing/2025-11/freeze", &t.beijing, &json!({})).expect(200);
    let waiting = w.post(&notices, &t.beijing, &json!({}));
    let problem = &waiting.refused(400, "invalid_request")["problems"][0];
    assert_eq!(problem["field"], "amount");
    assert!(problem["message"].as_str().unwrap().contains("12 月未冻结"), "{problem}");
    // Once 2025 is cleared through December, the notice comes from its history: 2 × the monthly
    // average over the months the hub cleared (October to December), half-up; the insured
    // province may not set its own amount then.
    w.post("/api/agency/clearing/2025-12/freeze", &t.beijing, &json!({})).expect(200);
    let fixed = w.post(&notices, &t.beijing, &json!({"amount": "1.00"}));
    assert_eq!(fixed.refused(400, "invalid_request")["problems"][0]["field"], "amount");
    let next = w.post(&notices, &t.beijing, &json!({"year": 2026})).expect(200);
    let notice = next["notices"].as_array().unwrap().iter().find(|n| n["year"] == 2026).unwrap().clone();
    assert_eq!(notice["basis"], "previous_year");
    let share = oct_pooled + nov_pooled;
    assert_eq!(fen(&notice["previous_year_fund_share"]), share, "2025's frozen months");
    let expected = Fen::new((share.get() * 2 * 2 + 3) / 6);
    assert_eq!(fen(&notice["amount"]), expected, "2 × the monthly average of three months");
    assert_eq!(fen(&next["funded"]), expected, "the notice posts the change to the new amount");

    // A restart rebuilds the same views from the stored events and postings.
    let views = |w: &World| {
        (
            w.get("/api/agency/clearing/2025-10", &t.shanghai).expect(200),
            w.get(&path, &t.beijing).expect(200),
            w.get("/api/agency/prepayments", &t.beijing).expect(200),
            w.get("/api/agency/clearing/2025-10/netting", &t.beijing).expect(200),
        )
    };
    let before = views(&w);
    let balances = w.ledger().balances();
    let w = w.restart();
    assert_eq!(views(&w), before);
    assert_eq!(w.ledger().balances(), balances);
    // And it goes on: Shanghai's own pair can still be confirmed after the restart.
    let p2 = format!("/api/agency/clearing/2025-10/{SH}/{BJ}");
    w.post(&format!("{p2}/confirm"), &t.shanghai, &json!({})).expect(200);
    w.post("/api/agency/clearing/2025-10/freeze", &t.beijing, &json!({}))
        .refused(409, "month_already_frozen");
}

/// Lump-sum clearing for a chosen pair: set by the insured province, applied by the next
/// freeze (even without any settlement), refused for the treatment side and for bad input.
#[test]
fn lump_sum_mode_applies_to_the_next_freeze() {
    let db = TempDb::new("lump");
    let (t, w) = start_in_october(&db);
    let clock = w.clock.clone();
    let path = format!("/api/agency/clearing-modes/{BJ}/320000");
    let put = |token: &str, body: Value| {
        http(w.addr, "PUT", &path, &json_headers(Some(token)), body.to_string().as_bytes())
    };
    put(&t.jiangsu, json!({"mode": "itemised"})).refused(403, "insured_province_only");
    put(&t.beijing, json!({"mode": "lump_sum"})).refused(400, "invalid_request");
    put(&t.beijing, json!({"mode": "lump_sum", "yuan_per_person_month": 350.5, "persons": 10}))
        .refused(400, "invalid_request");
    let set = put(&t.beijing, json!({"mode": "lump_sum", "yuan_per_person_month": "350.00", "persons": 12}))
        .expect(200);
    assert_eq!(set["mode"], "lump_sum");
    assert_eq!(w.get("/api/agency/clearing-modes", &t.nanjing).expect(200).as_array().unwrap().len(), 1);
    clock.set(DateTime::parse("2025-11-03 09:00:00").unwrap());
    let frozen = w
        .post("/api/agency/clearing/2025-10/freeze", &t.jiangsu, &json!({"confirm_working_days": 2}))
        .expect(200);
    assert_eq!(frozen["confirm_by"], "2025-11-05");
    let pair = &frozen["pairs"][0];
    assert_eq!(pair["mode"], "lump_sum");
    assert_eq!(pair["due"], "4200.00", "12 persons × 350.00");
    let s = w.get(&format!("/api/agency/clearing/2025-10/{BJ}/320000"), &t.nanjing).expect(200);
    assert_eq!(s["mode"]["persons"], 12);
    assert_eq!(s["due"], "4200.00");
}
