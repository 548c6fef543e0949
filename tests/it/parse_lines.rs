//! The parser's behaviour on real lines, one `check(line, expected)` per case.
//!
//! `expected` is the compact form `describe` writes: the event kind, then each field as
//! `name=value` separated by ` | `; or `skipped`, `unrecognized`, `malformed: REASON`.
//! Every line comes from a public log (see tests/fixtures/corpus/SOURCES.md); the comment
//! above a group of checks names the file. Some of those files hold only the message part
//! of each line (the text after `postfix/<daemon>[pid]: `): for those lines the header
//! `Jan  1 00:00:00 mail postfix/<daemon>[1]: ` is ours, with the daemon the message
//! belongs to, and the comment says so.

use smtplog_core::parse::{Parsed, decode, parse_line};

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

/// The envelope of a Postfix line in a compact form: the timestamp as read, then host,
/// program tag (with its instance, service and daemon parts) and pid; `-` when absent.
fn header(line: &str) -> String {
    let Parsed::Entry(entry) = parse_line(line) else {
        panic!("not a Postfix entry: {line}");
    };
    let h = &entry.header;
    format!(
        "{} | host={} | tag={} | instance={} | service={} | daemon={} | pid={}",
        h.time,
        h.host.unwrap_or("-"),
        h.program.as_str(),
        h.program.instance(),
        h.program.service().unwrap_or("-"),
        h.program.daemon(),
        h.pid.map_or_else(|| "-".to_string(), |p| p.to_string()),
    )
}

/// [`check`], and the envelope against `expected_header` (see [`header`]).
#[track_caller]
fn check_header(line: &str, expected_header: &str, expected: &str) {
    check(line, expected);
    assert_eq!(header(line), expected_header, "line: {line}");
}

