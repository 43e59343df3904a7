//! Property tests: a signature verifies, and changing any one field breaks it.

use proptest::prelude::*;
use pyun_core::sign::{sign, verify, EmptyRule};
use pyun_core::AppSecret;

fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    // Keys: distinct, not `sign`. Values: anything, including `&`, `=`, CJK, emoji, empty.
    prop::collection::btree_map("[a-zA-Z_0-9]{1,12}", "\\PC{0,20}", 1..20).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| k != "sign")
            .collect::<Vec<_>>()
    })
}

proptest! {
    #[test]
    fn verify_accepts_what_sign_produced(f in fields(), secret in "\\PC{1,16}") {
        let secret = AppSecret::new(secret);
        let mut pushed = f.clone();
        pushed.push(("sign".into(), sign(&f, &secret)));
        prop_assert_eq!(verify(&pushed, &secret), Ok(EmptyRule::Included));
    }

    #[test]
    fn any_one_change_breaks_it(f in fields(), idx in any::<prop::sample::Index>(), extra in "[a-z]{1,3}") {
        prop_assume!(!f.is_empty());
        let secret = AppSecret::new("123");
        let s = sign(&f, &secret);
        let i = idx.index(f.len());
        // Change one value.
        let mut changed = f.clone();
        changed[i].1.push_str(&extra);
        changed.push(("sign".into(), s.clone()));
        prop_assert!(verify(&changed, &secret).is_err());
        // Rename one key (to a key not already present).
        let mut renamed = f.clone();
        let new_key = format!("{}{}", renamed[i].0, extra);
        prop_assume!(!f.iter().any(|(k, _)| *k == new_key));
        renamed[i].0 = new_key;
        renamed.push(("sign".into(), s.clone()));
        prop_assert!(verify(&renamed, &secret).is_err());
        // Drop one field, unless it was empty (which the skip-empties rule forgives by design).
        if !f[i].1.is_empty() {
            let mut dropped = f.clone();
            dropped.remove(i);
            dropped.push(("sign".into(), s));
            prop_assert!(verify(&dropped, &secret).is_err());
        }
    }
}
