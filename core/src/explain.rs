//! Diagnosis of an ignored or rejected push: what the platform's hint says about our request.
//!
//! A signature failure's hint carries the platform's own canonical string
//! (`签名验证不通过[<canonical>&app_secret=***]` on enter/leave, the bare string on a 401).
//! Comparing it with ours tells a wrong secret (strings equal) from fields that arrived changed
//! (a charset problem, a proxy dropping a field, a value altered on the way).

use std::collections::BTreeMap;

use crate::record::{EnterRecord, LeaveRecord, ReleaseRecord, UpdateRecord};
use crate::sign::{canonical_string, java_key_order};

pub use crate::diagnosis::{Cause, Diagnosis, FieldDiff};

/// Every field name the protocol uses, to split a canonical string whose values contain `&`.
fn is_known_field(k: &str) -> bool {
    const ENVELOPE: &[&str] = &[
        "app_id",
        "api_type",
        "encoding",
        "sign_type",
        "timestamp",
        "enter_image_hash",
        "enter_plate_image_hash",
        "leave_image_hash",
        "leave_plate_image_hash",
    ];
    ENVELOPE.contains(&k)
        || EnterRecord::FIELDS.contains(&k)
        || LeaveRecord::FIELDS.contains(&k)
        || ReleaseRecord::FIELDS.contains(&k)
        || UpdateRecord::FIELDS.contains(&k)
}

