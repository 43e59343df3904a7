//! The store of received pushes: one SQLite row per distinct push (unique by kind and key), in
//! WAL mode with `synchronous=FULL`, so a commit is on disk when it returns. `pyun listen`
//! writes it (in batches, [`claim`] and [`finish`] inside its own transactions); Python's
//! receiver shares it between the worker processes of one server through [`PushStore`];
//! `pyun pushes` reads it.
//!
//! "Handled once" holds by construction: the decision to run a handler is a **claim** taken in
//! the same transaction that records the delivery. A second copy, in this process or another,
//! finds the claim and is told [`Decision::Busy`]; the claim ends with [`finish`] (handled, or
//! failed: a later copy may try again) or, if its holder died, when its lease runs out.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};
use crate::messages::{Msg, Text};

/// `PRAGMA application_id` of a push store ("PYPS"): another program's SQLite database is never
/// taken for a push store and converted or written to.
pub const APPLICATION_ID: i32 = crate::app_ids::PUSH_STORE;

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
    claim_token TEXT,
    claim_until INTEGER,
    last_error_text TEXT,
    UNIQUE (kind, key)
);
-- `pushes show KEY` without the kind, and `pushes list --unhandled` (newest first) without
-- reading the handled ones: flat as the store grows (issue 26).
CREATE INDEX IF NOT EXISTS pushes_key ON pushes (key);
CREATE INDEX IF NOT EXISTS pushes_unhandled ON pushes (id) WHERE handled_at IS NULL;";

fn store_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Store(Text::new(Msg::PushStoreFailed, &[&path.display(), &e]))
}

/// Milliseconds since the epoch (the store's clock).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Opens the store at `path`, creating it when `create` (else a missing file is an error).
/// A SQLite file of another program (or an outbox) is refused before anything is written to
/// it; stores made before the application id existed are recognised by their one table.
pub fn open(path: &Path, create: bool) -> Result<Connection> {
    if !create && !path.is_file() {
        return Err(Error::Store(Text::new(
            Msg::NoPushStore,
            &[&path.display()],
        )));
    }
    let conn = Connection::open(path).map_err(|e| store_err(path, e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| store_err(path, e))?;
    let (app_id, objects, legacy): (i32, i64, bool) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT COUNT(*) FROM sqlite_master),
                    (SELECT COUNT(*) = 1 FROM sqlite_master WHERE type = 'table')
                    AND (SELECT COUNT(*) = 1 FROM sqlite_master WHERE type = 'table' AND name = 'pushes')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| {
            let why = Text::new(Msg::NotSqlite, &[&e]);
            Error::Store(Text::new(Msg::PushStoreFailed, &[&path.display(), &why]))
        })?;
    if app_id == crate::app_ids::OUTBOX {
        return Err(Error::Store(crate::messages::Text::new(
            crate::messages::Msg::PushStoreIsOutbox,
            &[&path.display()],
        )));
    }
    if objects > 0 && app_id != APPLICATION_ID && !(app_id == 0 && legacy) {
        return Err(Error::Store(Text::new(
            Msg::PushStoreForeign,
            &[&path.display(), &app_id, &objects],
        )));
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| store_err(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| store_err(path, e))?;
    if app_id != APPLICATION_ID || !current(&conn).map_err(|e| store_err(path, e))? {
        let tx = conn
            .unchecked_transaction()
            .map_err(|e| store_err(path, e))?;
        tx.execute_batch(SCHEMA).map_err(|e| store_err(path, e))?;
        if !has_claims(&tx).map_err(|e| store_err(path, e))? {
            // A store of an earlier pyun: the claim columns are added, rows kept.
            tx.execute_batch(
                "ALTER TABLE pushes ADD COLUMN claim_token TEXT;
                 ALTER TABLE pushes ADD COLUMN claim_until INTEGER;",
            )
            .map_err(|e| store_err(path, e))?;
        }
        if !has_error_text(&tx).map_err(|e| store_err(path, e))? {
            // The handler's error by catalog id, for `pyun pushes` in the reader's language
            // (see `messages/stored.rs`); the rows of an earlier pyun keep their English.
            tx.execute_batch("ALTER TABLE pushes ADD COLUMN last_error_text TEXT;")
                .map_err(|e| store_err(path, e))?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| store_err(path, e))?;
        tx.commit().map_err(|e| store_err(path, e))?;
    }
    Ok(conn)
}

