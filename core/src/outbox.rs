//! A durable outbox (store-and-forward, feature `outbox`): records are stored in SQLite before
//! anything is sent, delivered oldest first, and never lost.
//!
//! - [`Outbox::enqueue`] validates first (a record that could never be accepted is refused, not
//!   stored), copies the photos into the database (so a rotating photo folder cannot corrupt
//!   a queued record), and returns only once the transaction is committed with
//!   `synchronous=FULL`.
//! - [`Outbox::drain`] delivers: oldest first, and for one `parking_serial` strictly in queue
//!   order with the enter first. A retryable failure (network, 500/503) backs off and keeps the
//!   record; a permanent one (400/401/403, or an ignored-with-hint reply) moves it to the dead
//!   letters with the platform's answer and the diagnosis, and delivery goes on. An accepted
//!   record is marked done with its `seqno` and kept for the audit period.
//! - A crash between "accepted" and "marked done" resends the record on restart; the platform
//!   drops a repeated `parking_serial` / `flow_no`, so it is still accepted exactly once.
//! - Many processes may share one database file (WAL journal, busy timeout).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::form::{FileField, FilePart, FileSource};
use crate::record::{AnyRecord, Record};
use crate::request::{BuildOptions, SignedRequest};
use crate::response::Outcome;
use crate::secret::AppSecret;
use crate::Endpoint;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint TEXT NOT NULL,
    serial TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    record_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    seqno TEXT,
    last_error TEXT,
    response_json TEXT,
    diagnosis TEXT
);
CREATE INDEX IF NOT EXISTS records_pending ON records (state, serial, id);
CREATE TABLE IF NOT EXISTS files (
    record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    md5 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (record_id, field)
);
CREATE VIEW IF NOT EXISTS dead_letters AS SELECT * FROM records WHERE state = 'dead';
";

/// How an outbox behaves.
#[derive(Clone, Debug)]
pub struct OutboxOptions {
    /// How long accepted records are kept for audit before [`Outbox::purge_done`] drops them.
    pub audit_period: Duration,
    /// Backoff of a record after a retryable failure: doubled per attempt from this...
    pub initial_backoff: Duration,
    /// ...up to this.
    pub max_backoff: Duration,
    /// Page 001 note 8, opt-in: when a leave is delivered and the enter of the same serial is
    /// among the dead letters, the leave carries the enter's fields (and photo) that it lacks.
    pub carry_enter_fields: bool,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        OutboxOptions {
            audit_period: Duration::from_secs(30 * 86_400),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            carry_enter_fields: false,
        }
    }
}

/// Record counts by state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Waiting to be delivered (including those backing off).
    pub pending: u64,
    /// Being sent right now by this process.
    pub in_flight: u64,
    /// Accepted by the platform, kept for audit.
    pub done: u64,
    /// Refused for good; see [`Outbox::dead_letters`].
    pub dead: u64,
}

/// A record the platform refused for good.
#[derive(Clone, Debug, Serialize)]
pub struct DeadLetter {
    /// Its id in the outbox.
    pub id: i64,
    /// The endpoint.
    pub endpoint: String,
    /// `parking_serial` or `flow_no`.
    pub key: String,
    /// Attempts made.
    pub attempts: u32,
    /// What went wrong.
    pub error: String,
    /// The platform's answer (JSON), when there was one.
    pub response: Option<String>,
    /// What the hint says about the request, when there was a hint.
    pub diagnosis: Option<String>,
}

/// What one [`Outbox::drain`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    /// Records accepted by the platform.
    pub accepted: u64,
    /// Records moved to the dead letters.
    pub dead: u64,
    /// Attempts that failed in a retryable way (the records stay pending).
    pub retried: u64,
    /// Records still pending afterwards.
    pub pending: u64,
}

struct Inner {
    conn: Mutex<Connection>,
    path: PathBuf,
    options: OutboxOptions,
    in_flight: AtomicU64,
}

