//! The agency dashboards at their HTTP boundary, over the real hub on a real SQLite file and a
//! real server on 127.0.0.1: sign-in with CSRF and a limit on failures (its own, apart from the
//! people's, and holding against parallel attempts), pages with their SVG
//! charts, CSV exports (BOM, quoting, content type), and region scope: another region's agency
//! sees neither this region's figures nor its persons.

mod common;

use std::path::Path;

use serde_json::json;
use yidi_domain::{Fen, Pack, PersonRecord};
use yidi_http::limits::{SIGN_IN_FAILURES_MAX, SIGN_IN_WINDOW_SECS};
use yidi_hub::Clock;
use yidi_store_sqlite::SqliteStore;

use common::{
    Answer, TempDb, World, agency_token, at_once, hospital, http, json_headers, percent, unfiled_employees,
    visit_and_settle,
};

const SHANGHAI: &str = "310000";
const BEIJING: &str = "110000";
const LANGFANG: &str = "131000";

/// The dashboards' requests, with headers given as text pairs.
impl World {
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        http(self.addr, "GET", path, &owned(headers), b"")
    }

    fn post_form(&self, path: &str, headers: &[(&str, &str)], form: &str) -> Answer {
        let mut h = owned(headers);
        h.push(("content-type".to_string(), "application/x-www-form-urlencoded".to_string()));
        http(self.addr, "POST", path, &h, form.as_bytes())
    }
}

fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

struct Tokens {
    shanghai: String,
    beijing: String,
}

fn issue_tokens(db: &Path) -> Tokens {
    Tokens {
        shanghai: agency_token(db, "上海医保中心-李", SHANGHAI),
        beijing: agency_token(db, "北京医保中心-张", BEIJING),
    }
}

/// Signs in through the form (GET for the CSRF cookie, POST with it); the session cookie header.
fn sign_in(w: &World, token: &str) -> String {
    let form = w.get("/agency/login", &[]);
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.cookie("yidi_agency_csrf").expect("a CSRF cookie");
    assert!(form.body.contains(&format!("value=\"{csrf}\"")), "the form carries the CSRF token");
    let cookie = format!("yidi_agency_csrf={csrf}");
    let answer = w.post_form(
        "/agency/login",
        &[("cookie", &cookie)],
        &format!("csrf={csrf}&next=%2Fagency%2Fflows&token={}", percent(token)),
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/agency/flows"));
    let set = answer.set_cookie("yidi_agency").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    format!("yidi_agency={}", answer.cookie("yidi_agency").unwrap())
}

/// An unfiled in-service employee insured in `region`.
fn person<'p>(pack: &'p Pack, region: &str) -> &'p PersonRecord {
    unfiled_employees(pack, region)
        .into_iter()
        .find(|r| r.person.psn_group.as_str() == "in_service" && r.person.assist_class.is_none())
        .expect("an unfiled in-service employee")
}

/// Parses an exported CSV (no quoted commas in these files) into rows of cells.
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    assert!(body.starts_with('\u{feff}'), "a BOM first");
    assert!(body.ends_with("\r\n"), "CRLF line ends");
    body.trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Without a session, pages send the browser to the sign-in form (coming back after) and files
