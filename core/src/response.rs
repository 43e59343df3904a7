//! The platform's answers: parsing, classification per endpoint, and the failure types.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnosis::Diagnosis;
use crate::endpoint::Endpoint;
use crate::messages::{Lang, Msg, Text};

/// The platform's JSON answer. HTTP non-200 responses carry it too, so it is always read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// `200`, `1001`, `400`, `401`, `403`, `500`, `503`, ...
    #[serde(default)]
    pub code: String,
    /// Human-readable message (Chinese).
    #[serde(default)]
    pub message: String,
    /// What went wrong, in detail: for a signature failure, the platform's canonical string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The platform's log id: quote it to the platform's support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seqno: Option<String>,
    /// The platform node that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_node: Option<String>,
    /// `POST /gate/...` as the platform saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Any other fields, kept.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Response {
    /// Parses a response body. Codes sent as numbers are read as their decimal text.
    /// A body that is not a JSON object (a proxy's HTML error page) gives `None`.
    pub fn parse(body: &[u8]) -> Option<Response> {
        let mut v: Value = serde_json::from_slice(body).ok()?;
        let obj = v.as_object_mut()?;
        if let Some(Value::Number(n)) = obj.get("code") {
            let text = n.to_string();
            obj.insert("code".into(), Value::String(text));
        }
        serde_json::from_value(v).ok()
    }

    /// The hint, if present and not blank.
    pub fn hint(&self) -> Option<&str> {
        self.hint
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }
}

/// What a response means for the record that was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The platform took the record.
    Accepted,
    /// A success code with a `hint` (enter/leave's `200` + `已忽略当前请求`): the platform
    /// dropped the record, usually for a bad signature. The docs say to treat it as accepted once
    /// live, so one bad record cannot block the queue; while integrating it is a failure.
    Ignored,
    /// `400`: a parameter is missing or malformed.
    ParameterError,
    /// `401`: the signature was rejected (release/update).
    SignatureRejected,
    /// `403`: the request was blocked.
    Blocked,
    /// `500`/`503` or an HTTP 5xx without a body: worth retrying.
    ServerError,
    /// The platform's answer with a code pyun does not know (HTTP 200): not retried.
    Unknown,
    /// HTTP 429, from the platform or a gateway in front of it: retried, after its
    /// `Retry-After` ([`ApiFailure::retry_after`]) when it gives one.
    RateLimited,
    /// An answer that is not the platform's: no platform JSON body with a `code` (an HTML page
    /// with 200, a 404 from a proxy), or a 3xx (a captive portal's redirect). The record never
    /// reached the platform, so it is retried.
    NotPlatform,
}

impl Outcome {
    /// The snake_case name used in JSON, logs and the bindings.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Ignored => "ignored",
            Outcome::ParameterError => "parameter_error",
            Outcome::SignatureRejected => "signature_rejected",
            Outcome::Blocked => "blocked",
            Outcome::ServerError => "server_error",
            Outcome::Unknown => "unknown",
            Outcome::RateLimited => "rate_limited",
            Outcome::NotPlatform => "not_platform",
        }
    }

    /// Whether sending the same record again may succeed: server errors, 429 and answers that
    /// are not the platform's. Resending after a 400/401/403/ignored would get the same answer.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Outcome::ServerError | Outcome::RateLimited | Outcome::NotPlatform
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Classifies an answer for an endpoint. `response` is `None` when the body was not JSON.
///
/// Only the platform's own answer (a JSON body with a `code`) can refuse a record. Whatever a
/// proxy, load balancer or captive portal in front of it says (429, a 3xx, a 404 page, an
/// HTML page with 200) is retryable: the record never reached the platform, and dead-lettering
/// it would stop delivery over a network condition.
pub fn classify(endpoint: Endpoint, http_status: u16, response: Option<&Response>) -> Outcome {
    if http_status == 429 {
        return Outcome::RateLimited;
    }
    if (300..400).contains(&http_status) {
        return Outcome::NotPlatform;
    }
    let r = match response {
        Some(r) if !r.code.is_empty() => r,
        _ if http_status >= 500 => return Outcome::ServerError,
        _ => return Outcome::NotPlatform,
    };
    if endpoint.success_codes().contains(&r.code.as_str()) {
        return if r.hint().is_some() {
            Outcome::Ignored
        } else {
            Outcome::Accepted
        };
    }
    match r.code.as_str() {
        "400" => Outcome::ParameterError,
        "401" => Outcome::SignatureRejected,
        "403" => Outcome::Blocked,
        "500" | "503" => Outcome::ServerError,
        _ if http_status >= 500 => Outcome::ServerError,
        // The platform answers its unknown codes with HTTP 200; a code pyun does not know with
        // another status is a gateway's JSON error page.
        _ if http_status != 200 => Outcome::NotPlatform,
        _ => Outcome::Unknown,
    }
}

