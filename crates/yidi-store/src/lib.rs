//! The hub's durable state, as a trait over domain records.
//!
//! Key design decision: the hub keeps its working state in memory and the store is the durable
//! truth behind it. Every change the hub makes is expressed as records in a [`CommitBatch`]; a
//! batch is written atomically (all or nothing) and durably (fsync) before any answer that
//! depends on it leaves the hub. Many requests share one batch (group commit). At start the hub
//! reads everything back with [`Store::load`]. The trait speaks in records, never in SQL, so
//! SQLite and PostgreSQL implementations can batch in their own way.

use std::collections::BTreeMap;

pub mod conformance;

use yidi_domain::{Date, DateTime, Fen, PersonState, Price, Qty, StateDelta};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O error: {0}")]
    Io(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VisitKind {
    Outpatient,
    Inpatient,
}

/// Where a visit or stay is in its life (`protocol.md` §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VisitState {
    /// Outpatient registered (2201), or inpatient admitted (2401).
    Open,
    /// Inpatient discharged (2402).
    Discharged,
    /// Inpatient settled (2304).
    Settled,
    /// Cancelled (2202 / 2404): final.
    Cancelled,
}

/// A visit (outpatient) or a stay (inpatient), keyed by `mdtrt_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitRecord {
    pub mdtrt_id: String,
    pub fixmedins_code: String,
    pub psn_no: String,
    pub kind: VisitKind,
    pub insutype: String,
    pub med_type: Option<String>,
    pub begntime: DateTime,
    pub endtime: Option<DateTime>,
    /// `ipt_otp_no` (outpatient) or `ipt_no` (inpatient).
    pub visit_no: String,
    pub dise_codg: Option<String>,
    pub state: VisitState,
    /// Every other field the hospital sent, as JSON text, kept for queries.
    pub extra_json: String,
    /// The `msgid` that created the visit.
    pub msgid: String,
}

/// One fee line of a visit or stay, keyed by (`mdtrt_id`, `feedetl_sn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeLineRecord {
    pub mdtrt_id: String,
    pub feedetl_sn: String,
    /// Outpatient charge batch; `None` for inpatient lines.
    pub chrg_bchno: Option<String>,
    pub med_list_codg: String,
    pub medins_list_codg: String,
    pub cnt: Qty,
    pub pric: Price,
    pub amount: Fen,
    pub fee_ocur_time: DateTime,
    /// For refund lines: the line refunded.
    pub init_feedetl_sn: Option<String>,
    /// False once withdrawn (2205 / 2302); withdrawn lines stay for audit.
    pub live: bool,
    /// The settlement that used the line, while it is settled.
    pub setl_id: Option<String>,
    pub extra_json: String,
    pub msgid: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettlementStatus {
    Settled,
    Reversed,
}

/// A settlement and, when reversed, its reversal; keyed by `setl_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementRecord {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub fixmedins_code: String,
    pub psn_no: String,
    pub chrg_bchno: Option<String>,
    pub insutype: String,
    /// `11` outpatient and chronic, `21` inpatient.
    pub clr_type: String,
    /// The treatment pooling region.
    pub clr_optins: String,
    pub setl_time: DateTime,
    pub status: SettlementStatus,
    pub medfee_sumamt: Fen,
    pub fund_pay_sumamt: Fen,
    pub acct_pay: Fen,
    pub psn_cash_pay: Fen,
    /// The state change the settlement made, reverted exactly by its reversal.
    pub delta: StateDelta,
    /// The national `output` node as answered, JSON text.
    pub output_json: String,
    /// The human-readable trace, one step per line.
    pub trace: String,
    /// The settling `msgid` (`medins_setl_id`).
    pub msgid: String,
    pub reversal_msgid: Option<String>,
    pub reversal_time: Option<DateTime>,
    pub reversal_output_json: Option<String>,
}

