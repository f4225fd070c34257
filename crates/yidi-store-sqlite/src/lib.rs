//! [`Store`] on an embedded SQLite file: the default backend of the hub.
//!
//! Key design decision: one group commit is one SQLite transaction (`BEGIN IMMEDIATE … COMMIT`)
//! on a WAL-mode file with `synchronous = FULL`, so when [`Store::commit`] returns the batch is
//! on disk (the WAL is fsynced at every commit) and a crash at any moment leaves either the whole
//! batch or none of it. The hub commits from one thread, so one connection behind a `Mutex` is
//! enough; every statement is prepared once and cached on it.
//!
//! # Schema and encodings
//!
//! The schema lives in `schema.rs` as numbered migrations tracked by `PRAGMA user_version`;
//! opening a file applies the missing ones in one transaction, and opening twice changes nothing.
//! Every table is `STRICT`, and no column is `REAL`:
//!
//! - money ([`yidi_domain::Fen`]) is `INTEGER` fen in columns ending `_fen`; a quantity
//!   ([`yidi_domain::Qty`]) is `INTEGER` ten-thousandths (`cnt_ten_thousandths`); a unit price
//!   ([`yidi_domain::Price`]) is `INTEGER` millionths of a yuan (`pric_micro_yuan`);
//! - a [`yidi_domain::DateTime`] is `INTEGER` seconds since 1970-01-01 00:00:00 on the same
//!   Beijing wall clock (`DateTime::to_epoch_secs`, no zone shift), in columns ending `_s`: exact,
//!   compact and sortable;
//! - enums are lower-case `TEXT` guarded by `CHECK` (`'outpatient'`, `'settled'`, …), booleans
//!   `INTEGER` 0/1, fingerprints and token hashes 32-byte `BLOB`s;
//! - a settlement's [`yidi_domain::StateDelta`] is flattened into `delta_*` columns of its row;
//! - a [`yidi_domain::PersonState`] is normalised into `person_state` (balance),
//!   `person_year`, `person_pool` and `person_month`, so accumulators can be queried with SQL;
//!   writing a state replaces all its rows (a cascade from `person_year` drops pools and months);
//! - sequences are `INTEGER` (signed 64-bit): a value above `i64::MAX` fails the batch as
//!   `Corrupt` rather than being stored wrong;
//! - a pack is one row: its files as a JSON object (path → text) plus an FNV-1a 64 content hash.
//! - a filing record (migration 2) keeps its dates as `YYYY-MM-DD` `TEXT`, as `filings.csv` does.
//! - a credential's SM2 public key (migration 3) is a nullable `BLOB` as the caller encodes it,
//!   `sm2_required` an `INTEGER` 0/1 (0 for credentials written before the migration).
//! - the filing history (migration 6) is append-only like the ledger (triggers refuse UPDATE and
//!   DELETE); a person's account keeps an argon2 PHC `TEXT` and a 32-byte `BLOB` SHA-256 of the
//!   pending activation code, never a password or a code.
//!
//! No foreign key links visits, fee lines and settlements: the trait stores records as given and
//! the hub keeps their rules; the only foreign keys hold a person's state rows together.
//!
//! # PostgreSQL
//!
//! A later `yidi-store-postgres` implements the same trait and runs the same suite
//! (`yidi_store::conformance`) when `DATABASE_URL` is set, one scratch database per check. To keep
//! one meaning it needs `COLLATE "C"` on key columns (byte-wise order, as here), `GREATEST` for
//! the sequence upsert, and `BYTEA`/`BIGINT` where this schema has `BLOB`/`INTEGER`.

mod access;
mod codec;
mod funds;
mod ledger;
pub mod limits;
mod pack;
mod people;
mod read;
mod schema;
mod write;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use yidi_domain::DateTime;
use yidi_store::{
    AgencyTokenRecord, CommitBatch, CredentialRecord, Snapshot, Store, StoreError, StoreResult,
};

use crate::codec::io;
pub use crate::schema::SCHEMA_VERSION;

