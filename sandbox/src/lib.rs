//! # pyun-sandbox
//!
//! A local stand-in for the P云 platform, in the spirit of stripe-mock but stateful: it serves
//! the four upstream endpoints at their real paths on 127.0.0.1, checks what the platform
//! checks (signature, then required fields, image hashes, duplicates) and answers exactly as the
//! platform's pages show, keeps what it accepted, injects faults on request, and sends signed
//! platform pushes to a subscriber's receiver ([`pusher`]).
//!
//! The API is blocking: [`Sandbox::start`] runs the server on its own tokio runtime, so tests,
//! the CLI and other languages' test fixtures use it without async code.

mod check;
pub mod pusher;
mod server;
mod state;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use pusher::{sample_leave_push, sample_payment_push};
pub use state::{AcceptedRecord, Counters, FileInfo, Received};

/// Faults to inject, applied to each request before anything else.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Answer the first N requests (counted from when these faults were set) with 503.
    pub fail_first: u32,
    /// Fraction (0..1) of requests answered with a random 500 or 503.
    pub error_rate: f64,
    /// Delay added before each answer.
    #[serde(rename = "latency_ms", with = "millis")]
    pub latency: Duration,
    /// Fraction (0..1) of requests whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Close the connection of the first N requests without an answer.
    pub drop_first: u32,
    /// Drop connections only *after* the record was checked and stored: the platform got it,
    /// the answer was lost. This is what proves resending is safe.
    pub drop_after_store: bool,
    /// Answer the N requests after `drop_first` and `fail_first` the way a gateway, proxy or
    /// captive portal in front of the platform does: without the platform's JSON. Which answer
    /// is `gateway_status`.
    pub gateway_first: u32,
    /// The gateway's HTTP status: 429 (with `retry_after`), a 3xx (a redirect to a login
    /// page), 404, or 200 (an HTML page); other statuses get the HTML page too.
    pub gateway_status: u16,
    /// The `Retry-After` header of the gateway's answers (seconds or an HTTP date), if any.
    pub retry_after: Option<String>,
    /// Seed for the random faults, for repeatable runs.
    pub seed: Option<u64>,
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// How to start a sandbox.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The secret signatures are checked with.
    pub app_secret: String,
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Faults from the start.
    pub faults: Faults,
    /// The `data_node` the answers carry.
    pub data_node: String,
    /// Time allowed to receive a request's headers, and then its body: a client that claims
    /// a 1 GB body and sends it slowly (or never) does not hold a connection forever.
    pub read_timeout: Duration,
    /// Accepted records and logged record keys (`/_sandbox/records`, `/_sandbox/received`)
    /// kept, the oldest forgotten first, so that a long run's memory stays bounded; the
    /// counters say how many were forgotten.
    pub keep: usize,
    /// Keys the duplicate check remembers (8 bytes each), the oldest forgotten first.
    pub dedup_keys: usize,
}

/// Default of [`SandboxConfig::keep`].
pub const DEFAULT_KEEP: usize = 10_000;
/// Default of [`SandboxConfig::dedup_keys`]: about 20 MB at most.
pub const DEFAULT_DEDUP_KEYS: usize = 1_000_000;

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            app_secret: "123".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            faults: Faults::default(),
            data_node: "SANDBOX/LOCAL-1".into(),
            read_timeout: Duration::from_secs(30),
            keep: DEFAULT_KEEP,
            dedup_keys: DEFAULT_DEDUP_KEYS,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("app_secret", &"***")
            .field("addr", &self.addr)
            .field("faults", &self.faults)
            .field("data_node", &self.data_node)
            .field("read_timeout", &self.read_timeout)
            .field("keep", &self.keep)
            .field("dedup_keys", &self.dedup_keys)
            .finish()
    }
}

/// A running sandbox. Stops on [`Sandbox::shutdown`] or when dropped.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<state::State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving on a runtime of its own.
    pub fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("pyun-sandbox")
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind(config.addr))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state::State::new(&config));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let serving = state.clone();
        let thread = std::thread::Builder::new()
            .name("pyun-sandbox".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, serving, stopped));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Sandbox {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The accepted records still kept (the last [`SandboxConfig::keep`]), in acceptance order.
    pub fn records(&self) -> Vec<AcceptedRecord> {
        self.state.records()
    }

    /// Every record key that arrived with a valid signature, with how often, before
    /// de-duplication (also `GET /_sandbox/received`).
    pub fn received(&self) -> Vec<Received> {
        self.state.received()
    }

    /// The counters.
    pub fn counters(&self) -> Counters {
        self.state.counters()
    }

    /// Replaces the faults (their "first N" counts start again).
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// Forgets records, duplicates and counters.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Stops serving and waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_now();
    }
}
