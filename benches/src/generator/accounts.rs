//! Labelled accounts: a relay's days in which every account follows a known profile, and
//! some are stolen, attacked or merely surprising, so that a detector of stolen accounts
//! can be scored against the truth (`smtplog-anomaly-eval`, `docs/anomalies.md`).
//!
//! One relay host, one submission service, RFC 3339 times in Asia/Taipei (+08:00). Each
//! message is one SMTP AUTH session: smtpd's `client=... sasl_username=`, cleanup's
//! `message-id=`, qmgr's `from=`, one `smtp` delivery line per recipient (sent, or bounced
//! with 5.1.1) and `removed`; password guessing is smtpd's `SASL LOGIN authentication
//! failed: ..., sasl_username=`. Every line of a day falls within that local day and
//! lines are written in time order, one day at a time.
//!
//! Normal accounts have their own volume (a median day of 2 to 40 recipients), weekdays
//! and rarer weekends, one to three client IPs of their own (or the webmail host, which
//! every webmail user shares), the campus domain and a few external domains of their
//! own, and office or evening hours. Scenario accounts are normal accounts until their
//! event, which falls in the second half of the days (each sender-day there has 30 days
//! of history):
//!
//! | kind | what happens |
//! |---|---|
//! | `burst` (stolen) | one day: 300 to 1,500 recipients at random domains, from a foreign IP, at any hour, a quarter bounced |
//! | `slow` (stolen) | five to ten days: 20 to 100 recipients a day at random domains, from a foreign IP, besides the owner's own mail |
//! | `webmail_spam` (stolen) | one to three days: 60 to 400 recipients a day at random domains through the webmail host |
//! | `guessing` (attack) | one or two days: 20 to 200 failed logins naming the account, from 5 to 40 IPs |
//! | `class_mailing` (benign) | one or two days: 300 recipients at the campus domain, from the owner's own IP |
//! | `travel` (benign) | two to five days: the owner's usual mail from a hotel's IP |
//! | `busy_day` (benign) | one day: five to eight times the owner's usual day, to the owner's usual domains |
//! | `new_account` (benign) | starts in the second half, with normal mail from its first day |
//!
//! The same seed always gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::rng::Rng;

/// The kinds of account.
pub const KINDS: [&str; 9] = [
    "normal",
    "burst",
    "slow",
    "webmail_spam",
    "guessing",
    "class_mailing",
    "travel",
    "busy_day",
    "new_account",
];

/// True for the kinds whose event days should be warned about.
pub fn is_stolen(kind: &str) -> bool {
    matches!(kind, "burst" | "slow" | "webmail_spam" | "guessing")
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountsConfig {
    /// Seed of all randomness.
    pub seed: u64,
    /// The first local day.
    pub start: NaiveDate,
    /// How many days (events fall in the second half).
    pub days: u32,
    /// Normal accounts.
    pub normal: usize,
    /// Accounts of each other kind.
    pub per_kind: usize,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            seed: 18,
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            days: 60,
            normal: 300,
            per_kind: 10,
        }
    }
}

/// The truth of a generated log: every account's kind and its event days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    /// Account address → kind.
    pub kinds: BTreeMap<String, &'static str>,
    /// (address, day) → kind, for the days of an event (stolen, attack or benign
    /// surprise); every other day of an account is a normal day.
    pub events: BTreeMap<(String, NaiveDate), &'static str>,
    /// The first day scored (the first of the second half).
    pub first_scored: NaiveDate,
    /// The last day.
    pub last: NaiveDate,
    /// Lines written.
    pub lines: u64,
}

const CAMPUS: &str = "example.edu.tw";
const WEBMAIL_IP: &str = "140.114.1.10";

#[derive(Clone, Debug)]
struct Profile {
    email: String,
    median: u64,
    weekend: f64,
    ips: Vec<String>,
    domains: Vec<String>,
    /// Usual hours (local).
    hours: (u64, u64),
    kind: &'static str,
    /// The first active day (index).
    born: u32,
    /// Event days (index) of the account's kind.
    events: Vec<u32>,
    /// Per-account values of the event: the foreign IP, the day's count.
    foreign_ip: String,
}

