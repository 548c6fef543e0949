//! The configuration file (TOML): where the database is, which zone defines the days,
//! how to reach the SMTP relay, what the mailed reports look like, the service's policy
//! and the web page's networks.
//!
//! Reading is strict. Unknown keys are errors (a misspelt `notify_sum` must not silently
//! fall back to its default), and so are bad values; every message names the key
//! (`smtp.port: 70000 is not a port number (1-65535)`). Checks: the zone is an IANA name,
//! networks are CIDRs without host bits, `listen` is `ADDR:PORT`, addresses pass the same
//! strict check as recipients, the TLS mode is `none`, `starttls` or `tls`, subjects use
//! only known placeholders. [`Config::to_toml`] writes the effective configuration back,
//! defaults filled in and the password masked, for `smtplog config check`.
//!
//! Keys and defaults (see `examples/smtplog.toml` for a commented file):
//!
//! | key | default |
//! |---|---|
//! | `db` | the front end's (`smtplog.db`); relative paths are relative to the file |
//! | `timezone` | the front end's (the system's) |
//! | `[smtp] host, port, tls, username, password, timeout_secs, hello_name, ca_file` | `localhost`, 25/587/465 by `tls`, `none`, none, none, 30, the host's name, none (public roots only; relative to the file) |
//! | `[mail] from` | required to send |
//! | `[mail] from_name, reply_to, lang, zip_threshold_bytes` | none, none (no `Reply-To`), `zh_TW`, 524288 |
//! | `[mail] subject_zh_TW, subject_en, warning_subject_zh_TW, warning_subject_en, anomaly_subject_zh_TW, anomaly_subject_en` | see [`DEFAULT_SUBJECT_EN`] and its siblings |
//! | `[mail] service_name, contact_url, query_url, help_url` | the footer's; none |
//! | `[policy] allowed_domains, max_range_days, retention_days, notify_sum, notify_bounced, notify_anomalies` | `[]` (nobody), 31, 31, 250, 10, true |
//! | `[anomalies] min_score, min_baseline_days, shared_client_senders, new_client_recipients, recent_client_days, new_domain_recipients, new_domain_percent, failure_count, failure_percent, failure_margin_percent, volume_factor, volume_min, sasl_failures, sasl_failure_ips, odd_hour_recipients` | see [`crate::anomaly::Thresholds`] and `docs/anomalies.md` |
//! | `[web] listen, allowed_networks, trusted_proxies` | `127.0.0.1:8080`, `[]` (nobody), `[]` |
//! | `[web] per_ip_per_hour, per_address_per_day, captcha_ttl_secs` | 20, 5, 600 |
//! | `[web] unsafe_fixed_captcha` | none (tests only; refused unless `listen` is loopback) |
//! | `[ingest] filter_transports` | `[]` (content filters are recognised from the log alone) |
//!
//! ```
//! use smtplog_core::config::Config;
//!
//! let config = Config::from_toml_str(
//!     r#"
//!     timezone = "Asia/Taipei"
//!     [mail]
//!     from = "smtplog@net.example.edu.tw"
//!     [policy]
//!     allowed_domains = ["example.edu.tw"]
//!     "#,
//!     None,
//! )?;
//! assert_eq!(config.policy.notify_sum, 250);
//! assert_eq!(config.smtp.port, 25);
//! let err = Config::from_toml_str("[smtp]\nport = 70000\n", None).unwrap_err();
//! assert!(err.to_string().contains("smtp.port"));
//! # Ok::<(), smtplog_core::config::ConfigError>(())
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::anomaly::Thresholds;
use crate::policy::{EmailAddress, Policy, check_domain};
use crate::report::{Footer, Lang};

/// The default subject of a report in `zh_TW`.
pub const DEFAULT_SUBJECT_ZH_TW: &str = "寄信紀錄查詢結果 SMTP Log Report：{begin} 至 {end}";
/// The default subject of a report in `en`.
pub const DEFAULT_SUBJECT_EN: &str = "SMTP log report: {begin} to {end}";
/// The default subject of an automatic warning in `zh_TW`.
pub const DEFAULT_WARNING_SUBJECT_ZH_TW: &str =
    "【自動通知 Automatic warning】{day} 寄信紀錄提醒：總和 Sum {sum}，退信 Bounced {bounced}";
/// The default subject of an automatic warning in `en`.
pub const DEFAULT_WARNING_SUBJECT_EN: &str =
    "[Automatic warning] Your sending on {day}: Sum {sum}, Bounced {bounced}";
/// The default subject of a warning about signs of a stolen account, in `zh_TW`.
pub const DEFAULT_ANOMALY_SUBJECT_ZH_TW: &str =
    "【自動通知 Automatic warning】{day} 帳號異常使用提醒 Unusual use of your account";
/// The default subject of a warning about signs of a stolen account, in `en`.
pub const DEFAULT_ANOMALY_SUBJECT_EN: &str =
    "[Automatic warning] Unusual use of your account on {day}";
