//! Shanghai, Nanjing, Suzhou, Bengbu and Nanchang (East China).

use super::{chronic, dialysis, inpatient, outpatient};
use crate::policy::Deductible::{PctOfBill, PerAdmission, PerVisit, PerYear};
use crate::policy::Group::{Adult, Any, InService, Minor, Retired};
use crate::policy::Insu::{Employee as E, Resident as R};
use crate::policy::Kind::Inpatient;
use crate::policy::*;

const SHANGHAI_NOTES: &[&str] = &[
    "policy year 1 July – 30 June [M] (policy-background §7.1)",
    "scheme values §7.1 [S-weak: CITY; SHMD]; adjustments, chronic, CI threshold and assistance invented",
];

/// Shanghai: policy year from 1 July; §7.1 [S-weak: CITY; SHMD].
pub fn shanghai() -> RegionPolicy {
    let ci = || hifmi(2_000_000, &[(None, 6000)], None);
    let inp = |g, ded, ratio, from, cap| {
        inpatient(E, g, PerYear(flat(ded)), [ratio; 3], cap).from(from).layer(hifob_above_cap(8000, None))
    };
    RegionPolicy {
        admdvs: "310000",
        year_start: "07-01",
        home_benefit: "local",
        notes: SHANGHAI_NOTES,
        general: [minus(1000), minus(1000), minus(2000), minus(2000).allow(false)],
        overrides: vec![],
        filing: Some(FilingRules { min_hold_days: 180, temporary_months: 6, max_active_filings: 1 }),
        policies: vec![
            outpatient(E, InService, PerYear(flat(50_000)), [8000, 7500, 7000], None)
                .from("2024-07-01")
                .source("§7.1 [S-weak: CITY] 自负段 500 (SHMD says 1,500), 80/75/70%; no cap stated"),
            outpatient(E, Retired, PerYear(flat(30_000)), [8500, 8000, 7500], None)
                .from("2024-07-01")
                .source("§7.1 [S-weak: CITY] retirees 300 (range 300–700), +5 pp"),
            inp(InService, 150_000, 8500, "2024-07-01", 63_000_000)
                .source("§7.1 [S-weak: CITY/SHMD] 1,500 a year, 85%, cap 630k; 附加基金 80% above the cap"),
            inp(InService, 150_000, 8500, "2025-07-01", 65_000_000).source("§7.1 [S-weak: CITY] cap 650k in the 2025–26 policy year"),
            inp(Retired, 120_000, 9200, "2024-07-01", 63_000_000).source("§7.1 [S-weak: CITY/SHMD] retirees 1,200, 92%"),
            inp(Retired, 120_000, 9200, "2025-07-01", 65_000_000).source("§7.1 [S-weak: CITY] cap 650k in the 2025–26 policy year"),
            chronic(E, 0, [8500; 3], 20_000_000).from("2024-07-01"),
            inpatient(R, Any, PerAdmission(levels(5_000, 10_000, 30_000), &[10000]), [9000, 8000, 7000], 25_000_000)
                .from("2024-07-01")
                .layer(ci())
                .source("§7.1 [S-weak: CITY] L1 50/90%, L2 100/80%, L3 300/70%, cap 250k; CI 60% (threshold invented)"),
            outpatient(R, Adult, PerYear(flat(50_000)), [7000, 6000, 5000], None)
                .from("2024-07-01")
                .source("§7.1 [S-weak: CITY] 500, 70/60/50%"),
            outpatient(R, Minor, PerYear(flat(30_000)), [7000, 6000, 5000], None)
                .from("2024-07-01")
                .source("§7.1 [S-weak: CITY] students 300"),
            chronic(R, 30_000, [8000, 7500, 7000], 10_000_000).from("2024-07-01").layer(ci()),
        ],
        assistance: assistance((9000, 10_000_000), (8000, 6_000_000), (6500, 3_000_000)),
    }
}

const NANJING_NOTES: &[&str] = &[
    "scheme values §7.3 [S-weak: CITY]; referral −5 pp, emergency 0, unfiled −20 pp after Liyang [S: LY] §3.3",
    "other temporary −20 pp, 大额, chronic and assistance invented",
];

