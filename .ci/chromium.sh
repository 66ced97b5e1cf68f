#!/usr/bin/env bash
# The operator console's browser tests (test/system/console.test.ts) drive Debian's Chromium
# through playwright-core, which downloads no browser here: install it with apt-get where it is
# missing. scripts/chromium.mjs finds it (and installs it itself when run as root); as another
# user apt-get runs under sudo here, as .ci/java.sh does for Java.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] && ! node scripts/chromium.mjs >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the console's browser tests…"
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi
node scripts/chromium.mjs
