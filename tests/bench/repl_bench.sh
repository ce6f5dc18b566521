#!/usr/bin/env bash
# The REPL: time from start to the first prompt on a pseudo-terminal
# (target < 20 ms), and Tab completion latency over all nine service
# models, first use of each model (cold) and after (warm), target < 10 ms.
# Writes build/bench/repl.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/../.."
fgrun=${FGRUN:-build/fgrun}
runs=${RUNS:-50}
mkdir -p build/bench
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

prompt_ms=$(python3 - "$fgrun" "$home" "$runs" <<'PY'
import os, pty, select, statistics, sys, time
fgrun, home, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    t = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(fgrun, [fgrun], dict(os.environ, HOME=home, TERM="xterm"))
    out = b""
    while b"> " not in out:
        r, _, _ = select.select([fd], [], [], 5)
        if not r:
            sys.exit("no prompt within 5 s")
        out += os.read(fd, 4096)
    times.append((time.perf_counter() - t) * 1000)
    # libedit prints the prompt before it puts the terminal in raw mode:
    # a ^D sent at once would be the cooked-mode end of file, and lost
    time.sleep(0.05)
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
    os.close(fd)
print(f"{statistics.median(times):.2f}")
PY
)

# Completion through the same function Tab calls, inside fgrun.
read -r cold_max cold_median warm_max warm_median < <("$fgrun" - <<'LUA'
local repl = require "repl"
repl.setup({})
local clock = require("fgrun").monotonic
local lines = {
  ecs = "ecs.describe_services{clu", ec2 = "ec2.describe_instances{Fil",
  iam = "iam.get_role{Ro", elbv2 = "elbv2.describe_target_health{Tar",
  ecr = "ecr.describe_repositories{rep", logs = "logs.filter_log_events{logGr",
  sts = "sts.assume_role{RoleA", secretsmanager = "secretsmanager.get_secret_value{Sec",
  application_autoscaling = "application_autoscaling.describe_scalable_targets{Ser",
}
-- ms(line, must_insert): one completion's time; parameter lines must complete.
local function ms(line, must_insert)
  local t = clock()
  local insert, listing = repl.complete(line, 80)
  assert(insert ~= "" or (listing and not must_insert), "no completion for " .. line)
  return (clock() - t) * 1000
end
local function stats(xs)
  table.sort(xs)
  return xs[#xs], xs[(#xs + 1) // 2]
end
local cold, warm = {}, {}
for client, line in pairs(lines) do
  cold[#cold + 1] = ms(client .. ".") + ms(line, true)
end
for _ = 1, 20 do
  for client, line in pairs(lines) do
    warm[#warm + 1] = ms(client .. ".")
    warm[#warm + 1] = ms(line, true)
  end
end
local cmax, cmed = stats(cold)
local wmax, wmed = stats(warm)
print(string.format("%.2f %.2f %.3f %.3f", cmax, cmed, wmax, wmed))
LUA
)

cat > build/bench/repl.md <<MD
| what | median (ms) | worst (ms) | target |
|---|---|---|---|
| start to first prompt (pty, $runs runs) | $prompt_ms | | < 20 ms |
| completion, first use of each of 9 models (list operations + a parameter) | $cold_median | $cold_max | < 10 ms |
| completion, models loaded | $warm_median | $warm_max | < 10 ms |
MD
cat > build/bench/repl.json <<JSON
{"runs": $runs, "first_prompt_ms": $prompt_ms,
 "completion_cold_median_ms": $cold_median, "completion_cold_max_ms": $cold_max,
 "completion_warm_median_ms": $warm_median, "completion_warm_max_ms": $warm_max}
JSON
cat build/bench/repl.md
