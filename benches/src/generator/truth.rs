//! What a generated log means, in the record semantics of docs/records.md.
//!
//! The generator knows every message it writes, so it can say exactly which records a
//! correct correlator must produce: per sender (the lower-cased envelope sender) and per
//! UTC day, how many `sent`, `deferred`, `bounced`, `expired`, `auth_rcv` and `auth_blk`
//! records. Tests of the correlator and the statistics compare against this [`Truth`];
//! `smtplog-loggen --truth FILE` writes it as JSON.

use std::collections::{BTreeMap, HashMap};
use std::ops::AddAssign;

use serde::Serialize;

use super::clock::{DAY, iso_date};

/// The status of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A recipient delivered.
    Sent,
    /// A delivery attempt that failed for now.
    Deferred,
    /// A recipient refused permanently.
    Bounced,
    /// A recipient still undelivered when its message expired.
    Expired,
    /// A message accepted from an SMTP AUTH session.
    AuthRcv,
    /// A submission refused (a `reject:` line, or a SASL failure naming the sender).
    AuthBlk,
}

/// Record counts: one row of the daily table of docs/records.md (`sum` is the six others added).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All records.
    pub sum: u64,
    /// `auth_blk` records.
    pub auth_blk: u64,
    /// `auth_rcv` records.
    pub auth_rcv: u64,
    /// `bounced` records.
    pub bounced: u64,
    /// `deferred` records.
    pub deferred: u64,
    /// `expired` records.
    pub expired: u64,
    /// `sent` records.
    pub sent: u64,
}

impl Counts {
    /// Adds `n` records of `status`.
    pub fn add(&mut self, status: Status, n: u64) {
        self.sum += n;
        *self.get_mut(status) += n;
    }

    /// The count of one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Sent => self.sent,
            Status::Deferred => self.deferred,
            Status::Bounced => self.bounced,
            Status::Expired => self.expired,
            Status::AuthRcv => self.auth_rcv,
            Status::AuthBlk => self.auth_blk,
        }
    }

    fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Sent => &mut self.sent,
            Status::Deferred => &mut self.deferred,
            Status::Bounced => &mut self.bounced,
            Status::Expired => &mut self.expired,
            Status::AuthRcv => &mut self.auth_rcv,
            Status::AuthBlk => &mut self.auth_blk,
        }
    }

    /// True when `sum` equals the six statuses added.
    pub fn is_consistent(&self) -> bool {
        self.sum
            == self.auth_blk
                + self.auth_rcv
                + self.bounced
                + self.deferred
                + self.expired
                + self.sent
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.sum += o.sum;
        self.auth_blk += o.auth_blk;
        self.auth_rcv += o.auth_rcv;
        self.bounced += o.bounced;
        self.deferred += o.deferred;
        self.expired += o.expired;
        self.sent += o.sent;
    }
}

/// Counts of the situations a correlator must handle, so a test can see they occurred.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Situations {
    /// Lines with a classic syslog timestamp.
    pub syslog_lines: u64,
    /// Lines with an RFC 3339 timestamp.
    pub rfc3339_lines: u64,
    /// Lines of programs other than Postfix (dovecot, amavis).
    pub other_program_lines: u64,
    /// Messages that got the queue ID of an earlier, removed message.
    pub queue_id_reuses: u64,
    /// Messages whose queue ID another instance (or host) had in flight at the same time.
    pub shared_queue_ids: u64,
    /// Messages re-queued through the content filter (`queued as NEWID`).
    pub content_filter_hops: u64,
    /// Content-filter hops whose answer (`queued as NEWID`) is logged seconds after the
    /// filter re-injected the copy, often after the copy left the queue.
    pub late_filter_answers: u64,
    /// Recipients forwarded by `local` (`forwarded as NEWID`).
    pub forwards: u64,
    /// Non-delivery notifications (bounce notices) sent to our senders.
    pub bounce_notices: u64,
    /// Messages that expired in the queue.
    pub expirations: u64,
    /// Deferred messages retried by qmgr (each retry repeats `from=`).
    pub retries: u64,
    /// `reject:` lines that carry a sender (`NOQUEUE:` or with a queue ID).
    pub reject_lines: u64,
    /// SASL authentication failure lines.
    pub sasl_failures: u64,
    /// Messages submitted by `pickup` (sendmail on the relay).
    pub pickups: u64,
}

