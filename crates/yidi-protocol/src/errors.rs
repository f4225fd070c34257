//! Protocol refusals: an `err_code` of `protocol.md` §4.2 and the problems behind it, each named
//! by its path from the envelope root, rendered as the national `err_msg` (`[path]reason；…`).

use std::fmt;

use crate::limits::ERR_MSG_PROBLEMS_MAX;

// Protocol codes (HTTP 200 unless the hub maps them otherwise, `protocol.md` §4.2).
/// Invalid JSON, envelope field missing or malformed, alias or admdvs clash.
pub const BAD_ENVELOPE: &str = "bad_envelope";
/// An `input` field missing, mistyped, too wide, or a closed-dictionary value.
pub const BAD_FIELD: &str = "bad_field";
/// `infno` not offered by Yidi.
pub const UNKNOWN_INFNO: &str = "unknown_infno";
/// Body over 1 MiB (HTTP 413) or a list over its limit (HTTP 200).
pub const TOO_LARGE: &str = "too_large";
pub const AUTH_FAILED: &str = "auth_failed";
pub const REPLAY: &str = "replay";
pub const FORBIDDEN_FACILITY: &str = "forbidden_facility";
pub const RATE_LIMITED: &str = "rate_limited";
pub const UNAVAILABLE: &str = "unavailable";
pub const DUPLICATE_MSGID_DIFFERENT_BODY: &str = "duplicate_msgid_different_body";
pub const VISIT_NOT_FOUND: &str = "visit_not_found";
pub const SETL_NOT_FOUND: &str = "setl_not_found";
pub const VISIT_STATE: &str = "visit_state";
pub const ALREADY_REVERSED: &str = "already_reversed";
pub const NOT_REVERSIBLE: &str = "not_reversible";
pub const MONTH_CLEARED: &str = "month_cleared";
// Settlement codes, as `yidi adjudicate` gives them (`Refusal::err_code`).
pub const UNKNOWN_PERSON: &str = "unknown_person";
pub const UNKNOWN_CATALOG_CODE: &str = "unknown_catalog_code";
pub const AMOUNT_MISMATCH: &str = "amount_mismatch";
pub const FACILITY_NOT_OPEN: &str = "facility_not_open";
pub const FILING_REQUIRED: &str = "filing_required";
pub const NO_POLICY: &str = "no_policy";
pub const MED_TYPE_NOT_SUPPORTED: &str = "med_type_not_supported";
pub const REGION_NOT_OPEN: &str = "region_not_open";
pub const CHRONIC_NOT_ENTITLED: &str = "chronic_not_entitled";
// Clearing applications (3203/3204, Yidi's reading: `yidi-hub/src/tx/clr_appy.rs`).
/// The application's totals differ from the hub's own; each differing total is named.
pub const CLR_APPY_MISMATCH: &str = "clr_appy_mismatch";
/// The facility already applied for that month and `clr_type` (and has not cancelled).
pub const CLR_APPY_EXISTS: &str = "clr_appy_exists";
/// Unknown `clr_appy_evt_id`, or another facility's.
pub const CLR_APPY_NOT_FOUND: &str = "clr_appy_not_found";
/// The application was paid (or cancelled) and can no longer be cancelled.
pub const CLR_APPY_STATE: &str = "clr_appy_state";

/// Every `err_code` of §4.2 this crate names (settlement refusals may add later reasons).
pub const ALL_ERR_CODES: &[&str] = &[
    BAD_ENVELOPE,
    BAD_FIELD,
    UNKNOWN_INFNO,
    TOO_LARGE,
    AUTH_FAILED,
    REPLAY,
    FORBIDDEN_FACILITY,
    RATE_LIMITED,
    UNAVAILABLE,
    DUPLICATE_MSGID_DIFFERENT_BODY,
    VISIT_NOT_FOUND,
    SETL_NOT_FOUND,
    VISIT_STATE,
    ALREADY_REVERSED,
    NOT_REVERSIBLE,
    MONTH_CLEARED,
    UNKNOWN_PERSON,
    UNKNOWN_CATALOG_CODE,
    AMOUNT_MISMATCH,
    FACILITY_NOT_OPEN,
    FILING_REQUIRED,
    NO_POLICY,
    MED_TYPE_NOT_SUPPORTED,
    REGION_NOT_OPEN,
    CHRONIC_NOT_ENTITLED,
    CLR_APPY_MISMATCH,
    CLR_APPY_EXISTS,
    CLR_APPY_NOT_FOUND,
    CLR_APPY_STATE,
];

