#!/usr/bin/env bash
# The operator console's browser tests (test/system/console.test.ts) drive Debian's Chromium
# through playwright-core, which downloads no browser here: install it with apt-get where it is
# missing (scripts/chromium.mjs finds it, or installs it when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
if [ "$(id -u)" -ne 0 ] && ! node scripts/chromium.mjs >/dev/null 2>&1; then sudo="sudo"; fi
$sudo node scripts/chromium.mjs
