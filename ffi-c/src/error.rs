//! Result codes, the thread-local last error message, and the panic boundary.

use std::cell::RefCell;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
    /// A string is not valid in the charset given (UTF-8 by default).
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
}

fn set_last_error(bytes: Vec<u8>) {
    LAST_ERROR.with(|l| *l.borrow_mut() = bytes);
}

/// Runs an export's body: catches panics, records the error message, returns the code.
pub(crate) fn guard<F>(charset: Charset, f: F) -> pyun_result
where
    F: FnOnce() -> Result<pyun_result, FfiError>,
{
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(code)) => {
            set_last_error(Vec::new());
            code
        }
        Ok(Err(e)) => {
            set_last_error(charset.encode(&e.message));
            e.code
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(
                charset.encode(&format!("internal error in pyun (please report): {}", what)),
            );
            pyun_result::Panic
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
    let result = catch_unwind(|| {
        LAST_ERROR.with(|l| {
            let msg = l.borrow();
            if !buf.is_null() && len > msg.len() {
                std::ptr::copy_nonoverlapping(msg.as_ptr(), buf as *mut u8, msg.len());
                *buf.add(msg.len()) = 0;
            }
            msg.len()
        })
    });
    result.unwrap_or(0)
}
