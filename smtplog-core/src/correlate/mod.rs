//! The correlator: a deterministic state machine that follows each message by relay host,
//! Postfix instance and queue ID, and turns parsed lines into [`Record`]s as the lines
//! arrive. No clock, no I/O: the caller feeds it events with their resolved times and
//! saves the changes it reports ([`Correlator::take_changes`]) with the records, so a
//! later run continues exactly where this one stopped.
//!
//! The rules it keeps are PRODUCT.md's ("Correlation: from lines to records"): the qmgr
//! `from=` line counts a message once; an expiry emits one record per recipient still
//! deferred, with its last reason; content-filter and `local` forwarding hops are followed
//! and are not records themselves; null-sender and double-bounce mail belongs to nobody;
//! probes and `reject_warning` are not records; lines whose message start was never seen
//! are kept as orphans.

mod key;
mod state;
mod stats;

use std::collections::{VecDeque, hash_map};

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::{DateTime, FixedOffset, Utc};

use crate::parse::{Action, Delivery, DeliveryStatus, Entry, Event};
use crate::record::{Record, RecordRef, Status};
use key::{Key, Origins, Qid};
pub use state::{Deferral, Inheritance, MessageKey, MessageState, Saved};
pub use stats::CorrelateStats;

/// Limits of the correlator's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many unfinished messages (and, separately, pending hop links) are kept; past
    /// that the least recently seen are forgotten and counted as evicted.
    pub max_pending: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending: 500_000,
        }
    }
}

/// What the correlator asks the caller to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Store a new record.
    Record(Record),
    /// A message whose records were already stored turned out to be a hop's copy: its
    /// records take the origin's client and SASL user (and original recipient).
    Relink(Relink),
}

/// Where the correlator puts what it finds: records as they are made (borrowed, for the
/// caller to pack or own) and fix-ups of records already stored. A `Vec<Output>` keeps
/// both as [`Output`]s.
pub trait Sink {
    /// A new record.
    fn record(&mut self, record: RecordRef<'_>);
    /// A fix-up of stored records.
    fn relink(&mut self, relink: Relink);
}

impl Sink for Vec<Output> {
    fn record(&mut self, record: RecordRef<'_>) {
        self.push(Output::Record(record.to_record()));
    }

    fn relink(&mut self, relink: Relink) {
        self.push(Output::Relink(relink));
    }
}

/// The fix-up of the records of one message that was linked to its origin late.
#[derive(Clone, Debug, PartialEq)]
pub struct Relink {
    /// The message whose records change: those of this host, instance and queue ID logged
    /// at or after `since`.
    pub key: MessageKey,
    /// When the message's first line was logged.
    pub since: DateTime<Utc>,
    /// The origin's client IP.
    pub sender_ip: Option<String>,
    /// The origin's SASL user.
    pub sasl_user: Option<String>,
    /// The original recipient, for records that have none.
    pub orig_recipient: Option<String>,
}

/// A change of the correlator's state, to be saved: `None` deletes.
pub type Change = (MessageKey, Option<Saved>);

/// The correlator. See the module documentation.
#[derive(Debug, Default)]
pub struct Correlator {
    limits: Limits,
    /// Interned (host, instance) pairs; `Key::origin` indexes this.
    origins: Origins,
    messages: FxHashMap<Key, MessageState>,
    links: FxHashMap<Key, Inheritance>,
    /// Touch order for eviction: (seq, key); stale entries are skipped.
    order: VecDeque<(u64, Key)>,
    link_order: VecDeque<(u64, Key)>,
    seq: u64,
    dirty: FxHashSet<Key>,
    /// Keys whose state is in the caller's saved copy (reported by `take_changes`).
    saved: FxHashSet<Key>,
    stats: CorrelateStats,
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// True when a delivery's `relay=` (`host[addr]:port`, or `host:port`) is this host.
fn is_loopback(relay: &str) -> bool {
    // Byte loops: `find(char)` sets up a searcher on every call, and relays are short.
    let at = |c: u8| relay.bytes().position(|b| b == c);
    let addr = match (at(b'['), at(b']')) {
        (Some(o), Some(c)) if o < c => &relay[o + 1..c],
        _ => at(b':').map_or(relay, |colon| &relay[..colon]),
    };
    addr.starts_with("127.") || addr == "::1" || addr == "localhost"
}

/// True for senders whose mail belongs to nobody's history: the null sender (bounces,
/// delay notices) and Postfix's double-bounce address.
fn belongs_to_nobody(sender: &str) -> bool {
    sender.is_empty() || sender.starts_with("double-bounce@") || sender == "double-bounce"
}

/// The enhanced status code in a reply text (`554 5.7.1 ...` or `5.7.1 ...`).
fn dsn_of(reply: &str) -> Option<String> {
    reply
        .split(' ')
        .take(2)
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "2" | "4" | "5")
                && parts[1..]
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
}

impl Correlator {
    /// A correlator with no state.
    pub fn new(limits: Limits) -> Self {
        Correlator {
            limits,
            ..Correlator::default()
        }
    }

