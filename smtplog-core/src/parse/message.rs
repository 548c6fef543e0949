//! The message part of a Postfix line (after `program[pid]: `), one small function per
//! shape. The shapes follow Postfix's own format strings: smtpd.c (`client=`, connect,
//! lost connection), smtpd_check.c `log_whatsup` (policy verdicts), cleanup_message.c
//! `cleanup_act_log` (header/body checks), opened.c (qmgr `from=`), log_adhoc.c
//! (delivery records), bounce_notify_service.c (notifications).

use std::sync::LazyLock;

use memchr::memmem::{Finder, FinderRev};
use memchr::{memchr, memchr2, memrchr};

use super::event::{
    Action, ActionForm, Client, Delivery, DeliveryStatus, Event, NoteClass, QueueId, is_queue_id,
};

/// Strips rsyslog's `message repeated N times: [ TEXT]` and returns the inner text and N.
pub(crate) fn unrepeat(text: &str) -> (&str, u32) {
    let Some(rest) = text.strip_prefix("message repeated ") else {
        return (text, 1);
    };
    let Some((n, rest)) = rest.split_once(" times: [") else {
        return (text, 1);
    };
    let (Ok(n), Some(inner)) = (n.parse::<u32>(), rest.strip_suffix(']')) else {
        return (text, 1);
    };
    if n == 0 {
        return (text, 1);
    }
    // Blanks before the `]` go, as they go at the end of a line: a text shown once is
    // written without the brackets, at the line's end, where they would be trimmed.
    let inner = inner.strip_prefix(' ').unwrap_or(inner);
    (inner.trim_end_matches([' ', '\t', '\r']), n)
}

/// The event of a Postfix message, or `None` for a shape this parser does not know.
pub(crate) fn message<'a>(daemon: &str, text: &'a str) -> Option<Event<'a>> {
    // Only a line opening with `w`, `e`, `f` or `p` can carry a severity.
    if matches!(text.as_bytes().first(), Some(b'w' | b'e' | b'f' | b'p')) {
        for severity in ["warning: ", "error: ", "fatal: ", "panic: "] {
            if let Some(rest) = text.strip_prefix(severity) {
                return Some(warning(severity, text, rest));
            }
        }
    }
    if let Some((qid, rest)) = queue_id_prefix(text) {
        return with_queue_id(daemon, qid, rest, text);
    }
    without_queue_id(daemon, text)
}

/// `QUEUEID: ` at the start of `text`.
fn queue_id_prefix(text: &str) -> Option<(QueueId<'_>, &str)> {
    let colon = queue_id_len(text.as_bytes())?;
    let token = &text[..colon];
    let rest = &text[colon + 1..];
    let rest = rest
        .strip_prefix(' ')
        .or_else(|| rest.is_empty().then_some(rest))?;
    Some((QueueId(token), rest))
}

/// The length of a queue ID followed by `:` at the start of `b`: [`is_queue_id`] of the
/// text before the first colon, in one pass over the ID only. A queue ID is letters and
/// digits, so the scan stops at the first other byte (the space of `connect from ...`)
/// instead of searching the line for a colon. The byte classes come from a table, so the
/// loop has one branch (mixed letters and digits defeat branch prediction).
fn queue_id_len(b: &[u8]) -> Option<usize> {
    let (mut len, mut all, mut any) = (0, ID_CLASSES, 0);
    for &c in b {
        let class = ID_BYTE[usize::from(c)];
        if class == 0 {
            break;
        }
        all &= class;
        any |= class;
        len += 1;
    }
    if b.get(len) != Some(&b':') {
        return None;
    }
    let id = &b[..len];
    let ok = id == b"NOQUEUE"
        || (len >= 6 && all & HEX != 0)
        || ((8..=32).contains(&len) && any & DIGIT != 0);
    debug_assert_eq!(ok, is_queue_id(id));
    ok.then_some(len)
}

/// Byte classes of queue IDs: any letter or digit, upper-case hex digit, decimal digit.
const ALNUM: u8 = 1;
const HEX: u8 = 2;
const DIGIT: u8 = 4;
const ID_CLASSES: u8 = ALNUM | HEX | DIGIT;

static ID_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => ALNUM | HEX | DIGIT,
            b'A'..=b'F' => ALNUM | HEX,
            b'G'..=b'Z' | b'a'..=b'z' => ALNUM,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// A `warning:`/`error:`/`fatal:`/`panic:` line; `text` is the whole message.
