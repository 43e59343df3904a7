//! Typed records for the four upstream endpoints.
//!
//! Each record takes the platform's own field names, from Rust or from a JSON object (what the
//! C and Python bindings pass). Codes, amounts and times accept a JSON number or a string; JSON
//! `null` means "not set". Reading a JSON object reports **every** bad key at once: unknown keys
//! (most often typos) are refused, and fields the platform added after this library was written
//! go under `"extra"` as strings, which are sent and signed as given. Their names must be what
//! the platform's names are made of (ASCII letters, digits, `_`): a name is written as it is
//! into a multipart header, so any other character is refused, naming the key and why.
//!
//! Required fields are the pages' 必填 column, with the spec's two exceptions: `api_type` goes
//! with `app_id` (a client option, see [`BuildOptions`](crate::BuildOptions)), and on enter and
//! leave `merchant` may stand in for `park_uuid`. Where a page marks a field required that the
//! platform's own sample leaves out (`charge_type` on leave), the page wins: refusing before
//! sending is safer than a record the platform may drop.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::amount::{Count, Fen};
use crate::codes::{
    CarColor, CarType, PlateColor, PlateType, ReleaseMethod, ReleaseType, VehicleType,
};
use crate::endpoint::Endpoint;
use crate::error::{Error, Problem, ProblemKind, ValidationError};
use crate::field_value::FieldValue;
use crate::messages::{Msg, Text};
use crate::payment::PaymentList;
use crate::time::{EpochMillis, UtcTime};

/// How a typed value is written on the wire: a string, exactly what is signed.
pub trait WireValue {
    /// The wire text.
    fn wire(&self) -> String;
}

impl WireValue for String {
    fn wire(&self) -> String {
        self.clone()
    }
}

impl WireValue for PaymentList {
    fn wire(&self) -> String {
        self.to_json()
    }
}

macro_rules! wire_by_display {
    ($($t:ty),*) => {
        $(impl WireValue for $t {
            fn wire(&self) -> String {
                self.to_string()
            }
        })*
    };
}

wire_by_display!(
    PlateColor,
    CarColor,
    CarType,
    PlateType,
    VehicleType,
    ReleaseType,
    ReleaseMethod,
    EpochMillis,
    UtcTime,
    Fen,
    Count
);

/// What every record offers. Object-safe, so bindings can hold any record.
pub trait Record {
    /// The endpoint this record is pushed to.
    fn endpoint(&self) -> Endpoint;

    /// The text fields as they go on the wire, unset fields left out (empty strings kept here
    /// so validation can name them; the request builder drops them).
    fn to_fields(&self) -> Vec<(String, String)>;

    /// Required fields and cross-field rules; every problem reported together.
    fn validate(&self) -> Result<(), ValidationError>;
}

fn take_field<T: FieldValue>(
    obj: &mut Map<String, Value>,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match obj.remove(key) {
        None | Some(Value::Null) => None,
        Some(v) => match T::from_json(v) {
            Ok(t) => Some(t),
            Err(why) => {
                problems.push(Problem {
                    field: key.to_string(),
                    kind: ProblemKind::Invalid(why),
                });
                None
            }
        },
    }
}

fn take_extra(
    obj: &mut Map<String, Value>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match obj.remove("extra") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        out.insert(k, s);
                    }
                    Value::Number(n) => {
                        out.insert(k, n.to_string());
                    }
                    Value::Null => {}
                    other => problems.push(Problem {
                        field: format!("extra.{}", k),
                        kind: ProblemKind::Invalid(Text::of(
                            Msg::ExtraValueType,
                            vec![crate::json_fields::kind_of_value(&other)],
                        )),
                    }),
                }
            }
        }
        Some(other) => problems.push(Problem {
            field: "extra".into(),
            kind: ProblemKind::Invalid(Text::of(
                Msg::ExtraNotObject,
                vec![crate::json_fields::kind_of_value(&other)],
            )),
        }),
    }
    out
}

fn object_of(endpoint: Endpoint, v: Value) -> Result<Map<String, Value>, ValidationError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(ValidationError::single(
            endpoint.name(),
            "<record>",
            ProblemKind::Invalid(Text::of(
                Msg::RecordNotObject,
                vec![crate::json_fields::kind_of_value(&other)],
            )),
        )),
    }
}

