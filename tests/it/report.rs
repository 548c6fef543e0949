//! Reports end to end: a small relay log (tests/fixtures/report/mail.log) ingested in
//! Asia/Taipei into a real store, then every format (text, HTML, CSV, JSON) in both
//! languages, snapshotted; hostile response text escaped or quoted per format; the daily
//! table of every format checked against the statuses stored for the sender (counted here
//! from the store, not from the report's rows); the HTML checked cell by cell, so the
//! snapshots' style sheet needs no reading; empty ranges; text columns lined up by display
//! width; and `trace` following a content-filter hop.

use std::io::Cursor;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use smtplog_core::ingest::{self, IngestOptions, Input, Silent};
use smtplog_core::query::Query;
use smtplog_core::record::{Record, Status};
use smtplog_core::report::csv::CsvOptions;
use smtplog_core::report::{self, Footer, Header, Lang, Report, trace};
use smtplog_core::store::{Store, StoredRecord};

const LOG: &str = include_str!("../fixtures/report/mail.log");
const SENDER: &str = "NSuser@Example.edu.tw";
const HOSTILE_RESPONSE: &str = "host mx.hostile.example[203.0.113.66] said: 550 5.7.1 <script>alert(1)</script> \"quoted\", a & b, see #012 https://hostile.example/?a=1&b=2 拒收 (in reply to end of DATA command)";

