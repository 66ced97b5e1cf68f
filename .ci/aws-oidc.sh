#!/usr/bin/env bash
# Source this: AWS credentials for the job from CircleCI's OIDC token, no stored keys. The AWS
# CLI and Terraform's AWS provider both assume AWS_ROLE_ARN with the token file by themselves.
#   AWS_ROLE_ARN   the role the job's context names (one per environment, trusting CircleCI's OIDC provider)
: "${AWS_ROLE_ARN:?the role to assume, from the job's CircleCI context}"
: "${CIRCLE_OIDC_TOKEN_V2:?CircleCI's OIDC token (a job with a context has one)}"
export AWS_WEB_IDENTITY_TOKEN_FILE="${TMPDIR:-/tmp}/circleci-oidc-token"
printf '%s' "$CIRCLE_OIDC_TOKEN_V2" >"$AWS_WEB_IDENTITY_TOKEN_FILE"
export AWS_ROLE_SESSION_NAME="circleci-${CIRCLE_PROJECT_REPONAME:-booking-platform}-${CIRCLE_BUILD_NUM:-local}"
