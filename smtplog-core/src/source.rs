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

/// Calls `each` with every line of `input` (without the `\n`), as raw bytes. A final line
/// without a newline is passed too. Lines longer than `max` bytes are passed cut to `max`
/// bytes with `true` as the second argument, so the caller can count them; the rest of
/// such a line is discarded without being held in memory.
pub fn for_each_line<R: BufRead + ?Sized>(
    input: &mut R,
    max: usize,
    mut each: impl FnMut(&[u8], bool),
) -> io::Result<()> {
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut too_long = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !line.is_empty() || too_long {
                each(&line, too_long);
            }
            return Ok(());
        }
        let mut start = 0;
        let len = buf.len();
        while start < len {
            match memchr::memchr(b'\n', &buf[start..]) {
                Some(p) => {
                    let end = start + p;
                    if line.is_empty() && !too_long {
                        let whole = &buf[start..end];
                        if whole.len() > max {
                            each(&whole[..max], true);
                        } else {
                            each(whole, false);
                        }
                    } else {
                        append(&mut line, &buf[start..end], max, &mut too_long);
                        each(&line, too_long);
                        line.clear();
                        too_long = false;
                    }
                    start = end + 1;
                }
                None => {
                    append(&mut line, &buf[start..], max, &mut too_long);
                    start = len;
                }
            }
        }
        input.consume(len);
    }
}

fn append(line: &mut Vec<u8>, part: &[u8], max: usize, too_long: &mut bool) {
    let room = max.saturating_sub(line.len());
    if part.len() > room {
        *too_long = true;
    }
    line.extend_from_slice(&part[..part.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], max: usize) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut r = io::BufReader::with_capacity(4, data);
        for_each_line(&mut r, max, |l, long| {
            out.push((String::from_utf8_lossy(l).into_owned(), long))
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
    fn gzip_is_detected_by_content() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"one\ntwo\n").unwrap();
        let gz = enc.finish().unwrap();
        let mut r = reader(io::Cursor::new(gz)).unwrap();
        let mut got = Vec::new();
        for_each_line(&mut r, 100, |l, _| got.push(l.to_vec())).unwrap();
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    }
}
