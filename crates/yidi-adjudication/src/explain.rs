//! The human-readable trace: one sentence per step, each naming the rule (section of
//! `settlement.md`), the figures, and the pack row (`file:line`) that produced them, so every fen
//! of a settlement can be followed back to a catalog row, a filing and a policy version.

use yidi_domain::{AdjustmentForm, Deductible, Fen, LayerKind, LevelTable};

use crate::benefits::LayerWorking;
use crate::engine::Settlement;
use crate::filing::FilingClass;
use crate::lines::{LineResult, Unmet};

/// Renders the trace of a settlement.
pub fn explain(s: &Settlement<'_>) -> Vec<String> {
    let mut out = Vec::with_capacity(s.lines.len() + 16);
    place(s, &mut out);
    filing(s, &mut out);
    for line in &s.lines {
        out.push(line_text(s, line));
    }
    let i = &s.setlinfo;
    out.push(format!(
        "[§2] 合计：医疗费总额 {} = 全自费 {} + 超限价自费 {} + 先行自付 {} + 符合范围 {}",
        line_sum(s, |l| l.amount),
        line_sum(s, |l| l.fulamt_ownpay),
        line_sum(s, |l| l.overlmt),
        line_sum(s, |l| l.preselfpay),
        line_sum(s, |l| l.inscp),
    ));
    policy(s, &mut out);
    funds(s, &mut out);
    out.push(format!(
        "[§8] 基金支付合计 {} = 统筹 {} + 大额 {} + 大病 {} + 救助 {}；个人负担 {} = {} − {}",
        i.fund_pay_sumamt,
        i.hifp_pay,
        i.hifob_pay,
        i.hifmi_pay,
        i.maf_pay,
        i.psn_part_amt,
        i.medfee_sumamt,
        i.fund_pay_sumamt
    ));
    account(s, &mut out);
    accumulators(s, &mut out);
    out
}

fn line_sum(s: &Settlement<'_>, f: impl Fn(&LineResult<'_>) -> Fen) -> Fen {
    s.lines.iter().map(f).sum()
}

fn place(s: &Settlement<'_>, out: &mut Vec<String>) {
    let f = s.facility;
    let scope = if s.filing.class == FilingClass::Local {
        "参保地就医"
    } else if f.admdvs.province() == s.person.insuplc.province() {
        "省内异地就医"
    } else {
        "跨省异地就医"
    };
    out.push(format!(
        "[§3] {}（{}，{}级，{}）属就医统筹区 {}（{}）[{}]；参保地 {}；{}；{}（med_type {}），服务日期 {}",
        f.name,
        f.code,
        f.level,
        f.admdvs,
        s.treatment_region.name,
        s.treatment_region.admdvs,
        f.source,
        s.person.insuplc,
        scope,
        s.kind.name_zh(),
        s.claim.med_type,
        s.claim.service_date()
    ));
    if let Some((disease, ent)) = s.chronic {
        out.push(format!(
            "[§3] 门诊慢特病：诊断 {} 属“{}”（{}）[{}]；参保地待遇认定 {}–{} [{}]",
            s.claim.dise_codg.as_deref().unwrap_or(""),
            disease.name,
            disease.code,
            disease.source,
            ent.begndate,
            ent.enddate.map_or_else(|| "长期".to_string(), |d| d.to_string()),
            ent.source
        ));
    }
}

fn filing(s: &Settlement<'_>, out: &mut Vec<String>) {
    let o = &s.filing;
    let mut text = format!("[§4] 备案类别：{}（{}）", o.class.name_zh(), o.class.as_str());
    if let Some(f) = o.filing {
        text.push_str(&format!(
            "，依据备案 {}（{}，备案地 {}，{}–{}）[{}]",
            f.filing_id,
            f.category.name_zh(),
            f.area,
            f.begndate,
            f.enddate.map_or_else(|| "长期".to_string(), |d| d.to_string()),
            f.source
        ));
    }
    if o.retroactive {
        text.push_str("；住院期间补办备案，出院日有效，适用于整个住院过程");
    }
    if o.two_way {
        text.push_str("；长期异地备案人员回参保地就医，享受双向待遇");
    }
    if o.class == FilingClass::Emergency && o.filing.is_none() {
        text.push_str("；急诊抢救视同备案");
    }
    if o.class == FilingClass::Unfiled {
        text.push_str("；参保地允许未备案直接结算");
    }
    out.push(text);
}

