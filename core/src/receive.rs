//! Reading a push as it arrives over HTTP: from its `Content-Type` and body bytes, in any of the
//! encodings a sender may use (pages 000 and 004 say "form"; page 004's sample is a JSON object
//! under a bare `POST`; multipart is what form libraries send when told "form-data"):
//!
//! - `application/x-www-form-urlencoded`: UTF-8, or the `charset` the header declares (GBK,
//!   GB18030, ...); a value that does not decode is an error naming its field.
//! - `multipart/form-data`: text parts, read with a real parser (multer); a file part is refused.
//! - `application/json` (or `+json`): an object whose values are all strings; any other value
//!   is an error naming the field (the platform sends lists as JSON text inside a string).
//! - a missing or other type (`text/plain`, `application/octet-stream`, ...) is sniffed from the
//!   body, strictly; a body that looks like none of the three is refused, never guessed.
//!
//! A field given twice is an error in every encoding: which copy was signed cannot be known.
//! [`verify_request`] parses and verifies in one step and names the push's kind and key.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use serde::Serialize;
use serde_json::Value;

use crate::json_fields::kind_of_value;

use crate::error::{Error, Result};
use crate::messages::{Msg, Text};
use crate::secret::AppSecret;
use crate::sign::{self, EmptyRule, VerifyError, SIGN_FIELD};

/// How a push body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// A JSON object of strings.
    Json,
}

impl BodyEncoding {
    /// `form`, `multipart` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            BodyEncoding::Form => "form",
            BodyEncoding::Multipart => "multipart",
            BodyEncoding::Json => "json",
        }
    }
}

enum Detected {
    Form(Option<String>),
    Multipart(String),
    Json,
}

fn body_err(msg: Msg, args: &[&dyn std::fmt::Display]) -> Error {
    Error::Body(Text::new(msg, args))
}

/// The media type (lowercase, no parameters) and the parameters of a `Content-Type`.
fn split_content_type(ct: &str) -> (String, Vec<(String, String)>) {
    let mut parts = ct.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .collect();
    (media, params)
}

fn detect(content_type: Option<&str>, body: &[u8]) -> Result<Detected> {
    let ct = content_type.map(str::trim).filter(|c| !c.is_empty());
    if let Some(ct) = ct {
        let (media, params) = split_content_type(ct);
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        match media.as_str() {
            "application/x-www-form-urlencoded" => return Ok(Detected::Form(param("charset"))),
            "multipart/form-data" => {
                return match param("boundary").filter(|b| !b.is_empty()) {
                    Some(b) => Ok(Detected::Multipart(b)),
                    None => Err(body_err(Msg::BodyNoBoundary, &[])),
                }
            }
            "application/json" | "text/json" => return Ok(Detected::Json),
            m if m.ends_with("+json") => return Ok(Detected::Json),
            _ => {}
        }
    }
    sniff(body).ok_or_else(|| {
        let kinds = "application/x-www-form-urlencoded, multipart/form-data or application/json";
        match ct {
            Some(c) => body_err(Msg::BodyUnknownType, &[&format_args!("{:?}", c), &kinds]),
            None => body_err(Msg::BodyNoType, &[&kinds]),
        }
    })
}

/// Strict sniffing: a JSON object, a multipart body (its first line is the boundary), or a
/// urlencoded body (printable ASCII only, every pair with `=` and a name).
fn sniff(body: &[u8]) -> Option<Detected> {
    let text = std::str::from_utf8(body).ok()?;
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.starts_with('{') {
        return Some(Detected::Json);
    }
    if let Some(rest) = text.strip_prefix("--") {
        let line = rest.split('\n').next()?.trim_end_matches('\r');
        let next = rest.get(line.len()..)?.trim_start_matches(['\r', '\n']);
        if !line.is_empty()
            && !line.contains(char::is_whitespace)
            && next
                .to_ascii_lowercase()
                .starts_with("content-disposition:")
        {
            return Some(Detected::Multipart(line.to_string()));
        }
        return None;
    }
    let form_like = !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_graphic())
        && t.split('&')
            .all(|pair| matches!(pair.split_once('='), Some((k, _)) if !k.is_empty()));
    form_like.then_some(Detected::Form(None))
}

/// Which encoding a body is in, from its `Content-Type` (sniffed when missing or unknown).
pub fn body_encoding(content_type: Option<&str>, body: &[u8]) -> Result<BodyEncoding> {
    Ok(match detect(content_type, body)? {
        Detected::Form(_) => BodyEncoding::Form,
        Detected::Multipart(_) => BodyEncoding::Multipart,
        Detected::Json => BodyEncoding::Json,
    })
}

/// The fields of a received push, from its `Content-Type` (`None` when absent: sniffed) and
/// body, in the order received. See the module documentation for the rules.
pub fn parse_request(content_type: Option<&str>, body: &[u8]) -> Result<Vec<(String, String)>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(body_err(Msg::BodyEmpty, &[]));
    }
    let (fields, format) = match detect(content_type, body)? {
        Detected::Form(charset) => (parse_form(body, charset.as_deref())?, "urlencoded"),
        Detected::Multipart(boundary) => (parse_multipart(body, boundary)?, "multipart"),
        Detected::Json => (parse_json(body)?, "JSON"),
    };
    no_duplicates(&fields, format)?;
    Ok(fields)
}

