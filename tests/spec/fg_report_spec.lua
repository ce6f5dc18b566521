-- The deployment report (stdlib/fg/report.lua): the critical path through
-- the steps' spans and the timeline of the summary.
local report = require "fg.report"

local function span(step, start, ready, finish, after)
  return { step = step, start = start, ready = ready, ["end"] = finish, after = after or {} }
end

local function names(path)
  local t = {}
  for i, s in ipairs(path) do t[i] = s.step end
  return t
end

describe("fg.report", function()
  it("follows the critical path back from the step that ended last, through what gated each start", function()
    local spans = {
      span("alb_sg", 0, 0.2, 0.2),
      span("repository", 0, 0.1, 0.1),
      span("load_balancer", 0.2, 0.5, 180, { "alb_sg" }),  -- provisions in the background
      span("task_definition", 0.1, 0.3, 0.3, { "repository" }),
      span("listener", 0.5, 0.6, 0.6, { "load_balancer" }),
      span("service", 0.6, 0.9, 200, { "listener", "task_definition" }),
      span("scaling", 0.9, 1.0, 1.0, { "service" }),
    }
    assert.same({ "alb_sg", "load_balancer", "listener", "service" }, names(report.critical_path(spans)))
  end)

  it("goes through the end of the wait a step waited for (ready = {steps}), not its result", function()
    -- the HTTPS listener reads its certificate's ARN (known at 0.3) and
    -- the load balancer's (known at 0.5), and waits for the certificate to
    -- be ISSUED (its background wait ends at 120)
    local listener = span("https_listener", 120, 120.1, 120.1, { "certificate", "load_balancer", "target_group" })
    local spans = {
      span("alb_sg", 0, 0.2, 0.2),
      span("certificate", 0, 0.3, 120),
      span("load_balancer", 0.2, 0.5, 0.5, { "alb_sg" }),
      span("target_group", 0, 0.1, 0.1),
      listener,
      span("dns_record", 120.1, 120.2, 121, { "https_listener" }),
    }
    listener.settled = { "certificate" }
    assert.same({ "certificate", "https_listener", "dns_record" }, names(report.critical_path(spans)))
    -- read as results only, the load balancer's came last
    listener.settled = nil
    assert.same({ "alb_sg", "load_balancer", "https_listener", "dns_record" }, names(report.critical_path(spans)))
  end)

  it("has an empty path without spans, and ignores steps it does not know", function()
    assert.same({}, report.critical_path({}))
    assert.same({ "b" }, names(report.critical_path({ span("b", 1, 2, 2, { "gone" }) })))
  end)

  it("ends the summary with the timeline and the critical path", function()
    local fgrun = require "fgrun"
    local real_stdout, real_mono = io.stdout, fgrun.monotonic
    local now = 100
    fgrun.monotonic = function() return now end
    local text = ""
    io.stdout = { write = function(self, ...) text = text .. table.concat({ ... }) return self end, -- luacheck: ignore 122
                  flush = function() end }
    local ok, err = pcall(function()
      local r = report.new("web", nil)
      r:span("alb_sg", 100, 100.2, 100.2, {})
      r:span("load_balancer", 100.2, 100.5, 160, { "alb_sg" })
      r:span("repository", 100, 100.1, 100.1, {})
      now = 160
      r:summary("deployed", { url = "http://x" })
    end)
    io.stdout, fgrun.monotonic = real_stdout, real_mono -- luacheck: ignore 122
    assert(ok, err)
    assert.matches("web deployed: nothing to do in 60.0 s\n  url: http://x\ntimeline", text)
    assert.matches("\n  %* alb_sg +0s → 0.2s +|█ +|\n", text)
    assert.matches("\n    repository +0s → 0.1s +|", text)
    assert.matches("\n  %* load_balancer +0.2s → 1m00s +|" .. string.rep("█", 30) .. "|\n", text)
    assert.matches("critical path: alb_sg → load_balancer, 1m00s of the 1m00s\n$", text)
  end)
end)
