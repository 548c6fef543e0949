//! Reading log input: plain or gzip-compressed (detected by content, not by name), split
//! into lines as raw bytes. This is the I/O edge of the core; everything after it works
//! on one line at a time.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// Whether a stream is gzip-compressed, by its first two bytes.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Opens `path` for line reading, decompressing gzip when the content is gzip.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    reader(file)
}

/// Wraps any byte stream for line reading, decompressing gzip when the content is gzip.
pub fn reader<R: Read + Send + 'static>(inner: R) -> io::Result<Box<dyn BufRead + Send>> {
    let mut buffered = BufReader::with_capacity(256 * 1024, inner);
    let gzip = is_gzip(buffered.fill_buf()?);
    if gzip {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(buffered),
        )))
    } else {
        Ok(Box::new(buffered))
    }
}

/// One line of input.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// The line's bytes without the `\n` (cut to the maximum length).
    pub bytes: &'a [u8],
    /// The bytes as text when they were checked as valid UTF-8 with the rest of their
    /// buffer; `None` when the caller must decode `bytes` itself (an invalid buffer, a
    /// line that spans two buffers or was cut).
    pub text: Option<&'a str>,
    /// True when the bytes are known to hold no NUL byte (their buffer was searched);
    /// false when they may.
    pub nul_free: bool,
    /// True when the line was longer than the maximum and was cut.
    pub too_long: bool,
    /// How many bytes of input the line took, `\n` included.
    pub raw_len: usize,
    /// False for a last line that has no `\n` (it may still be being written).
    pub terminated: bool,
}

/// Complete lines read together from one buffer: `bytes` is empty or ends with `\n`.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    bytes: &'a [u8],
    /// The bytes as text, when they are valid UTF-8.
    text: Option<&'a str>,
    nul_free: bool,
    max: usize,
}

impl<'a> Run<'a> {
    fn of(bytes: &'a [u8], max: usize) -> Self {
        Run {
            bytes,
            // simdutf8 checks valid text several times faster than `std::str::from_utf8`;
            // checking a run at once costs a fraction of checking each of its lines, which
            // pays the searches' setup on every call.
            text: simdutf8::basic::from_utf8(bytes).ok(),
            nul_free: memchr::memchr(0, bytes).is_none(),
            max,
        }
    }

    /// The run's bytes: complete lines, each with its `\n`.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The run as text, when it is valid UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        self.text
    }

    /// True when the run holds no NUL byte.
    pub fn nul_free(&self) -> bool {
        self.nul_free
    }

    /// The run's lines, in order.
    pub fn lines(self) -> RunLines<'a> {
        RunLines { run: self, at: 0 }
    }
}

/// The lines of a [`Run`].
pub struct RunLines<'a> {
    run: Run<'a>,
    at: usize,
}

impl<'a> Iterator for RunLines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let run = &self.run;
        let start = self.at;
        let end = start + memchr::memchr(b'\n', &run.bytes[start..])?;
        self.at = end + 1;
        let whole = &run.bytes[start..end];
        let long = whole.len() > run.max;
        let text = match run.text {
            Some(t) if !long => Some(&t[start..end]),
            _ => None,
        };
        Some(Line {
            bytes: &whole[..whole.len().min(run.max)],
            text,
            nul_free: run.nul_free,
            too_long: long,
            raw_len: whole.len() + 1,
            terminated: true,
        })
    }
}

