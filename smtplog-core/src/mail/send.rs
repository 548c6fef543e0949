//! Delivery: an [`Outgoing`] mail through the configured SMTP relay.
//!
//! [`SmtpDeliverer`] wraps lettre's blocking SMTP transport, set up from
//! [`SmtpConfig`]: plain, STARTTLS (required, never silently skipped) or TLS from the
//! first byte (rustls with the web PKI roots), optional credentials, one timeout for each
//! step, a connection per mail. Errors say which relay and what happened in words an
//! administrator can act on ([`SendError`]); text the relay sent is shown with its control
//! characters replaced.

use lettre::Transport;
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::Outgoing;
use crate::config::{SmtpConfig, TlsMode};
use crate::report::text::clean;

/// Why a mail was not delivered to the relay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No connection could be made (down, wrong host or port, firewall).
    #[error("cannot connect to the SMTP relay {relay}: {reason}")]
    Unreachable {
        /// `host:port`.
        relay: String,
        /// What the system said.
        reason: String,
    },
    /// The relay did not answer in time.
    #[error("the SMTP relay {relay} did not answer within {secs} s")]
    Timeout {
        /// `host:port`.
        relay: String,
        /// The configured timeout.
        secs: u64,
    },
    /// TLS could not be set up (no STARTTLS offered, bad certificate, ...).
    #[error("TLS with the SMTP relay {relay} failed: {reason}")]
    Tls {
        /// `host:port`.
        relay: String,
        /// What went wrong.
        reason: String,
    },
    /// The relay answered with an error code.
    #[error("the SMTP relay {relay} refused the mail ({kind} {code}): {reason}")]
    Refused {
        /// `host:port`.
        relay: String,
        /// `permanent` (5xx) or `temporary` (4xx).
        kind: &'static str,
        /// The reply code.
        code: String,
        /// The relay's words.
        reason: String,
    },
    /// Anything else the SMTP client reported.
    #[error("sending through the SMTP relay {relay} failed: {reason}")]
    Other {
        /// `host:port`.
        relay: String,
        /// What went wrong.
        reason: String,
    },
}

/// Something that delivers composed mail: the SMTP relay, or a test double.
pub trait Deliver {
    /// Delivers `mail` to its envelope's recipient; `Ok` once the relay has accepted it.
    fn deliver(&mut self, mail: &Outgoing) -> Result<(), SendError>;
}

/// Delivery through the configured SMTP relay.
pub struct SmtpDeliverer {
    transport: SmtpTransport,
    relay: String,
    timeout_secs: u64,
}

impl std::fmt::Debug for SmtpDeliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpDeliverer")
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

impl SmtpDeliverer {
    /// Sets up delivery through `config`'s relay, greeting it as `hello_name` (the
    /// configured `hello_name` wins). Nothing is connected until the first mail.
    pub fn new(config: &SmtpConfig, hello_name: &str) -> Result<SmtpDeliverer, SendError> {
        let relay = format!("{}:{}", config.host, config.port);
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls | TlsMode::Tls => {
                let tls_error = |reason: String| SendError::Tls {
                    relay: relay.clone(),
                    reason,
                };
                let mut builder = TlsParameters::builder(config.host.clone());
                if let Some(path) = &config.ca_file {
                    let pem = std::fs::read(path).map_err(|e| {
                        tls_error(format!("cannot read smtp.ca_file {}: {e}", path.display()))
                    })?;
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| tls_error(format!("smtp.ca_file {}: {e}", path.display())))?;
                    builder = builder.add_root_certificate(cert);
                }
                let params = builder.build().map_err(|e| tls_error(e.to_string()))?;
                if config.tls == TlsMode::StartTls {
                    Tls::Required(params)
                } else {
                    Tls::Wrapper(params)
                }
            }
        };
        let name = config.hello_name.as_deref().unwrap_or(hello_name);
        let mut builder = SmtpTransport::builder_dangerous(config.host.clone())
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .hello_name(ClientId::Domain(name.to_string()));
        if let (Some(user), Some(pass)) = (&config.username, &config.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
        }
        Ok(SmtpDeliverer {
            transport: builder.build(),
            relay,
            timeout_secs: config.timeout.as_secs(),
        })
    }

    /// The relay as `host:port`.
    pub fn relay(&self) -> &str {
        &self.relay
    }

    fn error(&self, e: lettre::transport::smtp::Error) -> SendError {
        let relay = self.relay.clone();
        if e.is_timeout() || timed_out(&e) {
            return SendError::Timeout {
                relay,
                secs: self.timeout_secs,
            };
        }
        let whole = e.to_string();
        // lettre's words are "<kind>: <cause>"; the variants below say the kind already.
        let cause = std::error::Error::source(&e).map_or_else(|| whole.clone(), |c| c.to_string());
        let reason = clean(&cause).into_owned();
        if let Some(code) = e.status() {
            return SendError::Refused {
                relay,
                kind: if e.is_permanent() {
                    "permanent"
                } else {
                    "temporary"
                },
                code: code.to_string(),
                reason,
            };
        }
        if e.is_tls() {
            return SendError::Tls { relay, reason };
        }
        // lettre tells a failed connect from a later network error only in its words.
        if whole.starts_with("Connection error") {
            return SendError::Unreachable { relay, reason };
        }
        SendError::Other { relay, reason }
    }
}

/// True when an I/O error under `e` is a socket timeout: `TimedOut`, or `WouldBlock`, which
/// is what a read timeout (`SO_RCVTIMEO`) gives on Unix.
fn timed_out(e: &lettre::transport::smtp::Error) -> bool {
    let mut cur = std::error::Error::source(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            );
        }
        cur = err.source();
    }
    false
}

impl Deliver for SmtpDeliverer {
    fn deliver(&mut self, mail: &Outgoing) -> Result<(), SendError> {
        self.transport
            .send_raw(mail.envelope(), &mail.formatted())
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}
