//! Answers as an exact JSON tree: numbers keep the text the server wrote (`666.50` stays
//! `666.50`), objects keep their field order. Built on `serde_json`'s `RawValue`, so the checks
//! never pass an amount through a float.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::money;

/// Deepest nesting read from an answer (national answers are three or four levels deep).
const DEPTH_MAX: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    /// Fields in the order sent.
    Obj(Vec<(String, Json)>),
}

/// An object's fields with their raw values, in order.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Json {
    /// Parses a whole JSON text.
    pub fn parse(text: &str) -> Result<Json, String> {
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| format!("不是合法的 JSON：{e}"))?;
        from_raw(raw, 0)
    }

    /// A field of an object (`None` for anything else or a missing field).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A dotted path of object fields: `output.setlinfo.setl_id`.
    pub fn at(&self, path: &str) -> Option<&Json> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// The text of a string.
    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a string or number (codes may come either way).
    pub fn text(&self) -> Option<&str> {
        match self {
            Json::Str(s) | Json::Num(s) => Some(s),
            _ => None,
        }
    }

    /// An amount in fen from a number or a decimal string.
    pub fn fen(&self) -> Option<i64> {
        self.text().and_then(money::parse_fen)
    }

    /// The rows of an array; one object where an array is expected is a one-element list
    /// (`protocol.md` §2.3); anything else has no rows.
    pub fn rows(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            Json::Obj(_) => std::slice::from_ref(self),
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The fields of an object (empty for anything else).
    pub fn fields(&self) -> &[(String, Json)] {
        match self {
            Json::Obj(fields) => fields,
            _ => &[],
        }
    }
}

fn from_raw(raw: &RawValue, depth: usize) -> Result<Json, String> {
    if depth > DEPTH_MAX {
        return Err(format!("嵌套超过 {DEPTH_MAX} 层"));
    }
    let text = raw.get().trim();
    let bad = |e: serde_json::Error| e.to_string();
    Ok(match text.as_bytes().first() {
        Some(b'{') => {
            let Entries(entries) = serde_json::from_str(text).map_err(bad)?;
            let fields = entries
                .into_iter()
                .map(|(k, v)| Ok((k, from_raw(v, depth + 1)?)))
                .collect::<Result<Vec<_>, String>>()?;
            Json::Obj(fields)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(bad)?;
            Json::Arr(items.into_iter().map(|v| from_raw(v, depth + 1)).collect::<Result<_, _>>()?)
        }
        Some(b'"') => Json::Str(serde_json::from_str(text).map_err(bad)?),
        Some(b't') => Json::Bool(true),
        Some(b'f') => Json::Bool(false),
        Some(b'n') => Json::Null,
        _ => Json::Num(text.to_string()),
    })
}

impl fmt::Display for Json {
    /// Compact JSON, numbers as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Num(n) => f.write_str(n),
            Json::Str(s) => f.write_str(&serde_json::to_string(s).unwrap_or_default()),
            Json::Arr(items) => {
                f.write_str("[")?;
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Obj(fields) => {
                f.write_str("{")?;
                for (n, (k, v)) in fields.iter().enumerate() {
                    if n > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", serde_json::to_string(k).unwrap_or_default())?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_text() {
        let j = Json::parse(r#"{"a":{"b":666.50,"c":"x"},"d":[1,{"e":null}],"f":-0.10}"#).unwrap();
        assert_eq!(j.at("a.b"), Some(&Json::Num("666.50".into())));
        assert_eq!(j.at("a.b").and_then(Json::fen), Some(66_650));
        assert_eq!(j.at("a.c").and_then(Json::str), Some("x"));
        assert_eq!(j.get("d").map(|d| d.rows().len()), Some(2));
        assert_eq!(j.get("f").and_then(Json::fen), Some(-10));
        assert_eq!(j.get("a").map(|a| a.rows().len()), Some(1), "one object is a one-row list");
        assert_eq!(j.to_string(), r#"{"a":{"b":666.50,"c":"x"},"d":[1,{"e":null}],"f":-0.10}"#);
    }

    #[test]
    fn invalid_text_is_an_error() {
        assert!(Json::parse("{").is_err());
        assert!(Json::parse(&"[".repeat(40)).is_err());
    }
}
