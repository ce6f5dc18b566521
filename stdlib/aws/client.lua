-- A client of one AWS service: client.<operation>(params) validates,
-- serializes, sends through aws.transport and parses the answer.
local errors = require "aws.errors"
local protocols = require "aws.protocol"
local validate = require "aws.validate"
local paginate = require "aws.paginate"
local customize = require "aws.customize"
local s3 = require "aws.s3"
local sensitive = require "aws.sensitive"
local answer_limits = require "aws.answer_limits"
local read_only = require "fgrun.read_only"

local M = {}

-- Options handed to aws.transport (see stdlib/aws/transport.lua).
local TRANSPORT_OPTIONS = {"region", "profile", "endpoint_url", "max_attempts", "retry_mode",
                           "credentials", "connect_timeout", "read_timeout", "operation_timeout",
                           "retry_base_delay", "allow_http_endpoint"}
-- Options aws.load_model reads itself.
local MODEL_OPTIONS = {name = true, paginators = true}

local function check_options(opts)
  local known = {}
  for _, name in ipairs(TRANSPORT_OPTIONS) do known[name] = true end
  for name in pairs(opts) do
    if not known[name] and not MODEL_OPTIONS[name] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      error("aws: unknown client option " .. tostring(name) .. " (known: " .. table.concat(names, ", ") .. ")", 3)
    end
  end
end

