//! The request handle: a record validated and signed with a client's secret but not sent, for
//! applications that keep their own HTTP code.

use std::os::raw::c_char;

use pyun_core::SignedRequest;
use serde_json::{json, Value};

use crate::args::check_out;
use crate::charset::Charset;
use crate::client::{pyun_client, read_record};
use crate::error::pyun_result;
use crate::handle::{release, with_handle, Handle, Registry};
use crate::strings::json_c_string;

/// A signed request that was built but not sent. Opaque.
#[allow(non_camel_case_types)]
pub struct pyun_request {
    request: SignedRequest,
    base_url: String,
    charset: Charset,
}

/// The live requests, by handle.
static REQUESTS: Registry<pyun_request> = Registry::new();

impl Handle for pyun_request {
    const KIND: usize = 2;
    const TYPE: &'static str = "pyun_request";
    fn registry() -> &'static Registry<Self> {
        &REQUESTS
    }
    fn charset(&self) -> Charset {
        self.charset
    }
}

/// Validates and signs a record with this client's secret and options without sending it, for
/// applications that keep their own HTTP code. Read it with `pyun_request_info` and
/// `pyun_request_body`; release it with `pyun_request_free`.
///
/// # Safety
/// As `pyun_client_push`; `out_request` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_client_build_request(
    client: *const pyun_client,
    endpoint_name: *const c_char,
    record_json: *const c_char,
    files_json: *const c_char,
    out_request: *mut *mut pyun_request,
) -> pyun_result {
    with_handle(client, "client", "pyun_client_build_request", |c| {
        check_out(out_request, "out_request")?;
        let (record, files) = read_record(c, endpoint_name, record_json, files_json)?;
        let request = c.client().build(&record, &files)?;
        let base_url = c
            .client()
            .config()
            .base_url
            .trim_end_matches('/')
            .to_string();
        *out_request = REQUESTS.insert(pyun_request {
            request,
            base_url,
            charset: c.charset(),
        });
        Ok(pyun_result::Ok)
    })
}

/// Describes a built request: `*out_json` receives `{"url", "path", "content_type",
/// "content_length", "sign", "canonical" (secret masked), "fields"}`. Send it as
/// `POST url` with that `Content-Type` and the bytes of `pyun_request_body`.
///
/// # Safety
/// `out_json` must be writable. (`request` is checked: anything but a live request is
/// PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_request_info(
    request: *const pyun_request,
    out_json: *mut *mut c_char,
) -> pyun_result {
    with_handle(request, "request", "pyun_request_info", |r| {
        let cs = r.charset;
        check_out(out_json, "out_json")?;
        let req = &r.request;
        let fields: serde_json::Map<String, Value> = req
            .fields()
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let v = json!({
            "url": format!("{}{}", r.base_url, req.path()),
            "path": req.path(),
            "content_type": req.content_type(),
            "content_length": req.content_length(),
            "sign": req.sign(),
            "canonical": req.canonical_masked(),
            "fields": fields,
        });
        *out_json = json_c_string(cs, &v.to_string(), "out_json")?;
        Ok(pyun_result::Ok)
    })
}

/// The exact request body (photos included), in memory. Release with `pyun_bytes_free`.
///
/// # Safety
/// `out_body` and `out_len` must be writable. (`request` is checked: anything but a live
/// request is PYUN_RESULT_INVALID_HANDLE.)
#[no_mangle]
pub unsafe extern "C" fn pyun_request_body(
    request: *const pyun_request,
    out_body: *mut *mut u8,
    out_len: *mut usize,
) -> pyun_result {
    with_handle(request, "request", "pyun_request_body", |r| {
        check_out(out_body, "out_body")?;
        check_out(out_len, "out_len")?;
        let (body, len) = crate::buffers::out_bytes(r.request.body_bytes()?);
        *out_len = len;
        *out_body = body;
        Ok(pyun_result::Ok)
    })
}

/// Releases a request. NULL is ignored. As `pyun_client_free`: it waits for calls running on
/// it; anything but a live request is ignored and reported.
///
/// # Safety
/// None beyond the call itself: `request` is only compared with the handles pyun handed out.
#[no_mangle]
pub unsafe extern "C" fn pyun_request_free(request: *mut pyun_request) {
    release(request, "request", "pyun_request_free")
}