fn warning<'a>(severity: &str, text: &'a str, rest: &'a str) -> Event<'a> {
    if severity == "warning: "
        && let Some(event) = sasl_failure(rest)
    {
        return event;
    }
    Event::Note {
        class: NoteClass::Warning,
        queue_id: queue_id_prefix(rest).map(|(q, _)| q),
        text,
    }
}

/// `CLIENT: SASL MECH authentication failed: REASON[, sasl_username=USER]`.
fn sasl_failure(rest: &str) -> Option<Event<'_>> {
    let (client, after) = client(rest)?;
    let after = after.strip_prefix(": SASL ")?;
    let (mechanism, after) = after.split_once(" authentication failed")?;
    if mechanism.contains(' ') {
        return None;
    }
    let reason = after.strip_prefix(':').unwrap_or(after);
    let reason = reason.strip_prefix(' ').unwrap_or(reason);
    let (reason, username) = match reason.rfind(", sasl_username=") {
        Some(at) => (
            &reason[..at],
            Some(&reason[at + ", sasl_username=".len()..]),
        ),
        None => (reason, None),
    };
    Some(Event::SaslFailure {
        client,
        mechanism,
        reason,
        username,
    })
}

/// `name[addr]` with an optional `:port`.
pub(crate) fn client(i: &str) -> Option<(Client<'_>, &str)> {
    let open = memchr(b'[', i.as_bytes())?;
    let name = &i[..open];
    if memchr(b' ', name.as_bytes()).is_some() {
        return None;
    }
    let close = open + 1 + memchr(b']', &i.as_bytes()[open + 1..])?;
    let addr = &i[open + 1..close];
    let mut rest = &i[close + 1..];
    let mut port = None;
    if let Some(r) = rest.strip_prefix(':') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            port = Some(&r[..n]);
            rest = &r[n..];
        }
    }
    Some((Client { name, addr, port }, rest))
}

/// An address value after `to=`/`from=`: `<...>` or a bare token. A bracketed address
/// ends at the first `>` that `ends` accepts for what follows it.
fn address(i: &str, ends: impl Fn(&str) -> bool) -> Option<(&str, &str)> {
    if let Some(inner) = i.strip_prefix('<') {
        let bytes = inner.as_bytes();
        let mut from = 0;
        while let Some(p) = memchr(b'>', &bytes[from..]) {
            let at = from + p;
            if ends(&inner[at + 1..]) {
                return Some((&inner[..at], &inner[at + 1..]));
            }
            from = at + 1;
        }
        None
    } else {
        let end = memchr2(b',', b' ', i.as_bytes()).unwrap_or(i.len());
        Some((&i[..end], &i[end..]))
    }
}

fn ends_comma_field(rest: &str) -> bool {
    rest.is_empty() || rest.starts_with(", ") || rest.starts_with(' ')
}

