//! Shared by the browser end-to-end tests (`tests/browser.rs`, and the dashboards' agency test):
//! a headless Chromium driven over WebDriver (Debian's `/usr/bin/chromium` and
//! `/usr/bin/chromedriver`, client `fantoccini`), the real `yidi serve --demo` binary on a free
//! port with a temporary database (`support::Server`), signed national calls and agency calls over
//! plain HTTP, and screenshots.
//!
//! How to use (it builds on `tests/support`, so declare both):
//! ```ignore
//! mod browser_support;
//! mod support;
//! use browser_support::{Browser, Demo};
//! let Some(browser) = Browser::start().await else { return }; // skipped: YIDI_SKIP_BROWSER_TESTS=1
//! let demo = Demo::start("my-test");
//! browser.goto(&demo.url("/")).await;
//! browser.shot("home").await;
//! ```
//!
//! * Without chromedriver the test fails, saying to `apt-get install chromium chromium-driver`,
//!   unless `YIDI_SKIP_BROWSER_TESTS=1`.
//! * Screenshots go to `target/browser-screenshots/NAME.png`; with
//!   `YIDI_UPDATE_DOCS_SCREENSHOTS=1` also to `docs/screenshots/NAME.png`.
//! * Every process started here is ended on drop, by its own handle.
#![allow(dead_code)] // each test binary uses its own part of these helpers

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::{
    CALL_SERVICE, Gateway, KillOnDrop, Response, Scratch, Server, beijing_now, exchange, free_port, repo,
    temp_dir,
};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Desktop and phone window sizes of the screenshots.
pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (360, 780);

/// chromedriver and a headless Chromium session.
pub struct Browser {
    pub client: Client,
    _driver: KillOnDrop,
    _profile: PathBuf,
}

