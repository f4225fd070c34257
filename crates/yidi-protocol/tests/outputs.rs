//! Outputs (`protocol.md` §6–7): the §7 success body byte for byte, from hand-set values and
//! from the engine's settlement of `settlement.md` §10 Example 1; helpers, negation, identities.

use std::path::Path;

use yidi_adjudication::{Context, adjudicate};
use yidi_domain::{Bp, Date, DateTime, Fen, InsuType, ListType, PersonState, Price, PsnGroup, Qty};
use yidi_protocol::envelope::response_ok;
use yidi_protocol::outputs::{
    BaseInfoOut, FeeResultOut, FeeUploadOut, FilingInfoOut, InsuInfoOut, PersonOut, SetlDetailOut, SetlIds,
    SetlInfoOut, SettlementOut, age_years, check_identities, fund_pay_type_name, identity_violations,
    med_chrgitm_type, negate, negate_details, psn_type, settlement_out, to_output_json,
};

/// The §7 success body, joined into one line as sent.
const EXAMPLE_OK: &str = r#"{"infcode":0,"inf_refmsgid":"310000202503020941000100000056","refmsg_time":"20250302094100123",
"respond_time":"20250302094100131","err_msg":null,"warn_msg":null,"cainfo":"","signtype":"",
"enctype":"","err_code":null,"output":{
"setlinfo":{"mdtrt_id":"310104000000481207","setl_id":"310104000000390554",
"psn_no":"32010000000000012345","psn_name":"王某","psn_cert_type":"01",
"certno":"320102197208150513","gend":"1","naty":null,"brdy":"1972-08-15","age":52.5,
"insutype":"310","psn_type":"1101","cvlserv_flag":"0","setl_time":"2025-03-02 09:41:00",
"mdtrt_cert_type":"02","med_type":"11","medfee_sumamt":666.50,"fulamt_ownpay_amt":80.00,
"overlmt_selfpay":5.00,"preselfpay_amt":42.00,"inscp_scp_amt":539.50,"act_pay_dedc":539.50,
"hifp_pay":0.00,"pool_prop_selfpay":0.7000,"cvlserv_pay":0.00,"hifes_pay":0.00,"hifmi_pay":0.00,
"hifob_pay":0.00,"maf_pay":0.00,"oth_pay":0.00,"fund_pay_sumamt":0.00,"psn_part_amt":666.50,
"acct_pay":500.00,"psn_cash_pay":166.50,"hosp_part_amt":0.00,"balc":0.00,"acct_mulaid_pay":0.00,
"medins_setl_id":"H31010400123202503020941000003","clr_optins":"310000","clr_way":"01",
"clr_type":"11"},
"setldetail":[{"fund_pay_type":"310200","inscp_scp_amt":539.50,"crt_payb_lmt_amt":null,
"fund_payamt":500.00,"fund_pay_type_name":"职工基本医疗保险个人账户基金",
"setl_proc_info":"起付线539.50；个人账户支付500.00，余额0.00"}]}}"#;

fn example_ok() -> String {
    EXAMPLE_OK.replace('\n', "")
}

fn fen(yuan: &str) -> Fen {
    Fen::parse_yuan(yuan).unwrap()
}

