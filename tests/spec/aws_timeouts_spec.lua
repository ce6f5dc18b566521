-- Timeouts of the AWS clients (stdlib/aws/transport/timeouts.lua) against
-- tests/lib/stalled_server.py: an endpoint that accepts and never answers,
-- and one that never accepts (a full backlog). Settings from the
-- environment and the config file are read in child processes with a
-- clean environment (tests/lib/sandbox.lua).
local fgrun = require "fgrun"
local creds = require "aws.creds"
local transport = require "aws.transport"
local sandbox = dofile("tests/lib/sandbox.lua")

local box, silent, full
local key = creds.from_process([[printf '{"Version":1,"AccessKeyId":"AKIDTIMEOUT","SecretAccessKey":"x"}']])

local ECS = { endpointPrefix = "ecs", serviceId = "ECS" }

local function call(t)
  return t:send({ method = "POST", path = "/", headers = {
    ["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113.ListClusters" }, body = "{}" },
    { operation = "ListClusters" })
end

local function client(url, o)
  o.service, o.metadata, o.region, o.endpoint_url, o.credentials = "ecs", ECS, "us-east-1", url, key
  o.retry_base_delay = o.retry_base_delay or 0.01
  return transport.new(o)
end

local function timed(fn)
  local t0 = fgrun.monotonic()
  local a, b, c = fn()
  return fgrun.monotonic() - t0, a, b, c
end

describe("timeouts", function()
  lazy_setup(function()
    box = sandbox.new()
    local ports = box.server("tests/lib/stalled_server.py")
    local a, b = ports:match("^127%.0%.0%.1:(%d+) (%d+)$")
    silent, full = "http://127.0.0.1:" .. a, "http://127.0.0.1:" .. b
  end)
  lazy_teardown(function() box.close() end)

  it("end an answer that never comes, naming the endpoint and read_timeout", function()
    local took, status, err, attempts = timed(function()
      return call(client(silent, { read_timeout = 1, max_attempts = 2 }))
    end)
    assert.is_nil(status)
    assert.same({ "RequestTimeout", 2, true }, { err.code, attempts, err.retryable })
    assert.equal(silent .. ": no data for 1 s (read_timeout)", err.message)
    -- each attempt ends within the timeout and the once-a-second check
    assert.is_true(took >= 2 and took < 5, "took " .. took)
  end)

  it("end a connection that is never accepted, naming connect_timeout", function()
    local took, status, err, attempts = timed(function()
      return call(client(full, { connect_timeout = 0.5, max_attempts = 1 }))
    end)
    assert.is_nil(status)
    assert.same({ "RequestTimeout", 1 }, { err.code, attempts })
    assert.equal(full .. ": no connection within 0.5 s (connect_timeout)", err.message)
    assert.is_true(took >= 0.45 and took < 1.5, "took " .. took)
  end)

  it("bound a whole call, retries and pauses included, with operation_timeout", function()
    local took, status, err, attempts = timed(function()
      return call(client(silent, { operation_timeout = 1.5, max_attempts = 10 }))
    end)
    assert.is_nil(status)
    assert.equal(1, attempts)
    assert.equal(silent .. ": no complete answer within 1.5 s (operation_timeout 1.5 s)", err.message)
    -- (libcurl counts its timeouts in milliseconds: it may end a fraction of one early)
    assert.is_true(took >= 1.49 and took < 2.2, "took " .. took)
    -- the time left for retries is shared between attempts
    took, status, err, attempts = timed(function()
      return call(client(silent, { read_timeout = 1, operation_timeout = 2.5, max_attempts = 10 }))
    end)
    assert.is_nil(status)
    assert.is_truthy(err)
    assert.is_true(attempts >= 2, attempts .. " attempts")
    assert.is_true(took < 3.2, "took " .. took)
  end)

  it("have defaults that end a stall within a minute and keep long transfers", function()
    local t = client(silent, {})
    assert.same({ connect_timeout = 10, read_timeout = 60, operation_timeout = 0 }, t.timeouts)
  end)

  it("come from the option, the environment, then the profile", function()
    if not sandbox.have_fgrun() then pending("needs " .. sandbox.FGRUN) return end
    local cfg = box.write("config-timeouts", "[default]\nregion = us-east-1\nconnect_timeout = 4\n"
      .. "read_timeout = 30\noperation_timeout = 600\n[profile bad]\nregion = us-east-1\nread_timeout = soon\n")
    local code = [[
      local ok, t = pcall(transport.new, { service = "ecs", metadata = { endpointPrefix = "ecs", serviceId = "ECS" },
        connect_timeout = OPTION })
      out(ok and t.timeouts or { err = tostring(t) })
    ]]
    local env = { AWS_CONFIG_FILE = cfg }
    assert.same({ connect_timeout = 4, read_timeout = 30, operation_timeout = 600 },
      box.child(env, (code:gsub("OPTION", "nil"))))
    env.AWS_READ_TIMEOUT, env.AWS_OPERATION_TIMEOUT = "5", "0"
    assert.same({ connect_timeout = 2, read_timeout = 5, operation_timeout = 0 },
      box.child(env, (code:gsub("OPTION", "2"))))
    env.AWS_CONNECT_TIMEOUT = "0"
    assert.matches("ecs%.configuration: InvalidTimeout: AWS_CONNECT_TIMEOUT: \"0\" is not a number of seconds above 0",
      box.child(env, (code:gsub("OPTION", "nil"))).err)
    env.AWS_CONNECT_TIMEOUT, env.AWS_READ_TIMEOUT, env.AWS_PROFILE = nil, nil, "bad"
    assert.matches("the profile's read_timeout: \"soon\" is not a number of seconds %(0 for none%)",
      box.child(env, (code:gsub("OPTION", "nil"))).err)
  end)

  it("of instance metadata follow metadata_service_timeout and _num_attempts", function()
    if not sandbox.have_fgrun() then pending("needs " .. sandbox.FGRUN) return end
    local t0 = fgrun.monotonic()
    local r = box.child({ AWS_EC2_METADATA_SERVICE_ENDPOINT = silent, AWS_METADATA_SERVICE_TIMEOUT = "0.5",
      AWS_METADATA_SERVICE_NUM_ATTEMPTS = "3" }, "who()")
    local took = fgrun.monotonic() - t0
    assert.matches("EC2 instance metadata %(" .. silent:gsub("%p", "%%%0") .. "%): "
      .. silent:gsub("%p", "%%%0") .. ": no complete answer within 0%.5 s %(timeout%)", r.err)
    assert.is_true(took >= 1.5 and took < 3, "took " .. took)
    local cfg = box.write("config-imds", "[default]\nmetadata_service_num_attempts = none\n")
    r = box.child({ AWS_EC2_METADATA_SERVICE_ENDPOINT = silent, AWS_CONFIG_FILE = cfg }, "who()")
    assert.matches("metadata_service_num_attempts \"none\": expected a whole number", r.err)
  end)

  it("reach the default clients: a stalled deploy call fails with the endpoint and the limit", function()
    if not sandbox.have_fgrun() then pending("needs " .. sandbox.FGRUN) return end
    local t0 = fgrun.monotonic()
    local r, output = box.child({ AWS_ACCESS_KEY_ID = "a", AWS_SECRET_ACCESS_KEY = "b", AWS_REGION = "us-east-1",
      AWS_ENDPOINT_URL = silent, AWS_READ_TIMEOUT = "1", AWS_MAX_ATTEMPTS = "2" },
      "require('aws').ecs.list_clusters{}", "-v")
    assert.is_nil(r)
    assert.matches("error: .*ecs%.list_clusters: RequestTimeout: " .. silent:gsub("%p", "%%%0")
      .. ": no data for 1 s %(read_timeout%)", output)
    assert.matches("attempt 1/2 failed: RequestTimeout", output)
    assert.is_true(fgrun.monotonic() - t0 < 6)
  end)
end)