/// A field twice is refused, naming the format that was parsed.
fn no_duplicates(fields: &[(String, String)], format: &str) -> Result<()> {
    let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    match keys.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(body_err(Msg::BodyFieldTwice, &[&format, &w[0]])),
        None => Ok(()),
    }
}

fn parse_form(body: &[u8], charset: Option<&str>) -> Result<Vec<(String, String)>> {
    let encoding = match charset {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| body_err(Msg::BodyCharset, &[&format_args!("{:?}", label)]))?,
    };
    let decode = |bytes: &[u8], what: &str| -> Result<String> {
        encoding
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned())
            .ok_or_else(|| body_err(Msg::BodyNotValid, &[&what, &encoding.name()]))
    };
    let body = body.trim_ascii();
    let mut out = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let unplus = |s: &[u8]| -> Vec<u8> {
            let s: Vec<u8> = s
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            percent_encoding::percent_decode(&s).collect()
        };
        let key = decode(&unplus(k), "a field name")?;
        let value = decode(&unplus(v), &format!("field `{}`", key))?;
        out.push((key, value));
    }
    Ok(out)
}

fn parse_json(body: &[u8]) -> Result<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).map_err(|_| body_err(Msg::BodyJsonNotUtf8, &[]))?;
    crate::json_fields::members(text)?
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            other => {
                // What the field would be as the platform sends it: the same JSON as text.
                let text = serde_json::to_string(&other).unwrap_or_default();
                let as_string = serde_json::to_string(&text).unwrap_or_default();
                let shown = if as_string.len() > 80 {
                    "\"...\"".to_string()
                } else {
                    as_string
                };
                Err(Error::Json(Text::of(
                    Msg::PushFieldNotString,
                    vec![k.into(), shown.into(), kind_of_value(&other)],
                )))
            }
        })
        .collect()
}

struct NoWake;
impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Runs a future that never waits: multer is async, but here its whole input is already in
/// memory, so one poll finishes it. (A blocking executor crate would add a dependency for this
/// one poll; a `Pending` would be a bug, reported as an error rather than a hang.)
fn run_ready<F: Future>(f: F) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(NoWake));
    let mut cx = Context::from_waker(&waker);
    let mut f = Box::pin(f);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

fn parse_multipart(body: &[u8], boundary: String) -> Result<Vec<(String, String)>> {
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(body.to_vec())]);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let read = async move {
        let mut out = Vec::new();
        while let Some(field) = multipart.next_field().await? {
            let name = field.name().map(str::to_string);
            let file = field.file_name().is_some();
            let bytes = field.bytes().await?;
            out.push((name, file, bytes));
        }
        Ok::<_, multer::Error>(out)
    };
    let parts = run_ready(read)
        .ok_or_else(|| body_err(Msg::BodyMultipartAtOnce, &[]))?
        .map_err(|e| body_err(Msg::BodyMultipart, &[&e]))?;
    parts
        .into_iter()
        .map(|(name, file, bytes)| {
            let name = name.ok_or_else(|| body_err(Msg::BodyPartNoName, &[]))?;
            if file {
                return Err(body_err(Msg::BodyPartFile, &[&name]));
            }
            let value = String::from_utf8(bytes.to_vec())
                .map_err(|_| body_err(Msg::BodyFieldNotUtf8, &[&name]))?;
            Ok((name, value))
        })
        .collect()
}

/// What a push is: its kind decides its idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PushKind {
    /// A payment order (page 004), keyed by `pay_serial`.
    Payment,
    /// A leave record (page 000), keyed by `parking_serial`.
    Leave,
    /// Neither key is present: keyed by its `sign` (the same push resent has the same sign).
    Unknown,
}

impl PushKind {
    /// `payment`, `leave` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            PushKind::Payment => "payment",
            PushKind::Leave => "leave",
            PushKind::Unknown => "unknown",
        }
    }

    /// The kind of a push and its key: `pay_serial` makes a payment order (which also carries
    /// a `parking_serial`), `parking_serial` alone a leave record; otherwise the `sign`.
    pub fn of(fields: &[(String, String)]) -> (PushKind, String) {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        if let Some(k) = get("pay_serial") {
            (PushKind::Payment, k)
        } else if let Some(k) = get("parking_serial") {
            (PushKind::Leave, k)
        } else {
            (PushKind::Unknown, get(SIGN_FIELD).unwrap_or_default())
        }
    }
}

/// A verified push, as received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReceivedPush {
    /// Payment order, leave record, or unknown.
    pub kind: PushKind,
    /// Its idempotency key (`pay_serial`, `parking_serial`, or the sign).
    pub key: String,
    /// How the body was encoded.
    pub encoding: BodyEncoding,
    /// Every field received, `sign` included, in the order received.
    pub fields: Vec<(String, String)>,
    /// The rule for empty values the signature matched.
    #[serde(skip)]
    pub empty_rule: EmptyRule,
}

