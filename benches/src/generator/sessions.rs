//! What arrives at a relay: one scenario per kind of connection or noise.
//!
//! Each arrival is one of a fixed mix: a sender's SMTP session submitting one or more
//! messages (by client IP, or with SMTP AUTH on the submission service), mail from
//! `pickup`, a stranger refused with `NOQUEUE: reject:`, a password-guessing run of SASL
//! failures, and the lines of other programs and other daemons that fill real logs
//! (postscreen, anvil, dovecot, TLS, lost connections). A scenario writes its own lines
//! into the schedule and hands accepted messages to [`mail`](super::mail).

use std::fmt::Write as _;

use super::Gen;
use super::clock::{MIN, SEC, push_syslog};
use super::mail::Msg;
use super::schedule::Effect;
use super::text::{B64, Counters, compact_time, message_id, push_tls_suite, tag};
use super::truth::Status;
use super::world::{Client, DEPTS, person, public_ip};

/// The arrival mix: (scenario, weight in thousandths).
const MIX: [(Kind, u32); 8] = [
    (Kind::Submit, 560),
    (Kind::Pickup, 40),
    (Kind::RelayReject, 80),
    (Kind::SaslAttack, 50),
    (Kind::Postscreen, 80),
    (Kind::Dovecot, 90),
    (Kind::LostConnection, 80),
    (Kind::Anvil, 20),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Submit,
    Pickup,
    RelayReject,
    SaslAttack,
    Postscreen,
    Dovecot,
    LostConnection,
    Anvil,
}

const SUBJECTS: [&str; 4] = [
    "Your account will be suspended",
    "URGENT invoice payment",
    "You have won a prize",
    "Password expiry notice",
];

impl Gen {
    /// One arrival at `t`.
    pub(crate) fn arrival(&mut self, t: i64) {
        let total: u32 = MIX.iter().map(|m| m.1).sum();
        let mut x = self.rng.below(u64::from(total)) as u32;
        let mut kind = Kind::Submit;
        for (k, w) in MIX {
            if x < w {
                kind = k;
                break;
            }
            x -= w;
        }
        match kind {
            Kind::Submit => self.submit(t),
            Kind::Pickup => self.pickup(t),
            Kind::RelayReject => self.relay_reject(t),
            Kind::SaslAttack => self.sasl_attack(t),
            Kind::Postscreen => self.postscreen(t),
            Kind::Dovecot => self.dovecot(t),
            Kind::LostConnection => self.lost_connection(t),
            Kind::Anvil => self.anvil(t),
        }
    }

    fn random_host(&mut self) -> usize {
        self.rng.index(self.world.hosts.len())
    }

    fn rcpt_count(&mut self, spam: bool) -> usize {
        if spam {
            return self.rng.range(5, 25) as usize;
        }
        let u = self.rng.unit();
        (if u < 0.72 {
            1
        } else if u < 0.9 {
            self.rng.range(2, 3)
        } else if u < 0.98 {
            self.rng.range(4, 10)
        } else {
            self.rng.range(11, 40)
        }) as usize
    }

