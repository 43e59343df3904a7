//! `pyun listen`: a ready receiver for the platform's pushes (pages 000 and 004).
//!
//! Each push is read in any encoding (`pyun_core::receive`), verified, stored durably with
//! de-duplication by its key (`pushes.rs`), handed once to the handler (`--exec` or
//! `--forward`), and acknowledged with `{"code":"1001"}` only once it is on disk and the
//! handler succeeded. Anything else gets a non-ack status, so the platform sends it again.
//!
//! HTTP is hyper's (the server the sandbox uses), driven by a small accept loop: a bounded
//! number of connections, a header read timeout (hyper's), a body read timeout and size limit,
//! and a graceful stop on SIGINT/SIGTERM (in-flight requests finish, within a bound).

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use pyun_core::receive::{verify_request, ReceivedPush};
use pyun_core::sign::VerifyError;
use pyun_core::{AppSecret, Error as CoreError};
use tokio::io::AsyncWriteExt;

use crate::pushes::{self, Op, Stored};
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
    /// The SQLite store of received pushes (created if missing).
    #[arg(long, default_value = "pushes.db")]
    db: PathBuf,
    /// Run this command (through the shell) once per distinct push, the push's fields as a
    /// JSON object on standard input, PYUN_PUSH_KIND and PYUN_PUSH_KEY in the environment;
    /// exit status 0 means handled.
    #[arg(long, conflicts_with = "forward")]
    exec: Option<String>,
    /// POST each distinct push's fields as JSON to this URL (a local service); a 2xx answer
    /// means handled.
    #[arg(long)]
    forward: Option<String>,
    /// Seconds a handler may take before it counts as failed.
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

struct Ctx {
    secret: AppSecret,
    handler: Handler,
    handler_timeout: Duration,
    max_body: usize,
    read_timeout: Duration,
    ack_delay: Duration,
    writes: Mutex<mpsc::Sender<Op>>,
    /// Pushes whose handler is running: a copy arriving meanwhile is told to come again.
    in_flight: Mutex<HashSet<(String, String)>>,
    forward_agent: ureq::Agent,
}

fn answer(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    answer(
        status,
        serde_json::json!({ "code": status.as_u16().to_string(), "message": message }).to_string(),
    )
}

fn stamp() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// The one log line per request that reached the push logic.
fn log_line(peer: SocketAddr, what: &str, started: Instant) {
    println!(
        "{} {} {} ({} ms)",
        stamp(),
        peer.ip(),
        what,
        started.elapsed().as_millis()
    );
}

async fn handle(ctx: Arc<Ctx>, peer: SocketAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    if req.method() != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "pushes are POSTed");
    }
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = Limited::new(req.into_body(), ctx.max_body).collect();
    let body = match tokio::time::timeout(ctx.read_timeout, body).await {
        Err(_) => {
            log_line(peer, "refused: the body did not arrive in time", started);
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            );
        }
        Ok(Err(e)) => {
            let too_big = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let msg = if too_big {
                format!("the body is larger than {} bytes", ctx.max_body)
            } else {
                format!("the body could not be read: {}", e)
            };
            log_line(peer, &format!("refused: {}", msg), started);
            let status = if too_big {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return refuse(status, &msg);
        }
        Ok(Ok(b)) => b.to_bytes(),
    };
    let push = match verify_request(content_type.as_deref(), &body, &ctx.secret) {
        Ok(p) => p,
        Err(e) => {
            let (status, what) = match &e {
                CoreError::Signature(VerifyError::MissingSign) => (
                    StatusCode::BAD_REQUEST,
                    "the push has no `sign` field".to_string(),
                ),
                CoreError::Signature(v) => (StatusCode::UNAUTHORIZED, v.to_string()),
                other => (StatusCode::BAD_REQUEST, other.to_string()),
            };
            let (kind, key) = pyun_core::receive::parse_request(content_type.as_deref(), &body)
                .map(|f| pyun_core::receive::PushKind::of(&f))
                .map(|(k, key)| (k.name(), key))
                .unwrap_or(("unknown", String::new()));
            log_line(
                peer,
                &format!(
                    "push {} {:?} NOT VERIFIED, not acknowledged: {}",
                    kind, key, what
                ),
                started,
            );
            return refuse(status, &what);
        }
    };
    let label = format!(
        "push {} {:?} verified ({})",
        push.kind.name(),
        push.key,
        push.encoding.name()
    );
    let (status, result) = process(&ctx, &push).await;
    log_line(peer, &format!("{}: {}", label, result), started);
    if status == StatusCode::OK {
        if !ctx.ack_delay.is_zero() {
            tokio::time::sleep(ctx.ack_delay).await;
        }
        answer(StatusCode::OK, pyun_core::push::ACK_BODY.to_string())
    } else {
        refuse(status, &result)
    }
}

async fn write<T>(
    ctx: &Ctx,
    make: impl FnOnce(tokio::sync::oneshot::Sender<Result<T, String>>) -> Op,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sent = ctx
        .writes
        .lock()
        .map_err(|_| "the store writer is gone".to_string())?
        .send(make(tx));
    if sent.is_err() {
        return Err("the store writer is gone".into());
    }
    rx.await
        .map_err(|_| "the store writer stopped".to_string())?
}

