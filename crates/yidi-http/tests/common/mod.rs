//! The harness the HTTP tests share: a raw HTTP/1.1 client (`http`, `Answer`), throwaway SQLite
//! files, gateway signatures, the demo pack, a server on 127.0.0.1 (`Server`) and the hub world
//! behind it (`World`, hub clock moved by hand), agency tokens, and the persons, hospitals and fee
//! lines of an outpatient visit through the national interface.
#![allow(dead_code)] // Each test binary uses only part of the harness.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};
use yidi_domain::{BenefitKind, ChrgitmLv, DateTime, Facility, Fen, Pack, PersonRecord, Qty, line_fen};
use yidi_http::agency::{AgencyApi, AgencySource};
use yidi_http::auth::FacilityWindows;
use yidi_http::credentials::{CredentialBook, add_agency};
use yidi_http::crypto;
use yidi_http::people::People;
use yidi_http::server::{App, Dispatch, serve_until};
use yidi_hub::{Clock, Hub, HubConfig, ManualClock, SystemClock};
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/demo")
}

pub fn demo_pack() -> Pack {
    yidi_refdata::load_pack(&demo_dir()).expect("demo pack loads")
}

/// A clock moved by hand, starting at the present moment.
pub fn hub_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(SystemClock.now()))
}

/// A database file of its own, removed (with its WAL) when dropped.
pub struct TempDb(pub PathBuf);

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempDb(std::env::temp_dir().join(format!("yidi-http-{}-{n}-{name}.db", std::process::id())))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// One HTTP/1.1 exchange over a fresh connection: status, headers (lowercase names), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The answer must have `status`; its JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.json()
    }

    /// The `Set-Cookie` header setting cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.headers
            .iter()
            .find(|(n, v)| n == "set-cookie" && v.starts_with(&prefix))
            .map(|(_, v)| v.as_str())
    }

    /// The value this answer sets cookie `name` to.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let pair = self.set_cookie(name)?.split(';').next()?;
        Some(pair[name.len() + 1..].to_string())
    }
}

/// Sends one request over a fresh connection and reads the whole answer.
pub fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before taking the whole body.
    let _ = stream.write_all(body);
    read_answer(&mut stream)
}

/// Runs `f(0)`, …, `f(n - 1)` on threads of their own, released together by a barrier so that
/// their requests reach the server at the same time; the results in index order.
pub fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a request thread")).collect()
    })
}

/// Reads an answer until the server closes the connection.
pub fn read_answer(stream: &mut TcpStream) -> Answer {
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

/// A JSON content type and, with a token, `Authorization: Bearer`.
pub fn json_headers(token: Option<&str>) -> Vec<(String, String)> {
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(token) = token {
        headers.push(("authorization".to_string(), format!("Bearer {token}")));
    }
    headers
}

/// The gateway headers (`x-tif-*`) of facility `code` signed with `token`, a fresh nonce each call.
pub fn gateway_headers(code: &str, token: &str) -> Vec<(String, String)> {
    static NONCE: AtomicU32 = AtomicU32::new(0);
    let nonce = format!("t{}-{}", std::process::id(), NONCE.fetch_add(1, Ordering::Relaxed));
    let ts =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    vec![
        ("x-tif-paasid".to_string(), format!("yidi_{code}")),
        ("x-tif-timestamp".to_string(), ts.clone()),
        ("x-tif-signature".to_string(), crypto::signature(&ts, token, &nonce)),
        ("x-tif-nonce".to_string(), nonce),
    ]
}

/// A JSON national call's headers, signed with the facility's demo credential.
pub fn signed(facility: &str) -> Vec<(String, String)> {
    let mut headers = json_headers(None);
    headers.extend(gateway_headers(facility, &crypto::demo_facility_token(facility)));
    headers
}

/// Percent-encodes all but ASCII letters and digits.
pub fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// An agency token issued the way `yidi agency add` does (before the server starts).
pub fn agency_token(db: &Path, name: &str, admdvs: &str) -> String {
    let store = SqliteStore::open(db).unwrap();
    let now = DateTime::parse("2025-01-01 00:00:00").unwrap();
    add_agency(&store, name, yidi_domain::DivisionCode::parse(admdvs).unwrap(), now).unwrap().token
}

/// A server on a free port of 127.0.0.1, on a runtime in a thread of its own; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn spawn<D: Dispatch>(app: Arc<App<D>>) -> Server {
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
        Server { addr, stop: Some(stop), thread: Some(thread) }
    }

    /// Stops accepting, lets requests in flight finish and waits for the server to end.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Makes the store the people's service uses from the world's SQLite store (a test wraps it to
/// hold or fail some calls); the hub and the agency API keep the SQLite store itself.
pub type PeopleStore = Arc<dyn Fn(Arc<SqliteStore>) -> Arc<dyn Store> + Send + Sync>;

