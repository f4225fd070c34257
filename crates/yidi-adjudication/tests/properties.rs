//! Property tests of the adjudication engine over random worlds (style habit 17; `settlement.md` §8).
//!
//! Worlds are generated directly as domain values, no pack files: a fixed map of pooling regions
//! (a province-level one, cities, a county) with random switches; facilities of levels 0–3 in
//! them (and one outside every region); a random catalog per treatment province with dated
//! versions, price caps and restrictions; one insured person with filings of every category,
//! chronic-disease entitlements and carried-in accumulators; and the insured region's policy with
//! every deductible form, level tables, caps, monthly quotas, layers, assistance and every
//! adjustment form within the national ceilings. Claims follow as a sequence spread over two
//! policy years. Each property runs the real engine; the oracle module at the bottom re-derives
//! §2–§6 (and, beyond that, §7–8) with plain loops and shares nothing with the engine but `share`
//! and `line_fen`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::ops::RangeInclusive;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};

use yidi_adjudication::{
    Claim, Context, FeeLine, Refusal, Settlement, adjudicate, check_eligibility, explain,
};
use yidi_domain::{
    AdjClass, Adjustment, AdjustmentForm, AdjustmentSet, AssistClass, Assistance, BenefitKind, Bp, CertNo,
    ChrgitmLv, ChronicDisease, Date, DateTime, Deductible, DivisionCode, Entitlement, Facility, FacilityCode,
    FacilityKind, Fen, Filing, FilingCategory, FilingRules, HomeBenefit, InsuType, Layer, LayerField,
    LayerKind, LevelTable, ListType, MedType, Person, PersonRecord, PersonState, PolicyVersion, PoolAcc,
    PoolingRegion, Price, PsnGroup, Qty, RefData, RegionPolicy, Segment, SegmentLayer, SourceRef, YearAcc,
    line_fen, share,
};

/// Cases per property: enough to reach every branch of the generator, small enough that the whole
/// file runs in well under 30 s in a debug build. `PROPTEST_CASES=5000` runs a deeper search.
const CASES: u32 = 192;

fn config() -> ProptestConfig {
    ProptestConfig { cases: CASES, max_shrink_iters: 4_096, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// The fixed map the random worlds are drawn on.

/// Pooling regions: a province-level region (Shanghai, policy year from 07-01), cities, and a
/// county region inside a city region (the most specific region wins).
const REGIONS: [(&str, &str); 6] = [
    ("310000", "上海市"),
    ("320100", "南京市"),
    ("320115", "南京市江宁区"),
    ("320500", "苏州市"),
    ("150100", "呼和浩特市"),
    ("110000", "北京市"),
];
/// County-level divisions facilities sit in.
const FACILITY_DIVISIONS: [&str; 8] =
    ["310104", "310115", "320102", "320115", "320506", "150102", "110105", "110108"];
/// A division in no pooling region of the world (care there is refused as not open).
const ORPHAN_DIVISION: &str = "440106";
/// Treatment provinces that have a catalog (440000 deliberately has none).
const CATALOG_PROVINCES: [&str; 4] = ["310000", "320000", "150000", "110000"];
/// Filing areas: the whole country, provinces and cities.
const FILING_AREAS: [&str; 9] =
    ["000000", "310000", "320000", "320100", "320500", "150000", "150100", "110000", "440100"];
const DIAGNOSES: [&str; 6] = ["E11.900", "I10.x00", "N18.500", "C34.100", "J18.900", "E10.200"];
const DISE_PREFIXES: [&str; 4] = ["E11", "I10", "C34", "N18"];
const DISEASE_CODES: [&str; 4] = ["M00500", "M01600", "M07800", "M00300"];
const SUPPORTED_MED_TYPES: [&str; 6] = ["11", "13", "14", "21", "24", "41"];
/// 22 and 28 are inpatient kinds; 51 and 99 are not open for direct settlement.
const RARE_MED_TYPES: [&str; 4] = ["22", "28", "51", "99"];
const RESTRICTION_MED_TYPES: [&str; 5] = ["11", "13", "14", "21", "41"];
const EFFECTIVE_FROM: [&str; 6] =
    ["2023-01-01", "2024-01-01", "2024-07-01", "2025-01-01", "2025-03-15", "2026-01-01"];
/// Service dates on the edges of policy years, policy versions and the chronic list.
const BOUNDARY_DATES: [&str; 10] = [
    "2024-01-01",
    "2024-06-30",
    "2024-07-01",
    "2024-10-01",
    "2024-12-31",
    "2025-01-01",
    "2025-03-15",
    "2025-06-30",
    "2025-07-01",
    "2025-12-31",
];
const SHARED_POOL: &str = "shared";
const POOL_NAMES: [&str; 4] = ["outpatient", "inpatient", "chronic", SHARED_POOL];
const CARRIED_YEARS: [i32; 3] = [2023, 2024, 2025];
const PSN_NO: &str = "P0000000001";
/// The reasons `data-formats.md` and the engine's `Refusal` name; any other `err_code` is a bug.
const KNOWN_ERR_CODES: [&str; 12] = [
    "invalid_claim",
    "unknown_person",
    "unknown_facility",
    "med_type_not_supported",
    "facility_not_open",
    "region_not_open",
    "chronic_not_listed",
    "chronic_not_entitled",
    "unknown_catalog_code",
    "amount_mismatch",
    "filing_required",
    "no_policy",
];

fn dc(text: &str) -> DivisionCode {
    DivisionCode::parse(text).expect("fixed division code")
}

fn date(text: &str) -> Date {
    Date::parse(text).expect("fixed date")
}

/// Day `offset` counted from 2024-01-01: claims fall in 2024–2025 (two policy years or three
/// for a region whose year starts on 07-01).
fn day(offset: i64) -> Date {
    date("2024-01-01").add_days(offset)
}

/// The offset of a date for [`day`].
fn offset_of(text: &str) -> i64 {
    date(text).to_days() - day(0).to_days()
}

fn shift(t: DateTime, secs: i64) -> DateTime {
    DateTime::from_epoch_secs(t.to_epoch_secs() + secs)
}

fn src(file: impl Into<String>, line: usize) -> SourceRef {
    SourceRef::new(file, u32::try_from(line).expect("small line number"))
}

fn pool_of(kind: BenefitKind) -> &'static str {
    match kind {
        BenefitKind::Outpatient => "outpatient",
        BenefitKind::Chronic => "chronic",
        BenefitKind::Inpatient => "inpatient",
    }
}

/// The national chronic list of the worlds: code, name, ICD-10 prefixes, validity.
type ChronicRow = (&'static str, &'static str, &'static [&'static str], &'static str, Option<&'static str>);

const CHRONIC_ROWS: [ChronicRow; 4] = [
    ("M00500", "糖尿病", &["E10", "E11"], "2020-01-01", None),
    ("M01600", "高血压", &["I10"], "2020-01-01", None),
    // Joined the national list late in 2024.
    ("M07800", "尿毒症透析", &["N18"], "2024-10-01", None),
    ("M00300", "恶性肿瘤门诊治疗", &["C"], "2020-01-01", Some("2025-06-30")),
];

fn chronic_list() -> Vec<ChronicDisease> {
    CHRONIC_ROWS
        .iter()
        .enumerate()
        .map(|(i, (code, name, prefixes, begin, end))| ChronicDisease {
            code: (*code).to_string(),
            name: (*name).to_string(),
            icd10_prefixes: prefixes.iter().map(|p| (*p).to_string()).collect(),
            begndate: date(begin),
            enddate: end.map(date),
            source: src("chronic_diseases.csv", i + 2),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Strategies for the parts of a world.

fn fen(range: RangeInclusive<i64>) -> impl Strategy<Value = Fen> + Clone {
    range.prop_map(Fen::new)
}

fn bp(range: RangeInclusive<u32>) -> impl Strategy<Value = Bp> + Clone {
    range.prop_map(Bp::new_const)
}

/// A basic-pool ratio: mostly realistic, sometimes the edges 0 % and 100 %.
fn ratio_bp() -> impl Strategy<Value = Bp> + Clone {
    prop_oneof![1 => Just(0u32), 1 => Just(10_000u32), 6 => 4_000u32..=9_500].prop_map(Bp::new_const)
}

fn level_table<T: Copy + Debug + 'static>(
    s: impl Strategy<Value = T> + Clone + 'static,
) -> BoxedStrategy<LevelTable<T>> {
    prop_oneof![s.clone().prop_map(LevelTable::Flat), [s.clone(), s.clone(), s].prop_map(LevelTable::ByLevel)]
        .boxed()
}

/// Every deductible form of §5, with flat or level tables and `min ≤ max` for `pct_of_bill`.
fn deductible() -> BoxedStrategy<Deductible> {
    let amount = || level_table(fen(0..=150_000));
    let nth = prop_oneof![Just(10_000u32), Just(5_000u32), Just(0u32), 0u32..=10_000].prop_map(Bp::new_const);
    prop_oneof![
        amount().prop_map(|amount| Deductible::PerYear { amount }),
        amount().prop_map(|amount| Deductible::PerVisit { amount }),
        (amount(), vec(nth, 1..=3)).prop_map(|(amount, nth_bp)| Deductible::PerAdmission { amount, nth_bp }),
        (bp(0..=3_000), level_table((0i64..=50_000, 0i64..=200_000))).prop_map(|(bp, bounds)| {
            let (min, max) = match bounds {
                LevelTable::Flat((lo, extra)) => {
                    (LevelTable::Flat(Fen::new(lo)), LevelTable::Flat(Fen::new(lo + extra)))
                }
                LevelTable::ByLevel(v) => (
                    LevelTable::ByLevel(v.map(|(lo, _)| Fen::new(lo))),
                    LevelTable::ByLevel(v.map(|(lo, extra)| Fen::new(lo + extra))),
                ),
            };
            Deductible::PctOfBill { bp, min, max }
        }),
    ]
    .boxed()
}

/// A layer of §7: ascending segments with an unbounded last one, or `above_cap`.
fn layer_kind() -> BoxedStrategy<LayerKind> {
    let segments = (
        fen(0..=60_000),
        vec((1i64..=80_000, bp(3_000..=9_000)), 0..=3),
        bp(3_000..=9_000),
        option::weighted(0.7, fen(0..=150_000)),
        option::weighted(0.5, bp(0..=10_000)),
        bp(0..=1_000),
        any::<bool>(),
    )
        .prop_map(
            |(threshold, bounded, last, cap, assist_threshold_bp, assist_bonus_bp, assist_uncapped)| {
                let mut upto = Fen::ZERO;
                let mut segments: Vec<Segment> = bounded
                    .into_iter()
                    .map(|(step, ratio)| {
                        upto += Fen::new(step);
                        Segment { upto: Some(upto), ratio }
                    })
                    .collect();
                segments.push(Segment { upto: None, ratio: last });
                LayerKind::Segments(SegmentLayer {
                    threshold,
                    segments,
                    cap,
                    assist_threshold_bp,
                    assist_bonus_bp,
                    assist_uncapped,
                })
            },
        );
    let above_cap = (bp(0..=10_000), option::weighted(0.7, fen(0..=150_000)))
        .prop_map(|(ratio, cap)| LayerKind::AboveCap { ratio, cap });
    prop_oneof![2 => segments, 1 => above_cap].boxed()
}

/// One policy version for a scheme and benefit kind. Caps are small enough to be reached.
fn policy_version(insutype: InsuType, kind: BenefitKind) -> BoxedStrategy<PolicyVersion> {
    let groups = match insutype {
        InsuType::Employee => [PsnGroup::InService, PsnGroup::Retired],
        InsuType::Resident => [PsnGroup::Adult, PsnGroup::Minor],
    };
    let chronic = kind == BenefitKind::Chronic;
    let group = prop_oneof![2 => Just(None), 1 => Just(Some(groups[0])), 1 => Just(Some(groups[1]))];
    let (disease, month) = if chronic {
        (option::weighted(0.4, select(&DISEASE_CODES[..])).boxed(), prop::bool::weighted(0.35).boxed())
    } else {
        (Just(None).boxed(), Just(false).boxed())
    };
    let pool = prop_oneof![3 => Just(pool_of(kind)), 1 => Just(SHARED_POOL)];
    let layers = (option::weighted(0.35, layer_kind()), option::weighted(0.35, layer_kind()));
    (
        group,
        select(&EFFECTIVE_FROM[..]),
        deductible(),
        level_table(ratio_bp()),
        option::weighted(0.8, fen(0..=400_000)),
        pool,
        month,
        disease,
        layers,
    )
        .prop_map(
            move |(
                psn_group,
                from,
                deductible,
                ratio,
                annual_cap,
                pool,
                cap_period_month,
                disease,
                layers,
            )| {
                let (hifob, hifmi) = layers;
                let layers = [(LayerField::Hifob, hifob), (LayerField::Hifmi, hifmi)]
                    .into_iter()
                    .filter_map(|(field, kind)| {
                        kind.map(|kind| Layer { field, kind, source: SourceRef::default() })
                    })
                    .collect();
                PolicyVersion {
                    insutype,
                    benefit: kind,
                    psn_group,
                    effective_from: date(from),
                    deductible,
                    ratio,
                    annual_cap,
                    cap_pool: pool.to_string(),
                    cap_period_month,
                    disease: disease.map(str::to_string),
                    layers,
                    source: SourceRef::default(),
                }
            },
        )
        .boxed()
}

/// An adjustment form before it is fitted under the national ceiling of its class.
#[derive(Clone, Debug)]
enum RawForm {
    Unchanged,
    Minus(u32),
    Factor(u32),
    Table { flat: bool, drops: [i32; 3] },
    Extra(u32),
    Excluded,
}

#[derive(Clone, Debug)]
struct RawAdjustment {
    form: RawForm,
    deductible: Option<Deductible>,
    allow: bool,
}

fn raw_adjustment_set() -> BoxedStrategy<[Option<RawAdjustment>; 4]> {
    let form = prop_oneof![
        1 => Just(RawForm::Unchanged),
        2 => (0u32..=10_000).prop_map(RawForm::Minus),
        2 => (0u32..=10_000).prop_map(RawForm::Factor),
        2 => (any::<bool>(), [-2_000i32..=2_000, -2_000i32..=2_000, -2_000i32..=2_000])
            .prop_map(|(flat, drops)| RawForm::Table { flat, drops }),
        1 => (0u32..=10_000).prop_map(RawForm::Extra),
        1 => Just(RawForm::Excluded),
    ];
    let one = option::weighted(
        0.8,
        (form, option::weighted(0.25, deductible()), prop::bool::weighted(0.8))
            .prop_map(|(form, deductible, allow)| RawAdjustment { form, deductible, allow }),
    );
    [one.clone(), one.clone(), one.clone(), one].boxed()
}

#[derive(Clone, Debug)]
struct RawRegionPolicy {
    home_referral: bool,
    july_start: bool,
    versions: Vec<PolicyVersion>,
    adjustments: [Option<RawAdjustment>; 4],
    kind_override: Option<(BenefitKind, [Option<RawAdjustment>; 4])>,
    assistance: [Option<(Bp, Option<Fen>)>; 3],
}

/// The insured region's policy: up to three versions per kind for the person's scheme (sometimes
/// none, to reach `no_policy`), a few decoys for the other scheme, adjustments, assistance.
fn raw_region_policy(insutype: InsuType) -> BoxedStrategy<RawRegionPolicy> {
    let other = match insutype {
        InsuType::Employee => InsuType::Resident,
        InsuType::Resident => InsuType::Employee,
    };
    // Usually a baseline `any` version in force since 2023, so that most claims find a policy.
    let own = |kind| {
        let some = (vec(policy_version(insutype, kind), 1..=3), prop::bool::weighted(0.85)).prop_map(
            |(mut versions, baseline)| {
                if baseline {
                    versions[0].effective_from = date(EFFECTIVE_FROM[0]);
                    versions[0].psn_group = None;
                    versions[0].disease = None;
                }
                versions
            },
        );
        prop_oneof![1 => Just(Vec::new()), 20 => some]
    };
    let decoy = |kind| vec(policy_version(other, kind), 0..=1);
    let versions = (
        own(BenefitKind::Outpatient),
        own(BenefitKind::Chronic),
        own(BenefitKind::Inpatient),
        decoy(BenefitKind::Outpatient),
        decoy(BenefitKind::Chronic),
        decoy(BenefitKind::Inpatient),
    )
        .prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f].concat());
    let assistance = option::weighted(0.7, (bp(3_000..=10_000), option::weighted(0.7, fen(0..=100_000))));
    (
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
        versions,
        raw_adjustment_set(),
        option::weighted(
            0.3,
            (
                select(&[BenefitKind::Outpatient, BenefitKind::Chronic, BenefitKind::Inpatient][..]),
                raw_adjustment_set(),
            ),
        ),
        [assistance.clone(), assistance.clone(), assistance],
    )
        .prop_map(|(home_referral, july_start, versions, adjustments, kind_override, assistance)| {
            RawRegionPolicy { home_referral, july_start, versions, adjustments, kind_override, assistance }
        })
        .boxed()
}

