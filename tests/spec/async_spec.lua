-- The task scheduler (stdlib/async.lua) and its HTTP transfers
-- (runtime/net/multi.c) against the loopback stub (tests/lib/aws_stub.py,
-- whose /__do/stall:S answers after S seconds, each request on its own).
-- Overlap is judged by ratios of elapsed time to the sum of the delays,
-- not by absolute times.
local async = require "async"
local fgrun = require "fgrun"
local multi_mod = require "net.multi"
local sandbox = dofile("tests/lib/sandbox.lua")

local FGRUN, slurp = sandbox.FGRUN, sandbox.slurp
local box = sandbox.new()
local tmp = box.tmp
local url

lazy_setup(function() url = "http://" .. box.server("tests/lib/aws_stub.py") end)
lazy_teardown(function() box.close() end)

local function get(path)
  return { method = "GET", url = url .. path, headers = {} }
end

local function stall(seconds)
  return get("/__do/stall:" .. seconds)
end

-- A client of a json-protocol service whose endpoint is the stub.
local function stub_client(opts)
  local file = tmp .. "/credentials"
  local f = assert(io.open(file, "w"))
  f:write("[stub]\naws_access_key_id = AKIDSTUB\naws_secret_access_key = stub\n")
  f:close()
  local o = { region = "us-east-1", endpoint_url = url, max_attempts = 3, retry_base_delay = 0.01,
              credentials = require("aws.creds").from_file(file, "stub") }
  for k, v in pairs(opts or {}) do o[k] = v end
  return require("aws").client("ecs", o)
end

local function script(actions)
  local control = require("net.http").new()
  local body = require("json").encode(actions)
  local status = control:request{ method = "POST", url = url .. "/__script", headers = {}, body = body }
  assert.equal(200, status)
end