/// The real hub on a real SQLite file with its agency API (and optionally the people's service)
/// behind a real server; the hub's clock is moved by hand, the gateway's is the system's.
pub struct World {
    /// First, so that the server stops before the rest is dropped.
    server: Server,
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub pack: Arc<Pack>,
    pub store: Arc<SqliteStore>,
    pub hub: Arc<Hub>,
    /// The server's agency API, to reload its tokens as the periodic refresh would.
    pub agency: Arc<AgencyApi>,
    pub clock: Arc<ManualClock>,
    people_clock: Option<Arc<dyn Clock>>,
    people_store: Option<PeopleStore>,
    /// National calls made so far: each numbers its `msgid`.
    pub msgids: u32,
}

impl World {
    /// The hub and the agency API over the file `db`.
    pub fn start(db: &Path, pack: Arc<Pack>, clock: Arc<ManualClock>) -> World {
        World::launch(db, pack, clock, None, None)
    }

    /// The hub, the agency API and the people's service (person API and pages), whose sessions
    /// and limits run on `people_clock`.
    pub fn with_people(
        db: &Path,
        pack: Arc<Pack>,
        clock: Arc<ManualClock>,
        people_clock: Arc<dyn Clock>,
    ) -> World {
        World::launch(db, pack, clock, Some(people_clock), None)
    }

    /// `with_people`, the people's service on the store `people_store` makes (kept on restart).
    pub fn with_people_store(
        db: &Path,
        pack: Arc<Pack>,
        clock: Arc<ManualClock>,
        people_clock: Arc<dyn Clock>,
        people_store: PeopleStore,
    ) -> World {
        World::launch(db, pack, clock, Some(people_clock), Some(people_store))
    }

    /// `with_people` on the demo pack, everything on one hub clock starting now.
    pub fn demo(db: &Path) -> World {
        let clock = hub_clock();
        World::with_people(db, Arc::new(demo_pack()), clock.clone(), clock)
    }

    fn launch(
        db: &Path,
        pack: Arc<Pack>,
        clock: Arc<ManualClock>,
        people_clock: Option<Arc<dyn Clock>>,
        people_store: Option<PeopleStore>,
    ) -> World {
        let store = Arc::new(SqliteStore::open(db).expect("store opens"));
        let hub_clock: Arc<dyn Clock> = clock.clone();
        let hub = Arc::new(Hub::start(HubConfig::default(), store.clone(), pack.clone(), hub_clock).unwrap());
        let source = AgencySource { store: store.clone(), demo_regions: None };
        let agency = AgencyApi::new(hub.clone(), source).expect("agency book loads");
        let mut book = CredentialBook::default();
        book.add_demo(pack.refdata.facilities.keys());
        let edge_clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let windows = FacilityWindows::from_pack(&pack);
        let mut app = App::new(hub.clone(), book, windows, edge_clock, true).with_agency(agency);
        if let Some(people_clock) = &people_clock {
            let accounts: Arc<dyn Store> = match &people_store {
                Some(make) => make(store.clone()),
                None => store.clone(),
            };
            app = app.with_people(Arc::new(People::new(hub.clone(), accounts, people_clock.clone())));
        }
        let app = Arc::new(app);
        let agency = app.agency().expect("the agency API is on").clone();
        let server = Server::spawn(app);
        let addr = server.addr;
        World {
            server,
            addr,
            db: db.to_path_buf(),
            pack,
            store,
            hub,
            agency,
            clock,
            people_clock,
            people_store,
            msgids: 0,
        }
    }

    /// Stops the server and the hub and starts both again over the same file; national calls go
    /// on numbering their `msgid`s.
    pub fn restart(self) -> World {
        let World { server, db, pack, store, hub, agency, clock, people_clock, people_store, msgids, .. } =
            self;
        drop(server);
        drop((agency, hub, store));
        let mut w = World::launch(&db, pack, clock, people_clock, people_store);
        w.msgids = msgids;
        w
    }

    /// One national call from `facility`, signed with its demo credential; the parsed answer,
    /// which must be a 200.
    pub fn call(&mut self, facility: &str, infno: &str, input: Value) -> Value {
        self.msgids += 1;
        let msgid = format!("{facility}{:018}", self.msgids);
        let now = self.clock.now().to_string();
        let body = json!({"infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &facility[1..3]),
            "opter_type": "1", "opter": "T01", "opter_name": "测试收费员", "inf_time": now,
            "fixmedins_code": facility, "fixmedins_name": "测试医院", "input": input});
        let answer =
            http(self.addr, "POST", "/fsi/api/callService", &signed(facility), body.to_string().as_bytes());
        assert_eq!(answer.status, 200, "{infno}: {}", answer.body);
        answer.json()
    }
}

/// The employees (insutype 310) insured in `province`, by `psn_no` (the pack's key).
pub fn employees<'p>(pack: &'p Pack, province: &str) -> Vec<&'p PersonRecord> {
    pack.persons
        .values()
        .filter(|r| {
            r.person.insuplc.province().to_string() == province && r.person.insutype.as_str() == "310"
        })
        .collect()
}