#[derive(Clone, Debug)]
struct RawPerson {
    region: usize,
    insutype: InsuType,
    second_group: bool,
    assist_class: Option<AssistClass>,
    balance: i64,
    birth_offset: i64,
    seq: u32,
}

#[derive(Clone, Debug)]
struct RawFiling {
    category: FilingCategory,
    area: &'static str,
    begin: i64,
    length: Option<i64>,
    filed: Option<i64>,
    cancelled: Option<i64>,
    /// Pin one of the filing's dates or times to a claim's, to reach the boundaries of §4.
    pin: Option<(Index, u8)>,
}

#[derive(Clone, Debug)]
struct RawFacility {
    division: &'static str,
    level: u8,
    open: [bool; 3],
    chronic: Vec<&'static str>,
    begin: i64,
    end: Option<i64>,
}

#[derive(Clone, Debug)]
struct RawRow {
    lv: ChrgitmLv,
    selfpay: u32,
    cap: Option<i64>,
    med_types: Option<Vec<&'static str>>,
    min_level: Option<u8>,
    dise_prefix: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct RawCode {
    row: RawRow,
    late_start: bool,
    second: Option<(i64, RawRow)>,
}

#[derive(Clone, Debug)]
struct RawLine {
    code: Index,
    unknown: bool,
    cnt: i64,
    price_micro: i64,
    fee_day: Option<i64>,
}

#[derive(Clone, Debug)]
struct RawClaim {
    facility: Index,
    unknown_facility: bool,
    med_type: &'static str,
    day: i64,
    secs: u32,
    stay: i64,
    setl_delay: i64,
    dise: Option<&'static str>,
    emergency: bool,
    acct_used: bool,
    lines: Vec<RawLine>,
    mismatch: bool,
    /// Fit the claim to the world (a hospital for a stay, an entitled disease for chronic care),
    /// so that most claims settle; unfitted claims reach the refusals.
    fitted: bool,
    /// Break the claim: 0 a repeated `feedetl_sn`, 1 a negative quantity, 2 discharge before
    /// admission, 3 a `psn_no` the hub does not know.
    malformed: Option<u8>,
}

#[derive(Clone, Debug)]
struct RawCarried {
    pools: Vec<(i32, &'static str, i64, u32, i64)>,
    person_year: Option<(i32, [i64; 5])>,
}

fn flag() -> impl Strategy<Value = bool> + Clone {
    prop::bool::weighted(0.96)
}

fn region_flag() -> impl Strategy<Value = bool> + Clone {
    prop::bool::weighted(0.985)
}

fn raw_person(insutype: InsuType) -> impl Strategy<Value = RawPerson> {
    (
        0..REGIONS.len(),
        any::<bool>(),
        option::weighted(0.35, select(AssistClass::ALL)),
        0i64..=300_000,
        -30_000i64..=-2_000,
        0u32..1_000,
    )
        .prop_map(move |(region, second_group, assist_class, balance, birth_offset, seq)| RawPerson {
            region,
            insutype,
            second_group,
            assist_class,
            balance,
            birth_offset,
            seq,
        })
}

fn raw_filing() -> impl Strategy<Value = RawFiling> {
    (
        select(FilingCategory::ALL),
        select(&FILING_AREAS[..]),
        -400i64..=700,
        option::weighted(0.7, 1i64..=500),
        option::weighted(0.7, -30i64..=60),
        option::weighted(0.2, 0i64..=600),
        option::weighted(0.4, (any::<Index>(), 0u8..8)),
    )
        .prop_map(|(category, area, begin, length, filed, cancelled, pin)| RawFiling {
            category,
            area,
            begin,
            length,
            filed,
            cancelled,
            pin,
        })
}

fn raw_facility() -> impl Strategy<Value = RawFacility> {
    (
        prop_oneof![20 => select(&FACILITY_DIVISIONS[..]), 1 => Just(ORPHAN_DIVISION)],
        prop_oneof![1 => Just(0u8), 6 => 1u8..=3],
        [flag(), flag(), flag()],
        prop_oneof![3 => Just(Vec::new()), 1 => vec(select(&DISEASE_CODES[..]), 1..=3)],
        prop_oneof![9 => Just(-1_000i64), 1 => -100i64..=400],
        option::weighted(0.08, 400i64..=900),
    )
        .prop_map(|(division, level, open, chronic, begin, end)| RawFacility {
            division,
            level,
            open,
            chronic,
            begin,
            end,
        })
}

fn raw_row() -> impl Strategy<Value = RawRow> {
    (
        select(&[ChrgitmLv::A, ChrgitmLv::B, ChrgitmLv::C][..]),
        prop_oneof![Just(0u32), 0u32..=5_000, Just(10_000u32)],
        option::weighted(0.3, 1i64..=200_000),
        option::weighted(0.12, vec(select(&RESTRICTION_MED_TYPES[..]), 1..=3)),
        option::weighted(0.12, 1u8..=3),
        option::weighted(0.1, select(&DISE_PREFIXES[..])),
    )
        .prop_map(|(lv, selfpay, cap, med_types, min_level, dise_prefix)| RawRow {
            lv,
            selfpay,
            cap,
            med_types,
            min_level,
            dise_prefix,
        })
}

fn raw_code() -> impl Strategy<Value = RawCode> {
    (raw_row(), prop::bool::weighted(0.05), option::weighted(0.3, (30i64..=700, raw_row())))
        .prop_map(|(row, late_start, second)| RawCode { row, late_start, second })
}

fn raw_line() -> impl Strategy<Value = RawLine> {
    (
        any::<Index>(),
        prop::bool::weighted(0.01),
        prop_oneof![4 => (1i64..=5).prop_map(|units| units * 10_000), 1 => 0i64..=100_000],
        prop_oneof![
            4 => (1i64..=99, 0u32..=5).prop_map(|(m, k)| m * 10i64.pow(k) * 10_000),
            1 => 0i64..=20_000_000_000,
        ],
        option::weighted(0.3, 0i64..=20),
    )
        .prop_map(|(code, unknown, cnt, price_micro, fee_day)| RawLine {
            code,
            unknown,
            cnt,
            price_micro,
            fee_day,
        })
}

fn raw_claim() -> impl Strategy<Value = RawClaim> {
    (
        any::<Index>(),
        prop::bool::weighted(0.02),
        prop_oneof![14 => select(&SUPPORTED_MED_TYPES[..]), 1 => select(&RARE_MED_TYPES[..])],
        prop_oneof![4 => 0i64..730, 1 => select(&BOUNDARY_DATES[..]).prop_map(offset_of)],
        28_800u32..=64_800,
        0i64..=20,
        prop_oneof![5 => Just(0i64), 1 => 0i64..=20 * 86_400],
        option::weighted(0.85, select(&DIAGNOSES[..])),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.7),
        vec(raw_line(), 1..=6),
        (prop::bool::weighted(0.03), prop::bool::weighted(0.85), option::weighted(0.03, 0u8..4)),
    )
        .prop_map(
            |(
                facility,
                unknown_facility,
                med_type,
                day,
                secs,
                stay,
                setl_delay,
                dise,
                emergency,
                acct_used,
                lines,
                flags,
            )| {
                let (mismatch, fitted, malformed) = flags;
                RawClaim {
                    facility,
                    unknown_facility,
                    med_type,
                    day,
                    secs,
                    stay,
                    setl_delay,
                    dise,
                    emergency,
                    acct_used,
                    lines,
                    mismatch,
                    fitted,
                    malformed,
                }
            },
        )
}

fn raw_carried() -> impl Strategy<Value = RawCarried> {
    (
        vec(
            (select(&CARRIED_YEARS[..]), select(&POOL_NAMES[..]), 0i64..=100_000, 0u32..=2, 0i64..=400_000),
            0..=2,
        ),
        option::weighted(
            0.3,
            (
                select(&CARRIED_YEARS[..]),
                [0i64..=200_000, 0i64..=60_000, 0i64..=200_000, 0i64..=60_000, 0i64..=60_000],
            ),
        ),
    )
        .prop_map(|(pools, person_year)| RawCarried { pools, person_year })
}

// ---------------------------------------------------------------------------------------------
// Building a world from the raw draws.

/// One person's world: the shared reference data, the person's record and opening state.
#[derive(Clone, Debug)]
struct World {
    refdata: RefData,
    record: PersonRecord,
    start: PersonState,
}

/// A world, a claim sequence, and a seed for the test's own choices (shuffles, raises).
#[derive(Clone, Debug)]
struct Scenario {
    world: World,
    claims: Vec<Claim>,
    seed: u64,
}

#[derive(Clone, Debug)]
struct RawScenario {
    person: RawPerson,
    policy: RawRegionPolicy,
    regions: Vec<[bool; 5]>,
    facilities: Vec<RawFacility>,
    catalogs: [Vec<RawCode>; 4],
    filings: Vec<RawFiling>,
    entitlements: Vec<(usize, i64, Option<i64>)>,
    carried: RawCarried,
    claims: Vec<RawClaim>,
    seed: u64,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    select(&[InsuType::Employee, InsuType::Resident][..])
        .prop_flat_map(|insutype| {
            let catalog = || vec(raw_code(), 3..=8);
            (
                (raw_person(insutype), raw_region_policy(insutype)),
                vec(
                    [region_flag(), region_flag(), region_flag(), region_flag(), region_flag()],
                    REGIONS.len(),
                ),
                vec(raw_facility(), 3..=6),
                [catalog(), catalog(), catalog(), catalog()],
                vec(raw_filing(), 0..=4),
                vec(
                    (
                        0..DISEASE_CODES.len(),
                        prop_oneof![3 => Just(-400i64), 1 => -400i64..=500],
                        option::weighted(0.4, 30i64..=900),
                    ),
                    1..=5,
                ),
                raw_carried(),
                vec(raw_claim(), 1..=8),
                any::<u64>(),
            )
        })
        .prop_map(
            |(
                (person, policy),
                regions,
                facilities,
                catalogs,
                filings,
                entitlements,
                carried,
                claims,
                seed,
            )| {
                build(RawScenario {
                    person,
                    policy,
                    regions,
                    facilities,
                    catalogs,
                    filings,
                    entitlements,
                    carried,
                    claims,
                    seed,
                })
            },
        )
}

fn build(raw: RawScenario) -> Scenario {
    let person = build_person(&raw.person);
    let mut refdata = RefData { chronic_diseases: chronic_list(), ..RefData::default() };
    for (i, ((code, name), open)) in REGIONS.iter().zip(&raw.regions).enumerate() {
        let admdvs = dc(code);
        let region = PoolingRegion {
            admdvs,
            name: (*name).to_string(),
            open_inpatient: open[0],
            open_outpatient: open[1],
            open_chronic: open[2],
            open_as_insured: open[3],
            open_as_treatment: open[4],
            source: src("pooling_regions.csv", i + 2),
        };
        refdata.regions.insert(admdvs, region);
    }
    for (i, f) in raw.facilities.iter().enumerate() {
        let facility = build_facility(i, f);
        refdata.facilities.insert(facility.code.clone(), facility);
    }
    for (province, codes) in CATALOG_PROVINCES.iter().zip(&raw.catalogs) {
        refdata.catalogs.insert(dc(province), build_catalog(province, codes));
    }
    let policy = build_region_policy(person.insuplc, &raw.policy);
    refdata.policies.insert(person.insuplc, policy);
    let entitlements = raw
        .entitlements
        .iter()
        .enumerate()
        .map(|(i, (disease, begin, length))| Entitlement {
            psn_no: PSN_NO.to_string(),
            disease_code: DISEASE_CODES[*disease].to_string(),
            begndate: day(*begin),
            enddate: length.map(|n| day(begin + n)),
            source: src("entitlements.csv", i + 2),
        })
        .collect();
    let start = build_state(&person, &raw.carried);
    let record = PersonRecord { person, filings: Vec::new(), entitlements };
    let mut world = World { refdata, record, start };
    let claims: Vec<Claim> = raw.claims.iter().enumerate().map(|(i, c)| build_claim(&world, i, c)).collect();
    world.record.filings = build_filings(&world, &raw.filings, &claims);
    Scenario { world, claims, seed: raw.seed }
}

fn build_person(raw: &RawPerson) -> Person {
    let insuplc = dc(REGIONS[raw.region].0);
    let psn_group = match (raw.insutype, raw.second_group) {
        (InsuType::Employee, false) => PsnGroup::InService,
        (InsuType::Employee, true) => PsnGroup::Retired,
        (InsuType::Resident, false) => PsnGroup::Adult,
        (InsuType::Resident, true) => PsnGroup::Minor,
    };
    let brdy = day(raw.birth_offset);
    let first17 = format!("{insuplc}{:04}{:02}{:02}{:03}", brdy.year(), brdy.month(), brdy.day(), raw.seq);
    let check = CertNo::check_digit(&first17).expect("17 digits");
    let certno = CertNo::parse(&format!("{first17}{check}")).expect("valid identity number");
    Person {
        psn_no: PSN_NO.to_string(),
        gend: certno.gender(),
        certno,
        name: "测试参保人".to_string(),
        brdy,
        insuplc,
        insutype: raw.insutype,
        psn_group,
        assist_class: raw.assist_class,
        // Only employees have a personal account.
        acct_balance: Fen::new(if raw.insutype == InsuType::Employee { raw.balance } else { 0 }),
        source: src("persons.csv", 2),
    }
}

fn build_facility(i: usize, raw: &RawFacility) -> Facility {
    let prefix = if raw.level == 0 { 'P' } else { 'H' };
    let code = FacilityCode::parse(&format!("{prefix}{}{:05}", raw.division, i + 1)).expect("facility code");
    let kind = match (raw.level, i % 2) {
        (0, _) => FacilityKind::Pharmacy,
        (_, 0) => FacilityKind::Hospital,
        _ => FacilityKind::Clinic,
    };
    let mut chronic_diseases: Vec<String> = raw.chronic.iter().map(|d| (*d).to_string()).collect();
    chronic_diseases.sort();
    chronic_diseases.dedup();
    Facility {
        code,
        name: format!("测试定点机构{}", i + 1),
        admdvs: dc(raw.division),
        level: raw.level,
        kind,
        open_inpatient: raw.open[0] && raw.level > 0,
        open_outpatient: raw.open[1],
        open_chronic: raw.open[2],
        chronic_diseases,
        begndate: day(raw.begin),
        enddate: raw.end.map(day),
        source: src("facilities.csv", i + 2),
    }
}

fn build_catalog(province: &str, codes: &[RawCode]) -> yidi_domain::Catalog {
    let file = format!("catalog/{province}.csv");
    let mut catalog = yidi_domain::Catalog::default();
    let mut line = 1;
    for (i, raw) in codes.iter().enumerate() {
        let code = format!("C{:03}", i + 1);
        let first_begin = if raw.late_start { day(150) } else { date("2020-01-01") };
        let mut versions = Vec::new();
        let mut item = |row: &RawRow, begndate: Date, enddate: Option<Date>| {
            line += 1;
            let lv = row.lv;
            let mut lmt_med_types: Vec<MedType> =
                row.med_types.iter().flatten().map(|m| MedType::parse(m).expect("med type")).collect();
            lmt_med_types.sort();
            lmt_med_types.dedup();
            yidi_domain::CatalogItem {
                code: code.clone(),
                name: format!("目录项{code}"),
                list_type: [ListType::Drug, ListType::Service, ListType::Material][i % 3],
                lv,
                selfpay_prop: if lv == ChrgitmLv::B { Bp::new_const(row.selfpay) } else { Bp::ZERO },
                price_cap: row.cap.map(Fen::new),
                lmt_med_types,
                lmt_min_level: row.min_level,
                lmt_dise_prefix: row.dise_prefix.map(str::to_string),
                begndate,
                enddate,
                source: src(file.clone(), line),
            }
        };
        match &raw.second {
            None => versions.push(item(&raw.row, first_begin, None)),
            Some((after, row2)) => {
                let second_begin = first_begin.add_days(*after).max(day(*after));
                versions.push(item(&raw.row, first_begin, Some(second_begin.add_days(-1))));
                versions.push(item(row2, second_begin, None));
            }
        }
        catalog.items.insert(code.clone(), versions);
    }
    catalog
}

fn build_region_policy(admdvs: DivisionCode, raw: &RawRegionPolicy) -> RegionPolicy {
    let file = format!("policies/{admdvs}.toml");
    // Two versions with the same key and date would make the choice arbitrary: keep the first.
    let mut seen = BTreeSet::new();
    let mut policies: Vec<PolicyVersion> = Vec::new();
    for v in &raw.versions {
        let key = (v.insutype, v.benefit, v.psn_group, v.disease.clone(), v.effective_from);
        if seen.insert(key) {
            policies.push(v.clone());
        }
    }
    for (i, p) in policies.iter_mut().enumerate() {
        p.source = src(file.clone(), 20 + 25 * i);
        for (j, layer) in p.layers.iter_mut().enumerate() {
            layer.source = src(file.clone(), 32 + 25 * i + 8 * j);
        }
    }
    // The largest local ratio per level: adjustments are fitted under the ceiling against it.
    let max_local = [1u8, 2, 3].map(|level| {
        policies
            .iter()
            .map(|p| match &p.ratio {
                LevelTable::Flat(v) => v.get(),
                LevelTable::ByLevel(v) => v[usize::from(level) - 1].get(),
            })
            .max()
            .unwrap_or(8_000)
    });
    let adjustments = build_adjustment_set(&raw.adjustments, max_local, &file, 5);
    let kind_adjustments = raw
        .kind_override
        .iter()
        .map(|(kind, set)| (*kind, build_adjustment_set(set, max_local, &file, 12)))
        .collect::<BTreeMap<_, _>>();
    let assistance = AssistClass::ALL
        .iter()
        .zip(&raw.assistance)
        .enumerate()
        .filter_map(|(i, (class, a))| {
            a.map(|(ratio, annual_cap)| Assistance {
                class: *class,
                ratio,
                annual_cap,
                source: src(file.clone(), 400 + 4 * i),
            })
        })
        .collect();
    let year_start = if admdvs == dc("310000") || raw.july_start { "07-01" } else { "01-01" };
    RegionPolicy {
        admdvs,
        year_start: yidi_domain::time::MonthDay::parse(year_start).expect("month-day"),
        home_benefit: if raw.home_referral { HomeBenefit::Referral } else { HomeBenefit::Local },
        adjustments,
        kind_adjustments,
        policies,
        assistance,
        filing_rules: FilingRules::default(),
        source: src(file, 1),
    }
}

/// Fits each raw adjustment under its class's national ceiling (§4) for every level.
fn build_adjustment_set(
    raw: &[Option<RawAdjustment>; 4],
    max_local: [u32; 3],
    file: &str,
    line: usize,
) -> AdjustmentSet {
    let mut set = AdjustmentSet::default();
    for (i, (class, raw)) in AdjClass::ALL.iter().zip(raw).enumerate() {
        let Some(raw) = raw else { continue };
        let ceiling: u32 = match class {
            AdjClass::Referral | AdjClass::Emergency => 1_000,
            AdjClass::Other | AdjClass::Unfiled => 2_000,
        };
        let within = |x: u32| x * ceiling / 10_000;
        let table_value = |level: usize, drop: i32| {
            let value = i64::from(max_local[level]) - i64::from(drop.min(ceiling as i32));
            Bp::new_const(value.clamp(0, 10_000) as u32)
        };
        let form = match &raw.form {
            RawForm::Unchanged => AdjustmentForm::Unchanged,
            RawForm::Minus(n) => AdjustmentForm::MinusBp(Bp::new_const(within(*n))),
            RawForm::Factor(n) => AdjustmentForm::FactorBp(Bp::new_const(10_000 - within(*n))),
            RawForm::Table { flat: true, drops } => AdjustmentForm::RatioTable(LevelTable::Flat(
                (0..3).map(|l| table_value(l, drops[0])).max().expect("three levels"),
            )),
            RawForm::Table { flat: false, drops } => {
                AdjustmentForm::RatioTable(LevelTable::ByLevel([0, 1, 2].map(|l| table_value(l, drops[l]))))
            }
            RawForm::Extra(e) => AdjustmentForm::ExtraPreselfpay(Bp::new_const(within(*e))),
            RawForm::Excluded => AdjustmentForm::Excluded,
        };
        *set.slot(*class) = Some(Adjustment {
            form,
            deductible: raw.deductible.clone(),
            allow: raw.allow,
            source: src(file, line + i),
        });
    }
    set
}

fn build_filings(world: &World, raw: &[RawFiling], claims: &[Claim]) -> Vec<Filing> {
    let home = world.record.person.insuplc;
    // A filing names a place away from home; the whole country is for temporary filings only.
    let allowed = |category: FilingCategory, area: DivisionCode| {
        if area.is_country() { !category.is_long_term() } else { !(area.covers(home) || home.covers(area)) }
    };
    raw.iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let begndate = day(f.begin);
            let mut filing = Filing {
                filing_id: format!("F{:03}", i + 1),
                psn_no: PSN_NO.to_string(),
                category: f.category,
                area: dc(f.area),
                begndate,
                enddate: f.length.map(|n| begndate.add_days(n)),
                filed_at: f.filed.map(|d| shift(DateTime::start_of(begndate.add_days(d)), 10 * 3_600)),
                cancelled_at: f
                    .cancelled
                    .map(|d| shift(DateTime::start_of(begndate.add_days(d)), 15 * 3_600)),
                source: src("filings.csv", i + 2),
            };
            let pinned = f.pin.as_ref().and_then(|(claim, how)| {
                let c = &claims[claim.index(claims.len())];
                world.refdata.facilities.get(&c.fixmedins_code).map(|fac| (c, fac, *how))
            });
            if let Some((c, fac, how)) = pinned {
                let area = if how % 2 == 0 { fac.admdvs.city() } else { fac.admdvs.province() };
                if allowed(f.category, area) {
                    filing.area = area;
                }
                let service = c.service_date();
                let discharge = c.endtime.map_or(service, |t| t.date());
                let (setl, second) = (c.setl_time, 1);
                filing.begndate = service.add_days(-10);
                filing.enddate = None;
                filing.filed_at = None;
                filing.cancelled_at = None;
                match how {
                    0 => filing.filed_at = Some(setl),
                    1 => filing.filed_at = Some(shift(setl, -second)),
                    2 => filing.cancelled_at = Some(setl),
                    3 => filing.cancelled_at = Some(shift(setl, second)),
                    4 => filing.begndate = service,
                    5 => filing.enddate = Some(service),
                    6 => filing.begndate = discharge,
                    _ => {
                        filing.begndate = service.add_days(1);
                        filing.enddate = Some(discharge);
                    }
                }
            }
            allowed(filing.category, filing.area).then_some(filing)
        })
        .collect()
}

