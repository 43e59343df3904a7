//! Non-negative integers the platform sends as decimal strings: money in fen, space counts.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

macro_rules! uint_string {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
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

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = crate::codes::deserialize_int(d, $what)?;
                u64::try_from(v)
                    .map($name)
                    .map_err(|_| de::Error::custom(format!("{} must not be negative, got {}", $what, v)))
            }
        }
    };
}

uint_string!(
    /// An amount of money in fen (1/100 yuan). `Fen(1000)` is 10 yuan.
    Fen, "amount in fen"
);

uint_string!(
    /// A count of parking spaces.
    Count, "parking space count"
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