/// The placeholders a subject may use.
pub const SUBJECT_PLACEHOLDERS: [&str; 6] = ["email", "begin", "end", "day", "sum", "bounced"];
/// The default size (bytes of the text report) from which a report is zipped.
pub const DEFAULT_ZIP_THRESHOLD: u64 = 512 * 1024;
/// The default SMTP timeout.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The default address of the web page.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// What went wrong reading a configuration. Each message names the file or the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong type (the message shows the
    /// line and the key).
    #[error("{0}")]
    Syntax(String),
    /// A value of the right type that is not acceptable.
    #[error("{key}: {reason}")]
    Invalid {
        /// The dotted key (`smtp.port`).
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A key that the asked-for work needs is not set.
    #[error("{key} is not set in the configuration ({why})")]
    Missing {
        /// The dotted key.
        key: &'static str,
        /// What needs it.
        why: &'static str,
    },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// A password: shown as `********` by `Debug` and [`Config::to_toml`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `s`.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself (to hand to the SMTP client).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How a masked secret is shown.
pub const MASK: &str = "********";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// How the connection to the SMTP relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP (a relay on this host or a trusted network).
    None,
    /// Plain connection upgraded with STARTTLS, which is required.
    StartTls,
    /// TLS from the first byte (SMTPS, "implicit TLS").
    Tls,
}

impl TlsMode {
    /// The configuration's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
        }
    }

    /// The usual port of the mode: 25, 587 or 465.
    pub fn default_port(&self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// `[smtp]`: the relay reports are sent through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The relay's host name or IP address.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The protection.
    pub tls: TlsMode,
    /// The user name to authenticate as, if any (then `password` is set too).
    pub username: Option<String>,
    /// The password.
    pub password: Option<Secret>,
    /// How long to wait for the relay at each step.
    pub timeout: Duration,
    /// The name to greet the relay with (EHLO); default: this host's name.
    pub hello_name: Option<String>,
    /// A CA certificate (PEM) to trust besides the public ones, for a relay whose
    /// certificate a private CA signed.
    pub ca_file: Option<PathBuf>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: "localhost".into(),
            port: 25,
            tls: TlsMode::None,
            username: None,
            password: None,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            hello_name: None,
            ca_file: None,
        }
    }
}

/// The subject templates of one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subjects {
    /// The subject of a report someone asked for.
    pub report: String,
    /// The subject of an automatic warning.
    pub warning: String,
    /// The subject of an automatic warning about signs of a stolen account.
    pub anomaly: String,
}

/// `[mail]`: what the mailed reports look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    /// The sender address (`From:` and the envelope's `MAIL FROM`).
    pub from: EmailAddress,
    /// The display name of `From:`.
    pub from_name: Option<String>,
    /// Where replies go; `None`: no `Reply-To` (the footer asks not to reply).
    pub reply_to: Option<EmailAddress>,
    /// The language of automatic warnings and of reports when none is asked for.
    pub lang: Lang,
    /// A report whose text form has at least this many bytes is sent as `report.zip`.
    pub zip_threshold_bytes: u64,
    /// Subjects in `zh_TW`.
    pub subjects_zh_tw: Subjects,
    /// Subjects in `en`.
    pub subjects_en: Subjects,
    /// The footer: service name and links.
    pub footer: Footer,
}

impl MailConfig {
    /// A configuration with only `from` set and every other key at its default.
    pub fn new(from: EmailAddress) -> MailConfig {
        MailConfig {
            from,
            from_name: None,
            reply_to: None,
            lang: Lang::ZhTw,
            zip_threshold_bytes: DEFAULT_ZIP_THRESHOLD,
            subjects_zh_tw: Subjects {
                report: DEFAULT_SUBJECT_ZH_TW.into(),
                warning: DEFAULT_WARNING_SUBJECT_ZH_TW.into(),
                anomaly: DEFAULT_ANOMALY_SUBJECT_ZH_TW.into(),
            },
            subjects_en: Subjects {
                report: DEFAULT_SUBJECT_EN.into(),
                warning: DEFAULT_WARNING_SUBJECT_EN.into(),
                anomaly: DEFAULT_ANOMALY_SUBJECT_EN.into(),
            },
            footer: Footer::default(),
        }
    }

    /// The subject templates of `lang`.
    pub fn subjects(&self, lang: Lang) -> &Subjects {
        match lang {
            Lang::ZhTw => &self.subjects_zh_tw,
            Lang::En => &self.subjects_en,
        }
    }
}

/// `[web]`: the query page (served by `smtplog serve`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebConfig {
    /// The address and port to listen on.
    pub listen: SocketAddr,
    /// The client networks allowed to use the page; empty: nobody.
    pub allowed_networks: Vec<IpNet>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Submissions one client IP may make per hour (refused ones count too).
    pub per_ip_per_hour: u32,
    /// Reports that may be mailed to one address per day.
    pub per_address_per_day: u32,
    /// How long a captcha may be answered, in seconds.
    pub captcha_ttl_secs: u32,
    /// Tests only: every captcha's answer is this text. Refused unless `listen` is a
    /// loopback address; `config check` and the page say it is on.
    pub unsafe_fixed_captcha: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            allowed_networks: Vec::new(),
            trusted_proxies: Vec::new(),
            per_ip_per_hour: 20,
            per_address_per_day: 5,
            captcha_ttl_secs: 600,
            unsafe_fixed_captcha: None,
        }
    }
}

/// The whole configuration, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The database file, if the file names one.
    pub db: Option<PathBuf>,
    /// The zone of the days, if the file names one.
    pub timezone: Option<Tz>,
    /// How to reach the relay.
    pub smtp: SmtpConfig,
    /// The mail's looks; `None` when the file has no `[mail]` (then nothing can be sent).
    pub mail: Option<MailConfig>,
    /// The service's rules.
    pub policy: Policy,
    /// The web page.
    pub web: WebConfig,
    /// How logs are read.
    pub ingest: IngestConfig,
}