/// The carried-in state, normalised as the pack loader leaves it (no all-zero rows).
fn build_state(person: &Person, raw: &RawCarried) -> PersonState {
    let mut state = PersonState { acct_balance: person.acct_balance, ..PersonState::default() };
    for (year, pool, deductible_paid, admissions, fund_paid) in &raw.pools {
        let acc = PoolAcc {
            deductible_paid: Fen::new(*deductible_paid),
            admissions: *admissions,
            fund_paid: Fen::new(*fund_paid),
        };
        if acc != PoolAcc::default() {
            state.years.entry(*year).or_default().pools.insert((*pool).to_string(), acc);
        }
    }
    if let Some((year, [hifmi_base, hifmi_paid, hifob_base, hifob_paid, maf_paid])) = raw.person_year {
        let y: &mut YearAcc = state.years.entry(year).or_default();
        y.hifmi_base = Fen::new(hifmi_base);
        y.hifmi_paid = Fen::new(hifmi_paid);
        y.hifob_base = Fen::new(hifob_base);
        y.hifob_paid = Fen::new(hifob_paid);
        y.maf_paid = Fen::new(maf_paid);
    }
    state.years.retain(|_, y| !y.is_zero());
    state
}

fn build_claim(world: &World, i: usize, raw: &RawClaim) -> Claim {
    let mut facilities: Vec<&Facility> = world.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    let inpatient = matches!(raw.med_type, "21" | "22" | "24" | "28");
    let first = raw.facility.index(facilities.len());
    let facility = (0..facilities.len())
        .map(|k| facilities[(first + k) % facilities.len()])
        .find(|f| !(raw.fitted && inpatient && f.level == 0))
        .unwrap_or(facilities[first]);
    let dise = match world.record.entitlements.get(i % world.record.entitlements.len().max(1)) {
        Some(e) if raw.fitted && raw.med_type == "14" => {
            let k = DISEASE_CODES.iter().position(|c| *c == e.disease_code).expect("a listed disease");
            Some(["E11.900", "I10.x00", "N18.500", "C34.100"][k])
        }
        _ => raw.dise,
    };
    let fixmedins_code = if raw.unknown_facility {
        FacilityCode::parse("H44010699999").expect("facility code")
    } else {
        facility.code.clone()
    };
    let mut codes: Vec<&String> = world
        .refdata
        .catalogs
        .get(&facility.admdvs.province())
        .map(|c| c.items.keys().collect())
        .unwrap_or_default();
    codes.sort();
    let med_type = MedType::parse(raw.med_type).expect("med type");
    let begntime = shift(DateTime::start_of(day(raw.day)), i64::from(raw.secs));
    let endtime = if inpatient {
        Some(shift(begntime, raw.stay * 86_400 + 3_600))
    } else if raw.stay % 2 == 0 {
        Some(shift(begntime, 1_800))
    } else {
        None
    };
    let stay_days = if inpatient { raw.stay } else { 0 };
    let mut lines: Vec<FeeLine> = raw
        .lines
        .iter()
        .enumerate()
        .map(|(j, l)| {
            let med_list_codg = if l.unknown || codes.is_empty() {
                "ZZ9999".to_string()
            } else {
                codes[l.code.index(codes.len())].clone()
            };
            let cnt = Qty::from_ten_thousandths(l.cnt);
            let pric = Price::from_micro_yuan(l.price_micro);
            FeeLine {
                feedetl_sn: format!("{}", j + 1),
                med_list_codg,
                cnt,
                pric,
                amount: line_fen(cnt, pric),
                fee_ocur_time: l.fee_day.map(|d| shift(begntime, (d % (stay_days + 1)) * 86_400 + 60)),
            }
        })
        .collect();
    if raw.mismatch {
        // A mis-stated amount, sometimes next to an unknown code: the refusal must not depend on
        // which of the two lines comes first.
        let last = lines.len() - 1;
        lines[last].amount += Fen::new(1);
        if last > 0 && raw.day % 2 == 0 {
            lines[0].med_list_codg = "ZZ9999".to_string();
        }
    }
    let mut claim = Claim {
        claim_id: format!("C{:03}", i + 1),
        psn_no: PSN_NO.to_string(),
        fixmedins_code,
        med_type,
        begntime,
        endtime,
        setl_time: shift(endtime.unwrap_or(begntime), 600 + raw.setl_delay),
        dise_codg: dise.map(str::to_string),
        emergency: raw.emergency,
        acct_used: raw.acct_used,
        lines,
    };
    match raw.malformed {
        Some(0) => {
            let repeated = claim.lines[0].clone();
            claim.lines.push(repeated);
        }
        Some(1) => {
            let line = &mut claim.lines[0];
            line.cnt = Qty::from_ten_thousandths(-line.cnt.ten_thousandths() - 10_000);
            line.amount = line_fen(line.cnt, line.pric);
        }
        Some(2) => claim.endtime = Some(shift(begntime, -3_600)),
        Some(_) => claim.psn_no = "P9999999999".to_string(),
        None => {}
    }
    claim
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the properties.

fn ctx<'a>(world: &'a World, state: &'a PersonState) -> Context<'a> {
    Context { refdata: &world.refdata, person: Some(&world.record), state }
}

/// A small seeded generator (SplitMix64) for the test's own choices inside a case.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn shuffled<T: Clone>(items: &[T], rng: &mut SplitMix) -> Vec<T> {
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

/// The same reference data rebuilt into fresh hash maps inserted in another order, so that any
/// dependence on hash-map iteration order would show up as a different result.
fn rehashed(refdata: &RefData) -> RefData {
    let mut facilities: Vec<_> = refdata.facilities.iter().collect();
    facilities.sort_by(|a, b| b.0.cmp(a.0));
    let mut catalogs: Vec<_> = refdata.catalogs.iter().collect();
    catalogs.sort_by(|a, b| b.0.cmp(a.0));
    let mut policies: Vec<_> = refdata.policies.iter().collect();
    policies.sort_by(|a, b| b.0.cmp(a.0));
    let mut out_facilities = HashMap::with_capacity(97);
    for (k, v) in facilities {
        out_facilities.insert(k.clone(), v.clone());
    }
    let mut out_catalogs = HashMap::with_capacity(13);
    for (k, v) in catalogs {
        let mut items: Vec<_> = v.items.iter().collect();
        items.sort_by(|a, b| b.0.cmp(a.0));
        let mut map = HashMap::with_capacity(61);
        for (code, versions) in items {
            map.insert(code.clone(), versions.clone());
        }
        out_catalogs.insert(*k, yidi_domain::Catalog { items: map });
    }
    let mut out_policies = HashMap::with_capacity(29);
    for (k, v) in policies {
        out_policies.insert(*k, v.clone());
    }
    RefData {
        divisions: refdata.divisions.clone(),
        regions: refdata.regions.clone(),
        facilities: out_facilities,
        catalogs: out_catalogs,
        chronic_diseases: refdata.chronic_diseases.clone(),
        policies: out_policies,
    }
}

/// Two outcomes are the same: equal national fields, lines, state change and trace, or the same
/// refusal with the same message.
fn same_outcome(
    a: &Result<Settlement<'_>, Refusal>,
    b: &Result<Settlement<'_>, Refusal>,
) -> Result<(), TestCaseError> {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            prop_assert_eq!(a.setlinfo, b.setlinfo);
            prop_assert_eq!(&a.setldetail, &b.setldetail);
            prop_assert_eq!(&a.lines, &b.lines);
            prop_assert_eq!(&a.delta, &b.delta);
            prop_assert_eq!(a.filing_class(), b.filing_class());
            prop_assert_eq!(explain(a), explain(b));
        }
        (Err(a), Err(b)) => {
            prop_assert_eq!(a, b);
            prop_assert_eq!(a.to_string(), b.to_string());
        }
        (a, b) => prop_assert!(
            false,
            "one run settled and the other refused: {:?} vs {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        ),
    }
    Ok(())
}

