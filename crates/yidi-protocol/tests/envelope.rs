//! The request envelope (`protocol.md` §2.1, §2.3), the fingerprint (§4.3) and the answer
//! envelope (§2.2, §7), through the public API.

use serde_json::{Value, json};
use yidi_domain::DateTime;
use yidi_protocol::envelope::{
    canonical_input, fingerprint, inf_refmsgid, is_offered, is_write, parse_envelope, response_err,
    response_ok, response_protocol_err, stamp_millis,
};
use yidi_protocol::errors::{BAD_ENVELOPE, ProtocolError, TOO_LARGE};
use yidi_protocol::limits::BODY_BYTES_MAX;

/// The §7 2207 request.
const EXAMPLE: &str = r#"{"infno":"2207","msgid":"H31010400123202503020941000003","mdtrtarea_admvs":"310000",
"insuplc_admdvs":"320100","opter_type":"1","opter":"SF0107","opter_name":"收费员甲",
"inf_time":"2025-03-02 09:41:00",
"fixmedins_code":"H31010400123","fixmedins_name":"上海市示例第一人民医院",
"input":{"data":{"psn_no":"32010000000000012345","mdtrt_cert_type":"02",
"mdtrt_cert_no":"320102197208150513","med_type":"11","medfee_sumamt":666.50,"psn_setlway":"01",
"mdtrt_id":"310104000000481207","chrg_bchno":"CB20250302000017","acct_used_flag":"1",
"insutype":"310","fulamt_ownpay_amt":80.00,"overlmt_selfpay":5.00,"preselfpay_amt":42.00,
"inscp_scp_amt":539.50}}}"#;

/// The example with top-level fields replaced (`null` removes one).
fn with(changes: Value) -> String {
    let mut v: Value = serde_json::from_str(EXAMPLE).unwrap();
    for (k, new) in changes.as_object().unwrap() {
        if new.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = new.clone();
        }
    }
    v.to_string()
}

/// Parses and expects a refusal with exactly this code and `err_msg`.
fn refused(body: &str, path_infno: Option<&str>, err_code: &str, err_msg: &str) {
    let err = parse_envelope(body.as_bytes(), path_infno).expect_err(body);
    assert_eq!((err.err_code, err.err_msg().as_str()), (err_code, err_msg), "{body}");
}

