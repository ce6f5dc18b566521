-- The resource-type framework: a type declares its fields and five
-- functions, and becomes a deployment step (fg.deployment's d:step) that
-- validates its inputs, updates in place what can change in place,
-- replaces what cannot, and reads the resource back after an update.
--
--   return T.define{
--     kind = "log_group", doc = "...",
--     fields = {
--       { "name", "string", required = true, replace = true, doc = "..." },
--       { "retention_days", "integer", update = "logs.put_retention_policy", check = fn, doc = "..." },
--     },
--     name_field = "name", name_max = 512,    -- a unique name: a replacement gets "-<generation>"
--     find = function(props, ctx) end,        -- read-only: the result, or nil
--     read = function(result, props) end,     -- read-only: the live value of every field
--                                             -- (T.UNKNOWN where it cannot tell), nil when gone
--     create = function(props, ctx) end,      -- -> result (plain data)
--     update = function(props, result, changed, ctx) end, -- changed: {field = true}; -> result
--     undo = function(result) end,            -- -> removal actions (fg/actions.lua)
--     converge = function(props, found, ctx) end, -- optional: finishes a found resource that a
--                                             -- crash left half made (-> result; create may end with it)
--     id = function(result) end,              -- -> text for the report
--     wait = function(props, result, ctx) end, -- optional: until the resource is ready
--                                             -- (runs in the background, fg.deployment's wait)
--     -- optional, for plans (fgrun --plan):
--     planned = function(props, previous) end, -- the result an update would give, where it is not
--                                             -- the previous one (fg.plan.UNKNOWN for what only AWS tells)
--     document = function(props) end,         -- the resource as AWS is asked to hold it (request JSON)
--     live_document = function(result) end,   -- -> the same as AWS holds it, and the top-level keys
--                                             -- something else owns (not compared)
--   }
--
-- A field is changed in place (update = "svc.call" names the call), forces
-- replacement (replace = true), or cannot change at all (fixed = "why").
-- Field types: string, integer, number, boolean, strings (a list of
-- strings), list, map (string keys), table (any plain data), or a list of
-- allowed strings. check(value, props) returns a message when the value is
-- wrong; coerce(value) gives the form kept in the journal; normalize(value)
-- gives the form AWS reports (for comparisons).
local json = require "json"

local T = {}

local Type = {}
Type.__index = Type

local function canonical(v)
  if v == nil then return "null" end
  return json.encode(v, { sort_keys = true })
end

-- A sorted copy of a list (a normalize for fields whose order AWS does not keep).
function T.sorted(list)
  local copy = {}
  for i, x in ipairs(list) do copy[i] = x end
  table.sort(copy)
  return copy
end

local function kind_of(v)
  if math.type(v) == "integer" then return "integer" end
  return type(v)
end

local function is_list(v)
  if type(v) ~= "table" then return false end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n == #v
end

local CHECKERS = {
  string = function(v) return type(v) == "string" end,
  integer = function(v) return math.type(v) == "integer" end,
  number = function(v) return type(v) == "number" end,
  boolean = function(v) return type(v) == "boolean" end,
  strings = function(v)
    if not is_list(v) then return false end
    for _, x in ipairs(v) do if type(x) ~= "string" then return false end end
    return true
  end,
  list = is_list,
  map = function(v)
    if type(v) ~= "table" then return false end
    for k in pairs(v) do if type(k) ~= "string" then return false end end
    return true
  end,
  table = function(v) return type(v) == "table" end,
}

local function type_text(t)
  if type(t) == "table" then return "one of " .. table.concat(t, ", ") end
  return ({ strings = "a list of strings", list = "a list", map = "a table with string keys",
            table = "a table" })[t] or t
end

-- T.define(def) -> the type (see the top of this file).
function T.define(def)
  assert(type(def.kind) == "string", "T.define: kind")
  for _, f in ipairs({ "find", "read", "create", "undo" }) do
    assert(type(def[f]) == "function", "T.define " .. def.kind .. ": " .. f .. " must be a function")
  end
  local by_name = {}
  for _, f in ipairs(def.fields) do
    f.name, f.type = f[1], f[2]
    assert(CHECKERS[f.type] or type(f.type) == "table", def.kind .. "." .. f.name .. ": unknown field type")
    local how = (f.replace and 1 or 0) + (f.update and 1 or 0) + (f.fixed and 1 or 0)
    assert(how == 1, def.kind .. "." .. f.name .. ": a field has exactly one of update, replace, fixed")
    assert(not f.update or def.update, def.kind .. ": a field changes in place but the type has no update")
    by_name[f.name] = f
  end
  def.field = by_name
  return setmetatable(def, Type)
end

-- The names of the fields, in declaration order.
function Type:field_names()
  local names = {}
  for _, f in ipairs(self.fields) do names[#names + 1] = f.name end
  return names
end

-- type:check_value(field, value, where) -> the value (checked), or raises.
function Type:check_value(name, value, where, props)
  local f = self.field[name]
  if not f then
    error(("%s: unknown field %q; the fields of %s are: %s")
      :format(where, tostring(name), self.kind, table.concat(self:field_names(), ", ")), 0)
  end
  if value == nil then return nil end
  local ok
  if type(f.type) == "table" then
    for _, allowed in ipairs(f.type) do ok = ok or value == allowed end
  else
    ok = CHECKERS[f.type](value)
    if not ok and f.type == "integer" and math.type(value) == "float" and math.tointeger(value) then
      value, ok = math.tointeger(value), true
    end
  end
  if not ok then
    error(("%s: field %s must be %s, got %s %s"):format(where, name, type_text(f.type), kind_of(value),
      type(value) == "string" and ("%q"):format(value) or (type(value) == "table" and json.encode(value)
        or tostring(value))), 0)
  end
  if type(value) == "table" then
    local encoded, err = pcall(json.encode, value)
    if not encoded then error(("%s: field %s must be plain data (%s)"):format(where, name, err), 0) end
  end
  local message = f.check and f.check(value, props or {})
  if message then error(("%s: field %s: %s"):format(where, name, message), 0) end
  return value
end

-- type:validate(props, where) -> the inputs: every field checked, defaults
-- filled in, unknown fields refused (all before any AWS call).
function Type:validate(props, where)
  if type(props) ~= "table" then error(("%s: the fields must be a table"):format(where), 0) end
  for k in pairs(props) do
    if type(k) ~= "string" or not self.field[k] then self:check_value(k, nil, where) end
  end
  local inputs = {}
  for _, f in ipairs(self.fields) do
    local v = props[f.name]
    if v == nil and f.default ~= nil then
      v = f.default
      if type(v) == "table" then v = json.decode(json.encode(v)) end
    end
    if v == nil and f.required then
      error(("%s: field %s is required (%s)"):format(where, f.name, f.doc or type_text(f.type)), 0)
    end
    inputs[f.name] = self:check_value(f.name, v, where, props)
    if inputs[f.name] ~= nil and f.coerce then inputs[f.name] = f.coerce(inputs[f.name]) end
  end
  if self.check then
    local message = self.check(inputs)
    if message then error(("%s: %s"):format(where, message), 0) end
  end
  return inputs
end

local function normalized(f, v)
  if f.type == "number" and math.type(v) == "integer" then v = v + 0.0 end
  if v ~= nil and f.normalize then return f.normalize(v) end
  return v
end

-- type:diff(old, new) -> {{field, old, new, forces_replacement}}, in field
-- order; no AWS call. A change to a fixed field is an error.
function Type:diff(old, new, where)
  local changes = {}
  for _, f in ipairs(self.fields) do
    local a, b = old[f.name], new[f.name]
    if canonical(normalized(f, a)) ~= canonical(normalized(f, b)) then
      if f.fixed then
        error(("%s: field %s cannot change (%s); restore it, or --destroy and deploy again")
          :format(where or self.kind, f.name, f.fixed), 0)
      end
      changes[#changes + 1] = { field = f.name, old = a, new = b, forces_replacement = f.replace and true or false }
    end
  end
  return changes
end

-- The resource's own name: the given one, or with "-<generation>" when it
-- replaces a resource that holds that name (names that must be unique).
function Type:physical(props, ctx)
  local key = self.name_field
  if not key then return props end
  local want = props[key]
  if ctx.recorded and ctx.recorded.name then
    want = ctx.recorded.name
  elseif ctx.replacing then
    for _, old in ipairs(ctx.replacing.results or { ctx.replacing.result }) do
      if old and old.name == want then
        local suffix = "-" .. tostring(ctx.generation or 1)
        want = props[key]:sub(1, (self.name_max or 255) - #suffix) .. suffix
        break
      end
    end
  end
  if want == props[key] then return props end
  local copy = {}
  for k, v in pairs(props) do copy[k] = v end
  copy[key] = want
  return copy
end

-- What read gives for a field it cannot tell: not compared.
T.UNKNOWN = setmetatable({}, { __name = "fg.aws.UNKNOWN", __tostring = function() return "(unknown)" end })

-- T.owned(by) -> what read gives for a field that something else owns
-- (the desired count under auto scaling: by = "auto scaling"): not
-- compared, and a plan says that the run leaves it to them.
local OWNED = { __name = "fg.aws.OWNED", __tostring = function(o) return "(owned by " .. o.by .. ")" end }
function T.owned(by) return setmetatable({ by = by }, OWNED) end

local function not_compared(v) return v == T.UNKNOWN or getmetatable(v) == OWNED end

-- type:differences(props, live, fields) -> the names of the fields whose
-- live value differs from props, as AWS normalizes them (no AWS call).
function Type:differences(props, live, fields)
  local names = {}
  for _, name in ipairs(fields) do
    local f = self.field[name]
    if not not_compared(live[name])
        and canonical(normalized(f, props[name])) ~= canonical(normalized(f, live[name])) then
      names[#names + 1] = name
    end
  end
  return names
end

local function in_place_fields(t)
  local fields = {}
  for _, f in ipairs(t.fields) do if f.update then fields[#fields + 1] = f.name end end
  return fields
end

local function replacing_fields(t)
  local fields = {}
  for _, f in ipairs(t.fields) do if f.replace then fields[#fields + 1] = f.name end end
  return fields
end

-- Reads the resource back after an update: AWS must now hold the inputs.
function Type:read_back(where, props, result, fields)
  local live = self.read(result, props)
  if live == nil then error(("%s: after the update, %s is gone"):format(where, self.kind), 0) end
  local name = self:differences(props, live, fields)[1]
  if name then
    local f = self.field[name]
    error(("%s: after the update AWS holds %s = %s, the inputs say %s"):format(where, name,
      canonical(normalized(f, live[name])), canonical(normalized(f, props[name]))), 0)
  end
end

-- type:spec(props, where, destroying) -> the d:step spec of a resource of
-- this type. In destroy mode the inputs are not used (the recorded result
-- is), so they are not checked: a recipe need not compute them.
function Type:spec(props, where, destroying)
  local inputs = destroying and {} or self:validate(props, where)
  local t = self
  return {
    inputs = inputs, type = t,
    find = function(i, ctx)
      if ctx.recorded then
        -- a recorded resource is looked up by what identifies it
        return t.read(ctx.recorded, t:physical(i, ctx)) ~= nil and ctx.recorded or nil
      end
      return t.find(t:physical(i, ctx), ctx)
    end,
    create = function(i, ctx) return t.create(t:physical(i, ctx), ctx) end,
    update = t.update and function(i, previous, ctx)
      local changes = ctx.changes or t:diff(ctx.previous_inputs or {}, i, where)
      local changed, fields = {}, {}
      for _, c in ipairs(changes) do
        changed[c.field] = true
        fields[#fields + 1] = c.field
      end
      local physical = t:physical(i, ctx)
      local result = t.update(physical, previous, changed, ctx)
      if t.update_sends_all then fields = in_place_fields(t) end
      t:read_back(where, physical, result, fields)
      return result
    end,
    -- a resource found rather than made: its in-place fields are set to
    -- what the inputs say (a crash between create's calls left them unset)
    converge = (t.update or t.converge) and function(i, found, ctx)
      local physical = t:physical(i, ctx)
      if t.converge then found = t.converge(physical, found, ctx) end
      if not t.update then return found end
      local live = t.read(found, physical)
      if live == nil then return found end
      local fields = t:differences(physical, live, in_place_fields(t))
      if #fields == 0 then return found end
      local changed = {}
      for _, name in ipairs(fields) do changed[name] = true end
      local result = t.update(physical, found, changed, ctx)
      t:read_back(where, physical, result, t.update_sends_all and in_place_fields(t) or fields)
      return result
    end,
    diff = function(old, new) return t:diff(old, new, where) end,
    wait = t.wait and function(i, result, ctx) return t.wait(t:physical(i, ctx), result, ctx) end,
    -- what AWS holds against the inputs: the changes that set back the
    -- fields a run sets in place, and those that force a replacement (AWS
    -- cannot change them, but the resource may have been made again under
    -- its name outside fgrun: an IAM policy's description), marked drift;
    -- {field = owner} of the fields something else owns; nil when it is
    -- gone. A replacing field is compared only where the inputs give it and
    -- AWS shows it: unset means AWS's choice (a load balancer's VPC), and a
    -- value AWS does not show must not replace anything.
    drift = function(i, result, ctx)
      local physical = t:physical(i, ctx)
      local live = t.read(result, physical)
      if live == nil then return nil end
      local changes, owned = {}, {}
      for name, v in pairs(live) do
        if getmetatable(v) == OWNED then owned[name] = v.by end
      end
      for _, forces in ipairs({ false, true }) do
        local fields = forces and replacing_fields(t) or in_place_fields(t)
        if forces then
          local shown = {}
          for _, name in ipairs(fields) do
            if physical[name] ~= nil and live[name] ~= nil then shown[#shown + 1] = name end
          end
          fields = shown
        end
        for _, name in ipairs(t:differences(physical, live, fields)) do
          local was = live[name]
          if type(was) == "table" and next(was) == nil and (t.field[name].type == "list" or t.field[name].type == "strings") then
            was = json.array{} -- an empty list, not an empty object
          end
          changes[#changes + 1] = { field = name, old = was, new = i[name], forces_replacement = forces, drift = true }
        end
      end
      return changes, owned
    end,
    planned = t.planned, document = t.document, live_document = t.live_document,
    undo = t.undo, id = t.id,
  }
end

-- The fields as text: one line each, how it changes and what it is.
function Type:help()
  local lines = { ("%s: %s"):format(self.kind, self.doc or "") }
  for _, f in ipairs(self.fields) do
    local how = f.replace and "replaces" or f.fixed and "fixed" or ("in place (" .. f.update .. ")")
    lines[#lines + 1] = ("  %-22s %-12s %-40s %s%s"):format(f.name, type(f.type) == "table" and "enum" or f.type,
      how, f.doc or "", f.default ~= nil and (" [default " .. canonical(f.default) .. "]") or "")
  end
  return table.concat(lines, "\n")
end

return T
