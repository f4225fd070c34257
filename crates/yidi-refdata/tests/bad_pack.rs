//! A pack with one bad row of every kind is rejected whole, and one run reports every problem
//! at its file and line: an operator fixes the pack in one pass.

mod common;

use common::{
    ACCUMULATORS, CATALOG_310000, DIVISIONS, FACILITIES, FILINGS, GOOD, PERSONS, POOLING_REGIONS, render,
};
use yidi_refdata::{PackFiles, Problem, parse_pack};

const CHRONIC_WITH_UNKNOWN_COLUMN: &str = "\
code,name,icd10_prefixes,begndate,enddate,note
D001,高血压,I10|I11,2020-01-01,,
D002,尿毒症透析,N18,2020-01-01,2024-10-31,
D002,尿毒症透析,N18|N19,2024-11-01,,扩展
D003,糖尿病,,2020-01-01,,
D001,高血压,I10,2024-01-01,,
";

const ENTITLEMENTS_WITHOUT_BEGNDATE: &str = "\
psn_no,disease_code,enddate
P0000000002,D002,
P0000000002,D777,
";

const POLICY_110000: &str = r#"admdvs = "110000"
year_start = "02-30"
home_benefit = "remote"

[adjustments]
referral  = { minus_bp = 1500 }
emergency = { factor_bp = 8000 }
other     = { ratio_bp = { 1 = 6000, 2 = 6000, 3 = 6000 } }
unfiled   = { extra_preselfpay_bp = 2500 }

[adjustments.inpatient]
referral = { minus_bp = 500, factor_bp = 9000 }
other    = { excluded = true, allow = true }

[[policy]]
insutype = "310"
benefit = "outpatient"
psn_group = "in_service"
effective_from = "2025-01-01"
deductible = { kind = "per_year", amount = 0 }
ratio_bp = 9000
cap_pool = "outpatient"

[[policy]]
insutype = "310"
benefit = "outpatient"
psn_group = "in_service"
effective_from = "2025-01-01"
deductible = { kind = "per_year", amount = 0 }
ratio_bp = 9000
cap_pool = "outpatient"

[[policy]]
insutype = "310"
benefit = "inpatient"
psn_group = "adult"
effective_from = "2025-13-01"
deductible = { kind = "pct_of_bill", bp = 2000, min = 500000, max = 100000 }
ratio_bp = { 1 = 9000, 2 = 8000 }
annual_cap = -1
cap_pool = "In-Patient"
cap_period = "month"
disease = "D001"

[[policy.layer]]
field = "hifob_pay"
kind = "segments"
threshold = 100
segments = [ { upto = 5000, ratio_bp = 6000 }, { upto = 4000, ratio_bp = 12000 }, { ratio_bp = 7000 } ]

[[policy]]
insutype = "310"
benefit = "chronic"
effective_from = "2025-01-01"
deductible = { kind = "per_admission", amount = 0, nth_bp = [] }
ratio_bp = 8000
cap_pool = "chronic"

[[policy.layer]]
field = "hifob_pay"
kind = "above_cap"
ratio_bp = 9000

[[policy.layer]]
field = "hifob_pay"
kind = "above_cap"
ratio_bp = 8000
threshold = 5
"#;

const POLICY_310000_NAMED_WRONG: &str = r#"admdvs = "150100"

[[assistance]]
class = "dibao"
ratio_bp = 7000

[[assistance]]
class = "dibao"
ratio_bp = 6000

[filing]
min_hold_days = 200
temporary_months = 3
"#;

const POLICY_WITH_TYPO: &str = r#"admdvs = "120000"

[[polcy]]
insutype = "310"
"#;

