-- Plans (stdlib/fg/plan.lua, fg/planner.lua, fg/deployment.lua in plan
-- mode) on steps whose "AWS" is a Lua table: what each step would do, the
-- values known after apply, drift and its repair by a run, the document
-- diff, steps no longer declared, and that a plan writes nothing.
local deployment = require "fg.deployment"
local plan = require "fg.plan"
local fgrun = require "fgrun"
local json = require "json"

local output = dofile("tests/lib/captured_output.lua")
local dir
before_each(function()
  output.start()
  dir = output.dir
end)
after_each(function()
  output.stop()
  fgrun.exit_status(0) -- a plan sets it; the spec run must not exit 2
end)

local function journal_text()
  local f = io.open(dir .. "/app.json")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

-- A fake cloud: resources by name, each a table of fields.
local cloud
before_each(function() cloud = { made = 0, calls = {} } end)

-- A step that keeps one resource in `cloud` with fields retention and size;
-- drift compares what cloud holds with the inputs.
local function resource(d, name, inputs)
  return d:step(name, {
    inputs = inputs,
    create = function(i)
      cloud.made = cloud.made + 1
      cloud[name] = { retention = i.retention, size = i.size, arn = "arn:" .. name .. ":" .. cloud.made }
      return { arn = cloud[name].arn, name = name }
    end,
    update = function(i, r)
      cloud.calls[#cloud.calls + 1] = "update " .. name
      cloud[name].retention, cloud[name].size = i.retention, i.size
      return r
    end,
    drift = function(i, r)
      local live = cloud[name]
      if not live or live.arn ~= r.arn then return nil end
      local changes = {}
      for _, f in ipairs({ "retention", "size" }) do
        if live[f] ~= i[f] then
          changes[#changes + 1] = { field = f, old = live[f], new = i[f], forces_replacement = false, drift = true }
        end
      end
      return changes
    end,
    document = function(i) return { Retention = i.retention, Size = i.size, Name = name } end,
    live_document = function() return cloud[name] and { Retention = cloud[name].retention, Size = cloud[name].size,
                                                         Name = name, Arn = cloud[name].arn } end,
    undo = function() return {} end, -- nothing in AWS: a journal's undo would be checked there
    id = function(r) return r.name end,
  })
end

local function deploy(opts, body)
  local d = deployment.new("app", { state = dir, plan = opts.plan, destroy = opts.destroy })
  body(d)
  d:finish(true)
  return d
end

local function steps_of(d)
  local out = {}
  for _, s in ipairs(d.plan:json().steps) do out[#out + 1] = s.name .. ":" .. s.action end
  return table.concat(out, " ")
end

describe("a plan", function()
  it("of a fresh deployment creates every step, gives unknown values to later steps, writes nothing", function()
    local seen
    local d = deploy({ plan = true }, function(d)
      local suffix = d:value("suffix", function() error("a plan makes no value") end)
      local a = resource(d, "a", { retention = 7, size = 1, name = "a-" .. suffix })
      seen = a.arn
      resource(d, "b", { retention = 7, size = 1, parent = a.arn })
    end)
    assert.are.equal("a:create b:create", steps_of(d))
    assert.are.equal(plan.UNKNOWN, seen)
    local b = d.plan:json().steps[2]
    local parent
    for _, c in ipairs(b.changes) do if c.field == "parent" then parent = c.new end end
    assert.are.equal(plan.UNKNOWN, parent)
    assert.are.equal("a-(known after apply)", d.plan.steps[1].id)
    assert.is_nil(journal_text(), "no journal")
    assert.are.equal(0, cloud.made)
    assert.is_true(d.plan:has_changes())
  end)

  it("of an unchanged deployment says no changes and leaves the journal as it was", function()
    deploy({}, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    local before = journal_text()
    local d = deploy({ plan = true }, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    assert.are.equal("a:unchanged", steps_of(d))
    assert.is_false(d.plan:has_changes())
    assert.matches("app: no changes", output.text())
    assert.are.equal(before, journal_text())
  end)

  it("lists the fields an update changes, with the document's unified diff, and the run then makes it", function()
    deploy({}, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    local p = deploy({ plan = true }, function(d) resource(d, "a", { retention = 14, size = 1 }) end)
    local s = p.plan:json().steps[1]
    assert.are.equal("update", s.action)
    assert.are.same({ { field = "retention", old = 7, new = 14, forces_replacement = false } }, s.changes)
    assert.are.same({ "--- AWS now", "+++ after the run", "@@ -1,5 +1,5 @@", " {", '   "Name": "a",',
                      '-  "Retention": 7,', '+  "Retention": 14,', '   "Size": 1', " }" }, s.diff)
    assert.are.same({}, cloud.calls, "the plan called nothing")
    deploy({}, function(d) resource(d, "a", { retention = 14, size = 1 }) end)
    assert.are.same({ "update a" }, cloud.calls)
    assert.are.equal(14, cloud.a.retention)
  end)

  it("shows drift, which the next run repairs", function()
    deploy({}, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    cloud.a.retention = 30
    local p = deploy({ plan = true }, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    local s = p.plan:json().steps[1]
    assert.are.same({ "update", "changed outside fgrun", 30, 7, true },
                    { s.action, s.note, s.changes[1].old, s.changes[1].new, s.changes[1].drift })
    local run = deploy({}, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    assert.are.equal(7, cloud.a.retention)
    assert.are.same({ "updated", "a (changed outside fgrun: retention)" },
                    { run.report.lines[1].action, run.report.lines[1].id })
    p = deploy({ plan = true }, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    assert.are.equal("a:unchanged", steps_of(p))
  end)

  it("creates again what was deleted behind fgrun's back; removes what the recipe no longer declares", function()
    deploy({}, function(d)
      resource(d, "a", { retention = 7, size = 1 })
      resource(d, "b", { retention = 7, size = 1 })
      resource(d, "c", { retention = 7, size = 1 })
    end)
    cloud.a = nil
    local d = deploy({ plan = true }, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    assert.are.equal("a:create c:remove b:remove", steps_of(d))
    assert.matches("deleted outside fgrun", d.plan.steps[1].note)
    assert.matches("no longer declared", d.plan.steps[2].note)
  end)

  it("--plan --destroy lists every step newest first and removes nothing", function()
    deploy({}, function(d)
      resource(d, "a", { retention = 7, size = 1 })
      resource(d, "b", { retention = 7, size = 1 })
    end)
    local before = journal_text()
    local p = deployment.new("app", { state = dir, plan = true, destroy = true })
    resource(p, "a", { retention = 7, size = 1 })
    resource(p, "b", { retention = 7, size = 1 })
    p:finish(true)
    assert.are.equal("b:remove a:remove", steps_of(p))
    assert.are.equal(before, journal_text())
    assert.is_truthy(cloud.a and cloud.b)
  end)

  it("prints JSON with --json", function()
    local options = fgrun.options
    options.json = true
    local ok, err = pcall(deploy, { plan = true }, function(d) resource(d, "a", { retention = 7, size = 1 }) end)
    options.json = false
    assert(ok, err)
    local doc = json.decode(output.text())
    assert.are.same({ "app", true, 1, "create" },
                    { doc.deployment, doc.changes, doc.summary.create, doc.steps[1].action })
  end)
end)
