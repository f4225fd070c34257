//! Property tests over random months of settlements, reversals, refusals, recoveries,
//! prepayment changes, closings (some with lump sums), clearing payments and facility payments.
//!
//! A plain model kept beside the ledger (what was settled, cut, reversed, funded, paid) is the
//! independent oracle. Goals: the books always balance; every pair's clearing equals its
//! settlements' shares less refusals and recoveries; netted transfers settle exactly the gross
//! obligations; a closed month never changes; utilisation matches its definition; rolled-up
//! balances equal the entries and a replay.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use yidi_domain::{DateTime, DivisionCode, Fen, InsuType};
use yidi_ledger::{
    Account, ClearingConfig, ClearingMode, ClearingPeriod, ClrType, FacilityId, Fund, FundAmounts, Ledger,
    LedgerError, LumpSum, Month, Pair, Posting, PrepaymentConfig, SettlementFacts, clearing_payment,
    facility_payment, positions, prepayment, recovery, refusal, reversal, settlement, verify, verify_period,
};

const PROVINCES: [&str; 4] = ["110000", "310000", "150000", "440000"];

fn province(i: usize) -> DivisionCode {
    DivisionCode::parse(PROVINCES[i % 4]).unwrap()
}
/// The one pooling region (and treatment agency) of province i: xx0100.
fn region(i: usize) -> DivisionCode {
    DivisionCode::parse(&format!("{}0100", &PROVINCES[i % 4][..2])).unwrap()
}
fn facility(i: usize, n: usize) -> FacilityId {
    FacilityId::parse(&format!("H{}{:05}", region(i), n % 3 + 1)).unwrap()
}
fn pair(ins: usize, offset: usize) -> Pair {
    Pair::new(province(ins), province(ins + 1 + offset % 3)).unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    Settle { ins: usize, off: usize, fac: usize, employee: bool, inpatient: bool, amounts: [i64; 6] },
    Reverse { pick: usize },
    Refuse { pick: usize, permille: i64 },
    Recover { pick: usize, permille: i64 },
    Prepay { ins: usize, off: usize, amount: i64 },
    Close { lump: Option<(usize, usize, u32, i64)> },
    Pay { pick: usize },
    FacilityPay { prov: usize, fac: usize, amount: i64 },
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![2 => Just(0i64), 3 => 1i64..3_000_000]
}

fn op() -> impl Strategy<Value = Op> {
    let settle = (
        0..4usize,
        0..3usize,
        0..3usize,
        any::<bool>(),
        any::<bool>(),
        [amount(), amount(), amount(), amount(), amount(), amount()],
    )
        .prop_map(|(ins, off, fac, employee, inpatient, amounts)| Op::Settle {
            ins,
            off,
            fac,
            employee,
            inpatient,
            amounts,
        });
    let lump = proptest::option::weighted(0.3, (0..4usize, 0..3usize, 0..50u32, 0..500_000i64));
    prop_oneof![
        10 => settle,
        2 => any::<usize>().prop_map(|pick| Op::Reverse { pick }),
        2 => (any::<usize>(), 1..=1000i64).prop_map(|(pick, permille)| Op::Refuse { pick, permille }),
        2 => (any::<usize>(), 1..=1000i64).prop_map(|(pick, permille)| Op::Recover { pick, permille }),
        2 => (0..4usize, 0..3usize, -2_000_000i64..20_000_000).prop_map(|(ins, off, amount)| Op::Prepay { ins, off, amount }),
        1 => lump.prop_map(|lump| Op::Close { lump }),
        2 => any::<usize>().prop_map(|pick| Op::Pay { pick }),
        1 => (0..4usize, 0..3usize, 1..500_000i64).prop_map(|(prov, fac, amount)| Op::FacilityPay { prov, fac, amount }),
    ]
}

/// A settlement as the model knows it.
struct Settled {
    posting: Posting,
    pair: Pair,
    region: DivisionCode,
    month: Month,
    shares: FundAmounts,
    cut: FundAmounts,
    reversed: bool,
}

