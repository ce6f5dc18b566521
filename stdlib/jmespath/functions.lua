-- JMESPath built-in functions with their signatures. bind() resolves a call
-- at compile time (unknown-function, invalid-arity) and returns the closure
-- that evaluates the arguments, checks their types (invalid-type) and calls
-- the function.

local json = require "json"
local value = require "jmespath.value"
local errors = require "jmespath.errors"

local null, array_mt, object_mt = value.null, value.array_mt, value.object_mt
local jtype, equal = value.type, value.equal
local setmetatable, pairs, type = setmetatable, pairs, type
local mtype, floor = math.type, math.floor
local concat, sort = table.concat, table.sort
local raise = errors.raise

local functions = {}

local function array(t) return setmetatable(t, array_mt) end

-- Number formatting for to_string: shortest round-trip, floats keep ".0".
local function number_to_string(x)
  if mtype(x) == "integer" then return string.format("%d", x) end
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  local s
  for digits = 15, 17 do
    s = string.format("%." .. digits .. "g", x)
    if tonumber(s) == x then break end
  end
  if not s:find("[.eE]") then s = s .. ".0" end
  return s
end

-- Sum with integers kept while they do not overflow.
local function add(a, b)
  if mtype(a) == "integer" and mtype(b) == "integer" then
    local r = a + b
    if (a ~ r) & (b ~ r) < 0 then return a + 0.0 + b end
    return r
  end
  return a + b
end

local function check_sort_keys(name, keys, n)
  local kind = jtype(keys[1])
  if kind ~= "number" and kind ~= "string" then
    raise("invalid-type", "%s() expression must give numbers or strings, got %s", name, kind)
  end
  for i = 2, n do
    local t = jtype(keys[i])
    if t ~= kind then
      raise("invalid-type", "%s() expression must give only %ss, got %s", name, kind, t)
    end
  end
  return kind == "string" and value.string_less() or function(a, b) return a < b end
end

local function apply(ref, e)
  if e == null then e = nil end
  return ref.fn(e)
end

local function extreme_by(name, arr, ref, want_max)
  local n = #arr
  if n == 0 then return nil end
  local keys = {}
  for i = 1, n do keys[i] = apply(ref, arr[i]) end
  local less = check_sort_keys(name, keys, n)
  local best = 1
  for i = 2, n do
    if want_max then
      if less(keys[best], keys[i]) then best = i end
    elseif less(keys[i], keys[best]) then
      best = i
    end
  end
  local r = arr[best]
  if r == null then return nil end
  return r
end

local function extreme(arr, want_max)
  local n = #arr
  if n == 0 then return nil end
  local less = type(arr[1]) == "string" and value.string_less() or function(a, b) return a < b end
  local best = arr[1]
  for i = 2, n do
    local x = arr[i]
    if want_max then
      if less(best, x) then best = x end
    elseif less(x, best) then
      best = x
    end
  end
  return best
end

