//! Arguments from Python: mappings of str fields (borrowed where the interpreter allows), the
//! secret, endpoint names, records as JSON, photo files, durations; and core values back to
//! Python objects.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyun_core::{
    AnyRecord, AppSecret, Endpoint, Error, FileField, FileSource, Problem, ProblemKind,
    ValidationError,
};
use serde::Serialize;
use serde_json::Value;

use crate::errors::{config_err, to_py_err, OrRaise};
use crate::field_str::FieldStr;

/// A serialisable core value as a Python object: the objects `json.loads` would make of its
/// JSON text, built directly (a push's result is read on every push).
pub(crate) fn to_py(py: Python<'_>, v: &impl Serialize) -> PyResult<Py<PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| config_err(py, e.to_string()))?;
    Ok(value_to_py(py, &value)?.unbind())
}

/// The objects `json.loads` would make of `v` (through the JSON value, so tuples become
/// lists as in the JSON text).
pub(crate) fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(PyErr::from)
}

/// A record given as a `dict` of plain JSON values (exactly str, int, float, bool, None, list,
/// tuple, dict with str keys), read without a JSON round trip; None for anything else
/// (dataclass values, subclasses, NaN, lone surrogates), which takes the JSON path.
fn plain_json(v: &Bound<'_, PyAny>) -> Option<Value> {
    if v.is_none() {
        Some(Value::Null)
    } else if let Ok(s) = v.cast_exact::<PyString>() {
        FieldStr::new(s.clone())
            .ok()
            .map(|s| Value::String(s.to_string()))
    } else if let Ok(b) = v.cast_exact::<PyBool>() {
        Some(Value::Bool(b.is_true()))
    } else if v.is_exact_instance_of::<PyInt>() {
        match v.extract::<i64>() {
            Ok(i) => Some(i.into()),
            Err(_) => v.extract::<u64>().ok().map(Value::from),
        }
    } else if let Ok(f) = v.cast_exact::<PyFloat>() {
        serde_json::Number::from_f64(f.value()).map(Value::Number)
    } else if let Ok(list) = v.cast_exact::<PyList>() {
        list.iter()
            .map(|item| plain_json(&item))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
    } else if let Ok(tuple) = v.cast_exact::<PyTuple>() {
        tuple
            .iter()
            .map(|item| plain_json(&item))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
    } else if let Ok(dict) = v.cast_exact::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, item) in dict.iter() {
            let key = FieldStr::new(k.cast_exact::<PyString>().ok()?.clone()).ok()?;
            let key = key.to_string();
            map.insert(key, plain_json(&item)?);
        }
        Some(Value::Object(map))
    } else {
        None
    }
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// Flat fields as read from Python, borrowing the strings' own UTF-8 where possible.
pub(crate) type StrFields<'py> = Vec<(FieldStr<'py>, FieldStr<'py>)>;

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
            kind: ProblemKind::Invalid(format!("not valid Unicode text ({})", e).into()),
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
pub(crate) fn str_fields<'py>(fields: &Bound<'py, PyAny>) -> PyResult<StrFields<'py>> {
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
pub(crate) fn owned(fields: &StrFields) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `app_secret` argument of every function: read without an intermediate copy (it is on
/// the path of every `sign` and `verify`), and never echoed in an error.
pub(crate) fn secret(app_secret: &Bound<'_, PyAny>) -> PyResult<AppSecret> {
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
        let empty = pyun_core::Text::new(pyun_core::Msg::AppSecretEmpty, &[]);
        return Err(to_py_err(app_secret.py(), Error::Config(empty)));
    }
    Ok(AppSecret::new(&*text))
}

pub(crate) fn endpoint(py: Python<'_>, name: &str) -> PyResult<Endpoint> {
    name.parse()
        .map_err(|e: pyun_core::Text| to_py_err(py, Error::Config(e)))
}

pub(crate) fn record(
    py: Python<'_>,
    endpoint_name: &str,
    record_json: &str,
) -> PyResult<AnyRecord> {
    AnyRecord::from_json(endpoint(py, endpoint_name)?, record_json).or_raise(py)
}

/// A record as `Client.push` and `Outbox.enqueue` pass it, read but not yet parsed or
/// validated: [`RecordArg::record`] does that with the GIL released (16 threads enqueueing at
/// once take turns holding it, issue 26).
pub(crate) enum RecordArg {
    Value(Endpoint, Value),
    Json(Endpoint, String),
}

impl RecordArg {
    /// The record, parsed and validated (no GIL needed).
    pub(crate) fn record(self) -> Result<AnyRecord, Error> {
        match self {
            RecordArg::Value(ep, value) => AnyRecord::from_value(ep, value).map_err(Error::from),
            RecordArg::Json(ep, text) => AnyRecord::from_json(ep, &text),
        }
    }
}

/// A record as `Client.push` passes it: JSON text, or a `dict`. A dict of plain JSON values is
/// read directly (json.dumps and serde's parse were ~15 µs of a push); any other dict becomes
/// JSON text through `pyun._record_json`, so that every value reads as it always did.
pub(crate) fn record_arg(
    py: Python<'_>,
    endpoint_name: &str,
    rec: &Bound<'_, PyAny>,
) -> PyResult<RecordArg> {
    let ep = endpoint(py, endpoint_name)?;
    if let Ok(text) = rec.cast::<PyString>() {
        return Ok(RecordArg::Json(
            ep,
            FieldStr::new(text.clone())?.to_string(),
        ));
    }
    if let Some(value) = plain_json(rec) {
        return Ok(RecordArg::Value(ep, value));
    }
    let text = py
        .import("pyun")?
        .getattr("_record_json")?
        .call1((rec, endpoint_name))?;
    Ok(RecordArg::Json(
        ep,
        FieldStr::new(text.cast_into::<PyString>()?)?.to_string(),
    ))
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