/// Nanjing: §7.3 [S-weak: CITY]; adjustments after Liyang (Jiangsu) [S: LY].
pub fn nanjing() -> RegionPolicy {
    let ci = || hifmi(1_500_000, &[(Some(5_000_000), 6000), (Some(10_000_000), 7000), (None, 7500)], None);
    let ded = || PerAdmission(levels(30_000, 50_000, 100_000), &[10000, 5000, 0]);
    let res_out = |g, ded_fen, cap| outpatient(R, g, PerYear(flat(ded_fen)), [6000, 0, 0], Some(cap));
    RegionPolicy {
        admdvs: "320100",
        year_start: "01-01",
        home_benefit: "local",
        notes: NANJING_NOTES,
        general: [minus(500), minus(0), minus(2000), minus(2000).allow(true)],
        overrides: vec![],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(0)), [8500, 7000, 6000], Some(1_500_000))
                .source("§7.3 [S-weak: CITY] no deductible; community 85%, L2 70%, L3 60%; cap 15k"),
            outpatient(E, Retired, PerYear(flat(0)), [9000, 7500, 6500], Some(1_800_000))
                .source("§7.3 [S-weak: CITY] retirees +5 pp, cap 18k"),
            inpatient(E, InService, ded(), [9500, 9200, 8800], 36_000_000)
                .layer(hifob_above_cap(9000, Some(20_000_000)))
                .source("§7.3 [S-weak: CITY] 300/500/1,000, 2nd stay half, 3rd+ none; 95/92/88%; cap 360k; 大额 invented"),
            inpatient(E, Retired, ded(), [9800, 9500, 9300], 36_000_000)
                .layer(hifob_above_cap(9000, Some(20_000_000)))
                .source("§7.3 [S-weak: CITY] retirees L3 93%, L1/L2 +3 pp"),
            chronic(E, 50_000, [9000, 8800, 8500], 5_000_000),
            dialysis(E, 9000, 900_000, None),
            inpatient(R, Any, ded(), [9000, 8500, 6500], 36_000_000)
                .layer(ci())
                .source("§7.3 [S-weak: CITY] same deductibles, 90/85/65%, cap 360k; CI 15,000, 60% to 50k, 70–75% above, no cap"),
            res_out(Adult, 20_000, 120_000).source("§7.3 [S-weak: CITY] 200, community only, 60%, cap 1,200"),
            res_out(Adult, 20_000, 150_000).from("2025-07-01").source("invented: cap raised to 1,500 from 2025-07-01"),
            res_out(Minor, 10_000, 120_000).source("§7.3 [S-weak: CITY] students 100"),
            chronic(R, 30_000, [7500, 7000, 6500], 3_000_000).layer(ci()),
            dialysis(R, 8500, 800_000, Some(ci())),
        ],
        assistance: assistance((9000, 5_000_000), (8000, 3_000_000), (6500, 2_000_000)),
    }
}

const SUZHOU_NOTES: &[&str] = &[
    "other temporary = 80 % of the normal ratio (factor) [S: SZ] §3.3; referral −5 pp after Liyang [S: LY]",
    "all scheme values invented (Jiangsu-like)",
];

/// Suzhou: "other temporary" at 80 % of the normal ratio [S: SZ]; everything else invented.
pub fn suzhou() -> RegionPolicy {
    let ci = || hifmi(1_500_000, &[(Some(5_000_000), 6000), (None, 7000)], None);
    let ded = || PerAdmission(levels(30_000, 60_000, 90_000), &[10000, 5000]);
    let res_out = |g, ded_fen| outpatient(R, g, PerYear(flat(ded_fen)), [6000, 5000, 5000], Some(200_000));
    RegionPolicy {
        admdvs: "320500",
        year_start: "01-01",
        home_benefit: "local",
        notes: SUZHOU_NOTES,
        general: [minus(500), minus(0), factor(8000), factor(8000).allow(true)],
        overrides: vec![],
        filing: Some(FilingRules { min_hold_days: 90, temporary_months: 6, max_active_filings: 2 }),
        policies: vec![
            outpatient(E, InService, PerYear(flat(60_000)), [8500, 7500, 6500], Some(2_000_000))
                .source("invented"),
            outpatient(E, Retired, PerYear(flat(40_000)), [9000, 8000, 7000], Some(2_500_000))
                .source("invented"),
            inpatient(E, InService, ded(), [9500, 9200, 9000], 40_000_000)
                .layer(hifob_above_cap(9000, Some(30_000_000)))
                .source("invented"),
            inpatient(E, Retired, ded(), [9700, 9500, 9300], 40_000_000)
                .layer(hifob_above_cap(9000, Some(30_000_000)))
                .source("invented"),
            chronic(E, 30_000, [9000, 8500, 8000], 6_000_000),
            dialysis(E, 9200, 1_000_000, None),
            inpatient(R, Any, ded(), [9000, 8000, 7000], 30_000_000).layer(ci()).source("invented"),
            res_out(Adult, 30_000).source("invented"),
            res_out(Minor, 10_000).source("invented"),
            chronic(R, 30_000, [7500, 7000, 6500], 4_000_000).layer(ci()),
            dialysis(R, 8500, 900_000, Some(ci())),
        ],
        assistance: assistance((9000, 6_000_000), (8000, 4_000_000), (6500, 2_000_000)),
    }
}

const BENGBU_NOTES: &[&str] = &[
    "residents' inpatient deductibles and ratios [S: BB] §7.4 (municipal L3 used for level 3)",
    "referral/emergency −10 pp, other −20 pp, inpatient deductible 20 % of the bill within [2,000, 10,000], caps 300k [S: AH]",
    "employees: the assumed Anhui-like demo of §7.4; outpatient, chronic, CI bands and assistance invented",
];

