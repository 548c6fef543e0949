#!/usr/bin/env bash
# postfix-fixtures: write a self-contained Postfix instance under $WORK.
#
# usage: configure.sh WORK
#
#   WORK/etc     config_directory: main.cf, master.cf, hash maps, sasldb, TLS key
#   WORK/spool   queue_directory
#   WORK/data    data_directory
#   WORK/log     maillog_file (written by postlogd), sink and traffic journals
#
# Everything listens on and talks to 127.0.0.0/8 only: inet_interfaces =
# 127.0.0.1, every delivery goes through transport_maps to the sink at
# [127.0.0.1]:$SINK_PORT (numeric, bracketed: no MX or A lookup), and
# smtp_dns_support_level = disabled.
#
# Environment: LIFETIME (3m) = maximal_queue_lifetime = bounce_queue_lifetime,
#   SINK_PORT (2525), PEERNAME_LOOKUP (no; run.sh sets yes inside its private
#   namespace, where /etc/hosts is ours), LONG_QUEUE_IDS (no),
#   FILTER (none; smtp, smtp-noxforward, pipe or proxy: one of Postfix's
#   content-filter designs, see the end of this file and README.md).
set -euo pipefail

WORK="${1:?usage: configure.sh WORK}"
case "$WORK" in /tmp/?*) ;; *) echo "configure.sh: WORK must be under /tmp" >&2; exit 2;; esac
LIFETIME="${LIFETIME:-3m}"
SINK_PORT="${SINK_PORT:-2525}"
PEERNAME_LOOKUP="${PEERNAME_LOOKUP:-no}"
LONG_QUEUE_IDS="${LONG_QUEUE_IDS:-no}"
FILTER="${FILTER:-none}"
case "$FILTER" in none|smtp|smtp-noxforward|pipe|proxy) ;;
    *) echo "configure.sh: FILTER must be none, smtp, smtp-noxforward, pipe or proxy" >&2; exit 2;; esac
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ETC="$WORK/etc"
mkdir -p "$ETC/sasl" "$ETC/tls" "$WORK/spool" "$WORK/data" "$WORK/log"
chown root:root "$WORK/spool"
chown postfix:postfix "$WORK/data"
chmod 0755 "$WORK" "$WORK/log"

cat > "$ETC/main.cf" <<EOF
# postfix-fixtures instance (written by configure.sh; do not edit by hand)
compatibility_level = 3.6
queue_directory = $WORK/spool
data_directory = $WORK/data
mail_owner = postfix
setgid_group = postdrop

myhostname = relay1.example.edu
mydomain = example.edu
myorigin = \$myhostname
mydestination = \$myhostname, localhost
smtpd_banner = \$myhostname ESMTP
biff = no
enable_long_queue_ids = $LONG_QUEUE_IDS

# loopback only; the sink is the whole "Internet"
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/24
smtp_bind_address = 127.0.0.1
relayhost =
transport_maps = hash:$ETC/transport
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = $PEERNAME_LOOKUP
smtp_tls_security_level = none
alias_maps =
alias_database =
local_recipient_maps =

# logging: processes send their records to the postlog-tee socket
# (public/postlogtee); the tee hands each record to postlogd (service
# "postlog" in master.cf), which appends it to maillog_file, and a copy to
# a private rsyslogd.
maillog_file = $WORK/log/maillog.log
maillog_file_prefixes = $WORK/log
postlog_service_name = postlogtee

# short timers: deferred mail is retried every 30-60 s and expires after $LIFETIME
queue_run_delay = 20s
minimal_backoff_time = 30s
maximal_backoff_time = 60s
maximal_queue_lifetime = $LIFETIME
bounce_queue_lifetime = $LIFETIME
delay_warning_time = 0h
smtpd_timeout = 30s

# port 25: hosts in 127.0.0.0/24 may relay; others only reach nothing (no
# local domains), so their mail is "Relay access denied"
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sender_restrictions = check_sender_access hash:$ETC/sender_access
smtpd_recipient_restrictions = check_recipient_access hash:$ETC/recipient_access

# SASL (Cyrus sasldb); AUTH is offered on the submission port only
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $ETC/sasl
smtpd_sasl_auth_enable = no
smtpd_sasl_local_domain = example.edu
smtpd_sasl_security_options = noanonymous
smtpd_sender_login_maps = hash:$ETC/sender_login

# TLS (self-signed) is offered on the submission port only
smtpd_tls_cert_file = $ETC/tls/cert.pem
smtpd_tls_key_file = $ETC/tls/key.pem
smtpd_tls_security_level = none
smtpd_tls_loglevel = 1
EOF

cat > "$ETC/master.cf" <<'EOF'
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       n       -       -       smtpd
submission inet n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

# ------------------------------------------------------------ content filters
# The 10025 smtpd takes the filtered copies back (FILTER_README, "advanced
# content filter"; SMTPD_PROXY_README uses the same kind of service). It never
# filters again, checks nothing but "from 127.0.0.0/8", and believes the
# XFORWARD attributes of loopback clients (logged as orig_queue_id=,
# orig_client=).
reinject_smtpd() {
    cat >> "$ETC/master.cf" <<'EOF'
127.0.0.1:10025 inet n  -       n       -       -       smtpd
  -o syslog_name=postfix/10025
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=
  -o smtpd_data_restrictions=
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
  -o smtpd_sasl_auth_enable=no
  -o smtpd_tls_security_level=none
EOF
}

