//! Core errors as Python exceptions, in one place: [`to_py_err`] picks the class of
//! `pyun.errors` and the attributes it is built with.

use pyo3::prelude::*;
use pyun_core::Error;
use serde_json::{json, Value};

/// The one translation of core errors into the exception classes of `pyun.errors`; each class
/// gets the message and a JSON object of attributes (`_from_core`).
pub(crate) fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
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
        Error::OutboxUnverified(u) => ("OutboxUnverifiedError", json!({ "lost": u.records })),
        Error::NetworkShare(_) => ("NetworkShareError", json!({})),
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

pub(crate) fn diagnosis_json(d: &pyun_core::Diagnosis) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["summary"] = Value::String(d.summary());
    v
}