/// The `[ingest]` section: how logs are read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestConfig {
    /// Transports (master.cf service names, as logged in `relay=`) that are content
    /// filters: a `sent` delivery to one is a hop, never a record, and the copy that comes
    /// back through `pickup` takes the original's client and SASL user.
    pub filter_transports: Vec<String>,
}

// ---- the file as written -------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    db: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    smtp: Option<RawSmtp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mail: Option<RawMail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<RawPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anomalies: Option<RawAnomalies>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web: Option<RawWeb>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingest: Option<RawIngest>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawAnomalies {
    #[serde(skip_serializing_if = "Option::is_none")]
    min_score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_baseline_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_client_senders: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_client_recipients: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recent_client_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_domain_recipients: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_domain_percent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_percent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_margin_percent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume_factor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sasl_failures: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sasl_failure_ips: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    odd_hour_recipients: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawIngest {
    #[serde(skip_serializing_if = "Option::is_none")]
    filter_transports: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hello_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zip_threshold_bytes: Option<i64>,
    #[serde(rename = "subject_zh_TW", skip_serializing_if = "Option::is_none")]
    subject_zh_tw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_en: Option<String>,
    #[serde(
        rename = "warning_subject_zh_TW",
        skip_serializing_if = "Option::is_none"
    )]
    warning_subject_zh_tw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning_subject_en: Option<String>,
    #[serde(
        rename = "anomaly_subject_zh_TW",
        skip_serializing_if = "Option::is_none"
    )]
    anomaly_subject_zh_tw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anomaly_subject_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_url: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_domains: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_range_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_sum: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_bounced: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_anomalies: Option<bool>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_networks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trusted_proxies: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_ip_per_hour: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_address_per_day: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    captcha_ttl_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unsafe_fixed_captcha: Option<String>,
}

// ---- checks ---------------------------------------------------------------------------

/// A whole number in `min..=max`, or an error naming `key`.
fn ranged(key: &str, v: i64, min: i64, max: i64, what: &str) -> Result<i64, ConfigError> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(invalid(key, format!("{v} is not {what} ({min}-{max})")))
    }
}

/// Refuses control characters (a value that ends up in a header or a page).
fn plain_text(key: &str, s: &str) -> Result<String, ConfigError> {
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(invalid(
            key,
            format!("contains the control character {c:?}"),
        ));
    }
    Ok(s.to_string())
}

fn address(key: &str, s: &str) -> Result<EmailAddress, ConfigError> {
    EmailAddress::parse(s)
        .map_err(|e| invalid(key, format!("{s:?} is not an acceptable address: {e}")))
}

