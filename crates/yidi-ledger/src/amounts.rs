//! Amounts per fund: the columns of a clearing statement and the shape of a refusal.

use yidi_domain::Fen;

use crate::account::Fund;

/// One amount per [`Fund`], in the order of [`Fund::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FundAmounts([Fen; 6]);

impl FundAmounts {
    pub const ZERO: FundAmounts = FundAmounts([Fen::ZERO; 6]);

    /// Builds amounts from `(fund, amount)` pairs; a fund named twice adds up.
    pub fn of(pairs: &[(Fund, Fen)]) -> FundAmounts {
        let mut a = FundAmounts::ZERO;
        for &(fund, amount) in pairs {
            a.add(fund, amount);
        }
        a
    }

    pub fn get(&self, fund: Fund) -> Fen {
        self.0[fund.index()]
    }
    pub fn add(&mut self, fund: Fund, amount: Fen) {
        self.0[fund.index()] += amount;
    }
    pub fn add_all(&mut self, other: &FundAmounts) {
        for fund in Fund::ALL {
            self.add(fund, other.get(fund));
        }
    }

    /// The pooled funds' part (the fund share of rule 21).
    pub fn pooled(&self) -> Fen {
        Fund::ALL.into_iter().filter(|f| f.is_pooled()).map(|f| self.get(f)).sum()
    }
    /// The personal accounts' part (310200).
    pub fn personal(&self) -> Fen {
        self.get(Fund::PersonalAccount)
    }
    /// Every fund together (the insured side's share).
    pub fn total(&self) -> Fen {
        self.0.iter().copied().sum()
    }
    pub fn is_zero(&self) -> bool {
        *self == FundAmounts::ZERO
    }
    pub fn any_negative(&self) -> bool {
        self.0.iter().any(|a| a.is_negative())
    }
    /// `(fund, amount)` for every fund, zero or not.
    pub fn iter(&self) -> impl Iterator<Item = (Fund, Fen)> + '_ {
        Fund::ALL.into_iter().map(|f| (f, self.get(f)))
    }
}
