//! The correlator: a deterministic state machine that follows each message by relay host,
//! Postfix instance and queue ID, and turns parsed lines into [`Record`]s as the lines
//! arrive. No clock, no I/O: the caller feeds it events with their resolved times and
//! saves the changes it reports ([`Correlator::take_changes`]) with the records, so a
//! later run continues exactly where this one stopped.
//!
//! The rules it keeps are those of `docs/records.md` ("From lines to records"): the qmgr
//! `from=` line counts a message once; an expiry emits one record per recipient still
//! deferred, with its last reason; content-filter and `local` forwarding hops are followed
//! and are not records themselves; null-sender and double-bounce mail belongs to nobody;
//! probes and `reject_warning` are not records; lines whose message start was never seen
//! are kept as orphans.

mod filters;
mod key;
mod recent;
mod state;
mod stats;

use std::collections::{VecDeque, hash_map};

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::{DateTime, FixedOffset, Utc};

use crate::parse::{Action, ActionForm, Delivery, DeliveryStatus, Entry, Event};
use crate::record::{Record, RecordRef, Status};
use key::{Key, Origins, Qid};
use recent::Recent;
pub use state::{Deferral, Finished, Inheritance, MessageKey, MessageState, Piped, Saved, Session};
pub use stats::CorrelateStats;

/// Limits of the correlator's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many unfinished messages (and, separately, pending hop links) are kept; past
    /// that the least recently seen are forgotten and counted as evicted.
    pub max_pending: usize,
    /// How long (seconds of log time) a message that left the queue is remembered, for a
    /// filter's answer, copy or `proxy-accept` logged after its `removed` line.
    pub recent_secs: u32,
    /// How many such messages are remembered at most; past that the oldest are
    /// forgotten early and counted (`CorrelateStats::recent_dropped`).
    pub max_recent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending: 500_000,
            recent_secs: 600,
            max_recent: 100_000,
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
    /// A `sent` record already stored turned out to be a filter hop: it is taken back.
    Retract(Retract),
}

/// Where the correlator puts what it finds: records as they are made (borrowed, for the
/// caller to pack or own) and fix-ups of records already stored. A `Vec<Output>` keeps
/// both as [`Output`]s.
pub trait Sink {
    /// A new record.
    fn record(&mut self, record: RecordRef<'_>);
    /// A fix-up of stored records.
    fn relink(&mut self, relink: Relink);
    /// A stored record taken back.
    fn retract(&mut self, retract: Retract);
}

impl Sink for Vec<Output> {
    fn record(&mut self, record: RecordRef<'_>) {
        self.push(Output::Record(record.to_record()));
    }

    fn relink(&mut self, relink: Relink) {
        self.push(Output::Relink(relink));
    }

