-- Deployment parameters: the recipe's defaults, then the environment's
-- files beside the script (--env NAME: env/NAME.lua, shared, then the
-- recipe's own env/<recipe>.NAME.lua or env/<recipe>/NAME.lua), then
-- -D key=value, each checked against the default's type. An environment
-- file may also hold fgrun's own settings (params.SETTINGS: `confirm =
-- true`, see fg/confirm.lua), which are not parameters.
local json = require "json"
local exists = require("core.fs").exists

local params = {}

local OPTIONAL_MT = { __name = "fg.optional" }

-- Keys of an environment file that set fgrun itself, with their types.
params.SETTINGS = { confirm = "boolean" }

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

local function load_env(env, path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then error(("--env %s: %s"):format(env, err), 0) end
  local ok, values = pcall(chunk)
  if not ok then error(("--env %s: %s"):format(env, tostring(values)), 0) end
  if type(values) ~= "table" then
    error(("--env %s: %s must return a table of parameters, got %s"):format(env, path, type(values)), 0)
  end
  return values
end

-- The files of an environment, read in this order (a later one wins):
-- env/<env>.lua, shared by the recipes of the folder, then the recipe's
-- own, env/<recipe>.<env>.lua or env/<recipe>/<env>.lua (one of the two).
-- -> {{values=, path=, shared=}}
local function env_files(dir, env, recipe)
  local base = (dir or ".") .. "/env/"
  local shared = base .. env .. ".lua"
  local files = {}
  if exists(shared) then files[1] = { values = load_env(env, shared), path = shared, shared = true } end
  if recipe then
    local dotted, nested = base .. recipe .. "." .. env .. ".lua", base .. recipe .. "/" .. env .. ".lua"
    if exists(dotted) and exists(nested) then
      error(("--env %s: both %s and %s exist; keep one"):format(env, dotted, nested), 0)
    end
    local own = exists(dotted) and dotted or exists(nested) and nested or nil
    if own then files[#files + 1] = { values = load_env(env, own), path = own } end
  end
  if #files == 0 then
    error(("--env %s: no file %s%s"):format(env, shared, recipe
      and (", %senv/%s.%s.lua or %senv/%s/%s.lua"):format(base:sub(1, -5), recipe, env, base:sub(1, -5), recipe, env)
      or ""), 0)
  end
  return files
end

-- params.resolve(defaults, {dir=, env=, recipe=, defines={ "k=v", ... },
-- note=function(text), settings={}}) -> values; the environment files'
-- settings go into opts.settings.
-- Values are read through a guard: reading a parameter that does not
-- exist is an error rather than a silent nil.
function params.resolve(defaults, opts)
  local types, values = {}, {}
  for k, v in pairs(defaults) do
    if params.SETTINGS[k] then
      error(("parameter %q: the name is fgrun's own setting in environment files; call it something else"):format(k), 0)
    end
    if getmetatable(v) == OPTIONAL_MT then
      types[k] = v.type
    else
      types[k] = kind(v)
      values[k] = v
    end
  end
  if opts.env then
    for _, file in ipairs(env_files(opts.dir, opts.env, opts.recipe)) do
      for _, k in ipairs(sorted_keys(file.values)) do
        local v = file.values[k]
        if params.SETTINGS[k] then
          local setting = check_type(k, v, params.SETTINGS[k], file.path)
          if opts.settings then opts.settings[k] = setting end
        elseif types[k] then
          values[k] = check_type(k, v, types[k], file.path)
        elseif file.shared then
          -- a shared file serves several recipes: a key another recipe
          -- takes is not an error here (as terraform warns of a tfvars
          -- file's undeclared variable), but it is said
          (opts.note or print)(("note: %s: %q is not a parameter of %s; ignored (a key for one recipe only "
            .. "belongs in env/%s.%s.lua)"):format(file.path, k, opts.recipe or "this recipe",
            opts.recipe or "<recipe>", opts.env))
        else
          unknown_key(k, types, file.path)
        end
      end
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