impl Browser {
    /// `None` when `YIDI_SKIP_BROWSER_TESTS=1`; panics with the install command when chromedriver
    /// or Chromium is missing.
    pub async fn start() -> Option<Browser> {
        if std::env::var("YIDI_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
            eprintln!("YIDI_SKIP_BROWSER_TESTS=1: browser tests skipped");
            return None;
        }
        for path in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's Chromium and its driver. \
                 Install them with `apt-get install chromium chromium-driver` \
                 (or set YIDI_SKIP_BROWSER_TESTS=1 to skip these tests)"
            );
        }
        let port = free_port();
        let log = std::env::temp_dir().join(format!("yidi-chromedriver-{}-{port}.log", std::process::id()));
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {CHROMEDRIVER}: {e}; `apt-get install chromium chromium-driver`")
            });
        let driver = KillOnDrop(driver);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = temp_dir(&format!("profile-{port}"));
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--no-first-run".to_string(),
            "--disable-dev-shm-usage".to_string(),
            format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_string(), json!({"binary": CHROMIUM, "args": args}));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("WebDriver session failed: {e}; chromedriver log {}", log.display()));
        client.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
        Some(Browser { client, _driver: driver, _profile: profile })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The page's HTML as the browser has it now.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The element `selector` selects, waited for up to 10 s.
    pub async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(selector)).await {
            Ok(e) => e,
            Err(e) => panic!("no element {selector} on {}: {e}", self.path().await),
        }
    }

    /// The text of the element `selector` selects. A click that submits a form navigates while
    /// the old page may still answer the lookup; its element then goes stale, so look again.
    pub async fn text_of(&self, selector: &str) -> String {
        let started = Instant::now();
        loop {
            match self.css(selector).await.text().await {
                Ok(text) => return text,
                Err(e) if started.elapsed() < Duration::from_secs(10) => {
                    eprintln!("{selector}: {e}; looking again");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("text of {selector}: {e}"),
            }
        }
    }

    /// The path once the browser has landed on `expected`, or the path after 10 s. A click that
    /// follows a link or submits a form returns before the next page has loaded.
    pub async fn landed(&self, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let path = self.path().await;
            if path == expected || Instant::now() > deadline {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of `selector` once it contains `needle`, or its text after 10 s (the old page can
    /// still answer right after a click).
    pub async fn text_with(&self, selector: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text_of(selector).await;
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's HTML once it contains `needle`, or the HTML after 10 s.
    pub async fn source_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let html = self.source().await;
            if html.contains(needle) || Instant::now() > deadline {
                return html;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, selector: &str) {
        self.css(selector).await.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Clears a text field and types into it.
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.css(selector).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn select(&self, selector: &str, value: &str) {
        self.css(selector)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {selector}: {e}"));
    }

    /// Saves a screenshot of the window as `NAME.png` (see the module doc).
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = repo().join("target/browser-screenshots");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("{name}.png")), &png).unwrap();
        if std::env::var("YIDI_UPDATE_DOCS_SCREENSHOTS").is_ok_and(|v| v == "1") {
            let docs = repo().join("docs/screenshots");
            fs::create_dir_all(&docs).unwrap();
            fs::write(docs.join(format!("{name}.png")), &png).unwrap();
        }
    }

    /// Resizes the window, and checks that the page really is that narrow: a browser may keep a
    /// minimum window width, and a layout test at a width it never got would prove nothing.
    pub async fn window(&self, (w, h): (u32, u32)) {
        self.client.set_window_size(w, h).await.unwrap();
        let inner = self.client.execute("return window.innerWidth;", vec![]).await.unwrap();
        let inner = inner.as_u64().unwrap_or(u64::MAX);
        assert!(inner <= u64::from(w), "asked for a {w} px window, the page is {inner} px wide");
    }

    /// Whether the page is wider than the window (a layout break on a phone).
    pub async fn scrolls_sideways(&self) -> bool {
        let v = self
            .client
            .execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![])
            .await
            .unwrap();
        v.as_bool().unwrap_or(true)
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A running `yidi serve --demo` on a free port with its own database, and the demo pack.
pub struct Demo {
    pub pack: yidi_domain::Pack,
    server: Server,
    /// Dropped after the server: removes its database and log.
    _dir: Scratch,
    msgids: AtomicU32,
    nonces: AtomicU32,
}

impl Demo {
    pub fn start(name: &str) -> Demo {
        let dir = Scratch::new(&format!("serve-{name}"));
        let server = Server::demo(&dir.join("yidi.db"), &[], &dir.join("serve.log"));
        let pack = yidi_refdata::load_pack(&repo().join("test_data/demo")).expect("demo pack");
        Demo { pack, server, _dir: dir, msgids: AtomicU32::new(0), nonces: AtomicU32::new(0) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    /// POSTs the envelope `body` to `callService` from `facility`, signed with its demo
    /// credential and a fresh nonce; the answer, whatever it is.
    pub fn call_service(&self, facility: &str, body: &str) -> Response {
        let nonce = format!("br{}-{}", std::process::id(), self.nonces.fetch_add(1, Ordering::Relaxed));
        let addr = self.server.addr;
        exchange(addr, &Gateway::demo(facility, &nonce).request(addr, CALL_SERVICE, body.as_bytes()))
    }

    /// One national call from `facility`, signed with its demo credential; the answer's JSON.
    pub fn national(&self, facility: &str, infno: &str, input: Value) -> Value {
        let n = self.msgids.fetch_add(1, Ordering::Relaxed);
        let msgid = format!("{facility}{:018}", u64::from(n) + 1);
        let now = beijing_now().to_string();
        let body =
            json!({"infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &facility[1..3]),
            "opter_type": "1", "opter": "T01", "opter_name": "浏览器测试", "inf_time": now,
            "fixmedins_code": facility, "fixmedins_name": "测试医院", "input": input})
            .to_string();
        let Response { status, body: text, .. } = self.call_service(facility, &body);
        assert_eq!(status, 200, "{infno}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(v["infcode"], 0, "{infno} refused: {v}");
        v
    }

    /// An agency API call with the region's demo token; status and JSON.
    pub fn agency(&self, method: &str, path: &str, admdvs: &str, body: &Value) -> (u16, Value) {
        let token = yidi_http::crypto::demo_agency_token(admdvs);
        let body = if method == "GET" { String::new() } else { body.to_string() };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
            self.server.addr,
            body.len()
        );
        let answer = exchange(self.server.addr, &[head.as_bytes(), body.as_bytes()].concat());
        (answer.status, serde_json::from_str(&answer.body).unwrap_or(Value::Null))
    }

    /// A one-time activation code for `psn_no`, issued by its region's agency over the API.
    pub fn activation_code(&self, psn_no: &str, admdvs: &str) -> String {
        let (status, v) =
            self.agency("POST", &format!("/api/agency/persons/{psn_no}/activation"), admdvs, &json!({}));
        assert_eq!(status, 200, "activation: {v}");
        v["code"].as_str().expect("a code").to_string()
    }

    /// A whole outpatient visit settled through the protocol (2201, 2203, 2204, 2207) with three
    /// plain catalog lines; the 2207 output.
    pub fn settle_outpatient(
        &self,
        person: &yidi_domain::PersonRecord,
        facility: &yidi_domain::Facility,
    ) -> Value {
        let p = &person.person;
        let code = facility.code.as_str();
        let now = beijing_now().to_string();
        let n = self.msgids.load(Ordering::Relaxed);
        let reg = self.national(
            code,
            "2201",
            json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype.as_str(), "begntime": now,
            "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(), "ipt_otp_no": format!("BR{n}")}}),
        );
        let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().unwrap().to_string();
        self.national(
            code,
            "2203",
            json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "med_type": "11",
            "begntime": now, "dise_codg": "I10"}}),
        );
        let (lines, total) = self.fee_lines(facility, &now, &mdtrt_id, &p.psn_no);
        self.national(code, "2204", json!({"feedetail": lines}));
        let out = self.national(code, "2207", json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(),
            "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1",
            "acct_used_flag": "1", "insutype": p.insutype.as_str()}}));
        out["output"].clone()
    }

    fn fee_lines(
        &self,
        facility: &yidi_domain::Facility,
        now: &str,
        mdtrt_id: &str,
        psn_no: &str,
    ) -> (Vec<Value>, yidi_domain::Fen) {
        use yidi_domain::{ChrgitmLv, Fen, Qty, line_fen};
        let today = yidi_domain::DateTime::parse(now).unwrap().date();
        let catalog = &self.pack.refdata.catalogs[&facility.admdvs.province()];
        let rows = catalog.unrestricted(today);
        // One row of each class, so the settlement shows 甲, 乙 and 丙 at work.
        let picks: Vec<_> = [ChrgitmLv::A, ChrgitmLv::B, ChrgitmLv::C]
            .iter()
            .filter_map(|lv| rows.iter().find(|r| r.lv == *lv))
            .collect();
        let mut total = Fen::ZERO;
        let lines = picks
            .iter()
            .enumerate()
            .map(|(n, row)| {
                let (cnt, pric, code) = (Qty::from_units(2), row.sample_price(), &row.code);
                let amount = line_fen(cnt, pric);
                total += amount;
                json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "CB1",
                       "fee_ocur_time": now, "med_list_codg": code, "medins_list_codg": code,
                       "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()})
            })
            .collect();
        (lines, total)
    }
}