fn bad_pack() -> PackFiles {
    let divisions = format!(
        "{DIVISIONS}\
150198,示例区,town,150100
150199,重复新区,county,150100
150197,示例区,county,990000
"
    );
    let regions = format!(
        "{POOLING_REGIONS}\
不存在,990100,Y,Y,Y,Y,Y
北京市重复,110000,Y,Y,Y,Y,Y
天津市,120000,Y,Y,X,Y,Y
"
    );
    let facilities = format!(
        "{FACILITIES}\
H15010200001,回民区医院,150103,2,hospital,Y,Y,Y,,2020-01-01,
H15010200002,新城区药店,150102,2,pharmacy,N,Y,N,,2020-01-01,
H32010000001,南京市医院,320100,3,hospital,Y,Y,Y,,2020-01-01,
H33010200001,杭州市上城区医院,330102,2,hospital,Y,Y,Y,,2020-01-01,
H15010200003,新城区医院,150102,2,hospital,Y,Y,Y,D001|D999,2020-01-01,
H15010200004,新城区二院,150102,1,hospital,Y,Y,Y,,2020-01-01,2019-12-31
X123,无效编码机构,150102,1,clinic,Y,Y,Y,,2020-01-01,
H31010400123,重复机构,310104,3,hospital,Y,Y,Y,,2020-01-01,
"
    );
    let catalog = format!(
        "{CATALOG_310000}\
XB01ACB001,示例乙类药品,drug,02,1000,,,,,2024-01-01,2024-12-31
XA09,示例甲类,drug,01,500,,,,,2020-01-01,
XA10,示例甲类,drug,01,,,11|x,4,,2020-01-01,
XA11,示例甲类,drug,01,,,,,,2025-02-30,
"
    );
    let persons = format!(
        "{PERSONS}\
P0000000005,150102198808080065,赵五,1,1988-08-08,150100,390,adult,,
P0000000006,110105198001010032,钱六,2,1980-01-02,110000,310,in_service,,0
P0000000007,310104199002150040,孙七,2,1990-02-15,310000,390,adult,,100
P0000000008,330102199203030070,周八,1,1992-03-03,330100,390,adult,,
P0000000009,320102198505050089,吴九,2,1985-05-05,320100,310,adult,,
P0000000001,150102198808080064,郑十,2,1988-08-08,150100,390,adult,,
P0000000011,320102197005120015,王二,1,1970-05-12,320100,310,retired,,
"
    );
    let filings = format!(
        "{FILINGS}\
F0000000009,P0000000001,retired_resettled,000000,2025-01-01,,,\r
F0000000010,P9999999999,referral,110000,2025-01-01,2025-07-01,,\r
F0000000011,P0000000002,referral,110000,2025-01-01,2025-07-01,2025-01-10 10:00:00,2025-01-09 10:00:00\r
F0000000012,P0000000002,referral,310104,2025-01-01,2025-07-01,,\r
F0000000001,P0000000002,referral,110000,2025-01-01,2025-07-01,,\r
F0000000013,P0000000002,long_term,110000,2025-01-01,,,\r
F0000000014,P0000000002,referral,110000,2025-01-01,2025-07-01,2025-01-15 8:30,\r
"
    );
    let accumulators = format!(
        "{ACCUMULATORS}\
P0000000002,2024,outpatient,0,0,0,999,,,,
P0000000002,2024,inpatient,1,,,,,,,
P0000000001,2025,dialysis,1,,,,,,,
P0000000003,2025,inpatient,-5,,,,,,,
P0000000003,二〇二五,inpatient,,,,,,,,
"
    );
    let mut pairs: Vec<(&str, &str)> = GOOD.to_vec();
    pairs.extend_from_slice(&[
        ("divisions.csv", &divisions),
        ("pooling_regions.csv", &regions),
        ("chronic_diseases.csv", CHRONIC_WITH_UNKNOWN_COLUMN),
        ("facilities.csv", &facilities),
        ("catalog/310000.csv", &catalog),
        ("catalog/320100.csv", "med_list_codg,name,list_type,chrgitm_lv,begndate\n"),
        ("persons.csv", &persons),
        ("entitlements.csv", ENTITLEMENTS_WITHOUT_BEGNDATE),
        ("filings.csv", &filings),
        ("accumulators.csv", &accumulators),
        ("policies/110000.toml", POLICY_110000),
        ("policies/310000.toml", POLICY_310000_NAMED_WRONG),
        ("policies/120000.toml", POLICY_WITH_TYPO),
        ("policies/beijing.toml", "admdvs = \"110000\"\n"),
        ("polices/150100.toml", "admdvs = \"150100\"\n"),
        ("notes.txt", "备注\n"),
    ]);
    PackFiles::from_pairs(&pairs)
}

