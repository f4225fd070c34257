//! Transaction inputs (`protocol.md` §6) and the tolerance rules of §2.3: every error path is
//! checked with its exact `[path]reason` text.

mod common;

use common::{MDTRT, PSN, fee_line, samples};
use serde_json::{Value, json};
use yidi_domain::{Date, DateTime, Fen, Price, Qty};
use yidi_protocol::errors::{BAD_FIELD, TOO_LARGE, UNKNOWN_INFNO};
use yidi_protocol::inputs::{TxInput, parse_input};
use yidi_protocol::limits::{DISEINFO_LEN_MAX, FEEDETAIL_2204_LEN_MAX, FEEDETAIL_2301_LEN_MAX};

fn sample(infno: &str) -> Value {
    samples().into_iter().find(|(i, _)| *i == infno).expect("sample").1
}

/// The sample of `infno` with fields of its node `node` changed (`null` removes one).
fn changed(infno: &str, node: &str, changes: Value) -> Value {
    let mut input = sample(infno);
    for (k, v) in changes.as_object().unwrap() {
        let obj = input[node].as_object_mut().unwrap();
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    input
}

/// Expects a refusal with this code and exactly this `err_msg`.
fn check_err(infno: &str, input: &Value, err_code: &str, err_msg: &str) {
    let err = parse_input(infno, input).expect_err(&input.to_string());
    assert_eq!((err.err_code, err.err_msg().as_str()), (err_code, err_msg));
}

#[test]
fn every_sample_parses_as_its_transaction() {
    for (infno, input) in samples() {
        let tx = parse_input(infno, &input).unwrap_or_else(|e| panic!("{infno}: {}", e.err_msg()));
        assert_eq!(tx.infno(), infno);
    }
    assert_eq!(samples().len(), yidi_protocol::envelope::OFFERED_INFNOS.len());
}

#[test]
fn the_example_2207_reads_exactly() {
    let input = json!({"data": {"psn_no": PSN, "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197208150513",
        "med_type": 11, "medfee_sumamt": 666.50, "psn_setlway": "01", "mdtrt_id": MDTRT,
        "chrg_bchno": "CB20250302000017", "acct_used_flag": 1, "insutype": 310, "fulamt_ownpay_amt": 80.00,
        "overlmt_selfpay": "5.00", "preselfpay_amt": 42, "inscp_scp_amt": "539.5", "invono": ""}});
    let Ok(TxInput::Tx2207(tx)) = parse_input("2207", &input) else { panic!() };
    assert_eq!(tx.setl.medfee_sumamt, Fen::new(66_650));
    assert_eq!(tx.setl.med_type, "11");
    assert_eq!(tx.setl.insutype, "310");
    assert!(tx.setl.acct_used_flag);
    assert_eq!(tx.setl.split.fulamt_ownpay_amt, Some(Fen::new(8_000)));
    assert_eq!(tx.setl.split.overlmt_selfpay, Some(Fen::new(500)));
    assert_eq!(tx.setl.split.preselfpay_amt, Some(Fen::new(4_200)));
    assert_eq!(tx.setl.split.inscp_scp_amt, Some(Fen::new(53_950)));
    assert_eq!(tx.invono, None);
}

#[test]
fn unknown_transactions() {
    check_err("1301", &json!({}), UNKNOWN_INFNO, "[infno]交易编号“1301”未开通（易地不提供该交易）");
    check_err("9101", &json!({}), UNKNOWN_INFNO, "[infno]交易编号“9101”未开通（易地不提供该交易）");
    assert!(matches!(parse_input("2203A", &sample("2203")), Ok(TxInput::Tx2203(_))));
}

#[test]
fn nodes_must_be_there() {
    check_err("2207", &json!({}), BAD_FIELD, "[input.data]必填，不能为空");
    check_err("2207", &json!({"data": "x"}), BAD_FIELD, "[input.data]应为 JSON 对象");
    check_err("2207", &json!([]), BAD_FIELD, "[input]应为 JSON 对象");
    check_err("9001", &json!({"data": {}}), BAD_FIELD, "[input.signIn]必填，不能为空");
    check_err("2204", &json!({"feedetail": []}), BAD_FIELD, "[input.feedetail]必填，至少一条");
    check_err("2204", &json!({"feedetail": 3}), BAD_FIELD, "[input.feedetail]应为数组或对象");
    check_err("2204", &json!({"feedetail": [1]}), BAD_FIELD, "[input.feedetail[0]]应为 JSON 对象");
    // A one-element array stands for the object.
    let data = sample("2207")["data"].clone();
    assert!(parse_input("2207", &json!({ "data": [data] })).is_ok());
}

#[test]
fn missing_mistyped_and_too_wide_fields() {
    let input = changed(
        "2207",
        "data",
        json!({"psn_no": null, "mdtrt_id": "", "med_type": 1.5,
        "acct_used_flag": "2", "insutype": "31", "mdtrt_cert_type": "2", "chrg_bchno": "C".repeat(31),
        "mdtrt_cert_no": {"a": 1}}),
    );
    check_err(
        "2207",
        &input,
        BAD_FIELD,
        "[input.data.psn_no]必填，不能为空；[input.data.mdtrt_cert_type]“2”应为 2 位数字；\
         [input.data.mdtrt_cert_no]应为字符串或数值，而不是对象或数组；\
         [input.data.med_type]应为字符串，数值 1.5 不是有效的代码；[input.data.mdtrt_id]必填，不能为空；\
         [input.data.chrg_bchno]长度 31 超过 30 个字符；[input.data.acct_used_flag]“2”无效，应为 0 或 1；\
         [input.data.insutype]“31”应为 3–5 位数字",
    );
    check_err(
        "2207",
        &changed("2207", "data", json!({"psn_no": true})),
        BAD_FIELD,
        "[input.data.psn_no]应为字符串，而不是布尔值",
    );
}

#[test]
fn closed_dictionaries() {
    check_err(
        "2207",
        &changed("2207", "data", json!({"psn_setlway": "02"})),
        BAD_FIELD,
        "[input.data.psn_setlway]“02”无效，只能为 01",
    );
    // A number is its digits: 1 is not `01`.
    check_err(
        "2207",
        &changed("2207", "data", json!({"psn_setlway": 1})),
        BAD_FIELD,
        "[input.data.psn_setlway]“1”无效，只能为 01",
    );
    check_err(
        "2303",
        &changed("2303", "data", json!({"mid_setl_flag": "1"})),
        BAD_FIELD,
        "[input.data.mid_setl_flag]“1”无效，只能为 0",
    );
    assert!(parse_input("2303", &changed("2303", "data", json!({"mid_setl_flag": 0}))).is_ok());
    // Flags: "0"/"1", the numbers 0/1, or JSON booleans.
    for (v, want) in [(json!("0"), false), (json!(1), true), (json!(true), true)] {
        let Ok(TxInput::Tx2206(tx)) =
            parse_input("2206", &changed("2206", "data", json!({"acct_used_flag": v})))
        else {
            panic!()
        };
        assert_eq!(tx.acct_used_flag, want);
    }
}

#[test]
fn amounts_are_exact() {
    check_err(
        "2207",
        &changed("2207", "data", json!({"medfee_sumamt": "666.501"})),
        BAD_FIELD,
        "[input.data.medfee_sumamt]“666.501” 小数位数超过 2 位",
    );
    check_err(
        "2207",
        &changed("2207", "data", json!({"medfee_sumamt": -1})),
        BAD_FIELD,
        "[input.data.medfee_sumamt]“-1” 不能为负数",
    );
    check_err(
        "2207",
        &changed("2207", "data", json!({"medfee_sumamt": "abc"})),
        BAD_FIELD,
        "[input.data.medfee_sumamt]“abc” 不是合法数值",
    );
    check_err(
        "2207",
        &changed("2207", "data", json!({"medfee_sumamt": 1e-5})),
        BAD_FIELD,
        "[input.data.medfee_sumamt]“0.00001” 小数位数超过 2 位",
    );
    check_err(
        "2207",
        &changed("2207", "data", json!({"medfee_sumamt": "10000000000.01"})),
        BAD_FIELD,
        "[input.data.medfee_sumamt]“10000000000.01” 超出允许范围",
    );
    check_err(
        "2207",
        &changed("2207", "data", json!({"inscp_scp_amt": "1.1.1"})),
        BAD_FIELD,
        "[input.data.inscp_scp_amt]“1.1.1” 不是合法数值",
    );
    // Through the envelope a 20-digit fraction stays text and is refused, not rounded.
    let input = changed("2207", "data", json!({"medfee_sumamt": "666.5000000000000000001"}));
    check_err(
        "2207",
        &input,
        BAD_FIELD,
        "[input.data.medfee_sumamt]“666.5000000000000000001” 小数位数超过 2 位",
    );
    let Ok(TxInput::Tx2207(tx)) =
        parse_input("2207", &changed("2207", "data", json!({"medfee_sumamt": "666.5000"})))
    else {
        panic!()
    };
    assert_eq!(tx.setl.medfee_sumamt, Fen::new(66_650));
}

#[test]
fn fee_lines_name_their_index() {
    let mut lines: Vec<Value> = (0..5).map(|i| fee_line(&format!("L{i}"))).collect();
    lines[3]["pric"] = json!("1.0000001");
    lines[1]["cnt"] = json!(0);
    lines[2]["cnt"] = json!("-1");
    lines[4]["fee_ocur_time"] = json!("2025-03-02T09:20:00");
    lines[4]["exp_content"] = json!({"er_flag": "1"});
    lines[0]["exp_content"] = json!("{\"er_flag\":\"x\"}");
    check_err(
        "2204",
        &json!({ "feedetail": lines.clone() }),
        BAD_FIELD,
        "[input.feedetail[0].exp_content.er_flag]“x”无效，应为 0 或 1；[input.feedetail[1].cnt]数量“0”应大于 0；\
         [input.feedetail[2].cnt]数量“-1”应大于 0；[input.feedetail[3].pric]“1.0000001” 小数位数超过 6 位",
    );
    lines.truncate(5);
    let good: Vec<Value> = vec![lines[4].clone(), fee_line("x")];
    let Ok(TxInput::Tx2204(tx)) = parse_input("2204", &json!({ "feedetail": good })) else { panic!() };
    assert!(tx.lines[0].er_flag);
    assert!(!tx.lines[1].er_flag);
    assert_eq!(tx.lines[0].fee_ocur_time, DateTime::parse("2025-03-02 09:20:00").unwrap());
    assert_eq!(tx.lines[1].cnt, Qty::from_units(3));
    assert_eq!(tx.lines[1].pric, Price::parse("45.5").unwrap());
    assert_eq!(tx.lines[1].det_item_fee_sumamt, Fen::new(13_650));
}

#[test]
fn one_object_is_a_one_element_list() {
    let Ok(TxInput::Tx2204(tx)) = parse_input("2204", &json!({"feedetail": fee_line("a")})) else { panic!() };
    assert_eq!(tx.lines.len(), 1);
    let mut line = fee_line("a");
    line["pric"] = json!(-1);
    check_err("2204", &json!({ "feedetail": line }), BAD_FIELD, "[input.feedetail[0].pric]“-1” 不能为负数");
}

#[test]
fn one_visit_and_unique_serial_numbers_per_upload() {
    let mut other = fee_line("a");
    other["mdtrt_id"] = json!("310104000000481208");
    check_err(
        "2204",
        &json!({"feedetail": [fee_line("a"), other]}),
        BAD_FIELD,
        "[input.feedetail[1].feedetl_sn]明细流水号“a”在本次上传中重复；\
         [input.feedetail[1].mdtrt_id]一次上传只能属于一个就诊（本次已有 310104000000481207）",
    );
}

#[test]
fn refunds_only_in_2301() {
    let mut refund = fee_line("r1");
    refund["cnt"] = json!(-1);
    refund["det_item_fee_sumamt"] = json!("-45.50");
    check_err(
        "2301",
        &json!({ "feedetail": refund.clone() }),
        BAD_FIELD,
        "[input.feedetail[0].init_feedetl_sn]退费明细（数量为负）必须填写原明细流水号",
    );
    refund["init_feedetl_sn"] = json!("1");
    let Ok(TxInput::Tx2301(tx)) =
        parse_input("2301", &json!({ "feedetail": [fee_line("1"), refund.clone()] }))
    else {
        panic!()
    };
    assert_eq!(tx.lines[1].cnt, Qty::from_units(-1));
    assert_eq!(tx.lines[1].det_item_fee_sumamt, Fen::new(-4_550));
    assert_eq!(tx.lines[1].init_feedetl_sn.as_deref(), Some("1"));
    check_err(
        "2204",
        &json!({ "feedetail": refund }),
        BAD_FIELD,
        "[input.feedetail[0].det_item_fee_sumamt]“-45.50” 不能为负数；[input.feedetail[0].cnt]数量“-1”应大于 0",
    );
}

#[test]
fn lists_over_their_limits_are_too_large() {
    let many = |n: usize| Value::Array((0..n).map(|i| fee_line(&i.to_string())).collect());
    assert!(parse_input("2204", &json!({ "feedetail": many(FEEDETAIL_2204_LEN_MAX) })).is_ok());
    check_err(
        "2204",
        &json!({ "feedetail": many(1_001) }),
        TOO_LARGE,
        "[input.feedetail]共 1001 条，超过每次 1000 条的上限，请分批上传",
    );
    assert!(parse_input("2301", &json!({ "feedetail": many(1_001) })).is_ok());
    let over = FEEDETAIL_2301_LEN_MAX + 1;
    check_err(
        "2301",
        &json!({ "feedetail": many(over) }),
        TOO_LARGE,
        "[input.feedetail]共 5001 条，超过每次 5000 条的上限，请分批上传",
    );
    let mut input = sample("2203");
    input["diseinfo"] = Value::Array(vec![input["diseinfo"][0].clone(); DISEINFO_LEN_MAX + 1]);
    check_err("2203", &input, TOO_LARGE, "[input.diseinfo]共 51 条，超过每次 50 条的上限，请分批上传");
    let row = sample("2302")["data"][0].clone();
    check_err(
        "2302",
        &json!({ "data": vec![row; 5_001] }),
        TOO_LARGE,
        "[input.data]共 5001 条，超过每次 5000 条的上限，请分批上传",
    );
    let mut input = sample("3202");
    let row = input["data"]["yidi_stmtdetl"][0].clone();
    input["data"]["yidi_stmtdetl"] = Value::Array(vec![row; 5_001]);
    check_err(
        "3202",
        &input,
        TOO_LARGE,
        "[input.data.yidi_stmtdetl]共 5001 条，超过每次 5000 条的上限，请分批上传",
    );
}

#[test]
fn conditional_requirements() {
    check_err(
        "1101",
        &changed("1101", "data", json!({"mdtrt_cert_type": "03"})),
        BAD_FIELD,
        "[input.data.card_sn]凭证类型 03（社保卡）时必填；[input.data.certno]凭证类型 03 时必填（本平台按身份证号识别人员，不解码电子凭证）",
    );
    assert!(
        parse_input(
            "1101",
            &changed("1101", "data", json!({"mdtrt_cert_type": "01", "certno": "320102197208150513"}))
        )
        .is_ok()
    );
    check_err(
        "1201",
        &json!({"medinsinfo": {"fixmedins_name": ""}}),
        BAD_FIELD,
        "[input.medinsinfo]须填写 fixmedins_type、fixmedins_code、fixmedins_name 之一",
    );
    let mut input = sample("2203");
    input["mdtrtinfo"]["med_type"] = json!("14");
    check_err(
        "2203",
        &input,
        BAD_FIELD,
        "[input.mdtrtinfo.dise_codg]医疗类别 14（门诊慢特病）时必填病种编码",
    );
    let mut input = sample("2401");
    input["mdtrtinfo"]["med_type"] = json!(28);
    input["diseinfo"][0]["maindiag_flag"] = Value::Null;
    check_err(
        "2401",
        &input,
        BAD_FIELD,
        "[input.mdtrtinfo.oprn_oprt_code]医疗类别 28（日间手术）时必填手术操作代码；[input.diseinfo[0].maindiag_flag]必填，不能为空",
    );
}

#[test]
fn reconciliation_periods() {
    let Ok(TxInput::Tx3201(tx)) =
        parse_input("3201", &changed("3201", "data", json!({"stmt_begndate": "2025-03-01 00:00:00"})))
    else {
        panic!()
    };
    assert_eq!(tx.stmt_begndate, Date::parse("2025-03-01").unwrap());
    assert!(tx.refd_setl_flag, "defaults to 1");
    check_err(
        "3201",
        &changed("3201", "data", json!({"stmt_enddate": "2025-04-01"})),
        BAD_FIELD,
        "[input.data.stmt_enddate]对账期间 32 天，超过 31 天上限",
    );
    check_err(
        "3201",
        &changed("3201", "data", json!({"stmt_enddate": "2025-02-28"})),
        BAD_FIELD,
        "[input.data.stmt_enddate]对账结束日期 2025-02-28 早于开始日期 2025-03-01",
    );
    check_err(
        "3201",
        &changed("3201", "data", json!({"stmt_begndate": "2025/03/01"})),
        BAD_FIELD,
        "[input.data.stmt_begndate]“2025/03/01” 不是合法日期（应为 YYYY-MM-DD）",
    );
    check_err(
        "3201",
        &changed("3201", "data", json!({"fixmedins_setl_cnt": 1.5})),
        BAD_FIELD,
        "[input.data.fixmedins_setl_cnt]“1.5”应为整数",
    );
    check_err(
        "3201",
        &changed("3201", "data", json!({"setl_optins": "3100"})),
        BAD_FIELD,
        "[input.data.setl_optins]“3100”应为 6 位数字",
    );
}

/// 3203 reads `setlym` in both spellings and lists every bad field at once.
#[test]
fn clearing_applications_parse() {
    let Ok(TxInput::Tx3203(tx)) = parse_input("3203", &sample("3203")) else { panic!() };
    assert_eq!((tx.setlym.as_str(), tx.psntime, tx.fund_appy_sum.get()), ("202503", 1, 30_000));
    let Ok(TxInput::Tx3203(tx)) = parse_input("3203", &changed("3203", "data", json!({"setlym": "2025-03"})))
    else {
        panic!()
    };
    assert_eq!(tx.setlym, "202503");
    check_err(
        "3203",
        &changed("3203", "data", json!({"setlym": "202513", "enddate": "2025-02-01", "acct_pay": "-1"})),
        BAD_FIELD,
        "[input.data.enddate]结束日期 2025-02-01 早于开始日期 2025-03-01；\
         [input.data.setlym]清算年月“202513”应为 YYYYMM，如 202503；[input.data.acct_pay]“-1” 不能为负数",
    );
}

#[test]
fn statement_lists_come_inline() {
    let Ok(TxInput::Tx3202(tx)) = parse_input("3202", &sample("3202")) else { panic!() };
    let rows = tx.yidi_stmtdetl.unwrap();
    assert_eq!((rows.len(), rows[0].acct_pay, rows[0].refd_setl_flag), (1, Fen::new(50_000), false));
    let mut input = sample("3202");
    let rows = input["data"].as_object_mut().unwrap().remove("yidi_stmtdetl").unwrap();
    let Ok(TxInput::Tx3202(tx)) = parse_input("3202", &input) else { panic!() };
    assert_eq!(tx.yidi_stmtdetl, None);
    input["yidi_stmtdetl"] = rows;
    let Ok(TxInput::Tx3202(tx)) = parse_input("3202", &input) else { panic!() };
    assert_eq!(tx.yidi_stmtdetl.map(|r| r.len()), Some(1));
}

#[test]
fn small_transactions() {
    let Ok(TxInput::Tx5204(tx)) = parse_input("5204", &sample("5204")) else { panic!() };
    assert_eq!((tx.yidi_page_num, tx.setl_id), (1, None));
    check_err(
        "5204",
        &changed("5204", "data", json!({"yidi_page_num": 0})),
        BAD_FIELD,
        "[input.data.yidi_page_num]页码应在 1–1000000 之间",
    );
    let Ok(TxInput::Tx2601(tx)) = parse_input("2601", &changed("2601", "data", json!({"oinfno": "2203A"})))
    else {
        panic!()
    };
    assert_eq!(tx.oinfno, "2203");
    check_err(
        "2601",
        &changed("2601", "data", json!({"omsgid": "H3101 04"})),
        BAD_FIELD,
        "[input.data.omsgid]“H3101 04”应只含可打印 ASCII 字符（不含空格和汉字）",
    );
    let Ok(TxInput::Tx2403(tx)) = parse_input("2403", &sample("2403")) else { panic!() };
    assert_eq!((tx.diseinfo, tx.adminfo.ipt_no), (None, None));
    let Ok(TxInput::Tx2402(tx)) = parse_input("2402", &sample("2402")) else { panic!() };
    assert_eq!((tx.diseinfo.len(), tx.diseinfo[0].maindiag_flag), (1, Some(true)));
    check_err(
        "2201",
        &changed("2201", "data", json!({"begntime": "2025-03-02"})),
        BAD_FIELD,
        "[input.data.begntime]“2025-03-02” 不是合法时间（应为 YYYY-MM-DD HH:MM:SS）",
    );
}
