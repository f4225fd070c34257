//! `yidi bench` against a real `yidi serve --demo` (real processes, a real SQLite file): the
//! generated traffic completes its flows with no error at all, and the JSON summary has the
//! documented shape.

mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::{Server, temp_dir, yidi};

/// Goal: three seconds of open-loop demo traffic (outpatient and inpatient flows, pre-
/// settlements, cancellations, retried settlements) complete without a single error, and the
/// summary JSON reports them per transaction.
#[test]
fn bench_against_demo_server_has_no_errors() {
    let dir = temp_dir("smoke");
    let server = Server::demo(&dir.join("hub.db"), &[], &dir.join("serve.log"));
    let json = dir.join("summary.json");
    let (url, json_arg) = (server.url(), json.to_str().expect("utf-8 path"));
    let load = ["--demo", "--duration", "3s", "--rate", "50", "--concurrency", "8", "--seed", "5"];
    let out = yidi(&[&["bench", "--url", &url, "--json", json_arg][..], &load].concat());
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
    let out = yidi(&["bench", "--url", "http://127.0.0.1:9", "--duration", "1s"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--paasid"));
}