/// Whether the store has every column and index of this pyun's (else it is brought up to
/// date: the columns added, the indexes built once).
fn current(conn: &Connection) -> rusqlite::Result<bool> {
    let indexes: bool = conn.query_row(
        "SELECT COUNT(*) = 2 FROM sqlite_master WHERE type = 'index' AND name IN ('pushes_key', 'pushes_unhandled')",
        [],
        |r| r.get(0),
    )?;
    Ok(indexes && has_claims(conn)? && has_error_text(conn)?)
}

fn has_error_text(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) = 1 FROM pragma_table_info('pushes') WHERE name = 'last_error_text'",
        [],
        |r| r.get(0),
    )
}

/// A push's `last_error` in a reader's language: the stored form in `last_error_text` when it
/// still says what the English `last_error` says, else the English (a row of an earlier pyun).
pub fn last_error(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Text>> {
    let stored: Option<String> = r.get("last_error_text")?;
    Ok(r.get::<_, Option<String>>("last_error")?
        .map(|en| Text::from_store(en, stored.as_deref())))
}

fn has_claims(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) = 2 FROM pragma_table_info('pushes') WHERE name IN ('claim_token', 'claim_until')",
        [],
        |r| r.get(0),
    )
}

/// What to do with a delivery, decided in the transaction that recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// This delivery holds the claim: run the handler, then [`finish`]. `first` when the push
    /// was seen for the first time.
    Handle {
        /// First time seen (the row was created by this delivery).
        first: bool,
    },
    /// Already handled: acknowledge without handling again.
    Handled,
    /// Stored as handled with no handler to run (the store is the handler).
    Stored,
    /// Another delivery holds the claim (in this process or another): do not handle, do not
    /// acknowledge yet.
    Busy,
}

/// One delivery of a push, as recorded.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    /// `payment`, `leave` or `unknown`.
    pub kind: &'a str,
    /// The push's key (`pay_serial`, `parking_serial`, or its sign).
    pub key: &'a str,
    /// How its body was encoded.
    pub encoding: &'a str,
    /// Its fields as a JSON object.
    pub fields: &'a str,
}

