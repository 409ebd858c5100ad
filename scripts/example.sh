#!/usr/bin/env bash
# README's quick start: generate the example fleet (first run only) and inventory it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run --silent build
node examples/generate-fleet.mjs
# The example fleet is full of problems on purpose; show them without failing the command.
exec node bin/certfleet inventory --config examples/certfleet.config.yaml --fail-on never "$@"
