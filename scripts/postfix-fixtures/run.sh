#!/usr/bin/env bash
# postfix-fixtures: record a real Postfix log, in three formats, with its truth.
#
# usage: sudo scripts/postfix-fixtures/run.sh OUTDIR
#
# Installs what is missing (setup.sh), writes a private Postfix instance under
# a new /tmp/postfix-fixtures.XXXXXX (configure.sh), starts a private rsyslogd,
# the log tee (logtee.py), the SMTP sink (sink.py) and Postfix, sends the
# traffic (traffic.py), waits until every retry and expiry has happened and the
# queue is empty, stops everything it started (by PID), and writes to OUTDIR:
#
#   maillog.log    Postfix's own log file (maillog_file, written by postlogd)
#   syslog.log     the same records through rsyslogd, RSYSLOG_TraditionalFileFormat
#   rfc3339.log    the same records through rsyslogd, RSYSLOG_FileFormat (RFC 3339)
#   truth.json     expected records per sender (truth.py)
#   check.txt      what check.py says about the three logs against truth.json
#   traffic.json, sink.jsonl, postconf-n.txt   raw material of the truth
#   filter.jsonl   the content filter's journal (FILTER=smtp, smtp-noxforward, proxy)
#   master-cf.txt  the instance's master.cf (postconf -Mf)
#
# Environment knobs: SEED (2026), MESSAGES (100 jobs), LIFETIME (3m),
#   DURATION (40 s over which the jobs are spread), FIXTURE_TZ (Asia/Taipei),
#   MAX_WAIT (900 s for the queue to drain), LONG_QUEUE_IDS (no),
#   SKIP_SETUP=1 (no apt/pip), NO_NETNS=1 (stay in the host network namespace),
#   KEEP_WORK=1 (keep the /tmp work directory), FILTER (none; smtp,
#   smtp-noxforward, pipe, proxy: a content filter, see README.md).
#
# Isolation: when unshare(1) works, the run re-executes itself in a private
# network + mount namespace: only a loopback interface exists, /etc/hosts and
# /etc/resolv.conf are replaced by the instance's own (bind mounts), and smtpd
# looks client names up there. Otherwise it runs in the host namespace with
# smtpd_peername_lookup = no. Either way every socket is on 127.0.0.0/8.
# FILTER=pipe needs a private mount namespace even with NO_NETNS=1: there,
# /etc/postfix is replaced by a copy whose main.cf lists the instance's config
# directory in alternate_config_directories (pfilter.sh runs sendmail as user
# nobody, and Postfix honours MAIL_CONFIG for non-root users only for the
# directories the default main.cf lists). The host's /etc/postfix is not changed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT="$(realpath -m "$1")"
export SEED="${SEED:-2026}" MESSAGES="${MESSAGES:-100}" LIFETIME="${LIFETIME:-3m}"
export DURATION="${DURATION:-40}" FIXTURE_TZ="${FIXTURE_TZ:-Asia/Taipei}"
export MAX_WAIT="${MAX_WAIT:-900}" LONG_QUEUE_IDS="${LONG_QUEUE_IDS:-no}"
export FILTER="${FILTER:-none}"
case "$FILTER" in none|smtp|smtp-noxforward|pipe|proxy) ;;
    *) echo "run.sh: FILTER must be none, smtp, smtp-noxforward, pipe or proxy" >&2; exit 2;; esac
PY="${PYTHON:-python3}"

say() { echo "[run.sh $(date +%H:%M:%S)] $*"; }

