//! People's accounts and the person API at the HTTP boundary, over the real hub on a real SQLite
//! file and a real server on 127.0.0.1: activation codes issued by the insured region's agency
//! (wrong, used, expired), sign-in, session cookies and their attributes, CSRF, the sign-in rate
//! limit (429), masked identity numbers, another person's filing and settlement refused as
//! unknown, a person's filing seen by the very next settlement, the filing rules explained
//! through the API, and a restart that keeps accounts and the filing history. Bursts of parallel
//! requests: the sign-in limit counts attempts before their password is checked, and one
//! activation code sets one password only.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yidi_domain::codes::mask_name;
use yidi_domain::{DateTime, Pack, PersonRecord};
use yidi_http::limits::{SIGN_IN_FAILURES_MAX, SIGN_IN_WINDOW_SECS};
use yidi_hub::{Clock, ManualClock, SystemClock};

use common::{
    Answer, TempDb, World, agency_token, at_once, demo_pack, hospital, http, hub_clock, json_headers,
    unfiled_employees, visit_and_settle,
};

impl World {
    /// A request with optional bearer token, session cookie and CSRF header.
    fn send(&self, method: &str, path: &str, auth: &Auth, body: Option<&Value>) -> Answer {
        let mut headers = json_headers(auth.bearer.as_deref());
        if let Some(cookie) = &auth.cookie {
            headers.push(("cookie".into(), cookie.clone()));
        }
        if let Some(csrf) = &auth.csrf {
            headers.push(("x-csrf-token".into(), csrf.clone()));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        http(self.addr, method, path, &headers, body.as_bytes())
    }
}

#[derive(Clone, Default)]
struct Auth {
    bearer: Option<String>,
    cookie: Option<String>,
    csrf: Option<String>,
}

fn bearer(token: &str) -> Auth {
    Auth { bearer: Some(token.to_string()), ..Auth::default() }
}

/// A world whose people's service runs on the hub's `clock`.
fn start(db: &TempDb, clock: &Arc<ManualClock>) -> World {
    World::with_people(&db.0, Arc::new(demo_pack()), clock.clone(), clock.clone())
}

/// Issues a code through the agency API and activates the account; the signed-in `Auth`.
fn activate(w: &World, token: &str, p: &PersonRecord, password: &str) -> Auth {
    let psn = &p.person.psn_no;
    let code =
        w.send("POST", &format!("/api/agency/persons/{psn}/activation"), &bearer(token), None).expect(200);
    let body = json!({"certno": p.person.certno.as_str(), "code": code["code"], "password": password});
    let answer = w.send("POST", "/api/person/activate", &Auth::default(), Some(&body));
    signed_in(&answer)
}

#[track_caller]
fn signed_in(answer: &Answer) -> Auth {
    let v = answer.expect(200);
    let cookie = answer.header("set-cookie").expect("a session cookie");
    let pair = cookie.split(';').next().unwrap().to_string();
    Auth { bearer: None, cookie: Some(pair), csrf: Some(v["csrf"].as_str().unwrap().to_string()) }
}

/// An outpatient visit at an open Shanghai hospital, five lines of one unit: 2201, 2203, 2204;
/// then 2207's answer.
fn shanghai_visit(w: &mut World, pack: &Pack, p: &PersonRecord, visit_no: &str) -> Value {
    let facility = hospital(pack, w.clock.now(), "H31");
    visit_and_settle(w, p, facility, visit_no, 5, 1)
}

/// Goal: the whole life of an account — activation (wrong, short password, right, reused,
/// expired), cookie attributes, masked identity, CSRF, a filing the next settlement uses, the
/// rules explained, another person's data refused as unknown, sign-out, and a restart.
#[test]
fn accounts_sessions_csrf_and_own_data() {
    let db = TempDb::new("life");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let shanghai = agency_token(&db.0, "上海医保中心-李", "310000");
    let clock = hub_clock();
    let mut w = start(&db, &clock);
    let pack = demo_pack();
    let persons = unfiled_employees(&pack, "110000");
    let (a, b) = (persons[0], persons[1]);
    let (psn, cert) = (a.person.psn_no.as_str(), a.person.certno.as_str());

    // Only the insured region's agency issues codes.
    let foreign = w.send("POST", &format!("/api/agency/persons/{psn}/activation"), &bearer(&shanghai), None);
    assert_eq!(foreign.expect(404)["code"], "person_not_found");
    let issued =
        w.send("POST", &format!("/api/agency/persons/{psn}/activation"), &bearer(&beijing), None).expect(200);
    let code = issued["code"].as_str().unwrap().to_string();
    assert_eq!(issued["certno"], a.person.certno.masked());
    let anon = Auth::default();
    let wrong = json!({"certno": cert, "code": "AAAA-BBBB-CCCC", "password": "correct horse"});
    assert_eq!(
        w.send("POST", "/api/person/activate", &anon, Some(&wrong)).expect(401)["code"],
        "activation_failed"
    );
    let short = json!({"certno": cert, "code": code, "password": "short"});
    assert_eq!(
        w.send("POST", "/api/person/activate", &anon, Some(&short)).expect(400)["code"],
        "password_too_short"
    );
    let right =
        json!({"certno": cert.to_lowercase(), "code": code.to_lowercase(), "password": "correct horse"});
    let answer = w.send("POST", "/api/person/activate", &anon, Some(&right));
    let cookie = answer.header("set-cookie").unwrap().to_string();
    for part in ["yidi_person=", "HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!answer.body.contains(cert), "identity masked: {}", answer.body);
    let me_a = signed_in(&answer);
    let used = w.send("POST", "/api/person/activate", &anon, Some(&right));
    assert_eq!(used.expect(401)["code"], "activation_failed", "single use");

    // Signed in: me, masked; without a session 401.
    let me = w.send("GET", "/api/person/me", &me_a, None).expect(200);
    assert_eq!(me["me"]["identity"]["certno"], a.person.certno.masked());
    assert_eq!(me["me"]["identity"]["psn_no"], psn);
    assert_eq!(w.send("GET", "/api/person/me", &anon, None).expect(401)["code"], "not_signed_in");
    let bad = json!({"certno": cert, "password": "wrong horse"});
    assert_eq!(
        w.send("POST", "/api/person/sign-in", &anon, Some(&bad)).expect(401)["code"],
        "sign_in_failed"
    );
    let good = json!({"certno": cert, "password": "correct horse"});
    let again = signed_in(&w.send("POST", "/api/person/sign-in", &anon, Some(&good)));

    // A filing: refused without or with a wrong CSRF token; the rules explained; then made.
    let refused = shanghai_visit(&mut w, &pack, a, "MZ-P1");
    assert_eq!(refused["err_code"], "filing_required", "{refused}");
    let filing = json!({"category": "other_temporary", "mdtrtarea_admvs": "310000"});
    let no_csrf = Auth { csrf: None, ..again.clone() };
    assert_eq!(
        w.send("POST", "/api/person/filings", &no_csrf, Some(&filing)).expect(403)["code"],
        "csrf_failed"
    );
    let wrong_csrf = Auth { csrf: Some(me_a.csrf.clone().unwrap()), ..again.clone() };
    assert_eq!(
        w.send("POST", "/api/person/filings", &wrong_csrf, Some(&filing)).expect(403)["code"],
        "csrf_failed"
    );
    let long_term = json!({"category": "long_term_resident", "mdtrtarea_admvs": "310000"});
    let v = w.send("POST", "/api/person/filings", &again, Some(&long_term)).expect(409);
    assert_eq!(v["code"], "filing_commitment_required");
    assert!(v["message"].as_str().unwrap().contains("承诺"), "{v}");
    let made = w.send("POST", "/api/person/filings", &again, Some(&filing)).expect(200);
    let filing_id = made["filing_id"].as_str().unwrap().to_string();
    assert_eq!(made["created_by"], format!("person:{}", a.person.certno.masked()));
    let v = w.send("POST", "/api/person/filings", &again, Some(&filing)).expect(409);
    assert_eq!(v["code"], "filing_duplicate");
    w.clock.advance_millis(1_000);
    let settled = shanghai_visit(&mut w, &pack, a, "MZ-P2");
    assert_eq!(settled["infcode"], 0, "the next settlement sees the person's filing: {settled}");
    let setl_id = settled["output"]["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    let mine = w.send("GET", &format!("/api/person/settlements/{setl_id}"), &again, None).expect(200);
    assert!(mine["trace"].as_array().unwrap().len() > 3, "{mine}");
    assert!(!mine.to_string().contains(cert), "masked in the person's settlement view");
    // Issue 5: the person's own name and number are masked in everything the API returns.
    let (name, masked_name) = (a.person.name.as_str(), mask_name(&a.person.name));
    assert_ne!(name, masked_name);
    assert_eq!(mine["settlement"]["certno"], a.person.certno.masked());
    assert_eq!(mine["settlement"]["psn_name"], masked_name.as_str());
    assert!(!mine.to_string().contains(name), "name masked in the settlement view: {mine}");
    let list = w.send("GET", "/api/person/settlements?page_size=5", &again, None).expect(200);
    assert_eq!(list["items"][0]["setl_id"], setl_id.as_str());
    assert_eq!(list["items"][0]["certno"], a.person.certno.masked());
    assert_eq!(list["items"][0]["psn_name"], masked_name.as_str());
    for body in [list.to_string(), me.to_string()] {
        assert!(!body.contains(cert) && !body.contains(name), "masked in every person view: {body}");
    }
    let ytd = w.send("GET", "/api/person/year-to-date", &again, None).expect(200);
    let outpatient = ytd["pools"].as_array().unwrap().iter().find(|p| p["cap_pool"] == "outpatient").unwrap();
    assert_ne!(outpatient["deductible_paid"], "0.00", "the settlement counted: {ytd}");
    let agency_history = w
        .send("GET", &format!("/api/agency/filings/{filing_id}/history"), &bearer(&beijing), None)
        .expect(200);
    assert_eq!(agency_history["events"][0]["channel"], "person");

    // A change (temporary filings have no holding period): the old one cancelled, a new one made.
    let to_guangdong = json!({"category": "other_temporary", "mdtrtarea_admvs": "440000"});
    let path = format!("/api/person/filings/{filing_id}/change");
    assert_eq!(w.send("POST", &path, &no_csrf, Some(&to_guangdong)).expect(403)["code"], "csrf_failed");
    let changed = w.send("POST", &path, &again, Some(&to_guangdong)).expect(200);
    assert_eq!(changed["mdtrtarea_admvs"], "440000");
    let new_id = changed["filing_id"].as_str().unwrap().to_string();
    assert_ne!(new_id, filing_id);
    let old = w.send("GET", &format!("/api/person/filings/{filing_id}/history"), &again, None).expect(200);
    assert_eq!(old["events"][1]["action"], "change_out");
    assert_eq!(old["events"][1]["related_filing_id"], new_id.as_str());
    assert!(old["filing"]["cancelled_at"].is_string(), "{old}");

    // Another person: their own session cannot reach A's filing or settlement (404 like unknown).
    let me_b = activate(&w, &beijing, b, "another password");
    let path = format!("/api/person/filings/{filing_id}/history");
    assert_eq!(w.send("GET", &path, &me_b, None).expect(404)["code"], "filing_not_found");
    let cancel = format!("/api/person/filings/{filing_id}/cancel");
    assert_eq!(w.send("POST", &cancel, &me_b, Some(&json!({}))).expect(404)["code"], "filing_not_found");
    let setl = format!("/api/person/settlements/{setl_id}");
    assert_eq!(w.send("GET", &setl, &me_b, None).expect(404)["code"], "settlement_not_found");
    assert_eq!(
        w.send("GET", "/api/person/settlements/NO-SUCH", &me_b, None).expect(404)["code"],
        "settlement_not_found"
    );

    // An expired code (72 hours) is refused.
    let c = b.person.certno.as_str();
    let code_b = w
        .send("POST", &format!("/api/agency/persons/{}/activation", b.person.psn_no), &bearer(&beijing), None)
        .expect(200)["code"]
        .clone();
    w.clock.advance_millis(73 * 3_600 * 1_000);
    let late = json!({"certno": c, "code": code_b, "password": "a third password"});
    assert_eq!(
        w.send("POST", "/api/person/activate", &anon, Some(&late)).expect(401)["code"],
        "activation_failed"
    );

    // Signing out ends the session (idle expiry ended the others: 73 hours passed).
    let fresh = signed_in(&w.send("POST", "/api/person/sign-in", &anon, Some(&good)));
    let out = w.send("POST", "/api/person/sign-out", &fresh, Some(&json!({})));
    out.expect(200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(w.send("GET", "/api/person/me", &fresh, None).expect(401)["code"], "not_signed_in");

    // A restart keeps the account (sessions are memory only) and the filing history.
    let w = w.restart();
    assert_eq!(w.send("GET", "/api/person/me", &fresh, None).status, 401);
    let back = signed_in(&w.send("POST", "/api/person/sign-in", &anon, Some(&good)));
    let history = w.send("GET", &format!("/api/person/filings/{filing_id}/history"), &back, None).expect(200);
    assert_eq!(history["events"][0]["action"], "create");
    let filings = w.send("GET", "/api/person/filings", &back, None).expect(200);
    assert!(filings["filings"].as_array().unwrap().iter().any(|f| f["filing_id"] == filing_id.as_str()));
}

/// Goal: five failed sign-ins lock the identity number (429 with Retry-After, even with the right
/// password) and the address; after the window it works again.
#[test]
fn sign_in_is_rate_limited() {
    let db = TempDb::new("rate");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let w = start(&db, &clock);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    activate(&w, &beijing, p, "correct horse");
    let anon = Auth::default();
    let cert = p.person.certno.as_str();
    for _ in 0..5 {
        let bad = json!({"certno": cert, "password": "wrong horse"});
        assert_eq!(w.send("POST", "/api/person/sign-in", &anon, Some(&bad)).status, 401);
    }
    let good = json!({"certno": cert, "password": "correct horse"});
    let locked = w.send("POST", "/api/person/sign-in", &anon, Some(&good));
    let v = locked.expect(429);
    assert_eq!(v["code"], "too_many_attempts");
    assert!(v["message"].as_str().unwrap().contains("分钟后再试"), "{v}");
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // The address is locked too: another identity number from here.
    let other_certno = unfiled_employees(&pack, "110000")[1].person.certno.as_str();
    let other = json!({"certno": other_certno, "password": "whatever1"});
    assert_eq!(w.send("POST", "/api/person/sign-in", &anon, Some(&other)).status, 429);
    clock.advance_millis(15 * 60 * 1_000);
    signed_in(&w.send("POST", "/api/person/sign-in", &anon, Some(&good)));
}

/// Goal: activation codes are issued and checked on the hub's clock. With the hub's clock far in
/// the past (`yidi serve --demo --clock 2025-03-01T09:00:00`) and the people's service on the wall
/// clock, a code issued by the agency is still accepted; it used to be born expired.
#[test]
fn activation_uses_the_hub_clock() {
    let db = TempDb::new("clock");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let past = Arc::new(ManualClock::at(DateTime::parse("2025-03-01 09:00:00").unwrap()));
    let wall: Arc<dyn Clock> = Arc::new(SystemClock);
    let w = World::with_people(&db.0, Arc::new(demo_pack()), past.clone(), wall);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    let psn = &p.person.psn_no;
    let issued =
        w.send("POST", &format!("/api/agency/persons/{psn}/activation"), &bearer(&beijing), None).expect(200);
    assert!(issued["expires_at"].as_str().unwrap().starts_with("2025-03-04"), "{issued}");
    let body =
        json!({"certno": p.person.certno.as_str(), "code": issued["code"], "password": "correct horse"});
    let me = signed_in(&w.send("POST", "/api/person/activate", &Auth::default(), Some(&body)));
    assert_eq!(
        w.send("GET", "/api/person/me", &me, None).expect(200)["me"]["identity"]["psn_no"],
        psn.as_str()
    );
    // And it still expires 72 hours later on that same clock.
    let again =
        w.send("POST", &format!("/api/agency/persons/{psn}/activation"), &bearer(&beijing), None).expect(200);
    past.advance_millis(73 * 3_600 * 1_000);
    let body = json!({"certno": p.person.certno.as_str(), "code": again["code"], "password": "other horse"});
    let late = w.send("POST", "/api/person/activate", &Auth::default(), Some(&body));
    assert_eq!(late.expect(401)["code"], "activation_failed");
}

/// Parallel wrong guesses sent at once.
const BURST: usize = 24;

/// An anonymous JSON POST to the person API (usable from any thread).
fn post_anon(addr: std::net::SocketAddr, path: &str, body: &Value) -> Answer {
    http(addr, "POST", path, &json_headers(None), body.to_string().as_bytes())
}

/// Goal (review finding 1): the sign-in limit holds against parallel guesses. Each attempt is
/// counted before its (slow) password check, so of 24 wrong passwords sent at once at most 5 are
/// checked (401) and the rest refused (429), and the right password sent while the burst is still
/// in flight, once the limit is reached, is refused with 429 too. It used to be: all 24 were 401
/// and the right password got in. Activation, which has the same pattern, holds the same way.
#[test]
fn parallel_sign_ins_are_limited_before_the_password_check() {
    let db = TempDb::new("burst");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let w = start(&db, &clock);
    let pack = demo_pack();
    let persons = unfiled_employees(&pack, "110000");
    let (p, q) = (persons[0], persons[1]);
    activate(&w, &beijing, p, "correct horse");
    let (addr, cert) = (w.addr, p.person.certno.as_str());
    let wrong = json!({"certno": cert, "password": "wrong horse"});
    let right = json!({"certno": cert, "password": "correct horse"});

    // BURST wrong guesses at once; one more thread sends the right password as soon as a 429
    // shows the limit is reached (or, if none comes, once the burst is over).
    let (limited, done) = (AtomicBool::new(false), AtomicUsize::new(0));
    let answers = at_once(BURST + 1, |i| {
        if i < BURST {
            let a = post_anon(addr, "/api/person/sign-in", &wrong);
            if a.status == 429 {
                limited.store(true, Ordering::SeqCst);
            }
            done.fetch_add(1, Ordering::SeqCst);
            return a;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while !limited.load(Ordering::SeqCst)
            && done.load(Ordering::SeqCst) < BURST
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        post_anon(addr, "/api/person/sign-in", &right)
    });
    let (burst, good) = answers.split_at(BURST);
    let count = |status: u16| burst.iter().filter(|a| a.status == status).count();
    let statuses: Vec<u16> = burst.iter().map(|a| a.status).collect();
    assert!(count(401) <= SIGN_IN_FAILURES_MAX, "at most {SIGN_IN_FAILURES_MAX} checked: {statuses:?}");
    assert_eq!(count(401) + count(429), BURST, "{statuses:?}");
    assert!(count(429) >= BURST - SIGN_IN_FAILURES_MAX, "{statuses:?}");
    let good = &good[0];
    assert_eq!(good.status, 429, "the right password inside the burst: {}", good.body);
    assert_eq!(good.json()["code"], "too_many_attempts");
    assert!(good.header("retry-after").is_some());
    assert!(good.header("set-cookie").is_none(), "no session");
    assert_eq!(post_anon(addr, "/api/person/sign-in", &right).status, 429, "still locked after the burst");

    // Activation: the same limit, the same reservation.
    clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
    let code = w
        .send("POST", &format!("/api/agency/persons/{}/activation", q.person.psn_no), &bearer(&beijing), None)
        .expect(200);
    let guess =
        json!({"certno": q.person.certno.as_str(), "code": "AAAA-BBBB-CCCC", "password": "a new password"});
    let answers = at_once(BURST, |_| post_anon(addr, "/api/person/activate", &guess));
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= SIGN_IN_FAILURES_MAX, "at most {SIGN_IN_FAILURES_MAX} codes checked: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    let right_code =
        json!({"certno": q.person.certno.as_str(), "code": code["code"], "password": "a new password"});
    assert_eq!(post_anon(addr, "/api/person/activate", &right_code).status, 429, "the right code waits too");
    clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
    signed_in(&post_anon(addr, "/api/person/activate", &right_code));
    signed_in(&post_anon(addr, "/api/person/sign-in", &right));
}

/// Goal (review finding 2): a one-time activation code sets one password, also when the same
/// code arrives several times at once: exactly one activation succeeds (the others are 401
/// `activation_failed`), and only the winner's password signs in. It used to be: all of them got
/// 200, each writing its own password.
#[test]
fn one_activation_code_sets_one_password_under_concurrency() {
    let db = TempDb::new("code-race");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let w = start(&db, &clock);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    let code = w
        .send("POST", &format!("/api/agency/persons/{}/activation", p.person.psn_no), &bearer(&beijing), None)
        .expect(200)["code"]
        .clone();
    let (addr, cert) = (w.addr, p.person.certno.as_str());
    // As many as the limiter lets through at once, so each one reaches the code check.
    let tries = SIGN_IN_FAILURES_MAX;
    let password = |i: usize| format!("password number {i}");
    let answers = at_once(tries, |i| {
        post_anon(
            addr,
            "/api/person/activate",
            &json!({"certno": cert, "code": code, "password": password(i)}),
        )
    });
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let winners: Vec<usize> = (0..tries).filter(|i| answers[*i].status == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one activation: {statuses:?}");
    for (i, a) in answers.iter().enumerate().filter(|(i, _)| *i != winners[0]) {
        assert_eq!(a.expect(401)["code"], "activation_failed", "attempt {i}");
        assert!(a.header("set-cookie").is_none(), "attempt {i} opened no session");
    }
    let me = signed_in(&answers[winners[0]]);
    assert_eq!(
        w.send("GET", "/api/person/me", &me, None).expect(200)["me"]["identity"]["psn_no"],
        p.person.psn_no.as_str()
    );
    // The four refused attempts count against this address: one more failure is all it has left.
    signed_in(&post_anon(
        addr,
        "/api/person/sign-in",
        &json!({"certno": cert, "password": password(winners[0])}),
    ));
    let loser = (winners[0] + 1) % tries;
    let theirs = json!({"certno": cert, "password": password(loser)});
    assert_eq!(post_anon(addr, "/api/person/sign-in", &theirs).expect(401)["code"], "sign_in_failed");
}

/// Goal (review finding 6): a filing the person made online reports `"origin": "person"` — in
/// the answer, in the person's list, in the agency's view of the person and in its history —
/// not `agency` (which stays for filings made through the agency API).
#[test]
fn a_filing_made_online_says_so() {
    let db = TempDb::new("origin");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let w = start(&db, &clock);
    let pack = demo_pack();
    let persons = unfiled_employees(&pack, "110000");
    let (a, b) = (persons[0], persons[1]);
    let me = activate(&w, &beijing, a, "correct horse");
    let filing = json!({"category": "other_temporary", "mdtrtarea_admvs": "310000"});
    let made = w.send("POST", "/api/person/filings", &me, Some(&filing)).expect(200);
    assert_eq!(made["origin"], "person", "{made}");
    let id = made["filing_id"].as_str().unwrap().to_string();
    let mine = w.send("GET", "/api/person/filings", &me, None).expect(200);
    let listed = mine["filings"].as_array().unwrap().iter().find(|f| f["filing_id"] == id.as_str());
    assert_eq!(listed.expect("listed")["origin"], "person", "{mine}");
    let psn = &a.person.psn_no;
    let agency_view =
        w.send("GET", &format!("/api/agency/persons/{psn}"), &bearer(&beijing), None).expect(200);
    let seen = agency_view["filings"].as_array().unwrap().iter().find(|f| f["filing_id"] == id.as_str());
    assert_eq!(seen.expect("the agency sees it")["origin"], "person", "{agency_view}");
    let history =
        w.send("GET", &format!("/api/agency/filings/{id}/history"), &bearer(&beijing), None).expect(200);
    assert_eq!(history["filing"]["origin"], "person");
    assert_eq!(history["events"][0]["channel"], "person");
    // Cancelled by the agency, it is still the person's filing.
    w.send("POST", &format!("/api/agency/filings/{id}/cancel"), &bearer(&beijing), Some(&json!({})))
        .expect(200);
    let history =
        w.send("GET", &format!("/api/agency/filings/{id}/history"), &bearer(&beijing), None).expect(200);
    assert_eq!(history["filing"]["origin"], "person", "{history}");
    // One the agency makes says `agency`.
    let path = format!("/api/agency/persons/{}/filings", b.person.psn_no);
    let by_agency = w.send("POST", &path, &bearer(&beijing), Some(&filing)).expect(200);
    assert_eq!(by_agency["origin"], "agency", "{by_agency}");
}
