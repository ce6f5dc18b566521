#!/usr/bin/env bash
# Per-call client cost against a loopback server that answers at once with
# canned bodies (canned_server.c, a C epoll responder: its own CPU per call
# is reported too): ECS DescribeServices (JSON) and EC2 DescribeSubnets
# (XML, 50 subnets); calls per second and CPU per call for fgrun and boto3,
# callgrind instructions per call for fgrun. Writes build/bench/percall.json
# and build/bench/percall_profile_{ecs,ec2}.txt.
# CALLS (fgrun, 2000), BOTO_CALLS (500), CG_CALLS (20), PERCALL_REPEAT (3) size it.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=$(realpath "${FGRUN:-build/fgrun}")
mkdir -p build/bench
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in tests/bench
python3 tests/bench/percall_rounds.py "$fgrun" build/bench
