//! A deterministic generator of realistic Postfix relay logs, with the answer key.
//!
//! Benches need large logs, and tests of the correlator need logs whose meaning is known
//! exactly. [`generate`] simulates a few campus relay hosts for some days: senders'
//! sessions (some with SMTP AUTH), multi-recipient mail, deferrals retried for days,
//! bounces and expiries with their notices, content-filter and alias hops, queue-ID
//! reuse, rejects, password guessing, and the noise of other daemons and programs. It
//! streams the lines in time order and returns the [`Truth`]: every record a correct
//! correlator derives, per sender and UTC day.
//!
//! The same [`GenConfig`] always gives the same bytes: all randomness comes from one
//! seeded generator and nothing reads the clock or iterates a hash map in output order.
//!
//! ```
//! use smtplog_benches::generator::{generate, GenConfig, TimeFormat};
//!
//! let cfg = GenConfig { lines: 2_000, format: TimeFormat::Mixed, ..GenConfig::default() };
//! let mut log = Vec::new();
//! let truth = generate(&cfg, &mut log).unwrap();
//! assert_eq!(truth.lines as usize, log.iter().filter(|&&b| b == b'\n').count());
//! assert_eq!(truth.sum_of_days(), truth.totals);
//! ```

pub mod accounts;
mod clock;
mod mail;
mod qid;
mod rng;
mod schedule;
mod sessions;
mod text;
mod truth;
mod world;

#[cfg(test)]
mod tests;

use std::io::{self, BufWriter, Write};

use chrono::{Datelike, NaiveDate};

use clock::{DAY, Family, HOUR, Stamper, days_from_civil};
use qid::QidPool;
use rng::Rng;
use schedule::{Effect, Schedule, What};
use truth::Tally;
use world::World;

pub use truth::{Counts, Situations, Status, Truth};

/// Which timestamp format the relays write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// Classic syslog, `Mar  1 00:00:01` (day space-padded, no year).
    Syslog,
    /// RFC 3339 with microseconds, `2026-03-01T00:00:01.123456+00:00`.
    Rfc3339,
    /// Per host: `relay1`, `relay3`, ... syslog; `relay2`, `relay4`, ... RFC 3339.
    #[default]
    Mixed,
}

/// What to generate. Timestamps are UTC wall-clock times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Seed of all randomness: the same config gives the same bytes.
    pub seed: u64,
    /// Approximate number of lines: new sessions stop once this many lines are written
    /// (or at the end of the days); mail still in the queue is then finished.
    pub lines: usize,
    /// Number of our senders (campus addresses).
    pub senders: usize,
    /// Number of relay hosts (`relay1`, `relay2`, ...).
    pub hosts: usize,
    /// The first day (UTC).
    pub start: NaiveDate,
    /// Days over which new mail arrives.
    pub days: u32,
    /// Timestamp format.
    pub format: TimeFormat,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 2024,
            lines: 100_000,
            senders: 500,
            hosts: 3,
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            days: 7,
            format: TimeFormat::Mixed,
        }
    }
}

/// Average number of lines one arrival produces (measured), to spread arrivals over the
/// days so that about `lines` lines are written.
const LINES_PER_ARRIVAL: f64 = 7.0;

/// Relative arrival rate per hour of the day (campus time is UTC+8).
const DIURNAL: [f64; 24] = [
    0.15, 0.1, 0.1, 0.1, 0.1, 0.15, 0.25, 0.5, 0.8, 1.0, 1.0, 1.0, 0.8, 0.9, 1.0, 1.0, 1.0, 0.9,
    0.7, 0.6, 0.6, 0.6, 0.5, 0.3,
];

