//! National interface wire forms: the claim file read by `yidi adjudicate` and the settlement
//! result it prints (`data-formats.md`), and the hospital interface of `protocol.md`: request
//! envelope, transaction inputs, outputs and the answer envelope, with the national field names.
//!
//! Key design decision: only this crate knows national field names and wire conventions
//! (yuan with two decimals, ratios as four-place fractions, codes given as numbers or strings).
//! Amounts are read from the JSON text itself, never through a float: the envelope parser puts
//! any number an `f64` would change into `input` as a string of its exact text. The crate is
//! pure: no I/O, no clock, no HTTP; the hub passes times in as values.

pub mod batch;
pub mod claimfile;
pub mod envelope;
pub mod errors;
pub mod inputs;
mod json;
pub mod limits;
pub mod outputs;
mod read;
pub mod result;
mod wire;

pub use batch::{BatchOptions, adjudicate_batch};
pub use claimfile::{ClaimParseError, parse_claim};
pub use envelope::{
    Envelope, fingerprint, inf_refmsgid, is_offered, is_write, parse_envelope, response_err, response_ok,
    stamp_millis,
};
pub use errors::{Problem, ProtocolError};
pub use inputs::{TxInput, parse_input};
pub use result::{render_refusal, render_settlement};
