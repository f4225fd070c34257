//! The agency API at its HTTP boundary, over the real hub on a real SQLite file and a real server
//! on 127.0.0.1: bearer authentication, region scope (404 outside it), masking, filings that the
//! very next settlement through the national interface uses, settlement queries with filters and
//! paging, traces, pack upload, durability across a restart, the OpenAPI document and the docs
//! page.

mod common;

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use yidi_domain::{DateTime, Facility, Pack, PersonRecord};
use yidi_http::crypto;
use yidi_hub::Clock;
use yidi_store::Store;

use common::{
    Answer, TempDb, World, agency_token, demo_dir, demo_pack, hospital, http, hub_clock, json_headers,
    open_visit, percent, settle, unfiled_employees,
};

const BEIJING: &str = "110000";
const SHANGHAI: &str = "310000";
const NANJING: &str = "320100";

/// The agency API's requests: JSON, with an optional bearer token.
impl World {
    fn get(&self, path: &str, token: Option<&str>) -> Answer {
        http(self.addr, "GET", path, &json_headers(token), b"")
    }

    fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        http(self.addr, "POST", path, &json_headers(token), body.to_string().as_bytes())
    }
}

/// Agency tokens issued the way `yidi agency add` does, before the server starts.
struct Tokens {
    beijing: String,
    shanghai: String,
    nanjing: String,
}

fn issue_tokens(db: &Path) -> Tokens {
    Tokens {
        beijing: agency_token(db, "北京医保中心-张", BEIJING),
        shanghai: agency_token(db, "上海医保中心-李", SHANGHAI),
        nanjing: agency_token(db, "南京医保中心-王", NANJING),
    }
}

/// A Beijing employee without any filing (Beijing refuses unfiled care) and an open Shanghai
/// hospital: the pair whose settlement depends on a filing.
fn unfiled_pair(pack: &Pack, now: DateTime) -> (&PersonRecord, &Facility) {
    (unfiled_employees(pack, BEIJING)[0], hospital(pack, now, "H31"))
}

/// Requests without a valid bearer token get 401 JSON (code `unauthorized`, a Chinese message,
/// `WWW-Authenticate`, a msgid); a token revoked in the store is refused too.
#[test]
fn unauthenticated_is_401() {
    let db = TempDb::new("unauth");
    let tokens = issue_tokens(&db.0);
    let w = World::start(&db.0, Arc::new(demo_pack()), hub_clock());
    for (path, token) in [
        ("/api/agency/persons", None),
        ("/api/agency/persons", Some("not-a-token")),
        ("/api/agency/settlements", Some("")),
        ("/api/agency/persons/P1100000001", Some(crypto::demo_agency_token(BEIJING).as_str())),
    ] {
        let answer = w.get(path, token);
        let v = answer.expect(401);
        assert_eq!(v["code"], "unauthorized", "{path}");
        assert!(v["message"].as_str().unwrap().contains("令牌"));
        assert_eq!(answer.header("www-authenticate"), Some("Bearer realm=\"yidi\""));
        assert!(answer.header("x-yidi-msgid").is_some_and(|m| m == v["msgid"]));
    }
    let answer = http(
        w.addr,
        "GET",
        "/api/agency/persons",
        &[("authorization".into(), format!("Basic {}", tokens.beijing))],
        b"",
    );
    assert_eq!(answer.status, 401, "only the Bearer scheme");
    let posted = w.post("/api/agency/packs", None, &json!({}));
    assert_eq!(posted.expect(401)["code"], "unauthorized");
}

