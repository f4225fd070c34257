//! `yidi bench` against a real `yidi serve --demo` (real processes, a real SQLite file): the
//! generated traffic completes its flows with no error at all, and the JSON summary has the
//! documented shape.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yidi-bench-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `yidi serve --demo` on a free port, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(db: &Path, log: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yidi"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(log).unwrap())
            .spawn()
            .expect("start yidi serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(120)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no listening line; log:\n{}", fs::read_to_string(log).unwrap_or_default());
            };
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr =
                    rest.split(|c: char| c.is_whitespace() || c == '（').next().unwrap().parse().unwrap();
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return Server { child, addr };
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Goal: three seconds of open-loop demo traffic (outpatient and inpatient flows, pre-
/// settlements, cancellations, retried settlements) complete without a single error, and the
/// summary JSON reports them per transaction.
#[test]
fn bench_against_demo_server_has_no_errors() {
    let dir = temp_dir("smoke");
    let server = Server::start(&dir.join("hub.db"), &dir.join("serve.log"));
    let json = dir.join("summary.json");
    let out = Command::new(env!("CARGO_BIN_EXE_yidi"))
        .args(["bench", "--demo", "--duration", "3s", "--rate", "50", "--concurrency", "8", "--seed", "5"])
        .arg("--url")
        .arg(format!("http://{}", server.addr))
        .arg("--json")
        .arg(&json)
        .current_dir(repo())
        .output()
        .expect("run yidi bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stdout}\n{stderr}");
    let summary: Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["errors"], serde_json::json!({}), "errors:\n{stdout}\nserver log:\n{}", log(&dir));
    assert_eq!(summary["flows_failed"], 0);
    let flows = summary["flows"].as_u64().unwrap();
    assert!((100..=160).contains(&flows), "{flows} flows in 3 s at 50/s");
    assert!(summary["duration_s"].as_f64().unwrap() >= 3.0);
    assert!(summary["flows_per_s"].as_f64().unwrap() > 0.0);
    for infno in ["9001", "2201", "2203", "2204", "2207"] {
        let row = &summary["by_infno"][infno];
        assert!(row["count"].as_u64().unwrap() > 0, "{infno} missing: {summary}");
        for key in ["p50_ms", "p99_ms", "p999_ms", "max_ms"] {
            assert!(row[key].as_f64().is_some(), "{infno}.{key}");
        }
        assert!(row["p50_ms"].as_f64() <= row["max_ms"].as_f64());
    }
    assert!(stdout.contains("p99.9 ms"), "table:\n{stdout}");
    let _ = fs::remove_dir_all(&dir);
}

fn log(dir: &Path) -> String {
    fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
}

/// Goal: the simulator's demo credentials are the server's (`crypto::demo_facility_token`).
#[test]
fn demo_credentials_match_the_server() {
    for code in ["H11010122305", "H31010400123"] {
        let c = yidi_sim::Credential::demo(code);
        assert_eq!(c.paasid, format!("yidi_{code}"));
        assert_eq!(c.token, yidi_http::crypto::demo_facility_token(code));
    }
}

/// Goal: without `--demo`, one facility's `--paasid` and `--token` are required.
#[test]
fn bench_needs_credentials() {
    let out = Command::new(env!("CARGO_BIN_EXE_yidi"))
        .args(["bench", "--url", "http://127.0.0.1:9", "--duration", "1s"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--paasid"));
}
