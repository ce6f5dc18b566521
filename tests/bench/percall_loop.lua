-- bench-helper (run by percall_bench.sh and cold_bench.sh, not by itself).
-- BENCH_OP (ecs: DescribeServices, ec2: DescribeSubnets, sts:
-- GetCallerIdentity) called BENCH_CALLS times in one process, after one
-- warm-up call that loads the model and opens the connection; prints the
-- loop's wall and CPU seconds as JSON. BENCH_CALLS=0 is the baseline that
-- callgrind subtracts.
local json = require "json"
local fgrun = require "fgrun"
local aws = require "aws"

local calls = assert(tonumber(os.getenv("BENCH_CALLS") or "1000"), "BENCH_CALLS")
local op = os.getenv("BENCH_OP") or "ecs"

local ops = {
  ecs = function() return aws.ecs.describe_services { cluster = "bench", services = { "bench" } } end,
  ec2 = function() return aws.ec2.describe_subnets {} end,
  sts = function() return aws.sts.get_caller_identity {} end,
}
local call = assert(ops[op], "BENCH_OP: ecs, ec2 or sts")

call()
local profile = os.getenv("BENCH_PROFILE") == "1" and {}
if profile then
  -- A sample every 1000 VM instructions, by function: where the Lua side
  -- of a call goes (C functions do not count VM instructions).
  debug.sethook(function()
    local info = debug.getinfo(2, "S")
    local key = info and (info.short_src .. ":" .. info.linedefined) or "?"
    profile[key] = (profile[key] or 0) + 1
  end, "", 1000)
end
local wall0, cpu0 = fgrun.monotonic(), os.clock()
for _ = 1, calls do call() end
local wall, cpu = fgrun.monotonic() - wall0, os.clock() - cpu0
if profile then
  debug.sethook()
  local rows, total = {}, 0
  for key, n in pairs(profile) do rows[#rows + 1] = { key, n }; total = total + n end
  table.sort(rows, function(a, b) return a[2] > b[2] end)
  for i = 1, math.min(25, #rows) do
    io.stderr:write(string.format("%5.1f%%  %s\n", rows[i][2] / total * 100, rows[i][1]))
  end
end
print(json.encode { op = op, calls = calls, wall_s = wall, cpu_s = cpu })
