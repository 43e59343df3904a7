//! `pyun_explain` and `pyun_explain_files`: explain a platform hint against the record that was
//! sent (with its photos).

use std::os::raw::c_char;

use pyun_core::push::fields_from_json;
use pyun_core::{AnyRecord, Record};

use crate::args::{check_out, endpoint, files};
use crate::error::pyun_result;
use crate::panic::guard_charset;
use crate::strings::json_c_string;

/// Explains a platform `hint` (from an ignored or rejected push) against the record that was
/// sent. `endpoint` ("enter", "leave", "release", "update") reads `record_json` as a typed
/// record; NULL reads it as flat fields. `*out_json` receives
/// `{"cause": "wrong_secret"|"fields_differ"|"missing_parameter"|"unrecognised", "summary": ...,
/// "differing": [...], "only_local": [...], "only_platform": [...], ...}`.
///
/// # Safety
/// Strings must be NUL-terminated (`endpoint` may be NULL); `out_json` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_explain(
    hint: *const c_char,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    charset_code: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    // The same call without photos: one implementation (and its panic boundary) for both.
    crate::explain::pyun_explain_files(
        hint,
        endpoint_name,
        record_json,
        std::ptr::null(),
        charset_code,
        out_json,
    )
}

/// As `pyun_explain`, for a record that was pushed with photos: `files_json` is NULL or the
/// same object given to `pyun_client_push` (`{"leave_image_file": "C:\\photos\\a.jpg"}`).
/// Each photo's MD5 becomes the `*_hash` field the platform signed; without them a push
/// with photos and a wrong secret looks like "the platform saw other fields". When the photos
/// are no longer at hand, put their `*_hash` fields in `record_json` instead.
///
/// # Safety
/// Strings must be NUL-terminated (`endpoint_name` and `files_json` may be NULL); `out_json`
/// must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_explain_files(
    hint: *const c_char,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
    charset_code: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_json, "out_json")?;
        let hint = cs.input(hint, "hint")?;
        let record = cs.input(record_json, "record_json")?;
        let fields = match cs.optional(endpoint_name, "endpoint")? {
            Some(e) => AnyRecord::from_json(endpoint(&e)?, &record)?.to_fields(),
            None => fields_from_json(&record)?,
        };
        let files = files(cs.optional(files_json, "files_json")?)?;
        let fields = pyun_core::explain::with_file_hashes(fields, &files)?;
        let d = pyun_core::explain(&hint, &fields);
        let v = pyun_core::contract::diagnosis_json(&d);
        *out_json = json_c_string(cs, &v.to_string(), "out_json")?;
        Ok(pyun_result::Ok)
    })
}
