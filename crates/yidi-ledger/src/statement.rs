//! A pair's clearing statement for one month, accumulated posting by posting.
//!
//! The statement is derived from the postings themselves (their kind and their fund legs), not
//! from a second copy of the settlement figures, so a statement can never disagree with the books.

use yidi_domain::Fen;

use crate::account::{Account, ClrType, Pair};
use crate::amounts::FundAmounts;
use crate::month::Month;
use crate::posting::{Posting, PostingKind, Sense};

/// Settlements of one care type: how many (net of reversals) and their fund shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CareLine {
    pub count: i64,
    pub amounts: FundAmounts,
}

/// Refusals or recoveries: how many postings (net of withdrawals) and the amounts per fund.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdjustmentLine {
    pub count: i64,
    pub amounts: FundAmounts,
}

/// What one insured province owes one treatment province for one month, itemised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairStatement {
    pair: Pair,
    month: Month,
    care: [CareLine; 2],
    refusals: AdjustmentLine,
    recoveries: AdjustmentLine,
}

impl PairStatement {
    pub fn new(pair: Pair, month: Month) -> PairStatement {
        PairStatement {
            pair,
            month,
            care: [CareLine::default(); 2],
            refusals: AdjustmentLine::default(),
            recoveries: AdjustmentLine::default(),
        }
    }

    pub fn pair(&self) -> Pair {
        self.pair
    }
    pub fn month(&self) -> Month {
        self.month
    }
    pub fn care(&self, clr_type: ClrType) -> &CareLine {
        &self.care[clr_type.index()]
    }
    /// Refusals and deductions of this month's settlements, booked before clearing.
    pub fn refusals(&self) -> &AdjustmentLine {
        &self.refusals
    }
    /// Recoveries of settlements of earlier, cleared months, booked in this month.
    pub fn recoveries(&self) -> &AdjustmentLine {
        &self.recoveries
    }

    /// Fund shares charged by the month's settlements, all care types.
    pub fn charged(&self) -> FundAmounts {
        let mut a = FundAmounts::ZERO;
        self.care.iter().for_each(|c| a.add_all(&c.amounts));
        a
    }
    /// The pooled fund share charged (against the prepayment).
    pub fn pooled(&self) -> Fen {
        self.charged().pooled()
    }
    /// The personal-account share charged (advanced outside the prepayment).
    pub fn personal(&self) -> Fen {
        self.charged().personal()
    }
    /// Refusals plus recoveries: everything in the insured province's favour.
    pub fn adjustments(&self) -> FundAmounts {
        let mut a = self.refusals.amounts;
        a.add_all(&self.recoveries.amounts);
        a
    }
    /// Itemised clearing: the shares charged less refusals and recoveries.
    pub fn itemised_due(&self) -> Fen {
        self.charged().total() - self.adjustments().total()
    }

    /// Adds a posting that counts in this pair and month; other kinds (prepayments, payments)
    /// do not belong in a statement and are ignored.
    pub fn add(&mut self, posting: &Posting) {
        assert_eq!(
            posting.month(),
            self.month,
            "posting {} added to another month's statement",
            posting.reference()
        );
        assert_eq!(
            posting.kind().pair(),
            Some(self.pair),
            "posting {} added to another pair",
            posting.reference()
        );
        let count = if posting.sense() == Sense::Normal { 1 } else { -1 };
        match posting.kind() {
            PostingKind::Settlement { clr_type, .. } => {
                let line = &mut self.care[clr_type.index()];
                line.count += count;
                add_fund_legs(&mut line.amounts, posting, Legs::Charged);
            }
            PostingKind::Refusal { .. } => {
                self.refusals.count += count;
                add_fund_legs(&mut self.refusals.amounts, posting, Legs::Relieved);
            }
            PostingKind::Recovery { .. } => {
                self.recoveries.count += count;
                add_fund_legs(&mut self.recoveries.amounts, posting, Legs::Relieved);
            }
            PostingKind::Prepayment { .. }
            | PostingKind::ClearingPayment { .. }
            | PostingKind::FacilityPayment { .. }
            | PostingKind::Reimbursement { .. }
            | PostingKind::ReimbursementPayment { .. } => {}
        }
    }
}

/// Whether a posting belongs in a statement.
pub fn counts_in_statement(posting: &Posting) -> bool {
    matches!(
        posting.kind(),
        PostingKind::Settlement { .. } | PostingKind::Refusal { .. } | PostingKind::Recovery { .. }
    )
}

/// How a posting's fund legs read: a settlement charges the funds (debits count positive), a
/// refusal or recovery relieves them (credits count positive).
enum Legs {
    Charged,
    Relieved,
}

fn add_fund_legs(amounts: &mut FundAmounts, posting: &Posting, legs: Legs) {
    for e in posting.entries() {
        if let Account::Fund { fund, .. } = e.account {
            let v = e.signed();
            amounts.add(fund, if let Legs::Relieved = legs { -v } else { v });
        }
    }
}
