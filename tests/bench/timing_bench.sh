#!/usr/bin/env bash
# The recipe's deploy, update (a new image) and destroy against the AWS
# simulator (tests/sim: AWS's timing, scaled by TIMING_SCALE, default 0.1)
# in front of moto, three ways: fgrun, the original's AWS CLI commands
# (recipe_cli.sh, its two `sleep 60` put back and scaled) and a sequential
# boto3 script waiting with botocore's waiters (recipe_boto3.py, the waiters'
# delays scaled); beside the simulator's critical path of the same work.
# Writes build/bench/timing.json. TIMING_RUNS rounds (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=$(realpath "${FGRUN:-build/fgrun}")
mkdir -p build/bench
export PYTHONDONTWRITEBYTECODE=1
tmp=$(mktemp -d /tmp/fgrun-timing-bench.XXXXXX)
. tests/lib/moto.sh
. tests/lib/sim.sh
trap 'stop_sim; stop_moto; rm -rf "$tmp"' EXIT
scale=${TIMING_SCALE:-0.1}
MOTO_ECS_SERVICE_RUNNING=3 start_moto "$tmp" || { echo "timing bench: moto did not start" >&2; exit 1; }
start_sim "$tmp" --scale "$scale" --behaviours aws || { echo "timing bench: no simulator" >&2; exit 1; }
# a fresh account's service-linked roles: fgrun makes or awaits them (its
# preflight), the original's commands do not; not a matter of timing
sim_config '{"off": ["ecs.slr", "autoscaling.slr"]}' >/dev/null
export AWS_ENDPOINT_URL=$FGRUN_TEST_SIM_URL AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
AWS_CLI=$(pyenv which aws 2>/dev/null || command -v aws)
export AWS_CLI
python3 tests/bench/timing_rounds.py "$fgrun" "$FGRUN_TEST_MOTO_URL" "$scale" "${TIMING_RUNS:-1}" \
    build/bench/timing.json