fn link(key: &str, s: &str) -> Result<String, ConfigError> {
    let s = plain_text(key, s)?;
    let lower = s.to_ascii_lowercase();
    if !["http://", "https://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
        || s.contains(char::is_whitespace)
    {
        return Err(invalid(
            key,
            format!("{s:?} is not an http://, https:// or mailto: link without spaces"),
        ));
    }
    Ok(s)
}

/// Checks that a subject template uses only [`SUBJECT_PLACEHOLDERS`].
fn subject(key: &str, s: &str) -> Result<String, ConfigError> {
    let s = plain_text(key, s)?;
    let mut rest = s.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        let after = &rest[open..];
        if after.starts_with('}') {
            return Err(invalid(key, "has a } without its {"));
        }
        let Some(close) = after.find('}') else {
            return Err(invalid(key, "has a { without its }"));
        };
        let name = &after[1..close];
        if !SUBJECT_PLACEHOLDERS.contains(&name) {
            return Err(invalid(
                key,
                format!(
                    "unknown placeholder {{{name}}} (known: {})",
                    SUBJECT_PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(s)
}

/// A CIDR (`140.114.0.0/16`) or a single address (taken as `/32` or `/128`).
pub fn parse_network(s: &str) -> Result<IpNet, String> {
    let net = match s.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => match s.parse::<IpAddr>() {
            Ok(ip) => IpNet::from(ip),
            Err(_) => return Err(format!("{s:?} is not a CIDR such as 140.114.0.0/16")),
        },
    };
    if net.trunc() != net {
        return Err(format!(
            "{s:?} has host bits set (did you mean {}?)",
            net.trunc()
        ));
    }
    Ok(net)
}

fn networks(key: &str, list: &[String]) -> Result<Vec<IpNet>, ConfigError> {
    list.iter()
        .map(|s| parse_network(s).map_err(|e| invalid(key, e)))
        .collect()
}

fn host_name(key: &str, s: &str) -> Result<String, ConfigError> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok || s.parse::<IpAddr>().is_ok() {
        Ok(s.to_string())
    } else {
        Err(invalid(
            key,
            format!("{s:?} is not a host name or IP address"),
        ))
    }
}

impl Config {
    /// The language of automatic warnings, and of texts nobody chose a language for
    /// (`smtplog anomalies` without `--lang`): `mail.lang`, else zh_TW.
    pub fn warning_lang(&self) -> Lang {
        self.mail.as_ref().map(|m| m.lang).unwrap_or_default()
    }

    /// Reads and checks the file at `path`; a relative `db` is taken relative to the
    /// file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty());
        Config::from_toml_str(&text, base).map_err(|e| match e {
            ConfigError::Syntax(msg) => {
                ConfigError::Syntax(format!("{}: {}", path.display(), msg.trim_end()))
            }
            other => other,
        })
    }

    /// Parses and checks TOML text; a relative `db` is joined to `base` when given.
    pub fn from_toml_str(text: &str, base: Option<&Path>) -> Result<Config, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        let mut config = Config::default();
        if let Some(db) = raw.db {
            if db.is_empty() {
                return Err(invalid("db", "is empty"));
            }
            let p = PathBuf::from(db);
            config.db = Some(match base {
                Some(b) if p.is_relative() => b.join(p),
                _ => p,
            });
        }
        if let Some(tz) = raw.timezone {
            config.timezone = Some(tz.parse::<Tz>().map_err(|_| {
                invalid(
                    "timezone",
                    format!("{tz:?} is not an IANA time zone name (such as Asia/Taipei)"),
                )
            })?);
        }
        if let Some(s) = raw.smtp {
            config.smtp = smtp(s, base)?;
        }
        if let Some(m) = raw.mail {
            config.mail = Some(mail(m)?);
        }
        if let Some(p) = raw.policy {
            config.policy = policy(p)?;
        }
        if let Some(a) = raw.anomalies {
            config.policy.anomalies = anomalies(a)?;
        }
        if let Some(w) = raw.web {
            config.web = web(w)?;
        }
        if let Some(i) = raw.ingest {
            config.ingest = ingest(i)?;
        }
        Ok(config)
    }

    /// The `[mail]` section, or an error saying that `why` needs it.
    pub fn mail(&self, why: &'static str) -> Result<&MailConfig, ConfigError> {
        self.mail.as_ref().ok_or(ConfigError::Missing {
            key: "mail.from",
            why,
        })
    }

    /// Things that are allowed but probably not meant.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.policy.allowed_domains.is_empty() {
            out.push(
                "policy.allowed_domains is empty: every address is refused and nobody is warned"
                    .to_string(),
            );
        }
        if self.mail.is_none() {
            out.push("there is no [mail] section: reports cannot be mailed".to_string());
        }
        if self.smtp.password.is_some() && self.smtp.tls == TlsMode::None {
            out.push(
                "smtp.password is set but smtp.tls is \"none\": the password travels in clear text"
                    .to_string(),
            );
        }
        if self.web.unsafe_fixed_captcha.is_some() {
            out.push(
                "web.unsafe_fixed_captcha is set: every captcha has the same answer (tests only)"
                    .to_string(),
            );
        }
        if self.policy.max_range_days > self.policy.retention_days {
            out.push(format!(
                "policy.max_range_days ({}) is longer than policy.retention_days ({})",
                self.policy.max_range_days, self.policy.retention_days
            ));
        }
        out
    }

    /// The effective configuration as TOML: every key with its value or default, the
    /// password shown as `********`.
    pub fn to_toml(&self) -> String {
        let mail = self.mail.as_ref().map(|m| RawMail {
            from: Some(m.from.to_string()),
            from_name: m.from_name.clone(),
            reply_to: m.reply_to.as_ref().map(ToString::to_string),
            lang: Some(m.lang.as_str().to_string()),
            zip_threshold_bytes: Some(m.zip_threshold_bytes as i64),
            subject_zh_tw: Some(m.subjects_zh_tw.report.clone()),
            subject_en: Some(m.subjects_en.report.clone()),
            warning_subject_zh_tw: Some(m.subjects_zh_tw.warning.clone()),
            warning_subject_en: Some(m.subjects_en.warning.clone()),
            anomaly_subject_zh_tw: Some(m.subjects_zh_tw.anomaly.clone()),
            anomaly_subject_en: Some(m.subjects_en.anomaly.clone()),
            service_name: m.footer.service_name.clone(),
            contact_url: m.footer.contact_url.clone(),
            query_url: m.footer.query_url.clone(),
            help_url: m.footer.help_url.clone(),
        });
        let raw = RawConfig {
            db: self.db.as_ref().map(|p| p.display().to_string()),
            timezone: self.timezone.map(|tz| tz.name().to_string()),
            smtp: Some(RawSmtp {
                host: Some(self.smtp.host.clone()),
                port: Some(i64::from(self.smtp.port)),
                tls: Some(self.smtp.tls.as_str().to_string()),
                username: self.smtp.username.clone(),
                password: self.smtp.password.as_ref().map(|_| MASK.to_string()),
                timeout_secs: Some(self.smtp.timeout.as_secs() as i64),
                hello_name: self.smtp.hello_name.clone(),
                ca_file: self.smtp.ca_file.as_ref().map(|p| p.display().to_string()),
            }),
            mail,
            policy: Some(RawPolicy {
                allowed_domains: Some(self.policy.allowed_domains.clone()),
                max_range_days: Some(i64::from(self.policy.max_range_days)),
                retention_days: Some(i64::from(self.policy.retention_days)),
                notify_sum: Some(self.policy.notify_sum as i64),
                notify_bounced: Some(self.policy.notify_bounced as i64),
                notify_anomalies: Some(self.policy.notify_anomalies),
            }),
            anomalies: Some(raw_anomalies(&self.policy.anomalies)),
            web: Some(RawWeb {
                listen: Some(self.web.listen.to_string()),
                allowed_networks: Some(
                    self.web
                        .allowed_networks
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                ),
                trusted_proxies: Some(
                    self.web
                        .trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                ),
                per_ip_per_hour: Some(i64::from(self.web.per_ip_per_hour)),
                per_address_per_day: Some(i64::from(self.web.per_address_per_day)),
                captcha_ttl_secs: Some(i64::from(self.web.captcha_ttl_secs)),
                unsafe_fixed_captcha: self.web.unsafe_fixed_captcha.clone(),
            }),
            ingest: Some(RawIngest {
                filter_transports: Some(self.ingest.filter_transports.clone()),
            }),
        };
        toml::to_string(&raw).unwrap_or_else(|e| format!("# cannot show the configuration: {e}\n"))
    }
}

