#!/usr/bin/env python3
"""postfix-fixtures check: does a recorded log agree with its truth.json?

usage: check.py OUTDIR        (reads OUTDIR/truth.json and every one of
                               OUTDIR/maillog.log, syslog.log, rfc3339.log)

A deliberately small reader, independent of smtplog and of truth.py: a few
regular expressions over the lines, queue IDs followed from qmgr "from=" to
"removed". For each log it
  * counts records per sender (lower-cased) the way PRODUCT.md's record table
    defines them: sent / deferred / bounced delivery lines, expired = recipients
    still deferred when qmgr logs status=expired, auth_rcv = first qmgr from=
    of a queue ID whose smtpd client= line had sasl_username=, auth_blk =
    "reject:" lines by from=, plus SASL failure warnings by sasl_username=;
    mail from <> is nobody's;
  * compares that table with truth.json "senders";
  * checks the final status (sent / bounced / expired) of every recipient
    listed in truth.json "recipients", found through the Message-ID;
  * checks that every queue ID that was opened was also removed;
and then compares the three logs with each other (same records, in the same
order, apart from the time stamps).

Exit status 0 when everything agrees, 1 otherwise. stdlib only.
"""

import collections
import json
import os
import re
import sys

LINE = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"
    r" (?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$")
QID = re.compile(r"^([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): (.*)$")
DELIVERY = re.compile(r"^to=<([^>]*)>,.*? status=(sent|deferred|bounced) ")
QMGR_FROM = re.compile(r"^from=<([^>]*)>, size=")
EXPIRED = re.compile(r"^from=<([^>]*)>, status=expired")
CLIENT = re.compile(r"^client=[^,]*(?:, sasl_method=[^,]*)?(?:, sasl_username=(.*?))?(?:, |$)")
REJECT = re.compile(r"^(?:NOQUEUE|\w+): (?:reject|milter-reject): .*?; from=<([^>]*)>")
SASL_FAIL = re.compile(r"SASL \S+ authentication failed: .*, sasl_username=(\S+)$")
STATUSES = ["sent", "deferred", "bounced", "expired", "auth_rcv", "auth_blk"]
LOGS = ["maillog.log", "syslog.log", "rfc3339.log"]


def read_log(path):
    counts = collections.defaultdict(collections.Counter)
    live = {}            # qid -> state of the message now using it
    done = []            # finished messages
    by_msgid = collections.defaultdict(list)
    records = []         # (prog, msg) for comparing logs
    unparsed = 0
    stats = collections.Counter()

    def new(qid):
        live[qid] = {"qid": qid, "sender": None, "sasl": None, "msgid": None,
                     "rcpt": {}, "auth_counted": False}
        return live[qid]

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                unparsed += 1
                continue
            prog, msg = m.group("prog"), m.group("msg")
            records.append((prog, m.group("pid"), msg))
            if not prog.startswith("postfix"):
                continue
            stats["postfix lines"] += 1
            r = REJECT.match(msg)
            if r:
                stats["reject lines"] += 1
                if r.group(1):
                    counts[r.group(1).lower()]["auth_blk"] += 1
                continue
            s = SASL_FAIL.search(msg)
            if s:
                stats["SASL failure lines naming a user"] += 1
                counts[s.group(1).lower()]["auth_blk"] += 1
                continue
            q = QID.match(msg)
            if not q:
                continue
            qid, rest = q.groups()
            daemon = prog.rsplit("/", 1)[-1]
            if daemon == "smtpd" and rest.startswith("client="):
                st = new(qid)
                c = CLIENT.match(rest)
                st["sasl"] = c.group(1) if c else None
            elif daemon == "pickup" and rest.startswith("uid="):
                new(qid)
            elif daemon == "cleanup" and rest.startswith("message-id="):
                st = live.get(qid) or new(qid)   # bounce notices start at cleanup
                st["msgid"] = rest[len("message-id="):].strip()
                by_msgid[st["msgid"]].append(st)
            elif daemon == "qmgr" and QMGR_FROM.match(rest):
                st = live.get(qid) or new(qid)
                sender = QMGR_FROM.match(rest).group(1).lower()
                if st["sender"] is None:
                    st["sender"] = sender
                if sender and st["sasl"] and not st["auth_counted"]:
                    st["auth_counted"] = True
                    counts[sender]["auth_rcv"] += 1
            elif daemon == "qmgr" and EXPIRED.match(rest):
                st = live.get(qid)
                if st and st["sender"]:
                    for rcpt, status in st["rcpt"].items():
                        if status == "deferred":
                            st["rcpt"][rcpt] = "expired"
                            counts[st["sender"]]["expired"] += 1
            elif daemon == "qmgr" and rest == "removed":
                st = live.pop(qid, None)
                if st:
                    done.append(st)
            else:
                d = DELIVERY.match(rest)
                if d:
                    st = live.get(qid)
                    if st is None:
                        stats["delivery lines of unknown queue IDs"] += 1
                        continue
                    rcpt, status = d.group(1).lower(), d.group(2)
                    st["rcpt"][rcpt] = status
                    if st["sender"]:
                        counts[st["sender"]][status] += 1
    return {"counts": counts, "live": live, "done": done, "by_msgid": by_msgid,
            "records": records, "unparsed": unparsed, "stats": stats}


