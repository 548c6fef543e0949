//! Trace: the administrators' answer to "what happened to this mail?". Given a queue ID
//! or a message-id, it gathers every stored record of the message(s) it names, on every
//! relay host and Postfix instance, groups them per message and orders them in time.
//!
//! The store holds records, not log lines, so a trace shows what became a record (the
//! accepted submission, each delivery attempt, expiry, refusals) and not the lines that
//! did not (connect, cleanup, `removed`, a content filter's hand-off). Hops are followed
//! as far as the store allows: a content filter or a `local` forward re-queues the mail
//! under a new queue ID with the same Message-ID header, so records sharing the
//! message-id are shown as hops; a message still in the queue also names its origin in
//! the correlator's saved state. The store keeps no parent column for finished messages,
//! so a hop whose new message has another message-id is not found.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use chrono_tz::Tz;

use crate::correlate::{MessageKey, Saved};
use crate::store::{self, Store, StoredRecord};

use super::text::{TIME_FORMAT, clean};

/// How a message came into a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Found {
    /// It has the queue ID or message-id asked for.
    Asked,
    /// It shares a message-id with a message asked for: a content-filter or forwarding
    /// hop, or another copy of the same mail.
    SameMessageId,
    /// The saved state of a queued message names it as its origin.
    Origin,
}

impl Found {
    /// A short explanation.
    pub fn describe(&self) -> &'static str {
        match self {
            Found::Asked => "asked for",
            Found::SameMessageId => {
                "same message-id: a content-filter or forwarding hop, or a copy"
            }
            Found::Origin => "origin of a re-queued message (from the queue's saved state)",
        }
    }
}

/// One message of a trace: its records on one host and instance under one queue ID and
/// message-id.
#[derive(Clone, Debug, PartialEq)]
pub struct TracedMessage {
    /// The relay host that logged it.
    pub host: String,
    /// The Postfix instance.
    pub instance: String,
    /// The queue ID (`NOQUEUE` for refusals).
    pub queue_id: String,
    /// The message-id, when known.
    pub message_id: Option<String>,
    /// How it came into the trace.
    pub found: Found,
    /// Its records, in time order.
    pub records: Vec<StoredRecord>,
}

/// What the queue still holds of a traced queue ID: an unfinished message (with its
/// deferred recipients) or a hop link waiting for its new message.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The message.
    pub key: MessageKey,
    /// The correlator's saved state.
    pub state: Saved,
}

/// Everything stored about one queue ID or message-id.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// What was asked for.
    pub id: String,
    /// The messages, ordered by their first record.
    pub messages: Vec<TracedMessage>,
    /// The saved state of unfinished messages with the asked queue ID.
    pub pending: Vec<Pending>,
}

impl Trace {
    /// True when nothing at all was found.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.pending.is_empty()
    }

    /// How many records the trace holds.
    pub fn record_count(&self) -> usize {
        self.messages.iter().map(|m| m.records.len()).sum()
    }
}

/// True when `id` is read as a message-id rather than a queue ID.
pub fn is_message_id(id: &str) -> bool {
    id.contains('@') || id.starts_with('<')
}

/// The spellings of a message-id to look up: with and without angle brackets.
fn message_id_forms(id: &str) -> Vec<String> {
    let bare = id.trim_start_matches('<').trim_end_matches('>');
    vec![format!("<{bare}>"), bare.to_string()]
}