/// The delay a `Retry-After` header asks for: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, RFC 9110 section 10.2.3), counted from `now`. A date in
/// the past is no delay; an unreadable value is `None`.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<std::time::Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(std::time::Duration::from_secs(secs));
    }
    let at = crate::time::parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// Why no answer arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportErrorKind {
    /// Could not connect (refused, unreachable, DNS).
    Connect,
    /// The connect or overall timeout passed.
    Timeout,
    /// The connection dropped mid-request or the answer was cut.
    Io,
    /// TLS or certificate failure: not retried, it will not fix itself.
    Tls,
    /// A proxy or URL problem: not retried.
    Config,
}

impl TransportErrorKind {
    /// Whether another attempt may get an answer: the network's failures, not TLS or a
    /// proxy/URL problem, which will not fix themselves.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }

    /// Whether the failure came before anything of the request reached a server (no
    /// connection, no TLS session, a proxy or URL problem): the next record would meet it too,
    /// so an outbox drain stops there (a timeout or a connection cut while sending may be the
    /// record's own doing, a large photo, and does not stop it).
    pub fn is_connection_level(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect | TransportErrorKind::Tls | TransportErrorKind::Config
        )
    }
}

/// A request that got no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// The underlying message (never contains the secret: it is only ever in the body's hash);
    /// the network library's own words stay English.
    pub message: Text,
    /// How many attempts were made.
    pub attempts: u32,
}

