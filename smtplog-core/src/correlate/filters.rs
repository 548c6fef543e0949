//! Hops: deliveries that hand a message to a content filter or a forward, whose copy
//! comes back under a new queue ID. The hop line is not a record; the copy's deliveries
//! are, with the origin's client and SASL user. Postfix's three filter designs and
//! `local` forwarding each tie the two queue IDs their own way:
//!
//! - `local`: `status=sent (forwarded as NEWID)`.
//! - After-queue SMTP filter (amavis style): `status=sent (250 ... queued as NEWID)`.
//!   With XFORWARD the copy's smtpd names its origin (`orig_queue_id=`); without it, the
//!   copy is a message of this host submitted from a loopback client. Either way the
//!   copy may already have been delivered and removed when the answer is logged.
//! - Pipe filter (a `pipe(8)` script re-submitting with `sendmail`): the copy comes back
//!   through `pickup` with the same message-id and sender, before or after the pipe
//!   line. A pipe delivery whose copy never comes back is a real delivery; one that was
//!   stored before its copy came back is taken back. Transports named in the
//!   configuration are filters at once.
//! - Before-queue filter (`smtpd_proxy_filter`): the smtpd in front logs the session
//!   (`NOQUEUE: client=..., sasl_username=`) and `proxy-accept: ... queued as NEWID`;
//!   NEWID is born behind the filter and takes that client and SASL login.

use chrono::{DateTime, Utc};

use super::key::{Key, Qid};
use super::state::{Inheritance, MessageState, Piped, Session};
use super::{
    Correlator, MessageIdIndex, Retract, Sink, is_loopback, is_loopback_ip, is_pipe, mid_slot,
};
use crate::parse::{Action, Delivery, Entry, queued_as};

impl Correlator {
    /// True when the `sent` delivery `d` of the message `key` (known) is a hop; the hop
    /// is followed.
    pub(super) fn is_hop(
        &mut self,
        entry: &Entry<'_>,
        at: DateTime<Utc>,
        key: &Key,
        d: &Delivery<'_>,
        out: &mut impl Sink,
    ) -> bool {
        if let Some(id) = d.forwarded_as() {
            let child = self.key(entry, id.as_str());
            let orig = d.orig_to.unwrap_or(d.to).to_string();
            self.link(key, &child, Some(orig), out);
            return true;
        }
        // Only a loopback relay or a message with copies can be a filter's answer: the
        // relay is short, the response long.
        let may_answer =
            is_loopback(d.relay) || self.messages.get(key).is_some_and(|m| !m.copies.is_empty());
        if may_answer
            && let Some(id) = d.queued_as()
            && self.filter_answer(key, d.relay, id.as_str(), out)
        {
            return true;
        }
        self.pipe_delivery(entry, at, key, d, out)
    }

    /// A content filter's answer `queued as id` to a delivery of `key` over `relay`: true
    /// when `id` is the copy of `key` on this host.
    fn filter_answer(&mut self, key: &Key, relay: &str, id: &str, out: &mut impl Sink) -> bool {
        let named = self
            .messages
            .get(key)
            .is_some_and(|m| m.copies.iter().any(|c| c == id));
        if named {
            // Linked when the copy's smtpd named this message (XFORWARD).
            if self.known_on_host(key.origin, id).is_none() {
                self.stats.raced += 1;
            }
            return true;
        }
        if !is_loopback(relay) {
            // Without XFORWARD only a filter on this host is recognised: a remote
            // server's queue ID may be anything.
            return false;
        }
        // Re-injected from this host: the copy's client is a loopback address.
        if let Some(child) = self.known_on_host(key.origin, id)
            && self.messages.get(&child).is_some_and(from_loopback)
        {
            self.link(key, &child, None, out);
            return true;
        }
        // The copy may have been delivered and removed before the answer was logged.
        let Some(child) = self.recent_on_host(key.origin, id) else {
            return false;
        };
        let copy = &self.recent.get(&child).expect("found").state;
        let parent = self.messages.get(key);
        let ours = match &copy.parent {
            // Tied by an earlier answer line of the same delivery.
            Some(p) => *p == self.origins.text(key),
            None => from_loopback(copy) && copy.first_ms >= parent.map_or(0, |p| p.first_ms),
        };
        if !ours {
            return false;
        }
        self.stats.raced += 1;
        self.link(key, &child, None, out)
    }

    /// The message `queue_id` that left the queue recently on the host of `origin`.
    fn recent_on_host(&self, origin: u32, queue_id: &str) -> Option<Key> {
        let qid = Qid::new(queue_id);
        self.origins
            .same_host(origin)
            .map(|origin| Key { origin, qid })
            .find(|k| self.recent.get(k).is_some())
    }

