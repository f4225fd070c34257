//! The documented month end to end with the real binary: `yidi serve --demo --clock` in
//! October, `yidi demo-month settle`, a restart in November, `yidi demo-month clear` (freeze,
//! statements, both confirmations, payments, netting, the books verified), then `yidi ledger
//! verify` on its own; and `--clock` refused without `--demo`.

mod support;

use std::fs;
use std::path::Path;
use std::process::Output;

use support::{Server, temp_dir, text, yidi};

/// `yidi demo-month clear` of October 2025 against `url`, statements to `out_dir`, then `extra`.
fn clear(url: &str, out_dir: &Path, extra: &[&str]) -> Output {
    let out = out_dir.to_str().unwrap();
    yidi(&[&["demo-month", "clear", "--url", url, "--month", "2025-10", "--out", out][..], extra].concat())
}

#[test]
fn a_demo_month_is_settled_cleared_and_verified() {
    let dir = temp_dir("month");
    let db = dir.join("yidi.db");
    let db_arg = db.to_str().expect("utf-8 path");

    let october = Server::demo(&db, &["--clock", "2025-10-20 09:00:00"], &dir.join("serve1.log"));
    let url = october.url();
    let out = yidi(&["demo-month", "settle", "--url", &url, "--count", "12"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "settle failed:\n{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("hub time: 2025-10-20"), "the hub runs on the demo clock: {stdout}");
    assert!(stdout.contains("共 12 笔跨省结算"), "{stdout}");
    assert!(stdout.contains("approved"), "one pair went red and was topped up: {stdout}");
    // October has not ended by the hub's clock: the freeze is refused and nothing is cleared.
    let early = clear(&url, &dir.join("early"), &[]);
    assert!(!early.status.success(), "{}", text(&early.stdout));
    assert!(text(&early.stderr).contains("month_not_ended"), "{}", text(&early.stderr));
    october.stop();

    let november = Server::demo(&db, &["--clock", "2025-11-03 09:00:00"], &dir.join("serve2.log"));
    let url = november.url();
    let out_dir = dir.join("statements");
    let out = clear(&url, &out_dir, &["--db", db_arg]);
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
    let again = clear(&url, &out_dir, &[]);
    let again_out = text(&again.stdout);
    assert!(again.status.success(), "{again_out}\n{}", text(&again.stderr));
    assert!(again_out.contains("already frozen") && again_out.contains("already paid"), "{again_out}");
    november.stop();

    let verify = yidi(&["ledger", "verify", "--db", db_arg]);
    assert!(verify.status.success(), "{}\n{}", text(&verify.stdout), text(&verify.stderr));
}

#[test]
fn clock_is_refused_without_demo() {
    let dir = temp_dir("clock");
    let db = dir.join("yidi.db");
    let out = yidi(&["serve", "--db", db.to_str().unwrap(), "--clock", "2025-11-03 09:00:00"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--clock requires --demo"), "{}", text(&out.stderr));
    let bad = yidi(&["serve", "--demo", "--db", db.to_str().unwrap(), "--clock", "2025-11-31 09:00"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("not a time"), "{}", text(&bad.stderr));
}
