//! The `input` nodes of the national transactions (`protocol.md` §6), as a hospital system fills
//! them. Amounts go out as JSON numbers with their exact text (`client::num`), like the §7
//! example; counts and prices as decimal strings.

use serde_json::{Value, json};

use crate::client::num;
use crate::money::{fmt_fen, line_fen};
use crate::profile::{Item, PersonProfile};

/// `mdtrt_cert_type` 02: the identity card, keyed by `certno` (§6 1101).
const CERT_TYPE: &str = "02";
const OPTER_NO: &str = "YCF01";

/// A fee line as uploaded, for later refunds, queries and totals.
#[derive(Clone, Debug)]
pub struct FeeLine {
    pub feedetl_sn: String,
    pub code: String,
    pub cnt: String,
    pub pric: String,
    pub amount_fen: i64,
    pub fee_ocur_time: String,
}

impl FeeLine {
    pub fn of_item(item: &Item, feedetl_sn: String, default_time: &str) -> FeeLine {
        FeeLine {
            feedetl_sn,
            code: item.code.clone(),
            cnt: item.cnt.clone(),
            pric: item.pric.clone(),
            amount_fen: line_fen(&item.cnt, &item.pric).expect("profile items are checked"),
            fee_ocur_time: item.fee_ocur_time.clone().unwrap_or_else(|| default_time.to_string()),
        }
    }
    /// A refund of `cnt` (negative) units of this line, under a new serial number.
    pub fn refund(&self, feedetl_sn: String, cnt: &str) -> FeeLine {
        FeeLine {
            feedetl_sn,
            cnt: cnt.to_string(),
            amount_fen: line_fen(cnt, &self.pric).expect("refund count is a decimal"),
            ..self.clone()
        }
    }
}

pub fn sign_in() -> Value {
    json!({"signIn": {"opter_no": OPTER_NO, "mac": "00-00-00-00-00-00", "ip": "127.0.0.1"}})
}

pub fn sign_out(sign_no: &str) -> Value {
    json!({"signOut": {"sign_no": sign_no, "opter_no": OPTER_NO}})
}

pub fn facility_query(code: &str) -> Value {
    json!({"medinsinfo": {"fixmedins_code": code}})
}

pub fn person_info(p: &PersonProfile, begntime: &str) -> Value {
    json!({"data": {"mdtrt_cert_type": CERT_TYPE, "mdtrt_cert_no": p.certno, "psn_cert_type": "01",
        "certno": p.certno, "psn_name": p.name, "begntime": begntime}})
}

pub fn treatment_check(p: &PersonProfile, med_type: &str, begntime: &str, dise_codg: &str) -> Value {
    json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype, "med_type": med_type, "begntime": begntime,
        "dise_codg": dise_codg}})
}

pub fn register(p: &PersonProfile, insutype: &str, begntime: &str, ipt_otp_no: &str) -> Value {
    json!({"data": {"psn_no": p.psn_no, "insutype": insutype, "begntime": begntime, "mdtrt_cert_type": CERT_TYPE,
        "mdtrt_cert_no": p.certno, "ipt_otp_no": ipt_otp_no, "dept_code": "A01", "dept_name": "内科",
        "caty": "A03"}})
}

pub fn cancel_registration(psn_no: &str, mdtrt_id: &str, ipt_otp_no: &str) -> Value {
    json!({"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": ipt_otp_no}})
}

fn diseinfo(dise_codg: &str, dise_name: &str) -> Value {
    json!([{"diag_type": "1", "maindiag_flag": "1", "diag_srt_no": "1", "diag_code": dise_codg,
        "diag_name": dise_name}])
}

pub fn visit_info(psn_no: &str, mdtrt_id: &str, med_type: &str, begntime: &str, dise: (&str, &str)) -> Value {
    json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": med_type, "begntime": begntime,
        "dise_codg": dise.0, "dise_name": dise.1}, "diseinfo": diseinfo(dise.0, dise.1)})
}

/// 2204's `feedetail[]`.
pub fn outpatient_fees(psn_no: &str, mdtrt_id: &str, chrg_bchno: &str, lines: &[FeeLine]) -> Value {
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({"feedetl_sn": l.feedetl_sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": chrg_bchno,
                "fee_ocur_time": l.fee_ocur_time, "med_list_codg": l.code, "medins_list_codg": l.code,
                "det_item_fee_sumamt": num(&fmt_fen(l.amount_fen)), "cnt": l.cnt, "pric": l.pric})
        })
        .collect();
    json!({"feedetail": rows})
}

/// 2301's `feedetail[]`; a line with a negative `cnt` names the line it refunds.
pub fn stay_fees(psn_no: &str, mdtrt_id: &str, lines: &[(FeeLine, Option<String>)]) -> Value {
    let rows: Vec<Value> = lines
        .iter()
        .map(|(l, init)| {
            let mut row = json!({"feedetl_sn": l.feedetl_sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                "fee_ocur_time": l.fee_ocur_time, "med_list_codg": l.code, "medins_list_codg": l.code,
                "det_item_fee_sumamt": num(&fmt_fen(l.amount_fen)), "cnt": l.cnt, "pric": l.pric,
                "drord_no": format!("YZ{}", l.feedetl_sn)});
            if let Some(init) = init {
                row["init_feedetl_sn"] = json!(init);
            }
            row
        })
        .collect();
    json!({"feedetail": rows})
}

