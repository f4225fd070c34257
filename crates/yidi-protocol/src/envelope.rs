//! The national request and response envelopes (`protocol.md` §2): parsing a request with the
//! tolerance rules of §2.3, the idempotency fingerprint of §4.3, and the exact bytes of an answer.
//!
//! Envelope fields are read from their raw JSON text, so a code sent as a number keeps its
//! digits. `input` becomes a `serde_json::Value` in which every number is exact: a number that
//! an `f64` would change is put in as a string of its text (see `json.rs`), so amounts read from
//! it are the amounts sent.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use yidi_domain::DateTime;

use crate::errors::{Problem, ProtocolError};
use crate::json::{apply_fixups, canonical, check_structure};
use crate::limits::BODY_BYTES_MAX;

/// A request envelope that passed §2.1: required fields present, widths and formats checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// Normalised: `2203A` is `2203`; taken from the path when the body has none.
    pub infno: String,
    pub msgid: String,
    /// Sent as `mdtrtarea_admvs` or `mdtrtarea_admdvs`; 6 digits.
    pub mdtrtarea_admvs: String,
    /// Sent as `insuplc_admdvs` or `insuplc_admvs`; 6 digits when present.
    pub insuplc_admdvs: Option<String>,
    pub fixmedins_code: String,
    pub fixmedins_name: String,
    pub opter_type: String,
    pub opter: String,
    pub opter_name: String,
    pub inf_time: DateTime,
    pub recer_sys_code: Option<String>,
    pub infver: Option<String>,
    pub dev_no: Option<String>,
    pub dev_safe_info: Option<String>,
    pub sign_no: Option<String>,
    pub cainfo: Option<String>,
    pub signtype: Option<String>,
    /// Always an object. Numbers an `f64` would change are strings of their exact text.
    pub input: Value,
    /// The exact text of `input` as received (for SM2, §3.3): the object's bytes, or the content
    /// of the string when `input` was sent as a JSON string.
    pub input_text: String,
}

/// Every transaction Yidi offers (`protocol.md` §6).
pub const OFFERED_INFNOS: &[&str] = &[
    "9001", "9002", "1101", "1201", "2001", "2201", "2202", "2203", "2204", "2205", "2206", "2207", "2208",
    "2301", "2302", "2303", "2304", "2305", "2401", "2402", "2403", "2404", "2405", "2601", "3201", "3202",
    "3203", "3204", "5203", "5204",
];

/// The writing transactions (W in §6): keyed by `msgid` for idempotency.
pub const WRITE_INFNOS: &[&str] = &[
    "9001", "9002", "2201", "2202", "2203", "2204", "2205", "2207", "2208", "2301", "2302", "2304", "2305",
    "2401", "2402", "2403", "2404", "2405", "2601", "3203", "3204",
];

/// `2203A` is 2203 (§2.1); other text is kept as given.
pub fn normalise_infno(infno: &str) -> String {
    let t = infno.trim();
    if t.eq_ignore_ascii_case("2203A") { "2203".to_string() } else { t.to_string() }
}

/// Whether Yidi offers `infno` (after [`normalise_infno`]).
pub fn is_offered(infno: &str) -> bool {
    OFFERED_INFNOS.contains(&normalise_infno(infno).as_str())
}

/// Whether `infno` writes (W in §6), so that its `msgid` is an idempotency key.
pub fn is_write(infno: &str) -> bool {
    WRITE_INFNOS.contains(&normalise_infno(infno).as_str())
}

/// How a scalar envelope field may look.
#[derive(Clone, Copy)]
enum Format {
    /// Any text of at most the width.
    Text,
    /// Printable ASCII without spaces (`msgid`).
    Ascii,
    /// Exactly six digits (a division code).
    Division,
}

struct FieldSpec {
    names: &'static [&'static str],
    width: usize,
    required: bool,
    format: Format,
}

const fn field(names: &'static [&'static str], width: usize, required: bool, format: Format) -> FieldSpec {
    FieldSpec { names, width, required, format }
}

