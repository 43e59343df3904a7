//! Read queries for an overview of the queue (`pyun console`): the oldest pending record, a
//! pause another process's delivery wrote, the dead letters grouped by cause, a record's
//! events, a search by plate or serial, and per-minute series of the last hours. The indexes
//! they need are added by [`Outbox::add_overview_indexes`], not at open: opening must write
//! nothing (an outbox on a full disk still opens, to be drained).

use rusqlite::{params, ToSql};
use serde::Serialize;

use super::status::{stored_text, Event, BY_KEY, EVENT_COLUMNS, STATUS_COLUMNS};
use super::{now_ms, Outbox, RecordStatus};
use crate::error::Result;
use crate::messages::{Msg, Text};

/// A dead letter's cause, as SQL: the platform's answer code and message when it answered,
/// else the error pyun recorded. Records refused the same way share it.
const CAUSE: &str = "CASE WHEN json_valid(response_json) THEN
    COALESCE(json_extract(response_json, '$.code'), '') || ' ' || COALESCE(json_extract(response_json, '$.message'), '')
    ELSE COALESCE(last_error, '') END";

/// The plate of a stored record, as SQL (an expression index holds it). Guarded by
/// `json_valid`: an index expression that fails would fail the enqueue writing the row.
const PLATE: &str =
    "(CASE WHEN json_valid(record_json) THEN json_extract(record_json, '$.plate') END)";

/// Delivery paused by a process draining this outbox (read from the queue, so any process
/// sees it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// Until when (ms since 1970).
    pub until_ms: i64,
    /// Why, as the draining process wrote it: in JSON its English text (`last_error`), in
    /// `render` the reader's language (see `messages/stored.rs`).
    pub reason: Text,
    /// The platform's last answer (JSON) to the records of the pause, as the platform wrote it.
    pub response: Option<String>,
    /// What the hint says about the request (pyun's diagnosis), when there was a hint: English
    /// in JSON, as `reason`.
    pub diagnosis: Option<Text>,
}

/// Dead letters refused for one cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadCause {
    /// The cause (see [`Outbox::retry_dead_cause`]).
    pub cause: String,
    /// How many dead letters have it.
    pub count: u64,
    /// The diagnosis of one of them, when there was a hint.
    pub diagnosis: Option<String>,
}

/// Counts per minute of the last hours, oldest minute first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MinuteSeries {
    /// The start of each minute (seconds since 1970).
    pub minute: Vec<i64>,
    /// Records enqueued in it.
    pub enqueued: Vec<u64>,
    /// Records accepted in it.
    pub accepted: Vec<u64>,
    /// Enqueue-to-accepted latency of the records accepted in it (ms): median, 95th and 99th
    /// percentile of the latencies rounded down to two significant digits (1,234 ms counts as
    /// 1,200: what the outbox tallies per minute); none when nothing was accepted.
    pub p50_ms: Vec<Option<i64>>,
    /// See `p50_ms`.
    pub p95_ms: Vec<Option<i64>>,
    /// See `p50_ms`.
    pub p99_ms: Vec<Option<i64>>,
}

/// The value at `q` (0..1) of values given as (value, count) in increasing order, nearest
/// rank.
fn percentile(counted: &[(i64, i64)], q: f64) -> Option<i64> {
    let total: i64 = counted.iter().map(|(_, c)| c).sum();
    let rank = ((q * total as f64).ceil() as i64).max(1);
    let mut seen = 0;
    counted.iter().find_map(|(v, c)| {
        seen += c;
        (seen >= rank).then_some(*v)
    })
}

impl Outbox {
    /// Adds the indexes the overview queries use (best effort for the caller: a read-only or
    /// full disk leaves them out, and the queries scan instead).
    pub fn add_overview_indexes(&self) -> Result<()> {
        let sql = format!(
            "-- The chart read the records through these before the tallies (store.rs) kept its
             -- numbers: a cost for every write, and no use now.
             DROP INDEX IF EXISTS records_created;
             DROP INDEX IF EXISTS records_finished;
             CREATE INDEX IF NOT EXISTS records_plate ON records ({});
             CREATE INDEX IF NOT EXISTS events_record ON events (record_id, seq);",
            PLATE
        );
        self.conn()
            .execute_batch(&sql)
            .map_err(|e| self.err(Msg::StoreAddingIndexes, e))
    }

