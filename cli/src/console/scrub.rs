//! The last look at every JSON answer of the console: a URL's `user:password@` becomes
//! `***@`, and an `app_secret=` value that is not already `***` becomes `***`. The stores hold
//! neither (URLs are kept without their password, the platform masks the secret in its hints);
//! this keeps it so whatever a future store, gateway or platform answer holds. Hand-written:
//! two patterns on strings the console already has, not worth a regex engine.

use serde_json::Value;

/// Every string in `v`, scrubbed.
pub fn scrub(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(clean) = scrub_text(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

/// `text` scrubbed, or `None` when there was nothing to take out.
fn scrub_text(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    loop {
        let url = rest.find("://");
        let secret = rest.find("app_secret=");
        match (url, secret) {
            (Some(u), s) if s.is_none_or(|s| u < s) => {
                let start = u + 3;
                out.push_str(&rest[..start]);
                let tail = &rest[start..];
                // The authority ends at the path, query, fragment, or what cannot be in a URL.
                let end = tail
                    .find(|c: char| {
                        matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '\\')
                            || c.is_whitespace()
                    })
                    .unwrap_or(tail.len());
                match tail[..end].rfind('@') {
                    Some(at) => {
                        out.push_str("***");
                        out.push_str(&tail[at..end]);
                        changed = true;
                    }
                    None => out.push_str(&tail[..end]),
                }
                rest = &tail[end..];
            }
            (_, Some(s)) => {
                let start = s + "app_secret=".len();
                out.push_str(&rest[..start]);
                let tail = &rest[start..];
                let end = tail
                    .find(|c: char| matches!(c, '&' | ']' | '"' | '\'') || c.is_whitespace())
                    .unwrap_or(tail.len());
                if &tail[..end] != "***" && end > 0 {
                    changed = true;
                }
                out.push_str("***");
                rest = &tail[end..];
            }
            _ => {
                out.push_str(rest);
                break;
            }
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::scrub_text;

    #[test]
    fn url_passwords_and_secrets_are_taken_out() {
        assert_eq!(
            scrub_text("POST https://u:p%40ss@gw.example/gate/enter: 503").as_deref(),
            Some("POST https://***@gw.example/gate/enter: 503")
        );
        assert_eq!(
            scrub_text("sign[a=1&app_secret=TOPSECRET]").as_deref(),
            Some("sign[a=1&app_secret=***]")
        );
        assert_eq!(
            scrub_text("x http://a:b@h:1 and http://c:d@h2/p").as_deref(),
            Some("x http://***@h:1 and http://***@h2/p")
        );
        // Already clean: nothing to change.
        assert_eq!(scrub_text("签名验证不通过[a=1&app_secret=***]"), None);
        assert_eq!(
            scrub_text("https://***@gw/x"),
            Some("https://***@gw/x".into())
        );
        assert_eq!(scrub_text("http://127.0.0.1:8040/gate"), None);
        assert_eq!(scrub_text("plain"), None);
    }
}