/// §2.1, in the order of the `Envelope` fields.
const FIELDS: &[FieldSpec] = &[
    field(&["infno"], 6, false, Format::Text),
    field(&["msgid"], 30, true, Format::Ascii),
    field(&["mdtrtarea_admvs", "mdtrtarea_admdvs"], 6, true, Format::Division),
    field(&["insuplc_admdvs", "insuplc_admvs"], 6, false, Format::Division),
    field(&["fixmedins_code"], 30, true, Format::Text),
    field(&["fixmedins_name"], 200, true, Format::Text),
    field(&["opter_type"], 3, true, Format::Text),
    field(&["opter"], 30, true, Format::Text),
    field(&["opter_name"], 50, true, Format::Text),
    field(&["inf_time"], 19, true, Format::Text),
    field(&["recer_sys_code"], 10, false, Format::Text),
    field(&["infver"], 6, false, Format::Text),
    field(&["dev_no"], 100, false, Format::Text),
    field(&["dev_safe_info"], 2000, false, Format::Text),
    field(&["sign_no"], 30, false, Format::Text),
    field(&["cainfo"], 1024, false, Format::Text),
    field(&["signtype"], 10, false, Format::Text),
];

/// Parses a request body (§2.1, §2.3). `path_infno` is the transaction an alias path implies
/// (`saveSettletmentV2` → `2207`): a missing `infno` takes it, another one is refused.
pub fn parse_envelope(body: &[u8], path_infno: Option<&str>) -> Result<Envelope, ProtocolError> {
    if body.len() > BODY_BYTES_MAX {
        let reason = format!("报文 {} 字节，超过 {} 字节上限", body.len(), BODY_BYTES_MAX);
        return Err(ProtocolError::too_large("body", reason));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        ProtocolError::bad_envelope(
            "body",
            format!("报文不是合法的 UTF-8 文本（第 {} 字节）", e.valid_up_to()),
        )
    })?;
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| ProtocolError::bad_envelope("body", format!("报文不是合法的 JSON：{e}")))?;
    if !raw.get().starts_with('{') {
        return Err(ProtocolError::bad_envelope("body", "报文应为一个 JSON 对象"));
    }
    check_structure(text, "", 0).map_err(|p| ProtocolError::new(crate::errors::BAD_ENVELOPE, vec![p]))?;
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(text)
        .map_err(|e| ProtocolError::bad_envelope("body", format!("报文不是合法的 JSON：{e}")))?;
    let mut problems = Vec::new();
    let mut values: Vec<Option<String>> =
        FIELDS.iter().map(|spec| read_field(&fields, spec, &mut problems)).collect();
    let infno = resolve_infno(values[0].take(), path_infno, &mut problems);
    let inf_time = values[9].as_deref().and_then(|t| match DateTime::parse(t) {
        Ok(dt) => Some(dt),
        Err(e) => {
            problems.push(Problem::new("inf_time", e.to_string()));
            None
        }
    });
    let input = read_input(fields.get("input").copied(), &mut problems);
    if !problems.is_empty() {
        return Err(ProtocolError::new(crate::errors::BAD_ENVELOPE, problems));
    }
    let (input, input_text) = input.expect("no problem means input was read");
    let mut take = |i: usize| values[i].take();
    Ok(Envelope {
        infno: infno.expect("no problem means infno is known"),
        msgid: take(1).expect("required"),
        mdtrtarea_admvs: take(2).expect("required"),
        insuplc_admdvs: take(3),
        fixmedins_code: take(4).expect("required"),
        fixmedins_name: take(5).expect("required"),
        opter_type: take(6).expect("required"),
        opter: take(7).expect("required"),
        opter_name: take(8).expect("required"),
        inf_time: inf_time.expect("no problem means inf_time parsed"),
        recer_sys_code: take(10),
        infver: take(11),
        dev_no: take(12),
        dev_safe_info: take(13),
        sign_no: take(14),
        cainfo: take(15),
        signtype: take(16),
        input,
        input_text,
    })
}

/// A scalar read from raw JSON text: strings trimmed, digit-only numbers as their digits,
/// `null` and `""` absent.
enum Scalar {
    Absent,
    Text(String),
    /// A number that is not a plain run of digits (`1.5`, `-3`, `1e3`): its exact text.
    Number(String),
    Bool,
    Container,
}

