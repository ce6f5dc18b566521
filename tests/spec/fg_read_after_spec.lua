-- d:read and d:after_deploy (stdlib/fg/deployment.lua): code between
-- steps that runs the same for a deploy, a destroy and an action, and
-- checks that never roll back. Steps here make nothing in AWS.
local deployment = require "fg.deployment"
local fgrun = require "fgrun"
local json = require "json"

local output = dofile("tests/lib/captured_output.lua")
local dir
before_each(function()
  output.start()
  dir = output.dir
end)
after_each(output.stop)

local function journal()
  local f = assert(io.open(dir .. "/app.json"))
  local data = json.decode(f:read("a"))
  f:close()
  return data
end

local function step(d, name, made)
  return d:step(name, { inputs = { n = 1 }, create = function() made[#made + 1] = name return { id = name } end,
                        undo = function() return {} end })
end

describe("d:read", function()
  it("calls while deploying and keeps the value; destroy and actions get it without calling", function()
    local calls = 0
    local function look() calls = calls + 1 return { vpc = "vpc-" .. calls } end
    local d = deployment.new("app", { state = dir })
    assert.are.same({ vpc = "vpc-1" }, d:read("network", look))
    step(d, "one", {})
    d:finish(true)
    assert.are.same({ vpc = "vpc-1" }, journal().reads.network)

    local inspect = deployment.new("app", { state = dir, inspect = true })
    assert.are.same({ vpc = "vpc-1" }, inspect:read("network", look))
    local destroy = deployment.new("app", { state = dir, destroy = true })
    assert.are.same({ vpc = "vpc-1" }, destroy:read("network", look))
    assert.are.equal(1, calls, "neither the action nor the destroy looked again")
    destroy:close(false)

    local again = deployment.new("app", { state = dir })
    assert.are.same({ vpc = "vpc-2" }, again:read("network", look), "a deploy looks again")
    assert.are.same({ vpc = "vpc-2" }, journal().reads.network, "and records a new answer at once")
    again:finish(true)
  end)

  it("ends a destroy (nothing after it was made) when the value was never recorded", function()
    local d = deployment.new("app", { state = dir })
    step(d, "one", {})
    d:finish(true)
    local destroy = deployment.new("app", { state = dir, destroy = true })
    local ok, err = pcall(destroy.read, destroy, "later", function() error("not called") end)
    assert.is_false(ok)
    assert.are.equal(deployment.STOP, err)
    destroy:close(false)
  end)

  it("refuses a value that is not plain data, or that looks like a secret", function()
    local d = deployment.new("app", { state = dir })
    assert.has_error(function() d:read("f", function() return { f = print } end) end)
    local ok, err = pcall(d.read, d, "x", function() return { password = "hunter2" } end)
    assert.is_false(ok)
    assert.matches("looks like a secret", err)
    d:close(true)
  end)
end)

describe("d:after_deploy", function()
  it("runs after the deploy is recorded; its errors roll nothing back", function()
    local d = deployment.new("app", { state = dir })
    local made, seen = {}, {}
    step(d, "one", made)
    d:after_deploy(function() seen[#seen + 1] = journal().steps[1].status error("a check failed") end)
    d:after_deploy(function() seen[#seen + 1] = "second ran" end)
    local ok, err = pcall(d.finish, d, true)
    assert.is_true(ok, tostring(err))
    assert.are.same({ "done", "second ran" }, seen)
    assert.matches("after the deploy: .*a check failed", output.text())
    assert.are.equal("done", journal().steps[1].status, "the step stays")
  end)

  it("does not run for a failed deploy or a destroy", function()
    local d = deployment.new("app", { state = dir })
    local ran = false
    step(d, "one", {})
    d:after_deploy(function() ran = true end)
    d:finish(false, "boom", "boom")
    assert.is_false(ran)
  end)
end)

describe("fg.check", function()
  local check = require "fg.check"
  it("reports a result or why it could not check, and never raises", function()
    fgrun.quiet = false
    assert.is_true((check.run("service", function() return "3/3 running" end)))
    local ok = check.run("GET /", function() error({ code = "Timeout", message = "no answer in 5 s" }, 0) end)
    assert.is_false(ok)
    check.run("hostname", function() local body = {} return body.container.hostname end)
    check.run("log", function() return "evil \27]2;title\7" end)
    local text = output.text()
    assert.matches("  service: 3/3 running\n", text, 1, true)
    assert.matches("  GET /: not checked (no answer in 5 s)\n", text, 1, true)
    assert.matches("  hostname: not checked %(.*attempt to index", text)
    assert.matches("  log: evil \\x1b]2;title\\x07\n", text, 1, true)
  end)
end)
