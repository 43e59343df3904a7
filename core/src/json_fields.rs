//! The one reader of "a JSON object of fields" (a received JSON push, a record or fields file):
//! the members in the order written, and a member given twice refused. serde_json alone keeps
//! the last copy, so `{"pay_value":"100",...,"pay_value":"1"}` would verify with one value and
//! be handled with another.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::messages::{Msg, Text};
use crate::text::shown;

/// Reads one JSON object's members in order; the first member given twice is noted in
/// `twice` (and stops the reading), so the caller can say which in the reader's language.
struct Members<'a> {
    twice: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = Vec<(String, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of fields")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            if !seen.insert(k.clone()) {
                // serde_json adds the place to this error; its text is never shown (`members`
                // says the field from `twice`, in the reader's language).
                *self.twice = Some(k);
                return Err(serde::de::Error::custom("a field given twice"));
            }
            out.push((k, v));
        }
        Ok(out)
    }
}

/// The members of the JSON object `text` (a leading byte order mark is skipped), in order.
/// Anything but one object, or a member given twice, is an [`Error::Json`] saying so.
pub fn members(text: &str) -> Result<Vec<(String, Value)>> {
    object_members(crate::text::strip_bom(text))
}

/// [`members`] of a `text` whose byte order mark is already skipped.
fn object_members(text: &str) -> Result<Vec<(String, Value)>> {
    let mut twice = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let read = Members { twice: &mut twice }
        .deserialize(&mut de)
        .and_then(|m| de.end().map(|()| m));
    match read {
        Ok(m) => Ok(m),
        Err(e) => {
            if let Some(k) = twice {
                let (line, column) = (e.line().to_string(), e.column().to_string());
                return Err(Error::Json(Text::of(
                    Msg::JsonFieldTwice,
                    vec![shown(&k, 128), line.into(), column.into()],
                )));
            }
            if e.is_data() && !text.trim_start().starts_with('{') {
                // Valid JSON of another shape: say which.
                if let Ok(v) = serde_json::from_str::<Value>(text) {
                    return Err(Error::Json(Text::of(
                        Msg::JsonNotObject,
                        vec![kind_of_value(&v)],
                    )));
                }
            }
            Err(Error::Json(crate::json_error::said(&e)))
        }
    }
}

/// `text` as a JSON value (a leading byte order mark skipped) where a top-level member given
/// twice is refused as in [`members`]: a record file with `"plate"` twice would otherwise be
/// sent with whichever copy serde_json kept. Other shapes are returned for the caller to name.
pub fn value(text: &str) -> Result<Value> {
    let text = crate::text::strip_bom(text);
    if text.trim_start().starts_with('{') {
        return Ok(Value::Object(object_members(text)?.into_iter().collect()));
    }
    serde_json::from_str(text).map_err(|e| Error::Json(crate::json_error::said(&e)))
}

/// What a JSON value is, for messages.
pub fn kind_of_value(v: &Value) -> Text {
    match v {
        Value::Null => Msg::JsonNull.into(),
        Value::Bool(b) => Text::new(Msg::JsonBool, &[b]),
        Value::Number(n) => Text::new(Msg::JsonNumber, &[n]),
        Value::String(_) => Msg::JsonString.into(),
        Value::Array(_) => Msg::JsonArray.into(),
        Value::Object(_) => Msg::JsonObject.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_kept_twice_refused_other_shapes_named() {
        let m = members("\u{feff}{\"b\":\"1\",\"a\":2}").unwrap();
        assert_eq!(m[0].0, "b");
        assert_eq!(m[1].1, Value::from(2));
        let e = members(r#"{"a":"1","b":"2","a":"3"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `a` appears twice"), "{}", e);
        let e = members("[1]").unwrap_err().to_string();
        assert!(e.contains("got an array"), "{}", e);
        let e = members("{\"a\":").unwrap_err().to_string();
        assert!(e.contains("EOF"), "{}", e);
        // The same mistakes said in Chinese, with the place kept.
        let zh = |text: &str| match members(text).unwrap_err() {
            Error::Json(t) => t.render(crate::messages::Lang::Zh),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            zh(r#"{"a":"1","b":"2","a":"3"}"#),
            "第 1 行第 25 列：字段 `a` 出现了两次"
        );
        assert_eq!(
            zh("{\"a\":"),
            "第 1 行第 5 列：JSON 文本没有写完（EOF while parsing a value）"
        );
    }
}
