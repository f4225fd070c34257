//! Writes the pack's README.md (Chinese first, then English) from the data itself, so the counts,
//! the per-region sources and the claim list can never drift from the files next to it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::Pack;
use crate::facilities::FacKind;
use crate::policy::{
    Adjustment, Amount, CLASSES, Class, Deductible, Field, Form, Kind, Layer, LayerKind, RegionPolicy,
};

mod text;

pub fn render(pack: &Pack) -> String {
    let mut out = String::new();
    out.push_str(text::ZH_INTRO);
    counts_zh(&mut out, pack);
    out.push_str("\n## 各统筹区参数及来源\n\n");
    out.push_str(text::ZH_SOURCES_NOTE);
    for r in &pack.regions {
        region_zh(&mut out, &r.name, &r.policy);
    }
    claims_table(&mut out, pack, true);
    out.push_str(text::ZH_SYNTHETIC);
    out.push_str(text::CREDITS_ZH);
    out.push_str(text::REGENERATE_ZH);
    out.push_str("\n---\n\n");
    out.push_str(text::EN_INTRO);
    counts_en(&mut out, pack);
    out.push_str("\n## Regions: parameters and where they come from\n\n");
    out.push_str(text::EN_SOURCES_NOTE);
    for r in &pack.regions {
        region_en(&mut out, &r.name, &r.policy);
    }
    claims_table(&mut out, pack, false);
    out.push_str(text::EN_SYNTHETIC);
    out.push_str(text::CREDITS_EN);
    out.push_str(text::REGENERATE_EN);
    out
}

struct Counts {
    catalogs: String,
    levels: [usize; 4],
    employees: usize,
    residents: usize,
    assisted: usize,
    categories: BTreeMap<&'static str, usize>,
    new_list: usize,
}

fn counts(pack: &Pack) -> Counts {
    let catalogs: Vec<String> = pack
        .catalogs
        .iter()
        .map(|(p, rows)| {
            let codes = rows.iter().map(|r| &r.code).collect::<std::collections::BTreeSet<_>>().len();
            format!("{p} {codes}/{}", rows.len())
        })
        .collect();
    let mut levels = [0; 4];
    for f in &pack.facilities {
        levels[usize::from(f.level)] += 1;
        assert_eq!(f.level == 0, f.kind == FacKind::Pharmacy);
    }
    let mut categories = BTreeMap::new();
    for f in &pack.filings {
        *categories.entry(f.category).or_insert(0) += 1;
    }
    let employees = pack.persons.iter().filter(|p| p.insutype.code() == "310").count();
    Counts {
        catalogs: catalogs.join("; "),
        levels,
        employees,
        residents: pack.persons.len() - employees,
        assisted: pack.persons.iter().filter(|p| p.assist.is_some()).count(),
        categories,
        new_list: pack.entitlements.iter().filter(|e| e[1].as_str() >= "M00006").count(),
    }
}

fn provinces(pack: &Pack) -> usize {
    pack.catalogs.len()
}

fn counts_zh(out: &mut String, pack: &Pack) {
    let c = counts(pack);
    let cats: Vec<String> = c.categories.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = write!(
        out,
        "| 文件 | 内容 |\n|---|---|\n\
         | `pooling_regions.csv` | {} 个统筹区，{} 个省份（直辖市按省级统筹：110000、310000） |\n\
         | `policies/ADMDVS.toml` | 每个统筹区一份参保地政策（职工 310、居民 390；普通门诊、门诊慢特病、住院） |\n\
         | `catalog/PROVINCE.csv` | 每个就医省份一份目录（编码数/行数）：{} |\n\
         | `facilities.csv` | {} 家定点机构：三级 {}、二级 {}、一级 {}、药店 {} |\n\
         | `persons.csv` | {} 名参保人：职工 {}、居民 {}，医疗救助对象 {} |\n\
         | `filings.csv` | {} 条备案：{} |\n\
         | `chronic_diseases.csv` | 10 个跨省门诊慢特病病种（2021-09-01 起 5 个，2024-10-01 起新增 5 个） |\n\
         | `entitlements.csv` | {} 条门诊慢特病资格认定（其中新增病种 {} 条） |\n\
         | `accumulators.csv` | {} 行年初结转累计 |\n\
         | `../demo_claims.jsonl` | {} 笔演示结算单据（`yidi adjudicate --claims` 的输入，不属于数据包格式） |\n",
        pack.regions.len(),
        provinces(pack),
        c.catalogs,
        pack.facilities.len(),
        c.levels[3],
        c.levels[2],
        c.levels[1],
        c.levels[0],
        pack.persons.len(),
        c.employees,
        c.residents,
        c.assisted,
        pack.filings.len(),
        cats.join("，"),
        pack.entitlements.len(),
        c.new_list,
        pack.accumulators.len(),
        pack.claims.len()
    );
}

