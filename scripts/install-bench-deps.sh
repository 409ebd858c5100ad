#!/usr/bin/env bash
# What the benchmarks need beyond the test suite: certbot (bench:renew's baseline) and Pebble.
set -euo pipefail
need=()
command -v certbot >/dev/null 2>&1 || need+=(certbot)
command -v pebble >/dev/null 2>&1 || need+=(pebble)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-bench-deps: missing ${need[*]}; install them (as root: apt-get install ${need[*]})" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's certbot ships a renewal timer; the benchmark runs certbot itself.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now certbot.timer >/dev/null 2>&1 || true; fi
fi
