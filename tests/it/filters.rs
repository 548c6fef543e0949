//! Content filters of Postfix's three designs, each in the line orders a real Postfix
//! logs them: the hop line is not a record, the sender's message is counted once, and
//! the copy's deliveries carry the original client and SASL user. Every log is also
//! ingested split in two runs at every line, to show that what ties the two sides
//! survives between runs.

use std::io::Cursor;

use smtplog_core::ingest::{self, IngestOptions, IngestSummary, Input, Silent};
use smtplog_core::store::Store;

use crate::correlate::{ingest_into, rows};

/// The rows of `log` ingested in one run.
fn whole(log: &str) -> (Vec<String>, IngestSummary) {
    let mut store = Store::open_in_memory().expect("store");
    let summary = ingest_into(&mut store, &[log], 2024);
    (rows(&store), summary)
}

/// Checks `log`'s rows, in one run and split in two runs at every line.
#[track_caller]
fn check(log: &str, expected: &[&str]) -> IngestSummary {
    let (got, summary) = whole(log);
    assert_eq!(got, expected, "in one run");
    let ends: Vec<usize> = log.match_indices('\n').map(|(i, _)| i + 1).collect();
    for &at in &ends[..ends.len() - 1] {
        let mut store = Store::open_in_memory().expect("store");
        ingest_into(&mut store, &[&log[..at]], 2024);
        ingest_into(&mut store, &[&log[at..]], 2024);
        assert_eq!(rows(&store), expected, "split after byte {at}");
    }
    summary
}

// ---- after-queue SMTP filters -------------------------------------------------------------

/// The copy (982569B8167, named by XFORWARD) was delivered and removed before the
/// filter's answer to its origin (81C9D9B8165) was logged.
const XFORWARD_RACE: &str = "\
Mar  1 13:00:24 relay1 postfix/submission/smtpd[17851]: 81C9D9B8165: client=dsl-6.isp.example.net[192.0.2.6], sasl_method=PLAIN, sasl_username=someone@isp.example.net
Mar  1 13:00:24 relay1 postfix/cleanup[17852]: 81C9D9B8165: message-id=<m1@isp.example.net>
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 81C9D9B8165: from=<someone@isp.example.net>, size=20435, nrcpt=2 (queue active)
Mar  1 13:00:24 relay1 postfix/10025/smtpd[17859]: 982569B8167: client=localhost[127.0.0.1], orig_queue_id=81C9D9B8165, orig_client=dsl-6.isp.example.net[192.0.2.6]
Mar  1 13:00:24 relay1 postfix/cleanup[17852]: 982569B8167: message-id=<m1@isp.example.net>
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 982569B8167: from=<someone@isp.example.net>, size=20587, nrcpt=2 (queue active)
Mar  1 13:00:24 relay1 postfix/relay/smtp[17860]: 982569B8167: to=<ok5@example.edu>, relay=mx.example.edu[198.51.100.5]:25, delay=0.02, delays=0/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8992B81F68)
Mar  1 13:00:24 relay1 postfix/relay/smtp[17860]: 982569B8167: to=<ok3@example.edu>, relay=mx.example.edu[198.51.100.5]:25, delay=0.02, delays=0/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8992B81F68)
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 982569B8167: removed
Mar  1 13:00:24 relay1 postfix/scan/smtp[17857]: 81C9D9B8165: to=<ok5@example.edu>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.1, delays=0.01/0/0/0.09, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 982569B8167)
Mar  1 13:00:24 relay1 postfix/scan/smtp[17857]: 81C9D9B8165: to=<ok3@example.edu>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.1, delays=0.01/0/0/0.09, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 982569B8167)
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 81C9D9B8165: removed
";

const RACE_RECORDS: [&str; 3] = [
    "auth_rcv someone@isp.example.net 192.0.2.6 someone@isp.example.net - 81C9D9B8165@relay1/postfix",
    "sent someone@isp.example.net 192.0.2.6 someone@isp.example.net ok5@example.edu 982569B8167@relay1/postfix",
    "sent someone@isp.example.net 192.0.2.6 someone@isp.example.net ok3@example.edu 982569B8167@relay1/postfix",
];

