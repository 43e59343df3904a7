//! Core errors as Python exceptions, in one place: [`to_py_err`] picks the class of
//! `pyun.errors` and the attributes it is built with. Messages are in the language the
//! environment asks for when the exception is made (`PYUN_LANG`, the locale, the Windows UI
//! language; English by default): read each time, so `os.environ["PYUN_LANG"] = "zh"` takes
//! effect at the next call.

use pyo3::prelude::*;
use pyun_core::contract::api_failure_json;
use pyun_core::{Error, Lang};
use serde_json::{json, Value};

/// The one translation of core errors into the exception classes of `pyun.errors`; each class
/// gets the message and a JSON object of attributes (`_from_core`).
pub(crate) fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    // The class is the contract's (`pyun_core::contract`); the attributes are what each kind
    // carries.
    let class = e.kind().info().python_exception;
    let lang = Lang::from_env();
    let attrs = match &e {
        Error::Validation(v) => {
            let problems: Vec<Value> = v
                .problems
                .iter()
                .map(|p| json!([p.field, p.message(lang)]))
                .collect();
            json!({ "problems": problems })
        }
        Error::Json(_) => json!({ "problems": [["<json>", e.message(lang)]] }),
        Error::Body(_) => json!({ "problems": [["<body>", e.message(lang)]] }),
        Error::File { role, path, .. } => json!({ "field": role, "path": path }),
        Error::Transport(t) => {
            json!({ "kind": t.kind, "retryable": t.is_retryable(), "attempts": t.attempts })
        }
        Error::Api(f) => api_failure_json(f),
        Error::RecordsLost(l) => json!({ "lost": l.records }),
        Error::OutboxUnverified(u) => json!({ "lost": u.records }),
        _ => json!({}),
    };
    let made = py.import("pyun.errors").and_then(|m| {
        m.getattr(class)?
            .call_method1("_from_core", (e.message(lang), attrs.to_string()))
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
    to_py_err(py, Error::Config(msg.into()))
}
