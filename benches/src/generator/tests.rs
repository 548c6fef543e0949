//! Tests of the generator as a whole: determinism, that every line is a Postfix line the
//! parser knows, and that the [`Truth`] agrees with an independent count over the parsed
//! lines (a small correlator written here from the rules of docs/records.md, not from the generator).

use std::collections::{BTreeMap, HashMap, HashSet};

use smtplog_core::parse::{DeliveryStatus, Event, Parsed, parse_line};
use smtplog_core::timestamp::Timestamp;

use super::{Counts, GenConfig, Status, TimeFormat, Truth, generate};

fn run(cfg: &GenConfig) -> (String, Truth) {
    let mut out = Vec::new();
    let truth = generate(cfg, &mut out).expect("writing to a Vec cannot fail");
    (String::from_utf8(out).expect("the log is UTF-8"), truth)
}

fn small(seed: u64) -> GenConfig {
    GenConfig {
        seed,
        lines: 20_000,
        senders: 200,
        ..GenConfig::default()
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = GenConfig {
        lines: 5_000,
        ..small(11)
    };
    let (a, ta) = run(&cfg);
    let (b, tb) = run(&cfg);
    assert_eq!(a, b);
    assert_eq!(ta.totals, tb.totals);
    assert_eq!(ta.senders, tb.senders);
    let (c, _) = run(&GenConfig { seed: 12, ..cfg });
    assert_ne!(a, c);
}

#[test]
fn zero_sizes_are_refused() {
    let cfg = GenConfig {
        hosts: 0,
        ..GenConfig::default()
    };
    assert!(generate(&cfg, std::io::sink()).is_err());
}

#[test]
fn every_line_is_a_known_postfix_line_or_another_program() {
    let (log, truth) = run(&small(2024));
    let mut bad = Vec::new();
    let (mut skipped, mut entries) = (0u64, 0u64);
    for line in log.lines() {
        match parse_line(line) {
            Parsed::Entry(_) => entries += 1,
            Parsed::Skipped(_) => skipped += 1,
            Parsed::Unrecognized { .. } | Parsed::Malformed(_) => bad.push(line.to_string()),
        }
    }
    assert!(
        bad.is_empty(),
        "{} lines not understood, e.g.:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
    assert_eq!(entries + skipped, truth.lines);
    assert_eq!(skipped, truth.situations.other_program_lines);
}

#[test]
fn lines_are_in_time_order_and_near_the_target() {
    let (log, truth) = run(&small(5));
    let n = log.lines().count() as u64;
    assert_eq!(n, truth.lines);
    assert!((18_000..26_000).contains(&n), "{n}");
    // RFC 3339 lines of one host sort as strings.
    let stamps: Vec<&str> = log
        .lines()
        .filter(|l| l.as_bytes()[4] == b'-')
        .map(|l| &l[..32])
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn both_timestamp_families_and_all_hard_cases_occur() {
    let (log, truth) = run(&small(2024));
    let s = truth.situations;
    assert!(s.syslog_lines > 0 && s.rfc3339_lines > 0, "{s:?}");
    assert!(log.starts_with("Mar  1 ") || log.starts_with("2026-03-01T"));
    assert!(log.contains("\nMar  1 ") && log.contains("\n2026-03-01T"));
    assert!(s.queue_id_reuses > 0, "{s:?}");
    assert!(s.shared_queue_ids > 0, "{s:?}");
    assert!(s.content_filter_hops > 0, "{s:?}");
    assert!(s.late_filter_answers > 0, "{s:?}");
    assert!(s.forwards > 0, "{s:?}");
    assert!(s.bounce_notices > 0, "{s:?}");
    assert!(s.expirations > 0, "{s:?}");
    assert!(s.retries > 0, "{s:?}");
    assert!(
        s.reject_lines > 0 && s.sasl_failures > 0 && s.pickups > 0,
        "{s:?}"
    );
    for shape in [
        "postfix-out/",
        "postfix/submission/smtpd[",
        ", sasl_method=PLAIN, sasl_username=",
        ", orig_queue_id=",
        "relay=127.0.0.1[127.0.0.1]:10024",
        "status=sent (forwarded as ",
        "status=expired, returned to sender",
        "sender non-delivery notification: ",
        "from=<>, size=",
        "NOQUEUE: reject: RCPT from ",
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        ", sasl_username=",
        "Anonymous TLS connection established from ",
        "postfix/postscreen[",
        "CONNECT from [",
        " dovecot: imap-login: ",
        " amavis[",
        "postfix/anvil[",
        "statistics: max connection rate ",
        "status=deferred (",
        "status=bounced (",
        "postfix/lmtp[",
        "postfix/local[",
        "postfix/virtual[",
        "postfix/pickup[",
        "postfix/error[",
        "milter-reject: END-OF-MESSAGE",
    ] {
        assert!(log.contains(shape), "no line contains {shape:?}");
    }
}

#[test]
fn queue_ids_have_both_shapes_and_are_reused_after_removed() {
    let (log, _) = run(&small(2024));
    let mut removed: HashSet<(String, String)> = HashSet::new();
    let mut reused = 0;
    let (mut short, mut long) = (0, 0);
    for line in log.lines() {
        let Parsed::Entry(e) = parse_line(line) else {
            continue;
        };
        let Some(q) = e.event.queue_id() else {
            continue;
        };
        if q.is_noqueue() {
            continue;
        }
        let id = q.as_str();
        if id.len() == 15 && id.as_bytes()[10] == b'z' {
            long += 1;
        } else if (10..=12).contains(&id.len()) {
            short += 1;
        } else {
            panic!("queue ID of unexpected shape: {line}");
        }
        let key = (
            format!("{:?}/{}", e.header.host, e.header.program.instance()),
            id.to_string(),
        );
        match e.event {
            Event::Removed { .. } => {
                removed.insert(key);
            }
            Event::ClientLine { .. } | Event::Pickup { .. } | Event::MessageId { .. }
                if removed.remove(&key) =>
            {
                reused += 1;
            }
            _ => {}
        }
    }
    assert!(short > 0 && long > 0, "{short} {long}");
    assert!(reused > 0);
}

#[test]
fn truth_adds_up() {
    let (_, truth) = run(&small(3));
    assert!(truth.totals.is_consistent());
    assert_eq!(truth.sum_of_days(), truth.totals);
    let mut by_status = Counts::default();
    for days in truth.senders.values() {
        for (day, c) in days {
            assert!(c.is_consistent(), "{day} {c:?}");
            assert!(c.sum > 0, "empty days are not listed");
            for s in [
                Status::Sent,
                Status::Deferred,
                Status::Bounced,
                Status::Expired,
                Status::AuthRcv,
                Status::AuthBlk,
            ] {
                by_status.add(s, c.get(s));
            }
        }
    }
    assert_eq!(by_status, truth.totals);
    for s in [
        Status::Sent,
        Status::Deferred,
        Status::Bounced,
        Status::Expired,
        Status::AuthRcv,
        Status::AuthBlk,
    ] {
        assert!(truth.totals.get(s) > 0, "no {s:?} records");
    }
    assert!(truth.messages > 0);
    assert_eq!(truth.senders.keys().filter(|k| k.is_empty()).count(), 0);
    assert!(truth.senders.keys().all(|k| *k == k.to_ascii_lowercase()));
    let json = serde_json::to_string(&truth).expect("serializable");
    assert!(json.contains("\"auth_blk\""));
}

type Key = (String, String, String);

/// Records per (sender, day), counted from the parsed lines alone.
#[derive(Default)]
struct Recount {
    from: HashMap<Key, String>,
    sasl: HashSet<Key>,
    pending: HashMap<Key, HashSet<String>>,
    counts: BTreeMap<String, BTreeMap<String, Counts>>,
}

impl Recount {
    fn add(&mut self, who: &str, day: &str, status: Status, n: u64) {
        if who.is_empty() || n == 0 {
            return;
        }
        self.counts
            .entry(who.to_ascii_lowercase())
            .or_default()
            .entry(day.to_string())
            .or_default()
            .add(status, n);
    }

    fn line(&mut self, line: &str, year: i32) {
        let Parsed::Entry(e) = parse_line(line) else {
            return;
        };
        let day = match e.header.time {
            Timestamp::Rfc3339(t) => t.date_naive().format("%Y-%m-%d").to_string(),
            Timestamp::Syslog { month, day, .. } => format!("{year}-{month:02}-{day:02}"),
        };
        let key = |q: &str| -> Key {
            (
                e.header.host.unwrap_or("").to_string(),
                e.header.program.instance().to_string(),
                q.to_string(),
            )
        };
        match &e.event {
            Event::ClientLine {
                queue_id,
                sasl_username,
                ..
            } => {
                let k = key(queue_id.as_str());
                self.sasl.remove(&k);
                if sasl_username.is_some() {
                    self.sasl.insert(k);
                }
            }
            Event::Queued { queue_id, from, .. } => {
                let k = key(queue_id.as_str());
                if self.sasl.remove(&k) {
                    self.add(from, &day, Status::AuthRcv, 1);
                }
                self.from.insert(k, from.to_string());
            }
            Event::Delivery(d) => {
                if d.relay == "127.0.0.1[127.0.0.1]:10024" || d.forwarded_as().is_some() {
                    return;
                }
                let k = key(d.queue_id.as_str());
                let from = self.from.get(&k).cloned().unwrap_or_default();
                let pending = self.pending.entry(k).or_default();
                let status = match d.status {
                    DeliveryStatus::Sent => {
                        pending.remove(d.to);
                        Status::Sent
                    }
                    DeliveryStatus::Bounced => {
                        pending.remove(d.to);
                        Status::Bounced
                    }
                    DeliveryStatus::Deferred => {
                        pending.insert(d.to.to_string());
                        Status::Deferred
                    }
                    other => panic!("unexpected status {other:?}: {line}"),
                };
                self.add(&from, &day, status, 1);
            }
            Event::Expired { queue_id, from, .. } => {
                let n = self
                    .pending
                    .remove(&key(queue_id.as_str()))
                    .map_or(0, |p| p.len());
                self.add(from, &day, Status::Expired, n as u64);
            }
            Event::Removed { queue_id } => {
                let k = key(queue_id.as_str());
                self.from.remove(&k);
                self.pending.remove(&k);
            }
            Event::Action(a) if a.is_rejection() => {
                self.add(a.from.unwrap_or(""), &day, Status::AuthBlk, 1);
            }
            Event::SaslFailure {
                username: Some(u), ..
            } if u.contains('@') => {
                self.add(u, &day, Status::AuthBlk, 1);
            }
            _ => {}
        }
    }
}

#[test]
fn truth_matches_an_independent_count_of_the_parsed_lines() {
    for (seed, format) in [
        (2024, TimeFormat::Mixed),
        (77, TimeFormat::Syslog),
        (78, TimeFormat::Rfc3339),
    ] {
        let cfg = GenConfig {
            format,
            lines: 15_000,
            ..small(seed)
        };
        let (log, truth) = run(&cfg);
        let mut r = Recount::default();
        for line in log.lines() {
            r.line(line, 2026);
        }
        let mut total = Counts::default();
        for days in r.counts.values() {
            for c in days.values() {
                total += *c;
            }
        }
        assert_eq!(total, truth.totals, "seed {seed}");
        assert_eq!(r.counts, truth.senders, "seed {seed}");
    }
}

#[test]
fn days_follow_the_start_date_in_utc() {
    let cfg = GenConfig {
        lines: 3_000,
        days: 2,
        start: chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("a date"),
        format: TimeFormat::Rfc3339,
        ..small(9)
    };
    let (log, truth) = run(&cfg);
    assert!(log.starts_with("2025-12-31T"));
    assert!(log.contains("\n2026-01-01T"));
    assert_eq!(truth.start, "2025-12-31");
    let days: HashSet<&String> = truth.senders.values().flat_map(|d| d.keys()).collect();
    assert!(days.iter().all(|d| d.as_str() >= "2025-12-31"));
    assert!(days.contains(&"2026-01-01".to_string()));
}
