//! Group commit: concurrent enqueues share one `synchronous=FULL` transaction, and so one sync.
//! Each enqueue queues its prepared row and waits; the first waiting one that finds no commit
//! under way leads: it takes every queued row (up to [`MAX_BATCH`]), commits them together, and
//! hands each enqueuer its own result. Rows queued meanwhile wait for the next leader, so the
//! batch grows with the load and a lone enqueue commits at once, alone. An enqueue returns only
//! once the commit holding its row is durable, or with the error that kept its row out.
//!
//! A leader first waits a little for as many rows as there were enqueues in flight when the
//! last commit ended (its batch and the rows then waiting), at most as long as that commit
//! took ([`Queue::gather`]). Threads that each enqueue one record after another would otherwise
//! settle into two alternating half-size batches: the members of a commit come back just after
//! the next leader took the rows queued meanwhile. A lone enqueue waits for no one.
//!
//! A row whose statements fail is left out and the others are committed without it (each
//! failing row gets its own error); a failed commit fails every row in it. A leader that
//! panics hands its batch an error on the way out (a drop guard), so no follower waits forever.
//! The leader logs only once it has handed over the lead: a log callback that enqueues into this
//! outbox must not wait for itself.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use super::enqueued::SLOTS;
use super::store::{checkpoint, set_synchronous};
use super::{millis, now_ms, Outbox};
use crate::error::{Error, Result};
use crate::messages::{Msg, Text};
use crate::Endpoint;

/// Rows in one commit at most: a bounded transaction, and fewer than the side file's slots.
const MAX_BATCH: usize = 64;

/// The longest a leader waits for rows to come (on a slow disk a commit takes 4 ms or more).
const GATHER_MAX: Duration = Duration::from_millis(1);

/// What an enqueue error says: the caller must know the record is not in the outbox.
pub(super) const NOT_STORED: Msg = Msg::StoreRecordNotStored;

/// A validated record, ready to be inserted: what the enqueue worked out before queuing.
pub(super) struct Row {
    pub endpoint: Endpoint,
    pub serial: String,
    pub key: String,
    pub json: String,
    /// Field name, MD5 and bytes of each photo.
    pub files: Vec<(&'static str, String, Arc<[u8]>)>,
}

/// The rows waiting for a commit, and the results of the commits, of one outbox.
#[derive(Default)]
pub(super) struct Group {
    queue: Mutex<Queue>,
}

/// One result of the commit path; an error is a store error's message.
type Outcome = std::result::Result<i64, Text>;

#[derive(Default)]
struct Queue {
    /// Rows not yet taken by a leader: ticket, row, and how to wake its enqueuer.
    waiting: Vec<(u64, Row, Arc<Condvar>)>,
    /// A leader is committing.
    leading: bool,
    /// Results not yet picked up by their enqueuer.
    results: HashMap<u64, Outcome>,
    next_ticket: u64,
    /// Records committed since this outbox last checkpointed after a commit.
    since_checkpoint: u64,
    /// What the next leader waits for: rows, and how long at most ([`Lead::post`]).
    gather: (usize, Duration),
    /// A leader waiting for rows: how to wake it, and how many rows it waits for.
    gathering: Option<(Arc<Condvar>, usize)>,
}

impl Group {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The lead over one batch: hands its results to the group and the lead back when posted, or,
/// dropped without (a panic in the leader), an error for every row of the batch.
struct Lead<'a> {
    group: &'a Group,
    /// The batch's tickets and the condition variables of their enqueuers.
    members: Vec<(u64, Arc<Condvar>)>,
    path: &'a std::path::Path,
    posted: bool,
}

impl Lead<'_> {
    /// Hands out the results and the lead; wakes exactly the batch's enqueuers and the next
    /// leader (the first one waiting), not every waiting thread. `took`: how long the commit
    /// took. Whether a checkpoint is due.
    fn post(&mut self, results: Vec<Outcome>, committed: u64, took: Duration) -> bool {
        self.posted = true;
        let mut q = self.group.queue();
        // The enqueues in flight now (this batch, the rows queued meanwhile) may come back
        // together: the next leader waits for that many rows, as long as this commit took.
        let in_flight = (self.members.len() + q.waiting.len()).min(MAX_BATCH);
        q.gather = (in_flight, took.min(GATHER_MAX));
        // The next leader (the first one waiting) first: it may begin gathering its batch
        // while the others are woken.
        let mut wake: Vec<Arc<Condvar>> = Vec::with_capacity(self.members.len() + 1);
        wake.extend(q.waiting.first().map(|w| w.2.clone()));
        for ((ticket, cv), result) in self.members.drain(..).zip(results) {
            q.results.insert(ticket, result);
            wake.push(cv);
        }
        q.leading = false;
        q.since_checkpoint += committed;
        // A checkpoint is owed once half the side file's slots name records that may live only
        // in the WAL, so a loss report can name them all: SQLite's own checkpoint at 2000 pages
        // (store.rs) would let ~270 lone enqueues or thousands of grouped ones pile up there.
        let due = q.since_checkpoint >= SLOTS / 2;
        if due {
            q.since_checkpoint = 0;
        }
        drop(q);
        for cv in wake {
            cv.notify_one();
        }
        due
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.posted {
            return;
        }
        let text = Text::of(
            Msg::OutboxStoreFailed,
            vec![
                self.path.display().to_string().into(),
                NOT_STORED.into(),
                Msg::CommitPanicked.into(),
            ],
        );
        let failed = self.members.iter().map(|_| Err(text.clone())).collect();
        self.post(failed, 0, Duration::ZERO);
    }
}

