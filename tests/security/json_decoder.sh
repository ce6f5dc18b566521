#!/usr/bin/env bash
# Issue 13, finding 8: the JSON decoder against hostile answers. Keys made
# to collide in the repeated-key check (the old unseeded djb2 hash) must
# decode in about the time of random keys of the same size: checked as a
# ratio, not a clock limit. A body of small values must fail with a clear
# error within its memory budget; an answer larger than its operation can
# be is cut off while it arrives.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# Two bodies of the same size: 2^16 keys of 32 characters that all collide
# under djb2 ("Ez" and "FY" hash alike, and so does any string of them),
# and 2^16 random keys of 32 characters.
python3 - "$tmp" <<'PY'
import itertools, random, string, sys
d = sys.argv[1]
keys = ["".join(p) for p in itertools.product(["Ez", "FY"], repeat=16)]
open(d + "/colliding.json", "w").write("{" + ",".join('"%s":0' % k for k in keys) + "}")
rnd = random.Random(13)
keys = ["".join(rnd.choice(string.ascii_letters) for _ in range(32)) for _ in range(len(keys))]
open(d + "/random.json", "w").write("{" + ",".join('"%s":0' % k for k in keys) + "}")
PY
expect_eq "the two bodies have the same size" "$(stat -c %s "$tmp/random.json")" "$(stat -c %s "$tmp/colliding.json")"
ratio=$("$FGRUN" - "$tmp/colliding.json" "$tmp/random.json" <<'LUA'
local shapejson, fgrun = require "aws.shape_json", require "fgrun"
local function best(path)
  local body = io.open(path):read("a")
  local t = math.huge
  for _ = 1, 3 do
    local t0 = fgrun.monotonic()
    assert(shapejson.parse(body))
    t = math.min(t, fgrun.monotonic() - t0)
  end
  return t
end
local colliding, random = best(arg[1]), best(arg[2])
io.write(("%.2f %.3f %.3f"):format(colliding / random, colliding, random))
LUA
)
set -- $ratio
if awk -v r="$1" 'BEGIN { exit !(r < 3) }'; then
    tap_pass "65,536 colliding keys decode within 3x the time of random keys (ratio $1: $2 s against $3 s)"
else
    tap_fail "65,536 colliding keys decode within 3x the time of random keys" "ratio $1: $2 s against $3 s"
fi
out=$("$FGRUN" -e 'local sj = require "aws.shape_json"
  local v = sj.value(assert(sj.parse([[{"k":1,"Ez":1,"FY":2,"k":3}]]))) io.write(v.k, v.Ez, v.FY)')
expect_eq "repeated keys: the last one wins, colliding ones stay apart" "312" "$out"

# The canned answers, through a client.
python3 "$here/../lib/fake_server.py" canned "$tmp/port" "$tmp/answer" & pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$tmp/port") AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
# peak LUA: runs fgrun -e LUA; sets out and peak (the child's peak memory, MiB).
peak() {
    out=$(python3 - "$FGRUN" "$1" <<'PY'
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "-e", sys.argv[2]], capture_output=True, text=True)
print(r.stdout + r.stderr)
print("PEAK", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
)
    peak=$(printf '%s\n' "$out" | sed -n 's/^PEAK //p')
}

# 15 MiB of zeros in an array: under the 16 MiB cap, 7.8 million values.
python3 -c 'import sys; n = 15 * 2**20 // 2; sys.stdout.write("{\"clusterArns\":[" + ",".join(["0"] * n) + "]}")' >"$tmp/answer"
peak 'require("aws").ecs.list_clusters{}'
expect_match "15 MiB of small values: a clear error" "answer too large to decode: its [0-9]+ MiB of JSON would take about [0-9]+ MiB of memory, over the budget of 256 MiB per answer" "$out"
if [ "${peak:-9999}" -lt 200 ]; then tap_pass "  and the process stays small (peak $peak MiB)"; else tap_fail "  and the process stays small" "peak ${peak:-?} MiB"; fi

# Per-operation caps: STS answers are small; other calls get 16 MiB, not 64.
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/answer"
peak 'require("aws").sts.get_caller_identity{}'
expect_match "a 2 MiB STS answer is cut off at its 1 MiB cap" "ResponseTooLarge: response over 1048576 bytes" "$out"
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$tmp/answer"
peak 'require("aws").ecs.list_clusters{}'
expect_match "a 17 MiB ECS answer is cut off at the 16 MiB cap" "ResponseTooLarge: response over 16777216 bytes" "$out"
tap_done
