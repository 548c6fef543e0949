//! The values a query returns: `Day`, `Table`, `Report`, `Record`. Each wraps the core's
//! own value; `to_dict()` is the JSON contract's object, made by the core's JSON types.

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use smtplog_core::query::Query;
use smtplog_core::record::{Record as CoreRecord, Status};
use smtplog_core::report::csv::CsvOptions;
use smtplog_core::report::json::{JsonCounts, JsonRecord, JsonReport};
use smtplog_core::report::{self, Footer, Report as CoreReport};
use smtplog_core::stats::{Counts, DailyTable};

use crate::convert::to_py;

/// One day of a daily table, or the total of a range (then `date` is None).
///
/// `sum` is the number of records; the six other counts add up to it.
#[pyclass(frozen, eq, module = "smtplog")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Day {
    date: Option<NaiveDate>,
    counts: Counts,
}

impl Day {
    pub(crate) fn new(date: Option<NaiveDate>, counts: Counts) -> Day {
        Day { date, counts }
    }
}

#[pymethods]
impl Day {
    /// The calendar day (datetime.date), or None for a total.
    #[getter]
    fn date(&self) -> Option<NaiveDate> {
        self.date
    }
    /// Every record of the day.
    #[getter]
    fn sum(&self) -> u64 {
        self.counts.sum()
    }
    /// Refused submissions and SASL failures.
    #[getter]
    fn auth_blk(&self) -> u64 {
        self.counts.get(Status::AuthBlk)
    }
    /// Messages accepted from SMTP AUTH sessions.
    #[getter]
    fn auth_rcv(&self) -> u64 {
        self.counts.get(Status::AuthRcv)
    }
    /// Recipients refused permanently.
    #[getter]
    fn bounced(&self) -> u64 {
        self.counts.get(Status::Bounced)
    }
    /// Failed delivery attempts.
    #[getter]
    fn deferred(&self) -> u64 {
        self.counts.get(Status::Deferred)
    }
    /// Recipients still undelivered when their message expired.
    #[getter]
    fn expired(&self) -> u64 {
        self.counts.get(Status::Expired)
    }
    /// Recipients delivered.
    #[getter]
    fn sent(&self) -> u64 {
        self.counts.get(Status::Sent)
    }

    /// The JSON contract's object: a day of "days" (with "date"), or "total" (without).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let counts = to_py(py, &JsonCounts::from(&self.counts))?;
        let Some(date) = self.date else {
            return Ok(counts);
        };
        let dict = PyDict::new(py);
        dict.set_item("date", date.to_string())?;
        dict.update(counts.cast::<pyo3::types::PyMapping>()?)?;
        Ok(dict.into_any())
    }

    fn __repr__(&self) -> String {
        let date = self
            .date
            .map_or_else(|| "None".to_string(), |d| format!("'{d}'"));
        format!(
            "Day(date={date}, sum={}, auth_blk={}, auth_rcv={}, bounced={}, deferred={}, expired={}, sent={})",
            self.counts.sum(),
            self.counts.get(Status::AuthBlk),
            self.counts.get(Status::AuthRcv),
            self.counts.get(Status::Bounced),
            self.counts.get(Status::Deferred),
            self.counts.get(Status::Expired),
            self.counts.get(Status::Sent)
        )
    }
}

fn days_of(table: &DailyTable) -> (Vec<Day>, Day) {
    (
        table
            .days
            .iter()
            .map(|d| Day::new(Some(d.date), d.counts))
            .collect(),
        Day::new(None, table.total),
    )
}

/// One sender's daily table over a range of days (`Store.stats`).
#[pyclass(frozen, eq, module = "smtplog")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Table {
    query: Query,
    table: DailyTable,
}

impl Table {
    pub(crate) fn new(query: Query, table: DailyTable) -> Table {
        Table { query, table }
    }
}

