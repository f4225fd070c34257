//! The `output` nodes of `protocol.md` §6–7: serialisable structs with the national field names
//! in the national order. Amounts are [`Fen`] inside and yuan with two decimals on the wire
//! (`666.50`), ratios [`Bp`] inside and four-place fractions on the wire (`0.7000`).
//!
//! Also the dictionary helpers the outputs need (`psn_type`, `med_chrgitm_type`, fund names),
//! the age rule of 1101, negation for cancellations and the five settlement identities.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use yidi_adjudication::Settlement;
use yidi_domain::{BenefitKind, Bp, Date, DateTime, Fen, InsuType, ListType, Price, PsnGroup, Qty};

use crate::limits::SETL_PROC_INFO_CHARS_MAX;
use crate::result::{Fraction, Yuan};

fn raw<S: Serializer>(text: String, serializer: S) -> Result<S::Ok, S::Error> {
    RawValue::from_string(text).map_err(serde::ser::Error::custom)?.serialize(serializer)
}

fn yuan<S: Serializer>(v: &Fen, serializer: S) -> Result<S::Ok, S::Error> {
    Yuan(*v).serialize(serializer)
}

fn opt_yuan<S: Serializer>(v: &Option<Fen>, serializer: S) -> Result<S::Ok, S::Error> {
    v.map(Yuan).serialize(serializer)
}

fn fraction<S: Serializer>(v: &Bp, serializer: S) -> Result<S::Ok, S::Error> {
    Fraction(*v).serialize(serializer)
}

/// Tenths as a number with one decimal (`525` → `52.5`).
fn tenths<S: Serializer>(v: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    let sign = if *v < 0 { "-" } else { "" };
    raw(format!("{sign}{}.{}", v.unsigned_abs() / 10, v.unsigned_abs() % 10), serializer)
}

fn text<T: std::fmt::Display, S: Serializer>(v: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(v)
}

fn opt_text<T: std::fmt::Display, S: Serializer>(v: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}

fn flag<S: Serializer>(v: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(if *v { "1" } else { "0" })
}

fn qty<S: Serializer>(v: &Qty, serializer: S) -> Result<S::Ok, S::Error> {
    raw(v.to_string(), serializer)
}

fn price<S: Serializer>(v: &Price, serializer: S) -> Result<S::Ok, S::Error> {
    raw(v.to_string(), serializer)
}

/// A unit-price cap; `None` (uncapped) is the national `999999`.
fn price_cap<S: Serializer>(v: &Option<Fen>, serializer: S) -> Result<S::Ok, S::Error> {
    raw(v.map_or_else(|| "999999".to_string(), Fen::yuan), serializer)
}

/// `setlinfo` (§7 example, in its order). `setl_id`, `setl_time`, `clr_optins` and `clr_way`
/// are null in a pre-settlement (2206/2303).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetlInfoOut {
    pub mdtrt_id: String,
    pub setl_id: Option<String>,
    pub psn_no: String,
    pub psn_name: String,
    pub psn_cert_type: String,
    pub certno: String,
    pub gend: String,
    /// Always null: Yidi does not hold ethnicity.
    pub naty: Option<String>,
    #[serde(serialize_with = "text")]
    pub brdy: Date,
    /// Years in tenths (`525` = 52.5), see [`age_years`].
    #[serde(serialize_with = "tenths")]
    pub age: i64,
    pub insutype: String,
    pub psn_type: String,
    pub cvlserv_flag: String,
    #[serde(serialize_with = "opt_text")]
    pub setl_time: Option<DateTime>,
    pub mdtrt_cert_type: String,
    pub med_type: String,
    #[serde(serialize_with = "yuan")]
    pub medfee_sumamt: Fen,
    #[serde(serialize_with = "yuan")]
    pub fulamt_ownpay_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub overlmt_selfpay: Fen,
    #[serde(serialize_with = "yuan")]
    pub preselfpay_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub inscp_scp_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub act_pay_dedc: Fen,
    #[serde(serialize_with = "yuan")]
    pub hifp_pay: Fen,
    #[serde(serialize_with = "fraction")]
    pub pool_prop_selfpay: Bp,
    #[serde(serialize_with = "yuan")]
    pub cvlserv_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub hifes_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub hifmi_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub hifob_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub maf_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub oth_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub fund_pay_sumamt: Fen,
    #[serde(serialize_with = "yuan")]
    pub psn_part_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub acct_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub psn_cash_pay: Fen,
    #[serde(serialize_with = "yuan")]
    pub hosp_part_amt: Fen,
    /// The account balance after this settlement (or cancellation).
    #[serde(serialize_with = "yuan")]
    pub balc: Fen,
    #[serde(serialize_with = "yuan")]
    pub acct_mulaid_pay: Fen,
    /// The `msgid` that made the record.
    pub medins_setl_id: Option<String>,
    pub clr_optins: Option<String>,
    pub clr_way: Option<String>,
    pub clr_type: String,
    /// 5203 only: `1` for a cancellation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refd_setl_flag: Option<String>,
}

