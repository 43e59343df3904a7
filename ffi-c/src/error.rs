//! Result codes, the thread-local last error message, and the panic boundary.

use std::cell::{Cell, RefCell};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::charset::Charset;

/// The result of every call. Numbers are fixed and never reused.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pyun_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// An argument is out of range: unknown endpoint, charset or file field.
    InvalidArgument = 2,
    /// A string is not valid in the charset given (UTF-8 by default), or a text output holds a
    /// character that charset cannot represent (or a NUL); the message names the field.
    InvalidEncoding = 3,
    /// A JSON argument is not JSON, or not the expected shape.
    MalformedJson = 4,
    /// The record is invalid (missing or malformed fields); nothing was sent.
    Validation = 5,
    /// A file (photo) could not be read.
    File = 6,
    /// Bad configuration: empty secret, bad base URL or proxy, app_id without api_type.
    Config = 7,
    /// A received push's signature does not verify.
    SignatureInvalid = 8,
    /// No answer from the platform: connection, timeout, TLS (after the retries).
    Transport = 9,
    /// The platform answered and refused the record (see the outcome and result JSON).
    Rejected = 10,
    /// The outbox database failed (disk full or read-only, damaged file); nothing was stored.
    Store = 11,
    /// `pyun_outbox_open`: committed records are missing from the outbox database (its WAL
    /// journal was damaged, or an older copy of the file was put back). The last error names
    /// them (ids, endpoint and key); they are now dead letters whose error starts with `LOST`,
    /// and the next open succeeds. Send them again from their source.
    RecordsLost = 12,
    /// A handle argument is not NULL but not a live handle of its type either: freed already,
    /// a handle of another type, or a pointer pyun never handed out. The message names the call,
    /// the argument and what the pointer is. Nothing was read through it.
    InvalidHandle = 13,
    /// A bug inside pyun (a caught panic). Please report it with the last error message.
    Panic = 99,
}

/// An error on its way out: the code and a message for `pyun_last_error_message`.
#[derive(Debug)]
pub struct FfiError {
    /// The code returned.
    pub code: pyun_result,
    /// The message (never holds a secret: the core's errors never do).
    pub message: String,
}

impl FfiError {
    /// A new error.
    pub fn new(code: pyun_result, message: impl Into<String>) -> Self {
        FfiError {
            code,
            message: message.into(),
        }
    }
}

impl From<pyun_core::Error> for FfiError {
    fn from(e: pyun_core::Error) -> Self {
        use pyun_core::Error as E;
        let code = match &e {
            E::Validation(_) => pyun_result::Validation,
            E::Json(_) => pyun_result::MalformedJson,
            E::File { .. } => pyun_result::File,
            E::Config(_) => pyun_result::Config,
            E::Signature(_) => pyun_result::SignatureInvalid,
            E::Transport(_) => pyun_result::Transport,
            E::Api(_) => pyun_result::Rejected,
            E::Store(_) => pyun_result::Store,
            E::RecordsLost(_) => pyun_result::RecordsLost,
            _ => pyun_result::InvalidArgument,
        };
        FfiError::new(code, e.to_string())
    }
}

thread_local! {
    /// The last error of this thread, already encoded in the charset of the call that failed.
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread is inside [`guard`], for [`quiet_panics_in_guard`]'s hook.
    static IN_GUARD: Cell<bool> = const { Cell::new(false) };
    /// The line the hook wrote for a panic inside [`guard`], logged once it is caught.
    static PANIC_LINE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Logs the line of the panic just caught, if any (with no lock held: the stack unwound).
fn log_caught_panic() {
    let line = PANIC_LINE
        .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()))
        .ok()
        .flatten();
    if let Some(line) = line {
        log::error!("{}", line);
    }
}

/// A panic caught by [`guard`] is reported through the last error; Rust's default hook would
/// also print it, with a backtrace when `RUST_BACKTRACE` is set, to a stderr that a GUI host
/// does not have. Walking the stack of a 32-bit host that loaded MinGW's `libgcc_s` crashed
/// the process under wine. So, once per process, a hook is put in front of the one in place:
/// panics inside pyun's calls go to the log (one line, no backtrace), all others (of a Rust
/// program that links pyun as a library) to the previous hook, unchanged.
fn quiet_panics_in_guard() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_GUARD.try_with(Cell::get).unwrap_or(false) {
                // Logged by the boundary once the stack has unwound: here the panicking code
                // may still hold a lock, and the log callback may call pyun.
                let line = format!("internal error in pyun (please report): {}", info);
                let _ = PANIC_LINE.try_with(|p| {
                    if let Ok(mut p) = p.try_borrow_mut() {
                        *p = Some(line);
                    }
                });
            } else {
                previous(info);
            }
        }));
    });
}

