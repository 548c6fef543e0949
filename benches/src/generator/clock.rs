//! Instants and the two timestamp families the relays write.
//!
//! The generator keeps time as microseconds since the Unix epoch (UTC) and formats each
//! line's timestamp itself: that is several times faster than going through chrono for
//! every line, and it pins the exact bytes (`Mar  1 00:00:01` with a space-padded day,
//! `2026-03-01T00:00:01.123456+00:00`). Days are UTC days, so a test reading the log in
//! time zone UTC sees the generator's days.

use std::fmt::Write as _;

/// Microseconds in one second.
pub(crate) const SEC: i64 = 1_000_000;
/// Microseconds in one minute.
pub(crate) const MIN: i64 = 60 * SEC;
/// Microseconds in one hour.
pub(crate) const HOUR: i64 = 60 * MIN;
/// Microseconds in one day.
pub(crate) const DAY: i64 = 24 * HOUR;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The timestamp family of one relay host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// `Mar  1 00:00:01`.
    Syslog,
    /// `2026-03-01T00:00:01.123456+00:00`.
    Rfc3339,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day number (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD` of a day number.
pub(crate) fn iso_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `Mmm dd hh:mm:ss` (day space-padded) of an instant, as syslog and anvil write it.
pub(crate) fn push_syslog(out: &mut String, t: i64) {
    let (_, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.div_euclid(SEC).rem_euclid(86_400);
    let _ = write!(
        out,
        "{} {d:>2} {:02}:{:02}:{:02}",
        MONTHS[(m - 1) as usize],
        s / 3600,
        s / 60 % 60,
        s % 60
    );
}

/// Writes line timestamps, caching the date part of the current day.
#[derive(Debug)]
pub(crate) struct Stamper {
    day: i64,
    syslog_day: Vec<u8>,
    iso_day: Vec<u8>,
}

impl Stamper {
    pub(crate) fn new() -> Self {
        Stamper {
            day: i64::MIN,
            syslog_day: Vec::new(),
            iso_day: Vec::new(),
        }
    }

    /// Appends the timestamp of `t` in `family` (without a trailing space).
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, t: i64, family: Family) {
        let day = t.div_euclid(DAY);
        if day != self.day {
            let (y, m, d) = civil_from_days(day);
            self.day = day;
            self.syslog_day = format!("{} {d:>2} ", MONTHS[(m - 1) as usize]).into_bytes();
            self.iso_day = format!("{y:04}-{m:02}-{d:02}T").into_bytes();
        }
        let us = t.rem_euclid(DAY);
        let secs = us / SEC;
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        match family {
            Family::Syslog => out.extend_from_slice(&self.syslog_day),
            Family::Rfc3339 => out.extend_from_slice(&self.iso_day),
        }
        push_2(out, h);
        out.push(b':');
        push_2(out, mi);
        out.push(b':');
        push_2(out, s);
        if family == Family::Rfc3339 {
            out.push(b'.');
            let frac = us % SEC;
            let mut div = 100_000;
            while div > 0 {
                out.push(b'0' + (frac / div % 10) as u8);
                div /= 10;
            }
            out.extend_from_slice(b"+00:00");
        }
    }
}

fn push_2(out: &mut Vec<u8>, v: i64) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// A duration in Postfix's `delay=`/`delays=` style: whole seconds from 10 s up, one
/// decimal from 1 s, two below, trailing zeros dropped (`0.78`, `1.6`, `2`, `428621`).
pub(crate) fn push_delay(out: &mut String, us: i64) {
    let us = us.max(0);
    if us >= 10 * SEC {
        let _ = write!(out, "{}", (us + SEC / 2) / SEC);
        return;
    }
    let (scaled, digits) = if us >= SEC {
        ((us + 50_000) / 100_000, 1)
    } else {
        ((us + 5_000) / 10_000, 2)
    };
    let int = scaled / 10i64.pow(digits);
    let mut frac = scaled % 10i64.pow(digits);
    let mut digits = digits;
    while digits > 0 && frac % 10 == 0 {
        frac /= 10;
        digits -= 1;
    }
    if digits == 0 {
        let _ = write!(out, "{int}");
    } else {
        let _ = write!(out, "{int}.{frac:0width$}", width = digits as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(t: i64, f: Family) -> String {
        let mut v = Vec::new();
        Stamper::new().write(&mut v, t, f);
        String::from_utf8(v).expect("ascii")
    }

    #[test]
    fn civil_round_trip() {
        for day in [-1, 0, 59, 20_513, 20_528, 30_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(iso_date(days_from_civil(2026, 3, 1)), "2026-03-01");
    }

    #[test]
    fn both_families() {
        let t = days_from_civil(2026, 3, 1) * DAY + 3_723 * SEC + 5;
        assert_eq!(stamp(t, Family::Syslog), "Mar  1 01:02:03");
        assert_eq!(
            stamp(t, Family::Rfc3339),
            "2026-03-01T01:02:03.000005+00:00"
        );
        let t = days_from_civil(2026, 3, 12) * DAY;
        assert_eq!(stamp(t, Family::Syslog), "Mar 12 00:00:00");
        let mut s = String::new();
        push_syslog(&mut s, t);
        assert_eq!(s, "Mar 12 00:00:00");
    }

    #[test]
    fn delays_like_postfix() {
        let d = |us| {
            let mut s = String::new();
            push_delay(&mut s, us);
            s
        };
        assert_eq!(d(0), "0");
        assert_eq!(d(780_000), "0.78");
        assert_eq!(d(300_000), "0.3");
        assert_eq!(d(1_600_000), "1.6");
        assert_eq!(d(2_000_000), "2");
        assert_eq!(d(428_621 * SEC), "428621");
        assert_eq!(d(4_000), "0");
        assert_eq!(d(9_990_000), "10");
    }
}