impl TransportError {
    /// Whether a retry may help.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

impl TransportErrorKind {
    /// What happened, in `lang`.
    pub fn describe(self, lang: Lang) -> String {
        match self {
            TransportErrorKind::Connect => Msg::NetConnect,
            TransportErrorKind::Timeout => Msg::NetTimeout,
            TransportErrorKind::Io => Msg::NetDropped,
            TransportErrorKind::Tls => Msg::NetTls,
            TransportErrorKind::Config => Msg::NetProxyOrUrl,
        }
        .text(lang, &[])
    }
}

impl TransportError {
    /// The failure in `lang` (the underlying message is the network library's, in English).
    pub fn message(&self, lang: Lang) -> String {
        Msg::NetworkError.text(
            lang,
            &[
                &self.kind.describe(lang),
                &self.attempts,
                &self.message.render(lang),
            ],
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for TransportError {}

/// The most bytes of the platform's hint a failure's message shows (the JSON of the failure has
/// it whole).
pub const HINT_SHOWN: usize = 600;

/// The platform answered, and not with an acceptance.
#[derive(Clone, Debug)]
pub struct ApiFailure {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The classification.
    pub outcome: Outcome,
    /// The HTTP status.
    pub http_status: u16,
    /// The parsed answer (an empty one if the body was not JSON).
    pub response: Response,
    /// The raw body when it was not the platform's JSON (cut to 512 bytes).
    pub raw_body: Option<String>,
    /// What the hint says about our request, when there was a hint.
    pub diagnosis: Option<Diagnosis>,
    /// Attempts made.
    pub attempts: u32,
    /// The signed string we sent, secret masked.
    pub canonical_masked: String,
    /// How long the answer's `Retry-After` header asked to wait before sending again.
    pub retry_after: Option<std::time::Duration>,
}

impl ApiFailure {
    /// The answer in `lang`; the platform's hint as it wrote it.
    pub fn message(&self, lang: Lang) -> String {
        let mut m = if self.outcome == Outcome::NotPlatform {
            Msg::ApiNotPlatform.text(lang, &[&self.http_status, &self.endpoint])
        } else if self.outcome == Outcome::Ignored {
            Msg::ApiIgnored.text(
                lang,
                &[
                    &self.endpoint,
                    &format_args!("{:?}", self.response.code),
                    &format_args!("{:?}", self.response.message),
                    &self.http_status,
                ],
            )
        } else {
            Msg::ApiRefused.text(
                lang,
                &[
                    &self.outcome,
                    &self.endpoint,
                    &format_args!("{:?}", self.response.code),
                    &format_args!("{:?}", self.response.message),
                    &self.http_status,
                ],
            )
        };
        if let Some(wait) = self.retry_after {
            m += &Msg::ApiRetryAfter.text(lang, &[&wait.as_secs()]);
        }
        if let Some(seqno) = &self.response.seqno {
            m += &Msg::ApiSeqno.text(lang, &[seqno]);
        }
        if let Some(d) = &self.diagnosis {
            m += &Msg::ProblemSeparator.text(lang, &[]);
            m += &d.summary_in(lang);
        }
        // The platform's own words, bounded: a hint echoes the whole signed string.
        if let Some(h) = self.response.hint() {
            m += &Msg::ApiHint.text(lang, &[&crate::text::shown(h, HINT_SHOWN).render(lang)]);
        }
        if let Some(raw) = &self.raw_body {
            m += &Msg::ApiBody.text(lang, &[raw]);
        }
        m
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(json: &str) -> Response {
        Response::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn classifies_each_page_example() {
        let ok = r(
            r#"{"code":"200","message":"OK","seqno":"47ac4e615fa7d439","data_node":"CN-South/HS3-3"}"#,
        );
        assert_eq!(classify(Endpoint::Leave, 200, Some(&ok)), Outcome::Accepted);
        let ignored = r(
            r#"{"code":"200","message":"已忽略当前请求","hint":"签名验证不通过[a=1&app_secret=***]","seqno":"x"}"#,
        );
        assert_eq!(
            classify(Endpoint::Enter, 200, Some(&ignored)),
            Outcome::Ignored
        );
        let released = r(r#"{"code":"1001","message":"OK"}"#);
        assert_eq!(
            classify(Endpoint::Release, 200, Some(&released)),
            Outcome::Accepted
        );
        let sig = r(r#"{"code":"401","message":"请求签名校验不通过","hint":"a=1&app_secret=***"}"#);
        assert_eq!(
            classify(Endpoint::Update, 200, Some(&sig)),
            Outcome::SignatureRejected
        );
        assert_eq!(
            classify(Endpoint::Leave, 400, Some(&r(r#"{"code":"400"}"#))),
            Outcome::ParameterError
        );
        assert_eq!(
            classify(Endpoint::Leave, 200, Some(&r(r#"{"code":403}"#))),
            Outcome::Blocked
        );
        assert_eq!(
            classify(Endpoint::Leave, 503, Some(&r(r#"{"code":"503"}"#))),
            Outcome::ServerError
        );
        assert_eq!(classify(Endpoint::Leave, 502, None), Outcome::ServerError);
        assert_eq!(classify(Endpoint::Leave, 404, None), Outcome::NotPlatform);
        assert_eq!(classify(Endpoint::Leave, 200, None), Outcome::NotPlatform);
        assert_eq!(classify(Endpoint::Leave, 302, None), Outcome::NotPlatform);
        assert_eq!(classify(Endpoint::Leave, 429, None), Outcome::RateLimited);
        // A gateway's JSON error page: no code, or a code the platform does not use.
        assert_eq!(
            classify(Endpoint::Leave, 200, Some(&r(r#"{"error":"x"}"#))),
            Outcome::NotPlatform
        );
        assert_eq!(
            classify(Endpoint::Leave, 404, Some(&r(r#"{"code":404}"#))),
            Outcome::NotPlatform
        );
        assert!(Outcome::NotPlatform.is_retryable() && Outcome::RateLimited.is_retryable());
        assert_eq!(
            classify(Endpoint::Leave, 200, Some(&r(r#"{"code":"999"}"#))),
            Outcome::Unknown
        );
        assert!(Response::parse(b"<html>").is_none());
        let extra = r(r#"{"code":"200","new":1}"#);
        assert_eq!(extra.extra.get("new"), Some(&Value::from(1)));
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21 07:26:40 UTC
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(80))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert!(SystemTime::now() > now);
    }
}
