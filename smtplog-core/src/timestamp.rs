//! Log timestamps and their resolution into instants.
//!
//! The parser keeps a timestamp as the logger wrote it ([`Timestamp`]): classic syslog and
//! Postfix's `maillog_file` have no year and no zone, RFC 3339 has both. A [`YearResolver`]
//! supplies the year (from the caller: an explicit year or a file's modification date,
//! never the wall clock), handles the December-to-January roll-over, and reads local
//! times in the configured zone.

use std::fmt;

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike,
};
use chrono_tz::Tz;

/// A timestamp as logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timestamp {
    /// `Mmm dd hh:mm:ss` (classic syslog, `maillog_file`): local time without a year.
    Syslog {
        /// 1 to 12.
        month: u8,
        /// 1 to 31.
        day: u8,
        /// 0 to 23.
        hour: u8,
        /// 0 to 59.
        minute: u8,
        /// 0 to 60 (a leap second is kept as logged).
        second: u8,
    },
    /// RFC 3339 / ISO 8601 with an offset (`2024-02-14T14:47:24.705153-08:00`).
    Rfc3339(DateTime<FixedOffset>),
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The month number of an English three-letter month name.
pub(crate) fn month_number(name: &[u8]) -> Option<u8> {
    Some(match name {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

impl fmt::Display for Timestamp {
    /// Classic syslog (`Nov  4 09:11:01`) or RFC 3339 with microseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timestamp::Syslog {
                month,
                day,
                hour,
                minute,
                second,
            } => {
                let name = MONTHS
                    .get(usize::from(*month).wrapping_sub(1))
                    .unwrap_or(&"Jan");
                write!(f, "{name} {day:>2} {hour:02}:{minute:02}:{second:02}")
            }
            Timestamp::Rfc3339(t) => {
                write!(
                    f,
                    "{}",
                    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
                )
            }
        }
    }
}

/// Where the year of a yearless timestamp comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum YearPolicy {
    /// The first yearless line is in this year; each December-to-January step moves to
    /// the next year.
    Starting(i32),
    /// The log ends near this date (a file's modification time): a line whose month is
    /// later than `month` belongs to the year before `year`.
    EndingIn {
        /// The year of the reference date.
        year: i32,
        /// The month (1 to 12) of the reference date.
        month: u8,
    },
}

/// Turns logged timestamps into instants, in a configured zone and with a year policy.
///
/// It is stateful only for [`YearPolicy::Starting`]: it remembers the last month it saw to
/// notice the roll-over. A line whose month jumps backwards by more than six months is
/// taken as the new year; one that jumps forwards by more than six months (a late line of
/// the old year) is placed in the previous year without moving the current one.
#[derive(Clone, Debug)]
pub struct YearResolver {
    zone: Tz,
    policy: YearPolicy,
    year: i32,
    last_month: Option<u8>,
    /// The last local hour resolved, when the zone's offset is the same all through it:
    /// the lines of one hour then skip the time-zone lookup.
    hour: Option<Hour>,
    /// The local day of the last RFC 3339 timestamp: the lines of one day then skip
    /// computing their local date for its year and month.
    day: Option<Day>,
}

/// A local day at one UTC offset, with its year and month.
#[derive(Clone, Copy, Debug)]
struct Day {
    /// The offset, in seconds east of UTC.
    offset: i32,
    /// The Unix time of the day's first second.
    start: i64,
    year: i32,
    month: u8,
}

/// A local hour with one UTC offset from its first second to its last.
#[derive(Clone, Copy, Debug)]
struct Hour {
    /// Year, month, day, hour.
    key: (i32, u8, u8, u8),
    /// The Unix time of the hour's first second.
    start: i64,
    /// The UTC date and second of the day of the hour's first second: a time of the hour
    /// on the same UTC day is made from them without converting a Unix time to a date.
    utc_date: NaiveDate,
    utc_second: u32,
    offset: FixedOffset,
}

