#!/usr/bin/env bash
# `npm test` runs this first: the explorer's browser test needs Debian's Chromium. Installs it when missing
# (as root, through apt-get); otherwise says how to get it. CHROMIUM_PATH points the test at another build.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the explorer's browser test..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "The explorer's browser test needs Chromium: run 'sudo apt-get install -y chromium' or set CHROMIUM_PATH." >&2
  exit 1
fi
