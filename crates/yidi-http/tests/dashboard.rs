//! The agency dashboards at their HTTP boundary, over the real hub on a real SQLite file and a
//! real server on 127.0.0.1: sign-in with CSRF and a limit on failures, pages with their SVG
//! charts, CSV exports (BOM, quoting, content type), and region scope: another region's agency
//! sees neither this region's figures nor its persons.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};
use yidi_domain::{
    BenefitKind, ChrgitmLv, DateTime, Facility, Fen, Pack, PersonRecord, Price, Qty, line_fen,
};
use yidi_http::agency::{AgencyApi, AgencySource};
use yidi_http::auth::FacilityWindows;
use yidi_http::credentials::{CredentialBook, add_agency};
use yidi_http::crypto;
use yidi_http::limits::SIGN_IN_FAILURES_MAX;
use yidi_http::people::People;
use yidi_http::server::{App, serve_until};
use yidi_hub::{Clock, Hub, HubConfig, ManualClock, SystemClock};
use yidi_store_sqlite::SqliteStore;

const SHANGHAI: &str = "310000";
const BEIJING: &str = "110000";
const LANGFANG: &str = "131000";

fn demo_pack() -> Pack {
    yidi_refdata::load_pack(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/demo"))
        .expect("demo pack")
}

/// A database file of its own, removed (with its WAL) when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempDb(std::env::temp_dir().join(format!("yidi-dash-{}-{n}-{name}.db", std::process::id())))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

struct World {
    addr: SocketAddr,
    clock: Arc<ManualClock>,
    pack: Arc<Pack>,
    /// The server's agency API, to reload its tokens as the periodic refresh would.
    agency: Arc<AgencyApi>,
    db: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    msgids: u32,
}

impl World {
    fn start(db: &Path) -> World {
        let pack = Arc::new(demo_pack());
        let clock = Arc::new(ManualClock::at(SystemClock.now()));
        let store = Arc::new(SqliteStore::open(db).expect("store opens"));
        let hub_clock: Arc<dyn Clock> = clock.clone();
        let hub = Arc::new(Hub::start(HubConfig::default(), store.clone(), pack.clone(), hub_clock).unwrap());
        let store_for_people: Arc<dyn yidi_store::Store> = store.clone();
        let agency = AgencyApi::new(hub.clone(), AgencySource { store, demo_regions: None }).unwrap();
        let mut book = CredentialBook::default();
        book.add_demo(pack.refdata.facilities.keys());
        let edge_clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let windows = FacilityWindows::from_pack(&pack);
        let people_clock: Arc<dyn Clock> = clock.clone();
        let people = Arc::new(People::new(hub.clone(), store_for_people, people_clock));
        let app =
            Arc::new(App::new(hub, book, windows, edge_clock, true).with_agency(agency).with_people(people));
        let agency = app.agency().expect("the agency API is on").clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                addr_tx.send(listener.local_addr()?).expect("the test waits for the address");
                serve_until(listener, app, async {
                    let _ = stop_rx.await;
                })
                .await
            })
        });
        let addr = addr_rx.recv().unwrap();
        World {
            addr,
            clock,
            pack,
            agency,
            db: db.to_path_buf(),
            stop: Some(stop),
            thread: Some(thread),
            msgids: 0,
        }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        http(self.addr, "GET", path, headers, b"")
    }

    fn post_form(&self, path: &str, headers: &[(&str, &str)], form: &str) -> Answer {
        let mut h = headers.to_vec();
        h.push(("content-type", "application/x-www-form-urlencoded"));
        http(self.addr, "POST", path, &h, form.as_bytes())
    }

    /// One national call from `facility`, signed with its demo credential.
    fn call(&mut self, facility: &str, infno: &str, input: Value) -> Value {
        self.msgids += 1;
        let msgid = format!("{facility}{:018}", self.msgids);
        let body = json!({"infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &facility[1..3]),
            "opter_type": "1", "opter": "T01", "opter_name": "测试收费员", "inf_time": self.clock.now().to_string(),
            "fixmedins_code": facility, "fixmedins_name": "测试医院", "input": input});
        static NONCE: AtomicU32 = AtomicU32::new(0);
        let nonce = format!("dash{}-{}", std::process::id(), NONCE.fetch_add(1, Ordering::Relaxed));
        let ts =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
        let token = crypto::demo_facility_token(facility);
        let paasid = format!("yidi_{facility}");
        let signature = crypto::signature(&ts, &token, &nonce);
        let headers = [
            ("content-type", "application/json"),
            ("x-tif-paasid", paasid.as_str()),
            ("x-tif-timestamp", ts.as_str()),
            ("x-tif-signature", signature.as_str()),
            ("x-tif-nonce", nonce.as_str()),
        ];
        let answer = http(self.addr, "POST", "/fsi/api/callService", &headers, body.to_string().as_bytes());
        assert_eq!(answer.status, 200, "{infno}: {}", answer.body);
        serde_json::from_str(&answer.body).unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    /// The value of a cookie this answer sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer { status, headers, body: body.to_string() }
}

struct Tokens {
    shanghai: String,
    beijing: String,
}

