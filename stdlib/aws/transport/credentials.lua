-- The credential chain, in the AWS CLI's order: environment variables
-- (unless a profile was named explicitly); the profile (role_arn with
-- source_profile or credential_source through STS AssumeRole; web
-- identity through STS AssumeRoleWithWebIdentity, from the profile or
-- AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE; IAM Identity Center
-- (transport/sso.lua); the credentials file's keys,
-- credential_process, the config file's keys); container credentials; EC2
-- instance metadata (IMDSv2). Credentials that expire are refreshed 5
-- minutes before they do: every signed request asks for them, so a long
-- wait's polls refresh them too. The objects are aws.creds userdata and
-- tokens aws.secret userdata: their secrets never become Lua strings.
local creds = require "aws.creds"
local secret = require "aws.secret"
local percent = require "base.percent"
local fgrun = require "fgrun"
local errors = require "aws.errors"
local config = require "aws.transport.config"
local endpoint = require "aws.transport.endpoint"
local signer = require "aws.transport.signer"
local pool = require "aws.transport.http_pool"
local wire_log = require "aws.transport.wire_log"
local sso = require "aws.transport.sso"
local url_encode = percent.encode
local destination = require "aws.transport.destination"

local M = {}

local REFRESH_MARGIN = 300   -- seconds before expiry
local METADATA_TIMEOUT_MS = 1000
local CONTAINER_HOST = "http://169.254.170.2"
local IMDS_DEFAULT = "http://169.254.169.254"

local function env(name)
  local v = os.getenv(name)
  if v and v ~= "" then return v end
end

local function fail(msg)
  error(errors.new { service = "aws", operation = "credentials", code = "CredentialsError",
    message = msg, retryable = false }, 0)
end

-- Each source: fetch(ctx) -> creds, description | nil, why-not-tried.

local function from_env()
  local c = creds.from_env()
  if c then return c, "environment variables (AWS_ACCESS_KEY_ID)" end
  return nil, "environment variables: AWS_ACCESS_KEY_ID not set"
end

-- container_url() -> the URL to connect to, its Host header, the URL as
-- configured | nil when none is.
local function container_url()
  local name, text = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
  if text then
    text = CONTAINER_HOST .. text
  else
    name, text = "AWS_CONTAINER_CREDENTIALS_FULL_URI", env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if not text then return nil end
  end
  local connect, host = destination.container(text)
  if not connect then fail(("%s %q %s; nothing was sent"):format(name, text, host)) end
  return connect, host, text
end

local function read_token_file(path)
  local f, err = io.open(path, "rb")
  if not f then fail("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " .. tostring(err)) end
  local s = f:read("a")
  f:close()
  return (s:gsub("%s+$", ""))
end

local function fetch_http(req, format)
  local t0 = fgrun.monotonic()
  wire_log.request(req)
  local c, err = creds.from_http(pool.get(req.url), req, format)
  if fgrun.verbosity >= 2 then
    fgrun.log(2, "< %s (%d ms, credentials body not shown)", c and "ok" or tostring(err),
      math.floor((fgrun.monotonic() - t0) * 1000 + 0.5))
  end
  return c, err
end

local function from_container()
  local url, host, shown = container_url()
  if not url then
    return nil, "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI not set"
  end
  local headers = { Host = host }
  local token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
  local token = token_file and read_token_file(token_file) or env("AWS_CONTAINER_AUTHORIZATION_TOKEN")
  if token then headers.Authorization = token end
  local c, err
  for _ = 1, 2 do
    c, err = fetch_http({ method = "GET", url = url, headers = headers,
      connect_timeout_ms = METADATA_TIMEOUT_MS, timeout_ms = 2 * METADATA_TIMEOUT_MS }, "json")
    if c then return c, "container credentials (" .. shown .. ")" end
  end
  fail(("container credentials from %s: %s"):format(shown, err))
end

-- botocore's metadata_service_timeout (seconds, default 1) and
-- metadata_service_num_attempts (default 1), for instance metadata: from
-- AWS_METADATA_SERVICE_TIMEOUT / _NUM_ATTEMPTS or the profile.
local function imds_limits()
  local settings = config.profile((config.profile_name()))
  local timeout = env("AWS_METADATA_SERVICE_TIMEOUT") or settings.metadata_service_timeout or 1
  local attempts = env("AWS_METADATA_SERVICE_NUM_ATTEMPTS") or settings.metadata_service_num_attempts or 1
  local t, n = tonumber(timeout), math.tointeger(tonumber(attempts))
  if not t or t <= 0 or t ~= t or t == math.huge then
    fail(("metadata_service_timeout %q: expected a number of seconds above 0"):format(tostring(timeout)))
  end
  if not n or n < 1 then
    fail(("metadata_service_num_attempts %q: expected a whole number of at least 1"):format(tostring(attempts)))
  end
  return { connect_timeout_ms = math.ceil(t * 1000), timeout_ms = math.ceil(t * 1000), attempts = n }
end

local function imds_request(method, url, headers, limits)
  local req = { method = method, url = url, headers = headers,
    connect_timeout_ms = limits.connect_timeout_ms, timeout_ms = limits.timeout_ms }
  local status, h, body
  for _ = 1, limits.attempts do
    wire_log.request(req)
    local t0 = fgrun.monotonic()
    status, h, body = pool.get(url):request(req)
    wire_log.response(status, h, status and "" or nil, (fgrun.monotonic() - t0) * 1000)
    if status and status < 500 then break end
  end
  if not status then return nil, nil, h end -- h: the message
  return status, body
end

local function from_imds()
  if (env("AWS_EC2_METADATA_DISABLED") or ""):lower() == "true" then
    return nil, "EC2 instance metadata: AWS_EC2_METADATA_DISABLED=true"
  end
  local base = (env("AWS_EC2_METADATA_SERVICE_ENDPOINT") or IMDS_DEFAULT):gsub("/+$", "")
  local limits = imds_limits()
  local status, body, why = imds_request("PUT", base .. "/latest/api/token",
    { ["X-aws-ec2-metadata-token-ttl-seconds"] = "21600" }, limits)
  local headers = {}
  if status == 200 then
    headers["X-aws-ec2-metadata-token"] = body
  elseif not status then
    return nil, ("EC2 instance metadata (%s): %s"):format(base, why)
  elseif status ~= 403 and status ~= 404 and status ~= 405 then
    return nil, ("EC2 instance metadata (%s): token request answered HTTP %d"):format(base, status)
  end   -- 403/404/405: IMDSv1 only
  local list = base .. "/latest/meta-data/iam/security-credentials/"
  status, body, why = imds_request("GET", list, headers, limits)
  if status ~= 200 then
    return nil, ("EC2 instance metadata (%s): %s"):format(base,
      status and ("no instance role (HTTP %d)"):format(status) or why)
  end
  local role = body:match("^%s*([^\r\n]+)")
  if not role then return nil, ("EC2 instance metadata (%s): no instance role"):format(base) end
  local c, err
  for _ = 1, limits.attempts do
    c, err = fetch_http({ method = "GET", url = list .. role, headers = headers,
      connect_timeout_ms = limits.connect_timeout_ms, timeout_ms = limits.timeout_ms }, "json")
    if c then break end
  end
  if not c then fail(("EC2 instance metadata role %s: %s"):format(role, err)) end
  return c, ("EC2 instance metadata (role %s)"):format(role)
end

-- {{name, value}, ...} -> "name=value&..." (query protocol form body)
local function form_body(params)
  local body = {}
  for i, p in ipairs(params) do body[i] = p[1] .. "=" .. url_encode(tostring(p[2])) end
  return table.concat(body, "&")
end

local function sts_endpoint(settings)
  local region = env("AWS_REGION") or env("AWS_DEFAULT_REGION")
    or (type(settings.region) == "string" and settings.region) or "us-east-1"
  return endpoint.resolve {
    metadata = { endpointPrefix = "sts", serviceId = "STS", signingName = "sts" },
    region = region, settings = settings, services = config.services(settings),
  }
end

local function session_name(name)
  return name or ("fgrun-" .. math.floor(fgrun.now()))
end

-- STS AssumeRole over the query protocol, signed with the source credentials.
local function assume_role(settings, profile, source, source_desc)
  local ep = sts_endpoint(settings)
  local params = {
    { "Action", "AssumeRole" }, { "Version", "2011-06-15" },
    { "RoleArn", settings.role_arn },
    { "RoleSessionName", session_name(settings.role_session_name) },
  }
  if settings.external_id then params[#params + 1] = { "ExternalId", settings.external_id } end
  if settings.duration_seconds then params[#params + 1] = { "DurationSeconds", settings.duration_seconds } end
  local req = signer.sign({
    method = "POST", path = "/", query = "",
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8" },
    body = form_body(params),
  }, source, { base_url = ep.url, region = ep.signing_region, service = "sts", time = fgrun.now() })
  local c, err = fetch_http(req, "sts")
  if not c then
    fail(("profile %s: assuming role %s with %s: %s"):format(profile, settings.role_arn, source_desc, err))
  end
  return c, ("assumed role %s (profile %s, from %s)"):format(settings.role_arn, profile, source_desc)
end

-- STS AssumeRoleWithWebIdentity, as botocore's provider: each of
-- web_identity_token_file, role_arn and role_session_name from its
-- environment variable (unless a profile was named explicitly) or the
-- profile. The call is unsigned (the token is the proof); the token file
-- is read at every refresh, as the token is rotated behind it. nil when
-- no token file is configured.
local function from_web_identity(name, settings, use_env)
  local function setting(key, var)
    local v = use_env and env(var) or settings[key]
    if type(v) == "string" and v ~= "" then return v end
  end
  local token_file = setting("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE")
  if not token_file then return nil end
  local role_arn = setting("role_arn", "AWS_ROLE_ARN")
  if not role_arn then
    fail(("web identity token file %s is configured (profile %s or AWS_WEB_IDENTITY_TOKEN_FILE) "
      .. "but no role: set role_arn in the profile or AWS_ROLE_ARN"):format(token_file, name))
  end
  local ok, token = pcall(secret.read_file, config.expand_home(token_file))
  if not ok then fail("web identity token: " .. tostring(token)) end
  local ep = sts_endpoint(settings)
  local form = form_body {
    { "Action", "AssumeRoleWithWebIdentity" }, { "Version", "2011-06-15" },
    { "RoleArn", role_arn },
    { "RoleSessionName", session_name(setting("role_session_name", "AWS_ROLE_SESSION_NAME")) },
  }
  local encoded = token:form()
  token:close()
  local c, err = fetch_http({ method = "POST", url = ep.url .. "/",
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8",
      ["User-Agent"] = signer.USER_AGENT },
    body = { form .. "&WebIdentityToken=", encoded } }, "sts")
  encoded:close()
  if not c then
    fail(("web identity: assuming role %s with the token in %s: %s"):format(role_arn, token_file, err))
  end
  return c, ("web identity (role %s, token file %s)"):format(role_arn, token_file)
end

local resolve_profile

local function from_credential_source(name, settings)
  local src = settings.credential_source
  local c, desc
  if src == "Environment" then c, desc = from_env()
  elseif src == "EcsContainer" then c, desc = from_container()
  elseif src == "Ec2InstanceMetadata" then c, desc = from_imds()
  else
    fail(("profile %s: credential_source %q: expected Environment, EcsContainer or Ec2InstanceMetadata")
      :format(name, tostring(src)))
  end
  if not c then fail(("profile %s: credential_source %s found nothing: %s"):format(name, src, desc)) end
  return c, desc
end

-- A profile's own credentials, in botocore's order: web identity (with
-- the environment's variables when use_env), IAM Identity Center (SSO),
-- the credentials file's keys, credential_process, the config file's keys.
-- nil plus what was tried.
local function own_credentials(name, settings, in_config, in_creds, use_env)
  local cred_file, config_file = config.credentials_path(), config.config_path()
  local section = config.config_section_name(name)
  local c, desc = from_web_identity(name, settings, use_env)
  if c then return c, desc end
  local sso_cfg, bad = sso.settings(name, settings)
  if bad then fail(bad) end
  if sso_cfg then
    c, desc = sso.credentials(name, sso_cfg, settings)
    if not c then fail(desc) end
    return c, desc
  end
  if in_creds then
    c = creds.from_file(cred_file, name)
    if c then return c, ("shared credentials file %s [%s]"):format(cred_file, name) end
  end
  if settings.credential_process then
    return creds.from_process(settings.credential_process),
      ("credential_process of profile %s"):format(name)
  end
  if in_config then
    c = creds.from_file(config_file, section)
    if c then return c, ("config file %s [%s]"):format(config_file, section) end
  end
  return nil, ("web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set; shared credentials file %s [%s]; "
    .. "config file %s [%s]"):format(cred_file, name, config_file, section)
end

-- Credentials of a profile, or nil plus what was tried. `visited` guards
-- against source_profile loops; use_env lets the web identity variables
-- count (not for a profile named explicitly, nor a source_profile).
resolve_profile = function(name, visited, use_env)
  visited = visited or {}
  if visited[name] then fail("source_profile loop through profile " .. name) end
  visited[name] = true
  local settings, found, in_config, in_creds = config.profile(name)
  if not found and name ~= "default" then
    fail(("profile %s not found in %s or %s"):format(name, config.config_path(), config.credentials_path()))
  end
  -- role_arn beside web_identity_token_file is the web identity's role
  if not settings.role_arn or settings.web_identity_token_file then
    return own_credentials(name, settings, in_config, in_creds, use_env)
  end
  local source, desc
  local src_name = settings.source_profile
  if src_name then
    local src_settings, src_found, src_in_config, src_in_creds = config.profile(src_name)
    if not src_found then
      fail(("profile %s: source_profile %s not found"):format(name, src_name))
    end
    if src_settings.role_arn and src_name ~= name then
      source, desc = resolve_profile(src_name, visited, false)   -- role chaining
    else
      source, desc = own_credentials(src_name, src_settings, src_in_config, src_in_creds, false)
    end
    if not source then
      fail(("profile %s: source_profile %s has no credentials (tried %s)"):format(name, src_name, desc))
    end
  elseif settings.credential_source then
    source, desc = from_credential_source(name, settings)
  else
    fail(("profile %s: role_arn needs source_profile or credential_source"):format(name))
  end
  return assume_role(settings, name, source, desc)
end

-- The whole chain once: creds, description. Fails saying what was tried.
local function resolve_chain(profile_option)
  local name, explicit = config.profile_name(profile_option)
  local tried = {}
  if not explicit then
    local c, why = from_env()
    if c then return c, why end
    tried[#tried + 1] = why
  end
  local c, why = resolve_profile(name, nil, not explicit)
  if c then return c, why end
  tried[#tried + 1] = why
  c, why = from_container()
  if c then return c, why end
  tried[#tried + 1] = why
  c, why = from_imds()
  if c then return c, why end
  tried[#tried + 1] = why
  fail("no AWS credentials found; tried: " .. table.concat(tried, "; "))
end

-- A provider per profile option, shared by every client that uses it.
local providers = {}

local function provider(profile_option)
  local key = profile_option or ""
  local p = providers[key]
  if not p then
    p = {}
    providers[key] = p
  end
  return p
end

local function expiring(c, margin)
  local exp = c:expiration()
  return exp ~= nil and exp - fgrun.now() < margin
end

-- get(profile) -> creds, refreshed when within 5 minutes of expiry.
function M.get(profile_option)
  local p = provider(profile_option)
  if p.creds and not expiring(p.creds, REFRESH_MARGIN) then return p.creds end
  local ok, c, desc = pcall(resolve_chain, profile_option)
  if not ok then
    -- A failed refresh may keep using credentials that are still valid
    -- (but an interruption always goes through).
    local interrupted = type(c) == "string" and c:match("interrupted$")
    if p.creds and not expiring(p.creds, 0) and not interrupted then
      fgrun.log(1, "aws: refreshing credentials failed (%s); the current ones are still valid", tostring(c))
      return p.creds
    end
    error(c, 0)
  end
  fgrun.log(1, "aws: credentials %s %s (%s)", p.creds and "refreshed from" or "from", desc,
    c:access_key_id())
  p.creds, p.source = c, desc
  return c
end

-- source(profile) -> where the credentials come from (no secrets).
function M.source(profile_option)
  M.get(profile_option)
  return provider(profile_option).source
end

-- Forgets cached credentials (tests; after the environment changed).
function M.reset()
  for k in pairs(providers) do providers[k] = nil end
end

return M
