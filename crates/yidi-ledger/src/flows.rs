//! The posting constructors: one per event, each balanced by construction.
//!
//! The legs follow `policy-background.md` §4: the treatment province pays its facilities at once
//! out of the insured province's prepayment, the insured province owes the fund share, and the
//! monthly clearing payment brings it back. Each constructor's doc lists its legs.

use yidi_domain::{DateTime, DivisionCode, Fen, InsuType};

use crate::account::{Account, AccountError, ClrType, FacilityId, Fund, Pair};
use crate::amounts::FundAmounts;
use crate::clearing::PairClearing;
use crate::error::LedgerError;
use crate::limits::REFERENCE_BYTES_MAX;
use crate::month::Month;
use crate::posting::{Builder, Posting, PostingKind, Sense, Side};

/// What the ledger needs to know about one direct settlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementFacts {
    pub setl_id: String,
    pub at: DateTime,
    /// The insured pooling region (`insuplc_admdvs`).
    pub insured_region: DivisionCode,
    /// The treatment pooling region whose agency pays the facility (`clr_optins`).
    pub treatment_region: DivisionCode,
    pub facility: FacilityId,
    pub insutype: InsuType,
    pub clr_type: ClrType,
    pub hifp: Fen,
    pub hifob: Fen,
    pub hifmi: Fen,
    pub maf: Fen,
    pub acct: Fen,
    pub cash: Fen,
}

impl SettlementFacts {
    /// The province pair; an error when the settlement is not cross-province.
    pub fn pair(&self) -> Result<Pair, AccountError> {
        Pair::new(self.insured_region.province(), self.treatment_region.province())
    }

    /// The insured side's share per fund (`setldetail` without the cash).
    pub fn shares(&self) -> FundAmounts {
        FundAmounts::of(&[
            (Fund::basic(self.insutype), self.hifp),
            (Fund::LargeAmount, self.hifob),
            (Fund::CriticalIllness, self.hifmi),
            (Fund::Assistance, self.maf),
            (Fund::PersonalAccount, self.acct),
        ])
    }
}

/// A settlement. Precondition (the hub's facts guarantee it): cross-province, the facility in the
/// treatment province, no negative amount. Legs, with P = pooled share and A = personal account:
///
/// - Dr `fund:IR:f` each fund's share (P + A in total) — the insured side bears it;
/// - Cr `prepay:IP>TP` P — rule 21: the fund share is charged against the prepayment;
/// - Cr `transit:IP>TP` A — the account share is advanced outside the prepayment;
/// - Dr `fac:H:recv` / Cr `agency:TA:pay` P + A — the agency owes the facility;
/// - Dr `fac:H:cash` / Cr `cash:IR` the person's cash.
pub fn settlement(facts: &SettlementFacts) -> Posting {
    let pair =
        facts.pair().unwrap_or_else(|e| panic!("settlement {} is not cross-province: {e}", facts.setl_id));
    assert_eq!(
        facts.facility.division().province(),
        pair.treatment(),
        "settlement {}: facility {} outside the treatment province",
        facts.setl_id,
        facts.facility
    );
    let shares = facts.shares();
    assert!(!shares.any_negative(), "settlement {}: negative fund share", facts.setl_id);
    assert!(!facts.cash.is_negative(), "settlement {}: negative cash", facts.setl_id);
    let mut b = Builder::with_capacity(11);
    for (fund, amount) in shares.iter() {
        b.debit(Account::Fund { region: facts.insured_region, fund }, amount);
    }
    b.credit(Account::Prepayment { pair }, shares.pooled());
    b.credit(Account::Transit { pair }, shares.personal());
    b.debit(Account::FacilityReceivable { facility: facts.facility }, shares.total());
    b.credit(Account::AgencyPayable { agency: facts.treatment_region }, shares.total());
    b.debit(Account::FacilityCash { facility: facts.facility }, facts.cash);
    b.credit(Account::PersonsCash { region: facts.insured_region }, facts.cash);
    let kind = PostingKind::Settlement { pair, clr_type: facts.clr_type };
    Posting::assemble(kind, &facts.setl_id, facts.at, Month::at(facts.at), b)
}

/// The exact mirror of a posting (a settlement's 2208/2305 cancellation, a refusal withdrawn):
/// every entry on the other side, same kind, reference and month; `at` is the reversal's time.
/// Whether it may be posted (month still open, kind reversible) is the [`crate::Ledger`]'s call.
pub fn reversal(original: &Posting, at: DateTime) -> Posting {
    original.mirrored(at)
}

/// The parties of a settlement posting, read back from its entries.
struct Parties {
    pair: Pair,
    region: DivisionCode,
    agency: DivisionCode,
    facility: FacilityId,
    shares: FundAmounts,
}