fn issue_tokens(db: &Path) -> Tokens {
    let store = SqliteStore::open(db).unwrap();
    let now = DateTime::parse("2025-01-01 00:00:00").unwrap();
    let add = |name: &str, admdvs: &str| {
        add_agency(&store, name, yidi_domain::DivisionCode::parse(admdvs).unwrap(), now).unwrap().token
    };
    Tokens {
        shanghai: add("上海医保中心-李", SHANGHAI), beijing: add("北京医保中心-张", BEIJING)
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
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
    let set =
        answer.headers.iter().find(|(n, v)| n == "set-cookie" && v.starts_with("yidi_agency=")).unwrap();
    assert!(set.1.contains("HttpOnly") && set.1.contains("SameSite=Strict"), "{}", set.1);
    format!("yidi_agency={}", answer.cookie("yidi_agency").unwrap())
}

/// An unfiled in-service employee insured in `region`.
fn person<'p>(pack: &'p Pack, region: &str) -> &'p PersonRecord {
    let mut persons: Vec<&PersonRecord> = pack
        .persons
        .values()
        .filter(|r| {
            r.person.insuplc.to_string() == region
                && r.person.insutype.as_str() == "310"
                && r.person.psn_group.as_str() == "in_service"
                && r.filings.is_empty()
                && r.person.assist_class.is_none()
        })
        .collect();
    persons.sort_by(|a, b| a.person.psn_no.cmp(&b.person.psn_no));
    persons[0]
}

fn shanghai_hospital(pack: &Pack, now: DateTime) -> Facility {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    facilities
        .into_iter()
        .find(|f| {
            f.code.as_str().starts_with("H31")
                && f.open_for(BenefitKind::Outpatient)
                && f.level >= 2
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        })
        .expect("an open Shanghai hospital")
        .clone()
}

/// One outpatient settlement through the protocol; its `fund_pay_sumamt` (or the refusal).
fn settle(w: &mut World, p: &PersonRecord, fac: &Facility, visit_no: &str) -> Value {
    let now = w.clock.now();
    let (psn_no, certno, code) =
        (p.person.psn_no.clone(), p.person.certno.as_str().to_string(), fac.code.to_string());
    let reg = w.call(
        &code,
        "2201",
        json!({"data": {"psn_no": psn_no, "insutype": "310", "begntime": now.to_string(),
        "mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "ipt_otp_no": visit_no}}),
    );
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().expect("registered").to_string();
    let info = w.call(
        &code,
        "2203",
        json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11",
        "begntime": now.to_string(), "dise_codg": "I10"}}),
    );
    assert_eq!(info["infcode"], 0, "{info}");
    let catalog = &w.pack.refdata.catalogs[&fac.admdvs.province()];
    let mut codes: Vec<(String, String)> = catalog
        .items
        .iter()
        .filter_map(|(code, versions)| {
            let item = versions.iter().find(|i| yidi_domain::in_period(now.date(), i.begndate, i.enddate))?;
            let plain = item.lv != ChrgitmLv::C
                && item.lmt_med_types.is_empty()
                && item.lmt_min_level.is_none()
                && item.lmt_dise_prefix.is_none();
            plain.then(|| (code.clone(), item.price_cap.map_or_else(|| "25.00".to_string(), |c| c.yuan())))
        })
        .collect();
    codes.sort();
    let mut total = Fen::ZERO;
    let lines: Vec<Value> = codes
        .iter()
        .take(3)
        .enumerate()
        .map(|(n, (item, price))| {
            let (cnt, pric) = (Qty::from_units(20), Price::parse(price).unwrap());
            let amount = line_fen(cnt, pric);
            total += amount;
            json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "CB1",
                   "fee_ocur_time": now.to_string(), "med_list_codg": item, "medins_list_codg": item,
                   "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()})
        })
        .collect();
    let up = w.call(&code, "2204", json!({"feedetail": lines}));
    assert_eq!(up["infcode"], 0, "{up}");
    w.call(&code, "2207", json!({"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": certno,
        "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1",
        "acct_used_flag": "0", "insutype": "310"}}))
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
/// `SIGN_IN_FAILURES_MAX` failures from one address (the people's limiter); a good token opens a session that signs out with its CSRF token.
#[test]
fn sign_in_is_required_checked_and_limited() {
    let db = TempDb::new("signin");
    let tokens = issue_tokens(&db.0);
    let w = World::start(&db.0);
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
    let w = World::start(&db.0);
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
    let mut w = World::start(&db.0);
    let pack = w.pack.clone();
    let now = w.clock.now();
    let fac = shanghai_hospital(&pack, now);
    let sign = w.call(fac.code.as_str(), "9001", json!({"signIn": {"opter_no": "T01"}}));
    assert_eq!(sign["infcode"], 0, "{sign}");
    let langfang = person(&pack, LANGFANG);
    let settled = settle(&mut w, langfang, &fac, "MZ-1");
    assert_eq!(settled["infcode"], 0, "{settled}");
    let fund = Fen::parse_yuan(&settled["output"]["setlinfo"]["fund_pay_sumamt"].to_string()).unwrap();
    let refused = settle(&mut w, person(&pack, BEIJING), &fac, "MZ-2");
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
    assert!(page.body.contains("启动以来"), "the page says refusals count since the hub started");
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