if [ -z "${PFX_INNER:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "run.sh: must run as root" >&2; exit 1; }
    [ "${SKIP_SETUP:-0}" = 1 ] || bash "$HERE/setup.sh"
    mkdir -p "$OUT"
    if [ "${NO_NETNS:-0}" != 1 ] && unshare --net --mount true 2>/dev/null; then
        say "re-running in a private network + mount namespace"
        exec unshare --net --mount --fork env PFX_INNER=netns bash "$0" "$OUT"
    fi
    say "host namespace (NO_NETNS=1 or unshare unavailable); client name lookups off"
    export PFX_INNER=host
    if [ "$FILTER" = pipe ]; then
        unshare --mount true 2>/dev/null \
            || { echo "run.sh: FILTER=pipe needs a private mount namespace (unshare --mount)" >&2; exit 1; }
        say "re-running in a private mount namespace (FILTER=pipe)"
        exec unshare --mount --fork env PFX_INNER=host PFX_MOUNTNS=1 bash "$0" "$OUT"
    fi
fi

export TZ="$FIXTURE_TZ"
WORK="$(mktemp -d /tmp/postfix-fixtures.XXXXXX)"
ETC="$WORK/etc"; LOG="$WORK/log"; SPOOL="$WORK/spool"
RSYSLOG_PID=""; TEE_PID=""; SINK_PID=""; FILTER_PID=""; MASTER_PID=""

stop_pid() {   # stop_pid PID NAME: SIGTERM, wait up to 15 s, then SIGKILL
    local pid="$1" name="$2"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 75); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; say "stopped $name ($pid)"; return 0; }
        sleep 0.2
    done
    say "$name ($pid) still running; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_postfix() {
    [ -n "$MASTER_PID" ] && kill -0 "$MASTER_PID" 2>/dev/null || { MASTER_PID=""; return 0; }
    postfix -c "$ETC" stop >/dev/null 2>&1 || true
    for _ in $(seq 100); do
        kill -0 "$MASTER_PID" 2>/dev/null || break
        sleep 0.2
    done
    # master is not our child (postfix start daemonizes): signal it by PID if needed
    if kill -0 "$MASTER_PID" 2>/dev/null; then
        say "postfix master ($MASTER_PID) still running; SIGKILL"
        kill -KILL "$MASTER_PID" 2>/dev/null || true
    else
        say "stopped postfix master ($MASTER_PID)"
    fi
    MASTER_PID=""
}

