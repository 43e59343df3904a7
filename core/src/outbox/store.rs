//! The outbox's SQLite file: its schema, how it is opened and recognised, and how durable each
//! write is.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use super::enqueued::{inspect, Enqueued, Evidence, Slot};
use super::{store_err, Inner, Outbox, OutboxOptions, Streak, Wake};
use crate::error::{Error, LostRecord, OutboxUnverified, Result};
use crate::messages::{Lang, Msg, Text};

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
    diagnosis TEXT,
    last_error_text TEXT,
    diagnosis_text TEXT
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
    reason TEXT,
    reason_text TEXT
);
";

/// The columns that keep `last_error`, `diagnosis` and an event's `reason` by catalog id and
/// arguments (or written in each language), to be shown in the reader's language (see `messages/stored.rs`): added to an outbox of an
/// earlier pyun when it is opened (see [`migrate`]), empty in its old rows (which show their
/// English). (table, column)
const TEXT_COLUMNS: &[(&str, &str)] = &[
    ("records", "last_error_text"),
    ("records", "diagnosis_text"),
    ("events", "reason_text"),
];

/// What keeps the cost of reads flat as the outbox grows (issue 26), added to outboxes of an
/// earlier pyun when they are opened (see [`migrate`]). Triggers keep the tallies in the
/// transaction of every write, whoever writes (an earlier pyun, an operator's `sqlite3`):
/// counts by state for `status`, and per minute the records enqueued and accepted and the
/// enqueue-to-accepted latency to two significant digits ([`LATENCY_BUCKET`]) for
/// `pyun console`'s chart, so neither scans the records.
const TALLIES: &str = "
CREATE TABLE IF NOT EXISTS state_counts (
    state TEXT PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minute_counts (
    minute INTEGER PRIMARY KEY,
    enqueued INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS minute_latency (
    minute INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (minute, bucket)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS records_added AFTER INSERT ON records BEGIN
    INSERT INTO state_counts VALUES (new.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
    INSERT INTO minute_counts (minute, enqueued) VALUES (new.created_ms / 60000, 1)
        ON CONFLICT (minute) DO UPDATE SET enqueued = enqueued + 1;
END;
CREATE TRIGGER IF NOT EXISTS records_removed AFTER DELETE ON records BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = old.state;
END;
CREATE TRIGGER IF NOT EXISTS records_moved AFTER UPDATE OF state ON records
WHEN new.state != old.state BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = old.state;
    INSERT INTO state_counts VALUES (new.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS records_accepted AFTER UPDATE OF state ON records
WHEN new.state = 'done' AND old.state != 'done' BEGIN
    TALLY_ACCEPTED;
END;
CREATE TRIGGER IF NOT EXISTS records_added_done AFTER INSERT ON records
WHEN new.state = 'done' BEGIN
    TALLY_ACCEPTED;
END;
-- `find` by a key that is not the record's serial (an update's flow_no): the other keys are
-- found through records_pending (state, serial, id), so enters and leaves add no entry here.
CREATE INDEX IF NOT EXISTS records_key ON records (dedup_key) WHERE serial != dedup_key;
";

/// A latency `{ms}` (SQL) rounded down to two significant digits (1,234 -> 1,200; under 100
/// exact): ten times fewer rows than exact values at the same 10% precision a chart shows,
/// in plain SQL (no math functions: any SQLite running the triggers must know them).
const LATENCY_BUCKET: &str = "(CASE WHEN {ms} < 100 THEN {ms}
    ELSE {ms} - {ms} % CAST('1' || substr('0000000000000000000', 1, length({ms}) - 2) AS INTEGER) END)";

/// The schema objects of a current outbox: one missing means an outbox of an earlier pyun.
const OBJECTS: &[&str] = &[
    "records",
    "files",
    "records_pending",
    "records_queue",
    "dead_letters",
    "events",
    "state_counts",
    "minute_counts",
    "minute_latency",
    "records_added",
    "records_removed",
    "records_moved",
    "records_accepted",
    "records_added_done",
    "records_key",
];

/// What a record accepted (`new`) adds to the tallies: a record made accepted by the sender,
/// or written accepted by another program.
const TALLY_ACCEPTED: &str = "
    INSERT INTO minute_counts (minute, accepted) VALUES (new.finished_ms / 60000, 1)
        ON CONFLICT (minute) DO UPDATE SET accepted = accepted + 1;
    INSERT INTO minute_latency VALUES (new.finished_ms / 60000, BUCKET_OF_NEW, 1)
        ON CONFLICT (minute, bucket) DO UPDATE SET n = n + 1";

/// [`TALLIES`] as SQL: with what an acceptance adds, and the latency bucket of `new`'s row.
fn tallies() -> String {
    let latency = "MAX(new.finished_ms - new.created_ms, 0)";
    TALLIES
        .replace("TALLY_ACCEPTED", TALLY_ACCEPTED)
        .replace("BUCKET_OF_NEW", &LATENCY_BUCKET.replace("{ms}", latency))
}

/// Brings an outbox made by an earlier pyun up to date, in the caller's transaction: adds
/// [`TEXT_COLUMNS`] (NULL in every row: nothing it holds changes), and [`TALLIES`] and, when
/// they are new, fills them from the records it holds (once, a scan).
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column) in TEXT_COLUMNS {
        let has: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |r| r.get(0),
        )?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {} TEXT", table, column))?;
        }
    }
    let new: bool = conn.query_row(
        "SELECT COUNT(*) = 0 FROM sqlite_master WHERE name = 'state_counts'",
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(&tallies())?;
    if new {
        let bucket = LATENCY_BUCKET.replace("{ms}", "MAX(finished_ms - created_ms, 0)");
        conn.execute_batch(&format!(
            "INSERT INTO state_counts SELECT state, COUNT(*) FROM records GROUP BY state;
             INSERT INTO minute_counts (minute, enqueued)
                 SELECT created_ms / 60000 AS m, COUNT(*) FROM records GROUP BY m;
             INSERT INTO minute_counts (minute, accepted)
                 SELECT finished_ms / 60000 AS m, COUNT(*) FROM records WHERE state = 'done' GROUP BY m
                 ON CONFLICT (minute) DO UPDATE SET accepted = excluded.accepted;
             INSERT INTO minute_latency
                 SELECT finished_ms / 60000 AS m, {} AS b, COUNT(*) FROM records WHERE state = 'done'
                 GROUP BY m, b;",
            bucket
        ))?;
    }
    Ok(())
}

