#!/usr/bin/env bash
# README's quick start.
#   npm run example              certfleet's main job against a local Pebble: issue, deploy, renew
#                                (nothing due), status, drill, report (scripts/example-quickstart.mjs)
#   npm run example -- fleet     the fleet: a shared PostgreSQL store, a runner, two hosts' agents
#                                (scripts/example-fleet.mjs)
#   npm run example -- inventory [flags]
#                                generate the example fleet (first run only) and inventory it
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run --silent build

if [ "${1:-}" = inventory ]; then
  shift
  node examples/generate-fleet.mjs
  # The example fleet is full of problems on purpose; show them without failing the command.
  exec node bin/certfleet inventory --config examples/certfleet.config.yaml --fail-on never "$@"
fi

# The local CA: Debian's pebble package (pebble + pebble-challtestsrv), installed as the tests do.
# certfleet's lock needs util-linux's flock (always there on Debian).
need=()
{ [ -x /usr/bin/pebble ] || [ -x /usr/local/bin/pebble ]; } || need+=(pebble)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
# The fleet's shared store: Debian's PostgreSQL (a throwaway cluster, started and removed by the example).
if [ "${1:-}" = fleet ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "example: needs the Debian package(s) ${need[*]} (the local ACME CA the example renews against):" >&2
    echo "example:   sudo apt-get install ${need[*]}   (or run npm run example as root, which installs them)" >&2
    exit 1
  fi
  echo "example: installing ${need[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "${1:-}" = fleet ]; then
  shift
  exec node scripts/example-fleet.mjs "$@"
fi
exec node scripts/example-quickstart.mjs "$@"
