-- A rollback of an update (stdlib/fg/deployment.lua): the reverted entry
-- reads again what its previous inputs named, so --destroy removes it
-- before them (a blue/green service back on the test listener rule the
-- failed update had dropped). Steps here make nothing in AWS.
local deployment = require "fg.deployment"
local json = require "json"

local output = dofile("tests/lib/captured_output.lua")
before_each(output.start)
after_each(output.stop)

-- the journal's entry of a step, as on disk
local function entry(name)
  local f = assert(io.open(output.dir .. "/app.json"))
  local steps = json.decode(f:read("a")).steps
  f:close()
  for _, e in ipairs(steps) do
    if e.name == name then return e end
  end
end

-- rule: a resource the service may name; service: fails to take `bad`,
-- and its wait fails when failing_wait is set
local function deploy(with_rule, bad, failing_wait)
  local d = deployment.new("app", { state = output.dir })
  local rule = d:step("rule", { inputs = { n = 1 }, create = function() return { arn = "rule-1" } end,
                                 undo = function() return {} end })
  local function apply(inputs)
    if inputs.bad then error("refused", 0) end
    return { name = "svc", rule = inputs.rule }
  end
  d:step("service", { inputs = { rule = with_rule and rule.arn or nil, bad = bad }, create = apply,
                      update = function(inputs) return apply(inputs) end, undo = function() return {} end,
                      wait = function() if failing_wait then error("the wait failed", 0) end end })
  return d
end

describe("a rollback of an update", function()
  it("puts back the steps the entry read before the run", function()
    local d = deploy(true)
    d:finish(true)
    assert.are.same({ "rule" }, entry("service").after)

    d = deploy(false, true)
    local ok, err = pcall(d.finish, d, true)
    assert.is_false(ok)
    assert.are.equal("refused", err)
    assert.are.equal("rule-1", entry("service").inputs.rule, "the update was reverted")
    assert.are.same({ "rule" }, entry("service").after)
  end)

  it("records the revert before its wait, which may fail", function()
    deploy(true):finish(true)
    local d = deploy(false, true, true)
    assert.is_false(pcall(d.finish, d, true))
    assert.are.equal("rule-1", entry("service").inputs.rule, "AWS has the previous inputs")
    assert.are.same({ "rule" }, entry("service").after)
    assert.is_nil(entry("service").previous)
  end)
end)
