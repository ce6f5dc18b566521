-- The generic actions' parts (stdlib/fg/logs.lua, recorded.lua, status.lua,
-- ui/term.lua's printable) on fake answers: FilterLogEvents' empty pages
-- with a nextToken, text from the network on the terminal, ARNs in a
-- journal by kind. The actions end to end: tests/cli/recipe.sh.
local fake = dofile("tests/fixtures/fake_client.lua")
local logs = require "fg.logs"
local recorded = require "fg.recorded"
local term = require "ui.term"

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
    assert.matches("ecs/\\x1b]0;title\\x07 a\\x1b[2Jb\\r\\nc\n", out.text, 1, true)
    assert.are.equal(1, select(2, out.text:gsub("\n", "")), "one event, one line")
  end)

  it("says what to do when the deployment has no log group", function()
    local ok, err = pcall(logs.show, journal{}, { client = fake.client{}, out = sink(), groups = {} })
    assert.is_false(ok)
    assert.matches("app.test has no log group recorded", err)
  end)
end)

describe("ui.term.printable", function()
  it("keeps UTF-8 text and escapes C0, DEL and C1 controls", function()
    assert.are.equal("héllo ✓", term.printable("héllo ✓"))
    assert.are.equal("\\x1b[31m\\x7f\\u009b", term.printable("\27[31m\127\194\155"))
    assert.are.equal("a\\\\b", term.printable("a\\b"), "a backslash cannot fake an escape")
  end)
  it("writes every high byte of text that is not UTF-8 as \\xNN", function()
    assert.are.equal("x\\x9by", term.printable("x\155y"))
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
end)
