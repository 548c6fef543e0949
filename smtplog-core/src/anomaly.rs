//! Stolen-account signs: one sender's day compared with that sender's own previous
//! [`BASELINE_DAYS`] days, never with later days, and flagged when it looks like someone
//! else using, or trying to use, the account.
//!
//! Pure: the caller gathers each sender's [`DayFeatures`] (the store does, from the
//! records: `Store::sender_day_features`) and passes the day; nothing here reads a clock.
//!
//! Signals, each a [`Reason`] with the day's value, the sender's usual value and a
//! sentence in zh_TW and en, and each worth points ([`Signal::weight`]); a sender is
//! flagged when the points reach [`Thresholds::min_score`]:
//!
//! | kind | fires when | points |
//! |---|---|---|
//! | `sasl_failures` | at least `sasl_failures` failed logins naming the account, from at least `sasl_failure_ips` client IPs | 2 |
//! | `new_client_ip` | at least `new_client_recipients` recipients sent from client IPs the sender had not used before the last `recent_client_days` days (a client IP that `shared_client_senders` or more senders used in the baseline, such as the webmail host, is never new) | 1 |
//! | `new_recipient_domains` | at least `new_domain_recipients` recipients, and `new_domain_percent` % of the day's, at domains the sender never wrote to | 1 |
//! | `failure_share` | at least `failure_count` bounced, deferred or expired deliveries, `failure_percent` % of the day's, and `failure_margin_percent` points above the sender's own share | 1 |
//! | `volume` | recipients at least `volume_factor` times the sender's median day and at least `volume_min` | 1 |
//! | `unusual_hours` | at least `odd_hour_recipients` recipients at hours of the day the sender never used, nor the hour either side | 1 |
//!
//! The signals that compare with the sender's own habits (client IPs, domains, volume,
//! hours) need at least `min_baseline_days` active days in the baseline: a new account,
//! or one silent for the whole baseline, is never flagged for being new. SASL failures
//! and the failure share (against the absolute thresholds) count for every sender.
//! The defaults were chosen from the labelled scenarios of `docs/anomalies.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::report::Lang;

/// How many days before the checked day make a sender's baseline.
pub const BASELINE_DAYS: u32 = 30;

/// What a sender did on one day (in the configured zone), as the detector sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayFeatures {
    /// Recipients with a final outcome: sent, bounced or expired.
    pub recipients: u64,
    /// Deliveries that failed: bounced, deferred (each attempt) or expired.
    pub failed: u64,
    /// Every delivery record: sent, bounced, deferred or expired.
    pub deliveries: u64,
    /// Recipients (final outcomes) by the client IP of their message.
    pub clients: BTreeMap<String, u64>,
    /// Recipients (final outcomes) by recipient domain (lower-case).
    pub domains: BTreeMap<String, u64>,
    /// Failed SASL logins naming the sender.
    pub sasl_failures: u64,
    /// The client IPs of those failed logins.
    pub sasl_failure_ips: BTreeSet<String>,
    /// Recipients (final outcomes) by local hour of the day.
    pub hours: [u64; 24],
}

