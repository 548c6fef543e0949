//! The life of a queued message: qmgr, delivery agents, retries, hops and bounce notices.
//!
//! A message is decided in passes. The first pass runs when qmgr first sees it; every
//! recipient still deferred afterwards waits in the deferred queue, and the next pass is a
//! [`What::Retry`] in the schedule, so days of retries cost nothing until they happen.
//! Each pass writes what Postfix writes: qmgr's `from=` (repeated on every retry), one
//! delivery line per recipient, `status=expired, returned to sender` when the queue
//! lifetime is over, a bounce notice with its own little message, and `removed`.
//!
//! Two kinds of pass create a second queue ID for the same mail: the content filter
//! (amavis takes the mail on `127.0.0.1:10024` and re-injects it through `:10025`, where it
//! gets `NEWID` with `orig_queue_id=`) and `local` alias forwarding (`forwarded as NEWID`).
//! Their hop lines are not records; the deliveries of `NEWID` are, for the original sender.

use std::fmt::Write as _;

use super::Gen;
use super::clock::{DAY, HOUR, MIN, SEC, push_delay};
use super::qid::Qid;
use super::rng::Rng;
use super::schedule::{Effect, What};
use super::text::{ALNUM, B64, HEX, LOWER_ALNUM, compact_time, tag};
use super::truth::Status;
use super::world::{Agent, Dest, Reply, person};

/// How often a new queue ID is one another instance has in flight.
const SHARED_ID_CHANCE: f64 = 0.003;
/// `maximal_queue_lifetime` (Postfix's default).
pub(crate) const LIFETIME: i64 = 5 * DAY;
/// `minimal_backoff_time`.
const MIN_BACKOFF: i64 = 5 * MIN;
/// `maximal_backoff_time` (raised from the default on these relays).
const MAX_BACKOFF: i64 = 4 * HOUR;

/// A message in the queue of one Postfix instance.
#[derive(Debug)]
pub(crate) struct Msg {
    pub(crate) host: usize,
    pub(crate) inst: usize,
    pub(crate) qid: Qid,
    /// The sender whose history the deliveries belong to; `None` for bounce notices.
    pub(crate) owner: Option<u32>,
    /// The envelope sender as logged (`from=<...>`); empty for bounce notices.
    pub(crate) from: String,
    /// Where bounce notices about this message are delivered.
    pub(crate) ndr_dest: usize,
    pub(crate) size: u32,
    pub(crate) nrcpt: usize,
    /// When the queue file was made (for `delay=`).
    pub(crate) queued_at: i64,
    pub(crate) backoff: i64,
    pub(crate) message_id: String,
    /// The submitting client, `name[addr]` (for XFORWARD `orig_client=`), and its address.
    pub(crate) client: String,
    pub(crate) client_ip: String,
    /// The first pass goes to the content filter.
    pub(crate) filter: bool,
    /// Recipients not yet finished.
    pub(crate) rcpts: Vec<Rcpt>,
}

impl Msg {
    /// A message just accepted; the caller fills in recipients and origin.
    pub(crate) fn new(host: usize, inst: usize, qid: Qid, queued_at: i64) -> Self {
        Msg {
            host,
            inst,
            qid,
            owner: None,
            from: String::new(),
            ndr_dest: 0,
            size: 0,
            nrcpt: 0,
            queued_at,
            backoff: MIN_BACKOFF,
            message_id: String::new(),
            client: String::new(),
            client_ip: String::new(),
            filter: false,
            rcpts: Vec::new(),
        }
    }
}

/// One recipient and what will become of it.
#[derive(Debug)]
pub(crate) struct Rcpt {
    pub(crate) addr: String,
    pub(crate) orig_to: Option<String>,
    pub(crate) dest: usize,
    pub(crate) fate: Fate,
    pub(crate) defer: Defer,
    pub(crate) bounce: Bounce,
}

/// The planned outcome of a recipient.
#[derive(Debug)]
pub(crate) enum Fate {
    /// Delivered after `defers` deferrals.
    Sent { defers: u8 },
    /// Refused after `defers` deferrals.
    Bounced { defers: u8 },
    /// Deferred until the message expires.
    Expire,
    /// A local alias: forwarded to these recipients under a new queue ID.
    Forward(Vec<Rcpt>),
}

/// Why a delivery is deferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Defer {
    Greylist,
    Timeout,
    Quota,
    Rate,
    Lost,
}

/// Why a recipient is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bounce {
    NoUser,
    NoDomain,
    Spam,
    TooBig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Sent,
    Deferred,
    /// Deferred by the `error` agent: the destination is known to be down.
    Suspended,
    Bounced,
}

