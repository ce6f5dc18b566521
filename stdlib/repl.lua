-- The Lua side of the REPL (runtime/core/repl.c calls it): the ready names,
-- q() and help(), showing results, :commands, completion and the history
-- filter. Only the REPL loads it: scripts get no globals from here.
local pretty = require "repl.pretty"
local model = require "repl.model"
local complete = require "repl.complete"

local M = {}

-- REPL globals: these modules, and a client of every AWS service with a
-- model (aws.services(): embedded, or in a botocore data folder), each
-- loaded on first use.
local MODULES = { aws = "aws", docker = "docker", fg = "fg", jmespath = "jmespath", json = "json" }

local client_list, client_set
local function clients()
  if not client_list then
    client_list = require("aws.catalog").services()
    client_set = {}
    for _, name in ipairs(client_list) do client_set[name] = true end
  end
  return client_list, client_set
end

complete.client_names = clients

local function is_ready(name)
  if MODULES[name] then return true end
  if type(name) ~= "string" or not name:match("^%l[%w_]*$") then return false end
  return select(2, clients())[name] == true
end

local state = { format = "table", color = false }

local function first_line(err)
  return (tostring(err):match("^[^\n]*"))
end

local function operation_help(client, op, name)
  local text = model.operation_help(client, op, name)
  if not text then error(string.format("%s has no operation %s", name, tostring(op)), 3) end
  print(text)
end

-- client.help(op) for the REPL's clients, unless the client has its own.
local function add_help(client, name)
  if model.is_client(client) and rawget(client, "help") == nil then
    rawset(client, "help", function(a, b)
      if a == client then a = b end
      if a == nil then
        print(name .. " operations (help(" .. name .. ".<operation>) for one):")
        io.write(complete.columns(model.operations(client), 80))
        return
      end
      operation_help(client, a, name)
    end)
  end
  return client
end

local function ready_value(name)
  local source = MODULES[name] or "aws"
  local ok, mod = pcall(require, source)
  if not ok then
    error(string.format("%s: module '%s' is not available (%s)", name, source, first_line(mod)), 3)
  end
  if MODULES[name] then return mod end
  local okc, client = pcall(function() return mod[name] end)
  if not okc or client == nil then
    error(string.format("%s: no client from the aws module (%s)", name, first_line(client)), 3)
  end
  return add_help(client, name)
end

