//! What only the SQLite backend promises, beyond the shared suite: its pragmas and migrations,
//! its column types, its refusal of values it cannot keep, and its checks on what it reads back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use rusqlite::Connection;
use yidi_store::conformance::{at, expected, outpatient_flow, rich_batch};
use yidi_store::{CommitBatch, CredentialRecord, Store, StoreError};
use yidi_store_sqlite::{SCHEMA_VERSION, SqliteStore};

/// A fresh directory under the system temp dir, unique per process and test, deleted on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(test: &str) -> ScratchDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("yidi-sqlite-{}-{n}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }
    fn db(&self) -> PathBuf {
        self.0.join("store.sqlite")
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A second, raw connection to inspect or tamper with the file as an operator could.
fn raw(dir: &ScratchDir) -> Connection {
    Connection::open(dir.db()).expect("raw connection")
}

/// Opening creates the file in WAL mode at the current schema version; opening again migrates
/// nothing and keeps the data.
#[test]
fn open_is_idempotent() {
    let dir = ScratchDir::new("open_is_idempotent");
    let batch = outpatient_flow(1);
    SqliteStore::open(&dir.db()).expect("first open").commit(&batch).expect("commit");
    let store = SqliteStore::open(&dir.db()).expect("second open");
    assert_eq!(store.load().expect("load"), expected(&[&batch]));
    drop(store);
    let conn = raw(&dir);
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("user_version");
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("journal_mode");
    assert_eq!(mode, "wal", "WAL mode is persistent in the file");
}

/// A file at schema version 1 (before filing records) is migrated to the current version on
/// open, keeping its data, and then stores filings.
#[test]
fn version_1_file_is_migrated() {
    let dir = ScratchDir::new("version_1_file_is_migrated");
    // A version-1 build wrote no ledger postings.
    let batch = CommitBatch { postings: Vec::new(), ..outpatient_flow(1) };
    SqliteStore::open(&dir.db()).expect("create").commit(&batch).expect("commit");
    {
        // What a version-1 build left behind: no filing table, no SM2 columns, no ledger tables,
        // user_version 1.
        let conn = raw(&dir);
        conn.execute_batch(&format!(
            "DROP TABLE filing; {DROP_SM2_COLUMNS} {DROP_LEDGER} {DROP_FUNDS} {DROP_PEOPLE} {DROP_REFUSALS} PRAGMA user_version = 1;"
        ))
        .expect("downgrade");
    }
    let store = SqliteStore::open(&dir.db()).expect("migrating open");
    assert_eq!(store.load().expect("load"), expected(&[&batch]));
    let filings = CommitBatch { filings: rich_batch().filings, ..Default::default() };
    store.commit(&filings).expect("filings after the migration");
    assert_eq!(store.load().expect("load"), expected(&[&batch, &filings]));
    let version: i64 = raw(&dir).query_row("PRAGMA user_version", [], |r| r.get(0)).expect("user_version");
    assert_eq!(version, SCHEMA_VERSION);
}

/// What migration 3 added: the credential's SM2 columns.
/// What migration 4 added: the append-only ledger tables (their triggers go with them).
const DROP_LEDGER: &str = "DROP TABLE ledger_entry; DROP TABLE ledger_posting;";

/// A file at schema version 3 (before the ledger) is migrated on open: its data is kept, and
/// postings can be appended afterwards but never updated (the triggers refuse it).
#[test]
fn version_3_file_gets_the_append_only_ledger() {
    let dir = ScratchDir::new("version_3_file_gets_the_append_only_ledger");
    let batch = CommitBatch { postings: Vec::new(), ..outpatient_flow(1) };
    SqliteStore::open(&dir.db()).expect("create").commit(&batch).expect("commit");
    raw(&dir)
        .execute_batch(&format!(
            "{DROP_LEDGER} {DROP_FUNDS} {DROP_PEOPLE} {DROP_REFUSALS} PRAGMA user_version = 3;"
        ))
        .expect("downgrade");
    let store = SqliteStore::open(&dir.db()).expect("migrating open");
    assert_eq!(store.load().expect("load"), expected(&[&batch]));
    let flow = outpatient_flow(2);
    store.commit(&flow).expect("a flow with its posting");
    assert_eq!(store.load().expect("load"), expected(&[&batch, &flow]));
    let conn = raw(&dir);
    for sql in [
        "UPDATE ledger_entry SET amount_fen = amount_fen + 1",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_posting SET reference = 'x'",
        "DELETE FROM ledger_posting",
    ] {
        let err = conn.execute(sql, []).expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

/// What migration 5 added: the append-only funds events (its triggers go with it).
const DROP_FUNDS: &str = "DROP TABLE funds_event;";
/// Undoes migration 6 (the filing history and people's accounts).
const DROP_PEOPLE: &str = "DROP TABLE filing_event; DROP TABLE person_account;";
/// What version 7 added: the refusals of settlement calls.
const DROP_REFUSALS: &str = "DROP TABLE refusal_event;";

/// Refusals older than the loaded window are deleted when the store opens (they are statistics
/// no dashboard can show); newer ones stay.
#[test]
fn old_refusals_are_pruned_at_open() {
    let dir = ScratchDir::new("old_refusals_are_pruned_at_open");
    let day = 86_400;
    let old =
        yidi_store::conformance::refusal(-(yidi_store::REFUSALS_LOADED_DAYS + 1) * day, "filing_required");
    let new = yidi_store::conformance::refusal(0, "visit_state");
    let batch = CommitBatch { refusals: vec![old, new.clone()], ..Default::default() };
    SqliteStore::open(&dir.db()).expect("create").commit(&batch).expect("commit");
    let count = |dir: &ScratchDir| -> i64 {
        raw(dir).query_row("SELECT count(*) FROM refusal_event", [], |r| r.get(0)).expect("count")
    };
    assert_eq!(count(&dir), 2, "both stored");
    let store = SqliteStore::open(&dir.db()).expect("reopen");
    assert_eq!(count(&dir), 1, "the old one pruned at open");
    assert_eq!(store.load().expect("load").refusals, [new]);
}

/// A file at schema version 6 (refusals counted in memory only) is migrated on open, keeping its
/// data, and then stores refusals, which a load reads back in order.
#[test]
fn version_6_file_gets_refusals() {
    let dir = ScratchDir::new("version_6_file_gets_refusals");
    let batch = outpatient_flow(1);
    SqliteStore::open(&dir.db()).expect("create").commit(&batch).expect("commit");
    raw(&dir).execute_batch(&format!("{DROP_REFUSALS} PRAGMA user_version = 6;")).expect("downgrade");
    let store = SqliteStore::open(&dir.db()).expect("migrating open");
    assert_eq!(store.load().expect("load"), expected(&[&batch]));
    let refusals = CommitBatch { refusals: rich_batch().refusals, ..Default::default() };
    store.commit(&refusals).expect("refusals after the migration");
    assert_eq!(store.load().expect("load"), expected(&[&batch, &refusals]));
    let update = raw(&dir).execute("UPDATE refusal_event SET err_code = 'x'", []);
    assert!(update.is_err(), "refusals are append-only");
}

/// A file at schema version 4 (before funds events) is migrated on open: its data and postings
/// are kept, and events can be appended afterwards but never updated or deleted.
#[test]
fn version_4_file_gets_append_only_funds_events() {
    let dir = ScratchDir::new("version_4_file_gets_append_only_funds_events");
    let batch = outpatient_flow(1);
    SqliteStore::open(&dir.db()).expect("create").commit(&batch).expect("commit");
    raw(&dir)
        .execute_batch(&format!("{DROP_FUNDS} {DROP_PEOPLE} {DROP_REFUSALS} PRAGMA user_version = 4;"))
        .expect("downgrade");
    let store = SqliteStore::open(&dir.db()).expect("migrating open");
    assert_eq!(store.load().expect("load"), expected(&[&batch]));
    let events = CommitBatch { funds_events: rich_batch().funds_events, ..Default::default() };
    store.commit(&events).expect("events after the migration");
    assert_eq!(store.load().expect("load"), expected(&[&batch, &events]));
    let conn = raw(&dir);
    for sql in ["UPDATE funds_event SET body_json = '{}'", "DELETE FROM funds_event"] {
        let err = conn.execute(sql, []).expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

const DROP_SM2_COLUMNS: &str =
    "ALTER TABLE credential DROP COLUMN sm2_required; ALTER TABLE credential DROP COLUMN sm2_public_key;";

/// A file at schema version 2 (before SM2 keys) is migrated on open: its credentials read back
/// with no key and no requirement, and a key can be stored afterwards.
#[test]
fn version_2_credentials_are_migrated() {
    let dir = ScratchDir::new("version_2_credentials_are_migrated");
    let credential = CredentialRecord {
        paasid: "yidi_H31010400123".into(),
        fixmedins_code: "H31010400123".into(),
        token_sealed: vec![1; 45],
        previous_sealed: None,
        previous_until: None,
        revoked: false,
        updated_at: at(0),
        sm2_public_key: None,
        sm2_required: false,
    };
    SqliteStore::open(&dir.db()).expect("create").put_credential(&credential).expect("put");
    raw(&dir)
        .execute_batch(&format!(
            "{DROP_SM2_COLUMNS} {DROP_LEDGER} {DROP_FUNDS} {DROP_PEOPLE} {DROP_REFUSALS} PRAGMA user_version = 2;"
        ))
        .expect("downgrade to version 2");
    let store = SqliteStore::open(&dir.db()).expect("migrating open");
    assert_eq!(store.credentials().expect("credentials"), vec![credential.clone()]);
    let keyed = CredentialRecord { sm2_public_key: Some(vec![4; 65]), sm2_required: true, ..credential };
    store.put_credential(&keyed).expect("put a key");
    assert_eq!(store.credentials().expect("credentials"), vec![keyed]);
    let version: i64 = raw(&dir).query_row("PRAGMA user_version", [], |r| r.get(0)).expect("user_version");
    assert_eq!(version, SCHEMA_VERSION);
}

/// A file written by a newer build is refused rather than misread.
#[test]
fn newer_schema_is_refused() {
    let dir = ScratchDir::new("newer_schema_is_refused");
    drop(SqliteStore::open(&dir.db()).expect("create"));
    raw(&dir).pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("bump version");
    let result = SqliteStore::open(&dir.db());
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "opened a newer schema");
}

/// Every column is INTEGER, TEXT or BLOB: money and times can never be stored as REAL.
#[test]
fn no_column_is_real() {
    let dir = ScratchDir::new("no_column_is_real");
    drop(SqliteStore::open(&dir.db()).expect("create"));
    let conn = raw(&dir);
    let mut stmt = conn
        .prepare("SELECT m.name, p.name, p.type FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table'")
        .expect("prepare");
    let columns: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("columns");
    assert!(columns.len() > 50, "the schema was read ({} columns)", columns.len());
    for (table, column, kind) in columns {
        assert!(["INTEGER", "TEXT", "BLOB"].contains(&kind.as_str()), "{table}.{column} is {kind}");
        if column.ends_with("_fen") || column.ends_with("_s") {
            assert_eq!(kind, "INTEGER", "{table}.{column}");
        }
    }
}

/// A sequence beyond `i64::MAX` cannot be kept exactly, so its batch fails whole.
#[test]
fn sequence_beyond_i64_fails_the_batch() {
    let dir = ScratchDir::new("sequence_beyond_i64");
    let store = SqliteStore::open(&dir.db()).expect("open");
    let mut batch = outpatient_flow(1);
    batch.sequences.push(("setl_id".into(), u64::MAX));
    assert!(matches!(store.commit(&batch), Err(StoreError::Corrupt(_))));
    assert_eq!(store.load().expect("load"), expected(&[]));
}

/// A pack whose stored text no longer matches its hash is reported, not returned.
#[test]
fn tampered_pack_is_corrupt() {
    let dir = ScratchDir::new("tampered_pack_is_corrupt");
    let store = SqliteStore::open(&dir.db()).expect("open");
    let files = BTreeMap::from([("pack.toml".to_string(), "name = \"demo\"\n".to_string())]);
    assert!(store.save_pack(&files, at(0)).expect("save"));
    raw(&dir)
        .execute("UPDATE pack SET files_json = '{\"pack.toml\":\"name = \\\"evil\\\"\\n\"}'", [])
        .expect("tamper");
    assert!(matches!(store.latest_pack(), Err(StoreError::Corrupt(_))));
}

/// A row the schema would never let us write (an unknown enum text) fails `load` as corrupt.
#[test]
fn unknown_visit_state_is_corrupt() {
    let dir = ScratchDir::new("unknown_visit_state_is_corrupt");
    let store = SqliteStore::open(&dir.db()).expect("open");
    store.commit(&outpatient_flow(1)).expect("commit");
    let conn = raw(&dir);
    conn.execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE visit SET state = 'lost';")
        .expect("tamper");
    assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
}

/// The in-memory store (for this crate's quick checks) keeps the same meaning as a file.
#[test]
fn in_memory_store_round_trips() {
    let store = SqliteStore::open_in_memory().expect("open in memory");
    let batches = [rich_batch(), outpatient_flow(1)];
    for batch in &batches {
        store.commit(batch).expect("commit");
    }
    let refs: Vec<&CommitBatch> = batches.iter().collect();
    assert_eq!(store.load().expect("load"), expected(&refs));
}
