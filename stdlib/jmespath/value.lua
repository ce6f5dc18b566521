-- JMESPath's view of Lua values: types, truthiness, equality, ordering and
-- code-point helpers for strings.
--
-- Null is nil or json.null. A table is an array when it carries
-- json.array_mt, an object when it carries json.object_mt; an unmarked table
-- is an array when it is a non-empty sequence 1..n, else an object.

local json = require "json"

local null, array_mt, object_mt = json.null, json.array_mt, json.object_mt
local type, getmetatable, pairs, next = type, getmetatable, pairs, next
local mtype = math.type
local utf8_len, utf8_offset = utf8.len, utf8.offset

local value = {}

value.null = null
value.array_mt = array_mt
value.object_mt = object_mt

-- Marks an expression reference (&expr) so functions can tell it apart.
local expref_mt = { __name = "jmespath.expref" }
value.expref_mt = expref_mt

-- An unmarked table is an array when its keys are exactly 1..n, n > 0.
local function unmarked_is_array(t)
  local n = 0
  for k in pairs(t) do
    if mtype(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  if n == 0 then return false end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

local LUA_TO_JSON = { string = "string", number = "number", boolean = "boolean" }

-- jtype(v): "null", "string", "number", "boolean", "array", "object" or
-- "expref".
local function jtype(v)
  if v == nil or v == null then return "null" end
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    if mt == array_mt then return "array" end
    if mt == object_mt then return "object" end
    if mt == expref_mt then return "expref" end
    return unmarked_is_array(v) and "array" or "object"
  end
  return LUA_TO_JSON[t] or t
end
value.type = jtype

-- False values: null, false, "", empty array, empty object.
function value.truthy(v)
  if v == nil or v == null or v == false or v == "" then return false end
  if type(v) == "table" and getmetatable(v) ~= expref_mt then return next(v) ~= nil end
  return true
end

local function equal(a, b)
  if a == b then return true end
  if a == nil then return b == null end
  if b == nil then return a == null end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  local ta, tb = jtype(a), jtype(b)
  if ta ~= tb then return false end
  if ta == "array" then
    local n = #a
    if n ~= #b then return false end
    for i = 1, n do
      if not equal(a[i], b[i]) then return false end
    end
    return true
  elseif ta == "object" then
    local count = 0
    for k, av in pairs(a) do
      local bv = b[k]
      if bv == nil or not equal(av, bv) then return false end
      count = count + 1
    end
    for _ in pairs(b) do
      count = count - 1
      if count < 0 then return false end
    end
    return count == 0
  end
  return false
end
value.equal = equal

-- Strings order by code point, which for UTF-8 is byte order. Lua's `<`
-- follows the collation locale, so it is used only under "C"/"POSIX".
local function bytes_less(a, b)
  local n = #a < #b and #a or #b
  for i = 1, n do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function native_less(a, b) return a < b end

-- string_less(): the "a < b by code point" function to use right now.
function value.string_less()
  local loc = os.setlocale(nil, "collate")
  if loc == "C" or loc == "POSIX" then return native_less end
  return bytes_less
end

-- Code-point length of a string (bytes when it is not valid UTF-8).
function value.ulen(s)
  return utf8_len(s) or #s
end

-- Code points of s as an array of strings (nil when ASCII-only, so callers
-- can work on bytes).
function value.code_points(s)
  local n = utf8_len(s)
  if n == nil or n == #s then return nil end
  local cps = {}
  local i = 1
  for p = 1, n do
    local j = utf8_offset(s, p + 1)
    cps[p] = s:sub(i, j - 1)
    i = j
  end
  return cps
end

return value
