//! Properties of the parser over generated input: it never panics, and every entry it
//! returns prints as a line that parses back to an equal entry.

use proptest::prelude::*;
use smtplog_core::parse::{Parsed, decode, parse_line};

/// Checks the round trip of whatever `line` parses to.
fn round_trips(line: &str) -> Result<(), TestCaseError> {
    if let Parsed::Entry(entry) = parse_line(line) {
        let shown = entry.to_string();
        match parse_line(&shown) {
            Parsed::Entry(again) => prop_assert_eq!(again, entry, "display: {}", shown),
            other => prop_assert!(false, "display {:?} parsed to {:?}", shown, other),
        }
    }
    Ok(())
}

/// Pieces of real lines, recombined at random, reach deep into the message grammar.
const HEADERS: &[&str] = &[
    "Jan 28 06:40:37 mail postfix/smtpd[15061]: ",
    "Mar  5 13:59:15 mx postfix-out/submission/smtpd[1]: ",
    "2024-02-14T14:47:24.705153-08:00 host postfix/qmgr[2]: ",
    "2021-02-28T11:58:36.591Z relay postfix/smtp[3]: ",
    "Nov 08 08:08:59 mx postfix-mx/content-filter/smtp[273144]: ",
    "2024-02-14T14:47:24+00:00 INFO    postfix/cleanup[4]: ",
    "Jan  1 00:00:00 h postfix/postscreen[5]: ",
    "Jan  1 00:00:00 h postfix/local[6]: ",
];

const BODIES: &[&str] = &[
    "8BD903012026: client=h-2bf83754162e1[224.73.110.132], sasl_method=PLAIN, sasl_username=user@example.com",
    "NOQUEUE: reject: RCPT from jurann.biz[77.95.228.43]: 554 5.7.1 Service unavailable; from=<a@b.c> to=<d@e.f> proto=ESMTP helo=<jurann.biz>",
    "A4C392432F: to=<kdent@seaglass.com>, relay=mail.seaglass.com[74.220.219.61]:25, delay=3, delays=0.51/0/2.2/0.3, dsn=5.0.0, status=bounced (host said: 550 (nested (parens)), commas)",
    "8BD903012026: from=<h-2c4a691bf4126f@h-51363726f1.com>, size=5652, nrcpt=1 (queue active)",
    "23EBE3D5C0: from=<x@y.z>, status=expired, returned to sender",
    "906F418067A: reject: header Subject: Yusuf from mail-yb1-f174.google.com[209.85.219.174]; from=<t@g.com> to=<u@v.tr> proto=ESMTP helo=<m>: 5.7.1 message content rejected",
    "warning: unknown[192.0.2.152]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin",
    "NOQUEUE: reject: RCPT from [155.63.95.6]:63966: 550 5.7.1 Service unavailable; from=<a@b.c>, to=<a@b.c>, proto=ESMTP, helo=<W>",
    "disconnect from unknown[11.22.33.44] ehlo=1 auth=8/14 mail=1 rcpt=0/1 data=0/1 rset=1 commands=3/19",
    "30461242EB: uid=0 from=<root>",
    "23EBE3D5C0: sender non-delivery notification: A7E673C067",
    "message repeated 2 times: [ 535721E1E6C: from=<user@mydomain.test>, size=3454, nrcpt=1 (queue active)]",
    "lost connection after DATA (7774180 bytes) from unknown[72.13.58.7]",
    "4F5C64474F: message-id=<>",
];

fn spliced() -> impl Strategy<Value = String> {
    (
        prop::sample::select(HEADERS),
        prop::sample::select(BODIES),
        0usize..200,
        0usize..200,
        "[ -~]{0,12}",
    )
        .prop_map(|(head, body, cut, at, noise)| {
            // Cut the body somewhere, splice printable noise in somewhere.
            let mut s = format!("{head}{body}");
            let cut = (head.len() + cut).min(s.len());
            let cut = (0..=cut)
                .rev()
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            s.truncate(cut.max(head.len().min(s.len())));
            let at = at.min(s.len());
            let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
            s.insert_str(at, &noise);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = decode(&bytes);
        let _ = parse_line(&text);
    }

    #[test]
    fn spliced_real_lines_never_panic_and_round_trip(line in spliced()) {
        round_trips(&line)?;
    }

    #[test]
    fn real_lines_with_any_field_text_round_trip(
        head in prop::sample::select(HEADERS),
        addr in "[a-zA-Z0-9._+=-]{1,12}@[a-z0-9.-]{1,12}",
        response in "[ -~]{0,60}",
    ) {
        // Responses may hold anything printable, parentheses and commas included.
        let line = format!(
            "{head}1A2B3C4D5E: to=<{addr}>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent ({response})"
        );
        round_trips(&line)?;
        let line = format!(
            "{head}NOQUEUE: reject: RCPT from pc[192.0.2.9]: 554 5.7.1 {response}; from=<{addr}> to=<{addr}> proto=ESMTP helo=<pc>"
        );
        round_trips(&line)?;
    }
}
