//! The in-memory ledger: rolled-up balances, the open months' statements and the closed clearing
//! periods. The hub keeps one as its working state; tests use it as the model of the books.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasherDefault;

use yidi_domain::Fen;

use crate::account::{Account, Pair};
use crate::clearing::{ClearingConfig, ClearingPeriod};
use crate::error::LedgerError;
use crate::flows::clearing_payment;
use crate::month::Month;
use crate::posting::{Posting, PostingKind, Sense, Side};
use crate::prepayment::{PrepaymentConfig, Utilisation, utilisation};
use crate::statement::{PairStatement, counts_in_statement};

/// A hash map with a fixed (unseeded) hasher: the ledger has no randomness, and nothing is ever
/// iterated in hash order (reports sort first).
type Map<K, V> = HashMap<K, V, BuildHasherDefault<DefaultHasher>>;

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    balances: Map<Account, Fen>,
    debits: Fen,
    credits: Fen,
    postings: u64,
    funded: BTreeMap<Pair, Fen>,
    open: BTreeMap<Month, BTreeMap<Pair, PairStatement>>,
    periods: BTreeMap<Month, ClearingPeriod>,
    closed_through: Option<Month>,
    paid: BTreeSet<(Month, Pair)>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Posts a posting, or refuses it without changing anything: postings counting in (or dated
    /// in) a closed month, recoveries of months not yet cleared, clearing payments that do not
    /// match their frozen clearing or come twice, and reversals of payments.
    pub fn post(&mut self, posting: &Posting) -> Result<(), LedgerError> {
        if let Err(problem) = posting.check() {
            panic!("malformed posting {} reached the ledger: {problem}", posting.reference());
        }
        self.admit(posting)?;
        self.apply(posting);
        Ok(())
    }

    fn admit(&self, p: &Posting) -> Result<(), LedgerError> {
        let reference = || p.reference().to_string();
        if let Some(closed) = self.closed_through {
            for month in [p.month(), Month::at(p.at())] {
                if month <= closed {
                    return Err(LedgerError::ClosedMonth { month, reference: reference() });
                }
            }
        }
        match (p.sense(), p.kind()) {
            (Sense::Normal, PostingKind::Recovery { origin, .. }) if self.closed_through < Some(origin) => {
                Err(LedgerError::RecoveryOfOpenMonth { origin, reference: reference() })
            }
            (Sense::Reversal, PostingKind::ClearingPayment { .. }) => {
                Err(LedgerError::NotReversible { reference: reference() })
            }
            (Sense::Normal, PostingKind::ClearingPayment { pair, cleared }) => {
                self.admit_payment(p, pair, cleared)
            }
            _ => Ok(()),
        }
    }

    fn admit_payment(&self, p: &Posting, pair: Pair, month: Month) -> Result<(), LedgerError> {
        let period = self.periods.get(&month).ok_or(LedgerError::NotClosed { month })?;
        let clearing = period.pair(pair).ok_or(LedgerError::PairNotInPeriod { pair, month })?;
        if self.paid.contains(&(month, pair)) {
            return Err(LedgerError::AlreadyPaid { pair, month });
        }
        if clearing_payment(clearing, p.at(), p.reference()).entries() != p.entries() {
            return Err(LedgerError::PaymentMismatch { pair, month });
        }
        Ok(())
    }

    fn apply(&mut self, p: &Posting) {
        for e in p.entries() {
            *self.balances.entry(e.account).or_default() += e.signed();
            match e.side {
                Side::Debit => self.debits += e.amount,
                Side::Credit => self.credits += e.amount,
            }
        }
        assert_eq!(self.debits, self.credits, "books out of balance after {}", p.reference());
        self.postings += 1;
        match (p.sense(), p.kind()) {
            (_, PostingKind::Prepayment { pair }) => {
                let leg: Fen = p
                    .entries()
                    .iter()
                    .filter(|e| e.account == Account::Prepayment { pair })
                    .map(|e| e.signed())
                    .sum();
                *self.funded.entry(pair).or_default() += leg;
            }
            (Sense::Normal, PostingKind::ClearingPayment { pair, cleared }) => {
                self.paid.insert((cleared, pair));
            }
            _ => {}
        }
        if counts_in_statement(p) {
            let pair = p.kind().pair().expect("statement postings belong to a pair");
            let month = self.open.entry(p.month()).or_default();
            month.entry(pair).or_insert_with(|| PairStatement::new(pair, p.month())).add(p);
        }
    }

    /// Closes month `month`: its statements are frozen into an immutable [`ClearingPeriod`] and
    /// every later posting counting in it (or in an earlier month) is refused. Months close in
    /// order; a month without activity closes implicitly with the next one.
    pub fn close_month(
        &mut self,
        month: Month,
        config: &ClearingConfig,
    ) -> Result<&ClearingPeriod, LedgerError> {
        if self.closed_through >= Some(month) {
            return Err(LedgerError::MonthAlreadyClosed { month });
        }
        if let Some((&open, _)) = self.open.range(..month).next() {
            return Err(LedgerError::EarlierMonthOpen { open, month });
        }
        let statements = self.open.remove(&month).unwrap_or_default();
        self.closed_through = Some(month);
        let period = ClearingPeriod::freeze(month, statements, config);
        Ok(self.periods.entry(month).or_insert(period))
    }

    /// The balance (debits − credits) of one account; zero for an account never posted to.
    pub fn balance(&self, account: &Account) -> Fen {
        self.balances.get(account).copied().unwrap_or_default()
    }

    /// Every account's rolled-up balance, in account order (zero balances included).
    pub fn balances(&self) -> BTreeMap<Account, Fen> {
        self.balances.iter().map(|(&a, &b)| (a, b)).collect()
    }

    /// Σ of every account's balance: zero when the books balance.
    pub fn trial_balance(&self) -> Fen {
        self.balances.values().copied().sum()
    }

    /// Σ debits posted (equal to Σ credits) and the number of postings.
    pub fn totals(&self) -> (Fen, u64) {
        (self.debits, self.postings)
    }

    /// Σ prepayments the insured province made for the pair.
    pub fn funded(&self, pair: Pair) -> Fen {
        self.funded.get(&pair).copied().unwrap_or_default()
    }

    /// Fund shares charged against the pair's prepayment and not yet paid back by a clearing
    /// payment (cleared and uncleared): funded − the float left.
    pub fn charged(&self, pair: Pair) -> Fen {
        self.funded(pair) - self.balance(&Account::Prepayment { pair })
    }

    pub fn utilisation(&self, pair: Pair, config: PrepaymentConfig) -> Utilisation {
        utilisation(self.funded(pair), self.charged(pair), config)
    }

    /// The running statement of a month not yet closed.
    pub fn open_statement(&self, month: Month, pair: Pair) -> Option<&PairStatement> {
        self.open.get(&month)?.get(&pair)
    }

    pub fn period(&self, month: Month) -> Option<&ClearingPeriod> {
        self.periods.get(&month)
    }

    pub fn closed_through(&self) -> Option<Month> {
        self.closed_through
    }

    pub fn is_paid(&self, month: Month, pair: Pair) -> bool {
        self.paid.contains(&(month, pair))
    }

    /// How many months of `year` were frozen with a clearing period (a month closed implicitly,
    /// with no settlement anywhere, has none).
    pub fn periods_in_year(&self, year: i32) -> u32 {
        let n = self.periods.keys().filter(|m| m.year() == year).count();
        u32::try_from(n).expect("at most 12 months a year")
    }

    /// The pair's net pooled fund share over the closed months of `year` (the base of next
    /// year's prepayment): pooled shares charged less pooled refusals and recoveries.
    pub fn fund_share_of_year(&self, pair: Pair, year: i32) -> Fen {
        self.periods
            .values()
            .filter(|p| p.month().year() == year)
            .filter_map(|p| p.pair(pair))
            .map(|c| c.statement().pooled() - c.statement().adjustments().pooled())
            .sum()
    }
}
