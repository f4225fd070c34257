//! The portal's public reads over the demo pack: regions by province, the facility search and
//! its paging, and the estimator running the real engine (settled and refused), plus reading the
//! pack through a running hub.

mod support;

use std::sync::Arc;

use yidi_domain::{DateTime, Fen, Pack};
use yidi_hub::public::{
    EstimateOutcome, EstimateRequest, FACILITY_PAGE_SIZE, FacilityQuery, LineInput, estimate, facilities,
    regions,
};

fn demo() -> Arc<Pack> {
    let dir = support::repo().join("test_data/demo");
    Arc::new(yidi_refdata::load_pack(&dir).unwrap_or_else(|p| panic!("demo pack rejected: {p:?}")))
}

fn now() -> DateTime {
    DateTime::parse("2025-05-06 10:00:00").unwrap()
}

#[test]
fn regions_are_grouped_by_province_with_their_switches_and_filing_rules() {
    let pack = demo();
    let provinces = regions(&pack);
    let total: usize = provinces.iter().map(|p| p.regions.len()).sum();
    assert_eq!(total, pack.refdata.regions.len());
    let jiangsu = provinces.iter().find(|p| p.code == "320000").expect("Jiangsu");
    assert_eq!(jiangsu.regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["南京市", "苏州市"]);
    let changchun = provinces.iter().flat_map(|p| &p.regions).find(|r| r.admdvs == "220100").unwrap();
    assert!(!changchun.open.chronic && changchun.open.inpatient);
    let shanghai = provinces.iter().flat_map(|p| &p.regions).find(|r| r.admdvs == "310000").unwrap();
    assert_eq!(shanghai.min_hold_days, Some(180));
    assert_eq!(shanghai.unfiled_allowed, Some(false));
    let facilities_total: usize = provinces.iter().flat_map(|p| &p.regions).map(|r| r.facilities).sum();
    assert_eq!(facilities_total, pack.refdata.facilities.len());
}

#[test]
fn facility_search_filters_and_pages() {
    let pack = demo();
    let all = facilities(&pack, &FacilityQuery::default());
    assert_eq!(all.total, pack.refdata.facilities.len());
    assert_eq!(all.items.len(), FACILITY_PAGE_SIZE);
    assert_eq!(all.pages, all.total.div_ceil(FACILITY_PAGE_SIZE));
    let last = facilities(&pack, &FacilityQuery { page: all.pages.to_string(), ..Default::default() });
    assert_eq!(last.items.len(), all.total - (all.pages - 1) * FACILITY_PAGE_SIZE);
    let beyond = facilities(&pack, &FacilityQuery { page: "99999".into(), ..Default::default() });
    assert_eq!(beyond.page, all.pages, "a page past the end shows the last page");

    let sh =
        facilities(&pack, &FacilityQuery { area: "310000".into(), level: "3".into(), ..Default::default() });
    assert!(sh.total > 0);
    assert!(sh.items.iter().all(|f| f.province == "上海市" && f.level == 3));
    let named = facilities(&pack, &FacilityQuery { name: "第一中心".into(), ..Default::default() });
    assert!(named.items.iter().any(|f| f.name == "上海市第一中心医院"));
    assert!(named.items.iter().all(|f| f.name.contains("第一中心")));

    // Changchun is not open for chronic care as a treatment place: none of its facilities is.
    let chronic = facilities(
        &pack,
        &FacilityQuery { area: "220100".into(), care: "chronic".into(), ..Default::default() },
    );
    assert_eq!(chronic.total, 0);
    let pharmacies = facilities(&pack, &FacilityQuery { kind: "pharmacy".into(), ..Default::default() });
    assert!(pharmacies.total > 0 && pharmacies.total < all.total);

    let areas = yidi_hub::public::facility_areas(&pack);
    for region in pack.refdata.regions.keys() {
        assert!(
            areas.iter().any(|(code, _)| *code == region.to_string()),
            "region {region} is in the area list"
        );
    }

    let odd =
        facilities(&pack, &FacilityQuery { level: "9".into(), care: "<x>".into(), ..Default::default() });
    assert_eq!(odd.ignored, ["level", "care"]);
    assert_eq!(odd.total, all.total);
}

