//! "我的结算": the person's settlements, and one settlement explained: the split of the bill
//! (self-paid, over the price cap, pre-self-pay, eligible), the deductible, the pool's ratio and
//! payment, each layer above it, assistance, the account and the cash — then the engine's own
//! trace, one step per line (every fee line's split and every layer, to the fen).

use yidi_domain::Fen;
use yidi_hub::{Page, SettlementRow};

use crate::html::escape;
use crate::i18n::{Lang, url_encode};
use crate::layout::Section;
use crate::public::{Ctx, money, pct, portal_page};

/// The amounts of one settlement's national output (`setlinfo`), read by the HTTP edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettlementFigures {
    pub medfee_sumamt: Fen,
    pub fulamt_ownpay_amt: Fen,
    pub overlmt_selfpay: Fen,
    pub preselfpay_amt: Fen,
    pub inscp_scp_amt: Fen,
    pub act_pay_dedc: Fen,
    pub hifp_pay: Fen,
    /// The pool's ratio after any adjustment, in basis points.
    pub pool_prop_bp: u32,
    pub hifob_pay: Fen,
    pub hifmi_pay: Fen,
    pub maf_pay: Fen,
    pub fund_pay_sumamt: Fen,
    pub psn_part_amt: Fen,
    pub acct_pay: Fen,
    pub psn_cash_pay: Fen,
    pub balc: Fen,
}

fn clr_name(lang: Lang, clr_type: &str) -> &'static str {
    match clr_type {
        "21" => lang.pick("住院", "Inpatient"),
        _ => lang.pick("门诊", "Outpatient"),
    }
}

fn status_tag(lang: Lang, status: &str) -> String {
    if status == "reversed" {
        format!("<span class=\"tag no\">{}</span>", lang.pick("已撤销", "Cancelled"))
    } else {
        format!("<span class=\"tag yes\">{}</span>", lang.pick("已结算", "Settled"))
    }
}

/// A table of settlements linking to each one's explanation.
pub(crate) fn rows_html(lang: Lang, rows: &[SettlementRow]) -> String {
    if rows.is_empty() {
        return format!(
            "<p id=\"no-settlements\">{}</p>\n",
            lang.pick("还没有结算记录。", "No settlement yet.")
        );
    }
    let mut b = String::from(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"settlements\"><table id=\"settlements\"><thead><tr>",
    );
    for (zh, en, num) in [
        ("结算时间", "Time", false),
        ("机构", "Facility", false),
        ("类型", "Kind", false),
        ("总额（元）", "Total (yuan)", true),
        ("基金（元）", "Funds (yuan)", true),
        ("个人账户（元）", "Account (yuan)", true),
        ("现金（元）", "Cash (yuan)", true),
        ("状态", "State", false),
    ] {
        b.push_str(&format!(
            "<th scope=\"col\"{}>{}</th>",
            if num { " class=\"num\"" } else { "" },
            lang.pick(zh, en)
        ));
    }
    b.push_str("</tr></thead><tbody>\n");
    for r in rows {
        b.push_str(&format!(
            "<tr><td><a href=\"/me/settlements/{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            url_encode(&r.setl_id),
            escape(&r.setl_time),
            escape(r.fixmedins_name.as_deref().unwrap_or(&r.fixmedins_code)),
            clr_name(lang, &r.clr_type),
            escape(&r.medfee_sumamt),
            escape(&r.fund_pay_sumamt),
            escape(&r.acct_pay),
            escape(&r.psn_cash_pay),
            status_tag(lang, r.status),
        ));
    }
    b.push_str("</tbody></table></div>\n");
    b
}

/// "我的结算": one page of the person's settlements.
pub fn settlements_page(ctx: &Ctx, page: &Page<SettlementRow>) -> String {
    let lang = ctx.lang;
    let mut b = format!("<h1>{}</h1>\n", lang.pick("我的结算", "My settlements"));
    b.push_str(&format!(
        "<p class=\"muted\">{}</p>\n",
        escape(&match lang {
            Lang::Zh => format!("共 {} 笔，点击结算时间查看每一分钱的计算。", page.total),
            Lang::En => format!("{} in all; open one to see how every fen was computed.", page.total),
        })
    ));
    b.push_str(&rows_html(lang, &page.items));
    if page.total > u64::from(page.page) * u64::from(page.page_size) {
        b.push_str(&format!(
            "<nav class=\"pager\" aria-label=\"{}\"><a href=\"/me/settlements?page={}\" rel=\"next\">{}</a></nav>\n",
            lang.pick("分页", "Pages"),
            page.page + 1,
            lang.pick("下一页", "Next")
        ));
    }
    if page.page > 1 {
        b.push_str(&format!(
            "<p><a href=\"/me/settlements?page={}\" rel=\"prev\">{}</a></p>\n",
            page.page - 1,
            lang.pick("上一页", "Previous")
        ));
    }
    portal_page(ctx, Section::Mine, lang.pick("我的结算", "My settlements"), &b)
}