-- The ready names, for completion (none loaded by listing them).
function M.ready_names()
  local names = {}
  for name in pairs(MODULES) do names[#names + 1] = name end
  for _, name in ipairs((clients())) do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- The client (and its name) a function was made by, searching the clients
-- made so far.
local function find_operation(fn)
  local aws = package.loaded.aws
  local places = {}
  for _, where in ipairs({_G, type(aws) == "table" and aws or {}}) do
    for name, c in next, where do
      if type(name) == "string" and model.is_client(c) then places[#places + 1] = {name, c} end
    end
  end
  for _, place in ipairs(places) do
    for k, v in next, place[2] do
      if rawequal(v, fn) and type(k) == "string" then return place[2], k, place[1] end
    end
  end
  -- a client made elsewhere (aws.client("ecs", {...})): its operation
  -- functions hold the client and the operation's name
  local client, names = nil, {}
  for i = 1, 16 do
    local name, value = debug.getupvalue(fn, i)
    if not name then break end
    if model.is_client(value) then client = value end
    if type(value) == "string" then names[#names + 1] = value end
  end
  if client then
    local ops = {}
    for _, op in ipairs(model.operations(client)) do ops[op] = true end
    for _, op in ipairs(names) do
      if ops[op] then return client, op, tostring(client):match("(%S+)$") end
    end
  end
  return nil
end

local HELP = [[
fgrun REPL: Lua 5.4; an expression shows its value, which is kept as _.
Ready names: %s
  q(value, "jmespath")   query a value (q("expr") queries _)
  help(ecs.create_service) or ecs.help("create_service"): parameters and results
  help(ecs) or ecs.help(): the operations of a client
  help(fg), help(fg.deployment), help(d.step): the deployment library
Commands: :json  :yaml  :fmt table|json|yaml  :help
Keys: Tab completes names, fields, operations, parameters inside {, waiters
inside wait("; Ctrl-C cancels the line or stops a call; Ctrl-D leaves.
History: ~/.fgrun_history (lines that look like secrets are not kept).]]

-- help(), help(client), help(client.operation), help("ecs.describe_services")
function M.help(what)
  if what == nil then
    local modules = {}
    for name in pairs(MODULES) do modules[#modules + 1] = name end
    table.sort(modules)
    print(string.format(HELP, table.concat(modules, " ") .. ", and a client of each of the "
      .. #clients() .. " AWS services of aws.services() (ecs, s3, ...)"))
    return
  end
  if type(what) == "string" then
    local value = complete.resolve(what)
    if value == nil then error("help: nothing is called " .. what, 2) end
    local base, op = what:match("^(.+)[.:]([%w_]+)$")
    local client = base and complete.resolve(base)
    if model.is_client(client) and type(value) == "function" then
      return operation_help(client, op, base)
    end
    what = value
  end
  local text = require("help.text").text(what)
  if text then return print(text) end
  if model.is_client(what) then
    local name = tostring(what):match("(%S+)$") or "client"
    print(name .. " operations (help(" .. name .. ".<operation>) for one):")
    io.write(complete.columns(model.operations(what), 80))
    return
  end
  if type(what) == "function" then
    local client, op, name = find_operation(what)
    if client then return operation_help(client, op, name) end
  end
  if type(what) == "table" and type(what.help) == "function" then
    return print(what:help()) -- an object that describes itself (a resource type of fg.aws)
  end
  if type(what) == "table" then
    local names = {}
    for k in pairs(what) do if type(k) == "string" then names[#names + 1] = k end end
    table.sort(names)
    print("fields: " .. table.concat(names, " "))
    return
  end
  print("no help for a " .. type(what) .. " value")
end

-- q(value, expr): JMESPath on a value; q(expr) on the last result.
function M.q(value, expr)
  if expr == nil and type(value) == "string" then
    value, expr = rawget(_G, "_"), value
  end
  return require("jmespath").search(expr, value)
end

-- setup{color=}: the ready names, q and help as globals (REPL only).
function M.setup(opts)
  state.color = opts and opts.color or false
  local mt = getmetatable(_G)
  if mt == nil then
    mt = {}
    setmetatable(_G, mt)
  end
  local previous = mt.__index
  mt.__index = function(t, k)
    if is_ready(k) then
      local v = ready_value(k)
      rawset(t, k, v)
      return v
    end
    if type(previous) == "function" then return previous(t, k) end
    if type(previous) == "table" then return previous[k] end
    return nil
  end
  rawset(_G, "q", M.q)
  rawset(_G, "help", M.help)
end

-- show(...): the values of an expression in the chosen format; the first
-- is kept as _.
function M.show(...)
  local n = select("#", ...)
  rawset(_G, "_", (...))
  local texts, multiline = {}, false
  for i = 1, n do
    local text = pretty.format((select(i, ...)), state.format, state.color)
    texts[i] = text
    multiline = multiline or text:find("\n", 1, true) ~= nil
  end
  io.stdout:write(table.concat(texts, multiline and "\n" or "\t"), "\n")
  io.stdout:flush()
end

-- command(":json"), command(":fmt table"), command(":help")
function M.command(line)
  local cmd, arg = line:match("^%s*:(%a*)%s*(.-)%s*$")
  if cmd == "fmt" or cmd == "format" then
    if not pretty.FORMATS[arg] then error("usage: :fmt table|json|yaml", 0) end
    state.format = arg
  elseif pretty.FORMATS[cmd] and arg == "" then
    state.format = cmd
  elseif cmd == "help" or cmd == "h" then
    M.help()
  else
    error(string.format("unknown command ':%s' (:json, :yaml, :fmt table, :help)", cmd or ""), 0)
  end
end

function M.complete(line, width)
  return complete.complete(line, width, M.ready_names())
end

-- Words that mark a secret: in a name that is assigned or followed by ':'
-- (db_pass = "..."), or in a string beside a value (the name/value pairs
-- of environments and tags: {name = "DB_PASSWORD", value = "..."}).
local SECRET_WORDS = { "password", "passwd", "pass", "pwd", "secret", "token", "api_key", "apikey",
                       "private_key", "credential", "auth", "cookie", "signature" }
local HARMLESS = { nexttoken = true, next_token = true, clienttoken = true,
                   client_token = true, continuationtoken = true, paginationtoken = true,
                   secretid = true, secret_id = true, secretarn = true }
-- runs of the characters tokens and keys are written with
local TOKEN_RUN = "[%w+/=_%-.~]+"

local function has_secret_word(word)
  if HARMLESS[word] then return false end
  for _, w in ipairs(SECRET_WORDS) do
    if word:find(w, 1, true) then return true end
  end
  return false
end

-- Shannon entropy of s, in bits a character.
local function entropy(s)
  local counts, n = {}, #s
  for c in s:gmatch(".") do counts[c] = (counts[c] or 0) + 1 end
  local bits = 0
  for _, k in pairs(counts) do bits = bits - k / n * math.log(k / n, 2) end
  return bits
end

-- A random-looking token of any length from 12 characters: upper and lower
-- case and digits, with little of it in lowercase words (keys, passwords,
-- bearer tokens), or long varied hex. Names (fargate-cluster-x1,
-- ecsTaskRole-x1y2z3) and ids (sg-0a1b2c) are words or lack the mix.
local function looks_random(run)
  if #run < 12 then return false end
  if run:find("%u") and run:find("%l") and run:find("%d") then
    local in_words = 0
    for word in run:gmatch("%l%l%l+") do in_words = in_words + #word end
    return in_words / #run < 0.4 and entropy(run) >= 3.0
  end
  return #run >= 32 and not run:find("[^%x]") and entropy(run) >= 3.0
end

-- history_ok(line): false when the line looks like it holds a secret: a
-- known secret field, an assignment to a password-, token- or auth-like
-- name, a value next to a secret-like name, a bearer token, or a
-- random-looking string of any length.
function M.history_ok(line)
  local lower = line:lower()
  if lower:find("aws_secret_access_key", 1, true) or lower:find("secretstring", 1, true)
    or lower:find("secretbinary", 1, true) or lower:find("session_token", 1, true)
    or lower:find("sessiontoken", 1, true) or lower:find("bearer%s") or lower:find("basic%s+[%w+/=]") then
    return false
  end
  for run in line:gmatch(TOKEN_RUN) do
    if looks_random(run) then return false end
  end
  for word in (lower .. " "):gmatch("([%w_%-]+)[\"'%]]*%s*[=:][^=]") do
    if has_secret_word(word) then return false end
  end
  if lower:find("%f[%w_]value[\"'%]]*%s*[=:][^=]") then
    for text in lower:gmatch("[\"']([^\"']*)[\"']") do
      for word in text:gmatch("[%w_%-]+") do
        if has_secret_word(word) then return false end
      end
    end
  end
  return true
end

return M
