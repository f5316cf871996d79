#!/usr/bin/env bash
# The browser tests (accountants' pages, the TSD screen) drive Debian's chromium through Playwright:
# `playwright install` downloads browsers from outside the package registries, so it is not used.
# Installs the chromium package with apt-get when /usr/bin/chromium is missing (SELLERFLOW_CHROMIUM
# points elsewhere). Idempotent.
set -euo pipefail
say() { echo "[chromium] $*"; }
CHROMIUM=${SELLERFLOW_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
command -v apt-get >/dev/null || {
  say "ERROR: $CHROMIUM not found and no apt-get: install Chromium and set SELLERFLOW_CHROMIUM" >&2
  exit 1
}
say "installing Debian's chromium package with apt-get (browser tests)"
SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