/// One `setldetail[]` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetlDetailOut {
    pub fund_pay_type: String,
    /// The settlement's `inscp_scp_amt`.
    #[serde(serialize_with = "yuan")]
    pub inscp_scp_amt: Fen,
    /// What the fund could still pay before this settlement; null for the account and when
    /// uncapped.
    #[serde(serialize_with = "opt_yuan")]
    pub crt_payb_lmt_amt: Option<Fen>,
    #[serde(serialize_with = "yuan")]
    pub fund_payamt: Fen,
    pub fund_pay_type_name: String,
    /// At most [`SETL_PROC_INFO_CHARS_MAX`] characters.
    pub setl_proc_info: String,
}

/// The settlement `output` of 2206, 2207, 2208, 2303, 2304, 2305 and 5203.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettlementOut {
    pub setlinfo: SetlInfoOut,
    pub setldetail: Vec<SetlDetailOut>,
}

/// What a settlement output needs besides the engine's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetlIds {
    pub mdtrt_id: String,
    /// `None` in a pre-settlement.
    pub setl_id: Option<String>,
    /// `None` in a pre-settlement.
    pub setl_time: Option<DateTime>,
    pub mdtrt_cert_type: String,
    /// The `msgid` that made the record; `None` in a pre-settlement.
    pub medins_setl_id: Option<String>,
}

/// Builds `setlinfo` and `setldetail` from a settlement of the engine. A pre-settlement (no
/// `setl_id`) has null `setl_time`, `clr_optins` and `clr_way`. The result satisfies
/// [`check_identities`] (asserted).
pub fn settlement_out(s: &Settlement<'_>, ids: &SetlIds) -> SettlementOut {
    let i = &s.setlinfo;
    let p = s.person;
    let settled = ids.setl_id.is_some();
    let setlinfo = SetlInfoOut {
        mdtrt_id: ids.mdtrt_id.clone(),
        setl_id: ids.setl_id.clone(),
        psn_no: p.psn_no.clone(),
        psn_name: p.name.clone(),
        psn_cert_type: "01".to_string(),
        certno: p.certno.as_str().to_string(),
        gend: p.gend.as_str().to_string(),
        naty: None,
        brdy: p.brdy,
        age: age_years(p.brdy, s.claim.setl_time.date()),
        insutype: p.insutype.as_str().to_string(),
        psn_type: psn_type(p.insutype, p.psn_group).to_string(),
        cvlserv_flag: "0".to_string(),
        setl_time: if settled { ids.setl_time } else { None },
        mdtrt_cert_type: ids.mdtrt_cert_type.clone(),
        med_type: s.claim.med_type.to_string(),
        medfee_sumamt: i.medfee_sumamt,
        fulamt_ownpay_amt: i.fulamt_ownpay_amt,
        overlmt_selfpay: i.overlmt_selfpay,
        preselfpay_amt: i.preselfpay_amt,
        inscp_scp_amt: i.inscp_scp_amt,
        act_pay_dedc: i.act_pay_dedc,
        hifp_pay: i.hifp_pay,
        pool_prop_selfpay: i.pool_prop_selfpay,
        cvlserv_pay: i.cvlserv_pay,
        hifes_pay: i.hifes_pay,
        hifmi_pay: i.hifmi_pay,
        hifob_pay: i.hifob_pay,
        maf_pay: i.maf_pay,
        oth_pay: i.oth_pay,
        fund_pay_sumamt: i.fund_pay_sumamt,
        psn_part_amt: i.psn_part_amt,
        acct_pay: i.acct_pay,
        psn_cash_pay: i.psn_cash_pay,
        hosp_part_amt: i.hosp_part_amt,
        balc: i.balc,
        acct_mulaid_pay: Fen::ZERO,
        medins_setl_id: ids.medins_setl_id.clone(),
        clr_optins: settled.then(|| s.treatment_region.admdvs.to_string()),
        clr_way: settled.then(|| "01".to_string()),
        clr_type: clr_type(s.kind).to_string(),
        refd_setl_flag: None,
    };
    let setldetail = s.setldetail.iter().map(|d| detail_row(s, d.fund_pay_type, d.amount)).collect();
    let out = SettlementOut { setlinfo, setldetail };
    check_identities(&out.setlinfo, &out.setldetail);
    out
}

