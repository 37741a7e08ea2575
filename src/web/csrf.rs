//! Cross-site request forgery: every state-changing form carries its session's token in a
//! hidden field (the synchronizer token pattern), checked on every POST, and a request that
//! names an `Origin` must name ours. Pure: the extractor in `page` applies it.

/// The hidden field's name.
pub const FIELD: &str = "csrf_token";

/// Whether `given` is the session's token, compared in constant time (the time taken says
/// nothing of how much of a guess was right).
pub fn matches(expected: &str, given: Option<&str>) -> bool {
    let Some(given) = given else {
        return false;
    };
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request came from a page of this site, by the headers the browser sets and
/// pages cannot: `Origin` (when given, it must be ours) and `Sec-Fetch-Site` (when given,
/// `same-origin`, or `none` for a request the person made themselves). Under our
/// `Referrer-Policy: no-referrer` a browser sends `Origin: null` on our own forms, so `null`
/// passes only when `Sec-Fetch-Site` vouches for it; a sandboxed frame elsewhere sends `null`
/// with `cross-site`.
pub fn same_origin(
    origin: Option<&str>,
    fetch_site: Option<&str>,
    scheme: &str,
    host: &str,
) -> bool {
    let ours = format!("{scheme}://{host}");
    let origin_ok = match origin {
        None => true,
        Some("null") => fetch_site == Some("same-origin"),
        Some(origin) => origin.eq_ignore_ascii_case(&ours),
    };
    let site_ok = matches!(fetch_site, None | Some("same-origin") | Some("none"));
    origin_ok && site_ok
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
pub fn field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        assert!(matches("abc123", Some("abc123")));
        assert!(!matches("abc123", Some("abc124")));
        assert!(!matches("abc123", Some("abc12")));
        assert!(!matches("abc123", None));
        assert!(!matches("", Some("")));
    }

    #[test]
    fn an_origin_must_be_ours_when_it_is_given() {
        let host = "localhost:8080";
        assert!(same_origin(None, None, "http", host));
        assert!(same_origin(
            Some("http://localhost:8080"),
            None,
            "http",
            host
        ));
        assert!(!same_origin(
            Some("https://evil.example"),
            None,
            "http",
            host
        ));
        assert!(!same_origin(
            Some("http://localhost:8080"),
            None,
            "https",
            host
        ));
        assert!(!same_origin(Some("null"), None, "http", host));
    }

    #[test]
    fn the_browsers_fetch_site_must_be_this_site() {
        let host = "localhost:8080";
        assert!(same_origin(Some("null"), Some("same-origin"), "http", host));
        assert!(!same_origin(Some("null"), Some("cross-site"), "http", host));
        assert!(!same_origin(None, Some("same-site"), "http", host));
        assert!(same_origin(None, Some("none"), "http", host));
        assert!(!same_origin(
            Some("https://evil.example"),
            Some("same-origin"),
            "http",
            host
        ));
    }

    #[test]
    fn the_token_is_read_from_a_form_body() {
        let body = b"name=Ana+Lopez&csrf_token=t%2Bk&x=1";
        assert_eq!(field(body, FIELD).as_deref(), Some("t+k"));
        assert_eq!(field(b"name=Ana", FIELD), None);
    }
}
