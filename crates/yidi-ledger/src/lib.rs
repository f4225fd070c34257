//! Yidi's funds ledger: typed accounts, postings balanced by construction, prepayment, monthly
//! clearing and multilateral netting (`policy-background.md` §4, rules 21–25). Pure: no I/O, no
//! clock, no randomness, no serde.
//!
//! # Key design decision: append-only entries, balances rolled up — no hot rows
//!
//! Every event (settlement, reversal, refusal, recovery, prepayment, clearing payment, facility
//! payment) becomes one [`Posting`]: a set of [`Entry`] lines whose debits equal their credits. The
//! hub commits the posting's entries **as new rows in the same transaction** as the state change
//! they record, and never updates a row on the settlement path. Balances are not stored per
//! settlement; they are derived from the entries:
//!
//! - in memory, [`Ledger`] rolls every posted entry up into its balances (the hub's working state,
//!   owned by its single sequencer thread, rebuilt at start by replaying entries);
//! - in a store, a rollup (balance per account as of entry N) is written off the settlement path
//!   (at start, at month end, or by a background job), and a balance read is that rollup plus the
//!   entries after N. [`verify`] proves the books balance and every rolled-up balance equals the
//!   sum of its entries.
//!
//! We chose this over sharded counters because counters still *update* a row per settlement
//! (sharding divides the contention, it does not remove it, and every read must fan in), while the
//! entries must be kept anyway: reconciliation (3201/3202) and clearing detail files list every
//! settlement, and an auditor must be able to recompute any balance. Appending distinct rows never
//! conflicts (SQLite group commit, PostgreSQL concurrent inserts), so the national settlement path
//! is not serialised on one prepayment balance per province pair.
//!
//! # The flows
//!
//! Accounts are in [`account`]; each constructor in [`flows`] lists its legs. In short, a
//! settlement charges the insured region's funds, draws the pooled fund share from the pair's
//! prepayment (rule 21) and the personal-account share into clearing in transit, and records the
//! treatment agency's debt to the facility. Refusals and recoveries relieve the funds and wait in
//! the pair's adjustment account; the monthly clearing payment restores the prepayment, brings the
//! advances back, applies the adjustments and is paid by the insured province's finance. Netting
//! changes how many bank transfers carry that money, not which obligations are discharged, so the
//! postings are the same gross or netted; [`Netting`] computes the transfers and proves they
//! settle each province's same net position.
//!
//! Months: every posting counts in one clearing [`Month`]. Once a month is closed into a
//! [`ClearingPeriod`] the ledger refuses any posting counting in it; a settlement of a closed month
//! can then only be recovered, in a later month.

pub mod account;
pub mod amounts;
pub mod clearing;
pub mod error;
pub mod flows;
pub mod ledger;
pub mod limits;
pub mod month;
pub mod netting;
pub mod posting;
pub mod prepayment;
pub mod report;
pub mod statement;
pub mod verify;

pub use account::{Account, AccountError, ClrType, FacilityId, Fund, Pair};
pub use amounts::FundAmounts;
pub use clearing::{ClearingConfig, ClearingMode, ClearingPeriod, LumpSum, PairClearing};
pub use error::LedgerError;
pub use flows::{
    SettlementFacts, clearing_payment, facility_payment, prepayment, recovery, refusal, reimbursement,
    reimbursement_payment, reversal, settlement,
};
pub use ledger::Ledger;
pub use month::Month;
pub use netting::{Netting, Transfer, gross_transfers, positions, settle_positions};
pub use posting::{Entry, Posting, PostingKind, PostingProblem, Sense, Side};
pub use prepayment::{PrepaymentConfig, Utilisation, Warning, annual_amount, utilisation};
pub use report::render_period;
pub use statement::{AdjustmentLine, CareLine, PairStatement};
pub use verify::{LedgerProblem, statements_of, verify, verify_period};
