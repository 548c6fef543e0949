//! Composition: one report, one message, one recipient (see the module above).

use std::fmt::Write as _;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::address::{Address, Envelope};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::MailError;
use super::archive::{self, CSV_NAME, HTML_NAME, Rendered, TEXT_NAME, ZIP_NAME};
use crate::config::MailConfig;
use crate::policy::{EmailAddress, Recipient};
use crate::record::Status;
use crate::report::text::DATE_FORMAT;
use crate::report::{Lang, Report, status_label};

/// What a mail is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// A report someone asked for (the web page, an administrator).
    Report,
    /// An automatic warning about one day (client IP `127.0.0.1`).
    Warning,
    /// An automatic warning about one day whose sending showed signs of a stolen
    /// account: the mail opens with what was unusual (a preface), then the day's report.
    AnomalyWarning,
}

/// What the caller supplies because the core reads no clock and no host name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailContext {
    /// Now: the `Date` header and part of the `Message-ID`.
    pub now: DateTime<Utc>,
    /// This host's name: the right side of the `Message-ID`. An unusable name (empty,
    /// or not a host name) is replaced by the sender's domain.
    pub host: String,
}

/// A composed mail, ready to send or to print.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The only recipient.
    pub to: EmailAddress,
    /// The envelope sender and `From`.
    pub from: EmailAddress,
    /// The subject (before encoding).
    pub subject: String,
    /// The `Message-ID`, with its angle brackets.
    pub message_id: String,
    /// True when the report went as `report.zip`.
    pub zipped: bool,
    /// How many bytes the text form of the report has (what the threshold is compared with).
    pub text_len: usize,
    message: Message,
    envelope: Envelope,
}

impl Outgoing {
    /// The message as sent (RFC 5322, CRLF line ends).
    pub fn formatted(&self) -> Vec<u8> {
        self.message.formatted()
    }

    /// The SMTP envelope: `MAIL FROM` the sender, one `RCPT TO`, the recipient.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
}

/// The subject of a mail of `kind` about `report`, from the configured template of the
/// report's language: `{email}`, `{begin}`, `{end}`, `{day}` (the first day), `{sum}` and
/// `{bounced}` (of the whole range) are filled in.
pub fn subject(report: &Report, kind: Kind, config: &MailConfig) -> String {
    let h = &report.header;
    let subjects = config.subjects(h.lang);
    let template = match kind {
        Kind::Report => &subjects.report,
        Kind::Warning => &subjects.warning,
        Kind::AnomalyWarning => &subjects.anomaly,
    };
    let begin = h.begin.format("%Y-%m-%d").to_string();
    template
        .replace("{email}", &h.email)
        .replace("{begin}", &begin)
        .replace("{end}", &h.end.format("%Y-%m-%d").to_string())
        .replace("{day}", &begin)
        .replace("{sum}", &report.daily.total.sum().to_string())
        .replace(
            "{bounced}",
            &report.daily.total.get(Status::Bounced).to_string(),
        )
}

/// Composes the mail of `report` to `to`, which must be the report's queried address
/// (compared without regard to case) and has passed the policy (a [`Recipient`]).
pub fn compose(
    report: &Report,
    to: &Recipient,
    kind: Kind,
    config: &MailConfig,
    ctx: &MailContext,
) -> Result<Outgoing, MailError> {
    compose_with_preface(report, to, kind, config, ctx, None)
}

