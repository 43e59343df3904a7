//! Signing and verifying without a client: the sign of fields, the canonical string, a push's
//! verification, and signed pushes for testing a receiver.

use std::os::raw::c_char;

use pyun_core::push::{fields_from_json, parse_form_body, sign_push};
use pyun_core::sign::{self, EmptyRule};
use serde_json::Value;

use crate::args::{check_out, secret};
use crate::error::pyun_result;
use crate::panic::guard_charset;
use crate::strings::{json_c_string, text_c_string};

/// Signs a flat JSON object of string fields: `*out_sign` receives the 32-character uppercase
/// MD5 sign. A `sign` field in the object is ignored. An empty `app_secret` is
/// PYUN_RESULT_CONFIG.
///
/// # Safety
/// Strings must be NUL-terminated; `out_sign` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_sign(
    fields_json: *const c_char,
    app_secret: *const c_char,
    charset_code: u32,
    out_sign: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_sign, "out_sign")?;
        let fields = fields_from_json(&cs.input(fields_json, "fields_json")?)?;
        let secret = secret(cs, app_secret)?;
        *out_sign = text_c_string(cs, &sign::sign(&fields, &secret), "out_sign")?;
        Ok(pyun_result::Ok)
    })
}

/// The canonical string of a flat JSON object of fields, with `&app_secret=***` appended,
/// exactly as the platform prints it in a hint. Safe to log.
///
/// # Safety
/// Strings must be NUL-terminated; `out_canonical` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_canonical_string(
    fields_json: *const c_char,
    charset_code: u32,
    out_canonical: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_canonical, "out_canonical")?;
        let fields = fields_from_json(&cs.input(fields_json, "fields_json")?)?;
        let canonical = sign::masked_canonical_string(&fields);
        *out_canonical = text_c_string(cs, &canonical, "out_canonical")?;
        Ok(pyun_result::Ok)
    })
}

/// Verifies a push received from the platform, given as a JSON object of fields or as the raw
/// `application/x-www-form-urlencoded` body. Returns PYUN_RESULT_OK when the signature holds
/// (`*out_rule` = 1: empty values signed, the current rule; 2: empty values skipped, the older
/// rule) and PYUN_RESULT_SIGNATURE_INVALID when it does not (also when it has no `sign`). An
/// empty `app_secret` is PYUN_RESULT_CONFIG.
///
/// # Safety
/// Strings must be NUL-terminated; `out_rule` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_verify(
    push: *const c_char,
    app_secret: *const c_char,
    charset_code: u32,
    out_rule: *mut i32,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_rule, "out_rule")?;
        let text = cs.input(push, "push")?;
        let trimmed = text.trim();
        let fields = if trimmed.starts_with('{') {
            fields_from_json(trimmed)?
        } else {
            parse_form_body(trimmed.as_bytes())?
        };
        let secret = secret(cs, app_secret)?;
        match sign::verify(&fields, &secret) {
            Ok(rule) => {
                *out_rule = if rule == EmptyRule::Included { 1 } else { 2 };
                Ok(pyun_result::Ok)
            }
            Err(e) => Err(pyun_core::Error::Signature(e).into()),
        }
    })
}

/// Produces a correctly signed platform push (adds `app_id`, `sign_type`, `timestamp`, `sign`)
/// from a flat JSON object, for testing a receiver. `*out_json` receives the signed fields.
/// An empty `app_secret` is PYUN_RESULT_CONFIG.
///
/// # Safety
/// Strings must be NUL-terminated; `out_json` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_sign_push(
    fields_json: *const c_char,
    app_secret: *const c_char,
    app_id: *const c_char,
    charset_code: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_json, "out_json")?;
        let fields = fields_from_json(&cs.input(fields_json, "fields_json")?)?;
        let secret = secret(cs, app_secret)?;
        let app_id = cs.input(app_id, "app_id")?;
        let signed = sign_push(&fields, &secret, &app_id, None);
        let obj: serde_json::Map<String, Value> = signed
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        *out_json = json_c_string(cs, &Value::Object(obj).to_string(), "out_json")?;
        Ok(pyun_result::Ok)
    })
}
