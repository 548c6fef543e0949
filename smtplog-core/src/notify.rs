//! The daily warnings: every sender of an allowed domain whose day had
//! `Sum >= notify_sum` or `Bounced >= notify_bounced`, or (with `notify_anomalies`)
//! whose day looks like a stolen account ([`crate::anomaly`]), gets their report of that
//! day, as an automatic warning (client IP `127.0.0.1`), once: one warning per sender
//! and day, whichever rule found it and whichever [`Rules`] the run used. A warning about
//! an anomaly starts with what was unusual and what to do.
//!
//! [`offenders`] finds them from one grouped scan of the day's records
//! ([`Store::counts_by_owner`]), counting a record for its envelope sender and for a SASL
//! user that is another address, as the reports do. `run` (feature `mail`) mails each:
//! it claims the warning in the store, builds and composes the report, delivers it, and
//! marks it sent; a delivery that fails releases the claim (the next run retries it) and
//! does not stop the others. So a second run mails nobody twice, and two runs at once never mail the
//! same warning. The day and "now" come from the caller.

use std::net::{IpAddr, Ipv4Addr};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::anomaly::{self, Flag};
#[cfg(feature = "mail")]
use crate::config::MailConfig;
#[cfg(feature = "mail")]
use crate::mail::{self, Deliver, Kind, MailContext};
use crate::policy::{Policy, Recipient, Refusal, WarningReason};
#[cfg(feature = "mail")]
use crate::query::Query;
#[cfg(feature = "mail")]
use crate::report;
use crate::stats::{Counts, range_bounds};
#[cfg(feature = "mail")]
use crate::store::StoreError;
use crate::store::{self, SentWarning, Store, WarningState};

/// The client IP shown in automatic warnings: in the service smtplog models, a report whose
/// Client IP is 127.0.0.1 was sent by the system itself (`docs/records.md`).
pub const WARNING_CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// How long a claim protects a warning being mailed; an older claim was left by a run
/// that died, and the next run takes it over.
pub const CLAIM_TIMEOUT: Duration = Duration::hours(1);

/// Which rules a run warns on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// A finished day: the thresholds, and the anomalies when `policy.notify_anomalies`.
    Day,
    /// The day so far (run after each ingest): the anomalies only (when
    /// `policy.notify_anomalies`; else nobody), so a stolen account is told within the
    /// hour. The warning is the day's one warning: the run for the finished day finds it
    /// already sent.
    SoFar,
}

impl Rules {
    /// The day a run by these rules checks when it is `today`: today for
    /// [`Rules::SoFar`] (which takes no day: frontends refuse one), else `asked`, by
    /// default yesterday.
    pub fn day(self, asked: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
        match (self, asked) {
            (Rules::SoFar, _) => today,
            (Rules::Day, Some(day)) => day,
            (Rules::Day, None) => today.pred_opt().unwrap_or(today),
        }
    }
}

/// A sender whose day reached a threshold or looked like a stolen account.
#[derive(Clone, Debug, PartialEq)]
pub struct Offender {
    /// The address (it passed the policy).
    pub email: Recipient,
    /// The day's counts.
    pub counts: Counts,
    /// Which thresholds were reached (none when only the anomaly found the sender).
    pub reasons: Vec<WarningReason>,
    /// The stolen-account signs of the day, if any.
    pub anomaly: Option<Flag>,
}

/// The senders of allowed domains whose `day` (in `zone`) reached a threshold of
/// `policy` or was flagged as an anomaly, by address. Owners that are not acceptable
/// addresses are skipped.
pub fn offenders(
    store: &Store,
    policy: &Policy,
    day: NaiveDate,
    zone: Tz,
) -> store::Result<Vec<Offender>> {
    offenders_by(store, policy, Rules::Day, day, zone)
}

/// As [`offenders`], by `rules`.
pub fn offenders_by(
    store: &Store,
    policy: &Policy,
    rules: Rules,
    day: NaiveDate,
    zone: Tz,
) -> store::Result<Vec<Offender>> {
    let (from, to) = range_bounds(day, day, zone);
    let mut flags: std::collections::BTreeMap<String, Flag> = if policy.notify_anomalies {
        anomaly::on_day(store, day, zone, &policy.anomalies)?
            .into_iter()
            .map(|f| (f.email.clone(), f))
            .collect()
    } else {
        Default::default()
    };
    let mut out = Vec::new();
    for (owner, counts) in store.counts_by_owner(from, to)? {
        let reasons = match rules {
            Rules::Day => policy.warning_reasons(&counts),
            Rules::SoFar => Vec::new(),
        };
        let anomaly = flags.remove(&owner);
        if reasons.is_empty() && anomaly.is_none() {
            continue;
        }
        let Ok(email) = policy.check_address(&owner) else {
            continue;
        };
        out.push(Offender {
            email,
            counts,
            reasons,
            anomaly,
        });
    }
    // Flagged for failed logins alone: no records of their own that day.
    for (owner, flag) in flags {
        let Ok(email) = policy.check_address(&owner) else {
            continue;
        };
        out.push(Offender {
            email,
            counts: Counts::default(),
            reasons: Vec::new(),
            anomaly: Some(flag),
        });
    }
    out.sort_by_key(|o| o.email.to_string());
    Ok(out)
}

