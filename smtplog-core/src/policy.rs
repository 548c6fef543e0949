//! Who may receive a report and for which days: the one place where the service's rules
//! about addresses, domains, date ranges and warning thresholds live.
//!
//! Every front end (the CLI's `report` and `notify`, the web page, Python) asks this module
//! before it mails anything. An address is first checked strictly ([`EmailAddress::parse`]):
//! one `@`, a dot-atom local part without quotes, spaces, angle brackets, commas or control
//! characters, an LDH host name as domain, RFC 5321 length limits. Nothing that could end a
//! header line or name a second recipient passes, so a checked address is safe to put in
//! `To:` and `RCPT TO`. Then its domain must be one of the allowed domains or below one
//! (`nthu.edu.tw` allows `nthu.edu.tw` and `cs.nthu.edu.tw`, never `evilnthu.edu.tw`).
//! A date range must not be reversed, not longer than `max_range_days` days (both ends
//! counted), and inside the retention window that ends on the `today` the caller passes
//! (the core reads no clock).
//!
//! ```
//! use chrono::NaiveDate;
//! use smtplog_core::policy::Policy;
//!
//! let policy = Policy {
//!     allowed_domains: vec!["nthu.edu.tw".into()],
//!     ..Policy::default()
//! };
//! assert!(policy.check_address("x@cs.nthu.edu.tw").is_ok());
//! assert!(policy.check_address("x@evilnthu.edu.tw").is_err());
//! assert!(policy.check_address("x@nthu.edu.tw\r\nBcc: y@nthu.edu.tw").is_err());
//! let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
//! let today = d("2024-03-31");
//! assert!(policy.check_range(d("2024-03-01"), d("2024-03-31"), today).is_ok());
//! assert!(policy.check_range(d("2024-02-29"), d("2024-03-31"), today).is_err()); // 32 days
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::record::Status;
use crate::stats::Counts;

/// The longest address (RFC 5321's path limit less the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;
/// The longest local part (RFC 5321).
pub const MAX_LOCAL_LEN: usize = 64;
/// The longest domain (RFC 1035).
pub const MAX_DOMAIN_LEN: usize = 253;
/// The longest label of a domain (RFC 1035).
pub const MAX_LABEL_LEN: usize = 63;

/// Why a string is not an acceptable address. Messages show offending characters escaped
/// (`'\r'`), never raw.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing was given.
    #[error("the address is empty")]
    Empty,
    /// Longer than [`MAX_ADDRESS_LEN`].
    #[error("the address is too long ({len} bytes; at most {max})")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character that has no place in an address we mail to (control characters,
    /// spaces, `<>`, `,`, `;`, quotes, `()`, `[]`, `\`, non-ASCII).
    #[error("the address contains the character {0:?}, which is not allowed")]
    Forbidden(char),
    /// No `@`.
    #[error("the address has no @")]
    NoAt,
    /// More than one `@`.
    #[error("the address has more than one @")]
    ManyAt,
    /// The part before the `@` is not a plain dot-atom.
    #[error("the part before the @ {0}")]
    LocalPart(&'static str),
    /// The part after the `@` is not a host name.
    #[error("the domain {0}")]
    Domain(&'static str),
}

/// An address that passed the strict check. The domain is lower-cased; the local part
/// is kept as given. Only [`EmailAddress::parse`] makes one, so holding one proves the
/// check was done.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress {
    local: String,
    domain: String,
}

