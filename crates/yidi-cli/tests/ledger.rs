//! `yidi ledger verify` end to end: `yidi serve --demo`, a real settlement by `yidi demo-settle`,
//! SIGTERM; the books verify; one entry amount tampered with directly in SQLite is reported,
//! naming its posting, with a non-zero exit.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yidi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yidi")).args(args).current_dir(repo()).output().expect("run yidi")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `yidi serve --demo`; killed on drop if the test fails before `stop`.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(db: &Path, log: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yidi"))
            .args(["serve", "--demo", "--db", db.to_str().expect("utf-8 path"), "--listen", "127.0.0.1:0"])
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(log).expect("log"))
            .spawn()
            .expect("start yidi serve");
        let stdout = child.stdout.take().expect("stdout");
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
                let addr = rest.split(|c: char| c.is_whitespace() || c == '（').next().expect("addr");
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return Server { child, addr: addr.parse().expect("socket address") };
            }
        }
    }

    /// SIGTERM (by this child's pid), then a graceful exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "yidi serve exited with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demo_settlement_books_verify_and_a_tampered_entry_is_named() {
    let dir = std::env::temp_dir().join(format!("yidi-ledger-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("yidi.db");
    let server = Server::start(&db, &dir.join("serve.log"));
    let out = yidi(&["demo-settle", "--url", &format!("http://{}", server.addr)]);
    assert!(out.status.success(), "demo-settle failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    server.stop();

    let db_arg = db.to_str().expect("utf-8 path");
    let ok = yidi(&["ledger", "verify", "--db", db_arg]);
    let stdout = text(&ok.stdout);
    assert!(ok.status.success(), "verify failed:\n{stdout}\n{}", text(&ok.stderr));
    assert!(stdout.contains("books verified") && stdout.contains("笔记账"), "{stdout}");

    let conn = rusqlite::Connection::open(&db).expect("open db");
    let (posting_id, reference): (i64, String) = conn
        .query_row("SELECT posting_id, reference FROM ledger_posting ORDER BY posting_id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the demo settlement is cross-province and posted");
    // The ledger is append-only: tampering needs the trigger out of the way first.
    conn.execute_batch(&format!(
        "DROP TRIGGER ledger_entry_no_update;
         UPDATE ledger_entry SET amount_fen = amount_fen + 1 WHERE posting_id = {posting_id} AND line = 0;"
    ))
    .expect("tamper");
    drop(conn);

    let bad = yidi(&["ledger", "verify", "--db", db_arg]);
    let stderr = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "tampered books must fail:\n{}\n{stderr}", text(&bad.stdout));
    assert!(stderr.contains(&format!("#{posting_id}")) && stderr.contains(&reference), "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}
