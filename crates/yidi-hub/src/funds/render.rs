//! Statements as files: CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese) and a
//! printable, self-contained HTML page in Chinese (inline style, no script, no external asset).

use std::fmt::Write;

use yidi_ledger::Fund;

use super::clearing::DetailRow;
use super::views::{StatementView, fund_name};

const BOM: &str = "\u{feff}";

/// A CSV cell: quoted when needed, never a formula (`yidi_domain::csv::field`).
fn cell(text: &str) -> String {
    yidi_domain::csv::field(text)
}

fn row(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The statement: one row per line (care types, refusals, recoveries), then the totals.
pub(crate) fn statement_csv(v: &StatementView) -> String {
    let mut out = String::from(BOM);
    let mut header: Vec<String> =
        ["month", "insured", "treatment", "line", "label", "count"].map(String::from).to_vec();
    header.extend(Fund::ALL.iter().map(|f| f.code().to_string()));
    header.push("total".into());
    row(&mut out, &header);
    for l in &v.lines {
        let mut cells = vec![
            v.month.clone(),
            v.insured.clone(),
            v.treatment.clone(),
            l.line.to_string(),
            l.label.to_string(),
            l.count.to_string(),
        ];
        cells.extend(l.funds.iter().map(|f| f.amount.clone()));
        cells.push(l.total.clone());
        row(&mut out, &cells);
    }
    for (line, label, amount) in [
        ("pooled", "统筹基金等（冲减预付金）", &v.pooled),
        ("personal", "个人账户", &v.personal),
        ("adjustments", "拒付/扣款/追回", &v.adjustments),
        ("itemised_due", "按实际发生额应清算", &v.itemised_due),
        ("due", "本月应清算金额", &v.due),
    ] {
        let mut cells = vec![
            v.month.clone(),
            v.insured.clone(),
            v.treatment.clone(),
            line.into(),
            label.into(),
            String::new(),
        ];
        cells.extend(Fund::ALL.iter().map(|_| String::new()));
        cells.push(amount.clone());
        row(&mut out, &cells);
    }
    out
}

/// Every settlement of the pair's month: one row each, fund shares per column.
pub(crate) fn detail_csv(rows: &[DetailRow]) -> String {
    let mut out = String::from(BOM);
    let mut header: Vec<String> = [
        "setl_id",
        "mdtrt_id",
        "psn_no",
        "fixmedins_code",
        "setl_time",
        "clr_type",
        "insutype",
        "insuplc_admdvs",
    ]
    .map(String::from)
    .to_vec();
    header.extend(Fund::ALL.iter().map(|f| f.code().to_string()));
    header.extend(["fund_total".to_string(), "psn_cash_pay".to_string()]);
    row(&mut out, &header);
    for r in rows {
        let mut cells = vec![
            r.setl_id.clone(),
            r.mdtrt_id.clone(),
            r.psn_no.clone(),
            r.fixmedins_code.clone(),
            r.setl_time.to_string(),
            r.clr_type.to_string(),
            r.insutype.clone(),
            r.insured_region.clone(),
        ];
        cells.extend(Fund::ALL.iter().map(|f| r.amounts.get(*f).to_string()));
        cells.push(r.amounts.total().to_string());
        cells.push(r.cash.to_string());
        row(&mut out, &cells);
    }
    out
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;color:#111}\
h1{font-size:1.4em;text-align:center}table{border-collapse:collapse;width:100%;margin:1em 0}\
th,td{border:1px solid #555;padding:4px 6px;font-size:.9em}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.meta td{border:none}.sign{display:flex;gap:2em;margin-top:2em}.sign div{flex:1;border-top:1px solid #111;padding-top:.5em}\
@media print{body{margin:1cm}}";

/// The printable statement (清算单).
pub(crate) fn statement_html(v: &StatementView) -> String {
    let mut h = String::new();
    let state = if v.frozen { "已冻结" } else { "未冻结（本月仍在结算，数字会变化）" };
    let mode = if v.mode.mode == "lump_sum" {
        format!(
            "按人头包干：{} 人 × {} 元/人·月",
            v.mode.persons.unwrap_or(0),
            esc(v.mode.yuan_per_person_month.as_deref().unwrap_or("0.00"))
        )
    } else {
        "按实际发生额".to_string()
    };
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{m} 跨省异地就医清算单 {p}</title>\
<style>{STYLE}</style></head><body><h1>跨省异地就医直接结算省际清算单</h1>\
<table class=\"meta\"><tr><td>清算月份：{m}</td><td>参保省：{i} {iname}</td><td>就医省：{t} {tname}</td></tr>\
<tr><td>状态：{state}</td><td>清算方式：{mode}</td><td>金额单位：元</td></tr></table>",
        m = esc(&v.month),
        p = esc(&v.pair),
        i = esc(&v.insured),
        t = esc(&v.treatment),
        iname = esc(&v.insured_name),
        tname = esc(&v.treatment_name),
    );
    h.push_str("<table><thead><tr><th>项目</th><th>笔数</th>");
    for f in Fund::ALL {
        let _ = write!(h, "<th>{}<br>{}</th>", fund_name(f), f.code());
    }
    h.push_str("<th>合计</th></tr></thead><tbody>");
    for l in &v.lines {
        let _ = write!(h, "<tr><td>{}</td><td class=\"n\">{}</td>", esc(l.label), l.count);
        for f in &l.funds {
            let _ = write!(h, "<td class=\"n\">{}</td>", esc(&f.amount));
        }
        let _ = write!(h, "<td class=\"n\">{}</td></tr>", esc(&l.total));
    }
    h.push_str("</tbody></table><table><tbody>");
    for (label, amount) in [
        ("统筹基金等支付（冲减预付金）", &v.pooled),
        ("个人账户支付", &v.personal),
        ("减：拒付/扣款/追回", &v.adjustments),
        ("按实际发生额应清算", &v.itemised_due),
        ("本月应清算金额", &v.due),
    ] {
        let _ = write!(h, "<tr><td>{label}</td><td class=\"n\">{}</td></tr>", esc(amount));
    }
    h.push_str("</tbody></table>");
    if let Some(c) = &v.clearing {
        let _ = write!(
            h,
            "<p>确认期限：{}；付款期限：{}</p><div class=\"sign\">",
            esc(&c.confirm_by),
            esc(&c.pay_by)
        );
        for (side, label) in [("insured", "参保省经办机构确认"), ("treatment", "就医省经办机构确认")]
        {
            let stamp = c.confirmations.iter().find(|x| x.side == side);
            let text =
                stamp.map_or("（待确认）".to_string(), |s| format!("{}　{}", esc(&s.by), esc(&s.at)));
            let _ = write!(h, "<div>{label}：{text}</div>");
        }
        h.push_str("</div>");
        if let Some(p) = &c.payment {
            let _ = write!(
                h,
                "<p>付款：{} → {}，{} 元，{}，流水号 {}，付款日期 {}（{} 登记）</p>",
                esc(&p.payer),
                esc(&p.payee),
                esc(&p.amount),
                esc(&p.bank_name),
                esc(&p.bank_serial),
                esc(&p.paid_on),
                esc(&p.recorded_by)
            );
        }
    }
    h.push_str(
        "<p>本清算单由 Yidi 结算中心依据记账分录生成，明细见同月明细文件（detail.csv）。</p></body></html>\n",
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("-12.50"), "-12.50");
        assert_eq!(cell("-cmd"), "'-cmd");
        assert_eq!(esc("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
