//! Refusals, deductions and recoveries (拒付/扣款/追回, rule 25) by the treatment-region agency on
//! a cross-province settlement at a facility of its region.
//!
//! Before the settlement's month is cleared the adjustment is a refusal or a deduction (the
//! agency's word) and counts in the settlement's month (`yidi_ledger::refusal`); once the month is
//! cleared it is a recovery counting in the current month (`yidi_ledger::recovery`): a closed month
//! never changes. Either way the insured province's funds are relieved, the pair's adjustment
//! account carries the amount to the next clearing payment in the insured province's favour, and
//! the facility's receivable shrinks (the next facility payment nets it).
//!
//! Only the pooled funds are refused, never the personal account (`310200`: the person's own
//! money, `account_not_refusable`). Amounts are given per fund (`310100` …) or as one total, which is split over the funds in
//! proportion to what each can still give back (its settled share less earlier adjustments),
//! by the largest-remainder rule: each fund gets ⌊total × left_f / left⌋ and the fen left over go
//! one each to the funds with the largest remainders (ties in `setldetail` fund order). The split
//! is exact (it sums to the total) and never exceeds any fund's share.

use yidi_domain::{DateTime, Fen};
use yidi_ledger::{Account, Fund, FundAmounts, Posting, Side};

use super::{AdjustEvent, Adjustment, Stage, Withdrawal, record, time_text};
use crate::agency::{AgencyError, AgencyUser};
use crate::state::State;

/// How much to refuse or recover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amounts {
    PerFund(FundAmounts),
    Total(Fen),
}

/// A checked request.
#[derive(Clone, Debug)]
pub struct NewAdjustment {
    /// `Refusal` or `Deduction`; becomes `Recovery` when the month is cleared.
    pub stage: Stage,
    pub amounts: Amounts,
    pub reason: String,
    pub evidence: Option<String>,
    pub inquiry_id: Option<String>,
}

/// What a settlement's posting charged each fund.
pub(crate) fn settled_shares(posting: &Posting) -> FundAmounts {
    let mut a = FundAmounts::ZERO;
    for e in posting.entries() {
        if let (Account::Fund { fund, .. }, Side::Debit) = (e.account, e.side) {
            a.add(fund, e.amount);
        }
    }
    a
}

/// Splits `total` over the funds in proportion to `left` (see the module doc). Precondition:
/// `0 < total <= left.total()` and no negative `left`.
pub fn apportion(total: Fen, left: &FundAmounts) -> FundAmounts {
    let whole = i128::from(left.total().get());
    assert!(total > Fen::ZERO && i128::from(total.get()) <= whole, "apportion {total} over {}", left.total());
    let mut out = FundAmounts::ZERO;
    let mut remainders: Vec<(i128, usize, Fund)> = Vec::new();
    let mut given = 0i128;
    for (fund, amount) in left.iter() {
        let numerator = i128::from(total.get()) * i128::from(amount.get());
        let part = numerator / whole;
        given += part;
        out.add(fund, Fen::new(i64::try_from(part).expect("a part of an i64 total")));
        if amount > Fen::ZERO {
            remainders.push((numerator % whole, fund.index(), fund));
        }
    }
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let short = i128::from(total.get()) - given;
    for (_, _, fund) in
        remainders.into_iter().take(usize::try_from(short).expect("fewer fen left than funds"))
    {
        out.add(fund, Fen::new(1));
    }
    assert_eq!(out.total(), total, "apportioned amounts sum to the total");
    out
}

fn not_found(setl_id: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "settlement_not_found",
        message: format!(
            "本统筹区定点机构没有结算 {setl_id}，请核对结算ID（拒付、扣款、追回由就医地经办机构办理）"
        ),
    }
}

fn conflict(code: &'static str, message: String) -> AgencyError {
    AgencyError::Conflict { code, message }
}