    /// The state of `key`, in the queue or recently gone.
    fn state(&self, key: &Key) -> Option<&MessageState> {
        self.messages
            .get(key)
            .or_else(|| self.recent.get(key).map(|f| &f.state))
    }

    fn state_mut(&mut self, key: &Key) -> Option<&mut MessageState> {
        match self.messages.get_mut(key) {
            Some(m) => Some(m),
            None => self.recent.get_mut(key).map(|f| &mut f.state),
        }
    }

    // ---- pipe filters ------------------------------------------------------------------

    /// A `sent` delivery of `key` to a pipe transport (or a transport named as a filter):
    /// true when it is a hop (no record).
    fn pipe_delivery(
        &mut self,
        entry: &Entry<'_>,
        at: DateTime<Utc>,
        key: &Key,
        d: &Delivery<'_>,
        out: &mut impl Sink,
    ) -> bool {
        let named = self.filter_transports.iter().any(|t| t == d.relay);
        if !named && !is_pipe(entry) {
            return false;
        }
        if self.messages.get(key).is_some_and(|m| m.pipe_filtered) {
            return true;
        }
        if let Some(copy) = self.returned_copy(key) {
            self.tie(key, &copy, out);
            return true;
        }
        if named {
            self.piped(key, at, d.to, false);
            return true;
        }
        false
    }

    /// Notes a pipe delivery of `key` (in the queue) that waits for its copy; `recorded`
    /// when it was stored as a `sent` record.
    pub(super) fn piped(&mut self, key: &Key, at: DateTime<Utc>, to: &str, recorded: bool) {
        let Some(m) = self.messages.get_mut(key) else {
            return;
        };
        let first = m.piped.is_empty() && !m.pipe_filtered;
        m.piped.push(Piped {
            to: to.to_string(),
            at_ms: at.timestamp_millis(),
            recorded,
        });
        self.dirty.insert(*key);
        if first {
            self.index_key(key);
        }
    }

    /// A local submission of this host, queued already, that is a copy of `parent` come
    /// back from a pipe filter: same message-id and sender, submitted after it, not tied
    /// to anything yet.
    fn returned_copy(&self, parent: &Key) -> Option<Key> {
        let p = self.messages.get(parent)?;
        let mid = p.message_id.as_deref()?;
        self.same_message_id(parent, mid).find(|k| {
            self.state(k).is_some_and(|c| {
                c.picked_up
                    && c.queued
                    && c.parent.is_none()
                    && c.sender == p.sender
                    && c.first_ms >= p.first_ms
            })
        })
    }

    /// The copy `key` (a local submission, just queued) came back from a pipe filter when
    /// a message with its message-id and sender was delivered to a pipe transport shortly
    /// before: then that is its origin.
    pub(super) fn pipe_copy_queued(&mut self, key: &Key, out: &mut impl Sink) {
        let Some(c) = self.messages.get(key) else {
            return;
        };
        let Some(mid) = c.message_id.as_deref() else {
            return;
        };
        let parent = self
            .same_message_id(key, mid)
            .filter_map(|k| self.state(&k).map(|p| (k, p)))
            .filter(|(_, p)| {
                (p.pipe_filtered || !p.piped.is_empty())
                    && p.sender == c.sender
                    && p.first_ms <= c.first_ms
            })
            .max_by_key(|(_, p)| p.first_ms)
            .map(|(k, _)| k);
        if let Some(parent) = parent {
            self.tie(&parent, key, out);
        }
    }

    /// `copy` came back from the pipe filter `parent` was delivered to: every pipe
    /// delivery of `parent` is a hop (those stored are taken back), and `copy` takes its
    /// client and SASL user.
    fn tie(&mut self, parent: &Key, copy: &Key, out: &mut impl Sink) {
        let Some(p) = self.state_mut(parent) else {
            return;
        };
        p.pipe_filtered = true;
        let piped = std::mem::take(&mut p.piped);
        self.dirty.insert(*parent);
        for d in piped.into_iter().filter(|d| d.recorded) {
            self.stats.retracted += 1;
            out.retract(Retract {
                key: self.origins.external(parent),
                at: DateTime::from_timestamp_millis(d.at_ms).unwrap_or_default(),
                recipient: d.to,
            });
        }
        self.link(parent, copy, None, out);
    }