#[test]
fn an_xforward_copy_removed_before_the_filter_answered_is_still_a_hop() {
    let summary = check(XFORWARD_RACE, &RACE_RECORDS);
    assert_eq!(summary.correlate.hops, 1);
    assert_eq!(summary.correlate.raced, 2);
}

#[test]
fn an_xforward_filter_on_another_host_is_a_hop_too() {
    // The filter runs on 10.0.0.5 and re-injects into this host: the answer's relay is
    // no loopback address, but the copy named its origin.
    let log = XFORWARD_RACE.replace(
        "relay=127.0.0.1[127.0.0.1]:10024",
        "relay=filter.example.edu[10.0.0.5]:10024",
    );
    check(&log, &RACE_RECORDS);
}

#[test]
fn a_copy_without_xforward_removed_before_the_filter_answered_is_a_hop() {
    let log = XFORWARD_RACE.replace(
        ", orig_queue_id=81C9D9B8165, orig_client=dsl-6.isp.example.net[192.0.2.6]",
        "",
    );
    let summary = check(&log, &RACE_RECORDS);
    assert_eq!(summary.correlate.hops, 1);
    assert_eq!(summary.correlate.raced, 2);
}

#[test]
fn a_late_answer_fixes_only_the_copy_not_a_later_message_with_its_queue_id() {
    // Without XFORWARD; after the answer the copy's queue ID is used again, by another
    // sender's message, in the same batch: the fix-up of the copy's stored records
    // stops where the copy left the queue.
    let log = XFORWARD_RACE.replace(
        ", orig_queue_id=81C9D9B8165, orig_client=dsl-6.isp.example.net[192.0.2.6]",
        "",
    );
    let reuse = "\
Mar  1 13:00:25 relay1 postfix/smtpd[17870]: 982569B8167: client=pc9.example.edu[192.0.2.9]
Mar  1 13:00:25 relay1 postfix/qmgr[17798]: 982569B8167: from=<dave@example.edu>, size=100, nrcpt=1 (queue active)
Mar  1 13:00:26 relay1 postfix/smtp[17871]: 982569B8167: to=<x@remote.example>, relay=mx.remote.example[198.51.100.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)
Mar  1 13:00:26 relay1 postfix/qmgr[17798]: 982569B8167: removed
";
    check(
        &format!("{log}{reuse}"),
        &[
            RACE_RECORDS[0],
            RACE_RECORDS[1],
            RACE_RECORDS[2],
            "sent dave@example.edu 192.0.2.9 - x@remote.example 982569B8167@relay1/postfix",
        ],
    );
}

#[test]
fn a_loopback_next_hop_whose_queue_id_never_appears_here_is_a_delivery() {
    check(
        "\
Mar  1 13:00:24 relay1 postfix/smtpd[17851]: 81C9D9B8165: client=pc6.example.edu[192.0.2.6]
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 81C9D9B8165: from=<dave@example.edu>, size=20435, nrcpt=1 (queue active)
Mar  1 13:00:24 relay1 postfix/smtp[17860]: 81C9D9B8165: to=<ok5@example.edu>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays=0/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8992B81F68)
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 81C9D9B8165: removed
",
        &["sent dave@example.edu 192.0.2.6 - ok5@example.edu 81C9D9B8165@relay1/postfix"],
    );
}

