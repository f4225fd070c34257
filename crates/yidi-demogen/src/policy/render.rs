//! Renders a region policy as the TOML of `data-formats.md` (policies/ADMDVS.toml), in a fixed
//! key order so that the output is byte-stable.

use std::fmt::Write as _;

use super::{Adjustment, Amount, CLASSES, Deductible, Field, Form, LayerKind, Policy, RegionPolicy};

pub fn render(region: &RegionPolicy, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {name}（{}）医保待遇政策 — Yidi 演示数据 / demo data, not an official policy",
        region.admdvs
    );
    for note in region.notes {
        let _ = writeln!(out, "# {note}");
    }
    let _ = writeln!(out, "admdvs = \"{}\"", region.admdvs);
    let _ = writeln!(out, "year_start = \"{}\"", region.year_start);
    let _ = writeln!(out, "home_benefit = \"{}\"", region.home_benefit);
    out.push_str("\n[adjustments]\n");
    for class in CLASSES {
        let _ = writeln!(out, "{} = {}", class.key(), adjustment(&region.general[class as usize]));
    }
    let mut kinds: Vec<_> = region.overrides.iter().map(|(k, _, _)| *k).collect();
    kinds.dedup();
    for kind in kinds {
        let _ = writeln!(out, "\n[adjustments.{}]", kind.key());
        for (_, class, adj) in region.overrides.iter().filter(|(k, _, _)| *k == kind) {
            let _ = writeln!(out, "{} = {}", class.key(), adjustment(adj));
        }
    }
    if let Some(rules) = region.filing {
        let _ = writeln!(
            out,
            "\n[filing]\nmin_hold_days = {}\ntemporary_months = {}\nmax_active_filings = {}",
            rules.min_hold_days, rules.temporary_months, rules.max_active_filings
        );
    }
    for p in &region.policies {
        policy(&mut out, p);
    }
    for a in &region.assistance {
        let _ = writeln!(
            out,
            "\n[[assistance]]\nclass = \"{}\"\nratio_bp = {}\nannual_cap = {}",
            a.class, a.ratio_bp, a.annual_cap
        );
    }
    out
}

fn policy(out: &mut String, p: &Policy) {
    out.push_str("\n[[policy]]\n");
    if !p.source.is_empty() {
        let _ = writeln!(out, "# {}", p.source);
    }
    let _ = writeln!(out, "insutype = \"{}\"", p.insutype.code());
    let _ = writeln!(out, "benefit = \"{}\"", p.benefit.key());
    let _ = writeln!(out, "psn_group = \"{}\"", p.group.key());
    let _ = writeln!(out, "effective_from = \"{}\"", p.effective_from);
    if let Some(disease) = p.disease {
        let _ = writeln!(out, "disease = \"{disease}\"");
    }
    let _ = writeln!(out, "deductible = {}", deductible(&p.deductible));
    let _ = writeln!(out, "ratio_bp = {}", level_table(&p.ratio_bp.map(i64::from)));
    if let Some(cap) = p.annual_cap {
        let _ = writeln!(out, "annual_cap = {cap}");
    }
    let _ = writeln!(out, "cap_pool = \"{}\"", p.cap_pool);
    if p.cap_per_month {
        out.push_str("cap_period = \"month\"\n");
    }
    for layer in &p.layers {
        let field = match layer.field {
            Field::Hifmi => "hifmi_pay",
            Field::Hifob => "hifob_pay",
        };
        let _ = writeln!(out, "\n[[policy.layer]]\nfield = \"{field}\"");
        layer_kind(out, &layer.kind, layer.field == Field::Hifmi);
    }
}

fn layer_kind(out: &mut String, kind: &LayerKind, assist: bool) {
    match kind {
        LayerKind::Segments { threshold, segments, cap } => {
            let segs: Vec<String> = segments
                .iter()
                .map(|(upto, ratio)| match upto {
                    Some(u) => format!("{{ upto = {u}, ratio_bp = {ratio} }}"),
                    None => format!("{{ ratio_bp = {ratio} }}"),
                })
                .collect();
            let _ = writeln!(
                out,
                "kind = \"segments\"\nthreshold = {threshold}\nsegments = [ {} ]",
                segs.join(", ")
            );
            if let Some(cap) = cap {
                let _ = writeln!(out, "cap = {cap}");
            }
            if assist {
                out.push_str("assist_threshold_bp = 5000\nassist_bonus_bp = 500\nassist_uncapped = true\n");
            }
        }
        LayerKind::AboveCap { ratio_bp, cap } => {
            let _ = writeln!(out, "kind = \"above_cap\"\nratio_bp = {ratio_bp}");
            if let Some(cap) = cap {
                let _ = writeln!(out, "cap = {cap}");
            }
        }
    }
}

fn adjustment(adj: &Adjustment) -> String {
    let mut parts = vec![match &adj.form {
        Form::Minus(n) => format!("minus_bp = {n}"),
        Form::Factor(f) => format!("factor_bp = {f}"),
        Form::Table(t) => format!("ratio_bp = {}", level_table(&t.map(i64::from))),
        Form::ExtraPreselfpay(e) => format!("extra_preselfpay_bp = {e}"),
        Form::Excluded => "excluded = true".to_string(),
    }];
    if let Some(d) = &adj.deductible {
        parts.push(format!("deductible = {}", deductible(d)));
    }
    if let Some(allow) = adj.allow {
        parts.push(format!("allow = {allow}"));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn deductible(d: &Deductible) -> String {
    match d {
        Deductible::PerYear(a) => format!("{{ kind = \"per_year\", amount = {} }}", amount(a)),
        Deductible::PerVisit(a) => format!("{{ kind = \"per_visit\", amount = {} }}", amount(a)),
        Deductible::PerAdmission(a, nth) => {
            let nth: Vec<String> = nth.iter().map(u32::to_string).collect();
            format!("{{ kind = \"per_admission\", amount = {}, nth_bp = [{}] }}", amount(a), nth.join(", "))
        }
        Deductible::PctOfBill { bp, min, max } => {
            format!("{{ kind = \"pct_of_bill\", bp = {bp}, min = {min}, max = {max} }}")
        }
    }
}

fn amount(a: &Amount) -> String {
    match a {
        Amount::Flat(v) => v.to_string(),
        Amount::Levels(v) => level_table(v),
    }
}

fn level_table(v: &[i64; 3]) -> String {
    format!("{{ 1 = {}, 2 = {}, 3 = {} }}", v[0], v[1], v[2])
}
