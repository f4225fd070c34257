//! The public portal's pages: the home page with the published service figures, "我能在哪里直接
//! 结算" (regions and the facility search) and "我要付多少" (the estimator).
//!
//! Each function returns a whole HTML document through [`crate::layout::page`]; its inputs are the
//! hub's plain views (`yidi_hub::public`). Every outside value goes through [`escape`].

mod estimate;
mod where_;

pub use estimate::{Lookup, estimate_page};
pub use where_::where_page;

use yidi_domain::Fen;
use yidi_hub::public::ServiceFigures;

use crate::html::escape;
use crate::i18n::Lang;
use crate::layout::{NavLink, Page, Section, page, public_nav};

/// What every page of the portal knows about the request.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    pub lang: Lang,
    /// Path and query of this request (for the language switch).
    pub here: String,
    /// The header's account box (trusted HTML; `""` when signed out).
    pub account_html: String,
    pub signed_in: bool,
}

/// A portal page: the public navigation around `body`.
pub fn portal_page(ctx: &Ctx, section: Section, title: &str, body: &str) -> String {
    let nav: Vec<NavLink> = public_nav(ctx.lang, section, ctx.signed_in);
    page(&Page { lang: ctx.lang, title, here: &ctx.here, nav: &nav, account_html: &ctx.account_html, body })
}

/// "136.50 元" / "¥136.50".
pub fn money(lang: Lang, fen: Fen) -> String {
    match lang {
        Lang::Zh => format!("{} 元", fen.yuan()),
        Lang::En => format!("¥{}", fen.yuan()),
    }
}

/// A ratio in basis points as a percentage: 8500 → "85%", 8750 → "87.5%", 3333 → "33.33%".
pub fn pct(bp: u32) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole}%"),
        r if r % 10 == 0 => format!("{whole}.{}%", r / 10),
        r => format!("{whole}.{r:02}%"),
    }
}

/// A yes/no tag.
pub fn yes_no(lang: Lang, yes: bool) -> String {
    if yes {
        format!("<span class=\"tag yes\">✓ {}</span>", lang.pick("已开通", "Open"))
    } else {
        format!("<span class=\"tag no\">✗ {}</span>", lang.pick("未开通", "Not open"))
    }
}

/// The home page: what the service is, where to go next, and today's service figures.
pub fn home_page(ctx: &Ctx, figures: &ServiceFigures) -> String {
    let lang = ctx.lang;
    let mut b = String::with_capacity(6_000);
    b.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
        lang.pick("异地就医直接结算", "Cross-region direct settlement"),
        lang.pick(
            "在参保地以外看病、住院、买药，可以在医院直接结算：您只付自己负担的部分，医保基金负担的部分由医院与医保结算，不用先垫钱再回参保地报销。",
            "When you are treated, admitted or buy medicine outside your insured region, the hospital can settle directly: you pay only your own share and the fund's share is settled between the hospital and the insurance, with no advance payment and no claim back home."
        )
    ));
    b.push_str("<div class=\"grid\">\n");
    let card = |href: &str, zh_t: &str, en_t: &str, zh: &str, en: &str| {
        format!(
            "<div class=\"card\"><h2><a href=\"{href}\">{}</a></h2><p>{}</p></div>\n",
            lang.pick(zh_t, en_t),
            lang.pick(zh, en)
        )
    };
    b.push_str(&card(
        "/where",
        "我能在哪里直接结算",
        "Where can I settle directly",
        "按省、市查看哪些统筹区开通了住院、普通门诊和门诊慢特病直接结算，并查找定点医院和药店。",
        "See which regions are open for inpatient, general outpatient and chronic-disease care, and find designated hospitals and pharmacies.",
    ));
    b.push_str(&card(
        "/estimate",
        "我要付多少",
        "What will I pay",
        "选择参保地、医院和费用，用真实的结算规则估算基金付多少、个人账户付多少、自己付多少。",
        "Choose your region, the hospital and a bill, and see what the funds, your account and you would pay under the real rules.",
    ));
    let (mine_href, mine_zh, mine_en) = if ctx.signed_in {
        ("/me", "我的备案与结算", "My filings and settlements")
    } else {
        ("/signin", "登录 / 激活账号", "Sign in / activate")
    };
    b.push_str(&card(
        mine_href,
        mine_zh,
        mine_en,
        "办理异地就医备案（长期或临时），查看每笔结算中每一分钱的来由。首次使用请用经办机构给您的激活码设置密码。",
        "File for care elsewhere (long-term or temporary) and see where every fen of each settlement went. First time: set your password with the activation code from your agency.",
    ));
    b.push_str("</div>\n");
    b.push_str(&format!(
        "<h2>{}</h2>\n<ol class=\"steps\">\n<li>{}</li>\n<li>{}</li>\n<li>{}</li>\n</ol>\n",
        lang.pick("搬到另一个城市？三步走", "Moved to another city? Three steps"),
        lang.pick(
            "查一查：在“我能在哪里直接结算”里确认参保地和就医地都已开通。",
            "Check: in “Where can I settle”, make sure both your region and the place of care are open."
        ),
        lang.pick(
            "备个案：登录后在“我的备案”里选择备案类别和就医地，确认承诺即可，当场生效，无需上传材料。",
            "File: sign in, choose the filing category and the place of care under “My filings”, confirm the commitment statement; it takes effect at once, with no uploads."
        ),
        lang.pick(
            "就医时出示医保码或社保卡：医院直接结算，结算后可在“我的结算”里看到每一分钱的计算。",
            "When treated, show your insurance code or card: the hospital settles directly, and “My settlements” shows how every fen was computed."
        ),
    ));
    b.push_str(&figures_html(lang, figures));
    portal_page(ctx, Section::Home, lang.pick("首页", "Home"), &b)
}