/// A line with a queue ID; `rest` follows the ID, `text` is the whole message.
fn with_queue_id<'a>(
    daemon: &str,
    queue_id: QueueId<'a>,
    rest: &'a str,
    text: &'a str,
) -> Option<Event<'a>> {
    let first = rest.as_bytes().first().copied().unwrap_or(b' ');
    match first {
        b't' if rest.starts_with("to=") => return delivery(queue_id, rest).map(Event::Delivery),
        b'f' if rest.starts_with("from=") => return queue_from(queue_id, rest),
        b'c' if rest.starts_with("client=") => return client_line(queue_id, rest),
        b'm' if rest.starts_with("message-id=") => {
            return Some(Event::MessageId {
                queue_id,
                message_id: &rest["message-id=".len()..],
                resent: false,
            });
        }
        b'r' if rest.starts_with("resent-message-id=") => {
            return Some(Event::MessageId {
                queue_id,
                message_id: &rest["resent-message-id=".len()..],
                resent: true,
            });
        }
        b'u' if rest.starts_with("uid=") => return pickup(queue_id, rest),
        _ => {}
    }
    match rest {
        "removed" => return Some(Event::Removed { queue_id }),
        "requeued" | "placed on hold" | "released from hold" | "expired" | "deleted" => {
            return Some(Event::QueueAdmin {
                queue_id,
                what: rest,
            });
        }
        _ => {}
    }
    if let Some(event) = loss(Some(queue_id), rest) {
        return Some(event);
    }
    if let Some(event) = action(daemon, queue_id, rest) {
        return Some(Event::Action(event));
    }
    if let Some((notice, id)) = rsplit_str(rest, ": ")
        && notice.ends_with(" notification")
        && let Some(notice_id) = QueueId::new(id)
    {
        return Some(Event::BounceNotice {
            queue_id,
            notice,
            notice_id,
        });
    }
    const PEER: [&str; 14] = [
        "host ",
        "lost connection with ",
        "conversation with ",
        "SASL authentication failed",
        "Cannot start TLS",
        "enabling PIX",
        "connect to ",
        "TLS is required",
        "Server certificate not verified",
        "certificate verification failed",
        "server certificate",
        "breaking line",
        "Protocol error",
        "unreadable mail",
    ];
    if PEER.iter().any(|p| rest.starts_with(p)) {
        return Some(Event::PeerNote {
            queue_id,
            text: rest,
        });
    }
    if rest.starts_with("recipient limit ") || is_verbose(rest) && daemon != "smtp" {
        return Some(Event::Note {
            class: NoteClass::Verbose,
            queue_id: Some(queue_id),
            text,
        });
    }
    const INFO: [&str; 8] = [
        "skipped, still being delivered",
        "canceled",
        "sender notification failed",
        "postmaster notification failed",
        "undeliverable postmaster notification discarded",
        "passing <",
        "client sent",
        "cleanup_",
    ];
    if INFO.iter().any(|p| rest.starts_with(p)) || rest.contains(" notification failed") {
        return Some(Event::Note {
            class: NoteClass::Info,
            queue_id: Some(queue_id),
            text,
        });
    }
    None
}

/// qmgr: `from=<S>, size=N, nrcpt=N (queue active)` or `from=<S>, status=expired, returned
/// to sender`.
fn queue_from<'a>(queue_id: QueueId<'a>, rest: &'a str) -> Option<Event<'a>> {
    let (from, rest) = address(&rest["from=".len()..], |r| {
        r.starts_with(", ") || r.is_empty()
    })?;
    let rest = rest.strip_prefix(", ")?;
    if let Some(r) = rest.strip_prefix("status=") {
        let (status, _) = r.split_once(", returned to sender")?;
        return Some(Event::Expired {
            queue_id,
            from,
            status,
        });
    }
    let r = rest.strip_prefix("size=")?;
    let (size, r) = split_field(r, "nrcpt=")?;
    let (nrcpt, note) = match split_str(r, " ") {
        Some((n, note)) => (n, Some(note.strip_prefix('(')?.strip_suffix(')')?)),
        None => (r, None),
    };
    Some(Event::Queued {
        queue_id,
        from,
        size,
        nrcpt,
        note,
    })
}

/// pickup: `uid=N from=<S>[ orig_id=ID]`.
fn pickup<'a>(queue_id: QueueId<'a>, rest: &'a str) -> Option<Event<'a>> {
    let (uid, r) = split_str(&rest["uid=".len()..], " ")?;
    let r = r.strip_prefix("from=")?;
    let (from, r) = address(r, |r| r.is_empty() || r.starts_with(" orig_id="))?;
    let orig_id = match r.strip_prefix(" orig_id=") {
        Some(id) => Some(id),
        None if r.is_empty() => None,
        None => return None,
    };
    Some(Event::Pickup {
        queue_id,
        uid,
        from,
        orig_id,
    })
}

const CLIENT_KEYS: [&str; 5] = [
    "sasl_method=",
    "sasl_username=",
    "sasl_sender=",
    "orig_queue_id=",
    "orig_client=",
];

