//! Storing a record: validated first, its photos read once and stored with it, committed with
//! `synchronous=FULL` (in a commit shared with concurrent enqueues, `group.rs`) before the call
//! returns.

use std::sync::Arc;

use super::group::Row;
use super::Outbox;
use crate::error::{Error, Result};
use crate::form::{FileField, FileSource};
use crate::record::{AnyRecord, Record};
use crate::request::{build_request, BuildOptions};
use crate::secret::AppSecret;

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
        // Without photos the record's JSON is stored as it is (no parse and write again).
        let mut json = record.to_json();
        if !request.files().is_empty() {
            let mut stored: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| Error::Json(crate::json_error::said(&e)))?;
            if let Some(obj) = stored.as_object_mut() {
                for part in request.files() {
                    if let Some(hash_field) = part.field().hash_field() {
                        obj.insert(hash_field.into(), part.md5().into());
                    }
                }
            }
            json = stored.to_string();
        }
        let endpoint = record.endpoint();
        let get = |k: &str| request.field(k).unwrap_or_default().to_string();
        // Always bytes: every photo was read above.
        let files = request
            .files()
            .iter()
            .filter_map(|part| match part.source() {
                FileSource::Bytes(bytes) => {
                    Some((part.field().name(), part.md5().to_string(), bytes.clone()))
                }
                FileSource::Path(_) => None,
            })
            .collect();
        // Committed with synchronous=FULL (with the enqueues of other threads waiting at the
        // same time) before this returns: on Ok the record and its photos are on the disk; on
        // any error (full or read-only disk...) nothing of it is.
        self.commit_row(Row {
            endpoint,
            serial: get("parking_serial"),
            key: get(endpoint.dedup_field()),
            json,
            files,
        })
    }
}