const LISTS: [&str; 5] = [
    "announce",
    "seminar",
    "staff-all",
    "cs-students",
    "library-news",
];
const ALIASES: [&str; 4] = ["staff", "noc", "webmaster", "helpdesk"];

impl Gen {
    /// The queue-ID pool of an instance.
    pub(crate) fn pool(&self, host: usize, inst: usize) -> usize {
        self.world.hosts[host].instances[inst].pool
    }

    /// A queue ID for a file made at `t`. Rarely it is an ID that another instance of the
    /// same ID format has in flight at the same time: IDs are unique per instance only.
    pub(crate) fn alloc(&mut self, host: usize, inst: usize, t: i64) -> Qid {
        let p = self.pool(host, inst);
        if self.rng.chance(SHARED_ID_CHANCE) {
            let others: Vec<usize> = (0..self.pools.len())
                .filter(|&q| q != p && self.pools[q].is_long() == self.pools[p].is_long())
                .collect();
            if !others.is_empty() {
                let q = others[self.rng.index(others.len())];
                if let Some(qid) = self.pools[q].any_in_flight(&mut self.rng)
                    && self.pools[p].adopt(qid)
                {
                    self.tally.situations.shared_queue_ids += 1;
                    return qid;
                }
            }
        }
        let (qid, reused) = self.pools[p].alloc(&mut self.rng, t);
        if reused {
            self.tally.situations.queue_id_reuses += 1;
        }
        qid
    }

    /// `n` distinct recipients for a message on `host`; `spam` for a compromised account.
    pub(crate) fn recipients(&mut self, n: usize, spam: bool, host: usize) -> Vec<Rcpt> {
        let mut out: Vec<Rcpt> = Vec::with_capacity(n);
        let mut tries = 0;
        while out.len() < n && tries < n * 4 {
            tries += 1;
            let r = self.recipient(spam, host, true);
            if !out.iter().any(|o| o.addr == r.addr) {
                out.push(r);
            }
        }
        out
    }

    fn recipient(&mut self, spam: bool, host: usize, may_forward: bool) -> Rcpt {
        let local = self.world.hosts[host].local_dest;
        if !spam && may_forward && self.rng.chance(0.007) {
            let alias = format!(
                "{}@{}",
                self.rng.pick(&ALIASES),
                self.world.hosts[host].fqdn
            );
            let k = self.rng.range(1, 3) as usize;
            let targets = (0..k).map(|_| self.recipient(false, host, false)).collect();
            return Rcpt {
                addr: alias,
                orig_to: None,
                dest: local,
                fate: Fate::Forward(targets),
                defer: Defer::Lost,
                bounce: Bounce::NoUser,
            };
        }
        let dest = if !spam && self.rng.chance(0.005) {
            local
        } else {
            self.world.pick_dest(&mut self.rng)
        };
        let d = &self.world.dests[dest];
        let addr = match d.agent {
            Agent::Virtual => format!("{}@{}", self.rng.pick(&LISTS), d.domain),
            _ => format!("{}@{}", person(&mut self.rng), d.domain),
        };
        let (fate, defer, bounce) = fate_for(&mut self.rng, d, spam);
        Rcpt {
            addr,
            orig_to: None,
            dest,
            fate,
            defer,
            bounce,
        }
    }

    /// qmgr's `QID: from=<S>, size=N, nrcpt=N (queue active)`.
    fn qmgr_from(&self, msg: &Msg) -> String {
        let inst = &self.world.hosts[msg.host].instances[msg.inst];
        let mut body = tag(inst.name, None, "qmgr", inst.qmgr);
        let _ = write!(
            body,
            "{}: from=<{}>, size={}, nrcpt={} (queue active)",
            msg.qid, msg.from, msg.size, msg.nrcpt
        );
        body
    }

    /// qmgr takes the message at `t` (its first `from=` line carries `effect`), and the
    /// first pass starts.
    pub(crate) fn enqueue(&mut self, msg: Box<Msg>, t: i64, effect: Effect) {
        let body = self.qmgr_from(&msg);
        self.sched.line(t, msg.host, body, effect);
        let t = t + self.rng.span(500, 20_000);
        self.pass(msg, t, false);
    }

    /// A deferred message comes back from the deferred queue.
    pub(crate) fn retry(&mut self, msg: Box<Msg>, t: i64) {
        self.tally.situations.retries += 1;
        self.pass(msg, t, true);
    }

