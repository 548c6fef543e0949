//! The parse stage: one log line in, one [`Parsed`] out.
//!
//! Pure and total: it never fails, never panics, never allocates for a line it
//! understands and never reads the clock. A line of another program is [`Parsed::Skipped`],
//! a Postfix line of a shape it does not know is [`Parsed::Unrecognized`], a line it cannot
//! read at all is [`Parsed::Malformed`]. Bad lines are data: the caller counts them.

mod display;
mod envelope;
mod event;
mod fields;
mod json;
mod message;
mod stats;

use std::borrow::Cow;
use std::fmt;

pub use event::{
    Action, ActionForm, Client, Delivery, DeliveryStatus, Entry, Event, Header, NoteClass, Program,
    QueueId, queued_as,
};
pub use stats::{KindCounts, ParseStats, SAMPLES_KEPT};

/// The longest line the parser reads; longer lines are [`Malformed::TooLong`].
/// Postfix's own logger truncates at 2,000 bytes and syslog daemons at 8 KiB or so.
pub const MAX_LINE: usize = 64 * 1024;

/// The result of parsing one line.
// Entries are returned by value on the hot path; boxing them would allocate per line.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A Postfix line of a known shape.
    Entry(Entry<'a>),
    /// A Postfix line whose message has no known shape.
    Unrecognized {
        /// The envelope, which was read.
        header: Header<'a>,
        /// The message text.
        text: &'a str,
    },
    /// Not a Postfix line: another program, or an empty line.
    Skipped(Skip),
    /// A line that cannot be read.
    Malformed(Malformed),
}

/// Why a line was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Skip {
    /// An empty or all-blank line.
    Blank,
    /// A line of a program other than Postfix (dovecot, amavis, opendkim, ...).
    OtherProgram,
}

impl Parsed<'_> {
    /// What the line is, in one word: the event's kind for an entry (`delivery`,
    /// `queued`, `client`, ... as in `smtplog parse`), else `unrecognized_postfix`,
    /// `skipped` or `malformed`, as `parse --summary` counts them.
    pub fn kind(&self) -> &'static str {
        match self {
            Parsed::Entry(entry) => entry.event.kind(),
            Parsed::Unrecognized { .. } => "unrecognized_postfix",
            Parsed::Skipped(_) => "skipped",
            Parsed::Malformed(_) => "malformed",
        }
    }
}

/// Why a line could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// No timestamp of a known family at the start of the line.
    Timestamp,
    /// A timestamp, but no `host program[pid]: ` after it.
    Header,
    /// Longer than [`MAX_LINE`] bytes.
    TooLong,
    /// Contains a NUL byte.
    NulByte,
    /// Damaged by a spreadsheet round trip (a run of trailing commas).
    Mangled,
}

impl Malformed {
    /// A short description, for samples and error lists.
    pub fn reason(&self) -> &'static str {
        match self {
            Malformed::Timestamp => "no timestamp",
            Malformed::Header => "no program tag after the timestamp",
            Malformed::TooLong => "line too long",
            Malformed::NulByte => "NUL byte in line",
            Malformed::Mangled => "spreadsheet damage (trailing commas)",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// Parses one line (without its line terminator; a trailing `\r` is ignored).
///
/// ```
/// use smtplog_core::parse::{parse_line, Event, Parsed};
///
/// let line = "Nov  4 09:11:01 mail postfix/qmgr[1789]: 8BD903012026: removed";
/// let Parsed::Entry(entry) = parse_line(line) else { panic!("a Postfix line") };
/// assert_eq!(entry.header.host, Some("mail"));
/// assert_eq!(entry.event.kind(), "removed");
/// assert_eq!(entry.to_string(), line);
/// ```
pub fn parse_line(line: &str) -> Parsed<'_> {
    parse(line, true)
}

/// [`parse_line`] for a line known to hold no NUL byte: ingest searches a whole buffer of
/// lines for NUL at once, which costs less than a search per line.
#[cfg(feature = "store")]
pub(crate) fn parse_line_without_nul(line: &str) -> Parsed<'_> {
    debug_assert!(!line.contains('\0'));
    parse(line, false)
}

/// [`parse_line`], searching the line for NUL bytes only with `find_nul`.
fn parse(line: &str, find_nul: bool) -> Parsed<'_> {
    let line = line.trim_end_matches([' ', '\t', '\r']);
    if line.len() > MAX_LINE {
        return Parsed::Malformed(Malformed::TooLong);
    }
    if is_blank(line) {
        return Parsed::Skipped(Skip::Blank);
    }
    if find_nul && memchr::memchr(0, line.as_bytes()).is_some() {
        return Parsed::Malformed(Malformed::NulByte);
    }
    if line.ends_with(",,") {
        return Parsed::Malformed(Malformed::Mangled);
    }
    match envelope::envelope(line) {
        Err(Ok(skip)) => Parsed::Skipped(skip),
        Err(Err(bad)) => Parsed::Malformed(bad),
        Ok(envelope::Envelope::Other) => Parsed::Skipped(Skip::OtherProgram),
        Ok(envelope::Envelope::Postfix(header, text)) => {
            let (text, repeat) = message::unrepeat(text);
            // `Program::daemon`, the last `/` component, found with a plain loop.
            let tag = header.program.as_str();
            let daemon = tag
                .bytes()
                .rposition(|c| c == b'/')
                .map_or(tag, |at| &tag[at + 1..]);
            debug_assert_eq!(daemon, header.program.daemon());
            match message::message(daemon, text) {
                Some(event) => Parsed::Entry(Entry {
                    header,
                    event,
                    repeat,
                }),
                None => Parsed::Unrecognized { header, text },
            }
        }
    }
}

/// True for an empty or all-blank line (Unicode white space). A line opening with a
/// visible ASCII character, as log lines do, is answered without `trim`'s character loop.
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(c) if c.is_ascii_graphic() => false,
        _ => line.trim_start().is_empty(),
    }
}

/// Decodes raw bytes of one line for [`parse_line`]: valid UTF-8 is borrowed as it is;
/// any invalid sequence becomes U+FFFD (Postfix logs non-printable bytes as `?`, so
/// such bytes come from other programs or damaged files).
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    // simdutf8 checks a valid line several times faster than `std::str::from_utf8`.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
