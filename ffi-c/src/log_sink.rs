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
use std::sync::{Mutex, Once, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::charset::Charset;
use crate::error::{pyun_result, FfiError};
use crate::panic::guard_charset;

/// Called with each log record: `level` 1 error, 2 warn, 3 info, 4 debug, 5 trace; `target`
/// the module (ASCII) and `message` NUL-terminated in the charset given when it was set. Both
/// strings are valid only during the call. It is called on the thread that logs: any thread,
/// the outbox's sender thread included, so it must be thread-safe and must not block long.
/// A pyun call made from inside it does not log (no recursion).
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

static CALLBACK: RwLock<Option<Callback>> = RwLock::new(None);
static FILE: RwLock<Option<FileSink>> = RwLock::new(None);

thread_local! {
    /// Set while this thread is inside the sink: a record logged from the callback is dropped.
    static LOGGING: Cell<bool> = const { Cell::new(false) };
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
        if let Ok(guard) = CALLBACK.read() {
            if let Some(cb) = guard.as_ref().filter(|c| record.level() <= c.max_level) {
                let target = CString::new(record.target().replace('\0', "")).unwrap_or_default();
                let text = CString::new(cb.charset.message(&message)).unwrap_or_default();
                // SAFETY: the host registered `f` with `userdata` for exactly this call; both
                // strings live until it returns.
                unsafe {
                    (cb.f)(
                        cb.userdata as *mut c_void,
                        record.level() as u32,
                        target.as_ptr(),
                        text.as_ptr(),
                    )
                };
            }
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
            return Err(FfiError::new(
                pyun_result::InvalidArgument,
                format!(
                    "`max_level` {}: use 0 (off), 1 (error), 2 (warn), 3 (info), 4 (debug) or 5 (trace)",
                    n
                ),
            ))
        }
    })
}

/// Sends pyun's log records up to `max_level` (1 error ... 5 trace; 0 or a NULL `callback`
/// turns it off) to `callback` with `userdata`, messages in `charset_code`. Replaces an
/// earlier callback. Process-wide; see [`pyun_log_callback`] for the rules of the callback.
///
/// # Safety
/// `callback` must stay callable, and `userdata` valid for it, until it is replaced or the
/// process ends (unset it before unloading the code it points to).
#[no_mangle]
pub unsafe extern "C" fn pyun_log_set_callback(
    callback: pyun_log_callback,
    userdata: *mut c_void,
    max_level: u32,
    charset_code: u32,
) -> pyun_result {
    guard_charset(charset_code, |charset| {
        let max_level = level_filter(max_level)?;
        let new = callback.map(|f| Callback {
            f,
            userdata: userdata as usize,
            max_level,
            charset,
        });
        *CALLBACK.write().unwrap_or_else(|e| e.into_inner()) = new;
        install();
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
                    return Err(FfiError::new(
                        pyun_result::InvalidArgument,
                        format!("`max_bytes` {}: at least 1024", max_bytes),
                    ));
                }
                let path = PathBuf::from(p);
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| {
                        FfiError::new(
                            pyun_result::File,
                            format!("log file {}: {}", path.display(), e),
                        )
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
