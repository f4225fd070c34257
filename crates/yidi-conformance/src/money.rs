//! Exact decimals from wire text: amounts in fen, decimal comparison, `line_fen`. No floats: every
//! figure the checks compare is read from the answer's own text (`666.50`), never through `f64`.

/// A decimal as `mantissa × 10^-scale`, exactly as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec {
    pub mantissa: i128,
    pub scale: u32,
}

/// Longest run of digits read (keeps `mantissa` far from overflow).
const DIGITS_MAX: usize = 30;

/// Parses `-12.345`, `7`, `0.50`; no exponent, no `+`, at least one digit before any point.
pub fn parse_dec(text: &str) -> Option<Dec> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits_ok(int) || !digits_ok(frac) || int.len() + frac.len() > DIGITS_MAX {
        return None;
    }
    if body.contains('.') && frac.is_empty() {
        return None;
    }
    let mantissa: i128 = format!("{int}{frac}").parse().ok()?;
    Some(Dec { mantissa: if negative { -mantissa } else { mantissa }, scale: frac.len() as u32 })
}

impl Dec {
    /// Same value at a larger scale.
    fn at_scale(self, scale: u32) -> i128 {
        self.mantissa * 10i128.pow(scale - self.scale)
    }
    /// Numeric equality (`0.70` = `0.7000`).
    pub fn same_value(self, other: Dec) -> bool {
        let scale = self.scale.max(other.scale);
        self.at_scale(scale) == other.at_scale(scale)
    }
}

/// Whether two decimal texts have the same value; `false` if either is not a decimal.
pub fn same_decimal(a: &str, b: &str) -> bool {
    matches!((parse_dec(a), parse_dec(b)), (Some(x), Some(y)) if x.same_value(y))
}

/// An amount in fen: at most two decimals (`666.5` and `666.50` are 66 650).
pub fn parse_fen(text: &str) -> Option<i64> {
    let d = parse_dec(text)?;
    if d.scale > 2 {
        return None;
    }
    i64::try_from(d.at_scale(2)).ok()
}

/// `-12.30` from −1 230.
pub fn fmt_fen(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// `cnt × pric` in fen, half-up on the magnitude (`settlement.md` §1); `None` for text that is
/// not a decimal. A negative `cnt` (a refund) gives the negated amount of its |cnt|.
pub fn line_fen(cnt: &str, pric: &str) -> Option<i64> {
    let (c, p) = (parse_dec(cnt)?, parse_dec(pric)?);
    let product = c.mantissa.checked_mul(p.mantissa)?;
    let scale = c.scale + p.scale;
    let divisor = 10i128.pow(scale.saturating_sub(2));
    let scaled = product.unsigned_abs() * if scale < 2 { 10u128.pow(2 - scale) } else { 1 };
    let fen = (scaled + divisor.unsigned_abs() / 2) / divisor.unsigned_abs();
    let fen = i64::try_from(fen).ok()?;
    Some(if product < 0 { -fen } else { fen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_fen("666.50"), Some(66_650));
        assert_eq!(parse_fen("666.5"), Some(66_650));
        assert_eq!(parse_fen("-0.01"), Some(-1));
        assert_eq!(parse_fen("12"), Some(1_200));
        assert_eq!(parse_fen("1.005"), None);
        assert_eq!(parse_fen("1e3"), None);
        assert_eq!(parse_fen("."), None);
        assert_eq!(fmt_fen(-1_230), "-12.30");
        assert_eq!(fmt_fen(5), "0.05");
    }

    #[test]
    fn decimals_compare_by_value() {
        assert!(same_decimal("0.7000", "0.7"));
        assert!(!same_decimal("0.7001", "0.7"));
        assert!(!same_decimal("x", "x"));
    }

    #[test]
    fn line_amounts_round_half_up() {
        assert_eq!(line_fen("3", "45.50"), Some(13_650));
        assert_eq!(line_fen("0.3333", "10.005"), Some(333));
        assert_eq!(line_fen("-1", "300.00"), Some(-30_000));
        assert_eq!(line_fen("1.5", "0.01"), Some(2));
    }
}
