//! The exported functions.

use std::os::raw::c_char;
use std::time::Duration;

use pyun_core::push::{fields_from_json, parse_form_body, sign_push};
use pyun_core::sign::{self, EmptyRule, VerifyError};
use pyun_core::{
    AnyRecord, AppSecret, Client, ClientConfig, Endpoint, FileField, FileSource, SignedRequest,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::charset::Charset;
use crate::error::{guard_charset, pyun_result, FfiError};
use crate::handle::{self, release, with_handle, Handle, Registry};

/// A client for one parking lot and secret. Opaque; thread-safe. The `pyun_client *` a caller
/// holds is a handle pyun looks up on every call, never an address it reads.
#[allow(non_camel_case_types)]
pub struct pyun_client {
    /// Shared with the outbox senders started with this client.
    client: std::sync::Arc<Client>,
    charset: Charset,
}

/// A signed request that was built but not sent. Opaque.
#[allow(non_camel_case_types)]
pub struct pyun_request {
    request: SignedRequest,
    base_url: String,
    charset: Charset,
}

/// The live clients, by handle.
static CLIENTS: Registry<pyun_client> = Registry::new();
/// The live requests, by handle.
static REQUESTS: Registry<pyun_request> = Registry::new();

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

impl Handle for pyun_request {
    const KIND: usize = 2;
    const TYPE: &'static str = "pyun_request";
    fn registry() -> &'static Registry<Self> {
        &REQUESTS
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

pub(crate) fn check_out<T>(p: *mut T, name: &str) -> Result<(), FfiError> {
    if p.is_null() {
        Err(FfiError::new(
            pyun_result::NullArgument,
            format!("`{}` is NULL", name),
        ))
    } else {
        Ok(())
    }
}

/// The `app_secret` argument of the stateless calls: required and not empty.
unsafe fn secret(cs: Charset, ptr: *const c_char) -> Result<AppSecret, FfiError> {
    let s = cs.input(ptr, "app_secret")?;
    if s.is_empty() {
        return Err(FfiError::new(pyun_result::Config, "`app_secret` is empty"));
    }
    Ok(AppSecret::new(s))
}

/// JSON for an out-parameter, in the caller's charset ([`Charset::json`]: exact, never fails).
pub(crate) fn json_c_string(cs: Charset, json: &str, name: &str) -> Result<*mut c_char, FfiError> {
    c_string(cs.json(json), name)
}

/// Plain text for the out-parameter `name`: PYUN_RESULT_INVALID_ENCODING when the caller's
/// charset cannot hold it ([`Charset::text`]).
pub(crate) fn text_c_string(cs: Charset, s: &str, name: &str) -> Result<*mut c_char, FfiError> {
    c_string(cs.text(s, name)?, name)
}

/// A string handed out (recorded for `pyun_string_free`).
fn c_string(bytes: Vec<u8>, name: &str) -> Result<*mut c_char, FfiError> {
    // Both encoders above keep NUL out (JSON escapes it, text refuses it): this is a backstop.
    if bytes.contains(&0) {
        return Err(FfiError::new(
            pyun_result::InvalidEncoding,
            format!("`{}` cannot be written: it holds a NUL character", name),
        ));
    }
    Ok(handle::out_string(bytes))
}

pub(crate) fn endpoint(s: &str) -> Result<Endpoint, FfiError> {
    s.parse()
        .map_err(|e: String| FfiError::new(pyun_result::InvalidArgument, e))
}

pub(crate) fn files(json: Option<String>) -> Result<Vec<(FileField, FileSource)>, FfiError> {
    let json = match json {
        None => return Ok(Vec::new()),
        Some(j) => j,
    };
    let v: Value = serde_json::from_str(&json)
        .map_err(|e| FfiError::new(pyun_result::MalformedJson, format!("`files_json`: {}", e)))?;
    let obj = v.as_object().ok_or_else(|| {
        FfiError::new(
            pyun_result::MalformedJson,
            "`files_json` must be an object like {\"enter_image_file\": \"C:\\\\a.jpg\"}",
        )
    })?;
    obj.iter()
        .map(|(k, v)| {
            let field = FileField::from_name(k).ok_or_else(|| {
                FfiError::new(
                    pyun_result::InvalidArgument,
                    format!("`files_json`: unknown file field `{}`", k),
                )
            })?;
            let path = v.as_str().ok_or_else(|| {
                FfiError::new(
                    pyun_result::MalformedJson,
                    format!("`files_json`: `{}` must be a path string", k),
                )
            })?;
            Ok((field, FileSource::Path(path.into())))
        })
        .collect()
}

/// The library version, e.g. `"0.1.0"`; static, never freed.
#[no_mangle]
pub extern "C" fn pyun_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Releases a string returned by pyun. NULL is ignored. Only a string pyun returned and has
/// not freed yet is freed (whole, even if the caller wrote into it); any other pointer (freed
/// already, the caller's own memory, `pyun_version()`, a pointer into a string) is ignored,
/// never passed to the allocator, and reported in the last error. A body from
/// `pyun_request_body` is freed too, and the mix-up reported. On success the last error is
/// left as it was.
///
/// # Safety
/// None beyond the call itself: `s` is only compared with what pyun handed out, never read.
#[no_mangle]
pub unsafe extern "C" fn pyun_string_free(s: *mut c_char) {
    handle::release_string(s)
}

/// Releases bytes returned by pyun (a request body). NULL is ignored. Only a body pyun returned
/// and has not freed yet is freed; any other pointer is ignored, never passed to the allocator,
/// and reported in the last error. A `len` other than the one returned is reported, and the
/// body freed with its own length; a string from pyun is freed too, and the mix-up reported.
///
/// # Safety
/// None beyond the call itself: `bytes` is only compared with what pyun handed out, never read.
#[no_mangle]
pub unsafe extern "C" fn pyun_bytes_free(bytes: *mut u8, len: usize) {
    handle::release_bytes(bytes, len)
}

/// Signs a flat JSON object of string fields: `*out_sign` receives the 32-character uppercase
/// MD5 sign. A `sign` field in the object is ignored. An empty `app_secret` is
/// PYUN_RESULT_CONFIG.
///
/// # Safety
/// Strings must be NUL-terminated; `out_sign` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_sign(
    fields_json: *const c_char,
    app_secret: *const c_char,
    charset_code: u32,
    out_sign: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_sign, "out_sign")?;
        let fields = fields_from_json(&cs.input(fields_json, "fields_json")?)?;
        let secret = secret(cs, app_secret)?;
        *out_sign = text_c_string(cs, &sign::sign(&fields, &secret), "out_sign")?;
        Ok(pyun_result::Ok)
    })
}

