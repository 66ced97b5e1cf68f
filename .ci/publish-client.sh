#!/usr/bin/env bash
# Publishes the typed client packed by .ci/pack-client.sh. Its version is the API's, so a
# release that leaves the API as it was has nothing new to publish: a version already in the
# registry is left alone (npm would refuse it anyway).
#   NPM_TOKEN   a token that may publish @booking-platform packages (CircleCI context)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NPM_TOKEN:?a token that may publish @booking-platform packages}"
version="$(node -p 'require("./packages/client/package.json").version')"
tarball="artifacts/booking-platform-client-$version.tgz"
[ -f "$tarball" ] || { echo "$tarball is missing: run .ci/pack-client.sh first" >&2; exit 2; }
registry="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org/}"
npmrc="$(mktemp)"
printf '//%s:_authToken=%s\n' "${registry#*://}" "$NPM_TOKEN" >"$npmrc"
if npm view "@booking-platform/client@$version" version --userconfig "$npmrc" >/dev/null 2>&1; then
  echo "@booking-platform/client@$version is published already"
else
  npm publish "$tarball" --userconfig "$npmrc"
fi
rm -f "$npmrc"
