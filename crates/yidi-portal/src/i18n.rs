//! The page language: Chinese first, English on request.
//!
//! A page is rendered in one [`Lang`]. The HTTP edge picks it from `?lang=zh|en`, else the
//! `yidi_lang` cookie (set whenever `?lang=` is given), else Chinese. Text is chosen in place with
//! [`Lang::pick`] (`lang.pick("参保地", "Insured region")`), so each string and its translation sit
//! side by side and a missing translation is a compile-time absence, not a runtime lookup miss.

/// The cookie that remembers the chosen language (`zh` or `en`).
pub const LANG_COOKIE: &str = "yidi_lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh` / `en` (also the cookie and query value).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of the HTML `lang` attribute.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a query or cookie value; anything else is `None`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim() {
            "zh" | "zh-CN" | "zh-cn" | "cn" => Some(Lang::Zh),
            "en" | "EN" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    /// The query value wins over the cookie; Chinese by default.
    pub fn choose(query: Option<&str>, cookie: Option<&str>) -> Lang {
        query.and_then(Lang::parse).or_else(|| cookie.and_then(Lang::parse)).unwrap_or_default()
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The switch link's own label, in the target language ("English" / "中文").
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }

    /// Picks the text of this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// `here` (a path with an optional query) with its `lang` parameter set to `to`; other
/// parameters are kept in order. Used for the language switch link on every page.
pub fn with_lang(here: &str, to: Lang) -> String {
    with_param(here, "lang", to.code())
}

/// `here` with the query parameter `name` set to `value` (replacing any previous value).
/// `value` must already be URL-safe (see [`url_encode`]).
pub fn with_param(here: &str, name: &str, value: &str) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut out = String::with_capacity(here.len() + name.len() + value.len() + 2);
    out.push_str(path);
    let mut sep = '?';
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        if key == name {
            continue;
        }
        out.push(sep);
        out.push_str(pair);
        sep = '&';
    }
    out.push(sep);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    out
}

/// `here` without the query parameter `name`.
pub fn without_param(here: &str, name: &str) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split_once('=').map_or(*p, |(k, _)| k) != name)
        .collect();
    if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) }
}

/// Percent-encodes text for a query value (RFC 3986 unreserved characters stay).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_over_cookie_and_chinese_is_the_default() {
        assert_eq!(Lang::choose(Some("en"), Some("zh")), Lang::En);
        assert_eq!(Lang::choose(None, Some("en")), Lang::En);
        assert_eq!(Lang::choose(Some("klingon"), None), Lang::Zh);
        assert_eq!(Lang::choose(None, None), Lang::Zh);
    }

    #[test]
    fn switch_link_replaces_only_the_lang_parameter() {
        assert_eq!(with_lang("/", Lang::En), "/?lang=en");
        assert_eq!(
            with_lang("/facilities?city=3201&lang=zh&page=2", Lang::En),
            "/facilities?city=3201&page=2&lang=en"
        );
        assert_eq!(with_param("/f?page=2", "page", "3"), "/f?page=3");
        assert_eq!(without_param("/f?a=1&q=x&b=2", "q"), "/f?a=1&b=2");
        assert_eq!(without_param("/f?q=x", "q"), "/f");
    }

    #[test]
    fn url_encoding_keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(url_encode("a b&c=中"), "a%20b%26c%3D%E4%B8%AD");
    }
}
