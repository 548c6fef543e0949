//! Mailing the reports the page accepted: each due outbox entry is prepared through
//! [`prepare_report`](crate::mail::prepare_report) (the whole policy again, then the
//! report, to that address alone) and handed to the relay. A relay that is down or
//! refuses leaves the entry in the outbox for a later attempt, sooner first and then at
//! most hourly, so an accepted query is never lost and never mailed twice.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::config::MailConfig;
use crate::mail::{Deliver, MailContext, RequestError, prepare_report};
use crate::policy::Policy;
use crate::store::{OutboxEntry, Result, Store, StoreError};

/// What became of one due entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mailed {
    /// The relay accepted the report.
    Sent {
        /// The mail's Message-ID.
        message_id: String,
    },
    /// Not mailed now; tried again at `retry_at`.
    Retry {
        /// Why.
        error: String,
        /// The next attempt.
        retry_at: DateTime<Utc>,
    },
    /// The policy no longer allows it (the range left the retention window while the
    /// relay was down, or the domain was removed): it is not tried again.
    Dropped {
        /// Why.
        refusal: String,
    },
}

/// How long after the `attempts`-th failed attempt the next one comes: a minute, then
/// doubling, at most an hour.
pub fn backoff(attempts: u32) -> Duration {
    let minutes = 1i64 << attempts.saturating_sub(1).min(6);
    Duration::minutes(minutes.min(60))
}

/// Mails up to `limit` due outbox entries at `ctx.now` through `deliver`.
pub fn deliver_due(
    store: &mut Store,
    policy: &Policy,
    mail: &MailConfig,
    deliver: &mut dyn Deliver,
    zone: Tz,
    ctx: &MailContext,
    limit: usize,
) -> Result<Vec<(OutboxEntry, Mailed)>> {
    let mut out = Vec::new();
    for entry in store.due_reports(ctx.now, limit)? {
        let mailed = match prepare_report(store, policy, mail, &entry.request(), zone, ctx) {
            Ok(prepared) => match deliver.deliver(&prepared.outgoing) {
                Ok(()) => {
                    let message_id = prepared.outgoing.message_id.clone();
                    store.mark_report_sent(entry.id, ctx.now, &message_id)?;
                    Mailed::Sent { message_id }
                }
                Err(e) => retry(store, &entry, ctx.now, e.to_string())?,
            },
            Err(RequestError::Refused(why)) => {
                let refusal = why.to_string();
                // Far enough away never to come due within the retention window.
                let never = ctx.now + Duration::days(3650);
                store.mark_report_failed(entry.id, ctx.now, &refusal, never)?;
                Mailed::Dropped { refusal }
            }
            Err(RequestError::Store(e)) => return Err(e),
            Err(e) => retry(store, &entry, ctx.now, e.to_string())?,
        };
        out.push((entry, mailed));
    }
    Ok(out)
}

fn retry(
    store: &mut Store,
    entry: &OutboxEntry,
    now: DateTime<Utc>,
    error: String,
) -> std::result::Result<Mailed, StoreError> {
    let retry_at = now + backoff(entry.attempts);
    store.mark_report_failed(entry.id, now, &error, retry_at)?;
    Ok(Mailed::Retry { error, retry_at })
}
