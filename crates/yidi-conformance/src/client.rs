//! Speaking the protocol as a hospital system does: gateway signatures (`protocol.md` §3.1), fresh
//! nonces and `msgid`s, request envelopes (§2.1), and each exchange kept whole (status, headers,
//! exact body text, parsed tree) for the checks to judge.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::http::{self, Endpoint};
use crate::json::Json;
use crate::time;

/// The plain `callService` path (§2).
pub const CALL_SERVICE: &str = "/fsi/api/callService";

/// Lowercase hex SHA-256 of `timestamp + token + nonce + timestamp` (§3.1).
pub fn signature(timestamp: &str, token: &str, nonce: &str) -> String {
    hex::encode(Sha256::digest(format!("{timestamp}{token}{nonce}{timestamp}").as_bytes()))
}

/// The public demo token of a facility under `yidi serve --demo`: hex SHA-256 of
/// `yidi-demo:` + code. Derived here from the published rule, not imported from the server.
pub fn demo_token(fixmedins_code: &str) -> String {
    hex::encode(Sha256::digest(format!("yidi-demo:{fixmedins_code}").as_bytes()))
}

/// A facility the run speaks for: its code, gateway credentials and treatment area.
#[derive(Clone, Debug)]
pub struct Party {
    pub code: String,
    pub name: String,
    pub paasid: String,
    pub token: String,
    /// `mdtrtarea_admvs`: the facility's province `xx0000` unless the profile says otherwise.
    pub admvs: String,
}

impl Party {
    pub fn new(code: &str, paasid: &str, token: &str, admvs: Option<&str>) -> Party {
        Party {
            code: code.to_string(),
            name: "一致性测试机构".to_string(),
            paasid: paasid.to_string(),
            token: token.to_string(),
            admvs: admvs.map_or_else(|| province_of_code(code), str::to_string),
        }
    }
    /// `xx0000` of the facility's province.
    pub fn province(&self) -> String {
        format!("{}0000", self.admvs.get(0..2).unwrap_or("00"))
    }
}

/// `xx0000` from a national facility code (`H` + 6-digit division + …).
pub fn province_of_code(code: &str) -> String {
    format!("{}0000", code.get(1..3).unwrap_or("00"))
}

/// One request and its answer.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What was called (`2207`, `2207 via preSettletment`, …), for messages.
    pub what: String,
    pub msgid: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body exactly as received.
    pub body: String,
    pub json: Option<Json>,
    /// Why there is no answer (connection failed, unreadable response).
    pub failure: Option<String>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    /// `infcode` 0 (number or string, §2.2).
    pub fn is_success(&self) -> bool {
        self.json.as_ref().and_then(|j| j.get("infcode")).and_then(Json::text) == Some("0")
    }
    pub fn output(&self) -> Option<&Json> {
        self.json.as_ref().and_then(|j| j.get("output"))
    }
    pub fn err_code(&self) -> Option<&str> {
        self.json.as_ref().and_then(|j| j.get("err_code")).and_then(Json::str)
    }
    pub fn err_msg(&self) -> Option<&str> {
        self.json.as_ref().and_then(|j| j.get("err_msg")).and_then(Json::str)
    }
    /// A short account of the answer for a FAIL line.
    pub fn gist(&self) -> String {
        if let Some(why) = &self.failure {
            return format!("no answer ({why})");
        }
        if self.json.is_none() {
            return format!("HTTP {} non-JSON body {}", self.status, shorten(&self.body, 80));
        }
        if self.is_success() {
            return format!("HTTP {} infcode 0", self.status);
        }
        let code = self.err_code().unwrap_or("(none)");
        format!("HTTP {} err_code {code} {}", self.status, shorten(self.err_msg().unwrap_or(""), 120))
    }
}

/// At most `chars` characters of `text`, with `…` when cut.
pub fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    format!("{}…", text.chars().take(chars).collect::<String>())
}

/// A JSON number written exactly as `text` (`666.50`): `serde_json::Value` cannot hold one
/// without floats, so it travels as a marked string and [`body_text`] unwraps it.
pub fn num(text: &str) -> Value {
    Value::String(format!("{NUM_MARK}{text}"))
}

const NUM_MARK: &str = "\u{1}#";
const NUM_MARK_JSON: &str = "\"\\u0001#";