    fn retract(&mut self, retract: Retract) {
        self.push(Output::Retract(retract));
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
    /// When the message left the queue, if it already had: later records under the same
    /// queue ID belong to another message.
    pub until: Option<DateTime<Utc>>,
    /// The origin's client IP.
    pub sender_ip: Option<String>,
    /// The origin's SASL user.
    pub sasl_user: Option<String>,
    /// The original recipient, for records that have none.
    pub orig_recipient: Option<String>,
}

/// A `sent` record taken back: a delivery to a pipe transport whose copy came back
/// through `pickup`, which makes it a filter hop, not a delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Retract {
    /// The message whose record it is.
    pub key: MessageKey,
    /// When the delivery was logged.
    pub at: DateTime<Utc>,
    /// Its recipient.
    pub recipient: String,
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
    /// Messages that left the queue in the last minutes (`Limits::recent_secs`).
    recent: Recent,
    /// The last session of each smtpd process in front of a before-queue filter; the
    /// key's queue ID is `smtpd[PID]`.
    sessions: FxHashMap<Key, Session>,
    /// Messages that may be one side of a pipe filter hop, by origin and message-id:
    /// local submissions (a copy coming back) and messages delivered to a pipe transport.
    /// Entries are checked when used; a message is taken out when it is forgotten.
    by_message_id: MessageIdIndex,
    /// Transports the configuration names as content filters: a `sent` delivery to one
    /// of them is a hop at once.
    filter_transports: Vec<String>,
    /// When the line being fed was logged.
    now: DateTime<Utc>,
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
    is_loopback_ip(addr) || addr == "localhost"
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
        let mut finished: Vec<(MessageKey, Finished)> = Vec::new();
        for (key, s) in saved {
            match s {
                Saved::Message(m) => msgs.push((key, m)),
                Saved::Link(l) => links.push((key, l)),
                Saved::Finished(f) => finished.push((key, f)),
                Saved::Session(session) => {
                    let key = c.origins.intern(&key);
                    c.saved.insert(key);
                    c.sessions.insert(key, session);
                }
            }
        }
        msgs.sort_by_key(|(_, m)| m.seq);
        links.sort_by_key(|(_, l)| l.seq);
        finished.sort_by_key(|(_, f)| f.finished_ms);
        for (key, m) in msgs {
            let key = c.origins.intern(&key);
            c.seq = c.seq.max(m.seq);
            c.order.push_back((m.seq, key));
            c.saved.insert(key);
            c.index(&key, &m);
            c.messages.insert(key, m);
        }
        for (key, l) in links {
            let key = c.origins.intern(&key);
            c.seq = c.seq.max(l.seq);
            c.link_order.push_back((l.seq, key));
            c.saved.insert(key);
            c.links.insert(key, l);
        }
        for (key, f) in finished {
            let key = c.origins.intern(&key);
            c.saved.insert(key);
            c.index(&key, &f.state);
            c.recent.restore(key, f);
        }
        c
    }

