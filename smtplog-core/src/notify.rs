//! The daily warnings: every sender of an allowed domain whose day had
//! `Sum >= notify_sum` or `Bounced >= notify_bounced` gets their report of that day, as
//! an automatic warning (client IP `127.0.0.1`), once.
//!
//! [`offenders`] finds them from one grouped scan of the day's records
//! ([`Store::counts_by_owner`]), counting a record for its envelope sender and for a SASL
//! user that is another address, as the reports do. [`run`] mails each: it claims the
//! warning in the store, builds and composes the report, delivers it, and marks it sent;
//! a delivery that fails releases the claim (the next run retries it) and does not stop
//! the others. So a second run mails nobody twice, and two runs at once never mail the
//! same warning. The day and "now" come from the caller.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::MailConfig;
use crate::mail::{self, Deliver, Kind, MailContext};
use crate::policy::{EmailAddress, Policy, WarningReason};
use crate::query::Query;
use crate::report;
use crate::stats::{Counts, range_bounds};
use crate::store::{self, SentWarning, Store, StoreError, WarningState};

/// The client IP shown in automatic warnings (the seed: "127.0.0.1 means the system sent
/// this by itself").
pub const WARNING_CLIENT_IP: &str = "127.0.0.1";

/// How long a claim protects a warning being mailed; an older claim was left by a run
/// that died, and the next run takes it over.
pub const CLAIM_TIMEOUT: Duration = Duration::hours(1);

/// A sender whose day reached a threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offender {
    /// The address.
    pub email: EmailAddress,
    /// The day's counts.
    pub counts: Counts,
    /// Which thresholds were reached.
    pub reasons: Vec<WarningReason>,
}

/// The senders of allowed domains whose `day` (in `zone`) reached a threshold of
/// `policy`, by address. Owners that are not acceptable addresses are skipped.
pub fn offenders(
    store: &Store,
    policy: &Policy,
    day: NaiveDate,
    zone: Tz,
) -> store::Result<Vec<Offender>> {
    let (from, to) = range_bounds(day, day, zone);
    let mut out = Vec::new();
    for (owner, counts) in store.counts_by_owner(from, to)? {
        let reasons = policy.warning_reasons(&counts);
        if reasons.is_empty() {
            continue;
        }
        let Ok(email) = policy.check_address(&owner) else {
            continue;
        };
        out.push(Offender {
            email,
            counts,
            reasons,
        });
    }
    Ok(out)
}

/// What happened to one offender's warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Mailed now.
    Sent {
        /// The mail's Message-ID.
        message_id: String,
        /// True when the report went as `report.zip`.
        zipped: bool,
    },
    /// Mailed by an earlier run.
    AlreadySent(SentWarning),
    /// Another run claimed it at this time and is mailing it.
    InProgress(DateTime<Utc>),
    /// Not delivered; the next run tries again.
    Failed(String),
}

/// One offender and what happened to their warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Who and why.
    pub offender: Offender,
    /// What happened.
    pub outcome: Outcome,
}

/// Where a warning stands before a run: for `--dry-run`.
pub fn state_of(
    store: &Store,
    offender: &Offender,
    day: NaiveDate,
) -> store::Result<Option<WarningState>> {
    store.warning_state(&offender.email.to_string(), day)
}

/// Mails the warnings of `day` (in `zone`) to every offender not warned yet, in the
/// language `mail.lang`, and records each one sent. Only store errors stop the run;
/// a failed delivery is reported in its [`Notice`].
pub fn run(
    store: &mut Store,
    policy: &Policy,
    mail: &MailConfig,
    deliver: &mut dyn Deliver,
    day: NaiveDate,
    zone: Tz,
    ctx: &MailContext,
) -> Result<Vec<Notice>, StoreError> {
    let mut notices = Vec::new();
    for offender in offenders(store, policy, day, zone)? {
        let email = offender.email.to_string();
        if let Some(state) = store.warning_state(&email, day)? {
            let outcome = match state {
                WarningState::Sent(sent) => Some(Outcome::AlreadySent(sent)),
                WarningState::Sending(at) if at >= ctx.now - CLAIM_TIMEOUT => {
                    Some(Outcome::InProgress(at))
                }
                WarningState::Sending(_) => None,
            };
            if let Some(outcome) = outcome {
                notices.push(Notice { offender, outcome });
                continue;
            }
        }
        if !store.claim_warning(
            &email,
            day,
            &offender.counts,
            ctx.now,
            ctx.now - CLAIM_TIMEOUT,
        )? {
            // Claimed by another run between the look and the claim.
            notices.push(Notice {
                offender,
                outcome: Outcome::InProgress(ctx.now),
            });
            continue;
        }
        let outcome = match warn(store, &offender, mail, deliver, day, zone, ctx) {
            Ok(sent) => {
                store.mark_warning_sent(&email, day, ctx.now, &sent.message_id)?;
                Outcome::Sent {
                    message_id: sent.message_id,
                    zipped: sent.zipped,
                }
            }
            Err(reason) => {
                store.release_warning(&email, day)?;
                Outcome::Failed(reason)
            }
        };
        notices.push(Notice { offender, outcome });
    }
    Ok(notices)
}

/// Builds, composes and delivers one warning; the error is the reason in words.
fn warn(
    store: &Store,
    offender: &Offender,
    config: &MailConfig,
    deliver: &mut dyn Deliver,
    day: NaiveDate,
    zone: Tz,
    ctx: &MailContext,
) -> Result<mail::Outgoing, String> {
    let query = Query {
        email: offender.email.to_string(),
        begin: day,
        end: day,
        zone,
    };
    let report = report::build(store, &query, WARNING_CLIENT_IP, config.lang, ctx.now)
        .map_err(|e| e.to_string())?;
    let outgoing = mail::compose(&report, &offender.email, Kind::Warning, config, ctx)
        .map_err(|e| e.to_string())?;
    deliver.deliver(&outgoing).map_err(|e| e.to_string())?;
    Ok(outgoing)
}