/// One settlement explained; `figures` is `None` when its stored amounts could not be read, and
/// the page then says so instead of showing amounts (never a made-up 0).
pub fn settlement_page(
    ctx: &Ctx,
    row: &SettlementRow,
    figures: Option<&SettlementFigures>,
    trace: &[String],
) -> String {
    let lang = ctx.lang;
    let mut b = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        lang.pick("这笔结算是怎么算的", "How this settlement was computed"),
        escape(&match lang {
            Lang::Zh => format!(
                "{} 在{}{}结算，结算编号 {}。",
                row.setl_time,
                row.fixmedins_name.as_deref().unwrap_or(&row.fixmedins_code),
                clr_name(lang, &row.clr_type),
                row.setl_id
            ),
            Lang::En => format!(
                "{} settlement at {} on {}, settlement id {}.",
                clr_name(lang, &row.clr_type),
                row.fixmedins_name.as_deref().unwrap_or(&row.fixmedins_code),
                row.setl_time,
                row.setl_id
            ),
        })
    );
    if row.status == "reversed" {
        b.push_str(&super::notice(
            "warn",
            lang.pick("这笔结算已被医院撤销，基金、个人账户和累计都已退回。", "The hospital cancelled this settlement: the funds, the account and the year's totals were restored."),
        ));
    }
    match figures {
        Some(f) => b.push_str(&figures_html(lang, f)),
        None => b.push_str(&format!(
            "<div class=\"notice error\" role=\"alert\" id=\"setl-unreadable\">{}</div>\n",
            lang.pick(
                "这笔结算的金额明细暂时无法读取，因此这里不显示金额。请以医院出具的结算单为准；如有疑问，请联系参保地医保经办机构。",
                "The amounts of this settlement cannot be read right now, so none are shown here. The hospital's settlement slip is authoritative; ask your insured region's agency if in doubt."
            )
        )),
    }
    b.push_str(&format!(
        "<h2 id=\"trace-h\">{}</h2>\n<p class=\"muted\">{}</p>\n<ol class=\"steps\" id=\"setl-trace\">",
        lang.pick("每一行费用、每一层基金的计算", "Every fee line and every fund layer"),
        lang.pick(
            "以下是结算引擎的原始计算记录：每行费用如何拆分，起付线、比例、限额和各层基金如何计算，并注明所依据的目录和政策条目。",
            "The engine's own record (in Chinese): how each fee line split, and how the deductible, ratio, cap and each fund layer were applied, citing the catalog and policy rows."
        )
    ));
    for step in trace {
        b.push_str(&format!("<li lang=\"zh-CN\">{}</li>", escape(step)));
    }
    b.push_str("</ol>\n");
    b.push_str(&format!(
        "<p><a href=\"/me/settlements\">{}</a></p>\n",
        lang.pick("返回我的结算", "Back to my settlements")
    ));
    portal_page(ctx, Section::Mine, lang.pick("结算说明", "Settlement explained"), &b)
}

