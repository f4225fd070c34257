//! `[[policy]]` versions with their layers, `[[assistance]]` and the `[filing]` extension.

use toml::Spanned;
use yidi_domain::{
    AssistClass, Assistance, BenefitKind, Date, FilingRules, InsuType, Layer, LayerField, LayerKind,
    PolicyVersion, PsnGroup, Segment, SegmentLayer,
};

use super::forms::{Loc, bp_table, deductible};
use super::raw::{RawAssistance, RawFiling, RawLayer, RawPolicy, RawSegment};
use crate::chronic::ChronicOut;
use crate::limits::POLICY_LIST_LEN_MAX;
use crate::problem::Problems;
use crate::values::{self, bp_from_i64, fen_from_i64};

const POLICY: &str = "[[policy]]";
const LAYER: &str = "[[policy.layer]]";

/// Who and when a version is for: the key of `settlement.md` §5 without the region.
struct Scope {
    insutype: InsuType,
    benefit: BenefitKind,
    psn_group: Option<PsnGroup>,
    effective_from: Date,
    disease: Option<String>,
}

pub(super) fn policy_version(
    loc: &Loc,
    p: &mut Problems,
    chronic: &ChronicOut,
    raw: &Spanned<RawPolicy>,
) -> Option<PolicyVersion> {
    let before = p.len();
    let r = raw.get_ref();
    let scope = scope(loc, p, chronic, raw);
    let deductible = loc
        .required(p, raw, POLICY, "deductible", &r.deductible)
        .and_then(|d| deductible(loc, p, "deductible", d));
    let ratio =
        loc.required(p, raw, POLICY, "ratio_bp", &r.ratio_bp).and_then(|v| bp_table(loc, p, "ratio_bp", v));
    let annual_cap = r.annual_cap.as_ref().map(|v| loc.number(p, "annual_cap", v, fen_from_i64));
    let cap_pool = loc
        .required(p, raw, POLICY, "cap_pool", &r.cap_pool)
        .and_then(|v| loc.parsed(p, "cap_pool", v, values::pool_name));
    // Read again quietly: the cap period depends on the kind even when the rest of the scope
    // has problems (those are reported by `scope`).
    let benefit = r.benefit.as_ref().and_then(|b| BenefitKind::parse(b.get_ref()).ok());
    let cap_period_month = r.cap_period.as_ref().is_some_and(|period| {
        if period.get_ref() != "month" {
            loc.problem(
                p,
                period,
                format!("cap_period：“{}”无效，只能是 \"month\"（按自然月计算限额）", period.get_ref()),
            );
        } else if benefit.is_some_and(|b| b != BenefitKind::Chronic) {
            loc.problem(p, period, "cap_period：按月限额只用于 chronic（门诊慢特病）政策");
        }
        true
    });
    let layers = layers(loc, p, &r.layer);
    if p.len() > before {
        return None;
    }
    let scope = scope?;
    Some(PolicyVersion {
        insutype: scope.insutype,
        benefit: scope.benefit,
        psn_group: scope.psn_group,
        effective_from: scope.effective_from,
        deductible: deductible?,
        ratio: ratio?,
        annual_cap: annual_cap.flatten(),
        cap_pool: cap_pool?,
        cap_period_month,
        disease: scope.disease,
        layers: layers?,
        source: loc.source(raw),
    })
}

fn scope(loc: &Loc, p: &mut Problems, chronic: &ChronicOut, raw: &Spanned<RawPolicy>) -> Option<Scope> {
    let r = raw.get_ref();
    let insutype = loc
        .required(p, raw, POLICY, "insutype（310 或 390）", &r.insutype)
        .and_then(|v| loc.parsed(p, "insutype", v, |s| InsuType::parse(s).map_err(|e| e.to_string())));
    let benefit = loc
        .required(p, raw, POLICY, "benefit（outpatient、chronic 或 inpatient）", &r.benefit)
        .and_then(|v| loc.parsed(p, "benefit", v, |s| BenefitKind::parse(s).map_err(|e| e.to_string())));
    // An absent psn_group reads as "any", the group every person falls back to.
    let psn_group = match &r.psn_group {
        Some(v) if v.get_ref() != "any" => loc.parsed(p, "psn_group", v, |s| {
            PsnGroup::parse(s)
                .map(Some)
                .map_err(|_| format!("“{s}”不是合法的人员类别（可选：in_service retired adult minor any）"))
        }),
        _ => Some(None),
    };
    let effective_from = loc
        .required(p, raw, POLICY, "effective_from", &r.effective_from)
        .and_then(|v| loc.parsed(p, "effective_from", v, values::date));
    if let (Some(insutype), Some(Some(group))) = (insutype, psn_group)
        && !insutype.admits(group)
    {
        let at = r.psn_group.as_ref().map_or(loc.line(raw), |v| loc.line(v));
        let msg = format!("psn_group：人员类别 {group} 不属于险种 {insutype}（{}）", insutype.name_zh());
        p.push(loc.file, at, msg);
    }
    let disease = r.disease.as_ref().map(|v| {
        let code = v.get_ref();
        if benefit.is_some_and(|b| b != BenefitKind::Chronic) {
            loc.problem(p, v, "disease：只有 chronic（门诊慢特病）政策可以指定病种");
        } else if !chronic.declared.contains(code) {
            loc.problem(p, v, format!("disease：慢特病病种 {code} 不在 chronic_diseases.csv 中"));
        }
        code.clone()
    });
    Some(Scope {
        insutype: insutype?,
        benefit: benefit?,
        psn_group: psn_group?,
        effective_from: effective_from?,
        disease,
    })
}