fn scalar_from_raw(raw: &RawValue) -> Scalar {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => {
            let s: String = serde_json::from_str(text).unwrap_or_default();
            let s = s.trim();
            if s.is_empty() { Scalar::Absent } else { Scalar::Text(s.to_string()) }
        }
        Some(b'{' | b'[') => Scalar::Container,
        Some(b'n') => Scalar::Absent,
        Some(b't' | b'f') => Scalar::Bool,
        _ if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => Scalar::Text(text.to_string()),
        _ => Scalar::Number(text.to_string()),
    }
}

fn read_field(
    fields: &BTreeMap<String, &RawValue>,
    spec: &FieldSpec,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mut found: Option<(&str, String)> = None;
    for name in spec.names {
        let Some(raw) = fields.get(*name) else { continue };
        let value = match scalar_from_raw(raw) {
            Scalar::Absent => continue,
            Scalar::Text(t) => t,
            Scalar::Number(n) => {
                problems.push(Problem::new(*name, format!("应为字符串，而不是数值 {n}")));
                return None;
            }
            Scalar::Bool | Scalar::Container => {
                problems.push(Problem::new(*name, "应为字符串"));
                return None;
            }
        };
        match &found {
            Some((first, v)) if *v != value => {
                problems.push(Problem::new(*name, format!("与 {first} 不一致（“{value}” ≠ “{v}”）")));
                return None;
            }
            Some(_) => {}
            None => found = Some((name, value)),
        }
    }
    let Some((name, value)) = found else {
        if spec.required {
            problems.push(Problem::new(spec.names[0], "必填，不能为空"));
        }
        return None;
    };
    match check_format(&value, spec) {
        Ok(()) => Some(value),
        Err(reason) => {
            problems.push(Problem::new(name, reason));
            None
        }
    }
}

fn check_format(value: &str, spec: &FieldSpec) -> Result<(), String> {
    let chars = value.chars().count();
    if chars > spec.width {
        return Err(format!("长度 {chars} 超过 {} 个字符", spec.width));
    }
    match spec.format {
        Format::Text => Ok(()),
        Format::Ascii if value.bytes().all(|b| b.is_ascii_graphic()) => Ok(()),
        Format::Ascii => Err(format!("“{value}”应只含可打印 ASCII 字符（不含空格和汉字）")),
        Format::Division if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        Format::Division => Err(format!("“{value}”应为 6 位数字区划代码")),
    }
}

fn resolve_infno(
    given: Option<String>,
    path_infno: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let given = given.map(|g| normalise_infno(&g));
    let path = path_infno.map(normalise_infno);
    match (given, path) {
        (Some(g), Some(p)) if g != p => {
            problems.push(Problem::new("infno", format!("“{g}”与接口地址对应的交易 {p} 不一致")));
            None
        }
        (Some(g), _) => Some(g),
        (None, Some(p)) => Some(p),
        (None, None) => {
            if !problems.iter().any(|p| p.path == "infno") {
                problems.push(Problem::new("infno", "必填，不能为空"));
            }
            None
        }
    }
}

/// `input`: an object, or a JSON string holding one (§2.3).
fn read_input(raw: Option<&RawValue>, problems: &mut Vec<Problem>) -> Option<(Value, String)> {
    let text = raw.map(|r| r.get().trim()).unwrap_or("null");
    let inner = if text.starts_with('"') {
        let s: String = serde_json::from_str(text).unwrap_or_default();
        if s.trim().is_empty() {
            problems.push(Problem::new("input", "必填，不能为空"));
            return None;
        }
        if let Err(e) = serde_json::from_str::<&RawValue>(&s) {
            problems.push(Problem::new("input", format!("字符串内容不是合法的 JSON：{e}")));
            return None;
        }
        s
    } else {
        text.to_string()
    };
    if text == "null" {
        problems.push(Problem::new("input", "必填，不能为空"));
        return None;
    }
    if !inner.trim_start().starts_with('{') {
        problems.push(Problem::new("input", "应为 JSON 对象（或内容为 JSON 对象的字符串）"));
        return None;
    }
    let fixups = match check_structure(&inner, "input", 1) {
        Ok(f) => f,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let mut value: Value = match serde_json::from_str(&inner) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem::new("input", format!("内容无法解析：{e}")));
            return None;
        }
    };
    apply_fixups(&mut value, fixups);
    Some((value, inner))
}