fn line_text(s: &Settlement<'_>, l: &LineResult<'_>) -> String {
    let fee = &s.claim.lines[l.index];
    let item = l.item;
    let mut why = Vec::new();
    match l.unmet {
        Some(Unmet::MedType) => why.push(format!(
            "限定医疗类别 {} 不含 {}，全自费",
            item.lmt_med_types.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("|"),
            s.claim.med_type
        )),
        Some(Unmet::MinLevel) => why.push(format!(
            "限 {} 级及以上机构使用，本机构 {} 级，全自费",
            item.lmt_min_level.unwrap_or(0),
            s.facility.level
        )),
        Some(Unmet::Diagnosis) => why.push(format!(
            "限诊断 {}*，本次诊断 {}，全自费",
            item.lmt_dise_prefix.as_deref().unwrap_or(""),
            s.claim.dise_codg.as_deref().unwrap_or("无")
        )),
        None => {}
    }
    if l.unmet.is_none() && item.lv == yidi_domain::ChrgitmLv::C {
        why.push("丙类，全自费".to_string());
    }
    if let Some(cap) = item.price_cap.filter(|_| l.unmet.is_none() && item.lv != yidi_domain::ChrgitmLv::C) {
        why.push(format!("支付限价 {cap}/单位，超出 {}", l.overlmt));
    }
    if l.unmet.is_none() && item.lv == yidi_domain::ChrgitmLv::B {
        why.push(format!("乙类先行自付比例 {}", item.selfpay_prop));
    }
    format!(
        "[§2] 明细 {} {} {}（{}）{} × {} = {}：全自费 {}，超限价 {}，先行自付 {}，符合范围 {}{}{} [{}]",
        fee.feedetl_sn,
        item.code,
        item.name,
        item.lv.name_zh(),
        fee.cnt,
        fee.pric,
        l.amount,
        l.fulamt_ownpay,
        l.overlmt,
        l.preselfpay,
        l.inscp,
        if why.is_empty() { "" } else { "；" },
        why.join("；"),
        item.source
    )
}

fn policy(s: &Settlement<'_>, out: &mut Vec<String>) {
    let p = s.policy;
    out.push(format!(
        "[§5] 参保地政策：{}{}，人员类别 {}，{} 起执行的版本{} [{}]；医保年度 {}（{} 起）；累计池 {}{}",
        p.insutype.name_zh(),
        p.benefit.name_zh(),
        p.psn_group.map_or("any", |g| g.as_str()),
        p.effective_from,
        p.disease.as_deref().map(|d| format!("（病种 {d}）")).unwrap_or_default(),
        p.source,
        s.policy_year,
        s.region_policy.year_start,
        p.cap_pool,
        if p.cap_period_month { "（按月限额）" } else { "" }
    ));
    let Some((class, adj)) = s.filing.adjustment else {
        if s.filing.class != FilingClass::Local {
            out.push("[§4] 本类别无待遇调整，按参保地本地标准".to_string());
        }
        return;
    };
    let form = match &adj.form {
        AdjustmentForm::Unchanged => "比例不变".to_string(),
        AdjustmentForm::MinusBp(n) => format!("支付比例降低 {n}"),
        AdjustmentForm::FactorBp(f) => format!("支付比例乘以 {f}"),
        AdjustmentForm::RatioTable(t) => format!("另定比例表 {}", level_table(t)),
        AdjustmentForm::ExtraPreselfpay(e) => format!("符合范围费用先行自付 {e}"),
        AdjustmentForm::Excluded => "基金不予支付".to_string(),
    };
    let why = if s.filing.two_way { "双向待遇按转诊标准" } else { class.as_str() };
    out.push(format!(
        "[§4] 待遇调整（{why}）：{form}{} [{}]",
        if adj.deductible.is_some() { "，另定起付标准" } else { "" },
        adj.source
    ));
}

fn level_table<T: std::fmt::Display + Copy>(t: &LevelTable<T>) -> String {
    match t {
        LevelTable::Flat(v) => v.to_string(),
        LevelTable::ByLevel([a, b, c]) => format!("一级 {a} / 二级 {b} / 三级 {c}"),
    }
}

fn funds(s: &Settlement<'_>, out: &mut Vec<String>) {
    let w = &s.workings;
    let i = &s.setlinfo;
    if w.excluded {
        out.push("[§4] 该类别基金不予支付：起付线、统筹、大额、大病、救助均为 0，累计不变".to_string());
        return;
    }
    if w.moved_to_preselfpay > Fen::ZERO {
        out.push(format!(
            "[§4] 额外先行自付：{} 从符合范围转入先行自付，符合范围余 {}",
            w.moved_to_preselfpay, w.inscp
        ));
    }
    if let Some(d) = w.deductible {
        out.push(deductible_text(d, s));
    }
    let cap = match (s.policy.annual_cap, w.cap_left) {
        (Some(cap), Some(left)) => format!(
            "；{}限额 {cap}，已支付 {}，剩余 {left}",
            if s.policy.cap_period_month { "本月" } else { "年度" },
            w.fund_paid_before
        ),
        _ => "；不设封顶".to_string(),
    };
    out.push(format!(
        "[§6] 统筹基金：基数 {} = 符合范围 {} − 起付线 {}；比例 {}（本地 {}），按比例 {}{}；统筹支付 hifp_pay {}",
        w.base, w.inscp, i.act_pay_dedc, w.ratio, w.local_ratio, w.pool_raw, cap, i.hifp_pay
    ));
    out.push(format!("[§6] 符合范围内个人负担 {} = {} − {}", w.eligible_selfpay, w.inscp, i.hifp_pay));
    for lw in &w.layers {
        out.push(layer_text(lw));
    }
    if let Some(m) = &w.maf {
        out.push(format!(
            "[§7] 医疗救助（{}）：基数 {} × {} = {}{}；救助支付 maf_pay {}",
            s.person.assist_class.map_or("", |c| c.as_str()),
            m.input,
            m.ratio,
            m.raw,
            m.room.map_or_else(|| "；不设封顶".to_string(), |r| format!("；年度剩余额度 {r}")),
            m.pay
        ));
    }
}