/// The national fields of §8 and the per-line results, checked on one settlement.
fn check_settlement(
    world: &World,
    before: &PersonState,
    claim: &Claim,
    s: &Settlement<'_>,
) -> Result<(), TestCaseError> {
    let i = &s.setlinfo;
    let fields = [
        ("medfee_sumamt", i.medfee_sumamt),
        ("fulamt_ownpay_amt", i.fulamt_ownpay_amt),
        ("overlmt_selfpay", i.overlmt_selfpay),
        ("preselfpay_amt", i.preselfpay_amt),
        ("inscp_scp_amt", i.inscp_scp_amt),
        ("act_pay_dedc", i.act_pay_dedc),
        ("hifp_pay", i.hifp_pay),
        ("cvlserv_pay", i.cvlserv_pay),
        ("hifes_pay", i.hifes_pay),
        ("hifmi_pay", i.hifmi_pay),
        ("hifob_pay", i.hifob_pay),
        ("maf_pay", i.maf_pay),
        ("oth_pay", i.oth_pay),
        ("fund_pay_sumamt", i.fund_pay_sumamt),
        ("psn_part_amt", i.psn_part_amt),
        ("acct_pay", i.acct_pay),
        ("psn_cash_pay", i.psn_cash_pay),
        ("hosp_part_amt", i.hosp_part_amt),
        ("balc", i.balc),
    ];
    for (name, value) in fields {
        prop_assert!(!value.is_negative(), "{} is negative: {}", name, value);
    }
    prop_assert_eq!(
        i.medfee_sumamt,
        i.fulamt_ownpay_amt + i.overlmt_selfpay + i.preselfpay_amt + i.inscp_scp_amt,
        "identity A"
    );
    prop_assert_eq!(
        i.fund_pay_sumamt,
        i.hifp_pay + i.cvlserv_pay + i.hifes_pay + i.hifmi_pay + i.hifob_pay + i.maf_pay + i.oth_pay
    );
    prop_assert_eq!(i.psn_part_amt, i.medfee_sumamt - i.fund_pay_sumamt - i.hosp_part_amt);
    prop_assert_eq!(i.fund_pay_sumamt + i.acct_pay + i.psn_cash_pay, i.medfee_sumamt);
    prop_assert!(i.hifp_pay <= i.inscp_scp_amt, "hifp_pay {} > inscp {}", i.hifp_pay, i.inscp_scp_amt);
    prop_assert!(
        i.act_pay_dedc <= i.inscp_scp_amt,
        "act_pay_dedc {} > inscp {}",
        i.act_pay_dedc,
        i.inscp_scp_amt
    );
    prop_assert!(
        i.act_pay_dedc + i.hifp_pay <= i.inscp_scp_amt,
        "deductible and pool exceed the eligible amount"
    );
    for (name, value) in [
        ("cvlserv_pay", i.cvlserv_pay),
        ("hifes_pay", i.hifes_pay),
        ("oth_pay", i.oth_pay),
        ("hosp_part_amt", i.hosp_part_amt),
    ] {
        prop_assert_eq!(value, Fen::ZERO, "{} is not defined by the spec yet", name);
    }

    // Account (§8).
    let person = &world.record.person;
    prop_assert!(i.acct_pay <= before.acct_balance.max0());
    prop_assert_eq!(i.balc, before.acct_balance - i.acct_pay);
    if person.insutype == InsuType::Resident || !claim.acct_used {
        prop_assert_eq!(i.acct_pay, Fen::ZERO);
    } else {
        prop_assert_eq!(i.acct_pay, before.acct_balance.max0().min(i.psn_part_amt));
    }

    // Per-line results (§2): one per claim line, each split exactly, summing to the totals.
    prop_assert_eq!(s.lines.len(), claim.lines.len());
    let mut seen = vec![false; claim.lines.len()];
    let mut sums = [Fen::ZERO; 5];
    for l in &s.lines {
        prop_assert!(
            l.index < claim.lines.len() && !seen[l.index],
            "line index {} repeated or out of range",
            l.index
        );
        seen[l.index] = true;
        let fee = &claim.lines[l.index];
        prop_assert_eq!(l.amount, fee.amount);
        prop_assert_eq!(&l.item.code, &fee.med_list_codg);
        for part in [l.fulamt_ownpay, l.overlmt, l.preselfpay, l.inscp] {
            prop_assert!(!part.is_negative(), "line {} has a negative part", fee.feedetl_sn);
        }
        prop_assert_eq!(
            l.fulamt_ownpay + l.overlmt + l.preselfpay + l.inscp,
            l.amount,
            "line {} does not add up",
            fee.feedetl_sn
        );
        for (sum, part) in sums.iter_mut().zip([l.amount, l.fulamt_ownpay, l.overlmt, l.preselfpay, l.inscp])
        {
            *sum += part;
        }
    }
    let [amount, fulamt, overlmt, preselfpay, inscp] = sums;
    prop_assert_eq!(amount, i.medfee_sumamt);
    prop_assert_eq!(fulamt, i.fulamt_ownpay_amt);
    prop_assert_eq!(overlmt, i.overlmt_selfpay);
    // `extra_preselfpay_bp` moves part of the eligible amount in setlinfo only.
    let moved = i.preselfpay_amt - preselfpay;
    prop_assert_eq!(inscp - i.inscp_scp_amt, moved);
    match s.adjustment().map(|(_, a)| &a.form) {
        Some(AdjustmentForm::ExtraPreselfpay(e)) => prop_assert_eq!(moved, share(inscp, *e)),
        _ => prop_assert_eq!(moved, Fen::ZERO),
    }

    // setldetail: only positive rows, one per fund, adding up to fund_pay_sumamt without the account.
    let basic = match person.insutype {
        InsuType::Employee => "310100",
        InsuType::Resident => "390100",
    };
    let mut rows = BTreeMap::new();
    for row in &s.setldetail {
        prop_assert!(row.amount > Fen::ZERO, "setldetail row {} is {}", row.fund_pay_type, row.amount);
        prop_assert!(
            rows.insert(row.fund_pay_type, row.amount).is_none(),
            "setldetail row {} twice",
            row.fund_pay_type
        );
    }
    let funds: Fen = s.setldetail.iter().filter(|r| r.fund_pay_type != "310200").map(|r| r.amount).sum();
    prop_assert_eq!(funds, i.fund_pay_sumamt);
    for (code, amount) in [
        (basic, i.hifp_pay),
        ("330100", i.hifob_pay),
        ("390200", i.hifmi_pay),
        ("610100", i.maf_pay),
        ("310200", i.acct_pay),
    ] {
        prop_assert_eq!(rows.get(code).copied().unwrap_or(Fen::ZERO), amount, "setldetail row {}", code);
    }
    prop_assert_eq!(rows.len(), s.setldetail.len());

    // The state change is exactly what §9 lists.
    let d = &s.delta;
    prop_assert_eq!(d.deductible_paid, i.act_pay_dedc);
    prop_assert_eq!(d.fund_paid, i.hifp_pay);
    prop_assert_eq!(d.hifmi_paid, i.hifmi_pay);
    prop_assert_eq!(d.hifob_paid, i.hifob_pay);
    prop_assert_eq!(d.maf_paid, i.maf_pay);
    prop_assert_eq!(d.acct_pay, i.acct_pay);
    prop_assert_eq!(&d.cap_pool, &s.policy.cap_pool);
    prop_assert!(d.admissions <= 1);
    for v in [
        d.deductible_paid,
        d.fund_paid,
        d.hifmi_base,
        d.hifmi_paid,
        d.hifob_base,
        d.hifob_paid,
        d.maf_paid,
        d.acct_pay,
    ] {
        prop_assert!(!v.is_negative());
    }
    if matches!(s.adjustment(), Some((_, a)) if a.form == AdjustmentForm::Excluded) {
        prop_assert_eq!(i.fund_pay_sumamt, Fen::ZERO, "an excluded class pays no fund");
        prop_assert_eq!(i.act_pay_dedc, Fen::ZERO);
        prop_assert_eq!(i.pool_prop_selfpay, Bp::ZERO);
        prop_assert_eq!(
            (d.admissions, d.hifmi_base, d.hifob_base),
            (0, Fen::ZERO, Fen::ZERO),
            "an excluded class moves no accumulator"
        );
    }
    Ok(())
}

