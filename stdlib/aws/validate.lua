-- Parameters checked against an operation's input shape before anything is
-- sent: unknown and missing members, types, numeric ranges, minimum lengths.
-- Enums and patterns are left to AWS, which adds values over time.
local json = require "json"

local M = {}

local type, pairs, mtype, format = type, pairs, math.type, string.format
local null = json.null

local function describe(v)
  local t = type(v)
  if t == "string" then
    if #v > 40 then v = v:sub(1, 40) .. "..." end
    return (format("string %q", v):gsub("\\\n", "\\n"))
  elseif t == "number" then
    return (mtype(v) == "integer" and "integer " or "number ") .. tostring(v)
  elseif t == "table" then
    return json.is_array(v) and "list" or "table"
  end
  return t
end

local function at(path, what)
  if path == "" then return what end
  return path .. ": " .. what
end

-- Values of sensitive shapes (passwords, secrets) are never shown.
local function expected(path, what, v, shape)
  local got = shape.sensitive and type(v) .. " (sensitive, not shown)" or describe(v)
  return at(path, "expected " .. what .. ", got " .. got)
end

-- Sorted member names of a structure, for "valid parameters" messages.
local function member_list(shape)
  local names = shape._member_list
  if not names then
    names = {}
    for name in pairs(shape.members or {}) do names[#names + 1] = name end
    table.sort(names)
    names = table.concat(names, ", ")
    shape._member_list = names
  end
  return names
end

local function is_list(v)
  local n = #v
  for k in pairs(v) do
    if mtype(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local check

local function check_length(shape, path, n, unit)
  if shape.min and n < shape.min then
    return at(path, format("length %d is below the minimum of %d %s", n, shape.min, unit))
  end
end

local checkers = {}

function checkers.structure(model, shape, v, path)
  if shape.document then return end
  if type(v) ~= "table" then return expected(path, "a table (structure)", v, shape) end
  local members = shape.members or {}
  for k, mv in pairs(v) do
    local ref = members[k]
    if not ref then
      if type(k) ~= "string" then return expected(path, "a table of named members (structure)", v, shape) end
      return at(path, format("unknown parameter %q; valid parameters: %s", k, member_list(shape)))
    end
    if mv ~= null then
      local err = check(model, model:target(ref), mv, path == "" and k or path .. "." .. k)
      if err then return err end
    end
  end
  local required = shape.required
  if required then
    for i = 1, #required do
      local name = required[i]
      if v[name] == nil or v[name] == null then
        return at(path, format("missing required parameter %q", name))
      end
    end
  end
end

function checkers.list(model, shape, v, path)
  if type(v) ~= "table" or not is_list(v) then return expected(path, "a list", v, shape) end
  local member = model:target(shape.member)
  for i = 1, #v do
    local err = check(model, member, v[i], path .. "[" .. i .. "]")
    if err then return err end
  end
  return check_length(shape, path, #v, "items")
end

function checkers.map(model, shape, v, path)
  if type(v) ~= "table" or json.is_array(v) then return expected(path, "a table (map)", v, shape) end
  local key_shape, value_shape = model:target(shape.key), model:target(shape.value)
  for k, mv in pairs(v) do
    local kpath = format("%s[%q]", path, tostring(k))
    local err = check(model, key_shape, k, kpath) or check(model, value_shape, mv, kpath)
    if err then return err end
  end
end

function checkers.string(_, shape, v, path)
  -- IAM policy documents may be given as tables; they are sent as JSON
  if type(v) == "table" and shape._name == "policyDocumentType" then return end
  if type(v) ~= "string" then return expected(path, "string", v, shape) end
  return check_length(shape, path, #v, "characters")
end

local function check_range(shape, path, v)
  if shape.min and v < shape.min then
    return at(path, format("value %s is below the minimum of %s", tostring(v), tostring(shape.min)))
  end
  if shape.max and v > shape.max then
    return at(path, format("value %s is above the maximum of %s", tostring(v), tostring(shape.max)))
  end
end

function checkers.integer(_, shape, v, path)
  if mtype(v) ~= "integer" and not (mtype(v) == "float" and math.tointeger(v)) then
    return expected(path, "integer", v, shape)
  end
  return check_range(shape, path, v)
end
checkers.long = checkers.integer

local SPECIAL_FLOATS = {NaN = true, Infinity = true, ["-Infinity"] = true}

function checkers.float(_, shape, v, path)
  if SPECIAL_FLOATS[v] then return end
  if type(v) ~= "number" then return expected(path, "number", v, shape) end
  return check_range(shape, path, v)
end
checkers.double = checkers.float

function checkers.boolean(_, shape, v, path)
  if type(v) ~= "boolean" then return expected(path, "boolean", v, shape) end
end

function checkers.timestamp(_, shape, v, path)
  if type(v) == "number" then return end
  if type(v) ~= "string" or not require("base.time").parse(v) then
    return expected(path, "timestamp (ISO-8601 text or epoch seconds)", v, shape)
  end
end

function checkers.blob(_, shape, v, path)
  if type(v) ~= "string" then return expected(path, "string (bytes)", v, shape) end
  return check_length(shape, path, #v, "bytes")
end

function checkers.document() end

check = function(model, shape, v, path)
  local checker = checkers[shape.type]
  if checker then return checker(model, shape, v, path) end
end

-- nil when params fit the shape, else the message naming the path.
function M.check(model, shape, params)
  return check(model, shape, params, "")
end

return M