fn campus_ip(rng: &mut Rng) -> String {
    format!("140.114.{}.{}", rng.range(20, 250), rng.range(1, 254))
}

fn foreign_ip(rng: &mut Rng) -> String {
    let nets = [
        "203.0.113",
        "198.51.100",
        "192.0.2",
        "185.220.101",
        "45.133.1",
    ];
    format!("{}.{}", rng.pick(&nets), rng.range(1, 254))
}

fn random_domain(rng: &mut Rng) -> String {
    let mut s = String::new();
    rng.push_chars(&mut s, b"abcdefghijklmnopqrstuvwxyz", 7);
    let tld = *rng.pick(&["com", "net", "ru", "cn", "info", "biz"]);
    format!("{s}.{tld}")
}

fn profile(rng: &mut Rng, i: usize, kind: &'static str, days: u32) -> Profile {
    let email = format!("u{i:04}@{CAMPUS}");
    let median = *rng.pick(&[2u64, 3, 5, 8, 10, 15, 20, 30, 40]);
    let webmail = rng.chance(0.25);
    let mut ips = Vec::new();
    if webmail {
        ips.push(WEBMAIL_IP.to_string());
    }
    if !webmail || rng.chance(0.3) {
        for _ in 0..rng.range(1, 3) {
            ips.push(campus_ip(rng));
        }
    }
    let mut domains = vec![CAMPUS.to_string()];
    for _ in 0..rng.range(2, 8) {
        domains.push(format!("partner{}.example.com", rng.range(1, 60)));
    }
    let hours = if rng.chance(0.2) { (8, 23) } else { (8, 18) };
    let half = days / 2;
    let first = half + rng.below(u64::from(days - half - 10)) as u32;
    let (born, events) = match kind {
        "burst" | "busy_day" => (0, vec![first]),
        "slow" => (0, (first..first + rng.range(5, 10) as u32).collect()),
        "webmail_spam" | "class_mailing" | "guessing" => {
            let n = if kind == "guessing" || kind == "class_mailing" {
                rng.range(1, 2)
            } else {
                rng.range(1, 3)
            };
            (0, (first..first + n as u32).collect())
        }
        "travel" => (0, (first..first + rng.range(2, 5) as u32).collect()),
        "new_account" => (first, vec![first]),
        _ => (0, Vec::new()),
    };
    if kind == "webmail_spam" && !ips.iter().any(|ip| ip == WEBMAIL_IP) {
        ips.insert(0, WEBMAIL_IP.to_string());
    }
    Profile {
        email,
        median,
        weekend: if rng.chance(0.3) { 0.4 } else { 0.1 },
        ips,
        domains,
        hours,
        kind,
        born,
        events,
        foreign_ip: foreign_ip(rng),
    }
}

/// One message to send: when, from where, to whom, which recipients bounce.
struct Msg {
    t: u64,
    email: String,
    ip: String,
    rcpts: Vec<(String, bool)>,
}

/// A day's lines, sorted by time before writing.
struct Day {
    lines: Vec<(u64, u64, String)>,
    seq: u64,
}

impl Day {
    fn push(&mut self, t: u64, body: String) {
        self.lines.push((t, self.seq, body));
        self.seq += 1;
    }
}

/// A count around `median` (between half and one and a half times it).
fn around(rng: &mut Rng, median: u64) -> u64 {
    let lo = median / 2;
    rng.range(lo, median + median / 2).max(1)
}

