//! `smtplog-anomaly-eval`: scores the stolen-account detector against labelled accounts.
//!
//! ```text
//! smtplog-anomaly-eval [--seed S] [--normal N] [--per-kind N] [--start D] [--log FILE]
//! ```
//!
//! Generates the labelled 60-day relay of `generator::accounts` (deterministic), ingests
//! it into an in-memory store (zone Asia/Taipei), and for every day of the second half
//! asks three rules who they would warn: the detector (`anomaly::on_day`, default
//! thresholds, and `min_score` 1 and 3 for comparison), the seed's rule alone
//! (`Sum >= 250` or `Bounced >= 10`, `Policy::warning_reasons`) and both together. Prints
//! a Markdown table: per kind of account, the share of its event days warned (normal:
//! every day that is not an event), then precision, recall and false warnings per
//! 1,000 sender-days. `--log FILE` also writes the generated log (`--start`: its first day,
//! default 2026-03-01), and every false warning of the default detector goes to stderr.
//!
//! Exit status: 0 ok, 2 bad arguments or an error.

// A measurement program talks to whoever runs it.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Days, NaiveDate, Utc};
use smtplog_benches::generator::accounts::{self, AccountsConfig, KINDS, is_stolen};
use smtplog_core::anomaly::{self, Thresholds};
use smtplog_core::stats::range_bounds;
use smtplog_core::{IngestOptions, Input, Policy, Silent, Store, ingest};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str =
    "usage: smtplog-anomaly-eval [--seed S] [--normal N] [--per-kind N] [--log FILE]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smtplog-anomaly-eval: {e}");
            ExitCode::from(2)
        }
    }
}