    /// Restores saved state (as written from [`Correlator::take_changes`]).
    pub fn restore(limits: Limits, saved: impl IntoIterator<Item = (MessageKey, Saved)>) -> Self {
        let mut c = Correlator::new(limits);
        let mut msgs: Vec<(MessageKey, MessageState)> = Vec::new();
        let mut links: Vec<(MessageKey, Inheritance)> = Vec::new();
        for (key, s) in saved {
            match s {
                Saved::Message(m) => msgs.push((key, m)),
                Saved::Link(l) => links.push((key, l)),
            }
        }
        msgs.sort_by_key(|(_, m)| m.seq);
        links.sort_by_key(|(_, l)| l.seq);
        for (key, m) in msgs {
            let key = c.origins.intern(&key);
            c.seq = c.seq.max(m.seq);
            c.order.push_back((m.seq, key));
            c.saved.insert(key);
            c.messages.insert(key, m);
        }
        for (key, l) in links {
            let key = c.origins.intern(&key);
            c.seq = c.seq.max(l.seq);
            c.link_order.push_back((l.seq, key));
            c.saved.insert(key);
            c.links.insert(key, l);
        }
        c
    }

    /// Counters since the correlator was made.
    pub fn stats(&self) -> &CorrelateStats {
        &self.stats
    }

    /// How many unfinished messages it holds.
    pub fn pending(&self) -> usize {
        self.messages.len()
    }

    /// The state changed since the last call, to be saved with the records emitted since.
    ///
    /// A message that came and went between two calls was never saved and is not
    /// mentioned; one that was saved before and is gone now is reported as deleted.
    pub fn take_changes(&mut self) -> Vec<Change> {
        // In no particular order: each change saves or deletes its own key.
        let keys: Vec<Key> = self.dirty.drain().collect();
        let mut changes = Vec::with_capacity(keys.len());
        for k in keys {
            let saved = match (self.messages.get(&k), self.links.get(&k)) {
                (Some(m), _) => Some(Saved::Message(m.clone())),
                (None, Some(l)) => Some(Saved::Link(l.clone())),
                (None, None) => None,
            };
            let was_saved = if saved.is_some() {
                !self.saved.insert(k)
            } else {
                self.saved.remove(&k)
            };
            if saved.is_some() || was_saved {
                changes.push((self.origins.external(&k), saved));
            }
        }
        changes
    }

    /// Feeds one parsed line logged at `time`; what it means is appended to `out`.
    pub fn feed(&mut self, time: DateTime<FixedOffset>, entry: &Entry<'_>, out: &mut impl Sink) {
        for _ in 0..entry.repeat.max(1) {
            self.feed_once(time, entry, out);
        }
    }

    fn key(&mut self, entry: &Entry<'_>, queue_id: &str) -> Key {
        Key {
            origin: self.origins.origin(
                entry.header.host.unwrap_or(""),
                entry.header.program.instance(),
            ),
            qid: Qid::new(queue_id),
        }
    }