/// The meaning of a generated log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Truth {
    /// The seed the log was generated from.
    pub seed: u64,
    /// The first day (`YYYY-MM-DD`, UTC).
    pub start: String,
    /// The number of days new mail arrives on (retries may run past them).
    pub days: u32,
    /// Lines written.
    pub lines: u64,
    /// Messages accepted from clients or `pickup` (counted at their first qmgr `from=`;
    /// content-filter re-queues, forwarded copies and bounce notices not counted).
    pub messages: u64,
    /// All records, by status.
    pub totals: Counts,
    /// Sender (lower-cased address) → UTC day (`YYYY-MM-DD`) → counts; only days that have
    /// records are listed.
    pub senders: BTreeMap<String, BTreeMap<String, Counts>>,
    /// How often the hard cases occurred.
    pub situations: Situations,
}

impl Truth {
    /// The counts of `sender` (any case) on `day` (`YYYY-MM-DD`); zero when none.
    pub fn day(&self, sender: &str, day: &str) -> Counts {
        self.senders
            .get(&sender.to_ascii_lowercase())
            .and_then(|days| days.get(day))
            .copied()
            .unwrap_or_default()
    }

    /// The counts of `sender` over all days.
    pub fn sender_total(&self, sender: &str) -> Counts {
        let mut c = Counts::default();
        if let Some(days) = self.senders.get(&sender.to_ascii_lowercase()) {
            for d in days.values() {
                c += *d;
            }
        }
        c
    }

    /// The per-day counts of every sender added up (equals [`Truth::totals`]).
    pub fn sum_of_days(&self) -> Counts {
        let mut c = Counts::default();
        for days in self.senders.values() {
            for d in days.values() {
                c += *d;
            }
        }
        c
    }
}

/// Sender addresses interned to small numbers, so pending lines carry a `u32`.
#[derive(Debug, Default)]
pub(crate) struct Names {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Names {
    /// True when `addr` (any case) is interned.
    pub(crate) fn contains(&self, addr: &str) -> bool {
        self.ids.contains_key(&addr.to_ascii_lowercase())
    }

    /// The number of `addr`, lower-cased.
    pub(crate) fn intern(&mut self, addr: &str) -> u32 {
        let key = addr.to_ascii_lowercase();
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(key.clone());
        self.ids.insert(key, id);
        id
    }
}

/// Accumulates records as their lines are written.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) names: Names,
    cells: HashMap<(u32, i64), Counts>,
    pub(crate) totals: Counts,
    pub(crate) situations: Situations,
    pub(crate) messages: u64,
}

impl Tally {
    /// `n` records of `status` for sender `who`, on the UTC day of `t` (µs).
    pub(crate) fn record(&mut self, who: u32, status: Status, n: u64, t: i64) {
        if n == 0 {
            return;
        }
        self.cells
            .entry((who, t.div_euclid(DAY)))
            .or_default()
            .add(status, n);
        self.totals.add(status, n);
    }

    pub(crate) fn into_truth(self, seed: u64, start_day: i64, days: u32, lines: u64) -> Truth {
        let mut senders: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
        for ((who, day), counts) in self.cells {
            let name = self.names.names[who as usize].clone();
            senders
                .entry(name)
                .or_default()
                .insert(iso_date(day), counts);
        }
        Truth {
            seed,
            start: iso_date(start_day),
            days,
            lines,
            messages: self.messages,
            totals: self.totals,
            senders,
            situations: self.situations,
        }
    }
}
