//! Property fuzzing of the outside-facing parsers: arbitrary bytes, arbitrary JSON-ish envelopes
//! (random nesting, field types, huge numbers, duplicate keys, unicode) and mutated valid inputs
//! go through `parse_envelope` and `parse_input` for every infno. Nothing may panic, and every
//! refusal has an `err_msg` that starts with `[` and a known `err_code`.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use yidi_protocol::envelope::{OFFERED_INFNOS, fingerprint, parse_envelope};
use yidi_protocol::errors::{ALL_ERR_CODES, ProtocolError};
use yidi_protocol::inputs::parse_input;

/// Field names the parsers look for, so random objects hit real paths (and repeat keys).
const KEYS: &[&str] = &[
    "infno",
    "msgid",
    "input",
    "data",
    "feedetail",
    "diseinfo",
    "mdtrtinfo",
    "psn_no",
    "cnt",
    "pric",
    "det_item_fee_sumamt",
    "medfee_sumamt",
    "med_type",
    "acct_used_flag",
    "exp_content",
    "er_flag",
    "yidi_stmtdetl",
    "stmt_begndate",
    "fee_ocur_time",
    "mdtrt_id",
    "feedetl_sn",
    "insutype",
    "键",
];

fn check_error(e: &ProtocolError) {
    let msg = e.err_msg();
    assert!(msg.starts_with('['), "err_msg without a path: {msg}");
    assert!(!e.problems.is_empty());
    assert!(ALL_ERR_CODES.contains(&e.err_code), "unknown err_code {}", e.err_code);
}

/// Runs both parsers on a body; never panics, errors well-formed.
fn run(body: &[u8], path_infno: Option<&str>) {
    match parse_envelope(body, path_infno) {
        Ok(env) => {
            assert!(env.input.is_object());
            let _ = fingerprint(&env.infno, &env.input);
            parse_all(&env.input);
        }
        Err(e) => check_error(&e),
    }
}

fn parse_all(input: &Value) {
    for infno in OFFERED_INFNOS.iter().chain(&["2203A", "1301", "", "99999999"]) {
        if let Err(e) = parse_input(infno, input) {
            check_error(&e);
        }
    }
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,3}(\\.[0-9]{1,8})?",
        "-?[1-9][0-9]{15,45}(\\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?",
        "0\\.0{0,20}[1-9]",
        Just("1e400".to_string()),
        Just("-0".to_string()),
    ]
}

fn string_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{0,20}(\\.[0-9]{0,8})?",
        "\\PC{0,12}",
        "2025-0[1-9]-[0-3][0-9]([ T][0-2][0-9]:[0-5][0-9]:[0-5][0-9])?",
        Just(String::new()),
    ]
    .prop_map(|s| serde_json::to_string(&s).unwrap())
}

/// JSON text, built by hand so objects can repeat keys and numbers keep any length.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        number_text(),
        string_text(),
    ];
    leaf.prop_recursive(40, 256, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..6).prop_map(|fields| {
                let parts: Vec<String> = fields.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", parts.join(","))
            }),
            // An `input` given as a string holding JSON.
            inner.prop_map(|text| serde_json::to_string(&text).unwrap()),
        ]
    })
}

