//! Records the database lost, noticed at open: the side file of enqueued ids (`enqueued.rs`)
//! against the database. Missing ones become `LOST` dead letters and one
//! [`Error::RecordsLost`].

use rusqlite::params;

use super::enqueued::Slot;
use super::status::add_event;
use super::store::{checkpoint, set_synchronous};
use super::{now_ms, Outbox};
use crate::error::{Error, LostRecord, RecordsLost, Result};
use crate::messages::{Lang, Msg, Text};

/// The rows of `LOST` dead letters (SQL): their content is gone (`{}`), so they are never
/// re-queued.
pub(super) const LOST: &str = "state = 'dead' AND record_json = '{}' AND last_error LIKE 'LOST%'";

impl Outbox {
    /// Compares the side file's highest enqueued id (its `slots`, read at open) with the
    /// database's: committed records missing from the database are recorded as dead letters
    /// (`LOST: ...`) and reported with [`Error::RecordsLost`], once.
    pub(super) fn find_lost(&self, slots: Vec<Slot>) -> Result<()> {
        let records = self.lost_records(&slots)?;
        if records.is_empty() {
            return Ok(());
        }
        self.record_lost(records)
    }

    /// The committed records the side file's `slots` name that the database lacks (reads
    /// only).
    pub(super) fn lost_records(&self, slots: &[Slot]) -> Result<Vec<LostRecord>> {
        let highest = match slots.iter().map(|s| s.id).max() {
            Some(h) => h,
            None => return Ok(Vec::new()),
        };
        let err = |e| self.err(Msg::StoreLookingForLost, e);
        let conn = self.conn();
        // AUTOINCREMENT's counter: the highest id ever committed, purged records included.
        let seq: i64 = conn
            .query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0)",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if highest <= seq {
            return Ok(Vec::new());
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
        Ok(records)
    }

    /// Records the lost `records` as `LOST` dead letters and reports them.
    fn record_lost(&self, records: Vec<LostRecord>) -> Result<()> {
        let mut conn = self.conn();
        let lost = RecordsLost {
            path: self.inner.path.clone(),
            records,
        };
        // The loss stays visible where an operator looks (the dead letters), and the ids are
        // taken, so the next open does not report it again.
        let noted = (|| {
            set_synchronous(&conn, true)?;
            let tx = conn.transaction()?;
            let error = Text::from(Msg::LostRecordError);
            for r in &lost.records {
                let endpoint = r.endpoint.as_deref().unwrap_or("?");
                let key = r.key.as_deref().unwrap_or("");
                let serial = if endpoint == "update" { "" } else { key };
                tx.execute(
                    "INSERT INTO records (id, endpoint, serial, dedup_key, record_json, state, created_ms, finished_ms, last_error, last_error_text)
                     VALUES (?1, ?2, ?3, ?4, '{}', 'dead', ?5, ?5, ?6, ?7)",
                    params![
                        r.id,
                        endpoint,
                        serial,
                        key,
                        now_ms(),
                        error.to_string(),
                        error.to_store()
                    ],
                )?;
                add_event(&tx, r.id, "dead", None, Some(&Msg::LostEvent.into()))?;
            }
            tx.commit()
        })();
        let checkpointed = checkpoint(&conn, "TRUNCATE");
        // Logged once the connection is let go: a log callback may query the outbox.
        drop(conn);
        let lang = Lang::from_env();
        log::error!("{}", lost.message(lang));
        if let Err(e) = noted {
            log::error!(
                "{}",
                Msg::LostNotRecorded.text(lang, &[&self.inner.path.display(), &e])
            );
        }
        if let Err(e) = checkpointed {
            log::debug!("checkpoint: {}", e);
        }
        Err(Error::RecordsLost(lost))
    }
}
