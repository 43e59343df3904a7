//! The panic boundary every export runs in ([`guard`], [`release_guard`]): a panic becomes
//! `PYUN_RESULT_PANIC` and a last error message, never an unwind into the host; an error's
//! message is written in the charset of the call.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::charset::Charset;
use crate::error::{pyun_result, set_last_error, FfiError};

thread_local! {
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
            let text = pyun_core::Msg::FfiInternal.text(pyun_core::Lang::from_env(), &[&what]);
            charset.message(&text)
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
