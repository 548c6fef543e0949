//! The zone of the logs' local timestamps and of calendar days: `--tz`, the
//! configuration, `$TZ` or the system's. (Inputs themselves are the core's
//! `ingest::Input`.)

use anyhow::{Result, anyhow};
use chrono_tz::Tz;

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
