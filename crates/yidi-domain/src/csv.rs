//! One CSV cell, the way every export (statements, dashboards, detail files) writes it.
//!
//! RFC 4180 quoting (a cell holding a comma, quote, CR or LF is quoted, quotes doubled), and no
//! formulas: names and codes in exports come from outside, and opening a CSV in a spreadsheet
//! must never run anything. A cell starting with `=`, `+`, `@`, a tab or CR, or with `-` when it
//! is not a plain decimal number (`-12.50` stays a number, `-1+cmd|…` does not), gets a leading
//! `'` (OWASP's advice for CSV injection).

use std::borrow::Cow;

/// `text` as one CSV field: defused, then quoted when needed.
pub fn field(text: &str) -> String {
    let text = defuse(text);
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

fn defuse(text: &str) -> Cow<'_, str> {
    let risky = match text.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !is_plain_decimal(&text[1..]),
        _ => false,
    };
    if risky { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// Digits with at most one inner decimal point (`12`, `12.50`), and nothing else.
fn is_plain_decimal(text: &str) -> bool {
    let (int, frac) = text.split_once('.').unwrap_or((text, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("南京市"), "南京市");
    }

    #[test]
    fn formulas_are_defused_but_negative_numbers_are_not() {
        for risky in ["=1+2", "@SUM(A1)", "+86", "-x", "-", "-1+cmd|' /C calc'!A0", "-2.5.1", "\tx", "\r=1"] {
            assert!(field(risky).trim_start_matches('"').starts_with('\''), "{risky:?} → {}", field(risky));
        }
        for number in ["-12.50", "-3", "0", "12.5", "-0.01"] {
            assert_eq!(field(number), number);
        }
        assert_eq!(field("=a,b"), "\"'=a,b\"");
    }
}