/// `clr_type`: `11` outpatient and chronic, `21` inpatient.
pub fn clr_type(kind: BenefitKind) -> &'static str {
    match kind {
        BenefitKind::Outpatient | BenefitKind::Chronic => "11",
        BenefitKind::Inpatient => "21",
    }
}

fn detail_row(s: &Settlement<'_>, fund_pay_type: &str, amount: Fen) -> SetlDetailOut {
    let i = &s.setlinfo;
    let (limit, info) = match fund_pay_type {
        "310100" | "390100" => (
            s.workings.cap_left,
            format!(
                "起付线{}；统筹支付{}，支付比例{}",
                i.act_pay_dedc,
                i.hifp_pay,
                i.pool_prop_selfpay.fraction()
            ),
        ),
        "330100" => (None, format!("大额医疗费用补助支付{}", i.hifob_pay)),
        "390200" => (None, format!("大病保险支付{}", i.hifmi_pay)),
        "610100" => (None, format!("医疗救助支付{}", i.maf_pay)),
        _ => (None, format!("起付线{}；个人账户支付{}，余额{}", i.act_pay_dedc, i.acct_pay, i.balc)),
    };
    SetlDetailOut {
        fund_pay_type: fund_pay_type.to_string(),
        inscp_scp_amt: i.inscp_scp_amt,
        crt_payb_lmt_amt: limit,
        fund_payamt: amount,
        fund_pay_type_name: fund_pay_type_name(fund_pay_type).to_string(),
        setl_proc_info: info.chars().take(SETL_PROC_INFO_CHARS_MAX).collect(),
    }
}

/// The cancellation of a settlement (§6 "Settlement output"): every amount negated, ratio, age
/// and codes unchanged. The caller then sets `setl_time` (the cancellation's), `medins_setl_id`
/// (the cancelling `msgid`) and `balc` (the balance after), which are left as they were.
pub fn negate(info: &SetlInfoOut) -> SetlInfoOut {
    let mut out = info.clone();
    for amount in [
        &mut out.medfee_sumamt,
        &mut out.fulamt_ownpay_amt,
        &mut out.overlmt_selfpay,
        &mut out.preselfpay_amt,
        &mut out.inscp_scp_amt,
        &mut out.act_pay_dedc,
        &mut out.hifp_pay,
        &mut out.cvlserv_pay,
        &mut out.hifes_pay,
        &mut out.hifmi_pay,
        &mut out.hifob_pay,
        &mut out.maf_pay,
        &mut out.oth_pay,
        &mut out.fund_pay_sumamt,
        &mut out.psn_part_amt,
        &mut out.acct_pay,
        &mut out.psn_cash_pay,
        &mut out.hosp_part_amt,
        &mut out.acct_mulaid_pay,
    ] {
        *amount = -*amount;
    }
    out
}

/// The `setldetail` of a cancellation: amounts negated, `crt_payb_lmt_amt` null.
pub fn negate_details(rows: &[SetlDetailOut]) -> Vec<SetlDetailOut> {
    rows.iter()
        .map(|r| SetlDetailOut {
            inscp_scp_amt: -r.inscp_scp_amt,
            crt_payb_lmt_amt: None,
            fund_payamt: -r.fund_payamt,
            ..r.clone()
        })
        .collect()
}