    fn pass(&mut self, mut msg: Box<Msg>, t0: i64, announce: bool) {
        if announce {
            let body = self.qmgr_from(&msg);
            self.sched.line(t0, msg.host, body, Effect::none());
        }
        if msg.filter {
            msg.filter = false;
            self.content_filter(msg, t0);
            return;
        }
        let retry = announce;
        let t = t0 + self.rng.span(1_000, 40_000);
        let mut t_last = t;
        let mut pending = Vec::new();
        let mut bounced = false;
        let rcpts = std::mem::take(&mut msg.rcpts);
        for (i, mut r) in rcpts.into_iter().enumerate() {
            let start = t + i as i64 * self.rng.span(1_000, 30_000);
            let end = match &mut r.fate {
                Fate::Forward(targets) => {
                    let targets = std::mem::take(targets);
                    self.forward(&msg, &r, targets, start)
                }
                Fate::Expire => {
                    let how = if retry && r.defer == Defer::Timeout && self.rng.chance(0.4) {
                        Outcome::Suspended
                    } else {
                        Outcome::Deferred
                    };
                    let end = self.attempt(&msg, &r, how, start);
                    pending.push(r);
                    end
                }
                Fate::Sent { defers } | Fate::Bounced { defers } if *defers > 0 => {
                    *defers -= 1;
                    let end = self.attempt(&msg, &r, Outcome::Deferred, start);
                    pending.push(r);
                    end
                }
                Fate::Sent { .. } => self.attempt(&msg, &r, Outcome::Sent, start),
                Fate::Bounced { .. } => {
                    bounced = true;
                    self.attempt(&msg, &r, Outcome::Bounced, start)
                }
            };
            t_last = t_last.max(end);
        }
        let mut t = t_last + self.rng.span(100, 5_000);
        let expired = !pending.is_empty() && t - msg.queued_at >= LIFETIME;
        if expired {
            let inst = &self.world.hosts[msg.host].instances[msg.inst];
            let mut body = tag(inst.name, None, "qmgr", inst.qmgr);
            let _ = write!(
                body,
                "{}: from=<{}>, status=expired, returned to sender",
                msg.qid, msg.from
            );
            let effect = match msg.owner {
                Some(who) => Effect {
                    record: Some((who, Status::Expired, pending.len() as u32)),
                    ..Effect::none()
                },
                None => Effect::none(),
            };
            self.sched.line(t, msg.host, body, effect);
            self.tally.situations.expirations += 1;
            t += self.rng.span(200, 3_000);
        }
        if (bounced || expired) && !msg.from.is_empty() {
            t = self.notify(&msg, t);
        }
        if pending.is_empty() || expired {
            let t_rm = t + self.rng.span(100, 2_000);
            self.removed(&msg, t_rm);
        } else {
            msg.rcpts = pending;
            let wait = msg.backoff + self.rng.span(0, MIN_BACKOFF);
            msg.backoff = (msg.backoff * 2).min(MAX_BACKOFF);
            self.sched.push(t + wait, What::Retry(msg));
        }
    }

    /// qmgr's `QID: removed`; the ID is free again.
    fn removed(&mut self, msg: &Msg, t: i64) {
        let inst = &self.world.hosts[msg.host].instances[msg.inst];
        let mut body = tag(inst.name, None, "qmgr", inst.qmgr);
        let _ = write!(body, "{}: removed", msg.qid);
        let effect = Effect::free(inst.pool, msg.qid, true);
        self.sched.line(t, msg.host, body, effect);
    }

