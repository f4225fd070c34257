//! The page chrome every HTML page shares: `<!doctype>`, `lang`, the stylesheet, a skip link, the
//! header with navigation, the language switch and (when signed in) the account box, the main
//! landmark and the footer.
//!
//! How to use it (public portal, person pages and agency dashboards alike):
//!
//! ```
//! use yidi_portal::i18n::Lang;
//! use yidi_portal::layout::{page, NavLink, Page};
//! let lang = Lang::Zh;
//! let nav = [NavLink { href: "/agency/".into(), label: "概览".into(), current: true }];
//! let html = page(&Page {
//!     lang,
//!     title: lang.pick("医保经办看板", "Agency dashboards"),
//!     here: "/agency/?region=320100",
//!     nav: &nav,
//!     account_html: "",
//!     body: "<h1>…</h1>",
//! });
//! assert!(html.starts_with("<!doctype html>"));
//! ```
//!
//! * `title` is plain text (escaped here); `body` and `account_html` are trusted HTML that the
//!   caller built with [`crate::html::escape`] around every outside value.
//! * `here` is the current path and query; the language switch links to it with `lang` flipped.
//! * `nav` is the list of top links; [`public_nav`] gives the portal's, the dashboards pass their
//!   own. `current: true` marks the link `aria-current="page"`.
//! * The stylesheet is [`SITE_CSS`], served at [`CSS_PATH`] by the HTTP edge. Useful classes:
//!   `.card` (a boxed section), `.grid` (responsive cards), `.table-wrap` around every `<table>`
//!   (scrolls sideways on a phone instead of breaking the layout), `.num` (right-aligned figures),
//!   `.muted`, `.notice` / `.notice.error` / `.notice.ok` (messages, give them `role="status"` or
//!   `role="alert"`), `.form-grid` (labelled fields), `.pager`, `.tag`, `.figure` (a big number
//!   with its caption), `.chart` (an inline SVG box), `.actions` (a row of buttons).
//!
//! No page refers to anything outside the hub: no CDN, no web font, no script from elsewhere.

use crate::html::escape;
use crate::i18n::{Lang, with_lang};

/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/assets/site.css";

/// The one stylesheet, embedded in the binary.
pub const SITE_CSS: &str = include_str!("assets/site.css");

/// One navigation link of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// Everything [`page`] needs.
pub struct Page<'a> {
    pub lang: Lang,
    /// Plain text; shown as `<title>` (with the site name) — the body carries its own `<h1>`.
    pub title: &'a str,
    /// Current path and query, for the language switch.
    pub here: &'a str,
    pub nav: &'a [NavLink],
    /// Trusted HTML for the header's account box (e.g. [`account_box`]); `""` when signed out.
    pub account_html: &'a str,
    /// Trusted HTML of the main content.
    pub body: &'a str,
}

/// The site's name in the page header and `<title>`.
pub fn site_name(lang: Lang) -> &'static str {
    lang.pick("异地就医直接结算服务", "Cross-region medical settlement")
}

