//! The client handle: made from a JSON configuration, pushing records to the platform, and
//! the outcome and result JSON of a push.

use std::os::raw::c_char;
use std::time::Duration;

use pyun_core::contract::{api_failure_json, push_result_json};
use pyun_core::{AnyRecord, Client, ClientConfig, FileField, FileSource, Lang, Msg, Text};
use serde::Deserialize;
use serde_json::Value;

use crate::args::{check_out, endpoint, files};
use crate::charset::Charset;
use crate::error::{pyun_result, FfiError};
use crate::handle::{release, with_handle, Handle, Registry};
use crate::panic::guard_charset;
use crate::strings::json_c_string;

/// A client for one parking lot and secret. Opaque; thread-safe. The `pyun_client *` a caller
/// holds is a handle pyun looks up on every call, never an address it reads.
#[allow(non_camel_case_types)]
pub struct pyun_client {
    /// Shared with the outbox senders started with this client.
    client: std::sync::Arc<Client>,
    charset: Charset,
}

/// The live clients, by handle.
static CLIENTS: Registry<pyun_client> = Registry::new();

impl Handle for pyun_client {
    const KIND: usize = 1;
    const TYPE: &'static str = "pyun_client";
    fn registry() -> &'static Registry<Self> {
        &CLIENTS
    }
    fn charset(&self) -> Charset {
        self.charset
    }
}

/// What the platform's answer means for a pushed record.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pyun_outcome {
    /// The platform took the record.
    Accepted = 0,
    /// Success code with a hint: the platform dropped the record (usually a bad signature).
    /// Returned as PYUN_RESULT_OK unless the client is strict; see the diagnosis.
    Ignored = 1,
    /// 400: a parameter is missing or malformed.
    ParameterError = 2,
    /// 401: the signature was rejected.
    SignatureRejected = 3,
    /// 403: blocked.
    Blocked = 4,
    /// 500/503 that persisted through the retries.
    ServerError = 5,
    /// The platform's answer with a code pyun does not know: not retried.
    Unknown = 6,
    /// HTTP 429 that persisted through the retries (the result JSON's `retry_after_s` says how
    /// long the answer asked to wait); retryable: the outbox keeps the record.
    RateLimited = 7,
    /// Not the platform's answer (no platform JSON with a `code`, or a 3xx): a proxy, gateway
    /// or captive portal answered; the record did not reach the platform. Retryable.
    NotPlatform = 8,
}

impl From<pyun_core::Outcome> for pyun_outcome {
    fn from(o: pyun_core::Outcome) -> Self {
        use pyun_core::Outcome as O;
        match o {
            O::Accepted => pyun_outcome::Accepted,
            O::Ignored => pyun_outcome::Ignored,
            O::ParameterError => pyun_outcome::ParameterError,
            O::SignatureRejected => pyun_outcome::SignatureRejected,
            O::Blocked => pyun_outcome::Blocked,
            O::ServerError => pyun_outcome::ServerError,
            O::Unknown => pyun_outcome::Unknown,
            O::RateLimited => pyun_outcome::RateLimited,
            O::NotPlatform => pyun_outcome::NotPlatform,
        }
    }
}

/// The client configuration, as JSON, less `app_secret` (taken out first by [`parse_config`]).
/// Unknown keys are refused (a typo would otherwise be silently ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigJson {
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    api_type: Option<String>,
    #[serde(default)]
    url_encoding: bool,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    max_attempts: Option<u32>,
    #[serde(default)]
    initial_backoff_ms: Option<u64>,
    #[serde(default)]
    max_backoff_ms: Option<u64>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// Reads `config_json`. The secret is taken out before serde sees the rest, because serde's
/// messages quote wrong values (`invalid type: integer `123``): no message may hold it.
fn parse_config(text: &str) -> Result<(String, ConfigJson), FfiError> {
    let bad =
        |what: String| FfiError::msg(pyun_result::MalformedJson, Msg::FfiConfigJson, &[&what]);
    let lang = Lang::from_env();
    // Syntax errors name a position, never the text.
    let mut v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| bad(Msg::FfiConfigShape.text(lang, &[])))?;
    let secret = match obj.remove("app_secret") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(bad(Msg::FfiConfigSecretType.text(lang, &[]))),
        None => return Err(bad(Msg::FfiConfigSecretMissing.text(lang, &[]))),
    };
    let c = ConfigJson::deserialize(v).map_err(|e| bad(e.to_string()))?;
    Ok((secret, c))
}

