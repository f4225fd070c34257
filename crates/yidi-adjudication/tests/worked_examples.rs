//! The two worked examples of `settlement.md` §10, checked figure by figure through the library.
//! The expected amounts are typed in from the spec, not produced by the engine.

use std::path::Path;

use yidi_adjudication::{Claim, Context, FeeLine, FilingClass, adjudicate};
use yidi_domain::{DateTime, FacilityCode, Fen, MedType, Pack, Price, Qty};

fn pack() -> Pack {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/packs/worked");
    yidi_refdata::load_pack(&dir).unwrap_or_else(|p| panic!("worked pack rejected: {p:?}"))
}

fn yuan(text: &str) -> Fen {
    Fen::parse_yuan(text).unwrap()
}

fn line(sn: &str, code: &str, cnt: &str, pric: &str, time: &str) -> FeeLine {
    let (cnt, pric) = (Qty::parse(cnt).unwrap(), Price::parse(pric).unwrap());
    FeeLine {
        feedetl_sn: sn.into(),
        med_list_codg: code.into(),
        cnt,
        pric,
        amount: yidi_domain::line_fen(cnt, pric),
        fee_ocur_time: Some(DateTime::parse(time).unwrap()),
    }
}

fn claim(
    id: &str,
    psn: &str,
    fac: &str,
    med_type: &str,
    begin: &str,
    end: &str,
    lines: Vec<FeeLine>,
) -> Claim {
    let endtime = DateTime::parse(end).unwrap();
    Claim {
        claim_id: id.into(),
        psn_no: psn.into(),
        fixmedins_code: FacilityCode::parse(fac).unwrap(),
        med_type: MedType::parse(med_type).unwrap(),
        begntime: DateTime::parse(begin).unwrap(),
        endtime: Some(endtime),
        setl_time: endtime,
        dise_codg: Some("C34.1".into()),
        emergency: false,
        acct_used: true,
        lines,
    }
}

/// Example 1: employee outpatient, long-term filer; then a second visit in the same year.
#[test]
fn example_1_employee_outpatient_long_term() {
    let pack = pack();
    let psn = "P0000000001";
    let record = pack.persons.get(psn).unwrap();
    let mut state = pack.state_of(psn);
    assert_eq!(state.acct_balance, yuan("500.00"));
    let t = "2025-03-02 09:20:00";
    let first = claim(
        "ex1",
        psn,
        "H31010400123",
        "11",
        "2025-03-02 09:10:00",
        "2025-03-02 09:41:00",
        vec![
            line("a", "XA01AAA001", "3", "45.50", t),
            line("b", "XB01ACB001", "2", "210.00", t),
            line("c", "XC10AAC001", "1", "80.00", t),
            line("d", "001102000010000", "1", "30.00", t),
        ],
    );
    let s =
        adjudicate(&Context { refdata: &pack.refdata, person: Some(record), state: &state }, &first).unwrap();
    assert_eq!(s.filing_class(), FilingClass::LongTerm);
    let per_line: Vec<_> =
        s.lines.iter().map(|l| (l.fulamt_ownpay, l.overlmt, l.preselfpay, l.inscp)).collect();
    assert_eq!(
        per_line,
        vec![
            (Fen::ZERO, Fen::ZERO, Fen::ZERO, yuan("136.50")),
            (Fen::ZERO, Fen::ZERO, yuan("42.00"), yuan("378.00")),
            (yuan("80.00"), Fen::ZERO, Fen::ZERO, Fen::ZERO),
            (Fen::ZERO, yuan("5.00"), Fen::ZERO, yuan("25.00")),
        ]
    );
    let i = s.setlinfo;
    assert_eq!(i.medfee_sumamt, yuan("666.50"));
    assert_eq!(
        (i.fulamt_ownpay_amt, i.overlmt_selfpay, i.preselfpay_amt, i.inscp_scp_amt),
        (yuan("80.00"), yuan("5.00"), yuan("42.00"), yuan("539.50"))
    );
    assert_eq!(i.act_pay_dedc, yuan("539.50"));
    assert_eq!(i.hifp_pay, Fen::ZERO);
    assert_eq!(i.psn_part_amt, yuan("666.50"));
    assert_eq!(i.acct_pay, yuan("500.00"));
    assert_eq!(i.psn_cash_pay, yuan("166.50"));
    assert_eq!(i.balc, Fen::ZERO);
    assert_eq!(i.pool_prop_selfpay.get(), 7_000);
    state.apply(&s.delta);

    let second = claim(
        "ex1b",
        psn,
        "H31010400123",
        "11",
        "2025-05-10 10:00:00",
        "2025-05-10 10:31:00",
        vec![line("1", "XA01AAA001", "20", "50.00", "2025-05-10 10:10:00")],
    );
    let s = adjudicate(&Context { refdata: &pack.refdata, person: Some(record), state: &state }, &second)
        .unwrap();
    assert_eq!(s.setlinfo.inscp_scp_amt, yuan("1000.00"));
    assert_eq!(s.setlinfo.act_pay_dedc, yuan("460.50"));
    assert_eq!(s.workings.base, yuan("539.50"));
    assert_eq!(s.setlinfo.hifp_pay, yuan("377.65"));
}

