#!/usr/bin/env bash
# Startup time and peak memory of `fgrun -e ''` (and `-e 'print(1)'`),
# beside the plain lua5.4 interpreter as a floor. Median of N runs.
# Writes build/bench/startup.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=${FGRUN:-build/fgrun}
runs=${RUNS:-200}
mkdir -p build/bench

# median_ms CMD...: median wall time of $runs runs, in milliseconds.
median_ms() {
    python3 - "$runs" "$@" <<'PY'
import subprocess, sys, time, statistics
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.2f}")
PY
}

# peak_kb CMD...: maximum resident set size, in KiB.
peak_kb() {
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1
}

fg_ms=$(median_ms "$fgrun" -e '')
fg_print_kb=$(peak_kb "$fgrun" -e 'print(1)')
lua_ms=$(median_ms lua5.4 -e '')
lua_kb=$(peak_kb lua5.4 -e 'print(1)')

cat > build/bench/startup.md <<MD
| what | median start (ms) | peak memory (KiB) | target |
|---|---|---|---|
| \`fgrun -e ''\` / \`-e 'print(1)'\` | $fg_ms | $fg_print_kb | < 5 ms, < 5 MB |
| \`lua5.4 -e ''\` (floor) | $lua_ms | $lua_kb | |
MD
cat > build/bench/startup.json <<JSON
{"runs": $runs, "fgrun_start_ms": $fg_ms, "fgrun_peak_kib": $fg_print_kb,
 "lua_start_ms": $lua_ms, "lua_peak_kib": $lua_kb}
JSON
cat build/bench/startup.md
