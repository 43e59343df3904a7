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
    let mut ascii = true;
    for (k, v) in iter {
        let (k, v) = (k.as_ref(), v.as_ref());
        if k != SIGN_FIELD && !(skip_empty && v.is_empty()) {
            ascii &= k.is_ascii();
            pairs.push((k, v));
        }
    }
    if ascii && pairs.len() <= 256 {
        return ascii_order(&pairs);
    }
    // The general case: a stable sort, so that of a key given twice the last one wins below.
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by(|&a, &b| java_key_order(pairs[a].0, pairs[b].0));
    last_of_each(&pairs, order)
}

/// `pairs` read in `order`, keeping of a key given twice only the last one (as `TreeMap.put`
/// would). `order` must be sorted by key and keep equal keys in the order they were given.
fn last_of_each<'a>(
    pairs: &[(&'a str, &'a str)],
    order: impl IntoIterator<Item = usize>,
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    for i in order {
        match out.last_mut() {
            Some(last) if last.0 == pairs[i].0 => *last = pairs[i],
            _ => out.push(pairs[i]),
        }
    }
    out
}

/// [`signing_order`] for up to 256 ASCII keys, whose Java order is their byte order. Each key
/// becomes one integer, its first 15 bytes big-endian above its position in the low byte, so
/// the integers are distinct and sorting them is stable. Sorting those integers instead of
/// comparing strings, and reading the prefixes with fixed-size loads, is what keeps signing
/// within reach of the bare MD5 (docs/BENCHMARKS.md). Keys sharing their first 15 bytes
/// (rare) are then ordered in full.
fn ascii_order<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut keyed: Vec<u128> = pairs
        .iter()
        .enumerate()
        .map(|(i, (k, _))| prefix(k.as_bytes()) | i as u128)
        .collect();
    keyed.sort_unstable();
    let index = |e: u128| (e & 0xFF) as usize;
    let same_prefix = |a: u128, b: u128| (a ^ b) >> 8 == 0;
    if !keyed.windows(2).any(|w| same_prefix(w[0], w[1])) {
        // The usual case: distinct prefixes, so distinct keys, already in order.
        return keyed.iter().map(|&e| pairs[index(e)]).collect();
    }
    let mut start = 0;
    while start < keyed.len() {
        let end = start
            + keyed[start..]
                .iter()
                .take_while(|&&e| same_prefix(e, keyed[start]))
                .count();
        if end - start > 1 {
            // Stable: equal keys keep their positions' order.
            keyed[start..end]
                .sort_by(|&a, &b| pairs[index(a)].0.cmp(pairs[index(b)].0).then(a.cmp(&b)));
        }
        start = end;
    }
    last_of_each(pairs, keyed.into_iter().map(index))
}

/// The first 15 bytes of an ASCII key, big-endian in bits 127..8, zero-padded. Fixed-size
/// loads only (a copy of variable length was a `memmove` call per key); two loads that
/// overlap put the same bytes in the same places, so OR-ing them is exact.
fn prefix(k: &[u8]) -> u128 {
    let n = k.len();
    let be64 = |b: &[u8]| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if n >= 16 {
        (u128::from(be64(k)) << 64) | u128::from(be64(&k[8..]) & !0xFF)
    } else if n >= 8 {
        // The last 8 bytes land at byte positions n-8..n.
        (u128::from(be64(k)) << 64) | ((u128::from(be64(&k[n - 8..])) << 64) >> (8 * (n - 8)))
    } else if n >= 4 {
        (u128::from(be32(k)) << 96) | ((u128::from(be32(&k[n - 4..])) << 96) >> (8 * (n - 4)))
    } else {
        k.iter()
            .enumerate()
            .fold(0, |v, (i, &c)| v | (u128::from(c) << (120 - 8 * i)))
    }
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

impl VerifyError {
    /// The failure in `lang`.
    pub fn message(&self, lang: crate::messages::Lang) -> String {
        use crate::messages::Msg;
        match self {
            VerifyError::MissingSign => Msg::SignMissing.text(lang, &[]),
            VerifyError::Mismatch { canonical_masked } => {
                Msg::SignMismatch.text(lang, &[canonical_masked])
            }
        }
    }
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(crate::messages::Lang::En))
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
    fn key_prefixes_are_the_first_15_bytes() {
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
        for n in 0..alphabet.len() {
            // Every length, and for each a key with one byte changed at each position.
            let mut keys = vec![alphabet[..n].to_vec()];
            for at in 0..n {
                let mut k = alphabet[..n].to_vec();
                k[at] = b'_';
                keys.push(k);
            }
            for k in keys {
                let mut expected = [0u8; 16];
                let m = k.len().min(15);
                expected[..m].copy_from_slice(&k[..m]);
                assert_eq!(prefix(&k), u128::from_be_bytes(expected), "{:?}", k);
            }
        }
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