    fn feed_once(&mut self, time: DateTime<FixedOffset>, entry: &Entry<'_>, out: &mut impl Sink) {
        let at = time.with_timezone(&Utc);
        match &entry.event {
            Event::ClientLine {
                queue_id,
                client,
                sasl_username,
                orig_queue_id,
                ..
            } => {
                if queue_id.is_noqueue() {
                    return;
                }
                let key = self.key(entry, queue_id.as_str());
                let m = self.start(&key, at, client.addr);
                if let Some(user) = sasl_username {
                    m.sasl_user = Some(user.to_string());
                    m.own_sasl = true;
                }
                if let Some(orig) = orig_queue_id {
                    let parent = self.key(entry, orig.as_str());
                    self.link_existing(&parent, &key, None, out);
                }
            }
            Event::Pickup { queue_id, .. } => {
                // Local submission: the client is this host.
                let key = self.key(entry, queue_id.as_str());
                self.start(&key, at, "127.0.0.1");
            }
            Event::MessageId {
                queue_id,
                message_id,
                resent: false,
            } => {
                let key = self.key(entry, queue_id.as_str());
                let m = self.touch(&key, at);
                m.message_id = Some(message_id.to_string());
            }
            Event::Queued { queue_id, from, .. } => {
                let key = self.key(entry, queue_id.as_str());
                let m = self.touch(&key, at);
                if m.sender.is_none() {
                    m.sender = Some(lower(from));
                }
                if m.queued {
                    return;
                }
                m.queued = true;
                let counts = m.own_sasl && !m.sender.as_deref().is_some_and(belongs_to_nobody);
                if counts {
                    m.emitted = true;
                    let record =
                        message_record(&self.origins, &self.messages, &key, at, Status::AuthRcv);
                    emit(&mut self.stats, record, out);
                }
            }
            Event::Delivery(d) => self.delivery(entry, at, d, out),
            Event::Expired { queue_id, from, .. } => {
                let key = self.key(entry, queue_id.as_str());
                let m = self.touch(&key, at);
                if m.sender.is_none() {
                    m.sender = Some(lower(from));
                }
                let nobody = m.sender.as_deref().is_some_and(belongs_to_nobody);
                let deferred = std::mem::take(&mut m.deferred);
                if nobody {
                    self.stats.notifications += deferred.len() as u64;
                    return;
                }
                m.emitted = m.emitted || !deferred.is_empty();
                for (rcpt, last) in &deferred {
                    let mut record =
                        message_record(&self.origins, &self.messages, &key, at, Status::Expired);
                    record.recipient = Some(rcpt);
                    record.orig_recipient = last.orig_to.as_deref().or(record.orig_recipient);
                    record.dsn = last.dsn.as_deref();
                    record.relay = last.relay.as_deref();
                    record.delay = last.delay;
                    record.response = last.response.as_deref();
                    emit(&mut self.stats, record, out);
                }
            }
            Event::Removed { queue_id } => {
                let key = self.key(entry, queue_id.as_str());
                if !self.finish(&key) {
                    self.stats.orphan_lines += 1;
                }
            }
            Event::Action(a) if a.is_rejection() => self.rejection(entry, at, a, out),
            Event::SaslFailure {
                client,
                mechanism,
                reason,
                username: Some(user),
            } => {
                let sender = user.contains('@').then(|| lower(user));
                let response = format!("SASL {mechanism} authentication failed: {reason}");
                let record = RecordRef {
                    time: at,
                    smtp_relay: entry.header.host.unwrap_or(""),
                    instance: entry.header.program.instance(),
                    queue_id: "NOQUEUE",
                    sender: sender.as_deref(),
                    sender_ip: Some(client.addr),
                    sasl_user: Some(user),
                    recipient: None,
                    orig_recipient: None,
                    status: Status::AuthBlk,
                    dsn: None,
                    relay: None,
                    delay: None,
                    response: Some(&response),
                    message_id: None,
                    orphan: false,
                };
                emit(&mut self.stats, record, out);
            }
            Event::SaslFailure { username: None, .. } => self.stats.unattributed += 1,
            _ => {}
        }
    }

