//! Proof that the books hold: every posting well formed, Σ debits = Σ credits, every rolled-up
//! balance equal to the sum of its entries, facility receivables offset by agency payables, no
//! settlement's refusals and recoveries beyond what it charged a fund, and every closed month's
//! statement equal to what its postings say. All problems are reported.

use std::collections::BTreeMap;

use yidi_domain::Fen;

use crate::account::{Account, Pair};
use crate::clearing::ClearingPeriod;
use crate::month::Month;
use crate::posting::{Posting, PostingKind, PostingProblem, Side};
use crate::statement::{PairStatement, counts_in_statement};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerProblem {
    #[error("第 {index} 笔记账 {reference}：{problem}")]
    Posting { index: usize, reference: String, problem: PostingProblem },
    #[error("借方总额 {debits} 不等于贷方总额 {credits}")]
    Unbalanced { debits: Fen, credits: Fen },
    #[error("账户 {account} 的汇总余额 {rolled_up} 不等于分录合计 {from_entries}")]
    Balance { account: Account, rolled_up: Fen, from_entries: Fen },
    #[error("机构应收合计 {receivables} 与经办机构应付合计 {payables} 不相抵")]
    Control { receivables: Fen, payables: Fen },
    #[error("{month} 清算单 {pair} 与记账不一致")]
    Statement { month: Month, pair: Pair },
    #[error("结算 {reference} 的 {account} 拒付/追回合计 {relieved} 不在 0 与该结算支付额 {settled} 之间")]
    Adjustment { reference: String, account: Account, settled: Fen, relieved: Fen },
}

/// Checks the postings and the rolled-up balances claimed for them (as a store keeps them).
pub fn verify<'a>(
    postings: impl IntoIterator<Item = &'a Posting>,
    rolled_up: &BTreeMap<Account, Fen>,
) -> Result<(), Vec<LedgerProblem>> {
    let mut problems = Vec::new();
    let mut sums: BTreeMap<Account, Fen> = BTreeMap::new();
    let (mut debits, mut credits) = (Fen::ZERO, Fen::ZERO);
    let mut funds = FundsOfSettlements::default();
    for (index, p) in postings.into_iter().enumerate() {
        if let Err(problem) = p.check() {
            problems.push(LedgerProblem::Posting { index, reference: p.reference().to_string(), problem });
        }
        funds.add(p);
        for e in p.entries() {
            *sums.entry(e.account).or_default() += e.signed();
            match e.side {
                Side::Debit => debits += e.amount,
                Side::Credit => credits += e.amount,
            }
        }
    }
    if debits != credits {
        problems.push(LedgerProblem::Unbalanced { debits, credits });
    }
    compare_balances(&sums, rolled_up, &mut problems);
    check_control(&sums, &mut problems);
    funds.check(&mut problems);
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Per settlement (its reference) and fund account: what its settlement postings charged the
/// fund (net of a cancellation) and what its refusals and recoveries gave back (net of
/// withdrawals). The hub keeps every adjustment within the settlement; this proves it from the
/// postings alone.
#[derive(Default)]
struct FundsOfSettlements {
    settled: BTreeMap<(String, Account), Fen>,
    relieved: BTreeMap<(String, Account), Fen>,
}

impl FundsOfSettlements {
    fn add(&mut self, p: &Posting) {
        let book = match p.kind() {
            PostingKind::Settlement { .. } => &mut self.settled,
            PostingKind::Refusal { .. } | PostingKind::Recovery { .. } => &mut self.relieved,
            _ => return,
        };
        for e in p.entries().iter().filter(|e| matches!(e.account, Account::Fund { .. })) {
            let amount =
                if matches!(p.kind(), PostingKind::Settlement { .. }) { e.signed() } else { -e.signed() };
            *book.entry((p.reference().to_string(), e.account)).or_default() += amount;
        }
    }

    fn check(self, problems: &mut Vec<LedgerProblem>) {
        for ((reference, account), relieved) in self.relieved {
            let settled = self.settled.get(&(reference.clone(), account)).copied().unwrap_or_default();
            if relieved.is_negative() || relieved > settled {
                problems.push(LedgerProblem::Adjustment { reference, account, settled, relieved });
            }
        }
    }
}

fn compare_balances(
    sums: &BTreeMap<Account, Fen>,
    rolled_up: &BTreeMap<Account, Fen>,
    problems: &mut Vec<LedgerProblem>,
) {
    let accounts: std::collections::BTreeSet<&Account> = sums.keys().chain(rolled_up.keys()).collect();
    for account in accounts {
        let from_entries = sums.get(account).copied().unwrap_or_default();
        let rolled = rolled_up.get(account).copied().unwrap_or_default();
        if from_entries != rolled {
            problems.push(LedgerProblem::Balance { account: *account, rolled_up: rolled, from_entries });
        }
    }
}

fn check_control(sums: &BTreeMap<Account, Fen>, problems: &mut Vec<LedgerProblem>) {
    let (mut receivables, mut payables) = (Fen::ZERO, Fen::ZERO);
    for (account, balance) in sums {
        match account {
            Account::FacilityReceivable { .. } => receivables += *balance,
            Account::AgencyPayable { .. } => payables += *balance,
            _ => {}
        }
    }
    if receivables + payables != Fen::ZERO {
        problems.push(LedgerProblem::Control { receivables, payables });
    }
}

/// Recomputes a month's statements from postings (all of them, in any order).
pub fn statements_of<'a>(
    postings: impl IntoIterator<Item = &'a Posting>,
    month: Month,
) -> BTreeMap<Pair, PairStatement> {
    let mut out: BTreeMap<Pair, PairStatement> = BTreeMap::new();
    for p in postings.into_iter().filter(|p| p.month() == month && counts_in_statement(p)) {
        let pair = p.kind().pair().expect("statement postings belong to a pair");
        out.entry(pair).or_insert_with(|| PairStatement::new(pair, month)).add(p);
    }
    out
}

/// Checks that a closed period's statements are exactly what the postings say, so a closed month
/// provably never changed.
pub fn verify_period<'a>(
    postings: impl IntoIterator<Item = &'a Posting>,
    period: &ClearingPeriod,
) -> Result<(), Vec<LedgerProblem>> {
    let month = period.month();
    let recomputed = statements_of(postings, month);
    let frozen: BTreeMap<Pair, &PairStatement> = period
        .pairs()
        .filter(|c| !is_blank(c.statement()))
        .map(|c| (c.statement().pair(), c.statement()))
        .collect();
    let recomputed: BTreeMap<Pair, &PairStatement> =
        recomputed.iter().filter(|(_, s)| !is_blank(s)).map(|(k, v)| (*k, v)).collect();
    let pairs: std::collections::BTreeSet<Pair> = frozen.keys().chain(recomputed.keys()).copied().collect();
    let problems: Vec<LedgerProblem> = pairs
        .into_iter()
        .filter(|pair| frozen.get(pair) != recomputed.get(pair))
        .map(|pair| LedgerProblem::Statement { month, pair })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// A statement nothing shows on: a lump-sum pair without activity, or a pair whose only
/// settlement was reversed. Frozen and recomputed sets may differ in such pairs only.
fn is_blank(s: &PairStatement) -> bool {
    *s == PairStatement::new(s.pair(), s.month())
}
