//! The documented month end to end with the real binary: `yidi serve --demo --clock` in
//! October, `yidi demo-month settle`, a restart in November, `yidi demo-month clear` (freeze,
//! statements, both confirmations, payments, netting, the books verified), then `yidi ledger
//! verify` on its own; and `--clock` refused without `--demo`.

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
    fn start(db: &Path, clock: &str, log: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yidi"))
            .args(["serve", "--demo", "--db", db.to_str().expect("utf-8 path"), "--listen", "127.0.0.1:0"])
            .args(["--clock", clock])
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
fn a_demo_month_is_settled_cleared_and_verified() {
    let dir = std::env::temp_dir().join(format!("yidi-demo-month-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("yidi.db");
    let db_arg = db.to_str().expect("utf-8 path");

    let october = Server::start(&db, "2025-10-20 09:00:00", &dir.join("serve1.log"));
    let url = format!("http://{}", october.addr);
    let out = yidi(&["demo-month", "settle", "--url", &url, "--count", "12"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "settle failed:\n{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("hub time: 2025-10-20"), "the hub runs on the demo clock: {stdout}");
    assert!(stdout.contains("共 12 笔跨省结算"), "{stdout}");
    assert!(stdout.contains("approved"), "one pair went red and was topped up: {stdout}");
    // October has not ended by the hub's clock: the freeze is refused and nothing is cleared.
    let early = yidi(&[
        "demo-month",
        "clear",
        "--url",
        &url,
        "--month",
        "2025-10",
        "--out",
        dir.join("early").to_str().unwrap(),
    ]);
    assert!(!early.status.success(), "{}", text(&early.stdout));
    assert!(text(&early.stderr).contains("month_not_ended"), "{}", text(&early.stderr));
    october.stop();

    let november = Server::start(&db, "2025-11-03 09:00:00", &dir.join("serve2.log"));
    let url = format!("http://{}", november.addr);
    let out_dir = dir.join("statements");
    let out = yidi(&[
        "demo-month",
        "clear",
        "--url",
        &url,
        "--month",
        "2025-10",
        "--out",
        out_dir.to_str().unwrap(),
        "--db",
        db_arg,
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "clear failed:\n{stdout}\n{}", text(&out.stderr));
    for needle in ["已冻结 / frozen", "已付款 / paid", "节省 / saving", "books verified"] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    let files: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("-detail.csv")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("-statement.html")), "{files:?}");
    // Clearing again finds everything done and changes nothing.
    let again = yidi(&[
        "demo-month",
        "clear",
        "--url",
        &url,
        "--month",
        "2025-10",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let again_out = text(&again.stdout);
    assert!(again.status.success(), "{again_out}\n{}", text(&again.stderr));
    assert!(again_out.contains("already frozen") && again_out.contains("already paid"), "{again_out}");
    november.stop();

    let verify = yidi(&["ledger", "verify", "--db", db_arg]);
    assert!(verify.status.success(), "{}\n{}", text(&verify.stdout), text(&verify.stderr));
}

#[test]
fn clock_is_refused_without_demo() {
    let dir = std::env::temp_dir().join(format!("yidi-demo-clock-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("yidi.db");
    let out = yidi(&["serve", "--db", db.to_str().unwrap(), "--clock", "2025-11-03 09:00:00"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--clock requires --demo"), "{}", text(&out.stderr));
    let bad = yidi(&["serve", "--demo", "--db", db.to_str().unwrap(), "--clock", "2025-11-31 09:00"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("not a time"), "{}", text(&bad.stderr));
}