/// Everything the test did, kept independently of the ledger.
#[derive(Default)]
struct Model {
    now: i64,
    settled: Vec<Settled>,
    /// (pair, month counted in, amount) of every refusal and recovery admitted.
    adjustments: Vec<(Pair, Month, Fen)>,
    funded: BTreeMap<Pair, Fen>,
    paid: BTreeSet<(Month, Pair)>,
    snapshots: BTreeMap<Month, ClearingPeriod>,
    accepted: Vec<Posting>,
    /// Postings and closings in order, for the replay.
    log: Vec<Result<Posting, (Month, ClearingConfig)>>,
    serial: u32,
}

impl Model {
    fn at(&self) -> DateTime {
        DateTime::from_epoch_secs(self.now)
    }
    fn reference(&mut self, prefix: &str) -> String {
        self.serial += 1;
        format!("{prefix}{:06}", self.serial)
    }
    fn accept(&mut self, p: &Posting) {
        self.accepted.push(p.clone());
        self.log.push(Ok(p.clone()));
    }
    fn is_open(ledger: &Ledger, month: Month) -> bool {
        ledger.closed_through() < Some(month)
    }
}

fn settle(m: &mut Model, ledger: &mut Ledger, op: &Op) {
    let Op::Settle { ins, off, fac, employee, inpatient, amounts: a } = *op else { unreachable!() };
    let p = pair(ins, off);
    let tr = PROVINCES.iter().position(|c| *c == p.treatment().to_string()).unwrap();
    let insutype = if employee { InsuType::Employee } else { InsuType::Resident };
    let facts = SettlementFacts {
        setl_id: m.reference("S"),
        at: m.at(),
        insured_region: region(ins),
        treatment_region: region(tr),
        facility: facility(tr, fac),
        insutype,
        clr_type: if inpatient { ClrType::Inpatient } else { ClrType::Outpatient },
        hifp: Fen::new(a[0]),
        hifob: Fen::new(if employee { a[1] } else { 0 }),
        hifmi: Fen::new(if employee { 0 } else { a[2] }),
        maf: Fen::new(a[3]),
        acct: Fen::new(if employee { a[4] } else { 0 }),
        cash: Fen::new(a[5]),
    };
    let posting = settlement(&facts);
    ledger.post(&posting).expect("a settlement in the current month is always admitted");
    m.accept(&posting);
    let month = posting.month();
    m.settled.push(Settled {
        posting,
        pair: p,
        region: region(ins),
        month,
        shares: facts.shares(),
        cut: FundAmounts::ZERO,
        reversed: false,
    });
}

fn reverse(m: &mut Model, ledger: &mut Ledger, pick: usize) {
    let live: Vec<usize> =
        (0..m.settled.len()).filter(|&i| !m.settled[i].reversed && m.settled[i].cut.is_zero()).collect();
    let Some(&i) = live.get(pick % live.len().max(1)) else { return };
    let r = reversal(&m.settled[i].posting, m.at());
    let open = Model::is_open(ledger, m.settled[i].month);
    match ledger.post(&r) {
        Ok(()) => {
            assert!(open, "reversal admitted in a closed month");
            m.settled[i].reversed = true;
            m.accept(&r);
        }
        Err(e) => assert!(!open && matches!(e, LedgerError::ClosedMonth { .. }), "reversal refused: {e}"),
    }
}

/// Picks a live settlement with something left to cut and the amounts to cut.
fn pick_cut(m: &Model, pick: usize, permille: i64) -> Option<(usize, FundAmounts)> {
    let live: Vec<usize> = (0..m.settled.len()).filter(|&i| !m.settled[i].reversed).collect();
    let &i = live.get(pick % live.len().max(1))?;
    let s = &m.settled[i];
    let mut amounts = FundAmounts::ZERO;
    for fund in Fund::ALL {
        let left = s.shares.get(fund) - s.cut.get(fund);
        amounts.add(fund, Fen::new(left.get() * permille / 1000));
    }
    (!amounts.is_zero()).then_some((i, amounts))
}