/// Every expected problem: file, line, and a fragment its message must contain.
const EXPECTED: &[(&str, u32, &str)] = &[
    ("accumulators.csv", 6, "列 hifmi_base：人员 P0000000002 2024 年度的值 999 与第 2 行的 5140000 不一致"),
    ("accumulators.csv", 7, "人员 P0000000002 2024 年度资金池 inpatient 的累计重复（第 2 行已有）"),
    ("accumulators.csv", 8, "列 pool：资金池 dialysis 不是参保地 320100 政策"),
    ("accumulators.csv", 9, "列 deductible_paid：“-5”不是合法金额：不能为负数"),
    ("accumulators.csv", 10, "列 policy_year：“二〇二五”不是合法的年度"),
    (
        "catalog/310000.csv",
        6,
        "目录编码 XB01ACB001 的版本（2024-01-01 至 2024-12-31）与第 4 行的版本（2020-01-01 起长期有效）日期范围重叠",
    ),
    ("catalog/310000.csv", 7, "列 selfpay_prop_bp：先行自付比例只用于 02 乙类"),
    ("catalog/310000.csv", 8, "列 lmt_med_types：医疗类别“x”"),
    ("catalog/310000.csv", 8, "列 lmt_min_level：“4”不是合法的机构等级：应为 1–3"),
    ("catalog/310000.csv", 9, "列 begndate：“2025-02-30” 不是合法日期"),
    ("catalog/320100.csv", 0, "文件名 320100 不是已知的省级区划代码"),
    ("chronic_diseases.csv", 1, "未知的列“note”"),
    ("chronic_diseases.csv", 5, "列 icd10_prefixes 不能为空"),
    ("chronic_diseases.csv", 6, "慢特病病种 D001 的版本（2024-01-01 起长期有效）与第 2 行的版本"),
    ("divisions.csv", 4, "列 level：“town”不是合法的区划级别"),
    ("divisions.csv", 5, "区划代码 150199 重复（第 2 行已有）"),
    ("divisions.csv", 6, "列 parent_code：上级区划代码 990000 不是已知区划"),
    ("entitlements.csv", 1, "缺少必需的列 begndate"),
    ("entitlements.csv", 3, "列 disease_code：慢特病病种 D777 不在 chronic_diseases.csv 中"),
    ("facilities.csv", 5, "列 fixmedins_code：编码 H15010200001 中的区划 150102 与 admdvs 150103 不一致"),
    ("facilities.csv", 6, "列 fixmedins_code：pharmacy 类机构的编码应以 P 开头"),
    ("facilities.csv", 6, "列 level：药店（pharmacy）的等级应为 0，实际为 2"),
    ("facilities.csv", 7, "列 admdvs：320100（南京市）是地级区划，机构所在地应为县级区划"),
    ("facilities.csv", 8, "列 admdvs：330102 不属于 pooling_regions.csv 中的任何统筹区"),
    ("facilities.csv", 9, "列 chronic_diseases：慢特病病种 D999 不在 chronic_diseases.csv 中"),
    ("facilities.csv", 10, "列 enddate：结束日期 2019-12-31 早于开始日期 begndate 2020-01-01"),
    ("facilities.csv", 11, "列 fixmedins_code：定点机构编码“X123”不符合国家格式"),
    ("facilities.csv", 12, "定点机构编码 H31010400123 重复（第 2 行已有）"),
    ("filings.csv", 6, "列 mdtrtarea_admvs：000000（全国）只用于临时外出类备案"),
    ("filings.csv", 7, "列 psn_no：人员编号 P9999999999 不在 persons.csv 中"),
    (
        "filings.csv",
        8,
        "列 cancelled_at：撤销时间 2025-01-09 10:00:00 早于备案时间 filed_at 2025-01-10 10:00:00",
    ),
    ("filings.csv", 9, "列 mdtrtarea_admvs：310104（徐汇区（测试））是县级区划"),
    ("filings.csv", 10, "备案编号 F0000000001 重复（第 2 行已有）"),
    ("filings.csv", 11, "列 category：“long_term”不是合法的备案类别"),
    ("filings.csv", 12, "列 filed_at：“2025-01-15 8:30” 不是合法时间"),
    ("notes.txt", 0, "未知文件"),
    ("persons.csv", 5, "列 certno：身份证号“150102198808080065”校验码错误（应为 4）"),
    ("persons.csv", 6, "列 brdy：出生日期 1980-01-02 与身份证号中的出生日期 1980-01-01 不一致"),
    ("persons.csv", 6, "列 gend：性别 2 与身份证号第 17 位"),
    ("persons.csv", 7, "列 acct_balance：居民医保（390）没有个人账户，余额应为空或 0，实际为 100"),
    ("persons.csv", 8, "列 insuplc_admdvs：参保地 330100 不是 pooling_regions.csv 中的统筹区"),
    ("persons.csv", 9, "列 psn_group：人员类别 adult 不属于险种 310"),
    ("persons.csv", 10, "人员编号 P0000000001 重复（第 2 行已有）"),
    ("persons.csv", 11, "列 certno：身份证号 320***********0015 重复（第 2 行已有）"),
    ("policies/110000.toml", 2, "year_start：“02-30” 不是合法月日"),
    ("policies/110000.toml", 3, "home_benefit：“remote”无效"),
    ("policies/110000.toml", 12, "[adjustments.inpatient] referral：只能给出一种调整方式"),
    ("policies/110000.toml", 13, "[adjustments.inpatient] other：allow 只用于 unfiled"),
    (
        "policies/110000.toml",
        15,
        "[adjustments] referral（转诊）的调整（第 6 行）1、2、3 级机构：本地比例 9000 bp 调整后为 7500 bp，降低 1500 bp，超过上限 1000 bp",
    ),
    (
        "policies/110000.toml",
        15,
        "[adjustments] emergency（急诊抢救）的调整（第 7 行）1、2、3 级机构：本地比例 9000 bp 调整后为 7200 bp，降低 1800 bp",
    ),
    (
        "policies/110000.toml",
        15,
        "[adjustments] other（其他临时外出）的调整（第 8 行）1、2、3 级机构：本地比例 9000 bp 调整后为 6000 bp，降低 3000 bp，超过上限 2000 bp",
    ),
    (
        "policies/110000.toml",
        15,
        "[adjustments] unfiled（未备案）的调整（第 9 行）1、2、3 级机构：本地比例 9000 bp，额外先行自付 2500 bp 相当于降低 2250 bp",
    ),
    ("policies/110000.toml", 24, "政策版本（310 outpatient in_service，自 2025-01-01 起）重复：第 15 行已有"),
    ("policies/110000.toml", 36, "psn_group：人员类别 adult 不属于险种 310"),
    ("policies/110000.toml", 37, "effective_from：“2025-13-01” 不是合法日期"),
    (
        "policies/110000.toml",
        38,
        "deductible：pct_of_bill 的 min 不能大于 max（第 1 级 min 500000 > max 100000）",
    ),
    ("policies/110000.toml", 39, "ratio_bp：级别表缺少第 3 级"),
    ("policies/110000.toml", 40, "annual_cap：金额 -1 不能为负数"),
    ("policies/110000.toml", 41, "cap_pool：资金池名“In-Patient”无效"),
    ("policies/110000.toml", 42, "cap_period：按月限额只用于 chronic"),
    ("policies/110000.toml", 43, "disease：只有 chronic（门诊慢特病）政策可以指定病种"),
    ("policies/110000.toml", 49, "segments 第 2 段的 upto 4000 应大于上一段的 upto 5000"),
    ("policies/110000.toml", 49, "segments 第 2 段 ratio_bp：比例 12000 无效"),
    ("policies/110000.toml", 55, "deductible.nth_bp：应列出 1–32 个比例"),
    ("policies/110000.toml", 64, "above_cap 层不使用 threshold"),
    ("policies/110000.toml", 64, "hifob_pay 层（大额医疗补助）重复（第 59 行已有）"),
    ("policies/120000.toml", 3, "未知的键 polcy"),
    ("policies/310000.toml", 1, "admdvs：150100 与文件名 310000 不一致"),
    ("policies/310000.toml", 7, "[[assistance]] 救助类别 dibao 重复（第 3 行已有）"),
    ("policies/310000.toml", 12, "[filing] min_hold_days：200 无效，应为 0–183 的整数"),
    ("policies/310000.toml", 13, "[filing] temporary_months：3 无效"),
    ("policies/beijing.toml", 0, "文件名 beijing 无效"),
    ("polices/150100.toml", 0, "是否应为 policies/150100.toml"),
    ("pooling_regions.csv", 6, "列 admdvs：990100 不是已知的行政区划代码"),
    ("pooling_regions.csv", 7, "统筹区 110000 重复（第 2 行已有）"),
    ("pooling_regions.csv", 8, "列 open_chronic：“X”不是合法标志：应为 Y（是）或 N（否）"),
];