    /// A sender's SMTP session: connect, (STARTTLS, AUTH), one or more messages, QUIT.
    /// Now and then a SASL account is used by a spammer from abroad for a long run.
    fn submit(&mut self, t0: i64) {
        let s = self.world.pick_sender(&mut self.rng);
        let sasl = self.world.senders[s].sasl.clone();
        let spam = sasl.is_some() && self.rng.chance(0.003);
        let host = match self.world.hosts.iter().position(|h| h.submission) {
            Some(h) if sasl.is_some() && self.rng.chance(0.8) => h,
            _ => self.random_host(),
        };
        let inst = if self.world.hosts[host].instances.len() > 1
            && sasl.is_none()
            && self.rng.chance(0.35)
        {
            1
        } else {
            0
        };
        let service = (sasl.is_some() && self.world.hosts[host].submission && inst == 0)
            .then_some("submission");
        let sender = &self.world.senders[s];
        let (who, shown, ndr_dest) = (sender.id, sender.shown.clone(), sender.dest);
        let (client, helo) = if spam {
            let ip = public_ip(&mut self.rng);
            (
                Client {
                    name: "unknown".into(),
                    ip,
                },
                "User".to_string(),
            )
        } else {
            let c = self.rng.pick(&sender.clients).clone();
            let helo = if c.name == "unknown" {
                format!("[{}]", c.ip)
            } else {
                c.name.clone()
            };
            (c, helo)
        };
        let h = &mut self.world.hosts[host];
        let pid = h.pid(&mut self.rng);
        let (name, v310, fqdn) = (h.instances[inst].name, h.v310, h.fqdn.clone());
        let filter = h.content_filter && inst == 0;
        let smtpd = || tag(name, service, "smtpd", pid);

        let mut t = t0;
        let mut body = smtpd();
        let _ = write!(body, "connect from {client}");
        self.sched.line(t, host, body, Effect::none());
        let mut c = Counters {
            ehlo: 1,
            quit: 1,
            ..Counters::default()
        };
        if service.is_some() || sasl.is_some() || self.rng.chance(0.6) {
            c.ehlo = 2;
            c.starttls = 1;
            t += self.rng.span(20_000, 200_000);
            let mut body = smtpd();
            let _ = write!(body, "Anonymous TLS connection established from {client}: ");
            push_tls_suite(&mut body, &mut self.rng);
            self.sched.line(t, host, body, Effect::none());
        }
        if sasl.is_some() {
            c.auth = (1, 1);
        }
        let k = if spam {
            self.rng.range(20, 60)
        } else if self.rng.chance(0.12) {
            self.rng.range(2, 3)
        } else {
            1
        };
        for _ in 0..k {
            t += self.rng.span(200_000, 3 * SEC);
            c.mail.0 += 1;
            c.mail.1 += 1;
            if !spam && self.rng.chance(0.025) {
                // A policy refuses the sender before anything is queued.
                c.rcpt.1 += 1;
                c.rset += 1;
                let d = self.world.pick_dest(&mut self.rng);
                let rcpt = format!("{}@{}", person(&mut self.rng), self.world.dests[d].domain);
                let mut body = smtpd();
                let _ = write!(
                    body,
                    "NOQUEUE: reject: RCPT from {client}: 450 4.7.1 <{rcpt}>: Recipient address rejected: Message rate limit exceeded; from=<{shown}> to=<{rcpt}> proto=ESMTP helo=<{helo}>"
                );
                if v310 && let Some(user) = &sasl {
                    let _ = write!(body, " sasl_method=PLAIN sasl_username={user}");
                }
                self.tally.situations.reject_lines += 1;
                self.sched
                    .line(t, host, body, Effect::record(who, Status::AuthBlk));
                continue;
            }
            let n = self.rcpt_count(spam);
            let rcpts = self.recipients(n, spam, host);
            let n = rcpts.len() as u32;
            let qid = self.alloc(host, inst, t);
            let t_client = t;
            let mut body = smtpd();
            let _ = write!(body, "{qid}: client={client}");
            if let Some(user) = &sasl {
                let method = if self.rng.chance(0.7) {
                    "PLAIN"
                } else {
                    "LOGIN"
                };
                let _ = write!(body, ", sasl_method={method}, sasl_username={user}");
            }
            self.sched.line(t, host, body, Effect::none());
            c.rcpt.0 += n;
            c.rcpt.1 += n;
            if !spam && self.rng.chance(0.03) {
                // One more recipient, at our own domain, that does not exist.
                t += self.rng.span(10_000, 300_000);
                c.rcpt.1 += 1;
                let bad = format!("{}@{fqdn}", person(&mut self.rng));
                let mut body = smtpd();
                let _ = write!(
                    body,
                    "{qid}: reject: RCPT from {client}: 550 5.1.1 <{bad}>: Recipient address rejected: User unknown in local recipient table; from=<{shown}> to=<{bad}> proto=ESMTP helo=<{helo}>"
                );
                self.tally.situations.reject_lines += 1;
                self.sched
                    .line(t, host, body, Effect::record(who, Status::AuthBlk));
            }
            let size = if self.rng.chance(0.05) {
                self.rng.range(500_000, 15_000_000)
            } else {
                self.rng.range(800, 120_000)
            } as u32;
            t += self.rng.span(50_000, 1_500_000) + i64::from(size) / 4;
            c.data.1 += 1;
            let domain = shown.rsplit('@').next().unwrap_or("example.edu");
            let mid = message_id(&mut self.rng, t, domain);
            let i = &self.world.hosts[host].instances[inst];
            let mut body = tag(name, None, "cleanup", *self.rng.pick(&i.cleanup));
            let _ = write!(body, "{qid}: message-id={mid}");
            self.sched.line(t, host, body, Effect::none());
            if !spam && self.rng.chance(0.008) {
                // A content check refuses the message: no qmgr, no `removed`.
                t += self.rng.span(1_000, 20_000);
                let first = rcpts.first().map_or("", |r| r.addr.as_str());
                let mut body = tag(name, None, "cleanup", *self.rng.pick(&i.cleanup));
                if self.rng.chance(0.5) {
                    let _ = write!(
                        body,
                        "{qid}: milter-reject: END-OF-MESSAGE from {client}: 5.7.1 Virus found in message; from=<{shown}> to=<{first}> proto=ESMTP helo=<{helo}>"
                    );
                } else {
                    let _ = write!(
                        body,
                        "{qid}: reject: header Subject: {} from {client}; from=<{shown}> to=<{first}> proto=ESMTP helo=<{helo}>: 5.7.1 message content rejected",
                        self.rng.pick(&SUBJECTS)
                    );
                }
                self.tally.situations.reject_lines += 1;
                let pool = i.pool;
                let effect = Effect {
                    record: Some((who, Status::AuthBlk, 1)),
                    free: Some((pool, qid, false)),
                    ..Effect::none()
                };
                self.sched.line(t, host, body, effect);
                continue;
            }
            c.data.0 += 1;
            let t_q = t + self.rng.span(1_000, 30_000);
            let mut msg = Box::new(Msg::new(host, inst, qid, t_client));
            msg.owner = Some(who);
            msg.from = shown.clone();
            msg.ndr_dest = ndr_dest;
            msg.size = size;
            msg.nrcpt = rcpts.len();
            msg.message_id = mid;
            msg.client = client.to_string();
            msg.client_ip = client.ip.clone();
            msg.filter = filter && self.rng.chance(0.85);
            msg.rcpts = rcpts;
            let effect = Effect {
                message: true,
                record: sasl.is_some().then_some((who, Status::AuthRcv, 1)),
                ..Effect::none()
            };
            self.enqueue(msg, t_q, effect);
            t = t_q;
        }
        t += self.rng.span(50_000, 600_000);
        let mut body = smtpd();
        let _ = write!(body, "disconnect from {client}");
        c.push(&mut body);
        self.sched.line(t, host, body, Effect::none());
    }

