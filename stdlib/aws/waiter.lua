-- Waiters from the official waiters-2.json of each service, evaluated as
-- botocore evaluates them, under snake_case names:
--
--   aws.elbv2.wait("load_balancer_available", {Names = {"web"}}, {timeout = 600})
--   aws.ecs.wait("services_stable", {cluster = "c", services = {"web"}})
--
-- opts: delay (seconds between polls, fixed; by default the first pause
-- is 1 s and each later one a tenth of the time waited so far, at most the
-- waiter's own delay), max_attempts, timeout (seconds; by default the
-- waiter's whole time, its delay times its attempts, and attempts are not
-- counted unless max_attempts is given), on_poll(result, attempt) (result:
-- the answer or the service's error),
-- what (progress label), progress (false: none; else ui.progress options).
-- Returns the answer that satisfied the waiter (nil when an error did) and
-- the number of polls. Raises a WaitError (aws.waiter.poll) with code
-- "WaiterFailure" or "WaiterTimeout"; other errors (no connection,
-- interrupted, invalid parameters) pass through as they are.
local acceptors = require "aws.waiter.acceptors"
local poll = require "aws.waiter.poll"
local status = require "aws.waiter.status"
local errors = require "aws.errors"
local model = require "aws.model"

local M = {}

M.WaitError = poll.WaitError
M.is_wait_error = poll.is_wait_error

-- Waiter definitions given to attach(), by client (weak: clients come and go).
local attached = setmetatable({}, {__mode = "k"})
-- The models' waiters-2 documents by botocore service name, decoded once.
local embedded = {}
-- snake_case name -> {name = "ServicesStable", def = ...}, per definitions table.
local indexes = setmetatable({}, {__mode = "k"})

local function model_of(client)
  local ok, m = pcall(function() return client.model() end)
  return ok and type(m) == "table" and m.name and m or nil
end

local function service_name(client)
  local m = model_of(client)
  return m and m.name
end

local function definitions(client)
  local defs = attached[client]
  if defs then return defs end
  local m = model_of(client)
  if not m then return nil end
  if embedded[m.name] == nil then
    local doc
    if m.document then
      doc = m:document("waiters")
    else -- a bare {name = service}: the embedded model's
      local text = require("aws.models").get(m.name, "waiters")
      doc = text and require("json").decode(text)
    end
    embedded[m.name] = doc or false
  end
  return embedded[m.name] or nil
end

local function index(defs)
  local idx = indexes[defs]
  if not idx then
    idx = {}
    for name, def in pairs(defs.waiters or {}) do
      idx[model.snake_name(name)] = {name = name, def = def}
    end
    indexes[defs] = idx
  end
  return idx
end

-- attach(client, defs): the client's waiters come from defs (a decoded
-- waiters-2.json table, or its text) instead of the embedded model.
function M.attach(client, defs)
  if type(defs) == "string" then defs = require("json").decode(defs) end
  if type(defs) ~= "table" or type(defs.waiters) ~= "table" then
    error("aws.waiter.attach: needs a waiters-2 table ({version = 2, waiters = {...}})", 2)
  end
  attached[client] = defs
  return client
end

-- names(client) -> sorted snake_case waiter names.
function M.names(client)
  local defs = definitions(client)
  local names = {}
  for snake in pairs(defs and index(defs) or {}) do names[#names + 1] = snake end
  table.sort(names)
  return names
end

local function find(client, name)
  local defs = definitions(client)
  local idx = defs and index(defs) or {}
  local w = idx[name] or (type(name) == "string" and idx[model.snake_name(name)])
  if w then return w end
  local known = M.names(client)
  error(errors.new{service = service_name(client), operation = "wait", code = "UnknownWaiter",
    message = string.format("no waiter %s (known: %s)", tostring(name),
                            #known > 0 and table.concat(known, ", ") or "none")}, 3)
end

-- An error the service answered with (not a connection failure, not an
-- invalid parameter): the waiter's acceptors judge those.
local function is_service_error(e)
  return errors.is_error(e) and e.status ~= nil
end

-- wait(client, name, params, opts): see the top of this file.
function M.wait(client, name, params, opts)
  opts = opts or {}
  params = params or {}
  local w = find(client, name)
  local def = w.def
  local snake = model.snake_name(w.name)
  local label = (service_name(client) or "aws") .. " " .. snake
  local operation = model.snake_name(def.operation)
  local call = client[operation]
  local accept = def.acceptors or {}
  local last_matched

  local function check(attempt)
    local ok, out = pcall(call, params)
    local response
    if not ok and poll.is_throttling(out) then
      error(out, 0) -- not an answer to judge: poll waits longer and asks again
    end
    if ok then
      response = {output = out, status = 200}
    elseif is_service_error(out) then
      response = {error = out, code = out.code, status = out.status}
    else
      error(out, 0)
    end
    if opts.on_poll then opts.on_poll(out, attempt) end
    local a = acceptors.match(accept, response)
    if a then last_matched = a end
    local text = response.error and ("error " .. tostring(out.code))
      or status.of(def.operation, out) or acceptors.observe(accept, response)
    local r = {status = text, value = ok and out or nil, response = ok and out or nil,
               cause = response.error, acceptor = a}
    local detail = ok and status.detail(def.operation, out) or text
    r.last_state = detail .. (last_matched and "\n(last matched: " .. acceptors.explain(last_matched) .. ")" or "")
    if a then
      r.state = a.state
      if a.state == "failure" then
        r.reason = "Waiter encountered a terminal failure state: " .. acceptors.explain(a)
      end
    elseif response.error then
      -- No acceptor expects this error: botocore fails at once.
      r.state = "failure"
      r.reason = string.format("An error occurred (%s): %s", tostring(out.code), tostring(out.message))
    else
      r.state = "retry"
    end
    return r
  end

  local timeout = opts.timeout
  if timeout == nil and opts.max_attempts == nil then timeout = def.delay * def.maxAttempts end
  return poll.poll{
    waiter = label,
    what = opts.what or label .. " " .. poll.brief(params),
    params = params,
    check = check,
    delay = opts.delay or 1,
    share = opts.delay and 0 or nil,
    max_delay = opts.delay or def.delay,
    timeout = timeout,
    max_attempts = opts.max_attempts,
    progress = opts.progress,
  }
end

return M