impl EmailAddress {
    /// Checks `s` strictly and returns the address. Surrounding spaces are not trimmed:
    /// they are refused like any other space.
    pub fn parse(s: &str) -> Result<EmailAddress, AddressError> {
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        if let Some(c) = s.chars().find(|c| !allowed_char(*c)) {
            return Err(AddressError::Forbidden(c));
        }
        if s.len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong {
                len: s.len(),
                max: MAX_ADDRESS_LEN,
            });
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
            return Err(AddressError::NoAt);
        };
        if parts.next().is_some() {
            return Err(AddressError::ManyAt);
        }
        check_local(local)?;
        check_domain(domain).map_err(AddressError::Domain)?;
        Ok(EmailAddress {
            local: local.to_string(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// The part before the `@`.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain, lower-cased.
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

/// An address that passed the whole policy: the strict check and the allowed domains.
/// Only [`Policy::check_address`] makes one, and mail is composed only to one
/// (`mail::compose`), so no frontend can mail an address the policy refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Recipient(EmailAddress);

impl Recipient {
    /// The address.
    pub fn address(&self) -> &EmailAddress {
        &self.0
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl FromStr for EmailAddress {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

/// Characters of a dot-atom (RFC 5322 `atext` and `.`) less the apostrophe and the
/// backquote, plus `@`. Everything else (controls, space, `"(),:;<>[\]`, non-ASCII) is
/// refused before any other check.
fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&*+-/=?^_{|}~.@".contains(c)
}

fn check_local(local: &str) -> Result<(), AddressError> {
    if local.is_empty() {
        return Err(AddressError::LocalPart("is empty"));
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(AddressError::LocalPart("is longer than 64 characters"));
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(AddressError::LocalPart("starts or ends with a dot"));
    }
    if local.contains("..") {
        return Err(AddressError::LocalPart("has two dots in a row"));
    }
    Ok(())
}

/// Checks that `domain` is a host name: at least two labels of letters, digits and
/// inner hyphens, each at most 63 characters, at most 253 in all, and a top-level label
/// that is not all digits. Case is ignored. Returns what is wrong.
pub fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("is empty");
    }
    if domain.len() > MAX_DOMAIN_LEN {
        return Err("is longer than 253 characters");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("has no dot (a full domain such as example.edu is needed)");
    }
    for label in &labels {
        if label.is_empty() {
            return Err("has an empty label (two dots in a row, or a dot at an end)");
        }
        if label.len() > MAX_LABEL_LEN {
            return Err("has a label longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("may hold only letters, digits, hyphens and dots");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a label that starts or ends with a hyphen");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("ends in a numeric label (an IP address is not a domain)");
    }
    Ok(())
}

/// Why a request was refused. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The address failed the strict check.
    #[error("not an acceptable address: {0}")]
    Address(#[from] AddressError),
    /// No domain is allowed, so nobody can be mailed.
    #[error("no allowed domains are configured (policy.allowed_domains)")]
    NoAllowedDomains,
    /// The address's domain is not one of the allowed ones nor below one.
    #[error("{address} is not in an allowed domain ({allowed})")]
    DomainNotAllowed {
        /// The address.
        address: String,
        /// The allowed domains, comma-separated.
        allowed: String,
    },
    /// The range ends before it begins.
    #[error("the range ends ({end}) before it begins ({begin})")]
    Reversed {
        /// The first day asked for.
        begin: NaiveDate,
        /// The last day asked for.
        end: NaiveDate,
    },
    /// The range has more days than allowed.
    #[error("the range has {days} days; at most {max} are allowed")]
    TooLong {
        /// Days asked for (both ends counted).
        days: i64,
        /// The limit.
        max: u32,
    },
    /// The range starts before the oldest day kept.
    #[error("the range begins ({begin}) before the oldest day kept ({oldest})")]
    TooOld {
        /// The first day asked for.
        begin: NaiveDate,
        /// The oldest day inside the retention window.
        oldest: NaiveDate,
    },
    /// The range ends after today.
    #[error("the range ends ({end}) after today ({today})")]
    InFuture {
        /// The last day asked for.
        end: NaiveDate,
        /// Today, as the caller said.
        today: NaiveDate,
    },
}

/// Why a sender is warned about a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningReason {
    /// The day's Sum reached the threshold.
    Sum {
        /// The day's Sum.
        count: u64,
        /// `policy.notify_sum`.
        threshold: u64,
    },
    /// The day's Bounced reached the threshold.
    Bounced {
        /// The day's Bounced.
        count: u64,
        /// `policy.notify_bounced`.
        threshold: u64,
    },
}

impl fmt::Display for WarningReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningReason::Sum { count, threshold } => write!(f, "sum {count} >= {threshold}"),
            WarningReason::Bounced { count, threshold } => {
                write!(f, "bounced {count} >= {threshold}")
            }
        }
    }
}

/// The service's rules (`[policy]` of the configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Domains whose addresses (and those of their subdomains) may receive reports;
    /// lower-case, without a leading dot. Empty: nobody.
    pub allowed_domains: Vec<String>,
    /// The most days one report may cover (both ends counted). Default 31.
    pub max_range_days: u32,
    /// How many days back (today included) reports may reach. Default 31.
    pub retention_days: u32,
    /// A day's Sum at or above this is warned about. Default 250.
    pub notify_sum: u64,
    /// A day's Bounced at or above this is warned about. Default 10.
    pub notify_bounced: u64,
    /// Whether `notify` also warns senders whose day looks like a stolen account
    /// ([`crate::anomaly`]). Default true.
    pub notify_anomalies: bool,
    /// The thresholds of the stolen-account signs (`[anomalies]`).
    pub anomalies: crate::anomaly::Thresholds,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allowed_domains: Vec::new(),
            max_range_days: 31,
            retention_days: 31,
            notify_sum: 250,
            notify_bounced: 10,
            notify_anomalies: true,
            anomalies: crate::anomaly::Thresholds::default(),
        }
    }
}

