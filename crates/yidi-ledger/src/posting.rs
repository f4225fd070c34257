//! Postings: balanced sets of entries about one event, built only by the constructors in
//! `flows.rs` (balanced by construction) and checked again by assertion.

use std::fmt;

use yidi_domain::{DateTime, DivisionCode, Fen};

use crate::account::{Account, ClrType, FacilityId, Pair};
use crate::limits::{ENTRIES_PER_POSTING_MAX, LINE_FEN_MAX, REFERENCE_BYTES_MAX};
use crate::month::Month;

/// Which side of an account an entry is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn code(self) -> &'static str {
        match self {
            Side::Debit => "Dr",
            Side::Credit => "Cr",
        }
    }
    fn flip(self) -> Side {
        match self {
            Side::Debit => Side::Credit,
            Side::Credit => Side::Debit,
        }
    }
}

/// One line of a posting: an amount (always > 0) on one side of one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub account: Account,
    pub side: Side,
    pub amount: Fen,
}

impl Entry {
    /// The entry's effect on its account's balance: + for a debit, − for a credit.
    pub fn signed(&self) -> Fen {
        match self.side {
            Side::Debit => self.amount,
            Side::Credit => -self.amount,
        }
    }
}

/// What a posting records. Reversals keep the kind of what they reverse (see [`Sense`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PostingKind {
    /// A direct settlement (2207 / 2304) of a person insured in `pair.insured()`.
    Settlement { pair: Pair, clr_type: ClrType },
    /// The treatment agency refuses or deducts part of a settlement of a month not yet cleared;
    /// the posting counts in the settlement's month.
    Refusal { pair: Pair },
    /// The treatment agency recovers part of a settlement of a cleared month `origin`; the
    /// posting counts in the month it is booked in.
    Recovery { pair: Pair, origin: Month },
    /// The insured province funds (or, negative, draws back) the pair's prepayment.
    Prepayment { pair: Pair },
    /// The insured province pays the pair's clearing of month `cleared`.
    ClearingPayment { pair: Pair, cleared: Month },
    /// The treatment agency pays a facility under the local agreement.
    FacilityPayment { agency: DivisionCode, facility: FacilityId },
    /// The insured pooling region computes a manual reimbursement (手工报销) from its funds.
    Reimbursement { region: DivisionCode },
    /// The insured pooling region pays a computed manual reimbursement to the person.
    ReimbursementPayment { region: DivisionCode },
}

impl PostingKind {
    /// The pair the posting belongs to, if any.
    pub fn pair(&self) -> Option<Pair> {
        match *self {
            PostingKind::Settlement { pair, .. }
            | PostingKind::Refusal { pair }
            | PostingKind::Recovery { pair, .. }
            | PostingKind::Prepayment { pair }
            | PostingKind::ClearingPayment { pair, .. } => Some(pair),
            PostingKind::FacilityPayment { .. }
            | PostingKind::Reimbursement { .. }
            | PostingKind::ReimbursementPayment { .. } => None,
        }
    }

    /// A stable text code for storage: `settle:150000>110000:21`, `refuse:…`, `recover:…:2025-03`,
    /// `prepay:…`, `clearpay:…:2025-03`, `facpay:110100:H11010500001`.
    pub fn code(&self) -> String {
        match self {
            PostingKind::Settlement { pair, clr_type } => format!("settle:{pair}:{}", clr_type.code()),
            PostingKind::Refusal { pair } => format!("refuse:{pair}"),
            PostingKind::Recovery { pair, origin } => format!("recover:{pair}:{origin}"),
            PostingKind::Prepayment { pair } => format!("prepay:{pair}"),
            PostingKind::ClearingPayment { pair, cleared } => format!("clearpay:{pair}:{cleared}"),
            PostingKind::FacilityPayment { agency, facility } => format!("facpay:{agency}:{facility}"),
            PostingKind::Reimbursement { region } => format!("reimb:{region}"),
            PostingKind::ReimbursementPayment { region } => format!("reimbpay:{region}"),
        }
    }

