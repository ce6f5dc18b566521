-- IAM Identity Center (SSO) credentials, as the AWS CLI and botocore get
-- them. A profile with sso_account_id and sso_role_name signs in through
-- the token that `aws sso login` left in ~/.aws/sso/cache/<sha1>.json
-- (sha1 of the sso_session name, or of sso_start_url in the legacy form
-- without a session) and trades it for role credentials at the portal's
-- GetRoleCredentials (rest-json, unsigned, the token in a header). With an
-- sso_session, a token within 15 minutes of expiry is first refreshed
-- through SSO OIDC CreateToken (refresh_token grant) and the cache file
-- rewritten atomically, mode 0600, as the CLI does.
--
-- The two calls are written here, by hand, rather than through the
-- generic client: their answers (and the cache) hold secrets, which
-- aws.secret_json reads in C into aws.secret objects so that they never
-- become Lua strings; a generic rest-json client decodes into Lua values.
--
--   sso.settings(profile, settings) -> cfg | nil (not an SSO profile) | nil, error
--   sso.credentials(profile, cfg, settings) -> creds, description | nil, error
local creds = require "aws.creds"
local fgrun = require "fgrun"
local fs = require "core.fs"
local json = require "json"
local secretjson = require "aws.secret_json"
local sigv4 = require "aws.sigv4"
local timestamp = require "base.time"
local url_encode = require("base.percent").encode
local config = require "aws.transport.config"
local endpoint = require "aws.transport.endpoint"
local pool = require "aws.transport.http_pool"
local signer = require "aws.transport.signer"
local wire_log = require "aws.transport.wire_log"

local M = {}

M.REFRESH_WINDOW = 15 * 60   -- botocore's SSOTokenProvider
-- Values read into aws.secret objects, in the cache and in the answers.
local SECRET_KEYS = { "accessToken", "refreshToken", "clientSecret", "idToken",
  "secretAccessKey", "sessionToken" }
local REQUIRED = { "sso_start_url", "sso_region", "sso_account_id", "sso_role_name" }

local function login_hint(profile)
  return ("run `aws sso login --profile %s`"):format(profile)
end

function M.cache_dir()
  return config.expand_home("~/.aws/sso/cache")
end

-- The cache file of a session name (or, legacy, a start URL).
function M.cache_path(key)
  return M.cache_dir() .. "/" .. sigv4.sha1_hex(key) .. ".json"
end