    /// Mail submitted on the relay itself (`sendmail`): cron output to root (an alias that
    /// forwards), web applications.
    fn pickup(&mut self, t0: i64) {
        let host = self.random_host();
        let inst = 0;
        self.tally.situations.pickups += 1;
        let h = &self.world.hosts[host];
        let fqdn = h.fqdn.clone();
        let local = h.local_dest;
        let u = self.rng.unit();
        let (uid, given, from, ndr_dest) = if u < 0.5 {
            (0, "root".to_string(), format!("root@{fqdn}"), local)
        } else if u < 0.75 {
            (
                33,
                "www-data".to_string(),
                format!("www-data@{fqdn}"),
                local,
            )
        } else {
            let d = self.rng.index(DEPTS.len());
            let addr = format!("noreply@{}.example.edu", DEPTS[d]);
            (1001, addr.clone(), addr, self.world.campus[d])
        };
        let rcpts = if uid == 0 {
            let k = self.rng.range(1, 2) as usize;
            let targets = self.recipients(k, false, host);
            let targets = targets
                .into_iter()
                .filter(|r| !matches!(r.fate, super::mail::Fate::Forward(_)))
                .collect::<Vec<_>>();
            vec![super::mail::Rcpt {
                addr: format!("root@{fqdn}"),
                orig_to: Some("root".to_string()),
                dest: local,
                fate: super::mail::Fate::Forward(targets),
                defer: super::mail::Defer::Lost,
                bounce: super::mail::Bounce::NoUser,
            }]
        } else {
            let n = self.rng.range(1, 5) as usize;
            self.recipients(n, false, host)
        };
        let who = self.tally.names.intern(&from);
        let qid = self.alloc(host, inst, t0);
        let i = &self.world.hosts[host].instances[inst];
        let name = i.name;
        let mut body = tag(name, None, "pickup", i.pickup);
        let _ = write!(body, "{qid}: uid={uid} from=<{given}>");
        self.sched.line(t0, host, body, Effect::none());
        let t = t0 + self.rng.span(1_000, 5_000);
        let mid = if self.pools[i.pool].is_long() {
            format!("<{qid}@{fqdn}>")
        } else {
            format!("<{}.{qid}@{fqdn}>", compact_time(t))
        };
        let mut body = tag(name, None, "cleanup", *self.rng.pick(&i.cleanup));
        let _ = write!(body, "{qid}: message-id={mid}");
        self.sched.line(t, host, body, Effect::none());
        let mut msg = Box::new(Msg::new(host, inst, qid, t0));
        msg.owner = Some(who);
        msg.from = from;
        msg.ndr_dest = ndr_dest;
        msg.size = self.rng.range(600, 20_000) as u32;
        msg.nrcpt = rcpts.len();
        msg.message_id = mid;
        msg.client = "localhost[127.0.0.1]".into();
        msg.client_ip = "127.0.0.1".into();
        msg.rcpts = rcpts;
        let t_q = t + self.rng.span(1_000, 30_000);
        let effect = Effect {
            message: true,
            ..Effect::none()
        };
        self.enqueue(msg, t_q, effect);
    }