fn counts_en(out: &mut String, pack: &Pack) {
    let c = counts(pack);
    let cats: Vec<String> = c.categories.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = write!(
        out,
        "| file | contents |\n|---|---|\n\
         | `pooling_regions.csv` | {} pooling regions in {} provinces (the municipalities 110000 and 310000 pool at province level) |\n\
         | `policies/ADMDVS.toml` | one insured-place policy per region (employees 310, residents 390; outpatient, chronic, inpatient) |\n\
         | `catalog/PROVINCE.csv` | one catalog per treatment province (codes/rows): {} |\n\
         | `facilities.csv` | {} facilities: level 3 {}, level 2 {}, level 1 {}, pharmacies {} |\n\
         | `persons.csv` | {} insured persons: employees {}, residents {}, with an assistance class {} |\n\
         | `filings.csv` | {} filings: {} |\n\
         | `chronic_diseases.csv` | the 10 cross-province chronic diseases (5 from 2021-09-01, 5 more from 2024-10-01) |\n\
         | `entitlements.csv` | {} chronic-disease entitlements ({} for the 2024 additions) |\n\
         | `accumulators.csv` | {} carried-in accumulator rows |\n\
         | `../demo_claims.jsonl` | {} demo claims (input of `yidi adjudicate --claims`; not part of the pack format) |\n",
        pack.regions.len(),
        provinces(pack),
        c.catalogs,
        pack.facilities.len(),
        c.levels[3],
        c.levels[2],
        c.levels[1],
        c.levels[0],
        pack.persons.len(),
        c.employees,
        c.residents,
        c.assisted,
        pack.filings.len(),
        cats.join(", "),
        pack.entitlements.len(),
        c.new_list,
        pack.accumulators.len(),
        pack.claims.len()
    );
}

fn region_zh(out: &mut String, name: &str, p: &RegionPolicy) {
    let _ = writeln!(out, "### {name}（{}）\n", p.admdvs);
    let home = if p.home_benefit == "local" { "本地待遇" } else { "转诊待遇" };
    let _ = writeln!(out, "- 医保年度自 {} 起；长期备案人员回参保地就医：{home}", p.year_start);
    let adjs: Vec<String> = CLASSES
        .iter()
        .map(|c| format!("{}：{}", class_zh(*c), adjustment_zh(&p.general[*c as usize])))
        .collect();
    let _ = writeln!(out, "- 临时外出调整：{}", adjs.join("；"));
    for (kind, class, adj) in &p.overrides {
        let _ = writeln!(out, "- {}单独规定：{} {}", kind_zh(*kind), class_zh(*class), adjustment_zh(adj));
    }
    if let Some(f) = p.filing {
        let _ = writeln!(
            out,
            "- 备案规则：长期备案 {} 天内不得变更，临时备案至少 {} 个月，同时有效备案最多 {} 条",
            f.min_hold_days, f.temporary_months, f.max_active_filings
        );
    }
    let _ = writeln!(out, "- 来源（英文标注同 policy-background.md）：{}\n", p.notes.join("；"));
    out.push_str("| 险种 | 待遇 | 人群 | 生效日期 | 起付线 | 比例（一/二/三级） | 年度限额 | 上层待遇 | 来源 |\n|---|---|---|---|---|---|---|---|---|\n");
    for v in &p.policies {
        let insu = if v.insutype.code() == "310" { "职工" } else { "居民" };
        let kind = match v.disease {
            Some(d) => format!("{}（{d}）", kind_zh(v.benefit)),
            None => kind_zh(v.benefit).to_string(),
        };
        let cap = match (v.annual_cap, v.cap_per_month) {
            (Some(c), true) => format!("每月 {}", yuan_zh(c)),
            (Some(c), false) => yuan_zh(c),
            (None, _) => "不设".to_string(),
        };
        let ratio: Vec<String> = v.ratio_bp.iter().map(|r| format!("{}%", f_pct(*r))).collect();
        let layers: Vec<String> = v.layers.iter().map(layer_zh).collect();
        let _ = writeln!(
            out,
            "| {insu} | {kind} | {} | {} | {} | {} | {cap} | {} | {} |",
            v.group.key(),
            v.effective_from,
            deductible_zh(&v.deductible),
            ratio.join("/"),
            layers.join("；"),
            v.source
        );
    }
    let assist: Vec<String> = p
        .assistance
        .iter()
        .map(|a| format!("{} {}%（年限 {}）", a.class, f_pct(a.ratio_bp), yuan_zh(a.annual_cap)))
        .collect();
    let _ = writeln!(out, "\n医疗救助：{}（编造，特困、低保不低于 70%）\n", assist.join("，"));
}

/// Fen as yuan for prose (`130000` → `1300 元`, `3040400` → `30404 元`).
fn yuan_zh(fen: i64) -> String {
    if fen % 100 == 0 { format!("{} 元", fen / 100) } else { format!("{}.{:02} 元", fen / 100, fen % 100) }
}

fn amount_zh(a: &Amount) -> String {
    match a {
        Amount::Flat(v) => yuan_zh(*v),
        Amount::Levels(v) => format!("{}/{}/{} 元", v[0] / 100, v[1] / 100, v[2] / 100),
    }
}