describe("async", function()
  after_each(function() async.cancel_all() end)

  it("runs several transfers at once on one thread", function()
    local n, delay = 6, 0.4
    local started = fgrun.monotonic()
    local tasks = {}
    for i = 1, n do
      tasks[i] = async.spawn(function() return async.request(stall(delay)) end, "call " .. i)
    end
    for i = 1, n do assert.equal(200, (async.await(tasks[i]))) end
    local ratio = (fgrun.monotonic() - started) / (n * delay)
    assert.is_true(ratio < 0.5, ("elapsed / sum of delays = %.2f"):format(ratio))
    assert.is_false(async.active())
  end)

  it("overlaps AWS calls made through the client, the transport's retries included", function()
    local ecs = stub_client()
    require("net.http").new():request{ method = "GET", url = url .. "/__log", headers = {} }
    script({ "stall:0.4", "stall:0.4", "503", "stall:0.4", "stall:0.4" })
    local started = fgrun.monotonic()
    local tasks = {}
    for i = 1, 4 do tasks[i] = async.spawn(function() return ecs.list_clusters{} end, "list " .. i) end
    for i = 1, 4 do assert.equal("table", type(async.await(tasks[i]))) end
    local ratio = (fgrun.monotonic() - started) / (4 * 0.4)
    local _, _, log = require("net.http").new():request{ method = "GET", url = url .. "/__log", headers = {} }
    local seen = 0
    for _, r in ipairs(require("json").decode(log).requests) do
      if r.path == "/" then seen = seen + 1 end
    end
    assert.equal(5, seen) -- four calls, one of them retried after its 503
    assert.is_true(ratio < 0.6, ("elapsed / sum of delays = %.2f"):format(ratio))
  end)

  it("lets the main thread's own call run while tasks are in flight", function()
    local started = fgrun.monotonic()
    local background = async.spawn(function() return async.request(stall(0.5)) end, "background")
    assert.is_true(async.active())
    local status = require("aws.transport.http_pool").request(stall(0.5))
    assert.equal(200, status)
    async.await(background)
    local ratio = (fgrun.monotonic() - started) / 1.0
    assert.is_true(ratio < 0.8, ("elapsed / sum of delays = %.2f"):format(ratio))
  end)

  it("sleeps in tasks without holding each other up", function()
    local started = fgrun.monotonic()
    local order = {}
    local tasks = {}
    for i, d in ipairs({ 0.3, 0.1, 0.2 }) do
      tasks[i] = async.spawn(function() async.sleep(d) order[#order + 1] = d end)
    end
    for _, t in ipairs(tasks) do async.await(t) end
    assert.same({ 0.1, 0.2, 0.3 }, order)
    local ratio = (fgrun.monotonic() - started) / 0.6
    assert.is_true(ratio < 0.8, ("elapsed / sum of sleeps = %.2f"):format(ratio))
  end)

  it("gives a task's results and errors to whoever awaits it", function()
    local ok_task = async.spawn(function() return 1, nil, 3 end)
    local bad = async.spawn(function() error({ code = "Boom" }, 0) end, "bad", { quiet = true })
    local a, b, c = async.await(ok_task)
    assert.same({ 1, nil, 3 }, { a, b, c })
    local ok, err = pcall(async.await, bad)
    assert.is_false(ok)
    assert.equal("Boom", err.code)
  end)

  it("maps independent calls together, in order, raising the first error once all have ended", function()
    local n, delay = 4, 0.4
    local started = fgrun.monotonic()
    local out = async.map({ 1, 2, 3, 4 }, function(x, i) return x * 10 + i, async.request(stall(delay)) end)
    assert.same({ 11, 22, 33, 44 }, out)
    assert.is_true((fgrun.monotonic() - started) / (n * delay) < 0.5, "together")
    local ended = {}
    local ok, err = pcall(async.map, { 0.3, 0.1, 0.2 }, function(d, i)
      async.sleep(d)
      ended[#ended + 1] = i
      if i > 1 then error("item " .. i, 0) end
    end)
    assert.is_false(ok)
    assert.equal("item 2", err)
    assert.same({ 2, 3, 1 }, ended) -- all ended first
    assert.is_false(async.active())
    assert.same({ 7 }, async.map({ 7 }, function(x) return x end)) -- one item: no task
  end)

  it("raises an error no one awaits in the main thread at its next blocking point", function()
    async.spawn(function() async.sleep(0.05) error("step failed", 0) end, "failing")
    local slow = async.spawn(function() async.sleep(5) end, "slow")
    local started = fgrun.monotonic()
    local ok, err = pcall(async.sleep, 3)
    assert.is_false(ok)
    assert.equal("step failed", err)
    assert.is_true(fgrun.monotonic() - started < 1)
    assert.is_false(slow.done)
  end)

  it("gives a service's error to the task that made the call", function()
    local ecs = stub_client()
    local t = async.spawn(function() return ecs.list_clusters{} end)
    script({ "denied" })
    local ok, err = pcall(async.await, t)
    assert.is_false(ok)
    assert.equal("AccessDeniedException", err.code)
  end)

  it("lets the calls in flight end (AWS acts on them anyway), then cancels every task", function()
    local closed = false
    local t = async.spawn(function()
      local _ <close> = setmetatable({}, { __close = function() closed = true end })
      return async.request(stall(3))
    end)
    async.sleep(0.2) -- the transfer is under way
    local before = fgrun.monotonic()
    async.cancel_all()
    assert.is_true(fgrun.monotonic() - before > 2.5, "cancel_all returned before the answer came")
    assert.is_true(closed)
    assert.is_true(t.done)
    assert.is_false(async.active())
    -- the loop works again afterwards
    local again = async.spawn(function() return async.request(get("/__do/ok")) end)
    assert.equal(200, (async.await(again)))
  end)

  it("says so when the main thread waits for something no task can bring", function()
    local blocked = async.spawn(function() coroutine.yield() end)
    local ok, err = pcall(async.await, blocked)
    assert.is_false(ok)
    assert.matches("every task is blocked", err)
  end)

  it("takes the plain blocking path when no task is alive", function()
    assert.is_false(async.active())
    local started = fgrun.monotonic()
    async.sleep(0.1)
    assert.is_true(fgrun.monotonic() - started >= 0.1)
    local status = require("aws.transport.http_pool").request(get("/__do/ok"))
    assert.equal(200, status)
  end)
end)

describe("net.multi", function()
  it("reports each transfer when it ends, and its result once", function()
    local m = multi_mod.new()
    local slow, quick = m:start(stall(0.3)), m:start(get("/__do/ok"))
    assert.equal(2, m:active())
    local seen = {}
    while m:active() > 0 do
      for _, t in ipairs(m:poll(1)) do seen[#seen + 1] = t end
    end
    assert.equal(quick, seen[1])
    assert.equal(slow, seen[2])
    assert.equal(200, (quick:result()))
    assert.has_error(function() quick:result() end, "http transfer: result already taken")
    m:close()
  end)

  it("cancels a transfer that is closed, and answers errors as conn:request does", function()
    local m = multi_mod.new()
    local t = m:start(stall(3))
    m:poll(0.1)
    t:close()
    assert.equal(0, m:active())
    assert.is_true(t:done())
    local refused = m:start{ method = "GET", url = "http://127.0.0.1:9/", headers = {} }
    while not refused:done() do m:poll(1) end
    local status, message, kind = refused:result()
    assert.is_nil(status)
    assert.matches("connect", message)
    assert.equal("connection", kind)
    assert.has_error(function() m:start{ method = "GET", url = url, headers = { ["a\nb"] = "x" } } end)
    m:close()
    assert.has_error(function() m:active() end, "http multi handle is closed")
  end)
end)

describe("async in a process", function()
  -- Runs `code` in a child fgrun; signal: sent 0.5 s after the start.
  local function child(code, signal)
    local cmd = ("AWS_ENDPOINT_URL=%s %s -e '%s' >%s/out 2>&1 & pid=$!; sleep 0.5; kill -%s $pid; "
      .. "start=$(date +%%s.%%N); wait $pid; rc=$?; end=$(date +%%s.%%N); "
      .. "echo \"$rc $(echo \"$end - $start\" | bc)\""):format(url, FGRUN, code, tmp, signal)
    local rc, took = slurp(cmd):match("^(%d+) ([%d.]+)")
    local f = io.open(tmp .. "/out")
    local out = f:read("a")
    f:close()
    return tonumber(rc), tonumber(took), out
  end

  local CODE = [[
local async = require "async"
local function stall() return async.request{method = "GET", url = os.getenv("AWS_ENDPOINT_URL") .. "/__do/stall:20", headers = {}} end
for i = 1, 4 do async.spawn(stall, "call " .. i) end
async.spawn(function() async.sleep(30) end, "sleeper")
async.wait_all()
]]

  it("ends promptly on SIGINT with every transfer in flight", function()
    local rc, took, out = child(CODE, "INT")
    assert.equal(130, rc)
    assert.is_true(took < 1.5, "took " .. tostring(took))
    assert.matches("interrupted", out)
  end)

  it("ends promptly on SIGTERM too", function()
    local rc, took = child(CODE, "TERM")
    assert.equal(130, rc)
    assert.is_true(took < 1.5, "took " .. tostring(took))
  end)
end)
