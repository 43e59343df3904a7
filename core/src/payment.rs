//! `payment_list` of a leave record: its entries and their one deterministic JSON form.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::amount::Fen;
use crate::codes::PayType;
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

fn take<T: DeserializeOwned>(
    obj: &mut Map<String, Value>,
    key: &str,
    errors: &mut Vec<String>,
) -> Option<T> {
    match obj.remove(key) {
        None | Some(Value::Null) => None,
        Some(v) => match serde_json::from_value(v) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(format!("{}: {}", key, e));
                None
            }
        },
    }
}

impl Payment {
    /// Parses one entry, naming every bad key.
    pub fn from_value(v: Value) -> Result<Payment, Vec<String>> {
        let mut obj = match v {
            Value::Object(o) => o,
            other => return Err(vec![format!("expected an object, got {}", other)]),
        };
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
    pub fn from_value(v: Value) -> Result<PaymentList, String> {
        let v = match v {
            Value::String(s) => {
                serde_json::from_str(&s).map_err(|e| format!("not a JSON array: {}", e))?
            }
            v => v,
        };
        let items = match v {
            Value::Array(a) => a,
            other => return Err(format!("expected a JSON array of payments, got {}", other)),
        };
        let mut out = Vec::with_capacity(items.len());
        let mut errors = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match Payment::from_value(item) {
                Ok(p) => out.push(p),
                Err(es) => errors.extend(es.into_iter().map(|e| format!("[{}].{}", i, e))),
            }
        }
        if errors.is_empty() {
            Ok(PaymentList(out))
        } else {
            Err(errors.join("; "))
        }
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

impl<'de> Deserialize<'de> for PaymentList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        PaymentList::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