/// A stored answer to a writing transaction, keyed by (`fixmedins_code`, `msgid`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerRecord {
    pub fixmedins_code: String,
    pub msgid: String,
    pub infno: String,
    /// SHA-256 of `infno` + canonical `input`.
    pub fingerprint: [u8; 32],
    /// The exact response body answered.
    pub body: String,
    pub answered_at: DateTime,
}

/// A `msgid` blocked by 2601 before it was ever answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedMsgid {
    pub fixmedins_code: String,
    pub msgid: String,
    pub blocked_by: String,
}

/// A sign-in (9001) or sign-out (9002), recorded only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignRecord {
    pub sign_no: String,
    pub fixmedins_code: String,
    pub opter_no: String,
    pub sign_in_time: DateTime,
    pub sign_out_time: Option<DateTime>,
}

/// A filing made or changed through the agency API, keyed by `filing_id`. It carries the pack's
/// filing columns (`filings.csv`) as text and dates, plus who changed it and when; the hub lays
/// these records over the pack's filings (same `filing_id` replaces) at start and on change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilingRecord {
    pub filing_id: String,
    pub psn_no: String,
    /// The category code of `filings.csv` (`retired_resettled`, `other_temporary`, …).
    pub category: String,
    /// Province, city or `000000` (whole country, temporary categories only).
    pub mdtrtarea_admvs: String,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub filed_at: Option<DateTime>,
    pub cancelled_at: Option<DateTime>,
    /// The agency user (token name) that created the filing; `pack` for a pack filing changed
    /// through the API.
    pub created_by: String,
    /// The agency user of the latest change.
    pub changed_by: String,
    pub changed_at: DateTime,
}

/// One ledger posting (`yidi_ledger::Posting`) as stored: append-only, keyed by `posting_id`,
/// never replaced or updated. The store keeps the codes as text and does not interpret them; the
/// hub converts to and from the ledger's types and checks balance on the way back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingRecord {
    /// Assigned by the hub, increasing in commit order (1, 2, …).
    pub posting_id: u64,
    /// `PostingKind::code()`, e.g. `settle:150000>110000:11`.
    pub kind: String,
    /// `normal` or `reversal`.
    pub sense: String,
    /// `setl_id` for settlement postings and their reversals.
    pub reference: String,
    pub at: DateTime,
    /// The clearing month the posting counts in, `YYYY-MM`.
    pub month: String,
    /// `(account code, signed amount)`: positive a debit, negative a credit; in entry order.
    pub entries: Vec<(String, Fen)>,
}

/// One funds event (clearing, prepayment, refusal, recovery, inquiry, reimbursement …) as stored:
/// append-only, keyed by `event_id`, never replaced or updated. The store does not interpret
/// `kind` or `body_json`; the hub's funds modules rebuild their in-memory views from the events
/// in `event_id` order at start (`yidi-hub/src/funds.rs`). Kinds carry their module's prefix:
/// `clearing.*`, `prepayment.*`, `adjust.*`, `inquiry.*`, `reimburse.*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundsEventRecord {
    /// Assigned by the hub, increasing in commit order (1, 2, …).
    pub event_id: u64,
    /// `module.action`, e.g. `clearing.freeze`.
    pub kind: String,
    /// What the event is about, e.g. `110000>310000:2025-10` or a `setl_id`.
    pub reference: String,
    pub at: DateTime,
    /// The agency user (token name), the facility code, or `system`.
    pub by: String,
    /// The event's data, JSON text (the module's own shape).
    pub body_json: String,
}

/// One change of a filing, as the filing history keeps it: append-only, keyed by `event_id`,
/// never replaced or updated. It carries the filing's columns after the change, who made it
/// (an agency user's token name, or `person:<masked identity number>`), through which channel
/// and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilingEventRecord {
    /// Assigned by the hub, increasing in commit order (1, 2, …).
    pub event_id: u64,
    pub filing_id: String,
    pub psn_no: String,
    /// `create`, `cancel`, `change_out` (cancelled by a change) or `change_in` (made by one).
    pub action: String,
    pub category: String,
    pub mdtrtarea_admvs: String,
    pub begndate: Date,
    pub enddate: Option<Date>,
    /// For a change: the filing on the other side of it.
    pub related_filing_id: Option<String>,
    /// `agency` or `person`.
    pub channel: String,
    pub by: String,
    pub at: DateTime,
    /// A Chinese remark (commitment confirmed, retroactive begin date, …); may be empty.
    pub note: String,
}

