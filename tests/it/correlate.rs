//! The correlator's rules, each on a small hand-written log, through the real ingest path
//! (parse, correlate, SQLite store in a temporary file).

use std::io::Cursor;

use smtplog_core::ingest::{self, IngestOptions, IngestSummary, Input, Silent};
use smtplog_core::store::Store;

/// Ingests `logs` (one input each, in order) in one run into `store`.
pub(crate) fn ingest_into(store: &mut Store, logs: &[&str], year: i32) -> IngestSummary {
    let inputs = logs
        .iter()
        .enumerate()
        .map(|(i, text)| Input {
            name: format!("input{i}"),
            reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
            complete: true,
            ends_near: (year, 12),
        })
        .collect();
    let mut options = IngestOptions::new(chrono_tz::UTC);
    options.year = Some(year);
    ingest::ingest(store, inputs, &options, &mut Silent).expect("ingest")
}

/// Every stored record as one line: `status sender ip sasl rcpt(orig) queue_id [orphan]`.
pub(crate) fn rows(store: &Store) -> Vec<String> {
    store
        .all_records()
        .expect("records")
        .into_iter()
        .map(|s| {
            let r = s.record;
            let o = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
            let mut row = format!(
                "{} {} {} {} {}",
                r.status,
                o(&r.sender),
                o(&r.sender_ip),
                o(&r.sasl_user),
                o(&r.recipient)
            );
            if let Some(orig) = &r.orig_recipient {
                row.push_str(&format!("({orig})"));
            }
            row.push_str(&format!(" {}@{}/{}", r.queue_id, r.smtp_relay, r.instance));
            if r.orphan {
                row.push_str(" orphan");
            }
            row
        })
        .collect()
}

fn run(logs: &[&str]) -> (Vec<String>, IngestSummary) {
    let mut store = Store::open_in_memory().expect("store");
    let summary = ingest_into(&mut store, logs, 2024);
    (rows(&store), summary)
}

#[track_caller]
fn check(log: &str, expected: &[&str]) -> IngestSummary {
    let (got, summary) = run(&[log]);
    assert_eq!(got, expected);
    summary
}

#[test]
fn a_retried_message_is_counted_once_and_each_attempt_is_a_record() {
    check(
        "\
Mar  1 10:00:00 relay1 postfix/submission/smtpd[10]: 1A2B3C4D5E: client=pc1.example.edu[192.0.2.10], sasl_method=PLAIN, sasl_username=alice@example.edu
Mar  1 10:00:00 relay1 postfix/cleanup[11]: 1A2B3C4D5E: message-id=<m1@example.edu>
Mar  1 10:00:01 relay1 postfix/qmgr[12]: 1A2B3C4D5E: from=<Alice@Example.edu>, size=1000, nrcpt=2 (queue active)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 1A2B3C4D5E: to=<bob@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 99999)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 1A2B3C4D5E: to=<carol@busy.example>, relay=mx.busy.example[198.51.100.2]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=4.7.1, status=deferred (host mx.busy.example[198.51.100.2] said: 451 4.7.1 Try again later (in reply to RCPT TO command))
Mar  1 10:30:01 relay1 postfix/qmgr[12]: 1A2B3C4D5E: from=<alice@example.edu>, size=1000, nrcpt=2 (queue active)
Mar  1 10:30:02 relay1 postfix/smtp[13]: 1A2B3C4D5E: to=<carol@busy.example>, relay=mx.busy.example[198.51.100.2]:25, delay=1801, delays=1800/0/0.5/0.4, dsn=2.0.0, status=sent (250 Ok)
Mar  1 10:30:02 relay1 postfix/qmgr[12]: 1A2B3C4D5E: removed
",
        &[
            "auth_rcv alice@example.edu 192.0.2.10 alice@example.edu - 1A2B3C4D5E@relay1/postfix",
            "sent alice@example.edu 192.0.2.10 alice@example.edu bob@remote.example 1A2B3C4D5E@relay1/postfix",
            "deferred alice@example.edu 192.0.2.10 alice@example.edu carol@busy.example 1A2B3C4D5E@relay1/postfix",
            "sent alice@example.edu 192.0.2.10 alice@example.edu carol@busy.example 1A2B3C4D5E@relay1/postfix",
        ],
    );
}

