//! `smtplog report`: one sender's report mailed to that sender and nobody else, or, without
//! `--send`, printed as the RFC 5322 message that would be sent. The address and the
//! range are checked by the core's policy first: a refusal exits 1 and nothing is sent.
//! A relay that is down or refuses the mail exits 2.

use std::io::{self, Write};
use std::net::IpAddr;

use anyhow::anyhow;
use chrono::Utc;
use clap::Args;
use smtplog_core::mail::{self, Deliver, MailContext, ReportRequest, RequestError, SmtpDeliverer};
use smtplog_core::report::Lang;

use crate::database::open_reading;
use crate::inputs::zone;
use crate::sender_days::SenderDays;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
#[command(after_help = "\
The address must be in one of the configuration's policy.allowed_domains (or below one), \
and the range at most policy.max_range_days long, inside the last policy.retention_days \
days; otherwise the command exits 1 and sends nothing. Without --send the mail is printed \
(RFC 5322, CRLF line ends) instead of sent. Exit codes: 0 sent (or printed), 1 refused \
by policy, 2 error (including a relay that is down or refuses the mail).")]
pub(crate) struct ReportArgs {
    /// Whose report (its only recipient), and which days.
    #[command(flatten)]
    days: SenderDays,
    /// Send the mail through the configured SMTP relay (without it: print the mail).
    #[arg(long)]
    send: bool,
    /// The IP address shown as the client that asked for the report.
    #[arg(long, default_value = "127.0.0.1")]
    client_ip: IpAddr,
    /// The language: zh_TW or en. Default: the configuration's mail.lang (zh_TW).
    #[arg(long, value_parser = parse_lang)]
    lang: Option<Lang>,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse::<Lang>().map_err(|e| e.to_string())
}

/// This host's name, for `Message-ID` and the SMTP greeting.
pub(crate) fn host_name() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

pub(crate) fn run(cli: &Cli, args: &ReportArgs) -> Result<(), Failure> {
    let settings = &cli.settings;
    let tz = zone(cli.tz.as_deref(), None)?;
    let mail_config = settings.mail("smtplog report needs a [mail] section")?;
    let store = open_reading(&cli.db)?;
    let host = host_name();
    let ctx = MailContext {
        now: Utc::now(),
        host: host.clone(),
    };
    let request = ReportRequest {
        email: args.days.email.clone(),
        begin: args.days.begin,
        end: args.days.end,
        client_ip: args.client_ip,
        lang: args.lang.unwrap_or(mail_config.lang),
    };
    // The whole policy (address, domain, range, retention) is applied by the core.
    let prepared =
        match mail::prepare_report(&store, &settings.policy, mail_config, &request, tz, &ctx) {
            Ok(p) => p,
            Err(RequestError::Refused(why)) => {
                return Err(Failure::Refused(format!("{why}; nothing was sent")));
            }
            Err(e) => return Err(anyhow!(e).into()),
        };
    let outgoing = &prepared.outgoing;
    if !args.send {
        let mut out = io::stdout().lock();
        out.write_all(&outgoing.formatted())?;
        out.flush()?;
        return Ok(());
    }
    let to = &prepared.to;
    let mut deliverer = SmtpDeliverer::new(&settings.smtp, &host).map_err(anyhow::Error::from)?;
    deliverer
        .deliver(outgoing)
        .map_err(|e| anyhow!(e).context(format!("the report to {to} was not sent")))?;
    writeln!(
        io::stdout().lock(),
        "sent the report of {to} ({} to {}, {} records, {}) through {}: {}",
        args.days.begin,
        args.days.end,
        prepared.report.rows.len(),
        if outgoing.zipped {
            "as report.zip"
        } else {
            "inline"
        },
        deliverer.relay(),
        outgoing.message_id
    )?;
    Ok(())
}
