//! The parser's behaviour on real lines, one `check(line, expected)` per case.
//!
//! `expected` is the compact form `describe` writes: the event kind, then each field as
//! `name=value` separated by ` | `; or `skipped`, `unrecognized`, `malformed: REASON`.
//! Every line comes from a public log (see tests/fixtures/corpus/SOURCES.md).

use smtplog_core::parse::{Parsed, parse_line};

/// The compact description of what a line parses to.
pub(crate) fn describe(line: &str) -> String {
    match parse_line(line) {
        Parsed::Entry(entry) => {
            let mut out = entry.event.kind().to_string();
            for (name, value) in entry.event.fields() {
                out.push_str(" | ");
                out.push_str(name);
                out.push('=');
                out.push_str(value);
            }
            if entry.repeat > 1 {
                out.push_str(&format!(" | repeat={}", entry.repeat));
            }
            out
        }
        Parsed::Unrecognized { .. } => "unrecognized".to_string(),
        Parsed::Skipped(_) => "skipped".to_string(),
        Parsed::Malformed(why) => format!("malformed: {why}"),
    }
}

/// Parses `line`, compares with `expected`, and checks that the entry's `Display` form
/// parses back to the same entry.
#[track_caller]
fn check(line: &str, expected: &str) {
    assert_eq!(describe(line), expected, "line: {line}");
    if let Parsed::Entry(entry) = parse_line(line) {
        let shown = entry.to_string();
        match parse_line(&shown) {
            Parsed::Entry(again) => assert_eq!(again, entry, "display: {shown}"),
            other => panic!("display form {shown:?} parsed to {other:?}"),
        }
    }
}

#[test]
fn smtpd_connections() {
    check(
        "Jan 25 20:17:06 mx postfix/smtpd[3946]: connect from unknown[224.93.112.97]",
        "connect | client_name=unknown | client_addr=224.93.112.97",
    );
}
