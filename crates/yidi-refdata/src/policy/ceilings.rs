//! The national ceilings on temporary-care adjustments (`settlement.md` §4), checked at load.
//!
//! For every policy version, every adjustable class (the benefit kind's override if any, else
//! the general adjustment) and every facility level 1–3, the ratio may fall at most 1 000 bp
//! below the local ratio for referral and emergency care and 2 000 bp for other and unfiled
//! care. `excluded` is exempt: a region may exclude general outpatient care of temporary
//! persons altogether (`policy-background.md` §10 rule 16).

use yidi_domain::{AdjClass, Adjustment, AdjustmentForm, Bp, PolicyVersion, RegionPolicy};

use crate::problem::Problems;

/// Reports, at each version's line, every class whose adjustment breaks its ceiling.
pub(super) fn check(region: &RegionPolicy, p: &mut Problems) {
    for version in &region.policies {
        for class in AdjClass::ALL {
            let Some(adjustment) = region.adjustment(version.benefit, class) else {
                continue;
            };
            let falls: Vec<(u8, String)> = (1..=3)
                .filter_map(|level| fall_too_far(adjustment, class, version, level).map(|f| (level, f)))
                .collect();
            if falls.is_empty() {
                continue;
            }
            let overridden =
                region.kind_adjustments.get(&version.benefit).and_then(|set| set.get(class)).is_some();
            let table = if overridden {
                format!("[adjustments.{}]", version.benefit)
            } else {
                "[adjustments]".to_string()
            };
            let msg = format!(
                "政策版本（{}）违反国家降幅上限：{table} {}（{}）的调整（第 {} 行）{}；{}类最多只能比本地比例低 {} bp（settlement.md §4）",
                describe(version),
                class.as_str(),
                class_name_zh(class),
                adjustment.source.line,
                by_levels(&falls),
                class_name_zh(class),
                class.ceiling().get(),
            );
            p.push(&version.source.file, version.source.line, msg);
        }
    }
}

/// `1、2 级机构：…；3 级机构：…`: levels that fall the same way are named together.
fn by_levels(falls: &[(u8, String)]) -> String {
    let mut groups: Vec<(Vec<String>, &str)> = Vec::new();
    for (level, fall) in falls {
        match groups.last_mut() {
            Some((levels, last)) if *last == fall.as_str() => levels.push(level.to_string()),
            _ => groups.push((vec![level.to_string()], fall)),
        }
    }
    let parts: Vec<String> =
        groups.iter().map(|(levels, fall)| format!("{} 级机构：{fall}", levels.join("、"))).collect();
    parts.join("；")
}

/// How the ratio falls at one level, when it falls further than the class's ceiling.
fn fall_too_far(
    adjustment: &Adjustment,
    class: AdjClass,
    version: &PolicyVersion,
    level: u8,
) -> Option<String> {
    let local = version.ratio.at(level);
    let ceiling_bp = u64::from(class.ceiling().get());
    match &adjustment.form {
        AdjustmentForm::Unchanged | AdjustmentForm::Excluded => None,
        AdjustmentForm::ExtraPreselfpay(extra) => {
            // The fall is local × extra / 10 000 bp; compared exactly, without dividing.
            let fall_e4 = u64::from(local.get()) * u64::from(extra.get());
            (fall_e4 > ceiling_bp * 10_000).then(|| {
                format!(
                    "本地比例 {} bp，额外先行自付 {} bp 相当于降低 {} bp（实际比例约 {} bp），超过上限 {ceiling_bp} bp",
                    local.get(),
                    extra.get(),
                    exact_bp(fall_e4),
                    exact_bp(u64::from(local.get()) * 10_000 - fall_e4)
                )
            })
        }
        AdjustmentForm::MinusBp(_) | AdjustmentForm::FactorBp(_) | AdjustmentForm::RatioTable(_) => {
            let adjusted: Bp = adjustment.apply_to_ratio(local, level);
            let fall_bp = u64::from(local.get().saturating_sub(adjusted.get()));
            (fall_bp > ceiling_bp).then(|| {
                format!(
                    "本地比例 {} bp 调整后为 {} bp，降低 {fall_bp} bp，超过上限 {ceiling_bp} bp",
                    local.get(),
                    adjusted.get()
                )
            })
        }
    }
}

/// A value in 1/10 000 bp shown as bp with up to four decimals, without floats.
fn exact_bp(value_e4: u64) -> String {
    let whole = value_e4 / 10_000;
    let frac = value_e4 % 10_000;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:04}").trim_end_matches('0'))
    }
}

pub(super) fn describe(version: &PolicyVersion) -> String {
    let group = version.psn_group.map_or("any", |g| g.as_str());
    let disease = version.disease.as_deref().map(|d| format!(" 病种 {d}")).unwrap_or_default();
    format!("{} {} {group}{disease}，自 {} 起", version.insutype, version.benefit, version.effective_from)
}

pub(super) fn class_name_zh(class: AdjClass) -> &'static str {
    match class {
        AdjClass::Referral => "转诊",
        AdjClass::Emergency => "急诊抢救",
        AdjClass::Other => "其他临时外出",
        AdjClass::Unfiled => "未备案",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bp_has_no_rounding() {
        assert_eq!(exact_bp(21_250_000), "2125");
        assert_eq!(exact_bp(10_007_933), "1000.7933");
        assert_eq!(exact_bp(10_005_000), "1000.5");
    }
}