fn parties(settlement: &Posting) -> Result<Parties, LedgerError> {
    let not = || LedgerError::NotASettlement { reference: settlement.reference().to_string() };
    let PostingKind::Settlement { pair, .. } = settlement.kind() else { return Err(not()) };
    if settlement.sense() != Sense::Normal {
        return Err(not());
    }
    let (mut region, mut agency, mut facility) = (None, None, None);
    let mut shares = FundAmounts::ZERO;
    for e in settlement.entries() {
        match (e.account, e.side) {
            (Account::Fund { region: r, fund }, Side::Debit) => {
                region = Some(r);
                shares.add(fund, e.amount);
            }
            (Account::AgencyPayable { agency: a }, _) => agency = Some(a),
            (Account::FacilityReceivable { facility: f }, _) => facility = Some(f),
            _ => {}
        }
    }
    match (region, agency, facility) {
        (Some(region), Some(agency), Some(facility)) => {
            Ok(Parties { pair, region, agency, facility, shares })
        }
        _ => Err(LedgerError::NothingToPost { reference: settlement.reference().to_string() }),
    }
}

/// Legs shared by refusals and recoveries, amounts R per fund (in the insured province's favour):
/// Cr `fund:IR:f` R_f (the funds are relieved), Dr `adj:IP>TP` ΣR (applied by the next clearing
/// payment), Dr `agency:TA:pay` / Cr `fac:H:recv` ΣR (the agency deducts it from the facility).
fn cut(settlement: &Posting, amounts: &FundAmounts) -> Result<(Parties, Builder), LedgerError> {
    let reference = settlement.reference().to_string();
    let p = parties(settlement)?;
    if amounts.any_negative() || amounts.is_zero() {
        return Err(LedgerError::NothingToPost { reference });
    }
    for (fund, amount) in amounts.iter() {
        let settled = p.shares.get(fund);
        if amount > settled {
            return Err(LedgerError::ExceedsSettlement { reference, fund, amount, settled });
        }
    }
    let mut b = Builder::with_capacity(9);
    for (fund, amount) in amounts.iter() {
        b.credit(Account::Fund { region: p.region, fund }, amount);
    }
    b.debit(Account::Adjustment { pair: p.pair }, amounts.total());
    b.debit(Account::AgencyPayable { agency: p.agency }, amounts.total());
    b.credit(Account::FacilityReceivable { facility: p.facility }, amounts.total());
    Ok((p, b))
}

/// The treatment agency refuses or deducts `amounts` of a settlement before its month is cleared.
/// The posting counts in the settlement's month, so that month's statement shows it. Each fund's
/// amount may not exceed what the settlement charged it (several refusals of one settlement are
/// the hub's to add up).
pub fn refusal(settlement: &Posting, amounts: &FundAmounts, at: DateTime) -> Result<Posting, LedgerError> {
    check_at(settlement, at)?;
    let (p, b) = cut(settlement, amounts)?;
    let kind = PostingKind::Refusal { pair: p.pair };
    Ok(Posting::assemble(kind, settlement.reference(), at, settlement.month(), b))
}

/// The treatment agency recovers `amounts` of a settlement whose month is already cleared. The
/// posting counts in the month of `at` (a later clearing), never in the closed month.
pub fn recovery(settlement: &Posting, amounts: &FundAmounts, at: DateTime) -> Result<Posting, LedgerError> {
    let (p, b) = cut(settlement, amounts)?;
    let origin = settlement.month();
    if Month::at(at) <= origin {
        return Err(LedgerError::RecoveryOfOpenMonth {
            origin,
            reference: settlement.reference().to_string(),
        });
    }
    let kind = PostingKind::Recovery { pair: p.pair, origin };
    Ok(Posting::assemble(kind, settlement.reference(), at, Month::at(at), b))
}

fn check_at(settlement: &Posting, at: DateTime) -> Result<(), LedgerError> {
    if Month::at(at) < settlement.month() {
        return Err(LedgerError::BeforeSettlement { reference: settlement.reference().to_string() });
    }
    Ok(())
}

fn check_reference(reference: &str) -> Result<(), LedgerError> {
    if reference.is_empty() || reference.len() > REFERENCE_BYTES_MAX {
        return Err(LedgerError::Reference(reference.to_string()));
    }
    Ok(())
}

