//! Per-person, per-policy-year accumulators and the account balance, and the delta a settlement
//! applies to them.
//!
//! A settlement never mutates state directly: the engine returns a [`StateDelta`], which the
//! caller applies in the same commit as the settlement record and reverts exactly on reversal.

use std::collections::BTreeMap;

use crate::money::Fen;

/// Per cap pool: what the deductible, admissions and basic fund have used this policy year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolAcc {
    pub deductible_paid: Fen,
    pub admissions: u32,
    pub fund_paid: Fen,
}

impl PoolAcc {
    fn is_zero(&self) -> bool {
        *self == PoolAcc::default()
    }
}

/// One person's accumulators for one policy year of their insured region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YearAcc {
    pub pools: BTreeMap<String, PoolAcc>,
    /// `fund_paid` per pool and calendar month (`yyyymm`) for pools with `cap_period = "month"`.
    pub month_fund_paid: BTreeMap<(String, u32), Fen>,
    pub hifmi_base: Fen,
    pub hifmi_paid: Fen,
    pub hifob_base: Fen,
    pub hifob_paid: Fen,
    pub maf_paid: Fen,
}

impl YearAcc {
    /// The accumulators of a year nothing has happened in yet.
    pub const EMPTY: YearAcc = YearAcc {
        pools: BTreeMap::new(),
        month_fund_paid: BTreeMap::new(),
        hifmi_base: Fen::ZERO,
        hifmi_paid: Fen::ZERO,
        hifob_base: Fen::ZERO,
        hifob_paid: Fen::ZERO,
        maf_paid: Fen::ZERO,
    };

    pub fn pool(&self, name: &str) -> PoolAcc {
        self.pools.get(name).cloned().unwrap_or_default()
    }
    pub fn month_fund_paid(&self, pool: &str, year_month: u32) -> Fen {
        self.month_fund_paid.get(&(pool.to_string(), year_month)).copied().unwrap_or_default()
    }
    pub fn is_zero(&self) -> bool {
        *self == YearAcc::default()
    }
}

/// A person's whole mutable state: accumulators by policy year, and the personal account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonState {
    pub years: BTreeMap<i32, YearAcc>,
    pub acct_balance: Fen,
}

/// What one settlement changes (`settlement.md` §9). Every field is ≥ 0; reversal subtracts it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDelta {
    pub policy_year: i32,
    pub cap_pool: String,
    /// Set when the pool's cap counts per month: the `yyyymm` the fund payment counts in.
    pub cap_month: Option<u32>,
    pub deductible_paid: Fen,
    pub admissions: u32,
    pub fund_paid: Fen,
    pub hifmi_base: Fen,
    pub hifmi_paid: Fen,
    pub hifob_base: Fen,
    pub hifob_paid: Fen,
    pub maf_paid: Fen,
    pub acct_pay: Fen,
}

impl PersonState {
    pub fn year(&self, policy_year: i32) -> &YearAcc {
        static EMPTY: YearAcc = YearAcc::EMPTY;
        self.years.get(&policy_year).unwrap_or(&EMPTY)
    }

    /// Applies a settlement's changes.
    pub fn apply(&mut self, d: &StateDelta) {
        self.change(d, 1);
    }

    /// Undoes exactly what [`PersonState::apply`] did with the same delta.
    pub fn revert(&mut self, d: &StateDelta) {
        self.change(d, -1);
    }

    fn change(&mut self, d: &StateDelta, sign: i64) {
        let by = |x: Fen| Fen::new(x.get() * sign);
        let year = self.years.entry(d.policy_year).or_default();
        let pool = year.pools.entry(d.cap_pool.clone()).or_default();
        pool.deductible_paid += by(d.deductible_paid);
        pool.fund_paid += by(d.fund_paid);
        pool.admissions = if sign > 0 {
            pool.admissions + d.admissions
        } else {
            pool.admissions.checked_sub(d.admissions).expect("admissions below zero on revert")
        };
        assert!(!pool.deductible_paid.is_negative(), "deductible_paid below zero");
        assert!(!pool.fund_paid.is_negative(), "fund_paid below zero");
        if pool.is_zero() {
            year.pools.remove(&d.cap_pool);
        }
        if let Some(month) = d.cap_month {
            let key = (d.cap_pool.clone(), month);
            let paid = year.month_fund_paid.entry(key.clone()).or_default();
            *paid += by(d.fund_paid);
            assert!(!paid.is_negative(), "monthly fund_paid below zero");
            if *paid == Fen::ZERO {
                year.month_fund_paid.remove(&key);
            }
        }
        year.hifmi_base += by(d.hifmi_base);
        year.hifmi_paid += by(d.hifmi_paid);
        year.hifob_base += by(d.hifob_base);
        year.hifob_paid += by(d.hifob_paid);
        year.maf_paid += by(d.maf_paid);
        for v in [year.hifmi_base, year.hifmi_paid, year.hifob_base, year.hifob_paid, year.maf_paid] {
            assert!(!v.is_negative(), "person-year accumulator below zero");
        }
        if year.is_zero() {
            self.years.remove(&d.policy_year);
        }
        self.acct_balance -= by(d.acct_pay);
        assert!(!self.acct_balance.is_negative(), "account balance below zero");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_restores_exactly() {
        let mut state = PersonState { acct_balance: Fen::new(50_000), ..Default::default() };
        let before = state.clone();
        let delta = StateDelta {
            policy_year: 2025,
            cap_pool: "inpatient".into(),
            cap_month: Some(202503),
            deductible_paid: Fen::new(80_000),
            admissions: 1,
            fund_paid: Fen::new(5_060_000),
            hifmi_base: Fen::new(5_140_000),
            hifmi_paid: Fen::new(2_893_000),
            maf_paid: Fen::new(1_572_900),
            acct_pay: Fen::new(100),
            ..Default::default()
        };
        state.apply(&delta);
        assert_eq!(state.year(2025).pool("inpatient").admissions, 1);
        assert_eq!(state.year(2025).month_fund_paid("inpatient", 202503), Fen::new(5_060_000));
        state.revert(&delta);
        assert_eq!(state, before);
    }
}
