//! The store of received pushes, shared by the worker processes of one server
//! (`pyun.receiver.PushStore` wraps it).

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyun_core::push_store::{new_token, Decision, Delivery, PushStore as CoreStore};

use crate::args::seconds;
use crate::errors::OrRaise;

/// A push store on a SQLite file (the one `pyun listen` writes); thread- and process-safe.
#[pyclass(frozen, module = "pyun._pyun")]
pub(crate) struct PushStore {
    inner: CoreStore,
    /// How long a claim holds when its holder dies before finishing.
    lease: Duration,
}

#[pymethods]
impl PushStore {
    #[new]
    #[pyo3(signature = (path, lease=300.0))]
    fn new(py: Python<'_>, path: PathBuf, lease: f64) -> PyResult<Self> {
        let lease = seconds(py, lease, "lease")?;
        let inner = py.detach(|| CoreStore::open(path)).or_raise(py)?;
        Ok(PushStore { inner, lease })
    }

    /// A new claim token.
    #[staticmethod]
    fn new_token() -> String {
        new_token()
    }

    /// Records a delivery and decides: "handle" (this token holds the claim for the store's
    /// lease), "handled" or "busy".
    fn claim(
        &self,
        py: Python<'_>,
        kind: &str,
        key: &str,
        encoding: &str,
        fields_json: &str,
        token: &str,
    ) -> PyResult<&'static str> {
        let d = Delivery {
            kind,
            key,
            encoding,
            fields: fields_json,
        };
        let decision = py
            .detach(|| self.inner.claim(&d, token, self.lease))
            .or_raise(py)?;
        Ok(match decision {
            Decision::Handle { .. } => "handle",
            Decision::Handled | Decision::Stored => "handled",
            Decision::Busy => "busy",
        })
    }

    /// Records the outcome of the handler run under `token`'s claim (`error` None: handled).
    #[pyo3(signature = (kind, key, token, error=None))]
    fn finish(
        &self,
        py: Python<'_>,
        kind: &str,
        key: &str,
        token: &str,
        error: Option<&str>,
    ) -> PyResult<()> {
        py.detach(|| self.inner.finish(kind, key, token, error))
            .or_raise(py)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
