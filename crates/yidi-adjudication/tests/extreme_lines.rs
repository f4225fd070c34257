//! Extreme quantities, prices and amounts: the engine refuses them with a typed refusal naming the
//! line and never panics, whoever calls it (the protocol bounds `cnt` and `pric`, but the public
//! estimator and manual reimbursement reach the engine without those bounds).

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use yidi_adjudication::limits::{LINE_CNT_TEN_THOUSANDTHS_MAX, LINE_FEN_MAX, LINE_PRIC_MICRO_YUAN_MAX};
use yidi_adjudication::{Claim, Context, FeeLine, Refusal, adjudicate};
use yidi_domain::{DateTime, FacilityCode, Fen, MedType, Pack, Price, Qty};

/// The worked pack of `settlement.md` §10, loaded once for every case.
fn pack() -> &'static Pack {
    static PACK: LazyLock<Pack> = LazyLock::new(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/packs/worked");
        yidi_refdata::load_pack(&dir).unwrap_or_else(|p| panic!("worked pack rejected: {p:?}"))
    });
    &PACK
}

fn line(sn: &str, cnt: Qty, pric: Price, amount: Fen) -> FeeLine {
    FeeLine {
        feedetl_sn: sn.into(),
        med_list_codg: "XA01AAA001".into(),
        cnt,
        pric,
        amount,
        fee_ocur_time: Some(DateTime::parse("2025-03-02 09:20:00").unwrap()),
    }
}

/// Example 1's visit of `settlement.md` §10 with the given lines (a normal first line, so only the
/// extreme line can be at fault).
fn claim(extreme: FeeLine) -> Claim {
    let ok = line("a", Qty::parse("3").unwrap(), Price::parse("45.50").unwrap(), Fen::new(13_650));
    Claim {
        claim_id: "extreme".into(),
        psn_no: "P0000000001".into(),
        fixmedins_code: FacilityCode::parse("H31010400123").unwrap(),
        med_type: MedType::parse("11").unwrap(),
        begntime: DateTime::parse("2025-03-02 09:10:00").unwrap(),
        endtime: Some(DateTime::parse("2025-03-02 09:41:00").unwrap()),
        setl_time: DateTime::parse("2025-03-02 09:41:00").unwrap(),
        dise_codg: Some("C34.1".into()),
        emergency: false,
        acct_used: true,
        lines: vec![ok, extreme],
    }
}

fn run(pack: &Pack, claim: &Claim) -> Result<(), Refusal> {
    let psn = "P0000000001";
    let state = pack.state_of(psn);
    let ctx = Context { refdata: &pack.refdata, person: pack.persons.get(psn), state: &state };
    adjudicate(&ctx, claim).map(|_| ())
}

/// Goal: the reviewer's case — cnt 900000000000000 × pric 9000000000000 used to panic in
/// `line_fen` ("line amount overflow"); now it is refused as `invalid_claim`, naming the line.
#[test]
fn huge_quantity_times_price_is_refused_not_panicking() {
    let pack = pack();
    let (cnt, pric) = (Qty::parse("900000000000000").unwrap(), Price::parse("9000000000000").unwrap());
    let refusal = run(pack, &claim(line("big", cnt, pric, Fen::new(100)))).unwrap_err();
    assert_eq!(refusal.err_code(), "invalid_claim");
    let message = refusal.to_string();
    assert!(message.contains("明细 big") && message.contains("数量"), "{message}");

    let cnt = Qty::parse("1").unwrap();
    let refusal = run(pack, &claim(line("dear", cnt, pric, Fen::new(100)))).unwrap_err();
    assert_eq!(refusal.err_code(), "invalid_claim");
    assert!(refusal.to_string().contains("明细 dear：单价"), "{refusal}");

    let refusal = run(pack, &claim(line("sum", cnt, Price::parse("1").unwrap(), Fen::new(i64::MAX))));
    let refusal = refusal.unwrap_err();
    assert_eq!(refusal.err_code(), "invalid_claim");
    assert!(refusal.to_string().contains("明细 sum：金额"), "{refusal}");
}

/// Goal: at the bounds themselves the engine still answers (here `amount_mismatch`: the product
/// is far above the declared amount) without overflowing.
#[test]
fn the_bounds_themselves_are_computed() {
    let pack = pack();
    let cnt = Qty::from_ten_thousandths(LINE_CNT_TEN_THOUSANDTHS_MAX);
    let pric = Price::from_micro_yuan(LINE_PRIC_MICRO_YUAN_MAX);
    let refusal = run(pack, &claim(line("edge", cnt, pric, Fen::new(LINE_FEN_MAX)))).unwrap_err();
    assert_eq!(refusal.err_code(), "amount_mismatch", "{refusal}");
}

fn extreme_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MAX),
        Just(i64::MIN),
        Just(0i64),
        Just(LINE_CNT_TEN_THOUSANDTHS_MAX),
        Just(LINE_CNT_TEN_THOUSANDTHS_MAX + 1),
        Just(LINE_PRIC_MICRO_YUAN_MAX),
        Just(LINE_PRIC_MICRO_YUAN_MAX + 1),
        Just(LINE_FEN_MAX),
        Just(LINE_FEN_MAX + 1),
        any::<i64>(),
        (0i64..=i64::MAX),
        (0i64..1_000_000_000_000),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Goal: `adjudicate` never panics on any quantity, price and amount; whatever it settles has
    /// the line's amount equal to `cnt × pric` within the engine's bounds.
    #[test]
    fn adjudicate_never_panics_on_extreme_lines(
        cnt in extreme_i64(),
        pric in extreme_i64(),
        amount in extreme_i64(),
    ) {
        let pack = pack();
        let (q, p, a) = (Qty::from_ten_thousandths(cnt), Price::from_micro_yuan(pric), Fen::new(amount));
        match run(pack, &claim(line("x", q, p, a))) {
            Ok(()) => {
                prop_assert!((0..=LINE_CNT_TEN_THOUSANDTHS_MAX).contains(&cnt));
                prop_assert!((0..=LINE_PRIC_MICRO_YUAN_MAX).contains(&pric));
                prop_assert!((0..=LINE_FEN_MAX).contains(&amount));
                prop_assert_eq!(yidi_domain::line_fen(q, p), a);
            }
            Err(r) => prop_assert!(["invalid_claim", "amount_mismatch"].contains(&r.err_code()), "{r}"),
        }
    }
}
