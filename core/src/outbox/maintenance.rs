//! Reading and tending the queue: counts by state, the dead letters, putting them back, and
//! purging what was delivered.

use std::collections::BTreeMap;
use std::time::Duration;

use rusqlite::params;

use super::lost::LOST;
use super::status::stored_text;
use super::{millis, now_ms, DeadLetter, Outbox, OutboxCounts};
use crate::error::{Error, Result};
use crate::messages::{Msg, Text};

impl Outbox {
    /// Counts by state (kept by the schema's triggers: no scan of the records).
    pub fn counts(&self) -> Result<OutboxCounts> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT state, n FROM state_counts")
            .map_err(|e| self.err(Msg::StoreCounting, e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err(Msg::StoreCounting, e))?;
        let mut by: BTreeMap<String, u64> = BTreeMap::new();
        for row in rows {
            let (state, n) = row.map_err(|e| self.err(Msg::StoreCounting, e))?;
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
        self.first_dead_letters(usize::MAX)
    }

    /// The `limit` oldest dead letters (a page; [`Outbox::counts`] says how many there are).
    pub fn first_dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT id, endpoint, dedup_key, attempts, last_error, response_json, diagnosis, last_error_text, diagnosis_text FROM records WHERE state = 'dead' ORDER BY id LIMIT ?1")
            .map_err(|e| self.err(Msg::StoreListingDead, e))?;
        let rows = stmt
            .query_map([limit.min(i64::MAX as usize) as i64], |r| {
                Ok(DeadLetter {
                    id: r.get(0)?,
                    endpoint: r.get(1)?,
                    key: r.get(2)?,
                    attempts: r.get(3)?,
                    error: stored_text(r, 4, 7)?.unwrap_or_else(|| Text::from("")),
                    response: r.get(5)?,
                    diagnosis: stored_text(r, 6, 8)?,
                })
            })
            .map_err(|e| self.err(Msg::StoreListingDead, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(Msg::StoreListingDead, e))
    }

    /// Puts dead letters back in the queue (after the cause was fixed): one by id, or all with
    /// `None`. Returns how many were re-queued. `LOST` dead letters (records the database lost,
    /// whose content it never had again) are never re-queued: all of them stay, and asking for
    /// one by id is an error that says to send it again from its source.
    pub fn retry_dead(&self, id: Option<i64>) -> Result<u64> {
        if let Some(id) = id {
            let lost: bool = self
                .conn()
                .query_row(
                    &format!(
                        "SELECT COUNT(*) > 0 FROM records WHERE id = ?1 AND {}",
                        LOST
                    ),
                    [id],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(Msg::StoreRequeueing, e))?;
            if lost {
                return Err(Error::Config(Text::new(
                    Msg::RequeueLost,
                    &[&self.inner.path.display(), &id],
                )));
            }
        }
        self.requeue("?1 IS NULL OR id = ?1", &id)
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
            .map_err(|e| self.err(Msg::StorePurging, e))?;
        conn.execute("DELETE FROM events WHERE at_ms <= ?1", params![cutoff])
            .map_err(|e| self.err(Msg::StorePurgingEvents, e))?;
        // The chart's tallies of those minutes go with them.
        conn.execute_batch(&format!(
            "DELETE FROM minute_counts WHERE minute < {m}; DELETE FROM minute_latency WHERE minute < {m};",
            m = cutoff.div_euclid(60_000)
        ))
        .map_err(|e| self.err(Msg::StorePurging, e))?;
        Ok(n as u64)
    }
}
