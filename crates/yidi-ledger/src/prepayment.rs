//! Prepayment (预付金): its annual size, its utilisation and the yellow/red warnings
//! (`policy-background.md` §4.2, rule 22). Warnings inform; they never block a settlement.

use yidi_domain::{Bp, DateTime, Fen};

use crate::account::Pair;
use crate::error::LedgerError;
use crate::flows::prepayment;
use crate::limits::PREPAYMENT_MONTHS_MAX;
use crate::posting::Posting;

/// The national defaults are parameters: 2 months of fund share, yellow at 70 %, red at 90 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrepaymentConfig {
    months: u32,
    yellow_bp: Bp,
    red_bp: Bp,
}

impl Default for PrepaymentConfig {
    fn default() -> PrepaymentConfig {
        PrepaymentConfig { months: 2, yellow_bp: Bp::new_const(7_000), red_bp: Bp::new_const(9_000) }
    }
}

impl PrepaymentConfig {
    pub fn new(months: u32, yellow_bp: Bp, red_bp: Bp) -> Result<PrepaymentConfig, LedgerError> {
        if months == 0 || months > PREPAYMENT_MONTHS_MAX {
            return Err(LedgerError::PrepaymentConfig(format!(
                "months {months} not in 1..={PREPAYMENT_MONTHS_MAX}"
            )));
        }
        if yellow_bp > red_bp {
            return Err(LedgerError::PrepaymentConfig(format!("yellow {yellow_bp} above red {red_bp}")));
        }
        Ok(PrepaymentConfig { months, yellow_bp, red_bp })
    }
    pub fn months(self) -> u32 {
        self.months
    }
    pub fn yellow_bp(self) -> Bp {
        self.yellow_bp
    }
    pub fn red_bp(self) -> Bp {
        self.red_bp
    }
}

/// The year's prepayment for a pair: `months` × the previous year's monthly average fund share
/// over the `months_of_data` months the hub cleared that year (12 for a whole year; fewer when
/// the hub began mid-year), computed in one step as `months × total / months_of_data` and rounded
/// half-up to the fen (the only rounding in this crate). A net negative year, or no month of
/// data, counts as zero.
pub fn annual_amount(prev_year_fund_share: Fen, months_of_data: u32, config: PrepaymentConfig) -> Fen {
    if months_of_data == 0 {
        return Fen::ZERO;
    }
    let total = i128::from(prev_year_fund_share.max0().get());
    let per = i128::from(months_of_data.min(12));
    let amount = (total * i128::from(config.months) * 2 + per) / (2 * per);
    Fen::new(i64::try_from(amount).expect("a prepayment fits in fen"))
}

/// The posting that brings a pair's prepayment from `funded_now` to `target` (the annual
/// adjustment notice, or an emergency top-up), or `None` when nothing changes.
pub fn adjustment(
    pair: Pair,
    funded_now: Fen,
    target: Fen,
    at: DateTime,
    reference: &str,
) -> Result<Option<Posting>, LedgerError> {
    let change = target - funded_now;
    if change == Fen::ZERO {
        return Ok(None);
    }
    prepayment(pair, change, at, reference).map(Some)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Warning {
    None,
    /// Utilisation ≥ the yellow threshold.
    Yellow,
    /// Utilisation ≥ the red threshold: the treatment side asks for an emergency top-up.
    Red,
}

/// A pair's prepayment use. `ratio_bp` is a plain integer, not a [`Bp`], because utilisation may
/// pass 100 % (the float is overdrawn, and settlement goes on); it is `None` with nothing funded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utilisation {
    /// Σ prepayments made.
    pub funded: Fen,
    /// Cleared and uncleared fund shares charged and not yet paid back by a clearing payment.
    pub charged: Fen,
    /// `floor(charged × 10 000 / funded)`.
    pub ratio_bp: Option<i64>,
    pub warning: Warning,
}

/// Utilisation = (cleared + uncleared fund share charged) / prepayment, in basis points, rounded
/// down (so a warning never fires early).
pub fn utilisation(funded: Fen, charged: Fen, config: PrepaymentConfig) -> Utilisation {
    let ratio_bp = (funded > Fen::ZERO).then(|| {
        let r = (i128::from(charged.get()) * 10_000).div_euclid(i128::from(funded.get()));
        i64::try_from(r).expect("a utilisation ratio fits in i64")
    });
    let warning = match ratio_bp {
        Some(r) if r >= i64::from(config.red_bp.get()) => Warning::Red,
        Some(r) if r >= i64::from(config.yellow_bp.get()) => Warning::Yellow,
        Some(_) => Warning::None,
        None if charged > Fen::ZERO => Warning::Red,
        None => Warning::None,
    };
    Utilisation { funded, charged, ratio_bp, warning }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annual_amount_is_two_months_rounded_half_up() {
        let c = PrepaymentConfig::default();
        assert_eq!(annual_amount(Fen::new(1_200), 12, c), Fen::new(200));
        // 2 × 1 003 / 12 = 167.17 → 167; 2 × 1 005 / 12 = 167.5 → 168.
        assert_eq!(annual_amount(Fen::new(1_003), 12, c), Fen::new(167));
        assert_eq!(annual_amount(Fen::new(1_005), 12, c), Fen::new(168));
        assert_eq!(annual_amount(Fen::new(-5), 12, c), Fen::ZERO);
    }

    #[test]
    fn annual_amount_averages_over_the_months_with_data() {
        let c = PrepaymentConfig::default();
        // Three months cleared (the hub began in October): 2 × 300 / 3.
        assert_eq!(annual_amount(Fen::new(300), 3, c), Fen::new(200));
        // 2 × 100 / 3 = 66.67 → 67; 2 × 101 / 4 = 50.5 → 51.
        assert_eq!(annual_amount(Fen::new(100), 3, c), Fen::new(67));
        assert_eq!(annual_amount(Fen::new(101), 4, c), Fen::new(51));
        assert_eq!(annual_amount(Fen::new(1_000), 0, c), Fen::ZERO, "no month of data");
    }

    #[test]
    fn warnings_follow_the_thresholds() {
        let c = PrepaymentConfig::default();
        let w = |charged| utilisation(Fen::new(10_000), Fen::new(charged), c).warning;
        assert_eq!(w(6_999), Warning::None);
        assert_eq!(w(7_000), Warning::Yellow);
        assert_eq!(w(8_999), Warning::Yellow);
        assert_eq!(w(9_000), Warning::Red);
        assert_eq!(utilisation(Fen::new(10_000), Fen::new(12_345), c).ratio_bp, Some(12_345));
        assert_eq!(utilisation(Fen::ZERO, Fen::new(1), c).warning, Warning::Red);
        assert!(PrepaymentConfig::new(0, Bp::ZERO, Bp::ZERO).is_err());
        assert!(PrepaymentConfig::new(2, Bp::new_const(9_000), Bp::new_const(7_000)).is_err());
    }
}
