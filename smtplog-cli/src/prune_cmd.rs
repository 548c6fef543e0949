//! `smtplog prune`: delete records, and the record of warnings sent, older than the
//! retention window (the configuration's `policy.retention_days`, or `--keep-days`). The
//! window ends today in the configured zone and holds `retention_days` calendar days, as
//! the policy for queries does.

use std::io::{self, Write};

use chrono::{NaiveTime, Utc};
use clap::Args;
use smtplog_core::timestamp::local_to_fixed;

use crate::database::open_writing;
use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct PruneArgs {
    /// Days to keep, today included (default: the configuration's retention_days, 31).
    #[arg(long, value_name = "N")]
    keep_days: Option<u32>,
}

pub(crate) fn run(cli: &Cli, args: &PruneArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let mut policy = cli.settings.policy.clone();
    if let Some(n) = args.keep_days {
        if n == 0 {
            return Err(Failure::Refused("--keep-days must be at least 1".into()));
        }
        policy.retention_days = n;
    }
    let today = Utc::now().with_timezone(&tz).date_naive();
    let oldest = policy.oldest_day(today);
    let cutoff = local_to_fixed(tz, oldest.and_time(NaiveTime::MIN)).with_timezone(&Utc);
    let mut store = open_writing(&cli.db)?;
    let deleted = store.prune(cutoff)?;
    let warnings = store.prune_warnings(oldest)?;
    writeln!(
        io::stdout().lock(),
        "deleted {deleted} records logged before {oldest} ({}) and {warnings} warnings of days before it",
        tz.name()
    )?;
    Ok(())
}
