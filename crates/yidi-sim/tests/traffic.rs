//! The generated traffic, checked without a hub: deterministic per seed, every request a valid
//! signed envelope with exact amounts, the national mix, and (through the real engine) care
//! that settles, so a run's errors can only come from the hub.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use yidi_adjudication::{Claim, Context, FeeLine, FilingClass, adjudicate};
use yidi_domain::{Date, DateTime, FacilityCode, Fen, MedType, Pack, Price, Qty, line_fen};
use yidi_sim::limits::{
    INPATIENT_LINES_MAX, INPATIENT_LINES_MIN, OUTPATIENT_LINES_MAX, OUTPATIENT_LINES_MIN,
    STAY_REUSE_FLOWS_MIN,
};
use yidi_sim::{
    Category, Credential, FlowPlan, FlowSpec, Generator, Kind, Mix, Request, Split, World, WorldConfig,
    Writer, gateway_headers, plan,
};

const RUN_TAG: u32 = 123_456;

fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/demo");
        yidi_refdata::load_pack(&dir).unwrap_or_else(|p| panic!("demo pack: {p:?}"))
    })
}

fn world() -> Arc<World> {
    static WORLD: OnceLock<Arc<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| {
            let config = WorldConfig { service_date: Date::new(2025, 4, 10).unwrap(), only_facility: None };
            Arc::new(World::build(pack(), &config).expect("demo world"))
        })
        .clone()
}

fn specs(seed: u64, n: usize) -> Vec<FlowSpec> {
    let mut g = Generator::new(world(), seed, Mix::default());
    (0..n).map(|_| g.next_flow().unwrap()).collect()
}

/// Every request of a flow, with stand-ins for the ids the hub would issue.
fn requests(world: &World, plan: &FlowPlan) -> Vec<Request> {
    let w = Writer::new(world, plan);
    let mdtrt_id = "310104000000481207";
    let split: Split = serde_json::from_str(
        r#"{"fulamt_ownpay_amt":80.00,"overlmt_selfpay":5.00,"preselfpay_amt":42.00,"inscp_scp_amt":539.50}"#,
    )
    .unwrap();
    let mut out = vec![w.sign_in()];
    match plan.spec.kind {
        Kind::Outpatient => {
            out.extend([w.register(), w.visit_info(mdtrt_id)]);
            out.extend(w.fees(mdtrt_id));
            out.extend([w.pre_settle(mdtrt_id), w.settle(mdtrt_id, plan.spec.pre_settle.then_some(&split))]);
            out.push(w.cancel(mdtrt_id, "310104000000390554"));
        }
        Kind::Inpatient => {
            out.push(w.admit());
            out.extend(w.fees(mdtrt_id));
            out.extend([w.discharge(mdtrt_id), w.pre_settle(mdtrt_id), w.settle(mdtrt_id, Some(&split))]);
        }
    }
    out
}

/// Goal: the same seed gives the same flows, plans and request bytes; another seed does not.
#[test]
fn same_seed_same_requests() {
    let world = world();
    let (a, b) = (specs(42, 2_000), specs(42, 2_000));
    assert_eq!(a, b);
    assert_ne!(a, specs(43, 2_000));
    for (x, y) in a.iter().zip(&b).step_by(7) {
        let (px, py) = (plan(&world, x, RUN_TAG), plan(&world, y, RUN_TAG));
        assert_eq!(px, py);
        assert_eq!(requests(&world, &px), requests(&world, &py));
    }
}

/// Goal: each request is an envelope of `protocol.md` §2.1 with the node its `infno` needs, a
/// `msgid` unique in the run, and headers whose signature recomputes.
#[test]
fn requests_are_valid_signed_envelopes() {
    let world = world();
    let mut msgids = HashSet::new();
    for spec in specs(7, 1_500) {
        let plan = plan(&world, &spec, RUN_TAG);
        let site = &world.sites[spec.site as usize];
        let patient = &world.patients[spec.patient as usize];
        for r in requests(&world, &plan) {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            check_envelope(&v, &r, &site.code, &site.region);
            assert!(msgids.insert(r.msgid.clone()), "msgid {} repeats", r.msgid);
            if r.infno != "9001" {
                assert_eq!(v["insuplc_admdvs"], patient.insuplc.as_str());
            }
            let node = match r.infno {
                "9001" => "signIn",
                "2203" | "2401" => "mdtrtinfo",
                "2204" | "2301" => "feedetail",
                "2402" => "dscginfo",
                _ => "data",
            };
            assert!(v["input"][node].is_object() || v["input"][node].is_array(), "{} lacks {node}", r.infno);
        }
        let credential = Credential::demo(&site.code);
        assert_eq!(credential.paasid, format!("yidi_{}", site.code));
        assert_eq!(credential.token, sha256_hex(&format!("yidi-demo:{}", site.code)));
        let nonce = format!("n{}", spec.no);
        let headers: BTreeMap<_, _> =
            gateway_headers(&credential, 1_740_879_660, &nonce).into_iter().collect();
        let want = sha256_hex(&format!("1740879660{}{nonce}1740879660", credential.token));
        assert_eq!(headers["x-tif-signature"], want);
        assert_eq!(headers["x-tif-paasid"], credential.paasid);
        assert_eq!(headers["x-tif-timestamp"], "1740879660");
        assert_eq!(headers["x-tif-nonce"], nonce);
    }
}

