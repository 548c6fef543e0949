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
#   namespace, where /etc/hosts is ours), LONG_QUEUE_IDS (no).
set -euo pipefail

WORK="${1:?usage: configure.sh WORK}"
case "$WORK" in /tmp/?*) ;; *) echo "configure.sh: WORK must be under /tmp" >&2; exit 2;; esac
LIFETIME="${LIFETIME:-3m}"
SINK_PORT="${SINK_PORT:-2525}"
PEERNAME_LOOKUP="${PEERNAME_LOOKUP:-no}"
LONG_QUEUE_IDS="${LONG_QUEUE_IDS:-no}"
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
echo "configure.sh: instance in $ETC (lifetime $LIFETIME, peername lookup $PEERNAME_LOOKUP)"
