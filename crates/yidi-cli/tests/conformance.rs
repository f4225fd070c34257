//! `yidi conformance` against the real `yidi serve`: the demo pack with the default profile, and
//! the worked-examples pack with the `worked` profile (`settlement.md` §10 to the fen). Goal:
//! the hub passes every check of `protocol.md` §8 as an outside client sees it, so a change that
//! breaks the protocol, the arithmetic or idempotency fails here.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The whole run (server start included) must stay well inside a minute.
const RUN_SECS_MAX: u64 = 60;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running `yidi serve`, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(name: &str, args: &[&str]) -> Server {
        let dir = std::env::temp_dir().join(format!("yidi-conformance-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let db = dir.join("hub.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_yidi"))
            .arg("serve")
            .args(args)
            .args(["--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(dir.join("serve.log")).unwrap())
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
            let Ok(line) = rx.recv_timeout(Duration::from_secs(RUN_SECS_MAX)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "yidi serve did not start; log:\n{}",
                    fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
                );
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

/// Runs `yidi conformance --demo` with `extra` flags against `server`; asserts a clean pass.
fn passes(server: &Server, extra: &[&str]) {
    let started = Instant::now();
    let url = format!("http://{}", server.addr);
    let out = Command::new(env!("CARGO_BIN_EXE_yidi"))
        .args(["conformance", "--url", &url, "--demo"])
        .args(extra)
        .current_dir(repo())
        .output()
        .expect("run yidi conformance");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fails: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(fails.is_empty(), "failed checks:\n{}\n\nstderr:\n{stderr}", fails.join("\n"));
    assert!(out.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    let passed = stdout.lines().filter(|l| l.starts_with("PASS")).count();
    assert!(passed >= 100, "only {passed} checks passed:\n{stdout}");
    assert!(stdout.contains("0 failed"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(RUN_SECS_MAX), "took {:?}", started.elapsed());
}

/// The default profile against `yidi serve --demo`; run twice, since a run must leave every
/// settlement reversed and every visit cancelled, so the same figures hold again.
#[test]
fn demo_hub_passes_every_check() {
    let server = Server::start("demo", &["--demo"]);
    passes(&server, &[]);
    passes(&server, &[]);
}

/// settlement.md §10 Examples 1 and 2, to the fen, on the worked-examples pack.
#[test]
fn worked_examples_pass_to_the_fen() {
    let server = Server::start("worked", &["--data", "test_data/packs/worked", "--demo"]);
    passes(&server, &["--profile", "worked"]);
}
