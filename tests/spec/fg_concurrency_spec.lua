-- The pieces of concurrent deployments: a step's pending result
-- (stdlib/fg/pending.lua) and removal in reverse dependency order
-- (stdlib/fg/order.lua), on the task loop (stdlib/async.lua).
local async = require "async"
local json = require "json"
local pending = require "fg.pending"
local order = require "fg.order"

describe("fg.pending", function()
  after_each(function() async.cancel_all() end)

  it("reads like the result once known, waiting for it before, and reports every read", function()
    local future = async.future()
    local reads = {}
    local p = pending.new("lb", future, function(name) reads[#reads + 1] = name end)
    async.spawn(function() async.sleep(0.05) future:set({ arn = "arn:lb", zones = { "a", "b" } }) end)
    assert.equal("arn:lb", p.arn)            -- waits for the task
    assert.equal(2, #p.zones)
    local keys = {}
    for k in pairs(p) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.same({ "arn", "zones" }, keys)
    assert.same({ "lb", "lb", "lb" }, reads)
    assert.has_error(function() p.arn = "x" end, "the result of step lb cannot be changed")
    assert.is_true(pending.is_pending(p))
    assert.equal("lb", pending.name(p))
  end)

  it("raises the step's error at the read", function()
    local future = async.future()
    local p = pending.new("role", future)
    future:fail({ code = "AccessDenied" })
    local ok, err = pcall(function() return p.arn end)
    assert.is_false(ok)
    assert.equal("AccessDenied", err.code)
  end)

  it("gives a step never started a result whose every read raises the given value", function()
    local STOP = {}
    local p = pending.missing("service", STOP)
    local ok, err = pcall(function() return p.name end)
    assert.is_false(ok)
    assert.equal(STOP, err)
  end)

  it("resolves proxies inside inputs, keeping the tables without any and the JSON marks", function()
    local future = async.future()
    future:set({ id = "sg-1" })
    local group = pending.new("group", future)
    local plain = { a = 1, list = json.array({ 1, 2 }) }
    assert.equal(plain, pending.resolve(plain))
    local inputs = { name = "x", groups = json.array({ group }), nested = { g = group } }
    local r = pending.resolve(inputs)
    assert.same({ id = "sg-1" }, r.groups[1])
    assert.equal(json.array_mt, getmetatable(r.groups))
    assert.same({ id = "sg-1" }, r.nested.g)
    assert.is_true(pending.is_pending(inputs.groups[1])) -- the recipe's table is left as it was
    assert.equal('{"groups":[{"id":"sg-1"}],"name":"x","nested":{"g":{"id":"sg-1"}}}',
      json.encode(r, { sort_keys = true }))
  end)
end)

describe("fg.order", function()
  after_each(function() async.cancel_all() end)

  -- Runs order.reverse over entries; each removal takes `slow[name]` s
  -- (default 0.05). Returns {name = {start, finish}} and the order of ends.
  local function run(entries, slow, fail)
    local fgrun = require "fgrun"
    local t0, times, ends = fgrun.monotonic(), {}, {}
    local ok, err = pcall(order.reverse, entries, function(e)
      times[e.name] = { fgrun.monotonic() - t0 }
      async.sleep((slow or {})[e.name] or 0.05)
      if fail == e.name then error("cannot remove " .. e.name, 0) end
      times[e.name][2] = fgrun.monotonic() - t0
      ends[#ends + 1] = e.name
    end)
    return times, ends, ok, err
  end

  it("removes an entry only after every entry that read it, independent ones at once", function()
    local entries = {
      { name = "group", after = {} }, { name = "role", after = {} }, { name = "lb", after = { "group" } },
      { name = "listener", after = { "lb" } }, { name = "rule", after = { "group", "role" } },
      { name = "logs", after = {} },
    }
    local times = run(entries, { lb = 0.2 })
    local function before(a, b) assert.is_true(times[a][2] <= times[b][1] + 1e-6, a .. " before " .. b) end
    before("listener", "lb")
    before("lb", "group")
    before("rule", "group")
    before("rule", "role")
    -- the independent ones did not wait for the slow load balancer
    assert.is_true(times.logs[2] < times.lb[2])
    assert.is_true(times.role[2] < times.lb[2])
  end)

  it("removes the entries of an older journal (no after) newest first, one at a time", function()
    local _, ends = run({ { name = "a" }, { name = "b" }, { name = "c" } })
    assert.same({ "c", "b", "a" }, ends)
  end)

  it("starts nothing more after a failure, and raises it once the running ones end", function()
    local entries = { { name = "group", after = {} }, { name = "lb", after = { "group" } },
                      { name = "logs", after = {} } }
    local times, ends, ok, err = run(entries, { logs = 0.2 }, "lb")
    assert.is_false(ok)
    assert.equal("cannot remove lb", err)
    assert.is_nil(times.group)                   -- never started
    assert.same({ "logs" }, ends)                -- the running one was let finish
  end)
end)

describe("fg.journal saved from several tasks", function()
  after_each(function() async.cancel_all() end)

  it("never overlaps its writes, and each save ends after a write that includes its change", function()
    local journal = require "fg.journal"
    local in_flight, most, writes = 0, 0, {}
    -- a store whose write takes time and yields, as the S3 store's does
    local store = {
      where = function(_, id) return "spec:" .. id end,
      read = function() return nil end,
      write = function(_, _, text)
        in_flight = in_flight + 1
        most = math.max(most, in_flight)
        async.sleep(0.05)
        writes[#writes + 1] = json.decode(text).values
        in_flight = in_flight - 1
        return true
      end,
    }
    local j = journal.open(store, "spec")
    local seen, tasks = {}, {}
    for i = 1, 4 do
      tasks[i] = async.spawn(function()
        async.sleep(0.01 * i)
        j.data.values["k" .. i] = i
        j:save()
        seen[i] = writes[#writes]["k" .. i] -- the last write holds this task's change
      end)
    end
    for _, t in ipairs(tasks) do async.await(t) end
    assert.equal(1, most)
    assert.same({ 1, 2, 3, 4 }, seen)
    assert.same({ k1 = 1, k2 = 2, k3 = 3, k4 = 4 }, writes[#writes])
    assert.is_true(#writes < 4) -- changes made meanwhile went into one write
  end)
end)