#[test]
fn expiry_makes_one_record_per_recipient_still_deferred_with_its_last_reason() {
    let mut store = Store::open_in_memory().unwrap();
    ingest_into(
        &mut store,
        &["\
Mar  1 10:00:00 relay1 postfix/smtpd[10]: 2B3C4D5E6F: client=pc2.example.edu[192.0.2.11]
Mar  1 10:00:01 relay1 postfix/qmgr[12]: 2B3C4D5E6F: from=<dave@example.edu>, size=500, nrcpt=3 (queue active)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 2B3C4D5E6F: to=<x@slow.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to slow.example[203.0.113.5]:25: Connection timed out)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 2B3C4D5E6F: to=<y@slow.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to slow.example[203.0.113.5]:25: Connection timed out)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 2B3C4D5E6F: to=<z@fine.example>, relay=mx.fine.example[203.0.113.9]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)
Mar  3 10:00:02 relay1 postfix/smtp[13]: 2B3C4D5E6F: to=<x@slow.example>, relay=mx.slow.example[203.0.113.5]:25, delay=172801, delays=172800/0/0.5/0.5, dsn=4.7.0, status=deferred (host mx.slow.example[203.0.113.5] said: 450 4.7.0 greylisted (in reply to RCPT TO command))
Mar  6 10:00:05 relay1 postfix/qmgr[12]: 2B3C4D5E6F: from=<dave@example.edu>, status=expired, returned to sender
Mar  6 10:00:05 relay1 postfix/bounce[14]: 2B3C4D5E6F: sender non-delivery notification: 3C4D5E6F7A
Mar  6 10:00:05 relay1 postfix/qmgr[12]: 3C4D5E6F7A: from=<>, size=2000, nrcpt=1 (queue active)
Mar  6 10:00:06 relay1 postfix/local[15]: 3C4D5E6F7A: to=<dave@example.edu>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)
Mar  6 10:00:06 relay1 postfix/qmgr[12]: 3C4D5E6F7A: removed
Mar  6 10:00:06 relay1 postfix/qmgr[12]: 2B3C4D5E6F: removed
"],
        2024,
    );
    let records = store.all_records().unwrap();
    let expired: Vec<_> = records
        .iter()
        .map(|s| &s.record)
        .filter(|r| r.status.as_str() == "expired")
        .map(|r| {
            (
                r.recipient.clone().unwrap(),
                r.dsn.clone().unwrap(),
                r.response.clone().unwrap(),
                r.time.to_rfc3339(),
            )
        })
        .collect();
    assert_eq!(
        expired,
        vec![
            (
                "x@slow.example".to_string(),
                "4.7.0".to_string(),
                "host mx.slow.example[203.0.113.5] said: 450 4.7.0 greylisted (in reply to RCPT TO command)".to_string(),
                "2024-03-06T10:00:05+00:00".to_string()
            ),
            (
                "y@slow.example".to_string(),
                "4.4.1".to_string(),
                "connect to slow.example[203.0.113.5]:25: Connection timed out".to_string(),
                "2024-03-06T10:00:05+00:00".to_string()
            ),
        ]
    );
    // The non-delivery notice (from=<>) is nobody's record.
    assert!(
        records
            .iter()
            .all(|s| s.record.sender.as_deref() == Some("dave@example.edu"))
    );
    assert_eq!(records.len(), 6);
}