fn envelope_text() -> impl Strategy<Value = String> {
    let infno =
        prop_oneof![prop::sample::select(OFFERED_INFNOS).prop_map(|s| format!("\"{s}\"")), json_text()];
    (infno, json_text(), any::<bool>()).prop_map(|(infno, input, dup)| {
        let dup = if dup { r#","msgid":"again""# } else { "" };
        format!(
            r#"{{"infno":{infno},"msgid":"M1"{dup},"mdtrtarea_admvs":"310000","opter_type":"1","opter":"a","opter_name":"b","inf_time":"2025-03-02 09:41:00","fixmedins_code":"H31010400123","fixmedins_name":"医院","input":{input}}}"#
        )
    })
}

/// A valid sample with one field somewhere replaced by random JSON.
fn mutated_sample() -> impl Strategy<Value = (String, Value)> {
    let samples = common::samples();
    (0..samples.len(), json_text(), any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(
        move |(i, text, node_pick, field_pick)| {
            let (infno, mut input) = samples[i].clone();
            let replacement: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let node_key = {
                let keys: Vec<String> = input.as_object().unwrap().keys().cloned().collect();
                keys[node_pick.index(keys.len())].clone()
            };
            let node = &mut input[&node_key];
            let target = if let Value::Array(items) = node { items.first_mut() } else { Some(node) };
            if let Some(Value::Object(map)) = target {
                let keys: Vec<String> = map.keys().cloned().collect();
                map.insert(keys[field_pick.index(keys.len())].clone(), replacement);
            }
            (infno.to_string(), input)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the envelope parser.
    #[test]
    fn arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..512), path in prop::option::of("[0-9A]{0,6}")) {
        run(&body, path.as_deref());
    }

    /// Arbitrary JSON-ish envelopes never panic either parser.
    #[test]
    fn arbitrary_envelopes(body in envelope_text()) {
        run(body.as_bytes(), None);
        run(body.as_bytes(), Some("2207"));
    }

    /// Arbitrary JSON as an `input` never panics `parse_input`.
    #[test]
    fn arbitrary_inputs(text in json_text()) {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            parse_all(&v);
        }
    }

    /// A valid input with one field replaced is accepted or refused with a path, never a panic.
    #[test]
    fn mutated_valid_inputs((infno, input) in mutated_sample()) {
        if let Err(e) = parse_input(&infno, &input) {
            check_error(&e);
        }
    }
}

proptest! {
    /// Any amount, sent as a number or a string, with or without trailing zeros, reads back to
    /// the exact fen through the envelope and the input parser (agreement with `Fen::yuan`).
    #[test]
    fn amounts_round_trip_exactly(fen in -1_000_000_000_000i64..=1_000_000_000_000, zeros in 0usize..4, quoted: bool) {
        let text = format!("{}{}", yidi_domain::Fen::new(fen.abs()).yuan(), "0".repeat(zeros));
        let value = if quoted { format!("\"{text}\"") } else { text };
        let body = format!(
            r#"{{"infno":"3201","msgid":"M","mdtrtarea_admvs":"310000","opter_type":"1","opter":"a","opter_name":"b","inf_time":"2025-03-02 09:41:00","fixmedins_code":"H1","fixmedins_name":"x","input":{{"data":{{"insutype":"310","clr_type":"11","setl_optins":"310000","stmt_begndate":"2025-03-01","stmt_enddate":"2025-03-31","medfee_sumamt":{value},"fund_pay_sumamt":0,"acct_pay":"0","fixmedins_setl_cnt":1}}}}}}"#
        );
        let env = parse_envelope(body.as_bytes(), None).unwrap();
        match parse_input(&env.infno, &env.input).unwrap() {
            yidi_protocol::inputs::TxInput::Tx3201(tx) => prop_assert_eq!(tx.medfee_sumamt.get(), fen.abs()),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// Layout, key order and trailing zeros never change a fingerprint; the amount does.
    #[test]
    fn fingerprints_depend_on_meaning_only(fen in 0i64..100_000_000, zeros in 0usize..3, other in 1i64..100) {
        let yuan = yidi_domain::Fen::new(fen).yuan();
        let a: Value = serde_json::from_str(&format!(r#"{{"data":{{"a":1,"b":{yuan}}}}}"#)).unwrap();
        let b: Value = serde_json::from_str(&format!("{{ \"data\" : {{ \"b\" : {yuan}{} , \"a\" : 1.0 }} }}", "0".repeat(zeros))).unwrap();
        prop_assert_eq!(fingerprint("2207", &a), fingerprint("2207", &b));
        let changed = yidi_domain::Fen::new(fen + other).yuan();
        let c: Value = serde_json::from_str(&format!(r#"{{"data":{{"a":1,"b":{changed}}}}}"#)).unwrap();
        prop_assert_ne!(fingerprint("2207", &a), fingerprint("2207", &c));
    }
}
