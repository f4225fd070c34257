//! The generator checks its own policy data before writing it: the national ceilings on
//! temporary-care adjustments at every level, ratio and segment shapes, filing-rule bounds and
//! version keys. A problem here is a bug in the region data, so the run stops.

use super::{Amount, CLASSES, Class, Deductible, Form, Insu, Kind, LayerKind, Policy, RegionPolicy};

/// Every problem of one region's policy, as sentences naming the region and the rule.
pub fn check(region: &RegionPolicy) -> Vec<String> {
    let mut problems = Vec::new();
    check_ceilings(region, &mut problems);
    check_shapes(region, &mut problems);
    check_coverage(region, &mut problems);
    if let Some(rules) = region.filing
        && (rules.min_hold_days > 183 || rules.temporary_months < 6 || rules.max_active_filings < 1)
    {
        problems.push(format!("{}: [filing] outside the national bounds", region.admdvs));
    }
    if region.general[Class::Unfiled as usize].allow.is_none() {
        problems.push(format!("{}: unfiled must say allow", region.admdvs));
    }
    for assist in &region.assistance {
        let floor = if assist.class == "dishouru" { 5_000 } else { 7_000 };
        if assist.ratio_bp < floor || assist.ratio_bp > 10_000 {
            problems
                .push(format!("{}: assistance {} ratio {}", region.admdvs, assist.class, assist.ratio_bp));
        }
    }
    problems
}

/// The ratio after an adjustment; `None` for `excluded`, which the national rules allow for
/// general outpatient care of temporary persons (`policy-background.md` §10 rule 16).
fn effective(form: &Form, local: u32, level: usize) -> Option<u32> {
    match form {
        Form::Minus(n) => Some(local.saturating_sub(*n)),
        Form::Factor(f) => Some(share(local, *f)),
        Form::Table(t) => Some(t[level]),
        Form::ExtraPreselfpay(e) => Some(local - share(local, *e)),
        Form::Excluded => None,
    }
}

/// `share` of `settlement.md` §1 on ratios: half-up.
fn share(x: u32, bp: u32) -> u32 {
    ((u64::from(x) * u64::from(bp) + 5_000) / 10_000) as u32
}

fn check_ceilings(region: &RegionPolicy, problems: &mut Vec<String>) {
    for kind in [Kind::Outpatient, Kind::Chronic, Kind::Inpatient] {
        for class in CLASSES {
            let adj = region.adjustment(kind, class);
            let excluded = matches!(adj.form, Form::Excluded);
            if excluded && (kind != Kind::Outpatient || class == Class::Emergency) {
                problems.push(format!(
                    "{}: excluded is only used for temporary general outpatient care",
                    region.admdvs
                ));
            }
            for p in region.policies.iter().filter(|p| p.benefit == kind) {
                for level in 0..3 {
                    let local = p.ratio_bp[level];
                    let Some(eff) = effective(&adj.form, local, level) else { continue };
                    let fall = local.saturating_sub(eff);
                    if fall > class.ceiling_bp() || eff > 10_000 {
                        problems.push(format!(
                            "{}: {} {} for {} {} {} level {}: {} -> {} falls {} bp (ceiling {})",
                            region.admdvs,
                            kind.key(),
                            class.key(),
                            p.insutype.code(),
                            p.group.key(),
                            p.effective_from,
                            level + 1,
                            local,
                            eff,
                            fall,
                            class.ceiling_bp()
                        ));
                    }
                }
            }
        }
    }
}

fn check_shapes(region: &RegionPolicy, problems: &mut Vec<String>) {
    let mut keys = Vec::new();
    for p in &region.policies {
        let key = (p.insutype.code(), p.benefit.key(), p.group.key(), p.disease, p.effective_from);
        if keys.contains(&key) {
            problems.push(format!("{}: duplicate policy version {key:?}", region.admdvs));
        }
        keys.push(key);
        if p.ratio_bp.iter().any(|r| *r > 10_000) {
            problems.push(format!("{}: ratio above 10000 in {key:?}", region.admdvs));
        }
        if !deductible_ok(&p.deductible) {
            problems.push(format!("{}: bad deductible in {key:?}", region.admdvs));
        }
        if (p.disease.is_some() || p.cap_per_month) && p.benefit != Kind::Chronic {
            problems.push(format!("{}: disease/month cap outside chronic in {key:?}", region.admdvs));
        }
        for layer in &p.layers {
            if let LayerKind::Segments { segments, .. } = &layer.kind {
                let bounds: Vec<i64> = segments.iter().filter_map(|s| s.0).collect();
                let ascending = bounds.windows(2).all(|w| w[0] < w[1]);
                let last_open = segments.last().is_some_and(|s| s.0.is_none());
                if !ascending || !last_open || bounds.len() + 1 != segments.len() {
                    problems.push(format!("{}: segments not ascending in {key:?}", region.admdvs));
                }
            }
        }
    }
}

fn deductible_ok(d: &Deductible) -> bool {
    let amount_ok = |a: &Amount| match a {
        Amount::Flat(v) => *v >= 0,
        Amount::Levels(v) => v.iter().all(|x| *x >= 0),
    };
    match d {
        Deductible::PerYear(a) | Deductible::PerVisit(a) => amount_ok(a),
        Deductible::PerAdmission(a, nth) => {
            amount_ok(a) && !nth.is_empty() && nth.iter().all(|b| *b <= 10_000)
        }
        Deductible::PctOfBill { bp, min, max } => *bp <= 10_000 && 0 <= *min && min <= max,
    }
}

/// Both schemes, all three benefit kinds, and a disease-less chronic policy for each scheme.
fn check_coverage(region: &RegionPolicy, problems: &mut Vec<String>) {
    for insu in [Insu::Employee, Insu::Resident] {
        for kind in [Kind::Outpatient, Kind::Chronic, Kind::Inpatient] {
            let found = region
                .policies
                .iter()
                .any(|p: &Policy| p.insutype == insu && p.benefit == kind && p.disease.is_none());
            if !found {
                problems.push(format!("{}: no {} {} policy", region.admdvs, insu.code(), kind.key()));
            }
        }
    }
}
