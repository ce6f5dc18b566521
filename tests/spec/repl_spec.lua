-- The REPL's Lua side: formats, the history filter, completion and help
-- from the models (the terminal itself is driven by tests/cli/repl.sh).
-- luacheck: read globals q help ecs docker
local json = require "json"
local pretty = require "repl.pretty"
local repl = require "repl"

local function plain(v) return pretty.format(v, "table", false) end

describe("repl.pretty", function()
  it("prints scalars as Lua literals, strings quoted", function()
    assert.equal('"a\\nb \\"q\\""', plain('a\nb "q"'))
    assert.equal("42", plain(42))
    assert.equal("1.5", plain(1.5))
    assert.equal("nil", plain(nil))
    assert.equal("null", plain(json.null))
    assert.equal('"2015-01-25T08:00:00Z"', plain("2015-01-25T08:00:00Z"))
  end)

  it("sorts keys and keeps short tables on one line", function()
    assert.equal('{ a = 1, b = { 1, 2 }, ["not id"] = true }', plain({ b = { 1, 2 }, a = 1, ["not id"] = true }))
  end)

  it("indents tables that do not fit on a line", function()
    local long = string.rep("x", 80)
    assert.equal('{\n  a = "' .. long .. '",\n  b = { c = 1 },\n}', plain({ a = long, b = { c = 1 } }))
  end)

  it("tells marked empty arrays and objects apart in JSON and YAML", function()
    local v = { list = json.array({}), obj = json.object({}) }
    assert.equal('{\n  "list": [],\n  "obj": {}\n}', pretty.format(v, "json"))
    assert.equal("list: []\nobj: {}", pretty.format(v, "yaml"))
  end)

  it("cuts long lists with a count of what was left out", function()
    local t = {}
    for i = 1, 1000 do t[i] = { id = i } end
    local text = plain(t)
    assert.matches("… 950 more", text, 1, true)
    local _, items = text:gsub("id = ", "")
    assert.equal(50, items)
  end)

  it("survives cycles and shows error objects through __tostring", function()
    local t = { name = string.rep("n", 80) }
    t.self = t
    assert.matches("<cycle>", plain(t), 1, true)
    local e = setmetatable({}, { __tostring = function() return "ecs.X: Boom" end })
    assert.equal("ecs.X: Boom", plain(e))
  end)

  it("writes YAML that quotes what would be misread", function()
    assert.equal('a: "true"\nb: "123"\nc: plain text\nd: "x: y"\ne:\n  - 1\n  - f: 2\n    g: 3',
      pretty.format({ a = "true", b = "123", c = "plain text", d = "x: y", e = { 1, { f = 2, g = 3 } } }, "yaml"))
  end)

  it("colours only when asked", function()
    assert.matches("\27%[32m", pretty.format({ s = "x" }, "table", true))
    assert.is_nil(plain({ s = "x" }):find("\27", 1, true))
  end)
end)

describe("repl.history_ok", function()
  it("keeps ordinary lines", function()
    assert.is_true(repl.history_ok('ecs.describe_services{cluster = "c", services = {"s"}}'))
    assert.is_true(repl.history_ok('logs.filter_log_events{logGroupName = "g", nextToken = t}'))
    assert.is_true(repl.history_ok('secretsmanager.describe_secret{SecretId = "db"}'))
    assert.is_true(repl.history_ok("x = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef'"))
    assert.is_true(repl.history_ok('ecs.describe_clusters{clusters = {"arn:aws:ecs:us-east-1:123456789012:cluster/fargate-cluster-x1y2z3"}}'))
    assert.is_true(repl.history_ok('ec2.describe_security_groups{GroupIds = {"sg-0a1b2c3d4e5f67890"}}'))
    assert.is_true(repl.history_ok('ecs.register_task_definition{family = "f", '
      .. 'containerDefinitions = {{environment = {{name = "PORT", value = "3000"}}}}}'))
    assert.is_true(repl.history_ok('iam.get_role{RoleName = "ecsTaskExecutionRole-x1y2z3"}'))
  end)

  it("drops lines that look like they hold secrets", function()
    assert.is_false(repl.history_ok('k = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'))
    assert.is_false(repl.history_ok('cfg.aws_secret_access_key = "x"'))
    assert.is_false(repl.history_ok('secretsmanager.create_secret{Name = "n", SecretString = "v"}'))
    assert.is_false(repl.history_ok('db_password = "hunter2"'))
    assert.is_false(repl.history_ok('{ Password = "hunter2" }'))
    assert.is_false(repl.history_ok('login{token = "abc"}'))
    assert.is_false(repl.history_ok('json.decode([[{"api_key": "x"}]])'))
    -- issue 13: what the filter let through
    assert.is_false(repl.history_ok('http.get(url, {headers = {Authorization = "Bearer abc"}})'))
    assert.is_false(repl.history_ok('db_pass = "hunter2"'))
    assert.is_false(repl.history_ok('env = {{name = "DB_PASSWORD", value = "hunter2"}}'))
    assert.is_false(repl.history_ok('tags = {{Key = "api-token", Value = "x"}}'))
    assert.is_false(repl.history_ok('x = "Zq8rT2vLw9Kp"'))       -- 12 random characters
    assert.is_false(repl.history_ok('f("ghp_16C7e42F292c6912E7710c838347Ae178B4a")'))
    assert.is_false(repl.history_ok('t = "3f9a6c1e8b2d4f7a0c5e9b1d3a7f2c6e"'))  -- random hex
  end)
end)

