//! The schema, as numbered migrations applied once each, tracked in `PRAGMA user_version`.
//!
//! Migration `i` (0-based) brings a database from `user_version = i` to `i + 1`. A migration is
//! never edited once released: a change is a new entry. Every table is `STRICT`, so a column
//! declared `INTEGER` can hold nothing else (no REAL sneaks in), and money columns end in `_fen`.

use rusqlite::{Connection, TransactionBehavior};
use yidi_store::{StoreError, StoreResult};

use crate::codec::io;

/// Version 1: the hub's records, person state in four tables, packs, credentials, tokens.
const V1: &str = r#"
CREATE TABLE visit (
    mdtrt_id       TEXT NOT NULL PRIMARY KEY,
    fixmedins_code TEXT NOT NULL,
    psn_no         TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('outpatient', 'inpatient')),
    insutype       TEXT NOT NULL,
    med_type       TEXT,
    begntime_s     INTEGER NOT NULL,
    endtime_s      INTEGER,
    visit_no       TEXT NOT NULL,
    dise_codg      TEXT,
    state          TEXT NOT NULL CHECK (state IN ('open', 'discharged', 'settled', 'cancelled')),
    extra_json     TEXT NOT NULL,
    msgid          TEXT NOT NULL
) STRICT;

-- The primary key also serves "the fee lines of a visit" (its prefix is mdtrt_id).
CREATE TABLE fee_line (
    mdtrt_id              TEXT NOT NULL,
    feedetl_sn            TEXT NOT NULL,
    chrg_bchno            TEXT,
    med_list_codg         TEXT NOT NULL,
    medins_list_codg      TEXT NOT NULL,
    cnt_ten_thousandths   INTEGER NOT NULL,
    pric_micro_yuan       INTEGER NOT NULL,
    amount_fen            INTEGER NOT NULL,
    fee_ocur_time_s       INTEGER NOT NULL,
    init_feedetl_sn       TEXT,
    live                  INTEGER NOT NULL CHECK (live IN (0, 1)),
    setl_id               TEXT,
    extra_json            TEXT NOT NULL,
    msgid                 TEXT NOT NULL,
    PRIMARY KEY (mdtrt_id, feedetl_sn)
) STRICT;

CREATE TABLE settlement (
    setl_id                    TEXT NOT NULL PRIMARY KEY,
    mdtrt_id                   TEXT NOT NULL,
    fixmedins_code             TEXT NOT NULL,
    psn_no                     TEXT NOT NULL,
    chrg_bchno                 TEXT,
    insutype                   TEXT NOT NULL,
    clr_type                   TEXT NOT NULL,
    clr_optins                 TEXT NOT NULL,
    setl_time_s                INTEGER NOT NULL,
    status                     TEXT NOT NULL CHECK (status IN ('settled', 'reversed')),
    medfee_sumamt_fen          INTEGER NOT NULL,
    fund_pay_sumamt_fen        INTEGER NOT NULL,
    acct_pay_fen               INTEGER NOT NULL,
    psn_cash_pay_fen           INTEGER NOT NULL,
    delta_policy_year          INTEGER NOT NULL,
    delta_cap_pool             TEXT NOT NULL,
    delta_cap_month            INTEGER,
    delta_deductible_paid_fen  INTEGER NOT NULL,
    delta_admissions           INTEGER NOT NULL CHECK (delta_admissions >= 0),
    delta_fund_paid_fen        INTEGER NOT NULL,
    delta_hifmi_base_fen       INTEGER NOT NULL,
    delta_hifmi_paid_fen       INTEGER NOT NULL,
    delta_hifob_base_fen       INTEGER NOT NULL,
    delta_hifob_paid_fen       INTEGER NOT NULL,
    delta_maf_paid_fen         INTEGER NOT NULL,
    delta_acct_pay_fen         INTEGER NOT NULL,
    output_json                TEXT NOT NULL,
    trace                      TEXT NOT NULL,
    msgid                      TEXT NOT NULL,
    reversal_msgid             TEXT,
    reversal_time_s            INTEGER,
    reversal_output_json       TEXT
) STRICT;
CREATE INDEX settlement_by_facility_time ON settlement (fixmedins_code, setl_time_s);
CREATE INDEX settlement_by_person ON settlement (psn_no);

