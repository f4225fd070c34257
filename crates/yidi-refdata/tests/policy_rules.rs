//! Policy-file rules at their edges: the national ceilings compared exactly, `excluded` and kind
//! overrides, defaults, and where TOML problems are reported.

mod common;

use common::{CHRONIC_DISEASES, POOLING_REGIONS, render};
use yidi_domain::{AdjClass, BenefitKind, DivisionCode, Pack};
use yidi_refdata::{PackFiles, Problem, parse_pack};

const REGION: &str = "policies/150100.toml";

/// A pack of regions, the chronic list and one Hohhot policy file.
fn load(policy: &str) -> Result<Pack, Vec<Problem>> {
    parse_pack(&PackFiles::from_pairs(&[
        ("pooling_regions.csv", POOLING_REGIONS),
        ("chronic_diseases.csv", CHRONIC_DISEASES),
        (REGION, policy),
    ]))
}

/// A Hohhot file with the given `[adjustments]` body and one version of `benefit` at `ratio`.
fn with_adjustments(adjustments: &str, benefit: &str, ratio: &str) -> String {
    format!(
        r#"admdvs = "150100"

[adjustments]
{adjustments}

[[policy]]
insutype = "390"
benefit = "{benefit}"
effective_from = "2025-01-01"
deductible = {{ kind = "per_year", amount = 0 }}
ratio_bp = {ratio}
cap_pool = "pool"
"#
    )
}

