#!/usr/bin/env python3
"""Mail yesterday's daily warnings, for cron (what `smtplog notify` does, from Python).

Every sender of an allowed domain whose day reached the configuration's thresholds
(policy.notify_sum records, policy.notify_bounced bounces) gets their report of the day,
once: running this twice mails nobody twice.

    python3 mail_yesterdays_warnings.py --config /etc/smtplog.toml [--day YYYY-MM-DD] [--dry-run]

crontab:  15 0 * * *  python3 /opt/smtplog/mail_yesterdays_warnings.py --config /etc/smtplog.toml

Exit status: 0 done, 1 refused (a day outside the retention window, no allowed domains),
2 an error (some warning not delivered: the next run retries it).
"""

import argparse
import sys

import smtplog


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="the smtplog configuration (TOML)")
    ap.add_argument("--db", help="the database (default: the configuration's db, else smtplog.db)")
    ap.add_argument("--day", help="the day to check, YYYY-MM-DD (default: yesterday)")
    ap.add_argument("--dry-run", action="store_true", help="list who would be warned; send nothing")
    args = ap.parse_args()

    config = smtplog.Config.load(args.config)
    db = args.db or config.db or "smtplog.db"
    try:
        with smtplog.Store(db, config=config) as store:
            notices = store.notify(args.day, dry_run=args.dry_run)
    except smtplog.PolicyError as e:
        print(f"refused: {e}", file=sys.stderr)
        return 1
    except smtplog.MailError as e:
        for n in getattr(e, "notices", []):
            print(f"{n['outcome']:13} {n['email']}  sum {n['sum']}, bounced {n['bounced']}")
        print(f"error: {e}", file=sys.stderr)
        return 2
    except smtplog.Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for n in notices:
        print(f"{n['outcome']:13} {n['email']}  sum {n['sum']}, bounced {n['bounced']}  "
              f"({'; '.join(n['reasons'])})")
    sent = sum(n["outcome"] == "sent" for n in notices)
    print(f"{len(notices)} over the thresholds, {sent} warned now")
    return 0


if __name__ == "__main__":
    sys.exit(main())
