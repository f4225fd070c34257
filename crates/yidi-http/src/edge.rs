//! The answers the HTTP edge gives itself (401, 403, 404, 405, 413, 429, 503, and 200 for an SM2
//! refusal): full response envelopes, like the hub's, so a client reads every answer the same
//! way (`protocol.md` §4.1).
//!
//! Edge answers carry node `00` in `inf_refmsgid` and their own counter: the hub's nodes are
//! numbered from 01, so the two never hand out the same reference.

use std::sync::atomic::{AtomicU32, Ordering};

use yidi_domain::DateTime;
use yidi_hub::Reply;
use yidi_protocol::envelope::{inf_refmsgid, response_err, stamp_millis};

use crate::auth::Refusal;

/// The node number the edge puts in `inf_refmsgid`.
const EDGE_NODE: u8 = 0;

/// Builds edge answers; one per server.
#[derive(Debug, Default)]
pub struct EdgeAnswers {
    counter: AtomicU32,
}

impl EdgeAnswers {
    /// The envelope and status for a refusal. `facility` (when known) gives the province in
    /// `inf_refmsgid`; `received_ms` and `now_ms` are hub clock readings.
    pub fn refusal(&self, refusal: &Refusal, facility: Option<&str>, received_ms: i64, now_ms: i64) -> Reply {
        // `inf_refmsgid` keeps the counter's last 8 digits, so wrapping here is harmless.
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        let division = facility.and_then(|code| code.get(1..7)).unwrap_or("");
        let now = DateTime::from_epoch_secs(now_ms.div_euclid(1_000));
        let refmsgid = inf_refmsgid(division, now, EDGE_NODE, count);
        let body = response_err(
            &refmsgid,
            &stamp_millis(received_ms),
            &stamp_millis(now_ms),
            refusal.err_code,
            &refusal.err_msg(),
        );
        Reply {
            status: refusal.status,
            body,
            replay: false,
            infno: String::new(),
            msgid: String::new(),
            err_code: Some(refusal.err_code.to_string()),
            retry_after_secs: refusal.retry_after_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An edge refusal is one envelope with the national fields, `infcode` -1 and the code.
    #[test]
    fn refusal_is_a_full_envelope() {
        let answers = EdgeAnswers::default();
        let refusal = Refusal {
            status: 401,
            err_code: "auth_failed",
            at: "x-tif-signature",
            reason: "签名不正确".to_string(),
            retry_after_secs: None,
        };
        let ms = DateTime::parse("2025-03-02 09:41:00").unwrap().to_epoch_secs() * 1_000 + 123;
        let reply = answers.refusal(&refusal, Some("H31010400123"), ms, ms + 8);
        let v: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(v["infcode"], -1);
        assert_eq!(v["inf_refmsgid"], "310000202503020941000000000000");
        assert_eq!(v["refmsg_time"], "20250302094100123");
        assert_eq!(v["respond_time"], "20250302094100131");
        assert_eq!(v["err_msg"], "[x-tif-signature]签名不正确");
        assert_eq!(v["err_code"], "auth_failed");
        assert!(v["output"].is_null());
        assert_eq!(reply.status, 401);
    }
}