fn example_output() -> SettlementOut {
    let setlinfo = SetlInfoOut {
        mdtrt_id: "310104000000481207".into(),
        setl_id: Some("310104000000390554".into()),
        psn_no: "32010000000000012345".into(),
        psn_name: "王某".into(),
        psn_cert_type: "01".into(),
        certno: "320102197208150513".into(),
        gend: "1".into(),
        naty: None,
        brdy: Date::parse("1972-08-15").unwrap(),
        age: 525,
        insutype: "310".into(),
        psn_type: "1101".into(),
        cvlserv_flag: "0".into(),
        setl_time: Some(DateTime::parse("2025-03-02 09:41:00").unwrap()),
        mdtrt_cert_type: "02".into(),
        med_type: "11".into(),
        medfee_sumamt: fen("666.50"),
        fulamt_ownpay_amt: fen("80"),
        overlmt_selfpay: fen("5"),
        preselfpay_amt: fen("42"),
        inscp_scp_amt: fen("539.50"),
        act_pay_dedc: fen("539.50"),
        hifp_pay: Fen::ZERO,
        pool_prop_selfpay: Bp::new(7_000).unwrap(),
        cvlserv_pay: Fen::ZERO,
        hifes_pay: Fen::ZERO,
        hifmi_pay: Fen::ZERO,
        hifob_pay: Fen::ZERO,
        maf_pay: Fen::ZERO,
        oth_pay: Fen::ZERO,
        fund_pay_sumamt: Fen::ZERO,
        psn_part_amt: fen("666.50"),
        acct_pay: fen("500"),
        psn_cash_pay: fen("166.50"),
        hosp_part_amt: Fen::ZERO,
        balc: Fen::ZERO,
        acct_mulaid_pay: Fen::ZERO,
        medins_setl_id: Some("H31010400123202503020941000003".into()),
        clr_optins: Some("310000".into()),
        clr_way: Some("01".into()),
        clr_type: "11".into(),
        refd_setl_flag: None,
    };
    let setldetail = vec![SetlDetailOut {
        fund_pay_type: "310200".into(),
        inscp_scp_amt: fen("539.50"),
        crt_payb_lmt_amt: None,
        fund_payamt: fen("500"),
        fund_pay_type_name: "职工基本医疗保险个人账户基金".into(),
        setl_proc_info: "起付线539.50；个人账户支付500.00，余额0.00".into(),
    }];
    SettlementOut { setlinfo, setldetail }
}

fn envelope(output: &SettlementOut) -> String {
    response_ok(
        "310000202503020941000100000056",
        "20250302094100123",
        "20250302094100131",
        &to_output_json(output),
        None,
    )
}

#[test]
fn the_2207_success_body_matches_the_example_byte_for_byte() {
    let out = example_output();
    check_identities(&out.setlinfo, &out.setldetail);
    assert_eq!(envelope(&out), example_ok());
}