fn problems(policy: &str) -> Vec<Problem> {
    match load(policy) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

#[test]
fn extra_preselfpay_is_compared_exactly() {
    // 8 000 × 2 500 / 10 000 = 2 000 bp: exactly at the ceiling for `other`.
    assert_eq!(
        render(&problems(&with_adjustments("other = { extra_preselfpay_bp = 2500 }", "inpatient", "8000"))),
        ""
    );
    let over = problems(&with_adjustments("other = { extra_preselfpay_bp = 2501 }", "inpatient", "8000"));
    assert_eq!(over.len(), 1, "{}", render(&over));
    assert!(over[0].message.contains("相当于降低 2000.8 bp（实际比例约 5999.2 bp）"), "{}", over[0]);
    // 8 333 × 1 200 / 10 000 = 999.96 bp ≤ 1 000 for referral; 1 201 gives 1 000.7933 bp.
    assert_eq!(
        render(&problems(&with_adjustments(
            "referral = { extra_preselfpay_bp = 1200 }",
            "inpatient",
            "8333"
        ))),
        ""
    );
    let over = problems(&with_adjustments("referral = { extra_preselfpay_bp = 1201 }", "inpatient", "8333"));
    assert!(over[0].message.contains("相当于降低 1000.7933 bp"), "{}", over[0]);
}

#[test]
fn minus_and_factor_ceilings_hold_at_the_boundary() {
    assert_eq!(
        render(&problems(&with_adjustments("referral = { minus_bp = 1000 }", "inpatient", "9000"))),
        ""
    );
    assert_eq!(problems(&with_adjustments("referral = { minus_bp = 1001 }", "inpatient", "9000")).len(), 1);
    // share(8 333, 8 800) = 7 333: a fall of exactly 1 000 bp after rounding.
    assert_eq!(
        render(&problems(&with_adjustments("emergency = { factor_bp = 8800 }", "inpatient", "8333"))),
        ""
    );
    // A table may differ by level: only the level that falls too far is named.
    let table = "unfiled = { ratio_bp = { 1 = 7000, 2 = 5000, 3 = 6000 } }";
    let over = problems(&with_adjustments(table, "inpatient", "{ 1 = 8000, 2 = 8000, 3 = 7000 }"));
    assert_eq!(over.len(), 1, "{}", render(&over));
    assert!(
        over[0].message.contains("2 级机构：本地比例 8000 bp 调整后为 5000 bp，降低 3000 bp"),
        "{}",
        over[0]
    );
    assert!(!over[0].message.contains("1 级机构") && !over[0].message.contains("3 级机构"), "{}", over[0]);
    // A ratio raised above the local one never breaks a ceiling.
    assert_eq!(render(&problems(&with_adjustments("other = { ratio_bp = 9500 }", "inpatient", "9000"))), "");
}

#[test]
fn excluded_is_exempt_and_kind_overrides_replace_the_general_adjustment() {
    assert_eq!(render(&problems(&with_adjustments("other = { excluded = true }", "outpatient", "9000"))), "");
    // The general `other` would break the ceiling, but outpatient care uses its override.
    let overridden = "other = { minus_bp = 5000 }\n[adjustments.outpatient]\nother = { minus_bp = 1500 }";
    assert_eq!(render(&problems(&with_adjustments(overridden, "outpatient", "9000"))), "");
    let bad_override = "other = { minus_bp = 1500 }\n[adjustments.outpatient]\nother = { minus_bp = 2500 }";
    let over = problems(&with_adjustments(bad_override, "outpatient", "9000"));
    assert_eq!(over.len(), 1, "{}", render(&over));
    assert_eq!((over[0].file.as_str(), over[0].line), (REGION, 8));
    assert!(
        over[0].message.contains("[adjustments.outpatient] other（其他临时外出）的调整（第 6 行）"),
        "{}",
        over[0]
    );
}

#[test]
fn unfiled_care_is_refused_unless_allowed() {
    let pack =
        load(&with_adjustments("unfiled = { minus_bp = 1000 }\nother = {}", "inpatient", "9000")).unwrap();
    let region = &pack.refdata.policies[&DivisionCode::parse("150100").unwrap()];
    assert!(!region.adjustment(BenefitKind::Inpatient, AdjClass::Unfiled).unwrap().allow);
    // An empty table means "no ratio change", which is still an adjustment (it may be refused).
    let other = region.adjustment(BenefitKind::Inpatient, AdjClass::Other).unwrap();
    assert_eq!(other.form, yidi_domain::AdjustmentForm::Unchanged);
}

#[test]
fn toml_errors_name_their_line() {
    let syntax = problems("admdvs = \"150100\"\n\n[[policy]]\ninsutype = 390 310\n");
    assert_eq!(syntax.len(), 1, "{}", render(&syntax));
    assert_eq!((syntax[0].line, syntax[0].message.starts_with("TOML 格式错误")), (4, true), "{}", syntax[0]);
    let wrong_type = problems("admdvs = \"150100\"\n\n[[policy]]\ninsutype = 390\n");
    assert_eq!(wrong_type[0].line, 4);
    assert!(wrong_type[0].message.starts_with("值的类型不对"), "{}", wrong_type[0]);
    let unknown = problems("admdvs = \"150100\"\n[adjustments]\nreferal = { minus_bp = 1000 }\n");
    assert_eq!(unknown[0].line, 3);
    assert!(unknown[0].message.starts_with("未知的键 referal"), "{}", unknown[0]);
    let missing = problems("year_start = \"07-01\"\n");
    assert_eq!(render(&missing), "policies/150100.toml:0: 缺少 admdvs（参保统筹区代码，应与文件名相同）\n");
}

#[test]
fn deductible_and_level_table_shapes() {
    let policy = |deductible: &str, ratio: &str| {
        format!(
            "admdvs = \"150100\"\n[[policy]]\ninsutype = \"390\"\nbenefit = \"inpatient\"\neffective_from = \"2025-01-01\"\ndeductible = {deductible}\nratio_bp = {ratio}\ncap_pool = \"inpatient\"\n"
        )
    };
    let cases = [
        (
            policy(r#"{ kind = "per_year", amount = 100, nth_bp = [10000] }"#, "9000"),
            "deductible：per_year 方式的起付线不使用 nth_bp",
        ),
        (policy(r#"{ kind = "per_visit" }"#, "9000"), "deductible：per_visit 方式的起付线缺少 amount"),
        (
            policy(r#"{ kind = "weekly", amount = 1 }"#, "9000"),
            "deductible.kind：“weekly”不是合法的起付线方式",
        ),
        (policy(r#"{ amount = 1 }"#, "9000"), "deductible 缺少 kind"),
        (
            policy(r#"{ kind = "per_year", amount = { 1 = 1, 2 = 2, 3 = 3, 4 = 4 } }"#, "9000"),
            "deductible.amount：未知的机构等级“4”",
        ),
        (policy(r#"{ kind = "per_year", amount = 1.5 }"#, "9000"), "deductible.amount：应为整数或级别表"),
        (
            policy(r#"{ kind = "per_year", amount = 0 }"#, "{ 1 = 9000, 2 = 8000, 3 = 10001 }"),
            "ratio_bp 第 3 级：比例 10001 无效",
        ),
        (policy(r#"{ kind = "per_year", amount = 0 }"#, "\"90%\""), "ratio_bp：应为整数或级别表"),
        (
            policy(r#"{ kind = "per_admission", amount = 0, nth_bp = [10000, 10001] }"#, "9000"),
            "deductible.nth_bp：比例 10001 无效",
        ),
    ];
    for (text, fragment) in cases {
        let found = problems(&text);
        assert_eq!(found.len(), 1, "{text}\n{}", render(&found));
        assert!(found[0].message.contains(fragment), "{text}\n{}", found[0]);
        let line = if fragment.starts_with("ratio_bp") { 7 } else { 6 };
        assert_eq!(found[0].line, line, "{}", found[0]);
    }
}

#[test]
fn policy_needs_its_required_keys_and_a_known_region() {
    let found = problems("admdvs = \"150100\"\n[[policy]]\nbenefit = \"outpatient\"\n");
    let messages: Vec<&str> = found.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "[[policy]] 缺少 insutype（310 或 390）",
            "[[policy]] 缺少 effective_from",
            "[[policy]] 缺少 deductible",
            "[[policy]] 缺少 ratio_bp",
            "[[policy]] 缺少 cap_pool",
        ]
    );
    assert!(found.iter().all(|p| p.line == 2));
    let unknown_region = parse_pack(&PackFiles::from_pairs(&[
        ("pooling_regions.csv", POOLING_REGIONS),
        ("policies/130100.toml", "admdvs = \"130100\"\n"),
    ]))
    .unwrap_err();
    assert_eq!(
        render(&unknown_region),
        "policies/130100.toml:1: admdvs：130100 不是 pooling_regions.csv 中的统筹区\n"
    );
}

#[test]
fn chronic_policies_name_known_diseases() {
    let policy = r#"admdvs = "150100"
[[policy]]
insutype = "390"
benefit = "chronic"
disease = "D404"
effective_from = "2025-01-01"
deductible = { kind = "per_year", amount = 0 }
ratio_bp = 9000
cap_pool = "chronic"
cap_period = "week"
"#;
    let found = problems(policy);
    assert_eq!(
        render(&found),
        "policies/150100.toml:5: disease：慢特病病种 D404 不在 chronic_diseases.csv 中\n\
         policies/150100.toml:10: cap_period：“week”无效，只能是 \"month\"（按自然月计算限额）\n"
    );
}