/// `PRAGMA application_id` of an outbox database ("PYOB"), so that another program's SQLite
/// database is never taken for an outbox and written to.
pub(crate) const APPLICATION_ID: i32 = crate::app_ids::OUTBOX;

impl Outbox {
    /// Opens (or creates) the outbox at `path`. A file that is not an outbox, or a damaged
    /// database, is an error: it is never silently emptied. So is an outbox whose side file
    /// (`<db>-enqueued`, the evidence of every committed enqueue) is missing, damaged or belongs
    /// to another database ([`Error::OutboxUnverified`]), and an outbox on a network share
    /// ([`Error::NetworkShare`]) unless `options.allow_network_share`.
    pub fn open(path: impl AsRef<Path>, options: OutboxOptions) -> Result<Outbox> {
        let path = path.as_ref().to_path_buf();
        refuse_network_share(&path, &options)?;
        let conn = connect(&path, Check::WholeFile)?;
        let (tag, slots) = bind(&conn, &path, false)?;
        let outbox = assemble(path, options, conn, tag)?;
        outbox.find_lost(slots)?;
        Ok(outbox)
    }

    /// Opens the outbox at `path` only to read it (`pyun outbox status`, `show`, `list`,
    /// `events`, `dead`): [`Outbox::open`]'s checks but its `PRAGMA quick_check`, which reads
    /// every page of the file (about 1.4 s at 1,000,000 records, issue 26) so that nothing is
    /// ever written into a damaged database. This outbox writes nothing: its connection is
    /// `query_only` (an enqueue, a drain or a retry through it fails, changing nothing) and
    /// leaves the WAL as it is when closed. Damage in a page that a read touches is still an
    /// error. When opening would write (a new outbox, one of an earlier pyun to bring up to
    /// date, lost records to record), this is [`Outbox::open`], whole-file check included.
    pub fn open_to_read(path: impl AsRef<Path>, options: OutboxOptions) -> Result<Outbox> {
        let path = path.as_ref().to_path_buf();
        refuse_network_share(&path, &options)?;
        let conn = connect(&path, Check::Pages)?;
        let err = |what: Msg, e: rusqlite::Error| store_err(&path, what, e);
        let (app_id, tag, current) = header(&conn).map_err(|e| err(Msg::StoreReadingSchema, e))?;
        if app_id != APPLICATION_ID || !current || tag == 0 {
            drop(conn);
            return Outbox::open(path, options);
        }
        conn.pragma_update(None, "query_only", true)
            .and_then(|()| {
                conn.set_db_config(
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                    true,
                )
            })
            .map_err(|e| err(Msg::StoreOpen, e))?;
        let (tag, slots) = bind(&conn, &path, false)?;
        let outbox = assemble(path.clone(), options.clone(), conn, tag)?;
        if outbox.lost_records(&slots)?.is_empty() {
            return Ok(outbox);
        }
        drop(outbox);
        Outbox::open(path, options)
    }
}

