//! The parsed form of one log line: a [`Header`] (time, host, program, pid) and an
//! [`Event`] that names what Postfix said. Every string borrows from the line.
//!
//! Each type has a `Display` form that is a valid log line again, and parsing that line
//! gives back an equal value: the types are the grammar, the parser and `Display` are its
//! two directions.

use std::fmt;
use std::sync::LazyLock;

use memchr::memmem;

use crate::timestamp::Timestamp;

/// A Postfix queue ID: short (hex), long (`enable_long_queue_ids`), or `NOQUEUE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId<'a>(pub(crate) &'a str);

impl<'a> QueueId<'a> {
    /// The placeholder Postfix logs when no queue file exists.
    pub const NOQUEUE: QueueId<'static> = QueueId("NOQUEUE");

    /// Checks `s` against the shapes Postfix gives queue IDs: `NOQUEUE`; six or more
    /// upper-case hex digits (short IDs); or eight or more letters and digits with at
    /// least one digit (long IDs, whose alphabet has no vowels, and hand-made test IDs).
    pub fn new(s: &'a str) -> Option<Self> {
        is_queue_id(s.as_bytes()).then_some(QueueId(s))
    }

    /// The ID as logged.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// True for `NOQUEUE`.
    pub fn is_noqueue(&self) -> bool {
        self.0 == "NOQUEUE"
    }
}

impl fmt::Display for QueueId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

pub(crate) fn is_queue_id(b: &[u8]) -> bool {
    if b == b"NOQUEUE" {
        return true;
    }
    if b.len() >= 6 && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')) {
        return true;
    }
    b.len() >= 8
        && b.len() <= 32
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_digit)
}

/// The program tag of a line: `postfix/smtpd`, `postfix-out/submission/smtpd`,
/// `postfix[662]` (no daemon part). The daemon is the last `/` component; the first is the
/// instance (`syslog_name` prefix); anything between is the master.cf service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Program<'a>(pub(crate) &'a str);

impl<'a> Program<'a> {
    /// The tag as logged.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The instance: the first `/` component (`postfix`, `postfix-out`, `postfix-170.55.103.23`).
    pub fn instance(&self) -> &'a str {
        // A byte loop: tags are short, and `split` sets up a searcher on every call.
        match self.0.bytes().position(|c| c == b'/') {
            Some(slash) => &self.0[..slash],
            None => self.0,
        }
    }

    /// The daemon: the last `/` component (`smtpd`, `qmgr`), or the whole tag when it has none.
    pub fn daemon(&self) -> &'a str {
        self.0.rsplit('/').next().unwrap_or(self.0)
    }

    /// The service between instance and daemon (`submission` in `postfix/submission/smtpd`).
    pub fn service(&self) -> Option<&'a str> {
        let first = self.0.find('/')?;
        let last = self.0.rfind('/')?;
        (first < last).then(|| &self.0[first + 1..last])
    }

    /// The `syslog_name`: everything before the daemon (`postfix/submission`).
    pub fn syslog_name(&self) -> &'a str {
        match self.0.rfind('/') {
            Some(i) => &self.0[..i],
            None => self.0,
        }
    }
}

/// The envelope of a Postfix line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// When the line was logged, as the logger wrote it (possibly without a year).
    pub time: Timestamp,
    /// The host that logged the line; `None` in formats that carry no host.
    pub host: Option<&'a str>,
    /// The program tag.
    pub program: Program<'a>,
    /// The process ID, when logged.
    pub pid: Option<u32>,
}

/// A network peer as Postfix logs it: `name[addr]` or `name[addr]:port`
/// (postscreen: `[addr]:port`, with an empty name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client<'a> {
    /// The verified host name, `unknown`, or empty.
    pub name: &'a str,
    /// The address between the brackets (IPv4, IPv6, `unknown`, a socket path).
    pub addr: &'a str,
    /// The port, when `smtpd_client_port_logging` or postscreen adds one.
    pub port: Option<&'a str>,
}

impl fmt::Display for Client<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.name, self.addr)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// The outcome word of a delivery agent's `status=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryStatus<'a> {
    /// Delivered (or, for the discard transport, discarded).
    Sent,
    /// Failed for now; will be retried.
    Deferred,
    /// Refused permanently.
    Bounced,
    /// Given up on when the message expired (a per-recipient form of qmgr's expiry).
    Expired,
    /// `soft_bounce=yes`: would have bounced, deferred instead.
    SoftBounce,
    /// Address-verification probe: the address would be accepted.
    Deliverable,
    /// Address-verification probe: the address would be refused.
    Undeliverable,
    /// Address-verification probe result that was not cached.
    UndeliverableButNotCached,
    /// Any other word (old or hand-edited logs).
    Other(&'a str),
}