#[test]
fn a_message_that_left_before_the_origin_arrived_is_not_its_copy() {
    // 8992B81F68 was a message of this host, gone before 81C9D9B8165 was submitted; the
    // loopback next hop's ID equals it by chance.
    check(
        "\
Mar  1 13:00:20 relay1 postfix/smtpd[17850]: 8992B81F68: client=localhost[127.0.0.1]
Mar  1 13:00:20 relay1 postfix/qmgr[17798]: 8992B81F68: from=<erin@example.edu>, size=100, nrcpt=1 (queue active)
Mar  1 13:00:20 relay1 postfix/smtp[17860]: 8992B81F68: to=<y@remote.example>, relay=mx.remote.example[198.51.100.9]:25, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 ok)
Mar  1 13:00:20 relay1 postfix/qmgr[17798]: 8992B81F68: removed
Mar  1 13:00:24 relay1 postfix/smtpd[17851]: 81C9D9B8165: client=pc6.example.edu[192.0.2.6]
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 81C9D9B8165: from=<dave@example.edu>, size=20435, nrcpt=1 (queue active)
Mar  1 13:00:24 relay1 postfix/smtp[17860]: 81C9D9B8165: to=<ok5@example.edu>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays=0/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8992B81F68)
Mar  1 13:00:24 relay1 postfix/qmgr[17798]: 81C9D9B8165: removed
",
        &[
            "sent erin@example.edu 127.0.0.1 - y@remote.example 8992B81F68@relay1/postfix",
            "sent dave@example.edu 192.0.2.6 - ok5@example.edu 81C9D9B8165@relay1/postfix",
        ],
    );
}

// ---- pipe filters -------------------------------------------------------------------------

/// Postfix's simple content filter: `pfilter` pipes the message to a script that
/// re-submits it with `sendmail`; the copy comes back through pickup after the pipe line.
const PIPE: &str = "\
Mar  1 14:19:53 relay1 postfix/submission/smtpd[3593]: 98A249C02D1: client=ws02.example.edu[192.0.2.2], sasl_method=PLAIN, sasl_username=bob@example.edu
Mar  1 14:19:53 relay1 postfix/cleanup[3596]: 98A249C02D1: message-id=<p1@example.edu>
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: from=<bob@example.edu>, size=2059, nrcpt=2 (queue active)
Mar  1 14:19:53 relay1 postfix/pipe[3598]: 98A249C02D1: to=<ok3@example.org>, relay=pfilter, delay=0.04, delays=0.01/0.01/0/0.02, dsn=2.0.0, status=sent (delivered via pfilter service)
Mar  1 14:19:53 relay1 postfix/pipe[3598]: 98A249C02D1: to=<bad1@example.org>, relay=pfilter, delay=0.04, delays=0.01/0.01/0/0.02, dsn=2.0.0, status=sent (delivered via pfilter service)
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: removed
Mar  1 14:19:53 relay1 postfix/pickup[3536]: A1B7D9C02D3: uid=65534 from=<bob@example.edu>
Mar  1 14:19:53 relay1 postfix/cleanup[3596]: A1B7D9C02D3: message-id=<p1@example.edu>
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: A1B7D9C02D3: from=<bob@example.edu>, size=2178, nrcpt=2 (queue active)
Mar  1 14:19:54 relay1 postfix/smtp[3602]: A1B7D9C02D3: to=<ok3@example.org>, relay=mx.example.org[198.51.100.3]:25, delay=0.2, delays=0/0.01/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9D0CDA0896)
Mar  1 14:19:54 relay1 postfix/smtp[3602]: A1B7D9C02D3: to=<bad1@example.org>, relay=mx.example.org[198.51.100.3]:25, delay=0.2, delays=0/0.01/0.1/0.1, dsn=5.1.1, status=bounced (host mx.example.org[198.51.100.3] said: 550 5.1.1 No such user (in reply to RCPT TO command))
Mar  1 14:19:54 relay1 postfix/qmgr[3537]: A1B7D9C02D3: removed
";

const PIPE_RECORDS: [&str; 3] = [
    "auth_rcv bob@example.edu 192.0.2.2 bob@example.edu - 98A249C02D1@relay1/postfix",
    "sent bob@example.edu 192.0.2.2 bob@example.edu ok3@example.org A1B7D9C02D3@relay1/postfix",
    "bounced bob@example.edu 192.0.2.2 bob@example.edu bad1@example.org A1B7D9C02D3@relay1/postfix",
];

