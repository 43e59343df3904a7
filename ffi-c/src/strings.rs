//! Strings and bytes going out: encoded in the caller's charset, recorded as handed out, and
//! released only if pyun handed them out (`pyun_string_free`, `pyun_bytes_free`).

use std::os::raw::c_char;

use crate::charset::Charset;
use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};

/// JSON for an out-parameter, in the caller's charset ([`Charset::json`]: exact, never fails).
pub(crate) fn json_c_string(cs: Charset, json: &str, name: &str) -> Result<*mut c_char, FfiError> {
    c_string(cs.json(json), name)
}

/// Plain text for the out-parameter `name`: PYUN_RESULT_INVALID_ENCODING when the caller's
/// charset cannot hold it ([`Charset::text`]).
pub(crate) fn text_c_string(cs: Charset, s: &str, name: &str) -> Result<*mut c_char, FfiError> {
    c_string(cs.text(s, name)?, name)
}

/// A string handed out (recorded for `pyun_string_free`).
fn c_string(bytes: Vec<u8>, name: &str) -> Result<*mut c_char, FfiError> {
    // Both encoders above keep NUL out (JSON escapes it, text refuses it): this is a backstop.
    if bytes.contains(&0) {
        return Err(FfiError::msg(
            pyun_result::InvalidEncoding,
            Msg::FfiStringNul,
            &[&name],
        ));
    }
    Ok(crate::buffers::out_string(bytes))
}

/// The library version, e.g. `"0.1.0"`; static, never freed.
#[no_mangle]
pub extern "C" fn pyun_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Releases a string returned by pyun. NULL is ignored. Only a string pyun returned and has
/// not freed yet is freed (whole, even if the caller wrote into it); any other pointer (freed
/// already, the caller's own memory, `pyun_version()`, a pointer into a string) is ignored,
/// never passed to the allocator, and reported in the last error. A body from
/// `pyun_request_body` is freed too, and the mix-up reported. On success the last error is
/// left as it was.
///
/// # Safety
/// None beyond the call itself: `s` is only compared with what pyun handed out, never read.
#[no_mangle]
pub unsafe extern "C" fn pyun_string_free(s: *mut c_char) {
    crate::buffers::release_string(s)
}

/// Releases bytes returned by pyun (a request body). NULL is ignored. Only a body pyun returned
/// and has not freed yet is freed; any other pointer is ignored, never passed to the allocator,
/// and reported in the last error. A `len` other than the one returned is reported, and the
/// body freed with its own length; a string from pyun is freed too, and the mix-up reported.
///
/// # Safety
/// None beyond the call itself: `bytes` is only compared with what pyun handed out, never read.
#[no_mangle]
pub unsafe extern "C" fn pyun_bytes_free(bytes: *mut u8, len: usize) {
    crate::buffers::release_bytes(bytes, len)
}
