//! The query page of smtplog: HTTP, forms, HTML and the captcha's image and sound. Every
//! rule is `smtplog_core::web`'s: who the client is ([`client_ip`]), whether it may use
//! the page, each submission's checks, audit and outbox ([`submit`]), captchas
//! ([`issue_captcha`]) and mailing the queued reports ([`deliver_due`]).
//!
//! Routes: `GET /` (the form), `POST /submit`, `GET /captcha/ID.svg` and `ID.wav`,
//! `GET /style.css`, `GET /healthz`. Every response carries a strict
//! `Content-Security-Policy`, `X-Content-Type-Options`, `Referrer-Policy` and
//! `Cache-Control: no-store`; bodies are limited to 16 KiB and requests to 15 seconds;
//! each request is logged on stderr as one `key=value` line. The anti-forgery token is a
//! double-submit pair: a random cookie `smtplog_token` and the same value in the form.
//!
//! [`client_ip`]: smtplog_core::web::client_ip
//! [`submit`]: smtplog_core::web::submit
//! [`issue_captcha`]: smtplog_core::web::issue_captcha
//! [`deliver_due`]: smtplog_core::web::deliver_due

mod captcha;
mod page;

use std::future::Future;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Days, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use smtplog_core::config::Config;
use smtplog_core::mail::{MailContext, SmtpDeliverer};
use smtplog_core::report::Lang;
use smtplog_core::store::Store;
use smtplog_core::web::{self, Mailed, Refused, Verdict};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::captcha::{Answers, Spoken};
use crate::page::FormPage;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;
/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the outbox is looked at without being woken.
pub const OUTBOX_INTERVAL: Duration = Duration::from_secs(30);
/// The longest the outbox waits for an ingest into the same database to finish.
const INGEST_WAIT_MAX: Duration = Duration::from_secs(60);
/// Outbox entries mailed per batch.
const OUTBOX_BATCH: usize = 20;
const TOKEN_COOKIE: &str = "smtplog_token";
const CSP: &str = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the server needs: the checked configuration (with a `[mail]` section), the
/// database, the zone of the days, this host's name (`Message-ID`, SMTP greeting) and
/// where to listen.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The configuration; `web`, `policy`, `smtp` and `mail` are used.
    pub config: Config,
    /// The SQLite database (created and migrated at start when missing or older).
    pub db: PathBuf,
    /// The zone of calendar days.
    pub zone: Tz,
    /// This host's name.
    pub host: String,
    /// The address and port to listen on (port 0: any free port).
    pub listen: SocketAddr,
}

struct AppState {
    config: Config,
    db: PathBuf,
    zone: Tz,
    host: String,
    answers: Answers,
    wake: Notify,
}

/// A server that is running: its address, and how to stop it.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<io::Result<()>>,
    worker: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `signal` completes (or the server fails), then stops gracefully:
    /// requests in flight finish, and so does the outbox's current batch.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> io::Result<()> {
        let Running {
            stop,
            mut server,
            worker,
            ..
        } = self;
        let early = tokio::select! {
            () = signal => None,
            result = &mut server => Some(result),
        };
        let _ = stop.send(true);
        let result = match early {
            Some(r) => r,
            None => server.await,
        };
        let _ = worker.await;
        result.map_err(io::Error::other)?
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Opens the database (creating or migrating it), binds `settings.listen` and starts
/// serving and the outbox worker. Refuses a configuration without `[mail]`, and
/// `unsafe_fixed_captcha` on an address that is not loopback.
pub async fn start(settings: Settings) -> io::Result<Running> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    if settings.config.mail.is_none() {
        return Err(invalid(
            "the query page needs a [mail] section to mail its reports".into(),
        ));
    }
    if settings.config.web.unsafe_fixed_captcha.is_some() && !settings.listen.ip().is_loopback() {
        return Err(invalid(format!(
            "web.unsafe_fixed_captcha is for tests only and refused while listening on {}, \
             which is not a loopback address",
            settings.listen
        )));
    }
    let db = settings.db.clone();
    tokio::task::spawn_blocking(move || Store::open(&db).map(drop))
        .await
        .map_err(io::Error::other)?
        .map_err(|e| io::Error::other(format!("cannot open {}: {e}", settings.db.display())))?;
    let listener = TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let ttl = Duration::from_secs(u64::from(settings.config.web.captcha_ttl_secs));
    let state = Arc::new(AppState {
        answers: Answers::new(ttl),
        config: settings.config,
        db: settings.db,
        zone: settings.zone,
        host: settings.host,
        wake: Notify::new(),
    });
    let (stop, stopped) = watch::channel(false);
    let worker = tokio::spawn(outbox_worker(state.clone(), stopped.clone()));
    let app = router(state);
    let mut until = stopped;
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = until.wait_for(|s| *s).await;
        })
        .await
    });
    Ok(Running {
        addr,
        stop,
        server,
        worker,
    })
}