/// The idempotency fingerprint (§4.3): SHA-256 of `infno` followed by the canonical text of
/// `input` (keys sorted, no whitespace, numbers without trailing fractional zeros).
pub fn fingerprint(infno: &str, input: &Value) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(normalise_infno(infno).as_bytes());
    hasher.update(canonical(input).as_bytes());
    hasher.finalize().into()
}

/// The canonical text [`fingerprint`] hashes, for logs and tests.
pub fn canonical_input(input: &Value) -> String {
    canonical(input)
}

/// `inf_refmsgid` (§2.2): the facility's province `xx0000` (`000000` when `province` is not a
/// 6-digit code) + `yyyyMMddHHmmss` + the 2-digit node + an 8-digit wrapping counter.
pub fn inf_refmsgid(province: &str, now: DateTime, node: u8, counter: u32) -> String {
    let prov = if province.len() == 6 && province.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}0000", &province[..2])
    } else {
        "000000".to_string()
    };
    let id = format!("{prov}{}{:02}{:08}", compact(now), node % 100, counter % 100_000_000);
    debug_assert_eq!(id.len(), 30);
    id
}

fn compact(t: DateTime) -> String {
    let d = t.date();
    let s = t.secs_of_day();
    format!("{:04}{:02}{:02}{:02}{:02}{:02}", d.year(), d.month(), d.day(), s / 3_600, s / 60 % 60, s % 60)
}

/// `refmsg_time` / `respond_time` (§2.2): `yyyyMMddHHmmssSSS` from milliseconds since
/// 1970-01-01 00:00:00 Beijing time (the hub's `Clock`).
pub fn stamp_millis(epoch_millis: i64) -> String {
    let t = DateTime::from_epoch_secs(epoch_millis.div_euclid(1_000));
    format!("{}{:03}", compact(t), epoch_millis.rem_euclid(1_000))
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// A success envelope (§2.2, field order of the §7 example). `output_json` is the `output` node
/// as JSON text (`{}` when the transaction has none).
pub fn response_ok(
    refmsgid: &str,
    refmsg_time: &str,
    respond_time: &str,
    output_json: &str,
    warn_msg: Option<&str>,
) -> String {
    debug_assert!(serde_json::from_str::<&RawValue>(output_json).is_ok(), "output is JSON");
    let warn = warn_msg.map_or_else(|| "null".to_string(), json_str);
    format!(
        "{{\"infcode\":0,\"inf_refmsgid\":{},\"refmsg_time\":{},\"respond_time\":{},\"err_msg\":null,\
         \"warn_msg\":{warn},\"cainfo\":\"\",\"signtype\":\"\",\"enctype\":\"\",\"err_code\":null,\
         \"output\":{output_json}}}",
        json_str(refmsgid),
        json_str(refmsg_time),
        json_str(respond_time),
    )
}

/// A refusal envelope (§2.2, field order of the §7 refusal example: `output` then `err_code`).
pub fn response_err(
    refmsgid: &str,
    refmsg_time: &str,
    respond_time: &str,
    err_code: &str,
    err_msg: &str,
) -> String {
    format!(
        "{{\"infcode\":-1,\"inf_refmsgid\":{},\"refmsg_time\":{},\"respond_time\":{},\"err_msg\":{},\
         \"warn_msg\":null,\"cainfo\":\"\",\"signtype\":\"\",\"enctype\":\"\",\"output\":null,\"err_code\":{}}}",
        json_str(refmsgid),
        json_str(refmsg_time),
        json_str(respond_time),
        json_str(err_msg),
        json_str(err_code),
    )
}

/// [`response_err`] for a protocol refusal.
pub fn response_protocol_err(
    refmsgid: &str,
    refmsg_time: &str,
    respond_time: &str,
    err: &ProtocolError,
) -> String {
    response_err(refmsgid, refmsg_time, respond_time, err.err_code, &err.err_msg())
}