#[test]
fn smtpd_connections() {
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jan 25 20:17:06 mx postfix/smtpd[3946]: connect from unknown[224.93.112.97]",
        "connect | client_name=unknown | client_addr=224.93.112.97",
    );
    check(
        "Jan 25 20:12:52 mx postfix/smtps/smtpd[8377]: connect from unknown[1002:1712:4e2b:d061:5dff:19f:c85f:a48f]",
        "connect | client_name=unknown | client_addr=1002:1712:4e2b:d061:5dff:19f:c85f:a48f",
    );
    // digineo__postfix_exporter__testdata_mail
    check(
        "Sep 23 15:57:39 mail postfix/submission/smtpd[3646210]: connect from unknown[fe80::1:2:3:4]",
        "connect | client_name=unknown | client_addr=fe80::1:2:3:4",
    );
    // Brian881215__mail_log_parser__mail
    check(
        "Mar  5 13:59:15 mail-server1 postfix/smtpd[833268]: connect from aet-asiaeast1-maip--serverless--vpc-89k5.asia-east1-a.c.maip-poc.internal[10.8.0.8]",
        "connect | client_name=aet-asiaeast1-maip--serverless--vpc-89k5.asia-east1-a.c.maip-poc.internal | client_addr=10.8.0.8",
    );
    // msimerson__postfix-parser__test_index.js
    check(
        "Jan 6 08:39:49 mail postfix/smtpd[339505]: connect from localhost[127.0.0.1]",
        "connect | client_name=localhost | client_addr=127.0.0.1",
    );
    // A verified host name and an IPv6 address.
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: connect from mail.example.com[2001:dead:beef::1]",
        "connect | client_name=mail.example.com | client_addr=2001:dead:beef::1",
    );
    // Before Postfix 3.0: no counters.
    // kdent__postfix_log_analysis__mail
    check(
        "Oct 22 02:21:03 conch postfix/smtpd[26929]: disconnect from unknown[107.191.252.21]",
        "disconnect | client_name=unknown | client_addr=107.191.252.21",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log
    check(
        "Jan 28 06:40:37 mail postfix/smtpd[15061]: disconnect from h-2bf83754162e1[224.73.110.132] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
        "disconnect | client_name=h-2bf83754162e1 | client_addr=224.73.110.132 | counters=ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jul 13 17:41:40 mail postfix/smtpd[26098]: disconnect from unknown[11.22.33.44] ehlo=1 auth=8/14 mail=1 rcpt=0/1 data=0/1 rset=1 commands=3/19",
        "disconnect | client_name=unknown | client_addr=11.22.33.44 | counters=ehlo=1 auth=8/14 mail=1 rcpt=0/1 data=0/1 rset=1 commands=3/19",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Feb 10 13:26:34 srv postfix/smtpd[123]: disconnect from unknown[192.0.2.1] helo=1 auth=0/1 quit=1 commands=2/3",
        "disconnect | client_name=unknown | client_addr=192.0.2.1 | counters=helo=1 auth=0/1 quit=1 commands=2/3",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:41 mail postfix/smtpd[715215]: disconnect from mail.p107.spb.ru[80.79.247.227] ehlo=2 starttls=1 mail=2 rcpt=2 bdat=2 quit=1 commands=10",
        "disconnect | client_name=mail.p107.spb.ru | client_addr=80.79.247.227 | counters=ehlo=2 starttls=1 mail=2 rcpt=2 bdat=2 quit=1 commands=10",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_8_weird_log_file
    check(
        "Oct 13 16:40:42 ucs postfix/smtpd[18581]: disconnect from localhost[127.0.0.1] ehlo=1 xforward=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
        "disconnect | client_name=localhost | client_addr=127.0.0.1 | counters=ehlo=1 xforward=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
    );
    // digineo__postfix_exporter__testdata_mail
    check(
        "Sep 23 15:57:41 mail postfix/submission/smtpd[3646210]: disconnect from unknown[fe80::1:2:3:4] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
        "disconnect | client_name=unknown | client_addr=fe80::1:2:3:4 | counters=ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: disconnect from unknown[unknown] commands=0/0",
        "disconnect | client_name=unknown | client_addr=unknown | counters=commands=0/0",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: disconnect from example.net[158.247.23.50] ehlo=2 starttls=1 mail=1 rcpt=0/1 bdat=0/1 commands=4/6",
        "disconnect | client_name=example.net | client_addr=158.247.23.50 | counters=ehlo=2 starttls=1 mail=1 rcpt=0/1 bdat=0/1 commands=4/6",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "2020-09-23T13:20:49.666984+00:00 813952df60c9 postfix/smtpd[132]: disconnect from localhost[127.0.0.1] commands=0/0",
        "disconnect | client_name=localhost | client_addr=127.0.0.1 | counters=commands=0/0",
    );
}

#[test]
fn client_lines() {
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log
    check(
        "Jan 28 06:40:37 mail postfix/smtpd[15061]: 8BD903012026: client=h-2bf83754162e1[224.73.110.132]",
        "client | queue_id=8BD903012026 | client_name=h-2bf83754162e1 | client_addr=224.73.110.132",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_17-smtpd-reject
    check(
        "Feb  8 21:28:47 mx postfix/smtps/smtpd[1036]: DE81A2E2DAA: client=unknown[2a02:168:636a::15e2], sasl_method=PLAIN, sasl_username=h-d2315d@h-24e89d.com",
        "client | queue_id=DE81A2E2DAA | client_name=unknown | client_addr=2a02:168:636a::15e2 | sasl_method=PLAIN | sasl_username=h-d2315d@h-24e89d.com",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jan 25 18:50:11 mx postfix/smtpd[5178]: 0DAFB2E2D27: client=localhost[::1]",
        "client | queue_id=0DAFB2E2D27 | client_name=localhost | client_addr=::1",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:43 mail postfix/smtpd[710439]: 6C72ADE204BF: client=unknown[5.183.29.23], sasl_method=DIGEST-MD5, sasl_username=p43.nok",
        "client | queue_id=6C72ADE204BF | client_name=unknown | client_addr=5.183.29.23 | sasl_method=DIGEST-MD5 | sasl_username=p43.nok",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_25_authclean_cleanup
    check(
        "2022-01-08T19:42:13.128602+00:00 mail postfix/submission/smtpd[19191]: 1F5A2194AA9: client=client.example.com[1.2.3.4], sasl_method=PLAIN, sasl_username=user@sender.example.com",
        "client | queue_id=1F5A2194AA9 | client_name=client.example.com | client_addr=1.2.3.4 | sasl_method=PLAIN | sasl_username=user@sender.example.com",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_13_empty_msgid_issue_388
    check(
        "Feb  7 03:40:14 vsrv-postfix postfix/submission/smtpd[1437567]: BABABABABABA: client=h-2ee7ba9722900c79[222.162.214.254], sasl_method=PLAIN, sasl_username=h-09ff0f75467ee7f00f@h-e858bb21f.com",
        "client | queue_id=BABABABABABA | client_name=h-2ee7ba9722900c79 | client_addr=222.162.214.254 | sasl_method=PLAIN | sasl_username=h-09ff0f75467ee7f00f@h-e858bb21f.com",
    );
    // msimerson__postfix-parser__test_index.js
    check(
        "Nov 28 22:50:29 smtp postfix/submission/smtpd[70013]: 3p7RMT0zrYz20p: client=unknown[192.168.0.100], sasl_method=DIGEST-MD5, sasl_username=user@dmain.com",
        "client | queue_id=3p7RMT0zrYz20p | client_name=unknown | client_addr=192.168.0.100 | sasl_method=DIGEST-MD5 | sasl_username=user@dmain.com",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_8_weird_log_file
    check(
        "Oct 13 16:40:42 ucs postfix/smtpd[18581]: ED01244770: client=localhost[127.0.0.1], orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]",
        "client | queue_id=ED01244770 | client_name=localhost | client_addr=127.0.0.1 | orig_queue_id=4F5C64474F | orig_client_name=unknown | orig_client_addr=28.55.140.112",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jul 23 10:57:00 mail postfix/smtpd[3413]: NOQUEUE: client=fbsnd01103-jc.im.kddi.ne.jp[222.227.81.243]",
        "client | queue_id=NOQUEUE | client_name=fbsnd01103-jc.im.kddi.ne.jp | client_addr=222.227.81.243",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:43 mail postfix/10025/smtpd[632128]: B9AB1DE204C8: client=localhost[127.0.0.1]",
        "client | queue_id=B9AB1DE204C8 | client_name=localhost | client_addr=127.0.0.1",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: client=mail.example.com[2001:dead:beef::1]",
        "client | queue_id=NOQUEUE | client_name=mail.example.com | client_addr=2001:dead:beef::1",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: 6C8F93041B: client=localhost[127.0.0.1], sasl_sender=someone@example.com ",
        "client | queue_id=6C8F93041B | client_name=localhost | client_addr=127.0.0.1 | sasl_sender=someone@example.com",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: EFC962C4C1: client=example.com[192.168.0.1], sasl_method=LOGIN, sasl_username=user@example.com, sasl_sender=<id352ib@sample.net>",
        "client | queue_id=EFC962C4C1 | client_name=example.com | client_addr=192.168.0.1 | sasl_method=LOGIN | sasl_username=user@example.com | sasl_sender=<id352ib@sample.net>",
    );
    // vignemail1__pflogsumm-go__testdata_rfc3339
    check(
        "2024-03-22T08:00:01.000+00:00 mailhost postfix/smtpd[12345]: ABCDE12345: client=sender.example.com[192.168.1.1]",
        "client | queue_id=ABCDE12345 | client_name=sender.example.com | client_addr=192.168.1.1",
    );
}

#[test]
fn connection_losses() {
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Feb 18 09:45:10 xxx postfix/smtpd[42]: lost connection after CONNECT from spammer.example.com[192.0.2.10]",
        "lost_connection | what=lost connection | stage=CONNECT | client_name=spammer.example.com | client_addr=192.0.2.10",
    );
    check(
        "Feb 18 09:45:12 xxx postfix/smtpd[42]: lost connection after STARTTLS from spammer.example.com[192.0.2.42]",
        "lost_connection | what=lost connection | stage=STARTTLS | client_name=spammer.example.com | client_addr=192.0.2.42",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:42 mail postfix/smtpd[720317]: lost connection after AUTH from unknown[178.215.236.138]",
        "lost_connection | what=lost connection | stage=AUTH | client_name=unknown | client_addr=178.215.236.138",
    );
    // kdent__postfix_log_analysis__mail
    check(
        "Oct 22 03:04:26 conch postfix/smtpd[27030]: lost connection after DATA (approximately 0 bytes) from unknown[185.106.121.100]",
        "lost_connection | what=lost connection | stage=DATA (approximately 0 bytes) | client_name=unknown | client_addr=185.106.121.100",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Jun  3 06:25:43 srv postfix/smtpd[29306]: too many errors after RCPT from example.com[192.0.2.11]",
        "lost_connection | what=too many errors | stage=RCPT | client_name=example.com | client_addr=192.0.2.11",
    );
    // wazuh__wazuh-ruleset__rules_log-entries_postfix.ini
    check(
        "2016-03-20T13:30:53.574978+01:00 tron postfix/smtpd[32655]: too many errors after RCPT from unknown[157.122.148.252]",
        "lost_connection | what=too many errors | stage=RCPT | client_name=unknown | client_addr=157.122.148.252",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: lost connection after DATA (7774180 bytes) from unknown[72.13.58.7]",
        "lost_connection | what=lost connection | stage=DATA (7774180 bytes) | client_name=unknown | client_addr=72.13.58.7",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: lost connection after UNKNOWN from unknown[2001:456:cfb1:1:f5d7:dead:beef:cafe]",
        "lost_connection | what=lost connection | stage=UNKNOWN | client_name=unknown | client_addr=2001:456:cfb1:1:f5d7:dead:beef:cafe",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: lost connection after BDAT from example.net[158.247.23.50]",
        "lost_connection | what=lost connection | stage=BDAT | client_name=example.net | client_addr=158.247.23.50",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: timeout after CONNECT from unknown[177.227.18.3]",
        "lost_connection | what=timeout | stage=CONNECT | client_name=unknown | client_addr=177.227.18.3",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: timeout after END-OF-MESSAGE from unknown[72.13.58.7]",
        "lost_connection | what=timeout | stage=END-OF-MESSAGE | client_name=unknown | client_addr=72.13.58.7",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: timeout after RSET from example.com[192.168.0.1]",
        "lost_connection | what=timeout | stage=RSET | client_name=example.com | client_addr=192.168.0.1",
    );
    // Postfix 3.10 and later: with NOQUEUE (or the queue ID).
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Sep 17 18:19:20 mxhost postfix/smtpd[12345]: NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]",
        "lost_connection | queue_id=NOQUEUE | what=lost connection | stage=CONNECT | client_name=unknown | client_addr=192.0.2.25",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "2026-09-18T06:04:59+00:00 INFO    postfix/smtpd[953]: NOQUEUE: lost connection after RSET from wp-acme.wpl7_proxy[172.19.0.5]",
        "lost_connection | queue_id=NOQUEUE | what=lost connection | stage=RSET | client_name=wp-acme.wpl7_proxy | client_addr=172.19.0.5",
    );
    check(
        "2026-09-18T06:04:59+00:00 INFO    postfix/smtpd[953]: NOQUEUE: timeout after DATA from unknown[198.51.100.7]",
        "lost_connection | queue_id=NOQUEUE | what=timeout | stage=DATA | client_name=unknown | client_addr=198.51.100.7",
    );
}

#[test]
fn smtpd_policy_actions() {
    // kdent__postfix_log_analysis__mail
    check(
        "Oct 22 02:13:42 conch postfix/smtpd[26895]: NOQUEUE: reject: RCPT from jurann.biz[77.95.228.43]: 554 5.7.1 Service unavailable; Client host [77.95.228.43] blocked using zen.spamhaus.org; http://www.spamhaus.org/sbl/query/SBLCSS; from=<botanised@jurann.biz> to=<kdent@seaglass.com> proto=ESMTP helo=<jurann.biz>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=jurann.biz | client_addr=77.95.228.43 | reply=554 5.7.1 Service unavailable; Client host [77.95.228.43] blocked using zen.spamhaus.org; http://www.spamhaus.org/sbl/query/SBLCSS | from=botanised@jurann.biz | to=kdent@seaglass.com | proto=ESMTP | helo=jurann.biz",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_17-smtpd-reject
    check(
        "Feb  8 21:28:47 mx postfix/smtps/smtpd[1036]: DE81A2E2DAA: reject: RCPT from unknown[2a02:168:636a::15e2]: 550 5.1.1 <h-c715634009216@h-14dc4a6d.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<h-d2315d@h-24e89d.com> to=<h-c715634009216@h-14dc4a6d.com> proto=ESMTP helo=<[IPv6:2a02:168:636a::15e2]>",
        "reject | queue_id=DE81A2E2DAA | action=reject | stage=RCPT | client_name=unknown | client_addr=2a02:168:636a::15e2 | reply=550 5.1.1 <h-c715634009216@h-14dc4a6d.com>: Recipient address rejected: User unknown in virtual mailbox table | from=h-d2315d@h-24e89d.com | to=h-c715634009216@h-14dc4a6d.com | proto=ESMTP | helo=[IPv6:2a02:168:636a::15e2]",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_17-smtpd-reject-with-milter-reject
    check(
        "Feb 16 22:23:11 mx postfix/smtpd[17727]: 769FF2E0760: reject: RCPT from h-72f555a0840e4b9553[117.165.155.187]: 550 5.1.1 <h-f91a317fd08716dbf2@h-ff6b5e9182fd933.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<h-59bd@h-183bcda0e2fe4.com> to=<h-f91a317fd08716dbf2@h-ff6b5e9182fd933.com> proto=ESMTP helo=<h-72f555a0840e4b9553>",
        "reject | queue_id=769FF2E0760 | action=reject | stage=RCPT | client_name=h-72f555a0840e4b9553 | client_addr=117.165.155.187 | reply=550 5.1.1 <h-f91a317fd08716dbf2@h-ff6b5e9182fd933.com>: Recipient address rejected: User unknown in virtual mailbox table | from=h-59bd@h-183bcda0e2fe4.com | to=h-f91a317fd08716dbf2@h-ff6b5e9182fd933.com | proto=ESMTP | helo=h-72f555a0840e4b9553",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jul 20 19:00:55 mail postfix/smtpd[7749]: NOQUEUE: reject: CONNECT from unknown[178.215.236.114]: 450 4.7.25 Client host rejected: cannot find your hostname, [178.215.236.114]; proto=SMTP",
        "reject | queue_id=NOQUEUE | action=reject | stage=CONNECT | client_name=unknown | client_addr=178.215.236.114 | reply=450 4.7.25 Client host rejected: cannot find your hostname, [178.215.236.114] | proto=SMTP",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: CONNECT from unknown[192.168.0.1]: 503 5.5.0 <unknown[192.168.0.1]>: Client host rejected: Improper use of SMTP command pipelining; proto=SMTP",
        "reject | queue_id=NOQUEUE | action=reject | stage=CONNECT | client_name=unknown | client_addr=192.168.0.1 | reply=503 5.5.0 <unknown[192.168.0.1]>: Client host rejected: Improper use of SMTP command pipelining | proto=SMTP",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Jan 31 13:55:24 xxx postfix/smtpd[3462]: NOQUEUE: reject: EHLO from s271272.static.corbina.ru[78.107.251.238]: 504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<User>",
        "reject | queue_id=NOQUEUE | action=reject | stage=EHLO | client_name=s271272.static.corbina.ru | client_addr=78.107.251.238 | reply=504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname | proto=SMTP | helo=User",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: MAIL from localhost[127.0.0.2]: 552 Message size exceeds fixed limit; proto=ESMTP helo=<localhost> ",
        "reject | queue_id=NOQUEUE | action=reject | stage=MAIL | client_name=localhost | client_addr=127.0.0.2 | reply=552 Message size exceeds fixed limit | proto=ESMTP | helo=localhost",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: VRFY from unknown[2001:968:9999:20:88b:9b7d:2a54:2bd2]: 454 4.7.1 <aap@henk.com>: Relay access denied; to=<aap@henk.com> proto=SMTP helo=<me>",
        "reject | queue_id=NOQUEUE | action=reject | stage=VRFY | client_name=unknown | client_addr=2001:968:9999:20:88b:9b7d:2a54:2bd2 | reply=454 4.7.1 <aap@henk.com>: Relay access denied | to=aap@henk.com | proto=SMTP | helo=me",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Aug 10 10:55:38 f-vanier-bourgeois postfix/smtpd[2162]: NOQUEUE: reject: VRFY from 72-53-132-234.cpe.distributel.net[72.53.132.234]: 550 5.1.1 : Recipient address rejected: User unknown in local recipient tab",
        "reject | queue_id=NOQUEUE | action=reject | stage=VRFY | client_name=72-53-132-234.cpe.distributel.net | client_addr=72.53.132.234 | reply=550 5.1.1 : Recipient address rejected: User unknown in local recipient tab",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject_warning: VRFY from example.com[10.0.0.1]: 450 4.1.2 <<D0-1C7-1F41F6@BS>>: Recipient address rejected: Domain not found; to=<<D0-1C7-1F41F6@BS>> proto=SMTP helo=<friend>",
        "reject | queue_id=NOQUEUE | action=reject_warning | stage=VRFY | client_name=example.com | client_addr=10.0.0.1 | reply=450 4.1.2 <<D0-1C7-1F41F6@BS>>: Recipient address rejected: Domain not found | to=<D0-1C7-1F41F6@BS> | proto=SMTP | helo=friend",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Feb 21 09:21:54 xxx postfix/smtpd[14398]: NOQUEUE: reject: RCPT from example.com[192.0.43.10]: 450 4.7.1 : Helo command rejected: Host not found; from=<> to=<> proto=ESMTP helo=",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=example.com | client_addr=192.0.43.10 | reply=450 4.7.1 : Helo command rejected: Host not found | from= | to= | proto=ESMTP | helo=",
    );
    // kdent__postfix_log_analysis__mail
    check(
        "Oct 22 02:38:36 conch postfix/smtpd[26965]: NOQUEUE: reject: RCPT from unknown[122.179.84.12]: 450 4.7.1 <abts-kk-dynamic-012.84.179.122.airtelbroadband.in>: Helo command rejected: Host not found; from=<Print Connections> to=<kdent@seaglass.com> proto=ESMTP helo=<abts-kk-dynamic-012.84.179.122.airtelbroadband.in>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=unknown | client_addr=122.179.84.12 | reply=450 4.7.1 <abts-kk-dynamic-012.84.179.122.airtelbroadband.in>: Helo command rejected: Host not found | from=Print Connections | to=kdent@seaglass.com | proto=ESMTP | helo=abts-kk-dynamic-012.84.179.122.airtelbroadband.in",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from 061238241086.static.ctinets.com[61.238.241.86]: 550 5.12.345 <user@example.com>: Recipient address rejected: Some error message; from=<wumt5@cchfdc.com> to=<user@example.com> proto=ESMTP helo=<ecsolved.com>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=061238241086.static.ctinets.com | client_addr=61.238.241.86 | reply=550 5.12.345 <user@example.com>: Recipient address rejected: Some error message | from=wumt5@cchfdc.com | to=user@example.com | proto=ESMTP | helo=ecsolved.com",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from example.com[192.168.0.1]: 452 Insufficient system storage; from=<from@example.com> to=<to@sample.net> ",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=example.com | client_addr=192.168.0.1 | reply=452 Insufficient system storage | from=from@example.com | to=to@sample.net",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.168.0.1]: 550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.168.0.1]",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=unknown | client_addr=192.168.0.1 | reply=550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.168.0.1]",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from example.com[93.184.216.34]: 553 5.7.1 <sender@example.com>: Sender address rejected: not owned by user ph123; from=<sender@example.com> to=<recipient@example.com> proto=ESMTP helo=<example.com>",
        "reject | queue_id=NOQUEUE | action=reject_warning | stage=RCPT | client_name=example.com | client_addr=93.184.216.34 | reply=553 5.7.1 <sender@example.com>: Sender address rejected: not owned by user ph123 | from=sender@example.com | to=recipient@example.com | proto=ESMTP | helo=example.com",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: discard: MAIL from ccm231.constantcontact.com[208.75.123.231]: <bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com>: Sender address SPAM; from=<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com> proto=ESMTP helo=<ccm231.constantcontact.com>",
        "reject | queue_id=NOQUEUE | action=discard | stage=MAIL | client_name=ccm231.constantcontact.com | client_addr=208.75.123.231 | reply=<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com>: Sender address SPAM | from=bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com | proto=ESMTP | helo=ccm231.constantcontact.com",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jun 27 14:30:11 server-mx postfix/smtpd[8270]: NOQUEUE: filter: RCPT from localhost[127.0.0.1]: <mail@sender.tld>: Sender address triggers FILTER amavis:[127.0.0.1]:10026; from=<mail@sender.tld> to=<mail@receiver.tld> proto=ESMTP helo=<[127.0.0.1]>",
        "reject | queue_id=NOQUEUE | action=filter | stage=RCPT | client_name=localhost | client_addr=127.0.0.1 | reply=<mail@sender.tld>: Sender address triggers FILTER amavis:[127.0.0.1]:10026 | from=mail@sender.tld | to=mail@receiver.tld | proto=ESMTP | helo=[127.0.0.1]",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_20_rejected
    check(
        "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: NOQUEUE: filter: RCPT from unknown[30.207.11.100]: <>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10026; from=<> to=<h-3c3175932cb3b@h-526472e87.com> proto=ESMTP helo=<localhost>",
        "reject | queue_id=NOQUEUE | action=filter | stage=RCPT | client_name=unknown | client_addr=30.207.11.100 | reply=<>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10026 | from= | to=h-3c3175932cb3b@h-526472e87.com | proto=ESMTP | helo=localhost",
    );
    check(
        "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: D155CDC24C3: reject: RCPT from unknown[30.207.11.100]: 450 4.7.1 <>: Sender address rejected: You are sending too many emails, contact helpdesk; from=<> to=<h-2d34d8bb8@h-93a1a37cd1.com> proto=ESMTP helo=<localhost>",
        "reject | queue_id=D155CDC24C3 | action=reject | stage=RCPT | client_name=unknown | client_addr=30.207.11.100 | reply=450 4.7.1 <>: Sender address rejected: You are sending too many emails, contact helpdesk | from= | to=h-2d34d8bb8@h-93a1a37cd1.com | proto=ESMTP | helo=localhost",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: milter-reject: RCPT from mailrelay.example.com[8.8.8.8]: 451 4.7.1 Greylisting in action, please come back later; from=<support@example.com> to=<example@example.org> proto=ESMTP helo=<mailrelay.example.com>",
        "reject | queue_id=NOQUEUE | action=milter-reject | stage=RCPT | client_name=mailrelay.example.com | client_addr=8.8.8.8 | reply=451 4.7.1 Greylisting in action, please come back later | from=support@example.com | to=example@example.org | proto=ESMTP | helo=mailrelay.example.com",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Mar 7 02:09:33 server postfix/smtpd[27246]: 1D8CC1CA0A7F: milter-reject: DATA from 66-220-155-151.mail-mail.facebook.com[192.0.2.151]: 550 5.7.1 Command rejected; from=<security@mail.example.com> to=<hostmaster@example.com> proto=ESMTP helo=<192-0-2-151.mail-mail.example.com>",
        "reject | queue_id=1D8CC1CA0A7F | action=milter-reject | stage=DATA | client_name=66-220-155-151.mail-mail.facebook.com | client_addr=192.0.2.151 | reply=550 5.7.1 Command rejected | from=security@mail.example.com | to=hostmaster@example.com | proto=ESMTP | helo=192-0-2-151.mail-mail.example.com",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: milter-reject: CONNECT from sample.net[10.0.0.1]: 451 4.7.1 Service unavailable - try again later; proto=SMTP",
        "reject | queue_id=NOQUEUE | action=milter-reject | stage=CONNECT | client_name=sample.net | client_addr=10.0.0.1 | reply=451 4.7.1 Service unavailable - try again later | proto=SMTP",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: milter-reject: MAIL from example.com[192.168.0.1]: 553 5.1.7 address incomplete; proto=ESMTP helo=<example.com>",
        "reject | queue_id=NOQUEUE | action=milter-reject | stage=MAIL | client_name=example.com | client_addr=192.168.0.1 | reply=553 5.1.7 address incomplete | proto=ESMTP | helo=example.com",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Mar 11 23:27:54 server postfix-smo/submission/smtpd[22427]: 44JCRG5tYPzCqt2: reject: BDAT from signing-milter.example.com[192.0.2.109]: 550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce; from=<> to=<some@example.com> proto=ESMTP helo=<domain.tld>",
        "reject | queue_id=44JCRG5tYPzCqt2 | action=reject | stage=BDAT | client_name=signing-milter.example.com | client_addr=192.0.2.109 | reply=550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce | from= | to=some@example.com | proto=ESMTP | helo=domain.tld",
    );
    // postscreen: `[addr]:port` and a comma-separated field list.
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log.1
    check(
        "Jan 27 07:49:18 mail postfix/postscreen[8291]: NOQUEUE: reject: RCPT from [155.63.95.6]:63966: 550 5.7.1 Service unavailable; client [155.63.95.6] blocked using h-b8ce05d1c068e5c0; from=<h-9a34f8b@h-8ed5c3b550.com>, to=<h-9a34f8b@h-8ed5c3b550.com>, proto=ESMTP, helo=<WIN-QGFOVKPDT6T>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name= | client_addr=155.63.95.6 | client_port=63966 | reply=550 5.7.1 Service unavailable; client [155.63.95.6] blocked using h-b8ce05d1c068e5c0 | from=h-9a34f8b@h-8ed5c3b550.com | to=h-9a34f8b@h-8ed5c3b550.com | proto=ESMTP | helo=WIN-QGFOVKPDT6T",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jun 18 20:59:29 mybox postfix/postscreen[12181]: NOQUEUE: reject: RCPT from [213.158.187.41]:45263: 450 4.3.2 Service currently unavailable; from=<purchase@otherfolks.com>, to=<media@example.com>, proto=ESMTP, helo=<some.box.net>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name= | client_addr=213.158.187.41 | client_port=45263 | reply=450 4.3.2 Service currently unavailable | from=purchase@otherfolks.com | to=media@example.com | proto=ESMTP | helo=some.box.net",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/postscreen[1]: NOQUEUE: reject: CONNECT from [1.2.3.4]:1337: too many connections",
        "reject | queue_id=NOQUEUE | action=reject | stage=CONNECT | client_name= | client_addr=1.2.3.4 | client_port=1337 | reply=too many connections",
    );
    check(
        "Jan  1 00:00:00 mail postfix/postscreen[1]: NOQUEUE: reject: RCPT from [182.98.255.184]:2413: 550 5.5.1 Protocol error; from=<lvtowxfdp@yahoo.com>, to=<tom@example.com>, proto=SMTP, helo=<mx32.usaindiamunish.net>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name= | client_addr=182.98.255.184 | client_port=2413 | reply=550 5.5.1 Protocol error | from=lvtowxfdp@yahoo.com | to=tom@example.com | proto=SMTP | helo=mx32.usaindiamunish.net",
    );
}

#[test]
fn cleanup_actions() {
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jun 27 21:39:43 localhost postfix/cleanup[2712]: 906F418067A: reject: header Subject: Yusuf from mail-yb1-f174.google.com[209.85.219.174]; from=<testmaili34@gmail.com> to=<ugur@ugurcomptech.com.tr> proto=ESMTP helo=<mail-yb1-f174.google.com>: 5.7.1 message content rejected",
        "reject | queue_id=906F418067A | action=reject | stage=header Subject: Yusuf | client_name=mail-yb1-f174.google.com | client_addr=209.85.219.174 | reply=5.7.1 message content rejected | from=testmaili34@gmail.com | to=ugur@ugurcomptech.com.tr | proto=ESMTP | helo=mail-yb1-f174.google.com",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 9804DB31C2: reject: header To: <user@example.com> from sample.net[192.168.0.1]; from=<bogus@anywhere.com> to=<user@example.com> proto=ESMTP helo=<anywhere.com>: Any reason",
        "reject | queue_id=9804DB31C2 | action=reject | stage=header To: <user@example.com> | client_name=sample.net | client_addr=192.168.0.1 | reply=Any reason | from=bogus@anywhere.com | to=user@example.com | proto=ESMTP | helo=anywhere.com",
    );
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 831C2C2E0D: reject: body Quality Replica watches!!! from example.com[192.168.0.1]; from=<user@example.com> to=<recip@sample.net> proto=SMTP helo=<example.com>: 5.7.1 Spam: Watches",
        "reject | queue_id=831C2C2E0D | action=reject | stage=body Quality Replica watches!!! | client_name=example.com | client_addr=192.168.0.1 | reply=5.7.1 Spam: Watches | from=user@example.com | to=recip@sample.net | proto=SMTP | helo=example.com",
    );
    // Found by fuzzing (parse_one_line): `proto=` ends at the reply's `: ` even when no
    // blank follows its value (a second `from=` used to be read as a field replacing the
    // first, and the entry printed as a line that did not parse back).
    check(
        "Oct 22 02:13:46 conch postfix/cleanup[26897]: 2E8541019A: reject: header Subject: Cheap pills from pc[192.0.2.50]; from=<jack@example.edu> to=<le\u{fffd}@remote.example> proto=ES2B3C4D5E6]: from=<0076]: 65lo=<pc>: 5.7.1 message content rejected",
        "reject | queue_id=2E8541019A | action=reject | stage=header Subject: Cheap pills | client_name=pc | client_addr=192.0.2.50 | reply=from=<0076]: 65lo=<pc>: 5.7.1 message content rejected | from=jack@example.edu | to=le\u{fffd}@remote.example | proto=ES2B3C4D5E6]",
    );
    // Postfix writes each field once: a line with one twice is not its line.
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 2E8541019A: reject: header Subject: x from local; from=<a@example.edu> from=<b@example.edu>: 5.7.1 rejected",
        "unrecognized",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 no; from=<a@example.edu> to=<b@example.org> to=<c@example.org> proto=ESMTP helo=<x>",
        "unrecognized",
    );
    // A value that ends in `:` just before the reply's `: `.
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 2E8541019A: reject: header Subject: x from local; from=<a@example.edu> proto=ES]:: 5.7.1 rejected",
        "reject | queue_id=2E8541019A | action=reject | stage=header Subject: x | reply=5.7.1 rejected | from=a@example.edu | proto=ES]:",
    );
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 26B6AC2DB5: reject: body xx Subject: Cheapest Viagra and Cialis you can find! from local; from=<root@localhost>: 5.7.1 Spam: Drugs",
        "reject | queue_id=26B6AC2DB5 | action=reject | stage=body xx Subject: Cheapest Viagra and Cialis you can find! | reply=5.7.1 Spam: Drugs | from=root@localhost",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "May 29 12:57:23 server postfix/cleanup[21915]: 2E8541019: discard: body ghfgh anomaly: icmp_sweep rterte from local; from=<root@server> to=<you@example.com>: Useless ICMP scan notification",
        "reject | queue_id=2E8541019 | action=discard | stage=body ghfgh anomaly: icmp_sweep rterte | reply=Useless ICMP scan notification | from=root@server | to=you@example.com",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 64215C2E55: hold: header Subject: Hold Test from local; from=<test@sample.net> to=<user@example.com>: testing hold messages",
        "reject | queue_id=64215C2E55 | action=hold | stage=header Subject: Hold Test | reply=testing hold messages | from=test@sample.net | to=user@example.com",
    );
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: BAFC080410: hold: header Received: by example.com (Postfix, from userid 0 BAFC080410; Tue, 10 Apr 2007 03:11:21 +0200 (CEST) from local; from=<user@example.com>",
        "reject | queue_id=BAFC080410 | action=hold | stage=header Received: by example.com (Postfix, from userid 0 BAFC080410; Tue, 10 Apr 2007 03:11:21 +0200 (CEST) | from=user@example.com",
    );
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: E9E0CC2E22: hold: header Message-ID: <user@example.com> from localhost[127.0.0.1]; from=<test@sample.net> to=<user@example.com> proto=ESMTP helo=<sample.net>: Log message here",
        "reject | queue_id=E9E0CC2E22 | action=hold | stage=header Message-ID: <user@example.com> | client_name=localhost | client_addr=127.0.0.1 | reply=Log message here | from=test@sample.net | to=user@example.com | proto=ESMTP | helo=sample.net",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Nov 18 17:34:01 meiliserver postfix/cleanup[31024]: AB3116645BB: hold: header Received: from mail-qk0-f172.google.com (mail-qk0-f172.google.com [209.85.220.172])??by mail.tsutt.ee (Postfix) with ESMTPS id AB3116645BB??for <janar@tsutt.e$",
        "reject | queue_id=AB3116645BB | action=hold | stage=header Received: from mail-qk0-f172.google.com (mail-qk0-f172.google.com [209.85.220.172])??by mail.tsutt.ee (Postfix) with ESMTPS id AB3116645BB??for <janar@tsutt.e$",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: D8B07E3DB6: warning: header Subject: https://drive.google.com/file/d/0B8wxcvprDYVdlVsdf1kzOVkdisarmed/view?usp=sharing from o1678917x173.outbound-mail.sendgrid.net[167.89.17.173]; from=<bounces+2320708-7653-frank.test=hsdjasdd.co.uk@sendgrid.net> to=<frank.test@hsdjasdd.co.uk> proto=ESMTP helo=<o1678917x173.outbound-mail.sendgrid.net>",
        "reject | queue_id=D8B07E3DB6 | action=warning | stage=header Subject: https://drive.google.com/file/d/0B8wxcvprDYVdlVsdf1kzOVkdisarmed/view?usp=sharing | client_name=o1678917x173.outbound-mail.sendgrid.net | client_addr=167.89.17.173 | from=bounces+2320708-7653-frank.test=hsdjasdd.co.uk@sendgrid.net | to=frank.test@hsdjasdd.co.uk | proto=ESMTP | helo=o1678917x173.outbound-mail.sendgrid.net",
    );
    // github-issues-and-docs__verbatim-snippets (payload; the header is ours)
    check(
        r#"Jan  1 00:00:00 mail postfix/cleanup[1]: 77EFFC0015: warning: header Content-Disposition: inline; filename="image003.jpg"; size=26055;??creation-date="Thu, 12 Sep 2019 12:39:01 GMT";??modification-date="Thu, 12 Sep 2019 12:40:01 GMT" from mail.outbound.protection.outlook.com[1.1.1.1]; from=<> to=<john.doe@exemple.com> proto=ESMTP helo=<NAM03.outbound.protection.outlook.com>"#,
        r#"reject | queue_id=77EFFC0015 | action=warning | stage=header Content-Disposition: inline; filename="image003.jpg"; size=26055;??creation-date="Thu, 12 Sep 2019 12:39:01 GMT";??modification-date="Thu, 12 Sep 2019 12:40:01 GMT" | client_name=mail.outbound.protection.outlook.com | client_addr=1.1.1.1 | from= | to=john.doe@exemple.com | proto=ESMTP | helo=NAM03.outbound.protection.outlook.com"#,
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: D95341E50350: info: header Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_=E2=80=92?= test from local; from=<from@example.com> to=<to@example.com>",
        "reject | queue_id=D95341E50350 | action=info | stage=header Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_=E2=80=92?= test | from=from@example.com | to=to@example.com",
    );
    check(
        r#"Jan  1 00:00:00 mail postfix/cleanup[1]: 413E164734: info: header Content-Disposition: attachment;? filename="=?UTF-8?B?SU5WT0lDRV/Dtl/DpF/DvF/igqxfZGhrZmpzX2pkb2ZrYWpzbGRrZmpfbHNq?= =?UTF-8?B?ZGFsa2ZqaF9hZGprZnNhaGZkamtfR3LDvMOfZV9paGtmaHNha2pfZGZhaHNf?= =?UTF-8?B? from localhost[127.0.0.1]; from=<from@example.com> to=<to@example.com> proto=ESMTP helo=<localhost.localdomain>"#,
        r#"reject | queue_id=413E164734 | action=info | stage=header Content-Disposition: attachment;? filename="=?UTF-8?B?SU5WT0lDRV/Dtl/DpF/DvF/igqxfZGhrZmpzX2pkb2ZrYWpzbGRrZmpfbHNq?= =?UTF-8?B?ZGFsa2ZqaF9hZGprZnNhaGZkamtfR3LDvMOfZV9paGtmaHNha2pfZGZhaHNf?= =?UTF-8?B? | client_name=localhost | client_addr=127.0.0.1 | from=from@example.com | to=to@example.com | proto=ESMTP | helo=localhost.localdomain"#,
    );
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 48rT2v1hQrz1J0N: prepend: header X-Spam-Status: Yes, score=45.1 required=10.0 tests=ADVANCE_FE from mx2.example.org[192.0.2.41]; from=<SRS0=1sN3=5P=example.org=noreply@srs.example.org> to=<recipient@example.net> proto=ESMTP helo=<mx2.example.org>: X-Spam-Status: Yes",
        "reject | queue_id=48rT2v1hQrz1J0N | action=prepend | stage=header X-Spam-Status: Yes, score=45.1 required=10.0 tests=ADVANCE_FE | client_name=mx2.example.org | client_addr=192.0.2.41 | reply=X-Spam-Status: Yes | from=SRS0=1sN3=5P=example.org=noreply@srs.example.org | to=recipient@example.net | proto=ESMTP | helo=mx2.example.org",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_25_authclean_cleanup
    check(
        "2022-01-08T19:42:13.269106+00:00 mail postfix/authclean/cleanup[19193]: 1F5A2194AA9: replace: header Received: from smtpclient.apple (client.example.com [1.2.3.4])??(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))??(No client certificate requested)??by mail.enough. from client.example.com[1.2.3.4]; from=<sender@sender.example.com> to=<recipient@recipient.example.com> proto=ESMTP helo=<smtpclient.apple>: Received: from authenticated-user (localrelay.example.com [127.0.0.1])??(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))??(No client certificate requested)??by localrelay.example.com (Postfix) with ESMTPSA id 1F5A2194AA9??for <recipient@recipient.example.com>; Sat,  8 Jan 2022 19:42:13 +0000 (UTC)",
        "reject | queue_id=1F5A2194AA9 | action=replace | stage=header Received: from smtpclient.apple (client.example.com [1.2.3.4])??(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))??(No client certificate requested)??by mail.enough. | client_name=client.example.com | client_addr=1.2.3.4 | reply=Received: from authenticated-user (localrelay.example.com [127.0.0.1])??(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))??(No client certificate requested)??by localrelay.example.com (Postfix) with ESMTPSA id 1F5A2194AA9??for <recipient@recipient.example.com>; Sat,  8 Jan 2022 19:42:13 +0000 (UTC) | from=sender@sender.example.com | to=recipient@recipient.example.com | proto=ESMTP | helo=smtpclient.apple",
    );
    check(
        "2022-01-08T19:42:13.269456+00:00 mail postfix/authclean/cleanup[19193]: 1F5A2194AA9: replace: header Mime-Version: 1.0 (1.0) from client.example.com[1.2.3.4]; from=<sender@sender.example.com> to=<recipient@recipient.example.com> proto=ESMTP helo=<smtpclient.apple>: Mime-Version: 1.0",
        "reject | queue_id=1F5A2194AA9 | action=replace | stage=header Mime-Version: 1.0 (1.0) | client_name=client.example.com | client_addr=1.2.3.4 | reply=Mime-Version: 1.0 | from=sender@sender.example.com | to=recipient@recipient.example.com | proto=ESMTP | helo=smtpclient.apple",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_12_two_independent_deliveries_in_the_same_smtpd_process_in_order
    check(
        "Dec  9 10:18:23 mail postfix/sender-cleanup/cleanup[20048]: BA8F630001DA: replace: header MIME-Version: 1.0 from client.example.com[89.247.252.52]; from=<sender@mydomain.com> to=<recipient1@dst2.example.com> proto=ESMTP helo=<[192.168.0.170]>: Mime-Version: 1.0",
        "reject | queue_id=BA8F630001DA | action=replace | stage=header MIME-Version: 1.0 | client_name=client.example.com | client_addr=89.247.252.52 | reply=Mime-Version: 1.0 | from=sender@mydomain.com | to=recipient1@dst2.example.com | proto=ESMTP | helo=[192.168.0.170]",
    );
    // Milter verdicts at cleanup.
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_15_milter-reject
    check(
        "Jan 25 18:54:51 mx postfix/cleanup[8966]: B37FD2E05B9: milter-reject: END-OF-MESSAGE from h-ca74a0a011076cd81347f8f11e[254.65.43.194]: 4.7.1 Try again later; from=<bounce+1b6a63.922c68-christoph=h-ffd2115d4f@h-79b594737831a5d176dabf9.com> to=<h-7abde52c2@h-ffd2115d4f.com> proto=ESMTP helo=<h-ca74a0a011076cd81347f8f11e>",
        "reject | queue_id=B37FD2E05B9 | action=milter-reject | stage=END-OF-MESSAGE | client_name=h-ca74a0a011076cd81347f8f11e | client_addr=254.65.43.194 | reply=4.7.1 Try again later | from=bounce+1b6a63.922c68-christoph=h-ffd2115d4f@h-79b594737831a5d176dabf9.com | to=h-7abde52c2@h-ffd2115d4f.com | proto=ESMTP | helo=h-ca74a0a011076cd81347f8f11e",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_17-smtpd-reject-with-milter-reject
    check(
        "Feb 16 22:23:12 mx postfix/cleanup[9060]: 769FF2E0760: milter-reject: END-OF-MESSAGE from h-72f555a0840e4b9553[117.165.155.187]: 5.7.1 Spam message rejected; from=<h-59bd@h-183bcda0e2fe4.com> to=<h-688f0f21f362894034ba55@h-ff6b5e9182fd933.com> proto=ESMTP helo=<h-72f555a0840e4b9553>",
        "reject | queue_id=769FF2E0760 | action=milter-reject | stage=END-OF-MESSAGE | client_name=h-72f555a0840e4b9553 | client_addr=117.165.155.187 | reply=5.7.1 Spam message rejected | from=h-59bd@h-183bcda0e2fe4.com | to=h-688f0f21f362894034ba55@h-ff6b5e9182fd933.com | proto=ESMTP | helo=h-72f555a0840e4b9553",
    );
    // youyo__postfix-log-parser__test_test-milter
    check(
        "2021-02-06T10:57:58+01:00 mail.server.com postfix/cleanup[59586]: D6DDA23B0F: milter-reject: END-OF-MESSAGE from unknown[99.88.77.66]: 4.7.1 Greylisting in action, try again later; from=<user2@example.com> to=<some.dest@destdomain.com> proto=ESMTP helo=<host.sender.domain>",
        "reject | queue_id=D6DDA23B0F | action=milter-reject | stage=END-OF-MESSAGE | client_name=unknown | client_addr=99.88.77.66 | reply=4.7.1 Greylisting in action, try again later | from=user2@example.com | to=some.dest@destdomain.com | proto=ESMTP | helo=host.sender.domain",
    );
    check(
        "2021-02-19T14:32:14.976132+01:00 smtp01.example.org postfix/cleanup[52106] E89FA2DEDA: milter-hold: END-OF-MESSAGE from srv05.source.com[10.11.12.13]: milter triggers HOLD action; from=<> to=<this_user@this.domain.com> proto=ESMTP helo=<this.domain.com>",
        "reject | queue_id=E89FA2DEDA | action=milter-hold | stage=END-OF-MESSAGE | client_name=srv05.source.com | client_addr=10.11.12.13 | reply=milter triggers HOLD action | from= | to=this_user@this.domain.com | proto=ESMTP | helo=this.domain.com",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 4104E3D: milter-header-redirect: header X-Spam-Status: Yes, score=39.3 required=5.0 tests=ADVANCE_FE from 061238241086.static.ctinets.com[61.238.241.86]; from=<wumt5@cchfdc.com> to=<voorzitter@example.com> proto=ESMTP helo=<ecsolved.com>: tom@example.com",
        "reject | queue_id=4104E3D | action=milter-header-redirect | stage=header X-Spam-Status: Yes, score=39.3 required=5.0 tests=ADVANCE_FE | client_name=061238241086.static.ctinets.com | client_addr=61.238.241.86 | reply=tom@example.com | from=wumt5@cchfdc.com | to=voorzitter@example.com | proto=ESMTP | helo=ecsolved.com",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: C569C12: milter-reject: END-OF-MESSAGE from sample.net[10.0.0.1]: 5.7.1 black listed URL host sample.com by .black.uribl.com; from=<from@sample.net> to=<to@example.com> proto=ESMTP helo=<sample.net>",
        "reject | queue_id=C569C12 | action=milter-reject | stage=END-OF-MESSAGE | client_name=sample.net | client_addr=10.0.0.1 | reply=5.7.1 black listed URL host sample.com by .black.uribl.com | from=from@sample.net | to=to@example.com | proto=ESMTP | helo=sample.net",
    );
}

#[test]
fn sasl_failures() {
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Sep  6 00:44:56 trianon postfix/submission/smtpd[11538]: warning: unknown[82.221.106.233]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        "sasl_failure | client_name=unknown | client_addr=82.221.106.233 | mechanism=LOGIN | reason=UGFzc3dvcmQ6",
    );
    check(
        "Sep  6 00:44:57 trianon postfix/submission/smtpd[11538]: warning: unknown[82.221.106.233]: SASL login authentication failed: UGFzc3dvcmQ6",
        "sasl_failure | client_name=unknown | client_addr=82.221.106.233 | mechanism=login | reason=UGFzc3dvcmQ6",
    );
    check(
        "Aug 3 15:30:49 ksusha postfix/smtpd[17041]: warning: mail.foldsandwalker.com[98.191.84.74]: SASL Plain authentication failed:",
        "sasl_failure | client_name=mail.foldsandwalker.com | client_addr=98.191.84.74 | mechanism=Plain | reason=",
    );
    check(
        "Dec  2 22:24:22 hel postfix/smtpd[7676]: warning: 114-44-142-233.dynamic.hinet.net[114.44.142.233]: SASL CRAM-MD5 authentication failed: PDc3OTEwNTkyNTEyMzA2NDIuMTIyODI1MzA2MUBoZWw+",
        "sasl_failure | client_name=114-44-142-233.dynamic.hinet.net | client_addr=114.44.142.233 | mechanism=CRAM-MD5 | reason=PDc3OTEwNTkyNTEyMzA2NDIuMTIyODI1MzA2MUBoZWw+",
    );
    check(
        "Aug 4 16:47:52 mail3 postfix/smtpd[31152]: warning: unknown[192.0.2.237]:55729: SASL LOGIN authentication failed: authentication failure",
        "sasl_failure | client_name=unknown | client_addr=192.0.2.237 | client_port=55729 | mechanism=LOGIN | reason=authentication failure",
    );
    check(
        "Nov  4 09:11:01 mail postfix/smtpd[1234]: warning: unknown[192.0.2.152]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin",
        "sasl_failure | client_name=unknown | client_addr=192.0.2.152 | mechanism=LOGIN | reason=(reason unavailable) | sasl_username=admin",
    );
    check(
        "Mar 10 13:33:30 gandalf postfix/smtpd[3937]: warning: HOSTNAME[1.1.1.1]: SASL LOGIN authentication failed: authentication failure",
        "sasl_failure | client_name=HOSTNAME | client_addr=1.1.1.1 | mechanism=LOGIN | reason=authentication failure",
    );
    check(
        "Jan 29 08:11:45 mail postfix/smtpd[10752]: warning: unknown[1.1.1.1]: SASL LOGIN authentication failed: Password:",
        "sasl_failure | client_name=unknown | client_addr=1.1.1.1 | mechanism=LOGIN | reason=Password:",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Apr 26 10:55:19 tcc1 postfix/smtpd[21126]: warning: laptop.local[192.168.1.2]: SASL PLAIN authentication failed: generic failure",
        "sasl_failure | client_name=laptop.local | client_addr=192.168.1.2 | mechanism=PLAIN | reason=generic failure",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "2021-02-28T11:58:40.127Z zmproxy.fws.fr postfix/submission/smtpd[4131]: warning: unknown[192.168.7.105]: SASL LOGIN authentication failed: another step is needed in authentication",
        "sasl_failure | client_name=unknown | client_addr=192.168.7.105 | mechanism=LOGIN | reason=another step is needed in authentication",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: warning: example.com[192.168.0.1]: SASL DIGEST-MD5 authentication failed ",
        "sasl_failure | client_name=example.com | client_addr=192.168.0.1 | mechanism=DIGEST-MD5 | reason=",
    );
    // Not a failure of one client: the SASL back end is down.
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Apr 26 10:55:19 tcc1 postfix/smtpd[21126]: warning: SASL authentication failure: cannot connect to saslauthd server: Permission denied",
        "warning | text=warning: SASL authentication failure: cannot connect to saslauthd server: Permission denied",
    );
}

