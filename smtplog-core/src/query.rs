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
}
