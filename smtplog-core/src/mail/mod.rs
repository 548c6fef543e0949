//! Mail: a report as a message to its owner, and the SMTP client that delivers it.
//!
//! [`compose`] turns a [`Report`](crate::report::Report) into an [`Outgoing`] message
//! addressed to the queried address and to nobody else: `To:` and the envelope's single
//! `RCPT TO` are that address, there is no `Cc` or `Bcc`, and no recipient is taken from
//! anything else. `From`, the reply policy, subjects and footer come from
//! [`MailConfig`](crate::config::MailConfig); the caller passes "now" and a host name for
//! `Date` and `Message-ID` (the core reads no clock). Every message carries
//! `Auto-Submitted: auto-generated`. A report whose text form is under
//! `zip_threshold_bytes` goes inline as `multipart/alternative` (text and HTML); a larger
//! one as a short text plus `report.zip` holding `report.txt`, `report.html` and
//! `report.csv` ([`archive`]), all made by the renderers of [`crate::report`].
//!
//! A report asked for by a sender goes through `prepare_report` (with the `store` feature), which applies the whole
//! policy (address, domain, range, retention) before anything is built; [`compose`] itself
//! takes only a [`Recipient`](crate::policy::Recipient), which only the policy makes.
//!
//! Nothing from a log line or a user reaches a header unencoded: the recipient passed the
//! strict [`EmailAddress`](crate::policy::EmailAddress) check, subjects are templates from
//! the configuration filled with checked values, and lettre encodes every header value
//! (RFC 2047) and body (quoted-printable or base64).
//!
//! [`send`] delivers an [`Outgoing`] through the configured relay (lettre's SMTP
//! transport: plain, STARTTLS or TLS, optional credentials, a timeout) behind the
//! [`Deliver`] trait, so that `notify` can be tested without a network.

mod anomaly_note;
pub mod archive;
mod compose;
#[cfg(feature = "store")]
mod request;
pub mod send;

pub use anomaly_note::anomaly_preface;
pub use compose::{Kind, MailContext, Outgoing, compose, compose_with_preface, subject};
#[cfg(feature = "store")]
pub use request::{Prepared, ReportRequest, RequestError, prepare_report};
pub use send::{Deliver, SendError, SmtpDeliverer};

/// Errors of composing a mail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// A renderer failed (writing to memory fails only when out of memory).
    #[error("cannot render the report: {0}")]
    Render(#[from] std::io::Error),
    /// The ZIP attachment could not be written.
    #[error("cannot build report.zip: {0}")]
    Zip(String),
    /// lettre refused an address (it checks again after the strict check).
    #[error("address refused by the mail builder: {0}")]
    Address(String),
    /// lettre could not build the message.
    #[error("cannot build the message: {0}")]
    Build(String),
    /// The recipient is not the address the report is about.
    #[error("the recipient {to} is not the report's address {email}")]
    NotTheOwner {
        /// The recipient asked for.
        to: String,
        /// The report's queried address.
        email: String,
    },
}
