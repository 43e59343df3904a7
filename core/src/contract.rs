//! The binding contract: what every face of pyun (the C ABI, Python, the `pyun` command, and
//! through the C ABI the C#, VB6 and Pascal kits) translates instead of restating.
//!
//! - [`ErrorKind`]: the one table of failure kinds with each face's name or number for it. A
//!   new [`Error`] variant does not compile until [`Error::kind`] places it, and a new kind not
//!   until every face's exhaustive match handles it; tests in each face check their numbers and
//!   class names against this table.
//! - [`push_result_json`] / [`api_failure_json`]: the one JSON shape of a push's result (C's
//!   `out_result_json`, Python's `PushResult.to_json()`, `pyun push --json`), durations in
//!   milliseconds; [`received_push_json`], the one JSON of a received push.

use serde_json::{json, Value};

#[cfg(feature = "http")]
use crate::client::PushResult;
use crate::diagnosis::Diagnosis;
use crate::error::Error;
use crate::receive::{BodyEncoding, PushKind};
use crate::response::ApiFailure;

/// The kinds of failure every face distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The record (or request) is invalid; nothing was sent.
    Validation,
    /// Input that should be JSON is not, or has the wrong shape.
    MalformedJson,
    /// A received push body that cannot be read.
    InvalidBody,
    /// A file (a photo, a database) could not be read.
    File,
    /// A bad argument or configuration.
    Config,
    /// A received push failed verification.
    SignatureInvalid,
    /// No answer from the platform: connection, DNS, TLS, timeout.
    Transport,
    /// The platform answered, and not with an acceptance.
    Rejected,
    /// The outbox (or push store) database failed; what was being stored was not stored.
    Store,
    /// Committed outbox records are missing from its database.
    RecordsLost,
    /// The outbox cannot tell whether committed records were lost (its side file is missing,
    /// damaged or another database's): not opened.
    OutboxUnverified,
    /// The outbox is on a network share: not opened.
    NetworkShare,
}

/// What each face calls an [`ErrorKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindInfo {
    /// The `pyun_result` number of the C ABI (fixed forever).
    pub c_result: u32,
    /// The exit code of the `pyun` command.
    pub exit_code: u8,
    /// The `kind` of the `pyun --json` error object.
    pub json_kind: &'static str,
    /// The exception class of `pyun.errors`.
    pub python_exception: &'static str,
}

impl ErrorKind {
    /// Every kind, in the order of their C numbers.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::InvalidBody,
        ErrorKind::MalformedJson,
        ErrorKind::Validation,
        ErrorKind::File,
        ErrorKind::Config,
        ErrorKind::SignatureInvalid,
        ErrorKind::Transport,
        ErrorKind::Rejected,
        ErrorKind::Store,
        ErrorKind::RecordsLost,
        ErrorKind::OutboxUnverified,
        ErrorKind::NetworkShare,
    ];

    /// Each face's name or number for this kind.
    pub const fn info(self) -> KindInfo {
        const fn k(c: u32, exit: u8, json: &'static str, py: &'static str) -> KindInfo {
            KindInfo {
                c_result: c,
                exit_code: exit,
                json_kind: json,
                python_exception: py,
            }
        }
        match self {
            // An unreadable body is an invalid argument of the C call that was given it.
            ErrorKind::InvalidBody => k(2, 2, "input", "ValidationError"),
            ErrorKind::MalformedJson => k(4, 2, "input", "ValidationError"),
            ErrorKind::Validation => k(5, 2, "input", "ValidationError"),
            ErrorKind::File => k(6, 2, "input", "FileError"),
            ErrorKind::Config => k(7, 2, "input", "ConfigError"),
            ErrorKind::SignatureInvalid => k(8, 1, "invalid", "SignatureError"),
            ErrorKind::Transport => k(9, 3, "network", "TransportError"),
            ErrorKind::Rejected => k(10, 1, "refused", "ApiError"),
            ErrorKind::Store => k(11, 4, "outbox", "StoreError"),
            ErrorKind::RecordsLost => k(12, 4, "outbox", "RecordsLostError"),
            ErrorKind::OutboxUnverified => k(14, 4, "outbox", "OutboxUnverifiedError"),
            ErrorKind::NetworkShare => k(15, 4, "outbox", "NetworkShareError"),
        }
    }
}

