//! Reading the hub's answers as any HIS does (`protocol.md` §2.2): success is HTTP 200 with
//! `infcode` 0 (number or string); anything else is counted under its `err_code`, or
//! `http_<status>` when the message was not processed.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::wire::Split;

/// Error labels for failures that carry no `err_code`.
pub const BAD_ANSWER: &str = "bad_answer";

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    infcode: Option<&'a RawValue>,
    #[serde(default, borrow)]
    err_code: Option<Cow<'a, str>>,
}

/// `Ok(())` for a success; otherwise the label the failure is counted under.
pub fn judge(status: u16, body: &[u8]) -> Result<(), String> {
    if status != 200 {
        return Err(format!("http_{status}"));
    }
    let head: Head<'_> = serde_json::from_slice(body).map_err(|_| BAD_ANSWER.to_string())?;
    let infcode = head.infcode.map(RawValue::get);
    if matches!(infcode, Some("0" | "\"0\"")) {
        return Ok(());
    }
    match head.err_code {
        Some(code) if !code.is_empty() => Err(code.into_owned()),
        _ => Err(format!("infcode_{}", infcode.unwrap_or("missing"))),
    }
}

#[derive(Deserialize)]
struct Answer<T> {
    output: T,
}

#[derive(Deserialize)]
struct VisitId {
    mdtrt_id: String,
}

#[derive(Deserialize)]
struct Registered {
    data: VisitId,
}

#[derive(Deserialize)]
struct Admitted {
    result: VisitId,
}

#[derive(Deserialize)]
struct SetlId {
    setl_id: String,
}

#[derive(Deserialize)]
struct Settled {
    setlinfo: SetlId,
}

#[derive(Deserialize)]
struct PreSettled {
    setlinfo: Split,
}

fn output<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, String> {
    serde_json::from_slice::<Answer<T>>(body).map(|a| a.output).map_err(|_| BAD_ANSWER.to_string())
}

/// `mdtrt_id` of a 2201 answer (`output.data`).
pub fn registered(body: &[u8]) -> Result<String, String> {
    output::<Registered>(body).map(|o| o.data.mdtrt_id)
}

/// `mdtrt_id` of a 2401 answer (`output.result`).
pub fn admitted(body: &[u8]) -> Result<String, String> {
    output::<Admitted>(body).map(|o| o.result.mdtrt_id)
}

/// `setl_id` of a 2207/2304 answer.
pub fn settled(body: &[u8]) -> Result<String, String> {
    output::<Settled>(body).map(|o| o.setlinfo.setl_id)
}

/// The four split amounts of a 2206/2303 answer, as written.
pub fn pre_settled(body: &[u8]) -> Result<Split, String> {
    output::<PreSettled>(body).map(|o| o.setlinfo)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Success is `infcode` 0 as a number or a string; a refusal is counted by `err_code`.
    #[test]
    fn judges_answers() {
        assert_eq!(judge(200, br#"{"infcode":0,"err_code":null,"output":{}}"#), Ok(()));
        assert_eq!(judge(200, br#"{"infcode":"0","output":{}}"#), Ok(()));
        assert_eq!(judge(200, br#"{"infcode":-1,"err_code":"visit_state"}"#), Err("visit_state".into()));
        assert_eq!(judge(200, br#"{"infcode":-1}"#), Err("infcode_-1".into()));
        assert_eq!(judge(401, br#"{"infcode":-1,"err_code":"auth_failed"}"#), Err("http_401".into()));
        assert_eq!(judge(200, b"not json"), Err(BAD_ANSWER.into()));
        let body = br#"{"infcode":0,"output":{"setlinfo":{"setl_id":"S1","fulamt_ownpay_amt":80.00,
            "overlmt_selfpay":5.00,"preselfpay_amt":42.00,"inscp_scp_amt":539.50}}}"#;
        assert_eq!(settled(body), Ok("S1".into()));
        let split = pre_settled(body).unwrap();
        assert_eq!(split.fulamt_ownpay_amt.get(), "80.00");
        assert_eq!(split.inscp_scp_amt.get(), "539.50");
    }
}
