#!/usr/bin/env bash
# The plan of an unchanged deployment beside a deploy (issue 16): the
# Fargate recipe (prebuilt image: no Docker) against moto on loopback.
# Each round: a fresh deploy; two deploys that are not measured (spot on,
# then off: moto forgets what CreateService was given, which would read as
# drift, and keeps what UpdateService is given); a re-run of the unchanged
# deployment; its --plan (which must say "no changes", exit 0); --destroy.
# Median of PLAN_RUNS rounds (default 5) of wall time, client CPU, and
# the AWS calls each made (moto's log). Writes build/bench/plan.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=$(realpath "${FGRUN:-build/fgrun}")
mkdir -p build/bench
export PYTHONDONTWRITEBYTECODE=1
tmp=$(mktemp -d /tmp/fgrun-plan-bench.XXXXXX)
. tests/lib/moto.sh
trap 'stop_moto || true; rm -rf "$tmp"' EXIT
{ MOTO_ECS_SERVICE_RUNNING=3 start_moto "$tmp" && use_test_moto; } || { echo "plan bench: moto did not start" >&2; exit 1; }
python3 tests/bench/plan_rounds.py "$fgrun" "$tmp/moto.log" "${PLAN_RUNS:-5}" build/bench/plan.json