const CONTENT_FILTER: &str = "\
Jan 28 06:40:37 mail postfix/submission/smtpd[15061]: 8BD903012026: client=h-2bf83754162e1[224.73.110.132], sasl_method=LOGIN, sasl_username=erin@example.edu
Jan 28 06:40:37 mail postfix/cleanup[15068]: 8BD903012026: message-id=<h-e13b9e@example.edu>
Jan 28 06:40:37 mail postfix/qmgr[1789]: 8BD903012026: from=<erin@example.edu>, size=5652, nrcpt=1 (queue active)
Jan 28 06:40:37 mail postfix/smtpd[15071]: BF76C3012027: client=localhost[127.0.0.1], orig_queue_id=8BD903012026, orig_client=h-2bf83754162e1[224.73.110.132]
Jan 28 06:40:37 mail postfix/cleanup[15068]: BF76C3012027: message-id=<h-e13b9e@example.edu>
Jan 28 06:40:37 mail postfix/qmgr[1789]: BF76C3012027: from=<erin@example.edu>, size=6270, nrcpt=1 (queue active)
Jan 28 06:40:37 mail postfix/smtp[15069]: 8BD903012026: to=<frank@remote.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.3, delays=0.07/0/0/0.23, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as BF76C3012027)
Jan 28 06:40:37 mail postfix/qmgr[1789]: 8BD903012026: removed
Jan 28 06:40:38 mail postfix/smtp[15072]: BF76C3012027: to=<frank@remote.example>, relay=mx.remote.example[198.51.100.7]:25, delay=0.6, delays=0/0/0.3/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4A5B6C)
Jan 28 06:40:38 mail postfix/qmgr[1789]: BF76C3012027: removed
";

#[test]
fn a_content_filter_hop_is_followed_and_is_not_a_record() {
    let summary = check(
        CONTENT_FILTER,
        &[
            "auth_rcv erin@example.edu 224.73.110.132 erin@example.edu - 8BD903012026@mail/postfix",
            "sent erin@example.edu 224.73.110.132 erin@example.edu frank@remote.example BF76C3012027@mail/postfix",
        ],
    );
    assert_eq!(summary.correlate.hops, 1);
}

/// A content-filter hop without XFORWARD: the new message's lines, even its delivery,
/// come before the hop line (the line that starts `LATE_HOP_LINE`).
const LATE_HOP: &str = "\
Jan 28 06:40:37 mail postfix/submission/smtpd[15061]: 8BD903012026: client=pc[192.0.2.20], sasl_method=LOGIN, sasl_username=erin@example.edu
Jan 28 06:40:37 mail postfix/qmgr[1789]: 8BD903012026: from=<erin@example.edu>, size=5652, nrcpt=1 (queue active)
Jan 28 06:40:37 mail postfix/smtpd[15071]: BF76C3012027: client=localhost[127.0.0.1]
Jan 28 06:40:37 mail postfix/qmgr[1789]: BF76C3012027: from=<erin@example.edu>, size=6270, nrcpt=1 (queue active)
Jan 28 06:40:38 mail postfix/smtp[15072]: BF76C3012027: to=<frank@remote.example>, relay=mx.remote.example[198.51.100.7]:25, delay=0.6, delays=0/0/0.3/0.3, dsn=2.0.0, status=sent (250 ok)
Jan 28 06:40:38 mail postfix/smtp[15069]: 8BD903012026: to=<frank@remote.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.3, delays=0.07/0/0/0.23, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as BF76C3012027)
Jan 28 06:40:38 mail postfix/qmgr[1789]: 8BD903012026: removed
Jan 28 06:40:38 mail postfix/qmgr[1789]: BF76C3012027: removed
";
const LATE_HOP_LINE: &str = "Jan 28 06:40:38 mail postfix/smtp[15069]:";

/// The records of `LATE_HOP`: the copy's delivery has the origin's client and SASL user.
const LATE_HOP_RECORDS: [&str; 2] = [
    "auth_rcv erin@example.edu 192.0.2.20 erin@example.edu - 8BD903012026@mail/postfix",
    "sent erin@example.edu 192.0.2.20 erin@example.edu frank@remote.example BF76C3012027@mail/postfix",
];

#[test]
fn a_hop_learned_after_the_new_message_delivered_fixes_its_records() {
    check(LATE_HOP, &LATE_HOP_RECORDS);
}

#[test]
fn a_hop_learned_in_a_later_batch_fixes_the_records_already_stored() {
    // The new message's delivery is committed with the first input; the hop line comes
    // in the second, so the fix-up finds stored records through the store alone.
    let (before, after) = LATE_HOP.split_at(LATE_HOP.find(LATE_HOP_LINE).unwrap());
    let (got, _) = run(&[before, after]);
    assert_eq!(got, LATE_HOP_RECORDS);
}