#[test]
fn pickups_and_message_ids() {
    // github-issues-and-docs__verbatim-snippets
    check(
        "Feb  1 13:17:02 mail postfix/pickup[28541]: 08ACF1541B01: uid=42 from=<someone>",
        "pickup | queue_id=08ACF1541B01 | uid=42 | from=someone",
    );
    check(
        "2021-03-13T12:04:09.755361+01:00 cx20-2 postfix/pickup[7274]: B83DE2400BE: uid=30 from=<wwwrun>",
        "pickup | queue_id=B83DE2400BE | uid=30 | from=wwwrun",
    );
    // vignemail1__pflogsumm-go__testdata_sample
    check(
        "Mar 22 08:02:01 mailhost postfix/pickup[12360]: KLMNO11111: uid=1000 from=<localuser>",
        "pickup | queue_id=KLMNO11111 | uid=1000 | from=localuser",
    );
    // msimerson__postfix-parser__test_index.js (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/pickup[1]: 3mKxs308vpz7sXd: uid=1206 from=<system>",
        "pickup | queue_id=3mKxs308vpz7sXd | uid=1206 | from=system",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log
    check(
        "Jan 28 06:40:37 mail postfix/cleanup[15069]: 8BD903012026: message-id=<h-e13b9e542677f148e385fc59c75afc08c78f6aa1@h-de82e022d99.com>",
        "message_id | queue_id=8BD903012026 | message_id=<h-e13b9e542677f148e385fc59c75afc08c78f6aa1@h-de82e022d99.com>",
    );
    // digineo__postfix_exporter__testdata_mail
    check(
        "Sep 23 15:57:40 mail postfix/cleanup[3646045]: 838FC8A5F: message-id=<341d97ec-c42a-6b0d-a49d-00d44a4f9753@example.org>",
        "message_id | queue_id=838FC8A5F | message_id=<341d97ec-c42a-6b0d-a49d-00d44a4f9753@example.org>",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_8_weird_log_file
    check(
        "Oct 13 16:40:40 ucs postfix/cleanup[18571]: 4F5C64474F: message-id=<>",
        "message_id | queue_id=4F5C64474F | message_id=<>",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jan 29 17:27:21 mx postfix/cleanup[22582]: A55EA2E01B5: message-id=",
        "message_id | queue_id=A55EA2E01B5 | message_id=",
    );
    check(
        "Jan 25 10:00:04 mx postfix/cleanup[21978]: AF98F2E0768: message-id=2021-01-25 10:00:05.006274",
        "message_id | queue_id=AF98F2E0768 | message_id=2021-01-25 10:00:05.006274",
    );
    check(
        "Jan 26 04:27:34 mx postfix/cleanup[1525]: 59DC92E2BB8: message-id=<h-22b35ef986ae4024dffa0@h-70550910e99892.com>+29A6080B6290BF43",
        "message_id | queue_id=59DC92E2BB8 | message_id=<h-22b35ef986ae4024dffa0@h-70550910e99892.com>+29A6080B6290BF43",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:43 mail postfix/cleanup[724186]: 6C72ADE204BF: message-id=<008001dabe39$9ee8ef50$dcbacdf0$@nok@zdrav.spb.ru>",
        "message_id | queue_id=6C72ADE204BF | message_id=<008001dabe39$9ee8ef50$dcbacdf0$@nok@zdrav.spb.ru>",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: ADD961003206D: message-id==?UTF-8?B?PDE5?=? =?UTF-8?B?MTIyMDExMjkxNjYxMUBDbGllbnQtMDQ1LnJ1YmluZXR0ZXJpZS5sb2NhbD4=?=",
        "message_id | queue_id=ADD961003206D | message_id==?UTF-8?B?PDE5?=? =?UTF-8?B?MTIyMDExMjkxNjYxMUBDbGllbnQtMDQ1LnJ1YmluZXR0ZXJpZS5sb2NhbD4=?=",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: F0EC9BBE2: message-id=<C1BEA2A0.188572%from@example.com>",
        "message_id | queue_id=F0EC9BBE2 | message_id=<C1BEA2A0.188572%from@example.com>",
    );
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 52A49200E1: resent-message-id=4739073.1",
        "message_id | queue_id=52A49200E1 | resent_message_id=4739073.1",
    );
    // msimerson__postfix-parser__test_index.js (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: 3mL1Hq0Tgvz7sWh: resent-message-id=<3mL1Hq0Tgvz7sWh@mx14.example.net>",
        "message_id | queue_id=3mL1Hq0Tgvz7sWh | resent_message_id=<3mL1Hq0Tgvz7sWh@mx14.example.net>",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_16_corrupted_messageid
    check(
        "Jan 26 15:50:21 mx postfix/cleanup[22403]: 1A3642E0C5C: message-id=<eyJyZXBseV90byI6Im5ldWZlcnRAaW5ub3YuZW5lcmd5IiwiYnhfbXNnX2lkIjoiODUwNmViOTYtMzNlNS00ZWI4LWE4NzItZDI2NjBiMWMyZWJiIiwiYnhfY29tcGFueV9pZCI6ImpwdHdkdjNxNWVzayIsInN1YmplY3QiOiJBbmdlYm90IHNhbGlkb21vIDkgb2huZSBOb3RzdHJvbS9VU1YgfCBQcm9qZWt0IERvYmxlciIsImJvZHkiOiJTZWhyIGdlZWhydGUvciBIZXJyIFJlbsOpIELDvGNoaSxcclxuXHJcbnZpZWxlbiBEYW5rIGbDvHIgSWhyZSBBbmZyYWdlIHVuZCBkYXMgZGFtaXQgdmVyYnVuZGVuZSBJbnRlcmVzc2UgYW4gdW5zZXJlbSBzYWxpZG9tby1TYWx6YmF0dGVyaWVzcGVpY2hlcnN5c3RlbS4gXHJcblxyXG5HZXJuZSB1bnRlcmJyZWl0ZW4gd2lyIElobmVuIHVuc2VyIEFuZ2Vib3QgS0QtQUdCLTIwMjEtMDEtMjYtMTAzMDkwLTAyMSB2b20gMjYuMDEuMjAyMSDDvGJlciBDSEYgMTcnNjQxLjI2LlxyXG5cclxuVW50ZXIgZm9sZ2VuZGVtIExpbmsga8O2bm5lbiBTaWUgZGFzIGdlc2FtdGUgQW5nZWJvdCBhbnNlaGVuOlxyXG5odHRwczovL25ldHdvcmsuYmV4aW8uY29tL29mZmVyLzU0MGQyYTcyNzBiYTE2YjFjNGQwZTgzMWVmOTA4YjZjZmU4YWFmOGFhZWQwZDBkMzliYzdhOGZkNzY5ZjY1Y2RcclxuXHJcblp1ciBBdXNsw7ZzdW5nIGRlcyBBdWZ0cmFncyBiZXN0w6R0aWdlbiBTaWUgYml0dGUgaW0gSGVhZGVyIGRlcyBPbmxpbmUtQW5nZWJvdGVzIGRlbiBBa3plcHRpZXJlb? i1CdXR0b24uIFNpZSBlcmhhbHRlbiBkYW5uIHVtZ2VoZW5kIHZvbiB1bnMgZWluZSBBdWZ0cmFnc2Jlc3TDpHRpZ3VuZy5cclxuXHJcbldpciBob2ZmZW4sIGRhc3MgZGFzIEFuZ2Vib3QgSWhyZW4gQW5mb3JkZXJ1bmdlbiBlbnRzcHJpY2h0IHVuZCBmcmV1ZW4gdW5zIGF1ZiBkaWUgWnVzYW1tZW5hcmJlaXQuIEbDvHIgUsO8Y2tmcmFnZW4gdW5kIHdlaXRlcmUgSW5mb3JtYXRpb25lbiBzdGVoZW4gd2lyIGdlcm4genVyIFZlcmbDvGd1bmc6IFxyXG5vZmZlcnRlQGlubm92LmVuZXJneSBvZGVyICs0MSAzMyA1NTIgMTAgMTBcclxuXHJcbk1pdCBmcmV1bmRsaWNoZW4gR3LDvHNzZW5cclxuXHJcbk1heCBVcnNpbiAvIFBldGVyIFJ1dGhcclxuSW5ub3ZlbmVyZ3kgR21iSFxyXG5fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX1xyXG5cclxuV2VpdGVyZSBJbmZvcm1hdGlvbmVuIHp1IGlubm92ZW5lcmd5IHVuZCBkZW4gU2FsemJhdHRlcmllc3BlaWNoZXJsw7ZzdW5nZW4gZmluZGVuIFNpZSB1bnRlcjogXHJcbnd3dy5pbm5vdi5lbmVyZ3lcclxuX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX18iLCJzbXRwX2lkIjoiPDE2NjE5NzExMDMuNzEyLjE2MTE2NzI2MTkzMTdAZW1haWwtc2VydmljZS05Nm? Y3ZmI",
        "message_id | queue_id=1A3642E0C5C | message_id=<eyJyZXBseV90byI6Im5ldWZlcnRAaW5ub3YuZW5lcmd5IiwiYnhfbXNnX2lkIjoiODUwNmViOTYtMzNlNS00ZWI4LWE4NzItZDI2NjBiMWMyZWJiIiwiYnhfY29tcGFueV9pZCI6ImpwdHdkdjNxNWVzayIsInN1YmplY3QiOiJBbmdlYm90IHNhbGlkb21vIDkgb2huZSBOb3RzdHJvbS9VU1YgfCBQcm9qZWt0IERvYmxlciIsImJvZHkiOiJTZWhyIGdlZWhydGUvciBIZXJyIFJlbsOpIELDvGNoaSxcclxuXHJcbnZpZWxlbiBEYW5rIGbDvHIgSWhyZSBBbmZyYWdlIHVuZCBkYXMgZGFtaXQgdmVyYnVuZGVuZSBJbnRlcmVzc2UgYW4gdW5zZXJlbSBzYWxpZG9tby1TYWx6YmF0dGVyaWVzcGVpY2hlcnN5c3RlbS4gXHJcblxyXG5HZXJuZSB1bnRlcmJyZWl0ZW4gd2lyIElobmVuIHVuc2VyIEFuZ2Vib3QgS0QtQUdCLTIwMjEtMDEtMjYtMTAzMDkwLTAyMSB2b20gMjYuMDEuMjAyMSDDvGJlciBDSEYgMTcnNjQxLjI2LlxyXG5cclxuVW50ZXIgZm9sZ2VuZGVtIExpbmsga8O2bm5lbiBTaWUgZGFzIGdlc2FtdGUgQW5nZWJvdCBhbnNlaGVuOlxyXG5odHRwczovL25ldHdvcmsuYmV4aW8uY29tL29mZmVyLzU0MGQyYTcyNzBiYTE2YjFjNGQwZTgzMWVmOTA4YjZjZmU4YWFmOGFhZWQwZDBkMzliYzdhOGZkNzY5ZjY1Y2RcclxuXHJcblp1ciBBdXNsw7ZzdW5nIGRlcyBBdWZ0cmFncyBiZXN0w6R0aWdlbiBTaWUgYml0dGUgaW0gSGVhZGVyIGRlcyBPbmxpbmUtQW5nZWJvdGVzIGRlbiBBa3plcHRpZXJlb? i1CdXR0b24uIFNpZSBlcmhhbHRlbiBkYW5uIHVtZ2VoZW5kIHZvbiB1bnMgZWluZSBBdWZ0cmFnc2Jlc3TDpHRpZ3VuZy5cclxuXHJcbldpciBob2ZmZW4sIGRhc3MgZGFzIEFuZ2Vib3QgSWhyZW4gQW5mb3JkZXJ1bmdlbiBlbnRzcHJpY2h0IHVuZCBmcmV1ZW4gdW5zIGF1ZiBkaWUgWnVzYW1tZW5hcmJlaXQuIEbDvHIgUsO8Y2tmcmFnZW4gdW5kIHdlaXRlcmUgSW5mb3JtYXRpb25lbiBzdGVoZW4gd2lyIGdlcm4genVyIFZlcmbDvGd1bmc6IFxyXG5vZmZlcnRlQGlubm92LmVuZXJneSBvZGVyICs0MSAzMyA1NTIgMTAgMTBcclxuXHJcbk1pdCBmcmV1bmRsaWNoZW4gR3LDvHNzZW5cclxuXHJcbk1heCBVcnNpbiAvIFBldGVyIFJ1dGhcclxuSW5ub3ZlbmVyZ3kgR21iSFxyXG5fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX1xyXG5cclxuV2VpdGVyZSBJbmZvcm1hdGlvbmVuIHp1IGlubm92ZW5lcmd5IHVuZCBkZW4gU2FsemJhdHRlcmllc3BlaWNoZXJsw7ZzdW5nZW4gZmluZGVuIFNpZSB1bnRlcjogXHJcbnd3dy5pbm5vdi5lbmVyZ3lcclxuX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX18iLCJzbXRwX2lkIjoiPDE2NjE5NzExMDMuNzEyLjE2MTE2NzI2MTkzMTdAZW1haWwtc2VydmljZS05Nm? Y3ZmI",
    );
}