/// The canonical string of a flat JSON object of fields, with `&app_secret=***` appended,
/// exactly as the platform prints it in a hint. Safe to log.
///
/// # Safety
/// Strings must be NUL-terminated; `out_canonical` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_canonical_string(
    fields_json: *const c_char,
    charset_code: u32,
    out_canonical: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_canonical, "out_canonical")?;
        let fields = fields_from_json(&cs.input(fields_json, "fields_json")?)?;
        let canonical = sign::masked_canonical_string(&fields);
        *out_canonical = text_c_string(cs, &canonical, "out_canonical")?;
        Ok(pyun_result::Ok)
    })
}

/// Verifies a push received from the platform, given as a JSON object of fields or as the raw
/// `application/x-www-form-urlencoded` body. Returns PYUN_RESULT_OK when the signature holds
/// (`*out_rule` = 1: empty values signed, the current rule; 2: empty values skipped, the older
/// rule) and PYUN_RESULT_SIGNATURE_INVALID when it does not (also when it has no `sign`). An
/// empty `app_secret` is PYUN_RESULT_CONFIG.
///
/// # Safety
/// Strings must be NUL-terminated; `out_rule` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_verify(
    push: *const c_char,
    app_secret: *const c_char,
    charset_code: u32,
    out_rule: *mut i32,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_rule, "out_rule")?;
        let text = cs.input(push, "push")?;
        let trimmed = text.trim();
        let fields = if trimmed.starts_with('{') {
            fields_from_json(trimmed)?
        } else {
            parse_form_body(trimmed.as_bytes())?
        };
        let secret = secret(cs, app_secret)?;
        match sign::verify(&fields, &secret) {
            Ok(rule) => {
                *out_rule = if rule == EmptyRule::Included { 1 } else { 2 };
                Ok(pyun_result::Ok)
            }
            Err(VerifyError::MissingSign) => Err(FfiError::new(
                pyun_result::SignatureInvalid,
                "the push has no `sign` field",
            )),
            Err(e) => Err(FfiError::new(pyun_result::SignatureInvalid, e.to_string())),
        }
    })
}