    /// The first pass of a message on a content-filter host: all recipients go to amavis,
    /// which re-injects the mail as `NEWID`. NEWID's first lines come before the hop lines;
    /// a few hop lines come after NEWID was delivered and removed.
    fn content_filter(&mut self, mut msg: Box<Msg>, t0: i64) {
        let (host, inst) = (msg.host, msg.inst);
        self.tally.situations.content_filter_hops += 1;
        let mut t = t0 + self.rng.span(20_000, 400_000);
        let new = self.alloc(host, inst, t);
        let pid = self.world.hosts[host].pid(&mut self.rng);
        let i = &self.world.hosts[host].instances[inst];
        let name = i.name;
        let mut body = tag(name, None, "smtpd", pid);
        body.push_str("connect from localhost[127.0.0.1]");
        self.sched.line(t, host, body, Effect::none());
        t += self.rng.span(300, 2_000);
        let t_client = t;
        let mut body = tag(name, None, "smtpd", pid);
        let _ = write!(
            body,
            "{new}: client=localhost[127.0.0.1], orig_queue_id={}, orig_client={}",
            msg.qid, msg.client
        );
        self.sched.line(t, host, body, Effect::none());
        t += self.rng.span(1_000, 5_000);
        let mut body = tag(name, None, "cleanup", *self.rng.pick(&i.cleanup));
        let _ = write!(body, "{new}: message-id={}", msg.message_id);
        self.sched.line(t, host, body, Effect::none());
        let t_q = t + self.rng.span(500, 10_000);
        let t_amavis = t + self.rng.span(200, 3_000);
        // Now and then the filter's answer is logged seconds late: the copy may have been
        // delivered and removed by then.
        let t_hop = if self.rng.chance(0.03) {
            self.tally.situations.late_filter_answers += 1;
            t_amavis + self.rng.span(2_000_000, 15_000_000)
        } else {
            t_amavis + self.rng.span(100, 5_000)
        };

        let amavis = self.world.hosts[host].amavis + self.rng.range(0, 4) as u32;
        let mut body = String::with_capacity(400);
        let _ = write!(
            body,
            "amavis[{amavis}]: ({amavis:05}-{:02}) Passed CLEAN {{RelayedOutbound}}, [{}]:{} [{}] <{}> -> ",
            self.rng.range(1, 40),
            msg.client_ip,
            self.rng.range(1024, 65535),
            msg.client_ip,
            msg.from
        );
        for (k, r) in msg.rcpts.iter().enumerate() {
            if k > 0 {
                body.push(',');
            }
            let _ = write!(body, "<{}>", r.addr);
        }
        let _ = write!(
            body,
            ", Queue-ID: {}, Message-ID: {}, mail_id: ",
            msg.qid, msg.message_id
        );
        self.rng.push_chars(&mut body, ALNUM, 12);
        let _ = write!(
            body,
            ", Hits: -{}.{:03}, size: {}, queued_as: {new}, {} ms",
            self.rng.range(0, 3),
            self.rng.range(0, 999),
            msg.size,
            self.rng.range(40, 900)
        );
        self.sched.line(t_amavis, host, body, Effect::none());

        let smtp_pid = *self.rng.pick(&self.world.hosts[host].instances[inst].smtp);
        let mut t_end = t_hop;
        for r in &msg.rcpts {
            let mut body = tag(name, None, "smtp", smtp_pid);
            let _ = write!(body, "{}: to=<{}>", msg.qid, r.addr);
            if let Some(o) = &r.orig_to {
                let _ = write!(body, ", orig_to=<{o}>");
            }
            body.push_str(", relay=127.0.0.1[127.0.0.1]:10024, delay=");
            let total = t_end - msg.queued_at;
            let d = t_end - t0;
            push_delay(&mut body, total);
            body.push_str(", delays=");
            push_delays(&mut body, total, 0, 0, d);
            let _ = write!(
                body,
                ", dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as {new})"
            );
            self.sched.line(t_end, host, body, Effect::none());
            t_end += self.rng.span(10, 200);
        }
        let n = msg.rcpts.len() as u32;
        let mut body = tag(name, None, "smtpd", pid);
        let _ = write!(body, "disconnect from localhost[127.0.0.1]");
        super::text::Counters {
            ehlo: 1,
            xforward: 1,
            mail: (1, 1),
            rcpt: (n, n),
            data: (1, 1),
            quit: 1,
            ..Default::default()
        }
        .push(&mut body);
        let t_disc = t_end.max(t_q) + self.rng.span(200, 2_000);
        self.sched.line(t_disc, host, body, Effect::none());
        let t_rm = t_end + self.rng.span(100, 3_000);
        self.removed(&msg, t_rm);

        let mut next = Box::new(Msg::new(host, inst, new, t_client));
        next.owner = msg.owner;
        next.from = std::mem::take(&mut msg.from);
        next.ndr_dest = msg.ndr_dest;
        next.size = msg.size + self.rng.range(400, 1_200) as u32;
        next.nrcpt = msg.rcpts.len();
        next.message_id = std::mem::take(&mut msg.message_id);
        next.client = "localhost[127.0.0.1]".to_string();
        next.client_ip = "127.0.0.1".to_string();
        next.rcpts = std::mem::take(&mut msg.rcpts);
        self.enqueue(next, t_q, Effect::none());
    }

