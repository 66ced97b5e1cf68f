#!/usr/bin/env bash
# Deploys one environment: Terraform applies infra/environments/<environment> with the image of
# this commit (or of the release tag). ECS rolls the services over and waits until they are
# steady; a deployment whose tasks do not become healthy rolls back by itself.
#
#   .ci/deploy.sh dev|staging|prod
#   TF_STATE_BUCKET   the S3 bucket holding Terraform's state (per environment's account)
#   IMAGE_REGISTRY, IMAGE_REPOSITORY   as for .ci/image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
environment="${1:?usage: .ci/deploy.sh dev|staging|prod}"
dir="infra/environments/$environment"
[ -d "$dir" ] || { echo "no environment $environment under infra/environments" >&2; exit 2; }
: "${TF_STATE_BUCKET:?the S3 bucket of Terraform's state}"
: "${IMAGE_REGISTRY:?where the images are}"
tag="${CIRCLE_TAG:-${CIRCLE_SHA1:-$(git rev-parse HEAD)}}"

terraform -chdir="$dir" init -input=false -backend-config="bucket=$TF_STATE_BUCKET"
terraform -chdir="$dir" apply -input=false -auto-approve \
  -var "image=$IMAGE_REGISTRY/${IMAGE_REPOSITORY:-booking-platform}:$tag"
