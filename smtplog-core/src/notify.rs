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

/// The client IP shown in automatic warnings: in the service smtplog models, a report whose
/// Client IP is 127.0.0.1 was sent by the system itself (`docs/records.md`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::SendError;
    use crate::record::{Record, Status};
    use crate::store::Batch;

    /// Records `n` records of `status` for `sender` on 2024-03-01 (UTC).
    fn records(sender: &str, status: Status, n: usize) -> Vec<Record> {
        let time: DateTime<Utc> = "2024-03-01T10:00:00Z".parse().unwrap();
        (0..n)
            .map(|i| Record {
                time: time + Duration::seconds(i as i64),
                smtp_relay: "relay1".into(),
                instance: "postfix".into(),
                queue_id: format!("Q{i}"),
                sender: Some(sender.into()),
                sender_ip: Some("192.0.2.1".into()),
                sasl_user: None,
                recipient: Some(format!("r{i}@example.org")),
                orig_recipient: None,
                status,
                dsn: None,
                relay: None,
                delay: None,
                response: None,
                message_id: None,
                orphan: false,
            })
            .collect()
    }

    fn store() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let mut all = Vec::new();
        all.extend(records("sum249@x.edu", Status::Sent, 249));
        all.extend(records("sum250@x.edu", Status::Sent, 250));
        all.extend(records("b9@x.edu", Status::Bounced, 9));
        all.extend(records("b10@cs.x.edu", Status::Bounced, 10));
        all.extend(records("big@elsewhere.org", Status::Sent, 500));
        store
            .commit(&Batch {
                records: all,
                ..Batch::default()
            })
            .unwrap();
        store
    }

    /// Records what it was asked to deliver; refuses the addresses in `refuse`.
    #[derive(Default)]
    struct Fake {
        delivered: Vec<String>,
        refuse: Vec<String>,
    }

    impl Deliver for Fake {
        fn deliver(&mut self, mail: &mail::Outgoing) -> Result<(), SendError> {
            let to: Vec<String> = mail.envelope().to().iter().map(|a| a.to_string()).collect();
            assert_eq!(to.len(), 1);
            if self.refuse.contains(&to[0]) {
                return Err(SendError::Other {
                    relay: "fake".into(),
                    reason: "refused".into(),
                });
            }
            self.delivered.push(to[0].clone());
            Ok(())
        }
    }

    fn setup() -> (Policy, MailConfig, MailContext, NaiveDate) {
        let policy = Policy {
            allowed_domains: vec!["x.edu".into()],
            ..Policy::default()
        };
        let mail = MailConfig::new(EmailAddress::parse("smtplog@x.edu").unwrap());
        let ctx = MailContext {
            now: "2024-03-02T01:00:00Z".parse().unwrap(),
            host: "log.x.edu".into(),
        };
        (policy, mail, ctx, "2024-03-01".parse().unwrap())
    }

    #[test]
    fn offenders_are_found_at_the_thresholds_in_allowed_domains_only() {
        let (policy, _, _, day) = setup();
        let found: Vec<String> = offenders(&store(), &policy, day, chrono_tz::UTC)
            .unwrap()
            .into_iter()
            .map(|o| o.email.to_string())
            .collect();
        assert_eq!(found, vec!["b10@cs.x.edu", "sum250@x.edu"]);
        let other_day = "2024-03-02".parse().unwrap();
        assert!(
            offenders(&store(), &policy, other_day, chrono_tz::UTC)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn each_warning_is_sent_once_and_a_failed_one_is_retried() {
        let (policy, mail, ctx, day) = setup();
        let mut store = store();
        let mut fake = Fake {
            refuse: vec!["b10@cs.x.edu".into()],
            ..Fake::default()
        };
        let first = run(
            &mut store,
            &policy,
            &mail,
            &mut fake,
            day,
            chrono_tz::UTC,
            &ctx,
        )
        .unwrap();
        assert_eq!(fake.delivered, vec!["sum250@x.edu"]);
        assert!(matches!(first[0].outcome, Outcome::Failed(_)));
        assert!(matches!(first[1].outcome, Outcome::Sent { .. }));

        let mut fake = Fake::default();
        let second = run(
            &mut store,
            &policy,
            &mail,
            &mut fake,
            day,
            chrono_tz::UTC,
            &ctx,
        )
        .unwrap();
        assert_eq!(fake.delivered, vec!["b10@cs.x.edu"]);
        assert!(matches!(second[1].outcome, Outcome::AlreadySent(_)));

        let mut fake = Fake::default();
        let third = run(
            &mut store,
            &policy,
            &mail,
            &mut fake,
            day,
            chrono_tz::UTC,
            &ctx,
        )
        .unwrap();
        assert!(fake.delivered.is_empty());
        assert!(
            third
                .iter()
                .all(|n| matches!(n.outcome, Outcome::AlreadySent(_)))
        );
        assert_eq!(store.sent_warnings(day).unwrap().len(), 2);
    }
}