    /// When the oldest pending record was enqueued (ms since 1970).
    pub fn oldest_pending_ms(&self) -> Result<Option<i64>> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT created_ms FROM records WHERE state = 'pending' ORDER BY id LIMIT 1",
            )
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))?;
        let mut rows = st
            .query_map([], |r| r.get(0))
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))?;
        rows.next()
            .transpose()
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))
    }

    /// The pause of delivery in force, if a process draining this outbox paused it (records
    /// refused the same way in a row): read from the queue's head, so it is seen from any
    /// process.
    pub fn pause(&self) -> Result<Option<Pause>> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT next_attempt_ms, last_error, response_json, diagnosis, last_error_text, diagnosis_text FROM records
                 WHERE state = 'pending' AND next_attempt_ms > ?1 AND last_error LIKE 'delivery paused%'
                 ORDER BY next_attempt_ms DESC LIMIT 1",
            )
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))?;
        let mut rows = st
            .query_map([now_ms()], |r| {
                Ok(Pause {
                    until_ms: r.get(0)?,
                    reason: stored_text(r, 1, 4)?.unwrap_or_else(|| Text::from("")),
                    response: r.get(2)?,
                    diagnosis: stored_text(r, 3, 5)?,
                })
            })
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))?;
        rows.next()
            .transpose()
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))
    }

    /// The dead letters grouped by cause, the largest group first.
    pub fn dead_causes(&self) -> Result<Vec<DeadCause>> {
        let err = |e| self.err(Msg::StoreListingDead, e);
        let conn = self.conn();
        let sql = format!(
            "SELECT {} AS cause, COUNT(*), MAX(diagnosis) FROM records WHERE state = 'dead'
             GROUP BY cause ORDER BY COUNT(*) DESC, cause",
            CAUSE
        );
        let mut st = conn.prepare(&sql).map_err(err)?;
        let rows = st
            .query_map([], |r| {
                Ok(DeadCause {
                    cause: r.get(0)?,
                    count: r.get::<_, i64>(1)? as u64,
                    diagnosis: r.get(2)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Puts back in the queue every dead letter of this cause (as [`Outbox::dead_causes`]
    /// names it); `LOST` ones stay (see [`Outbox::retry_dead`]). Returns how many.
    pub fn retry_dead_cause(&self, cause: &str) -> Result<u64> {
        self.requeue(&format!("{} = ?1", CAUSE), &cause)
    }

    /// The events of one record, in order.
    pub fn record_events(&self, id: i64) -> Result<Vec<Event>> {
        self.events_where("record_id = ?1", params![id])
    }

    /// The record as it was enqueued (its fields, JSON), if the outbox has it.
    pub fn record_fields(&self, id: i64) -> Result<Option<String>> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT record_json FROM records WHERE id = ?1")
            .map_err(|e| self.err(Msg::StoreReadingRecord, e))?;
        let mut rows = st
            .query_map([id], |r| r.get(0))
            .map_err(|e| self.err(Msg::StoreReadingRecord, e))?;
        rows.next()
            .transpose()
            .map_err(|e| self.err(Msg::StoreReadingRecord, e))
    }

    /// Up to `limit` records whose plate, `parking_serial` or `flow_no` is `term`, newest
    /// first.
    pub fn search(&self, term: &str, limit: usize) -> Result<Vec<RecordStatus>> {
        let sql = format!(
            "SELECT {} FROM records WHERE id IN ({} UNION ALL SELECT id FROM records WHERE {} = ?1)
             ORDER BY id DESC LIMIT ?2",
            STATUS_COLUMNS, BY_KEY, PLATE
        );
        self.statuses(&sql, params![term, limit.min(i64::MAX as usize) as i64])
    }

    /// Records enqueued and accepted per minute, with latency percentiles, over the `minutes`
    /// minutes up to now.
    pub fn minute_series(&self, minutes: usize) -> Result<MinuteSeries> {
        let err = |e| self.err(Msg::StoreReadingSeries, e);
        let last = now_ms() / 60_000;
        let first = last - minutes as i64 + 1;
        let n = minutes;
        let mut s = MinuteSeries {
            minute: (first..=last).map(|m| m * 60).collect(),
            enqueued: vec![0; n],
            accepted: vec![0; n],
            p50_ms: vec![None; n],
            p95_ms: vec![None; n],
            p99_ms: vec![None; n],
        };
        let slot = |m: i64| usize::try_from(m - first).ok().filter(|i| *i < n);
        // Counts of latencies per minute, by value rounded to two significant digits, in
        // increasing order: read from the tallies the triggers keep, never from the records.
        let mut latencies: Vec<Vec<(i64, i64)>> = vec![Vec::new(); n];
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT minute, enqueued FROM minute_counts WHERE minute >= ?1")
            .map_err(err)?;
        for row in st
            .query_map([first], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))
            .map_err(err)?
        {
            let (m, count): (i64, i64) = row.map_err(err)?;
            if let Some(i) = slot(m) {
                s.enqueued[i] = count as u64;
            }
        }
        let mut st = conn
            .prepare_cached(
                "SELECT minute, bucket, n FROM minute_latency WHERE minute >= ?1 ORDER BY minute, bucket",
            )
            .map_err(err)?;
        for row in st
            .query_map([first], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))
            .map_err(err)?
        {
            let (m, bucket, count): (i64, i64, i64) = row.map_err(err)?;
            if let Some(i) = slot(m) {
                latencies[i].push((bucket, count));
            }
        }
        for (i, l) in latencies.iter().enumerate() {
            s.accepted[i] = l.iter().map(|(_, c)| *c as u64).sum();
            s.p50_ms[i] = percentile(l, 0.50);
            s.p95_ms[i] = percentile(l, 0.95);
            s.p99_ms[i] = percentile(l, 0.99);
        }
        Ok(s)
    }

    fn events_where(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<Event>> {
        let err = |e| self.err(Msg::StoreReadingEvents, e);
        let conn = self.conn();
        let sql = format!(
            "SELECT {} FROM events WHERE {} ORDER BY seq",
            EVENT_COLUMNS, filter
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
        let rows = stmt.query_map(args, Event::from_row).map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Puts back in the queue the dead letters matching `filter` (SQL on `records`, with one
    /// parameter `?1`), never `LOST` ones; writes their `requeued` events. Returns how many.
    pub(super) fn requeue(&self, filter: &str, arg: &dyn ToSql) -> Result<u64> {
        let err = |e| self.err(Msg::StoreRequeueing, e);
        let which = format!(
            "state = 'dead' AND ({}) AND NOT ({})",
            filter,
            super::lost::LOST
        );
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        let reason = Text::from(Msg::RetryRequested);
        tx.execute(
            &format!(
                "INSERT INTO events (record_id, kind, endpoint, dedup_key, at_ms, reason, reason_text)
                 SELECT id, 'requeued', endpoint, dedup_key, ?2, ?3, ?4 FROM records
                 WHERE {} ORDER BY id",
                which
            ),
            params![arg, now_ms(), reason.to_string(), reason.to_store()],
        )
        .map_err(err)?;
        let n = tx
            .execute(
                &format!(
                    "UPDATE records SET state = 'pending', attempts = 0, next_attempt_ms = 0, finished_ms = NULL WHERE {}",
                    which
                ),
                params![arg],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        drop(conn);
        self.inner.wake.notify();
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<(i64, i64)> = (1..=100).map(|v| (v, 1)).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&[(7, 1)], 0.99), Some(7));
        assert_eq!(percentile(&[(10, 50), (20, 49), (30, 1)], 0.5), Some(10));
        assert_eq!(percentile(&[(10, 50), (20, 49), (30, 1)], 0.99), Some(20));
        assert_eq!(percentile(&[(10, 50), (20, 49), (30, 1)], 1.0), Some(30));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
