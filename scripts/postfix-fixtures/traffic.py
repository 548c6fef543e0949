#!/usr/bin/env python3
"""postfix-fixtures traffic: submit a seeded, reproducible mix of mail to the
fixture Postfix on 127.0.0.1 and record, job by job, what was planned and what
Postfix answered (--journal, one JSON document). truth.py turns that journal
and the sink's journal into truth.json.

Job kinds (weights in KINDS):
  submission   port 587, STARTTLS, AUTH PLAIN as the sender (login = address)
  relay        port 25 without AUTH from a host in mynetworks (127.0.0.2/.3/.5);
               one of them sends as "Carol@Example.EDU" (mixed case)
  pickup       local submission with sendmail(1) -f SENDER (needs root)
  mismatch     port 587, AUTH as bob, MAIL FROM carol: every RCPT is refused
               by reject_sender_login_mismatch (the reject names carol)
  outside      port 25 from 127.0.1.9 (not in mynetworks), no AUTH: every RCPT
               is refused with "Relay access denied"
  blocked      port 25, MAIL FROM mallory@example.edu (check_sender_access REJECT)
  authfail     port 587, one AUTH PLAIN with a wrong password (or for a user that
               does not exist); half of them then log in correctly and send
Any relay/submission message may also carry a recipient that
check_recipient_access refuses (blocked.example.net, former-staff@example.com).

Recipients are drawn by local part, which decides what the sink answers
(see sink.py): ok-NAME / NAME (sent), bad-NAME / nouser-NAME (bounced),
tmp-NAME-jNNN (deferred until it expires), slowN-NAME-jNNN / flakyN-NAME-jNNN
(deferred N times, then sent). Recipients whose fate depends on attempt counts
carry the job number, so each is unique in the run.

Only 127.0.0.1 is contacted; source addresses are taken from 127.0.0.0/8.
"""

import argparse
import base64
import datetime
import email.utils
import json
import random
import re
import smtplib
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

SERVER = "127.0.0.1"

# Keep in sync with configure.sh.
SASL_USERS = {
    "alice@dept.example.edu": "alice-secret",
    "bob@dept.example.edu": "bob-secret",
    "carol@example.edu": "carol-secret",
}
UNKNOWN_LOGIN = "eve@example.edu"          # not in sasldb
BLOCKED_SENDER = "mallory@example.edu"      # sender_access REJECT
REJECTED_RCPTS = ["former-staff@example.com"]
REJECTED_DOMAIN = "blocked.example.net"     # recipient_access REJECT

# (envelope sender as typed, client address, HELO) for port-25 relaying from mynetworks
RELAY_CLIENTS = [
    ("dave@example.edu", "127.0.0.3", "www.example.edu", 4),
    ("erin@dept.example.edu", "127.0.0.2", "ws02.dept.example.edu", 2),
    ("alice@dept.example.edu", "127.0.0.5", "pc17.dept.example.edu", 2),
    ("Carol@Example.EDU", "127.0.0.2", "ws02.dept.example.edu", 2),
]
PICKUP_SENDERS = ["erin@dept.example.edu", "dave@example.edu"]
SUBMIT_IPS = ["127.0.0.1", "127.0.0.2", "127.0.0.5"]
OUTSIDE_IP, OUTSIDE_HELO = "127.0.1.9", "home-router.isp.example"

KINDS = [("submission", 40), ("relay", 26), ("pickup", 12), ("mismatch", 4),
         ("outside", 4), ("blocked", 5), ("authfail", 7)]
# local-part rule -> weight
RULES = [("ok", 48), ("name", 10), ("tmp", 8), ("bad", 7), ("nouser", 3),
         ("slow", 8), ("flaky", 5)]
NAMES = ["kim", "lee", "wang", "chen", "lin", "ito", "garcia", "novak", "smith",
         "okafor", "ng", "silva", "meyer", "tan", "hall"]
RCPT_DOMAINS = ["example.com", "example.net", "mail.example.org", "dept.example.edu",
                "example.edu"]


def plan_recipient(rng, job):
    """One recipient: (address, rule, deferrals_expected, final_expected)."""
    names, weights = zip(*RULES)
    rule = rng.choices(names, weights)[0]
    name = rng.choice(NAMES)
    domain = rng.choice(RCPT_DOMAINS)
    if rule == "ok":
        return "ok-%s@%s" % (name, domain), rule, 0, "sent"
    if rule == "name":
        return "%s.%s@%s" % (name, rng.choice("abcdefgh"), domain), rule, 0, "sent"
    if rule in ("bad", "nouser"):
        return "%s-%s@%s" % (rule, name, domain), rule, 0, "bounced"
    if rule == "tmp":
        return "tmp-%s-j%03d@%s" % (name, job, domain), rule, None, "expired"
    n = rng.choice([1, 1, 2])
    return "%s%d-%s-j%03d@%s" % (rule, n, name, job, domain), rule, n, "sent"


