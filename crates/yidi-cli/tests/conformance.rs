//! `yidi conformance` against the real `yidi serve`: the demo pack with the default profile, and
//! the worked-examples pack with the `worked` profile (`settlement.md` §10 to the fen). Goal:
//! the hub passes every check of `protocol.md` §8 as an outside client sees it, so a change that
//! breaks the protocol, the arithmetic or idempotency fails here.

mod support;

use std::time::{Duration, Instant};

use support::{Server, temp_dir, text, yidi};

/// The whole run (server start included) must stay well inside a minute.
const RUN_SECS_MAX: u64 = 60;

/// `yidi serve ARGS…` on a database of its own, started within `RUN_SECS_MAX`.
fn serve(name: &str, args: &[&str]) -> Server {
    let dir = temp_dir(name);
    let db = dir.join("hub.db");
    let args = [args, &["--db", db.to_str().unwrap()]].concat();
    Server::start_within(&args, &dir.join("serve.log"), Duration::from_secs(RUN_SECS_MAX))
}

/// Runs `yidi conformance --demo` with `extra` flags against `server`; asserts a clean pass.
fn passes(server: &Server, extra: &[&str]) {
    let started = Instant::now();
    let url = server.url();
    let out = yidi(&[&["conformance", "--url", &url, "--demo"][..], extra].concat());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
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
    let server = serve("demo", &["--demo"]);
    passes(&server, &[]);
    passes(&server, &[]);
}

/// settlement.md §10 Examples 1 and 2, to the fen, on the worked-examples pack.
#[test]
fn worked_examples_pass_to_the_fen() {
    let server = serve("worked", &["--data", "test_data/packs/worked", "--demo"]);
    passes(&server, &["--profile", "worked"]);
}
