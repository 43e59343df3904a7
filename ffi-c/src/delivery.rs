//! Enqueue and forget across the ABI: the outbox's background sender (`pyun_sender`), what
//! happened to a record, and the delivery events a host follows to mark its own database.

use std::os::raw::{c_char, c_void};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use pyun_core::outbox::{Event, OnEvent, Sender};

use crate::args::check_out;
use crate::charset::Charset;
use crate::client::pyun_client;
use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};
use crate::handle::{lookup, release, with_handle, Handle, Registry};
use crate::log_sink::EventCallbackScope;
use crate::outbox::pyun_outbox;
use crate::strings::json_c_string;

/// A running background sender of an outbox. Opaque; stop it with `pyun_sender_stop`.
#[allow(non_camel_case_types)]
pub struct pyun_sender {
    sender: Mutex<Option<Sender>>,
    charset: Charset,
}

impl Drop for pyun_sender {
    fn drop(&mut self) {
        // Taken out first: stopping waits for a callback, never under the lock.
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(s) = sender {
            s.stop();
        }
    }
}

/// The running senders, by handle.
static SENDERS: Registry<pyun_sender> = Registry::new();

impl Handle for pyun_sender {
    const KIND: usize = 4;
    const TYPE: &'static str = "pyun_sender";
    fn registry() -> &'static Registry<Self> {
        &SENDERS
    }
    fn charset(&self) -> Charset {
        self.charset
    }
}

/// Called by the sender thread with each delivery event, as JSON in the outbox's charset:
/// `{"seq", "kind", "record_id", "endpoint", "key", "at_ms", "seqno", "reason"}`, `kind`
/// `accepted`, `dead` or `requeued`, or `sender_failed` when the sender stopped on an internal
/// error (`reason` says why; `seq` is the last position handed over; start a new sender). The
/// string is valid only during the call. It runs on the sender's thread (not the thread that
/// started it), never before `*out_sender` is written and never while pyun holds a lock: post
/// a message to your UI thread rather than touching the UI; delivery waits while it runs. It
/// may call pyun, `pyun_sender_stop` of its own sender included (that call is then its last).
#[allow(non_camel_case_types)]
pub type pyun_event_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event_json: *const c_char)>;

/// Starts delivering `outbox`'s records in the background through `client`: a record enqueued
/// through this outbox handle is sent at once (no polling), a record backing off when its
/// backoff ends, and records another process enqueued into the file are found every
/// `poll_ms` (at least 10). Network and database errors back off and never end the sender.
/// When `callback` is not NULL it is called with each event after position `after_seq` (0:
/// all; keep the last `seq` you handled and pass it at the next start to see each event
/// once). `*out_sender` receives the handle; stop it with `pyun_sender_stop` before the
/// process unloads the DLL, never from `DllMain` (stopping joins a thread). Several senders
/// on several outboxes may run in one process.
///
/// # Safety
/// `out_sender` must be writable; `callback` must stay callable with `userdata` until the
/// sender is stopped. (Both handles are checked: PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_start_sender(
    outbox: *const pyun_outbox,
    client: *const pyun_client,
    poll_ms: u32,
    callback: pyun_event_callback,
    userdata: *mut c_void,
    after_seq: i64,
    out_sender: *mut *mut pyun_sender,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_start_sender", |o| {
        let c = lookup(client, "client", "pyun_outbox_start_sender")?;
        check_out(out_sender, "out_sender")?;
        let charset = o.charset;
        let gate = Arc::new(Gate::default());
        let follow = callback.map(|f| {
            let userdata = userdata as usize;
            let gate = Arc::clone(&gate);
            let on_event: OnEvent = Box::new(move |e: &Event| {
                if !gate.wait() {
                    return;
                }
                let _scope = EventCallbackScope::enter();
                let json = serde_json::to_string(e).unwrap_or_default();
                let text = charset.json(&json);
                if let Ok(text) = std::ffi::CString::new(text) {
                    // SAFETY: the host gave `f` and `userdata` for this and keeps them valid
                    // until the sender is stopped; the string lives until `f` returns.
                    unsafe { f(userdata as *mut c_void, text.as_ptr()) };
                }
            });
            (after_seq.max(0), on_event)
        });
        let sender = o.outbox.start_sender_following(
            Arc::clone(c.client_arc()),
            Duration::from_millis(u64::from(poll_ms.max(10))),
            follow,
        );
        if !sender.is_running() {
            gate.open(false);
            return Err(FfiError::msg(pyun_result::Store, Msg::FfiNoThread, &[]));
        }
        *out_sender = SENDERS.insert(pyun_sender {
            sender: Mutex::new(Some(sender)),
            charset,
        });
        gate.open(true);
        Ok(pyun_result::Ok)
    })
}

