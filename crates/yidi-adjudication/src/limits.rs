//! Bounds the engine enforces, in one place.

/// Most fee lines one claim may carry: the protocol's live-line limit for a whole stay.
pub const CLAIM_LINES_MAX: usize = 200_000;

/// Longest `feedetl_sn`, `med_list_codg` and diagnosis accepted (the national widths).
pub const FEEDETL_SN_LEN_MAX: usize = 30;
pub const MED_LIST_CODG_LEN_MAX: usize = 50;
pub const DISE_CODG_LEN_MAX: usize = 20;

/// Largest single line amount: 5 × 10^8 fen (five million yuan).
pub const LINE_FEN_MAX: i64 = 500_000_000;

// A whole claim's total must stay within the amounts Yidi accepts anywhere (`Fen::MAX`), so sums
// of lines can never overflow.
const _: () =
    assert!((LINE_FEN_MAX as i128) * (CLAIM_LINES_MAX as i128) <= yidi_domain::Fen::MAX.get() as i128);