    /// Names transports that are content filters (exact `relay=` values, such as a pipe
    /// transport's name): a `sent` delivery to one is a hop, never a record.
    pub fn with_filter_transports(mut self, names: &[String]) -> Self {
        self.filter_transports = names.to_vec();
        self
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
            // A key is in at most one of these (see `touch` and `finish`).
            let saved = if let Some(m) = self.messages.get(&k) {
                Some(Saved::Message(m.clone()))
            } else if let Some(l) = self.links.get(&k) {
                Some(Saved::Link(l.clone()))
            } else if let Some(f) = self.recent.get(&k) {
                Some(Saved::Finished(f.clone()))
            } else {
                self.sessions.get(&k).cloned().map(Saved::Session)
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
        self.now = at;
        match &entry.event {
            Event::ClientLine {
                queue_id,
                client,
                sasl_username,
                orig_queue_id,
                ..
            } => {
                if queue_id.is_noqueue() {
                    // In front of a before-queue filter: the session's message gets its
                    // queue ID behind the filter, named by `proxy-accept`.
                    self.session_start(entry, at, client.addr, *sasl_username);
                    return;
                }
                let key = self.key(entry, queue_id.as_str());
                let m = self.start(&key, at, client.addr);
                if let Some(user) = sasl_username {
                    m.sasl_user = Some(user.to_string());
                    m.own_sasl = true;
                }
                // XFORWARD names the origin: the filter's answer `queued as` this copy is
                // a hop however late it is logged.
                if let Some(parent) =
                    orig_queue_id.and_then(|orig| self.known_on_host(key.origin, orig.as_str()))
                {
                    let copy = key.qid.as_str().to_string();
                    if let Some(p) = self.messages.get_mut(&parent)
                        && !p.copies.contains(&copy)
                    {
                        p.copies.push(copy);
                        self.dirty.insert(parent);
                    }
                    self.link(&parent, &key, None, out);
                }
            }
            Event::Pickup { queue_id, .. } => {
                // Local submission: the client is this host.
                let key = self.key(entry, queue_id.as_str());
                let m = self.start(&key, at, "127.0.0.1");
                m.picked_up = true;
            }
            Event::MessageId {
                queue_id,
                message_id,
                resent: false,
            } => {
                let key = self.key(entry, queue_id.as_str());
                let m = self.touch(&key, at);
                m.message_id = Some(message_id.to_string());
                if m.picked_up && m.parent.is_none() {
                    self.index_key(&key);
                }
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
                m.queued_ms = at.timestamp_millis();
                if m.picked_up && m.parent.is_none() {
                    self.pipe_copy_queued(&key, out);
                }
                let Some(m) = self.messages.get_mut(&key) else {
                    return;
                };
                let counts = m.own_sasl && !m.sender.as_deref().is_some_and(belongs_to_nobody);
                if counts {
                    m.emitted = true;
                    let record = message_record(
                        &self.origins,
                        self.messages.get(&key),
                        &key,
                        at,
                        Status::AuthRcv,
                    );
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
                    let mut record = message_record(
                        &self.origins,
                        self.messages.get(&key),
                        &key,
                        at,
                        Status::Expired,
                    );
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
                if !self.finish(&key, at) {
                    self.stats.orphan_lines += 1;
                }
            }
            Event::Action(a) if a.is_rejection() => self.rejection(entry, at, a, out),
            Event::Action(a) if a.action == "proxy-accept" => self.proxy_accept(entry, a, out),
            Event::Action(a) if a.action == "proxy-reject" => {
                self.session_end(entry);
            }
            Event::Disconnect { .. } => {
                self.session_end(entry);
            }
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
            self.finish(key, at);
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
        if full && !self.messages.contains_key(key) {
            self.make_room();
        }
        // Every line leaves an entry; one message's lines alone (millions of deliveries
        // of a message that never leaves the queue) must not grow the queue either.
        if self.order_needs_compaction() {
            self.compact_order();
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
                    // A link announced long before is stale: its message never came here
                    // (or came and went unseen), and this is another one.
                    let window_ms = i64::from(self.limits.recent_secs) * 1000;
                    if link.at_ms == 0 || m.first_ms - link.at_ms <= window_ms {
                        inherit(&mut m, &link);
                    } else {
                        self.stats.evicted += 1;
                    }
                }
                // A queue ID used again: the message that had it is forgotten.
                if let Some(old) = self.recent.remove(key) {
                    unindex(&mut self.by_message_id, key, &old.state);
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

    /// Drops the order queue's stale entries (those of messages seen again since, or
    /// gone). Run when they outnumber the live ones about four to one, so each line pays
    /// for it a constant amount.
    fn compact_order(&mut self) {
        let messages = &self.messages;
        self.order
            .retain(|(seq, key)| messages.get(key).is_some_and(|m| m.seq == *seq));
    }

    /// Makes room for one new message before it is added: forgets the least recently seen
    /// past the limit.
    fn make_room(&mut self) {
        while self.messages.len() >= self.limits.max_pending {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            if self.messages.get(&key).is_some_and(|m| m.seq == seq) {
                let m = self.messages.remove(&key).expect("present");
                unindex(&mut self.by_message_id, &key, &m);
                self.dirty.insert(key);
                self.stats.evicted += 1;
            }
        }
    }

    /// The message `key` left the queue at `at`; false when it was not known. A message
    /// that may still be named by a filter's late line is remembered for a while.
    fn finish(&mut self, key: &Key, at: DateTime<Utc>) -> bool {
        let Some(m) = self.messages.remove(key) else {
            return false;
        };
        if !m.started {
            self.stats.orphan_messages += 1;
        }
        self.dirty.insert(*key);
        if !may_be_named_later(&m) {
            unindex(&mut self.by_message_id, key, &m);
            return true;
        }
        let finished = Finished {
            state: m,
            finished_ms: at.timestamp_millis(),
        };
        let window_ms = i64::from(self.limits.recent_secs) * 1000;
        let dropped = self
            .recent
            .insert(*key, finished, window_ms, self.limits.max_recent);
        self.stats.recent_dropped += dropped.early;
        for (k, f) in dropped.keys {
            unindex(&mut self.by_message_id, &k, &f.state);
            self.dirty.insert(k);
        }
        true
    }

    /// Links `child` (a re-queued copy, in the queue or recently gone) to `parent` (in the
    /// queue or recently gone). A known child inherits now (and its stored records are
    /// fixed up); else the link waits for it. False when the parent is unknown.
    fn link(
        &mut self,
        parent: &Key,
        child: &Key,
        orig_rcpt: Option<String>,
        out: &mut impl Sink,
    ) -> bool {
        let Some(p) = self
            .messages
            .get(parent)
            .or_else(|| self.recent.get(parent).map(|f| &f.state))
        else {
            return false;
        };
        let link = Inheritance {
            sender: p.sender.clone(),
            client_ip: p.client_ip.clone(),
            sasl_user: p.sasl_user.clone(),
            orig_rcpt,
            parent: self.origins.text(parent),
            seq: 0,
            own_sasl: false,
            at_ms: 0,
        };
        self.hand_down(child, link, out);
        true
    }

    /// Gives `child` what `link` carries: now, if the child is in the queue or recently
    /// gone (fixing up its stored records), else when it appears.
    fn hand_down(&mut self, child: &Key, link: Inheritance, out: &mut impl Sink) {
        let (c, until) = match self.messages.get_mut(child) {
            Some(c) => (c, None),
            None => match self.recent.get_mut(child) {
                Some(f) => (&mut f.state, Some(f.finished_ms)),
                None => {
                    self.stats.hops += 1;
                    self.wait_for(child, link);
                    return;
                }
            },
        };
        if c.parent.is_some() {
            return;
        }
        self.stats.hops += 1;
        // A before-queue filter's mail counts as a SASL submission when its session
        // logged in: if it was queued already, its `auth_rcv` comes now.
        let late_auth = link.own_sasl
            && !c.own_sasl
            && c.queued
            && !c.sender.as_deref().is_some_and(belongs_to_nobody);
        inherit(c, &link);
        self.dirty.insert(*child);
        if c.emitted {
            out.relink(Relink {
                key: self.origins.external(child),
                since: DateTime::from_timestamp_millis(c.first_ms).unwrap_or_default(),
                until: until.and_then(DateTime::from_timestamp_millis),
                sender_ip: c.client_ip.clone(),
                sasl_user: c.sasl_user.clone(),
                orig_recipient: c.orig_rcpt.clone(),
            });
        }
        if late_auth {
            c.emitted = true;
            let at = DateTime::from_timestamp_millis(c.queued_ms).unwrap_or_default();
            let record = message_record(&self.origins, Some(c), child, at, Status::AuthRcv);
            emit(&mut self.stats, record, out);
        }
    }

    /// Keeps `link` until the message `child` appears.
    fn wait_for(&mut self, child: &Key, link: Inheritance) {
        self.seq += 1;
        let link = Inheritance {
            seq: self.seq,
            at_ms: self.now.timestamp_millis(),
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
        self.touch(&key, at);
        let hop = status == Status::Sent && self.is_hop(entry, at, &key, d, out);
        let Some(m) = self.messages.get_mut(&key) else {
            return;
        };
        if hop {
            m.deferred.remove(d.to);
            return;
        }
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
        let mut record = message_record(&self.origins, self.messages.get(&key), &key, at, status);
        record.recipient = Some(d.to);
        if let Some(orig) = d.orig_to {
            record.orig_recipient = Some(orig);
        }
        record.dsn = d.dsn;
        record.relay = Some(d.relay);
        record.delay = delay;
        record.response = Some(d.response);
        emit(&mut self.stats, record, out);
        if status == Status::Sent && is_pipe(entry) {
            self.piped(&key, at, d.to, true);
        }
    }

    fn rejection(
        &mut self,
        entry: &Entry<'_>,
        at: DateTime<Utc>,
        a: &Action<'_>,
        out: &mut impl Sink,
    ) {
        self.refusal(entry, at, a, out);
        if ends_message(a) {
            // Postfix drops the queue file without a `removed` line: the message ends here.
            let k = self.key(entry, a.queue_id.as_str());
            self.finish(&k, at);
        }
    }

    /// The `auth_blk` record of a refusal, when it names a sender.
    fn refusal(
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

/// True when a verdict refuses a whole queued message (not one recipient of it): a
/// content check of cleanup, or a refusal at the end of DATA. Postfix then discards the
/// queue file and logs no `removed` line.
fn ends_message(a: &Action<'_>) -> bool {
    !a.queue_id.is_noqueue()
        && (a.form == ActionForm::Cleanup || matches!(a.stage, "END-OF-MESSAGE" | "DATA"))
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
    m.own_sasl |= link.own_sasl;
    // A before-queue filter's session is no queued message: no parent to name.
    if !link.parent.is_empty() {
        m.parent = Some(link.parent.clone());
    }
}

/// True when a message that left the queue may still be named by a later line: the copy
/// of a filter hop (submitted from this host and not yet tied to its origin; a filter's
/// answer or a `proxy-accept` may come after its `removed`), or a message whose pipe
/// deliveries wait for their copy.
fn may_be_named_later(m: &MessageState) -> bool {
    let copy = m.parent.is_none() && m.client_ip.as_deref().is_some_and(is_loopback_ip);
    copy || !m.piped.is_empty() || m.pipe_filtered
}

/// True for a line of `pipe(8)` (`postfix/pipe`, `postfix-out/pipe`, ...).
fn is_pipe(entry: &Entry<'_>) -> bool {
    // No searcher: this is asked of every delivery.
    let tag = entry.header.program.as_str();
    tag.ends_with("/pipe") || tag == "pipe"
}

/// True for an address of this host.
fn is_loopback_ip(addr: &str) -> bool {
    addr.starts_with("127.") || addr == "::1"
}

/// Messages by origin and a hash of their message-id (compared in full when used).
type MessageIdIndex = FxHashMap<(u32, u64), Vec<Key>>;

/// The index slot of `message_id` logged by `origin`.
fn mid_slot(origin: u32, message_id: &str) -> (u32, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    message_id.hash(&mut h);
    (origin, h.finish())
}

/// Takes `key` out of the message-id index, if `m` may have put it there.
fn unindex(index: &mut MessageIdIndex, key: &Key, m: &MessageState) {
    let Some(mid) = m.message_id.as_deref() else {
        return;
    };
    if !(m.picked_up || m.pipe_filtered || !m.piped.is_empty()) {
        return;
    }
    let slot = mid_slot(key.origin, mid);
    if let Some(keys) = index.get_mut(&slot) {
        keys.retain(|k| k != key);
        if keys.is_empty() {
            index.remove(&slot);
        }
    }
}

/// A record of the message `key` (which must be known) with its sender, client, SASL
/// user and message-id; the caller fills in the recipient and delivery fields.
fn message_record<'a>(
    origins: &'a Origins,
    m: Option<&'a MessageState>,
    key: &'a Key,
    at: DateTime<Utc>,
    status: Status,
) -> RecordRef<'a> {
    let (smtp_relay, instance) = origins.pair(key.origin);
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

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;
    use crate::parse::{Parsed, parse_line};

    /// One message's deliveries, a million lines of them, keep the order queue (one
    /// entry a line, stale ones dropped) as small as for one line: memory does not grow
    /// with the lines of a message that never leaves the queue.
    #[test]
    fn one_message_seen_again_and_again_keeps_the_order_queue_small() {
        let line = "Mar  1 10:00:00 relay1 postfix/smtp[2001]: 4QmX1a2B3c: to=<a@example.org>, \
                    relay=mx.example.org[192.0.2.1]:25, delay=0.31, delays=0.1/0/0.1/0.11, \
                    dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D)";
        let Parsed::Entry(entry) = parse_line(line) else {
            panic!("not an entry: {line}");
        };
        let at = FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
            .unwrap();
        /// Counts records, keeps nothing.
        struct Count(u64);
        impl Sink for Count {
            fn record(&mut self, _: RecordRef<'_>) {
                self.0 += 1;
            }
            fn relink(&mut self, _: Relink) {}
            fn retract(&mut self, _: Retract) {}
        }
        let mut correlator = Correlator::new(Limits::default());
        let mut sink = Count(0);
        let mut longest = 0;
        for _ in 0..1_000_000 {
            correlator.feed(at, &entry, &mut sink);
            longest = longest.max(correlator.order.len());
        }
        assert_eq!(sink.0, 1_000_000);
        assert_eq!(correlator.messages.len(), 1);
        assert!(
            longest <= 4 * 2 + 1024 + 1,
            "the order queue reached {longest}"
        );
    }
}
