//! Beijing, Langfang, Hohhot, Changchun and Datong (North and North-East China).

use super::{chronic, dialysis, inpatient, outpatient};
use crate::policy::Deductible::{PerAdmission, PerYear};
use crate::policy::Group::{Any, InService, Retired};
use crate::policy::Insu::{Employee as E, Resident as R};
use crate::policy::Kind::Inpatient;
use crate::policy::*;

const BEIJING_NOTES: &[&str] = &[
    "scheme values §7.2 [S-weak: CITY] (cost bands inside the basic pool not modelled)",
    "adjustments, the segments-kind 大额 layer, chronic and assistance invented",
];

/// Beijing: §7.2 [S-weak: CITY]; adjustments, 大额 and chronic invented.
pub fn beijing() -> RegionPolicy {
    let big = || hifob_segments(2_000_000, &[(Some(10_000_000), 5000), (None, 7000)], Some(20_000_000));
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(flat(130_000), &[10000, 5000]), ratio, 50_000_000).layer(big())
    };
    let ci = || hifmi(3_040_400, &[(Some(5_000_000), 6000), (None, 7000)], None);
    RegionPolicy {
        admdvs: "110000",
        year_start: "01-01",
        home_benefit: "referral",
        notes: BEIJING_NOTES,
        general: [minus(1000), minus(500), minus(1500), minus(2000).allow(false)],
        overrides: vec![],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(180_000)), [9000, 7000, 7000], None)
                .source("§7.2 [S-weak: CITY] 1,800 a year; community 90%, others 70%; no cap"),
            outpatient(E, Retired, PerYear(flat(130_000)), [9000, 8500, 8500], None)
                .source("§7.2 [S-weak: CITY] retirees 1,300, 85%"),
            emp_inp(InService, [9000, 8700, 8500]).source("§7.2 [S-weak: CITY] 1,300 first stay, 650 later; 90/87/85%; cap 500k"),
            emp_inp(Retired, [9500, 9200, 9000]).source("§7.2 [S-weak: CITY] retirees +5 pp"),
            chronic(E, 130_000, [9000, 8700, 8500], 20_000_000),
            inpatient(R, Any, PerAdmission(levels(30_000, 80_000, 130_000), &[10000, 5000]), [8000, 7800, 7500], 25_000_000)
                .layer(ci())
                .source("§7.2 [S-weak: CITY] 300/80%, 800/78%, 1,300/75%, later stays halved, cap 250k; CI 30,404, 60% to 50k, 70% above, no cap"),
            outpatient(R, Any, PerYear(levels(10_000, 55_000, 55_000)), [5500, 5000, 5000], Some(500_000))
                .source("§7.2 [S-weak: CITY] L1 100/55%, L2+ 550/50%, cap 5,000"),
            chronic(R, 30_000, [6500, 6000, 6000], 2_000_000).layer(ci()),
        ],
        assistance: assistance((9000, 8_000_000), (8000, 6_000_000), (6000, 3_000_000)),
    }
}

const LANGFANG_NOTES: &[&str] = &[
    "scheme values §7.7 [S-weak: CITY] (municipal L3 used for level 3; age bands of the outpatient cap not modelled)",
    "adjustments invented (mild, 京津冀 treats care in the region as filed); chronic and assistance invented",
];

/// Langfang: §7.7 [S-weak: CITY]; adjustments invented in the spirit of 京津冀 视同备案.
pub fn langfang() -> RegionPolicy {
    let ci = || hifmi(1_300_000, &[(Some(10_000_000), 6000), (None, 7000)], Some(30_000_000));
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(20_000, 50_000, 80_000), &[10000]), ratio, 20_000_000)
            .layer(hifob_above_cap(9000, Some(30_000_000)))
    };
    RegionPolicy {
        admdvs: "131000",
        year_start: "01-01",
        home_benefit: "referral",
        notes: LANGFANG_NOTES,
        general: [minus(500), minus(500), minus(1500), minus(1500).allow(true)],
        overrides: vec![],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(10_000)), [6000; 3], Some(300_000))
                .source("§7.7 [S-weak: CITY] 100, 60%, cap 3,000 (<45 y)"),
            outpatient(E, Retired, PerYear(flat(10_000)), [7000; 3], Some(500_000))
                .source("§7.7 [S-weak: CITY] retirees 70%, cap 5,000"),
            emp_inp(InService, [9300, 8800, 8500]).source("§7.7 [S-weak: CITY] 200/500/800, 93/88/85%, cap 200k; 大额 90% to 500k"),
            emp_inp(Retired, [9600, 9100, 8800]).source("§7.7 [S-weak: CITY] retirees +3 pp"),
            chronic(E, 20_000, [8500, 8000, 7500], 4_000_000),
            inpatient(R, Any, PerAdmission(levels(20_000, 60_000, 120_000), &[10000]), [8500, 7500, 6000], 15_000_000)
                .layer(ci())
                .source("§7.7 [S-weak: CITY] 200/85%, 600/75%, 1,200/60%, cap 150k; CI 13,000, 60% to 100k, 70% above, cap 300k"),
            outpatient(R, Any, PerYear(flat(0)), [5000; 3], Some(8_000))
                .source("§7.7 [S-weak: CITY] no deductible, 50%, cap 80"),
            chronic(R, 30_000, [6500, 6000, 5500], 2_000_000).layer(ci()),
        ],
        assistance: assistance((8500, 3_000_000), (7500, 2_500_000), (6000, 1_000_000)),
    }
}

