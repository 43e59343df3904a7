//! The platform's MD5 signature: canonical string, `sign`, and `verify` for received pushes.
//!
//! Rule (spec README, verified against both vectors in page 001): drop `sign`, sort keys in
//! Java `TreeMap<String, String>` order (UTF-16 code units), join `key=value` with `&` using the
//! **raw** values, append `&app_secret=<secret>`, MD5 the UTF-8 bytes, uppercase hex.

use std::cmp::Ordering;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::secret::{AppSecret, MASK};

/// The name of the signature field; it is never part of what is signed.
pub const SIGN_FIELD: &str = "sign";

/// Compares two keys as Java's `String.compareTo` does (UTF-16 code units), which is what the
/// platform's `TreeMap` uses. It differs from Rust's byte order only between characters above
/// U+FFFF and those in U+E000..=U+FFFF, but keys are the platform's to choose, so match it exactly.
pub fn java_key_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Sorts `(key, value)` pairs in signing order, drops `sign`, and keeps the last value of a key
/// given twice (as `TreeMap.put` would).
fn signing_order<'a, I, K, V>(fields: I, skip_empty: bool) -> Vec<(&'a str, &'a str)>
where
    I: IntoIterator<Item = &'a (K, V)>,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    let iter = fields.into_iter();
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(iter.size_hint().0);
    pairs.extend(
        iter.map(|(k, v)| (k.as_ref(), v.as_ref()))
            .filter(|(k, v)| *k != SIGN_FIELD && !(skip_empty && v.is_empty())),
    );
    // A stable order: equal keys stay in the order given, so the last one given wins below.
    let order: Vec<usize> = if pairs.len() <= 256 && pairs.iter().all(|(k, _)| k.is_ascii()) {
        // Java's order is byte order for ASCII keys. Each key becomes one integer: its first
        // 15 bytes big-endian, then its position. A hand-written insertion sort on those is
        // about three times cheaper than the general sort for the 10-40 keys of a record, and
        // keeps signing near the cost of the bare MD5 (docs/BENCHMARKS.md). Keys sharing their
        // first 15 bytes are then ordered in full.
        let mut keyed: Vec<u128> = pairs
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (prefix(k) << 8) | i as u128)
            .collect();
        for i in 1..keyed.len() {
            let x = keyed[i];
            let mut j = i;
            while j > 0 && keyed[j - 1] > x {
                keyed[j] = keyed[j - 1];
                j -= 1;
            }
            keyed[j] = x;
        }
        let mut start = 0;
        while start < keyed.len() {
            let p = keyed[start] >> 8;
            let end = start + keyed[start..].iter().take_while(|&&e| e >> 8 == p).count();
            if end - start > 1 {
                keyed[start..end].sort_by(|a, b| {
                    pairs[(*a & 0xFF) as usize]
                        .0
                        .cmp(pairs[(*b & 0xFF) as usize].0)
                });
            }
            start = end;
        }
        keyed.iter().map(|&e| (e & 0xFF) as usize).collect()
    } else {
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&a, &b| java_key_order(pairs[a].0, pairs[b].0));
        order
    };
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(order.len());
    for i in order {
        match out.last_mut() {
            Some(last) if last.0 == pairs[i].0 => *last = pairs[i],
            _ => out.push(pairs[i]),
        }
    }
    out
}

/// The first 15 bytes of a key, big-endian, zero-padded.
fn prefix(k: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = k.len().min(15);
    b[1..1 + n].copy_from_slice(&k.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

fn join(pairs: &[(&str, &str)]) -> String {
    let len = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut s = String::with_capacity(len);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s
}

/// The string the platform signs, without the `&app_secret=` suffix: every field but `sign`,
/// empty values included as `key=`.
///
/// Fields are `(key, value)` pairs: a `Vec<(String, String)>`, a slice of `(&str, &str)`, or a
/// `BTreeMap`/`HashMap` by reference.
pub fn canonical_string<'a, I, K, V>(fields: I) -> String
where
    I: IntoIterator<Item = &'a (K, V)>,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    join(&signing_order(fields, false))
}

/// The canonical string followed by `&app_secret=***`, exactly as the platform prints it in a
/// hint. Safe to log.
pub fn masked_canonical_string<'a, I, K, V>(fields: I) -> String
where
    I: IntoIterator<Item = &'a (K, V)>,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    let mut s = canonical_string(fields);
    s.push_str("&app_secret=");
    s.push_str(MASK);
    s
}