fn refuse(m: &mut Model, ledger: &mut Ledger, pick: usize, permille: i64) {
    let Some((i, amounts)) = pick_cut(m, pick, permille) else { return };
    let r = refusal(&m.settled[i].posting, &amounts, m.at()).expect("refusal within the settlement");
    let origin = m.settled[i].month;
    match ledger.post(&r) {
        Ok(()) => {
            assert!(Model::is_open(ledger, origin));
            m.settled[i].cut.add_all(&amounts);
            m.adjustments.push((m.settled[i].pair, origin, amounts.total()));
            m.accept(&r);
        }
        Err(e) => {
            assert!(matches!(e, LedgerError::ClosedMonth { .. }) && !Model::is_open(ledger, origin), "{e}")
        }
    }
}

fn recover(m: &mut Model, ledger: &mut Ledger, pick: usize, permille: i64) {
    let Some((i, amounts)) = pick_cut(m, pick, permille) else { return };
    let origin = m.settled[i].month;
    let r = match recovery(&m.settled[i].posting, &amounts, m.at()) {
        Ok(r) => r,
        Err(e) => return assert!(matches!(e, LedgerError::RecoveryOfOpenMonth { .. }), "{e}"),
    };
    match ledger.post(&r) {
        Ok(()) => {
            assert!(!Model::is_open(ledger, origin), "recovery of an open month admitted");
            m.settled[i].cut.add_all(&amounts);
            m.adjustments.push((m.settled[i].pair, r.month(), amounts.total()));
            m.accept(&r);
        }
        Err(e) => assert!(
            matches!(e, LedgerError::RecoveryOfOpenMonth { .. }) && Model::is_open(ledger, origin),
            "{e}"
        ),
    }
}

fn close(m: &mut Model, ledger: &mut Ledger, lump: Option<(usize, usize, u32, i64)>) {
    let target = ledger.closed_through().map_or(Month::new(2025, 1).unwrap(), Month::next);
    if target >= Month::at(m.at()) {
        return;
    }
    let mut config = ClearingConfig::itemised();
    if let Some((ins, off, persons, fen)) = lump {
        let p = pair(ins, off);
        config = config.with_lump_sum(p, LumpSum::new(p, Fen::new(fen), persons).unwrap());
    }
    let period = ledger.close_month(target, &config).expect("closing the next month").clone();
    m.snapshots.insert(target, period);
    m.log.push(Err((target, config)));
}

fn pay(m: &mut Model, ledger: &mut Ledger, pick: usize) {
    let unpaid: Vec<(Month, Pair)> = m
        .snapshots
        .values()
        .flat_map(|p| p.pairs().map(move |c| (p.month(), c.statement().pair())))
        .filter(|k| !m.paid.contains(k))
        .collect();
    let Some(&(month, p)) = unpaid.get(pick % unpaid.len().max(1)) else { return };
    let clearing = m.snapshots[&month].pair(p).unwrap().clone();
    let reference = m.reference("QS");
    let posting = clearing_payment(&clearing, m.at(), &reference);
    ledger.post(&posting).expect("paying a frozen clearing");
    assert!(matches!(ledger.post(&posting), Err(LedgerError::AlreadyPaid { .. })));
    m.paid.insert((month, p));
    m.accept(&posting);
}

