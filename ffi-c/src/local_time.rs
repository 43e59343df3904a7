//! `pyun_epoch_ms_from_local`: a date and time on the computer's clock (a VB6 `Date`, a Delphi
//! `TDateTime`: local time, no zone) as the epoch milliseconds the platform wants. The zone is
//! the operating system's (Windows' time-zone setting, `TZ` / `/etc/localtime` elsewhere), read
//! through its own call, because a hand-kept offset goes wrong where the setting is not UTC+8.

use pyun_core::time::EpochMillis;
use pyun_core::{Lang, Msg};

use crate::args::check_out;
use crate::error::{pyun_result, FfiError};
use crate::panic::guard;

/// Converts a local date and time (the computer's time zone) to epoch milliseconds, UTC, as
/// the platform's `enter_time` / `leave_time` take them (release and update accept them too).
/// `*out_ms` receives the value, only on success. A date that does not exist (February 30, an
/// hour skipped by daylight saving) or one before 1973 is PYUN_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `out_ms` must be writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn pyun_epoch_ms_from_local(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millisecond: u32,
    out_ms: *mut i64,
) -> pyun_result {
    guard(crate::charset::Charset::Utf8, || {
        check_out(out_ms, "out_ms")?;
        let shown = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            year, month, day, hour, minute, second, millisecond
        );
        let lang = Lang::from_env();
        let invalid = |why: &str| {
            FfiError::msg(
                pyun_result::InvalidArgument,
                Msg::FfiLocalTime,
                &[&shown, &why],
            )
        };
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 59
            || millisecond > 999
        {
            return Err(invalid(&Msg::FfiLocalTimeInvalid.text(lang, &[])));
        }
        let seconds = os::utc_seconds(year, month, day, hour, minute, second)
            .ok_or_else(|| invalid(&Msg::FfiLocalTimeMissing.text(lang, &[])))?;
        let ms = seconds
            .checked_mul(1000)
            .and_then(|s| s.checked_add(i64::from(millisecond)))
            .and_then(|ms| u64::try_from(ms).ok())
            .ok_or_else(|| invalid(&Msg::FfiBefore1970.text(lang, &[])))?;
        let ms = EpochMillis::new(ms).map_err(|e| invalid(&e.render(lang)))?;
        *out_ms = ms.as_millis() as i64;
        Ok(pyun_result::Ok)
    })
}

#[cfg(unix)]
mod os {
    /// Seconds since the epoch of a local time, by `mktime` (which reads `TZ`); `None` when the
    /// time is not on the local clock (`mktime` moved a field: February 30, a skipped hour).
    pub(super) fn utc_seconds(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
        // SAFETY: `tm` is a plain C struct, all zeros is a valid value of it; `mktime` reads
        // and normalises it in place and touches nothing else of ours.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        tm.tm_year = y - 1900;
        tm.tm_mon = mo as i32 - 1;
        tm.tm_mday = d as i32;
        tm.tm_hour = h as i32;
        tm.tm_min = mi as i32;
        tm.tm_sec = s as i32;
        tm.tm_isdst = -1;
        // SAFETY: as above.
        let t = unsafe { libc::mktime(&mut tm) };
        let same = (
            tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        ) == (
            y - 1900,
            mo as i32 - 1,
            d as i32,
            h as i32,
            mi as i32,
            s as i32,
        );
        (t != -1 && same).then_some(t as i64)
    }
}

#[cfg(windows)]
mod os {
    use windows_sys::Win32::Foundation::{FILETIME, SYSTEMTIME};
    use windows_sys::Win32::System::Time::{
        FileTimeToSystemTime, SystemTimeToFileTime, TzSpecificLocalTimeToSystemTime,
    };

    /// 100 ns ticks from 1601-01-01 to 1970-01-01.
    const EPOCH_TICKS: i64 = 116_444_736_000_000_000;

    /// Seconds since the epoch of a local time, by the time-zone setting of Windows; `None`
    /// when Windows refuses the date (February 30).
    pub(super) fn utc_seconds(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
        let local = SYSTEMTIME {
            wYear: u16::try_from(y).ok()?,
            wMonth: mo as u16,
            wDayOfWeek: 0,
            wDay: d as u16,
            wHour: h as u16,
            wMinute: mi as u16,
            wSecond: s as u16,
            wMilliseconds: 0,
        };
        let mut ft = FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        };
        let mut checked = local;
        let mut utc = local;
        // SAFETY: plain structs passed by pointer; NULL for the time zone means the current
        // one. The round trip through a FILETIME refuses dates that do not exist.
        unsafe {
            if SystemTimeToFileTime(&local, &mut ft) == 0
                || FileTimeToSystemTime(&ft, &mut checked) == 0
                || (checked.wYear, checked.wMonth, checked.wDay)
                    != (local.wYear, local.wMonth, local.wDay)
                || TzSpecificLocalTimeToSystemTime(std::ptr::null(), &local, &mut utc) == 0
                || SystemTimeToFileTime(&utc, &mut ft) == 0
            {
                return None;
            }
        }
        let ticks = (i64::from(ft.dwHighDateTime) << 32) | i64::from(ft.dwLowDateTime);
        Some((ticks - EPOCH_TICKS) / 10_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, milli: u32) -> Result<i64, String> {
        let mut out = 0i64;
        // SAFETY: `out` is writable.
        match unsafe { pyun_epoch_ms_from_local(y, mo, d, h, mi, s, milli, &mut out) } {
            pyun_result::Ok => Ok(out),
            code => Err(format!("{:?}", code)),
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(ms(2021, 2, 30, 0, 0, 0, 0).is_err());
        assert!(ms(2021, 13, 1, 0, 0, 0, 0).is_err());
        assert!(ms(2021, 1, 1, 24, 0, 0, 0).is_err());
        assert!(ms(1970, 1, 2, 0, 0, 0, 0).is_err());
        // Whatever the zone of the machine, a day later is 86 400 000 ms later.
        let a = ms(2021, 6, 28, 18, 5, 32, 253).unwrap();
        assert_eq!(ms(2021, 6, 29, 18, 5, 32, 253).unwrap() - a, 86_400_000);
    }
}
