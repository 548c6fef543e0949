//! Where log bytes and the year and zone of their timestamps come from: files (plain or
//! gzip) and standard input; the year from `--year` or the file's modification date; the
//! zone from `--tz`, the configuration, `$TZ` or the system.

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use smtplog_core::source;
use smtplog_core::timestamp::YearPolicy;

/// One input: a path, or `-` for standard input.
pub(crate) enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub(crate) fn from_args(files: &[PathBuf]) -> Vec<Input> {
        if files.is_empty() {
            return vec![Input::Stdin];
        }
        files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::File(f.clone())
                }
            })
            .collect()
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// Opens the input for line reading (gzip is detected by content).
    pub(crate) fn open(&self) -> Result<Box<dyn BufRead + Send>> {
        match self {
            Input::Stdin => Ok(source::reader(io::stdin())?),
            Input::File(p) => {
                source::open(p).with_context(|| format!("cannot open {}", p.display()))
            }
        }
    }

    /// The year policy: an explicit year, else the file's modification date, else today.
    pub(crate) fn year_policy(&self, year: Option<i32>) -> YearPolicy {
        if let Some(y) = year {
            return YearPolicy::Starting(y);
        }
        let when: DateTime<Utc> = match self {
            Input::File(p) => modified(p).unwrap_or_else(SystemTime::now).into(),
            Input::Stdin => SystemTime::now().into(),
        };
        YearPolicy::EndingIn {
            year: when.year(),
            month: when.month() as u8,
        }
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).ok()?.modified().ok()
}

/// The time zone: `--tz`, else the configuration's, else `$TZ`, else the system's, else UTC.
pub(crate) fn zone(flag: Option<&str>, configured: Option<&str>) -> Result<Tz> {
    if let Some(name) = flag.or(configured) {
        return name.parse::<Tz>().map_err(|_| {
            anyhow!("unknown time zone {name:?} (expected an IANA name such as Asia/Taipei)")
        });
    }
    if let Ok(name) = std::env::var("TZ")
        && let Ok(tz) = name.trim_start_matches(':').parse::<Tz>()
    {
        return Ok(tz);
    }
    if let Ok(name) = iana_time_zone::get_timezone()
        && let Ok(tz) = name.parse::<Tz>()
    {
        return Ok(tz);
    }
    Ok(chrono_tz::UTC)
}
