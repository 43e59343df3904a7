//! `pyun._pyun`: the native half of the Python package. A thin translation of `pyun-core`:
//! records cross as JSON text (the core's reader is the one place that validates them),
//! results come back as plain dicts that `pyun/__init__.py` wraps in typed classes, and every
//! core error becomes a Python exception in one place, [`to_py_err`]. The GIL is released
//! around everything that waits on the network or reads files.

mod field_str;
mod outbox;

use std::path::PathBuf;
use std::time::Duration;

use field_str::FieldStr;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use pyun_core::push::{self as core_push, LeavePush, PaymentPush};
use pyun_core::sign::{self as core_sign, EmptyRule, VerifyError};
use pyun_core::{
    AnyRecord, AppSecret, BuildOptions, Client as CoreClient, ClientConfig, Endpoint, Error,
    FileField, FileSource, Problem, ProblemKind, Record, RetryPolicy, ValidationError,
};
use serde::Serialize;
use serde_json::{json, Value};

/// The one translation of core errors into the exception classes of `pyun.errors`; each class
/// gets the message and a JSON object of attributes (`_from_core`).
fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    let (class, attrs) = match &e {
        Error::Validation(v) => {
            let problems: Vec<Value> = v
                .problems
                .iter()
                .map(|p| json!([p.field, p.to_string()]))
                .collect();
            ("ValidationError", json!({ "problems": problems }))
        }
        Error::Json(_) => (
            "ValidationError",
            json!({ "problems": [["<json>", e.to_string()]] }),
        ),
        Error::File { role, path, .. } => ("FileError", json!({ "field": role, "path": path })),
        Error::Config(_) => ("ConfigError", json!({})),
        Error::Body(_) => (
            "ValidationError",
            json!({ "problems": [["<body>", e.to_string()]] }),
        ),
        Error::Signature(_) => ("SignatureError", json!({})),
        Error::Transport(t) => (
            "TransportError",
            json!({ "kind": t.kind, "retryable": t.is_retryable(), "attempts": t.attempts }),
        ),
        Error::Api(f) => (
            "ApiError",
            json!({
                "code": f.response.code, "message": f.response.message,
                "hint": f.response.hint, "seqno": f.response.seqno, "outcome": f.outcome.name(),
                "attempts": f.attempts, "http_status": f.http_status,
                "canonical": f.canonical_masked,
                "retry_after_s": f.retry_after.map(|d| d.as_secs()),
                "diagnosis": f.diagnosis.as_ref().map(diagnosis_json),
            }),
        ),
        Error::Store(_) => ("StoreError", json!({})),
        Error::RecordsLost(l) => ("RecordsLostError", json!({ "lost": l.records })),
        // `Error` is non-exhaustive: a variant added later still maps to the base class.
        _ => ("PyunError", json!({})),
    };
    let made = py.import("pyun.errors").and_then(|m| {
        m.getattr(class)?
            .call_method1("_from_core", (e.to_string(), attrs.to_string()))
    });
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// A core result in Python terms.
pub(crate) trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, e))
    }
}

pub(crate) fn config_err(py: Python<'_>, msg: String) -> PyErr {
    to_py_err(py, Error::Config(msg))
}

fn diagnosis_json(d: &pyun_core::Diagnosis) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["summary"] = Value::String(d.summary());
    v
}

