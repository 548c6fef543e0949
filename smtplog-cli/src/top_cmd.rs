//! `smtplog top`: senders, relay hosts or client IPs ranked by their daily-table totals
//! over a range of days, as an aligned table or JSON.

use std::io::{self, BufWriter, Write};

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use smtplog_core::record::Status;
use smtplog_core::top::{By, Group, Top, check_days};

use crate::database::open_reading;
use crate::inputs::zone;
use crate::{Cli, Failure};

/// `--by`: the column the rows are ranked by (named as the statuses are in JSON).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ByArg {
    Sum,
    #[value(name = "auth_blk", alias = "auth-blk")]
    AuthBlk,
    #[value(name = "auth_rcv", alias = "auth-rcv")]
    AuthRcv,
    Bounced,
    Deferred,
    Expired,
    Sent,
}

impl From<ByArg> for By {
    fn from(b: ByArg) -> By {
        match b {
            ByArg::Sum => By::Sum,
            ByArg::AuthBlk => By::Status(Status::AuthBlk),
            ByArg::AuthRcv => By::Status(Status::AuthRcv),
            ByArg::Bounced => By::Status(Status::Bounced),
            ByArg::Deferred => By::Status(Status::Deferred),
            ByArg::Expired => By::Status(Status::Expired),
            ByArg::Sent => By::Status(Status::Sent),
        }
    }
}

/// `--group`: what the rows are.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum GroupArg {
    /// Envelope sender, or SASL user that is another address (as `stats --email` matches).
    Sender,
    /// The relay host that logged the record.
    Host,
    /// The SMTP client's IP address.
    ClientIp,
}

impl From<GroupArg> for Group {
    fn from(g: GroupArg) -> Group {
        match g {
            GroupArg::Sender => Group::Sender,
            GroupArg::Host => Group::Host,
            GroupArg::ClientIp => Group::ClientIp,
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct TopArgs {
    /// The first day, YYYY-MM-DD.
    #[arg(long)]
    begin: NaiveDate,
    /// The last day (inclusive), YYYY-MM-DD.
    #[arg(long)]
    end: NaiveDate,
    /// The column to rank by.
    #[arg(long, value_enum, default_value = "sum")]
    by: ByArg,
    /// How many rows to print.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// What the rows are.
    #[arg(long, value_enum, default_value = "sender")]
    group: GroupArg,
    /// Print JSON (begin, end, group, by, groups, rows, unattributed, total).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cli: &Cli, args: &TopArgs) -> Result<(), Failure> {
    check_days(args.begin, args.end).map_err(|why| Failure::Refused(why.to_string()))?;
    let tz = zone(cli.tz.as_deref(), None)?;
    let store = open_reading(&cli.db)?;
    let top = Top::build(
        &store,
        args.group.into(),
        args.by.into(),
        args.limit,
        args.begin,
        args.end,
        tz,
    )?;
    let mut out = BufWriter::new(io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &top.to_json()).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        top.write_text(&mut out)?;
    }
    out.flush()?;
    Ok(())
}
