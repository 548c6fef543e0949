//! `smtplog-query-latency`: how long one sender's report and one message's trace take on
//! an existing store, measured inside the process (no start-up, no printing to a terminal).
//!
//! ```text
//! smtplog-query-latency --db FILE --begin YYYY-MM-DD --end YYYY-MM-DD
//!                       [--senders FILE] [--ids FILE] [--tz ZONE]
//!
//!   --db FILE       the SQLite store, opened read-only
//!   --begin, --end  the date range of every sender's report (both days included)
//!   --senders FILE  one address a line: each gets the report `smtplog query --format
//!                   json` prints (report::build, then the JSON renderer, into memory)
//!   --ids FILE      one queue ID or message-id a line: each gets `smtplog trace`'s
//!                   search and text rendering (report::trace)
//!   --tz ZONE       the zone of the calendar days (default UTC)
//! ```
//!
//! Each address and ID is asked once, in the file's order, on one connection. Prints one
//! JSON object: for `query` and `trace`, how many were asked (`n`), the latency's `p50_ms`,
//! `p99_ms` (nearest rank) and `max_ms`, and the records returned (`records`, summed).
//!
//! Exit status: 0 ok, 2 bad arguments or an error.

// A measurement program talks to whoever runs it.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use serde_json::json;
use smtplog_core::chrono_tz::Tz;
use smtplog_core::report::{self, Lang, trace};
use smtplog_core::{Query, Store};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: smtplog-query-latency --db FILE --begin YYYY-MM-DD --end YYYY-MM-DD [--senders FILE] [--ids FILE] [--tz ZONE]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smtplog-query-latency: {e}");
            ExitCode::from(2)
        }
    }
}

struct Args {
    db: PathBuf,
    begin: NaiveDate,
    end: NaiveDate,
    senders: Option<PathBuf>,
    ids: Option<PathBuf>,
    zone: Tz,
}

fn parse_args() -> Result<Args, Box<dyn std::error::Error>> {
    let (mut db, mut begin, mut end, mut senders, mut ids) = (None, None, None, None, None);
    let mut zone = Tz::UTC;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--db" => db = Some(PathBuf::from(value()?)),
            "--begin" => begin = Some(value()?.parse::<NaiveDate>()?),
            "--end" => end = Some(value()?.parse::<NaiveDate>()?),
            "--senders" => senders = Some(PathBuf::from(value()?)),
            "--ids" => ids = Some(PathBuf::from(value()?)),
            "--tz" => zone = value()?.parse::<Tz>().map_err(|e| format!("--tz: {e}"))?,
            _ => return Err(format!("unknown argument {a}\n{USAGE}").into()),
        }
    }
    let missing = |name: &str| format!("{name} is required\n{USAGE}");
    Ok(Args {
        db: db.ok_or_else(|| missing("--db"))?,
        begin: begin.ok_or_else(|| missing("--begin"))?,
        end: end.ok_or_else(|| missing("--end"))?,
        senders,
        ids,
        zone,
    })
}

/// The non-empty lines of a file.
fn lines(path: &PathBuf) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Latencies in seconds and records returned, summarised as the JSON object printed.
fn summary(mut secs: Vec<f64>, records: usize) -> serde_json::Value {
    secs.sort_by(f64::total_cmp);
    let rank = |q: f64| -> f64 {
        if secs.is_empty() {
            return 0.0;
        }
        // Nearest rank: the smallest value with at least q of the values at or below it.
        let i = ((q * secs.len() as f64).ceil() as usize).clamp(1, secs.len()) - 1;
        secs[i] * 1000.0
    };
    let round = |ms: f64| (ms * 1000.0).round() / 1000.0;
    json!({
        "n": secs.len(),
        "p50_ms": round(rank(0.50)),
        "p99_ms": round(rank(0.99)),
        "max_ms": round(rank(1.0)),
        "records": records,
    })
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let store = Store::open_read_only(&args.db)?;
    let mut out = serde_json::Map::new();
    out.insert("begin".into(), json!(args.begin.to_string()));
    out.insert("end".into(), json!(args.end.to_string()));
    if let Some(path) = &args.senders {
        let generated = Utc::now();
        let mut buf = Vec::with_capacity(1 << 20);
        let (mut secs, mut records) = (Vec::new(), 0);
        for email in lines(path)? {
            let began = Instant::now();
            let query = Query::new(&email, args.begin, args.end, args.zone)?;
            let r = report::build(&store, &query, [127, 0, 0, 1].into(), Lang::En, generated)?;
            buf.clear();
            report::json::render(&r, &mut buf)?;
            secs.push(began.elapsed().as_secs_f64());
            records += r.rows.len();
        }
        out.insert("query".into(), summary(secs, records));
    }
    if let Some(path) = &args.ids {
        let mut buf = Vec::with_capacity(1 << 16);
        let (mut secs, mut records) = (Vec::new(), 0);
        for id in lines(path)? {
            let began = Instant::now();
            let found = trace::trace(&store, &id)?;
            buf.clear();
            trace::render_text(&found, args.zone, &mut buf)?;
            secs.push(began.elapsed().as_secs_f64());
            records += found
                .messages
                .iter()
                .map(|m| m.records.len())
                .sum::<usize>();
        }
        out.insert("trace".into(), summary(secs, records));
    }
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn percentiles_are_nearest_ranks_in_milliseconds() {
        // 1..=200 ms, shuffled: p50 is the 100th value, p99 the 198th.
        let secs: Vec<f64> = (1..=200).rev().map(|ms| f64::from(ms) / 1000.0).collect();
        let s = summary(secs, 7);
        assert_eq!(s["n"], 200);
        assert_eq!(s["p50_ms"], 100.0);
        assert_eq!(s["p99_ms"], 198.0);
        assert_eq!(s["max_ms"], 200.0);
        assert_eq!(s["records"], 7);
    }

    #[test]
    fn one_value_is_every_percentile_and_none_is_zero() {
        let s = summary(vec![0.0025], 1);
        assert_eq!(
            (s["p50_ms"].as_f64(), s["max_ms"].as_f64()),
            (Some(2.5), Some(2.5))
        );
        let s = summary(Vec::new(), 0);
        assert_eq!(
            (s["n"].as_u64(), s["p99_ms"].as_f64()),
            (Some(0), Some(0.0))
        );
    }
}
