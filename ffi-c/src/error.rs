//! Result codes, the one translation of core errors into them, and the thread-local last
//! error message. The panic boundary every export runs in is `panic.rs`.

use std::cell::RefCell;
use std::os::raw::c_char;
use std::panic::catch_unwind;

use pyun_core::contract::ErrorKind;

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
    /// `pyun_outbox_open`: the outbox cannot tell whether committed records were lost, so it
    /// was not opened: its side file `<db>-enqueued` is missing, damaged or unreadable, or
    /// belongs to another database (the database was deleted or replaced; the last error then
    /// names the records the side file knows). Nothing was changed. An operator who knows the
    /// database is complete opens it once with `PYUN_OUTBOX_ACCEPT_FRESH_START`.
    OutboxUnverified = 14,
    /// `pyun_outbox_open`: the outbox is on a network share (a UNC path, a mapped network
    /// drive, NFS, CIFS), where SQLite's WAL journal cannot keep its guarantees; nothing was
    /// created. `PYUN_OUTBOX_ALLOW_NETWORK_SHARE` opens it anyway.
    NetworkShare = 15,
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

/// The C number of each kind of the binding contract (`pyun_core::contract`); a test checks
/// them against the contract's table.
impl From<ErrorKind> for pyun_result {
    fn from(k: ErrorKind) -> Self {
        match k {
            ErrorKind::InvalidBody => pyun_result::InvalidArgument,
            ErrorKind::MalformedJson => pyun_result::MalformedJson,
            ErrorKind::Validation => pyun_result::Validation,
            ErrorKind::File => pyun_result::File,
            ErrorKind::Config => pyun_result::Config,
            ErrorKind::SignatureInvalid => pyun_result::SignatureInvalid,
            ErrorKind::Transport => pyun_result::Transport,
            ErrorKind::Rejected => pyun_result::Rejected,
            ErrorKind::Store => pyun_result::Store,
            ErrorKind::RecordsLost => pyun_result::RecordsLost,
            ErrorKind::OutboxUnverified => pyun_result::OutboxUnverified,
            ErrorKind::NetworkShare => pyun_result::NetworkShare,
        }
    }
}

impl FfiError {
    /// PYUN_RESULT_CONFIG for an empty `app_secret`, as the core says it.
    pub fn empty_secret() -> Self {
        let text = pyun_core::Text::new(pyun_core::Msg::AppSecretEmpty, &[]);
        pyun_core::Error::Config(text).into()
    }
}

/// A core error's message is written in the language the environment asks for, read at
/// each failing call (`PYUN_LANG` = `en` / `zh`, else the locale, else on Windows the user's
/// UI language; English by default), then encoded in the call's charset (GBK included).
impl From<pyun_core::Error> for FfiError {
    fn from(e: pyun_core::Error) -> Self {
        FfiError::in_lang(e, pyun_core::Lang::from_env())
    }
}

impl FfiError {
    /// The C ABI's own message from the catalog, in the language the environment asks for
    /// (as a core error's, below).
    pub fn msg(code: pyun_result, msg: pyun_core::Msg, args: &[&dyn std::fmt::Display]) -> Self {
        FfiError::new(code, msg.text(pyun_core::Lang::from_env(), args))
    }

    /// A `NULL` pointer argument `name`.
    pub fn null(name: &str) -> Self {
        FfiError::msg(pyun_result::NullArgument, pyun_core::Msg::FfiNull, &[&name])
    }

    /// A core error, its message in `lang` (a client's configured language).
    pub fn in_lang(e: pyun_core::Error, lang: pyun_core::Lang) -> Self {
        FfiError::new(e.kind().into(), e.message(lang))
    }
}

thread_local! {
    /// The last error of this thread, already encoded in the charset of the call that failed.
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Stores this thread's last error. Never panics: at thread exit (a C++ `thread_local`
/// destructor, a pthread key destructor) the storage may already be gone, and then the message
/// is dropped; the caller still gets its result code.
pub(crate) fn set_last_error(bytes: Vec<u8>) {
    let _ = LAST_ERROR.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            *l = bytes;
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_numbers_are_the_contracts() {
        for k in ErrorKind::ALL {
            assert_eq!(pyun_result::from(k) as u32, k.info().c_result, "{:?}", k);
        }
    }
}
