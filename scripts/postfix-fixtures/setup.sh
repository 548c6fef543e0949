#!/usr/bin/env bash
# postfix-fixtures: install what a fixture run needs (Debian bookworm, root).
#
#   postfix                 the real MTA whose log we record. Installed with debconf
#                           "No configuration": no /etc/postfix/main.cf is written and
#                           the system instance is never used; run.sh starts its own
#                           instance from a temporary config directory.
#   sasl2-bin, libsasl2-modules
#                           Cyrus SASL: saslpasswd2 (sasldb) and the PLAIN mechanism.
#   rsyslog                 a private rsyslogd (own socket, own files) writes the
#                           classic and RFC 3339 copies of the log.
#   aiosmtpd (pip)          the SMTP sink on 127.0.0.1:2525.
#
# Idempotent: apt-get update + install only when a package is missing, pip only when
# aiosmtpd cannot be imported. While apt runs, a temporary policy-rc.d stops package
# scripts from starting daemons (the system postfix/rsyslog must stay down).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (apt-get)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
PY="${PYTHON:-python3}"

missing=()
for pkg in postfix sasl2-bin libsasl2-modules rsyslog openssl util-linux iproute2 tzdata; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    policy_made=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# postfix-fixtures setup.sh: no daemon starts during install\nexit 101\n' \
            > /usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        policy_made=1
    fi
    trap '[ "$policy_made" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string relay1.example.edu
EOF
    echo "setup.sh: installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
    echo "setup.sh: pip install aiosmtpd"
    "$PY" -m pip install -q --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi

echo "setup.sh: postfix $(postconf -d -h mail_version 2>/dev/null)," \
     "rsyslog $(dpkg-query -W -f='${Version}' rsyslog)," \
     "aiosmtpd $("$PY" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