-- A person's state is one row here plus its years, pools and months below. Replacing a state
-- deletes its years, which cascades to pools and months, then inserts the new rows.
CREATE TABLE person_state (
    psn_no            TEXT NOT NULL PRIMARY KEY,
    acct_balance_fen  INTEGER NOT NULL
) STRICT;

CREATE TABLE person_year (
    psn_no          TEXT NOT NULL REFERENCES person_state (psn_no) ON DELETE CASCADE,
    policy_year     INTEGER NOT NULL,
    hifmi_base_fen  INTEGER NOT NULL,
    hifmi_paid_fen  INTEGER NOT NULL,
    hifob_base_fen  INTEGER NOT NULL,
    hifob_paid_fen  INTEGER NOT NULL,
    maf_paid_fen    INTEGER NOT NULL,
    PRIMARY KEY (psn_no, policy_year)
) STRICT;

CREATE TABLE person_pool (
    psn_no               TEXT NOT NULL,
    policy_year          INTEGER NOT NULL,
    cap_pool             TEXT NOT NULL,
    deductible_paid_fen  INTEGER NOT NULL,
    admissions           INTEGER NOT NULL CHECK (admissions >= 0),
    fund_paid_fen        INTEGER NOT NULL,
    PRIMARY KEY (psn_no, policy_year, cap_pool),
    FOREIGN KEY (psn_no, policy_year) REFERENCES person_year (psn_no, policy_year) ON DELETE CASCADE
) STRICT;

CREATE TABLE person_month (
    psn_no         TEXT NOT NULL,
    policy_year    INTEGER NOT NULL,
    cap_pool       TEXT NOT NULL,
    year_month     INTEGER NOT NULL CHECK (year_month >= 0),
    fund_paid_fen  INTEGER NOT NULL,
    PRIMARY KEY (psn_no, policy_year, cap_pool, year_month),
    FOREIGN KEY (psn_no, policy_year) REFERENCES person_year (psn_no, policy_year) ON DELETE CASCADE
) STRICT;

CREATE TABLE answer (
    fixmedins_code  TEXT NOT NULL,
    msgid           TEXT NOT NULL,
    infno           TEXT NOT NULL,
    fingerprint     BLOB NOT NULL CHECK (length(fingerprint) = 32),
    body            TEXT NOT NULL,
    answered_at_s   INTEGER NOT NULL,
    PRIMARY KEY (fixmedins_code, msgid)
) STRICT;

CREATE TABLE blocked_msgid (
    fixmedins_code  TEXT NOT NULL,
    msgid           TEXT NOT NULL,
    blocked_by      TEXT NOT NULL,
    PRIMARY KEY (fixmedins_code, msgid)
) STRICT;

CREATE TABLE sign_event (
    sign_no          TEXT NOT NULL PRIMARY KEY,
    fixmedins_code   TEXT NOT NULL,
    opter_no         TEXT NOT NULL,
    sign_in_time_s   INTEGER NOT NULL,
    sign_out_time_s  INTEGER
) STRICT;

CREATE TABLE id_sequence (
    name        TEXT NOT NULL PRIMARY KEY,
    next_value  INTEGER NOT NULL CHECK (next_value >= 0)
) STRICT;

-- One row per imported pack that differed from the one before; the latest is the highest pack_no.
CREATE TABLE pack (
    pack_no          INTEGER PRIMARY KEY,
    imported_at_s    INTEGER NOT NULL,
    content_fnv1a64  TEXT NOT NULL,
    file_count       INTEGER NOT NULL CHECK (file_count >= 0),
    files_json       TEXT NOT NULL
) STRICT;

