//! `pyun outbox`: a durable queue on a SQLite file, for lots whose network drops.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use pyun_core::outbox::{Event, Outbox, OutboxOptions, RecordStatus};
use pyun_core::{AnyRecord, Endpoint};

use crate::commands::ClientArgs;
use crate::input::{file_arg, read_text};
use crate::stop::Stop;
use crate::Failure;
use pyun_core::{Lang, Msg, Text};

/// `pyun outbox`.
#[derive(Args)]
pub struct OutboxArgs {
    /// The outbox database file (created if missing); before or after the subcommand.
    #[arg(long, env = "PYUN_OUTBOX", global = true)]
    db: Option<PathBuf>,
    /// Open an outbox on a network share anyway (SMB/UNC path, mapped network drive, NFS,
    /// CIFS), where SQLite's WAL journal cannot keep its guarantees; refused otherwise.
    #[arg(long)]
    allow_network_share: bool,
    #[command(subcommand)]
    command: OutboxCommand,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Counts (pending, done, dead) and why the next record waits.
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
    /// Deliver what is due; with --follow, keep delivering (woken by new records) and print
    /// each acceptance and dead letter until Ctrl+C or SIGTERM.
    Drain {
        #[command(flatten)]
        client: ClientArgs,
        /// Keep running until interrupted; the record in flight is finished first.
        #[arg(long)]
        follow: bool,
        /// With --follow: milliseconds between looks for records another process enqueued.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// Carry a dead-lettered enter's fields on its leave (page 001 note 8).
        #[arg(long)]
        carry_enter_fields: bool,
        /// The longest wait, in seconds, before a failed record is tried again (the wait
        /// doubles from 1 s up to this).
        #[arg(long, default_value_t = 300.0)]
        max_backoff: f64,
    },
    /// One record's status, by its id or its parking_serial / flow_no.
    Show {
        /// The record's id, or its key.
        record: String,
    },
    /// Records, oldest first.
    List {
        /// Only those in this state: pending, done or dead.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Delivery events (accepted, dead, requeued) after a position, in order.
    Events {
        /// The last position already handled (0: from the start).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// List the dead letters.
    Dead,
    /// Re-queue dead letters (all, or one id) after fixing the cause.
    Retry {
        /// The dead letter's id; all when omitted.
        id: Option<i64>,
    },
    /// Accept the database as it is after "not opened, because it cannot tell whether
    /// committed records were lost" (its side file DB-enqueued missing, damaged, or of
    /// another database): gives it a new side file. Run it only when you know the database
    /// holds everything it should; records the refusal named are given up.
    AcceptFreshStart,
    /// Drop accepted records older than N days.
    Purge {
        /// Age in days (0: every accepted record; a number too large to be a date keeps all).
        #[arg(long, default_value_t = 30)]
        days: u64,
    },
}

impl OutboxArgs {
    /// Whether this is `drain --follow` (what `pyun service` may run).
    #[cfg(windows)]
    pub fn is_follow(&self) -> bool {
        matches!(self.command, OutboxCommand::Drain { follow: true, .. })
    }

    /// Whether this is a one-shot `drain`, which prints its report when it ends.
    pub fn is_one_shot_drain(&self) -> bool {
        matches!(self.command, OutboxCommand::Drain { follow: false, .. })
    }
}

/// Runs an outbox subcommand; `json` is the global `--json` (one object, or one per line for
/// events and `drain --follow`).
pub fn run(a: OutboxArgs, json: bool, stop: Stop) -> Result<u8, Failure> {
    let db =
        a.db.clone()
            .ok_or_else(|| Failure::msg(2, Msg::OutboxNoDb, &[]))?;
    let mut options = OutboxOptions::default();
    if let OutboxCommand::Drain {
        carry_enter_fields,
        max_backoff,
        ..
    } = &a.command
    {
        options.carry_enter_fields = *carry_enter_fields;
        if !(max_backoff.is_finite() && *max_backoff > 0.0) {
            return Err(Failure::msg(
                2,
                Msg::CliSeconds,
                &[&"--max-backoff", max_backoff],
            ));
        }
        // Saturating: a number of seconds past any date means "as long as possible".
        options.max_backoff = Duration::try_from_secs_f64(*max_backoff).unwrap_or(Duration::MAX);
        options.initial_backoff = options.initial_backoff.min(options.max_backoff);
    }
    options.allow_network_share = a.allow_network_share;
    if let (true, Some(how)) = (a.allow_network_share, pyun_core::outbox::network_share(&db)) {
        let lang = Lang::from_env();
        let warning = Msg::NetworkShareAllowed.text(lang, &[&db.display(), &how.render(lang)]);
        eprintln!("{}", warning);
    }
    let opened = match a.command {
        OutboxCommand::AcceptFreshStart => Outbox::accept_fresh_start(&db, options),
        // Commands that only read skip the whole-file check (flat cost at a million records).
        OutboxCommand::Status
        | OutboxCommand::Show { .. }
        | OutboxCommand::List { .. }
        | OutboxCommand::Events { .. }
        | OutboxCommand::Dead => Outbox::open_to_read(&db, options),
        _ => Outbox::open(&db, options),
    };
    let outbox = match opened {
        Ok(outbox) => outbox,
        // An enqueue that fails says so, whatever failed.
        Err(e) if matches!(a.command, OutboxCommand::Enqueue { .. }) => {
            return Err(Failure::from(e).around(Msg::NotStored))
        }
        Err(e) => return Err(e.into()),
    };
    let lang = Lang::from_env();
    match a.command {
        OutboxCommand::AcceptFreshStart => {
            let c = outbox.counts()?;
            if json {
                println!("{}", serde_json::json!({"accepted": db, "counts": c}));
                return Ok(0);
            }
            let counts = Msg::OutboxCounts.text(lang, &[&c.pending, &c.done, &c.dead]);
            println!(
                "{}",
                Msg::OutboxAccepted.text(lang, &[&db.display(), &counts])
            );
        }
        OutboxCommand::Status => {
            let c = outbox.counts()?;
            let head = outbox.head()?;
            if json {
                println!("{}", serde_json::json!({"counts": c, "head": head}));
            } else {
                let counts = Msg::OutboxCounts.text(lang, &[&c.pending, &c.done, &c.dead]);
                println!("{}", counts);
                if let Some(h) = head {
                    println!("{}", Msg::OutboxNext.text(lang, &[&waiting(&h)]));
                }
            }
        }
        OutboxCommand::Enqueue {
            endpoint,
            record,
            files,
        } => {
            let endpoint: Endpoint = crate::input::endpoint_arg(&endpoint)?;
            let record = AnyRecord::from_json(endpoint, &read_text(&record)?)?;
            let files = files
                .iter()
                .map(|f| file_arg(f))
                .collect::<Result<Vec<_>, _>>()?;
            let id = outbox.enqueue(&record, &files)?;
            if json {
                println!("{}", serde_json::json!({ "id": id }));
            } else {
                println!("{}", Msg::OutboxStored.text(lang, &[&id]));
            }
        }
        OutboxCommand::Drain {
            client,
            follow: true,
            interval_ms,
            ..
        } => return follow(&outbox, client, interval_ms, json, stop),
        OutboxCommand::Drain { client, .. } => return drain(&outbox, client, json, stop),
        OutboxCommand::Show { record } => {
            let by_id = match record.parse::<i64>() {
                Ok(id) => outbox.record(id)?.into_iter().collect(),
                Err(_) => Vec::new(),
            };
            let found = if by_id.is_empty() {
                outbox.find(&record)?
            } else {
                by_id
            };
            if found.is_empty() {
                return Err(Failure::msg(
                    1,
                    Msg::CliNoRecord,
                    &[&format_args!("{:?}", record), &db.display()],
                ));
            }
            print_statuses(&found, json);
        }
        OutboxCommand::List { state, limit } => {
            print_statuses(&outbox.list(state.as_deref(), limit)?, json)
        }
        OutboxCommand::Events { after, limit } => {
            for e in outbox.events(after, limit)? {
                print_event(&e, json);
            }
        }
        OutboxCommand::Dead => {
            for d in outbox.dead_letters()? {
                if json {
                    println!("{}", serde_json::json!(d));
                    continue;
                }
                let lang = Lang::from_env();
                let line = Msg::OutboxDeadLine.text(
                    lang,
                    &[
                        &d.id,
                        &d.endpoint,
                        &d.key,
                        &d.attempts,
                        &d.error.render(lang),
                    ],
                );
                println!("{}", line);
                if let Some(diag) = d.diagnosis {
                    println!(
                        "    {}",
                        Msg::CliDiagnosis.text(lang, &[&diag.render(lang)])
                    );
                }
            }
        }
        OutboxCommand::Retry { id } => {
            let n = outbox.retry_dead(id)?;
            let lost = outbox
                .dead_letters()?
                .iter()
                .filter(|d| d.error.to_string().starts_with("LOST"))
                .count();
            if lost > 0 && id.is_none() {
                println!("{}", Msg::OutboxRequeuedLost.text(lang, &[&n, &lost]));
            } else {
                println!("{}", Msg::OutboxRequeued.text(lang, &[&n]));
            }
        }
        OutboxCommand::Purge { days } => {
            // Saturating: more days than a duration holds keeps everything, never wraps.
            let age = Duration::from_secs(days.saturating_mul(86_400));
            let n = outbox.purge_done(Some(age))?;
            println!("{}", Msg::OutboxPurged.text(lang, &[&n]))
        }
    }
    Ok(0)
}

/// A plain drain: delivers what is due, and prints what it did, also when Ctrl+C / SIGTERM
/// stops it (after the record in flight; a second Ctrl+C quits at once, the record in flight
/// is then sent again next time). The exit code says what it came to: 0 all delivered, 1
/// records dead-lettered, 5 records still pending, 6 delivery paused by a refusal.
fn drain(outbox: &Outbox, client: ClientArgs, json: bool, stop: Stop) -> Result<u8, Failure> {
    let client = client.client()?;
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = stopping.clone();
    stop.install(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("{}", Msg::CliStopping.text(Lang::from_env(), &[]));
    })
    .map_err(|e| Failure::new(4, e))?;
    let r = outbox.drain_until(&client, || stopping.load(Ordering::SeqCst))?;
    if json {
        println!("{}", serde_json::json!(r));
    } else {
        let lang = Lang::from_env();
        let summary = Msg::DrainSummary.text(lang, &[&r.accepted, &r.dead, &r.retried, &r.pending]);
        let interrupted = match r.interrupted {
            true => Msg::DrainInterrupted.text(lang, &[]),
            false => String::new(),
        };
        println!("{}{}", summary, interrupted);
        let offline = r.offline.as_ref().map(|t| t.render(lang));
        let paused = r.paused.as_ref().map(|t| t.render(lang));
        let last = r.last_error.as_ref().map(|t| t.render(lang));
        if let Some(why) = paused.or(offline).or(last) {
            println!("    {}", why);
        }
        if r.paused.is_none() && r.offline.is_none() && r.pending > 0 {
            if let Ok(Some(h)) = outbox.head() {
                println!("    {}", Msg::OutboxNext.text(lang, &[&waiting(&h)]));
            }
        }
    }
    Ok(match r.result {
        "paused" => 6,
        "refused" => 1,
        "pending" => 5,
        _ => 0,
    })
}

/// `drain --follow`: the outbox's background sender delivers (woken by enqueues in this
/// process, looking for other processes' records every `interval_ms`, backing off on network
/// and database errors); this thread prints each event with a timestamp until Ctrl+C /
/// SIGTERM (or the service's stop), then stops the sender after the record in flight and exits 0.
fn follow(
    outbox: &Outbox,
    client: ClientArgs,
    interval_ms: u64,
    json: bool,
    stop: Stop,
) -> Result<u8, Failure> {
    let (stop_tx, stop_rx) = mpsc::channel();
    stop.install(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| Failure::new(4, e))?;
    let mut after = outbox.last_event_seq()?;
    let sender = outbox.start_sender(
        Arc::new(client.client()?),
        Duration::from_millis(interval_ms.max(10)),
    );
    let started = Text::new(Msg::FollowStarted, &[&outbox.path().display()]);
    say(json, "started", &started);
    let (mut last_wait, mut last_error) = (String::new(), String::new());
    loop {
        let stopping = stop_rx.recv_timeout(Duration::from_millis(200)).is_ok();
        // A database error here (a busy or full disk) is reported and tried again.
        match outbox.events(after, 1000) {
            Ok(events) => {
                for e in events {
                    after = e.seq;
                    print_event(&e, json);
                }
            }
            // Said once per change, not every look.
            Err(e) if e.to_string() != last_error => {
                last_error = e.to_string();
                say(json, "error", &Text::Plain(last_error.clone()));
            }
            Err(_) => {}
        }
        if let Ok(Some(head)) = outbox.head() {
            let why = waiting(&head);
            if head.attempts > 0 && why != last_wait {
                say(json, "waiting", &Text::Plain(why.clone()));
                last_wait = why;
            }
        }
        if stopping {
            break;
        }
    }
    sender.stop();
    // The record that was in flight when the signal came is written down by now.
    for e in outbox.events(after, 1000).unwrap_or_default() {
        print_event(&e, json);
    }
    let pending = outbox.counts().map(|c| c.pending).unwrap_or(0);
    say(json, "stopped", &Text::new(Msg::FollowStopped, &[&pending]));
    Ok(0)
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// One line of `drain --follow`'s log: in JSON the message is English (scripts read it),
/// in text the language the environment asks for.
fn say(json: bool, what: &str, message: &Text) {
    if json {
        println!(
            "{}",
            serde_json::json!({"time": now(), "kind": what, "message": message})
        );
    } else {
        println!("{} {} {}", now(), what, message.render(Lang::from_env()));
    }
}

fn print_event(e: &Event, json: bool) {
    if json {
        println!("{}", serde_json::json!(e));
        return;
    }
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(e.at_ms.max(0) as u64);
    let detail = match (&e.seqno, &e.reason) {
        (Some(seqno), _) => format!("seqno {}", seqno),
        (None, Some(reason)) => reason.render(Lang::from_env()),
        (None, None) => String::new(),
    };
    println!(
        "{} {} #{} {} {} {}",
        humantime::format_rfc3339_millis(at),
        e.kind,
        e.record_id,
        e.endpoint,
        e.key,
        detail
    );
}

/// Why a pending record waits, in one line.
fn waiting(r: &RecordStatus) -> String {
    let lang = Lang::from_env();
    let next = r.next_attempt_ms.unwrap_or(0);
    let when = if next > 0 {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(next as u64);
        let at = humantime::format_rfc3339_millis(at);
        Msg::OutboxNextAt.text(lang, &[&at])
    } else {
        Msg::OutboxDueNow.text(lang, &[])
    };
    let mut line = Msg::OutboxWaiting.text(lang, &[&r.id, &r.endpoint, &r.key, &when, &r.attempts]);
    if let Some(e) = &r.last_error {
        line.push_str(&Msg::ErrorSuffix.text(lang, &[&e.render(lang)]));
    }
    line
}

fn print_statuses(records: &[RecordStatus], json: bool) {
    if json {
        println!("{}", serde_json::json!(records));
        return;
    }
    let lang = Lang::from_env();
    for r in records {
        let mut line =
            Msg::OutboxRecordLine.text(lang, &[&r.id, &r.endpoint, &r.key, &r.state, &r.attempts]);
        if let Some(s) = &r.seqno {
            line.push_str(&Msg::ApiSeqno.text(lang, &[s]));
        }
        println!("{}", line);
        if r.state != "done" {
            if let Some(e) = &r.last_error {
                println!("    {}", Msg::CliLastError.text(lang, &[&e.render(lang)]));
            }
        }
        if let Some(d) = &r.diagnosis {
            println!("    {}", Msg::CliDiagnosis.text(lang, &[&d.render(lang)]));
        }
    }
}
