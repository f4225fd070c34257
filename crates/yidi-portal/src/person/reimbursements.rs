//! "我的手工报销": the person's manual reimbursements — bills paid in cash that the insured
//! region's agency entered from the receipts — each with where it stands (computed and owed to
//! the person, or paid), its amounts split as the engine split them, and the engine's own
//! explanation.

use yidi_hub::adjust::ReimburseStatus;
use yidi_hub::public::PersonReimbursementView;

use crate::html::escape;
use crate::i18n::Lang;
use crate::layout::Section;
use crate::public::{Ctx, portal_page};

fn med_type_name(lang: Lang, med_type: &str) -> String {
    let (zh, en) = match med_type {
        "11" => ("普通门诊", "General outpatient"),
        "14" => ("门诊慢特病", "Chronic-disease outpatient"),
        "21" => ("住院", "Inpatient"),
        "41" => ("定点药店购药", "Pharmacy"),
        _ => return med_type.to_string(),
    };
    lang.pick(zh, en).to_string()
}

/// What the status means for the person, in a sentence.
fn status_html(lang: Lang, r: &PersonReimbursementView) -> String {
    let (class, tag, text) = match r.status {
        ReimburseStatus::Computed => (
            "warn",
            lang.pick("已核算，待支付", "Computed, awaiting payment"),
            match lang {
                Lang::Zh => format!(
                    "经办机构已于 {} 核算完成：医保基金应报销 {} 元，将支付到您登记的账户，支付后这里会显示“已支付”。",
                    r.computed_at, r.fund_pay_sumamt
                ),
                Lang::En => format!(
                    "The agency computed it on {}: the funds owe you {} yuan, to be paid to your registered account; this shows \"paid\" once done.",
                    r.computed_at, r.fund_pay_sumamt
                ),
            },
        ),
        ReimburseStatus::Paid => (
            "ok",
            lang.pick("已支付", "Paid"),
            match lang {
                Lang::Zh => format!(
                    "医保基金报销的 {} 元已于 {} 支付给您。",
                    r.fund_pay_sumamt,
                    r.paid_at.as_deref().unwrap_or("—")
                ),
                Lang::En => format!(
                    "The {} yuan the funds reimburse was paid to you on {}.",
                    r.fund_pay_sumamt,
                    r.paid_at.as_deref().unwrap_or("—")
                ),
            },
        ),
    };
    format!(
        "<p class=\"notice {class}\" role=\"status\"><strong class=\"reimb-status\">{}</strong> {}</p>\n",
        escape(tag),
        escape(&text)
    )
}

fn amounts_html(lang: Lang, n: usize, r: &PersonReimbursementView) -> String {
    let rows: [(&str, &str, &str); 12] = [
        ("票据总额", "Bill total", &r.medfee_sumamt),
        ("全自费", "Fully self-paid", &r.fulamt_ownpay_amt),
        ("超限价自费", "Over the price cap", &r.overlmt_selfpay),
        ("先行自付", "Pre-self-pay", &r.preselfpay_amt),
        ("符合医保范围", "Eligible", &r.inscp_scp_amt),
        ("起付线（个人负担）", "Deductible (yours)", &r.act_pay_dedc),
        ("统筹基金", "Basic pool", &r.hifp_pay),
        ("大额医疗补助", "Large-amount subsidy", &r.hifob_pay),
        ("大病保险", "Critical-illness insurance", &r.hifmi_pay),
        ("医疗救助", "Medical assistance", &r.maf_pay),
        ("医保基金报销合计", "Reimbursed by the funds", &r.fund_pay_sumamt),
        ("个人负担", "Your share", &r.psn_part_amt),
    ];
    let mut b = format!(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"reimb-{n}-h\"><table class=\"reimb-amounts\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        lang.pick("项目", "Item"),
        lang.pick("金额（元）", "Amount (yuan)")
    );
    for (zh, en, amount) in rows {
        b.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>",
            lang.pick(zh, en),
            escape(amount)
        ));
    }
    b.push_str("</tbody></table></div>\n");
    b
}