#[pymethods]
impl Table {
    /// The queried address.
    #[getter]
    fn email(&self) -> &str {
        &self.query.email
    }
    /// The first day.
    #[getter]
    fn begin(&self) -> NaiveDate {
        self.query.begin
    }
    /// The last day (inclusive).
    #[getter]
    fn end(&self) -> NaiveDate {
        self.query.end
    }
    /// Every day of the range, zeros included (list of Day).
    #[getter]
    fn days(&self) -> Vec<Day> {
        days_of(&self.table).0
    }
    /// The range's counts (a Day whose date is None).
    #[getter]
    fn total(&self) -> Day {
        days_of(&self.table).1
    }
    /// The `smtplog stats --json` object (the query object without "records").
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &JsonReport::new(&self.query, &self.table, None))
    }
    fn __repr__(&self) -> String {
        format!(
            "Table(email={:?}, begin='{}', end='{}', sum={})",
            self.query.email,
            self.query.begin,
            self.query.end,
            self.table.total.sum()
        )
    }
}

/// One record of a sender's history.
#[pyclass(frozen, eq, module = "smtplog")]
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Record {
    no: usize,
    time: DateTime<Tz>,
    record: CoreRecord,
}

impl Record {
    pub(crate) fn new(no: usize, time: DateTime<Tz>, record: CoreRecord) -> Record {
        Record { no, time, record }
    }
}

#[pymethods]
impl Record {
    /// The 1-based row number in its report (or in `Store.records`).
    #[getter]
    fn no(&self) -> usize {
        self.no
    }
    /// When it was logged: an aware datetime in the report's zone.
    #[getter]
    fn time(&self) -> DateTime<FixedOffset> {
        self.time.fixed_offset()
    }
    /// One of "sent", "deferred", "bounced", "expired", "auth_rcv", "auth_blk".
    #[getter]
    fn status(&self) -> &'static str {
        self.record.status.as_str()
    }
    /// The queue ID ("NOQUEUE" for refused submissions).
    #[getter]
    fn queue_id(&self) -> &str {
        &self.record.queue_id
    }
    /// The recipient, when the record is about one.
    #[getter]
    fn recipient(&self) -> Option<&str> {
        self.record.recipient.as_deref()
    }
    /// The original recipient (alias or forward expansion), when it differs.
    #[getter]
    fn orig_recipient(&self) -> Option<&str> {
        self.record.orig_recipient.as_deref()
    }
    /// The envelope sender (lower-cased), when known.
    #[getter]
    fn sender(&self) -> Option<&str> {
        self.record.sender.as_deref()
    }
    /// The submitting client's IP ("127.0.0.1" for local pickup), when known.
    #[getter]
    fn sender_ip(&self) -> Option<&str> {
        self.record.sender_ip.as_deref()
    }
    /// The SASL user of the submission, if any.
    #[getter]
    fn sasl_user(&self) -> Option<&str> {
        self.record.sasl_user.as_deref()
    }
    /// Our relay that logged it (the syslog host).
    #[getter]
    fn smtp_relay(&self) -> &str {
        &self.record.smtp_relay
    }
    /// The remote relay ("mx.example.org[192.0.2.1]:25"), if any.
    #[getter]
    fn relay(&self) -> Option<&str> {
        self.record.relay.as_deref()
    }
    /// The enhanced status code ("2.0.0"), if any.
    #[getter]
    fn dsn(&self) -> Option<&str> {
        self.record.dsn.as_deref()
    }
    /// The delay in seconds, if logged.
    #[getter]
    fn delay(&self) -> Option<f64> {
        self.record.delay
    }
    /// The remote server's response exactly as logged, if any.
    #[getter]
    fn response(&self) -> Option<&str> {
        self.record.response.as_deref()
    }
    /// The message's Message-ID header, when known.
    #[getter]
    fn message_id(&self) -> Option<&str> {
        self.record.message_id.as_deref()
    }
    /// The JSON contract's record object (time as RFC 3339 text).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &JsonRecord::new(self.no, self.time, &self.record))
    }
    fn __repr__(&self) -> String {
        let opt = |o: &Option<String>| {
            o.as_ref()
                .map_or_else(|| "None".to_string(), |s| format!("{s:?}"))
        };
        format!(
            "Record(no={}, time='{}', status={:?}, queue_id={:?}, recipient={})",
            self.no,
            self.time
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            self.record.status.as_str(),
            self.record.queue_id,
            opt(&self.record.recipient)
        )
    }
}