/// answer 401; the form refuses a missing CSRF token and a bad token, and stops after
/// `SIGN_IN_FAILURES_MAX` failures from one address (the dashboards' own limiter); a good token
/// opens a session that signs out with its CSRF token.
#[test]
fn sign_in_is_required_checked_and_limited() {
    let db = TempDb::new("signin");
    let tokens = issue_tokens(&db.0);
    let w = World::demo(&db.0);
    let page = w.get("/agency/flows?from=2025-01-01", &[]);
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/agency/login?next=%2Fagency%2Fflows%3Ffrom%3D2025-01-01"));
    assert_eq!(w.get("/agency/daily.csv", &[]).status, 401);
    assert_eq!(w.get("/agency/persons/P1100000001", &[]).status, 303);

    // A POST without the CSRF cookie is refused, whatever the token.
    let answer = w.post_form("/agency/login", &[], &format!("csrf=x&token={}", tokens.shanghai));
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("CSRF"));

    let cookie = sign_in(&w, &tokens.shanghai);
    let overview = w.get("/agency/", &[("cookie", &cookie)]);
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert_eq!(overview.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(overview.body.contains("上海医保中心-李") && overview.body.contains("上海市（310000）"));
    // Sign-out needs the session's CSRF token.
    let csrf =
        overview.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(w.post_form("/agency/logout", &[("cookie", &cookie)], "csrf=wrong").status, 403);
    assert_eq!(w.get("/agency/", &[("cookie", &cookie)]).status, 200, "still signed in");
    let out = w.post_form("/agency/logout", &[("cookie", &cookie)], &format!("csrf={csrf}"));
    assert_eq!(out.status, 303);
    assert_eq!(w.get("/agency/", &[("cookie", &cookie)]).status, 303, "the session is gone");

    // Failed sign-ins: refused one by one, then limited.
    let form = w.get("/agency/login", &[]);
    let csrf = form.cookie("yidi_agency_csrf").unwrap();
    let cookie = format!("yidi_agency_csrf={csrf}");
    let statuses: Vec<u16> = (0..=SIGN_IN_FAILURES_MAX)
        .map(|n| {
            w.post_form("/agency/login", &[("cookie", &cookie)], &format!("csrf={csrf}&token=wrong{n}"))
                .status
        })
        .collect();
    assert!(statuses[..SIGN_IN_FAILURES_MAX].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[SIGN_IN_FAILURES_MAX], 429, "{statuses:?}");
    let good = w.post_form(
        "/agency/login",
        &[("cookie", &cookie)],
        &format!("csrf={csrf}&token={}", tokens.shanghai),
    );
    assert_eq!(good.status, 429, "even a good token waits out the limit");
}

