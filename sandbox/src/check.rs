//! The platform's checks on a received request, as a pure function of what arrived.
//!
//! Order: the signature, then the required fields (`400`), then each `*_hash` against its
//! file. This is what the platform's own answers in the pages show: page 001's hint example
//! answers a leave that has no `charge_type` with 签名验证不通过, and page 002's `401`
//! example answers a release that has no `release_type` with `401`; both are replayed in
//! `tests/fidelity.rs`. Duplicates are judged by the caller after these checks pass.

use std::collections::BTreeMap;

use pyun_core::form::FileField;
use pyun_core::sign::{masked_canonical_string, sign};
use pyun_core::{AppSecret, Endpoint, EnterRecord, LeaveRecord, ReleaseRecord, UpdateRecord};

use crate::state::FileInfo;

/// Why a request is not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `400` with a hint.
    Parameter(String),
    /// Bad signature: the platform's canonical string with the secret masked.
    Signature(String),
}

fn required(endpoint: Endpoint) -> &'static [&'static str] {
    match endpoint {
        Endpoint::Enter => EnterRecord::REQUIRED,
        Endpoint::Leave => LeaveRecord::REQUIRED,
        Endpoint::Release => ReleaseRecord::REQUIRED,
        Endpoint::Update => UpdateRecord::REQUIRED,
    }
}

/// Checks a request; `Ok` means it may be stored.
pub fn check(
    endpoint: Endpoint,
    fields: &[(String, String)],
    files: &BTreeMap<String, FileInfo>,
    secret: &AppSecret,
) -> Result<(), Refusal> {
    let get = |k: &str| {
        fields
            .iter()
            .rev()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.as_str())
    };
    let given = get("sign").unwrap_or("");
    if !given.eq_ignore_ascii_case(&sign(fields, secret)) {
        return Err(Refusal::Signature(masked_canonical_string(fields)));
    }
    for &name in required(endpoint) {
        let has_merchant = matches!(endpoint, Endpoint::Enter | Endpoint::Leave)
            && get("merchant").is_some_and(|m| !m.is_empty());
        if name == "park_uuid" && has_merchant {
            continue;
        }
        if get(name).is_none_or(str::is_empty) {
            return Err(Refusal::Parameter(format!("参数`{}`未传递", name)));
        }
    }
    if get("app_id").is_some() && get("api_type").is_none_or(str::is_empty) {
        return Err(Refusal::Parameter("参数`api_type`未传递".into()));
    }
    for field in FileField::ALL {
        let hash_field = match field.hash_field() {
            Some(h) => h,
            None => continue,
        };
        match (get(hash_field), files.get(field.name())) {
            (Some(h), Some(f)) if !h.eq_ignore_ascii_case(&f.md5) => {
                return Err(Refusal::Parameter(format!(
                    "参数`{}`与上传文件`{}`的MD5不一致 (file MD5 {})",
                    hash_field,
                    field.name(),
                    f.md5
                )))
            }
            (Some(_), None) => {
                return Err(Refusal::Parameter(format!(
                    "参数`{}`已传递但未上传文件`{}`",
                    hash_field,
                    field.name()
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn order_of_checks() {
        let secret = AppSecret::new("123");
        let missing = f(&[
            ("park_uuid", "p"),
            ("flow_no", "F"),
            ("parking_serial", "S"),
        ]);
        // Mis-signed (here: no sign at all) and missing a field: the signature is answered.
        assert!(matches!(
            check(Endpoint::Update, &missing, &BTreeMap::new(), &secret),
            Err(Refusal::Signature(_))
        ));
        let mut signed_missing = missing.clone();
        let s = sign(&missing, &secret);
        signed_missing.push(("sign".into(), s));
        assert_eq!(
            check(Endpoint::Update, &signed_missing, &BTreeMap::new(), &secret),
            Err(Refusal::Parameter("参数`plate`未传递".into()))
        );
        let mut ok = f(&[
            ("park_uuid", "p"),
            ("flow_no", "F"),
            ("parking_serial", "S"),
            ("plate", "P"),
        ]);
        let s = sign(&ok, &secret);
        ok.push(("sign".into(), s.to_lowercase()));
        assert_eq!(
            check(Endpoint::Update, &ok, &BTreeMap::new(), &secret),
            Ok(())
        );
        assert!(matches!(
            check(Endpoint::Update, &ok, &BTreeMap::new(), &AppSecret::new("x")),
            Err(Refusal::Signature(c)) if c.ends_with("&app_secret=***")
        ));
    }
}
