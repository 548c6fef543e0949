//! Fuzzes the parser: any bytes, decoded as the ingest path decodes them, must parse
//! without panicking, and any entry must print as a line that parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtplog_core::parse::{Parsed, decode, parse_line};

fuzz_target!(|data: &[u8]| {
    for raw in data.split(|b| *b == b'\n') {
        let text = decode(raw);
        if let Parsed::Entry(entry) = parse_line(&text) {
            let shown = entry.to_string();
            match parse_line(&shown) {
                Parsed::Entry(again) => assert_eq!(again, entry, "display: {shown}"),
                other => panic!("display {shown:?} parsed to {other:?}"),
            }
        }
    }
});