/// Produces a correctly signed platform push (adds `app_id`, `sign_type`, `timestamp`, `sign`)
/// from a flat JSON object, for testing a receiver. `*out_json` receives the signed fields.
/// An empty `app_secret` is PYUN_RESULT_CONFIG.
///
/// # Safety
/// Strings must be NUL-terminated; `out_json` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_sign_push(
    fields_json: *const c_char,
    app_secret: *const c_char,
    app_id: *const c_char,
    charset_code: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_json, "out_json")?;
        let fields = fields_from_json(&cs.input(fields_json, "fields_json")?)?;
        let secret = secret(cs, app_secret)?;
        let app_id = cs.input(app_id, "app_id")?;
        let signed = sign_push(&fields, &secret, &app_id, None);
        let obj: serde_json::Map<String, Value> = signed
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        *out_json = json_c_string(cs, &Value::Object(obj).to_string(), "out_json")?;
        Ok(pyun_result::Ok)
    })
}

/// Explains a platform `hint` (from an ignored or rejected push) against the record that was
/// sent. `endpoint` ("enter", "leave", "release", "update") reads `record_json` as a typed
/// record; NULL reads it as flat fields. `*out_json` receives
/// `{"cause": "wrong_secret"|"fields_differ"|"missing_parameter"|"unrecognised", "summary": ...,
/// "differing": [...], "only_local": [...], "only_platform": [...], ...}`.
///
/// # Safety
/// Strings must be NUL-terminated (`endpoint` may be NULL); `out_json` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_explain(
    hint: *const c_char,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    charset_code: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    // The same call without photos: one implementation (and its panic boundary) for both.
    crate::explain::pyun_explain_files(
        hint,
        endpoint_name,
        record_json,
        std::ptr::null(),
        charset_code,
        out_json,
    )
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
}

/// Reads `config_json`. The secret is taken out before serde sees the rest, because serde's
/// messages quote wrong values (`invalid type: integer `123``): no message may hold it.
fn parse_config(text: &str) -> Result<(String, ConfigJson), FfiError> {
    let bad = |what: String| {
        FfiError::new(
            pyun_result::MalformedJson,
            format!("`config_json`: {}", what),
        )
    };
    // Syntax errors name a position, never the text.
    let mut v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| bad("must be an object like {\"app_secret\": \"...\"}".into()))?;
    let secret = match obj.remove("app_secret") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(bad("`app_secret` must be a string".into())),
        None => return Err(bad("missing field `app_secret`".into())),
    };
    let c = ConfigJson::deserialize(v).map_err(|e| bad(e.to_string()))?;
    Ok((secret, c))
}

/// Creates a client from a JSON configuration:
/// `{"app_secret": "...", "base_url": "https://api.4pyun.com", "app_id": null, "api_type": null,
/// "url_encoding": false, "strict": false, "timeout_ms": 30000, "connect_timeout_ms": 10000,
/// "max_attempts": 4, "initial_backoff_ms": 200, "max_backoff_ms": 5000, "proxy": null,
/// "ca_file": null}` (only `app_secret` is required). `ca_file` is a PEM file of extra CA
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
        let mut config = ClientConfig::new(app_secret);
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
        let client = std::sync::Arc::new(Client::new(config)?);
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