#[test]
fn a_late_hop_fixes_only_its_own_message_when_an_earlier_one_had_the_same_id_and_fields() {
    // BF76C3012027 is used twice by re-injected mail of the same sender, without
    // message-ids: the two messages look alike. Only the second is the hop's copy.
    let earlier = "\
Jan 28 06:40:30 mail postfix/smtpd[15071]: BF76C3012027: client=localhost[127.0.0.1]
Jan 28 06:40:30 mail postfix/qmgr[1789]: BF76C3012027: from=<erin@example.edu>, size=6270, nrcpt=1 (queue active)
Jan 28 06:40:31 mail postfix/smtp[15072]: BF76C3012027: to=<gina@remote.example>, relay=mx.remote.example[198.51.100.7]:25, delay=0.6, delays=0/0/0.3/0.3, dsn=2.0.0, status=sent (250 ok)
Jan 28 06:40:31 mail postfix/qmgr[1789]: BF76C3012027: removed
";
    let mut expected =
        vec!["sent erin@example.edu 127.0.0.1 - gina@remote.example BF76C3012027@mail/postfix"];
    expected.extend(LATE_HOP_RECORDS);
    check(&format!("{earlier}{LATE_HOP}"), &expected);
}

#[test]
fn local_forwarding_is_a_hop_and_the_copy_inherits_sender_client_and_sasl_user() {
    // The forwarded copy's lines come before the `forwarded as` line.
    check(
        "\
Nov  1 02:11:10 conch postfix/smtpd[100]: 30461242EB: client=pc[192.0.2.30], sasl_method=PLAIN, sasl_username=gina@example.edu
Nov  1 02:11:11 conch postfix/qmgr[101]: 30461242EB: from=<gina@example.edu>, size=900, nrcpt=1 (queue active)
Nov  1 02:11:12 conch postfix/cleanup[102]: 4F5E6D7C8B: message-id=<x@example.edu>
Nov  1 02:11:12 conch postfix/qmgr[101]: 4F5E6D7C8B: from=<gina@example.edu>, size=1000, nrcpt=1 (queue active)
Nov  1 02:11:13 conch postfix/smtp[103]: 4F5E6D7C8B: to=<hank@elsewhere.example>, relay=mx.elsewhere.example[198.51.100.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)
Nov  1 02:11:12 conch postfix/local[104]: 30461242EB: to=<hank@conch.example>, orig_to=<staff@conch.example>, relay=local, delay=2, delays=1/0/0/1, dsn=2.0.0, status=sent (forwarded as 4F5E6D7C8B)
Nov  1 02:11:13 conch postfix/qmgr[101]: 4F5E6D7C8B: removed
Nov  1 02:11:13 conch postfix/qmgr[101]: 30461242EB: removed
",
        &[
            "auth_rcv gina@example.edu 192.0.2.30 gina@example.edu - 30461242EB@conch/postfix",
            "sent gina@example.edu 192.0.2.30 gina@example.edu hank@elsewhere.example(staff@conch.example) 4F5E6D7C8B@conch/postfix",
        ],
    );
}

#[test]
fn notifications_and_double_bounces_probes_and_warnings_belong_to_nobody() {
    check(
        "\
Mar  1 10:00:01 relay1 postfix/qmgr[12]: 5A5A5A5A5A: from=<>, size=2000, nrcpt=1 (queue active)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 5A5A5A5A5A: to=<someone@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.1.1, status=bounced (host mx.remote.example[198.51.100.1] said: 550 no such user)
Mar  1 10:00:03 relay1 postfix/qmgr[12]: 6B6B6B6B6B: from=<double-bounce@relay1.example.edu>, size=2000, nrcpt=1 (queue active)
Mar  1 10:00:04 relay1 postfix/local[14]: 6B6B6B6B6B: to=<postmaster@relay1.example.edu>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)
Mar  1 10:00:05 relay1 postfix/smtpd[10]: 7C7C7C7C7C: client=pc[192.0.2.40]
Mar  1 10:00:05 relay1 postfix/qmgr[12]: 7C7C7C7C7C: from=<ivy@example.edu>, size=10, nrcpt=1 (queue active)
Mar  1 10:00:06 relay1 postfix/smtp[13]: 7C7C7C7C7C: to=<probe@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.1.5, status=deliverable (250 2.1.5 OK)
Mar  1 10:00:07 relay1 postfix/smtpd[10]: NOQUEUE: reject_warning: RCPT from pc[192.0.2.40]: 554 5.7.1 <x@remote.example>: Relay access denied; from=<ivy@example.edu> to=<x@remote.example> proto=ESMTP helo=<pc>
Mar  1 10:00:08 relay1 postfix/discard[16]: 7C7C7C7C7C: to=<junk@remote.example>, relay=none, delay=0.05, delays=0.04/0/0/0, dsn=2.0.0, status=sent (remote.example)
",
        // The discard transport's `sent` stays `sent`; its response says why.
        &["sent ivy@example.edu 192.0.2.40 - junk@remote.example 7C7C7C7C7C@relay1/postfix"],
    );
}

