#!/usr/bin/env python3
"""postfix-fixtures log tee: one Postfix run, the same records in two logs.

Postfix cannot log to maillog_file and to syslog at the same time: with
maillog_file set, every Postfix process formats each record itself
("Mmm dd hh:mm:ss host prog[pid]: text", see msg_logger.c) and sends it as one
datagram to the postlog socket, $queue_directory/public/$postlog_service_name,
where postlogd(8) appends it to the file.

run.sh sets postlog_service_name = postlogtee, so the records come here first.
Each datagram is
  1. passed on unchanged to the real postlogd socket (public/postlog), which
     writes maillog_file exactly as it always does. When postlogd is not
     there (before master started it, after it stopped), Postfix's own
     fallback applies: records of the commands that have it (postfix(1) with
     postfix-script, postsuper, postmulti, postlog) are appended to
     maillog_file directly, and those of every other program are lost from
     maillog_file, as they would be without the tee;
  2. sent to a private rsyslogd's socket in the form syslog(3) uses
     ("<PRI>Mmm dd hh:mm:ss prog[pid]: text"; PRI = mail facility plus the
     severity Postfix would have used: warning/error/fatal/panic/info, taken
     from the level prefix msg_logger puts in front of the text). rsyslogd
     stamps the record on arrival, as it does for every syslog(3) call, and
     writes the classic and RFC 3339 files.

stdlib only. Stops on SIGTERM after draining what is still queued.
"""

import argparse
import os
import pwd
import grp
import re
import select
import signal
import socket
import sys

RECORD = re.compile(rb"^([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d) (\S+) (\S+?\[\d+\]): (.*)$", re.S)
LOG_MAIL = 2 << 3
# programs that write maillog_file themselves when postlogd is down (MAILLOG_README)
FALLBACK_PROGRAMS = {b"postfix", b"postfix-script", b"postsuper", b"postmulti", b"postlog"}
SEVERITY = [(b"warning: ", 4), (b"error: ", 3), (b"fatal: ", 2), (b"panic: ", 2)]
LOG_INFO = 6


def syslog_form(record):
    """Turn a msg_logger record into what syslog(3) would have sent."""
    rec = record.rstrip(b"\n")
    m = RECORD.match(rec)
    if not m:
        return b"<%d>%s" % (LOG_MAIL | LOG_INFO, rec)
    stamp, _host, tag, text = m.groups()
    sev = LOG_INFO
    for prefix, level in SEVERITY:
        if text.startswith(prefix):
            sev = level
            break
    return b"<%d>%s %s: %s" % (LOG_MAIL | sev, stamp, tag, text)


def has_fallback(record):
    m = RECORD.match(record.rstrip(b"\n"))
    if not m:
        return False
    program = m.group(3).rsplit(b"[", 1)[0].rsplit(b"/", 1)[-1]
    return program in FALLBACK_PROGRAMS


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="socket to bind (public/postlogtee)")
    ap.add_argument("--postlogd", required=True, help="postlogd's socket (public/postlog)")
    ap.add_argument("--maillog", required=True, help="maillog_file, for the fallback")
    ap.add_argument("--syslog", required=True, help="the private rsyslogd's socket")
    ap.add_argument("--pidfile")
    args = ap.parse_args()

    try:
        os.unlink(args.listen)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(args.listen)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    os.chown(args.listen, pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postdrop").gr_gid)
    os.chmod(args.listen, 0o666)
    out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    counts = {"records": 0, "fallback": 0, "dropped": 0, "syslog_lost": 0}
    print("logtee.py: listening on %s" % args.listen, flush=True)

    while True:
        try:
            ready, _, _ = select.select([sock], [], [], 0.5)
        except InterruptedError:
            ready = []
        if not ready:
            if stopping:
                break
            continue
        data = sock.recv(65536)
        counts["records"] += 1
        try:
            out.sendto(data, args.postlogd)
        except OSError:
            if has_fallback(data):
                counts["fallback"] += 1
                with open(args.maillog, "ab") as f:
                    f.write(data if data.endswith(b"\n") else data + b"\n")
            else:
                counts["dropped"] += 1
                print("logtee.py: postlogd down, not in maillog_file: %r" % data[:200],
                      file=sys.stderr, flush=True)
        try:
            out.sendto(syslog_form(data), args.syslog)
        except OSError as e:
            counts["syslog_lost"] += 1
            print("logtee.py: syslog copy lost: %s" % e, file=sys.stderr, flush=True)

    sock.close()
    os.unlink(args.listen)
    print("logtee.py: stopped; %(records)d records; postlogd down for %(fallback)d written "
          "directly (fallback) and %(dropped)d lost; %(syslog_lost)d not copied to syslog"
          % counts, flush=True)


if __name__ == "__main__":
    main()