/// The layers of a version, at most one per field, in the order they run (hifob then hifmi).
fn layers(loc: &Loc, p: &mut Problems, raws: &[Spanned<RawLayer>]) -> Option<Vec<Layer>> {
    let before = p.len();
    let mut layers: Vec<Layer> = Vec::new();
    for raw in raws {
        let Some(layer) = layer(loc, p, raw) else {
            continue;
        };
        if let Some(first) = layers.iter().find(|l| l.field == layer.field) {
            let msg = format!(
                "{LAYER}：{} 层（{}）重复（第 {} 行已有），每个政策版本每种字段至多一层",
                layer.field.as_str(),
                layer.field.name_zh(),
                first.source.line
            );
            loc.problem(p, raw, msg);
            continue;
        }
        layers.push(layer);
    }
    layers.sort_by_key(|l| l.field);
    (p.len() == before).then_some(layers)
}

fn layer(loc: &Loc, p: &mut Problems, raw: &Spanned<RawLayer>) -> Option<Layer> {
    let r = raw.get_ref();
    let field = loc.required(p, raw, LAYER, "field（hifmi_pay 或 hifob_pay）", &r.field).and_then(|v| {
        let field = match v.get_ref().as_str() {
            "hifmi_pay" => Some(LayerField::Hifmi),
            "hifob_pay" => Some(LayerField::Hifob),
            _ => None,
        };
        if field.is_none() {
            loc.problem(
                p,
                v,
                format!("field：“{}”无效（可选：hifmi_pay 大病保险、hifob_pay 大额医疗补助）", v.get_ref()),
            );
        }
        field
    });
    let kind = loc.required(p, raw, LAYER, "kind（segments 或 above_cap）", &r.kind)?;
    let segment_keys = [
        ("threshold", r.threshold.is_some()),
        ("segments", r.segments.is_some()),
        ("assist_threshold_bp", r.assist_threshold_bp.is_some()),
        ("assist_bonus_bp", r.assist_bonus_bp.is_some()),
        ("assist_uncapped", r.assist_uncapped.is_some()),
    ];
    let kind = match kind.get_ref().as_str() {
        "segments" => {
            if r.ratio_bp.is_some() {
                loc.problem(p, raw, format!("{LAYER}：segments 层不使用 ratio_bp（比例写在各段中）"));
            }
            segment_layer(loc, p, raw).map(LayerKind::Segments)
        }
        "above_cap" => {
            for (key, _) in segment_keys.iter().filter(|(_, present)| *present) {
                loc.problem(p, raw, format!("{LAYER}：above_cap 层不使用 {key}"));
            }
            above_cap_layer(loc, p, raw)
        }
        other => {
            loc.problem(p, kind, format!("kind：“{other}”不是合法的层类型（可选：segments above_cap）"));
            None
        }
    };
    Some(Layer { field: field?, kind: kind?, source: loc.source(raw) })
}

fn above_cap_layer(loc: &Loc, p: &mut Problems, raw: &Spanned<RawLayer>) -> Option<LayerKind> {
    let r = raw.get_ref();
    let before = p.len();
    let ratio = loc
        .required(p, raw, LAYER, "ratio_bp", &r.ratio_bp)
        .and_then(|v| loc.number(p, "ratio_bp", v, bp_from_i64));
    let cap = r.cap.as_ref().map(|v| loc.number(p, "cap", v, fen_from_i64));
    if p.len() > before {
        return None;
    }
    Some(LayerKind::AboveCap { ratio: ratio?, cap: cap.flatten() })
}

fn segment_layer(loc: &Loc, p: &mut Problems, raw: &Spanned<RawLayer>) -> Option<SegmentLayer> {
    let r = raw.get_ref();
    let before = p.len();
    let threshold = loc
        .required(p, raw, LAYER, "threshold", &r.threshold)
        .and_then(|v| loc.number(p, "threshold", v, fen_from_i64));
    let segments = loc.required(p, raw, LAYER, "segments", &r.segments).and_then(|v| segments(loc, p, v));
    let cap = r.cap.as_ref().map(|v| loc.number(p, "cap", v, fen_from_i64));
    let assist_threshold_bp =
        r.assist_threshold_bp.as_ref().map(|v| loc.number(p, "assist_threshold_bp", v, bp_from_i64));
    let assist_bonus_bp =
        r.assist_bonus_bp.as_ref().map(|v| loc.number(p, "assist_bonus_bp", v, bp_from_i64));
    if p.len() > before {
        return None;
    }
    Some(SegmentLayer {
        threshold: threshold?,
        segments: segments?,
        cap: cap.flatten(),
        assist_threshold_bp: assist_threshold_bp.flatten(),
        assist_bonus_bp: assist_bonus_bp.flatten().unwrap_or_default(),
        assist_uncapped: r.assist_uncapped.as_ref().is_some_and(|v| *v.get_ref()),
    })
}

