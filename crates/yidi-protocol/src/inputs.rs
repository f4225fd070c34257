//! The `input` of every transaction Yidi offers (`protocol.md` §6), as typed Rust values with the
//! national field names: amounts in [`Fen`], quantities and prices exact, times parsed, flags as
//! `bool`, codes as `String` after their format and width were checked.
//!
//! [`parse_input`] reports every problem of a message at once, each with its path
//! (`input.feedetail[3].pric`). What needs the hub's state (a visit's person, live lines, the
//! catalogue) is checked there, not here.

use std::collections::HashSet;

use serde_json::Value;
use yidi_domain::{Date, DateTime, Fen, Price, Qty};

use crate::envelope::normalise_infno;
use crate::errors::ProtocolError;
use crate::limits::{
    DISEINFO_LEN_MAX, FEEDETAIL_2204_LEN_MAX, FEEDETAIL_2301_LEN_MAX, PAGE_5204_NUM_MAX, REVOKE_2302_LEN_MAX,
    STMT_PERIOD_DAYS_MAX, STMTDETL_3202_LEN_MAX,
};
use crate::read::{Code, Obj, Reader, Stop};

/// Ids, hospital numbers, department and doctor codes: C(30).
const ID: Code = Code::Text(30);
const NAME: Code = Code::Text(100);
const TEXT: Code = Code::Text(500);
const MED_LIST_CODG: Code = Code::Text(50);
const MEDINS_LIST_CODG: Code = Code::Text(150);
const DIAG_CODE: Code = Code::Text(20);
const CERT_NO: Code = Code::Text(50);
const INSUTYPE: Code = Code::Digits(3, 5);
const MED_TYPE: Code = Code::Digits(2, 6);
const CERT_TYPE: Code = Code::Digits(2, 2);
const CLR_TYPE: Code = Code::Digits(2, 6);
const DIVISION: Code = Code::Digits(6, 6);
const OPEN_DICT: Code = Code::Alnum(6);
const PSN_SETLWAY: Code = Code::Closed(&["01"]);
const MID_SETL_FLAG: Code = Code::Closed(&["0"]);
const MSGID: Code = Code::Ascii(30);

/// 9001 签到 (`signIn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In9001 {
    pub opter_no: String,
    pub mac: Option<String>,
    pub ip: Option<String>,
}

/// 9002 签退 (`signOut`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In9002 {
    pub sign_no: String,
    pub opter_no: String,
}

/// 1101 人员信息获取 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In1101 {
    pub mdtrt_cert_type: String,
    pub mdtrt_cert_no: String,
    /// Required for `mdtrt_cert_type` 03.
    pub card_sn: Option<String>,
    pub begntime: Option<DateTime>,
    pub psn_cert_type: Option<String>,
    /// Required unless `mdtrt_cert_type` is 02 (the identity number is then `mdtrt_cert_no`).
    pub certno: Option<String>,
    pub psn_name: Option<String>,
}

/// 1201 医药机构信息获取 (`medinsinfo`): at least one criterion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In1201 {
    pub fixmedins_type: Option<String>,
    pub fixmedins_code: Option<String>,
    /// A substring of the name.
    pub fixmedins_name: Option<String>,
}

/// 2001 人员待遇享受检查 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2001 {
    pub psn_no: String,
    pub insutype: String,
    pub med_type: String,
    pub begntime: DateTime,
    pub dise_codg: Option<String>,
    pub endtime: Option<DateTime>,
}

/// 2201 门诊挂号 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2201 {
    pub psn_no: String,
    pub insutype: String,
    pub begntime: DateTime,
    pub mdtrt_cert_type: String,
    pub mdtrt_cert_no: String,
    pub ipt_otp_no: String,
    pub atddr_no: Option<String>,
    pub dr_name: Option<String>,
    pub dept_code: Option<String>,
    pub dept_name: Option<String>,
    pub caty: Option<String>,
}

/// 2202 挂号撤销 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2202 {
    pub psn_no: String,
    pub mdtrt_id: String,
    pub ipt_otp_no: String,
}

/// One `diseinfo[]` row (2203, 2401, 2402, 2403).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiseInfo {
    pub diag_type: String,
    pub diag_srt_no: i64,
    pub diag_code: String,
    pub diag_name: String,
    /// Required in 2401/2402/2403.
    pub maindiag_flag: Option<bool>,
    pub diag_dept: Option<String>,
    pub dise_dor_no: Option<String>,
    pub dise_dor_name: Option<String>,
    pub diag_time: Option<DateTime>,
}

/// 2203 就诊信息上传 `mdtrtinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdtrtInfo {
    pub mdtrt_id: String,
    pub psn_no: String,
    pub med_type: String,
    pub begntime: DateTime,
    /// Required for `med_type` 14.
    pub dise_codg: Option<String>,
    pub dise_name: Option<String>,
    pub main_cond_dscr: Option<String>,
}

/// 2203 就诊信息上传 (`2203A` too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2203 {
    pub mdtrtinfo: MdtrtInfo,
    pub diseinfo: Vec<DiseInfo>,
}

/// National fee-line fields Yidi only width-checks and stores.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeExtra {
    pub bilg_dept_codg: Option<String>,
    pub bilg_dept_name: Option<String>,
    pub bilg_dr_codg: Option<String>,
    pub bilg_dr_name: Option<String>,
    pub rxno: Option<String>,
    pub hosp_appr_flag: Option<String>,
}

/// One 2204 `feedetail[]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeDetail {
    pub feedetl_sn: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub chrg_bchno: String,
    pub fee_ocur_time: DateTime,
    pub med_list_codg: String,
    pub medins_list_codg: String,
    pub det_item_fee_sumamt: Fen,
    /// Above 0.
    pub cnt: Qty,
    pub pric: Price,
    pub dise_codg: Option<String>,
    /// `exp_content.er_flag` = `1`: an emergency.
    pub er_flag: bool,
    pub extra: FeeExtra,
}

/// 2204 门诊费用明细上传: one `mdtrt_id`, `feedetl_sn` unique within the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2204 {
    pub lines: Vec<FeeDetail>,
}

