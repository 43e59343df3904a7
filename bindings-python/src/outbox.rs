//! The durable outbox and its background sender.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyun_core::outbox::{Outbox as CoreOutbox, OutboxOptions, Sender as CoreSender};

use crate::args::{days, files, record_arg, seconds, to_py, FileArg};
use crate::client::Client;
use crate::errors::OrRaise;

/// A durable outbox on a SQLite file; thread-safe.
#[pyclass(frozen, module = "pyun._pyun")]
pub(crate) struct Outbox {
    inner: CoreOutbox,
}

#[pymethods]
impl Outbox {
    #[new]
    #[pyo3(signature = (path, carry_enter_fields=false, audit_days=30.0, max_backoff=300.0, allow_network_share=false, accept_fresh_start=false))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        carry_enter_fields: bool,
        audit_days: f64,
        max_backoff: f64,
        allow_network_share: bool,
        accept_fresh_start: bool,
    ) -> PyResult<Self> {
        let max_backoff = seconds(py, max_backoff, "max_backoff")?;
        let options = OutboxOptions {
            carry_enter_fields,
            audit_period: days(py, audit_days, "audit_days", false)?,
            max_backoff,
            initial_backoff: OutboxOptions::default().initial_backoff.min(max_backoff),
            allow_network_share,
            ..OutboxOptions::default()
        };
        let inner = py
            .detach(|| {
                if accept_fresh_start {
                    CoreOutbox::accept_fresh_start(path, options)
                } else {
                    CoreOutbox::open(path, options)
                }
            })
            .or_raise(py)?;
        Ok(Outbox { inner })
    }

    /// Stores a record (JSON text or a dict) durably; returns its id.
    fn enqueue(
        &self,
        py: Python<'_>,
        endpoint_name: &str,
        record: &Bound<'_, PyAny>,
        files_arg: Vec<FileArg>,
    ) -> PyResult<i64> {
        // A dict is read as it is, as `Client.push` reads it: json.dumps and serde's parse of
        // the text cost ~15 µs under the GIL, which 16 threads enqueueing at once take turns
        // holding (issue 26).
        let rec = record_arg(py, endpoint_name, record)?;
        let files = files(py, files_arg)?;
        py.detach(|| self.inner.enqueue(&rec.record()?, &files))
            .or_raise(py)
    }

    /// Delivers what is due through a client.
    fn drain(&self, py: Python<'_>, client: &Client) -> PyResult<Py<PyAny>> {
        let r = client
            .attempt_log
            .detach(py, || self.inner.drain(&client.inner))
            .or_raise(py)?;
        to_py(py, &r)
    }

    /// Counts by state.
    fn counts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let c = py.detach(|| self.inner.counts()).or_raise(py)?;
        to_py(py, &c)
    }

    /// The dead letters.
    fn dead_letters(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let d = py.detach(|| self.inner.dead_letters()).or_raise(py)?;
        to_py(py, &d)
    }

    /// Re-queues dead letters (one id, or all).
    #[pyo3(signature = (id=None))]
    fn retry_dead(&self, py: Python<'_>, id: Option<i64>) -> PyResult<u64> {
        py.detach(|| self.inner.retry_dead(id)).or_raise(py)
    }

    /// Drops accepted records older than the audit period (or `older_than_days`).
    #[pyo3(signature = (older_than_days=None))]
    fn purge_done(&self, py: Python<'_>, older_than_days: Option<f64>) -> PyResult<u64> {
        // Zero is allowed here: "purge every accepted record".
        let older = match older_than_days {
            Some(d) => Some(days(py, d, "older_than_days", true)?),
            None => None,
        };
        py.detach(|| self.inner.purge_done(older)).or_raise(py)
    }

    /// Starts the background sender (woken by every enqueue through this outbox).
    fn start_sender(&self, py: Python<'_>, client: &Client, poll: f64) -> PyResult<Sender> {
        let poll = seconds(py, poll, "poll")?;
        let sender = self.inner.start_sender(client.inner.clone(), poll);
        Ok(Sender {
            inner: Mutex::new(Some(sender)),
        })
    }

    /// One record's status by id, or `None`.
    fn record(&self, py: Python<'_>, id: i64) -> PyResult<Py<PyAny>> {
        let r = py.detach(|| self.inner.record(id)).or_raise(py)?;
        to_py(py, &r)
    }

    /// The records of a `parking_serial` / `flow_no`.
    fn find(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
        let r = py.detach(|| self.inner.find(key)).or_raise(py)?;
        to_py(py, &r)
    }

    /// Records, oldest first, optionally of one state.
    #[pyo3(signature = (state=None, limit=1000))]
    fn list(&self, py: Python<'_>, state: Option<&str>, limit: usize) -> PyResult<Py<PyAny>> {
        let r = py.detach(|| self.inner.list(state, limit)).or_raise(py)?;
        to_py(py, &r)
    }

    /// The pending record delivered next, or `None`.
    fn head(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let r = py.detach(|| self.inner.head()).or_raise(py)?;
        to_py(py, &r)
    }

    /// Delivery events after a position.
    #[pyo3(signature = (after=0, limit=1000))]
    fn events(&self, py: Python<'_>, after: i64, limit: usize) -> PyResult<Py<PyAny>> {
        let r = py.detach(|| self.inner.events(after, limit)).or_raise(py)?;
        to_py(py, &r)
    }
}

/// A running background sender; `stop()` finishes the record in flight, then ends it.
#[pyclass(frozen, module = "pyun._pyun")]
pub(crate) struct Sender {
    inner: Mutex<Option<CoreSender>>,
}

#[pymethods]
impl Sender {
    /// Stops the sender and waits for it (without the GIL: its thread may be logging through
    /// Python). A second stop does nothing.
    fn stop(&self, py: Python<'_>) {
        let sender = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(s) = sender {
            py.detach(|| s.stop());
        }
    }

    /// Whether its thread runs.
    #[getter]
    fn running(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(CoreSender::is_running)
    }

    /// Why its thread ended on its own (an internal error, logged), or `None`.
    #[getter]
    fn failure(&self) -> Option<String> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(CoreSender::failure)
    }
}

impl Drop for Sender {
    /// A sender dropped by the garbage collector is stopped like `stop()`: without the GIL,
    /// which its thread may be waiting for to log.
    fn drop(&mut self) {
        let sender = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(s) = sender {
            Python::attach(|py| py.detach(|| s.stop()));
        }
    }
}