/// The outbox around an opened, bound connection (its side file `<db>-enqueued` opened).
fn assemble(path: PathBuf, options: OutboxOptions, conn: Connection, tag: u32) -> Result<Outbox> {
    let enqueued = Enqueued::open(&path, tag).map_err(|e| {
        let side = super::enqueued::path_for(&path);
        Error::Store(Text::new(
            Msg::SideFileNotOpened,
            &[&path.display(), &side.display(), &e],
        ))
    })?;
    Ok(Outbox {
        inner: Arc::new(Inner {
            conn: Mutex::new(conn),
            path,
            options,
            in_flight: Mutex::new(Vec::new()),
            streak: Mutex::new(Streak::default()),
            offline: Mutex::default(),
            enqueued,
            wake: Wake::default(),
            group: Default::default(),
        }),
    })
}

impl Outbox {
    /// The operator's way out of [`Error::OutboxUnverified`], run knowingly: takes the database
    /// at `path` as complete (creating it if it is missing), gives it a new, empty side file,
    /// and opens it. Records the old side file named that the database lacks are given up
    /// (the refusal named them). Never called by pyun itself.
    pub fn accept_fresh_start(path: impl AsRef<Path>, options: OutboxOptions) -> Result<Outbox> {
        let path = path.as_ref().to_path_buf();
        refuse_network_share(&path, &options)?;
        let conn = connect(&path, Check::WholeFile)?;
        bind(&conn, &path, true)?;
        drop(conn);
        log::warn!(
            "{}",
            Msg::AcceptedFreshStart.text(Lang::from_env(), &[&path.display()])
        );
        Outbox::open(path, options)
    }
}

/// [`Error::NetworkShare`], unless the options allow it (then a warning in the log).
fn refuse_network_share(path: &Path, options: &OutboxOptions) -> Result<()> {
    if let Some(how) = super::share::network_share(path) {
        if !options.allow_network_share {
            return Err(Error::NetworkShare(Text::of(
                Msg::NetworkShare,
                vec![path.display().to_string().into(), how],
            )));
        }
        let lang = Lang::from_env();
        log::warn!(
            "{}",
            Msg::NetworkShareAllowedLog.text(lang, &[&path.display(), &how.render(lang)])
        );
    }
    Ok(())
}

/// How much of the file [`connect`] reads to find damage.
#[derive(Clone, Copy, PartialEq)]
enum Check {
    /// Every page (`PRAGMA quick_check`): before anything may be written.
    WholeFile,
    /// Only the pages that what follows reads (SQLite checks each page it reads): for an
    /// outbox that writes nothing ([`Outbox::open_to_read`]).
    Pages,
}

/// Opens the file and checks that it is a readable outbox (or an empty file to make one).
fn connect(path: &Path, check: Check) -> Result<Connection> {
    let err = |what: Msg, e: rusqlite::Error| store_err(path, what, e);
    let conn = open_padded(path).map_err(|e| err(Msg::StoreOpen, e))?;
    // SQLite quietly falls back to read-only when it cannot open the file for writing.
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(Error::Store(Text::new(Msg::ReadOnly, &[&path.display()])));
    }
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| err(Msg::StoreBusyTimeout, e))?;
    let sql = match check {
        Check::WholeFile => "PRAGMA quick_check",
        // Reads the schema (page 1 and sqlite_master): "not a database" is found here too.
        Check::Pages => "SELECT 'ok' FROM (SELECT COUNT(*) FROM sqlite_master)",
    };
    let check: String = conn.query_row(sql, [], |r| r.get(0)).map_err(|e| {
        // Only what SQLite calls a damaged file is called one: an operator may delete it.
        let what = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                Msg::StoreNotOutbox
            }
            _ => Msg::StoreCannotRead,
        };
        err(what, e)
    })?;
    if check != "ok" {
        return Err(Error::Store(Text::new(
            Msg::OutboxDamaged,
            &[&path.display(), &check],
        )));
    }
    // Never write into a database of another program: a new (empty) file becomes an outbox,
    // an outbox is opened, anything else is refused as it is.
    let (app_id, objects, tables): (i32, i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT COUNT(*) FROM sqlite_master),
                    (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'files'))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| err(Msg::StoreReadingSchema, e))?;
    // Outboxes made before the application id was set are recognised by their tables.
    let ours = app_id == APPLICATION_ID || (app_id == 0 && tables == 2);
    if app_id == crate::app_ids::PUSH_STORE {
        return Err(Error::Store(Text::new(
            Msg::OutboxIsPushStore,
            &[&path.display()],
        )));
    }
    if objects > 0 && !ours {
        return Err(Error::Store(Text::new(
            Msg::OutboxForeign,
            &[&path.display(), &app_id, &objects],
        )));
    }
    wal_journal(&conn).map_err(|e| err(Msg::StoreWal, e))?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)
        .map_err(|e| err(Msg::StoreWal, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| err(Msg::StoreForeignKeys, e))?;
    Ok(conn)
}

