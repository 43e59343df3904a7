//! `pyun`: push records to the P云 platform, sign and verify, explain ignored pushes, and run
//! a local sandbox of the platform.
//!
//! Exit codes: 0 success; 1 the platform refused (or a signature is invalid); 2 unusable input
//! or configuration; 3 network failure; 4 the outbox database failed.

mod commands;
mod demo;
mod input;
mod listen;
mod outbox;
mod pushes;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Talk to the P云 (4pyun) parking cloud.
#[derive(Parser)]
#[command(name = "pyun", version, about, propagate_version = true)]
struct Cli {
    /// Log what happens (repeat for more): requests, retries, masked canonical strings.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a sandbox in-process and push a realistic sequence of records to it.
    Demo {
        /// Folder with enter.json, leave.json, release.json, update.json and the photos.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Validate, sign and send one record.
    Push(commands::PushArgs),
    /// Print the sign of a flat JSON object of string fields.
    Sign {
        #[command(flatten)]
        secret: SecretArg,
        /// Print the canonical string (secret masked) instead of the sign.
        #[arg(long)]
        canonical: bool,
        /// JSON file, or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Verify a push received from the platform (urlencoded, multipart or JSON body).
    /// Exit 0 valid, 1 invalid, 2 unusable input.
    Verify {
        #[command(flatten)]
        secret: SecretArg,
        /// The request's Content-Type; without it the encoding is sniffed from the body.
        #[arg(long)]
        content_type: Option<String>,
        /// File, or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Explain a hint from an ignored or rejected push, against the record that was sent.
    Explain {
        /// The platform's `hint`.
        #[arg(long)]
        hint: String,
        /// The endpoint, to read RECORD as a typed record; without it RECORD is flat fields.
        #[arg(long)]
        endpoint: Option<String>,
        /// The record (JSON), or `-` for standard input.
        record: String,
    },
    /// Run a local sandbox of the platform until interrupted.
    Sandbox(commands::SandboxArgs),
    /// Send a signed platform push (leave record or payment order) to a receiver, resending
    /// until it answers {"code":"1001"}, as the platform does.
    SendPush(commands::SendPushArgs),
    /// A durable queue that never loses a record: enqueue, drain, status, dead, retry, purge.
    Outbox(outbox::OutboxArgs),
    /// Receive the platform's pushes: verify, store durably (de-duplicated), hand each to a
    /// handler once, and acknowledge only then. Stops on Ctrl+C / SIGTERM.
    Listen(listen::ListenArgs),
    /// The pushes `pyun listen` received: list, show.
    Pushes(pushes::PushesArgs),
}

/// The app secret, from the option or the environment.
#[derive(Args)]
struct SecretArg {
    /// The app_secret (or set PYUN_APP_SECRET, which keeps it out of the process list).
    #[arg(long, env = "PYUN_APP_SECRET", hide_env_values = true)]
    app_secret: String,
}

/// A failure with its exit code; printed as one line.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Bad input or configuration.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(2, message)
    }
}

impl From<pyun_core::Error> for Failure {
    fn from(e: pyun_core::Error) -> Self {
        use pyun_core::Error as E;
        let code = match &e {
            E::Api(_) | E::Signature(_) => 1,
            E::Transport(_) => 3,
            E::Store(_) | E::RecordsLost(_) => 4,
            _ => 2,
        };
        Failure::new(code, e.to_string())
    }
}

fn main() -> ExitCode {
    // A bug must still end as one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("pyun: internal error: {} (please report it)", info);
    }));
    let cli = Cli::parse();
    let level = match cli.verbose {
        // The demo's table already shows retries and ignored pushes.
        0 if matches!(cli.command, Command::Demo { .. }) => "error",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp_millis()
        .init();
    let result = match cli.command {
        Command::Demo { data } => demo::run(data),
        Command::Push(args) => commands::push(args),
        Command::Sign {
            secret,
            canonical,
            file,
        } => commands::sign(&secret.app_secret, canonical, &file),
        Command::Verify {
            secret,
            content_type,
            file,
        } => commands::verify(&secret.app_secret, content_type.as_deref(), &file),
        Command::Explain {
            hint,
            endpoint,
            record,
        } => commands::explain(&hint, endpoint.as_deref(), &record),
        Command::Sandbox(args) => commands::sandbox(args),
        Command::SendPush(args) => commands::send_push(args),
        Command::Outbox(args) => outbox::run(args),
        Command::Listen(args) => listen::run(args),
        Command::Pushes(args) => pushes::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("pyun: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