-- Top-level idempotency tokens the caller left out, filled with fresh UUIDs
-- (params is copied, not changed).
local function with_tokens(_, shape, params)
  local tokens = shape._idempotency_tokens
  if tokens == nil then
    tokens = false
    for name, ref in pairs(shape.members or {}) do
      if ref.idempotencyToken then
        tokens = tokens or {}
        tokens[#tokens + 1] = name
      end
    end
    shape._idempotency_tokens = tokens
  end
  if not tokens then return params end
  local filled
  for _, name in ipairs(tokens) do
    if params[name] == nil then
      if not filled then
        filled = {}
        for k, v in pairs(params) do filled[k] = v end
      end
      filled[name] = require("fgrun").uuid4()
    end
  end
  return filled or params
end

-- model: an aws.model; key: the client's name ("ecs"); opts: transport options.
function M.new(model, key, opts)
  opts = opts or {}
  check_options(opts)
  local protocol, why = protocols.of(model.metadata)
  if not protocol then error("aws: " .. key .. ": " .. why, 3) end
  local client = {}
  local transport
  local is_s3 = s3.is_s3(model)
  -- S3: buckets found in another region (a redirect said so), and the
  -- transports of those regions
  local bucket_region, regional = {}, {}

  local function transport_for(bucket)
    local region = bucket and bucket_region[bucket]
    if not region then return transport end
    if not regional[region] then
      local t = {service = key, metadata = model.metadata}
      for _, name in ipairs(TRANSPORT_OPTIONS) do t[name] = opts[name] end
      t.region = region
      regional[region] = require("aws.transport").new(t)
    end
    return regional[region]
  end

  -- Runs fn(transport, ...); a failure the transport raises as a table
  -- (no region, no credentials) becomes this client's error object.
  local function with_transport(snake, fn, ...)
    local bucket = ...
    local ok, a, b, c, d = pcall(function(...)
      if not transport then
        local t = {service = key, metadata = model.metadata}
        for _, name in ipairs(TRANSPORT_OPTIONS) do t[name] = opts[name] end
        transport = require("aws.transport").new(t)
      end
      return fn(transport_for(bucket), select(2, ...))
    end, ...)
    if ok then return a, b, c, d end
    if type(a) == "table" and not errors.is_error(a) and a.code then
      a = errors.new{service = key, operation = snake, code = a.code, message = a.message,
                     retryable = a.retryable or false}
    end
    error(a, 0)
  end

  local function operation(snake)
    local name = model:snake_names()[snake] or (model:operation(snake) and snake)
    local op = name and model:operation(name)
    if not op then
      error(errors.new{service = key, operation = tostring(snake), code = "UnknownOperation",
                       message = "no such operation (client.operations() lists them)"}, 3)
    end
    if not op.name then op.name = name end
    local shown = name == snake and require("aws.model").snake_name(name) or snake
    return op, shown
  end

  -- The unsigned request of an operation, after validation.
  local function prepare(op, snake, params)
    if params == nil then params = {} end
    local input = op.input and model:target(op.input)
    if input then
      params = customize.input(model, input, with_tokens(model, input, params))
      local problem = validate.check(model, input, params)
      if problem then errors.raise_validation(key, snake, problem) end
    elseif next(params) ~= nil then
      errors.raise_validation(key, snake, "takes no parameters")
    end
    local req = protocol.request(model, op, params)
    req.host_prefix = op.endpoint and require("aws.rest").host_prefix(op, params)
    -- an operation that takes no authentication (SSO's GetRoleCredentials)
    req.unsigned = op.authtype == "none" or nil
    if is_s3 then s3.request(model, op, params, req) end
    return req
  end

  -- For -vv: the request's and the answer's wire text with the values of
  -- sensitive shapes masked (the answer once classify has decoded it).
  local function wire_masks(op, params, answer)
    if require("fgrun").verbosity < 2 then return nil end
    local input = op.input and model:target(op.input)
    local output = op.output and model:target(op.output)
    local request_values, answered, answer_values = nil, nil, {}
    return {
      request = function(text)
        request_values = request_values or sensitive.values(model, input, params)
        return sensitive.mask(text, request_values)
      end,
      answer = function(text)
        local out = answer()
        if out ~= answered then answered, answer_values = out, sensitive.values(model, output, out) end
        return sensitive.mask(text, answer_values)
      end,
    }
  end

  -- stream: the transport's stream options (upload, download_file, progress)
  local function call(op, snake, params, stream)
    local refused = read_only.aws(key, op.name)
    if refused then
      error(errors.new{service = key, operation = snake, code = "ReadOnlyRun", message = refused}, 3)
    end
    local req = prepare(op, snake, params)
    for k, v in pairs(stream or {}) do req[k] = v end
    -- the cap of an answer kept in memory (a body streamed to a file is not)
    req.max_body = answer_limits.max_body(key, op.name)
    local result
    local function classify(status, headers, body)
      local out, err = protocols.answer(protocol, model, op, status, headers, body)
      result = out
      return err
    end
    local masks = wire_masks(op, params, function() return result end)
    local status, headers_or_err, body = with_transport(snake, function(t)
      return t:send(req, {operation = op.name, classify = classify, masks = masks})
    end, req.s3_bucket)
    local moved = is_s3 and not status and headers_or_err and headers_or_err.bucket_region
    if moved and req.s3_bucket and bucket_region[req.s3_bucket] ~= moved
      and (headers_or_err.status == 301 or headers_or_err.status == 400) then
      -- the bucket is in another region: once more, there
      bucket_region[req.s3_bucket] = moved
      return call(op, snake, params, stream)
    end
    if not status then
      local e = headers_or_err or {code = "Unknown", message = "transport failed"}
      e.service, e.operation, e.attempts = key, snake, body
      if is_s3 and e.code == "ResponseTooLarge" and not req.download_file then
        e.message = tostring(e.message) .. " in memory (s3.download_file streams an object to a file)"
      end
      error(errors.new(e), 2)
    end
    if result == nil then -- the transport took the answer without classify
      local out, err = protocols.answer(protocol, model, op, status, headers_or_err, body)
      if err then
        err.service, err.operation = key, snake
        error(errors.new(err), 2)
      end
      result = out
    end
    return result
  end

  local methods = {}

  -- client.operations() -> sorted snake_case operation names
  function methods.operations()
    local names = {}
    for snake in pairs(model:snake_names()) do names[#names + 1] = snake end
    table.sort(names)
    return names
  end

  -- client.build_request(op, params) -> {method, url, headers, body}, signed, not sent
  function methods.build_request(snake, params)
    local op, name = operation(snake)
    local req = prepare(op, name, params)
    req = with_transport(name, function(t) return t:sign(req) end, req.s3_bucket)
    return {method = req.method, url = req.url, headers = req.headers, body = req.body}
  end

  -- client.presign(op, params [, expires_seconds]) -> a URL that makes the
  -- call for whoever holds it, until it expires (default 3600 s)
  function methods.presign(snake, params, expires)
    local op, name = operation(snake)
    local req = prepare(op, name, params)
    return (with_transport(name, function(t) return t:presign(req, expires) end, req.s3_bucket))
  end

  if is_s3 then
    for k, fn in pairs(s3.methods(function(snake, params, stream)
      local op, name = operation(snake)
      return call(op, name, params, stream)
    end)) do methods[k] = fn end
  end

  local function paginator_of(snake)
    local op, name = operation(snake)
    local paginator = model:paginator(op.name)
    if not paginator then
      error(errors.new{service = key, operation = name, code = "NotPaginated",
                       message = "no paginator for this operation; call it directly"}, 3)
    end
    return paginator, function(params) return call(op, name, params) end
  end

  -- for page in client.paginate(op, params) do ... end
  function methods.paginate(snake, params)
    local paginator, fetch = paginator_of(snake)
    return paginate.pages(fetch, paginator, params)
  end

  -- client.all(op, params) -> every page merged by the paginator's result keys
  function methods.all(snake, params)
    local paginator, fetch = paginator_of(snake)
    return paginate.all(fetch, paginator, params)
  end

  function methods.model() return model end

  -- client.wait(waiter, params, opts): an official waiter (aws.waiter)
  function methods.wait(name, params, wait_opts)
    return require("aws.waiter").wait(client, name, params, wait_opts)
  end

  -- client.waiters() -> sorted snake_case waiter names
  function methods.waiters()
    return require("aws.waiter").names(client)
  end

  for name, fn in pairs(methods) do
    -- client:method(...) works as client.method(...)
    client[name] = function(a, ...)
      if a == client then return fn(...) end
      return fn(a, ...)
    end
  end

  return setmetatable(client, {
    __index = function(self, snake)
      if type(snake) ~= "string" or snake:sub(1, 1) == "_" then return nil end
      local op, name = operation(snake)
      local fn = function(a, b)
        if a == self then a = b end
        return call(op, name, a)
      end
      rawset(self, snake, fn)
      return fn
    end,
    __name = "aws.client",
    __tostring = function() return "aws client " .. key end,
  })
end

return M
