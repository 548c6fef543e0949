//! `smtplog serve`: the query page (smtplog-web) on `--listen` or the configuration's
//! `web.listen`, with its outbox worker, until Ctrl-C or SIGTERM. Needs a `[mail]`
//! section; says so at start when `web.unsafe_fixed_captcha` is on.

use std::io::{self, Write};
use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use crate::inputs::zone;
use crate::report_cmd::host_name;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
#[command(after_help = "\
Serves the form of the query page: a report is mailed to the address typed (in \
policy.allowed_domains) for clients in web.allowed_networks, with the captcha, \
anti-forgery token and rate limits of the [web] section. Every submission is audited \
(smtplog audit). Reports accepted are queued and mailed by a background worker through \
the [smtp] relay, retried while it is down. Stops gracefully on Ctrl-C or SIGTERM. \
Exit codes: 0 stopped, 2 error (no [mail] section, address in use, database).")]
pub(crate) struct ServeArgs {
    /// The address and port to listen on. Default: the configuration's web.listen.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
}

pub(crate) fn run(cli: &Cli, args: &ServeArgs) -> Result<(), Failure> {
    let settings = &cli.settings;
    settings.mail("smtplog serve needs a [mail] section to mail the reports")?;
    let tz = zone(cli.tz.as_deref(), None)?;
    let listen = args.listen.unwrap_or(settings.web.listen);
    if settings.web.unsafe_fixed_captcha.is_some() {
        writeln!(
            io::stderr().lock(),
            "smtplog: warning: web.unsafe_fixed_captcha is set: every captcha has the same \
             answer (tests only)"
        )?;
    }
    let web = smtplog_web::Settings {
        config: settings.clone(),
        db: cli.db.clone(),
        zone: tz,
        host: host_name(),
        listen,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime
        .block_on(smtplog_web::serve(web, |addr| {
            let _ = writeln!(
                io::stderr().lock(),
                "smtplog: serving the query page on http://{addr}/"
            );
        }))
        .with_context(|| format!("cannot serve on {listen}"))?;
    writeln!(io::stderr().lock(), "smtplog: stopped")?;
    Ok(())
}
