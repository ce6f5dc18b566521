-- What the REPL reads from the service models: operation inputs and
-- outputs (for completion and help) and waiter names. Everything that
-- knows how a client exposes its model is in model_of / waiter_names, so
-- it can follow stdlib/aws.lua as that grows.
local json = require "json"

local M = {}

-- The aws.model of a client (client.model()), or nil for other values.
local function model_of(client)
  if type(client) ~= "table" then return nil end
  local get = rawget(client, "model")
  if type(get) ~= "function" then return nil end
  local ok, m = pcall(get)
  if ok and type(m) == "table" and m.operation then return m end
  return nil
end
M.model_of = model_of

-- Is v an AWS client (it can list its operations)?
function M.is_client(v)
  return type(v) == "table" and type(rawget(v, "operations")) == "function"
end

-- The sorted snake_case operation names of a client.
function M.operations(client)
  local ok, names = pcall(rawget(client, "operations"))
  return ok and type(names) == "table" and names or {}
end

-- The operation model of client's snake_case operation, and the model.
local function operation(client, snake)
  local m = model_of(client)
  if not m then return nil end
  local name = m:snake_names()[snake]
  return name and m:operation(name), m, name
end

-- The shape a path of member names leads to from an operation's input:
-- "[]" steps into a list's items (or a map's values).
function M.input_shape(client, snake, path)
  local op, m = operation(client, snake)
  if not op or not op.input then return nil end
  local shape = m:target(op.input)
  for _, key in ipairs(path or {}) do
    if shape.type == "list" and key == "[]" then
      shape = m:target(shape.member)
    elseif shape.type == "map" and key == "[]" then
      shape = m:target(shape.value)
    elseif shape.type == "structure" and shape.members and shape.members[key] then
      shape = m:target(shape.members[key])
    elseif shape.type == "list" then
      -- a key right inside a list's braces: the items are structures
      shape = m:target(shape.member)
      if shape.type ~= "structure" or not (shape.members or {})[key] then return nil end
      shape = m:target(shape.members[key])
    else
      return nil
    end
  end
  if shape.type == "list" then shape = m:target(shape.member) end
  return shape, m
end

-- Sorted member names of the structure at path inside an operation's input.
function M.input_members(client, snake, path)
  local shape = M.input_shape(client, snake, path)
  local names = {}
  if shape and shape.type == "structure" then
    for name in pairs(shape.members or {}) do names[#names + 1] = name end
  end
  table.sort(names)
  return names
end

-- Waiter names (snake_case) of a client: client.waiters() when the client
-- has it, else the service's waiters-2 model.
function M.waiter_names(client)
  local own = type(client) == "table" and rawget(client, "waiters")
  if type(own) == "function" then
    local ok, names = pcall(own)
    if ok and type(names) == "table" then return names end
  end
  local m = model_of(client)
  if not m or not m.name then return {} end
  local ok, text = pcall(function() return require("aws.models").get(m.name, "waiters") end)
  if not ok or not text then return {} end
  local names = {}
  local snake = require("aws.model").snake_name
  for name in pairs(json.decode(text).waiters or {}) do names[#names + 1] = snake(name) end
  table.sort(names)
  return names
end

-- A shape's type as help shows it: "string", "list of Tag", "map of string
-- to string", "Cluster (structure)".
local function type_text(m, shape, depth)
  depth = depth or 0
  local t = shape.type
  if t == "list" and depth < 2 then
    return "list of " .. type_text(m, m:target(shape.member), depth + 1)
  elseif t == "map" and depth < 2 then
    return "map of " .. type_text(m, m:target(shape.key), depth + 1) .. " to "
      .. type_text(m, m:target(shape.value), depth + 1)
  elseif t == "structure" then
    return shape._name or "structure"
  end
  return t
end

local function doc_line(doc)
  if type(doc) ~= "string" then return nil end
  local text = doc:gsub("<[^>]*>", ""):gsub("%s+", " "):gsub("^ ", "")
  local sentence = text:match("^(.-%.)%s") or text
  if #sentence > 100 then sentence = sentence:sub(1, 97) .. "..." end
  return sentence ~= "" and sentence or nil
end

local function members_text(m, shape, lines, with_required)
  local required = {}
  for _, name in ipairs(shape.required or {}) do required[name] = true end
  local names = {}
  for name in pairs(shape.members or {}) do names[#names + 1] = name end
  table.sort(names, function(a, b)
    if with_required and required[a] ~= required[b] then return required[a] == true end
    return a < b
  end)
  if #names == 0 then lines[#lines + 1] = "    (none)" end
  for _, name in ipairs(names) do
    local target = m:target(shape.members[name])
    local line = string.format("  %s %s: %s", with_required and required[name] and "*" or " ",
                               name, type_text(m, target))
    if target.enum then
      local values = {}
      for i, v in ipairs(target.enum) do
        if i > 12 then values[#values + 1] = string.format("… %d more", #target.enum - 12) break end
        values[#values + 1] = v
      end
      line = line .. " (" .. table.concat(values, " | ") .. ")"
    end
    lines[#lines + 1] = line
  end
end

-- The help text of one operation: input members (required first, marked
-- *), types and enum values, then the output's top-level members.
function M.operation_help(client, snake, client_name)
  local op, m, name = operation(client, snake)
  if not op then return nil end
  local lines = {string.format("%s.%s (%s)", client_name or m.name, snake, name)}
  local doc = doc_line(op.documentation)
  if doc then lines[#lines + 1] = "  " .. doc end
  lines[#lines + 1] = "input (* required):"
  if op.input then members_text(m, m:target(op.input), lines, true)
  else lines[#lines + 1] = "    (none)" end
  lines[#lines + 1] = "output:"
  if op.output then members_text(m, m:target(op.output), lines, false)
  else lines[#lines + 1] = "    (none)" end
  return table.concat(lines, "\n")
end

return M
