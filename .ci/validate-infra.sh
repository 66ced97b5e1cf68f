#!/usr/bin/env bash
# Terraform's own checks of infra/, which our machines cannot run (no Terraform binary there;
# test/deploy/terraform.spec.ts checks what it can by parsing): formatting, and each
# environment root validated with its modules, without touching any state.
set -euo pipefail
cd "$(dirname "$0")/.."
terraform fmt -check -recursive -diff infra
for dir in infra/environments/*/; do
  terraform -chdir="$dir" init -backend=false -input=false >/dev/null
  terraform -chdir="$dir" validate
done