    /// Parses a code written by [`PostingKind::code`].
    pub fn parse(text: &str) -> Option<PostingKind> {
        let parts: Vec<&str> = text.split(':').collect();
        let pair = |t: &str| Pair::parse(t).ok();
        match parts.as_slice() {
            ["settle", p, c] => {
                Some(PostingKind::Settlement { pair: pair(p)?, clr_type: ClrType::parse(c)? })
            }
            ["refuse", p] => Some(PostingKind::Refusal { pair: pair(p)? }),
            ["recover", p, m] => Some(PostingKind::Recovery { pair: pair(p)?, origin: Month::parse(m)? }),
            ["prepay", p] => Some(PostingKind::Prepayment { pair: pair(p)? }),
            ["clearpay", p, m] => {
                Some(PostingKind::ClearingPayment { pair: pair(p)?, cleared: Month::parse(m)? })
            }
            ["facpay", a, f] => Some(PostingKind::FacilityPayment {
                agency: DivisionCode::parse(a).ok()?,
                facility: FacilityId::parse(f).ok()?,
            }),
            ["reimb", r] => Some(PostingKind::Reimbursement { region: DivisionCode::parse(r).ok()? }),
            ["reimbpay", r] => {
                Some(PostingKind::ReimbursementPayment { region: DivisionCode::parse(r).ok()? })
            }
            _ => None,
        }
    }
}

/// Whether a posting records its event or undoes an earlier posting exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sense {
    Normal,
    /// Every entry of the original on the other side; counts in the original's month.
    Reversal,
}

impl Sense {
    pub fn code(self) -> &'static str {
        match self {
            Sense::Normal => "normal",
            Sense::Reversal => "reversal",
        }
    }
    pub fn parse(text: &str) -> Option<Sense> {
        [Sense::Normal, Sense::Reversal].into_iter().find(|s| s.code() == text)
    }
}

/// Why a posting is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingProblem {
    #[error("分录 {account} 金额 {amount} 不大于 0")]
    NotPositive { account: Account, amount: Fen },
    #[error("分录 {account} 金额 {amount} 超过上限")]
    TooLarge { account: Account, amount: Fen },
    #[error("借方合计 {debits} 不等于贷方合计 {credits}")]
    Unbalanced { debits: Fen, credits: Fen },
    #[error("分录 {0} 条，超过上限 {ENTRIES_PER_POSTING_MAX}")]
    TooManyEntries(usize),
    #[error("机构应收与经办机构应付变动不一致（差额 {0}）")]
    ControlMismatch(Fen),
    #[error("业务参考号“{0}”为空或过长")]
    Reference(String),
    #[error("记账月份 {month} 与时间 {at} 或业务类型不符")]
    Month { month: Month, at: DateTime },
}

/// A balanced set of entries about one event. Fields are private: a posting comes only from the
/// constructors in `flows.rs` or from [`Posting::from_parts`], and both check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    kind: PostingKind,
    sense: Sense,
    reference: String,
    at: DateTime,
    month: Month,
    entries: Vec<Entry>,
}

impl Posting {
    pub fn kind(&self) -> PostingKind {
        self.kind
    }
    pub fn sense(&self) -> Sense {
        self.sense
    }
    /// `setl_id` for settlements, their reversals, refusals and recoveries; the clearing or
    /// notice id otherwise.
    pub fn reference(&self) -> &str {
        &self.reference
    }
    /// When the event happened (the reversal's own time for a reversal).
    pub fn at(&self) -> DateTime {
        self.at
    }
    /// The clearing month the posting counts in.
    pub fn month(&self) -> Month {
        self.month
    }
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Σ debits (which equals Σ credits).
    pub fn total(&self) -> Fen {
        self.entries.iter().filter(|e| e.side == Side::Debit).map(|e| e.amount).sum()
    }

    /// Rebuilds a posting read back from storage, checking everything a constructor guarantees.
    pub fn from_parts(
        kind: PostingKind,
        sense: Sense,
        reference: String,
        at: DateTime,
        month: Month,
        entries: Vec<Entry>,
    ) -> Result<Posting, PostingProblem> {
        let posting = Posting { kind, sense, reference, at, month, entries };
        posting.check()?;
        Ok(posting)
    }

    /// Built by the constructors; a malformed posting here is a bug, so it panics.
    pub(crate) fn assemble(
        kind: PostingKind,
        reference: &str,
        at: DateTime,
        month: Month,
        b: Builder,
    ) -> Posting {
        let posting = Posting {
            kind,
            sense: Sense::Normal,
            reference: reference.to_string(),
            at,
            month,
            entries: b.entries,
        };
        if let Err(problem) = posting.check() {
            panic!("ledger constructor built a bad posting for {}: {problem}", posting.reference);
        }
        posting
    }

