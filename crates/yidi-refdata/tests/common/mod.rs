//! A small but complete valid pack, file by file, shared by the integration tests.
//!
//! Line numbers matter to the tests: keep each CSV's rows where they are and append new ones.
#![allow(dead_code)]

use yidi_refdata::PackFiles;

pub const DIVISIONS: &str = "\
code,name,level,parent_code
150199,示例新区,county,150100
310104,徐汇区（测试）,county,310000
";

/// Columns in a different order than the spec lists them: order is free.
pub const POOLING_REGIONS: &str = "\
name,admdvs,open_inpatient,open_outpatient,open_chronic,open_as_insured,open_as_treatment
北京市,110000,Y,Y,Y,Y,Y
呼和浩特市,150100,Y,Y,Y,Y,Y
上海市,310000,Y,Y,Y,Y,Y
南京市,320100,Y,N,Y,Y,Y
";

pub const CHRONIC_DISEASES: &str = "\
code,name,icd10_prefixes,begndate,enddate
D001,高血压,I10|I11,2020-01-01,
D002,尿毒症透析,N18,2020-01-01,2024-10-31
D002,尿毒症透析,N18|N19,2024-11-01,
";

pub const FACILITIES: &str = "\
fixmedins_code,fixmedins_name,admdvs,level,kind,open_inpatient,open_outpatient,open_chronic,chronic_diseases,begndate,enddate
H31010400123,上海市徐汇区示例三级医院,310104,3,hospital,Y,Y,Y,D001|D002,2020-01-01,
H11010500001,北京市朝阳区示例三级医院,110105,3,hospital,Y,Y,N,,2020-01-01,2030-12-31
P15019900001,示例新区药店,150199,0,pharmacy,N,Y,N,,2021-01-01,
";

pub const CATALOG_310000: &str = "\
med_list_codg,name,list_type,chrgitm_lv,selfpay_prop_bp,pric_uplmt_amt,lmt_med_types,lmt_min_level,lmt_dise_prefix,begndate,enddate
XA01AAA001,示例甲类药品,drug,01,,,,,,2020-01-01,2024-12-31
XA01AAA001,示例甲类药品,drug,01,,3000,11|14,2,I10,2025-01-01,
XB01ACB001,示例乙类药品,drug,02,1000,,,,,2020-01-01,
XB02,示例乙类耗材,material,02,,,,,,2020-01-01,
";

/// Only the required columns: optional columns may be left out of the header.
pub const CATALOG_110000: &str = "\
list_type,med_list_codg,name,chrgitm_lv,begndate
service,001102000010000,示例诊查费,01,2020-01-01
";

pub const POLICY_150100: &str = r#"# Hohhot residents: every adjustment form, kind overrides, layers, assistance, [filing].
admdvs = "150100"
year_start = "07-01"
home_benefit = "referral"

[adjustments]
referral  = { minus_bp = 1000 }
emergency = { factor_bp = 9000 }
other     = { ratio_bp = { 1 = 7000, 2 = 6000, 3 = 5000 }, deductible = { kind = "per_visit", amount = 2000 } }
unfiled   = { extra_preselfpay_bp = 2000 }

[adjustments.outpatient]
other   = { excluded = true }
unfiled = { minus_bp = 500, allow = true }

[adjustments.chronic]
other = { minus_bp = 2000 }

[[policy]]
insutype = "390"
benefit = "inpatient"
psn_group = "any"
effective_from = "2025-01-01"
deductible = { kind = "per_admission", amount = { 1 = 10000, 2 = 40000, 3 = 80000 }, nth_bp = [10000, 5000] }
ratio_bp = { 1 = 8500, 2 = 7500, 3 = 6000 }
annual_cap = 15000000
cap_pool = "inpatient"

[[policy.layer]]
field = "hifmi_pay"
kind = "segments"
threshold = 1400000
segments = [ { upto = 5000000, ratio_bp = 6000 }, { upto = 10000000, ratio_bp = 6500 }, { ratio_bp = 7500 } ]
cap = 35000000
assist_threshold_bp = 5000
assist_bonus_bp = 500
assist_uncapped = true

[[policy.layer]]
field = "hifob_pay"
kind = "above_cap"
ratio_bp = 9000
cap = 50000000

[[policy]]
insutype = "390"
benefit = "outpatient"
effective_from = "2025-01-01"
deductible = { kind = "per_year", amount = 20000 }
ratio_bp = 5000
annual_cap = 300000
cap_pool = "outpatient"

[[policy]]
insutype = "390"
benefit = "chronic"
psn_group = "adult"
disease = "D002"
effective_from = "2025-01-01"
deductible = { kind = "pct_of_bill", bp = 2000, min = 200000, max = { 1 = 1000000, 2 = 800000, 3 = 600000 } }
ratio_bp = 9000
annual_cap = 800000
cap_pool = "dialysis"
cap_period = "month"

