//! The store of received pushes (`pyun_core::push_store`): `pyun listen` writes it through
//! one writer thread that commits whatever is waiting in one transaction (group commit: many
//! pushes arriving together share one fsync, and each is answered only after the commit that
//! holds it has returned); `pyun pushes list|show` reads it.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::UNIX_EPOCH;

use clap::{Args, Subcommand};
use pyun_core::messages::Text;
use pyun_core::push_store::{self, Decision};
use pyun_core::{Lang, Msg};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::Failure;

fn store_err(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::msg(4, Msg::PushStoreFailed, &[&path.display(), &e])
}

/// A write for the writer thread.
pub enum Op {
    /// Records a delivery and decides under a claim (`push_store::claim`); `store_only` when
    /// there is no handler (storing is the handling).
    Claim {
        kind: String,
        key: String,
        encoding: String,
        fields: String,
        token: String,
        lease_ms: i64,
        store_only: bool,
        reply: tokio::sync::oneshot::Sender<Result<Decision, String>>,
    },
    /// The handler run under `token`'s claim succeeded (`error` None) or failed.
    Finish {
        kind: String,
        key: String,
        token: String,
        error: Option<Text>,
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
    Claim(
        tokio::sync::oneshot::Sender<Result<Decision, String>>,
        Decision,
    ),
    Finish(tokio::sync::oneshot::Sender<Result<(), String>>),
}

fn apply(tx: &rusqlite::Transaction<'_>, op: Op) -> (Reply, rusqlite::Result<()>) {
    let now = push_store::now_ms();
    match op {
        Op::Claim {
            kind,
            key,
            encoding,
            fields,
            token,
            lease_ms,
            store_only,
            reply,
        } => {
            let d = push_store::Delivery {
                kind: &kind,
                key: &key,
                encoding: &encoding,
                fields: &fields,
            };
            match push_store::claim(tx, &d, &token, now, lease_ms, store_only) {
                Ok(decision) => (Reply::Claim(reply, decision), Ok(())),
                Err(e) => (Reply::Claim(reply, Decision::Busy), Err(e)),
            }
        }
        Op::Finish {
            kind,
            key,
            token,
            error,
            reply,
        } => {
            let r = push_store::finish(tx, &kind, &key, &token, error.as_ref(), now);
            (Reply::Finish(reply), r)
        }
    }
}

/// What a failed commit says: a full disk (or a file size limit) by name.
fn commit_error(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => {
            format!("the disk is full (or a file size limit was reached): {}", e)
        }
        _ => e.to_string(),
    }
}

/// One transaction for the batch; every reply waits for its commit.
fn commit(conn: &mut Connection, batch: Vec<Op>) {
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(t) => t,
        Err(e) => {
            let msg = commit_error(&e);
            for op in batch {
                match op {
                    Op::Claim { reply, .. } => drop(reply.send(Err(msg.clone()))),
                    Op::Finish { reply, .. } => drop(reply.send(Err(msg.clone()))),
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
            failed.get_or_insert(commit_error(&e));
        }
        replies.push(reply);
    }
    let result = match failed {
        Some(e) => {
            let _ = tx.rollback();
            Err(e)
        }
        None => tx.commit().map_err(|e| commit_error(&e)),
    };
    for reply in replies {
        match (reply, &result) {
            (Reply::Claim(r, d), Ok(())) => drop(r.send(Ok(d))),
            (Reply::Claim(r, _), Err(e)) => drop(r.send(Err(e.clone()))),
            (Reply::Finish(r), Ok(())) => drop(r.send(Ok(()))),
            (Reply::Finish(r), Err(e)) => drop(r.send(Err(e.clone()))),
        }
    }
}

/// `pyun pushes`.
#[derive(Args)]
pub struct PushesArgs {
    /// The store `pyun listen` writes; before or after the subcommand.
    #[arg(long, default_value = "pushes.db", global = true)]
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
        /// The next page: only pushes older than this id (the last id of the previous page).
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
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

/// A push as JSON, with its fields when `with_fields`.
pub fn row_json(r: &rusqlite::Row<'_>, with_fields: bool) -> rusqlite::Result<Value> {
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

/// A field of a push's fields (SQL), `NULL` when they are not JSON (an index holds it).
fn field_sql(name: &str) -> String {
    format!(
        "(CASE WHEN json_valid(fields) THEN json_extract(fields, '$.{}') END)",
        name
    )
}

/// Adds the indexes `pyun console` searches and counts with: by time, key, plate and
/// `parking_serial`.
pub fn add_overview_indexes(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "CREATE INDEX IF NOT EXISTS pushes_received ON pushes (received_at);
         CREATE INDEX IF NOT EXISTS pushes_key ON pushes (key);
         CREATE INDEX IF NOT EXISTS pushes_plate ON pushes ({});
         CREATE INDEX IF NOT EXISTS pushes_serial ON pushes ({});",
        field_sql("plate"),
        field_sql("parking_serial")
    ))
}

/// Up to `limit` pushes whose key (`pay_serial`, `parking_serial`), plate or
/// `parking_serial` is `term`, newest first.
pub fn search(conn: &Connection, term: &str, limit: u32) -> rusqlite::Result<Vec<Value>> {
    let sql = format!(
        "SELECT * FROM pushes WHERE id IN (SELECT id FROM pushes WHERE key = ?1
             UNION SELECT id FROM pushes WHERE {} = ?1
             UNION SELECT id FROM pushes WHERE {} = ?1)
         ORDER BY id DESC LIMIT ?2",
        field_sql("plate"),
        field_sql("parking_serial")
    );
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map(params![term, limit], |r| row_json(r, false))?;
    rows.collect()
}

