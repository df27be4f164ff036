#!/usr/bin/env bash
# Browser tests run in Debian's Chromium (no browser download is possible here).
# Installs it when missing and we are root; otherwise says exactly what to run.
set -euo pipefail
CHROMIUM="${FERRY_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Chromium is missing; installing Debian's chromium package for the browser tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium at $CHROMIUM. Install it with:" >&2
echo "  sudo apt-get install -y chromium" >&2
echo "(or set FERRY_CHROMIUM to another Chromium binary)" >&2
exit 1