/// A serialisable core value as a Python object (through `json.loads`: one well-tested path).
pub(crate) fn to_py(py: Python<'_>, v: &impl Serialize) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| config_err(py, e.to_string()))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// Flat fields as read from Python, borrowing the strings' own UTF-8 where possible.
type StrFields<'py> = Vec<(FieldStr<'py>, FieldStr<'py>)>;

/// One key (`field` None) or value of a mapping of fields. A str holding lone surrogates has
/// no UTF-8 form: a `ValidationError` naming the field, like any other malformed value.
fn str_of<'py>(v: Bound<'py, PyAny>, field: Option<&str>) -> PyResult<FieldStr<'py>> {
    let py = v.py();
    // By value: the reference the iteration took is the one kept, no second one.
    let s = v.cast_into::<PyString>().map_err(|e| {
        let name = match field {
            Some(f) => format!("field {:?}", f),
            None => "field names".into(),
        };
        PyTypeError::new_err(format!(
            "{} must be a str, not {}",
            name,
            type_name(&e.into_inner())
        ))
    })?;
    FieldStr::new(s).map_err(|e| {
        let problem = Problem {
            field: field.unwrap_or("<field name>").into(),
            kind: ProblemKind::Invalid(format!("not valid Unicode text ({})", e)),
        };
        to_py_err(
            py,
            Error::Validation(ValidationError {
                what: "fields".into(),
                problems: vec![problem],
            }),
        )
    })
}

/// Reads a mapping of str to str, naming the first key or value of the wrong type. A `dict` is
/// walked directly; other mappings through their `items()`.
fn str_fields<'py>(fields: &Bound<'py, PyAny>) -> PyResult<StrFields<'py>> {
    let pair =
        |k: Bound<'py, PyAny>, v: Bound<'py, PyAny>| -> PyResult<(FieldStr<'py>, FieldStr<'py>)> {
            let key = str_of(k, None)?;
            let value = str_of(v, Some(&key))?;
            Ok((key, value))
        };
    if let Ok(dict) = fields.cast::<PyDict>() {
        return dict.iter().map(|(k, v)| pair(k, v)).collect();
    }
    let items = fields.call_method0("items").map_err(|_| {
        PyTypeError::new_err(format!(
            "fields must be a mapping of str to str, not {}",
            type_name(fields)
        ))
    })?;
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
        out.push(pair(k, v)?);
    }
    Ok(out)
}

/// Owned copies, for the core functions that keep the fields.
fn owned(fields: &StrFields) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `app_secret` argument of every function: read without an intermediate copy (it is on
/// the path of every `sign` and `verify`), and never echoed in an error.
fn secret(app_secret: &Bound<'_, PyAny>) -> PyResult<AppSecret> {
    let s = app_secret.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "app_secret must be a str, not {}",
            type_name(app_secret)
        ))
    })?;
    let text = FieldStr::new(s.clone()).map_err(|_| {
        config_err(
            app_secret.py(),
            "app_secret is not valid Unicode text (a lone surrogate)".into(),
        )
    })?;
    if text.is_empty() {
        return Err(config_err(app_secret.py(), "app_secret is empty".into()));
    }
    Ok(AppSecret::new(&*text))
}

fn endpoint(py: Python<'_>, name: &str) -> PyResult<Endpoint> {
    name.parse().map_err(|e: String| config_err(py, e))
}

pub(crate) fn record(
    py: Python<'_>,
    endpoint_name: &str,
    record_json: &str,
) -> PyResult<AnyRecord> {
    AnyRecord::from_json(endpoint(py, endpoint_name)?, record_json).or_raise(py)
}

/// A file as `pyun/__init__.py` prepares it: (field name, path or None, bytes or None).
pub(crate) type FileArg = (String, Option<PathBuf>, Option<Vec<u8>>);

pub(crate) fn files(py: Python<'_>, files: Vec<FileArg>) -> PyResult<Vec<(FileField, FileSource)>> {
    files
        .into_iter()
        .map(|(name, path, bytes)| {
            let field = FileField::from_name(&name)
                .ok_or_else(|| config_err(py, format!("unknown file field {:?}", name)))?;
            let source = match (path, bytes) {
                (Some(p), _) => FileSource::Path(p),
                (None, Some(b)) => FileSource::Bytes(b.into()),
                (None, None) => {
                    return Err(PyTypeError::new_err(format!(
                        "file {:?} needs a path or bytes",
                        name
                    )))
                }
            };
            Ok((field, source))
        })
        .collect()
}

