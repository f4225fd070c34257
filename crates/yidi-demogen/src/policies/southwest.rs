//! Shangluo, Zhuhai and Chengdu (North-West, South and South-West China).

use super::{chronic, dialysis, inpatient, outpatient};
use crate::policy::Deductible::{PerAdmission, PerYear};
use crate::policy::Group::{Any, InService, Retired};
use crate::policy::Insu::{Employee as E, Resident as R};
use crate::policy::Kind::Outpatient;
use crate::policy::*;

const SHANGLUO_NOTES: &[&str] = &[
    "referral/emergency −10 pp, other temporary −15 pp [S-weak: CITY] §3.3; level-1 deductible 300 → 220 → 180 [S-weak] §3.4",
    "CI 10,000, 60% to 30k, 70% to 100k, 80% above, cap 300k; 大额 90% no cap [S-weak] §3.5–3.6; other values invented",
];

/// Shangluo: −10 / −15 pp and the falling per-stay deductible [S-weak: CITY, 商医保发〔2023〕81号].
pub fn shangluo() -> RegionPolicy {
    let ci = || {
        hifmi(1_000_000, &[(Some(3_000_000), 6000), (Some(10_000_000), 7000), (None, 8000)], Some(30_000_000))
    };
    let ded = || PerAdmission(levels(30_000, 60_000, 90_000), &[10000, 7333, 6000]);
    let emp_inp = |g, ratio| inpatient(E, g, ded(), ratio, 20_000_000).layer(hifob_above_cap(9000, None));
    RegionPolicy {
        admdvs: "611000",
        year_start: "01-01",
        home_benefit: "referral",
        notes: SHANGLUO_NOTES,
        general: [minus(1000), minus(1000), minus(1500), minus(2000).allow(false)],
        overrides: vec![],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(50_000)), [7500, 7000, 6500], Some(200_000)).source("invented"),
            outpatient(E, Retired, PerYear(flat(50_000)), [8000, 7500, 7000], Some(300_000)).source("invented"),
            emp_inp(InService, [9200, 9000, 8500]).source("deductible schedule §3.4 [S-weak]; ratios and cap invented; 大额 90% no cap [S-weak]"),
            emp_inp(Retired, [9500, 9300, 8800]).source("invented retiree bonus"),
            chronic(E, 30_000, [8500, 8000, 7500], 3_000_000),
            inpatient(R, Any, ded(), [9000, 8000, 7000], 15_000_000)
                .layer(ci())
                .source("deductible 300/220/180 at L1 [S-weak] (L2/L3 invented); ratios and cap invented; CI [S-weak] §3.5"),
            outpatient(R, Any, PerYear(flat(0)), [5500, 5000, 5000], Some(30_000)).source("invented"),
            chronic(R, 20_000, [6500, 6000, 5500], 2_000_000).layer(ci()),
        ],
        assistance: assistance((8500, 2_500_000), (7500, 2_000_000), (6000, 800_000)),
    }
}

const ZHUHAI_NOTES: &[&str] = &[
    "referral and emergency at the local ratio; other temporary −20 pp with filing waived (免备案) [S: ZH] §2.2, §3.3",
    "general outpatient not paid for referral/other temporary persons [S: ZH] §3.2 (emergency outpatient at the inpatient ratio is not expressible: outpatient ratio used)",
    "all scheme values invented (Guangdong-like)",
];

/// Zhuhai: temporary-care rules [S: ZH]; scheme values invented.
pub fn zhuhai() -> RegionPolicy {
    let ci = || hifmi(1_500_000, &[(Some(10_000_000), 6000), (None, 7000)], Some(40_000_000));
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(30_000, 60_000, 100_000), &[10000]), ratio, 40_000_000)
            .layer(hifob_above_cap(9000, Some(40_000_000)))
            .source("invented")
    };
    RegionPolicy {
        admdvs: "440400",
        year_start: "01-01",
        home_benefit: "local",
        notes: ZHUHAI_NOTES,
        general: [minus(0), minus(0), minus(2000), minus(2000).allow(true)],
        overrides: vec![
            (Outpatient, Class::Referral, excluded()),
            (Outpatient, Class::Other, excluded()),
            (Outpatient, Class::Unfiled, excluded().allow(true)),
        ],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(0)), [8000, 7000, 6000], Some(400_000)).source("invented"),
            outpatient(E, Retired, PerYear(flat(0)), [8500, 7500, 6500], Some(500_000)).source("invented"),
            emp_inp(InService, [9500, 9000, 8500]),
            emp_inp(Retired, [9700, 9300, 9000]),
            chronic(E, 0, [9000, 8500, 8000], 5_000_000),
            inpatient(
                R,
                Any,
                PerAdmission(levels(20_000, 50_000, 80_000), &[10000]),
                [9000, 8000, 7000],
                25_000_000,
            )
            .layer(ci())
            .source("invented"),
            outpatient(R, Any, PerYear(flat(0)), [6000, 5000, 5000], Some(80_000)).source("invented"),
            chronic(R, 20_000, [7500, 7000, 6500], 3_000_000).layer(ci()),
        ],
        assistance: assistance((9000, 5_000_000), (8000, 4_000_000), (6500, 2_000_000)),
    }
}

const CHENGDU_NOTES: &[&str] = &["all values invented (policy-background §7 has no Chengdu data)"];

/// Chengdu: entirely invented (Sichuan-like), with a segments-kind 大额 layer and filing rules.
pub fn chengdu() -> RegionPolicy {
    let ci = || {
        hifmi(1_500_000, &[(Some(5_000_000), 6000), (Some(10_000_000), 6500), (None, 7000)], Some(35_000_000))
    };
    let big = || hifob_segments(500_000, &[(Some(5_000_000), 8000), (None, 9000)], Some(60_000_000));
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(20_000, 50_000, 80_000), &[10000, 5000]), ratio, 35_000_000)
            .layer(big())
            .source("invented")
    };
    let res_inp = |ratio| {
        inpatient(R, Any, PerAdmission(levels(20_000, 50_000, 80_000), &[10000]), ratio, 20_000_000)
            .layer(ci())
    };
    RegionPolicy {
        admdvs: "510100",
        year_start: "01-01",
        home_benefit: "local",
        notes: CHENGDU_NOTES,
        general: [minus(1000), minus(1000), minus(2000), minus(2000).allow(false)],
        overrides: vec![],
        filing: Some(FilingRules { min_hold_days: 90, temporary_months: 12, max_active_filings: 2 }),
        policies: vec![
            outpatient(E, InService, PerYear(flat(10_000)), [7000, 6500, 6000], Some(300_000))
                .source("invented"),
            outpatient(E, Retired, PerYear(flat(10_000)), [7500, 7000, 6500], Some(400_000))
                .source("invented"),
            emp_inp(InService, [9000, 8500, 8000]),
            emp_inp(Retired, [9300, 8800, 8300]),
            chronic(E, 30_000, [8500, 8000, 7500], 5_000_000),
            dialysis(E, 9000, 900_000, None),
            res_inp([8000, 7000, 6000]).source("invented"),
            res_inp([8000, 7000, 6500])
                .from("2025-07-01")
                .source("invented: level-3 ratio raised to 65% from 2025-07-01"),
            outpatient(R, Any, PerYear(flat(0)), [6000, 5000, 5000], Some(80_000)).source("invented"),
            chronic(R, 20_000, [7000, 6500, 6000], 3_000_000).layer(ci()),
            dialysis(R, 8500, 700_000, Some(ci())),
        ],
        assistance: assistance((9000, 4_000_000), (7500, 3_000_000), (6000, 1_500_000)),
    }
}