/// No accumulator passes its cap: a settlement may only raise an accumulator up to its cap
/// (one carried in above a later, lower cap may stay there but must not grow).
fn check_caps(
    world: &World,
    before: &PersonState,
    after: &PersonState,
    s: &Settlement<'_>,
) -> Result<(), TestCaseError> {
    let policy = s.policy;
    let date = s.claim.service_date();
    let py = date.policy_year(s.region_policy.year_start);
    prop_assert_eq!(s.delta.policy_year, py);
    let (b, a) = (before.year(py), after.year(py));
    let pool = policy.cap_pool.as_str();
    let within = |name: &str, cap: Fen, b: Fen, a: Fen| -> Result<(), TestCaseError> {
        prop_assert!(a <= cap.max(b), "{} passes its cap {}: {} -> {}", name, cap, b, a);
        Ok(())
    };
    if policy.cap_period_month {
        prop_assert_eq!(s.delta.cap_month, Some(date.year_month()));
    } else {
        prop_assert_eq!(s.delta.cap_month, None);
    }
    if let Some(cap) = policy.annual_cap {
        match s.delta.cap_month {
            Some(m) => {
                within("monthly fund_paid", cap, b.month_fund_paid(pool, m), a.month_fund_paid(pool, m))?
            }
            None => within("fund_paid", cap, b.pool(pool).fund_paid, a.pool(pool).fund_paid)?,
        }
    }
    let level = s.facility.level;
    let deductible =
        s.adjustment().and_then(|(_, adj)| adj.deductible.as_ref()).unwrap_or(&policy.deductible);
    if let Deductible::PerYear { amount } = deductible {
        within(
            "deductible_paid",
            amount.at(level),
            b.pool(pool).deductible_paid,
            a.pool(pool).deductible_paid,
        )?;
    }
    let person = &world.record.person;
    for field in [LayerField::Hifob, LayerField::Hifmi] {
        let (paid_b, paid_a) = match field {
            LayerField::Hifob => (b.hifob_paid, a.hifob_paid),
            LayerField::Hifmi => (b.hifmi_paid, a.hifmi_paid),
        };
        let Some(layer) = policy.layers.iter().find(|l| l.field == field) else {
            prop_assert_eq!(paid_a, paid_b, "{} paid without a layer", field.as_str());
            continue;
        };
        let cap = match &layer.kind {
            LayerKind::Segments(seg) if person.assist_class.is_some() && seg.assist_uncapped => None,
            LayerKind::Segments(seg) => seg.cap,
            LayerKind::AboveCap { cap, .. } => *cap,
        };
        if let Some(cap) = cap {
            within(field.as_str(), cap, paid_b, paid_a)?;
        }
    }
    match person.assist_class.and_then(|c| s.region_policy.assistance_for(c)) {
        Some(assistance) => {
            if let Some(cap) = assistance.annual_cap {
                within("maf_paid", cap, b.maf_paid, a.maf_paid)?;
            }
        }
        None => prop_assert_eq!(s.setlinfo.maf_pay, Fen::ZERO, "assistance paid without an assistance class"),
    }
    prop_assert!(!after.acct_balance.is_negative());
    Ok(())
}

