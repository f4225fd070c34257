//! Bounds the engine enforces, in one place.

/// Most fee lines one claim may carry: the protocol's live-line limit for a whole stay.
pub const CLAIM_LINES_MAX: usize = 200_000;

/// Longest `feedetl_sn`, `med_list_codg` and diagnosis accepted (the national widths).
pub const FEEDETL_SN_LEN_MAX: usize = 30;
pub const MED_LIST_CODG_LEN_MAX: usize = 50;
pub const DISE_CODG_LEN_MAX: usize = 20;

/// Largest single line amount: 5 × 10^8 fen (five million yuan).
pub const LINE_FEN_MAX: i64 = 500_000_000;

/// Largest `cnt` of a fee line, in 1/10 000 units (10^6 units): the national protocol's bound
/// (`yidi_protocol::limits::CNT_TEN_THOUSANDTHS_MAX`), repeated here because the engine is also
/// called without the protocol (the public estimator, manual reimbursement, `yidi adjudicate`).
pub const LINE_CNT_TEN_THOUSANDTHS_MAX: i64 = 10_000_000_000;
/// Largest `pric` of a fee line, in 1/1 000 000 yuan (10^8 yuan): the protocol's bound
/// (`yidi_protocol::limits::PRIC_MICRO_YUAN_MAX`).
pub const LINE_PRIC_MICRO_YUAN_MAX: i64 = 100_000_000_000_000;

// Within both bounds `line_fen(cnt, pric)` is at most 10^16 fen, far inside an i64, so the
// engine's amount check can never overflow.
const _: () = assert!(
    (LINE_CNT_TEN_THOUSANDTHS_MAX as i128 * LINE_PRIC_MICRO_YUAN_MAX as i128) / 100_000_000
        <= i64::MAX as i128 / 100
);

// A whole claim's total must stay within the amounts Yidi accepts anywhere (`Fen::MAX`), so sums
// of lines can never overflow.
const _: () =
    assert!((LINE_FEN_MAX as i128) * (CLAIM_LINES_MAX as i128) <= yidi_domain::Fen::MAX.get() as i128);