#[test]
fn queue_manager() {
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log
    check(
        "Jan 28 06:40:37 mail postfix/qmgr[1789]: 8BD903012026: from=<h-2c4a691bf4126f@h-51363726f1.com>, size=5652, nrcpt=1 (queue active)",
        "queued | queue_id=8BD903012026 | from=h-2c4a691bf4126f@h-51363726f1.com | size=5652 | nrcpt=1 | note=queue active",
    );
    // msimerson__postfix-parser__test_index.js
    check(
        "Jul  5 06:52:11 prd-mx1 postfix/qmgr[20459]: 3mPVKl0Mhjz7sXv: from=<>, size=2666, nrcpt=2 (queue active)",
        "queued | queue_id=3mPVKl0Mhjz7sXv | from= | size=2666 | nrcpt=2 | note=queue active",
    );
    check(
        "Sep 25 12:07:56 rory-dev postfix/qmgr[1626]: ED373F8043E: from=rory@rory-dev.localdomain, size=270, nrcpt=1 (queue active)",
        "queued | queue_id=ED373F8043E | from=rory@rory-dev.localdomain | size=270 | nrcpt=1 | note=queue active",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:45 mail postfix/qmgr[2844429]: 0BD28DE2049E: from=<omois-spb@yandex.ru>, size=1264444, nrcpt=38 (queue active)",
        "queued | queue_id=0BD28DE2049E | from=omois-spb@yandex.ru | size=1264444 | nrcpt=38 | note=queue active",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/qmgr[1]: 4AEFAF569C11: from=<FROM: SOME USER@example.com>, size=4051, nrcpt=1 (queue active)",
        "queued | queue_id=4AEFAF569C11 | from=FROM: SOME USER@example.com | size=4051 | nrcpt=1 | note=queue active",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Feb 11 16:49:24 letterman postfix/qmgr[8204]: AAB4D259B1: removed",
        "removed | queue_id=AAB4D259B1",
    );
    // msimerson__postfix-parser__test_index.js
    check(
        "Nov  6 01:01:03 mailq2 postfix/postsuper[1936]: 3nsRhm5bH5z306M: removed",
        "removed | queue_id=3nsRhm5bH5z306M",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Apr 10 14:50:16 mail postfix/qmgr[3663]: BACE842E72: from=<noreply@domain.com>, status=expired, returned to sender",
        "expired | queue_id=BACE842E72 | from=noreply@domain.com | status=expired",
    );
    check(
        "Apr 10 14:50:16 mail postfix/qmgr[3663]: BACE842E73: from=<noreply@domain.com>, status=force-expired, returned to sender",
        "expired | queue_id=BACE842E73 | from=noreply@domain.com | status=force-expired",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Sep  3 12:39:14 mailhost postfix-12.34.56.78/qmgr[24086]: B54DA300087: from=<redacted@company.com>, status=force-expired, returned to sender",
        "expired | queue_id=B54DA300087 | from=redacted@company.com | status=force-expired",
    );
    // kdent__postfix_log_analysis__mail2
    check(
        "Nov  2 05:28:19 conch postfix/qmgr[25409]: 99379242BC: from=<>, status=expired, returned to sender",
        "expired | queue_id=99379242BC | from= | status=expired",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_18_expired
    check(
        "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/qmgr[31214]: 23EBE3D5C0: from=<h-498b874f2bf0cf639807ad80e1@h-5e67b9b4406.com>, status=expired, returned to sender",
        "expired | queue_id=23EBE3D5C0 | from=h-498b874f2bf0cf639807ad80e1@h-5e67b9b4406.com | status=expired",
    );
    // sergeymakinen__postfix_exporter__exporter_testdata_mail
    check(
        "Jan 1 00:00:00 hostname postfix/qmgr[12345]: 123456789AB: from=<user@example.com>>, status=expired, returned to sender",
        "expired | queue_id=123456789AB | from=user@example.com> | status=expired",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/qmgr[1]: ED06590130AA1C9D6D862: skipped, still being delivered",
        "other | queue_id=ED06590130AA1C9D6D862 | text=ED06590130AA1C9D6D862: skipped, still being delivered",
    );
}

#[test]
fn deliveries() {
    // digineo__postfix_exporter__testdata_mail
    check(
        "Sep 23 15:57:42 mail postfix/smtp[3646046]: 838FC8A5F: to=<someone@example.com>, relay=gmail-smtp-in.l.google.com[173.194.76.27]:25, delay=1.6, delays=0.78/0/0.3/0.52, dsn=2.0.0, status=sent (250 2.0.0 OK  1632412662 aaaaaaaaaaaaaaa.511 - gsmtp)",
        "delivery | queue_id=838FC8A5F | to=someone@example.com | relay=gmail-smtp-in.l.google.com[173.194.76.27]:25 | delay=1.6 | delays=0.78/0/0.3/0.52 | dsn=2.0.0 | status=sent | response=250 2.0.0 OK  1632412662 aaaaaaaaaaaaaaa.511 - gsmtp",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_8_weird_log_file
    check(
        "Oct 13 16:40:42 ucs postfix/smtp[18572]: 4F5C64474F: to=<h-14a52d@h-d6b1ceccbb3bc48.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.7, delays=0.25/0.02/0.01/2.4, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ED01244770)",
        "delivery | queue_id=4F5C64474F | to=h-14a52d@h-d6b1ceccbb3bc48.com | relay=127.0.0.1[127.0.0.1]:10024 | delay=2.7 | delays=0.25/0.02/0.01/2.4 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ED01244770",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:41 mail postfix/amavis/smtp[720497]: 2E984DE204BF: to=<po10.zav@zdrav.spb.ru>, relay=127.0.0.1[127.0.0.1]:10024, delay=9.5, delays=0.5/0/0.01/9, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 90284DE204C8)",
        "delivery | queue_id=2E984DE204BF | to=po10.zav@zdrav.spb.ru | relay=127.0.0.1[127.0.0.1]:10024 | delay=9.5 | delays=0.5/0/0.01/9 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 90284DE204C8",
    );
    check(
        "Jun 14 12:02:44 mail postfix/amavis/smtp[720399]: 381DEDE204C1: to=<p44@spbgp44.ru>, orig_to=<p44@zdrav.spb.ru>, relay=127.0.0.1[127.0.0.1]:10024, delay=12, delays=0.2/0/0/12, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 439F6DE204BF)",
        "delivery | queue_id=381DEDE204C1 | to=p44@spbgp44.ru | orig_to=p44@zdrav.spb.ru | relay=127.0.0.1[127.0.0.1]:10024 | delay=12 | delays=0.2/0/0/12 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 439F6DE204BF",
    );
    check(
        "Jun 14 12:02:45 mail postfix/amavis/smtp[720363]: 40394DE204B6: to=<pd39@zdrav.spb.ru>, relay=127.0.0.1[127.0.0.1]:10024, conn_use=2, delay=7, delays=0.27/0/0/6.8, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 26CB6DE204C8)",
        "delivery | queue_id=40394DE204B6 | to=pd39@zdrav.spb.ru | relay=127.0.0.1[127.0.0.1]:10024 | conn_use=2 | delay=7 | delays=0.27/0/0/6.8 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 26CB6DE204C8",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_14_reuse_of_queueid
    check(
        "Sep  4 01:25:10 smtpnode06 postfix-170.55.103.23/smtp[6980]: 8A2373D47C: to=<h-8bbf27f9689@h-05c3ae107.com>, relay=170.55.103.23[170.55.103.23]:2501, conn_use=2, delay=0.74, delays=0.13/0.55/0/0.06, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 31DF53D477)",
        "delivery | queue_id=8A2373D47C | to=h-8bbf27f9689@h-05c3ae107.com | relay=170.55.103.23[170.55.103.23]:2501 | conn_use=2 | delay=0.74 | delays=0.13/0.55/0/0.06 | dsn=2.0.0 | status=sent | response=250 2.0.0 Ok: queued as 31DF53D477",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Nov 08 08:08:59 mx postfix-mx/content-filter/smtp[273144]: 4HnkK60lBRz6tl1: to=<a@b.c>, relay=192.168.1.1[192.168.1.1]:20202, delay=1.9, delays=1.7/0/0.05/0.18, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[192.168.1.2]:10025): 250 2.0.0 Ok: queued as 4HnkK74hXyz6tl6)",
        "delivery | queue_id=4HnkK60lBRz6tl1 | to=a@b.c | relay=192.168.1.1[192.168.1.1]:20202 | delay=1.9 | delays=1.7/0/0.05/0.18 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[192.168.1.2]:10025): 250 2.0.0 Ok: queued as 4HnkK74hXyz6tl6",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=dane/!requiretls:nocertmatch, dsn=2.1.5, status=sent (250 2.0.0 Ok: queued as 153053D)",
        "delivery | queue_id=7EE668039 | to=user@example.com | relay=mail.example.com[1.2.3.4]:25 | delay=3.6 | delays=0.08/0.02/0.85/0.14 | tls=dane/!requiretls:nocertmatch | dsn=2.1.5 | status=sent | response=250 2.0.0 Ok: queued as 153053D",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=may?, dsn=2.1.5, status=sent (250 2.0.0 Ok: queued as 153053D)",
        "delivery | queue_id=7EE668039 | to=user@example.com | relay=mail.example.com[1.2.3.4]:25 | delay=3.6 | delays=0.08/0.02/0.85/0.14 | tls=may? | dsn=2.1.5 | status=sent | response=250 2.0.0 Ok: queued as 153053D",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_25_authclean_cleanup
    check(
        "2022-01-08T19:42:13.582889+00:00 mail postfix/lmtp[19195]: 1F5A2194AA9: to=<user@recipient.example.com>, orig_to=<recipient@recipient.example.com>, relay=localrelay.example.com[private/dovecot-lmtp], delay=0.5, delays=0.47/0.01/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 <user@sender.example.com> JwAdIhXp2WH8SgAA7gYhOg Saved)",
        "delivery | queue_id=1F5A2194AA9 | to=user@recipient.example.com | orig_to=recipient@recipient.example.com | relay=localrelay.example.com[private/dovecot-lmtp] | delay=0.5 | delays=0.47/0.01/0.01/0.01 | dsn=2.0.0 | status=sent | response=250 2.0.0 <user@sender.example.com> JwAdIhXp2WH8SgAA7gYhOg Saved",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jan 10 16:15:30 mail postfix/lmtp[11996]: 400643011B47: to=<recipient@example.com>, relay=relay.example.com[/var/run/dovecot/lmtp], delay=0.06, delays=0.02/0.02/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 <recipient@example.com> hz3kESIo+1/dLgAAWP5Hkg Saved)",
        "delivery | queue_id=400643011B47 | to=recipient@example.com | relay=relay.example.com[/var/run/dovecot/lmtp] | delay=0.06 | delays=0.02/0.02/0.01/0.01 | dsn=2.0.0 | status=sent | response=250 2.0.0 <recipient@example.com> hz3kESIo+1/dLgAAWP5Hkg Saved",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_8_weird_log_file
    check(
        "Oct 13 16:40:43 ucs postfix/lmtp[18582]: ED01244770: to=<h-14a52d@h-d6b1ceccbb3bc48.com>, relay=127.0.0.1[127.0.0.1]:2003, delay=0.38, delays=0.03/0.02/0.06/0.28, dsn=2.1.5, status=sent (250 2.1.5 h-14a52d@h-d6b1ceccbb3bc48.com Ok)",
        "delivery | queue_id=ED01244770 | to=h-14a52d@h-d6b1ceccbb3bc48.com | relay=127.0.0.1[127.0.0.1]:2003 | delay=0.38 | delays=0.03/0.02/0.06/0.28 | dsn=2.1.5 | status=sent | response=250 2.1.5 h-14a52d@h-d6b1ceccbb3bc48.com Ok",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        r#"Jun 20 05:02:07 ns4 postfix/local[16460]: 95154657C: to=<h-493fac8f3@h-ea3f4afa.com>, orig_to=<h-195704c@h-20b651e8120a33ec11.com>, relay=local, delay=0.1, delays=0.09/0/0/0.01, dsn=2.0.0, status=sent (delivered to command: procmail -a "$EXTENSION" DEFAULT=$HOME/Maildir/)"#,
        r#"delivery | queue_id=95154657C | to=h-493fac8f3@h-ea3f4afa.com | orig_to=h-195704c@h-20b651e8120a33ec11.com | relay=local | delay=0.1 | delays=0.09/0/0/0.01 | dsn=2.0.0 | status=sent | response=delivered to command: procmail -a "$EXTENSION" DEFAULT=$HOME/Maildir/"#,
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        r#"Jan  1 00:00:00 mail postfix/local[1]: 892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: "ghdsgfhdslfh")"#,
        r#"delivery | queue_id=892A0205B6 | to=ghdsgfhdslfh@localhost | relay=local | delay=0.05 | delays=0.02/0/0/0.02 | dsn=5.1.1 | status=bounced | response=unknown user: "ghdsgfhdslfh""#,
    );
    // msimerson__postfix-parser__test_index.js (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/local[1]: 3mLQKH6hqhz7sWK: to=<logspam@system.alerts>, relay=local, delay=3.1, delays=1.8/0.86/0/0.44, dsn=2.0.0, status=sent (forwarded as 3mLQKK4rDdz7sVS)",
        "delivery | queue_id=3mLQKH6hqhz7sWK | to=logspam@system.alerts | relay=local | delay=3.1 | delays=1.8/0.86/0/0.44 | dsn=2.0.0 | status=sent | response=forwarded as 3mLQKK4rDdz7sVS",
    );
    check(
        "Jan  1 00:00:00 mail postfix/local[1]: 486ED600A5: to=<system@prd.slc.example.net>, orig_to=<system>, relay=local, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
        "delivery | queue_id=486ED600A5 | to=system@prd.slc.example.net | orig_to=system | relay=local | delay=0.01 | delays=0.01/0/0/0 | dsn=2.0.0 | status=sent | response=delivered to mailbox",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Apr  7 15:35:20 123-mail postfix/virtual[20235]: 199041033BE: to=<me@domain.fr>, relay=virtual, delay=0.08, delays=0.08/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
        "delivery | queue_id=199041033BE | to=me@domain.fr | relay=virtual | delay=0.08 | delays=0.08/0/0/0 | dsn=2.0.0 | status=sent | response=delivered to maildir",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jul 25 06:17:23 mail postfix/virtual[2438]: 9BD26E0D25: to=<reci@pient.com>, orig_to=<orig@recipient.com>, relay=virtual, delay=1.3, delays=1.2/0.02/0/0.04, dsn=2.0.0, status=sent (delivered to maildir)",
        "delivery | queue_id=9BD26E0D25 | to=reci@pient.com | orig_to=orig@recipient.com | relay=virtual | delay=1.3 | delays=1.2/0.02/0/0.04 | dsn=2.0.0 | status=sent | response=delivered to maildir",
    );
    check(
        "Jan 25 19:25:19 mx postfix/pipe[6221]: 03EAC2E0EDD: to=<h-7abde52c2@h-ffd2115d4f.com>, relay=dovecot, delay=5.5, delays=5.3/0.01/0/0.16, dsn=2.0.0, status=sent (delivered via dovecot service)",
        "delivery | queue_id=03EAC2E0EDD | to=h-7abde52c2@h-ffd2115d4f.com | relay=dovecot | delay=5.5 | delays=5.3/0.01/0/0.16 | dsn=2.0.0 | status=sent | response=delivered via dovecot service",
    );
    // oleg-medovikov__mail-server-anal__mail
    check(
        "Jun 14 12:02:44 mail postfix/pipe[678062]: 439F6DE204BF: to=<p44@zdrav.spb.ru>, relay=dovecot, delay=0.03, delays=0/0/0/0.02, dsn=4.3.0, status=deferred (temporary failure)",
        "delivery | queue_id=439F6DE204BF | to=p44@zdrav.spb.ru | relay=dovecot | delay=0.03 | delays=0/0/0/0.02 | dsn=4.3.0 | status=deferred | response=temporary failure",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/pipe[1]: 95ECE24E0: to=<tom@example.com>, relay=dovecot, delay=0.12, delays=0.03/0/0/0.08, dsn=5.4.6, status=bounced (mail forwarding loop for tom@example.com)",
        "delivery | queue_id=95ECE24E0 | to=tom@example.com | relay=dovecot | delay=0.12 | delays=0.03/0/0/0.08 | dsn=5.4.6 | status=bounced | response=mail forwarding loop for tom@example.com",
    );
    // infohtreasure__Postfix-Maillog-Dump__maillog
    check(
        "Aug 31 12:37:51 xxxxxxxx postfix/error[1938]: C912F3E2919: to=<marco@xxxxxxxx.com>, relay=none, delay=46621, delays=46619/1.4/0/0.05, dsn=4.3.0, status=deferred (unknown mail transport error)",
        "delivery | queue_id=C912F3E2919 | to=marco@xxxxxxxx.com | relay=none | delay=46621 | delays=46619/1.4/0/0.05 | dsn=4.3.0 | status=deferred | response=unknown mail transport error",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/error[1]: 2DC5552A34: to=<user@yahoo.com>, relay=none, delay=63495, delays=63350/144/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost connection with mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO)",
        "delivery | queue_id=2DC5552A34 | to=user@yahoo.com | relay=none | delay=63495 | delays=63350/144/0/0 | dsn=4.4.2 | status=deferred | response=delivery temporarily suspended: lost connection with mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO",
    );
    check(
        "Jan  1 00:00:00 mail postfix/error[1]: 3E29030F8637E: to=<user@yahoo.com>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=5.1.1, status=undeliverable-but-not-cached (User unknown in virtual alias table)",
        "delivery | queue_id=3E29030F8637E | to=user@yahoo.com | relay=none | delay=0.01 | delays=0.01/0/0/0 | dsn=5.1.1 | status=undeliverable-but-not-cached | response=User unknown in virtual alias table",
    );
    check(
        "Jan  1 00:00:00 mail postfix/discard[1]: 25F2E5E061: to=<george.desantis@test.example.com>, relay=none, delay=0.05, delays=0.05/0/0/0, dsn=2.0.0, status=sent (test.example.com)",
        "delivery | queue_id=25F2E5E061 | to=george.desantis@test.example.com | relay=none | delay=0.05 | delays=0.05/0/0/0 | dsn=2.0.0 | status=sent | response=test.example.com",
    );
    // kdent__postfix_log_analysis__mail
    check(
        "Oct 22 04:25:45 conch postfix/smtp[27349]: 9E980243D7: to=<info@drozta.us>, relay=none, delay=76135, delays=76135/0.01/0.02/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=drozta.us type=A: Host not found)",
        "delivery | queue_id=9E980243D7 | to=info@drozta.us | relay=none | delay=76135 | delays=76135/0.01/0.02/0 | dsn=5.4.4 | status=bounced | response=Host or domain name not found. Name service error for name=drozta.us type=A: Host not found",
    );
    check(
        "Oct 22 04:41:09 conch postfix/smtp[27408]: A4C392432F: to=<kdent@seaglass.com>, relay=mail.seaglass.com[74.220.219.61]:25, delay=3, delays=0.51/0/2.2/0.3, dsn=5.0.0, status=bounced (host mail.seaglass.com[74.220.219.61] said: 550 Administrative prohibition (in reply to end of DATA command))",
        "delivery | queue_id=A4C392432F | to=kdent@seaglass.com | relay=mail.seaglass.com[74.220.219.61]:25 | delay=3 | delays=0.51/0/2.2/0.3 | dsn=5.0.0 | status=bounced | response=host mail.seaglass.com[74.220.219.61] said: 550 Administrative prohibition (in reply to end of DATA command)",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Dec 29 03:03:48 mail postfix/smtp[8492]: 732BB407C3: to=<redacted@domain.com>, relay=mail.domain.com[1.1.1.1]:25, delay=582, delays=563/16/1.7/0.81, dsn=5.0.0, status=bounced (host mail.domain.com[1.1.1.1] said: 554 DT:SPM 163 mx9,O8CowEDJVFKCokVaRhz+AA--.26016S3 1514513028,please see http://mail.domain.com/help/help_spam.htm?ip= (in reply to end of DATA command))",
        "delivery | queue_id=732BB407C3 | to=redacted@domain.com | relay=mail.domain.com[1.1.1.1]:25 | delay=582 | delays=563/16/1.7/0.81 | dsn=5.0.0 | status=bounced | response=host mail.domain.com[1.1.1.1] said: 554 DT:SPM 163 mx9,O8CowEDJVFKCokVaRhz+AA--.26016S3 1514513028,please see http://mail.domain.com/help/help_spam.htm?ip= (in reply to end of DATA command)",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        r#"Jul  5 17:24:35 mail postfix/smtp[9635]: D298F2C60812: to=<"user 1234 with space"@icloud.com>, relay=mx6.mail.icloud.com[17.178.97.79]:25, delay=428621, delays=428619/0.02/1.9/0, dsn=4.7.0, status=deferred (host mx6.mail.icloud.com[17.178.97.79] refused to talk to me: 550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=142.93.169.220)"#,
        r#"delivery | queue_id=D298F2C60812 | to="user 1234 with space"@icloud.com | relay=mx6.mail.icloud.com[17.178.97.79]:25 | delay=428621 | delays=428619/0.02/1.9/0 | dsn=4.7.0 | status=deferred | response=host mx6.mail.icloud.com[17.178.97.79] refused to talk to me: 550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=142.93.169.220"#,
    );
    // kdent__postfix_log_analysis__mail2
    check(
        "Nov  1 02:25:25 conch postfix/smtp[19734]: B3405242E7: to=<ShoppingGuide:KitchenCabinets@findivisitnighteen.download>, relay=lbzod.findivisitnighteen.download[128.177.48.75]:25, delay=231661, delays=231480/0.01/0.25/180, dsn=4.4.2, status=deferred (conversation with lbzod.findivisitnighteen.download[128.177.48.75] timed out while sending message body)",
        "delivery | queue_id=B3405242E7 | to=ShoppingGuide:KitchenCabinets@findivisitnighteen.download | relay=lbzod.findivisitnighteen.download[128.177.48.75]:25 | delay=231661 | delays=231480/0.01/0.25/180 | dsn=4.4.2 | status=deferred | response=conversation with lbzod.findivisitnighteen.download[128.177.48.75] timed out while sending message body",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Sep 30 17:10:44 svcenmta01 postfix/smtp[26192]: C71221E1E6C: to=<admin@svcenmta01.ldomain.local>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=5.4.6, status=bounced (mail for svcenmta01.ldomain.local loops back to myself)",
        "delivery | queue_id=C71221E1E6C | to=admin@svcenmta01.ldomain.local | relay=none | delay=0.01 | delays=0.01/0/0/0 | dsn=5.4.6 | status=bounced | response=mail for svcenmta01.ldomain.local loops back to myself",
    );
    check(
        "Sep 30 17:10:44 svcenmta01 postfix/smtp[26187]: E82171E1E71: to=<user@mydomain.test>, relay=127.0.0.1[127.0.0.1]:10032, delay=0.88, delays=0.08/0/0.01/0.79, dsn=2.7.0, status=sent (250 2.7.0 Ok, discarded, id=15303-02 - spam)",
        "delivery | queue_id=E82171E1E71 | to=user@mydomain.test | relay=127.0.0.1[127.0.0.1]:10032 | delay=0.88 | delays=0.08/0/0.01/0.79 | dsn=2.7.0 | status=sent | response=250 2.7.0 Ok, discarded, id=15303-02 - spam",
    );
    check(
        "Mar 17 14:32:25 vm-smtp-01 postfix/smtp[1869216]: 6226B60124: to=<395a1cfgdfgt.com@emea.teams.ms>, relay=in.mailjet.com[10.19.96.5]:25, delay=0.41, delays=0.01/0/0.3/0.1, dsn=2.0.0, status=sent (250 OK queued as c600fdfea4-02f9-ewf8a3-bc87-965wefwea4c3)",
        "delivery | queue_id=6226B60124 | to=395a1cfgdfgt.com@emea.teams.ms | relay=in.mailjet.com[10.19.96.5]:25 | delay=0.41 | delays=0.01/0/0.3/0.1 | dsn=2.0.0 | status=sent | response=250 OK queued as c600fdfea4-02f9-ewf8a3-bc87-965wefwea4c3",
    );
    check(
        "Nov 19 17:38:53 email postfix/smtp[31942]: BEE166C44CC: to=<user@domain.tld>, relay=::1[::1]:24, delay=0.03, delays=0.02/0/0/0, dsn=4.0.0, status=deferred (host ::1[::1] said: 451 Temporary internal failure - queue message failed (in reply to end of DATA command))",
        "delivery | queue_id=BEE166C44CC | to=user@domain.tld | relay=::1[::1]:24 | delay=0.03 | delays=0.02/0/0/0 | dsn=4.0.0 | status=deferred | response=host ::1[::1] said: 451 Temporary internal failure - queue message failed (in reply to end of DATA command)",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 4E74613FE76: to=<redacted@gmail.com>, relay=gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25, delay=1.9, delays=0.05/0/1.1/0.71, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 [2607:4100:3:25:100::2      12] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. To reduce the amount of spam sent 550-5.7.1 to Gmail, this message has been blocked. Please visit 550-5.7.1 http://support.google.com/mail/bin/answer.py?hl=en&answer=188131 for 550 5.7.1 more information. qc12si8475009pab.211 - gsmtp (in reply to end of DATA command))",
        "delivery | queue_id=4E74613FE76 | to=redacted@gmail.com | relay=gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25 | delay=1.9 | delays=0.05/0/1.1/0.71 | dsn=5.7.1 | status=bounced | response=host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 [2607:4100:3:25:100::2      12] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. To reduce the amount of spam sent 550-5.7.1 to Gmail, this message has been blocked. Please visit 550-5.7.1 http://support.google.com/mail/bin/answer.py?hl=en&answer=188131 for 550 5.7.1 more information. qc12si8475009pab.211 - gsmtp (in reply to end of DATA command)",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 9DAC8B2D: to=<to@example.com>, relay=example.com[10.0.0.1]:25, delay=1.4, delays=0.04/0/0.27/1.1, dsn=5.0.0, status=bounced (host example.com[10.0.0.1] said: 511 sorry, no mailbox here by that name (#5.1.1 - chkuser) (in reply to RCPT TO command))",
        "delivery | queue_id=9DAC8B2D | to=to@example.com | relay=example.com[10.0.0.1]:25 | delay=1.4 | delays=0.04/0/0.27/1.1 | dsn=5.0.0 | status=bounced | response=host example.com[10.0.0.1] said: 511 sorry, no mailbox here by that name (#5.1.1 - chkuser) (in reply to RCPT TO command)",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 79CB702D: to=<to@example.com>, relay=example.com[10.0.0.1]:25, delay=0.3, delays=0.04/0/0.61/0.8, dsn=5.0.0, status=bounced (host example.com[10.0.0.1] said: 550 <to@example.com>, Recipient unknown (in reply to RCPT TO command))",
        "delivery | queue_id=79CB702D | to=to@example.com | relay=example.com[10.0.0.1]:25 | delay=0.3 | delays=0.04/0/0.61/0.8 | dsn=5.0.0 | status=bounced | response=host example.com[10.0.0.1] said: 550 <to@example.com>, Recipient unknown (in reply to RCPT TO command)",
    );
    check(
        r#"Jan  1 00:00:00 mail postfix/smtp[1]: 88B7A079: to=<to@example.com>, relay=example.com[10.0.0.1]:25, delay=45, delays=0.03/0/5.1/40, dsn=5.0.0, status=bounced (host example.com[10.0.0.1] said: 550-"The recipient cannot be verified.  Please check all recipients of this 550 message to verify they are valid." (in reply to RCPT TO command))"#,
        r#"delivery | queue_id=88B7A079 | to=to@example.com | relay=example.com[10.0.0.1]:25 | delay=45 | delays=0.03/0/5.1/40 | dsn=5.0.0 | status=bounced | response=host example.com[10.0.0.1] said: 550-"The recipient cannot be verified.  Please check all recipients of this 550 message to verify they are valid." (in reply to RCPT TO command)"#,
    );
    // msimerson__postfix-parser__test_index.js
    check(
        "Jul  5 06:52:11 prd-mx1 postfix/smtp[22030]: 3mPVKl0Mhjz7sXv: to=56597@continuity.delivery, relay=10.2.2.85[10.2.2.85]:2527, delay=0.51, delays=0.44/0.01/0.05/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3mPVKl3YVXz2pS5Z)",
        "delivery | queue_id=3mPVKl0Mhjz7sXv | to=56597@continuity.delivery | relay=10.2.2.85[10.2.2.85]:2527 | delay=0.51 | delays=0.44/0.01/0.05/0.01 | dsn=2.0.0 | status=sent | response=250 2.0.0 Ok: queued as 3mPVKl3YVXz2pS5Z",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Oct  3 16:39:38 host postfix/smtp[1681]: 9634B16F7F7: to=<kdent@example.com>, relay=none, delay=46, status=deferred (connect to 216.150.150.131[216.150.150.131]: No route to host)",
        "delivery | queue_id=9634B16F7F7 | to=kdent@example.com | relay=none | delay=46 | status=deferred | response=connect to 216.150.150.131[216.150.150.131]: No route to host",
    );
    // Before Postfix 2.3: relay without a port, or a bare name.
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: DD925BBE2: to=<to@example.net>, orig_to=<to-ext@example.net>, relay=mail.example.net[2001:dead:beef::1], delay=2, status=sent (250 Ok: queued as 5221227246)",
        "delivery | queue_id=DD925BBE2 | to=to@example.net | orig_to=to-ext@example.net | relay=mail.example.net[2001:dead:beef::1] | delay=2 | status=sent | response=250 Ok: queued as 5221227246",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 8E7A0575C3: to=<to@sample.net>, relay=sample.net, delay=26541, status=deferred (conversation with mail.example.com timed out while sending end of data -- message may be sent more than once) ",
        "delivery | queue_id=8E7A0575C3 | to=to@sample.net | relay=sample.net | delay=26541 | status=deferred | response=conversation with mail.example.com timed out while sending end of data -- message may be sent more than once",
    );
    // Address-verification probes and soft_bounce.
    // infohtreasure__Postfix-Maillog-Dump__maillog
    check(
        "Feb 25 13:58:28 server1 postfix/smtp[3262]: AE11A4011B7B: to=<info.htreasure@gmail.com>, relay=gmail-smtp-in.l.google.com[74.125.206.26]:25, delay=2, delays=0.07/0.01/1.5/0.34, dsn=2.1.5, status=deliverable (250 2.1.5 OK z9-20020adfdf89000000b001e9e1228238si2585300wrl.340 - gsmtp)",
        "delivery | queue_id=AE11A4011B7B | to=info.htreasure@gmail.com | relay=gmail-smtp-in.l.google.com[74.125.206.26]:25 | delay=2 | delays=0.07/0.01/1.5/0.34 | dsn=2.1.5 | status=deliverable | response=250 2.1.5 OK z9-20020adfdf89000000b001e9e1228238si2585300wrl.340 - gsmtp",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        r#"Jan  1 00:00:00 mail postfix/virtual[1]: 8F699C2EA6: to=<u@example.com>, relay=virtual, delay=0.14, delays=0.06/0/0/0.08, dsn=5.1.1, status=undeliverable (unknown user: "u@example.com")"#,
        r#"delivery | queue_id=8F699C2EA6 | to=u@example.com | relay=virtual | delay=0.14 | delays=0.06/0/0/0.08 | dsn=5.1.1 | status=undeliverable | response=unknown user: "u@example.com""#,
    );
    check(
        "Jan  1 00:00:00 mail postfix/virtual[1]: ED862C2EA6: to=<u@example.com>, relay=virtual, delay=0.09, delays=0.03/0/0/0.06, dsn=2.0.0, status=deliverable (delivers to maildir)",
        "delivery | queue_id=ED862C2EA6 | to=u@example.com | relay=virtual | delay=0.09 | delays=0.03/0/0/0.06 | dsn=2.0.0 | status=deliverable | response=delivers to maildir",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: B54D220BFC: to=<u@example.com>, relay=sample.com[10.0.0.1], delay=0, dsn=5.0.0, status=undeliverable (host sample.com[10.0.0.1] refused to talk to me: 554 5.7.1 example.com Connection not authorized) ",
        "delivery | queue_id=B54D220BFC | to=u@example.com | relay=sample.com[10.0.0.1] | delay=0 | dsn=5.0.0 | status=undeliverable | response=host sample.com[10.0.0.1] refused to talk to me: 554 5.7.1 example.com Connection not authorized",
    );
    check(
        "Jan  1 00:00:00 mail postfix/local[1]: C76431E2: to=<login@sample.net>, relay=local, delay=2, status=SOFTBOUNCE (host sample.net[192.168.0.1] said: 450 <login@sample.com>: User unknown in local recipient table (in reply to RCPT TO command))",
        "delivery | queue_id=C76431E2 | to=login@sample.net | relay=local | delay=2 | status=SOFTBOUNCE | response=host sample.net[192.168.0.1] said: 450 <login@sample.com>: User unknown in local recipient table (in reply to RCPT TO command)",
    );
}

#[test]
fn peer_notes() {
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Dec 29 02:54:09 mail postfix/smtp[7648]: 732BB407C3: host mail.domain.com[1.1.1.1] said: 451 DT:SPM 163 mx13,P8CowECpNVM_oEVaenoEAQ--.23796S3 1514512449, please try again 15min later (in reply to end of DATA command)",
        "peer_note | queue_id=732BB407C3 | text=host mail.domain.com[1.1.1.1] said: 451 DT:SPM 163 mx13,P8CowECpNVM_oEVaenoEAQ--.23796S3 1514512449, please try again 15min later (in reply to end of DATA command)",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_9_mixed_messages
    check(
        "Dec  9 10:18:25 mail postfix/smtp[20056]: 1310930001DB: lost connection with hotmail-com.olc.protection.outlook.com[104.47.10.33] while sending RCPT TO",
        "peer_note | queue_id=1310930001DB | text=lost connection with hotmail-com.olc.protection.outlook.com[104.47.10.33] while sending RCPT TO",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 78D6B41: conversation with mx00.gmx.com[74.208.5.4] timed out while receiving the initial server greeting",
        "peer_note | queue_id=78D6B41 | text=conversation with mx00.gmx.com[74.208.5.4] timed out while receiving the initial server greeting",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 40197AA: host mg2.egov.bg[213.91.191.86] refused to talk to me: 450 4.3.2 try again later",
        "peer_note | queue_id=40197AA | text=host mg2.egov.bg[213.91.191.86] refused to talk to me: 450 4.3.2 try again later",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: D0F29603B4: SASL authentication failed; server xyz.example.com[1.2.3.4] said: 535 5.7.8 Error: authentication failed: authentication failure",
        "peer_note | queue_id=D0F29603B4 | text=SASL authentication failed; server xyz.example.com[1.2.3.4] said: 535 5.7.8 Error: authentication failed: authentication failure",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: B0ADE20FC7: enabling PIX workarounds: disable_esmtp delay_dotcrlf for example.com[93.184.216.34]:25",
        "peer_note | queue_id=B0ADE20FC7 | text=enabling PIX workarounds: disable_esmtp delay_dotcrlf for example.com[93.184.216.34]:25",
    );
    // msimerson__postfix-parser__test_index.js (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 3mPz615lB2z7sZt: Cannot start TLS: handshake failure",
        "peer_note | queue_id=3mPz615lB2z7sZt | text=Cannot start TLS: handshake failure",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Sep 16 00:07:41 smtp-node07.com postfix-10.20.30.40/smtp[31868]: 0D59F4165A: host mx-aol.mail.gm0.yahoodns.net[44.55.66.77] said: 421 4.7.0 [TSS04] Messages from 10.20.30.40 temporarily deferred due to user complaints - 4.16.55.1;i see https://help.yahoo.com/kb/postmaster/SLN3434.html (in reply to MAIL FROM command)",
        "peer_note | queue_id=0D59F4165A | text=host mx-aol.mail.gm0.yahoodns.net[44.55.66.77] said: 421 4.7.0 [TSS04] Messages from 10.20.30.40 temporarily deferred due to user complaints - 4.16.55.1;i see https://help.yahoo.com/kb/postmaster/SLN3434.html (in reply to MAIL FROM command)",
    );
}

