//! The two time formats of the protocol and conversion from Beijing local time.
//!
//! enter / leave use epoch **milliseconds** as a decimal string ([`EpochMillis`]); release /
//! update use UTC `yyyy-MM-dd'T'HH:mm:ss'Z'`, optionally with `.SSS` ([`UtcTime`]). Beijing time
//! is a fixed UTC+8 (China has no daylight saving), so 08:00 Beijing is `T00:00:00.000Z`.
//!
//! The calendar arithmetic is hand-written (Howard Hinnant's days-from-civil): it is twenty
//! lines, and a date crate would add a time-zone database and MSRV churn for a fixed offset.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::field_value::{int_of, quoted, wrong_type, FieldValue};
use crate::messages::{Msg, Text};

/// Beijing's offset from UTC in milliseconds.
pub const BEIJING_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// Below this an epoch value is almost certainly in seconds, not milliseconds (it is
/// 1973-03-03 in ms, but year 5138 in seconds): refusing it catches the commonest mistake.
const MIN_PLAUSIBLE_MS: u64 = 100_000_000_000;
/// 9999-12-31T23:59:59.999Z.
const MAX_MS: u64 = 253_402_300_799_999;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP date of a `Retry-After` header.
pub(crate) fn parse_http_date(s: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 6 || !parts[0].ends_with(',') || parts[5] != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mo = MONTHS.iter().position(|m| *m == parts[2])? as u32 + 1;
    let hms: Vec<u32> = parts[4]
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if hms.len() != 3 || hms[0] > 23 || hms[1] > 59 || hms[2] > 59 {
        return None;
    }
    let ms = civil_to_ms(
        parts[3].parse().ok()?,
        mo,
        parts[1].parse().ok()?,
        hms[0],
        hms[1],
        hms[2],
        0,
    )
    .ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64))
}

/// Epoch milliseconds of a civil date-time taken as UTC, after range checks.
fn civil_to_ms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Result<i64, Text> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo)
    {
        let date = format!("{:04}-{:02}-{:02}", y, mo, d);
        return Err(Text::new(Msg::TimeBadDate, &[&date]));
    }
    if h > 23 || mi > 59 || s > 59 || ms > 999 {
        let time = format!("{:02}:{:02}:{:02}.{:03}", h, mi, s, ms);
        return Err(Text::new(Msg::TimeBadTime, &[&time]));
    }
    let days = days_from_civil(y, mo, d);
    Ok(((days * 24 + h as i64) * 60 + mi as i64) * 60_000 + s as i64 * 1000 + ms as i64)
}

/// Epoch milliseconds (UTC), the enter / leave time format. Serialised as a decimal string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochMillis(u64);

impl EpochMillis {
    /// Checks the value: values below 10^11 are refused as seconds-instead-of-milliseconds.
    pub fn new(ms: u64) -> Result<Self, Text> {
        if ms < MIN_PLAUSIBLE_MS {
            return Err(Text::new(Msg::TimeSeconds, &[&ms]));
        }
        if ms > MAX_MS {
            return Err(Text::new(Msg::TimePastYear9999, &[&ms]));
        }
        Ok(EpochMillis(ms))
    }

    /// The current time.
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        EpochMillis(ms)
    }

    /// From a Beijing (UTC+8) local date-time, as parking systems usually store it.
    pub fn from_beijing(
        y: i32,
        mo: u32,
        d: u32,
        h: u32,
        mi: u32,
        s: u32,
        ms: u32,
    ) -> Result<Self, Text> {
        let local = civil_to_ms(y as i64, mo, d, h, mi, s, ms)?;
        let utc = local - BEIJING_OFFSET_MS;
        u64::try_from(utc)
            .map_err(|_| Msg::FfiBefore1970.into())
            .and_then(EpochMillis::new)
    }

    /// The raw value.
    pub fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for EpochMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for EpochMillis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl FieldValue for EpochMillis {
    fn from_json(v: Value) -> Result<Self, Text> {
        let n = int_of(&v, Msg::TimeWhatMillis.into())?;
        u64::try_from(n)
            .map_err(|_| Text::new(Msg::TimeNegative, &[&n]))
            .and_then(EpochMillis::new)
    }
}

impl<'de> Deserialize<'de> for EpochMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::field_value::deserialize(d)
    }
}

/// A UTC time in the release / update format `yyyy-MM-dd'T'HH:mm:ss'Z'` (or `.SSS'Z'`).
///
/// Parsed strictly and printed back in the form it was given, so a record round-trips
/// byte-for-byte. On input a JSON integer is taken as epoch milliseconds and converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UtcTime {
    ms: i64,
    with_millis: bool,
}