/// "我的手工报销": every manual reimbursement of the person, newest first.
pub fn reimbursements_page(ctx: &Ctx, items: &[PersonReimbursementView]) -> String {
    let lang = ctx.lang;
    let title = lang.pick("我的手工报销", "My manual reimbursements");
    let mut b = format!(
        "<h1>{title}</h1>\n<p class=\"lead\">{}</p>\n",
        lang.pick(
            "在外地就医没有直接结算、先自己付了现金的，可以把票据交给参保地医保经办机构手工报销。经办机构录入后，这里显示每一笔的进度、金额和计算过程。",
            "If you paid cash for care elsewhere without direct settlement, hand the receipts to your insured region's agency. Once it has entered them, each reimbursement's progress, amounts and computation show here."
        )
    );
    if items.is_empty() {
        b.push_str(&format!(
            "<p id=\"no-reimbursements\">{}</p>\n",
            lang.pick("还没有手工报销记录。", "No manual reimbursement yet.")
        ));
    }
    b.push_str("<div id=\"reimbursements\">\n");
    for (n, r) in items.iter().enumerate() {
        let facility = r.fixmedins_name.as_deref().unwrap_or(&r.fixmedins_code);
        let dates = match &r.endtime {
            Some(end) => format!("{} — {end}", r.begntime),
            None => r.begntime.clone(),
        };
        b.push_str(&format!(
            "<section class=\"card reimbursement\" id=\"reimb-{}\" aria-labelledby=\"reimb-{n}-h\">\n<h2 id=\"reimb-{n}-h\">{} · {}</h2>\n<p class=\"muted\">{} {} · {} {} · {} {}</p>\n",
            escape(&r.reimb_id),
            escape(facility),
            escape(&med_type_name(lang, &r.med_type)),
            lang.pick("就医时间", "Care"),
            escape(&dates),
            lang.pick("票据号", "Receipt"),
            escape(&r.receipt_no),
            lang.pick("报销编号", "Reimbursement id"),
            escape(&r.reimb_id),
        ));
        b.push_str(&status_html(lang, r));
        b.push_str(&amounts_html(lang, n, r));
        b.push_str(&format!(
            "<h3>{}</h3>\n<ol class=\"steps reimb-trace\">",
            lang.pick("计算过程", "How it was computed")
        ));
        for step in &r.trace {
            b.push_str(&format!("<li lang=\"zh-CN\">{}</li>", escape(step)));
        }
        b.push_str("</ol>\n</section>\n");
    }
    b.push_str("</div>\n");
    b.push_str(&format!(
        "<p><a href=\"/me\">{}</a></p>\n",
        lang.pick("返回我的医保", "Back to my insurance")
    ));
    portal_page(ctx, Section::Mine, title, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: ReimburseStatus) -> PersonReimbursementView {
        PersonReimbursementView {
            reimb_id: "R<1>".into(),
            fixmedins_code: "H11".into(),
            fixmedins_name: Some("<b>医院</b>".into()),
            receipt_no: "PJ\"1".into(),
            med_type: "11".into(),
            begntime: "2025-10-06 09:00:00".into(),
            endtime: None,
            medfee_sumamt: "300.00".into(),
            fulamt_ownpay_amt: "0.00".into(),
            overlmt_selfpay: "0.00".into(),
            preselfpay_amt: "10.00".into(),
            inscp_scp_amt: "290.00".into(),
            act_pay_dedc: "0.00".into(),
            hifp_pay: "203.00".into(),
            hifob_pay: "0.00".into(),
            hifmi_pay: "0.00".into(),
            maf_pay: "0.00".into(),
            fund_pay_sumamt: "203.00".into(),
            psn_part_amt: "97.00".into(),
            status,
            status_name: "",
            computed_at: "2025-10-06 09:00:00".into(),
            paid_at: (status == ReimburseStatus::Paid).then(|| "2025-10-08 10:00:00".into()),
            trace: vec!["第 1 行 <x>".into()],
        }
    }

    /// Status explained, amounts and trace shown, every outside value escaped.
    #[test]
    fn shows_status_amounts_and_explanation_escaped() {
        let html = reimbursements_page(&Ctx::default(), &[item(ReimburseStatus::Computed)]);
        assert!(html.contains("已核算，待支付") && html.contains("应报销 203.00 元"));
        assert!(html.contains("<td class=\"num\">290.00</td>"));
        assert!(html.contains("第 1 行 &lt;x&gt;"));
        assert!(!html.contains("<b>医院") && !html.contains("R<1>") && !html.contains("PJ\"1"));
        let paid = reimbursements_page(&Ctx::default(), &[item(ReimburseStatus::Paid)]);
        assert!(paid.contains(">已支付</strong>") && paid.contains("2025-10-08 10:00:00"));
        let none = reimbursements_page(&Ctx::default(), &[]);
        assert!(none.contains("id=\"no-reimbursements\""));
    }
}