#[test]
fn notifications_and_postsuper() {
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Dec 29 03:03:48 mail postfix/bounce[9321]: 732BB407C3: sender non-delivery notification: 5DE184083C",
        "bounce_notice | queue_id=732BB407C3 | notice=sender non-delivery notification | notice_id=5DE184083C",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_18_expired
    check(
        "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/bounce[23567]: 23EBE3D5C0: sender non-delivery notification: A7E673C067",
        "bounce_notice | queue_id=23EBE3D5C0 | notice=sender non-delivery notification | notice_id=A7E673C067",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/bounce[1]: 482E4404AC8: postmaster non-delivery notification: 47335405A44",
        "bounce_notice | queue_id=482E4404AC8 | notice=postmaster non-delivery notification | notice_id=47335405A44",
    );
    // infohtreasure__Postfix-Maillog-Dump__maillog
    check(
        "Feb 25 13:58:28 server1 postfix/bounce[3266]: AE11A4011B7B: sender delivery status notification: 9C37E404B379",
        "bounce_notice | queue_id=AE11A4011B7B | notice=sender delivery status notification | notice_id=9C37E404B379",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/bounce[1]: 264FE1A18: sender delay notification: 0A87A1A08",
        "bounce_notice | queue_id=264FE1A18 | notice=sender delay notification | notice_id=0A87A1A08",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/bounce[1]: 8DB93C2FF2: sender delay notification: AA61EC2F9A ",
        "bounce_notice | queue_id=8DB93C2FF2 | notice=sender delay notification | notice_id=AA61EC2F9A",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/postsuper[1]: D4F2023DB: requeued",
        "postsuper | queue_id=D4F2023DB | what=requeued",
    );
    check(
        "Jan  1 00:00:00 mail postfix/postsuper[1]: D4F2023DB: placed on hold",
        "postsuper | queue_id=D4F2023DB | what=placed on hold",
    );
    // msimerson__postfix-parser__test_index.js (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/postsuper[1]: 3nsF2M5j0nz31GS: released from hold",
        "postsuper | queue_id=3nsF2M5j0nz31GS | what=released from hold",
    );
    // kdent__postfix_log_analysis__mail2
    check(
        "Nov  2 13:41:36 conch postfix/postsuper[27151]: Deleted: 2 messages",
        "other | text=Deleted: 2 messages",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/postsuper[1]: Placed on hold: 67 messages",
        "other | text=Placed on hold: 67 messages",
    );
}

