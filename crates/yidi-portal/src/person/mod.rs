//! The signed-in person's pages: activation, sign-in, "我的" (identity masked, year-to-date
//! deductible and caps, latest settlements), "我的备案" (file, change, cancel under the
//! commitment statement, with refusals explained), "我的结算" and one settlement explained to the
//! fen, "我的手工报销" (each manual reimbursement's status, amounts and explanation). Every form that changes something posts the session's CSRF token (hidden field `csrf`);
//! the sign-in and activation forms, before any session, post a double-submit token instead.
//!
//! Inputs are the hub's person views (`yidi_hub::PersonMe`, `PersonFilings`, `YearToDate`,
//! `SettlementRow`) and, for one settlement, [`SettlementFigures`] read from its national output by
//! the HTTP edge. Identity numbers arrive masked; this module never receives a full one, and it
//! shows the person's name masked too (a page may be left open on a shared screen).

mod filings;
mod reimbursements;
mod settlement;

pub use filings::{FilingForm, filings_page};
pub use reimbursements::reimbursements_page;
pub use settlement::{SettlementFigures, settlement_page, settlements_page};

use yidi_hub::{PersonIdentity, PersonMe, SettlementRow, YearToDate};

use crate::html::escape;
use crate::i18n::Lang;
use crate::layout::{Section, account_box};
use crate::public::{Ctx, portal_page};

/// Where the sign-out form posts.
pub const SIGN_OUT_PATH: &str = "/signout";

/// The header's account box for a signed-in person: masked name and number, sign-out.
pub fn person_account_html(lang: Lang, who: &PersonIdentity, csrf: &str) -> String {
    account_box(lang, &format!("{} {}", who.psn_name, who.certno), SIGN_OUT_PATH, csrf)
}

/// A notice: `kind` is `ok`, `error` or `warn`.
pub fn notice(kind: &str, text: &str) -> String {
    let role = if kind == "error" { "alert" } else { "status" };
    format!("<div class=\"notice {kind}\" role=\"{role}\" id=\"notice\">{}</div>\n", escape(text))
}

fn text_field(id: &str, name: &str, label: &str, kind: &str, value: &str, extra: &str) -> String {
    format!(
        "<div class=\"field\"><label for=\"{id}\">{label}</label><input type=\"{kind}\" id=\"{id}\" name=\"{name}\" value=\"{}\"{extra}></div>\n",
        escape(value)
    )
}

/// The hidden field carrying a form's CSRF token.
fn csrf_field(csrf: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n", escape(csrf))
}

/// The sign-in page; `message` is an error to show (already in the page's language or Chinese);
/// `csrf` is the pre-sign-in double-submit token (the same value is in a cookie).
pub fn signin_page(ctx: &Ctx, certno: &str, message: Option<&str>, csrf: &str) -> String {
    let lang = ctx.lang;
    let mut b = format!("<h1>{}</h1>\n", lang.pick("登录", "Sign in"));
    if let Some(m) = message {
        b.push_str(&notice("error", m));
    }
    b.push_str("<form method=\"post\" action=\"/signin\" class=\"card\" id=\"signin-form\">\n");
    b.push_str(&csrf_field(csrf));
    b.push_str("<div class=\"form-grid\">\n");
    b.push_str(&text_field(
        "s-certno",
        "certno",
        lang.pick("身份证号", "Identity number"),
        "text",
        certno,
        " autocomplete=\"username\" maxlength=\"18\" required",
    ));
    b.push_str(&text_field(
        "s-password",
        "password",
        lang.pick("密码", "Password"),
        "password",
        "",
        " autocomplete=\"current-password\" maxlength=\"128\" required",
    ));
    b.push_str(&format!(
        "</div>\n<div class=\"actions\"><button type=\"submit\" id=\"signin-submit\">{}</button></div>\n</form>\n",
        lang.pick("登录", "Sign in")
    ));
    b.push_str(&format!(
        "<p>{} <a href=\"/activate\">{}</a></p>\n",
        lang.pick("第一次使用，或忘记了密码？", "First time here, or forgot your password?"),
        lang.pick("用激活码设置密码", "Set your password with an activation code")
    ));
    portal_page(ctx, Section::Mine, lang.pick("登录", "Sign in"), &b)
}