/// A complete HTML document.
pub fn page(p: &Page<'_>) -> String {
    let lang = p.lang;
    let mut out = String::with_capacity(p.body.len() + 4096);
    out.push_str("<!doctype html>\n");
    out.push_str(&format!("<html lang=\"{}\">\n<head>\n", lang.html_lang()));
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{} · {}</title>\n", escape(p.title), escape(site_name(lang))));
    out.push_str(&format!("<link rel=\"stylesheet\" href=\"{CSS_PATH}\">\n"));
    out.push_str("</head>\n<body>\n");
    out.push_str(&format!(
        "<a class=\"skip\" href=\"#main\">{}</a>\n",
        lang.pick("跳到正文", "Skip to main content")
    ));
    out.push_str("<header class=\"site\">\n<div class=\"bar\">\n");
    out.push_str(&format!("<a class=\"brand\" href=\"/\">{}</a>\n", escape(site_name(lang))));
    out.push_str("<div class=\"tools\">\n");
    out.push_str(p.account_html);
    let other = lang.other();
    out.push_str(&format!(
        "<a class=\"lang-switch\" href=\"{}\" hreflang=\"{}\" lang=\"{}\">{}</a>\n",
        escape(&with_lang(p.here, other)),
        other.html_lang(),
        other.html_lang(),
        other.name()
    ));
    out.push_str("</div>\n</div>\n");
    if !p.nav.is_empty() {
        out.push_str(&format!("<nav aria-label=\"{}\"><ul>\n", lang.pick("主导航", "Main")));
        for link in p.nav {
            let current = if link.current { " aria-current=\"page\"" } else { "" };
            out.push_str(&format!(
                "<li><a href=\"{}\"{current}>{}</a></li>\n",
                escape(&link.href),
                escape(&link.label)
            ));
        }
        out.push_str("</ul></nav>\n");
    }
    out.push_str("</header>\n<main id=\"main\" tabindex=\"-1\">\n");
    out.push_str(p.body);
    out.push_str("\n</main>\n<footer class=\"site\">\n");
    out.push_str(&format!(
        "<p>{}</p>\n",
        lang.pick(
            "本服务遵循“就医地目录、参保地政策”。页面所示金额为按当前政策计算的结果；如有疑问请联系参保地医保经办机构。",
            "Settlement follows the treatment place's catalog and the insured place's policy. Amounts shown are computed under the current policy; ask your insured region's agency if in doubt."
        )
    ));
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

/// The portal's top sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Home,
    Where,
    Estimate,
    Mine,
    None,
}

/// The portal's navigation; "我的" links to the sign-in page when signed out.
pub fn public_nav(lang: Lang, current: Section, signed_in: bool) -> Vec<NavLink> {
    let link = |href: &str, zh: &str, en: &str, section: Section| NavLink {
        href: href.to_string(),
        label: lang.pick(zh, en).to_string(),
        current: current == section,
    };
    let mine = if signed_in {
        link("/me", "我的备案与结算", "My filings & settlements", Section::Mine)
    } else {
        link("/signin", "登录 / 激活", "Sign in / activate", Section::Mine)
    };
    vec![
        link("/", "首页", "Home", Section::Home),
        link("/where", "我能在哪里直接结算", "Where can I settle", Section::Where),
        link("/estimate", "我要付多少", "What will I pay", Section::Estimate),
        mine,
    ]
}

/// The header's account box for a signed-in user: who (already masked by the caller) and a
/// sign-out button posting to `signout_action` with the CSRF token.
pub fn account_box(lang: Lang, who_masked: &str, signout_action: &str, csrf_token: &str) -> String {
    format!(
        "<form class=\"account\" method=\"post\" action=\"{}\"><span>{}</span>\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\" class=\"link\">{}</button></form>\n",
        escape(signout_action),
        escape(who_masked),
        escape(csrf_token),
        lang.pick("退出", "Sign out")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(lang: Lang, title: &str) -> String {
        let nav = public_nav(lang, Section::Where, false);
        page(&Page { lang, title, here: "/where?province=32", nav: &nav, account_html: "", body: "<p>x</p>" })
    }

    #[test]
    fn page_has_lang_skip_link_stylesheet_and_switch() {
        let html = sample(Lang::Zh, "我能在哪里直接结算");
        assert!(html.contains("<html lang=\"zh-CN\">"));
        assert!(html.contains("href=\"#main\""));
        assert!(html.contains("<main id=\"main\""));
        assert!(html.contains("href=\"/assets/site.css\""));
        assert!(html.contains("href=\"/where?province=32&amp;lang=en\""));
        assert!(html.contains("aria-current=\"page\">我能在哪里直接结算"));
        let en = sample(Lang::En, "Where");
        assert!(en.contains("<html lang=\"en\">"));
        assert!(en.contains("lang=zh") && en.contains(">中文</a>"));
        assert!(en.contains("Skip to main content"));
    }

    #[test]
    fn title_is_escaped() {
        let html = sample(Lang::Zh, "<script>alert(1)</script>");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn no_external_references() {
        let html = sample(Lang::Zh, "t");
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(
            !SITE_CSS.contains("http://") && !SITE_CSS.contains("https://") && !SITE_CSS.contains("@import")
        );
    }
}