unsafe fn read_record(
    c: &pyun_client,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
) -> Result<(AnyRecord, Vec<(FileField, FileSource)>), FfiError> {
    let cs = c.charset;
    let ep = endpoint(&cs.input(endpoint_name, "endpoint")?)?;
    let record = AnyRecord::from_json(ep, &cs.input(record_json, "record_json")?)?;
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
                let v = json!({
                    "endpoint": r.endpoint.name(),
                    "outcome": r.outcome.name(),
                    "code": r.response.code,
                    "message": r.response.message,
                    "hint": r.response.hint,
                    "seqno": r.response.seqno,
                    "http_status": r.http_status,
                    "attempts": r.attempts,
                    "elapsed_ms": r.elapsed.as_millis() as u64,
                    "canonical": r.canonical_masked,
                    "sign": r.sign,
                    "diagnosis": r.diagnosis.as_ref().map(diagnosis_json),
                    "response": r.response,
                });
                (pyun_result::Ok, r.outcome, v)
            }
            Err(pyun_core::Error::Api(f)) => {
                let v = json!({
                    "endpoint": f.endpoint.name(),
                    "outcome": f.outcome.name(),
                    "code": f.response.code,
                    "message": f.response.message,
                    "hint": f.response.hint,
                    "seqno": f.response.seqno,
                    "http_status": f.http_status,
                    "attempts": f.attempts,
                    "canonical": f.canonical_masked,
                    "diagnosis": f.diagnosis.as_ref().map(diagnosis_json),
                    "response": f.response,
                    "raw_body": f.raw_body,
                    "retry_after_s": f.retry_after.map(|d| d.as_secs()),
                    "error": f.to_string(),
                });
                // Recorded for pyun_last_error_message too, like every failure.
                let message = f.to_string();
                // Encoded before anything is written: out-parameters are all or nothing.
                let json = result_json(cs, out_result_json, &v)?;
                *out_outcome = f.outcome.into();
                if let Some(json) = json {
                    *out_result_json = json;
                }
                return Err(FfiError::new(pyun_result::Rejected, message));
            }
            Err(e) => return Err(e.into()),
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
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn client_arc(&self) -> &std::sync::Arc<Client> {
        &self.client
    }
}

fn diagnosis_json(d: &pyun_core::Diagnosis) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["summary"] = Value::String(d.summary());
    v
}

/// Validates and signs a record with this client's secret and options without sending it, for
/// applications that keep their own HTTP code. Read it with `pyun_request_info` and
/// `pyun_request_body`; release it with `pyun_request_free`.
///
/// # Safety
/// As `pyun_client_push`; `out_request` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_client_build_request(
    client: *const pyun_client,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
    out_request: *mut *mut pyun_request,
) -> pyun_result {
    with_handle(client, "client", "pyun_client_build_request", |c| {
        check_out(out_request, "out_request")?;
        let (record, files) = read_record(c, endpoint_name, record_json, files_json)?;
        let request = c.client.build(&record, &files)?;
        let base_url = c.client.config().base_url.trim_end_matches('/').to_string();
        *out_request = REQUESTS.insert(pyun_request {
            request,
            base_url,
            charset: c.charset,
        });
        Ok(pyun_result::Ok)
    })
}

/// Describes a built request: `*out_json` receives `{"url", "path", "content_type",
/// "content_length", "sign", "canonical" (secret masked), "fields"}`. Send it as
/// `POST url` with that `Content-Type` and the bytes of `pyun_request_body`.
///
/// # Safety
/// `out_json` must be writable. (`request` is checked: anything but a live request is
/// PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_request_info(
    request: *const pyun_request,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(request, "request", "pyun_request_info", |r| {
        let cs = r.charset;
        check_out(out_json, "out_json")?;
        let req = &r.request;
        let fields: serde_json::Map<String, Value> = req
            .fields()
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let v = json!({
            "url": format!("{}{}", r.base_url, req.path()),
            "path": req.path(),
            "content_type": req.content_type(),
            "content_length": req.content_length(),
            "sign": req.sign(),
            "canonical": req.canonical_masked(),
            "fields": fields,
        });
        *out_json = json_c_string(cs, &v.to_string(), "out_json")?;
        Ok(pyun_result::Ok)
    })
}

/// The exact request body (photos included), in memory. Release with `pyun_bytes_free`.
///
/// # Safety
/// `out_body` and `out_len` must be writable. (`request` is checked: anything but a live
/// request is PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_request_body(
    request: *const pyun_request,
    out_body: *mut *mut u8,
    out_len: *mut usize,
) -> pyun_result {
    with_handle(request, "request", "pyun_request_body", |r| {
        check_out(out_body, "out_body")?;
        check_out(out_len, "out_len")?;
        let (body, len) = handle::out_bytes(r.request.body_bytes()?);
        *out_len = len;
        *out_body = body;
        Ok(pyun_result::Ok)
    })
}

/// Releases a request. NULL is ignored. As `pyun_client_free`: it waits for calls running on
/// it; anything but a live request is ignored and reported.
///
/// # Safety
/// None beyond the call itself: `request` is only compared with the handles pyun handed out.
#[no_mangle]
pub unsafe extern "C" fn pyun_request_free(request: *mut pyun_request) {
    release(request, "request", "pyun_request_free")
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
        check::<pyun_request>();
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