impl Error {
    /// The kind of this error, for every face's translation.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::Json(_) => ErrorKind::MalformedJson,
            Error::File { .. } => ErrorKind::File,
            Error::Config(_) => ErrorKind::Config,
            Error::Body(_) => ErrorKind::InvalidBody,
            Error::Signature(_) => ErrorKind::SignatureInvalid,
            Error::Transport(_) => ErrorKind::Transport,
            Error::Api(_) => ErrorKind::Rejected,
            Error::Store(_) => ErrorKind::Store,
            Error::RecordsLost(_) => ErrorKind::RecordsLost,
            Error::OutboxUnverified(_) => ErrorKind::OutboxUnverified,
            Error::NetworkShare(_) => ErrorKind::NetworkShare,
        }
    }
}

/// A diagnosis as JSON: its fields and its one-paragraph `summary`.
pub fn diagnosis_json(d: &Diagnosis) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["summary"] = Value::String(d.summary());
    v
}

#[cfg(feature = "http")]
/// A push's result as JSON: `{"endpoint", "outcome", "code", "message", "hint", "seqno",
/// "http_status", "attempts", "elapsed_ms", "canonical", "sign", "diagnosis", "response"}`.
pub fn push_result_json(r: &PushResult) -> Value {
    json!({
        "endpoint": r.endpoint.name(),
        "outcome": r.outcome.name(),
        "code": r.response.code,
        "message": r.response.message,
        "hint": r.response.hint,
        "seqno": r.response.seqno,
        "http_status": r.http_status,
        "attempts": r.attempts,
        "elapsed_ms": r.elapsed.as_millis() as u64,
        "canonical": r.canonical_masked,
        "sign": r.sign,
        "diagnosis": r.diagnosis.as_ref().map(diagnosis_json),
        "response": r.response,
    })
}

/// A refused push as JSON: the fields of [`push_result_json`] the refusal has (no `sign`, no
/// `elapsed_ms`), and `"raw_body"`, `"retry_after_s"`, `"error"` (its message).
pub fn api_failure_json(f: &ApiFailure) -> Value {
    json!({
        "endpoint": f.endpoint.name(),
        "outcome": f.outcome.name(),
        "code": f.response.code,
        "message": f.response.message,
        "hint": f.response.hint,
        "seqno": f.response.seqno,
        "http_status": f.http_status,
        "attempts": f.attempts,
        "canonical": f.canonical_masked,
        "diagnosis": f.diagnosis.as_ref().map(diagnosis_json),
        "response": f.response,
        "raw_body": f.raw_body,
        "retry_after_s": f.retry_after.map(|d| d.as_secs()),
        "error": f.to_string(),
    })
}

/// A received push as JSON: `{"encoding", "kind", "key", "fields": {name: value, ...}}`.
pub fn received_push_json(
    encoding: BodyEncoding,
    kind: PushKind,
    key: &str,
    fields: &[(String, String)],
) -> Value {
    let fields: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({ "encoding": encoding.name(), "kind": kind.name(), "key": key, "fields": fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_c_number_and_a_known_exit_code() {
        let mut numbers: Vec<u32> = ErrorKind::ALL.iter().map(|k| k.info().c_result).collect();
        numbers.dedup();
        assert_eq!(
            numbers.len(),
            ErrorKind::ALL.len(),
            "ALL is in C order, no repeats"
        );
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
        for k in ErrorKind::ALL {
            let i = k.info();
            assert!((1..=4).contains(&i.exit_code), "{:?}", k);
            assert!(
                ["input", "invalid", "network", "refused", "outbox"].contains(&i.json_kind),
                "{:?}",
                k
            );
        }
    }
}