function M.settings(profile, settings)
  if not settings.sso_account_id and not settings.sso_role_name then return nil end
  local cfg = {}
  for k, v in pairs(settings) do cfg[k] = v end
  local session = settings.sso_session
  if session then
    local section = config.sso_session(session)
    if not section then
      return nil, ("profile %s: sso_session %s has no [sso-session %s] section in %s")
        :format(profile, session, session, config.config_path())
    end
    for k, v in pairs(section) do
      if cfg[k] ~= nil and cfg[k] ~= v then
        return nil, ("profile %s: %s is %s in the profile but %s in [sso-session %s]")
          :format(profile, k, tostring(cfg[k]), tostring(v), session)
      end
      cfg[k] = v
    end
  end
  local missing = {}
  for _, k in ipairs(REQUIRED) do
    if type(cfg[k]) ~= "string" or cfg[k] == "" then missing[#missing + 1] = k end
  end
  if #missing > 0 then
    return nil, ("profile %s uses IAM Identity Center but lacks %s"):format(profile, table.concat(missing, ", "))
  end
  return { session = session, start_url = cfg.sso_start_url, region = cfg.sso_region,
           account_id = cfg.sso_account_id, role_name = cfg.sso_role_name }
end

local function url_of(prefix, service_id, region, settings)
  return endpoint.resolve { metadata = { endpointPrefix = prefix, serviceId = service_id },
    region = region, settings = settings, services = config.services(settings) }.url
end

local function iso8601(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

-- Older CLIs wrote "2026-01-01T00:00:00UTC".
local function parse_time(s)
  return type(s) == "string" and timestamp.parse((s:gsub("UTC$", "Z"))) or nil
end

-- One exchange with a JSON answer read by aws.secret_json; -vv shows the
-- request (secrets redacted), the status and the time, not the body.
local function exchange(req)
  local t0 = fgrun.monotonic()
  wire_log.request(req)
  local status, headers, doc = secretjson.request(pool.get(req.url), req, SECRET_KEYS)
  if fgrun.verbosity >= 2 then
    fgrun.log(2, "< %s (%d ms, body not shown)", status or tostring(headers),
      math.floor((fgrun.monotonic() - t0) * 1000 + 0.5))
  end
  if not status then return nil, nil, headers end -- headers: the message
  return status, headers, doc
end

-- "HTTP 400 InvalidGrantException: ..." from an error answer (no secrets:
-- its fields are codes and descriptions).
local function describe_error(status, headers, doc)
  doc = type(doc) == "table" and doc or {}
  local code = headers and headers["x-amzn-errortype"] or doc.error or doc.__type
  local message = doc.message or doc.error_description
  local text = "HTTP " .. status
  if type(code) == "string" then text = text .. " " .. code:gsub(":.*$", "") end
  if type(message) == "string" then text = text .. ": " .. message end
  return text
end

-- Writes the token back as the CLI does: the whole document, atomically,
-- mode 0600, secrets joined in C.
local function save_token(path, doc)
  local keys = {}
  for k in pairs(doc) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts, made = { "{" }, {}
  for i, k in ipairs(keys) do
    local v = doc[k]
    parts[#parts + 1] = (i > 1 and ", " or "") .. json.encode(k) .. ": "
    if type(v) == "userdata" then
      made[#made + 1] = v:json()
      parts[#parts + 1] = made[#made]
    else
      parts[#parts + 1] = json.encode(v)
    end
  end
  parts[#parts + 1] = "}"
  fs.mkdir(M.cache_dir(), 448)   -- 0700
  local ok, err = fs.write_atomic(path, parts, 384)   -- 0600
  for _, s in ipairs(made) do s:close() end
  return ok, err
end

-- SSO OIDC CreateToken with the refresh token; the new token document,
-- or nil and why.
local function refresh_token(cfg, settings, tok)
  local missing = {}
  for _, k in ipairs { "refreshToken", "clientId", "clientSecret", "registrationExpiresAt" } do
    if tok[k] == nil then missing[#missing + 1] = k end
  end
  if #missing > 0 then return nil, "the cached token cannot be refreshed (no " .. table.concat(missing, ", ") .. ")" end
  local registered = parse_time(tok.registrationExpiresAt)
  if not registered or registered <= fgrun.now() then
    return nil, "the client registration of the cached token has expired"
  end
  local client_secret, refresh = tok.clientSecret:json(), tok.refreshToken:json()
  local status, headers, doc = exchange {
    method = "POST", url = url_of("oidc", "SSO OIDC", cfg.region, settings) .. "/token",
    headers = { ["Content-Type"] = "application/json", ["User-Agent"] = signer.USER_AGENT },
    body = { '{"grantType":"refresh_token","clientId":' .. json.encode(tostring(tok.clientId))
      .. ',"clientSecret":', client_secret, ',"refreshToken":', refresh, "}" },
  }
  client_secret:close()
  refresh:close()
  if not status then return nil, ("SSO OIDC CreateToken: %s"):format(doc) end
  if status ~= 200 then return nil, "SSO OIDC CreateToken: " .. describe_error(status, headers, doc) end
  if type(doc) ~= "table" or type(doc.accessToken) ~= "userdata" or not math.tointeger(doc.expiresIn) then
    return nil, "SSO OIDC CreateToken: the answer lacks accessToken or expiresIn"
  end
  local new = {}
  for k, v in pairs(tok) do new[k] = v end
  new.startUrl, new.region = cfg.start_url, cfg.region
  new.accessToken = doc.accessToken
  new.expiresAt = iso8601(fgrun.now() + doc.expiresIn)
  if doc.refreshToken then new.refreshToken = doc.refreshToken end
  return new
end

-- The access token of the profile's session, refreshed when near expiry;
-- nil and why.
local function access_token(profile, cfg, settings)
  local key = cfg.session or cfg.start_url
  local path = M.cache_path(key)
  local ok, tok = pcall(secretjson.load, path, SECRET_KEYS)
  if not ok then return nil, ("profile %s: the SSO token cache: %s; %s"):format(profile, tostring(tok), login_hint(profile)) end
  if not tok then
    return nil, ("profile %s: no SSO token for %s %s (%s does not exist): %s"):format(profile,
      cfg.session and "sso-session" or "start URL", key, path, login_hint(profile))
  end
  local expires = parse_time(tok.expiresAt)
  if type(tok.accessToken) ~= "userdata" or not expires then
    return nil, ("profile %s: the SSO token in %s lacks accessToken or expiresAt: %s"):format(profile, path,
      login_hint(profile))
  end
  -- botocore refreshes only tokens of an sso-session
  if cfg.session and expires - fgrun.now() < M.REFRESH_WINDOW then
    local new, why = refresh_token(cfg, settings, tok)
    if new then
      local saved, err = save_token(path, new)
      if not saved then
        fgrun.log(1, "aws: the refreshed SSO token could not be saved (%s); using it for this run", err)
      end
      fgrun.log(1, "aws: SSO token of sso-session %s refreshed, valid until %s", cfg.session, new.expiresAt)
      return new.accessToken
    end
    fgrun.log(1, "aws: refreshing the SSO token of sso-session %s failed: %s", cfg.session, why)
  end
  if expires <= fgrun.now() then
    return nil, ("profile %s: the SSO session%s expired at %s: %s"):format(profile,
      cfg.session and " " .. cfg.session or "", tok.expiresAt, login_hint(profile))
  end
  return tok.accessToken
end

function M.credentials(profile, cfg, settings)
  local token, why = access_token(profile, cfg, settings)
  if not token then return nil, why end
  local url = url_of("portal.sso", "SSO", cfg.region, settings) .. "/federation/credentials?account_id="
    .. url_encode(cfg.account_id) .. "&role_name=" .. url_encode(cfg.role_name)
  local status, headers, doc = exchange { method = "GET", url = url,
    headers = { ["x-amz-sso_bearer_token"] = token, ["User-Agent"] = signer.USER_AGENT } }
  token:close()
  local what = ("IAM Identity Center role %s in account %s"):format(cfg.role_name, cfg.account_id)
  if not status then return nil, ("profile %s: %s: %s"):format(profile, what, doc) end
  if status == 401 or status == 403 then
    return nil, ("profile %s: %s: the SSO session is not valid (%s): %s"):format(profile, what,
      describe_error(status, headers, doc), login_hint(profile))
  end
  local rc = status == 200 and type(doc) == "table" and doc.roleCredentials
  if type(rc) ~= "table" or type(rc.secretAccessKey) ~= "userdata" then
    return nil, ("profile %s: %s: %s"):format(profile, what,
      status == 200 and "the answer lacks roleCredentials" or describe_error(status, headers, doc))
  end
  local ok, c = pcall(creds.from_secrets, tostring(rc.accessKeyId), rc.secretAccessKey, rc.sessionToken,
    math.tointeger(rc.expiration) and rc.expiration / 1000 or nil)
  if not ok then return nil, ("profile %s: %s: %s"):format(profile, what, c) end
  return c, ("%s (profile %s, %s)"):format(what, profile,
    cfg.session and "sso-session " .. cfg.session or "start URL " .. cfg.start_url)
end

return M
