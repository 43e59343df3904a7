//! Non-negative integers the platform sends as decimal strings: money in fen, space counts.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::field_value::{int_of, FieldValue};
use crate::messages::{Msg, Text};

macro_rules! uint_string {
    ($(#[$meta:meta])* $name:ident, $what:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl FieldValue for $name {
            fn from_json(v: Value) -> Result<Self, Text> {
                let n = int_of(&v, $what.into())?;
                u64::try_from(n)
                    .map($name)
                    .map_err(|_| Text::of(Msg::ValueNegative, vec![$what.into(), Text::Plain(n.to_string())]))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::field_value::deserialize(d)
            }
        }
    };
}

uint_string!(
    /// An amount of money in fen (1/100 yuan). `Fen(1000)` is 10 yuan.
    Fen, Msg::ValueWhatFen
);

uint_string!(
    /// A count of parking spaces.
    Count, Msg::ValueWhatCount
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_and_strings() {
        assert_eq!(serde_json::from_str::<Fen>("500").unwrap(), Fen(500));
        assert_eq!(serde_json::from_str::<Fen>("\"500\"").unwrap(), Fen(500));
        assert!(serde_json::from_str::<Fen>("\"5.00\"").is_err());
        assert!(serde_json::from_str::<Fen>("5.5").is_err());
        assert!(serde_json::from_str::<Count>("-1").is_err());
        assert_eq!(serde_json::to_string(&Count(10)).unwrap(), "\"10\"");
    }
}
