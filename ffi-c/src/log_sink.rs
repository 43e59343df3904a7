//! Logs from the DLL: a callback (as rustls-ffi and libcurl offer) and a file sink with a size
//! cap, for hosts that cannot take callbacks (VB6). What pyun logs never holds a secret or a
//! URL password: the core never puts them in a message (by construction, not by masking).
//!
//! The sink is the DLL's one `log` logger, so it is process-wide: one setting for every client
//! and outbox in the process. It ties no lots together (it holds no state of theirs) and every
//! thread may log through it at once.

use std::cell::Cell;
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::raw::{c_char, c_void};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, Once, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::charset::Charset;
use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};
use crate::panic::guard_charset;

/// Called with each log record: `level` 1 error, 2 warn, 3 info, 4 debug, 5 trace; `target`
/// the module (ASCII) and `message` NUL-terminated in the charset given when it was set. Both
/// strings are valid only during the call. It is called on the thread that logs: any thread,
/// the outbox's sender thread included, so it must be thread-safe and must not block long.
/// It is never called while pyun holds a lock: it may call any pyun function, including
/// `pyun_log_set_callback`; a pyun call made from inside it does not log (no recursion).
#[allow(non_camel_case_types)]
pub type pyun_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

struct Callback {
    f: unsafe extern "C" fn(*mut c_void, u32, *const c_char, *const c_char),
    userdata: usize,
    max_level: log::LevelFilter,
    charset: Charset,
}

struct FileSink {
    path: PathBuf,
    file: Mutex<Option<File>>,
    max_level: log::LevelFilter,
    max_bytes: u64,
}

/// The callback set now. A thread that logs takes a reference under the read lock and calls
/// it after letting the lock go: the lock is held for a clone, never for a call.
static CALLBACK: RwLock<Option<Arc<Callback>>> = RwLock::new(None);
/// Callbacks replaced while a call of theirs may still be running: their references count the
/// calls. `pyun_log_set_callback` waits (on [`ENDED`]) until they are the only ones left.
static RETIRED: Mutex<Vec<Arc<Callback>>> = Mutex::new(Vec::new());
/// Signalled each time a call of a callback ends.
static ENDED: Condvar = Condvar::new();
static FILE: RwLock<Option<FileSink>> = RwLock::new(None);

thread_local! {
    /// Set while this thread is inside the sink: a record logged from the callback is dropped.
    static LOGGING: Cell<bool> = const { Cell::new(false) };
    /// Set while this thread runs a host's event callback (`pyun_event_callback`).
    static IN_EVENT_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as inside a host's event callback until dropped: a
/// `pyun_log_set_callback` made there does not wait for log calls on other threads, which may
/// be waiting for this one (a `pyun_sender_stop` joining it).
pub(crate) struct EventCallbackScope(bool);

impl EventCallbackScope {
    pub(crate) fn enter() -> Self {
        EventCallbackScope(
            IN_EVENT_CALLBACK
                .try_with(|c| c.replace(true))
                .unwrap_or(false),
        )
    }
}

impl Drop for EventCallbackScope {
    fn drop(&mut self) {
        let outer = self.0;
        let _ = IN_EVENT_CALLBACK.try_with(|c| c.set(outer));
    }
}

/// Whether the calling thread is inside one of the host's callbacks.
fn in_callback() -> bool {
    LOGGING.try_with(Cell::get).unwrap_or(true)
        || IN_EVENT_CALLBACK.try_with(Cell::get).unwrap_or(true)
}

struct Sink;

impl log::Log for Sink {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        let reentered = LOGGING.try_with(|l| l.replace(true)).unwrap_or(true);
        if reentered {
            return;
        }
        let message = record.args().to_string();
        let callback = CALLBACK
            .read()
            .ok()
            .and_then(|c| c.clone())
            .filter(|c| record.level() <= c.max_level);
        if let Some(cb) = callback {
            let target = CString::new(record.target().replace('\0', "")).unwrap_or_default();
            let text = CString::new(cb.charset.message(&message)).unwrap_or_default();
            // SAFETY: the host registered `f` with `userdata` for exactly this call and keeps
            // them valid until `pyun_log_set_callback` replaces them and returns, which waits
            // for this call (`cb` counts it); both strings live until it returns.
            unsafe {
                (cb.f)(
                    cb.userdata as *mut c_void,
                    record.level() as u32,
                    target.as_ptr(),
                    text.as_ptr(),
                )
            };
            drop(cb);
            // Under the lock the waiter checks with: it cannot miss this.
            let _retired = RETIRED.lock().unwrap_or_else(|e| e.into_inner());
            ENDED.notify_all();
        }
        if let Ok(guard) = FILE.read() {
            if let Some(sink) = guard.as_ref().filter(|s| record.level() <= s.max_level) {
                sink.write(record.level(), record.target(), &message);
            }
        }
        let _ = LOGGING.try_with(|l| l.set(false));
    }

    fn flush(&self) {}
}