/// Traces `id`: a queue ID (any host, any instance, every reuse) or a message-id (with
/// or without its angle brackets), then the hops found through shared message-ids and
/// through the origins named in the queue's saved state. `NOQUEUE` names no message and
/// finds nothing.
pub fn trace(store: &Store, id: &str) -> store::Result<Trace> {
    let id = id.trim();
    let mut found: Vec<(StoredRecord, Found)> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    let mut add =
        |records: Vec<StoredRecord>, how: Found, found: &mut Vec<(StoredRecord, Found)>| {
            for r in records {
                if seen.insert(r.id) {
                    found.push((r, how));
                }
            }
        };
    let mut queried_mids: HashSet<String> = HashSet::new();
    let mut pending = Vec::new();
    if id.is_empty() || id.eq_ignore_ascii_case("NOQUEUE") {
        return Ok(Trace {
            id: id.to_string(),
            messages: Vec::new(),
            pending,
        });
    }
    if !is_message_id(id) {
        add(store.records_of_queue_id(id)?, Found::Asked, &mut found);
        pending = store
            .pending_of_queue_id(id)?
            .into_iter()
            // Messages that left the queue are remembered only to tie late filter lines
            // to them; their records are stored.
            .filter(|(_, state)| matches!(state, Saved::Message(_) | Saved::Link(_)))
            .map(|(key, state)| Pending { key, state })
            .collect();
    }
    if is_message_id(id) || (found.is_empty() && pending.is_empty()) {
        for form in message_id_forms(id) {
            add(
                store.records_of_message_id(&form)?,
                Found::Asked,
                &mut found,
            );
            queried_mids.insert(form);
        }
    }
    // Hops through shared message-ids.
    let mids: Vec<String> = found
        .iter()
        .filter_map(|(r, _)| r.record.message_id.clone())
        .filter(|m| !m.is_empty() && !queried_mids.contains(m))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for m in mids {
        add(
            store.records_of_message_id(&m)?,
            Found::SameMessageId,
            &mut found,
        );
    }
    // Origins named by the saved state of a message still queued.
    for p in &pending {
        let parent = match &p.state {
            Saved::Message(m) => m.parent.clone(),
            Saved::Link(l) => Some(l.parent.clone()),
            Saved::Finished(_) | Saved::Session(_) => None,
        };
        if let Some(parent) = parent.as_deref().and_then(MessageKey::from_text) {
            let records = store
                .records_of_queue_id(&parent.queue_id)?
                .into_iter()
                .filter(|r| {
                    r.record.smtp_relay == parent.host && r.record.instance == parent.instance
                })
                .collect();
            add(records, Found::Origin, &mut found);
        }
    }

    type GroupKey = (String, String, String, Option<String>);
    let mut groups: BTreeMap<GroupKey, TracedMessage> = BTreeMap::new();
    for (s, how) in found {
        let r = &s.record;
        let key = (
            r.smtp_relay.clone(),
            r.instance.clone(),
            r.queue_id.clone(),
            r.message_id.clone(),
        );
        let g = groups.entry(key).or_insert_with(|| TracedMessage {
            host: r.smtp_relay.clone(),
            instance: r.instance.clone(),
            queue_id: r.queue_id.clone(),
            message_id: r.message_id.clone(),
            found: how,
            records: Vec::new(),
        });
        g.found = g.found.min(how);
        g.records.push(s);
    }
    let mut messages: Vec<TracedMessage> = groups.into_values().collect();
    for m in &mut messages {
        m.records.sort_by_key(|s| (s.record.time, s.id));
    }
    messages.sort_by_key(|m| m.records.first().map(|s| (s.record.time, s.id)));
    Ok(Trace {
        id: id.to_string(),
        messages,
        pending,
    })
}

fn or_dash(v: Option<&str>) -> String {
    clean(v.unwrap_or("-")).into_owned()
}