    /// A stranger tries to relay, or forges one of our senders: `NOQUEUE: reject:`.
    fn relay_reject(&mut self, t0: i64) {
        let host = self.random_host();
        let st = self.rng.index(self.world.strangers.len());
        let st = &self.world.strangers[st];
        let (client, helo, from, from_id) =
            (st.client.clone(), st.helo.clone(), st.shown.clone(), st.id);
        let h = &mut self.world.hosts[host];
        let pid = h.pid(&mut self.rng);
        let name = h.instances[0].name;
        let smtpd = || tag(name, None, "smtpd", pid);
        let mut t = t0;
        let mut body = smtpd();
        let _ = write!(body, "connect from {client}");
        self.sched.line(t, host, body, Effect::none());
        let mut c = Counters {
            ehlo: 1,
            quit: 1,
            ..Counters::default()
        };
        let n = self.rng.range(1, 3);
        for _ in 0..n {
            t += self.rng.span(200_000, 2 * SEC);
            let d = self.world.pick_dest(&mut self.rng);
            let rcpt = format!("{}@{}", person(&mut self.rng), self.world.dests[d].domain);
            let (from, who) = if self.rng.chance(0.1) {
                (String::new(), None)
            } else {
                (from.clone(), Some(from_id))
            };
            let ip = &client.ip;
            let mut body = smtpd();
            let u = self.rng.unit();
            let (reply, from, who, action) = if u < 0.55 {
                (
                    format!("554 5.7.1 <{rcpt}>: Relay access denied"),
                    from,
                    who,
                    "reject",
                )
            } else if u < 0.7 {
                (
                    format!(
                        "554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}"
                    ),
                    from,
                    who,
                    "reject",
                )
            } else if u < 0.82 {
                // A forged campus sender: the refusal belongs to that sender's history.
                let s = self.world.pick_sender(&mut self.rng);
                let s = &self.world.senders[s];
                (
                    format!(
                        "553 5.7.1 <{}>: Sender address rejected: not logged in",
                        s.shown
                    ),
                    s.shown.clone(),
                    Some(s.id),
                    "reject",
                )
            } else if u < 0.9 {
                (
                    format!("450 4.7.25 Client host rejected: cannot find your hostname, [{ip}]"),
                    from,
                    who,
                    "reject",
                )
            } else if u < 0.95 {
                (
                    format!("450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted"),
                    from,
                    None,
                    "reject_warning",
                )
            } else {
                let _ = write!(
                    body,
                    "NOQUEUE: reject: CONNECT from {client}: 554 5.7.1 <{client}>: Client host rejected: Access denied; proto=SMTP"
                );
                self.sched.line(t, host, body, Effect::none());
                c = Counters::default();
                break;
            };
            c.mail = (c.mail.0 + 1, c.mail.1 + 1);
            c.rcpt.1 += 1;
            let _ = write!(
                body,
                "NOQUEUE: {action}: RCPT from {client}: {reply}; from=<{from}> to=<{rcpt}> proto=ESMTP helo=<{helo}>"
            );
            let effect = match who {
                Some(w) if action == "reject" => {
                    self.tally.situations.reject_lines += 1;
                    Effect::record(w, Status::AuthBlk)
                }
                _ => Effect::none(),
            };
            self.sched.line(t, host, body, effect);
        }
        t += self.rng.span(100_000, 2 * SEC);
        let mut body = smtpd();
        let _ = write!(body, "disconnect from {client}");
        c.push(&mut body);
        self.sched.line(t, host, body, Effect::none());
    }

