//! The fixed cast of a generated log: relay hosts, senders, destinations, strangers.
//!
//! Everything here is decided once from the seed before the first line, so a sender keeps
//! the same address, SASL user and client machines for the whole log, and a recipient
//! domain keeps its MX host. The relays differ the way real ones do: one runs a content
//! filter (amavis), one has a submission service and a second Postfix instance
//! (`postfix-out`) with long queue IDs, newer ones log the bounce notice before the
//! notification's own lines (Postfix 3.11) and `NOQUEUE: lost connection` (3.10).

use std::fmt;

use super::clock::Family;
use super::qid::{IdStyle, QidPool};
use super::rng::Rng;
use super::truth::Names;

/// A network peer, logged as `name[ip]`.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub(crate) name: String,
    pub(crate) ip: String,
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.name, self.ip)
    }
}

/// One of our users: sends mail through the relays.
#[derive(Debug)]
pub(crate) struct Sender {
    /// The interned lower-cased address.
    pub(crate) id: u32,
    /// The address as the sender's mail program writes it (sometimes with capitals).
    pub(crate) shown: String,
    /// The SASL user name, for senders who submit with SMTP AUTH.
    pub(crate) sasl: Option<String>,
    /// The machines the sender submits from.
    pub(crate) clients: Vec<Client>,
    /// Where bounce notices to this sender are delivered.
    pub(crate) dest: usize,
}

/// A stranger: spammers and scanners that try the relays.
#[derive(Debug)]
pub(crate) struct Stranger {
    pub(crate) id: u32,
    pub(crate) shown: String,
    pub(crate) client: Client,
    pub(crate) helo: String,
}

/// The delivery agent for a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Agent {
    Smtp,
    Lmtp,
    Local,
    Virtual,
}

/// How a destination words its replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    Gmail,
    Outlook,
    Yahoo,
    Qq,
    Postfix,
    Lmtp,
    Mailbox,
    Maildir,
}

/// A recipient domain and where its mail goes.
#[derive(Debug)]
pub(crate) struct Dest {
    pub(crate) domain: String,
    pub(crate) agent: Agent,
    pub(crate) mx: String,
    pub(crate) ip: String,
    pub(crate) port: u16,
    pub(crate) reply: Reply,
    /// False for mistyped domains: no DNS, the mail bounces at once.
    pub(crate) exists: bool,
    /// Relative weight as a recipient domain.
    weight: u32,
}

/// One Postfix instance on a host (`postfix`, `postfix-out`) and its daemons' pids.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) name: &'static str,
    /// Index into the generator's queue-ID pools.
    pub(crate) pool: usize,
    pub(crate) qmgr: u32,
    pub(crate) pickup: u32,
    pub(crate) cleanup: Vec<u32>,
    pub(crate) smtp: Vec<u32>,
    pub(crate) lmtp: Vec<u32>,
    pub(crate) local: Vec<u32>,
    pub(crate) virt: Vec<u32>,
    pub(crate) error: Vec<u32>,
    pub(crate) bounce: Vec<u32>,
}

/// One relay host.
#[derive(Debug)]
pub(crate) struct Host {
    /// The syslog host field: `relay1`, `relay2`, ...
    pub(crate) name: String,
    pub(crate) fqdn: String,
    pub(crate) ip: String,
    pub(crate) family: Family,
    /// Mail goes through amavis (`127.0.0.1:10024`, back in on `:10025`).
    pub(crate) content_filter: bool,
    /// SASL clients use the `postfix/submission/smtpd` service.
    pub(crate) submission: bool,
    /// Postfix 3.11: the bounce notice line comes before the notification's own lines,
    /// and deliveries carry `tls=`.
    pub(crate) v311: bool,
    /// Postfix 3.10: `NOQUEUE: lost connection ...`, SASL fields in `reject:` lines.
    pub(crate) v310: bool,
    pub(crate) instances: Vec<Instance>,
    /// The destination for this host's own domain (`local` delivery, aliases).
    pub(crate) local_dest: usize,
    pub(crate) anvil: u32,
    pub(crate) postscreen: u32,
    pub(crate) amavis: u32,
    next_pid: u32,
}

impl Host {
    /// A fresh process ID (smtpd processes come and go).
    pub(crate) fn pid(&mut self, rng: &mut Rng) -> u32 {
        self.next_pid += rng.range(1, 60) as u32;
        if self.next_pid > 4_000_000 {
            self.next_pid = 1_000 + rng.range(0, 1_000) as u32;
        }
        self.next_pid
    }
}

