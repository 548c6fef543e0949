//! `smtplog audit`: the query page's submissions, oldest first, as tab-separated lines or
//! JSON. The texts came from the network: on a terminal line every control character is
//! replaced (U+FFFD; a tab by a space), so a hostile address cannot drive the terminal or
//! shift the columns; JSON escapes them.

use std::io::{self, BufWriter, Write};

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use clap::Args;
use serde::Serialize;
use smtplog_core::report::text::clean;
use smtplog_core::store::Submission;
use smtplog_core::timestamp::local_to_fixed;

use crate::database::open_reading;
use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct AuditArgs {
    /// Only the submissions from the start of this day (YYYY-MM-DD, in the zone) on.
    #[arg(long, value_name = "D")]
    since: Option<NaiveDate>,
    /// Print a JSON array of objects (time, client_ip, email, begin, end, outcome, status,
    /// reason, detail).
    #[arg(long)]
    json: bool,
}

/// One submission as `--json` prints it.
#[derive(Serialize)]
struct JsonSubmission<'a> {
    time: String,
    client_ip: &'a str,
    email: &'a str,
    begin: Option<String>,
    end: Option<String>,
    outcome: &'static str,
    status: u16,
    reason: &'a str,
    detail: Option<&'a str>,
}

pub(crate) fn run(cli: &Cli, args: &AuditArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let since = args.since.map(|day| start_of(day, tz));
    let store = open_reading(&cli.db)?;
    let submissions = store.submissions(since)?;
    let mut out = BufWriter::new(io::stdout().lock());
    if args.json {
        let rows: Vec<JsonSubmission<'_>> = submissions
            .iter()
            .map(|s| JsonSubmission {
                time: s
                    .time
                    .with_timezone(&tz)
                    .to_rfc3339_opts(SecondsFormat::Secs, false),
                client_ip: &s.client_ip,
                email: &s.email,
                begin: s.begin.map(|d| d.to_string()),
                end: s.end.map(|d| d.to_string()),
                outcome: s.outcome.as_str(),
                status: s.status,
                reason: &s.reason,
                detail: s.detail.as_deref(),
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        for s in &submissions {
            write_line(&mut out, s, tz)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The first instant of `day` in `tz`.
fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_to_fixed(tz, day.and_time(NaiveTime::MIN)).with_timezone(&Utc)
}

/// `time  client  address  begin..end  outcome  status  reason[: detail]`, tab-separated,
/// every stored text cleaned.
fn write_line(out: &mut impl Write, s: &Submission, tz: Tz) -> io::Result<()> {
    let day = |d: Option<NaiveDate>| d.map_or_else(|| "?".to_string(), |d| d.to_string());
    let reason = match &s.detail {
        Some(detail) => format!("{}: {}", s.reason, detail),
        None => s.reason.clone(),
    };
    writeln!(
        out,
        "{}\t{}\t{}\t{}..{}\t{}\t{}\t{}",
        s.time.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S"),
        clean(&s.client_ip),
        clean(&s.email),
        day(s.begin),
        day(s.end),
        s.outcome.as_str(),
        s.status,
        clean(&reason),
    )
}