impl YearResolver {
    /// A resolver for local times in `zone`, with years from `policy`.
    pub fn new(zone: Tz, policy: YearPolicy) -> Self {
        let year = match policy {
            YearPolicy::Starting(y) => y,
            YearPolicy::EndingIn { year, .. } => year,
        };
        YearResolver {
            zone,
            policy,
            year,
            last_month: None,
            hour: None,
            day: None,
        }
    }

    /// The configured zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The state to save between runs: the current year and the last month seen.
    pub fn state(&self) -> (i32, Option<u8>) {
        (self.year, self.last_month)
    }

    /// A resolver continuing from a saved [`YearResolver::state`].
    pub fn resume(zone: Tz, policy: YearPolicy, year: i32, last_month: Option<u8>) -> Self {
        YearResolver {
            zone,
            policy,
            year,
            last_month,
            hour: None,
            day: None,
        }
    }

    /// The instant of `ts`, or `None` when the date does not exist (`Feb 30`, or
    /// `Feb 29` in a year that is not a leap year).
    pub fn resolve(&mut self, ts: &Timestamp) -> Option<DateTime<FixedOffset>> {
        match *ts {
            Timestamp::Rfc3339(t) => {
                let (year, month) = self.local_month(&t);
                self.last_month = Some(month);
                self.year = year;
                Some(t)
            }
            Timestamp::Syslog {
                month,
                day,
                hour,
                minute,
                second,
            } => {
                let year = self.year_of(month);
                let key = (year, month, day, hour);
                let into_hour = i64::from(minute) * 60 + i64::from(second.min(59));
                if self.hour.is_none_or(|h| h.key != key) {
                    let date = NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day))?;
                    let start = date.and_hms_opt(u32::from(hour), 0, 0)?;
                    self.hour = self.steady_hour(key, start);
                    if self.hour.is_none() {
                        let naive = start + chrono::Duration::seconds(into_hour);
                        return Some(local_to_fixed(self.zone, naive));
                    }
                }
                let h = self.hour?;
                let second = h.utc_second + into_hour as u32;
                let utc = match NaiveTime::from_num_seconds_from_midnight_opt(second, 0) {
                    Some(time) => NaiveDateTime::new(h.utc_date, time),
                    // The hour runs into the next UTC day (a zone off by a half hour).
                    None => DateTime::from_timestamp(h.start + into_hour, 0)?.naive_utc(),
                };
                Some(DateTime::from_naive_utc_and_offset(utc, h.offset))
            }
        }
    }

    /// The hour starting at `start`, when its first and last seconds are each one instant
    /// with the same offset (no zone transition inside it).
    fn steady_hour(&self, key: (i32, u8, u8, u8), start: NaiveDateTime) -> Option<Hour> {
        let first = self.zone.from_local_datetime(&start).single()?;
        let end = start + chrono::Duration::seconds(3599);
        let last = self.zone.from_local_datetime(&end).single()?;
        let offset = first.offset().fix();
        let utc = first.naive_utc();
        (offset == last.offset().fix()).then_some(Hour {
            key,
            start: first.timestamp(),
            utc_date: utc.date(),
            utc_second: utc.num_seconds_from_midnight(),
            offset,
        })
    }

    /// The local year and month of `t`, from the day of the last one when `t` falls in it.
    fn local_month(&mut self, t: &DateTime<FixedOffset>) -> (i32, u8) {
        let offset = t.offset().local_minus_utc();
        let unix = t.timestamp();
        if let Some(d) = self.day
            && d.offset == offset
            && (d.start..d.start + 86_400).contains(&unix)
        {
            return (d.year, d.month);
        }
        let local = t.naive_local();
        let day = Day {
            offset,
            start: unix - i64::from(local.num_seconds_from_midnight()),
            year: local.year(),
            month: local.month() as u8,
        };
        self.day = Some(day);
        (day.year, day.month)
    }

    fn year_of(&mut self, month: u8) -> i32 {
        match self.policy {
            YearPolicy::EndingIn { year, month: end } => {
                if month > end {
                    year - 1
                } else {
                    year
                }
            }
            YearPolicy::Starting(_) => {
                let Some(last) = self.last_month else {
                    self.last_month = Some(month);
                    return self.year;
                };
                if i32::from(month) + 6 < i32::from(last) {
                    self.year += 1;
                    self.last_month = Some(month);
                    self.year
                } else if i32::from(month) > i32::from(last) + 6 {
                    self.year - 1
                } else {
                    self.last_month = Some(month);
                    self.year
                }
            }
        }
    }
}