fn deductible_text(d: &Deductible, s: &Settlement<'_>) -> String {
    let w = &s.workings;
    let level = s.facility.level;
    let form = match d {
        Deductible::PerYear { amount } => {
            format!("按年 {}，本年已付 {}", amount.at(level), w.deductible_paid_before)
        }
        Deductible::PerVisit { amount } => format!("按次 {}", amount.at(level)),
        Deductible::PerAdmission { amount, nth_bp } => format!(
            "按住院次 {}，本年第 {} 次住院（递减比例 {}）",
            amount.at(level),
            w.nth_admission,
            nth_bp.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("→")
        ),
        Deductible::PctOfBill { bp, min, max } => {
            format!("按符合范围费用 {bp}，最低 {}，最高 {}", min.at(level), max.at(level))
        }
    };
    format!(
        "[§5] 起付标准（{}{}）：{}；本次剩余 {}；起付线支付 act_pay_dedc = min({}, {}) = {}",
        d.kind_name(),
        if w.deductible_replaced { "，调整后" } else { "" },
        form,
        w.deductible_remaining,
        w.inscp,
        w.deductible_remaining,
        s.setlinfo.act_pay_dedc
    )
}

fn layer_text(lw: &LayerWorking<'_>) -> String {
    let field = lw.layer.field;
    let head =
        format!("[§7] {}（{}）[{}]：本次进入 {}", field.name_zh(), field.as_str(), lw.layer.source, lw.input);
    let room = lw.room.map_or_else(|| "不设封顶".to_string(), |r| format!("年度剩余额度 {r}"));
    match &lw.layer.kind {
        LayerKind::Segments(_) => {
            let parts = if lw.parts.is_empty() {
                "未超过起付线，不支付".to_string()
            } else {
                lw.parts
                    .iter()
                    .map(|(lo, hi, r, pay)| format!("[{lo}, {hi}) × {r} = {pay}"))
                    .collect::<Vec<_>>()
                    .join("；")
            };
            format!(
                "{head}，本年累计 {} → {}；起付线 {}{}；{}；{}；支付 {}",
                lw.base_before,
                lw.base_before + lw.input,
                lw.threshold,
                if lw.assisted { "（救助对象倾斜）" } else { "" },
                parts,
                room,
                lw.pay
            )
        }
        LayerKind::AboveCap { ratio, .. } => format!(
            "{head}；统筹封顶后未覆盖基数 {} × {} = {}；{}；支付 {}",
            lw.uncovered, ratio, lw.raw, room, lw.pay
        ),
    }
}

fn account(s: &Settlement<'_>, out: &mut Vec<String>) {
    let i = &s.setlinfo;
    let before = i.balc + i.acct_pay;
    let why = if s.person.insutype != yidi_domain::InsuType::Employee {
        "居民无个人账户"
    } else if !s.claim.acct_used {
        "未使用个人账户"
    } else {
        "个人账户支付"
    };
    out.push(format!(
        "[§8] {why}：账户余额 {before}，账户支付 acct_pay {}，现金支付 psn_cash_pay {}，余额 balc {}",
        i.acct_pay, i.psn_cash_pay, i.balc
    ));
}

fn accumulators(s: &Settlement<'_>, out: &mut Vec<String>) {
    let d = &s.delta;
    out.push(format!(
        "[§9] 累计变化（{} 医保年度，累计池 {}）：起付线 +{}，住院次数 +{}，统筹 +{}，大病基数 +{}，大病 +{}，大额基数 +{}，大额 +{}，救助 +{}，账户 −{}",
        d.policy_year,
        d.cap_pool,
        d.deductible_paid,
        d.admissions,
        d.fund_paid,
        d.hifmi_base,
        d.hifmi_paid,
        d.hifob_base,
        d.hifob_paid,
        d.maf_paid,
        d.acct_pay
    ));
}