impl<'a> DeliveryStatus<'a> {
    pub(crate) fn from_word(w: &'a str) -> Self {
        match w {
            "sent" => Self::Sent,
            "deferred" => Self::Deferred,
            "bounced" => Self::Bounced,
            "expired" => Self::Expired,
            "SOFTBOUNCE" => Self::SoftBounce,
            "deliverable" => Self::Deliverable,
            "undeliverable" => Self::Undeliverable,
            "undeliverable-but-not-cached" => Self::UndeliverableButNotCached,
            other => Self::Other(other),
        }
    }

    /// The word as Postfix logs it.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Sent => "sent",
            Self::Deferred => "deferred",
            Self::Bounced => "bounced",
            Self::Expired => "expired",
            Self::SoftBounce => "SOFTBOUNCE",
            Self::Deliverable => "deliverable",
            Self::Undeliverable => "undeliverable",
            Self::UndeliverableButNotCached => "undeliverable-but-not-cached",
            Self::Other(w) => w,
        }
    }

    /// True for the address-verification outcomes, which are probes, not deliveries.
    pub fn is_probe(&self) -> bool {
        matches!(
            self,
            Self::Deliverable | Self::Undeliverable | Self::UndeliverableButNotCached
        )
    }
}

/// A delivery agent's result for one recipient (`to=<…>, relay=…, status=… (…)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// The queue ID.
    pub queue_id: QueueId<'a>,
    /// The recipient (without the angle brackets).
    pub to: &'a str,
    /// The original recipient, when it differs.
    pub orig_to: Option<&'a str>,
    /// The next hop: `host[addr]:port`, `local`, `none`, a transport name.
    pub relay: &'a str,
    /// How often the connection was used, when reused.
    pub conn_use: Option<&'a str>,
    /// Total delay in seconds, as logged.
    pub delay: Option<&'a str>,
    /// The `a/b/c/d` delay breakdown.
    pub delays: Option<&'a str>,
    /// The TLS feature status (Postfix 3.11+).
    pub tls: Option<&'a str>,
    /// The enhanced status code.
    pub dsn: Option<&'a str>,
    /// The outcome.
    pub status: DeliveryStatus<'a>,
    /// The text between the parentheses after the status word, exactly as logged.
    pub response: &'a str,
}

impl<'a> Delivery<'a> {
    /// The `NEWID` of a content-filter hop (`... queued as NEWID)`), when the response names one.
    pub fn queued_as(&self) -> Option<QueueId<'a>> {
        queued_as(self.response)
    }

    /// The `NEWID` of a `local` alias or `.forward` expansion (`forwarded as NEWID`).
    pub fn forwarded_as(&self) -> Option<QueueId<'a>> {
        let rest = self.response.strip_prefix("forwarded as ")?;
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        QueueId::new(&rest[..end])
    }
}

/// The `NEWID` a reply names (`... queued as NEWID`): a content filter's answer to a
/// delivery, or a before-queue filter's `proxy-accept`.
pub fn queued_as(reply: &str) -> Option<QueueId<'_>> {
    // Every delivery asks: a searcher built once, not on each call.
    static QUEUED_AS: LazyLock<memmem::FinderRev<'static>> =
        LazyLock::new(|| memmem::FinderRev::new("queued as "));
    let at = QUEUED_AS.rfind(reply.as_bytes())?;
    let rest = &reply[at + "queued as ".len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    QueueId::new(&rest[..end])
}

/// A policy or content-check verdict: smtpd's `reject:` / `reject_warning:` / `defer:` /
/// `discard:` / `hold:` / `filter:` / `redirect:` lines, cleanup's header and body check
/// actions and milter actions, and postscreen's rejects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action<'a> {
    /// The queue ID, or `NOQUEUE`.
    pub queue_id: QueueId<'a>,
    /// The action word: `reject`, `reject_warning`, `milter-reject`, `hold`, `warning`, ...
    pub action: &'a str,
    /// smtpd: the SMTP stage (`RCPT`, `END-OF-MESSAGE`, ...). cleanup: the check class and
    /// the matched text (`header Subject: hi`).
    pub stage: &'a str,
    /// The client, or `None` for mail submitted locally (`from local`).
    pub client: Option<Client<'a>>,
    /// The reply text (smtpd, milter) or the optional text after the fields (cleanup).
    pub reply: Option<&'a str>,
    /// Envelope sender, without angle brackets.
    pub from: Option<&'a str>,
    /// Envelope recipient, without angle brackets.
    pub to: Option<&'a str>,
    /// `SMTP` or `ESMTP`.
    pub proto: Option<&'a str>,
    /// The HELO name, without angle brackets.
    pub helo: Option<&'a str>,
    /// SASL fields logged by Postfix 3.10 and later.
    pub sasl_method: Option<&'a str>,
    /// SASL user name (Postfix 3.10+).
    pub sasl_username: Option<&'a str>,
    /// SASL sender (Postfix 3.10+).
    pub sasl_sender: Option<&'a str>,
    /// The layout of the line: which daemon family wrote it.
    pub form: ActionForm,
}