/// What §1–§5 say a refusal must tell the clerk: a mis-stated amount names the line and both
/// amounts (and is really mis-stated); an unknown code names the line and the code (and really is
/// unknown on that date); a place or kind not open says the person may claim by hand; a filing
/// refusal asks the person to file.
fn check_refusal_names_its_cause(world: &World, claim: &Claim, r: &Refusal) -> Result<(), TestCaseError> {
    let msg = r.to_string();
    match r {
        Refusal::AmountMismatch { feedetl_sn, declared, computed } => {
            let line = claim.lines.iter().find(|l| &l.feedetl_sn == feedetl_sn);
            prop_assert!(line.is_some(), "amount_mismatch names no line of the claim: {}", msg);
            let line = line.expect("checked");
            prop_assert_eq!(*declared, line.amount);
            prop_assert_eq!(*computed, line_fen(line.cnt, line.pric));
            prop_assert_ne!(declared, computed);
            for part in [feedetl_sn.clone(), declared.yuan(), computed.yuan()] {
                prop_assert!(msg.contains(&part), "amount_mismatch message lacks {}: {}", part, msg);
            }
        }
        Refusal::UnknownCatalogCode { feedetl_sn, code, province, .. } => {
            let line = claim.lines.iter().find(|l| &l.feedetl_sn == feedetl_sn && &l.med_list_codg == code);
            prop_assert!(line.is_some(), "unknown_catalog_code names no line of the claim: {}", msg);
            let line = line.expect("checked");
            let on = line.fee_ocur_time.map_or_else(|| claim.service_date(), |t| t.date());
            let known = world.refdata.catalogs.get(province).and_then(|c| c.lookup(code, on)).is_some();
            prop_assert!(!known, "code {} is in the {} catalog on {}", code, province, on);
            prop_assert!(msg.contains(feedetl_sn.as_str()) && msg.contains(code.as_str()), "{}", msg);
        }
        Refusal::FacilityNotOpen { .. }
        | Refusal::RegionNotOpen { .. }
        | Refusal::MedTypeNotSupported { .. } => {
            prop_assert!(msg.contains("手工报销"), "no word of claiming by hand: {}", msg);
        }
        Refusal::FilingRequired { .. } => prop_assert!(msg.contains("备案"), "no word of filing: {}", msg),
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(config())]

    /// Goal: every settlement of a random claim sequence satisfies the §8 invariants (amounts ≥ 0,
    /// identity A, conservation, hifp ≤ inscp, deductible ≤ inscp, lines adding up, setldetail
    /// consistent), and applying the deltas in sequence never pushes an accumulator past its cap.
    #[test]
    fn settlements_keep_the_invariants(sc in scenario()) {
        let world = &sc.world;
        let mut state = world.start.clone();
        for claim in &sc.claims {
            let Ok(s) = adjudicate(&ctx(world, &state), claim) else { continue };
            check_settlement(world, &state, claim, &s)?;
            let mut after = state.clone();
            after.apply(&s.delta);
            check_caps(world, &state, &after, &s)?;
            state = after;
        }
    }

    /// Goal: the same inputs always give the same output — twice on the same values, and on an
    /// equal copy of the reference data whose hash maps iterate in another order.
    #[test]
    fn adjudication_is_deterministic(sc in scenario()) {
        let world = &sc.world;
        let twin = World { refdata: rehashed(&world.refdata), ..world.clone() };
        let (mut state, mut twin_state) = (world.start.clone(), twin.start.clone());
        for claim in &sc.claims {
            let first = adjudicate(&ctx(world, &state), claim);
            let again = adjudicate(&ctx(world, &state), claim);
            let other = adjudicate(&ctx(&twin, &twin_state), claim);
            same_outcome(&first, &again)?;
            same_outcome(&first, &other)?;
            if let (Ok(a), Ok(b)) = (&first, &other) {
                state.apply(&a.delta);
                twin_state.apply(&b.delta);
            }
            prop_assert_eq!(&state, &twin_state);
        }
    }

    /// Goal: a pre-settlement (computing without committing) answers exactly what the settlement
    /// then commits, and a run of pre-settlements over a whole sequence leaves the state as it was.
    #[test]
    fn pre_settlement_equals_settlement(sc in scenario()) {
        let world = &sc.world;
        let start = world.start.clone();
        for claim in &sc.claims {
            let _ = adjudicate(&ctx(world, &start), claim);
        }
        prop_assert_eq!(&start, &world.start);

        let mut state = world.start.clone();
        for claim in &sc.claims {
            let snapshot = state.clone();
            let pre = adjudicate(&ctx(world, &snapshot), claim);
            let settled = adjudicate(&ctx(world, &state), claim);
            same_outcome(&pre, &settled)?;
            prop_assert_eq!(&state, &snapshot, "a pre-settlement changed the state");
            let Ok(delta) = settled.map(|s| s.delta) else { continue };
            state.apply(&delta);
            // The committed settlement is the one answered before the commit: undoing the commit
            // and computing again gives the pre-settlement's answer.
            let mut undone = state.clone();
            undone.revert(&delta);
            prop_assert_eq!(&undone, &snapshot);
            same_outcome(&pre, &adjudicate(&ctx(world, &undone), claim))?;
        }
    }

    /// Goal: the treatment check (2001) and a settlement never disagree — `check_eligibility` on a
    /// claim gives the filing class, policy version and regions its settlement uses, and refuses
    /// exactly when the settlement is refused for a reason other than its lines.
    #[test]
    fn eligibility_agrees_with_adjudication(sc in scenario()) {
        let world = &sc.world;
        let mut state = world.start.clone();
        for claim in &sc.claims {
            let settled = adjudicate(&ctx(world, &state), claim);
            let checked = check_eligibility(&ctx(world, &state), claim);
            let no_lines = check_eligibility(&ctx(world, &state), &Claim { lines: Vec::new(), ..claim.clone() });
            prop_assert_eq!(checked.as_ref().err(), no_lines.as_ref().err(), "lines changed the check");
            match (&settled, &checked) {
                (Ok(s), Ok(e)) => {
                    prop_assert_eq!(s.kind, e.kind);
                    prop_assert_eq!(&s.filing, &e.filing);
                    prop_assert!(std::ptr::eq(s.policy, e.policy), "another policy version");
                    prop_assert!(std::ptr::eq(s.treatment_region, e.treatment_region));
                }
                (Ok(_), Err(r)) => prop_assert!(false, "settled but the check refused: {r:?}"),
                (Err(Refusal::InvalidClaim { .. } | Refusal::UnknownCatalogCode { .. }
                    | Refusal::AmountMismatch { .. }), _) => {}
                (Err(a), b) => prop_assert_eq!(Some(a), b.as_ref().err()),
            }
            if let Ok(s) = settled {
                state.apply(&s.delta);
            }
        }
    }

    /// Goal: reversal restores exactly what a settlement changed — reversing the last settlement
    /// at random points gives back the state before it (and the same settlement again), and
    /// reversing every remaining settlement in reverse order gives back the opening state.
    #[test]
    fn settle_then_reverse_restores_exactly(sc in scenario()) {
        let world = &sc.world;
        let mut rng = SplitMix(sc.seed);
        let mut state = world.start.clone();
        let mut committed = Vec::new();
        for claim in &sc.claims {
            let before = state.clone();
            let answer = adjudicate(&ctx(world, &before), claim);
            let Ok(delta) = answer.as_ref().map(|s| s.delta.clone()) else { continue };
            state.apply(&delta);
            if rng.below(3) == 0 {
                state.revert(&delta);
                prop_assert_eq!(&state, &before, "reversing the last settlement did not restore the state");
                same_outcome(&answer, &adjudicate(&ctx(world, &state), claim))?;
            } else {
                committed.push(delta);
            }
        }
        for delta in committed.iter().rev() {
            state.revert(delta);
        }
        prop_assert_eq!(&state, &world.start);
    }

    /// Goal: the order of fee lines does not matter — shuffled lines give the same setlinfo,
    /// setldetail and delta, the same result for each `feedetl_sn`, or the same refusal reason.
    #[test]
    fn fee_line_order_does_not_matter(sc in scenario()) {
        let world = &sc.world;
        let mut rng = SplitMix(sc.seed);
        let mut state = world.start.clone();
        for claim in &sc.claims {
            let reordered = Claim { lines: shuffled(&claim.lines, &mut rng), ..claim.clone() };
            let a = adjudicate(&ctx(world, &state), claim);
            let b = adjudicate(&ctx(world, &state), &reordered);
            match (&a, &b) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a.setlinfo, b.setlinfo);
                    prop_assert_eq!(&a.setldetail, &b.setldetail);
                    prop_assert_eq!(&a.delta, &b.delta);
                    let by_sn = |s: &Settlement<'_>| {
                        s.lines
                            .iter()
                            .map(|l| {
                                let sn = s.claim.lines[l.index].feedetl_sn.clone();
                                let parts = (l.amount, l.fulamt_ownpay, l.overlmt, l.preselfpay, l.inscp);
                                (sn, (l.item.code.clone(), l.item.lv, l.unmet, parts))
                            })
                            .collect::<BTreeMap<_, _>>()
                    };
                    prop_assert_eq!(by_sn(a), by_sn(b));
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.err_code(), b.err_code()),
                _ => prop_assert!(false, "line order changed whether the claim settles: {:?} vs {:?}",
                    a.as_ref().err(), b.as_ref().err()),
            }
            if let Ok(s) = a {
                state.apply(&s.delta);
            }
        }
    }

    /// Goal (metamorphic, §8): from the same state, raising the selected policy version's basic
    /// annual cap (or removing it) never lowers `hifp_pay`, and neither does raising its ratio at
    /// every level while the adjustment stays the same.
    #[test]
    fn higher_cap_or_ratio_never_lowers_hifp(sc in scenario()) {
        let world = &sc.world;
        let mut rng = SplitMix(sc.seed);
        let mut state = world.start.clone();
        let home = world.record.person.insuplc;
        for claim in &sc.claims {
            let Ok(s) = adjudicate(&ctx(world, &state), claim) else { continue };
            let index = s
                .region_policy
                .policies
                .iter()
                .position(|p| std::ptr::eq(p, s.policy))
                .expect("the selected version is one of the region's");

            let mut raised_cap = world.clone();
            let region = raised_cap.refdata.policies.get_mut(&home).expect("home policy");
            let version = &mut region.policies[index];
            version.annual_cap = match (version.annual_cap, rng.below(4)) {
                (_, 0) | (None, _) => None,
                (Some(cap), _) => Some(cap + Fen::new(1 + rng.below(300_000) as i64)),
            };
            let t = adjudicate(&ctx(&raised_cap, &state), claim);
            prop_assert!(t.is_ok(), "raising the cap made the claim refused: {:?}", t.as_ref().err());
            let t = t.expect("checked");
            prop_assert_eq!(t.setlinfo.act_pay_dedc, s.setlinfo.act_pay_dedc);
            prop_assert!(t.setlinfo.hifp_pay >= s.setlinfo.hifp_pay,
                "cap {:?} -> {:?} lowered hifp_pay {} -> {}", s.policy.annual_cap, t.policy.annual_cap,
                s.setlinfo.hifp_pay, t.setlinfo.hifp_pay);

            let mut raised_ratio = world.clone();
            let region = raised_ratio.refdata.policies.get_mut(&home).expect("home policy");
            let version = &mut region.policies[index];
            let mut raise = |r: Bp| Bp::new_const((r.get() + rng.below(3_001) as u32).min(10_000));
            version.ratio = match &version.ratio {
                LevelTable::Flat(r) => LevelTable::Flat(raise(*r)),
                LevelTable::ByLevel(v) => LevelTable::ByLevel(v.map(&mut raise)),
            };
            let t = adjudicate(&ctx(&raised_ratio, &state), claim);
            prop_assert!(t.is_ok(), "raising the ratio made the claim refused: {:?}", t.as_ref().err());
            let t = t.expect("checked");
            let adjustment = |s: &Settlement<'_>| s.adjustment().map(|(c, a)| (c, a.clone()));
            prop_assert_eq!(adjustment(&t), adjustment(&s));
            prop_assert!(t.setlinfo.hifp_pay >= s.setlinfo.hifp_pay,
                "ratio {:?} -> {:?} lowered hifp_pay {} -> {}", s.policy.ratio, t.policy.ratio,
                s.setlinfo.hifp_pay, t.setlinfo.hifp_pay);

            state.apply(&s.delta);
        }
    }

    /// Goal: the engine agrees with an independent, deliberately plain reading of the spec: the
    /// same decision to settle or refuse (with one of the reasons that apply), and for settled
    /// claims the same line split (§2), filing class (§4), policy year, deductible and basic pool
    /// (§5–6); for policies without layers or assistance nothing above the pool, and beyond that
    /// the same layers, assistance, accumulator changes, person's part and account (§7–9).
    #[test]
    fn engine_agrees_with_the_oracle(sc in scenario()) {
        let world = &sc.world;
        let mut state = world.start.clone();
        for claim in &sc.claims {
            let verdict = oracle::judge(world, &state, claim);
            let result = adjudicate(&ctx(world, &state), claim);
            match (verdict, &result) {
                (oracle::Verdict::Unclear, _) => {}
                (oracle::Verdict::Refuse(why), Err(r)) => {
                    prop_assert!(why.contains(&r.err_code()),
                        "engine refused with {} ({}), the spec's reasons are {:?}", r.err_code(), r, why);
                }
                (oracle::Verdict::Refuse(why), Ok(s)) => {
                    prop_assert!(false, "engine settled {} (class {}), the spec refuses: {:?}",
                        claim.claim_id, s.filing_class().as_str(), why);
                }
                (oracle::Verdict::Settle(e), Err(r)) => {
                    prop_assert!(false, "engine refused {} with {} ({}), the spec settles: {:?}",
                        claim.claim_id, r.err_code(), r, e);
                }
                (oracle::Verdict::Settle(e), Ok(s)) => oracle::compare(&e, s)?,
            }
            if let Ok(s) = &result {
                state.apply(&s.delta);
            }
        }
    }

    /// Goal: refusals carry no state and explain themselves — a refused claim leaves the state
    /// unchanged (the rest of the sequence settles exactly as if it had never been sent), and its
    /// reason is a known `err_code` with a non-empty Chinese `err_msg` that names what the spec
    /// says it must (the line and amounts, the line and code, the way to claim by hand).
    #[test]
    fn refusals_carry_no_state(sc in scenario()) {
        let world = &sc.world;
        let mut state = world.start.clone();
        let mut answers = Vec::new();
        let mut accepted = Vec::new();
        for claim in &sc.claims {
            match adjudicate(&ctx(world, &state), claim) {
                Ok(s) => {
                    answers.push((s.setlinfo, s.delta.clone()));
                    accepted.push(claim.clone());
                    state.apply(&s.delta);
                }
                Err(r) => {
                    let snapshot = state.clone();
                    let code = r.err_code();
                    prop_assert!(KNOWN_ERR_CODES.contains(&code), "unknown err_code {}", code);
                    let msg = r.to_string();
                    prop_assert!(!msg.trim().is_empty(), "empty err_msg for {}", r.err_code());
                    let chinese = msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                    prop_assert!(chinese, "err_msg is not Chinese: {}", msg);
                    check_refusal_names_its_cause(world, claim, &r)?;
                    // Refusing again (as a retry would) answers the same and still changes nothing.
                    let again = adjudicate(&ctx(world, &state), claim);
                    prop_assert_eq!(again.as_ref().err(), Some(&r));
                    prop_assert_eq!(&state, &snapshot);
                }
            }
        }
        // Without the refused claims, the same settlements in the same order give the same state.
        let mut replay = world.start.clone();
        for (claim, (setlinfo, delta)) in accepted.iter().zip(&answers) {
            let s = adjudicate(&ctx(world, &replay), claim);
            prop_assert!(s.is_ok(), "a settled claim was refused on replay: {:?}", s.as_ref().err());
            let s = s.expect("checked");
            prop_assert_eq!(s.setlinfo, *setlinfo);
            prop_assert_eq!(&s.delta, delta);
            replay.apply(&s.delta);
        }
        prop_assert_eq!(replay, state);
    }
}

/// Goal: the generator reaches the cases the properties are about — most claims settle, each
/// refusal reason, filing class, deductible form and adjustment form occurs, and caps and layers
/// are reached — so that a property cannot pass vacuously after a change to the generator.
#[test]
fn generated_worlds_reach_every_branch() {
    let mut runner = TestRunner::deterministic();
    let strategy = scenario();
    let (mut settled, mut refused) = (0usize, 0usize);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for _ in 0..300 {
        let sc = strategy.new_tree(&mut runner).expect("a scenario").current();
        let world = &sc.world;
        let mut state = world.start.clone();
        for claim in &sc.claims {
            match adjudicate(&ctx(world, &state), claim) {
                Ok(s) => {
                    settled += 1;
                    seen.insert(format!("class:{}", s.filing_class().as_str()));
                    let deductible = s
                        .adjustment()
                        .and_then(|(_, a)| a.deductible.as_ref())
                        .unwrap_or(&s.policy.deductible);
                    seen.insert(format!("deductible:{}", deductible.kind_name()));
                    if let Some((_, a)) = s.adjustment() {
                        let form = format!("{:?}", a.form);
                        seen.insert(format!("form:{}", form.split('(').next().unwrap_or("")));
                    }
                    let w = &s.workings;
                    if w.cap_left.is_some_and(|left| w.pool_raw > left) {
                        seen.insert("cap reached".into());
                    }
                    if s.policy.cap_period_month && s.setlinfo.hifp_pay > Fen::ZERO {
                        seen.insert("monthly cap".into());
                    }
                    if s.setlinfo.hifmi_pay > Fen::ZERO || s.setlinfo.hifob_pay > Fen::ZERO {
                        seen.insert("layer paid".into());
                    }
                    if s.setlinfo.maf_pay > Fen::ZERO {
                        seen.insert("assistance paid".into());
                    }
                    if s.lines.iter().any(|l| l.unmet.is_some()) {
                        seen.insert("restriction unmet".into());
                    }
                    if s.setlinfo.overlmt_selfpay > Fen::ZERO {
                        seen.insert("price cap".into());
                    }
                    if s.setlinfo.acct_pay > Fen::ZERO {
                        seen.insert("account".into());
                    }
                    if s.filing.retroactive {
                        seen.insert("retroactive filing".into());
                    }
                    if s.filing.two_way {
                        seen.insert("two-way".into());
                    }
                    state.apply(&s.delta);
                }
                Err(r) => {
                    refused += 1;
                    seen.insert(format!("refused:{}", r.err_code()));
                }
            }
        }
    }
    let wanted = [
        "class:local",
        "class:long_term",
        "class:referral",
        "class:emergency",
        "class:other",
        "class:unfiled",
        "deductible:per_year",
        "deductible:per_visit",
        "deductible:per_admission",
        "deductible:pct_of_bill",
        "form:Unchanged",
        "form:MinusBp",
        "form:FactorBp",
        "form:RatioTable",
        "form:ExtraPreselfpay",
        "form:Excluded",
        "cap reached",
        "monthly cap",
        "layer paid",
        "assistance paid",
        "restriction unmet",
        "price cap",
        "account",
        "retroactive filing",
        "two-way",
        "refused:med_type_not_supported",
        "refused:unknown_catalog_code",
        "refused:filing_required",
        "refused:region_not_open",
        "refused:facility_not_open",
        "refused:no_policy",
        "refused:amount_mismatch",
        "refused:chronic_not_listed",
        "refused:chronic_not_entitled",
        "refused:unknown_facility",
        "refused:invalid_claim",
        "refused:unknown_person",
    ];
    let missing: Vec<&str> = wanted.iter().copied().filter(|w| !seen.contains(*w)).collect();
    assert!(
        missing.is_empty(),
        "the generator never reached {missing:?} (settled {settled}, refused {refused})"
    );
    assert!(settled * 2 > settled + refused, "too few claims settle: {settled} settled, {refused} refused");
}

// ---------------------------------------------------------------------------------------------
// The oracle: `settlement.md` §2–§6 read literally, with plain loops over the world's values.

mod oracle {
    use super::*;

    /// What the spec says should happen to a claim.
    pub enum Verdict {
        Settle(Box<Expected>),
        /// Refused; any of these reasons is a correct answer (the spec does not order the checks).
        Refuse(Vec<&'static str>),
        /// The spec leaves this case open; nothing is compared.
        Unclear,
    }

