//! Money in integer fen, ratios in basis points, and the one rounding rule of `settlement.md` §1.
//!
//! Amounts arrive as decimal text (yuan with ≤ 2 places, quantities with ≤ 4, unit prices with
//! ≤ 6) and are parsed exactly into integers; nothing here ever touches a float.

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount of money in fen (1/100 yuan). Signed so that reversals can be expressed as
/// negated settlements; the engine asserts non-negativity where `settlement.md` §8 demands it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(i64);

/// A ratio in basis points: 10 000 bp = 100 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bp(u32);

/// A quantity (`cnt`) in units of 1/10 000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Qty(i64);

/// A unit price (`pric`) in units of 1/1 000 000 yuan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("“{text}” 不是合法数值")]
    NotANumber { text: String },
    #[error("“{text}” 小数位数超过 {places} 位")]
    TooManyDecimals { text: String, places: u32 },
    #[error("“{text}” 超出允许范围")]
    OutOfRange { text: String },
    #[error("“{text}” 不能为负数")]
    Negative { text: String },
    #[error("比例 {value} 超过 10000 个基点（100%）")]
    RatioTooLarge { value: i64 },
}

impl Fen {
    pub const ZERO: Fen = Fen(0);
    /// Largest amount Yidi accepts anywhere: 10^14 fen (one trillion yuan), far beyond any bill,
    /// small enough that `amount × 10 000` never overflows an i64.
    pub const MAX: Fen = Fen(100_000_000_000_000);

    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }
    pub const fn get(self) -> i64 {
        self.0
    }
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub fn max0(self) -> Fen {
        Fen(self.0.max(0))
    }
    pub fn min(self, other: Fen) -> Fen {
        Fen(self.0.min(other.0))
    }
    pub fn max(self, other: Fen) -> Fen {
        Fen(self.0.max(other.0))
    }
    /// Parses yuan with at most two decimals ("136.5", "136.50", "-3", "0.07").
    pub fn parse_yuan(text: &str) -> Result<Fen, MoneyError> {
        parse_scaled(text, 2).map(Fen)
    }
    /// Renders yuan with exactly two decimals, as the national interface does (`666.50`).
    pub fn yuan(self) -> String {
        format_scaled(self.0, 2)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan())
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0.checked_add(rhs.0).expect("fen overflow"))
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, rhs: Fen) -> Fen {
        Fen(self.0.checked_sub(rhs.0).expect("fen overflow"))
    }
}
impl AddAssign for Fen {
    fn add_assign(&mut self, rhs: Fen) {
        *self = *self + rhs;
    }
}
impl SubAssign for Fen {
    fn sub_assign(&mut self, rhs: Fen) {
        *self = *self - rhs;
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}
impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

impl Bp {
    pub const ZERO: Bp = Bp(0);
    pub const FULL: Bp = Bp(10_000);

    /// A ratio between 0 and 100 % inclusive.
    pub fn new(bp: i64) -> Result<Bp, MoneyError> {
        if bp < 0 {
            return Err(MoneyError::Negative { text: bp.to_string() });
        }
        if bp > 10_000 {
            return Err(MoneyError::RatioTooLarge { value: bp });
        }
        Ok(Bp(bp as u32))
    }
    /// For compile-time constants and values already proven in range.
    pub const fn new_const(bp: u32) -> Bp {
        assert!(bp <= 10_000);
        Bp(bp)
    }
    pub const fn get(self) -> u32 {
        self.0
    }
    /// `self − n`, never below 0.
    pub fn minus(self, n: Bp) -> Bp {
        Bp(self.0.saturating_sub(n.0))
    }
    /// `self + n`, never above 100 %.
    pub fn plus(self, n: Bp) -> Bp {
        Bp((self.0 + n.0).min(10_000))
    }
    /// `self × f / 10 000`, rounded with [`share`] as `settlement.md` §4 prescribes for `factor_bp`.
    pub fn scaled(self, f: Bp) -> Bp {
        Bp(share(Fen(i64::from(self.0)), f).0 as u32)
    }
    /// Renders the ratio as the national decimal fraction with 4 places (`0.7000`).
    pub fn fraction(self) -> String {
        format_scaled(i64::from(self.0), 4)
    }
}

impl fmt::Display for Bp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = self.0 / 100;
        let rest = self.0 % 100;
        if rest == 0 { write!(f, "{pct}%") } else { write!(f, "{pct}.{rest:02}%") }
    }
}