#[test]
fn a_pipe_filter_whose_copy_comes_back_after_the_pipe_line_is_a_hop() {
    let summary = check(PIPE, &PIPE_RECORDS);
    // Both pipe deliveries were stored before the copy came back, then taken back.
    assert_eq!(summary.correlate.retracted, 2);
    assert_eq!(summary.correlate.hops, 1);
}

#[test]
fn a_pipe_filter_whose_copy_was_delivered_before_the_pipe_line_is_a_hop() {
    // The script's sendmail returned, pickup and the delivery agents were quicker than
    // pipe's own log line: the copy's whole life comes first.
    let lines: Vec<&str> = PIPE.lines().collect();
    let reordered: Vec<&str> = lines[..3]
        .iter()
        .chain(&lines[6..11])
        .chain(&lines[3..6])
        .chain(&lines[11..])
        .copied()
        .collect();
    let log = reordered.join("\n") + "\n";
    let summary = check(&log, &PIPE_RECORDS);
    assert_eq!(summary.correlate.retracted, 0);
}

#[test]
fn a_pipe_delivery_that_never_comes_back_is_a_delivery() {
    // A ticket system behind a pipe transport: nothing is re-submitted.
    check(
        "\
Mar  1 14:19:53 relay1 postfix/smtpd[3593]: 98A249C02D1: client=ws02.example.edu[192.0.2.2]
Mar  1 14:19:53 relay1 postfix/cleanup[3596]: 98A249C02D1: message-id=<p1@example.edu>
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: from=<bob@example.edu>, size=2059, nrcpt=1 (queue active)
Mar  1 14:19:53 relay1 postfix/pipe[3598]: 98A249C02D1: to=<help@example.edu>, relay=rt, delay=0.04, delays=0.01/0.01/0/0.02, dsn=2.0.0, status=sent (delivered via rt service)
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: removed
Mar  1 14:20:10 relay1 postfix/pickup[3536]: A1B7D9C02D3: uid=33 from=<bob@example.edu>
Mar  1 14:20:10 relay1 postfix/cleanup[3596]: A1B7D9C02D3: message-id=<other@example.edu>
Mar  1 14:20:10 relay1 postfix/qmgr[3537]: A1B7D9C02D3: from=<bob@example.edu>, size=2178, nrcpt=1 (queue active)
Mar  1 14:20:10 relay1 postfix/smtp[3602]: A1B7D9C02D3: to=<ok3@example.org>, relay=mx.example.org[198.51.100.3]:25, delay=0.2, delays=0/0.01/0.1/0.1, dsn=2.0.0, status=sent (250 ok)
Mar  1 14:20:10 relay1 postfix/qmgr[3537]: A1B7D9C02D3: removed
",
        &[
            "sent bob@example.edu 192.0.2.2 - help@example.edu 98A249C02D1@relay1/postfix",
            "sent bob@example.edu 127.0.0.1 - ok3@example.org A1B7D9C02D3@relay1/postfix",
        ],
    );
}

#[test]
fn a_transport_named_as_a_filter_is_a_hop_at_once() {
    // The filter discards the message: no copy comes back, and nothing was delivered.
    let log = "\
Mar  1 14:19:53 relay1 postfix/smtpd[3593]: 98A249C02D1: client=ws02.example.edu[192.0.2.2]
Mar  1 14:19:53 relay1 postfix/cleanup[3596]: 98A249C02D1: message-id=<p1@example.edu>
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: from=<bob@example.edu>, size=2059, nrcpt=1 (queue active)
Mar  1 14:19:53 relay1 postfix/pipe[3598]: 98A249C02D1: to=<ok3@example.org>, relay=pfilter, delay=0.04, delays=0.01/0.01/0/0.02, dsn=2.0.0, status=sent (delivered via pfilter service)
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: removed
";
    let mut store = Store::open_in_memory().expect("store");
    let mut options = IngestOptions::new(chrono_tz::UTC);
    options.year = Some(2024);
    options.filter_transports = vec!["pfilter".to_string()];
    let input = Input {
        name: "named".to_string(),
        reader: Box::new(Cursor::new(log.as_bytes().to_vec())),
        complete: true,
        ends_near: (2024, 12),
    };
    ingest::ingest(&mut store, vec![input], &options, &mut Silent).expect("ingest");
    assert!(rows(&store).is_empty(), "{:?}", rows(&store));
    // Without the name it is a delivery.
    let (got, _) = whole(log);
    assert_eq!(got.len(), 1);
}