/// Example 2: resident inpatient, referral, critical illness and assistance.
#[test]
fn example_2_resident_inpatient_referral() {
    let pack = pack();
    let psn = "P0000000002";
    let record = pack.persons.get(psn).unwrap();
    let mut state = pack.state_of(psn);
    let t = "2025-03-05 09:00:00";
    let stay = claim(
        "ex2",
        psn,
        "H11010500001",
        "21",
        "2025-03-01 08:00:00",
        "2025-03-20 10:30:00",
        vec![
            line("a", "001201000010000", "10", "300.00", t),
            line("b", "XL01XCB001", "1", "50000.00", t),
            line("c", "C0301000001", "1", "25000.00", t),
            line("d", "XL04AAC001", "1", "2000.00", t),
            line("e", "003100000010000", "1", "40000.00", t),
        ],
    );
    let s =
        adjudicate(&Context { refdata: &pack.refdata, person: Some(record), state: &state }, &stay).unwrap();
    assert_eq!(s.filing_class(), FilingClass::Referral);
    let i = s.setlinfo;
    assert_eq!(i.medfee_sumamt, yuan("120000.00"));
    assert_eq!(i.fulamt_ownpay_amt, yuan("2000.00"));
    assert_eq!(i.overlmt_selfpay, yuan("5000.00"));
    assert_eq!(i.preselfpay_amt, yuan("11000.00"));
    assert_eq!(i.inscp_scp_amt, yuan("102000.00"));
    assert_eq!(i.pool_prop_selfpay.get(), 5_000);
    assert_eq!(i.act_pay_dedc, yuan("800.00"));
    assert_eq!(s.workings.base, yuan("101200.00"));
    assert_eq!(i.hifp_pay, yuan("50600.00"));
    assert_eq!(s.workings.eligible_selfpay, yuan("51400.00"));
    assert_eq!(s.workings.layers[0].threshold, yuan("7000.00"));
    let parts: Vec<_> = s.workings.layers[0].parts.iter().map(|p| p.3).collect();
    assert_eq!(parts, vec![yuan("27950.00"), yuan("980.00")]);
    assert_eq!(i.hifmi_pay, yuan("28930.00"));
    assert_eq!(i.maf_pay, yuan("15729.00"));
    assert_eq!(i.fund_pay_sumamt, yuan("95259.00"));
    assert_eq!(i.psn_part_amt, yuan("24741.00"));
    assert_eq!(i.psn_cash_pay, yuan("24741.00"));
    assert_eq!(i.acct_pay, Fen::ZERO);

    state.apply(&s.delta);
    let year = state.year(2025);
    let pool = year.pool("inpatient");
    assert_eq!(
        (pool.deductible_paid, pool.admissions, pool.fund_paid),
        (yuan("800.00"), 1, yuan("50600.00"))
    );
    assert_eq!(
        (year.hifmi_base, year.hifmi_paid, year.maf_paid),
        (yuan("51400.00"), yuan("28930.00"), yuan("15729.00"))
    );
}
