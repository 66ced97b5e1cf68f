#!/usr/bin/env bash
# Packs the typed client (packages/client: compiled JavaScript, declarations, README) into
# artifacts/, the tarball a release publishes.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts
npm pack --workspace packages/client --pack-destination artifacts