/// One sender's report over a range of days (`Store.query`): header, daily table,
/// records; rendered by the same renderers as `smtplog query`.
#[pyclass(frozen, eq, module = "smtplog")]
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Report {
    report: CoreReport,
}

impl Report {
    pub(crate) fn new(report: CoreReport) -> Report {
        Report { report }
    }
}

/// Renders `report` in `format` with the CLI's defaults (no contact link, no BOM, field
/// names as CSV headings).
fn render(
    report: &CoreReport,
    format: &str,
    footer: &Footer,
    csv: &CsvOptions,
) -> Option<std::io::Result<Vec<u8>>> {
    let mut out = Vec::new();
    let done = match format {
        "text" => report::text::render(report, footer, &mut out),
        "html" => report::html::render(report, footer, &mut out),
        "csv" => report::csv::render(report, csv, &mut out),
        "csv-daily" => report::csv::render_daily(report, csv, &mut out),
        "json" => report::json::render(report, &mut out),
        _ => return None,
    };
    Some(done.map(|()| out))
}

#[pymethods]
impl Report {
    /// The queried address.
    #[getter]
    fn email(&self) -> &str {
        &self.report.header.email
    }
    /// The first day.
    #[getter]
    fn begin(&self) -> NaiveDate {
        self.report.header.begin
    }
    /// The last day (inclusive).
    #[getter]
    fn end(&self) -> NaiveDate {
        self.report.header.end
    }
    /// The language of the labels: "zh_TW" or "en".
    #[getter]
    fn lang(&self) -> &'static str {
        self.report.header.lang.as_str()
    }
    /// The IP address shown as the client that asked.
    #[getter]
    fn client_ip(&self) -> &str {
        &self.report.header.client_ip
    }
    /// The IANA zone of the days and of every time.
    #[getter]
    fn timezone(&self) -> &'static str {
        self.report.header.zone.name()
    }
    /// Every day of the range, zeros included (list of Day).
    #[getter]
    fn days(&self) -> Vec<Day> {
        days_of(&self.report.daily).0
    }
    /// The range's counts (a Day whose date is None).
    #[getter]
    fn total(&self) -> Day {
        days_of(&self.report.daily).1
    }
    /// The records in time order (list of Record).
    #[getter]
    fn records(&self) -> Vec<Record> {
        self.report
            .rows
            .iter()
            .map(|r| Record::new(r.no, r.time, r.record.clone()))
            .collect()
    }

    /// The report as `smtplog query --format FORMAT` prints it: "text", "html", "csv",
    /// "csv-daily" or "json", in the report's language. `contact_url` is the footer's
    /// contact link (`--contact-url`); `bom` and `csv_labels` are the CSV options of the
    /// same names.
    #[pyo3(signature = (format = "text", *, contact_url = None, bom = false, csv_labels = false))]
    fn render(
        &self,
        py: Python<'_>,
        format: &str,
        contact_url: Option<String>,
        bom: bool,
        csv_labels: bool,
    ) -> PyResult<String> {
        let footer = Footer {
            contact_url,
            ..Footer::default()
        };
        let csv = CsvOptions {
            bom,
            labels: csv_labels,
            formula_guard: false,
        };
        let rendered = py.detach(|| render(&self.report, format, &footer, &csv));
        let bytes = rendered
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "format: unknown format {format:?} (expected text, html, csv, csv-daily or json)"
                ))
            })?
            .map_err(|e| crate::errors::Error::new_err(format!("cannot render: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|e| crate::errors::Error::new_err(format!("cannot render: {e}")))
    }

    /// The JSON contract's object (= `smtplog query --format json`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &JsonReport::from_report(&self.report))
    }

    fn __repr__(&self) -> String {
        let h = &self.report.header;
        format!(
            "Report(email={:?}, begin='{}', end='{}', lang='{}', records={})",
            h.email,
            h.begin,
            h.end,
            h.lang,
            self.report.rows.len()
        )
    }
}
