//! Pushes the platform sends to subscribers (pages 000 and 004): verification, typed views,
//! the acknowledgement, and [`sign_push`] for testing a receiver.
//!
//! Every field arrives as a string (empty strings occur); lists arrive as JSON text, and an
//! empty list may arrive as `[]`, `""`, `null` or `{}` (all parsed as empty). Receivers must
//! be idempotent: the platform resends until it reads `{"code":"1001"}`, so they must also
//! always answer: a push they cannot handle gets a non-ack status and comes again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::messages::{Msg, Text};
use crate::secret::AppSecret;
use crate::sign::{self, EmptyRule, SIGN_FIELD};
use crate::time::EpochMillis;

/// The body a receiver answers once it has handled a push.
pub const ACK_BODY: &str = r#"{"code":"1001"}"#;

/// Parses a received `application/x-www-form-urlencoded` body into fields (UTF-8).
/// A key given twice is an error: which copy the platform signed cannot be known.
pub fn parse_form_body(body: &[u8]) -> Result<Vec<(String, String)>> {
    if std::str::from_utf8(body).is_err() {
        return Err(Error::Json(Text::of(
            Msg::UrlencodedMalformed,
            vec![Msg::PushNotUtf8.into()],
        )));
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::Json(Text::of(
            Msg::UrlencodedMalformed,
            vec![Text::new(Msg::PushFieldTwice, &[&w[0]])],
        )));
    }
    Ok(fields)
}

/// Reads a flat JSON object of fields. Strings are taken as they are; numbers and booleans as
/// their JSON text (a hand-written JSON push may carry them); `null`, arrays and objects are
/// refused, since their string form on the platform's side is unknowable.
pub fn fields_from_json(json: &str) -> Result<Vec<(String, String)>> {
    crate::json_fields::members(json)?
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            Value::Bool(b) => Ok((k, b.to_string())),
            // Named, not echoed: a payment list is hundreds of characters.
            other @ (Value::Array(_) | Value::Object(_)) => Err(Error::Json(Text::of(
                Msg::FlatFieldNested,
                vec![
                    k.into(),
                    crate::json_fields::kind_of_value(&other),
                    if other.is_array() { "[...]" } else { "{...}" }.into(),
                ],
            ))),
            other => Err(Error::Json(Text::of(
                Msg::FlatFieldNotString,
                vec![k.into(), crate::json_fields::kind_of_value(&other)],
            ))),
        })
        .collect()
}

/// Produces a correctly signed push from the platform's side: adds `app_id`, `sign_type=MD5`,
/// `timestamp` (epoch ms; now when `None`) and `sign`. For testing receivers.
pub fn sign_push(
    fields: &[(String, String)],
    app_secret: &AppSecret,
    app_id: &str,
    timestamp: Option<EpochMillis>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "sign" | "app_id" | "sign_type" | "timestamp"))
        .cloned()
        .collect();
    out.push(("app_id".into(), app_id.into()));
    out.push(("sign_type".into(), "MD5".into()));
    out.push((
        "timestamp".into(),
        timestamp.unwrap_or_else(EpochMillis::now).to_string(),
    ));
    let s = sign::sign(&out, app_secret);
    out.push((SIGN_FIELD.into(), s));
    out
}

