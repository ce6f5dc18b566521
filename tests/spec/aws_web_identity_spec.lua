-- Web identity credentials (STS AssumeRoleWithWebIdentity) against moto's
-- STS, through tests/lib/identity_stub.py, which passes every call on to
-- moto, logs who signed it, and can shorten the sessions so that the
-- refresh shows within seconds. Each scenario runs in a child fgrun with a
-- clean environment (tests/lib/sandbox.lua).
local sandbox = dofile("tests/lib/sandbox.lua")

local ROLE = "arn:aws:iam::123456789012:role/ci-deployer"
local OTHER_ROLE = "arn:aws:iam::123456789012:role/other"
-- The shape of a GitHub Actions OIDC token; moto does not check it.
local JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJyZXBvOm9yZy9hcHA6cmVmOnJlZnMvaGVhZHMvbWFpbiJ9."
  .. "c2lnbmF0dXJlLW9mLXRoZS1zZWNyZXQtdG9rZW4"

local box, stub, stub_call

local function stub_log()
  return stub_call("GET", "/__log").log
end

local function calls(log, action)
  return sandbox.where(log, "action", action)
end

-- The child's environment: web identity from variables, every AWS call
-- through the stub.
local function web_env(extra)
  local env = { AWS_ROLE_ARN = ROLE, AWS_WEB_IDENTITY_TOKEN_FILE = box.write("token", JWT .. "\n"),
    AWS_ENDPOINT_URL = stub, AWS_REGION = "us-east-1" }
  for k, v in pairs(extra or {}) do env[k] = v or nil end
  return env
end