#[test]
fn warnings_and_errors() {
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Aug 14 10:00:01 mail postfix/smtpd[1234]: warning: hostname bad.example.com does not resolve to address 192.0.2.44: Name or service not known",
        "warning | text=warning: hostname bad.example.com does not resolve to address 192.0.2.44: Name or service not known",
    );
    check(
        "Sep 19 12:10:57 hostname postfix/smtpd[23244]: warning: Connection rate limit exceeded: 31 from spamhost.domain.org[192.0.2.123] for service smtpd",
        "warning | text=warning: Connection rate limit exceeded: 31 from spamhost.domain.org[192.0.2.123] for service smtpd",
    );
    // lHydra__postfix_parser__mail
    check(
        "Jun 26 02:39:40 mframe1 postfix/smtpd[20570]: warning: non-SMTP command from localhost[127.0.0.1]: Content-Type: text/html;",
        "warning | text=warning: non-SMTP command from localhost[127.0.0.1]: Content-Type: text/html;",
    );
    check(
        "Feb 25 15:57:27 mframe1 postfix/smtpd[25140]: warning: Illegal address syntax from localhost[127.0.0.1] in RCPT command: <name@62.157.140.137>",
        "warning | text=warning: Illegal address syntax from localhost[127.0.0.1] in RCPT command: <name@62.157.140.137>",
    );
    // wazuh__wazuh-ruleset__rules_log-entries_postfix.ini
    check(
        "2016-03-23T01:09:28.962188+01:00 tron postfix/smtpd[472]: warning: 199.249.24.179.list.dsbl.org: RBL lookup error: Host or domain name not found. Name service error for name=199.249.24.179.list.dsbl.org type=A: Host not found, try again",
        "warning | text=warning: 199.249.24.179.list.dsbl.org: RBL lookup error: Host or domain name not found. Name service error for name=199.249.24.179.list.dsbl.org type=A: Host not found, try again",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/cleanup[1]: warning: 9BECF3F19D: sender_canonical_maps map lookup problem for sender@example.com -- message not accepted, try again later",
        "warning | queue_id=9BECF3F19D | text=warning: 9BECF3F19D: sender_canonical_maps map lookup problem for sender@example.com -- message not accepted, try again later",
    );
    // msimerson__postfix-parser__test_index.js (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/pickup[1]: warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days",
        "warning | queue_id=3mCqcj5HR1z2xDW | text=warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.warn
    check(
        "Jan 24 18:46:56 mail postfix/submission/smtpd[8219]: warning: TLS library problem: error:14209102:SSL routines:tls_early_post_process_client_hello:unsupported protocol:../ssl/statem/h-0b4fa0295b4be:1661:",
        "warning | text=warning: TLS library problem: error:14209102:SSL routines:tls_early_post_process_client_hello:unsupported protocol:../ssl/statem/h-0b4fa0295b4be:1661:",
    );
    // sergeymakinen__postfix_exporter__exporter_testdata_mail
    check(
        "Jan 1 00:00:00 hostname postfix/postscreen[12345]: error: open /example: No such file or directory",
        "warning | text=error: open /example: No such file or directory",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Mar 16 12:28:02 123-mail postfix/smtpd[16268]: fatal: file /etc/postfix/main.cf: parameter default_privs: unknown user name value: nobody",
        "warning | text=fatal: file /etc/postfix/main.cf: parameter default_privs: unknown user name value: nobody",
    );
    // infohtreasure__Postfix-Maillog-Dump__maillog
    check(
        "Feb 25 13:57:44 server1 postfix/sendmail[3072]: fatal: Recipient addresses must be specified on the command line or via the -t option",
        "warning | text=fatal: Recipient addresses must be specified on the command line or via the -t option",
    );
    // lHydra__postfix_parser__mail
    check(
        "Mar 15 06:25:12 mframe1 postfix/postfix-script[23423]: fatal: the Postfix mail system is already running",
        "warning | text=fatal: the Postfix mail system is already running",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/master[1]: panic: myfree: corrupt or unallocated memory block",
        "warning | text=panic: myfree: corrupt or unallocated memory block",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/master[1]: warning: process /usr/local/libexec/postfix/smtpd pid 46234 killed by signal 11",
        "warning | text=warning: process /usr/local/libexec/postfix/smtpd pid 46234 killed by signal 11",
    );
}

#[test]
fn smtpd_and_smtp_notes() {
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Jan 12 11:07:49 emf1pt2-2-35-70 postfix/smtpd[13767]: improper command pipelining after DATA from unknown[181.21.131.88]:",
        "connection | text=improper command pipelining after DATA from unknown[181.21.131.88]:",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: bare <LF> received after CONNECT from example.net[1.2.3.4]",
        "connection | text=bare <LF> received after CONNECT from example.net[1.2.3.4]",
    );
    // kdent__postfix_log_analysis__mail
    check(
        "Oct 22 02:20:45 conch postfix/smtp[26919]: connect to drozta.us[213.163.84.205]:25: Connection refused",
        "connection | text=connect to drozta.us[213.163.84.205]:25: Connection refused",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: connect to example.org[10.0.0.1]: Connection refused (port 25)",
        "connection | text=connect to example.org[10.0.0.1]: Connection refused (port 25)",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: connect to aspmx.l.google.com[2a00:1450:400b:c02::1a]:25: Network is unreachable",
        "connection | text=connect to aspmx.l.google.com[2a00:1450:400b:c02::1a]:25: Network is unreachable",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_14_reuse_of_queueid
    check(
        "Sep  4 01:24:11 smtpnode06 postfix-170.55.103.23/smtp[6980]: discarding EHLO keywords: 8BITMIME STARTTLS",
        "other | text=discarding EHLO keywords: 8BITMIME STARTTLS",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Feb 14 19:05:25 123-mail postfix/smtpd[1517]: table hash:/etc/postfix/virtual_mailbox_maps(0,lock|fold_fix) has changed -- restarting",
        "other | text=table hash:/etc/postfix/virtual_mailbox_maps(0,lock|fold_fix) has changed -- restarting",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Feb  8 07:02:52 test-prd postfix/smtp[16557]: host mx.natarix.net[91.130.231.102] offers SMTPUTF8 support, but not 8BITMIME",
        "other | text=host mx.natarix.net[91.130.231.102] offers SMTPUTF8 support, but not 8BITMIME",
    );
}

#[test]
fn tls_lines() {
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log
    check(
        "Jan 28 06:40:37 mail postfix/smtpd[15061]: Anonymous TLS connection established from h-2bf83754162e1[224.73.110.132]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
        "tls | text=Anonymous TLS connection established from h-2bf83754162e1[224.73.110.132]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
    );
    // kumina__postfix_exporter__postfix_exporter_test.go
    check(
        "Jul 24 04:38:17 mail postfix/smtp[30582]: Verified TLS connection established to gmail-smtp-in.l.google.com[108.177.14.26]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
        "tls | text=Verified TLS connection established to gmail-smtp-in.l.google.com[108.177.14.26]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_6_deferred_message_retry
    check(
        "Dec  7 13:28:01 mail postfix/smtp[18834]: Trusted TLS connection established to spool.mail.gandi.net[217.70.178.1]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
        "tls | text=Trusted TLS connection established to spool.mail.gandi.net[217.70.178.1]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: Untrusted TLS connection established to 127.0.0.1[127.0.0.1]:2525: TLSv1.2 with cipher AECDH-AES256-SHA (256/256 bits)",
        "tls | text=Untrusted TLS connection established to 127.0.0.1[127.0.0.1]:2525: TLSv1.2 with cipher AECDH-AES256-SHA (256/256 bits)",
    );
    // mhalenza__LogReporter__lib_LogReporter_Service_Postfix.pm_TD-payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: TLS connection established from example.com[192.168.0.1]: TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits) ",
        "tls | text=TLS connection established from example.com[192.168.0.1]: TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits)",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: SSL_accept error from unknown[72.13.58.7]: lost connection",
        "tls | text=SSL_accept error from unknown[72.13.58.7]: lost connection",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: certificate verification failed for mail.example.com[113.169.17.115]:25: self-signed certificate.",
        "tls | text=certificate verification failed for mail.example.com[113.169.17.115]:25: self-signed certificate.",
    );
}