/// The five identities of §6 "Settlement output" that fail, each described; empty when all hold.
pub fn identity_violations(i: &SetlInfoOut, details: &[SetlDetailOut]) -> Vec<String> {
    let mut out = Vec::new();
    let parts = i.fulamt_ownpay_amt + i.overlmt_selfpay + i.preselfpay_amt + i.inscp_scp_amt;
    if i.medfee_sumamt != parts {
        out.push(format!("1: medfee_sumamt {} ≠ {parts}", i.medfee_sumamt));
    }
    let funds = i.hifp_pay + i.cvlserv_pay + i.hifes_pay + i.hifmi_pay + i.hifob_pay + i.maf_pay + i.oth_pay;
    if i.fund_pay_sumamt != funds {
        out.push(format!("2: fund_pay_sumamt {} ≠ {funds}", i.fund_pay_sumamt));
    }
    let part = i.medfee_sumamt - i.fund_pay_sumamt - i.hosp_part_amt;
    if i.psn_part_amt != part {
        out.push(format!("3: psn_part_amt {} ≠ {part}", i.psn_part_amt));
    }
    if i.psn_part_amt != i.acct_pay + i.psn_cash_pay {
        out.push(format!("4: psn_part_amt {} ≠ {} + {}", i.psn_part_amt, i.acct_pay, i.psn_cash_pay));
    }
    let paid: Fen = details.iter().map(|d| d.fund_payamt).sum();
    if paid != i.fund_pay_sumamt + i.acct_pay {
        out.push(format!("5: Σ fund_payamt {paid} ≠ {} + {}", i.fund_pay_sumamt, i.acct_pay));
    }
    out
}

/// Asserts the five identities before an answer leaves: a failure is a bug, never bad input.
pub fn check_identities(info: &SetlInfoOut, details: &[SetlDetailOut]) {
    let violations = identity_violations(info, details);
    assert!(violations.is_empty(), "settlement identities broken: {violations:?}");
}

/// `psn_type` (§6 dictionaries): 1101 employee in service, 1201 retired, 1501 resident adult,
/// 1403 minor. A group outside its insurance type reads as that type's first group.
pub fn psn_type(insutype: InsuType, group: PsnGroup) -> &'static str {
    match (insutype, group) {
        (InsuType::Employee, PsnGroup::Retired) => "1201",
        (InsuType::Employee, _) => "1101",
        (InsuType::Resident, PsnGroup::Minor) => "1403",
        (InsuType::Resident, _) => "1501",
    }
}

/// Age at `at` in tenths of a year (1101 `age`, N(4,1)): whole years plus the months since the
/// last birthday over 12, rounded half-up to a tenth. `1972-08-15` at `2025-03-02` → 525.
pub fn age_years(brdy: Date, at: Date) -> i64 {
    let mut months = (i64::from(at.year()) - i64::from(brdy.year())) * 12 + i64::from(at.month())
        - i64::from(brdy.month());
    if at.day() < brdy.day() {
        months -= 1;
    }
    if months <= 0 {
        return 0;
    }
    // months / 12 years in tenths, half-up: floor((months × 10 + 6) / 12).
    (months * 10 + 6) / 12
}

/// `med_chrgitm_type` until the catalogue carries it (§6 2204): drugs `09`, `Z…` codes `11`,
/// `T…` codes `10`, materials `08`, services `14`.
pub fn med_chrgitm_type(code: &str, list_type: ListType) -> &'static str {
    match list_type {
        ListType::Drug if code.starts_with('Z') => "11",
        ListType::Drug if code.starts_with('T') => "10",
        ListType::Drug => "09",
        ListType::Material => "08",
        ListType::Service => "14",
    }
}

/// The Chinese name of a `fund_pay_type`; `""` for a code Yidi does not emit.
pub fn fund_pay_type_name(code: &str) -> &'static str {
    match code {
        "310100" => "职工基本医疗保险统筹基金",
        "310200" => "职工基本医疗保险个人账户基金",
        "330100" => "职工大额医疗费用补助基金",
        "390100" => "城乡居民基本医疗保险基金",
        "390200" => "城乡居民大病医疗保险基金",
        "610100" => "医疗救助基金",
        _ => "",
    }
}

