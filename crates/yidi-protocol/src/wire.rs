//! Tolerant reading of scalar wire values: a JSON string, number or boolean is kept as its exact
//! text (so `136.50` never passes through a float); `null` and `""` mean absent.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A scalar taken as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loose(pub String);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Loose, D::Error> {
        let raw: &RawValue = Deserialize::deserialize(deserializer)?;
        let text = raw.get().trim();
        if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(serde::de::Error::custom)?;
            Ok(Loose(s.trim().to_string()))
        } else if text.starts_with('{') || text.starts_with('[') {
            Err(serde::de::Error::custom("应为字符串或数字，而不是对象或数组"))
        } else {
            Ok(Loose(text.to_string()))
        }
    }
}

/// Treats `null` and `""` as absent.
pub fn present(v: &Option<Loose>) -> Option<&str> {
    v.as_ref().map(|l| l.0.as_str()).filter(|s| !s.is_empty() && *s != "null")
}

/// One object where an array is expected is a one-element array.
///
/// Read through the raw text rather than an untagged enum: untagged enums buffer their input,
/// and buffered input cannot give [`Loose`] the exact text of a number.
#[derive(Debug)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<OneOrMany<T>, D::Error> {
        let raw: &RawValue = Deserialize::deserialize(deserializer)?;
        let text = raw.get().trim_start();
        if text.starts_with('[') {
            serde_json::from_str(text).map(OneOrMany).map_err(serde::de::Error::custom)
        } else {
            serde_json::from_str(text).map(|one| OneOrMany(vec![one])).map_err(serde::de::Error::custom)
        }
    }
}