/// Starts (see [`start`]), calls `ready` with the bound address, and serves until Ctrl-C
/// or SIGTERM, then stops gracefully.
pub async fn serve(settings: Settings, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let running = start(settings).await?;
    ready(running.local_addr());
    running.run_until(shutdown_signal()).await
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/submit", post(submit))
        .route("/captcha/{file}", get(captcha_file))
        .route("/style.css", get(style))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), around))
        .with_state(state)
}

// ---- every response ------------------------------------------------------------------

fn log_line(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

fn client_of(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    web::client_ip(
        peer.ip(),
        &forwarded_for(headers),
        &state.config.web.trusted_proxies,
    )
}

/// The security headers on every response, and the access log line.
async fn around(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let client = client_of(&state, peer, request.headers());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    log_line(&format!(
        "time={} client={client} method={method} path={path} status={} ms={}",
        now_text(),
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
}

// ---- language and token --------------------------------------------------------------

fn lang_of(asked: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = asked.and_then(|l| l.parse::<Lang>().ok()) {
        return lang;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = accept.split(',').next().unwrap_or("").trim();
    if first.to_ascii_lowercase().starts_with("zh") {
        Lang::ZhTw
    } else {
        Lang::En
    }
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| captcha::valid_id(v))
}

/// Compares in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- handlers ------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SubmitForm {
    email: String,
    begin: String,
    end: String,
    captcha: String,
    captcha_id: String,
    token: String,
    lang: String,
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn internal(what: &str, e: impl std::fmt::Display) -> Response {
    log_line(&format!("time={} error=\"{what}: {e}\"", now_text()));
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; please try again later\n",
    )
}

/// A new captcha, issued in the store; its answer kept to draw it.
async fn new_captcha(state: &Arc<AppState>) -> Result<String, Response> {
    let id = captcha::random_hex(32);
    let answer = state
        .config
        .web
        .unsafe_fixed_captcha
        .clone()
        .unwrap_or_else(captcha::random_answer);
    let s = state.clone();
    let (i, a) = (id.clone(), answer.clone());
    let issued = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&s.db)?;
        web::issue_captcha(&mut store, &s.config, &i, &a, Utc::now())
    })
    .await;
    match issued {
        Ok(Ok(())) => {
            state.answers.insert(id.clone(), answer);
            Ok(id)
        }
        Ok(Err(e)) => Err(internal("issuing a captcha", e)),
        Err(e) => Err(internal("issuing a captcha", e)),
    }
}