/// The activation page: identity number, the one-time code and the new password (twice);
/// `csrf` as for [`signin_page`].
pub fn activate_page(ctx: &Ctx, certno: &str, message: Option<&str>, csrf: &str) -> String {
    let lang = ctx.lang;
    let mut b = format!(
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
        lang.pick("激活账号 / 设置密码", "Activate your account / set a password"),
        lang.pick(
            "激活码由您参保地的医保经办机构发放（72 小时内有效，只能用一次）。设置密码后即可登录办理备案、查看结算。",
            "Your insured region's agency gives you the activation code (valid 72 hours, once). After setting a password you can sign in to file and see your settlements."
        )
    );
    if let Some(m) = message {
        b.push_str(&notice("error", m));
    }
    b.push_str("<form method=\"post\" action=\"/activate\" class=\"card\" id=\"activate-form\">\n");
    b.push_str(&csrf_field(csrf));
    b.push_str("<div class=\"form-grid\">\n");
    b.push_str(&text_field(
        "a-certno",
        "certno",
        lang.pick("身份证号", "Identity number"),
        "text",
        certno,
        " autocomplete=\"username\" maxlength=\"18\" required",
    ));
    b.push_str(&text_field(
        "a-code",
        "code",
        lang.pick("激活码", "Activation code"),
        "text",
        "",
        " autocomplete=\"one-time-code\" maxlength=\"32\" required",
    ));
    b.push_str(&text_field(
        "a-password",
        "password",
        lang.pick("新密码（至少 8 位）", "New password (8+ characters)"),
        "password",
        "",
        " autocomplete=\"new-password\" maxlength=\"128\" required",
    ));
    b.push_str(&text_field(
        "a-password2",
        "password2",
        lang.pick("再次输入新密码", "New password again"),
        "password",
        "",
        " autocomplete=\"new-password\" maxlength=\"128\" required",
    ));
    b.push_str(&format!(
        "</div>\n<div class=\"actions\"><button type=\"submit\" id=\"activate-submit\">{}</button></div>\n</form>\n",
        lang.pick("激活并登录", "Activate and sign in")
    ));
    portal_page(ctx, Section::Mine, lang.pick("激活账号", "Activate"), &b)
}

/// "我的": who (masked), scheme and account, the year's deductible and caps, the latest settlements.
pub fn me_page(ctx: &Ctx, me: &PersonMe, ytd: &YearToDate, latest: &[SettlementRow]) -> String {
    let lang = ctx.lang;
    let id = &me.identity;
    let mut b = format!("<h1>{}</h1>\n", lang.pick("我的医保", "My insurance"));
    b.push_str(&format!(
        "<dl class=\"facts\" id=\"me-facts\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd id=\"me-certno\">{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} · {}</dd><dt>{}</dt><dd>{} {}</dd></dl>\n",
        lang.pick("姓名", "Name"),
        escape(&id.psn_name),
        lang.pick("身份证号", "Identity number"),
        escape(&id.certno),
        lang.pick("参保地", "Insured region"),
        escape(&me.insuplc_name),
        lang.pick("险种 / 人员类别", "Scheme / group"),
        escape(match (lang, me.insutype.as_str()) {
            (Lang::En, "310") => "Employee basic medical insurance",
            (Lang::En, "390") => "Urban and rural resident basic medical insurance",
            _ => me.insutype_name,
        }),
        escape(match (lang, me.psn_group.as_str()) {
            (Lang::En, "in_service") => "in service",
            (Lang::En, "retired") => "retired",
            (Lang::En, "adult") => "adult resident",
            (Lang::En, "minor") => "minor resident",
            _ => me.psn_group_name,
        }),
        lang.pick("个人账户余额", "Account balance"),
        escape(&me.acct_balance),
        lang.pick("元", "yuan"),
    ));
    b.push_str("<div class=\"actions\">");
    b.push_str(&format!(
        "<a class=\"button\" href=\"/me/filings\">{}</a>",
        lang.pick("我的备案（办理、变更、取消）", "My filings (file, change, cancel)")
    ));
    b.push_str(&format!(
        "<a class=\"button secondary\" href=\"/me/settlements\">{}</a>",
        lang.pick("我的结算", "My settlements")
    ));
    b.push_str(&format!(
        "<a class=\"button secondary\" href=\"/me/reimbursements\">{}</a>",
        lang.pick("我的手工报销", "My manual reimbursements")
    ));
    b.push_str("</div>\n");
    b.push_str(&ytd_html(lang, ytd));
    b.push_str(&format!("<h2>{}</h2>\n", lang.pick("最近的结算", "Latest settlements")));
    b.push_str(&settlement::rows_html(lang, latest));
    portal_page(ctx, Section::Mine, lang.pick("我的医保", "My insurance"), &b)
}