/// An agency lists only its own region's persons, masked, with name/number filters and paging;
/// it sees its own person in full and gets 404 for another region's.
#[test]
fn persons_are_scoped_and_masked() {
    let db = TempDb::new("persons");
    let tokens = issue_tokens(&db.0);
    let w = World::start(&db.0, Arc::new(demo_pack()), hub_clock());
    let pack = demo_pack();
    let region_of =
        |r: &PersonRecord| pack.refdata.pooling_region_of(r.person.insuplc).map(|x| x.admdvs.to_string());
    let beijing: Vec<&PersonRecord> =
        pack.persons.values().filter(|r| region_of(r).as_deref() == Some(BEIJING)).collect();
    assert!(beijing.len() > 40, "the demo pack has many Beijing persons");

    let page = w.get("/api/agency/persons?page_size=100", Some(&tokens.beijing)).expect(200);
    assert_eq!(page["total"], beijing.len() as u64);
    assert_eq!(page["truncated"], false);
    for row in page["items"].as_array().unwrap() {
        assert_eq!(row["insuplc_admdvs"], BEIJING);
        let record = &pack.persons[row["psn_no"].as_str().unwrap()];
        assert_eq!(row["certno"], record.person.certno.masked());
        assert_eq!(row["psn_name"], yidi_domain::codes::mask_name(&record.person.name));
        assert_ne!(row["certno"], record.person.certno.as_str());
    }

    let first = w.get("/api/agency/persons?page=1&page_size=3", Some(&tokens.beijing)).expect(200);
    let second = w.get("/api/agency/persons?page=2&page_size=3", Some(&tokens.beijing)).expect(200);
    let ids =
        |v: &Value| v["items"].as_array().unwrap().iter().map(|r| r["psn_no"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first).len(), 3);
    assert_eq!(ids(&second).len(), 3);
    let expected: Vec<Value> = beijing.iter().take(6).map(|r| json!(r.person.psn_no)).collect();
    assert_eq!([ids(&first), ids(&second)].concat(), expected, "pages in psn_no order");

    let someone = beijing[7];
    let surname: String = someone.person.name.chars().take(2).collect();
    let path = format!("/api/agency/persons?name={}", percent(&surname));
    let found = w.get(&path, Some(&tokens.beijing)).expect(200);
    assert!(ids(&found).contains(&json!(someone.person.psn_no)));
    assert!(found["items"].as_array().unwrap().iter().all(|r| r["insuplc_admdvs"] == BEIJING));
    let by_no =
        w.get(&format!("/api/agency/persons?psn_no={}", someone.person.psn_no), Some(&tokens.beijing));
    assert_eq!(ids(&by_no.expect(200)), vec![json!(someone.person.psn_no)]);

    let bad = w.get("/api/agency/persons?page=0&page_size=1000", Some(&tokens.beijing)).expect(400);
    assert_eq!(bad["code"], "invalid_request");
    assert_eq!(bad["problems"].as_array().unwrap().len(), 2, "both problems listed: {bad}");

    let detail =
        w.get(&format!("/api/agency/persons/{}", someone.person.psn_no), Some(&tokens.beijing)).expect(200);
    assert_eq!(detail["certno"], someone.person.certno.as_str(), "own region: in full");
    assert_eq!(detail["psn_name"], someone.person.name);
    assert!(detail["state"]["acct_balance"].as_str().unwrap().contains('.'), "amounts are text: {detail}");

    let other = w.get(&format!("/api/agency/persons/{}", someone.person.psn_no), Some(&tokens.shanghai));
    let v = other.expect(404);
    assert_eq!(v["code"], "person_not_found");
    let unknown = w.get("/api/agency/persons/NO-SUCH-PERSON", Some(&tokens.shanghai)).expect(404);
    assert_eq!(
        unknown["message"],
        v["message"].as_str().unwrap().replace(&someone.person.psn_no, "NO-SUCH-PERSON")
    );
    let shanghai = w.get("/api/agency/persons?page_size=100", Some(&tokens.shanghai)).expect(200);
    assert!(shanghai["items"].as_array().unwrap().iter().all(|r| r["insuplc_admdvs"] == SHANGHAI));
}

