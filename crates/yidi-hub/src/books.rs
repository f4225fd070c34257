//! The hub's side of the funds ledger (`yidi-ledger`): the facts of a settlement as the ledger
//! needs them, and postings to and from their stored form ([`PostingRecord`]).
//!
//! Key design decision — same-province care is not posted. The ledger's chart covers
//! inter-provincial money only (each province pair's prepayment, transit and clearing,
//! `policy-background.md` §4), and its `settlement()` constructor refuses same-province facts. A
//! settlement whose insured and treatment regions lie in one province (local care, or
//! intra-province cross-region care) is cleared inside the province under its own arrangement,
//! so the hub posts nothing for it, nor for its cancellation or reinstatement. The check is
//! [`SettlementFacts::pair`], made before any constructor is called, so the settlement path never
//! reaches the constructor's panic. `yidi ledger verify` checks the converse: such a settlement
//! has no posting, and every cross-province one has exactly one live posting.

use yidi_adjudication::Settlement;
use yidi_domain::{BenefitKind, DateTime, Fen};
use yidi_ledger::{
    Account, ClrType, Entry, FacilityId, Ledger, Month, Posting, PostingKind, Sense, SettlementFacts, Side,
};
use yidi_store::PostingRecord;

/// What the ledger needs to know about a settlement the engine just computed. The engine never
/// pays `cvlserv_pay`, `hifes_pay` or `oth_pay` (always zero), so the six legs cover every fen.
pub fn settlement_facts(s: &Settlement<'_>, setl_id: &str, at: DateTime) -> SettlementFacts {
    let i = &s.setlinfo;
    let clr_type = match s.kind {
        BenefitKind::Outpatient | BenefitKind::Chronic => ClrType::Outpatient,
        BenefitKind::Inpatient => ClrType::Inpatient,
    };
    SettlementFacts {
        setl_id: setl_id.to_string(),
        at,
        insured_region: s.person.insuplc,
        treatment_region: s.treatment_region.admdvs,
        facility: FacilityId::of(&s.facility.code),
        insutype: s.person.insutype,
        clr_type,
        hifp: i.hifp_pay,
        hifob: i.hifob_pay,
        hifmi: i.hifmi_pay,
        maf: i.maf_pay,
        acct: i.acct_pay,
        cash: i.psn_cash_pay,
    }
}

/// The settlement's posting: `Ok(None)` for same-province care (see the module doc), `Err` when
/// the facts break a precondition of the ledger's constructor (it would panic), naming which.
pub fn settlement_posting(facts: &SettlementFacts) -> Result<Option<Posting>, String> {
    let Ok(pair) = facts.pair() else { return Ok(None) };
    if facts.facility.division().province() != pair.treatment() {
        return Err(format!("定点机构 {} 不在就医省 {}", facts.facility, pair.treatment()));
    }
    let amounts = [facts.hifp, facts.hifob, facts.hifmi, facts.maf, facts.acct, facts.cash];
    if amounts.iter().any(|a| a.is_negative()) {
        return Err(format!("结算 {} 有负的基金或个人支付金额", facts.setl_id));
    }
    Ok(Some(yidi_ledger::settlement(facts)))
}

/// The stored form of a posting.
pub fn posting_record(posting_id: u64, p: &Posting) -> PostingRecord {
    PostingRecord {
        posting_id,
        kind: p.kind().code(),
        sense: p.sense().code().to_string(),
        reference: p.reference().to_string(),
        at: p.at(),
        month: p.month().to_string(),
        entries: p.entries().iter().map(|e| (e.account.code(), e.signed())).collect(),
    }
}

/// A stored posting read back, checked as a constructor would have built it (balanced, positive
/// lines, known codes). The error names the posting and what is wrong with it.
pub fn posting_of_record(r: &PostingRecord) -> Result<Posting, String> {
    let bad = |what: String| format!("记账 #{}（{}）：{what}", r.posting_id, r.reference);
    let kind = PostingKind::parse(&r.kind).ok_or_else(|| bad(format!("类型“{}”无法识别", r.kind)))?;
    let sense = Sense::parse(&r.sense).ok_or_else(|| bad(format!("方向“{}”无法识别", r.sense)))?;
    let month = Month::parse(&r.month).ok_or_else(|| bad(format!("月份“{}”无法识别", r.month)))?;
    let mut entries = Vec::with_capacity(r.entries.len());
    for (code, amount) in &r.entries {
        let account = Account::parse(code).map_err(|e| bad(e.to_string()))?;
        let (side, amount) =
            if amount.is_negative() { (Side::Credit, -*amount) } else { (Side::Debit, *amount) };
        entries.push(Entry { account, side, amount });
    }
    Posting::from_parts(kind, sense, r.reference.clone(), r.at, month, entries)
        .map_err(|e| bad(e.to_string()))
}

/// Rolls stored postings up into a ledger, in `posting_id` order, refusing the first posting
/// that is malformed or that the ledger refuses; the books must balance at the end.
pub fn ledger_of_records(records: &[PostingRecord]) -> Result<Ledger, String> {
    let mut ledger = Ledger::new();
    for r in records {
        let posting = posting_of_record(r)?;
        ledger.post(&posting).map_err(|e| format!("记账 #{}（{}）：{e}", r.posting_id, r.reference))?;
    }
    if ledger.trial_balance() != Fen::ZERO {
        return Err(format!("账不平：试算余额 {}", ledger.trial_balance()));
    }
    Ok(ledger)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_domain::{DivisionCode, InsuType};

    fn facts(insured: &str, treatment: &str, facility: &str) -> SettlementFacts {
        SettlementFacts {
            setl_id: "S1".into(),
            at: DateTime::parse("2025-03-02 09:41:00").expect("time"),
            insured_region: DivisionCode::parse(insured).expect("region"),
            treatment_region: DivisionCode::parse(treatment).expect("region"),
            facility: FacilityId::parse(facility).expect("facility"),
            insutype: InsuType::Employee,
            clr_type: ClrType::Outpatient,
            hifp: Fen::new(30_000),
            hifob: Fen::ZERO,
            hifmi: Fen::ZERO,
            maf: Fen::ZERO,
            acct: Fen::new(5_000),
            cash: Fen::new(1_650),
        }
    }

    #[test]
    fn same_province_care_posts_nothing_and_never_panics() {
        assert_eq!(settlement_posting(&facts("320100", "320100", "H32010400001")), Ok(None));
        assert_eq!(settlement_posting(&facts("320100", "320500", "H32050400001")), Ok(None));
    }

    #[test]
    fn cross_province_posting_round_trips_through_its_record() {
        let p = settlement_posting(&facts("320100", "310100", "H31010400123")).expect("ok").expect("posted");
        let r = posting_record(9, &p);
        assert_eq!(posting_of_record(&r), Ok(p));
        let mut tampered = r.clone();
        tampered.entries[0].1 += Fen::new(1);
        assert!(posting_of_record(&tampered).expect_err("unbalanced").contains("#9"));
        assert!(
            settlement_posting(&facts("320100", "310100", "H11010500001")).is_err(),
            "facility elsewhere"
        );
    }
}
