//! What serde_json does not check for us: duplicate keys (its `Value` silently keeps the last one)
//! and nesting depth; and the canonical text of a value that the idempotency fingerprint hashes.
//!
//! The structure check runs on text serde_json has already accepted, as one forward pass over the
//! bytes with an explicit stack (no recursion), so its cost is linear and bounded by the body.

use std::collections::HashSet;

use serde_json::Value;

use crate::errors::Problem;
use crate::limits::NESTING_DEPTH_MAX;

/// One step of a path inside a JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A number whose value a `f64` would change (`0.1000000000000000001`, 20-digit integers): its
/// place and exact text. [`apply_fixups`] puts the text in as a string, so that readers parsing
/// decimals from text see exactly what was sent.
pub(crate) type Fixup = (Vec<Seg>, String);

enum Frame {
    Object { segs: Vec<Seg>, keys: HashSet<String>, expect_key: bool, key: String },
    Array { segs: Vec<Seg>, index: usize },
}

/// Renders a path: `input` + `[Key(feedetail), Index(3), Key(pric)]` → `input.feedetail[3].pric`.
pub(crate) fn path_text(base: &str, segs: &[Seg]) -> String {
    let mut out = base.to_string();
    for seg in segs {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "body".to_string() } else { out }
}

/// Checks valid JSON `text` for duplicate keys and nesting deeper than [`NESTING_DEPTH_MAX`],
/// and lists the numbers a `f64` cannot hold exactly. `base_path` names the text's root (`""` for
/// the envelope, `input` for the `input` node) and `base_depth` the containers around it.
pub(crate) fn check_structure(text: &str, base_path: &str, base_depth: usize) -> Result<Vec<Fixup>, Problem> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut fixups = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i);
                record_key(&mut stack, &text[i..end], base_path)?;
                i = end;
                continue;
            }
            b'-' | b'0'..=b'9' => {
                let end = number_end(bytes, i);
                let token = &text[i..end];
                if !f64_keeps(token) {
                    fixups.push((child_segs(&stack), token.to_string()));
                }
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let segs = child_segs(&stack);
                if base_depth + stack.len() + 1 > NESTING_DEPTH_MAX {
                    return Err(Problem::new(
                        path_text(base_path, &segs),
                        format!("嵌套超过 {NESTING_DEPTH_MAX} 层"),
                    ));
                }
                stack.push(if bytes[i] == b'{' {
                    Frame::Object { segs, keys: HashSet::new(), expect_key: true, key: String::new() }
                } else {
                    Frame::Array { segs, index: 0 }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                Some(Frame::Array { index, .. }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    Ok(fixups)
}

/// The index just past the closing quote of the string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < bytes.len() && matches!(bytes[j], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
        j += 1;
    }
    j
}

fn record_key(stack: &mut [Frame], raw: &str, base_path: &str) -> Result<(), Problem> {
    let Some(Frame::Object { segs, keys, expect_key, key }) = stack.last_mut() else {
        return Ok(());
    };
    if !*expect_key {
        return Ok(());
    }
    *expect_key = false;
    let decoded: String = serde_json::from_str(raw).unwrap_or_else(|_| raw.to_string());
    if !keys.insert(decoded.clone()) {
        return Err(Problem::new(path_text(base_path, segs), format!("字段“{decoded}”重复出现")));
    }
    *key = decoded;
    Ok(())
}

fn child_segs(stack: &[Frame]) -> Vec<Seg> {
    match stack.last() {
        None => Vec::new(),
        Some(Frame::Object { segs, key, .. }) => {
            let mut s = segs.clone();
            s.push(Seg::Key(key.clone()));
            s
        }
        Some(Frame::Array { segs, index }) => {
            let mut s = segs.clone();
            s.push(Seg::Index(*index));
            s
        }
    }
}

/// Whether serde_json's `Value` (i64, u64 or f64) holds the number `token` exactly.
fn f64_keeps(token: &str) -> bool {
    let Ok(Value::Number(n)) = serde_json::from_str::<Value>(token) else {
        return false;
    };
    match (Decimal::parse(token), Decimal::parse(&n.to_string())) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Replaces each fixed-up number by a string of its exact text.
pub(crate) fn apply_fixups(value: &mut Value, fixups: Vec<Fixup>) {
    for (segs, text) in fixups {
        let mut at = Some(&mut *value);
        for seg in &segs {
            at = match (at, seg) {
                (Some(v), Seg::Key(k)) => v.get_mut(k.as_str()),
                (Some(v), Seg::Index(i)) => v.get_mut(*i),
                (None, _) => None,
            };
        }
        if let Some(v) = at {
            *v = Value::String(text);
        }
    }
}

/// An exact decimal: sign, significant digits without leading or trailing zeros, power of ten.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: String,
    exp: i64,
}

impl Decimal {
    /// Parses JSON number text (`-12.50e3`); `None` if it is not one.
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i64>().ok()?),
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all = format!("{int}{frac}");
        let lead = all.trim_start_matches('0');
        let digits = lead.trim_end_matches('0');
        if digits.is_empty() {
            return Some(Decimal { negative: false, digits: String::new(), exp: 0 });
        }
        let trailing = (lead.len() - digits.len()) as i64;
        let exp = exp.checked_sub(frac.len() as i64)?.checked_add(trailing)?;
        Some(Decimal { negative, digits: digits.to_string(), exp })
    }

    /// Plain positional text (`1e-5` → `0.00001`), or `None` past 40 digits either side.
    fn plain(&self) -> Option<String> {
        if self.digits.is_empty() {
            return Some("0".to_string());
        }
        let sign = if self.negative { "-" } else { "" };
        if self.exp >= 0 {
            (self.exp <= 40).then(|| format!("{sign}{}{}", self.digits, "0".repeat(self.exp as usize)))
        } else {
            let frac_len = usize::try_from(-self.exp).ok().filter(|n| *n <= 40)?;
            let padded = format!("{}{}", "0".repeat(frac_len.saturating_sub(self.digits.len())), self.digits);
            let (int, frac) = padded.split_at(padded.len() - frac_len);
            Some(format!("{sign}{}.{frac}", if int.is_empty() { "0" } else { int }))
        }
    }
}

