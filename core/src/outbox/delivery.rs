//! Delivering the queue: due records oldest first (an enter before its leave), one attempt
//! each, and their outcomes written in batches: done, dead-lettered, retried with backoff, or
//! put back when a run of refusals pauses delivery.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use super::status::add_event;
use super::store::{checkpoint, set_synchronous};
use super::{millis, now_ms, DrainReport, Outbox, Streak, PAUSE_AFTER, REPORTED_LOG_TARGET};
use crate::client::{Client, PushResult};
use crate::diagnosis::Diagnosis;
use crate::error::{Error, Result};
use crate::form::{FileField, FileSource};
use crate::messages::{Lang, Msg, Text};
use crate::record::AnyRecord;
use crate::response::Outcome;
use crate::Endpoint;

impl Outbox {
    /// When the next pending record is due (its backoff, or the end of a pause), if any.
    pub(super) fn next_due_ms(&self) -> Option<i64> {
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
        let offline_until = self.offline().until_ms;
        next.map(|n| n.max(paused_until).max(offline_until))
    }

    fn offline(&self) -> std::sync::MutexGuard<'_, super::Offline> {
        self.inner.offline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether delivery is held after connection-level failures; if so the report says why.
    fn held(&self, report: &mut DrainReport) -> bool {
        let o = self.offline();
        if o.until_ms > now_ms() {
            report.offline = o.reason.clone();
            return true;
        }
        false
    }