#[test]
fn rejects_and_sasl_failures_that_name_the_sender_are_auth_blk() {
    check(
        "\
Oct 22 02:13:42 conch postfix/smtpd[26895]: NOQUEUE: reject: RCPT from jurann.biz[77.95.228.43]: 554 5.7.1 Service unavailable; Client host [77.95.228.43] blocked using zen.spamhaus.org; from=<Botanised@jurann.biz> to=<kdent@seaglass.com> proto=ESMTP helo=<jurann.biz>
Oct 22 02:13:43 conch postfix/smtpd[26895]: NOQUEUE: reject: CONNECT from unknown[178.215.236.114]: 450 4.7.25 Client host rejected: cannot find your hostname, [178.215.236.114]; proto=SMTP
Oct 22 02:13:44 conch postfix/smtpd[26896]: 1D8CC1CA0A7F: client=pc[192.0.2.50], sasl_method=PLAIN, sasl_username=jack@example.edu
Oct 22 02:13:45 conch postfix/cleanup[26897]: 1D8CC1CA0A7F: milter-reject: END-OF-MESSAGE from pc[192.0.2.50]: 5.7.1 Command rejected; from=<jack@example.edu> to=<kim@remote.example> proto=ESMTP helo=<pc>
Oct 22 02:13:46 conch postfix/cleanup[26897]: 2E8541019A: reject: header Subject: Cheap pills from pc[192.0.2.50]; from=<jack@example.edu> to=<lee@remote.example> proto=ESMTP helo=<pc>: 5.7.1 message content rejected
Oct 22 02:13:47 conch postfix/smtpd[26898]: warning: unknown[192.0.2.152]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=Jack@Example.edu
Oct 22 02:13:48 conch postfix/smtpd[26898]: warning: unknown[192.0.2.153]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Oct 22 02:13:49 conch postfix/smtpd[26898]: warning: SASL authentication failure: Password verification failed
",
        &[
            "auth_blk botanised@jurann.biz 77.95.228.43 - kdent@seaglass.com NOQUEUE@conch/postfix",
            "auth_blk jack@example.edu 192.0.2.50 jack@example.edu kim@remote.example 1D8CC1CA0A7F@conch/postfix",
            "auth_blk jack@example.edu 192.0.2.50 - lee@remote.example 2E8541019A@conch/postfix",
            "auth_blk jack@example.edu 192.0.2.152 Jack@Example.edu - NOQUEUE@conch/postfix",
        ],
    );
}

