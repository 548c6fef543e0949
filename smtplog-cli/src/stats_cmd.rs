//! `smtplog stats`: the daily table of one sender over a date range.

use std::io::{self, Write};

use clap::Args;
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
    table.write_tsv(&mut out)?;
    Ok(())
}