pub(crate) const DEPTS: [&str; 8] = ["cs", "ee", "math", "phys", "chem", "lib", "admin", "me"];
const FIRST: [&str; 24] = [
    "alice", "bob", "chen", "david", "emma", "frank", "grace", "henry", "ivy", "jack", "kevin",
    "lily", "mike", "nancy", "oscar", "peggy", "quinn", "ruby", "sam", "tina", "victor", "wendy",
    "yuki", "zoe",
];
const LAST: [&str; 20] = [
    "wang", "lin", "huang", "chang", "lee", "liu", "tsai", "yang", "wu", "cheng", "hsu", "kuo",
    "hung", "chiu", "tseng", "lai", "chou", "yeh", "su", "lu",
];
const SPAM_DOMAINS: [&str; 8] = [
    "cheap-meds.test",
    "winner-lottery.test",
    "invoice-center.test",
    "crypto-news.test",
    "secure-login.test",
    "bulk-promo.test",
    "parcel-notice.test",
    "hr-department.test",
];
const SPAM_WORDS: [&str; 10] = [
    "info", "sales", "noreply", "support", "admin", "promo", "billing", "security", "news", "hr",
];
const FIRST_OCTETS: [u8; 24] = [
    5, 31, 37, 41, 45, 46, 49, 58, 61, 77, 80, 89, 91, 103, 109, 117, 176, 178, 185, 186, 193, 196,
    212, 222,
];

/// A local part that looks like a person's.
pub(crate) fn person(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("user{}", rng.range(1, 9999)),
        1 => format!("{}.{}", rng.pick(&FIRST), rng.pick(&LAST)),
        2 => format!("{}{:02}", rng.pick(&FIRST), rng.range(1, 99)),
        _ => format!("s{}{:04}", rng.range(108, 114), rng.range(1, 9999)),
    }
}

/// A public-looking IPv4 address outside our networks.
pub(crate) fn public_ip(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.pick(&FIRST_OCTETS),
        rng.range(0, 255),
        rng.range(0, 255),
        rng.range(1, 254)
    )
}

/// A client name the way reverse DNS answers for a stranger's address.
fn stranger_client(rng: &mut Rng) -> Client {
    let ip = public_ip(rng);
    let name = if rng.chance(0.7) {
        "unknown".to_string()
    } else {
        format!("{}.static.isp.example.net", ip.replace('.', "-"))
    };
    Client { name, ip }
}

/// Everything fixed for one log.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) hosts: Vec<Host>,
    pub(crate) senders: Vec<Sender>,
    sender_cdf: Vec<f64>,
    pub(crate) sasl_senders: Vec<usize>,
    pub(crate) strangers: Vec<Stranger>,
    pub(crate) dests: Vec<Dest>,
    dest_cdf: Vec<u32>,
    /// Destinations that are our own campus (for mail to colleagues).
    pub(crate) campus: Vec<usize>,
}

impl World {
    /// Builds the cast; `pools` receives one queue-ID pool per Postfix instance.
    pub(crate) fn new(
        rng: &mut Rng,
        names: &mut Names,
        pools: &mut Vec<QidPool>,
        hosts: usize,
        senders: usize,
        family_of: impl Fn(usize) -> Family,
    ) -> World {
        let mut w = World {
            hosts: Vec::new(),
            senders: Vec::new(),
            sender_cdf: Vec::new(),
            sasl_senders: Vec::new(),
            strangers: Vec::new(),
            dests: Vec::new(),
            dest_cdf: Vec::new(),
            campus: Vec::new(),
        };
        w.add_dests();
        for i in 0..hosts {
            let host = w.make_host(rng, pools, i, hosts, family_of(i));
            w.hosts.push(host);
        }
        let mut cum = 0u32;
        for d in &w.dests {
            cum += d.weight;
            w.dest_cdf.push(cum);
        }
        w.make_senders(rng, names, senders);
        for _ in 0..(senders / 3).clamp(20, 400) {
            let client = stranger_client(rng);
            let shown = format!(
                "{}{}@{}",
                rng.pick(&SPAM_WORDS),
                rng.range(1, 999),
                rng.pick(&SPAM_DOMAINS)
            );
            let helo = if client.name == "unknown" {
                format!("{}.example.com", rng.pick(&SPAM_WORDS))
            } else {
                client.name.clone()
            };
            w.strangers.push(Stranger {
                id: names.intern(&shown),
                shown,
                client,
                helo,
            });
        }
        w
    }

