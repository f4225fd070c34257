//! People's accounts and the person API at the HTTP boundary, over the real hub on a real SQLite
//! file and a real server on 127.0.0.1: activation codes issued by the insured region's agency
//! (wrong, used, expired), sign-in, session cookies and their attributes, CSRF, the sign-in rate
//! limit (429), masked identity numbers, another person's filing and settlement refused as
//! unknown, a person's filing seen by the very next settlement, the filing rules explained
//! through the API, and a restart that keeps accounts and the filing history. Bursts of parallel
//! requests: the sign-in limit counts attempts before their password is checked, and one
//! activation code sets one password only. Races made deterministic by holding the people's
//! store reads (`HeldStore`): a sign-in that verified the old password never keeps a session past
//! the activation that replaced it, a code that expires while its password is hashed is refused,
//! issuing a code from another process never writes an old password back, and a double-submitted
//! activation signs in without counting against the person's address.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yidi_domain::codes::mask_name;
use yidi_domain::{DateTime, Pack, PersonRecord};
use yidi_http::limits::{ACTIVATION_VALID_SECS, SIGN_IN_FAILURES_MAX, SIGN_IN_WINDOW_SECS};
use yidi_http::people::issue_activation;
use yidi_hub::{Clock, ManualClock, SystemClock};
use yidi_store::{
    AgencyTokenRecord, CommitBatch, CredentialRecord, PersonAccountRecord, Snapshot, Store, StoreResult,
};
use yidi_store_sqlite::SqliteStore;

use common::{
    Answer, PeopleStore, TempDb, World, agency_token, at_once, demo_pack, hospital, http, hub_clock,
    json_headers, unfiled_employees, visit_and_settle,
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
    let another = json!({"certno": cert, "code": code, "password": "another horse"});
    let used = w.send("POST", "/api/person/activate", &anon, Some(&another));
    assert_eq!(used.expect(401)["code"], "activation_failed", "single use");
    // The same form sent again (a double click) signs in like its first copy; the password stays.
    let repeat = signed_in(&w.send("POST", "/api/person/activate", &anon, Some(&right)));
    assert_eq!(w.send("GET", "/api/person/me", &repeat, None).expect(200)["me"]["identity"]["psn_no"], psn);

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

// ---------------------------------------------------------------------------------------------
// Races, made deterministic by holding reads of person accounts
// ---------------------------------------------------------------------------------------------

/// Holds reads of person accounts on demand: after [`Gate::hold`]`(skip, n)` the next `skip` reads
/// pass and the `n` after them wait — having read, so each holds what was stored at that moment —
/// until [`Gate::release`]. The people's service reads on blocking threads, so a held read blocks
/// nothing else of the server.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    skip: usize,
    to_hold: usize,
    held: usize,
    /// Bumped by each release: a read waits until the round it was held in is over.
    round: u64,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn hold(&self, skip: usize, n: usize) {
        let mut s = self.lock();
        (s.skip, s.to_hold, s.held) = (skip, n, 0);
    }

    /// Called after each read.
    fn pass(&self) {
        let mut s = self.lock();
        if s.skip > 0 {
            s.skip -= 1;
            return;
        }
        if s.to_hold == 0 {
            return;
        }
        s.to_hold -= 1;
        s.held += 1;
        let round = s.round;
        self.changed.notify_all();
        // Bounded, so a failing test ends instead of hanging.
        let _ = self.changed.wait_timeout_while(s, Duration::from_secs(60), |s| s.round == round);
    }

    /// Waits until `n` reads are held.
    #[track_caller]
    fn wait_held(&self, n: usize) {
        let s = self.lock();
        let (s, waited) =
            self.changed.wait_timeout_while(s, Duration::from_secs(60), |s| s.held < n).unwrap();
        assert!(!waited.timed_out(), "{} of {n} reads held", s.held);
    }

    fn release(&self) {
        let mut s = self.lock();
        (s.skip, s.to_hold, s.held) = (0, 0, 0);
        s.round += 1;
        self.changed.notify_all();
    }
}

