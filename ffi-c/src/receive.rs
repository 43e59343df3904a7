//! Receiving the platform's pushes from C, C#, Delphi or C++: the request as it arrived (its
//! `Content-Type` and body bytes), in any encoding (urlencoded with its declared charset,
//! multipart/form-data, a JSON object of strings; sniffed when the type is missing or unknown).
//!
//! No new result codes: an unreadable body is PYUN_RESULT_INVALID_ARGUMENT (malformed JSON is
//! PYUN_RESULT_MALFORMED_JSON), a bad or missing `sign` PYUN_RESULT_SIGNATURE_INVALID with a
//! message saying which.

use std::os::raw::c_char;

use pyun_core::contract::received_push_json;
use pyun_core::receive::{self, PushKind};
use pyun_core::sign::EmptyRule;
use pyun_core::AppSecret;

use crate::args::check_out;
use crate::charset::Charset;
use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};
use crate::panic::guard_charset;
use crate::strings::json_c_string;

/// The body bytes: NULL is allowed only with a length of 0.
///
/// # Safety
/// `body` must be NULL or point to `len` readable bytes.
unsafe fn body<'a>(body: *const u8, len: usize) -> Result<&'a [u8], FfiError> {
    if body.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(FfiError::msg(
            pyun_result::NullArgument,
            Msg::FfiBodyNull,
            &[],
        ));
    }
    // SAFETY: the caller promises `body` points to `len` readable bytes that stay valid for
    // the call; they are only read.
    Ok(std::slice::from_raw_parts(body, len))
}

/// Reads a received push's fields. `content_type` is the request's `Content-Type` header (NULL
/// or empty: sniffed from the body); `body`/`body_len` its bytes as received (not converted:
/// the charset of a urlencoded body comes from its Content-Type). `*out_json` receives
/// `{"encoding": "form"|"multipart"|"json", "kind": "payment"|"leave"|"unknown", "key": ...,
/// "fields": {...}}` in `charset_code`'s charset. Nothing is verified: see
/// [`pyun_verify_push_request`].
///
/// # Safety
/// `content_type` must be NULL or NUL-terminated; `body` must be NULL (with `body_len` 0) or
/// point to `body_len` bytes; `out_json` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_parse_push_request(
    content_type: *const c_char,
    body: *const u8,
    body_len: usize,
    charset_code: u32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_json, "out_json")?;
        let ct = cs.optional(content_type, "content_type")?;
        let bytes = self::body(body, body_len)?;
        let encoding = receive::body_encoding(ct.as_deref(), bytes)?;
        let fields = receive::parse_request(ct.as_deref(), bytes)?;
        let (kind, key) = PushKind::of(&fields);
        let v = received_push_json(encoding, kind, &key, &fields);
        *out_json = json_c_string(cs, &v.to_string(), "out_json")?;
        Ok(pyun_result::Ok)
    })
}

/// Reads and verifies a received push (see [`pyun_parse_push_request`] for the arguments).
/// On success `*out_rule` is 1 (empty values signed, the current rule) or 2 (skipped, the
/// older rule), and `*out_json` (when `out_json` is not NULL) the push as
/// [`pyun_parse_push_request`] gives it. A wrong secret or altered fields, or a push with no
/// `sign`, is PYUN_RESULT_SIGNATURE_INVALID, and the message says which. Answer the platform
/// `{"code":"1001"}` only after the push is handled.
///
/// # Safety
/// As [`pyun_parse_push_request`]; `app_secret` must be NUL-terminated; `out_rule` writable;
/// `out_json` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_verify_push_request(
    content_type: *const c_char,
    body: *const u8,
    body_len: usize,
    app_secret: *const c_char,
    charset_code: u32,
    out_rule: *mut i32,
    out_json: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs: Charset| {
        check_out(out_rule, "out_rule")?;
        let ct = cs.optional(content_type, "content_type")?;
        let bytes = self::body(body, body_len)?;
        let secret = cs.input(app_secret, "app_secret")?;
        if secret.is_empty() {
            return Err(FfiError::empty_secret());
        }
        let push = receive::verify_request(ct.as_deref(), bytes, &AppSecret::new(secret))?;
        if !out_json.is_null() {
            let v = received_push_json(push.encoding, push.kind, &push.key, &push.fields);
            *out_json = json_c_string(cs, &v.to_string(), "out_json")?;
        }
        *out_rule = if push.empty_rule == EmptyRule::Included {
            1
        } else {
            2
        };
        Ok(pyun_result::Ok)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{CStr, CString};

    fn take(p: *mut c_char) -> String {
        // SAFETY: `p` came from a successful call and is freed exactly once, here.
        unsafe {
            let s = CStr::from_ptr(p).to_string_lossy().into_owned();
            crate::strings::pyun_string_free(p);
            s
        }
    }

    #[test]
    fn parse_and_verify_every_encoding() {
        let secret = AppSecret::new("s");
        let signed = pyun_core::push::sign_push(
            &[
                ("pay_serial".into(), "P1".into()),
                ("car_desc".into(), "".into()),
            ],
            &secret,
            "app",
            None,
        );
        let json_body = serde_json::Value::Object(
            signed
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect(),
        )
        .to_string();
        let mut mp = String::new();
        for (k, v) in &signed {
            mp.push_str(&format!(
                "--B\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                k, v
            ));
        }
        mp.push_str("--B--\r\n");
        let s = CString::new("s").unwrap();
        for (ct, body) in [
            (None, json_body.as_str()),
            (Some("multipart/form-data; boundary=B"), mp.as_str()),
        ] {
            let ct = ct.map(|c| CString::new(c).unwrap());
            let ctp = ct.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
            let mut out = std::ptr::null_mut();
            let mut rule = 0;
            // SAFETY: valid NUL-terminated strings, a body of the given length, writable outs.
            let r = unsafe {
                pyun_verify_push_request(
                    ctp,
                    body.as_ptr(),
                    body.len(),
                    s.as_ptr(),
                    65001,
                    &mut rule,
                    &mut out,
                )
            };
            assert_eq!(r, pyun_result::Ok);
            assert_eq!(rule, 1);
            let v: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
            assert_eq!(
                (v["kind"].as_str(), v["key"].as_str()),
                (Some("payment"), Some("P1"))
            );
            let mut out = std::ptr::null_mut();
            // SAFETY: as above.
            let r =
                unsafe { pyun_parse_push_request(ctp, body.as_ptr(), body.len(), 65001, &mut out) };
            assert_eq!(r, pyun_result::Ok);
            assert!(take(out).contains("\"car_desc\":\"\""));
        }
        // No sign: SIGNATURE_INVALID, saying so; an unreadable body: INVALID_ARGUMENT.
        let mut rule = 0;
        let body = b"a=1";
        // SAFETY: as above; `out_json` may be NULL.
        let r = unsafe {
            pyun_verify_push_request(
                std::ptr::null(),
                body.as_ptr(),
                body.len(),
                s.as_ptr(),
                65001,
                &mut rule,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(r, pyun_result::SignatureInvalid);
        let xml = CString::new("text/xml").unwrap();
        let mut out = std::ptr::null_mut();
        // SAFETY: as above.
        let r =
            unsafe { pyun_parse_push_request(xml.as_ptr(), b"<a/>".as_ptr(), 4, 65001, &mut out) };
        assert_eq!(r, pyun_result::InvalidArgument);
        // SAFETY: as above; a NULL body with a length is refused.
        let r =
            unsafe { pyun_parse_push_request(xml.as_ptr(), std::ptr::null(), 4, 65001, &mut out) };
        assert_eq!(r, pyun_result::NullArgument);
    }
}