/// Books a refusal, deduction or recovery; everything is checked before the posting is put.
pub(crate) fn adjust(
    state: &mut State,
    who: &AgencyUser,
    setl_id: &str,
    req: NewAdjustment,
    now: DateTime,
) -> Result<Adjustment, AgencyError> {
    let st = state.settlements.get(setl_id).ok_or_else(|| not_found(setl_id))?;
    let (insured, treatment) = crate::agency::settlement_regions(&state.pack, st);
    if treatment.as_deref() != Some(who.admdvs.as_str()) {
        return Err(not_found(setl_id));
    }
    if st.status != yidi_store::SettlementStatus::Settled {
        return Err(conflict("settlement_reversed", format!("结算 {setl_id} 已被医院撤销，无需拒付")));
    }
    let posting = state.settle_postings.get(setl_id).ok_or_else(|| {
        conflict(
            "not_cross_province",
            format!("结算 {setl_id} 是省内结算，不经跨省清算；拒付、扣款请按省内办法办理"),
        )
    })?;
    if let Some(id) = &req.inquiry_id {
        let linked = state.funds.adjust.inquiries.get(id).is_some_and(|i| i.setl_id == setl_id);
        if !linked {
            return Err(conflict("inquiry_not_found", format!("协查 {id} 不是关于结算 {setl_id} 的协查")));
        }
    }
    let mut left = settled_shares(posting);
    let done = state.funds.adjust.adjusted(setl_id);
    for (fund, amount) in done.iter() {
        left.add(fund, -amount);
    }
    // The personal account (310200) is the insured person's own money, not a fund the regions
    // clear: refusing it would return it to the insured region's books while the person's
    // account stayed debited. Only the pooled funds are refused or recovered.
    let own = left.get(Fund::PersonalAccount);
    left.add(Fund::PersonalAccount, -own);
    let amounts = match req.amounts {
        Amounts::PerFund(a) => {
            if a.get(Fund::PersonalAccount) > Fen::ZERO {
                return Err(conflict(
                    "account_not_refusable",
                    format!(
                        "个人账户支付（310200）是参保人本人的钱，不能拒付或追回；请只填统筹等基金的金额，个人账户部分由医院按协议退还参保人（结算 {setl_id}）"
                    ),
                ));
            }
            for (fund, amount) in a.iter().filter(|(_, a)| *a > Fen::ZERO) {
                if amount > left.get(fund) {
                    return Err(conflict(
                        "exceeds_settlement",
                        format!(
                            "基金 {fund} 拒付/追回 {amount} 元，超过该结算此基金尚可扣回的 {} 元（已扣回 {} 元）",
                            left.get(fund),
                            done.get(fund)
                        ),
                    ));
                }
            }
            a
        }
        Amounts::Total(total) => {
            if total > left.total() {
                return Err(conflict(
                    "exceeds_settlement",
                    format!(
                        "拒付/追回 {total} 元，超过该结算基金支付（不含个人账户）尚可扣回的 {} 元（已扣回 {} 元）",
                        left.total(),
                        done.total()
                    ),
                ));
            }
            apportion(total, &left)
        }
    };
    let cleared = state.ledger.closed_through().is_some_and(|m| m >= posting.month());
    let stage = if cleared { Stage::Recovery } else { req.stage };
    let built = match stage {
        Stage::Recovery => yidi_ledger::recovery(posting, &amounts, now),
        Stage::Refusal | Stage::Deduction => yidi_ledger::refusal(posting, &amounts, now),
    }
    .map_err(|e| conflict("posting_refused", format!("无法记账：{e}")))?;
    let (origin, month) = (posting.month(), built.month());
    let (fixmedins_code, psn_no) = (st.fixmedins_code.clone(), st.psn_no.clone());
    state.put_posting(built).map_err(|e| conflict("month_cleared", format!("无法记账：{e}")))?;
    let adjustment = Adjustment {
        adj_id: format!("TZ{}{:010}", who.admdvs, state.funds.adjust.next_seq()),
        setl_id: setl_id.to_string(),
        stage,
        amounts: amounts
            .iter()
            .filter(|(_, a)| *a > Fen::ZERO)
            .map(|(f, a)| (f.code().into(), a.get()))
            .collect(),
        reason: req.reason,
        evidence: req.evidence,
        inquiry_id: req.inquiry_id,
        fixmedins_code,
        psn_no,
        insured_admdvs: insured.unwrap_or_default(),
        treatment_admdvs: who.admdvs.clone(),
        origin_month: origin.to_string(),
        month: month.to_string(),
        at: time_text(now),
        by: who.name.clone(),
        netted_by: None,
        withdrawn: None,
    };
    record(state, now, &who.name, AdjustEvent::Adjusted(adjustment.clone()));
    Ok(adjustment)
}