impl DayFeatures {
    /// True when the sender did anything this day (a delivery or a failed login).
    pub fn active(&self) -> bool {
        self.deliveries > 0 || self.sasl_failures > 0
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &DayFeatures) {
        self.recipients += other.recipients;
        self.failed += other.failed;
        self.deliveries += other.deliveries;
        for (k, n) in &other.clients {
            *self.clients.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &other.domains {
            *self.domains.entry(k.clone()).or_default() += n;
        }
        self.sasl_failures += other.sasl_failures;
        self.sasl_failure_ips
            .extend(other.sasl_failure_ips.iter().cloned());
        for (h, n) in self.hours.iter_mut().zip(other.hours) {
            *h += n;
        }
    }
}

/// The thresholds of the detector (`[anomalies]` in the configuration). All whole
/// numbers; shares in percent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Points needed to flag a sender. Default 2.
    pub min_score: u32,
    /// Active baseline days needed before the sender's habits are compared. Default 5.
    pub min_baseline_days: u32,
    /// A client IP used by at least this many senders in the baseline is shared (the
    /// webmail host) and never new. Default 5.
    pub shared_client_senders: u32,
    /// Recipients from new client IPs that make the signal. Default 10.
    pub new_client_recipients: u64,
    /// A client IP first used in this many days before the checked day is still new.
    /// Default 7.
    pub recent_client_days: u32,
    /// Recipients at new domains that make the signal. Default 10.
    pub new_domain_recipients: u64,
    /// ... and their share of the day's recipients, in percent. Default 20.
    pub new_domain_percent: u32,
    /// Failed deliveries that make the signal. Default 10.
    pub failure_count: u64,
    /// ... their share of the day's deliveries, in percent. Default 30.
    pub failure_percent: u32,
    /// ... and how many points above the sender's own share. Default 20.
    pub failure_margin_percent: u32,
    /// Times the sender's median day. Default 5.
    pub volume_factor: u32,
    /// ... and at least this many recipients. Default 100.
    pub volume_min: u64,
    /// Failed logins naming the sender. Default 10.
    pub sasl_failures: u64,
    /// ... from at least this many client IPs. Default 3.
    pub sasl_failure_ips: u32,
    /// Recipients at hours the sender never used. Default 20.
    pub odd_hour_recipients: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_score: 2,
            min_baseline_days: 5,
            shared_client_senders: 5,
            new_client_recipients: 10,
            recent_client_days: 7,
            new_domain_recipients: 10,
            new_domain_percent: 20,
            failure_count: 10,
            failure_percent: 30,
            failure_margin_percent: 20,
            volume_factor: 5,
            volume_min: 100,
            sasl_failures: 10,
            sasl_failure_ips: 3,
            odd_hour_recipients: 20,
        }
    }
}

/// The kinds of signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    /// Failed logins naming the account, from several client IPs.
    SaslFailures,
    /// Mail from client IPs never seen for this sender.
    NewClientIp,
    /// Recipients at domains never written to.
    NewRecipientDomains,
    /// A share of failed deliveries well above the sender's own.
    FailureShare,
    /// Many more recipients than the sender's usual day.
    Volume,
    /// Mail at hours the sender never sends.
    UnusualHours,
}

impl Signal {
    /// The name in JSON (`kind`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Signal::SaslFailures => "sasl_failures",
            Signal::NewClientIp => "new_client_ip",
            Signal::NewRecipientDomains => "new_recipient_domains",
            Signal::FailureShare => "failure_share",
            Signal::Volume => "volume",
            Signal::UnusualHours => "unusual_hours",
        }
    }

    /// The points the signal is worth.
    pub fn weight(&self) -> u32 {
        match self {
            Signal::SaslFailures => 2,
            _ => 1,
        }
    }
}

/// One reason of a flag: what was unusual, against what is usual for the sender.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    /// What kind of signal.
    pub kind: Signal,
    /// The day's value.
    pub value: f64,
    /// The sender's usual value.
    pub baseline: f64,
    /// The sentence in zh_TW.
    pub text_zh_tw: String,
    /// The sentence in en.
    pub text_en: String,
}

impl Reason {
    /// The sentence in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhTw => &self.text_zh_tw,
            Lang::En => &self.text_en,
        }
    }
}

/// A flagged sender of one day.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    /// The sender (lower-case, as stored).
    pub email: String,
    /// The points of its reasons.
    pub score: f64,
    /// Why, strongest first.
    pub reasons: Vec<Reason>,
}

