//! The `Client` class: pushes through the core client, with the GIL released while it waits.

use pyo3::prelude::*;
use pyun_core::{BuildOptions, Client as CoreClient, ClientConfig, RetryPolicy};

use crate::args::{files, record_arg, seconds, secret, value_to_py, FileArg};
use crate::errors::OrRaise;
use crate::logs::AttemptLog;
use pyo3::types::PyString;
use pyun_core::contract::push_result_json;

/// A client for one parking lot; thread-safe (the core client is `Send + Sync`).
#[pyclass(frozen, module = "pyun._pyun")]
pub(crate) struct Client {
    /// Shared with the outbox senders started with this client.
    pub(crate) inner: std::sync::Arc<CoreClient>,
    /// Asked before each push (and drain) whether its per-attempt DEBUG record is wanted.
    pub(crate) attempt_log: AttemptLog,
}

/// A push result's contract JSON (`push_result_json`), made text only when asked: `str()` of
/// it is what `PushResult.to_json()` returns. Most callers never ask, and writing the text on
/// every push (and making it a Python str) was ~4 µs of it. Copied or pickled, it is that str.
#[pyclass(frozen, module = "pyun._pyun")]
pub(crate) struct ResultJson(serde_json::Value);

#[pymethods]
impl ResultJson {
    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> (Bound<'py, pyo3::types::PyType>, (String,)) {
        (py.get_type::<PyString>(), (self.0.to_string(),))
    }
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
            attempt_log: AttemptLog::new(py)?,
        })
    }

    /// Validates, signs and sends a record (JSON text or a dict) with files; returns the result
    /// as the dict `json.loads` would make of the contract's JSON
    /// (`pyun_core::contract::push_result_json`), and that JSON.
    fn push<'py>(
        &self,
        py: Python<'py>,
        endpoint_name: &str,
        record: &Bound<'py, PyAny>,
        files_arg: Vec<FileArg>,
    ) -> PyResult<(Bound<'py, PyAny>, ResultJson)> {
        let rec = record_arg(py, endpoint_name, record)?;
        let files = files(py, files_arg)?;
        let r = self
            .attempt_log
            .detach(py, || self.inner.push(&rec.record()?, &files))
            .or_raise(py)?;
        let json = push_result_json(&r);
        Ok((value_to_py(py, &json)?, ResultJson(json)))
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(base_url={:?}, app_secret='***')",
            self.inner.config().base_url_masked()
        )
    }
}
