//! Verification requests (协查, rule 27): the insured-region agency asks the treatment-region
//! agency about one cross-region settlement of its insured person; the treatment side answers
//! with a finding and, when the audit found something, a link to the refusal or recovery it
//! booked. The deadline is a number of working days (Monday–Friday, [`add_working_days`])
//! after the day the request was opened, [`super::INQUIRY_WORKING_DAYS_DEFAULT`] unless the
//! request says; a request unanswered after its deadline is overdue, one answered after it late.

use yidi_domain::{Date, DateTime};

use super::{AdjustEvent, Inquiry, InquiryAnswer, record, time_text};
use crate::agency::{AgencyError, AgencyUser};
use crate::state::State;

fn not_found(setl_id: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "settlement_not_found",
        message: format!("本统筹区参保人没有结算 {setl_id}，请核对结算ID（协查由参保地经办机构发起）"),
    }
}

fn inquiry_not_found(id: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "inquiry_not_found",
        message: format!("没有本统筹区可查看的协查 {id}，请核对协查编号"),
    }
}

/// Opens a request on a settlement of a person insured in the agency's region.
pub(crate) fn open(
    state: &mut State,
    who: &AgencyUser,
    setl_id: &str,
    question: String,
    working_days: u32,
    now: DateTime,
) -> Result<Inquiry, AgencyError> {
    let st = state.settlements.get(setl_id).ok_or_else(|| not_found(setl_id))?;
    let (insured, treatment) = crate::agency::settlement_regions(&state.pack, st);
    if insured.as_deref() != Some(who.admdvs.as_str()) {
        return Err(not_found(setl_id));
    }
    if st.status != yidi_store::SettlementStatus::Settled {
        return Err(AgencyError::Conflict {
            code: "settlement_reversed",
            message: format!("结算 {setl_id} 已被医院撤销，无需协查"),
        });
    }
    let treatment = treatment.unwrap_or_else(|| st.clr_optins.clone());
    if treatment == who.admdvs {
        return Err(AgencyError::Conflict {
            code: "not_cross_region",
            message: format!("结算 {setl_id} 是本统筹区内就医，无需向其他地区发起协查"),
        });
    }
    let deadline = add_working_days(now.date(), working_days);
    let inquiry = Inquiry {
        inquiry_id: format!("XC{}{:010}", who.admdvs, state.funds.adjust.next_seq()),
        setl_id: setl_id.to_string(),
        fixmedins_code: st.fixmedins_code.clone(),
        psn_no: st.psn_no.clone(),
        insured_admdvs: who.admdvs.clone(),
        treatment_admdvs: treatment,
        question,
        opened_at: time_text(now),
        opened_by: who.name.clone(),
        deadline: deadline.to_string(),
        answer: None,
    };
    record(state, now, &who.name, AdjustEvent::InquiryOpened(inquiry.clone()));
    Ok(inquiry)
}

/// The treatment side answers a request; a linked adjustment must be of the same settlement.
pub(crate) fn answer(
    state: &mut State,
    who: &AgencyUser,
    inquiry_id: &str,
    finding: String,
    adj_id: Option<String>,
    now: DateTime,
) -> Result<Inquiry, AgencyError> {
    let book = &state.funds.adjust;
    let inquiry = book
        .inquiries
        .get(inquiry_id)
        .filter(|i| i.treatment_admdvs == who.admdvs || i.insured_admdvs == who.admdvs)
        .ok_or_else(|| inquiry_not_found(inquiry_id))?;
    if inquiry.treatment_admdvs != who.admdvs {
        return Err(AgencyError::Forbidden {
            code: "treatment_side_only",
            message: format!("协查 {inquiry_id} 由就医地经办机构（{}）答复", inquiry.treatment_admdvs),
        });
    }
    if let Some(a) = &inquiry.answer {
        return Err(AgencyError::Conflict {
            code: "inquiry_answered",
            message: format!("协查 {inquiry_id} 已于 {} 答复", a.answered_at),
        });
    }
    if let Some(id) = &adj_id
        && book.adjustments.get(id).is_none_or(|a| a.setl_id != inquiry.setl_id)
    {
        return Err(AgencyError::Conflict {
            code: "adjustment_not_found",
            message: format!("拒付/追回记录 {id} 不是结算 {} 的记录", inquiry.setl_id),
        });
    }
    let answer =
        InquiryAnswer { finding, adj_id, answered_at: time_text(now), answered_by: who.name.clone() };
    let event = AdjustEvent::InquiryAnswered { inquiry_id: inquiry_id.to_string(), answer };
    record(state, now, &who.name, event);
    Ok(state.funds.adjust.inquiries[inquiry_id].clone())
}

/// The date `n` working days (Monday–Friday; public holidays are not modelled, so a deadline
/// is early rather than late) after `from`, `from` itself not counted.
pub fn add_working_days(from: Date, n: u32) -> Date {
    let mut date = from;
    let mut left = n;
    while left > 0 {
        date = date.add_days(1);
        // Day 0 (1970-01-01) was a Thursday: (days + 3) mod 7 counts from Monday = 0.
        if (date.to_days() + 3).rem_euclid(7) < 5 {
            left -= 1;
        }
    }
    date
}

/// One request either side may see.
pub(crate) fn get(state: &State, who: &AgencyUser, inquiry_id: &str) -> Result<Inquiry, AgencyError> {
    state
        .funds
        .adjust
        .inquiries
        .get(inquiry_id)
        .filter(|i| i.treatment_admdvs == who.admdvs || i.insured_admdvs == who.admdvs)
        .cloned()
        .ok_or_else(|| inquiry_not_found(inquiry_id))
}