/// Bengbu: residents from the district page [S: BB]; out-of-area rules of an Anhui city [S: AH].
pub fn bengbu() -> RegionPolicy {
    let ci = || {
        hifmi(1_500_000, &[(Some(5_000_000), 6000), (Some(10_000_000), 7000), (None, 8000)], Some(30_000_000))
    };
    let pct = || PctOfBill { bp: 2000, min: 200_000, max: 1_000_000 };
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(30_000, 50_000, 80_000), &[10000]), ratio, 30_000_000)
            .layer(hifob_above_cap(9000, Some(20_000_000)))
    };
    RegionPolicy {
        admdvs: "340300",
        year_start: "01-01",
        home_benefit: "local",
        notes: BENGBU_NOTES,
        general: [minus(1000), minus(1000), minus(2000), minus(2000).allow(true)],
        overrides: vec![
            (Inpatient, Class::Referral, minus(1000).deductible(pct())),
            (Inpatient, Class::Emergency, minus(1000).deductible(pct())),
            (Inpatient, Class::Other, minus(2000).deductible(pct())),
            (Inpatient, Class::Unfiled, minus(2000).deductible(pct()).allow(true)),
        ],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(100_000)), [8000, 7500, 7000], Some(300_000)).source("invented"),
            outpatient(E, Retired, PerYear(flat(80_000)), [8500, 8000, 7500], Some(400_000)).source("invented"),
            emp_inp(InService, [9000, 8800, 8500]).source("§7.4 assumed: 300/500/800, 90/88/85%, cap 300k + 大额 90% to 500k"),
            emp_inp(Retired, [9300, 9100, 8800]).source("§7.4 assumed: retirees +3 pp"),
            chronic(E, 40_000, [8500, 8200, 8000], 5_000_000),
            inpatient(R, Any, PerAdmission(levels(20_000, 50_000, 80_000), &[10000]), [8500, 8000, 7000], 30_000_000)
                .layer(ci())
                .source("[S: BB] 200/85%, 500/80%, 800/70%; cap and CI cap 300k [S: AH]; CI threshold and bands invented"),
            outpatient(R, Any, PerVisit(levels(1_000, 3_000, 5_000)), [6000, 5500, 5000], Some(50_000))
                .source("invented: per-visit deductible"),
            chronic(R, 20_000, [7000, 6500, 6000], 3_000_000).layer(ci()),
        ],
        assistance: assistance((9000, 4_000_000), (7500, 3_000_000), (6500, 1_500_000)),
    }
}

const NANCHANG_NOTES: &[&str] = &[
    "referral/emergency 10 % and other temporary 20 % extra 先行自付; long-term filers at home get the referral level [S-weak: JX] §2.7, §3.3",
    "all scheme values invented (Jiangxi-like)",
];

/// Nanchang: Jiangxi-style extra 先行自付 of 10 % / 20 % [S-weak: JX]; scheme values invented.
pub fn nanchang() -> RegionPolicy {
    let ci = || {
        hifmi(1_500_000, &[(Some(5_000_000), 6000), (Some(10_000_000), 6500), (None, 7000)], Some(40_000_000))
    };
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(30_000, 60_000, 90_000), &[10000, 5000]), ratio, 30_000_000)
            .layer(hifob_above_cap(9000, Some(30_000_000)))
            .source("invented")
    };
    RegionPolicy {
        admdvs: "360100",
        year_start: "01-01",
        home_benefit: "referral",
        notes: NANCHANG_NOTES,
        general: [
            extra_preselfpay(1000),
            extra_preselfpay(1000),
            extra_preselfpay(2000),
            extra_preselfpay(2000).allow(true),
        ],
        overrides: vec![],
        filing: Some(FilingRules { min_hold_days: 183, temporary_months: 6, max_active_filings: 1 }),
        policies: vec![
            outpatient(E, InService, PerYear(flat(50_000)), [8000, 7500, 7000], Some(300_000))
                .source("invented"),
            outpatient(E, Retired, PerYear(flat(50_000)), [8500, 8000, 7500], Some(400_000))
                .source("invented"),
            emp_inp(InService, [9200, 8800, 8500]),
            emp_inp(Retired, [9500, 9100, 8800]),
            chronic(E, 30_000, [9000, 8500, 8000], 5_000_000),
            inpatient(
                R,
                Any,
                PerAdmission(levels(20_000, 50_000, 80_000), &[10000]),
                [8500, 7500, 6000],
                20_000_000,
            )
            .layer(ci())
            .source("invented"),
            outpatient(R, Any, PerYear(flat(0)), [6000, 5500, 5000], Some(40_000)).source("invented"),
            chronic(R, 20_000, [7000, 6500, 6000], 3_000_000).layer(ci()),
        ],
        assistance: assistance((9000, 4_000_000), (7500, 3_000_000), (6000, 1_500_000)),
    }
}