fn get(fields: &[(String, String)], key: &str) -> String {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn rest(fields: &[(String, String)], known: &[&str]) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

macro_rules! push_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident,)* } lists { $($(#[$lmeta:meta])* $list:ident : $lty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: String,)*
            $($(#[$lmeta])* pub $list: Vec<$lty>,)*
            /// Envelope and fields this library does not know (`app_id`, `sign_type`,
            /// `timestamp`, fields the platform added later), kept as received.
            pub extra: BTreeMap<String, String>,
            /// Which rule for empty values the signature matched.
            #[serde(skip)]
            pub empty_rule: Option<EmptyRule>,
        }

        impl $name {
            const KNOWN: &'static [&'static str] = &[$(stringify!($field),)* $(stringify!($list),)* SIGN_FIELD];

            /// Verifies the signature, then reads the fields. A bad signature is
            /// [`Error::Signature`]; a malformed list is [`Error::Json`] (a list sent as `""`,
            /// `null` or `{}` is empty).
            pub fn verify_and_parse(fields: &[(String, String)], app_secret: &AppSecret) -> Result<Self> {
                let rule = sign::verify(fields, app_secret)?;
                Ok($name {
                    $($field: get(fields, stringify!($field)),)*
                    $($list: parse_list(fields, stringify!($list))?,)*
                    extra: rest(fields, Self::KNOWN),
                    empty_rule: Some(rule),
                })
            }
        }
    };
}

/// A list field (JSON text). The platform sends an empty list as `[]`, but also as `""`,
/// `null`, `{}` or `""` in quotes (seen from PHP and Java encoders): all of those are the empty
/// list, so a receiver does not refuse (and get resent forever) a push with no discounts.
/// Anything else that is not a list is an error naming the field.
fn parse_list<T: for<'de> Deserialize<'de>>(
    fields: &[(String, String)],
    key: &str,
) -> Result<Vec<T>> {
    let text = get(fields, key);
    let value: Value = match text.trim() {
        "" => return Ok(Vec::new()),
        t => serde_json::from_str(t)
            .map_err(|e| Error::Json(Text::new(Msg::ListInvalid, &[&key, &e])))?,
    };
    match &value {
        Value::Null => return Ok(Vec::new()),
        Value::Object(o) if o.is_empty() => return Ok(Vec::new()),
        Value::String(s) if s.trim().is_empty() => return Ok(Vec::new()),
        _ => {}
    }
    serde_json::from_value(value).map_err(|e| Error::Json(Text::new(Msg::ListInvalid, &[&key, &e])))
}

/// A discount used by a payment (page 004, `discounts`). Fields are kept as strings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    /// Discount type.
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    pub kind: String,
    /// Voucher token.
    #[serde(default, deserialize_with = "lenient_string")]
    pub token: String,
    /// User id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub openid: String,
    /// Mobile number.
    #[serde(default, deserialize_with = "lenient_string")]
    pub mobile: String,
    /// Amount relieved.
    #[serde(default, deserialize_with = "lenient_string")]
    pub relief_amount: String,
    /// Value relieved, fen.
    #[serde(default, deserialize_with = "lenient_string")]
    pub relief_value: String,
    /// Other keys.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A merchant coupon (page 004, `mcoupons`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MerchantCoupon {
    /// Coupon name.
    #[serde(default, deserialize_with = "lenient_string")]
    pub coupon_name: String,
    /// Coupon number.
    #[serde(default, deserialize_with = "lenient_string")]
    pub coupon_code: String,
    /// Merchant name.
    #[serde(default, deserialize_with = "lenient_string")]
    pub store_name: String,
    /// Merchant number.
    #[serde(default, deserialize_with = "lenient_string")]
    pub store_code: String,
    /// `DiscountType` code (see [`DiscountType`](crate::codes::DiscountType)).
    #[serde(default, deserialize_with = "lenient_string")]
    pub coupon_type: String,
    /// Face value.
    #[serde(default, deserialize_with = "lenient_string")]
    pub coupon_value: String,
    /// When granted.
    #[serde(default, deserialize_with = "lenient_string")]
    pub grant_time: String,
    /// Grant serial.
    #[serde(default, deserialize_with = "lenient_string")]
    pub grant_serial: String,
    /// Other keys.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Accepts a string, a number or null for a string field: the platform's lists are loosely typed.
fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

push_struct!(
    /// A leave record pushed by the platform (page 000).
    LeavePush {
        /// Parking lot id.
        park_uuid,
        /// Parking lot name.
        park_name,
        /// Address.
        address,
        /// Area code.
        area_code,
        /// WGS84 latitude.
        latitude,
        /// WGS84 longitude.
        longitude,
        /// The platform's parking serial: the idempotency key.
        parking_serial,
        /// Plate.
        plate,
        /// Plate colour code.
        plate_color,
        /// Vehicle class code.
        car_type,
        /// Vehicle class description (may be empty).
        car_desc,
        /// Enter time, epoch ms.
        enter_time,
        /// Enter photo URL.
        enter_image,
        /// Entrance.
        enter_gate,
        /// Entrance guard.
        enter_security,
        /// Vehicle size code.
        vehicle_type,
        /// Leave time, epoch ms.
        leave_time,
        /// Leave photo URL.
        leave_image,
        /// Exit.
        leave_gate,
        /// Exit guard.
        leave_security,
        /// Stay, seconds.
        parking_time,
        /// Total fee, fen.
        total_value,
        /// Discount, fen.
        free_value,
        /// Paid without stopping, fen.
        autopay_value,
        /// Total spaces.
        total_space,
        /// Spaces left.
        remain_space,
    } lists {}
);

push_struct!(
    /// A temporary-parking payment order pushed by the platform (page 004).
    PaymentPush {
        /// Parking lot id.
        park_uuid,
        /// Parking lot name.
        park_name,
        /// The platform's parking serial.
        parking_serial,
        /// The platform's payment serial: the idempotency key.
        pay_serial,
        /// Amount paid, fen.
        pay_value,
        /// Payment time, epoch ms.
        pay_time,
        /// Plate.
        plate,
        /// Payment channel.
        channel,
        /// The platform's user id.
        identity,
    } lists {
        /// Discounts used (sent as JSON text).
        discounts: Discount,
        /// Merchant coupons used (sent as JSON text).
        mcoupons: MerchantCoupon,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> AppSecret {
        AppSecret::new("s3cret")
    }

    #[test]
    fn empty_lists_arrive_as_null_empty_or_an_empty_object() {
        for empty in ["", " ", "null", " null ", "{}", "[]", "\"\""] {
            let fields = vec![
                ("pay_serial".to_string(), "P".to_string()),
                ("discounts".into(), empty.into()),
                ("mcoupons".into(), empty.into()),
            ];
            let signed = sign_push(&fields, &secret(), "app", None);
            let p = PaymentPush::verify_and_parse(&signed, &secret())
                .unwrap_or_else(|e| panic!("discounts={:?}: {}", empty, e));
            assert!(
                p.discounts.is_empty() && p.mcoupons.is_empty(),
                "{:?}",
                empty
            );
        }
        // Anything else that is not a list is still an error, naming the field.
        let fields = vec![("discounts".to_string(), "{\"a\":1}".to_string())];
        let err =
            PaymentPush::verify_and_parse(&sign_push(&fields, &secret(), "app", None), &secret())
                .unwrap_err();
        assert!(err.to_string().contains("discounts"), "{}", err);
    }

    #[test]
    fn sign_push_then_parse_payment() {
        let fields = vec![
            ("park_uuid".to_string(), "49f0".to_string()),
            ("pay_serial".into(), "2021".into()),
            ("discounts".into(), "[]".into()),
            (
                "mcoupons".into(),
                r#"[{"coupon_name":"10元停车券","coupon_type":1,"coupon_value":"1000"}]"#.into(),
            ),
            ("new_platform_field".into(), "".into()),
        ];
        let signed = sign_push(
            &fields,
            &secret(),
            "op00961963581daa7",
            EpochMillis::new(1_618_994_562_891).ok(),
        );
        let p = PaymentPush::verify_and_parse(&signed, &secret()).unwrap();
        assert_eq!(p.pay_serial, "2021");
        assert_eq!(p.mcoupons[0].coupon_type, "1");
        assert_eq!(p.extra.get("sign_type").map(String::as_str), Some("MD5"));
        assert!(p.extra.contains_key("new_platform_field"));
        assert_eq!(p.empty_rule, Some(EmptyRule::Included));
        assert!(PaymentPush::verify_and_parse(&signed, &AppSecret::new("x")).is_err());
    }

    #[test]
    fn form_body_parsing() {
        let f = parse_form_body("a=%E4%B8%AD&b=x+y&c=".as_bytes()).unwrap();
        assert_eq!(
            f,
            vec![
                ("a".into(), "中".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into())
            ]
        );
        assert!(parse_form_body(b"a=1&a=2").is_err());
        assert!(fields_from_json(r#"{"a":[1]}"#).is_err());
        assert_eq!(
            fields_from_json(r#"{"a":1}"#).unwrap(),
            vec![("a".into(), "1".into())]
        );
    }
}