    #[derive(Debug)]
    pub struct ExpectedLine {
        pub lv: ChrgitmLv,
        /// Which restrictions failed (any of them may be the one reported).
        pub unmet: Vec<yidi_adjudication::Unmet>,
        pub parts: [Fen; 4],
    }

    /// §7–8: the layers, assistance, the person's part and the account.
    #[derive(Debug)]
    pub struct Tail {
        pub hifob_pay: Fen,
        pub hifmi_pay: Fen,
        pub maf_pay: Fen,
        pub hifob_base: Fen,
        pub hifmi_base: Fen,
        pub fund_pay_sumamt: Fen,
        pub psn_part_amt: Fen,
        pub acct_pay: Fen,
        pub psn_cash_pay: Fen,
        pub balc: Fen,
    }

    #[derive(Debug)]
    pub struct Expected {
        pub class: &'static str,
        pub lines: Vec<ExpectedLine>,
        pub medfee: Fen,
        pub fulamt: Fen,
        pub overlmt: Fen,
        pub preselfpay: Fen,
        pub inscp: Fen,
        pub act_pay_dedc: Fen,
        pub hifp_pay: Fen,
        pub ratio: Bp,
        pub policy_year: i32,
        pub cap_pool: String,
        pub cap_month: Option<u32>,
        pub admissions: u32,
        /// Nothing above the basic pool can pay (no layers, no assistance, or excluded): the case
        /// the plain §2, §5–6 oracle covers on its own.
        pub simple: bool,
        pub tail: Tail,
    }

    fn smaller(a: Fen, b: Fen) -> Fen {
        if a < b { a } else { b }
    }

    fn at_least_zero(a: Fen) -> Fen {
        if a > Fen::ZERO { a } else { Fen::ZERO }
    }

    fn covers(area: u32, code: u32) -> bool {
        if area == 0 {
            true
        } else if area.is_multiple_of(10_000) {
            area / 10_000 == code / 10_000
        } else if area.is_multiple_of(100) {
            area / 100 == code / 100
        } else {
            area == code
        }
    }

    fn specificity(code: u32) -> u8 {
        if code.is_multiple_of(10_000) {
            1
        } else if code.is_multiple_of(100) {
            2
        } else {
            3
        }
    }

    fn in_period(d: Date, begin: Date, end: Option<Date>) -> bool {
        begin <= d && end.is_none_or(|e| d <= e)
    }

    fn at_level<T: Copy>(table: &LevelTable<T>, level: u8) -> T {
        let level = if level == 0 { 1 } else { level.min(3) };
        match table {
            LevelTable::Flat(v) => *v,
            LevelTable::ByLevel(v) => v[usize::from(level) - 1],
        }
    }

    fn kind_of(med_type: MedType) -> Option<BenefitKind> {
        match med_type.code().as_str() {
            "11" | "13" | "41" => Some(BenefitKind::Outpatient),
            "14" => Some(BenefitKind::Chronic),
            "21" | "22" | "24" | "28" => Some(BenefitKind::Inpatient),
            _ => None,
        }
    }

    fn open_for(kind: BenefitKind, outpatient: bool, chronic: bool, inpatient: bool) -> bool {
        match kind {
            BenefitKind::Outpatient => outpatient,
            BenefitKind::Chronic => chronic,
            BenefitKind::Inpatient => inpatient,
        }
    }

    fn long_term(category: FilingCategory) -> bool {
        matches!(
            category,
            FilingCategory::RetiredResettled
                | FilingCategory::LongTermResident
                | FilingCategory::PostedWorker
        )
    }

    /// §4: in its period on `d`, made before the settlement, not cancelled at or before it.
    fn valid_on(f: &Filing, d: Date, setl_time: DateTime) -> bool {
        in_period(d, f.begndate, f.enddate)
            && f.filed_at.is_none_or(|t| t < setl_time)
            && f.cancelled_at.is_none_or(|t| t > setl_time)
    }

    /// The adjustment for a class: the benefit kind's own table first, then the general one.
    fn adjustment_of(region: &RegionPolicy, kind: BenefitKind, class: AdjClass) -> Option<&Adjustment> {
        fn in_set(set: &AdjustmentSet, class: AdjClass) -> Option<&Adjustment> {
            match class {
                AdjClass::Referral => set.referral.as_ref(),
                AdjClass::Emergency => set.emergency.as_ref(),
                AdjClass::Other => set.other.as_ref(),
                AdjClass::Unfiled => set.unfiled.as_ref(),
            }
        }
        let pick = |set| in_set(set, class);
        if let Some(set) = region.kind_adjustments.get(&kind)
            && let Some(a) = pick(set)
        {
            return Some(a);
        }
        pick(&region.adjustments)
    }

    enum Pick<'a> {
        Found(&'a PolicyVersion),
        Missing,
        Unclear,
    }