fn smtp(s: RawSmtp, base: Option<&Path>) -> Result<SmtpConfig, ConfigError> {
    let tls = match s.tls.as_deref() {
        None | Some("none") => TlsMode::None,
        Some("starttls") => TlsMode::StartTls,
        Some("tls") => TlsMode::Tls,
        Some(other) => {
            return Err(invalid(
                "smtp.tls",
                format!("{other:?} is not one of \"none\", \"starttls\", \"tls\""),
            ));
        }
    };
    let port = match s.port {
        Some(p) => ranged("smtp.port", p, 1, 65535, "a port number")? as u16,
        None => tls.default_port(),
    };
    let host = match s.host {
        Some(h) => host_name("smtp.host", &h)?,
        None => SmtpConfig::default().host,
    };
    let timeout = match s.timeout_secs {
        Some(t) => ranged("smtp.timeout_secs", t, 1, 3600, "a number of seconds")? as u64,
        None => DEFAULT_TIMEOUT_SECS,
    };
    let username = s
        .username
        .map(|u| plain_text("smtp.username", &u))
        .transpose()?;
    let password = s
        .password
        .map(|p| plain_text("smtp.password", &p).map(Secret))
        .transpose()?;
    match (&username, &password) {
        (Some(_), None) => {
            return Err(invalid(
                "smtp.password",
                "is needed when smtp.username is set",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "smtp.username",
                "is needed when smtp.password is set",
            ));
        }
        _ => {}
    }
    let hello_name = s
        .hello_name
        .map(|h| host_name("smtp.hello_name", &h))
        .transpose()?;
    let ca_file = match s.ca_file {
        Some(f) if f.is_empty() => return Err(invalid("smtp.ca_file", "is empty")),
        Some(f) => {
            let p = PathBuf::from(f);
            Some(match base {
                Some(b) if p.is_relative() => b.join(p),
                _ => p,
            })
        }
        None => None,
    };
    if ca_file.is_some() && tls == TlsMode::None {
        return Err(invalid(
            "smtp.ca_file",
            "is set but smtp.tls is \"none\": set tls to \"starttls\" or \"tls\"",
        ));
    }
    Ok(SmtpConfig {
        host,
        port,
        tls,
        username,
        password,
        timeout: Duration::from_secs(timeout),
        hello_name,
        ca_file,
    })
}

fn mail(m: RawMail) -> Result<MailConfig, ConfigError> {
    let Some(from) = m.from else {
        return Err(invalid("mail.from", "is required in [mail]"));
    };
    let mut out = MailConfig::new(address("mail.from", &from)?);
    out.from_name = m
        .from_name
        .map(|n| plain_text("mail.from_name", &n))
        .transpose()?;
    out.reply_to = m
        .reply_to
        .map(|r| address("mail.reply_to", &r))
        .transpose()?;
    if let Some(l) = m.lang {
        out.lang = l
            .parse::<Lang>()
            .map_err(|_| invalid("mail.lang", format!("{l:?} is not zh_TW or en")))?;
    }
    if let Some(z) = m.zip_threshold_bytes {
        out.zip_threshold_bytes = ranged(
            "mail.zip_threshold_bytes",
            z,
            0,
            i64::MAX,
            "a size in bytes",
        )? as u64;
    }
    if let Some(s) = m.subject_zh_tw {
        out.subjects_zh_tw.report = subject("mail.subject_zh_TW", &s)?;
    }
    if let Some(s) = m.subject_en {
        out.subjects_en.report = subject("mail.subject_en", &s)?;
    }
    if let Some(s) = m.warning_subject_zh_tw {
        out.subjects_zh_tw.warning = subject("mail.warning_subject_zh_TW", &s)?;
    }
    if let Some(s) = m.warning_subject_en {
        out.subjects_en.warning = subject("mail.warning_subject_en", &s)?;
    }
    if let Some(s) = m.anomaly_subject_zh_tw {
        out.subjects_zh_tw.anomaly = subject("mail.anomaly_subject_zh_TW", &s)?;
    }
    if let Some(s) = m.anomaly_subject_en {
        out.subjects_en.anomaly = subject("mail.anomaly_subject_en", &s)?;
    }
    out.footer = Footer {
        service_name: m
            .service_name
            .map(|s| plain_text("mail.service_name", &s))
            .transpose()?,
        contact_url: m
            .contact_url
            .map(|s| link("mail.contact_url", &s))
            .transpose()?,
        query_url: m
            .query_url
            .map(|s| link("mail.query_url", &s))
            .transpose()?,
        help_url: m.help_url.map(|s| link("mail.help_url", &s)).transpose()?,
    };
    Ok(out)
}