/// The form page with `status`, a new captcha and the token (setting its cookie when the
/// request had none).
async fn form_response(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    status: StatusCode,
    lang: Lang,
    values: (&str, &str, &str),
    error: Option<&str>,
) -> Response {
    let id = match new_captcha(state).await {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (token, fresh) = match cookie_token(headers) {
        Some(t) => (t, false),
        None => (captcha::random_hex(32), true),
    };
    let body = page::form(&FormPage {
        lang,
        email: values.0,
        begin: values.1,
        end: values.2,
        captcha_id: &id,
        token: &token,
        allowed_domains: &state.config.policy.allowed_domains,
        max_range_days: state.config.policy.max_range_days,
        fixed_captcha: state.config.web.unsafe_fixed_captcha.is_some(),
        error,
    });
    let mut response = html(status, body);
    if fresh {
        let cookie = format!("{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

async fn index(
    State(state): State<Arc<AppState>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(q.lang.as_deref(), &headers);
    // The last seven days (at most max_range_days) ending yesterday, in the zone.
    let today = Utc::now().with_timezone(&state.zone).date_naive();
    let span = u64::from(state.config.policy.max_range_days.clamp(1, 7));
    let end = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    let begin = end.checked_sub_days(Days::new(span - 1)).unwrap_or(end);
    let (begin, end) = (begin.to_string(), end.to_string());
    form_response(
        &state,
        &headers,
        StatusCode::OK,
        lang,
        ("", &begin, &end),
        None,
    )
    .await
}

async fn submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SubmitForm>,
) -> Response {
    let lang = lang_of(Some(&form.lang), &headers);
    let client = client_of(&state, peer, &headers);
    let token_ok = !form.token.is_empty()
        && cookie_token(&headers).is_some_and(|c| same(c.as_bytes(), form.token.as_bytes()));
    let s = state.clone();
    let f = Arc::new(form);
    let fs = f.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&s.db)?;
        let form = web::Form {
            email: &fs.email,
            begin: &fs.begin,
            end: &fs.end,
            captcha_id: &fs.captcha_id,
            captcha: &fs.captcha,
            token_ok,
            lang,
        };
        web::submit(&mut store, &s.config, client, &form, s.zone, Utc::now())
    })
    .await;
    let verdict = match verdict {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return internal("recording a submission", e),
        Err(e) => return internal("recording a submission", e),
    };
    match verdict {
        Verdict::Accepted { to, begin, end, .. } => {
            state.wake.notify_one();
            html(
                StatusCode::OK,
                page::accepted(lang, &to.to_string(), begin, end),
            )
        }
        Verdict::Refused(why) => refused(&state, &headers, lang, &f, &why).await,
    }
}

async fn refused(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    lang: Lang,
    form: &SubmitForm,
    why: &Refused,
) -> Response {
    let status = StatusCode::from_u16(why.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let message = why.message(lang);
    let mut response = if matches!(why, Refused::Network) {
        // Outside the allowed networks: no form, no captcha.
        let body = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>403</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>\n\
             <p class=\"error\" role=\"alert\">{}</p>\n</body></html>\n",
            lang.bcp47(),
            page::escape(&message)
        );
        html(status, body)
    } else {
        form_response(
            state,
            headers,
            status,
            lang,
            (&form.email, &form.begin, &form.end),
            Some(&message),
        )
        .await
    };
    if let Some(secs) = why.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

async fn captcha_file(State(state): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    let (id, kind) = file.rsplit_once('.').unwrap_or((&file, ""));
    if !captcha::valid_id(id) {
        return text(StatusCode::NOT_FOUND, "no such captcha\n");
    }
    let Some(answer) = state.answers.get(id) else {
        return text(StatusCode::NOT_FOUND, "no such captcha (or it expired)\n");
    };
    match kind {
        "svg" => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            captcha::svg(&answer),
        )
            .into_response(),
        "wav" => match tokio::task::spawn_blocking(move || captcha::speak(&answer)).await {
            Ok(Spoken::Wav(bytes)) => {
                ([(header::CONTENT_TYPE, "audio/wav")], Body::from(bytes)).into_response()
            }
            Ok(Spoken::Missing) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the audio captcha is not available: espeak-ng is not installed on the server\n",
            ),
            Ok(Spoken::Failed(e)) => {
                log_line(&format!("time={} error=\"espeak-ng: {e}\"", now_text()));
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the audio captcha is not available right now\n",
                )
            }
            Err(e) => internal("speaking a captcha", e),
        },
        _ => text(StatusCode::NOT_FOUND, "no such captcha\n"),
    }
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        page::STYLE,
    )
        .into_response()
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let s = state.clone();
    let ok = tokio::task::spawn_blocking(move || {
        Store::open_read_only(&s.db).and_then(|store| store.schema_version())
    })
    .await;
    match ok {
        Ok(Ok(_)) => text(StatusCode::OK, "ok\n"),
        Ok(Err(e)) => {
            log_line(&format!("time={} error=\"healthz: {e}\"", now_text()));
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database cannot be read\n",
            )
        }
        Err(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot be read\n",
        ),
    }
}

