//! `pyun._pyun`: the native half of the Python package. A thin translation of `pyun-core`:
//! records cross as JSON text (the core's reader is the one place that validates them),
//! results come back as plain dicts that `pyun/__init__.py` wraps in typed classes, and every
//! core error becomes a Python exception in one place, `errors::to_py_err`. The GIL is
//! released around everything that waits on the network or reads files.
//!
//! Here: the module's functions and its initialisation; `args` reads arguments, `errors` maps
//! exceptions, `logs` carries Rust log records to `logging`, `client`, `outbox` and
//! `push_store` hold the classes.

mod args;
mod client;
mod errors;
mod field_str;
mod logs;
mod outbox;
mod push_store;

use args::{endpoint, files, owned, record, secret, str_fields, to_py, FileArg};
use client::Client;
use errors::{config_err, OrRaise};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use pyun_core::contract::diagnosis_json;
use pyun_core::push::{self as core_push, LeavePush, PaymentPush};
use pyun_core::sign::{self as core_sign, EmptyRule, VerifyError};
use pyun_core::{AnyRecord, BuildOptions, Error, Record};

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

/// The binding contract's failure kinds (`pyun_core::contract::ErrorKind`): name, C result
/// number, CLI exit code, JSON kind and exception class of each, for the tests that check the
/// faces agree.
#[pyfunction]
fn error_kinds() -> Vec<(String, u32, u8, &'static str, &'static str)> {
    pyun_core::contract::ErrorKind::ALL
        .iter()
        .map(|k| {
            let i = k.info();
            (
                format!("{:?}", k),
                i.c_result,
                i.exit_code,
                i.json_kind,
                i.python_exception,
            )
        })
        .collect()
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
        Some(t) => Some(
            pyun_core::time::EpochMillis::new(t)
                .map_err(|e| errors::to_py_err(py, pyun_core::Error::Config(e)))?,
        ),
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

#[pymodule]
fn _pyun(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logs::install(m.py())?;
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
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    m.add_class::<Client>()?;
    m.add_class::<client::ResultJson>()?;
    m.add_class::<outbox::Outbox>()?;
    m.add_class::<outbox::Sender>()?;
    m.add_class::<push_store::PushStore>()?;
    m.add("__version__", pyun_core::VERSION)?;
    m.add("ACK_BODY", core_push::ACK_BODY)?;
    Ok(())
}