/// One push with its fields, by id.
pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Value>> {
    conn.query_row("SELECT * FROM pushes WHERE id = ?1", [id], |r| {
        row_json(r, true)
    })
    .optional()
}

/// Pushes received per minute, for the `n` minutes from `first` (minutes since 1970).
pub fn per_minute(conn: &Connection, first: i64, n: usize) -> rusqlite::Result<Vec<u64>> {
    let mut counts = vec![0u64; n];
    let mut st = conn.prepare_cached(
        "SELECT received_at / 60000 AS m, COUNT(*) FROM pushes WHERE received_at >= ?1 GROUP BY m",
    )?;
    let rows = st.query_map([first * 60_000], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (m, c) = row?;
        if let Some(slot) = usize::try_from(m - first)
            .ok()
            .and_then(|i| counts.get_mut(i))
        {
            *slot = c as u64;
        }
    }
    Ok(counts)
}

/// How many pushes the store holds, and how many are not handled yet.
pub fn counts(conn: &Connection) -> rusqlite::Result<(u64, u64)> {
    // The unhandled ones through their partial index, not a second pass over every row.
    conn.query_row(
        "SELECT (SELECT COUNT(*) FROM pushes), (SELECT COUNT(*) FROM pushes WHERE handled_at IS NULL)",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
    )
}

fn time(ms: i64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + std::time::Duration::from_millis(ms as u64))
        .to_string()
}

/// Runs `pyun pushes`.
pub fn run(a: PushesArgs) -> Result<u8, Failure> {
    if !a.db.exists() {
        return Err(Failure::msg(2, Msg::NoPushStore, &[&a.db.display()]));
    }
    let conn = push_store::open(&a.db, false)?;
    let db = a.db.clone();
    match a.command {
        PushesCommand::List {
            limit,
            unhandled,
            before,
            json,
        } => {
            // Pages by id (keyset): a page deep in a large store costs what the first does.
            let sql = format!(
                "SELECT * FROM pushes WHERE id < ?2 {} ORDER BY id DESC LIMIT ?1",
                if unhandled {
                    "AND handled_at IS NULL"
                } else {
                    ""
                }
            );
            let mut st = conn.prepare(&sql).map_err(|e| store_err(&db, e))?;
            let rows: Vec<(Value, Option<Text>)> = st
                .query_map(params![limit, before.unwrap_or(i64::MAX)], |r| {
                    Ok((row_json(r, false)?, push_store::last_error(r)?))
                })
                .and_then(|it| it.collect())
                .map_err(|e| store_err(&db, e))?;
            if json {
                println!(
                    "{}",
                    Value::Array(rows.into_iter().map(|(r, _)| r).collect())
                );
            } else {
                let lang = Lang::from_env();
                for (r, last_error) in rows {
                    let handled = match r["handled_at"].as_i64() {
                        Some(t) => Msg::PushHandled.text(lang, &[&time(t)]),
                        None => {
                            let error = last_error
                                .map(|e| Msg::ErrorSuffix.text(lang, &[&e.render(lang)]))
                                .unwrap_or_default();
                            Msg::PushNotHandled.text(lang, &[&r["handler_failures"], &error])
                        }
                    };
                    let line = Msg::PushLine.text(
                        lang,
                        &[
                            &r["id"],
                            &r["kind"].as_str().unwrap_or(""),
                            &r["key"].as_str().unwrap_or(""),
                            &r["encoding"].as_str().unwrap_or(""),
                            &time(r["received_at"].as_i64().unwrap_or(0)),
                            &r["deliveries"],
                            &handled,
                        ],
                    );
                    println!("{}", line);
                }
            }
            Ok(0)
        }
        PushesCommand::Show { key, json } => {
            let id: i64 = key.parse().unwrap_or(-1);
            let (mut row, last_error) = conn
                .query_row(
                    "SELECT * FROM pushes WHERE key = ?1 OR id = ?2 ORDER BY id DESC LIMIT 1",
                    params![key, id],
                    |r| Ok((row_json(r, true)?, push_store::last_error(r)?)),
                )
                .optional()
                .map_err(|e| store_err(&db, e))?
                .ok_or_else(|| Failure::msg(1, Msg::CliNoPush, &[&format_args!("{:?}", key)]))?;
            if json {
                println!("{}", row);
            } else {
                // For people: the handler's error in their language (--json keeps the English).
                if let Some(e) = last_error {
                    row["last_error"] = e.render(Lang::from_env()).into();
                }
                println!("{}", serde_json::to_string_pretty(&row).unwrap_or_default());
            }
            Ok(0)
        }
    }
}
