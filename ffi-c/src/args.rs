//! Reading the arguments of the exports: pointers that must be writable, the secret of the
//! stateless calls, endpoint names and the `files_json` of photo paths.

use std::os::raw::c_char;

use pyun_core::{AppSecret, Endpoint, FileField, FileSource, Msg};
use serde_json::Value;

use crate::charset::Charset;
use crate::error::{pyun_result, FfiError};

pub(crate) fn check_out<T>(p: *mut T, name: &str) -> Result<(), FfiError> {
    if p.is_null() {
        Err(FfiError::null(name))
    } else {
        Ok(())
    }
}

/// The `app_secret` argument of the stateless calls: required and not empty.
pub(crate) unsafe fn secret(cs: Charset, ptr: *const c_char) -> Result<AppSecret, FfiError> {
    let s = cs.input(ptr, "app_secret")?;
    if s.is_empty() {
        return Err(FfiError::empty_secret());
    }
    Ok(AppSecret::new(s))
}

pub(crate) fn endpoint(s: &str) -> Result<Endpoint, FfiError> {
    s.parse().map_err(|e: pyun_core::Text| {
        FfiError::new(
            pyun_result::InvalidArgument,
            e.render(pyun_core::Lang::from_env()),
        )
    })
}

pub(crate) fn files(json: Option<String>) -> Result<Vec<(FileField, FileSource)>, FfiError> {
    let json = match json {
        None => return Ok(Vec::new()),
        Some(j) => j,
    };
    let v: Value = serde_json::from_str(&json)
        .map_err(|e| FfiError::msg(pyun_result::MalformedJson, Msg::FfiFilesJson, &[&e]))?;
    let obj = v
        .as_object()
        .ok_or_else(|| FfiError::msg(pyun_result::MalformedJson, Msg::FfiFilesJsonShape, &[]))?;
    obj.iter()
        .map(|(k, v)| {
            let field = FileField::from_name(k).ok_or_else(|| {
                FfiError::msg(pyun_result::InvalidArgument, Msg::FfiFilesJsonField, &[k])
            })?;
            let path = v.as_str().ok_or_else(|| {
                FfiError::msg(pyun_result::MalformedJson, Msg::FfiFilesJsonPath, &[k])
            })?;
            Ok((field, FileSource::Path(path.into())))
        })
        .collect()
}
