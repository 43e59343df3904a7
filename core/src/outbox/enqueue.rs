//! Storing a record: validated first, its photos read once and stored with it, committed with
//! `synchronous=FULL` before the call returns.

use std::sync::Arc;

use rusqlite::params;

use super::store::set_synchronous;
use super::{millis, now_ms, Outbox};
use crate::error::{Error, Result};
use crate::form::{FileField, FileSource};
use crate::record::{AnyRecord, Record};
use crate::request::{build_request, BuildOptions};
use crate::secret::AppSecret;
use crate::Endpoint;

/// What an enqueue error says: the caller must know the record is not in the outbox.
const NOT_STORED: &str = "the record was NOT stored";

impl Outbox {
    /// Validates a record with its photos and stores it durably; returns its id. The photos are
    /// read now and stored with the record. On any error nothing is stored.
    pub fn enqueue(&self, record: &AnyRecord, files: &[(FileField, FileSource)]) -> Result<i64> {
        // The photos are read once: the bytes checked below are the bytes stored.
        let mut photos = Vec::with_capacity(files.len());
        for (field, source) in files {
            let bytes: Arc<[u8]> = match source {
                FileSource::Bytes(b) => b.clone(),
                FileSource::Path(p) => std::fs::read(p)
                    .map_err(|e| Error::File {
                        role: field.name().into(),
                        path: p.clone(),
                        source: e,
                    })?
                    .into(),
            };
            photos.push((*field, FileSource::Bytes(bytes)));
        }
        // Every rule a push is checked against (required fields, hashes, files the endpoint
        // takes), so a record that could never be sent is refused here. The secret only feeds
        // a throwaway sign.
        let request = build_request(
            record,
            &photos,
            &AppSecret::new("check"),
            &BuildOptions::default(),
        )?;
        // The stored record pins each photo's MD5 in its `*_hash` field. The request builder
        // checks a given hash against the bytes it sends, so a photo damaged inside the
        // database is dead-lettered with a hash mismatch instead of being sent.
        let mut stored: serde_json::Value =
            serde_json::from_str(&record.to_json()).map_err(|e| Error::Json(e.to_string()))?;
        if let Some(obj) = stored.as_object_mut() {
            for part in request.files() {
                if let Some(hash_field) = part.field().hash_field() {
                    obj.insert(hash_field.into(), part.md5().into());
                }
            }
        }
        let endpoint = record.endpoint();
        let get = |k: &str| request.field(k).unwrap_or_default();
        // One transaction, committed with synchronous=FULL: when this returns Ok the record and
        // its photos are on the disk; on any error (full or read-only disk...) nothing is.
        let not_stored = |e| self.err(NOT_STORED, e);
        let mut conn = self.conn();
        set_synchronous(&conn, true).map_err(not_stored)?;
        let tx = conn.transaction().map_err(not_stored)?;
        let now = now_ms();
        // A leave whose serial has no enter in the outbox yet waits `leave_grace`: its enter
        // may be enqueued just after it (another thread of the host), and goes first then.
        tx.prepare_cached(
            "INSERT INTO records (endpoint, serial, dedup_key, record_json, state, created_ms, next_attempt_ms)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5,
                 CASE WHEN ?6 > 0 AND ?1 = 'leave' AND ?2 != '' AND NOT EXISTS (SELECT 1 FROM records
                     WHERE state IN ('pending', 'done', 'dead') AND serial = ?2 AND endpoint = 'enter')
                 THEN ?5 + ?6 ELSE 0 END)",
        )
        .and_then(|mut st| {
            st.execute(params![
                endpoint.name(),
                get("parking_serial"),
                get(endpoint.dedup_field()),
                stored.to_string(),
                now,
                millis(self.inner.options.leave_grace)
            ])
        })
        .map_err(not_stored)?;
        let id = tx.last_insert_rowid();
        if endpoint == Endpoint::Enter {
            // Its leave, held for it, goes right after it instead of at the end of the grace.
            tx.prepare_cached(
                "UPDATE records SET next_attempt_ms = 0 WHERE state = 'pending' AND serial = ?1
                 AND endpoint = 'leave' AND attempts = 0 AND next_attempt_ms > ?2",
            )
            .and_then(|mut st| st.execute(params![get("parking_serial"), now]))
            .map_err(not_stored)?;
        }
        for part in request.files() {
            // Always bytes: every photo was read above.
            if let FileSource::Bytes(bytes) = part.source() {
                tx.prepare_cached(
                    "INSERT INTO files (record_id, field, md5, bytes) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut st| {
                    st.execute(params![id, part.field().name(), part.md5(), &bytes[..]])
                })
                .map_err(not_stored)?;
            }
        }
        tx.commit().map_err(not_stored)?;
        drop(conn);
        // The record is committed whatever happens here: only its loss would go unnoticed.
        if let Err(e) = self
            .inner
            .enqueued
            .write(id, endpoint, get(endpoint.dedup_field()))
        {
            log::error!(
                "outbox {}: record #{} is stored, but its id could not be written to the -enqueued file: {}",
                self.inner.path.display(),
                id,
                e
            );
        }
        self.inner.wake.notify();
        Ok(id)
    }
}