CREATE TABLE credential (
    paasid            TEXT NOT NULL PRIMARY KEY,
    fixmedins_code    TEXT NOT NULL,
    token_sealed      BLOB NOT NULL,
    previous_sealed   BLOB,
    previous_until_s  INTEGER,
    revoked           INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    updated_at_s      INTEGER NOT NULL
) STRICT;

CREATE TABLE agency_token (
    name          TEXT NOT NULL PRIMARY KEY,
    admdvs        TEXT NOT NULL,
    token_sha256  BLOB NOT NULL CHECK (length(token_sha256) = 32),
    revoked       INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    created_at_s  INTEGER NOT NULL
) STRICT;
"#;

/// Version 2: filings made or changed through the agency API. A row replaces the pack's filing
/// with the same `filing_id`; dates are `YYYY-MM-DD` text, as in `filings.csv`.
const V2: &str = r#"
CREATE TABLE filing (
    filing_id        TEXT NOT NULL PRIMARY KEY,
    psn_no           TEXT NOT NULL,
    category         TEXT NOT NULL,
    mdtrtarea_admvs  TEXT NOT NULL,
    begndate         TEXT NOT NULL CHECK (length(begndate) = 10),
    enddate          TEXT CHECK (enddate IS NULL OR length(enddate) = 10),
    filed_at_s       INTEGER,
    cancelled_at_s   INTEGER,
    created_by       TEXT NOT NULL,
    changed_by       TEXT NOT NULL,
    changed_at_s     INTEGER NOT NULL
) STRICT;
CREATE INDEX filing_by_person ON filing (psn_no);
"#;

/// Version 3: a facility's SM2 public key (`protocol.md` §3.3) and whether every request must
/// carry a signature by it. Existing credentials get no key and no requirement.
const V3: &str = r#"
ALTER TABLE credential ADD COLUMN sm2_public_key BLOB;
ALTER TABLE credential ADD COLUMN sm2_required INTEGER NOT NULL DEFAULT 0 CHECK (sm2_required IN (0, 1));
"#;