cleanup() {
    stop_postfix
    sleep 1                                   # let the last records reach the tee
    stop_pid "$TEE_PID" logtee.py; TEE_PID=""
    stop_pid "$RSYSLOG_PID" rsyslogd; RSYSLOG_PID=""
    stop_pid "$SINK_PID" sink.py; SINK_PID=""
    stop_pid "$FILTER_PID" filter.py; FILTER_PID=""
    if [ "${KEEP_WORK:-0}" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {   # wait_for TEST-COMMAND... : up to 10 s
    for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
    return 1
}

queued() {
    find "$SPOOL/maildrop" "$SPOOL/incoming" "$SPOOL/active" "$SPOOL/deferred" "$SPOOL/hold" \
        -type f 2>/dev/null | wc -l
}

# ------------------------------------------------------------ configure
if [ "$PFX_INNER" = netns ]; then
    ip link set lo up
    export PEERNAME_LOOKUP=yes
else
    export PEERNAME_LOOKUP=no
fi
bash "$HERE/configure.sh" "$WORK"
if [ "$PFX_INNER" = netns ]; then
    mount --bind "$ETC/hosts" /etc/hosts
    mount --bind "$ETC/resolv.conf" /etc/resolv.conf
fi
if [ "$FILTER" = pipe ]; then
    # private mount namespace (netns, or PFX_MOUNTNS=1): a copy of /etc/postfix
    # whose main.cf lets non-root sendmail/postdrop use $ETC
    cp -a /etc/postfix "$WORK/default-etc"
    acd=""
    [ -f /etc/postfix/main.cf ] && acd="$(postconf -c /etc/postfix -h alternate_config_directories)"
    touch "$WORK/default-etc/main.cf"
    postconf -c "$WORK/default-etc" -e "alternate_config_directories = ${acd:+$acd, }$ETC"
    mount --bind "$WORK/default-etc" /etc/postfix
    say "/etc/postfix (in this mount namespace only): $(postconf -h alternate_config_directories)"
fi
postfix -c "$ETC" check            # creates the queue directories

# ------------------------------------------------------------ start
mkdir -p "$WORK/rsyslog"
cat > "$WORK/rsyslog/rsyslog.conf" <<EOF
# private rsyslogd: no /dev/log, no system files; mail facility to two formats
global(workDirectory="$WORK/rsyslog" localHostName="relay1")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$LOG/syslog.sock")
mail.*  action(type="omfile" file="$LOG/syslog.log" template="RSYSLOG_TraditionalFileFormat")
mail.*  action(type="omfile" file="$LOG/rfc3339.log" template="RSYSLOG_FileFormat")
EOF
rsyslogd -n -f "$WORK/rsyslog/rsyslog.conf" -i "$WORK/rsyslog/rsyslogd.pid" \
    > "$LOG/rsyslogd.out" 2>&1 &
RSYSLOG_PID=$!
wait_for test -S "$LOG/syslog.sock" || { say "rsyslogd did not start"; cat "$LOG/rsyslogd.out"; exit 1; }

"$PY" "$HERE/logtee.py" --listen "$SPOOL/public/postlogtee" --postlogd "$SPOOL/public/postlog" \
    --maillog "$LOG/maillog.log" --syslog "$LOG/syslog.sock" > "$LOG/logtee.out" 2>&1 &
TEE_PID=$!
wait_for test -S "$SPOOL/public/postlogtee" || { say "logtee.py did not start"; exit 1; }

"$PY" "$HERE/sink.py" --listen 127.0.0.1:2525 --journal "$LOG/sink.jsonl" > "$LOG/sink.out" 2>&1 &
SINK_PID=$!
wait_for grep -q listening "$LOG/sink.out" || { say "sink.py did not start"; cat "$LOG/sink.out"; exit 1; }

case "$FILTER" in
smtp|smtp-noxforward|proxy)
    xf=""; [ "$FILTER" = smtp-noxforward ] && xf=--no-xforward
    "$PY" "$HERE/filter.py" --listen 127.0.0.1:10024 --upstream 127.0.0.1:10025 $xf \
        --journal "$LOG/filter.jsonl" > "$LOG/filter.out" 2>&1 &
    FILTER_PID=$!
    wait_for grep -q listening "$LOG/filter.out" || { say "filter.py did not start"; cat "$LOG/filter.out"; exit 1; }
    ;;
esac
: >> "$LOG/filter.jsonl"

postfix -c "$ETC" start
MASTER_PID="$(tr -d ' \n' < "$SPOOL/pid/master.pid")"
say "postfix $(postconf -c "$ETC" -h mail_version) master $MASTER_PID, sink $SINK_PID, logtee $TEE_PID, rsyslogd $RSYSLOG_PID, filter $FILTER ${FILTER_PID}"

# ------------------------------------------------------------ traffic
say "traffic: SEED=$SEED MESSAGES=$MESSAGES DURATION=${DURATION}s LIFETIME=$LIFETIME TZ=$TZ"
traffic_rc=0
"$PY" "$HERE/traffic.py" --seed "$SEED" --messages "$MESSAGES" --duration "$DURATION" \
    --postfix-config "$ETC" --journal "$LOG/traffic.json" || traffic_rc=$?

# ------------------------------------------------------------ drain
t0=$(date +%s); empty=0
while :; do
    n=$(queued); waited=$(( $(date +%s) - t0 ))
    if [ "$n" -eq 0 ]; then
        empty=$((empty + 1))
        [ "$empty" -ge 2 ] && break
    else
        empty=0
    fi
    if [ "$waited" -ge "$MAX_WAIT" ]; then say "gave up after ${waited}s: $n queue file(s) left"; break; fi
    [ $((waited % 30)) -lt 10 ] && say "$n message(s) queued after ${waited}s"
    sleep 10
done
left=$(queued)
sleep 3
stop_postfix
sleep 1
stop_pid "$TEE_PID" logtee.py; TEE_PID=""
stop_pid "$RSYSLOG_PID" rsyslogd; RSYSLOG_PID=""
stop_pid "$SINK_PID" sink.py; SINK_PID=""
stop_pid "$FILTER_PID" filter.py; FILTER_PID=""
cat "$LOG/logtee.out"

# ------------------------------------------------------------ outputs
sasl_names=no
if grep -a -q 'authentication failed: %s, sasl_username=' "$(postconf -c "$ETC" -h daemon_directory)/smtpd"; then
    sasl_names=yes
fi
truth_rc=0
"$PY" "$HERE/truth.py" --traffic "$LOG/traffic.json" --sink "$LOG/sink.jsonl" \
    --out "$OUT/truth.json" --sasl-failure-names-user "$sasl_names" \
    --postfix-version "$(postconf -c "$ETC" -h mail_version)" --timezone "$TZ" --lifetime "$LIFETIME" \
    --filter "$FILTER" --filter-journal "$LOG/filter.jsonl" \
    || truth_rc=$?
cp "$LOG/maillog.log" "$LOG/syslog.log" "$LOG/rfc3339.log" "$LOG/traffic.json" \
    "$LOG/sink.jsonl" "$LOG/postconf-n.txt" "$LOG/master-cf.txt" "$OUT/"
[ "$FILTER" = none ] || cp "$LOG/filter.jsonl" "$OUT/"
check_rc=0
"$PY" "$HERE/check.py" "$OUT" > "$OUT/check.txt" || check_rc=$?
tail -n 25 "$OUT/check.txt"
wc -lc "$OUT"/*.log
say "queue files left: $left; traffic rc $traffic_rc, truth rc $truth_rc, check rc $check_rc"
[ "$left" -eq 0 ] && [ "$traffic_rc" -eq 0 ] && [ "$truth_rc" -eq 0 ] && [ "$check_rc" -eq 0 ]
