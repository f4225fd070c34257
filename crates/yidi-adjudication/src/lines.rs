//! Line classification with the treatment province's catalog (`settlement.md` §2).

use yidi_domain::money::checked_line_fen;
use yidi_domain::{Catalog, CatalogItem, ChrgitmLv, Facility, Fen, Price, RefData, line_fen, share};

use crate::claim::{Claim, FeeLine};
use crate::refusal::Refusal;

/// Why a line's restriction (限定支付范围) was not met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmet {
    MedType,
    MinLevel,
    Diagnosis,
}

/// How one fee line splits into the four national parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineResult<'a> {
    /// Index of the line in the claim.
    pub index: usize,
    pub item: &'a CatalogItem,
    pub unmet: Option<Unmet>,
    pub amount: Fen,
    pub fulamt_ownpay: Fen,
    pub overlmt: Fen,
    pub preselfpay: Fen,
    pub inscp: Fen,
}

/// Sums over lines; identity A holds by construction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineTotals {
    pub medfee: Fen,
    pub fulamt_ownpay: Fen,
    pub overlmt: Fen,
    pub preselfpay: Fen,
    pub inscp: Fen,
}

/// Checks every line's amount, then classifies every line. Amounts are checked first so that a
/// refusal does not depend on the order of lines.
pub fn classify_lines<'a>(
    refdata: &'a RefData,
    facility: &Facility,
    claim: &Claim,
) -> Result<(Vec<LineResult<'a>>, LineTotals), Refusal> {
    for line in &claim.lines {
        check_amount(line)?;
    }
    let province = facility.admdvs.province();
    let catalog = refdata.catalogs.get(&province);
    let mut results = Vec::with_capacity(claim.lines.len());
    let mut totals = LineTotals::default();
    for (index, line) in claim.lines.iter().enumerate() {
        let date = line.fee_ocur_time.map_or_else(|| claim.service_date(), |t| t.date());
        let item =
            catalog.and_then(|c: &'a Catalog| c.lookup(&line.med_list_codg, date)).ok_or_else(|| {
                Refusal::UnknownCatalogCode {
                    feedetl_sn: line.feedetl_sn.clone(),
                    code: line.med_list_codg.clone(),
                    province,
                    date: date.to_string(),
                }
            })?;
        let result = classify_line(index, line, item, facility, claim);
        totals.medfee += result.amount;
        totals.fulamt_ownpay += result.fulamt_ownpay;
        totals.overlmt += result.overlmt;
        totals.preselfpay += result.preselfpay;
        totals.inscp += result.inscp;
        results.push(result);
    }
    assert_eq!(totals.medfee, totals.fulamt_ownpay + totals.overlmt + totals.preselfpay + totals.inscp);
    Ok((results, totals))
}

fn check_amount(line: &FeeLine) -> Result<(), Refusal> {
    let computed = line_fen(line.cnt, line.pric);
    if computed != line.amount {
        return Err(Refusal::AmountMismatch {
            feedetl_sn: line.feedetl_sn.clone(),
            declared: line.amount,
            computed,
        });
    }
    Ok(())
}

fn unmet_restriction(item: &CatalogItem, facility: &Facility, claim: &Claim) -> Option<Unmet> {
    if !item.lmt_med_types.is_empty() && !item.lmt_med_types.contains(&claim.med_type) {
        return Some(Unmet::MedType);
    }
    if item.lmt_min_level.is_some_and(|min| facility.level < min) {
        return Some(Unmet::MinLevel);
    }
    if let Some(prefix) = &item.lmt_dise_prefix
        && !claim.dise_codg.as_deref().is_some_and(|d| d.starts_with(prefix.as_str()))
    {
        return Some(Unmet::Diagnosis);
    }
    None
}

/// The four-part split of §2 for one line.
fn classify_line<'a>(
    index: usize,
    line: &FeeLine,
    item: &'a CatalogItem,
    facility: &Facility,
    claim: &Claim,
) -> LineResult<'a> {
    let amount = line.amount;
    let unmet = unmet_restriction(item, facility, claim);
    let zero = Fen::ZERO;
    if unmet.is_some() || item.lv == ChrgitmLv::C {
        return LineResult {
            index,
            item,
            unmet,
            amount,
            fulamt_ownpay: amount,
            overlmt: zero,
            preselfpay: zero,
            inscp: zero,
        };
    }
    // A cap so large that `cnt × cap` overflows cannot be exceeded by a bounded amount.
    let capped =
        |cap: Fen| checked_line_fen(line.cnt, Price::from_fen(cap)).map_or(zero, |c| (amount - c).max0());
    let overlmt = item.price_cap.map_or(zero, capped);
    let allowed = amount - overlmt;
    let preselfpay = if item.lv == ChrgitmLv::B { share(allowed, item.selfpay_prop) } else { zero };
    let inscp = allowed - preselfpay;
    LineResult { index, item, unmet, amount, fulamt_ownpay: zero, overlmt, preselfpay, inscp }
}
