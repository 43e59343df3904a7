//! A durable outbox (store-and-forward, feature `outbox`): records are stored in SQLite before
//! anything is sent, delivered oldest first, and never lost.
//!
//! - [`Outbox::enqueue`] validates first (a record that could never be accepted is refused, not
//!   stored), copies the photos into the database (so a rotating photo folder cannot corrupt
//!   a queued record), and returns only once the transaction is committed with
//!   `synchronous=FULL`.
//! - [`Outbox::drain`] delivers: oldest first, and for one `parking_serial` strictly in queue
//!   order with the enter first. Only the platform's refusal of a record (400/401/403, or an
//!   ignored-with-hint reply) moves it to the dead letters, with the platform's answer and the
//!   diagnosis, and delivery goes on; everything else (network, TLS, 5xx, 429, an answer that
//!   is not the platform's) backs off and keeps the record, the reason in `last_error`. The
//!   same refusal for [`PAUSE_AFTER`] records in a row pauses delivery instead. An accepted
//!   record is marked done with its `seqno` and kept for the audit period with its fields and
//!   photo MD5s; its photo bytes are freed at once.
//! - A file that is not an outbox (another program's database) or is damaged is refused, not
//!   written to. The user's guide is `docs/outbox.md`.
//! - A crash between "accepted" and "marked done" resends the record on restart; the platform
//!   drops a repeated `parking_serial` / `flow_no`, so it is still accepted exactly once.
//! - Many processes may share one database file (WAL journal, busy timeout).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::client::{Client, PushResult};
use crate::error::{Error, LostRecord, RecordsLost, Result};
use crate::form::{FileField, FileSource};
use crate::record::{AnyRecord, Record};
use crate::request::{build_request, BuildOptions};
use crate::response::Outcome;
use crate::secret::AppSecret;
use crate::Endpoint;

mod enqueued;
mod sender;
mod status;
use enqueued::Enqueued;
use sender::Wake;
pub use sender::{OnEvent, Sender};
use status::add_event;
pub use status::{Event, RecordStatus};

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
CREATE INDEX IF NOT EXISTS records_queue ON records (state, id);
CREATE TABLE IF NOT EXISTS files (
    record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    md5 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (record_id, field)
);
CREATE VIEW IF NOT EXISTS dead_letters AS SELECT * FROM records WHERE state = 'dead';
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('accepted', 'dead', 'requeued')),
    endpoint TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    seqno TEXT,
    reason TEXT
);
";

/// `PRAGMA application_id` of an outbox database ("PYOB"), so that another program's SQLite
/// database is never taken for an outbox and written to.
const APPLICATION_ID: i32 = 0x5059_4F42;

/// What an enqueue error says: the caller must know the record is not in the outbox.
const NOT_STORED: &str = "the record was NOT stored";

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
    /// Why the last retryable attempt failed (network, TLS, 5xx, 429, a gateway's answer).
    pub last_error: Option<String>,
    /// Set when delivery is paused: records in a row were refused the same way (see
    /// [`PAUSE_AFTER`]), so the cause is not one record; they stay pending.
    pub paused: Option<String>,
}

/// After this many records in a row are refused the same way (`401`, `403`, or ignored with a
/// hint), the cause is taken to be not about the records (a wrong secret, a blocked lot) and
/// delivery pauses, with backoff, instead of dead-lettering the queue one record at a time.
pub const PAUSE_AFTER: usize = 3;

/// The refusals in a row of one cause, and the pause they led to. Kept in memory: a new
/// process (or `Outbox`) starts a new row.
#[derive(Default)]
struct Streak {
    cause: Option<Outcome>,
    /// The records of the row dead-lettered so far: put back in the queue when it pauses.
    ids: Vec<i64>,
    /// How many of `ids` the current drain counted as dead.
    counted: u64,
    /// Pauses in a row (each one twice as long), until when, and why.
    pauses: u32,
    until_ms: i64,
    reason: String,
}

struct Inner {
    conn: Mutex<Connection>,
    path: PathBuf,
    options: OutboxOptions,
    /// The records being sent by this process right now.
    in_flight: Mutex<Vec<i64>>,
    streak: Mutex<Streak>,
    /// The side file of enqueued ids; `None` when it could not be opened (logged).
    enqueued: Option<Enqueued>,
    /// Wakes this outbox's senders on enqueue.
    wake: Wake,
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
        .map(millis)
        .unwrap_or(0)
}

