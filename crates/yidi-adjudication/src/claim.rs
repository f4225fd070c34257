//! A claim as the engine reads it: already parsed from the wire, every value typed.

use yidi_domain::{DateTime, FacilityCode, Fen, MedType, Price, Qty};

/// One bill to adjudicate: a visit or a whole inpatient stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub claim_id: String,
    pub psn_no: String,
    pub fixmedins_code: FacilityCode,
    pub med_type: MedType,
    /// Visit or admission time; its date is the service date.
    pub begntime: DateTime,
    /// Discharge time for inpatients.
    pub endtime: Option<DateTime>,
    /// When the settlement happens (decides which filings count).
    pub setl_time: DateTime,
    /// Main diagnosis (ICD-10), required for chronic care and diagnosis restrictions.
    pub dise_codg: Option<String>,
    /// The hospital flags the visit as an emergency (抢救) even if `med_type` does not say so.
    pub emergency: bool,
    /// The person agrees to pay from the personal account (`acct_used_flag = 1`).
    pub acct_used: bool,
    pub lines: Vec<FeeLine>,
}

/// One fee line (`feedetail`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeLine {
    pub feedetl_sn: String,
    pub med_list_codg: String,
    pub cnt: Qty,
    pub pric: Price,
    /// `det_item_fee_sumamt`: must equal `line_fen(cnt, pric)`.
    pub amount: Fen,
    /// When the fee occurred; decides the catalog version. Absent = the service date.
    pub fee_ocur_time: Option<DateTime>,
}

impl Claim {
    /// `begntime`'s date: the visit date, or the admission date for a stay.
    pub fn service_date(&self) -> yidi_domain::Date {
        self.begntime.date()
    }
}
