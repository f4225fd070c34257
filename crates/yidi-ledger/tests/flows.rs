//! Each posting flow by hand: which accounts move, in which direction, and that the ledger admits
//! or refuses it for the right reason. The property tests cover random worlds; these pin the
//! chart's meaning with small, readable numbers.

use yidi_domain::{DateTime, DivisionCode, Fen, InsuType};
use yidi_ledger::{
    Account, ClearingConfig, ClrType, Entry, FacilityId, Fund, FundAmounts, Ledger, LedgerError,
    LedgerProblem, Month, Pair, Posting, PostingProblem, SettlementFacts, Side, clearing_payment,
    facility_payment, prepayment, recovery, refusal, reversal, settlement, verify,
};

fn d(code: &str) -> DivisionCode {
    DivisionCode::parse(code).unwrap()
}
fn t(text: &str) -> DateTime {
    DateTime::parse(text).unwrap()
}
fn nm_bj() -> Pair {
    Pair::new(d("150000"), d("110000")).unwrap()
}
fn month(text: &str) -> Month {
    Month::parse(text).unwrap()
}
fn fac() -> FacilityId {
    FacilityId::parse("H11010500001").unwrap()
}

/// A resident of Hohhot treated in Beijing: 200.00 basic pool, 30.00 critical illness, 50.00 cash;
/// an employee variant adds 10.00 from the personal account.
fn facts(setl_id: &str, at: &str, insutype: InsuType) -> SettlementFacts {
    SettlementFacts {
        setl_id: setl_id.to_string(),
        at: t(at),
        insured_region: d("150100"),
        treatment_region: d("110100"),
        facility: fac(),
        insutype,
        clr_type: ClrType::Inpatient,
        hifp: Fen::new(20_000),
        hifob: Fen::ZERO,
        hifmi: Fen::new(3_000),
        maf: Fen::ZERO,
        acct: if insutype == InsuType::Employee { Fen::new(1_000) } else { Fen::ZERO },
        cash: Fen::new(5_000),
    }
}

fn legs(p: &Posting) -> Vec<String> {
    p.entries().iter().map(|e| format!("{} {} {}", e.side.code(), e.account, e.amount)).collect()
}

#[test]
fn settlement_charges_the_funds_against_the_prepayment_and_owes_the_facility() {
    let p = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Employee));
    assert_eq!(
        legs(&p),
        [
            "Dr fund:150100:310100 200.00",
            "Dr fund:150100:390200 30.00",
            "Dr fund:150100:310200 10.00",
            "Cr prepay:150000>110000 230.00",
            "Cr transit:150000>110000 10.00",
            "Dr fac:H11010500001:recv 240.00",
            "Cr agency:110100:pay 240.00",
            "Dr fac:H11010500001:cash 50.00",
            "Cr cash:150100 50.00",
        ]
    );
    assert_eq!(p.month(), month("2025-03"));
    assert_eq!(p.total(), Fen::new(53_000), "debits: 200 + 30 + 10 + 240 + 50");
}

#[test]
fn reversal_is_the_exact_mirror_and_restores_every_balance() {
    let mut ledger = Ledger::new();
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Employee));
    ledger.post(&s).unwrap();
    let r = reversal(&s, t("2025-04-01 08:00:00"));
    assert_eq!(r.month(), s.month(), "a reversal counts in its settlement's month");
    for (a, b) in s.entries().iter().zip(r.entries()) {
        assert_eq!((a.account, a.amount), (b.account, b.amount));
        assert_ne!(a.side, b.side);
    }
    ledger.post(&r).unwrap();
    assert!(ledger.balances().values().all(|b| *b == Fen::ZERO));
    let st = ledger.open_statement(month("2025-03"), nm_bj()).unwrap();
    assert_eq!(st.care(ClrType::Inpatient).count, 0);
    assert!(st.charged().is_zero());
}

#[test]
fn refusal_relieves_the_funds_and_waits_for_the_next_clearing() {
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident));
    let cut = FundAmounts::of(&[(Fund::ResidentBasic, Fen::new(5_000))]);
    let r = refusal(&s, &cut, t("2025-03-20 09:00:00")).unwrap();
    assert_eq!(
        legs(&r),
        [
            "Cr fund:150100:390100 50.00",
            "Dr adj:150000>110000 50.00",
            "Dr agency:110100:pay 50.00",
            "Cr fac:H11010500001:recv 50.00",
        ]
    );
    let too_much = FundAmounts::of(&[(Fund::CriticalIllness, Fen::new(3_001))]);
    assert!(matches!(
        refusal(&s, &too_much, t("2025-03-20 09:00:00")),
        Err(LedgerError::ExceedsSettlement { fund: Fund::CriticalIllness, .. })
    ));
    let not_paid = FundAmounts::of(&[(Fund::LargeAmount, Fen::new(1))]);
    assert!(refusal(&s, &not_paid, t("2025-03-20 09:00:00")).is_err());
}