/// 2205 费用明细撤销 (`data`); `chrg_bchno` `0000` = every unsettled batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2205 {
    pub mdtrt_id: String,
    pub chrg_bchno: String,
    pub psn_no: String,
}

/// The four split amounts a HIS may send with a settlement; when present each must equal Yidi's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitAmounts {
    pub fulamt_ownpay_amt: Option<Fen>,
    pub overlmt_selfpay: Option<Fen>,
    pub preselfpay_amt: Option<Fen>,
    pub inscp_scp_amt: Option<Fen>,
}

/// 2206 门诊预结算 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2206 {
    pub psn_no: String,
    pub mdtrt_cert_type: String,
    pub mdtrt_cert_no: String,
    pub med_type: String,
    pub medfee_sumamt: Fen,
    /// Always `01`.
    pub psn_setlway: String,
    pub mdtrt_id: String,
    pub chrg_bchno: String,
    pub acct_used_flag: bool,
    pub insutype: String,
    pub split: SplitAmounts,
}

/// 2207 门诊结算: the 2206 fields and `invono`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2207 {
    pub setl: In2206,
    pub invono: Option<String>,
}

/// 2208 门诊结算撤销 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2208 {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
}

/// One 2301 `feedetail[]` line; `cnt` < 0 is a refund of `init_feedetl_sn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IptFeeDetail {
    pub feedetl_sn: String,
    /// Required for a refund (`cnt` < 0).
    pub init_feedetl_sn: Option<String>,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub med_type: Option<String>,
    pub drord_no: Option<String>,
    pub fee_ocur_time: DateTime,
    pub med_list_codg: String,
    pub medins_list_codg: String,
    /// Negative for a refund.
    pub det_item_fee_sumamt: Fen,
    /// Never 0; negative for a refund.
    pub cnt: Qty,
    pub pric: Price,
    pub dise_codg: Option<String>,
    pub er_flag: bool,
    pub extra: FeeExtra,
}

/// 2301 住院费用明细上传.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2301 {
    pub lines: Vec<IptFeeDetail>,
}

/// One 2302 `data[]` row; `feedetl_sn` `0000` = every live line of the stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeRevoke {
    pub feedetl_sn: String,
    pub mdtrt_id: String,
    pub psn_no: String,
}

/// 2302 住院费用明细撤销.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2302 {
    pub lines: Vec<FeeRevoke>,
}

/// 2303 住院预结算 (`data`); `mid_setl_flag`, if sent, was `0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2303 {
    pub psn_no: String,
    pub mdtrt_cert_type: String,
    pub mdtrt_cert_no: String,
    pub medfee_sumamt: Fen,
    pub psn_setlway: String,
    pub mdtrt_id: String,
    pub acct_used_flag: bool,
    pub insutype: String,
    pub split: SplitAmounts,
}

/// 2304 住院结算: the 2303 fields and `invono`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2304 {
    pub setl: In2303,
    pub invono: Option<String>,
}

/// 2305 住院结算撤销 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2305 {
    pub mdtrt_id: String,
    pub setl_id: String,
    pub psn_no: String,
}

/// 2401 入院办理 `mdtrtinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmInfo {
    pub psn_no: String,
    pub insutype: String,
    pub begntime: DateTime,
    pub mdtrt_cert_type: String,
    pub mdtrt_cert_no: String,
    pub med_type: String,
    pub ipt_no: String,
    pub adm_dept_codg: String,
    pub adm_dept_name: String,
    /// Required for `med_type` 28.
    pub oprn_oprt_code: Option<String>,
    pub atddr_no: Option<String>,
    pub chfpdr_name: Option<String>,
    pub adm_diag_dscr: Option<String>,
    pub dise_codg: Option<String>,
    pub dise_name: Option<String>,
    pub adm_bed: Option<String>,
}

/// 2401 入院办理.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2401 {
    pub mdtrtinfo: AdmInfo,
    pub diseinfo: Vec<DiseInfo>,
}

/// 2402 出院办理 `dscginfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DscgInfo {
    pub mdtrt_id: String,
    pub psn_no: String,
    pub insutype: String,
    pub endtime: DateTime,
    pub dscg_way: String,
    pub dscg_dept_codg: String,
    pub dscg_dept_name: String,
    pub dise_codg: Option<String>,
    pub dise_name: Option<String>,
}

/// 2402 出院办理.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2402 {
    pub dscginfo: DscgInfo,
    pub diseinfo: Vec<DiseInfo>,
}

/// 2403 住院信息变更 `adminfo`: given fields replace the stay's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdmChange {
    pub mdtrt_id: String,
    pub psn_no: String,
    pub begntime: Option<DateTime>,
    pub endtime: Option<DateTime>,
    pub mdtrt_cert_type: Option<String>,
    pub mdtrt_cert_no: Option<String>,
    pub med_type: Option<String>,
    pub ipt_no: Option<String>,
    pub adm_dept_codg: Option<String>,
    pub adm_dept_name: Option<String>,
    pub oprn_oprt_code: Option<String>,
    pub atddr_no: Option<String>,
    pub chfpdr_name: Option<String>,
    pub adm_diag_dscr: Option<String>,
    pub dise_codg: Option<String>,
    pub dise_name: Option<String>,
}

/// 2403 住院信息变更; `diseinfo` given (even empty) replaces the stay's diagnoses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2403 {
    pub adminfo: AdmChange,
    pub diseinfo: Option<Vec<DiseInfo>>,
}

/// 2404 入院撤销 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2404 {
    pub mdtrt_id: String,
    pub psn_no: String,
}

/// 2405 出院撤销 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2405 {
    pub mdtrt_id: String,
    pub psn_no: String,
}

/// 2601 冲正 (`data`); `oinfno` normalised (`2203A` → `2203`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In2601 {
    pub psn_no: String,
    pub omsgid: String,
    pub oinfno: String,
}

