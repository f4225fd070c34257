//! The Yidi adjudication engine: claim + catalog + policy + accumulators → settlement + trace.
//!
//! Key design decision: adjudication is one pure function, [`adjudicate`], over values. It reads
//! the reference data, the person's record and state, and the claim; it returns either a typed
//! [`Refusal`] or a [`Settlement`] holding the national fields, the per-line results, the
//! [`yidi_domain::StateDelta`] for the caller to commit, and references to every catalog row,
//! filing and policy version it used. The human-readable trace ([`explain`]) is rendered from
//! those references on demand, so the hot path builds no strings.
//!
//! No I/O, no clock, no randomness: the settlement time arrives inside the claim.

mod benefits;
mod claim;
mod engine;
mod explain;
mod filing;
pub mod limits;
mod lines;
mod refusal;

pub use benefits::{FundPays, LayerWorking, MafWorking, Workings};
pub use claim::{Claim, FeeLine};
pub use engine::{Context, Eligibility, FundPayment, SetlInfo, Settlement, adjudicate, check_eligibility};
pub use explain::explain;
pub use filing::{FilingClass, FilingOutcome};
pub use lines::{LineResult, LineTotals, Unmet, classify_lines};
pub use refusal::Refusal;
