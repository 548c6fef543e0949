//! The envelope of a line: wrappers, timestamp, host, program tag and pid.
//!
//! Accepted timestamp families: classic syslog (`Nov  4 09:11:01`, `Nov 4 09:11:01`),
//! Postfix's `maillog_file` (`Nov 04 09:11:01`), RFC 3339 with or without a fraction and
//! with an offset or `Z`. A container runtime's RFC 3339 prefix before a whole syslog
//! line is stripped. The program tag is the token before `[pid]` (or before `:`).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while_m_n},
    character::complete::{char, one_of},
    combinator::opt,
};

use super::event::{Header, Program};
use super::{Malformed, Skip};
use crate::timestamp::{Timestamp, month_number};

/// What the envelope parser found.
pub(crate) enum Envelope<'a> {
    /// A Postfix line: its header and the message after `: `.
    Postfix(Header<'a>, &'a str),
    /// A line of another program.
    Other,
}

fn digits<'a>(n: usize) -> impl Parser<&'a str, Output = u32, Error = nom::error::Error<&'a str>> {
    take_while_m_n(n, n, |c: char| c.is_ascii_digit()).map(|s: &str| {
        s.bytes()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub(crate) fn rfc3339(i: &str) -> IResult<&str, DateTime<FixedOffset>> {
    let (i, (year, _, month, _, day, _, hour, _, minute, _, second)) = (
        digits(4),
        char('-'),
        digits(2),
        char('-'),
        digits(2),
        one_of("Tt "),
        digits(2),
        char(':'),
        digits(2),
        char(':'),
        digits(2),
    )
        .parse(i)?;
    let (i, frac) = opt((
        char('.'),
        take_while_m_n(1, 9, |c: char| c.is_ascii_digit()),
    ))
    .parse(i)?;
    let nanos = frac.map_or(0, |(_, f): (char, &str)| {
        let v = f
            .bytes()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        v * 10u32.pow(9 - f.len() as u32)
    });
    // Skip any digits past nanosecond precision.
    let i = i.trim_start_matches(|c: char| c.is_ascii_digit());
    let (i, offset) = offset(i)?;
    let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify));
    let t = date_time([year, month, day, hour, minute, second], nanos, offset).ok_or_else(fail)?;
    Ok((i, t))
}

/// The instant of RFC 3339 fields (a leap second `:60` is read as `:59`).
fn date_time(
    [year, month, day, hour, minute, second]: [u32; 6],
    nanos: u32,
    offset: FixedOffset,
) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let naive = date.and_hms_nano_opt(hour, minute, second.min(59), nanos)?;
    offset.from_local_datetime(&naive).single()
}

/// The value of the ASCII digits `b[at..at + n]`, or `None` when one is not a digit.
fn digits_at(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let mut value = 0;
    for &c in b.get(at..at + n)? {
        let digit = c.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u32::from(digit);
    }
    Some(value)
}

/// Fast path for the commonest RFC 3339 layout, `YYYY-MM-DDTHH:MM:SS.ffffff±HH:MM`
/// (rsyslog's high-precision format); `None` sends any other input to [`rfc3339`], which
/// gives the same result for this layout.
fn rfc3339_common(i: &str) -> Option<(&str, DateTime<FixedOffset>)> {
    const LEN: usize = "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM".len();
    let b = i.as_bytes().get(..LEN)?;
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (29, b':'),
    ];
    if seps.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let field = |at, n| digits_at(b, at, n);
    let fields = [
        field(0, 4)?,
        field(5, 2)?,
        field(8, 2)?,
        field(11, 2)?,
        field(14, 2)?,
        field(17, 2)?,
    ];
    let nanos = field(20, 6)? * 1000;
    let secs = (field(27, 2)? * 3600 + field(30, 2)? * 60) as i32;
    let secs = match b[26] {
        b'+' => secs,
        b'-' => -secs,
        _ => return None,
    };
    let t = date_time(fields, nanos, FixedOffset::east_opt(secs)?)?;
    Some((&i[LEN..], t))
}