/// Creates a client from a JSON configuration:
/// `{"app_secret": "...", "base_url": "https://api.4pyun.com", "app_id": null, "api_type": null,
/// "url_encoding": false, "strict": false, "timeout_ms": 30000, "connect_timeout_ms": 10000,
/// "max_attempts": 4, "initial_backoff_ms": 200, "max_backoff_ms": 5000, "proxy": null,
/// "ca_file": null, "lang": null}` (only `app_secret` is required). `lang` ("en" or "zh") is the
/// language of this client's error messages (the last error of its calls) and of what it logs
/// (the log callback: retries, a doubtful plate, an outbox drained through it); without it they
/// follow `PYUN_LANG`, the locale or the Windows UI language. `ca_file` is a PEM file of extra CA
/// certificates trusted besides Mozilla's roots (a network that re-signs TLS); a
/// `user:password@` in `base_url` is sent as an `Authorization` header and never shown.
/// `charset` applies to this JSON and to every string later passed to or returned by this
/// client. No connection is made here.
///
/// # Safety
/// `config_json` must be NUL-terminated; `out_client` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_client_new(
    config_json: *const c_char,
    charset_code: u32,
    out_client: *mut *mut pyun_client,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_client, "out_client")?;
        let text = cs.input(config_json, "config_json")?;
        let (app_secret, c) = parse_config(&text)?;
        let lang = match c.lang.as_deref() {
            None => None,
            Some(l) => Some(Lang::parse(l).ok_or_else(|| {
                let text = Text::new(Msg::LangUnknown, &[&format_args!("{:?}", l)]);
                FfiError::from(pyun_core::Error::Config(text))
            })?),
        };
        let in_lang = |e| FfiError::in_lang(e, lang.unwrap_or_else(Lang::from_env));
        let mut config = ClientConfig::new(app_secret);
        config.lang = lang;
        if let Some(b) = c.base_url {
            config.base_url = b;
        }
        config.build.app_id = c.app_id;
        config.build.api_type = c.api_type;
        config.build.url_encoding = c.url_encoding;
        config.strict = c.strict;
        config.proxy = c.proxy;
        config.ca_file = c.ca_file.map(Into::into);
        if let Some(ms) = c.timeout_ms {
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = c.connect_timeout_ms {
            config.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = c.max_attempts {
            config.retry.max_attempts = n;
        }
        if let Some(ms) = c.initial_backoff_ms {
            config.retry.initial_backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = c.max_backoff_ms {
            config.retry.max_backoff = Duration::from_millis(ms);
        }
        let client = std::sync::Arc::new(Client::new(config).map_err(in_lang)?);
        *out_client = CLIENTS.insert(pyun_client {
            client,
            charset: cs,
        });
        Ok(pyun_result::Ok)
    })
}

/// Releases a client. NULL is ignored. If other threads are inside calls on it, this waits
/// until they have returned, then frees it; calls made after it has begun return
/// PYUN_RESULT_INVALID_HANDLE. A client freed already, a handle of another type or any other
/// pointer is ignored and reported in the last error (a second free is harmless). On success
/// the last error is left as it was.
///
/// # Safety
/// None beyond the call itself: `client` is only compared with the handles pyun handed out.
#[no_mangle]
pub unsafe extern "C" fn pyun_client_free(client: *mut pyun_client) {
    release(client, "client", "pyun_client_free")
}

pub(crate) unsafe fn read_record(
    c: &pyun_client,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
) -> Result<(AnyRecord, Vec<(FileField, FileSource)>), FfiError> {
    let cs = c.charset;
    let ep = endpoint(&cs.input(endpoint_name, "endpoint")?)?;
    let record = AnyRecord::from_json(ep, &cs.input(record_json, "record_json")?)
        .map_err(|e| FfiError::in_lang(e, c.lang()))?;
    let files = files(cs.optional(files_json, "files_json")?)?;
    Ok((record, files))
}