    /// `local` expands an alias to other addresses: the mail is re-queued as `NEWID`
    /// (whose cleanup and qmgr lines may come first); returns when the hop line is written.
    fn forward(&mut self, msg: &Msg, r: &Rcpt, targets: Vec<Rcpt>, t0: i64) -> i64 {
        let (host, inst) = (msg.host, msg.inst);
        self.tally.situations.forwards += 1;
        let t_c = t0 + self.rng.span(1_000, 20_000);
        let new = self.alloc(host, inst, t_c);
        let i = &self.world.hosts[host].instances[inst];
        let name = i.name;
        let mut body = tag(name, None, "cleanup", *self.rng.pick(&i.cleanup));
        let _ = write!(body, "{new}: message-id={}", msg.message_id);
        self.sched.line(t_c, host, body, Effect::none());
        let t_q = t_c + self.rng.span(300, 5_000);
        let t_l = t_c + self.rng.span(100, 8_000);
        let mut body = tag(name, None, "local", *self.rng.pick(&i.local));
        let _ = write!(body, "{}: to=<{}>", msg.qid, r.addr);
        if let Some(o) = &r.orig_to {
            let _ = write!(body, ", orig_to=<{o}>");
        }
        body.push_str(", relay=local, delay=");
        let total = t_l - msg.queued_at;
        push_delay(&mut body, total);
        body.push_str(", delays=");
        push_delays(&mut body, total, 0, 0, t_l - t0);
        let _ = write!(body, ", dsn=2.0.0, status=sent (forwarded as {new})");
        self.sched.line(t_l, host, body, Effect::none());

        let mut next = Box::new(Msg::new(host, inst, new, t_c));
        next.owner = msg.owner;
        next.from = msg.from.clone();
        next.ndr_dest = msg.ndr_dest;
        next.size = msg.size + self.rng.range(200, 600) as u32;
        next.nrcpt = targets.len();
        next.message_id = msg.message_id.clone();
        next.client = msg.client.clone();
        next.client_ip = msg.client_ip.clone();
        let orig = r.orig_to.clone().unwrap_or_else(|| r.addr.clone());
        next.rcpts = targets
            .into_iter()
            .map(|mut t| {
                t.orig_to = Some(orig.clone());
                t
            })
            .collect();
        let body = self.qmgr_from(&next);
        self.sched.line(t_q, host, body, Effect::none());
        let t_next = t_q + self.rng.span(500, 20_000);
        self.pass(next, t_next, false);
        t_l
    }

    /// The bounce daemon sends the sender a non-delivery notification (`from=<>`), a
    /// message of its own; returns when the original may be removed.
    fn notify(&mut self, msg: &Msg, t0: i64) -> i64 {
        let (host, inst) = (msg.host, msg.inst);
        self.tally.situations.bounce_notices += 1;
        let ndr = self.alloc(host, inst, t0);
        let h = &self.world.hosts[host];
        let i = &h.instances[inst];
        let name = i.name;
        let message_id = if self.pools[i.pool].is_long() {
            format!("<{ndr}@{}>", h.fqdn)
        } else {
            format!("<{}.{ndr}@{}>", compact_time(t0), h.fqdn)
        };
        let (t_notice, t_c) = if h.v311 {
            (t0 + 500, t0 + 1_500)
        } else {
            (t0 + 3_000, t0 + 500)
        };
        let t_q = t_c + self.rng.span(300, 1_500);
        let mut body = tag(name, None, "bounce", *self.rng.pick(&i.bounce));
        let _ = write!(body, "{}: sender non-delivery notification: {ndr}", msg.qid);
        self.sched.line(t_notice, host, body, Effect::none());
        let mut body = tag(name, None, "cleanup", *self.rng.pick(&i.cleanup));
        let _ = write!(body, "{ndr}: message-id={message_id}");
        self.sched.line(t_c, host, body, Effect::none());

        let mut note = Box::new(Msg::new(host, inst, ndr, t_c));
        note.size = self.rng.range(2_500, 9_000) as u32 + msg.size.min(4_000);
        note.nrcpt = 1;
        note.message_id = message_id;
        note.ndr_dest = msg.ndr_dest;
        note.rcpts.push(Rcpt {
            addr: msg.from.clone(),
            orig_to: None,
            dest: msg.ndr_dest,
            fate: Fate::Sent { defers: 0 },
            defer: Defer::Lost,
            bounce: Bounce::NoUser,
        });
        let body = self.qmgr_from(&note);
        self.sched.line(t_q, host, body, Effect::none());
        let t_next = t_q + self.rng.span(500, 20_000);
        self.pass(note, t_next, false);
        t_notice.max(t_q) + self.rng.span(100, 2_000)
    }

