//! Transport checks (`protocol.md` §2): the three `callService` paths, tolerant parsing (a string
//! `input`, a code as a number, both admdvs spellings), and the refusals of malformed or oversized
//! messages. Probes use 1201, a public read that changes nothing.

use serde_json::{Value, json};

use super::inputs::{self, FeeLine};
use super::{Run, expect_ok, expect_refusal};
use crate::client::{CALL_SERVICE, Party, body_text};
use crate::report::{Check, Mismatch};

const PATHS: [&str; 3] =
    [CALL_SERVICE, "/fsi/api/callFsiService/callService", "/mbs/fmi/fsi/api/callFsiService/callService"];
/// The 2206 alias (§2): a missing `infno` takes 2206, another one is `bad_envelope`.
pub const PRE_SETTLE_ALIAS: &str = "/fsi/api/outpatientSettleService/preSettletment";
/// Body limit of §2.3.
const BODY_BYTES_MAX: usize = 1 << 20;
/// `feedetail[]` limit of 2204 (§2.3).
const FEEDETAIL_2204_LEN_MAX: usize = 1_000;

pub const IDS: [&str; 10] = [
    "transport.paths",
    "transport.string_input",
    "transport.code_as_number",
    "transport.admdvs_spellings",
    "transport.admdvs_clash",
    "transport.alias_clash",
    "transport.unknown_infno",
    "transport.bad_json",
    "transport.body_413",
    "transport.too_large_list",
];

pub fn run(run: &mut Run<'_, '_>) {
    let party = run.main.clone();
    let result = paths(run, &party);
    run.check("transport.paths", result);
    let result = string_input(run, &party);
    run.check("transport.string_input", result);
    let mut env = probe(run, &party);
    env["infno"] = json!(1201);
    let x = run.send(&party, CALL_SERVICE, "1201 with infno as a number", &env);
    run.check("transport.code_as_number", lists_facility(&x, &party));
    let result = spellings(run, &party);
    run.check("transport.admdvs_spellings", result);
    let mut env = probe(run, &party);
    env["mdtrtarea_admdvs"] = json!(format!("{}0100", &party.province()[..2]));
    env["mdtrtarea_admvs"] = json!(party.province());
    let x = run.send(&party, CALL_SERVICE, "1201 with two different admdvs spellings", &env);
    run.check("transport.admdvs_clash", expect_refusal(&x, 200, &["bad_envelope"]));
    let env = probe(run, &party);
    let x = run.send(&party, PRE_SETTLE_ALIAS, "1201 on the 2206 alias path", &env);
    run.check("transport.alias_clash", expect_refusal(&x, 200, &["bad_envelope"]));
    let mut env = probe(run, &party);
    env["infno"] = json!("1301");
    let x = run.send(&party, CALL_SERVICE, "infno 1301", &env);
    run.check("transport.unknown_infno", expect_refusal(&x, 200, &["unknown_infno"]));
    let x = raw(run, &party, "invalid JSON", br#"{"infno":"1201","msgid":"#.to_vec());
    run.check("transport.bad_json", expect_refusal(&x, 200, &["bad_envelope"]));
    let result = oversize(run, &party);
    run.check("transport.body_413", result);
    let result = too_many_lines(run, &party);
    run.check("transport.too_large_list", result);
}

/// A 1201 envelope about the party's own facility.
fn probe(run: &Run<'_, '_>, party: &Party) -> Value {
    let msgid = run.client.next_msgid();
    run.client.envelope(party, "1201", &msgid, inputs::facility_query(&party.code))
}

fn raw(run: &mut Run<'_, '_>, party: &Party, what: &str, body: Vec<u8>) -> crate::client::Exchange {
    let x = run.client.post_signed(party, CALL_SERVICE, what, "", &body);
    run.observe(&x, &party.province());
    x
}

/// 1201 succeeded and lists the facility asked about.
pub fn lists_facility(x: &crate::client::Exchange, party: &Party) -> Check {
    let out = expect_ok(x)?;
    let rows = out.get("medinsinfo").map_or(&[][..], |m| m.rows());
    if rows.iter().any(|r| r.get("fixmedins_code").and_then(|c| c.text()) == Some(party.code.as_str())) {
        return Ok(());
    }
    Err(Mismatch::new(format!("{}: medinsinfo[] listing {}", x.what, party.code), out.to_string()))
}

fn paths(run: &mut Run<'_, '_>, party: &Party) -> Check {
    for path in PATHS {
        let env = probe(run, party);
        let x = run.send(party, path, &format!("1201 at {path}"), &env);
        lists_facility(&x, party)?;
    }
    Ok(())
}

fn string_input(run: &mut Run<'_, '_>, party: &Party) -> Check {
    let as_object = probe(run, party);
    let mut as_string = probe(run, party);
    as_string["input"] = json!(body_text(&as_object["input"]));
    let a = run.send(party, CALL_SERVICE, "1201 with input as an object", &as_object);
    let b = run.send(party, CALL_SERVICE, "1201 with input as a JSON string", &as_string);
    lists_facility(&b, party)?;
    let (oa, ob) = (expect_ok(&a)?, expect_ok(&b)?);
    if oa == ob {
        return Ok(());
    }
    Err(Mismatch::new("the same output for a string input as for the object", format!("{ob} vs {oa}")))
}

fn spellings(run: &mut Run<'_, '_>, party: &Party) -> Check {
    let mut env = probe(run, party);
    let area = env["mdtrtarea_admvs"].take();
    let map = env.as_object_mut().expect("an envelope is an object");
    map.remove("mdtrtarea_admvs");
    map.insert("mdtrtarea_admdvs".into(), area);
    map.insert("insuplc_admvs".into(), json!(party.province()));
    let x = run.send(party, CALL_SERVICE, "1201 with mdtrtarea_admdvs and insuplc_admvs", &env);
    lists_facility(&x, party)
}

/// A body over 1 MiB: HTTP 413 `too_large`, still an envelope.
fn oversize(run: &mut Run<'_, '_>, party: &Party) -> Check {
    let mut env = probe(run, party);
    env["dev_safe_info"] = json!("x".repeat(BODY_BYTES_MAX));
    let x = raw(run, party, "a body over 1 MiB", body_text(&env).into_bytes());
    expect_refusal(&x, 413, &["too_large"])
}

/// 2204 with one line more than allowed: HTTP 200 `too_large`.
fn too_many_lines(run: &mut Run<'_, '_>, party: &Party) -> Check {
    let line = FeeLine {
        feedetl_sn: String::new(),
        code: "X".into(),
        cnt: "1".into(),
        pric: "1.00".into(),
        amount_fen: 100,
        fee_ocur_time: crate::time::beijing_datetime(crate::time::unix_now()),
    };
    let lines: Vec<FeeLine> = (0..=FEEDETAIL_2204_LEN_MAX)
        .map(|n| FeeLine { feedetl_sn: format!("L{n}"), ..line.clone() })
        .collect();
    let input = inputs::outpatient_fees("P0", "000000000000000000", "B0", &lines);
    let x = run.call(party, "2204", input);
    expect_refusal(&x, 200, &["too_large"])
}
