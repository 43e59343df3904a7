//! # libpyun: the C ABI of pyun
//!
//! Conventions (after rustls-ffi): every function is prefixed `pyun_`; handles are opaque, made
//! by `_new` and released by `_free` (which accepts NULL); every call returns a
//! [`pyun_result`] with fixed numbers; out-parameters are written only on success (the one
//! documented exception: a push the platform refused also fills its outcome and result);
//! every export runs inside a panic boundary; every pointer is checked; input strings are
//! copied; output strings are library-owned and released with [`pyun_string_free`]; when a call
//! fails, [`pyun_last_error_message`] says why (never with a secret in it).
//!
//! Strings are UTF-8 unless the call (or the client) is given a `charset` of 936 (GBK) or
//! 54936 (GB18030); output strings come back in the same charset. Any other charset number is
//! an error (`PYUN_RESULT_INVALID_ARGUMENT`), never a silent fallback to UTF-8.
//!
//! Handles (`pyun_client *`, `pyun_request *`, `pyun_outbox *`) are numbers pyun looks up in
//! a registry on every call, never addresses it reads: a freed handle, a handle of another type
//! or any other pointer is `PYUN_RESULT_INVALID_HANDLE`; a `_free` waits for the calls running
//! on its handle; a second `_free`, or a free of a string pyun did not hand out, is ignored and
//! reported (`handle` module).
//!
//! Threads: no state ties clients together. A `pyun_client` may be used from many threads at
//! once; the registries are process-wide but sharded, so calls on different handles do not
//! wait for each other. Calls made at thread exit (C++
//! `thread_local` or pthread key destructors) return their code like any other; only the
//! message may be dropped, because the thread-local storage it is kept in may be gone.
#![allow(clippy::missing_safety_doc)]

// Helpers without exports.
mod args;
mod buffers;
mod charset;
mod handle;

// The modules with exports, one per line, in the order include/pyun.h presents them (cbindgen
// follows the order of these declarations): the version and releasing what pyun returns, the
// last error, signing, the client and its requests, explaining a refusal, reading a field of
// the JSON pyun returns and local time as epoch milliseconds (for VB6 and Delphi 7), receiving
// pushes, the outbox, its background sender, logs.
mod strings;

mod error;
mod panic;

mod sign;

mod client;

mod request;

mod explain;

mod json_field;

mod local_time;

mod receive;

mod outbox;

mod delivery;

mod log_sink;

#[cfg(feature = "test-panic")]
mod test_panic;

pub use client::*;
pub use delivery::*;
pub use error::{pyun_last_error_message, pyun_result};
pub use explain::*;
pub use json_field::*;
pub use local_time::*;
pub use log_sink::*;
pub use outbox::*;
pub use receive::*;
pub use request::*;
pub use sign::*;
pub use strings::*;
