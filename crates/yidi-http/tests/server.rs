//! The server at its HTTP boundary, in process, over the real hub (demo pack, SQLite in memory):
//! routes and aliases, edge refusals as envelopes, the body limit, reply headers, `/health`,
//! `/metrics` and graceful shutdown.

mod common;

use std::future::Future;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use yidi_domain::{FacilityCode, Pack};
use yidi_http::auth::FacilityWindows;
use yidi_http::credentials::CredentialBook;
use yidi_http::crypto;
use yidi_http::limits::RATE_LIMIT_PER_SEC;
use yidi_http::server::{App, Dispatch};
use yidi_hub::{Clock, Hub, HubConfig, HubStats, Reply, SystemClock};
use yidi_store_sqlite::SqliteStore;

use common::{Server, demo_pack, gateway_headers, http, read_answer};

struct TestServer<D: Dispatch> {
    server: Server,
    addr: SocketAddr,
    dispatch: Arc<D>,
    code: String,
}

/// The demo pack and its open-ended facilities, sorted.
fn demo_facilities() -> (Pack, Vec<FacilityCode>) {
    let pack = demo_pack();
    let mut codes: Vec<FacilityCode> =
        pack.refdata.facilities.values().filter(|f| f.enddate.is_none()).map(|f| f.code.clone()).collect();
    codes.sort();
    (pack, codes)
}

impl TestServer<Hub> {
    /// The real hub in demo mode over the demo pack, on a free port.
    fn start() -> TestServer<Hub> {
        let (pack, _) = demo_facilities();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let hub = Hub::start(HubConfig::default(), store, Arc::new(pack), clock).unwrap();
        TestServer::with(Arc::new(hub))
    }
}

impl<D: Dispatch> TestServer<D> {
    fn with(dispatch: Arc<D>) -> TestServer<D> {
        TestServer::with_rate_limit(dispatch, RATE_LIMIT_PER_SEC)
    }

    /// Serves `dispatch` admitting `per_sec` requests a second per facility.
    fn with_rate_limit(dispatch: Arc<D>, per_sec: u32) -> TestServer<D> {
        let (pack, codes) = demo_facilities();
        let mut book = CredentialBook::default();
        book.add_demo(&codes);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let windows = FacilityWindows::from_pack(&pack);
        let app = Arc::new(App::new(dispatch.clone(), book, windows, clock, true).with_rate_limit(per_sec));
        let server = Server::spawn(app);
        TestServer { addr: server.addr, server, dispatch, code: codes[0].to_string() }
    }

    fn stop(&mut self) {
        self.server.stop();
    }

    /// Gateway headers signed with the facility's demo token, a fresh nonce each call.
    fn signed(&self) -> Vec<(String, String)> {
        gateway_headers(&self.code, &crypto::demo_facility_token(&self.code))
    }

    /// A 9001 sign-in envelope (a writing transaction) from the test facility.
    fn sign_in(&self, msgid: &str) -> Vec<u8> {
        let province = format!("{}0000", &self.code[1..3]);
        serde_json::json!({
            "infno": "9001", "msgid": msgid, "mdtrtarea_admvs": province, "opter_type": "1",
            "opter": "SF01", "opter_name": "收费员", "inf_time": "2025-03-02 09:41:00",
            "fixmedins_code": self.code, "fixmedins_name": "测试机构",
            "input": {"signIn": {"opter_no": "SF01"}}
        })
        .to_string()
        .into_bytes()
    }
}

/// Every national path reaches the hub as the authenticated facility; an alias passes its
/// `infno` (an envelope naming another one is `bad_envelope`); answers are JSON in UTF-8.
#[test]
fn routes_reach_the_hub() {
    let server = TestServer::start();
    for (i, path) in [
        "/fsi/api/callService",
        "/fsi/api/callFsiService/callService",
        "/mbs/fmi/fsi/api/callFsiService/callService",
    ]
    .into_iter()
    .enumerate()
    {
        let answer = http(server.addr, "POST", path, &server.signed(), &server.sign_in(&format!("R{i}")));
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/json; charset=utf-8"));
        assert_eq!(answer.json()["infcode"], 0, "{path}: {}", answer.body);
        assert!(answer.json()["output"]["signinoutb"]["sign_no"].is_string(), "{}", answer.body);
    }
    for (path, infno) in [
        ("/fsi/api/outpatientSettleService/preSettletment", "2206"),
        ("/fsi/api/outpatientSettleService/saveSettletmentV2", "2207"),
        ("/fsi/api/hospSettService/settV2", "2304"),
        ("/fsi/api/reverseService/revsMethod", "2601"),
    ] {
        let answer = http(server.addr, "POST", path, &server.signed(), &server.sign_in(&format!("A{infno}")));
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.json()["err_code"], "bad_envelope", "9001 at the {infno} alias: {}", answer.body);
    }
}

