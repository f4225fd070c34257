//! The person's own manual reimbursements (手工报销) for the portal and `/api/person/
//! reimbursements`: each with its status, its amounts split as the engine split them, and the
//! engine's explanation. Unlike the rest of `public`, this reads one person's records — always
//! the signed-in person's `psn_no`, given by the HTTP edge from the session — and carries no
//! identity number or name (the edge adds the masked identity).
//!
//! `Hub::person_reimbursements` (funds part B) answers a short summary and an empty list when
//! the hub is stopping; this answer carries the whole explanation and says "unavailable"
//! instead, so a person is never told "no reimbursement" because the hub was busy.

use serde::Serialize;
use yidi_domain::Fen;

use crate::adjust::{ReimburseStatus, Reimbursement};
use crate::agency::AgencyError;
use crate::hub::Hub;

/// One manual reimbursement as its person sees it. Amounts are yuan text with two decimals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonReimbursementView {
    pub reimb_id: String,
    pub fixmedins_code: String,
    pub fixmedins_name: Option<String>,
    pub receipt_no: String,
    /// The national `med_type` of the bill (`11` outpatient, `21` inpatient, …).
    pub med_type: String,
    pub begntime: String,
    pub endtime: Option<String>,
    pub medfee_sumamt: String,
    pub fulamt_ownpay_amt: String,
    pub overlmt_selfpay: String,
    pub preselfpay_amt: String,
    pub inscp_scp_amt: String,
    pub act_pay_dedc: String,
    pub hifp_pay: String,
    pub hifob_pay: String,
    pub hifmi_pay: String,
    pub maf_pay: String,
    /// What the funds reimburse to the person.
    pub fund_pay_sumamt: String,
    /// What the person bears.
    pub psn_part_amt: String,
    /// `computed` (核算完成，待支付) or `paid` (已支付).
    pub status: ReimburseStatus,
    pub status_name: &'static str,
    pub computed_at: String,
    pub paid_at: Option<String>,
    /// The engine's explanation, one step per line (Chinese, citing catalog and policy rows).
    pub trace: Vec<String>,
}

fn yuan(fen: i64) -> String {
    Fen::new(fen).yuan()
}

fn view(r: &Reimbursement) -> PersonReimbursementView {
    PersonReimbursementView {
        reimb_id: r.reimb_id.clone(),
        fixmedins_code: r.fixmedins_code.clone(),
        fixmedins_name: r.fixmedins_name.clone(),
        receipt_no: r.receipt_no.clone(),
        med_type: r.med_type.clone(),
        begntime: r.begntime.clone(),
        endtime: r.endtime.clone(),
        medfee_sumamt: yuan(r.medfee_sumamt),
        fulamt_ownpay_amt: yuan(r.fulamt_ownpay_amt),
        overlmt_selfpay: yuan(r.overlmt_selfpay),
        preselfpay_amt: yuan(r.preselfpay_amt),
        inscp_scp_amt: yuan(r.inscp_scp_amt),
        act_pay_dedc: yuan(r.act_pay_dedc),
        hifp_pay: yuan(r.hifp_pay),
        hifob_pay: yuan(r.hifob_pay),
        hifmi_pay: yuan(r.hifmi_pay),
        maf_pay: yuan(r.maf_pay),
        fund_pay_sumamt: yuan(r.fund_pay_sumamt),
        psn_part_amt: yuan(r.psn_part_amt),
        status: r.status,
        status_name: match r.status {
            ReimburseStatus::Computed => "已核算，待支付",
            ReimburseStatus::Paid => "已支付",
        },
        computed_at: r.computed_at.clone(),
        paid_at: r.paid_at.clone(),
        trace: r.trace.clone(),
    }
}

impl Hub {
    /// The manual reimbursements of `psn_no` (the session's), newest first, each explained.
    pub async fn person_reimbursement_views(
        &self,
        psn_no: &str,
    ) -> Result<Vec<PersonReimbursementView>, AgencyError> {
        let psn_no = psn_no.to_string();
        self.on_sequencer(move |state, _| {
            let mut rows: Vec<&Reimbursement> = state.funds.adjust.reimbursements_of(&psn_no).collect();
            rows.sort_by(|a, b| b.computed_at.cmp(&a.computed_at).then(b.reimb_id.cmp(&a.reimb_id)));
            rows.into_iter().map(view).collect()
        })
        .await
        .ok_or(AgencyError::Unavailable)
    }
}