/// Withdraws (撤回) an adjustment booked by mistake: its exact reversal, counting in its own month,
/// which must still be open (a cleared month never changes). The facility is owed the amount
/// again: the next payment gives it back if an earlier one had netted it.
pub(crate) fn withdraw(
    state: &mut State,
    who: &AgencyUser,
    adj_id: &str,
    reason: String,
    now: DateTime,
) -> Result<Adjustment, AgencyError> {
    let a = state
        .funds
        .adjust
        .adjustments
        .get(adj_id)
        .filter(|a| a.treatment_admdvs == who.admdvs || a.insured_admdvs == who.admdvs)
        .ok_or_else(|| AgencyError::NotFound {
            code: "adjustment_not_found",
            message: format!("没有本统筹区可查看的拒付/扣款/追回记录 {adj_id}，请核对编号"),
        })?;
    if a.treatment_admdvs != who.admdvs {
        return Err(AgencyError::Forbidden {
            code: "treatment_side_only",
            message: format!("{adj_id} 由就医地经办机构（{}）办理和撤回", a.treatment_admdvs),
        });
    }
    if let Some(w) = &a.withdrawn {
        return Err(conflict("adjustment_withdrawn", format!("{adj_id} 已于 {} 撤回", w.at)));
    }
    let settlement = state.settle_postings.get(&a.setl_id).expect("an adjustment's settlement was posted");
    let at = DateTime::parse(&a.at).expect("a stored time parses");
    let amounts = a.fund_amounts();
    let original = match a.stage {
        Stage::Recovery => yidi_ledger::recovery(settlement, &amounts, at),
        Stage::Refusal | Stage::Deduction => yidi_ledger::refusal(settlement, &amounts, at),
    }
    .expect("an adjustment rebuilds as it was booked");
    let reversal = yidi_ledger::reversal(&original, now.max(original.at()));
    let month = a.month.clone();
    state.put_posting(reversal).map_err(|_| {
        conflict(
            "month_cleared",
            format!(
                "{adj_id} 计入的 {month} 已清算关账，不能撤回；如需退还，请在以后的清算中与参保地协商处理"
            ),
        )
    })?;
    let withdrawal = Withdrawal { at: time_text(now), by: who.name.clone(), reason, credited_by: None };
    record(state, now, &who.name, AdjustEvent::Withdrawn { adj_id: adj_id.to_string(), withdrawal });
    Ok(state.funds.adjust.adjustments[adj_id].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(pairs: &[(Fund, i64)]) -> FundAmounts {
        FundAmounts::of(&pairs.iter().map(|&(f, a)| (f, Fen::new(a))).collect::<Vec<_>>())
    }

    /// The split is exact, proportional, bounded by each fund's share, and deterministic.
    #[test]
    fn totals_split_by_largest_remainder() {
        let left = amounts(&[
            (Fund::EmployeeBasic, 30_000),
            (Fund::LargeAmount, 10_000),
            (Fund::PersonalAccount, 5_000),
        ]);
        let split = apportion(Fen::new(1_000), &left);
        assert_eq!(
            split,
            amounts(&[(Fund::EmployeeBasic, 667), (Fund::LargeAmount, 222), (Fund::PersonalAccount, 111)])
        );
        assert_eq!(apportion(left.total(), &left), left);
        let one = apportion(Fen::new(1), &left);
        assert_eq!(one, amounts(&[(Fund::EmployeeBasic, 1)]));
        for total in 1..=200 {
            let s = apportion(Fen::new(total), &left);
            assert_eq!(s.total().get(), total);
            for (fund, a) in s.iter() {
                assert!(a <= left.get(fund) && !a.is_negative());
            }
        }
    }
}
