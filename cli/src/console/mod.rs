//! `pyun console`: a local web page for a lot's staff: the queues of outboxes, their dead
//! letters (with actions), a search by plate or serial, a record's whole story, and a chart of
//! the last 24 hours, with the pushes `pyun listen` received.
//!
//! HTTP is axum on tokio (what the sandbox serves with). Security (docs/console.md): bound to
//! 127.0.0.1 unless `--allow-remote`; a random token in the printed URL, required on every
//! request (`guard.rs`); POSTs need it in a header or form field and a same-origin `Origin`;
//! `--read-only` refuses every POST; every JSON answer passes `scrub.rs`. The console is never
//! given an app_secret or a base URL, and the stores keep none (the outbox keeps failures with
//! URLs whose password was taken out), so there is nothing to leak; the scrub is the second
//! line.

mod api;
mod assets;
mod guard;
mod scrub;
mod state;

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::stop::Stop;
use crate::Failure;
use pyun_core::Msg;
use state::{Console, Lang};

/// `pyun console`.
#[derive(Args)]
pub struct ConsoleArgs {
    /// An outbox database to show. Repeatable.
    #[arg(long = "outbox", value_name = "DB", required = true)]
    outboxes: Vec<PathBuf>,
    /// The push store `pyun listen` writes, to show and search its pushes.
    #[arg(long, value_name = "DB")]
    pushes: Option<PathBuf>,
    /// The address to bind. Only a loopback address unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port (0 picks a free one; the URL is printed on the first line).
    #[arg(long, default_value_t = 8050)]
    port: u16,
    /// Bind a non-loopback --host knowingly: other machines can then reach the page (still
    /// only with the token, over plain HTTP).
    #[arg(long)]
    allow_remote: bool,
    /// Show only: every action (requeue, purge) is refused.
    #[arg(long)]
    read_only: bool,
    /// The page's language: en or zh (the page can switch). Default: the language pyun's
    /// messages use (PYUN_LANG, then the locale; English).
    #[arg(long)]
    lang: Option<String>,
    /// Open outboxes on a network share anyway (see `pyun outbox --allow-network-share`).
    #[arg(long)]
    allow_network_share: bool,
}

/// A random token of 32 bytes from the OS, in hex.
fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

/// The variable an operator sets the console's token with (in a service's `--env-file`).
pub const TOKEN_VAR: &str = "PYUN_CONSOLE_TOKEN";

/// The token from [`TOKEN_VAR`], if set. Why it exists: a console run as a Windows service
/// would print its random token into the service's log, which every user of the PC can read
/// (and the token lets its holder requeue and purge). With the token in the env file, which
/// only Administrators and SYSTEM read and the service logs by name only, the operator knows
/// it and the log never holds it. A token file written by the console was the other way; it
/// would need an ACL set by pyun, where the env file's is set and documented once. URL-safe
/// characters only (it travels in a query and a cookie), and long enough not to be guessed.
pub fn env_token() -> Result<Option<String>, Failure> {
    let Some(v) = std::env::var_os(TOKEN_VAR) else {
        return Ok(None);
    };
    // Never echoed: the value is a secret.
    let ok = v.to_str().is_some_and(|t| {
        (32..=256).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    });
    if !ok {
        return Err(Failure::msg(2, Msg::ConsoleTokenChars, &[&TOKEN_VAR]));
    }
    Ok(v.into_string().ok())
}

/// Runs the console until `stop` (Ctrl+C / SIGTERM, or a service's stop).
pub fn run(a: ConsoleArgs, stop: Stop) -> Result<u8, Failure> {
    let lang = match &a.lang {
        None => Lang::from_env(),
        Some(l) => Lang::parse(l)
            .ok_or_else(|| Failure::msg(2, Msg::ConsoleLang, &[&format_args!("{:?}", l)]))?,
    };
    if !a.host.is_loopback() && !a.allow_remote {
        return Err(Failure::msg(2, Msg::ConsoleNotLoopback, &[&a.host]));
    }
    let given = env_token()?;
    let console = Console::open(&a.outboxes, a.pushes.as_deref(), a.allow_network_share)?;
    let addr = SocketAddr::new(a.host, a.port);
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Failure::msg(2, Msg::CliCannotListen, &[&addr, &e]))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::new(2, e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::new(2, e.to_string()))?;
    let shown = match local.ip() {
        IpAddr::V6(ip) => format!("[{}]:{}", ip, local.port()),
        IpAddr::V4(ip) => format!("{}:{}", ip, local.port()),
    };
    let token = match given {
        // The operator's token: named, never printed (the output may be a service's log).
        Some(t) => {
            let url = format!("http://{}/?token=<{}>", shown, TOKEN_VAR);
            println!("{}", Msg::ConsoleUrl.text(lang, &[&url]));
            t
        }
        None => {
            let t = new_token();
            let url = format!("http://{}/?token={}", shown, t);
            println!("{}", Msg::ConsoleUrl.text(lang, &[&url]));
            t
        }
    };
    if !a.host.is_loopback() {
        eprintln!("{}", Msg::ConsoleRemote.text(lang, &[&local]));
    }
    if a.read_only {
        eprintln!("{}", Msg::ConsoleReadOnly.text(lang, &[]));
    }
    let _ = std::io::stdout().flush();
    let shared = Arc::new(state::Shared {
        console,
        token,
        local,
        read_only: a.read_only,
        lang,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::msg(2, Msg::CliCannotStart, &[&e]))?;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    stop.install(move || {
        let _ = stop_tx.send(true);
    })
    .map_err(|e| Failure::new(2, e))?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = api::router(shared.clone())
            .merge(assets::router(shared.clone()))
            .layer(axum::middleware::from_fn_with_state(shared, guard::check));
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            })
            .await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map_err(|e| Failure::msg(2, Msg::ConsoleFailed, &[&e]))?;
    Ok(0)
}