describe("repl completion and help", function()
  local saved_mt
  setup(function()
    saved_mt = getmetatable(_G)
    repl.setup({ color = false })
  end)
  teardown(function()
    setmetatable(_G, saved_mt)
    for _, name in ipairs(repl.ready_names()) do rawset(_G, name, nil) end
    rawset(_G, "q", nil)
    rawset(_G, "help", nil)
    rawset(_G, "_", nil)
  end)

  local function complete(line) return repl.complete(line, 80) end

  it("completes globals, ready names included, without loading them", function()
    assert.equal("n", (complete("jso")))
    assert.is_nil(rawget(_G, "secretsmanager"))
    assert.equal("etsmanager", (complete("secr")))
  end)

  it("completes a client's operations", function()
    assert.equal("ribe_", (complete("ecs.desc")))
    local insert, listing = complete("ecs.describe_")
    assert.equal("", insert)
    assert.matches("describe_services", listing, 1, true)
    assert.equal("vice", (complete("ecs.describe_ser")))
  end)

  it("completes parameters inside an operation's braces, nested too", function()
    assert.equal("ster", (complete("ecs.describe_services{clu")))
    assert.equal("ices", (complete('ecs.describe_services{cluster = "x", serv')))
    assert.equal("nets", (complete("ecs.create_service{networkConfiguration = {awsvpcConfiguration = {sub")))
    assert.equal("me", (complete("ecs.run_task{overrides = {containerOverrides = {{na")))
    assert.equal("", (complete('ecs.describe_services{cluster = "clu')))
  end)

  it("completes enum values inside a parameter's string, when the model has them", function()
    local client = require("aws").load_model({
      metadata = { protocol = "json", endpointPrefix = "fake", jsonVersion = "1.1", targetPrefix = "Fake",
                   signatureVersion = "v4", serviceId = "Fake" },
      operations = { RunThing = { name = "RunThing", input = { shape = "In" } } },
      shapes = {
        In = { type = "structure", members = { mode = { shape = "Mode" }, modes = { shape = "Modes" } } },
        Mode = { type = "string", enum = { "FARGATE", "FARGATE_SPOT", "EC2" } },
        Modes = { type = "list", member = { shape = "Mode" } },
      },
    }, { name = "fake" })
    rawset(_G, "fake", client)
    assert.equal("GATE", (complete('fake.run_thing{mode = "FAR')))
    assert.equal("2", (complete('fake.run_thing{mode = "EC')))
    assert.equal("ARGATE", (complete('fake.run_thing{modes = {"EC2", "F')))
    local printed
    local real_print = print
    _G.print = function(s) printed = s end
    local ok, err = pcall(help, client.run_thing)
    _G.print = real_print
    rawset(_G, "fake", nil)
    assert.is_true(ok, err)
    assert.matches("mode: string %(FARGATE | FARGATE_SPOT | EC2%)", printed)
  end)

  it("completes operation names inside paginate(\", all(\" and help(\"", function()
    assert.equal("olicies", (complete('iam.paginate("list_attached_role_p')))
    assert.equal("ters", (complete('ecs.all("list_clus')))
    assert.equal("ribe_", (complete('ecs.help("desc')))
  end)

  it("completes waiter names inside wait(\"", function()
    local insert, listing = complete('ecs.wait("services_')
    assert.equal("", insert)
    assert.matches("services_stable", listing, 1, true)
  end)

  it("completes fields of tables and the aws module's clients", function()
    assert.equal("ode", (complete("json.enc")))
    assert.equal("anager", (complete("aws.secretsm")))
    assert.equal("mation", (complete("aws.cloudfor")))
    assert.equal("idc", (complete("aws.sso_o")))
  end)

  it("answers within 10 ms once a model is loaded", function()
    complete("ec2.describe_instances{Fil")
    local t0 = os.clock()
    for _ = 1, 10 do complete("ec2.describe_instances{Fil") end
    assert.is_true((os.clock() - t0) / 10 < 0.01)
  end)

  it("q() queries a value, or _ when given only the expression", function()
    local v = { a = { { n = 1 }, { n = 2 } } }
    assert.same({ 1, 2 }, setmetatable(q(v, "a[].n"), nil))
    rawset(_G, "_", v)
    assert.equal(2, q("a[1].n"))
  end)

  it("help shows an operation's inputs, required first, and outputs", function()
    local printed = {}
    local real_print = print
    _G.print = function(s) printed[#printed + 1] = s end
    local ok, err = pcall(function()
      help(ecs.describe_services)
      ecs.help("create_service")
      help("elbv2.create_target_group")
      help()
      help(require("aws").client("iam", { region = "eu-west-1" }).get_role)
    end)
    _G.print = real_print
    assert.is_true(ok, err)
    assert.matches("input %(%* required%):\n  %* services: list of string\n", printed[1])
    assert.matches("output:\n.*services: list of Service", printed[1])
    assert.matches("%* serviceName: string", printed[2])
    assert.matches("%* Name: string", printed[3])
    assert.matches("Ready names: aws docker fg jmespath json, and a client of each of the %d+ AWS services", printed[4])
    assert.matches("^iam.get_role %(GetRole%)\ninput %(%* required%):\n  %* RoleName: string", printed[5])
  end)

  it("says clearly when a ready name's module is missing", function()
    package.loaded.docker, package.preload.docker_saved = nil, package.preload.docker
    package.preload.docker = nil
    local ok, err = pcall(function() return docker end)
    package.preload.docker, package.preload.docker_saved = package.preload.docker_saved, nil
    assert.is_false(ok)
    assert.matches("docker: module 'docker' is not available", err)
  end)
end)