    /// One delivery attempt for one recipient, starting at `t0`; returns when its line is
    /// written.
    fn attempt(&mut self, msg: &Msg, r: &Rcpt, outcome: Outcome, t0: i64) -> i64 {
        let Gen {
            rng, world, sched, ..
        } = self;
        let dest = &world.dests[r.dest];
        let h = &world.hosts[msg.host];
        let inst = &h.instances[msg.inst];
        let (daemon, pid) = match (outcome, dest.agent) {
            (Outcome::Suspended, _) => ("error", *rng.pick(&inst.error)),
            (_, Agent::Smtp) => ("smtp", *rng.pick(&inst.smtp)),
            (_, Agent::Lmtp) => ("lmtp", *rng.pick(&inst.lmtp)),
            (_, Agent::Local) => ("local", *rng.pick(&inst.local)),
            (_, Agent::Virtual) => ("virtual", *rng.pick(&inst.virt)),
        };
        let remote = matches!(dest.agent, Agent::Smtp | Agent::Lmtp);
        let timeout = outcome == Outcome::Deferred && r.defer == Defer::Timeout && remote;
        let no_route =
            outcome == Outcome::Suspended || timeout || (!dest.exists && dest.agent == Agent::Smtp);
        let (c, d) = if outcome == Outcome::Suspended || !dest.exists {
            (0, rng.span(0, 3_000))
        } else if timeout {
            (30 * SEC + rng.span(0, 50_000), 0)
        } else if remote {
            (rng.span(50_000, 1_500_000), rng.span(20_000, 900_000))
        } else {
            (rng.span(0, 10_000), rng.span(5_000, 200_000))
        };
        let t_end = t0 + c + d;
        if outcome == Outcome::Sent && dest.agent == Agent::Smtp && rng.chance(0.4) {
            let mut body = tag(inst.name, None, daemon, pid);
            let _ = write!(
                body,
                "{} TLS connection established to {}[{}]:25: ",
                if rng.chance(0.6) {
                    "Verified"
                } else {
                    "Trusted"
                },
                dest.mx,
                dest.ip
            );
            super::text::push_tls_suite(&mut body, rng);
            sched.line(t0 + c * 4 / 5, msg.host, body, Effect::none());
        }
        if timeout {
            let mut body = tag(inst.name, None, daemon, pid);
            let _ = write!(
                body,
                "connect to {}[{}]:25: Connection timed out",
                dest.mx, dest.ip
            );
            sched.line(t_end - 1_000, msg.host, body, Effect::none());
        }
        let mut body = tag(inst.name, None, daemon, pid);
        let _ = write!(body, "{}: to=<{}>", msg.qid, r.addr);
        if let Some(o) = &r.orig_to {
            let _ = write!(body, ", orig_to=<{o}>");
        }
        body.push_str(", relay=");
        if no_route {
            body.push_str("none");
        } else {
            match dest.agent {
                Agent::Smtp | Agent::Lmtp => {
                    let _ = write!(body, "{}[{}]:{}", dest.mx, dest.ip, dest.port);
                }
                Agent::Local => body.push_str("local"),
                Agent::Virtual => body.push_str("virtual"),
            }
        }
        if outcome == Outcome::Sent && dest.agent == Agent::Smtp && rng.chance(0.1) {
            let _ = write!(body, ", conn_use={}", rng.range(2, 6));
        }
        body.push_str(", delay=");
        let total = t_end - msg.queued_at;
        let b = rng.span(0, 50_000).min((total - c - d).max(0));
        push_delay(&mut body, total);
        body.push_str(", delays=");
        push_delays(&mut body, total, b, c, d);
        if h.v311 && remote && !no_route {
            body.push_str(", tls=may");
        }
        let status = match outcome {
            Outcome::Sent => {
                body.push_str(", dsn=2.0.0, status=sent (");
                push_sent(&mut body, rng, dest, r, msg);
                Status::Sent
            }
            Outcome::Deferred | Outcome::Suspended => {
                let why = if timeout { Defer::Timeout } else { r.defer };
                push_deferred(&mut body, rng, dest, r, why, outcome == Outcome::Suspended);
                Status::Deferred
            }
            Outcome::Bounced => {
                push_bounced(&mut body, rng, dest, r);
                Status::Bounced
            }
        };
        body.push(')');
        sched.line(t_end, msg.host, body, Effect::record_for(msg.owner, status));
        t_end
    }
}