const HOHHOT_NOTES: &[&str] = &[
    "scheme values §7.5 [S-weak: CITY]; basic cap 300k + 大额 300k [S: IM]",
    "referral/emergency −10 pp; other temporary a further −10 pp below referral [S: IM]; chronic and assistance invented",
];

/// Hohhot: §7.5 [S-weak: CITY] and the Inner Mongolia cross-province rule [S: IM].
pub fn hohhot() -> RegionPolicy {
    let ci = || {
        hifmi(1_400_000, &[(Some(5_000_000), 6000), (Some(10_000_000), 6500), (None, 7500)], Some(35_000_000))
    };
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(30_000, 50_000, 100_000), &[10000, 5000]), ratio, 30_000_000)
            .layer(hifob_above_cap(9000, Some(30_000_000)))
    };
    RegionPolicy {
        admdvs: "150100",
        year_start: "01-01",
        home_benefit: "local",
        notes: HOHHOT_NOTES,
        general: [minus(1000), minus(1000), minus(2000), minus(2000).allow(false)],
        overrides: vec![],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(100_000)), [8000, 8000, 6000], Some(500_000))
                .source("§7.5 [S-weak: CITY] 1,000 a year; L2 and below 80%, L3 60%; cap 5,000"),
            outpatient(E, Retired, PerYear(flat(100_000)), [8500, 8500, 6500], Some(600_000))
                .source("§7.5 [S-weak: CITY] retirees +5 pp, cap 6,000"),
            emp_inp(InService, [9200, 8800, 8500]).source("§7.5 [S-weak: CITY] 300/500/1,000 (later stays halved: invented after [S: IM]); 92/88/85%"),
            emp_inp(Retired, [9500, 9200, 8900]).source("§7.5 [S-weak: CITY] retirees 95/92/89%"),
            chronic(E, 50_000, [8500, 8000, 7500], 4_000_000),
            dialysis(E, 9000, 800_000, None),
            inpatient(R, Any, PerAdmission(levels(10_000, 40_000, 80_000), &[10000, 5000]), [8500, 7500, 6000], 15_000_000)
                .layer(ci())
                .source("§7.5 [S-weak: CITY] 100/85%, 400/75%, 800/60%, cap 150k; CI 14,000, 60/65/75%, cap 350k (settlement.md example 2)"),
            outpatient(R, Any, PerYear(flat(0)), [5000, 0, 0], Some(20_000))
                .source("§7.5 [S-weak: CITY] community only, 50%, cap 200"),
            chronic(R, 30_000, [6500, 6000, 5500], 2_000_000).layer(ci()),
            dialysis(R, 8000, 500_000, Some(ci())),
        ],
        assistance: assistance((8000, 4_000_000), (7000, 3_000_000), (6000, 2_000_000)),
    }
}

const CHANGCHUN_NOTES: &[&str] = &[
    "scheme values §7.6 [S-weak: CITY] (municipal L3 used for level 3)",
    "employee inpatient cap, 大额, adjustments, chronic and assistance invented",
];

