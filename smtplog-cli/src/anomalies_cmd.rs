//! `smtplog anomalies --day D [--json] [--lang L]`: the senders whose day D looks like a
//! stolen account, each against their own previous 30 days (the core's
//! `anomaly::on_day`, with the configuration's `[anomalies]` thresholds). Text: one line
//! per sender with its score and reasons; `--json`: the contract's array. The reasons'
//! sentences are in `--lang`, else the configuration's `mail.lang`, else zh_TW.
//!
//! Exit codes: 0 (also when nobody is flagged: an empty list, `[]` in JSON), 2 on an
//! error.

use std::io::{self, Write};

use chrono::NaiveDate;
use clap::Args;
use smtplog_core::anomaly;
use smtplog_core::report::Lang;

use crate::database::open_reading;
use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct AnomaliesArgs {
    /// The day to check, YYYY-MM-DD (today: the day so far).
    #[arg(long)]
    day: NaiveDate,
    /// Print the JSON array of flagged senders.
    #[arg(long)]
    json: bool,
    /// The language of the reasons: zh_TW or en. Default: the configuration's mail.lang,
    /// else zh_TW.
    #[arg(long, value_parser = parse_lang)]
    lang: Option<Lang>,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse::<Lang>().map_err(|e| e.to_string())
}

pub(crate) fn run(cli: &Cli, args: &AnomaliesArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let lang = args.lang.unwrap_or_else(|| cli.settings.warning_lang());
    let store = open_reading(&cli.db)?;
    let flags = anomaly::on_day(&store, args.day, tz, &cli.settings.policy.anomalies)?;
    let mut out = io::stdout().lock();
    if args.json {
        let all: Vec<serde_json::Value> = flags.iter().map(|f| f.to_json(lang)).collect();
        serde_json::to_writer_pretty(&mut out, &all).map_err(io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    for f in &flags {
        writeln!(out, "{}", anomaly::line(f, lang))?;
    }
    Ok(())
}
