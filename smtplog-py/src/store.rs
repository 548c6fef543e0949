//! `Store`: one SQLite database, shared by threads. Writes (ingest, the daily warnings)
//! go through one connection behind a lock; reads take a read-only connection of their
//! own from a small pool, so they run side by side, and beside another process's ingest
//! (WAL). Every call runs without the GIL.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::Utc;
use chrono_tz::Tz;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use smtplog_core::anomaly;
use smtplog_core::config::Config as CoreConfig;
use smtplog_core::ingest::{self, IngestOptions, Input, Silent};
use smtplog_core::mail::{self, Deliver, MailContext, ReportRequest, SmtpDeliverer};
use smtplog_core::notify::{self, Outcome, Rules, Standing};
use smtplog_core::policy::Policy;
use smtplog_core::query::{Chunks, Query};
use smtplog_core::record::Status;
use smtplog_core::report::json::JsonRecord;
use smtplog_core::report::{self, trace};
use smtplog_core::source;
use smtplog_core::store::{Store as CoreStore, StoreError as CoreStoreError, StoredRecord};

use crate::config::Config;
use crate::convert;
use crate::errors::{
    self, ConfigError, MailError, StoreError, ingest_error, open_error, refused, store_error,
};
use crate::objects::{Day, Record, Report, Table};

/// Read-only connections kept for reuse.
const POOL: usize = 8;

/// A smtplog database (one SQLite file), usable as a context manager and from several
/// threads at once.
///
/// `Store(path)` opens the database, creating it and bringing its schema up to date;
/// with `read_only=True` it is never created, migrated or written (it may be a read-only
/// file). `tz` is the IANA zone of calendar days and local log times (default: the
/// configuration's `timezone`, else $TZ, else the system's). `config` (a Config) supplies
/// that zone, `[ingest] filter_transports`, and the policy, relay and mail settings of
/// `send_report` and `notify`.
#[pyclass(frozen, module = "smtplog")]
pub(crate) struct Store {
    path: PathBuf,
    zone: Tz,
    config: Option<CoreConfig>,
    read_only: bool,
    writer: Mutex<Option<CoreStore>>,
    readers: Mutex<Vec<CoreStore>>,
    closed: AtomicBool,
}

fn closed() -> PyErr {
    StoreError::new_err("the store is closed")
}

impl Store {
    /// Runs `f` with a read-only connection (from the pool, or a new one), without the GIL.
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&CoreStore) -> Result<T, PyErrLater> + Send,
    ) -> PyResult<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let out = py.detach(|| {
            let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match pooled {
                Some(c) => c,
                None => CoreStore::open_read_only(&self.path).map_err(PyErrLater::Store)?,
            };
            let out = f(&conn);
            let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < POOL && !self.closed.load(Ordering::Acquire) {
                pool.push(conn);
            }
            out
        });
        out.map_err(PyErrLater::into_py)
    }

    /// Runs `f` with the writing connection, one caller at a time, without the GIL.
    fn write<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut CoreStore) -> Result<T, PyErrLater> + Send,
    ) -> PyResult<T> {
        if self.read_only {
            return Err(StoreError::new_err(format!(
                "{} was opened read-only",
                self.path.display()
            )));
        }
        let out = py.detach(|| {
            let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            match writer.as_mut() {
                Some(store) => f(store),
                None => Err(PyErrLater::Closed),
            }
        });
        out.map_err(PyErrLater::into_py)
    }

    fn query_of(
        &self,
        email: &str,
        begin: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Query> {
        let begin = convert::date("begin", begin)?;
        let end = convert::date("end", end)?;
        Query::new(email, begin, end, self.zone).map_err(refused)
    }

    fn settings(&self) -> PyResult<&CoreConfig> {
        self.config.as_ref().ok_or_else(|| {
            ConfigError::new_err("this needs a configuration: Store(path, config=Config.load(...))")
        })
    }
}

/// An error made without the GIL, turned into a Python exception once it is held again.
pub(crate) enum PyErrLater {
    Store(CoreStoreError),
    Closed,
    Other(Box<dyn FnOnce() -> PyErr + Send>),
}

impl PyErrLater {
    fn into_py(self) -> PyErr {
        match self {
            PyErrLater::Store(e) => store_error(e),
            PyErrLater::Closed => closed(),
            PyErrLater::Other(f) => f(),
        }
    }
    fn later(f: impl FnOnce() -> PyErr + Send + 'static) -> PyErrLater {
        PyErrLater::Other(Box::new(f))
    }
}

