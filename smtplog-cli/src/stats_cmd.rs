//! `smtplog stats`: the daily table of one sender over a date range.

use std::io::{self, Write};

use clap::Args;
use smtplog_core::record::Status;
use smtplog_core::report::json::JsonReport;

use crate::database::open_reading;
use crate::inputs::zone;
use crate::sender_days::SenderDays;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    days: SenderDays,
    /// Print JSON (the query object without "records").
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cli: &Cli, args: &StatsArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let query = args.days.query(tz)?;
    let store = open_reading(&cli.db)?;
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
