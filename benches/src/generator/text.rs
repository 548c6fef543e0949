//! Small pieces of Postfix's line grammar shared by the scenarios.
//!
//! Program tags (`postfix-out/submission/smtpd[123]: `), smtpd's per-command counters on
//! `disconnect from`, message IDs and the random tokens remote servers put in replies.
//! Kept in one place so that every scenario writes them byte for byte the same way.

use std::fmt::Write as _;

use super::clock::{DAY, SEC, civil_from_days};
use super::rng::Rng;

pub(crate) const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub(crate) const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
pub(crate) const HEX: &[u8] = b"0123456789ABCDEF";
pub(crate) const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new line body starting with the program tag: `instance[/service]/daemon[pid]: `.
pub(crate) fn tag(instance: &str, service: Option<&str>, daemon: &str, pid: u32) -> String {
    let mut s = String::with_capacity(192);
    s.push_str(instance);
    s.push('/');
    if let Some(service) = service {
        s.push_str(service);
        s.push('/');
    }
    let _ = write!(s, "{daemon}[{pid}]: ");
    s
}

/// `YYYYMMDDhhmmss` of an instant, as cleanup uses in the message IDs it makes.
pub(crate) fn compact_time(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.div_euclid(SEC).rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A `Message-ID` value as a mail program writes it (with angle brackets).
pub(crate) fn message_id(rng: &mut Rng, t: i64, domain: &str) -> String {
    let mut s = String::with_capacity(64);
    s.push('<');
    match rng.below(4) {
        0 => {
            s.push_str(&compact_time(t));
            s.push_str(".GA");
            let _ = write!(s, "{}", rng.range(1000, 99_999));
        }
        1 => {
            s.push_str("CA");
            rng.push_chars(&mut s, ALNUM, 40);
            s.push_str("@mail.gmail.com>");
            return s;
        }
        2 => {
            for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                if i > 0 {
                    s.push('-');
                }
                rng.push_chars(&mut s, &LOWER_ALNUM[..16], n);
            }
        }
        _ => rng.push_chars(&mut s, &LOWER_ALNUM[..16], 32),
    }
    s.push('@');
    s.push_str(domain);
    s.push('>');
    s
}

/// smtpd's per-command counters for `disconnect from ...` (Postfix 3.0+): `name=n` or
/// `name=ok/tried`, then `commands=`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) ehlo: u32,
    pub(crate) starttls: u32,
    pub(crate) auth: (u32, u32),
    pub(crate) mail: (u32, u32),
    pub(crate) rcpt: (u32, u32),
    pub(crate) data: (u32, u32),
    pub(crate) xforward: u32,
    pub(crate) rset: u32,
    pub(crate) quit: u32,
}

impl Counters {
    /// Appends ` ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5` (with the leading space).
    pub(crate) fn push(&self, out: &mut String) {
        let fields = [
            ("ehlo", (self.ehlo, self.ehlo)),
            ("xforward", (self.xforward, self.xforward)),
            ("starttls", (self.starttls, self.starttls)),
            ("auth", self.auth),
            ("mail", self.mail),
            ("rcpt", self.rcpt),
            ("data", self.data),
            ("rset", (self.rset, self.rset)),
            ("quit", (self.quit, self.quit)),
        ];
        let (mut ok, mut tried) = (0, 0);
        for (name, (o, t)) in fields {
            if t == 0 {
                continue;
            }
            ok += o;
            tried += t;
            if o == t {
                let _ = write!(out, " {name}={o}");
            } else {
                let _ = write!(out, " {name}={o}/{t}");
            }
        }
        if ok == tried {
            let _ = write!(out, " commands={ok}");
        } else {
            let _ = write!(out, " commands={ok}/{tried}");
        }
    }
}

/// The TLS line smtpd logs after STARTTLS.
pub(crate) fn push_tls_suite(out: &mut String, rng: &mut Rng) {
    out.push_str(match rng.below(3) {
        0 => "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
        1 => "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
        _ => "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_like_smtpd() {
        let mut s = String::new();
        Counters {
            ehlo: 1,
            mail: (1, 1),
            rcpt: (1, 1),
            data: (1, 1),
            quit: 1,
            ..Counters::default()
        }
        .push(&mut s);
        assert_eq!(s, " ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
        let mut s = String::new();
        Counters {
            ehlo: 1,
            auth: (0, 3),
            ..Counters::default()
        }
        .push(&mut s);
        assert_eq!(s, " ehlo=1 auth=0/3 commands=1/4");
    }

    #[test]
    fn tags() {
        assert_eq!(
            tag("postfix", Some("submission"), "smtpd", 7),
            "postfix/submission/smtpd[7]: "
        );
        assert_eq!(tag("postfix-out", None, "qmgr", 9), "postfix-out/qmgr[9]: ");
    }
}
