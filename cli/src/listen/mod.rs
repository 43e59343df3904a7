//! `pyun listen`: a ready receiver for the platform's pushes (pages 000 and 004).
//!
//! Each push is read in any encoding (`pyun_core::receive`), verified, stored durably with a
//! claim in the same transaction (`pyun_core::push_store`, through `pushes.rs`'s writer),
//! handed once to the handler (`--exec` or `--forward`), and acknowledged with
//! `{"code":"1001"}` only once it is on disk and the handler succeeded. Anything else gets a
//! non-ack status, so the platform sends it again.
//!
//! The handling belongs to the listener, not to the connection (`once.rs`): a sender that hangs
//! up does not stop a handler, and a copy arriving meanwhile waits for its outcome.
//!
//! HTTP is hyper's (the server the sandbox uses), driven by a small accept loop: a bounded
//! number of connections, a header read timeout (hyper's), a body read timeout and size limit,
//! half-closed connections answered, and a graceful stop on SIGINT/SIGTERM (in-flight requests
//! and handlers finish, within a bound).

mod handler;
mod once;
mod request;
mod tree;

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime};

use clap::Args;
use hyper_util::rt::{TokioIo, TokioTimer};
use pyun_core::{AppSecret, Lang, Msg};

use crate::pushes::{self, Op};
use crate::stop::Stop;
use crate::{Failure, SecretArg};

/// `pyun listen`.
#[derive(Args)]
pub struct ListenArgs {
    /// The port (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// The address to bind. The default accepts local connections only: put a TLS-terminating
    /// proxy in front, or give 0.0.0.0 knowingly.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    #[command(flatten)]
    secret: SecretArg,
    /// The SQLite store of received pushes (created if missing). One `pyun listen` serves a
    /// store: at start it ends the claims a killed listener left.
    #[arg(long, default_value = "pushes.db")]
    db: PathBuf,
    /// Run this command (through the shell) once per distinct push, the push's fields as a
    /// JSON object on standard input, PYUN_PUSH_KIND and PYUN_PUSH_KEY (percent-encoded; absent
    /// when longer than 256 bytes so encoded) in the environment; exit status 0 means handled.
    #[arg(long, conflicts_with = "forward")]
    exec: Option<String>,
    /// POST each distinct push's fields as JSON to this URL (a local service), with the
    /// X-Pyun-Push-Kind and X-Pyun-Push-Key headers (the key as in PYUN_PUSH_KEY); a 2xx
    /// answer means handled. Redirects are not followed: a 3xx is a failure.
    #[arg(long)]
    forward: Option<String>,
    /// Seconds a handler may take before it counts as failed (an --exec handler is ended, with
    /// every process it started).
    #[arg(long, default_value_t = 30)]
    handler_timeout: u64,
    /// Largest body accepted, bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body: usize,
    /// Seconds to receive a request's headers, and then its body.
    #[arg(long, default_value_t = 10)]
    read_timeout: u64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// For tests: wait this long after a push is committed, before answering.
    #[arg(long, default_value_t = 0, hide = true)]
    ack_delay_ms: u64,
}

enum Handler {
    None,
    Exec(String),
    Forward(String),
}

/// What every request of one listener shares.
struct Ctx {
    secret: AppSecret,
    /// The language of the log (an answer's body is English).
    lang: Lang,
    handler: Handler,
    handler_timeout: Duration,
    max_body: usize,
    read_timeout: Duration,
    ack_delay: Duration,
    writes: Mutex<mpsc::Sender<Op>>,
    /// Pushes this listener is handling now, each with the signal its end sends to the copies
    /// that wait for it.
    in_flight: Mutex<HashMap<(String, String), tokio::sync::watch::Receiver<()>>>,
    /// How many handlings are running (the stop waits for them).
    handling: tokio::sync::watch::Sender<usize>,
    forward_agent: ureq::Agent,
}

fn stamp() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Writes one log line to standard output. A closed or full output loses the line, never the
/// listener: a daemon's logging must not end it.
fn log(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{} {}", stamp(), line);
    let _ = out.flush();
}

