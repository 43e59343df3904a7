//! `pyun_json_field`: one field of the JSON pyun returns (a push result, an event, a record's
//! status), for languages without a JSON parser (VB6, Delphi 7). serde_json does the parsing;
//! only the path syntax (names and indexes joined by dots) is ours.

use std::os::raw::c_char;

use serde_json::Value;

use crate::args::check_out;
use pyun_core::Msg;

use crate::error::{pyun_result, FfiError};
use crate::panic::guard_charset;
use crate::strings::{json_c_string, text_c_string};

/// Reads one field of a JSON text (the result of a push, an event, an outbox record...).
/// `path` names it: a field name (`"hint"`), names and array indexes joined by dots
/// (`"0.seqno"`: the first event's `seqno`; `"response.code"`), or `length` after an array
/// (`"length"`: how many events). `*out_found` receives 1 when the field is there and not
/// `null`, else 0; `*out_value` receives its text: a string without quotes, a number, `true` or
/// `false` as written, an object or an array as JSON; `""` when not found. Both are written
/// only on success. JSON that does not parse is PYUN_RESULT_MALFORMED_JSON; a path that is
/// empty or steps into a string or a number is PYUN_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// Strings must be NUL-terminated; `out_found` and `out_value` must be writable.
#[no_mangle]
pub unsafe extern "C" fn pyun_json_field(
    json: *const c_char,
    path: *const c_char,
    charset_code: u32,
    out_found: *mut i32,
    out_value: *mut *mut c_char,
) -> pyun_result {
    guard_charset(charset_code, |cs| {
        check_out(out_found, "out_found")?;
        check_out(out_value, "out_value")?;
        let text = cs.input(json, "json")?;
        let path = cs.input(path, "path")?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| FfiError::new(pyun_result::MalformedJson, format!("`json`: {}", e)))?;
        let (found, out) = match field(&value, &path)? {
            None | Some(Value::Null) => (0, text_c_string(cs, "", "out_value")?),
            Some(Value::String(s)) => (1, text_c_string(cs, &s, "out_value")?),
            Some(v) => (1, json_c_string(cs, &v.to_string(), "out_value")?),
        };
        *out_found = found;
        *out_value = out;
        Ok(pyun_result::Ok)
    })
}

/// The value at `path` (`None`: a name or index that is not there).
fn field(value: &Value, path: &str) -> Result<Option<Value>, FfiError> {
    if path.is_empty() {
        return Err(FfiError::msg(
            pyun_result::InvalidArgument,
            Msg::FfiPathEmpty,
            &[],
        ));
    }
    let mut at = value;
    let mut walked = String::new();
    for step in path.split('.') {
        let next = match at {
            Value::Object(map) => map.get(step),
            Value::Array(items) if step == "length" => return Ok(Some(Value::from(items.len()))),
            Value::Array(items) => match step.parse::<usize>() {
                Ok(i) => items.get(i),
                Err(_) => {
                    return Err(FfiError::msg(
                        pyun_result::InvalidArgument,
                        Msg::FfiPathArray,
                        &[&path, &if walked.is_empty() { "json" } else { &walked }],
                    ))
                }
            },
            Value::Null => None,
            _ => {
                return Err(FfiError::msg(
                    pyun_result::InvalidArgument,
                    Msg::FfiPathScalar,
                    &[&path, &walked, &step],
                ))
            }
        };
        match next {
            Some(v) => at = v,
            None => return Ok(None),
        }
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(step);
    }
    Ok(Some(at.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_walk_objects_and_arrays() {
        let v: Value =
            serde_json::from_str(r#"[{"seqno":"S1","n":3,"r":{"code":"200"},"h":null}]"#).unwrap();
        assert_eq!(field(&v, "length").unwrap(), Some(Value::from(1)));
        assert_eq!(field(&v, "0.seqno").unwrap(), Some(Value::from("S1")));
        assert_eq!(field(&v, "0.r.code").unwrap(), Some(Value::from("200")));
        assert_eq!(field(&v, "0.h").unwrap(), Some(Value::Null));
        assert_eq!(field(&v, "0.h.x").unwrap(), None);
        assert_eq!(field(&v, "1.seqno").unwrap(), None);
        assert_eq!(field(&v, "0.missing").unwrap(), None);
        let e = field(&v, "0.n.x").unwrap_err();
        assert!(
            e.message.contains("`0.n` is a single value"),
            "{}",
            e.message
        );
        let e = field(&v, "seqno").unwrap_err();
        assert!(e.message.contains("`json` is an array"), "{}", e.message);
        assert!(field(&v, "").is_err());
    }
}