/// A person's online account (the people's portal): the password hash (argon2, PHC string) and
/// the pending one-time activation code (its SHA-256 only), keyed by `psn_no`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonAccountRecord {
    pub psn_no: String,
    /// `None` until the first activation.
    pub password_phc: Option<String>,
    pub activation_sha256: Option<[u8; 32]>,
    pub activation_expires_at: Option<DateTime>,
    /// The agency user (or `cli`) that issued the pending code.
    pub activation_issued_by: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

/// A refused settlement or pre-settlement call (2206/2207/2303/2304), kept for the agency
/// dashboards' refusal figures and direct-settlement rate. Not business state: the refused call
/// changed nothing, and nothing but the dashboards reads these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalRecord {
    pub at: DateTime,
    pub psn_no: String,
    pub fixmedins_code: String,
    pub mdtrt_id: String,
    pub err_code: String,
}

/// How far back [`Store::load`] reads refusals, counted from the newest stored one: a dashboard
/// shows at most a year (`DASHBOARD_DAYS_MAX` in the hub). A store may delete older rows (the
/// SQLite store does at open), the only deletion it ever makes.
pub const REFUSALS_LOADED_DAYS: i64 = 400;

/// Everything one group commit writes. Records with an existing key replace the stored one,
/// except ledger postings and funds events: a posting whose `posting_id` (an event whose
/// `event_id`) is already stored fails the batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitBatch {
    pub visits: Vec<VisitRecord>,
    pub fee_lines: Vec<FeeLineRecord>,
    pub settlements: Vec<SettlementRecord>,
    /// Each person's whole state after the batch.
    pub person_states: Vec<(String, PersonState)>,
    pub answers: Vec<AnswerRecord>,
    pub blocked: Vec<BlockedMsgid>,
    pub signs: Vec<SignRecord>,
    /// Identifier sequences after the batch (name → next value); never move backwards.
    pub sequences: Vec<(String, u64)>,
    /// Filings made or changed through the agency API.
    pub filings: Vec<FilingRecord>,
    /// Ledger postings, appended in the same transaction as the state change they record.
    pub postings: Vec<PostingRecord>,
    /// Funds events, appended in the same transaction as the postings they cause.
    pub funds_events: Vec<FundsEventRecord>,
    /// Filing history events, appended in the same transaction as the filing records they describe.
    pub filing_events: Vec<FilingEventRecord>,
    /// Refused settlement calls of the batch, appended.
    pub refusals: Vec<RefusalRecord>,
}

impl CommitBatch {
    pub fn is_empty(&self) -> bool {
        *self == CommitBatch::default()
    }
    /// Appends another batch's records (later records for the same key win on write).
    pub fn extend(&mut self, other: CommitBatch) {
        self.visits.extend(other.visits);
        self.fee_lines.extend(other.fee_lines);
        self.settlements.extend(other.settlements);
        self.person_states.extend(other.person_states);
        self.answers.extend(other.answers);
        self.blocked.extend(other.blocked);
        self.signs.extend(other.signs);
        self.sequences.extend(other.sequences);
        self.filings.extend(other.filings);
        self.postings.extend(other.postings);
        self.funds_events.extend(other.funds_events);
        self.filing_events.extend(other.filing_events);
        self.refusals.extend(other.refusals);
    }
}

