//! The world the funds tests at the HTTP boundary share (`adjust.rs`, `clearing.rs`): the real hub
//! on a real SQLite file behind a real server on 127.0.0.1, the hub clock moved by hand, demo
//! credentials, agency tokens, and hospitals settling outpatient visits through the national
//! protocol. Each test binary uses part of it.
#![allow(dead_code)]

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
use yidi_http::server::{App, serve_until};
use yidi_hub::{Clock, Hub, HubConfig, ManualClock, SystemClock};
use yidi_store_sqlite::SqliteStore;

pub fn demo_pack() -> Pack {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/demo");
    yidi_refdata::load_pack(&dir).expect("demo pack loads")
}

/// A database file of its own, removed (with its WAL) when dropped.
pub struct TempDb(pub PathBuf);

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempDb(std::env::temp_dir().join(format!("yidi-funds-{}-{n}-{name}.db", std::process::id())))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// A running hub and server; the hub's clock is moved by hand, the gateway's is the system's.
pub struct World {
    pub addr: SocketAddr,
    pub hub: Arc<Hub>,
    pub clock: Arc<ManualClock>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub thread: Option<JoinHandle<std::io::Result<()>>>,
    pub msgids: u32,
    pub runtime: tokio::runtime::Runtime,
}

impl World {
    pub fn start(db: &Path, pack: Arc<Pack>, clock: Arc<ManualClock>, msgids: u32) -> World {
        let store = Arc::new(SqliteStore::open(db).expect("store opens"));
        let hub_clock: Arc<dyn Clock> = clock.clone();
        let hub = Arc::new(Hub::start(HubConfig::default(), store.clone(), pack.clone(), hub_clock).unwrap());
        let source = AgencySource { store: store.clone(), demo_regions: None };
        let agency = AgencyApi::new(hub.clone(), source).expect("agency book loads");
        let mut book = CredentialBook::default();
        book.add_demo(pack.refdata.facilities.keys());
        let edge_clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let windows = FacilityWindows::from_pack(&pack);
        let app = Arc::new(App::new(hub.clone(), book, windows, edge_clock, true).with_agency(agency));
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
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        World { addr, hub, clock, stop: Some(stop), thread: Some(thread), msgids, runtime }
    }

    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Answer {
        http(self.addr, "GET", path, &bearer(token), b"")
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        http(self.addr, "POST", path, &bearer(token), body.to_string().as_bytes())
    }

    pub fn ledger(&self) -> yidi_ledger::Ledger {
        self.runtime.block_on(self.hub.ledger()).expect("hub running")
    }

    /// One national call from `facility`, signed with its demo credential; the parsed answer.
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

impl Drop for World {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn bearer(token: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("authorization".to_string(), format!("Bearer {token}")),
    ]
}

pub fn signed(facility: &str) -> Vec<(String, String)> {
    static NONCE: AtomicU32 = AtomicU32::new(0);
    let nonce = format!("fw{}-{}", std::process::id(), NONCE.fetch_add(1, Ordering::Relaxed));
    let ts =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let token = crypto::demo_facility_token(facility);
    vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("x-tif-paasid".to_string(), format!("yidi_{facility}")),
        ("x-tif-timestamp".to_string(), ts.clone()),
        ("x-tif-signature".to_string(), crypto::signature(&ts, &token, &nonce)),
        ("x-tif-nonce".to_string(), nonce),
    ]
}

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
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.json()
    }
    /// The answer must be an error with `status` and `code`.
    pub fn refused(&self, status: u16, code: &str) -> Value {
        let v = self.expect(status);
        assert_eq!(v["code"], code, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {v}");
        v
    }
}

pub fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
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

