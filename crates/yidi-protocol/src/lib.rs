//! National interface wire forms: the claim file read by `yidi adjudicate` and the settlement
//! result it prints (`data-formats.md`), with the national field names.
//!
//! Key design decision: only this crate knows national field names and wire conventions
//! (yuan with two decimals, ratios as four-place fractions, codes given as numbers or strings).
//! Amounts are read from the JSON text itself, never through a float.

pub mod batch;
pub mod claimfile;
pub mod result;
mod wire;

pub use batch::{BatchOptions, adjudicate_batch};
pub use claimfile::{ClaimParseError, parse_claim};
pub use result::{render_refusal, render_settlement};
