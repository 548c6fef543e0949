//! `smtplog trace`: every stored record of one message, for administrators answering
//! "what happened to this mail?". The search and the layout are the core's
//! (`smtplog_core::report::trace`); this file reads the argument and prints.

use std::io::{self, BufWriter, Write};

use clap::Args;
use smtplog_core::report::trace;

use crate::database::open_reading;
use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
#[command(after_help = "\
What trace shows: the records stored for the message, not the raw log lines. Every \
record of the queue ID on every relay host and Postfix instance (a reused queue ID shows \
each message apart), grouped per message (host, instance, queue ID, message-id), in time \
order: time, status, recipient, original recipient, remote relay, DSN, delay, response, \
client IP, SASL user. Lines that make no record (connect, cleanup, qmgr removed, a \
content filter's hand-off) are not stored and not shown. Hops are followed through the \
message-id (a content filter or a local forward re-queues the mail under a new queue ID \
with the same Message-ID header) and, for mail still in the queue, through the saved \
origin; a hop whose copy has another message-id is not found. A message-id lookup reads \
the whole records table. Exit code 1 when nothing is stored under ID.")]
pub(crate) struct TraceArgs {
    /// A queue ID (e.g. 3A4B5C6D7E) or a message-id (with or without <>; it contains @).
    id: String,
}

pub(crate) fn run(cli: &Cli, args: &TraceArgs) -> Result<(), Failure> {
    if args.id.trim().eq_ignore_ascii_case("NOQUEUE") {
        return Err(Failure::Refused(
            "NOQUEUE names no message: refused submissions are in `smtplog query`".to_string(),
        ));
    }
    let tz = zone(cli.tz.as_deref(), None)?;
    let store = open_reading(&cli.db)?;
    let found = trace::trace(&store, &args.id)?;
    let mut out = BufWriter::new(io::stdout().lock());
    trace::render_text(&found, tz, &mut out)?;
    out.flush()?;
    if found.is_empty() {
        return Err(Failure::Nothing(format!(
            "nothing stored under {:?}",
            args.id.trim()
        )));
    }
    Ok(())
}