/// Why a batch was not committed as a whole.
enum Failure {
    /// The row at this index failed (its statements): the others may be committed without it.
    Row(usize, Error),
    /// The transaction could not be begun or committed: no row of it is stored.
    All(Error),
}

impl Outbox {
    /// Stores `row` durably, in a commit shared with the enqueues waiting at the same time;
    /// returns its id.
    pub(super) fn commit_row(&self, row: Row) -> Result<i64> {
        let group = &self.inner.group;
        let me = Arc::new(Condvar::new());
        let mut q = group.queue();
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.waiting.push((ticket, row, me.clone()));
        if let Some((leader, rows)) = &q.gathering {
            if q.waiting.len() >= *rows {
                leader.notify_one();
            }
        }
        loop {
            if let Some(result) = q.results.remove(&ticket) {
                return result.map_err(Error::Store);
            }
            if q.leading {
                q = me.wait(q).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            q.leading = true;
            q = gather(q, &me);
            let take = q.waiting.len().min(MAX_BATCH);
            let batch: Vec<(u64, Row, Arc<Condvar>)> = q.waiting.drain(..take).collect();
            drop(q);
            self.lead(batch);
            q = group.queue();
        }
    }

    /// Commits `batch` as the leader, hands out the results, then logs what went wrong.
    fn lead(&self, batch: Vec<(u64, Row, Arc<Condvar>)>) {
        let mut members = Vec::with_capacity(batch.len());
        let mut rows = Vec::with_capacity(batch.len());
        for (ticket, row, cv) in batch {
            members.push((ticket, cv));
            rows.push(row);
        }
        let mut lead = Lead {
            group: &self.inner.group,
            members,
            path: &self.inner.path,
            posted: false,
        };
        let started = Instant::now();
        let results = self.commit_rows(&rows);
        // The side file learns of each committed record before its enqueuer returns.
        let stored: Vec<(i64, Endpoint, &str)> = rows
            .iter()
            .zip(&results)
            .filter_map(|(row, r)| r.as_ref().ok().map(|id| (*id, row.endpoint, &row.key[..])))
            .collect();
        let unwritten = self.inner.enqueued.write(&stored).err();
        let checkpoint_due = lead.post(results, stored.len() as u64, started.elapsed());
        if !stored.is_empty() {
            self.inner.wake.notify();
        }
        // No lock held and the lead handed over: logging (and checkpointing) from here on
        // delays no other enqueue's return.
        if let Some(e) = unwritten {
            let ids: Vec<String> = stored.iter().map(|s| format!("#{}", s.0)).collect();
            log::error!(
                "{}",
                Msg::SideFileNotWritten.text(
                    crate::messages::Lang::from_env(),
                    &[&self.inner.path.display(), &ids.join(", "), &e]
                )
            );
        }
        if checkpoint_due {
            let done = checkpoint(&self.conn(), "PASSIVE");
            if let Err(e) = done {
                log::debug!("checkpoint: {}", e);
            }
        }
    }

    /// Commits as many of `rows` as can be: one transaction, and again without each row whose
    /// statements fail. One result per row.
    fn commit_rows(&self, rows: &[Row]) -> Vec<Outcome> {
        let mut results: Vec<Option<Outcome>> = rows.iter().map(|_| None).collect();
        let mut todo: Vec<usize> = (0..rows.len()).collect();
        let mut conn = self.conn();
        while !todo.is_empty() {
            match self.try_commit(&mut conn, rows, &todo) {
                Ok(ids) => {
                    for (i, id) in todo.iter().zip(ids) {
                        results[*i] = Some(Ok(id));
                    }
                    break;
                }
                Err(Failure::Row(k, e)) => {
                    results[todo.remove(k)] = Some(Err(store_text(e)));
                }
                Err(Failure::All(e)) => {
                    let text = store_text(e);
                    for i in &todo {
                        results[*i] = Some(Err(text.clone()));
                    }
                    break;
                }
            }
        }
        drop(conn);
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Text::from(NOT_STORED))))
            .collect()
    }

    /// One transaction with the rows at `todo`, committed with synchronous=FULL: when it
    /// returns Ok (their ids) they are on the disk; otherwise none of them is.
    fn try_commit(
        &self,
        conn: &mut Connection,
        rows: &[Row],
        todo: &[usize],
    ) -> std::result::Result<Vec<i64>, Failure> {
        let all = |e| Failure::All(self.err(NOT_STORED, e));
        set_synchronous(conn, true).map_err(all)?;
        let tx = conn.transaction().map_err(all)?;
        let now = now_ms();
        let grace = millis(self.inner.options.leave_grace);
        let mut ids = Vec::with_capacity(todo.len());
        for (k, i) in todo.iter().enumerate() {
            let id = insert(&tx, &rows[*i], now, grace)
                .map_err(|e| Failure::Row(k, self.err(NOT_STORED, e)))?;
            ids.push(id);
        }
        tx.commit().map_err(all)?;
        Ok(ids)
    }
}