pub(crate) fn seconds(py: Python<'_>, v: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            config_err(
                py,
                format!(
                    "{} must be a positive number of seconds (at most {}), not {}",
                    what,
                    u64::MAX,
                    v
                ),
            )
        })
}

/// A number of days as a duration. More days than a duration holds (infinity included) means
/// "forever": saturated, never wrapped into a short or negative age. NaN and negative numbers
/// are refused, and zero unless `zero_ok`.
pub(crate) fn days(py: Python<'_>, v: f64, what: &str, zero_ok: bool) -> PyResult<Duration> {
    let d = if v.is_nan() || v < 0.0 {
        None
    } else {
        Some(Duration::try_from_secs_f64(v * 86_400.0).unwrap_or(Duration::MAX))
    };
    d.filter(|d| zero_ok || !d.is_zero()).ok_or_else(|| {
        let least = if zero_ok { "0 or more" } else { "more than 0" };
        config_err(
            py,
            format!("{} must be a number of days, {}, not {}", what, least, v),
        )
    })
}

/// The uppercase MD5 `sign` of flat str fields (a `sign` field among them is ignored).
#[pyfunction]
fn sign(fields: &Bound<'_, PyAny>, app_secret: &Bound<'_, PyAny>) -> PyResult<String> {
    let secret = secret(app_secret)?;
    Ok(core_sign::sign(&str_fields(fields)?, &secret))
}

/// The string that is signed, without the `&app_secret=` suffix.
#[pyfunction]
fn canonical_string(fields: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(core_sign::canonical_string(&str_fields(fields)?))
}