    /// After a connection-level failure: holds delivery for a backoff that doubles with each
    /// such failure in a row (up to `max_backoff`), and says why in the report. The records not
    /// tried keep their place in the queue; the failed one has its own backoff.
    fn go_offline(
        &self,
        error: Text,
        since: i64,
        report: &mut DrainReport,
        lang: Lang,
    ) -> Result<()> {
        let untried: i64 = self
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM records WHERE state = 'pending' AND next_attempt_ms < ?1",
                params![since],
                |r| r.get(0),
            )
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))?;
        let mut o = self.offline();
        o.failures = o.failures.saturating_add(1);
        let wait = self.backoff(o.failures);
        o.until_ms = now_ms().saturating_add(wait);
        let reason = Text::of(
            Msg::DeliveryOffline,
            vec![
                error,
                untried.to_string().into(),
                ((wait + 999) / 1000).to_string().into(),
            ],
        );
        o.reason = Some(reason.clone());
        report.offline = Some(reason.clone());
        // Logged once the hold is unlocked (a log callback may query this outbox).
        drop(o);
        log::warn!(
            target: REPORTED_LOG_TARGET,
            "{}",
            Msg::OutboxLog.text(lang, &[&self.inner.path.display(), &reason.render(lang)])
        );
        Ok(())
    }

    /// Delivers what is due through `client`, like [`Outbox::drain`], and stops before the
    /// next record once `stop` returns true (the record in flight is finished and its outcome
    /// written); the report then says `interrupted`. For a drain a person can interrupt.
    pub fn drain_until(&self, client: &Client, stop: impl Fn() -> bool) -> Result<DrainReport> {
        self.drain_inner(client, stop)
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
        let err = |e| self.err(Msg::StoreReadingQueue, e);
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
                .map_err(|e| Error::Store(Text::of(Msg::StoredRecordUnreadable, vec![e.text()])));
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
            .map_err(|e| self.err(Msg::StoreReadingPhotos, e))?;
        let rows = stmt
            .query_map(params![id], |r| {
                // Copied once, straight from SQLite's buffer into the shared bytes.
                let bytes: Arc<[u8]> = r.get_ref(1)?.as_blob()?.into();
                Ok((r.get::<_, String>(0)?, bytes))
            })
            .map_err(|e| self.err(Msg::StoreReadingPhotos, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (field, bytes) = row.map_err(|e| self.err(Msg::StoreReadingPhotos, e))?;
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
            .map_err(|e| self.err(Msg::StoreReadingQueue, e))?;
        let (enter_id, enter_json) = match enter {
            Some(e) => e,
            None => return Ok(()),
        };
        let enter_value: serde_json::Value = serde_json::from_str(&enter_json)
            .map_err(|e| Error::Json(crate::json_error::said(&e)))?;
        let mut leave_value: serde_json::Value = serde_json::from_str(&record.to_json())
            .map_err(|e| Error::Json(crate::json_error::said(&e)))?;
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
        self.drain_inner(client, || false)
    }

    fn drain_inner(&self, client: &Client, stop: impl Fn() -> bool) -> Result<DrainReport> {
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
            let checkpointed = checkpoint(&self.conn(), "PASSIVE");
            if let Err(e) = checkpointed {
                log::debug!("checkpoint: {}", e);
            }
        }
        report.pending = self.counts()?.pending;
        report.conclude();
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
        loop {
            if stop() {
                report.interrupted = true;
                break;
            }
            if self.paused(report) || self.held(report) {
                break;
            }
            let batch = self.due(&self.conn(), BATCH, started)?;
            if batch.is_empty() {
                break;
            }
            // Not those another deliverer of this outbox is sending (see [`Outbox::claim`]).
            let in_flight = self.in_flight_ids();
            let batch: Vec<Due> = batch
                .into_iter()
                .filter(|d| !in_flight.contains(&d.id))
                .collect();
            if batch.is_empty() {
                break;
            }
            for Due {
                id,
                record,
                attempts,
            } in batch
            {
                if stop() {
                    report.interrupted = true;
                    return Ok(());
                }
                if self.paused(report) {
                    return Ok(());
                }
                let prepared = match record {
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
                            Err(e) => Err(Error::Store(Text::of(
                                Msg::CarryEnterFailed,
                                vec![e.text()],
                            ))),
                            Ok(()) => Ok((record, files)),
                        }
                    }
                };
                if !self.claim(id)? {
                    continue;
                }
                let result =
                    prepared.and_then(|(record, files)| client.push_queued(&record, &files));
                let attempts = attempts
                    + result
                        .as_ref()
                        .map_or_else(failure_attempts, |r| r.attempts);
                let unreachable = match &result {
                    Err(e @ Error::Transport(t)) if t.kind.is_connection_level() => Some(e.text()),
                    _ => None,
                };
                if unreachable.is_none() {
                    *self.offline() = super::Offline::default();
                }
                self.mark(id, attempts, result, report, marks);
                // A pause begun by this record (the loop stops at one already on): logged
                // in the client's language, the streak unlocked (a log callback may query
                // this outbox, which reads the streak: docs/promises.md, "Callbacks").
                if let Some(why) = &report.paused {
                    let lang = client.lang();
                    log::error!(
                        target: REPORTED_LOG_TARGET,
                        "{}",
                        Msg::OutboxLog.text(lang, &[&self.inner.path.display(), &why.render(lang)])
                    );
                }
                if let Some(error) = unreachable {
                    // The next record would meet the same: stop here (no storm offline).
                    self.write_marks(marks)?;
                    return self.go_offline(error, started, report, client.lang());
                }
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

    /// Takes the record for this deliverer: false when another deliverer of this outbox (the
    /// sender and a drain, two drains) has it, or it is no longer pending (delivered by one
    /// since it was read). The claim ends when its outcome is written ([`Outbox::write_marks`]),
    /// so a record is never sent twice at once through one outbox.
    pub(super) fn claim(&self, id: i64) -> Result<bool> {
        {
            let mut in_flight = self.in_flight();
            if in_flight.contains(&id) {
                return Ok(false);
            }
            in_flight.push(id);
        }
        let pending = self
            .conn()
            .query_row(
                "SELECT 1 FROM records WHERE id = ?1 AND state = 'pending'",
                params![id],
                |_| Ok(()),
            )
            .optional();
        match pending {
            Ok(Some(())) => Ok(true),
            other => {
                self.in_flight().retain(|&i| i != id);
                other
                    .map(|_| false)
                    .map_err(|e| self.err(Msg::StoreReadingQueue, e))
            }
        }
    }

    pub(super) fn streak(&self) -> std::sync::MutexGuard<'_, Streak> {
        self.inner.streak.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether delivery is paused now; if so the report says why.
    fn paused(&self, report: &mut DrainReport) -> bool {
        let s = self.streak();
        if s.until_ms > now_ms() {
            report.paused = s.reason.clone();
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
                    diagnosis: r.diagnosis.as_ref().map(Diagnosis::text),
                    error: Msg::IgnoredByPlatform.into(),
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
                let error = e.text();
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
                        f.diagnosis.as_ref().map(Diagnosis::text),
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
                    error: e.text(),
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
        let (id, attempts, at, last) = match &dead {
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
        let text = Text::of(
            Msg::DeliveryPaused,
            vec![
                ((wait + 999) / 1000).to_string().into(),
                (s.ids.len() + 1).to_string().into(),
                cause.map_or("?", Outcome::name).into(),
                last,
            ],
        );
        s.reason = Some(text.clone());
        report.dead = report.dead.saturating_sub(s.counted);
        report.retried += 1;
        report.paused = Some(text.clone());
        // Stored by catalog id, to be read in any language later (`messages/stored.rs`).
        let (until, reason) = (s.until_ms, text.clone());
        marks.extend(s.ids.drain(..).map(|earlier| Mark::Requeue {
            id: earlier,
            next_ms: until,
            error: reason.clone(),
        }));
        s.counted = 0;
        // Logged by the delivery loop, in its client's language.
        drop(s);
        marks.push(Mark::Retry {
            id,
            attempts,
            next_ms: until,
            error: reason,
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
    ///
    /// The claims of the records end here ([`Outbox::claim`]), written or not: a mark that
    /// could not be written leaves its record pending, to be sent again.
    pub(super) fn write_marks(&self, marks: &mut Vec<Mark>) -> Result<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = marks.iter().map(Mark::id).collect();
        let written = self.write_marks_now(marks);
        marks.clear();
        self.in_flight().retain(|i| !ids.contains(i));
        written
    }

    fn write_marks_now(&self, marks: &mut Vec<Mark>) -> Result<()> {
        let err = |e| self.err(Msg::StoreRecordingOutcome, e);
        let mut conn = self.conn();
        set_synchronous(&conn, false).map_err(|e| self.err(Msg::StoreSynchronous, e))?;
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
                        "UPDATE records SET state = 'dead', attempts = ?2, finished_ms = ?3, seqno = ?4, response_json = ?5, diagnosis = ?6, last_error = ?7, last_error_text = ?8, diagnosis_text = ?9 WHERE id = ?1 AND state = 'pending'",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            attempts,
                            at,
                            seqno,
                            response,
                            diagnosis.as_ref().map(Text::to_string),
                            error.to_string(),
                            error.to_store(),
                            diagnosis.as_ref().map(Text::to_store)
                        ])
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
                        "UPDATE records SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4, last_error_text = ?5 WHERE id = ?1 AND state = 'pending'",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            attempts,
                            next_ms,
                            error.to_string(),
                            error.to_store()
                        ])
                    }),
                Mark::Requeue { id, next_ms, error } => tx
                    .prepare_cached(
                        "UPDATE records SET state = 'pending', finished_ms = NULL, next_attempt_ms = ?2, last_error = ?3, last_error_text = ?4 WHERE id = ?1 AND state = 'dead'",
                    )
                    .and_then(|mut s| {
                        s.execute(params![id, next_ms, error.to_string(), error.to_store()])
                    })
                    .and_then(|changed| match changed {
                        0 => Ok(0),
                        _ => add_event(&tx, id, "requeued", None, Some(&error)),
                    }),
            }
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        // Back to FULL for every other write on this connection (enqueue, retry, purge): only
        // these marks may be lost to a power cut.
        set_synchronous(&conn, true).map_err(|e| self.err(Msg::StoreSynchronous, e))
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

impl Mark {
    fn id(&self) -> i64 {
        match self {
            Mark::Done { id, .. }
            | Mark::Dead { id, .. }
            | Mark::Retry { id, .. }
            | Mark::Requeue { id, .. } => *id,
        }
    }
}

/// The outcome of one delivery attempt, to be written.
pub(super) enum Mark {
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
        diagnosis: Option<Text>,
        error: Text,
    },
    Retry {
        id: i64,
        attempts: u32,
        next_ms: i64,
        error: Text,
    },
    /// A dead letter back in the queue (delivery paused: its refusal was not about it).
    Requeue { id: i64, next_ms: i64, error: Text },
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
