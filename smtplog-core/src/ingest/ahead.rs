//! Reading and parsing ahead: a second thread reads an input and parses its lines a block
//! at a time, while the ingest thread resolves the times of the blocks before and
//! correlates them. A [`Block`] owns its text together with the lines parsed from it
//! (which borrow that text), so it can go from one thread to the other.

use std::io::{self, BufRead};
use std::sync::mpsc;

use crate::parse::{
    MAX_LINE, Malformed, ParseStats, Parsed, decode, parse_line, parse_line_without_nul,
};
use crate::source::{self, Piece};

/// Bytes of input read and parsed at once. A block's parsed lines take about 1.2 times
/// its size, and a few blocks are in flight.
pub(super) const BLOCK_BYTES: usize = 256 * 1024;

/// Parsed blocks waiting for the ingest thread.
pub(super) const AHEAD: usize = 4;

/// The text of a block: whole lines, each ending with `\n`.
#[derive(Default)]
pub(super) struct Text {
    text: String,
    /// True when the lines hold no NUL byte.
    nul_free: bool,
    /// How each line was read, when its text is not simply what was read (it was decoded,
    /// or cut); empty when every line took its length plus its `\n` of input.
    read: Vec<Read>,
}

/// How one line was read.
#[derive(Clone, Copy)]
struct Read {
    /// Bytes of input, `\n` included.
    raw_len: usize,
    /// Longer than [`MAX_LINE`].
    too_long: bool,
}

impl Read {
    fn of(line: &source::Line<'_>) -> Self {
        Read {
            raw_len: line.raw_len,
            too_long: line.too_long,
        }
    }
}

impl Text {
    fn clear(&mut self) {
        self.text.clear();
        self.read.clear();
    }
}

/// A block's lines as parsed: for each, the bytes of input it took and what it parsed to.
pub(super) struct ParsedLines<'a> {
    pub(super) lines: Vec<(usize, Parsed<'a>)>,
}

self_cell::self_cell!(
    /// A block of lines and what they parsed to.
    pub(super) struct Block {
        owner: Text,
        #[covariant]
        dependent: ParsedLines,
    }
);

/// Why reading ahead stopped early.
enum Stop {
    Read(io::Error),
    /// The ingest thread takes no more blocks.
    Hungup,
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Read(e)
    }
}

/// Reads `content` to its end, parsing it in blocks of about `block_bytes` sent to
/// `blocks`; blocks come back on
/// `spent` when taken, to be freed here (where they were allocated) and their text reused.
/// A last line without `\n` is read only when `complete`. Returns the counts of every
/// line parsed, and the read error that ended the reading early (after the blocks before
/// it were sent), if one did.
pub(super) fn read_ahead(
    content: &mut dyn BufRead,
    block_bytes: usize,
    complete: bool,
    samples: usize,
    blocks: mpsc::SyncSender<Block>,
    spent: mpsc::Receiver<Block>,
) -> (ParseStats, io::Result<()>) {
    let mut stats = ParseStats::with_samples(samples);
    let mut content = source::Filled::new(content, block_bytes);
    let read = source::for_each_piece(&mut content, MAX_LINE, |piece| {
        let mut text = match spent.try_recv() {
            Ok(block) => {
                let mut text = block.into_owner();
                text.clear();
                text
            }
            Err(_) => Text::default(),
        };
        match piece {
            Piece::Run(run) => {
                text.nul_free = run.nul_free();
                match run.text() {
                    Some(valid) => text.text.push_str(valid),
                    None => {
                        // Invalid UTF-8 becomes U+FFFD; a `\n` is never part of an invalid
                        // sequence, so the lines decode one by one as they do together.
                        text.text.push_str(&String::from_utf8_lossy(run.bytes()));
                        text.read.extend(run.lines().map(|line| Read::of(&line)));
                    }
                }
            }
            Piece::Line(line) if !line.terminated && !complete => return Ok(()),
            Piece::Line(line) => {
                // One line assembled across reads: no `\n` inside, maybe cut, not searched
                // for NUL.
                text.text.push_str(&decode(line.bytes));
                text.text.push('\n');
                text.nul_free = false;
                text.read.push(Read::of(&line));
            }
        }
        let block = Block::new(text, |text| parse(text, &mut stats));
        blocks.send(block).map_err(|_| Stop::Hungup)
    });
    match read {
        Ok(()) | Err(Stop::Hungup) => (stats, Ok(())),
        Err(Stop::Read(e)) => (stats, Err(e)),
    }
}

