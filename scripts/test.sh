#!/usr/bin/env bash
# The whole test suite (README's test command, and what .ci/run calls): installs what it needs,
# builds, lints, type-checks, runs every test, and ends with one plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
npm run --silent build
npm run --silent lint
npm run --silent typecheck

mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json || status=1
exit $status