fn figures_html(lang: Lang, f: &ServiceFigures) -> String {
    let date = f.date.map_or_else(String::new, |d| d.to_string());
    let rate = f.direct_rate_bp.map_or_else(|| "—".to_string(), pct);
    let median = f.median_ms.map_or_else(|| "—".to_string(), |ms| format!("{ms} ms"));
    let figure = |id: &str, value: &str, caption: &str| {
        format!(
            "<div class=\"figure\" id=\"{id}\"><div class=\"value\">{}</div><div class=\"caption\">{}</div></div>\n",
            escape(value),
            caption
        )
    };
    let mut b = format!(
        "<section aria-labelledby=\"figures-h\">\n<h2 id=\"figures-h\">{} <span class=\"muted\">{}</span></h2>\n<div class=\"grid\">\n",
        lang.pick("服务数据", "Service figures"),
        escape(&date)
    );
    b.push_str(&figure(
        "fig-settled",
        &f.settled_today.to_string(),
        lang.pick("今日直接结算笔数", "Settlements today"),
    ));
    b.push_str(&figure("fig-median", &median, lang.pick("结算处理时间中位数", "Median settlement time")));
    b.push_str(&figure("fig-rate", &rate, lang.pick("今日直接结算率", "Direct-settlement rate today")));
    b.push_str("</div>\n");
    b.push_str(&format!(
        "<details><summary>{}</summary><ul class=\"plain\">\n<li>{}</li>\n<li>{}</li>\n<li>{}</li>\n<li>{}</li>\n</ul></details>\n</section>\n",
        lang.pick("这些数字怎么算", "How these figures are defined"),
        lang.pick(
            "今日直接结算笔数：今天（北京时间 0 点起）医院通过国家接口完成的门诊结算（2207）和住院结算（2304）笔数，重复提交的同一笔只算一次。",
            "Settlements today: outpatient (2207) and inpatient (2304) settlements completed through the national interface since 00:00 Beijing time; a resent message counts once."
        ),
        &format!(
            "{}{}{}",
            lang.pick("结算处理时间中位数：最近 ", "Median settlement time: over the last "),
            f.sample_len,
            lang.pick(
                " 笔结算（最多 1024 笔）从结算中心收到请求到数据安全落盘并答复所用时间的中位数，不含网络传输。",
                " settlements (at most 1,024), the median time from the hub receiving the call to answering it after the data is durably saved; network time not included."
            )
        ),
        lang.pick(
            "今日直接结算率 = 今日结算成功笔数 ÷（成功笔数 + 被拒绝的结算笔数）。未被处理的请求（如系统繁忙、身份认证失败）不计入。",
            "Direct-settlement rate today = settled ÷ (settled + refused settlement attempts) today. Requests not processed at all (busy, failed authentication) are not attempts."
        ),
        lang.pick(
            "这些数字保存在结算中心内存中，服务重启或零点后从 0 开始计。",
            "These counters are kept in the hub's memory and restart at zero after a restart or at midnight."
        ),
    ));
    b
}