/// Version 4: the funds ledger (`yidi-ledger`), append-only. A posting is one row here plus its
/// entries below, written in the same transaction as the state change it records. Nothing is
/// ever updated or deleted (the triggers refuse it), and there is no balance row: balances are
/// rolled up from the entries, so concurrent settlements only ever append distinct rows.
/// `amount_fen` is signed: positive a debit, negative a credit.
const V4: &str = r#"
CREATE TABLE ledger_posting (
    posting_id  INTEGER NOT NULL PRIMARY KEY CHECK (posting_id > 0),
    kind        TEXT NOT NULL,
    sense       TEXT NOT NULL,
    reference   TEXT NOT NULL,
    at_s        INTEGER NOT NULL,
    month       TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_posting_by_reference ON ledger_posting (reference);

CREATE TABLE ledger_entry (
    posting_id  INTEGER NOT NULL REFERENCES ledger_posting (posting_id),
    line        INTEGER NOT NULL CHECK (line >= 0),
    account     TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL,
    PRIMARY KEY (posting_id, line)
) STRICT;

CREATE TRIGGER ledger_posting_no_update BEFORE UPDATE ON ledger_posting
BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;
CREATE TRIGGER ledger_posting_no_delete BEFORE DELETE ON ledger_posting
BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;
CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
"#;

/// Version 5: funds events (clearing, prepayment, refusals, inquiries, reimbursements), append-only
/// like the ledger: a row is written once in the same transaction as the postings it causes and is
/// never updated or deleted (the triggers refuse it). The hub rebuilds its funds views from them.
const V5: &str = r#"
CREATE TABLE funds_event (
    event_id   INTEGER NOT NULL PRIMARY KEY CHECK (event_id > 0),
    kind       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    at_s       INTEGER NOT NULL,
    by_user    TEXT NOT NULL,
    body_json  TEXT NOT NULL
) STRICT;
CREATE INDEX funds_event_by_reference ON funds_event (reference);

CREATE TRIGGER funds_event_no_update BEFORE UPDATE ON funds_event
BEGIN SELECT RAISE(ABORT, 'funds events are append-only'); END;
CREATE TRIGGER funds_event_no_delete BEFORE DELETE ON funds_event
BEGIN SELECT RAISE(ABORT, 'funds events are append-only'); END;
"#;

/// Version 6: the filing history and people's online accounts. `filing_event` is append-only like
/// the ledger (one row per change of a filing, written with the filing record in the same batch;
/// the triggers refuse UPDATE and DELETE). `person_account` keeps an argon2 PHC string and the
/// SHA-256 of a pending one-time activation code, never the code or the password.
const V6: &str = r#"
CREATE TABLE filing_event (
    event_id           INTEGER NOT NULL PRIMARY KEY CHECK (event_id > 0),
    filing_id          TEXT NOT NULL,
    psn_no             TEXT NOT NULL,
    action             TEXT NOT NULL CHECK (action IN ('create', 'cancel', 'change_out', 'change_in')),
    category           TEXT NOT NULL,
    mdtrtarea_admvs    TEXT NOT NULL,
    begndate           TEXT NOT NULL CHECK (length(begndate) = 10),
    enddate            TEXT CHECK (enddate IS NULL OR length(enddate) = 10),
    related_filing_id  TEXT,
    channel            TEXT NOT NULL CHECK (channel IN ('agency', 'person')),
    by_user            TEXT NOT NULL,
    at_s               INTEGER NOT NULL,
    note               TEXT NOT NULL
) STRICT;
CREATE INDEX filing_event_by_filing ON filing_event (filing_id);

CREATE TRIGGER filing_event_no_update BEFORE UPDATE ON filing_event
BEGIN SELECT RAISE(ABORT, 'the filing history is append-only'); END;
CREATE TRIGGER filing_event_no_delete BEFORE DELETE ON filing_event
BEGIN SELECT RAISE(ABORT, 'the filing history is append-only'); END;

CREATE TABLE person_account (
    psn_no                   TEXT NOT NULL PRIMARY KEY,
    password_phc             TEXT,
    activation_sha256        BLOB CHECK (activation_sha256 IS NULL OR length(activation_sha256) = 32),
    activation_expires_at_s  INTEGER,
    activation_issued_by     TEXT,
    created_at_s             INTEGER NOT NULL,
    updated_at_s             INTEGER NOT NULL
) STRICT;
"#;

/// Version 7: refused settlement calls, for the agency dashboards' refusal figures (they used to
/// be counted in memory only and started again at every restart). Never updated (the trigger
/// refuses it); rows older than `REFUSALS_LOADED_DAYS` before the newest are deleted at open.
const V7: &str = r#"
CREATE TABLE refusal_event (
    refusal_id      INTEGER NOT NULL PRIMARY KEY,
    at_s            INTEGER NOT NULL,
    psn_no          TEXT NOT NULL,
    fixmedins_code  TEXT NOT NULL,
    mdtrt_id        TEXT NOT NULL,
    err_code        TEXT NOT NULL
) STRICT;
CREATE INDEX refusal_event_by_time ON refusal_event (at_s);

CREATE TRIGGER refusal_event_no_update BEFORE UPDATE ON refusal_event
BEGIN SELECT RAISE(ABORT, 'refusals are append-only'); END;
"#;

/// Every migration, in order; `MIGRATIONS.len()` is the schema version this build writes.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7];

/// The schema version a fully migrated database has.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], applying each missing migration once. The check and
/// the migrations run in one immediate transaction, so two processes opening a new file at once
/// cannot both migrate it, and a crash mid-migration leaves the old version.
pub(crate) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(io("begin migration"))?;
    let version: i64 =
        tx.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(io("read user_version"))?;
    if !(0..=SCHEMA_VERSION).contains(&version) {
        return Err(StoreError::Corrupt(format!(
            "database schema version {version} is not one this build knows (0..={SCHEMA_VERSION})"
        )));
    }
    for (done, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(io("apply migration"))?;
        tx.pragma_update(None, "user_version", done as i64 + 1).map_err(io("write user_version"))?;
    }
    tx.commit().map_err(io("commit migration"))
}
