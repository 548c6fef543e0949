//! A report asked for on behalf of its owner (the CLI's `report`, the query page): the one
//! entry point that turns a request into a mail, with the whole policy applied first. The
//! address must pass the strict check and be in an allowed domain, the range must be at
//! most `max_range_days` long and inside the retention window that ends today (in the
//! given zone, "now" from the caller); only then is the report built and composed, to
//! that address alone.

use std::net::IpAddr;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::{Kind, MailContext, MailError, Outgoing, compose};
use crate::config::MailConfig;
use crate::policy::{Policy, Recipient, Refusal};
use crate::query::Query;
use crate::report::{self, Lang, Report};
use crate::store::{Store, StoreError};

/// What a sender asks for: their report of `[begin, end]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRequest {
    /// The address, as typed (checked here).
    pub email: String,
    /// The first day.
    pub begin: NaiveDate,
    /// The last day (inclusive).
    pub end: NaiveDate,
    /// Who asked: shown in the report's header.
    pub client_ip: IpAddr,
    /// The report's language.
    pub lang: Lang,
}

/// Why a request gave no mail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The policy refused the address or the range; nothing was built.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The records could not be read.
    #[error("cannot read the records")]
    Store(#[from] StoreError),
    /// The mail could not be composed.
    #[error("cannot compose the mail")]
    Compose(#[from] MailError),
}

/// A report ready to be delivered to its owner.
#[derive(Debug)]
pub struct Prepared {
    /// The address it goes to (and the report is about).
    pub to: Recipient,
    /// The report.
    pub report: Report,
    /// The mail.
    pub outgoing: Outgoing,
}

/// Applies `policy` to `request` (see the module documentation), then builds the report
/// from `store` and composes its mail with `config`. Deliver it with
/// [`Deliver`](super::Deliver).
pub fn prepare_report(
    store: &Store,
    policy: &Policy,
    config: &MailConfig,
    request: &ReportRequest,
    zone: Tz,
    ctx: &MailContext,
) -> Result<Prepared, RequestError> {
    let to = policy.check_address(&request.email)?;
    let today = ctx.now.with_timezone(&zone).date_naive();
    policy.check_range(request.begin, request.end, today)?;
    let query = Query {
        email: to.to_string(),
        begin: request.begin,
        end: request.end,
        zone,
    };
    let report = report::build(store, &query, request.client_ip, request.lang, ctx.now)?;
    let outgoing = compose(&report, &to, Kind::Report, config, ctx)?;
    Ok(Prepared {
        to,
        report,
        outgoing,
    })
}
