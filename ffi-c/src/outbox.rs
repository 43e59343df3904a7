//! The durable outbox across the ABI: `pyun_outbox_*`.

use std::os::raw::c_char;

use pyun_core::outbox::{Outbox, OutboxOptions};
use pyun_core::AnyRecord;

use crate::args::{check_out, endpoint, files};
use crate::charset::Charset;
use crate::client::pyun_client;
use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};
use crate::handle::{lookup, release, with_handle, Handle, Registry};
use crate::panic::guard_charset;
use crate::strings::json_c_string;

/// A durable queue of records on a SQLite file. Opaque; thread-safe; several processes may
/// open the same file.
#[allow(non_camel_case_types)]
pub struct pyun_outbox {
    pub(crate) outbox: Outbox,
    pub(crate) charset: Charset,
}

/// The open outboxes, by handle.
static OUTBOXES: Registry<pyun_outbox> = Registry::new();

impl Handle for pyun_outbox {
    const KIND: usize = 3;
    const TYPE: &'static str = "pyun_outbox";
    fn registry() -> &'static Registry<Self> {
        &OUTBOXES
    }
    fn charset(&self) -> Charset {
        self.charset
    }
}

/// `flags` of `pyun_outbox_open` (also in pyun.h as PYUN_OUTBOX_*): page 001 note 8.
const CARRY_ENTER_FIELDS: i32 = 1;
/// Open an outbox on a network share anyway.
const ALLOW_NETWORK_SHARE: i32 = 2;
/// The operator's way out of PYUN_RESULT_OUTBOX_UNVERIFIED.
const ACCEPT_FRESH_START: i32 = 4;

/// Opens (or creates) an outbox database at `path`. `flags` is 0 or a sum of:
/// PYUN_OUTBOX_CARRY_ENTER_FIELDS (1): page 001 note 8, a leave whose enter was dead-lettered
/// carries the enter's fields; PYUN_OUTBOX_ALLOW_NETWORK_SHARE (2): open an outbox on a network
/// share anyway (refused otherwise with PYUN_RESULT_NETWORK_SHARE); PYUN_OUTBOX_ACCEPT_FRESH_START
/// (4): only when an operator decided it, after PYUN_RESULT_OUTBOX_UNVERIFIED: take the database
/// as complete and give it a new side file (never pass it by default). Other bits are
/// PYUN_RESULT_INVALID_ARGUMENT. A file that is not an outbox, or a damaged one, fails with
/// PYUN_RESULT_STORE and is left untouched. Committed records the database lost (a damaged WAL
/// journal) fail the open once with PYUN_RESULT_RECORDS_LOST, the last error naming them; they
/// are then dead letters.
///
/// # Safety
/// `path` must be NUL-terminated; `out_outbox` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_open(
    path: *const c_char,
    flags: i32,
    charset_code: u32,
    out_outbox: *mut *mut pyun_outbox,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_outbox, "out_outbox")?;
        let path = cs.input(path, "path")?;
        if flags & !(CARRY_ENTER_FIELDS | ALLOW_NETWORK_SHARE | ACCEPT_FRESH_START) != 0 {
            return Err(FfiError::msg(
                pyun_result::InvalidArgument,
                Msg::FfiOutboxFlags,
                &[&flags],
            ));
        }
        let options = OutboxOptions {
            carry_enter_fields: flags & CARRY_ENTER_FIELDS != 0,
            allow_network_share: flags & ALLOW_NETWORK_SHARE != 0,
            ..OutboxOptions::default()
        };
        let outbox = if flags & ACCEPT_FRESH_START != 0 {
            Outbox::accept_fresh_start(path, options)?
        } else {
            Outbox::open(path, options)?
        };
        *out_outbox = OUTBOXES.insert(pyun_outbox {
            outbox,
            charset: cs,
        });
        Ok(pyun_result::Ok)
    })
}

/// Closes an outbox. NULL is ignored. As `pyun_client_free`: it waits for calls running on it
/// (a drain in progress), then closes the database; anything but a live outbox is ignored and
/// reported.
///
/// # Safety
/// None beyond the call itself: `outbox` is only compared with the handles pyun handed out.
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_free(outbox: *mut pyun_outbox) {
    release(outbox, "outbox", "pyun_outbox_free")
}