/// Writes the log for `cfg` to `out`; returns the labels.
///
/// # Errors
///
/// Errors of `out`.
pub fn generate<W: Write>(cfg: &AccountsConfig, out: W) -> io::Result<Labels> {
    let mut rng = Rng::new(cfg.seed);
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut profiles = Vec::new();
    let mut i = 0;
    for _ in 0..cfg.normal {
        profiles.push(profile(&mut rng, i, "normal", cfg.days));
        i += 1;
    }
    for kind in &KINDS[1..] {
        for _ in 0..cfg.per_kind {
            profiles.push(profile(&mut rng, i, kind, cfg.days));
            i += 1;
        }
    }
    let mut labels = Labels {
        first_scored: cfg
            .start
            .checked_add_days(Days::new(u64::from(cfg.days / 2)))
            .unwrap_or(cfg.start),
        last: cfg
            .start
            .checked_add_days(Days::new(u64::from(cfg.days.max(1) - 1)))
            .unwrap_or(cfg.start),
        ..Labels::default()
    };
    for p in &profiles {
        labels.kinds.insert(p.email.clone(), p.kind);
        for &d in &p.events {
            if let Some(day) = cfg.start.checked_add_days(Days::new(u64::from(d))) {
                labels.events.insert((p.email.clone(), day), p.kind);
            }
        }
    }
    let mut qid: u64 = 0x1_0000_0000;
    for d in 0..cfg.days {
        let Some(date) = cfg.start.checked_add_days(Days::new(u64::from(d))) else {
            break;
        };
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let mut msgs: Vec<Msg> = Vec::new();
        let mut failures: Vec<(u64, String, String)> = Vec::new();
        for p in &profiles {
            if d < p.born {
                continue;
            }
            let event = p.events.contains(&d);
            let active = if weekend {
                rng.chance(p.weekend)
            } else {
                rng.chance(0.85)
            };
            // The owner's own mail.
            if active || (event && matches!(p.kind, "class_mailing" | "busy_day" | "travel")) {
                let mut n = around(&mut rng, p.median);
                if event && p.kind == "busy_day" {
                    n *= rng.range(5, 8);
                }
                let ip_pool: Vec<String> = if event && p.kind == "travel" {
                    vec![p.foreign_ip.clone()]
                } else {
                    p.ips.clone()
                };
                own_mail(&mut rng, p, n, &ip_pool, &mut msgs);
            }
            if event && p.kind == "class_mailing" {
                let ip = rng.pick(&p.ips).clone();
                let t = day_time(&mut rng, (9, 17));
                let rcpts: Vec<(String, bool)> = (0..300)
                    .map(|k| (format!("s{k:04}@{CAMPUS}"), rng.chance(0.02)))
                    .collect();
                for (j, chunk) in rcpts.chunks(50).enumerate() {
                    msgs.push(Msg {
                        t: t + j as u64 * 20,
                        email: p.email.clone(),
                        ip: ip.clone(),
                        rcpts: chunk.to_vec(),
                    });
                }
            }
            if !event {
                continue;
            }
            let (count, ip, hours) = match p.kind {
                "burst" => (rng.range(300, 1500), p.foreign_ip.clone(), (0, 24)),
                "slow" => (rng.range(20, 100), p.foreign_ip.clone(), (0, 24)),
                "webmail_spam" => (rng.range(60, 400), WEBMAIL_IP.to_string(), (8, 23)),
                "guessing" => {
                    let n = rng.range(20, 200);
                    let ips: Vec<String> = (0..rng.range(5, 40))
                        .map(|_| foreign_ip(&mut rng))
                        .collect();
                    for _ in 0..n {
                        let t = day_time(&mut rng, (0, 24));
                        failures.push((t, rng.pick(&ips).clone(), p.email.clone()));
                    }
                    continue;
                }
                _ => continue,
            };
            let mut left = count;
            while left > 0 {
                let k = rng.range(1, 20).min(left);
                left -= k;
                let rcpts = (0..k)
                    .map(|_| {
                        let mut local = String::new();
                        rng.push_chars(&mut local, b"abcdefghijklmnopqrstuvwxyz", 6);
                        (
                            format!("{local}@{}", random_domain(&mut rng)),
                            rng.chance(0.25),
                        )
                    })
                    .collect();
                msgs.push(Msg {
                    t: day_time(&mut rng, hours),
                    email: p.email.clone(),
                    ip: ip.clone(),
                    rcpts,
                });
            }
        }
        let mut day = Day {
            lines: Vec::new(),
            seq: 0,
        };
        for m in &msgs {
            qid += 1;
            write_message(&mut day, &mut rng, qid, m);
        }
        for (t, ip, user) in &failures {
            day.push(
                *t,
                format!(
                    "postfix/submission/smtpd[{}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username={user}",
                    rng.range(1000, 30000)
                ),
            );
        }
        day.lines.sort_unstable_by_key(|l| (l.0, l.1));
        let mut buf = String::with_capacity(256);
        for (t, _, body) in &day.lines {
            buf.clear();
            let (h, m, s, us) = (
                t / 3_600_000_000,
                t / 60_000_000 % 60,
                t / 1_000_000 % 60,
                t % 1_000_000,
            );
            let _ = writeln!(
                buf,
                "{}T{h:02}:{m:02}:{s:02}.{us:06}+08:00 relay1 {body}",
                date.format("%Y-%m-%d")
            );
            out.write_all(buf.as_bytes())?;
            labels.lines += 1;
        }
    }
    out.flush()?;
    Ok(labels)
}