fn policy(p: RawPolicy) -> Result<Policy, ConfigError> {
    let mut out = Policy::default();
    if let Some(domains) = p.allowed_domains {
        out.allowed_domains = domains
            .iter()
            .map(|d| {
                let norm = d.strip_prefix('.').unwrap_or(d).to_ascii_lowercase();
                check_domain(&norm)
                    .map(|()| norm)
                    .map_err(|why| invalid("policy.allowed_domains", format!("{d:?} {why}")))
            })
            .collect::<Result<_, _>>()?;
    }
    let days = |key: &str, v: Option<i64>, default: u32| -> Result<u32, ConfigError> {
        v.map_or(Ok(default), |v| {
            ranged(key, v, 1, 36500, "a number of days").map(|v| v as u32)
        })
    };
    out.max_range_days = days(
        "policy.max_range_days",
        p.max_range_days,
        out.max_range_days,
    )?;
    out.retention_days = days(
        "policy.retention_days",
        p.retention_days,
        out.retention_days,
    )?;
    if let Some(n) = p.notify_sum {
        out.notify_sum = ranged("policy.notify_sum", n, 1, i64::MAX, "a count")? as u64;
    }
    if let Some(n) = p.notify_bounced {
        out.notify_bounced = ranged("policy.notify_bounced", n, 1, i64::MAX, "a count")? as u64;
    }
    if let Some(b) = p.notify_anomalies {
        out.notify_anomalies = b;
    }
    Ok(out)
}

fn anomalies(a: RawAnomalies) -> Result<Thresholds, ConfigError> {
    let mut t = Thresholds::default();
    let count = |key: &str, v: Option<i64>, default: u64| -> Result<u64, ConfigError> {
        v.map_or(Ok(default), |v| {
            ranged(key, v, 1, i64::from(u32::MAX), "a count").map(|v| v as u64)
        })
    };
    let small = |key: &str, v: Option<i64>, default: u32, min: i64, max: i64, what: &str| {
        v.map_or(Ok(default), |v| {
            ranged(key, v, min, max, what).map(|v| v as u32)
        })
    };
    t.min_score = small(
        "anomalies.min_score",
        a.min_score,
        t.min_score,
        1,
        12,
        "a score",
    )?;
    t.min_baseline_days = small(
        "anomalies.min_baseline_days",
        a.min_baseline_days,
        t.min_baseline_days,
        1,
        i64::from(crate::anomaly::BASELINE_DAYS),
        "a number of days",
    )?;
    t.shared_client_senders = small(
        "anomalies.shared_client_senders",
        a.shared_client_senders,
        t.shared_client_senders,
        2,
        i64::from(u32::MAX),
        "a number of senders",
    )?;
    t.new_client_recipients = count(
        "anomalies.new_client_recipients",
        a.new_client_recipients,
        t.new_client_recipients,
    )?;
    t.recent_client_days = small(
        "anomalies.recent_client_days",
        a.recent_client_days,
        t.recent_client_days,
        0,
        i64::from(crate::anomaly::BASELINE_DAYS) - 1,
        "a number of days",
    )?;
    t.new_domain_recipients = count(
        "anomalies.new_domain_recipients",
        a.new_domain_recipients,
        t.new_domain_recipients,
    )?;
    t.new_domain_percent = small(
        "anomalies.new_domain_percent",
        a.new_domain_percent,
        t.new_domain_percent,
        0,
        100,
        "a percentage",
    )?;
    t.failure_count = count("anomalies.failure_count", a.failure_count, t.failure_count)?;
    t.failure_percent = small(
        "anomalies.failure_percent",
        a.failure_percent,
        t.failure_percent,
        0,
        100,
        "a percentage",
    )?;
    t.failure_margin_percent = small(
        "anomalies.failure_margin_percent",
        a.failure_margin_percent,
        t.failure_margin_percent,
        0,
        100,
        "a percentage",
    )?;
    t.volume_factor = small(
        "anomalies.volume_factor",
        a.volume_factor,
        t.volume_factor,
        1,
        1000,
        "a factor",
    )?;
    t.volume_min = count("anomalies.volume_min", a.volume_min, t.volume_min)?;
    t.sasl_failures = count("anomalies.sasl_failures", a.sasl_failures, t.sasl_failures)?;
    t.sasl_failure_ips = small(
        "anomalies.sasl_failure_ips",
        a.sasl_failure_ips,
        t.sasl_failure_ips,
        1,
        i64::from(u32::MAX),
        "a number of IP addresses",
    )?;
    t.odd_hour_recipients = count(
        "anomalies.odd_hour_recipients",
        a.odd_hour_recipients,
        t.odd_hour_recipients,
    )?;
    Ok(t)
}