/// Waits, as the leader, for the rows [`Queue::gather`] names, or until its time is up;
/// returns the queue locked again.
fn gather<'a>(mut q: MutexGuard<'a, Queue>, me: &Arc<Condvar>) -> MutexGuard<'a, Queue> {
    let (rows, most) = q.gather;
    if q.waiting.len() >= rows {
        return q;
    }
    let deadline = Instant::now() + most;
    q.gathering = Some((me.clone(), rows));
    while q.waiting.len() < rows {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        q = me
            .wait_timeout(q, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    q.gathering = None;
    q
}

/// The message of a store error (the only kind the commit path makes).
fn store_text(e: Error) -> Text {
    match e {
        Error::Store(text) => text,
        other => Text::from(other.to_string()),
    }
}

/// Inserts one record and its photos; returns its id.
fn insert(tx: &Connection, row: &Row, now: i64, grace: i64) -> rusqlite::Result<i64> {
    // A leave whose serial has no enter in the outbox yet waits `leave_grace`: its enter may be
    // enqueued just after it (another thread of the host), and goes first then.
    tx.prepare_cached(
        "INSERT INTO records (endpoint, serial, dedup_key, record_json, state, created_ms, next_attempt_ms)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5,
             CASE WHEN ?6 > 0 AND ?1 = 'leave' AND ?2 != '' AND NOT EXISTS (SELECT 1 FROM records
                 WHERE state IN ('pending', 'done', 'dead') AND serial = ?2 AND endpoint = 'enter')
             THEN ?5 + ?6 ELSE 0 END)",
    )?
    .execute(params![
        row.endpoint.name(),
        row.serial,
        row.key,
        row.json,
        now,
        grace
    ])?;
    let id = tx.last_insert_rowid();
    if row.endpoint == Endpoint::Enter {
        // Its leave, held for it, goes right after it instead of at the end of the grace.
        tx.prepare_cached(
            "UPDATE records SET next_attempt_ms = 0 WHERE state = 'pending' AND serial = ?1
             AND endpoint = 'leave' AND attempts = 0 AND next_attempt_ms > ?2",
        )?
        .execute(params![row.serial, now])?;
    }
    for (field, md5, bytes) in &row.files {
        tx.prepare_cached(
            "INSERT INTO files (record_id, field, md5, bytes) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, field, md5, &bytes[..]])?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::outbox::tests::tmp;
    use crate::outbox::OutboxOptions;
    use crate::record::AnyRecord;

    /// A leader waiting for the rows in flight at the last commit's end commits nothing until
    /// they come (its own enqueue has not returned), and is woken by the row that completes
    /// them: both records in the outbox, neither enqueue waiting out the bound.
    #[test]
    fn a_gathering_leader_commits_once_the_rows_it_waits_for_come() {
        let path = tmp("group-gather");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        let record = |serial: &str| {
            let json = include_str!("../../../examples/data/enter.json");
            let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
            v["parking_serial"] = serial.into();
            AnyRecord::from_value(Endpoint::Enter, v).unwrap()
        };
        let group = &ob.inner.group;
        // As after a commit of two records: the next leader waits for two rows.
        group.queue().gather = (2, Duration::from_secs(600));
        std::thread::scope(|s| {
            let first = s.spawn(|| ob.enqueue(&record("G-1"), &[]));
            let deadline = Instant::now() + Duration::from_secs(30);
            while group.queue().gathering.is_none() {
                assert!(
                    Instant::now() < deadline,
                    "the leader never waited for rows"
                );
                std::thread::yield_now();
            }
            assert_eq!(
                ob.counts().unwrap().pending,
                0,
                "committed before its batch came"
            );
            ob.enqueue(&record("G-2"), &[]).unwrap();
            first.join().unwrap().unwrap();
        });
        assert_eq!(ob.counts().unwrap().pending, 2);
        assert!(group.queue().gathering.is_none());
    }

    /// A leader that panics mid-commit: its drop guard hands every enqueue of its batch an
    /// error naming the panic (none hangs), gives the lead back, and the outbox goes on.
    #[test]
    fn a_panicking_leader_fails_its_batch_and_hangs_no_one() {
        let path = tmp("group-panic");
        let ob = Outbox::open(&path, OutboxOptions::default()).unwrap();
        let record = || {
            let json = include_str!("../../../examples/data/enter.json");
            AnyRecord::from_json(Endpoint::Enter, json).unwrap()
        };
        let group = &ob.inner.group;
        // This thread holds the lead, as a leader in the middle of a commit does.
        group.queue().leading = true;
        std::thread::scope(|s| {
            let follower = s.spawn(|| ob.enqueue(&record(), &[]));
            let deadline = Instant::now() + Duration::from_secs(30);
            let batch = loop {
                let mut q = group.queue();
                if !q.waiting.is_empty() {
                    break q.waiting.drain(..).collect::<Vec<_>>();
                }
                drop(q);
                assert!(
                    Instant::now() < deadline,
                    "the enqueue never queued its row"
                );
                std::thread::yield_now();
            };
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _lead = Lead {
                    group,
                    members: batch.into_iter().map(|(t, _, cv)| (t, cv)).collect(),
                    path: &ob.inner.path,
                    posted: false,
                };
                panic!("a bug in the commit path");
            }));
            assert!(panicked.is_err());
            let err = follower.join().unwrap().unwrap_err();
            assert!(matches!(err, Error::Store(_)), "{:?}", err);
            let text = err.to_string();
            assert!(
                text.contains("NOT stored") && text.contains("panic"),
                "{}",
                text
            );
        });
        assert!(!group.queue().leading);
        assert_eq!(ob.enqueue(&record(), &[]).unwrap(), 1);
        assert_eq!(ob.counts().unwrap().pending, 1);
    }
}