/// An unsigned, badly signed or replayed request is refused with a full envelope and changes
/// nothing in the hub.
#[test]
fn refusals_are_envelopes_and_reach_nothing() {
    let server = TestServer::start();
    let answer = http(server.addr, "POST", "/fsi/api/callService", &[], &server.sign_in("U1"));
    assert_eq!(answer.status, 401);
    let v = answer.json();
    assert_eq!(v["infcode"], -1);
    assert_eq!(v["err_code"], "auth_failed");
    assert!(v["err_msg"].as_str().unwrap().starts_with("[x-tif-paasid]"));
    assert!(v["output"].is_null());
    assert_eq!(v["inf_refmsgid"].as_str().unwrap().len(), 30);

    let mut headers = server.signed();
    headers[2].1 = "0".repeat(64);
    let answer = http(server.addr, "POST", "/fsi/api/callService", &headers, &server.sign_in("U2"));
    assert_eq!((answer.status, answer.json()["err_code"].as_str()), (401, Some("auth_failed")));
    assert!(answer.json()["err_msg"].as_str().unwrap().starts_with("[x-tif-signature]"));

    let headers = server.signed();
    assert_eq!(
        http(server.addr, "POST", "/fsi/api/callService", &headers, &server.sign_in("U3")).status,
        200
    );
    let again = http(server.addr, "POST", "/fsi/api/callService", &headers, &server.sign_in("U4"));
    assert_eq!((again.status, again.json()["err_code"].as_str()), (401, Some("replay")));
    assert!(again.json()["err_msg"].as_str().unwrap().starts_with("[x-tif-nonce]"));
    let stats = server.dispatch.stats();
    assert_eq!(stats.commits, 1, "only the one accepted sign-in reached the hub: {stats:?}");
}

/// Past its burst a facility gets 429 `rate_limited` with `Retry-After: 1`, before its body is
/// read, and the hub sees nothing; another facility keeps its own budget.
#[test]
fn rate_limited_requests_reach_nothing() {
    let (pack, codes) = demo_facilities();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let hub = Hub::start(HubConfig::default(), store, Arc::new(pack), clock).unwrap();
    let server = TestServer::with_rate_limit(Arc::new(hub), 2);
    for msgid in ["L1", "L2"] {
        let answer =
            http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &server.sign_in(msgid));
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let limited = http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &server.sign_in("L3"));
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.header("retry-after"), Some("1"));
    let v = limited.json();
    assert_eq!((v["infcode"].as_i64(), v["err_code"].as_str()), (Some(-1), Some("rate_limited")));
    assert!(v["err_msg"].as_str().unwrap().starts_with("[x-tif-paasid]"), "{}", limited.body);
    assert_eq!(server.dispatch.stats().commits, 2, "the limited sign-in was not processed");
    let other = gateway_headers(codes[1].as_str(), &crypto::demo_facility_token(codes[1].as_str()));
    let answer = http(server.addr, "POST", "/fsi/api/callService", &other, b"{}");
    assert_eq!((answer.status, answer.json()["err_code"].as_str()), (200, Some("bad_envelope")));
}

/// A path no route serves is 404, a method its route does not take 405 (with `Allow`): both
/// full envelopes with `bad_envelope` and a Chinese reason.
#[test]
fn unknown_paths_and_methods_are_envelopes() {
    let server = TestServer::start();
    for (method, path, status, at) in [
        ("POST", "/fsi/api/noSuchService", 404, "[path]"),
        ("GET", "/", 404, "[path]"),
        ("GET", "/fsi/api/callService", 405, "[method]"),
        ("PUT", "/metrics", 405, "[method]"),
    ] {
        let answer = http(server.addr, method, path, &[], b"");
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/json; charset=utf-8"));
        let v = answer.json();
        assert_eq!((v["infcode"].as_i64(), v["err_code"].as_str()), (Some(-1), Some("bad_envelope")));
        let err_msg = v["err_msg"].as_str().unwrap();
        assert!(err_msg.starts_with(at) && err_msg.contains("接口地址"), "{err_msg}");
        assert!(v["output"].is_null());
        if status == 405 {
            assert!(answer.header("allow").is_some(), "{method} {path}");
        }
    }
}