impl Policy {
    /// True when `domain` (any case) is an allowed domain or a subdomain of one.
    pub fn domain_allowed(&self, domain: &str) -> bool {
        let domain = domain.to_ascii_lowercase();
        self.allowed_domains.iter().any(|allowed| {
            domain == *allowed
                || (domain.len() > allowed.len()
                    && domain.ends_with(allowed.as_str())
                    && domain.as_bytes()[domain.len() - allowed.len() - 1] == b'.')
        })
    }

    /// Checks `address` strictly and against the allowed domains: the only way to a
    /// [`Recipient`], the only kind of address a report is mailed to.
    pub fn check_address(&self, address: &str) -> Result<Recipient, Refusal> {
        let parsed = EmailAddress::parse(address)?;
        if self.allowed_domains.is_empty() {
            return Err(Refusal::NoAllowedDomains);
        }
        if !self.domain_allowed(parsed.domain()) {
            return Err(Refusal::DomainNotAllowed {
                address: parsed.to_string(),
                allowed: self.allowed_domains.join(", "),
            });
        }
        Ok(Recipient(parsed))
    }

    /// Where the retention window begins when it is `today` in `zone`: its first day,
    /// and the first instant of that day. `prune` deletes what was logged before it.
    pub fn retention_start(&self, today: NaiveDate, zone: Tz) -> (NaiveDate, DateTime<Utc>) {
        let oldest = self.oldest_day(today);
        let start = crate::timestamp::local_to_fixed(zone, oldest.and_time(NaiveTime::MIN));
        (oldest, start.with_timezone(&Utc))
    }

