#!/usr/bin/env bash
# The recipe's AWS work against moto on loopback, three ways: fgrun running
# recipes/fargate_alb.lua (image steps off: a prebuilt image) then
# --destroy; the original's AWS CLI commands as a shell script
# (recipe_cli.sh); one boto3 process making the same calls
# (recipe_boto3.py). Interleaved rounds, median of RECIPE_RUNS (default 5):
# wall time, client CPU (user+sys of the client's process tree), peak RSS.
# Writes build/bench/recipe.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=$(realpath "${FGRUN:-build/fgrun}")
runs=${RECIPE_RUNS:-5}
mkdir -p build/bench
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in tests/bench
tmp=$(mktemp -d /tmp/fgrun-recipe-bench.XXXXXX)
. tests/lib/moto.sh
trap 'stop_moto; rm -rf "$tmp"' EXIT
MOTO_ECS_SERVICE_RUNNING=3 start_moto "$tmp" || { echo "recipe bench: moto did not start" >&2; exit 1; }
export AWS_ENDPOINT_URL=$FGRUN_TEST_MOTO_URL AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# The aws program itself, not pyenv's shim (a shell script that would add
# its own start-up to every command).
AWS_CLI=$(pyenv which aws 2>/dev/null || command -v aws)
export AWS_CLI
python3 tests/bench/recipe_rounds.py "$fgrun" "$tmp/moto.log" "$MOTO_PID" "$runs" build/bench/recipe.json
