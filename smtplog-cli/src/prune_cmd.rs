//! `smtplog prune`: delete what is older than the retention window (the configuration's
//! `policy.retention_days`, or `--keep-days`): records, the record of warnings sent, the
//! query page's submissions (its audit log) and the reports it mailed; and its expired
//! captchas. The window ends today in the configured zone and holds `retention_days`
//! calendar days, as the policy for queries does.

use std::io::{self, Write};

use chrono::Utc;
use clap::Args;

use crate::database::open_writing;
use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct PruneArgs {
    /// Days to keep, today included, at least 1 (default: the configuration's
    /// retention_days, 31).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    keep_days: Option<u32>,
}

pub(crate) fn run(cli: &Cli, args: &PruneArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let mut policy = cli.settings.policy.clone();
    if let Some(n) = args.keep_days {
        policy.retention_days = n;
    }
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let (oldest, cutoff) = policy.retention_start(today, tz);
    let mut store = open_writing(&cli.db)?;
    let deleted = store.prune(cutoff)?;
    let warnings = store.prune_warnings(oldest)?;
    let (submissions, reports) = store.prune_web(cutoff)?;
    store.prune_captchas(now)?;
    writeln!(
        io::stdout().lock(),
        "deleted {deleted} records logged before {oldest} ({}), {warnings} warnings of days \
         before it, {submissions} query page submissions and {reports} mailed reports from \
         before it",
        tz.name()
    )?;
    Ok(())
}