/// Everything the hub reads back at start. Vectors are ordered by their record's key (byte-wise).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub visits: Vec<VisitRecord>,
    pub fee_lines: Vec<FeeLineRecord>,
    pub settlements: Vec<SettlementRecord>,
    pub person_states: BTreeMap<String, PersonState>,
    pub answers: Vec<AnswerRecord>,
    pub blocked: Vec<BlockedMsgid>,
    pub signs: Vec<SignRecord>,
    pub sequences: BTreeMap<String, u64>,
    pub filings: Vec<FilingRecord>,
    /// Every ledger posting, ordered by `posting_id`.
    pub postings: Vec<PostingRecord>,
    /// Every funds event, ordered by `event_id`.
    pub funds_events: Vec<FundsEventRecord>,
    /// Every filing history event, ordered by `event_id`.
    pub filing_events: Vec<FilingEventRecord>,
    /// Refusals of the last [`REFUSALS_LOADED_DAYS`] days before the newest, in the order stored.
    pub refusals: Vec<RefusalRecord>,
}

/// A facility's gateway credential. The token is stored encrypted by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRecord {
    pub paasid: String,
    pub fixmedins_code: String,
    /// Encrypted current token (nonce ‖ ciphertext), produced by the caller.
    pub token_sealed: Vec<u8>,
    /// The previous token after a rotation, valid until `previous_until`.
    pub previous_sealed: Option<Vec<u8>>,
    pub previous_until: Option<DateTime>,
    pub revoked: bool,
    pub updated_at: DateTime,
    /// The facility's SM2 public key for body signatures (`protocol.md` §3.3), as the caller
    /// encodes it (the HTTP edge: the 65-byte uncompressed SEC1 point). Public, so not sealed.
    pub sm2_public_key: Option<Vec<u8>>,
    /// Every request must carry a valid SM2 `cainfo` (`yidi facility sm2-key --required`).
    pub sm2_required: bool,
}

/// An agency user's API token (stored as a hash: agencies present it, nothing recomputes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyTokenRecord {
    pub name: String,
    /// The pooling region the agency acts for.
    pub admdvs: String,
    pub token_sha256: [u8; 32],
    pub revoked: bool,
    pub created_at: DateTime,
}

/// The hub's durable storage. Implementations must make `commit` atomic and durable before it
/// returns, and `load` must return exactly what was committed (no partial batch, ever).
pub trait Store: Send + Sync {
    /// Reads the whole durable state (called once at start).
    fn load(&self) -> StoreResult<Snapshot>;
    /// Writes one batch atomically and durably.
    fn commit(&self, batch: &CommitBatch) -> StoreResult<()>;

    /// Stores a pack's files (path → text) if its content differs from the latest; returns
    /// whether anything changed.
    fn save_pack(&self, files: &BTreeMap<String, String>, imported_at: DateTime) -> StoreResult<bool>;
    /// The latest imported pack's files.
    fn latest_pack(&self) -> StoreResult<Option<BTreeMap<String, String>>>;

    fn put_credential(&self, credential: &CredentialRecord) -> StoreResult<()>;
    fn credentials(&self) -> StoreResult<Vec<CredentialRecord>>;
    fn put_agency_token(&self, token: &AgencyTokenRecord) -> StoreResult<()>;
    fn agency_tokens(&self) -> StoreResult<Vec<AgencyTokenRecord>>;
    /// Writes a person's account durably (replacing the stored one).
    fn put_person_account(&self, account: &PersonAccountRecord) -> StoreResult<()>;
    /// Stores a new pending activation code for `psn_no` durably, in one write that neither reads
    /// nor touches `password_phc`: sets `activation_sha256`, `activation_expires_at`,
    /// `activation_issued_by` and `updated_at = at`, creating the account (no password,
    /// `created_at = at`) when there is none. Issuing a code (possibly from another process, `yidi
    /// person activate`) thus never writes back a password read before an activation changed it
    /// (`conformance::person_activation_leaves_the_password`).
    fn put_person_activation(
        &self,
        psn_no: &str,
        activation_sha256: [u8; 32],
        expires_at: DateTime,
        issued_by: &str,
        at: DateTime,
    ) -> StoreResult<()>;
    fn person_account(&self, psn_no: &str) -> StoreResult<Option<PersonAccountRecord>>;
}