describe("web identity", function()
  lazy_setup(function()
    box = sandbox.new()
    stub, stub_call = box.identity_stub()
  end)
  lazy_teardown(function() box.close() end)

  before_each(function()
    local why = sandbox.missing(true)
    if why then pending(why) return end
    stub_call("POST", "/__config", { sts_duration = false })
    stub_log()
  end)

  it("assumes the role of AWS_ROLE_ARN with the token file, unsigned, and keeps the token out of -vv", function()
    local r, output = box.child(web_env { AWS_ROLE_SESSION_NAME = "gha-run-42" }, "who_at_moto()", "-vv")
    assert.matches("^ASIA", r.akid)
    assert.equal("arn:aws:sts::123456789012:assumed-role/ci-deployer/gha-run-42", r.arn)   -- moto's view
    assert.matches("^web identity %(role " .. ROLE:gsub("%p", "%%%0"), r.source)
    assert.is_true(r.ttl > 3000 and r.ttl <= 3600, "ttl " .. r.ttl)   -- moto's default hour
    local assume = calls(stub_log(), "AssumeRoleWithWebIdentity")
    assert.equal(1, #assume)
    assert.same({ false, JWT, "gha-run-42" }, { assume[1].signed, assume[1].web_identity_token,
      assume[1].session_name })
    assert.matches("WebIdentityToken=<redacted>", output)
    assert.is_nil(output:find(JWT:sub(1, 40), 1, true))
    assert.is_nil(output:find("c2lnbmF0dXJl", 1, true))
  end)

  it("reads the profile's role_arn, web_identity_token_file and role_session_name", function()
    local cfg = box.write("config-wi", "[profile ci]\nrole_arn = " .. ROLE .. "\nweb_identity_token_file = "
      .. box.write("token-profile", JWT) .. "\nrole_session_name = from-profile\n"
      .. "[profile chained]\nrole_arn = " .. OTHER_ROLE .. "\nsource_profile = ci\n")
    local env = { AWS_CONFIG_FILE = cfg, AWS_ENDPOINT_URL = stub, AWS_REGION = "us-east-1" }
    local r = box.child(env, "who_at_moto()", "--profile ci")
    assert.equal("arn:aws:sts::123456789012:assumed-role/ci-deployer/from-profile", r.arn)
    -- a named profile ignores the web identity variables, as the SDKs do
    env.AWS_ROLE_ARN, env.AWS_ROLE_SESSION_NAME = OTHER_ROLE, "from-env"
    r = box.child(env, "who_at_moto()", "--profile ci")
    assert.equal("arn:aws:sts::123456789012:assumed-role/ci-deployer/from-profile", r.arn)
    -- AWS_PROFILE does not name it explicitly: each variable wins over its key
    env.AWS_PROFILE = "ci"
    r = box.child(env, "who_at_moto()")
    assert.equal("arn:aws:sts::123456789012:assumed-role/other/from-env", r.arn)
    -- a role assumed from a web identity profile: AssumeRole is signed with its credentials
    env.AWS_PROFILE, env.AWS_ROLE_ARN, env.AWS_ROLE_SESSION_NAME = nil, nil, nil
    stub_log()
    r = box.child(env, "who_at_moto()", "--profile chained")
    assert.matches("^arn:aws:sts::123456789012:assumed%-role/other/", r.arn)
    local log = stub_log()
    local web, role = calls(log, "AssumeRoleWithWebIdentity"), calls(log, "AssumeRole")
    assert.same({ 1, 1 }, { #web, #role })
    assert.matches("^ASIA", role[1].akid)
    assert.matches("assumed role " .. OTHER_ROLE:gsub("%p", "%%%0") .. " %(profile chained, from web identity", r.source)
  end)

  it("sits where the SDKs put it in the chain", function()
    -- environment keys first
    local r = box.child(web_env { AWS_ACCESS_KEY_ID = "AKIDENV", AWS_SECRET_ACCESS_KEY = "x" }, "who()")
    assert.equal("AKIDENV", r.akid)
    -- before the profile's keys in the credentials file
    local cred = box.write("credentials-wi", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = x\n")
    r = box.child(web_env { AWS_SHARED_CREDENTIALS_FILE = cred }, "who()")
    assert.matches("^web identity", r.source)
    -- after a profile's role_arn with source_profile (AssumeRole)
    local cfg = box.write("config-wi2", "[default]\nrole_arn = " .. OTHER_ROLE .. "\nsource_profile = base\n"
      .. "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = x\n")
    r = box.child(web_env { AWS_CONFIG_FILE = cfg }, "who()")
    assert.matches("^assumed role " .. OTHER_ROLE:gsub("%p", "%%%0") .. " %(profile default, from config file", r.source)
  end)

  it("fails clearly without the role, the token file or STS, never quoting the token", function()
    local r = box.child(web_env { AWS_ROLE_ARN = false }, "who()")
    assert.matches("no role: set role_arn in the profile or AWS_ROLE_ARN", r.err)
    r = box.child(web_env { AWS_WEB_IDENTITY_TOKEN_FILE = box.tmp .. "/missing" }, "who()")
    assert.matches("web identity token: cannot read .*/missing: No such file", r.err)
    r = box.child(web_env { AWS_WEB_IDENTITY_TOKEN_FILE = box.write("empty", "\n") }, "who()")
    assert.matches("empty is empty", r.err)
    r = box.child(web_env { AWS_ENDPOINT_URL = sandbox.CLOSED }, "who()")
    assert.matches("web identity: assuming role " .. ROLE:gsub("%p", "%%%0") .. " with the token in .*token: .*"
      .. "Couldn't connect", r.err)
    assert.is_nil(r.err:find(JWT:sub(1, 40), 1, true))
  end)

  it("refreshes during a long wait, reading the rotated token file again", function()
    -- sessions of 303 s: within fgrun's 300 s refresh margin after 3 s
    stub_call("POST", "/__config", { sts_duration = 303 })
    local env = web_env()
    local r = box.child(env, ([[
      local ec2 = require("aws").ec2
      local t0 = require("fgrun").monotonic()
      local rotated = false
      local ok, err = pcall(ec2.wait, "instance_exists",
        { Filters = { { Name = "tag:fgrun-test", Values = { "never" } } } },
        { delay = 1, timeout = 12, progress = false, on_poll = function(_, attempt)
            if attempt == 5 then
              local f = assert(io.open(%q, "w")) f:write("rotated-token") f:close()
              rotated = true
            end
          end })
      out{ code = err and err.code, rotated = rotated, took = require("fgrun").monotonic() - t0 }
    ]]):format(env.AWS_WEB_IDENTITY_TOKEN_FILE))
    assert.same({ "WaiterTimeout", true }, { r.code, r.rotated })
    local log = stub_log()
    local assumed = calls(log, "AssumeRoleWithWebIdentity")
    local polls = calls(log, "DescribeInstances")
    assert.is_true(#polls >= 8, #polls .. " polls")
    assert.is_true(#assumed >= 3, #assumed .. " sessions in " .. r.took .. " s")
    -- the polls were signed with the successive sessions
    local keys, order = {}, {}
    for _, p in ipairs(polls) do
      if not keys[p.akid] then keys[p.akid] = true order[#order + 1] = p.akid end
    end
    assert.is_true(#order >= 3, #order .. " keys")
    -- the token file was read again: the rotated token was sent after the rotation
    assert.equal(JWT, assumed[1].web_identity_token)
    assert.equal("rotated-token", assumed[#assumed].web_identity_token)
  end)
end)