/// The insured province changes the pair's prepayment by `change` (positive: it pays into the
/// treatment province's special account; negative: the annual adjustment returns money):
/// Dr `prepay:IP>TP` / Cr `prov:IP` (sides swap for a negative change).
pub fn prepayment(pair: Pair, change: Fen, at: DateTime, reference: &str) -> Result<Posting, LedgerError> {
    check_reference(reference)?;
    if change == Fen::ZERO {
        return Err(LedgerError::NothingToPost { reference: reference.to_string() });
    }
    let mut b = Builder::with_capacity(2);
    b.signed(Account::Prepayment { pair }, change);
    b.signed(Account::ProvinceFinance { province: pair.insured() }, -change);
    Ok(Posting::assemble(PostingKind::Prepayment { pair }, reference, at, Month::at(at), b))
}

/// The insured province pays the pair's frozen clearing of one month (gross or as part of a
/// netted run: the obligations discharged are the same). With P, A, ADJ, D the clearing's pooled
/// share, personal-account share, adjustments and amount due:
///
/// - Dr `prepay:IP>TP` P — after payment the prepayment is restored;
/// - Dr `transit:IP>TP` A — the advanced account shares come back;
/// - Cr `adj:IP>TP` ADJ — refusals and recoveries are applied;
/// - Cr `prov:IP` D — the insured province's finance pays (Dr when D < 0: it receives);
/// - Cr `lump:IP>TP` P + A − ADJ − D — only in lump-sum mode, the difference the treatment side
///   bears (Dr when it gains).
pub fn clearing_payment(clearing: &PairClearing, at: DateTime, reference: &str) -> Posting {
    let s = clearing.statement();
    let pair = s.pair();
    let (pooled, personal, adjustments) = (s.pooled(), s.personal(), s.adjustments().total());
    let variance = pooled + personal - adjustments - clearing.due();
    let mut b = Builder::with_capacity(5);
    b.signed(Account::Prepayment { pair }, pooled);
    b.signed(Account::Transit { pair }, personal);
    b.signed(Account::Adjustment { pair }, -adjustments);
    b.signed(Account::ProvinceFinance { province: pair.insured() }, -clearing.due());
    b.signed(Account::LumpSum { pair }, -variance);
    let kind = PostingKind::ClearingPayment { pair, cleared: s.month() };
    Posting::assemble(kind, reference, at, Month::at(at), b)
}

/// The treatment agency pays a facility `amount` under the local agreement (rule 24, independent
/// of inter-provincial clearing): Dr `agency:TA:pay` / Cr `fac:H:recv`.
pub fn facility_payment(
    agency: DivisionCode,
    facility: FacilityId,
    amount: Fen,
    at: DateTime,
    reference: &str,
) -> Result<Posting, LedgerError> {
    check_reference(reference)?;
    if amount <= Fen::ZERO {
        return Err(LedgerError::NothingToPost { reference: reference.to_string() });
    }
    let mut b = Builder::with_capacity(2);
    b.debit(Account::AgencyPayable { agency }, amount);
    b.credit(Account::FacilityReceivable { facility }, amount);
    Ok(Posting::assemble(PostingKind::FacilityPayment { agency, facility }, reference, at, Month::at(at), b))
}

/// The insured pooling region computes a manual reimbursement (手工报销, rule 26) of a bill the
/// person paid in cash: Dr `fund:IR:f` each fund's share / Cr `reimb:IR:pay` the total, owed to
/// the person until paid. Not part of any inter-provincial clearing (no pair).
pub fn reimbursement(
    region: DivisionCode,
    amounts: &FundAmounts,
    at: DateTime,
    reference: &str,
) -> Result<Posting, LedgerError> {
    check_reference(reference)?;
    if amounts.any_negative() || amounts.is_zero() {
        return Err(LedgerError::NothingToPost { reference: reference.to_string() });
    }
    let mut b = Builder::with_capacity(7);
    for (fund, amount) in amounts.iter() {
        b.debit(Account::Fund { region, fund }, amount);
    }
    b.credit(Account::ReimbursementPayable { region }, amounts.total());
    Ok(Posting::assemble(PostingKind::Reimbursement { region }, reference, at, Month::at(at), b))
}

/// The region pays a computed manual reimbursement to the person out of its funds' bank
/// account: Dr `reimb:IR:pay` / Cr `bank:IR`.
pub fn reimbursement_payment(
    region: DivisionCode,
    amount: Fen,
    at: DateTime,
    reference: &str,
) -> Result<Posting, LedgerError> {
    check_reference(reference)?;
    if amount <= Fen::ZERO {
        return Err(LedgerError::NothingToPost { reference: reference.to_string() });
    }
    let mut b = Builder::with_capacity(2);
    b.debit(Account::ReimbursementPayable { region }, amount);
    b.credit(Account::FundBank { region }, amount);
    Ok(Posting::assemble(PostingKind::ReimbursementPayment { region }, reference, at, Month::at(at), b))
}
