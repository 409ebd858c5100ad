#!/usr/bin/env bash
# Installs what the test suite needs and a fresh machine lacks: Debian packages for the real parts
# the tests drive (nginx, Pebble, BIND, PowerDNS, PostgreSQL, Chromium, promtool, systemd-analyze; openssl and keytool to build keystores;
# ca-certificates, ca-certificates-java and postgresql-common for their real files)
# and the npm packages.
# Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v keytool >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v pebble >/dev/null 2>&1 || need+=(pebble)                             # ACME server (+ pebble-challtestsrv)
command -v named >/dev/null 2>&1 || [ -x /usr/sbin/named ] || need+=(bind9)    # RFC 2136 dns-01
command -v nsupdate >/dev/null 2>&1 || need+=(bind9-dnsutils)                  # dig, nsupdate for dns-01 tests
[ -x /usr/sbin/pdns_server ] || need+=(pdns-server)                             # PowerDNS (its HTTP API) for the pdns provider
compgen -G '/usr/lib/*/pdns/libgsqlite3backend.so' >/dev/null || need+=(pdns-backend-sqlite3)   # its sqlite3 backend
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)                          # loads the PowerDNS schema into the test's database
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql) # PostgreSQL store tests (15 on bookworm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)                        # report HTML in a real browser
command -v promtool >/dev/null 2>&1 || need+=(prometheus)                      # report Prometheus output check
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)                 # systemd-analyze verify on the shipped units
# A stock Debian's own files for the inventory-over-/etc test: trust stores, BIND and PostgreSQL configs.
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)           # CA bundle, hash links, /usr/share/ca-certificates
[ -f /etc/ssl/certs/java/cacerts ] || need+=(ca-certificates-java)             # Java cacerts (password changeit)
[ -f /etc/bind/rndc.key ] || need+=(bind9)                                     # rndc.key: a .key that is not a certificate
[ -f /etc/postgresql-common/root.crt ] || need+=(postgresql-common)            # placeholder root.crt

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing ${need[*]}; run as root (or install them) so the tests can use them" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian may start these on install; the tests run their own instances on loopback.
  if command -v systemctl >/dev/null 2>&1; then
    for unit in nginx named pdns prometheus; do systemctl stop "$unit" >/dev/null 2>&1 || true; done
  fi
  # Installing postgresql creates and starts Debian's own cluster (<version>/main, port 5432), under
  # systemd or directly. Stop that cluster, and only when this run installed it (a cluster that was
  # there before may be someone's); the tests' clusters are not registered with postgresql-common.
  if [[ " ${need[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
    for conf in /etc/postgresql/*/main; do
      [ -d "$conf" ] && pg_ctlcluster "$(basename "$(dirname "$conf")")" main stop >/dev/null 2>&1 || true
    done
  fi
fi

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
