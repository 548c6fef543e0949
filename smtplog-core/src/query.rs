//! Queries of one sender's history: the address (as envelope sender or SASL user,
//! case-insensitively) over an inclusive range of calendar days in one zone.

use chrono::NaiveDate;
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

    /// The records of one day of the query (in its zone), in time order; empty for a
    /// day outside the range. Reading a long range a day at a time gives the records of
    /// [`Query::records`], in the same order, holding one day's in memory.
    pub fn records_of_day(&self, store: &Store, day: NaiveDate) -> Result<Vec<StoredRecord>> {
        if day < self.begin || day > self.end {
            return Ok(Vec::new());
        }
        let (from, to) = range_bounds(day, day, self.zone);
        store.records_of(&self.email, from, to)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::record::{Record, Status};
    use crate::store::Batch;

    #[test]
    fn records_of_day_by_day_are_the_records_of_the_range() {
        let mut store = Store::open_in_memory().unwrap();
        let start: DateTime<Utc> = "2024-02-28T15:30:00Z".parse().unwrap();
        let records: Vec<Record> = (0..96)
            .map(|i| Record {
                time: start + Duration::hours(i),
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
        assert_eq!(whole.len(), 72);
        let mut by_day = Vec::new();
        for d in crate::stats::days_of(day("2024-02-28"), day("2024-03-03")) {
            let part = query.records_of_day(&store, d).unwrap();
            if d < query.begin || d > query.end {
                assert!(part.is_empty());
            } else {
                assert_eq!(part.len(), 24);
            }
            by_day.extend(part);
        }
        assert_eq!(by_day, whole);
    }
}
