-- The generic actions' parts (stdlib/fg/logs.lua, recorded.lua) on fake
-- answers: FilterLogEvents' empty pages
-- with a nextToken, text from the network on the terminal, ARNs in a
-- journal by kind. The actions end to end: tests/cli/recipe.sh.
local fake = dofile("tests/lib/fake_client.lua")
local logs = require "fg.logs"
local recorded = require "fg.recorded"

-- A deployment as the actions see it: recorded steps and their results.
local function journal(results)
  local names = {}
  for _, r in ipairs(results) do names[#names + 1] = r[1] end
  return {
    id = "app.test",
    recorded_steps = function() return names end,
    recorded = function(_, step)
      for _, r in ipairs(results) do if r[1] == step then return r[2] end end
    end,
  }
end

local function sink()
  local out = { text = "" }
  function out:write(...) for _, s in ipairs({ ... }) do self.text = self.text .. s end end
  function out:flush() end
  return out
end

describe("fg.logs", function()
  it("follows nextToken through empty pages to the last one", function()
    local client, calls = fake.client{ filter_log_events = {
      { events = {}, nextToken = "t1" },
      { events = {}, nextToken = "t2" },
      { events = { { eventId = "1", timestamp = 1000, logStreamName = "s", message = "first" } }, nextToken = "t3" },
      { events = { { eventId = "2", timestamp = 2000, logStreamName = "s", message = "second" } } },
    } }
    local events = logs.fetch(client, "/g", 0, {})
    assert.are.equal(4, #calls)
    assert.are.same({ nil, "t1", "t2", "t3" }, { calls[1].params.nextToken, calls[2].params.nextToken,
                                                  calls[3].params.nextToken, calls[4].params.nextToken })
    assert.are.equal(2, #events)
    assert.are.equal("second", events[2].message)
  end)

  it("shows an event once, even when the next pass starts at its timestamp", function()
    local page = { events = { { eventId = "1", timestamp = 1000, logStreamName = "s", message = "m" } } }
    local client = fake.client{ filter_log_events = { page } }
    local seen = {}
    assert.are.equal(1, #logs.fetch(client, "/g", 0, seen))
    assert.are.equal(0, #logs.fetch(client, "/g", 1000, seen))
  end)

  it("escapes control bytes in what it prints", function()
    local client = fake.client{ filter_log_events = { { events = {
      { eventId = "1", timestamp = 0, logStreamName = "ecs/\27]0;title\7", message = "a\27[2Jb\r\nc" } } } } }
    local out = sink()
    logs.show(journal{}, { client = client, out = out, groups = { "/g" }, since = 0 })
    assert.is_nil(out.text:find("[\27\7\r]"))
    assert.matches("ecs/\\x1b]0;title\\x07 a\\x1b[2Jb\\x0d\\x0ac\n", out.text, 1, true)
    assert.are.equal(1, select(2, out.text:gsub("\n", "")), "one event, one line")
  end)

  it("says what to do when the deployment has no log group", function()
    local ok, err = pcall(logs.show, journal{}, { client = fake.client{}, out = sink(), groups = {} })
    assert.is_false(ok)
    assert.matches("app.test has no log group recorded", err)
  end)
end)

describe("fg.recorded", function()
  it("finds services, load balancers, target groups and log groups by their ARNs, whatever the steps are called", function()
    local r = recorded.resources(journal{
      { "svc", { name = "web", arn = "arn:aws:ecs:us-east-1:1:service/main/web", cluster = "main" } },
      { "old", { arn = "arn:aws-cn:ecs:cn-north-1:1:service/legacy", cluster = "arn:aws-cn:ecs:cn-north-1:1:cluster/c2" } },
      { "lb", { arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/front/abc", dns = "x" } },
      { "tg", { arn = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg1/def" } },
      { "lg", { arn = "arn:aws-us-gov:logs:us-gov-west-1:1:log-group:/ecs/app:*" } },
      { "pending", nil },
      { "plain", "text" },
    })
    assert.are.equal(2, #r.services)
    local by_name = {}
    for _, s in ipairs(r.services) do by_name[s.name] = s.cluster end
    assert.are.equal("main", by_name.web)
    assert.are.equal("c2", by_name.legacy, "the old ARN format takes its cluster from the result")
    assert.are.equal("front", r.load_balancers[1].name)
    assert.are.equal("tg1", r.target_groups[1].name)
    assert.are.equal("/ecs/app", r.log_groups[1].name)
  end)

  it("reads the removals too: a log group or a service recorded without an ARN", function()
    local d = journal{ { "lg", { name = "/ecs/plain" } }, { "svc", { name = "web", cluster = "main" } } }
    d.journal = { steps = function() return {
      { name = "lg", status = "done", undo = { { call = "logs.delete_log_group", params = { logGroupName = "/ecs/plain" } } } },
      { name = "svc", status = "done", undo = { { call = "ecs.update_service", params = { cluster = "main", service = "web", desiredCount = 0 } },
                                                 { call = "ecs.delete_service", params = { cluster = "main", service = "web", force = true } } } },
      { name = "pending", status = "pending" },
    } end }
    local r = recorded.resources(d)
    assert.are.same({ { name = "/ecs/plain" } }, r.log_groups)
    assert.are.equal(1, #r.services)
    assert.are.same({ "main", "web" }, { r.services[1].cluster, r.services[1].name })
  end)
end)
