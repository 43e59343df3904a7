//! `pyun outbox`: a durable queue on a SQLite file, for lots whose network drops.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::{AnyRecord, Client, ClientConfig, Endpoint};

use crate::input::{file_arg, read_text};
use crate::{Failure, SecretArg};

/// `pyun outbox`.
#[derive(Args)]
pub struct OutboxArgs {
    /// The outbox database file (created if missing).
    #[arg(long, env = "PYUN_OUTBOX")]
    db: PathBuf,
    #[command(subcommand)]
    command: OutboxCommand,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Counts: pending, done, dead.
    Status,
    /// Validate and store a record durably (photos are copied into the outbox).
    Enqueue {
        /// enter, leave, release or update.
        endpoint: String,
        /// The record (JSON), or `-` for standard input.
        record: String,
        /// A photo, as NAME=PATH. Repeatable.
        #[arg(long = "file", value_name = "NAME=PATH")]
        files: Vec<String>,
    },
    /// Deliver what is due; with --follow, keep delivering until interrupted.
    Drain {
        /// Base URL of the platform (or of a sandbox).
        #[arg(long, env = "PYUN_BASE_URL", default_value = pyun_core::client::PRODUCTION_URL)]
        base_url: String,
        #[command(flatten)]
        secret: SecretArg,
        /// Keep running, draining every --interval-ms.
        #[arg(long)]
        follow: bool,
        /// Milliseconds between drains with --follow.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// Carry a dead-lettered enter's fields on its leave (page 001 note 8).
        #[arg(long)]
        carry_enter_fields: bool,
        /// A PEM file of extra CA certificates to trust besides Mozilla's roots.
        #[arg(long, env = "PYUN_CA_FILE", value_name = "PEM")]
        ca_file: Option<std::path::PathBuf>,
    },
    /// List the dead letters.
    Dead,
    /// Re-queue dead letters (all, or one id) after fixing the cause.
    Retry {
        /// The dead letter's id; all when omitted.
        id: Option<i64>,
    },
    /// Drop accepted records older than N days.
    Purge {
        /// Age in days (0: every accepted record; a number too large to be a date keeps all).
        #[arg(long, default_value_t = 30)]
        days: u64,
    },
}

/// Runs an outbox subcommand.
pub fn run(a: OutboxArgs) -> Result<u8, Failure> {
    let carry = matches!(
        a.command,
        OutboxCommand::Drain {
            carry_enter_fields: true,
            ..
        }
    );
    let outbox = Outbox::open(
        &a.db,
        OutboxOptions {
            carry_enter_fields: carry,
            ..OutboxOptions::default()
        },
    )?;
    match a.command {
        OutboxCommand::Status => {
            let c = outbox.counts()?;
            println!("pending {}  done {}  dead {}", c.pending, c.done, c.dead);
        }
        OutboxCommand::Enqueue {
            endpoint,
            record,
            files,
        } => {
            let endpoint: Endpoint = endpoint.parse().map_err(Failure::usage)?;
            let record = AnyRecord::from_json(endpoint, &read_text(&record)?)?;
            let files = files
                .iter()
                .map(|f| file_arg(f))
                .collect::<Result<Vec<_>, _>>()?;
            let id = outbox.enqueue(&record, &files)?;
            println!("stored as #{}", id);
        }
        OutboxCommand::Drain {
            base_url,
            secret,
            follow,
            interval_ms,
            ca_file,
            ..
        } => {
            let mut config = ClientConfig::new(secret.app_secret.as_str());
            config.base_url = base_url;
            config.ca_file = ca_file;
            let client = Client::new(config)?;
            loop {
                let r = outbox.drain(&client)?;
                if r.accepted + r.dead + r.retried > 0 || !follow {
                    println!(
                        "accepted {}  dead {}  retried {}  still pending {}",
                        r.accepted, r.dead, r.retried, r.pending
                    );
                    if let Some(why) = r.paused.as_deref().or(r.last_error.as_deref()) {
                        println!("    {}", why);
                    }
                }
                if !follow {
                    return Ok(if r.dead > 0 { 1 } else { 0 });
                }
                std::thread::sleep(Duration::from_millis(interval_ms));
            }
        }
        OutboxCommand::Dead => {
            for d in outbox.dead_letters()? {
                println!(
                    "#{} {} {} after {} attempt(s): {}",
                    d.id, d.endpoint, d.key, d.attempts, d.error
                );
                if let Some(diag) = d.diagnosis {
                    println!("    diagnosis: {}", diag);
                }
            }
        }
        OutboxCommand::Retry { id } => println!("re-queued {}", outbox.retry_dead(id)?),
        OutboxCommand::Purge { days } => {
            // Saturating: more days than a duration holds keeps everything, never wraps.
            let age = Duration::from_secs(days.saturating_mul(86_400));
            println!("purged {}", outbox.purge_done(Some(age))?)
        }
    }
    Ok(0)
}