/// Example 1 settled by the engine on the worked pack gives the §7 body; only the person
/// differs (the pack's person is 王建国, born 1970-05-12: 54.8 years on 2025-03-02).
#[test]
fn the_engine_settlement_renders_as_the_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data");
    let pack = yidi_refdata::load_pack(&root.join("packs/worked")).expect("worked pack loads");
    let claims =
        std::fs::read_to_string(root.join("adjudication/ok/001_worked_example_1/claims.jsonl")).unwrap();
    let claim = yidi_protocol::parse_claim(claims.lines().next().unwrap()).unwrap();
    let state = PersonState::default();
    let ctx = Context {
        refdata: &pack.refdata,
        person: pack.persons.get(&claim.psn_no),
        state: pack.states.get(&claim.psn_no).unwrap_or(&state),
    };
    let settlement = adjudicate(&ctx, &claim).expect("example 1 settles");
    let ids = SetlIds {
        mdtrt_id: "310104000000481207".into(),
        setl_id: Some("310104000000390554".into()),
        setl_time: Some(claim.setl_time),
        mdtrt_cert_type: "02".into(),
        medins_setl_id: Some("H31010400123202503020941000003".into()),
    };
    let out = settlement_out(&settlement, &ids);
    let expected = example_ok()
        .replace("32010000000000012345", "P0000000001")
        .replace("王某", "王建国")
        .replace("320102197208150513", "320102197005120015")
        .replace("1972-08-15", "1970-05-12")
        .replace("\"age\":52.5", "\"age\":54.8");
    assert_eq!(envelope(&out), expected);
    // A pre-settlement has no settlement id, time or clearing.
    let pre =
        settlement_out(&settlement, &SetlIds { setl_id: None, setl_time: None, medins_setl_id: None, ..ids });
    let text = to_output_json(&pre);
    assert!(text.contains(r#""setl_id":null,"#) && text.contains(r#""setl_time":null,"#));
    assert!(text.contains(r#""clr_optins":null,"clr_way":null,"clr_type":"11""#), "{text}");
}

#[test]
fn cancellations_negate_every_amount() {
    let out = example_output();
    let neg = negate(&out.setlinfo);
    let details = negate_details(&out.setldetail);
    check_identities(&neg, &details);
    assert_eq!(neg.medfee_sumamt, fen("-666.50"));
    assert_eq!(neg.acct_pay, fen("-500"));
    assert_eq!(neg.pool_prop_selfpay, out.setlinfo.pool_prop_selfpay);
    assert_eq!((neg.age, &neg.psn_type), (525, &out.setlinfo.psn_type));
    assert_eq!(details[0].fund_payamt, fen("-500"));
    assert_eq!(details[0].inscp_scp_amt, fen("-539.50"));
    assert_eq!(negate(&neg), out.setlinfo);
    let text = to_output_json(&neg);
    assert!(text.contains(r#""medfee_sumamt":-666.50,"#) && text.contains(r#""hifp_pay":0.00,"#), "{text}");
}

#[test]
fn identities_name_what_breaks() {
    let mut out = example_output();
    assert!(identity_violations(&out.setlinfo, &out.setldetail).is_empty());
    out.setlinfo.psn_cash_pay = fen("166.49");
    out.setlinfo.oth_pay = fen("0.01");
    out.setldetail.clear();
    let v = identity_violations(&out.setlinfo, &out.setldetail);
    assert_eq!(
        v,
        [
            "2: fund_pay_sumamt 0.00 ≠ 0.01",
            "4: psn_part_amt 666.50 ≠ 500.00 + 166.49",
            "5: Σ fund_payamt 0.00 ≠ 0.00 + 500.00",
        ]
    );
}

#[test]
fn ages_in_tenths_half_up() {
    let d = |s: &str| Date::parse(s).unwrap();
    assert_eq!(age_years(d("1972-08-15"), d("2025-03-02")), 525);
    assert_eq!(age_years(d("1972-08-15"), d("2025-08-15")), 530);
    assert_eq!(age_years(d("1972-08-15"), d("2025-08-14")), 529, "11 months → 0.9");
    assert_eq!(age_years(d("2025-01-01"), d("2025-04-01")), 3, "3 months = 0.25 → 0.3");
    assert_eq!(age_years(d("2025-01-01"), d("2025-02-01")), 1, "1 month = 0.083 → 0.1");
    assert_eq!(age_years(d("2025-01-01"), d("2025-01-31")), 0);
    assert_eq!(age_years(d("2025-01-01"), d("2024-01-01")), 0, "born later: 0");
}

#[test]
fn dictionaries() {
    assert_eq!(psn_type(InsuType::Employee, PsnGroup::InService), "1101");
    assert_eq!(psn_type(InsuType::Employee, PsnGroup::Retired), "1201");
    assert_eq!(psn_type(InsuType::Resident, PsnGroup::Adult), "1501");
    assert_eq!(psn_type(InsuType::Resident, PsnGroup::Minor), "1403");
    assert_eq!(med_chrgitm_type("XA01AAA001", ListType::Drug), "09");
    assert_eq!(med_chrgitm_type("ZA01", ListType::Drug), "11");
    assert_eq!(med_chrgitm_type("TA01", ListType::Drug), "10");
    assert_eq!(med_chrgitm_type("C123", ListType::Material), "08");
    assert_eq!(med_chrgitm_type("001102000010000", ListType::Service), "14");
    assert_eq!(fund_pay_type_name("310100"), "职工基本医疗保险统筹基金");
    assert_eq!(fund_pay_type_name("390100"), "城乡居民基本医疗保险基金");
    assert_eq!(fund_pay_type_name("999999"), "");
}

#[test]
fn fee_results_in_national_form() {
    let row = FeeResultOut {
        feedetl_sn: "a".into(),
        det_item_fee_sumamt: fen("136.50"),
        cnt: Qty::parse("3.0000").unwrap(),
        pric: Price::parse("45.5").unwrap(),
        pric_uplmt_amt: None,
        selfpay_prop: Bp::new(1_000).unwrap(),
        fulamt_ownpay_amt: Fen::ZERO,
        overlmt_amt: Fen::ZERO,
        preselfpay_amt: fen("13.65"),
        inscp_scp_amt: fen("122.85"),
        chrgitm_lv: "02".into(),
        med_chrgitm_type: "09".into(),
        bas_medn_flag: None,
        hi_nego_drug_flag: None,
        chld_medc_flag: None,
        list_sp_item_flag: None,
        lmt_used_flag: false,
        drt_reim_flag: None,
        memo: None,
    };
    let capped =
        FeeResultOut { pric_uplmt_amt: Some(fen("40")), memo: Some("超限价".into()), ..row.clone() };
    assert_eq!(
        to_output_json(&FeeUploadOut { result: vec![row, capped] }),
        r#"{"result":[{"feedetl_sn":"a","det_item_fee_sumamt":136.50,"cnt":3,"pric":45.50,"pric_uplmt_amt":999999,"selfpay_prop":0.1000,"fulamt_ownpay_amt":0.00,"overlmt_amt":0.00,"preselfpay_amt":13.65,"inscp_scp_amt":122.85,"chrgitm_lv":"02","med_chrgitm_type":"09","bas_medn_flag":null,"hi_nego_drug_flag":null,"chld_medc_flag":null,"list_sp_item_flag":null,"lmt_used_flag":"0","drt_reim_flag":null,"memo":null},{"feedetl_sn":"a","det_item_fee_sumamt":136.50,"cnt":3,"pric":45.50,"pric_uplmt_amt":40.00,"selfpay_prop":0.1000,"fulamt_ownpay_amt":0.00,"overlmt_amt":0.00,"preselfpay_amt":13.65,"inscp_scp_amt":122.85,"chrgitm_lv":"02","med_chrgitm_type":"09","bas_medn_flag":null,"hi_nego_drug_flag":null,"chld_medc_flag":null,"list_sp_item_flag":null,"lmt_used_flag":"0","drt_reim_flag":null,"memo":"超限价"}]}"#
    );
}

#[test]
fn person_information_in_national_form() {
    let out = PersonOut {
        baseinfo: BaseInfoOut {
            psn_no: "P1".into(),
            psn_cert_type: "01".into(),
            certno: "320102197208150513".into(),
            psn_name: "王某".into(),
            gend: "1".into(),
            naty: None,
            brdy: Date::parse("1972-08-15").unwrap(),
            age: 525,
        },
        insuinfo: vec![InsuInfoOut {
            balc: fen("500"),
            insutype: "310".into(),
            psn_type: "1101".into(),
            psn_insu_stas: "1".into(),
            psn_insu_date: None,
            paus_insu_date: None,
            cvlserv_flag: "0".into(),
            insuplc_admdvs: "320100".into(),
            emp_name: None,
        }],
        idetinfo: vec![],
        yidi_filinginfo: vec![FilingInfoOut {
            filing_id: "F1".into(),
            category: "long_term_resident".into(),
            mdtrtarea_admvs: "310000".into(),
            begndate: Date::parse("2024-06-01").unwrap(),
            enddate: None,
            covers_here: true,
        }],
    };
    assert_eq!(
        to_output_json(&out),
        r#"{"baseinfo":{"psn_no":"P1","psn_cert_type":"01","certno":"320102197208150513","psn_name":"王某","gend":"1","naty":null,"brdy":"1972-08-15","age":52.5},"insuinfo":[{"balc":500.00,"insutype":"310","psn_type":"1101","psn_insu_stas":"1","psn_insu_date":null,"paus_insu_date":null,"cvlserv_flag":"0","insuplc_admdvs":"320100","emp_name":null}],"idetinfo":[],"yidi_filinginfo":[{"filing_id":"F1","category":"long_term_resident","mdtrtarea_admvs":"310000","begndate":"2024-06-01","enddate":null,"covers_here":"1"}]}"#
    );
}