/// Holds the event callback until `*out_sender` is written: a callback that stops its sender
/// finds the handle there. Opened with `false` when the start failed (no callback at all).
#[derive(Default)]
struct Gate {
    open: Mutex<Option<bool>>,
    opened: Condvar,
}

impl Gate {
    fn open(&self, go: bool) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = Some(go);
        self.opened.notify_all();
    }

    /// Waits until it is opened; whether the callback may run.
    fn wait(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let open = self
            .opened
            .wait_while(open, |o| o.is_none())
            .unwrap_or_else(|e| e.into_inner());
        *open == Some(true)
    }
}

/// Stops a sender and frees it: the record in flight is finished and written down, and the
/// event callback in progress returns; records never sent, and events not handed over, wait
/// for the next start. Once it returns, no event callback of this sender runs or will run.
/// Waits for that (the record in flight and one callback: seconds at most, unless the platform
/// is slow to answer or the callback blocks). Called from inside the sender's own event
/// callback it does not wait: that callback is the last one. NULL is ignored; anything but a
/// live sender is ignored and reported (last error).
///
/// # Safety
/// None beyond passing what `pyun_outbox_start_sender` gave (anything else is checked).
#[no_mangle]
pub unsafe extern "C" fn pyun_sender_stop(sender: *mut pyun_sender) {
    release(sender, "sender", "pyun_sender_stop");
}

/// JSON of a core value into `*out`, in the object's charset.
unsafe fn write_json(
    cs: Charset,
    value: &impl serde::Serialize,
    out: *mut *mut c_char,
) -> Result<pyun_result, FfiError> {
    check_out(out, "out_json")?;
    *out = json_c_string(
        cs,
        &serde_json::to_string(value).unwrap_or_default(),
        "out_json",
    )?;
    Ok(pyun_result::Ok)
}

/// `*out_json` receives the status of the record with `id`, or `null` when the outbox has no
/// such record: `{"id", "endpoint", "key", "state", "attempts", "created_ms",
/// "next_attempt_ms", "finished_ms", "last_error", "seqno", "response", "diagnosis"}`, `state`
/// `pending`, `in_flight`, `paused`, `done` or `dead`.
///
/// # Safety
/// `out_json` must be writable. (`outbox` is checked: PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_record(
    outbox: *const pyun_outbox,
    id: i64,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_record", |o| {
        write_json(o.charset, &o.outbox.record(id)?, out_json)
    })
}

/// `*out_json` receives the statuses (as `pyun_outbox_record`, in an array, oldest first) of
/// the records whose `parking_serial` or `flow_no` is `key`.
///
/// # Safety
/// `key` must be NUL-terminated; `out_json` writable. (`outbox` is checked.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_find(
    outbox: *const pyun_outbox,
    key: *const c_char,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_find", |o| {
        let key = o.charset.input(key, "key")?;
        write_json(o.charset, &o.outbox.find(&key)?, out_json)
    })
}

/// `*out_json` receives the status of the record delivered next, with why it waits
/// (`last_error`, `next_attempt_ms`), or `null` when nothing is pending.
///
/// # Safety
/// `out_json` must be writable. (`outbox` is checked.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_head(
    outbox: *const pyun_outbox,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_head", |o| {
        write_json(o.charset, &o.outbox.head()?, out_json)
    })
}

/// `*out_json` receives up to `limit` delivery events after position `after_seq` (0: from the
/// start), in order, as an array of the objects `pyun_event_callback` describes. Keep the last
/// `seq` you handled (in your own database, with the "uploaded" mark) and pass it next time:
/// a VB6 program calls this from a `Timer`. Events survive restarts.
///
/// # Safety
/// `out_json` must be writable. (`outbox` is checked.)
#[no_mangle]
pub unsafe extern "C" fn pyun_outbox_events(
    outbox: *const pyun_outbox,
    after_seq: i64,
    limit: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(outbox, "outbox", "pyun_outbox_events", |o| {
        write_json(
            o.charset,
            &o.outbox.events(after_seq, limit as usize)?,
            out_json,
        )
    })
}