/// Every owner (lower-case address or SASL user, any domain) whose `day` (in `zone`)
/// reached a threshold of `policy`, with the day's counts and the thresholds reached, by
/// owner. What [`offenders`] starts from before the address and domain checks: the
/// administrator's list of the day's heavy senders, which mails nobody.
pub fn over_thresholds(
    store: &Store,
    policy: &Policy,
    day: NaiveDate,
    zone: Tz,
) -> store::Result<Vec<(String, Counts, Vec<WarningReason>)>> {
    let (from, to) = range_bounds(day, day, zone);
    let mut out = Vec::new();
    for (owner, counts) in store.counts_by_owner(from, to)? {
        let reasons = policy.warning_reasons(&counts);
        if !reasons.is_empty() {
            out.push((owner, counts, reasons));
        }
    }
    Ok(out)
}

/// Checks that the warnings of `day` may run when it is `today`: the day is inside the
/// retention window and not after today, and some domain is allowed (else nobody can
/// be warned). Every frontend calls it before [`plan`] or `run`.
pub fn check_day(policy: &Policy, day: NaiveDate, today: NaiveDate) -> Result<(), Refusal> {
    policy.check_range(day, day, today)?;
    if policy.allowed_domains.is_empty() {
        return Err(Refusal::NoAllowedDomains);
    }
    Ok(())
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
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// Who and why.
    pub offender: Offender,
    /// What happened.
    pub outcome: Outcome,
}

/// Where one offender's warning stands before a run: what the run does with it. The run
/// and its dry run ([`plan`]) classify alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Not warned yet: the run mails it.
    Due,
    /// Claimed at this time by a run that stopped before sending (the claim is older
    /// than [`CLAIM_TIMEOUT`]): the run takes it over and mails it.
    Abandoned(DateTime<Utc>),
    /// Mailed by an earlier run.
    AlreadySent(SentWarning),
    /// Claimed at this time by another run, which is mailing it.
    InProgress(DateTime<Utc>),
}

impl Standing {
    /// True when a run mails it.
    pub fn is_due(&self) -> bool {
        matches!(self, Standing::Due | Standing::Abandoned(_))
    }
}

/// Every offender of `day` (in `zone`) and where their warning stands at `now`: what
/// `run` would do, without doing it (`notify --dry-run`).
pub fn plan(
    store: &Store,
    policy: &Policy,
    day: NaiveDate,
    zone: Tz,
    now: DateTime<Utc>,
) -> store::Result<Vec<(Offender, Standing)>> {
    plan_by(store, policy, Rules::Day, day, zone, now)
}

/// As [`plan`], by `rules`.
pub fn plan_by(
    store: &Store,
    policy: &Policy,
    rules: Rules,
    day: NaiveDate,
    zone: Tz,
    now: DateTime<Utc>,
) -> store::Result<Vec<(Offender, Standing)>> {
    let mut out = Vec::new();
    for offender in offenders_by(store, policy, rules, day, zone)? {
        let standing = match store.warning_state(&offender.email.to_string(), day)? {
            None => Standing::Due,
            Some(WarningState::Sent(sent)) => Standing::AlreadySent(sent),
            Some(WarningState::Sending(at)) if at >= now - CLAIM_TIMEOUT => {
                Standing::InProgress(at)
            }
            Some(WarningState::Sending(at)) => Standing::Abandoned(at),
        };
        out.push((offender, standing));
    }
    Ok(out)
}

/// Mails the warnings of `day` (in `zone`) to every offender not warned yet, in the
/// language `mail.lang`, and records each one sent. Only store errors stop the run;
/// a failed delivery is reported in its [`Notice`]. Needs the `mail` feature.
#[cfg(feature = "mail")]
pub fn run(
    store: &mut Store,
    policy: &Policy,
    mail: &MailConfig,
    deliver: &mut dyn Deliver,
    day: NaiveDate,
    zone: Tz,
    ctx: &MailContext,
) -> Result<Vec<Notice>, StoreError> {
    run_by(store, policy, Rules::Day, mail, deliver, day, zone, ctx)
}