/// As [`compose`], with `preface` (plain text, such as [`super::anomaly_preface`]) as
/// the mail's first part, before the report (inline or zipped).
pub fn compose_with_preface(
    report: &Report,
    to: &Recipient,
    kind: Kind,
    config: &MailConfig,
    ctx: &MailContext,
    preface: Option<&str>,
) -> Result<Outgoing, MailError> {
    if !to.to_string().eq_ignore_ascii_case(&report.header.email) {
        return Err(MailError::NotTheOwner {
            to: to.to_string(),
            email: report.header.email.clone(),
        });
    }
    let to = to.address();
    let to_addr = lettre_address(to)?;
    let from_addr = lettre_address(&config.from)?;
    let envelope = Envelope::new(Some(from_addr.clone()), vec![to_addr.clone()])
        .map_err(|e| MailError::Address(e.to_string()))?;
    let subject = subject(report, kind, config);
    let message_id = message_id(to, report, kind, config, ctx);

    let mut builder = Message::builder()
        .from(Mailbox::new(config.from_name.clone(), from_addr))
        .to(Mailbox::new(None, to_addr))
        .subject(subject.clone())
        .date(SystemTime::from(ctx.now))
        .message_id(Some(message_id.clone()))
        .envelope(envelope.clone())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ))
        // Asks Exchange and friends not to answer with out-of-office notes.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
            "All".into(),
        ));
    if let Some(reply_to) = &config.reply_to {
        builder = builder.reply_to(Mailbox::new(None, lettre_address(reply_to)?));
    }

    let rendered = Rendered::new(report, &config.footer)?;
    let text_len = rendered.text.len();
    let zipped = text_len as u64 >= config.zip_threshold_bytes;
    let body = if zipped {
        let zip = archive::build(report, &rendered)?;
        MultiPart::mixed()
            .singlepart(SinglePart::plain(zip_note(report, kind, config)))
            .singlepart(
                Attachment::new(ZIP_NAME.to_string()).body(
                    zip,
                    ContentType::parse("application/zip")
                        .map_err(|e| MailError::Build(e.to_string()))?,
                ),
            )
    } else {
        let text = String::from_utf8_lossy(&rendered.text).into_owned();
        let html = String::from_utf8_lossy(&rendered.html).into_owned();
        MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html))
    };
    let body = match preface {
        Some(p) => MultiPart::mixed()
            .singlepart(SinglePart::plain(p.to_string()))
            .multipart(body),
        None => body,
    };
    let message = builder
        .multipart(body)
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(Outgoing {
        to: to.clone(),
        from: config.from.clone(),
        subject,
        message_id,
        zipped,
        text_len,
        message,
        envelope,
    })
}

fn lettre_address(a: &EmailAddress) -> Result<Address, MailError> {
    Address::new(a.local(), a.domain()).map_err(|e| MailError::Address(format!("{a}: {e}")))
}

/// `<YYYYmmddHHMMSS.mmm.HASH@host>`: the time, and a hash of who, what and when, so two
/// mails differ unless they are the same mail made at the same millisecond.
fn message_id(
    to: &EmailAddress,
    report: &Report,
    kind: Kind,
    config: &MailConfig,
    ctx: &MailContext,
) -> String {
    let h = &report.header;
    let key = format!(
        "{to}\n{}\n{}\n{kind:?}\n{}\n{}",
        h.begin,
        h.end,
        h.client_ip,
        ctx.now.timestamp_nanos_opt().unwrap_or_default()
    );
    // FNV-1a: stable across builds (unlike std's hasher), enough to tell mails apart.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let host = if usable_host(&ctx.host) {
        ctx.host.to_ascii_lowercase()
    } else {
        config.from.domain().to_string()
    };
    format!(
        "<{}.{hash:016x}.smtplog@{host}>",
        ctx.now.format("%Y%m%d%H%M%S%.3f")
    )
}