/// SQLite checkpoints (in the committing thread) once the WAL holds this many pages (8 MB).
/// Committed records that live only in the WAL are lost when one bit of it flips (SQLite reads
/// a bad frame as the end of the log; the `-enqueued` file reports them), so the commit path
/// bounds that window in records: it checkpoints every `enqueued::SLOTS / 2` records (group.rs).
/// The pages are set high enough (twice SQLite's default) that for lone enqueues, 7 to 8 pages
/// each, the records' count comes first: two counts firing a few records apart would cost two
/// checkpoints per cycle. They bound what large records (photos) and other processes add. At
/// 256 pages lone enqueues checkpointed every ~32 records, three syncs each time (the WAL, the
/// main file, the WAL's new header): 0.1 syncs per enqueue (issue 26).
const WAL_PAGES: i64 = 2000;

/// Opens the file with "power-safe overwrite" off: each commit with synchronous=FULL is then
/// padded to a sector boundary, so the next commit never rewrites a sector that holds an
/// acknowledged one. A power cut tearing that write cannot take an acknowledged record along,
/// in the very window in which the `-enqueued` file's slot of it may not be synced yet
/// (enqueued.rs). Costs bytes (about one frame per enqueue), no sync.
fn open_padded(path: &Path) -> rusqlite::Result<Connection> {
    // The unix VFS reads the setting once, when it opens the file: only the URI reaches it.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let mut uri = String::from(if bytes.starts_with(b"/") {
            "file://"
        } else {
            "file:"
        });
        for &b in bytes {
            if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
                uri.push(b as char);
            } else {
                uri.push_str(&format!("%{:02X}", b));
            }
        }
        uri.push_str("?psow=0");
        Connection::open(uri)
    }
    // The Windows VFS reads it whenever asked, so the file control works before the WAL opens.
    #[cfg(not(unix))]
    {
        let conn = Connection::open(path)?;
        conn.file_control(
            Some(rusqlite::MAIN_DB),
            rusqlite::FileControl::PowerSafeOverwrite(&mut 0),
        )?;
        Ok(conn)
    }
}

/// Turns the WAL journal on. Turning it on takes an exclusive lock without SQLite's busy
/// handler: two processes opening a new file at once get SQLITE_BUSY at once, so it is tried
/// again for as long as the busy timeout (a no-op once the file is in WAL mode).
fn wal_journal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5))
            }
            done => return done,
        }
    }
}