    /// The exact mirror: every entry on the other side, the same kind, reference and month.
    pub(crate) fn mirrored(&self, at: DateTime) -> Posting {
        let entries = self.entries.iter().map(|e| Entry { side: e.side.flip(), ..*e }).collect();
        let sense = match self.sense {
            Sense::Normal => Sense::Reversal,
            Sense::Reversal => Sense::Normal,
        };
        let posting = Posting {
            kind: self.kind,
            sense,
            reference: self.reference.clone(),
            at,
            month: self.month,
            entries,
        };
        if let Err(problem) = posting.check() {
            panic!("reversal of {} is malformed: {problem}", self.reference);
        }
        posting
    }

    /// Every property of a well-formed posting: positive lines within limits, Σ debits = Σ
    /// credits, facility receivables moving with their agency's payable, a sane month.
    pub fn check(&self) -> Result<(), PostingProblem> {
        if self.entries.len() > ENTRIES_PER_POSTING_MAX {
            return Err(PostingProblem::TooManyEntries(self.entries.len()));
        }
        if self.reference.is_empty() || self.reference.len() > REFERENCE_BYTES_MAX {
            return Err(PostingProblem::Reference(self.reference.clone()));
        }
        let (mut debits, mut credits, mut control) = (Fen::ZERO, Fen::ZERO, Fen::ZERO);
        for e in &self.entries {
            if e.amount <= Fen::ZERO {
                return Err(PostingProblem::NotPositive { account: e.account, amount: e.amount });
            }
            if e.amount.get() > LINE_FEN_MAX {
                return Err(PostingProblem::TooLarge { account: e.account, amount: e.amount });
            }
            match e.side {
                Side::Debit => debits += e.amount,
                Side::Credit => credits += e.amount,
            }
            if matches!(e.account, Account::FacilityReceivable { .. } | Account::AgencyPayable { .. }) {
                control += e.signed();
            }
        }
        if debits != credits {
            return Err(PostingProblem::Unbalanced { debits, credits });
        }
        if control != Fen::ZERO {
            return Err(PostingProblem::ControlMismatch(control));
        }
        self.check_month()
    }

    fn check_month(&self) -> Result<(), PostingProblem> {
        let at_month = Month::at(self.at);
        let ok = match (self.sense, self.kind) {
            // A reversal counts in its original's month and comes no earlier.
            (Sense::Reversal, _) => self.month <= at_month,
            // A refusal counts in the (open) month of the settlement it cuts.
            (Sense::Normal, PostingKind::Refusal { .. }) => self.month <= at_month,
            (Sense::Normal, PostingKind::Recovery { origin, .. }) => {
                self.month == at_month && origin < self.month
            }
            (Sense::Normal, PostingKind::ClearingPayment { cleared, .. }) => {
                self.month == at_month && cleared < self.month
            }
            (Sense::Normal, _) => self.month == at_month,
        };
        if ok { Ok(()) } else { Err(PostingProblem::Month { month: self.month, at: self.at }) }
    }
}

impl fmt::Display for Posting {
    /// One line per entry, for statements, golden files and error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {} {} at {} month {}",
            self.kind.code(),
            self.sense.code(),
            self.reference,
            self.at,
            self.month
        )?;
        for e in &self.entries {
            writeln!(f, "  {} {:<28} {:>14}", e.side.code(), e.account.code(), e.amount.to_string())?;
        }
        Ok(())
    }
}

/// Collects entries for a constructor; zero amounts are skipped (no zero lines), negative ones
/// are a bug, and signed legs land on the side their sign says.
#[derive(Default)]
pub(crate) struct Builder {
    entries: Vec<Entry>,
}

impl Builder {
    pub(crate) fn with_capacity(n: usize) -> Builder {
        Builder { entries: Vec::with_capacity(n) }
    }
    pub(crate) fn debit(&mut self, account: Account, amount: Fen) {
        self.push(account, Side::Debit, amount);
    }
    pub(crate) fn credit(&mut self, account: Account, amount: Fen) {
        self.push(account, Side::Credit, amount);
    }
    /// A positive amount is debited, a negative one credited (its absolute value).
    pub(crate) fn signed(&mut self, account: Account, amount: Fen) {
        if amount.is_negative() { self.credit(account, -amount) } else { self.debit(account, amount) }
    }
    fn push(&mut self, account: Account, side: Side, amount: Fen) {
        assert!(!amount.is_negative(), "negative {} line on {account}: {amount}", side.code());
        if amount != Fen::ZERO {
            self.entries.push(Entry { account, side, amount });
        }
    }
}