#[test]
fn a_refusal_of_the_whole_message_ends_it_and_a_refused_recipient_does_not() {
    // Postfix drops the queue file of a message refused by a content check or at the end
    // of DATA and logs no `removed`: nothing of those two is left unfinished. The third
    // lost one recipient and goes on.
    let summary = check(
        "\
Oct 22 02:13:44 conch postfix/smtpd[26896]: 1D8CC1CA0A7F: client=pc[192.0.2.50]
Oct 22 02:13:44 conch postfix/cleanup[26897]: 1D8CC1CA0A7F: message-id=<a@pc>
Oct 22 02:13:45 conch postfix/cleanup[26897]: 1D8CC1CA0A7F: milter-reject: END-OF-MESSAGE from pc[192.0.2.50]: 5.7.1 Command rejected; from=<jack@example.edu> to=<kim@remote.example> proto=ESMTP helo=<pc>
Oct 22 02:13:45 conch postfix/smtpd[26896]: 2E8541019A: client=pc[192.0.2.50]
Oct 22 02:13:45 conch postfix/cleanup[26897]: 2E8541019A: message-id=<b@pc>
Oct 22 02:13:46 conch postfix/cleanup[26897]: 2E8541019A: reject: header Subject: Cheap pills from pc[192.0.2.50]; from=<jack@example.edu> to=<lee@remote.example> proto=ESMTP helo=<pc>: 5.7.1 message content rejected
Oct 22 02:13:47 conch postfix/smtpd[26896]: 3F9652A0B1: client=pc[192.0.2.50]
Oct 22 02:13:47 conch postfix/smtpd[26896]: 3F9652A0B1: reject: RCPT from pc[192.0.2.50]: 550 5.1.1 <nobody@example.edu>: Recipient address rejected: User unknown; from=<jack@example.edu> to=<nobody@example.edu> proto=ESMTP helo=<pc>
",
        &[
            "auth_blk jack@example.edu 192.0.2.50 - kim@remote.example 1D8CC1CA0A7F@conch/postfix",
            "auth_blk jack@example.edu 192.0.2.50 - lee@remote.example 2E8541019A@conch/postfix",
            "auth_blk jack@example.edu 192.0.2.50 - nobody@example.edu 3F9652A0B1@conch/postfix",
        ],
    );
    assert_eq!(summary.pending, 1, "{summary:?}");
}

#[test]
fn lines_of_a_message_whose_start_was_not_seen_are_orphans() {
    let summary = check(
        "\
Mar  1 10:00:01 relay1 postfix/qmgr[12]: 8D8D8D8D8D: from=<mia@example.edu>, size=10, nrcpt=1 (queue active)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 8D8D8D8D8D: to=<ned@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Mar  1 10:00:02 relay1 postfix/qmgr[12]: 8D8D8D8D8D: removed
Mar  1 10:00:03 relay1 postfix/smtp[13]: 9E9E9E9E9E: to=<oz@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
",
        &[
            "sent mia@example.edu - - ned@remote.example 8D8D8D8D8D@relay1/postfix orphan",
            "sent - - - oz@remote.example 9E9E9E9E9E@relay1/postfix orphan",
        ],
    );
    assert_eq!(summary.correlate.orphan_records, 2);
    assert_eq!(summary.correlate.orphan_messages, 1);
}

#[test]
fn a_queue_id_reused_after_removed_is_a_new_message() {
    check(
        "\
Sep  4 01:25:10 mx postfix/smtpd[1]: 82B9E242D5: client=one[192.0.2.1]
Sep  4 01:25:10 mx postfix/qmgr[2]: 82B9E242D5: from=<pat@example.edu>, size=10, nrcpt=1 (queue active)
Sep  4 01:25:11 mx postfix/smtp[3]: 82B9E242D5: to=<a@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Sep  4 01:25:11 mx postfix/qmgr[2]: 82B9E242D5: removed
Sep  4 04:43:42 mx postfix/pickup[4]: 82B9E242D5: uid=0 from=<root>
Sep  4 04:43:42 mx postfix/qmgr[2]: 82B9E242D5: from=<root@mx.example.edu>, size=10, nrcpt=1 (queue active)
Sep  4 04:43:43 mx postfix/smtp[3]: 82B9E242D5: to=<b@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Sep  4 04:43:43 mx postfix/qmgr[2]: 82B9E242D5: removed
",
        &[
            "sent pat@example.edu 192.0.2.1 - a@remote.example 82B9E242D5@mx/postfix",
            "sent root@mx.example.edu 127.0.0.1 - b@remote.example 82B9E242D5@mx/postfix",
        ],
    );
}

