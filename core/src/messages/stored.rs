//! A [`Text`] kept in a database, to be written later in the language of whoever reads it:
//! the outbox's errors and event reasons, a push's handler error. The process that stores an
//! error (a sender running as a service, often with no locale) is not the one that shows it
//! (an operator's `pyun outbox status` in Chinese), so the message is kept by catalog id and
//! arguments, not as text in one language.
//!
//! Stored next to the English text, never instead of it: older pyun versions, operators'
//! `sqlite3` queries and the `LIKE 'LOST%'` / `'delivery paused%'` filters read the English
//! column. A reader uses the stored form only while it still says what the English column
//! says ([`Text::from_store`]): a row written by an older pyun (or changed by hand) after this
//! one keeps its English alone, never a stale translation.
//!
//! The form is JSON: a catalog message is `{"msg": "Id", "args": [...]}`, text outside the
//! catalog a string, a text written in each language `{"en": "...", "zh": "..."}`.

use serde_json::{json, Value};

use super::{Msg, Text};

impl Msg {
    /// The message with this id ([`Msg::id`]), if this pyun's catalog has it.
    pub fn from_id(id: &str) -> Option<Msg> {
        BY_ID
            .binary_search_by(|m| m.id().cmp(id))
            .ok()
            .map(|i| BY_ID[i])
    }
}

/// [`Msg::ALL`] in the order of their ids, sorted when pyun is compiled: every stored text
/// read back (a row of `pyun outbox`) looks its id up, a binary search rather than a walk of
/// the whole catalog. (A `match` on the id strings would compare them one after another too.)
const BY_ID: [Msg; Msg::ALL.len()] = {
    let mut sorted = [Msg::ALL[0]; Msg::ALL.len()];
    // Insertion sort: `sort` is not a `const fn`.
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j > 0 && id_before(Msg::ALL[i].id(), sorted[j - 1].id()) {
            sorted[j] = sorted[j - 1];
            j -= 1;
        }
        sorted[j] = Msg::ALL[i];
        i += 1;
    }
    sorted
};

/// `a < b` as `str`'s `Ord` orders them (bytewise), which `from_id`'s search relies on.
const fn id_before(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut k = 0;
    while k < a.len() && k < b.len() {
        if a[k] != b[k] {
            return a[k] < b[k];
        }
        k += 1;
    }
    a.len() < b.len()
}

impl Text {
    /// The form kept in a database (JSON), read back by [`Text::from_store`].
    pub fn to_store(&self) -> String {
        self.stored().to_string()
    }

    fn stored(&self) -> Value {
        match self {
            Text::Msg(msg, args) => {
                json!({"msg": msg.id(), "args": args.iter().map(Text::stored).collect::<Vec<_>>()})
            }
            Text::Plain(s) => Value::String(s.clone()),
            Text::Written { en, zh } => json!({"en": en, "zh": zh}),
        }
    }

    /// The text a database holds: its stored form when it is readable (an id this catalog
    /// knows) and renders to `english` (the row's English column), else `english` as it is.
    pub fn from_store(english: String, stored: Option<&str>) -> Text {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .and_then(|v| Text::read(&v))
            .filter(|t| t.to_string() == english)
            .unwrap_or(Text::Plain(english))
    }

    fn read(v: &Value) -> Option<Text> {
        Some(match v {
            Value::String(s) => Text::Plain(s.clone()),
            Value::Object(o) if o.contains_key("msg") => Text::Msg(
                Msg::from_id(o.get("msg")?.as_str()?)?,
                o.get("args")?
                    .as_array()?
                    .iter()
                    .map(Text::read)
                    .collect::<Option<_>>()?,
            ),
            Value::Object(o) => Text::Written {
                en: o.get("en")?.as_str()?.to_string(),
                zh: o.get("zh")?.as_str()?.to_string(),
            },
            _ => return None,
        })
    }
}