/// The common checks: text damaged before it reached pyun (`garbled.rs`), required fields,
/// `merchant` for `park_uuid`, `extra` names that are safe
/// to send (see [`field_name_problem`](field_name_problem)) and do not shadow a
/// known field.
fn check_common(
    known: &[&str],
    required: &[&str],
    fields: &[(String, String)],
    extra: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) {
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
    crate::garbled::problems(fields, problems);
    for &req in required {
        if req == "park_uuid"
            && known.contains(&"merchant")
            && get("merchant").is_some_and(|m| !m.is_empty())
        {
            continue;
        }
        let kind = match get(req) {
            None => ProblemKind::Missing,
            Some("") => ProblemKind::Empty,
            Some(_) => continue,
        };
        problems.push(Problem {
            field: req.to_string(),
            kind,
        });
    }
    for k in extra.keys() {
        if let Some(why) = field_name_problem(k) {
            problems.push(Problem {
                field: format!("extra.{:?}", k),
                kind: ProblemKind::Invalid(why),
            });
        } else if known.contains(&k.as_str()) || k == "sign" || k == "extra" {
            problems.push(Problem {
                field: format!("extra.{}", k),
                kind: ProblemKind::Invalid(Text::new(Msg::ExtraKnownField, &[k])),
            });
        }
    }
}