/// Chooses what happens to a recipient at `d`: mostly delivered, sometimes after
/// deferrals, sometimes refused, rarely never (the message expires).
fn fate_for(rng: &mut Rng, d: &Dest, spam: bool) -> (Fate, Defer, Bounce) {
    if !d.exists {
        return (Fate::Bounced { defers: 0 }, Defer::Lost, Bounce::NoDomain);
    }
    let defer = match d.reply {
        Reply::Gmail | Reply::Yahoo => *rng.pick(&[Defer::Rate, Defer::Lost, Defer::Quota]),
        Reply::Lmtp => Defer::Quota,
        _ => *rng.pick(&[Defer::Greylist, Defer::Greylist, Defer::Quota, Defer::Lost]),
    };
    let bounce = *rng.pick(&[Bounce::NoUser, Bounce::NoUser, Bounce::Spam, Bounce::TooBig]);
    let u = rng.unit();
    let fate = match d.agent {
        Agent::Local | Agent::Virtual => {
            if u < 0.97 {
                Fate::Sent { defers: 0 }
            } else {
                return (Fate::Bounced { defers: 0 }, defer, Bounce::NoUser);
            }
        }
        Agent::Lmtp => {
            if u < 0.93 {
                Fate::Sent { defers: 0 }
            } else if u < 0.96 {
                Fate::Sent { defers: 1 }
            } else {
                return (Fate::Bounced { defers: 0 }, defer, Bounce::NoUser);
            }
        }
        Agent::Smtp if spam => {
            if u < 0.45 {
                Fate::Bounced { defers: 0 }
            } else if u < 0.6 {
                return (
                    Fate::Sent {
                        defers: rng.range(1, 2) as u8,
                    },
                    Defer::Rate,
                    bounce,
                );
            } else {
                Fate::Sent { defers: 0 }
            }
        }
        Agent::Smtp => {
            if u < 0.86 {
                Fate::Sent { defers: 0 }
            } else if u < 0.93 {
                Fate::Sent {
                    defers: rng.range(1, 3) as u8,
                }
            } else if u < 0.965 {
                Fate::Bounced { defers: 0 }
            } else if u < 0.975 {
                Fate::Bounced {
                    defers: rng.range(1, 3) as u8,
                }
            } else if u < 0.978 {
                let why = if rng.chance(0.6) {
                    Defer::Timeout
                } else {
                    Defer::Quota
                };
                return (Fate::Expire, why, bounce);
            } else {
                Fate::Sent { defers: 0 }
            }
        }
    };
    (fate, defer, bounce)
}

/// `a/b/c/d`: before qmgr, in qmgr, connection setup, transmission.
fn push_delays(out: &mut String, total: i64, b: i64, c: i64, d: i64) {
    let a = (total - b - c - d).max(0);
    for (k, v) in [a, b, c, d].into_iter().enumerate() {
        if k > 0 {
            out.push('/');
        }
        push_delay(out, v);
    }
}

fn push_token(out: &mut String, rng: &mut Rng, alphabet: &[u8], n: usize) {
    rng.push_chars(out, alphabet, n);
}

/// The text of a successful delivery, as each kind of server words it.
fn push_sent(out: &mut String, rng: &mut Rng, dest: &Dest, r: &Rcpt, msg: &Msg) {
    match dest.reply {
        Reply::Gmail => {
            let _ = write!(
                out,
                "250 2.0.0 OK  {} ",
                1_772_000_000 + rng.below(10_000_000)
            );
            push_token(out, rng, LOWER_ALNUM, 13);
            let _ = write!(out, ".{} - gsmtp", rng.range(100, 999));
        }
        Reply::Outlook => {
            let _ = write!(
                out,
                "250 2.6.0 {} [InternalId={}, Hostname=TYZPR0{}MB{}.apcprd0{}.prod.outlook.com] {} bytes in 0.{:03}, {}.{:03} KB/sec Queued mail for delivery",
                msg.message_id,
                rng.range(10_000_000_000_000, 99_999_999_999_999),
                rng.range(1, 6),
                rng.range(1000, 9999),
                rng.range(1, 6),
                msg.size + 800,
                rng.range(10, 999),
                rng.range(10, 900),
                rng.range(0, 999)
            );
        }
        Reply::Yahoo => out.push_str("250 ok dirdel"),
        Reply::Qq => out.push_str("250 OK: queued as."),
        Reply::Postfix => {
            out.push_str("250 2.0.0 Ok: queued as ");
            let n = rng.range(10, 11) as usize;
            push_token(out, rng, HEX, n);
        }
        Reply::Lmtp => {
            let _ = write!(out, "250 2.0.0 <{}> ", r.addr);
            push_token(out, rng, B64, 22);
            out.push_str(" Saved");
        }
        Reply::Mailbox => out.push_str("delivered to mailbox"),
        Reply::Maildir => out.push_str("delivered to maildir"),
    }
}

