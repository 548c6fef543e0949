//! The arguments every per-sender command shares: an address and an inclusive range of
//! days.

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::Args;
use smtplog_core::query::Query;

use crate::Failure;

/// `--email A --begin D --end D`.
#[derive(Args, Debug)]
pub(crate) struct SenderDays {
    /// The sender's address (matched case-insensitively, as envelope sender or SASL user).
    #[arg(long)]
    pub(crate) email: String,
    /// The first day, YYYY-MM-DD.
    #[arg(long)]
    pub(crate) begin: NaiveDate,
    /// The last day (inclusive), YYYY-MM-DD.
    #[arg(long)]
    pub(crate) end: NaiveDate,
}

impl SenderDays {
    /// The query of these days in `zone`; refused (exit 1) when the range ends before it
    /// begins or the address is empty.
    pub(crate) fn query(&self, zone: Tz) -> Result<Query, Failure> {
        Query::new(&self.email, self.begin, self.end, zone)
            .map_err(|why| Failure::Refused(why.to_string()))
    }
}