macro_rules! record {
    (
        $(#[$meta:meta])*
        $name:ident, $endpoint:expr, required = [$($req:literal),* $(,)?],
        { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: Option<$ty>,)*
            /// Fields pyun does not know (the platform adds fields over time): sent and signed
            /// as given.
            pub extra: BTreeMap<String, String>,
        }

        impl $name {
            /// The platform's names of this record's fields (besides `extra`).
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
            /// The required fields (page 必填 column).
            pub const REQUIRED: &'static [&'static str] = &[$($req),*];

            /// Reads a JSON object with the platform's field names, naming every bad key.
            pub fn from_value(v: Value) -> Result<Self, ValidationError> {
                let mut obj = object_of($endpoint, v)?;
                let mut problems = Vec::new();
                let rec = $name {
                    $($field: take_field(&mut obj, stringify!($field), &mut problems),)*
                    extra: take_extra(&mut obj, &mut problems),
                };
                for key in obj.keys() {
                    problems.push(Problem { field: key.clone(), kind: ProblemKind::Unknown });
                }
                if problems.is_empty() {
                    return Ok(rec);
                }
                // One error names everything: add what validation finds in the rest (a field
                // already named as malformed is not named again as missing).
                if let Err(more) = rec.validate() {
                    for p in more.problems {
                        if !problems.iter().any(|q| q.field == p.field) {
                            problems.push(p);
                        }
                    }
                }
                Err(ValidationError { what: $endpoint.name().to_string(), problems })
            }

            /// Reads a JSON text; see [`Self::from_value`].
            pub fn from_json(json: &str) -> Result<Self, Error> {
                let v = crate::json_fields::value(json)?;
                Ok(Self::from_value(v)?)
            }
        }

        impl Record for $name {
            fn endpoint(&self) -> Endpoint {
                $endpoint
            }

            fn to_fields(&self) -> Vec<(String, String)> {
                let mut out = Vec::with_capacity(Self::FIELDS.len() + self.extra.len());
                $(if let Some(v) = &self.$field {
                    out.push((stringify!($field).to_string(), v.wire()));
                })*
                out.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
                out
            }

            fn validate(&self) -> Result<(), ValidationError> {
                let fields = self.to_fields();
                let mut problems = Vec::new();
                check_common(Self::FIELDS, Self::REQUIRED, &fields, &self.extra, &mut problems);
                self.check_more(&mut problems);
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(ValidationError { what: $endpoint.name().to_string(), problems })
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(None)?;
                $(if let Some(v) = &self.$field {
                    map.serialize_entry(stringify!($field), v)?;
                })*
                if !self.extra.is_empty() {
                    map.serialize_entry("extra", &self.extra)?;
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

record!(
    /// Push vehicle enter: `POST /gate/1.0/parking/internal/enter` (the enter half of the leave
    /// fields).
    EnterRecord, Endpoint::Enter,
    required = ["park_uuid", "parking_serial", "plate_color", "enter_time", "car_type", "car_desc", "charge_type"],
    {
        /// Parking lot UUID assigned by the platform (or give `merchant`).
        park_uuid: String,
        /// Merchant number, accepted instead of `park_uuid`.
        merchant: String,
        /// The lot's serial for this stay, usually the enter record id; unique per lot.
        parking_serial: String,
        /// Plate number, e.g. `粤B12345`.
        plate: String,
        /// Plate colour.
        plate_color: PlateColor,
        /// Plate type.
        plate_type: PlateType,
        /// Enter time.
        enter_time: EpochMillis,
        /// Enter photo URL (ignored by the platform when `enter_image_file` is sent).
        enter_image: String,
        /// MD5 of `enter_image_file`; computed for you when the file is attached.
        enter_image_hash: String,
        /// Plate close-up URL (only some city platforms want it).
        enter_plate_image: String,
        /// MD5 of `enter_plate_image_file`; computed for you.
        enter_plate_image_hash: String,
        /// Entrance name.
        enter_gate: String,
        /// Entrance guard.
        enter_security: String,
        /// Vehicle class.
        car_type: CarType,
        /// Vehicle class description, e.g. `临停/月卡A`.
        car_desc: String,
        /// Vehicle colour.
        car_color: CarColor,
        /// Charging standard.
        charge_type: String,
        /// Vehicle size.
        vehicle_type: VehicleType,
        /// Pass holder's name (some scenic areas only).
        idcard_name: String,
        /// Pass number.
        idcard_no: String,
        /// Pass photo URL.
        idcard_image: String,
        /// Why the barrier was opened by hand at the entrance.
        enter_release_reason: String,
        /// Total spaces of the lot.
        total_parking_space: Count,
        /// Spaces left; counts only when `total_parking_space` > 0.
        remain_parking_space: Count,
    }
);

record!(
    /// Push vehicle leave (page 001): `POST /gate/1.0/parking/internal/leave`. A leave may carry
    /// the enter fields when the enter was never pushed (note 8); its `enter_time` must equal the
    /// enter push's (note 9).
    LeaveRecord, Endpoint::Leave,
    required = [
        "park_uuid", "parking_serial", "plate_color", "enter_time", "car_type", "car_desc", "charge_type",
        "leave_time",
    ],
    {
        /// Parking lot UUID assigned by the platform (or give `merchant`).
        park_uuid: String,
        /// Merchant number, accepted instead of `park_uuid`.
        merchant: String,
        /// The lot's serial for this stay (the same as the enter's).
        parking_serial: String,
        /// Plate number.
        plate: String,
        /// Plate colour.
        plate_color: PlateColor,
        /// Plate type.
        plate_type: PlateType,
        /// Enter time: must equal the enter push's.
        enter_time: EpochMillis,
        /// Enter photo URL.
        enter_image: String,
        /// MD5 of `enter_image_file`; computed for you.
        enter_image_hash: String,
        /// Enter plate close-up URL.
        enter_plate_image: String,
        /// MD5 of `enter_plate_image_file`; computed for you.
        enter_plate_image_hash: String,
        /// Entrance name.
        enter_gate: String,
        /// Entrance guard.
        enter_security: String,
        /// Vehicle class.
        car_type: CarType,
        /// Vehicle class description.
        car_desc: String,
        /// Vehicle colour.
        car_color: CarColor,
        /// Charging standard.
        charge_type: String,
        /// Vehicle size.
        vehicle_type: VehicleType,
        /// Leave time.
        leave_time: EpochMillis,
        /// Leave photo URL.
        leave_image: String,
        /// MD5 of `leave_image_file`; computed for you.
        leave_image_hash: String,
        /// Leave plate close-up URL.
        leave_plate_image: String,
        /// MD5 of `leave_plate_image_file`; computed for you.
        leave_plate_image_hash: String,
        /// Exit name.
        leave_gate: String,
        /// Exit guard.
        leave_security: String,
        /// Total parking fee, fen.
        total_value: Fen,
        /// Total discount, fen.
        free_value: Fen,
        /// Paid online, fen.
        online_value: Fen,
        /// Deducted from stored value, fen.
        balance_value: Fen,
        /// Paid in cash, fen.
        cash_value: Fen,
        /// Leave-first-pay-later amount, fen.
        prepaid_value: Fen,
        /// Pass holder's name.
        idcard_name: String,
        /// Pass number.
        idcard_no: String,
        /// Pass photo URL.
        idcard_image: String,
        /// Why the barrier was opened by hand at the entrance.
        enter_release_reason: String,
        /// Why the barrier was opened by hand at the exit.
        leave_release_reason: String,
        /// Total spaces of the lot.
        total_parking_space: Count,
        /// Spaces left; counts only when `total_parking_space` > 0.
        remain_parking_space: Count,
        /// The payments; sent as one deterministic JSON text, which is what is signed.
        payment_list: PaymentList,
    }
);

record!(
    /// Push abnormal release (page 002): `POST /gate/1.0/parking/internal/release`.
    ReleaseRecord, Endpoint::Release,
    required = ["release_type", "park_uuid", "parking_serial", "plate"],
    {
        /// At enter or at leave.
        release_type: ReleaseType,
        /// Parking lot UUID.
        park_uuid: String,
        /// The lot's serial for this stay.
        parking_serial: String,
        /// Plate number.
        plate: String,
        /// Plate colour.
        plate_color: PlateColor,
        /// When the barrier opened (UTC ISO).
        release_time: UtcTime,
        /// Capture photo URL; or attach the photo as the `capture_image` file instead.
        capture_image: String,
        /// Lane name.
        gate_name: String,
        /// Lane number.
        gate_id: String,
        /// Vehicle class.
        car_type: CarType,
        /// Vehicle class description.
        car_desc: String,
        /// Operator.
        operator: String,
        /// Reason for the release.
        reason: String,
        /// How it was released.
        release_method: ReleaseMethod,
        /// Description of the method, e.g. `遥控开闸`.
        release_method_desc: String,
    }
);

record!(
    /// Push record update (page 003): `POST /gate/1.0/parking/internal/update`; `flow_no` is
    /// unique per lot.
    UpdateRecord, Endpoint::Update,
    required = ["park_uuid", "flow_no", "parking_serial", "plate"],
    {
        /// Parking lot UUID.
        park_uuid: String,
        /// The change's serial; a repeat is ignored.
        flow_no: String,
        /// The lot's serial of the stay being corrected.
        parking_serial: String,
        /// Plate number.
        plate: String,
        /// Plate colour.
        plate_color: PlateColor,
        /// Vehicle class.
        car_type: CarType,
        /// Vehicle class description.
        car_desc: String,
        /// Enter time (UTC ISO).
        enter_time: UtcTime,
        /// Leave time (UTC ISO).
        leave_time: UtcTime,
        /// When the change was made (UTC ISO).
        operate_time: UtcTime,
        /// Operator.
        operator: String,
        /// Reason for the change.
        reason: String,
    }
);

fn leave_not_before_enter(enter: Option<i64>, leave: Option<i64>, problems: &mut Vec<Problem>) {
    if let (Some(e), Some(l)) = (enter, leave) {
        if l < e {
            problems.push(Problem {
                field: "leave_time".into(),
                kind: ProblemKind::Invalid(Text::new(Msg::BeforeEnterTime, &[])),
            });
        }
    }
}

impl EnterRecord {
    fn check_more(&self, _problems: &mut [Problem]) {}
}

impl LeaveRecord {
    fn check_more(&self, problems: &mut Vec<Problem>) {
        let ms = |t: Option<EpochMillis>| t.map(|t| t.as_millis() as i64);
        leave_not_before_enter(ms(self.enter_time), ms(self.leave_time), problems);
    }
}

impl ReleaseRecord {
    fn check_more(&self, _problems: &mut [Problem]) {}
}

impl UpdateRecord {
    fn check_more(&self, problems: &mut Vec<Problem>) {
        let ms = |t: Option<UtcTime>| t.map(UtcTime::epoch_millis);
        leave_not_before_enter(ms(self.enter_time), ms(self.leave_time), problems);
    }
}

/// A record of any endpoint, for callers that choose the endpoint at run time.
#[derive(Clone, Debug, PartialEq)]
// Records are built once per push and moved rarely; boxing would only make matching clumsier.
#[allow(clippy::large_enum_variant)]
pub enum AnyRecord {
    /// An enter.
    Enter(EnterRecord),
    /// A leave.
    Leave(LeaveRecord),
    /// An abnormal release.
    Release(ReleaseRecord),
    /// A record update.
    Update(UpdateRecord),
}

impl AnyRecord {
    /// Reads a JSON object for an endpoint, naming every bad key.
    pub fn from_value(endpoint: Endpoint, v: Value) -> Result<AnyRecord, ValidationError> {
        Ok(match endpoint {
            Endpoint::Enter => AnyRecord::Enter(EnterRecord::from_value(v)?),
            Endpoint::Leave => AnyRecord::Leave(LeaveRecord::from_value(v)?),
            Endpoint::Release => AnyRecord::Release(ReleaseRecord::from_value(v)?),
            Endpoint::Update => AnyRecord::Update(UpdateRecord::from_value(v)?),
        })
    }

    /// Reads a JSON text for an endpoint: [`Error::Json`] when it is not JSON,
    /// [`Error::Validation`] when a key is bad.
    pub fn from_json(endpoint: Endpoint, json: &str) -> Result<AnyRecord, Error> {
        let v = crate::json_fields::value(json)?;
        Ok(AnyRecord::from_value(endpoint, v)?)
    }

    /// The platform's names of the fields of an endpoint's record (besides `extra`), and the
    /// required ones: for bindings that mirror the records in their own types.
    pub fn field_names(endpoint: Endpoint) -> (&'static [&'static str], &'static [&'static str]) {
        match endpoint {
            Endpoint::Enter => (EnterRecord::FIELDS, EnterRecord::REQUIRED),
            Endpoint::Leave => (LeaveRecord::FIELDS, LeaveRecord::REQUIRED),
            Endpoint::Release => (ReleaseRecord::FIELDS, ReleaseRecord::REQUIRED),
            Endpoint::Update => (UpdateRecord::FIELDS, UpdateRecord::REQUIRED),
        }
    }

    fn inner(&self) -> &dyn Record {
        match self {
            AnyRecord::Enter(r) => r,
            AnyRecord::Leave(r) => r,
            AnyRecord::Release(r) => r,
            AnyRecord::Update(r) => r,
        }
    }

    /// The record as JSON with the platform's field names.
    pub fn to_json(&self) -> String {
        let v = match self {
            AnyRecord::Enter(r) => serde_json::to_string(r),
            AnyRecord::Leave(r) => serde_json::to_string(r),
            AnyRecord::Release(r) => serde_json::to_string(r),
            AnyRecord::Update(r) => serde_json::to_string(r),
        };
        v.unwrap_or_default()
    }

    /// The value of the field that makes the record unique (`parking_serial`, or `flow_no`).
    pub fn dedup_key(&self) -> Option<String> {
        let key = self.endpoint().dedup_field();
        self.to_fields()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl Record for AnyRecord {
    fn endpoint(&self) -> Endpoint {
        self.inner().endpoint()
    }
    fn to_fields(&self) -> Vec<(String, String)> {
        self.inner().to_fields()
    }
    fn validate(&self) -> Result<(), ValidationError> {
        self.inner().validate()
    }
}

macro_rules! any_from {
    ($($t:ident => $v:ident),*) => {
        $(impl From<$t> for AnyRecord {
            fn from(r: $t) -> Self {
                AnyRecord::$v(r)
            }
        })*
    };
}

any_from!(EnterRecord => Enter, LeaveRecord => Leave, ReleaseRecord => Release, UpdateRecord => Update);

/// Why `name` cannot be a field name, if it cannot. Names go as they are into a multipart
/// `Content-Disposition` header (where `"`, `\`, CR or LF would change what the server reads:
/// another name, or headers of its own) and into the signed string (where `&` and `=` would
/// change what is signed). So a name is what the platform's own names are made of: ASCII
/// letters, digits and `_` (upper case too, for names the platform may add); not empty.
pub fn field_name_problem(name: &str) -> Option<Text> {
    if name.is_empty() {
        return Some(Msg::FieldNameEmpty.into());
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map(|c| Text::new(Msg::FieldNameChar, &[&format_args!("{:?}", c)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_named_at_once() {
        let err = LeaveRecord::from_json(
            r#"{"plate_colour":"1","enter_time":"abc","car_type":1.5,"extra":{"a":[1]}}"#,
        )
        .unwrap_err();
        let text = err.to_string();
        for needle in ["plate_colour", "enter_time", "car_type", "extra.a"] {
            assert!(text.contains(needle), "{} missing from {}", needle, text);
        }
        let rec = LeaveRecord::from_json(r#"{"plate":"粤B1","plate_color":null}"#).unwrap();
        let err = rec.validate().unwrap_err();
        assert_eq!(
            err.missing_fields(),
            vec![
                "park_uuid",
                "parking_serial",
                "plate_color",
                "enter_time",
                "car_type",
                "car_desc",
                "charge_type",
                "leave_time"
            ]
        );
        assert!(err.to_string().contains("参数`enter_time`未传递"));
    }

    #[test]
    fn merchant_stands_in_for_park_uuid_and_empty_is_named() {
        let rec = EnterRecord::from_json(
            r#"{"merchant":"M1","parking_serial":"S","plate_color":1,"enter_time":1624874732253,"car_type":"1","car_desc":"","charge_type":"1"}"#,
        )
        .unwrap();
        let err = rec.validate().unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert_eq!(
            err.problems[0],
            Problem {
                field: "car_desc".into(),
                kind: ProblemKind::Empty
            }
        );
    }

    #[test]
    fn leave_before_enter_refused() {
        let mut r = LeaveRecord::from_json(
            r#"{"park_uuid":"p","parking_serial":"S","plate_color":1,"enter_time":1624874732253,"leave_time":1624874732252,"car_type":1,"car_desc":"d","charge_type":"1"}"#,
        )
        .unwrap();
        assert!(r.validate().unwrap_err().to_string().contains("leave_time"));
        r.leave_time = Some(EpochMillis::new(1_624_874_732_254).unwrap());
        r.validate().unwrap();
    }

    #[test]
    fn one_error_names_malformed_unknown_and_missing_fields() {
        let e = LeaveRecord::from_json(r#"{"plate":"x","enter_time":"soon","colour":"1"}"#)
            .unwrap_err()
            .to_string();
        for field in [
            "enter_time",
            "colour",
            "park_uuid",
            "parking_serial",
            "leave_time",
        ] {
            assert!(
                e.contains(&format!("`{}`", field)),
                "{} not in {}",
                field,
                e
            );
        }
        assert_eq!(e.matches("`enter_time`").count(), 1, "{}", e);
    }

    #[test]
    fn extra_names_must_be_safe_in_a_form_header() {
        let base = r#""park_uuid":"p","flow_no":"F","parking_serial":"S","plate":"P""#;
        for key in [
            "",
            "a\\\"b",
            "a\\\\b",
            "a\\r\\nb",
            "a b",
            "a=b",
            "a&b",
            "é",
            "a\\u0000b",
            "a-b",
        ] {
            let json = format!(r#"{{{},"extra":{{"{}":"1"}}}}"#, base, key);
            let err = UpdateRecord::from_json(&json)
                .unwrap()
                .validate()
                .unwrap_err();
            let name: String = serde_json::from_str(&format!("\"{}\"", key)).unwrap();
            assert!(
                err.to_string().contains(&format!("extra.{:?}", name)),
                "{}: {}",
                key,
                err
            );
        }
        for key in ["new_field", "NewField2", "_x"] {
            let json = format!(r#"{{{},"extra":{{"{}":"1"}}}}"#, base, key);
            UpdateRecord::from_json(&json).unwrap().validate().unwrap();
        }
    }

    #[test]
    fn json_round_trip_and_wire_values() {
        let json = r#"{"release_type":"2","park_uuid":"p","parking_serial":"S","plate":"粤B1","release_time":"2023-03-21T15:59:59Z","release_method":7,"extra":{"new_field":"x"}}"#;
        let r = ReleaseRecord::from_json(json).unwrap();
        assert_eq!(r.release_method, Some(ReleaseMethod::Other(7)));
        let fields = r.to_fields();
        assert!(fields.contains(&("release_time".into(), "2023-03-21T15:59:59Z".into())));
        assert!(fields.contains(&("new_field".into(), "x".into())));
        let again = ReleaseRecord::from_json(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(again, r);
        let bad = r#"{"extra":{"plate":"x"},"park_uuid":"p","flow_no":"F","parking_serial":"S","plate":"P"}"#;
        assert!(UpdateRecord::from_json(bad).unwrap().validate().is_err());
        assert!(matches!(
            AnyRecord::from_json(Endpoint::Update, "{nope"),
            Err(Error::Json(_))
        ));
    }
}