#[test]
fn every_problem_is_reported_in_one_run_and_nothing_loads() {
    let problems: Vec<Problem> = match parse_pack(&bad_pack()) {
        Ok(_) => panic!("a bad pack must be rejected whole"),
        Err(problems) => problems,
    };
    let all = render(&problems);
    let sorted =
        problems.windows(2).all(|w| (w[0].file.as_str(), w[0].line) <= (w[1].file.as_str(), w[1].line));
    assert!(sorted, "problems must be sorted by file then line:\n{all}");
    let mut unmatched: Vec<&Problem> = problems.iter().collect();
    let mut missing = Vec::new();
    for (file, line, fragment) in EXPECTED {
        let found =
            unmatched.iter().position(|p| p.file == *file && p.line == *line && p.message.contains(fragment));
        match found {
            Some(i) => {
                unmatched.remove(i);
            }
            None => missing.push(format!("{file}:{line}: …{fragment}…")),
        }
    }
    let extra: Vec<String> = unmatched.iter().map(|p| p.to_string()).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing:\n{}\n\nunexpected:\n{}\n\nall:\n{all}",
        missing.join("\n"),
        extra.join("\n")
    );
    assert_eq!(problems.len(), EXPECTED.len());
}

#[test]
fn ceiling_violations_name_class_levels_ratios_and_ceiling() {
    let problems = parse_pack(&bad_pack()).expect_err("bad pack");
    let ceiling: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.file == "policies/110000.toml" && p.message.contains("违反国家降幅上限"))
        .collect();
    assert_eq!(ceiling.len(), 4, "{}", render(&problems));
    let referral = ceiling.iter().find(|p| p.message.contains("referral")).unwrap();
    // The levels are named (together, as they fall alike), with local and effective ratios.
    assert!(referral.message.contains("1、2、3 级机构：本地比例 9000 bp 调整后为 7500 bp"), "{referral}");
    assert!(referral.message.contains("转诊类最多只能比本地比例低 1000 bp"), "{referral}");
    assert!(
        referral.message.contains("政策版本（310 outpatient in_service，自 2025-01-01 起）"),
        "{referral}"
    );
    let unfiled = ceiling.iter().find(|p| p.message.contains("unfiled")).unwrap();
    assert!(unfiled.message.contains("实际比例约 6750 bp"), "{unfiled}");
}

#[test]
fn each_problem_reads_as_file_line_message() {
    let problems = parse_pack(&bad_pack()).expect_err("bad pack");
    let first = problems.iter().find(|p| p.file == "persons.csv").unwrap();
    assert_eq!(first.to_string(), format!("persons.csv:5: {}", first.message));
    assert!(problems.iter().all(|p| !p.file.contains('\\') && !p.message.is_empty()));
}
