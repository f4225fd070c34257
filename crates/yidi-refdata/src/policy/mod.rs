//! `policies/ADMDVS.toml`: each insured region's benefit policy (`data-formats.md`).
//!
//! The file is deserialized with serde into private raw structs whose values keep their byte
//! spans, then converted by hand so that every problem names the line of its table or key. A
//! TOML syntax error, an unknown key or a value of the wrong type stops that one file (nothing
//! after it can be trusted); every other problem is collected.

mod ceilings;
mod forms;
mod raw;
mod version;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml::Spanned;
use yidi_domain::{
    AdjustmentSet, BenefitKind, Date, DivisionCode, FilingRules, HomeBenefit, InsuType, PsnGroup,
    RegionPolicy, SourceRef,
};

use yidi_domain::time::MonthDay;

use crate::chronic::ChronicOut;
use crate::files::{FileKind, PackFiles, classify, stem};
use crate::problem::Problems;
use crate::regions::RegionsOut;
use crate::values;
use forms::{Loc, adjustment_set};
use raw::{RawAdjustments, RawRegion};

/// What the policy files declare, for the files that refer to them.
#[derive(Default)]
pub(crate) struct PoliciesOut {
    pub policies: HashMap<DivisionCode, RegionPolicy>,
    /// Cap pools named by each region's versions (even rejected ones), by file name.
    pub pools: BTreeMap<DivisionCode, BTreeSet<String>>,
    /// Regions whose policy file could not be read at all.
    pub unreadable: BTreeSet<DivisionCode>,
}

pub(crate) fn load_all(
    files: &PackFiles,
    regions: &RegionsOut,
    chronic: &ChronicOut,
    p: &mut Problems,
) -> PoliciesOut {
    let mut out = PoliciesOut::default();
    for (file, text) in files.iter().filter(|(path, _)| classify(path) == FileKind::Policy) {
        let region = DivisionCode::parse(stem(file)).ok();
        if region.is_none() {
            let msg = format!(
                "文件名 {} 无效：政策文件应以参保统筹区的 6 位代码命名（例如 policies/150100.toml）",
                stem(file)
            );
            p.push(file, 0, msg);
        }
        let loc = Loc::new(file, text);
        let raw: RawRegion = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                toml_problem(&loc, p, &e);
                out.unreadable.extend(region);
                continue;
            }
        };
        if let Some(region) = region {
            out.pools.insert(region, declared_pools(&raw));
        }
        let refs = Refs { region, regions, chronic };
        if let Some(policy) = region_policy(&loc, p, &refs, &raw) {
            out.policies.insert(policy.admdvs, policy);
        }
    }
    out
}

fn declared_pools(raw: &RawRegion) -> BTreeSet<String> {
    raw.policy
        .iter()
        .filter_map(|v| v.get_ref().cap_pool.as_ref())
        .map(|pool| pool.get_ref().clone())
        .collect()
}

/// Turns a serde/TOML error into a problem at its line, in Chinese with the original detail.
fn toml_problem(loc: &Loc, p: &mut Problems, error: &toml::de::Error) {
    let line = error.span().map_or(0, |span| loc.line_at(span.start));
    let detail = error.message().trim();
    let lead = if let Some(rest) = detail.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default();
        format!("未知的键 {key}（是否拼写错误？）")
    } else if detail.starts_with("invalid type") {
        "值的类型不对（金额和比例写整数，代码和日期写带引号的字符串）".to_string()
    } else if detail.starts_with("duplicate key") {
        "键重复".to_string()
    } else {
        "TOML 格式错误".to_string()
    };
    p.push(loc.file, line, format!("{lead}：{detail}；此文件其余内容未检查"));
}

struct Refs<'a> {
    /// The region named by the file name.
    region: Option<DivisionCode>,
    regions: &'a RegionsOut,
    chronic: &'a ChronicOut,
}