    /// The oldest day a report may reach when it is `today`.
    pub fn oldest_day(&self, today: NaiveDate) -> NaiveDate {
        today
            .checked_sub_days(Days::new(u64::from(self.retention_days.saturating_sub(1))))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Checks the range `[begin, end]` asked for on `today`: not reversed, at most
    /// `max_range_days` days, not before the retention window, not after today.
    pub fn check_range(
        &self,
        begin: NaiveDate,
        end: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), Refusal> {
        if end < begin {
            return Err(Refusal::Reversed { begin, end });
        }
        let days = (end - begin).num_days() + 1;
        if days > i64::from(self.max_range_days) {
            return Err(Refusal::TooLong {
                days,
                max: self.max_range_days,
            });
        }
        if end > today {
            return Err(Refusal::InFuture { end, today });
        }
        let oldest = self.oldest_day(today);
        if begin < oldest {
            return Err(Refusal::TooOld { begin, oldest });
        }
        Ok(())
    }

    /// Why a day with `counts` deserves a warning (empty: it does not). Thresholds are
    /// reached at equality: Sum 250 warns, 249 does not.
    pub fn warning_reasons(&self, counts: &Counts) -> Vec<WarningReason> {
        let mut out = Vec::new();
        let sum = counts.sum();
        if sum >= self.notify_sum {
            out.push(WarningReason::Sum {
                count: sum,
                threshold: self.notify_sum,
            });
        }
        let bounced = counts.get(Status::Bounced);
        if bounced >= self.notify_bounced {
            out.push(WarningReason::Bounced {
                count: bounced,
                threshold: self.notify_bounced,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nthu() -> Policy {
        Policy {
            allowed_domains: vec!["nthu.edu.tw".into()],
            ..Policy::default()
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn domains_match_whole_labels_only() {
        let p = nthu();
        for ok in [
            "x@nthu.edu.tw",
            "x@cs.nthu.edu.tw",
            "X.Y+tag@CS.NTHU.EDU.TW",
            "a@b.c.nthu.edu.tw",
        ] {
            assert!(p.check_address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "x@evilnthu.edu.tw",
            "x@nthu.edu.tw.evil.org",
            "x@edu.tw",
            "x@xnthu.edu.tw",
            "x@example.org",
        ] {
            assert!(
                matches!(p.check_address(bad), Err(Refusal::DomainNotAllowed { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            Policy::default().check_address("x@nthu.edu.tw"),
            Err(Refusal::NoAllowedDomains)
        );
    }

    #[test]
    fn anything_that_could_inject_a_header_or_a_recipient_is_refused() {
        for bad in [
            "",
            "x",
            "x@nthu.edu.tw\r\nBcc: evil@example.org",
            "x@nthu.edu.tw\nBcc: evil@example.org",
            "x@nthu.edu.tw\r",
            "x\0@nthu.edu.tw",
            " x@nthu.edu.tw",
            "x@nthu.edu.tw ",
            "x y@nthu.edu.tw",
            "<x@nthu.edu.tw>",
            "Evil <x@nthu.edu.tw>",
            "x@nthu.edu.tw,y@nthu.edu.tw",
            "x@nthu.edu.tw;y@nthu.edu.tw",
            "x@y@nthu.edu.tw",
            "\"x\"@nthu.edu.tw",
            "x'y@nthu.edu.tw",
            "x(comment)@nthu.edu.tw",
            "x@[140.114.1.1]",
            "x@140.114.1.1",
            "x@nthu..edu.tw",
            "x@-nthu.edu.tw",
            ".x@nthu.edu.tw",
            "x.@nthu.edu.tw",
            "x..y@nthu.edu.tw",
            "ü@nthu.edu.tw",
            "x@nthü.edu.tw",
            "x@nthu.edu.tw\t",
            "@nthu.edu.tw",
            "x@",
            "x@localhost",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let long_local = format!("{}@nthu.edu.tw", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_err());
        let long = format!("x@{}.nthu.edu.tw", vec!["a".repeat(60); 5].join("."));
        assert!(matches!(
            EmailAddress::parse(&long),
            Err(AddressError::TooLong { .. })
        ));
        // Messages escape what they quote.
        let msg = EmailAddress::parse("x@y\r\nBcc: z")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("'\\r'") && !msg.contains('\r'), "{msg}");
    }

    #[test]
    fn checked_addresses_keep_the_local_part_and_lower_case_the_domain() {
        let a = EmailAddress::parse("NSUser.x+1@CS.Nthu.Edu.TW").unwrap();
        assert_eq!(a.local(), "NSUser.x+1");
        assert_eq!(a.domain(), "cs.nthu.edu.tw");
        assert_eq!(a.to_string(), "NSUser.x+1@cs.nthu.edu.tw");
    }

    #[test]
    fn ranges_are_checked_against_length_retention_and_today() {
        let p = nthu();
        let today = d("2024-03-31");
        assert!(
            p.check_range(d("2024-03-01"), d("2024-03-31"), today)
                .is_ok()
        );
        assert!(
            p.check_range(d("2024-03-31"), d("2024-03-31"), today)
                .is_ok()
        );
        assert_eq!(
            p.check_range(d("2024-02-29"), d("2024-03-31"), today),
            Err(Refusal::TooLong { days: 32, max: 31 })
        );
        assert!(matches!(
            p.check_range(d("2024-03-02"), d("2024-03-01"), today),
            Err(Refusal::Reversed { .. })
        ));
        assert!(matches!(
            p.check_range(d("2024-03-30"), d("2024-04-01"), today),
            Err(Refusal::InFuture { .. })
        ));
        let short_memory = Policy {
            retention_days: 7,
            ..nthu()
        };
        assert_eq!(short_memory.oldest_day(today), d("2024-03-25"));
        assert!(
            short_memory
                .check_range(d("2024-03-25"), d("2024-03-26"), today)
                .is_ok()
        );
        assert!(matches!(
            short_memory.check_range(d("2024-03-24"), d("2024-03-26"), today),
            Err(Refusal::TooOld { .. })
        ));
    }

    #[test]
    fn thresholds_are_reached_at_equality() {
        let p = Policy::default();
        let counts = |sent: u64, bounced: u64| {
            let mut c = Counts::default();
            c.0[Status::Sent.index()] = sent;
            c.0[Status::Bounced.index()] = bounced;
            c
        };
        assert!(p.warning_reasons(&counts(240, 9)).is_empty());
        assert_eq!(
            p.warning_reasons(&counts(241, 9)),
            vec![WarningReason::Sum {
                count: 250,
                threshold: 250
            }]
        );
        assert_eq!(
            p.warning_reasons(&counts(0, 10)),
            vec![WarningReason::Bounced {
                count: 10,
                threshold: 10
            }]
        );
        assert_eq!(p.warning_reasons(&counts(300, 20)).len(), 2);
    }
}