impl FileSink {
    /// One line per record (UTF-8); when the file would pass `max_bytes` it becomes
    /// `<path>.1` (replacing the previous one) and a new file starts: at most twice the cap
    /// on the disk of a parking PC. A write that fails is dropped: logging never fails a call.
    fn write(&self, level: log::Level, target: &str, message: &str) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let line = format!(
            "{}.{:03} {:5} {} {}\n",
            now.as_secs(),
            now.subsec_millis(),
            level,
            target,
            message.replace('\n', " ")
        );
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let size = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
        if file.is_none() || size.saturating_add(line.len() as u64) > self.max_bytes {
            if size > 0 {
                *file = None;
                let mut old = self.path.clone().into_os_string();
                old.push(".1");
                let _ = std::fs::rename(&self.path, old);
            }
            *file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
        }
        if let Some(f) = file.as_mut() {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// Installs the sink as the DLL's logger once; the level then follows the sinks set.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = log::set_logger(&Sink);
    });
    let level = |l: Option<log::LevelFilter>| l.unwrap_or(log::LevelFilter::Off);
    let cb = CALLBACK
        .read()
        .ok()
        .and_then(|c| c.as_ref().map(|c| c.max_level));
    let file = FILE
        .read()
        .ok()
        .and_then(|f| f.as_ref().map(|f| f.max_level));
    log::set_max_level(level(cb).max(level(file)));
}

fn level_filter(level: u32) -> Result<log::LevelFilter, FfiError> {
    Ok(match level {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        5 => log::LevelFilter::Trace,
        n => {
            return Err(FfiError::msg(
                pyun_result::InvalidArgument,
                Msg::FfiMaxLevel,
                &[&n],
            ))
        }
    })
}

/// Sends pyun's log records up to `max_level` (1 error ... 5 trace; 0 or a NULL `callback`
/// turns it off) to `callback` with `userdata`, messages in `charset_code`. Replaces an
/// earlier callback. Process-wide; see [`pyun_log_callback`] for the rules of the callback.
/// Once it returns, no earlier callback is running or will run: it waits for calls in
/// progress on other threads (one callback call at most each). Called from inside a pyun
/// callback (log or event) it does not wait: no call starts after it returns, but calls
/// already running on other threads may still be finishing.
///
/// # Safety
/// `callback` must stay callable, and `userdata` valid for it, until a later
/// `pyun_log_set_callback` (made outside a callback) has returned, or the process ends (unset
/// it before unloading the code it points to).
#[no_mangle]
pub unsafe extern "C" fn pyun_log_set_callback(
    callback: pyun_log_callback,
    userdata: *mut c_void,
    max_level: u32,
    charset_code: u32,
) -> pyun_result {
    guard_charset(charset_code, |charset| {
        let max_level = level_filter(max_level)?;
        let new = callback.map(|f| {
            Arc::new(Callback {
                f,
                userdata: userdata as usize,
                max_level,
                charset,
            })
        });
        let old = std::mem::replace(
            &mut *CALLBACK.write().unwrap_or_else(|e| e.into_inner()),
            new,
        );
        install();
        let mut retired = RETIRED.lock().unwrap_or_else(|e| e.into_inner());
        retired.extend(old);
        retired.retain(|c| Arc::strong_count(c) > 1);
        if !in_callback() {
            // No call of an earlier callback runs once this returns: the host may free its
            // userdata. (From inside a callback the calls on other threads are not waited
            // for: one of them may be waiting for this thread.)
            let _idle = ENDED
                .wait_while(retired, |r| {
                    r.retain(|c| Arc::strong_count(c) > 1);
                    !r.is_empty()
                })
                .unwrap_or_else(|e| e.into_inner());
        }
        Ok(pyun_result::Ok)
    })
}

/// Appends pyun's log records up to `max_level` (1 error ... 5 trace; 0 or a NULL `path` turns
/// it off) to the file `path` (in `charset_code`), one line each, UTF-8. When the file would
/// pass `max_bytes` it is renamed `<path>.1` (replacing the previous one) and a new file is
/// started. Process-wide; replaces an earlier file sink.
///
/// # Safety
/// `path` must be NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pyun_log_set_file(
    path: *const c_char,
    max_level: u32,
    max_bytes: u64,
    charset_code: u32,
) -> pyun_result {
    guard_charset(charset_code, |charset| {
        let max_level = level_filter(max_level)?;
        let new = match charset.optional(path, "path")? {
            Some(p) if max_level != log::LevelFilter::Off => {
                if max_bytes < 1024 {
                    return Err(FfiError::msg(
                        pyun_result::InvalidArgument,
                        Msg::FfiMaxBytes,
                        &[&max_bytes],
                    ));
                }
                let path = PathBuf::from(p);
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| {
                        FfiError::msg(pyun_result::File, Msg::FfiLogFile, &[&path.display(), &e])
                    })?;
                Some(FileSink {
                    path,
                    file: Mutex::new(Some(file)),
                    max_level,
                    max_bytes,
                })
            }
            _ => None,
        };
        *FILE.write().unwrap_or_else(|e| e.into_inner()) = new;
        install();
        Ok(pyun_result::Ok)
    })
}