/// The story of one filing: a settlement refused for want of a filing; the insured region's
/// agency files one; the next settlement uses it (its trace names the filing); it is cancelled;
/// settlements are listed and shown by both regions and hidden from a third; and after a restart
/// the filing, with who changed it and when, is still there.
#[test]
fn filing_changes_the_next_settlement() {
    let db = TempDb::new("filing");
    let tokens = issue_tokens(&db.0);
    let clock = hub_clock();
    let mut w = World::start(&db.0, Arc::new(demo_pack()), clock.clone());
    let pack = demo_pack();
    let (person, facility) = unfiled_pair(&pack, clock.now());
    let (psn_no, fac) = (person.person.psn_no.clone(), facility.code.to_string());

    let sign = w.call(&fac, "9001", json!({"signIn": {"opter_no": "T01"}}));
    assert_eq!(sign["infcode"], 0, "{sign}");
    let (mdtrt_1, total_1) = open_visit(&mut w, person, facility, "MZ-A1", 5, 1);
    let refused = settle(&mut w, person, &fac, &mdtrt_1, total_1, false);
    assert_eq!(refused["err_code"], "filing_required", "{refused}");

    let today = clock.now().date();
    bad_filings_are_refused(&w, &tokens, &psn_no, today);
    let good = json!({"category": "other_temporary", "mdtrtarea_admvs": SHANGHAI, "begndate": today.to_string(),
                      "enddate": today.add_days(200).to_string()});
    let filed_at = clock.now();
    let path = format!("/api/agency/persons/{psn_no}/filings");
    let filing = w.post(&path, Some(&tokens.beijing), &good).expect(200);
    let filing_id = filing["filing_id"].as_str().unwrap().to_string();
    assert!(filing_id.starts_with("BA110000"), "{filing}");
    assert_eq!(filing["origin"], "agency");
    assert_eq!(filing["created_by"], "北京医保中心-张");
    assert_eq!(filing["filed_at"], filed_at.to_string());
    assert_eq!(filing["changed_at"], filed_at.to_string());

    // The next settlement (a second later: a filing counts once made before the settlement).
    clock.advance_millis(1_000);
    let settled = settle(&mut w, person, &fac, &mdtrt_1, total_1, false);
    assert_eq!(settled["infcode"], 0, "{settled}");
    let setl_1 = settled["output"]["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    clock.advance_millis(60_000);
    let (mdtrt_2, total_2) = open_visit(&mut w, person, facility, "MZ-A2", 5, 1);
    let settled = settle(&mut w, person, &fac, &mdtrt_2, total_2, false);
    let setl_2 = settled["output"]["setlinfo"]["setl_id"].as_str().unwrap().to_string();

    let detail = w.get(&format!("/api/agency/settlements/{setl_1}"), Some(&tokens.beijing)).expect(200);
    let trace = detail["trace"].as_array().unwrap();
    assert!(
        trace.iter().any(|l| l.as_str().unwrap().contains(&filing_id)),
        "the trace names the filing: {trace:?}"
    );
    assert_eq!(detail["settlement"]["side"], "insured");
    assert_eq!(detail["settlement"]["certno"], person.person.certno.as_str());
    assert_eq!(detail["output"]["setlinfo"]["setl_id"], setl_1.as_str());
    assert!(detail.to_string().contains(person.person.certno.as_str()), "insured side sees the identity");

    cancel_and_check(&w, &tokens, &psn_no, &filing_id, clock.now());
    query_settlements(&w, &tokens, &psn_no, &fac, [&setl_2, &setl_1], clock.now());

    // Durable: a restart keeps the filing, its cancellation and who did both.
    let w = w.restart();
    let person_view = w.get(&format!("/api/agency/persons/{psn_no}"), Some(&tokens.beijing)).expect(200);
    let kept = person_view["filings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filing_id"] == filing_id.as_str())
        .unwrap();
    assert_eq!(kept["created_by"], "北京医保中心-张");
    assert_eq!(kept["changed_by"], "北京医保中心-张");
    assert!(kept["cancelled_at"].is_string(), "{kept}");
    let again = w.get(&format!("/api/agency/settlements/{setl_1}"), Some(&tokens.shanghai)).expect(200);
    assert_eq!(again["settlement"]["setl_id"], setl_1.as_str());
}