/// Changchun: §7.6 [S-weak: CITY]; caps of the employee scheme, adjustments and chronic invented.
pub fn changchun() -> RegionPolicy {
    let ci = || {
        hifmi(1_300_000, &[(Some(5_000_000), 6000), (Some(10_000_000), 6500), (None, 7500)], Some(35_000_000))
    };
    let emp_inp = |g, ratio| {
        inpatient(E, g, PerAdmission(levels(20_000, 40_000, 70_000), &[10000]), ratio, 30_000_000)
            .layer(hifob_above_cap(9000, Some(40_000_000)))
    };
    let emp_out = |g, ratio| outpatient(E, g, PerYear(levels(0, 20_000, 30_000)), ratio, Some(250_000));
    RegionPolicy {
        admdvs: "220100",
        year_start: "01-01",
        home_benefit: "local",
        notes: CHANGCHUN_NOTES,
        general: [minus(800), minus(800), minus(1600), minus(2000).allow(false)],
        overrides: vec![],
        filing: None,
        policies: vec![
            emp_out(InService, [6000, 5500, 5000])
                .source("§7.6 [S-weak: CITY] 0/200/300; 60/55/50%; cap 2,500"),
            emp_out(Retired, [6200, 5700, 5200]).source("§7.6 [S-weak: CITY] retirees +2 pp"),
            emp_inp(InService, [9500, 9200, 8800])
                .source("§7.6 [S-weak: CITY] 200/400/700, 95/92/88%; cap invented"),
            emp_inp(Retired, [9700, 9400, 9000]).source("§7.6 [S-weak: CITY] retirees +2 pp"),
            chronic(E, 40_000, [8500, 8000, 7500], 4_000_000),
            dialysis(E, 9000, 700_000, None),
            inpatient(
                R,
                Any,
                PerAdmission(levels(20_000, 40_000, 80_000), &[10000]),
                [8500, 7500, 6500],
                15_000_000,
            )
            .layer(ci())
            .source(
                "§7.6 [S-weak: CITY] 200/85%, 400/75%, 800/65%, cap 150k; CI 13,000, 60/65/75%, cap 350k",
            ),
            outpatient(R, Any, PerYear(levels(0, 20_000, 20_000)), [5000; 3], Some(100_000))
                .source("§7.6 [S-weak: CITY] L1 0, L2 200, 50%, cap 1,000"),
            chronic(R, 30_000, [6500, 6000, 5500], 2_000_000).layer(ci()),
            dialysis(R, 8000, 600_000, Some(ci())),
        ],
        assistance: assistance((8500, 3_000_000), (7500, 2_500_000), (6000, 1_000_000)),
    }
}

const DATONG_NOTES: &[&str] = &[
    "inpatient: employees' cross-province referral table 80/75/70% and non-emergency self-referred 70/65/60% by level 1/2/3; emergency keeps the local ratio; unfiled need not file [S: DT] §3.3",
    "local inpatient ratios assumed equal to DT's in-province referral table 90/85/80%; everything else invented",
    "one table per class applies to every inpatient policy, so residents get the employees' table (DT's resident tables are not represented)",
];

/// Datong: separate cross-province ratio tables for inpatient care [S: DT]; the rest invented.
pub fn datong() -> RegionPolicy {
    let ci = || hifmi(1_200_000, &[(Some(5_000_000), 6000), (None, 7000)], Some(30_000_000));
    let emp_inp = |g| {
        inpatient(
            E,
            g,
            PerAdmission(levels(20_000, 50_000, 80_000), &[10000]),
            [9000, 8500, 8000],
            25_000_000,
        )
        .layer(hifob_above_cap(9000, Some(30_000_000)))
    };
    RegionPolicy {
        admdvs: "140200",
        year_start: "01-01",
        home_benefit: "referral",
        notes: DATONG_NOTES,
        general: [minus(1000), minus(0), minus(2000), minus(2000).allow(true)],
        overrides: vec![
            (Inpatient, Class::Referral, table(8000, 7500, 7000)),
            (Inpatient, Class::Other, table(7000, 6500, 6000)),
            (Inpatient, Class::Unfiled, table(7000, 6500, 6000).allow(true)),
        ],
        filing: None,
        policies: vec![
            outpatient(E, InService, PerYear(flat(80_000)), [7500, 7000, 6500], Some(300_000))
                .source("invented"),
            outpatient(E, Retired, PerYear(flat(80_000)), [8000, 7500, 7000], Some(400_000))
                .source("invented"),
            emp_inp(InService)
                .source("local ratio = [S: DT] in-province referral 90/85/80%; deductible and caps invented"),
            emp_inp(Retired)
                .source("as in-service (a retiree bonus would break the DT tables' 10-pp ceiling)"),
            chronic(E, 40_000, [8500, 8000, 7500], 4_000_000),
            inpatient(
                R,
                Any,
                PerAdmission(levels(15_000, 40_000, 80_000), &[10000]),
                [8500, 7500, 6500],
                15_000_000,
            )
            .layer(ci())
            .source("invented"),
            outpatient(R, Any, PerYear(flat(0)), [5000, 5000, 4500], Some(40_000)).source("invented"),
            chronic(R, 30_000, [6500, 6000, 5500], 2_000_000).layer(ci()),
        ],
        assistance: assistance((8500, 3_000_000), (7500, 2_500_000), (6000, 1_000_000)),
    }
}
