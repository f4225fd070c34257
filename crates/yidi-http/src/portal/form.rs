//! `application/x-www-form-urlencoded` text (query strings and form bodies) read into pairs, and
//! the request's cookies. Written here because the workspace's axum is built without its `query`
//! and `form` features; the rules are small: `&`-separated pairs, `+` is a space, `%XX` a byte,
//! invalid UTF-8 replaced.

/// Most pairs read from one query or body; the rest are ignored.
pub const PAIRS_MAX: usize = 100;

/// Decodes the pairs of a query string or form body, in order.
pub fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .take(PAIRS_MAX)
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value of `name`, or `""`.
pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .map(str::trim)
        .find_map(|c| c.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let p = pairs("name=%E5%8D%97%E4%BA%AC+%E5%8C%BB%E9%99%A2&page=2&x&bad=%ZZ%");
        assert_eq!(get(&p, "name"), "南京 医院");
        assert_eq!(get(&p, "page"), "2");
        assert_eq!(get(&p, "x"), "");
        assert_eq!(get(&p, "bad"), "%ZZ%");
        assert_eq!(get(&p, "missing"), "");
    }

    #[test]
    fn reads_cookies() {
        assert_eq!(cookie("a=1; yidi_lang=en; b=2", "yidi_lang"), Some("en"));
        assert_eq!(cookie("a=1", "yidi_lang"), None);
    }
}
