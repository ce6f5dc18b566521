-- bench-helper: the Lua benchmarks' clock. time_us(fn[, min_seconds]) ->
-- microseconds per call of fn, repeated (doubling) until min_seconds
-- (default 0.2) have passed; fgrun's monotonic clock, os.clock without fgrun.
--   local time_us = dofile("tests/bench/time_us.lua")
local has_fgrun, fgrun = pcall(require, "fgrun")
local clock = has_fgrun and fgrun.monotonic or os.clock

return function(fn, min_seconds)
  min_seconds = min_seconds or 0.2
  fn()
  local n = 1
  while true do
    local start = clock()
    for _ = 1, n do fn() end
    local elapsed = clock() - start
    if elapsed >= min_seconds then return elapsed / n * 1e6 end
    n = n * 2
  end
end
