//! Reading one field's JSON value into its type ([`FieldValue`]), with a catalog message when
//! it does not fit, so a record's bad value is explained in the language asked for. serde
//! reports through an English string; the types' `Deserialize` impls are built on this reader
//! (`field_value::deserialize`) and say the same thing in English.
//!
//! The English texts are serde's own wording (`invalid type: integer `5`, expected a string`),
//! kept byte for byte: scripts and tests read them.

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

use crate::messages::{Msg, Text};

/// A record field's type, read from the JSON value given for it.
pub trait FieldValue: Sized {
    /// The value, or what is wrong with it (the field's name is added by the caller).
    fn from_json(v: Value) -> Result<Self, Text>;
}

/// `Deserialize` for a [`FieldValue`]: the same reading, its message in English.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: FieldValue>(d: D) -> Result<T, D::Error> {
    T::from_json(Value::deserialize(d)?).map_err(de::Error::custom)
}

impl FieldValue for String {
    fn from_json(v: Value) -> Result<Self, Text> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(wrong_type(&other, Msg::ValueExpectString.into())),
        }
    }
}

/// At most this many bytes of a received value go into a message.
const SHOWN: usize = 64;

/// `invalid type: <what v is>, expected <expected>`.
pub(crate) fn wrong_type(v: &Value, expected: Text) -> Text {
    let found = match v {
        Value::Null => Msg::ValueNull.into(),
        Value::Bool(b) => Text::new(Msg::ValueBool, &[b]),
        Value::Number(n) if n.is_f64() => Text::new(Msg::ValueFloat, &[n]),
        Value::Number(n) => Text::new(Msg::ValueInteger, &[n]),
        Value::String(s) => Text::of(Msg::ValueString, vec![quoted(s)]),
        Value::Array(_) => Msg::ValueSequence.into(),
        Value::Object(_) => Msg::ValueMap.into(),
    };
    Text::of(Msg::ValueWrongType, vec![found, expected])
}

/// A received string as a message shows it: quoted, escaped, bounded.
pub(crate) fn quoted(s: &str) -> Text {
    crate::text::shown_quoted(s, SHOWN)
}

/// An integer given as a JSON number or a decimal string (the platform sends strings);
/// `what` names it in messages (a field name, or a phrase such as "amount in fen").
pub(crate) fn int_of(v: &Value, what: Text) -> Result<i64, Text> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if let Some(u) = n.as_u64() {
                Err(Text::of(
                    Msg::ValueOutOfRange,
                    vec![what, Text::Plain(u.to_string())],
                ))
            } else {
                Err(wrong_type(v, Text::of(Msg::ValueExpectInt, vec![what])))
            }
        }
        Value::String(s) => parse_int(s).ok_or_else(|| not_decimal(what, s)),
        other => Err(wrong_type(other, Text::of(Msg::ValueExpectInt, vec![what]))),
    }
}

/// `<what> must be a decimal integer, got "<s>"`.
pub(crate) fn not_decimal(what: Text, s: &str) -> Text {
    Text::of(Msg::ValueNotDecimal, vec![what, quoted(s)])
}

/// Strict decimal: optional `-`, digits only, no spaces, no `+`.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;

    #[test]
    fn a_wrong_type_is_said_in_both_languages() {
        let t = String::from_json(Value::from(5)).unwrap_err();
        assert_eq!(
            t.to_string(),
            "invalid type: integer `5`, expected a string"
        );
        assert_eq!(t.render(Lang::Zh), "类型不对：给的是整数 `5`，应为字符串");
        let t = int_of(&Value::from(1.5), "plate_color".into()).unwrap_err();
        assert_eq!(
            t.to_string(),
            "invalid type: floating point `1.5`, expected plate_color as an integer or a decimal string"
        );
        let t = int_of(&Value::from(u64::MAX), "plate_color".into()).unwrap_err();
        assert_eq!(
            t.to_string(),
            "plate_color 18446744073709551615 is out of range"
        );
        assert_eq!(
            int_of(&Value::from("-12"), "x".into()),
            Ok(-12),
            "a decimal string is read"
        );
        assert!(int_of(&Value::from(" 1"), "x".into()).is_err());
    }
}
