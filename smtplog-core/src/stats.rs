//! The daily table: for each calendar day of a range (in one zone), the number of records
//! of each status, zeros included, and the total. Sum is the six columns added, so it is
//! the number of records of the day.

use std::ops::AddAssign;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::record::Status;
use crate::timestamp::local_to_fixed;

/// Counts of records by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub [u64; 6]);

impl Counts {
    /// The count of `status`.
    pub fn get(&self, status: Status) -> u64 {
        self.0[status.index()]
    }

    /// All records: the six counts added.
    pub fn sum(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Counts one record.
    pub fn add(&mut self, status: Status) {
        self.0[status.index()] += 1;
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

/// One day's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// The calendar date in the table's zone.
    pub date: NaiveDate,
    /// The counts of that day.
    pub counts: Counts,
}

/// The daily table of a date range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyTable {
    /// Every day of the range, in order.
    pub days: Vec<Day>,
    /// The counts of the whole range.
    pub total: Counts,
}

impl DailyTable {
    /// The table as tab-separated text (`smtplog stats`): a heading line
    /// `Date Sum Auth_blk Auth_rcv Bounced Deferred Expired Sent`, a line per day
    /// (`YYYY/MM/DD`), then `Total`.
    pub fn write_tsv(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Date\tSum\tAuth_blk\tAuth_rcv\tBounced\tDeferred\tExpired\tSent"
        )?;
        let row = |out: &mut dyn std::io::Write, label: &dyn std::fmt::Display, c: &Counts| {
            write!(out, "{label}\t{}", c.sum())?;
            for st in Status::ALL {
                write!(out, "\t{}", c.get(st))?;
            }
            writeln!(out)
        };
        for d in &self.days {
            row(out, &d.date.format("%Y/%m/%d"), &d.counts)?;
        }
        row(out, &"Total", &self.total)
    }
}

/// The instants `[start of begin, start of the day after end)` in `zone`.
pub fn range_bounds(begin: NaiveDate, end: NaiveDate, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| local_to_fixed(zone, d.and_time(NaiveTime::MIN)).with_timezone(&Utc);
    let after = end.checked_add_days(Days::new(1)).unwrap_or(end);
    (start(begin), start(after))
}

/// The days from `begin` to `end` inclusive (empty when `end` is before `begin`).
pub fn days_of(begin: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    begin.iter_days().take_while(|d| *d <= end).collect()
}

impl DailyTable {
    /// Buckets records (time, status) into the days of `[begin, end]` in `zone`; records
    /// outside the range are ignored.
    pub fn build(
        records: impl IntoIterator<Item = (DateTime<Utc>, Status)>,
        begin: NaiveDate,
        end: NaiveDate,
        zone: Tz,
    ) -> DailyTable {
        let mut days: Vec<Day> = days_of(begin, end)
            .into_iter()
            .map(|date| Day {
                date,
                counts: Counts::default(),
            })
            .collect();
        let mut total = Counts::default();
        for (time, status) in records {
            let date = time.with_timezone(&zone).date_naive();
            if date < begin || date > end {
                continue;
            }
            let i = (date - begin).num_days() as usize;
            if let Some(day) = days.get_mut(i) {
                day.counts.add(status);
                total.add(status);
            }
        }
        DailyTable { days, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_day_is_listed_and_days_follow_the_zone() {
        let taipei: Tz = "Asia/Taipei".parse().unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let table = DailyTable::build(
            [
                // 2020-02-09 23:30 in Taipei.
                (at("2020-02-09T15:30:00Z"), Status::Sent),
                // 2020-02-10 00:30 in Taipei.
                (at("2020-02-09T16:30:00Z"), Status::Bounced),
                (at("2020-02-11T01:00:00Z"), Status::Sent),
                (at("2020-03-01T01:00:00Z"), Status::Sent),
            ],
            d("2020-02-09"),
            d("2020-02-12"),
            taipei,
        );
        let rows: Vec<(String, u64, u64, u64)> = table
            .days
            .iter()
            .map(|day| {
                (
                    day.date.to_string(),
                    day.counts.sum(),
                    day.counts.get(Status::Sent),
                    day.counts.get(Status::Bounced),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("2020-02-09".into(), 1, 1, 0),
                ("2020-02-10".into(), 1, 0, 1),
                ("2020-02-11".into(), 1, 1, 0),
                ("2020-02-12".into(), 0, 0, 0),
            ]
        );
        assert_eq!(table.total.sum(), 3);
        let (from, to) = range_bounds(d("2020-02-09"), d("2020-02-12"), taipei);
        assert_eq!(from, at("2020-02-08T16:00:00Z"));
        assert_eq!(to, at("2020-02-12T16:00:00Z"));
    }
}
