#!/bin/sh
# postfix-fixtures pipe(8) filter (FILTER=pipe): Postfix's "simple content
# filter" from FILTER_README, without the filtering. master.cf runs it as
#
#   pfilter unix - n n - 10 pipe
#     flags=Rq user=nobody argv=WORK/bin/pfilter.sh -f ${sender} -- ${recipient}
#
# and it re-submits the message on standard input unchanged with the
# instance's sendmail(1): -G (not an initial user submission), -i (a lone "."
# does not end the message). The copy comes back through postdrop and pickup
# (uid=65534, the same Message-ID); pickup has no content_filter, so it is
# delivered. MAIL_CONFIG (the private config directory) comes from pipe(8)'s
# export_environment; as user nobody, sendmail/postdrop accept it only because
# run.sh lists it in alternate_config_directories of a private copy of
# /etc/postfix/main.cf.
#
# Exit status: sendmail's (sysexits); pipe(8) defers on 75 (EX_TEMPFAIL).
[ -n "${MAIL_CONFIG:-}" ] || { echo "pfilter.sh: MAIL_CONFIG is not set" >&2; exit 75; }
exec /usr/sbin/sendmail -G -i "$@"