/// 3201 对总账 (`data`). Totals are signed: cancellations count negated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In3201 {
    pub insutype: String,
    pub clr_type: String,
    pub setl_optins: String,
    pub stmt_begndate: Date,
    /// At most [`STMT_PERIOD_DAYS_MAX`] days after `stmt_begndate`, both included.
    pub stmt_enddate: Date,
    pub medfee_sumamt: Fen,
    pub fund_pay_sumamt: Fen,
    pub acct_pay: Fen,
    pub fixmedins_setl_cnt: i64,
    /// Default `1`: count cancellations (negated) as well as settlements.
    pub refd_setl_flag: bool,
}

/// One **ext** `yidi_stmtdetl[]` row of 3202.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StmtDetl {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub refd_setl_flag: bool,
    pub medfee_sumamt: Fen,
    pub fund_pay_sumamt: Fen,
    pub acct_pay: Fen,
    pub msgid: Option<String>,
}

/// 3202 对明细账 (`data`). `yidi_stmtdetl` is read from `data` or from `input`; `None` when the
/// HIS sent no list (a national HIS sends it as a 9101 file Yidi does not offer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In3202 {
    pub setl_optins: String,
    pub stmt_begndate: Date,
    pub stmt_enddate: Date,
    pub medfee_sumamt: Fen,
    pub fund_pay_sumamt: Fen,
    pub cash_payamt: Fen,
    pub fixmedins_setl_cnt: i64,
    pub yidi_stmtdetl: Option<Vec<StmtDetl>>,
}

/// 3203 清算申请 (`data`): the facility applies for payment of one month's cross-province
/// settlements of one `clr_type` under the local agreement. Totals are the facility's figures; the
/// hub checks each against its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In3203 {
    pub clr_type: String,
    pub clr_way: String,
    /// The clearing month, `YYYYMM` (also read as `YYYY-MM`).
    pub setlym: String,
    pub begndate: Date,
    pub enddate: Date,
    pub medfee_sumamt: Fen,
    /// 医保认可费用总额: Σ `inscp_scp_amt`.
    pub med_sumfee: Fen,
    /// 基金申报总额: Σ `fund_pay_sumamt`.
    pub fund_appy_sum: Fen,
    pub cash_payamt: Fen,
    pub acct_pay: Fen,
    /// 清算人次: the number of settlements.
    pub psntime: i64,
    /// The clearing agency (the facility's pooling region); checked when given.
    pub clr_optins: Option<String>,
}

/// 3204 清算申请撤销 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In3204 {
    pub clr_appy_evt_id: String,
    pub clr_optins: Option<String>,
}

/// 5203 结算信息查询 (`data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In5203 {
    pub psn_no: String,
    pub setl_id: String,
    pub mdtrt_id: String,
}

/// 5204 费用明细查询 (`data`); pages start at 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In5204 {
    pub psn_no: String,
    pub mdtrt_id: String,
    pub setl_id: Option<String>,
    pub yidi_page_num: u32,
}

/// A parsed `input`, one variant per offered transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxInput {
    Tx9001(In9001),
    Tx9002(In9002),
    Tx1101(In1101),
    Tx1201(In1201),
    Tx2001(In2001),
    Tx2201(In2201),
    Tx2202(In2202),
    Tx2203(In2203),
    Tx2204(In2204),
    Tx2205(In2205),
    Tx2206(In2206),
    Tx2207(In2207),
    Tx2208(In2208),
    Tx2301(In2301),
    Tx2302(In2302),
    Tx2303(In2303),
    Tx2304(In2304),
    Tx2305(In2305),
    Tx2401(In2401),
    Tx2402(In2402),
    Tx2403(In2403),
    Tx2404(In2404),
    Tx2405(In2405),
    Tx2601(In2601),
    Tx3201(In3201),
    Tx3202(In3202),
    Tx3203(In3203),
    Tx3204(In3204),
    Tx5203(In5203),
    Tx5204(In5204),
}

impl TxInput {
    /// The transaction's `infno`.
    pub fn infno(&self) -> &'static str {
        match self {
            TxInput::Tx9001(_) => "9001",
            TxInput::Tx9002(_) => "9002",
            TxInput::Tx1101(_) => "1101",
            TxInput::Tx1201(_) => "1201",
            TxInput::Tx2001(_) => "2001",
            TxInput::Tx2201(_) => "2201",
            TxInput::Tx2202(_) => "2202",
            TxInput::Tx2203(_) => "2203",
            TxInput::Tx2204(_) => "2204",
            TxInput::Tx2205(_) => "2205",
            TxInput::Tx2206(_) => "2206",
            TxInput::Tx2207(_) => "2207",
            TxInput::Tx2208(_) => "2208",
            TxInput::Tx2301(_) => "2301",
            TxInput::Tx2302(_) => "2302",
            TxInput::Tx2303(_) => "2303",
            TxInput::Tx2304(_) => "2304",
            TxInput::Tx2305(_) => "2305",
            TxInput::Tx2401(_) => "2401",
            TxInput::Tx2402(_) => "2402",
            TxInput::Tx2403(_) => "2403",
            TxInput::Tx2404(_) => "2404",
            TxInput::Tx2405(_) => "2405",
            TxInput::Tx2601(_) => "2601",
            TxInput::Tx3201(_) => "3201",
            TxInput::Tx3202(_) => "3202",
            TxInput::Tx3203(_) => "3203",
            TxInput::Tx3204(_) => "3204",
            TxInput::Tx5203(_) => "5203",
            TxInput::Tx5204(_) => "5204",
        }
    }
}

/// Parses the `input` of transaction `infno` (`2203A` = 2203). A transaction Yidi does not offer
/// is `unknown_infno`; field problems are `bad_field`, all listed; a list over its limit is
/// `too_large`.
pub fn parse_input(infno: &str, input: &Value) -> Result<TxInput, ProtocolError> {
    let infno = normalise_infno(infno);
    let mut r = Reader::new();
    let parsed = dispatch(&mut r, &infno, input).ok_or_else(|| ProtocolError::unknown_infno(&infno))?;
    match parsed {
        Ok(tx) if r.problems.is_empty() => Ok(tx),
        Ok(_) | Err(Stop::Fields) => Err(ProtocolError::bad_field(r.problems)),
        Err(Stop::TooLarge(e)) => Err(e),
    }
}

