//! The correlator's memory of unfinished messages, in a form that can be saved between
//! ingest runs (serde) and restored exactly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which message a line is about: the relay host and Postfix instance that logged it,
/// and the queue ID. (A queue ID is reused after `removed`; the correlator forgets a
/// message at `removed`, so one key names one message at a time.)
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    /// The syslog host.
    pub host: String,
    /// The Postfix instance (first part of the program tag).
    pub instance: String,
    /// The queue ID.
    pub queue_id: String,
}

impl MessageKey {
    /// The key as one string, `host/instance/queue_id` with tabs as separators.
    pub fn to_text(&self) -> String {
        format!("{}\t{}\t{}", self.host, self.instance, self.queue_id)
    }

    /// Reads a key written by [`MessageKey::to_text`].
    pub fn from_text(s: &str) -> Option<MessageKey> {
        let mut parts = s.splitn(3, '\t');
        Some(MessageKey {
            host: parts.next()?.to_string(),
            instance: parts.next()?.to_string(),
            queue_id: parts.next()?.to_string(),
        })
    }
}

/// The last failed attempt for a recipient that is still undelivered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Deferral {
    /// The original recipient.
    pub orig_to: Option<String>,
    /// The enhanced status code of the attempt.
    pub dsn: Option<String>,
    /// The relay tried.
    pub relay: Option<String>,
    /// The delay at the attempt.
    pub delay: Option<f64>,
    /// The response of the attempt.
    pub response: Option<String>,
}

/// What the correlator knows of one message in the queue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageState {
    /// The envelope sender, lower-cased (`""` for the null sender).
    pub sender: Option<String>,
    /// The submitting client's IP.
    pub client_ip: Option<String>,
    /// The SASL user of the submission (own or inherited from a hop's origin).
    pub sasl_user: Option<String>,
    /// The message-id header.
    pub message_id: Option<String>,
    /// True when the submission's start (`client=`, `pickup`) or the hop that created the
    /// message was seen.
    pub started: bool,
    /// True when the message came from a SASL session itself (not inherited).
    pub own_sasl: bool,
    /// True once the first qmgr `from=` line was seen.
    pub queued: bool,
    /// The original recipient for every delivery of a forwarded copy.
    pub orig_rcpt: Option<String>,
    /// Recipients whose last attempt was deferred, with that attempt.
    pub deferred: BTreeMap<String, Deferral>,
    /// When the first line of the message was seen (ms since the epoch).
    pub first_ms: i64,
    /// True when records of the message were emitted.
    pub emitted: bool,
    /// The origin of a re-queued message (content filter or forward), as key text.
    pub parent: Option<String>,
    /// Order of the last touch, for eviction of the least recently seen.
    pub seq: u64,
    /// True when the message was submitted locally (`pickup`): a pipe filter's copy comes
    /// back this way.
    #[serde(default, skip_serializing_if = "is_false")]
    pub picked_up: bool,
    /// When the first qmgr `from=` line was seen (ms since the epoch; 0: not yet).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub queued_ms: i64,
    /// Queue IDs of the copies that named this message as their origin
    /// (`orig_queue_id=`, XFORWARD): a filter delivery `queued as` one of them is a hop.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<String>,
    /// Deliveries to a pipe transport whose copy has not come back yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub piped: Vec<Piped>,
    /// True once a copy of this message came back through `pickup` after a pipe
    /// delivery: every pipe delivery of it is a filter hop.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pipe_filtered: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A `sent` delivery to a pipe transport, kept until the message's copy comes back
/// through `pickup` (then it was a filter hop) or the message is forgotten.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Piped {
    /// The recipient.
    pub to: String,
    /// When the delivery was logged (ms since the epoch).
    pub at_ms: i64,
    /// True when it was stored as a `sent` record (to be taken back if the copy comes);
    /// false when the transport is a named filter and no record was made.
    pub recorded: bool,
}

/// A message that left the queue (`removed`), remembered for a while: a filter's answer
/// (`queued as` it), a pipe filter's copy or a before-queue proxy's `proxy-accept` may
/// still be logged after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Finished {
    /// The message as it was when it left.
    pub state: MessageState,
    /// When its `removed` line was logged (ms since the epoch).
    pub finished_ms: i64,
}

/// The last session of one smtpd process in front of a before-queue filter
/// (`NOQUEUE: client=..., sasl_username=...`): its `proxy-accept` names the queue ID the
/// filter's mail got.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The client's IP.
    pub client_ip: String,
    /// The SASL user, when the client logged in.
    pub sasl_user: Option<String>,
    /// When the `client=` line was logged (ms since the epoch).
    pub at_ms: i64,
}

/// What a message re-queued through a hop inherits from its origin.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inheritance {
    /// The origin's sender.
    pub sender: Option<String>,
    /// The origin's client IP.
    pub client_ip: Option<String>,
    /// The origin's SASL user.
    pub sasl_user: Option<String>,
    /// The recipient the origin forwarded (for `forwarded as`).
    pub orig_rcpt: Option<String>,
    /// The origin, as key text.
    pub parent: String,
    /// Order of creation, for eviction.
    pub seq: u64,
    /// True when the new message counts as a SASL submission of its own (a before-queue
    /// filter's mail: the session in front of the filter logged in).
    #[serde(default, skip_serializing_if = "is_false")]
    pub own_sasl: bool,
    /// When the hop was logged (ms since the epoch; 0: unknown). A new message that
    /// appears much later under this queue ID is another message.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub at_ms: i64,
}

/// A saved piece of correlator state: a message, a pending hop link, a message that
/// left the queue recently, or the last session of an smtpd process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Saved {
    /// An unfinished message.
    Message(MessageState),
    /// A hop whose new message has not been seen yet.
    Link(Inheritance),
    /// A message that left the queue recently.
    Finished(Finished),
    /// The last session of an smtpd process (key: its queue ID is `smtpd[PID]`).
    Session(Session),
}