fn request(facility: &str, care: &str, filing: &str) -> EstimateRequest {
    EstimateRequest {
        insured: "320100".into(),
        insutype: "310".into(),
        psn_group: "retired".into(),
        facility: facility.into(),
        care: care.into(),
        filing: filing.into(),
        disease: String::new(),
        acct_balance: "300".into(),
        lines: Vec::new(),
    }
}

#[test]
fn estimate_runs_the_engine_on_a_typical_basket_and_every_fen_adds_up() {
    let pack = demo();
    for care in ["outpatient", "inpatient"] {
        let out = estimate(&pack, &request("H31010421001", care, "long_term"), now()).expect("valid request");
        let EstimateOutcome::Settled { view, lines } = out else { panic!("{care}: refused: {out:?}") };
        assert!(!lines.is_empty());
        assert_eq!(view.lines.len(), lines.len());
        assert!(view.medfee > Fen::ZERO);
        assert_eq!(view.medfee, view.fulamt_ownpay + view.overlmt + view.preselfpay + view.inscp);
        assert_eq!(view.medfee, view.fund_pay_sumamt + view.acct_pay + view.psn_cash_pay);
        let layers: Fen = view.layers.iter().map(|l| l.pay).sum();
        assert_eq!(view.fund_pay_sumamt, view.hifp_pay + layers + view.maf_pay);
        assert_eq!(view.filing_class, "long_term");
        assert!(view.acct_pay <= Fen::new(30_000));
        assert!(view.trace.len() > 3);
        for l in &view.lines {
            assert_eq!(l.amount, l.fulamt_ownpay + l.overlmt + l.preselfpay + l.inscp, "{}", l.code);
        }
    }
}

#[test]
fn estimate_with_typed_lines_and_a_class_c_item_is_fully_self_paid() {
    let pack = demo();
    let basket = match estimate(&pack, &request("H31010421001", "outpatient", "long_term"), now()).unwrap() {
        EstimateOutcome::Settled { lines, .. } => lines,
        other => panic!("{other:?}"),
    };
    // Re-run with the lines typed back: the same result (the page round-trips its own form).
    let mut typed = request("H31010421001", "outpatient", "long_term");
    typed.lines = basket.clone();
    let again = estimate(&pack, &typed, now()).unwrap();
    let EstimateOutcome::Settled { view, lines } = again else { panic!() };
    assert_eq!(lines, basket);
    let class_c =
        view.lines.iter().find(|l| l.lv == yidi_domain::ChrgitmLv::C).expect("the basket has a class-C item");
    assert_eq!(class_c.fulamt_ownpay, class_c.amount);
}

#[test]
fn estimate_refuses_as_the_engine_does_and_lists_every_input_problem() {
    let pack = demo();
    // Shanghai does not allow unfiled direct settlement (demo claim 013's situation).
    let mut req = request("H51010416580", "outpatient", "none");
    req.insured = "310000".into();
    req.psn_group = "in_service".into();
    match estimate(&pack, &req, now()).unwrap() {
        EstimateOutcome::Refused { code, message, .. } => {
            assert_eq!(code, "filing_required");
            assert!(!message.is_empty());
        }
        other => panic!("expected a refusal: {other:?}"),
    }
    let bad = EstimateRequest {
        insured: "999999".into(),
        insutype: "310".into(),
        psn_group: "minor".into(),
        facility: "nope".into(),
        care: "chronic".into(),
        filing: "maybe".into(),
        disease: String::new(),
        acct_balance: "-5".into(),
        lines: vec![LineInput { code: "X".into(), qty: "0".into(), price: "1".into() }],
    };
    let problems = estimate(&pack, &bad, now()).unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["insured", "psn_group", "facility", "filing", "disease", "acct_balance", "line1"]);
}