/// Stores this thread's last error. Never panics: at thread exit (a C++ `thread_local`
/// destructor, a pthread key destructor) the storage may already be gone, and then the message
/// is dropped; the caller still gets its result code.
fn set_last_error(bytes: Vec<u8>) {
    let _ = LAST_ERROR.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            *l = bytes;
        }
    });
}

/// Runs an export's body: catches panics, records the error message, returns the code.
///
/// Everything that could panic (the body, encoding the message) runs inside `catch_unwind`;
/// what runs outside it ([`set_last_error`]) cannot panic, so no call aborts the host, even
/// during thread shutdown.
pub(crate) fn guard<F>(charset: Charset, f: F) -> pyun_result
where
    F: FnOnce() -> Result<pyun_result, FfiError>,
{
    quiet_panics_in_guard();
    let outer = IN_GUARD.try_with(Cell::get).unwrap_or(false);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _ = IN_GUARD.try_with(|g| g.set(true));
        match f() {
            Ok(code) => (code, Vec::new()),
            Err(e) => (e.code, charset.message(&e.message)),
        }
    }));
    let _ = IN_GUARD.try_with(|g| g.set(outer));
    let (code, message) = outcome.unwrap_or_else(|panic| {
        let message = catch_unwind(AssertUnwindSafe(move || {
            log_caught_panic();
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            charset.message(&format!("internal error in pyun (please report): {}", what))
        }));
        (pyun_result::Panic, message.unwrap_or_default())
    });
    set_last_error(message);
    code
}

/// Runs the body of a release function (`pyun_*_free`): catches panics. A misuse it reports
/// (`Err`: a pointer that is not a live handle or buffer of pyun's) goes to the thread's last
/// error and to the log; success leaves the last error as it was, as a release always has.
/// `f` is told whether this thread is already inside a pyun call (a release made from a
/// callback), when it must not wait for calls in flight.
pub(crate) fn release_guard<F>(f: F)
where
    F: FnOnce(bool) -> Result<(), FfiError>,
{
    quiet_panics_in_guard();
    let nested = IN_GUARD.try_with(Cell::get).unwrap_or(false);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _ = IN_GUARD.try_with(|g| g.set(true));
        f(nested).err().map(|e| {
            log::warn!("{}", e.message);
            Charset::Utf8.message(&e.message)
        })
    }));
    let _ = IN_GUARD.try_with(|g| g.set(nested));
    match outcome {
        Ok(None) => {}
        Ok(Some(message)) => set_last_error(message),
        Err(payload) => {
            // Dropping a payload runs its code: inside a boundary too.
            let _ = catch_unwind(AssertUnwindSafe(move || {
                log_caught_panic();
                drop(payload)
            }));
            set_last_error(
                b"internal error in pyun (please report): a panic in a release function".to_vec(),
            )
        }
    }
}

/// [`guard`] for a call that takes a `charset_code`: the code is checked inside the guard (an
/// unknown one is refused with its own error), and `f` gets the charset. Until the code is
/// known good, messages are written in UTF-8.
pub(crate) fn guard_charset<F>(charset_code: u32, f: F) -> pyun_result
where
    F: FnOnce(Charset) -> Result<pyun_result, FfiError>,
{
    guard(Charset::for_message(charset_code), || {
        f(Charset::from_code(charset_code)?)
    })
}

/// Copies the calling thread's last error message into `buf` (NUL-terminated, in the charset
/// of the call that failed) and returns its length without the NUL. If `buf` is NULL or
/// `len` is too small, nothing is written and the length needed (minus the NUL) is returned;
/// an empty message means the last call succeeded. Never fails.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn pyun_last_error_message(buf: *mut c_char, len: usize) -> usize {
    // At thread exit the storage may be gone: then there is no message (0).
    let result = catch_unwind(|| {
        LAST_ERROR
            .try_with(|l| {
                let msg = l.try_borrow().ok()?;
                if !buf.is_null() && len > msg.len() {
                    // SAFETY: the caller promises `buf` holds `len` writable bytes, and
                    // `len > msg.len()` leaves room for the message and its NUL.
                    std::ptr::copy_nonoverlapping(msg.as_ptr(), buf as *mut u8, msg.len());
                    *buf.add(msg.len()) = 0;
                }
                Some(msg.len())
            })
            .ok()
            .flatten()
            .unwrap_or(0)
    });
    result.unwrap_or(0)
}