/// The text of a JSON number as a plain decimal (`1e-5` → `0.00001`, `100.0` → `100.0`), so that
/// exact parsers see positional notation; other text is returned unchanged.
pub(crate) fn plain_number(text: &str) -> String {
    if !text.contains(['e', 'E']) {
        return text.to_string();
    }
    Decimal::parse(text).and_then(|d| d.plain()).unwrap_or_else(|| text.to_string())
}

/// The canonical text of a value: keys sorted, no whitespace, strings escaped as serde_json
/// does, numbers from their exact text without trailing fractional zeros (`66.50` → `66.5`).
pub(crate) fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&canonical_number(&n.to_string())),
        Value::String(s) => out.push_str(&serde_json::to_string(s).expect("strings serialise")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("strings serialise"));
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
    }
}

/// `66.50` → `66.5`, `7.00` → `7`, `1E2` → `100`: the plain decimal without trailing fractional
/// zeros.
pub(crate) fn canonical_number(text: &str) -> String {
    let plain = plain_number(text);
    if !plain.contains('.') {
        return plain;
    }
    plain.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Vec<Fixup>, Problem> {
        serde_json::from_str::<&serde_json::value::RawValue>(text).expect("test JSON is valid");
        check_structure(text, "", 0)
    }

    #[test]
    fn finds_duplicate_keys_with_their_path() {
        assert_eq!(
            check(r#"{"a":1,"b":{"c":[{"d":1},{"d":2,"d":3}]}}"#).unwrap_err().to_string(),
            "[b.c[1]]字段“d”重复出现"
        );
        assert_eq!(check(r#"{"a":1,"a":1}"#).unwrap_err().to_string(), "[body]字段“a”重复出现");
        // An escaped spelling of the same key is the same key.
        assert!(check(r#"{"infno":1,"\u0069nfno":2}"#).is_err());
        // Keys inside string values and equal keys of sibling objects are fine.
        assert!(check(r#"{"a":"{\"a\":1,\"a\":2}","b":[{"a":1},{"a":1}]}"#).is_ok());
    }

    #[test]
    fn limits_nesting() {
        let ok = format!("{}{}", "[".repeat(NESTING_DEPTH_MAX), "]".repeat(NESTING_DEPTH_MAX));
        assert!(check(&ok).is_ok());
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(NESTING_DEPTH_MAX), "]".repeat(NESTING_DEPTH_MAX));
        let err = check(&deep).unwrap_err();
        assert_eq!(err.path, format!("x{}", "[0]".repeat(NESTING_DEPTH_MAX - 1)));
        assert_eq!(err.reason, "嵌套超过 32 层");
    }

    #[test]
    fn canonical_form_sorts_and_trims() {
        let a: Value =
            serde_json::from_str(r#"{ "b": 66.50, "a": [1.0, "x\u00e9", null, true, 1E2] }"#).unwrap();
        assert_eq!(canonical(&a), r#"{"a":[1,"xé",null,true,100],"b":66.5}"#);
        assert_eq!(canonical_number("100"), "100");
        assert_eq!(canonical_number("0.000"), "0");
        assert_eq!(canonical_number("-12.3400"), "-12.34");
        assert_eq!(canonical_number("1e-5"), "0.00001");
    }

    #[test]
    fn numbers_a_float_would_change_become_their_text() {
        let text = r#"{"a":[0.1000000000000000001,66.50,12345678901234567890123],"b":1E2,"c":-0.0}"#;
        let fixups = check(text).unwrap();
        assert_eq!(fixups.len(), 2);
        let mut v: Value = serde_json::from_str(text).unwrap();
        apply_fixups(&mut v, fixups);
        assert_eq!(v["a"][0], "0.1000000000000000001");
        assert_eq!(v["a"][1].to_string(), "66.5");
        assert_eq!(v["a"][2], "12345678901234567890123");
        assert_eq!(
            path_text("input", &[Seg::Key("feedetail".into()), Seg::Index(3), Seg::Key("pric".into())]),
            "input.feedetail[3].pric"
        );
        assert_eq!(plain_number("1.5e-3"), "0.0015");
        assert_eq!(plain_number("25e2"), "2500");
        assert_eq!(plain_number("-0.5"), "-0.5");
    }
}