fn offset(i: &str) -> IResult<&str, FixedOffset> {
    if let Ok((rest, _)) = one_of::<_, _, nom::error::Error<&str>>("Zz").parse(i) {
        return Ok((rest, FixedOffset::east_opt(0).expect("zero offset")));
    }
    let (rest, (sign, h, _, m)) = (one_of("+-"), digits(2), opt(char(':')), digits(2)).parse(i)?;
    let secs = (h * 3600 + m * 60) as i32;
    let secs = if sign == '-' { -secs } else { secs };
    let off = FixedOffset::east_opt(secs)
        .ok_or_else(|| nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify)))?;
    Ok((rest, off))
}

/// Fast path for the commonest syslog layout, `Mmm dd hh:mm:ss` with a two-character day
/// (space- or zero-padded) and no fraction; `None` sends any other input to
/// [`syslog_time`], which gives the same result for this layout.
fn syslog_common(i: &str) -> Option<(&str, Timestamp)> {
    const LEN: usize = "Mmm dd hh:mm:ss".len();
    let b = i.as_bytes();
    if b.len() < LEN || b.get(LEN) == Some(&b'.') {
        return None;
    }
    if b[3] != b' ' || b[6] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let month = month_number(&b[..3])?;
    let day = match b[4] {
        b' ' => digits_at(b, 5, 1)?,
        _ => digits_at(b, 4, 2)?,
    };
    let (hour, minute, second) = (
        digits_at(b, 7, 2)?,
        digits_at(b, 10, 2)?,
        digits_at(b, 13, 2)?,
    );
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let t = Timestamp::Syslog {
        month,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
    };
    Some((&i[LEN..], t))
}

/// `Mmm dd hh:mm:ss` with the day space-padded, zero-padded or bare.
fn syslog_time(i: &str) -> IResult<&str, Timestamp> {
    if let Some(found) = syslog_common(i) {
        return Ok(found);
    }
    let b = i.as_bytes();
    let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag));
    // `Mmm d hh:mm:ss` is the shortest form.
    if b.len() < 14 {
        return Err(fail());
    }
    let month = month_number(&b[..3]).ok_or_else(fail)?;
    let (i, _) = tag(" ").parse(&i[3..])?;
    let i = i.strip_prefix(' ').unwrap_or(i);
    let (i, day) = take_while_m_n(1, 2, |c: char| c.is_ascii_digit()).parse(i)?;
    let day: u8 = day.parse().map_err(|_| fail())?;
    let (i, (_, hour, _, minute, _, second)) = (
        char(' '),
        digits(2),
        char(':'),
        digits(2),
        char(':'),
        digits(2),
    )
        .parse(i)?;
    // Some loggers add a fraction to the classic form; it is dropped.
    let i = match i.strip_prefix('.') {
        Some(rest) => rest.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => i,
    };
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(fail());
    }
    Ok((
        i,
        Timestamp::Syslog {
            month,
            day,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
        },
    ))
}

fn timestamp(i: &str) -> IResult<&str, Timestamp> {
    if i.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (rest, t) = match rfc3339_common(i) {
            Some(found) => found,
            None => rfc3339(i)?,
        };
        // A container runtime's prefix before a whole syslog line: use the inner line.
        // Every syslog timestamp has a space after the month: a host name rarely does.
        if let Some(inner) = rest.strip_prefix(' ')
            && inner.as_bytes().get(3) == Some(&b' ')
            && let Ok((rest, t)) = syslog_time(inner)
        {
            return Ok((rest, t));
        }
        Ok((rest, Timestamp::Rfc3339(t)))
    } else {
        syslog_time(i)
    }
}

/// True when a program tag belongs to Postfix: its first `/` component starts with
/// `postfix` (any instance or `syslog_name`), or it is Zimbra's `/postfix-script`.
fn is_postfix_program(tag: &str) -> bool {
    tag.starts_with("postfix") || tag.starts_with("/postfix")
}