/// Verifies a received push; returns the empty-value rule that matched, or None.
#[pyfunction]
fn verify_rule(
    fields: &Bound<'_, PyAny>,
    app_secret: &Bound<'_, PyAny>,
) -> PyResult<Option<&'static str>> {
    let secret = secret(app_secret)?;
    match core_sign::verify(&str_fields(fields)?, &secret) {
        Ok(EmptyRule::Included) => Ok(Some("included")),
        Ok(EmptyRule::Skipped) => Ok(Some("skipped")),
        Err(VerifyError::MissingSign) | Err(VerifyError::Mismatch { .. }) => Ok(None),
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[pyfunction]
fn parse_form(py: Python<'_>, body: &[u8]) -> PyResult<Vec<(String, String)>> {
    core_push::parse_form_body(body).or_raise(py)
}

/// The fields of a received push from its Content-Type (None: sniffed) and body: urlencoded
/// (declared charset honoured), multipart/form-data, or a JSON object of strings.
#[pyfunction]
#[pyo3(signature = (content_type, body))]
fn parse_request(
    py: Python<'_>,
    content_type: Option<&str>,
    body: &[u8],
) -> PyResult<Vec<(String, String)>> {
    pyun_core::receive::parse_request(content_type, body).or_raise(py)
}

/// A verified push for Python: (kind, key, encoding, fields).
type PushTuple = (&'static str, String, &'static str, Vec<(String, String)>);

/// Parses and verifies a received push: (kind, key, encoding, fields). A push with no `sign`
/// raises SignatureError saying so.
#[pyfunction]
#[pyo3(signature = (content_type, body, app_secret))]
fn verify_request(
    py: Python<'_>,
    content_type: Option<&str>,
    body: &[u8],
    app_secret: &Bound<'_, PyAny>,
) -> PyResult<PushTuple> {
    let secret = secret(app_secret)?;
    let p = py
        .detach(|| pyun_core::receive::verify_request(content_type, body, &secret))
        .or_raise(py)?;
    Ok((p.kind.name(), p.key, p.encoding.name(), p.fields))
}

/// Verifies a push of the given kind (`leave` = page 000, `payment` = 004) and reads it.
#[pyfunction]
fn parse_push(
    py: Python<'_>,
    kind: &str,
    fields: &Bound<'_, PyAny>,
    app_secret: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let secret = secret(app_secret)?;
    let fields = owned(&str_fields(fields)?);
    match kind {
        "leave" => to_py(
            py,
            &LeavePush::verify_and_parse(&fields, &secret).or_raise(py)?,
        ),
        "payment" => to_py(
            py,
            &PaymentPush::verify_and_parse(&fields, &secret).or_raise(py)?,
        ),
        other => Err(config_err(
            py,
            format!("unknown push kind {:?}: expected leave or payment", other),
        )),
    }
}

/// The field names of an endpoint's record and the required ones (the typed Python records
/// are tested against these).
#[pyfunction]
fn record_fields(
    py: Python<'_>,
    endpoint_name: &str,
) -> PyResult<(Vec<&'static str>, Vec<&'static str>)> {
    let (fields, required) = AnyRecord::field_names(endpoint(py, endpoint_name)?);
    Ok((fields.to_vec(), required.to_vec()))
}

/// Signs fields as the platform signs its pushes.
#[pyfunction]
#[pyo3(signature = (fields, app_secret, app_id, timestamp=None))]
fn sign_push(
    py: Python<'_>,
    fields: &Bound<'_, PyAny>,
    app_secret: &Bound<'_, PyAny>,
    app_id: String,
    timestamp: Option<u64>,
) -> PyResult<Vec<(String, String)>> {
    let secret = secret(app_secret)?;
    let ts = match timestamp {
        Some(t) => Some(pyun_core::time::EpochMillis::new(t).map_err(|e| config_err(py, e))?),
        None => None,
    };
    Ok(core_push::sign_push(
        &owned(&str_fields(fields)?),
        &secret,
        &app_id,
        ts,
    ))
}

/// Explains a hint against a record (JSON) of an endpoint, or against flat fields (JSON), and
/// the photos that were sent with it (their MD5 is the `*_hash` field the platform signed).
#[pyfunction]
#[pyo3(signature = (hint, record_json, endpoint_name=None, files_arg=Vec::new()))]
fn explain(
    py: Python<'_>,
    hint: &str,
    record_json: &str,
    endpoint_name: Option<&str>,
    files_arg: Vec<FileArg>,
) -> PyResult<Py<PyAny>> {
    let fields = match endpoint_name {
        Some(e) => record(py, e, record_json)?.to_fields(),
        None => core_push::fields_from_json(record_json).or_raise(py)?,
    };
    let fields =
        pyun_core::explain::with_file_hashes(fields, &files(py, files_arg)?).or_raise(py)?;
    to_py(py, &diagnosis_json(&pyun_core::explain(hint, &fields)))
}

/// Builds a signed request without sending it.
#[pyfunction]
#[pyo3(signature = (endpoint_name, record_json, files_arg, app_secret, app_id=None, api_type=None, url_encoding=false))]
#[allow(clippy::too_many_arguments)]
fn build_request(
    py: Python<'_>,
    endpoint_name: &str,
    record_json: &str,
    files_arg: Vec<FileArg>,
    app_secret: &Bound<'_, PyAny>,
    app_id: Option<String>,
    api_type: Option<String>,
    url_encoding: bool,
) -> PyResult<Py<PyAny>> {
    let rec = record(py, endpoint_name, record_json)?;
    let files = files(py, files_arg)?;
    let secret = secret(app_secret)?;
    let options = BuildOptions {
        app_id,
        api_type,
        url_encoding,
    };
    let (req, body) = py
        .detach(|| {
            let req = pyun_core::build_request(&rec, &files, &secret, &options)?;
            let body = req.body_bytes()?;
            Ok::<_, Error>((req, body))
        })
        .or_raise(py)?;
    let d = PyDict::new(py);
    d.set_item("path", req.path())?;
    d.set_item("content_type", req.content_type())?;
    d.set_item("body", PyBytes::new(py, &body))?;
    d.set_item("sign", req.sign())?;
    d.set_item("canonical", req.canonical_masked())?;
    Ok(d.into_any().unbind())
}

/// A client for one parking lot; thread-safe (the core client is `Send + Sync`).
#[pyclass(frozen, module = "pyun._pyun")]
pub(crate) struct Client {
    /// Shared with the outbox senders started with this client.
    pub(crate) inner: std::sync::Arc<CoreClient>,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (app_secret, base_url, app_id, api_type, timeout, connect_timeout, retries, backoff, proxy, strict, url_encoding, ca_file))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app_secret: &Bound<'_, PyAny>,
        base_url: String,
        app_id: Option<String>,
        api_type: Option<String>,
        timeout: f64,
        connect_timeout: f64,
        retries: u32,
        backoff: f64,
        proxy: Option<String>,
        strict: bool,
        url_encoding: bool,
        ca_file: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let mut c = ClientConfig::new(secret(app_secret)?);
        c.base_url = base_url;
        c.build = BuildOptions {
            app_id,
            api_type,
            url_encoding,
        };
        c.timeout = seconds(py, timeout, "timeout")?;
        c.connect_timeout = seconds(py, connect_timeout, "connect_timeout")?;
        c.retry = RetryPolicy {
            max_attempts: retries.saturating_add(1),
            initial_backoff: seconds(py, backoff, "backoff")?,
            ..RetryPolicy::default()
        };
        c.proxy = proxy;
        c.ca_file = ca_file;
        c.strict = strict;
        Ok(Client {
            inner: std::sync::Arc::new(CoreClient::new(c).or_raise(py)?),
        })
    }

    /// Validates, signs and sends a record (JSON) with files; returns the result as a dict.
    fn push(
        &self,
        py: Python<'_>,
        endpoint_name: &str,
        record_json: &str,
        files_arg: Vec<FileArg>,
    ) -> PyResult<Py<PyAny>> {
        let rec = record(py, endpoint_name, record_json)?;
        let files = files(py, files_arg)?;
        let r = py.detach(|| self.inner.push(&rec, &files)).or_raise(py)?;
        to_py(
            py,
            &json!({
                "endpoint": r.endpoint.name(), "outcome": r.outcome.name(), "code": r.response.code,
                "message": r.response.message, "hint": r.response.hint, "seqno": r.response.seqno,
                "http_status": r.http_status, "attempts": r.attempts, "elapsed": r.elapsed.as_secs_f64(),
                "canonical": r.canonical_masked, "sign": r.sign,
                "diagnosis": r.diagnosis.as_ref().map(diagnosis_json), "response": r.response,
            }),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(base_url={:?}, app_secret='***')",
            self.inner.config().base_url_masked()
        )
    }
}