/// Who a rule warned: (address, day).
type Warned = BTreeSet<(String, NaiveDate)>;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = AccountsConfig::default();
    let mut log_path = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--seed" => cfg.seed = value()?.parse()?,
            "--normal" => cfg.normal = value()?.parse()?,
            "--per-kind" => cfg.per_kind = value()?.parse()?,
            "--start" => cfg.start = value()?.parse()?,
            "--log" => log_path = Some(value()?),
            _ => return Err(format!("unknown argument {a}\n{USAGE}").into()),
        }
    }
    let began = Instant::now();
    let mut log = Vec::new();
    let labels = accounts::generate(&cfg, &mut log)?;
    if let Some(p) = &log_path {
        std::fs::write(p, &log)?;
    }
    let zone = smtplog_core::chrono_tz::Asia::Taipei;
    let mut store = Store::open_in_memory()?;
    let options = IngestOptions::new(zone);
    let input = Input::from_reader("accounts", Cursor::new(log), Utc::now())?;
    let summary = ingest(&mut store, vec![input], &options, &mut Silent)?;
    eprintln!(
        "{} lines, {} records, ingested in {:.1?}",
        labels.lines,
        summary.records,
        began.elapsed()
    );

    let policy = Policy::default();
    let variants: Vec<(String, Thresholds)> = [2, 1, 3]
        .into_iter()
        .map(|s| {
            (
                format!("detector (min_score {s})"),
                Thresholds {
                    min_score: s,
                    ..Thresholds::default()
                },
            )
        })
        .collect();
    let mut warned: Vec<Warned> = vec![Warned::new(); variants.len()];
    let mut seed = Warned::new();
    let mut sender_days: Warned = Warned::new();
    let mut day = labels.first_scored;
    let timed = Instant::now();
    while day <= labels.last {
        let (from, to) = range_bounds(day, day, zone);
        for (owner, counts) in store.counts_by_owner(from, to)? {
            if !labels.kinds.contains_key(&owner) {
                continue;
            }
            sender_days.insert((owner.clone(), day));
            if !policy.warning_reasons(&counts).is_empty() {
                seed.insert((owner, day));
            }
        }
        for (i, ((_, t), w)) in variants.iter().zip(&mut warned).enumerate() {
            for f in anomaly::on_day(&store, day, zone, t)? {
                let kind = labels
                    .events
                    .get(&(f.email.clone(), day))
                    .copied()
                    .unwrap_or("normal");
                if i == 0 && !is_stolen(kind) {
                    eprintln!(
                        "false warning, {kind} on {day}: {}",
                        anomaly::line(&f, smtplog_core::Lang::En)
                    );
                }
                sender_days.insert((f.email.clone(), day));
                w.insert((f.email, day));
            }
        }
        day = day.checked_add_days(Days::new(1)).ok_or("date overflow")?;
    }
    eprintln!("scored in {:.1?}", timed.elapsed());
    // Event days with no activity of the owner (a guessing attack always has some).
    for (email, d) in labels.events.keys() {
        if *d >= labels.first_scored {
            sender_days.insert((email.clone(), *d));
        }
    }

    let kind_of = |email: &str, d: NaiveDate| -> &'static str {
        labels
            .events
            .get(&(email.to_string(), d))
            .copied()
            .unwrap_or("normal")
    };
    let both: Warned = warned[0].union(&seed).cloned().collect();
    let mut rules: Vec<(String, &Warned)> = vec![
        (variants[0].0.clone(), &warned[0]),
        ("seed rule (Sum >= 250 or Bounced >= 10)".into(), &seed),
        ("both (detector or seed rule)".into(), &both),
    ];
    for (i, (name, _)) in variants.iter().enumerate().skip(1) {
        rules.push((name.clone(), &warned[i]));
    }

    println!(
        "Labelled relay: seed {}, {} days ({} scored, from {}), {} normal accounts and {} of each other kind; {} sender-days scored.\n",
        cfg.seed,
        cfg.days,
        (labels.last - labels.first_scored).num_days() + 1,
        labels.first_scored,
        cfg.normal,
        cfg.per_kind,
        sender_days.len()
    );
    // Per kind: days of the kind, and per rule how many were warned.
    let mut days_of: BTreeMap<&str, u64> = BTreeMap::new();
    for (email, d) in &sender_days {
        *days_of.entry(kind_of(email, *d)).or_default() += 1;
    }
    print!("| kind (sender-days) |");
    for (name, _) in &rules {
        print!(" {name} |");
    }
    println!();
    print!("|---|");
    for _ in &rules {
        print!("---|");
    }
    println!();
    for kind in KINDS {
        let n = days_of.get(kind).copied().unwrap_or(0);
        let what = if is_stolen(kind) {
            "stolen/attacked: recall"
        } else {
            "benign: warned"
        };
        print!("| {kind} ({n}; {what}) |");
        for (_, w) in &rules {
            let k = w.iter().filter(|(e, d)| kind_of(e, *d) == kind).count() as u64;
            print!(" {k}/{n} ({:.0}%) |", pct(k, n));
        }
        println!();
    }
    // Accounts caught: a stolen or attacked account with any event day warned.
    print!("| stolen/attacked accounts caught |");
    for (_, w) in &rules {
        let mut all = BTreeSet::new();
        let mut caught = BTreeSet::new();
        for ((email, d), kind) in &labels.events {
            if is_stolen(kind) && *d >= labels.first_scored {
                all.insert(email);
                if w.contains(&(email.clone(), *d)) {
                    caught.insert(email);
                }
            }
        }
        print!(" {}/{} |", caught.len(), all.len());
    }
    println!();
    let positives: u64 = KINDS
        .iter()
        .filter(|k| is_stolen(k))
        .map(|k| days_of.get(k).copied().unwrap_or(0))
        .sum();
    let negatives = sender_days.len() as u64 - positives;
    for (label, f) in [
        ("precision", 0usize),
        ("recall (sender-days)", 1),
        ("false warnings per 1,000 sender-days", 2),
    ] {
        print!("| **{label}** |");
        for (_, w) in &rules {
            let tp = w.iter().filter(|(e, d)| is_stolen(kind_of(e, *d))).count() as u64;
            let fp = w.len() as u64 - tp;
            match f {
                0 => print!(" {:.2} |", ratio(tp, tp + fp)),
                1 => print!(" {:.2} |", ratio(tp, positives)),
                _ => print!(" {:.1} |", ratio(fp, negatives) * 1000.0),
            }
        }
        println!();
    }
    Ok(())
}

fn pct(k: u64, n: u64) -> f64 {
    ratio(k, n) * 100.0
}

fn ratio(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}