    /// The key of the message `queue_id` on the same host as `origin` (any instance:
    /// a filter may re-inject into another instance), if such a message is known.
    fn known_on_host(&self, origin: u32, queue_id: &str) -> Option<Key> {
        let qid = Qid::new(queue_id);
        self.origins
            .same_host(origin)
            .map(|origin| Key { origin, qid })
            .find(|k| self.messages.contains_key(k))
    }

    /// The start of a submission (smtpd `client=` or pickup) from `client_ip`. A start for
    /// a message that was already queued is a reused ID whose `removed` line was not seen:
    /// the old message is finished first.
    fn start(&mut self, key: &Key, at: DateTime<Utc>, client_ip: &str) -> &mut MessageState {
        if self
            .messages
            .get(key)
            .is_some_and(|m| m.started && m.queued)
        {
            self.finish(key);
        }
        let m = self.touch(key, at);
        m.started = true;
        if m.client_ip.is_none() {
            m.client_ip = Some(client_ip.to_string());
        }
        m
    }

    /// Returns the state of `key`, creating it (from a pending hop link if there is one,
    /// else as an orphan) and marking it recently seen.
    fn touch(&mut self, key: &Key, at: DateTime<Utc>) -> &mut MessageState {
        self.seq += 1;
        let seq = self.seq;
        self.dirty.insert(*key);
        // Most lines are about a known message: one lookup finds it. Only when room must
        // be made (rarely) is the key looked up first, to know whether it is new.
        let full = self.messages.len() >= self.limits.max_pending;
        if (full || self.order_needs_compaction()) && !self.messages.contains_key(key) {
            self.make_room();
        }
        self.order.push_back((seq, *key));
        let m = match self.messages.entry(*key) {
            hash_map::Entry::Occupied(known) => known.into_mut(),
            hash_map::Entry::Vacant(new) => {
                let mut m = MessageState {
                    first_ms: at.timestamp_millis(),
                    ..MessageState::default()
                };
                if let Some(link) = self.links.remove(key) {
                    inherit(&mut m, &link);
                }
                new.insert(m)
            }
        };
        m.seq = seq;
        m
    }

    /// True when the order queue, with a new message added, would hold too many stale
    /// entries.
    fn order_needs_compaction(&self) -> bool {
        self.order.len() > 4 * (self.messages.len() + 1) + 1024
    }

    /// Makes room for one new message before it is added: forgets the least recently seen
    /// past the limit, and drops stale entries from the order queue.
    fn make_room(&mut self) {
        while self.messages.len() >= self.limits.max_pending {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            if self.messages.get(&key).is_some_and(|m| m.seq == seq) {
                self.messages.remove(&key);
                self.dirty.insert(key);
                self.stats.evicted += 1;
            }
        }
        // Keep the order queue from growing without bound with stale entries.
        if self.order_needs_compaction() {
            let messages = &self.messages;
            self.order
                .retain(|(seq, key)| messages.get(key).is_some_and(|m| m.seq == *seq));
        }
    }

    /// Forgets the message `key`; false when it was not known.
    fn finish(&mut self, key: &Key) -> bool {
        let Some(m) = self.messages.remove(key) else {
            return false;
        };
        if !m.started {
            self.stats.orphan_messages += 1;
        }
        self.dirty.insert(*key);
        true
    }