type Parsed = Result<TxInput, Stop>;

fn dispatch(r: &mut Reader, infno: &str, input: &Value) -> Option<Parsed> {
    let parse: fn(&mut Reader, &Obj<'_>) -> Parsed = match infno {
        "9001" => |r, i| on(r, i, "signIn", in9001).map(TxInput::Tx9001),
        "9002" => |r, i| on(r, i, "signOut", in9002).map(TxInput::Tx9002),
        "1101" => |r, i| on(r, i, "data", in1101).map(TxInput::Tx1101),
        "1201" => |r, i| on(r, i, "medinsinfo", in1201).map(TxInput::Tx1201),
        "2001" => |r, i| on(r, i, "data", in2001).map(TxInput::Tx2001),
        "2201" => |r, i| on(r, i, "data", in2201).map(TxInput::Tx2201),
        "2202" => |r, i| on(r, i, "data", in2202).map(TxInput::Tx2202),
        "2203" => |r, i| in2203(r, i).map(TxInput::Tx2203),
        "2204" => |r, i| in2204(r, i).map(TxInput::Tx2204),
        "2205" => |r, i| on(r, i, "data", in2205).map(TxInput::Tx2205),
        "2206" => |r, i| on(r, i, "data", in2206).map(TxInput::Tx2206),
        "2207" => |r, i| on(r, i, "data", in2207).map(TxInput::Tx2207),
        "2208" => |r, i| on(r, i, "data", in2208).map(TxInput::Tx2208),
        "2301" => |r, i| in2301(r, i).map(TxInput::Tx2301),
        "2302" => |r, i| in2302(r, i).map(TxInput::Tx2302),
        "2303" => |r, i| on(r, i, "data", in2303).map(TxInput::Tx2303),
        "2304" => |r, i| on(r, i, "data", in2304).map(TxInput::Tx2304),
        "2305" => |r, i| on(r, i, "data", in2305).map(TxInput::Tx2305),
        "2401" => |r, i| in2401(r, i).map(TxInput::Tx2401),
        "2402" => |r, i| in2402(r, i).map(TxInput::Tx2402),
        "2403" => |r, i| in2403(r, i).map(TxInput::Tx2403),
        "2404" => |r, i| on(r, i, "data", in2404).map(TxInput::Tx2404),
        "2405" => |r, i| on(r, i, "data", in2405).map(TxInput::Tx2405),
        "2601" => |r, i| on(r, i, "data", in2601).map(TxInput::Tx2601),
        "3201" => |r, i| on(r, i, "data", in3201).map(TxInput::Tx3201),
        "3202" => |r, i| in3202(r, i).map(TxInput::Tx3202),
        "3203" => |r, i| on(r, i, "data", in3203).map(TxInput::Tx3203),
        "3204" => |r, i| on(r, i, "data", in3204).map(TxInput::Tx3204),
        "5203" => |r, i| on(r, i, "data", in5203).map(TxInput::Tx5203),
        "5204" => |r, i| on(r, i, "data", in5204).map(TxInput::Tx5204),
        _ => return None,
    };
    Some(r.root(input).and_then(|root| parse(r, &root)))
}

/// Reads the object node `key` with `read`.
fn on<T>(r: &mut Reader, root: &Obj<'_>, key: &str, read: fn(&mut Reader, &Obj<'_>) -> T) -> Result<T, Stop> {
    let node = r.node(root, key)?;
    Ok(read(r, &node))
}

fn in9001(r: &mut Reader, d: &Obj<'_>) -> In9001 {
    In9001 {
        opter_no: r.req_code(d, "opter_no", Code::Text(20)),
        mac: r.code(d, "mac", Code::Text(30)),
        ip: r.code(d, "ip", Code::Text(30)),
    }
}

fn in9002(r: &mut Reader, d: &Obj<'_>) -> In9002 {
    In9002 { sign_no: r.req_code(d, "sign_no", ID), opter_no: r.req_code(d, "opter_no", Code::Text(20)) }
}

fn in1101(r: &mut Reader, d: &Obj<'_>) -> In1101 {
    let out = In1101 {
        mdtrt_cert_type: r.req_code(d, "mdtrt_cert_type", CERT_TYPE),
        mdtrt_cert_no: r.req_code(d, "mdtrt_cert_no", CERT_NO),
        card_sn: r.code(d, "card_sn", ID),
        begntime: r.datetime(d, "begntime"),
        psn_cert_type: r.code(d, "psn_cert_type", CERT_TYPE),
        certno: r.code(d, "certno", CERT_NO),
        psn_name: r.code(d, "psn_name", NAME),
    };
    if out.mdtrt_cert_type == "03" && !Reader::has(d, "card_sn") {
        r.problem(format!("{}.card_sn", d.path), "凭证类型 03（社保卡）时必填");
    }
    let cert_type_ok = !out.mdtrt_cert_type.is_empty();
    if cert_type_ok && out.mdtrt_cert_type != "02" && !Reader::has(d, "certno") {
        let reason =
            format!("凭证类型 {} 时必填（本平台按身份证号识别人员，不解码电子凭证）", out.mdtrt_cert_type);
        r.problem(format!("{}.certno", d.path), reason);
    }
    out
}

fn in1201(r: &mut Reader, d: &Obj<'_>) -> In1201 {
    let out = In1201 {
        fixmedins_type: r.code(d, "fixmedins_type", OPEN_DICT),
        fixmedins_code: r.code(d, "fixmedins_code", ID),
        fixmedins_name: r.code(d, "fixmedins_name", Code::Text(200)),
    };
    let named = ["fixmedins_type", "fixmedins_code", "fixmedins_name"].iter().any(|k| Reader::has(d, k));
    if !named {
        r.problem(d.path.clone(), "须填写 fixmedins_type、fixmedins_code、fixmedins_name 之一");
    }
    out
}

fn in2001(r: &mut Reader, d: &Obj<'_>) -> In2001 {
    In2001 {
        psn_no: r.req_code(d, "psn_no", ID),
        insutype: r.req_code(d, "insutype", INSUTYPE),
        med_type: r.req_code(d, "med_type", MED_TYPE),
        begntime: r.req_datetime(d, "begntime"),
        dise_codg: r.code(d, "dise_codg", ID),
        endtime: r.datetime(d, "endtime"),
    }
}

