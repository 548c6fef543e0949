//! The configuration through the CLI: `smtplog config check` on the documented example
//! (valid, password masked) and on bad files (exit 2, the key named); `--db` and `--tz`
//! given as flags win over the file, which wins over the defaults.

use std::process::{Command, Output};

use crate::ingest::smtplog_bin;

fn smtplog(args: &[&str]) -> Output {
    Command::new(smtplog_bin())
        .args(args)
        .output()
        .expect("run smtplog")
}

fn example() -> String {
    format!("{}/../examples/smtplog.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_example_configuration_is_valid_and_its_password_is_masked() {
    let out = smtplog(&["--config", &example(), "config", "check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("password = \"********\""), "{text}");
    assert!(!text.contains("change-me"), "{text}");
    for key in [
        "max_range_days = 31",
        "retention_days = 31",
        "notify_sum = 250",
        "notify_bounced = 10",
        "notify_anomalies = true",
        "[anomalies]",
        "min_score = 2",
        "recent_client_days = 7",
        "tls = \"starttls\"",
        "allowed_networks = [\"192.0.2.0/24\", \"2001:db8::/32\"]",
        "filter_transports = [\"pfilter\"]",
    ] {
        assert!(text.contains(key), "{key} in {text}");
    }
    // The positional PATH works without --config.
    let out = smtplog(&["config", "check", &example()]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_configurations_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        ("[smtp]\nport = 70000\n", "smtp.port"),
        ("[smtp]\ntls = \"ssl\"\n", "smtp.tls"),
        ("timezone = \"Asia/Taipe\"\n", "timezone"),
        ("[policy]\nnotify_summ = 3\n", "notify_summ"),
        (
            "[web]\nallowed_networks = [\"140.114.0.0/40\"]\n",
            "web.allowed_networks",
        ),
        ("[web]\nlisten = \"localhost\"\n", "web.listen"),
        ("[smtp]\nca_file = \"ca.pem\"\n", "smtp.ca_file"),
        (
            "[ingest]\nfilter_transports = [\"p filter\"]\n",
            "ingest.filter_transports",
        ),
        (
            "[mail]\nfrom = \"a@b.edu\\r\\nBcc: c@d.edu\"\n",
            "mail.from",
        ),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = smtplog(&["config", "check", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {err}");
        assert!(err.contains(key), "{text:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn flags_win_over_the_configuration_which_wins_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("smtplog.toml");
    std::fs::write(
        &config,
        "db = \"from-config.db\"\ntimezone = \"Mars/Base\"\n[policy]\nallowed_domains = [\"nthu.edu.tw\"]\n",
    )
    .unwrap();
    // An invalid zone in the file is an error naming `timezone`...
    let out = smtplog(&["--config", config.to_str().unwrap(), "notify", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timezone"));
    std::fs::write(
        &config,
        "db = \"from-config.db\"\ntimezone = \"Asia/Taipei\"\n[policy]\nallowed_domains = [\"nthu.edu.tw\"]\n",
    )
    .unwrap();
    // The file's db, relative to the file's folder.
    let out = smtplog(&["--config", config.to_str().unwrap(), "notify", "--dry-run"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&dir.path().join("from-config.db").display().to_string()),
        "{err}"
    );
    // --db wins.
    let out = smtplog(&[
        "--config",
        config.to_str().unwrap(),
        "--db",
        "/nonexistent/flag.db",
        "notify",
        "--dry-run",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/flag.db"), "{err}");
    // --tz wins too: a bad zone on the command line is reported, the file's good one is not used.
    let out = smtplog(&[
        "--config",
        config.to_str().unwrap(),
        "--tz",
        "Nowhere/Atlantis",
        "notify",
        "--dry-run",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Nowhere/Atlantis"), "{err}");
}

#[test]
fn ingest_takes_the_filter_transports_of_the_configuration() {
    // A delivery to the named pipe filter is a hop: no record, although no copy came
    // back (the filter discarded the message).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    std::fs::write(
        &log,
        "\
Mar  1 14:19:53 relay1 postfix/smtpd[3593]: 98A249C02D1: client=ws02.example.edu[192.0.2.2]
Mar  1 14:19:53 relay1 postfix/cleanup[3596]: 98A249C02D1: message-id=<p1@example.edu>
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: from=<bob@example.edu>, size=2059, nrcpt=1 (queue active)
Mar  1 14:19:53 relay1 postfix/pipe[3598]: 98A249C02D1: to=<ok3@example.org>, relay=scanner, delay=0.04, delays=0.01/0.01/0/0.02, dsn=2.0.0, status=sent (delivered via scanner service)
Mar  1 14:19:53 relay1 postfix/qmgr[3537]: 98A249C02D1: removed
",
    )
    .unwrap();
    let sent = |name: &str| {
        let path = dir.path().join("smtplog.toml");
        std::fs::write(
            &path,
            format!("[ingest]\nfilter_transports = [\"{name}\"]\n"),
        )
        .unwrap();
        let db = dir.path().join(format!("{name}.db"));
        let out = smtplog(&[
            "--config",
            path.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--tz",
            "UTC",
            "ingest",
            "--json",
            "--year",
            "2024",
            log.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        summary["records"]["sent"].as_u64().unwrap()
    };
    assert_eq!(sent("scanner"), 0);
    assert_eq!(sent("pfilter"), 1);
}
