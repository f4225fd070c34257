//! Cell and key value parsers shared by the CSV and TOML loaders.
//!
//! Each returns the value or a Chinese sentence naming the bad value and what is expected; the
//! caller adds the column or key. Amounts are integer fen and ratios integer basis points, so
//! nothing here accepts a decimal point.

use yidi_domain::{Bp, Date, DateTime, DivisionCode, Fen};

use crate::limits::CAP_POOL_LEN_MAX;

/// A non-negative integer amount in fen, at most [`Fen::MAX`].
pub(crate) fn fen(text: &str) -> Result<Fen, String> {
    let expected = "应为不小于 0 的整数，单位为分（例如 150000 表示 1500.00 元）";
    if text.contains('.') {
        return Err(format!("“{text}”不是合法金额：金额以分为单位，不能带小数点；{expected}"));
    }
    match integer(text) {
        Ok(amount_fen) if amount_fen < 0 => Err(format!("“{text}”不是合法金额：不能为负数；{expected}")),
        Ok(amount_fen) if amount_fen > Fen::MAX.get() => {
            Err(format!("“{text}”不是合法金额：超出上限 {}（分）", Fen::MAX.get()))
        }
        Ok(amount_fen) => Ok(Fen::new(amount_fen)),
        Err(_) => Err(format!("“{text}”不是合法金额：{expected}")),
    }
}

/// An integer already parsed (from TOML) as an amount in fen.
pub(crate) fn fen_from_i64(amount_fen: i64) -> Result<Fen, String> {
    if amount_fen < 0 {
        return Err(format!("金额 {amount_fen} 不能为负数（应为不小于 0 的整数，单位为分）"));
    }
    if amount_fen > Fen::MAX.get() {
        return Err(format!("金额 {amount_fen} 超出上限 {}（分）", Fen::MAX.get()));
    }
    Ok(Fen::new(amount_fen))
}

/// A ratio in basis points, 0..=10 000.
pub(crate) fn bp(text: &str) -> Result<Bp, String> {
    let expected = "应为 0–10000 的整数基点（10000 = 100%，例如 8500 表示 85%）";
    let ratio_bp = integer(text).map_err(|_| format!("“{text}”不是合法比例：{expected}"))?;
    bp_from_i64(ratio_bp)
}

/// An integer already parsed (from TOML) as a ratio in basis points.
pub(crate) fn bp_from_i64(ratio_bp: i64) -> Result<Bp, String> {
    Bp::new(ratio_bp).map_err(|_| {
        format!("比例 {ratio_bp} 无效：应为 0–10000 的整数基点（10000 = 100%，例如 8500 表示 85%）")
    })
}

/// A signed decimal integer without sign or spaces inside (`-` allowed in front).
pub(crate) fn integer(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("“{text}”不是整数"));
    }
    text.parse().map_err(|_| format!("“{text}”不是整数"))
}

pub(crate) fn date(text: &str) -> Result<Date, String> {
    Date::parse(text).map_err(|e| e.to_string())
}

pub(crate) fn datetime(text: &str) -> Result<DateTime, String> {
    DateTime::parse(text).map_err(|e| e.to_string())
}

/// `Y` or `N`.
pub(crate) fn flag(text: &str) -> Result<bool, String> {
    match text {
        "Y" => Ok(true),
        "N" => Ok(false),
        _ => Err(format!("“{text}”不是合法标志：应为 Y（是）或 N（否）")),
    }
}

pub(crate) fn division(text: &str) -> Result<DivisionCode, String> {
    DivisionCode::parse(text).map_err(|e| e.to_string())
}

/// A facility level for a restriction or a facility: an integer within `lo..=hi`.
pub(crate) fn level_in(text: &str, lo: u8, hi: u8) -> Result<u8, String> {
    match integer(text) {
        Ok(n) if (i64::from(lo)..=i64::from(hi)).contains(&n) => Ok(n as u8),
        _ => Err(format!("“{text}”不是合法的机构等级：应为 {lo}–{hi} 的整数")),
    }
}

/// A `|`-separated list; items are trimmed and none may be empty.
pub(crate) fn list(text: &str) -> Result<Vec<&str>, String> {
    let items: Vec<&str> = text.split('|').map(str::trim).collect();
    if items.iter().any(|item| item.is_empty()) {
        return Err(format!("“{text}”中有空项：多个值用 | 分隔，例如 A|B"));
    }
    Ok(items)
}

/// A cap-pool name: a lowercase identifier `[a-z][a-z0-9_]{0,31}`.
pub(crate) fn pool_name(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= CAP_POOL_LEN_MAX
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "资金池名“{text}”无效：应为小写字母开头、由小写字母、数字和下划线组成、不超过 {CAP_POOL_LEN_MAX} 个字符的名称（例如 inpatient）"
        ))
    }
}

/// `a` to `b` as shown in messages, an absent end being open-ended.
pub(crate) fn period(begin: Date, end: Option<Date>) -> String {
    match end {
        Some(end) => format!("{begin} 至 {end}"),
        None => format!("{begin} 起长期有效"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_integer_fen() {
        assert_eq!(fen("150000"), Ok(Fen::new(150_000)));
        assert_eq!(fen("0"), Ok(Fen::ZERO));
        assert!(fen("1500.00").unwrap_err().contains("不能带小数点"));
        assert!(fen("-1").unwrap_err().contains("不能为负数"));
        assert!(fen("1e5").is_err());
        assert!(fen("99999999999999999999").is_err());
        assert!(fen("").is_err());
    }

    #[test]
    fn ratios_are_basis_points() {
        assert_eq!(bp("10000").map(Bp::get), Ok(10_000));
        assert!(bp("10001").is_err());
        assert!(bp("-1").is_err());
        assert!(bp("85%").is_err());
    }

    #[test]
    fn pool_names_are_identifiers() {
        assert!(pool_name("inpatient").is_ok());
        assert!(pool_name("chronic_d001").is_ok());
        assert!(pool_name("Inpatient").is_err());
        assert!(pool_name("1pool").is_err());
        assert!(pool_name("").is_err());
        assert!(pool_name(&"a".repeat(33)).is_err());
    }

    #[test]
    fn lists_split_on_bars() {
        assert_eq!(list("11|14"), Ok(vec!["11", "14"]));
        assert!(list("11||14").is_err());
    }
}