[[assistance]]
class = "dibao"
ratio_bp = 7000
annual_cap = 3000000

[[assistance]]
class = "tekun"
ratio_bp = 10000

[filing]
min_hold_days = 180
temporary_months = 12
max_active_filings = 2
"#;

/// Nanjing employees: no adjustments and no optional table, so every default applies.
pub const POLICY_320100: &str = r#"admdvs = "320100"

[[policy]]
insutype = "310"
benefit = "outpatient"
psn_group = "in_service"
effective_from = "2025-01-01"
deductible = { kind = "per_year", amount = 100000 }
ratio_bp = { 1 = 9000, 2 = 8000, 3 = 7000 }
annual_cap = 2000000
cap_pool = "outpatient"

[[policy]]
insutype = "310"
benefit = "inpatient"
effective_from = "2025-01-01"
deductible = { kind = "per_admission", amount = 90000, nth_bp = [10000, 5000, 0] }
ratio_bp = { 1 = 9500, 2 = 9000, 3 = 8500 }
cap_pool = "inpatient"
"#;

pub const PERSONS: &str = "\
psn_no,certno,psn_name,gend,brdy,insuplc_admdvs,insutype,psn_group,assist_class,acct_balance
P0000000001,320102197005120015,王建国,1,1970-05-12,320100,310,in_service,,50000
P0000000002,150102196503080021,李秀兰,2,1965-03-08,150100,390,adult,dibao,
P0000000003,150102201506010057,张小明,0,2015-06-01,150100,390,minor,,0
";

pub const ENTITLEMENTS: &str = "\
psn_no,disease_code,begndate,enddate
P0000000002,D002,2025-01-01,
";

/// CRLF line ends and a byte-order mark, as Excel writes them.
pub const FILINGS: &str =
    "\u{feff}filing_id,psn_no,category,mdtrtarea_admvs,begndate,enddate,filed_at,cancelled_at\r
F0000000001,P0000000001,long_term_resident,310000,2024-06-01,,2024-05-20 10:00:00,\r
F0000000002,P0000000002,referral,110000,2025-01-15,2025-07-14,2025-01-15 08:30:00,\r
F0000000003,P0000000003,other_temporary,000000,2025-02-01,2025-08-01,,\r
F0000000004,P0000000002,emergency,320500,2025-03-01,2025-09-01,2025-03-01 10:00:00,2025-03-05 09:00:00\r
";

pub const ACCUMULATORS: &str = "\
psn_no,policy_year,pool,deductible_paid,admissions,fund_paid,hifmi_base,hifmi_paid,hifob_base,hifob_paid,maf_paid
P0000000002,2024,inpatient,80000,1,5060000,5140000,2893000,,,1572900
P0000000002,2024,dialysis,0,0,120000,5140000,,,,
P0000000001,2025,outpatient,53950,,,,,,,
P0000000003,2025,outpatient,0,0,0,,,,,
";

pub const GOOD: &[(&str, &str)] = &[
    ("README.md", "# 测试数据包\n"),
    ("divisions.csv", DIVISIONS),
    ("pooling_regions.csv", POOLING_REGIONS),
    ("chronic_diseases.csv", CHRONIC_DISEASES),
    ("facilities.csv", FACILITIES),
    ("catalog/310000.csv", CATALOG_310000),
    ("catalog/110000.csv", CATALOG_110000),
    ("catalog/README.md", "目录说明\n"),
    ("policies/150100.toml", POLICY_150100),
    ("policies/320100.toml", POLICY_320100),
    ("persons.csv", PERSONS),
    ("entitlements.csv", ENTITLEMENTS),
    ("filings.csv", FILINGS),
    ("accumulators.csv", ACCUMULATORS),
];

pub fn good() -> PackFiles {
    PackFiles::from_pairs(GOOD)
}

/// The good pack with some files replaced or added.
pub fn good_with(changes: &[(&str, &str)]) -> PackFiles {
    let mut pairs: Vec<(&str, &str)> = GOOD.to_vec();
    pairs.extend_from_slice(changes);
    PackFiles::from_pairs(&pairs)
}

/// The line (1-based) of the first line of `text` that starts with `prefix`; panics if none, so
/// a fixture edit that moves a line breaks the test loudly instead of silently.
pub fn line_of(text: &str, prefix: &str) -> u32 {
    let index = text
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"));
    u32::try_from(index + 1).unwrap()
}

/// Problems rendered as `file:line: message`, for readable assertion failures.
pub fn render(problems: &[yidi_refdata::Problem]) -> String {
    problems.iter().map(|p| format!("{p}\n")).collect()
}