/// A duration in milliseconds for the database's i64 columns, saturating: a duration too long
/// for i64 (a number of days a user typed) means "forever", never a wrap into the past.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Outbox {
    /// Opens (or creates) the outbox at `path`. A file that is not an outbox, or a damaged
    /// database, is an error: it is never silently emptied.
    pub fn open(path: impl AsRef<Path>, options: OutboxOptions) -> Result<Outbox> {
        let path = path.as_ref().to_path_buf();
        let err = |what: &str, e: rusqlite::Error| store_err(&path, what, e);
        let conn = Connection::open(&path).map_err(|e| err("cannot open", e))?;
        // SQLite quietly falls back to read-only when it cannot open the file for writing.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(Error::Store(format!(
                "outbox {}: the file can only be opened read-only (a read-only disk, or no write permission): nothing could be stored",
                path.display()
            )));
        }
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
        // Never write into a database of another program: a new (empty) file becomes an outbox,
        // an outbox is opened, anything else is refused as it is.
        let (app_id, objects, tables, current): (i32, i64, i64, bool) = conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id),
                        (SELECT COUNT(*) FROM sqlite_master),
                        (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'files')),
                        (SELECT COUNT(*) = 6 FROM sqlite_master
                         WHERE name IN ('records', 'files', 'records_pending', 'records_queue', 'dead_letters', 'events'))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(|e| err("reading the schema", e))?;
        // Outboxes made before the application id was set are recognised by their tables.
        let ours = app_id == APPLICATION_ID || (app_id == 0 && tables == 2);
        if objects > 0 && !ours {
            return Err(Error::Store(format!(
                "outbox {}: this is a SQLite database of another program (application_id {}, {} schema objects), not an outbox; it was left untouched",
                path.display(),
                app_id,
                objects
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("WAL journal", e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| err("foreign keys", e))?;

        // The tag that binds the `-enqueued` side file to this database (see `enqueued`).
        let mut tag: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| err("reading the schema", e))?;
        // Written only when something is missing: opening an outbox on a full disk must work,
        // if only to drain it.
        if app_id != APPLICATION_ID || !current || tag == 0 {
            if tag == 0 {
                tag = new_tag();
            }
            conn.execute_batch(&format!(
                "BEGIN; PRAGMA application_id = {}; PRAGMA user_version = {}; {} COMMIT;",
                APPLICATION_ID, tag, SCHEMA
            ))
            .map_err(|e| err("creating the schema", e))?;
            // Into the main file at once: a damaged WAL must not take the schema and the tag
            // (and with them the means to notice the loss) along.
            checkpoint(&conn, "TRUNCATE");
        }
        let enqueued = Enqueued::open(&path, tag as u32)
            .map_err(|e| {
                log::warn!(
                    "outbox {}: cannot open {}: {}; records the database might lose would not be noticed",
                    path.display(),
                    enqueued::path_for(&path).display(),
                    e
                )
            })
            .ok();
        let outbox = Outbox {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                path,
                options,
                in_flight: Mutex::new(Vec::new()),
                streak: Mutex::new(Streak::default()),
                enqueued,
                wake: Wake::default(),
            }),
        };
        outbox.find_lost()?;
        Ok(outbox)
    }

    /// Compares the side file's highest enqueued id with the database's: committed records
    /// missing from the database are recorded as dead letters (`LOST: ...`) and reported with
    /// [`Error::RecordsLost`], once.
    fn find_lost(&self) -> Result<()> {
        let slots = match self.inner.enqueued.as_ref().map(Enqueued::read) {
            Some(Ok(slots)) => slots,
            Some(Err(e)) => {
                log::warn!(
                    "outbox {}: cannot read its -enqueued file: {}",
                    self.inner.path.display(),
                    e
                );
                return Ok(());
            }
            None => return Ok(()),
        };
        let highest = match slots.iter().map(|s| s.id).max() {
            Some(h) => h,
            None => return Ok(()),
        };
        let err = |e| self.err("looking for lost records", e);
        let mut conn = self.conn();
        // AUTOINCREMENT's counter: the highest id ever committed, purged records included.
        let seq: i64 = conn
            .query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0)",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if highest <= seq {
            return Ok(());
        }
        let present = {
            let mut st = conn
                .prepare("SELECT id FROM records WHERE id > ?1")
                .map_err(err)?;
            let ids = st.query_map([seq], |r| r.get(0)).map_err(err)?;
            ids.collect::<rusqlite::Result<std::collections::HashSet<i64>>>()
                .map_err(err)?
        };
        let records: Vec<LostRecord> = (seq + 1..=highest)
            .filter(|id| !present.contains(id))
            .take(100_000)
            .map(|id| {
                let slot = slots.iter().find(|s| s.id == id);
                LostRecord {
                    id,
                    endpoint: slot.and_then(|s| s.endpoint).map(|e| e.name().to_string()),
                    key: slot.map(|s| s.key.clone()),
                }
            })
            .collect();
        if records.is_empty() {
            return Ok(());
        }
        let lost = RecordsLost {
            path: self.inner.path.clone(),
            records,
        };
        log::error!("{}", lost);
        // The loss stays visible where an operator looks (the dead letters), and the ids are
        // taken, so the next open does not report it again.
        let noted = (|| {
            set_synchronous(&conn, true)?;
            let tx = conn.transaction()?;
            for r in &lost.records {
                let endpoint = r.endpoint.as_deref().unwrap_or("?");
                let key = r.key.as_deref().unwrap_or("");
                let serial = if endpoint == "update" { "" } else { key };
                tx.execute(
                    "INSERT INTO records (id, endpoint, serial, dedup_key, record_json, state, created_ms, finished_ms, last_error)
                     VALUES (?1, ?2, ?3, ?4, '{}', 'dead', ?5, ?5, ?6)",
                    params![
                        r.id,
                        endpoint,
                        serial,
                        key,
                        now_ms(),
                        "LOST: this committed record is missing from the database (its WAL journal was damaged, or an older copy of the file was put back); send it again from its source"
                    ],
                )?;
                add_event(
                    &tx,
                    r.id,
                    "dead",
                    None,
                    Some("LOST: missing from the database"),
                )?;
            }
            tx.commit()
        })();
        if let Err(e) = noted {
            log::error!(
                "outbox {}: cannot record the lost records: {}",
                self.inner.path.display(),
                e
            );
        }
        checkpoint(&conn, "TRUNCATE");
        Err(Error::RecordsLost(lost))
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, Vec<i64>> {
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The ids of the records this process is sending right now.
    fn in_flight_ids(&self) -> Vec<i64> {
        self.in_flight().clone()
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
        // The photos are read once: the bytes checked below are the bytes stored.
        let mut photos = Vec::with_capacity(files.len());
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
            photos.push((*field, FileSource::Bytes(bytes)));
        }
        // Every rule a push is checked against (required fields, hashes, files the endpoint
        // takes), so a record that could never be sent is refused here. The secret only feeds
        // a throwaway sign.
        let request = build_request(
            record,
            &photos,
            &AppSecret::new("check"),
            &BuildOptions::default(),
        )?;
        // The stored record pins each photo's MD5 in its `*_hash` field. The request builder
        // checks a given hash against the bytes it sends, so a photo damaged inside the
        // database is dead-lettered with a hash mismatch instead of being sent.
        let mut stored: serde_json::Value =
            serde_json::from_str(&record.to_json()).map_err(|e| Error::Json(e.to_string()))?;
        if let Some(obj) = stored.as_object_mut() {
            for part in request.files() {
                if let Some(hash_field) = part.field().hash_field() {
                    obj.insert(hash_field.into(), part.md5().into());
                }
            }
        }
        let endpoint = record.endpoint();
        let get = |k: &str| request.field(k).unwrap_or_default();
        // One transaction, committed with synchronous=FULL: when this returns Ok the record and
        // its photos are on the disk; on any error (full or read-only disk...) nothing is.
        let not_stored = |e| self.err(NOT_STORED, e);
        let mut conn = self.conn();
        set_synchronous(&conn, true).map_err(not_stored)?;
        let tx = conn.transaction().map_err(not_stored)?;
        tx.prepare_cached(
            "INSERT INTO records (endpoint, serial, dedup_key, record_json, state, created_ms) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
        )
        .and_then(|mut st| {
            st.execute(params![
                endpoint.name(),
                get("parking_serial"),
                get(endpoint.dedup_field()),
                stored.to_string(),
                now_ms()
            ])
        })
        .map_err(not_stored)?;
        let id = tx.last_insert_rowid();
        for part in request.files() {
            // Always bytes: every photo was read above.
            if let FileSource::Bytes(bytes) = part.source() {
                tx.prepare_cached(
                    "INSERT INTO files (record_id, field, md5, bytes) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut st| {
                    st.execute(params![id, part.field().name(), part.md5(), &bytes[..]])
                })
                .map_err(not_stored)?;
            }
        }
        tx.commit().map_err(not_stored)?;
        drop(conn);
        if let Some(e) = &self.inner.enqueued {
            // The record is committed whatever happens here: only its loss would go unnoticed.
            if let Err(e) = e.write(id, endpoint, get(endpoint.dedup_field())) {
                log::error!(
                    "outbox {}: record #{} is stored, but its id could not be written to the -enqueued file: {}",
                    self.inner.path.display(),
                    id,
                    e
                );
            }
        }
        self.inner.wake.notify();
        Ok(id)
    }

    /// When the next pending record is due (its backoff, or the end of a pause), if any.
    fn next_due_ms(&self) -> Option<i64> {
        let next: Option<i64> = self
            .conn()
            .query_row(
                "SELECT MIN(next_attempt_ms) FROM records WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .ok()
            .flatten();
        let paused_until = self.streak().until_ms;
        next.map(|n| n.max(paused_until))
    }

    /// Up to `limit` records to send, oldest first: pending ones whose backoff has passed and
    /// that have no pending record of the same serial that goes before them (their enter, or an
    /// earlier one). Two records of one serial are therefore never in the same batch, so the
    /// batch can be sent in any order without breaking the per-serial order.
    ///
    /// Due means due before `since`, the start of the drain: a record that failed during this
    /// drain waits for the next one even when its backoff is shorter than the drain, so a drain
    /// sends each record at most once and never loops on a failing gateway.
    fn due(&self, conn: &Connection, limit: usize, since: i64) -> Result<Vec<Due>> {
        let err = |e| self.err("reading the queue", e);
        // `records_queue (state, id)` lets this walk the pending records in id order and stop
        // after `limit`; without it SQLite sorted every pending record on each call, which made
        // draining a backlog quadratic.
        let mut stmt = conn
            .prepare_cached(
                "SELECT r.id, r.endpoint, r.record_json, r.attempts FROM records r
                 WHERE r.state = 'pending' AND r.next_attempt_ms < ?1
                   AND NOT EXISTS (SELECT 1 FROM records e WHERE e.state = 'pending' AND e.serial = r.serial
                       AND r.serial != '' AND e.id != r.id
                       AND ((e.endpoint = 'enter') > (r.endpoint = 'enter')
                            OR ((e.endpoint = 'enter') = (r.endpoint = 'enter') AND e.id < r.id)))
                 ORDER BY r.id LIMIT ?2",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![since, limit as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, u32>(3)?,
                ))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, endpoint, json, attempts) = row.map_err(err)?;
            let record = endpoint
                .parse::<Endpoint>()
                .map_err(Error::Store)
                .and_then(|endpoint| AnyRecord::from_json(endpoint, &json))
                .map_err(|e| Error::Store(format!("the stored record cannot be read: {}", e)));
            out.push(Due {
                id,
                record,
                attempts,
            });
        }
        Ok(out)
    }

    fn files_of(&self, conn: &Connection, id: i64) -> Result<Vec<(FileField, FileSource)>> {
        let mut stmt = conn
            .prepare_cached("SELECT field, bytes FROM files WHERE record_id = ?1")
            .map_err(|e| self.err("reading photos", e))?;
        let rows = stmt
            .query_map(params![id], |r| {
                // Copied once, straight from SQLite's buffer into the shared bytes.
                let bytes: Arc<[u8]> = r.get_ref(1)?.as_blob()?.into();
                Ok((r.get::<_, String>(0)?, bytes))
            })
            .map_err(|e| self.err("reading photos", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (field, bytes) = row.map_err(|e| self.err("reading photos", e))?;
            if let Some(f) = FileField::from_name(&field) {
                out.push((f, FileSource::Bytes(bytes)));
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
        millis(d)
    }

    /// Delivers what is due through `client` until nothing more is due now (records backing
    /// off stay pending). Returns what happened.
    pub fn drain(&self, client: &Client) -> Result<DrainReport> {
        self.drain_until(client, || false)
    }

    fn drain_until(&self, client: &Client, stop: impl Fn() -> bool) -> Result<DrainReport> {
        let mut report = DrainReport::default();
        self.streak().counted = 0;
        let mut marks = Vec::new();
        let delivered = self.deliver(client, &stop, &mut marks, &mut report);
        // Whatever stopped the delivery, what was delivered is written down.
        let written = self.write_marks(&mut marks);
        delivered?;
        written?;
        if report.accepted + report.dead + report.retried > 0 {
            // The outcomes, written with synchronous=NORMAL, reach the main file now.
            checkpoint(&self.conn(), "PASSIVE");
        }
        report.pending = self.counts()?.pending;
        Ok(report)
    }

    /// The delivery loop of [`Outbox::drain`]: reads the due records [`BATCH`] at a time,
    /// sends them one by one, and writes their outcomes batch by batch.
    fn deliver(
        &self,
        client: &Client,
        stop: &impl Fn() -> bool,
        marks: &mut Vec<Mark>,
        report: &mut DrainReport,
    ) -> Result<()> {
        let mut since = Instant::now();
        let started = now_ms();
        while !stop() {
            if self.paused(report) {
                break;
            }
            let batch = self.due(&self.conn(), BATCH, started)?;
            if batch.is_empty() {
                break;
            }
            for Due {
                id,
                record,
                attempts,
            } in batch
            {
                if stop() || self.paused(report) {
                    return Ok(());
                }
                let result = match record {
                    Err(e) => Err(e),
                    Ok(mut record) => {
                        // The photos are read one record at a time: a batch of 20 MB photos
                        // would not fit in memory. A failure to read the database stops the
                        // drain (`?`); a record that cannot be sent is dead-lettered.
                        let conn = self.conn();
                        let mut files = self.files_of(&conn, id)?;
                        let carried = if self.inner.options.carry_enter_fields {
                            self.carry_enter(&conn, &mut record, &mut files)
                        } else {
                            Ok(())
                        };
                        drop(conn);
                        match carried {
                            Err(e @ Error::Store(_)) => return Err(e),
                            Err(e) => Err(Error::Store(format!(
                                "cannot carry the dead-lettered enter's fields (page 001 note 8): {}",
                                e
                            ))),
                            Ok(()) => {
                                self.in_flight().push(id);
                                let result = client.push(&record, &files);
                                self.in_flight().retain(|&i| i != id);
                                result
                            }
                        }
                    }
                };
                let attempts = attempts
                    + result
                        .as_ref()
                        .map_or_else(failure_attempts, |r| r.attempts);
                self.mark(id, attempts, result, report, marks);
                if marks.len() >= BATCH || since.elapsed() >= MARK_EVERY {
                    self.write_marks(marks)?;
                    since = Instant::now();
                }
            }
            // Before the next batch is read, so that it sees what this one did.
            self.write_marks(marks)?;
            since = Instant::now();
        }
        Ok(())
    }

    fn streak(&self) -> std::sync::MutexGuard<'_, Streak> {
        self.inner.streak.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether delivery is paused now; if so the report says why.
    fn paused(&self, report: &mut DrainReport) -> bool {
        let s = self.streak();
        if s.until_ms > now_ms() {
            report.paused = Some(s.reason.clone());
            return true;
        }
        false
    }

    /// What to write about a record after one delivery attempt.
    ///
    /// The rule: only the platform's refusal of this record dead-letters it. Network and TLS
    /// failures, 5xx, 429 and answers that are not the platform's keep it pending with backoff
    /// and the reason in `last_error`; refusals that repeat for every record pause delivery.
    fn mark(
        &self,
        id: i64,
        attempts: u32,
        result: Result<PushResult>,
        report: &mut DrainReport,
        marks: &mut Vec<Mark>,
    ) {
        let now = now_ms();
        match result {
            Ok(r) if r.outcome == Outcome::Accepted => {
                *self.streak() = Streak::default();
                report.accepted += 1;
                marks.push(Mark::Done {
                    id,
                    attempts,
                    at: now,
                    seqno: r.response.seqno.clone(),
                    response: serde_json::to_string(&r.response).ok(),
                });
            }
            Ok(r) => {
                // Ignored with a hint (production mode): not accepted, and resending would be
                // ignored again. Dead-letter it so it is seen, and go on.
                let dead = Mark::Dead {
                    id,
                    attempts,
                    at: now,
                    seqno: r.response.seqno.clone(),
                    response: serde_json::to_string(&r.response).ok(),
                    diagnosis: r.diagnosis.as_ref().map(|d| d.summary()),
                    error: "ignored by the platform".into(),
                };
                self.refused(Some(Outcome::Ignored), dead, report, marks);
            }
            Err(e) if is_retryable(&e) => {
                report.retried += 1;
                let wait = match &e {
                    Error::Api(f) => f.retry_after.unwrap_or_default(),
                    _ => Duration::ZERO,
                };
                // A Retry-After beyond a day is taken as a day: the record is not parked forever.
                let wait = wait.min(Duration::from_secs(86_400)).as_millis() as i64;
                let error = e.to_string();
                report.last_error = Some(error.clone());
                marks.push(Mark::Retry {
                    id,
                    attempts,
                    next_ms: now.saturating_add(self.backoff(attempts).max(wait)),
                    error,
                });
            }
            Err(e) => {
                let (response, diagnosis, cause) = match &e {
                    Error::Api(f) => (
                        serde_json::to_string(&f.response).ok(),
                        f.diagnosis.as_ref().map(|d| d.summary()),
                        Some(f.outcome),
                    ),
                    _ => (None, None, None),
                };
                let dead = Mark::Dead {
                    id,
                    attempts,
                    at: now,
                    seqno: None,
                    response,
                    diagnosis,
                    error: e.to_string(),
                };
                self.refused(cause, dead, report, marks);
            }
        }
    }

    /// A record the platform refused: dead-lettered, unless records in a row were refused the
    /// same way, for a cause that can be about every record (`401`, `403`, ignored); then
    /// delivery pauses and the records of the row go back to the queue.
    fn refused(
        &self,
        cause: Option<Outcome>,
        dead: Mark,
        report: &mut DrainReport,
        marks: &mut Vec<Mark>,
    ) {
        let (id, attempts, at, error) = match &dead {
            Mark::Dead {
                id,
                attempts,
                at,
                error,
                ..
            } => (*id, *attempts, *at, error.clone()),
            _ => unreachable!("refused() takes a dead mark"),
        };
        let mut s = self.streak();
        let shared = matches!(
            cause,
            Some(Outcome::SignatureRejected | Outcome::Blocked | Outcome::Ignored)
        );
        if !shared || s.cause != cause {
            *s = Streak {
                cause: cause.filter(|_| shared),
                ..Streak::default()
            };
        }
        if !shared || (s.ids.len() + 1 < PAUSE_AFTER && s.pauses == 0) {
            if shared {
                s.ids.push(id);
                s.counted += 1;
            }
            report.dead += 1;
            marks.push(dead);
            return;
        }
        s.pauses += 1;
        let wait = self.backoff(s.pauses);
        s.until_ms = at + wait;
        s.reason = format!(
            "delivery paused for {} s: {} records in a row were refused the same way ({}), so the cause is not one record (a wrong app_secret? the lot blocked?); they stay pending. Last: {}",
            (wait + 999) / 1000,
            s.ids.len() + 1,
            cause.map_or("?", Outcome::name),
            error
        );
        log::error!("outbox {}: {}", self.inner.path.display(), s.reason);
        report.dead = report.dead.saturating_sub(s.counted);
        report.retried += 1;
        report.paused = Some(s.reason.clone());
        let (until, reason) = (s.until_ms, s.reason.clone());
        marks.extend(s.ids.drain(..).map(|earlier| Mark::Requeue {
            id: earlier,
            next_ms: until,
            error: reason.clone(),
        }));
        s.counted = 0;
        marks.push(Mark::Retry {
            id,
            attempts,
            next_ms: s.until_ms,
            error: s.reason.clone(),
        });
    }

    /// Writes the outcomes of delivered records in one transaction, with `synchronous=NORMAL`.
    ///
    /// Why not one transaction per record with `synchronous=FULL`, like [`Outbox::enqueue`]:
    /// that is an fsync (a few ms on a real disk) for every record sent, which alone would
    /// make draining a backlog several times slower than sending the same records directly.
    /// And why this is safe: a mark that is lost (the process killed before the batch was
    /// written, or the power cut before the WAL reached the disk) only means the record is sent
    /// again on the next drain, and the platform drops a repeated `parking_serial` / `flow_no`
    /// (answering success), so it is still accepted exactly once. At most [`BATCH`] records, or
    /// those of [`MARK_EVERY`], are resent that way. Enqueueing is never weakened: its own
    /// transaction is committed with `synchronous=FULL`, which also makes every earlier WAL
    /// frame durable.
    fn write_marks(&self, marks: &mut Vec<Mark>) -> Result<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let err = |e| self.err("recording the outcome", e);
        let mut conn = self.conn();
        set_synchronous(&conn, false).map_err(|e| self.err("synchronous", e))?;
        let tx = conn.transaction().map_err(err)?;
        for mark in marks.drain(..) {
            match mark {
                Mark::Done {
                    id,
                    attempts,
                    at,
                    seqno,
                    response,
                } => tx
                    // Only a pending record: another handle on the file may have marked it
                    // already, and its event must not be written twice.
                    .prepare_cached(
                        "UPDATE records SET state = 'done', attempts = ?2, finished_ms = ?3, seqno = ?4, response_json = ?5 WHERE id = ?1 AND state = 'pending'",
                    )
                    .and_then(|mut s| s.execute(params![id, attempts, at, seqno, response]))
                    .and_then(|changed| match changed {
                        0 => Ok(0),
                        _ => add_event(&tx, id, "accepted", seqno.as_deref(), None),
                    })
                    .and_then(|_| {
                        // The platform has the photo now; the record keeps its MD5 (in its
                        // `*_hash` field and here) for the audit period, not its bytes.
                        tx.prepare_cached("UPDATE files SET bytes = zeroblob(0) WHERE record_id = ?1")
                            .and_then(|mut s| s.execute(params![id]))
                    }),
                Mark::Dead {
                    id,
                    attempts,
                    at,
                    seqno,
                    response,
                    diagnosis,
                    error,
                } => tx
                    .prepare_cached(
                        "UPDATE records SET state = 'dead', attempts = ?2, finished_ms = ?3, seqno = ?4, response_json = ?5, diagnosis = ?6, last_error = ?7 WHERE id = ?1 AND state = 'pending'",
                    )
                    .and_then(|mut s| {
                        s.execute(params![id, attempts, at, seqno, response, diagnosis, error])
                    })
                    .and_then(|changed| match changed {
                        0 => Ok(0),
                        _ => add_event(&tx, id, "dead", None, Some(&error)),
                    }),
                Mark::Retry {
                    id,
                    attempts,
                    next_ms,
                    error,
                } => tx
                    .prepare_cached(
                        "UPDATE records SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4 WHERE id = ?1",
                    )
                    .and_then(|mut s| s.execute(params![id, attempts, next_ms, error])),
                Mark::Requeue { id, next_ms, error } => tx
                    .prepare_cached(
                        "UPDATE records SET state = 'pending', finished_ms = NULL, next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1 AND state = 'dead'",
                    )
                    .and_then(|mut s| s.execute(params![id, next_ms, error]))
                    .and_then(|changed| match changed {
                        0 => Ok(0),
                        _ => add_event(&tx, id, "requeued", None, Some(&error)),
                    }),
            }
            .map_err(err)?;
        }
        tx.commit().map_err(err)
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
            in_flight: self.in_flight().len() as u64,
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
        let err = |e| self.err("re-queueing", e);
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT INTO events (record_id, kind, endpoint, dedup_key, at_ms, reason)
             SELECT id, 'requeued', endpoint, dedup_key, ?2, 'retry requested' FROM records
             WHERE state = 'dead' AND (?1 IS NULL OR id = ?1) ORDER BY id",
            params![id, now_ms()],
        )
        .map_err(err)?;
        let n = tx
            .execute(
                "UPDATE records SET state = 'pending', attempts = 0, next_attempt_ms = 0, finished_ms = NULL WHERE state = 'dead' AND (?1 IS NULL OR id = ?1)",
                params![id],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        drop(conn);
        self.inner.wake.notify();
        Ok(n as u64)
    }

    /// Drops accepted records older than `older_than` (default: the audit period). An age too
    /// long to be a date (`Duration::MAX`) keeps them all.
    pub fn purge_done(&self, older_than: Option<Duration>) -> Result<u64> {
        let age = older_than.unwrap_or(self.inner.options.audit_period);
        // An age past i64 milliseconds keeps everything (the cutoff saturates at the minimum).
        let cutoff = now_ms().saturating_sub(millis(age));
        let conn = self.conn();
        let n = conn
            .execute(
                "DELETE FROM records WHERE state = 'done' AND finished_ms <= ?1",
                params![cutoff],
            )
            .map_err(|e| self.err("purging", e))?;
        conn.execute("DELETE FROM events WHERE at_ms <= ?1", params![cutoff])
            .map_err(|e| self.err("purging events", e))?;
        Ok(n as u64)
    }
}

/// Records read from the queue at once, and the most delivered records whose outcome waits in
/// memory before it is written (see [`Outbox::write_marks`]).
const BATCH: usize = 64;
/// Outcomes are written at least this often while a slow batch is being delivered, so that
/// [`Outbox::counts`] (here or in another process) follows along.
const MARK_EVERY: Duration = Duration::from_millis(100);

/// A record read from the queue to be sent.
struct Due {
    id: i64,
    /// An error when the stored record cannot be read back (it is then dead-lettered with
    /// that error, so it cannot block the queue).
    record: Result<AnyRecord>,
    attempts: u32,
}

/// The outcome of one delivery attempt, to be written.
enum Mark {
    Done {
        id: i64,
        attempts: u32,
        at: i64,
        seqno: Option<String>,
        response: Option<String>,
    },
    Dead {
        id: i64,
        attempts: u32,
        at: i64,
        seqno: Option<String>,
        response: Option<String>,
        diagnosis: Option<String>,
        error: String,
    },
    Retry {
        id: i64,
        attempts: u32,
        next_ms: i64,
        error: String,
    },
    /// A dead letter back in the queue (delivery paused: its refusal was not about it).
    Requeue {
        id: i64,
        next_ms: i64,
        error: String,
    },
}

/// A random tag for a new outbox (`PRAGMA user_version`): positive, never 0.
fn new_tag() -> i32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() % (i32::MAX as u64)) as i32 + 1
}

