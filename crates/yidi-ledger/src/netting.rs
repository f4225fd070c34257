//! Multilateral netting: the same inter-provincial obligations settled with fewer, smaller
//! transfers.
//!
//! Each province's net position is what it is owed less what it owes (receivable − payable).
//! Greedy matching pays the largest debtor's debt to the largest creditor, repeatedly; every step
//! settles at least one province, so at most (debtors + creditors − 1) transfers are needed, and
//! the total moved equals the sum of the positive positions, which no set of transfers settling
//! the same positions can beat. (Fewest transfers in general is a subset-sum problem; greedy is
//! the standard, deterministic choice.)

use std::cmp::Reverse;
use std::collections::BTreeMap;

use yidi_domain::{DivisionCode, Fen};

use crate::account::Pair;

/// Money moving from one province to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub from: DivisionCode,
    pub to: DivisionCode,
    pub amount: Fen,
}

/// One transfer per pair, in the direction the money goes: the insured province pays a positive
/// amount due; a negative one (adjustments above the month's charges) the treatment province pays.
pub fn gross_transfers(obligations: impl IntoIterator<Item = (Pair, Fen)>) -> Vec<Transfer> {
    obligations
        .into_iter()
        .filter(|(_, due)| *due != Fen::ZERO)
        .map(|(pair, due)| {
            if due.is_negative() {
                Transfer { from: pair.treatment(), to: pair.insured(), amount: -due }
            } else {
                Transfer { from: pair.insured(), to: pair.treatment(), amount: due }
            }
        })
        .collect()
}

/// Each province's net position (received − paid) over a set of transfers; zero positions are
/// left out, so two sets settling the same obligations give equal maps.
pub fn positions(transfers: &[Transfer]) -> BTreeMap<DivisionCode, Fen> {
    let mut p: BTreeMap<DivisionCode, Fen> = BTreeMap::new();
    for t in transfers {
        *p.entry(t.to).or_default() += t.amount;
        *p.entry(t.from).or_default() -= t.amount;
    }
    p.retain(|_, v| *v != Fen::ZERO);
    p
}

/// Transfers that settle exactly the given positions (which must sum to zero): greedy matching of
/// the largest debtor to the largest creditor, ties broken by division code.
pub fn settle_positions(positions: &BTreeMap<DivisionCode, Fen>) -> Vec<Transfer> {
    assert_eq!(positions.values().copied().sum::<Fen>(), Fen::ZERO, "net positions do not sum to zero");
    let mut debtors: Vec<(DivisionCode, Fen)> =
        positions.iter().filter(|(_, v)| v.is_negative()).map(|(&k, &v)| (k, -v)).collect();
    let mut creditors: Vec<(DivisionCode, Fen)> =
        positions.iter().filter(|(_, v)| **v > Fen::ZERO).map(|(&k, &v)| (k, v)).collect();
    debtors.sort_by_key(|&(code, owed)| (Reverse(owed), code));
    creditors.sort_by_key(|&(code, owed)| (Reverse(owed), code));
    let mut out = Vec::with_capacity(debtors.len() + creditors.len());
    let (mut i, mut j) = (0, 0);
    while i < debtors.len() && j < creditors.len() {
        let amount = debtors[i].1.min(creditors[j].1);
        out.push(Transfer { from: debtors[i].0, to: creditors[j].0, amount });
        debtors[i].1 -= amount;
        creditors[j].1 -= amount;
        if debtors[i].1 == Fen::ZERO {
            i += 1;
        }
        if creditors[j].1 == Fen::ZERO {
            j += 1;
        }
    }
    assert_eq!(i, debtors.len(), "a debtor was left unsettled");
    assert_eq!(j, creditors.len(), "a creditor was left unsettled");
    out
}

/// A month's gross transfers, the provinces' net positions and the netted transfers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Netting {
    gross: Vec<Transfer>,
    positions: BTreeMap<DivisionCode, Fen>,
    net: Vec<Transfer>,
}

impl Netting {
    pub fn compute(obligations: impl IntoIterator<Item = (Pair, Fen)>) -> Netting {
        let gross = gross_transfers(obligations);
        let positions = positions(&gross);
        let net = settle_positions(&positions);
        assert_eq!(self::positions(&net), positions, "netted transfers settle different obligations");
        assert!(net.len() <= positions.len().saturating_sub(1), "netting used more transfers than needed");
        Netting { gross, positions, net }
    }

    pub fn gross(&self) -> &[Transfer] {
        &self.gross
    }
    pub fn positions(&self) -> &BTreeMap<DivisionCode, Fen> {
        &self.positions
    }
    pub fn net(&self) -> &[Transfer] {
        &self.net
    }
    pub fn gross_total(&self) -> Fen {
        self.gross.iter().map(|t| t.amount).sum()
    }
    pub fn net_total(&self) -> Fen {
        self.net.iter().map(|t| t.amount).sum()
    }
    /// How much less money crosses provincial borders with netting.
    pub fn saving(&self) -> Fen {
        self.gross_total() - self.net_total()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str) -> DivisionCode {
        DivisionCode::parse(code).unwrap()
    }
    fn pair(a: &str, b: &str) -> Pair {
        Pair::new(d(a), d(b)).unwrap()
    }

    #[test]
    fn a_cycle_nets_to_its_remainder() {
        // 11 owes 31 100, 31 owes 15 80, 15 owes 11 50: positions 11 −50, 31 +20, 15 +30.
        let n = Netting::compute([
            (pair("110000", "310000"), Fen::new(100)),
            (pair("310000", "150000"), Fen::new(80)),
            (pair("150000", "110000"), Fen::new(50)),
        ]);
        assert_eq!(n.gross_total(), Fen::new(230));
        assert_eq!(n.net_total(), Fen::new(50));
        assert_eq!(n.saving(), Fen::new(180));
        assert_eq!(n.net().len(), 2);
        assert_eq!(n.net()[0], Transfer { from: d("110000"), to: d("150000"), amount: Fen::new(30) });
    }

    #[test]
    fn a_negative_obligation_flows_back() {
        let g = gross_transfers([(pair("110000", "310000"), Fen::new(-7))]);
        assert_eq!(g, vec![Transfer { from: d("310000"), to: d("110000"), amount: Fen::new(7) }]);
    }
}
