//! Queries of one sender's history: the address (as envelope sender or SASL user,
//! case-insensitively) over an inclusive range of calendar days in one zone.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::policy::{AddressError, Refusal};
use crate::stats::{DailyTable, range_bounds};
use crate::store::{Result, Store, StoredRecord};

/// Whose history, over which days, in which zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The address; matched case-insensitively.
    pub email: String,
    /// The first day.
    pub begin: NaiveDate,
    /// The last day (inclusive).
    pub end: NaiveDate,
    /// The zone that defines the days.
    pub zone: Tz,
}

impl Query {
    /// The query of `email`'s days `[begin, end]` in `zone`; refused when the range ends
    /// before it begins or the address is empty. (This is the administrator's query: no
    /// domain or retention policy; a report mailed to a sender goes through
    /// `mail::prepare_report`, which applies the whole policy.)
    pub fn new(
        email: &str,
        begin: NaiveDate,
        end: NaiveDate,
        zone: Tz,
    ) -> std::result::Result<Query, Refusal> {
        if end < begin {
            return Err(Refusal::Reversed { begin, end });
        }
        let email = email.trim();
        if email.is_empty() {
            return Err(Refusal::Address(AddressError::Empty));
        }
        Ok(Query {
            email: email.to_string(),
            begin,
            end,
            zone,
        })
    }

    /// The daily table of the query's days.
    pub fn daily(&self, store: &Store) -> Result<DailyTable> {
        let (from, to) = range_bounds(self.begin, self.end, self.zone);
        let statuses = store.statuses_of(&self.email, from, to)?;
        Ok(DailyTable::build(statuses, self.begin, self.end, self.zone))
    }

    /// The records of the query's days, in time order.
    pub fn records(&self, store: &Store) -> Result<Vec<StoredRecord>> {
        let (from, to) = range_bounds(self.begin, self.end, self.zone);
        store.records_of(&self.email, from, to)
    }

    /// The query's records a bounded chunk at a time (see [`Chunks`]): for reading a
    /// range too large to hold at once.
    pub fn chunks(&self, target: usize) -> Chunks {
        let (from, to) = range_bounds(self.begin, self.end, self.zone);
        Chunks {
            email: self.email.clone(),
            next: from,
            end: to,
            windows: VecDeque::new(),
            target: target.max(1),
        }
    }
}

/// A cursor over a query's records in time order, a bounded chunk at a time. It looks at
/// a day of the range at a time: first only at the times of that day's records (16 bytes
/// each), to cut the day into windows of about `target` records, then reads the records
/// of one window per chunk. So a chunk holds about `target` records (more only when
/// records share a millisecond) whatever the sender's volume, and a quiet sender's day
/// is one chunk. The chunks, one after the other, are [`Query::records`] (same records,
/// same order).
#[derive(Clone, Debug)]
pub struct Chunks {
    email: String,
    /// Where the next day to cut begins.
    next: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The windows of the day already cut, not yet read.
    windows: VecDeque<(DateTime<Utc>, DateTime<Utc>)>,
    target: usize,
}

impl Chunks {
    /// The next non-empty chunk, or `None` when the range is read.
    pub fn next_chunk(&mut self, store: &Store) -> Result<Option<Vec<StoredRecord>>> {
        loop {
            if let Some((from, to)) = self.windows.pop_front() {
                let records = store.records_of(&self.email, from, to)?;
                if !records.is_empty() {
                    return Ok(Some(records));
                }
                continue;
            }
            if self.next >= self.end {
                return Ok(None);
            }
            let to = (self.next + Duration::days(1)).min(self.end);
            let mut times: Vec<DateTime<Utc>> = store
                .statuses_of(&self.email, self.next, to)?
                .into_iter()
                .map(|(t, _)| t)
                .collect();
            times.sort_unstable();
            let mut from = self.next;
            for cut in times.iter().skip(self.target).step_by(self.target) {
                if *cut > from {
                    self.windows.push_back((from, *cut));
                    from = *cut;
                }
            }
            if !times.is_empty() {
                self.windows.push_back((from, to));
            }
            self.next = to;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::record::{Record, Status};
    use crate::store::Batch;

    #[test]
    fn chunks_one_after_the_other_are_the_records_of_the_range() {
        let mut store = Store::open_in_memory().unwrap();
        // A quiet start, a burst of 3,000 records in ten minutes, then quiet again.
        let start: DateTime<Utc> = "2024-02-28T15:30:00Z".parse().unwrap();
        let burst: DateTime<Utc> = "2024-03-01T10:00:00Z".parse().unwrap();
        let times = (0..96)
            .map(|i| start + Duration::hours(i))
            .chain((0..3000).map(|i| burst + Duration::milliseconds(i * 200)));
        let records: Vec<Record> = times
            .enumerate()
            .map(|(i, time)| Record {
                time,
                smtp_relay: "relay1".into(),
                instance: "postfix".into(),
                queue_id: format!("Q{i}"),
                sender: Some("a@x.edu".into()),
                sender_ip: None,
                sasl_user: None,
                recipient: Some(format!("r{i}@example.org")),
                orig_recipient: None,
                status: Status::Sent,
                dsn: None,
                relay: None,
                delay: None,
                response: None,
                message_id: None,
                orphan: false,
            })
            .collect();
        store
            .commit(&Batch {
                records,
                ..Batch::default()
            })
            .unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let zone: Tz = "Asia/Taipei".parse().unwrap();
        let query = Query::new("A@x.edu", day("2024-02-29"), day("2024-03-02"), zone).unwrap();
        let whole = query.records(&store).unwrap();
        assert_eq!(whole.len(), 72 + 3000);
        let mut chunks = query.chunks(500);
        let mut joined = Vec::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = chunks.next_chunk(&store).unwrap() {
            sizes.push(chunk.len());
            joined.extend(chunk);
        }
        assert_eq!(joined, whole);
        // The burst comes in chunks of the target's size; each quiet stretch in one.
        assert!(sizes.iter().all(|&n| n <= 500), "{sizes:?}");
        assert_eq!(sizes.iter().filter(|&&n| n == 500).count(), 6, "{sizes:?}");
        assert!(chunks.next_chunk(&store).unwrap().is_none());
    }
}