/// Every problem of a filing is listed; a county area and a nationwide long-term filing are
/// refused as the pack loader refuses them; another region cannot file for the person.
fn bad_filings_are_refused(w: &World, tokens: &Tokens, psn_no: &str, today: yidi_domain::Date) {
    let bad = json!({"category": "long_stay", "mdtrtarea_admvs": "310104", "begndate": today.to_string(),
                     "enddate": today.add_days(-1).to_string(), "note": 1});
    let path = format!("/api/agency/persons/{psn_no}/filings");
    let v = w.post(&path, Some(&tokens.beijing), &bad).expect(400);
    assert_eq!(v["problems"].as_array().unwrap().len(), 1, "unknown field first: {v}");
    let bad = json!({"category": "long_stay", "mdtrtarea_admvs": "310104", "begndate": today.to_string(),
                     "enddate": today.add_days(-1).to_string()});
    let v = w.post(&path, Some(&tokens.beijing), &bad).expect(400);
    let fields: Vec<&str> =
        v["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["category", "enddate"], "{v}");
    let county =
        json!({"category": "other_temporary", "mdtrtarea_admvs": "310104", "begndate": today.to_string()});
    let v = w.post(&path, Some(&tokens.beijing), &county).expect(400);
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("县级"), "{v}");
    let country =
        json!({"category": "posted_worker", "mdtrtarea_admvs": "000000", "begndate": today.to_string()});
    let v = w.post(&path, Some(&tokens.beijing), &country).expect(400);
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("临时外出"), "{v}");
    let good = json!({"category": "other_temporary", "mdtrtarea_admvs": SHANGHAI, "begndate": today.to_string(),
                      "enddate": today.add_days(200).to_string()});
    let v = w.post(&path, Some(&tokens.shanghai), &good).expect(404);
    assert_eq!(v["code"], "person_not_found");
}

/// Cancelling: by the insured region only (another gets 404), once (then 409), and visible on the
/// person with who and when.
fn cancel_and_check(w: &World, tokens: &Tokens, psn_no: &str, filing_id: &str, now: DateTime) {
    let path = format!("/api/agency/filings/{filing_id}/cancel");
    assert_eq!(w.post(&path, Some(&tokens.shanghai), &json!({})).expect(404)["code"], "filing_not_found");
    let cancelled = w.post(&path, Some(&tokens.beijing), &json!({})).expect(200);
    assert_eq!(cancelled["cancelled_at"], now.to_string());
    assert_eq!(cancelled["changed_by"], "北京医保中心-张");
    let twice = w.post(&path, Some(&tokens.beijing), &json!({})).expect(409);
    assert_eq!(twice["code"], "filing_already_cancelled");
    let unknown = w.post("/api/agency/filings/NO-SUCH/cancel", Some(&tokens.beijing), &json!({})).expect(404);
    assert_eq!(unknown["code"], "filing_not_found");
    let person = w.get(&format!("/api/agency/persons/{psn_no}"), Some(&tokens.beijing)).expect(200);
    let filing =
        person["filings"].as_array().unwrap().iter().find(|f| f["filing_id"] == filing_id).unwrap().clone();
    assert_eq!(filing["cancelled_at"], now.to_string());
    assert_eq!(filing["created_by"], "北京医保中心-张");
}