/// `, dsn=4.x.x, status=deferred (REASON` (the caller closes the parenthesis).
fn push_deferred(
    out: &mut String,
    rng: &mut Rng,
    dest: &Dest,
    r: &Rcpt,
    why: Defer,
    suspended: bool,
) {
    let (mx, ip) = (&dest.mx, &dest.ip);
    if suspended {
        let _ = write!(
            out,
            ", dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to {mx}[{ip}]:25: Connection timed out"
        );
        return;
    }
    match why {
        Defer::Timeout => {
            let _ = write!(
                out,
                ", dsn=4.4.1, status=deferred (connect to {mx}[{ip}]:25: Connection timed out"
            );
        }
        Defer::Greylist => {
            let _ = write!(
                out,
                ", dsn=4.7.1, status=deferred (host {mx}[{ip}] said: 450 4.7.1 <{}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{}.html (in reply to RCPT TO command)",
                r.addr, dest.domain
            );
        }
        Defer::Quota => {
            let _ = write!(
                out,
                ", dsn=4.2.2, status=deferred (host {mx}[{ip}] said: 452 4.2.2 <{}>: user is over quota, please try again later (in reply to RCPT TO command)",
                r.addr
            );
        }
        Defer::Rate if dest.reply == Reply::Gmail => {
            let _ = write!(
                out,
                ", dsn=4.7.28, status=deferred (host {mx}[{ip}] said: 421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address. To protect our 421-4.7.28 users from spam, mail sent from your IP address has been temporarily 421 4.7.28 rate limited. For more information, go to 421 4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError "
            );
            push_token(out, rng, LOWER_ALNUM, 20);
            out.push_str(" - gsmtp (in reply to end of DATA command)");
        }
        Defer::Rate => {
            let _ = write!(
                out,
                ", dsn=4.7.0, status=deferred (host {mx}[{ip}] said: 421 4.7.0 [TSS04] Messages from 192.0.2.{} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)",
                rng.range(10, 12)
            );
        }
        Defer::Lost => {
            let _ = write!(
                out,
                ", dsn=4.4.2, status=deferred (lost connection with {mx}[{ip}] while receiving the initial server greeting"
            );
        }
    }
}

/// `, dsn=5.x.x, status=bounced (REASON` (the caller closes the parenthesis).
fn push_bounced(out: &mut String, rng: &mut Rng, dest: &Dest, r: &Rcpt) {
    let (mx, ip) = (&dest.mx, &dest.ip);
    if !dest.exists {
        let _ = write!(
            out,
            ", dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name={} type=A: Host not found",
            dest.domain
        );
        return;
    }
    let local_part = r.addr.split('@').next().unwrap_or("");
    match (dest.agent, r.bounce) {
        (Agent::Local, _) => {
            let _ = write!(
                out,
                ", dsn=5.1.1, status=bounced (unknown user: \"{local_part}\""
            );
        }
        (Agent::Virtual, _) => {
            let _ = write!(
                out,
                ", dsn=5.1.1, status=bounced (unknown user: \"{}\"",
                r.addr
            );
        }
        (Agent::Lmtp, _) => {
            let _ = write!(
                out,
                ", dsn=5.1.1, status=bounced (host {mx}[{ip}] said: 550 5.1.1 <{}> User doesn't exist: {} (in reply to RCPT TO command)",
                r.addr, r.addr
            );
        }
        (Agent::Smtp, Bounce::NoUser) if dest.reply == Reply::Gmail => {
            let _ = write!(
                out,
                ", dsn=5.1.1, status=bounced (host {mx}[{ip}] said: 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser "
            );
            push_token(out, rng, LOWER_ALNUM, 20);
            out.push_str(" - gsmtp (in reply to RCPT TO command)");
        }
        (Agent::Smtp, Bounce::NoUser) if dest.reply == Reply::Outlook => {
            let _ = write!(
                out,
                ", dsn=5.5.0, status=bounced (host {mx}[{ip}] said: 550 5.5.0 Requested action not taken: mailbox unavailable (in reply to RCPT TO command)"
            );
        }
        (Agent::Smtp, Bounce::NoUser) if dest.reply == Reply::Yahoo => {
            let _ = write!(
                out,
                ", dsn=5.0.0, status=bounced (host {mx}[{ip}] said: 554 delivery error: dd This user doesn't have a {} account ({}) [0] - mta{}.mail.gq1.yahoo.com (in reply to end of DATA command)",
                dest.domain,
                r.addr,
                rng.range(1000, 9999)
            );
        }
        (Agent::Smtp, Bounce::NoUser | Bounce::NoDomain) => {
            let _ = write!(
                out,
                ", dsn=5.1.1, status=bounced (host {mx}[{ip}] said: 550 5.1.1 <{}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
                r.addr
            );
        }
        (Agent::Smtp, Bounce::Spam) => {
            let _ = write!(
                out,
                ", dsn=5.7.1, status=bounced (host {mx}[{ip}] said: 554 5.7.1 Message rejected as spam by Content Filtering. (in reply to end of DATA command)"
            );
        }
        (Agent::Smtp, Bounce::TooBig) => {
            let _ = write!(
                out,
                ", dsn=5.3.4, status=bounced (host {mx}[{ip}] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)"
            );
        }
    }
}
