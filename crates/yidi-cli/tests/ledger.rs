//! `yidi ledger verify` end to end: `yidi serve --demo`, a real settlement by `yidi demo-settle`,
//! SIGTERM; the books verify; one entry amount tampered with directly in SQLite is reported,
//! naming its posting, with a non-zero exit.

mod support;

use std::fs;

use support::{Server, temp_dir, text, yidi};

#[test]
fn demo_settlement_books_verify_and_a_tampered_entry_is_named() {
    let dir = temp_dir("books");
    let db = dir.join("yidi.db");
    let server = Server::demo(&db, &[], &dir.join("serve.log"));
    let out = yidi(&["demo-settle", "--url", &server.url()]);
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
