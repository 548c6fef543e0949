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
                each(Line {
                    bytes: &line,
                    text: None,
                    nul_free: false,
                    too_long,
                    raw_len: raw,
                    terminated: false,
                })?;
            }
            return Ok(());
        }
        let mut start = 0;
        let len = buf.len();
        let checked = Checked::of(buf);
        while start < len {
            match memchr::memchr(b'\n', &buf[start..]) {
                Some(p) => {
                    let end = start + p;
                    if raw == 0 {
                        let whole = &buf[start..end];
                        let long = whole.len() > max;
                        // A `\n` is a character boundary, so the checked text slices here.
                        let text = match checked.text {
                            Some(t) if !long => Some(&t[start..end]),
                            _ => None,
                        };
                        each(Line {
                            bytes: &whole[..whole.len().min(max)],
                            text,
                            nul_free: checked.nul_free,
                            too_long: long,
                            raw_len: whole.len() + 1,
                            terminated: true,
                        })?;
                    } else {
                        append(&mut line, &buf[start..end], max, &mut too_long);
                        each(Line {
                            bytes: &line,
                            text: None,
                            nul_free: false,
                            too_long,
                            raw_len: raw + (end - start) + 1,
                            terminated: true,
                        })?;
                        line.clear();
                        raw = 0;
                        too_long = false;
                    }
                    start = end + 1;
                }
                None => {
                    append(&mut line, &buf[start..], max, &mut too_long);
                    raw += len - start;
                    start = len;
                }
            }
        }
        input.consume(len);
    }
}

/// What one search of a buffer's complete lines (up to its last `\n`) found: checking
/// a whole buffer at once costs a fraction of checking each of its lines, which pays
/// the searches' setup on every call.
struct Checked<'a> {
    /// The complete lines as text, when they are valid UTF-8.
    text: Option<&'a str>,
    /// True when they hold no NUL byte.
    nul_free: bool,
}

impl<'a> Checked<'a> {
    fn of(buf: &'a [u8]) -> Self {
        let end = memchr::memrchr(b'\n', buf).map_or(0, |nl| nl + 1);
        let lines = &buf[..end];
        Checked {
            // simdutf8 checks valid text several times faster than `std::str::from_utf8`.
            text: simdutf8::basic::from_utf8(lines).ok(),
            nul_free: memchr::memchr(0, lines).is_none(),
        }
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
}