/// The SQLite store, its `person_account` reads going through a [`Gate`].
struct HeldStore {
    inner: Arc<SqliteStore>,
    gate: Arc<Gate>,
}

impl Store for HeldStore {
    fn load(&self) -> StoreResult<Snapshot> {
        self.inner.load()
    }
    fn commit(&self, batch: &CommitBatch) -> StoreResult<()> {
        self.inner.commit(batch)
    }
    fn save_pack(&self, files: &BTreeMap<String, String>, imported_at: DateTime) -> StoreResult<bool> {
        self.inner.save_pack(files, imported_at)
    }
    fn latest_pack(&self) -> StoreResult<Option<BTreeMap<String, String>>> {
        self.inner.latest_pack()
    }
    fn put_credential(&self, credential: &CredentialRecord) -> StoreResult<()> {
        self.inner.put_credential(credential)
    }
    fn credentials(&self) -> StoreResult<Vec<CredentialRecord>> {
        self.inner.credentials()
    }
    fn put_agency_token(&self, token: &AgencyTokenRecord) -> StoreResult<()> {
        self.inner.put_agency_token(token)
    }
    fn agency_tokens(&self) -> StoreResult<Vec<AgencyTokenRecord>> {
        self.inner.agency_tokens()
    }
    fn put_person_account(&self, account: &PersonAccountRecord) -> StoreResult<()> {
        self.inner.put_person_account(account)
    }
    fn put_person_activation(
        &self,
        psn_no: &str,
        activation_sha256: [u8; 32],
        expires_at: DateTime,
        issued_by: &str,
        at: DateTime,
    ) -> StoreResult<()> {
        self.inner.put_person_activation(psn_no, activation_sha256, expires_at, issued_by, at)
    }
    fn person_account(&self, psn_no: &str) -> StoreResult<Option<PersonAccountRecord>> {
        let read = self.inner.person_account(psn_no);
        self.gate.pass();
        read
    }
}

/// A world whose people's service reads accounts through `gate` (the hub and the agency API,
/// which issues codes, do not).
fn held_world(db: &TempDb, clock: &Arc<ManualClock>, gate: &Arc<Gate>) -> World {
    let gate = gate.clone();
    let people_store: PeopleStore =
        Arc::new(move |inner| Arc::new(HeldStore { inner, gate: gate.clone() }) as Arc<dyn Store>);
    World::with_people_store(&db.0, Arc::new(demo_pack()), clock.clone(), clock.clone(), people_store)
}

/// A new code for `p` from the Beijing agency.
fn issue(w: &World, token: &str, p: &PersonRecord) -> Value {
    let path = format!("/api/agency/persons/{}/activation", p.person.psn_no);
    w.send("POST", &path, &bearer(token), None).expect(200)["code"].clone()
}

/// The session `answer` started, if it started one.
fn session_of(answer: &Answer) -> Option<Auth> {
    (answer.status == 200).then(|| signed_in(answer))
}