/// Runs `pyun listen` until `stop` (Ctrl+C / SIGTERM, or the service's stop).
pub fn run(a: ListenArgs, stop: Stop) -> Result<u8, Failure> {
    if a.secret.app_secret.is_empty() {
        return Err(Failure::msg(2, Msg::ListenSecretEmpty, &[]));
    }
    if let Some(url) = &a.forward {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::msg(
                2,
                Msg::ListenForward,
                &[&format_args!("{:?}", url)],
            ));
        }
    }
    if let Some(program) = a.exec.as_deref().and_then(handler::missing_program) {
        let cwd = std::env::current_dir().unwrap_or_default();
        let why = if program.contains('/') || program.contains('\\') {
            Msg::ListenExecNotFound
        } else {
            Msg::ListenExecNotOnPath
        };
        let why = why.text(Lang::from_env(), &[]);
        return Err(Failure::msg(
            2,
            Msg::ListenExecMissing,
            &[&program, &why, &cwd.display()],
        ));
    }
    handler::ignore_file_size_signal();
    let conn = pyun_core::push_store::open(&a.db, true)?;
    let released = pyun_core::push_store::release_all_claims(&conn)
        .map_err(|e| Failure::msg(4, Msg::PushStoreFailed, &[&a.db.display(), &e]))?;
    let writer = pushes::Writer::start(conn);
    let handler_timeout = Duration::from_secs(a.handler_timeout.max(1));
    let ctx = Arc::new(Ctx {
        secret: AppSecret::new(a.secret.app_secret.clone()),
        lang: Lang::from_env(),
        handler: match (a.exec, a.forward) {
            (Some(c), _) => Handler::Exec(c),
            (None, Some(u)) => Handler::Forward(u),
            (None, None) => Handler::None,
        },
        handler_timeout,
        max_body: a.max_body,
        read_timeout: Duration::from_secs(a.read_timeout.max(1)),
        ack_delay: Duration::from_millis(a.ack_delay_ms),
        writes: Mutex::new(writer.sender()),
        in_flight: Mutex::new(HashMap::new()),
        handling: tokio::sync::watch::channel(0).0,
        forward_agent: ureq::Agent::config_builder()
            .timeout_global(Some(handler_timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .new_agent(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::msg(2, Msg::CliCannotStart, &[&e]))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    stop.install(move || {
        let _ = stop_tx.send(true);
    })
    .map_err(|e| Failure::new(2, e))?;
    let addr = SocketAddr::new(a.bind, a.port);
    let max_connections = a.max_connections.max(1);
    let header_timeout = Duration::from_secs(a.read_timeout.max(1));
    let db = a.db.clone();
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::msg(2, Msg::CliCannotListen, &[&addr, &e]))?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::new(2, e.to_string()))?;
        let lang = Lang::from_env();
        let started = Msg::ListenStarted.text(lang, &[&local, &db.display()]);
        log(format_args!("{}", started));
        if released > 0 {
            log(format_args!(
                "{}",
                Msg::ListenReleased.text(lang, &[&released])
            ));
        }
        let mut handling = ctx.handling.subscribe();
        serve(listener, ctx, stop_rx, max_connections, header_timeout).await;
        // Handlers still running (their senders may have gone) finish, within their timeout.
        let _ = tokio::time::timeout(
            handler_timeout + Duration::from_secs(2),
            handling.wait_for(|n| *n == 0),
        )
        .await;
        Ok::<_, Failure>(())
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    writer.stop();
    log(format_args!(
        "{}",
        Msg::ListenStopped.text(Lang::from_env(), &[])
    ));
    result.map(|_| 0)
}

async fn serve(
    listener: tokio::net::TcpListener,
    ctx: Arc<Ctx>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    max_connections: usize,
    header_timeout: Duration,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    loop {
        let permit = tokio::select! {
            _ = stop.changed() => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => break,
            a = listener.accept() => match a {
                Ok(s) => s,
                Err(e) => {
                    // Out of descriptors: wait rather than spin.
                    let lang = Lang::from_env();
                    log(format_args!("{}", Msg::ListenAcceptFailed.text(lang, &[&e])));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let ctx = ctx.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let ctx = ctx.clone();
                async move { Ok::<_, Infallible>(request::handle(ctx, peer, req).await) }
            });
            // half_close: a sender that shuts its side down after the request still gets the
            // answer (hyper would otherwise drop the request at the read end).
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .half_close(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    // Finish the request in flight, then close.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    // Wait (bounded) for the connections in flight to finish their request.
    let all = permits.acquire_many(max_connections as u32);
    let _ = tokio::time::timeout(Duration::from_secs(15), all).await;
}