#[test]
fn the_example_request_parses() {
    let env = parse_envelope(EXAMPLE.as_bytes(), None).unwrap();
    assert_eq!(env.infno, "2207");
    assert_eq!(env.msgid, "H31010400123202503020941000003");
    assert_eq!(env.mdtrtarea_admvs, "310000");
    assert_eq!(env.insuplc_admdvs.as_deref(), Some("320100"));
    assert_eq!(env.opter_name, "收费员甲");
    assert_eq!(env.inf_time, DateTime::parse("2025-03-02 09:41:00").unwrap());
    assert_eq!(env.input["data"]["medfee_sumamt"].to_string(), "666.5");
    assert!(env.input_text.starts_with(r#"{"data":{"psn_no":"32010000000000012345","#));
    assert!(env.input_text.ends_with(r#""inscp_scp_amt":539.50}}"#), "exact text, zeros kept");
    assert_eq!(env.sign_no, None);
}

/// `input` given as a JSON string holding the object is the same input; its text is the string's.
#[test]
fn input_may_be_a_string() {
    let object = parse_envelope(EXAMPLE.as_bytes(), None).unwrap();
    let body = with(json!({ "input": object.input_text.clone() }));
    let string = parse_envelope(body.as_bytes(), None).unwrap();
    assert_eq!(string.input, object.input);
    assert_eq!(string.input_text, object.input_text);
    assert_eq!(fingerprint("2207", &string.input), fingerprint("2207", &object.input));
    let err = parse_envelope(with(json!({"input": "{\"data\":"})).as_bytes(), None).unwrap_err();
    assert!(err.err_msg().starts_with("[input]字符串内容不是合法的 JSON："), "{}", err.err_msg());
}

#[test]
fn both_admdvs_spellings() {
    let body = with(json!({"mdtrtarea_admvs": null, "mdtrtarea_admdvs": "310000",
        "insuplc_admdvs": null, "insuplc_admvs": "320100"}));
    let env = parse_envelope(body.as_bytes(), None).unwrap();
    assert_eq!((env.mdtrtarea_admvs.as_str(), env.insuplc_admdvs.as_deref()), ("310000", Some("320100")));
    let same = with(json!({"mdtrtarea_admdvs": "310000"}));
    assert!(parse_envelope(same.as_bytes(), None).is_ok());
    refused(
        &with(json!({"mdtrtarea_admdvs": "310100"})),
        None,
        BAD_ENVELOPE,
        "[mdtrtarea_admdvs]与 mdtrtarea_admvs 不一致（“310100” ≠ “310000”）",
    );
    refused(
        &with(json!({"insuplc_admvs": "330100"})),
        None,
        BAD_ENVELOPE,
        "[insuplc_admvs]与 insuplc_admdvs 不一致（“330100” ≠ “320100”）",
    );
}

#[test]
fn codes_as_numbers_and_the_2203a_spelling() {
    let env = parse_envelope(with(json!({"infno": 2207, "opter_type": 1})).as_bytes(), None).unwrap();
    assert_eq!((env.infno.as_str(), env.opter_type.as_str()), ("2207", "1"));
    let env = parse_envelope(with(json!({"infno": "2203A"})).as_bytes(), None).unwrap();
    assert_eq!(env.infno, "2203");
    let body = EXAMPLE.replace(r#""infno":"2207""#, r#""infno":2207.0"#);
    refused(&body, None, BAD_ENVELOPE, "[infno]应为字符串，而不是数值 2207.0");
    refused(&with(json!({"opter": true})), None, BAD_ENVELOPE, "[opter]应为字符串");
    refused(&with(json!({"opter": {"a": 1}})), None, BAD_ENVELOPE, "[opter]应为字符串");
}

#[test]
fn the_path_names_the_transaction() {
    let env = parse_envelope(with(json!({"infno": null})).as_bytes(), Some("2207")).unwrap();
    assert_eq!(env.infno, "2207");
    assert!(parse_envelope(EXAMPLE.as_bytes(), Some("2207")).is_ok());
    refused(EXAMPLE, Some("2206"), BAD_ENVELOPE, "[infno]“2207”与接口地址对应的交易 2206 不一致");
    refused(&with(json!({"infno": null})), None, BAD_ENVELOPE, "[infno]必填，不能为空");
}

#[test]
fn empty_and_null_are_absent() {
    let env = parse_envelope(with(json!({"insuplc_admdvs": "", "sign_no": "  "})).as_bytes(), None).unwrap();
    assert_eq!((env.insuplc_admdvs, env.sign_no), (None, None));
    let body = EXAMPLE.replace(r#""msgid":"H31010400123202503020941000003""#, r#""msgid":null"#);
    refused(&body, None, BAD_ENVELOPE, "[msgid]必填，不能为空");
    refused(&with(json!({"msgid": ""})), None, BAD_ENVELOPE, "[msgid]必填，不能为空");
}

#[test]
fn every_envelope_problem_is_listed() {
    let body = with(json!({"msgid": "H3101 0400123", "mdtrtarea_admvs": "31000", "inf_time": "2025-03-02",
        "fixmedins_name": null, "opter_name": "名".repeat(51)}));
    refused(
        &body,
        None,
        BAD_ENVELOPE,
        "[msgid]“H3101 0400123”应只含可打印 ASCII 字符（不含空格和汉字）；\
         [mdtrtarea_admvs]“31000”应为 6 位数字区划代码；[fixmedins_name]必填，不能为空；\
         [opter_name]长度 51 超过 50 个字符；\
         [inf_time]“2025-03-02” 不是合法时间（应为 YYYY-MM-DD HH:MM:SS）",
    );
    refused(&with(json!({"msgid": "M".repeat(31)})), None, BAD_ENVELOPE, "[msgid]长度 31 超过 30 个字符");
    let t = parse_envelope(with(json!({"inf_time": "2025-03-02T09:41:00"})).as_bytes(), None).unwrap();
    assert_eq!(t.inf_time.to_string(), "2025-03-02 09:41:00");
}

#[test]
fn malformed_bodies_are_bad_envelopes() {
    let err = parse_envelope(b"{\"infno\":", None).unwrap_err();
    assert!(err.err_msg().starts_with("[body]报文不是合法的 JSON："), "{}", err.err_msg());
    let err = parse_envelope("{\"infno\":\"2207\"\u{0}".as_bytes(), None).unwrap_err();
    assert!(err.err_msg().starts_with("[body]报文不是合法的 JSON："), "{}", err.err_msg());
    let err = parse_envelope(b"{\"infno\":\"\xff\"}", None).unwrap_err();
    assert_eq!(err.err_msg(), "[body]报文不是合法的 UTF-8 文本（第 10 字节）");
    refused("[1,2]", None, BAD_ENVELOPE, "[body]报文应为一个 JSON 对象");
    refused(
        &with(json!({"input": [1]})),
        None,
        BAD_ENVELOPE,
        "[input]应为 JSON 对象（或内容为 JSON 对象的字符串）",
    );
    refused(&with(json!({"input": null})), None, BAD_ENVELOPE, "[input]必填，不能为空");
    refused(&with(json!({"input": ""})), None, BAD_ENVELOPE, "[input]必填，不能为空");
}

#[test]
fn duplicate_keys_are_refused_wherever_they_are() {
    let top = EXAMPLE.replacen(r#""opter":"SF0107","#, r#""opter":"SF0107","opter":"SF0108","#, 1);
    refused(&top, None, BAD_ENVELOPE, "[body]字段“opter”重复出现");
    let inner = EXAMPLE.replacen(r#""med_type":"11","#, r#""med_type":"11","med_type":"14","#, 1);
    refused(&inner, None, BAD_ENVELOPE, "[input.data]字段“med_type”重复出现");
    let in_string = with(json!({"input": r#"{"data":{"a":1,"a":2}}"#}));
    refused(&in_string, None, BAD_ENVELOPE, "[input.data]字段“a”重复出现");
}

#[test]
fn nesting_is_limited_to_32() {
    let deep = |n: usize| {
        with(json!({"input": {"data": {}}})).replacen(
            r#"{"data":{}}"#,
            &format!(r#"{{"data":{{}},"x":{}{}}}"#, "[".repeat(n), "]".repeat(n)),
            1,
        )
    };
    assert!(parse_envelope(deep(30).as_bytes(), None).is_ok());
    let err = parse_envelope(deep(31).as_bytes(), None).unwrap_err();
    assert_eq!(err.err_code, BAD_ENVELOPE);
    assert_eq!(err.err_msg(), format!("[input.x{}]嵌套超过 32 层", "[0]".repeat(30)));
    // The same depth inside a string `input` counts from the envelope too.
    let text = format!(r#"{{"x":{}{}}}"#, "[".repeat(31), "]".repeat(31));
    let err = parse_envelope(with(json!({ "input": text })).as_bytes(), None).unwrap_err();
    assert!(err.err_msg().ends_with("嵌套超过 32 层"));
}

#[test]
fn bodies_over_one_mib_are_too_large() {
    let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(BODY_BYTES_MAX));
    let err = parse_envelope(body.as_bytes(), None).unwrap_err();
    assert_eq!(err.err_code, TOO_LARGE);
    assert_eq!(err.err_msg(), format!("[body]报文 {} 字节，超过 1048576 字节上限", body.len()));
}

/// Numbers a float would change stay exact: they reach `input` as their text.
#[test]
fn input_numbers_stay_exact() {
    let body = EXAMPLE.replace("666.50", "666.5000000000000000001").replace("80.00", "123456789012345678901");
    let env = parse_envelope(body.as_bytes(), None).unwrap();
    assert_eq!(env.input["data"]["medfee_sumamt"], "666.5000000000000000001");
    assert_eq!(env.input["data"]["fulamt_ownpay_amt"], "123456789012345678901");
    assert_eq!(env.input["data"]["overlmt_selfpay"].to_string(), "5.0");
}

#[test]
fn fingerprints_ignore_layout_and_trailing_zeros() {
    let a: Value = serde_json::from_str(r#"{"data":{"b":66.50,"a":[1,{"y":"x","x":null}]}}"#).unwrap();
    let b: Value = serde_json::from_str(
        "{ \"data\" : { \"a\" : [ 1.0 , { \"x\":null, \"y\":\"x\" } ], \"b\" : 66.5 } }",
    )
    .unwrap();
    assert_eq!(fingerprint("2207", &a), fingerprint("2207", &b));
    assert_eq!(canonical_input(&a), r#"{"data":{"a":[1,{"x":null,"y":"x"}],"b":66.5}}"#);
    let c: Value = serde_json::from_str(r#"{"data":{"b":66.51,"a":[1,{"y":"x","x":null}]}}"#).unwrap();
    assert_ne!(fingerprint("2207", &a), fingerprint("2207", &c));
    assert_ne!(fingerprint("2207", &a), fingerprint("2206", &a));
    assert_eq!(fingerprint("2203A", &a), fingerprint("2203", &a));
    // Through the envelope: whitespace and `66.50` vs `66.5` give the same fingerprint.
    let one = parse_envelope(EXAMPLE.as_bytes(), None).unwrap();
    let other = EXAMPLE.replace("666.50", "666.5").replace(",\"psn_setlway\"", " , \"psn_setlway\"");
    let two = parse_envelope(other.as_bytes(), None).unwrap();
    assert_eq!(fingerprint(&one.infno, &one.input), fingerprint(&two.infno, &two.input));
    let exact = EXAMPLE.replace("666.50", "666.5000000000000000001");
    let three = parse_envelope(exact.as_bytes(), None).unwrap();
    assert_ne!(fingerprint(&one.infno, &one.input), fingerprint(&three.infno, &three.input));
}

#[test]
fn answer_ids_and_stamps() {
    let t = DateTime::parse("2025-03-02 09:41:00").unwrap();
    assert_eq!(inf_refmsgid("310000", t, 1, 56), "310000202503020941000100000056");
    assert_eq!(inf_refmsgid("310104", t, 1, 56), "310000202503020941000100000056");
    assert_eq!(inf_refmsgid("", t, 7, 100_000_057), "000000202503020941000700000057");
    assert_eq!(stamp_millis(t.to_epoch_secs() * 1_000 + 123), "20250302094100123");
    assert_eq!(stamp_millis(t.to_epoch_secs() * 1_000 + 7), "20250302094100007");
}

#[test]
fn transactions_offered_and_writing() {
    for w in ["2201", "2207", "2203A", "2601", "9001", "2304", "3203", "3204"] {
        assert!(is_write(w) && is_offered(w), "{w}");
    }
    for r in ["2206", "2303", "1101", "5204", "3202"] {
        assert!(!is_write(r) && is_offered(r), "{r}");
    }
    for n in ["1301", "9101", "2501", "2101", ""] {
        assert!(!is_offered(n), "{n}");
    }
}

/// The §7 refusal example, byte for byte.
#[test]
fn refusal_envelope_matches_the_example() {
    let expected = r#"{"infcode":-1,"inf_refmsgid":"310000202503020942150100000057","refmsg_time":"20250302094215007",
"respond_time":"20250302094215009","err_msg":"[input.data.chrg_bchno]批次CB20250302000017已结算(结算ID 310104000000390554)，请先撤销(2208)",
"warn_msg":null,"cainfo":"","signtype":"","enctype":"","output":null,"err_code":"visit_state"}"#
        .replace('\n', "");
    let msg = "[input.data.chrg_bchno]批次CB20250302000017已结算(结算ID 310104000000390554)，请先撤销(2208)";
    let got = response_err(
        "310000202503020942150100000057",
        "20250302094215007",
        "20250302094215009",
        "visit_state",
        msg,
    );
    assert_eq!(got, expected);
    let err = ProtocolError::bad_envelope("msgid", "必填，不能为空");
    let got = response_protocol_err("r", "1", "2", &err);
    assert!(
        got.contains(r#""err_msg":"[msgid]必填，不能为空","#)
            && got.ends_with(r#""err_code":"bad_envelope"}"#)
    );
}

#[test]
fn success_envelope_has_the_national_order() {
    let got = response_ok("R", "1", "2", "{}", Some("未备案，统筹比例0.7000→0.5000"));
    assert_eq!(
        got,
        r#"{"infcode":0,"inf_refmsgid":"R","refmsg_time":"1","respond_time":"2","err_msg":null,"warn_msg":"未备案，统筹比例0.7000→0.5000","cainfo":"","signtype":"","enctype":"","err_code":null,"output":{}}"#
    );
}
