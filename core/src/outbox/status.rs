//! What happened to a record: its status, looked up by id or key, lists by state, and the
//! delivery events (accepted, dead-lettered, re-queued) a host follows with a cursor to mark
//! its own database "uploaded". Events are rows of the outbox's database, written in the same
//! transaction as the outcome they report, so they survive restarts and a crash never yields
//! an event without its outcome (or the reverse).

use rusqlite::{params, Connection, Row};
use serde::Serialize;

use super::{now_ms, Outbox};
use crate::error::{Error, Result};
use crate::messages::{Msg, Text};

/// A record's state and history, as [`Outbox::record`] and [`Outbox::list`] report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordStatus {
    /// Its id in the outbox.
    pub id: i64,
    /// enter, leave, release or update.
    pub endpoint: String,
    /// `parking_serial`, or `flow_no` for an update.
    pub key: String,
    /// `pending`, `in_flight` (being sent by this process), `paused` (pending while delivery
    /// is paused), `done` (accepted) or `dead` (refused for good).
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When it was enqueued (ms since 1970).
    pub created_ms: i64,
    /// For a pending record: not sent again before this time (ms since 1970; 0: at once).
    pub next_attempt_ms: Option<i64>,
    /// When it was accepted or dead-lettered.
    pub finished_ms: Option<i64>,
    /// Why the last attempt failed (never holds a secret or a URL password): in JSON its
    /// English text (the `last_error` column); `render` writes it in a reader's language when
    /// the outbox kept it by catalog id (see `messages/stored.rs`).
    pub last_error: Option<Text>,
    /// The platform's `seqno`, once accepted.
    pub seqno: Option<String>,
    /// The platform's last answer (JSON), when there was one.
    pub response: Option<String>,
    /// What the platform's hint says about the request, for a refusal with a hint: English in
    /// JSON, as `last_error`.
    pub diagnosis: Option<Text>,
}

/// One delivery event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Its position: strictly increasing; pass the last one seen to [`Outbox::events`].
    pub seq: i64,
    /// `accepted`, `dead` (refused for good, or found lost) or `requeued` (a dead letter put
    /// back in the queue: by `retry`, or by a pause that found the refusal was not about it).
    pub kind: String,
    /// The record's id.
    pub record_id: i64,
    /// Its endpoint.
    pub endpoint: String,
    /// Its `parking_serial` or `flow_no`.
    pub key: String,
    /// When (ms since 1970).
    pub at_ms: i64,
    /// The platform's `seqno`, for `accepted`.
    pub seqno: Option<String>,
    /// Why, for `dead` and `requeued`: in JSON its English text, as `last_error` of
    /// [`RecordStatus`].
    pub reason: Option<Text>,
}

/// The ids of the records whose `parking_serial` or `flow_no` is `?1` (SQL), through indexes
/// only: its serial in `records_pending (state, serial, id)`, any other key (an update's
/// `flow_no`) in the partial index `records_key`. The same as `dedup_key = ?1 OR (serial = ?1
/// AND serial != '')` (a non-empty key equal to the serial is found by the serial), which
/// scans every record.
pub(super) const BY_KEY: &str =
    "SELECT id FROM records WHERE state IN ('pending', 'done', 'dead') AND serial = ?1 AND serial != ''
     UNION ALL SELECT id FROM records WHERE dedup_key = ?1 AND serial != dedup_key";

pub(super) const STATUS_COLUMNS: &str = "id, endpoint, dedup_key, state, attempts, created_ms, next_attempt_ms, finished_ms, last_error, seqno, response_json, diagnosis, last_error_text, diagnosis_text";

/// The columns [`Event::from_row`] reads.
pub(super) const EVENT_COLUMNS: &str =
    "seq, kind, record_id, endpoint, dedup_key, at_ms, seqno, reason, reason_text";

/// A text kept as its English (`english`) and its stored form (`stored`), columns of a row.
pub(super) fn stored_text(
    r: &Row,
    english: usize,
    stored: usize,
) -> rusqlite::Result<Option<Text>> {
    let stored: Option<String> = r.get(stored)?;
    Ok(r.get::<_, Option<String>>(english)?
        .map(|en| Text::from_store(en, stored.as_deref())))
}

/// Writes an event for a record, in the caller's transaction: its reason in English and in
/// its stored form.
pub(super) fn add_event(
    conn: &Connection,
    record_id: i64,
    kind: &str,
    seqno: Option<&str>,
    reason: Option<&Text>,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO events (record_id, kind, endpoint, dedup_key, at_ms, seqno, reason, reason_text)
         SELECT id, ?2, endpoint, dedup_key, ?3, ?4, ?5, ?6 FROM records WHERE id = ?1",
    )?
    .execute(params![
        record_id,
        kind,
        now_ms(),
        seqno,
        reason.map(Text::to_string),
        reason.map(Text::to_store)
    ])
}