    /// Password guessing: `warning: CLIENT: SASL LOGIN authentication failed: ...`,
    /// sometimes naming the user (`, sasl_username=`), which then counts for that address.
    fn sasl_attack(&mut self, t0: i64) {
        let (host, service) = match self.world.hosts.iter().position(|h| h.submission) {
            Some(h) if self.rng.chance(0.6) => (h, Some("submission")),
            _ => (self.random_host(), None),
        };
        let client = Client {
            name: "unknown".into(),
            ip: public_ip(&mut self.rng),
        };
        let h = &mut self.world.hosts[host];
        let pid = h.pid(&mut self.rng);
        let (name, v310) = (h.instances[0].name, h.v310);
        let smtpd = || tag(name, service, "smtpd", pid);
        let mut t = t0;
        let mut body = smtpd();
        let _ = write!(body, "connect from {client}");
        self.sched.line(t, host, body, Effect::none());
        let mut c = Counters {
            ehlo: 1,
            ..Counters::default()
        };
        let n = self.rng.range(1, 6) as u32;
        for _ in 0..n {
            t += self.rng.span(SEC, 8 * SEC);
            c.auth.1 += 1;
            let u = self.rng.unit();
            let user: Option<String> = if u < 0.35 {
                let s = self.world.pick_sender(&mut self.rng);
                Some(self.world.senders[s].shown.clone())
            } else if u < 0.45 {
                Some(format!(
                    "{}@{}.example.edu",
                    self.rng.pick(&["info", "admin", "test", "office"]),
                    self.rng.pick(&DEPTS)
                ))
            } else if u < 0.7 {
                let s = self.world.pick_sender(&mut self.rng);
                let local = self.world.senders[s].shown.split('@').next().unwrap_or("");
                Some((*self.rng.pick(&["admin", "test", "user", local, local])).to_string())
            } else {
                None
            };
            let mech = *self.rng.pick(&["LOGIN", "LOGIN", "PLAIN"]);
            if self.rng.chance(0.2) {
                let mut body = smtpd();
                body.push_str("warning: SASL authentication failure: Password verification failed");
                self.sched.line(t - 1_000, host, body, Effect::none());
            }
            let mut body = smtpd();
            let _ = write!(
                body,
                "warning: {client}: SASL {mech} authentication failed: "
            );
            self.tally.situations.sasl_failures += 1;
            let effect = match &user {
                Some(u) => {
                    body.push_str(if self.rng.chance(0.5) {
                        "authentication failure"
                    } else {
                        "(reason unavailable)"
                    });
                    let _ = write!(body, ", sasl_username={u}");
                    if u.contains('@') {
                        let who = self.tally.names.intern(u);
                        Effect::record(who, Status::AuthBlk)
                    } else {
                        Effect::none()
                    }
                }
                None => {
                    body.push_str(if mech == "LOGIN" {
                        "UGFzc3dvcmQ6"
                    } else {
                        "authentication failure"
                    });
                    Effect::none()
                }
            };
            self.sched.line(t, host, body, effect);
        }
        t += self.rng.span(100_000, 3 * SEC);
        if self.rng.chance(0.5) {
            let mut body = smtpd();
            if v310 {
                body.push_str("NOQUEUE: ");
            }
            let _ = write!(body, "lost connection after AUTH from {client}");
            self.sched.line(t, host, body, Effect::none());
        } else {
            c.quit = 1;
        }
        t += self.rng.span(100, 5_000);
        let mut body = smtpd();
        let _ = write!(body, "disconnect from {client}");
        c.push(&mut body);
        self.sched.line(t, host, body, Effect::none());
    }