#[test]
fn postscreen_and_statistics() {
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log.1
    check(
        "Jan 27 07:49:18 mail postfix/postscreen[8291]: DNSBL rank 3 for [155.63.95.6]:63966",
        "postscreen | text=DNSBL rank 3 for [155.63.95.6]:63966",
    );
    check(
        "Jan 27 08:42:46 mail postfix/postscreen[22436]: HANGUP after 0.27 from [88.147.247.93]:58264 in tests before SMTP handshake",
        "postscreen | text=HANGUP after 0.27 from [88.147.247.93]:58264 in tests before SMTP handshake",
    );
    check(
        r#"Jan 27 11:27:12 mail postfix/postscreen[1675]: PREGREET 11 after 0.01 from [8.229.244.8]:41358: EHLO USER\r\n"#,
        r#"postscreen | text=PREGREET 11 after 0.01 from [8.229.244.8]:41358: EHLO USER\r\n"#,
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Jul 23 10:56:58 mail postfix/postscreen[3408]: CONNECT from [222.227.81.243]:49925 to [1.2.3.4]:25",
        "postscreen | text=CONNECT from [222.227.81.243]:49925 to [1.2.3.4]:25",
    );
    check(
        "Jul 23 10:56:58 mail postfix/postscreen[3408]: PASS OLD [222.227.81.243]:49925",
        "postscreen | text=PASS OLD [222.227.81.243]:49925",
    );
    // sergeymakinen__postfix_exporter__exporter_testdata_mail
    check(
        "Jan 1 00:00:00 hostname postfix/postscreen[12345]: DENYLISTED [123.45.67.89]:12345",
        "postscreen | text=DENYLISTED [123.45.67.89]:12345",
    );
    check(
        "Jan 1 00:00:00 hostname postfix/postscreen[12345]: NON-SMTP COMMAND from [123.45.67.89]:12345 after CONNECT: GET / HTTP/1.1",
        "postscreen | text=NON-SMTP COMMAND from [123.45.67.89]:12345 after CONNECT: GET / HTTP/1.1",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check(
        "Jun  8 23:14:28 proxy2 postfix/postscreen[473]: COMMAND TIME LIMIT from [192.0.2.77]:3608 after CONNECT",
        "postscreen | text=COMMAND TIME LIMIT from [192.0.2.77]:3608 after CONNECT",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log.1
    check(
        "Jan 27 07:49:12 mail postfix/dnsblog[8296]: addr 155.63.95.6 listed by domain h-b8ce05d1c068e5c0 as 58.1.1.1",
        "postscreen | text=addr 155.63.95.6 listed by domain h-b8ce05d1c068e5c0 as 58.1.1.1",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/tlsproxy[1]: CONNECT from [82.118.17.142]:51637",
        "postscreen | text=CONNECT from [82.118.17.142]:51637",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_6_deferred_message_retry
    check(
        "Dec  7 13:33:34 mail postfix/anvil[18492]: statistics: max connection rate 2/60s for (submission:68.183.218.8) at Dec  7 13:28:01",
        "statistics | text=statistics: max connection rate 2/60s for (submission:68.183.218.8) at Dec  7 13:28:01",
    );
    check(
        "Dec  7 13:33:34 mail postfix/anvil[18492]: statistics: max cache size 1 at Dec  7 13:26:48",
        "statistics | text=statistics: max cache size 1 at Dec  7 13:26:48",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/scache[1]: statistics: domain lookup hits=0 miss=1 success=0%",
        "statistics | text=statistics: domain lookup hits=0 miss=1 success=0%",
    );
    check(
        "Jan  1 00:00:00 mail postfix/anvil[1]: statistics: max connection count 1 for (smtpd:2604:8d00:0:1::3) at Oct 26 17:46:59",
        "statistics | text=statistics: max connection count 1 for (smtpd:2604:8d00:0:1::3) at Oct 26 17:46:59",
    );
}

#[test]
fn master_lines() {
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_19_postfix_version
    check(
        "Mar 29 12:55:50 test1 postfix/postfix-script[15017]: starting the Postfix mail system",
        "master | text=starting the Postfix mail system",
    );
    check(
        "Mar 29 12:55:50 test1 postfix/master[15019]: daemon started -- version 3.4.14, configuration /etc/postfix",
        "master | text=daemon started -- version 3.4.14, configuration /etc/postfix",
    );
    check(
        "Mar 29 13:20:11 test1 postfix/postfix-script[15548]: stopping the Postfix mail system",
        "master | text=stopping the Postfix mail system",
    );
    check(
        "Mar 29 13:20:11 test1 postfix/master[15019]: terminating on signal 15",
        "master | text=terminating on signal 15",
    );
    // whyscream__postfix-grok-patterns__test_ALL_yaml_data_payloads (payload; the header is ours)
    check(
        "Jan  1 00:00:00 mail postfix/master[1]: reload -- version 2.11.0, configuration /etc/postfix",
        "master | text=reload -- version 2.11.0, configuration /etc/postfix",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Dec 17 06:25:48 sm02 /postfix-script[112854]: the Postfix mail system is running: PID: 95072",
        "master | text=the Postfix mail system is running: PID: 95072",
    );
    // lHydra__postfix_parser__mail
    check(
        "Feb 20 22:56:51 mframe1 postfix/postfix-script[4735]: success: ALL OKK",
        "master | text=success: ALL OKK",
    );
}

#[test]
fn envelopes() {
    // classic syslog, day padded with a space
    // kumina__postfix_exporter__postfix_exporter_test.go
    check_header(
        "Apr  7 15:35:20 123-mail postfix/virtual[20235]: 199041033BE: to=<me@domain.fr>, relay=virtual, delay=0.08, delays=0.08/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
        "Apr  7 15:35:20 | host=123-mail | tag=postfix/virtual | instance=postfix | service=- | daemon=virtual | pid=20235",
        "delivery | queue_id=199041033BE | to=me@domain.fr | relay=virtual | delay=0.08 | delays=0.08/0/0/0 | dsn=2.0.0 | status=sent | response=delivered to maildir",
    );
    // single-digit day with one space
    // msimerson__postfix-parser__test_index.js
    check_header(
        "Jan 6 08:39:06 mail postfix/smtpd[339505]: 93C8388C38: client=unknown[192.168.1.0]",
        "Jan  6 08:39:06 | host=mail | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=339505",
        "client | queue_id=93C8388C38 | client_name=unknown | client_addr=192.168.1.0",
    );
    // maillog_file: zero-padded day
    // sergeymakinen__postfix_exporter__exporter_testdata_mail
    check_header(
        "Jan 01 00:00:00 hostname postfix/smtpd[12345]: disconnect from example.com[123.45.67.89] ehlo=123 mail=123 rcpt=123 data=123 quit=123 commands=123",
        "Jan  1 00:00:00 | host=hostname | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=12345",
        "disconnect | client_name=example.com | client_addr=123.45.67.89 | counters=ehlo=123 mail=123 rcpt=123 data=123 quit=123 commands=123",
    );
    // github-issues-and-docs__verbatim-snippets
    check_header(
        "Nov 08 08:08:59 mx postfix-mx/content-filter/smtp[273144]: 4HnkK60lBRz6tl1: to=<a@b.c>, relay=192.168.1.1[192.168.1.1]:20202, delay=1.9, delays=1.7/0/0.05/0.18, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[192.168.1.2]:10025): 250 2.0.0 Ok: queued as 4HnkK74hXyz6tl6)",
        "Nov  8 08:08:59 | host=mx | tag=postfix-mx/content-filter/smtp | instance=postfix-mx | service=content-filter | daemon=smtp | pid=273144",
        "delivery | queue_id=4HnkK60lBRz6tl1 | to=a@b.c | relay=192.168.1.1[192.168.1.1]:20202 | delay=1.9 | delays=1.7/0/0.05/0.18 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[192.168.1.2]:10025): 250 2.0.0 Ok: queued as 4HnkK74hXyz6tl6",
    );
    // RFC 3339 with microseconds and an offset
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_25_authclean_cleanup
    check_header(
        "2022-01-08T19:42:13.557199+00:00 mail postfix/qmgr[659]: 1F5A2194AA9: from=<sender@sender.example.com>, size=818, nrcpt=1 (queue active)",
        "2022-01-08T19:42:13.557199+00:00 | host=mail | tag=postfix/qmgr | instance=postfix | service=- | daemon=qmgr | pid=659",
        "queued | queue_id=1F5A2194AA9 | from=sender@sender.example.com | size=818 | nrcpt=1 | note=queue active",
    );
    // youyo__postfix-log-parser__test_test-iso8601
    check_header(
        "2020-01-30T06:26:05.404714+09:00 mail postfix/qmgr[18719]: C6E0DDB74006: from=<test@example.com>, size=309891, nrcpt=1 (queue active)",
        "2020-01-30T06:26:05.404714+09:00 | host=mail | tag=postfix/qmgr | instance=postfix | service=- | daemon=qmgr | pid=18719",
        "queued | queue_id=C6E0DDB74006 | from=test@example.com | size=309891 | nrcpt=1 | note=queue active",
    );
    // RFC 3339 with milliseconds and Z, with milliseconds and an offset, without a fraction
    // github-issues-and-docs__verbatim-snippets
    check_header(
        "2021-02-28T11:58:36.591Z zmproxy.fws.fr postfix/smtps/smtpd[4136]: warning: unknown[192.168.7.5]: SASL LOGIN authentication failed: authentication failure",
        "2021-02-28T11:58:36.591+00:00 | host=zmproxy.fws.fr | tag=postfix/smtps/smtpd | instance=postfix | service=smtps | daemon=smtpd | pid=4136",
        "sasl_failure | client_name=unknown | client_addr=192.168.7.5 | mechanism=LOGIN | reason=authentication failure",
    );
    // vignemail1__pflogsumm-go__testdata_rfc3339
    check_header(
        "2024-03-22T08:00:04.000+00:00 mailhost postfix/qmgr[12347]: ABCDE12345: removed",
        "2024-03-22T08:00:04+00:00 | host=mailhost | tag=postfix/qmgr | instance=postfix | service=- | daemon=qmgr | pid=12347",
        "removed | queue_id=ABCDE12345",
    );
    // youyo__postfix-log-parser__test_test-milter
    check_header(
        "2021-02-06T10:57:57+01:00 mail.server.com postfix/smtpd[59633]: D6DDA23B0F: client=unknown[99.88.77.66]",
        "2021-02-06T10:57:57+01:00 | host=mail.server.com | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=59633",
        "client | queue_id=D6DDA23B0F | client_name=unknown | client_addr=99.88.77.66",
    );
    // docker `logs -t` prefix before a whole syslog line
    // github-issues-and-docs__verbatim-snippets
    check_header(
        "2021-03-06T06:09:00.000Z Mar  6 07:08:59 host postfix/qmgr[28829]: A1E1E1880093: removed",
        "Mar  6 07:08:59 | host=host | tag=postfix/qmgr | instance=postfix | service=- | daemon=qmgr | pid=28829",
        "removed | queue_id=A1E1E1880093",
    );
    check_header(
        "2024-07-03T17:18:06.604077805Z Jul 03 19:18:06 mail postfix/smtpd[7610]: > unknown[10.5.0.1]: 220 mail.mydomain.com ESMTP",
        "Jul  3 19:18:06 | host=mail | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=7610",
        "verbose | text=> unknown[10.5.0.1]: 220 mail.mydomain.com ESMTP",
    );
    // docker-postfix images: a level word instead of the host
    // github-issues-and-docs__verbatim-snippets
    check_header(
        "2021-01-26T17:47:29.762763+01:00 INFO    postfix/smtpd[134]: connect from localhost[127.0.0.1]  ",
        "2021-01-26T17:47:29.762763+01:00 | host=- | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=134",
        "connect | client_name=localhost | client_addr=127.0.0.1",
    );
    // instance and service tags
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_14_reuse_of_queueid
    check_header(
        "Sep  4 01:25:10 smtpnode06 postfix-170.55.103.23/smtp[6980]: 8A2373D47C: to=<h-8bbf27f9689@h-05c3ae107.com>, relay=170.55.103.23[170.55.103.23]:2501, conn_use=2, delay=0.74, delays=0.13/0.55/0/0.06, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 31DF53D477)",
        "Sep  4 01:25:10 | host=smtpnode06 | tag=postfix-170.55.103.23/smtp | instance=postfix-170.55.103.23 | service=- | daemon=smtp | pid=6980",
        "delivery | queue_id=8A2373D47C | to=h-8bbf27f9689@h-05c3ae107.com | relay=170.55.103.23[170.55.103.23]:2501 | conn_use=2 | delay=0.74 | delays=0.13/0.55/0/0.06 | dsn=2.0.0 | status=sent | response=250 2.0.0 Ok: queued as 31DF53D477",
    );
    // github-issues-and-docs__verbatim-snippets
    check_header(
        "Nov 28 22:50:29 smtp postfix/submission/smtpd[70013]: 3p7RMT0zrYz20p: client=unknown[192.168.0.100], sasl_method=DIGEST-MD5, sasl_username=user@dmain.com",
        "Nov 28 22:50:29 | host=smtp | tag=postfix/submission/smtpd | instance=postfix | service=submission | daemon=smtpd | pid=70013",
        "client | queue_id=3p7RMT0zrYz20p | client_name=unknown | client_addr=192.168.0.100 | sasl_method=DIGEST-MD5 | sasl_username=user@dmain.com",
    );
    // digineo__postfix_exporter__testdata_mail
    check_header(
        "Feb 11 16:49:25 letterman postfix-secondary/qmgr[8204]: AAB4D259B3: removed",
        "Feb 11 16:49:25 | host=letterman | tag=postfix-secondary/qmgr | instance=postfix-secondary | service=- | daemon=qmgr | pid=8204",
        "removed | queue_id=AAB4D259B3",
    );
    // fail2ban__fail2ban__fail2ban_tests_files_logs_postfix
    check_header(
        "Mar 11 23:27:54 server postfix-smo/submission/smtpd[22427]: 44JCRG5tYPzCqt2: reject: BDAT from signing-milter.example.com[192.0.2.109]: 550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce; from=<> to=<some@example.com> proto=ESMTP helo=<domain.tld>",
        "Mar 11 23:27:54 | host=server | tag=postfix-smo/submission/smtpd | instance=postfix-smo | service=submission | daemon=smtpd | pid=22427",
        "reject | queue_id=44JCRG5tYPzCqt2 | action=reject | stage=BDAT | client_name=signing-milter.example.com | client_addr=192.0.2.109 | reply=550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce | from= | to=some@example.com | proto=ESMTP | helo=domain.tld",
    );
    // oleg-medovikov__mail-server-anal__mail
    check_header(
        "Jun 14 12:02:43 mail postfix/amavis/smtp[721621]: 6C72ADE204BF: to=<guzbrf@mail.ru>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.37, delays=0.23/0/0/0.14, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as B9AB1DE204C8)",
        "Jun 14 12:02:43 | host=mail | tag=postfix/amavis/smtp | instance=postfix | service=amavis | daemon=smtp | pid=721621",
        "delivery | queue_id=6C72ADE204BF | to=guzbrf@mail.ru | relay=127.0.0.1[127.0.0.1]:10024 | delay=0.37 | delays=0.23/0/0/0.14 | dsn=2.0.0 | status=sent | response=250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as B9AB1DE204C8",
    );
    // lHydra__postfix_parser__mail
    check_header(
        "Jan 14 16:30:24 mframe1 postfix[662]: fatal: usage: postfix [-c config_dir] [-Dv] command",
        "Jan 14 16:30:24 | host=mframe1 | tag=postfix | instance=postfix | service=- | daemon=postfix | pid=662",
        "warning | text=fatal: usage: postfix [-c config_dir] [-Dv] command",
    );
    // rsyslog template without ':' after [pid]
    // youyo__postfix-log-parser__test_test-milter
    check_header(
        "2021-02-19T14:32:14.936091+01:00 smtp01.example.org postfix/smtpd[58176] E89FA2DEDA: client=srv05.source.com[10.11.12.13]",
        "2021-02-19T14:32:14.936091+01:00 | host=smtp01.example.org | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=58176",
        "client | queue_id=E89FA2DEDA | client_name=srv05.source.com | client_addr=10.11.12.13",
    );
    // rsyslog RepeatedMsgReduction
    // github-issues-and-docs__verbatim-snippets
    check_header(
        "Sep 30 17:01:03 zimbraserver postfix/smtpd[11557]: message repeated 2 times: [ 535721E1E6C: client=pccenofi35.ldomain.local[192.0.0.135], sasl_method=LOGIN, sasl_username=user@mydomain.test]",
        "Sep 30 17:01:03 | host=zimbraserver | tag=postfix/smtpd | instance=postfix | service=- | daemon=smtpd | pid=11557",
        "client | queue_id=535721E1E6C | client_name=pccenofi35.ldomain.local | client_addr=192.0.0.135 | sasl_method=LOGIN | sasl_username=user@mydomain.test | repeat=2",
    );
    check_header(
        "Sep 30 17:01:03 zimbraserver postfix/qmgr[15025]: message repeated 2 times: [ 535721E1E6C: from=<user@mydomain.test>, size=3454, nrcpt=1 (queue active)]",
        "Sep 30 17:01:03 | host=zimbraserver | tag=postfix/qmgr | instance=postfix | service=- | daemon=qmgr | pid=15025",
        "queued | queue_id=535721E1E6C | from=user@mydomain.test | size=3454 | nrcpt=1 | note=queue active | repeat=2",
    );
    check_header(
        "Sep 30 17:01:03 zimbraserver postfix/amavisd/smtpd[17226]: message repeated 2 times: [ connect from localhost[127.0.0.1]]",
        "Sep 30 17:01:03 | host=zimbraserver | tag=postfix/amavisd/smtpd | instance=postfix | service=amavisd | daemon=smtpd | pid=17226",
        "connect | client_name=localhost | client_addr=127.0.0.1 | repeat=2",
    );
    check_header(
        "Sep 30 17:10:44 svcenmta01 postfix/smtp[26192]: message repeated 2 times: [ C71221E1E6C: to=<admin@svcenmta01.ldomain.local>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=5.4.6, status=bounced (mail for svcenmta01.ldomain.local loops back to myself)]",
        "Sep 30 17:10:44 | host=svcenmta01 | tag=postfix/smtp | instance=postfix | service=- | daemon=smtp | pid=26192",
        "delivery | queue_id=C71221E1E6C | to=admin@svcenmta01.ldomain.local | relay=none | delay=0.01 | delays=0.01/0/0/0 | dsn=5.4.6 | status=bounced | response=mail for svcenmta01.ldomain.local loops back to myself | repeat=2",
    );
}

#[test]
fn bad_lines() {
    // Other programs interleaved with Postfix.
    // lightmeterio__ControlCenter__test_files_postfix_logs_complete.tar.gz__logs_sample_mail.log
    check(
        "Jan 28 06:40:37 mail opendkim[289]: 8BD903012026: h-2bf83754162e1 [224.73.110.132] not internal",
        "skipped",
    );
    check(
        "Jan 28 06:40:37 mail amavis[4336]: (04336-07) Passed CLEAN {RelayedInbound}, [224.73.110.132]:34764 [112.194.3.105] <h-2c4a691bf4126f@h-51363726f1.com> -> <h-f16@h-ffeb17e38996c.com>, Queue-ID: 8BD903012026, Message-ID: <h-e13b9e542677f148e385fc59c75afc08c78f6aa1@h-de82e022d99.com>, mail_id: ULkC_-k7N-TY, Hits: -, size: 4641, queued_as: BF76C3012027, 91 ms",
        "skipped",
    );
    check(
        "Jan 28 06:40:37 mail dovecot: lmtp(15080): Connect from local",
        "skipped",
    );
    check(
        "Jan 28 06:40:37 mail policyd-spf[15067]: prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=224.73.110.132; helo=h-2bf83754162e1; envelope-from=h-2c4a691bf4126f@h-51363726f1.com; receiver=<UNKNOWN>",
        "skipped",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Nov 18 17:34:31 meiliserver MailScanner[30654]: Requeue: AB3116645BB.AE4DF to 9E02D664D3C",
        "skipped",
    );
    // msimerson__postfix-parser__test_index.js
    check(
        "Jul  5 06:52:01 prd-mx1 spamd[11526]: spamd: identified spam (9.3/5.0) for nagios:1209 in 0.8 seconds, 5 bytes.",
        "skipped",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        "Mar  3 02:55:42 mail process/daemon/with/slash[9708]: any content here",
        "skipped",
    );
    // lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_30_in_reply_to_header
    check(
        r#"Jan 20 19:48:04 teupos lightmeter/headers[161]: B9996EABB6: header name="References", value="eyJjb252ZXJzYXRpb25fbWVzc2FnNV9sb2dfaWQiOjX6MjUyOTYzfQ==#012 <da454dd13590a0a65a3f492eb2c3932134c4f81cc7f452f1ee2452e0aa06411b@example.com>" "#,
        "skipped",
    );
    // A Postfix line wrapped in another program's line (docker re-logged by the host's
    // syslog): the inner line is read; here its queue ID was anonymised to `XXX`, so the
    // Postfix line is unrecognized rather than skipped.
    // github-issues-and-docs__verbatim-snippets
    check(
        "May 02 22:56:18 XXX docker[32360]: May  2 20:56:17 XXX postfix/smtp[17742]: XXX: to=<XXX@hotmail.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=3.5, delays=1.2/0.01/0/2.3, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as XXXX)",
        "unrecognized",
    );
    check(
        "May 02 22:56:18 dockerhost docker[32360]: May  2 20:56:17 mx postfix/qmgr[17742]: 8BD903012026: removed",
        "removed | queue_id=8BD903012026",
    );
    // Garbage, comments and other formats.
    // sergeymakinen__postfix_exporter__exporter_testdata_mail
    check(
        "Jan: 1 00:00:00 hostname postfix/postscreen[12345]: foo",
        "malformed: no timestamp",
    );
    check("Foo 1 00:00:00 hostname", "malformed: no timestamp");
    check(
        "Jan 1 00:00:00 hostname postfix/postscreen[abcde]: foo",
        "malformed: no program tag after the timestamp",
    );
    check(
        "Jan 1 00:00:00 hostname postfix/postscreen[12345",
        "malformed: no program tag after the timestamp",
    );
    // infohtreasure__Postfix-Maillog-Dump__maillog
    check(
        "[20-Oct-2020 14:56:10 +0100]: <ca0a80a9> User echefu.bright@tstvafrica.com [41.217.20.98]; Message <c8ed22269e9348145f4ad470b2c7a7bd@tstvafrica.com> for echefu.bright@briech.net, brickecenter@gmail.com; 250: OK id=1kUs7W-0000Gw-Jv",
        "malformed: no timestamp",
    );
    check(
        "Dec 18 16:15:27 [postfix/smtpd] connect from [connection-point]",
        "malformed: no program tag after the timestamp",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        r#"{"log-source":"filebeat","@version":"1","input":{"type":"log"},"ecs":{"version":"1.6.0"},"message":"Mar 20 07:54:52 mail postfix/smtp[6807]: 586711880093: to=<XXXXXXXX>, relay=XXXXX[XXXXX]:25, delay=4.1, delays=0.15/0.01/1.4/2.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 6ECB0A8019A)","log-type":"mail","tags":["beats_input_codec_plain_applied"],"type":"debug","hostname":"melian","@timestamp":"2021-03-20T06:54:55.835Z","log":{"file":{"path":"/var/log/mail.log"},"offset":4020961}}"#,
        "malformed: no timestamp",
    );
    // Localised month names.
    // github-issues-and-docs__verbatim-snippets
    check(
        "Απρ 15 12:20:28 mx2 postfix/submission/smtpd[6833]: Anonymous TLS connection established from  xx[5.5.5.5]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
        "malformed: no timestamp",
    );
    check(
        "авг 09 04:48:59 mv334 postfix/master[246729]: daemon started -- version 3.10.9, configuration /etc/postfix",
        "malformed: no timestamp",
    );
    // Headerless payloads.
    // github-issues-and-docs__verbatim-snippets
    check(
        "postfix/smtpd[40128]: NOQUEUE: lost connection after CONNECT from unknown[*.*.*.*]",
        "malformed: no timestamp",
    );
    // wazuh__wazuh-ruleset__rules_log-entries_mail-errors
    check(
        " postfix/smtp[8909]: 774C14AEF2: to=<rj-bounces@spacedelic.com.br>, relay=127.0.0.1[127.0.0.1], delay=423, status=deferred (host 127.0.0.1[127.0.0.1] said: 451 Local Error (in reply to end of DATA command))",
        "malformed: no timestamp",
    );
    check(
        "scorpion postfix/smtp[9144]: connect to rmailb2.walla.co.il[192.118.82.145]: Connection refused (port 25)",
        "malformed: no timestamp",
    );
    // Damaged by a spreadsheet round trip.
    // louisitvn__pflgviewer__postfix
    check(
        "Dec 11 10:00:02 phoenix postfix/qmgr[12481]: B465B110313B: removed,,,,,,,,,,,,\r",
        "malformed: spreadsheet damage (trailing commas)",
    );
    check(
        "Dec 11 10:00:02 phoenix postfix/smtp[16284]: B465B110313B: to=<senderror@OURDOMAIN.com>, relay=aspmx.l.google.com[74.125.31.26]:25, delay=80212, delays=71229/8979/2.4/0.75, dsn=2.0.0, status=sent (250 2.0.0 OK 1418252401 tb3si8932467pab.14 - gsmtp),,,,,,,\r",
        "malformed: spreadsheet damage (trailing commas)",
    );
    // Truncated lines: a known shape cut short, or a record cut in the middle.
    // msimerson__postfix-parser__test_index.js
    check(
        "Jul  5 06:52:11 prd-mx1 postfix/smtp[22030]: 3mPVKl0Mhjz7sXv: to=<56597@con",
        "unrecognized",
    );
    // infohtreasure__Postfix-Maillog-Dump__maillog
    check(
        "Feb 25 13:58:28 server1 postfix/smtp[3262]: AE11A4011B7B: to=<info.htreasure@gmail.com>, relay=gmail-smtp-in.l.google.com[74.125.206.26]:25, delay=2, delays=0.07/0.01/1.5/0.34, dsn=2.1.5, status=deliverable (250 2.1.5 OK z9-20020adfdf89$",
        "delivery | queue_id=AE11A4011B7B | to=info.htreasure@gmail.com | relay=gmail-smtp-in.l.google.com[74.125.206.26]:25 | delay=2 | delays=0.07/0.01/1.5/0.34 | dsn=2.1.5 | status=deliverable | response=250 2.1.5 OK z9-20020adfdf89$",
    );
    // github-issues-and-docs__verbatim-snippets
    check(
        r#"Nov 19 13:39:04 email postfix/smtp[10373]: 3A3D26C44CC: to=<user@domain.tld> (in reply to RCPT TO command)\""#,
        "unrecognized",
    );
    // sergeymakinen__postfix_exporter__exporter_testdata_mail
    check(
        "Jan 1 00:00:00 hostname postfix/qmgr[12345]: Unsupported",
        "unrecognized",
    );
    check(
        "Jan 1 00:00:00 hostname postfix1[12345]: foo",
        "unrecognized",
    );
}

// Lines no logger writes as they are, made from real lines: the checks are on the bytes.

/// A real delivery line followed by padding up to 200 KB.
#[test]
fn a_line_of_200_kb_is_too_long() {
    let real = "Oct 22 04:41:09 conch postfix/smtp[27408]: A4C392432F: to=<kdent@seaglass.com>, relay=mail.seaglass.com[74.220.219.61]:25, delay=3, delays=0.51/0/2.2/0.3, dsn=5.0.0, status=bounced (host mail.seaglass.com[74.220.219.61] said: 550 Administrative prohibition (in reply to end of DATA command))";
    let mut line = real.to_string();
    line.truncate(line.len() - 1);
    while line.len() < 200 * 1024 {
        line.push_str(" padding");
    }
    line.push(')');
    check(&line, "malformed: line too long");
}

#[test]
fn a_nul_byte_makes_a_line_malformed() {
    // kdent__postfix_log_analysis__mail, with a NUL in the client name.
    check(
        "Oct 22 02:21:03 conch postfix/smtpd[26929]: disconnect from unk\0nown[107.191.252.21]",
        "malformed: NUL byte in line",
    );
    // A NUL at the very start (a file with a hole after a crash).
    check(
        "\0\0\0\0Oct 22 02:21:03 conch postfix/smtpd[26929]: disconnect from unknown[107.191.252.21]",
        "malformed: NUL byte in line",
    );
}

#[test]
fn invalid_utf8_is_replaced_and_the_line_still_parses() {
    // kdent__postfix_log_analysis__mail, with a Latin-1 byte (0xB4) in the remote reply.
    let bytes: &[u8] = b"Oct 22 04:41:09 conch postfix/smtp[27408]: A4C392432F: to=<kdent@seaglass.com>, relay=mail.seaglass.com[74.220.219.61]:25, delay=3, delays=0.51/0/2.2/0.3, dsn=5.0.0, status=bounced (host mail.seaglass.com[74.220.219.61] said: 550 Administrative \xb4prohibition\xb4 (in reply to end of DATA command))";
    let line = decode(bytes);
    check(
        &line,
        "delivery | queue_id=A4C392432F | to=kdent@seaglass.com | relay=mail.seaglass.com[74.220.219.61]:25 | delay=3 | delays=0.51/0/2.2/0.3 | dsn=5.0.0 | status=bounced | response=host mail.seaglass.com[74.220.219.61] said: 550 Administrative \u{FFFD}prohibition\u{FFFD} (in reply to end of DATA command)",
    );
    // A truncated multi-byte sequence in the recipient (an 8-bit address).
    let bytes: &[u8] = b"Jul 25 06:17:23 mail postfix/virtual[2438]: 9BD26E0D25: to=<r\xc3@pient.com>, orig_to=<orig@recipient.com>, relay=virtual, delay=1.3, delays=1.2/0.02/0/0.04, dsn=2.0.0, status=sent (delivered to maildir)";
    check(
        &decode(bytes),
        "delivery | queue_id=9BD26E0D25 | to=r\u{FFFD}@pient.com | orig_to=orig@recipient.com | relay=virtual | delay=1.3 | delays=1.2/0.02/0/0.04 | dsn=2.0.0 | status=sent | response=delivered to maildir",
    );
    // Valid UTF-8 is passed through as it is.
    assert!(matches!(decode(b"ok"), std::borrow::Cow::Borrowed("ok")));
}

#[test]
fn blank_lines_and_line_ends() {
    check("", "skipped");
    check("   \t ", "skipped");
    // A CRLF file: the `\r` is not part of the message.
    check(
        "Feb 11 16:49:24 letterman postfix/qmgr[8204]: AAB4D259B1: removed\r",
        "removed | queue_id=AAB4D259B1",
    );
}

/// Shapes fixed after the first corpus review (payload-only lines given a header).
#[test]
fn shapes_without_queue_id_and_rare_notes() {
    // whyscream smtpd_0020: a before-queue proxy's reply has no queue ID.
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as DF66E940333; from=<user1@test.example.com> to=<user2@example2.com> proto=ESMTP helo=<[127.0.0.1]>",
        "reject | queue_id=NOQUEUE | action=proxy-accept | stage=END-OF-MESSAGE | reply=250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as DF66E940333 | from=user1@test.example.com | to=user2@example2.com | proto=ESMTP | helo=[127.0.0.1]",
    );
    // mhalenza: Postfix 2.1 and older logged rejects without `NOQUEUE: `.
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: reject: RCPT from example.com[10.0.0.1]: 554 Service unavailable; Client host [10.0.0.1] blocked using sbl.spamhaus.org; from=<from@example.com> to=<to@sample.net>",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=example.com | client_addr=10.0.0.1 | reply=554 Service unavailable; Client host [10.0.0.1] blocked using sbl.spamhaus.org | from=from@example.com | to=to@sample.net",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtpd[1]: reject_warning: RCPT from example.com[10.0.0.1]: 554 Service unavailable; from=<from@example.com> to=<to@sample.net>",
        "reject | queue_id=NOQUEUE | action=reject_warning | stage=RCPT | client_name=example.com | client_addr=10.0.0.1 | reply=554 Service unavailable | from=from@example.com | to=to@sample.net",
    );
    check(
        "Jan  1 00:00:00 mail postfix/smtp[1]: 6DE182FC0B: enabling PIX <CRLF>.<CRLF> workaround for example.com[192.168.0.1]",
        "peer_note | queue_id=6DE182FC0B | text=enabling PIX <CRLF>.<CRLF> workaround for example.com[192.168.0.1]",
    );
    // whyscream verify_0001.
    check(
        "Jan  1 00:00:00 mail postfix/verify[1]: cache lmdb:/var/lib/postfix/verify_cache full cleanup: retained=724 dropped=6 entries",
        "other | text=cache lmdb:/var/lib/postfix/verify_cache full cleanup: retained=724 dropped=6 entries",
    );
    // infohtreasure: `-v` output.
    check(
        "Feb 25 15:35:55 server1 postfix/smtpd[24974]: connect to subsystem private/proxymap",
        "verbose | text=connect to subsystem private/proxymap",
    );
    // sergeymakinen's negative cases stay unrecognized.
    check(
        "Jan 1 00:00:00 hostname postfix/smtpd[12345]: NOQUEUE: reject: Unsupported",
        "unrecognized",
    );
    check(
        "2021-05-16T00:01:44.278515+02:00 mail postfix/postscreen[17274]: Useless Payload",
        "unrecognized",
    );
}

/// Found by the property tests: a reply that ends the line with a blank before the `;`.
#[test]
fn a_reply_at_the_end_of_the_line_keeps_no_trailing_blank() {
    check(
        "Jan 28 06:40:37 mail postfix/smtpd[15061]: NOQUEUE: reject: RCPT from [155.63.95.6]:63966: 550 5.7.1 ;",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name= | client_addr=155.63.95.6 | client_port=63966 | reply=550 5.7.1",
    );
}

/// Found by the property tests: only addresses and HELO names are bracketed; a `<` that
/// opens another field's value is part of that value.
#[test]
fn only_addresses_and_helo_names_are_bracketed() {
    check(
        "Jan  1 00:00:00 h postfix/cleanup[5]: 906F418067A: reject: header Subject: Yusuf from mail-yb1-f174.google.com[209.85.219.174]; from=<t@g.com> to=<u@v.tr> proto=<ESMTP helo=<m>",
        "reject | queue_id=906F418067A | action=reject | stage=header Subject: Yusuf | client_name=mail-yb1-f174.google.com | client_addr=209.85.219.174 | from=t@g.com | to=u@v.tr | proto=<ESMTP | helo=m",
    );
}

/// Found by the property tests: Postfix ends a verdict's reply with `;`, so a reply that
/// itself ends with `;` keeps it.
#[test]
fn a_reply_ending_in_a_semicolon_keeps_it() {
    check(
        "2021-02-28T11:58:36.591Z relay postfix/smtpd[3]: NOQUEUE: reject: RCPT from jurann.biz[77.95.228.43]: 554 5.7.1 Service unavailable;;",
        "reject | queue_id=NOQUEUE | action=reject | stage=RCPT | client_name=jurann.biz | client_addr=77.95.228.43 | reply=554 5.7.1 Service unavailable;",
    );
}

/// Found by fuzzing (parse_one_line): rsyslog's `message repeated 1 times: [ TEXT ]` whose
/// text ends in a blank printed as a bare line whose blank was then trimmed, so it did not
/// parse back to itself. Blanks before the `]` now go as they go at a line's end.
#[test]
fn a_repeated_message_s_blanks_before_the_bracket_go_as_at_a_line_s_end() {
    for n in [1, 3] {
        let line = format!(
            "Sep 30 17:02:03 zimbraserver postfix/amavisd/smtpd\u{fffd}17226]: message repeated {n} times: [ \u{fffd}6CE4E1E1E71:  socket: wanted attribute: ]"
        );
        let Parsed::Entry(entry) = parse_line(&line) else {
            panic!("{line}");
        };
        assert_eq!(entry.repeat, n);
        let shown = entry.to_string();
        assert!(
            shown.ends_with("wanted attribute:") || shown.ends_with("wanted attribute:]"),
            "{shown}"
        );
        match parse_line(&shown) {
            Parsed::Entry(again) => assert_eq!(again, entry, "display: {shown}"),
            other => panic!("display {shown:?} parsed to {other:?}"),
        }
    }
}

/// Found by fuzzing (parse_one_line): an smtpd `client=` line whose fields repeat or come
/// out of Postfix's order printed, in that order, as a line whose last value lost its
/// trailing blank. Postfix writes them once each, in order; any other line is not its.
#[test]
fn a_client_line_s_fields_come_once_each_in_postfix_s_order() {
    let ok = "Nov 28 20:48:05 relay1 postfix/submission/smtpd[31812]: 4jc9792sKyz1T1CY: client=pc17.dept.example.edu[127.0.0.5], sasl_method=PLAIN, sasl_username=bob, sasl_sender=x";
    assert!(matches!(parse_line(ok), Parsed::Entry(_)), "{ok}");
    for tail in [
        ", sasl_method=PLAIN, sasl_method=LOGIN",
        ", sasl_username=bob , sasl_method=PLAIN",
        ", sasl_method=PLAIN, sasl_sender=x, , sasl_username=b",
    ] {
        let line = format!(
            "Nov 28 20:48:05 relay1 postfix/submission/smtpd[31812]: 4jc9792sKyz1T1CY: client=pc17.dept.example.edu[127.0.0.5]{tail}"
        );
        assert!(
            matches!(parse_line(&line), Parsed::Unrecognized { .. }),
            "{line}: {:?}",
            parse_line(&line)
        );
    }
}