fn usable_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The text part of a zipped report: who and which days, why it is zipped, the totals
/// and the footer.
fn zip_note(report: &Report, kind: Kind, config: &MailConfig) -> String {
    let h = &report.header;
    let lang = h.lang;
    let (b, e) = (h.begin.format(DATE_FORMAT), h.end.format(DATE_FORMAT));
    let mut s = String::new();
    let _ = match lang {
        Lang::ZhTw => writeln!(
            s,
            "查詢信箱(Email)：{}\n時間範圍(Date)：{b} 至 {e} 的寄信紀錄\n查詢來源(Client IP)：{}\n",
            h.email, h.client_ip
        ),
        Lang::En => writeln!(
            s,
            "Email: {}\nDate: {b} to {e}\nClient IP: {}\n",
            h.email, h.client_ip
        ),
    };
    if kind == Kind::Warning {
        let _ = match lang {
            Lang::ZhTw => writeln!(
                s,
                "此信為自動通知：您這一天的寄信紀錄總和或退信數達到提醒門檻，請自行判斷是否為正常寄信行為。\n\
                 This is an automatic warning: your sending on this day reached a threshold; please check that it was you.\n"
            ),
            Lang::En => writeln!(
                s,
                "This is an automatic warning: your sending on this day reached a threshold; please check that it was you.\n"
            ),
        };
    }
    let _ = match lang {
        Lang::ZhTw => writeln!(
            s,
            "寄信紀錄較多，已打包成 ZIP 壓縮檔附件 {ZIP_NAME}，內含 {TEXT_NAME}（純文字）、{HTML_NAME}（網頁）與 {CSV_NAME}（試算表）。\n\
             The report is large, so it is attached as {ZIP_NAME} holding {TEXT_NAME} (text), {HTML_NAME} (web page) and {CSV_NAME} (spreadsheet).\n"
        ),
        Lang::En => writeln!(
            s,
            "The report is large, so it is attached as {ZIP_NAME} holding {TEXT_NAME} (text), {HTML_NAME} (web page) and {CSV_NAME} (spreadsheet).\n"
        ),
    };
    let total = &report.daily.total;
    let sum_label = match lang {
        Lang::ZhTw => "總和 Sum",
        Lang::En => "Sum",
    };
    let mut counts = format!("{sum_label} {}", total.sum());
    for st in Status::ALL {
        let _ = write!(counts, ", {} {}", status_label(st, lang), total.get(st));
    }
    let _ = match lang {
        Lang::ZhTw => writeln!(s, "總計 Total：{counts}\n"),
        Lang::En => writeln!(s, "Total: {counts}\n"),
    };
    for line in config.footer.lines(lang) {
        let _ = match &line.link {
            Some(link) => writeln!(s, "{}<{link}>{}", line.text, line.after),
            None => writeln!(s, "{}", line.text),
        };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Footer, Header};
    use chrono::NaiveDate;

    fn report(email: &str, response: &str, rows: usize, lang: Lang) -> Report {
        let zone: chrono_tz::Tz = "Asia/Taipei".parse().unwrap();
        let time: DateTime<Utc> = "2024-03-01T02:00:00Z".parse().unwrap();
        let header = Header {
            email: email.into(),
            begin: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
            client_ip: "127.0.0.1".into(),
            lang,
            zone,
            generated: "2024-03-03T00:00:00Z".parse().unwrap(),
        };
        let records = (0..rows).map(|i| crate::record::Record {
            time,
            smtp_relay: "relay1".into(),
            instance: "postfix".into(),
            queue_id: format!("ABC{i}"),
            sender: Some(email.to_ascii_lowercase()),
            sender_ip: Some("192.0.2.1".into()),
            sasl_user: None,
            recipient: Some("to@example.org".into()),
            orig_recipient: None,
            status: Status::Bounced,
            dsn: Some("5.1.1".into()),
            relay: Some("mx.example.org[192.0.2.9]:25".into()),
            delay: Some(1.0),
            response: Some(response.into()),
            message_id: None,
            orphan: false,
        });
        Report::new(header, records)
    }

    fn config() -> MailConfig {
        let mut c = MailConfig::new(EmailAddress::parse("smtplog@example.edu").unwrap());
        c.from_name = Some("寄信紀錄查詢系統".into());
        c.footer = Footer {
            contact_url: Some("https://example.edu/contact".into()),
            ..Footer::default()
        };
        c
    }

    fn ctx() -> MailContext {
        MailContext {
            now: "2024-03-03T01:02:03.456Z".parse().unwrap(),
            host: "log1.example.edu".into(),
        }
    }

    /// `address` as a recipient of a policy that allows example.edu.
    fn recipient(address: &str) -> Recipient {
        let policy = crate::policy::Policy {
            allowed_domains: vec!["example.edu".into()],
            ..crate::policy::Policy::default()
        };
        policy.check_address(address).unwrap()
    }

    fn headers(raw: &[u8]) -> String {
        let text = String::from_utf8_lossy(raw);
        text.split("\r\n\r\n").next().unwrap().to_string()
    }

    #[test]
    fn only_the_owner_is_addressed_and_the_mail_is_marked_automatic() {
        let to = recipient("Alice@Example.edu");
        let r = report("alice@example.edu", "250 ok", 2, Lang::En);
        let out = compose(&r, &to, Kind::Report, &config(), &ctx()).unwrap();
        let raw = out.formatted();
        let head = headers(&raw);
        assert!(head.contains("To: Alice@example.edu\r\n"), "{head}");
        assert!(
            head.contains("Auto-Submitted: auto-generated\r\n"),
            "{head}"
        );
        assert!(head.contains("Date: Sun, 03 Mar 2024 01:02:03"), "{head}");
        assert!(head.contains("Message-ID: <20240303010203.456."), "{head}");
        assert!(head.contains("smtplog@log1.example.edu>"), "{head}");
        assert!(head.contains("Subject: SMTP log report: 2024-03-01 to 2024-03-02"));
        for h in ["Cc:", "Bcc:", "Reply-To:"] {
            assert!(!head.contains(h), "{head}");
        }
        assert_eq!(out.envelope().to().len(), 1);
        assert_eq!(out.envelope().to()[0].to_string(), "Alice@example.edu");
        assert_eq!(
            out.envelope().from().map(ToString::to_string).as_deref(),
            Some("smtplog@example.edu")
        );
        assert!(!out.zipped);
        assert!(head.contains("multipart/alternative"), "{head}");

        let other = recipient("bob@example.edu");
        assert!(matches!(
            compose(&r, &other, Kind::Report, &config(), &ctx()),
            Err(MailError::NotTheOwner { .. })
        ));
    }

    #[test]
    fn hostile_responses_stay_in_the_body() {
        let to = recipient("alice@example.edu");
        let hostile = "550 no\r\nBcc: evil@example.org\r\nSubject: pwned\r\n\r\nbody";
        let r = report("alice@example.edu", hostile, 3, Lang::ZhTw);
        let out = compose(&r, &to, Kind::Warning, &config(), &ctx()).unwrap();
        let raw = out.formatted();
        let head = headers(&raw);
        assert!(!head.contains("evil@example.org"), "{head}");
        assert!(!head.contains("pwned"), "{head}");
        // The body keeps its lines (HTML lets CR LF through as white space), but the
        // message still has its two parts and nothing else.
        let text = String::from_utf8_lossy(&raw);
        let boundary = head
            .split("boundary=\"")
            .nth(1)
            .and_then(|b| b.split('"').next())
            .unwrap();
        let delimiters = text
            .split("\r\n")
            .filter(|l| l.starts_with(&format!("--{boundary}")))
            .count();
        assert_eq!(delimiters, 3, "two parts and the closing delimiter");
        // The subject is non-ASCII: encoded, and names the warning and the day.
        assert!(head.contains("Subject: =?utf-8?"), "{head}");
        assert!(out.subject.contains("Automatic warning"));
        assert!(out.subject.contains("2024-03-01"));
        assert!(out.subject.contains("退信 Bounced 3"));
    }

    #[test]
    fn reports_at_the_threshold_are_zipped() {
        let to = recipient("alice@example.edu");
        let r = report("alice@example.edu", "250 ok", 5, Lang::En);
        let mut c = config();
        let text_len = Rendered::new(&r, &c.footer).unwrap().text.len() as u64;
        c.zip_threshold_bytes = text_len + 1;
        assert!(!compose(&r, &to, Kind::Report, &c, &ctx()).unwrap().zipped);
        c.zip_threshold_bytes = text_len;
        let out = compose(&r, &to, Kind::Report, &c, &ctx()).unwrap();
        assert!(out.zipped);
        let raw = String::from_utf8_lossy(&out.formatted()).into_owned();
        assert!(raw.contains("multipart/mixed"));
        assert!(raw.contains("application/zip"));
        assert!(raw.contains("filename=\"report.zip\""));
    }
}