/// Copies the WAL into the main file (`PASSIVE`: what no reader holds; `TRUNCATE`: all, and
/// empty the WAL). Best effort: a busy database is checkpointed by a later call.
fn checkpoint(conn: &Connection, mode: &str) {
    let sql = format!("PRAGMA wal_checkpoint({})", mode);
    if let Err(e) = conn.query_row(&sql, [], |_| Ok(())) {
        log::debug!("checkpoint: {}", e);
    }
}

/// How durable what follows on this connection is. `full`: `synchronous=FULL` (the commit
/// waits for the WAL to reach the disk) and a checkpoint once the WAL holds 64 pages (256 KB)
/// instead of SQLite's 1000: committed records that live only in the WAL are lost when one bit
/// of it flips (SQLite reads a bad frame as the end of the log), so enqueues keep that window
/// to a few records. Otherwise `NORMAL` (only checkpoints sync) and the default 1000 pages:
/// a lost outcome only means a resend. docs/BENCHMARKS.md has the cost. Cached statements,
/// so switching costs next to nothing.
fn set_synchronous(conn: &Connection, full: bool) -> rusqlite::Result<()> {
    let (sync, pages) = if full {
        (
            "PRAGMA synchronous = FULL",
            "PRAGMA wal_autocheckpoint = 64",
        )
    } else {
        (
            "PRAGMA synchronous = NORMAL",
            "PRAGMA wal_autocheckpoint = 1000",
        )
    };
    conn.prepare_cached(sync)?.execute([])?;
    // `wal_autocheckpoint` answers with a row.
    conn.prepare_cached(pages)?.query_row([], |_| Ok(()))
}