impl Event {
    /// A row of `SELECT` [`EVENT_COLUMNS`].
    pub(super) fn from_row(r: &Row) -> rusqlite::Result<Event> {
        Ok(Event {
            seq: r.get(0)?,
            kind: r.get(1)?,
            record_id: r.get(2)?,
            endpoint: r.get(3)?,
            key: r.get(4)?,
            at_ms: r.get(5)?,
            seqno: r.get(6)?,
            reason: stored_text(r, 7, 8)?,
        })
    }
}

impl Outbox {
    /// A row as a status; `in_flight` and `paused` are read once per query by the caller.
    fn status_from(r: &Row, in_flight: &[i64], paused: bool) -> rusqlite::Result<RecordStatus> {
        let id: i64 = r.get(0)?;
        let state: String = r.get(3)?;
        let pending = state == "pending";
        let state = if pending && in_flight.contains(&id) {
            "in_flight".to_string()
        } else if pending && paused {
            "paused".to_string()
        } else {
            state
        };
        Ok(RecordStatus {
            id,
            endpoint: r.get(1)?,
            key: r.get(2)?,
            state,
            attempts: r.get(4)?,
            created_ms: r.get(5)?,
            next_attempt_ms: if pending { Some(r.get(6)?) } else { None },
            finished_ms: r.get(7)?,
            last_error: stored_text(r, 8, 12)?,
            seqno: r.get(9)?,
            response: r.get(10)?,
            diagnosis: stored_text(r, 11, 13)?,
        })
    }

    pub(super) fn statuses(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<RecordStatus>> {
        let err = |e| self.err(Msg::StoreReadingStatus, e);
        let in_flight = self.in_flight_ids();
        let paused = self.streak().until_ms > now_ms();
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).map_err(err)?;
        let rows = stmt
            .query_map(args, |r| Self::status_from(r, &in_flight, paused))
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// The status of the record with this id, if the outbox has it (accepted records are
    /// kept for the audit period).
    pub fn record(&self, id: i64) -> Result<Option<RecordStatus>> {
        let sql = format!("SELECT {} FROM records WHERE id = ?1", STATUS_COLUMNS);
        Ok(self.statuses(&sql, params![id])?.pop())
    }

    /// The records whose `parking_serial` or `flow_no` is `key`, oldest first (an enter and
    /// its leave share a serial).
    pub fn find(&self, key: &str) -> Result<Vec<RecordStatus>> {
        let sql = format!(
            "SELECT {} FROM records WHERE id IN ({}) ORDER BY id",
            STATUS_COLUMNS, BY_KEY
        );
        self.statuses(&sql, params![key])
    }

    /// Up to `limit` records, oldest first: all, or those in one stored state (`pending`,
    /// `done`, `dead`).
    pub fn list(&self, state: Option<&str>, limit: usize) -> Result<Vec<RecordStatus>> {
        if let Some(s) = state {
            if !["pending", "done", "dead"].contains(&s) {
                return Err(Error::Config(Text::new(
                    Msg::StateUnknown,
                    &[&format_args!("{:?}", s)],
                )));
            }
        }
        let sql = format!(
            "SELECT {} FROM records WHERE (?1 IS NULL OR state = ?1) ORDER BY id LIMIT ?2",
            STATUS_COLUMNS
        );
        self.statuses(&sql, params![state, limit.min(i64::MAX as usize) as i64])
    }

    /// The pending record delivered next, with why it waits (its last error, its next
    /// attempt), if any.
    pub fn head(&self) -> Result<Option<RecordStatus>> {
        let sql = format!(
            "SELECT {} FROM records WHERE state = 'pending' ORDER BY next_attempt_ms, id LIMIT 1",
            STATUS_COLUMNS
        );
        Ok(self.statuses(&sql, [])?.pop())
    }

    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        &self.inner.path
    }

    /// The position of the latest event (0 when there is none): to follow only what happens
    /// from now on.
    pub fn last_event_seq(&self) -> Result<i64> {
        self.conn()
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
            .map_err(|e| self.err(Msg::StoreReadingEvents, e))
    }

    /// Up to `limit` events after position `after` (0: from the start), in order. A host keeps
    /// the last `seq` it handled and passes it next time; events are kept until
    /// [`Outbox::purge_done`] drops those older than the audit period.
    pub fn events(&self, after: i64, limit: usize) -> Result<Vec<Event>> {
        let err = |e| self.err(Msg::StoreReadingEvents, e);
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                EVENT_COLUMNS
            ))
            .map_err(err)?;
        let rows = stmt
            .query_map(
                params![after, limit.min(i64::MAX as usize) as i64],
                Event::from_row,
            )
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }
}
