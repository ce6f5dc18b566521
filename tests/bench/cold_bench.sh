#!/usr/bin/env bash
# Cold single-call processes against the canned-answer server: fgrun -e '',
# one STS call (small model), one EC2 call (the largest model), beside
# `aws --version`, the CLI's same calls, `import boto3` and boto3's first
# calls. Median wall and CPU, peak RSS; callgrind instructions for fgrun.
# Writes build/bench/cold.json. COLD_RUNS (30), COLD_PY_RUNS (7) size it.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=$(realpath "${FGRUN:-build/fgrun}")
mkdir -p build/bench
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in tests/bench
# The aws program itself, not pyenv's shim (a shell script of its own).
AWS_CLI=$(pyenv which aws 2>/dev/null || command -v aws)
export AWS_CLI
python3 tests/bench/cold_rounds.py "$fgrun" build/bench