    /// Links `child` (a re-queued copy) to `parent`. If the child is already known it
    /// inherits now (and its stored records are fixed up); else the link waits for it.
    fn link_existing(
        &mut self,
        parent: &Key,
        child: &Key,
        orig_rcpt: Option<String>,
        out: &mut impl Sink,
    ) {
        let Some(p) = self.messages.get(parent) else {
            return;
        };
        let link = Inheritance {
            sender: p.sender.clone(),
            client_ip: p.client_ip.clone(),
            sasl_user: p.sasl_user.clone(),
            orig_rcpt,
            parent: self.origins.text(parent),
            seq: 0,
        };
        if let Some(c) = self.messages.get_mut(child) {
            if c.parent.is_some() {
                return;
            }
            self.stats.hops += 1;
            inherit(c, &link);
            self.dirty.insert(*child);
            if c.emitted {
                let (sender_ip, sasl_user, orig_recipient, first_ms) = (
                    c.client_ip.clone(),
                    c.sasl_user.clone(),
                    c.orig_rcpt.clone(),
                    c.first_ms,
                );
                out.relink(Relink {
                    key: self.origins.external(child),
                    since: DateTime::from_timestamp_millis(first_ms).unwrap_or_default(),
                    sender_ip,
                    sasl_user,
                    orig_recipient,
                });
            }
        } else {
            self.stats.hops += 1;
            self.seq += 1;
            let link = Inheritance {
                seq: self.seq,
                ..link
            };
            self.link_order.push_back((self.seq, *child));
            self.links.insert(*child, link);
            self.dirty.insert(*child);
            while self.links.len() > self.limits.max_pending {
                let Some((seq, key)) = self.link_order.pop_front() else {
                    break;
                };
                if self.links.get(&key).is_some_and(|l| l.seq == seq) {
                    self.links.remove(&key);
                    self.dirty.insert(key);
                    self.stats.evicted += 1;
                }
            }
        }
    }

    fn delivery(
        &mut self,
        entry: &Entry<'_>,
        at: DateTime<Utc>,
        d: &Delivery<'_>,
        out: &mut impl Sink,
    ) {
        if d.status.is_probe() {
            self.stats.probes += 1;
            return;
        }
        let status = match d.status {
            DeliveryStatus::Sent => Status::Sent,
            DeliveryStatus::Deferred | DeliveryStatus::SoftBounce => Status::Deferred,
            DeliveryStatus::Bounced => Status::Bounced,
            DeliveryStatus::Expired => Status::Expired,
            _ => {
                self.stats.unknown_status += 1;
                return;
            }
        };
        let key = self.key(entry, d.queue_id.as_str());
        // Hops: `local`'s `forwarded as NEWID`, and a content filter's `queued as NEWID`
        // on a loopback relay when NEWID is a message of this host (the filter
        // re-injects before it answers, so NEWID's first lines come before this one; a
        // loopback relay whose NEWID is unknown here is a real next hop). Neither is a
        // record; NEWID's deliveries are.
        if status == Status::Sent {
            let forwarded = d.forwarded_as().map(|id| self.key(entry, id.as_str()));
            // The relay is checked first: it is short, the response long.
            let filtered = match is_loopback(d.relay).then(|| d.queued_as()).flatten() {
                Some(id) => self.known_on_host(key.origin, id.as_str()),
                None => None,
            };
            if let Some(child) = forwarded.or(filtered) {
                self.touch(&key, at).deferred.remove(d.to);
                let orig = forwarded.map(|_| d.orig_to.unwrap_or(d.to).to_string());
                self.link_existing(&key, &child, orig, out);
                return;
            }
        }
        let m = self.touch(&key, at);
        let delay = d.delay.and_then(|s| s.parse().ok());
        if status == Status::Deferred {
            m.deferred.insert(
                d.to.to_string(),
                Deferral {
                    orig_to: d.orig_to.map(str::to_string),
                    dsn: d.dsn.map(str::to_string),
                    relay: Some(d.relay.to_string()),
                    delay,
                    response: Some(d.response.to_string()),
                },
            );
        } else {
            m.deferred.remove(d.to);
        }
        if m.sender.as_deref().is_some_and(belongs_to_nobody) {
            self.stats.notifications += 1;
            return;
        }
        m.emitted = true;
        let mut record = message_record(&self.origins, &self.messages, &key, at, status);
        record.recipient = Some(d.to);
        if let Some(orig) = d.orig_to {
            record.orig_recipient = Some(orig);
        }
        record.dsn = d.dsn;
        record.relay = Some(d.relay);
        record.delay = delay;
        record.response = Some(d.response);
        emit(&mut self.stats, record, out);
    }