/// The four headline figures and the step-by-step explanation of one settlement's amounts.
fn figures_html(lang: Lang, f: &SettlementFigures) -> String {
    let m = |x: Fen| money(lang, x);
    let mut b = String::new();
    b.push_str("<div class=\"grid\">\n");
    for (id, zh, en, amount) in [
        ("setl-total", "医疗费总额", "Total bill", f.medfee_sumamt),
        ("setl-fund", "医保基金支付", "Paid by the funds", f.fund_pay_sumamt),
        ("setl-acct", "个人账户支付", "Paid from your account", f.acct_pay),
        ("setl-cash", "个人现金支付", "Paid in cash", f.psn_cash_pay),
    ] {
        b.push_str(&format!(
            "<div class=\"figure\" id=\"{id}\"><div class=\"value\">{}</div><div class=\"caption\">{}</div></div>\n",
            m(amount),
            lang.pick(zh, en)
        ));
    }
    b.push_str("</div>\n");
    let steps: Vec<String> = match lang {
        Lang::Zh => vec![
            format!(
                "总额 {} 分为四部分：全自费 {}（丙类或不符合限定的项目）、超限价自费 {}（单价超过就医地限价的部分）、先行自付 {}（乙类项目先由个人负担的比例）、符合医保范围 {}。",
                m(f.medfee_sumamt),
                m(f.fulamt_ownpay_amt),
                m(f.overlmt_selfpay),
                m(f.preselfpay_amt),
                m(f.inscp_scp_amt)
            ),
            format!("起付线：本次由个人支付 {}（今年已付的起付线不再重复扣）。", m(f.act_pay_dedc)),
            format!(
                "统筹基金按 {} 支付（参保地政策，异地就医按备案类别可能调整），受年度限额约束后支付 {}。",
                pct(f.pool_prop_bp),
                m(f.hifp_pay)
            ),
            format!(
                "职工大额医疗补助支付 {}，城乡居民大病保险支付 {}，医疗救助支付 {}。",
                m(f.hifob_pay),
                m(f.hifmi_pay),
                m(f.maf_pay)
            ),
            format!(
                "基金合计 {}；个人负担 {} = 总额 − 基金；其中个人账户支付 {}（余额剩 {}），现金支付 {}。",
                m(f.fund_pay_sumamt),
                m(f.psn_part_amt),
                m(f.acct_pay),
                m(f.balc),
                m(f.psn_cash_pay)
            ),
        ],
        Lang::En => vec![
            format!(
                "The total {} splits into: fully self-paid {} (class C or restricted items), over the price cap {}, pre-self-pay {} (the share of class-B items you pay first), eligible {}.",
                m(f.medfee_sumamt),
                m(f.fulamt_ownpay_amt),
                m(f.overlmt_selfpay),
                m(f.preselfpay_amt),
                m(f.inscp_scp_amt)
            ),
            format!(
                "Deductible: you paid {} this time (deductible already paid this year is not charged again).",
                m(f.act_pay_dedc)
            ),
            format!(
                "The basic pool paid at {} (your region's policy, adjusted by filing class for care elsewhere), {} after the annual cap.",
                pct(f.pool_prop_bp),
                m(f.hifp_pay)
            ),
            format!(
                "Large-amount subsidy {}, critical-illness insurance {}, medical assistance {}.",
                m(f.hifob_pay),
                m(f.hifmi_pay),
                m(f.maf_pay)
            ),
            format!(
                "Funds in all {}; your share {} = total − funds; your account paid {} (balance left {}), cash {}.",
                m(f.fund_pay_sumamt),
                m(f.psn_part_amt),
                m(f.acct_pay),
                m(f.balc),
                m(f.psn_cash_pay)
            ),
        ],
    };
    b.push_str(&format!(
        "<h2>{}</h2>\n<ol class=\"steps\" id=\"setl-steps\">",
        lang.pick("分步说明", "Step by step")
    ));
    for s in steps {
        b.push_str(&format!("<li>{}</li>", escape(&s)));
    }
    b.push_str("</ol>\n");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> SettlementRow {
        SettlementRow {
            setl_id: "S1".into(),
            mdtrt_id: "M1".into(),
            psn_no: "P1".into(),
            psn_name: "王*".into(),
            certno: "320***********1234".into(),
            insuplc_admdvs: Some("320100".into()),
            fixmedins_code: "H1".into(),
            fixmedins_name: Some("医院".into()),
            treatment_admdvs: "310000".into(),
            side: yidi_hub::Side::Insured,
            insutype: "310".into(),
            clr_type: "11".into(),
            setl_time: "2025-05-06 10:00:00".into(),
            status: "settled",
            medfee_sumamt: "136.50".into(),
            fund_pay_sumamt: "80.00".into(),
            acct_pay: "0.00".into(),
            psn_cash_pay: "56.50".into(),
            reversal_time: None,
        }
    }

    /// Amounts that could not be read are an error notice, never zeros; the trace still shows.
    #[test]
    fn unreadable_amounts_show_an_error_not_zero() {
        let trace = vec!["第 1 行 …".to_string()];
        let html = settlement_page(&Ctx::default(), &row(), None, &trace);
        assert!(html.contains("id=\"setl-unreadable\"") && html.contains("无法读取"));
        assert!(!html.contains("id=\"setl-total\"") && !html.contains("0.00 元"));
        assert!(html.contains("id=\"setl-trace\"") && html.contains("第 1 行"));
        let f = SettlementFigures { medfee_sumamt: Fen::new(13_650), ..SettlementFigures::default() };
        let html = settlement_page(&Ctx::default(), &row(), Some(&f), &trace);
        assert!(html.contains("id=\"setl-total\"><div class=\"value\">136.50 元"));
        assert!(!html.contains("setl-unreadable"));
    }
}