fn raw_anomalies(t: &Thresholds) -> RawAnomalies {
    RawAnomalies {
        min_score: Some(i64::from(t.min_score)),
        min_baseline_days: Some(i64::from(t.min_baseline_days)),
        shared_client_senders: Some(i64::from(t.shared_client_senders)),
        new_client_recipients: Some(t.new_client_recipients as i64),
        recent_client_days: Some(i64::from(t.recent_client_days)),
        new_domain_recipients: Some(t.new_domain_recipients as i64),
        new_domain_percent: Some(i64::from(t.new_domain_percent)),
        failure_count: Some(t.failure_count as i64),
        failure_percent: Some(i64::from(t.failure_percent)),
        failure_margin_percent: Some(i64::from(t.failure_margin_percent)),
        volume_factor: Some(i64::from(t.volume_factor)),
        volume_min: Some(t.volume_min as i64),
        sasl_failures: Some(t.sasl_failures as i64),
        sasl_failure_ips: Some(i64::from(t.sasl_failure_ips)),
        odd_hour_recipients: Some(t.odd_hour_recipients as i64),
    }
}

fn ingest(i: RawIngest) -> Result<IngestConfig, ConfigError> {
    let mut out = IngestConfig::default();
    for name in i.filter_transports.unwrap_or_default() {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(invalid(
                "ingest.filter_transports",
                format!("{name:?} is not a transport name (letters, digits, '-', '_', '.')"),
            ));
        }
        if !out.filter_transports.contains(&name) {
            out.filter_transports.push(name);
        }
    }
    Ok(out)
}