/// Goal (second review, finding 1): no session made with a password survives the activation
/// that replaced it. Sign-ins with the old password read the old hash, then an activation sets a
/// new password and returns 200, and only then do the sign-ins verify (held reads make this
/// order certain, every round): each either fails or its session is already ended — `GET
/// /api/person/me` is 401 for every one. It used to be: the sign-ins verified the old hash and
/// started their sessions after the activation had ended the person's sessions, so all of them
/// stayed signed in with a password that no longer existed.
#[test]
fn no_session_made_with_the_old_password_outlives_an_activation() {
    let db = TempDb::new("old-password");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let gate = Arc::new(Gate::default());
    let w = held_world(&db, &clock, &gate);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    let (addr, cert) = (w.addr, p.person.certno.as_str());
    let mut password = "password round 0".to_string();
    activate(&w, &beijing, p, &password);
    // Sign-ins in flight, leaving the limiter room for the activation itself.
    let signers = SIGN_IN_FAILURES_MAX - 1;
    for round in 1..=3 {
        clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
        let code = issue(&w, &beijing, p);
        let old = json!({"certno": cert, "password": password});
        let new_password = format!("password round {round}");
        let new = json!({"certno": cert, "code": code, "password": new_password});
        gate.hold(0, signers);
        let (activated, sign_ins) = std::thread::scope(|scope| {
            let sign_ins: Vec<_> =
                (0..signers).map(|_| scope.spawn(|| post_anon(addr, "/api/person/sign-in", &old))).collect();
            // Each sign-in has read the old password and waits to verify it.
            gate.wait_held(signers);
            let activated = post_anon(addr, "/api/person/activate", &new);
            gate.release();
            (activated, sign_ins.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>())
        });
        let activated = signed_in(&activated);
        for (i, a) in sign_ins.iter().enumerate() {
            assert!(a.status == 200 || a.status == 401, "round {round}, sign-in {i}: {}", a.body);
            if let Some(session) = session_of(a) {
                let me = w.send("GET", "/api/person/me", &session, None);
                assert_eq!(
                    me.status, 401,
                    "round {round}: sign-in {i} with the old password is still signed in"
                );
            }
        }
        let me = w.send("GET", "/api/person/me", &activated, None);
        assert_eq!(me.expect(200)["me"]["identity"]["psn_no"], p.person.psn_no.as_str());
        assert_eq!(post_anon(addr, "/api/person/sign-in", &old).status, 401, "round {round}: old password");
        password = new_password;
    }
    clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
    signed_in(&post_anon(addr, "/api/person/sign-in", &json!({"certno": cert, "password": password})));
}

/// Goal (second review, finding 2): a code is judged on the clock at the moment it is used, not
/// when the request began. The code is valid when the activation checks it first; while its
/// password is hashed and before the locked re-check reads the account (held here), the hub's
/// clock passes the code's expiry: refused (401), no password set. It used to be 200: the
/// re-check reused the time read at the start.
#[test]
fn a_code_that_expires_during_activation_is_refused() {
    let db = TempDb::new("expiry-race");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let gate = Arc::new(Gate::default());
    let w = held_world(&db, &clock, &gate);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    let (addr, cert) = (w.addr, p.person.certno.as_str());
    let code = issue(&w, &beijing, p);
    clock.advance_millis((ACTIVATION_VALID_SECS - 60) * 1_000);
    let body = json!({"certno": cert, "code": code, "password": "correct horse"});
    // The first read (the early check) passes; the second, under the lock, waits.
    gate.hold(1, 1);
    let answer = std::thread::scope(|scope| {
        let activation = scope.spawn(|| post_anon(addr, "/api/person/activate", &body));
        gate.wait_held(1);
        clock.advance_millis(61 * 1_000);
        gate.release();
        activation.join().unwrap()
    });
    assert_eq!(answer.expect(401)["code"], "activation_failed");
    assert!(answer.header("set-cookie").is_none(), "no session");
    let account = w.store.person_account(&p.person.psn_no).unwrap().expect("the account");
    assert_eq!(account.password_phc, None, "no password set");
    let sign_in = json!({"certno": cert, "password": "correct horse"});
    assert_eq!(post_anon(addr, "/api/person/sign-in", &sign_in).status, 401);
}