/// Uppercase hex of an MD5 digest, the form the platform uses everywhere.
pub fn upper_hex(bytes: &[u8]) -> String {
    // Hand-written: 16 bytes to 32 chars does not justify a dependency.
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0x0f) as usize] as char);
    }
    s
}

fn md5_of_pairs(pairs: &[(&str, &str)], secret: &AppSecret) -> String {
    // One buffer and one digest call: cheaper than ~100 small `update` calls (see BENCHMARKS.md).
    let secret = secret.expose().as_bytes();
    let len = pairs
        .iter()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum::<usize>()
        + 11
        + secret.len();
    let mut buf = Vec::with_capacity(len);
    for (k, v) in pairs {
        buf.extend_from_slice(k.as_bytes());
        buf.push(b'=');
        buf.extend_from_slice(v.as_bytes());
        buf.push(b'&');
    }
    buf.extend_from_slice(b"app_secret=");
    buf.extend_from_slice(secret);
    upper_hex(&Md5::digest(&buf))
}

/// The `sign` value for these fields: uppercase hex MD5 of
/// `canonical_string(fields) + "&app_secret=" + secret`. A `sign` field among `fields` is ignored.
pub fn sign<'a, I, K, V>(fields: I, app_secret: &AppSecret) -> String
where
    I: IntoIterator<Item = &'a (K, V)>,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    md5_of_pairs(&signing_order(fields, false), app_secret)
}

/// Which rule for empty values made a received signature match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyRule {
    /// Empty values signed as `key=`: the platform's current rule.
    Included,
    /// Empty values left out: the rule of older platform documentation.
    Skipped,
}