// ---- before-queue filters -----------------------------------------------------------------

/// `smtpd_proxy_filter` on the submission service: the session is logged by the front
/// smtpd (no queue ID), the queue ID is born behind the filter, and `proxy-accept` ties
/// them after the new message was queued. One smtpd process serves two sessions in turn.
const PROXY: &str = "\
Mar  1 13:53:06 relay1 postfix/submission/smtpd[6459]: connect from ws02.example.edu[192.0.2.2]
Mar  1 13:53:06 relay1 postfix/submission/smtpd[6459]: NOQUEUE: client=ws02.example.edu[192.0.2.2], sasl_method=CRAM-MD5, sasl_username=alice@example.edu
Mar  1 13:53:06 relay1 postfix/10025/smtpd[6445]: D36C79C02C4: client=localhost[127.0.0.1], orig_client=ws02.example.edu[192.0.2.2]
Mar  1 13:53:06 relay1 postfix/cleanup[6446]: D36C79C02C4: message-id=<q1@example.edu>
Mar  1 13:53:06 relay1 postfix/qmgr[6400]: D36C79C02C4: from=<alice@example.edu>, size=1696, nrcpt=1 (queue active)
Mar  1 13:53:06 relay1 postfix/submission/smtpd[6459]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as D36C79C02C4; from=<alice@example.edu> to=<ok3@example.org> proto=ESMTP helo=<ws.example.edu> sasl_username=<alice@example.edu>
Mar  1 13:53:06 relay1 postfix/submission/smtpd[6459]: disconnect from ws02.example.edu[192.0.2.2] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8
Mar  1 13:53:07 relay1 postfix/smtp[6447]: D36C79C02C4: to=<ok3@example.org>, relay=mx.example.org[198.51.100.3]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 ok)
Mar  1 13:53:07 relay1 postfix/qmgr[6400]: D36C79C02C4: removed
Mar  1 13:53:08 relay1 postfix/submission/smtpd[6459]: connect from ws03.example.edu[192.0.2.3]
Mar  1 13:53:08 relay1 postfix/submission/smtpd[6459]: NOQUEUE: client=ws03.example.edu[192.0.2.3], sasl_method=PLAIN, sasl_username=carol@example.edu
Mar  1 13:53:08 relay1 postfix/10025/smtpd[6445]: E47D8AD03D5: client=localhost[127.0.0.1], orig_client=ws03.example.edu[192.0.2.3]
Mar  1 13:53:08 relay1 postfix/cleanup[6446]: E47D8AD03D5: message-id=<q2@example.edu>
Mar  1 13:53:08 relay1 postfix/qmgr[6400]: E47D8AD03D5: from=<noreply@example.edu>, size=1696, nrcpt=1 (queue active)
Mar  1 13:53:08 relay1 postfix/smtp[6447]: E47D8AD03D5: to=<ok4@example.org>, relay=mx.example.org[198.51.100.3]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 ok)
Mar  1 13:53:08 relay1 postfix/qmgr[6400]: E47D8AD03D5: removed
Mar  1 13:53:09 relay1 postfix/submission/smtpd[6459]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as E47D8AD03D5; from=<noreply@example.edu> to=<ok4@example.org> proto=ESMTP helo=<ws.example.edu> sasl_username=<carol@example.edu>
";