/// Lines as read: a run of complete lines of one buffer, or one line on its own (a line
/// that spans buffers, or a last line without `\n`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Piece<'a> {
    /// Complete lines of one buffer.
    Run(Run<'a>),
    /// One line assembled from several buffers, or the last line.
    Line(Line<'a>),
}

/// Calls `each` with every line of `input`, as raw bytes. A final line without a newline
/// is passed too, with `terminated` false. Lines longer than `max` bytes are passed cut to
/// `max` bytes with `too_long` set; the rest of such a line is discarded without being held
/// in memory. Stops at the first error `each` returns.
pub fn for_each_line<R, E>(
    input: &mut R,
    max: usize,
    mut each: impl FnMut(Line<'_>) -> Result<(), E>,
) -> Result<(), E>
where
    R: BufRead + ?Sized,
    E: From<io::Error>,
{
    for_each_piece(input, max, |piece| match piece {
        Piece::Run(run) => run.lines().try_for_each(&mut each),
        Piece::Line(line) => each(line),
    })
}

/// [`for_each_line`], passing the lines of each buffer together: every complete line of a
/// buffer in one [`Run`], in order, and each line that spans buffers on its own.
pub fn for_each_piece<R, E>(
    input: &mut R,
    max: usize,
    mut each: impl FnMut(Piece<'_>) -> Result<(), E>,
) -> Result<(), E>
where
    R: BufRead + ?Sized,
    E: From<io::Error>,
{
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut raw = 0usize;
    let mut too_long = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if buf.is_empty() {
            if raw > 0 {
                each(Piece::Line(Line {
                    bytes: &line,
                    text: None,
                    nul_free: false,
                    too_long,
                    raw_len: raw,
                    terminated: false,
                }))?;
            }
            return Ok(());
        }
        let len = buf.len();
        let mut start = 0;
        if raw > 0 {
            // The first `\n` ends the line begun in earlier buffers.
            let Some(p) = memchr::memchr(b'\n', buf) else {
                append(&mut line, buf, max, &mut too_long);
                raw += len;
                input.consume(len);
                continue;
            };
            append(&mut line, &buf[..p], max, &mut too_long);
            each(Piece::Line(Line {
                bytes: &line,
                text: None,
                nul_free: false,
                too_long,
                raw_len: raw + p + 1,
                terminated: true,
            }))?;
            line.clear();
            raw = 0;
            too_long = false;
            start = p + 1;
        }
        let end = memchr::memrchr(b'\n', &buf[start..]).map_or(start, |nl| start + nl + 1);
        if end > start {
            each(Piece::Run(Run::of(&buf[start..end], max)))?;
        }
        if end < len {
            append(&mut line, &buf[end..], max, &mut too_long);
            raw = len - end;
        }
        input.consume(len);
    }
}

/// A reader that fills its whole buffer before passing it on (short reads, as a
/// decompressor gives, are joined), so that lines come in runs of about the buffer's size.
/// A read error after some bytes is kept until those bytes are consumed.
pub struct Filled<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    error: Option<io::Error>,
}

impl<R: Read> Filled<R> {
    /// Reads `inner` in pieces of `capacity` bytes.
    pub fn new(inner: R, capacity: usize) -> Self {
        Filled {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            end: 0,
            error: None,
        }
    }
}

impl<R: Read> Read for Filled<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Filled<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            self.pos = 0;
            self.end = 0;
            while self.end < self.buf.len() {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => break,
                    Ok(n) => self.end += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if self.end == 0 => return Err(e),
                    Err(e) => {
                        self.error = Some(e);
                        break;
                    }
                }
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }
}

fn append(line: &mut Vec<u8>, part: &[u8], max: usize, too_long: &mut bool) {
    let room = max.saturating_sub(line.len());
    if part.len() > room {
        *too_long = true;
    }
    line.extend_from_slice(&part[..part.len().min(room)]);
}

