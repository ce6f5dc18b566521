-- Responses of the json protocol: the decoded body, walked by the output
-- shape into Lua values (see aws.lua for the value conventions).
local json = require "json"
local base64 = require "aws.base64"
local timestamp = require "aws.timestamp"

local M = {}

local pairs, type, tointeger, setmetatable = pairs, type, math.tointeger, setmetatable
local null, array_mt, object_mt = json.null, json.array_mt, json.object_mt

-- wire name -> {name, ref} of a structure's members, cached on the shape.
local function wire_members(shape)
  local by_wire = shape._json_members
  if not by_wire then
    by_wire = {}
    for name, ref in pairs(shape.members or {}) do
      by_wire[ref.locationName or name] = {name, ref}
    end
    shape._json_members = by_wire
  end
  return by_wire
end

local value

local decoders = {}

function decoders.structure(model, shape, v)
  if shape.document then return v end
  if type(v) ~= "table" then return nil end
  local out = setmetatable({}, object_mt)
  local by_wire = wire_members(shape)
  for k, mv in pairs(v) do
    local member = by_wire[k]
    if member and mv ~= null then
      local ref = member[2]
      out[member[1]] = value(model, model:target(ref), mv, ref)
    end
  end
  return out
end

function decoders.list(model, shape, v)
  if type(v) ~= "table" then return nil end
  local out = setmetatable({}, array_mt)
  local ref = shape.member
  local item = model:target(ref)
  for i = 1, #v do
    local mv = v[i]
    if mv == null then out[i] = null else out[i] = value(model, item, mv, ref) end
  end
  return out
end

function decoders.map(model, shape, v)
  if type(v) ~= "table" then return nil end
  local out = setmetatable({}, object_mt)
  local ref = shape.value
  local item = model:target(ref)
  for k, mv in pairs(v) do
    if mv ~= null then out[k] = value(model, item, mv, ref) end
  end
  return out
end

function decoders.timestamp(_, _, v) return timestamp.normalize(v) end

function decoders.blob(_, _, v)
  return type(v) == "string" and (base64.decode(v) or v) or v
end

function decoders.integer(_, _, v) return tointeger(v) or v end
decoders.long = decoders.integer

local SPECIAL = {NaN = 0 / 0, Infinity = math.huge, ["-Infinity"] = -math.huge}
function decoders.float(_, _, v)
  if type(v) == "string" then return SPECIAL[v] or tonumber(v) end
  return v + 0.0
end
decoders.double = decoders.float

value = function(model, shape, v, ref)
  local decode = decoders[shape.type]
  if decode then return decode(model, shape, v, ref) end
  return v
end

-- The output of a decoded body (a table, or nil for an empty body).
function M.output(model, shape, body)
  if not shape then return setmetatable({}, object_mt) end
  return decoders.structure(model, shape, body or {}) or setmetatable({}, object_mt)
end

function M.decode(body)
  if body == nil or body:find("^%s*$") then return {} end
  local ok, v = pcall(json.decode, body)
  if ok and type(v) == "table" then return v end
  return nil, ok and "not a JSON object" or tostring(v)
end

-- code, message of an error answer (botocore's rules: x-amzn-ErrorType,
-- then __type or code in the body; "ns#Name:uri" becomes "Name").
function M.error_code(headers, body)
  local code = headers["x-amzn-errortype"]
  if (code == nil or code == "") and type(body) == "table" then
    code = body.__type or body.code
  end
  local query_error = headers["x-amzn-query-error"]
  if query_error and query_error:find(";", 1, true) then
    code = query_error:match("^([^;]*)")
  end
  if type(code) == "string" then
    code = code:match("^([^:]*)")
    code = code:match("#([^#]*)$") or code
  else
    code = nil
  end
  local message
  if type(body) == "table" then
    message = body.message or body.Message or body.errorMessage
  end
  return code, type(message) == "string" and message or ""
end

return M
