//! Mail a sender their report, as the query page and `smtplog report` do, without
//! sending it: the policy is applied first (an address outside the allowed domains, or a
//! range too long or too old, is refused and nothing is built), then the report is
//! composed to that address alone.
//!
//! Run: `cargo run -p smtplog-examples --example compose_mail`

use smtplog_core::chrono::{NaiveDate, TimeZone, Utc};
use smtplog_core::config::MailConfig;
use smtplog_core::mail::RequestError;
use smtplog_core::{
    EmailAddress, IngestOptions, Input, Lang, MailContext, Policy, ReportRequest, Silent, Store,
    ingest, prepare_report,
};

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let zone = smtplog_core::chrono_tz::Asia::Taipei;
    let mut store = Store::open_in_memory()?;
    let mut options = IngestOptions::new(zone);
    options.year = Some(2026);
    let log = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample.log"));
    ingest(
        &mut store,
        vec![Input::open(log, Utc::now())?],
        &options,
        &mut Silent,
    )?;

    let policy = Policy {
        allowed_domains: vec!["example.edu".into()],
        ..Policy::default()
    };
    let config = MailConfig::new(EmailAddress::parse("smtplog@example.edu")?);
    // "Now" is the caller's: the core reads no clock.
    let ctx = MailContext {
        now: Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap(),
        host: "loghost.example.edu".into(),
    };
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).expect("a day");
    let mut request = ReportRequest {
        email: "alice@dept.example.edu".into(),
        begin: day,
        end: day,
        client_ip: [192, 0, 2, 7].into(),
        lang: Lang::ZhTw,
    };
    let prepared = prepare_report(&store, &policy, &config, &request, zone, &ctx)?;
    let raw = prepared.outgoing.formatted();
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    println!("{head}\n({} bytes in all)", raw.len());

    request.email = "mallory@evil.example.org".into();
    match prepare_report(&store, &policy, &config, &request, zone, &ctx) {
        Err(RequestError::Refused(why)) => println!("refused: {why}"),
        other => panic!("a foreign address must be refused: {other:?}"),
    }
    Ok(())
}
