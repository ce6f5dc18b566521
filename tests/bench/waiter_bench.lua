-- Waiter timings: the cost of one poll's evaluation (acceptors, JMESPath,
-- status text) on recorded answers, and how long a wait takes to return
-- after its condition starts to hold (at most its delay plus one poll).
-- Prints a Markdown table; writes build/bench/waiter.json.
--
--   build/fgrun tests/bench/waiter_bench.lua
local json = require "json"
local fgrun = require "fgrun"
local waiter = require "aws.waiter"
local fake = dofile("tests/lib/fake_client.lua")

local time_us = dofile("tests/bench/time_us.lua")

local ecs = fake.load("waiters/ecs")
local elbv2 = fake.load("waiters/elbv2")

-- The recorded stable service with 100 events, as a long-lived service has.
local big = json.decode(json.encode(ecs.stable))
local events = {}
for i = 1, 100 do
  events[i] = {id = "e" .. i, createdAt = "2026-11-26T12:00:00Z",
               message = "(service web) has reached a steady state."}
end
big.services[1].events = json.array(events)

local quiet = {progress = false}
local results = {}

local function bench(name, service, waiter_name, op, answer, params)
  local client = fake.client({[op] = {answer}}, service)
  results[#results + 1] = {name = name, us = time_us(function()
    waiter.wait(client, waiter_name, params, quiet)
  end)}
end

bench("services_stable, 1 service, 100 events", "ecs", "services_stable", "describe_services", big,
      {cluster = "prod", services = {"web"}})
bench("load_balancer_available", "elbv2", "load_balancer_available", "describe_load_balancers",
      elbv2.active, {Names = {"web"}})
bench("target_in_service, 2 targets", "elbv2", "target_in_service", "describe_target_health",
      elbv2.targets_healthy, {TargetGroupArn = "arn:tg"})

-- Latency: the condition holds from `at` seconds on; the wait polls every `delay`.
local delay, at = 0.2, 0.5
local start = fgrun.monotonic()
local client = {model = function() return {name = "elbv2"} end,
  describe_load_balancers = function()
    return fgrun.monotonic() - start >= at and elbv2.active or elbv2.provisioning
  end}
waiter.wait(client, "load_balancer_available", {}, {delay = delay, progress = false})
local late = fgrun.monotonic() - start - at

print("| waiter poll (no network) | µs |")
print("|---|---:|")
for _, r in ipairs(results) do print(string.format("| %s | %.1f |", r.name, r.us)) end
print(string.format("\nreturned %.3fs after the condition held (delay %.1fs)", late, delay))

os.execute("mkdir -p build/bench")
local f = assert(io.open("build/bench/waiter.json", "w"))
f:write(json.encode({polls = results, return_after_condition_s = late, delay_s = delay}, {indent = 2}), "\n")
f:close()
assert(late <= delay + 0.05, "a wait must return within one delay of its condition holding")
