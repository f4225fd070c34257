//! `yidi serve`, `yidi import`, `yidi facility …` and `yidi agency add` as an operator and a
//! hospital system meet them: real processes, a real SQLite file, signed HTTP requests.

mod support;

use std::fs;
use std::net::SocketAddr;

use support::{Gateway, Server, exchange, repo, temp_dir, text, unix_now, yidi};
use yidi_http::crypto;

/// A demo facility with no end date (test_data/demo/facilities.csv).
const CODE: &str = "H11010122305";

/// The token printed after `token:`.
fn printed_token(stdout: &str) -> String {
    let line = stdout.lines().find(|l| l.starts_with("token:")).unwrap_or_else(|| panic!("{stdout}"));
    let token = line["token:".len()..].trim().to_string();
    assert!(token.len() == 64 && token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{token}");
    token
}

/// POSTs `body` signed with `token` as `paasid`; returns status, headers and body.
fn post_signed(
    addr: SocketAddr,
    path: &str,
    paasid: &str,
    token: &str,
    nonce: &str,
    body: &str,
) -> (u16, String, String) {
    let request = Gateway::signed(paasid, token, unix_now(), nonce).request(addr, path, body.as_bytes());
    let answer = exchange(addr, &request);
    (answer.status, answer.head, answer.body)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let answer = exchange(addr, request.as_bytes());
    (answer.status, answer.head, answer.body)
}

/// A 9001 sign-in envelope (a writing transaction) from `CODE`.
fn sign_in(msgid: &str) -> String {
    serde_json::json!({
        "infno": "9001", "msgid": msgid, "mdtrtarea_admvs": "110000", "opter_type": "1",
        "opter": "SF01", "opter_name": "收费员", "inf_time": "2025-03-02 09:41:00",
        "fixmedins_code": CODE, "fixmedins_name": "北京市东城区中医医院",
        "input": {"signIn": {"opter_no": "SF01"}}
    })
    .to_string()
}

/// End to end: `yidi serve --demo` answers a request signed with the published demo rule; the
/// same database served without `--demo` refuses the demo token but accepts an issued one.
#[test]
fn serve_demo_then_issued_credentials() {
    let dir = temp_dir("e2e");
    let db = dir.join("yidi.db");
    let db_arg = db.to_str().unwrap();
    let demo_token = crypto::demo_facility_token(CODE);
    let paasid = format!("yidi_{CODE}");

    let server = Server::demo(&db, &[], &dir.join("demo.log"));
    assert!(
        server.stdout_seen.contains(&demo_token),
        "a demo credential is printed:\n{}",
        server.stdout_seen
    );
    assert!(server.stdout_seen.contains("yidi-demo:"), "the rule is printed");
    let (status, head, body) =
        post_signed(server.addr, "/fsi/api/callService", &paasid, &demo_token, "e2e-1", &sign_in("M1"));
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: application/json; charset=utf-8"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["infcode"], 0, "{body}");
    let first_answer = body.clone();
    assert_eq!(v["inf_refmsgid"].as_str().unwrap().len(), 30, "{body}");
    let (status, _, body) =
        post_signed(server.addr, "/fsi/api/callService", &paasid, &demo_token, "e2e-1", "{}");
    assert_eq!(status, 401);
    assert!(body.contains("\"replay\""), "{body}");
    let (status, _, body) = post_signed(
        server.addr,
        "/fsi/api/callService",
        &paasid,
        &demo_token,
        "e2e-2",
        &" ".repeat((1 << 20) + 1),
    );
    assert_eq!(status, 413);
    assert!(body.contains("\"too_large\""), "{body}");
    let (status, _, body) = get(server.addr, "/health");
    assert_eq!(status, 200);
    assert!(body.contains("\"ok\""), "{body}");
    let (status, _, body) = get(server.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("yidi_http_requests_total{infno=\"9001\",status=\"200\"} 1"), "{body}");
    assert!(body.contains("yidi_settlements_total"), "{body}");
    server.stop();
    let log = fs::read_to_string(dir.join("demo.log")).unwrap();
    assert!(log.contains("infno=9001") && log.contains("latency_ms"), "one line per request:\n{log}");
    assert!(!log.contains(&demo_token), "tokens never reach the log");

    let out = yidi(&["facility", "credentials", "issue", CODE, "--db", db_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = printed_token(&text(&out.stdout));

    let server = Server::start(&["--db", db_arg], &dir.join("plain.log"));
    assert!(!server.stdout_seen.contains(&demo_token));
    let (status, _, body) =
        post_signed(server.addr, "/fsi/api/callService", &paasid, &demo_token, "e2e-3", &sign_in("M2"));
    assert_eq!(status, 401, "demo token refused without --demo: {body}");
    assert!(body.contains("auth_failed"), "{body}");
    let (status, _, body) =
        post_signed(server.addr, "/fsi/api/callService", &paasid, &token, "e2e-4", &sign_in("M3"));
    assert_eq!(status, 200, "{body}");
    // The first run's answer survived the restart: the same msgid is replayed byte for byte.
    let (status, head, again) =
        post_signed(server.addr, "/fsi/api/callService", &paasid, &token, "e2e-5", &sign_in("M1"));
    assert_eq!(status, 200, "{again}");
    assert!(head.contains("x-yidi-replay: 1"), "{head}");
    assert_eq!(again, first_answer);
    server.stop();
    let _ = fs::remove_dir_all(&dir);
}

/// `yidi import`: a good pack is imported, the same pack again is unchanged, a bad pack lists
/// every problem as `file:line: message`, exits 2 and changes nothing.
#[test]
fn import_is_idempotent_and_all_or_nothing() {
    let dir = temp_dir("import");
    let db = dir.join("yidi.db");
    let db_arg = db.to_str().unwrap();
    let out = yidi(&["import", "test_data/packs/worked", "--db", db_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("已导入"), "{}", text(&out.stdout));
    let out = yidi(&["import", "test_data/packs/worked", "--db", db_arg]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("无变化 / unchanged"), "{}", text(&out.stdout));

    let bad = dir.join("bad");
    fs::create_dir_all(&bad).unwrap();
    for file in ["pooling_regions.csv", "facilities.csv"] {
        fs::copy(repo().join("test_data/packs/worked").join(file), bad.join(file)).unwrap();
    }
    fs::write(bad.join("persons.csv"), "psn_no,color\nP1,red\n").unwrap();
    let out = yidi(&["import", bad.to_str().unwrap(), "--db", db_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("persons.csv:1: "), "{}", text(&out.stderr));
    let out = yidi(&["import", "test_data/packs/worked", "--db", db_arg]);
    assert!(text(&out.stdout).contains("unchanged"), "the bad pack changed nothing");

    let empty = dir.join("empty.db");
    let out = yidi(&["serve", "--db", empty.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("没有数据包"), "{}", text(&out.stderr));
    let _ = fs::remove_dir_all(&dir);
}

/// `yidi facility credentials issue|rotate|revoke` and the `add|rotate|revoke` aliases; the key
/// file is created 0600 and announced; tokens are printed once; `yidi agency add` too.
#[test]
fn facility_and_agency_credentials() {
    let dir = temp_dir("facility");
    let db = dir.join("yidi.db");
    let db_arg = db.to_str().unwrap();
    let key = dir.join("yidi.db.key");

    let out = yidi(&["facility", "credentials", "issue", "H31010400123", "--db", db_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("paasid: yidi_H31010400123"), "{stdout}");
    let first = printed_token(&stdout);
    assert_ne!(first, crypto::demo_facility_token("H31010400123"));
    assert!(
        text(&out.stderr).contains(key.to_str().unwrap()),
        "where the key file is: {}",
        text(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let db_bytes = fs::read(&db).unwrap();
    assert!(!db_bytes.windows(64).any(|w| w == first.as_bytes()), "the database holds no token");

    let out = yidi(&["facility", "add", "H31010400123", "--db", db_arg]);
    assert_eq!(out.status.code(), Some(1), "already issued");
    assert!(text(&out.stderr).contains("rotate"), "{}", text(&out.stderr));

    let out = yidi(&[
        "facility",
        "rotate",
        "H31010400123",
        "--db",
        db_arg,
        "--secret-key-file",
        key.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(printed_token(&text(&out.stdout)), first);
    assert!(text(&out.stdout).contains("旧令牌有效至"));

    let moved = dir.join("elsewhere.key");
    fs::rename(&key, &moved).unwrap();
    let out = yidi(&["facility", "credentials", "rotate", "H31010400123", "--db", db_arg]);
    assert_eq!(out.status.code(), Some(1), "no new key over existing credentials");
    assert!(text(&out.stderr).contains("密钥文件"), "{}", text(&out.stderr));
    assert!(!key.exists());

    let out = yidi(&["facility", "credentials", "revoke", "H31010400123", "--db", db_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = yidi(&["facility", "revoke", "H31010400123", "--db", db_arg]);
    assert_eq!(out.status.code(), Some(1), "already revoked");
    let out = yidi(&["facility", "add", "X1", "--db", db_arg]);
    assert_eq!(out.status.code(), Some(1), "bad code");

    let out = yidi(&["agency", "add", "上海市医保中心", "--admdvs", "310000", "--db", db_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let agency_token = printed_token(&text(&out.stdout));
    assert!(!fs::read(&db).unwrap().windows(64).any(|w| w == agency_token.as_bytes()));
    let _ = fs::remove_dir_all(&dir);
}

/// The README's first command: `yidi serve --demo`, then `yidi demo-settle` sends a complete,
/// signed outpatient flow and shows a real settlement answer.
#[test]
fn readme_demo_settle_against_serve_demo() {
    let dir = temp_dir("demo-settle");
    let db = dir.join("yidi.db");
    let server = Server::start(&["--demo", "--db", db.to_str().unwrap()], &dir.join("serve.log"));
    let url = format!("http://{}", server.addr);
    let out = yidi(&["demo-settle", "--url", &url]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "demo-settle failed:\n{stdout}\n{}", text(&out.stderr));
    for step in ["9001", "2201", "2203", "2204", "2207"] {
        assert!(stdout.contains(&format!("{step} 成功")), "{step} missing:\n{stdout}");
    }
    let answer = stdout.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(answer).expect("the 2207 answer is printed as sent");
    assert_eq!(v["infcode"], 0);
    assert!(v["output"]["setlinfo"]["setl_id"].as_str().is_some_and(|id| id.len() == 18), "{answer}");
    server.stop();
}