/// Splits `tag[pid]: ` / `tag[pid] ` / `tag: ` at the start of `i`.
fn program(i: &str) -> Option<(&str, Option<u32>, &str)> {
    let end = first_tag_end(i.as_bytes())?;
    program_at(i, end)
}

/// The bytes that end a program tag (and, for a space, a host name).
fn is_tag_end(c: u8) -> bool {
    matches!(c, b'[' | b':' | b' ')
}

/// The position of the first byte of `b` that [`is_tag_end`], eight bytes at a time: the
/// host and the program tag (`postfix/submission/smtpd`) are scanned on every line, and
/// a byte loop spends about seven instructions a byte on them.
fn first_tag_end(b: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The bytes of `x` equal to `c`, flagged in their high bit. A flag above a true match
    // may be false (the subtraction's borrow), but the lowest flag is always a match, and
    // only the lowest is used.
    let equal = |x: u64, c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGHS
    };
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        let found = equal(x, b'[') | equal(x, b':') | equal(x, b' ');
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder().iter().position(|&c| is_tag_end(c));
    tail.map(|p| at + p)
}

/// The pid at the start of `r` and the position of the first `]`, which must follow it:
/// what `r[..close].parse::<u32>()` accepts (an optional `+`, then digits, within
/// `u32`), read in the same pass that finds `close`.
fn pid(r: &str) -> Option<(u32, usize)> {
    let b = r.as_bytes();
    let start = usize::from(b.first() == Some(&b'+'));
    let mut at = start;
    let mut value = 0u32;
    while let Some(&c) = b.get(at)
        && c.is_ascii_digit()
    {
        value = value.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
        at += 1;
    }
    let found = (at > start && b.get(at) == Some(&b']')).then_some((value, at));
    debug_assert_eq!(
        found,
        r.find(']')
            .and_then(|close| Some((r[..close].parse().ok()?, close)))
    );
    found
}

/// [`program`] with `end`, the first `[`, `:` or space of `i`, already found.
fn program_at(i: &str, end: usize) -> Option<(&str, Option<u32>, &str)> {
    let tag = &i[..end];
    if tag.is_empty() {
        return None;
    }
    let rest = &i[end..];
    if let Some(r) = rest.strip_prefix('[') {
        let (pid, close) = pid(r)?;
        let r = &r[close + 1..];
        let r = r.strip_prefix(':').unwrap_or(r);
        let r = r.strip_prefix(' ')?;
        Some((tag, Some(pid), r))
    } else if let Some(r) = rest.strip_prefix(": ") {
        Some((tag, None, r))
    } else if rest == ":" {
        Some((tag, None, ""))
    } else {
        None
    }
}

/// Parses the envelope of a non-empty line.
pub(crate) fn envelope(line: &str) -> Result<Envelope<'_>, Result<Skip, Malformed>> {
    envelope_at(line, true)
}

