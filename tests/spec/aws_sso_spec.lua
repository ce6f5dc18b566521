-- IAM Identity Center (SSO) credentials against tests/lib/identity_stub.py,
-- a loopback stand-in for the SSO portal (GetRoleCredentials) and SSO OIDC
-- (CreateToken) whose role credentials come from moto's STS. The token
-- cache is written as `aws sso login` writes it, and what fgrun writes
-- back is read with botocore's own loader. Each scenario runs in a child
-- fgrun with a clean environment and its own HOME (tests/lib/sandbox.lua).
local json = require "json"
local fgrun = require "fgrun"
local sandbox = dofile("tests/lib/sandbox.lua")

local ACCESS = "aoaAAAAAGcACCESSTOKENsecretvalue000111222333"
local REFRESH = "aorAAAAAGcREFRESHTOKENsecretvalue444555666"
local CLIENT_SECRET = "eyJraWQiOiJrZXktY2xpZW50LXNlY3JldCJ9.CLIENTSECRETvalue777888"
local START_URL = "https://corp.awsapps.com/start"

local box, stub, stub_call

local function iso8601(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

local function sha1(s)
  return require("aws.sigv4").sha1_hex(s)
end

local function cache_file(key)
  return box.tmp .. "/.aws/sso/cache/" .. sha1(key) .. ".json"
end

-- What `aws sso login` leaves: the token of a session, valid for `ttl` s.
local function login(key, ttl, extra)
  os.execute("mkdir -p " .. sandbox.sh_quote(box.tmp .. "/.aws/sso/cache"))
  local doc = { startUrl = START_URL, region = "us-east-1", accessToken = ACCESS,
    expiresAt = iso8601(fgrun.now() + ttl), clientId = "client-id-1", clientSecret = CLIENT_SECRET,
    registrationExpiresAt = iso8601(fgrun.now() + 90 * 86400), refreshToken = REFRESH }
  for k, v in pairs(extra or {}) do doc[k] = v or nil end
  local f = assert(io.open(cache_file(key), "w"))
  f:write(json.encode(doc))
  f:close()
end

local function read_cache(key)
  local f = assert(io.open(cache_file(key)))
  local doc = json.decode(f:read("a"))
  f:close()
  return doc
end

local CONFIG = ([[
[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Deployer
region = us-east-1

[sso-session corp]
sso_start_url = %s
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = %s
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile broken]
sso_session = nosuch
sso_account_id = 123456789012
sso_role_name = Deployer

[profile partial]
sso_session = corp
sso_account_id = 123456789012

[profile chained]
role_arn = arn:aws:iam::123456789012:role/second
source_profile = dev
]]):format(START_URL, START_URL)

local function env(profile)
  return { AWS_CONFIG_FILE = box.write("config-sso", CONFIG), AWS_ENDPOINT_URL = stub,
    AWS_PROFILE = profile, AWS_REGION = "us-east-1" }
end


local function no_secrets(text)
  for _, s in ipairs { ACCESS, REFRESH, CLIENT_SECRET } do
    assert.is_nil(text:find(s, 1, true), "leaked a secret")
  end
  assert.is_nil(text:find("at%-%x%x%x%x%x%x%x%x"), "leaked a new access token")
  assert.is_nil(text:find("rt%-%x%x%x%x%x%x%x%x"), "leaked a new refresh token")
end

local function portal_log(log, kind)
  return sandbox.where(log, "kind", kind)
end

describe("IAM Identity Center (SSO)", function()
  lazy_setup(function()
    box = sandbox.new()
    stub, stub_call = box.identity_stub()
  end)
  lazy_teardown(function() box.close() end)

  before_each(function()
    local why = sandbox.missing(true)
    if why then pending(why) return end
    stub_call("POST", "/__config", { sso = { client_id = "client-id-1", client_secret = CLIENT_SECRET,
      refresh_token = REFRESH, access_tokens = { ACCESS }, expires_in = 28800, role_duration = 3600 } })
    stub_call("GET", "/__log")
    os.execute("rm -rf " .. sandbox.sh_quote(box.tmp .. "/.aws"))
  end)

  it("signs in with the sso-session token from the CLI's cache and GetRoleCredentials", function()
    login("corp", 8 * 3600)
    local before = read_cache("corp")
    local r, output = box.child(env("dev"), "who_at_moto()", "-vv")
    assert.matches("^ASIA", r.akid)
    assert.equal("arn:aws:sts::123456789012:assumed-role/Deployer/sso-user", r.arn)   -- moto's view
    assert.equal("IAM Identity Center role Deployer in account 123456789012 (profile dev, sso-session corp)",
      r.source)
    assert.is_true(r.ttl > 3500 and r.ttl <= 3600, "ttl " .. r.ttl)
    local log = stub_call("GET", "/__log").log
    assert.same({ { kind = "portal", role = "Deployer", account = "123456789012", token_valid = true } },
      portal_log(log, "portal"))
    assert.same({}, portal_log(log, "oidc"))            -- far from expiry: no refresh
    assert.same(before, read_cache("corp"))             -- and the cache untouched
    assert.matches("> x%-amz%-sso_bearer_token: <redacted>", output)
    no_secrets(output)
  end)

  it("signs in with a legacy sso_start_url profile (cache named by the URL)", function()
    login(START_URL, 3600)
    local r = box.child(env("legacy"), "who_at_moto()")
    assert.equal("arn:aws:sts::123456789012:assumed-role/ReadOnly/sso-user", r.arn)
    assert.matches("%(profile legacy, start URL " .. START_URL:gsub("%p", "%%%0") .. "%)$", r.source)
    -- an expired legacy token is refused before any call
    login(START_URL, -60)
    stub_call("GET", "/__log")
    r = box.child(env("legacy"), "who()")
    assert.matches("profile legacy: the SSO session expired at .*: run `aws sso login %-%-profile legacy`", r.err)
    assert.same({}, stub_call("GET", "/__log").log)
  end)

  it("refreshes a token near expiry through SSO OIDC and writes the cache back as the CLI does", function()
    login("corp", 600, { scopes = { "sso:account:access" } })   -- within the 15-minute window
    local r, output = box.child(env("dev"), "who_at_moto()", "-vv")
    assert.equal("arn:aws:sts::123456789012:assumed-role/Deployer/sso-user", r.arn)
    local state = stub_call("GET", "/__log")
    local oidc, portal = portal_log(state.log, "oidc"), portal_log(state.log, "portal")
    assert.same({ { kind = "oidc", grant_type = "refresh_token", client_ok = true, grant_ok = true } }, oidc)
    assert.is_true(portal[1].token_valid)
    local doc = read_cache("corp")
    assert.equal(state.access_tokens[2], doc.accessToken)      -- the new token was used and saved
    assert.equal(state.refresh_token, doc.refreshToken)        -- the rotated refresh token too
    assert.is_true(math.abs(require("base.time").parse(doc.expiresAt) - (fgrun.now() + 28800)) < 30)
    assert.same({ START_URL, "us-east-1", "client-id-1", CLIENT_SECRET, { "sso:account:access" } },
      { doc.startUrl, doc.region, doc.clientId, doc.clientSecret, doc.scopes })
    local mode = sandbox.slurp("stat -c %a " .. sandbox.sh_quote(cache_file("corp"))):gsub("%s+$", "")
    assert.equal("600", mode)
    assert.equal("", sandbox.slurp("ls " .. sandbox.sh_quote(box.tmp .. "/.aws/sso/cache") .. " | grep -v '\\.json$'"))
    -- botocore reads what fgrun wrote
    local py = sandbox.slurp("HOME=" .. sandbox.sh_quote(box.tmp) .. " python3 -c " .. sandbox.sh_quote([[
import os
from botocore.utils import JSONFileCache, SSOTokenLoader
cache = JSONFileCache(os.path.expanduser("~/.aws/sso/cache"))
token = SSOTokenLoader(cache=cache)("]] .. START_URL .. [[", session_name="corp")
print(token["accessToken"].startswith("at-"), token["refreshToken"].startswith("rt-"))
]]) .. " 2>&1")
    assert.equal("True True\n", py)
    assert.matches("SSO token of sso%-session corp refreshed", output)
    no_secrets(output)
  end)

  it("says to run aws sso login when the token is missing, expired or refused", function()
    local r = box.child(env("dev"), "who()")
    assert.matches("profile dev: no SSO token for sso%-session corp %(.*/%.aws/sso/cache/"
      .. sha1("corp") .. "%.json does not exist%): run `aws sso login %-%-profile dev`", r.err)
    -- expired, and the refresh token refused
    login("corp", -60, { refreshToken = "revoked" })
    r = box.child(env("dev"), "who()", "-v")
    assert.matches("the SSO session corp expired at .*: run `aws sso login %-%-profile dev`", r.err)
    local _, output = box.child(env("dev"), "who()", "-v")
    assert.matches("refreshing the SSO token of sso%-session corp failed: SSO OIDC CreateToken: "
      .. "HTTP 400 InvalidGrantException: invalid grant", output)
    -- expired without what a refresh needs
    login("corp", -60, { refreshToken = false, clientSecret = false })
    r = box.child(env("dev"), "who()")
    assert.matches("expired at .*: run `aws sso login %-%-profile dev`", r.err)
    -- valid by its date but unknown to the portal
    login("corp", 8 * 3600, { accessToken = "forgotten" })
    r = box.child(env("dev"), "who()")
    assert.matches("profile dev: IAM Identity Center role Deployer in account 123456789012: the SSO session is "
      .. "not valid %(HTTP 401 UnauthorizedException: Session token not found or invalid%): run `aws sso login", r.err)
    -- a cache file that is not JSON is not quoted
    local f = assert(io.open(cache_file("corp"), "w"))
    f:write(ACCESS)
    f:close()
    r = box.child(env("dev"), "who()")
    assert.matches("is not a JSON object; run `aws sso login %-%-profile dev`", r.err)
    no_secrets(r.err)
  end)

  it("rejects incomplete configurations clearly", function()
    local r = box.child(env("broken"), "who()")
    assert.matches("profile broken: sso_session nosuch has no %[sso%-session nosuch%] section in .*config%-sso", r.err)
    r = box.child(env("partial"), "who()")
    assert.matches("profile partial uses IAM Identity Center but lacks sso_role_name", r.err)
  end)

  it("serves as a source_profile and refreshes during a long wait", function()
    -- role credentials of 303 s are renewed within 3 s; tokens of 903 s are
    -- within the 15-minute window again 3 s after each refresh
    stub_call("POST", "/__config", { sso = { role_duration = 303, expires_in = 903 } })
    login("corp", 600)
    local r = box.child(env("chained"), "who_at_moto()")
    assert.matches("^arn:aws:sts::123456789012:assumed%-role/second/", r.arn)
    assert.matches("from IAM Identity Center role Deployer", r.source)
    stub_call("GET", "/__log")
    r = box.child(env("dev"), [[
      local ok, err = pcall(require("aws").ec2.wait, "instance_exists",
        { Filters = { { Name = "tag:fgrun-test", Values = { "never" } } } },
        { delay = 1, timeout = 10, progress = false })
      out{ code = err and err.code }
    ]])
    assert.equal("WaiterTimeout", r.code)
    local state = stub_call("GET", "/__log")
    local portal, oidc = portal_log(state.log, "portal"), portal_log(state.log, "oidc")
    assert.is_true(#portal >= 3, #portal .. " GetRoleCredentials")
    assert.is_true(#oidc >= 2, #oidc .. " CreateToken")
    for _, p in ipairs(portal) do assert.is_true(p.token_valid) end
    for _, o in ipairs(oidc) do assert.is_true(o.grant_ok) end   -- each rotated refresh token was saved and used
    local keys = {}
    for _, e in ipairs(sandbox.where(state.log, "action", "DescribeInstances")) do keys[e.akid] = true end
    local n = 0
    for _ in pairs(keys) do n = n + 1 end
    assert.is_true(n >= 3, n .. " keys signed the polls")
    assert.equal(state.refresh_token, read_cache("corp").refreshToken)
  end)
end)
