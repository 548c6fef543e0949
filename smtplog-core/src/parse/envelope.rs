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
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(fail)?;
    let naive = date
        .and_hms_nano_opt(hour, minute, second.min(59), nanos)
        .ok_or_else(fail)?;
    let t = offset
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(fail)?;
    Ok((i, t))
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

/// `Mmm dd hh:mm:ss` with the day space-padded, zero-padded or bare.
fn syslog_time(i: &str) -> IResult<&str, Timestamp> {
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
        let (rest, t) = rfc3339(i)?;
        // A container runtime's prefix before a whole syslog line: use the inner line.
        if let Some(inner) = rest.strip_prefix(' ')
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
    let end = i.find(['[', ':', ' '])?;
    let tag = &i[..end];
    if tag.is_empty() {
        return None;
    }
    let rest = &i[end..];
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']')?;
        let pid = r[..close].parse::<u32>().ok()?;
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
    // Either `host program[pid]: msg` or, with no host, `program[pid]: msg`.
    let (host, tagged) = match program(rest) {
        Some(p) if looks_like_program_token(rest) => (None, p),
        _ => {
            let sp = rest.find(' ').ok_or(Err(Malformed::Header))?;
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

/// The first token is a program tag (not a host) when it has a `[pid]` or ends in `:`.
fn looks_like_program_token(s: &str) -> bool {
    let tok = s.split(' ').next().unwrap_or(s);
    tok.ends_with(':') || (tok.contains('[') && tok.contains(']'))
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
}