# add_option SERVICE "-o name=value": one more option line under SERVICE (smtp
# or submission, the two smtpd services at the top of master.cf).
add_option() {
    local service="$1" option="$2"
    awk -v svc="$service" -v opt="  $option" '
        { print }
        $1 == svc && $2 == "inet" { print opt }' "$ETC/master.cf" > "$ETC/master.cf.new"
    mv "$ETC/master.cf.new" "$ETC/master.cf"
}

case "$FILTER" in
smtp|smtp-noxforward)
    # After queue, amavis style: everything that smtpd or pickup queues goes
    # to filter.py on 10024 through the "scan" transport; filter.py hands it
    # to the 10025 smtpd, which queues the copy that is delivered.
    xforward=yes; [ "$FILTER" = smtp-noxforward ] && xforward=no
    postconf -c "$ETC" -e "content_filter = scan:[127.0.0.1]:10024"
    cat >> "$ETC/master.cf" <<EOF
scan      unix  -       -       n       -       4       smtp
  -o syslog_name=postfix/scan
  -o smtp_send_xforward_command=$xforward
  -o disable_mime_output_conversion=yes
  -o smtp_generic_maps=
  -o smtp_data_done_timeout=1200s
EOF
    reinject_smtpd
    ;;
pipe)
    # After queue, Postfix's "simple content filter": the two SMTP services
    # hand their mail to pipe(8), whose script re-submits it with sendmail;
    # pickup (no content_filter) queues the copy that is delivered. Local
    # sendmail submissions are not filtered.
    mkdir -p "$WORK/bin"
    install -m 0755 "$HERE/pfilter.sh" "$WORK/bin/pfilter.sh"
    cat >> "$ETC/master.cf" <<EOF
pfilter   unix  -       n       n       -       10      pipe
  flags=Rq user=nobody argv=$WORK/bin/pfilter.sh -f \${sender} -- \${recipient}
EOF
    add_option smtp "-o content_filter=pfilter:dummy"
    add_option submission "-o content_filter=pfilter:dummy"
    ;;
proxy)
    # Before queue (SMTPD_PROXY_README): the two SMTP services pass each
    # transaction through filter.py on 10024 as it happens; the 10025 smtpd
    # behind it queues the message. The client's DATA is answered with the
    # reply that came back through the filter.
    for service in smtp submission; do
        add_option "$service" "-o smtpd_proxy_filter=127.0.0.1:10024"
        add_option "$service" "-o smtpd_client_connection_count_limit=10"
        awk -v svc="$service" '$1 == svc && $2 == "inet" { $7 = "20" } { print }' \
            "$ETC/master.cf" > "$ETC/master.cf.new"
        mv "$ETC/master.cf.new" "$ETC/master.cf"
    done
    reinject_smtpd
    ;;
esac

# Every destination goes to the sink.
cat > "$ETC/transport" <<EOF
*       smtp:[127.0.0.1]:$SINK_PORT
EOF

# NOQUEUE rejects. Keep in sync with traffic.py (REJECTED_RCPTS, BLOCKED_SENDERS).
cat > "$ETC/recipient_access" <<'EOF'
blocked.example.net          REJECT
former-staff@example.com     550 5.1.6 Recipient has moved; no forwarding address
EOF
cat > "$ETC/sender_access" <<'EOF'
mallory@example.edu          REJECT
EOF

# SASL users: the login name is the mail address, and each may only use its
# own address as envelope sender (reject_sender_login_mismatch). Keep in sync
# with traffic.py (SASL_USERS).
SASL_USERS="alice@dept.example.edu:alice-secret bob@dept.example.edu:bob-secret carol@example.edu:carol-secret"
: > "$ETC/sender_login"
rm -f "$ETC/sasldb2"
for entry in $SASL_USERS; do
    login="${entry%%:*}"; password="${entry#*:}"
    printf '%s' "$password" | saslpasswd2 -p -c -f "$ETC/sasldb2" -u "${login#*@}" "${login%@*}"
    printf '%s\t%s\n' "$login" "$login" >> "$ETC/sender_login"
done
chown root:postfix "$ETC/sasldb2"
chmod 0640 "$ETC/sasldb2"
cat > "$ETC/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $ETC/sasldb2
mech_list: PLAIN LOGIN
EOF

for map in transport recipient_access sender_access sender_login; do
    postmap -c "$ETC" "hash:$ETC/$map"
done

if [ ! -s "$ETC/tls/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=relay1.example.edu" \
        -keyout "$ETC/tls/key.pem" -out "$ETC/tls/cert.pem" 2>/dev/null
    chmod 0600 "$ETC/tls/key.pem"
fi

# Name service files for run.sh's private mount namespace (bind-mounted over
# /etc/hosts and /etc/resolv.conf there; never used in the host namespace).
cat > "$ETC/hosts" <<'EOF'
127.0.0.1   localhost relay1.example.edu relay1
127.0.0.2   ws02.dept.example.edu
127.0.0.3   www.example.edu
127.0.0.5   pc17.dept.example.edu
EOF
cat > "$ETC/resolv.conf" <<'EOF'
nameserver 127.0.0.1
options timeout:1 attempts:1
EOF

postconf -c "$ETC" -n > "$WORK/log/postconf-n.txt"
postconf -c "$ETC" -Mf > "$WORK/log/master-cf.txt"
echo "configure.sh: instance in $ETC (lifetime $LIFETIME, peername lookup $PEERNAME_LOOKUP, filter $FILTER)"