/// smtpd: `client=NAME[ADDR][, sasl_method=M, sasl_username=U, sasl_sender=S,
/// orig_queue_id=Q, orig_client=C]`.
fn client_line<'a>(queue_id: QueueId<'a>, rest: &'a str) -> Option<Event<'a>> {
    let (client, mut r) = client(&rest["client=".len()..])?;
    let (mut sasl_method, mut sasl_username, mut sasl_sender) = (None, None, None);
    let (mut orig_queue_id, mut orig_client) = (None, None);
    // Postfix writes the fields once each, in the order of CLIENT_KEYS.
    let mut next_key = 0;
    while !r.is_empty() {
        r = r.strip_prefix(", ")?;
        let at = CLIENT_KEYS[next_key..]
            .iter()
            .position(|k| r.starts_with(*k))?;
        let key = &CLIENT_KEYS[next_key + at];
        next_key += at + 1;
        let value_start = &r[key.len()..];
        // A value runs to the next `, key=` (user names may hold commas).
        let end = next_client_key(value_start).unwrap_or(value_start.len());
        let value = &value_start[..end];
        match *key {
            "sasl_method=" => sasl_method = Some(value),
            "sasl_username=" => sasl_username = Some(value),
            "sasl_sender=" => sasl_sender = Some(value),
            "orig_queue_id=" => orig_queue_id = Some(QueueId::new(value)?),
            _ => orig_client = Some(client_of(value)?),
        }
        r = &value_start[end..];
    }
    Some(Event::ClientLine {
        queue_id,
        client,
        sasl_method,
        sasl_username,
        sasl_sender,
        orig_queue_id,
        orig_client,
    })
}

fn next_client_key(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = find_str(&s[from..], ", ") {
        let at = from + p;
        if CLIENT_KEYS.iter().any(|k| s[at + 2..].starts_with(k)) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

fn client_of(s: &str) -> Option<Client<'_>> {
    match client(s)? {
        (c, "") => Some(c),
        _ => None,
    }
}

/// A delivery agent's `to=<R>[, orig_to=<O>], relay=..., ..., status=WORD (TEXT)`.
fn delivery<'a>(queue_id: QueueId<'a>, rest: &'a str) -> Option<Delivery<'a>> {
    let (to, mut r) = address(&rest["to=".len()..], ends_comma_field)?;
    let mut d = Delivery {
        queue_id,
        to,
        orig_to: None,
        relay: "",
        conn_use: None,
        delay: None,
        delays: None,
        tls: None,
        dsn: None,
        status: DeliveryStatus::Other(""),
        response: "",
    };
    let mut have_relay = false;
    loop {
        r = r.strip_prefix(", ")?;
        if let Some(s) = r.strip_prefix("status=") {
            let (word, text) = match s.bytes().position(|c| c == b' ') {
                Some(sp) => (&s[..sp], &s[sp + 1..]),
                None => (s, ""),
            };
            d.status = DeliveryStatus::from_word(word);
            let text = text.strip_prefix('(').unwrap_or(text);
            d.response = match memrchr(b')', text.as_bytes()) {
                Some(close) => &text[..close],
                None => text,
            };
            break;
        }
        if let Some(s) = r.strip_prefix("orig_to=") {
            let (orig, after) = address(s, ends_comma_field)?;
            d.orig_to = Some(orig);
            r = after;
            continue;
        }
        let eq = r.bytes().position(|c| c == b'=')?;
        let key = &r[..eq];
        let value_start = &r[eq + 1..];
        let end = find_str(value_start, ", ").unwrap_or(value_start.len());
        let value = &value_start[..end];
        match key {
            "relay" => {
                d.relay = value;
                have_relay = true;
            }
            "conn_use" => d.conn_use = Some(value),
            "delay" => d.delay = Some(value),
            "delays" => d.delays = Some(value),
            "tls" => d.tls = Some(value),
            "dsn" => d.dsn = Some(value),
            _ => {}
        }
        r = &value_start[end..];
    }
    have_relay.then_some(d)
}

/// `lost connection|timeout|too many errors after STAGE from CLIENT`.
fn loss<'a>(queue_id: Option<QueueId<'a>>, rest: &'a str) -> Option<Event<'a>> {
    let (what, r) = ["lost connection", "timeout", "too many errors"]
        .iter()
        .find_map(|w| Some((*w, rest.strip_prefix(w)?.strip_prefix(" after ")?)))?;
    let at = rfind_from(r)?;
    let (client, tail) = client(&r[at + " from ".len()..])?;
    if !tail.is_empty() {
        return None;
    }
    Some(Event::ConnectionLoss {
        queue_id,
        what,
        stage: &r[..at],
        client,
    })
}

const ACTIONS: [&str; 15] = [
    "reject",
    "reject_warning",
    "defer",
    "defer_if_permit",
    "defer_if_reject",
    "discard",
    "hold",
    "filter",
    "redirect",
    "warning",
    "info",
    "replace",
    "prepend",
    "strip",
    "bcc",
];

fn is_action_word(w: &str) -> bool {
    ACTIONS.contains(&w) || w.starts_with("milter-") || w == "proxy-accept" || w == "proxy-reject"
}

const TAIL_KEYS: [&str; 7] = [
    "from=",
    "to=",
    "proto=",
    "helo=",
    "sasl_method=",
    "sasl_username=",
    "sasl_sender=",
];

/// A policy, content-check or milter verdict: `ACTION: ...`.
fn action<'a>(daemon: &str, queue_id: QueueId<'a>, rest: &'a str) -> Option<Action<'a>> {
    let (word, body) = split_str(rest, ": ")?;
    if !is_action_word(word) {
        return None;
    }
    let mut a = Action {
        queue_id,
        action: word,
        stage: "",
        client: None,
        reply: None,
        from: None,
        to: None,
        proto: None,
        helo: None,
        sasl_method: None,
        sasl_username: None,
        sasl_sender: None,
        form: ActionForm::Smtpd,
    };
    let stage_end = memchr2(b' ', b':', body.as_bytes()).unwrap_or(body.len());
    let stage = &body[..stage_end];
    let smtp_stage = !stage.is_empty()
        && stage
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'-' || c == b'_');
    if smtp_stage {
        a.stage = stage;
        a.form = if daemon == "postscreen" {
            ActionForm::Postscreen
        } else {
            ActionForm::Smtpd
        };
        let mut r = &body[stage_end..];
        if let Some(after) = r.strip_prefix(" from ") {
            let (c, after) = client(after)?;
            a.client = Some(c);
            r = after;
        }
        let r = r.strip_prefix(':')?;
        let r = r.strip_prefix(' ').unwrap_or(r);
        let sep = if a.form == ActionForm::Postscreen {
            ", "
        } else {
            " "
        };
        match tail_start(r) {
            Some(at) => {
                a.reply = Some(&r[..at]);
                let rest = tail_fields(&r[at + 2..], sep, &mut a, false)?;
                if !rest.is_empty() {
                    return None;
                }
            }
            // A reply that ends the line loses trailing blanks (the line is trimmed).
            None => a.reply = Some(r.strip_suffix(';').unwrap_or(r).trim_end()),
        }
        return Some(a);
    }
    // cleanup: `CLASS TEXT from ORIGIN; from=<> to=<> proto= helo=<>[: REPLY]`.
    a.form = ActionForm::Cleanup;
    let class = first_word(body);
    if !matches!(
        class,
        "header" | "body" | "content" | "mime-header" | "nested-header" | "END-OF-MESSAGE"
    ) {
        return None;
    }
    let Some(at) = tail_start(body) else {
        // A line cut short (syslog limits) before its field list.
        a.stage = body;
        return Some(a);
    };
    let head = &body[..at];
    let from_at = rfind_from(head)?;
    a.stage = &head[..from_at];
    let origin = &head[from_at + " from ".len()..];
    if origin != "local" {
        a.client = Some(client_of(origin)?);
    }
    let rest = tail_fields(&body[at + 2..], " ", &mut a, true)?;
    if let Some(reply) = rest.strip_prefix(": ") {
        a.reply = Some(reply);
    } else if !rest.is_empty() {
        return None;
    }
    Some(a)
}