    /// postscreen and dnsblog deciding on a connection (no queue ID, no sender).
    fn postscreen(&mut self, t0: i64) {
        let host = self.random_host();
        let h = &self.world.hosts[host];
        let (pid, my_ip) = (h.postscreen, h.ip.clone());
        let ip = public_ip(&mut self.rng);
        let port = self.rng.range(1024, 65535);
        let ps = || tag("postfix", None, "postscreen", pid);
        let mut body = ps();
        let _ = write!(body, "CONNECT from [{ip}]:{port} to [{my_ip}]:25");
        self.sched.line(t0, host, body, Effect::none());
        let t = t0 + self.rng.span(10_000, 6 * SEC);
        let u = self.rng.unit();
        let mut body = ps();
        if u < 0.4 {
            let _ = write!(body, "PASS OLD [{ip}]:{port}");
            self.sched.line(t, host, body, Effect::none());
            return;
        }
        if u < 0.7 {
            let _ = write!(body, "PASS NEW [{ip}]:{port}");
            self.sched.line(t, host, body, Effect::none());
            return;
        }
        if u < 0.85 {
            let mut dns = tag("postfix", None, "dnsblog", pid + 3);
            let _ = write!(
                dns,
                "addr {ip} listed by domain zen.spamhaus.org as 127.0.0.{}",
                self.rng.range(2, 11)
            );
            self.sched.line(t - 2_000, host, dns, Effect::none());
            let _ = write!(
                body,
                "DNSBL rank {} for [{ip}]:{port}",
                self.rng.range(2, 6)
            );
        } else {
            let _ = write!(
                body,
                "HANGUP after 0.{} from [{ip}]:{port} in tests before SMTP handshake",
                self.rng.range(10, 99)
            );
        }
        self.sched.line(t, host, body, Effect::none());
        let mut body = ps();
        let _ = write!(body, "DISCONNECT [{ip}]:{port}");
        let t = t + self.rng.span(100, 2_000);
        self.sched.line(t, host, body, Effect::none());
    }