fn web(w: RawWeb) -> Result<WebConfig, ConfigError> {
    let mut out = WebConfig::default();
    if let Some(l) = w.listen {
        out.listen = l.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "web.listen",
                format!("{l:?} is not ADDRESS:PORT (such as 127.0.0.1:8080 or [::1]:8080)"),
            )
        })?;
    }
    if let Some(n) = w.allowed_networks {
        out.allowed_networks = networks("web.allowed_networks", &n)?;
    }
    if let Some(n) = w.trusted_proxies {
        out.trusted_proxies = networks("web.trusted_proxies", &n)?;
    }
    if let Some(n) = w.per_ip_per_hour {
        out.per_ip_per_hour = ranged(
            "web.per_ip_per_hour",
            n,
            1,
            100_000,
            "a number of submissions",
        )? as u32;
    }
    if let Some(n) = w.per_address_per_day {
        out.per_address_per_day = ranged(
            "web.per_address_per_day",
            n,
            1,
            10_000,
            "a number of reports",
        )? as u32;
    }
    if let Some(n) = w.captcha_ttl_secs {
        out.captcha_ttl_secs =
            ranged("web.captcha_ttl_secs", n, 30, 86_400, "a number of seconds")? as u32;
    }
    if let Some(text) = w.unsafe_fixed_captcha {
        if text.trim().is_empty() {
            return Err(invalid("web.unsafe_fixed_captcha", "is empty".to_string()));
        }
        if !out.listen.ip().is_loopback() {
            return Err(invalid(
                "web.unsafe_fixed_captcha",
                format!(
                    "is for tests only and refused while web.listen ({}) is not a loopback address",
                    out.listen
                ),
            ));
        }
        out.unsafe_fixed_captcha = Some(text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::from_toml_str(text, None).unwrap_err().to_string()
    }

    #[test]
    fn an_empty_file_gives_the_documented_defaults() {
        let c = Config::from_toml_str("", None).unwrap();
        assert_eq!(c.policy, Policy::default());
        assert_eq!(c.policy.max_range_days, 31);
        assert_eq!(c.policy.retention_days, 31);
        assert_eq!(c.policy.notify_sum, 250);
        assert_eq!(c.policy.notify_bounced, 10);
        assert_eq!(c.smtp, SmtpConfig::default());
        assert!(c.mail.is_none());
        assert_eq!(c.web.listen.to_string(), DEFAULT_LISTEN);
        assert!(c.ingest.filter_transports.is_empty());
        assert_eq!(
            (
                c.web.per_ip_per_hour,
                c.web.per_address_per_day,
                c.web.captcha_ttl_secs
            ),
            (20, 5, 600)
        );
        assert!(c.web.unsafe_fixed_captcha.is_none());
    }

    #[test]
    fn the_fixed_captcha_is_allowed_on_loopback_only_and_announced() {
        let c = Config::from_toml_str(
            "[web]\nlisten = \"[::1]:8081\"\nunsafe_fixed_captcha = \"test\"",
            None,
        )
        .unwrap();
        assert_eq!(c.web.unsafe_fixed_captcha.as_deref(), Some("test"));
        assert!(
            c.warnings()
                .iter()
                .any(|w| w.contains("unsafe_fixed_captcha"))
        );
        assert!(c.to_toml().contains("unsafe_fixed_captcha = \"test\""));
        // The check is against listen whichever order the keys come in.
        let err = err("[web]\nunsafe_fixed_captcha = \"test\"\nlisten = \"192.0.2.1:80\"");
        assert!(err.contains("web.unsafe_fixed_captcha"), "{err}");
    }

    #[test]
    fn filter_transports_are_kept_once_each_in_order() {
        let c = Config::from_toml_str(
            "[ingest]\nfilter_transports = [\"pfilter\", \"amavis-in\", \"pfilter\"]",
            None,
        )
        .unwrap();
        assert_eq!(c.ingest.filter_transports, ["pfilter", "amavis-in"]);
        let back = Config::from_toml_str(&c.to_toml(), None).unwrap();
        assert_eq!(back.ingest, c.ingest);
    }

    #[test]
    fn every_bad_value_names_its_key() {
        for (text, key) in [
            ("timezone = \"Mars/Olympus\"", "timezone"),
            ("[smtp]\nport = 70000", "smtp.port"),
            ("[smtp]\nport = 0", "smtp.port"),
            ("[smtp]\ntls = \"ssl\"", "smtp.tls"),
            ("[smtp]\ntimeout_secs = 0", "smtp.timeout_secs"),
            ("[smtp]\nusername = \"u\"", "smtp.password"),
            ("[smtp]\nhost = \"a b\"", "smtp.host"),
            ("[mail]\nfrom_name = \"x\"", "mail.from"),
            ("[mail]\nfrom = \"a@b.c\\r\\nBcc: d@e.f\"", "mail.from"),
            (
                "[mail]\nfrom = \"a@b.org\"\nreply_to = \"nobody\"",
                "mail.reply_to",
            ),
            ("[mail]\nfrom = \"a@b.org\"\nlang = \"fr\"", "mail.lang"),
            (
                "[mail]\nfrom = \"a@b.org\"\nsubject_en = \"{begin} {nope}\"",
                "mail.subject_en",
            ),
            (
                "[mail]\nfrom = \"a@b.org\"\nsubject_zh_TW = \"x\\ny\"",
                "mail.subject_zh_TW",
            ),
            (
                "[mail]\nfrom = \"a@b.org\"\ncontact_url = \"javascript:alert(1)\"",
                "mail.contact_url",
            ),
            (
                "[policy]\nallowed_domains = [\"nthu..edu.tw\"]",
                "policy.allowed_domains",
            ),
            ("[policy]\nmax_range_days = 0", "policy.max_range_days"),
            ("[policy]\nnotify_sum = -1", "policy.notify_sum"),
            ("[policy]\nnotify_anomalies = 1", "notify_anomalies"),
            ("[anomalies]\nmin_score = 0", "anomalies.min_score"),
            (
                "[anomalies]\nfailure_percent = 101",
                "anomalies.failure_percent",
            ),
            ("[anomalies]\nvolume_min = -3", "anomalies.volume_min"),
            (
                "[anomalies]\nmin_baseline_days = 31",
                "anomalies.min_baseline_days",
            ),
            (
                "[anomalies]\nsasl_failure_ips = 0",
                "anomalies.sasl_failure_ips",
            ),
            ("[anomalies]\nvolume_factr = 3", "volume_factr"),
            ("[web]\nlisten = \"8080\"", "web.listen"),
            (
                "[web]\nallowed_networks = [\"140.114.0.0/33\"]",
                "web.allowed_networks",
            ),
            (
                "[web]\ntrusted_proxies = [\"10.0.0.1/8\"]",
                "web.trusted_proxies",
            ),
            (
                "[ingest]\nfilter_transports = [\"\"]",
                "ingest.filter_transports",
            ),
            ("[web]\nper_ip_per_hour = 0", "web.per_ip_per_hour"),
            ("[web]\nper_address_per_day = -1", "web.per_address_per_day"),
            ("[web]\ncaptcha_ttl_secs = 5", "web.captcha_ttl_secs"),
            (
                "[web]\nlisten = \"0.0.0.0:8080\"\nunsafe_fixed_captcha = \"abc\"",
                "web.unsafe_fixed_captcha",
            ),
            (
                "[web]\nunsafe_fixed_captcha = \" \"",
                "web.unsafe_fixed_captcha",
            ),
            (
                "[ingest]\nfilter_transports = [\"a;b\"]",
                "ingest.filter_transports",
            ),
        ] {
            let msg = err(text);
            assert!(msg.contains(key), "{text:?} gave {msg:?}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(err("notify_sum = 3").contains("notify_sum"));
        assert!(err("[policy]\nnotify_summ = 3").contains("notify_summ"));
        assert!(err("[smtp]\nhots = \"x\"").contains("hots"));
        assert!(err("[nope]\n").contains("nope"));
    }

    #[test]
    fn the_effective_configuration_masks_the_password_and_reads_back() {
        let text = r#"
            db = "data/smtplog.db"
            timezone = "Asia/Taipei"
            [smtp]
            host = "mail.example.edu"
            tls = "starttls"
            username = "smtplog"
            password = "hunter2"
            [mail]
            from = "smtplog@example.edu"
            from_name = "寄信紀錄查詢系統"
            subject_zh_TW = "查詢 {email} {begin}-{end}"
            contact_url = "https://example.edu/contact"
            [policy]
            allowed_domains = [".Example.EDU"]
            [web]
            allowed_networks = ["140.114.0.0/16", "2001:db8::/32", "192.0.2.7"]
        "#;
        let c = Config::from_toml_str(text, Some(Path::new("/etc/smtplog"))).unwrap();
        assert_eq!(c.db, Some(PathBuf::from("/etc/smtplog/data/smtplog.db")));
        assert_eq!(c.smtp.port, 587);
        assert_eq!(c.policy.allowed_domains, vec!["example.edu".to_string()]);
        assert_eq!(c.web.allowed_networks[2].to_string(), "192.0.2.7/32");
        assert_eq!(format!("{:?}", c.smtp.password), "Some(********)");
        let shown = c.to_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password = \"********\""), "{shown}");
        assert!(shown.contains("notify_sum = 250"), "{shown}");
        let back = Config::from_toml_str(&shown, None).unwrap();
        assert_eq!(back.mail, c.mail);
        assert_eq!(back.policy, c.policy);
        assert_eq!(back.web, c.web);
    }
}