    /// §5: the person's own group first, `any` only when none of those is in force; the latest
    /// `effective_from` on or before the date. A disease's own versions serve that disease.
    fn pick_policy<'a>(
        region: &'a RegionPolicy,
        person: &Person,
        kind: BenefitKind,
        disease: Option<&str>,
        d: Date,
    ) -> Pick<'a> {
        let choose = |wanted: Option<&str>| {
            let mut own: Option<&PolicyVersion> = None;
            let mut any: Option<&PolicyVersion> = None;
            for p in &region.policies {
                if p.insutype != person.insutype
                    || p.benefit != kind
                    || p.disease.as_deref() != wanted
                    || p.effective_from > d
                {
                    continue;
                }
                let slot = match p.psn_group {
                    Some(g) if g == person.psn_group => &mut own,
                    Some(_) => continue,
                    None => &mut any,
                };
                if slot.is_none_or(|q| p.effective_from > q.effective_from) {
                    *slot = Some(p);
                }
            }
            own.or(any)
        };
        if let Some(code) = disease {
            if let Some(p) = choose(Some(code)) {
                return Pick::Found(p);
            }
            // A disease with versions of its own, none of them in force for this person: the spec
            // does not say whether the disease-less versions then serve it.
            let has_own = region.policies.iter().any(|p| {
                p.insutype == person.insutype && p.benefit == kind && p.disease.as_deref() == Some(code)
            });
            if has_own {
                return Pick::Unclear;
            }
        }
        match choose(None) {
            Some(p) => Pick::Found(p),
            None => Pick::Missing,
        }
    }

    pub fn judge(world: &World, state: &PersonState, claim: &Claim) -> Verdict {
        let rd = &world.refdata;
        let person = &world.record.person;
        let d = claim.begntime.date();
        let mut why: Vec<&'static str> = Vec::new();

        let mut sns = BTreeSet::new();
        let malformed = claim.lines.is_empty()
            || claim.endtime.is_some_and(|end| end < claim.begntime)
            || claim.lines.iter().any(|l| {
                !sns.insert(l.feedetl_sn.as_str())
                    || l.cnt.ten_thousandths() < 0
                    || l.pric.micro_yuan() < 0
                    || l.amount < Fen::ZERO
            });
        if malformed {
            why.push("invalid_claim");
        }
        if claim.psn_no != person.psn_no {
            why.push("unknown_person");
        }
        let kind = kind_of(claim.med_type);
        if kind.is_none() {
            why.push("med_type_not_supported");
        }
        if claim.lines.iter().any(|l| l.amount != line_fen(l.cnt, l.pric)) {
            why.push("amount_mismatch");
        }
        let Some(facility) = rd.facilities.values().find(|f| f.code == claim.fixmedins_code) else {
            why.push("unknown_facility");
            return Verdict::Refuse(why);
        };
        let fac_code = facility.admdvs.get();

        // §2: the treatment province's catalog row valid on each line's date.
        let province = fac_code / 10_000 * 10_000;
        let catalog = rd.catalogs.iter().find(|(code, _)| code.get() == province).map(|(_, c)| c);
        let mut items = Vec::new();
        for line in &claim.lines {
            let on = line.fee_ocur_time.map_or(d, |t| t.date());
            let versions = catalog.and_then(|c| c.items.get(&line.med_list_codg));
            match versions.and_then(|vs| vs.iter().find(|v| in_period(on, v.begndate, v.enddate))) {
                Some(item) => items.push(item),
                None => why.push("unknown_catalog_code"),
            }
        }

        // §3: facility, pooling region, chronic care.
        let treatment = rd
            .regions
            .values()
            .filter(|r| covers(r.admdvs.get(), fac_code))
            .max_by_key(|r| specificity(r.admdvs.get()));
        if treatment.is_none() {
            why.push("region_not_open");
        }
        let local = treatment.map(|t| t.admdvs == person.insuplc);
        let mut disease = None;
        if let Some(kind) = kind {
            let open =
                open_for(kind, facility.open_outpatient, facility.open_chronic, facility.open_inpatient);
            if !in_period(d, facility.begndate, facility.enddate) || !open {
                why.push("facility_not_open");
            }
            if let (Some(t), Some(false)) = (treatment, local) {
                let treat_ok = t.open_as_treatment
                    && open_for(kind, t.open_outpatient, t.open_chronic, t.open_inpatient);
                let insured_ok = rd.regions.values().any(|r| {
                    r.admdvs == person.insuplc
                        && r.open_as_insured
                        && open_for(kind, r.open_outpatient, r.open_chronic, r.open_inpatient)
                });
                if !treat_ok || !insured_ok {
                    why.push("region_not_open");
                }
            }
            if kind == BenefitKind::Chronic {
                let dise = claim.dise_codg.as_deref();
                disease = rd.chronic_diseases.iter().find(|c| {
                    in_period(d, c.begndate, c.enddate)
                        && dise.is_some_and(|x| c.icd10_prefixes.iter().any(|p| x.starts_with(p.as_str())))
                });
                match disease {
                    None => why.push("chronic_not_listed"),
                    Some(c) => {
                        let entitled = world
                            .record
                            .entitlements
                            .iter()
                            .any(|e| e.disease_code == c.code && in_period(d, e.begndate, e.enddate));
                        if !entitled {
                            why.push("chronic_not_entitled");
                        }
                        if !facility.chronic_diseases.is_empty()
                            && !facility.chronic_diseases.contains(&c.code)
                        {
                            why.push("facility_not_open");
                        }
                    }
                }
            }
        }
        let Some(kind) = kind else { return Verdict::Refuse(why) };
        let Some(region) = rd.policies.get(&person.insuplc) else {
            why.push("no_policy");
            return Verdict::Refuse(why);
        };

        // §4: filing class and adjustment.
        let setl = claim.setl_time;
        let filings = &world.record.filings;
        let mut filing_unclear = false;
        let class_and_adjustment = match local {
            None => None,
            Some(true) => {
                let filer = filings.iter().any(|f| long_term(f.category) && valid_on(f, d, setl));
                let discharge = claim.endtime.map(|t| t.date()).filter(|_| kind == BenefitKind::Inpatient);
                // Whether a filing valid only on the discharge date earns two-way benefits is open.
                filing_unclear = !filer
                    && discharge.is_some_and(|dd| {
                        filings.iter().any(|f| long_term(f.category) && valid_on(f, dd, setl))
                    });
                let adjustment = if filer && region.home_benefit == HomeBenefit::Referral {
                    adjustment_of(region, kind, AdjClass::Referral)
                } else {
                    None
                };
                Some(("local", adjustment))
            }
            Some(false) => {
                let discharge = claim.endtime.map(|t| t.date()).filter(|_| kind == BenefitKind::Inpatient);
                let counts = |f: &Filing| {
                    covers(f.area.get(), fac_code)
                        && (valid_on(f, d, setl) || discharge.is_some_and(|dd| valid_on(f, dd, setl)))
                };
                let has = |wanted: &dyn Fn(FilingCategory) -> bool| {
                    filings.iter().any(|f| wanted(f.category) && counts(f))
                };
                let emergency_visit =
                    matches!(claim.med_type.code().as_str(), "13" | "24") || claim.emergency;
                let (class, adj_class) = if has(&long_term) {
                    ("long_term", None)
                } else if has(&|c| c == FilingCategory::Referral) {
                    ("referral", Some(AdjClass::Referral))
                } else if has(&|c| c == FilingCategory::Emergency) || emergency_visit {
                    ("emergency", Some(AdjClass::Emergency))
                } else if has(&|c| c == FilingCategory::OtherTemporary) {
                    ("other", Some(AdjClass::Other))
                } else {
                    ("unfiled", Some(AdjClass::Unfiled))
                };
                let adjustment = adj_class.and_then(|c| adjustment_of(region, kind, c));
                if class == "unfiled" && !adjustment.is_some_and(|a| a.allow) {
                    why.push("filing_required");
                }
                Some((class, adjustment))
            }
        };

        // §5: the policy version.
        let mut policy = None;
        if kind != BenefitKind::Chronic || disease.is_some() {
            match pick_policy(region, person, kind, disease.map(|c| c.code.as_str()), d) {
                Pick::Found(p) => policy = Some(p),
                Pick::Missing => why.push("no_policy"),
                Pick::Unclear => return Verdict::Unclear,
            }
        }
        if !why.is_empty() {
            return Verdict::Refuse(why);
        }
        if filing_unclear {
            return Verdict::Unclear;
        }
        let (class, adjustment) = class_and_adjustment.expect("a pooling region was found");
        let policy = policy.expect("a policy was found");
        let level = facility.level;

        // §2: line split.
        let mut lines = Vec::new();
        let (mut medfee, mut fulamt, mut overlmt, mut preselfpay, mut inscp) =
            (Fen::ZERO, Fen::ZERO, Fen::ZERO, Fen::ZERO, Fen::ZERO);
        for (line, item) in claim.lines.iter().zip(&items) {
            let mut unmet = Vec::new();
            if !item.lmt_med_types.is_empty() && !item.lmt_med_types.contains(&claim.med_type) {
                unmet.push(yidi_adjudication::Unmet::MedType);
            }
            if let Some(min) = item.lmt_min_level
                && (level == 0 || level < min)
            {
                unmet.push(yidi_adjudication::Unmet::MinLevel);
            }
            if let Some(prefix) = &item.lmt_dise_prefix
                && !claim.dise_codg.as_deref().is_some_and(|x| x.starts_with(prefix.as_str()))
            {
                unmet.push(yidi_adjudication::Unmet::Diagnosis);
            }
            let a = line.amount;
            let parts = if !unmet.is_empty() || item.lv == ChrgitmLv::C {
                [a, Fen::ZERO, Fen::ZERO, Fen::ZERO]
            } else {
                let over = match item.price_cap {
                    Some(cap) => {
                        let capped = line_fen(line.cnt, Price::from_micro_yuan(cap.get() * 10_000));
                        if a > capped { a - capped } else { Fen::ZERO }
                    }
                    None => Fen::ZERO,
                };
                let allowed = a - over;
                let pre = if item.lv == ChrgitmLv::B { share(allowed, item.selfpay_prop) } else { Fen::ZERO };
                [Fen::ZERO, over, pre, allowed - pre]
            };
            medfee += a;
            fulamt += parts[0];
            overlmt += parts[1];
            preselfpay += parts[2];
            inscp += parts[3];
            lines.push(ExpectedLine { lv: item.lv, unmet, parts });
        }

        // §4 adjustment form, §5 deductible, §6 basic pool.
        let form = adjustment.map(|a| &a.form);
        let excluded = matches!(form, Some(AdjustmentForm::Excluded));
        let local_ratio = at_level(&policy.ratio, level);
        let ratio = match form {
            None | Some(AdjustmentForm::Unchanged) | Some(AdjustmentForm::ExtraPreselfpay(_)) => local_ratio,
            Some(AdjustmentForm::MinusBp(n)) => Bp::new_const(local_ratio.get().saturating_sub(n.get())),
            Some(AdjustmentForm::FactorBp(f)) => Bp::new_const(
                u32::try_from(share(Fen::new(i64::from(local_ratio.get())), *f).get()).expect("a ratio"),
            ),
            Some(AdjustmentForm::RatioTable(t)) => at_level(t, level),
            Some(AdjustmentForm::Excluded) => Bp::ZERO,
        };
        let moved = match form {
            Some(AdjustmentForm::ExtraPreselfpay(e)) => share(inscp, *e),
            _ => Fen::ZERO,
        };
        let inscp_after = inscp - moved;
        let start = region.year_start;
        let policy_year =
            if (d.month(), d.day()) >= (start.month(), start.day()) { d.year() } else { d.year() - 1 };
        let year = state.years.get(&policy_year);
        let pool = year.and_then(|y| y.pools.get(&policy.cap_pool));
        let deductible_paid = pool.map_or(Fen::ZERO, |p| p.deductible_paid);
        let admissions_before = pool.map_or(0, |p| p.admissions);
        let cap_month = policy.cap_period_month.then(|| d.year() as u32 * 100 + u32::from(d.month()));
        let period_paid = match cap_month {
            Some(m) => year
                .and_then(|y| y.month_fund_paid.get(&(policy.cap_pool.clone(), m)))
                .copied()
                .unwrap_or(Fen::ZERO),
            None => pool.map_or(Fen::ZERO, |p| p.fund_paid),
        };
        let deductible = adjustment.and_then(|a| a.deductible.as_ref()).unwrap_or(&policy.deductible);
        let remaining = match deductible {
            Deductible::PerYear { amount } => at_least_zero(at_level(amount, level) - deductible_paid),
            Deductible::PerVisit { amount } => at_level(amount, level),
            Deductible::PerAdmission { amount, nth_bp } => {
                // The n-th admission (n = admissions so far + 1) pays nth_bp[n − 1]; the last repeats.
                let n = admissions_before as usize + 1;
                let bp = if n <= nth_bp.len() { nth_bp[n - 1] } else { nth_bp[nth_bp.len() - 1] };
                share(at_level(amount, level), bp)
            }
            Deductible::PctOfBill { bp, min, max } => {
                let raw = share(inscp_after, *bp);
                let (lo, hi) = (at_level(min, level), at_level(max, level));
                if raw < lo {
                    lo
                } else if raw > hi {
                    hi
                } else {
                    raw
                }
            }
        };
        let act_pay_dedc = if excluded { Fen::ZERO } else { smaller(remaining, inscp_after) };
        let base = inscp_after - act_pay_dedc;
        let pool_raw = if excluded { Fen::ZERO } else { share(base, ratio) };
        let cap_left = policy.annual_cap.map(|cap| at_least_zero(cap - period_paid));
        let hifp_pay = cap_left.map_or(pool_raw, |left| smaller(pool_raw, left));

        // §7: hifob_pay, then hifmi_pay, then assistance, each limited by its room under its cap.
        let eligible_selfpay = inscp_after - hifp_pay;
        let assisted = person.assist_class.is_some();
        let limit = |raw: Fen, cap: Option<Fen>, paid: Fen| {
            cap.map_or(raw, |c| smaller(raw, at_least_zero(c - paid)))
        };
        let mut layer_pays = [Fen::ZERO; 2];
        let mut layer_bases = [Fen::ZERO; 2];
        for (slot, field) in [LayerField::Hifob, LayerField::Hifmi].into_iter().enumerate() {
            let Some(layer) = policy.layers.iter().find(|l| l.field == field).filter(|_| !excluded) else {
                continue;
            };
            let input = eligible_selfpay - layer_pays[0] - layer_pays[1];
            let (base_before, paid_before) = match (year, field) {
                (None, _) => (Fen::ZERO, Fen::ZERO),
                (Some(y), LayerField::Hifob) => (y.hifob_base, y.hifob_paid),
                (Some(y), LayerField::Hifmi) => (y.hifmi_base, y.hifmi_paid),
            };
            let pay = match &layer.kind {
                LayerKind::Segments(seg) => {
                    let threshold = match seg.assist_threshold_bp {
                        Some(bp) if assisted => share(seg.threshold, bp),
                        _ => seg.threshold,
                    };
                    let bonus = if assisted { seg.assist_bonus_bp.get() } else { 0 };
                    let (p, q) = (base_before, base_before + input);
                    let mut lower = Fen::ZERO;
                    let mut total = Fen::ZERO;
                    for segment in &seg.segments {
                        let upper = segment.upto.map_or(q, |u| smaller(u, q));
                        let lo = [p, threshold, lower].into_iter().max().expect("three bounds");
                        if upper > lo {
                            total += share(upper - lo, Bp::new_const(segment.ratio.get() + bonus));
                        }
                        lower = segment.upto.unwrap_or(lower);
                    }
                    let cap = if assisted && seg.assist_uncapped { None } else { seg.cap };
                    limit(total, cap, paid_before)
                }
                LayerKind::AboveCap { ratio: layer_ratio, cap } => {
                    let uncovered = match cap_left {
                        Some(left) if ratio.get() > 0 && pool_raw > left => {
                            let r = i64::from(ratio.get());
                            let covered = Fen::new((left.get() * 10_000 + r - 1) / r);
                            base - smaller(base, covered)
                        }
                        _ => Fen::ZERO,
                    };
                    limit(share(uncovered, *layer_ratio), *cap, paid_before)
                }
            };
            // §8 keeps every amount ≥ 0: a layer cannot pay more than what reaches it.
            layer_pays[slot] = smaller(pay, input);
            layer_bases[slot] = input;
        }
        let [hifob_pay, hifmi_pay] = layer_pays;
        let assistance = person.assist_class.and_then(|c| region.assistance.iter().find(|a| a.class == c));
        let maf_pay = match assistance {
            Some(a) if !excluded => {
                let maf_paid = year.map_or(Fen::ZERO, |y| y.maf_paid);
                limit(share(eligible_selfpay - hifmi_pay - hifob_pay, a.ratio), a.annual_cap, maf_paid)
            }
            _ => Fen::ZERO,
        };

        // §8: the person's part, the account and cash.
        let fund_pay_sumamt = hifp_pay + hifob_pay + hifmi_pay + maf_pay;
        let psn_part_amt = medfee - fund_pay_sumamt;
        let balance = state.acct_balance;
        let acct_pay = if person.insutype == InsuType::Employee && claim.acct_used {
            smaller(at_least_zero(balance), psn_part_amt)
        } else {
            Fen::ZERO
        };
        let tail = Tail {
            hifob_pay,
            hifmi_pay,
            maf_pay,
            hifob_base: layer_bases[0],
            hifmi_base: layer_bases[1],
            fund_pay_sumamt,
            psn_part_amt,
            acct_pay,
            psn_cash_pay: psn_part_amt - acct_pay,
            balc: balance - acct_pay,
        };

        Verdict::Settle(Box::new(Expected {
            class,
            lines,
            medfee,
            fulamt,
            overlmt,
            preselfpay: preselfpay + moved,
            inscp: inscp_after,
            act_pay_dedc,
            hifp_pay,
            ratio,
            policy_year,
            cap_pool: policy.cap_pool.clone(),
            cap_month,
            admissions: u32::from(kind == BenefitKind::Inpatient && !excluded),
            simple: excluded || (policy.layers.is_empty() && assistance.is_none()),
            tail,
        }))
    }

    pub fn compare(e: &Expected, s: &Settlement<'_>) -> Result<(), TestCaseError> {
        let i = &s.setlinfo;
        prop_assert_eq!(s.filing_class().as_str(), e.class, "filing class");
        prop_assert_eq!(s.lines.len(), e.lines.len());
        for l in &s.lines {
            let want = &e.lines[l.index];
            prop_assert_eq!(l.item.lv, want.lv, "chrgitm_lv of line {}", l.index);
            match l.unmet {
                None => prop_assert!(
                    want.unmet.is_empty(),
                    "line {}: restriction {:?} unmet but engine says met",
                    l.index,
                    want.unmet
                ),
                Some(u) => prop_assert!(
                    want.unmet.contains(&u),
                    "line {}: engine says {:?} unmet, spec {:?}",
                    l.index,
                    u,
                    want.unmet
                ),
            }
            prop_assert_eq!(
                [l.fulamt_ownpay, l.overlmt, l.preselfpay, l.inscp],
                want.parts,
                "line {} split",
                l.index
            );
        }
        prop_assert_eq!(
            (i.medfee_sumamt, i.fulamt_ownpay_amt, i.overlmt_selfpay, i.preselfpay_amt, i.inscp_scp_amt),
            (e.medfee, e.fulamt, e.overlmt, e.preselfpay, e.inscp),
            "setlinfo totals"
        );
        prop_assert_eq!(i.act_pay_dedc, e.act_pay_dedc, "act_pay_dedc");
        prop_assert_eq!(i.hifp_pay, e.hifp_pay, "hifp_pay");
        prop_assert_eq!(i.pool_prop_selfpay, e.ratio, "pool_prop_selfpay");
        let d = &s.delta;
        prop_assert_eq!(d.policy_year, e.policy_year, "policy year");
        prop_assert_eq!(&d.cap_pool, &e.cap_pool, "cap pool");
        prop_assert_eq!(d.cap_month, e.cap_month, "cap month");
        prop_assert_eq!(d.admissions, e.admissions, "admissions");
        prop_assert_eq!((d.deductible_paid, d.fund_paid), (e.act_pay_dedc, e.hifp_pay));
        if e.simple {
            prop_assert_eq!((i.hifmi_pay, i.hifob_pay, i.maf_pay), (Fen::ZERO, Fen::ZERO, Fen::ZERO));
            prop_assert_eq!((d.hifmi_base, d.hifob_base), (Fen::ZERO, Fen::ZERO));
        }
        let t = &e.tail;
        prop_assert_eq!(i.hifob_pay, t.hifob_pay, "hifob_pay");
        prop_assert_eq!(i.hifmi_pay, t.hifmi_pay, "hifmi_pay");
        prop_assert_eq!(i.maf_pay, t.maf_pay, "maf_pay");
        prop_assert_eq!((d.hifob_base, d.hifob_paid), (t.hifob_base, t.hifob_pay), "hifob accumulators");
        prop_assert_eq!((d.hifmi_base, d.hifmi_paid), (t.hifmi_base, t.hifmi_pay), "hifmi accumulators");
        prop_assert_eq!(d.maf_paid, t.maf_pay, "maf_paid");
        prop_assert_eq!(i.fund_pay_sumamt, t.fund_pay_sumamt, "fund_pay_sumamt");
        prop_assert_eq!(i.psn_part_amt, t.psn_part_amt, "psn_part_amt");
        prop_assert_eq!(i.acct_pay, t.acct_pay, "acct_pay");
        prop_assert_eq!(i.psn_cash_pay, t.psn_cash_pay, "psn_cash_pay");
        prop_assert_eq!(i.balc, t.balc, "balc");
        Ok(())
    }
}
