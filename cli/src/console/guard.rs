//! The console's gate, run before every route: the Host a loopback console answers to, the
//! access token (query on the first load, then a cookie; or the `X-Pyun-Token` header), and
//! for a POST the token in a header or form field with a same-origin `Origin`, and not
//! `--read-only`. Also the headers every answer carries (no caching, no framing, no referrer
//! that could carry the token away, scripts only from the console itself).

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::{Lang, Shared};
use pyun_core::Msg;

/// The header a page's POST carries the token in.
pub const TOKEN_HEADER: &str = "x-pyun-token";

/// The largest form body read for its `token` field.
const MAX_FORM: usize = 64 * 1024;

/// Compares in time independent of where the strings differ (a token must not be guessable
/// byte by byte from response times); hand-written: eight lines, no crate needed.
fn same(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The cookie's name: per port, since browsers share cookies between the ports of a host.
pub fn cookie_name(s: &Shared) -> String {
    format!("pyun_console_{}", s.local.port())
}

/// The `host:port` forms this console answers to: its address, and `localhost` when it is
/// bound to loopback. `None` when bound elsewhere (`--allow-remote`): any name may reach it.
fn allowed_hosts(s: &Shared) -> Option<Vec<String>> {
    let ip = s.local.ip();
    if !ip.is_loopback() {
        return None;
    }
    let port = s.local.port();
    let addr = match ip {
        std::net::IpAddr::V6(v6) => format!("[{}]:{}", v6, port),
        std::net::IpAddr::V4(v4) => format!("{}:{}", v4, port),
    };
    Some(vec![addr, format!("localhost:{}", port)])
}

fn header_str(h: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn cookie_token(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A refusal: one line of text in the request's language.
fn refuse(status: StatusCode, why: Msg, lang: Lang) -> Response {
    (status, format!("{}\n", why.text(lang, &[]))).into_response()
}

/// The Origin of a POST must be this console's own page.
fn same_origin(s: &Shared, h: &HeaderMap) -> bool {
    let Some(origin) = header_str(h, header::ORIGIN) else {
        return false;
    };
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    match allowed_hosts(s) {
        Some(hosts) => hosts.iter().any(|h| h == rest),
        // Bound elsewhere: the origin must name the host the request was sent to.
        None => header_str(h, header::HOST) == Some(rest),
    }
}

/// The gate (an axum middleware).
pub async fn check(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let mut answer = gate(&s, req, next).await;
    let h = answer.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    answer
}

async fn gate(s: &Shared, req: Request, next: Next) -> Response {
    let lang = s.lang_of(query_param(req.uri().query(), "lang").as_deref());
    if let Some(hosts) = allowed_hosts(s) {
        // Another Host on a loopback console is a page of another site reaching it through
        // DNS rebinding.
        if !header_str(req.headers(), header::HOST).is_some_and(|h| hosts.iter().any(|a| a == h)) {
            return refuse(StatusCode::FORBIDDEN, Msg::ConsoleUnexpectedHost, lang);
        }
    }
    let cookie = cookie_name(s);
    let from_query = query_param(req.uri().query(), "token");
    let from_header = header_str(req.headers(), TOKEN_HEADER).map(str::to_string);
    let from_cookie = cookie_token(req.headers(), &cookie);
    let post = req.method() == Method::POST;
    if post {
        return post_gate(s, req, next, from_header, lang).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, Msg::ConsoleMethod, lang);
    }
    let given = [&from_header, &from_query, &from_cookie]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    if given.is_empty() {
        return refuse(StatusCode::UNAUTHORIZED, Msg::ConsoleNoToken, lang);
    }
    if !given.iter().all(|t| same(t, &s.token)) {
        return refuse(StatusCode::FORBIDDEN, Msg::ConsoleWrongToken, lang);
    }
    let set_cookie = from_query.is_some() && from_cookie.as_deref() != Some(s.token.as_str());
    let mut answer = next.run(req).await;
    if set_cookie {
        let c = format!("{}={}; HttpOnly; SameSite=Strict; Path=/", cookie, s.token);
        if let Ok(v) = HeaderValue::from_str(&c) {
            answer.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    answer
}

/// A POST: the token in the header or a form field (a cookie alone is what a cross-site form
/// would send), a same-origin `Origin`, and not read-only.
async fn post_gate(
    s: &Shared,
    req: Request,
    next: Next,
    header: Option<String>,
    lang: Lang,
) -> Response {
    if !same_origin(s, req.headers()) {
        return refuse(StatusCode::FORBIDDEN, Msg::ConsoleOrigin, lang);
    }
    let form = header_str(req.headers(), header::CONTENT_TYPE)
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let (req, token) = match header {
        Some(t) => (req, Some(t)),
        None if form => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
                return refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Msg::ConsoleFormTooLarge,
                    lang,
                );
            };
            let token = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned());
            (Request::from_parts(parts, Body::from(bytes)), token)
        }
        None => (req, None),
    };
    match token {
        None => refuse(StatusCode::UNAUTHORIZED, Msg::ConsolePostNoToken, lang),
        Some(t) if !same(&t, &s.token) => {
            refuse(StatusCode::FORBIDDEN, Msg::ConsoleWrongToken, lang)
        }
        Some(_) if s.read_only => refuse(StatusCode::FORBIDDEN, Msg::ConsoleReadOnlyRefused, lang),
        Some(_) => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn same_compares_whole_strings() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", "a"));
    }
}