fn failure_attempts(e: &Error) -> u32 {
    match e {
        Error::Api(f) => f.attempts,
        Error::Transport(t) => t.attempts,
        _ => 1,
    }
}

/// Whether a failed delivery keeps the record pending. Every transport failure does, TLS and
/// proxy problems included: they are about the network, not the record, and dead-lettering
/// would stop delivery until someone runs `retry`.
fn is_retryable(e: &Error) -> bool {
    match e {
        Error::Transport(_) => true,
        Error::Api(f) => f.outcome.is_retryable(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    //! Conditions that need the outbox's own connection or a second one on its file. The
    //! delivery paths are tested against the sandbox in `sandbox/tests/outbox.rs`.

    use super::*;
    use crate::client::RetryPolicy;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pyun-outbox-unit-{}-{}", std::process::id(), name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("q.db")
    }

    fn leave(serial: &str) -> AnyRecord {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../examples/data/leave.json")).unwrap();
        v["parking_serial"] = serial.into();
        AnyRecord::from_value(Endpoint::Leave, v).unwrap()
    }

    fn photo() -> Vec<(FileField, FileSource)> {
        let bytes: &[u8] = include_bytes!("../../examples/data/leave.bmp");
        vec![(FileField::LeaveImage, FileSource::Bytes(bytes.into()))]
    }

    /// A client whose every request fails fast: nothing listens on port 1.
    fn unreachable() -> Client {
        let mut c = crate::ClientConfig::new("secret");
        c.base_url = "http://127.0.0.1:1".into();
        c.retry = RetryPolicy {
            max_attempts: 1,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        };
        Client::new(c).unwrap()
    }

    fn pending_ids(path: &Path) -> Vec<i64> {
        let c = Connection::open(path).unwrap();
        let mut st = c
            .prepare("SELECT id FROM records WHERE state = 'pending' ORDER BY id")
            .unwrap();
        let ids = st.query_map([], |r| r.get(0)).unwrap();
        ids.collect::<rusqlite::Result<Vec<i64>>>().unwrap()
    }

    /// Copies the outbox's files as they are on the disk now, as a power cut leaves them.
    fn snapshot(path: &Path, name: &str) -> PathBuf {
        let copy = tmp(name);
        for suffix in ["", "-wal", "-enqueued"] {
            let from = PathBuf::from(format!("{}{}", path.display(), suffix));
            if from.exists() {
                std::fs::copy(&from, format!("{}{}", copy.display(), suffix)).unwrap();
            }
        }
        copy
    }

    fn flip_bit(path: &Path, offset: usize) {
        let mut bytes = std::fs::read(path).unwrap();
        bytes[offset] ^= 0x10;
        std::fs::write(path, &bytes).unwrap();
    }

    /// Opens a damaged copy: either every committed record is there, or the open says which
    /// were lost. Never a quietly smaller queue.
    fn all_or_a_clear_report(copy: &Path, committed: u64, what: &str) -> bool {
        match Outbox::open(copy, OutboxOptions::default()) {
            Ok(ob) => {
                let c = ob.counts().unwrap();
                assert_eq!(
                    c.pending + c.dead,
                    committed,
                    "{}: committed records vanished silently",
                    what
                );
                false
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains("lost") || text.contains("damaged") || text.contains("corrupt"),
                    "{}: {}",
                    what,
                    text
                );
                true
            }
        }
    }

    #[test]
    fn a_flipped_bit_in_the_wal_never_loses_committed_records_silently() {
        let path = tmp("walflip");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        // A reader of another process holds an old snapshot, so no checkpoint can move the
        // records out of the WAL: the worst case.
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .unwrap();
        for i in 0..30 {
            ob.enqueue(&leave(&format!("W-{:02}", i)), &photo())
                .unwrap();
        }
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let frame = 24 + 4096;
        let frames = (std::fs::metadata(&wal).unwrap().len() as usize - 32) / frame;
        assert!(frames > 30, "{} frames", frames);
        let mut reported = 0;
        for f in (0..frames).step_by(frames / 12) {
            let copy = snapshot(&path, &format!("walflip-{}", f));
            flip_bit(
                Path::new(&format!("{}-wal", copy.display())),
                32 + f * frame + 24 + 2000,
            );
            if all_or_a_clear_report(&copy, 30, &format!("WAL frame {} of {}", f, frames)) {
                reported += 1;
                // Reported once, loudly; the loss stays visible among the dead letters.
                let ob = Outbox::open(&copy, OutboxOptions::default()).unwrap();
                let c = ob.counts().unwrap();
                assert_eq!(c.pending + c.dead, 30, "{:?}", c);
                let dead = ob.dead_letters().unwrap();
                assert!(
                    dead.iter()
                        .all(|d| d.error.starts_with("LOST") && d.key.starts_with("W-")),
                    "{:?}",
                    dead
                );
                assert_eq!(
                    dead.last().map(|d| (d.id, d.key.as_str())),
                    Some((30, "W-29"))
                );
            }
        }
        assert!(reported > 0, "no flip was reported");
        drop(reader);
    }

    #[test]
    fn a_flipped_bit_in_the_database_file_never_loses_committed_records_silently() {
        let path = tmp("dbflip");
        {
            let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
            for i in 0..30 {
                ob.enqueue(&leave(&format!("D-{:02}", i)), &photo())
                    .unwrap();
            }
        } // closed: everything is in the main file
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        for (n, offset) in (0..len).step_by(len / 97).enumerate() {
            let copy = snapshot(&path, &format!("dbflip-{}", n));
            flip_bit(&copy, offset);
            all_or_a_clear_report(&copy, 30, &format!("main file offset {}", offset));
        }
    }

    #[test]
    fn a_full_disk_at_enqueue_stores_nothing_and_says_so() {
        // Simulated with SQLite's max_page_count on the outbox's own connection: SQLite answers
        // SQLITE_FULL exactly as on ENOSPC. sandbox/tests/outbox.rs fills a real tmpfs when it
        // may mount one.
        let path = tmp("full");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        ob.enqueue(&leave("F-0"), &photo()).unwrap();
        let pages: i64 = ob
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        ob.conn()
            .query_row(
                &format!("PRAGMA max_page_count = {}", pages + 40),
                [],
                |_| Ok(()),
            )
            .unwrap();
        let mut stored = 1;
        let err = loop {
            match ob.enqueue(&leave(&format!("F-{}", stored)), &photo()) {
                Ok(_) => stored += 1,
                Err(e) => break e,
            }
            assert!(stored < 10, "the page limit was not hit");
        };
        let text = err.to_string();
        assert!(matches!(err, Error::Store(_)), "{:?}", err);
        assert!(
            text.contains("NOT stored") && text.contains("full"),
            "{}",
            text
        );
        assert_eq!(ob.counts().unwrap().pending, stored);
        // Room again: enqueueing works, and nothing stored before was touched.
        ob.conn()
            .query_row("PRAGMA max_page_count = 1073741823", [], |_| Ok(()))
            .unwrap();
        ob.enqueue(&leave("F-after"), &photo()).unwrap();
        assert_eq!(
            pending_ids(&path),
            (1..=stored as i64 + 1).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_read_only_database_at_enqueue_stores_nothing_and_says_so() {
        // Simulated with PRAGMA query_only; sandbox/tests/outbox.rs remounts a real tmpfs
        // read-only when it may.
        let path = tmp("ro");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        ob.enqueue(&leave("R-0"), &photo()).unwrap();
        ob.conn().pragma_update(None, "query_only", true).unwrap();
        let err = ob.enqueue(&leave("R-1"), &photo()).unwrap_err();
        assert!(err.to_string().contains("NOT stored"), "{}", err);
        ob.conn().pragma_update(None, "query_only", false).unwrap();
        assert_eq!(ob.counts().unwrap().pending, 1);
        ob.enqueue(&leave("R-2"), &photo()).unwrap();
        // Nothing of the refused record was written, not even its id.
        assert_eq!(pending_ids(&path), vec![1, 2]);
    }

    #[test]
    fn a_photo_damaged_inside_the_database_is_dead_lettered_not_sent() {
        let path = tmp("tamper");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        let id = ob.enqueue(&leave("T-1"), &photo()).unwrap();
        // The stored record pins the photo's MD5.
        let json: String = ob
            .conn()
            .query_row("SELECT record_json FROM records WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        let md5 = crate::form::md5_hex(include_bytes!("../../examples/data/leave.bmp"));
        assert!(
            json.contains(&format!("\"leave_image_hash\":\"{}\"", md5)),
            "{}",
            json
        );
        // One byte of the stored photo changes (a bad sector, a stray write).
        let other = Connection::open(&path).unwrap();
        let mut bytes: Vec<u8> = other
            .query_row("SELECT bytes FROM files WHERE record_id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        bytes[1000] ^= 0xFF;
        other
            .execute(
                "UPDATE files SET bytes = ?2 WHERE record_id = ?1",
                params![id, bytes],
            )
            .unwrap();
        let report = ob.drain(&unreachable()).unwrap();
        assert_eq!((report.dead, report.retried), (1, 0), "{:?}", report);
        let dead = ob.dead_letters().unwrap();
        assert!(
            dead[0].error.contains("leave_image_hash") && dead[0].error.contains("MD5"),
            "{:?}",
            dead[0]
        );
    }

    #[test]
    fn an_unreadable_stored_record_is_dead_lettered_and_does_not_block_the_queue() {
        let path = tmp("poison");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        let bad = ob.enqueue(&leave("P-1"), &[]).unwrap();
        let next = ob.enqueue(&leave("P-2"), &[]).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute(
                "UPDATE records SET record_json = '{not json' WHERE id = ?1",
                [bad],
            )
            .unwrap();
        let report = ob.drain(&unreachable()).unwrap();
        assert_eq!((report.dead, report.retried), (1, 1), "{:?}", report);
        let dead = ob.dead_letters().unwrap();
        assert_eq!(dead[0].id, bad);
        assert!(dead[0].error.contains("cannot be read"), "{:?}", dead[0]);
        // The next one was tried (and backs off: nothing listens).
        assert_eq!(pending_ids(&path), vec![next]);
    }

    #[test]
    fn an_accepted_record_keeps_its_hash_not_its_photo() {
        let path = tmp("done");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        let id = ob.enqueue(&leave("D-1"), &photo()).unwrap();
        ob.write_marks(&mut vec![Mark::Done {
            id,
            attempts: 1,
            at: now_ms(),
            seqno: Some("S".into()),
            response: None,
        }])
        .unwrap();
        let (len, md5): (i64, String) = ob
            .conn()
            .query_row(
                "SELECT length(bytes), md5 FROM files WHERE record_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let expected = crate::form::md5_hex(include_bytes!("../../examples/data/leave.bmp"));
        assert_eq!((len, md5), (0, expected));
        assert_eq!(ob.counts().unwrap().done, 1);
    }

    #[test]
    fn another_programs_database_is_refused_and_left_untouched() {
        let path = tmp("foreign");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('x');")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Outbox::open(&path, OutboxOptions::default()).unwrap_err();
        assert!(err.to_string().contains("another program"), "{}", err);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!Path::new(&format!("{}-wal", path.display())).exists());
    }

    #[test]
    fn a_damaged_database_is_refused_and_left_untouched() {
        let path = tmp("damaged");
        {
            let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
            for i in 0..300 {
                ob.enqueue(&leave(&format!("C-{}", i)), &[]).unwrap();
            }
        } // closed: the WAL is checkpointed into the file and removed
        let mut bytes = std::fs::read(&path).unwrap();
        let page = 4096;
        assert!(bytes.len() > 20 * page, "{}", bytes.len());
        // Garbage over three b-tree pages in the middle of the records table.
        for b in &mut bytes[10 * page..13 * page] {
            *b = 0x5A;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = Outbox::open(&path, OutboxOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("damaged") && text.contains("left untouched"),
            "{}",
            text
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
        // A new file next to it is a fresh outbox.
        let fresh = path.with_file_name("fresh.db");
        assert_eq!(
            Outbox::open(&fresh, OutboxOptions::default())
                .unwrap()
                .counts()
                .unwrap(),
            OutboxCounts::default()
        );
    }
}
