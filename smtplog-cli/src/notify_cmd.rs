//! `smtplog notify [--day D | --so-far] [--dry-run]`: the daily warnings. D defaults to
//! yesterday in the configured zone (computed here; the core is given the date). Each
//! sender of an allowed domain whose day reached `policy.notify_sum` or
//! `policy.notify_bounced`, or looked like a stolen account (`policy.notify_anomalies`),
//! is mailed their report of D once. `--so-far` checks today so far for anomalies only
//! (run it after each ingest); its warning is the day's one warning, so the next
//! morning's run does not mail the sender again about that day. `--dry-run` lists who
//! would be warned and why, and sends and records nothing.
//!
//! Exit codes: 0 when the run is done, including when nobody needed a warning (a daily
//! timer should not report a quiet day as a failure, so "nothing to do" is not exit 1
//! here); 1 when refused (D after today or before the retention window, no allowed
//! domains); 2 on an error, or when any warning could not be delivered (the others were
//! still sent, and the next run retries the failed ones).

use std::io::{self, Write};

use anyhow::anyhow;
use chrono::{NaiveDate, Utc};
use clap::Args;
use smtplog_core::mail::{MailContext, SmtpDeliverer};
use smtplog_core::notify::{self, Offender, Outcome, Rules, Standing};
use smtplog_core::policy::Refusal;
use smtplog_core::record::Status;

use crate::database::{open_reading, open_writing};
use crate::inputs::zone;
use crate::report_cmd::host_name;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct NotifyArgs {
    /// The day to check, YYYY-MM-DD. Default: yesterday in the configured time zone.
    #[arg(long, conflicts_with = "so_far")]
    day: Option<NaiveDate>,
    /// Check today so far, for stolen-account signs only (run after each ingest).
    #[arg(long)]
    so_far: bool,
    /// List who would be warned and why; send and record nothing.
    #[arg(long)]
    dry_run: bool,
}

fn describe(o: &Offender) -> String {
    let mut why: Vec<String> = o.reasons.iter().map(ToString::to_string).collect();
    if let Some(f) = &o.anomaly {
        let kinds: Vec<&str> = f.reasons.iter().map(|r| r.kind.as_str()).collect();
        why.push(format!("anomaly score {}: {}", f.score, kinds.join(", ")));
    }
    format!(
        "{}  sum {}, bounced {}  ({})",
        o.email,
        o.counts.sum(),
        o.counts.get(Status::Bounced),
        why.join("; ")
    )
}

pub(crate) fn run(cli: &Cli, args: &NotifyArgs) -> Result<(), Failure> {
    let settings = &cli.settings;
    let policy = &settings.policy;
    let tz = zone(cli.tz.as_deref(), None)?;
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let rules = if args.so_far {
        Rules::SoFar
    } else {
        Rules::Day
    };
    let day = rules.day(args.day, today);
    notify::check_day(policy, day, today).map_err(|e| match e {
        Refusal::NoAllowedDomains => Failure::Refused(format!("{e}, so nobody can be warned")),
        e => Failure::Refused(e.to_string()),
    })?;
    let mut out = io::stdout().lock();

    if args.dry_run {
        // The run's own classification (notify::plan): what the run would do.
        let store = open_reading(&cli.db)?;
        let planned = notify::plan_by(&store, policy, rules, day, tz, now)?;
        let mut due = 0;
        for (o, standing) in &planned {
            let at = |t: &chrono::DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S");
            match standing {
                Standing::Due => writeln!(out, "would warn      {}", describe(o))?,
                Standing::Abandoned(t) => writeln!(
                    out,
                    "would warn      {}  (taking over a claim left at {} by a run that stopped)",
                    describe(o),
                    at(t)
                )?,
                Standing::AlreadySent(s) => {
                    writeln!(out, "already warned  {}  at {}", describe(o), at(&s.sent))?
                }
                Standing::InProgress(t) => writeln!(
                    out,
                    "being sent      {}  (claimed at {})",
                    describe(o),
                    at(t)
                )?,
            }
            due += usize::from(standing.is_due());
        }
        writeln!(
            out,
            "{day}: {due} would be warned, {} already warned or being warned (dry run: nothing sent or recorded)",
            planned.len() - due
        )?;
        return Ok(());
    }

    let mail_config = settings.mail("smtplog notify needs a [mail] section")?;
    let mut store = open_writing(&cli.db)?;
    let host = host_name();
    let mut deliverer = SmtpDeliverer::new(&settings.smtp, &host).map_err(anyhow::Error::from)?;
    let ctx = MailContext { now, host };
    let notices = notify::run_by(
        &mut store,
        policy,
        rules,
        mail_config,
        &mut deliverer,
        day,
        tz,
        &ctx,
    )?;
    let (mut sent, mut already, mut failed) = (0, 0, 0);
    for n in &notices {
        match &n.outcome {
            Outcome::Sent { message_id, zipped } => {
                sent += 1;
                let how = if *zipped { ", as report.zip" } else { "" };
                writeln!(
                    out,
                    "warned          {}  {message_id}{how}",
                    describe(&n.offender)
                )?;
            }
            Outcome::AlreadySent(s) => {
                already += 1;
                writeln!(
                    out,
                    "already warned  {}  at {}",
                    describe(&n.offender),
                    s.sent.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S")
                )?;
            }
            Outcome::InProgress(at) => {
                already += 1;
                writeln!(
                    out,
                    "being sent      {}  by another run since {}",
                    describe(&n.offender),
                    at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S")
                )?;
            }
            Outcome::Failed(reason) => {
                failed += 1;
                writeln!(out, "FAILED          {}  {reason}", describe(&n.offender))?;
            }
        }
    }
    writeln!(
        out,
        "{day}: {sent} warned, {already} already warned, {failed} failed"
    )?;
    if failed > 0 {
        return Err(Failure::Error(anyhow!(
            "{failed} warning(s) could not be delivered; the next run retries them"
        )));
    }
    Ok(())
}
