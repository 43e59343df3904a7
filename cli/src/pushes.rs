//! The store of received pushes (`pyun listen` writes it, `pyun pushes list|show` reads it):
//! SQLite in WAL mode with `synchronous=FULL`, so a commit is on disk when it returns; one row
//! per distinct push, unique by (kind, key).
//!
//! Writes go through one writer thread that commits whatever is waiting in one transaction
//! (group commit): many pushes arriving together share one fsync, and each is answered only
//! after the commit that holds it has returned.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::Failure;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pushes (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    encoding TEXT NOT NULL,
    fields TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    handled_at INTEGER,
    handler_failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (kind, key)
);";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn store_err(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::new(4, format!("push store {}: {}", path.display(), e))
}

/// Opens (creating) the store with the durability settings.
pub fn open(path: &Path) -> Result<Connection, Failure> {
    let conn = Connection::open(path).map_err(|e| store_err(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| store_err(path, e))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| store_err(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| store_err(path, e))?;
    conn.execute_batch(SCHEMA).map_err(|e| store_err(path, e))?;
    Ok(conn)
}

/// Where a stored push stands after this delivery was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// First time seen (now on disk).
    New,
    /// Seen before, its handler has not succeeded yet.
    Unhandled,
    /// Seen before and handled: acknowledge without handling again.
    Handled,
}

/// A write for the writer thread.
pub enum Op {
    /// Records a delivery; `handled` when there is no handler (storing is the handling).
    Store {
        kind: String,
        key: String,
        encoding: String,
        fields: String,
        handled: bool,
        reply: tokio::sync::oneshot::Sender<Result<Stored, String>>,
    },
    /// The handler succeeded (`error` None) or failed.
    Outcome {
        kind: String,
        key: String,
        error: Option<String>,
        reply: tokio::sync::oneshot::Sender<Result<(), String>>,
    },
}

/// The writer: a thread committing batches of [`Op`]s.
pub struct Writer {
    tx: mpsc::Sender<Op>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer on an opened store.
    pub fn start(mut conn: Connection) -> Writer {
        let (tx, rx) = mpsc::channel::<Op>();
        let thread = std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < 1024 {
                    match rx.try_recv() {
                        Ok(op) => batch.push(op),
                        Err(_) => break,
                    }
                }
                commit(&mut conn, batch);
            }
        });
        Writer {
            tx,
            thread: Some(thread),
        }
    }

    /// A sender of writes.
    pub fn sender(&self) -> mpsc::Sender<Op> {
        self.tx.clone()
    }

    /// Stops after the writes already sent (every sender must be dropped first).
    pub fn stop(mut self) {
        drop(self.tx);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

enum Reply {
    Store(tokio::sync::oneshot::Sender<Result<Stored, String>>, Stored),
    Outcome(tokio::sync::oneshot::Sender<Result<(), String>>),
}

fn apply(tx: &rusqlite::Transaction<'_>, op: Op) -> (Reply, rusqlite::Result<()>) {
    match op {
        Op::Store {
            kind,
            key,
            encoding,
            fields,
            handled,
            reply,
        } => {
            let now = now_ms();
            let r = (|| {
                let existing: Option<Option<i64>> = tx
                    .query_row(
                        "SELECT handled_at FROM pushes WHERE kind = ?1 AND key = ?2",
                        params![kind, key],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(match existing {
                    Some(h) => {
                        tx.execute(
                            "UPDATE pushes SET deliveries = deliveries + 1 WHERE kind = ?1 AND key = ?2",
                            params![kind, key],
                        )?;
                        if h.is_some() {
                            Stored::Handled
                        } else {
                            Stored::Unhandled
                        }
                    }
                    None => {
                        tx.execute(
                            "INSERT INTO pushes (kind, key, encoding, fields, received_at, handled_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![kind, key, encoding, fields, now, handled.then_some(now)],
                        )?;
                        Stored::New
                    }
                })
            })();
            match r {
                Ok(s) => (Reply::Store(reply, s), Ok(())),
                Err(e) => (Reply::Store(reply, Stored::New), Err(e)),
            }
        }
        Op::Outcome {
            kind,
            key,
            error,
            reply,
        } => {
            let r = match &error {
                None => tx.execute(
                    "UPDATE pushes SET handled_at = ?3, last_error = NULL WHERE kind = ?1 AND key = ?2",
                    params![kind, key, now_ms()],
                ),
                Some(e) => tx.execute(
                    "UPDATE pushes SET handler_failures = handler_failures + 1, last_error = ?3
                     WHERE kind = ?1 AND key = ?2",
                    params![kind, key, e],
                ),
            };
            (Reply::Outcome(reply), r.map(|_| ()))
        }
    }
}

/// One transaction for the batch; every reply waits for its commit.
fn commit(conn: &mut Connection, batch: Vec<Op>) {
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            for op in batch {
                match op {
                    Op::Store { reply, .. } => drop(reply.send(Err(msg.clone()))),
                    Op::Outcome { reply, .. } => drop(reply.send(Err(msg.clone()))),
                }
            }
            return;
        }
    };
    let mut replies = Vec::with_capacity(batch.len());
    let mut failed: Option<String> = None;
    for op in batch {
        let (reply, r) = apply(&tx, op);
        if let Err(e) = r {
            failed.get_or_insert(e.to_string());
        }
        replies.push(reply);
    }
    let result = match failed {
        Some(e) => {
            let _ = tx.rollback();
            Err(e)
        }
        None => tx.commit().map_err(|e| e.to_string()),
    };
    for reply in replies {
        match (reply, &result) {
            (Reply::Store(r, s), Ok(())) => drop(r.send(Ok(s))),
            (Reply::Store(r, _), Err(e)) => drop(r.send(Err(e.clone()))),
            (Reply::Outcome(r), Ok(())) => drop(r.send(Ok(()))),
            (Reply::Outcome(r), Err(e)) => drop(r.send(Err(e.clone()))),
        }
    }
}