/// The hub's durable state in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, sets the pragmas and migrates the schema.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError::Io(format!("sqlite open {}: {e}", path.display())))?;
        SqliteStore::init(conn, "wal")
    }

    /// A private in-memory store for this crate's quick unit tests. Other crates' tests use real
    /// temporary files through [`SqliteStore::open`], so they exercise WAL and fsync as shipped.
    pub fn open_in_memory() -> StoreResult<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(io("open in memory"))?;
        // An in-memory database has no WAL; SQLite keeps its journal in memory whatever we ask.
        SqliteStore::init(conn, "memory")
    }

    fn init(mut conn: Connection, journal_mode_expected: &str) -> StoreResult<SqliteStore> {
        configure(&conn, journal_mode_expected)?;
        schema::migrate(&mut conn)?;
        people::prune_refusals(&conn)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock unwound through the open transaction's `Drop`, which
        // rolled it back, so the connection is consistent and can be used again.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sets every driver option explicitly and reads each back, so no default can shift under us.
fn configure(conn: &Connection, journal_mode_expected: &str) -> StoreResult<()> {
    conn.busy_timeout(Duration::from_millis(limits::BUSY_TIMEOUT_MS)).map_err(io("busy_timeout"))?;
    let journal_mode: String =
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(io("journal_mode"))?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(io("synchronous"))?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(io("foreign_keys"))?;
    conn.pragma_update(None, "wal_autocheckpoint", limits::WAL_AUTOCHECKPOINT_PAGES)
        .map_err(io("wal_autocheckpoint"))?;
    conn.set_prepared_statement_cache_capacity(limits::STATEMENT_CACHE_CAPACITY);

    let read = |name: &str| -> StoreResult<i64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0)).map_err(io("read pragma"))
    };
    let wrong = |what: String| Err(StoreError::Io(format!("sqlite refused a setting: {what}")));
    if !journal_mode.eq_ignore_ascii_case(journal_mode_expected) {
        return wrong(format!("journal_mode is {journal_mode}, not {journal_mode_expected}"));
    }
    // 2 = FULL: the WAL is fsynced at every commit.
    if read("synchronous")? != 2 {
        return wrong("synchronous is not FULL".into());
    }
    if read("foreign_keys")? != 1 {
        return wrong("foreign_keys is not ON".into());
    }
    if read("busy_timeout")? != limits::BUSY_TIMEOUT_MS as i64 {
        return wrong("busy_timeout did not take".into());
    }
    Ok(())
}

impl Store for SqliteStore {
    fn load(&self) -> StoreResult<Snapshot> {
        let mut conn = self.lock();
        // One read transaction: the snapshot sees one committed state, never half a batch.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(io("begin load"))?;
        let snapshot = read::snapshot(&tx)?;
        tx.commit().map_err(io("end load"))?;
        Ok(snapshot)
    }

    fn commit(&self, batch: &CommitBatch) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        // IMMEDIATE takes the write lock up front, so the batch never fails halfway on a lock
        // upgrade; on any error the transaction is dropped, which rolls the whole batch back.
        let tx =
            conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(io("begin commit"))?;
        write::write_batch(&tx, batch)?;
        tx.commit().map_err(io("commit"))
    }

    fn save_pack(&self, files: &BTreeMap<String, String>, imported_at: DateTime) -> StoreResult<bool> {
        pack::save(&mut self.lock(), files, imported_at)
    }

    fn latest_pack(&self) -> StoreResult<Option<BTreeMap<String, String>>> {
        pack::latest(&self.lock())
    }

    fn put_credential(&self, credential: &CredentialRecord) -> StoreResult<()> {
        access::put_credential(&self.lock(), credential)
    }

    fn credentials(&self) -> StoreResult<Vec<CredentialRecord>> {
        access::credentials(&self.lock())
    }

    fn put_agency_token(&self, token: &AgencyTokenRecord) -> StoreResult<()> {
        access::put_agency_token(&self.lock(), token)
    }

    fn agency_tokens(&self) -> StoreResult<Vec<AgencyTokenRecord>> {
        access::agency_tokens(&self.lock())
    }

    fn put_person_account(&self, account: &yidi_store::PersonAccountRecord) -> StoreResult<()> {
        people::put_account(&self.lock(), account)
    }

    fn put_person_activation(
        &self,
        psn_no: &str,
        activation_sha256: [u8; 32],
        expires_at: DateTime,
        issued_by: &str,
        at: DateTime,
    ) -> StoreResult<()> {
        people::put_activation(&self.lock(), psn_no, &activation_sha256, expires_at, issued_by, at)
    }

    fn person_account(&self, psn_no: &str) -> StoreResult<Option<yidi_store::PersonAccountRecord>> {
        people::account(&self.lock(), psn_no)
    }
}
