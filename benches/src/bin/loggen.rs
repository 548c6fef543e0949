//! `smtplog-loggen`: writes a deterministic, realistic Postfix relay log to stdout.
//!
//! ```text
//! smtplog-loggen [--lines N] [--seed S] [--senders N] [--hosts N] [--days N]
//!                [--start YYYY-MM-DD] [--format syslog|rfc3339|mixed] [--gzip]
//!                [--truth FILE]
//!
//!   --lines N        approximate number of lines (default 100000)
//!   --seed S         seed; the same options always give the same bytes (default 2024)
//!   --senders N      number of campus senders (default 500)
//!   --hosts N        number of relay hosts relay1..relayN (default 3)
//!   --days N         days over which mail arrives (default 7)
//!   --start DATE     first day, UTC (default 2026-03-01)
//!   --format F       syslog, rfc3339, or mixed per host (default mixed)
//!   --gzip           gzip the log
//!   --truth FILE     also write what the log means (records per sender and day) as JSON
//! ```
//!
//! Timestamps are UTC wall-clock times. Exit status: 0 ok, 2 bad arguments or I/O error;
//! a closed stdout (`| head`) counts as success.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use chrono::NaiveDate;
use flate2::Compression;
use flate2::write::GzEncoder;
use smtplog_benches::generator::{GenConfig, TimeFormat, generate};

const USAGE: &str = "usage: smtplog-loggen [--lines N] [--seed S] [--senders N] [--hosts N] [--days N] [--start YYYY-MM-DD] [--format syslog|rfc3339|mixed] [--gzip] [--truth FILE]";

struct Args {
    cfg: GenConfig,
    gzip: bool,
    truth: Option<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        cfg: GenConfig::default(),
        gzip: false,
        truth: None,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match flag.as_str() {
            "--lines" => args.cfg.lines = number("--lines", value("--lines")?)? as usize,
            "--seed" => args.cfg.seed = number("--seed", value("--seed")?)?,
            "--senders" => args.cfg.senders = number("--senders", value("--senders")?)? as usize,
            "--hosts" => args.cfg.hosts = number("--hosts", value("--hosts")?)? as usize,
            "--days" => {
                let v = number("--days", value("--days")?)?;
                args.cfg.days = u32::try_from(v).map_err(|_| "--days: too large".to_string())?;
            }
            "--start" => {
                let v = value("--start")?;
                args.cfg.start = NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|_| format!("--start: not a date YYYY-MM-DD: {v}"))?;
            }
            "--format" => {
                args.cfg.format = match value("--format")?.as_str() {
                    "syslog" => TimeFormat::Syslog,
                    "rfc3339" => TimeFormat::Rfc3339,
                    "mixed" => TimeFormat::Mixed,
                    other => return Err(format!("--format: unknown format: {other}")),
                }
            }
            "--gzip" => args.gzip = true,
            "--truth" => args.truth = Some(value("--truth")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(args)
}

fn run(args: &Args) -> io::Result<()> {
    let stdout = io::stdout().lock();
    let truth = if args.gzip {
        let mut gz = GzEncoder::new(stdout, Compression::default());
        let truth = generate(&args.cfg, &mut gz)?;
        gz.finish()?.flush()?;
        truth
    } else {
        generate(&args.cfg, stdout)?
    };
    if let Some(path) = &args.truth {
        let mut f = BufWriter::new(File::create(path)?);
        serde_json::to_writer_pretty(&mut f, &truth)?;
        f.write_all(b"\n")?;
        f.flush()?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut stderr = io::stderr().lock();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if msg.is_empty() {
                let _ = writeln!(io::stdout().lock(), "{USAGE}");
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(stderr, "smtplog-loggen: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "smtplog-loggen: {e}");
            ExitCode::from(2)
        }
    }
}