/// Why a received push failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// There is no `sign` field, or it is empty.
    MissingSign,
    /// The signature does not match under either rule for empty values: wrong secret, or the
    /// fields were altered. Carries the masked canonical string that was tried first.
    Mismatch {
        /// `canonical&app_secret=***` as computed locally (empties included).
        canonical_masked: String,
    },
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::MissingSign => f.write_str("the push has no `sign` field"),
            VerifyError::Mismatch { canonical_masked } => write!(
                f,
                "signature does not match (wrong app_secret, or fields altered); signed string was [{}]",
                canonical_masked
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Verifies a push received from the platform: every field but `sign` is signed (including
/// `app_id`, `sign_type`, `timestamp` and fields this library does not know), and the result
/// is compared with `sign` ignoring case, in constant time.
///
/// Tries "empties included" (the current rule) first, then "empties skipped" (older
/// documentation), and reports which matched.
pub fn verify<'a, I, K, V>(fields: I, app_secret: &AppSecret) -> Result<EmptyRule, VerifyError>
where
    I: IntoIterator<Item = &'a (K, V)>,
    I::IntoIter: Clone,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    let iter = fields.into_iter();
    let given = iter
        .clone()
        .filter(|(k, _)| k.as_ref() == SIGN_FIELD)
        .last()
        .map(|(_, v)| v.as_ref().trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::MissingSign)?;
    let included = signing_order(iter.clone(), false);
    if ct_eq(&md5_of_pairs(&included, app_secret), &given) {
        return Ok(EmptyRule::Included);
    }
    let skipped = signing_order(iter, true);
    if skipped.len() != included.len() && ct_eq(&md5_of_pairs(&skipped, app_secret), &given) {
        return Ok(EmptyRule::Skipped);
    }
    let mut canonical_masked = join(&included);
    canonical_masked.push_str("&app_secret=");
    canonical_masked.push_str(MASK);
    Err(VerifyError::Mismatch { canonical_masked })
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> AppSecret {
        AppSecret::new("123")
    }

    #[test]
    fn java_order_is_code_unit_order() {
        let mut keys = vec!["ab", "a_b", "aB", "a1", "A"];
        keys.sort_by(|a, b| java_key_order(a, b));
        assert_eq!(keys, vec!["A", "a1", "aB", "a_b", "ab"]);
        // U+FFFD (one unit 0xFFFD) sorts after U+1F600 (surrogates 0xD83D...) in Java.
        assert_eq!(java_key_order("\u{1F600}", "\u{FFFD}"), Ordering::Less);
        assert_eq!("\u{1F600}".cmp("\u{FFFD}"), Ordering::Greater);
    }

    #[test]
    fn raw_values_and_empty_and_sign_dropped() {
        let f = [("b", "x&y=z"), ("a", ""), ("sign", "ABC"), ("c", "中文😀")];
        assert_eq!(canonical_string(&f), "a=&b=x&y=z&c=中文😀");
        assert_eq!(
            masked_canonical_string(&f),
            "a=&b=x&y=z&c=中文😀&app_secret=***"
        );
    }

    #[test]
    fn sign_is_md5_of_canonical_plus_secret() {
        let f = [("b", "2"), ("a", "1")];
        let expected = upper_hex(&Md5::digest(b"a=1&b=2&app_secret=123"));
        assert_eq!(sign(&f, &secret()), expected);
        assert_eq!(expected.len(), 32);
        assert!(expected
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    }

    #[test]
    fn duplicate_key_last_wins() {
        let f = [("a", "1"), ("a", "2")];
        assert_eq!(canonical_string(&f), "a=2");
    }

    #[test]
    fn the_fast_ascii_order_is_the_full_order() {
        // Keys of every length around the 15-byte prefix, sharing prefixes, a NUL byte, and
        // given in a scrambled order; the fast path must order them as the general sort does.
        let mut keys: Vec<String> = Vec::new();
        for len in 0..40 {
            keys.push("k".repeat(len));
            keys.push(format!("{}a", "k".repeat(len)));
            keys.push(format!("{}\u{0}", "k".repeat(len)));
        }
        keys.extend(
            [
                "enter_image_hash",
                "enter_image",
                "enter_image_file",
                "z",
                "A",
                "_",
            ]
            .map(String::from),
        );
        // Every key once, scrambled (37 is coprime with the count), then three given again.
        assert_eq!(keys.len(), 126);
        let mut fields: Vec<(String, String)> = (0..keys.len())
            .map(|i| (keys[i * 37 % keys.len()].clone(), i.to_string()))
            .collect();
        for k in ["z", "kkkkkkkkkkkkkkk", ""] {
            fields.push((k.to_string(), format!("again {}", k)));
        }
        let mut expected = fields.clone();
        expected.sort_by(|a, b| java_key_order(&a.0, &b.0));
        expected.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 = later.1.clone();
            }
            same
        });
        let expected: Vec<String> = expected
            .iter()
            .map(|(k, v)| format!("{}={}", k, v))
            .collect();
        assert_eq!(canonical_string(&fields), expected.join("&"));
    }

    #[test]
    fn verify_reports_rule() {
        let mut f = vec![
            ("app_id".to_string(), "op1".to_string()),
            ("car_desc".to_string(), String::new()),
            ("x_new_field".to_string(), "v".to_string()),
        ];
        let s = sign(&f, &secret());
        f.push(("sign".into(), s.to_lowercase()));
        assert_eq!(verify(&f, &secret()), Ok(EmptyRule::Included));

        let old = [("app_id", "op1"), ("x_new_field", "v")];
        let mut g = vec![("app_id", "op1"), ("car_desc", ""), ("x_new_field", "v")];
        let s2 = sign(&old, &secret());
        g.push(("sign", &s2));
        assert_eq!(verify(&g, &secret()), Ok(EmptyRule::Skipped));

        assert!(matches!(
            verify(&g, &AppSecret::new("124")),
            Err(VerifyError::Mismatch { .. })
        ));
        assert_eq!(verify(&old, &secret()), Err(VerifyError::MissingSign));
    }

    #[test]
    fn mismatch_error_masks_secret() {
        let f = [("a", "1"), ("sign", "00")];
        let err = verify(&f, &AppSecret::new("topsecret")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("a=1&app_secret=***"), "{}", text);
        assert!(!text.contains("topsecret"));
    }
}