/// The request body for `envelope`: compact JSON with [`num`] values as bare numbers.
pub fn body_text(envelope: &Value) -> String {
    let text = envelope.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(NUM_MARK_JSON) {
        out.push_str(&rest[..at]);
        let after = &rest[at + NUM_MARK_JSON.len()..];
        let end = after.find('"').unwrap_or(after.len());
        out.push_str(&after[..end]);
        rest = &after[(end + 1).min(after.len())..];
    }
    out.push_str(rest);
    out
}

/// The transport shared by every check; safe to use from several threads at once.
pub struct Client {
    endpoint: Endpoint,
    /// Distinguishes this run's `msgid`s and nonces from any other run's.
    run_tag: String,
    seq: AtomicU64,
}

impl Client {
    pub fn new(url: &str) -> Result<Client, String> {
        let secs = time::unix_now();
        let run_tag = format!("{:06}{:04}", secs % 1_000_000, std::process::id() % 10_000);
        Ok(Client { endpoint: Endpoint::parse(url)?, run_tag, seq: AtomicU64::new(0) })
    }

    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A `msgid` never used before: C(30), printable ASCII.
    pub fn next_msgid(&self) -> String {
        format!("YCF{}{:08}", self.run_tag, self.next())
    }

    /// A nonce never used before: `[A-Za-z0-9_-]`, ≤ 64.
    pub fn next_nonce(&self) -> String {
        format!("ycf{}n{}", self.run_tag, self.next())
    }

    /// The envelope of §2.1 for `party`, `input` as given.
    pub fn envelope(&self, party: &Party, infno: &str, msgid: &str, input: Value) -> Value {
        json!({
            "infno": infno, "msgid": msgid, "mdtrtarea_admvs": party.admvs,
            "recer_sys_code": "YCF", "infver": "V1.0", "dev_no": "", "sign_no": "",
            "opter_type": "1", "opter": "YCF01", "opter_name": "一致性测试",
            "inf_time": time::beijing_datetime(time::unix_now()),
            "fixmedins_code": party.code, "fixmedins_name": party.name, "input": input
        })
    }

    /// Correct gateway headers for `party` at Unix time `ts` with `nonce`.
    pub fn gateway_headers(party: &Party, ts: i64, nonce: &str) -> Vec<(String, String)> {
        let ts = ts.to_string();
        vec![
            ("x-tif-paasid".to_string(), party.paasid.clone()),
            ("x-tif-timestamp".to_string(), ts.clone()),
            ("x-tif-nonce".to_string(), nonce.to_string()),
            ("x-tif-signature".to_string(), signature(&ts, &party.token, nonce)),
        ]
    }

    /// Sends `body` to `path`, correctly signed for `party`.
    pub fn post_signed(&self, party: &Party, path: &str, what: &str, msgid: &str, body: &[u8]) -> Exchange {
        let headers = Client::gateway_headers(party, time::unix_now(), &self.next_nonce());
        self.post_raw(path, &headers, what, msgid, body)
    }

    /// Sends `body` with exactly `headers` (auth checks build their own).
    pub fn post_raw(
        &self,
        path: &str,
        headers: &[(String, String)],
        what: &str,
        msgid: &str,
        body: &[u8],
    ) -> Exchange {
        let mut x = Exchange {
            what: what.to_string(),
            msgid: msgid.to_string(),
            status: 0,
            headers: Vec::new(),
            body: String::new(),
            json: None,
            failure: None,
        };
        match http::post(&self.endpoint, path, headers, body) {
            Ok(r) => {
                x.status = r.status;
                x.body = String::from_utf8_lossy(&r.body).into_owned();
                x.json = Json::parse(&x.body).ok();
                x.headers = r.headers;
            }
            Err(why) => x.failure = Some(why),
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_protocol_example() {
        // protocol.md §7: the example request's headers.
        let token = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
        assert_eq!(
            signature("1740879660", token, "7f3c9a2e41b04d6c"),
            "a8986cd57ec26596e068fcf7db7de5e10bdb35ab64105a1c6270dcba8ec22711"
        );
    }

    #[test]
    fn marked_numbers_are_written_bare() {
        let v = json!({"a": num("666.50"), "b": "x", "c": [num("-1"), "y"]});
        assert_eq!(body_text(&v), r#"{"a":666.50,"b":"x","c":[-1,"y"]}"#);
    }
}
