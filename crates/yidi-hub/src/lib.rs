//! The hub: national hospital transactions over the adjudication engine and a durable store.
//!
//! Key design decision: one sequencer thread owns the working state (visits, fee lines,
//! settlements, person states, stored answers) in memory and applies every transaction in
//! arrival order, so settlements of one person are serialised without locks. It groups the
//! records of many transactions into one [`yidi_store::CommitBatch`] and answers them only after
//! the store has made that batch durable (group commit). If the store fails, the hub stops
//! (fail-stop): the durable state is always a prefix of whole batches and the next start reloads
//! it, so nothing acknowledged is lost and nothing unacknowledged is half-present.

pub mod adjust;
mod agency;
pub mod books;
mod clock;
mod dispatch;
pub mod filing_rules;
mod funds;
mod hub;
mod ids;
mod negate;
pub mod public;
mod state;
mod tx;

pub use agency::dashboard;
pub use agency::{
    AGENCY_SCAN_ROWS_MAX, AgencyError, AgencyUser, EntitlementView, FieldProblem, FilingView, MonthView,
    NewFiling, PACK_AUTHOR, PAGE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, Page, PersonDetail, PersonQuery,
    PersonRow, PoolView, SettlementDetail, SettlementQuery, SettlementRow, Side, StateView, YearView,
};
pub use agency::{
    Actor, CategoryView, FilingEventView, FilingHistoryView, FilingRulesView, PersonError, PersonFilingView,
    PersonFilings, PersonIdentity, PersonMe, PoolToDate, YearToDate,
};
pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use funds::{
    AlertView, CareLineView, ClearingMonthView, ClearingPairView, ConfirmationView, FreezeInput,
    FundCellView, LedgerClosing, ModeInput, ModeView, NettingView, NoticeInput, NoticeView, PaymentInput,
    PaymentView, PositionView, PrepaymentView, StatementView, TopUpInput, TopUpView, TransferView,
    ledger_closings,
};
pub use hub::{Hub, HubConfig, HubError, HubStats};

/// The answer to one HTTP call of the national interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// 200 when the message was read (success or refusal); 401/403/413/429/503 otherwise.
    pub status: u16,
    /// The response envelope, exact bytes.
    pub body: String,
    /// A stored answer replayed for a repeated `msgid` (`X-Yidi-Replay: 1`).
    pub replay: bool,
    pub infno: String,
    pub msgid: String,
    /// `None` on success.
    pub err_code: Option<String>,
    /// For 429 and 503.
    pub retry_after_secs: Option<u32>,
}