#[test]
fn hosts_and_instances_with_colliding_queue_ids_are_kept_apart() {
    check(
        "\
Sep  4 01:25:10 relay1 postfix/smtpd[1]: ABCDEF1234: client=one[192.0.2.1]
Sep  4 01:25:10 relay2 postfix/smtpd[1]: ABCDEF1234: client=two[192.0.2.2]
Sep  4 01:25:10 relay1 postfix-out/smtpd[1]: ABCDEF1234: client=three[192.0.2.3]
Sep  4 01:25:10 relay1 postfix/qmgr[2]: ABCDEF1234: from=<one@example.edu>, size=10, nrcpt=1 (queue active)
Sep  4 01:25:10 relay2 postfix/qmgr[2]: ABCDEF1234: from=<two@example.edu>, size=10, nrcpt=1 (queue active)
Sep  4 01:25:10 relay1 postfix-out/qmgr[2]: ABCDEF1234: from=<three@example.edu>, size=10, nrcpt=1 (queue active)
Sep  4 01:25:11 relay2 postfix/smtp[3]: ABCDEF1234: to=<b@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Sep  4 01:25:11 relay1 postfix-out/smtp[3]: ABCDEF1234: to=<c@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Sep  4 01:25:11 relay1 postfix/smtp[3]: ABCDEF1234: to=<a@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
",
        &[
            "sent two@example.edu 192.0.2.2 - b@remote.example ABCDEF1234@relay2/postfix",
            "sent three@example.edu 192.0.2.3 - c@remote.example ABCDEF1234@relay1/postfix-out",
            "sent one@example.edu 192.0.2.1 - a@remote.example ABCDEF1234@relay1/postfix",
        ],
    );
}

const ACROSS_NEW_YEAR: &str = "\
Dec 31 23:59:58 mx postfix/smtpd[1]: 1234567ABC: client=pc[192.0.2.9], sasl_method=PLAIN, sasl_username=quinn@example.edu
Dec 31 23:59:59 mx postfix/qmgr[2]: 1234567ABC: from=<quinn@example.edu>, size=10, nrcpt=1 (queue active)
Jan  1 00:00:01 mx postfix/smtp[3]: 1234567ABC: to=<r@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=2, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Jan  1 00:00:01 mx postfix/qmgr[2]: 1234567ABC: removed
";

#[test]
fn december_to_january_moves_to_the_next_year() {
    let mut store = Store::open_in_memory().unwrap();
    ingest_into(&mut store, &[ACROSS_NEW_YEAR], 2023);
    let times: Vec<String> = store
        .all_records()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s.record.status, s.record.time.to_rfc3339()))
        .collect();
    assert_eq!(
        times,
        vec![
            "auth_rcv 2023-12-31T23:59:59+00:00",
            "sent 2024-01-01T00:00:01+00:00"
        ]
    );
}

#[test]
fn a_message_split_across_two_runs_keeps_its_sender_client_and_sasl_user() {
    let (first, second) = CONTENT_FILTER.split_at(
        CONTENT_FILTER
            .find("Jan 28 06:40:37 mail postfix/smtp[15069]")
            .unwrap(),
    );
    let mut store = Store::open_in_memory().unwrap();
    ingest_into(&mut store, &[first], 2024);
    assert!(store.count_pending().unwrap() > 0);
    ingest_into(&mut store, &[second], 2024);
    let (whole, _) = run(&[CONTENT_FILTER]);
    assert_eq!(rows(&store), whole);
    assert_eq!(store.count_pending().unwrap(), 0);
}

#[test]
fn garbage_is_counted_and_skipped() {
    let summary = check(
        "\
\u{0}\u{1}binary garbage
Nov  1 06:29:49 conch dovecot: imap-login: Disconnected (no auth attempts)
Dec 11 10:00:02 phoenix postfix/qmgr[12481]: B465B110313B: removed,,,,,,,,,,,,
this is not a log line at all

Mar  1 10:00:01 relay1 postfix/qmgr[12]: something nobody logs
",
        &[],
    );
    assert_eq!(summary.parse.lines, 6);
    assert_eq!(summary.parse.malformed, 3);
    assert_eq!(summary.parse.skipped, 2);
    assert_eq!(summary.parse.unrecognized_postfix, 1);
}