/// Records a delivery and decides, in the caller's transaction: handled before, claimed by
/// another (lease not over), or claimed now by `token` until `now_ms + lease_ms`. With
/// `store_only` (no handler) a new push is stored as handled.
pub fn claim(
    tx: &Connection,
    d: &Delivery<'_>,
    token: &str,
    now_ms: i64,
    lease_ms: i64,
    store_only: bool,
) -> rusqlite::Result<Decision> {
    let existing: Option<(Option<i64>, Option<i64>)> = tx
        .query_row(
            "SELECT handled_at, claim_until FROM pushes WHERE kind = ?1 AND key = ?2",
            params![d.kind, d.key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (handled_at, claim_until) = match existing {
        None if store_only => {
            tx.execute(
                "INSERT INTO pushes (kind, key, encoding, fields, received_at, handled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![d.kind, d.key, d.encoding, d.fields, now_ms],
            )?;
            return Ok(Decision::Stored);
        }
        None => {
            tx.execute(
                "INSERT INTO pushes (kind, key, encoding, fields, received_at, claim_token, claim_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![d.kind, d.key, d.encoding, d.fields, now_ms, token, now_ms + lease_ms],
            )?;
            return Ok(Decision::Handle { first: true });
        }
        Some(row) => row,
    };
    tx.execute(
        "UPDATE pushes SET deliveries = deliveries + 1 WHERE kind = ?1 AND key = ?2",
        params![d.kind, d.key],
    )?;
    if handled_at.is_some() {
        return Ok(Decision::Handled);
    }
    if store_only {
        tx.execute(
            "UPDATE pushes SET handled_at = ?3 WHERE kind = ?1 AND key = ?2",
            params![d.kind, d.key, now_ms],
        )?;
        return Ok(Decision::Stored);
    }
    if claim_until.is_some_and(|until| until > now_ms) {
        return Ok(Decision::Busy);
    }
    tx.execute(
        "UPDATE pushes SET claim_token = ?3, claim_until = ?4 WHERE kind = ?1 AND key = ?2",
        params![d.kind, d.key, token, now_ms + lease_ms],
    )?;
    Ok(Decision::Handle { first: false })
}

/// Records the outcome of the handler run under `token`'s claim, and ends the claim. A success
/// is recorded even if the lease ran out meanwhile (the push *was* handled); a failure only
/// while the claim is still this one's.
pub fn finish(
    tx: &Connection,
    kind: &str,
    key: &str,
    token: &str,
    error: Option<&Text>,
    now_ms: i64,
) -> rusqlite::Result<()> {
    match error {
        None => tx.execute(
            "UPDATE pushes SET handled_at = COALESCE(handled_at, ?3), last_error = NULL, last_error_text = NULL,
                 claim_token = CASE WHEN claim_token = ?4 THEN NULL ELSE claim_token END,
                 claim_until = CASE WHEN claim_token = ?4 THEN NULL ELSE claim_until END
             WHERE kind = ?1 AND key = ?2",
            params![kind, key, now_ms, token],
        )?,
        Some(e) => tx.execute(
            "UPDATE pushes SET handler_failures = handler_failures + 1, last_error = ?3,
                 last_error_text = ?5, claim_token = NULL, claim_until = NULL
             WHERE kind = ?1 AND key = ?2 AND claim_token = ?4",
            params![kind, key, e.to_string(), token, e.to_store()],
        )?,
    };
    Ok(())
}

/// Ends every claim: for `pyun listen` at start, as the one process serving its store, so that
/// the pushes a killed listener was handling are handled again on their next delivery.
pub fn release_all_claims(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE pushes SET claim_token = NULL, claim_until = NULL WHERE claim_token IS NOT NULL",
        [],
    )
}

/// A claim token unique to this process and call: a claim is only ever ended by its holder.
pub fn new_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The store opened by one receiver (Python's): each call is its own immediate transaction, so
/// several processes sharing the file decide correctly together.
pub struct PushStore {
    conn: Mutex<Connection>,
    path: std::path::PathBuf,
}

impl std::fmt::Debug for PushStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushStore")
            .field("path", &self.path)
            .finish()
    }
}

