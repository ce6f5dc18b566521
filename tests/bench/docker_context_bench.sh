#!/usr/bin/env bash
# The Docker build context stream: a 1 GiB folder (one 512 MiB file and
# 16384 files of 32 KiB in 64 folders) written as the tar a build sends,
# beside `tar -cf - . | cat >/dev/null` on the same (warm) folder.
# Targets: peak memory < 30 MB; at least half tar's speed.
# Also the cost of push progress: 200000 progress messages through the
# per-layer view (plain lines, stderr to /dev/null), per message.
# Writes build/bench/docker_context.json. CONTEXT_MB=<n> scales it down.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=${FGRUN:-build/fgrun}
total_mb=${CONTEXT_MB:-1024}
mkdir -p build/bench
dir=$(mktemp -d /tmp/fgrun-context-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

big_mb=$((total_mb / 2))
small_kb=32
small_count=$(((total_mb - big_mb) * 1024 / small_kb))
dd if=/dev/urandom of="$dir/big.bin" bs=1M count="$big_mb" status=none
head -c $((small_kb * 1024)) /dev/urandom >"$dir/seed"
for d in $(seq 1 64); do
    mkdir "$dir/d$d"
done
for i in $(seq 1 "$small_count"); do
    cp "$dir/seed" "$dir/d$((i % 64 + 1))/f$i"
done
rm "$dir/seed"
printf 'FROM scratch\nCOPY . /\n' >"$dir/Dockerfile"
bytes=$(du -sb "$dir" | cut -f1)
files=$(find "$dir" | wc -l)

# best_seconds CMD: the best wall time of 3 runs of a shell command.
best_seconds() {
    python3 - "$1" <<'PY'
import subprocess, sys, time
best = None
for _ in range(3):
    t = time.perf_counter()
    subprocess.run(["bash", "-c", sys.argv[1]], check=True)
    d = time.perf_counter() - t
    best = d if best is None or d < best else best
print(f"{best:.3f}")
PY
}

script="$dir.lua"
cat >"$script" <<LUA
require("docker").context_write("$dir", nil, "/dev/stdout")
LUA
trap 'rm -rf "$dir" "$script"' EXIT

tar_s=$(best_seconds "cd '$dir' && tar -cf - . | cat >/dev/null")
fg_s=$(best_seconds "'$fgrun' '$script' | cat >/dev/null")
peak_kb=$( { /usr/bin/time -f '%M' "$fgrun" "$script" 2>&1 >/dev/null | tail -1; } )
streamed=$("$fgrun" "$script" | wc -c)

progress_us=$("$fgrun" -e '
local view = require("docker.progress").layers("reg/app:v1")
local n, t0 = 200000, os.clock()
for i = 1, n do
  view.update{id = "layer" .. (i % 8), status = "Pushing", progressDetail = {current = i, total = n}}
end
view.finish()
print(string.format("%.3f", (os.clock() - t0) / n * 1e6))' 2>/dev/null)

python3 - "$bytes" "$files" "$streamed" "$tar_s" "$fg_s" "$peak_kb" "$progress_us" >build/bench/docker_context.json <<'PY'
import json, sys
b, files, streamed, tar_s, fg_s, peak, progress_us = sys.argv[1:]
tar_s, fg_s = float(tar_s), float(fg_s)
ratio = tar_s / fg_s if fg_s > 0 else 0.0
out = {
    "context_bytes": int(b), "context_files": int(files), "tar_stream_bytes": int(streamed),
    "tar_seconds": tar_s, "fgrun_seconds": fg_s,
    "fgrun_mib_per_s": round(int(streamed) / 1048576 / fg_s, 1) if fg_s else None,
    "speed_vs_tar": round(ratio, 3), "peak_rss_kib": int(peak),
    "push_progress_us_per_message": float(progress_us),
    "targets": {"peak_rss_kib_below": 30 * 1024, "speed_vs_tar_at_least": 0.5},
    "pass": int(peak) < 30 * 1024 and ratio >= 0.5,
}
print(json.dumps(out, indent=2))
PY
cat build/bench/docker_context.json