fn run(ops: &[(u16, Op)]) -> (Model, Ledger) {
    let mut m =
        Model { now: DateTime::parse("2025-01-01 08:00:00").unwrap().to_epoch_secs(), ..Model::default() };
    let mut ledger = Ledger::new();
    for (minutes, op) in ops {
        m.now += i64::from(*minutes) * 60;
        match op {
            Op::Settle { .. } => settle(&mut m, &mut ledger, op),
            Op::Reverse { pick } => reverse(&mut m, &mut ledger, *pick),
            Op::Refuse { pick, permille } => refuse(&mut m, &mut ledger, *pick, *permille),
            Op::Recover { pick, permille } => recover(&mut m, &mut ledger, *pick, *permille),
            Op::Prepay { ins, off, amount } => {
                let p = pair(*ins, *off);
                let funded = m.funded.get(&p).copied().unwrap_or_default();
                let change = Fen::new(*amount).max(-funded);
                if change != Fen::ZERO {
                    let reference = m.reference("YF");
                    let posting = prepayment(p, change, m.at(), &reference).unwrap();
                    ledger.post(&posting).expect("a prepayment is always admitted");
                    *m.funded.entry(p).or_default() += change;
                    m.accept(&posting);
                }
            }
            Op::Close { lump } => close(&mut m, &mut ledger, *lump),
            Op::Pay { pick } => pay(&mut m, &mut ledger, *pick),
            Op::FacilityPay { prov, fac, amount } => {
                let reference = m.reference("FP");
                let posting = facility_payment(
                    region(*prov),
                    facility(*prov, *fac),
                    Fen::new(*amount),
                    m.at(),
                    &reference,
                )
                .unwrap();
                ledger.post(&posting).expect("a facility payment is always admitted");
                m.accept(&posting);
            }
        }
        assert_eq!(ledger.trial_balance(), Fen::ZERO, "books out of balance after {op:?}");
    }
    (m, ledger)
}

/// The oracle's amount due of a pair for a month: shares of live settlements less adjustments.
fn expected_due(m: &Model, p: Pair, month: Month) -> Fen {
    let charged: Fen = m
        .settled
        .iter()
        .filter(|s| s.pair == p && s.month == month && !s.reversed)
        .map(|s| s.shares.total())
        .sum();
    let adjusted: Fen =
        m.adjustments.iter().filter(|(q, mo, _)| *q == p && *mo == month).map(|(_, _, a)| *a).sum();
    charged - adjusted
}

fn check_clearing(m: &Model, ledger: &Ledger) {
    for (month, snapshot) in &m.snapshots {
        assert_eq!(ledger.period(*month), Some(snapshot), "closed month {month} changed");
        verify_period(&m.accepted, snapshot).unwrap_or_else(|p| panic!("{month}: {p:?}"));
        for c in snapshot.pairs() {
            let p = c.statement().pair();
            assert_eq!(c.statement().itemised_due(), expected_due(m, p, *month), "{p} {month}");
            match c.mode() {
                ClearingMode::Itemised => assert_eq!(c.due(), expected_due(m, p, *month)),
                ClearingMode::LumpSum(l) => assert_eq!(c.due(), l.amount()),
            }
        }
        let pairs: BTreeSet<Pair> =
            m.settled.iter().map(|s| s.pair).chain(m.adjustments.iter().map(|a| a.0)).collect();
        for p in pairs {
            if expected_due(m, p, *month) != Fen::ZERO {
                assert!(snapshot.pair(p).is_some(), "{p} owes for {month} but is missing from its clearing");
            }
        }
        check_netting(snapshot);
    }
}

fn check_netting(period: &ClearingPeriod) {
    let n = period.netting();
    assert_eq!(positions(n.net()), positions(n.gross()), "net transfers settle other obligations");
    let mut oracle: BTreeMap<DivisionCode, Fen> = BTreeMap::new();
    for (p, due) in period.obligations() {
        *oracle.entry(p.treatment()).or_default() += due;
        *oracle.entry(p.insured()).or_default() -= due;
    }
    oracle.retain(|_, v| *v != Fen::ZERO);
    assert_eq!(&oracle, n.positions(), "positions differ from receivable − payable");
    let positive: Fen = oracle.values().filter(|v| **v > Fen::ZERO).copied().sum();
    assert_eq!(n.net_total(), positive, "netting moves more than the creditors' positions");
    assert!(n.net_total() <= n.gross_total());
    assert!(n.net().len() <= oracle.len().saturating_sub(1));
}