/// A quantity, price or line amount beyond the national interface's bounds is a form problem
/// naming the line (it used to overflow `line_fen` and panic); the largest allowed line settles.
#[test]
fn estimate_bounds_quantity_and_price_like_the_national_interface() {
    use yidi_protocol::limits::{AMOUNT_FEN_MAX, CNT_TEN_THOUSANDTHS_MAX, PRIC_MICRO_YUAN_MAX};
    let pack = demo();
    let basket = match estimate(&pack, &request("H31010421001", "outpatient", "long_term"), now()).unwrap() {
        EstimateOutcome::Settled { lines, .. } => lines,
        other => panic!("{other:?}"),
    };
    let code = basket[0].code.clone();
    let with_line = |qty: &str, price: &str| {
        let mut req = request("H31010421001", "outpatient", "long_term");
        req.lines = vec![LineInput { code: code.clone(), qty: qty.into(), price: price.into() }];
        estimate(&pack, &req, now())
    };
    let cnt_max = yidi_domain::Qty::from_ten_thousandths(CNT_TEN_THOUSANDTHS_MAX).to_string();
    let pric_max = yidi_domain::Price::from_micro_yuan(PRIC_MICRO_YUAN_MAX).to_string();
    let cnt_over = yidi_domain::Qty::from_ten_thousandths(CNT_TEN_THOUSANDTHS_MAX + 1).to_string();
    let pric_over = yidi_domain::Price::from_micro_yuan(PRIC_MICRO_YUAN_MAX + 1).to_string();
    for (qty, price) in [
        ("99999999999999", "999999999999"),
        (cnt_over.as_str(), "1"),
        ("1", pric_over.as_str()),
        (cnt_max.as_str(), pric_max.as_str()),
    ] {
        let problems = with_line(qty, price).expect_err("beyond the bounds");
        assert_eq!(problems.len(), 1, "{qty} × {price}: {problems:?}");
        assert_eq!(problems[0].field, "line1");
        assert!(problems[0].message_zh.contains("超出国家接口的范围"), "{}", problems[0].message_zh);
    }
    // The engine's largest line amount is allowed; a fen more is a form problem, not a refusal.
    let line_max = Fen::new(yidi_adjudication::limits::LINE_FEN_MAX);
    let over = with_line("1", &(line_max + Fen::new(1)).yuan()).expect_err("above the largest line");
    assert!(over[0].message_zh.contains(&line_max.yuan()), "{}", over[0].message_zh);
    let largest = with_line("1", &line_max.yuan()).expect("within the bounds");
    assert!(matches!(largest, EstimateOutcome::Settled { .. }), "{largest:?}");
    let mut req = request("H31010421001", "outpatient", "long_term");
    req.acct_balance = Fen::new(AMOUNT_FEN_MAX + 1).yuan();
    let problems = estimate(&pack, &req, now()).unwrap_err();
    assert_eq!(problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["acct_balance"]);
}

/// The stay's over-cap sample is its cap plus 10 % rounded by `share` (half up), not truncated:
/// a cap of 123.45 yuan gives 135.80 (123.45 × 1.1 = 135.795).
#[test]
fn typical_basket_prices_over_the_cap_with_the_one_rounding_rule() {
    let mut pack = (*demo()).clone();
    let facility =
        pack.refdata.facilities.values().find(|f| f.code.as_str() == "H31010421001").unwrap().clone();
    let today = now().date();
    let basket =
        yidi_hub::public::typical_basket(&pack, &facility, yidi_domain::BenefitKind::Inpatient, today);
    let catalog = pack.refdata.catalogs.get_mut(&facility.admdvs.province()).unwrap();
    let over = basket
        .iter()
        .find(|l| catalog.lookup(&l.code, today).unwrap().list_type == yidi_domain::ListType::Material)
        .expect("the stay's basket has a material (priced above its cap when it has one)")
        .code
        .clone();
    for item in catalog.items.get_mut(&over).unwrap() {
        item.price_cap = Some(Fen::new(12_345));
    }
    let basket =
        yidi_hub::public::typical_basket(&pack, &facility, yidi_domain::BenefitKind::Inpatient, today);
    let line = basket.iter().find(|l| l.code == over).unwrap();
    assert_eq!(line.price, "135.80");
    assert_eq!(
        Fen::parse_yuan(&line.price).unwrap(),
        Fen::new(12_345) + yidi_domain::share(Fen::new(12_345), yidi_domain::Bp::new(1_000).unwrap())
    );
}

#[tokio::test]
async fn the_hub_hands_out_the_pack_it_settles_with() {
    let pack = demo();
    let db = support::temp_db("public-pack");
    let w = support::World::start(pack.clone(), &db, "2025-05-06 10:00:00");
    let got = w.hub.public_pack().await.expect("running hub");
    assert!(Arc::ptr_eq(&got, &pack));
    let figures = w.hub.public_figures();
    assert_eq!((figures.settled_today, figures.direct_rate_bp), (0, None));
}