#[test]
fn a_before_queue_filter_gives_the_new_queue_id_the_session_s_client_and_login() {
    // alice: proxy-accept after her message was queued. carol logged in but sent as
    // noreply@: proxy-accept came only after the message had left the queue; the
    // records are hers by login.
    let summary = check(
        PROXY,
        &[
            "auth_rcv alice@example.edu 192.0.2.2 alice@example.edu - D36C79C02C4@relay1/postfix",
            "sent alice@example.edu 192.0.2.2 alice@example.edu ok3@example.org D36C79C02C4@relay1/postfix",
            "sent noreply@example.edu 192.0.2.3 carol@example.edu ok4@example.org E47D8AD03D5@relay1/postfix",
            "auth_rcv noreply@example.edu 192.0.2.3 carol@example.edu - E47D8AD03D5@relay1/postfix",
        ],
    );
    assert_eq!(summary.correlate.hops, 2);
}

#[test]
fn a_proxy_accept_logged_before_the_new_message_waits_for_it() {
    let lines: Vec<&str> = PROXY.lines().take(9).collect();
    // proxy-accept (line 6) first, then the back-end's lines.
    let reordered: Vec<&str> = [0, 1, 5, 2, 3, 4, 6, 7, 8]
        .iter()
        .map(|&i| lines[i])
        .collect();
    check(
        &(reordered.join("\n") + "\n"),
        &[
            "auth_rcv alice@example.edu 192.0.2.2 alice@example.edu - D36C79C02C4@relay1/postfix",
            "sent alice@example.edu 192.0.2.2 alice@example.edu ok3@example.org D36C79C02C4@relay1/postfix",
        ],
    );
}

#[test]
fn a_proxy_reject_repeating_the_back_end_s_refusal_is_counted_once() {
    check(
        "\
Mar  1 14:20:11 relay1 postfix/smtpd[3380]: NOQUEUE: client=unknown[192.0.2.7]
Mar  1 14:20:11 relay1 postfix/10025/smtpd[3388]: 8255898C316: client=localhost[127.0.0.1], orig_client=unknown[192.0.2.7]
Mar  1 14:20:11 relay1 postfix/cleanup[3389]: 8255898C316: reject: header Subject: [SPAM] hi from unknown[192.0.2.7]; from=<promo@deals.example.biz> to=<ok5@example.edu> proto=ESMTP helo=<mail.deals.example.biz>: 5.7.1 message content rejected
Mar  1 14:20:11 relay1 postfix/smtpd[3380]: proxy-reject: END-OF-MESSAGE: 550 5.7.1 message content rejected; from=<promo@deals.example.biz> to=<ok5@example.edu> proto=ESMTP helo=<mail.deals.example.biz>
Mar  1 14:20:11 relay1 postfix/smtpd[3380]: disconnect from unknown[192.0.2.7] ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5
",
        &["auth_blk promo@deals.example.biz 192.0.2.7 - ok5@example.edu 8255898C316@relay1/postfix"],
    );
}

#[test]
fn a_hop_whose_new_message_never_came_is_not_given_to_a_later_one() {
    // proxy-accept names E47D8AD03D5, which this log never shows (the filter's back end
    // logs elsewhere); half an hour later the ID is another message's.
    check(
        "\
Mar  1 13:53:08 relay1 postfix/submission/smtpd[6459]: NOQUEUE: client=ws03.example.edu[192.0.2.3], sasl_method=PLAIN, sasl_username=carol@example.edu
Mar  1 13:53:09 relay1 postfix/submission/smtpd[6459]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as E47D8AD03D5; from=<carol@example.edu> to=<ok4@example.org> proto=ESMTP helo=<ws.example.edu> sasl_username=<carol@example.edu>
Mar  1 14:23:08 relay1 postfix/smtpd[6460]: E47D8AD03D5: client=pc9.example.edu[192.0.2.9]
Mar  1 14:23:08 relay1 postfix/qmgr[6400]: E47D8AD03D5: from=<dave@example.edu>, size=1696, nrcpt=1 (queue active)
Mar  1 14:23:08 relay1 postfix/smtp[6447]: E47D8AD03D5: to=<ok4@example.org>, relay=mx.example.org[198.51.100.3]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 ok)
Mar  1 14:23:08 relay1 postfix/qmgr[6400]: E47D8AD03D5: removed
",
        &["sent dave@example.edu 192.0.2.9 - ok4@example.org E47D8AD03D5@relay1/postfix"],
    );
}
