-- The AWS transport: region, endpoint, credentials, SigV4, HTTP, retries
-- and logging for one client. The protocol layer (stdlib/aws/client.lua)
-- builds requests and parses answers; this module signs and sends them.
-- Configuration and credential failures are raised as aws.errors objects.
--
--   local t = transport.new{service=, metadata=, region=, profile=,
--                           endpoint_url=, max_attempts=, retry_mode=,
--                           -- optional: credentials (an aws.creds object),
--                           -- connect_timeout, read_timeout, operation_timeout
--                           -- (seconds: transport/timeouts.lua), retry_base_delay,
--                           -- allow_http_endpoint (an http:// override to
--                           -- another machine: transport/destination.lua)}
--   t:sign(req)  -> req (url and signing headers set)
--   t:send(req, {operation=, classify=, masks=})  -- masks: {request=, answer=}
--     (text -> text with the sensitive values masked, for -vv)
--     -> status, headers, body, attempts | nil, err, attempts
local fgrun = require "fgrun"
local errors = require "aws.errors"
local config = require "aws.transport.config"
local credentials = require "aws.transport.credentials"
local endpoint = require "aws.transport.endpoint"
local retry = require "aws.transport.retry"
local signer = require "aws.transport.signer"
local timeouts = require "aws.transport.timeouts"
local pool = require "aws.transport.http_pool"
local wire_log = require "aws.transport.wire_log"

local M = {}

local CLOCK_SKEW_THRESHOLD = 240   -- seconds of difference worth correcting

local function env(name)
  local v = os.getenv(name)
  if v and v ~= "" then return v end
end

local function config_error(service, code, msg)
  error(errors.new { service = service, operation = "configuration", code = code,
    message = msg, retryable = false }, 0)
end

-- resolve_region(profile[, explicit_region]) -> region | nil, how to set one
function M.resolve_region(profile, explicit_region)
  local region = explicit_region or env("AWS_REGION") or env("AWS_DEFAULT_REGION")
  if region then return region end
  local name = config.profile_name(profile)
  local settings = config.profile(name)
  if type(settings.region) == "string" and settings.region ~= "" then return settings.region end
  return nil, ("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), `region = ...` in profile [%s] "
    .. "of %s, or pass --region / the region option"):format(name, config.config_path())
end

-- credentials_source(profile) -> a short description of where the
-- credentials come from (never a secret).
function M.credentials_source(profile)
  return credentials.source(profile)
end

local T = {}
T.__index = T

function M.new(o)
  local md = o.metadata or {}
  local profile = o.profile
  local settings = config.profile(config.profile_name(profile))
  local region, why = M.resolve_region(profile, o.region)
  if not region then
    if md.endpointPrefix == "iam" or md.globalEndpoint then
      region = "us-east-1"   -- a global service needs no region
    else
      config_error(o.service or md.endpointPrefix, "NoRegion", why)
    end
  end
  local ep = endpoint.resolve {
    metadata = md, region = region, endpoint_url = o.endpoint_url,
    settings = settings, services = config.services(settings),
    allow_http = o.allow_http_endpoint,
  }
  local limits, bad = timeouts.resolve(o, settings)
  if not limits then config_error(o.service or md.endpointPrefix, "InvalidTimeout", bad) end
  local t = setmetatable({
    service = o.service or md.endpointPrefix,
    metadata = md, region = region, endpoint = ep.url, endpoint_source = ep.source,
    signing_region = ep.signing_region, signing_name = ep.signing_name,
    profile = profile, clock_offset = 0, fixed_credentials = o.credentials,
    timeouts = limits,
  }, T)
  t.retry = retry.new {
    mode = o.retry_mode or env("AWS_RETRY_MODE") or settings.retry_mode,
    max_attempts = o.max_attempts or env("AWS_MAX_ATTEMPTS") or settings.max_attempts,
    base = o.retry_base_delay,
  }
  t.max_attempts, t.retry_mode = t.retry.max_attempts, t.retry.mode
  return t
end

function T:credentials()
  return self.fixed_credentials or credentials.get(self.profile)
end

local function signing(self)
  return {base_url = self.endpoint, region = self.signing_region, service = self.signing_name,
          time = fgrun.now() + self.clock_offset}
end

-- S3's addressing and payload hashing, once per request.
local function s3_rules(self, req)
  if self.metadata.serviceId == "S3" and not req.s3_done then
    require("aws.s3").before_signing(req, self.endpoint, self.endpoint_source ~= "default")
    req.s3_done = true
  end
end

function T:sign(req)
  s3_rules(self, req)
  return signer.sign(req, not req.unsigned and self:credentials() or nil, signing(self))
end

