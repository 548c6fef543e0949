//! Queries of one sender's history: the address (as envelope sender or SASL user,
//! case-insensitively) over an inclusive range of calendar days in one zone.

use chrono::NaiveDate;
use chrono_tz::Tz;

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
}