/// A page for a request the portal cannot serve (404 and the like), in the portal's chrome.
pub fn message_page(ctx: &Ctx, title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<div class=\"notice error\" role=\"alert\">{}</div>\n<p><a href=\"/\">{}</a></p>\n",
        escape(title),
        escape(message),
        ctx.lang.pick("返回首页", "Back to the home page")
    );
    portal_page(ctx, Section::None, title, &body)
}

/// The portal's "page not found" (404) and "not this way" (405) page: what happened and where to
/// go instead, in the portal's chrome (never the national interface's JSON envelope).
pub fn not_found_page(ctx: &Ctx, method_not_allowed: bool) -> String {
    let lang = ctx.lang;
    let (title, message) = if method_not_allowed {
        (
            lang.pick("无法这样打开此页面", "This page cannot be opened this way"),
            lang.pick(
                "这个地址不接受这种请求方式。请从首页或导航栏重新打开需要的页面。",
                "This address does not take this kind of request. Open the page again from the home page or the navigation.",
            ),
        )
    } else {
        (
            lang.pick("页面不存在", "Page not found"),
            lang.pick(
                "您要找的页面不存在，可能是地址输错了，或页面已经移走。可以从下面的链接继续：",
                "The page you asked for does not exist: the address may be mistyped or the page has moved. Continue from one of these:",
            ),
        )
    };
    let links = [
        ("/", "首页", "Home page"),
        ("/where", "我能在哪里直接结算", "Where can I settle directly"),
        ("/estimate", "我要付多少", "What will I pay"),
        ("/me", "我的医保", "My insurance"),
    ];
    let mut body = format!(
        "<h1>{}</h1>\n<div class=\"notice error\" role=\"alert\" id=\"not-found\">{}</div>\n<ul class=\"links\">",
        escape(title),
        escape(message)
    );
    for (href, zh, en) in links {
        body.push_str(&format!("<li><a href=\"{href}\">{}</a></li>", lang.pick(zh, en)));
    }
    body.push_str("</ul>\n");
    portal_page(ctx, Section::None, title, &body)
}

/// `<option>`s for a select, marking `selected`.
pub fn options<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, selected: &str) -> String {
    let mut out = String::new();
    for (value, label) in items {
        let sel = if value == selected { " selected" } else { "" };
        out.push_str(&format!("<option value=\"{}\"{sel}>{}</option>", escape(value), escape(label)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(pct(8500), "85%");
        assert_eq!(pct(8750), "87.5%");
        assert_eq!(pct(3333), "33.33%");
        assert_eq!(pct(5), "0.05%");
    }

    #[test]
    fn home_page_shows_figures_and_defines_them() {
        let ctx = Ctx { lang: Lang::Zh, here: "/".into(), ..Ctx::default() };
        let f = ServiceFigures {
            date: yidi_domain::Date::new(2025, 3, 3),
            settled_today: 3,
            refused_today: 1,
            direct_rate_bp: Some(7_500),
            median_ms: Some(12),
            sample_len: 3,
        };
        let html = home_page(&ctx, &f);
        assert!(html.contains(">3</div><div class=\"caption\">今日直接结算笔数"));
        assert!(html.contains(">75%</div>"));
        assert!(html.contains(">12 ms</div>"));
        assert!(html.contains("直接结算率 = "));
        let en = home_page(&Ctx { lang: Lang::En, here: "/".into(), ..Ctx::default() }, &f);
        assert!(en.contains("Settlements today") && en.contains("<html lang=\"en\">"));
    }

    #[test]
    fn not_found_page_links_home_in_the_portal_chrome() {
        let html = not_found_page(&Ctx { here: "/me/<x>".into(), ..Ctx::default() }, false);
        assert!(html.starts_with("<!doctype html>") && html.contains("<html lang=\"zh-CN\">"));
        assert!(html.contains("页面不存在") && html.contains("<a href=\"/\">首页</a>"));
        assert!(!html.contains("/me/<x>"), "the path is escaped in the language switch");
        let en = not_found_page(&Ctx { lang: Lang::En, ..Ctx::default() }, true);
        assert!(en.contains("cannot be opened this way") && en.contains("<a href=\"/\">Home page</a>"));
    }

    #[test]
    fn message_page_escapes() {
        let ctx = Ctx::default();
        let html = message_page(&ctx, "<b>", "<script>x</script>");
        assert!(!html.contains("<script>") && !html.contains("<b>"));
    }
}
