-- Runs removal actions, the data a step's undo returns:
--   { call = "ecs.delete_service", params = {...}, gone = {codes}, retry_on = {codes}, timeout = s }
--   { wait = "ecs.services_inactive", params = {...}, timeout = s }
-- "gone" codes (and any code that says NotFound / NoSuch) mean the
-- resource is already removed, which is success.
local retry = require "fg.retry"

local actions = {}

-- is_gone(code, gone) -> whether an error code says the resource is gone.
local function is_gone(code, gone)
  if not code then return false end
  for _, c in ipairs(gone or {}) do
    if c == code then return true end
  end
  return code:find("NotFound", 1, true) or code:find("NoSuch", 1, true)
      or code:find("DoesNotExist", 1, true) or false
end
actions.is_gone = is_gone

local function client_and_name(ref)
  local service, name = ref:match("^([%w_%-]+)%.([%w_]+)$")
  if not service then error(("bad action reference %q (want service.operation)"):format(ref), 0) end
  return require("aws")[service:gsub("-", "_")], name
end

-- actions.check(list): raises unless list is well-formed data.
function actions.check(list, where)
  if type(list) ~= "table" then error(where .. ": undo must return a list of actions", 0) end
  for i, a in ipairs(list) do
    if type(a) ~= "table" or (type(a.call) ~= "string") == (type(a.wait) ~= "string") then
      error(("%s: action %d must have either call= or wait= (a \"service.name\" string)"):format(where, i), 0)
    end
    if a.params ~= nil and type(a.params) ~= "table" then
      error(("%s: action %d: params must be a table"):format(where, i), 0)
    end
  end
end

-- Runs one action; returns "done" or "gone".
local function run_one(a)
  if a.call then
    local client, op = client_and_name(a.call)
    local ok, err = pcall(retry.call, function() return client[op](a.params or {}) end,
      { on = a.retry_on, timeout = a.timeout or 300, what = a.call })
    if ok then return "done" end
    if is_gone(type(err) == "table" and err.code, a.gone) then return "gone" end
    error(err, 0)
  end
  local client, waiter = client_and_name(a.wait)
  local ok, err = pcall(client.wait, waiter, a.params or {}, { timeout = a.timeout or 600 })
  if ok then return "done" end
  -- a wait for a removal that finds nothing at all has nothing to wait for
  if type(err) == "table" and (is_gone(err.cause and err.cause.code, a.gone)
      or (err.acceptor and err.acceptor.expected == "MISSING")) then
    return "gone"
  end
  error(err, 0)
end

-- actions.run(list) -> "removed" or "gone" (every call found it gone).
function actions.run(list)
  local all_gone, any_call = true, false
  for _, a in ipairs(list) do
    local outcome = run_one(a)
    if a.call then
      any_call = true
      all_gone = all_gone and outcome == "gone"
    end
  end
  return (any_call and all_gone) and "gone" or "removed"
end

return actions