fn check_envelope(v: &Value, r: &Request, code: &str, region: &str) {
    assert_eq!(v["infno"], r.infno);
    assert_eq!(v["msgid"], r.msgid.as_str());
    assert!(r.msgid.len() <= 30 && r.msgid.bytes().all(|b| b.is_ascii_graphic()), "{}", r.msgid);
    assert_eq!(v["fixmedins_code"], code);
    assert_eq!(v["mdtrtarea_admvs"], region);
    assert!(region.len() == 6 && region.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(&region[..2], &code[1..3], "treatment area in the facility's province");
    for field in ["opter_type", "opter", "opter_name", "fixmedins_name"] {
        assert!(v[field].as_str().is_some_and(|s| !s.is_empty()), "{field} missing");
    }
    DateTime::parse(v["inf_time"].as_str().unwrap()).unwrap();
    assert!(v["input"].is_object());
}

/// Goal: the protocol's worked signature (`protocol.md` §7) comes out of `gateway_headers`.
#[test]
fn signature_of_the_worked_example() {
    let token = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
    let credential = Credential { paasid: "yidi_H31010400123".into(), token: token.into() };
    let headers = gateway_headers(&credential, 1_740_879_660, "7f3c9a2e41b04d6c");
    assert_eq!(headers[3].1, "a8986cd57ec26596e068fcf7db7de5e10bdb35ab64105a1c6270dcba8ec22711");
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    input: WireInput<'a>,
}

#[derive(Deserialize)]
struct WireInput<'a> {
    #[serde(borrow, default)]
    feedetail: Vec<WireLine<'a>>,
    #[serde(borrow, default)]
    data: Option<WireTotal<'a>>,
}

#[derive(Deserialize)]
struct WireLine<'a> {
    #[serde(borrow)]
    det_item_fee_sumamt: &'a RawValue,
    #[serde(borrow)]
    cnt: &'a RawValue,
    #[serde(borrow)]
    pric: &'a RawValue,
}

#[derive(Deserialize)]
struct WireTotal<'a> {
    #[serde(borrow)]
    medfee_sumamt: Option<&'a RawValue>,
}

/// Goal: every line's amount is exactly `cnt × pric` as the hub computes it (`line_fen`),
/// amounts and prices are written with two decimals, and `medfee_sumamt` is their sum.
#[test]
fn line_amounts_are_exact() {
    let world = world();
    for spec in specs(11, 600) {
        let plan = plan(&world, &spec, RUN_TAG);
        let mut sum = Fen::ZERO;
        let mut totals = Vec::new();
        for r in requests(&world, &plan) {
            let wire: Wire<'_> = serde_json::from_slice(&r.body).unwrap();
            for line in &wire.input.feedetail {
                let (amount, pric) = (line.det_item_fee_sumamt.get(), line.pric.get());
                for text in [amount, pric] {
                    assert_eq!(text.split('.').nth(1).map(str::len), Some(2), "{text}");
                }
                let computed = line_fen(Qty::parse(line.cnt.get()).unwrap(), Price::parse(pric).unwrap());
                assert_eq!(computed, Fen::parse_yuan(amount).unwrap(), "{amount} ≠ {} × {pric}", line.cnt);
                sum += computed;
            }
            if let Some(total) = wire.input.data.and_then(|d| d.medfee_sumamt) {
                totals.push(Fen::parse_yuan(total.get()).unwrap());
            }
        }
        assert!(!totals.is_empty());
        assert!(totals.iter().all(|t| *t == sum), "medfee_sumamt {totals:?} ≠ Σ lines {sum}");
        assert_eq!(sum, Fen::new(plan.total_fen()));
    }
}

