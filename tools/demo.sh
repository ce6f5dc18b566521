#!/usr/bin/env bash
# `make demo`: runs the main job against the local stand-ins (moto for AWS),
# started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
. tests/lib/services.sh
trap 'stop_services; rm -rf "$dir"' EXIT
start_moto "$dir"
export AWS_ENDPOINT_URL=$FGRUN_TEST_MOTO_URL AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
build/fgrun recipes/smoke.lua