/// Bodies over 1 MiB get 413 `too_large`, whether declared by Content-Length or streamed; 1 MiB
/// exactly is read.
#[test]
fn oversize_body_is_413() {
    let server = TestServer::start();
    let big = vec![b' '; (1 << 20) + 1];
    let answer = http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &big);
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["err_code"], "too_large");
    assert_eq!(answer.json()["infcode"], -1);

    // Chunked: no length announced, the limit is found while reading.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = "POST /fsi/api/callService HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_string();
    for (name, value) in server.signed() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..17 {
        if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err() {
            break;
        }
        let _ = stream.write_all(&chunk);
        let _ = stream.write_all(b"\r\n");
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let answer = read_answer(&mut stream);
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["err_code"], "too_large");

    let mut exact = server.sign_in("BIG");
    exact.resize(1 << 20, b' ');
    let answer = http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &exact);
    assert_eq!((answer.status, answer.json()["infcode"].as_i64()), (200, Some(0)), "{}", answer.body);
}

/// A repeated `msgid` is answered with the stored bytes and `X-Yidi-Replay: 1`; once the hub
/// stops taking calls the answer is 503 with `Retry-After`.
#[test]
fn reply_headers_follow_the_hub() {
    let server = TestServer::start();
    let first = http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &server.sign_in("S1"));
    assert_eq!(first.header("x-yidi-replay"), None);
    let again = http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &server.sign_in("S1"));
    assert_eq!(again.header("x-yidi-replay"), Some("1"));
    assert_eq!(again.body, first.body);
    server.dispatch.shutdown();
    let answer = http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &server.sign_in("S2"));
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(answer.json()["err_code"], "unavailable");
}

/// `/health` is JSON; `/metrics` has request counts and latency by infno, edge and hub refusals
/// and the hub's counters.
#[test]
fn health_and_metrics() {
    let server = TestServer::start();
    let health = http(server.addr, "GET", "/health", &[], b"");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    http(server.addr, "POST", "/fsi/api/callService", &server.signed(), &server.sign_in("M1"));
    http(server.addr, "POST", "/fsi/api/hospSettService/settV2", &server.signed(), b"{}");
    http(server.addr, "POST", "/fsi/api/callService", &[], b"{}");
    let metrics = http(server.addr, "GET", "/metrics", &[], b"");
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    for line in [
        r#"yidi_http_requests_total{infno="9001",status="200"} 1"#,
        r#"yidi_http_requests_total{infno="none",status="401"} 1"#,
        r#"yidi_http_request_duration_seconds_count{infno="9001"} 1"#,
        r#"yidi_refusals_total{source="edge",err_code="auth_failed"} 1"#,
        r#"yidi_refusals_total{source="hub",err_code="bad_envelope"} 1"#,
        "yidi_settlements_total 0",
        "yidi_nonces_kept 2",
    ] {
        assert!(metrics.body.lines().any(|l| l == line), "missing {line}:\n{}", metrics.body);
    }
    assert!(metrics.body.contains("yidi_commit_batches_total{batch_len_max="), "{}", metrics.body);
}

/// A dispatcher that takes 300 ms per call: the hub answers in microseconds, so this is the only
/// way to have a request in flight when the stop signal comes.
#[derive(Default)]
struct Slow {
    calls: std::sync::atomic::AtomicUsize,
    shut_down: AtomicBool,
}

impl Dispatch for Slow {
    fn call(&self, _: &str, _: Option<&str>, _: &[u8]) -> impl Future<Output = Reply> + Send {
        self.calls.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Reply {
                status: 200,
                body: "{}".to_string(),
                replay: false,
                infno: "9001".to_string(),
                msgid: String::new(),
                err_code: None,
                retry_after_secs: None,
            }
        }
    }
    fn stats(&self) -> HubStats {
        HubStats::default()
    }
    fn shutdown(&self) {
        self.shut_down.store(true, Ordering::SeqCst);
    }
}

/// On stop, a request already in flight is answered, then the dispatcher is shut down and the
/// port closed.
#[test]
fn shutdown_finishes_in_flight_requests() {
    let mut server = TestServer::with(Arc::new(Slow::default()));
    let (addr, headers) = (server.addr, server.signed());
    let in_flight = std::thread::spawn(move || http(addr, "POST", "/fsi/api/callService", &headers, b"{}"));
    while server.dispatch.calls.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.stop();
    assert_eq!(in_flight.join().unwrap().status, 200);
    assert!(server.dispatch.shut_down.load(Ordering::SeqCst));
    assert!(TcpStream::connect(addr).is_err(), "no longer accepting");
}
