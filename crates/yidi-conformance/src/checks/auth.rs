//! Authentication checks (`protocol.md` §3): the gateway headers refused when missing, wrongly
//! signed, stale or replayed; the envelope's `fixmedins_code` bound to the authenticated facility;
//! and SM2 body signatures when a key is given. The scope checks that need a second facility's
//! records (`mdtrt_id`, `setl_id`, `msgid`) run inside the outpatient flow.

use serde_json::json;

use super::{Run, expect_refusal, inputs};
use crate::client::{CALL_SERVICE, Client, Exchange, Party, body_text, signature};
use crate::report::{Check, Verdict};
use crate::time;

/// Older than the 300 s window of §3.1, with margin for clock drift.
const STALE_SECS: i64 = 400;

pub const IDS: [&str; 7] = [
    "auth.missing_header",
    "auth.bad_signature",
    "auth.stale_timestamp",
    "auth.replay",
    "auth.foreign_fixmedins_code",
    "auth.sm2_invalid",
    "auth.sm2_valid",
];

pub fn run(run: &mut Run<'_, '_>) {
    let party = run.main.clone();
    let body = probe_body(run, &party);
    let now = time::unix_now();
    let mut headers = Client::gateway_headers(&party, now, &run.client.next_nonce());
    headers.retain(|(n, _)| n != "x-tif-signature");
    let x = post(run, &party, "1201 without x-tif-signature", &headers, &body);
    run.check("auth.missing_header", expect_refusal(&x, 401, &["auth_failed"]));

    let nonce = run.client.next_nonce();
    let mut headers = Client::gateway_headers(&party, now, &nonce);
    headers[3].1 = signature(&now.to_string(), &format!("{}0", party.token), &nonce);
    let x = post(run, &party, "1201 signed with a wrong token", &headers, &body);
    run.check("auth.bad_signature", expect_refusal(&x, 401, &["auth_failed"]));

    let headers = Client::gateway_headers(&party, now - STALE_SECS, &run.client.next_nonce());
    let x = post(run, &party, "1201 with a timestamp 400 s old", &headers, &body);
    run.check("auth.stale_timestamp", expect_refusal(&x, 401, &["auth_failed"]));

    let result = replay(run, &party, &body);
    run.check("auth.replay", result);

    let result = foreign_code(run, &party);
    run.check("auth.foreign_fixmedins_code", result);
    sm2(run, &party);
}

fn probe_body(run: &Run<'_, '_>, party: &Party) -> Vec<u8> {
    let msgid = run.client.next_msgid();
    body_text(&run.client.envelope(party, "1201", &msgid, inputs::facility_query(&party.code))).into_bytes()
}

fn post(
    run: &mut Run<'_, '_>,
    party: &Party,
    what: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Exchange {
    let x = run.client.post_raw(CALL_SERVICE, headers, what, "", body);
    run.observe(&x, &party.province());
    x
}

/// The same signed headers twice: the first is accepted, the second is `replay`.
fn replay(run: &mut Run<'_, '_>, party: &Party, body: &[u8]) -> Check {
    let headers = Client::gateway_headers(party, time::unix_now(), &run.client.next_nonce());
    let first = post(run, party, "1201 with a fresh nonce", &headers, body);
    super::expect_ok(&first)?;
    let again = post(run, party, "1201 with the same nonce again", &headers, body);
    expect_refusal(&again, 401, &["replay"])
}

/// An envelope naming another facility than the authenticated one: HTTP 200 `forbidden_facility`.
fn foreign_code(run: &mut Run<'_, '_>, party: &Party) -> Check {
    let other = run
        .other
        .as_ref()
        .map(|o| o.code.clone())
        .or_else(|| run.profile.facility.other_fixmedins_code.clone());
    let other = other
        .filter(|c| *c != party.code)
        .unwrap_or_else(|| format!("{}9", &party.code[..party.code.len().saturating_sub(1)]));
    let msgid = run.client.next_msgid();
    let mut env = run.client.envelope(party, "1201", &msgid, inputs::facility_query(&party.code));
    env["fixmedins_code"] = json!(other);
    let x = run.send(party, CALL_SERVICE, &format!("1201 naming facility {other} in the envelope"), &env);
    expect_refusal(&x, 200, &["forbidden_facility"])
}

/// SM2 (§3.3): only with `--sm2-key`, for a facility registered with that key.
fn sm2(run: &mut Run<'_, '_>, party: &Party) {
    if run.sm2_key.is_none() {
        let why = "no --sm2-key: SM2 is checked only for a facility registered with a key";
        run.report.push("auth.sm2_invalid", Verdict::Skip(why.into()));
        run.report.push("auth.sm2_valid", Verdict::Skip(why.into()));
        return;
    }
    let msgid = run.client.next_msgid();
    let mut env = run.client.envelope(party, "1201", &msgid, inputs::facility_query(&party.code));
    env["signtype"] = json!("SM2");
    env["cainfo"] = json!("MEUCIQDnb3QgYSBzaWduYXR1cmUgYXQgYWxsLCBqdXN0IHRleHQuAiBub3QgYSBzaWduYXR1cmU=");
    let x = run.send(party, CALL_SERVICE, "1201 with an invalid SM2 cainfo", &env);
    run.check("auth.sm2_invalid", expect_refusal(&x, 200, &["auth_failed"]));
    let why = "signing with the key needs an SM2/SM3 implementation this client does not carry";
    run.report.push("auth.sm2_valid", Verdict::Skip(why.into()));
}
