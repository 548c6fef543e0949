//! The fields of an event as `(name, value)` pairs: the one flat view of an event that
//! front ends turn into JSON objects (`smtplog parse`) or Python dicts.

use super::event::{Client, Event};

impl<'a> Event<'a> {
    /// The event's fields as `(name, value)` pairs, in a fixed order, absent fields left
    /// out. Front ends build their output objects (JSON, Python dicts) from this one list.
    pub fn fields(&self) -> Vec<(&'static str, &'a str)> {
        let mut out = Vec::with_capacity(12);
        let mut push = |name: &'static str, value: Option<&'a str>| {
            if let Some(v) = value {
                out.push((name, v));
            }
        };
        fn client_fields<'a>(
            push: &mut impl FnMut(&'static str, Option<&'a str>),
            prefix: [&'static str; 3],
            c: &Client<'a>,
        ) {
            push(prefix[0], Some(c.name));
            push(prefix[1], Some(c.addr));
            push(prefix[2], c.port);
        }
        const CLIENT: [&str; 3] = ["client_name", "client_addr", "client_port"];
        match self {
            Event::Connect { client } => client_fields(&mut push, CLIENT, client),
            Event::Disconnect { client, counters } => {
                client_fields(&mut push, CLIENT, client);
                push("counters", *counters);
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
                push("queue_id", Some(queue_id.0));
                client_fields(&mut push, CLIENT, client);
                push("sasl_method", *sasl_method);
                push("sasl_username", *sasl_username);
                push("sasl_sender", *sasl_sender);
                push("orig_queue_id", orig_queue_id.map(|q| q.0));
                if let Some(c) = orig_client {
                    client_fields(
                        &mut push,
                        ["orig_client_name", "orig_client_addr", "orig_client_port"],
                        c,
                    );
                }
            }
            Event::ConnectionLoss {
                queue_id,
                what,
                stage,
                client,
            } => {
                push("queue_id", queue_id.map(|q| q.0));
                push("what", Some(what));
                push("stage", Some(stage));
                client_fields(&mut push, CLIENT, client);
            }
            Event::Action(a) => {
                push("queue_id", Some(a.queue_id.0));
                push("action", Some(a.action));
                push("stage", Some(a.stage));
                if let Some(c) = &a.client {
                    client_fields(&mut push, CLIENT, c);
                }
                push("reply", a.reply);
                push("from", a.from);
                push("to", a.to);
                push("proto", a.proto);
                push("helo", a.helo);
                push("sasl_method", a.sasl_method);
                push("sasl_username", a.sasl_username);
                push("sasl_sender", a.sasl_sender);
            }
            Event::SaslFailure {
                client,
                mechanism,
                reason,
                username,
            } => {
                client_fields(&mut push, CLIENT, client);
                push("mechanism", Some(mechanism));
                push("reason", Some(reason));
                push("sasl_username", *username);
            }
            Event::Pickup {
                queue_id,
                uid,
                from,
                orig_id,
            } => {
                push("queue_id", Some(queue_id.0));
                push("uid", Some(uid));
                push("from", Some(from));
                push("orig_id", *orig_id);
            }
            Event::MessageId {
                queue_id,
                message_id,
                resent,
            } => {
                push("queue_id", Some(queue_id.0));
                push(
                    if *resent {
                        "resent_message_id"
                    } else {
                        "message_id"
                    },
                    Some(message_id),
                );
            }
            Event::Queued {
                queue_id,
                from,
                size,
                nrcpt,
                note,
            } => {
                push("queue_id", Some(queue_id.0));
                push("from", Some(from));
                push("size", Some(size));
                push("nrcpt", Some(nrcpt));
                push("note", *note);
            }
            Event::Expired {
                queue_id,
                from,
                status,
            } => {
                push("queue_id", Some(queue_id.0));
                push("from", Some(from));
                push("status", Some(status));
            }
            Event::Removed { queue_id } => push("queue_id", Some(queue_id.0)),
            Event::Delivery(d) => {
                push("queue_id", Some(d.queue_id.0));
                push("to", Some(d.to));
                push("orig_to", d.orig_to);
                push("relay", Some(d.relay));
                push("conn_use", d.conn_use);
                push("delay", d.delay);
                push("delays", d.delays);
                push("tls", d.tls);
                push("dsn", d.dsn);
                push("status", Some(d.status.as_str()));
                push("response", Some(d.response));
            }
            Event::BounceNotice {
                queue_id,
                notice,
                notice_id,
            } => {
                push("queue_id", Some(queue_id.0));
                push("notice", Some(notice));
                push("notice_id", Some(notice_id.0));
            }
            Event::QueueAdmin { queue_id, what } => {
                push("queue_id", Some(queue_id.0));
                push("what", Some(what));
            }
            Event::PeerNote { queue_id, text } => {
                push("queue_id", Some(queue_id.0));
                push("text", Some(text));
            }
            Event::Note { queue_id, text, .. } => {
                push("queue_id", queue_id.map(|q| q.0));
                push("text", Some(text));
            }
        }
        out
    }
}
