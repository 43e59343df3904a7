//! The platform's enumerations. Each keeps unknown codes as `Other(n)` so that a code the
//! platform adds later passes through instead of failing.
//!
//! On the wire every code is a decimal string; on input a JSON number or a numeric string is
//! accepted. Construct from a number with `from_code`, which maps known codes to their variant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::field_value::{int_of, not_decimal, parse_int, FieldValue};
use crate::messages::Text;

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $var:ident = $val:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("Code `", stringify!($val), "`.")] $var,)*
            /// A code this library does not know; sent and received unchanged.
            Other(i64),
        }

        impl $name {
            /// The numeric code.
            pub fn code(self) -> i64 {
                match self {
                    $($name::$var => $val,)*
                    $name::Other(c) => c,
                }
            }

            /// The variant for a code; unknown codes become `Other`.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $($val => $name::$var,)*
                    other => $name::Other(other),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.code())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                parse_int(s)
                    .map($name::from_code)
                    .ok_or_else(|| not_decimal(Text::Plain($what.into()), s).to_string())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.code())
            }
        }

        impl FieldValue for $name {
            fn from_json(v: Value) -> Result<Self, Text> {
                int_of(&v, Text::Plain($what.into())).map($name::from_code)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::field_value::deserialize(d)
            }
        }
    };
}

code_enum!(
    /// `plate_color`: 1 blue, 2 yellow, 3 white, 4 black, 5 green, -1 unknown.
    PlateColor, "plate_color" {
        Blue = 1, Yellow = 2, White = 3, Black = 4, Green = 5, Unknown = -1,
    }
);

code_enum!(
    /// `car_color`: the plate colours plus 6 silver, 7 grey, 8 orange.
    CarColor, "car_color" {
        Blue = 1, Yellow = 2, White = 3, Black = 4, Green = 5, Silver = 6, Grey = 7, Orange = 8,
        Unknown = -1,
    }
);

code_enum!(
    /// `car_type`: 1 temporary, 2 monthly, 3 VIP/free, 4 stored-value, 0 unknown.
    CarType, "car_type" {
        Temporary = 1, Monthly = 2, Vip = 3, StoredValue = 4, Unknown = 0,
    }
);

code_enum!(
    /// `vehicle_type`: 1 small, 2 large, 3 e-bike/motorcycle, -1 unknown.
    VehicleType, "vehicle_type" {
        Small = 1, Large = 2, Motorcycle = 3, Unknown = -1,
    }
);

code_enum!(
    /// `plate_type`: 0 mainland China, 1 foreign (incl. Hong Kong/Macau), 2 two-wheel e-bike.
    PlateType, "plate_type" {
        Mainland = 0, Foreign = 1, EBike = 2,
    }
);

code_enum!(
    /// `pay_type` in a payment: 1 cash, 2 online, 3 no-stop (无感), 4 stored-value, 8 coupon.
    PayType, "pay_type" {
        Cash = 1, Online = 2, NoStop = 3, StoredValue = 4, Coupon = 8,
    }
);

code_enum!(
    /// `release_type`: 1 at enter, 2 at leave.
    ReleaseType, "release_type" {
        Enter = 1, Leave = 2,
    }
);

code_enum!(
    /// `release_method`: 0 unknown, 1 manual, 2 automatic, 3 suspected tailgating.
    ReleaseMethod, "release_method" {
        Unknown = 0, Manual = 1, Automatic = 2, Tailgating = 3,
    }
);

code_enum!(
    /// `DiscountType` of a merchant coupon: 1 amount (fen), 2 time, 3 fully free,
    /// 4 different pricing, 5 long-term, 6 discount.
    DiscountType, "coupon_type" {
        Amount = 1, Time = 2, Free = 3, Pricing = 4, LongTerm = 5, Discount = 6,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes_round_trip() {
        let c: PlateColor = serde_json::from_str("\"2\"").unwrap();
        assert_eq!(c, PlateColor::Yellow);
        let c: PlateColor = serde_json::from_str("-1").unwrap();
        assert_eq!(c, PlateColor::Unknown);
        let c: VehicleType = serde_json::from_str("\"0\"").unwrap();
        assert_eq!(c, VehicleType::Other(0));
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"0\"");
        assert_eq!(CarColor::from_code(42).to_string(), "42");
        assert!(serde_json::from_str::<CarType>("\"1a\"").is_err());
        assert!(serde_json::from_str::<CarType>("\" 1\"").is_err());
        assert_eq!("3".parse::<ReleaseMethod>(), Ok(ReleaseMethod::Tailgating));
    }
}