/// The one rounding rule: `floor((x × bp + 5 000) / 10 000)`, half-up to the fen, for x ≥ 0.
///
/// Every ratio applied to an amount goes through here and nowhere else (`settlement.md` §1).
pub fn share(x: Fen, bp: Bp) -> Fen {
    assert!(x.0 >= 0, "share() of a negative amount: {}", x.0);
    let product = i128::from(x.0) * i128::from(bp.0) + 5_000;
    Fen((product / 10_000) as i64)
}

impl Qty {
    pub fn parse(text: &str) -> Result<Qty, MoneyError> {
        parse_scaled(text, 4).map(Qty)
    }
    /// Quantity in 1/10 000 units.
    pub const fn ten_thousandths(self) -> i64 {
        self.0
    }
    pub const fn from_ten_thousandths(v: i64) -> Qty {
        Qty(v)
    }
    pub fn from_units(units: i64) -> Qty {
        Qty(units * 10_000)
    }
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&trim_zeros(format_scaled(self.0, 4)))
    }
}

impl Price {
    pub fn parse(text: &str) -> Result<Price, MoneyError> {
        parse_scaled(text, 6).map(Price)
    }
    pub const fn micro_yuan(self) -> i64 {
        self.0
    }
    pub const fn from_micro_yuan(v: i64) -> Price {
        Price(v)
    }
    /// A unit price given in fen (catalog price caps are integer fen).
    pub fn from_fen(fen: Fen) -> Price {
        Price(fen.0 * 10_000)
    }
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = trim_zeros(format_scaled(self.0, 6));
        // Keep at least two decimals so prices read like money.
        match s.find('.') {
            None => write!(f, "{s}.00"),
            Some(dot) if s.len() - dot - 1 < 2 => write!(f, "{s}0"),
            Some(_) => f.write_str(&s),
        }
    }
}

/// `cnt × price` in fen, rounded half-up (away from zero for refunds) with exact arithmetic.
///
/// Panics when the amount does not fit an i64: callers bound `cnt` and `price` first (the
/// protocol's and the engine's limits), or use [`checked_line_fen`] on unchecked values.
pub fn line_fen(cnt: Qty, price: Price) -> Fen {
    checked_line_fen(cnt, price).expect("line amount overflow")
}

/// `cnt × price` in fen as [`line_fen`] computes it, or `None` when it does not fit an i64.
pub fn checked_line_fen(cnt: Qty, price: Price) -> Option<Fen> {
    // cnt is 1e-4 units, price 1e-6 yuan = 1e-4 fen, so the product is in 1e-8 fen. Two i64s
    // multiply within an i128, and |product| + half cannot overflow it either.
    let product = i128::from(cnt.0) * i128::from(price.0);
    let half = 50_000_000i128;
    let rounded =
        if product >= 0 { (product + half) / 100_000_000 } else { -((-product + half) / 100_000_000) };
    i64::try_from(rounded).ok().map(Fen)
}

fn parse_scaled(text: &str, places: u32) -> Result<i64, MoneyError> {
    let t = text.trim();
    let bad = || MoneyError::NotANumber { text: text.to_string() };
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if body.contains('.') && frac_part.is_empty() && int_part.is_empty() {
        return Err(bad());
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > places as usize {
        return Err(MoneyError::TooManyDecimals { text: text.to_string(), places });
    }
    let int_digits = int_part.trim_start_matches('0');
    if int_digits.len() > 15 {
        return Err(MoneyError::OutOfRange { text: text.to_string() });
    }
    let int_value: i64 = if int_digits.is_empty() { 0 } else { int_digits.parse().map_err(|_| bad())? };
    let mut frac_value: i64 = 0;
    for i in 0..places as usize {
        let digit = frac_trimmed.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        frac_value = frac_value * 10 + digit;
    }
    let scale = 10i64.pow(places);
    let value = int_value
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_value))
        .ok_or_else(|| MoneyError::OutOfRange { text: text.to_string() })?;
    Ok(if negative { -value } else { value })
}