-- The presigned URL of an unsigned request (aws.s3.presign).
function T:presign(req, expires)
  s3_rules(self, req)
  req.payload_hash = "UNSIGNED-PAYLOAD"
  local o = signing(self)
  signer.sign(req, nil, {base_url = o.base_url, time = o.time, unsigned = true})
  return require("aws.s3").presign(req, self:credentials(), o, expires)
end

local function default_classify(status)
  if status >= 200 and status < 300 then return nil end
  return { code = "HTTP" .. status, message = "HTTP " .. status, status = status }
end

-- On a clock skew error, sets the offset from the answer's Date; true when
-- it changed enough to make a retry worthwhile.
function T:correct_clock(headers)
  local server = signer.parse_http_date(headers and headers["date"])
  if not server then return false end
  local offset = server - fgrun.now()
  if math.abs(offset - self.clock_offset) < CLOCK_SKEW_THRESHOLD then return false end
  fgrun.log(1, "aws: correcting the clock by %+d s from the server's Date", math.floor(offset + 0.5))
  self.clock_offset = offset
  return true
end

local function now_ms(t0)
  return math.floor((fgrun.monotonic() - t0) * 1000 + 0.5)
end

function T:send(req, opts)
  opts = opts or {}
  local classify = opts.classify or default_classify
  local name = self.service .. "." .. tostring(opts.operation or "?")
  local max = self.retry.max_attempts
  req.headers = req.headers or {}
  signer.set_header(req.headers, "amz-sdk-invocation-id", fgrun.uuid4())
  local start = fgrun.monotonic()
  local limit = self.timeouts.operation_timeout
  local deadline = limit > 0 and start + limit or nil
  local taken
  local attempt = 0
  while true do
    attempt = attempt + 1
    local wait = self.retry:before_attempt()
    if wait > 0 then fgrun.sleep(wait) end
    signer.set_header(req.headers, "amz-sdk-request", ("attempt=%d; max=%d"):format(attempt, max))
    self:sign(req)
    wire_log.request(req, opts.masks and opts.masks.request)
    local t0 = fgrun.monotonic()
    local upload = req.upload
    local exchange = timeouts.request_limits(self.timeouts, deadline and deadline - t0)
    exchange.method, exchange.url, exchange.headers, exchange.body = req.method, req.url, req.headers, req.body
    exchange.upload_file, exchange.upload_offset = upload and upload.file, upload and upload.offset
    exchange.upload_length, exchange.download_file = upload and upload.length, req.download_file
    exchange.progress, exchange.max_body = req.progress, req.max_body
    local status, headers, body = pool.get(req.url):request(exchange)
    local ms = now_ms(t0)
    local err
    if status then
      err = classify(status, headers, body)
      -- logged once decoded, so that its sensitive values can be masked
      wire_log.response(status, headers, body, ms, opts.masks and opts.masks.answer)
    else
      wire_log.response(nil, headers, nil, ms)
      local message, kind = headers, body
      if deadline and kind == "timeout" and message:match("%(timeout%)$") then
        message = message:gsub("%(timeout%)$", ("(operation_timeout %g s)"):format(limit))
      end
      err = {
        code = kind == "timeout" and "RequestTimeout" or kind == "too_large" and "ResponseTooLarge"
          or "ConnectionError",
        message = message, retryable = kind == "timeout" or kind == "connection",
      }
    end
    self.retry:after_attempt(err and retry.classify(err) or nil)
    if not err then
      self.retry:succeeded(taken)
      wire_log.call(name, status, attempt, now_ms(start))
      return status, headers, body, attempt
    end
    if retry.CLOCK_SKEW[err.code] and self:correct_clock(headers) then
      err.retryable = true
    end
    local delay = self.retry:delay(attempt)
    local out_of_time = deadline and fgrun.monotonic() + delay >= deadline
    if not err.retryable or attempt >= max or out_of_time then
      if out_of_time and err.retryable and attempt < max and not tostring(err.message):match("operation_timeout") then
        err.message = tostring(err.message or "") .. (" (no time left for a retry within operation_timeout %g s)")
          :format(limit)
      end
      wire_log.call(name, status, attempt, now_ms(start), err)
      return nil, err, attempt
    end
    taken = self.retry:take(err)
    if not taken then
      err.message = tostring(err.message or "") .. " (retry quota exhausted)"
      wire_log.call(name, status, attempt, now_ms(start), err)
      return nil, err, attempt
    end
    wire_log.retry(name, attempt, max, err, delay)
    fgrun.sleep(delay)
  end
end

-- Forgets cached credentials (after the environment or files changed).
function M.reset_credentials()
  credentials.reset()
end

return M
