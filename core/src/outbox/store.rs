//! The outbox's SQLite file: its schema, how it is opened and recognised, and how durable each
//! write is.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use super::enqueued::Enqueued;
use super::{store_err, Inner, Outbox, OutboxOptions, Streak, Wake};
use crate::error::{Error, Result};

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
            if let Err(e) = checkpoint(&conn, "TRUNCATE") {
                log::debug!("checkpoint: {}", e);
            }
        }
        let enqueued = Enqueued::open(&path, tag as u32)
            .map_err(|e| {
                log::warn!(
                    "outbox {}: cannot open {}: {}; records the database might lose would not be noticed",
                    path.display(),
                    super::enqueued::path_for(&path).display(),
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
/// empty the WAL). Best effort: a busy database is checkpointed by a later call. The caller
/// logs a failure once it has let the connection go (a log callback may query the outbox).
pub(super) fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<()> {
    let sql = format!("PRAGMA wal_checkpoint({})", mode);
    conn.query_row(&sql, [], |_| Ok(()))
}

/// How durable what follows on this connection is. `full`: `synchronous=FULL` (the commit
/// waits for the WAL to reach the disk) and a checkpoint once the WAL holds 64 pages (256 KB)
/// instead of SQLite's 1000: committed records that live only in the WAL are lost when one bit
/// of it flips (SQLite reads a bad frame as the end of the log), so enqueues keep that window
/// to a few records. Otherwise `NORMAL` (only checkpoints sync) and the default 1000 pages:
/// a lost outcome only means a resend. docs/BENCHMARKS.md has the cost. Cached statements,
/// so switching costs next to nothing.
pub(super) fn set_synchronous(conn: &Connection, full: bool) -> rusqlite::Result<()> {
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
