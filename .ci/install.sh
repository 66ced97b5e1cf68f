#!/usr/bin/env bash
# Install from scratch, exactly as package-lock.json says (npm ci also brings Node 24, the
# optional `node` package, which every npm script then runs on).
set -euo pipefail
cd "$(dirname "$0")/.."
node --version
npm ci --no-audit --no-fund