/// The database's application id, tag, and whether its schema is complete (its objects and
/// [`TEXT_COLUMNS`]).
fn header(conn: &Connection) -> rusqlite::Result<(i32, i32, bool)> {
    conn.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id),
                (SELECT user_version FROM pragma_user_version),
                (SELECT COUNT(*) = ?1 FROM sqlite_master WHERE name IN (SELECT value FROM json_each(?2)))
                AND (SELECT COUNT(*) = ?3 FROM json_each(?4) AS c
                     JOIN pragma_table_info(json_extract(c.value, '$[0]')) AS t
                     ON t.name = json_extract(c.value, '$[1]'))",
        rusqlite::params![
            OBJECTS.len() as i64,
            serde_json::to_string(OBJECTS).unwrap_or_default(),
            TEXT_COLUMNS.len() as i64,
            serde_json::to_string(TEXT_COLUMNS).unwrap_or_default()
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Binds the database to its side file: checks that the side file is this database's
/// (returning the database's tag and the side file's slots), or makes both for a new outbox.
/// With `accept`, the side file is made anew whatever it was.
fn bind(conn: &Connection, path: &Path, accept: bool) -> Result<(u32, Vec<Slot>)> {
    let err = |what: Msg, e: rusqlite::Error| store_err(path, what, e);
    let (app_id, tag, current) = header(conn).map_err(|e| err(Msg::StoreReadingSchema, e))?;
    // The usual open writes nothing: opening an outbox on a full disk must work, if only to
    // drain it.
    if app_id == APPLICATION_ID && current && tag != 0 && !accept {
        return match inspect(path) {
            Evidence::Of { tag: t, slots } if t == tag as u32 => Ok((t, slots)),
            other => Err(unverified(path, other)),
        };
    }
    // Something is to be made (a new file, an outbox of an older version): in one transaction
    // that reads again what another process may have made meanwhile, so that two processes
    // creating one outbox at once bind one tag and one side file.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| err(Msg::StoreCreatingSchema, e))?;
    let made = (|| {
        let (app_id, mut tag, current) =
            header(conn).map_err(|e| err(Msg::StoreCreatingSchema, e))?;
        let new = tag == 0;
        if new {
            tag = new_tag();
        }
        let evidence = inspect(path);
        let slots = match evidence {
            _ if accept => {
                if let Evidence::Unreadable(e) = &evidence {
                    return Err(Error::Store(Text::new(
                        Msg::SideFileNotReplaced,
                        &[
                            &path.display(),
                            &super::enqueued::path_for(path).display(),
                            &e,
                        ],
                    )));
                }
                make_side_file(path, tag)?;
                Vec::new()
            }
            Evidence::Of { tag: t, slots } if t == tag as u32 => slots,
            // A new outbox: no side file, or one of a database that never stored a record
            // (a crash while creating it).
            Evidence::Missing | Evidence::Empty if new => {
                make_side_file(path, tag)?;
                Vec::new()
            }
            Evidence::Of { slots, .. } if new && slots.is_empty() => {
                make_side_file(path, tag)?;
                Vec::new()
            }
            other => return Err(unverified(path, other)),
        };
        if app_id != APPLICATION_ID || !current || new {
            conn.execute_batch(&format!(
                "PRAGMA application_id = {}; PRAGMA user_version = {}; {}",
                APPLICATION_ID, tag, SCHEMA
            ))
            .map_err(|e| err(Msg::StoreCreatingSchema, e))?;
            migrate(conn).map_err(|e| err(Msg::StoreAddingTallies, e))?;
        }
        Ok((tag as u32, slots))
    })();
    match made {
        Ok(made) => {
            conn.execute_batch("COMMIT")
                .map_err(|e| err(Msg::StoreCreatingSchema, e))?;
            // Into the main file at once: a damaged WAL must not take the schema and the tag
            // (and with them the means to notice the loss) along. No lock is held here (the
            // outbox is not made yet), so the failure may be logged at once.
            if let Err(e) = checkpoint(conn, "TRUNCATE") {
                log::debug!("checkpoint: {}", e);
            }
            Ok(made)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn make_side_file(path: &Path, tag: i32) -> Result<()> {
    Enqueued::create(path, tag as u32).map_err(|e| {
        let side = super::enqueued::path_for(path);
        Error::Store(Text::new(
            Msg::SideFileNotMade,
            &[&path.display(), &side.display(), &e],
        ))
    })
}

/// [`Error::OutboxUnverified`] for a side file that is not the database's.
fn unverified(path: &Path, evidence: Evidence) -> Error {
    let side = super::enqueued::path_for(path);
    let side = side.display();
    let mut records = Vec::new();
    let reason = match evidence {
        Evidence::Missing => Text::new(Msg::SideFileMissing, &[&side]),
        Evidence::Empty => Text::new(Msg::SideFileEmpty, &[&side]),
        Evidence::Unreadable(e) => Text::new(Msg::SideFileUnreadable, &[&side, &e]),
        Evidence::Damaged(what) => {
            Text::of(Msg::SideFileDamaged, vec![side.to_string().into(), what])
        }
        Evidence::Of { slots, .. } => {
            let mut slots = slots;
            slots.sort_by_key(|s| s.id);
            records = slots
                .into_iter()
                .map(|s| LostRecord {
                    id: s.id,
                    endpoint: s.endpoint.map(|e| e.name().to_string()),
                    key: Some(s.key),
                })
                .collect();
            Text::new(Msg::SideFileOfAnother, &[&side])
        }
    };
    Error::OutboxUnverified(OutboxUnverified {
        path: path.to_path_buf(),
        reason,
        records,
    })
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

/// How durable what follows on this connection is. `full`: `synchronous=FULL`, the commit waits
/// for the WAL to reach the disk (enqueues, and every write but a drain's outcomes). Otherwise
/// `NORMAL` (only checkpoints sync): a lost outcome only means a resend. SQLite re-prepares
/// every `PRAGMA` each time it runs, so this costs a statement's parse.
pub(super) fn set_synchronous(conn: &Connection, full: bool) -> rusqlite::Result<()> {
    let sync = if full {
        "PRAGMA synchronous = FULL"
    } else {
        "PRAGMA synchronous = NORMAL"
    };
    conn.prepare_cached(sync)?.execute([])?;
    Ok(())
}