/// Writes a log for `cfg` to `out` and returns what it means.
///
/// Lines are written in time order, each ending in `\n`. Memory use is bounded by the
/// mail in flight, not by the size of the log.
///
/// # Errors
///
/// Errors of `out`, and `InvalidInput` for a config with zero senders, hosts, days or lines.
pub fn generate<W: Write>(cfg: &GenConfig, out: W) -> io::Result<Truth> {
    if cfg.senders == 0 || cfg.hosts == 0 || cfg.days == 0 || cfg.lines == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "senders, hosts, days and lines must be at least 1",
        ));
    }
    let start_day = days_from_civil(
        i64::from(cfg.start.year()),
        cfg.start.month(),
        cfg.start.day(),
    );
    let t_start = start_day * DAY;
    let t_end = t_start + i64::from(cfg.days) * DAY;
    let mut g = Gen::new(cfg);
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 16, out),
        stamper: Stamper::new(),
        buf: Vec::with_capacity(512),
        lines: 0,
    };

    let mean_weight = DIURNAL.iter().sum::<f64>() / 24.0;
    let arrivals = (cfg.lines as f64 / LINES_PER_ARRIVAL).max(1.0);
    let mean_gap = (t_end - t_start) as f64 * mean_weight / arrivals;
    let mut t = t_start;
    loop {
        t += (g.rng.exp(mean_gap) as i64).max(1);
        if t >= t_end || w.lines >= cfg.lines as u64 {
            break;
        }
        let hour = (t.rem_euclid(DAY) / HOUR + 8) % 24;
        if !g.rng.chance(DIURNAL[hour as usize]) {
            continue;
        }
        w.write_until(&mut g, t)?;
        g.arrival(t);
    }
    w.write_until(&mut g, i64::MAX)?;
    w.out.flush()?;
    let lines = w.lines;
    Ok(g.tally.into_truth(cfg.seed, start_day, cfg.days, lines))
}

/// The simulation state the scenarios work on.
#[derive(Debug)]
pub(crate) struct Gen {
    pub(crate) rng: Rng,
    pub(crate) world: World,
    pub(crate) pools: Vec<QidPool>,
    pub(crate) sched: Schedule,
    pub(crate) tally: Tally,
}

impl Gen {
    fn new(cfg: &GenConfig) -> Self {
        let mut rng = Rng::new(cfg.seed);
        let mut tally = Tally::default();
        let mut pools = Vec::new();
        let format = cfg.format;
        let world = World::new(
            &mut rng,
            &mut tally.names,
            &mut pools,
            cfg.hosts,
            cfg.senders,
            |i| match format {
                TimeFormat::Syslog => Family::Syslog,
                TimeFormat::Rfc3339 => Family::Rfc3339,
                TimeFormat::Mixed if i % 2 == 0 => Family::Syslog,
                TimeFormat::Mixed => Family::Rfc3339,
            },
        );
        Gen {
            rng,
            world,
            pools,
            sched: Schedule::default(),
            tally,
        }
    }

    /// What writing a line at `t` means.
    fn apply(&mut self, effect: Effect, t: i64) {
        if let Some((who, status, n)) = effect.record {
            self.tally.record(who, status, u64::from(n), t);
        }
        if effect.message {
            self.tally.messages += 1;
        }
        if let Some((pool, qid, reusable)) = effect.free {
            self.pools[pool].release(qid, reusable);
        }
    }
}

/// Formats and writes the lines that come due.
struct Writer<W: Write> {
    out: BufWriter<W>,
    stamper: Stamper,
    buf: Vec<u8>,
    lines: u64,
}

impl<W: Write> Writer<W> {
    /// Writes (and runs the retries of) everything due at or before `until`.
    fn write_until(&mut self, g: &mut Gen, until: i64) -> io::Result<()> {
        while g.sched.next_time().is_some_and(|t| t <= until) {
            let Some(item) = g.sched.pop() else { break };
            match item.what {
                What::Retry(msg) => g.retry(msg, item.t),
                What::Line(line) => {
                    let host = &g.world.hosts[line.host];
                    self.buf.clear();
                    self.stamper.write(&mut self.buf, item.t, host.family);
                    self.buf.push(b' ');
                    self.buf.extend_from_slice(host.name.as_bytes());
                    self.buf.push(b' ');
                    self.buf.extend_from_slice(line.body.as_bytes());
                    self.buf.push(b'\n');
                    self.out.write_all(&self.buf)?;
                    self.lines += 1;
                    let s = &mut g.tally.situations;
                    match host.family {
                        Family::Syslog => s.syslog_lines += 1,
                        Family::Rfc3339 => s.rfc3339_lines += 1,
                    }
                    if !line.body.starts_with("postfix") {
                        s.other_program_lines += 1;
                    }
                    g.apply(line.effect, item.t);
                }
            }
        }
        Ok(())
    }
}