/// The employees insured in the pooling region `insuplc` without any filing, by `psn_no`.
pub fn unfiled_employees<'p>(pack: &'p Pack, insuplc: &str) -> Vec<&'p PersonRecord> {
    pack.persons
        .values()
        .filter(|r| {
            r.person.insuplc.to_string() == insuplc
                && r.person.insutype.as_str() == "310"
                && r.filings.is_empty()
        })
        .collect()
}

/// The first hospital by code starting with `prefix` (`H31`: Shanghai) of level 2 or above, open
/// for outpatient care and in force `now`.
pub fn hospital<'p>(pack: &'p Pack, now: DateTime, prefix: &str) -> &'p Facility {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    facilities
        .into_iter()
        .find(|f| {
            f.code.as_str().starts_with(prefix)
                && f.open_for(BenefitKind::Outpatient)
                && f.level >= 2
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        })
        .unwrap_or_else(|| panic!("an open {prefix} hospital"))
}

/// `count` unrestricted 甲/乙 rows of the facility's province catalog, by code, `units` of each
/// at the row's sample price, as fee lines of visit `mdtrt_id`; and their total.
pub fn fee_lines(
    pack: &Pack,
    facility: &Facility,
    now: DateTime,
    mdtrt_id: &str,
    psn_no: &str,
    count: usize,
    units: i64,
) -> (Vec<Value>, Fen) {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let mut total = Fen::ZERO;
    let lines = catalog
        .unrestricted(now.date())
        .into_iter()
        .filter(|row| row.lv != ChrgitmLv::C)
        .take(count)
        .enumerate()
        .map(|(n, row)| {
            let (cnt, pric) = (Qty::from_units(units), row.sample_price());
            let amount = line_fen(cnt, pric);
            total += amount;
            json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "CB1",
                   "fee_ocur_time": now.to_string(), "med_list_codg": row.code, "medins_list_codg": row.code,
                   "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()})
        })
        .collect();
    (lines, total)
}

/// Fee lines as a receipt for manual reimbursement lists them.
pub fn receipt(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| json!({"feedetl_sn": l["feedetl_sn"], "med_list_codg": l["med_list_codg"], "cnt": l["cnt"],
            "pric": l["pric"], "det_item_fee_sumamt": l["det_item_fee_sumamt"], "fee_ocur_time": l["fee_ocur_time"]}))
        .collect()
}

/// Registers an outpatient visit (2201, 2203 for I10) and uploads `count` fee lines of `units`
/// each (2204): the `mdtrt_id` and the total, or the refused step and its answer.
pub fn try_open_visit(
    w: &mut World,
    p: &PersonRecord,
    facility: &Facility,
    visit_no: &str,
    count: usize,
    units: i64,
) -> Result<(String, Fen), (&'static str, Value)> {
    let now = w.clock.now();
    let (code, p) = (facility.code.as_str(), &p.person);
    let reg = w.call(
        code,
        "2201",
        json!({"data": {"psn_no": p.psn_no, "insutype": "310", "begntime": now.to_string(),
        "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(), "ipt_otp_no": visit_no}}),
    );
    if reg["infcode"] != 0 {
        return Err(("2201", reg));
    }
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().unwrap().to_string();
    let info = w.call(
        code,
        "2203",
        json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "med_type": "11",
        "begntime": now.to_string(), "dise_codg": "I10"}}),
    );
    if info["infcode"] != 0 {
        return Err(("2203", info));
    }
    let (lines, total) = fee_lines(&w.pack, facility, now, &mdtrt_id, &p.psn_no, count, units);
    let up = w.call(code, "2204", json!({"feedetail": lines}));
    if up["infcode"] != 0 {
        return Err(("2204", up));
    }
    Ok((mdtrt_id, total))
}

/// `try_open_visit`, which must succeed.
#[track_caller]
pub fn open_visit(
    w: &mut World,
    p: &PersonRecord,
    facility: &Facility,
    visit_no: &str,
    count: usize,
    units: i64,
) -> (String, Fen) {
    match try_open_visit(w, p, facility, visit_no, count, units) {
        Ok(visit) => visit,
        Err((step, answer)) => panic!("{step}: {answer}"),
    }
}

/// `open_visit`, then its settlement without the personal account; the 2207 answer.
#[track_caller]
pub fn visit_and_settle(
    w: &mut World,
    p: &PersonRecord,
    facility: &Facility,
    visit_no: &str,
    count: usize,
    units: i64,
) -> Value {
    let (mdtrt_id, total) = open_visit(w, p, facility, visit_no, count, units);
    settle(w, p, facility.code.as_str(), &mdtrt_id, total, false)
}

/// Settles an open visit (2207), with or without the personal account; the answer.
pub fn settle(
    w: &mut World,
    p: &PersonRecord,
    facility: &str,
    mdtrt_id: &str,
    total: Fen,
    acct_used: bool,
) -> Value {
    let p = &p.person;
    let acct_used_flag = if acct_used { "1" } else { "0" };
    w.call(facility, "2207", json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(),
        "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1",
        "acct_used_flag": acct_used_flag, "insutype": "310"}}))
}