/// A time of day in microseconds within `hours` (local), leaving the day's last minute
/// free so that a message's lines stay in its day.
fn day_time(rng: &mut Rng, hours: (u64, u64)) -> u64 {
    let lo = hours.0 * 3_600_000_000;
    let hi = (hours.1 * 3_600_000_000).min(86_340_000_000);
    rng.range(lo, hi - 1)
}

fn own_mail(rng: &mut Rng, p: &Profile, n: u64, ips: &[String], msgs: &mut Vec<Msg>) {
    let mut left = n;
    while left > 0 {
        let k = rng.range(1, 5).min(left);
        left -= k;
        let rcpts = (0..k)
            .map(|_| {
                let domain = if rng.chance(0.6) {
                    CAMPUS.to_string()
                } else {
                    rng.pick(&p.domains).clone()
                };
                (format!("r{}@{domain}", rng.range(1, 400)), rng.chance(0.02))
            })
            .collect();
        msgs.push(Msg {
            t: day_time(rng, p.hours),
            email: p.email.clone(),
            ip: rng.pick(ips).clone(),
            rcpts,
        });
    }
}

fn write_message(day: &mut Day, rng: &mut Rng, qid: u64, m: &Msg) {
    let q = format!("{qid:X}");
    let pid = rng.range(1000, 30000);
    let mut t = m.t;
    day.push(
        t,
        format!(
            "postfix/submission/smtpd[{pid}]: {q}: client=host[{}], sasl_method=PLAIN, sasl_username={}",
            m.ip, m.email
        ),
    );
    t += 50_000;
    day.push(
        t,
        format!(
            "postfix/cleanup[{}]: {q}: message-id=<{q}@mail.{CAMPUS}>",
            pid + 1
        ),
    );
    t += 50_000;
    day.push(
        t,
        format!(
            "postfix/qmgr[500]: {q}: from=<{}>, size={}, nrcpt={} (queue active)",
            m.email,
            rng.range(1000, 50000),
            m.rcpts.len()
        ),
    );
    for (to, bounce) in &m.rcpts {
        t += rng.range(10_000, 200_000);
        let domain = to.rsplit_once('@').map_or("", |d| d.1);
        let line = if *bounce {
            format!(
                "postfix/smtp[{}]: {q}: to=<{to}>, relay=mx.{domain}[198.18.0.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.{domain}[198.18.0.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))",
                pid + 2
            )
        } else {
            format!(
                "postfix/smtp[{}]: {q}: to=<{to}>, relay=mx.{domain}[198.18.0.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
                pid + 2
            )
        };
        day.push(t, line);
    }
    t += 10_000;
    day.push(t, format!("postfix/qmgr[500]: {q}: removed"));
}
