//! Rust log records into Python's `logging`, under the `pyun` logger (`pyun.pyun_core...`),
//! through pyo3-log; levels are read per record, so `logging.getLogger("pyun").setLevel` works
//! at any time.
//!
//! pyo3-log asks `logging` about every record that passes its own filters: it takes the GIL,
//! formats the record and calls `isEnabledFor`, even when nobody listens. For the client's one
//! DEBUG record per attempt that was ~5 µs of a push (docs/BENCHMARKS.md). pyo3-log's level
//! cache (`Caching::LoggersAndLevels`) would avoid it, but it keeps the level it saw first:
//! a `setLevel(DEBUG)` made later (pytest's `caplog` does it) would go unseen until its cache is
//! reset, and `logging` tells nobody when a level changes. So a call that releases the GIL to
//! push asks `logging` once, while it still holds the GIL, whether that record would be handled
//! ([`AttemptLog::detach`]); when not, the record is dropped in Rust on that thread while the
//! call runs. Every other record, and every record of a thread outside such a call (the
//! outbox's senders), goes to pyo3-log as before.

use std::cell::Cell;

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyun_core::client::LOG_TARGET;

thread_local! {
    /// True while this thread runs a call whose client DEBUG records `logging` would drop.
    static ATTEMPTS_UNHEARD: Cell<bool> = const { Cell::new(false) };
}

/// The crates of the HTTP stack, whose records reach Python only from INFO up: their DEBUG
/// records, a dozen per push, each took the GIL and a call into `logging` (formatted first)
/// even with nothing listening (~15 µs of CPU per push).
const HTTP_STACK: [&str; 3] = ["ureq", "ureq_proto", "rustls"];

/// pyo3-log, with records dropped first where that needs neither the GIL nor pyo3-log's
/// per-record lookups (a hash of each prefix of the target): the HTTP stack's below INFO, and
/// the client's DEBUG records where `logging` said it drops them.
struct Gate(pyo3_log::Logger);

impl Gate {
    fn drops(&self, m: &Metadata) -> bool {
        if m.level() <= Level::Info {
            return false;
        }
        let target = m.target();
        let krate = target.split("::").next().unwrap_or(target);
        HTTP_STACK.contains(&krate) || (target == LOG_TARGET && ATTEMPTS_UNHEARD.with(Cell::get))
    }
}

impl Log for Gate {
    fn enabled(&self, m: &Metadata) -> bool {
        !self.drops(m) && self.0.enabled(m)
    }

    fn log(&self, record: &Record) {
        if !self.drops(record.metadata()) {
            self.0.log(record)
        }
    }

    fn flush(&self) {
        self.0.flush()
    }
}

/// Installs the logger for the process. A second install in one process is refused by `log`:
/// the first one stays, which is fine.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?.set_prefix("pyun");
    // What pyo3-log's own `install` sets: its most verbose filter (its default, DEBUG).
    if log::set_boxed_logger(Box::new(Gate(logger))).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
    Ok(())
}

/// `logging.DEBUG`, the level pyo3-log gives `log`'s DEBUG records.
const DEBUG: u8 = 10;

/// The `logging` logger of the client's per-attempt records (`pyun.pyun_core.client`).
pub(crate) struct AttemptLog(Py<PyAny>);

impl AttemptLog {
    pub(crate) fn new(py: Python<'_>) -> PyResult<Self> {
        let name = format!("pyun.{}", LOG_TARGET.replace("::", "."));
        let logger = py.import("logging")?.call_method1("getLogger", (name,))?;
        Ok(AttemptLog(logger.unbind()))
    }

    /// Runs `f` with the GIL released, the client's DEBUG records dropped in Rust if `logging`
    /// says now that it would drop them (if it cannot say, they go to it as any record does).
    pub(crate) fn detach<T: Send>(&self, py: Python<'_>, f: impl FnOnce() -> T + Send) -> T {
        let heard = self
            .0
            .bind(py)
            .call_method1("isEnabledFor", (DEBUG,))
            .and_then(|v| v.is_truthy())
            .unwrap_or(true);
        py.detach(|| {
            /// Puts the thread's previous state back, also when `f` panics.
            struct Restore(bool);
            impl Drop for Restore {
                fn drop(&mut self) {
                    ATTEMPTS_UNHEARD.with(|c| c.set(self.0));
                }
            }
            let _restore = Restore(ATTEMPTS_UNHEARD.with(|c| c.replace(!heard)));
            f()
        })
    }
}
