#!/usr/bin/env bash
# Installs the real Redis (redis-server, redis-cli, redis-benchmark) from
# Debian where it is missing: the Redis example's tests and benchmark run
# against it. Needs root (or sudo) and apt-get.
set -euo pipefail
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null &&
  command -v redis-benchmark >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "Installing redis-server and redis-tools with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
# The Debian package starts a system-wide server on port 6379; the tests start
# their own on free ports, so stop it where a service manager runs it.
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
  $SUDO systemctl stop redis-server || true
fi
redis-server --version