/// A durable queue of records on a SQLite file. Cheap to clone; share it between threads.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn store_err(path: &Path, what: &str, e: rusqlite::Error) -> Error {
    Error::Store(format!("outbox {}: {}: {}", path.display(), what, e))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Outbox {
    /// Opens (or creates) the outbox at `path`. A file that is not an outbox, or a damaged
    /// database, is an error: it is never silently emptied.
    pub fn open(path: impl AsRef<Path>, options: OutboxOptions) -> Result<Outbox> {
        let path = path.as_ref().to_path_buf();
        let err = |what: &str, e: rusqlite::Error| store_err(&path, what, e);
        let conn = Connection::open(&path).map_err(|e| err("cannot open", e))?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| err("busy timeout", e))?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| {
                err(
                    "the file is not a readable outbox database (corrupt?); it was left untouched",
                    e,
                )
            })?;
        if check != "ok" {
            return Err(Error::Store(format!(
                "outbox {}: the database is damaged ({}); it was left untouched: restore it or move it away",
                path.display(),
                check
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("WAL journal", e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| err("foreign keys", e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| err("creating the schema", e))?;
        Ok(Outbox {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                path,
                options,
                in_flight: AtomicU64::new(0),
            }),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn err(&self, what: &str, e: rusqlite::Error) -> Error {
        store_err(&self.inner.path, what, e)
    }

    /// Validates a record with its photos and stores it durably; returns its id. The photos are
    /// read now and stored with the record. On any error nothing is stored.
    pub fn enqueue(&self, record: &AnyRecord, files: &[(FileField, FileSource)]) -> Result<i64> {
        record.validate()?;
        let mut parts = Vec::with_capacity(files.len());
        let mut blobs = Vec::with_capacity(files.len());
        for (field, source) in files {
            let bytes: Arc<[u8]> = match source {
                FileSource::Bytes(b) => b.clone(),
                FileSource::Path(p) => std::fs::read(p)
                    .map_err(|e| Error::File {
                        role: field.name().into(),
                        path: p.clone(),
                        source: e,
                    })?
                    .into(),
            };
            let part = FilePart::new(*field, FileSource::Bytes(bytes.clone()))?;
            blobs.push((field.name(), part.md5().to_string(), bytes));
            parts.push(part);
        }
        // Every rule the request builder checks (hashes, files the endpoint takes), so a record
        // that could never be sent is refused here. The secret only feeds a throwaway sign.
        SignedRequest::build(
            record.endpoint(),
            record.to_fields(),
            parts,
            &AppSecret::new("check"),
            &BuildOptions::default(),
        )?;
        let endpoint = record.endpoint();
        let fields = record.to_fields();
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.err("synchronous", e))?;
        let tx = conn
            .transaction()
            .map_err(|e| self.err("cannot store the record", e))?;
        tx.execute(
            "INSERT INTO records (endpoint, serial, dedup_key, record_json, state, created_ms) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
            params![endpoint.name(), get("parking_serial"), get(endpoint.dedup_field()), record.to_json(), now_ms()],
        )
        .map_err(|e| self.err("cannot store the record", e))?;
        let id = tx.last_insert_rowid();
        for (field, md5, bytes) in &blobs {
            tx.execute(
                "INSERT INTO files (record_id, field, md5, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![id, field, md5, &bytes[..]],
            )
            .map_err(|e| self.err("cannot store a photo", e))?;
        }
        tx.commit()
            .map_err(|e| self.err("cannot store the record", e))?;
        Ok(id)
    }

    /// The next record to send: the oldest pending one whose backoff has passed and that has no
    /// pending record of the same serial that goes before it: its enter, or an earlier one.
    fn next(&self, conn: &Connection) -> Result<Option<(i64, String, String, u32)>> {
        conn.query_row(
            "SELECT r.id, r.endpoint, r.record_json, r.attempts FROM records r
             WHERE r.state = 'pending' AND r.next_attempt_ms <= ?1
               AND NOT EXISTS (SELECT 1 FROM records e WHERE e.state = 'pending' AND e.serial = r.serial
                   AND r.serial != '' AND e.id != r.id
                   AND ((e.endpoint = 'enter') > (r.endpoint = 'enter')
                        OR ((e.endpoint = 'enter') = (r.endpoint = 'enter') AND e.id < r.id)))
             ORDER BY r.id LIMIT 1",
            params![now_ms()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()
        .map_err(|e| self.err("reading the queue", e))
    }

    fn files_of(&self, conn: &Connection, id: i64) -> Result<Vec<(FileField, FileSource)>> {
        let mut stmt = conn
            .prepare("SELECT field, bytes FROM files WHERE record_id = ?1")
            .map_err(|e| self.err("reading photos", e))?;
        let rows = stmt
            .query_map(params![id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(|e| self.err("reading photos", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (field, bytes) = row.map_err(|e| self.err("reading photos", e))?;
            if let Some(f) = FileField::from_name(&field) {
                out.push((f, FileSource::Bytes(bytes.into())));
            }
        }
        Ok(out)
    }

    /// Note 8: the fields (and photos) of a dead-lettered enter of the same serial that the
    /// leave lacks.
    fn carry_enter(
        &self,
        conn: &Connection,
        record: &mut AnyRecord,
        files: &mut Vec<(FileField, FileSource)>,
    ) -> Result<()> {
        let serial = match record {
            AnyRecord::Leave(l) => l.parking_serial.clone().unwrap_or_default(),
            _ => return Ok(()),
        };
        let enter: Option<(i64, String)> = conn
            .query_row(
                "SELECT id, record_json FROM records WHERE state = 'dead' AND endpoint = 'enter' AND serial = ?1 ORDER BY id DESC LIMIT 1",
                params![serial],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err("reading the queue", e))?;
        let (enter_id, enter_json) = match enter {
            Some(e) => e,
            None => return Ok(()),
        };
        let enter_value: serde_json::Value =
            serde_json::from_str(&enter_json).map_err(|e| Error::Json(e.to_string()))?;
        let mut leave_value: serde_json::Value =
            serde_json::from_str(&record.to_json()).map_err(|e| Error::Json(e.to_string()))?;
        if let (Some(e), Some(l)) = (enter_value.as_object(), leave_value.as_object_mut()) {
            for (k, v) in e {
                if crate::LeaveRecord::FIELDS.contains(&k.as_str()) && !l.contains_key(k) {
                    l.insert(k.clone(), v.clone());
                }
            }
        }
        *record = AnyRecord::from_value(Endpoint::Leave, leave_value)?;
        for (f, s) in self.files_of(conn, enter_id)? {
            if !files.iter().any(|(g, _)| *g == f) {
                files.push((f, s));
            }
        }
        Ok(())
    }

    fn backoff(&self, attempts: u32) -> i64 {
        let o = &self.inner.options;
        let d = o
            .initial_backoff
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
            .min(o.max_backoff);
        d.as_millis() as i64
    }

    /// Delivers what is due through `client` until nothing more is due now (records backing
    /// off stay pending). Returns what happened.
    pub fn drain(&self, client: &Client) -> Result<DrainReport> {
        self.drain_until(client, || false)
    }

    fn drain_until(&self, client: &Client, stop: impl Fn() -> bool) -> Result<DrainReport> {
        let mut report = DrainReport::default();
        while !stop() {
            let (id, mut record, mut files, attempts) = {
                let conn = self.conn();
                let (id, endpoint, json, attempts) = match self.next(&conn)? {
                    Some(n) => n,
                    None => break,
                };
                let endpoint: Endpoint = endpoint.parse().map_err(Error::Store)?;
                let record = AnyRecord::from_json(endpoint, &json)?;
                (id, record, self.files_of(&conn, id)?, attempts)
            };
            if self.inner.options.carry_enter_fields {
                let conn = self.conn();
                self.carry_enter(&conn, &mut record, &mut files)?;
            }
            self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
            let result = client.push(&record, &files);
            self.inner.in_flight.fetch_sub(1, Ordering::SeqCst);
            let attempts = attempts
                + result
                    .as_ref()
                    .map_or_else(failure_attempts, |r| r.attempts);
            let conn = self.conn();
            // Marking done may be lost on power failure (synchronous=NORMAL): the record is then
            // resent and the platform's dedup makes that harmless.
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(|e| self.err("synchronous", e))?;
            let update = match &result {
                Ok(r) if r.outcome == Outcome::Accepted => {
                    report.accepted += 1;
                    conn.execute(
                        "UPDATE records SET state = 'done', attempts = ?2, finished_ms = ?3, seqno = ?4, response_json = ?5 WHERE id = ?1",
                        params![id, attempts, now_ms(), r.response.seqno, serde_json::to_string(&r.response).ok()],
                    )
                }
                Ok(r) => {
                    // Ignored with a hint (production mode): not accepted, and resending would
                    // be ignored again. Dead-letter it so it is seen, and go on.
                    report.dead += 1;
                    let diagnosis = r.diagnosis.as_ref().map(|d| d.summary());
                    conn.execute(
                        "UPDATE records SET state = 'dead', attempts = ?2, finished_ms = ?3, seqno = ?4, response_json = ?5, diagnosis = ?6, last_error = ?7 WHERE id = ?1",
                        params![id, attempts, now_ms(), r.response.seqno, serde_json::to_string(&r.response).ok(), diagnosis, "ignored by the platform"],
                    )
                }
                Err(e) if is_retryable(e) => {
                    report.retried += 1;
                    conn.execute(
                        "UPDATE records SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4 WHERE id = ?1",
                        params![id, attempts, now_ms() + self.backoff(attempts), e.to_string()],
                    )
                }
                Err(e) => {
                    report.dead += 1;
                    let (response, diagnosis) = match e {
                        Error::Api(f) => (
                            serde_json::to_string(&f.response).ok(),
                            f.diagnosis.as_ref().map(|d| d.summary()),
                        ),
                        _ => (None, None),
                    };
                    conn.execute(
                        "UPDATE records SET state = 'dead', attempts = ?2, finished_ms = ?3, response_json = ?4, diagnosis = ?5, last_error = ?6 WHERE id = ?1",
                        params![id, attempts, now_ms(), response, diagnosis, e.to_string()],
                    )
                }
            };
            update.map_err(|e| self.err("recording the outcome", e))?;
        }
        report.pending = self.counts()?.pending;
        Ok(report)
    }

    /// Starts a background thread that drains every `interval` until stopped.
    pub fn start_sender(&self, client: Arc<Client>, interval: Duration) -> Sender {
        let stop = Arc::new(AtomicBool::new(false));
        let outbox = self.clone();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                if let Err(e) = outbox.drain_until(&client, || flag.load(Ordering::SeqCst)) {
                    log::error!("outbox sender: {}", e);
                }
                let mut waited = Duration::ZERO;
                while waited < interval && !flag.load(Ordering::SeqCst) {
                    let step = Duration::from_millis(50).min(interval - waited);
                    std::thread::sleep(step);
                    waited += step;
                }
            }
        });
        Sender {
            stop,
            thread: Some(thread),
        }
    }

    /// Counts by state.
    pub fn counts(&self) -> Result<OutboxCounts> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT state, COUNT(*) FROM records GROUP BY state")
            .map_err(|e| self.err("counting", e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err("counting", e))?;
        let mut by: BTreeMap<String, u64> = BTreeMap::new();
        for row in rows {
            let (state, n) = row.map_err(|e| self.err("counting", e))?;
            by.insert(state, n as u64);
        }
        let get = |s: &str| by.get(s).copied().unwrap_or(0);
        Ok(OutboxCounts {
            pending: get("pending"),
            in_flight: self.inner.in_flight.load(Ordering::SeqCst),
            done: get("done"),
            dead: get("dead"),
        })
    }

    /// The dead letters, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, endpoint, dedup_key, attempts, last_error, response_json, diagnosis FROM dead_letters ORDER BY id")
            .map_err(|e| self.err("listing dead letters", e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DeadLetter {
                    id: r.get(0)?,
                    endpoint: r.get(1)?,
                    key: r.get(2)?,
                    attempts: r.get(3)?,
                    error: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    response: r.get(5)?,
                    diagnosis: r.get(6)?,
                })
            })
            .map_err(|e| self.err("listing dead letters", e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err("listing dead letters", e))
    }

    /// Puts dead letters back in the queue (after the cause was fixed): one by id, or all with
    /// `None`. Returns how many were re-queued.
    pub fn retry_dead(&self, id: Option<i64>) -> Result<u64> {
        let conn = self.conn();
        let n = conn
            .execute(
                "UPDATE records SET state = 'pending', attempts = 0, next_attempt_ms = 0, finished_ms = NULL WHERE state = 'dead' AND (?1 IS NULL OR id = ?1)",
                params![id],
            )
            .map_err(|e| self.err("re-queueing", e))?;
        Ok(n as u64)
    }

    /// Drops accepted records older than `older_than` (default: the audit period).
    pub fn purge_done(&self, older_than: Option<Duration>) -> Result<u64> {
        let age = older_than.unwrap_or(self.inner.options.audit_period);
        let cutoff = now_ms() - age.as_millis() as i64;
        let conn = self.conn();
        let n = conn
            .execute(
                "DELETE FROM records WHERE state = 'done' AND finished_ms <= ?1",
                params![cutoff],
            )
            .map_err(|e| self.err("purging", e))?;
        Ok(n as u64)
    }
}

fn failure_attempts(e: &Error) -> u32 {
    match e {
        Error::Api(f) => f.attempts,
        Error::Transport(t) => t.attempts,
        _ => 1,
    }
}

fn is_retryable(e: &Error) -> bool {
    match e {
        Error::Transport(t) => t.is_retryable(),
        Error::Api(f) => f.outcome.is_retryable(),
        _ => false,
    }
}

/// A background sender; [`Sender::stop`] (or dropping it) ends it cleanly after the record in
/// flight.
pub struct Sender {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sender {
    /// Stops and waits for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.halt();
    }
}