/// Which of Postfix's verdict layouts a line has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActionForm {
    /// smtpd `log_whatsup`: `ACTION: STAGE from CLIENT: REPLY; from=<> to=<> proto= helo=<>`.
    Smtpd,
    /// postscreen: the same with `, ` between the fields.
    Postscreen,
    /// cleanup `cleanup_act_log`: `ACTION: CLASS TEXT from CLIENT; from=<> ...: REPLY`.
    Cleanup,
}

impl Action<'_> {
    /// True for the verdicts that refused a submission: `reject` and `milter-reject`
    /// (not `reject_warning`, `warning`, `hold`, `discard` or a proxy filter's reply).
    pub fn is_rejection(&self) -> bool {
        matches!(self.action, "reject" | "milter-reject")
    }
}

/// What one Postfix line says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// smtpd/tlsproxy `connect from CLIENT`.
    Connect {
        /// The connecting client.
        client: Client<'a>,
    },
    /// smtpd `disconnect from CLIENT [counters]`.
    Disconnect {
        /// The client.
        client: Client<'a>,
        /// The per-command counters (`ehlo=1 mail=1 ... commands=5`), when logged.
        counters: Option<&'a str>,
    },
    /// smtpd `QUEUEID: client=CLIENT[, sasl_method=..., sasl_username=..., ...]`.
    ClientLine {
        /// The queue ID (or `NOQUEUE` before a proxy filter).
        queue_id: QueueId<'a>,
        /// The submitting client.
        client: Client<'a>,
        /// SASL mechanism.
        sasl_method: Option<&'a str>,
        /// SASL user name.
        sasl_username: Option<&'a str>,
        /// SASL sender.
        sasl_sender: Option<&'a str>,
        /// The queue ID on the other side of a content filter (XFORWARD).
        orig_queue_id: Option<QueueId<'a>>,
        /// The original client (XFORWARD).
        orig_client: Option<Client<'a>>,
    },
    /// smtpd `[QUEUEID: ]lost connection|timeout|too many errors after STAGE from CLIENT`.
    ConnectionLoss {
        /// The queue ID (Postfix 3.10+), if logged.
        queue_id: Option<QueueId<'a>>,
        /// `lost connection`, `timeout` or `too many errors`.
        what: &'a str,
        /// The stage, with any byte count (`DATA (7774180 bytes)`).
        stage: &'a str,
        /// The client.
        client: Client<'a>,
    },
    /// A policy, header/body check or milter verdict.
    Action(Action<'a>),
    /// smtpd `warning: CLIENT: SASL MECH authentication failed: REASON[, sasl_username=USER]`.
    SaslFailure {
        /// The client that tried.
        client: Client<'a>,
        /// The mechanism as logged (`LOGIN`, `Plain`, `CRAM-MD5`).
        mechanism: &'a str,
        /// The reason (may be empty or base64).
        reason: &'a str,
        /// The user name, when Postfix logs it.
        username: Option<&'a str>,
    },
    /// pickup `QUEUEID: uid=N from=<SENDER>[ orig_id=ID]`.
    Pickup {
        /// The queue ID.
        queue_id: QueueId<'a>,
        /// The submitting user ID.
        uid: &'a str,
        /// The sender as given to sendmail.
        from: &'a str,
        /// The original queue ID (re-submission).
        orig_id: Option<&'a str>,
    },
    /// cleanup `QUEUEID: message-id=VALUE` (or `resent-message-id=`).
    MessageId {
        /// The queue ID.
        queue_id: QueueId<'a>,
        /// The header value exactly as logged (may be empty or lack brackets).
        message_id: &'a str,
        /// True for `resent-message-id=`.
        resent: bool,
    },
    /// qmgr `QUEUEID: from=<SENDER>, size=N, nrcpt=N (queue active)`.
    Queued {
        /// The queue ID.
        queue_id: QueueId<'a>,
        /// The envelope sender (empty for bounces).
        from: &'a str,
        /// Message size in bytes, as logged.
        size: &'a str,
        /// Number of recipients, as logged.
        nrcpt: &'a str,
        /// The parenthesised note (`queue active`), if any.
        note: Option<&'a str>,
    },
    /// qmgr `QUEUEID: from=<SENDER>, status=expired|force-expired, returned to sender`.
    Expired {
        /// The queue ID.
        queue_id: QueueId<'a>,
        /// The envelope sender.
        from: &'a str,
        /// `expired` or `force-expired`.
        status: &'a str,
    },
    /// qmgr or postsuper `QUEUEID: removed`.
    Removed {
        /// The queue ID.
        queue_id: QueueId<'a>,
    },
    /// A delivery agent's result for one recipient.
    Delivery(Delivery<'a>),
    /// bounce `QUEUEID: sender non-delivery notification: NEWID` and its siblings.
    BounceNotice {
        /// The message the notice is about.
        queue_id: QueueId<'a>,
        /// `sender non-delivery notification`, `postmaster delay notification`, ...
        notice: &'a str,
        /// The queue ID of the notification message.
        notice_id: QueueId<'a>,
    },
    /// postsuper `QUEUEID: requeued|placed on hold|released from hold|expired`.
    QueueAdmin {
        /// The queue ID.
        queue_id: QueueId<'a>,
        /// What was done.
        what: &'a str,
    },
    /// smtp/lmtp `QUEUEID: host H said: ...`, `lost connection with ...`, `conversation
    /// with ... timed out ...`, `SASL authentication failed; ...`: one MX's answer, with no
    /// recipient; the `to=` line that follows carries the outcome.
    PeerNote {
        /// The queue ID.
        queue_id: QueueId<'a>,
        /// The text after the queue ID.
        text: &'a str,
    },
    /// A Postfix line of a known shape that carries nothing the histories need:
    /// warnings, TLS, postscreen, statistics, daemon start and stop.
    Note {
        /// What kind of note (names the `by_kind` counter).
        class: NoteClass,
        /// The queue ID the note names, if any.
        queue_id: Option<QueueId<'a>>,
        /// The whole message text after the program tag, as logged.
        text: &'a str,
    },
}

/// The known kinds of lines that carry nothing the histories need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NoteClass {
    /// `warning:`, `error:`, `fatal:`, `panic:` lines (without a more specific shape).
    Warning,
    /// TLS connection establishment and TLS errors.
    Tls,
    /// postscreen and dnsblog verdicts on connections.
    Postscreen,
    /// anvil/scache `statistics:` lines.
    Statistics,
    /// master, postfix-script, postlog: start, stop, reload.
    Master,
    /// smtp client connection-level lines without a queue ID (`connect to X: refused`).
    Connection,
    /// Other informational lines of a known daemon (`skipped, still being delivered`,
    /// `discarding EHLO keywords`, map reload notices, ...).
    Info,
    /// Debug output of daemons run with `-v` (`send attr ...`, `match_string: ...`).
    Verbose,
}