fn format_scaled(value: i64, places: u32) -> String {
    let scale = 10u64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = places as usize)
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn share_rounds_half_up() {
        assert_eq!(share(Fen(53_950), Bp(7_000)), Fen(37_765));
        assert_eq!(share(Fen(1), Bp(5_000)), Fen(1));
        assert_eq!(share(Fen(1), Bp(4_999)), Fen(0));
        assert_eq!(share(Fen(0), Bp(10_000)), Fen(0));
    }

    /// Goal: the checked product answers `None` instead of panicking at the extremes, and agrees
    /// with `line_fen` wherever that is defined.
    #[test]
    fn checked_line_fen_refuses_overflow() {
        let (cnt, pric) = (Qty::parse("900000000000000").unwrap(), Price::parse("9000000000000").unwrap());
        assert_eq!(checked_line_fen(cnt, pric), None);
        for (c, p) in [(i64::MAX, i64::MAX), (i64::MIN, i64::MAX), (i64::MIN, i64::MIN), (i64::MAX, i64::MIN)]
        {
            assert_eq!(checked_line_fen(Qty(c), Price(p)), None, "{c} × {p}");
        }
        assert_eq!(checked_line_fen(Qty(30_000), Price(45_500_000)), Some(Fen(13_650)));
        assert_eq!(checked_line_fen(Qty(i64::MAX), Price(1)), Some(line_fen(Qty(i64::MAX), Price(1))));
    }

    #[test]
    fn parses_yuan_exactly() {
        assert_eq!(Fen::parse_yuan("136.50"), Ok(Fen(13_650)));
        assert_eq!(Fen::parse_yuan("136.5"), Ok(Fen(13_650)));
        assert_eq!(Fen::parse_yuan("0.07"), Ok(Fen(7)));
        assert_eq!(Fen::parse_yuan("12"), Ok(Fen(1_200)));
        assert_eq!(Fen::parse_yuan("-3.10"), Ok(Fen(-310)));
        assert_eq!(Fen::parse_yuan("1.230"), Ok(Fen(123)));
        assert!(matches!(Fen::parse_yuan("1.234"), Err(MoneyError::TooManyDecimals { .. })));
        assert!(Fen::parse_yuan("abc").is_err());
        assert!(Fen::parse_yuan("").is_err());
        assert!(Fen::parse_yuan(".").is_err());
        assert!(Fen::parse_yuan("1e5").is_err());
    }

    #[test]
    fn line_fen_is_exact() {
        let cnt = Qty::parse("3").unwrap();
        let pric = Price::parse("45.50").unwrap();
        assert_eq!(line_fen(cnt, pric), Fen(13_650));
        // 0.3333 × 1.000005 = 0.33333... yuan -> 33 fen
        assert_eq!(line_fen(Qty::parse("0.3333").unwrap(), Price::parse("1.000005").unwrap()), Fen(33));
        // 1 × 0.005 yuan = 0.5 fen -> rounds up to 1 fen
        assert_eq!(line_fen(Qty::parse("1").unwrap(), Price::parse("0.005").unwrap()), Fen(1));
        assert_eq!(line_fen(Qty::parse("1").unwrap(), Price::parse("0.004999").unwrap()), Fen(0));
    }

    #[test]
    fn renders_national_forms() {
        assert_eq!(Fen(66_650).yuan(), "666.50");
        assert_eq!(Fen(-5).yuan(), "-0.05");
        assert_eq!(Bp(7_000).fraction(), "0.7000");
        assert_eq!(Bp(10_000).fraction(), "1.0000");
        assert_eq!(Price::parse("45.5").unwrap().to_string(), "45.50");
        assert_eq!(Qty::parse("2.5000").unwrap().to_string(), "2.5");
    }

    proptest! {
        /// Rendering then parsing an amount gives it back.
        #[test]
        fn yuan_round_trip(v in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(v).yuan()), Ok(Fen(v)));
        }

        /// share() never exceeds the amount and is monotone in the ratio.
        #[test]
        fn share_bounded_and_monotone(x in 0i64..1_000_000_000_000, a in 0u32..=10_000, b in 0u32..=10_000) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(share(Fen(x), Bp(hi)) <= Fen(x));
            prop_assert!(share(Fen(x), Bp(lo)) <= share(Fen(x), Bp(hi)));
        }
    }
}