pub fn withdraw_batch(psn_no: &str, mdtrt_id: &str, chrg_bchno: &str) -> Value {
    json!({"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": chrg_bchno, "psn_no": psn_no}})
}

/// What a settlement request names.
pub struct SettleReq<'a> {
    pub person: &'a PersonProfile,
    pub mdtrt_id: &'a str,
    pub chrg_bchno: Option<&'a str>,
    pub med_type: &'a str,
    pub medfee_fen: i64,
    pub acct_used_flag: &'a str,
}

/// How an amount is written: a JSON number (`666.50`) or a decimal string (`"666.50"`); both are
/// accepted (§2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountForm {
    Number,
    Text,
}

/// 2206/2303 `data` (with `chrg_bchno` for outpatient), `medfee_sumamt` written as `form`.
pub fn pre_settle(r: &SettleReq<'_>, form: AmountForm) -> Value {
    let medfee = fmt_fen(r.medfee_fen);
    let medfee = match form {
        AmountForm::Number => num(&medfee),
        AmountForm::Text => json!(medfee),
    };
    let mut data = json!({"psn_no": r.person.psn_no, "mdtrt_cert_type": CERT_TYPE, "mdtrt_cert_no": r.person.certno,
        "med_type": r.med_type, "medfee_sumamt": medfee,
        "psn_setlway": "01", "mdtrt_id": r.mdtrt_id, "acct_used_flag": r.acct_used_flag,
        "insutype": r.person.insutype});
    if let Some(b) = r.chrg_bchno {
        data["chrg_bchno"] = json!(b);
    } else {
        data["mid_setl_flag"] = json!("0");
    }
    json!({"data": data})
}

/// 2207/2304 `data`: the pre-settlement fields plus the four split amounts as answered by the
/// pre-settlement (`split`, exact text) and an invoice number.
pub fn settle(r: &SettleReq<'_>, split: &[(String, String)], invono: &str) -> Value {
    let mut v = pre_settle(r, AmountForm::Number);
    for (field, amount) in split {
        v["data"][field] = num(amount);
    }
    v["data"]["invono"] = json!(invono);
    v
}

pub fn cancel_settlement(psn_no: &str, mdtrt_id: &str, setl_id: &str) -> Value {
    json!({"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
}

/// What an admission names.
pub struct AdmitReq<'a> {
    pub person: &'a PersonProfile,
    pub begntime: &'a str,
    pub med_type: &'a str,
    pub ipt_no: &'a str,
    pub dept: (&'a str, &'a str),
    pub dise: (&'a str, &'a str),
}

pub fn admit(r: &AdmitReq<'_>) -> Value {
    json!({"mdtrtinfo": {"psn_no": r.person.psn_no, "insutype": r.person.insutype, "begntime": r.begntime,
        "mdtrt_cert_type": CERT_TYPE, "mdtrt_cert_no": r.person.certno, "med_type": r.med_type,
        "ipt_no": r.ipt_no, "adm_dept_codg": r.dept.0, "adm_dept_name": r.dept.1, "dise_codg": r.dise.0,
        "dise_name": r.dise.1, "atddr_no": "D001", "chfpdr_name": "主治医师"},
        "diseinfo": diseinfo(r.dise.0, r.dise.1)})
}

pub fn discharge(r: &AdmitReq<'_>, mdtrt_id: &str, endtime: &str) -> Value {
    json!({"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": r.person.psn_no, "insutype": r.person.insutype,
        "endtime": endtime, "dscg_way": "1", "dscg_dept_codg": r.dept.0, "dscg_dept_name": r.dept.1,
        "dise_codg": r.dise.0, "dise_name": r.dise.1}, "diseinfo": diseinfo(r.dise.0, r.dise.1)})
}

pub fn change_admission(psn_no: &str, mdtrt_id: &str, dept_name: &str) -> Value {
    json!({"adminfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "adm_dept_name": dept_name}})
}

pub fn withdraw_stay_lines(psn_no: &str, mdtrt_id: &str, feedetl_sns: &[&str]) -> Value {
    let rows: Vec<Value> = feedetl_sns
        .iter()
        .map(|sn| json!({"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no}))
        .collect();
    json!({"data": rows})
}

/// 2404/2405 `data`.
pub fn stay(psn_no: &str, mdtrt_id: &str) -> Value {
    json!({"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}})
}

pub fn reverse_call(psn_no: &str, omsgid: &str, oinfno: &str) -> Value {
    json!({"data": {"psn_no": psn_no, "omsgid": omsgid, "oinfno": oinfno}})
}

pub fn settlement_query(psn_no: &str, setl_id: &str, mdtrt_id: &str) -> Value {
    json!({"data": {"psn_no": psn_no, "setl_id": setl_id, "mdtrt_id": mdtrt_id}})
}

pub fn lines_query(psn_no: &str, mdtrt_id: &str) -> Value {
    json!({"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "yidi_page_num": "1"}})
}