impl Flag {
    /// The contract's JSON object: `{"email", "score", "reasons": [{"kind", "value",
    /// "baseline", "text"}]}`, the texts in `lang`.
    pub fn to_json(&self, lang: Lang) -> Value {
        json!({
            "email": self.email,
            "score": self.score,
            "reasons": self.reasons.iter().map(|r| json!({
                "kind": r.kind.as_str(),
                "value": number(r.value),
                "baseline": number(r.baseline),
                "text": r.text(lang),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A whole number as an integer, anything else as a float rounded to 0.01.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!((v * 100.0).round() / 100.0)
    }
}

/// One sender's checked day and the baseline days before it (at most
/// [`BASELINE_DAYS`], oldest first; days without activity may be left out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The sender.
    pub email: String,
    /// The checked day.
    pub day: DayFeatures,
    /// The days before it.
    pub baseline: Vec<DayFeatures>,
}

/// The client IPs that at least `min_senders` senders used in their baselines: shared
/// hosts (the webmail server), which say nothing about who sent.
pub fn shared_clients<'a>(
    histories: impl IntoIterator<Item = &'a History>,
    min_senders: u32,
) -> BTreeSet<String> {
    let mut users: rustc_hash::FxHashMap<&str, u32> = Default::default();
    let mut mine: rustc_hash::FxHashSet<&str> = Default::default();
    for h in histories {
        mine.clear();
        for d in &h.baseline {
            mine.extend(d.clients.keys().map(String::as_str));
        }
        for ip in &mine {
            *users.entry(ip).or_default() += 1;
        }
    }
    users
        .into_iter()
        .filter(|&(_, n)| n >= min_senders)
        .map(|(ip, _)| ip.to_string())
        .collect()
}

/// Every flagged sender among `histories` (those active on their checked day), by
/// address; the shared client IPs are found among all of them.
pub fn detect_all(histories: &[History], t: &Thresholds) -> Vec<Flag> {
    let shared = shared_clients(histories, t.shared_client_senders);
    let mut out: Vec<Flag> = histories
        .iter()
        .filter(|h| h.day.active())
        .filter_map(|h| detect(h, &shared, t))
        .collect();
    out.sort_by(|a, b| a.email.cmp(&b.email));
    out
}

fn median(mut v: Vec<u64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Rounds for the sentences.
fn show(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The list of hours `h`, as "02, 03, 14".
fn hour_list(hours: &[usize]) -> String {
    let mut s = String::new();
    for (i, h) in hours.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{h:02}");
    }
    s
}

/// The flag of one sender's day, if its reasons reach `t.min_score`. `shared` are the
/// client IPs that give no signal ([`shared_clients`]).
pub fn detect(h: &History, shared: &BTreeSet<String>, t: &Thresholds) -> Option<Flag> {
    let day = &h.day;
    let mut reasons = Vec::new();
    let active: Vec<&DayFeatures> = h.baseline.iter().filter(|d| d.active()).collect();
    // The baseline's sums; its client IPs and domains are looked up day by day.
    let mut usual = DayFeatures::default();
    for d in &active {
        usual.sasl_failures += d.sasl_failures;
        usual.failed += d.failed;
        usual.deliveries += d.deliveries;
        for (h, n) in usual.hours.iter_mut().zip(d.hours) {
            *h += n;
        }
    }
    let n_days = h.baseline.len().max(1) as f64;

    // Failed logins: evidence of someone trying the password, for every sender.
    if day.sasl_failures >= t.sasl_failures
        && day.sasl_failure_ips.len() as u64 >= u64::from(t.sasl_failure_ips)
    {
        let base = usual.sasl_failures as f64 / n_days;
        let ips = day.sasl_failure_ips.len();
        reasons.push(Reason {
            kind: Signal::SaslFailures,
            value: day.sasl_failures as f64,
            baseline: base,
            text_zh_tw: format!(
                "有 {} 次以此帳號登入失敗，來自 {ips} 個不同的 IP；平常每天約 {} 次。",
                day.sasl_failures,
                show(round1(base))
            ),
            text_en: format!(
                "{} failed logins with this account from {ips} different IP addresses; usually {} a day.",
                day.sasl_failures,
                show(round1(base))
            ),
        });
    }

    // The failure share against absolute thresholds and the sender's own share.
    let share = percent(day.failed, day.deliveries);
    let own_share = percent(usual.failed, usual.deliveries);
    if day.failed >= t.failure_count
        && share >= f64::from(t.failure_percent)
        && share >= own_share + f64::from(t.failure_margin_percent)
    {
        reasons.push(Reason {
            kind: Signal::FailureShare,
            value: round1(share),
            baseline: round1(own_share),
            text_zh_tw: format!(
                "{} 筆投遞失敗（退信、延遲或逾期），佔 {}%；平常為 {}%。",
                day.failed,
                show(round1(share)),
                show(round1(own_share))
            ),
            text_en: format!(
                "{} deliveries failed (bounced, deferred or expired), {}% of the day's; usually {}%.",
                day.failed,
                show(round1(share)),
                show(round1(own_share))
            ),
        });
    }

    if active.len() as u32 >= t.min_baseline_days {
        // Client IPs never seen for this sender (shared hosts excepted).
        // An address first seen in the last `recent_client_days` days is still new: a
        // thief's address must not become usual after a day of use.
        let settled = h
            .baseline
            .len()
            .saturating_sub(t.recent_client_days as usize);
        let before = &h.baseline[..settled];
        let new_ips: Vec<(&String, &u64)> = day
            .clients
            .iter()
            .filter(|(ip, _)| {
                !shared.contains(*ip) && !before.iter().any(|d| d.clients.contains_key(*ip))
            })
            .collect();
        let from_new: u64 = new_ips.iter().map(|(_, n)| **n).sum();
        if from_new >= t.new_client_recipients {
            let mut known: BTreeSet<&str> = BTreeSet::new();
            for d in before {
                known.extend(d.clients.keys().map(String::as_str));
            }
            let known = known.iter().filter(|ip| !shared.contains(**ip)).count();
            reasons.push(Reason {
                kind: Signal::NewClientIp,
                value: new_ips.len() as f64,
                baseline: known as f64,
                text_zh_tw: if known == 0 {
                    format!(
                        "有 {from_new} 位收件人的信是從 {} 個此帳號從未用過的 IP 寄出；過去 {BASELINE_DAYS} 天只經由共用主機（如網頁郵件）寄信。",
                        new_ips.len()
                    )
                } else {
                    format!(
                        "有 {from_new} 位收件人的信是從 {} 個此帳號從未用過的 IP 寄出；過去 {BASELINE_DAYS} 天只用過 {known} 個 IP。",
                        new_ips.len()
                    )
                },
                text_en: format!(
                    "{from_new} recipients were mailed from {} this account never used; {}",
                    match new_ips.len() {
                        1 => "an IP address".to_string(),
                        n => format!("{n} IP addresses"),
                    },
                    match known {
                        0 => format!("in the previous {BASELINE_DAYS} days it sent only through shared hosts such as the webmail server."),
                        n => format!("in the previous {BASELINE_DAYS} days it used {n}."),
                    }
                ),
            });
        }

        // Recipient domains never written to.
        let new_domains: Vec<(&String, &u64)> = day
            .domains
            .iter()
            .filter(|(d, _)| !active.iter().any(|b| b.domains.contains_key(*d)))
            .collect();
        let at_new: u64 = new_domains.iter().map(|(_, n)| **n).sum();
        if at_new >= t.new_domain_recipients
            && percent(at_new, day.recipients) >= f64::from(t.new_domain_percent)
        {
            let per_day = median(active.iter().map(|d| d.domains.len() as u64).collect());
            reasons.push(Reason {
                kind: Signal::NewRecipientDomains,
                value: new_domains.len() as f64,
                baseline: per_day,
                text_zh_tw: format!(
                    "有 {at_new} 位收件人在 {} 個從未寄過的網域；平常每天寄往約 {} 個網域。",
                    new_domains.len(),
                    show(per_day)
                ),
                text_en: format!(
                    "{at_new} recipients at {} domains never written to before; usually about {} domains a day.",
                    new_domains.len(),
                    show(per_day)
                ),
            });
        }

        // Volume against the sender's own days.
        let med = median(active.iter().map(|d| d.recipients).collect());
        if day.recipients >= t.volume_min
            && day.recipients as f64 >= f64::from(t.volume_factor) * med.max(1.0)
        {
            reasons.push(Reason {
                kind: Signal::Volume,
                value: day.recipients as f64,
                baseline: med,
                text_zh_tw: format!(
                    "今天寄給 {} 位收件人；平常一天約 {} 位。",
                    day.recipients,
                    show(med)
                ),
                text_en: format!(
                    "{} recipients this day; usually about {} a day.",
                    day.recipients,
                    show(med)
                ),
            });
        }

        // Hours the sender never used.
        // An hour is unusual when neither it nor the hour either side was ever used.
        let odd: Vec<usize> = (0..24)
            .filter(|&i| {
                day.hours[i] > 0
                    && [(i + 23) % 24, i, (i + 1) % 24]
                        .iter()
                        .all(|&j| usual.hours[j] == 0)
            })
            .collect();
        let at_odd: u64 = odd.iter().map(|&i| day.hours[i]).sum();
        if at_odd >= t.odd_hour_recipients {
            let used = usual.hours.iter().filter(|&&n| n > 0).count();
            reasons.push(Reason {
                kind: Signal::UnusualHours,
                value: at_odd as f64,
                baseline: 0.0,
                text_zh_tw: format!(
                    "有 {at_odd} 位收件人的信在此帳號從不寄信的時段（{} 時）寄出；過去只在一天中的 {used} 個小時寄信。",
                    hour_list(&odd)
                ),
                text_en: format!(
                    "{at_odd} recipients were mailed at hours this account never sends at ({}); it used {used} hours of the day before.",
                    hour_list(&odd)
                ),
            });
        }
    }

    let score: u32 = reasons.iter().map(|r| r.kind.weight()).sum();
    if score < t.min_score || reasons.is_empty() {
        return None;
    }
    reasons.sort_by_key(|r| (std::cmp::Reverse(r.kind.weight()), r.kind));
    Some(Flag {
        email: h.email.clone(),
        score: f64::from(score),
        reasons,
    })
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Every flagged sender of `day` (calendar days in `zone`), each compared with their
/// own previous [`BASELINE_DAYS`] days: one scan of the store over the 31 days.
#[cfg(feature = "store")]
pub fn on_day(
    store: &crate::store::Store,
    day: chrono::NaiveDate,
    zone: chrono_tz::Tz,
    t: &Thresholds,
) -> crate::store::Result<Vec<Flag>> {
    let first = day
        .checked_sub_days(chrono::Days::new(u64::from(BASELINE_DAYS)))
        .unwrap_or(day);
    let days: Vec<_> = crate::stats::days_of(first, day)
        .into_iter()
        .map(|d| crate::stats::range_bounds(d, d, zone))
        .collect();
    let histories: Vec<History> = store
        .sender_day_features(&days)?
        .into_iter()
        .map(|(email, mut features)| {
            let today = features.pop().unwrap_or_default();
            History {
                email,
                day: today,
                baseline: features,
            }
        })
        .collect();
    Ok(detect_all(&histories, t))
}

/// The flag as one line of text: the address, the score and each reason's sentence
/// (control characters, which a log line may carry, shown as `?`).
pub fn line(flag: &Flag, lang: Lang) -> String {
    let mut s = format!("{}  score {}", flag.email, show(flag.score));
    for r in &flag.reasons {
        let _ = write!(s, "  [{}] {}", r.kind.as_str(), r.text(lang));
    }
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A day of `n` recipients from `ip` to `domain` at 10:00, none failed.
    fn day(n: u64, ip: &str, domain: &str) -> DayFeatures {
        let mut d = DayFeatures {
            recipients: n,
            deliveries: n,
            ..DayFeatures::default()
        };
        if n > 0 {
            d.clients.insert(ip.into(), n);
            d.domains.insert(domain.into(), n);
            d.hours[10] = n;
        }
        d
    }

    fn history(baseline: Vec<DayFeatures>, today: DayFeatures) -> History {
        History {
            email: "a@x.edu".into(),
            day: today,
            baseline,
        }
    }

    fn kinds(f: &Option<Flag>) -> Vec<&'static str> {
        f.iter()
            .flat_map(|f| f.reasons.iter().map(|r| r.kind.as_str()))
            .collect()
    }

    #[test]
    fn a_usual_day_is_not_flagged_and_a_burst_from_a_new_ip_to_new_domains_is() {
        let t = Thresholds::default();
        let base: Vec<DayFeatures> = (0..30).map(|_| day(20, "10.0.0.1", "x.edu")).collect();
        let usual = history(base.clone(), day(25, "10.0.0.1", "x.edu"));
        assert_eq!(detect(&usual, &BTreeSet::new(), &t), None);

        let mut spam = day(400, "203.0.113.9", "spam.example");
        spam.domains = (0..400).map(|i| (format!("d{i}.example"), 1)).collect();
        let f = detect(&history(base, spam), &BTreeSet::new(), &t);
        assert_eq!(
            kinds(&f),
            vec!["new_client_ip", "new_recipient_domains", "volume"]
        );
        let f = f.unwrap();
        assert_eq!(f.score, 3.0);
        let v = f.to_json(Lang::En);
        assert_eq!(v["reasons"][0]["value"], 1);
        assert_eq!(v["reasons"][0]["baseline"], 1);
        assert_eq!(v["reasons"][2]["baseline"], 20);
        assert!(
            v["reasons"][2]["text"]
                .as_str()
                .unwrap()
                .contains("400 recipients")
        );
        assert!(f.reasons[2].text(Lang::ZhTw).contains("400 位收件人"));
    }

    #[test]
    fn a_new_ip_alone_is_travel_and_a_shared_ip_is_never_new() {
        let t = Thresholds::default();
        let base: Vec<DayFeatures> = (0..30).map(|_| day(20, "10.0.0.1", "x.edu")).collect();
        let travel = history(base.clone(), day(20, "198.51.100.7", "x.edu"));
        assert_eq!(detect(&travel, &BTreeSet::new(), &t), None);

        // Spam to new domains from the webmail host: no client-IP reason, but the
        // domains and the volume carry it.
        let mut spam = day(300, "10.9.9.9", "x");
        spam.domains = (0..300).map(|i| (format!("d{i}.example"), 1)).collect();
        let shared: BTreeSet<String> = ["10.9.9.9".to_string()].into();
        let f = detect(&history(base, spam), &shared, &t);
        assert_eq!(kinds(&f), vec!["new_recipient_domains", "volume"]);
    }

    #[test]
    fn a_new_or_silent_account_is_not_flagged_for_being_new() {
        let t = Thresholds::default();
        let mut first = day(300, "203.0.113.9", "y.example");
        first.domains = (0..300).map(|i| (format!("d{i}.example"), 1)).collect();
        let silent = vec![DayFeatures::default(); 30];
        assert_eq!(
            detect(&history(vec![], first.clone()), &BTreeSet::new(), &t),
            None
        );
        assert_eq!(detect(&history(silent, first), &BTreeSet::new(), &t), None);
    }

    #[test]
    fn password_guessing_from_many_ips_is_flagged_alone() {
        let t = Thresholds::default();
        let mut today = DayFeatures {
            sasl_failures: 40,
            ..DayFeatures::default()
        };
        today.sasl_failure_ips = (0..8).map(|i| format!("198.51.100.{i}")).collect();
        let f = detect(&history(vec![], today.clone()), &BTreeSet::new(), &t);
        assert_eq!(kinds(&f), vec!["sasl_failures"]);
        // Two IPs: a user mistyping at home and at work.
        today.sasl_failure_ips = (0..2).map(|i| format!("198.51.100.{i}")).collect();
        assert_eq!(detect(&history(vec![], today), &BTreeSet::new(), &t), None);
    }

    #[test]
    fn failures_count_against_the_senders_own_share_and_hours_against_their_own() {
        let t = Thresholds::default();
        let base: Vec<DayFeatures> = (0..30).map(|_| day(20, "10.0.0.1", "x.edu")).collect();
        let mut today = day(60, "10.0.0.1", "x.edu");
        today.failed = 40;
        today.deliveries = 100;
        today.hours = [0; 24];
        today.hours[3] = 60;
        let f = detect(&history(base.clone(), today.clone()), &BTreeSet::new(), &t);
        assert_eq!(kinds(&f), vec!["failure_share", "unusual_hours"]);
        assert!(f.unwrap().reasons[1].text_en.contains("(03)"));

        // A sender whose mail always fails that much: no failure reason.
        let noisy: Vec<DayFeatures> = base
            .into_iter()
            .map(|mut d| {
                d.failed = 15;
                d.deliveries = 35;
                d
            })
            .collect();
        let f = detect(&history(noisy, today), &BTreeSet::new(), &t);
        assert_eq!(kinds(&f), Vec::<&str>::new());
    }

    #[test]
    fn shared_clients_are_those_of_many_senders() {
        let mk = |email: &str, ip: &str| History {
            email: email.into(),
            day: DayFeatures::default(),
            baseline: vec![day(1, ip, "x.edu"), day(1, "10.9.9.9", "x.edu")],
        };
        let hs: Vec<History> = (0..5)
            .map(|i| mk(&format!("u{i}@x"), &format!("10.0.0.{i}")))
            .collect();
        let shared = shared_clients(&hs, 5);
        assert_eq!(shared, ["10.9.9.9".to_string()].into());
    }
}