fn taipei() -> chrono_tz::Tz {
    "Asia/Taipei".parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The fixture log ingested (local times in Asia/Taipei, year 2020) into a new store.
fn store() -> Store {
    let mut store = Store::open_in_memory().expect("store");
    let mut options = IngestOptions::new(taipei());
    options.year = Some(2020);
    let input = Input {
        name: "mail.log".into(),
        reader: Box::new(Cursor::new(LOG.as_bytes().to_vec())),
        complete: true,
        ends_near: (2020, 2),
    };
    ingest::ingest(&mut store, vec![input], &options, &mut Silent).expect("ingest");
    store
}

fn report_of(store: &Store, email: &str, begin: &str, end: &str, lang: Lang) -> Report {
    let query = Query {
        email: email.into(),
        begin: day(begin),
        end: day(end),
        zone: taipei(),
    };
    let generated: DateTime<Utc> = "2020-02-16T01:02:03Z".parse().unwrap();
    report::build(store, &query, [140, 114, 111, 111].into(), lang, generated).expect("report")
}

fn fixture_report(lang: Lang) -> Report {
    report_of(&store(), SENDER, "2020-02-09", "2020-02-15", lang)
}

fn footer() -> Footer {
    Footer {
        contact_url: Some("https://net.example.edu.tw/contact".into()),
        query_url: Some("https://net.example.edu.tw/smtpquery".into()),
        ..Footer::default()
    }
}

fn text(r: &Report) -> String {
    let mut out = Vec::new();
    report::text::render(r, &footer(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn html(r: &Report) -> String {
    let mut out = Vec::new();
    report::html::render(r, &footer(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn csv(r: &Report, opts: CsvOptions) -> String {
    let mut out = Vec::new();
    report::csv::render(r, &opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn csv_daily(r: &Report, opts: CsvOptions) -> String {
    let mut out = Vec::new();
    report::csv::render_daily(r, &opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json(r: &Report) -> Value {
    let mut out = Vec::new();
    report::json::render(r, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

// ---------------------------------------------------------------------------------------
// Snapshots of every format and language.

#[test]
fn text_zh_tw() {
    insta::assert_snapshot!("text_zh_TW", text(&fixture_report(Lang::ZhTw)));
}

#[test]
fn text_en() {
    insta::assert_snapshot!("text_en", text(&fixture_report(Lang::En)));
}

#[test]
fn html_zh_tw() {
    insta::assert_snapshot!("html_zh_TW", html(&fixture_report(Lang::ZhTw)));
}

#[test]
fn html_en() {
    insta::assert_snapshot!("html_en", html(&fixture_report(Lang::En)));
}

#[test]
fn csv_records_and_daily_in_both_languages() {
    let zh = fixture_report(Lang::ZhTw);
    let en = fixture_report(Lang::En);
    insta::assert_snapshot!("csv_records", csv(&zh, CsvOptions::default()));
    // Field names do not depend on the language.
    assert_eq!(
        csv(&zh, CsvOptions::default()),
        csv(&en, CsvOptions::default())
    );
    let labels = CsvOptions {
        labels: true,
        ..CsvOptions::default()
    };
    insta::assert_snapshot!("csv_records_labels_zh_TW", csv(&zh, labels));
    insta::assert_snapshot!("csv_records_labels_en", csv(&en, labels));
    insta::assert_snapshot!("csv_daily", csv_daily(&zh, CsvOptions::default()));
    insta::assert_snapshot!("csv_daily_labels_zh_TW", csv_daily(&zh, labels));
    insta::assert_snapshot!("csv_daily_labels_en", csv_daily(&en, labels));
}

#[test]
fn json_in_both_languages() {
    let zh = fixture_report(Lang::ZhTw);
    let mut raw = Vec::new();
    report::json::render(&zh, &mut raw).unwrap();
    // The text as printed (field order as in the contract of docs/reports.md).
    insta::assert_snapshot!("json", String::from_utf8(raw).unwrap());
    // The machine contract has no language.
    assert_eq!(json(&zh), json(&fixture_report(Lang::En)));
}

// ---------------------------------------------------------------------------------------
// The JSON contract.

#[test]
fn json_has_exactly_the_contract_fields() {
    let v = json(&fixture_report(Lang::ZhTw));
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "begin", "days", "email", "end", "records", "schema", "timezone", "total"
        ]
    );
    assert_eq!(v["schema"], 1);
    assert_eq!(v["email"], SENDER);
    assert_eq!(v["begin"], "2020-02-09");
    assert_eq!(v["end"], "2020-02-15");
    assert_eq!(v["timezone"], "Asia/Taipei");
    let counts = [
        "auth_blk", "auth_rcv", "bounced", "deferred", "expired", "sent", "sum",
    ];
    assert_eq!(keys(&v["total"]), counts);
    let mut day_keys = counts.to_vec();
    day_keys.insert(0, "date");
    day_keys.sort();
    assert_eq!(keys(&v["days"][0]), day_keys);
    assert_eq!(
        keys(&v["records"][0]),
        [
            "delay",
            "dsn",
            "no",
            "orig_recipient",
            "queue_id",
            "recipient",
            "relay",
            "response",
            "sasl_user",
            "sender_ip",
            "smtp_relay",
            "status",
            "time"
        ]
    );
    // RFC 3339 with the zone's offset.
    assert_eq!(v["records"][0]["time"], "2020-02-10T00:00:01+08:00");
}

/// Within one report, each day's counts are its detail rows' and the total adds the days.
/// (Both come from the same rows, so this cannot see a record missing from both: the
/// next test counts the store.)
#[test]
fn json_days_count_the_records_of_each_day_and_total_adds_the_days() {
    let v = json(&fixture_report(Lang::ZhTw));
    let records = v["records"].as_array().unwrap();
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 7, "every day of 2020-02-09..15");
    let statuses = [
        "auth_blk", "auth_rcv", "bounced", "deferred", "expired", "sent",
    ];
    for d in days {
        let date = d["date"].as_str().unwrap();
        let of_day: Vec<&Value> = records
            .iter()
            .filter(|r| r["time"].as_str().unwrap().starts_with(date))
            .collect();
        assert_eq!(d["sum"].as_u64().unwrap() as usize, of_day.len(), "{date}");
        for s in statuses {
            let n = of_day.iter().filter(|r| r["status"] == s).count();
            assert_eq!(d[s].as_u64().unwrap() as usize, n, "{date} {s}");
        }
        let six: u64 = statuses.iter().map(|s| d[*s].as_u64().unwrap()).sum();
        assert_eq!(d["sum"].as_u64().unwrap(), six, "{date}");
    }
    for key in ["sum"].into_iter().chain(statuses) {
        let added: u64 = days.iter().map(|d| d[key].as_u64().unwrap()).sum();
        assert_eq!(v["total"][key].as_u64().unwrap(), added, "total {key}");
    }
    assert_eq!(v["total"]["sum"].as_u64().unwrap() as usize, records.len());
    // Numbered 1.. in time order.
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["no"].as_u64().unwrap() as usize, i + 1);
    }
    let times: Vec<&str> = records
        .iter()
        .map(|r| r["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

#[test]
fn the_range_keeps_other_senders_and_other_days_out() {
    let v = json(&fixture_report(Lang::En));
    let records = v["records"].as_array().unwrap();
    // someone.else's message and nsuser's 2020-02-16 message are not in the report.
    assert!(records.iter().all(|r| r["queue_id"] != "7E8F9A0B1C"));
    assert!(records.iter().all(|r| r["queue_id"] != "8F9A0B1C2D"));
    // The bounce notice to the sender (from=<>) belongs to nobody.
    assert!(records.iter().all(|r| r["queue_id"] != "4B5C6D7E8F"));
    // The content filter's hop: one auth_rcv for the message, the delivery of its copy.
    let hop: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["queue_id"] == "5C6D7E8F9A" || r["queue_id"] == "6D7E8F9A0B")
        .map(|r| {
            (
                r["queue_id"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(hop, [("5C6D7E8F9A", "auth_rcv"), ("6D7E8F9A0B", "sent")]);
}

// ---------------------------------------------------------------------------------------
// The daily table against the store.

/// The records `email` owns, read from the whole store and chosen here: envelope sender or
/// SASL login equal to `email` (any case; a login only when it is an address), logged on
/// a day of `begin..=end` in Asia/Taipei; in time order (ties in ingest order).
fn stored_records_of(store: &Store, email: &str, begin: &str, end: &str) -> Vec<StoredRecord> {
    let email = email.to_lowercase();
    let owns = |v: &Option<String>| {
        v.as_deref()
            .is_some_and(|a| a.contains('@') && a.to_lowercase() == email)
    };
    let (begin, end) = (day(begin), day(end));
    let mut mine: Vec<StoredRecord> = store
        .all_records()
        .unwrap()
        .into_iter()
        .filter(|s| owns(&s.record.sender) || owns(&s.record.sasl_user))
        .filter(|s| {
            let d = s.record.time.with_timezone(&taipei()).date_naive();
            begin <= d && d <= end
        })
        .collect();
    mine.sort_by_key(|s| (s.record.time, s.id));
    mine
}

/// One row of a daily table as the test compares it: the date (`YYYY-MM-DD`, or `total`)
/// and Sum followed by the six statuses in column order.
type TableRow = (String, [u64; 7]);

/// The daily table of `email` over `begin..=end`, counted from the statuses stored in
/// `store`: every day, zeros included, then the total row.
fn stored_table(store: &Store, email: &str, begin: &str, end: &str) -> Vec<TableRow> {
    let mut days: Vec<TableRow> = day(begin)
        .iter_days()
        .take_while(|d| *d <= day(end))
        .map(|d| (d.format("%Y-%m-%d").to_string(), [0; 7]))
        .collect();
    let mut total = [0u64; 7];
    for s in stored_records_of(store, email, begin, end) {
        let date = s.record.time.with_timezone(&taipei()).format("%Y-%m-%d");
        let column = 1 + Status::ALL
            .iter()
            .position(|st| *st == s.record.status)
            .unwrap();
        let row = days
            .iter_mut()
            .find(|(d, _)| *d == date.to_string())
            .unwrap();
        for counts in [&mut row.1, &mut total] {
            counts[0] += 1;
            counts[column] += 1;
        }
    }
    days.push(("total".into(), total));
    days
}

fn table_of_counts(daily: &smtplog_core::stats::DailyTable) -> Vec<TableRow> {
    let row = |c: &smtplog_core::stats::Counts| {
        let mut r = [c.sum(), 0, 0, 0, 0, 0, 0];
        for (i, s) in Status::ALL.iter().enumerate() {
            r[i + 1] = c.get(*s);
        }
        r
    };
    let mut rows: Vec<TableRow> = daily
        .days
        .iter()
        .map(|d| (d.date.format("%Y-%m-%d").to_string(), row(&d.counts)))
        .collect();
    rows.push(("total".into(), row(&daily.total)));
    rows
}

fn numbers<'a>(cells: impl IntoIterator<Item = &'a str>) -> [u64; 7] {
    let n: Vec<u64> = cells
        .into_iter()
        .map(|c| c.parse().unwrap_or_else(|_| panic!("{c:?} is not a count")))
        .collect();
    n.try_into().expect("seven counts")
}

/// The daily table of the JSON report.
fn table_of_json(v: &Value) -> Vec<TableRow> {
    let keys = [
        "sum", "auth_blk", "auth_rcv", "bounced", "deferred", "expired", "sent",
    ];
    let row = |o: &Value| -> [u64; 7] { keys.map(|k| o[k].as_u64().unwrap()) };
    let mut rows: Vec<TableRow> = v["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["date"].as_str().unwrap().to_string(), row(d)))
        .collect();
    rows.push(("total".into(), row(&v["total"])));
    rows
}

/// The daily table of the CSV daily form.
fn table_of_csv(text: &str) -> Vec<TableRow> {
    let rows = parse_csv(text);
    assert_eq!(rows[0], report::csv::DAILY_FIELDS);
    rows[1..]
        .iter()
        .map(|r| (r[0].clone(), numbers(r[1..].iter().map(String::as_str))))
        .collect()
}

/// The daily table of the text report: the lines that start with a date, then the total.
fn table_of_text(t: &str, lang: Lang) -> Vec<TableRow> {
    let total = total_label(lang);
    t.lines()
        .filter_map(|l| {
            let date = if l.starts_with(total) {
                "total".to_string()
            } else {
                let d = NaiveDate::parse_from_str(l.get(..10)?, "%Y/%m/%d").ok()?;
                // Detail rows start with their number, never with a date.
                d.format("%Y-%m-%d").to_string()
            };
            let words: Vec<&str> = l.split_whitespace().collect();
            Some((date, numbers(words[words.len() - 7..].iter().copied())))
        })
        .collect()
}

/// The label of the daily table's total row.
fn total_label(lang: Lang) -> &'static str {
    if lang == Lang::ZhTw {
        "總計 Total"
    } else {
        "Total"
    }
}

/// The daily table of the HTML report, and its headings.
fn table_of_html(page: &str, lang: Lang) -> (Vec<String>, Vec<TableRow>) {
    let cells = html_cells(between(page, "<table class=\"daily\">", "</table>"));
    assert_eq!(cells.len() % 8, 0, "rows of eight cells");
    let mut rows = cells.chunks(8);
    let heads = rows.next().unwrap().iter().map(Cell::text).collect();
    let rows = rows
        .map(|r| {
            let date = r[0].text();
            let date = match NaiveDate::parse_from_str(&date, "%Y/%m/%d") {
                Ok(d) => d.format("%Y-%m-%d").to_string(),
                Err(_) if date == total_label(lang) => "total".into(),
                Err(_) => panic!("{date:?} is neither a date nor the total"),
            };
            let counts: Vec<String> = r[1..].iter().map(Cell::text).collect();
            (date, numbers(counts.iter().map(String::as_str)))
        })
        .collect();
    (heads, rows)
}

#[test]
fn the_daily_table_of_every_form_counts_the_statuses_stored_for_the_sender() {
    let store = store();
    let mut expected = stored_table(&store, SENDER, "2020-02-09", "2020-02-15");
    // The fixture gives every column something to count, on more than one day.
    assert_eq!(expected.len(), 7 + 1);
    let total = expected.last().unwrap().1;
    assert!(total.iter().all(|n| *n > 0), "{total:?}");
    assert!(expected[..7].iter().filter(|(_, c)| c[0] > 0).count() >= 3);
    // Sum is the six columns added.
    for (date, c) in &expected {
        assert_eq!(c[0], c[1..].iter().sum::<u64>(), "{date}");
    }

    // The table `smtplog stats` prints (one query of the statuses), for any spelling of
    // the address.
    for email in [SENDER, "nsuser@example.edu.tw", "NSUSER@EXAMPLE.EDU.TW"] {
        let q = Query {
            email: email.into(),
            begin: day("2020-02-09"),
            end: day("2020-02-15"),
            zone: taipei(),
        };
        assert_eq!(
            table_of_counts(&q.daily(&store).unwrap()),
            expected,
            "{email}"
        );
    }

    for lang in Lang::ALL {
        let r = report_of(&store, SENDER, "2020-02-09", "2020-02-15", lang);
        assert_eq!(table_of_counts(&r.daily), expected, "{lang} report");
        assert_eq!(table_of_json(&json(&r)), expected, "{lang} json");
        assert_eq!(
            table_of_csv(&csv_daily(&r, CsvOptions::default())),
            expected,
            "{lang} csv"
        );
        assert_eq!(table_of_text(&text(&r), lang), expected, "{lang} text");
        assert_eq!(table_of_html(&html(&r), lang).1, expected, "{lang} html");
    }

    // Another range: the first day of records alone, and days before any record.
    expected = stored_table(&store, SENDER, "2020-02-10", "2020-02-10");
    assert!(expected[0].1[0] > 0);
    let r = report_of(&store, SENDER, "2020-02-10", "2020-02-10", Lang::En);
    assert_eq!(table_of_counts(&r.daily), expected);
    assert_eq!(table_of_json(&json(&r)), expected);
    let empty = stored_table(&store, SENDER, "2020-01-01", "2020-01-03");
    assert!(empty.iter().all(|(_, c)| *c == [0; 7]));
    let r = report_of(&store, SENDER, "2020-01-01", "2020-01-03", Lang::En);
    assert_eq!(table_of_counts(&r.daily), empty);
}

// ---------------------------------------------------------------------------------------
// The HTML, cell by cell.

/// The text between the first `start` and the `end` after it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"))
        + start.len();
    let to = from
        + s[from..]
            .find(end)
            .unwrap_or_else(|| panic!("{end:?} not found"));
    &s[from..to]
}

/// Decodes the five entities the report's escaper writes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Panics unless `s` (a cell's or attribute's content, tags removed) is escaped: no raw
/// `<`, `>`, `"` or `'`, and every `&` starts an entity.
fn assert_escaped(s: &str, what: &str) {
    for c in ['<', '>', '"', '\''] {
        assert!(!s.contains(c), "raw {c:?} in {what}: {s:?}");
    }
    for (i, _) in s.match_indices('&') {
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| s[i..].starts_with(e)),
            "bare & in {what}: {s:?}"
        );
    }
}

/// One cell of an HTML table as the report wrote it.
#[derive(Debug)]
struct Cell {
    /// `th` or `td`.
    tag: String,
    /// Its `data-label` attribute, decoded.
    label: Option<String>,
    /// Its content with the markup inside it (a status badge) removed, still escaped.
    escaped: String,
}

impl Cell {
    fn text(&self) -> String {
        unescape(&self.escaped)
    }
}

/// Every `<td>` and `<th>` of `html`, in order; each cell's content and label are checked
/// to be escaped.
fn html_cells(html: &str) -> Vec<Cell> {
    let mut cells = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let tag: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag != "td" && tag != "th" {
            continue;
        }
        let open_end = rest.find('>').unwrap();
        let attrs = &rest[tag.len()..open_end];
        let close = format!("</{tag}>");
        let body_end = rest.find(&close).unwrap();
        let body = &rest[open_end + 1..body_end];
        // Tags inside a cell (the status badge's <span>) are markup; the rest is text.
        let mut escaped = String::new();
        let mut in_tag = false;
        for c in body.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => escaped.push(c),
                _ => {}
            }
        }
        assert_escaped(&escaped, "a cell");
        let label = attrs.split("data-label=\"").nth(1).map(|a| {
            let value = &a[..a.find('"').unwrap()];
            assert_escaped(value, "a data-label");
            unescape(value)
        });
        cells.push(Cell {
            tag,
            label,
            escaped,
        });
        rest = &rest[body_end + close.len()..];
    }
    cells
}

/// The header of the HTML report: (label, value) pairs, decoded.
fn html_header(page: &str) -> Vec<(String, String)> {
    between(page, "<dl class=\"head\">", "</dl>")
        .split("<dt>")
        .skip(1)
        .map(|pair| {
            let label = &pair[..pair.find("</dt>").unwrap()];
            let value = between(pair, "<dd>", "</dd>");
            assert_escaped(label, "a header label");
            assert_escaped(value, "a header value");
            (unescape(label), unescape(value))
        })
        .collect()
}

/// The detail table of the HTML report: its headings (the response's last), and per
/// record its cells as (data-label, text), the response cell last when there is one.
type HtmlRecords = (Vec<String>, Vec<Vec<(String, String)>>);

fn html_records(page: &str) -> HtmlRecords {
    let table = between(page, "<table class=\"records\">", "</table>");
    let heads: Vec<String> = html_cells(between(table, "<thead>", "</thead>"))
        .iter()
        .inspect(|c| assert_eq!(c.tag, "th"))
        .map(Cell::text)
        .collect();
    let records = table
        .split("<tbody class=\"rec ")
        .skip(1)
        .map(|rec| {
            html_cells(&rec[..rec.find("</tbody>").unwrap()])
                .into_iter()
                .map(|c| {
                    assert_eq!(c.tag, "td");
                    (
                        c.label.clone().expect("every record cell is labelled"),
                        c.text(),
                    )
                })
                .collect()
        })
        .collect();
    (heads, records)
}

/// The cells a record's row must show, as (heading, text), in column order, the response
/// last when the record has one.
fn expected_record_cells(no: usize, record: &Record, heads: &[String]) -> Vec<(String, String)> {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let mut cells = vec![
        no.to_string(),
        dash(record.sender_ip.clone()),
        record.smtp_relay.clone(),
        record
            .time
            .with_timezone(&taipei())
            .format("%Y/%m/%d %H:%M:%S")
            .to_string(),
        record.queue_id.clone(),
        dash(report::recipient_cell(record)),
        record.status.to_string(),
        dash(record.dsn.clone()),
    ];
    cells.extend(report::response_message(record));
    heads.iter().cloned().zip(cells).collect()
}

fn labels(lang: Lang) -> ([&'static str; 6], [&'static str; 8], [&'static str; 9]) {
    match lang {
        Lang::ZhTw => (
            [
                "查詢信箱(Email)",
                "時間範圍(Date)",
                "查詢來源(Client IP)",
                "語系(Language)",
                "時區(Time Zone)",
                "產生時間(Generated)",
            ],
            [
                "日期 Date",
                "總和 Sum",
                "Auth_blk",
                "Auth_rcv",
                "退信 Bounced",
                "延遲 Deferred",
                "逾期 Expired",
                "成功寄出 Sent",
            ],
            [
                "項次 No.",
                "寄件者 IP Sender IP",
                "中繼 SMTP SMTP Relay",
                "時間 Time",
                "編號 ID",
                "收件者 Recipient",
                "狀態 Status",
                "DSN",
                "回應訊息 Response Message",
            ],
        ),
        // A new language would need its labels here.
        _ => (
            [
                "Email",
                "Date",
                "Client IP",
                "Language",
                "Time zone",
                "Generated",
            ],
            [
                "Date", "Sum", "Auth_blk", "Auth_rcv", "Bounced", "Deferred", "Expired", "Sent",
            ],
            [
                "No.",
                "Sender IP",
                "SMTP Relay",
                "Time",
                "ID",
                "Recipient",
                "Status",
                "DSN",
                "Response Message",
            ],
        ),
    }
}

#[test]
fn html_shows_every_header_field_daily_cell_and_record_cell_escaped() {
    let store = store();
    let stored = stored_records_of(&store, SENDER, "2020-02-09", "2020-02-15");
    let table = stored_table(&store, SENDER, "2020-02-09", "2020-02-15");
    for lang in Lang::ALL {
        let page = html(&report_of(&store, SENDER, "2020-02-09", "2020-02-15", lang));
        let (head_labels, daily_heads, record_heads) = labels(lang);

        let range = if lang == Lang::ZhTw {
            "2020/02/09 至 2020/02/15 的寄信紀錄"
        } else {
            "2020/02/09 to 2020/02/15"
        };
        let values = [
            SENDER,
            range,
            "140.114.111.111",
            lang.as_str(),
            "Asia/Taipei",
            "2020/02/16 09:02:03",
        ];
        let header: Vec<(String, String)> = head_labels
            .iter()
            .zip(values)
            .map(|(l, v)| (l.to_string(), v.to_string()))
            .collect();
        assert_eq!(html_header(&page), header, "{lang} header");

        let (heads, rows) = table_of_html(&page, lang);
        assert_eq!(heads, daily_heads, "{lang} daily headings");
        assert_eq!(rows, table, "{lang} daily cells");

        let (heads, records) = html_records(&page);
        assert_eq!(heads, record_heads, "{lang} record headings");
        assert_eq!(records.len(), stored.len(), "{lang}: one row per record");
        for (i, (got, s)) in records.iter().zip(&stored).enumerate() {
            assert_eq!(
                *got,
                expected_record_cells(i + 1, &s.record, &heads),
                "{lang} record {}",
                i + 1
            );
        }
        // The hostile response is among them, decoded back to exactly what was logged.
        assert!(records.iter().any(|r| {
            r.last()
                .unwrap()
                .1
                .ends_with(&format!("({HOSTILE_RESPONSE})"))
        }));
    }
}

#[test]
fn html_escapes_hostile_text_in_every_field() {
    let hostile = |field: &str| format!("<script>alert('{field}')</script> \"{field}\" & a&amp;b");
    let header = Header {
        email: hostile("email"),
        begin: day("2020-02-10"),
        end: day("2020-02-10"),
        client_ip: hostile("client"),
        lang: Lang::En,
        zone: taipei(),
        generated: "2020-02-11T00:00:00Z".parse().unwrap(),
    };
    let record = Record {
        time: "2020-02-10T01:00:00Z".parse().unwrap(),
        smtp_relay: hostile("relay host"),
        instance: "postfix".into(),
        queue_id: hostile("queue"),
        sender: Some("a@example.edu.tw".into()),
        sender_ip: Some(hostile("ip")),
        sasl_user: None,
        recipient: Some(hostile("rcpt")),
        orig_recipient: Some(hostile("orig")),
        status: Status::Bounced,
        dsn: Some(hostile("dsn")),
        relay: Some(hostile("mx")),
        delay: Some(1.0),
        response: Some(hostile("response")),
        message_id: None,
        orphan: false,
    };
    let r = Report::new(header, [record.clone()]);
    let page = html(&r);
    assert!(!page.to_ascii_lowercase().contains("<script"));
    assert!(!page.contains("alert('"));
    let header = html_header(&page);
    assert_eq!(header[0].1, hostile("email"));
    assert_eq!(header[2].1, hostile("client"));
    let (heads, records) = html_records(&page);
    assert_eq!(records, [expected_record_cells(1, &record, &heads)]);
    // Every field came through whole: the recipient cell shows the original too, the
    // response cell the remote relay and its answer.
    let cells: Vec<&str> = records[0].iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        cells[5],
        format!("{} → {}", hostile("orig"), hostile("rcpt"))
    );
    assert_eq!(
        cells[8],
        format!("{} ({})", hostile("mx"), hostile("response"))
    );
    // The title carries the address too.
    assert!(page.contains(&format!(
        "<title>SMTP Log Query System — {}</title>",
        report::html::escape(&hostile("email"))
    )));
}

// ---------------------------------------------------------------------------------------
// Hostile text: a stranger's response with markup, quotes, `&`, commas, `#012`, CJK.

#[test]
fn hostile_response_is_escaped_in_html() {
    for lang in Lang::ALL {
        let page = html(&fixture_report(lang));
        assert!(!page.to_ascii_lowercase().contains("<script"), "{lang}");
        assert!(page.contains(
            "550 5.7.1 &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;, a &amp; b, see #012 https://hostile.example/?a=1&amp;b=2 拒收"
        ));
        // CJK recipients and responses come through as text.
        assert!(page.contains("王小明@mail.example.com.tw"));
        // No raw `<` survives outside the page's own tags: every `<` starts a known tag.
        for (i, _) in page.match_indices('<') {
            let rest = &page[i + 1..];
            let name: String = rest
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                .collect();
            assert!(
                [
                    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "h1",
                    "h2", "dl", "dt", "dd", "div", "table", "thead", "tbody", "tfoot", "tr", "th",
                    "td", "span", "p", "a", "footer"
                ]
                .contains(&name.as_str()),
                "unexpected tag {name:?} at {i}"
            );
        }
    }
}

#[test]
fn html_page_is_self_contained_and_mobile_ready() {
    let page = html(&fixture_report(Lang::ZhTw));
    assert!(page.contains("<meta name=\"viewport\""));
    assert!(page.contains("<html lang=\"zh-Hant-TW\">"));
    assert!(page.contains("Content-Security-Policy"));
    for bad in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(!page.contains(bad), "{bad}");
    }
    // Statuses carry a colour class and their name.
    assert!(page.contains("<span class=\"st st-bounced\">bounced</span>"));
    assert!(page.contains("<span class=\"st st-sent\">sent</span>"));
    // The footer's contact link is a link.
    assert!(page.contains(
        "<a href=\"https://net.example.edu.tw/contact\">https://net.example.edu.tw/contact</a>"
    ));
}

#[test]
fn a_bad_footer_link_is_text_not_a_link() {
    let r = fixture_report(Lang::En);
    let f = Footer {
        contact_url: Some("javascript:alert(\"x\")".into()),
        service_name: Some("<b>Mail</b> & Co".into()),
        ..Footer::default()
    };
    let mut out = Vec::new();
    report::html::render(&r, &f, &mut out).unwrap();
    let page = String::from_utf8(out).unwrap();
    assert!(!page.contains("href=\"javascript"));
    assert!(page.contains("javascript:alert(&quot;x&quot;)"));
    assert!(page.contains("&lt;b&gt;Mail&lt;/b&gt; &amp; Co"));
}

/// Splits RFC 4180 CSV into rows of fields (the test's own reader).
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' if chars.peek() == Some(&'\n') => {
                    chars.next();
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                c => field.push(c),
            }
        }
    }
    assert!(!quoted, "unterminated quote");
    assert!(
        field.is_empty() && row.is_empty(),
        "last row not ended by CRLF"
    );
    rows
}

#[test]
fn hostile_response_is_quoted_in_csv_and_reads_back_exactly() {
    let r = fixture_report(Lang::ZhTw);
    let text = csv(&r, CsvOptions::default());
    assert!(text.contains(
        "\"host mx.hostile.example[203.0.113.66] said: 550 5.7.1 <script>alert(1)</script> \"\"quoted\"\", a & b, see #012 https://hostile.example/?a=1&b=2 拒收 (in reply to end of DATA command)\""
    ));
    assert!(!text.starts_with('\u{FEFF}'));
    let rows = parse_csv(&text);
    assert_eq!(rows[0], report::csv::RECORD_FIELDS);
    assert_eq!(rows.len(), r.rows.len() + 1);
    assert!(rows.iter().all(|row| row.len() == 13));
    let hostile = rows
        .iter()
        .find(|row| row[6] == "prof@hostile.example")
        .expect("hostile row");
    assert_eq!(hostile[12], HOSTILE_RESPONSE);
    assert_eq!(hostile[8], "bounced");
    // A comma inside an unquoted-looking field forces quotes too.
    let greylist = rows.iter().find(|row| row[9] == "4.7.1").unwrap();
    assert_eq!(
        greylist[12],
        "host mx.busy.example[198.51.100.2] said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)"
    );
    // The daily table reads back too, every count as stored.
    let daily = parse_csv(&csv_daily(&r, CsvOptions::default()));
    assert_eq!(daily.len(), 1 + 7 + 1);
    assert_eq!(daily[8][0], "total");
    assert_eq!(
        table_of_csv(&csv_daily(&r, CsvOptions::default())),
        stored_table(&store(), SENDER, "2020-02-09", "2020-02-15")
    );
}

#[test]
fn csv_bom_is_optional() {
    let r = fixture_report(Lang::ZhTw);
    let bom = CsvOptions {
        bom: true,
        ..CsvOptions::default()
    };
    let with = csv(&r, bom);
    assert!(with.starts_with('\u{FEFF}'));
    assert_eq!(
        &with['\u{FEFF}'.len_utf8()..],
        csv(&r, CsvOptions::default())
    );
    assert!(csv_daily(&r, bom).starts_with("\u{FEFF}date,"));
}

#[test]
fn hostile_response_is_exact_in_json() {
    let v = json(&fixture_report(Lang::ZhTw));
    let rec = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recipient"] == "prof@hostile.example")
        .unwrap();
    assert_eq!(rec["response"], HOSTILE_RESPONSE);
    assert_eq!(rec["relay"], "mx.hostile.example[203.0.113.66]:25");
    assert_eq!(rec["dsn"], "5.7.1");
    assert_eq!(rec["delay"], 1.5);
    assert_eq!(rec["sasl_user"], "nsuser@example.edu.tw");
    let cjk = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recipient"] == "王小明@mail.example.com.tw")
        .unwrap();
    assert!(cjk["response"].as_str().unwrap().contains("收件者不存在"));
}

#[test]
fn text_keeps_control_characters_out() {
    let mut r = fixture_report(Lang::En);
    r.rows[1].record.response = Some("250 ok\x1b[2J\nFAKE LINE\r".into());
    let t = text(&r);
    assert!(!t.contains('\x1b'));
    assert!(!t.contains("\nFAKE LINE"));
    assert!(t.contains("250 ok\u{FFFD}[2J\u{FFFD}FAKE LINE\u{FFFD}"));
}

// ---------------------------------------------------------------------------------------
// Empty ranges.

#[test]
fn a_range_without_records_lists_every_day_with_zeros() {
    let store = store();
    for lang in Lang::ALL {
        let r = report_of(&store, SENDER, "2020-03-01", "2020-03-05", lang);
        assert!(r.rows.is_empty());
        assert_eq!(r.daily.days.len(), 5);
        let v = json(&r);
        assert_eq!(v["records"], Value::Array(vec![]));
        let days = v["days"].as_array().unwrap();
        let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
        assert_eq!(
            dates,
            [
                "2020-03-01",
                "2020-03-02",
                "2020-03-03",
                "2020-03-04",
                "2020-03-05"
            ]
        );
        for d in days {
            for (k, n) in d.as_object().unwrap() {
                if k != "date" {
                    assert_eq!(n, 0, "{k}");
                }
            }
        }
        assert!(v["total"].as_object().unwrap().values().all(|n| n == 0));
        let t = text(&r);
        for date in [
            "2020/03/01",
            "2020/03/02",
            "2020/03/03",
            "2020/03/04",
            "2020/03/05",
        ] {
            let line = t.lines().find(|l| l.starts_with(date)).expect(date);
            let numbers: Vec<&str> = line.split_whitespace().skip(1).collect();
            assert_eq!(numbers, ["0"; 7], "{line}");
        }
        let page = html(&r);
        assert!(page.contains("class=\"empty\""));
        assert_eq!(parse_csv(&csv(&r, CsvOptions::default())).len(), 1);
        if lang == Lang::En {
            insta::assert_snapshot!("text_empty_en", t);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Text alignment by display width.

/// The test's own display width: East Asian wide and fullwidth characters take two
/// columns (the ranges that occur in reports), everything else one.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// The display columns where each of `cells` starts in `line`, found left to right.
fn starts(line: &str, cells: &[String]) -> Vec<usize> {
    let mut from = 0;
    cells
        .iter()
        .map(|cell| {
            let at = from
                + line[from..]
                    .find(cell.as_str())
                    .unwrap_or_else(|| panic!("{cell:?} not found in {line:?} after byte {from}"));
            from = at + cell.len();
            width(&line[..at])
        })
        .collect()
}

#[test]
fn text_columns_line_up_by_display_width() {
    for lang in Lang::ALL {
        let r = fixture_report(lang);
        let t = text(&r);
        let lines: Vec<&str> = t.lines().collect();

        // The daily table: numbers are right-aligned, so each number ends where its
        // column's heading ends (the headings are the widest cells here).
        let heads: Vec<String> = {
            let mut h = vec![
                if lang == Lang::ZhTw {
                    "日期 Date"
                } else {
                    "Date"
                }
                .to_string(),
                if lang == Lang::ZhTw {
                    "總和 Sum"
                } else {
                    "Sum"
                }
                .to_string(),
            ];
            h.extend(
                smtplog_core::record::Status::ALL
                    .iter()
                    .map(|s| report::status_label(*s, lang).to_string()),
            );
            h
        };
        let head_line = lines
            .iter()
            .find(|l| l.starts_with(heads[0].as_str()) && l.contains(heads[1].as_str()))
            .unwrap();
        let head_ends: Vec<usize> = starts(head_line, &heads)
            .iter()
            .zip(&heads)
            .map(|(s, h)| s + width(h))
            .collect();
        let day_lines: Vec<&&str> = lines.iter().filter(|l| l.starts_with("2020/02/")).collect();
        assert_eq!(day_lines.len(), 7);
        for line in day_lines {
            let tokens: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            let token_starts = starts(line, &tokens);
            assert_eq!(token_starts[0], 0);
            for i in 1..8 {
                assert_eq!(
                    token_starts[i] + width(&tokens[i]),
                    head_ends[i],
                    "{lang} daily column {i} in {line:?}"
                );
            }
        }

        // The detail table: left-aligned cells start where their heading starts, CJK
        // recipients (王小明@...) included; the row number ends where its heading ends.
        let detail_heads: Vec<String> = if lang == Lang::ZhTw {
            vec![
                "項次 No.",
                "寄件者 IP Sender IP",
                "中繼 SMTP SMTP Relay",
                "時間 Time",
                "編號 ID",
                "收件者 Recipient",
                "狀態 Status",
                "DSN",
                "回應訊息 Response Message",
            ]
        } else {
            vec![
                "No.",
                "Sender IP",
                "SMTP Relay",
                "Time",
                "ID",
                "Recipient",
                "Status",
                "DSN",
                "Response Message",
            ]
        }
        .into_iter()
        .map(String::from)
        .collect();
        let head_line = lines
            .iter()
            .find(|l| {
                l.starts_with(detail_heads[0].as_str()) && l.contains(detail_heads[1].as_str())
            })
            .unwrap();
        let head_starts = starts(head_line, &detail_heads);
        let mut checked_cjk = false;
        for row in &r.rows {
            let rec = &row.record;
            let cells: Vec<String> = vec![
                row.no.to_string(),
                rec.sender_ip.clone().unwrap_or("-".into()),
                rec.smtp_relay.clone(),
                row.time.format("%Y/%m/%d %H:%M:%S").to_string(),
                rec.queue_id.clone(),
                report::recipient_cell(rec).unwrap_or("-".into()),
                rec.status.to_string(),
                rec.dsn.clone().unwrap_or("-".into()),
                report::response_message(rec).unwrap_or("-".into()),
            ];
            let line = lines
                .iter()
                .find(|l| {
                    l.trim_start().starts_with(&format!("{} ", row.no)) && l.contains(&cells[3])
                })
                .unwrap_or_else(|| panic!("row {}", row.no));
            let got = starts(line, &cells);
            assert_eq!(
                got[0] + width(&cells[0]),
                head_starts[0] + width(&detail_heads[0]),
                "{lang} row {} number",
                row.no
            );
            assert_eq!(got[1..], head_starts[1..], "{lang} row {}: {line}", row.no);
            checked_cjk |= cells[5].contains('王');
        }
        assert!(checked_cjk);

        // Header lines as in the mail of the service smtplog models.
        if lang == Lang::ZhTw {
            assert_eq!(lines[0], format!("查詢信箱(Email)：{SENDER}"));
            assert_eq!(
                lines[1],
                "時間範圍(Date)：2020/02/09 至 2020/02/15 的寄信紀錄"
            );
            assert_eq!(lines[2], "查詢來源(Client IP)：140.114.111.111");
            assert_eq!(lines[3], "語系(Language)：zh_TW");
        } else {
            assert_eq!(lines[1], "Date: 2020/02/09 to 2020/02/15");
            assert!(
                t.chars()
                    .all(|c| width(&c.to_string()) == 1 || "王小明收件者不存在拒收".contains(c)),
                "en labels are English: only logged text may be CJK"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Trace.

fn trace_text(store: &Store, id: &str) -> (trace::Trace, String) {
    let t = trace::trace(store, id).unwrap();
    let mut out = Vec::new();
    trace::render_text(&t, taipei(), &mut out).unwrap();
    (t, String::from_utf8(out).unwrap())
}

#[test]
fn trace_follows_a_content_filter_hop_through_the_message_id() {
    let store = store();
    let (t, text) = trace_text(&store, "5C6D7E8F9A");
    let ids: Vec<(&str, trace::Found)> = t
        .messages
        .iter()
        .map(|m| (m.queue_id.as_str(), m.found))
        .collect();
    assert_eq!(
        ids,
        [
            ("5C6D7E8F9A", trace::Found::Asked),
            ("6D7E8F9A0B", trace::Found::SameMessageId)
        ]
    );
    insta::assert_snapshot!("trace_hop", text);
    // Asking for the message-id, with or without brackets, finds both hops.
    for id in ["<filtered.1@example.edu.tw>", "filtered.1@example.edu.tw"] {
        let (t, _) = trace_text(&store, id);
        assert_eq!(t.messages.len(), 2, "{id}");
        assert!(t.messages.iter().all(|m| m.found == trace::Found::Asked));
    }
}

#[test]
fn trace_shows_a_whole_retried_and_expired_message() {
    let store = store();
    let (t, text) = trace_text(&store, "3A4B5C6D7E");
    assert_eq!(t.messages.len(), 1);
    let statuses: Vec<&str> = t.messages[0]
        .records
        .iter()
        .map(|s| s.record.status.as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "auth_rcv", "bounced", "deferred", "deferred", "sent", "deferred", "expired"
        ]
    );
    insta::assert_snapshot!("trace_expired", text);
}

#[test]
fn trace_of_nothing_is_empty() {
    let store = store();
    for id in ["NOQUEUE", "", "FFFFFFFFFF", "<nobody@nowhere.example>"] {
        let (t, text) = trace_text(&store, id);
        assert!(t.is_empty(), "{id}");
        assert!(text.contains("Nothing stored"), "{id}");
    }
}
