//! `payment_list` of a leave record: its entries and their one deterministic JSON form.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::amount::Fen;
use crate::codes::PayType;
use crate::field_value::FieldValue;
use crate::messages::{Lang, Msg, Text};
use crate::time::EpochMillis;

/// One payment of a leave (page 001, `payment` 字段说明).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Payment {
    /// Description of where the money came from, e.g. `现金`, `微信`.
    pub pay_origin_desc: Option<String>,
    /// How it was paid.
    pub pay_type: Option<PayType>,
    /// The cashier.
    pub operator: Option<String>,
    /// When it was paid.
    pub pay_time: Option<EpochMillis>,
    /// Amount received, excluding discounts, in fen.
    pub value: Option<Fen>,
    /// Discount, in fen.
    pub free_value: Option<Fen>,
    /// The lot's unique order number; a repeat is not accepted.
    pub parking_order: Option<String>,
    /// Change given (cash received minus `value`), in fen; cash only.
    pub change_value: Option<Fen>,
    /// Keys pyun does not know, kept and sent as given.
    pub extra: BTreeMap<String, Value>,
}

/// A bad key of an entry: the key and what is wrong with it.
type EntryError = (String, Text);

fn take<T: FieldValue>(
    obj: &mut Map<String, Value>,
    key: &str,
    errors: &mut Vec<EntryError>,
) -> Option<T> {
    match obj.remove(key) {
        None | Some(Value::Null) => None,
        Some(v) => match T::from_json(v) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push((key.to_string(), e));
                None
            }
        },
    }
}

/// At most this many bytes of a received value go into a message.
const SHOWN: usize = 128;

impl Payment {
    /// Reads one entry, naming every bad key.
    fn read(mut obj: Map<String, Value>) -> Result<Payment, Vec<EntryError>> {
        let mut errors = Vec::new();
        let p = Payment {
            pay_origin_desc: take(&mut obj, "pay_origin_desc", &mut errors),
            pay_type: take(&mut obj, "pay_type", &mut errors),
            operator: take(&mut obj, "operator", &mut errors),
            pay_time: take(&mut obj, "pay_time", &mut errors),
            value: take(&mut obj, "value", &mut errors),
            free_value: take(&mut obj, "free_value", &mut errors),
            parking_order: take(&mut obj, "parking_order", &mut errors),
            change_value: take(&mut obj, "change_value", &mut errors),
            extra: obj.into_iter().collect(),
        };
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }

    /// The entry as a JSON object with sorted keys, in the exact shape of the platform's own
    /// sample (page 001): `value` and `free_value` as JSON numbers, every other field a string.
    /// Matching the sample byte-for-byte is the safest choice, since the platform signs the
    /// raw text and does not canonicalise it.
    pub fn to_value(&self) -> Value {
        let mut m: BTreeMap<String, Value> = self.extra.clone();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        let s = |v: &dyn ToString| Value::String(v.to_string());
        put(
            "pay_origin_desc",
            self.pay_origin_desc.as_ref().map(|v| s(v)),
        );
        put("pay_type", self.pay_type.map(|v| s(&v)));
        put("operator", self.operator.as_ref().map(|v| s(v)));
        put("pay_time", self.pay_time.map(|v| s(&v)));
        put("value", self.value.map(|v| Value::from(v.0)));
        put("free_value", self.free_value.map(|v| Value::from(v.0)));
        put("parking_order", self.parking_order.as_ref().map(|v| s(v)));
        put("change_value", self.change_value.map(|v| s(&v)));
        // BTreeMap iterates in byte order, which is Java's order for these ASCII keys.
        Value::Object(m.into_iter().collect())
    }
}

/// A `payment_list`: accepted as a JSON array, or as a string holding one (what a caller that
/// already serialised it will pass), and always sent as [`PaymentList::to_json`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaymentList(pub Vec<Payment>);

impl PaymentList {
    /// Parses from a JSON array or a string of one; every bad entry is named.
    pub fn from_value(v: Value) -> Result<PaymentList, Text> {
        let v = match v {
            Value::String(s) => {
                serde_json::from_str(&s).map_err(|e| Text::new(Msg::PaymentNotJson, &[&e]))?
            }
            v => v,
        };
        let items = match v {
            Value::Array(a) => a,
            other => {
                let shown = crate::text::shown(&other.to_string(), SHOWN);
                return Err(Text::of(Msg::PaymentNotArray, vec![shown]));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut errors = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let Value::Object(obj) = item else {
                let shown = crate::text::shown(&item.to_string(), SHOWN);
                errors.push(Text::of(
                    Msg::PaymentNotObject,
                    vec![i.to_string().into(), shown],
                ));
                continue;
            };
            match Payment::read(obj) {
                Ok(p) => out.push(p),
                Err(es) => errors.extend(es.into_iter().map(|(key, why)| {
                    Text::of(
                        Msg::PaymentFieldInvalid,
                        vec![i.to_string().into(), key.into(), why],
                    )
                })),
            }
        }
        if errors.is_empty() {
            return Ok(PaymentList(out));
        }
        // Every bad key, in each language (a list has no one catalog message).
        let joined = |lang: Lang, sep: &str| {
            let all: Vec<String> = errors.iter().map(|e| e.render(lang)).collect();
            all.join(sep)
        };
        Err(Text::Written {
            en: joined(Lang::En, "; "),
            zh: joined(Lang::Zh, "；"),
        })
    }

    /// The compact JSON text that is signed and sent; the same list always gives the same text.
    pub fn to_json(&self) -> String {
        Value::Array(self.0.iter().map(Payment::to_value).collect()).to_string()
    }
}

impl Serialize for PaymentList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Value::Array(self.0.iter().map(Payment::to_value).collect()).serialize(s)
    }
}

impl FieldValue for PaymentList {
    fn from_json(v: Value) -> Result<Self, Text> {
        PaymentList::from_value(v)
    }
}

impl<'de> Deserialize<'de> for PaymentList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::field_value::deserialize(d)
    }
}