fn is_ident(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Takes the canonical string out of a hint: inside `[...]` when bracketed, `\"` unescaped
/// (page 001 note 10), the `&app_secret=***` suffix dropped.
pub fn hint_canonical(hint: &str) -> Option<String> {
    let h = hint.trim();
    let inner = match (h.find('['), h.rfind(']')) {
        (Some(a), Some(b)) if b > a => &h[a + 1..b],
        _ => h,
    };
    let cut = inner.rfind("&app_secret=")?;
    Some(inner[..cut].replace("\\\"", "\""))
}

/// Splits a canonical string into fields. Values are raw and may hold `&` and `=` (a URL such
/// as `u=1595072465,3644073269&fm=193`), so a segment starts a new field only when its key is a
/// field name, sorts after the previous key (the string is sorted), and is one of `local_keys`
/// or a field of the protocol.
pub fn split_canonical(canonical: &str, local_keys: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for seg in canonical.split('&') {
        let starts_field = seg.split_once('=').filter(|(k, _)| {
            is_ident(k)
                && (local_keys.contains(k) || is_known_field(k))
                && out
                    .last()
                    .is_none_or(|(prev, _)| java_key_order(k, prev) == std::cmp::Ordering::Greater)
        });
        match (starts_field, out.last_mut()) {
            (Some((k, v)), _) => out.push((k.to_string(), v.to_string())),
            (None, Some(last)) => {
                last.1.push('&');
                last.1.push_str(seg);
            }
            (None, None) => {
                let (k, v) = seg.split_once('=').unwrap_or((seg, ""));
                out.push((k.to_string(), v.to_string()));
            }
        }
    }
    out
}

fn charset_suspect(local: &str, platform: &str) -> bool {
    !local.is_ascii()
        && (platform.contains('?')
            || platform.contains('\u{FFFD}')
            || platform.chars().any(|c| ('\u{80}'..='\u{FF}').contains(&c)))
}

/// The fields as they were sent with these photos: each file's `*_hash` field set to the
/// file's MD5, as the request builder does. A diagnosis of a push that carried photos needs
/// them: without the hashes, the fields the platform signed look different from the record's.
pub fn with_file_hashes(
    mut fields: Vec<(String, String)>,
    files: &[(crate::form::FileField, crate::form::FileSource)],
) -> crate::error::Result<Vec<(String, String)>> {
    for (field, source) in files {
        let Some(hash_field) = field.hash_field() else {
            continue;
        };
        let part = crate::form::FilePart::new(*field, source.clone())?;
        fields.retain(|(k, _)| k != hash_field);
        fields.push((hash_field.to_string(), part.md5().to_string()));
    }
    Ok(fields)
}

/// Compares a platform hint with the fields that were sent (a request's fields; `sign` and
/// empty values are ignored as the builder does) and says what differs.
pub fn explain(hint: &str, sent: &[(String, String)]) -> Diagnosis {
    let local: Vec<(&str, &str)> = sent
        .iter()
        .filter(|(k, v)| k != "sign" && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let local_canonical = canonical_string(&local);
    let mut d = Diagnosis {
        cause: Cause::Unrecognised,
        missing_parameter: None,
        platform_canonical: None,
        local_canonical,
        only_local: Vec::new(),
        only_platform: Vec::new(),
        differing: Vec::new(),
    };
    if let Some(rest) = hint.split("参数`").nth(1) {
        if let Some(name) = rest.split('`').next().filter(|_| hint.contains("未传递")) {
            d.cause = Cause::MissingParameter;
            d.missing_parameter = Some(name.to_string());
            return d;
        }
    }
    let platform = match hint_canonical(hint) {
        Some(p) => p,
        None => return d,
    };
    d.platform_canonical = Some(platform.clone());
    if platform == d.local_canonical {
        d.cause = Cause::WrongSecret;
        return d;
    }
    d.cause = Cause::FieldsDiffer;
    let keys: Vec<&str> = local.iter().map(|(k, _)| *k).collect();
    let theirs: BTreeMap<String, String> = split_canonical(&platform, &keys).into_iter().collect();
    let ours: BTreeMap<&str, &str> = local.iter().copied().collect();
    for (k, v) in &ours {
        match theirs.get(*k) {
            None => d.only_local.push(k.to_string()),
            Some(p) if p != v => d.differing.push(FieldDiff {
                field: k.to_string(),
                local: v.to_string(),
                platform: p.clone(),
                charset_suspect: charset_suspect(v, p),
            }),
            Some(_) => {}
        }
    }
    d.only_platform = theirs
        .keys()
        .filter(|k| !ours.contains_key(k.as_str()))
        .cloned()
        .collect();
    d
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
    fn splits_values_holding_ampersands() {
        let s = "leave_gate=出口&leave_image=https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF&leave_image_hash=3E";
        let parts = split_canonical(s, &[]);
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[1].1,
            "https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF"
        );
    }

    #[test]
    fn wrong_secret_when_strings_equal() {
        let sent = f(&[("plate", "粤X1"), ("park_uuid", "p")]);
        let d = explain(
            "签名验证不通过[park_uuid=p&plate=粤X1&app_secret=***]",
            &sent,
        );
        assert_eq!(d.cause, Cause::WrongSecret);
        assert!(d.summary().contains("app_secret"));
    }

    #[test]
    fn charset_damage_named() {
        let sent = f(&[
            ("plate", "粤KKKKKK"),
            ("park_uuid", "p"),
            ("parking_serial", "s"),
        ]);
        let hint = "park_uuid=p&parking_serial=s&plate=?KKKKKK&release_time=2023-03-21T15:59:59Z&app_secret=***";
        let d = explain(hint, &sent);
        assert_eq!(d.cause, Cause::FieldsDiffer);
        assert_eq!(d.differing.len(), 1);
        assert!(d.differing[0].charset_suspect);
        assert_eq!(d.only_platform, vec!["release_time"]);
        assert!(d.summary().contains("charset"), "{}", d.summary());
    }

    #[test]
    fn escaped_json_unescaped_and_missing_parameter() {
        let sent = f(&[("payment_list", r#"[{"a":"1"}]"#)]);
        let d = explain(
            r#"签名验证不通过[payment_list=[{\"a\":\"1\"}]&app_secret=***]"#,
            &sent,
        );
        assert_eq!(d.cause, Cause::WrongSecret);
        let d = explain("参数`enter_time`未传递", &sent);
        assert_eq!(d.cause, Cause::MissingParameter);
        assert_eq!(d.missing_parameter.as_deref(), Some("enter_time"));
        assert_eq!(explain("服务器内部错误", &sent).cause, Cause::Unrecognised);
    }
}