// ---- the outbox ----------------------------------------------------------------------

/// Mails the due reports every [`OUTBOX_INTERVAL`] and when woken, until told to stop;
/// a batch that has begun is finished first.
async fn outbox_worker(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        // Building reports takes the cores an ingest into the same database is using:
        // while one runs (a cron ingest takes seconds), the mail waits for it, looking
        // again every minute at most.
        let waited = Instant::now();
        while waited.elapsed() < INGEST_WAIT_MAX
            && !*stop.borrow()
            && smtplog_core::ingest::ingest_running(&state.db)
        {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let s = state.clone();
        match tokio::task::spawn_blocking(move || deliver_batch(&s)).await {
            Ok(Ok(lines)) => lines.iter().for_each(|l| log_line(l)),
            Ok(Err(e)) => log_line(&format!("time={} outbox error=\"{e}\"", now_text())),
            Err(e) => log_line(&format!("time={} outbox error=\"{e}\"", now_text())),
        }
        if *stop.borrow() {
            return;
        }
        if smtplog_core::ingest::ingest_running(&state.db) {
            // The batch stopped for an ingest: wait for it to end, then go on.
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(OUTBOX_INTERVAL) => {}
            () = state.wake.notified() => {}
            _ = stop.changed() => return,
        }
    }
}

fn deliver_batch(state: &AppState) -> Result<Vec<String>, String> {
    let Some(mail) = &state.config.mail else {
        return Ok(Vec::new());
    };
    let mut store = Store::open(&state.db).map_err(|e| e.to_string())?;
    let mut deliverer =
        SmtpDeliverer::new(&state.config.smtp, &state.host).map_err(|e| e.to_string())?;
    let ctx = MailContext {
        now: Utc::now(),
        host: state.host.clone(),
    };
    // One report at a time, and none while an ingest into the same database runs (it
    // may have started since the worker looked): the rest wait for the next round.
    let mut done = Vec::new();
    while done.len() < OUTBOX_BATCH && !smtplog_core::ingest::ingest_running(&state.db) {
        let one = web::deliver_due(
            &mut store,
            &state.config.policy,
            mail,
            &mut deliverer,
            state.zone,
            &ctx,
            1,
        )
        .map_err(|e| e.to_string())?;
        if one.is_empty() {
            break;
        }
        done.extend(one);
    }
    let time = now_text();
    Ok(done
        .iter()
        .map(|(entry, mailed)| match mailed {
            Mailed::Sent { message_id } => {
                format!(
                    "time={time} outbox={} sent message_id={message_id}",
                    entry.id
                )
            }
            Mailed::Retry { error, retry_at } => format!(
                "time={time} outbox={} retry_at={} error={error:?}",
                entry.id,
                retry_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            Mailed::Dropped { refusal } => {
                format!(
                    "time={time} outbox={} dropped refusal={refusal:?}",
                    entry.id
                )
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_token_and_comparison() {
        let mut h = HeaderMap::new();
        assert_eq!(lang_of(None, &h), Lang::En);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        assert_eq!(lang_of(None, &h), Lang::En);
        assert_eq!(lang_of(Some("zh_TW"), &h), Lang::ZhTw);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-TW,zh;q=0.9"),
        );
        assert_eq!(lang_of(None, &h), Lang::ZhTw);
        assert_eq!(lang_of(Some("en"), &h), Lang::En);
        let token = "0123456789abcdef0123456789abcdef";
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; smtplog_token={token}")).unwrap(),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some(token));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("smtplog_token=short"),
        );
        assert_eq!(cookie_token(&h), None);
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