/// Parses every line of `text`, counting it in `stats`.
fn parse<'a>(text: &'a Text, stats: &mut ParseStats) -> ParsedLines<'a> {
    let all = text.text.as_str();
    let mut lines = Vec::with_capacity(text.read.len().max(all.len() / 100));
    let mut read = text.read.iter();
    let mut start = 0;
    while let Some(at) = memchr::memchr(b'\n', &all.as_bytes()[start..]) {
        let end = start + at;
        // A `\n` is a character boundary.
        let line = &all[start..end];
        start = end + 1;
        let how = match read.next() {
            Some(how) => *how,
            None => Read {
                raw_len: line.len() + 1,
                too_long: line.len() > MAX_LINE,
            },
        };
        let parsed = if how.too_long {
            Parsed::Malformed(Malformed::TooLong)
        } else if text.nul_free {
            parse_line_without_nul(line)
        } else {
            parse_line(line)
        };
        stats.record(line, &parsed);
        lines.push((how.raw_len, parsed));
    }
    ParsedLines { lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `data` ahead in blocks of `cap` bytes and returns each line's length of
    /// input, its parse outcome's kind and the counts.
    fn read_all(data: &[u8], cap: usize, complete: bool) -> (Vec<(usize, String)>, ParseStats) {
        // Room for every block: they are taken after the reading.
        let (tx, rx) = mpsc::sync_channel(data.len() + 1);
        let (_back, spent) = mpsc::channel();
        let mut content = data;
        let (stats, read) = read_ahead(&mut content, cap, complete, 5, tx, spent);
        read.unwrap();
        let mut got = Vec::new();
        for block in rx.iter() {
            for (raw_len, parsed) in &block.borrow_dependent().lines {
                let kind = match parsed {
                    Parsed::Entry(e) => e.event.kind().to_string(),
                    Parsed::Unrecognized { .. } => "unrecognized".into(),
                    Parsed::Skipped(_) => "skipped".into(),
                    Parsed::Malformed(m) => m.reason().into(),
                };
                got.push((*raw_len, kind));
            }
        }
        (got, stats)
    }

    const REMOVED: &str = "Nov  4 09:11:01 mail postfix/qmgr[1789]: 8BD903012026: removed";

    #[test]
    fn every_line_is_parsed_once_with_its_length_of_input() {
        let mut data = String::new();
        for _ in 0..3 {
            data.push_str(REMOVED);
            data.push('\n');
            data.push_str("Nov  4 09:11:02 mail dovecot: imap-login: ok\n");
            data.push('\n');
        }
        data.push_str("x\0y\n");
        data.push_str("last");
        let n = REMOVED.len() + 1;
        let mut want = Vec::new();
        for _ in 0..3 {
            want.push((n, "removed".to_string()));
            want.push((45, "skipped".to_string()));
            want.push((1, "skipped".to_string()));
        }
        want.push((4, "NUL byte in line".to_string()));
        // Blocks of every size split lines in every place; the result is the same.
        for cap in [1, 7, 64, 1 << 20] {
            let (got, stats) = read_all(data.as_bytes(), cap, false);
            assert_eq!(got, want, "blocks of {cap} bytes");
            assert_eq!(stats.lines, 10);
            let mut whole = want.clone();
            whole.push((4, "no timestamp".to_string()));
            assert_eq!(read_all(data.as_bytes(), cap, true).0, whole);
        }
    }

    #[test]
    fn invalid_utf8_is_decoded_and_lengths_stay_those_of_the_input() {
        let mut bytes = REMOVED.as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff\n");
        bytes.extend_from_slice(REMOVED.as_bytes());
        bytes.push(b'\n');
        let (got, _) = read_all(&bytes, 1 << 20, true);
        let n = REMOVED.len() + 1;
        assert_eq!(
            got,
            vec![
                (n + 1, "unrecognized".to_string()),
                (n, "removed".to_string())
            ]
        );
    }

    #[test]
    fn a_line_too_long_is_counted_with_all_its_bytes() {
        let long = "a".repeat(MAX_LINE + 10);
        let data = format!("{long}\n{REMOVED}\n");
        for cap in [4096, 1 << 20] {
            let (got, stats) = read_all(data.as_bytes(), cap, true);
            assert_eq!(
                got,
                vec![
                    (MAX_LINE + 11, "line too long".to_string()),
                    (REMOVED.len() + 1, "removed".to_string())
                ]
            );
            assert_eq!(stats.malformed, 1);
        }
    }

    #[test]
    fn a_read_error_comes_after_the_lines_before_it() {
        struct Failing<'a>(&'a [u8]);
        impl io::Read for Failing<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("disk gone"));
                }
                let n = self.0.len().min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let data = format!("{REMOVED}\n{REMOVED}\npartial");
        let (tx, rx) = mpsc::sync_channel(16);
        let (_back, spent) = mpsc::channel();
        let mut content = io::BufReader::new(Failing(data.as_bytes()));
        let (stats, read) = read_ahead(&mut content, 1 << 20, true, 5, tx, spent);
        assert_eq!(read.unwrap_err().to_string(), "disk gone");
        assert_eq!(stats.lines, 2);
        let lines: usize = rx.iter().map(|b| b.borrow_dependent().lines.len()).sum();
        assert_eq!(lines, 2);
    }
}
