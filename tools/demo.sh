#!/usr/bin/env bash
# `make demo`: the Fargate recipe end to end against the local stand-ins
# (moto for AWS, podman's Docker-compatible service, a registry), all on
# loopback: deploy, status, destroy. Services and temporary files are
# removed on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
export MOTO_ECS_SERVICE_RUNNING=3
. tests/lib/services.sh
trap 'set +e; stop_services; rm -rf "$dir"' EXIT
start_services "$dir" >/dev/null
for need in FGRUN_TEST_MOTO_URL FGRUN_TEST_DOCKER_HOST FGRUN_TEST_REGISTRY; do
    [ -n "${!need:-}" ] || { echo "demo: a local service did not start ($need); see above" >&2; exit 1; }
done
export AWS_ENDPOINT_URL=$FGRUN_TEST_MOTO_URL AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export DOCKER_HOST=$FGRUN_TEST_DOCKER_HOST
export FGRUN_REGISTRY_MAP="123456789012.dkr.ecr.us-east-1.amazonaws.com=$FGRUN_TEST_REGISTRY"
state=(--state-dir "$dir/state" --env local)

echo "== deploy"
build/fgrun "${state[@]}" recipes/fargate_alb.lua
echo "== status"
build/fgrun "${state[@]}" recipes/fargate_alb.lua status
echo "== destroy"
build/fgrun "${state[@]}" --destroy recipes/fargate_alb.lua