fn check_balances(m: &Model, ledger: &Ledger) {
    let config = PrepaymentConfig::default();
    for ins in 0..4 {
        for off in 0..3 {
            let p = pair(ins, off);
            let unpaid = |s: &&Settled| s.pair == p && !s.reversed && !m.paid.contains(&(s.month, p));
            let charged: Fen = m.settled.iter().filter(unpaid).map(|s| s.shares.pooled()).sum();
            let advanced: Fen = m.settled.iter().filter(unpaid).map(|s| s.shares.personal()).sum();
            let adjusted: Fen = m
                .adjustments
                .iter()
                .filter(|(q, mo, _)| *q == p && !m.paid.contains(&(*mo, p)))
                .map(|a| a.2)
                .sum();
            let funded = m.funded.get(&p).copied().unwrap_or_default();
            assert_eq!(ledger.charged(p), charged, "{p}: charged against the prepayment");
            assert_eq!(ledger.balance(&Account::Transit { pair: p }), -advanced, "{p}: transit");
            assert_eq!(ledger.balance(&Account::Adjustment { pair: p }), adjusted, "{p}: adjustments");
            let u = ledger.utilisation(p, config);
            assert_eq!(u.funded, funded);
            let ratio = (funded > Fen::ZERO).then(|| (charged.get() * 10_000).div_euclid(funded.get()));
            assert_eq!(u.ratio_bp, ratio, "{p}: utilisation");
        }
    }
    for s in &m.settled {
        for fund in Fund::ALL {
            let expected: Fen = m
                .settled
                .iter()
                .filter(|t| t.region == s.region && !t.reversed)
                .map(|t| t.shares.get(fund) - t.cut.get(fund))
                .sum();
            assert_eq!(
                ledger.balance(&Account::Fund { region: s.region, fund }),
                expected,
                "{} {fund}",
                s.region
            );
        }
    }
}

fn check_replay(m: &Model, ledger: &Ledger) {
    assert_eq!(verify(&m.accepted, &ledger.balances()), Ok(()));
    let mut again = Ledger::new();
    for event in &m.log {
        match event {
            Ok(p) => again.post(p).expect("replay admits what was admitted"),
            Err((month, config)) => {
                again.close_month(*month, config).expect("replay closes what was closed");
            }
        }
    }
    assert_eq!(again.balances(), ledger.balances(), "a replay rolls up to the same balances");
    for month in m.snapshots.keys() {
        assert_eq!(again.period(*month), ledger.period(*month));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_months_keep_the_books(ops in proptest::collection::vec((0u16..4_000, op()), 1..220)) {
        let (m, ledger) = run(&ops);
        check_clearing(&m, &ledger);
        check_balances(&m, &ledger);
        check_replay(&m, &ledger);
    }

    #[test]
    fn account_codes_round_trip(region in 110_100u32..659_999, fac in 0u64..100_000, pick in 0usize..10) {
        let region = DivisionCode::parse(&format!("{region:06}")).unwrap();
        let p = pair(pick % 4, pick % 3);
        let facility = FacilityId::parse(&format!("{}{}{:05}", if pick % 2 == 0 { "H" } else { "P" }, region, fac)).unwrap();
        let accounts = [
            Account::Fund { region, fund: Fund::ALL[pick % 6] },
            Account::PersonsCash { region },
            Account::ProvinceFinance { province: region.province() },
            Account::Prepayment { pair: p },
            Account::Transit { pair: p },
            Account::Adjustment { pair: p },
            Account::LumpSum { pair: p },
            Account::AgencyPayable { agency: region },
            Account::FacilityReceivable { facility },
            Account::FacilityCash { facility },
        ];
        for a in accounts {
            prop_assert_eq!(Account::parse(&a.code()), Ok(a));
        }
    }
}
