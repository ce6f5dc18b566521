-- Progress output (stdlib/ui): one redrawn line on a terminal, timestamped
-- lines elsewhere, nothing with -q; and a real fgrun run with stderr in a file.
local ui = require "ui"

-- A stream that keeps what is written.
local function sink()
  local s = {text = ""}
  function s:write(...)
    for i = 1, select("#", ...) do self.text = self.text .. tostring(select(i, ...)) end
    return self
  end
  function s:flush() end
  return s
end

-- A clock the test moves.
local function fake_clock(t)
  local c = {t = t or 0}
  return c, function() return c.t end
end

local TIMESTAMP = "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ"

local function lines(text)
  local t = {}
  for l in text:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("ui", function()
  it("formats durations", function()
    assert.equal("0.4s", ui.duration(0.4))
    assert.equal("42s", ui.duration(42))
    assert.equal("2m05s", ui.duration(125))
    assert.equal("1h02m", ui.duration(3720))
  end)

  describe("progress on a terminal", function()
    it("redraws one line with what, elapsed and status, then leaves a verdict", function()
      local out, c, clock = sink(), fake_clock()
      local p = ui.progress("service web stable", {mode = "tty", stream = out, clock = clock})
      c.t = 12
      p:update("1/2 running, 1 pending")
      assert.matches("\r\27%[K", out.text)
      local last = out.text:match(".*\r\27%[K(.*)$")
      assert.matches("service web stable  12s  1/2 running, 1 pending$", last)
      c.t = 42
      p:done("2/2 running")
      assert.matches("\r\27%[K✓ service web stable %(42s%): 2/2 running\n$", out.text)
      p:update("more") -- after the end: nothing
      assert.matches("2/2 running\n$", out.text)
    end)

    it("keeps counting while it sleeps, and shows a bar for transfers", function()
      local out = sink()
      local fgrun = require "fgrun"
      local real_sleep, real_mono = fgrun.sleep, fgrun.monotonic
      local now = 0
      fgrun.sleep = function(s) now = now + s end
      fgrun.monotonic = function() return now end
      local ok, err = pcall(function()
        local p = ui.progress("push web:v7", {mode = "tty", stream = out})
        p:update("layer 2/3", 0.5)
        assert.matches("%[##########          %]  50%%  layer 2/3", out.text)
        local draws = select(2, out.text:gsub("\r", ""))
        p:sleep(3)
        assert.equal(draws + 3, select(2, out.text:gsub("\r", "")))
        assert.matches("push web:v7  3s  %[", out.text:match(".*\r\27%[K(.*)$"))
        p:fail("denied")
        assert.matches("✗ push web:v7 %(3s%): denied\n$", out.text)
      end)
      fgrun.sleep, fgrun.monotonic = real_sleep, real_mono
      assert(ok, err)
    end)

    it("cuts the line to the terminal's width", function()
      local out = sink()
      local p = ui.progress(string.rep("x", 200), {mode = "tty", stream = out})
      local last = out.text:match(".*\r\27%[K(.*)$")
      assert.is_true(utf8.len(last) <= require("ui.term").width() - 1)
      p:close()
      assert.matches("\r\27%[K$", out.text) -- closed without a verdict: the line is cleared
    end)

    it("puts notes above the line and redraws it", function()
      local out = sink()
      local p = ui.progress("deploy", {mode = "tty", stream = out})
      p:note("created the cluster")
      assert.matches("\r\27%[Kcreated the cluster\n\r\27%[K⠙ deploy", out.text)
      p:close()
    end)
  end)

  describe("progress elsewhere", function()
    it("writes a timestamped line per change of status", function()
      local out, c, clock = sink(), fake_clock()
      local p = ui.progress("load balancer web", {mode = "plain", stream = out, clock = clock})
      p:update("provisioning")
      c.t = 15
      p:update("provisioning") -- unchanged: no line
      c.t = 30
      p:update("active")
      p:done("active")
      local l = lines(out.text)
      assert.equal(4, #l)
      for _, line in ipairs(l) do assert.matches("^" .. TIMESTAMP .. " load balancer web: ", line) end
      assert.matches(": waiting$", l[1])
      assert.matches(": provisioning %(0s%)$", l[2])
      assert.matches(": active %(30s%)$", l[3])
      assert.matches(": done in 30s %(active%)$", l[4])
    end)

    it("shows a quick success as its verdict alone", function()
      local out, c, clock = sink(), fake_clock()
      local p = ui.progress("scan", {mode = "plain", stream = out, clock = clock})
      p:update("IN_PROGRESS")
      c.t = 1
      p:update("COMPLETE")
      p:done("COMPLETE")
      local l = lines(out.text)
      assert.equal(1, #l, out.text)
      assert.matches(": done in 1s %(COMPLETE%)$", l[1])
    end)

    it("shows a quick failure with what led to it", function()
      local out, c, clock = sink(), fake_clock()
      local p = ui.progress("scan", {mode = "plain", stream = out, clock = clock})
      p:update("IN_PROGRESS")
      c.t = 1
      p:fail("FAILED")
      local l = lines(out.text)
      assert.equal(3, #l, out.text)
      assert.matches(": waiting$", l[1])
      assert.matches(": failed after 1s: FAILED$", l[3])
    end)

    it("repeats an unchanged status after the heartbeat", function()
      local out, c, clock = sink(), fake_clock()
      local p = ui.progress("x", {mode = "plain", stream = out, clock = clock, heartbeat = 60})
      p:update("same")
      c.t = 59
      p:update("same")
      c.t = 61
      p:update("same")
      p:fail("gave up")
      local l = lines(out.text)
      assert.equal(4, #l)
      assert.matches(": same %(1m01s%)$", l[3])
      assert.matches(": failed after 1m01s: gave up$", l[4])
    end)

    it("takes an error leaving a <close> block as the verdict", function()
      local out = sink()
      local ok = pcall(function()
        local p <close> = ui.progress("image push", {mode = "plain", stream = out})
        p:update("layer 1/2")
        error("interrupted", 0)
      end)
      assert.is_false(ok)
      assert.matches("image push: failed after [%d.]+s: interrupted\n$", out.text)
    end)

    it("writes nothing in quiet mode", function()
      local out = sink()
      local p = ui.progress("x", {mode = "quiet", stream = out})
      p:update("a")
      p:note("b")
      p:done("c")
      assert.equal("", out.text)
    end)
  end)

  describe("a script run by fgrun", function()
    local fgrun_bin = os.getenv("FGRUN") or "build/fgrun"
    local script = os.tmpname()
    local err_file = os.tmpname()
    setup(function()
      local f = assert(io.open(script, "w"))
      f:write([[
local fake = dofile("tests/lib/fake_client.lua")
local elbv2 = fake.load("waiters/elbv2")
local client = fake.client({describe_load_balancers = {elbv2.provisioning, elbv2.active}}, "elbv2")
require("aws.waiter").wait(client, "load_balancer_available", {Names = {"web"}}, {delay = 0.05})
require("ui").note("load balancer %s is up", "web")
print("result")
]])
      f:close()
    end)
    teardown(function()
      os.remove(script)
      os.remove(err_file)
    end)

    local function run(flags)
      local p = io.popen(string.format("%s %s %s 2>%s", fgrun_bin, flags, script, err_file))
      local out = p:read("a")
      p:close()
      local f = assert(io.open(err_file))
      local err = f:read("a")
      f:close()
      return out, err
    end

    it("prints plain timestamped lines when stderr is a file", function()
      local out, err = run("")
      assert.equal("result\n", out)
      local l = lines(err)
      for _, line in ipairs(l) do assert.matches("^" .. TIMESTAMP .. " ", line) end
      -- a wait shorter than two seconds: its verdict alone; a longer one
      -- shows its start and each status before the verdict
      if #l == 2 then
        assert.matches("load_balancer_available Names=web: done in ", l[1])
      else
        assert.equal(5, #l, err)
        assert.matches("elbv2 load_balancer_available Names=web: waiting$", l[1])
        assert.matches("load_balancer_available Names=web: web: provisioning %(", l[2])
        assert.matches("load_balancer_available Names=web: web: active %(", l[3])
        assert.matches("load_balancer_available Names=web: done in ", l[4])
      end
      assert.matches("load balancer web is up$", l[#l])
      assert.is_nil(err:find("\27", 1, true))
    end)

    it("prints nothing with -q", function()
      local out, err = run("-q")
      assert.equal("result\n", out)
      assert.equal("", err)
    end)
  end)
end)