/// A local wall-clock time in `zone` as a fixed-offset instant. In the hour that occurs
/// twice (DST fall-back) the earlier instant is taken; a time in the hour that does not
/// exist (spring-forward) is read with the offset in force just before the gap.
pub fn local_to_fixed(zone: Tz, naive: NaiveDateTime) -> DateTime<FixedOffset> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.fixed_offset(),
        LocalResult::Ambiguous(early, _) => early.fixed_offset(),
        LocalResult::None => {
            let before = naive - chrono::Duration::hours(3);
            let offset = match zone.from_local_datetime(&before) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.offset().fix(),
                LocalResult::None => FixedOffset::east_opt(0).unwrap_or_else(utc_offset),
            };
            let utc = naive - chrono::Duration::seconds(i64::from(offset.local_minus_utc()));
            offset.from_utc_datetime(&utc)
        }
    }
}

fn utc_offset() -> FixedOffset {
    FixedOffset::east_opt(0).expect("zero is a valid offset")
}

use chrono::Offset as _;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn syslog(month: u8, day: u8) -> Timestamp {
        Timestamp::Syslog {
            month,
            day,
            hour: 12,
            minute: 0,
            second: 0,
        }
    }

    fn resolve_all(policy: YearPolicy, months: &[(u8, u8)]) -> Vec<String> {
        let mut r = YearResolver::new(chrono_tz::UTC, policy);
        months
            .iter()
            .map(|&(m, d)| match r.resolve(&syslog(m, d)) {
                Some(t) => t.date_naive().to_string(),
                None => "none".to_string(),
            })
            .collect()
    }

    #[test]
    fn starting_year_rolls_over_into_january() {
        assert_eq!(
            resolve_all(
                YearPolicy::Starting(2023),
                &[(12, 31), (1, 1), (12, 31), (1, 2)]
            ),
            ["2023-12-31", "2024-01-01", "2023-12-31", "2024-01-02"]
        );
    }

    #[test]
    fn ending_in_places_later_months_in_the_previous_year() {
        assert_eq!(
            resolve_all(
                YearPolicy::EndingIn {
                    year: 2024,
                    month: 1
                },
                &[(12, 30), (1, 2)]
            ),
            ["2023-12-30", "2024-01-02"]
        );
    }

    #[test]
    fn leap_day_needs_a_leap_year() {
        assert_eq!(
            resolve_all(YearPolicy::Starting(2023), &[(2, 29)]),
            ["none"]
        );
        assert_eq!(
            resolve_all(YearPolicy::Starting(2024), &[(2, 29)]),
            ["2024-02-29"]
        );
    }

    #[test]
    fn local_time_uses_the_zone_and_its_dst_rules() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let at = |s: &str| {
            local_to_fixed(
                zone,
                NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap(),
            )
            .to_rfc3339()
        };
        assert_eq!(at("2024-07-01 12:00:00"), "2024-07-01T12:00:00+02:00");
        // Fall-back: 02:30 happens twice; the earlier (summer time) is taken.
        assert_eq!(at("2024-10-27 02:30:00"), "2024-10-27T02:30:00+02:00");
        // Spring-forward: 02:30 does not exist; read with the winter offset, which is
        // the instant 01:30 UTC (03:30 summer time).
        let gap = local_to_fixed(
            zone,
            NaiveDateTime::parse_from_str("2024-03-31 02:30:00", "%Y-%m-%d %H:%M:%S").unwrap(),
        );
        assert_eq!(
            gap.with_timezone(&chrono::Utc).to_rfc3339(),
            "2024-03-31T01:30:00+00:00"
        );
    }

    /// The resolver reuses an hour's offset for the lines of that hour; around DST
    /// changes (and in a zone that moves by 30 minutes) each second still resolves as
    /// the zone says.
    #[test]
    fn every_second_around_a_zone_transition_resolves_as_the_zone_says() {
        let cases = [
            ("Europe/Berlin", "2024-03-31 01:58:00"),
            ("Europe/Berlin", "2024-10-27 01:58:00"),
            ("Australia/Lord_Howe", "2024-04-07 01:28:00"),
            ("Australia/Lord_Howe", "2024-10-06 01:58:00"),
        ];
        for (name, from) in cases {
            let zone: Tz = name.parse().unwrap();
            let start = NaiveDateTime::parse_from_str(from, "%Y-%m-%d %H:%M:%S").unwrap();
            let mut years = YearResolver::new(zone, YearPolicy::Starting(start.year()));
            let mut transitions = 0;
            let mut last_offset = None;
            for s in 0..(3 * 3600) {
                let naive = start + chrono::Duration::seconds(s);
                let ts = syslog_at(naive);
                let expected = local_to_fixed(zone, naive);
                assert_eq!(years.resolve(&ts), Some(expected), "{name} {naive}");
                if last_offset.is_some_and(|o| o != *expected.offset()) {
                    transitions += 1;
                }
                last_offset = Some(*expected.offset());
            }
            assert_eq!(
                transitions, 1,
                "{name} {from}: the range crosses one transition"
            );
        }
    }

    /// `naive` as a classic syslog timestamp (no year).
    fn syslog_at(naive: NaiveDateTime) -> Timestamp {
        Timestamp::Syslog {
            month: naive.month() as u8,
            day: naive.day() as u8,
            hour: naive.hour() as u8,
            minute: naive.minute() as u8,
            second: naive.second() as u8,
        }
    }

    #[test]
    fn a_local_hour_across_midnight_utc_and_rfc3339_days_resolve_as_anew() {
        // Asia/Kolkata is UTC+5:30: its local hour 05:00 runs from 23:30 to 00:30 UTC.
        let zone: Tz = "Asia/Kolkata".parse().unwrap();
        let mut years = YearResolver::new(zone, YearPolicy::Starting(2024));
        let start =
            NaiveDateTime::parse_from_str("2024-12-31 04:59:00", "%Y-%m-%d %H:%M:%S").unwrap();
        for s in 0..(2 * 3600) {
            let naive = start + chrono::Duration::seconds(s);
            let ts = syslog_at(naive);
            assert_eq!(
                years.resolve(&ts),
                Some(local_to_fixed(zone, naive)),
                "{naive}"
            );
        }
        // RFC 3339 times around a local midnight, at changing offsets: the year and month
        // kept are those of each time's own local date.
        let mut years = YearResolver::new(zone, YearPolicy::Starting(2020));
        for t in [
            "2024-12-31T23:59:59+01:00",
            "2025-01-01T00:00:00+01:00",
            "2024-12-31T23:00:00+00:00",
            "2025-01-31T23:59:59-10:00",
            "2025-02-01T00:00:01-10:00",
            "2025-01-31T23:59:59+00:00",
        ] {
            let t = DateTime::parse_from_rfc3339(t).unwrap();
            years.resolve(&Timestamp::Rfc3339(t));
            let date = t.date_naive();
            assert_eq!(
                years.state(),
                (date.year(), Some(date.month() as u8)),
                "{t}"
            );
        }
    }
}
