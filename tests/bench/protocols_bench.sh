#!/usr/bin/env bash
# The rest protocols and S3 beside boto3 (issue 17's numbers): per-call
# client CPU of S3 ListObjectsV2 (1000 keys, rest-xml) and Route 53
# ListResourceRecordSets (100 records) against the canned-answer server;
# S3 streaming throughput against moto (upload_file and download_file of
# STREAM_MIB, 200); `fgrun -e ''` start time and peak memory, beside
# BASELINE_FGRUN (a build from before, when given). Writes
# build/bench/protocols.json. CALLS (fgrun, 1000), BOTO_CALLS (200),
# PERCALL_REPEAT (3), STREAM_MIB size it.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=$(realpath "${FGRUN:-build/fgrun}")
mkdir -p build/bench
export PYTHONDONTWRITEBYTECODE=1
python3 tests/bench/protocols_rounds.py "$fgrun" build/bench