/// One 2204/2301 `result[]` row: the line's echo and its split (`settlement.md` §2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeResultOut {
    pub feedetl_sn: String,
    #[serde(serialize_with = "yuan")]
    pub det_item_fee_sumamt: Fen,
    #[serde(serialize_with = "qty")]
    pub cnt: Qty,
    #[serde(serialize_with = "price")]
    pub pric: Price,
    /// The catalogue's unit-price cap; `999999` when uncapped.
    #[serde(serialize_with = "price_cap")]
    pub pric_uplmt_amt: Option<Fen>,
    #[serde(serialize_with = "fraction")]
    pub selfpay_prop: Bp,
    #[serde(serialize_with = "yuan")]
    pub fulamt_ownpay_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub overlmt_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub preselfpay_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub inscp_scp_amt: Fen,
    pub chrgitm_lv: String,
    pub med_chrgitm_type: String,
    pub bas_medn_flag: Option<String>,
    pub hi_nego_drug_flag: Option<String>,
    pub chld_medc_flag: Option<String>,
    pub list_sp_item_flag: Option<String>,
    /// A restriction (med_type, level, diagnosis) applied to the line.
    #[serde(serialize_with = "flag")]
    pub lmt_used_flag: bool,
    pub drt_reim_flag: Option<String>,
    /// Why the line is wholly self-paid, if it is.
    pub memo: Option<String>,
}

/// 2204/2301 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeUploadOut {
    pub result: Vec<FeeResultOut>,
}

/// 1101 `baseinfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaseInfoOut {
    pub psn_no: String,
    pub psn_cert_type: String,
    pub certno: String,
    pub psn_name: String,
    pub gend: String,
    pub naty: Option<String>,
    #[serde(serialize_with = "text")]
    pub brdy: Date,
    #[serde(serialize_with = "tenths")]
    pub age: i64,
}

/// One 1101 `insuinfo[]` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InsuInfoOut {
    #[serde(serialize_with = "yuan")]
    pub balc: Fen,
    pub insutype: String,
    pub psn_type: String,
    pub psn_insu_stas: String,
    pub psn_insu_date: Option<String>,
    pub paus_insu_date: Option<String>,
    pub cvlserv_flag: String,
    pub insuplc_admdvs: String,
    pub emp_name: Option<String>,
}

/// One **ext** 1101 `yidi_filinginfo[]` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FilingInfoOut {
    pub filing_id: String,
    pub category: String,
    pub mdtrtarea_admvs: String,
    #[serde(serialize_with = "text")]
    pub begndate: Date,
    #[serde(serialize_with = "opt_text")]
    pub enddate: Option<Date>,
    #[serde(serialize_with = "flag")]
    pub covers_here: bool,
}

/// 1101 `output`; `idetinfo` is always empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonOut {
    pub baseinfo: BaseInfoOut,
    pub insuinfo: Vec<InsuInfoOut>,
    pub idetinfo: Vec<String>,
    pub yidi_filinginfo: Vec<FilingInfoOut>,
}

/// One 1201 `medinsinfo[]` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MedinsInfoOut {
    pub fixmedins_code: String,
    pub fixmedins_name: String,
    pub uscc: Option<String>,
    /// `1` hospital or clinic, `2` pharmacy.
    pub fixmedins_type: String,
    /// Yidi's level `0`–`3`.
    pub hosp_lv: String,
}

/// 1201 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MedinsOut {
    pub medinsinfo: Vec<MedinsInfoOut>,
}

/// One 2001 `trtinfo[]` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrtInfoOut {
    pub psn_no: String,
    pub trt_chk_type: String,
    pub fund_pay_type: String,
    #[serde(serialize_with = "flag")]
    pub trt_enjymnt_flag: bool,
    #[serde(serialize_with = "text")]
    pub begndate: Date,
    #[serde(serialize_with = "opt_text")]
    pub enddate: Option<Date>,
    pub trt_chk_rslt: String,
}

/// 2001 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrtOut {
    pub trtinfo: Vec<TrtInfoOut>,
}

/// 2201 `output.data`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VisitIdOut {
    pub mdtrt_id: String,
    pub psn_no: String,
    pub ipt_otp_no: String,
}

/// 2201 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterOut {
    pub data: VisitIdOut,
}

/// 2401 `output.result`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StayIdOut {
    pub mdtrt_id: String,
    pub psn_no: String,
    pub ipt_no: String,
}

/// 2401 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdmitOut {
    pub result: StayIdOut,
}

/// 9001 `output.signinoutb`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignInInfoOut {
    #[serde(serialize_with = "text")]
    pub sign_time: DateTime,
    pub sign_no: String,
}

/// 9001 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignInOut {
    pub signinoutb: SignInInfoOut,
}

/// 9002 `output.signoutoutb`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOutInfoOut {
    #[serde(serialize_with = "text")]
    pub sign_time: DateTime,
}

/// 9002 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOutOut {
    pub signoutoutb: SignOutInfoOut,
}

