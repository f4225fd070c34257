//! Every bound of the simulator, in one place, with the relations between them checked at
//! compile time. Sizes the hub enforces (`protocol.md` §2.3) are restated here because the
//! simulator is an outside client: it must stay inside them without reading the hub's code.

/// Fee lines of one outpatient charge batch (one 2204 call): the national mix's 5–20.
pub const OUTPATIENT_LINES_MIN: usize = 5;
pub const OUTPATIENT_LINES_MAX: usize = 20;

/// Fee lines of one inpatient stay: the national mix's 50–500.
pub const INPATIENT_LINES_MIN: usize = 50;
pub const INPATIENT_LINES_MAX: usize = 500;

/// Lines per 2301 call; the hub accepts up to 5 000 per call, real HIS send smaller batches.
pub const INPATIENT_LINES_PER_CALL_MAX: usize = 1_000;

/// Lines per 2204 call accepted by the hub (`feedetail[]` of 2204).
pub const HUB_2204_LINES_MAX: usize = 1_000;

/// Length of a stay, in days after the admission date (the discharge is on the last one).
pub const STAY_DAYS_MAX: i64 = 14;

/// An inpatient is not admitted again until this many flows have started since their last
/// admission, so two stays of one person are never open at once (the hub refuses a second
/// unsettled stay with `visit_state`) unless the hub stalls for that long.
pub const STAY_REUSE_FLOWS_MIN: u64 = 20_000;

/// Requests one flow may send, sign-in and retry included; a flow's `msgid`s are numbered
/// `flow × STEPS_PER_FLOW_MAX + step`.
pub const STEPS_PER_FLOW_MAX: u64 = 16;

/// Digits of the run tag in `msgid` and visit numbers (a run tag keeps reruns against the same
/// database from colliding with earlier runs' `msgid`s).
pub const RUN_TAG_DIGITS: usize = 6;
pub const RUN_TAG_MAX: u32 = 999_999;

/// Digits of the per-run request number in `msgid`: with [`STEPS_PER_FLOW_MAX`] steps this
/// allows [`FLOWS_PER_RUN_MAX`] flows in one run.
pub const MSGID_SEQ_DIGITS: usize = 12;
pub const FLOWS_PER_RUN_MAX: u64 = 1_000_000_000_000 / STEPS_PER_FLOW_MAX;

/// Width of `msgid` (`protocol.md` §2.1, C(30)) and of facility codes (`H` + 11 digits).
pub const MSGID_LEN_MAX: usize = 30;
pub const FACILITY_CODE_LEN: usize = 12;

/// Longest run accepted (`--duration`).
pub const DURATION_SECS_MAX: u64 = 24 * 3_600;

/// Concurrent terminals (`--concurrency`): each is one keep-alive connection running one flow
/// at a time.
pub const CONCURRENCY_MAX: u32 = 4_096;

/// Highest open-loop rate (`--rate`, flows per second).
pub const RATE_MAX: u32 = 100_000;

/// Open-loop flows started but not finished; past it a due flow is not started and is counted
/// as the error `client_backlog`, so a stalled hub cannot make the simulator grow without bound.
pub const IN_FLIGHT_MAX: usize = 100_000;

/// How long one request may take before it counts as the error `timeout`.
pub const REQUEST_TIMEOUT_SECS: u64 = 30;

/// After the duration, how long flows already due may still start (open loop) or finish
/// (closed loop).
pub const DRAIN_SECS_MAX: u64 = 30;

/// After the drain, how long flows already running may take to finish. A flow is never cut
/// off between requests while there is time, so a run leaves no stay admitted and unsettled
/// (which would refuse that patient's next admission, `visit_state`, in a later run).
pub const FINISH_SECS_MAX: u64 = 60;

/// Largest answer body read; the hub's biggest answers (2301 of 1 000 lines) are far smaller.
pub const ANSWER_BYTES_MAX: usize = 4 << 20;

/// Latency histogram: values in microseconds, exact below 2^[`HISTOGRAM_SUB_BITS`] and within
/// 1/2^[`HISTOGRAM_SUB_BITS`] above, up to 2^[`HISTOGRAM_EXP_MAX`] µs (about 19 hours).
pub const HISTOGRAM_SUB_BITS: u32 = 7;
pub const HISTOGRAM_EXP_MAX: u32 = 36;

const _: () = assert!(OUTPATIENT_LINES_MIN >= 1 && OUTPATIENT_LINES_MIN <= OUTPATIENT_LINES_MAX);
const _: () = assert!(OUTPATIENT_LINES_MAX <= HUB_2204_LINES_MAX);
const _: () = assert!(INPATIENT_LINES_MIN >= 1 && INPATIENT_LINES_MIN <= INPATIENT_LINES_MAX);
// An inpatient flow: sign-in, admission, the 2301 calls, discharge, pre-settlement,
// settlement, its retry.
const _: () =
    assert!((6 + INPATIENT_LINES_MAX.div_ceil(INPATIENT_LINES_PER_CALL_MAX)) as u64 <= STEPS_PER_FLOW_MAX);
// `msgid` = facility code + run tag + request number.
const _: () = assert!(FACILITY_CODE_LEN + RUN_TAG_DIGITS + MSGID_SEQ_DIGITS <= MSGID_LEN_MAX);
const _: () = assert!(RUN_TAG_MAX as u64 == 10u64.pow(RUN_TAG_DIGITS as u32) - 1);
const _: () = assert!(FLOWS_PER_RUN_MAX * STEPS_PER_FLOW_MAX <= 10u64.pow(MSGID_SEQ_DIGITS as u32));
// The longest run at the highest rate fits the msgid space.
const _: () = assert!(DURATION_SECS_MAX * RATE_MAX as u64 <= FLOWS_PER_RUN_MAX);
const _: () = assert!(HISTOGRAM_SUB_BITS < HISTOGRAM_EXP_MAX && HISTOGRAM_EXP_MAX < 64);