/// `pyun pushes`.
#[derive(Args)]
pub struct PushesArgs {
    /// The store `pyun listen` writes.
    #[arg(long, default_value = "pushes.db")]
    db: PathBuf,
    #[command(subcommand)]
    command: PushesCommand,
}

#[derive(Subcommand)]
enum PushesCommand {
    /// The received pushes, newest first.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Only pushes whose handler has not succeeded yet.
        #[arg(long)]
        unhandled: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One push with its fields, by key (`pay_serial`, `parking_serial`) or id.
    Show {
        /// The key or the id.
        key: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn row_json(r: &rusqlite::Row<'_>, with_fields: bool) -> rusqlite::Result<Value> {
    let mut v = json!({
        "id": r.get::<_, i64>("id")?,
        "kind": r.get::<_, String>("kind")?,
        "key": r.get::<_, String>("key")?,
        "encoding": r.get::<_, String>("encoding")?,
        "received_at": r.get::<_, i64>("received_at")?,
        "deliveries": r.get::<_, i64>("deliveries")?,
        "handled_at": r.get::<_, Option<i64>>("handled_at")?,
        "handler_failures": r.get::<_, i64>("handler_failures")?,
        "last_error": r.get::<_, Option<String>>("last_error")?,
    });
    if with_fields {
        let fields: String = r.get("fields")?;
        v["fields"] = serde_json::from_str(&fields).unwrap_or(Value::String(fields));
    }
    Ok(v)
}

fn time(ms: i64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + std::time::Duration::from_millis(ms as u64))
        .to_string()
}

/// Runs `pyun pushes`.
pub fn run(a: PushesArgs) -> Result<u8, Failure> {
    if !a.db.exists() {
        return Err(Failure::usage(format!(
            "no push store at {} (pyun listen --db creates it)",
            a.db.display()
        )));
    }
    let conn = open(&a.db)?;
    let db = a.db.clone();
    match a.command {
        PushesCommand::List {
            limit,
            unhandled,
            json,
        } => {
            let sql = format!(
                "SELECT * FROM pushes {} ORDER BY id DESC LIMIT ?1",
                if unhandled {
                    "WHERE handled_at IS NULL"
                } else {
                    ""
                }
            );
            let mut st = conn.prepare(&sql).map_err(|e| store_err(&db, e))?;
            let rows: Vec<Value> = st
                .query_map(params![limit], |r| row_json(r, false))
                .and_then(|it| it.collect())
                .map_err(|e| store_err(&db, e))?;
            if json {
                println!("{}", Value::Array(rows));
            } else {
                for r in rows {
                    println!(
                        "#{} {} {} {} received {} deliveries {} {}",
                        r["id"],
                        r["kind"].as_str().unwrap_or(""),
                        r["key"].as_str().unwrap_or(""),
                        r["encoding"].as_str().unwrap_or(""),
                        time(r["received_at"].as_i64().unwrap_or(0)),
                        r["deliveries"],
                        match r["handled_at"].as_i64() {
                            Some(t) => format!("handled {}", time(t)),
                            None => format!(
                                "NOT HANDLED ({} failure(s){})",
                                r["handler_failures"],
                                r["last_error"]
                                    .as_str()
                                    .map(|e| format!(": {}", e))
                                    .unwrap_or_default()
                            ),
                        }
                    );
                }
            }
            Ok(0)
        }
        PushesCommand::Show { key, json } => {
            let id: i64 = key.parse().unwrap_or(-1);
            let row = conn
                .query_row(
                    "SELECT * FROM pushes WHERE key = ?1 OR id = ?2 ORDER BY id DESC LIMIT 1",
                    params![key, id],
                    |r| row_json(r, true),
                )
                .optional()
                .map_err(|e| store_err(&db, e))?
                .ok_or_else(|| Failure::new(1, format!("no push with key or id {:?}", key)))?;
            if json {
                println!("{}", row);
            } else {
                println!("{}", serde_json::to_string_pretty(&row).unwrap_or_default());
            }
            Ok(0)
        }
    }
}