/// Both regions of a settlement list and show it (the treatment side masked); a third region sees
/// nothing; filters and paging select as documented.
fn query_settlements(
    w: &World,
    tokens: &Tokens,
    psn_no: &str,
    fac: &str,
    newest_first: [&str; 2],
    now: DateTime,
) {
    let list = |token: &str, query: &str| {
        w.get(&format!("/api/agency/settlements?{query}"), Some(token)).expect(200)
    };
    let ids =
        |v: &Value| v["items"].as_array().unwrap().iter().map(|r| r["setl_id"].clone()).collect::<Vec<_>>();
    let both: Vec<Value> = newest_first.iter().map(|s| json!(s)).collect();

    let beijing = list(&tokens.beijing, "");
    assert_eq!((beijing["total"].as_u64(), ids(&beijing)), (Some(2), both.clone()), "{beijing}");
    let row = &beijing["items"][0];
    assert_eq!(row["side"], "insured");
    assert_eq!(row["psn_no"], psn_no);
    assert!(row["certno"].as_str().unwrap().contains('*'), "lists are masked: {row}");
    assert!(row["medfee_sumamt"].as_str().unwrap().contains('.'), "amounts are text");
    let shanghai = list(&tokens.shanghai, "");
    assert_eq!(ids(&shanghai), both);
    assert_eq!(shanghai["items"][0]["side"], "treatment");
    let nanjing = list(&tokens.nanjing, "");
    assert_eq!(nanjing["total"], 0);

    let page_2 = list(&tokens.beijing, "page=2&page_size=1");
    assert_eq!((page_2["total"].as_u64(), ids(&page_2)), (Some(2), vec![both[1].clone()]));
    assert_eq!(ids(&list(&tokens.beijing, &format!("psn_no={psn_no}&fixmedins_code={fac}"))), both);
    assert_eq!(list(&tokens.beijing, "fixmedins_code=H11010122305")["total"], 0);
    assert_eq!(list(&tokens.beijing, "status=reversed")["total"], 0);
    assert_eq!(list(&tokens.beijing, "status=settled")["total"], 2);
    let today = now.date();
    assert_eq!(list(&tokens.beijing, &format!("from={}&to={}", today, today))["total"], 2);
    assert_eq!(list(&tokens.beijing, &format!("from={}", today.add_days(1)))["total"], 0);
    assert_eq!(list(&tokens.beijing, &format!("to={}", today.add_days(-1)))["total"], 0);
    let bad = w.get("/api/agency/settlements?status=done&from=yesterday", Some(&tokens.beijing)).expect(400);
    assert_eq!(bad["problems"].as_array().unwrap().len(), 2, "{bad}");

    let setl = newest_first[1];
    let treated = w.get(&format!("/api/agency/settlements/{setl}"), Some(&tokens.shanghai)).expect(200);
    assert_eq!(treated["settlement"]["side"], "treatment");
    assert!(!treated["trace"].as_array().unwrap().is_empty());
    let psn_certno = treated["output"]["setlinfo"]["certno"].as_str().unwrap().to_string();
    assert!(psn_certno.contains("***********"), "the treatment side sees a masked identity: {psn_certno}");
    let hidden = w.get(&format!("/api/agency/settlements/{setl}"), Some(&tokens.nanjing)).expect(404);
    assert_eq!(hidden["code"], "settlement_not_found");
    let unknown = w.get("/api/agency/settlements/NO-SUCH", Some(&tokens.nanjing)).expect(404);
    assert_eq!(unknown["message"], hidden["message"].as_str().unwrap().replace(setl, "NO-SUCH"));
}

