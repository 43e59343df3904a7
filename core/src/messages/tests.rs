//! The catalog's own checks: every message in both languages with the same arguments, and
//! every id used somewhere in the workspace.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// The `{n}` a text uses.
fn placeholders(text: &str) -> BTreeSet<usize> {
    text.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}')?.0.parse().ok())
        .collect()
}

/// Messages whose English quotes the platform's own Chinese phrase (参数`x`未传递).
const QUOTES_THE_PLATFORM: [Msg; 2] = [Msg::FieldMissing, Msg::FieldEmpty];

#[test]
fn every_message_is_in_both_languages_with_the_same_arguments() {
    let mut ids = BTreeSet::new();
    for &msg in Msg::ALL {
        let (en, zh) = msg.texts();
        assert!(ids.insert(msg.id()), "{} twice", msg.id());
        assert!(!en.trim().is_empty(), "{}: no English", msg.id());
        assert!(!zh.trim().is_empty(), "{}: no Chinese", msg.id());
        assert_ne!(en, zh, "{}: the Chinese is the English", msg.id());
        assert!(
            zh.chars().any(|c| is_cjk(c) || !c.is_ascii()),
            "{}: the Chinese text has no Chinese: {:?}",
            msg.id(),
            zh
        );
        if !QUOTES_THE_PLATFORM.contains(&msg) {
            assert!(
                !en.chars().any(is_cjk),
                "{}: Chinese in the English text: {:?}",
                msg.id(),
                en
            );
        }
        let (pe, pz) = (placeholders(en), placeholders(zh));
        assert_eq!(
            pe,
            pz,
            "{}: the two texts take different arguments",
            msg.id()
        );
        assert!(
            pe.iter().copied().eq(0..pe.len()),
            "{}: arguments are not {{0}}..{{n}}: {:?}",
            msg.id(),
            pe
        );
    }
}

#[test]
fn the_platforms_phrases_stay_as_it_writes_them() {
    for lang in [Lang::En, Lang::Zh] {
        let t = Msg::FieldMissing.text(lang, &[&"plate"]);
        assert!(t.contains("参数`plate`未传递"), "{}", t);
    }
}

#[test]
fn arguments_are_filled_in_both_languages() {
    let args: [&dyn fmt::Display; 2] = [&"enter", &"`plate`"];
    assert_eq!(
        Msg::RecordInvalid.text(Lang::En, &args),
        "invalid enter record: `plate`"
    );
    assert_eq!(
        Msg::RecordInvalid.text(Lang::Zh, &args),
        "enter 记录无效：`plate`"
    );
    // A brace that is not an argument stays.
    assert_eq!(fill("{x} {0} {9}", &[&1]), "{x} 1 {9}");
    let t = Text::new(Msg::CliStdin, &[]);
    assert_eq!(t.to_string(), "standard input");
    assert_eq!(t.render(Lang::Zh), "标准输入");
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            // The catalog and these tests name every id; they are not uses.
            if !path.ends_with("messages") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_message_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut code = Vec::new();
    for krate in ["core", "cli", "ffi-c", "bindings-python", "sandbox"] {
        sources(&root.join(krate).join("src"), &mut code);
    }
    // The catalog itself declares every id; a use is `Msg::Id` elsewhere.
    let unused: Vec<&str> = Msg::ALL
        .iter()
        .map(|m| m.id())
        .filter(|id| {
            let used = format!("Msg::{}", id);
            let word_end = |s: &str, at: usize| {
                !s[at + used.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            };
            !code
                .iter()
                .any(|src| src.match_indices(&used).any(|(at, _)| word_end(src, at)))
        })
        .collect();
    assert!(unused.is_empty(), "messages no code uses: {:?}", unused);
}

/// A message kept in a database comes back whole (ids, nested messages, texts written in each
/// language), and only while it still says what its English column says.
#[test]
fn a_stored_text_is_read_back_only_while_it_matches_its_english() {
    let inner = Text::Written {
        en: "HTTP 502".into(),
        zh: "HTTP 502（网关）".into(),
    };
    let text = Text::of(
        Msg::DeliveryPaused,
        vec!["1".into(), "3".into(), "ignored".into(), inner],
    );
    let stored = text.to_store();
    let back = Text::from_store(text.to_string(), Some(&stored));
    assert_eq!(back, text);
    assert!(
        back.render(Lang::Zh).starts_with("投递暂停 1 秒"),
        "{}",
        back.render(Lang::Zh)
    );
    // The English column changed since (an earlier pyun, an operator): the English it holds.
    let other = Text::from_store("HTTP 503".into(), Some(&stored));
    assert_eq!(other, Text::Plain("HTTP 503".into()));
    // An id this catalog does not know (a later pyun's), or no stored form: the English.
    let unknown = stored.replace("DeliveryPaused", "NotAMessage");
    assert_eq!(
        Text::from_store(text.to_string(), Some(&unknown)),
        Text::Plain(text.to_string())
    );
    assert_eq!(Text::from_store("x".into(), None), Text::Plain("x".into()));
    assert_eq!(Msg::from_id("DeliveryPaused"), Some(Msg::DeliveryPaused));
    // Every id of the catalog is found again (`from_id` searches a table sorted when compiling).
    for &msg in Msg::ALL {
        assert_eq!(Msg::from_id(msg.id()), Some(msg), "{}", msg.id());
    }
    assert_eq!(Msg::from_id(""), None);
    assert_eq!(Msg::from_id("deliverypaused"), None);
}