/// Where the `; from=<...> ...` field list starts: the first `; ` followed by a field key.
fn tail_start(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = find_str(&s[from..], "; ") {
        let at = from + p;
        let next = &s[at + 2..];
        if TAIL_KEYS[..4].iter().any(|k| next.starts_with(k)) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Reads `key=value` fields separated by `sep` into `a`; returns what follows them.
fn tail_fields<'a>(
    mut s: &'a str,
    sep: &str,
    a: &mut Action<'a>,
    cleanup: bool,
) -> Option<&'a str> {
    loop {
        let key = TAIL_KEYS.iter().find(|k| s.starts_with(*k))?;
        let v = &s[key.len()..];
        let is_end = |r: &str| {
            r.is_empty()
                || (r.starts_with(sep) && TAIL_KEYS.iter().any(|k| r[sep.len()..].starts_with(k)))
                || (cleanup && r.starts_with(": "))
        };
        // Only addresses and the HELO name are logged in angle brackets.
        let bracketed = matches!(*key, "from=" | "to=" | "helo=");
        let (value, rest) = if bracketed && v.starts_with('<') {
            address(v, is_end)?
        } else {
            let mut end = find_str(v, sep).unwrap_or(v.len());
            // The reply's `: ` may begin with the value's last character (`proto=X:: R`
            // is proto `X:` and reply `R`): look one byte past the separator's start.
            let upto = (end + 1).min(v.len());
            if cleanup && let Some(c) = find_str(&v[..upto], ": ") {
                end = c;
            }
            (&v[..end], &v[end..])
        };
        let field = match *key {
            "from=" => &mut a.from,
            "to=" => &mut a.to,
            "proto=" => &mut a.proto,
            "helo=" => &mut a.helo,
            "sasl_method=" => &mut a.sasl_method,
            "sasl_username=" => &mut a.sasl_username,
            _ => &mut a.sasl_sender,
        };
        // Postfix writes each field once: a second one is not its line.
        if field.replace(value).is_some() {
            return None;
        }
        match rest.strip_prefix(sep) {
            Some(r) if TAIL_KEYS.iter().any(|k| r.starts_with(k)) => s = r,
            _ => return Some(rest),
        }
    }
}