/// 3201/3202 `stmtinfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StmtInfoOut {
    pub setl_optins: String,
    /// `0` balanced, `1` not.
    pub stmt_rslt: String,
    /// The differing totals.
    pub stmt_rslt_dscr: String,
}

/// One **ext** 3202 `yidi_stmtrslt[]` row (an unbalanced record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StmtRsltOut {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    #[serde(serialize_with = "flag")]
    pub refd_setl_flag: bool,
    #[serde(serialize_with = "yuan")]
    pub medfee_sumamt: Fen,
    #[serde(serialize_with = "yuan")]
    pub fund_pay_sumamt: Fen,
    #[serde(serialize_with = "yuan")]
    pub acct_pay: Fen,
    pub msgid: Option<String>,
    /// `1` amounts differ, `2` unknown to Yidi, `3` not listed.
    pub stmt_rslt: String,
    pub memo: String,
}

/// 3201 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StmtOut {
    pub stmtinfo: StmtInfoOut,
}

/// 3202 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StmtDetailOut {
    pub stmtinfo: StmtInfoOut,
    pub yidi_stmtrslt: Vec<StmtRsltOut>,
}

/// 3203/3204 `result`: the clearing application as the hub holds it. The totals are the hub's
/// own (equal to the facility's, or the application is refused); **ext** `yidi_*` fields say what
/// the treatment agency will pay and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClrAppyOut {
    pub clr_appy_evt_id: String,
    pub clr_optins: String,
    pub clr_type: String,
    pub clr_way: String,
    pub setlym: String,
    pub begndate: String,
    pub enddate: String,
    pub psntime: i64,
    #[serde(serialize_with = "yuan")]
    pub medfee_sumamt: Fen,
    #[serde(serialize_with = "yuan")]
    pub med_sumfee: Fen,
    #[serde(serialize_with = "yuan")]
    pub fund_appy_sum: Fen,
    #[serde(serialize_with = "yuan")]
    pub cash_payamt: Fen,
    #[serde(serialize_with = "yuan")]
    pub acct_pay: Fen,
    /// **ext** `1` applied, `2` paid, `3` cancelled.
    pub yidi_appy_stas: String,
    /// **ext** refusals and deductions booked so far against the application's settlements.
    #[serde(serialize_with = "yuan")]
    pub yidi_dedu_sumamt: Fen,
}

/// 3203/3204 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClrAppyResultOut {
    pub result: ClrAppyOut,
}

/// One 5204 `data[]` row: a live line with its split and settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeQueryOut {
    pub feedetl_sn: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    /// Null for inpatient lines.
    pub chrg_bchno: Option<String>,
    #[serde(serialize_with = "text")]
    pub fee_ocur_time: DateTime,
    pub med_list_codg: String,
    pub medins_list_codg: String,
    #[serde(serialize_with = "yuan")]
    pub det_item_fee_sumamt: Fen,
    #[serde(serialize_with = "qty")]
    pub cnt: Qty,
    #[serde(serialize_with = "price")]
    pub pric: Price,
    #[serde(serialize_with = "yuan")]
    pub fulamt_ownpay_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub overlmt_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub preselfpay_amt: Fen,
    #[serde(serialize_with = "yuan")]
    pub inscp_scp_amt: Fen,
    pub chrgitm_lv: String,
    pub med_chrgitm_type: String,
    pub setl_id: Option<String>,
}

/// **ext** 5204 `yidi_pageinfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageInfoOut {
    pub page_num: u32,
    pub page_size: u32,
    pub total_records: u64,
    pub total_pages: u32,
}

/// 5204 `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeQueryPageOut {
    pub data: Vec<FeeQueryOut>,
    pub yidi_pageinfo: PageInfoOut,
}

/// **ext** 2601 `yidi_revsinfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevsInfoOut {
    pub omsgid: String,
    pub oinfno: String,
    /// `1` reversed, `0` nothing had happened.
    pub revs_rslt: String,
}

/// 2601 `output`: the reversal's settlement output when it reversed a settlement or
/// cancellation, and `yidi_revsinfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReversalOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setlinfo: Option<SetlInfoOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setldetail: Option<Vec<SetlDetailOut>>,
    pub yidi_revsinfo: RevsInfoOut,
}

/// An output node as JSON text, for [`crate::envelope::response_ok`].
pub fn to_output_json<T: Serialize>(output: &T) -> String {
    serde_json::to_string(output).expect("output values always serialise")
}
