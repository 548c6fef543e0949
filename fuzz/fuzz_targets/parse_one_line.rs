//! Fuzzes the parser one line at a time: any bytes, decoded as the ingest path decodes
//! them, must parse without panicking, and an entry must print as a line that parses back
//! to itself. One line per input keeps each run short (many runs a second).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtplog_core::parse::{Parsed, decode, parse_line};

fuzz_target!(|data: &[u8]| {
    if data.contains(&b'\n') {
        return;
    }
    let text = decode(data);
    if let Parsed::Entry(entry) = parse_line(&text) {
        let shown = entry.to_string();
        match parse_line(&shown) {
            Parsed::Entry(again) => assert_eq!(again, entry, "display: {shown}"),
            other => panic!("display {shown:?} parsed to {other:?}"),
        }
    }
});