/// As [`run`], by `rules` (`notify --so-far` runs [`Rules::SoFar`] on today).
#[cfg(feature = "mail")]
#[allow(clippy::too_many_arguments)]
pub fn run_by(
    store: &mut Store,
    policy: &Policy,
    rules: Rules,
    mail: &MailConfig,
    deliver: &mut dyn Deliver,
    day: NaiveDate,
    zone: Tz,
    ctx: &MailContext,
) -> Result<Vec<Notice>, StoreError> {
    let mut notices = Vec::new();
    for (offender, standing) in plan_by(store, policy, rules, day, zone, ctx.now)? {
        let outcome = match standing {
            Standing::AlreadySent(sent) => Some(Outcome::AlreadySent(sent)),
            Standing::InProgress(at) => Some(Outcome::InProgress(at)),
            Standing::Due | Standing::Abandoned(_) => None,
        };
        if let Some(outcome) = outcome {
            notices.push(Notice { offender, outcome });
            continue;
        }
        let email = offender.email.to_string();
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
#[cfg(feature = "mail")]
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
    let preface = offender
        .anomaly
        .as_ref()
        .map(|f| mail::anomaly_preface(f, day, config.lang, &config.footer));
    // A sender with signs of a stolen account is told so first; the threshold warning's
    // words ("reached a threshold") fit only a warning of thresholds alone.
    let kind = if preface.is_some() {
        Kind::AnomalyWarning
    } else {
        Kind::Warning
    };
    let outgoing = mail::compose_with_preface(
        &report,
        &offender.email,
        kind,
        config,
        ctx,
        preface.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    deliver.deliver(&outgoing).map_err(|e| e.to_string())?;
    Ok(outgoing)
}

#[cfg(test)]
mod rules_tests {
    use super::*;

    #[test]
    fn a_finished_day_defaults_to_yesterday_and_so_far_is_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let asked = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(
            Rules::Day.day(None, today),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert_eq!(Rules::Day.day(Some(asked), today), asked);
        assert_eq!(Rules::SoFar.day(None, today), today);
    }
}

#[cfg(all(test, feature = "mail"))]
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
        let mail = MailConfig::new(crate::policy::EmailAddress::parse("smtplog@x.edu").unwrap());
        let ctx = MailContext {
            now: "2024-03-02T01:00:00Z".parse().unwrap(),
            host: "log.x.edu".into(),
        };
        (policy, mail, ctx, "2024-03-01".parse().unwrap())
    }

    #[test]
    fn over_thresholds_lists_every_domain_and_offenders_only_allowed_ones() {
        let (policy, _, _, day) = setup();
        let over: Vec<(String, u64)> = over_thresholds(&store(), &policy, day, chrono_tz::UTC)
            .unwrap()
            .into_iter()
            .map(|(owner, counts, _)| (owner, counts.sum()))
            .collect();
        assert_eq!(
            over,
            vec![
                ("b10@cs.x.edu".to_string(), 10),
                ("big@elsewhere.org".to_string(), 500),
                ("sum250@x.edu".to_string(), 250)
            ]
        );
    }

    #[test]
    fn check_day_refuses_future_days_old_days_and_no_allowed_domains() {
        let (policy, _, _, day) = setup();
        let today: NaiveDate = "2024-03-02".parse().unwrap();
        assert_eq!(check_day(&policy, day, today), Ok(()));
        assert!(matches!(
            check_day(&policy, "2024-03-03".parse().unwrap(), today),
            Err(Refusal::InFuture { .. })
        ));
        assert!(matches!(
            check_day(&policy, "2023-01-01".parse().unwrap(), today),
            Err(Refusal::TooOld { .. })
        ));
        let nobody = Policy {
            allowed_domains: Vec::new(),
            ..policy
        };
        assert_eq!(
            check_day(&nobody, day, today),
            Err(Refusal::NoAllowedDomains)
        );
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
    fn the_dry_run_and_the_run_classify_a_claim_alike() {
        let (policy, mail, ctx, day) = setup();
        let mut store = store();
        // b10 was claimed two hours ago by a run that died before sending; sum250 was
        // claimed a minute ago by a run still sending.
        let counts = Counts::default();
        let long_ago = ctx.now - Duration::hours(2);
        let just_now = ctx.now - Duration::minutes(1);
        assert!(
            store
                .claim_warning("b10@cs.x.edu", day, &counts, long_ago, long_ago)
                .unwrap()
        );
        assert!(
            store
                .claim_warning("sum250@x.edu", day, &counts, just_now, just_now)
                .unwrap()
        );

        let planned: Vec<(String, Standing)> = plan(&store, &policy, day, chrono_tz::UTC, ctx.now)
            .unwrap()
            .into_iter()
            .map(|(o, s)| (o.email.to_string(), s))
            .collect();
        assert_eq!(
            planned,
            vec![
                ("b10@cs.x.edu".to_string(), Standing::Abandoned(long_ago)),
                ("sum250@x.edu".to_string(), Standing::InProgress(just_now)),
            ]
        );
        assert!(planned[0].1.is_due() && !planned[1].1.is_due());

        // The run does what the dry run said: takes the abandoned claim over, leaves the
        // other to the run that holds it.
        let mut fake = Fake::default();
        let notices = run(
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
        assert!(matches!(notices[0].outcome, Outcome::Sent { .. }));
        assert_eq!(notices[1].outcome, Outcome::InProgress(just_now));
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