impl PushStore {
    /// Opens (creating) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<PushStore> {
        let path = path.as_ref().to_path_buf();
        Ok(PushStore {
            conn: Mutex::new(open(&path, true)?),
            path,
        })
    }

    fn with_tx<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().map_err(|_| {
            Error::Store(Text::new(Msg::PushStorePanicked, &[&self.path.display()]))
        })?;
        let run = || {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e: rusqlite::Error| store_err(&self.path, e))
    }

    /// Records a delivery and decides; on [`Decision::Handle`] the claim is `token`'s for
    /// `lease` (longer than the handler may take).
    pub fn claim(&self, d: &Delivery<'_>, token: &str, lease: Duration) -> Result<Decision> {
        let lease_ms = lease.as_millis().min(i64::MAX as u128) as i64;
        self.with_tx(|tx| claim(tx, d, token, now_ms(), lease_ms, false))
    }

    /// Records the outcome of the handler that ran under `token`'s claim.
    pub fn finish(&self, kind: &str, key: &str, token: &str, error: Option<&str>) -> Result<()> {
        // The caller's own text (a Python handler's exception), kept as it is.
        let error = error.map(Text::from);
        self.with_tx(|tx| finish(tx, kind, key, token, error.as_ref(), now_ms()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pyun-push-store-{}-{}-{}",
            name,
            std::process::id(),
            new_token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("pushes.db")
    }

    const D: Delivery<'static> = Delivery {
        kind: "payment",
        key: "K1",
        encoding: "urlencoded",
        fields: "{}",
    };

    #[test]
    fn one_claim_at_a_time_then_handled() {
        let conn = open(&tmp("claims"), true).unwrap();
        assert_eq!(
            claim(&conn, &D, "a", 0, 1000, false).unwrap(),
            Decision::Handle { first: true }
        );
        assert_eq!(
            claim(&conn, &D, "b", 10, 1000, false).unwrap(),
            Decision::Busy
        );
        // A failure frees the claim for the next copy.
        finish(&conn, "payment", "K1", "a", Some(&"exit 3".into()), 20).unwrap();
        assert_eq!(
            claim(&conn, &D, "b", 30, 1000, false).unwrap(),
            Decision::Handle { first: false }
        );
        // The old holder cannot end the new claim.
        finish(&conn, "payment", "K1", "a", Some(&"late".into()), 40).unwrap();
        assert_eq!(
            claim(&conn, &D, "c", 50, 1000, false).unwrap(),
            Decision::Busy
        );
        finish(&conn, "payment", "K1", "b", None, 60).unwrap();
        assert_eq!(
            claim(&conn, &D, "c", 70, 1000, false).unwrap(),
            Decision::Handled
        );
    }

    #[test]
    fn a_lease_runs_out() {
        let conn = open(&tmp("lease"), true).unwrap();
        claim(&conn, &D, "a", 0, 1000, false).unwrap();
        assert_eq!(
            claim(&conn, &D, "b", 999, 1000, false).unwrap(),
            Decision::Busy
        );
        assert_eq!(
            claim(&conn, &D, "b", 1000, 1000, false).unwrap(),
            Decision::Handle { first: false }
        );
    }

    #[test]
    fn another_programs_database_is_left_untouched() {
        let path = tmp("foreign");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('x');")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let e = open(&path, true).unwrap_err().to_string();
        assert!(e.contains("another program"), "{}", e);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!path.with_extension("db-wal").exists());
    }

    #[test]
    fn a_store_of_an_earlier_pyun_is_upgraded_in_place() {
        let path = tmp("legacy");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE pushes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,
                 encoding TEXT NOT NULL, fields TEXT NOT NULL, received_at INTEGER NOT NULL,
                 deliveries INTEGER NOT NULL DEFAULT 1, handled_at INTEGER,
                 handler_failures INTEGER NOT NULL DEFAULT 0, last_error TEXT, UNIQUE (kind, key));
                 INSERT INTO pushes (kind, key, encoding, fields, received_at, handled_at)
                 VALUES ('payment', 'K1', 'urlencoded', '{}', 1, 2);",
            )
            .unwrap();
        }
        let conn = open(&path, true).unwrap();
        assert_eq!(
            claim(&conn, &D, "a", 5, 1000, false).unwrap(),
            Decision::Handled
        );
        let id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        assert!(current(&conn).unwrap());
    }

    /// A store as the previous pyun (main at 23e410a) made it: its schema, claims and
    /// application id, without the indexes of issue 26. Opened, it gains them, keeps its rows,
    /// and `key` and the unhandled ones are read through them.
    #[test]
    fn a_store_of_the_previous_pyun_gains_its_indexes() {
        let path = tmp("previous");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA application_id = {};
                 CREATE TABLE pushes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,
                 encoding TEXT NOT NULL, fields TEXT NOT NULL, received_at INTEGER NOT NULL,
                 deliveries INTEGER NOT NULL DEFAULT 1, handled_at INTEGER,
                 handler_failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                 claim_token TEXT, claim_until INTEGER, UNIQUE (kind, key));
                 INSERT INTO pushes (kind, key, encoding, fields, received_at, handled_at)
                 VALUES ('payment', 'K1', 'urlencoded', '{{}}', 1, 2), ('leave', 'K2', 'urlencoded', '{{}}', 3, NULL);",
                APPLICATION_ID
            ))
            .unwrap();
            assert!(!current(&c).unwrap());
        }
        let conn = open(&path, false).unwrap();
        assert!(current(&conn).unwrap());
        let plan = |sql: &str| -> String {
            let mut st = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", sql))
                .unwrap();
            let rows = st.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .unwrap()
                .join("; ")
        };
        assert!(
            plan("SELECT * FROM pushes WHERE key = 'K1'").contains("pushes_key"),
            "{}",
            plan("SELECT * FROM pushes WHERE key = 'K1'")
        );
        let unhandled = "SELECT * FROM pushes WHERE handled_at IS NULL ORDER BY id DESC";
        assert!(
            plan(unhandled).contains("pushes_unhandled"),
            "{}",
            plan(unhandled)
        );
        let keys: Vec<String> = conn
            .prepare("SELECT key FROM pushes ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(keys, ["K1", "K2"]);
    }
}