/// Orders log files oldest first, by modification time, so that a shell glob's
/// newest-first listing of rotations (`mail.log mail.log.1 mail.log.2.gz`) is read in
/// the order it was written. Equal times keep rotation order (higher suffix first).
pub fn oldest_first(paths: &mut [std::path::PathBuf]) {
    fn suffix(p: &Path) -> u32 {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let name = name.strip_suffix(".gz").unwrap_or(name);
        name.rsplit('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
    paths.sort_by_key(|p| {
        let mtime = std::fs::metadata(p)
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        (mtime, std::cmp::Reverse(suffix(p)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], max: usize) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut r = io::BufReader::with_capacity(4, data);
        for_each_line::<_, io::Error>(&mut r, max, |l| {
            out.push((String::from_utf8_lossy(l.bytes).into_owned(), l.too_long));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn splits_across_buffer_boundaries_and_keeps_the_last_line() {
        let got = lines(b"alpha\nbeta gamma\n\nlast", 100);
        let want: Vec<(String, bool)> = ["alpha", "beta gamma", "", "last"]
            .iter()
            .map(|s| (s.to_string(), false))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn raw_lengths_add_up_and_the_last_line_is_unterminated() {
        let mut r = io::BufReader::with_capacity(3, &b"ab\ncdefgh\nij"[..]);
        let mut got = Vec::new();
        for_each_line::<_, io::Error>(&mut r, 4, |l| {
            got.push((l.raw_len, l.terminated, l.too_long));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            got,
            vec![(3, true, false), (7, true, true), (2, false, false)]
        );
    }

    #[test]
    fn long_lines_are_cut_and_flagged() {
        let got = lines(b"short\n0123456789abcdef\nok\n", 8);
        assert_eq!(
            got,
            vec![
                ("short".to_string(), false),
                ("01234567".to_string(), true),
                ("ok".to_string(), false)
            ]
        );
    }

    #[test]
    fn checked_text_and_nul_search_cover_a_buffer_s_whole_lines_only() {
        let got = |data: &[u8], cap: usize| {
            let mut r = io::BufReader::with_capacity(cap, data);
            let mut got = Vec::new();
            for_each_line::<_, io::Error>(&mut r, 100, |l| {
                got.push((l.text.map(str::to_string), l.nul_free));
                Ok(())
            })
            .unwrap();
            got
        };
        let text = |s: &str| (Some(s.to_string()), true);
        // Whole lines of a valid buffer come as text; a line split across buffers does not.
        assert_eq!(
            got(b"ab\ncd\nef\ngh", 7),
            vec![text("ab"), text("cd"), (None, false), (None, false)]
        );
        // One invalid byte or one NUL in a buffer: every line of it is left to the caller.
        assert_eq!(got(b"ok\n\xff\n", 64), vec![(None, true), (None, true)]);
        assert_eq!(
            got(b"ok\na\0b\n", 64),
            vec![
                (Some("ok".to_string()), false),
                (Some("a\0b".to_string()), false)
            ]
        );
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"one\ntwo\n").unwrap();
        let gz = enc.finish().unwrap();
        let mut r = reader(io::Cursor::new(gz)).unwrap();
        let mut got = Vec::new();
        for_each_line::<_, io::Error>(&mut r, 100, |l| {
            got.push(l.bytes.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    }

    /// Gives at most `step` bytes a read, then fails once `fail` is reached.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        fail: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() && self.fail {
                self.fail = false;
                return Err(io::Error::other("disk gone"));
            }
            let n = self.data.len().min(out.len()).min(self.step);
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn filled_joins_short_reads_and_keeps_an_error_until_the_bytes_before_it_are_taken() {
        let data = b"0123456789abcdef";
        let mut r = Filled::new(
            Trickle {
                data,
                step: 3,
                fail: true,
            },
            10,
        );
        assert_eq!(r.fill_buf().unwrap(), b"0123456789");
        r.consume(4);
        assert_eq!(r.fill_buf().unwrap(), b"456789");
        r.consume(6);
        // The last bytes before the error come first; then the error; then the end.
        assert_eq!(r.fill_buf().unwrap(), b"abcdef");
        r.consume(6);
        assert_eq!(r.fill_buf().unwrap_err().to_string(), "disk gone");
        assert_eq!(r.fill_buf().unwrap(), b"");
        let mut all = Vec::new();
        let mut again = Filled::new(
            Trickle {
                data,
                step: 5,
                fail: false,
            },
            4,
        );
        again.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
    }

    #[test]
    fn a_buffer_s_complete_lines_come_as_one_run_and_a_line_across_buffers_alone() {
        let mut r = io::BufReader::with_capacity(8, &b"ab\ncd\nefghij\nk\nlast"[..]);
        let mut got = Vec::new();
        for_each_piece::<_, io::Error>(&mut r, 100, |piece| {
            got.push(match piece {
                Piece::Run(run) => {
                    let lines: Vec<String> = run
                        .lines()
                        .map(|l| String::from_utf8_lossy(l.bytes).into_owned())
                        .collect();
                    format!("run {}", lines.join(","))
                }
                Piece::Line(line) => format!(
                    "line {} {} {}",
                    String::from_utf8_lossy(line.bytes),
                    line.raw_len,
                    line.terminated
                ),
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(
            got,
            vec![
                "run ab,cd",
                "line efghij 7 true",
                "run k",
                "line last 4 false"
            ]
        );
    }
}