/// Goal (second review, finding 3): `yidi person activate` (another process, its own connection
/// to the database) never writes an old password back. An issuer that reads the account first is
/// held right after that read while the server activates the account with a new password, then
/// writes; one that never reads (the fix: `Store::put_person_activation`) just issues, and the
/// server activates with its code. Either way the new password signs in and the old one does
/// not. It used to be: the issuer read the whole account and wrote it back with the password it
/// had read, undoing the activation. (In this one process that old issuer also held the accounts
/// lock across its read, so there the activation waited for the gate's timeout and the test
/// failed after a minute; in two processes there is no shared lock and the password came back.)
#[test]
fn a_code_issued_by_another_process_keeps_the_new_password() {
    let db = TempDb::new("cli-issue");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let w = start(&db, &clock);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    let (addr, cert, psn) = (w.addr, p.person.certno.as_str(), p.person.psn_no.as_str());
    activate(&w, &beijing, p, "old password");
    let server_code = issue(&w, &beijing, p);
    let gate = Arc::new(Gate::default());
    let cli = HeldStore { inner: Arc::new(SqliteStore::open(&w.db).unwrap()), gate: gate.clone() };
    let activate_with = |code: &Value| {
        let body = json!({"certno": cert, "code": code, "password": "new password"});
        signed_in(&post_anon(addr, "/api/person/activate", &body))
    };
    gate.hold(0, 1);
    let activated = std::thread::scope(|scope| {
        let issuer = scope.spawn(|| issue_activation(&cli, psn, "cli", clock.now()).unwrap());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !issuer.is_finished() && gate.lock().held == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if issuer.is_finished() {
            // Issued without reading: its code replaced the server's; the person uses it.
            let issued = issuer.join().unwrap();
            activate_with(&json!(issued.code))
        } else {
            // Held between its read and its write: the activation lands there.
            let activated = activate_with(&server_code);
            gate.release();
            issuer.join().unwrap();
            activated
        }
    });
    assert_eq!(w.send("GET", "/api/person/me", &activated, None).status, 200);
    let old = json!({"certno": cert, "password": "old password"});
    assert_eq!(post_anon(addr, "/api/person/sign-in", &old).status, 401, "the old password came back");
    signed_in(&post_anon(addr, "/api/person/sign-in", &json!({"certno": cert, "password": "new password"})));
}

/// Goal (second review, finding 4): the activation form sent several times at once (a double
/// click, a flaky connection) with the right code and one password: one copy uses the code, the
/// others find it used with the password just set and are answered like it — 200, signed in —
/// with their limiter attempts released, so the person's address keeps its whole allowance
/// (`SIGN_IN_FAILURES_MAX` wrong passwords are still 401, not 429). A 429 can only come from
/// copies beyond the limiter's in-flight allowance. Ten minutes later the same form is
/// `activation_failed` again. It used to be: 1×200, the rest 401, and those stayed counted.
#[test]
fn a_double_submitted_activation_signs_in_and_costs_nothing() {
    let db = TempDb::new("double-submit");
    let beijing = agency_token(&db.0, "北京医保中心-张", "110000");
    let clock = hub_clock();
    let w = start(&db, &clock);
    let pack = demo_pack();
    let p = unfiled_employees(&pack, "110000")[0];
    let (addr, cert) = (w.addr, p.person.certno.as_str());
    let code = issue(&w, &beijing, p);
    let form = json!({"certno": cert, "code": code, "password": "correct horse"});
    let copies = SIGN_IN_FAILURES_MAX + 2;
    let answers = at_once(copies, |_| post_anon(addr, "/api/person/activate", &form));
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 200).count() >= SIGN_IN_FAILURES_MAX, "{statuses:?}");
    for a in answers.iter().filter(|a| a.status == 200) {
        let me = w.send("GET", "/api/person/me", &signed_in(a), None);
        assert_eq!(me.expect(200)["me"]["identity"]["psn_no"], p.person.psn_no.as_str());
    }
    // Nothing of the burst is counted against this address or identity.
    let wrong = json!({"certno": cert, "password": "wrong horse"});
    for i in 0..SIGN_IN_FAILURES_MAX {
        assert_eq!(post_anon(addr, "/api/person/sign-in", &wrong).status, 401, "wrong password {i}");
    }
    assert_eq!(post_anon(addr, "/api/person/sign-in", &wrong).status, 429);
    // Once the code is no longer just used, the same form is refused like any used code.
    clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
    assert_eq!(post_anon(addr, "/api/person/activate", &form).expect(401)["code"], "activation_failed");
    signed_in(&post_anon(addr, "/api/person/sign-in", &json!({"certno": cert, "password": "correct horse"})));
}