/// The envelope of a line; with `inner`, a Postfix line wrapped in another program's
/// message is looked for too (one level only).
fn envelope_at(line: &str, inner: bool) -> Result<Envelope<'_>, Result<Skip, Malformed>> {
    let (rest, time) = timestamp(line).map_err(|_| Err(Malformed::Timestamp))?;
    let rest = rest.strip_prefix(' ').ok_or(Err(Malformed::Header))?;
    let rest = rest.trim_start_matches(' ');
    // Either `host program[pid]: msg` or, with no host, `program[pid]: msg`. The first
    // token is a program tag (not a host) when it has a `[pid]` or ends in `:`, which is
    // exactly when `program` accepts it (a pid holds no space). When the first of `[`, `:`
    // and space is a space, the token is a host and that space ends it.
    // Tokens are short: a word-at-a-time loop beats `memchr`'s setup here.
    let delim = first_tag_end(rest.as_bytes());
    let tagged = match delim {
        Some(end) if rest.as_bytes()[end] != b' ' => program_at(rest, end),
        _ => None,
    };
    let (host, tagged) = match tagged {
        Some(p) => (None, p),
        None => {
            let sp = match delim {
                Some(end) if rest.as_bytes()[end] == b' ' => end,
                _ => memchr::memchr(b' ', rest.as_bytes()).ok_or(Err(Malformed::Header))?,
            };
            let host = &rest[..sp];
            let after = rest[sp..].trim_start_matches(' ');
            // Container images log a level where the host would be: `INFO    postfix/...`.
            let host = if is_level_word(host) && rest[sp..].starts_with("  ") {
                None
            } else {
                Some(host)
            };
            match program(after) {
                Some(p) => (host, p),
                None => return Err(Err(Malformed::Header)),
            }
        }
    };
    let (tag, pid, message) = tagged;
    if !is_postfix_program(tag) {
        // A container's output re-logged by the host (`docker[1]: May  2 20:56:17 host
        // postfix/smtp[2]: ...`): the inner line is the Postfix line.
        if inner
            && message
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
            && let Ok(found @ Envelope::Postfix(..)) = envelope_at(message, false)
        {
            return Ok(found);
        }
        return Ok(Envelope::Other);
    }
    Ok(Envelope::Postfix(
        Header {
            time,
            host,
            program: Program(tag),
            pid,
        },
        message,
    ))
}

fn is_level_word(s: &str) -> bool {
    matches!(
        s,
        "INFO" | "NOTICE" | "WARN" | "WARNING" | "ERROR" | "DEBUG"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_fractions_and_offsets() {
        for (s, want) in [
            (
                "2024-02-14T14:47:24.705153-08:00",
                "2024-02-14T14:47:24.705153-08:00",
            ),
            ("2021-02-28T11:58:36.591Z", "2021-02-28T11:58:36.591+00:00"),
            ("2021-02-06T10:57:57+01:00", "2021-02-06T10:57:57+01:00"),
            (
                "2024-07-03T17:18:06.604077805Z",
                "2024-07-03T17:18:06.604077805+00:00",
            ),
        ] {
            let (rest, t) = rfc3339(s).unwrap();
            assert_eq!(rest, "");
            assert_eq!(
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
                want
            );
        }
        assert!(rfc3339("2024-02-30T00:00:00Z").is_err());
    }

    #[test]
    fn syslog_day_paddings() {
        for s in ["Mar  5 13:59:15", "Mar 5 13:59:15", "Mar 05 13:59:15"] {
            let (_, t) = syslog_time(s).unwrap();
            assert_eq!(
                t,
                Timestamp::Syslog {
                    month: 3,
                    day: 5,
                    hour: 13,
                    minute: 59,
                    second: 15
                }
            );
        }
        assert!(syslog_time("Απρ 15 12:20:28 x").is_err());
    }

    #[test]
    fn tag_ends_are_found_at_every_offset() {
        for len in 0..20 {
            let mut line = "x".repeat(len);
            assert_eq!(first_tag_end(line.as_bytes()), None);
            for end in [" ", ":", "[", "]"] {
                line.truncate(len);
                line.push_str(end);
                line.push_str(" [:");
                let want = line.bytes().position(is_tag_end);
                assert_eq!(first_tag_end(line.as_bytes()), want, "{line:?}");
            }
        }
        // Bytes next to the wanted ones in value (a borrow must not fake a match).
        let near = "\u{1f}!9;Z\\\u{80}\u{ff}\0 ";
        assert_eq!(
            first_tag_end(near.as_bytes()),
            near.bytes().position(is_tag_end)
        );
    }

    #[test]
    fn pids_read_as_u32_parse_does() {
        for r in [
            "123]: x",
            "+7]",
            "+]",
            "]",
            "-1]",
            "12a]",
            "4294967295]",
            "4294967296]",
            "00000000000000000001]",
            "12",
            "1 2]",
            "",
        ] {
            let want = r
                .find(']')
                .and_then(|close| Some((r[..close].parse::<u32>().ok()?, close)));
            assert_eq!(pid(r), want, "{r:?}");
        }
    }
}