#[test]
fn a_closed_month_refuses_reversals_and_refusals_and_takes_a_recovery_later() {
    let mut ledger = Ledger::new();
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident));
    ledger.post(&s).unwrap();
    let frozen = ledger.close_month(month("2025-03"), &ClearingConfig::itemised()).unwrap().clone();
    let after = t("2025-04-12 09:00:00");
    assert!(matches!(ledger.post(&reversal(&s, after)), Err(LedgerError::ClosedMonth { .. })));
    let cut = FundAmounts::of(&[(Fund::ResidentBasic, Fen::new(5_000))]);
    let r = refusal(&s, &cut, after).unwrap();
    assert!(matches!(ledger.post(&r), Err(LedgerError::ClosedMonth { .. })));
    let late = settlement(&facts("S0", "2025-03-31 23:00:00", InsuType::Resident));
    assert!(matches!(ledger.post(&late), Err(LedgerError::ClosedMonth { .. })));
    let c = recovery(&s, &cut, after).unwrap();
    assert_eq!(c.month(), month("2025-04"));
    ledger.post(&c).unwrap();
    assert_eq!(ledger.period(month("2025-03")).unwrap(), &frozen, "the closed month never changes");
    let april = ledger.open_statement(month("2025-04"), nm_bj()).unwrap();
    assert_eq!(april.recoveries().amounts.total(), Fen::new(5_000));
    assert_eq!(april.itemised_due(), Fen::new(-5_000), "April owes the insured province the recovery");
}

#[test]
fn a_recovery_of_an_open_month_is_refused() {
    let mut ledger = Ledger::new();
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident));
    ledger.post(&s).unwrap();
    let cut = FundAmounts::of(&[(Fund::ResidentBasic, Fen::new(1))]);
    let c = recovery(&s, &cut, t("2025-04-02 09:00:00")).unwrap();
    assert!(matches!(ledger.post(&c), Err(LedgerError::RecoveryOfOpenMonth { .. })));
    assert!(matches!(
        recovery(&s, &cut, t("2025-03-30 09:00:00")),
        Err(LedgerError::RecoveryOfOpenMonth { .. })
    ));
}

#[test]
fn clearing_payment_restores_the_prepayment_and_empties_the_pair_accounts() {
    let mut ledger = Ledger::new();
    let pair = nm_bj();
    ledger.post(&prepayment(pair, Fen::new(100_000), t("2025-03-01 09:00:00"), "YF-1").unwrap()).unwrap();
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Employee));
    ledger.post(&s).unwrap();
    let cut = FundAmounts::of(&[(Fund::EmployeeBasic, Fen::new(5_000))]);
    ledger.post(&refusal(&s, &cut, t("2025-03-20 09:00:00")).unwrap()).unwrap();
    assert_eq!(ledger.charged(pair), Fen::new(23_000), "refused amounts stay charged until paid");
    let period = ledger.close_month(month("2025-03"), &ClearingConfig::itemised()).unwrap();
    let clearing = period.pair(pair).unwrap().clone();
    assert_eq!(clearing.due(), Fen::new(19_000), "230.00 + 10.00 − 50.00");
    let pay = clearing_payment(&clearing, t("2025-04-20 10:00:00"), "QS-2025-03");
    ledger.post(&pay).unwrap();
    assert_eq!(ledger.balance(&Account::Prepayment { pair }), Fen::new(100_000));
    assert_eq!(ledger.charged(pair), Fen::ZERO);
    assert_eq!(ledger.balance(&Account::Transit { pair }), Fen::ZERO);
    assert_eq!(ledger.balance(&Account::Adjustment { pair }), Fen::ZERO);
    assert_eq!(ledger.balance(&Account::ProvinceFinance { province: d("150000") }), Fen::new(-119_000));
    assert!(matches!(ledger.post(&pay), Err(LedgerError::AlreadyPaid { .. })));
    assert!(matches!(
        ledger.post(&reversal(&pay, t("2025-04-21 10:00:00"))),
        Err(LedgerError::NotReversible { .. })
    ));
    let fp =
        facility_payment(d("110100"), fac(), Fen::new(19_000), t("2025-04-05 10:00:00"), "FP-1").unwrap();
    ledger.post(&fp).unwrap();
    assert_eq!(ledger.balance(&Account::FacilityReceivable { facility: fac() }), Fen::ZERO);
    assert_eq!(ledger.trial_balance(), Fen::ZERO);
}

