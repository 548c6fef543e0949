//! `smtplog parse`: one JSON object per Postfix line, or with `--summary` one object
//! counting every line by outcome and every event by kind.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use smtplog_core::ingest::Input;
use smtplog_core::parse::{MAX_LINE, ParseStats, Parsed, decode, parse_line};
use smtplog_core::source;
use smtplog_core::timestamp::YearResolver;

use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct ParseArgs {
    /// The year of the first yearless timestamp (default: from each file's modification date).
    #[arg(long)]
    year: Option<i32>,
    /// Print one summary object instead of one object per line.
    #[arg(long)]
    summary: bool,
    /// How many sample lines of each bad outcome the summary keeps.
    #[arg(long, default_value_t = smtplog_core::parse::SAMPLES_KEPT)]
    samples: usize,
    /// Log files (plain or gzip); `-` or none for standard input.
    files: Vec<PathBuf>,
}

pub(crate) fn run(cli: &Cli, args: &ParseArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut total = ParseStats::with_samples(args.samples);
    let now = Utc::now();
    let stdin_only = [PathBuf::from("-")];
    let files = if args.files.is_empty() {
        &stdin_only[..]
    } else {
        &args.files[..]
    };
    for path in files {
        let input = if path.as_os_str() == "-" {
            Input::from_reader("-", io::stdin(), now)?
        } else {
            Input::open(path, now).with_context(|| format!("cannot open {}", path.display()))?
        };
        let mut years = YearResolver::new(tz, input.year_policy(args.year));
        let (name, mut reader) = (input.name, input.reader);
        let mut stats = ParseStats::with_samples(args.samples);
        let mut write_err: Option<io::Error> = None;
        source::for_each_line::<_, io::Error>(&mut reader, MAX_LINE, |line| {
            if write_err.is_some() {
                return Ok(());
            }
            let text = decode(line.bytes);
            let parsed = if line.too_long {
                Parsed::Malformed(smtplog_core::parse::Malformed::TooLong)
            } else {
                parse_line(&text)
            };
            stats.record(&text, &parsed);
            if !args.summary
                && let Parsed::Entry(entry) = &parsed
            {
                let obj = entry.to_json(years.resolve(&entry.header.time));
                if let Err(e) = serde_json::to_writer(&mut out, &obj)
                    .map_err(io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                {
                    write_err = Some(e);
                }
            }
            Ok(())
        })
        .with_context(|| format!("reading {name}"))?;
        if let Some(e) = write_err {
            return Err(anyhow::Error::from(e).into());
        }
        total += &stats;
    }
    if args.summary {
        serde_json::to_writer_pretty(&mut out, &total).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