fn without_queue_id<'a>(daemon: &str, text: &'a str) -> Option<Event<'a>> {
    if let Some(r) = text.strip_prefix("connect from ") {
        let (client, tail) = client(r)?;
        return tail.is_empty().then_some(Event::Connect { client });
    }
    if let Some(r) = text.strip_prefix("disconnect from ") {
        let (client, tail) = client(r)?;
        let counters = match tail.strip_prefix(' ') {
            Some(c) => Some(c),
            None if tail.is_empty() => None,
            None => return None,
        };
        return Some(Event::Disconnect { client, counters });
    }
    if let Some(event) = loss(None, text) {
        return Some(event);
    }
    // Verdicts logged without a queue ID: Postfix 2.1 and older wrote `reject: RCPT
    // from ...` without `NOQUEUE: `, and before-queue proxies write `proxy-accept:`.
    if text.starts_with(|c: char| c.is_ascii_lowercase())
        && let Some(a) = action(daemon, QueueId::NOQUEUE, text)
        && a.form != ActionForm::Cleanup
    {
        return Some(Event::Action(a));
    }
    let class = note_class(daemon, text)?;
    Some(Event::Note {
        class,
        queue_id: None,
        text,
    })
}

/// The class of a known informational line without a queue ID.
fn note_class(daemon: &str, text: &str) -> Option<NoteClass> {
    if text.starts_with("statistics: ") {
        return Some(NoteClass::Statistics);
    }
    static TLS_ESTABLISHED: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new("TLS connection established"));
    if TLS_ESTABLISHED.find(text.as_bytes()).is_some()
        || text.starts_with("SSL_")
        || text.starts_with("TLS ")
        || text.starts_with("setting up TLS")
        || text.starts_with("certificate verification failed")
        || text.starts_with("Untrusted TLS")
    {
        return Some(NoteClass::Tls);
    }
    if text.starts_with("cache ") && matches!(daemon, "verify" | "postscreen") {
        return Some(NoteClass::Info);
    }
    match daemon {
        "postscreen" | "dnsblog" | "tlsproxy" if is_screen_verdict(text) => {
            return Some(NoteClass::Postscreen);
        }
        "master" | "postfix-script" | "postlog" | "postfix" | "postfix-tls-script" => {
            return Some(NoteClass::Master);
        }
        _ => {}
    }
    if text.starts_with("connect to subsystem ") {
        return Some(NoteClass::Verbose);
    }
    if text.starts_with("connect to ")
        || text.starts_with("improper command pipelining")
        || text.starts_with("bare <LF>")
        || text.starts_with("non-SMTP command")
        || text.starts_with("lost connection with ")
    {
        return Some(NoteClass::Connection);
    }
    if daemon == "postsuper" || INFO_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return Some(NoteClass::Info);
    }
    if is_verbose(text) {
        return Some(NoteClass::Verbose);
    }
    None
}

/// postscreen, dnsblog and tlsproxy lines: a verdict word in capitals, or dnsblog's
/// `addr A listed by domain D as R`.
fn is_screen_verdict(text: &str) -> bool {
    const WORDS: [&str; 18] = [
        "CONNECT",
        "PASS",
        "DNSBL",
        "HANGUP",
        "PREGREET",
        "DISCONNECT",
        "WHITELISTED",
        "ALLOWLISTED",
        "DENYLISTED",
        "BLACKLISTED",
        "WHITELIST",
        "COMMAND",
        "BARE",
        "NON-SMTP",
        "BDAT",
        "DATA",
        "NOQUEUE",
        "addr",
    ];
    WORDS.contains(&first_word(text))
}