def plan_rejected(rng):
    if rng.random() < 0.5:
        return rng.choice(REJECTED_RCPTS)
    return "%s@%s" % (rng.choice(NAMES), REJECTED_DOMAIN)


class Traffic:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.tls = ssl.create_default_context()
        self.tls.check_hostname = False
        self.tls.verify_mode = ssl.CERT_NONE
        self.lock = threading.Lock()

    # ------------------------------------------------------------ planning
    def recipients(self, job, lo, hi, reject_chance):
        out = []
        for _ in range(self.rng.randint(lo, hi)):
            addr, rule, n, final = plan_recipient(self.rng, job)
            if addr.lower() not in {r["address"].lower() for r in out}:
                out.append({"address": addr, "rule": rule, "deferrals": n, "final": final,
                            "smtpd": "accept"})
        if reject_chance and self.rng.random() < reject_chance:
            addr = plan_rejected(self.rng)
            out.insert(self.rng.randrange(len(out) + 1),
                       {"address": addr, "rule": "policy", "deferrals": 0, "final": None,
                        "smtpd": "reject"})
        return out

    def plan(self):
        jobs = []
        kinds, weights = zip(*KINDS)
        for i in range(1, self.args.messages + 1):
            kind = self.rng.choices(kinds, weights)[0]
            j = {"job": i, "kind": kind, "port": 25, "client_ip": None, "helo": None,
                 "tls": False, "logins": [], "mail_from": None, "pickup": False}
            if kind == "submission":
                sender = self.rng.choice(sorted(SASL_USERS))
                ip = self.rng.choice(SUBMIT_IPS)
                j.update(port=587, tls=True, client_ip=ip, helo="[%s]" % ip, mail_from=sender,
                         logins=[(sender, SASL_USERS[sender])],
                         rcpts=self.recipients(i, 1, 3, 0.12))
            elif kind == "relay":
                senders, ws = zip(*[(c[:3], c[3]) for c in RELAY_CLIENTS])
                sender, ip, helo = self.rng.choices(senders, ws)[0]
                j.update(client_ip=ip, helo=helo, mail_from=sender,
                         rcpts=self.recipients(i, 1, 4, 0.12))
            elif kind == "pickup":
                j.update(pickup=True, mail_from=self.rng.choice(PICKUP_SENDERS),
                         rcpts=self.recipients(i, 1, 2, 0))
            elif kind == "mismatch":
                j.update(port=587, tls=True, client_ip="127.0.0.1", helo="[127.0.0.1]",
                         logins=[("bob@dept.example.edu", SASL_USERS["bob@dept.example.edu"])],
                         mail_from="carol@example.edu",
                         rcpts=self.recipients(i, 1, 2, 0))
                for r in j["rcpts"]:
                    r.update(smtpd="reject", final=None, deferrals=0)
            elif kind == "outside":
                j.update(client_ip=OUTSIDE_IP, helo=OUTSIDE_HELO,
                         mail_from=self.rng.choice(["alice@dept.example.edu", "carol@example.edu"]),
                         rcpts=self.recipients(i, 1, 2, 0))
                for r in j["rcpts"]:
                    r.update(smtpd="reject", final=None, deferrals=0)
            elif kind == "blocked":
                j.update(client_ip="127.0.0.2", helo="ws02.dept.example.edu",
                         mail_from=BLOCKED_SENDER, rcpts=self.recipients(i, 1, 2, 0))
                for r in j["rcpts"]:
                    r.update(smtpd="reject", final=None, deferrals=0)
            else:  # authfail
                login = self.rng.choice(sorted(SASL_USERS) + [UNKNOWN_LOGIN])
                logins = [(login, "wrong-" + str(self.rng.randint(100, 999)))]
                rcpts = []
                if login in SASL_USERS and self.rng.random() < 0.5:
                    logins.append((login, SASL_USERS[login]))
                    rcpts = self.recipients(i, 1, 2, 0)
                ip = self.rng.choice(SUBMIT_IPS)
                j.update(port=587, tls=True, client_ip=ip, helo="[%s]" % ip, logins=logins,
                         mail_from=login if rcpts else None, rcpts=rcpts)
            j["message_id"] = ("<fx%d.j%03d@%s>" % (self.args.seed, i, "traffic.example.edu")
                               if j.get("rcpts") else None)
            j["subject"] = "fixture job %d (%s)" % (i, kind)
            jobs.append(j)
        return jobs

    # ------------------------------------------------------------ running
    def message(self, j):
        to = ", ".join(r["address"] for r in j["rcpts"] if r["smtpd"] == "accept") or "undisclosed"
        return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                "Fixture message %d of seed %d.\r\n" % (
                    j["mail_from"], to, j["subject"], email.utils.formatdate(localtime=True),
                    j["message_id"], j["job"], self.args.seed))

    def run_smtp(self, j):
        s = smtplib.SMTP(SERVER, j["port"], timeout=60, source_address=(j["client_ip"], 0))
        try:
            s.ehlo(j["helo"])
            if j["tls"]:
                s.starttls(context=self.tls)
                s.ehlo(j["helo"])
            authed = None
            j["auth_results"] = []
            for login, password in j["logins"]:
                token = base64.b64encode(("\0%s\0%s" % (login, password)).encode()).decode()
                code, resp = s.docmd("AUTH", "PLAIN " + token)
                j["auth_results"].append({"login": login, "code": code,
                                          "reply": resp.decode(errors="replace")})
                if code == 235:
                    authed = login
                    break
            j["authenticated_as"] = authed
            if not j["rcpts"]:
                return
            code, resp = s.mail(j["mail_from"])
            j["mail_reply"] = "%d %s" % (code, resp.decode(errors="replace"))
            accepted = 0
            for r in j["rcpts"]:
                code, resp = s.rcpt(r["address"])
                r["smtpd_reply"] = "%d %s" % (code, resp.decode(errors="replace"))
                r["smtpd_code"] = code
                accepted += code == 250
            if accepted:
                code, resp = s.data(self.message(j).encode())
                j["data_reply"] = "%d %s" % (code, resp.decode(errors="replace"))
                m = re.search(r"queued as (\w+)", j["data_reply"])
                j["queue_id"] = m.group(1) if m and code == 250 else None
                j["queued"] = code == 250
            else:
                s.rset()
                j["queued"] = False
        finally:
            try:
                s.quit()
            except smtplib.SMTPException:
                s.close()

    def run_pickup(self, j):
        cmd = ["sendmail", "-C", self.args.postfix_config, "-i", "-f", j["mail_from"], "--"]
        cmd += [r["address"] for r in j["rcpts"]]
        p = subprocess.run(cmd, input=self.message(j).encode(), capture_output=True, timeout=60)
        j["sendmail_rc"] = p.returncode
        j["queued"] = p.returncode == 0
        j["queue_id"] = None
        for r in j["rcpts"]:
            r["smtpd_code"] = None

    def run_job(self, j, t0):
        delay = t0 + (j["job"] - 1) * self.args.duration / max(1, self.args.messages) - time.time()
        if delay > 0:
            time.sleep(delay)
        j["time"] = datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")
        try:
            if j["pickup"]:
                self.run_pickup(j)
            else:
                self.run_smtp(j)
        except Exception as e:   # recorded; truth.py reports it as a discrepancy
            j["error"] = "%s: %s" % (type(e).__name__, e)
            print("traffic.py: job %d (%s): %s" % (j["job"], j["kind"], j["error"]),
                  file=sys.stderr, flush=True)

    def run(self):
        jobs = self.plan()
        started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        t0 = time.time()
        with ThreadPoolExecutor(self.args.workers) as pool:
            for f in [pool.submit(self.run_job, j, t0) for j in jobs]:
                f.result()
        finished = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        for j in jobs:
            j["logins"] = [login for login, _ in j["logins"]]   # no passwords in the journal
        return {"seed": self.args.seed, "messages": self.args.messages,
                "started": started, "finished": finished, "jobs": jobs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--messages", type=int, default=100, help="number of jobs")
    ap.add_argument("--duration", type=float, default=40.0, help="spread jobs over N seconds")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--postfix-config", required=True, help="config dir, for sendmail -C")
    ap.add_argument("--journal", required=True, help="write the traffic journal (JSON) here")
    args = ap.parse_args()
    out = Traffic(args).run()
    with open(args.journal, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    errors = sum(1 for j in out["jobs"] if j.get("error"))
    queued = sum(1 for j in out["jobs"] if j.get("queued"))
    print("traffic.py: %d jobs, %d messages queued, %d errors" % (len(out["jobs"]), queued, errors))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
