-- Tab completion for the REPL: globals (and the ready names, without
-- loading them), table fields, a client's operations, waiter names inside
-- client.wait("…, and parameter names inside an operation's braces.
local model = require "repl.model"

local M = {}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil
  not or repeat return then true until while]]):gmatch("%a+") do KEYWORDS[#KEYWORDS + 1] = w end

local MAX_LISTED = 200

-- Candidates laid out in columns for a terminal `width` wide.
local function columns(names, width)
  local longest = 0
  for _, n in ipairs(names) do longest = math.max(longest, #n) end
  local col = longest + 2
  local per_row = math.max(1, (width - 1) // col)
  local shown = math.min(#names, MAX_LISTED)
  local rows = (shown + per_row - 1) // per_row
  local lines = {}
  for r = 1, rows do
    local cells = {}
    for c = 0, per_row - 1 do
      local n = names[c * rows + r]
      if n and c * rows + r <= shown then cells[#cells + 1] = n .. string.rep(" ", col - #n) end
    end
    lines[#lines + 1] = (table.concat(cells):gsub("%s+$", ""))
  end
  if #names > shown then lines[#lines + 1] = string.format("… %d more", #names - shown) end
  return table.concat(lines, "\n") .. "\n"
end

M.columns = columns

-- (text to insert, listing or nil) for the names that start with partial.
local function finish(partial, names, width)
  local seen, matches = {}, {}
  for _, n in ipairs(names) do
    if type(n) == "string" and not seen[n] and n:sub(1, #partial) == partial then
      seen[n] = true
      matches[#matches + 1] = n
    end
  end
  if #matches == 0 then return "", nil end
  table.sort(matches)
  local prefix = matches[1]
  for i = 2, #matches do
    local m = matches[i]
    local n = 0
    while n < #prefix and prefix:byte(n + 1) == m:byte(n + 1) do n = n + 1 end
    prefix = prefix:sub(1, n)
  end
  local insert = prefix:sub(#partial + 1)
  if insert ~= "" or #matches == 1 then return insert, nil end
  return "", columns(matches, width)
end

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

-- The value a dotted name ("aws.ecs") stands for, or nil. Only globals
-- and plain indexing: nothing is called but lazy loaders.
local function resolve(expr)
  local value
  for seg in expr:gmatch("[^.:]+") do
    if not is_identifier(seg) then return nil end
    if value == nil then
      local ok, v = pcall(function() return _G[seg] end)
      if not ok then return nil end
      value = v
    else
      if type(value) ~= "table" then return nil end
      local ok, v = pcall(function() return value[seg] end)
      if not ok then return nil end
      value = v
    end
    if value == nil then return nil end
  end
  return value
end
M.resolve = resolve

-- Names a value offers after "." or ":".
local function fields(value)
  local names = {}
  if type(value) == "string" then value = string end
  if type(value) ~= "table" then return names end
  for k in next, value do
    if is_identifier(k) then names[#names + 1] = k end
  end
  if value == package.loaded.aws and M.client_names then
    for _, name in ipairs((M.client_names())) do names[#names + 1] = name end
  end
  if model.is_client(value) then
    for _, op in ipairs(model.operations(value)) do names[#names + 1] = op end
  end
  local mt = getmetatable(value)
  if type(mt) == "table" and type(mt.__index) == "table" then
    for k in next, mt.__index do
      if is_identifier(k) then names[#names + 1] = k end
    end
  end
  return names
end

local function globals(ready)
  local names = {}
  for k in next, _G do
    if is_identifier(k) then names[#names + 1] = k end
  end
  for _, k in ipairs(ready) do names[#names + 1] = k end
  for _, k in ipairs(KEYWORDS) do names[#names + 1] = k end
  return names
end

-- The braces open at the end of line: a stack of {call = "ecs.op"} or
-- {key = "member"} or {key = "[]"} (a list item), and whether the line
-- ends inside a string.
local function open_braces(line)
  local stack = {}
  local i, n = 1, #line
  while i <= n do
    local c = line:sub(i, i)
    if c == '"' or c == "'" then
      local j = i + 1
      while j <= n and line:sub(j, j) ~= c do
        if line:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      if j > n then return stack, true end
      i = j
    elseif c == "{" then
      local before = line:sub(1, i - 1)
      local key = before:match("([%a_][%w_]*)%s*=%s*$")
      local call = not key and before:match("([%a_][%w_.:]*)%s*%(?%s*$")
      if key then stack[#stack + 1] = {key = key}
      elseif call and call:find("[.:]") then stack[#stack + 1] = {call = call}
      else stack[#stack + 1] = {key = "[]"} end
    elseif c == "}" then
      stack[#stack] = nil
    end
    i = i + 1
  end
  return stack, false
end

-- The operation call whose braces are open (innermost), from open_braces'
-- stack: the client, the operation and the member path inside; or nil.
local function call_context(stack)
  local path, call = {}, nil
  for i = #stack, 1, -1 do
    if stack[i].call then
      call = stack[i].call
      for j = i + 1, #stack do path[#path + 1] = stack[j].key end
      break
    end
  end
  if not call then return nil end
  local client_expr, op = call:match("^(.+)[.:]([%a_][%w_]*)$")
  if not client_expr then return nil end
  local client = resolve(client_expr)
  if not model.is_client(client) then return nil end
  return client, op, path
end

-- Parameter names inside an operation's braces, or nil when the cursor is
-- not at a member name there.
local function parameter_names(line)
  local partial = line:match("[{,]%s*([%a_]?[%w_]*)$")
  if not partial then return nil end
  local stack, in_string = open_braces(line)
  if in_string or #stack == 0 then return nil end
  local client, op, path = call_context(stack)
  if not client then return nil end
  return partial, model.input_members(client, op, path)
end

-- A parameter's enum values, inside the string given to it
-- (launchType = "FAR, or include = {"TA), or nil.
local function enum_values(line)
  local before, partial = line:match("^(.-)[\"']([^\"']*)$")
  if not before then return nil end
  local key = before:match("([%a_][%w_]*)%s*=%s*$")
  if not key and not before:match("[{,]%s*$") then return nil end
  local stack, in_string = open_braces(line)
  if not in_string then return nil end
  local client, op, path = call_context(stack)
  if not client then return nil end
  path[#path + 1] = key
  local shape = model.input_shape(client, op, path)
  return partial, shape and shape.enum or {}
end

-- Client methods whose first argument is an operation name.
local OPERATION_ARGUMENT = { paginate = true, all = true, help = true, build_request = true }

-- complete(text before the cursor, terminal width, ready names) -> text to
-- insert, listing (or nil).
function M.complete(line, width, ready)
  width = width or 80
  local client_expr, partial = line:match("([%a_][%w_.:]*)[.:]wait%s*%(%s*[\"']([%w_]*)$")
  if client_expr then
    local client = resolve(client_expr)
    if model.is_client(client) then return finish(partial, model.waiter_names(client), width) end
    return "", nil
  end
  local method
  client_expr, method, partial = line:match("([%a_][%w_.:]*)[.:]([%a_]+)%s*%(%s*[\"']([%w_]*)$")
  if OPERATION_ARGUMENT[method] then
    local client = resolve(client_expr)
    if model.is_client(client) then return finish(partial, model.operations(client), width) end
    return "", nil
  end
  local p, params = parameter_names(line)
  if p then return finish(p, params, width) end
  local e, values = enum_values(line)
  if e then return finish(e, values, width) end
  if select(2, open_braces(line)) then return "", nil end -- inside a string
  local start = line:find("[%a_][%w_.:]*$")
  if not start then return "", nil end
  local before = line:sub(start - 1, start - 1)
  if before:match("[%w_.:%)%]\"']") then return "", nil end
  local expr = line:sub(start)
  local base, name = expr:match("^(.*)[.:]([%w_]*)$")
  if not base then return finish(expr, globals(ready or {}), width) end
  local value = resolve(base)
  if value == nil then return "", nil end
  return finish(name, fields(value), width)
end

return M