/// Validates a record and stores it durably with copies of its photos; `*out_id` receives its
/// id. Returns only once it is on disk; on any error nothing was stored (PYUN_RESULT_VALIDATION,
/// PYUN_RESULT_FILE for a missing photo, PYUN_RESULT_STORE for a full or read-only disk).
///
/// # Safety
/// Strings must be NUL-terminated (`files_json` may be NULL); `out_id` must be writable.
/// (`outbox` is checked: anything but a live outbox is PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_enqueue(
    outbox: *const pyun_outbox,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
    out_id: *mut i64,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_enqueue", |o| {
        let cs = o.charset;
        check_out(out_id, "out_id")?;
        let ep = endpoint(&cs.input(endpoint_name, "endpoint")?)?;
        let record = AnyRecord::from_json(ep, &cs.input(record_json, "record_json")?)?;
        let files = files(cs.optional(files_json, "files_json")?)?;
        *out_id = o.outbox.enqueue(&record, &files)?;
        Ok(pyun_result::Ok)
    })
}

/// Delivers what is due through `client` (oldest first, enters before the rest of their
/// serial); `*out_report_json` receives `{"accepted", "dead", "retried", "pending",
/// "last_error", "paused"}`. Network and TLS failures, 5xx, 429 and answers that are not the
/// platform's stay queued with a backoff (`last_error` says why); only the platform's refusal
/// of a record makes it a dead letter, and when records in a row are refused the same way
/// (401, 403: a wrong secret) delivery pauses instead (`paused` says why; null otherwise).
///
/// # Safety
/// `out_report_json` must be writable. (Both handles are checked: anything but a live outbox
/// and a live client is PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_drain(
    outbox: *const pyun_outbox,
    client: *const pyun_client,
    out_report_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_drain", |o| {
        let cs = o.charset;
        let c = lookup(client, "client", "pyun_outbox_drain")?;
        check_out(out_report_json, "out_report_json")?;
        let report = o.outbox.drain(c.client())?;
        *out_report_json = json_c_string(
            cs,
            &serde_json::to_string(&report).unwrap_or_default(),
            "out_report_json",
        )?;
        Ok(pyun_result::Ok)
    })
}

/// `*out_json` receives the counts `{"pending", "in_flight", "done", "dead"}`.
///
/// # Safety
/// `out_json` must be writable. (`outbox` is checked: PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_counts(
    outbox: *const pyun_outbox,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_counts", |o| {
        let cs = o.charset;
        check_out(out_json, "out_json")?;
        *out_json = json_c_string(
            cs,
            &serde_json::to_string(&o.outbox.counts()?).unwrap_or_default(),
            "out_json",
        )?;
        Ok(pyun_result::Ok)
    })
}

/// `*out_json` receives the dead letters: `[{"id", "endpoint", "key", "attempts", "error",
/// "response", "diagnosis"}]`.
///
/// # Safety
/// `out_json` must be writable. (`outbox` is checked: PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_dead_letters(
    outbox: *const pyun_outbox,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_dead_letters", |o| {
        let cs = o.charset;
        check_out(out_json, "out_json")?;
        *out_json = json_c_string(
            cs,
            &serde_json::to_string(&o.outbox.dead_letters()?).unwrap_or_default(),
            "out_json",
        )?;
        Ok(pyun_result::Ok)
    })
}

/// Re-queues dead letters after their cause was fixed: the one with `id`, or all when `id` is
/// negative. `*out_count` receives how many.
///
/// # Safety
/// `out_count` must be writable. (`outbox` is checked: PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_retry_dead(
    outbox: *const pyun_outbox,
    id: i64,
    out_count: *mut u64,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_retry_dead", |o| {
        check_out(out_count, "out_count")?;
        *out_count = o.outbox.retry_dead(if id < 0 { None } else { Some(id) })?;
        Ok(pyun_result::Ok)
    })
}