/// Stores, handles once, and says whether to acknowledge.
async fn process(ctx: &Ctx, push: &ReceivedPush) -> (StatusCode, String) {
    let kind = push.kind.name().to_string();
    let key = push.key.clone();
    let fields = push.fields_json();
    let no_handler = matches!(ctx.handler, Handler::None);
    let stored = write(ctx, |reply| Op::Store {
        kind: kind.clone(),
        key: key.clone(),
        encoding: push.encoding.name().into(),
        fields: fields.clone(),
        handled: no_handler,
        reply,
    })
    .await;
    let stored = match stored {
        Ok(s) => s,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("NOT STORED, not acknowledged: {}", e),
            )
        }
    };
    match stored {
        Stored::Handled => return (StatusCode::OK, "duplicate, acknowledged".into()),
        Stored::New if no_handler => return (StatusCode::OK, "new, stored, acknowledged".into()),
        _ => {}
    }
    let flight = (kind.clone(), key.clone());
    if !ctx
        .in_flight
        .lock()
        .map(|mut s| s.insert(flight.clone()))
        .unwrap_or(false)
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "a copy is being handled now, not acknowledged".into(),
        );
    }
    let outcome = run_handler(ctx, push, &fields).await;
    let recorded = write(ctx, |reply| Op::Outcome {
        kind: kind.clone(),
        key: key.clone(),
        error: outcome.clone().err(),
        reply,
    })
    .await;
    if let Ok(mut s) = ctx.in_flight.lock() {
        s.remove(&flight);
    }
    let seen = if stored == Stored::New {
        "new"
    } else {
        "stored before, not yet handled"
    };
    match (outcome, recorded) {
        (Ok(()), Ok(())) => (StatusCode::OK, format!("{}, handled, acknowledged", seen)),
        (Ok(()), Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "{}, handled, but NOT RECORDED as handled, not acknowledged: {}",
                seen, e
            ),
        ),
        (Err(e), _) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{}, HANDLER FAILED, not acknowledged: {}", seen, e),
        ),
    }
}

async fn run_handler(ctx: &Ctx, push: &ReceivedPush, fields: &str) -> Result<(), String> {
    match &ctx.handler {
        Handler::None => Ok(()),
        Handler::Exec(cmd) => {
            let mut command = if cfg!(windows) {
                let mut c = tokio::process::Command::new("cmd");
                c.arg("/C").arg(cmd);
                c
            } else {
                let mut c = tokio::process::Command::new("sh");
                c.arg("-c").arg(cmd);
                c
            };
            command
                .env("PYUN_PUSH_KIND", push.kind.name())
                .env("PYUN_PUSH_KEY", &push.key)
                .env_remove("PYUN_APP_SECRET")
                .stdin(std::process::Stdio::piped())
                .kill_on_drop(true);
            let mut child = command
                .spawn()
                .map_err(|e| format!("cannot run --exec: {}", e))?;
            let mut stdin = child.stdin.take();
            let input = fields.as_bytes().to_vec();
            let run = async move {
                if let Some(s) = stdin.as_mut() {
                    // A handler that does not read its input is its own business.
                    let _ = s.write_all(&input).await;
                }
                drop(stdin);
                child.wait().await
            };
            match tokio::time::timeout(ctx.handler_timeout, run).await {
                Err(_) => Err(format!(
                    "--exec took longer than {} s",
                    ctx.handler_timeout.as_secs()
                )),
                Ok(Err(e)) => Err(format!("--exec: {}", e)),
                Ok(Ok(st)) if st.success() => Ok(()),
                Ok(Ok(st)) => Err(format!("--exec ended with {}", st)),
            }
        }
        Handler::Forward(url) => {
            let agent = ctx.forward_agent.clone();
            let url = url.clone();
            let body = fields.to_string();
            let kind = push.kind.name();
            let key = push.key.clone();
            tokio::task::spawn_blocking(move || {
                let r = agent
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .header("X-Pyun-Push-Kind", kind)
                    .header("X-Pyun-Push-Key", key.as_str())
                    .send(body.as_str())
                    .map_err(|e| format!("--forward: {}", e))?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("--forward answered HTTP {}", r.status().as_u16()))
                }
            })
            .await
            .map_err(|e| format!("--forward: {}", e))?
        }
    }
}

/// Runs `pyun listen` until SIGINT/SIGTERM.
pub fn run(a: ListenArgs) -> Result<u8, Failure> {
    if a.secret.app_secret.is_empty() {
        return Err(Failure::usage("the app_secret is empty"));
    }
    if let Some(url) = &a.forward {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::usage(format!(
                "--forward {:?} must start with http:// or https://",
                url
            )));
        }
    }
    let conn = pushes::open(&a.db)?;
    let writer = pushes::Writer::start(conn);
    let handler_timeout = Duration::from_secs(a.handler_timeout.max(1));
    let ctx = Arc::new(Ctx {
        secret: AppSecret::new(a.secret.app_secret.clone()),
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
        in_flight: Mutex::new(HashSet::new()),
        forward_agent: ureq::Agent::config_builder()
            .timeout_global(Some(handler_timeout))
            .http_status_as_error(false)
            .build()
            .new_agent(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(2, format!("cannot start: {}", e)))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(true);
    })
    .map_err(|e| Failure::new(2, format!("cannot handle Ctrl+C: {}", e)))?;
    let addr = SocketAddr::new(a.bind, a.port);
    let max_connections = a.max_connections.max(1);
    let header_timeout = Duration::from_secs(a.read_timeout.max(1));
    let db = a.db.clone();
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::new(2, format!("cannot listen on {}: {}", addr, e)))?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::new(2, e.to_string()))?;
        println!(
            "{} listening on http://{} (store {}); Ctrl+C stops",
            stamp(),
            local,
            db.display()
        );
        serve(listener, ctx, stop_rx, max_connections, header_timeout).await;
        Ok::<_, Failure>(())
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    writer.stop();
    println!("{} stopped", stamp());
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
                    eprintln!("{} accept failed: {}", stamp(), e);
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
                async move { Ok::<_, Infallible>(handle(ctx, peer, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
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
