-- Deployment parameters: the recipe's defaults, then env/<name>.lua beside
-- the script (--env NAME), then -D key=value, each checked against the
-- default's type.
local json = require "json"

local params = {}

local OPTIONAL_MT = { __name = "fg.optional" }

-- A parameter with no default value: fg.optional("string").
function params.optional(type_name)
  assert(({ string = true, number = true, integer = true, boolean = true, table = true })[type_name],
    "fg.optional: type must be string, number, integer, boolean or table")
  return setmetatable({ type = type_name }, OPTIONAL_MT)
end

local function kind(v)
  if math.type(v) == "integer" then return "integer" end
  return type(v)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function unknown_key(key, types, origin)
  error(("unknown parameter %q (%s); the parameters are: %s")
    :format(key, origin, table.concat(sorted_keys(types), ", ")), 0)
end

local function check_type(key, value, want, origin)
  local got = kind(value)
  if got == want or (want == "number" and got == "integer") then return value end
  if want == "integer" and got == "number" and math.tointeger(value) then
    return math.tointeger(value)
  end
  error(("parameter %s (%s): expected %s, got %s %s")
    :format(key, origin, want, got, got == "string" and ("%q"):format(value) or tostring(value)), 0)
end

local BOOLEANS = { ["true"] = true, yes = true, on = true, ["1"] = true,
                   ["false"] = false, no = false, off = false, ["0"] = false }

-- Reads the text of -D key=value as the parameter's type.
local function convert(key, text, want)
  local origin = "-D " .. key
  if want == "string" then return text end
  if want == "integer" then
    local n = math.tointeger(tonumber(text))
    if n then return n end
  elseif want == "number" then
    local n = tonumber(text)
    if n then return n end
  elseif want == "boolean" then
    local b = BOOLEANS[text:lower()]
    if b ~= nil then return b end
  elseif want == "table" then
    local ok, v = pcall(json.decode, text)
    if ok and type(v) == "table" then return v end
    error(("parameter %s (%s): expected a JSON object or array, got %q"):format(key, origin, text), 0)
  end
  error(("parameter %s (%s): expected %s, got %q"):format(key, origin, want, text), 0)
end

local function env_file(dir, env)
  local path = (dir or ".") .. "/env/" .. env .. ".lua"
  local chunk, err = loadfile(path, "t", {})
  if not chunk then
    if not io.open(path, "r") then
      error(("--env %s: no file %s"):format(env, path), 0)
    end
    error(("--env %s: %s"):format(env, err), 0)
  end
  local ok, values = pcall(chunk)
  if not ok then error(("--env %s: %s"):format(env, tostring(values)), 0) end
  if type(values) ~= "table" then
    error(("--env %s: %s must return a table of parameters, got %s"):format(env, path, type(values)), 0)
  end
  return values, path
end

-- params.resolve(defaults, {dir=, env=, defines={ "k=v", ... }}) -> values
-- Values are read through a guard: reading a parameter that does not
-- exist is an error rather than a silent nil.
function params.resolve(defaults, opts)
  local types, values = {}, {}
  for k, v in pairs(defaults) do
    if getmetatable(v) == OPTIONAL_MT then
      types[k] = v.type
    else
      types[k] = kind(v)
      values[k] = v
    end
  end
  if opts.env then
    local from_env, path = env_file(opts.dir, opts.env)
    for k, v in pairs(from_env) do
      if not types[k] then unknown_key(k, types, path) end
      values[k] = check_type(k, v, types[k], path)
    end
  end
  for _, define in ipairs(opts.defines or {}) do
    local k, text = define:match("^([^=]+)=(.*)$")
    if not types[k] then unknown_key(k, types, "-D " .. define) end
    values[k] = convert(k, text, types[k])
  end
  return setmetatable({}, {
    __index = function(_, k)
      if types[k] == nil then unknown_key(k, types, "read by the recipe") end
      return values[k]
    end,
    __newindex = function(_, k) error(("parameters are read-only (%s)"):format(k), 2) end,
    __pairs = function() return next, values, nil end,
  })
end

return params