fn region_policy(loc: &Loc, p: &mut Problems, refs: &Refs, raw: &RawRegion) -> Option<RegionPolicy> {
    let before = p.len();
    let admdvs = admdvs(loc, p, refs, raw);
    let year_start = match &raw.year_start {
        Some(v) => loc.parsed(p, "year_start", v, |s| MonthDay::parse(s).map_err(|e| e.to_string())),
        None => Some(MonthDay::JAN_1),
    };
    let home_benefit = match &raw.home_benefit {
        Some(v) => loc.parsed(p, "home_benefit", v, home_benefit),
        None => Some(HomeBenefit::Local),
    };
    let (adjustments, kind_adjustments) = match &raw.adjustments {
        Some(adj) => adjustments(loc, p, adj.get_ref()),
        None => (AdjustmentSet::default(), BTreeMap::new()),
    };
    let policies = versions(loc, p, refs.chronic, &raw.policy);
    let assistance = assistance(loc, p, &raw.assistance);
    let filing_rules = match &raw.filing {
        Some(v) => version::filing_rules(loc, p, v),
        None => Some(FilingRules::default()),
    };
    // The fallbacks only let the ceiling check run on a file with other problems; the region
    // is returned only when nothing was reported.
    let region = RegionPolicy {
        admdvs: admdvs.unwrap_or(DivisionCode::COUNTRY),
        year_start: year_start.unwrap_or(MonthDay::JAN_1),
        home_benefit: home_benefit.unwrap_or(HomeBenefit::Local),
        adjustments,
        kind_adjustments,
        policies,
        assistance,
        filing_rules: filing_rules.unwrap_or_default(),
        source: raw.admdvs.as_ref().map_or_else(|| SourceRef::new(loc.file, 0), |v| loc.source(v)),
    };
    ceilings::check(&region, p);
    (p.len() == before).then_some(region)
}

/// `admdvs` must be present, match the file name, and be a pooling region.
fn admdvs(loc: &Loc, p: &mut Problems, refs: &Refs, raw: &RawRegion) -> Option<DivisionCode> {
    let Some(v) = &raw.admdvs else {
        p.push(loc.file, 0, "缺少 admdvs（参保统筹区代码，应与文件名相同）");
        return None;
    };
    let code = loc.parsed(p, "admdvs", v, values::division)?;
    if refs.region.is_some_and(|region| region != code) {
        loc.problem(p, v, format!("admdvs：{code} 与文件名 {} 不一致", stem(loc.file)));
    }
    if !refs.regions.declared.contains(&code) {
        loc.problem(p, v, format!("admdvs：{code} 不是 pooling_regions.csv 中的统筹区"));
    }
    Some(code)
}

fn home_benefit(text: &str) -> Result<HomeBenefit, String> {
    match text {
        "local" => Ok(HomeBenefit::Local),
        "referral" => Ok(HomeBenefit::Referral),
        _ => Err(format!("“{text}”无效（可选：local 享受本地待遇，referral 按转诊待遇）")),
    }
}

fn adjustments(
    loc: &Loc,
    p: &mut Problems,
    raw: &RawAdjustments,
) -> (AdjustmentSet, BTreeMap<BenefitKind, AdjustmentSet>) {
    let general = adjustment_set(loc, p, "[adjustments]", raw.classes());
    let mut by_kind = BTreeMap::new();
    let kinds = [
        (BenefitKind::Outpatient, &raw.outpatient),
        (BenefitKind::Chronic, &raw.chronic),
        (BenefitKind::Inpatient, &raw.inpatient),
    ];
    for (kind, table) in kinds {
        if let Some(table) = table {
            let prefix = format!("[adjustments.{kind}]");
            by_kind.insert(kind, adjustment_set(loc, p, &prefix, table.get_ref().classes()));
        }
    }
    (general, by_kind)
}

/// The versions of `[[policy]]`; two with the same scope and start date are an error.
fn versions(
    loc: &Loc,
    p: &mut Problems,
    chronic: &ChronicOut,
    raws: &[Spanned<raw::RawPolicy>],
) -> Vec<yidi_domain::PolicyVersion> {
    type Key = (InsuType, BenefitKind, Option<PsnGroup>, Option<String>, Date);
    let mut first_line: BTreeMap<Key, u32> = BTreeMap::new();
    let mut versions = Vec::new();
    for raw in raws {
        let Some(version) = version::policy_version(loc, p, chronic, raw) else {
            continue;
        };
        let key = (
            version.insutype,
            version.benefit,
            version.psn_group,
            version.disease.clone(),
            version.effective_from,
        );
        if let Some(first) = first_line.insert(key, version.source.line) {
            let msg = format!(
                "政策版本（{}）重复：第 {first} 行已有同一险种、待遇类别、人员类别、病种和生效日期的版本",
                ceilings::describe(&version)
            );
            loc.problem(p, raw, msg);
            continue;
        }
        versions.push(version);
    }
    versions
}

fn assistance(
    loc: &Loc,
    p: &mut Problems,
    raws: &[Spanned<raw::RawAssistance>],
) -> Vec<yidi_domain::Assistance> {
    let mut list: Vec<yidi_domain::Assistance> = Vec::new();
    for raw in raws {
        let Some(a) = version::assistance(loc, p, raw) else {
            continue;
        };
        if let Some(first) = list.iter().find(|b| b.class == a.class) {
            loc.problem(
                p,
                raw,
                format!("[[assistance]] 救助类别 {} 重复（第 {} 行已有）", a.class, first.source.line),
            );
            continue;
        }
        list.push(a);
    }
    list
}