/// Writes a trace as text for a terminal, times in `zone`.
pub fn render_text<W: Write + ?Sized>(trace: &Trace, zone: Tz, out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "Trace of {}: {} message(s), {} record(s); times in {}.",
        clean(&trace.id),
        trace.messages.len(),
        trace.record_count(),
        zone.name()
    )?;
    for m in &trace.messages {
        writeln!(out)?;
        writeln!(
            out,
            "== {} on {} (instance {}) [{}]",
            clean(&m.queue_id),
            clean(&m.host),
            clean(&m.instance),
            m.found.describe()
        )?;
        writeln!(out, "   message-id: {}", or_dash(m.message_id.as_deref()))?;
        // The submission's facts, from the first record that has them.
        let first = |f: fn(&StoredRecord) -> Option<&str>| m.records.iter().find_map(f);
        let sender = first(|s| s.record.sender.as_deref());
        let client = first(|s| s.record.sender_ip.as_deref());
        let sasl = first(|s| s.record.sasl_user.as_deref());
        writeln!(
            out,
            "   sender: {}  client: {}  SASL user: {}",
            or_dash(sender),
            or_dash(client),
            or_dash(sasl)
        )?;
        if m.records.iter().any(|s| s.record.orphan) {
            writeln!(
                out,
                "   (orphan: the start of this message was not in the logs read; its client is unknown)"
            )?;
        }
        for s in &m.records {
            let r = &s.record;
            let mut line = format!(
                "   {}  {:<8}",
                r.time.with_timezone(&zone).format(TIME_FORMAT),
                r.status.as_str()
            );
            let mut field = |name: &str, v: Option<&str>| {
                if let Some(v) = v {
                    line.push_str(&format!("  {name}={}", clean(v)));
                }
            };
            field("to", r.recipient.as_deref());
            field("orig_to", r.orig_recipient.as_deref());
            field("relay", r.relay.as_deref());
            field("dsn", r.dsn.as_deref());
            let delay = r.delay.map(|d| d.to_string());
            field("delay", delay.as_deref());
            if r.sender_ip.as_deref() != client {
                field("client", r.sender_ip.as_deref());
            }
            if r.sasl_user.as_deref() != sasl {
                field("sasl_user", r.sasl_user.as_deref());
            }
            if r.sender.as_deref() != sender {
                field("sender", r.sender.as_deref());
            }
            writeln!(out, "{}", line.trim_end())?;
            if let Some(resp) = &r.response {
                writeln!(out, "{:25}{}", "", clean(resp))?;
            }
        }
    }
    for p in &trace.pending {
        writeln!(out)?;
        match &p.state {
            Saved::Message(m) => {
                writeln!(
                    out,
                    "== {} on {} (instance {}) is still in the queue",
                    clean(&p.key.queue_id),
                    clean(&p.key.host),
                    clean(&p.key.instance)
                )?;
                writeln!(
                    out,
                    "   sender: {}  client: {}  SASL user: {}  message-id: {}",
                    or_dash(m.sender.as_deref()),
                    or_dash(m.client_ip.as_deref()),
                    or_dash(m.sasl_user.as_deref()),
                    or_dash(m.message_id.as_deref())
                )?;
                if let Some(parent) = m.parent.as_deref().and_then(MessageKey::from_text) {
                    writeln!(
                        out,
                        "   re-queued from {} on {} (instance {})",
                        clean(&parent.queue_id),
                        clean(&parent.host),
                        clean(&parent.instance)
                    )?;
                }
                for (rcpt, d) in &m.deferred {
                    writeln!(
                        out,
                        "   deferred: to={}  dsn={}  last reason: {}",
                        clean(rcpt),
                        or_dash(d.dsn.as_deref()),
                        or_dash(d.response.as_deref())
                    )?;
                }
            }
            Saved::Finished(_) | Saved::Session(_) => {}
            Saved::Link(l) => {
                let parent = MessageKey::from_text(&l.parent);
                writeln!(
                    out,
                    "== {} on {} (instance {}): announced as the new queue ID of {}, not seen yet",
                    clean(&p.key.queue_id),
                    clean(&p.key.host),
                    clean(&p.key.instance),
                    parent.map_or_else(|| "-".to_string(), |k| clean(&k.queue_id).into_owned())
                )?;
            }
        }
    }
    if trace.is_empty() {
        writeln!(out)?;
        writeln!(out, "Nothing stored under this queue ID or message-id.")?;
    }
    Ok(())
}
