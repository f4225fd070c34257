//! The cast of the demo claims: persons with fixed attributes, their filings, entitlements and
//! carried-in accumulators. Everyone else in the pack is drawn at random around them.

use crate::policy::{Group, Insu};

/// A story person; `key` is how filings and claims refer to them.
pub struct Cast {
    pub key: &'static str,
    pub region: &'static str,
    pub insutype: Insu,
    pub group: Group,
    pub assist: Option<&'static str>,
    pub birth: (i32, u8, u8),
    pub male: bool,
    pub acct_fen: Option<i64>,
}

/// A story filing: (person key, category, area, begin, end, filed_at).
pub type StoryFiling =
    (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>);

const fn cast(
    key: &'static str,
    region: &'static str,
    insutype: Insu,
    group: Group,
    birth: (i32, u8, u8),
    male: bool,
) -> Cast {
    Cast { key, region, insutype, group, assist: None, birth, male, acct_fen: None }
}

impl Cast {
    const fn acct(mut self, fen: i64) -> Cast {
        self.acct_fen = Some(fen);
        self
    }
    const fn assisted(mut self, class: &'static str) -> Cast {
        self.assist = Some(class);
        self
    }
}

use Group::{Adult, InService, Minor, Retired};
use Insu::{Employee as E, Resident as R};

pub const CAST: &[Cast] = &[
    cast("nanjing_retiree", "320100", E, Retired, (1956, 3, 12), true).acct(1_280_000),
    cast("hohhot_referral", "150100", R, Adult, (1968, 9, 21), false).assisted("dibao"),
    cast("changchun_emergency", "220100", E, InService, (1979, 6, 2), true).acct(860_000),
    cast("hohhot_dialysis", "150100", R, Adult, (1962, 11, 5), true),
    cast("beijing_retiree", "110000", E, Retired, (1953, 1, 30), false).acct(2_350_000),
    cast("shanghai_unfiled", "310000", R, Adult, (1990, 7, 19), false),
    cast("zhuhai_traveller", "440400", E, InService, (1985, 4, 11), true).acct(420_000),
    cast("nanchang_referral", "360100", E, InService, (1971, 8, 8), true).acct(560_000),
    cast("suzhou_other", "320500", R, Adult, (1998, 2, 14), false),
    cast("datong_referral", "140200", E, Retired, (1958, 12, 3), true).acct(1_100_000),
    cast("datong_unfiled", "140200", R, Adult, (1975, 5, 20), false),
    cast("bengbu_referral", "340300", R, Adult, (1949, 10, 1), true).assisted("tekun"),
    cast("shanghai_posted", "310000", E, InService, (1982, 12, 25), true).acct(1_650_000),
    cast("chengdu_snowbird", "510100", E, Retired, (1955, 4, 4), false).acct(980_000),
    cast("changchun_chronic", "220100", E, Retired, (1950, 2, 17), true).acct(1_500_000),
    cast("langfang_minor", "131000", R, Minor, (2015, 6, 30), true),
    cast("shangluo_worker", "611000", E, InService, (1988, 10, 9), true).acct(310_000),
];

pub const FILINGS: &[StoryFiling] = &[
    ("nanjing_retiree", "retired_resettled", "310000", "2024-05-10", None, Some("2024-05-08 09:12:33")),
    ("hohhot_referral", "referral", "110000", "2025-04-01", Some("2025-10-01"), Some("2025-03-28 15:40:02")),
    ("hohhot_dialysis", "long_term_resident", "110000", "2023-05-15", None, Some("2023-05-15 10:02:44")),
    ("beijing_retiree", "retired_resettled", "131000", "2022-09-01", None, None),
    (
        "zhuhai_traveller",
        "other_temporary",
        "000000",
        "2025-02-01",
        Some("2025-08-01"),
        Some("2025-01-30 20:15:09"),
    ),
    (
        "nanchang_referral",
        "referral",
        "310000",
        "2025-05-01",
        Some("2025-11-01"),
        Some("2025-04-29 11:20:00"),
    ),
    (
        "suzhou_other",
        "other_temporary",
        "110000",
        "2025-03-01",
        Some("2025-09-01"),
        Some("2025-02-27 08:30:00"),
    ),
    ("datong_referral", "referral", "110000", "2025-06-01", Some("2025-12-01"), Some("2025-05-30 16:45:12")),
    ("bengbu_referral", "referral", "320100", "2025-03-10", Some("2025-09-10"), Some("2025-03-08 14:00:00")),
    ("shanghai_posted", "posted_worker", "320500", "2024-09-01", None, Some("2024-08-28 09:00:00")),
    ("chengdu_snowbird", "long_term_resident", "440400", "2024-11-15", None, Some("2024-11-12 10:10:10")),
    ("changchun_chronic", "retired_resettled", "440000", "2021-03-01", None, None),
    ("langfang_minor", "referral", "110000", "2025-08-01", Some("2026-02-01"), Some("2025-07-31 17:05:40")),
    ("shangluo_worker", "posted_worker", "510100", "2024-03-01", None, Some("2024-02-26 10:30:00")),
];

/// (person key, disease code, begin date).
pub const ENTITLEMENTS: &[(&str, &str, &str)] = &[
    ("nanjing_retiree", "M00001", "2023-03-01"),
    ("hohhot_dialysis", "M00004", "2023-06-01"),
    ("beijing_retiree", "M00002", "2019-07-01"),
    ("chengdu_snowbird", "M00008", "2024-11-01"),
    ("changchun_chronic", "M00002", "2020-05-01"),
];

/// Carried-in accumulators: (person key, policy year, pool, deductible paid, admissions, fund
/// paid, person-year columns [hifmi base, hifmi paid, hifob base, hifob paid, maf paid]).
pub type CarriedIn = (&'static str, i32, &'static str, i64, i64, i64, Option<[i64; 5]>);

pub const ACCUMULATORS: &[CarriedIn] = &[
    // A first stay at home in February 2025: the Beijing stay is her second (deductible halved).
    ("hohhot_referral", 2025, "inpatient", 80_000, 1, 1_056_000, Some([650_000, 0, 0, 0, 455_000])),
    ("hohhot_referral", 2025, "outpatient", 0, 0, 4_500, None),
    // Shanghai's policy year 2024 runs 2024-07-01 – 2025-06-30: deductible already paid.
    ("shanghai_posted", 2024, "inpatient", 150_000, 1, 2_300_000, Some([0, 0, 0, 0, 0])),
    ("shanghai_posted", 2024, "outpatient", 50_000, 0, 120_000, None),
    ("changchun_chronic", 2025, "chronic", 40_000, 0, 310_000, Some([0, 0, 0, 0, 0])),
    // Her chronic deductible was paid at home in January; Beijing's retiree met most of his.
    ("chengdu_snowbird", 2025, "chronic", 30_000, 0, 86_000, Some([0, 0, 0, 0, 0])),
    ("beijing_retiree", 2025, "outpatient", 120_000, 0, 0, Some([0, 0, 0, 0, 0])),
];
