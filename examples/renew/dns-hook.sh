#!/bin/sh
# An exec DNS-01 hook with lego's contract, so existing lego scripts work unchanged:
#   dns-hook.sh present <fqdn> <value>     e.g. present _acme-challenge.www.example.com. "abc..."
#   dns-hook.sh cleanup <fqdn> <value>
# certfleet also sets CERTFLEET_* variables. Exit non-zero on failure: certfleet reports the
# output. This example updates a BIND server with nsupdate and a TSIG key file.
set -eu
action=$1 fqdn=$2 value=$3
server=${DNS_SERVER:-127.0.0.1}
keyfile=${TSIG_KEY_FILE:-/etc/certfleet/tsig.key}

case "$action" in
  present) change="update add $fqdn 60 TXT \"$value\"" ;;
  cleanup) change="update delete $fqdn TXT \"$value\"" ;;
  *) echo "usage: $0 present|cleanup <fqdn> <value>" >&2; exit 2 ;;
esac

# -v: over TCP, so a datagram dropped by a busy server cannot lose the update; -t: give up after 20 s.
nsupdate -v -t 20 -k "$keyfile" <<EOF_NSUPDATE
server $server
$change
send
EOF_NSUPDATE