    /// dovecot's IMAP logins on the same host (another program: skipped by the parser).
    fn dovecot(&mut self, t0: i64) {
        let host = self.random_host();
        let my_ip = self.world.hosts[host].ip.clone();
        let s = self.world.pick_sender(&mut self.rng);
        let sender = &self.world.senders[s];
        let user = sender.shown.to_ascii_lowercase();
        let ip = self.rng.pick(&sender.clients).ip.clone();
        let mut session = String::new();
        self.rng.push_chars(&mut session, B64, 16);
        let mpid = self.rng.range(1_000, 999_999);
        let u = self.rng.unit();
        if u < 0.7 {
            let body = format!(
                "dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip={my_ip}, mpid={mpid}, TLS, session=<{session}>"
            );
            self.sched.line(t0, host, body, Effect::none());
            let t = t0 + self.rng.span(SEC, 30 * MIN);
            let body = format!(
                "dovecot: imap({user})<{mpid}><{session}>: Logged out in={} out={} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
                self.rng.range(50, 9_000),
                self.rng.range(500, 900_000)
            );
            self.sched.line(t, host, body, Effect::none());
        } else {
            let ip = public_ip(&mut self.rng);
            let body = format!(
                "dovecot: imap-login: Disconnected (no auth attempts in {} secs): user=<>, rip={ip}, lip={my_ip}, TLS handshaking: Connection closed, session=<{session}>",
                self.rng.range(0, 10)
            );
            self.sched.line(t0, host, body, Effect::none());
        }
    }

    /// A client that goes away early (scanners, broken clients).
    fn lost_connection(&mut self, t0: i64) {
        let host = self.random_host();
        let st = self.rng.index(self.world.strangers.len());
        let client = self.world.strangers[st].client.clone();
        let h = &mut self.world.hosts[host];
        let pid = h.pid(&mut self.rng);
        let (name, v310) = (h.instances[0].name, h.v310);
        let smtpd = || tag(name, None, "smtpd", pid);
        let mut t = t0;
        if client.name != "unknown" && self.rng.chance(0.5) {
            let mut body = smtpd();
            let _ = write!(
                body,
                "warning: hostname {} does not resolve to address {}: Name or service not known",
                client.name, client.ip
            );
            self.sched.line(t, host, body, Effect::none());
        }
        let mut body = smtpd();
        let _ = write!(body, "connect from {client}");
        self.sched.line(t, host, body, Effect::none());
        t += self.rng.span(100_000, 5 * SEC);
        let mut c = Counters::default();
        let stage = match self.rng.below(4) {
            0 => "CONNECT",
            1 => {
                c.ehlo = 1;
                "EHLO"
            }
            2 => {
                c.ehlo = 1;
                c.starttls = 1;
                "STARTTLS"
            }
            _ => {
                c.ehlo = 1;
                c.auth = (0, 1);
                "AUTH"
            }
        };
        let mut body = smtpd();
        if v310 {
            body.push_str("NOQUEUE: ");
        }
        let _ = write!(body, "lost connection after {stage} from {client}");
        self.sched.line(t, host, body, Effect::none());
        let mut body = smtpd();
        let _ = write!(body, "disconnect from {client}");
        c.push(&mut body);
        let t = t + self.rng.span(100, 3_000);
        self.sched.line(t, host, body, Effect::none());
    }

    /// anvil's periodic statistics; they embed a syslog timestamp of their own.
    fn anvil(&mut self, t: i64) {
        let host = self.random_host();
        let pid = self.world.hosts[host].anvil;
        let mut at = String::new();
        push_syslog(&mut at, t - self.rng.span(MIN, 9 * MIN));
        let ip = public_ip(&mut self.rng);
        let service = *self.rng.pick(&["smtp", "smtp", "submission"]);
        let mut body = tag("postfix", None, "anvil", pid);
        let _ = write!(
            body,
            "statistics: max connection rate {}/60s for ({service}:{ip}) at {at}",
            self.rng.range(1, 30)
        );
        self.sched.line(t, host, body, Effect::none());
        let mut body = tag("postfix", None, "anvil", pid);
        let _ = write!(
            body,
            "statistics: max connection count {} for ({service}:{ip}) at {at}",
            self.rng.range(1, 10)
        );
        self.sched.line(t, host, body, Effect::none());
        let mut body = tag("postfix", None, "anvil", pid);
        let _ = write!(
            body,
            "statistics: max cache size {} at {at}",
            self.rng.range(1, 40)
        );
        self.sched.line(t, host, body, Effect::none());
    }
}
