//! A minimal valid `input` for every offered transaction, shared by the input tests and the fuzz
//! test (which mutates them).

use serde_json::{Value, json};

pub const PSN: &str = "32010000000000012345";
pub const MDTRT: &str = "310104000000481207";
pub const SETL: &str = "310104000000390554";

pub fn fee_line(sn: &str) -> Value {
    json!({"feedetl_sn": sn, "mdtrt_id": MDTRT, "psn_no": PSN, "chrg_bchno": "CB20250302000017",
        "fee_ocur_time": "2025-03-02 09:20:00", "med_list_codg": "XA01AAA001", "medins_list_codg": "H-001",
        "det_item_fee_sumamt": "136.50", "cnt": 3, "pric": 45.50})
}

fn settle_data() -> Value {
    json!({"psn_no": PSN, "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197208150513", "med_type": "11",
        "medfee_sumamt": 666.50, "psn_setlway": "01", "mdtrt_id": MDTRT, "chrg_bchno": "CB20250302000017",
        "acct_used_flag": "1", "insutype": "310"})
}

fn dise() -> Value {
    json!({"diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1, "diag_code": "I10.x00", "diag_name": "高血压"})
}

/// `(infno, input)` for all 28 offered transactions.
pub fn samples() -> Vec<(&'static str, Value)> {
    let stay = json!({"psn_no": PSN, "insutype": "310", "begntime": "2025-03-02 09:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": "320102197208150513", "med_type": "21", "ipt_no": "ZY001", "adm_dept_codg": "A01",
        "adm_dept_name": "内科"});
    let ipt_settle = json!({"psn_no": PSN, "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197208150513",
        "medfee_sumamt": "1000.00", "psn_setlway": "01", "mdtrt_id": MDTRT, "acct_used_flag": "0", "insutype": "310"});
    vec![
        ("9001", json!({"signIn": {"opter_no": "SF0107", "mac": "00:11", "ip": "10.0.0.1"}})),
        ("9002", json!({"signOut": {"sign_no": "310000202503020000000001", "opter_no": "SF0107"}})),
        ("1101", json!({"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197208150513"}})),
        ("1201", json!({"medinsinfo": {"fixmedins_name": "人民医院"}})),
        (
            "2001",
            json!({"data": {"psn_no": PSN, "insutype": "310", "med_type": "11", "begntime": "2025-03-02 09:00:00"}}),
        ),
        (
            "2201",
            json!({"data": {"psn_no": PSN, "insutype": "310", "begntime": "2025-03-02 09:00:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197208150513", "ipt_otp_no": "MZ001"}}),
        ),
        ("2202", json!({"data": {"psn_no": PSN, "mdtrt_id": MDTRT, "ipt_otp_no": "MZ001"}})),
        (
            "2203",
            json!({"mdtrtinfo": {"mdtrt_id": MDTRT, "psn_no": PSN, "med_type": "11",
            "begntime": "2025-03-02 09:00:00"}, "diseinfo": [dise()]}),
        ),
        ("2204", json!({"feedetail": [fee_line("a"), fee_line("b")]})),
        ("2205", json!({"data": {"mdtrt_id": MDTRT, "chrg_bchno": "0000", "psn_no": PSN}})),
        ("2206", json!({"data": settle_data()})),
        ("2207", json!({"data": settle_data()})),
        ("2208", json!({"data": {"setl_id": SETL, "mdtrt_id": MDTRT, "psn_no": PSN}})),
        ("2301", json!({"feedetail": [fee_line("1")]})),
        ("2302", json!({"data": [{"feedetl_sn": "0000", "mdtrt_id": MDTRT, "psn_no": PSN}]})),
        ("2303", json!({"data": ipt_settle.clone()})),
        ("2304", json!({"data": ipt_settle})),
        ("2305", json!({"data": {"mdtrt_id": MDTRT, "setl_id": SETL, "psn_no": PSN}})),
        ("2401", json!({"mdtrtinfo": stay, "diseinfo": [dise()]})),
        (
            "2402",
            json!({"dscginfo": {"mdtrt_id": MDTRT, "psn_no": PSN, "insutype": "310",
            "endtime": "2025-03-09 10:00:00", "dscg_way": "1", "dscg_dept_codg": "A01", "dscg_dept_name": "内科"},
            "diseinfo": dise()}),
        ),
        ("2403", json!({"adminfo": {"mdtrt_id": MDTRT, "psn_no": PSN, "begntime": "2025-03-01 09:00:00"}})),
        ("2404", json!({"data": {"mdtrt_id": MDTRT, "psn_no": PSN}})),
        ("2405", json!({"data": {"mdtrt_id": MDTRT, "psn_no": PSN}})),
        (
            "2601",
            json!({"data": {"psn_no": PSN, "omsgid": "H31010400123202503020941000003", "oinfno": "2207"}}),
        ),
        (
            "3201",
            json!({"data": {"insutype": "310", "clr_type": "11", "setl_optins": "310000",
            "stmt_begndate": "2025-03-01", "stmt_enddate": "2025-03-31", "medfee_sumamt": "666.50",
            "fund_pay_sumamt": "0.00", "acct_pay": "500.00", "fixmedins_setl_cnt": 1}}),
        ),
        (
            "3202",
            json!({"data": {"setl_optins": "310000", "stmt_begndate": "2025-03-01", "stmt_enddate": "2025-03-31",
            "medfee_sumamt": "666.50", "fund_pay_sumamt": "0.00", "cash_payamt": "166.50", "fixmedins_setl_cnt": 1,
            "yidi_stmtdetl": [{"setl_id": SETL, "mdtrt_id": MDTRT, "psn_no": PSN, "refd_setl_flag": "0",
                "medfee_sumamt": 666.50, "fund_pay_sumamt": 0, "acct_pay": 500}]}}),
        ),
        (
            "3203",
            json!({"data": {"clr_type": "11", "clr_way": "1", "setlym": "202503", "begndate": "2025-03-01",
            "enddate": "2025-03-31", "medfee_sumamt": "666.50", "med_sumfee": "500.00", "fund_appy_sum": "300.00",
            "cash_payamt": "166.50", "acct_pay": "200.00", "psntime": 1}}),
        ),
        ("3204", json!({"data": {"clr_appy_evt_id": "310104000000000001", "clr_optins": "310100"}})),
        ("5203", json!({"data": {"psn_no": PSN, "setl_id": SETL, "mdtrt_id": MDTRT}})),
        ("5204", json!({"data": {"psn_no": PSN, "mdtrt_id": MDTRT}})),
    ]
}