/// One thing wrong with a message: where (`input.feedetail[3].pric`, or a header name) and why,
/// in Chinese a clerk can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub reason: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem { path: path.into(), reason: reason.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]{}", self.path, self.reason)
    }
}

/// A refusal of the protocol layer. Invariant: `problems` is never empty, so `err_msg` always
/// starts with `[`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub err_code: &'static str,
    pub problems: Vec<Problem>,
}

impl ProtocolError {
    /// A refusal with the given problems; panics on an empty list (a refusal must say why).
    pub fn new(err_code: &'static str, problems: Vec<Problem>) -> ProtocolError {
        assert!(!problems.is_empty(), "a {err_code} refusal without a problem");
        ProtocolError { err_code, problems }
    }
    pub fn bad_envelope(path: impl Into<String>, reason: impl Into<String>) -> ProtocolError {
        ProtocolError::new(BAD_ENVELOPE, vec![Problem::new(path, reason)])
    }
    /// Every field problem of one message, collected before refusing.
    pub fn bad_field(problems: Vec<Problem>) -> ProtocolError {
        ProtocolError::new(BAD_FIELD, problems)
    }
    pub fn unknown_infno(infno: &str) -> ProtocolError {
        let reason = format!("交易编号“{infno}”未开通（易地不提供该交易）");
        ProtocolError::new(UNKNOWN_INFNO, vec![Problem::new("infno", reason)])
    }
    pub fn too_large(path: impl Into<String>, reason: impl Into<String>) -> ProtocolError {
        ProtocolError::new(TOO_LARGE, vec![Problem::new(path, reason)])
    }

    /// The national `err_msg`: each problem as `[path]reason`, joined by `；`, at most
    /// [`ERR_MSG_PROBLEMS_MAX`] of them; the last one says how many were left out.
    pub fn err_msg(&self) -> String {
        err_msg(&self.problems)
    }
}

/// Renders problems as an `err_msg` (see [`ProtocolError::err_msg`]).
pub fn err_msg(problems: &[Problem]) -> String {
    let shown = problems.len().min(ERR_MSG_PROBLEMS_MAX);
    let mut parts: Vec<String> = problems[..shown].iter().map(Problem::to_string).collect();
    if problems.len() > shown
        && let Some(last) = parts.last_mut()
    {
        last.push_str(&format!("（共 {} 个问题，仅列出前 {shown} 个）", problems.len()));
    }
    parts.join("；")
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.err_code, self.err_msg())
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_msg_joins_paths_and_reasons() {
        let e = ProtocolError::bad_field(vec![
            Problem::new("input.data.psn_no", "必填，不能为空"),
            Problem::new("input.data.insutype", "应为 3–5 位数字"),
        ]);
        assert_eq!(e.err_msg(), "[input.data.psn_no]必填，不能为空；[input.data.insutype]应为 3–5 位数字");
        assert_eq!(e.err_code, "bad_field");
    }

    #[test]
    fn err_msg_lists_at_most_twenty() {
        let problems = (0..25).map(|i| Problem::new(format!("input.feedetail[{i}].cnt"), "x")).collect();
        let msg = ProtocolError::bad_field(problems).err_msg();
        assert_eq!(msg.matches('；').count(), 19);
        assert!(msg.ends_with("[input.feedetail[19].cnt]x（共 25 个问题，仅列出前 20 个）"), "{msg}");
    }

    #[test]
    fn constructors_name_their_codes() {
        assert_eq!(ProtocolError::unknown_infno("1301").err_code, UNKNOWN_INFNO);
        assert_eq!(
            ProtocolError::unknown_infno("1301").err_msg(),
            "[infno]交易编号“1301”未开通（易地不提供该交易）"
        );
        assert_eq!(ProtocolError::too_large("body", "x").err_code, TOO_LARGE);
        assert_eq!(ProtocolError::bad_envelope("msgid", "x").err_msg(), "[msgid]x");
        assert_eq!(ALL_ERR_CODES.len(), 29);
    }
}