fn pool_name(lang: Lang, pool: &str) -> String {
    let (zh, en) = match pool {
        "outpatient" => ("普通门诊", "General outpatient"),
        "inpatient" => ("住院", "Inpatient"),
        "chronic" => ("门诊慢特病", "Chronic diseases"),
        _ => ("", ""),
    };
    if zh.is_empty() { pool.to_string() } else { lang.pick(zh, en).to_string() }
}

fn ytd_html(lang: Lang, y: &YearToDate) -> String {
    let mut b = format!(
        "<section aria-labelledby=\"ytd-h\"><h2 id=\"ytd-h\">{} {}</h2>\n<p class=\"muted\">{}</p>\n",
        y.policy_year,
        lang.pick("年度累计：起付线与限额", "year to date: deductible and caps"),
        lang.pick(
            "每一类待遇的起付线已付多少、统筹基金已付多少、年度限额还剩多少。下一笔结算从这里接着算。",
            "For each benefit pool: deductible paid, fund paid, and what is left of the annual cap. The next settlement continues from here."
        )
    );
    b.push_str("<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"ytd-h\"><table id=\"ytd\"><thead><tr>");
    for (zh, en, num) in [
        ("待遇", "Pool", false),
        ("已付起付线（元）", "Deductible paid (yuan)", true),
        ("统筹基金已付（元）", "Fund paid (yuan)", true),
        ("年度限额（元）", "Annual cap (yuan)", true),
        ("限额剩余（元）", "Cap left (yuan)", true),
        ("住院次数", "Admissions", true),
    ] {
        b.push_str(&format!(
            "<th scope=\"col\"{}>{}</th>",
            if num { " class=\"num\"" } else { "" },
            lang.pick(zh, en)
        ));
    }
    b.push_str("</tr></thead><tbody>");
    let none = lang.pick("不设", "none");
    for p in &y.pools {
        b.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&pool_name(lang, &p.cap_pool)),
            escape(&p.deductible_paid),
            escape(&p.fund_paid),
            escape(p.annual_cap.as_deref().unwrap_or(none)),
            escape(p.cap_left.as_deref().unwrap_or(none)),
            p.admissions
        ));
    }
    b.push_str("</tbody></table></div>\n");
    b.push_str(&format!(
        "<p>{} {} · {} {} · {} {}</p></section>\n",
        lang.pick("大额医疗补助已付", "Large-amount subsidy paid"),
        escape(&y.hifob_paid),
        lang.pick("大病保险已付", "Critical-illness insurance paid"),
        escape(&y.hifmi_paid),
        lang.pick("医疗救助已付", "Medical assistance paid"),
        escape(&y.maf_paid),
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_box_shows_only_masked_identity_and_posts_csrf() {
        let who = PersonIdentity {
            psn_no: "P1".into(),
            certno: "320***********1234".into(),
            psn_name: "王*".into(),
            insuplc_admdvs: "320100".into(),
        };
        let html = person_account_html(Lang::Zh, &who, "abc\"def");
        assert!(html.contains("王* 320***********1234"));
        assert!(html.contains("name=\"csrf\" value=\"abc&quot;def\""));
        assert!(html.contains("action=\"/signout\""));
    }

    #[test]
    fn sign_in_form_labels_every_field_and_escapes_what_was_typed() {
        let html = signin_page(&Ctx::default(), "\"><script>", Some("<b>错</b>"), "t0k\"en");
        assert!(html.contains("<label for=\"s-certno\">") && html.contains("<label for=\"s-password\">"));
        assert!(!html.contains("<script>") && !html.contains("<b>错"));
    }

    /// Both forms that start a session carry the pre-sign-in token (login CSRF).
    #[test]
    fn sign_in_and_activation_forms_carry_the_token() {
        for html in [
            signin_page(&Ctx::default(), "", None, "t0k\"en"),
            activate_page(&Ctx::default(), "", None, "t0k\"en"),
        ] {
            let form = html.split("<form").nth(1).expect("a form").split("</form>").next().unwrap();
            assert!(form.contains("<input type=\"hidden\" name=\"csrf\" value=\"t0k&quot;en\">"), "{form}");
        }
    }
}
