-- Service models: the pinned ones embedded from models/, and any other
-- service loaded on first use from a botocore data folder (FGRUN_MODELS
-- first), gzipped or not. Each case that needs FGRUN_MODELS runs in a
-- child fgrun, since the variable is read by the process.
local json = require "json"
local aws = require "aws"

local FGRUN = os.getenv("FGRUN") or "build/fgrun"

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function slurp(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local tmp = slurp("mktemp -d"):gsub("%s+$", "")

local function write(path, text)
  os.execute("mkdir -p " .. sh_quote(path:match("^(.*)/")))
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- A small json-protocol service in botocore's layout, two API versions
-- (the newest must win), the service model gzipped.
local EXAMPLE = {
  metadata = {apiVersion = "2020-01-01", endpointPrefix = "example", jsonVersion = "1.1",
              protocol = "json", protocols = {"json"}, serviceId = "Example",
              signatureVersion = "v4", targetPrefix = "Example_20200101"},
  operations = {
    ListThings = {name = "ListThings", http = {method = "POST", requestUri = "/"},
                  input = {shape = "ListThingsRequest"}, output = {shape = "ListThingsResponse"}},
  },
  shapes = {
    ListThingsRequest = {type = "structure", members = {NextToken = {shape = "String"}}},
    ListThingsResponse = {type = "structure", members = {Things = {shape = "Things"},
                                                         NextToken = {shape = "String"}}},
    Things = {type = "list", member = {shape = "String"}},
    String = {type = "string"},
  },
}

local data = tmp .. "/data"
write(data .. "/sts/2011-06-15/service-2.json", "{}") -- a data folder has sts/
write(data .. "/fgrun-example/2019-01-01/service-2.json", '{"metadata":{"protocol":"nope"}}')
write(data .. "/fgrun-example/2020-01-01/service-2.json.plain", json.encode(EXAMPLE))
os.execute(("gzip -c %s > %s"):format(sh_quote(data .. "/fgrun-example/2020-01-01/service-2.json.plain"),
  sh_quote(data .. "/fgrun-example/2020-01-01/service-2.json.gz")))
os.remove(data .. "/fgrun-example/2020-01-01/service-2.json.plain")
write(data .. "/fgrun-example/2020-01-01/paginators-1.json", json.encode{pagination = {ListThings = {
  input_token = "NextToken", output_token = "NextToken", result_key = "Things"}}})
write(data .. "/fgrun-example/2020-01-01/waiters-2.json", json.encode{version = 2, waiters = {ThingsThere = {
  operation = "ListThings", delay = 1, maxAttempts = 1,
  acceptors = {{state = "success", matcher = "path", argument = "length(Things) > `0`", expected = true}}}}})
write(data .. "/fgrun-broken/2020-01-01/service-2.json.gz", "not gzip at all")

-- Runs a snippet in a child fgrun with FGRUN_MODELS set; returns its output.
local function child(code, models)
  return slurp(("FGRUN_MODELS=%s AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=S %s -e %s 2>&1")
    :format(sh_quote(models or data), FGRUN, sh_quote(code)))
end

describe("aws models", function()
  teardown(function() os.execute("rm -rf " .. sh_quote(tmp)) end)

  it("embeds the pinned models of the twenty services", function()
    local embedded = require("aws.models").list()
    for _, name in ipairs{"acm", "application-autoscaling", "cloudformation", "cloudwatch", "codedeploy",
                          "ec2", "ecr", "ecs", "elbv2", "iam", "kms", "lambda", "logs", "route53", "s3",
                          "secretsmanager", "sns", "sso", "sso-oidc", "sts"} do
      assert.is_truthy(require("aws.models").get(name, "metadata"), name)
    end
    assert.equal(20, #embedded)
  end)

  it("keeps the traits other parts read (sensitive, httpChecksum), not the prose", function()
    local models = require "aws.models"
    assert.matches('"sensitive":true', models.shape("secretsmanager", "SecretStringType"), 1, true)
    assert.matches('"httpChecksum"', models.operation("s3", "PutObject"), 1, true)
    assert.is_nil(models.operation("s3", "PutObject"):find('"documentation"', 1, true))
  end)

  it("lists every service: the embedded ones and those of the data folders", function()
    local out = child([[io.write(table.concat(require("aws").services(), " "))]])
    assert.matches(" fgrun_example ", " " .. out .. " ", 1, true)
    assert.matches(" sso_oidc ", " " .. out .. " ", 1, true)
    assert.matches(" s3 ", " " .. out .. " ", 1, true)
    assert.is_truthy(aws.services()[1])
  end)

  it("loads another service on first use, newest version, gzipped, with paginators and waiters", function()
    local out = child([[
      local aws = require "aws"
      local c = aws.fgrun_example
      local req = c.build_request("list_things", {NextToken = "t"})
      io.write(req.headers["X-Amz-Target"], " ", req.body, " ",
               tostring(c.model():paginator("ListThings").result_key), " ",
               table.concat(c.waiters(), ","), " ", c.model().metadata.apiVersion)]])
    assert.equal('Example_20200101.ListThings {"NextToken":"t"} Things things_there 2020-01-01', out)
  end)

  it("says which folders it searched for an unknown service, and why a model is unreadable", function()
    local out = child([[print(pcall(require("aws").client, "no-such-service"))]])
    assert.matches("unknown service no%-such%-service", out)
    assert.matches(data, out, 1, true)
    out = child([[print(pcall(function() return require("aws").fgrun_broken end))]])
    assert.matches("not a complete gzip file", out, 1, true)
  end)

  it("uses an embedded model whatever the data folders hold", function()
    local out = child([[print(require("aws").client("sns").model().metadata.protocol)]], tmp .. "/none")
    assert.matches("^query", out) -- embedded, whatever the folders hold
  end)
end)