impl ReceivedPush {
    /// The fields as a flat JSON object of strings (what the platform sent).
    pub fn fields_json(&self) -> String {
        let map: BTreeMap<&str, &str> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_json::to_string(&map).unwrap_or_default()
    }
}

/// Parses a received push ([`parse_request`]) and verifies its signature. A push without a
/// `sign` field is [`VerifyError::MissingSign`], not a mismatch.
pub fn verify_request(
    content_type: Option<&str>,
    body: &[u8],
    app_secret: &AppSecret,
) -> Result<ReceivedPush> {
    let encoding = body_encoding(content_type, body)?;
    let fields = parse_request(content_type, body)?;
    let empty_rule = sign::verify(&fields, app_secret)?;
    let (kind, key) = PushKind::of(&fields);
    Ok(ReceivedPush {
        kind,
        key,
        encoding,
        fields,
        empty_rule,
    })
}

/// Whether an error from [`verify_request`] is a missing `sign`.
pub fn is_missing_sign(e: &Error) -> bool {
    matches!(e, Error::Signature(VerifyError::MissingSign))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const MP: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n中 x&y=z\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n\r\n--XyZ--\r\n";

    #[test]
    fn each_encoding() {
        let want = f(&[("a", "中 x&y=z"), ("b", "")]);
        let form = "a=%E4%B8%AD+x%26y%3Dz&b=";
        let ct = "application/x-www-form-urlencoded; charset=UTF-8";
        assert_eq!(parse_request(Some(ct), form.as_bytes()).unwrap(), want);
        let mct = "multipart/form-data; boundary=XyZ";
        assert_eq!(parse_request(Some(mct), MP.as_bytes()).unwrap(), want);
        let json = r#"{"a":"中 x&y=z","b":""}"#;
        assert_eq!(
            parse_request(Some("application/json"), json.as_bytes()).unwrap(),
            want
        );
        // Sniffed without a content type, or with an unhelpful one.
        for ct in [None, Some("text/plain"), Some("application/octet-stream")] {
            assert_eq!(parse_request(ct, form.as_bytes()).unwrap(), want);
            assert_eq!(parse_request(ct, MP.as_bytes()).unwrap(), want);
            assert_eq!(parse_request(ct, json.as_bytes()).unwrap(), want);
        }
    }

    #[test]
    fn declared_charset_is_honoured() {
        // 中 in GBK is D6 D0.
        let body = b"a=%D6%D0";
        let got = parse_request(Some("application/x-www-form-urlencoded; charset=GBK"), body);
        assert_eq!(got.unwrap(), f(&[("a", "中")]));
        let err = parse_request(Some("application/x-www-form-urlencoded"), body).unwrap_err();
        assert!(err.to_string().contains("field `a`"), "{}", err);
        let err = parse_request(
            Some("application/x-www-form-urlencoded; charset=nope"),
            body,
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope"), "{}", err);
    }

    #[test]
    fn json_non_string_is_named() {
        let err = parse_request(Some("application/json"), br#"{"discounts":[]}"#).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`discounts`") && msg.contains("must be a string"),
            "{}",
            msg
        );
        assert!(msg.contains("an array"), "{}", msg);
        let err = parse_request(Some("application/json"), br#"{"pay_value":100}"#).unwrap_err();
        assert!(err.to_string().contains("the number 100"), "{}", err);
    }

    #[test]
    fn unknown_bodies_are_refused_not_guessed() {
        for body in [&b"hello world"[..], b"\x00\x01", b"<xml/>", b"a b=c"] {
            let err = parse_request(Some("text/xml"), body).unwrap_err();
            assert!(err.to_string().contains("text/xml"), "{}", err);
            assert!(parse_request(None, body).is_err());
        }
        assert!(parse_request(None, b"")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert!(parse_request(Some("multipart/form-data"), MP.as_bytes()).is_err());
        assert!(parse_request(None, b"a=1&a=2").is_err());
        let dup = MP.replace("name=\"b\"", "name=\"a\"");
        assert!(parse_request(Some("multipart/form-data; boundary=XyZ"), dup.as_bytes()).is_err());
    }

    #[test]
    fn verify_names_kind_key_and_missing_sign() {
        let secret = AppSecret::new("s");
        let fields = f(&[("pay_serial", "P1"), ("parking_serial", "L1")]);
        let signed = crate::push::sign_push(&fields, &secret, "app", None);
        let body =
            serde_json::to_string(&signed.iter().cloned().collect::<BTreeMap<String, String>>())
                .unwrap();
        let p = verify_request(None, body.as_bytes(), &secret).unwrap();
        assert_eq!((p.kind, p.key.as_str()), (PushKind::Payment, "P1"));
        assert_eq!(p.encoding, BodyEncoding::Json);
        let e = verify_request(None, b"a=1", &secret).unwrap_err();
        assert!(is_missing_sign(&e), "{}", e);
        assert!(e.to_string().contains("no `sign`"), "{}", e);
    }
}