    fn dest(&mut self, domain: &str, agent: Agent, mx: &str, ip: &str, reply: Reply, weight: u32) {
        self.dests.push(Dest {
            domain: domain.to_string(),
            agent,
            mx: mx.to_string(),
            ip: ip.to_string(),
            port: if agent == Agent::Lmtp { 24 } else { 25 },
            reply,
            exists: true,
            weight,
        });
    }

    fn add_dests(&mut self) {
        use Agent::*;
        let external = [
            (
                "gmail.com",
                "gmail-smtp-in.l.google.com",
                "142.250.157.27",
                Reply::Gmail,
                30,
            ),
            (
                "outlook.com",
                "outlook-com.olc.protection.outlook.com",
                "52.101.68.11",
                Reply::Outlook,
                8,
            ),
            (
                "hotmail.com",
                "hotmail-com.olc.protection.outlook.com",
                "52.101.41.2",
                Reply::Outlook,
                4,
            ),
            (
                "yahoo.com",
                "mta6.am0.yahoodns.net",
                "67.195.204.72",
                Reply::Yahoo,
                4,
            ),
            (
                "yahoo.com.tw",
                "mx-apac.mail.gm0.yahoodns.net",
                "106.10.248.66",
                Reply::Yahoo,
                3,
            ),
            ("qq.com", "mx3.qq.com", "183.47.101.192", Reply::Qq, 2),
            (
                "example.org",
                "mx.example.org",
                "203.0.113.25",
                Reply::Postfix,
                5,
            ),
            (
                "example.net",
                "mail.example.net",
                "198.51.100.25",
                Reply::Postfix,
                4,
            ),
            (
                "example.com",
                "mx1.example.com",
                "192.0.2.25",
                Reply::Postfix,
                4,
            ),
            (
                "univ.example.ac.jp",
                "mx.univ.example.ac.jp",
                "203.0.113.80",
                Reply::Postfix,
                2,
            ),
            (
                "partner.example.com.tw",
                "mail.partner.example.com.tw",
                "198.51.100.91",
                Reply::Postfix,
                2,
            ),
        ];
        for (domain, mx, ip, reply, weight) in external {
            self.dest(domain, Smtp, mx, ip, reply, weight);
        }
        for typo in ["gmial.com", "yaho.com.tw", "exmaple.org"] {
            self.dest(typo, Smtp, typo, "", Reply::Postfix, 1);
            if let Some(d) = self.dests.last_mut() {
                d.exists = false;
            }
        }
        for (i, dept) in DEPTS.iter().enumerate() {
            let domain = format!("{dept}.example.edu");
            let mx = format!("mail.{domain}");
            let ip = format!("10.{}.0.25", i + 1);
            self.campus.push(self.dests.len());
            self.dest(&domain, Smtp, &mx, &ip, Reply::Postfix, 2);
        }
        self.campus.push(self.dests.len());
        self.dest(
            "example.edu",
            Lmtp,
            "mbox.example.edu",
            "10.0.0.24",
            Reply::Lmtp,
            8,
        );
        self.campus.push(self.dests.len());
        self.dest(
            "lists.example.edu",
            Virtual,
            "virtual",
            "",
            Reply::Maildir,
            2,
        );
    }

