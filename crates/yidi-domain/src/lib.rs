//! Yidi's domain model: the values every other crate speaks in.
//!
//! Key design decision: every value that crosses a trust boundary (a division code, an identity
//! number, an amount in yuan) is parsed once into a newtype with private fields, so the
//! adjudication engine never sees an invalid code or a floating-point amount. This crate has no
//! I/O, no clock, no randomness and no serde: it is pure data plus the arithmetic rules that
//! `settlement.md` §1 fixes (one rounding function, `share`).

pub mod acc;
pub mod codes;
pub mod csv;
pub mod model;
pub mod money;
pub mod time;

pub use acc::{PersonState, PoolAcc, StateDelta, YearAcc};
pub use codes::{
    AssistClass, BenefitKind, CertNo, ChrgitmLv, CodeError, DivisionCode, FacilityCode, FacilityKind,
    FilingCategory, Gender, InsuType, ListType, MedType, PsnGroup,
};
pub use model::*;
pub use money::{Bp, Fen, MoneyError, Price, Qty, checked_line_fen, line_fen, share};
pub use time::{Date, DateTime, TimeError};