fn deductible_zh(d: &Deductible) -> String {
    match d {
        Deductible::PerYear(a) => format!("每年 {}", amount_zh(a)),
        Deductible::PerVisit(a) => format!("每次 {}", amount_zh(a)),
        Deductible::PerAdmission(a, nth) => {
            let nth: Vec<String> = nth.iter().map(|b| format!("{}%", f_pct(*b))).collect();
            format!("每次住院 {}，第 1、2… 次按 {}", amount_zh(a), nth.join("、"))
        }
        Deductible::PctOfBill { bp, min, max } => {
            format!("费用的 {}%（{}–{}）", f_pct(*bp), yuan_zh(*min), yuan_zh(*max))
        }
    }
}

fn layer_zh(l: &Layer) -> String {
    let name = if l.field == Field::Hifmi { "大病保险" } else { "大额补助" };
    match &l.kind {
        LayerKind::Segments { threshold, segments, cap } => {
            let segs: Vec<String> = segments
                .iter()
                .map(|(upto, r)| match upto {
                    Some(u) => format!("{} 以内 {}%", yuan_zh(*u), f_pct(*r)),
                    None => format!("以上 {}%", f_pct(*r)),
                })
                .collect();
            let cap = cap.map_or("不封顶".to_string(), |c| format!("封顶 {}", yuan_zh(c)));
            format!("{name}：起付 {}，{}，{cap}", yuan_zh(*threshold), segs.join("、"))
        }
        LayerKind::AboveCap { ratio_bp, cap } => {
            let cap = cap.map_or("不封顶".to_string(), |c| format!("封顶 {}", yuan_zh(c)));
            format!("{name}：基本统筹限额以上 {}%，{cap}", f_pct(*ratio_bp))
        }
    }
}

fn region_en(out: &mut String, name: &str, p: &RegionPolicy) {
    let _ = writeln!(out, "### {name} ({})\n", p.admdvs);
    let _ = writeln!(
        out,
        "- policy year starts {}; long-term filers treated at home get `{}` benefits",
        p.year_start, p.home_benefit
    );
    for note in p.notes {
        let _ = writeln!(out, "- {note}");
    }
    let mut seen = Vec::new();
    for v in &p.policies {
        let group = v.group.key();
        let disease = v.disease.map(|d| format!(" {d}")).unwrap_or_default();
        let line = format!(
            "`{} {} {group}{disease}` from {}: {}",
            v.insutype.code(),
            v.benefit.key(),
            v.effective_from,
            v.source
        );
        if !seen.contains(&line) {
            let _ = writeln!(out, "- {line}");
            seen.push(line);
        }
    }
    out.push('\n');
}

fn class_zh(c: Class) -> &'static str {
    match c {
        Class::Referral => "转诊",
        Class::Emergency => "急诊抢救",
        Class::Other => "其他临时外出",
        Class::Unfiled => "未备案",
    }
}

fn kind_zh(k: Kind) -> &'static str {
    match k {
        Kind::Outpatient => "普通门诊",
        Kind::Chronic => "门诊慢特病",
        Kind::Inpatient => "住院",
    }
}

fn adjustment_zh(a: &Adjustment) -> String {
    let pct = |bp: &u32| format!("{}%", f_pct(*bp));
    let mut text = match &a.form {
        Form::Minus(0) => "不降低".to_string(),
        Form::Minus(n) => format!("比例降低 {} 个百分点", f_pct(*n)),
        Form::Factor(f) => format!("比例乘以 {}", pct(f)),
        Form::Table(t) => {
            format!("单独比例表（一级 {}、二级 {}、三级 {}）", pct(&t[0]), pct(&t[1]), pct(&t[2]))
        }
        Form::ExtraPreselfpay(e) => format!("先加收 {} 先行自付", pct(e)),
        Form::Excluded => "不予支付".to_string(),
    };
    if let Some(Deductible::PctOfBill { bp, min, max }) = &a.deductible {
        let _ = write!(text, "，起付线为费用的 {}（{}–{} 元）", pct(bp), min / 100, max / 100);
    }
    match a.allow {
        Some(true) => text.push_str("，允许直接结算（免备案）"),
        Some(false) => text.push_str("，不允许直接结算（须先备案）"),
        None => {}
    }
    text
}

/// Basis points as a percentage without floats (`8500` → `85`, `7333` → `73.33`).
fn f_pct(bp: u32) -> String {
    if bp.is_multiple_of(100) { (bp / 100).to_string() } else { format!("{}.{:02}", bp / 100, bp % 100) }
}

fn claims_table(out: &mut String, pack: &Pack, zh: bool) {
    out.push_str(if zh { "\n## 演示单据（demo_claims.jsonl，按顺序结算）\n\n| 单据 | 参保人 | 机构 | 类别 | 日期 | 说明 |\n|---|---|---|---|---|---|\n" } else { "\n## Demo claims (demo_claims.jsonl, settled in order)\n\n| claim | person | facility | med_type | date | what it shows |\n|---|---|---|---|---|---|\n" });
    for c in &pack.claims {
        let fac = pack.facilities.iter().find(|f| f.code == c.fixmedins_code).expect("facility");
        let story = if zh { c.story.0 } else { c.story.1 };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {story} |",
            c.id,
            c.psn_no,
            fac.name,
            c.med_type,
            c.begntime.date()
        );
    }
}