-- name = { signature (one type spec per argument), implementation,
-- variadic (the last type repeats) }.
local DEFS = {
  abs = { { "number" }, function(x)
    if x == math.mininteger then return -(x + 0.0) end
    return math.abs(x)
  end },
  avg = { { "array[number]" }, function(arr)
    local n = #arr
    if n == 0 then return nil end
    local s = 0
    for i = 1, n do s = add(s, arr[i]) end
    return s / n
  end },
  ceil = { { "number" }, math.ceil },
  contains = { { "array|string", "any" }, function(subject, search)
    if type(subject) == "string" then
      return type(search) == "string" and subject:find(search, 1, true) ~= nil
    end
    for i = 1, #subject do
      if equal(subject[i], search) then return true end
    end
    return false
  end },
  ends_with = { { "string", "string" }, function(s, suffix)
    return suffix == "" or s:sub(-#suffix) == suffix
  end },
  floor = { { "number" }, floor },
  join = { { "string", "array[string]" }, function(glue, arr) return concat(arr, glue) end },
  keys = { { "object" }, function(obj)
    local out, n = {}, 0
    for k in pairs(obj) do n = n + 1; out[n] = k end
    return array(out)
  end },
  length = { { "string|array|object" }, function(x)
    if type(x) == "string" then return value.ulen(x) end
    if jtype(x) == "array" then return #x end
    local n = 0
    for _ in pairs(x) do n = n + 1 end
    return n
  end },
  map = { { "expref", "array" }, function(ref, arr)
    local out = {}
    for i = 1, #arr do
      local r = apply(ref, arr[i])
      if r == nil then r = null end
      out[i] = r
    end
    return array(out)
  end },
  max = { { "array[number]|array[string]" }, function(arr) return extreme(arr, true) end },
  max_by = { { "array", "expref" }, function(arr, ref) return extreme_by("max_by", arr, ref, true) end },
  merge = { { "object" }, function(...)
    local out = {}
    for i = 1, select("#", ...) do
      for k, v in pairs((select(i, ...))) do out[k] = v end
    end
    return setmetatable(out, object_mt)
  end, variadic = true },
  min = { { "array[number]|array[string]" }, function(arr) return extreme(arr, false) end },
  min_by = { { "array", "expref" }, function(arr, ref) return extreme_by("min_by", arr, ref, false) end },
  not_null = { { "any" }, function(...)
    for i = 1, select("#", ...) do
      local v = select(i, ...)
      if v ~= nil and v ~= null then return v end
    end
    return nil
  end, variadic = true },
  reverse = { { "string|array" }, function(x)
    if type(x) == "string" then
      local cps = value.code_points(x)
      if cps == nil then return x:reverse() end
      local n = #cps
      for i = 1, n // 2 do cps[i], cps[n + 1 - i] = cps[n + 1 - i], cps[i] end
      return concat(cps)
    end
    local out, n = {}, #x
    for i = 1, n do out[i] = x[n + 1 - i] end
    return array(out)
  end },
  sort = { { "array[number]|array[string]" }, function(arr)
    local out, n = {}, #arr
    for i = 1, n do out[i] = arr[i] end
    if n > 1 and type(out[1]) == "string" then
      sort(out, value.string_less())
    else
      sort(out)
    end
    return array(out)
  end },
  sort_by = { { "array", "expref" }, function(arr, ref)
    local n = #arr
    if n == 0 then return array({}) end
    local keys, order = {}, {}
    for i = 1, n do
      keys[i] = apply(ref, arr[i])
      order[i] = i
    end
    local less = check_sort_keys("sort_by", keys, n)
    -- Equal keys keep their input order (a stable sort).
    sort(order, function(i, j)
      local a, b = keys[i], keys[j]
      if less(a, b) then return true end
      if less(b, a) then return false end
      return i < j
    end)
    local out = {}
    for i = 1, n do out[i] = arr[order[i]] end
    return array(out)
  end },
  starts_with = { { "string", "string" }, function(s, prefix)
    return s:sub(1, #prefix) == prefix
  end },
  sum = { { "array[number]" }, function(arr)
    local s = 0
    for i = 1, #arr do s = add(s, arr[i]) end
    return s
  end },
  to_array = { { "any" }, function(x)
    if jtype(x) == "array" then return x end
    if x == nil then x = null end
    return array({ x })
  end },
  to_string = { { "any" }, function(x)
    local t = type(x)
    if t == "string" then return x end
    if t == "number" then return number_to_string(x) end
    if x == nil or x == null then return "null" end
    return json.encode(x)
  end },
  to_number = { { "any" }, function(x)
    local t = type(x)
    if t == "number" then return x end
    if t ~= "string" then return nil end
    if not x:find("^[ \t\n\r]*[-+]?[0-9]*%.?[0-9]*[eE]?[-+]?[0-9]*[ \t\n\r]*$")
      or not x:find("[0-9]") then
      return nil
    end
    return tonumber(x)
  end },
  type = { { "any" }, function(x) return jtype(x) end },
  values = { { "object" }, function(obj)
    local out, n = {}, 0
    for _, v in pairs(obj) do n = n + 1; out[n] = v end
    return array(out)
  end },
}

-- A checker for a type spec such as "number", "string|array",
-- "array[number]|array[string]" or "any": fn(v) -> nil when v fits, else
-- the description of what v is.
local function element_types(arr)
  local first = jtype(arr[1])
  for i = 2, #arr do
    if jtype(arr[i]) ~= first then return nil end
  end
  return first
end

local function make_checker(spec)
  if spec == "any" then return function() return nil end end
  local plain, of = {}, {}
  for alt in spec:gmatch("[^|]+") do
    local elem = alt:match("^array%[([a-z]+)%]$")
    if elem then of[elem] = true else plain[alt] = true end
  end
  local typed_arrays = next(of) ~= nil
  return function(v)
    local t = jtype(v)
    if plain[t] then return nil end
    if t == "array" and typed_arrays then
      if #v == 0 then return nil end
      local e = element_types(v)
      if e and of[e] then return nil end
      return e and ("array of " .. e .. "s") or "array of mixed types"
    end
    return t
  end
end

local checkers = {}
for _, def in pairs(DEFS) do
  for _, spec in ipairs(def[1]) do
    checkers[spec] = checkers[spec] or make_checker(spec)
  end
end

local function arity_text(def)
  local n = #def[1]
  local s = def.variadic and ("at least " .. n) or tostring(n)
  return s .. (n == 1 and " argument" or " arguments")
end

-- bind(name, argfns): fn(value) evaluating name(args...) against value.
function functions.bind(name, argfns)
  local def = DEFS[name]
  if def == nil then raise("unknown-function", "%s() is not a JMESPath function", name) end
  local sig, impl = def[1], def[2]
  local nargs, nsig = #argfns, #sig
  if nargs < nsig or (nargs > nsig and not def.variadic) then
    raise("invalid-arity", "%s() takes %s, got %d", name, arity_text(def), nargs)
  end
  local checks, specs = {}, {}
  for i = 1, nargs do
    specs[i] = sig[i] or sig[nsig]
    checks[i] = checkers[specs[i]]
  end
  local function bad(i, got)
    raise("invalid-type", "%s() argument %d must be %s, got %s", name, i, specs[i], got)
  end
  if nargs == 1 then
    local f, c = argfns[1], checks[1]
    return function(v)
      local a = f(v)
      local got = c(a)
      if got then bad(1, got) end
      return impl(a)
    end
  elseif nargs == 2 then
    local f, g, c, d = argfns[1], argfns[2], checks[1], checks[2]
    return function(v)
      local a, b = f(v), g(v)
      local got = c(a)
      if got then bad(1, got) end
      got = d(b)
      if got then bad(2, got) end
      return impl(a, b)
    end
  end
  local unpack = table.unpack
  return function(v)
    local vals = {}
    for i = 1, nargs do
      local a = argfns[i](v)
      local got = checks[i](a)
      if got then bad(i, got) end
      vals[i] = a
    end
    return impl(unpack(vals, 1, nargs))
  end
end

-- names(): the sorted function names (for completion and docs).
function functions.names()
  local out = {}
  for k in pairs(DEFS) do out[#out + 1] = k end
  sort(out)
  return out
end

return functions
