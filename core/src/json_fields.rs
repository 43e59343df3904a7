//! The one reader of "a JSON object of fields" (a received JSON push, a record or fields file):
//! the members in the order written, and a member given twice refused. serde_json alone keeps
//! the last copy, so `{"pay_value":"100",...,"pay_value":"1"}` would verify with one value and
//! be handled with another.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::messages::{Msg, Text};

struct Members(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Of;
        impl<'de> Visitor<'de> for Of {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of fields")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Members, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if !seen.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format_args!(
                            "field `{}` appears twice",
                            crate::text::bounded(&k, 128)
                        )));
                    }
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(Of)
    }
}

/// The members of the JSON object `text` (a leading byte order mark is skipped), in order.
/// Anything but one object, or a member given twice, is an [`Error::Json`] saying so.
pub fn members(text: &str) -> Result<Vec<(String, Value)>> {
    let text = crate::text::strip_bom(text);
    match serde_json::from_str::<Members>(text) {
        Ok(m) => Ok(m.0),
        Err(e) if e.is_data() && !text.trim_start().starts_with('{') => {
            // Valid JSON of another shape: say which.
            let what = match serde_json::from_str::<Value>(text) {
                Ok(v) => kind_of_value(&v),
                Err(_) => return Err(Error::Json(e.to_string().into())),
            };
            Err(Error::Json(Text::of(Msg::JsonNotObject, vec![what])))
        }
        Err(e) => Err(Error::Json(e.to_string().into())),
    }
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
    }
}