impl NoteClass {
    /// The `by_kind` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Tls => "tls",
            Self::Postscreen => "postscreen",
            Self::Statistics => "statistics",
            Self::Master => "master",
            Self::Connection => "connection",
            Self::Info => "other",
            Self::Verbose => "verbose",
        }
    }
}

impl Event<'_> {
    /// The `by_kind` name of this event, as `smtplog parse --summary` counts it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Connect { .. } => "connect",
            Event::Disconnect { .. } => "disconnect",
            Event::ClientLine { .. } => "client",
            Event::ConnectionLoss { .. } => "lost_connection",
            Event::Action(_) => "reject",
            Event::SaslFailure { .. } => "sasl_failure",
            Event::Pickup { .. } => "pickup",
            Event::MessageId { .. } => "message_id",
            Event::Queued { .. } => "queued",
            Event::Expired { .. } => "expired",
            Event::Removed { .. } => "removed",
            Event::Delivery(_) => "delivery",
            Event::BounceNotice { .. } => "bounce_notice",
            Event::QueueAdmin { .. } => "postsuper",
            Event::PeerNote { .. } => "peer_note",
            Event::Note { class, .. } => class.name(),
        }
    }

    /// The queue ID this event is about, if any.
    pub fn queue_id(&self) -> Option<QueueId<'_>> {
        match self {
            Event::ClientLine { queue_id, .. }
            | Event::Pickup { queue_id, .. }
            | Event::MessageId { queue_id, .. }
            | Event::Queued { queue_id, .. }
            | Event::Expired { queue_id, .. }
            | Event::Removed { queue_id }
            | Event::BounceNotice { queue_id, .. }
            | Event::QueueAdmin { queue_id, .. }
            | Event::PeerNote { queue_id, .. } => Some(*queue_id),
            Event::Delivery(d) => Some(d.queue_id),
            Event::Action(a) => Some(a.queue_id),
            Event::ConnectionLoss { queue_id, .. } | Event::Note { queue_id, .. } => *queue_id,
            Event::Connect { .. } | Event::Disconnect { .. } | Event::SaslFailure { .. } => None,
        }
    }
}

/// A whole parsed Postfix line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The envelope.
    pub header: Header<'a>,
    /// What the line says.
    pub event: Event<'a>,
    /// How many times the line stands for (rsyslog's `message repeated N times: [ ... ]`).
    pub repeat: u32,
}