/// A bad pack is refused whole with every problem (file and line) and nothing saved; the demo
/// pack is saved and said to apply after a restart; a second upload is "unchanged".
#[test]
fn pack_upload_lists_problems_and_saves_only_good_packs() {
    let db = TempDb::new("packs");
    let tokens = issue_tokens(&db.0);
    let w = World::start(&db.0, Arc::new(demo_pack()), hub_clock());
    let bad = json!({
        "pooling_regions.csv": "admdvs,name,open_inpatient,open_outpatient,open_chronic,open_as_insured,open_as_treatment\n99999,无名,Y,Y,Y,Y,Y\n",
        "persons.csv": "psn_no\nP1\n",
    });
    let v = w.post("/api/agency/packs", Some(&tokens.beijing), &bad).expect(422);
    assert_eq!(v["code"], "pack_rejected");
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.len() >= 2, "every problem: {v}");
    assert!(problems.iter().all(|p| p["file"].is_string() && p["line"].is_u64() && p["message"].is_string()));
    assert!(problems.iter().any(|p| p["file"] == "pooling_regions.csv"), "{v}");
    assert!(problems.iter().any(|p| p["file"] == "persons.csv"), "{v}");
    assert_eq!(w.store.latest_pack().unwrap(), None, "nothing saved");

    let not_text = w.post("/api/agency/packs", Some(&tokens.beijing), &json!({"persons.csv": 1})).expect(400);
    assert_eq!(not_text["problems"][0]["field"], "persons.csv");
    let not_object = w.post("/api/agency/packs", Some(&tokens.beijing), &json!(["persons.csv"])).expect(400);
    assert_eq!(not_object["code"], "invalid_request");

    let files = yidi_refdata::PackFiles::read_dir(&demo_dir()).unwrap();
    let upload: serde_json::Map<String, Value> =
        files.iter().map(|(p, t)| (p.to_string(), json!(t))).collect();
    let saved =
        w.post("/api/agency/packs", Some(&tokens.beijing), &Value::Object(upload.clone())).expect(200);
    assert_eq!(saved["saved"], true);
    assert!(saved["message"].as_str().unwrap().contains("重启"), "{saved}");
    let stored = w.store.latest_pack().unwrap().expect("saved");
    assert_eq!(stored.len(), files.len());
    let again = w.post("/api/agency/packs", Some(&tokens.beijing), &Value::Object(upload)).expect(200);
    assert_eq!(again["saved"], false);
}

/// The OpenAPI document parses and lists every agency route and `callService`; the docs page is
/// HTML that reads it and loads nothing from another origin; `/metrics` counts agency requests.
#[test]
fn docs_and_metrics() {
    let db = TempDb::new("docs");
    let tokens = issue_tokens(&db.0);
    let w = World::start(&db.0, Arc::new(demo_pack()), hub_clock());
    let answer = w.get("/api/openapi.json", None);
    assert!(answer.header("content-type").unwrap().starts_with("application/json"));
    let doc = answer.expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/agency/persons", "get"),
        ("/api/agency/persons/{psn_no}", "get"),
        ("/api/agency/persons/{psn_no}/filings", "post"),
        ("/api/agency/filings/{filing_id}/cancel", "post"),
        ("/api/agency/settlements", "get"),
        ("/api/agency/settlements/{setl_id}", "get"),
        ("/api/agency/packs", "post"),
        ("/fsi/api/callService", "post"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} documented");
    }
    // Every documented agency path answers (401 without a token, not 404 or 405).
    for (path, ops) in paths.iter().filter(|(p, _)| p.starts_with("/api/agency/")) {
        let concrete = path.replace("{psn_no}", "P1").replace("{filing_id}", "F1").replace("{setl_id}", "S1");
        for method in ops.as_object().unwrap().keys() {
            let answer = http(w.addr, &method.to_uppercase(), &concrete, &json_headers(None), b"{}");
            assert_eq!(answer.status, 401, "{method} {concrete}");
        }
    }

    let page = w.get("/api/docs", None);
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'self'"));
    let html = page.body.to_ascii_lowercase();
    assert!(html.contains("/api/openapi.json") && page.body.contains("经办机构"));
    for external in ["http://", "https://", "src=\"//", "href=\"//", "@import", "url("] {
        assert!(!html.contains(external), "the docs page references {external}");
    }

    w.get("/api/agency/persons", Some(&tokens.beijing)).expect(200);
    let metrics = w.get("/metrics", None);
    for line in [
        r#"yidi_http_requests_total{infno="agency_persons",status="200"} 1"#,
        r#"yidi_http_request_duration_seconds_count{infno="agency_persons"} "#,
        r#"yidi_refusals_total{source="edge",err_code="unauthorized"} "#,
    ] {
        assert!(metrics.body.lines().any(|l| l.starts_with(line)), "missing {line}:\n{}", metrics.body);
    }
}
