//! Parse a few Postfix lines and print what each one says.
//!
//! Run: `cargo run -p smtplog-examples --example parse_lines`

use smtplog_core::parse::{Event, Parsed, parse_line};

const LINES: &[&str] = &[
    "Jan 28 06:40:37 mail postfix/smtpd[15061]: 8BD903012026: client=h-2bf83754162e1[224.73.110.132]",
    "Jan 28 06:40:37 mail postfix/qmgr[1789]: 8BD903012026: from=<alice@example.org>, size=5652, nrcpt=1 (queue active)",
    "Oct 22 04:41:09 conch postfix/smtp[27408]: A4C392432F: to=<kdent@seaglass.com>, relay=mail.seaglass.com[74.220.219.61]:25, delay=3, delays=0.51/0/2.2/0.3, dsn=5.0.0, status=bounced (host mail.seaglass.com[74.220.219.61] said: 550 Administrative prohibition (in reply to end of DATA command))",
    "Nov  1 06:29:49 conch dovecot: imap-login: Disconnected (no auth attempts)",
];

#[allow(clippy::print_stdout)]
fn main() {
    for line in LINES {
        match parse_line(line) {
            Parsed::Entry(entry) => match &entry.event {
                Event::Delivery(d) => println!(
                    "{}: delivery to {} is {} ({})",
                    d.queue_id,
                    d.to,
                    d.status.as_str(),
                    d.response
                ),
                other => println!("{}: {}", other.kind(), other),
            },
            other => println!("not an event: {other:?}"),
        }
    }
}
