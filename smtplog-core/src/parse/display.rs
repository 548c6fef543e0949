//! `Display` for parsed lines: each writes a log line that parses back to an equal value.
//! The timestamp is written as classic syslog or RFC 3339, the rest in Postfix's own
//! layout (see `message.rs` for the format strings).

use std::fmt::{self, Display, Formatter};

use super::event::{Action, ActionForm, Delivery, Entry, Event, Header};

impl Display for Header<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.time)?;
        if let Some(host) = self.host {
            write!(f, " {host}")?;
        }
        write!(f, " {}", self.program.as_str())?;
        if let Some(pid) = self.pid {
            write!(f, "[{pid}]")?;
        }
        f.write_str(":")
    }
}

impl Display for Entry<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.header)?;
        if self.repeat > 1 {
            write!(
                f,
                "message repeated {} times: [ {}]",
                self.repeat, self.event
            )
        } else {
            write!(f, "{}", self.event)
        }
    }
}

fn opt(f: &mut Formatter<'_>, key: &str, value: Option<&str>) -> fmt::Result {
    match value {
        Some(v) => write!(f, ", {key}={v}"),
        None => Ok(()),
    }
}

impl Display for Delivery<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: to=<{}>", self.queue_id, self.to)?;
        if let Some(o) = self.orig_to {
            write!(f, ", orig_to=<{o}>")?;
        }
        write!(f, ", relay={}", self.relay)?;
        opt(f, "conn_use", self.conn_use)?;
        opt(f, "delay", self.delay)?;
        opt(f, "delays", self.delays)?;
        opt(f, "tls", self.tls)?;
        opt(f, "dsn", self.dsn)?;
        write!(f, ", status={} ({})", self.status.as_str(), self.response)
    }
}

impl Display for Action<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.queue_id, self.action, self.stage)?;
        let fields: [(&str, Option<&str>, bool); 7] = [
            ("from", self.from, true),
            ("to", self.to, true),
            ("proto", self.proto, false),
            ("helo", self.helo, true),
            ("sasl_method", self.sasl_method, false),
            ("sasl_username", self.sasl_username, false),
            ("sasl_sender", self.sasl_sender, false),
        ];
        let has_fields = fields.iter().any(|(_, v, _)| v.is_some());
        let sep = if self.form == ActionForm::Postscreen {
            ", "
        } else {
            " "
        };
        let write_fields = |f: &mut Formatter<'_>| -> fmt::Result {
            let mut first = true;
            for (key, value, bracketed) in fields {
                let Some(v) = value else { continue };
                if !first {
                    f.write_str(sep)?;
                }
                first = false;
                if bracketed {
                    write!(f, "{key}=<{v}>")?;
                } else {
                    write!(f, "{key}={v}")?;
                }
            }
            Ok(())
        };
        match self.form {
            ActionForm::Smtpd | ActionForm::Postscreen => {
                if let Some(c) = &self.client {
                    write!(f, " from {c}")?;
                }
                // Postfix ends the reply with `;` whether fields follow or not.
                write!(f, ": {};", self.reply.unwrap_or(""))?;
                if has_fields {
                    f.write_str(" ")?;
                    write_fields(f)?;
                }
                Ok(())
            }
            ActionForm::Cleanup => {
                if !has_fields {
                    return Ok(());
                }
                match &self.client {
                    Some(c) => write!(f, " from {c}; ")?,
                    None => f.write_str(" from local; ")?,
                }
                write_fields(f)?;
                if let Some(r) = self.reply {
                    write!(f, ": {r}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Event<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Event::Connect { client } => write!(f, "connect from {client}"),
            Event::Disconnect { client, counters } => {
                write!(f, "disconnect from {client}")?;
                match counters {
                    Some(c) => write!(f, " {c}"),
                    None => Ok(()),
                }
            }
            Event::ClientLine {
                queue_id,
                client,
                sasl_method,
                sasl_username,
                sasl_sender,
                orig_queue_id,
                orig_client,
            } => {
                write!(f, "{queue_id}: client={client}")?;
                opt(f, "sasl_method", *sasl_method)?;
                opt(f, "sasl_username", *sasl_username)?;
                opt(f, "sasl_sender", *sasl_sender)?;
                if let Some(q) = orig_queue_id {
                    write!(f, ", orig_queue_id={q}")?;
                }
                if let Some(c) = orig_client {
                    write!(f, ", orig_client={c}")?;
                }
                Ok(())
            }
            Event::ConnectionLoss {
                queue_id,
                what,
                stage,
                client,
            } => {
                if let Some(q) = queue_id {
                    write!(f, "{q}: ")?;
                }
                write!(f, "{what} after {stage} from {client}")
            }
            Event::Action(a) => a.fmt(f),
            Event::SaslFailure {
                client,
                mechanism,
                reason,
                username,
            } => {
                write!(
                    f,
                    "warning: {client}: SASL {mechanism} authentication failed: {reason}"
                )?;
                match username {
                    Some(u) => write!(f, ", sasl_username={u}"),
                    None => Ok(()),
                }
            }
            Event::Pickup {
                queue_id,
                uid,
                from,
                orig_id,
            } => {
                write!(f, "{queue_id}: uid={uid} from=<{from}>")?;
                match orig_id {
                    Some(o) => write!(f, " orig_id={o}"),
                    None => Ok(()),
                }
            }
            Event::MessageId {
                queue_id,
                message_id,
                resent,
            } => {
                let key = if *resent {
                    "resent-message-id"
                } else {
                    "message-id"
                };
                write!(f, "{queue_id}: {key}={message_id}")
            }
            Event::Queued {
                queue_id,
                from,
                size,
                nrcpt,
                note,
            } => {
                write!(f, "{queue_id}: from=<{from}>, size={size}, nrcpt={nrcpt}")?;
                match note {
                    Some(n) => write!(f, " ({n})"),
                    None => Ok(()),
                }
            }
            Event::Expired {
                queue_id,
                from,
                status,
            } => write!(
                f,
                "{queue_id}: from=<{from}>, status={status}, returned to sender"
            ),
            Event::Removed { queue_id } => write!(f, "{queue_id}: removed"),
            Event::Delivery(d) => d.fmt(f),
            Event::BounceNotice {
                queue_id,
                notice,
                notice_id,
            } => write!(f, "{queue_id}: {notice}: {notice_id}"),
            Event::QueueAdmin { queue_id, what } => write!(f, "{queue_id}: {what}"),
            Event::PeerNote { queue_id, text } => write!(f, "{queue_id}: {text}"),
            Event::Note { text, .. } => f.write_str(text),
        }
    }
}
