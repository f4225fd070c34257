//! Every bound of the wire layer (`protocol.md` §2.3, §4.1, §6), in one place, with the
//! relationships between them checked at compile time.

/// Request body, bytes (HTTP 413 `too_large` above).
pub const BODY_BYTES_MAX: usize = 1 << 20;
/// Nesting of objects and arrays, the envelope itself being level 1 (`bad_envelope` above).
pub const NESTING_DEPTH_MAX: usize = 32;
/// Problems listed in one `err_msg`.
pub const ERR_MSG_PROBLEMS_MAX: usize = 20;
/// `feedetail[]` lines in one 2204 call.
pub const FEEDETAIL_2204_LEN_MAX: usize = 1_000;
/// `feedetail[]` lines in one 2301 call.
pub const FEEDETAIL_2301_LEN_MAX: usize = 5_000;
/// `diseinfo[]` rows of one 2203/2401/2402/2403.
pub const DISEINFO_LEN_MAX: usize = 50;
/// `data[]` rows of one 2302.
pub const REVOKE_2302_LEN_MAX: usize = 5_000;
/// `yidi_stmtdetl[]` rows of one 3202.
pub const STMTDETL_3202_LEN_MAX: usize = 5_000;
/// Live fee lines of one outpatient visit (enforced by the hub).
pub const VISIT_LIVE_LINES_MAX: usize = 10_000;
/// Live fee lines of one inpatient stay (enforced by the hub).
pub const STAY_LIVE_LINES_MAX: usize = 200_000;
/// Rows of one 5204 page.
pub const PAGE_5204_LEN_MAX: usize = 1_000;
/// Highest 5204 page number accepted (pages past the data answer empty).
pub const PAGE_5204_NUM_MAX: u32 = 1_000_000;
/// Days of a 3201/3202 reconciliation period, both ends included.
pub const STMT_PERIOD_DAYS_MAX: i64 = 31;
/// Rows of one 1201 answer.
pub const MEDINSINFO_ROWS_MAX: usize = 100;
/// Characters of one `setl_proc_info` trace.
pub const SETL_PROC_INFO_CHARS_MAX: usize = 4_000;
/// Requests per second per facility (HTTP 429 above; enforced by the HTTP layer).
pub const REQUESTS_PER_SEC_PER_FACILITY_MAX: u32 = 1_000;

const _: () = assert!(FEEDETAIL_2204_LEN_MAX <= VISIT_LIVE_LINES_MAX);
const _: () = assert!(FEEDETAIL_2301_LEN_MAX <= STAY_LIVE_LINES_MAX);
const _: () = assert!(VISIT_LIVE_LINES_MAX <= STAY_LIVE_LINES_MAX);
// A full 2301 call must fit the body limit at a minimum of ~100 bytes per line.
const _: () = assert!(FEEDETAIL_2301_LEN_MAX * 100 <= BODY_BYTES_MAX);
const _: () = assert!(NESTING_DEPTH_MAX < 128, "serde_json's own recursion limit is 128");
const _: () = assert!(ERR_MSG_PROBLEMS_MAX >= 1);

/// Largest amount accepted in an `input` field, in fen (10^10 yuan): far beyond any bill, small
/// enough that a stay's 200 000 lines sum without overflow.
pub const AMOUNT_FEN_MAX: i64 = 1_000_000_000_000;
/// Largest |`cnt`| of a fee line, in 1/10 000 units (10^6 units).
pub const CNT_TEN_THOUSANDTHS_MAX: i64 = 10_000_000_000;
/// Largest `pric` of a fee line, in 1/1 000 000 yuan (10^8 yuan), so that `line_fen(cnt, pric)`
/// stays far inside an i64.
pub const PRIC_MICRO_YUAN_MAX: i64 = 100_000_000_000_000;

const _: () = assert!(AMOUNT_FEN_MAX as i128 * STAY_LIVE_LINES_MAX as i128 <= i64::MAX as i128);
// cnt × pric is in 1e-8 fen; divided by 1e8 it must fit an i64 many times over.
const _: () = assert!(
    (CNT_TEN_THOUSANDTHS_MAX as i128 * PRIC_MICRO_YUAN_MAX as i128) / 100_000_000 <= i64::MAX as i128 / 100
);