    /// The other messages of the host of `key` indexed under `message_id`.
    fn same_message_id<'s>(
        &'s self,
        key: &'s Key,
        message_id: &'s str,
    ) -> impl Iterator<Item = Key> + 's {
        self.origins
            .same_host(key.origin)
            .filter_map(move |origin| self.by_message_id.get(&mid_slot(origin, message_id)))
            .flatten()
            .copied()
            .filter(move |k| {
                k != key && self.state(k).and_then(|m| m.message_id.as_deref()) == Some(message_id)
            })
    }

    /// Indexes the message `key` (in the queue) by its message-id.
    pub(super) fn index_key(&mut self, key: &Key) {
        if let Some(mid) = self.messages.get(key).and_then(|m| m.message_id.as_deref()) {
            add_to_index(&mut self.by_message_id, key, mid);
        }
    }

    /// Indexes a restored message if it may be one side of a pipe filter hop.
    pub(super) fn index(&mut self, key: &Key, m: &MessageState) {
        let side = (m.picked_up && m.parent.is_none()) || m.pipe_filtered || !m.piped.is_empty();
        if let Some(mid) = m.message_id.as_deref().filter(|_| side) {
            add_to_index(&mut self.by_message_id, key, mid);
        }
    }

    // ---- before-queue filters ----------------------------------------------------------

    /// The key of the session of the smtpd process that logged `entry`.
    fn session_key(&mut self, entry: &Entry<'_>) -> Option<Key> {
        let pid = entry.header.pid?;
        let origin = self.origins.origin(
            entry.header.host.unwrap_or(""),
            entry.header.program.instance(),
        );
        Some(Key {
            origin,
            qid: Qid::new(&format!("smtpd[{pid}]")),
        })
    }

    /// `NOQUEUE: client=...`: an smtpd in front of a before-queue filter started a
    /// message of `client_ip` (logged in as `sasl_user`).
    pub(super) fn session_start(
        &mut self,
        entry: &Entry<'_>,
        at: DateTime<Utc>,
        client_ip: &str,
        sasl_user: Option<&str>,
    ) {
        let Some(key) = self.session_key(entry) else {
            return;
        };
        if self.sessions.len() >= self.limits.max_pending
            && !self.sessions.contains_key(&key)
            && let Some(oldest) = self
                .sessions
                .iter()
                .min_by_key(|(_, s)| s.at_ms)
                .map(|(k, _)| *k)
        {
            self.sessions.remove(&oldest);
            self.dirty.insert(oldest);
            self.stats.evicted += 1;
        }
        self.sessions.insert(
            key,
            Session {
                client_ip: client_ip.to_string(),
                sasl_user: sasl_user.map(str::to_string),
                at_ms: at.timestamp_millis(),
            },
        );
        self.dirty.insert(key);
    }

    /// The session of the smtpd process that logged `entry` ended (`proxy-reject`,
    /// `disconnect`).
    pub(super) fn session_end(&mut self, entry: &Entry<'_>) -> Option<Session> {
        if self.sessions.is_empty() {
            return None;
        }
        let key = self.session_key(entry)?;
        let session = self.sessions.remove(&key)?;
        self.dirty.insert(key);
        Some(session)
    }

    /// `proxy-accept: ... queued as NEWID`: the message of the process's session is NEWID,
    /// behind the filter; NEWID takes the session's client and SASL login.
    pub(super) fn proxy_accept(&mut self, entry: &Entry<'_>, a: &Action<'_>, out: &mut impl Sink) {
        let session = self.session_end(entry);
        let Some(id) = a.reply.and_then(queued_as) else {
            return;
        };
        let sasl_user = a
            .sasl_username
            .map(|u| u.trim_start_matches('<').trim_end_matches('>').to_string())
            .filter(|u| !u.is_empty())
            .or_else(|| session.as_ref().and_then(|s| s.sasl_user.clone()));
        let client_ip = session.map(|s| s.client_ip);
        if client_ip.is_none() && sasl_user.is_none() {
            return;
        }
        let key = self.key(entry, id.as_str());
        let child = self
            .known_on_host(key.origin, id.as_str())
            .or_else(|| self.recent_on_host(key.origin, id.as_str()))
            .unwrap_or(key);
        let link = Inheritance {
            sender: None,
            client_ip,
            own_sasl: sasl_user.is_some(),
            sasl_user,
            orig_rcpt: None,
            parent: String::new(),
            seq: 0,
            at_ms: 0,
        };
        self.hand_down(&child, link, out);
    }
}

/// Files `key` under `message_id` in `index`, once.
fn add_to_index(index: &mut MessageIdIndex, key: &Key, message_id: &str) {
    let keys = index.entry(mid_slot(key.origin, message_id)).or_default();
    if !keys.contains(key) {
        keys.push(*key);
    }
}

/// True when `m` was submitted from a loopback address (or by `pickup`).
fn from_loopback(m: &MessageState) -> bool {
    m.client_ip.as_deref().is_some_and(is_loopback_ip)
}
