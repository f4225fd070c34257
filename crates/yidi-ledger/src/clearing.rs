//! Monthly clearing: a month's statements frozen into an immutable [`ClearingPeriod`], with the
//! amount due per pair (itemised by default, per-capita lump sum for chosen pairs).

use std::collections::BTreeMap;

use yidi_domain::Fen;

use crate::account::Pair;
use crate::error::LedgerError;
use crate::limits::{LUMP_SUM_FEN_PER_PERSON_MONTH_MAX, LUMP_SUM_PERSONS_MAX};
use crate::month::Month;
use crate::netting::Netting;
use crate::statement::PairStatement;

/// Per-capita lump-sum clearing (按人头包干) for a pair: the insured province pays a fixed amount
/// per person-month instead of the itemised fund shares. `persons` is the month's head count the
/// two provinces agreed (typically the insured province's long-term filers living there), given by
/// the caller because it comes from filings, not from settlements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LumpSum {
    fen_per_person_month: Fen,
    persons: u32,
}

impl LumpSum {
    pub fn new(pair: Pair, fen_per_person_month: Fen, persons: u32) -> Result<LumpSum, LedgerError> {
        let amount_ok = !fen_per_person_month.is_negative()
            && fen_per_person_month.get() <= LUMP_SUM_FEN_PER_PERSON_MONTH_MAX;
        if !amount_ok || persons > LUMP_SUM_PERSONS_MAX {
            return Err(LedgerError::LumpSum { pair });
        }
        Ok(LumpSum { fen_per_person_month, persons })
    }
    pub fn fen_per_person_month(self) -> Fen {
        self.fen_per_person_month
    }
    pub fn persons(self) -> u32 {
        self.persons
    }
    /// persons × amount; the limits keep it within a line (`limits.rs`).
    pub fn amount(self) -> Fen {
        Fen::new(i64::from(self.persons) * self.fen_per_person_month.get())
    }
}

/// How a month is cleared: itemised actual expenditure for every pair (the default), except the
/// pairs given a lump sum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClearingConfig {
    lump_sums: BTreeMap<Pair, LumpSum>,
}

impl ClearingConfig {
    pub fn itemised() -> ClearingConfig {
        ClearingConfig::default()
    }
    pub fn with_lump_sum(mut self, pair: Pair, lump_sum: LumpSum) -> ClearingConfig {
        self.lump_sums.insert(pair, lump_sum);
        self
    }
    pub fn lump_sum(&self, pair: Pair) -> Option<LumpSum> {
        self.lump_sums.get(&pair).copied()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClearingMode {
    Itemised,
    LumpSum(LumpSum),
}

/// One pair's frozen clearing: its statement, the mode and the amount the insured province owes
/// (negative: the treatment province owes it, when refusals and recoveries exceed the month).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairClearing {
    statement: PairStatement,
    mode: ClearingMode,
    due: Fen,
}

impl PairClearing {
    pub fn statement(&self) -> &PairStatement {
        &self.statement
    }
    pub fn mode(&self) -> ClearingMode {
        self.mode
    }
    pub fn due(&self) -> Fen {
        self.due
    }
}

/// A closed clearing month. Immutable: no method changes it, and the ledger refuses every posting
/// that would count in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearingPeriod {
    month: Month,
    pairs: BTreeMap<Pair, PairClearing>,
}

impl ClearingPeriod {
    /// Freezes a month's statements. Lump-sum pairs are cleared even without a settlement.
    pub(crate) fn freeze(
        month: Month,
        mut statements: BTreeMap<Pair, PairStatement>,
        config: &ClearingConfig,
    ) -> Self {
        for &pair in config.lump_sums.keys() {
            statements.entry(pair).or_insert_with(|| PairStatement::new(pair, month));
        }
        let pairs = statements
            .into_iter()
            .map(|(pair, statement)| {
                let (mode, due) = match config.lump_sum(pair) {
                    Some(l) => (ClearingMode::LumpSum(l), l.amount()),
                    None => (ClearingMode::Itemised, statement.itemised_due()),
                };
                (pair, PairClearing { statement, mode, due })
            })
            .collect();
        ClearingPeriod { month, pairs }
    }

    pub fn month(&self) -> Month {
        self.month
    }
    /// Every pair with activity (or a lump sum) in the month, in pair order.
    pub fn pairs(&self) -> impl Iterator<Item = &PairClearing> {
        self.pairs.values()
    }
    pub fn pair(&self, pair: Pair) -> Option<&PairClearing> {
        self.pairs.get(&pair)
    }
    /// (pair, amount due) for every pair: the gross obligations.
    pub fn obligations(&self) -> impl Iterator<Item = (Pair, Fen)> + '_ {
        self.pairs.values().map(|c| (c.statement.pair(), c.due))
    }
    /// Gross transfers, net positions and the netted transfers of the month.
    pub fn netting(&self) -> Netting {
        Netting::compute(self.obligations())
    }
}