#[pymodule]
fn _pyun(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust log records reach Python's `logging` under the `pyun` logger (`pyun.pyun_core...`);
    // levels are read per record, so `logging.getLogger("pyun").setLevel` works at any time.
    // A second install in one process is refused by `log`: the first one stays, which is fine.
    let _ = pyo3_log::Logger::new(m.py(), pyo3_log::Caching::Loggers)?
        .set_prefix("pyun")
        .install();
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_string, m)?)?;
    m.add_function(wrap_pyfunction!(verify_rule, m)?)?;
    m.add_function(wrap_pyfunction!(parse_form, m)?)?;
    m.add_function(wrap_pyfunction!(parse_request, m)?)?;
    m.add_function(wrap_pyfunction!(verify_request, m)?)?;
    m.add_function(wrap_pyfunction!(parse_push, m)?)?;
    m.add_function(wrap_pyfunction!(sign_push, m)?)?;
    m.add_function(wrap_pyfunction!(record_fields, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(build_request, m)?)?;
    m.add_class::<Client>()?;
    m.add_class::<outbox::Outbox>()?;
    m.add_class::<outbox::Sender>()?;
    m.add("__version__", pyun_core::VERSION)?;
    m.add("ACK_BODY", core_push::ACK_BODY)?;
    Ok(())
}
