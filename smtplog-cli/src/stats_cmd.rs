//! `smtplog stats`: the daily table of one sender over a date range.

use std::io::{self, Write};

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use smtplog_core::query::Query;
use smtplog_core::record::Status;
use smtplog_core::report::json::JsonReport;
use smtplog_core::store::Store;

use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct StatsArgs {
    /// The sender's address (matched case-insensitively).
    #[arg(long)]
    email: String,
    /// The first day, YYYY-MM-DD.
    #[arg(long)]
    begin: NaiveDate,
    /// The last day (inclusive), YYYY-MM-DD.
    #[arg(long)]
    end: NaiveDate,
    /// Print JSON (the query object without "records").
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cli: &Cli, args: &StatsArgs) -> Result<(), Failure> {
    if args.end < args.begin {
        return Err(Failure::Refused(format!(
            "the range ends ({}) before it begins ({})",
            args.end, args.begin
        )));
    }
    let tz = zone(cli.tz.as_deref(), None)?;
    let store =
        Store::open(&cli.db).with_context(|| format!("cannot open {}", cli.db.display()))?;
    let query = Query {
        email: args.email.clone(),
        begin: args.begin,
        end: args.end,
        zone: tz,
    };
    let table = query.daily(&store)?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &JsonReport::new(&query, &table, None))
            .map_err(io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "Date\tSum\tAuth_blk\tAuth_rcv\tBounced\tDeferred\tExpired\tSent"
    )?;
    let row = |label: String, c: &smtplog_core::stats::Counts| {
        let mut s = format!("{label}\t{}", c.sum());
        for st in Status::ALL {
            s.push_str(&format!("\t{}", c.get(st)));
        }
        s
    };
    for d in &table.days {
        writeln!(
            out,
            "{}",
            row(d.date.format("%Y/%m/%d").to_string(), &d.counts)
        )?;
    }
    writeln!(out, "{}", row("Total".to_string(), &table.total))?;
    Ok(())
}
