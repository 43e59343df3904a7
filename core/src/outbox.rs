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
//!
//! This file holds the types; `store` the SQLite file (schema, open, durability, the binding to
//! its side file), `share` what the disk under it is (a network share, full), `lost` the
//! check for records the database lost (with the `enqueued` side file), `enqueue` (with `group`, the
//! commit shared by concurrent enqueues), `delivery`
//! (drain and outcomes), `sender` (the background thread), `status` (record status and
//! events), `maintenance` (counts, dead letters, purge), `overview` (read queries for `pyun console`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Error;
use crate::messages::{Msg, Text};
use crate::response::Outcome;

mod delivery;
mod enqueue;
mod enqueued;
mod group;
mod lost;
mod maintenance;
mod overview;
mod sender;
mod share;
mod status;
mod store;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delivery;
#[cfg(test)]
mod tests_tallies;
use enqueued::Enqueued;
pub use overview::{DeadCause, MinuteSeries, Pause};
use sender::Wake;
pub use sender::{OnEvent, Sender};
pub use share::network_share;
pub use status::{Event, RecordStatus};

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
    /// Open an outbox on a network share anyway (SMB/UNC path, mapped network drive, NFS,
    /// CIFS), where SQLite's WAL journal cannot keep its guarantees. Off: such an outbox is
    /// refused with [`Error::NetworkShare`].
    pub allow_network_share: bool,
    /// How long a leave whose serial has no enter in the outbox waits after its enqueue, for
    /// an enter enqueued a moment later to go first ([`LEAVE_GRACE`] by default; zero for a
    /// host that never queues its enters here).
    pub leave_grace: Duration,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        OutboxOptions {
            audit_period: Duration::from_secs(30 * 86_400),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            carry_enter_fields: false,
            allow_network_share: false,
            leave_grace: LEAVE_GRACE,
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
    /// What went wrong: English in JSON (the `last_error` column), the reader's language
    /// through `render` (see `messages/stored.rs`).
    pub error: Text,
    /// The platform's answer (JSON), when there was one.
    pub response: Option<String>,
    /// What the hint says about the request, when there was a hint: English in JSON, as
    /// `error`.
    pub diagnosis: Option<Text>,
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
    /// English in JSON.
    pub last_error: Option<Text>,
    /// Set when delivery is paused: records in a row were refused the same way (see
    /// [`PAUSE_AFTER`]), so the cause is not one record; they stay pending. English in JSON.
    pub paused: Option<Text>,
    /// Set when delivery stopped after a connection-level failure (the platform could not be
    /// reached: connection refused, DNS, no route, connect timeout, TLS): the records not tried
    /// stay pending, and this outbox waits a backoff before the next try. English in JSON.
    pub offline: Option<Text>,
    /// The drain was asked to stop (Ctrl+C of `pyun outbox drain`) before it had tried every
    /// due record; the rest stay pending.
    pub interrupted: bool,
    /// What it came to, in one word: `delivered` (nothing left pending), `pending` (records
    /// still pending: not reached, server errors, backing off), `refused` (records were
    /// dead-lettered by this drain) or `paused` (see `paused`). The command line's exit code
    /// says the same (0, 5, 1, 6).
    pub result: &'static str,
}

impl DrainReport {
    /// The one word of [`DrainReport::result`], from the rest of the report.
    fn conclude(&mut self) {
        self.result = if self.paused.is_some() {
            "paused"
        } else if self.dead > 0 {
            "refused"
        } else if self.pending > 0 {
            "pending"
        } else {
            "delivered"
        };
    }
}

/// After this many records in a row are refused the same way (`401`, `403`, or ignored with a
/// hint), the cause is taken to be not about the records (a wrong secret, a blocked lot) and
/// delivery pauses, with backoff, instead of dead-lettering the queue one record at a time.
pub const PAUSE_AFTER: usize = 3;

/// The log target of what a drain's report says too (delivery paused, the platform out of
/// reach): a caller that shows the report itself, as `pyun outbox drain` does, may silence
/// it so the reason is not said twice.
pub const REPORTED_LOG_TARGET: &str = "pyun_core::outbox::reported";

/// How long a leave waits by default when its serial has no enter in the outbox
/// ([`OutboxOptions::leave_grace`]): a host that enqueues the enter a moment after the leave
/// (two threads, two cameras) still has it delivered first. A leave whose enter was never
/// enqueued here (sent directly, or before the outbox was used) is delivered this much later;
/// one whose enter is queued meanwhile goes right after it.
pub const LEAVE_GRACE: Duration = Duration::from_secs(2);

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
    reason: Option<Text>,
}

/// Connection-level failures in a row, and the wait they led to: delivery is held until
/// `until_ms` (the sender sleeps until then). Kept in memory, like [`Streak`].
#[derive(Default)]
struct Offline {
    failures: u32,
    until_ms: i64,
    reason: Option<Text>,
}

struct Inner {
    conn: Mutex<Connection>,
    path: PathBuf,
    options: OutboxOptions,
    /// The records being sent by this process right now.
    in_flight: Mutex<Vec<i64>>,
    streak: Mutex<Streak>,
    offline: Mutex<Offline>,
    /// The side file of enqueued ids.
    enqueued: Enqueued,
    /// Wakes this outbox's senders on enqueue.
    wake: Wake,
    /// The enqueues waiting for a commit.
    group: group::Group,
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

/// The outbox's database failed while doing `what` (a `Store*` phrase of the catalog).
fn store_err(path: &Path, what: Msg, e: rusqlite::Error) -> Error {
    // A full disk is named as such: it is not a damaged file, and nothing in it is lost.
    let full = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => true,
        Some(rusqlite::ErrorCode::SystemIoFailure) => share::disk_full(path),
        _ => false,
    };
    // SQLite's own words stay as it writes them; a lock held too long says by whom it may be.
    let cause = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Text::new(Msg::StoreBusy, &[&e])
        }
        _ => Text::Plain(e.to_string()),
    };
    let msg = if full {
        Msg::DiskFull
    } else {
        Msg::OutboxStoreFailed
    };
    Error::Store(Text::of(
        msg,
        vec![path.display().to_string().into(), what.into(), cause],
    ))
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

    fn err(&self, what: Msg, e: rusqlite::Error) -> Error {
        store_err(&self.inner.path, what, e)
    }
}