/// Ascending cumulative bounds; only the last segment is unbounded, and it must be.
fn segments(loc: &Loc, p: &mut Problems, raw: &Spanned<Vec<Spanned<RawSegment>>>) -> Option<Vec<Segment>> {
    let list = raw.get_ref();
    if list.is_empty() || list.len() > POLICY_LIST_LEN_MAX {
        loc.problem(p, raw, format!("segments：应有 1–{POLICY_LIST_LEN_MAX} 段，末段不写 upto"));
        return None;
    }
    let before = p.len();
    let mut segments = Vec::new();
    let mut previous_upto: Option<i64> = None;
    for (i, s) in list.iter().enumerate() {
        let n = i + 1;
        let last = n == list.len();
        let seg = s.get_ref();
        let ratio = loc
            .required(p, s, &format!("segments 第 {n} 段"), "ratio_bp", &seg.ratio_bp)
            .and_then(|v| loc.number(p, &format!("segments 第 {n} 段 ratio_bp"), v, bp_from_i64));
        let upto = match (&seg.upto, last) {
            (None, true) => None,
            (None, false) => {
                loc.problem(p, s, format!("segments 第 {n} 段缺少 upto：只有最后一段可以不设上限"));
                None
            }
            (Some(v), true) => {
                loc.problem(p, v, format!("segments 第 {n} 段是最后一段，不应有 upto（最后一段没有上限）"));
                None
            }
            (Some(v), false) => {
                let upto_fen = *v.get_ref();
                if let Some(prev) = previous_upto.filter(|prev| upto_fen <= *prev) {
                    loc.problem(p, v, format!("segments 第 {n} 段的 upto {upto_fen} 应大于上一段的 upto {prev}（各段上限须递增）"));
                }
                previous_upto = Some(upto_fen);
                loc.number(p, &format!("segments 第 {n} 段 upto"), v, fen_from_i64)
            }
        };
        if let Some(ratio) = ratio {
            segments.push(Segment { upto, ratio });
        }
    }
    (p.len() == before).then_some(segments)
}

pub(super) fn assistance(loc: &Loc, p: &mut Problems, raw: &Spanned<RawAssistance>) -> Option<Assistance> {
    const WHAT: &str = "[[assistance]]";
    let r = raw.get_ref();
    let before = p.len();
    let class = loc
        .required(p, raw, WHAT, "class（tekun、dibao 或 dishouru）", &r.class)
        .and_then(|v| loc.parsed(p, "class", v, |s| AssistClass::parse(s).map_err(|e| e.to_string())));
    let ratio = loc
        .required(p, raw, WHAT, "ratio_bp", &r.ratio_bp)
        .and_then(|v| loc.number(p, "ratio_bp", v, bp_from_i64));
    let annual_cap = r.annual_cap.as_ref().map(|v| loc.number(p, "annual_cap", v, fen_from_i64));
    if p.len() > before {
        return None;
    }
    Some(Assistance {
        class: class?,
        ratio: ratio?,
        annual_cap: annual_cap.flatten(),
        source: loc.source(raw),
    })
}

/// `[filing]`, an additive extension of the format: the region's filing-service rules within
/// the national bounds (`policy-background.md` §10 rules 3, 4, 8); absent keys keep the
/// national defaults of [`FilingRules::default`].
pub(super) fn filing_rules(loc: &Loc, p: &mut Problems, raw: &Spanned<RawFiling>) -> Option<FilingRules> {
    let r = raw.get_ref();
    let defaults = FilingRules::default();
    let bounded = |p: &mut Problems,
                   key: &str,
                   value: &Option<Spanned<i64>>,
                   lo: i64,
                   hi: i64,
                   default: u32,
                   why: &str| {
        let Some(v) = value else {
            return Some(default);
        };
        let n = *v.get_ref();
        match u32::try_from(n).ok().filter(|_| (lo..=hi).contains(&n)) {
            Some(n) => Some(n),
            None => {
                loc.problem(p, v, format!("[filing] {key}：{n} 无效，应为 {lo}–{hi} 的整数（{why}）"));
                None
            }
        }
    };
    let min_hold_days = bounded(
        p,
        "min_hold_days",
        &r.min_hold_days,
        0,
        183,
        defaults.min_hold_days,
        "国家规定长期备案变更或取消的限制期最长 6 个月",
    );
    let temporary_months = bounded(
        p,
        "temporary_months",
        &r.temporary_months,
        6,
        1_200,
        defaults.temporary_months,
        "临时备案有效期不得少于 6 个月",
    );
    let max_active_filings = bounded(
        p,
        "max_active_filings",
        &r.max_active_filings,
        1,
        1_000,
        defaults.max_active_filings,
        "每人每险种至少可有 1 个有效备案",
    );
    Some(FilingRules {
        min_hold_days: min_hold_days?,
        temporary_months: temporary_months?,
        max_active_filings: max_active_filings?,
    })
}