/// Goal: over 10 000 flows the mix is the national one (95 % outpatient with 5–20 lines, 5 %
/// inpatient with 50–500), with ~30 % pre-settled, ~5 % cancelled, ~3 % retried; traffic is
/// spread over many facilities and patients; no patient has two stays open at once.
#[test]
fn mix_within_tolerance() {
    let world = world();
    let all = specs(2025, 10_000);
    let share = |f: &dyn Fn(&FlowSpec) -> bool, of: &dyn Fn(&FlowSpec) -> bool| {
        let base: Vec<_> = all.iter().filter(|s| of(s)).collect();
        base.iter().filter(|s| f(s)).count() as f64 / base.len() as f64
    };
    let any = |_: &FlowSpec| true;
    let outpatient = |s: &FlowSpec| s.kind == Kind::Outpatient;
    let within = |got: f64, want: f64, tol: f64, what: &str| {
        assert!((got - want).abs() <= tol, "{what}: {got:.4} not within {tol} of {want}");
    };
    within(share(&|s| s.kind == Kind::Inpatient, &any), 0.05, 0.01, "inpatient share");
    within(share(&|s| s.pre_settle, &outpatient), 0.30, 0.02, "pre-settled");
    within(share(&|s| s.cancel, &outpatient), 0.05, 0.01, "cancelled");
    within(share(&|s| s.retry, &any), 0.03, 0.007, "retried");
    // 75 % are drawn as travellers; sites in regions not open to cross-region care (or with no
    // filer covering them) serve their own insured instead.
    within(share(&|s| s.category != Category::Local, &any), 0.70, 0.07, "travellers");
    for category in Category::ALL {
        assert!(share(&|s| s.category == category, &any) >= 0.10, "{category:?} rare");
    }
    let sites: HashSet<_> = all.iter().map(|s| s.site).collect();
    let patients: HashSet<_> = all.iter().map(|s| s.patient).collect();
    assert!(sites.len() >= 50, "only {} facilities", sites.len());
    assert!(patients.len() >= 1_000, "only {} patients", patients.len());
    let mut last_stay = HashMap::new();
    for spec in &all {
        let plan = plan(&world, spec, RUN_TAG);
        let (lo, hi) = match spec.kind {
            Kind::Outpatient => (OUTPATIENT_LINES_MIN, OUTPATIENT_LINES_MAX),
            Kind::Inpatient => (INPATIENT_LINES_MIN, INPATIENT_LINES_MAX),
        };
        assert!((lo..=hi).contains(&plan.lines.len()), "{} lines", plan.lines.len());
        if spec.kind == Kind::Inpatient
            && let Some(prev) = last_stay.insert(spec.patient, spec.no)
        {
            assert!(spec.no - prev >= STAY_REUSE_FLOWS_MIN, "patient {} admitted twice", spec.patient);
        }
    }
}

/// The engine claim the hub would build from a flow's lines, settled at `setl_time`.
fn claim(world: &World, plan: &FlowPlan) -> Claim {
    let site = &world.sites[plan.spec.site as usize];
    let inpatient = plan.spec.kind == Kind::Inpatient;
    Claim {
        claim_id: String::new(),
        psn_no: world.patients[plan.spec.patient as usize].psn_no.clone(),
        fixmedins_code: FacilityCode::parse(&site.code).unwrap(),
        med_type: MedType::parse(plan.med_type).unwrap(),
        begntime: plan.begntime,
        endtime: inpatient.then_some(plan.endtime),
        setl_time: plan.endtime,
        dise_codg: Some(plan.diagnosis.0.to_string()),
        emergency: plan.emergency,
        acct_used: true,
        lines: plan
            .lines
            .iter()
            .enumerate()
            .map(|(n, l)| FeeLine {
                feedetl_sn: format!("L{n}"),
                med_list_codg: world.items[l.item as usize].code.clone(),
                cnt: Qty::from_units(i64::from(l.cnt)),
                pric: Price::from_fen(Fen::new(l.price_fen)),
                amount: Fen::new(l.amount_fen()),
                fee_ocur_time: Some(plan.fee_time(l)),
            })
            .collect(),
    }
}

/// Goal: the generated care settles in the real engine, applying each settlement to the
/// person's state as the hub does, and each category gets the filing class it stands for.
#[test]
fn traffic_settles_in_the_engine() {
    let world = world();
    let pack = pack();
    let mut states = HashMap::new();
    for spec in specs(99, 3_000) {
        let plan = plan(&world, &spec, RUN_TAG);
        let claim = claim(&world, &plan);
        let state = states.entry(claim.psn_no.clone()).or_insert_with(|| pack.state_of(&claim.psn_no));
        let ctx = Context { refdata: &pack.refdata, person: pack.persons.get(&claim.psn_no), state };
        let s = adjudicate(&ctx, &claim).unwrap_or_else(|r| panic!("flow {spec:?} refused: {r}"));
        let class = s.filing_class();
        let expected = match spec.category {
            Category::Local => class == FilingClass::Local,
            Category::Emergency => class == FilingClass::Emergency,
            Category::Filed => !matches!(class, FilingClass::Local | FilingClass::Unfiled),
        };
        assert!(expected, "{:?} settled as {class:?}", spec.category);
        let delta = s.delta.clone();
        states.get_mut(&claim.psn_no).unwrap().apply(&delta);
    }
}