fn in2201(r: &mut Reader, d: &Obj<'_>) -> In2201 {
    In2201 {
        psn_no: r.req_code(d, "psn_no", ID),
        insutype: r.req_code(d, "insutype", INSUTYPE),
        begntime: r.req_datetime(d, "begntime"),
        mdtrt_cert_type: r.req_code(d, "mdtrt_cert_type", CERT_TYPE),
        mdtrt_cert_no: r.req_code(d, "mdtrt_cert_no", CERT_NO),
        ipt_otp_no: r.req_code(d, "ipt_otp_no", ID),
        atddr_no: r.code(d, "atddr_no", ID),
        dr_name: r.code(d, "dr_name", NAME),
        dept_code: r.code(d, "dept_code", ID),
        dept_name: r.code(d, "dept_name", NAME),
        caty: r.code(d, "caty", Code::Text(30)),
    }
}

fn in2202(r: &mut Reader, d: &Obj<'_>) -> In2202 {
    In2202 {
        psn_no: r.req_code(d, "psn_no", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        ipt_otp_no: r.req_code(d, "ipt_otp_no", ID),
    }
}

/// A `diseinfo[]` row; `main_flag_required` in 2401/2402/2403.
fn dise_info(r: &mut Reader, d: &Obj<'_>, main_flag_required: bool) -> DiseInfo {
    DiseInfo {
        diag_type: r.req_code(d, "diag_type", OPEN_DICT),
        diag_srt_no: r.req_integer(d, "diag_srt_no", false),
        diag_code: r.req_code(d, "diag_code", DIAG_CODE),
        diag_name: r.req_code(d, "diag_name", NAME),
        maindiag_flag: if main_flag_required {
            Some(r.req_flag(d, "maindiag_flag"))
        } else {
            r.flag(d, "maindiag_flag")
        },
        diag_dept: r.code(d, "diag_dept", NAME),
        dise_dor_no: r.code(d, "dise_dor_no", ID),
        dise_dor_name: r.code(d, "dise_dor_name", NAME),
        diag_time: r.datetime(d, "diag_time"),
    }
}

fn dise_list(
    r: &mut Reader,
    root: &Obj<'_>,
    main_flag_required: bool,
) -> Result<Option<Vec<DiseInfo>>, Stop> {
    let rows = r.opt_list(root, "diseinfo", DISEINFO_LEN_MAX)?;
    Ok(rows.map(|rows| rows.iter().map(|d| dise_info(r, d, main_flag_required)).collect()))
}

fn in2203(r: &mut Reader, root: &Obj<'_>) -> Result<In2203, Stop> {
    let m = r.node(root, "mdtrtinfo")?;
    let mdtrtinfo = MdtrtInfo {
        mdtrt_id: r.req_code(&m, "mdtrt_id", ID),
        psn_no: r.req_code(&m, "psn_no", ID),
        med_type: r.req_code(&m, "med_type", MED_TYPE),
        begntime: r.req_datetime(&m, "begntime"),
        dise_codg: r.code(&m, "dise_codg", ID),
        dise_name: r.code(&m, "dise_name", NAME),
        main_cond_dscr: r.code(&m, "main_cond_dscr", TEXT),
    };
    if mdtrtinfo.med_type == "14" && !Reader::has(&m, "dise_codg") {
        r.problem(format!("{}.dise_codg", m.path), "医疗类别 14（门诊慢特病）时必填病种编码");
    }
    let diseinfo = dise_list(r, root, false)?.unwrap_or_default();
    Ok(In2203 { mdtrtinfo, diseinfo })
}

fn fee_extra(r: &mut Reader, d: &Obj<'_>) -> FeeExtra {
    FeeExtra {
        bilg_dept_codg: r.code(d, "bilg_dept_codg", ID),
        bilg_dept_name: r.code(d, "bilg_dept_name", NAME),
        bilg_dr_codg: r.code(d, "bilg_dr_codg", ID),
        bilg_dr_name: r.code(d, "bilg_dr_name", NAME),
        rxno: r.code(d, "rxno", ID),
        hosp_appr_flag: r.code(d, "hosp_appr_flag", OPEN_DICT),
    }
}

/// `exp_content`: an object or a JSON string holding one; only `er_flag` is read (other text is
/// ignored, as national HIS fill it freely).
fn er_flag(r: &mut Reader, d: &Obj<'_>) -> bool {
    let path = format!("{}.exp_content", d.path);
    let parsed;
    let map = match d.map.get("exp_content") {
        Some(Value::Object(map)) => map,
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => {
                parsed = map;
                &parsed
            }
            _ => return false,
        },
        _ => return false,
    };
    let obj = Obj { map, path };
    r.flag(&obj, "er_flag").unwrap_or(false)
}

/// Checks that no `feedetl_sn` repeats within one call.
fn unique_sns<'a>(r: &mut Reader, rows: &[Obj<'_>], sns: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for (row, sn) in rows.iter().zip(sns) {
        if !sn.is_empty() && !seen.insert(sn) {
            r.problem(format!("{}.feedetl_sn", row.path), format!("明细流水号“{sn}”在本次上传中重复"));
        }
    }
}

