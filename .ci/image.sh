#!/usr/bin/env bash
# Builds the one image (Dockerfile) for a commit and pushes it to the registry, tagged with the
# commit; a release adds its tag (v1.2.3) to the image of its commit rather than building another.
#
#   .ci/image.sh                     uses CIRCLE_SHA1 and, on a release, CIRCLE_TAG
#   IMAGE_REGISTRY=123456789012.dkr.ecr.eu-north-1.amazonaws.com   where images live (ECR)
#   IMAGE_REPOSITORY=booking-platform
# AWS credentials come from the environment (CircleCI's OIDC token, see .ci/aws-oidc.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${IMAGE_REGISTRY:?where images are pushed, e.g. 123456789012.dkr.ecr.eu-north-1.amazonaws.com}"
repository="${IMAGE_REPOSITORY:-booking-platform}"
commit="${CIRCLE_SHA1:-$(git rev-parse HEAD)}"
image="$IMAGE_REGISTRY/$repository"
region="$(echo "$IMAGE_REGISTRY" | cut -d. -f4)"

aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$IMAGE_REGISTRY"

# Tags are immutable in the registry: a commit's image is built once, and a release promotes it.
if aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids imageTag="$commit" >/dev/null 2>&1; then
  echo "$image:$commit exists already"
else
  docker build --pull --tag "$image:$commit" .
  docker push "$image:$commit"
fi

if [ -n "${CIRCLE_TAG:-}" ]; then
  manifest="$(aws ecr batch-get-image --region "$region" --repository-name "$repository" --image-ids imageTag="$commit" \
    --query 'images[0].imageManifest' --output text)"
  aws ecr put-image --region "$region" --repository-name "$repository" --image-tag "$CIRCLE_TAG" --image-manifest "$manifest" >/dev/null ||
    echo "$image:$CIRCLE_TAG exists already"
fi