#[test]
fn pending_state_is_bounded_and_evictions_are_counted() {
    let mut log = String::new();
    for i in 0..50 {
        log.push_str(&format!(
            "Mar  1 10:00:{:02} relay1 postfix/smtpd[10]: {:010X}: client=pc[192.0.2.1]\n",
            i % 60,
            0xA000_0000u64 + i
        ));
    }
    let mut store = Store::open_in_memory().unwrap();
    let mut options = IngestOptions::new(chrono_tz::UTC);
    options.year = Some(2024);
    options.limits.max_pending = 10;
    let input = Input {
        name: "bounded".into(),
        reader: Box::new(Cursor::new(log.into_bytes())),
        complete: true,
        ends_near: (2024, 3),
    };
    let summary = ingest::ingest(&mut store, vec![input], &options, &mut Silent).unwrap();
    assert_eq!(summary.pending, 10);
    assert_eq!(summary.correlate.evicted, 40);
    assert_eq!(store.count_pending().unwrap(), 10);
}

#[test]
fn a_per_recipient_expired_status_is_an_expired_record_counted_once() {
    check(
        "\
Mar  1 10:00:00 relay1 postfix/smtpd[10]: 3C3C3C3C3C: client=pc[192.0.2.60]
Mar  1 10:00:01 relay1 postfix/qmgr[12]: 3C3C3C3C3C: from=<uma@example.edu>, size=10, nrcpt=1 (queue active)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 3C3C3C3C3C: to=<v@slow.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to slow.example[203.0.113.5]:25: Connection timed out)
Mar  6 10:00:02 relay1 postfix/error[14]: 3C3C3C3C3C: to=<v@slow.example>, relay=none, delay=432001, delays=432000/0/0/0, dsn=4.4.7, status=expired (message expired)
Mar  6 10:00:03 relay1 postfix/qmgr[12]: 3C3C3C3C3C: from=<uma@example.edu>, status=expired, returned to sender
Mar  6 10:00:03 relay1 postfix/qmgr[12]: 3C3C3C3C3C: removed
",
        &[
            "deferred uma@example.edu 192.0.2.60 - v@slow.example 3C3C3C3C3C@relay1/postfix",
            "expired uma@example.edu 192.0.2.60 - v@slow.example 3C3C3C3C3C@relay1/postfix",
        ],
    );
}

/// The correlator's records kept as owned `Output`s (a `Vec<Output>` sink) are exactly
/// the records ingest packs and stores, in the same order, on a real relay's log.
#[test]
fn records_kept_as_outputs_are_the_records_ingest_stores() {
    use smtplog_core::correlate::{Correlator, Limits, Output};
    use smtplog_core::parse::{Parsed, decode, parse_line};
    use smtplog_core::timestamp::{YearPolicy, YearResolver};

    let log = include_str!("../fixtures/corpus/kdent__postfix_log_analysis__mail.log");
    let mut years = YearResolver::new(chrono_tz::UTC, YearPolicy::Starting(2024));
    let mut correlator = Correlator::new(Limits::default());
    let mut out: Vec<Output> = Vec::new();
    for raw in log.split_inclusive('\n') {
        let line = decode(raw.trim_end_matches('\n').as_bytes());
        if let Parsed::Entry(entry) = parse_line(&line)
            && let Some(t) = years.resolve(&entry.header.time)
        {
            correlator.feed(t, &entry, &mut out);
        }
    }
    let mut kept = Vec::new();
    for o in out {
        match o {
            Output::Record(r) => kept.push(r),
            Output::Relink(l) => panic!("this log has no late hops: {l:?}"),
            Output::Retract(r) => panic!("this log has no pipe filter: {r:?}"),
        }
    }
    let mut store = Store::open_in_memory().unwrap();
    ingest_into(&mut store, &[log], 2024);
    let stored: Vec<_> = store
        .all_records()
        .unwrap()
        .into_iter()
        .map(|s| s.record)
        .collect();
    assert!(kept.len() > 1000, "{} records", kept.len());
    assert_eq!(stored.len(), kept.len());
    for (i, (s, k)) in stored.iter().zip(&kept).enumerate() {
        assert_eq!(s, k, "record {i}");
    }
}