#[test]
fn a_payment_that_differs_from_the_frozen_clearing_is_refused() {
    let mut ledger = Ledger::new();
    let pair = nm_bj();
    ledger.post(&settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident))).unwrap();
    let period = ledger.close_month(month("2025-03"), &ClearingConfig::itemised()).unwrap();
    let pay = clearing_payment(period.pair(pair).unwrap(), t("2025-04-20 10:00:00"), "QS");
    let mut entries: Vec<Entry> = pay.entries().to_vec();
    // One fen more restored to the prepayment, one fen more paid by the province: well formed,
    // balanced, and not what the frozen clearing says.
    for e in entries.iter_mut().filter(|e| e.side == Side::Debit) {
        e.amount += Fen::new(1);
    }
    let province = Account::ProvinceFinance { province: d("150000") };
    entries.push(Entry { account: province, side: Side::Credit, amount: Fen::new(1) });
    let forged =
        Posting::from_parts(pay.kind(), pay.sense(), "QS".into(), pay.at(), pay.month(), entries).unwrap();
    assert!(matches!(ledger.post(&forged), Err(LedgerError::PaymentMismatch { .. })));
}

#[test]
fn stored_postings_are_checked_when_read_back() {
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident));
    let mut entries = s.entries().to_vec();
    entries[0].amount += Fen::new(1);
    let back = Posting::from_parts(s.kind(), s.sense(), "S1".into(), s.at(), s.month(), entries);
    assert!(matches!(back, Err(PostingProblem::Unbalanced { .. })));
    let mut zero = s.entries().to_vec();
    zero.push(Entry { account: Account::Adjustment { pair: nm_bj() }, side: Side::Debit, amount: Fen::ZERO });
    let back = Posting::from_parts(s.kind(), s.sense(), "S1".into(), s.at(), s.month(), zero);
    assert!(matches!(back, Err(PostingProblem::NotPositive { .. })));
    let wrong_month =
        Posting::from_parts(s.kind(), s.sense(), "S1".into(), s.at(), month("2025-04"), s.entries().to_vec());
    assert!(matches!(wrong_month, Err(PostingProblem::Month { .. })));
}

#[test]
fn verify_finds_a_tampered_rollup_and_a_tampered_posting() {
    let mut ledger = Ledger::new();
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident));
    ledger.post(&s).unwrap();
    let postings = vec![s.clone()];
    assert_eq!(verify(&postings, &ledger.balances()), Ok(()));
    let mut rollup = ledger.balances();
    let prepay = Account::Prepayment { pair: nm_bj() };
    *rollup.get_mut(&prepay).unwrap() += Fen::new(1);
    let problems = verify(&postings, &rollup).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(matches!(problems[0], LedgerProblem::Balance { account, .. } if account == prepay));
    assert!(problems[0].to_string().contains("prepay:150000>110000"));
}

/// Two refusals each within the settlement but together beyond it: the hub never books that
/// (it adds up earlier refusals); `verify` proves it from the postings, and a withdrawal (the
/// refusal reversed) brings the settlement back within.
#[test]
fn verify_finds_refusals_beyond_what_a_settlement_charged() {
    let s = settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident));
    let at = t("2025-03-10 10:00:00");
    let cut = FundAmounts::of(&[(Fund::ResidentBasic, Fen::new(15_000))]);
    let (r1, r2) = (refusal(&s, &cut, at).unwrap(), refusal(&s, &cut, at).unwrap());
    let mut ledger = Ledger::new();
    for p in [&s, &r1, &r2] {
        ledger.post(p).unwrap();
    }
    let postings = vec![s.clone(), r1.clone(), r2.clone()];
    let problems = verify(&postings, &ledger.balances()).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        matches!(&problems[0], LedgerProblem::Adjustment { reference, settled, relieved, .. }
            if reference == "S1" && *settled == Fen::new(20_000) && *relieved == Fen::new(30_000)),
        "{problems:?}"
    );
    let withdrawn = reversal(&r2, at);
    ledger.post(&withdrawn).unwrap();
    let postings = vec![s, r1, r2, withdrawn];
    assert_eq!(verify(&postings, &ledger.balances()), Ok(()));
}

#[test]
fn months_close_in_order() {
    let mut ledger = Ledger::new();
    ledger.post(&settlement(&facts("S1", "2025-03-03 10:00:00", InsuType::Resident))).unwrap();
    ledger.post(&settlement(&facts("S2", "2025-04-03 10:00:00", InsuType::Resident))).unwrap();
    let config = ClearingConfig::itemised();
    assert!(matches!(
        ledger.close_month(month("2025-04"), &config),
        Err(LedgerError::EarlierMonthOpen { .. })
    ));
    ledger.close_month(month("2025-03"), &config).unwrap();
    assert!(matches!(
        ledger.close_month(month("2025-03"), &config),
        Err(LedgerError::MonthAlreadyClosed { .. })
    ));
    ledger.close_month(month("2025-04"), &config).unwrap();
}