    fn make_host(
        &mut self,
        rng: &mut Rng,
        pools: &mut Vec<QidPool>,
        i: usize,
        n: usize,
        family: Family,
    ) -> Host {
        let name = format!("relay{}", i + 1);
        let fqdn = format!("{name}.example.edu");
        let local_dest = self.dests.len();
        self.dest(&fqdn, Agent::Local, "local", "", Reply::Mailbox, 0);
        // relay2 (or the only relay) has submission and a second instance.
        let second = i == 1 || n == 1;
        let mut instances = Vec::new();
        for (k, inst) in ["postfix", "postfix-out"].into_iter().enumerate() {
            if k == 1 && !second {
                break;
            }
            let style = if k == 1 || i % 2 == 1 {
                IdStyle::Long
            } else {
                IdStyle::Short
            };
            pools.push(QidPool::new(style));
            let mut pids = |n: usize| -> Vec<u32> {
                (0..n).map(|_| rng.range(1_000, 999_999) as u32).collect()
            };
            instances.push(Instance {
                name: inst,
                pool: pools.len() - 1,
                qmgr: pids(1)[0],
                pickup: pids(1)[0],
                cleanup: pids(3),
                smtp: pids(8),
                lmtp: pids(2),
                local: pids(2),
                virt: pids(1),
                error: pids(1),
                bounce: pids(2),
            });
        }
        Host {
            fqdn,
            ip: format!("192.0.2.{}", 10 + i),
            family,
            content_filter: i == 0,
            submission: second,
            v311: i % 2 == 1,
            v310: !i.is_multiple_of(3),
            instances,
            local_dest,
            anvil: rng.range(1_000, 999_999) as u32,
            postscreen: rng.range(1_000, 999_999) as u32,
            amavis: rng.range(1_000, 60_000) as u32,
            next_pid: rng.range(10_000, 900_000) as u32,
            name,
        }
    }

    fn make_senders(&mut self, rng: &mut Rng, names: &mut Names, n: usize) {
        let mut cum = 0.0;
        for k in 0..n {
            let dept_i = rng.index(DEPTS.len());
            let (domain, dest) = if rng.chance(0.3) {
                ("example.edu".to_string(), self.campus[DEPTS.len()])
            } else {
                (
                    format!("{}.example.edu", DEPTS[dept_i]),
                    self.campus[dept_i],
                )
            };
            let mut local = person(rng);
            while names.contains(&format!("{local}@{domain}")) {
                local.push_str(&rng.range(0, 9).to_string());
            }
            let addr = format!("{local}@{domain}");
            let shown = if rng.chance(0.05) {
                capitalize(&addr)
            } else {
                addr.clone()
            };
            let sasl = rng.chance(0.6).then(|| {
                if rng.chance(0.7) {
                    addr.clone()
                } else {
                    local.clone()
                }
            });
            let octet = dept_i + 1;
            let mut clients = Vec::new();
            let ip = if rng.chance(0.05) {
                format!("2001:db8:{octet}::{:x}", rng.range(1, 0xffff))
            } else {
                format!("10.{octet}.{}.{}", rng.range(0, 255), rng.range(1, 254))
            };
            let name = if ip.contains(':') || rng.chance(0.15) {
                "unknown".to_string()
            } else {
                format!("pc{}.{}.example.edu", rng.range(1, 999), DEPTS[dept_i])
            };
            clients.push(Client { name, ip });
            if sasl.is_some() && rng.chance(0.5) {
                let ip = format!("198.51.100.{}", rng.range(1, 254));
                let name = format!("{}.dynamic-ip.example.net", ip.replace('.', "-"));
                clients.push(Client { name, ip });
            }
            if sasl.is_some() {
                self.sasl_senders.push(self.senders.len());
            }
            self.senders.push(Sender {
                id: names.intern(&addr),
                shown,
                sasl,
                clients,
                dest,
            });
            // Zipf-like activity: a few senders send most of the mail.
            cum += 1.0 / (k as f64 + 3.0);
            self.sender_cdf.push(cum);
        }
        // Shuffle activity over senders so the busy ones are not always the first.
        for i in (1..self.senders.len()).rev() {
            let j = rng.index(i + 1);
            self.senders.swap(i, j);
        }
        self.sasl_senders = (0..self.senders.len())
            .filter(|&i| self.senders[i].sasl.is_some())
            .collect();
    }

    /// A sender, busy ones more often.
    pub(crate) fn pick_sender(&self, rng: &mut Rng) -> usize {
        let total = self.sender_cdf.last().copied().unwrap_or(1.0);
        let x = rng.unit() * total;
        self.sender_cdf
            .partition_point(|&c| c <= x)
            .min(self.senders.len() - 1)
    }

    /// A recipient domain, by weight (never a relay's own domain).
    pub(crate) fn pick_dest(&self, rng: &mut Rng) -> usize {
        let total = self.dest_cdf.last().copied().unwrap_or(1);
        let x = rng.below(u64::from(total)) as u32;
        self.dest_cdf.partition_point(|&c| c <= x)
    }
}

/// `John.doe@...` from `john.doe@...`: some mail programs keep the user's capitals.
fn capitalize(addr: &str) -> String {
    let mut c = addr.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}