/// Validates, signs and sends a record. `endpoint` is "enter", "leave", "release" or "update";
/// `record_json` a JSON object with the platform's field names; `files_json` NULL or an object
/// of photo paths, e.g. `{"leave_image_file": "C:\\photos\\1.jpg"}` (the `*_hash` fields are
/// computed). Blocks until the platform answers or the retries are exhausted.
///
/// Returns PYUN_RESULT_OK when the record was accepted (or ignored, outside strict mode), and
/// PYUN_RESULT_REJECTED when the platform refused it; in both cases `*out_outcome` and (unless
/// `out_result_json` is NULL) `*out_result_json` are written: `{"endpoint", "outcome", "code",
/// "message", "hint", "seqno", "http_status", "attempts", "elapsed_ms", "canonical", "sign",
/// "diagnosis", "response"}` (a refusal adds "raw_body", "retry_after_s" and "error"). Other
/// codes write nothing; nothing was accepted.
///
/// # Safety
/// Strings must be NUL-terminated (`files_json` may be NULL); `out_outcome` must be writable;
/// `out_result_json` must be NULL or writable. (`client` is checked: anything but a live client
/// is PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_client_push(
    client: *const pyun_client,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
    out_outcome: *mut pyun_outcome,
    out_result_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(client, "client", "pyun_client_push", |c| {
        let cs = c.charset;
        check_out(out_outcome, "out_outcome")?;
        let (record, files) = read_record(c, endpoint_name, record_json, files_json)?;
        let (code, outcome, result) = match c.client.push(&record, &files) {
            Ok(r) => {
                let v = push_result_json(&r);
                (pyun_result::Ok, r.outcome, v)
            }
            Err(pyun_core::Error::Api(f)) => {
                let v = api_failure_json(&f);
                // Recorded for pyun_last_error_message too, like every failure.
                let message = f.message(c.lang());
                // Encoded before anything is written: out-parameters are all or nothing.
                let json = result_json(cs, out_result_json, &v)?;
                *out_outcome = f.outcome.into();
                if let Some(json) = json {
                    *out_result_json = json;
                }
                return Err(FfiError::new(pyun_result::Rejected, message));
            }
            Err(e) => return Err(FfiError::in_lang(e, c.lang())),
        };
        let json = result_json(cs, out_result_json, &result)?;
        *out_outcome = outcome.into();
        if let Some(json) = json {
            *out_result_json = json;
        }
        Ok(code)
    })
}

/// The push result for `out_result_json`, unless the caller passed NULL (then not made).
fn result_json(
    cs: Charset,
    out: *mut *mut c_char,
    v: &Value,
) -> Result<Option<*mut c_char>, FfiError> {
    if out.is_null() {
        return Ok(None);
    }
    json_c_string(cs, &v.to_string(), "out_result_json").map(Some)
}

impl pyun_client {
    /// The language of this client's messages and log lines: its configuration's, else the
    /// environment's at each call.
    pub(crate) fn lang(&self) -> Lang {
        self.client.lang()
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn client_arc(&self) -> &std::sync::Arc<Client> {
        &self.client
    }
}

/// A client for the unit tests (no connection is made).
#[cfg(test)]
pub(crate) fn test_client() -> pyun_client {
    pyun_client {
        client: std::sync::Arc::new(Client::new(ClientConfig::new("s".to_string())).unwrap()),
        charset: Charset::Utf8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header promises that handles may be shared between threads.
    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<pyun_client>();
        check::<crate::request::pyun_request>();
        check::<crate::outbox::pyun_outbox>();
    }

    #[test]
    fn config_errors_never_quote_the_secret() {
        for text in [
            r#"{"app_secret": 98765432}"#,
            r#"{"app_secret": ["98765432"]}"#,
            r#"{"app_secret": "98765432", "max_attempts": "x"}"#,
            r#"{"app_secret": "98765432", "nope": 1}"#,
            r#"{"app_secret": "98765432""#,
            r#"["98765432"]"#,
        ] {
            let e = parse_config(text).err().expect(text);
            assert_eq!(e.code, pyun_result::MalformedJson, "{}", text);
            assert!(!e.message.contains("98765432"), "{}: {}", text, e.message);
        }
        let (secret, c) = parse_config(r#"{"app_secret": "s", "strict": true}"#).unwrap();
        assert_eq!(secret, "s");
        assert!(c.strict);
    }
}
