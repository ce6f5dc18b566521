-- Requests of the json protocol (awsJson 1.0 and 1.1): a POST to the
-- operation's URI, X-Amz-Target naming the operation, the input as JSON.
local json = require "json"
local base64 = require "base.base64"
local timestamp = require "base.time"

local M = {}

local pairs, type, tointeger = pairs, type, math.tointeger
local null, array_mt, object_mt = json.null, json.array_mt, json.object_mt

local value

local function special_float(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "Infinity" end
  if v == -math.huge then return "-Infinity" end
  return v
end

local encoders = {}

function encoders.structure(model, shape, v)
  if shape.document then return v end
  local out = setmetatable({}, object_mt)
  local members = shape.members
  for k, mv in pairs(v) do
    local ref = members[k]
    if mv ~= null then
      out[ref.locationName or k] = value(model, ref, model:target(ref), mv)
    end
  end
  return out
end

function encoders.list(model, shape, v)
  local out = setmetatable({}, array_mt)
  local ref = shape.member
  local member = model:target(ref)
  for i = 1, #v do out[i] = value(model, ref, member, v[i]) end
  return out
end

function encoders.map(model, shape, v)
  local out = setmetatable({}, object_mt)
  local ref = shape.value
  local member = model:target(ref)
  for k, mv in pairs(v) do out[k] = value(model, ref, member, mv) end
  return out
end

function encoders.timestamp(_, shape, v, ref)
  local format = ref.timestampFormat or shape.timestampFormat
  local t = timestamp.parse(v)
  if format == "iso8601" then return timestamp.iso(t) end
  if format == "rfc822" then return timestamp.rfc822(t) end
  return t
end

function encoders.blob(_, _, v) return base64.encode(v) end

function encoders.integer(_, _, v) return tointeger(v) or v end
encoders.long = encoders.integer

function encoders.float(_, _, v)
  if type(v) == "string" then return v end -- "NaN", "Infinity", "-Infinity"
  return special_float(v)
end
encoders.double = encoders.float

value = function(model, ref, shape, v)
  local encode = encoders[shape.type]
  if encode then return encode(model, shape, v, ref) end
  return v
end

-- The JSON text of a structure (a rest-json body or payload).
function M.body(model, shape, params)
  return json.encode(encoders.structure(model, shape, params))
end

-- The request (before signing) of an operation with validated params.
function M.request(model, op, params)
  local meta = model.metadata
  local body = "{}"
  if op.input then
    local shape = model:target(op.input)
    body = json.encode(encoders.structure(model, shape, params))
  end
  local http = op.http or {}
  return {
    method = http.method or "POST",
    path = http.requestUri or "/",
    query = "",
    headers = {
      ["Content-Type"] = "application/x-amz-json-" .. (meta.jsonVersion or "1.0"),
      ["X-Amz-Target"] = (meta.targetPrefix or "") .. "." .. op.name,
      -- a service moved from query: its errors keep their query codes
      ["x-amzn-query-mode"] = meta.awsQueryCompatible and "true" or nil,
    },
    body = body,
  }
end

return M