/// Informational lines without a queue ID.
const INFO_PREFIXES: [&str; 6] = [
    "discarding EHLO keywords",
    "table ",
    "host ",
    "Postfix is running with backwards-compatible",
    "using backwards-compatible default setting",
    "dict_",
];

/// Phrases that open lines of `-v` debug output.
const VERBOSE_PREFIXES: [&str; 34] = [
    "event: ",
    "skipping reply",
    "connecting to ",
    "begin ",
    "send attr ",
    "input attribute ",
    "> ",
    "< ",
    ">>> ",
    "private/",
    "public/",
    "request",
    "done ",
    "start ",
    "end ",
    "wakeup ",
    "mynetworks:",
    "fsspace:",
    "connection established",
    "connection closed",
    "Run-time linked",
    "Compiled against",
    "process generation:",
    "idle timeout",
    "rewrite stream",
    "proxymap stream",
    "master disconnect",
    "before ",
    "after ",
    "open ",
    "initial envelope",
    "extracted envelope",
    "cleanup flags",
    "lookup ",
];

/// A line of `-v` debug output: it opens with a C function or parameter name
/// (`qmgr_scan_start: ...`, `smtpd_tls_loglevel = 1`) or a known debug phrase.
fn is_verbose(text: &str) -> bool {
    static WANTED: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(" socket: wanted attribute:"));
    let word_end = memchr2(b':', b' ', text.as_bytes()).unwrap_or(text.len());
    let word = &text[..word_end];
    let c_name = memchr(b'_', word.as_bytes()).is_some()
        && word
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    c_name
        || VERBOSE_PREFIXES.iter().any(|p| text.starts_with(p))
        || text.starts_with("pref ")
        || text.starts_with("host name lookup")
        || text.ends_with(" socket: wanted attribute: ")
        || WANTED.find(text.as_bytes()).is_some()
}

// Byte-level searches. `str::find` with a string pattern sets up a two-way searcher on
// every call and with a set of chars tests char by char; on these short lines that setup
// dominates. The helpers below find the same positions with `memchr`.

/// `s.find(pat)` for a pattern of one or two bytes (the separators `" "`, `", "`, `": "`,
/// `"; "`); longer patterns go to `str::find`.
fn find_str(s: &str, pat: &str) -> Option<usize> {
    let (b, p) = (s.as_bytes(), pat.as_bytes());
    match *p {
        [c] => memchr(c, b),
        [c, d] => {
            let mut from = 0;
            while let Some(at) = memchr(c, &b[from..]) {
                let at = from + at;
                if b.get(at + 1) == Some(&d) {
                    return Some(at);
                }
                from = at + 1;
            }
            None
        }
        _ => s.find(pat),
    }
}

/// `s.split_once(pat)` for a pattern of one or two bytes.
fn split_str<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let at = find_str(s, pat)?;
    Some((&s[..at], &s[at + pat.len()..]))
}

/// `s.rsplit_once(pat)` for a two-byte pattern.
fn rsplit_str<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let (b, &[c, d]) = (s.as_bytes(), pat.as_bytes()) else {
        return s.rsplit_once(pat);
    };
    let mut end = b.len();
    while let Some(at) = memrchr(c, &b[..end]) {
        if b.get(at + 1) == Some(&d) {
            return Some((&s[..at], &s[at + 2..]));
        }
        end = at;
    }
    None
}

/// `s.split_once(", KEY")` where `key` is `KEY`: the value before the first `, ` that
/// opens the field, and the text after the key.
fn split_field<'a>(s: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let mut from = 0;
    while let Some(p) = find_str(&s[from..], ", ") {
        let at = from + p;
        if s[at + 2..].starts_with(key) {
            return Some((&s[..at], &s[at + 2 + key.len()..]));
        }
        from = at + 2;
    }
    None
}

/// `s.rfind(" from ")`.
fn rfind_from(s: &str) -> Option<usize> {
    static FROM: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(" from "));
    FROM.rfind(s.as_bytes())
}

/// The text before the first space (all of `s` without one): `s.split(' ').next()`.
fn first_word(s: &str) -> &str {
    memchr(b' ', s.as_bytes()).map_or(s, |sp| &s[..sp])
}