impl UtcTime {
    /// Parses `2021-09-02T09:36:46Z` or `2021-09-02T09:36:46.020Z`.
    pub fn parse(s: &str) -> Result<Self, Text> {
        let bad = || Text::of(Msg::TimeNotUtc, vec![quoted(s)]);
        let b = s.as_bytes();
        let with_millis = match b.len() {
            20 => false,
            24 => true,
            _ => return Err(bad()),
        };
        let num = |from: usize, to: usize| -> Result<u32, Text> {
            let part = &b[from..to];
            if part.iter().all(u8::is_ascii_digit) {
                Ok(part.iter().fold(0u32, |n, c| n * 10 + (c - b'0') as u32))
            } else {
                Err(bad())
            }
        };
        let seps_ok =
            b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
        let tail_ok = if with_millis {
            b[19] == b'.' && b[23] == b'Z'
        } else {
            b[19] == b'Z'
        };
        if !seps_ok || !tail_ok {
            return Err(bad());
        }
        let ms_part = if with_millis { num(20, 23)? } else { 0 };
        let ms = civil_to_ms(
            num(0, 4)? as i64,
            num(5, 7)?,
            num(8, 10)?,
            num(11, 13)?,
            num(14, 16)?,
            num(17, 19)?,
            ms_part,
        )?;
        Ok(UtcTime { ms, with_millis })
    }

    /// From epoch milliseconds; printed with `.SSS`.
    pub fn from_epoch_millis(ms: EpochMillis) -> Self {
        UtcTime {
            ms: ms.as_millis() as i64,
            with_millis: true,
        }
    }

    /// From a Beijing (UTC+8) local date-time; printed with `.SSS`.
    pub fn from_beijing(
        y: i32,
        mo: u32,
        d: u32,
        h: u32,
        mi: u32,
        s: u32,
        ms: u32,
    ) -> Result<Self, Text> {
        let local = civil_to_ms(y as i64, mo, d, h, mi, s, ms)?;
        let utc = local - BEIJING_OFFSET_MS;
        if utc < 0 {
            return Err(Msg::FfiBefore1970.into());
        }
        Ok(UtcTime {
            ms: utc,
            with_millis: true,
        })
    }

    /// The current time.
    pub fn now() -> Self {
        UtcTime::from_epoch_millis(EpochMillis::now())
    }

    /// Epoch milliseconds.
    pub fn epoch_millis(self) -> i64 {
        self.ms
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.ms.div_euclid(86_400_000);
        let in_day = self.ms.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (h, mi, s, ms) = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        write!(f, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, h, mi, s)?;
        if self.with_millis {
            write!(f, ".{:03}", ms)?;
        }
        f.write_str("Z")
    }
}

impl Serialize for UtcTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A string is the UTC form, an integer epoch milliseconds (converted).
impl FieldValue for UtcTime {
    fn from_json(v: Value) -> Result<Self, Text> {
        match &v {
            Value::String(s) => UtcTime::parse(s),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(ms), _) => EpochMillis::new(ms).map(UtcTime::from_epoch_millis),
                (None, Some(i)) => Err(Text::new(Msg::TimeBadTime, &[&i])),
                (None, None) => Err(wrong_type(&v, Msg::TimeExpectUtc.into())),
            },
            _ => Err(wrong_type(&v, Msg::TimeExpectUtc.into())),
        }
    }
}

impl<'de> Deserialize<'de> for UtcTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::field_value::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_eight_is_utc_midnight() {
        let t = UtcTime::from_beijing(2022, 9, 1, 8, 0, 0, 0).unwrap();
        assert_eq!(t.to_string(), "2022-09-01T00:00:00.000Z");
        let e = EpochMillis::from_beijing(2022, 9, 1, 8, 0, 0, 0).unwrap();
        assert_eq!(e.as_millis() as i64, t.epoch_millis());
        assert_eq!(e.as_millis(), 1_661_990_400_000);
    }

    #[test]
    fn utc_round_trips_in_given_form() {
        for s in [
            "2021-09-02T09:36:46.020Z",
            "2023-03-21T15:59:59Z",
            "2024-02-29T23:59:59.999Z",
        ] {
            assert_eq!(UtcTime::parse(s).unwrap().to_string(), s);
        }
        for bad in [
            "2021-09-02 09:36:46Z",
            "2021-13-02T09:36:46Z",
            "2023-02-29T00:00:00Z",
            "2021-09-02T24:00:00Z",
            "2021-09-02T09:36:46",
            "2021-09-02T09:36:46+08:00",
            "２021-09-02T09:36:46Z",
        ] {
            assert!(UtcTime::parse(bad).is_err(), "{}", bad);
        }
        let t: UtcTime = serde_json::from_str("1624874732253").unwrap();
        assert_eq!(t.to_string(), "2021-06-28T10:05:32.253Z");
    }

    #[test]
    fn millis_checked() {
        assert!(EpochMillis::new(1_624_874_732).is_err());
        assert!(EpochMillis::new(1_624_874_732_253).is_ok());
        let e: EpochMillis = serde_json::from_str("\"1624874732253\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"1624874732253\"");
        assert!(serde_json::from_str::<EpochMillis>("\"1624874732253.0\"").is_err());
        assert!(serde_json::from_str::<EpochMillis>("-5").is_err());
    }
}