    fn rejection(
        &mut self,
        entry: &Entry<'_>,
        at: DateTime<Utc>,
        a: &Action<'_>,
        out: &mut impl Sink,
    ) {
        let queued = if a.queue_id.is_noqueue() {
            None
        } else {
            let k = self.key(entry, a.queue_id.as_str());
            // Borrowed: the fields below copy only what the record takes.
            self.messages.get(&k)
        };
        let lowered = a.from.map(lower);
        let sender = lowered
            .as_deref()
            .or_else(|| queued.and_then(|m| m.sender.as_deref()));
        let sasl_user = a
            .sasl_username
            .or_else(|| queued.and_then(|m| m.sasl_user.as_deref()));
        let Some(sender) = sender.filter(|s| !belongs_to_nobody(s)) else {
            self.stats.unattributed += 1;
            return;
        };
        let dsn = a.reply.and_then(dsn_of);
        let record = RecordRef {
            time: at,
            smtp_relay: entry.header.host.unwrap_or(""),
            instance: entry.header.program.instance(),
            queue_id: a.queue_id.as_str(),
            sender: Some(sender),
            sender_ip: a
                .client
                .map(|c| c.addr)
                .or_else(|| queued.and_then(|m| m.client_ip.as_deref())),
            sasl_user,
            recipient: a.to,
            orig_recipient: None,
            status: Status::AuthBlk,
            dsn: dsn.as_deref(),
            relay: None,
            delay: None,
            response: a.reply,
            message_id: queued.and_then(|m| m.message_id.as_deref()),
            orphan: false,
        };
        emit(&mut self.stats, record, out);
    }
}

fn inherit(m: &mut MessageState, link: &Inheritance) {
    m.started = true;
    if link.client_ip.is_some() {
        m.client_ip = link.client_ip.clone();
    }
    if link.sasl_user.is_some() {
        m.sasl_user = link.sasl_user.clone();
    }
    if m.sender.is_none() {
        m.sender = link.sender.clone();
    }
    if link.orig_rcpt.is_some() {
        m.orig_rcpt = link.orig_rcpt.clone();
    }
    m.parent = Some(link.parent.clone());
}

/// A record of the message `key` (which must be known) with its sender, client, SASL
/// user and message-id; the caller fills in the recipient and delivery fields.
fn message_record<'a>(
    origins: &'a Origins,
    messages: &'a FxHashMap<Key, MessageState>,
    key: &'a Key,
    at: DateTime<Utc>,
    status: Status,
) -> RecordRef<'a> {
    let (smtp_relay, instance) = origins.pair(key.origin);
    let m = messages.get(key);
    RecordRef {
        time: at,
        smtp_relay,
        instance,
        queue_id: key.qid.as_str(),
        sender: m.and_then(|m| m.sender.as_deref()),
        sender_ip: m.and_then(|m| m.client_ip.as_deref()),
        sasl_user: m.and_then(|m| m.sasl_user.as_deref()),
        recipient: None,
        orig_recipient: m.and_then(|m| m.orig_rcpt.as_deref()),
        status,
        dsn: None,
        relay: None,
        delay: None,
        response: None,
        message_id: m.and_then(|m| m.message_id.as_deref()),
        orphan: !m.is_some_and(|m| m.started),
    }
}

/// Counts `record` and hands it to `out`.
fn emit(stats: &mut CorrelateStats, record: RecordRef<'_>, out: &mut impl Sink) {
    stats.records[record.status.index()] += 1;
    if record.orphan {
        stats.orphan_records += 1;
    }
    out.record(record);
}