/// Revoking an agency token (`yidi agency revoke`) ends the page sessions opened with it as soon
/// as the server reloads its tokens; another agency's session is untouched.
#[test]
fn revoking_a_token_ends_its_sessions() {
    let db = TempDb::new("revoke");
    let tokens = issue_tokens(&db.0);
    let w = World::demo(&db.0);
    let shanghai = sign_in(&w, &tokens.shanghai);
    let beijing = sign_in(&w, &tokens.beijing);
    assert_eq!(w.get("/agency/", &[("cookie", &shanghai)]).status, 200);
    let page = w.get("/agency/", &[("cookie", &shanghai)]);
    assert!(page.header("content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    let store = SqliteStore::open(&w.db).unwrap();
    let revoked = yidi_http::credentials::revoke_agency(&store, "上海医保中心-李").unwrap();
    assert!(revoked.revoked);
    assert!(yidi_http::credentials::revoke_agency(&store, "上海医保中心-李").is_err(), "only once");
    assert_eq!(w.get("/agency/", &[("cookie", &shanghai)]).status, 200, "until the server reloads");
    w.agency.refresh().unwrap();
    assert_eq!(w.get("/agency/", &[("cookie", &shanghai)]).status, 303, "the session ended");
    let again = w.get("/agency/", &[("cookie", &shanghai)]);
    assert_eq!(again.header("location"), Some("/agency/login?next=%2Fagency%2F"));
    assert_eq!(w.get("/agency/", &[("cookie", &beijing)]).status, 200, "Beijing's session stays");
    let bearer = format!("Bearer {}", tokens.shanghai);
    assert_eq!(w.get("/agency/daily.csv", &[("authorization", &bearer)]).status, 401);
}

/// Settlements made through the protocol show on Shanghai's pages and in its CSV files to the
/// fen; Beijing's agency sees none of them, and neither Shanghai's persons; lists are masked.
#[test]
fn pages_and_csv_show_the_region_and_only_the_region() {
    let db = TempDb::new("scope");
    let tokens = issue_tokens(&db.0);
    let mut w = World::demo(&db.0);
    let pack = w.pack.clone();
    let now = w.clock.now();
    let fac = hospital(&pack, now, "H31");
    let sign = w.call(fac.code.as_str(), "9001", json!({"signIn": {"opter_no": "T01"}}));
    assert_eq!(sign["infcode"], 0, "{sign}");
    let langfang = person(&pack, LANGFANG);
    let settled = visit_and_settle(&mut w, langfang, fac, "MZ-1", 3, 20);
    assert_eq!(settled["infcode"], 0, "{settled}");
    let fund = Fen::parse_yuan(&settled["output"]["setlinfo"]["fund_pay_sumamt"].to_string()).unwrap();
    let refused = visit_and_settle(&mut w, person(&pack, BEIJING), fac, "MZ-2", 3, 20);
    assert_eq!(refused["err_code"], "filing_required");

    let sh = format!("Bearer {}", tokens.shanghai);
    let today = now.date().to_string();
    let flows = w.get("/agency/flows", &[("authorization", &sh)]);
    assert_eq!(flows.status, 200, "{}", flows.body);
    assert!(flows.body.contains("<svg") && flows.body.contains("role=\"img\""), "a flow chart");
    assert!(flows.body.contains("class=\"heat\""), "the OD heat map");
    assert!(flows.body.contains("廊坊市") && flows.body.contains("河北省"));
    assert!(flows.body.contains("href=\"/agency/region-flows.csv?from="), "CSV links");

    let csv = w.get(&format!("/agency/region-flows.csv?from={today}&to={today}"), &[("authorization", &sh)]);
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        csv.header("content-disposition").unwrap().starts_with("attachment; filename=\"region-flows-310000-")
    );
    let rows = csv_rows(&csv.body);
    assert_eq!(rows[0][0], "参保地统筹区");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][..5], ["廊坊市", LANGFANG, "上海市", SHANGHAI, "1"]);
    assert_eq!(rows[1][6], fund.yuan(), "the fund amount to the fen, ungrouped");

    let refusals = w.get(&format!("/agency/refusals.csv?from={today}&to={today}"), &[("authorization", &sh)]);
    let rows = csv_rows(&refusals.body);
    assert_eq!(rows[1], ["filing_required", "未备案，参保地要求先备案", "1"]);
    let page = w.get("/agency/refusals", &[("authorization", &sh)]);
    assert!(page.body.contains("起记录的拒绝"), "the page says from when refusals are counted");
    let en = w.get("/agency/refusals?lang=en", &[("authorization", &sh)]);
    assert!(en.body.contains("Refusals by reason") && en.body.contains("lang=\"en\""));

    // Prepayment: the pair the settlement charged, with its utilisation and warning level.
    let prepayment = csv_rows(&w.get("/agency/prepayment.csv", &[("authorization", &sh)]).body);
    assert_eq!(prepayment[0][..4], ["结算对", "参保省份", "就医省份", "本省角色"]);
    let pair =
        prepayment.iter().find(|r| r[1] == "130000" && r[2] == SHANGHAI).expect("the Hebei → Shanghai pair");
    assert_eq!(pair[3], "就医地");
    assert_eq!(pair[5], fund.yuan(), "charged = the fund share settled");
    let page = w.get("/agency/prepayment", &[("authorization", &sh)]);
    assert!(page.body.contains("id=\"chart-prepayment\""));
    assert!(!page.body.contains("name=\"from\""), "prepayment does not depend on the period");

    // Every panel's CSV exists; an unknown table is 404.
    for id in [
        "daily",
        "summary",
        "province-flows",
        "region-flows",
        "rate",
        "refusals",
        "refusals-daily",
        "filings",
        "facilities",
    ] {
        let a = w.get(&format!("/agency/{id}.csv"), &[("authorization", &sh)]);
        assert_eq!(a.status, 200, "{id}: {}", a.body);
        assert!(a.body.starts_with('\u{feff}'), "{id}");
    }
    assert_eq!(w.get("/agency/secrets.csv", &[("authorization", &sh)]).status, 404);
    let daily = csv_rows(
        &w.get(&format!("/agency/daily.csv?from={today}&to={today}"), &[("authorization", &sh)]).body,
    );
    assert_eq!(daily[1][..5], [today.as_str(), "1", "0", "0", "1"]);

    // Beijing: no settlement (its person was refused), no Langfang flow, no Shanghai person.
    let bj = format!("Bearer {}", tokens.beijing);
    let rows = csv_rows(
        &w.get(&format!("/agency/region-flows.csv?from={today}&to={today}"), &[("authorization", &bj)]).body,
    );
    assert_eq!(rows.len(), 1, "only the header: {rows:?}");
    let page = w.get("/agency/flows", &[("authorization", &bj)]);
    assert!(!page.body.contains("廊坊市"));
    let sh_person = person(&pack, SHANGHAI);
    let other = w.get(&format!("/agency/persons/{}", sh_person.person.psn_no), &[("authorization", &bj)]);
    assert_eq!(other.status, 404, "another region's person is not found");
    assert!(!other.body.contains(&sh_person.person.name));
    let own = w.get(&format!("/agency/persons/{}", sh_person.person.psn_no), &[("authorization", &sh)]);
    assert_eq!(own.status, 200);
    assert!(
        !own.body.contains(&sh_person.person.name) && !own.body.contains(sh_person.person.certno.as_str()),
        "masked"
    );
    let list =
        w.get(&format!("/agency/persons?psn_no={}", sh_person.person.psn_no), &[("authorization", &sh)]);
    assert!(list.body.contains(&format!("href=\"/agency/persons/{}\"", sh_person.person.psn_no)));
    assert!(
        !list.body.contains(&sh_person.person.name) && !list.body.contains(sh_person.person.certno.as_str())
    );

    // Quick periods: the last 7 days.
    let week = w.get("/agency/?days=7", &[("authorization", &sh)]);
    assert_eq!(week.status, 200);
    assert!(week.body.contains(&format!("value=\"{}\"", now.date().add_days(-6))), "from = 6 days ago");
    assert!(week.body.contains("href=\"/agency/?days=90\""));

    // A bad period is explained, not a crash.
    let bad = w.get("/agency/?from=2025-02-30", &[("authorization", &sh)]);
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("YYYY-MM-DD"));
}