fn fee_detail(r: &mut Reader, d: &Obj<'_>) -> FeeDetail {
    FeeDetail {
        feedetl_sn: r.req_code(d, "feedetl_sn", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        psn_no: r.req_code(d, "psn_no", ID),
        chrg_bchno: r.req_code(d, "chrg_bchno", ID),
        fee_ocur_time: r.req_datetime(d, "fee_ocur_time"),
        med_list_codg: r.req_code(d, "med_list_codg", MED_LIST_CODG),
        medins_list_codg: r.req_code(d, "medins_list_codg", MEDINS_LIST_CODG),
        det_item_fee_sumamt: r.req_amount(d, "det_item_fee_sumamt", false),
        cnt: r.req_qty(d, "cnt", false),
        pric: r.req_price(d, "pric"),
        dise_codg: r.code(d, "dise_codg", ID),
        er_flag: er_flag(r, d),
        extra: fee_extra(r, d),
    }
}

fn in2204(r: &mut Reader, root: &Obj<'_>) -> Result<In2204, Stop> {
    let rows = r.list(root, "feedetail", FEEDETAIL_2204_LEN_MAX)?;
    let lines: Vec<FeeDetail> = rows.iter().map(|d| fee_detail(r, d)).collect();
    unique_sns(r, &rows, lines.iter().map(|l| l.feedetl_sn.as_str()));
    let first = lines.iter().map(|l| l.mdtrt_id.as_str()).find(|m| !m.is_empty()).unwrap_or("");
    for (row, line) in rows.iter().zip(&lines) {
        if !line.mdtrt_id.is_empty() && line.mdtrt_id != first {
            let reason = format!("一次上传只能属于一个就诊（本次已有 {first}）");
            r.problem(format!("{}.mdtrt_id", row.path), reason);
        }
    }
    Ok(In2204 { lines })
}

fn in2205(r: &mut Reader, d: &Obj<'_>) -> In2205 {
    In2205 {
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        chrg_bchno: r.req_code(d, "chrg_bchno", ID),
        psn_no: r.req_code(d, "psn_no", ID),
    }
}

fn split_amounts(r: &mut Reader, d: &Obj<'_>) -> SplitAmounts {
    SplitAmounts {
        fulamt_ownpay_amt: r.amount(d, "fulamt_ownpay_amt", false),
        overlmt_selfpay: r.amount(d, "overlmt_selfpay", false),
        preselfpay_amt: r.amount(d, "preselfpay_amt", false),
        inscp_scp_amt: r.amount(d, "inscp_scp_amt", false),
    }
}

fn in2206(r: &mut Reader, d: &Obj<'_>) -> In2206 {
    In2206 {
        psn_no: r.req_code(d, "psn_no", ID),
        mdtrt_cert_type: r.req_code(d, "mdtrt_cert_type", CERT_TYPE),
        mdtrt_cert_no: r.req_code(d, "mdtrt_cert_no", CERT_NO),
        med_type: r.req_code(d, "med_type", MED_TYPE),
        medfee_sumamt: r.req_amount(d, "medfee_sumamt", false),
        psn_setlway: r.req_code(d, "psn_setlway", PSN_SETLWAY),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        chrg_bchno: r.req_code(d, "chrg_bchno", ID),
        acct_used_flag: r.req_flag(d, "acct_used_flag"),
        insutype: r.req_code(d, "insutype", INSUTYPE),
        split: split_amounts(r, d),
    }
}

fn in2207(r: &mut Reader, d: &Obj<'_>) -> In2207 {
    In2207 { setl: in2206(r, d), invono: r.code(d, "invono", ID) }
}

fn in2208(r: &mut Reader, d: &Obj<'_>) -> In2208 {
    In2208 {
        setl_id: r.req_code(d, "setl_id", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        psn_no: r.req_code(d, "psn_no", ID),
    }
}

fn ipt_fee_detail(r: &mut Reader, d: &Obj<'_>) -> IptFeeDetail {
    let line = IptFeeDetail {
        feedetl_sn: r.req_code(d, "feedetl_sn", ID),
        init_feedetl_sn: r.code(d, "init_feedetl_sn", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        psn_no: r.req_code(d, "psn_no", ID),
        med_type: r.code(d, "med_type", MED_TYPE),
        drord_no: r.code(d, "drord_no", ID),
        fee_ocur_time: r.req_datetime(d, "fee_ocur_time"),
        med_list_codg: r.req_code(d, "med_list_codg", MED_LIST_CODG),
        medins_list_codg: r.req_code(d, "medins_list_codg", MEDINS_LIST_CODG),
        det_item_fee_sumamt: r.req_amount(d, "det_item_fee_sumamt", true),
        cnt: r.req_qty(d, "cnt", true),
        pric: r.req_price(d, "pric"),
        dise_codg: r.code(d, "dise_codg", ID),
        er_flag: er_flag(r, d),
        extra: fee_extra(r, d),
    };
    if line.cnt.is_negative() && !Reader::has(d, "init_feedetl_sn") {
        r.problem(format!("{}.init_feedetl_sn", d.path), "退费明细（数量为负）必须填写原明细流水号");
    }
    line
}

fn in2301(r: &mut Reader, root: &Obj<'_>) -> Result<In2301, Stop> {
    let rows = r.list(root, "feedetail", FEEDETAIL_2301_LEN_MAX)?;
    let lines: Vec<IptFeeDetail> = rows.iter().map(|d| ipt_fee_detail(r, d)).collect();
    unique_sns(r, &rows, lines.iter().map(|l| l.feedetl_sn.as_str()));
    Ok(In2301 { lines })
}

fn in2302(r: &mut Reader, root: &Obj<'_>) -> Result<In2302, Stop> {
    let rows = r.list(root, "data", REVOKE_2302_LEN_MAX)?;
    let lines = rows
        .iter()
        .map(|d| FeeRevoke {
            feedetl_sn: r.req_code(d, "feedetl_sn", ID),
            mdtrt_id: r.req_code(d, "mdtrt_id", ID),
            psn_no: r.req_code(d, "psn_no", ID),
        })
        .collect();
    Ok(In2302 { lines })
}

fn in2303(r: &mut Reader, d: &Obj<'_>) -> In2303 {
    r.code(d, "mid_setl_flag", MID_SETL_FLAG);
    In2303 {
        psn_no: r.req_code(d, "psn_no", ID),
        mdtrt_cert_type: r.req_code(d, "mdtrt_cert_type", CERT_TYPE),
        mdtrt_cert_no: r.req_code(d, "mdtrt_cert_no", CERT_NO),
        medfee_sumamt: r.req_amount(d, "medfee_sumamt", false),
        psn_setlway: r.req_code(d, "psn_setlway", PSN_SETLWAY),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        acct_used_flag: r.req_flag(d, "acct_used_flag"),
        insutype: r.req_code(d, "insutype", INSUTYPE),
        split: split_amounts(r, d),
    }
}

fn in2304(r: &mut Reader, d: &Obj<'_>) -> In2304 {
    In2304 { setl: in2303(r, d), invono: r.code(d, "invono", ID) }
}

fn in2305(r: &mut Reader, d: &Obj<'_>) -> In2305 {
    In2305 {
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        setl_id: r.req_code(d, "setl_id", ID),
        psn_no: r.req_code(d, "psn_no", ID),
    }
}

fn in2401(r: &mut Reader, root: &Obj<'_>) -> Result<In2401, Stop> {
    let m = r.node(root, "mdtrtinfo")?;
    let mdtrtinfo = AdmInfo {
        psn_no: r.req_code(&m, "psn_no", ID),
        insutype: r.req_code(&m, "insutype", INSUTYPE),
        begntime: r.req_datetime(&m, "begntime"),
        mdtrt_cert_type: r.req_code(&m, "mdtrt_cert_type", CERT_TYPE),
        mdtrt_cert_no: r.req_code(&m, "mdtrt_cert_no", CERT_NO),
        med_type: r.req_code(&m, "med_type", MED_TYPE),
        ipt_no: r.req_code(&m, "ipt_no", ID),
        adm_dept_codg: r.req_code(&m, "adm_dept_codg", ID),
        adm_dept_name: r.req_code(&m, "adm_dept_name", NAME),
        oprn_oprt_code: r.code(&m, "oprn_oprt_code", ID),
        atddr_no: r.code(&m, "atddr_no", ID),
        chfpdr_name: r.code(&m, "chfpdr_name", NAME),
        adm_diag_dscr: r.code(&m, "adm_diag_dscr", TEXT),
        dise_codg: r.code(&m, "dise_codg", ID),
        dise_name: r.code(&m, "dise_name", NAME),
        adm_bed: r.code(&m, "adm_bed", ID),
    };
    if mdtrtinfo.med_type == "28" && !Reader::has(&m, "oprn_oprt_code") {
        r.problem(format!("{}.oprn_oprt_code", m.path), "医疗类别 28（日间手术）时必填手术操作代码");
    }
    let diseinfo = dise_list(r, root, true)?.unwrap_or_default();
    Ok(In2401 { mdtrtinfo, diseinfo })
}

fn in2402(r: &mut Reader, root: &Obj<'_>) -> Result<In2402, Stop> {
    let d = r.node(root, "dscginfo")?;
    let dscginfo = DscgInfo {
        mdtrt_id: r.req_code(&d, "mdtrt_id", ID),
        psn_no: r.req_code(&d, "psn_no", ID),
        insutype: r.req_code(&d, "insutype", INSUTYPE),
        endtime: r.req_datetime(&d, "endtime"),
        dscg_way: r.req_code(&d, "dscg_way", OPEN_DICT),
        dscg_dept_codg: r.req_code(&d, "dscg_dept_codg", ID),
        dscg_dept_name: r.req_code(&d, "dscg_dept_name", NAME),
        dise_codg: r.code(&d, "dise_codg", ID),
        dise_name: r.code(&d, "dise_name", NAME),
    };
    let diseinfo = dise_list(r, root, true)?.unwrap_or_default();
    Ok(In2402 { dscginfo, diseinfo })
}

fn in2403(r: &mut Reader, root: &Obj<'_>) -> Result<In2403, Stop> {
    let a = r.node(root, "adminfo")?;
    let adminfo = AdmChange {
        mdtrt_id: r.req_code(&a, "mdtrt_id", ID),
        psn_no: r.req_code(&a, "psn_no", ID),
        begntime: r.datetime(&a, "begntime"),
        endtime: r.datetime(&a, "endtime"),
        mdtrt_cert_type: r.code(&a, "mdtrt_cert_type", CERT_TYPE),
        mdtrt_cert_no: r.code(&a, "mdtrt_cert_no", CERT_NO),
        med_type: r.code(&a, "med_type", MED_TYPE),
        ipt_no: r.code(&a, "ipt_no", ID),
        adm_dept_codg: r.code(&a, "adm_dept_codg", ID),
        adm_dept_name: r.code(&a, "adm_dept_name", NAME),
        oprn_oprt_code: r.code(&a, "oprn_oprt_code", ID),
        atddr_no: r.code(&a, "atddr_no", ID),
        chfpdr_name: r.code(&a, "chfpdr_name", NAME),
        adm_diag_dscr: r.code(&a, "adm_diag_dscr", TEXT),
        dise_codg: r.code(&a, "dise_codg", ID),
        dise_name: r.code(&a, "dise_name", NAME),
    };
    let diseinfo = dise_list(r, root, true)?;
    Ok(In2403 { adminfo, diseinfo })
}

fn in2404(r: &mut Reader, d: &Obj<'_>) -> In2404 {
    In2404 { mdtrt_id: r.req_code(d, "mdtrt_id", ID), psn_no: r.req_code(d, "psn_no", ID) }
}

fn in2405(r: &mut Reader, d: &Obj<'_>) -> In2405 {
    In2405 { mdtrt_id: r.req_code(d, "mdtrt_id", ID), psn_no: r.req_code(d, "psn_no", ID) }
}

fn in2601(r: &mut Reader, d: &Obj<'_>) -> In2601 {
    In2601 {
        psn_no: r.req_code(d, "psn_no", ID),
        omsgid: r.req_code(d, "omsgid", MSGID),
        oinfno: normalise_infno(&r.req_code(d, "oinfno", Code::Alnum(6))),
    }
}

/// `stmt_begndate`..`stmt_enddate`, in order and at most [`STMT_PERIOD_DAYS_MAX`] days.
fn period(r: &mut Reader, d: &Obj<'_>) -> (Date, Date) {
    let placeholder = Date::from_days(0);
    let begin = r.req_date(d, "stmt_begndate");
    let end = r.req_date(d, "stmt_enddate");
    if let (Some(begin), Some(end)) = (begin, end) {
        let days = end.to_days() - begin.to_days() + 1;
        let path = format!("{}.stmt_enddate", d.path);
        if days < 1 {
            r.problem(path, format!("对账结束日期 {end} 早于开始日期 {begin}"));
        } else if days > STMT_PERIOD_DAYS_MAX {
            r.problem(path, format!("对账期间 {days} 天，超过 {STMT_PERIOD_DAYS_MAX} 天上限"));
        }
    }
    (begin.unwrap_or(placeholder), end.unwrap_or(placeholder))
}

fn in3201(r: &mut Reader, d: &Obj<'_>) -> In3201 {
    let (stmt_begndate, stmt_enddate) = period(r, d);
    In3201 {
        insutype: r.req_code(d, "insutype", INSUTYPE),
        clr_type: r.req_code(d, "clr_type", CLR_TYPE),
        setl_optins: r.req_code(d, "setl_optins", DIVISION),
        stmt_begndate,
        stmt_enddate,
        medfee_sumamt: r.req_amount(d, "medfee_sumamt", true),
        fund_pay_sumamt: r.req_amount(d, "fund_pay_sumamt", true),
        acct_pay: r.req_amount(d, "acct_pay", true),
        fixmedins_setl_cnt: r.req_integer(d, "fixmedins_setl_cnt", true),
        refd_setl_flag: r.flag(d, "refd_setl_flag").unwrap_or(true),
    }
}

fn stmt_detl(r: &mut Reader, d: &Obj<'_>) -> StmtDetl {
    StmtDetl {
        setl_id: r.req_code(d, "setl_id", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        psn_no: r.req_code(d, "psn_no", ID),
        refd_setl_flag: r.req_flag(d, "refd_setl_flag"),
        medfee_sumamt: r.req_amount(d, "medfee_sumamt", true),
        fund_pay_sumamt: r.req_amount(d, "fund_pay_sumamt", true),
        acct_pay: r.req_amount(d, "acct_pay", true),
        msgid: r.code(d, "msgid", MSGID),
    }
}

fn in3202(r: &mut Reader, root: &Obj<'_>) -> Result<In3202, Stop> {
    let d = r.node(root, "data")?;
    let (stmt_begndate, stmt_enddate) = period(r, &d);
    let mut out = In3202 {
        setl_optins: r.req_code(&d, "setl_optins", DIVISION),
        stmt_begndate,
        stmt_enddate,
        medfee_sumamt: r.req_amount(&d, "medfee_sumamt", true),
        fund_pay_sumamt: r.req_amount(&d, "fund_pay_sumamt", true),
        cash_payamt: r.req_amount(&d, "cash_payamt", true),
        fixmedins_setl_cnt: r.req_integer(&d, "fixmedins_setl_cnt", true),
        yidi_stmtdetl: None,
    };
    let rows = match r.opt_list(&d, "yidi_stmtdetl", STMTDETL_3202_LEN_MAX)? {
        Some(rows) => Some(rows),
        None => r.opt_list(root, "yidi_stmtdetl", STMTDETL_3202_LEN_MAX)?,
    };
    out.yidi_stmtdetl = rows.map(|rows| rows.iter().map(|row| stmt_detl(r, row)).collect());
    Ok(out)
}

fn in3203(r: &mut Reader, d: &Obj<'_>) -> In3203 {
    let placeholder = Date::from_days(0);
    let begndate = r.req_date(d, "begndate");
    let enddate = r.req_date(d, "enddate");
    if let (Some(begin), Some(end)) = (begndate, enddate)
        && end < begin
    {
        r.problem(format!("{}.enddate", d.path), format!("结束日期 {end} 早于开始日期 {begin}"));
    }
    let setlym = r.req_code(d, "setlym", Code::Text(7));
    let digits: String = setlym.chars().filter(char::is_ascii_digit).collect();
    let month_ok = digits.len() == 6
        && (setlym.len() == 6 || setlym.as_bytes().get(4) == Some(&b'-'))
        && matches!(digits[4..].parse::<u8>(), Ok(1..=12));
    if !setlym.is_empty() && !month_ok {
        r.problem(format!("{}.setlym", d.path), format!("清算年月“{setlym}”应为 YYYYMM，如 202503"));
    }
    In3203 {
        clr_type: r.req_code(d, "clr_type", CLR_TYPE),
        clr_way: r.req_code(d, "clr_way", OPEN_DICT),
        setlym: if month_ok { digits } else { setlym },
        begndate: begndate.unwrap_or(placeholder),
        enddate: enddate.unwrap_or(placeholder),
        medfee_sumamt: r.req_amount(d, "medfee_sumamt", false),
        med_sumfee: r.req_amount(d, "med_sumfee", false),
        fund_appy_sum: r.req_amount(d, "fund_appy_sum", false),
        cash_payamt: r.req_amount(d, "cash_payamt", false),
        acct_pay: r.req_amount(d, "acct_pay", false),
        psntime: r.req_integer(d, "psntime", false),
        clr_optins: r.code(d, "clr_optins", DIVISION),
    }
}

fn in3204(r: &mut Reader, d: &Obj<'_>) -> In3204 {
    In3204 {
        clr_appy_evt_id: r.req_code(d, "clr_appy_evt_id", ID),
        clr_optins: r.code(d, "clr_optins", DIVISION),
    }
}

fn in5203(r: &mut Reader, d: &Obj<'_>) -> In5203 {
    In5203 {
        psn_no: r.req_code(d, "psn_no", ID),
        setl_id: r.req_code(d, "setl_id", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
    }
}

fn in5204(r: &mut Reader, d: &Obj<'_>) -> In5204 {
    let page = r.integer(d, "yidi_page_num", false).unwrap_or(1);
    if !(1..=i64::from(PAGE_5204_NUM_MAX)).contains(&page) {
        r.problem(format!("{}.yidi_page_num", d.path), format!("页码应在 1–{PAGE_5204_NUM_MAX} 之间"));
    }
    In5204 {
        psn_no: r.req_code(d, "psn_no", ID),
        mdtrt_id: r.req_code(d, "mdtrt_id", ID),
        setl_id: r.code(d, "setl_id", ID),
        yidi_page_num: u32::try_from(page.clamp(1, i64::from(PAGE_5204_NUM_MAX))).expect("clamped"),
    }
}