def check_log(path, truth):
    problems = []
    log = read_log(path)
    out = ["== %s: %d lines (%d unparsed), %d postfix lines, %d messages followed to 'removed'" % (
        os.path.basename(path), len(log["records"]) + log["unparsed"], log["unparsed"],
        log["stats"]["postfix lines"], len(log["done"]))]
    for k, v in sorted(log["stats"].items()):
        if k != "postfix lines":
            out.append("   %s: %d" % (k, v))
    if log["live"]:
        problems.append("%d queue IDs never removed: %s" % (len(log["live"]), " ".join(sorted(log["live"]))))

    # per-sender table
    senders = sorted(set(truth["senders"]) | set(log["counts"]))
    out.append("   %-26s %s" % ("sender", " ".join("%13s" % s for s in STATUSES)))
    for s in senders:
        want = truth["senders"].get(s, {})
        got = log["counts"].get(s, collections.Counter())
        cells = []
        for st in STATUSES:
            w, g = want.get(st, 0), got.get(st, 0)
            cells.append("%13s" % (str(g) if g == w else "%d!=%d" % (g, w)))
            if g != w:
                problems.append("%s %s: log %d, truth %d" % (s, st, g, w))
        out.append("   %-26s %s" % (s, " ".join(cells)))

    # every recipient's final status
    ok = 0
    for r in truth["recipients"]:
        finals = [st["rcpt"].get(r["recipient"]) for st in log["by_msgid"].get(r["message_id"], [])
                  if st["sender"] == r["sender"]]
        finals = [x for x in finals if x]
        if finals == [r["final"]]:
            ok += 1
        else:
            problems.append("%s -> %s (%s): final status in log %s, truth %s" % (
                r["sender"], r["recipient"], r["message_id"], finals or "none", r["final"]))
    out.append("   recipients whose final status matches the truth: %d of %d" % (ok, len(truth["recipients"])))
    return log, out, problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    truth = json.load(open(os.path.join(outdir, "truth.json")))
    failed = False
    logs = {}
    if truth.get("discrepancies"):
        failed = True
        print("truth.json lists %d discrepancies between the plan and the sink" % len(truth["discrepancies"]))
    for name in LOGS:
        path = os.path.join(outdir, name)
        if not os.path.exists(path):
            print("== %s: absent" % name)
            continue
        log, out, problems = check_log(path, truth)
        logs[name] = log
        print("\n".join(out))
        for p in problems[:40]:
            print("   MISMATCH " + p)
        print("   %s: %s" % (name, "PASS" if not problems else "FAIL (%d problems)" % len(problems)))
        failed |= bool(problems)

    # the logs should hold the same records in the same order
    names = list(logs)
    for other in names[1:]:
        a, b = logs[names[0]]["records"], logs[other]["records"]
        if a == b:
            print("== %s and %s: the same %d records in the same order" % (names[0], other, len(a)))
            continue
        ca, cb = collections.Counter(a), collections.Counter(b)
        only_a, only_b = ca - cb, cb - ca
        print("== %s and %s: %d vs %d records; %d only in %s, %d only in %s%s" % (
            names[0], other, len(a), len(b), sum(only_a.values()), names[0],
            sum(only_b.values()), other,
            "" if only_a or only_b else " (same records, different order)"))
        for rec in list(only_a)[:5]:
            print("   only in %s: %s[%s]: %s" % ((names[0],) + rec))
        for rec in list(only_b)[:5]:
            print("   only in %s: %s[%s]: %s" % ((other,) + rec))
        # start/stop lines of postfix-script/master may differ (postlogd is not
        # running yet / any more); anything else is a failure
        rest = [rec for rec in list(only_a) + list(only_b)
                if not rec[0].endswith(("/postfix-script", "/master", "/postlogd"))]
        if rest:
            failed = True
    print("RESULT: %s" % ("FAIL" if failed else "PASS"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