/// An amount of a national answer or an agency view (a JSON number or yuan text) in fen.
pub fn fen(v: &Value) -> Fen {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not an amount: {other}"),
    };
    Fen::parse_yuan(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub struct Tokens {
    /// Beijing and Shanghai are province-level pooling regions: their tokens act for the province.
    pub beijing: String,
    pub shanghai: String,
    /// A region token of Jiangsu (reads its province, acts for nothing) and Jiangsu's province.
    pub nanjing: String,
    pub jiangsu: String,
}

pub fn issue_tokens(db: &Path) -> Tokens {
    let store = SqliteStore::open(db).unwrap();
    let now = DateTime::parse("2025-01-01 00:00:00").unwrap();
    let add = |name: &str, admdvs: &str| {
        let code = yidi_domain::DivisionCode::parse(admdvs).unwrap();
        add_agency(&store, name, code, now).unwrap().token
    };
    Tokens {
        beijing: add("北京市医保中心-清算", "110000"),
        shanghai: add("上海市医保中心-清算", "310000"),
        nanjing: add("南京医保中心-王", "320100"),
        jiangsu: add("江苏省医保中心-清算", "320000"),
    }
}

/// Five plain 甲/乙 lines of the facility's province catalog and their total.
pub fn fee_lines(
    pack: &Pack,
    facility: &Facility,
    now: DateTime,
    mdtrt_id: &str,
    psn_no: &str,
) -> (Vec<Value>, Fen) {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let mut codes: Vec<(&String, String)> = catalog
        .items
        .iter()
        .filter_map(|(code, versions)| {
            let item = versions.iter().find(|i| yidi_domain::in_period(now.date(), i.begndate, i.enddate))?;
            let plain = item.lv != ChrgitmLv::C
                && item.lmt_med_types.is_empty()
                && item.lmt_min_level.is_none()
                && item.lmt_dise_prefix.is_none();
            plain.then(|| (code, item.price_cap.map_or_else(|| "25.00".to_string(), |c| c.yuan())))
        })
        .collect();
    codes.sort();
    let mut total = Fen::ZERO;
    let lines = codes
        .iter()
        .take(5)
        .enumerate()
        .map(|(n, (code, price))| {
            let cnt = Qty::from_units(60);
            let pric = Price::parse(price).unwrap();
            let amount = line_fen(cnt, pric);
            total += amount;
            json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "CB1",
                   "fee_ocur_time": now.to_string(), "med_list_codg": code, "medins_list_codg": code,
                   "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()})
        })
        .collect();
    (lines, total)
}

/// One settled outpatient visit.
#[derive(Clone, Debug)]
pub struct Settled {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub facility: String,
    /// hifp + hifob + hifmi + maf of the 2207 answer.
    pub pooled: Fen,
    pub acct: Fen,
    pub medfee: Fen,
    pub fund: Fen,
    pub cash: Fen,
    pub inscp: Fen,
    pub hifp: Fen,
    pub visit_no: String,
}

/// Registers a visit, uploads its lines and settles it (2201, 2203, 2204, 2207); `None` when the
/// person cannot settle there directly (no filing, not open, …).
pub fn try_settle(w: &mut World, pack: &Pack, p: &PersonRecord, facility: &Facility) -> Option<Settled> {
    let now = w.clock.now();
    let code = facility.code.as_str().to_string();
    let person = &p.person;
    w.msgids += 1;
    let visit_no = format!("MZ{:08}", w.msgids);
    let reg = w.call(
        &code,
        "2201",
        json!({"data": {"psn_no": person.psn_no, "insutype": "310", "begntime": now.to_string(),
        "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno.as_str(), "ipt_otp_no": visit_no}}),
    );
    if reg["infcode"] != 0 {
        eprintln!("2201 {} at {code}: {}", person.psn_no, reg["err_msg"]);
        return None;
    }
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().unwrap().to_string();
    let info = w.call(
        &code,
        "2203",
        json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": "11",
        "begntime": now.to_string(), "dise_codg": "I10"}}),
    );
    if info["infcode"] != 0 {
        eprintln!("2203 {} at {code}: {}", person.psn_no, info["err_msg"]);
        return None;
    }
    let (lines, total) = fee_lines(pack, facility, now, &mdtrt_id, &person.psn_no);
    let up = w.call(&code, "2204", json!({"feedetail": lines}));
    if up["infcode"] != 0 {
        eprintln!("2204 {} at {code}: {}", person.psn_no, up["err_msg"]);
        return None;
    }
    let setl = w.call(&code, "2207", json!({"data": {"psn_no": person.psn_no, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": person.certno.as_str(), "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01",
        "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1", "acct_used_flag": "1", "insutype": "310"}}));
    if setl["infcode"] != 0 {
        eprintln!("{} at {code}: {}", person.psn_no, setl["err_msg"]);
        return None;
    }
    let i = &setl["output"]["setlinfo"];
    let pooled = ["hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay"].iter().map(|f| fen(&i[*f])).sum();
    Some(Settled {
        setl_id: i["setl_id"].as_str().unwrap().to_string(),
        mdtrt_id,
        psn_no: person.psn_no.clone(),
        facility: code,
        pooled,
        acct: fen(&i["acct_pay"]),
        medfee: fen(&i["medfee_sumamt"]),
        fund: fen(&i["fund_pay_sumamt"]),
        cash: fen(&i["psn_cash_pay"]),
        inscp: fen(&i["inscp_scp_amt"]),
        hifp: fen(&i["hifp_pay"]),
        visit_no,
    })
}

/// The employees insured in a province, by `psn_no`.
pub fn employees<'p>(pack: &'p Pack, province: &str) -> Vec<&'p PersonRecord> {
    let mut persons: Vec<&PersonRecord> = pack
        .persons
        .values()
        .filter(|r| {
            r.person.insuplc.province().to_string() == province && r.person.insutype.as_str() == "310"
        })
        .collect();
    persons.sort_by(|a, b| a.person.psn_no.cmp(&b.person.psn_no));
    persons
}

/// Settles `n` employees insured in `insured` (a province prefix) at open hospitals of the
/// `treatment` province, trying persons in order until `n` settle.
pub fn settle_many(
    w: &mut World,
    pack: &Pack,
    insured: &str,
    treatment: &str,
    n: usize,
    skip: usize,
) -> Vec<Settled> {
    let now = w.clock.now();
    let mut facilities: Vec<&Facility> = pack
        .refdata
        .facilities
        .values()
        .filter(|f| {
            f.code.as_str()[1..3] == treatment[..2]
                && f.code.as_str().starts_with('H')
                && f.open_for(BenefitKind::Outpatient)
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        })
        .collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    let persons = employees(pack, insured);
    let mut out = Vec::new();
    for (k, p) in persons.into_iter().skip(skip).enumerate() {
        if out.len() == n {
            break;
        }
        let covered = facilities
            .iter()
            .find(|x| p.filings.iter().any(|f| f.valid_for(now.date(), now) && f.covers(x.admdvs)));
        let facility = covered.copied().unwrap_or(facilities[k % facilities.len()]);
        if let Some(s) = try_settle(w, pack, p, facility) {
            out.push(s);
        }
    }
    assert_eq!(out.len(), n, "{n} settlements {insured} → {treatment}");
    out
}

pub const BJ: &str = "110000";
pub const SH: &str = "310000";