/// A failed person sign-in from this test's address (an identity number nobody has).
fn person_sign_in_fails(w: &World, n: usize) -> u16 {
    let body = json!({"certno": format!("11010119900101{n:04}"), "password": "not the password"});
    http(w.addr, "POST", "/api/person/sign-in", &json_headers(None), body.to_string().as_bytes()).status
}

/// Goal (review finding 5): agency sign-in has a limiter of its own. A burst of people's failed
/// sign-ins from a shared address (a hospital's or an office's NAT) locks people's sign-in there,
/// not the agency staff behind the same address; and the agency's failures do not lock people
/// out either. Goal (finding 1, agency side): parallel wrong tokens are counted before they are
/// looked up, so at most `SIGN_IN_FAILURES_MAX` of a burst are checked (401), the rest are 429.
#[test]
fn agency_sign_in_has_its_own_limit() {
    let db = TempDb::new("own-limit");
    let tokens = issue_tokens(&db.0);
    let w = World::demo(&db.0);
    let statuses: Vec<u16> = (0..=SIGN_IN_FAILURES_MAX).map(|n| person_sign_in_fails(&w, n)).collect();
    assert!(statuses[..SIGN_IN_FAILURES_MAX].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[SIGN_IN_FAILURES_MAX], 429, "people's sign-in is locked here: {statuses:?}");
    let cookie = sign_in(&w, &tokens.shanghai);
    assert_eq!(w.get("/agency/", &[("cookie", &cookie)]).status, 200, "agency staff still get in");

    // The other way round: the agency's failures (a parallel burst) lock agency sign-in only.
    w.clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
    let form = w.get("/agency/login", &[]);
    let csrf = form.cookie("yidi_agency_csrf").unwrap();
    let cookie = format!("yidi_agency_csrf={csrf}");
    let burst = 20;
    let answers = at_once(burst, |n| {
        w.post_form("/agency/login", &[("cookie", &cookie)], &format!("csrf={csrf}&token=wrong{n}"))
    });
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= SIGN_IN_FAILURES_MAX, "at most {SIGN_IN_FAILURES_MAX} checked: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), burst - checked, "{statuses:?}");
    let good = w.post_form(
        "/agency/login",
        &[("cookie", &cookie)],
        &format!("csrf={csrf}&token={}", tokens.beijing),
    );
    assert_eq!(good.status, 429, "even a good token waits once the limit is reached");
    assert!(good.header("retry-after").is_some());
    assert_eq!(person_sign_in_fails(&w, 99), 401, "people's sign-in is not locked by the agency's failures");
}