impl From<CoreStoreError> for PyErrLater {
    fn from(e: CoreStoreError) -> Self {
        PyErrLater::Store(e)
    }
}

/// This host's name, for Message-ID and the SMTP greeting (as the CLI).
fn host_name() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn reasons(rs: &[smtplog_core::policy::WarningReason]) -> Vec<String> {
    rs.iter().map(ToString::to_string).collect()
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (path, *, tz = None, config = None, read_only = false))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        tz: Option<&str>,
        config: Option<&Config>,
        read_only: bool,
    ) -> PyResult<Store> {
        let config = config.map(|c| c.config.clone());
        let zone = match (tz, config.as_ref().and_then(|c| c.timezone)) {
            (Some(name), _) => convert::zone("tz", name)?,
            (None, Some(tz)) => tz,
            (None, None) => convert::local_zone(),
        };
        let (writer, readers) = if read_only {
            let conn = py
                .detach(|| CoreStore::open_read_only(&path))
                .map_err(store_error)?;
            (None, vec![conn])
        } else {
            let conn = py.detach(|| CoreStore::open(&path)).map_err(|e| {
                StoreError::new_err(format!(
                    "cannot open {}: {}",
                    path.display(),
                    errors::said_once(&e)
                ))
            })?;
            (Some(conn), Vec::new())
        };
        Ok(Store {
            path,
            zone,
            config,
            read_only,
            writer: Mutex::new(writer),
            readers: Mutex::new(readers),
            closed: AtomicBool::new(false),
        })
    }

    /// The database file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The IANA zone of calendar days and local log times.
    #[getter]
    fn tz(&self) -> &'static str {
        self.zone.name()
    }

    /// True when the store was opened with read_only=True.
    #[getter]
    fn read_only(&self) -> bool {
        self.read_only
    }

    /// Closes every connection; later calls raise StoreError. Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        self.closed.store(true, Ordering::Release);
        py.detach(|| {
            self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
            self.readers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
        });
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }

    /// Reads logs into the database, incrementally (`smtplog ingest --json`): `paths` is a
    /// path (str or os.PathLike) or a list of them, plain or gzip, read oldest first;
    /// `year` the year of a new input's first yearless timestamp (default: each file's
    /// modification date). Returns the `ingest --json` summary object. Raises
    /// FileNotFoundError for a missing log, BusyError when another ingest into the same
    /// database is running, InputError when a log cannot be read to its end.
    #[pyo3(signature = (paths, *, year = None))]
    fn ingest<'py>(
        &self,
        py: Python<'py>,
        paths: &Bound<'py, PyAny>,
        year: Option<i32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut files = convert::paths("paths", paths)?;
        source::oldest_first(&mut files);
        let now = Utc::now();
        let mut inputs = Vec::new();
        for f in &files {
            inputs.push(
                py.detach(|| Input::open(f, now))
                    .map_err(|e| open_error(f, e))?,
            );
        }
        let mut options = IngestOptions::new(self.zone);
        options.year = year;
        if let Some(c) = &self.config {
            options.filter_transports = c.ingest.filter_transports.clone();
        }
        let json = self.write(py, move |store| {
            let started = Instant::now();
            match ingest::ingest(store, inputs, &options, &mut Silent) {
                Ok(summary) => Ok(summary.to_json(started.elapsed().as_secs_f64())),
                Err(e) => Err(PyErrLater::later(move || ingest_error(e))),
            }
        })?;
        convert::json(py, &json)
    }

    /// One sender's daily table over the days `begin` to `end` (inclusive; datetime.date
    /// or "YYYY-MM-DD"), zeros included (`smtplog stats`).
    fn stats(
        &self,
        py: Python<'_>,
        email: &str,
        begin: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Table> {
        let query = self.query_of(email, begin, end)?;
        let table = self.read(py, |store| Ok(query.daily(store)?))?;
        Ok(Table::new(query, table))
    }

    /// One sender's report over the days `begin` to `end` (`smtplog query`): `client_ip`
    /// is shown as the client that asked (default 127.0.0.1), `lang` is "zh_TW" or "en".
    /// An administrator's query: no domain or retention policy (mailing a report applies
    /// it: `send_report`).
    #[pyo3(signature = (email, begin, end, *, client_ip = None, lang = "zh_TW"))]
    fn query(
        &self,
        py: Python<'_>,
        email: &str,
        begin: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        client_ip: Option<&str>,
        lang: &str,
    ) -> PyResult<Report> {
        let query = self.query_of(email, begin, end)?;
        let ip = match client_ip {
            Some(s) => convert::ip("client_ip", s)?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let lang = convert::lang("lang", lang)?;
        let built = self.read(py, |store| {
            Ok(report::build(store, &query, ip, lang, Utc::now())?)
        })?;
        Ok(Report::new(built))
    }

    /// The records of one sender over the days `begin` to `end`, in time order, read
    /// lazily about 10,000 at a time (an iterator of Record; `no` counts from 1 as in a
    /// report), so that a range of millions of records is never held at once.
    fn records(
        slf: Py<Self>,
        email: &str,
        begin: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Records> {
        let query = slf.get().query_of(email, begin, end)?;
        Ok(Records {
            store: slf,
            state: Mutex::new(RecordsState {
                chunks: query.chunks(CHUNK_RECORDS),
                buffer: VecDeque::new(),
                no: 0,
            }),
            query,
        })
    }

    /// Every stored record of one message, by queue ID (every host, instance and reuse) or
    /// message-id, with its content-filter and forwarding hops (`smtplog trace`): a list of
    /// dicts in message order, then time order, each the JSON record object with the
    /// message's "instance", "message_id" and "found" (how the message came in: "asked",
    /// "same_message_id", "origin").
    fn trace<'py>(
        &self,
        py: Python<'py>,
        queue_id_or_message_id: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let id = queue_id_or_message_id.to_string();
        let found = self.read(py, move |store| Ok(trace::trace(store, &id)?))?;
        let out = PyList::empty(py);
        let mut no = 0;
        for m in &found.messages {
            let how = match m.found {
                trace::Found::Asked => "asked",
                trace::Found::SameMessageId => "same_message_id",
                _ => "origin",
            };
            for r in &m.records {
                no += 1;
                let json = JsonRecord::new(no, r.record.time.with_timezone(&self.zone), &r.record);
                let dict = convert::to_py(py, &json)?;
                let dict = dict.cast::<PyDict>()?;
                dict.set_item("instance", &m.instance)?;
                dict.set_item("message_id", m.message_id.as_deref())?;
                dict.set_item("found", how)?;
                out.append(dict)?;
            }
        }
        Ok(out)
    }

    /// The senders whose `day` looks like a stolen account, each against their own
    /// previous 30 days, as `smtplog anomalies --day D --json`: one dict per flagged
    /// sender, {"email", "score", "reasons": [{"kind", "value", "baseline", "text"}]}.
    /// The thresholds are the configuration's `[anomalies]` (the defaults without one);
    /// the sentences are in `lang` ("zh_TW" or "en"; default: the configuration's
    /// `mail.lang`, else zh_TW). Nobody is mailed.
    #[pyo3(signature = (day, *, lang = None))]
    fn anomalies<'py>(
        &self,
        py: Python<'py>,
        day: &Bound<'py, PyAny>,
        lang: Option<&str>,
    ) -> PyResult<Bound<'py, PyList>> {
        let day = convert::date("day", day)?;
        let lang = match lang {
            Some(l) => convert::lang("lang", l)?,
            None => self
                .config
                .as_ref()
                .map(CoreConfig::warning_lang)
                .unwrap_or_default(),
        };
        let thresholds = self
            .config
            .as_ref()
            .map(|c| c.policy.anomalies.clone())
            .unwrap_or_default();
        let zone = self.zone;
        let flags = self.read(py, move |store| {
            Ok(anomaly::on_day(store, day, zone, &thresholds)?)
        })?;
        let out = PyList::empty(py);
        for f in &flags {
            out.append(convert::json(py, &f.to_json(lang))?)?;
        }
        Ok(out)
    }

    /// The senders (any domain) whose `day` reached `sum_threshold` records or
    /// `bounced_threshold` bounces: a list of (email, Day), by address. Nobody is mailed.
    #[pyo3(signature = (day, *, sum_threshold = 250, bounced_threshold = 10))]
    fn offenders(
        &self,
        py: Python<'_>,
        day: &Bound<'_, PyAny>,
        sum_threshold: u64,
        bounced_threshold: u64,
    ) -> PyResult<Vec<(String, Day)>> {
        let day = convert::date("day", day)?;
        let policy = Policy {
            notify_sum: sum_threshold,
            notify_bounced: bounced_threshold,
            ..Policy::default()
        };
        let zone = self.zone;
        let found = self.read(py, move |store| {
            Ok(notify::over_thresholds(store, &policy, day, zone)?)
        })?;
        Ok(found
            .into_iter()
            .map(|(owner, counts, _)| (owner, Day::new(Some(day), counts)))
            .collect())
    }

    /// Mails one sender's report of `begin` to `end` to that sender and nobody else
    /// (`smtplog report --send`), through the configuration's relay. The core's policy
    /// comes first: an address outside `policy.allowed_domains`, or a range too long,
    /// reversed, before the retention window or after today raises PolicyError and nothing
    /// is sent. `lang` defaults to the configuration's `mail.lang`. With `send=False`
    /// nothing is sent and the dict holds the RFC 5322 message as "message". Returns
    /// {"to", "message_id", "zipped", "records"}; a relay that is down or refuses raises
    /// MailError.
    #[pyo3(signature = (email, begin, end, *, client_ip = "127.0.0.1", lang = None, send = true))]
    #[allow(clippy::too_many_arguments)]
    fn send_report<'py>(
        &self,
        py: Python<'py>,
        email: &str,
        begin: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        client_ip: &str,
        lang: Option<&str>,
        send: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let settings = self.settings()?;
        let mail_config = settings
            .mail("send_report needs a [mail] section")
            .map_err(errors::config_error)?;
        let host = host_name();
        let request = ReportRequest {
            email: email.to_string(),
            begin: convert::date("begin", begin)?,
            end: convert::date("end", end)?,
            client_ip: convert::ip("client_ip", client_ip)?,
            lang: match lang {
                Some(l) => convert::lang("lang", l)?,
                None => mail_config.lang,
            },
        };
        let zone = self.zone;
        let prepared = self.read(py, |store| {
            let ctx = MailContext {
                now: Utc::now(),
                host: host.clone(),
            };
            // The whole policy (address, domain, range, retention) is applied by the core.
            mail::prepare_report(store, &settings.policy, mail_config, &request, zone, &ctx)
                .map_err(|e| PyErrLater::later(move || errors::request_error(e)))
        })?;
        let out = PyDict::new(py);
        out.set_item("to", prepared.to.to_string())?;
        out.set_item("message_id", &prepared.outgoing.message_id)?;
        out.set_item("zipped", prepared.outgoing.zipped)?;
        out.set_item("records", prepared.report.rows.len())?;
        if !send {
            let message = String::from_utf8_lossy(&prepared.outgoing.formatted()).into_owned();
            out.set_item("message", message)?;
            return Ok(out);
        }
        let smtp = &settings.smtp;
        py.detach(|| {
            let mut deliverer = SmtpDeliverer::new(smtp, &host)?;
            deliverer.deliver(&prepared.outgoing)
        })
        .map_err(|e| {
            MailError::new_err(format!(
                "the report to {} was not sent: {}",
                prepared.to,
                errors::said_once(&e)
            ))
        })?;
        Ok(out)
    }

    /// The daily warnings of `day` (default: yesterday in the store's zone), as `smtplog
    /// notify`: each sender of an allowed domain whose day reached `policy.notify_sum` or
    /// `policy.notify_bounced` is mailed their report of the day, once (a second run mails
    /// nobody twice). Returns one dict per sender: "email", "sum", "bounced", "reasons",
    /// and "outcome" ("sent", "already_sent", "in_progress" or "failed", with
    /// "message_id" and "zipped" when sent, "reason" when failed). With `dry_run=True`
    /// nothing is sent or recorded and "outcome" says what a run would do ("would_send",
    /// "already_sent", "in_progress"). A day after today or before the retention window,
    /// or no allowed domains, raise PolicyError; a warning that could not be delivered
    /// raises MailError after the others were sent (its `notices` attribute holds the
    /// list; the next run retries the failed ones).
    #[pyo3(signature = (day = None, *, dry_run = false, so_far = false))]
    fn notify<'py>(
        &self,
        py: Python<'py>,
        day: Option<&Bound<'py, PyAny>>,
        dry_run: bool,
        so_far: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let settings = self.settings()?;
        let policy = &settings.policy;
        let zone = self.zone;
        let now = Utc::now();
        let today = now.with_timezone(&zone).date_naive();
        let rules = if so_far { Rules::SoFar } else { Rules::Day };
        let asked = match day {
            Some(_) if so_far => {
                return Err(PyValueError::new_err(
                    "so_far: the warnings of today so far take no day",
                ));
            }
            Some(d) => Some(convert::date("day", d)?),
            None => None,
        };
        let day = rules.day(asked, today);
        notify::check_day(policy, day, today).map_err(refused)?;
        let lang = settings.warning_lang();
        let out = PyList::empty(py);
        let item = |o: &notify::Offender, outcome: &str| -> PyResult<Bound<'py, PyDict>> {
            let d = PyDict::new(py);
            d.set_item("email", o.email.to_string())?;
            d.set_item("sum", o.counts.sum())?;
            d.set_item("bounced", o.counts.get(Status::Bounced))?;
            d.set_item("reasons", reasons(&o.reasons))?;
            match &o.anomaly {
                Some(flag) => d.set_item("anomaly", convert::json(py, &flag.to_json(lang))?)?,
                None => d.set_item("anomaly", py.None())?,
            }
            d.set_item("outcome", outcome)?;
            Ok(d)
        };
        if dry_run {
            let planned = self.read(py, |store| {
                Ok(notify::plan_by(store, policy, rules, day, zone, now)?)
            })?;
            for (o, standing) in &planned {
                let outcome = match standing {
                    s if s.is_due() => "would_send",
                    Standing::AlreadySent(_) => "already_sent",
                    _ => "in_progress",
                };
                out.append(item(o, outcome)?)?;
            }
            return Ok(out);
        }
        let mail_config = settings
            .mail("notify needs a [mail] section")
            .map_err(errors::config_error)?;
        let host = host_name();
        let smtp = &settings.smtp;
        let notices = self.write(py, |store| {
            let mut deliverer = SmtpDeliverer::new(smtp, &host)
                .map_err(|e| PyErrLater::later(move || errors::send_error(e)))?;
            let ctx = MailContext {
                now,
                host: host.clone(),
            };
            Ok(notify::run_by(
                store,
                policy,
                rules,
                mail_config,
                &mut deliverer,
                day,
                zone,
                &ctx,
            )?)
        })?;
        let mut failed = 0;
        for n in &notices {
            let d = match &n.outcome {
                Outcome::Sent { message_id, zipped } => {
                    let d = item(&n.offender, "sent")?;
                    d.set_item("message_id", message_id)?;
                    d.set_item("zipped", *zipped)?;
                    d
                }
                Outcome::AlreadySent(_) => item(&n.offender, "already_sent")?,
                Outcome::InProgress(_) => item(&n.offender, "in_progress")?,
                Outcome::Failed(reason) => {
                    failed += 1;
                    let d = item(&n.offender, "failed")?;
                    d.set_item("reason", reason)?;
                    d
                }
            };
            out.append(d)?;
        }
        if failed > 0 {
            let err = MailError::new_err(format!(
                "{failed} warning(s) could not be delivered; the next run retries them"
            ));
            err.value(py).setattr("notices", &out)?;
            return Err(err);
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "Store({:?}, tz={:?}{})",
            self.path.display().to_string(),
            self.zone.name(),
            if self.read_only {
                ", read_only=True"
            } else {
                ""
            }
        )
    }
}

/// Records read from the store per chunk (`Query::chunks`).
const CHUNK_RECORDS: usize = 10_000;

struct RecordsState {
    chunks: Chunks,
    buffer: VecDeque<StoredRecord>,
    no: usize,
}

/// The records of one sender over a range (see `Store.records`), read a chunk at a time.
#[pyclass(frozen, module = "smtplog")]
pub(crate) struct Records {
    store: Py<Store>,
    query: Query,
    state: Mutex<RecordsState>,
}

#[pymethods]
impl Records {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Record>> {
        let store = self.store.get();
        let next = store.read(py, |conn| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(r) = state.buffer.pop_front() {
                    state.no += 1;
                    return Ok(Some((state.no, r)));
                }
                match state.chunks.next_chunk(conn)? {
                    Some(chunk) => state.buffer = chunk.into(),
                    None => return Ok(None),
                }
            }
        })?;
        Ok(next.map(|(no, r)| {
            Record::new(no, r.record.time.with_timezone(&self.query.zone), r.record)
        }))
    }
}
